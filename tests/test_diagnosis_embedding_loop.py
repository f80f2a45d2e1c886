"""An embedding looked up once per time step is not a recurrence; a user module applied to its own output is."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _Loop(nn.Module):
    """A loop over time with a square embedding table (vocabulary = width) and a per-step transition module."""

    def __init__(self, radius: float) -> None:
        super().__init__()
        self.emb = nn.Embedding(16, 16)
        self.step = nn.Linear(16, 16, bias=False)
        with torch.no_grad():
            q, _ = torch.linalg.qr(torch.randn(16, 16))
            self.step.weight.copy_(radius * q)
        self.head = nn.Linear(16, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[0], 16)
        outs = []
        for t in range(x.shape[1]):
            h = torch.tanh(self.step(h) + self.emb(x[:, t]))
            outs.append(self.head(h))
        return torch.stack(outs, 1)


def _check(radius: float) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    model = _Loop(radius)
    x = torch.randint(0, 16, (8, 12))
    loss_fn = lambda out, y: F.cross_entropy(out.reshape(-1, 16), y.reshape(-1))  # noqa: E731
    return gradguard.check(model, (x, x), loss_fn, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_an_embedding_called_per_step_is_not_a_recurrence() -> None:
    for radius in (1.0, 3.0):
        d = _check(radius)
        named = [layer for f in d.findings if f.cause == "recurrence" for layer in f.layers]
        assert not any(layer.startswith("emb") for layer in named), named
    strong = [f for f in _check(3.0).findings if f.cause == "recurrence" and f.severity != "info"]
    assert strong and any(layer.startswith("step") for f in strong for layer in f.layers)  # the transition is one
