"""The far clip target of ``safe``'s adaptive clipper, as one torch float64 expression for the host and the device.

:class:`~gradguard.mitigation.adaptive.ClipAdaptive` clips a step far above its threshold to
:math:`e^{\\mu + (zs)^2 / \\max(\\log\\lVert g\\rVert - \\mu,\\ zs)}`. The deferred mode computes it on the device
(:mod:`gradguard.deferred_adaptive`); for the two modes to scale the gradients by the very same double, the host
computes it with the same operations in the same order, its ``log`` and ``exp`` by torch (``math.exp``/``math.log``
and torch's vectorised ``exp``/``log`` disagree in the last bit on ~0.5% of doubles on this CPU). Imports only torch
and math.
"""

from __future__ import annotations

import math

import torch

__all__ = ["far_target", "far_target_host"]


def far_target(norm: torch.Tensor, mean: torch.Tensor, zs: torch.Tensor, zs2: torch.Tensor) -> torch.Tensor:
    """``exp(mean + zs2 / max(log(norm) - mean, zs))`` on 0-d float64 tensors of one device (a true division)."""
    return torch.exp(mean + torch.div(zs2, torch.maximum(torch.log(norm) - mean, zs)))


def far_target_host(mean: float, zs: float, norm: float) -> float:
    """:func:`far_target` for host floats, double for double: only ``log`` and ``exp`` go through torch (a 0-d
    float64 CPU tensor each, torch's own kernels); the subtraction, ``maximum`` (NaN if either is), division and
    addition in between are single IEEE operations, which Python floats round the same (a division by zero as IEEE
    gives it). ``zs2`` is ``zs * zs`` in Python doubles. Six torch calls, none of them a read of a device value
    (~14 before, a cost both sync modes paid on every clipped step)."""
    t = torch.tensor(norm, dtype=torch.float64)
    d = t.log_().item() - mean
    if d != d or zs != zs:
        d = math.nan
    elif d < zs:  # torch.maximum(a, b) is std::max(a, b) for non-NaN doubles: a unless a < b
        d = zs
    return float(t.fill_(mean + _div(zs * zs, d)).exp_().item())


def _div(a: float, b: float) -> float:
    """``a / b`` as IEEE (and torch) divide doubles: a division by a zero is +-inf or NaN, not an error."""
    if b != 0.0:
        return a / b
    if a != a or a == 0.0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)
