"""Signal propagation through the chain of weight layers, and how much of it each part of the network causes.

Along the weight layers in execution order, with ``g_k`` the norm of dloss/d(output of layer k):

* backward gain ``G = g_first / g_last`` (> 1: the gradient grows toward the input, explodes; < 1: it vanishes),
* forward drift ``D = rms(output_last_hidden) / rms(output_first)``,
* ``log G`` splits exactly into per-layer *weight* parts ``log(||dL/d input_k|| / g_k)`` and per-transition
  *between* parts ``log(g_k / ||dL/d input_{k+1}||)`` (activation, normalisation, dropout between two layers).

All figures are ``log10`` (decades), clipped to +-30.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .layers import RELU_FAMILY
from .probe import CallRecord, ProbeResult

__all__ = ["Propagation", "analyse_propagation", "log10_ratio"]

_CLIP = 30.0
#: healthy between-part gain of an activation: ReLU zeroes about half the units (He et al. 2015)
IDEAL_ACTIVATION_GAIN: dict[str, float] = {"relu": math.sqrt(0.5)}


def log10_ratio(a: float | None, b: float | None) -> float | None:
    """``log10(a / b)`` clipped to +-30; None when either is missing or not finite."""
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    a, b = max(a, 1e-30), max(b, 1e-30)
    return max(-_CLIP, min(_CLIP, math.log10(a / b)))


@dataclass
class Propagation:
    """The measured propagation profile (decades)."""

    chain: list[CallRecord]
    backward: float | None = None
    forward: float | None = None
    weight_part: dict[str, float] = field(default_factory=dict)
    between_part: dict[str, float] = field(default_factory=dict)

    @property
    def measured(self) -> float | None:
        """Signed decades of trouble: the backward gain, or the forward drift when that is larger."""
        vals = [v for v in (self.backward, self.forward) if v is not None]
        if not vals:
            return None
        return max(vals, key=abs)

    def activation_excess(self) -> dict[str, float]:
        """Per weight layer, the between part beyond what its activation costs when healthy (decades)."""
        out: dict[str, float] = {}
        for rec in self.chain:
            b = self.between_part.get(rec.name)
            act = rec.activation or "identity"
            if b is None or act == "identity":
                continue
            ideal = IDEAL_ACTIVATION_GAIN.get(act, math.sqrt(0.5) if act in RELU_FAMILY else 1.0)
            out[rec.name] = b - math.log10(ideal)
        return out

    def profile(self) -> list[dict[str, object]]:
        """Per weight layer: output RMS, norm of the loss gradient at its output, the activation after it."""
        return [{"layer": r.name, "out_rms": r.out_rms, "grad_norm": r.grad_out,
                 "activation": r.activation or "identity"} for r in self.chain]


def analyse_propagation(probe: ProbeResult) -> Propagation:
    """Profile the weight-layer chain of one probe (see the module docstring)."""
    chain = probe.weight_chain()
    prop = Propagation(chain=chain)
    if len(chain) < 2:
        return prop
    prop.backward = log10_ratio(chain[0].grad_out, chain[-1].grad_out)
    hidden = chain[:-1] if len(chain) > 2 else chain
    prop.forward = log10_ratio(hidden[-1].out_rms, hidden[0].out_rms)
    for k, rec in enumerate(chain):
        if k > 0:
            w = log10_ratio(rec.grad_in, rec.grad_out)
            if w is not None:
                prop.weight_part[rec.name] = w
        if k + 1 < len(chain):
            b = log10_ratio(rec.grad_out, chain[k + 1].grad_in)
            if b is not None:
                prop.between_part[rec.name] = b
    return prop
