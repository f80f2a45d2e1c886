"""A softmax over the features used as a hidden activation: between two weight layers, in series.

A softmax over a layer's units makes them sum to 1: each of ``n`` units carries about ``1/n`` of a signal that no
longer depends on its input's scale, and its Jacobian ``diag(s) - s s^T`` is at most ``1/4`` and mostly ``~1/n``, so
every such layer shrinks the gradient by about the width (fresh6's N-BEATS with ``nn.Softmax(-1)`` for its ReLUs,
told ``normalization``; fresh36's DAN, told ``depth``: 7 decades over 5 layers). It belongs at the output, or over a
sequence or a set of slots (attention, pooling weights, mixture weights), never as the activation of a stack.

Read off the loss's graph: a ``SoftmaxBackward`` over the last dimension whose input comes from a weight layer's
product (``addmm``/``mm`` with a parameter's transpose, through views) and whose output is the input of another one.
``SOFTMAX_SERIES`` (2) or more are a finding; a single one is left alone (a topic model's decoder reads its topic
proportions through one softmax, ProdLDA).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .findings import Finding
from .graph import node_name as _name
from .graph import nodes_of, saved, skip_nodes

__all__ = ["SOFTMAX_SERIES", "hidden_softmaxes", "softmax_hidden_findings", "softmax_necks"]

#: hidden softmaxes between weight layers from which they are a finding
SOFTMAX_SERIES = 2
_VIEWS = ("ViewBackward", "UnsafeViewBackward", "ReshapeAliasBackward", "CloneBackward", "NativeDropoutBackward",
          "MulBackward")


def _weight_product(node: Any) -> tuple[bool, Any]:
    """Whether ``node`` is a weight layer's product (``addmm(bias, x, W^T)`` or ``mm(x, W^T)``: it takes a parameter's
    transpose), and its input operand's producer (None for an input that takes no gradient)."""
    name = _name(node)
    fns = [f for f, _ in node.next_functions]
    if name == "AddmmBackward" and len(fns) == 3:
        x, w = fns[1], fns[2]
    elif name == "MmBackward" and len(fns) == 2:
        x, w = fns[0], fns[1]
    else:
        return False, None
    weight = w is not None and _name(w) == "TBackward" and any(_name(f) == "AccumulateGrad" for f, _ in
                                                               w.next_functions if f is not None)
    return weight, x if weight else None


def _through_views(node: Any) -> Any:
    return skip_nodes(node, _VIEWS, limit=8)


#: ops a soft assignment's logits may pass on their way into its softmax: a temperature, Gumbel noise
_SHIFTS = (*_VIEWS, "DivBackward", "SubBackward", "AddBackward")


def _softmax_dim(node: Any) -> tuple[int, torch.Tensor] | None:
    """A softmax node's dimension, made non-negative, and its saved result; None when not saved."""
    dim, result = saved(node, "_saved_dim"), saved(node, "_saved_result")
    if not isinstance(dim, int) or not isinstance(result, torch.Tensor):
        return None
    if dim >= 2 ** 63:  # saved as an unsigned 64-bit integer
        dim -= 2 ** 64
    return (dim % result.dim() if result.dim() else 0), result


def _conv_product(node: Any) -> tuple[bool, Any]:
    """Whether ``node`` is a convolution by a parameter, and its input operand's producer (None when not)."""
    if _name(node) != "ConvolutionBackward":
        return False, None
    fns = [f for f, _ in node.next_functions]
    weight = len(fns) >= 2 and fns[1] is not None and _name(fns[1]) == "AccumulateGrad"
    return weight, fns[0] if weight else None


def softmax_necks(loss: torch.Tensor | Sequence[Any]) -> list[int]:
    """The widths of the softmaxes over the features that sit between two weight layers' products, convolutions
    included (a softmax over the channels, ``dim=1``, into a 1x1 conv: a dVAE's Gumbel-softmax code assignment read
    by its codebook), their logits through a temperature or noise on the way. Each shrinks the gradient by about its
    width (``diag(s) - s s^T``, entries ~1/width): a bottleneck by design, not a compounding."""
    widths, seen = [], set()
    try:
        for node in nodes_of(loss):
            linear, x = _weight_product(node)
            conv, xc = _conv_product(node)
            if not (linear or conv):
                continue
            soft = _through_views(x if linear else xc)
            if soft is None or id(soft) in seen or _name(soft) != "SoftmaxBackward":
                continue
            read = _softmax_dim(soft)
            if read is None:
                continue
            dim, result = read
            if dim != (result.dim() - 1 if linear else 1):  # over the features: the last dim, a conv's channels
                continue
            seen.add(id(soft))
            source = skip_nodes(next((f for f, _ in soft.next_functions if f is not None), None), _SHIFTS, limit=8)
            if source is not None and (_weight_product(source)[0] or _conv_product(source)[0]):
                widths.append(int(result.shape[dim]))
    except RuntimeError:  # saved tensors already freed by a backward
        return widths
    return widths


def _last_dim(node: Any) -> bool:
    read = _softmax_dim(node)
    return read is not None and read[0] == read[1].dim() - 1


def hidden_softmaxes(loss: torch.Tensor | Sequence[Any]) -> int:
    """How many softmaxes over the last dimension sit between two weight layers' products in ``loss``'s graph
    (``loss``: the loss, or its graph's nodes already walked, :func:`.graph.nodes_of`)."""
    count, seen = 0, set()
    try:
        for node in nodes_of(loss):
            soft = _through_views(_weight_product(node)[1])
            if soft is None or id(soft) in seen or _name(soft) != "SoftmaxBackward" or not _last_dim(soft):
                continue
            seen.add(id(soft))
            source = _through_views(next((f for f, _ in soft.next_functions if f is not None), None))
            if source is not None and _weight_product(source)[0]:
                count += 1
    except RuntimeError:  # saved tensors already freed by a backward
        return count
    return count


def softmax_hidden_findings(count: int) -> list[Finding]:
    """``activation`` (warning) for ``SOFTMAX_SERIES`` or more hidden softmaxes (see the module docstring)."""
    if count < SOFTMAX_SERIES:
        return []
    return [Finding(
        cause="activation", layers=[], severity="warning", confidence=0.75,
        evidence={"hidden_softmaxes": count, "gate": SOFTMAX_SERIES},
        message=(f"{count} softmaxes over the features sit between weight layers, as a hidden activation: each makes "
                 "its layer's units sum to 1, so every one of them carries about 1/width of a signal that no longer "
                 "follows its input, and the gradient shrinks by about the width at each such layer."),
        prescription=("Use ReLU/GELU (with He init) between the layers; keep the softmax for the output (or over a "
                      "sequence, as attention does)."),
        code="act = torch.nn.ReLU()  # instead of torch.nn.Softmax(dim=-1) between Linear layers",
        score=2.0,
    )]
