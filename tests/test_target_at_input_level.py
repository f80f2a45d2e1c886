"""Targets at the raw level of an input the model standardises itself: the model works at unit scale and its loss
takes the level back (fresh100's DSANet standardises its window and, in the loss, the raw targets with the window's
statistics). ``check`` named the inputs (information: the model rescales them) when they were the further off, and
the targets (``data``, warning) when those came out 0.01 decades further off, at two seeds of four. A target at the
input's level is now read with it; raw targets beside unit-scale inputs are still told."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class Standardising(nn.Module):
    def __init__(self, window: int = 16, horizon: int = 4) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(window, 32), nn.ReLU(), nn.Linear(32, horizon))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, sd = x.mean(1, keepdim=True), x.std(1, keepdim=True) + 1e-5
        return self.net((x - mu) / sd), mu, sd


def _loss(out: tuple[torch.Tensor, torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    pred, mu, sd = out
    return ((pred - (y - mu) / sd) ** 2).mean()


def _check(target_level: float, input_level: float) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    x = input_level + 5 * torch.randn(64, 16)
    y = target_level + 5 * torch.randn(64, 4)
    model = Standardising()
    return gradguard.check(model, (x, y), _loss, torch.optim.Adam(model.parameters(), lr=1e-3))


def _data(d: gradguard.Diagnosis) -> list:
    return [f for f in d.findings if f.cause == "data" and f.severity != "info"]


def test_targets_a_little_further_off_than_the_rescaled_inputs_are_not_data() -> None:
    d = _check(target_level=110.0, input_level=100.0)
    assert not _data(d), [f.message for f in _data(d)]


def test_raw_targets_beside_unit_scale_inputs_are_still_told() -> None:
    d = _check(target_level=1000.0, input_level=0.0)
    assert _data(d) and "target" in _data(d)[0].message
