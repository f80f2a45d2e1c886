"""The early divergence of a cross-entropy that started at its chance loss: twice the start is already a blow-up
(a classifier's loss does not double above a uniform guess in healthy first steps), where a regression's early jump
must reach 3x (fresh33's ConViT at AdamW 1: 2.4x at step 2, told at step 3 before)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

import gradguard


def _first_divergence(factor_at_2: float, classifier: bool) -> tuple[int, dict] | None:
    torch.manual_seed(0)
    model = nn.Linear(8, 10 if classifier else 1)
    with torch.no_grad():
        model.weight.mul_(0.01)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    guard = gradguard.Guard(model, opt, policy="monitor")
    g = torch.Generator().manual_seed(1)
    for step in range(8):
        x = torch.randn(32, 8, generator=g)
        opt.zero_grad()
        if classifier:
            loss = F.cross_entropy(model(x), torch.randint(0, 10, (32,), generator=g))
        else:
            loss = F.mse_loss(model(x).squeeze(-1), torch.randn(32, generator=g)) + 1.0
        if step >= 2:
            loss = loss * factor_at_2  # the blow-up, from step 2 on
        loss.backward()
        for e in guard.step(loss).events:
            if e.kind == "divergence":
                return e.step, dict(e.evidence)
    return None


def test_cross_entropy_at_twice_its_chance_start_diverges_at_once():
    found = _first_divergence(2.2, classifier=True)
    assert found is not None and found[0] == 2 and found[1]["chance_jump"] is True


def test_a_regression_needs_the_second_step_at_twice_its_start():
    found = _first_divergence(2.2, classifier=False)
    assert found is not None and found[0] == 3 and found[1]["chance_jump"] is False


def test_a_classifier_below_twice_its_start_is_quiet():
    assert _first_divergence(1.7, classifier=True) is None


def test_bad_chance_settings_are_refused_by_name():
    import pytest

    from gradguard.detectors import DivergenceDetector
    from gradguard.errors import ConfigError

    with pytest.raises(ConfigError, match="chance_loss"):
        DivergenceDetector(chance_loss=2.3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="chance_jump"):
        DivergenceDetector(chance_jump=-1.0)
