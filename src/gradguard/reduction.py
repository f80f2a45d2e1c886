"""How many terms a loss sums: read once from its autograd graph, so that a summed loss is judged as its mean.

A loss summed over the batch and its elements (``reduction="sum"``, ``x.sum()``, pytorch/examples' VAE: binary
cross-entropy summed over 128 images of 784 pixels) has a gradient as many times larger than the mean loss's as
there are terms. Under an optimizer that normalises its step (Adam and its family) that scale sets nothing, yet
the gradient-to-weight ratio it gives (||g|| / ||w|| ~300-800 on the VAE, healthy) reads as an explosion.
:func:`summed_terms` finds the count from the graph's reduction nodes, which keep their sizes as integers after
``backward`` (their saved tensors are freed; these are not): a ``SumBackward0`` over all elements, a
``SumBackward1`` over some dimensions under a final sum, or a loss function's node with
``reduction="sum"`` (its input's shape from the next node's metadata; ``nll_loss`` counts one term per target,
not per class). Through scalar arithmetic (a sum of two losses, a weight, a sign) the smallest branch counts (a
mean loss plus a penalty summed over the weights is a mean). A mean, a division (after ``backward`` a division by
a batch size cannot be told from one by a mask's count: both are taken as a mean), any other reduction, or a
graph it cannot read counts 1: the loss is judged as it is.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["ce_classes", "hand_loss_terms", "summed_terms"]

#: how deep into the graph the reading goes (scalar arithmetic above the reduction is a few nodes at most)
_DEPTH = 12
#: loss nodes whose reduction is read from ``_saved_reduction`` (2: sum) -> classes counted as one term
_PER_TARGET = ("NllLossBackward0", "NllLoss2DBackward0", "NllLoss2dBackward0", "MultiMarginLossBackward0",
               "MultilabelMarginLossBackward0")
_SUM = 2
#: scalar arithmetic passed through: a sum or difference of losses, a constant weight, a sign
_COMBINE = ("AddBackward0", "AddBackward1", "SubBackward0", "SubBackward1", "MulBackward0", "MulBackward1",
            "NegBackward0")


def summed_terms(loss: Any) -> int:
    """The number of terms ``loss`` (a 0-d tensor with a graph) sums; 1 for a mean or when unknown."""
    fn = getattr(loss, "grad_fn", None)
    if fn is None or getattr(loss, "dim", lambda: 1)() != 0:
        return 1
    try:
        return max(1, _terms(fn, 0))
    except Exception:  # an unusual graph: judge the loss as it is
        return 1


def _shape(node: Any) -> tuple[int, ...] | None:
    """The shape of the forward output whose gradient ``node`` takes (its first input's metadata)."""
    meta = getattr(node, "_input_metadata", None)
    if not meta:
        return None
    return tuple(int(s) for s in meta[0].shape)


def _children(node: Any) -> list[Any]:
    return [n for n, _ in getattr(node, "next_functions", ()) if n is not None]


def _terms(node: Any, depth: int) -> int:
    """Terms summed by the 0-d output of ``node`` (see the module docstring)."""
    if depth > _DEPTH:
        return 1
    name = type(node).__name__
    if name == "SumBackward0":  # a sum of every element (of sums over dimensions, read below it)
        sizes = getattr(node, "_saved_self_sym_sizes", None)
        inner = max((_dim_terms(c, depth + 1) for c in _children(node)), default=1)
        return (math.prod(int(s) for s in sizes) if sizes else 1) * inner
    reduction = getattr(node, "_saved_reduction", None)
    if reduction is not None:  # a loss function's node: 2 is reduction="sum"
        if reduction != _SUM:
            return 1
        shape = next((s for s in (_shape(c) for c in _children(node)) if s is not None), None)
        if shape is None:
            return 1
        n = math.prod(shape)
        if name in _PER_TARGET and len(shape) >= 2:
            n //= max(1, shape[1])
        return max(1, n)
    if name in _COMBINE:
        kids = [c for c in _children(node) if _shape(c) == ()]
        # every branch must sum: a mean loss plus a penalty summed over the weights is judged as the mean
        return min((_terms(c, depth + 1) for c in kids), default=1)
    return 1  # a mean, a division (by a count: a masked mean), any other reduction or operation


def _dim_terms(node: Any, depth: int) -> int:
    """Terms summed over dimensions by ``node`` (a ``SumBackward1``) before a final sum or mean; 1 otherwise."""
    if depth > _DEPTH or type(node).__name__ != "SumBackward1":
        return 1
    sizes = getattr(node, "_saved_self_sym_sizes", None)
    dims = getattr(node, "_saved_dim", None)
    if not sizes or dims is None:
        return 1
    n = len(sizes)
    picked = [int(sizes[d % n]) for d in dims] if len(dims) else [int(s) for s in sizes]
    inner = max((_dim_terms(c, depth + 1) for c in _children(node)), default=1)
    return math.prod(picked) * inner



#: the nodes a cross-entropy may sit under and still be the whole loss: a scale (1 / accumulation steps), a sign
_SCALE = ("MulBackward0", "DivBackward0", "NegBackward0")
_NLL = ("NllLossBackward0", "NllLoss2DBackward0", "NllLoss2dBackward0")


def ce_classes(loss: Any) -> int | None:
    """The class count of the cross-entropy that is the whole of ``loss`` (an NLL node at the graph's root, or
    under a constant scale: ``loss / accumulation_steps``), from its input's shape ``(N, C, ...)``; None for any
    other loss, a sum of losses, or a graph it cannot read. A model that returns only its loss (x-transformers'
    ``AutoregressiveWrapper``) shows no logits to count its classes from; its loss's graph does."""
    node = getattr(loss, "grad_fn", None)
    try:
        for _ in range(4):
            if node is None:
                return None
            name = type(node).__name__
            if name in _NLL:
                shape = next((s for s in (_shape(c) for c in _children(node)) if s is not None), None)
                return int(shape[1]) if shape is not None and len(shape) >= 2 and shape[1] >= 2 else None
            if name not in _SCALE:
                return None
            kids = [c for c in _children(node) if _shape(c) == ()]
            if len(kids) != 1:
                return None
            node = kids[0]
    except Exception:  # an unusual graph: no class count
        return None
    return None


def hand_loss_terms(detectors: list[Any], loss: Any) -> bool:
    """Give every detector with a ``set_loss_terms(n)`` method the terms ``loss`` sums, and every one with a
    ``set_loss_classes(c)`` method the class count of a loss that is a cross-entropy (:func:`ce_classes`, None
    otherwise); True once done (a tensor loss with a graph was seen), False to try again at the next step (a float,
    a detached loss)."""
    if getattr(loss, "grad_fn", None) is None:
        return False
    terms = summed_terms(loss)
    classes = ce_classes(loss)
    for detector in detectors:
        hook = getattr(detector, "set_loss_terms", None)
        if callable(hook):
            hook(terms)
        told = getattr(detector, "set_loss_classes", None)
        if callable(told):
            told(classes)
    return True
