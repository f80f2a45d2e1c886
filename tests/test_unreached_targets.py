"""Raw-unit targets that a model's unit-scale output is nowhere near are named even when the model normalises its
raw-unit input (fresh108's CARD without RevIN: series at +-2000 in and out, a LayerNorm after its first layer absorbs
the input, its first output at unit scale; told "only worth knowing", and it does not learn). The same model with
RevIN (standardise the input, de-normalise the forecast) starts at the targets' level and stays quiet."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _Forecaster(nn.Module):
    def __init__(self, revin: bool) -> None:
        super().__init__()
        self.revin = revin
        self.body = nn.Sequential(nn.Linear(48, 64), nn.LayerNorm(64), nn.GELU(), nn.Linear(64, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.revin:
            return self.body(x)
        mu, sd = x.mean(-1, keepdim=True), x.std(-1, keepdim=True) + 1e-5
        return self.body((x - mu) / sd) * sd + mu


def _series() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    level = torch.empty(64, 1).uniform_(-2000, 2000, generator=g)
    t = torch.arange(64.0)
    s = level + 50 * torch.sin(t / 4 + torch.rand(64, 1, generator=g) * 6) + 5 * torch.randn(64, 64, generator=g)
    return s[:, :48] * 1.05, s[:, 48:]  # the inputs a little further out than the targets, as CARD's came out


def _data(revin: bool) -> list[gradguard.Finding]:
    torch.manual_seed(0)
    model = _Forecaster(revin)
    d = gradguard.check(model, _series(), F.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-3))
    return [f for f in d.findings if f.cause == "data"]


def test_raw_targets_the_output_cannot_reach_are_named() -> None:
    found = _data(revin=False)
    assert found and found[0].severity in ("warning", "critical")
    assert "target tensor" in found[0].message


def test_revin_output_at_the_targets_level_is_quiet() -> None:
    assert all(f.severity == "info" for f in _data(revin=True))
