"""On a CUDA device: count the host syncs of a steady-state guarded step with torch's own sync detector.

``torch.cuda.set_sync_debug_mode("warn")`` makes every synchronising CUDA call (a device-to-host copy, ``.item()``,
``nonzero`` ...) raise a warning. A guarded step should cost exactly one: the batched statistics read.

    python benchmarks/gpu_sync_check.py
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

import gradguard
from gradguard import Guard


def count_syncs(policy: object, optimizer: str, steps: int = 10) -> list[int]:
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(512, 512), nn.ReLU())]).cuda()
    opt = (torch.optim.AdamW(model.parameters(), lr=1e-4) if optimizer == "adamw"
           else torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9))
    guard = Guard(model, opt, policy=policy)  # type: ignore[arg-type]
    x, y = torch.randn(256, 512, device="cuda"), torch.randn(256, 512, device="cuda")

    def one() -> None:
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        guard.step(loss)
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
            guard.step(loss)
            torch.cuda.set_sync_debug_mode("default")
        counts.append(sum("synchroniz" in str(w.message) for w in caught))
        opt.zero_grad(set_to_none=True)
    return counts


def main() -> None:
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}")
    print("| policy | optimizer | host syncs per guarded step (10 steady-state steps) |")
    print("|---|---|---|")
    for name, policy in (("monitor", "monitor"), ("safe", "safe"),
                         ("skip+clip_by_global_norm", gradguard.chain(gradguard.skip_nonfinite(),
                                                                      gradguard.clip_by_global_norm(1e-3)))):
        for optimizer in ("sgd", "adamw"):
            print(f"| {name} | {optimizer} | {count_syncs(policy, optimizer)} |", flush=True)


if __name__ == "__main__":
    main()
