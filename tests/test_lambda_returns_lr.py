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
    # named once: by this rule, or by the tiny-step rule when the step is also under its gate (as here: its note)
    return [f for f in d.findings if f.cause == "lr" and "LambdaLR" in f.message]


def test_a_lambda_that_returns_the_lr_is_named_and_a_factor_is_not() -> None:
    found = _lr_findings(lambda t: 1e-3 * min(1.0, (t + 1) / 100))  # the slip: lr x warm-up factor
    assert len(found) == 1 and found[0].severity in ("warning", "critical")  # type: ignore[attr-defined]
    from gradguard.diagnosis.schedule import lambda_lr_findings, scheduler_peak_lrs

    opt = torch.optim.AdamW(nn.Linear(4, 4).parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1e-3 * min(1.0, (t + 1) / 100))
    own = lambda_lr_findings(sched, scheduler_peak_lrs(sched, opt))
    assert own and own[0].evidence["largest_factor"] == 1e-3 and own[0].evidence["peak_lr"] == 1e-6
    assert not _lr_findings(lambda t: min(1.0, (t + 1) / 100))  # a factor: right
    assert not _lr_findings(lambda t: 0.5 ** (t // 1000))  # a step decay of factors: right
