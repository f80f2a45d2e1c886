"""Float inputs two decades below unit scale are named data; a tenth of unit scale is not."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _check(scale: float) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
                          nn.Flatten(), nn.Linear(16 * 8 * 8, 10))
    x = torch.rand(32, 3, 8, 8) * scale  # pixels in [0, scale]
    y = torch.randint(0, 10, (32,))
    return gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))


def test_pixels_divided_by_255_twice_are_data() -> None:
    d = _check(1 / 255)  # rms ~0.0023: 2.6 decades below unit scale
    assert d.top is not None and d.top.cause == "data" and "below unit scale" in d.top.message, d.top


def test_inputs_a_tenth_of_unit_scale_are_not_data() -> None:
    d = _check(0.2)  # rms ~0.12
    assert not any(f.cause == "data" and f.severity != "info" for f in d.findings)
