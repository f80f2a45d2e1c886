"""What the loss's autograd graph says about the model, read without running anything again (issue 12).

* :func:`activation_ops` — the element-wise activations on the loss's path, and those that compute the identity by
  their own saved arguments (a leaky ReLU of slope 1: ``nn.LeakyReLU(True)``);
* :func:`feeds_back` — for a module called more than once, whether one call's output is an ancestor of the next
  call's input: a recurrence, as opposed to one module shared by inputs that do not depend on each other.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["FEED_BACK_NODES", "activation_ops", "feeds_back"]


#: autograd ops of element-wise activations (node names without their version suffix)
_ACTIVATION_OPS = ("ReluBackward", "LeakyReluBackward", "RreluWithNoiseBackward", "GeluBackward", "SiluBackward",
                   "TanhBackward", "SigmoidBackward", "EluBackward", "HardtanhBackward", "MishBackward",
                   "SoftplusBackward", "HardswishBackward", "HardsigmoidBackward", "PreluKernelBackward",
                   "CeluBackward")


def activation_ops(loss: torch.Tensor) -> tuple[int, int]:
    """Walk ``loss``'s autograd graph: how many element-wise activation ops it holds, and how many of them compute the
    identity by their own arguments — a leaky ReLU of negative slope 1 (``nn.LeakyReLU(True)``: the first argument
    is the slope, not ``inplace``), an RReLU with both bounds 1."""
    todo, seen, acts, ident = [getattr(loss, "grad_fn", None)], set[int](), 0, 0
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        name = type(node).__name__.rstrip("0123456789")
        if name in _ACTIVATION_OPS:
            acts += 1
            if name == "LeakyReluBackward":
                ident += float(getattr(node, "_saved_negative_slope", 0.0)) == 1.0
            elif name == "RreluWithNoiseBackward":
                ident += float(getattr(node, "_saved_lower", 0.0)) == float(getattr(node, "_saved_upper", 0.0)) == 1.0
        todo += [f for f, _ in node.next_functions]
    return acts, ident


#: autograd nodes walked back from a call's input when looking for the previous call's output
FEED_BACK_NODES = 4096


def _reaches(start: Any, target: Any, budget: int = FEED_BACK_NODES) -> bool:
    todo, seen = [start], set[int]()
    while todo and len(seen) < budget:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        if node is target:
            return True
        seen.add(id(node))
        todo += [f for f, _ in node.next_functions]
    return False


def feeds_back(records: list[Any], counts: dict[str, int]) -> dict[str, bool]:
    """For each module called more than once: whether its first call's output is among the autograd ancestors of its
    second call's input (within :data:`FEED_BACK_NODES` nodes) — a recurrence, as opposed to one module applied to
    inputs that do not depend on each other (a projection shared by segments or layers)."""
    calls: dict[str, list[Any]] = {}
    for r in records:
        if counts.get(r.name, 0) > 1 and r.call < 2:
            calls.setdefault(r.name, []).append(r)
    out: dict[str, bool] = {}
    for name, (first, second, *_) in ((n, sorted(c, key=lambda r: r.call)) for n, c in calls.items() if len(c) >= 2):
        out[name] = first._out_fn is not None and second._in_fn is not None and _reaches(second._in_fn, first._out_fn)
    return out
