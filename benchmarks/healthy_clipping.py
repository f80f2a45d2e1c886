"""How much ``safe`` clips healthy training: the judgment corpus's healthy models, trained plain and under a guard.

For each healthy case of ``tests/judgment_corpus`` (its own optimizer, scheduler and, where its recipe has one, its
own ``clip_grad_norm_`` before the guard), ``case.steps`` steps plain and with ``Guard(policy=POLICY)``: the mean
loss of the last tenth of the steps, the steps the guard clipped and the steps it skipped. A false alarm costs as
much as a miss: a guard that clips a healthy run into learning slower is visible here as a higher final loss.

    python benchmarks/healthy_clipping.py [--cases a,b] [--half dev|heldout] [--seeds 0] [--policy safe]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.judgment_corpus import HEALTHY, Case

import gradguard


def _train(case: Case, seed: int, policy: str | None) -> tuple[float, int, int, float]:
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
    parser.add_argument("--half", default="", help="dev or heldout (default: both)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--policy", default="safe", help="the guard's policy (default safe)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    names = set(filter(None, args.cases.split(",")))
    cases = [c for c in HEALTHY if (not names or c.name in names) and (not args.half or c.half == args.half)]
    print(f"| case | half | seed | plain: final loss | {args.policy}: final loss | ratio | clipped steps | "
          "skipped steps |")
    print("|---|---|---|---|---|---|---|---|")
    for case in cases:
        for seed in (int(s) for s in args.seeds.split(",")):
            plain, _, _, _ = _train(case, seed, None)
            guarded, clipped, skipped, _ = _train(case, seed, args.policy)
            print(f"| {case.name} | {case.half} | {seed} | {plain:.4g} | {guarded:.4g} | {guarded / plain:.3f} | "
                  f"{clipped}/{case.steps} | {skipped} |", flush=True)


if __name__ == "__main__":
    main()
