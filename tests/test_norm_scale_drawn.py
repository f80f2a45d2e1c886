"""Normalisation layers whose scale an init loop drew like a weight (gradguard.diagnosis.normscale): named init,
reset by fix(); a zero-initialised last BatchNorm per residual block is not that slip."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

import gradguard
from gradguard.diagnosis import fix


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.ModuleList(nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                                  nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16))
                                    for _ in range(3))
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        for b in self.blocks:
            h = F.relu(h + b(h))
        return self.head(h.mean((2, 3)))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    return torch.randn(32, 3, 12, 12, generator=g), torch.randint(0, 10, (32,), generator=g)


def _net(init: str) -> _Net:
    torch.manual_seed(0)
    net = _Net()
    if init == "hasattr_loop":
        for m in net.modules():
            if hasattr(m, "weight") and isinstance(m.weight, torch.Tensor):
                nn.init.normal_(m.weight, 0, 0.02)  # catches the BatchNorms too
    elif init == "zero_last_bn":  # torchvision's zero_init_residual
        for b in net.blocks:
            nn.init.zeros_(b[4].weight)
    return net


def test_norm_scales_drawn_by_an_init_loop_are_named_and_fixed():
    net = _net("hasattr_loop")
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    d = gradguard.check(net, _batch(), F.cross_entropy, opt)
    assert d.top is not None and d.top.cause == "init" and "drawn_like_weights" in d.top.evidence, d.top
    assert d.top.evidence["drawn_like_weights"] == d.top.evidence["normalisation_layers"] == 7
    changes = fix(net, d)
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(bool((m.weight == 1).all()) and bool((m.bias == 0).all()) for m in bns)
    assert {c["scheme"] for c in changes} >= {"constant"}
    after = gradguard.check(net, _batch(), F.cross_entropy, opt)
    assert not [f for f in after.findings if "drawn_like_weights" in f.evidence]


def test_zero_initialised_last_batchnorm_is_a_design():
    net = _net("zero_last_bn")
    d = gradguard.check(net, _batch(), F.cross_entropy, torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9))
    assert not [f for f in d.findings if "drawn_like_weights" in f.evidence]


def test_trained_scales_are_not_called_an_init():
    net = _net("hasattr_loop")
    d = gradguard.check(net, _batch(), F.cross_entropy, torch.optim.SGD(net.parameters(), lr=0.05),
                        steps_done=500)
    assert not [f for f in d.findings if "drawn_like_weights" in f.evidence]
