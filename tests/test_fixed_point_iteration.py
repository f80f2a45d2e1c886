"""An iteration to a fixed point whose input enters every step (an implicit GNN: ``h <- tanh(h W + x U)``) forgets
its first state by design: the loss gradient at the first step is many decades under the last step's, yet the
input's own gradient is of the last step's size. ``check`` read that decay as a vanishing recurrence, critical, on
fresh99's healthy IGNN; the same decay with the input entering only the first step is still one."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class Iterated(nn.Module):
    def __init__(self, every_step: bool, d_in: int = 16, d: int = 32, classes: int = 4, steps: int = 20,
                 radius: float = 0.2) -> None:
        super().__init__()
        self.u = nn.Linear(d_in, d)
        w = torch.linalg.qr(torch.randn(d, d))[0] * radius  # every eigenvalue of modulus `radius`
        self.w = nn.Parameter(w)
        self.head = nn.Linear(d, classes)
        self.every_step, self.steps = every_step, steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.u(x)
        h = torch.zeros_like(b) if self.every_step else b
        for _ in range(self.steps):
            h = torch.tanh(h @ self.w + b) if self.every_step else torch.tanh(h @ self.w)
        return self.head(h)


def _check(every_step: bool) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = Iterated(every_step)
    x, y = torch.randn(128, 16), torch.randint(0, 4, (128,))
    return gradguard.check(model, (x, y), nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3))


def test_input_entering_every_step_is_no_vanishing_recurrence() -> None:
    d = _check(every_step=True)
    rec = [f for f in d.findings if f.cause == "recurrence"]
    assert rec and all(f.severity == "info" for f in rec), [(f.severity, f.message) for f in rec]
    assert rec[0].evidence["input_over_last_step_decades"] > -2
    assert d.healthy, [f.message for f in d.findings if f.severity != "info"]


def test_input_entering_only_the_first_step_still_vanishes() -> None:
    d = _check(every_step=False)
    assert not d.healthy
    assert d.findings[0].cause == "recurrence" and d.findings[0].severity != "info", d.findings[0].message
