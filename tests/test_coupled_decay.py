"""Adam's coupled ``weight_decay`` (an L2 term normalised with the gradient) settles where ``wd * |W|`` balances the
gradient: its first sign-like step may remove a lot, but at a balance point at or above the weights' scale it does
not collapse them (GCNII's wd 0.01 under Adam); ``weight_decay=1`` does (balance at a few hundredths)."""

from __future__ import annotations

import importlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard

optim_check = importlib.import_module("gradguard.diagnosis.decay_check")  # the regularization rules


def _check(wd: float, scale: float = 0.3, lr: float = 0.01) -> gradguard.Diagnosis:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 64, generator=g)
    y = x[:, :1] - 0.5 * x[:, 1:2]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
    # a loss scaled down: gradients small next to weight_decay * W, as on a graph net's smooth loss
    return gradguard.check(model, optimizer=opt, closure=lambda m: scale * F.mse_loss(m(x), y), confirm_steps=0)


def _reg(d: gradguard.Diagnosis) -> list[gradguard.diagnosis.Finding]:
    return [f for f in d.findings if f.cause == "regularization" and f.severity != "info"]


def test_a_coupled_decay_that_balances_above_the_weights_scale_is_not_a_collapse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert not _reg(_check(0.01)), _check(0.01).findings
    monkeypatch.setattr(optim_check, "DECAY_BALANCE", float("inf"))  # without the balance test
    monkeypatch.setattr(optim_check, "WD_USUAL_TOP", 0.0)  # nor the usual band (lr x wd = 1e-4): the shrink rule fires
    assert _reg(_check(0.01))


def test_adam_weight_decay_1_still_collapses_and_says_where_it_settles() -> None:
    found = _reg(_check(1.0))
    assert found, _check(1.0).findings
    assert found[0].evidence["balance_scale_median"] < optim_check.DECAY_BALANCE
    assert "balances it" in found[0].message


def test_at_a_low_rate_a_decay_that_settles_far_below_the_weights_is_still_a_collapse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Adam(weight_decay=1) at lr 3e-4 (FiLM's recipe with the decay slip): each step removes less than
    # WD_SHRINK_WARN of the weights, but they settle at a few hundredths of their scale: they halve in ~200 steps
    found = _reg(_check(1.0, lr=3e-4))
    assert found, _check(1.0, lr=3e-4).findings
    ev = found[0].evidence
    assert optim_check.WD_SHRINK_SLOW <= ev["decay_shrink_per_step_median"] < optim_check.WD_SHRINK_WARN
    assert ev["balance_scale_median"] < optim_check.DECAY_SEVERE and found[0].severity == "critical"
    assert found[0].cause == _check(1.0, lr=3e-4).findings[0].cause  # ranked first
    assert not _reg(_check(0.01, lr=3e-4))  # a usual coupled decay at the same rate: silent
    monkeypatch.setattr(optim_check, "DECAY_COLLAPSE", 0.0)  # without the balance-point rule: the pace alone misses it
    assert not _reg(_check(1.0, lr=3e-4))
