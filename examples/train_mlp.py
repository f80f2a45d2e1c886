"""A plain PyTorch loop with the two gradguard lines, on a model that would blow up without them.

    python examples/train_mlp.py            # writes runs/example/run.sqlite
"""

from __future__ import annotations

import math

import torch
from torch import nn

import gradguard


def main(steps: int = 200, run_dir: str = "runs/example") -> None:
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(8) for m in (nn.Linear(64, 64), nn.ReLU())], nn.Linear(64, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.functional.mse_loss
    w = torch.randn(64, 1)

    guard = gradguard.Guard(model, optimizer, run_dir=run_dir, loss_fn=loss_fn, resume=True)
    for step in range(steps):
        x = torch.randn(128, 64)
        y = torch.tanh(x @ w)
        if step == 50:
            x[0, 0] = float("nan")  # a poisoned batch: the guard skips the step instead of losing the run
        loss = loss_fn(model(x), y)
        loss.backward()
        report = guard.step(loss, inputs=x, targets=y)
        optimizer.zero_grad(set_to_none=True)
        for event in report.events:
            origin = event.evidence.get("origin", {}).get("detail", "")
            print(f"step {event.step}: {event.kind}: {event.message} {origin}")
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step}: loss {loss.item():.4f}, grad norm {report.grad_norm:.3g}, applied {report.applied}")
    guard.close()
    assert all(math.isfinite(p.detach().abs().sum().item()) for p in model.parameters())
    print(f"run record: {run_dir}/run.sqlite")


if __name__ == "__main__":
    main()
