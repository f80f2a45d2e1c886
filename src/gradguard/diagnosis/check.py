"""The pre-flight check: probe one real batch, measure, attribute, rank."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..errors import ConfigError
from .activations import activation_findings, sigmoid_series_findings
from .adaptive import transient_small_weights
from .batch import StepSpec, resolve_step
from .blown_alone import blown_alone_findings
from .bounded import bounded_output_findings
from .closed_gates import (
    closed_forget_findings,
    closed_lstm_io_findings,
    closed_update_findings,
    shut_gate_findings,
    stuck_gate_findings,
)
from .closure_step import closure_step_findings
from .confirm import auto_confirm_steps, confirm
from .curvature import relu_curvature_findings
from .custom_grad import custom_gradient_findings
from .decay import bare_decay_findings
from .decay_check import regularization_findings
from .depth import depth_findings
from .dropped import dropped_findings
from .explain import explain
from .expsum import hand_logsumexp_findings, overflow_explains_step
from .failed_forward import failed_forward_diagnosis
from .fed_back import fed_back_findings
from .findings import Diagnosis, DiagnosisError, Finding
from .frozen_zero import frozen_zero_findings, stuck_zero_gain_findings
from .gates import finite_at_default_init, nonfinite_at_unit_scale, open_zero_gates
from .hops import hop_findings
from .init_check import init_findings, weight_specs
from .levels import level_blind_findings
from .localise import localise
from .lookups import one_row_findings
from .lowprec import low_precision_log_findings
from .mistakes import (
    double_squash_findings,
    frozen_norm_findings,
    max_norm_findings,
    peak_lr_findings,
    zero_network_findings,
)
from .nonfinite_outputs import numeric_findings
from .normless import normless_findings
from .normscale import drawn_norm_scale_findings
from .numeric import data_findings
from .onelabel import one_label_findings
from .optconfig import optimizer_setting_findings
from .optcopy import needs_closure
from .optim_check import group_lr_findings, lr_findings, optimizer_numeric_findings
from .output_scale import output_scale_findings
from .plain_stack import plain_stack_findings, series_outranks_default_init, stacked_recurrent_findings
from .poles import pole_findings
from .probe import run_probe
from .propagation import analyse_propagation
from .quiet import quiet_findings
from .recurrence import recurrence_findings, unclipped_findings
from .rewritten import rewritten_findings
from .rnnread import one_sequence_findings
from .schedule import (
    collapse_findings,
    lambda_lr_findings,
    rising_decay_findings,
    scheduler_peak_lrs,
    unbounded_findings,
    zero_lr_findings,
)
from .slips import (
    constant_weight_findings,
    dropout_findings,
    identity_activation_findings,
    no_gradient_findings,
    single_element_norm_findings,
    uncalled_norm_findings,
    zero_stuck_findings,
)
from .softmax_hidden import softmax_hidden_findings
from .stepsize import analyse_step
from .unowned import attribute_freeze_findings, unowned_findings, unregistered_weight_findings
from .warned import warned_findings, warned_notes

__all__ = ["check", "diagnose_step"]

#: a weight whose std is under this share of its expected init std starts near zero by design (instant-NGP's hash
#: grids at 1e-4, fresh87's FNN field tables at 1e-4, told ``lr`` at seed 0 at first sight): the lr rules do not read
#: its step-to-weight ratio, which measures its smallness, not the rate
NEAR_ZERO_SHARE = 0.01

LossFn = Callable[[Any, Any], torch.Tensor]
Closure = Callable[[nn.Module], Any]


def check(model: nn.Module, batch: Any = None, loss_fn: LossFn | None = None,
          optimizer: torch.optim.Optimizer | None = None, *, closure: Closure | None = None,
          scheduler: Any = None, max_grad_norm: float | None = None, steps_done: int | None = None,
          confirm_steps: int | None = None, scheduler_interval: str | None = None,
          loss_is_progress: bool = True) -> Diagnosis:
    """Diagnose the causes of exploding/vanishing gradients before (or during) training, on one real batch.

    Cost: one forward and one backward pass; with ``optimizer``, one optimizer step on a copy and 2 to 7
    gradient-free forwards along that step (the loss it leads to), and the confirmation's short runs on copies
    (:mod:`.confirm`: ``confirm_steps`` training steps when no finding is a warning or when an ``init`` one, or an
    ``lr`` one raised by one step's rise alone, is to be confirmed, that many more per remedy tried); reported in
    ``Diagnosis.cost``. Side-effect free: weights, buffers, training modes, ``.grad``, the optimizer and scheduler
    state and the global RNG states are as they were.

    Args:
        model: the model to check.
        batch: ``(inputs, targets)`` with ``loss_fn(model(inputs), targets)`` the scalar loss; or a dict, run as
            ``model(**batch)`` whose ``.loss`` is the loss (Hugging Face style, ``loss_fn`` None). Leave it None
            when passing ``closure``.
        loss_fn: the training loss for an ``(inputs, targets)`` batch.
        optimizer: optional; enables the learning-rate and regularisation checks.
        closure: ``closure(model)`` computes one step's loss itself and returns it as a tensor, a tuple whose first
            item is the loss, or an object with ``.loss`` (models with several inputs, a hidden state, their own
            loss). It is called once with gradients and up to 8 times without (the lr check's loss along the step),
            and ``confirm_steps + 1`` times per short run on a copy of the model (the model it is given), so it
            must compute the loss of the model it is passed and not change state outside it (e.g. carry a hidden
            state over from call to call).
        scheduler: optional learning-rate scheduler; its current ``get_last_lr()`` is the lr checked (warm-up) and
            its peak over the next steps the lr weight decay and a too-small rate are judged at. A hand-written
            scheduler (``step()`` but no ``get_last_lr()``) is neither stepped nor copied: the optimizer's current
            lrs are checked, and ``Diagnosis.notes`` says so.
        max_grad_norm: the norm the training loop clips gradients to (``clip_grad_norm_``) before the step, if it
            does; the lr check steps with the clipped gradients.
        steps_done: optimizer steps already taken (the Guard passes its step). From ``TRAINED_STEPS`` on, weights
            are trained weights and a mis-scaled weight is not called an initialisation problem. None: read from
            the optimizer's state (its ``step`` count, or any state at all for optimizers that keep no count).
        confirm_steps: optimizer steps of each confirmation run on copies of the model and optimizer (0: off).
            Default None: :data:`~.confirm.CONFIRM_STEPS` (12) when the copies are affordable — at most
            :data:`~.confirm.AUTO_CONFIRM_BYTES` (256 MiB) of parameters and optimizer state, outside
            ``torch.distributed`` — else 0, and ``Diagnosis.notes`` says why. It costs about twice the model's and
            optimizer's memory while it runs and 2-3x ``check``'s time (GPT-2 2 layers: 0.07 -> 0.18 s). Needs
            ``optimizer``.
        scheduler_interval: how often the loop calls ``scheduler.step()``: ``"step"`` (after every optimizer step),
            ``"epoch"`` (once per pass over the data, as pytorch/examples' MNIST does with ``StepLR``) or None
            (default: not known). A schedule that falls to 1e-3 of its peak within 100 calls is a fault only when
            called per step (a per-epoch decay stepped every batch): critical with ``"step"``, information with
            None, nothing with ``"epoch"``.
        loss_is_progress: whether a lower loss means a better model (default True). ``False`` (an RL policy-plus-
            value loss, a GAN's: as ``Guard(loss_is_progress=False)``) turns the confirmation off, whose short runs
            compare losses (cleanrl's PPO agent at N(0, 1): its init finding was "not confirmed" by 12 steps that
            ended at a higher loss, and the run was told healthy; without it, ``init``).

    Returns:
        A :class:`Diagnosis` with findings ranked by how much of the measured trouble they explain.

    Raises:
        DiagnosisError: a batch/loss form that cannot be run (the message says what to pass), model without
            parameters, model or loss failing on the batch (unless on a NaN/Inf the forward made: that is then
            the diagnosis, see :mod:`.failed_forward`), non-scalar loss.
        ConfigError: ``confirm_steps`` is not None or an int >= 0; ``scheduler_interval`` is not "step", "epoch"
            or None; ``loss_is_progress`` is not a bool.

    Example::

        d = check(model, (x, y), torch.nn.functional.cross_entropy, optimizer)
        d = check(model, closure=lambda m: m(input_ids=ids, labels=ids).loss, optimizer=optimizer)
        print(d)
        if not d.healthy:
            fix(model, d)
    """
    if confirm_steps is not None and (isinstance(confirm_steps, bool) or not isinstance(confirm_steps, int)
                                      or confirm_steps < 0):
        raise ConfigError("confirm_steps", confirm_steps,
                          "None (automatic: 12 when the copies are affordable) or an int >= 0 (0 disables it)")
    if scheduler_interval not in (None, "step", "epoch"):
        raise ConfigError("scheduler_interval", scheduler_interval, "'step', 'epoch' or None (not known)")
    if not isinstance(loss_is_progress, bool):
        raise ConfigError("loss_is_progress", loss_is_progress, "True or False")
    optimizer, scheduler = unwrap_optimizer(optimizer), unwrap_scheduler(scheduler)
    auto_note = None
    if not loss_is_progress:
        confirm_steps = 0  # its short runs compare losses that do not measure progress here
    elif confirm_steps is None:
        confirm_steps, auto_note = auto_confirm_steps(model, optimizer)
    step = resolve_step(batch, loss_fn, closure)
    lrs = scheduler_lrs(scheduler, optimizer)
    own = scheduler is not None and lrs is None  # a hand-written scheduler: neither stepped nor copied here
    try:
        d = _diagnose(model, step, optimizer, lrs, max_grad_norm, steps_done, True,
                      peak_lrs=None if own else scheduler_peak_lrs(scheduler, optimizer),
                      scheduler=None if own else scheduler, confirm_steps=confirm_steps, interval=scheduler_interval)
    except DiagnosisError as exc:  # the step failed: on a NaN the forward made, that is the diagnosis
        failed = failed_forward_diagnosis(model, step, exc)
        if failed is None:
            raise
        return failed
    if auto_note is not None:
        d.notes.append(auto_note)
    if own:
        d.notes.append(f"scheduler {type(scheduler).__name__} is not a torch.optim.lr_scheduler (no get_last_lr()): "
                       "judged at the optimizer's current lr; the schedule's later rates (a warm-up's peak) are not "
                       "read")
    return d


def _diagnose(model: nn.Module, step: StepSpec, optimizer: torch.optim.Optimizer | None, lrs: list[float] | None,
              max_grad_norm: float | None, steps_done: int | None, line_search: bool,
              peak_lrs: list[float] | None = None, scheduler: Any = None, confirm_steps: int = 0,
              interval: str | None = None) -> Diagnosis:
    """The check itself (see :func:`check`); ``line_search=False`` runs ``step`` once only; ``peak_lrs``: the
    largest lr the scheduler reaches per param group (weight decay is judged there); ``confirm_steps``: the
    confirmation's short runs (0: none); ``interval``: the scheduler's cadence (``check``'s ``scheduler_interval``)."""
    # before the forward renormalises the embeddings
    capped = max_norm_findings(model) + attribute_freeze_findings(model)
    probe = run_probe(model, step)
    cost = dict(probe.cost)
    notes: list[str] = warned_notes(probe)
    findings: list[Finding] = capped + warned_findings(probe)
    findings += _zero_network(model, step, probe)
    findings += frozen_norm_findings(model, set(probe.call_counts), training=optimizer is not None)
    findings += double_squash_findings(step.squash or None)
    findings += dropout_findings(probe) + single_element_norm_findings(probe) + no_gradient_findings(probe)
    if line_search:  # one more run of the step, on a copy: only where the step may run more than once
        open_zero_gates(findings, model, step.run, probe)
    findings += zero_stuck_findings(probe) + constant_weight_findings(probe) + uncalled_norm_findings(probe)
    findings += identity_activation_findings(probe) + bounded_output_findings(probe) + dropped_findings(probe)
    findings += data_findings(probe) + one_row_findings(probe) + one_label_findings(probe, step)
    findings += numeric_findings(probe) + hop_findings(probe.propagations, probe.output_decades)
    findings += rewritten_findings(probe.rewritten) + output_scale_findings(probe.output_rescale, probe.output_decades)
    findings += fed_back_findings(probe)
    blind, level_forwards = level_blind_findings(model, step)
    findings += blind
    if level_forwards:
        cost["level_forwards"] = level_forwards
    prop = analyse_propagation(probe)
    measured = prop.measured
    init_found, init_explained = init_findings(probe, prop)
    act_found, act_explained = activation_findings(probe, prop, measured)
    findings += init_found + act_found + sigmoid_series_findings(probe)
    findings += softmax_hidden_findings(probe.hidden_softmaxes) + pole_findings(probe.tan_outputs)
    findings += low_precision_log_findings(probe.low_precision_log) + stuck_gate_findings(probe.saturated_gates)
    findings += hand_logsumexp_findings(probe.hand_logsumexp)
    if not probe.saturated_gates:  # a gate sigmoid(b) saturated by its own parameter is named by stuck_gate_findings
        findings += shut_gate_findings(*probe.shut_gates)
    findings += relu_curvature_findings(model, step.run, probe.relu_differentiated)
    findings += custom_gradient_findings(model, step.run, probe.custom_functions)
    findings += depth_findings(probe, prop, init_explained + act_explained)
    findings += recurrence_findings(probe) + one_sequence_findings(probe) + closed_forget_findings(probe) \
        + closed_lstm_io_findings(probe) \
        + closed_update_findings(probe)
    findings += frozen_zero_findings(probe) + stuck_zero_gain_findings(probe)
    findings += unregistered_weight_findings(model, set(probe.call_counts))
    findings += plain_stack_findings(probe, prop) + stacked_recurrent_findings(probe)
    series_outranks_default_init(findings)
    family: str | None = None
    stepped = None
    trained = weight_decay = False
    fresh: bool | None = None
    if optimizer is not None:
        findings += unowned_findings(model, optimizer) + optimizer_setting_findings(optimizer)
        trained = _trained(optimizer, steps_done)
    findings += drawn_norm_scale_findings(probe, trained if optimizer is not None else
                                          steps_done is not None and steps_done >= TRAINED_STEPS)
    if optimizer is not None:
        fresh = _fresh(optimizer, steps_done)
        weight_decay = any(float(g.get("weight_decay", 0.0) or 0.0) > 0 for g in optimizer.param_groups)
        if needs_closure(optimizer):  # LBFGS: one step of a copy on the model itself (closure_step)
            found, forwards = closure_step_findings(model, step.run, optimizer, lrs)
            findings += found
            cost["optimizer_step"], cost["forward_along_step"] = 1, forwards
        else:
            try:
                stepped = analyse_step(model, step.run, probe, optimizer, lrs, max_grad_norm,
                                       line_search=line_search)
                stepped.near_zero = {w.key for w in weight_specs(probe)
                                     if w.expected_std > 0 and w.std < NEAR_ZERO_SHARE * w.expected_std}
                family = stepped.family
                findings += (group_lr_findings(stepped) or lr_findings(stepped)) + bare_decay_findings(stepped)
                findings += peak_lr_findings(optimizer, family, lrs, peak_lrs)
                cost["optimizer_step"] = 1
                cost["forward_along_step"] = stepped.forwards
            except Exception as exc:  # a custom optimizer may not step on a copy
                notes.append(f"lr check skipped: a copy of {type(optimizer).__name__} could not step ({exc})")
        findings += regularization_findings(probe, optimizer, stepped, _decay_lr_scale(optimizer, lrs, peak_lrs))
        findings += unclipped_findings(probe, stepped, max_grad_norm)
        findings += optimizer_numeric_findings(stepped)
        findings += normless_findings(probe, optimizer, lrs, max_grad_norm)
    else:
        notes.append("lr and regularization checks need the optimizer")
    findings += quiet_findings(probe, step, optimizer, stepped, lrs, peak_lrs, scheduler)
    findings += unbounded_findings(scheduler, optimizer) + collapse_findings(scheduler, optimizer, interval)
    findings += zero_lr_findings(scheduler, optimizer) + rising_decay_findings(scheduler, peak_lrs)
    if not any("lambda_peak_factor" in f.evidence for f in findings):  # the tiny-step finding names it already
        findings += lambda_lr_findings(scheduler, peak_lrs)
    if line_search:  # one more forward, on a copy with its inputs standardised (see gates)
        nonfinite_at_unit_scale(findings, model, step.run)
    finite_at_default_init(findings, model, step.run)  # a forward overflow in a model initialised too large
    overflow_explains_step(findings)
    explain(findings, family, trained, weight_decay, fresh=fresh)
    findings += blown_alone_findings(findings, probe)
    if family == "adam" and optimizer is not None and not trained:
        transient_small_weights(findings, probe, optimizer, lrs)
    localise(findings, probe, trained)
    if confirm_steps > 0 and optimizer is not None and needs_closure(optimizer):
        notes.append(f"confirmation skipped: {type(optimizer).__name__} steps through a closure")
    elif confirm_steps > 0 and optimizer is not None:
        cost.update(confirm(findings, model, step.run, optimizer, steps=confirm_steps, lrs=lrs, scheduler=scheduler,
                            max_grad_norm=max_grad_norm, notes=notes))
    elif confirm_steps > 0:
        notes.append("confirmation (short training runs) needs the optimizer")
    if len(prop.chain) < 2:
        notes.append("fewer than 2 weight layers in the forward chain: no depth profile")
    return Diagnosis(findings=findings, cost=cost, notes=notes, profile=prop.profile())


def _zero_network(model: nn.Module, step: StepSpec, probe: Any) -> list[Finding]:
    """The network-at-zero finding, with the init each zero layer's activation wants: the activations cannot be
    recognised on a zero signal (relu(0) = 0 = identity(0)), so they are read off a copy whose zero weights are
    drawn at PyTorch's default scale (one more forward and backward, on the copy, only for such a network)."""
    found = zero_network_findings(model)
    if not found:
        return found
    try:
        twin = copy.deepcopy(model)
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for m in twin.modules():
                w = getattr(m, "weight", None)
                if isinstance(w, torch.Tensor) and w.dim() >= 2 and w.numel() > 0 and not bool(w.any()):
                    noise = torch.randn(w.shape, generator=gen) / math.sqrt(3.0 * w[0].numel())
                    w.copy_(noise.to(w.dtype))
        specs = weight_specs(run_probe(twin, step))
    except Exception:  # the copy cannot be made or run: fix() uses PyTorch's default scale
        return found
    return zero_network_findings(model, {s.key: (s.scheme, s.expected_std) for s in specs})


def diagnose_step(model: nn.Module, batch: Any = None, loss_fn: LossFn | None = None,
                  optimizer: torch.optim.Optimizer | None = None, *, closure: Closure | None = None,
                  steps_done: int | None = None) -> list[Finding]:
    """The ranked findings of :func:`check` (what the Guard calls when an event fires).

    With a ``closure`` the step is run once only (no loss along the optimizer's step): the Guard's closure is the
    user's training step, which may record or change state outside the model each time it runs (Lightning's
    ``training_step`` logging the weights), so the lr check uses the update-to-weight ratios alone.
    """
    step = resolve_step(batch, loss_fn, closure)
    return _diagnose(model, step, optimizer, None, None, steps_done, closure is None).findings


def _decay_lr_scale(optimizer: torch.optim.Optimizer, lrs: list[float] | None, peak_lrs: list[float] | None) -> float:
    """How much larger than at the checked lr the schedule's peak lr is, over the param groups with weight decay
    (1.0 without a schedule; the decay's shrink per step is proportional to the lr)."""
    if peak_lrs is None:
        return 1.0
    now = lrs if lrs is not None else [float(g.get("lr", 0.0)) for g in optimizer.param_groups]
    scale = 1.0
    for g, cur, peak in zip(optimizer.param_groups, now, peak_lrs, strict=False):
        if float(g.get("weight_decay", 0.0) or 0.0) > 0 and cur > 0 and peak > cur:
            scale = max(scale, peak / cur)
    return scale


#: from this many optimizer steps on, weights are trained weights, not an initialisation
TRAINED_STEPS = 50


def _trained(optimizer: torch.optim.Optimizer, steps_done: int | None) -> bool:
    if steps_done is not None:
        return steps_done >= TRAINED_STEPS
    counts = [float(st["step"]) for st in optimizer.state.values() if isinstance(st, dict) and "step" in st]
    if counts:
        return max(counts) >= TRAINED_STEPS
    return any(bool(st) for st in optimizer.state.values())


def unwrap_optimizer(optimizer: Any) -> Any:
    """The torch optimizer inside a trainer's wrapper (``accelerate``'s ``AcceleratedOptimizer``, Lightning's
    ``LightningOptimizer``: an ``.optimizer`` that is a torch optimizer), or ``optimizer`` itself. Through the wrapper
    the family of the step and the schedule's peak were not read: accelerate's ``nlp_example`` at AdamW lr 1.0 behind
    its warm-up was called healthy (session 24)."""
    for _ in range(4):
        inner = getattr(optimizer, "optimizer", None)
        if not isinstance(inner, torch.optim.Optimizer) or inner is optimizer:
            return optimizer
        optimizer = inner
    return optimizer


def unwrap_scheduler(scheduler: Any) -> Any:
    """The torch LR scheduler inside a trainer's wrapper (``accelerate``'s ``AcceleratedScheduler``: a ``.scheduler``
    with ``get_last_lr``), or ``scheduler`` itself."""
    for _ in range(4):
        inner = getattr(scheduler, "scheduler", None)
        if inner is None or inner is scheduler or not callable(getattr(inner, "get_last_lr", None)):
            return scheduler
        scheduler = inner
    return scheduler


def _fresh(optimizer: torch.optim.Optimizer, steps_done: int | None) -> bool | None:
    """Whether no optimizer step has been taken yet: True, False, or None when it cannot be told (``steps_done`` not
    given and an optimizer that keeps no state at all, as SGD without momentum)."""
    if steps_done is not None:
        return steps_done < 1
    if any(bool(st) for st in optimizer.state.values()):
        return False
    if isinstance(optimizer, torch.optim.SGD) and all(not g.get("momentum", 0.0) for g in optimizer.param_groups):
        return None
    return True


def scheduler_lrs(scheduler: Any, optimizer: torch.optim.Optimizer | None) -> list[float] | None:
    """The scheduler's current lr per param group (``get_last_lr()``), or None without a scheduler or for a
    hand-written one (an object with ``step()`` but no ``get_last_lr()``: the optimizer's lrs are its current ones).

    Raises:
        DiagnosisError: the scheduler has neither ``get_last_lr`` nor ``step``, comes without the optimizer, or gives
            a different number of lrs than the optimizer has param groups.
    """
    if scheduler is None:
        return None
    get = getattr(scheduler, "get_last_lr", None)
    if not callable(get) and not callable(getattr(scheduler, "step", None)):
        raise DiagnosisError(f"scheduler must be a torch.optim.lr_scheduler (with get_last_lr()) or an object "
                             f"with step(), got {type(scheduler).__name__}.")
    if optimizer is None:
        raise DiagnosisError("scheduler was given without optimizer; pass the optimizer it schedules too.")
    if not callable(get):
        return None
    lrs = [float(v) for v in get()]
    if len(lrs) != len(optimizer.param_groups):
        raise DiagnosisError(f"scheduler.get_last_lr() gives {len(lrs)} lrs for {len(optimizer.param_groups)} "
                             "param groups; pass the scheduler of this optimizer.")
    return lrs


__all__ += ["DiagnosisError"]
