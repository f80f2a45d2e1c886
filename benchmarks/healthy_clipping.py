"""How much ``safe`` clips healthy training: the judgment corpus's healthy models, trained plain and under a guard.

For each healthy case of ``tests/judgment_corpus`` (its own optimizer, scheduler and, where its recipe has one, its
own ``clip_grad_norm_`` before the guard), ``case.steps`` steps plain and with ``Guard(policy=POLICY)``: the mean
loss of the last tenth of the steps, the steps the guard clipped and the steps it skipped. A false alarm costs as
much as a miss: a guard that clips a healthy run into learning slower is visible here as a higher final loss.

    python benchmarks/healthy_clipping.py [--cases a,b] [--half dev,heldout,fresh,fresh2] [--seeds 0,1]
                                          [--policy safe|recover|safe@C]

Each half's summary: the worst and the median ratio of guarded to plain final loss, and the cases more than 2%
worse (a ratio is read only where the plain final loss is above 0.01: below it both runs have learned the data).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

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
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    names = set(filter(None, args.cases.split(",")))
    halves = set(filter(None, args.half.split(",")))
    cases = [c for c in ALL if c.healthy and (not names or c.name in names) and (not halves or c.half in halves)]
    ratios: dict[str, list[tuple[float, str]]] = {}
    print(f"| case | half | seed | plain: final loss | {args.policy}: final loss | ratio | clipped steps | "
          "skipped steps |")
    print("|---|---|---|---|---|---|---|---|")
    for case in cases:
        for seed in (int(s) for s in args.seeds.split(",")):
            plain, _, _, _ = _train(case, seed, None)
            guarded, clipped, skipped, _ = _train(case, seed, _policy(args.policy))
            if plain > 0.01:
                ratios.setdefault(case.half, []).append((guarded / plain, f"{case.name} s{seed}"))
            print(f"| {case.name} | {case.half} | {seed} | {plain:.4g} | {guarded:.4g} | {guarded / plain:.3f} | "
                  f"{clipped}/{case.steps} | {skipped} |", flush=True)
    print("\n| half | runs | worst ratio | median ratio | runs > 1.02x |\n|---|---|---|---|---|")
    for half in HALVES:
        got = sorted(ratios.get(half, []))
        if got:
            worse = ", ".join(f"{name} {r:.3f}" for r, name in got if r > 1.02) or "none"
            print(f"| {half} | {len(got)} | {got[-1][0]:.3f} ({got[-1][1]}) | {got[len(got) // 2][0]:.3f} | {worse} |")


if __name__ == "__main__":
    main()
