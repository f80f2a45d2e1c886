"""A graph propagation inside a recurrence: a continuous-depth GNN's Euler steps ``h <- h + tau (A h W)`` apply the
adjacency at every step. On the raw ``A + I`` (spectral radius ~7 at a mean degree of 6) the signal compounds over
the steps and the first loss is thousands of times an all-zero output's; ``check`` named the recurrent weight
(``recurrence``, critical) and absorbed the propagation finding into it, and needed a radius of 10 to read the
propagation at all (fresh99's GRAFF without its degree normalisation). The propagation is the cause: the recurrent
weight's own radius is about 1."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def _graph(n: int = 200, degree: float = 6.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    a = (torch.rand(n, n, generator=g) < degree / n).float()
    a = torch.triu(a, 1)
    return a + a.T


class EulerGNN(nn.Module):
    def __init__(self, a: torch.Tensor, normalise: bool, d_in: int = 16, d: int = 32, classes: int = 4,
                 steps: int = 20, tau: float = 0.1) -> None:
        super().__init__()
        a = a + torch.eye(a.shape[0])
        if normalise:
            dinv = a.sum(1).pow(-0.5)
            a = dinv[:, None] * a * dinv[None, :]
        self.register_buffer("a", a)
        self.enc = nn.Linear(d_in, d)
        self.w = nn.Parameter(torch.empty(d, d))
        nn.init.xavier_uniform_(self.w)
        self.dec = nn.Linear(d, classes)
        self.steps, self.tau = steps, tau

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.enc(x)
        w = (self.w + self.w.T) / 2
        for _ in range(self.steps):
            h = h + self.tau * (self.a @ h @ w)
        return self.dec(h)


def _check(normalise: bool) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    a = _graph()
    model = EulerGNN(a, normalise)
    x = torch.randn(a.shape[0], 16)
    y = torch.randint(0, 4, (a.shape[0],))
    return gradguard.check(model, (x, y), nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=5e-3))


def test_raw_adjacency_in_euler_steps_is_normalization() -> None:
    d = _check(normalise=False)
    top = d.findings[0]
    assert top.cause == "normalization" and top.severity != "info", (top.cause, top.message)
    assert top.evidence["spectral_radius"] < 10


def test_normalised_adjacency_in_euler_steps_is_healthy() -> None:
    d = _check(normalise=True)
    assert d.healthy, [f.message for f in d.findings if f.severity != "info"]
