"""A short run that goes non-finite whatever the remedy is an arithmetic fault (fresh88's RQ-VAE, session 38).

The RQ-VAE de-biases its codebook's EMA by ``1 - 0.99 ** n`` with ``n`` counted from 0 at its first update: 0/0,
NaN from the second step at any learning rate, init, input scale or precision. ``check`` saw nothing on the first
step (the forward is finite), its short run went non-finite at step 1, and no remedy restored it: it said healthy.
Now it says ``numeric``, critical, with the step and the remedies tried. A count from 1 is healthy.
"""

from __future__ import annotations

import math

import torch
from torch import nn

import gradguard


class DebiasedScale(nn.Module):
    """Scales its input by a de-biased EMA of its RMS, updated after each training forward."""

    def __init__(self, first_count: int) -> None:
        super().__init__()
        self.register_buffer("acc", torch.full((), 0.0 if first_count == 0 else 0.01))
        self.register_buffer("scale", torch.ones(()))
        self.register_buffer("n", torch.tensor(float(first_count)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x / self.scale.clone()  # the buffer is updated in place below
        if self.training:
            with torch.no_grad():
                self.scale.copy_(self.acc / (1 - 0.99 ** self.n))  # de-biased before this step's update
                self.acc.mul_(0.99).add_(0.01 * x.pow(2).mean().sqrt())
                self.n.add_(1)
        return out


def _check(first_count: int) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), DebiasedScale(first_count), nn.ReLU(), nn.Linear(32, 1))
    x = torch.randn(64, 8)
    y = x[:, :2].sum(1, keepdim=True)
    return gradguard.check(model, (x, y), nn.functional.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))


def test_a_run_no_remedy_keeps_finite_is_named_numeric() -> None:
    d = _check(0)
    top = d.top
    assert top is not None and top.cause == "numeric" and top.severity == "critical"
    assert top.evidence["non_finite_at_step"] == 1 and len(top.evidence["remedies_tried"]) >= 3
    assert not math.isfinite(top.evidence["user_losses"][-1])


def test_the_count_from_one_is_healthy() -> None:
    assert _check(1).healthy
