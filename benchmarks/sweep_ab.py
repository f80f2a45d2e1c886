"""The tensor-count sweep of ``overhead.py`` as an A/B between this tree and another version of gradguard.

Each round runs one fresh worker process per version (interleaved: old, new, new, old, ...), and each worker times
the sweep's variants against ``clip_grad_norm_`` (fixed gradients, one CPU thread, this thread's CPU clock, the
optimizer stubbed unless ``--real-optimizer``). The table gives, per version, the median extra milliseconds per
step over the rounds with a 95% bootstrap interval, and the median of the per-round differences new - old with its
interval: on a loaded machine the difference within a round is what resolves a change.

    git archive <commit> src | tar -x -C /tmp/old
    python benchmarks/sweep_ab.py --against /tmp/old/src --counts 16,1024 --rounds 8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def worker(args: argparse.Namespace) -> None:
    import torch

    import overhead as ov

    torch.set_num_threads(1)
    ov.STUB_OPTIMIZER[0] = not args.real_optimizer
    ov.SWEEP_LOSS[0] = args.loss
    n = args.n
    names = [v for v in ov.SWEEP_VARIANTS if v.startswith("clip_grad_norm_") or any(
        w in v for w in args.variants.split(","))]
    steps = {v: ov.sweep_step(v, n, "cpu") for v in names}
    for v in names:
        for _ in range(args.warmup):
            steps[v]()
    per = max(10, 1024 // n)
    times: dict[str, list[float]] = {v: [] for v in names}
    for r in range(args.inner):
        for v in (names if r % 2 == 0 else names[::-1]):
            t0 = time.thread_time()
            for _ in range(per):
                steps[v]()
            times[v].append((time.thread_time() - t0) / per * 1e3)
    out = {}
    for v in names:
        if v.startswith("clip_grad_norm_"):
            continue
        ref = times["clip_grad_norm_, fused AdamW" if "fused" in v else "clip_grad_norm_"]
        out[v] = statistics.median(a - b for a, b in zip(times[v], ref))
    print(json.dumps(out))


def boot(values: list[float], n: int = 2000) -> tuple[float, float]:
    import random

    rng = random.Random(0)
    meds = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="the other version's src directory")
    ap.add_argument("--this", default=str(SRC),
                    help="the new version's src directory (default: this tree's; on a shared tree, a copy holding "
                         "only the change being measured)")
    ap.add_argument("--counts", default="16,1024")
    ap.add_argument("--rounds", type=int, default=8, help="worker pairs per tensor count")
    ap.add_argument("--inner", type=int, default=7, help="interleaved timing rounds inside each worker")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--loss", choices=["constant", "falling"], default="falling")
    ap.add_argument("--variants", default="default policy,skip+clip",
                    help="comma-separated substrings of the sweep's variant names")
    ap.add_argument("--real-optimizer", action="store_true", help="time the AdamW step too (not stubbed)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=16, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    versions = {"old": str(Path(args.against).resolve()), "new": str(Path(args.this).resolve())}
    print(f"sweep A/B: {args.rounds} worker pairs x {args.inner} rounds, {args.loss} loss, optimizer "
          f"{'real' if args.real_optimizer else 'stubbed'}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| tensors | variant | old extra ms (95% CI) | new extra ms (95% CI) | new - old (95% CI) |")
    print("|---:|---|---:|---:|---:|")
    for n in (int(c) for c in args.counts.split(",")):
        res: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
        for r in range(args.rounds):
            for name in (("old", "new") if r % 2 == 0 else ("new", "old")):
                env = {**os.environ, "PYTHONPATH": os.pathsep.join([versions[name], str(HERE)]),
                       "OMP_NUM_THREADS": "1"}
                cmd = [sys.executable, __file__, "--worker", "--n", str(n), "--against", args.against,
                       "--inner", str(args.inner), "--warmup", str(args.warmup), "--loss", args.loss,
                       "--variants", args.variants] + (["--real-optimizer"] if args.real_optimizer else [])
                line = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
                for v, x in json.loads(line.strip().splitlines()[-1]).items():
                    res[name].setdefault(v, []).append(x)
        for v in res["new"]:
            old, new = res["old"][v], res["new"][v]
            diff = [b - a for a, b in zip(old, new)]
            (ol, oh), (nl, nh), (dl, dh) = boot(old), boot(new), boot(diff)
            print(f"| {n} | {v} | {statistics.median(old):.3f} ({ol:.3f}–{oh:.3f}) | {statistics.median(new):.3f} "
                  f"({nl:.3f}–{nh:.3f}) | {statistics.median(diff):+.3f} ({dl:+.3f}–{dh:+.3f}) |", flush=True)


if __name__ == "__main__":
    main()
