"""The probe: one forward and one backward pass of a real batch with hooks on every module, side-effect free.

It records, per module call (in execution order): the output RMS and finiteness, whether the inputs were finite,
the norm of the loss gradient at the module's output and input, activation statistics, the activation that
follows each weight layer (from the module structure or, for functional activations, by matching the next
module's input against ``f(output)``), and the loss gradient at every time step of recurrent layers' inputs.

Gradients are taken with :func:`torch.autograd.grad`, so no ``.grad`` is written. Buffers, training modes,
``.grad`` references and the global RNG states are snapshotted before and restored after, whatever happens.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .._tensors import in_transform
from .batch import InputStats, StepSpec, input_stats, repeated_share, resolve_step, tensors
from .behaviour import SATURATION as _SATURATION
from .behaviour import activation_stats, match_activation, matches, normalizes, rows_exact, rows_normalize, standardises
from .bounded import BoundedOutput, bounded_outputs, regression_nodes, saved_targets
from .closed_gates import saturated_output_gates, saturated_parameter_gates
from .dropped import DroppedActivations
from .expsum import hand_logsumexp
from .findings import DiagnosisError
from .graph import (
    PATH_NODES,
    Reader,
    activation_ops,
    feeds_back,
    first_readers,
    gradient_path_depth,
    graph_nodes,
    node_name,
    nodes_of,
    post_order,
    single_path,
    weight_path_depth,
)
from .hops import HopChain, hop_chains
from .layers import EMBEDDING_TYPES, activation_kind, is_norm, is_recurrent, is_transparent, is_weight_layer
from .lowprec import low_precision_log_prob
from .mistakes import overflow_growth
from .poles import tan_outputs
from .reuse import ElementwiseUse, ReuseWatch
from .rewritten import RewriteWatch, Rewritten
from .snapshot import StateSnapshot
from .softmax_hidden import hidden_softmaxes
from .unit_norm import HOMOGENEOUS, normalised, unit_normalised, upstream_of

__all__ = ["CallRecord", "InputStats", "ProbeResult", "StateSnapshot", "input_stats", "run_probe"]

#: |tanh| above this, or sigmoid outside (1 - this, this), counts as saturated (re-exported from .behaviour)
SATURATION = _SATURATION
#: squashing ops read on the loss's graph for a last weight layer that no module follows, and their kinds
_SQUASHING = {"TanhBackward": "tanh", "SigmoidBackward": "sigmoid"}
#: graph nodes walked looking for that op (it sits near the loss: the model's output)
OUTPUT_NODES = 256


@dataclass(eq=False)
class CallRecord:
    """One call of one module during the probe's forward pass.

    Gradient figures are L2 norms of dloss/d(output) and dloss/d(first tensor input) over the whole batch.
    """

    name: str
    module: nn.Module = field(repr=False)
    call: int
    pre_order: int
    leaf: bool
    post_order: int = -1
    out_shape: tuple[int, ...] = ()
    out_rms: float = float("nan")
    out_finite: bool = True
    #: for a non-finite output, how it overflowed by compounding along one axis (:func:`.mistakes.overflow_growth`)
    overflow: dict[str, Any] | None = None
    in_finite: bool = True
    normalizes: bool = False
    #: it normalises each channel (dimension 1) over the batch, as a BatchNorm does, whatever its class
    channel_norm: bool = False
    chained: bool = False
    #: (weight layers) the input derives from the previous weight layer's output along one path only, through any
    #: ops (:func:`.graph.single_path`: a graph propagation ``P @ h``, functional dropout); read by the series depth
    linked: bool = False
    normalized_after: bool = False
    activation: str | None = None
    activation_source: str = "none"
    activation_record: CallRecord | None = field(default=None, repr=False)
    dead_frac: float | None = None
    sat_frac: float | None = None
    pos_frac: float | None = None
    grad_out: float | None = None
    grad_in: float | None = None
    time_grad: list[float] | None = None
    #: (``nn.RNNBase``, 3-D output) how many indices along the output's batch axis get a non-zero loss gradient, and
    #: that axis' size; None when not measured
    batch_read: tuple[int, int] | None = None
    #: a weight layer's first tensor input: the share of its samples (first dimension, >= 8) equal to the first
    #: sample, element for element; None when not measured
    in_repeated: float | None = None
    _grad_out_t: torch.Tensor | None = field(default=None, repr=False)
    _grad_in_t: torch.Tensor | None = field(default=None, repr=False)
    _in_fn: Any = field(default=None, repr=False)  # autograd node of the first tensor input (feed-back test)
    _in_x: torch.Tensor | None = field(default=None, repr=False)  # a parameter-holding leaf's first tensor input
    _out_fn: Any = field(default=None, repr=False)  # ... and of the output
    _time_grad_t: torch.Tensor | None = field(default=None, repr=False)
    _batch_read_t: torch.Tensor | None = field(default=None, repr=False)


@dataclass
class ProbeResult:
    """Everything one probe measured."""

    records: list[CallRecord]
    call_counts: dict[str, int]
    modules: dict[str, nn.Module]
    loss: float
    param_grads: dict[str, torch.Tensor | None]
    params: dict[str, nn.Parameter]
    inputs_finite: bool
    targets_finite: bool
    input_max_abs: float
    cost: dict[str, int]
    inputs: list[InputStats] = field(default_factory=list)
    targets: list[InputStats] = field(default_factory=list)
    #: the share of the batch's samples identical to its most common one, for the input that varies most (see
    #: :func:`.batch.repeated_share`); None when not judged
    inputs_repeated: float | None = None
    #: log10(first loss / loss of an all-zero output), in the (inputs, targets) form; None otherwise
    output_decades: float | None = None
    #: element-wise recurrent weights found in the graph (see :mod:`.reuse`), by parameter name
    reused: dict[str, ElementwiseUse] = field(default_factory=dict)
    #: an all-zero output's loss is under half that of an output at the targets' mean: the loss compares the output
    #: on another scale than the targets' (a standardisation undone inside it); False when not measured
    loss_rescales_output: bool = False
    #: the warnings the step raised (forward, loss and backward), ``(category name, message)``, each once, in order
    warned: list[tuple[str, str]] = field(default_factory=list)
    #: the loss's autograd graph: ``(activation ops, of which the identity)`` (see :func:`.graph.activation_ops`)
    activation_ops: tuple[int, int] = (0, 0)
    #: modules called more than once: does a call's output feed the next call's input (:func:`.graph.feeds_back`)
    feeds_back: dict[str, bool] = field(default_factory=dict)
    #: per entry of ``inputs``: the first parameter-holding module that reads it (:func:`.graph.first_readers`)
    readers: list[Reader | None] = field(default_factory=list)
    #: regression losses whose prediction a sigmoid/softmax/tanh bounds (:func:`.bounded.bounded_outputs`)
    bounded: list[BoundedOutput] = field(default_factory=list)
    #: constant matrices applied several times in series (:func:`.hops.hop_chains`)
    propagations: list[HopChain] = field(default_factory=list)
    #: parameters the forward itself wrote (:class:`.rewritten.RewriteWatch`)
    rewritten: list[Rewritten] = field(default_factory=list)
    #: softmaxes over the features between weight layers (:func:`.softmax_hidden.hidden_softmaxes`)
    hidden_softmaxes: int = 0
    #: the loss differentiates through a ReLU (its double backward is in the graph: ``autograd.grad`` with
    #: ``create_graph`` over a ReLU network; read by :mod:`.curvature`)
    relu_differentiated: bool = False
    #: the loss takes the log of a 16-bit softmax or sigmoid (``"float16 softmax"``; :mod:`.lowprec`), else None
    low_precision_log: str | None = None
    #: the largest exponent of a log of exponentials written by hand (:mod:`.expsum`), else None
    hand_logsumexp: float | None = None
    #: gates shut or held open on this batch (:func:`.closed_gates.saturated_output_gates`): count, lowest, highest
    shut_gates: tuple[int, float, float] = (0, float("nan"), float("nan"))
    #: parameters read straight through a sigmoid and saturated for every unit (:mod:`.closed_gates`): name -> mean
    saturated_gates: dict[str, float] = field(default_factory=dict)
    #: the largest |tan| of every ``torch.tan`` in the loss's graph (:func:`.poles.tan_outputs`)
    tan_outputs: list[float] = field(default_factory=list)
    #: the loss gradient at each floating-point input of the batch (None where it has none, or was not read)
    input_grads: list[torch.Tensor | None] = field(default_factory=list)
    #: storage addresses of the batch's tensors as the model got them (a module input that views one is data)
    batch_storages: frozenset[int] = frozenset()
    #: activation results the forward computed that the loss's graph does not hold, and how many it computed
    #: (:mod:`.dropped`)
    dropped_activations: tuple[list[str], int] = ([], 0)
    #: the most weight layers on one path from an input to the loss (:func:`.graph.weight_path_depth`: parallel
    #: experts, towers and branches count once); None when the graph was too large to read
    weight_path_depth: int | None = None
    #: the fewest weight layers (first calls) the gradient passes from the loss to the layer farthest from it, and
    #: those layers from the input side (:func:`.graph.gradient_path_depth`: skip paths shorten it, side-by-side
    #: branches do not); None when not read
    gradient_path: tuple[int, list[str]] | None = None
    #: parameters the loss reads only L2-normalised (``F.normalize(self.weight)``: :mod:`.unit_norm`)
    unit_normalised_params: set[str] = field(default_factory=set)

    def weight_chain(self) -> list[CallRecord]:
        """Leaf weight-layer calls in execution order, excluding modules called more than once (recurrence)."""
        return [r for r in sorted(self.records, key=lambda r: r.pre_order)
                if r.leaf and is_weight_layer(r.module) and self.call_counts[r.name] == 1]


def _first_tensor(obj: Any) -> torch.Tensor | None:
    found = tensors(obj)
    return found[0] if found else None


def _all_finite(ts: list[torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in ts if t.is_floating_point() or t.is_complex())


def _as_leaf(obj: Any, leaves: list[torch.Tensor], origin: dict[int, torch.Tensor]) -> Any:
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
        return tuple(_as_leaf(o, leaves, origin) for o in obj)
    if isinstance(obj, list):
        return [_as_leaf(o, leaves, origin) for o in obj]
    if isinstance(obj, dict):
        return {k: _as_leaf(v, leaves, origin) for k, v in obj.items()}
    return obj


class _Recorder:
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
                         leaf=not any(True for _ in module.children()))
        self.records.append(rec)
        self.open.setdefault(id(module), []).append(rec)
        ts = tensors(args)
        rec.in_finite = _all_finite(ts)
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
        y = _first_tensor(output)
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
            x_in = _first_tensor(args)
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
                x = _first_tensor(args)
                if x is not None and matches(x, self.trail[-1]):
                    self.trail.append(y)
                    if rec.normalizes and self.trail_owner is not None:
                        self.trail_owner.normalized_after = True
        if rec.leaf:
            if is_weight_layer(module) and not isinstance(module, EMBEDDING_TYPES) and y.is_floating_point():
                self.last_conv = isinstance(module, nn.modules.conv._ConvNd)
                self.pending = (rec, y, None, self.last_conv)
            elif self.pending is not None and self.pending[2] is module:
                self._resolve_via(module, rec, _first_tensor(args), y)


def _mark_unit_normalised(read: list[Any], layer_outs: list[CallRecord],
                          trainable: dict[str, nn.Parameter]) -> set[str]:
    """Mark the weight layers whose output the loss reads L2-normalised (``normalized_after``), and those before them
    when every weight layer before such an output is followed by a positively homogeneous activation or none (see
    :mod:`.unit_norm`); return the parameters normalised directly."""
    unit = unit_normalised(read)
    if not (unit.params or unit.numerators):
        return set()
    direct = [r for r in layer_outs if normalised(unit, r._out_fn)]
    before = [r for r in layer_outs if r not in direct and upstream_of(unit, r._out_fn)]
    if all(r.activation is None or r.activation in HOMOGENEOUS for r in before):
        direct += before
    for r in direct:
        r.normalized_after = True
    return {n for n, p in trainable.items() if id(p) in unit.params}


def _rescales(baseline: dict[str, float]) -> bool:
    zero, at_mean = baseline.get("zero_output_loss", math.nan), baseline.get("target_mean_output_loss", math.nan)
    return math.isfinite(zero) and math.isfinite(at_mean) and zero >= 0 and zero < 0.5 * at_mean


def _output_decades(loss: float, baseline: float | None) -> float | None:
    if baseline is None or not (math.isfinite(loss) and math.isfinite(baseline)) or baseline <= 0 or loss <= 0:
        return None
    return math.log10(loss / baseline)


#: what PyTorch says when a model sets ``requires_grad`` on a tensor computed from its input (HF's wav2vec 2.0 and
#: HuBERT feature encoders do ``hidden_states.requires_grad = True`` on ``input_values[:, None]``): with the input a
#: leaf that requires grad, that tensor is no longer a leaf
_NON_LEAF_FLAG = "you can only change requires_grad flags of leaf variables"


def run_probe(model: nn.Module, step: StepSpec | Any, loss_fn: Callable[..., Any] | None = None) -> ProbeResult:
    """One forward and one backward pass of ``step`` through ``model`` with recording hooks; restores all state.
    A model whose forward sets ``requires_grad`` on a tensor made from its input (the wav2vec 2.0 / HuBERT feature
    encoders) is probed again with its inputs as given: everything is measured but the gradient at the input.

    ``step`` is a :class:`~.batch.StepSpec`, or a batch that :func:`~.batch.resolve_step` turns into one with
    ``loss_fn``.

    The model's first call gets fresh leaf copies of its floating-point inputs (positional and keyword), so the
    gradient at the input can be read and the inputs' scale measured, whatever form the step takes.

    Raises:
        DiagnosisError: the model has no parameters, the step fails (the original message is kept), or the loss is
            not a differentiable scalar.
    """
    if not isinstance(model, nn.Module):
        raise DiagnosisError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    named_params = {n: p for n, p in model.named_parameters()}
    trainable = {n: p for n, p in named_params.items() if p.requires_grad}
    if not trainable:
        raise DiagnosisError(
            f"model {type(model).__name__} has no trainable parameters (requires_grad=True), so there is no "
            "gradient to diagnose."
        )
    if not isinstance(step, StepSpec):
        step = resolve_step(step, loss_fn, None)
    try:
        return _probe(model, step, named_params, trainable, leaf_inputs=True)
    except DiagnosisError as exc:
        if _NON_LEAF_FLAG not in str(exc):
            raise
        return _probe(model, step, named_params, trainable, leaf_inputs=False)


def _probe(model: nn.Module, step: StepSpec, named_params: dict[str, nn.Parameter],
           trainable: dict[str, nn.Parameter], leaf_inputs: bool) -> ProbeResult:
    snapshot = StateSnapshot(model)
    recorder = _Recorder(model)
    handles = []
    leaves: list[torch.Tensor] = []
    captured: list[torch.Tensor] = []
    origin: dict[int, torch.Tensor] = {}
    reuse: ReuseWatch | None = None

    def capture(args: tuple[Any, ...], kwargs: dict[str, Any], raw_only: bool) -> tuple[Any, Any] | None:
        """Keep the batch's tensors (once), as leaves whose gradients can be read."""
        if captured or leaves or in_transform():
            return None
        captured.extend(t for t in tensors(args) + tensors(kwargs) if not (raw_only and t.requires_grad))
        if not captured:
            captured.append(torch.empty(0))
        if not leaf_inputs:
            return None
        return _as_leaf(args, leaves, origin), _as_leaf(kwargs, leaves, origin)

    def root_inputs(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any] | None:
        return capture(args, kwargs, raw_only=False)

    def first_call_inputs(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any] | None:
        """A closure that never calls the root's forward (``model.losses(x)``, ``model.encoder(x)``): the first
        module it calls gets the batch; its arguments that no parameter produced are the data."""
        return capture(args, kwargs, raw_only=True)

    try:
        handles.append(model.register_forward_pre_hook(root_inputs, with_kwargs=True))
        for m in model.modules():
            if m is not model:
                handles.append(m.register_forward_pre_hook(first_call_inputs, with_kwargs=True))
        for m in model.modules():
            handles.append(m.register_forward_pre_hook(recorder.pre))
            handles.append(m.register_forward_hook(recorder.post))
        with warnings.catch_warnings(record=True) as caught:  # every warning of the step, once-per-location or not
            warnings.simplefilter("always")
            watch = DroppedActivations()
            writes = RewriteWatch(model, trainable)
            with torch.enable_grad(), watch:
                loss = step.run(model)
            rewritten = writes.rewritten()
            if not loss.requires_grad:
                raise DiagnosisError("the loss does not depend on any trainable parameter (loss.requires_grad is "
                                     "False).")
            if loss.grad_fn is None:  # fresh51's BiSeNet: the loss computed under no_grad, then requires_grad_()
                raise DiagnosisError(
                    "the loss has no autograd graph (loss.grad_fn is None: a leaf tensor): it was computed under "
                    "torch.no_grad() or torch.inference_mode(), or detached, and requires_grad was set on it "
                    "afterwards, so backward() gives no parameter a gradient. Compute the loss with gradients "
                    "enabled (keep no_grad for logging only).")
            recorder.resolve_in_graph(loss)
            names = list(trainable)
            acts = activation_ops(loss)
            layer_outs = [r for r in recorder.records if r.leaf and r._out_fn is not None
                          and is_weight_layer(r.module) and not isinstance(r.module, EMBEDDING_TYPES)]
            order = post_order(loss.grad_fn, PATH_NODES)  # one walk for both path measures (None: too large)
            path_depth = None if order is None else weight_path_depth(order, {id(r._out_fn) for r in layer_outs})
            grad_path = None if order is None else gradient_path_depth(
                order, {id(r._out_fn): r.name for r in layer_outs if r.call == 0})
            dropped = watch.dropped(graph_nodes(loss))
            watch.outputs.clear()
            regressions = regression_nodes(loss)
            bounded = bounded_outputs(loss, regressions)
            read = list(nodes_of(loss))  # one walk for the graph readers below
            propagations = hop_chains(read)
            unit_params = _mark_unit_normalised(read, layer_outs, trainable)
            softmaxes = hidden_softmaxes(read)
            relu_twice = any("ThresholdBackwardBackward" in type(n).__name__ for n in read)
            low_log = low_precision_log_prob(read)
            hand_exp = hand_logsumexp(read)
            shut = saturated_output_gates(read)
            gates = saturated_parameter_gates(read, trainable)
            tans = tan_outputs(read)
            # a closure's (or dict batch's) targets are not passed: read those its regression losses saved
            graph_targets = [] if step.targets else saved_targets(loss, regressions)
            fed = feeds_back(recorder.records, recorder.counts)
            in_float = [t for t in captured if t.is_floating_point() and t.numel()]
            readers = first_readers([origin.get(id(t), t) for t in in_float], recorder.records, loss)
            reuse = ReuseWatch(loss, trainable)
            try:
                grads = torch.autograd.grad(loss.reshape(()), [trainable[n] for n in names] + leaves
                                            + recorder.stand_ins, allow_unused=True)
            except Exception as exc:
                raise DiagnosisError(f"backward pass failed: {type(exc).__name__}: {exc}") from None
        warned = list(dict.fromkeys((w.category.__name__, str(w.message)) for w in caught))
        param_grads: dict[str, torch.Tensor | None] = {
            n: (None if g is None else g.detach()) for n, g in zip(names, grads[: len(names)], strict=True)
        }
        input_grads: list[torch.Tensor | None] = [None if g is None else g.detach()
                                                  for g in grads[len(names):len(names) + len(leaves)]]
        for rec in recorder.records:
            if rec._grad_out_t is not None:
                rec.grad_out = float(rec._grad_out_t)
            if rec._grad_in_t is not None:
                rec.grad_in = float(rec._grad_in_t)
            if rec._time_grad_t is not None:
                rec.time_grad = [float(v) for v in rec._time_grad_t]
            if rec._batch_read_t is not None:
                rec.batch_read = (int(rec._batch_read_t.sum()), int(rec._batch_read_t.numel()))
            rec._grad_out_t = rec._grad_in_t = rec._time_grad_t = rec._batch_read_t = None
        loss_value = float(loss.detach())
        reused = reuse.finish()
    finally:
        if reuse is not None:
            reuse.remove()
        for h in handles:
            h.remove()
        recorder.pending = None
        for rec in recorder.records:
            rec._in_fn = rec._out_fn = None
        snapshot.restore()
    in_float = [t for t in captured if t.is_floating_point() and t.numel()]
    stats = input_stats(in_float)
    return ProbeResult(
        records=recorder.records, call_counts=recorder.counts, modules=dict(model.named_modules()),
        loss=loss_value, param_grads=param_grads, params=named_params,
        inputs_finite=_all_finite(in_float), targets_finite=_all_finite(step.targets),
        input_max_abs=max((s.max_abs for s in stats if math.isfinite(s.max_abs)), default=0.0),
        cost={"forward": 1, "backward": 1}, inputs=stats, inputs_repeated=repeated_share(captured),
        targets=input_stats([t for t in step.targets if t.is_floating_point()] or graph_targets),
        output_decades=_output_decades(loss_value, step.baseline.get("zero_output_loss")), reused=reused,
        loss_rescales_output=_rescales(step.baseline),
        warned=warned, activation_ops=acts, feeds_back=fed, readers=readers, bounded=bounded, input_grads=input_grads,
        propagations=propagations, rewritten=rewritten, hidden_softmaxes=softmaxes, relu_differentiated=relu_twice,
        tan_outputs=tans, low_precision_log=low_log, hand_logsumexp=hand_exp, shut_gates=shut,
        saturated_gates=gates,
        unit_normalised_params=unit_params,
        dropped_activations=dropped, weight_path_depth=path_depth, gradient_path=grad_path,
        batch_storages=frozenset(t.untyped_storage().data_ptr() for t in captured if t.numel()),
    )
