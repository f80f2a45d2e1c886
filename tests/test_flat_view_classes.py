"""A loss that flattens ``(B, C, H, W)`` logits with ``reshape(-1, C)`` (no permute) reads every row across classes
and positions: ideal logits on the output's class axis score like a guess, and laid in the layout the flat view
reads they score well. That is ``data`` (the predictions and targets do not line up), not a loss that cannot tell a
perfect prediction (fresh109's LEDNet: told ``regularization`` at first sight at both seeds)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _seg_check(loss_fn):  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 3, 1))
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 1, 8, 8, generator=g)
    y = (x[:, 0] > 0.5).long() + (x[:, 0] > -0.5).long()  # three classes by intensity
    return gradguard.check(model, (x, y), loss_fn, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_logits_flattened_without_the_permute_are_named_data() -> None:
    d = _seg_check(lambda out, y: F.cross_entropy(out.reshape(-1, 3), y.reshape(-1)))
    assert d.top is not None and d.top.cause == "data" and d.top.severity == "critical"
    assert d.top.evidence["ideal_loss_flat_view"] < 0.1 * d.top.evidence["uniform_loss"]
    assert "wrong axis" in d.top.message


def test_the_right_layouts_and_a_smoothed_loss_are_not() -> None:
    for loss_fn in (lambda out, y: F.cross_entropy(out, y),
                    lambda out, y: F.cross_entropy(out.permute(0, 2, 3, 1).reshape(-1, 3), y.reshape(-1))):
        d = _seg_check(loss_fn)
        assert not any(f.cause == "data" and "ideal_loss_flat_view" in f.evidence for f in d.findings)
    # a loss that truly cannot tell a perfect prediction (label smoothing near 1) stays regularization
    d = _seg_check(lambda out, y: F.cross_entropy(out, y, label_smoothing=0.95))
    assert d.top is not None and d.top.cause == "regularization"
