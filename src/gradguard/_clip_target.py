"""The far clip target of ``safe``'s adaptive clipper, as one torch float64 expression for the host and the device.

:class:`~gradguard.mitigation.adaptive.ClipAdaptive` clips a step far above its threshold to
:math:`e^{\\mu + (zs)^2 / \\max(\\log\\lVert g\\rVert - \\mu,\\ zs)}`. The deferred mode computes it on the device
(:mod:`gradguard.deferred_adaptive`); for the two modes to scale the gradients by the very same double, the host
computes it with the same torch operations in the same order (``math.exp``/``math.log`` and torch's vectorised
``exp``/``log`` disagree in the last bit on ~0.5% of doubles on this CPU). Imports only torch.
"""

from __future__ import annotations

import torch

__all__ = ["far_target", "far_target_host"]


def far_target(norm: torch.Tensor, mean: torch.Tensor, zs: torch.Tensor, zs2: torch.Tensor) -> torch.Tensor:
    """``exp(mean + zs2 / max(log(norm) - mean, zs))`` on 0-d float64 tensors of one device (a true division)."""
    return torch.exp(mean + torch.div(zs2, torch.maximum(torch.log(norm) - mean, zs)))


def far_target_host(mean: float, zs: float, norm: float) -> float:
    """:func:`far_target` for host floats (float64 CPU tensors, ~15 µs): ``zs2`` is ``zs * zs`` in Python doubles."""
    t = torch.tensor((norm, mean, zs, zs * zs), dtype=torch.float64)
    return float(far_target(t[0], t[1], t[2], t[3]))
