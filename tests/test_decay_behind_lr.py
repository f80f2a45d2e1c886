"""Weight decay behind a too-high lr, and a decay past 1 a step (real-code round 11, session 39).

karpathy/llm.c's ``configure_optimizers`` decays the matrices (0.1) and not the gains and biases (0); at AdamW lr 3
``check`` ranked ``regularization`` ("removes 0.3 of the weights' norm every step") above ``lr``, and its code set
``weight_decay = 0.01`` on every group, turning decay on for the no-decay group. The shrink per step is
``lr x weight_decay``: with a usual decay and a strong ``lr`` finding it is the lr's consequence, whatever the groups.
A decay of ``lr x wd >= 1`` a step does not halve the weights "in 0 steps": it throws them past zero.
"""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def _net(seed: int = 0) -> tuple[nn.Sequential, tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x = torch.randn(128, 32, generator=g)
    y = x[:, :4].argmax(1)
    model = nn.Sequential(nn.Linear(32, 64), nn.LayerNorm(64), nn.GELU(), nn.Linear(64, 64), nn.LayerNorm(64),
                          nn.GELU(), nn.Linear(64, 4))
    return model, (x, y)


def _groups(model: nn.Module, wd: float) -> list[dict[str, object]]:
    """llm.c's and nanoGPT's split: matrices decay, vectors do not."""
    return [dict(params=[p for p in model.parameters() if p.dim() >= 2], weight_decay=wd),
            dict(params=[p for p in model.parameters() if p.dim() < 2], weight_decay=0.0)]


def test_a_usual_decay_in_two_groups_at_a_too_high_lr_is_the_lrs_consequence() -> None:
    model, batch = _net()
    d = gradguard.check(model, batch, nn.functional.cross_entropy, torch.optim.AdamW(_groups(model, 0.1), lr=3.0))
    assert d.top is not None and d.top.cause == "lr" and d.top.severity == "critical", d.findings
    decay = [f for f in d.findings if f.cause == "regularization"]
    assert decay and all(f.severity == "info" for f in decay) and "lr finding" in decay[0].message
    # the same recipe at its usual lr is healthy
    model, batch = _net()
    d = gradguard.check(model, batch, nn.functional.cross_entropy, torch.optim.AdamW(_groups(model, 0.1), lr=1e-3))
    assert not [f for f in d.findings if f.severity != "info"], d.findings


def test_a_decay_past_one_a_step_says_so_and_its_code_lowers_only_the_decaying_groups() -> None:
    model, batch = _net()
    opt = torch.optim.SGD(_groups(model, 20.0), lr=0.1)  # lr x wd = 2 a step
    d = gradguard.check(model, batch, nn.functional.cross_entropy, opt)
    top = d.top
    assert top is not None and top.cause == "regularization" and top.severity == "critical", d.findings
    assert "past zero" in top.message and "halve in 0 steps" not in top.message
    assert "if group['weight_decay'] > 0" in top.code
    # the suggested value brings lr x wd to 1e-4 a step: 20 x 1e-4 / 2
    namespace: dict[str, object] = {"optimizer": opt}
    exec(top.code, namespace)  # the printed code runs as printed
    assert [g["weight_decay"] for g in opt.param_groups] == [0.001, 0.0]
