"""Logits made non-negative before a loss that applies the sigmoid itself predict at least 0.5 everywhere: the
targets below it can never be fitted (fresh93's U2-Net with a ReLU on its side outputs, upsampled and concatenated
before the loss; told healthy)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _Sides(nn.Module):
    """Two side-output convolutions at half resolution, upsampled and concatenated into two logit maps."""

    def __init__(self, relu_heads: bool) -> None:
        super().__init__()
        self.body = nn.Conv2d(3, 8, 3, padding=1)
        self.sides = nn.ModuleList(nn.Conv2d(8, 1, 3, padding=1) for _ in range(2))
        self.relu_heads = relu_heads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.max_pool2d(torch.relu(self.body(x)), 2)
        maps = [side(h) for side in self.sides]
        if self.relu_heads:
            maps = [torch.relu(m) for m in maps]
        return torch.cat([F.interpolate(m, scale_factor=2.0, mode="bilinear") for m in maps], 1)


def _deep_supervision(out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return sum(F.binary_cross_entropy_with_logits(out[:, i:i + 1], mask) for i in range(out.shape[1]))  # type: ignore[return-value]


def _check(relu_heads: bool) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    model = _Sides(relu_heads)
    x = torch.randn(8, 3, 16, 16)
    mask = (x[:, :1] > 0.8).float()  # mostly background: targets 0
    return gradguard.check(model, (x, mask), _deep_supervision, torch.optim.Adam(model.parameters(), 1e-3))


def test_relu_on_the_logits_of_a_sigmoid_loss_is_named() -> None:
    d = _check(True)
    assert d.top is not None and d.top.cause == "activation" and d.top.severity == "critical"
    assert d.top.evidence["output_range"] == [0.5, 1.0] and d.top.evidence["targets_outside_share"] > 0.5


def test_raw_logits_are_not() -> None:
    d = _check(False)
    assert not any("never negative" in f.message for f in d.findings)
