"""A partly dead ReLU layer whose measured gradient shows no cost is spare width, not a fault (session 23).

``activations.COSTLESS_DEAD``: the warning for a ReLU with 50-90% of its units dead needs the measured gradient to
pay for it (>= 0.3 decades beyond a healthy ReLU), unless the units drift off through a deep unnormalised stack (the
``normalization`` reading). Seen halves: AFM's attention MLP (fresh19) 56% dead at 0.00 decades learns; a layer of
a plain ReLU MLP at bias -5 (``test_diagnosis_round8``) 66% dead at 0.68 decades fails and stays ``activation``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard import Diagnosis, check
from gradguard.diagnosis.activations import COSTLESS_DEAD, DEAD_CRIT, DEAD_WARN


def _mlp_with_dead_units(dead: int) -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
    with torch.no_grad():
        model[2].bias[:dead] = -20.0  # these units never fire; the other units are untouched
    return model


def _diagnose(model: nn.Module) -> Diagnosis:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(128, 32, generator=g), torch.randint(0, 4, (128,), generator=g)
    return check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))


def test_spare_dead_width_without_gradient_cost_is_info() -> None:
    d = _diagnose(_mlp_with_dead_units(36))  # 36 of 64 units: 56% dead, past DEAD_WARN
    relu = [f for f in d.findings if f.evidence.get("activation") == "relu"]
    assert relu and DEAD_WARN <= relu[0].evidence["worst_fraction"] < DEAD_CRIT
    assert relu[0].evidence["explained_decades"] < COSTLESS_DEAD
    assert relu[0].severity == "info" and d.healthy, d.render()


def test_a_layer_almost_all_dead_is_still_critical() -> None:
    d = _diagnose(_mlp_with_dead_units(60))  # 94% dead: past DEAD_CRIT
    assert not d.healthy and d.top is not None and d.top.cause == "activation" and d.top.severity == "critical"
