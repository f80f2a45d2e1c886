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


class _Actor(nn.Module):
    """TD3's actor (sfujim/TD3): two ReLU layers and ``max_action * torch.tanh(l3(a))``, a functional output tanh
    that no module follows."""

    def __init__(self) -> None:
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(3, 64), nn.Linear(64, 64), nn.Linear(64, 1)

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        a = torch.relu(self.l1(state))
        a = torch.relu(self.l2(a))
        return 2.0 * torch.tanh(self.l3(a))


def _check_actor(std: float | None) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    actor, critic = _Actor(), nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 1))
    if std is not None:
        with torch.no_grad():
            for p in actor.parameters():
                p.normal_(0, std)
    states = torch.randn(256, 3, generator=torch.Generator().manual_seed(1))
    opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    return gradguard.check(actor, closure=lambda m: -critic(torch.cat([states, m(states)], 1)).mean(), optimizer=opt)


def test_a_functional_output_tanh_saturated_by_n01_weights_is_measured_and_named_init():
    d = _check_actor(1.0)
    assert not d.healthy and d.top is not None and d.top.cause == "init", d.top
    assert "tanh" in d.top.message
    sat = [f for f in d.findings if f.cause == "activation" and "saturated_fraction" in f.evidence]
    assert sat and sat[0].evidence["worst_fraction"] >= 0.9
    assert "l3 (functional tanh)" in sat[0].evidence["saturated_fraction"]


def test_the_same_actor_at_its_default_init_is_healthy():
    d = _check_actor(None)
    assert d.healthy, [(f.cause, f.severity, f.message) for f in d.findings]
    assert not [f for f in d.findings if f.cause == "activation"]
