"""Parameters and losses the statistics pass must either support or refuse clearly (issue 14, item 5)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard.errors import ConfigError


def test_sparse_gradients_are_measured_over_their_values_and_clipped() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(50, 8, sparse=True), nn.Flatten(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = gradguard.Guard(model, opt, update_every=1,
                            policy=gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(0.5)))
    x = torch.randint(0, 50, (4, 2))
    loss = model(x).pow(2).mean() * 1e3
    loss.backward()
    emb_grad = model[0].weight.grad.to_dense()
    expected = torch.sqrt(emb_grad.pow(2).sum() + model[2].weight.grad.pow(2).sum() + model[2].bias.grad.pow(2).sum())
    report = guard.step(loss)
    assert report.applied
    assert report.grad_norm == pytest.approx(float(expected), rel=1e-5)
    assert guard.last_stats.layer_grad_norm[0] == pytest.approx(float(emb_grad.norm()), rel=1e-5)
    assert report.clip_coef == pytest.approx(0.5 / float(expected), rel=1e-5)


@pytest.mark.parametrize("what", ["complex", "meta"])
def test_parameters_without_meaningful_statistics_are_refused_at_construction(what: str) -> None:
    if what == "complex":
        holder = nn.Module()
        holder.z = nn.Parameter(torch.randn(3, dtype=torch.complex64))
        model: nn.Module = holder
        match = "parameter 'z'.*complex64.*real floating-point"
    else:
        model = nn.Linear(3, 3, device="meta")
        match = "parameter 'weight'.*meta device"
    with pytest.raises(ConfigError, match=match):
        gradguard.Guard(model, torch.optim.SGD(model.parameters(), lr=0.1))


@pytest.mark.parametrize("loss", [torch.ones(4, 3), "0.5", [1.0], True])
def test_a_loss_that_is_not_a_scalar_is_refused_before_anything_changes(loss: object) -> None:
    model = nn.Linear(3, 3)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    guard = gradguard.Guard(model, opt)
    model(torch.randn(4, 3)).sum().backward()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ConfigError, match=r"loss=.*a scalar"):
        guard.step(loss)  # type: ignore[arg-type]
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert not opt.state  # the optimizer never stepped


@pytest.mark.parametrize("loss", [torch.tensor([2.5]), 2.5, np.float32(2.5), 3])
def test_scalar_losses_of_every_accepted_kind_are_recorded(loss: object) -> None:
    model = nn.Linear(3, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = gradguard.Guard(model, opt)
    model(torch.randn(4, 3)).sum().backward()
    guard.step(loss)  # type: ignore[arg-type]
    assert guard.last_stats is not None and guard.last_stats.loss == pytest.approx(float(np.asarray(loss).item()))


def test_a_gradient_norm_that_overflows_from_finite_elements_is_named_so() -> None:
    model = nn.Linear(3, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = gradguard.Guard(model, opt)
    model(torch.randn(4, 3)).sum().backward()
    for p in model.parameters():
        p.grad.fill_(1e20)  # finite float32 elements whose sum of squares overflows
    report = guard.step(torch.tensor(1.0))
    assert not report.applied
    message = next(e.message for e in report.events if e.kind == "nonfinite")
    assert "overflowed although every element is finite" in message and "1e+20" in message
