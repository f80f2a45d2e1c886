"""Initialisation: each weight's standard deviation against the scale its fan-in, fan-out and activation call for.

Expected standard deviation (a normal init of that std keeps the signal variance constant across layers):

* ReLU family (He et al. 2015): ``sqrt(2 / fan_in)`` (``sqrt(2 / (1 + a^2) / fan_in)`` for LeakyReLU slope a,
  ``sqrt(1 / fan_in)`` for SELU);
* tanh, sigmoid, no activation (Glorot & Bengio 2010): ``sqrt(2 / (fan_in + fan_out))``;
* recurrent ``weight_hh`` (per gate block): orthogonal, std ``1 / sqrt(hidden)`` (Saxe et al. 2014);
* ``nn.Embedding``: ``1`` (unit-variance embeddings, PyTorch's default).

A layer is *off* when ``std / expected`` is beyond ``OFF_FACTOR`` either way. The finding is a warning or
critical only when the measured propagation goes the same way (the gradient or the signal grows by decades for
too-large weights, shrinks for too-small ones); otherwise it is reported as info.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .findings import Finding
from .layers import RELU_FAMILY
from .probe import ProbeResult
from .propagation import Propagation

__all__ = ["OFF_FACTOR", "WeightSpec", "expected_std", "init_findings", "weight_specs"]

#: a weight whose std is off by more than this factor from the expected one is named
OFF_FACTOR = 1.9
_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1, "LSTMCell": 4, "GRUCell": 3, "RNNCell": 1}


@dataclass
class WeightSpec:
    """One weight tensor with its measured and expected standard deviation."""

    key: str
    module: str
    param: str
    fan_in: int
    fan_out: int
    activation: str
    scheme: str
    std: float
    expected_std: float

    @property
    def factor(self) -> float:
        """``std / expected_std`` (> 1: too large)."""
        return self.std / self.expected_std if self.expected_std > 0 else float("nan")


def expected_std(activation: str, fan_in: int, fan_out: int, slope: float = 0.01) -> tuple[float, str]:
    """(expected std, init scheme name) for a layer followed by ``activation``."""
    if activation == "selu":
        return math.sqrt(1.0 / fan_in), "lecun_normal"
    if activation == "leaky_relu":
        return math.sqrt(2.0 / (1 + slope**2) / fan_in), "kaiming_normal(leaky_relu)"
    if activation in RELU_FAMILY:
        return math.sqrt(2.0 / fan_in), "kaiming_normal(relu)"
    return math.sqrt(2.0 / (fan_in + fan_out)), "xavier_normal"


def _fans(w: torch.Tensor) -> tuple[int, int]:
    receptive = int(w[0, 0].numel()) if w.ndim > 2 else 1
    return int(w.shape[1]) * receptive, int(w.shape[0]) * receptive


def _std(w: torch.Tensor) -> float:
    return float(w.detach().float().std()) if w.numel() > 1 else float("nan")


def weight_specs(probe: ProbeResult) -> list[WeightSpec]:
    """Every weight the init check knows how to judge, with the activation found to follow it."""
    acts: dict[str, str] = {}
    for rec in probe.records:
        if rec.call == 0 and rec.activation_source != "none" and rec.name not in acts:
            acts[rec.name] = rec.activation or "identity"
    specs: list[WeightSpec] = []
    for name, m in probe.modules.items():
        if isinstance(m, nn.Embedding):
            w = m.weight
            specs.append(WeightSpec(f"{name}.weight", name, "weight", 1, int(w.shape[1]), "identity", "normal(0, 1)",
                                    _std(w), 1.0))
        elif isinstance(m, nn.Linear | nn.modules.conv._ConvNd | nn.Bilinear):
            w = m.weight
            if w.ndim < 2:
                continue
            fi, fo = _fans(w if not isinstance(m, nn.Bilinear) else w[:, :, :])
            if isinstance(m, nn.modules.conv._ConvTransposeNd):
                fi, fo = fo, fi
            act = acts.get(name, "identity")
            slope = float(getattr(probe.modules.get(name), "negative_slope", 0.01))
            exp, scheme = expected_std(act, fi, fo, slope)
            specs.append(WeightSpec(f"{name}.weight", name, "weight", fi, fo, act, scheme, _std(w), exp))
        elif isinstance(m, nn.RNNBase | nn.RNNCellBase):
            gates = _GATES.get(type(m).__name__, 1)
            act = "relu" if getattr(m, "nonlinearity", "tanh") == "relu" else "tanh"
            for pname, p in m.named_parameters(recurse=False):
                if not pname.startswith("weight_") or p.ndim != 2:
                    continue
                hidden = int(p.shape[0]) // gates
                fi = int(p.shape[1])
                if pname.startswith("weight_hh"):
                    exp, scheme = 1.0 / math.sqrt(fi), "orthogonal"
                else:
                    exp, scheme = expected_std(act if act == "relu" else "tanh", fi, hidden)
                specs.append(WeightSpec(f"{name}.{pname}", name, pname, fi, hidden, act, scheme, _std(p), exp))
        elif isinstance(m, nn.MultiheadAttention) and getattr(m, "in_proj_weight", None) is not None:
            w = m.in_proj_weight
            assert w is not None
            fi, fo = int(w.shape[1]), int(w.shape[0])
            exp, scheme = expected_std("identity", fi, fo)
            specs.append(WeightSpec(f"{name}.in_proj_weight", name, "in_proj_weight", fi, fo, "identity", scheme,
                                    _std(w), exp))
    return specs


def _layer_evidence(s: WeightSpec) -> dict[str, object]:
    return {"std": round(s.std, 6), "expected_std": round(s.expected_std, 6), "factor": round(s.factor, 3),
            "activation": s.activation, "scheme": s.scheme, "param": s.param}


def init_findings(probe: ProbeResult, prop: Propagation) -> tuple[list[Finding], float]:
    """Findings about mis-scaled weights, and the decades of measured trouble they explain (signed)."""
    specs = [s for s in weight_specs(probe) if math.isfinite(s.factor) and s.factor > 0]
    off = [s for s in specs if abs(math.log(s.factor)) > math.log(OFF_FACTOR)]
    if not off:
        return [], 0.0
    chain_names = {r.name for r in prop.chain}
    measured = prop.measured
    findings: list[Finding] = []
    explained_total = 0.0
    info_layers: list[WeightSpec] = []
    for direction in (1, -1):
        group = [s for s in off if (s.factor > 1) == (direction > 0)]
        in_chain = [s for s in group if s.module in chain_names and "weight_hh" not in s.param]
        predicted = sum(math.log10(s.factor) for s in in_chain)
        confirmed = (measured is not None and len(prop.chain) >= 2 and in_chain
                     and measured * direction >= 1.0 and predicted * direction > 0)
        if not confirmed:
            info_layers.extend(group)
            continue
        assert measured is not None
        explained = min(abs(predicted), abs(measured))
        explained_total += direction * explained
        severity = "critical" if explained >= 2.0 else "warning"
        word = "large" if direction > 0 else "small"
        worst = max(in_chain, key=lambda s: abs(math.log(s.factor)))
        gm = math.exp(sum(math.log(s.factor) for s in in_chain) / len(in_chain))
        fixes = sorted({s.scheme for s in in_chain})
        findings.append(Finding(
            cause="init",
            layers=[s.module for s in in_chain],
            severity=severity,
            confidence=0.5 + 0.5 * min(1.0, explained / max(abs(measured), 1e-9)),
            evidence={
                "layers": {s.key: _layer_evidence(s) for s in in_chain},
                "typical_factor": round(gm, 3),
                "predicted_decades": round(predicted, 2),
                "measured_decades": round(measured, 2),
                "gradient_gain_first_to_last": _fmt_gain(prop.backward),
                "forward_drift_last_to_first": _fmt_gain(prop.forward),
            },
            message=(
                f"{len(in_chain)} weight layer(s) are initialised too {word}: std is about {gm:.2f}x the "
                f"{'He' if 'kaiming' in worst.scheme else 'Xavier'} value for their fan-in/fan-out and activation "
                f"(worst: {worst.key}, {worst.std:.3g} vs {worst.expected_std:.3g}). Compounded over the layers "
                f"this predicts {abs(predicted):.1f} decades of {'growth' if direction > 0 else 'decay'}; the probe "
                f"measured {abs(measured):.1f}."
            ),
            prescription=(
                f"Re-initialise these layers with {', '.join(fixes)} (He et al. 2015 for ReLU-family activations, "
                "Glorot & Bengio 2010 for tanh/sigmoid/linear). gradguard can do it: fix(model, diagnosis)."
            ),
            code="from gradguard.diagnosis import fix\nchanges = fix(model, diagnosis)  # re-initialises these layers",
            score=explained,
        ))
    if info_layers:
        findings.append(Finding(
            cause="init",
            layers=sorted({s.module for s in info_layers}),
            severity="info",
            confidence=0.3,
            evidence={"layers": {s.key: _layer_evidence(s) for s in info_layers},
                      "measured_decades": None if measured is None else round(measured, 2)},
            message=(
                f"{len(info_layers)} weight(s) are off the Xavier/He scale by more than {OFF_FACTOR}x, but the "
                "measured propagation does not show them causing trouble (normalisation, residuals or shallow depth "
                "absorb it)."
            ),
            prescription="Nothing to do now; re-initialise them if gradients start to explode or vanish.",
            code="from gradguard.diagnosis import fix\nfix(model, diagnosis)  # applies warning/critical findings only",
            score=0.1,
        ))
    return findings, explained_total


def _fmt_gain(decades: float | None) -> float | None:
    return None if decades is None else float(f"{10.0 ** decades:.3g}")
