"""NaN written as padding into a batch and selected away before the loss: the loss and every gradient are finite, so
check does not say "every gradient will be NaN" (fresh79's MDN-RNN rollouts); a NaN that reaches the loss still is
``data``, critical (gradguard.diagnosis.numeric)."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def _padded(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 12, 3, generator=g)
    y = x.sum(-1, keepdim=True) + 0.1 * torch.randn(32, 12, 1, generator=g)
    lengths = torch.randint(6, 13, (32,), generator=g)
    y[torch.arange(12)[None, :] >= lengths[:, None]] = float("nan")  # padding written as NaN
    return x, y


def _masked_mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    valid = ~torch.isnan(y)
    return ((out[valid] - y[valid]) ** 2).mean()


def _multiplied_mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    mask = (~torch.isnan(y)).float()
    return (((out - y) ** 2) * mask).sum() / mask.sum()  # NaN * 0 is NaN


def _critical_data(d: gradguard.Diagnosis) -> list[gradguard.Finding]:
    return [f for f in d.findings if f.cause == "data" and "non_finite_in" in f.evidence and f.severity == "critical"]


def test_nan_padding_selected_away_is_not_a_critical_data_finding() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    d = gradguard.check(model, _padded(0), _masked_mse, torch.optim.Adam(model.parameters(), lr=1e-3))
    assert not _critical_data(d)
    info = [f for f in d.findings if f.evidence.get("loss_and_gradients_finite")]
    assert info and info[0].severity == "info" and info[0].evidence["non_finite_in"] == ["targets"]


def test_nan_padding_that_reaches_the_loss_is_still_critical() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    d = gradguard.check(model, _padded(1), _multiplied_mse, torch.optim.Adam(model.parameters(), lr=1e-3))
    assert _critical_data(d) and d.findings[0].cause == "data"
