"""A step of a sane size that raises the loss, where no fraction of it lowers the loss either, is not a learning
rate that is too large: the update is not a descent direction of that loss (targets that move with the weights, as a
bootstrapped TD or expectile target's do: held-out ``fresh116``'s IQL at Adam 1e-3 was told ``lr``, warning)."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))


def test_a_loss_whose_target_moves_with_the_weights_is_not_told_lr() -> None:
    model = _model()
    x = torch.randn(64, 8, generator=torch.Generator().manual_seed(1))

    def closure(m: nn.Module) -> torch.Tensor:
        out = m(x)
        return ((out - 2 * out.detach() - 0.5) ** 2).mean()  # the target moves away as the output moves

    d = gradguard.check(model, closure=closure, optimizer=torch.optim.Adam(model.parameters(), 1e-3))
    lr = [f for f in d.findings if f.cause == "lr"]
    assert d.healthy and lr and lr[0].severity == "info", d.findings
    assert lr[0].evidence["uphill_at_every_size"] is True and "not a descent direction" in lr[0].message


def test_a_step_too_large_for_a_fixed_target_is_still_lr() -> None:
    model = _model()
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 8, generator=g), torch.randn(64, 1, generator=g)
    d = gradguard.check(model, (x, y), nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=5.0))
    assert d.top is not None and d.top.cause == "lr" and d.top.severity in ("warning", "critical"), d.findings
    assert d.top.evidence["uphill_at_every_size"] is False
