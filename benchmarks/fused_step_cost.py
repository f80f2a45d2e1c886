"""What a fused optimizer step costs with the guard's device-side inputs: ``grad_scale`` (the clip, as 1 / coef),
``found_inf`` (the skip flag), both, and a separate ``_foreach_mul_`` of the gradients before a plain step (how
``clip_grad_norm_`` and the non-fused path clip).

On CPU torch's fused Adam(W) takes ``found_inf`` back off its step counters with one ``_foreach_sub_`` of a list of
tensors, which runs tensor by tensor: that is the deferred mode's cost inside the optimizer (on CUDA one fused
kernel). ``grad_scale`` is applied inside the kernel's own pass.

    python benchmarks/fused_step_cost.py --tensors 16,1024
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch


def variants(n: int, kind: str) -> dict[str, Callable[[], None]]:
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(64, 64)) for _ in range(n)]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    extra = {"momentum": 0.9} if kind == "SGD" else {}
    opt = getattr(torch.optim, kind)(params, lr=1e-6, fused=True, **extra)
    one, coef = torch.tensor(1.0), torch.tensor(1.0, dtype=torch.float64)
    grads = [p.grad for p in params if p.grad is not None]

    def plain() -> None:
        opt.step()

    def grad_scale() -> None:
        opt.grad_scale = one  # type: ignore[attr-defined]
        opt.step()
        del opt.grad_scale  # type: ignore[attr-defined]

    def found_inf() -> None:
        opt.found_inf = torch.zeros(())  # type: ignore[attr-defined]
        opt.step()
        del opt.found_inf  # type: ignore[attr-defined]

    def both() -> None:
        opt.grad_scale, opt.found_inf = one, torch.zeros(())  # type: ignore[attr-defined]
        opt.step()
        del opt.grad_scale, opt.found_inf  # type: ignore[attr-defined]

    def multiply() -> None:
        torch._foreach_mul_(grads, coef.to(torch.float32))
        opt.step()

    return {"plain step": plain, "grad_scale": grad_scale, "found_inf": found_inf,
            "found_inf + grad_scale": both, "_foreach_mul_ + plain step": multiply}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tensors", default="16,1024", help="tensor counts (tensors of 4,096 elements)")
    ap.add_argument("--optimizer", default="AdamW", choices=["AdamW", "Adam", "SGD", "Adagrad"])
    ap.add_argument("--rounds", type=int, default=40)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, fused {args.optimizer}, 1 thread, CPU clock, {args.rounds} interleaved rounds, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| tensors | variant | ms per step (median) | vs plain step |")
    print("|---:|---|---:|---:|")
    for n in (int(c) for c in args.tensors.split(",")):
        fns = variants(n, args.optimizer)
        for _ in range(3):
            for f in fns.values():
                f()
        times: dict[str, list[float]] = {k: [] for k in fns}
        for r in range(args.rounds):
            for k in (list(fns) if r % 2 == 0 else list(fns)[::-1]):
                t0 = time.thread_time()
                fns[k]()
                times[k].append(time.thread_time() - t0)
        base = statistics.median(times["plain step"])
        for k, t in times.items():
            print(f"| {n} | {k} | {statistics.median(t) * 1e3:.3f} | {(statistics.median(t) - base) * 1e3:+.3f} |",
                  flush=True)


if __name__ == "__main__":
    main()
