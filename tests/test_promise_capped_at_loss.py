"""A step's first-order promise is capped at the loss itself (real code: rtdl's tabular ResNet at AdamW 0.03).

Adam's first step moves every weight by about lr, so ``<g, dW>`` is lr times the gradient's L1 norm: 51.7 on a loss of
1.59 for rtdl's ResNet at 100x its rate. The loss then rose to 2.89 on its own batch, 0.025 of that promise, under the
0.1 bar, and ``check`` called the model healthy (the run ends 3.6x worse than at its published rate). A loss bounded
below by 0 cannot fall by more than itself: the rise is measured against ``min(promise, 5 x loss)``, so a step past
the linear regime is told when it raises the loss by half (5x, not 1x: a healthy detector at SGD 0.016 rises 16% on
its batch at its first step). At the usual rates (3e-4 to 3e-3) the same model's loss falls and nothing is said.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _TabularResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(16, 128)
        self.blocks = nn.ModuleList(nn.Sequential(nn.BatchNorm1d(128), nn.Linear(128, 512), nn.ReLU(), nn.Dropout(0.1),
                                                  nn.Linear(512, 128)) for _ in range(3))
        self.out = nn.Sequential(nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


def _check(lr: float, seed: int) -> gradguard.Diagnosis:
    torch.manual_seed(seed)
    x = torch.randn(256, 16)
    y = x[:, :4].sum(1, keepdim=True) / 2 + 0.1 * torch.randn(256, 1)
    model = _TabularResNet()
    return gradguard.check(model, (x, y), F.mse_loss, torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5))


@pytest.mark.parametrize("seed", [0, 1])
def test_rise_against_a_promise_beyond_the_loss_is_lr(seed: int) -> None:
    d = _check(0.03, seed)
    assert d.top is not None and d.top.cause == "lr" and d.top.severity in ("warning", "critical")
    assert d.top.evidence["loss_after_step"] > 1.5 * d.top.evidence["loss_before"]


def test_usual_rate_stays_healthy() -> None:
    assert _check(1e-3, 0).healthy
