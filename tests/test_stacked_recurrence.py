"""A hand-written gated cell whose gates share one stacked matrix (nn.Linear(h, k*h)) is read as a recurrence when
its output feeds its next call; the same shape shared by independent inputs is not."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.batch import resolve_step
from gradguard.diagnosis.probe import run_probe


class _ForgetCell(nn.Module):
    """c = sigmoid(s) * c + (1 - sigmoid(s - 1)) * tanh(cand), both gates from one Linear(h, 2h)."""

    def __init__(self, std: float | None) -> None:
        super().__init__()
        self.emb, self.wx = nn.Embedding(16, 32), nn.Linear(32, 64)
        self.uh, self.head = nn.Linear(32, 64, bias=False), nn.Linear(32, 4)
        with torch.no_grad():
            for w in self.uh.weight.split(32):
                nn.init.orthogonal_(w) if std is None else nn.init.normal_(w, 0.0, std)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        xs, c = self.wx(self.emb(ids)), torch.zeros(ids.shape[0], 32)
        for t in range(ids.shape[1]):
            s, cand = (xs[:, t] + self.uh(c)).chunk(2, -1)
            c = torch.sigmoid(s) * c + (1 - torch.sigmoid(s - 1)) * torch.tanh(cand)
        return self.head(c)


class _SharedProjection(nn.Module):
    """One Linear(32, 64) applied to 6 independent segments (no state passes between calls)."""

    def __init__(self) -> None:
        super().__init__()
        self.emb, self.proj, self.head = nn.Embedding(16, 32), nn.Linear(32, 64), nn.Linear(64, 4)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.emb(ids)
        return self.head(sum(torch.tanh(self.proj(x[:, t])) for t in range(ids.shape[1])))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 16, (32, 20), generator=g), torch.randint(0, 4, (32,), generator=g)


def test_feeds_back_tells_a_recurrence_from_a_shared_module() -> None:
    torch.manual_seed(0)
    ids, y = _batch()
    cell = _ForgetCell(None)
    probe = run_probe(cell, resolve_step((ids, y), F.cross_entropy, None))
    assert probe.feeds_back["uh"] is True
    shared = _SharedProjection()
    probe = run_probe(shared, resolve_step((ids[:, :6], y), F.cross_entropy, None))
    assert probe.feeds_back["proj"] is False


def test_stacked_gate_matrix_at_std_1_is_a_recurrence_and_orthogonal_is_not() -> None:
    ids, y = _batch()
    torch.manual_seed(0)
    broken = _ForgetCell(1.0)
    d = gradguard.check(broken, (ids, y), F.cross_entropy, torch.optim.Adam(broken.parameters(), lr=1e-3))
    assert d.top is not None and d.top.cause == "recurrence" and d.top.severity != "info", d.top
    assert set(d.top.evidence["spectral_radius"]) == {"uh.weight[0]", "uh.weight[1]"}
    torch.manual_seed(0)
    healthy = _ForgetCell(None)
    d = gradguard.check(healthy, (ids, y), F.cross_entropy, torch.optim.Adam(healthy.parameters(), lr=1e-3))
    assert not any(f.cause == "recurrence" and f.severity != "info" for f in d.findings), d.top
    torch.manual_seed(0)
    shared = _SharedProjection()
    d = gradguard.check(shared, (ids[:, :6], y), F.cross_entropy, torch.optim.Adam(shared.parameters(), lr=1e-3))
    assert not any(f.cause == "recurrence" for f in d.findings)
