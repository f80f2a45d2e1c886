"""An Adam step that is a sane fraction of the weights but raises the loss because the inputs are 100x out of scale
is the data's consequence (the inputs are named first); at a truly large Adam lr on the same model, lr stays."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _check(scale: float, lr: float) -> gradguard.Diagnosis:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 16, generator=g)
    y = torch.sin(x[:, :1]) + x[:, 1:2]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1))
    return gradguard.check(model, (scale * x, y), F.mse_loss, torch.optim.Adam(model.parameters(), lr=lr),
                           confirm_steps=0)


def test_a_sane_adam_step_on_inflated_inputs_is_the_datas_consequence() -> None:
    d = _check(100.0, 1e-2)  # each element moves by ~0.14 of its weight: sane; the loss rises along the step
    assert d.top is not None and d.top.cause == "data", [(f.cause, f.severity, f.message[:80]) for f in d.findings]
    lr = [f for f in d.findings if f.cause == "lr"]
    assert lr and all(f.severity == "info" and f.evidence.get("consequence_of") == "data" for f in lr), lr


def test_a_large_adam_lr_on_unit_inputs_stays_lr() -> None:
    d = _check(1.0, 1.0)
    assert d.top is not None and d.top.cause == "lr" and d.top.severity != "info", d.top
