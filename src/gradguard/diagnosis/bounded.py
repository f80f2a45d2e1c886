"""An output squashed into a range its regression targets are not in (issue 12, session 14).

Read off the loss's autograd graph, whatever form the step takes (a closure included): each regression loss node
that saves its target (``mse_loss``, ``smooth_l1_loss``, ``huber_loss``) is followed back from its input through
ops that only move or select values (views, squeezes, ``gather``, indexing) to the first op that computes. When that
op bounds its output — a sigmoid or softmax to (0, 1), a tanh to (-1, 1) — and at least ``OUTSIDE_SHARE`` of the
target's elements lie outside that range, those targets can never be fitted and the squashing op saturates as it
reaches for them (its gradient vanishes): ``activation``. A copied ``torch.sigmoid`` on a ratings decoder (1 to 5
stars), a sigmoid on a Q-value head. It is a fact of the ranges, not a threshold on a measured scale: a target at a
bound (0 or 1 under a sigmoid) counts as inside.

A prediction written as a similarity, ``exp(-d)`` of a distance that is non-negative by construction (an absolute
value, a norm or a ReLU, or a sum or mean of one: MaLSTM's ``exp(-||h_a - h_b||_1)``), is bounded to (0, 1] the same
way; there the range is the model's definition, not a choice of head, so targets outside it are named ``data``
(targets on another scale, SICK's 1-5 relatedness fed to a model that predicts in (0, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .findings import Finding
from .graph import VALUE_MOVES, graph_nodes, saved, skip_nodes
from .graph import node_name as _name

__all__ = ["OUTSIDE_CRIT", "OUTSIDE_SHARE", "BoundedOutput", "bounded_output_findings", "bounded_outputs",
           "regression_nodes", "saved_targets"]

#: share of target elements outside the output's range from which it is a finding (warning), and critical
OUTSIDE_SHARE, OUTSIDE_CRIT = 0.1, 0.5
#: loss nodes whose target is saved on the node (``_saved_target``), and their names in messages
_LOSSES = {"MseLossBackward": "MSE", "SmoothL1LossBackward": "smooth L1", "HuberLossBackward": "Huber"}
#: ops that move or select values without computing new ones
_MOVES = VALUE_MOVES
#: bounding ops and their open ranges
_BOUNDS = {"SigmoidBackward": ("sigmoid", 0.0, 1.0), "SoftmaxBackward": ("softmax", 0.0, 1.0),
           "TanhBackward": ("tanh", -1.0, 1.0)}
#: the similarity bound: ``exp(-d)`` of a non-negative ``d``
SIMILARITY = "exp(-distance)"
#: losses on logits whose target is saved on the node: a logit that cannot go below 0 predicts at least 0.5
_LOGIT_LOSSES = {"BinaryCrossEntropyWithLogitsBackward": "BCE-with-logits"}
#: ops whose output is non-negative, and reductions that keep a non-negative input non-negative
_NONNEG = ("AbsBackward", "NormBackward", "LinalgVectorNormBackward", "ReluBackward", "SqrtBackward")
_KEEPS_SIGN = ("SumBackward", "MeanBackward", *_MOVES)
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


def _source(node: Any) -> Any:
    """The first node behind ``node`` that computes values (``node`` itself when it does)."""
    return skip_nodes(node, _MOVES)


def _first_input(node: Any) -> Any:
    return next((f for f, _ in node.next_functions if f is not None), None)


#: ops whose output is non-negative when every input is: moves, joins, resampling, pooling, sums and means (not an
#: add: its other operand may be a constant the graph does not show)
_KEEP_NONNEG = (*_MOVES, "CatBackward", "StackBackward", "UpsampleBilinear2DBackward", "UpsampleNearest2DBackward",
                "UpsampleBicubic2DBackward", "AvgPool2DBackward", "MaxPool2DWithIndicesBackward", "SumBackward",
                "MeanBackward")


def _nonnegative(node: Any, keep: tuple[str, ...] = _KEEP_NONNEG, depth: int = 0) -> str:
    """The name of the op that makes ``node``'s output non-negative ("relu", "abs"...) when every path behind it
    through ``keep`` ops (at most 16 deep) ends at a :data:`_NONNEG` op (U2-Net's side maps: ReLU, upsampled,
    concatenated, sliced); "" otherwise."""
    if node is None or depth > 16:
        return ""
    name = _name(node)
    if name in _NONNEG:
        return name.removesuffix("Backward").lower()
    if name not in keep:
        return ""
    found = [_nonnegative(f, keep, depth + 1) for f, _ in node.next_functions if f is not None]
    return found[0] if found and all(found) else ""


def _bound(src: Any) -> tuple[str, float, float] | None:
    """The range ``src`` bounds its output to: a squashing op's, or (0, 1] for ``exp(-d)`` of a non-negative ``d``."""
    name = _name(src)
    if name in _BOUNDS:
        return _BOUNDS[name]
    if name != "ExpBackward":
        return None
    neg = _source(_first_input(src))
    if neg is None or _name(neg) != "NegBackward":
        return None
    # through sums and means of a non-negative quantity
    return (SIMILARITY, 0.0, 1.0) if _nonnegative(_first_input(neg), _KEEPS_SIGN) else None


def regression_nodes(loss: torch.Tensor) -> list[Any]:
    """The regression loss nodes (MSE, smooth L1, Huber) of ``loss``'s graph, found in one walk (at most ``_BUDGET``
    nodes), for :func:`bounded_outputs` and :func:`saved_targets` to share."""
    return [node for node in graph_nodes(loss, _BUDGET) if _name(node) in _LOSSES or _name(node) in _LOGIT_LOSSES]


def saved_targets(loss: torch.Tensor, nodes: list[Any] | None = None) -> list[torch.Tensor]:
    """The floating-point targets that the regression losses in ``loss``'s graph saved (MSE, smooth L1, Huber): what
    a closure's loss compares the model with, when no ``targets`` were passed (an actor-critic's returns).
    ``nodes``: :func:`regression_nodes` of ``loss`` when already found."""
    out: list[torch.Tensor] = []
    for node in regression_nodes(loss) if nodes is None else nodes:
        target = saved(node, "_saved_target")
        if _name(node) in _LOSSES and isinstance(target, torch.Tensor) and target.is_floating_point() and \
                target.numel():
            out.append(target.detach())
    return out


def bounded_outputs(loss: torch.Tensor, nodes: list[Any] | None = None) -> list[BoundedOutput]:
    """Every regression loss node in ``loss``'s graph whose prediction a bounding op squashes (see the module
    docstring), with the share of its target outside that range. ``nodes``: :func:`regression_nodes` of ``loss``
    when already found."""
    out: list[BoundedOutput] = []
    for node in regression_nodes(loss) if nodes is None else nodes:
        target = saved(node, "_saved_target")
        first = next((f for f, _ in node.next_functions), None)
        src = _source(first)
        if _name(node) in _LOGIT_LOSSES:  # a non-negative logit: the sigmoid's prediction is at least 0.5
            op = _nonnegative(first)
            bound = (op, 0.5, 1.0) if op else None
        else:
            bound = _bound(src) if src is not None else None
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
            loss_name = _LOSSES.get(_name(node)) or _LOGIT_LOSSES[_name(node)]
            out.append(BoundedOutput(loss_name, op, low, high, outside, float(t.min()), float(t.max())))
    return out


def bounded_output_findings(probe: Any) -> list[Finding]:
    """``activation`` when a regression loss's prediction is squashed into a range that at least ``OUTSIDE_SHARE``
    of its targets lie outside (critical from ``OUTSIDE_CRIT``); ``probe``: the :class:`~.probe.ProbeResult`."""
    worst = max((b for b in probe.bounded if b.outside >= OUTSIDE_SHARE), key=lambda b: b.outside, default=None)
    if worst is None:
        return []
    spans = f"{100 * worst.outside:.0f}% of the targets"
    between = f"(they span {worst.target_min:.3g} to {worst.target_max:.3g})"
    if worst.op == SIMILARITY:  # the range is the model's definition: the targets are on another scale
        return [_finding(
            worst, "data", 0.8,
            f"The prediction fed to the {worst.loss} loss is exp(-d) of a non-negative distance, a similarity in "
            f"(0, 1] by construction, but {spans} lie outside that range {between}: the targets are on another scale, "
            "and the model can only push its distances to 0 reaching for them.",
            "Rescale the targets into (0, 1] (e.g. (y - y_min) / (y_max - y_min) for a 1-5 relatedness score), and "
            "scale predictions back when reporting.",
            "y = (y - 1.0) / 4.0  # a 1-5 score to [0, 1]")]
    if worst.loss in _LOGIT_LOSSES.values():  # fresh93's U2-Net: a ReLU on its side outputs, told healthy
        return [_finding(
            worst, "activation", 0.9,
            f"The logits fed to the {worst.loss} loss come out of a {worst.op}, so they are never negative and every "
            f"predicted probability is at least 0.5, but {spans} are below 0.5 {between}: those can never be fitted, "
            f"and where the {worst.op} is off no gradient reaches the layer before it.",
            "Feed the loss the raw logits: the loss applies the sigmoid itself, and a logit must be negative to "
            "predict the class 0.",
            "# in forward(): return self.side(h)  # not torch.relu(self.side(h))")]
    return [_finding(
        worst, "activation", 0.9,
        f"The prediction fed to the {worst.loss} loss goes through a {worst.op}, bounded to ({worst.low:g}, "
        f"{worst.high:g}), but {spans} lie outside that range {between}: those can never be fitted, and the "
        f"{worst.op} saturates reaching for them, so its gradient vanishes.",
        "Drop the output activation (a regression head is linear), or rescale the targets into its range (and the "
        "predictions back).",
        "# in forward(): return self.head(h)  # not torch.sigmoid(self.head(h))")]


def _finding(worst: BoundedOutput, cause: str, confidence: float, message: str, prescription: str,
             code: str) -> Finding:
    """The finding for ``worst`` (warning, critical from ``OUTSIDE_CRIT``), scored by its share of targets outside."""
    return Finding(cause=cause, layers=[], severity=_severity(worst), confidence=confidence,
                   evidence=_evidence(worst), message=message, prescription=prescription, code=code,
                   score=1.0 + 2.0 * worst.outside)


def _severity(worst: BoundedOutput) -> str:
    return "critical" if worst.outside >= OUTSIDE_CRIT else "warning"


def _evidence(worst: BoundedOutput) -> dict[str, Any]:
    return {"loss": worst.loss, "output_op": worst.op, "output_range": [worst.low, worst.high],
            "targets_outside_share": round(worst.outside, 3), "target_min": worst.target_min,
            "target_max": worst.target_max, "expected": "every target inside the output's range"}
