"""A ``LambdaLR`` whose function returns a learning rate instead of a factor (fresh13's DiffLlama, fresh32's
T2T-ViT): the optimizer gets about lr squared; ``check`` names ``lr``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard import check


def _lr_findings(fn: object) -> list[object]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 4))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, fn)  # type: ignore[arg-type]
    x, y = torch.randn(32, 16), torch.randint(0, 4, (32,))
    d = check(model, (x, y), F.cross_entropy, opt, scheduler=sched)
    return [f for f in d.findings if f.cause == "lr" and "returns a learning rate" in f.message]


def test_a_lambda_that_returns_the_lr_is_named_and_a_factor_is_not() -> None:
    found = _lr_findings(lambda t: 1e-3 * min(1.0, (t + 1) / 100))  # the slip: lr x warm-up factor
    assert found and found[0].evidence["largest_factor"] == 1e-3  # type: ignore[attr-defined]
    assert found[0].evidence["peak_lr"] == 1e-6  # type: ignore[attr-defined]
    assert not _lr_findings(lambda t: min(1.0, (t + 1) / 100))  # a factor: right
    assert not _lr_findings(lambda t: 0.5 ** (t // 1000))  # a step decay of factors: right
