"""End to end: an outlier-batch run under ``recover`` trains to within 5% of the clean run."""

from __future__ import annotations

import math

import torch
from torch import nn

from gradguard import Guard
from helpers import mlp

STEPS = 300


def _run(policy: str, outliers: bool) -> tuple[float, list]:
    torch.manual_seed(0)
    model = mlp(width=32, depth=3, d_in=8)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    guard = Guard(model, opt, policy=policy, update_every=0)
    teacher = torch.randn(8, 1, generator=torch.Generator().manual_seed(1))
    eval_x = torch.randn(256, 8, generator=torch.Generator().manual_seed(2))
    eval_y = torch.tanh(eval_x @ teacher) + 0.1 * torch.randn(256, 1, generator=torch.Generator().manual_seed(3))
    reports, evals = [], []
    for step in range(STEPS):
        g = torch.Generator().manual_seed(100 + step)
        x = torch.randn(32, 8, generator=g)
        y = torch.tanh(x @ teacher) + 0.1 * torch.randn(32, 1, generator=g)  # label noise: a loss floor of 0.01
        if outliers and float(torch.rand(1, generator=g)) < 0.03:
            scale = 20 + 80 * float(torch.rand(1, generator=g))
            x, y = x * scale, y * scale
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        reports.append(guard.step(loss))
        opt.zero_grad(set_to_none=True)
        if step >= STEPS - 20:
            with torch.no_grad():
                evals.append(float(nn.functional.mse_loss(model(eval_x), eval_y)))
    return sum(evals) / len(evals), reports


def test_outlier_batches_under_recover_train_within_5_percent_of_clean() -> None:
    clean, _ = _run("recover", outliers=False)
    spiky, reports = _run("recover", outliers=True)
    unguarded, _ = _run("monitor", outliers=True)
    assert math.isfinite(spiky) and spiky <= 1.05 * clean, (spiky, clean)
    assert not (unguarded <= 1.05 * clean)  # the fault is real: unguarded, the outliers hurt
    assert sum(r.reason == "outlier_grad" for r in reports) >= 3


def test_healthy_run_is_essentially_unclipped_under_safe() -> None:
    _, reports = _run("safe", outliers=False)
    assert all(r.applied for r in reports)
    assert sum(r.clip_coef < 0.9 for r in reports) <= 0.01 * STEPS
