"""Behind a zero-initialised head the gradient is zero at step 0, but the forward signal still shows an init that
blows up: it is named ``init`` (and the step's huge loss is its consequence, not the learning rate's); the same net
at He's init behind the same zero head is not."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _net(std: float | None) -> nn.Module:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(5):
        lin = nn.Linear(128, 128)
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu") if std is None else nn.init.normal_(lin.weight, 0, std)
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.ReLU()]
    head = nn.Linear(128, 4)
    nn.init.zeros_(head.weight)  # the classifier starts at zero (DPCNN's, torchvision ViT's convention)
    nn.init.zeros_(head.bias)
    return nn.Sequential(*layers, head)


def _check(std: float | None) -> gradguard.Diagnosis:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 128, generator=g), torch.randint(0, 4, (64,), generator=g)
    model = _net(std)
    return gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.01))


def test_a_blown_up_init_behind_a_zero_head_is_named_init() -> None:
    d = _check(std=1.0)
    assert d.top is not None and d.top.cause == "init" and d.top.severity in ("warning", "critical"), d.top
    assert "zero-initialised layer gates the gradient" in d.top.message
    assert d.top.evidence["measured_decades"] > 2 and math.isclose(d.top.evidence["typical_factor"], 8.0, rel_tol=0.2)
    assert not any(f.cause == "lr" and f.severity != "info" for f in d.findings), d.findings


def test_he_init_behind_a_zero_head_is_healthy() -> None:
    d = _check(std=None)
    assert d.healthy, [(f.cause, f.severity, f.message) for f in d.findings]
