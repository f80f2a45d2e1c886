"""A plain stack with a normalisation after every layer is MobileNet v1's design and trains: its series depth is
information, not a warning (real code round 14: kuangliu/pytorch-cifar's MobileNet, 28 layers in series with a
BatchNorm after each, 0.06-0.13 by step 150 at its SGD 0.1 recipe, was warned "depth"). The same stack with a
BatchNorm after only every fourth layer stays a warning, as do the corpus' unnormalised plain stacks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.plain_stack import NORMED_SHARE, SERIES_WARN


def _stack(every: int, convs: int = 28) -> nn.Module:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Conv2d(3, 16, 3, padding=1, bias=False)]
    for i in range(1, convs):
        if i % every == 0:
            layers.append(nn.BatchNorm2d(16))
        layers += [nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1, bias=False)]
    return nn.Sequential(*layers, nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(16, 10))


def _series(every: int) -> gradguard.Finding:
    model = _stack(every)
    g = torch.Generator().manual_seed(1)
    batch = (torch.randn(16, 3, 8, 8, generator=g), torch.randint(0, 10, (16,), generator=g))
    d = gradguard.check(model, batch, F.cross_entropy,
                        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4))
    return next(f for f in d.findings if "weight_layers_in_series" in f.evidence)


def test_a_stack_normalised_after_every_layer_is_information() -> None:
    f = _series(every=1)
    assert f.evidence["series_transitions"] >= SERIES_WARN
    assert f.evidence["normalised_transitions_share"] >= NORMED_SHARE and f.severity == "info"


def test_a_stack_normalised_after_every_fourth_layer_stays_a_warning() -> None:
    f = _series(every=4)
    assert f.evidence["normalised_transitions_share"] < NORMED_SHARE and f.severity == "warning"
