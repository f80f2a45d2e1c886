"""A first loss that overflowed float32 on finite but huge outputs is the consequence of what grew them. Thirty
weight layers in series at 5.7x their scale blow the output to ~1e22 and its squared error to +inf: ``check`` called
it "the loss's own arithmetic" (``numeric``) where the same model's finite first loss was read as the init's
(fresh97's SCNN message passing at seed 0 against seed 1). A loss made infinite by its own arithmetic on outputs of a
usual scale stays ``numeric``; one weight applied to its own output thirty times is a linear recurrence
(``tests/test_linear_recurrence.py``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class Deep(nn.Module):
    def __init__(self, std: float, depth: int = 30, d: int = 32) -> None:
        super().__init__()
        self.inp = nn.Linear(8, d)
        self.layers = nn.ModuleList(nn.Linear(d, d, bias=False) for _ in range(depth))
        for lin in self.layers:
            nn.init.normal_(lin.weight, std=std)
        self.out = nn.Linear(d, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for lin in self.layers:
            h = lin(h)
        return self.out(h).squeeze(1)


def _check(std: float, loss_fn) -> gradguard.Diagnosis:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    model = Deep(std)
    x, y = torch.randn(64, 8), torch.randn(64)
    return gradguard.check(model, (x, y), loss_fn, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_overflow_on_blown_up_outputs_is_the_init() -> None:
    d = _check(1.0, F.mse_loss)
    top = d.findings[0]
    assert top.cause == "init" and top.severity == "critical", (top.cause, top.message)
    assert "overflowed float32" in top.message
    numeric = [f for f in d.findings if f.cause == "numeric"]
    assert numeric and all(f.severity == "info" for f in numeric)


def test_overflow_of_the_loss_arithmetic_stays_numeric() -> None:
    d = _check(32 ** -0.5, lambda out, y: F.mse_loss(out, y) + 1 / torch.zeros(()))
    assert d.findings[0].cause == "numeric" and d.findings[0].severity == "critical", d.findings[0].message
