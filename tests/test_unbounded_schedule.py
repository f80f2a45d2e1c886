"""A LambdaLR whose lr never stops rising (a warm-up without its cap) is named lr; bounded schedules are not."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.schedule import unbounded_findings


def _opt() -> torch.optim.Optimizer:
    return torch.optim.SGD(nn.Linear(4, 4).parameters(), lr=0.05, momentum=0.9)


def test_uncapped_warmup_is_unbounded_and_bounded_schedules_are_not() -> None:
    opt = _opt()
    found = unbounded_findings(torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / 20), opt)
    assert found and found[0].cause == "lr" and found[0].severity == "critical"
    assert math.isclose(found[0].evidence["lr_at_steps"][200_000], 0.05 * 200_001 / 20)
    bounded = [
        lambda s: min(1.0, (s + 1) / 20),  # capped warm-up
        lambda s: min(1.0, (s + 1) / 10_000),  # a long warm-up, capped
        lambda s: 0.5 * (1 + math.cos(math.pi * min(s, 1000) / 1000)),  # cosine to 0
        lambda s: min((s + 1) ** -0.5, (s + 1) * 4000 ** -1.5),  # Noam / inverse square root
        lambda s: [1.0, 0.5][min(s, 1)],  # a table read past its end
        lambda s: 1.0 + math.log1p(s) / 10,  # a slow (logarithmic) rise
    ]
    for f in bounded:
        opt = _opt()
        assert unbounded_findings(torch.optim.lr_scheduler.LambdaLR(opt, f), opt) == []
    opt = _opt()
    assert unbounded_findings(torch.optim.lr_scheduler.LambdaLR(opt, lambda s: [1.0, 2.0][s]), opt) == []  # fails
    assert unbounded_findings(torch.optim.lr_scheduler.StepLR(opt, 10), opt) == []  # not read: another class


def test_check_names_an_uncapped_warmup_and_leaves_the_schedule_untouched() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / 20)
    before = (sched.last_epoch, [g["lr"] for g in opt.param_groups])
    d = gradguard.check(model, (torch.randn(64, 8), torch.randint(0, 4, (64,))), F.cross_entropy, opt,
                        scheduler=sched)
    assert d.top is not None and d.top.cause == "lr" and "never stops rising" in d.top.message
    assert (sched.last_epoch, [g["lr"] for g in opt.param_groups]) == before
