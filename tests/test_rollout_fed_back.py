"""An autoregressive rollout that feeds its prediction back de-normalised into a standardised window: every call after
the first reads the series' raw level (``diagnosis/fed_back.py``). ``check`` said nothing (fresh100's DSANet slip);
now ``data``. Fed back in the window's units, or compounding from call to call, it is not this."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class Forecaster(nn.Module):
    def __init__(self, raw_feedback: bool, window: int = 24, horizon: int = 4) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(window, 64), nn.Tanh())
        self.head = nn.Linear(64, 1)
        self.raw_feedback, self.horizon = raw_feedback, horizon

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (batch, window) at the series' level
        mu, sd = x.mean(1, keepdim=True), x.std(1, keepdim=True) + 1e-5
        w = (x - mu) / sd
        preds = []
        for _ in range(self.horizon):
            p = self.head(self.body(w))
            preds.append(p)
            fed = p * sd + mu if self.raw_feedback else p
            w = torch.cat([w[:, 1:], fed], 1)
        return torch.cat(preds, 1) * sd + mu


def _check(raw_feedback: bool) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    t = torch.arange(28, dtype=torch.float32)
    level = 50 + 10 * torch.rand(64, 1)
    series = level + 3 * torch.sin(t / 3 + 6.28 * torch.rand(64, 1)) + 0.3 * torch.randn(64, 28)
    x, y = series[:, :24], series[:, 24:]
    model = Forecaster(raw_feedback)
    return gradguard.check(model, (x, y), nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=1e-3))


def test_raw_feedback_into_a_standardised_window_is_data() -> None:
    d = _check(raw_feedback=True)
    found = [f for f in d.findings if "first_call_output_rms" in f.evidence]
    assert found and found[0].cause == "data" and found[0].severity != "info", [f.message for f in d.findings]
    assert d.findings[0] is found[0]
    assert found[0].evidence["jump"] >= 10


def test_feedback_in_the_window_units_is_silent() -> None:
    d = _check(raw_feedback=False)
    assert not [f for f in d.findings if "first_call_output_rms" in f.evidence]
