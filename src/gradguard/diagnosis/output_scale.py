"""A prediction multiplied by a large constant after the model's last weight product: the first loss is blown by it.

A logit scale written ``d`` where ``d ** -0.5`` belongs (tied N(0, 1) logits times 512), a tied output given its own
multiplier (``* d_model``): whatever the weights are, the loss reads ``c x`` with ``x`` a weight product's output and
``c`` a constant (no gradient flows into it), so the output starts ``|c|`` times too large. Read off the loss's
graph: from the prediction a library loss takes (the input of cross-entropy's log-softmax, of MSE, smooth L1, Huber
and BCE-with-logits) down through views, additions and products by constants, to the first weight product (a matrix
product or a convolution); the constants' product is the rescale. A finding (``init``: the output's scale at the
start) when the rescale is ``RESCALE_MIN`` or more, the first loss is ``OUTPUT_MIN`` decades or more above an
all-zero output's, and the rescale accounts for at least half of those decades (a cross-entropy grows with the
logits' scale, a squared error with its square). A cosine head's ``s = 30`` or a contrastive ``1 / tau`` sit under
the rescale gate or start near the all-zero loss; a learned scale takes a gradient and is not a constant.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .findings import Finding
from .graph import VALUE_MOVES, node_name, saved

__all__ = ["OUTPUT_MIN", "RESCALE_MIN", "output_rescale", "output_scale_findings"]

#: the constant factor (decades) from which an output's rescale is read
RESCALE_MIN = 1.5
#: the first loss's decades above an all-zero output's from which the rescale is a finding
OUTPUT_MIN = 1.5
#: a loss node's name -> the input slot of its prediction
_LOSS_INPUTS = {"LogSoftmaxBackward": 0, "MseLossBackward": 0, "SmoothL1LossBackward": 0, "HuberLossBackward": 0,
                "BinaryCrossEntropyWithLogitsBackward": 0}
#: ops the walk passes through unchanged (shape only)
_PRODUCTS = ("MmBackward", "AddmmBackward", "BmmBackward", "ConvolutionBackward", "LinearBackward", "MvBackward")
_BUDGET = 32  # nodes walked below each prediction


def _constant_factor(node: Any) -> tuple[float, Any] | None:
    """A product or quotient by a constant: (the factor's decades, the other operand's node); else None."""
    name = node_name(node)
    nxt = [f for f, _ in node.next_functions]
    if len(nxt) != 2:
        return None
    if name.startswith("MulBackward"):
        for i, attr in ((1, "_saved_other"), (0, "_saved_self")):
            c = saved(node, attr)
            if nxt[i] is None and isinstance(c, torch.Tensor) and c.numel():
                size = float(c.detach().abs().float().median())
                if size > 0 and math.isfinite(size):
                    return math.log10(size), nxt[1 - i]
        return None
    if name.startswith("DivBackward"):
        c = saved(node, "_saved_other")
        if nxt[1] is None and isinstance(c, torch.Tensor) and c.numel():
            size = float(c.detach().abs().float().median())
            if size > 0 and math.isfinite(size):
                return -math.log10(size), nxt[0]
    return None


def _rescale_below(start: Any) -> float | None:
    """The decades the constants between ``start`` and the first weight product below it multiply by, along the
    path through views, additions and constant factors (the largest over additions' branches); None when the path
    meets another op (an activation, a normalisation) or no product within the budget."""
    best: float | None = None
    todo: list[tuple[Any, float]] = [(start, 0.0)]
    seen = 0
    while todo and seen < _BUDGET:
        node, decades = todo.pop()
        seen += 1
        if node is None:
            continue
        name = node_name(node)
        if name.startswith(_PRODUCTS):
            best = decades if best is None else max(best, decades)
            continue
        if name.startswith(VALUE_MOVES):
            todo.append((node.next_functions[0][0], decades))
            continue
        if name.startswith(("AddBackward", "SubBackward")):
            todo.extend((f, decades) for f, _ in node.next_functions if f is not None)
            continue
        factor = _constant_factor(node)
        if factor is not None:
            todo.append((factor[1], decades + factor[0]))
    return best


def output_rescale(nodes: list[Any]) -> float | None:
    """The largest rescale (decades) by constants between a library loss's prediction and the weight product that
    makes it, over the loss nodes among ``nodes`` (the loss's graph); None when none is read."""
    best: float | None = None
    for node in nodes:
        slot = _LOSS_INPUTS.get(node_name(node))
        if slot is None or len(node.next_functions) <= slot:
            continue
        found = _rescale_below(node.next_functions[slot][0])
        if found is not None:
            best = found if best is None else max(best, found)
    return best


def output_scale_findings(rescale: float | None, output_decades: float | None) -> list[Finding]:
    """``init`` for an output rescaled by ``RESCALE_MIN`` decades or more after its last weight product whose first
    loss is ``OUTPUT_MIN`` decades or more above an all-zero output's, half of them or more the rescale's."""
    if rescale is None or output_decades is None or rescale < RESCALE_MIN or output_decades < OUTPUT_MIN \
            or rescale < 0.5 * output_decades:
        return []
    factor = 10 ** rescale
    return [Finding(
        cause="init", layers=[], severity="critical" if output_decades >= 2 * OUTPUT_MIN else "warning",
        confidence=0.7,
        evidence={"output_rescale": float(f"{factor:.3g}"), "first_loss_decades_over_zero_output":
                  round(output_decades, 2), "direction": 1,
                  "expected": "an output at about the scale of an all-zero one's loss before training"},
        message=(f"The forward multiplies the prediction by {factor:.3g} after its last weight product, and the first "
                 f"loss is {10 ** output_decades:.3g}x the loss of an all-zero output: the output starts that much "
                 "too large (a logit scale written d where d ** -0.5 belongs, a tied output given its own multiplier, "
                 "a de-normalisation applied twice)."),
        prescription=("Check the constant the output is multiplied by after the last layer: logits of a tied "
                      "embedding are scaled by d_model ** -0.5 (or not at all), and a de-normalisation is applied "
                      "once."),
        code="logits = h @ self.embed.weight.T * self.d_model ** -0.5  # not * self.d_model",
        score=output_decades,
    )]
