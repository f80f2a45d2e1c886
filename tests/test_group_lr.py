"""One param group whose own lr is far too large (a head's lr written as the multiplier, 10, next to a body at
0.01) is named ``lr`` with its group, although the model's bulk steps are fine; the multiplier applied (0.1) is not."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _check(head_lr: float) -> gradguard.Diagnosis:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 32, generator=g)
    y = (x[:, :4] ** 2).argmax(1)
    torch.manual_seed(0)
    body = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
    head = nn.Linear(64, 4)
    model = nn.Sequential(body, head)
    opt = torch.optim.SGD([{"params": body.parameters()}, {"params": head.parameters(), "lr": head_lr}], lr=0.01,
                          momentum=0.9)
    return gradguard.check(model, (x, y), F.cross_entropy, opt, confirm_steps=0)


def test_a_group_lr_written_as_its_multiplier_is_named() -> None:
    d = _check(10.0)
    assert d.top is not None and d.top.cause == "lr" and d.top.severity == "critical", d.top
    assert d.top.evidence["param_group"] == 1 and d.top.evidence["group_lr"] == 10.0
    assert d.top.evidence["suggested_lr"] < 1.0 and d.top.layers == ["1"]


def test_the_multiplier_applied_is_healthy() -> None:
    d = _check(0.1)
    assert not any(f.cause == "lr" and f.severity != "info" for f in d.findings), d.findings
