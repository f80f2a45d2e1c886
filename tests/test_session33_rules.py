"""Readings written in session 33, each on real tensors."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _offset_regression(lr: float, seed: int) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor],
                                                        torch.optim.Optimizer]:
    """An MLP regressing targets offset by 8 (box coordinates, prices: a first loss of ~65) at SGD momentum 0.9."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
    x, w = torch.randn(128, 16), torch.randn(16, 4)
    y = 8.0 + torch.tanh(x @ w)
    return model, (x, y), torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def _plain_end(lr: float, seed: int, steps: int = 200) -> tuple[float, float]:
    model, (x, y), opt = _offset_regression(lr, seed)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses[0], sum(losses[-20:]) / 20


def test_an_sgd_ratio_that_a_tenth_of_the_lr_does_not_beat_is_no_lr_warning() -> None:
    """SGD 0.01 momentum 0.9 is this regression's best lr (it ends lower than 0.003), yet its first step's ratio
    times momentum's gain is 0.11, over the 0.1 rule of thumb: the confirmation's short run tests it and demotes it."""
    first, end = _plain_end(0.01, 0)
    assert end < 0.01 * first and end < _plain_end(0.003, 0)[1]
    for seed in (0, 1):
        model, batch, opt = _offset_regression(0.01, seed)
        d = gradguard.check(model, batch, F.mse_loss, opt)
        assert d.healthy, [f.message for f in d.findings if f.severity != "info"]
        for f in d.findings:
            if f.cause == "lr":
                assert f.severity == "info" and "not_confirmed" in f.evidence


def test_an_sgd_lr_that_wrecks_the_run_is_still_named() -> None:
    """The same regression at SGD 1.0 momentum 0.9 (100x): non-finite within the run, and ``lr`` first."""
    first, end = _plain_end(1.0, 0)
    assert not (end == end and end < first)  # NaN, or no better than it started
    model, batch, opt = _offset_regression(1.0, 0)
    d = gradguard.check(model, batch, F.mse_loss, opt)
    assert d.top is not None and not d.healthy and d.top.cause == "lr"
