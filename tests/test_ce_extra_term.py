"""The chance loss log(C) is read only for a loss that is a cross-entropy of the output alone: the targets read back
from the logits' gradient give the cross-entropy the loss would be, and a loss well above it holds another term
(fresh111's GraphMLP: a 4-class cross-entropy plus half a neighbour-contrastive loss, told "at chance" at step 50
while it learned)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradguard.detectors.chance import OutputWidth, chance_of, implied_ce


def _first(loss_of: object, smoothing: float = 0.0) -> OutputWidth:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    width = OutputWidth(model)
    x, y = torch.randn(32, 8), torch.randint(0, 4, (32,))
    out = model(x)
    loss = loss_of(out, y, model)  # type: ignore[operator]
    loss.backward()
    width.first = float(loss.detach())  # type: ignore[attr-defined]
    return width


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("ignored", [False, True])
def test_the_cross_entropy_read_back_from_the_gradient_is_the_loss(reduction: str, ignored: bool) -> None:
    torch.manual_seed(1)
    z = torch.randn(20, 5, requires_grad=True)
    y = torch.randint(0, 5, (20,))
    if ignored:
        y[:6] = -100  # padding rows: no gradient, not in the mean
    loss = F.cross_entropy(z, y, reduction=reduction)
    (g,) = torch.autograd.grad(loss, z)
    assert implied_ce(z.detach(), g) == pytest.approx(float(loss), rel=1e-4)


@pytest.mark.parametrize("kwargs", [{"weight": torch.tensor([1.0, 5.0, 0.2, 3.0, 1.0])}, {"label_smoothing": 0.1}])
def test_class_weights_and_soft_targets_are_not_read_back(kwargs: dict) -> None:
    torch.manual_seed(2)
    z = torch.randn(20, 5, requires_grad=True)
    y = torch.randint(0, 5, (20,))
    loss = F.cross_entropy(z, y, **kwargs)
    (g,) = torch.autograd.grad(loss, z)
    assert implied_ce(z.detach(), g) is None


def test_a_cross_entropy_with_another_term_has_no_chance_loss_and_a_plain_one_keeps_log_c() -> None:
    def plain(out: torch.Tensor, y: torch.Tensor, _: nn.Module) -> torch.Tensor:
        return F.cross_entropy(out, y)

    def with_penalty(out: torch.Tensor, y: torch.Tensor, model: nn.Module) -> torch.Tensor:
        # a term on the hidden weights beside the classifier's (GraphMLP's contrastive loss stands so)
        return F.cross_entropy(out, y) + 0.08 * sum(p.pow(2).sum() for p in model[0].parameters())

    for loss_of, expected in ((plain, math.log(4)), (with_penalty, None)):
        w = _first(loss_of)
        assert w.ce_grad is True and w.ce_value is not None
        got = chance_of(w.classes, "unknown", w.own_loss, w.first, w.ce_range, w.ce_grad, w.ce_value)  # type: ignore[attr-defined]
        assert got == expected
    # without the read-back (the old reading) the penalised loss was taken for a 4-class cross-entropy
    w = _first(with_penalty)
    assert chance_of(w.classes, "unknown", w.own_loss, w.first, w.ce_range, w.ce_grad) == math.log(4)  # type: ignore[attr-defined]
