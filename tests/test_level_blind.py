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


class CovariateForecaster(nn.Module):
    """``(series, covariates)`` in Conv1d's ``(B, C, T)`` layout; the series normalised by its own statistics and the
    forecast put back with ``stats`` (``"series"``, right; ``"covariates"``, one RevIN instance reused, the slip)."""

    def __init__(self, stats: str, lookback: int = 32, horizon: int = 8) -> None:
        super().__init__()
        self.stats = stats
        self.lin = nn.Linear(2 * lookback, horizon)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, cov = batch
        src = x if self.stats == "series" else cov
        mean, std = src.mean(-1, keepdim=True), src.std(-1, keepdim=True) + 1e-5
        z = (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-5)
        zc = (cov - cov.mean(-1, keepdim=True)) / (cov.std(-1, keepdim=True) + 1e-5)
        return self.lin(torch.cat([z, zc], -1)) * std + mean


def test_series_put_back_with_the_covariates_statistics_is_blind() -> None:
    torch.manual_seed(0)
    x, y = _series(3, lookback=32, horizon=8, channels=4)
    x, y = x.transpose(1, 2), y.transpose(1, 2)  # (B, C, T)
    cov = torch.randn(x.shape, generator=torch.Generator().manual_seed(4)) + 3.0
    step = resolve_step(((x, cov), y), nn.functional.mse_loss, None)
    found, _ = level_blind_findings(CovariateForecaster("covariates"), step)
    assert found and found[0].cause == "normalization" and found[0].evidence["level_correlation"] > 0.9
    assert level_blind_findings(CovariateForecaster("series"), step)[0] == []
