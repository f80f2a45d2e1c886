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

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from .graph import FEED_BACK_NODES, reaches, saved

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
    #: the spectral radius of the recurrent matrix, for a matrix recurrence (None: an element-wise one, whose radius
    #: is ``max |u|`` of the parameter itself)
    radius: float | None = None


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
        self._nodes = {n: c for n, c in ordered.items() if reaches(c[1], c[0], FEED_BACK_NODES)}
        self._radius: dict[str, float] = {}
        for name, (nodes, radius) in _matrix_recurrences(seen, params).items():
            if name not in self._nodes:
                self._nodes[name], self._radius[name] = nodes, radius
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
        return {n: ElementwiseUse(len(g), [None if t is None else float(t) for t in g], self._radius.get(n))
                for n, g in self._grads.items()}

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


#: autograd ops of a matrix product (``h @ A.T``, ``F.linear(h, A)``), and the saved operand of each input slot
_PRODUCTS = {"MmBackward0": ("_saved_self", "_saved_mat2"), "AddmmBackward0": (None, "_saved_mat1", "_saved_mat2")}
#: nodes walked below a candidate recurrent matrix to check it is made of parameters only
_MATRIX_BUDGET = 256


def _matrix_recurrences(nodes: set[Any], params: dict[str, torch.nn.Parameter]) -> dict[str, tuple[list[Any], float]]:
    """Matrix recurrences written inline (``h = h + eps * (h @ A.T + ...)`` in a Python loop, ``A`` built from raw
    parameters, or a raw parameter ``h @ self.W``: a Lipschitz or antisymmetric RNN): a tensor made of trainable
    parameters only that ``>= MIN_USES`` matrix products consume, the first product feeding the second (the weights
    of a module called repeatedly are found here too; :mod:`.recurrence` leaves those to the module's reading). By
    the names of the parameters it is made of:
    the products in creation order and the spectral radius of the matrix (NaN when it is not square)."""
    names = {id(p): n for n, p in params.items()}
    users: dict[Any, list[tuple[Any, int]]] = {}
    for node in nodes:
        slots = _PRODUCTS.get(type(node).__name__)
        if slots is None:
            continue
        for i, (nxt, _) in enumerate(node.next_functions):
            if nxt is not None and i < len(slots) and slots[i] is not None:
                users.setdefault(_through_views(nxt), []).append((node, i))
    out: dict[str, tuple[list[Any], float]] = {}
    for operand, uses in users.items():
        if len(uses) < MIN_USES:
            continue
        made_of = _parameters_only(operand[0] if isinstance(operand, tuple) else operand, names)
        if not made_of:
            continue
        ordered = sorted(uses, key=lambda u: u[0]._sequence_nr())
        if not reaches(ordered[1][0], ordered[0][0], FEED_BACK_NODES):
            continue
        radius = math.nan
        for user, slot in ordered:  # the first product may not have saved it (a zero state that needs no gradient)
            attr = _PRODUCTS[type(user).__name__][slot]
            mat = saved(user, attr) if attr else None  # None when freed
            if isinstance(mat, torch.Tensor) and mat.ndim == 2 and mat.shape[0] == mat.shape[1]:
                with torch.no_grad():
                    radius = float(torch.linalg.eigvals(mat.detach().double()).abs().max())
                break
        name = "+".join(made_of)
        if name not in out or not radius <= out[name][1]:  # slices of one parameter: the largest radius speaks
            out[name] = ([u for u, _ in ordered], radius)
    return out


#: single-input autograd ops that only re-view a tensor (``A.T`` is taken anew at every step of a loop)
_VIEWS = ("TBackward0", "PermuteBackward0", "TransposeBackward0", "TransposeBackward1", "ViewBackward0",
          "ExpandBackward0", "UnsqueezeBackward0", "SqueezeBackward0", "SqueezeBackward1", "ReshapeAliasBackward0")


def _through_views(node: Any) -> Any:
    """The node below any chain of view ops (the tensor a fresh ``A.T`` views); a fresh ``U[k]`` taken at every step
    (one parameter holding a GRU's three recurrent matrices, fresh43's RNNoise) is keyed by the select's node below
    and its dim and index, so that the steps' selects of one matrix are one operand and two matrices stay two."""
    while node is not None and node.next_functions and node.next_functions[0][0] is not None:
        kind = type(node).__name__
        if kind == "SelectBackward0":
            below = _through_views(node.next_functions[0][0])
            if getattr(below, "variable", None) is None:
                return node
            return (below, saved(node, "_saved_dim"), saved(node, "_saved_index"))
        if kind not in _VIEWS:
            break
        node = node.next_functions[0][0]
    return node


def _parameters_only(node: Any, names: dict[int, str]) -> list[str]:
    """The names of the trainable parameters ``node`` is computed from, when it is computed from nothing else (no
    input, no tensor that requires grad without being one of them); [] otherwise or past the budget."""
    found: list[str] = []
    todo, seen = [node], set[Any]()
    while todo:
        n = todo.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        if len(seen) > _MATRIX_BUDGET:
            return []
        variable = getattr(n, "variable", None)
        if variable is not None:
            name = names.get(id(variable))
            if name is None:
                return []
            found.append(name)
            continue
        todo.extend(f for f, _ in n.next_functions)
    return sorted(set(found))
