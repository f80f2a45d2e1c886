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
from typing import Any

import torch
from torch import nn

from .._tensors import in_transform
from .batch import InputStats, StepSpec, input_stats, repeated_share, resolve_step, tensors
from .behaviour import SATURATION as _SATURATION
from .bounded import bounded_outputs, regression_nodes, saved_targets
from .closed_gates import saturated_output_gates, saturated_parameter_gates
from .custom_grad import custom_functions
from .dropped import DroppedActivations
from .expsum import hand_logsumexp
from .findings import DiagnosisError
from .graph import (
    PATH_NODES,
    activation_ops,
    feeds_back,
    first_readers,
    gradient_path_depth,
    graph_nodes,
    nodes_of,
    post_order,
    weight_path_depth,
)
from .hops import hop_chains
from .layers import EMBEDDING_TYPES, is_weight_layer, parametrization_parts
from .lowprec import low_precision_log_prob
from .output_scale import output_rescale
from .poles import tan_outputs
from .probe_hooks import Recorder as _Recorder
from .probe_hooks import all_finite as _all_finite
from .probe_hooks import as_leaf as _as_leaf
from .probe_records import HUGE_OUTPUT_RMS, CallRecord, ProbeResult, largest_output_rms
from .reuse import ReuseWatch
from .rewritten import RewriteWatch
from .slips import single_element_norm
from .snapshot import StateSnapshot
from .softmax_hidden import hidden_softmaxes, softmax_necks
from .unit_norm import HOMOGENEOUS, normalised, unit_normalised, upstream_of

__all__ = ["CallRecord", "InputStats", "ProbeResult", "StateSnapshot", "input_stats", "run_probe"]

#: |tanh| above this, or sigmoid outside (1 - this, this), counts as saturated (re-exported from .behaviour)
SATURATION = _SATURATION


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


def _zero_and_mean_losses(baseline: dict[str, float]) -> tuple[float, float]:
    """The losses of an all-zero output and of an output at the targets' mean (NaN when not measured)."""
    return baseline.get("zero_output_loss", math.nan), baseline.get("target_mean_output_loss", math.nan)


def _rescales(baseline: dict[str, float]) -> bool:
    zero, at_mean = _zero_and_mean_losses(baseline)
    return math.isfinite(zero) and math.isfinite(at_mean) and zero >= 0 and zero < 0.5 * at_mean


#: a first loss within this factor of an output at the targets' mean reads an output at their level (see
#: :func:`_at_target_level`)
AT_LEVEL = 1.5


def _at_target_level(loss: float, baseline: dict[str, float]) -> bool:
    """Whether the first loss scores about as well as the targets' own mean (within ``AT_LEVEL``), where that mean
    scores under half an all-zero output: the first output sits at the targets' level, away from 0 (fresh104's STID
    de-normalises its forecast ``out * std + mean`` under an MAE in raw readings: first loss 117 against 116 at the
    mean and 252 at 0; its targets of RMS 291 were told `data`, a warning, on a model that trains)."""
    zero, at_mean = _zero_and_mean_losses(baseline)
    return (math.isfinite(loss) and math.isfinite(zero) and math.isfinite(at_mean) and 0 < at_mean <= 0.5 * zero
            and 0 <= loss <= AT_LEVEL * at_mean)


#: float32's largest finite value: a loss that overflowed was at least this
_F32_MAX = 3.4028234663852886e38


def _output_decades(loss: float, baseline: float | None, largest_out: float = 0.0) -> float | None:
    """``log10`` of the first loss over an all-zero output's. A loss that overflowed to +inf while every module's
    output is finite and one is huge (RMS >= ``HUGE_OUTPUT_RMS``) was blown up by those outputs: it counts as float32's
    largest value, a lower bound (fresh97's SCNN with its message-passing kernels at 6x their scale: at seed 1 a first
    loss 2.6e33x the all-zero output's, read as the init's; at seed 0 it overflowed and was called the loss's own
    arithmetic)."""
    if baseline is None or not math.isfinite(baseline) or baseline <= 0:
        return None
    if loss == math.inf and math.isfinite(largest_out) and largest_out >= HUGE_OUTPUT_RMS:
        return math.log10(_F32_MAX / baseline)
    if not math.isfinite(loss) or loss <= 0:
        return None
    return math.log10(loss / baseline)


#: what PyTorch says when a model sets ``requires_grad`` on a tensor computed from its input (HF's wav2vec 2.0 and
#: HuBERT feature encoders do ``hidden_states.requires_grad = True`` on ``input_values[:, None]``): with the input a
#: leaf that requires grad, that tensor is no longer a leaf
_NON_LEAF_FLAG = "you can only change requires_grad flags of leaf variables"
#: what autograd says when the forward modifies in place a tensor that a backward needs: with the inputs leaves that
#: require grad, a model that standardises its input in place (thuml/Time-Series-Library's forecasters:
#: ``x_enc /= stdev`` after ``torch.var(x_enc)`` saved ``x_enc``) fails a backward its own training never takes
_INPLACE_FLAG = "modified by an inplace operation"
#: what autograd says when an op on the path from an input has no derivative: with the inputs leaves that require
#: grad, a model that floor-divides a float input (fresh102's Zipformer, utterance lengths given in seconds:
#: ``lengths // 4``) fails a backward its own training never takes
_NO_DERIVATIVE_FLAGS = ("derivative for", "is not implemented")
#: the failures a probe with leaf inputs retries without them: each entry's phrases all in the message
_RETRY_WITHOUT_LEAVES: tuple[tuple[str, ...], ...] = ((_NON_LEAF_FLAG,), (_INPLACE_FLAG,), _NO_DERIVATIVE_FLAGS)


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
        msg = str(exc)
        if not any(all(phrase in msg for phrase in flags) for flags in _RETRY_WITHOUT_LEAVES):
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
        # a parametrization's modules compute a weight inside its layer's call (weight norm's _WeightNorm): hooked,
        # they would read as the layer's activation and break its chain (MelGAN at N(0, 1): every layer "identity")
        parts = parametrization_parts(model)
        hooked = [m for m in model.modules() if id(m) not in parts]
        for m in hooked:
            if m is not model:
                handles.append(m.register_forward_pre_hook(first_call_inputs, with_kwargs=True))
        for m in hooked:
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
            rescale = output_rescale(read)
            unit_params = _mark_unit_normalised(read, layer_outs, trainable)
            softmaxes = hidden_softmaxes(read)
            necks = softmax_necks(read)
            relu_twice = any("ThresholdBackwardBackward" in type(n).__name__ for n in read)
            low_log = low_precision_log_prob(read)
            hand_exp = hand_logsumexp(read)
            shut = saturated_output_gates(read)
            gates = saturated_parameter_gates(read, trainable)
            tans = tan_outputs(read)
            customs = custom_functions(read)
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
            rec.single_element_norm = single_element_norm(rec._out_fn)
            rec._in_fn = rec._out_fn = None
        snapshot.restore()
    in_float = [t for t in captured if t.is_floating_point() and t.numel()]
    stats = input_stats(in_float)
    return ProbeResult(
        records=recorder.records, call_counts=recorder.counts,
        modules={n: m for n, m in model.named_modules() if id(m) not in parts},
        loss=loss_value, param_grads=param_grads, params=named_params,
        inputs_finite=_all_finite(in_float), targets_finite=_all_finite(step.targets),
        input_max_abs=max((s.max_abs for s in stats if math.isfinite(s.max_abs)), default=0.0),
        cost={"forward": 1, "backward": 1}, inputs=stats, inputs_repeated=repeated_share(captured),
        targets=input_stats([t for t in step.targets if t.is_floating_point()] or graph_targets),
        output_decades=_output_decades(loss_value, step.baseline.get("zero_output_loss"),
                                       largest_output_rms(recorder.records)), reused=reused,
        loss_rescales_output=_rescales(step.baseline),
        output_at_target_level=_at_target_level(loss_value, step.baseline),
        output_rms=step.baseline.get("output_rms"),
        warned=warned, activation_ops=acts, feeds_back=fed, readers=readers, bounded=bounded, input_grads=input_grads,
        propagations=propagations, output_rescale=rescale,
        rewritten=rewritten, hidden_softmaxes=softmaxes, softmax_necks=necks, relu_differentiated=relu_twice,
        tan_outputs=tans, custom_functions=customs, low_precision_log=low_log, hand_logsumexp=hand_exp, shut_gates=shut,
        saturated_gates=gates,
        unit_normalised_params=unit_params,
        dropped_activations=dropped, weight_path_depth=path_depth, gradient_path=grad_path,
        batch_storages=frozenset(t.untyped_storage().data_ptr() for t in captured if t.numel()),
    )
