"""A zero-initialised element-wise recurrent weight (a diagonal decay ``-h * omega`` in an Euler loop, as gradient-flow
GNNs start it) has spectral radius 0: ``check`` crashed taking ``log10`` of it (``math domain error``); it now reads
the model and says nothing about that weight's radius."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class EulerFlow(nn.Module):
    def __init__(self, d_in: int = 12, d: int = 32, classes: int = 4, steps: int = 16, omega: float = 0.0) -> None:
        super().__init__()
        self.enc = nn.Linear(d_in, d)
        self.w = nn.Parameter(torch.empty(d, d))
        nn.init.xavier_uniform_(self.w)
        self.omega = nn.Parameter(torch.full((d,), omega))
        self.dec = nn.Linear(d, classes)
        self.steps = steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.enc(x)
        for _ in range(self.steps):
            h = h + 0.1 * (-h * self.omega + torch.tanh(h @ self.w))
        return self.dec(h)


def _check(omega: float) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = EulerFlow(omega=omega)
    x, y = torch.randn(64, 12), torch.randint(0, 4, (64,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return gradguard.check(model, (x, y), nn.CrossEntropyLoss(), opt)


def test_zero_diagonal_decay_is_read_without_error() -> None:
    d = _check(0.0)
    assert d.healthy, [f.message for f in d.findings if f.severity != "info"]
    assert not [f for f in d.findings if f.cause == "recurrence" and "omega" in f.layers and f.severity != "info"]


def test_nonzero_diagonal_decay_still_read() -> None:
    d = _check(0.5)  # a decay of 0.05 a step over 16 steps: in band for an Euler step, nothing to say
    assert d.healthy, [f.message for f in d.findings if f.severity != "info"]
