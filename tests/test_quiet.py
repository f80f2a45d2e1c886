"""The quiet sensors (issue 12, session 12): faults whose first batch's gradients look healthy. Each fires on the
fault and stays silent on its healthy counterpart, on small real models and real losses."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard

CLASSES = 4


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, CLASSES))


def _batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(128, 16, generator=g)
    teacher = torch.randn(16, CLASSES, generator=g)
    return x, (x @ teacher).argmax(1)


def _quiet(d: gradguard.Diagnosis, key: str) -> list[gradguard.Finding]:
    return [f for f in d.findings if key in f.evidence]


# ---- a loss dominated by a penalty --------------------------------------------------------------------------------

def _penalised(coef: float) -> gradguard.Diagnosis:
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def loss_fn(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out, y) + coef * sum((p ** 2).sum() for p in model.parameters())
    return gradguard.check(model, _batch(), loss_fn, opt)


def test_penalty_summed_over_weights_is_found() -> None:
    d = _penalised(1.0)
    found = _quiet(d, "grad_weight_cosine_median")
    assert len(found) == 1
    f = found[0]
    assert f.cause == "regularization" and f.severity == "critical"
    assert f.evidence["grad_weight_cosine_median"] > 0.9
    assert f.evidence["implied_l2_coefficient"] == pytest.approx(1.0, rel=0.2)
    assert d.top is f


def test_small_penalty_and_plain_loss_are_silent() -> None:
    for coef in (0.0, 1e-4):
        d = _penalised(coef)
        assert not _quiet(d, "grad_weight_cosine_median"), coef
        assert d.healthy, [f.message for f in d.findings if f.severity != "info"]


def test_all_positive_init_is_not_a_penalty() -> None:
    # uniform(0, 1) weights: W and g share a large mean component (uncentred cos(g, W) about 0.8 on the first two
    # matrices, with coefficients that agree); centred, the gradient is orthogonal to the weights
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                          nn.Linear(16, CLASSES))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.uniform_(m.weight, 0.0, 1.0)
    d = gradguard.check(model, _batch(), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))
    assert not _quiet(d, "grad_weight_cosine_median")
