"""A regression prediction squashed by a sigmoid/tanh into a range most targets are outside of is named
``activation`` (read off the loss's graph, closures included); the same head without the squash, or with targets
inside the range, is not."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.bounded import bounded_outputs


class QNet(nn.Module):
    def __init__(self, squash: bool) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 4))
        self.squash = squash

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        q = self.body(s)
        return torch.sigmoid(q) if self.squash else q


def _check(squash: bool, scale: float) -> gradguard.Diagnosis:
    g = torch.Generator().manual_seed(0)
    s, a = torch.randn(64, 8, generator=g), torch.randint(0, 4, (64, 1), generator=g)
    target = scale * torch.randn(64, generator=g)
    torch.manual_seed(0)
    model = QNet(squash)
    return gradguard.check(model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0,
                           closure=lambda m: F.smooth_l1_loss(m(s).gather(1, a).squeeze(1), target))


def test_a_sigmoid_q_head_on_targets_outside_0_1_is_named() -> None:
    d = _check(squash=True, scale=5.0)
    assert d.top is not None and d.top.cause == "activation" and d.top.severity == "critical", d.top
    assert d.top.evidence["output_op"] == "sigmoid" and d.top.evidence["targets_outside_share"] > 0.5


def test_a_linear_head_or_targets_inside_the_range_are_not() -> None:
    for squash, scale in ((False, 5.0),):
        assert not [f for f in _check(squash, scale).findings if f.evidence.get("output_op")]
    x = torch.randn(32, 4, requires_grad=True)
    inside = torch.rand(32, 4)  # targets in [0, 1): a sigmoid autoencoder on pixels
    assert all(b.outside == 0.0 for b in bounded_outputs(F.mse_loss(torch.sigmoid(x), inside)))
    assert bounded_outputs(F.mse_loss(torch.tanh(x).view(-1), 3 * torch.ones(128)))[0].outside == 1.0
