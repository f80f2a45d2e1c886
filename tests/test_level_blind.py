"""A forecast whose instance normalisation (RevIN) is never undone: check names ``normalization``
(gradguard.diagnosis.levels)."""

from __future__ import annotations

import torch
from torch import nn

import gradguard
from gradguard.diagnosis.batch import resolve_step
from gradguard.diagnosis.levels import level_blind_findings


class RevInLinear(nn.Module):
    """RLinear-like: each series' mean and std out, a Linear over time, optionally put back."""

    def __init__(self, lookback: int = 48, horizon: int = 12, channels: int = 3, undo: bool = True) -> None:
        super().__init__()
        self.undo = undo
        self.norm = nn.BatchNorm1d(channels)  # a buffer-keeping layer: check must put its statistics back
        self.lin = nn.Linear(lookback, horizon)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, L, C) -> (B, H, C)
        mean = x.mean(1, keepdim=True)
        std = x.std(1, keepdim=True) + 1e-5
        z = self.norm(((x - mean) / std).transpose(1, 2))
        y = self.drop(self.lin(z)).transpose(1, 2)
        return y * std + mean if self.undo else y


def _series(seed: int, batch: int = 32, lookback: int = 48, horizon: int = 12, channels: int = 3):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(lookback + horizon, dtype=torch.float32)
    level = 10 + 5 * torch.randn(batch, 1, channels, generator=g)
    wave = torch.sin(t[None, :, None] / 4 + torch.rand(batch, 1, channels, generator=g) * 6)
    s = level + wave + 0.1 * torch.randn(batch, lookback + horizon, channels, generator=g)
    return s[:, :lookback], s[:, lookback:]


def test_forecast_left_normalised_is_named_normalization() -> None:
    torch.manual_seed(0)
    model = RevInLinear(undo=False)
    x, y = _series(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    d = gradguard.check(model, (x, y), nn.functional.mse_loss, opt)
    top = d.findings[0]
    assert top.cause == "normalization" and top.severity == "warning"
    assert top.evidence["level_response_ratio"] < 1e-3 and top.evidence["level_correlation"] > 0.9
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # BatchNorm's buffers put back


def test_denormalised_forecast_is_not_blind() -> None:
    torch.manual_seed(0)
    model = RevInLinear(undo=True)
    x, y = _series(1)
    found, forwards = level_blind_findings(model, resolve_step((x, y), nn.functional.mse_loss, None))
    assert found == [] and forwards == 3
    d = gradguard.check(model, (x, y), nn.functional.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-3))
    assert not any(f.cause == "normalization" and f.severity != "info" for f in d.findings)


def test_targets_without_a_level_or_a_dead_output_are_left_alone() -> None:
    torch.manual_seed(0)
    x, y = _series(2)
    # the targets' levels carry nothing of the inputs': a blind model loses nothing
    y_flat = y - y.mean(1, keepdim=True)
    found, _ = level_blind_findings(RevInLinear(undo=False), resolve_step((x, y_flat), nn.functional.mse_loss, None))
    assert found == []
    # an output that ignores the input altogether is not "blind to the level" (other readings say why)
    dead = RevInLinear(undo=False)
    with torch.no_grad():
        dead.lin.weight.zero_()
    found, forwards = level_blind_findings(dead, resolve_step((x, y), nn.functional.mse_loss, None))
    assert found == [] and forwards == 3
