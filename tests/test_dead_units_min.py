"""A dead fraction of a layer with a handful of units is not read; the same fraction of a wide layer is."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.activations import MIN_UNITS, _units


def _net(width: int) -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 4))
    with torch.no_grad():
        net[2].bias[: width // 2 + 1] = -100.0  # just over half the units never positive: dead on any batch
    return net


def _dead_findings(width: int) -> list:
    g = torch.Generator().manual_seed(1)
    batch = (torch.randn(128, 16, generator=g), torch.randint(0, 4, (128,), generator=g))
    net = _net(width)
    d = gradguard.check(net, batch, F.cross_entropy, torch.optim.Adam(net.parameters(), lr=1e-3))
    return [f for f in d.findings if f.cause in ("activation", "normalization")
            and f.evidence.get("activation") == "relu"]


def test_a_handful_of_units_is_not_read_and_a_wide_layer_is() -> None:
    assert _units((16, 4)) == 4 and _units((8, 32, 5, 5)) == 32 and _units((8, 20, 64)) == 64
    assert not any((f.evidence.get("worst_fraction") or 0) > 0.5 for f in _dead_findings(MIN_UNITS // 2))
    wide = _dead_findings(4 * MIN_UNITS)
    assert wide and wide[0].evidence["worst_fraction"] > 0.5  # read (a warning only where the gradient pays for
    # it: activations.COSTLESS_DEAD, tests/test_costless_dead_units.py)
