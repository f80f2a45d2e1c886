"""A forecaster that standardises its input in place (thuml/Time-Series-Library's ``x_enc /= stdev`` after
``torch.var`` saved ``x_enc``) is checked, not refused (issue 12, real code round 9): the probe's leaf copies of the
inputs make that backward fail, so it reads the step again without them. The user's batch is left untouched."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import DiagnosisError, check


class _InplaceNormForecaster(nn.Module):
    """Per-window standardisation written as the library writes it, a Linear over time, then de-standardised."""

    def __init__(self, seq: int = 24, pred: int = 12) -> None:
        super().__init__()
        self.proj = nn.Linear(seq, pred)

    def forward(self, x_enc: torch.Tensor, x_mark: torch.Tensor) -> torch.Tensor:
        means = x_enc.mean(1, keepdim=True).detach()
        x_enc = x_enc - means
        stdev = torch.sqrt(torch.var(x_enc, dim=1, keepdim=True, unbiased=False) + 1e-5)
        x_enc /= stdev
        out = self.proj(x_enc.transpose(1, 2)).transpose(1, 2) + 0.0 * x_mark.mean()
        return out * stdev + means


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    t = torch.arange(36.0)
    series = torch.sin(t / 3)[None, :, None] + 0.1 * torch.randn(16, 36, 3, generator=g) + torch.randn(16, 1, 3,
                                                                                                       generator=g)
    return series[:, :24], torch.randn(16, 24, 4, generator=g), series[:, 24:]


def test_an_input_standardised_in_place_is_checked_and_the_batch_is_untouched() -> None:
    torch.manual_seed(0)
    model = _InplaceNormForecaster()
    x, mark, y = _batch()
    kept = x.clone()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    d = check(model, optimizer=opt, closure=lambda m: F.mse_loss(m(x, mark), y), confirm_steps=0)
    assert d.healthy and torch.equal(x, kept)
    # the failure it recovers from is real: the same backward with the input a leaf that requires grad
    leaf = x.clone().requires_grad_(True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        F.mse_loss(model(leaf, mark), y).backward()


def test_a_forward_that_fails_its_own_backward_is_still_reported() -> None:
    class _Broken(_InplaceNormForecaster):
        def forward(self, x_enc: torch.Tensor, x_mark: torch.Tensor) -> torch.Tensor:
            h = torch.sigmoid(self.proj(x_enc.transpose(1, 2)))
            h += 1.0  # sigmoid saved its output for backward: fails with or without leaf inputs
            return h.transpose(1, 2)

    model = _Broken()
    x, mark, y = _batch()
    with pytest.raises(DiagnosisError, match="inplace"):
        check(model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-4),
              closure=lambda m: F.mse_loss(m(x, mark), y), confirm_steps=0)
