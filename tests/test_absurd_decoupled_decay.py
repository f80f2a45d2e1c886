"""A decoupled weight decay far above any recipe's is a finding even when it removes under 1% a step (real code
round 13: rtdl's MLP/ResNet/FT-Transformer at AdamW lr 3e-4 with ``weight_decay=10`` ended 1.4-1.9x worse, silent).

AdamW's decay shrinks the weights by lr x wd = 3e-3 a step (halving in ~230 steps), under ``WD_SHRINK_WARN``; but
``weight_decay=10`` is 30x the largest recipe's, and the plain run below ends >5x worse than at 0.01 (wd 3 at lr 3e-4,
9e-4 a step, ends 3x worse: a warning too). A grokking-style AdamW ``weight_decay=1`` at lr 1e-3 (1e-3 a step, trains
as well as 0.01) stays quiet, as does wd 10 at lr 3e-5 (3e-4 a step: the weights barely move within a run).
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.decay_check import WD_ABSURD, WD_SHRINK_WARN


def _setup(wd: float, lr: float) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor], torch.optim.Optimizer]:
    torch.manual_seed(0)
    x = torch.randn(512, 24)
    y = torch.tanh(x @ (torch.randn(24, 1) / 24 ** 0.5) * 2) + 0.3 * torch.sin(x[:, :1] * 3)
    model = nn.Sequential(nn.Linear(24, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 256), nn.ReLU(),
                          nn.Dropout(0.1), nn.Linear(256, 1))
    return model, (x, y), torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)


def _trained_loss(wd: float, lr: float, steps: int = 1000) -> float:
    model, (x, y), opt = _setup(wd, lr)
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return float(F.mse_loss(model(x), y))


@pytest.mark.parametrize("wd", [10.0, 3.0])
def test_decoupled_decay_of_10_is_a_warning(wd: float) -> None:
    assert wd * 3e-4 < WD_SHRINK_WARN and wd >= WD_ABSURD
    model, batch, opt = _setup(wd, 3e-4)
    d = gradguard.check(model, batch, F.mse_loss, opt)
    assert d.top is not None and d.top.cause == "regularization" and d.top.severity == "warning"
    assert "far above any recipe" in d.top.message
    assert d.top.evidence["decay_shrink_per_step_median"] == pytest.approx(wd * 3e-4, rel=0.05)


@pytest.mark.parametrize("wd, lr", [(1.0, 1e-3), (10.0, 3e-5), (0.01, 3e-4)])
def test_recipe_decays_stay_quiet(wd: float, lr: float) -> None:
    model, batch, opt = _setup(wd, lr)
    d = gradguard.check(model, batch, F.mse_loss, opt)
    assert not [f for f in d.findings if f.cause == "regularization"]


def test_the_warning_is_real() -> None:
    assert _trained_loss(10.0, 3e-4) > 5 * _trained_loss(0.01, 3e-4)
