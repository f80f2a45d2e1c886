"""Element-wise recurrent weights, recognised by what the forward pass does with them.

A recurrence ``h_t = f(W x_t + u * h_{t-1})`` with a vector ``u`` (IndRNN, Li et al. 2018; diagonal linear
recurrences such as the LRU's, Orvieto et al. 2023) is written inline in a ``forward``: no module is called once per
step, so it is found in the autograd graph instead: a 1-D trainable parameter that ``>= MIN_USES`` element-wise
products consume directly (a product per time step), outside any module that is itself called repeatedly, and
whose first product feeds its second (the state flows from one step's product to the next: ``u * delta_t`` with
``delta_t`` read from the data each step, GRU-D's input decay, is a per-step gate, not a recurrence). The
loss gradient at each product's output, first step against last (in creation order), is the gradient's growth or
decay over time, measured the way :mod:`.recurrence` measures it for recurrent modules; ``max |u|`` is the
recurrence's spectral radius (that of ``diag(u)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["MIN_USES", "ElementwiseUse", "ReuseWatch"]

#: element-wise products of one vector parameter that make it a recurrent weight (as ``recurrence.MIN_CALLS``)
MIN_USES = 4
_MUL = "MulBackward0"


@dataclass
class ElementwiseUse:
    """A vector parameter consumed by ``uses`` element-wise products; ``grads``: the loss gradient's norm at each
    product's output, in the order the forward made them (None when the backward pass did not reach one)."""

    uses: int
    grads: list[float | None] = field(default_factory=list)


#: autograd nodes walked back from a product looking for the previous one
_FEED_BUDGET = 4096


def _feeds_back(first: Any, second: Any) -> bool:
    """Whether ``first``'s output is an ancestor of ``second``'s inputs (within ``_FEED_BUDGET`` nodes)."""
    todo, seen = [f for f, _ in second.next_functions if f is not None], set[Any]()
    while todo and len(seen) < _FEED_BUDGET:
        node = todo.pop()
        if node is first:
            return True
        if node in seen:
            continue
        seen.add(node)
        todo.extend(f for f, _ in node.next_functions if f is not None)
    return False


class ReuseWatch:
    """Finds element-wise recurrent weights in ``loss``'s graph and hooks the gradient at each of their products.

    Call :meth:`finish` after the backward pass (``torch.autograd.grad`` on ``loss``) for the measurements, and
    :meth:`remove` in any case (idempotent).
    """

    def __init__(self, loss: torch.Tensor, params: dict[str, torch.nn.Parameter]) -> None:
        by_id = {id(p): n for n, p in params.items() if p.ndim == 1}
        consumers: dict[str, list[Any]] = {}
        mul_only: dict[str, bool] = {}
        seen: set[Any] = set()
        todo = [loss.grad_fn]
        while todo:
            node = todo.pop()
            if node is None or node in seen:
                continue
            seen.add(node)
            for nxt, _ in node.next_functions:
                if nxt is None:
                    continue
                variable = getattr(nxt, "variable", None)
                if variable is None:
                    todo.append(nxt)
                    continue
                name = by_id.get(id(variable))
                if name is not None:
                    consumers.setdefault(name, []).append(node)
                    mul_only[name] = mul_only.get(name, True) and type(node).__name__ == _MUL
        ordered = {n: sorted(c, key=lambda x: x._sequence_nr()) for n, c in consumers.items()
                   if len(c) >= MIN_USES and mul_only[n]}
        self._nodes = {n: c for n, c in ordered.items() if _feeds_back(c[0], c[1])}
        self._grads: dict[str, list[torch.Tensor | None]] = {n: [None] * len(c) for n, c in self._nodes.items()}
        self._handles: list[Any] = []
        for name, nodes in self._nodes.items():
            for i, node in enumerate(nodes):
                self._handles.append(node.register_hook(self._hook(name, i)))

    def _hook(self, name: str, i: int) -> Any:
        def hook(grad_inputs: Any, grad_outputs: tuple[torch.Tensor | None, ...]) -> None:
            g = grad_outputs[0] if grad_outputs else None
            if g is not None:
                self._grads[name][i] = g.detach().float().norm()
        return hook

    def finish(self) -> dict[str, ElementwiseUse]:
        """The element-wise recurrent weights by parameter name, with the gradient at each step."""
        self.remove()
        return {n: ElementwiseUse(len(g), [None if t is None else float(t) for t in g]) for n, g in self._grads.items()}

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []
