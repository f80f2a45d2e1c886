"""``check`` with an optimizer built over another copy of the model (fresh31's OctResNet slip): critical ``lr``."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from gradguard import check


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def test_an_optimizer_over_a_stale_copy_is_a_critical_lr_finding() -> None:
    torch.manual_seed(0)
    old = _mlp()
    opt = torch.optim.SGD(old.parameters(), lr=0.1, momentum=0.9)
    model = copy.deepcopy(old)  # the loop now trains the copy; the optimizer still steps `old`
    x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    d = check(model, (x, y), F.cross_entropy, opt)
    assert d.top is not None and d.top.cause == "lr" and d.top.severity == "critical"
    assert d.top.evidence["same_shapes"] is True and d.top.evidence["held_of_the_model"] == 0
    assert "none of the model's 4 trainable parameters" in d.top.message
    # the optimizer over the model itself, or over part of it (a second optimizer holds the rest): no such finding
    for held in (model.parameters(), model[0].parameters()):
        d = check(model, (x, y), F.cross_entropy, torch.optim.SGD(held, lr=0.1, momentum=0.9))
        assert not [f for f in d.findings if "holds none" in f.message]


def test_float32_master_copies_of_a_half_precision_model_are_not_another_model() -> None:
    torch.manual_seed(0)
    model = _mlp().to(torch.bfloat16)
    masters = [p.detach().float().requires_grad_() for p in model.parameters()]
    opt = torch.optim.AdamW(masters, lr=1e-3)
    from gradguard.diagnosis.unowned import unowned_findings

    assert unowned_findings(model, opt) == []
    assert unowned_findings(model, torch.optim.AdamW([p.detach().clone().requires_grad_() for p in
                                                      model.parameters()], lr=1e-3))  # same dtype: a stale copy
