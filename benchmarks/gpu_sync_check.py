"""On a CUDA device: count the host syncs of steady-state guarded steps with torch's own sync detector.

``torch.cuda.set_sync_debug_mode("warn")`` makes every synchronising CUDA call (a device-to-host copy, ``.item()``,
``nonzero`` ...) raise a warning. A blocking guarded step should cost exactly one (the batched statistics read); a
``sync="deferred"`` step none (target 0: decisions on the device, the statistics read a step later from pinned
memory after an event; with ``skip_outliers`` the previous step is read before this step's optimizer step, an
event wait on work issued a step earlier, which the count shows if torch counts event waits). Run it in one go
on a GPU machine (about a minute), then the overhead table:

    python benchmarks/gpu_sync_check.py
    python benchmarks/overhead.py --device cuda --rounds 9 --warmup 30
    python benchmarks/overhead.py --device cuda --sweep --rounds 7 --counts 16,256,1024,4096
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

import gradguard
from gradguard import Guard


def count_syncs(policy: object, optimizer: str, sync: str = "blocking", steps: int = 10,
                trainer: bool = False) -> list[int]:
    """Synchronising calls inside each steady ``guard.step`` (``trainer``: inside ``guard.observe``, the trainer
    stepping the optimizer itself after it)."""
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(512, 512), nn.ReLU())]).cuda()
    fused = optimizer.endswith("fused")
    opt = (torch.optim.AdamW(model.parameters(), lr=1e-4, fused=fused) if optimizer.startswith("adamw")
           else torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9, fused=fused))
    guard = Guard(model, opt, policy=policy, sync=sync)  # type: ignore[arg-type]
    x, y = torch.randn(256, 512, device="cuda"), torch.randn(256, 512, device="cuda")

    def guarded(loss: torch.Tensor) -> None:
        if trainer:
            guard.observe(loss)
        else:
            guard.step(loss)

    def one() -> None:
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        guarded(loss)
        if trainer:
            opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(3):
        one()
    torch.cuda.synchronize()
    counts = []
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        torch.cuda.synchronize()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            guarded(loss)
            torch.cuda.set_sync_debug_mode("default")
        counts.append(sum("synchroniz" in str(w.message) for w in caught))
        if trainer:
            opt.step()
        opt.zero_grad(set_to_none=True)
    guard.close()
    return counts


def main() -> None:
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}")
    print("| policy | optimizer | sync | host syncs per guarded step (10 steady-state steps) |")
    print("|---|---|---|---|")
    skip_clip = gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1e-3))
    for name, policy in (("monitor", "monitor"), ("safe", "safe"), ("skip+clip_by_global_norm", skip_clip)):
        for optimizer in ("sgd", "adamw"):
            print(f"| {name} | {optimizer} | blocking | {count_syncs(policy, optimizer)} |", flush=True)
    outliers = gradguard.chain(gradguard.skip_nonfinite(), gradguard.skip_outliers(),
                               gradguard.clip_by_global_norm(1e-3))
    for name, policy in (("monitor", "monitor"), ("skip+clip_by_global_norm", skip_clip),
                         ("skip+skip_outliers+clip_by_global_norm", outliers)):
        for optimizer in ("sgd-fused", "adamw-fused"):
            print(f"| {name} | {optimizer} | deferred | {count_syncs(policy, optimizer, 'deferred')} |", flush=True)
    for name, policy in (("skip+clip_by_global_norm", skip_clip), ("skip+skip_outliers+clip_by_global_norm", outliers)):
        counts = count_syncs(policy, "adamw-fused", "deferred", trainer=True)
        print(f"| {name} (observe, the trainer steps) | adamw-fused | deferred | {counts} |", flush=True)


if __name__ == "__main__":
    main()
