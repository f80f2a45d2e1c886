"""NaN/Inf forensics: find where a non-finite value first appeared in a training step.

:func:`find_nonfinite_origin` re-runs one step and checks, in this order:

1. ``data``: the batch itself (any tensor inside nested tuples, lists, dicts or dataclasses);
2. ``weights``: the parameters and floating-point buffers; ``state`` when only buffers are non-finite (a state the
   model carries from batch to batch, such as running statistics or a registered hidden state);
3. ``forward``: the *producer*, the first module call to complete (children complete before their parents) whose
   output is non-finite while every tensor it received was finite. Modules fed an already non-finite tensor only
   propagate it and are skipped; a container whose children were all finite but whose own output is not (a
   functional op inside a custom ``forward``) is itself the producer;
4. ``loss``: every module output was finite but the loss is not;
5. ``backward``: the forward and the loss are finite; the producer is the first module call, in backward execution
   order, whose gradient with respect to its inputs (or its own parameters) is non-finite while the gradient with
   respect to its outputs was finite;
6. ``none``: the re-run is finite everywhere (the fault did not reproduce).

``state`` is also the verdict when the batch passed as ``inputs`` is finite but a tensor fed to the model is not
(a forward argument that is not the batch, e.g. an RNN hidden state carried from the previous batch): the fix is
to reset that state, not to change the data or the learning rate.

Non-finite forward values are only blamed when the loss is non-finite: a finite loss means the infinities were
intended (``-inf`` attention masks) and the search goes on to the backward pass.

Heavy probe (style rule 5): forward hooks on every module, a clone of every grad-requiring module input and
output, one ``torch.autograd.grad``; nothing until called. No trace is left: weights, buffers, training flags, every
``.grad`` (``None`` included) and the RNG state are restored and every hook is removed, even on error.

Example::

    origin = find_nonfinite_origin_from_batch(model, loss_fn, inputs, targets)
    print(origin.phase, origin.module, origin.detail)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch
from torch import nn

from .errors import ConfigError
from .rng import capture_rng_state, restore_rng_state  # re-exported for code that imported them from here

__all__ = ["PHASES", "ROOT_NAME", "Origin", "capture_rng_state", "count_nonfinite", "find_nonfinite_origin",
           "find_nonfinite_origin_from_batch", "iter_tensors", "restore_rng_state"]

#: Where a non-finite value can come from, in the order they are checked.
PHASES: tuple[str, ...] = ("data", "weights", "state", "forward", "loss", "backward", "none")
#: The name reported for the model itself (its qualified name in ``named_modules`` is the empty string).
ROOT_NAME = "<model>"
_MAX_DEPTH = 32


@dataclass(frozen=True)
class Origin:
    """Where a non-finite value first appeared, with the evidence.

    Attributes:
        phase: one of :data:`PHASES`.
        module: qualified module name (:data:`ROOT_NAME` for the model itself); for ``data`` and ``weights`` the
            first offending input path or module; ``None`` where no module is to blame.
        module_type: class name of that module (or of the loss function), else ``None``.
        detail: one human sentence.
        evidence: JSON-ready numbers and names behind the verdict.
    """

    phase: str
    module: str | None = None
    module_type: str | None = None
    detail: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ConfigError("phase", self.phase, f"one of {PHASES}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {"phase": self.phase, "module": self.module, "module_type": self.module_type,
                "detail": self.detail, "evidence": dict(self.evidence)}


# ------------------------------------------------------------------------------------------------ tensor walking
def iter_tensors(obj: Any, path: str = "", _depth: int = 0) -> Iterator[tuple[str, torch.Tensor]]:
    """Every tensor inside ``obj`` (tensors, mappings, lists, tuples, dataclasses) with its access path."""
    if isinstance(obj, torch.Tensor):
        yield path, obj
    elif _depth >= _MAX_DEPTH:
        return
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from iter_tensors(value, f"{path}[{key!r}]", _depth + 1)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from iter_tensors(value, f"{path}[{i}]", _depth + 1)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from iter_tensors(getattr(obj, f.name, None), f"{path}.{f.name}", _depth + 1)


def count_nonfinite(tensor: torch.Tensor) -> tuple[int, int]:
    """``(number of NaN, number of ±Inf)`` in ``tensor``; integer and boolean tensors have none."""
    if not (tensor.is_floating_point() or tensor.is_complex()):
        return 0, 0
    t = tensor.detach()
    if bool(torch.isfinite(t).all()):
        return 0, 0
    return int(torch.isnan(t).sum()), int(torch.isinf(t).sum())


def _scan(obj: Any, prefix: str = "") -> dict[str, Any]:
    """NaN and Inf totals over every tensor in ``obj``, with the paths of the non-finite ones."""
    nan = inf = 0
    paths: list[str] = []
    for path, tensor in iter_tensors(obj, prefix):
        n, i = count_nonfinite(tensor)
        if n or i:
            nan, inf = nan + n, inf + i
            paths.append(path)
    return {"nan": nan, "inf": inf, "paths": paths}


def _absmax(obj: Any) -> float:
    """Largest finite magnitude over the floating-point tensors in ``obj`` (0.0 if none)."""
    best = 0.0
    for _, t in iter_tensors(obj):
        if t.is_floating_point() and t.numel():
            best = max(best, float(t.detach().abs().nan_to_num(0.0, 0.0, 0.0).max()))
    return best


def _map_tensors(obj: Any, fn: Callable[[torch.Tensor], torch.Tensor], depth: int = 0) -> Any:
    """``obj`` with every tensor replaced by ``fn(tensor)``; structures it cannot rebuild are returned as they are."""
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if depth >= _MAX_DEPTH:
        return obj
    try:
        if type(obj) in (list, tuple):
            return type(obj)(_map_tensors(v, fn, depth + 1) for v in obj)
        if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # named tuples, PackedSequence
            return type(obj)(*(_map_tensors(v, fn, depth + 1) for v in obj))
        if type(obj) is dict:
            return {k: _map_tensors(v, fn, depth + 1) for k, v in obj.items()}
    except Exception:  # an exotic constructor: leave the structure unprobed
        return obj
    return obj


# ------------------------------------------------------------------------------------------------------- probes
class _GradProbe(torch.autograd.Function):
    """Identity (a clone) in the forward; hands the incoming gradient to a callback in the backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, callback: Callable[[torch.Tensor], None]) -> torch.Tensor:
        ctx.callback = callback
        return x.clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        ctx.callback(grad)
        return grad, None


@dataclass
class _Call:
    """One module call seen by the hooks."""

    name: str
    module: nn.Module
    index: int
    inputs_finite: bool = True
    input_absmax: float = 0.0
    grad_out_finite: bool = True


@dataclass
class _Trace:
    """What the hooks saw during the re-run."""

    calls: list[_Call] = field(default_factory=list)
    stack: list[_Call] = field(default_factory=list)
    producers: list[tuple[_Call, dict[str, Any]]] = field(default_factory=list)
    nonfinite_outputs: list[str] = field(default_factory=list)
    entered: dict[str, Any] | None = None  # the first call that received a non-finite tensor
    backward: tuple[_Call, dict[str, Any]] | None = None
    backward_events: int = 0


def _is_probeable(t: torch.Tensor) -> bool:
    return t.requires_grad and (t.is_floating_point() or t.is_complex())


def _pre_hook(trace: _Trace, name: str, module: nn.Module, args: Any, kwargs: Any) -> Any:
    call = _Call(name, module, len(trace.calls))
    trace.calls.append(call)
    trace.stack.append(call)
    scanned, in_kwargs = _scan(args, "args"), _scan(kwargs, "kwargs")
    scanned = {"nan": scanned["nan"] + in_kwargs["nan"], "inf": scanned["inf"] + in_kwargs["inf"],
               "paths": scanned["paths"] + in_kwargs["paths"]}
    call.inputs_finite = not scanned["paths"]
    if not call.inputs_finite and trace.entered is None:
        trace.entered = {"module": name, **scanned}
    if call.inputs_finite:
        call.input_absmax = _absmax((args, kwargs))

    def on_grad_input(grad: torch.Tensor) -> None:
        trace.backward_events += 1
        if trace.backward is not None or not call.grad_out_finite:
            return
        nan, inf = count_nonfinite(grad)
        if nan or inf:
            trace.backward = (call, {"grad_input_nan": nan, "grad_input_inf": inf,
                                     "backward_event": trace.backward_events})

    probe = partial(_probe, on_grad_input)
    return _map_tensors(args, probe), _map_tensors(kwargs, probe)


def _probe(callback: Callable[[torch.Tensor], None], t: torch.Tensor) -> torch.Tensor:
    return _GradProbe.apply(t, callback) if _is_probeable(t) else t


def _post_hook(trace: _Trace, name: str, module: nn.Module, args: Any, kwargs: Any, output: Any) -> Any:
    while trace.stack and trace.stack[-1].module is not module:  # a child raised: drop its frame
        trace.stack.pop()
    call = trace.stack.pop() if trace.stack else _Call(name, module, -1)
    scanned = _scan(output, "output")
    if scanned["paths"]:
        trace.nonfinite_outputs.append(name)
        if call.inputs_finite:
            trace.producers.append((call, scanned))

    def on_grad_output(grad: torch.Tensor) -> None:
        trace.backward_events += 1
        if count_nonfinite(grad) != (0, 0):
            call.grad_out_finite = False

    return _map_tensors(output, partial(_probe, on_grad_output))


# ------------------------------------------------------------------------------------------------ the search
def find_nonfinite_origin(
    model: nn.Module,
    batch_fn: Callable[[nn.Module], torch.Tensor],
    *,
    inputs: Any = None,
    targets: Any = None,
    rng_state: Mapping[str, Any] | None = None,
    loss_name: str | None = None,
) -> Origin:
    """Re-run one step with probes and name where its first non-finite value came from (see the module doc).

    Args:
        model: the model, in the training mode of the step.
        batch_fn: ``batch_fn(model) -> loss``, the step's forward and loss (must not step the optimizer).
        inputs, targets: the batch, checked first for NaN/Inf when given.
        rng_state: from :func:`capture_rng_state` taken before the original forward, so that the re-run draws
            the same dropout masks; the caller's own RNG state is restored afterwards either way.
        loss_name: how to name the loss function when it is to blame.
    """
    for label, obj in (("inputs", inputs), ("targets", targets)):
        scanned = _scan(obj, label)
        if scanned["paths"]:
            return Origin("data", None, None,
                          f"the batch is non-finite before the model sees it: {', '.join(scanned['paths'])} "
                          f"hold {scanned['nan']} NaN, {scanned['inf']} Inf", {"input": scanned["paths"][0], **scanned})
    weights = _check_weights(model)
    if weights is not None:
        return weights
    saved = _save_state(model)
    trace = _Trace()
    handles = []
    try:
        for name, module in model.named_modules():
            qualified = name or ROOT_NAME
            handles.append(module.register_forward_pre_hook(partial(_pre_hook, trace, qualified), with_kwargs=True))
            handles.append(module.register_forward_hook(partial(_post_hook, trace, qualified), with_kwargs=True))
        if rng_state is not None:
            restore_rng_state(rng_state)
        with torch.enable_grad():
            loss = batch_fn(model)
            if not isinstance(loss, torch.Tensor):
                raise ConfigError("batch_fn", type(loss).__name__, "a callable returning the loss as a tensor")
            return _verdict(model, trace, loss, loss_name, has_batch=inputs is not None)
    finally:
        for handle in handles:
            handle.remove()
        _restore_state(model, saved)


def find_nonfinite_origin_from_batch(
    model: nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    inputs: Any,
    targets: Any,
    *,
    rng_state: Mapping[str, Any] | None = None,
) -> Origin:
    """:func:`find_nonfinite_origin` for the step ``loss_fn(model(inputs), targets)``."""
    name = getattr(loss_fn, "__qualname__", None) or type(loss_fn).__name__
    return find_nonfinite_origin(model, lambda m: loss_fn(m(inputs), targets), inputs=inputs, targets=targets,
                                 rng_state=rng_state, loss_name=name)


def _check_weights(model: nn.Module) -> Origin | None:
    """Phase ``weights`` if any parameter or floating-point buffer is non-finite (``state`` if only buffers are)."""
    bad: dict[str, dict[str, Any]] = {}
    owner: str | None = None
    for kind, named in (("parameter", model.named_parameters()), ("buffer", model.named_buffers())):
        for name, tensor in named:
            nan, inf = count_nonfinite(tensor)
            if nan or inf:
                bad[name] = {"nan": nan, "inf": inf, "buffer": kind == "buffer"}
                owner = owner or name.rpartition(".")[0] or ROOT_NAME
    if not bad:
        return None
    module = model.get_submodule("" if owner == ROOT_NAME else owner or "")
    listing = ", ".join(f"{n} ({c['nan']} NaN, {c['inf']} Inf)" for n, c in bad.items())
    if all(c["buffer"] for c in bad.values()):  # the parameters are finite: a carried state went bad
        return Origin("state", owner, type(module).__name__,
                      f"registered state carried from an earlier batch is non-finite: {listing}: reset it",
                      {"tensors": bad, "names": list(bad), "carried_state": True})
    return Origin("weights", owner, type(module).__name__, f"non-finite weights before the step: {listing}",
                  {"tensors": bad, "names": list(bad)})


def _verdict(model: nn.Module, trace: _Trace, loss: torch.Tensor, loss_name: str | None,
             has_batch: bool = False) -> Origin:
    """Decide the phase from what the forward saw, running the probed backward when the loss is finite."""
    loss_nan, loss_inf = count_nonfinite(loss)
    loss_value = float(loss.detach().float().sum()) if loss.numel() else 0.0
    if loss_nan or loss_inf:
        if trace.producers:
            call, scanned = trace.producers[0]
            evidence = {"output_nan": scanned["nan"], "output_inf": scanned["inf"], "paths": scanned["paths"],
                        "input_absmax": call.input_absmax, "call_index": call.index,
                        "propagated_through": [n for n in trace.nonfinite_outputs if n != call.name][:20],
                        "other_producers": [c.name for c, _ in trace.producers[1:]
                                            if not _encloses(c.name, call.name)][:20], "loss": loss_value}
            return Origin("forward", call.name, type(call.module).__name__,
                          f"output has {scanned['nan']} NaN, {scanned['inf']} Inf from finite inputs "
                          f"(largest input magnitude {call.input_absmax:.4g})", evidence)
        if trace.entered is not None and trace.entered["module"] == ROOT_NAME:
            entered = trace.entered
            if has_batch:  # the batch was checked finite: what is not finite came from an earlier step
                return Origin("state", None, None,
                              f"a tensor fed to the model that is not the batch ({', '.join(entered['paths'])}) is "
                              f"non-finite ({entered['nan']} NaN, {entered['inf']} Inf): state carried from an "
                              "earlier batch (e.g. an RNN hidden state): reset it",
                              {"input": "carried state", **entered, "carried_state": True, "loss": loss_value})
            return Origin("data", None, None, f"the model's input is non-finite ({entered['nan']} NaN, "
                          f"{entered['inf']} Inf)", {"input": "model input", **entered, "loss": loss_value})
        return Origin("loss", None, loss_name, f"the loss is {loss_value} from finite model outputs",
                      {"loss": loss_value, "loss_nan": loss_nan, "loss_inf": loss_inf})
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not loss.requires_grad or not params:
        return _none(loss_value, trace)
    grads = torch.autograd.grad(loss.sum(), [p for _, p in params], allow_unused=True)
    if trace.backward is not None:
        call, evidence = trace.backward
        return Origin("backward", call.name, type(call.module).__name__,
                      f"gradient w.r.t. its inputs has {evidence['grad_input_nan']} NaN, "
                      f"{evidence['grad_input_inf']} Inf from a finite gradient w.r.t. its outputs",
                      {**evidence, "call_index": call.index, "loss": loss_value})
    bad = {n: count_nonfinite(g) for (n, _), g in zip(params, grads, strict=True) if g is not None}
    bad = {n: c for n, c in bad.items() if c != (0, 0)}
    if not bad:
        return _none(loss_value, trace)
    top = [c for c in trace.calls if c.module is model]
    if top and not all(c.grad_out_finite for c in top):
        return Origin("backward", None, loss_name, "the loss function's backward gave a non-finite gradient for "
                      "the model output", {"loss": loss_value, "nonfinite_grads": list(bad)})
    for call in reversed(trace.calls):  # modules whose own parameters got the first non-finite gradient
        own = [f"{'' if call.name == ROOT_NAME else call.name + '.'}{n}" for n, _ in call.module.named_parameters(
            recurse=False)]
        hit = [n for n in own if n in bad]
        if hit and call.grad_out_finite:
            return Origin("backward", call.name, type(call.module).__name__,
                          f"gradient of its parameters {hit} is non-finite from a finite gradient w.r.t. its outputs",
                          {"nonfinite_grads": {n: list(bad[n]) for n in hit}, "loss": loss_value})
    return Origin("backward", None, None, "non-finite parameter gradients whose producer was not pinned down",
                  {"nonfinite_grads": list(bad), "loss": loss_value})


def _encloses(outer: str, inner: str) -> bool:
    """Whether module ``outer`` contains module ``inner`` (by qualified name)."""
    return outer == ROOT_NAME or inner.startswith(outer + ".")


def _none(loss_value: float, trace: _Trace) -> Origin:
    return Origin("none", None, None, "the re-run is finite in the data, weights, forward, loss and gradients",
                  {"loss": loss_value, "nonfinite_intermediate_outputs": trace.nonfinite_outputs[:20]})


# ---------------------------------------------------------------------------------------- leave no trace
def _save_state(model: nn.Module) -> dict[str, Any]:
    """What the re-run may touch: RNG, training flags, buffers (objects and values), gradients (objects and values)."""
    return {
        "rng": capture_rng_state(),
        "training": [(m, m.training) for m in model.modules()],
        "buffers": [(m, k, b, b.detach().clone()) for m in model.modules() for k, b in m._buffers.items()
                    if b is not None],
        "grads": [(p, p.grad, None if p.grad is None else p.grad.detach().clone()) for p in model.parameters()],
    }


def _restore_state(model: nn.Module, saved: dict[str, Any]) -> None:
    with torch.no_grad():
        for module, key, buffer, value in saved["buffers"]:
            module._buffers[key] = buffer
            buffer.copy_(value)
        for param, grad, value in saved["grads"]:
            param.grad = grad
            if grad is not None:
                grad.copy_(value)
    for module, training in saved["training"]:
        module.training = training
    restore_rng_state(saved["rng"])
