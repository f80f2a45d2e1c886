"""A graph propagation applied once per layer, weight layers between, whose matrix is not normalised and which
already blew the first output up (``hops._per_layer_findings``, issue 12): fresh83's ACM-GCN on raw co-interaction
counts starts at 1.1e10 and ``check`` said healthy (``hops`` read only chains with no weight layer between)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check


class _GCN(nn.Module):
    def __init__(self, adj: torch.Tensor, d_in: int = 8, hidden: int = 16, classes: int = 3) -> None:
        super().__init__()
        self.register_buffer("adj", adj)
        self.l1, self.l2 = nn.Linear(d_in, hidden), nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.adj @ self.l2(F.relu(self.adj @ self.l1(x)))


def _graph(n: int = 60) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    links = (torch.rand(n, n, generator=g) < 0.1).float()
    links = ((links + links.T) > 0).float()
    counts = links * torch.randint(50, 500, (n, n), generator=g).float()  # co-interaction counts, not 0/1
    return links, (counts + counts.T) / 2, torch.randn(n, 8, generator=g)


def _norm(a: torch.Tensor) -> torch.Tensor:
    a = a + torch.eye(len(a))
    d = a.sum(1).pow(-0.5)
    return d[:, None] * a * d[None, :]


def _check(adj: torch.Tensor, x: torch.Tensor) -> object:
    torch.manual_seed(0)
    model = _GCN(adj)
    y = torch.randint(0, 3, (len(x),), generator=torch.Generator().manual_seed(1))
    return check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-2), confirm_steps=0)


def _per_layer(d: object) -> list:
    return [f for f in d.findings if "propagation_uses" in f.evidence]  # type: ignore[attr-defined]


def test_raw_counts_propagated_once_per_layer_are_named() -> None:
    _links, counts, x = _graph()
    d = _check(counts + torch.eye(len(counts)), x)
    found = _per_layer(d)
    assert len(found) == 1 and found[0].cause == "normalization" and found[0].severity == "critical"
    assert found[0].evidence["propagation_uses"] == 2 and found[0].evidence["spectral_radius"] > 100
    assert d.top is found[0]  # type: ignore[attr-defined]


def test_a_normalised_propagation_or_a_small_raw_adjacency_is_left_alone() -> None:
    links, counts, x = _graph()
    assert _per_layer(_check(_norm(counts), x)) == []
    # a raw 0/1 adjacency of ~6 neighbours: radius under 10, the signal grows 1.5 decades over two layers
    assert _per_layer(_check(links + torch.eye(len(links)), x)) == []
