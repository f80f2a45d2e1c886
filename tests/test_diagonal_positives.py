"""An in-batch contrastive loss (the batch scored against itself) taught with MoCo's zero labels (fresh31's CPC)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard import check


class _TwoViews(nn.Module):
    """SimCLR/CLIP-style: two encoders, the scores of every first view against every second view, ``(B, B)``."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(16, 32), nn.Linear(16, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        za = F.normalize(self.a(x), dim=-1)
        zb = F.normalize(self.b(x + 0.1 * torch.randn_like(x)), dim=-1)
        return za @ zb.T / 0.1


def _data_warnings(labels: torch.Tensor) -> list[object]:
    torch.manual_seed(0)
    model = _TwoViews()
    x = torch.randn(32, 16)
    d = check(model, (x, labels), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))
    return [f for f in d.findings if f.cause == "data" and f.severity != "info"]


def test_zero_labels_on_a_batch_scored_against_itself_are_named_data() -> None:
    found = _data_warnings(torch.zeros(32, dtype=torch.long))
    assert found and "against itself" in found[0].message  # type: ignore[attr-defined]
    assert found[0].evidence["expected"] == "torch.arange(32) (row i's positive is column i)"  # type: ignore[attr-defined]
    assert not _data_warnings(torch.arange(32))  # the diagonal: right
