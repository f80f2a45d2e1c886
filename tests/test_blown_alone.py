"""An output blown up at init that no layer chain explains is named init (fresh107's HOFM: an order-3 factorization
machine whose factor tables keep nn.Embedding's default N(0, 1); the first loss is 6-11x an all-zero output's and it
does not learn; the same model at N(0, 0.1^2) learns and stays quiet)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.blown_alone import BLOWN_ALONE


class _FM3(nn.Module):
    """An order-3 factorization machine over 6 fields of 8 values (the ANOVA kernels in power sums)."""

    def __init__(self, std: float | None) -> None:
        super().__init__()
        self.register_buffer("offsets", torch.arange(6) * 8)
        self.w = nn.Embedding(48, 1)
        nn.init.zeros_(self.w.weight)
        self.v2, self.v3 = nn.Embedding(48, 8), nn.Embedding(48, 8)
        if std is not None:  # None: nn.Embedding's default N(0, 1)
            nn.init.normal_(self.v2.weight, 0.0, std)
            nn.init.normal_(self.v3.weight, 0.0, std)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        idx = ids + self.offsets
        e2, e3 = self.v2(idx), self.v3(idx)
        a2 = 0.5 * (e2.sum(1) ** 2 - (e2 ** 2).sum(1)).sum(-1)
        p1, p2, p3 = e3.sum(1), (e3 ** 2).sum(1), (e3 ** 3).sum(1)
        return self.w(idx).sum((1, 2)) + a2 + ((p1 ** 3 - 3 * p1 * p2 + 2 * p3) / 6).sum(-1)


def _clicks() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 8, (256, 6), generator=g)
    y = ((ids[:, 0] % 2) ^ (ids[:, 1] > 3)).float()
    return ids, y


def _check(std: float | None) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = _FM3(std)
    return gradguard.check(model, _clicks(), F.binary_cross_entropy_with_logits,
                           torch.optim.Adam(model.parameters(), lr=0.01))


def test_factor_tables_at_the_embedding_default_blow_the_output_up() -> None:
    d = _check(None)
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "warning"
    assert d.top.evidence["output_decades"] >= BLOWN_ALONE
    assert set(d.top.evidence["largest_rms"]) == {"v2.weight", "v3.weight", "w.weight"}


def test_factor_tables_at_a_small_scale_are_quiet() -> None:
    d = _check(0.1)
    assert d.healthy, [(f.cause, f.severity) for f in d.findings]
