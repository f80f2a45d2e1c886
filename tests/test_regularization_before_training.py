"""Weights far above their init scale before any optimizer step are their initialisation, not growth (real-code
finding, session 24: Lightning's demo Transformer at N(0, 1) was told "regularization: up to 33x the init scale,
no weight decay" as its only warning)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _setup(opt_name: str) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor], torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 1))
    with torch.no_grad():
        model[0].weight.normal_(0.0, 5.0)  # ~15x the Xavier scale
    x = torch.randn(64, 16)
    y = x @ torch.randn(16, 1) + 0.1 * torch.randn(64, 1)
    opt: torch.optim.Optimizer = (torch.optim.Adam(model.parameters(), lr=1e-5) if opt_name == "adam"
                                  else torch.optim.SGD(model.parameters(), lr=1e-5))
    return model, (x, y), opt


def _grown(d: gradguard.Diagnosis) -> list:
    return [f for f in d.findings if f.cause == "regularization" and "weight_std_over_init_scale" in f.evidence]


def test_a_fresh_adam_run_is_not_told_its_weights_grew() -> None:
    model, batch, opt = _setup("adam")  # no state: no step taken
    found = _grown(gradguard.check(model, batch, F.mse_loss, opt, confirm_steps=0))
    assert found and all(f.severity == "info" for f in found)
    assert "before_training" in found[0].evidence


@pytest.mark.parametrize("steps_done", [0, 200])
def test_steps_done_decides_where_the_optimizer_keeps_no_state(steps_done: int) -> None:
    model, batch, opt = _setup("sgd")
    found = _grown(gradguard.check(model, batch, F.mse_loss, opt, steps_done=steps_done, confirm_steps=0))
    assert found
    assert (found[0].severity == "info") == (steps_done == 0)


def test_sgd_without_momentum_and_no_steps_done_says_both_readings() -> None:
    model, batch, opt = _setup("sgd")  # keeps no state: whether a step was taken cannot be told
    found = _grown(gradguard.check(model, batch, F.mse_loss, opt, confirm_steps=0))
    assert found and found[0].severity in ("warning", "critical")
    assert "steps_done=0" in found[0].message
