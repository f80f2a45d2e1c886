"""The chance loss of a model that returns only its loss, read off the loss's graph (gradguard.reduction.ce_classes):
x-transformers' AutoregressiveWrapper at N(0, 1) sat at 14-22 nats against a uniform guess's 5.5 and no detector
knew the 5.5 (session 26's fifth real-code round)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

import gradguard
from gradguard.reduction import ce_classes


def test_ce_classes_reads_the_cross_entropy_that_is_the_whole_loss():
    z = torch.randn(6, 7, requires_grad=True)
    seq = torch.randn(2, 7, 5, requires_grad=True)
    t, ts = torch.randint(0, 7, (6,)), torch.randint(0, 7, (2, 5))
    assert ce_classes(F.cross_entropy(z, t)) == 7
    assert ce_classes(F.cross_entropy(seq, ts)) == 7  # (batch, classes, time), NllLoss2d
    assert ce_classes(F.cross_entropy(z, t) / 4) == 7  # gradient accumulation's scale
    assert ce_classes(F.nll_loss(F.log_softmax(z, -1), t)) == 7
    assert ce_classes(F.cross_entropy(z, t) + 0.1 * z.pow(2).mean()) is None  # a sum of losses: not chance's
    assert ce_classes(F.mse_loss(z, torch.zeros(6, 7))) is None
    assert ce_classes(F.cross_entropy(z, t).detach()) is None


class _OwnLoss(nn.Module):
    """Returns only its loss, as x-transformers' AutoregressiveWrapper does."""

    def __init__(self, std: float) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 16))
        with torch.no_grad():
            for m in self.body:
                if isinstance(m, nn.Linear):
                    m.weight.normal_(0, std)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.body(x), y)


def _run(std: float, learnable: bool, steps: int = 110) -> list:
    torch.manual_seed(0)
    model = _OwnLoss(std)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    guard = gradguard.Guard(model, opt, policy="monitor")
    teacher = torch.randn(8, 16)
    events = []
    for _ in range(steps):
        x = torch.randn(64, 8)
        y = (x @ teacher).argmax(1) if learnable else torch.randint(0, 16, (64,))
        opt.zero_grad()
        loss = model(x, y)
        loss.backward()
        events += guard.step(loss).events
    guard.close()
    return events


def test_own_loss_model_far_above_chance_is_told_at_chance():
    events = _run(std=4.0, learnable=False)
    told = [e for e in events if e.kind == "stall" and e.evidence.get("mode") == "at_chance"]
    assert told
    assert told[0].evidence["chance_loss"] == math.log(16)
    assert "cross-entropy over 16 classes" in told[0].evidence["chance_source"]


def test_own_loss_model_that_learns_is_not_told():
    events = _run(std=0.3, learnable=True)
    assert not [e for e in events if e.kind == "stall"]
