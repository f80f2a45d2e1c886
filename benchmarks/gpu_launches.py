"""On a CUDA device: kernel launches and host-device calls per steady training step, with and without the guard.

The small reference models are bound by kernel launches on a GPU (the GPU waits on the host), so each launch the
guard adds shows in the step time. This counts them with ``torch.profiler`` (CPU activity: the CUDA runtime calls)
on the MLP 6x512 (batch 256, fused AdamW) over 10 steady steps after 30 warm-up steps, and prints the top aten
operators per step. Run: ``python benchmarks/gpu_launches.py`` (from ``benchmarks/gpu_all.sh``).
"""

from __future__ import annotations

import time

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

import gradguard
from gradguard import Guard

#: the runtime calls counted (launches, copies, waits)
CALLS = ("cudaLaunchKernel", "cudaLaunchKernelExC", "cuLaunchKernel", "cudaMemcpyAsync", "cudaEventRecord",
         "cudaStreamWaitEvent", "cudaEventSynchronize", "cudaStreamSynchronize")
VARIANTS = ("plain", "clip_grad_norm_", "guard monitor, blocking", "guard safe, blocking",
            "guard skip+clip, deferred", "guard safe, deferred")


def _policy(variant: str) -> object:
    if "skip+clip" in variant:
        return gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1e-3))
    return "monitor" if "monitor" in variant else "safe"


def count(variant: str, steps: int = 10) -> tuple[float, dict[str, float], list[tuple[str, float]]]:
    """(ms per step, runtime calls per step, the top aten operators per step) for one variant."""
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(512, 512), nn.ReLU())]).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    guard = None
    if variant.startswith("guard"):
        guard = Guard(model, opt, policy=_policy(variant),  # type: ignore[arg-type]
                      sync="deferred" if "deferred" in variant else "blocking")
    x, y = torch.randn(256, 512, device="cuda"), torch.randn(256, 512, device="cuda")

    def one() -> None:
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        if guard is not None:
            guard.step(loss)
        else:
            if variant == "clip_grad_norm_":
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(30):
        one()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            one()
        torch.cuda.synchronize()
    calls: dict[str, float] = {}
    for e in prof.events():
        if e.name in CALLS:
            calls[e.name] = calls.get(e.name, 0.0) + 1.0 / steps
    ops = [(e.key, e.count / steps) for e in prof.key_averages() if e.key.startswith("aten::") and e.count >= steps]
    t0 = time.perf_counter()
    for _ in range(50):
        one()
    torch.cuda.synchronize()
    if guard is not None:
        guard.close()
    return (time.perf_counter() - t0) / 50 * 1e3, calls, sorted(ops, key=lambda kv: -kv[1])[:12]


def main() -> None:
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}; MLP 6x512, batch 256, fused AdamW; per step")
    print("| variant | ms/step (50 steps, one run) | kernel launches | copies | waits |")
    print("|---|---:|---:|---:|---:|")
    details = []
    for v in VARIANTS:
        ms, calls, ops = count(v)
        launches = sum(n for k, n in calls.items() if "Launch" in k)
        waits = sum(n for k, n in calls.items() if "Synchronize" in k or "WaitEvent" in k)
        print(f"| {v} | {ms:.2f} | {launches:.1f} | {calls.get('cudaMemcpyAsync', 0):.1f} | {waits:.1f} |", flush=True)
        details.append((v, calls, ops))
    for v, calls, ops in details:
        print(f"\n{v}: " + ", ".join(f"{k} {n:.1f}" for k, n in sorted(calls.items())))
        print("  aten: " + ", ".join(f"{k[6:]} {n:.1f}" for k, n in ops))


if __name__ == "__main__":
    main()
