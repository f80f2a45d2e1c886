"""Saturated output units behind normalised hidden layers, fed by weights initialised far too large, are the init's
consequence (pytorch/examples' DCGAN at N(0, 1): BatchNorm between the convolutions kept the init finding at
information, and the saturated output sigmoid was ranked first as 'activation')."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def _discriminator(std: float | None) -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(32, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2),
                        nn.Linear(128, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2),
                        nn.Linear(128, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2),
                        nn.Linear(128, 1), nn.Sigmoid(), nn.Flatten(0))
    if std is not None:
        with torch.no_grad():
            for m in net:
                if isinstance(m, nn.Linear):
                    m.weight.normal_(0, std)
    return net


def _check(std: float | None) -> gradguard.Diagnosis:
    net = _discriminator(std)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 32, generator=g), (torch.rand(32, generator=g) > 0.5).float()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return gradguard.check(net, (x, y), nn.BCELoss(), opt)


def test_output_sigmoid_saturated_by_n01_weights_is_named_init():
    d = _check(1.0)
    assert not d.healthy and d.top is not None
    assert d.top.cause == "init", d.top
    assert "sigmoid" in d.top.message and "Nothing to do" not in d.top.prescription
    sat = [f for f in d.findings if f.cause == "activation" and "saturated_fraction" in f.evidence]
    assert sat and sat[0].severity == "info" and sat[0].evidence["consequence_of"] == "init"


def test_default_init_discriminator_is_not_called_an_init_problem():
    d = _check(None)
    assert not [f for f in d.findings if f.cause == "init" and f.severity != "info"]
