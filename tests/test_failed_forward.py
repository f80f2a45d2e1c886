"""When the step itself raises on a NaN the forward made, ``check`` diagnoses it instead of raising (pytorch/examples'
VAE at N(0, 1): ``exp(0.5 * logvar)`` overflows, ``binary_cross_entropy`` raises on the NaN probabilities, and
``check`` raised ``DiagnosisError`` with that message)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis import DiagnosisError
from helpers import VAE


def _loss(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    recon, mu, logvar = m(x)
    return F.binary_cross_entropy(recon, x, reduction="sum") - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def test_a_vae_at_normal_1_is_init_not_an_error() -> None:
    torch.manual_seed(0)
    model = VAE()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "weight" in name:
                p.normal_(0.0, 1.0)
    x = (torch.rand(32, 784) < 0.2).float()
    before = [p.detach().clone() for p in model.parameters()]
    d = gradguard.check(model, closure=lambda m: _loss(m, x), optimizer=torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical", d.findings
    assert "between 0 and 1" in d.top.evidence["step_error"]
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    # the same model at its default init: the step runs and the check is the usual one
    torch.manual_seed(0)
    ok = VAE()
    assert gradguard.check(ok, closure=lambda m: _loss(m, x), optimizer=torch.optim.Adam(ok.parameters(), 1e-3)).healthy


def test_a_failure_with_every_value_finite_still_raises() -> None:
    model = nn.Sequential(nn.Linear(8, 4))
    with pytest.raises(DiagnosisError, match="failed"):
        gradguard.check(model, (torch.randn(4, 8), torch.randn(4, 3)), F.mse_loss)  # a shape mismatch


@pytest.mark.parametrize("through_closure", [False, True])
def test_a_nan_record_under_bce_is_data_not_numeric(through_closure: bool) -> None:
    """yunjey/pytorch-tutorial's VAE and GAN with one NaN pixel in a batch (real-code round 16): ``BCELoss`` raises on
    the NaN its input carries through the model, and ``check`` blamed the first layer ("fc1 is the first module whose
    output is non-finite", ``numeric``); the NaN came with the batch, as ``MSELoss``'s path already says."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 784), nn.Sigmoid())
    x = torch.rand(32, 784)
    x[3, 17] = float("nan")
    y = x.nan_to_num(0.5)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    if through_closure:  # the batch is seen only where the model is called with it
        d = gradguard.check(model, closure=lambda m: F.binary_cross_entropy(m(x), y), optimizer=opt)
    else:
        d = gradguard.check(model, (x, y), nn.BCELoss(), opt)
    assert d.top is not None and d.top.cause == "data" and d.top.severity == "critical", d.findings
    assert "between 0 and 1" in d.top.message and d.top.evidence["non_finite_in"] == ["inputs"]
    assert torch.isnan(x[3, 17]) and int(torch.isnan(x).sum()) == 1  # the user's batch is left as it was
    # many NaN values (a log of 0 in the preprocessing): numeric first, as on the step that runs
    x[:, :8] = float("nan")
    d = gradguard.check(model, (x, y), nn.BCELoss(), opt)
    assert [f.cause for f in d.findings[:2]] == ["numeric", "data"], d.findings
