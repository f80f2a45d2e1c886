"""A negative weight decay written into ``param_groups`` (torch's constructors refuse it) is named at once (session 23,
written after the twenty-ninth batch's first sight: Shake-Shake with ``log10(1e-4) = -4`` from a search's log scale)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard import check


def _check(weight_decay: float) -> list:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    for group in opt.param_groups:
        group["weight_decay"] = weight_decay  # written afterwards, past the constructor's validation
    g = torch.Generator().manual_seed(0)
    d = check(model, (torch.randn(64, 16, generator=g), torch.randint(0, 4, (64,), generator=g)), F.cross_entropy,
              opt)
    return [f for f in d.findings if f.cause == "regularization" and f.evidence.get("expected") == ">= 0"]


def test_negative_weight_decay_is_critical_regularization() -> None:
    found = _check(-4.0)
    assert len(found) == 1 and found[0].severity == "critical" and found[0].evidence["weight_decay"] == -4.0


def test_a_usual_weight_decay_is_not() -> None:
    assert _check(1e-4) == []
