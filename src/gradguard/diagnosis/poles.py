"""``torch.tan`` in the model: an activation with poles, almost always ``torch.tanh`` mistyped.

``tan`` is unbounded and periodic: its output runs to infinity as its input nears ``±pi/2`` and its slope
``1 + tan^2`` with it, so a unit whose pre-activation drifts to a pole makes an arbitrarily large output and gradient,
and one past it flips sign. No standard architecture applies it to a learned signal (positional encodings and
trigonometric features take ``sin``/``cos`` of their inputs, not of weights' outputs); ``tanh`` is one letter away
(fresh38's BNAF with ``torch.tan`` between its masked layers: 326 nats at step 0, diverging from step 1; it had been
called ``lr`` by the confirmation alone).

Read off the loss's graph: every ``TanBackward`` node (its input takes a gradient, so it is a learned signal), with
the largest ``|tan|`` it produced on the batch (its saved result).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from .findings import Finding
from .graph import node_name, nodes_of, saved

__all__ = ["POLE_CRIT", "pole_findings", "tan_outputs"]

#: the largest |tan| on the batch from which the finding is critical (the input is within 1e-3 of a pole)
POLE_CRIT = 1e3


def tan_outputs(loss: torch.Tensor | Sequence[Any]) -> list[float]:
    """The largest ``|tan(x)|`` of every ``torch.tan`` in ``loss``'s graph (``loss``: the loss, or its graph's nodes
    already walked, :func:`.graph.nodes_of`); NaN where the saved output was freed."""
    out: list[float] = []
    try:
        for node in nodes_of(loss):
            if node_name(node) != "TanBackward":
                continue
            result = saved(node, "_saved_result")
            if isinstance(result, torch.Tensor) and result.numel():
                out.append(float(result.detach().abs().float().max()))
            else:
                out.append(math.nan)
    except RuntimeError:  # saved tensors already freed by a backward
        return out
    return out


def pole_findings(outputs: list[float]) -> list[Finding]:
    """``activation`` (warning; critical when an output is at least ``POLE_CRIT``) for a ``torch.tan`` applied to a
    learned signal (see the module docstring); [] when there is none."""
    if not outputs:
        return []
    finite = [v for v in outputs if math.isfinite(v)]
    worst = max(finite) if finite else math.inf
    return [Finding(
        cause="activation", layers=[], severity="critical" if worst >= POLE_CRIT else "warning", confidence=0.8,
        evidence={"tan_ops": len(outputs), "largest_abs_output": worst if math.isfinite(worst) else None,
                  "expected": "tanh (bounded in [-1, 1]) where a squashing activation is meant"},
        message=(f"torch.tan is applied to a learned signal ({len(outputs)} time(s) in the forward; its largest output "
                 f"on this batch is {worst:.3g}): tan has poles at ±pi/2, so a pre-activation that drifts there makes "
                 "an unbounded output and gradient, and one past it flips sign. Did you mean torch.tanh?"),
        prescription="Use torch.tanh (bounded, slope at most 1) where a squashing activation is meant.",
        code="h = torch.tanh(h)  # not torch.tan(h)",
        score=2.5 if worst >= POLE_CRIT else 2.0,
    )]
