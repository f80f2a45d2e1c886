"""A forward that projects its weight onto an L1 ball in place (soft-thresholding each row: an implicit GNN keeps its
weight well-posed so) zeroes the smallest elements; ``check`` read it as "a DropConnect stored in place", critical,
on fresh99's healthy IGNN. A dropout mask stored over the weight, scaled or not, is still told."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class Net(nn.Module):
    def __init__(self, write: str, d_in: int = 16, d: int = 64, classes: int = 4) -> None:
        super().__init__()
        self.inp = nn.Linear(d_in, d)
        self.w = nn.Parameter(torch.randn(d, d) / d ** 0.5)
        self.head = nn.Linear(d, classes)
        self.write = write

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            if self.write == "l1_ball":  # each row's L1 norm brought to at most 0.9 by soft-thresholding
                for row in self.w:
                    a = row.abs()
                    if float(a.sum()) > 0.9:
                        s, _ = a.sort(descending=True)
                        cs = s.cumsum(0) - 0.9
                        k = torch.arange(1, len(s) + 1, dtype=s.dtype)
                        rho = int((s - cs / k > 0).nonzero().max())
                        theta = float(cs[rho] / (rho + 1))
                        row.copy_(row.sign() * (a - theta).clamp(min=0))
            elif self.write == "dropout":
                self.w.data = F.dropout(self.w.data, 0.3)
            elif self.write == "mask":
                self.w.mul_((torch.rand_like(self.w) > 0.3).float())
        h = torch.relu(self.inp(x))
        return self.head(torch.relu(h @ self.w))


def _check(write: str) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = Net(write)
    x, y = torch.randn(128, 16), torch.randint(0, 4, (128,))
    return gradguard.check(model, (x, y), nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3))


def _rewrite_findings(d: gradguard.Diagnosis) -> list:
    return [f for f in d.findings if "rewritten_by_forward" in f.evidence]


def test_l1_projection_is_not_a_dropout_mask() -> None:
    d = _check("l1_ball")
    assert not _rewrite_findings(d), [f.message for f in _rewrite_findings(d)]


def test_dropout_stored_over_the_weight_is_still_told() -> None:
    for write in ("dropout", "mask"):
        found = _rewrite_findings(_check(write))
        assert found and found[0].cause == "regularization" and found[0].severity == "critical", write
