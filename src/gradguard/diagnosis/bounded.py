"""An output squashed into a range its regression targets are not in (issue 12, session 14).

Read off the loss's autograd graph, whatever form the step takes (a closure included): each regression loss node
that saves its target (``mse_loss``, ``smooth_l1_loss``, ``huber_loss``) is followed back from its input through
ops that only move or select values (views, squeezes, ``gather``, indexing) to the first op that computes. When that
op bounds its output — a sigmoid or softmax to (0, 1), a tanh to (-1, 1) — and at least ``OUTSIDE_SHARE`` of the
target's elements lie outside that range, those targets can never be fitted and the squashing op saturates as it
reaches for them (its gradient vanishes): ``activation``. A copied ``torch.sigmoid`` on a ratings decoder (1 to 5
stars), a sigmoid on a Q-value head. It is a fact of the ranges, not a threshold on a measured scale: a target at a
bound (0 or 1 under a sigmoid) counts as inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .findings import Finding
from .graph import graph_nodes

__all__ = ["OUTSIDE_CRIT", "OUTSIDE_SHARE", "BoundedOutput", "bounded_output_findings", "bounded_outputs"]

#: share of target elements outside the output's range from which it is a finding (warning), and critical
OUTSIDE_SHARE, OUTSIDE_CRIT = 0.1, 0.5
#: loss nodes whose target is saved on the node (``_saved_target``), and their names in messages
_LOSSES = {"MseLossBackward": "MSE", "SmoothL1LossBackward": "smooth L1", "HuberLossBackward": "Huber"}
#: ops that move or select values without computing new ones
_MOVES = ("ViewBackward", "UnsafeViewBackward", "ReshapeAliasBackward", "SqueezeBackward", "UnsqueezeBackward",
          "GatherBackward", "SelectBackward", "IndexBackward", "SliceBackward", "TBackward", "TransposeBackward",
          "PermuteBackward", "ExpandBackward", "CloneBackward", "AliasBackward", "ToCopyBackward")
#: bounding ops and their open ranges
_BOUNDS = {"SigmoidBackward": ("sigmoid", 0.0, 1.0), "SoftmaxBackward": ("softmax", 0.0, 1.0),
           "TanhBackward": ("tanh", -1.0, 1.0)}
#: graph nodes walked looking for loss nodes
_BUDGET = 4096


@dataclass(frozen=True)
class BoundedOutput:
    """A regression loss whose prediction is squashed into ``(low, high)`` by ``op``, and its target's range."""

    loss: str
    op: str
    low: float
    high: float
    outside: float  # share of the target's elements outside [low, high]
    target_min: float
    target_max: float


def _name(node: Any) -> str:
    return type(node).__name__.rstrip("0123456789")


def _source(node: Any) -> Any:
    """The first node behind ``node`` that computes values (``node`` itself when it does)."""
    for _ in range(64):
        if node is None or _name(node) not in _MOVES:
            return node
        node = next((f for f, _ in node.next_functions if f is not None), None)
    return node


def bounded_outputs(loss: torch.Tensor) -> list[BoundedOutput]:
    """Every regression loss node in ``loss``'s graph whose prediction a bounding op squashes (see the module
    docstring), with the share of its target outside that range."""
    out: list[BoundedOutput] = []
    for node in graph_nodes(loss, _BUDGET):
        if _name(node) not in _LOSSES:
            continue
        target = getattr(node, "_saved_target", None)
        first = next((f for f, _ in node.next_functions), None)
        src = _source(first)
        bound = _BOUNDS.get(_name(src)) if src is not None else None
        if bound is None or not isinstance(target, torch.Tensor) or not target.is_floating_point() or \
                target.numel() == 0:
            continue
        op, low, high = bound
        with torch.no_grad():
            t = target.detach().float()
            t = t[torch.isfinite(t)]
            if t.numel() == 0:
                continue
            outside = float(((t < low) | (t > high)).float().mean())
            out.append(BoundedOutput(_LOSSES[_name(node)], op, low, high, outside, float(t.min()),
                                     float(t.max())))
    return out


def bounded_output_findings(probe: Any) -> list[Finding]:
    """``activation`` when a regression loss's prediction is squashed into a range that at least ``OUTSIDE_SHARE``
    of its targets lie outside (critical from ``OUTSIDE_CRIT``); ``probe``: the :class:`~.probe.ProbeResult`."""
    worst = max((b for b in probe.bounded if b.outside >= OUTSIDE_SHARE), key=lambda b: b.outside, default=None)
    if worst is None:
        return []
    return [Finding(
        cause="activation", layers=[], severity="critical" if worst.outside >= OUTSIDE_CRIT else "warning",
        confidence=0.9,
        evidence={"loss": worst.loss, "output_op": worst.op, "output_range": [worst.low, worst.high],
                  "targets_outside_share": round(worst.outside, 3), "target_min": worst.target_min,
                  "target_max": worst.target_max, "expected": "every target inside the output's range"},
        message=(f"The prediction fed to the {worst.loss} loss goes through a {worst.op}, bounded to ({worst.low:g}, "
                 f"{worst.high:g}), but {100 * worst.outside:.0f}% of the targets lie outside that range (they span "
                 f"{worst.target_min:.3g} to {worst.target_max:.3g}): those can never be fitted, and the {worst.op} "
                 "saturates reaching for them, so its gradient vanishes."),
        prescription=("Drop the output activation (a regression head is linear), or rescale the targets into its "
                      "range (and the predictions back)."),
        code="# in forward(): return self.head(h)  # not torch.sigmoid(self.head(h))",
        score=1.0 + 2.0 * worst.outside,
    )]
