"""A constant matrix applied several times in series (SGC/APPNP/DAGNN's feature propagation) by an adjacency
without its normalisation rescales the signal by decades: ``normalization``, ranked before what is measured on that
signal; the normalised adjacency, and one product per layer with weights between (GCN), are never read as such."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import gradguard
from gradguard.diagnosis.hops import hop_chains, hop_findings


def _graph(n: int = 120, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (n,), generator=g)
    same = labels[:, None] == labels[None, :]
    p = torch.where(same, torch.tensor(0.08), torch.tensor(0.01))
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    x = torch.randn(n, 16, generator=g) + nn.functional.one_hot(labels, 16).float() * 2
    return a, x, labels


def _normalised(a: torch.Tensor) -> torch.Tensor:
    a = a + torch.eye(a.shape[0])
    d = a.sum(1).clamp_min(1).pow(-0.5)
    return d[:, None] * a * d[None, :]


class _SGC(nn.Module):
    """Simplified graph convolution: K propagations by a fixed matrix, then one linear layer (Wu et al. 2019)."""

    def __init__(self, adj: torch.Tensor, k: int = 8, sparse: bool = False) -> None:
        super().__init__()
        self.register_buffer("adj", adj.to_sparse() if sparse else adj)
        self.lin = nn.Linear(16, 4)
        self.k, self.sparse = k, sparse

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lin(x)
        for _ in range(self.k):
            h = torch.sparse.mm(self.adj, h) if self.sparse else self.adj @ h
        return h


class _GCN(nn.Module):
    def __init__(self, adj: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("adj", adj)
        self.l1, self.l2 = nn.Linear(16, 32), nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.adj @ self.l2(torch.relu(self.adj @ self.l1(x)))


def _check(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> gradguard.Diagnosis:
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    return gradguard.check(model, (x, y), nn.CrossEntropyLoss(), opt)


@pytest.mark.parametrize("sparse", [False, True])
def test_a_raw_adjacency_propagated_eight_times_is_named_normalization_first(sparse: bool) -> None:
    a, x, y = _graph()
    torch.manual_seed(0)
    d = _check(_SGC(a, sparse=sparse), x, y)
    assert d.top is not None and d.top.cause == "normalization", d.top
    assert d.top.evidence["propagation_hops"] == 8 and d.top.evidence["direction"] == 1
    rho = float(torch.linalg.eigvalsh(a).max())
    assert d.top.evidence["spectral_radius"] == pytest.approx(rho, rel=0.02)
    assert d.top.evidence["gain_decades"] == pytest.approx(8 * math.log10(rho), rel=0.02)


@pytest.mark.parametrize("sparse", [False, True])
def test_the_normalised_adjacency_is_silent(sparse: bool) -> None:
    a, x, y = _graph()
    torch.manual_seed(0)
    model = _SGC(_normalised(a), sparse=sparse)
    chains = hop_chains(nn.functional.cross_entropy(model(x), y))
    assert len(chains) == 1 and chains[0].hops == 8 and chains[0].radius == pytest.approx(1.0, abs=1e-3)
    d = _check(model, x, y)
    assert not [f for f in d.findings if "propagation_hops" in f.evidence]


def test_one_product_per_layer_with_weights_between_is_no_chain() -> None:
    a, x, y = _graph()
    torch.manual_seed(0)
    model = _GCN(a + torch.eye(a.shape[0]))  # GIN-like sum aggregation: raw, but one product per layer
    chains = hop_chains(nn.functional.cross_entropy(model(x), y))
    assert [c for c in chains if c.hops >= 2] == []
    # kept as a matrix used once per layer (hops._per_layer_findings reads it only with a blown-up first output)
    assert [(c.hops, c.uses, c.nonnegative) for c in chains] == [(1, 2, True)]
    assert hop_findings(chains, output_decades=0.5) == []


class _DropHops(_SGC):
    """SGC on the normalised adjacency with dropout also inside every hop (p = 0.8 at each of 8 hops)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lin(x)
        for _ in range(self.k):
            h = self.adj @ nn.functional.dropout(h, 0.8, self.training)
        return h


def test_dropout_inside_every_hop_compounds_and_is_named_regularization() -> None:
    a, x, y = _graph()
    torch.manual_seed(0)
    model = _DropHops(_normalised(a))
    chains = hop_chains(nn.functional.cross_entropy(model(x), y))
    assert len(chains) == 1 and chains[0].dropout_hops == 7  # the first hop's dropout precedes no earlier hop
    assert chains[0].dropout_decades == pytest.approx(7 * math.log10(5.0), rel=1e-3)
    d = _check(model, x, y)
    assert d.top is not None and d.top.cause == "regularization" and d.top.severity == "critical", d.top
    assert d.top.evidence["hops_behind_dropout"] == 7
    model.eval()  # in evaluation mode no mask is drawn: nothing to say
    assert hop_chains(nn.functional.cross_entropy(model(x), y))[0].dropout_hops == 0


def test_a_graph_whose_saved_tensors_were_freed_reads_no_chain() -> None:
    a, x, y = _graph()
    torch.manual_seed(0)
    loss = nn.functional.cross_entropy(_SGC(a)(x), y)
    loss.backward()  # frees the saved adjacency: nothing to read, nothing raised
    assert hop_chains(loss) == []
