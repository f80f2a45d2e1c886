"""The guard's overhead on the reference models, resolved on a shared machine: two measurements in one run.

1. **Whole step, A/B**: many short rounds, each timing ``--steps`` training steps of the reference
   (``clip_grad_norm_`` + the same optimizer) and of the guarded step back to back (order alternating), on this
   thread's CPU clock (``time.thread_time``: waiting for a core does not count). The ratio is the median of the
   per-round ratios; its spread is the 95% bootstrap interval of that median (resampling rounds) next to the
   interquartile range of single rounds.
2. **The guard's own extra host work, inside the same steps**: every step's parts are timed too: forward+backward,
   and either ``guard.step`` (which calls the optimizer) or ``clip_grad_norm_`` + ``optimizer.step``. The extra is
   median(guard.step) - median(clip + optimizer.step); the ratio 1 + extra / median(reference step), with a
   bootstrap interval (steps resampled in each variant). A forward+backward that got slower under the guard (a
   cache effect) would be missed by it: both medians are printed to show whether it did.

    python benchmarks/overhead_ab.py                          # both models, default policy, 80 rounds x 2 steps
    python benchmarks/overhead_ab.py --variant deferred       # deferred default policy vs clip, fused AdamW

CPU, one torch thread. A target is claimed met only where the whole interval lies under it.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from gradguard import Guard
from overhead import MODELS  # the reference models (this folder is on sys.path when run as a script)

CLOCK = time.thread_time


def _boot_median(values: list[float], n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval of the median of ``values``."""
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n) - 1]


def _boot_extra(guarded: list[float], ref: list[float], base: list[float], n: int = 2000,
                seed: int = 1) -> tuple[float, float]:
    """95% bootstrap interval of 1 + (median(guarded) - median(ref)) / median(base), each list resampled."""
    rng = random.Random(seed)
    out = sorted(1 + (statistics.median(rng.choices(guarded, k=len(guarded)))
                      - statistics.median(rng.choices(ref, k=len(ref))))
                 / statistics.median(rng.choices(base, k=len(base))) for _ in range(n))
    return out[int(0.025 * n)], out[int(0.975 * n) - 1]


def make(model: nn.Module, guarded: bool, deferred: bool) -> tuple[Callable[..., None], dict[str, list[float]]]:
    """A training step on ``model`` that records its parts' CPU times."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=deferred)
    guard = Guard(model, opt, sync="deferred" if deferred else "blocking") if guarded else None
    parts: dict[str, list[float]] = {"fwd+bwd": [], "tail": [], "step": []}
    params = list(model.parameters())

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        t0 = CLOCK()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        t1 = CLOCK()
        if guard is not None:
            guard.step(loss)
        else:
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        t2 = CLOCK()
        opt.zero_grad(set_to_none=True)
        t3 = CLOCK()
        parts["fwd+bwd"].append(t1 - t0)
        parts["tail"].append(t2 - t1)
        parts["step"].append(t3 - t0)

    return step, parts


def run(name: str, rounds: int, steps: int, warmup: int, deferred: bool) -> None:
    torch.manual_seed(0)
    base, data = MODELS[name]()
    x, y = data()
    ref, ref_parts = make(copy.deepcopy(base), False, deferred)
    grd, grd_parts = make(copy.deepcopy(base), True, deferred)
    for _ in range(warmup):
        ref(x, y)
        grd(x, y)
    for p in (*ref_parts.values(), *grd_parts.values()):
        p.clear()
    ratios = []
    for r in range(rounds):
        t = {}
        for which, fn in ((("ref", ref), ("grd", grd)) if r % 2 == 0 else (("grd", grd), ("ref", ref))):
            t0 = CLOCK()
            for _ in range(steps):
                fn(x, y)
            t[which] = CLOCK() - t0
        ratios.append(t["grd"] / t["ref"])
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    lo, hi = _boot_median(ratios)
    med = statistics.median
    extra_ms = (med(grd_parts["tail"]) - med(ref_parts["tail"])) * 1e3
    elo, ehi = _boot_extra(grd_parts["tail"], ref_parts["tail"], ref_parts["step"])
    print(f"| {name} | {med(ref_parts['step']) * 1e3:.2f} | {med(ratios):.3f} [{lo:.3f}–{hi:.3f}] "
          f"(rounds IQR {q1:.3f}–{q3:.3f}) | {extra_ms:+.3f} | "
          f"{1 + extra_ms / 1e3 / med(ref_parts['step']):.4f} [{elo:.4f}–{ehi:.4f}] | "
          f"{med(ref_parts['fwd+bwd']) * 1e3:.2f} / {med(grd_parts['fwd+bwd']) * 1e3:.2f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=80)
    ap.add_argument("--steps", type=int, default=2, help="steps per variant per round")
    ap.add_argument("--warmup", type=int, default=40)
    ap.add_argument("--variant", choices=["blocking", "deferred"], default="blocking",
                    help="blocking: default policy, AdamW; deferred: default policy deferred, fused AdamW (the "
                         "reference uses the same optimizer)")
    ap.add_argument("--only", choices=sorted(MODELS), default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    load0 = os.getloadavg()
    print(f"torch {torch.__version__}, 1 thread, CPU clock, guard {args.variant} (default policy) against "
          f"clip_grad_norm_ + {'fused ' if args.variant == 'deferred' else ''}AdamW, {args.rounds} rounds x "
          f"{args.steps} steps, load average at start {load0[0]:.1f}\n")
    print("| model | reference ms/step | whole-step ratio [95% CI of the median] | guard's extra host ms/step "
          "(guard.step - clip - optimizer.step) | ratio from the extra [95% CI] | fwd+bwd ms, reference / guarded |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in MODELS:
        if (args.only and name != args.only) or (not args.only and name.startswith("small")):
            continue
        run(name, args.rounds, args.steps, args.warmup, args.variant == "deferred")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
