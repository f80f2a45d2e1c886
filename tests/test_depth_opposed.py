"""A gradient that grows toward the input while the signal shrinks is not a compounding of layer gains."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis.batch import resolve_step
from gradguard.diagnosis.depth import OPPOSED_DECADES, depth_findings
from gradguard.diagnosis.probe import run_probe
from gradguard.diagnosis.propagation import analyse_propagation


def _deep_mlp(gain: float) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor]]:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(13):  # 14 weight layers: a warning at 2-3 decades needs depth.SHORT_STACK (12) or more
        lin = nn.Linear(64, 64)
        nn.init.normal_(lin.weight, 0.0, gain / 8.0)
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(64, 4)), (torch.randn(128, 64), torch.randint(0, 4, (128,)))


def test_compounding_in_both_directions_is_a_finding_and_opposed_drift_is_information() -> None:
    model, batch = _deep_mlp(3.0)  # gains ~3 per layer: the signal grows, the gradient grows toward the input
    probe = run_probe(model, resolve_step(batch, F.cross_entropy, None))
    prop = analyse_propagation(probe)
    assert prop.backward is not None and prop.forward is not None
    prop.backward, prop.forward = 2.5, 0.9  # the same direction: compounding
    same = depth_findings(probe, prop, 0.0)
    assert same and same[0].severity == "warning" and "signal_drifts_the_other_way" not in same[0].evidence
    prop.forward = -(OPPOSED_DECADES + 0.1)  # the signal shrinks while the gradient grows
    opposed = depth_findings(probe, prop, 0.0)
    assert opposed and opposed[0].severity == "info" and opposed[0].evidence["signal_drifts_the_other_way"]
    assert "not a compounding of layer gains" in opposed[0].message
    prop.forward = -(OPPOSED_DECADES / 2)  # too small a drift to say
    assert depth_findings(probe, prop, 0.0)[0].severity == "warning"
