"""How much ``safe`` clips healthy training: the judgment corpus's healthy models, trained plain and under a guard.

For each healthy case of ``tests/judgment_corpus`` (its own optimizer, scheduler and, where its recipe has one, its
own ``clip_grad_norm_`` before the guard), ``case.steps`` steps plain and with ``Guard(policy=POLICY)``: the mean
loss of the last tenth of the steps, the steps the guard clipped and the steps it skipped. A false alarm costs as
much as a miss: a guard that clips a healthy run into learning slower is visible here as a higher final loss.

    python benchmarks/healthy_clipping.py [--cases a,b] [--half dev,heldout,fresh,fresh2] [--seeds 0,1]
                                          [--policy safe|recover|safe@C] [--noise]

Each half's summary: the worst and the median ratio of guarded to plain final loss, and the cases more than 2%
worse (a ratio is read only where the plain final loss is above 0.01: below it both runs have learned the data).

``--noise``: how far a harmless nudge moves the plain run (its perturbation band). The plain run is re-run four
times, each with ONE step's gradients scaled by 0.9 or 0.7 (at 25% or 50% of the steps), as a single mild clip
would; the band is the largest and smallest ratio of those runs to the plain one. Some healthy runs sit near a
bifurcation (which plateau they leave when), and there one mild clip moves the final loss by 10-15% either way: a
guarded ratio inside the band is not evidence of a slowdown; one above it is.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.judgment_corpus import ALL, HALVES, Case

import gradguard


def _policy(name: str) -> gradguard.Policy | str:
    base, _, clip = name.partition("@")
    if not clip:
        return base
    factory = {"safe": gradguard.policy.safe, "recover": gradguard.policy.recover}[base]
    return factory(max_norm=float(clip))


class _Nudge:
    """Stands in for a guard in :meth:`Setup.train_step`: steps optimizer and scheduler as the plain run does, after
    multiplying the gradients of step ``at`` (only) by ``scale``."""

    def __init__(self, setup: Any, at: int, scale: float) -> None:
        self.setup, self.at, self.scale, self.index = setup, at, scale, 0

    def step(self, loss: torch.Tensor, closure: Any = None) -> None:
        if self.index == self.at:
            with torch.no_grad():
                for p in self.setup.model.parameters():
                    if p.grad is not None:
                        p.grad.mul_(self.scale)
        self.index += 1
        self.setup.optimizer.step()
        if self.setup.scheduler is not None:
            self.setup.scheduler.step()


def _nudged(case: Case, seed: int, at: int, scale: float) -> float:
    """The plain run's final loss with the gradients of step ``at`` (only) multiplied by ``scale``."""
    setup = case.build(seed)
    nudge = _Nudge(setup, at, scale)
    losses = [setup.train_step(step, nudge) for step in range(case.steps)]
    tail = losses[-max(1, len(losses) // 10):]
    return sum(tail) / len(tail)


def _band(case: Case, seed: int, plain: float) -> tuple[float, float]:
    """The smallest and largest ratio of a nudged plain run to the plain run (see ``--noise``)."""
    ratios = [_nudged(case, seed, int(case.steps * frac), scale) / plain
              for frac in (0.25, 0.5) for scale in (0.9, 0.7)]
    return min(ratios), max(ratios)


def _train(case: Case, seed: int, policy: str | gradguard.Policy | None) -> tuple[float, int, int, float]:
    setup = case.build(seed)
    guard = None
    if policy is not None:
        guard = gradguard.Guard(setup.model, setup.optimizer, policy=policy, scheduler=setup.scheduler)
    losses, clipped, skipped = [], 0, 0
    start = time.perf_counter()
    for step in range(case.steps):
        losses.append(setup.train_step(step, guard))
        report = setup.last_report
        if guard is not None and report is not None:
            clipped += bool(report.applied and report.clip_coef < 0.999)
            skipped += not report.applied
    if guard is not None:
        guard.close()
    tail = losses[-max(1, len(losses) // 10):]
    return sum(tail) / len(tail), clipped, skipped, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", default="", help="comma-separated case names (default: every healthy case)")
    parser.add_argument("--half", default="", help=f"comma-separated halves of {HALVES} (default: all)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--policy", default="safe", help="safe, recover, or safe@C / recover@C for max_norm=C "
                        "(default safe)")
    parser.add_argument("--noise", action="store_true", help="also measure each run's perturbation band (4 more "
                        "plain runs per case and seed)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    names = set(filter(None, args.cases.split(",")))
    halves = set(filter(None, args.half.split(",")))
    cases = [c for c in ALL if c.healthy and (not names or c.name in names) and (not halves or c.half in halves)]
    ratios: dict[str, list[tuple[float, str]]] = {}
    beyond: dict[str, list[str]] = {}
    print(f"| case | half | seed | plain: final loss | {args.policy}: final loss | ratio | clipped steps | "
          "skipped steps |" + (" perturbation band |" if args.noise else ""))
    print("|---|---|---|---|---|---|---|---|" + ("---|" if args.noise else ""))
    for case in cases:
        for seed in (int(s) for s in args.seeds.split(",")):
            plain, _, _, _ = _train(case, seed, None)
            guarded, clipped, skipped, _ = _train(case, seed, _policy(args.policy))
            band = ""
            if plain > 0.01:
                ratios.setdefault(case.half, []).append((guarded / plain, f"{case.name} s{seed}"))
                if args.noise:
                    low, high = _band(case, seed, plain)
                    band = f" {low:.3f}-{high:.3f} |"
                    if guarded / plain > max(1.02, high):
                        beyond.setdefault(case.half, []).append(f"{case.name} s{seed} {guarded / plain:.3f}")
            print(f"| {case.name} | {case.half} | {seed} | {plain:.4g} | {guarded:.4g} | {guarded / plain:.3f} | "
                  f"{clipped}/{case.steps} | {skipped} |{band}", flush=True)
    print("\n| half | runs | worst ratio | median ratio | runs > 1.02x |" + (" > 1.02x and above the band |\n"
          if args.noise else "\n") + "|---|---|---|---|---|" + ("---|" if args.noise else ""))
    for half in HALVES:
        got = sorted(ratios.get(half, []))
        if got:
            worse = ", ".join(f"{name} {r:.3f}" for r, name in got if r > 1.02) or "none"
            print(f"| {half} | {len(got)} | {got[-1][0]:.3f} ({got[-1][1]}) | {got[len(got) // 2][0]:.3f} | {worse} |"
                  + (f" {', '.join(beyond.get(half, [])) or 'none'} |" if args.noise else ""))


if __name__ == "__main__":
    main()
