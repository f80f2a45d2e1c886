"""A raw-scale input that the model rescales itself before its first weighted layer (mean scaling, as DeepAR does) is
not a data problem; the same input read raw is, and so is one whose first reader is fed by another input."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class Scaled(nn.Module):
    """A forecaster that divides each series by its mean magnitude before its first layer (``rescale=False``: not)."""

    def __init__(self, rescale: bool) -> None:
        super().__init__()
        self.rescale = rescale
        self.body = nn.Sequential(nn.Linear(24, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = x.abs().mean(dim=1, keepdim=True) + 1e-6 if self.rescale else torch.ones_like(x[:, :1])
        return self.body(x / scale) * scale


class TwoInputs(nn.Module):
    """Its first weighted layer reads a unit-scale input; the raw one (offset by 1000) is read later, unscaled."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(24, 32)
        self.b = nn.Linear(24, 32)
        self.head = nn.Linear(32, 1)

    def forward(self, unit: torch.Tensor, raw: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.a(unit) + self.b(raw)))


def _series(level: float) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = level * (1 + 0.3 * torch.randn(64, 24, generator=g)).abs()
    return x, x[:, -1:]


def _data_severity(d: gradguard.Diagnosis) -> str | None:
    return next((f.severity for f in d.findings if f.cause == "data"), None)


def test_a_model_that_rescales_its_raw_input_gets_no_data_warning() -> None:
    x, y = _series(300.0)
    for rescale, expected in ((True, ("info",)), (False, ("warning", "critical"))):
        torch.manual_seed(0)
        model = Scaled(rescale)
        d = gradguard.check(model, (x, y / 300.0 if not rescale else y), F.mse_loss,
                            torch.optim.Adam(model.parameters(), lr=1e-3))
        assert _data_severity(d) in expected, (rescale, [(f.cause, f.severity, f.message) for f in d.findings])
        if rescale:
            f = next(f for f in d.findings if f.cause == "data")
            assert f.evidence["first_reader"] == "body.0" and 0.1 <= f.evidence["first_reader_input_rms"] <= 10


def test_the_reader_of_another_input_does_not_excuse_a_raw_one() -> None:
    g = torch.Generator().manual_seed(1)
    unit = torch.randn(64, 24, generator=g)
    raw = 1000.0 + torch.randn(64, 24, generator=g)
    torch.manual_seed(0)
    model = TwoInputs()
    d = gradguard.check(model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3),
                        closure=lambda m: F.mse_loss(m(unit, raw), torch.zeros(64, 1)))
    assert _data_severity(d) in ("warning", "critical"), [(f.cause, f.severity) for f in d.findings]
    f = next(f for f in d.findings if f.cause == "data")
    assert "first_reader" not in f.evidence
