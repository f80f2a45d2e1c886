"""Sparse-layout (COO) inputs: pytorch/examples' GCN multiplies a sparse adjacency (``torch.spmm``); ``check`` raised
``DiagnosisError`` ("aten::ne.Scalar ... SparseCPU") from its own statistics on the inputs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _GraphConv(nn.Module):
    def __init__(self, i: int, o: int) -> None:
        super().__init__()
        self.kernel = nn.Parameter(torch.empty(i, o))
        nn.init.xavier_normal_(self.kernel)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        return torch.spmm(adj, torch.mm(x, self.kernel))


class _GCN(nn.Module):
    def __init__(self, i: int, h: int, o: int) -> None:
        super().__init__()
        self.gc1, self.gc2 = _GraphConv(i, h), _GraphConv(h, o)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.gc2(F.relu(self.gc1(x, adj)), adj), dim=1)


def _graph(n: int = 120, d: int = 24) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    feats = (torch.rand(n, d, generator=g) < 0.2).float()
    feats = (feats / feats.sum(1, keepdim=True).clamp(min=1)).to_sparse()
    a = (torch.rand(n, n, generator=g) < 0.05).float()
    a = ((a + a.T + torch.eye(n)) > 0).float()
    deg = a.sum(1).rsqrt()
    return feats, (deg[:, None] * a * deg[None, :]).to_sparse(), torch.randint(0, 4, (n,), generator=g)


def test_check_reads_a_model_with_sparse_inputs() -> None:
    torch.manual_seed(0)
    feats, adj, labels = _graph()
    model = _GCN(24, 16, 4)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    d = gradguard.check(model, closure=lambda m: F.nll_loss(m(feats, adj), labels), optimizer=opt)
    assert d.healthy, d.findings


def test_the_guard_skips_a_nan_step_of_a_sparse_model() -> None:
    torch.manual_seed(0)
    feats, adj, labels = _graph()
    model = _GCN(24, 16, 4)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    with gradguard.Guard(model, opt, policy="safe") as guard:
        for step in range(6):
            opt.zero_grad()
            loss = F.nll_loss(model(feats, adj), labels) * (float("nan") if step == 3 else 1.0)
            loss.backward()
            report = guard.step(loss, closure=lambda m: F.nll_loss(m(feats, adj), labels))
            assert report.applied == (step != 3)
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
