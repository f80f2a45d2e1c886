"""A log of exponentials written by hand whose exponents already reach tens: check names ``numeric``
(gradguard.diagnosis.expsum)."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class SumReadout(nn.Module):
    """A graph-level scorer whose sum readout makes logits of tens (GIN's, unnormalised)."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.lin = nn.Linear(8, 16)
        self.out = nn.Linear(16, 1)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, nodes, 8) -> (B,)
        return self.out(torch.relu(self.lin(x)).sum(1) * self.scale).squeeze(-1)


def _batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(32, 60, 8, generator=g), (torch.rand(32, generator=g) > 0.5).float()


def _hand_logistic(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    s = scores * (2 * y - 1)
    return torch.log(1 + torch.exp(-s)).mean()


def _stable_logistic(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.softplus(-scores * (2 * y - 1)).mean()


def _numeric(d: gradguard.Diagnosis) -> list[gradguard.Finding]:
    return [f for f in d.findings if f.cause == "numeric" and "largest_exponent" in f.evidence]


def test_hand_softplus_over_large_logits_is_numeric() -> None:
    torch.manual_seed(0)
    model = SumReadout(scale=2.0)
    x, y = _batch()
    d = gradguard.check(model, (x, y), _hand_logistic, torch.optim.Adam(model.parameters(), lr=1e-3))
    found = _numeric(d)
    assert found and found[0].severity in ("warning", "critical") and found[0].evidence["largest_exponent"] >= 20
    assert d.findings[0].cause == "numeric"


def test_stable_softplus_or_small_exponents_are_left_alone() -> None:
    torch.manual_seed(0)
    x, y = _batch(1)
    model = SumReadout(scale=1.0)
    assert not _numeric(gradguard.check(model, (x, y), _stable_logistic))  # F.softplus: no exp in the graph
    small = SumReadout(scale=0.02)  # a mean-like readout: exponents of a few units
    assert not _numeric(gradguard.check(small, (x, y), _hand_logistic))


def test_step_that_overflows_the_hand_loss_is_read_as_numeric_not_lr() -> None:
    torch.manual_seed(0)
    model = SumReadout(scale=2.0)
    x, y = _batch(2)
    assert torch.isfinite(_hand_logistic(model(x), y))  # finite at the first batch (exponents ~39)
    d = gradguard.check(model, (x, y), _hand_logistic, torch.optim.Adam(model.parameters(), lr=0.2))
    lr = [f for f in d.findings if f.cause == "lr"]
    assert lr and lr[0].evidence["loss_after_step"] == float("inf")  # one step takes the hand loss to inf
    top = d.findings[0]
    assert top.cause == "numeric" and top.severity == "critical" and top.evidence["step_loss_overflows"]
