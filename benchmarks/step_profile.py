"""Where a guarded step's time goes, measured in the training loop (not in isolation).

Wraps the guard's phases with timers while the overhead benchmark's MLP trains, and prints a table of mean
microseconds per step: the statistics pass (``collect``), the host-side unpacking, each detector, the policy and
the optimizer step; and each phase's median per call (preemption on a loaded machine inflates the means, rarely
the medians). In a loop, host work right after the passes over the gradients costs several times what it
costs warm (caches are cold), so figures taken in isolation mislead; these are not.

    python benchmarks/step_profile.py                      # default policy, update_every=10
    python benchmarks/step_profile.py --policy monitor --update-every 0
    python benchmarks/step_profile.py --calls 16,1024      # Python-level calls per step against the tensor count
    python benchmarks/step_profile.py --sync deferred --tensors 1024 --threads 1   # the deferred path (fused AdamW)
    python benchmarks/step_profile.py --twin-ab --tensors 16 --threads 1 --rounds 300   # the twin's two device paths
    python benchmarks/step_profile.py --torch-calls 16 --sync deferred   # torch operations (GPU: launches) per step
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from gradguard import Guard
from overhead import mlp  # the overhead benchmark's model (this folder is on sys.path when run as a script)


def _timed(fn: Callable[..., Any], key: str, totals: dict[str, list[float]]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[key].append(time.perf_counter() - t0)
    return wrapper


def python_calls(n: int, policy: str) -> int:
    """Python-level calls (Python functions and builtins called from Python) of one steady guarded step over ``n``
    tensors of 4,096 elements on fixed gradients, the optimizer's own step left out: load-independent."""
    import sys

    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(64, 64, bias=False) for _ in range(n)])
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    guard = Guard(model, opt, policy=policy, update_every=0)
    opt.step = lambda *a, **k: None  # type: ignore[method-assign]
    for _ in range(30):
        guard.step(0.5)
    calls = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    for _ in range(10):
        guard.step(0.5)
    sys.setprofile(None)
    return calls // 10


def _stubbed(n: int) -> tuple[nn.Module, torch.optim.Optimizer]:
    """``n`` bias-free 64x64 linear layers with fixed gradients and a fused AdamW whose step does nothing."""
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(64, 64, bias=False) for _ in range(n)])
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    opt.step = lambda *a, **k: None  # type: ignore[method-assign]
    return model, opt


def torch_calls(n: int, policy: str, sync: str) -> float:
    """Torch operations (functions and tensor methods through ``__torch_function__``, attribute reads such as
    ``.grad`` left out: each a kernel launch or a view on a GPU) per steady guarded step over ``n`` tensors of 4,096
    elements, fixed gradients, a falling float loss, a fused AdamW whose step is left out; averaged over 50 steps
    (update measurement every 10th)."""
    from torch.overrides import TorchFunctionMode

    from gradguard.policy import chain, clip_by_global_norm, skip_nonfinite

    class Count(TorchFunctionMode):
        calls = 0

        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            Count.calls += getattr(func, "__name__", "") not in ("__get__", "__set__")  # not attribute reads
            return func(*args, **(kwargs or {}))

    model, opt = _stubbed(n)
    pol: Any = chain(skip_nonfinite(), clip_by_global_norm(1e9)) if policy == "skip+clip" else policy
    guard = Guard(model, opt, policy=pol, sync=sync, update_every=10)
    loss = 1.0
    for _ in range(300):
        loss *= 0.999
        guard.step(loss)
    with Count():
        for _ in range(50):
            loss *= 0.999
            guard.step(loss)
    return Count.calls / 50


def twin_ab(policy: str, n: int, rounds: int) -> None:
    """The deferred twin's two device paths in one process, interleaved in shuffled order each round: the table over
    the norm (``DeviceTwin.tabled``, the default) against the per-member path (each member's own device rule), on
    fixed gradients over ``n`` tensors of 4,096 elements (a falling float loss, the optimizer stubbed), with a
    blocking guard and ``clip_grad_norm_`` for scale. Extra CPU microseconds per step against ``clip_grad_norm_``
    and the per-round difference table - per-member: median and 95% bootstrap interval."""
    import random

    from gradguard.policy import chain, clip_by_global_norm, skip_nonfinite

    def make(sync: str, tabled: bool | None) -> Callable[[], None]:
        model, opt = _stubbed(n)
        params = list(model.parameters())
        if sync == "reference":
            return lambda: (torch.nn.utils.clip_grad_norm_(params, 1e9), opt.step()) and None
        pol: Any = chain(skip_nonfinite(), clip_by_global_norm(1e9)) if policy == "skip+clip" else policy
        guard = Guard(model, opt, policy=pol, sync=sync, update_every=10)
        if tabled is not None:
            guard._deferred.twin.tabled = tabled  # type: ignore[union-attr]
        loss = [1.0]

        def step() -> None:
            loss[0] *= 0.999
            guard.step(loss[0])
        return step

    fns = {"clip_grad_norm_": make("reference", None), "blocking": make("blocking", None),
           "deferred, per-member": make("deferred", False), "deferred, table": make("deferred", True)}
    for f in fns.values():
        for _ in range(300):
            f()
    per = max(10, 320 // n)
    times: dict[str, list[float]] = {k: [] for k in fns}
    rng = random.Random(0)
    names = list(fns)
    for _ in range(rounds):
        rng.shuffle(names)
        for k in names:
            t0 = time.thread_time()
            for _ in range(per):
                fns[k]()
            times[k].append((time.thread_time() - t0) / per * 1e6)

    def boot(values: list[float]) -> tuple[float, float]:
        meds = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2000))
        return meds[50], meds[1949]

    print(f"policy {policy!r}, {n} tensors, {rounds} rounds x {per} steps, CPU clock, load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| variant | extra µs/step vs clip_grad_norm_ [95% CI] |")
    print("|---|---:|")
    rows = [(k, [a - b for a, b in zip(times[k], times["clip_grad_norm_"])]) for k in names if k != "clip_grad_norm_"]
    rows.append(("table - per-member", [a - b for a, b in zip(times["deferred, table"],
                                                              times["deferred, per-member"])]))
    for k, d in sorted(rows):
        lo, hi = boot(d)
        print(f"| {k} | {statistics.median(d):.1f} [{lo:.1f}, {hi:.1f}] |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", default="safe")
    ap.add_argument("--update-every", type=int, default=10)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="where the model trains (cuda: the phases' host time, since "
                    "the device work is asynchronous)")
    ap.add_argument("--tensors", type=int, default=0,
                    help="profile a stack of this many Linear(64, 64) layers (tensors of 4,096 elements) instead of "
                         "the MLP")
    ap.add_argument("--sync", choices=["blocking", "deferred"], default="blocking",
                    help="the guard's sync mode (deferred: with a fused AdamW, as it needs)")
    ap.add_argument("--calls", default="", help="comma-separated tensor counts: print Python calls per step")
    ap.add_argument("--twin-ab", action="store_true",
                    help="time the deferred twin's table against its per-member path (--policy safe or skip+clip)")
    ap.add_argument("--rounds", type=int, default=300, help="--twin-ab: interleaved rounds")
    ap.add_argument("--torch-calls", default="", help="comma-separated tensor counts: torch operations per step for "
                    "--policy (safe, skip+clip...) in --sync mode")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.torch_calls:
        print("| tensors | policy | sync | torch operations per guarded step |")
        print("|---:|---|---|---:|")
        for n in (int(c) for c in args.torch_calls.split(",")):
            print(f"| {n} | {args.policy} | {args.sync} | {torch_calls(n, args.policy, args.sync):.1f} |")
        return
    if args.twin_ab:
        twin_ab(args.policy, args.tensors or 16, args.rounds)
        return
    if args.calls:
        print("| tensors | policy | Python-level calls per guarded step |")
        print("|---:|---|---:|")
        for n in (int(c) for c in args.calls.split(",")):
            print(f"| {n} | {args.policy} | {python_calls(n, args.policy)} |")
        return
    torch.manual_seed(0)
    model: nn.Module
    if args.tensors:
        model = nn.Sequential(*[nn.Linear(64, 64, bias=False) for _ in range(args.tensors)])
        x = y = torch.randn(32, 64)
    else:
        model, data = mlp()
        x, y = data()
    model, x, y = model.to(args.device), x.to(args.device), y.to(args.device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=args.sync == "deferred")
    guard = Guard(model, opt, policy=args.policy, update_every=args.update_every, sync=args.sync)
    totals: dict[str, list[float]] = collections.defaultdict(list)
    col = guard._collector
    for name in ("gather", "collect", "unpack", "begin_update", "end_update"):
        setattr(col, name, _timed(getattr(col, name), name, totals))
    act = guard._actuator
    for name in ("act", "clip", "bound_skips"):
        setattr(act, name, _timed(getattr(act, name), f"actuator.{name}", totals))
    guard._finish = _timed(guard._finish, "record (_finish)", totals)  # type: ignore[method-assign]
    guard.detectors = [_timed(d, f"detector {type(d).__name__}", totals)  # type: ignore[misc]
                       for d in guard.detectors]
    guard.policy.decide = _timed(guard.policy.decide, "policy", totals)  # type: ignore[method-assign]
    deferred = guard._deferred
    if deferred is not None:  # the device twin's decision and the read one step late
        deferred.twin.decide = _timed(deferred.twin.decide, "device twin (decide)", totals)  # type: ignore[method-assign]
        deferred._read = _timed(deferred._read, "deferred read (detectors, policy, record)", totals)  # type: ignore[method-assign]
    opt.step = _timed(opt.step, "optimizer.step", totals)  # type: ignore[method-assign]
    step_fn = _timed(guard.step, "guard.step (all of it)", totals)

    def train_step() -> None:
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        step_fn(loss)
        opt.zero_grad(set_to_none=True)

    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    for _ in range(args.warmup):
        train_step()
    sync()
    totals.clear()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        train_step()
    sync()
    wall = time.perf_counter() - t0
    what = f"{args.tensors} x Linear(64, 64)" if args.tensors else "MLP 6x512 batch 256"
    print(f"torch {torch.__version__}, {args.device}, {args.threads} threads, {what}, AdamW, policy={args.policy!r}, "
          f"sync={args.sync!r}, update_every={args.update_every}, {args.steps} steps after {args.warmup} warm-up\n")
    print("| phase | µs per step (mean) | calls per step | µs per call (median) |")
    print("|---|---:|---:|---:|")
    print(f"| whole training step | {wall / args.steps * 1e6:.0f} | 1 | – |")
    for key, times in sorted(totals.items(), key=lambda kv: -sum(kv[1])):
        print(f"| {key} | {sum(times) / args.steps * 1e6:.0f} | {len(times) / args.steps:.2g} | "
              f"{statistics.median(times) * 1e6:.1f} |")


if __name__ == "__main__":
    main()
