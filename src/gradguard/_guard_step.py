"""The guard's step path: statistics -> detectors -> (alarm path) -> policy; the decision applied; the report.

:class:`~gradguard.Guard` keeps thin methods (``_observe``, ``_apply``, ``_finish``) over these functions, which
:mod:`gradguard.deferred` and the step profiler (``benchmarks/step_profile.py``) use too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ._guard_setup import group_lr, update_scaler_on_skip
from .carried import mark_carried, reset_reason
from .cleared import watch_clearing
from .decision import Decision, StepReport
from .deferred import host_grad_scale
from .deferred_scaler import amp_overflow_decision, enabled_scaler, unscale
from .errors import ConfigError
from .events import Event
from .first_update import check_first_update
from .follow import follow, record_stats, record_update
from .investigate import DIAGNOSED_KINDS
from .mitigation.actuator import Outcome, halt, validate
from .objective import run_detectors
from .policy import unread_loss
from .reduction import hand_loss_terms
from .rng import capture_rng_state
from .stats import StepStats, UpdateStats

__all__ = ["apply_decision", "finish", "measure_and_decide", "offer_batch"]


def measure_and_decide(guard: Any, loss: torch.Tensor | float | None, inputs: Any, targets: Any,
                       closure: Callable[[nn.Module], torch.Tensor] | None, state: Any
                       ) -> tuple[StepStats, UpdateStats | None, list[Event], Decision, tuple[int, ...], str | None]:
    """Statistics -> detectors -> (alarm path) -> policy. Touches nothing but the scaler's unscale."""
    if guard._closed:
        raise ConfigError("guard", "closed", "an open guard", "step() was called after close().")
    step = guard._step
    if guard._param_watch.changed(guard.optimizer):  # add_param_group, an unfrozen parameter: watch them too
        follow(guard)
    scale = unscale(guard)
    plan = guard._collector.gather()  # each .grad read once; the step's layout is cached
    present = plan.present
    collector = guard._collector
    packed = collector.collect(plan, loss, scale, full=collector.wants_full(step, guard.sample_every,
                                                                          guard.update_every))
    if guard.reduce_packed is not None:
        packed = guard.reduce_packed(packed)  # across ranks, before anything is decided
    # the one host sync of a step (on CPU a view, no copy: the vector is fresh each step)
    host = packed.numpy() if packed.device.type == "cpu" else packed.cpu().numpy()
    lrs = tuple(group_lr(g) for g in guard.optimizer.param_groups)
    stats, update = collector.unpack(host, step, lrs, has_loss=loss is not None,
                                           has_scaler=scale is not None, present=plan)
    finite = stats.grads_finite and stats.loss_finite
    if not finite and not stats.full:  # alarm path only: the current weights' norms and the max-abs
        stats = collector.measure_in_full(stats, plan, loss, scale)
    if not stats.grads_finite and (stats.layer_grad_nonfinite < 0).any():
        stats = collector.count_nonfinite(stats, plan)  # alarm path only

    if update is not None:  # an earlier step's measured update, for detectors that read update ratios
        for detector in guard.detectors:
            observe = getattr(detector, "observe_update", None)
            if observe is not None:
                observe(update)
    events: list[Event] = run_detectors(guard, stats)
    # the alarm path; not under torch.distributed, where a re-run on one rank would hang the collectives
    if guard.reduce_packed is None and any(e.kind in DIAGNOSED_KINDS for e in events):
        events = guard._investigator.investigate(step, events, inputs, targets, closure, guard._rng_state)

    collector.alert = bool(events) or not finite  # the next step is measured in full
    reset = reset_reason(finite, events, state)
    # a poisoned carried state: the policies must not blame the weights or the rate (each rank holds its own
    # state, so under torch.distributed it is only reported: every rank must decide from the same numbers)
    carried = reset is not None and guard.reduce_packed is None
    if carried:
        events = mark_carried(events, reset)  # type: ignore[arg-type]
    # a GradScaler overflow is the scaler's own business while it can absorb it; beyond that (8 in a row, scale < 1,
    # or weights already non-finite) the detector says nonfinite and the policy decides, so skips are bounded
    decision = amp_overflow_decision(stats, events)
    if decision is None:
        if inputs is not None or closure is not None:  # the step's batch, for an attribution on the spot
            offer_batch(guard, step, inputs, targets, closure)
        decision = guard.policy.decide(stats, events)
    validate(decision, guard.policy)
    decision = guard._actuator.bound_skips(stats, decision, carried=carried)
    return stats, update, events, decision, present, reset


def offer_batch(guard: Any, step: int, inputs: Any, targets: Any, closure: Any) -> None:
    """Hand the step's batch to the policy's :class:`~gradguard.attribution.AttributeSpikes`, if it holds one (found
    once per policy object and cached on the guard)."""
    cached = guard.__dict__.get("_attributor_of")
    if cached is None or cached[0] is not guard.policy:
        from .attribution.keeper import find_attributor

        cached = (guard.policy, find_attributor(guard.policy))
        guard._attributor_of = cached
    if cached[1] is not None:
        cached[1].offer(guard, step, inputs, targets, closure)


def finish(guard: Any, stats: StepStats, update: UpdateStats | None, events: list[Event], decision: Decision,
           applied: bool, closure: Any, outcome: Outcome, inputs: Any, targets: Any,
           reset: str | None, advance: bool = True) -> StepReport:
    """The step's report; the record written; the step counter advanced (unless ``advance`` is False: a deferred
    step counted when it was issued); a halt raised; reset hooks run."""
    rollback = outcome.rollback
    if not applied and (not stats.grads_finite or (stats.loss is not None and not math.isfinite(stats.loss))):
        repaired = guard._buffers.repair(stats.step)  # the skipped forward's NaN in BatchNorm's running stats
        if repaired is not None:
            events = [*events, repaired]
    report = StepReport(step=stats.step, applied=applied, reason=decision.reason, loss=stats.loss,
                        grad_norm=stats.grad_norm,
                        clip_coef=guard._actuator.effective_coef(decision, stats) if applied else 1.0,
                        events=(*_pending(guard), *events, *outcome.events),
                        rolled_back_to=None if rollback is None else rollback.to_step,
                        skip_batches=() if rollback is None else rollback.skip_batches,
                        reset_state=reset is not None, reset_reason=reset)
    if guard._writer is not None:
        guard._writer.add_step(record_stats(stats, guard._record_layers), report, time.time())
        if update is not None:
            guard._writer.add_update(record_update(update, guard._record_layers))
    guard.last_stats = stats
    if advance:  # a deferred step counted when it was issued
        guard._step += 1
    if guard._rng_state is not None or closure is not None:
        guard._rng_state = capture_rng_state()  # the RNG the next forward will start from, for exact re-runs
    if outcome.halt is not None:
        guard.flush()
        halt(outcome.halt, guard, report, inputs, targets, closure)
    if reset is not None:
        guard._reset_hooks.run(report)
    return report

def _pending(guard: Any) -> list[Event]:
    """Events due with the first report (a rate held before the first step), once."""
    pending = guard.__dict__.get("_pending_events")
    if not pending:
        return []
    guard._pending_events = []
    return pending


def begin_call(guard: Any, loss: Any) -> None:
    """What every guarded call does first, before its step: the loss's summed terms handed to the detectors (once;
    :mod:`gradguard.reduction`), the forgotten-``zero_grad`` watch (:mod:`gradguard.cleared`; its ``after`` runs when
    the call ends) and the buffers' finite copy (:mod:`gradguard.buffers`)."""
    if not guard._terms_read:
        guard._terms_read = hand_loss_terms(guard.detectors, loss)
    watch = guard._objective
    if watch.begin(loss, guard._step):  # found now: the loss is a moving adversary's verdict
        unread_loss(guard.policy)
    watch_clearing(guard)
    guard._buffers.keep(guard._step)


def unit_scale(guard: Any) -> torch.Tensor:
    """A float32 1 on the device of the optimizer's first parameter (made once): the grad_scale of a step not
    clipped, so that no copy to the device is made for it."""
    one = guard._unit_scale
    if one is None:
        device = guard.inventory.params[0].device if guard.inventory.params else torch.device("cpu")
        one = guard._unit_scale = torch.ones((), dtype=torch.float32, device=device)
    return one


def apply_decision(guard: Any, decision: Decision, present: tuple[int, ...], stats: StepStats) -> bool:
    """The only code that changes gradients, the optimizer, the scheduler or the scaler."""
    scaler = enabled_scaler(guard)
    if decision.skip or decision.halt:
        if scaler is not None and not decision.rollback:
            update_scaler_on_skip(scaler, overflow=not stats.grads_finite)
        return False
    # a plain global clip with a fused optimizer: applied inside its step as grad_scale = 1 / coef (no pass of its
    # own over the gradients; the deferred mode applies it so too: see gradguard.deferred.scale_target)
    target = guard._scale_target
    in_step = (target is not None and (decision.clip_coef < 1.0 or guard._scale_every)
               and decision.layer_clip_coefs is None and decision.clip_value is None and bool(present))
    if not in_step:
        guard._actuator.clip(decision, present)
    measure = guard.update_every > 0 and stats.step % guard.update_every == 0
    if measure:
        guard._collector.begin_update(stats)
    if in_step:
        target.grad_scale = host_grad_scale(decision.clip_coef) if decision.clip_coef < 1.0 else unit_scale(guard)
        try:
            guard.optimizer.step()
        finally:
            target.__dict__.pop("grad_scale", None)
    else:
        guard.optimizer.step()
    if measure:
        guard._collector.end_update()
        if guard._deferred is None and guard.reduce_packed is None:
            event = check_first_update(guard, stats)  # finite gradients made NaN weights? (one read, once a run)
            if event is not None:
                guard._pending_events = [*guard._pending_events, event]
    if scaler is not None:
        scaler.update()
    if guard.scheduler is not None:
        guard.scheduler.step()
    return True
