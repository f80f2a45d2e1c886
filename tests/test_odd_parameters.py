"""Parameters and losses the statistics pass must either support or refuse clearly (issue 14, item 5)."""

from __future__ import annotations

import copy

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


def test_parameters_without_storage_are_refused_at_construction() -> None:
    model = nn.Linear(3, 3, device="meta")
    with pytest.raises(ConfigError, match=r"parameter 'weight'.*meta device"):
        gradguard.Guard(model, torch.optim.SGD(model.parameters(), lr=0.1))


class _Spectral(nn.Module):
    """A Fourier layer as the FNO writes it: a complex weight on the lowest frequencies of an rFFT."""

    def __init__(self) -> None:
        super().__init__()
        self.lift = nn.Linear(1, 4)
        self.w = nn.Parameter(0.1 * torch.randn(4, 4, 5, dtype=torch.cfloat))
        self.head = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lift(x).transpose(1, 2)  # (batch, channels, points)
        f = torch.fft.rfft(h)
        out = torch.zeros_like(f)
        out[..., :5] = torch.einsum("bim,iom->bom", f[..., :5], self.w)
        return self.head(torch.fft.irfft(out, n=h.shape[-1]).transpose(1, 2))


def test_complex_parameters_are_measured_clipped_and_skipped_like_torch() -> None:
    """FNO-style complex weights: norms over |z|, max |z|, a clip equal to clip_grad_norm_ + Adam on a twin, and a
    NaN in the complex gradient skips the step with the weights untouched."""
    torch.manual_seed(0)
    model = _Spectral()
    twin = copy.deepcopy(model)
    opt, opt_twin = torch.optim.Adam(model.parameters(), lr=1e-2), torch.optim.Adam(twin.parameters(), lr=1e-2)
    x, y = torch.randn(8, 16, 1), torch.randn(8, 16, 1)
    with gradguard.Guard(model, opt, policy=gradguard.safe(max_norm=0.05)) as guard:
        for _ in range(3):
            for m, o in ((model, opt), (twin, opt_twin)):
                o.zero_grad()
                torch.nn.functional.mse_loss(m(x), y).backward()
            g = model.w.grad
            assert g is not None and g.is_complex()
            expected = float(torch.sqrt(sum((p.grad.abs() ** 2).sum() for p in model.parameters())))
            top = float(g.abs().max())  # read before the step: the clip scales the gradient in place
            report = guard.step(torch.nn.functional.mse_loss(model(x), y).detach())
            stats = guard.last_stats
            i = guard.inventory.layer_names().index("<root>")
            assert report.grad_norm == pytest.approx(expected, rel=1e-5)
            assert stats.layer_grad_maxabs[i] == pytest.approx(top, rel=1e-5)
            torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.05)
            opt_twin.step()
        for a, b in zip(model.parameters(), twin.parameters()):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)
        before = [p.detach().clone() for p in model.parameters()]
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        model.w.grad[0, 0, 0] = complex(float("nan"), 0.0)
        report = guard.step(loss.detach())
    assert not report.applied
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


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
