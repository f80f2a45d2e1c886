"""The probe's forward hooks: :class:`Recorder` fills a :class:`~.probe_records.CallRecord` per module call
(output RMS and finiteness, activation statistics, the activation that follows each weight layer, recurrent
layers' per-time-step gradients); see :mod:`.probe`."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .._tensors import in_transform
from .batch import tensors
from .behaviour import activation_stats, match_activation, matches, normalizes, rows_exact, rows_normalize, standardises
from .graph import graph_nodes, node_name, single_path
from .layers import (
    EMBEDDING_TYPES,
    activation_kind,
    is_norm,
    is_recurrent,
    is_transparent,
    is_weight_layer,
    own_children,
)
from .mistakes import overflow_growth
from .probe_records import CallRecord

__all__ = ["OUTPUT_NODES", "Recorder", "all_finite", "as_leaf", "first_tensor"]


#: squashing ops read on the loss's graph for a last weight layer that no module follows, and their kinds
_SQUASHING = {"TanhBackward": "tanh", "SigmoidBackward": "sigmoid"}
#: graph nodes walked looking for that op (it sits near the loss: the model's output)
OUTPUT_NODES = 256


def first_tensor(obj: Any) -> torch.Tensor | None:
    """The first tensor found in ``obj`` (nested tuples, lists, dicts), or None."""
    found = tensors(obj)
    return found[0] if found else None


def all_finite(ts: list[torch.Tensor]) -> bool:
    """Whether every floating or complex tensor of ``ts`` is finite."""
    return all(bool(torch.isfinite(t).all()) for t in ts if t.is_floating_point() or t.is_complex())


#: the relative spread within which a state's rows share one norm (a renormalised state: rounding only)
STATE_NORM_SPREAD = 1e-3


def _rows_at_one_norm(h: Any) -> bool | None:
    """Whether every row of a ``(batch, hidden)`` state has one common, non-zero L2 norm; None when ``h`` is not one."""
    if not isinstance(h, torch.Tensor) or h.ndim != 2 or h.shape[0] < 2 or not h.is_floating_point():
        return None
    with torch.no_grad():
        norms = torch.linalg.vector_norm(h.detach().float(), dim=1)
        top = float(norms.max())
        return top > 0 and math.isfinite(top) and float(norms.min()) >= (1 - STATE_NORM_SPREAD) * top


def as_leaf(obj: Any, leaves: list[torch.Tensor], origin: dict[int, torch.Tensor]) -> Any:
    """Floating tensors become fresh leaves that require grad (same values), so input gradients can be read;
    ``origin`` maps each original tensor's ``id`` to its leaf."""
    if isinstance(obj, torch.Tensor):
        if obj.is_floating_point() and not obj.requires_grad and obj.layout == torch.strided:
            leaf = obj.detach().clone().requires_grad_(True)
            leaves.append(leaf)
            origin[id(obj)] = leaf
            return leaf
        return obj
    if isinstance(obj, tuple):
        return tuple(as_leaf(o, leaves, origin) for o in obj)
    if isinstance(obj, list):
        return [as_leaf(o, leaves, origin) for o in obj]
    if isinstance(obj, dict):
        return {k: as_leaf(v, leaves, origin) for k, v in obj.items()}
    return obj


class Recorder:
    """Forward pre/post hooks that fill :class:`CallRecord` objects."""

    def __init__(self, model: nn.Module) -> None:
        self.names = {m: n for n, m in model.named_modules()}
        self.records: list[CallRecord] = []
        self.counts: dict[str, int] = {}
        self.open: dict[int, list[CallRecord]] = {}
        self.post_counter = 0
        # the weight layer whose activation is not known yet: (record, its current output, via-module, conv?)
        self.pending: tuple[CallRecord, torch.Tensor, nn.Module | None, bool] | None = None
        self.last_conv = False
        # the latest weight layer's output and what activation/transparent modules made of it, in order
        self.trail: list[torch.Tensor] = []
        self.trail_owner: CallRecord | None = None
        #: leaves standing in for an RNN's input that takes no gradient (the backward asks for theirs too)
        self.stand_ins: list[torch.Tensor] = []

    def pre(self, module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if in_transform():  # a call under torch.func (vmap, grad): its wrapped values cannot be read here
            return None
        name = self.names.get(module, "?")
        call = self.counts.get(name, 0)
        self.counts[name] = call + 1
        rec = CallRecord(name=name, module=module, call=call, pre_order=len(self.records),
                         leaf=not own_children(module))
        self.records.append(rec)
        self.open.setdefault(id(module), []).append(rec)
        ts = tensors(args)
        rec.in_finite = all_finite(ts)
        if isinstance(module, nn.RNNCellBase) and len(args) >= 2:
            rec.state_unit = _rows_at_one_norm(args[1][0] if isinstance(args[1], tuple) and args[1] else args[1])
        rec._in_fn = getattr(ts[0], "grad_fn", None) if ts else None
        x = ts[0] if ts else None
        if rec.leaf and x is not None and any(p.requires_grad for p in module.parameters(recurse=False)):
            rec._in_x = x
            if x.is_floating_point() and x.dim() >= 2 and x.shape[0] >= 8 and is_weight_layer(module):
                with torch.no_grad():
                    rows = x.detach().reshape(x.shape[0], -1)
                    rec.in_repeated = float((rows == rows[:1]).all(1).float().mean())
        if x is not None and x.requires_grad:
            def hook_in(g: torch.Tensor | None, rec: CallRecord = rec) -> None:
                if g is not None:  # None: the engine passes no gradient for this output (see hook_out)
                    rec._grad_in_t = torch.linalg.vector_norm(g.detach().float())
            x.register_hook(hook_in)
            if is_recurrent(module) and isinstance(module, nn.RNNBase) and x.ndim >= 2:
                x.register_hook(self._time_hook(module, rec, x))
        elif (x is not None and isinstance(module, nn.RNNBase) and x.is_floating_point() and x.ndim >= 2
              and torch.is_grad_enabled() and args and args[0] is x):
            # an RNN that reads the batch itself (one-hot interactions: fresh32's DKT) gets no gradient at its input,
            # so the gradient over the time steps is read on a stand-in that takes one (the same values, a leaf)
            stand_in = x.detach().requires_grad_()
            stand_in.register_hook(self._time_hook(module, rec, stand_in))
            self.stand_ins.append(stand_in)  # a leaf: its gradient is computed only when asked for
            self._finish_pre(module, rec, x)
            return (stand_in, *args[1:])
        self._finish_pre(module, rec, x)
        return None

    @staticmethod
    def _time_hook(module: nn.RNNBase, rec: CallRecord, x: torch.Tensor) -> Any:
        """A hook that keeps the norm of the gradient at each time step of an RNN's input."""
        time_dim = 1 if (module.batch_first and x.ndim == 3) else 0

        def hook_time(g: torch.Tensor | None) -> None:
            if g is None:
                return
            gt = g.detach().float().movedim(time_dim, 0)
            rec._time_grad_t = torch.linalg.vector_norm(gt.reshape(gt.shape[0], -1), dim=1)
        return hook_time

    def _finish_pre(self, module: nn.Module, rec: CallRecord, x: torch.Tensor | None) -> None:
        if rec.leaf:
            if is_weight_layer(module) and x is not None and self.trail:
                rec.chained = any(matches(x, t) for t in self.trail[-3:]) or (
                    match_activation(self.trail[-1], x) is not None)
                rec.linked = rec.chained or single_path(x.grad_fn, self.trail[0].grad_fn)
            self._resolve_pending(module, rec, x)

    def _resolve_pending(self, module: nn.Module, rec: CallRecord, x: torch.Tensor | None) -> None:
        if self.pending is None:
            return
        wrec, current, _via, conv = self.pending
        if x is None:
            self.pending = None
            return
        kind = activation_kind(module)
        unit_dim = 1 if conv else -1
        if kind is not None:
            if matches(x, current):
                wrec.activation, wrec.activation_source, wrec.activation_record = kind, "module", rec
            self.pending = None
            return
        if not is_weight_layer(module) and matches(x, current):
            # a transparent module (dropout, norm) or one of unknown class: judge it by its output (post hook)
            self.pending = (wrec, current, module, conv)
            return
        found = match_activation(current, x)
        if found is not None:
            wrec.activation, wrec.activation_source, wrec.activation_record = found, "functional", rec
            if found != "identity":
                wrec.dead_frac, wrec.sat_frac = activation_stats(found, current, unit_dim, pre=True)
        self.pending = None

    def resolve_in_graph(self, loss: torch.Tensor) -> None:
        """The weight layer still pending when the forward ends (no module read its output: an actor's
        ``max_action * torch.tanh(self.l3(a))``, a decoder's ``torch.sigmoid(self.out(h))``): its activation is the
        squashing op that takes its output in the loss's graph, if any (realcode6's TD3 actor at N(0, 1): its output
        tanh saturated on every sample went unmeasured)."""
        if self.pending is None or self.pending[2] is not None:
            return
        wrec, current, _via, conv = self.pending
        self.pending = None
        fn = current.grad_fn
        if fn is None or wrec.activation is not None:
            return
        for node in graph_nodes(loss, OUTPUT_NODES):
            kind = _SQUASHING.get(node_name(node))
            if kind is not None and any(f is fn for f, _ in node.next_functions):
                wrec.activation, wrec.activation_source = kind, "functional"
                wrec.dead_frac, wrec.sat_frac = activation_stats(kind, current, 1 if conv else -1, pre=True)
                return

    def _resolve_via(self, module: nn.Module, rec: CallRecord, x: torch.Tensor | None, y: torch.Tensor) -> None:
        """The pending weight layer's output went through ``module`` unchanged: what did ``module`` do to it?"""
        assert self.pending is not None
        wrec, current, _via, conv = self.pending
        if is_transparent(module) or matches(y, current):
            self.pending = (wrec, y, None, conv)
            return
        if x is not None and normalizes(x, y):
            rec.normalizes = True
            self.pending = (wrec, y, None, conv)
            return
        found = match_activation(current, y, skip_identity=True)
        if found is not None:
            wrec.activation, wrec.activation_source, wrec.activation_record = found, "behaviour", rec
            wrec.dead_frac, wrec.sat_frac = activation_stats(found, current, 1 if conv else -1, pre=True)
        self.pending = None

    def post(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        stack = self.open.get(id(module))
        if not stack or in_transform():
            return
        rec = stack.pop()
        rec.post_order = self.post_counter
        self.post_counter += 1
        y = first_tensor(output)
        if y is None:
            return
        rec.out_shape = tuple(y.shape)
        rec._out_fn = y.grad_fn
        with torch.no_grad():
            if y.is_floating_point():
                finite = torch.isfinite(y)
                rec.out_finite = bool(finite.all())
                if not rec.out_finite:
                    rec.overflow = overflow_growth(y)
                yf = y.detach().float()
                rec.out_rms = float(yf.pow(2).mean().sqrt()) if rec.out_finite else float("nan")
                if rec.leaf and is_weight_layer(module):
                    rec.pos_frac = float((yf > 0).float().mean())
        kind = activation_kind(module)
        if rec.leaf and kind is None and not is_weight_layer(module) and y.is_floating_point():
            x_in = first_tensor(args)
            per_channel = x_in is not None and standardises(x_in, y)
            rec.normalizes = is_norm(module) or per_channel or (x_in is not None and rows_normalize(x_in, y))
            rec.channel_norm = isinstance(module, nn.modules.batchnorm._BatchNorm) or (
                per_channel and not rows_exact(y))
        if kind is not None and y.is_floating_point():
            rec.activation, rec.activation_source = kind, "module"
            rec.dead_frac, rec.sat_frac = activation_stats(kind, y, 1 if self.last_conv else -1, pre=False)
        if y.requires_grad:
            def hook_out(g: torch.Tensor | None, rec: CallRecord = rec) -> None:
                # None: autograd passes no gradient to this output (fresh61's C-LSTM: an LSTM output whose
                # gradient is undefined crashed the whole backward, "'NoneType' object has no attribute 'detach'")
                if g is not None:
                    rec._grad_out_t = torch.linalg.vector_norm(g.detach().float())
            y.register_hook(hook_out)
            if isinstance(module, nn.RNNBase) and y.ndim == 3:
                def hook_batch(g: torch.Tensor | None, rec: CallRecord = rec,
                               d: int = 0 if module.batch_first else 1) -> None:
                    if g is not None:
                        rec._batch_read_t = (g.detach().movedim(d, 0).reshape(g.shape[d], -1) != 0).any(1)
                y.register_hook(hook_batch)
        if rec.leaf and y.is_floating_point():
            if is_weight_layer(module):
                self.trail = [] if isinstance(module, EMBEDDING_TYPES) else [y]
                self.trail_owner = rec
            elif self.trail and (kind is not None or is_transparent(module) or rec.normalizes):
                x = first_tensor(args)
                if x is not None and matches(x, self.trail[-1]):
                    self.trail.append(y)
                    if rec.normalizes and self.trail_owner is not None:
                        self.trail_owner.normalized_after = True
        if rec.leaf:
            if is_weight_layer(module) and not isinstance(module, EMBEDDING_TYPES) and y.is_floating_point():
                self.last_conv = isinstance(module, nn.modules.conv._ConvNd)
                self.pending = (rec, y, None, self.last_conv)
            elif self.pending is not None and self.pending[2] is module:
                self._resolve_via(module, rec, first_tensor(args), y)
