"""``check`` reads through a trainer's optimizer and scheduler wrappers (real-code finding, session 24: accelerate's
``nlp_example`` at AdamW lr 1.0 behind its 100-step warm-up was called healthy when given the prepared optimizer and
scheduler, and ``lr``, critical, when given the torch ones)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard

accelerate = pytest.importorskip("accelerate")


def _setup() -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor], torch.optim.Optimizer, object]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.LayerNorm(64), nn.GELU(), nn.Linear(64, 4))
    opt = torch.optim.AdamW(model.parameters(), lr=1.0)  # far too high for Adam at these weights
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / 100))  # a warm-up from 0
    return model, (torch.randn(64, 32), torch.randint(0, 4, (64,))), opt, sched


def _lr_verdicts(d: gradguard.Diagnosis) -> list[str]:
    return [f.severity for f in d.findings if f.cause == "lr"]


def test_the_schedule_peak_is_read_through_accelerate_wrappers() -> None:
    model, batch, opt, sched = _setup()
    plain = gradguard.check(model, batch, F.cross_entropy, opt, scheduler=sched, confirm_steps=0)
    acc = accelerate.Accelerator(cpu=True)
    model, opt, sched = acc.prepare(model, opt, sched)
    assert type(opt).__name__ == "AcceleratedOptimizer" and type(sched).__name__ == "AcceleratedScheduler"
    wrapped = gradguard.check(model, batch, F.cross_entropy, opt, scheduler=sched, confirm_steps=0)
    assert _lr_verdicts(plain) and set(_lr_verdicts(plain)) <= {"warning", "critical"}
    assert _lr_verdicts(wrapped) == _lr_verdicts(plain)
    assert opt.optimizer.param_groups[0]["lr"] == 0.0  # side-effect free through the wrapper too
