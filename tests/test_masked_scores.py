"""Scores masked with -inf that the loss never takes are no numeric fault (fresh86's BiDAF, session 38).

A span model writes ``masked_fill(~mask, -inf)`` into the start/end scores of padded positions; cross-entropy over
those scores is finite as long as the target is a real position, and so is every gradient. ``check`` named the
module "turns finite inputs into Inf/NaN", critical, on the healthy model; it is now information. A target on a
masked position makes the loss infinite, and that stays critical.
"""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class SpanScorer(nn.Module):
    """Token features -> one score per position, padded positions masked with -inf."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.score = nn.Linear(32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = x.abs().sum(-1) == 0
        return self.score(self.enc(x)).squeeze(-1).masked_fill(pad, float("-inf"))


def _batch(target_on_padding: bool) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 12, 8, generator=g)
    x[:, 9:] = 0.0  # three padded positions
    y = torch.randint(0, 9, (16,), generator=g)
    if target_on_padding:
        y[3] = 10
    return x, y


def test_minus_inf_scores_the_loss_never_takes_are_information() -> None:
    torch.manual_seed(0)
    model = SpanScorer()
    d = gradguard.check(model, _batch(False), nn.functional.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    numeric = [f for f in d.findings if f.cause == "numeric"]
    assert d.healthy and numeric and numeric[0].severity == "info"
    assert numeric[0].evidence["loss_and_gradients_finite"] is True


def test_a_target_on_a_masked_position_is_still_critical() -> None:
    torch.manual_seed(0)
    model = SpanScorer()
    d = gradguard.check(model, _batch(True), nn.functional.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "numeric" and d.top.severity == "critical"
