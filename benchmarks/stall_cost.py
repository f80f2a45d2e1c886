"""The stall detector's per-step host cost on synthetic statistics, optionally against another version of gradguard.

Two loss series, 64 layers, an update measurement every 10 steps: ``falling`` (a run that learns: no event) and
``flat`` (a run stuck at its start while its weights move hard: ``not_learning`` at step 50, then an episode that
stays on). Each round times every version in a fresh worker process (interleaved: old, new, old, new...); the table
gives the median us/step over rounds, the median of the per-round ratios, and whether the events are the same.

    python benchmarks/stall_cost.py                                   # this tree only
    git archive <commit> | tar -x -C /tmp/old                         # a version to compare with
    python benchmarks/stall_cost.py --against /tmp/old/src --rounds 9

CPU, one thread; on a loaded machine compare the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _worker(kind: str, steps: int, layers: int) -> None:
    import numpy as np

    from gradguard.detectors import StallDetector
    from gradguard.stats import StepStats, UpdateStats

    rng = np.random.default_rng(0)
    data = []
    for s in range(steps):
        loss = (4.0 * math.exp(-s / 300) + 0.5 + 0.05 * rng.normal() if kind == "falling"
                else 2.3026 + 1e-3 * rng.normal())
        st = StepStats(step=s, loss=loss, grad_norm=1.0, scale=None, lrs=(0.1,), layer_grad_norm=np.ones(layers),
                       layer_grad_maxabs=np.ones(layers), layer_grad_nonfinite=np.zeros(layers, np.int64),
                       layer_weight_norm=np.full(layers, 10.0), layer_has_grad=np.ones(layers, bool))
        ratio = np.full(layers, 0.3 if kind == "flat" else 0.01)
        up = UpdateStats(step=s, layer_update_norm=ratio * 10, layer_update_ratio=ratio) if s % 10 == 0 else None
        data.append((st, up))
    best = math.inf
    for _ in range(3):  # the best of three passes: preemption on a shared machine only ever adds time
        det, events = StallDetector(), []
        t = time.perf_counter()
        for st, up in data:
            if up is not None:
                det.observe_update(up)
            events += det(st, [])
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"us": best / steps * 1e6, "events": [[e.step, e.evidence.get("mode")] for e in events]}))


def _run(src: Path, kind: str, steps: int, layers: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, __file__, "--worker", kind, "--steps", str(steps), "--layers", str(layers)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, default=None, help="another version's src directory")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--layers", type=int, default=64)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.steps, args.layers)
        return
    versions = {"this tree": SRC} | ({"against": args.against} if args.against else {})
    print("| loss | version | us/step (median of rounds) | ratio to 'against' (median per round) | events |")
    print("|---|---|---|---|---|")
    for kind in ("falling", "flat"):
        times: dict[str, list[float]] = {v: [] for v in versions}
        events: dict[str, list] = {}
        for _ in range(args.rounds):
            for name, src in reversed(list(versions.items())):
                r = _run(src, kind, args.steps, args.layers)
                times[name].append(r["us"])
                events[name] = r["events"]
        for name in versions:
            ratio = "-"
            if args.against and name == "this tree":
                ratio = f"{statistics.median(a / b for a, b in zip(times[name], times['against'], strict=True)):.2f}"
            same = "" if not args.against else (" (same as against)" if events[name] == events["against"]
                                                 else " (DIFFERENT from against)")
            print(f"| {kind} | {name} | {statistics.median(times[name]):.1f} | {ratio} | {len(events[name])}{same} |")


if __name__ == "__main__":
    main()
