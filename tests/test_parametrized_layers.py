"""Layers under ``torch.nn.utils.parametrize`` (weight norm, as MelGAN and HiFi-GAN use it) are one layer each: the
probe reads the activation after them (their ``_WeightNorm`` module, hooked, had read as that activation and left every
layer "identity"), and ``fix`` and the confirmation's re-initialisation write through the parametrization (writing into
the computed ``module.weight`` changed a temporary: held-out ``fresh113``'s MelGAN at N(0, 1) was told ``activation``,
its tanh saturated, and the re-initialised copy trained exactly as the original)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

import gradguard
from gradguard.diagnosis.shortrun import reset_to_default


def _net(std: float | None) -> nn.Module:
    torch.manual_seed(0)
    convs = [nn.Conv1d(8, 32, 5, padding=2), nn.Conv1d(32, 32, 5, padding=2), nn.Conv1d(32, 1, 5, padding=2)]
    if std is not None:
        for c in convs:
            nn.init.normal_(c.weight, 0.0, std)
    convs = [weight_norm(c) for c in convs]
    return nn.Sequential(convs[0], nn.LeakyReLU(0.2), convs[1], nn.LeakyReLU(0.2), convs[2], nn.Tanh())


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 8, 64, generator=g)
    return x, 0.5 * torch.tanh(x[:, :1])


def test_a_weight_normalised_stack_at_normal_1_is_init() -> None:
    model = _net(1.0)
    d = gradguard.check(model, _batch(), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical", d.findings
    acts = [f for f in d.findings if f.cause == "activation" and "saturated_fraction" in f.evidence]
    assert acts and acts[0].severity == "info" and acts[0].evidence["activation"] == "tanh"
    assert not any(f.cause == "normalization" and f.severity != "info" for f in d.findings)  # weight norm is no
    # normalisation layer the forward forgot to call


def test_the_same_stack_at_its_default_init_is_healthy() -> None:
    model = _net(None)
    assert gradguard.check(model, _batch(), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3)).healthy


def test_fix_and_reset_write_through_the_parametrization() -> None:
    model = _net(1.0)
    d = gradguard.check(model, _batch(), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))
    before = model[0].weight.detach().clone()
    changes = gradguard.fix(model, d)
    assert changes and model[0].weight.std() < 0.5 * before.std()  # the layer's effective weight changed
    assert all(c["std_after"] < c["std_before"] for c in changes)
    other = _net(1.0)
    was = other[2].weight.detach().clone()
    assert reset_to_default(other) and other[2].weight.std() < 0.5 * was.std()
