"""What the loss's autograd graph says about the model, read without running anything again (issue 12).

* :func:`activation_ops` — the element-wise activations on the loss's path, and those that compute the identity by
  their own saved arguments (a leaky ReLU of slope 1: ``nn.LeakyReLU(True)``);
* :func:`feeds_back` — for a module called more than once, whether one call's output is an ancestor of the next
  call's input: a recurrence, as opposed to one module shared by inputs that do not depend on each other;
* :func:`single_path` — whether a tensor derives from an earlier one along one path only (element-wise ops, views,
  dropout, products with a constant matrix such as a graph's propagation ``P @ h``): a weight layer in series with
  the one before it, where no sum, concatenation or product of two activations joins another path in;
* :func:`first_readers` — for each input of the model, the first module with trainable parameters whose input
  derives from it, and that input's scale: a model that rescales a raw input itself (mean scaling, RevIN) feeds
  its first weighted layer a unit-scale tensor; or reads an input only through a periodic op (a phase: ``t mod
  tau``, ``sin(t)``), which no scale of it inflates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

__all__ = [
    "FEED_BACK_NODES",
    "PATH_NODES",
    "PERIODIC_OPS",
    "READ_NODES",
    "SINGLE_PATH_NODES",
    "UNREACHED",
    "Reader",
    "activation_ops",
    "feeds_back",
    "first_readers",
    "gradient_path_depth",
    "graph_nodes",
    "node_name",
    "nodes_of",
    "periodic_reader",
    "post_order",
    "reaches",
    "saved",
    "single_path",
    "skip_nodes",
    "weight_path_depth",
]


#: autograd ops of element-wise activations (node names without their version suffix)
_ACTIVATION_OPS = ("ReluBackward", "LeakyReluBackward", "RreluWithNoiseBackward", "GeluBackward", "SiluBackward",
                   "TanhBackward", "SigmoidBackward", "EluBackward", "HardtanhBackward", "MishBackward",
                   "SoftplusBackward", "HardswishBackward", "HardsigmoidBackward", "PreluKernelBackward",
                   "CeluBackward")


#: autograd ops that move or select values without computing new ones (views, reshapes, selections, copies)
VALUE_MOVES: tuple[str, ...] = (
    "ViewBackward", "UnsafeViewBackward", "ReshapeAliasBackward", "SqueezeBackward", "UnsqueezeBackward",
    "GatherBackward", "SelectBackward", "IndexBackward", "SliceBackward", "TBackward", "TransposeBackward",
    "PermuteBackward", "ExpandBackward", "CloneBackward", "AliasBackward", "ToCopyBackward")


def saved(node: Any, attr: str) -> Any:
    """The value an autograd node saved for its backward (``node._saved_self`` ...), or None: absent, or a tensor the
    forward modified in place afterwards (autograd refuses to hand it out then: a version mismatch)."""
    try:
        return getattr(node, attr, None)
    except RuntimeError:
        return None


def node_name(node: Any) -> str:
    """An autograd node's op name without its version suffix (``"MmBackward"`` for ``MmBackward0``)."""
    return type(node).__name__.rstrip("0123456789")


def skip_nodes(node: Any, names: tuple[str, ...], limit: int = 64) -> Any:
    """The first node behind ``node`` (``node`` itself included) whose op is not in ``names``, following each
    skipped node's first input; None past the graph's end, the last node reached after ``limit`` skips."""
    for _ in range(limit):
        if node is None or node_name(node) not in names:
            return node
        node = next((f for f, _ in node.next_functions if f is not None), None)
    return node


#: graph nodes the loss-graph readers walk (:func:`.hops.hop_chains`, :func:`.softmax_hidden.hidden_softmaxes`)
READ_NODES = 8192


def nodes_of(graph: torch.Tensor | Sequence[Any], budget: int = READ_NODES) -> Iterable[Any]:
    """The nodes of a loss's graph (at most ``budget``), or ``graph`` itself when it is a list of nodes already walked
    (the probe walks the graph once for its readers)."""
    return graph_nodes(graph, budget) if isinstance(graph, torch.Tensor) else graph


def graph_nodes(loss: torch.Tensor, budget: int | None = None) -> Iterator[Any]:
    """Every node of ``loss``'s autograd graph, each once (depth first; at most ``budget`` when given)."""
    todo, seen = [getattr(loss, "grad_fn", None)], set[int]()
    while todo and (budget is None or len(seen) < budget):
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        todo += [f for f, _ in node.next_functions]
        yield node


def activation_ops(loss: torch.Tensor) -> tuple[int, int]:
    """Walk ``loss``'s autograd graph: how many element-wise activation ops it holds, and how many of them compute the
    identity by their own arguments — a leaky ReLU of negative slope 1 (``nn.LeakyReLU(True)``: the first argument
    is the slope, not ``inplace``), an RReLU with both bounds 1."""
    acts = ident = 0
    for node in graph_nodes(loss):
        name = type(node).__name__.rstrip("0123456789")
        if name in _ACTIVATION_OPS:
            acts += 1
            if name == "LeakyReluBackward":
                ident += float(getattr(node, "_saved_negative_slope", 0.0)) == 1.0
            elif name == "RreluWithNoiseBackward":
                ident += float(getattr(node, "_saved_lower", 0.0)) == float(getattr(node, "_saved_upper", 0.0)) == 1.0
    return acts, ident


#: autograd nodes walked back from a call's input when looking for the previous call's output
FEED_BACK_NODES = 4096


def reaches(start: Any, target: Any, budget: int = FEED_BACK_NODES) -> bool:
    """Whether ``target`` is ``start`` or an autograd node behind it (within ``budget`` nodes)."""
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


#: autograd nodes walked from a weight layer's input back to the previous weight layer's output
SINGLE_PATH_NODES = 64


def _parameter_node(node: Any) -> bool:
    """A parameter (``AccumulateGrad``) or one op on parameters only (``W.T`` of a linear layer's product)."""
    if type(node).__name__ == "AccumulateGrad":
        return True
    inputs = [f for f, _ in node.next_functions if f is not None]
    return bool(inputs) and all(type(f).__name__ == "AccumulateGrad" for f in inputs)


#: products whose other operand may be computed from the model's inputs alone (a graph's propagation matrix, a mask)
_SCALING_OPS = ("MmBackward", "BmmBackward", "MvBackward", "MulBackward", "SparseAddmmBackward")


def _inputs_only(node: Any, budget: int = SINGLE_PATH_NODES) -> bool:
    """Whether ``node`` is computed from leaves that are not parameters alone (the batch, which the probe makes
    require grad), within ``budget`` nodes."""
    todo, seen = [node], set[int]()
    while todo:
        n = todo.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        if len(seen) > budget:
            return False
        if type(n).__name__ == "AccumulateGrad":
            if isinstance(getattr(n, "variable", None), torch.nn.Parameter):
                return False
            continue
        todo += [f for f, _ in n.next_functions]
    return True


def single_path(start: Any, target: Any, budget: int = SINGLE_PATH_NODES) -> bool:
    """Whether walking back from node ``start`` reaches ``target`` through nodes with one differentiable input each
    (the others constants, parameters read by :class:`AccumulateGrad`, or, for a product, a tensor computed from
    the inputs alone): one path, no sum, concatenation or product of two activations on the way; within ``budget``
    nodes."""
    node, steps = start, 0
    while node is not None and steps < budget:
        if node is target:
            return True
        live = [f for f, _ in node.next_functions if f is not None and not _parameter_node(f)]
        if len(live) > 1 and type(node).__name__.startswith(_SCALING_OPS):  # P @ h: P made of the inputs alone
            live = [f for f in live if not _inputs_only(f)]
        if len(live) != 1:
            return False
        node, steps = live[0], steps + 1
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
        out[name] = first._out_fn is not None and second._in_fn is not None and reaches(second._in_fn, first._out_fn)
    return out


@dataclass(frozen=True)
class Reader:
    """The first module holding trainable parameters whose (first tensor) input derives from one model input."""

    name: str
    #: root-mean-square of that module's input (the derived tensor it reads), over the whole batch
    in_rms: float
    #: whether the module normalises what it reads (a LayerNorm/RMSNorm, by class or by behaviour)
    normalizes: bool
    #: True when no weight reads the input's scale: every path from the loss to it passes a periodic op
    #: (:data:`PERIODIC_OPS`) with no matrix product between that op and the input (``name`` is then that op), or
    #: no path from the loss reaches it (``name`` is :data:`UNREACHED`)
    periodic: bool = False
    #: (periodic readers) the phase is the input times a trained parameter, below the periodic op (a learned
    #: frequency: PLR embeddings, Time2Vec, learned Fourier features; see :func:`learned_phase`)
    learned_frequency: bool = False


def _node_of(t: torch.Tensor) -> Any:
    """The autograd node a tensor's descendants reach it by: its ``grad_fn``, or a leaf's gradient accumulator."""
    if t.grad_fn is not None:
        return t.grad_fn
    if not t.requires_grad:
        return None
    with torch.enable_grad():
        fn = t.view_as(t).grad_fn
    return None if fn is None else fn.next_functions[0][0]


def _rms(t: torch.Tensor) -> float:
    with torch.no_grad():
        v = t.detach()
        return float(v.float().pow(2).mean().sqrt()) if v.is_floating_point() and v.numel() else math.nan


def first_readers(inputs: list[torch.Tensor], records: list[Any],
                  loss: torch.Tensor | None = None) -> list[Reader | None]:
    """For each of ``inputs`` (the model's float inputs, as its forward received them) whose root-mean-square is
    more than a decade off 1 (the others need no reader), the first call, in call order, of a leaf module with
    trainable parameters whose first tensor input is that input or one of its autograd descendants (within
    :data:`FEED_BACK_NODES` nodes); None when there is no such call (a weight used outside any module, an input that
    does not require grad) or the input is at unit scale. An input that reaches ``loss`` only through a periodic op
    (below any matrix product), or that the loss's graph does not reach, gets a :attr:`Reader.periodic` reader
    instead (:func:`periodic_reader`). Records carry ``_in_x`` (their first tensor input)
    during the probe's forward."""
    calls = sorted((r for r in records if getattr(r, "_in_x", None) is not None), key=lambda r: r.pre_order)
    out: list[Reader | None] = []
    for t in inputs:
        rms = _rms(t)
        target = _node_of(t) if math.isfinite(rms) and not 0.1 <= rms <= 10.0 else None
        op = periodic_reader(loss, target) if target is not None and loss is not None else None
        found = None if op is None else Reader(op, rms, False, periodic=True,
                                               learned_frequency=op != UNREACHED and loss is not None
                                               and learned_phase(loss, target))
        if target is not None and found is None:
            for r in calls:
                x = r._in_x
                if x is t or (x.grad_fn is not None and reaches(x.grad_fn, target)):
                    found = Reader(r.name, _rms(x), bool(r.normalizes))
                    break
        out.append(found)
    return out


#: element-wise periodic autograd ops: whatever the scale of what they read, their output is a phase
PERIODIC_OPS = ("RemainderBackward", "FmodBackward", "SinBackward", "CosBackward", "FracBackward")
#: name fragments of autograd ops that multiply by a weight matrix (their output scales with their input)
_PRODUCT_OPS = ("mm", "Mv", "Conv", "Rnn", "Lstm", "Gru", "Attention", "Linear", "Einsum", "Tensordot")
#: :func:`periodic_reader`'s answer for a target no path from the loss reaches
UNREACHED = "no differentiable path from the loss"
#: nodes walked at most by :func:`periodic_reader` (beyond it: not told)
PERIODIC_NODES = 200_000


def post_order(root: Any, budget: int) -> list[Any] | None:
    """The nodes of the autograd graph below ``root`` in depth-first post-order (every node after its inputs), each
    once; None past ``budget`` nodes."""
    order: list[Any] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    seen: set[int] = set()
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > budget:
            return None
        stack.append((node, True))
        stack.extend((f, False) for f, _ in node.next_functions if f is not None and id(f) not in seen)
    return order


def learned_phase(loss: torch.Tensor, target: Any, budget: int = PERIODIC_NODES) -> bool:
    """Whether, below some periodic op (:data:`PERIODIC_OPS`) on a path from ``loss`` to the node ``target``, an
    element-wise product or quotient multiplies what derives from ``target`` by something derived from a trained
    parameter only (a gradient accumulator, not from ``target``): a frequency the optimizer moves. Its step then moves
    every phase by about the step times the input: an input far off unit scale turns the periodic features into
    noise that changes at every step (MLP-PLR's raw-unit features: ``sin(2 pi c x)`` with ``|x| ~ 1000``), where a
    fixed frequency over a time stamp is a phase by design. False past ``budget`` nodes."""
    root = getattr(loss, "grad_fn", None)
    if root is None or target is None:
        return False
    reach: dict[int, bool] = {id(target): True}
    param: dict[int, bool] = {}  # a subgraph made from trained parameters only
    order = post_order(root, budget)
    if order is None:
        return False
    for node in order:
        kids = [f for f, _ in node.next_functions if f is not None]
        if id(node) != id(target):
            reach[id(node)] = any(reach.get(id(k), False) for k in kids)
        var = getattr(node, "variable", None)
        param[id(node)] = (isinstance(var, torch.Tensor) and var.requires_grad) if not kids else (
            not reach[id(node)] and all(param.get(id(k), False) for k in kids))
    below: list[Any] = [n for n in order if type(n).__name__.rstrip("0123456789") in PERIODIC_OPS
                        and reach.get(id(n), False)]
    visited: set[int] = set()
    while below:
        node = below.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        kids = [f for f, _ in node.next_functions if f is not None]
        name = type(node).__name__.rstrip("0123456789")
        if name in ("MulBackward", "DivBackward") and any(reach.get(id(k), False) for k in kids) and any(
                param.get(id(k), False) for k in kids):
            return True
        below += [k for k in kids if reach.get(id(k), False)]
    return False


def periodic_reader(loss: torch.Tensor, target: Any) -> str | None:
    """The periodic op (its autograd name) through which every path from ``loss`` to the node ``target`` passes, with
    no matrix product (:data:`_PRODUCT_OPS`) between it and ``target``; :data:`UNREACHED` when no path reaches it;
    None when some path reaches ``target`` without one, or the graph is over :data:`PERIODIC_NODES` nodes. A path's
    state from a node down to ``target`` is (a product on it, a periodic op on it below any product); every path
    must end absorbed."""
    root = getattr(loss, "grad_fn", None)
    if root is None:
        return None
    states: dict[int, frozenset[tuple[bool, bool]]] = {id(target): frozenset({(False, False)})}
    op_seen: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    visited = 0
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if key in states and not expanded:
            continue
        children = [f for f, _ in node.next_functions if f is not None]
        if not expanded:
            visited += 1
            if visited > PERIODIC_NODES:
                return None
            stack.append((node, True))
            stack += [(c, False) for c in children if id(c) not in states]
            continue
        name = type(node).__name__.rstrip("0123456789")
        product = any(p in name for p in _PRODUCT_OPS)
        periodic = name in PERIODIC_OPS
        merged: set[tuple[bool, bool]] = set()
        for c in children:
            for has_product, absorbed in states.get(id(c), ()):
                if periodic and not has_product and not absorbed:
                    op_seen.append(name)
                merged.add((has_product or product, absorbed or (periodic and not has_product)))
        states[key] = frozenset(merged)
    final = states.get(id(root), frozenset())
    if not final:
        return UNREACHED
    if not all(absorbed for _, absorbed in final):
        return None
    return op_seen[0] if op_seen else None


#: graph nodes the longest weight-layer path reads at most (else no figure)
PATH_NODES = 300_000
#: sums of two tensors (a residual add, an interpolation of two paths)
_SUMS = ("AddBackward0", "AddBackward1", "SubBackward0", "SubBackward1")


def weight_path_depth(order: list[Any], out_nodes: set[int]) -> int:
    """The most weight layers on one path from an input to the loss, over ``order`` (:func:`post_order` of the loss's
    graph; ``out_nodes``: the ids of the autograd nodes that made each weight-layer call's output): experts side by
    side in a mixture, towers in parallel or an Inception's branches count once, a chain of layers once each."""
    depth: dict[int, int] = {}
    for node in order:  # inputs first
        kids = [depth.get(id(f), 0) for f, _ in node.next_functions if f is not None]
        depth[id(node)] = max(kids, default=0) + (1 if id(node) in out_nodes else 0)
    return depth[id(order[-1])] if order else 0


def gradient_path_depth(order: list[Any], out_nodes: dict[int, str]) -> tuple[int, list[str]]:
    """How many weight layers the gradient must pass, at the fewest, from ``loss`` to the layer farthest from it
    (that layer included), and those layers from the input side: the depth no skip path shortens. ``out_nodes``:
    node id -> layer name for the autograd nodes that made each weight layer's first output (later calls of a cell
    run per time step are the recurrence checks' business, not depth). A sum of two tensors that both come out of
    weight layers (a residual ``x + f(x)``, GCNII's initial residual ``P h + h0``) restarts the count below it, as the
    module reading's breaks do; a concatenation with an earlier tensor gives the gradient a path around the layers it
    skips; side-by-side branches (a MixHop layer's three propagations, an expert mixture) do neither. ``order``:
    :func:`post_order` of the loss's graph (reversed, parents come before their inputs)."""
    if not order:
        return 0, []
    root = order[-1]
    weighted: dict[int, bool] = {}  # a weight layer's output at or below the node
    for node in order:
        weighted[id(node)] = id(node) in out_nodes or any(
            weighted.get(id(f), False) for f, _ in node.next_functions if f is not None)
    dist: dict[int, int] = {id(root): 0}
    via: dict[int, Any] = {}
    for node in reversed(order):
        d = dist.get(id(node))
        if d is None:
            continue
        cost = d + (1 if id(node) in out_nodes else 0)
        if type(node).__name__ in _SUMS and sum(weighted.get(id(f), False) for f, _ in node.next_functions
                                                 if f is not None) >= 2:
            cost = 0  # two weight paths joined: a break
        for f, _ in node.next_functions:
            if f is not None and cost < dist.get(id(f), cost + 1):
                dist[id(f)], via[id(f)] = cost, node
    reached = [(dist[k] + 1, k) for k in out_nodes if k in dist]
    if not reached:
        return 0, []
    depth, far = max(reached)
    names: list[str] = []
    node_id: int | None = far
    while node_id is not None:
        if node_id in out_nodes:
            names.append(out_nodes[node_id])
        parent = via.get(node_id)
        node_id = None if parent is None else id(parent)
    return depth, names

