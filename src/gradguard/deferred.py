"""``Guard(sync="deferred")``: decide on the device, read the statistics one step late (issue 16 items 1-2).

In the default blocking mode a step costs one host read of the packed statistics before the optimizer steps: on
a GPU the host then waits for the device, and stops queueing the next step's kernels. In the deferred mode:

- the step's decision is computed **on the device** from the packed statistics by a *device twin* of the
  policy (:mod:`gradguard.deferred_twins`): ``skip_nonfinite`` gives a 0/1 ``found_inf`` tensor (NaN/Inf
  gradients or loss), ``skip_outliers`` adds the steps whose sum of squares is above the threshold its state
  sets, ``clip_by_global_norm`` a clip coefficient tensor ``min(1, c / ||g||)`` (``clip_by_zscore`` and
  ``clip_by_percentile`` likewise, with the norm their history sets), ``clip_adaptive`` (``safe``'s clipper) its
  coefficient from the step's norm and loss and host doubles of its state (:mod:`gradguard.deferred_adaptive`),
  each exactly as the host policy decides (the same float64 sum of squares, exact thresholds, IEEE square root and
  division, the same torch expression for ``clip_adaptive``'s far target);
- it is applied **without a host read**: ``found_inf`` goes to the optimizer's fused step
  (``torch.optim.Adam/AdamW/SGD/Adagrad(fused=True)``, marked ``_step_supports_amp_scaling``; inside
  ``accelerate``'s ``AcceleratedOptimizer`` too, when it has no GradScaler), which skips the
  whole update on the device, step counters included; the clip goes there too, as ``grad_scale = 1 / coef``
  (the fused kernel divides each gradient by it in the pass it makes anyway: no pass over the gradients of its
  own, where a multiply costs ~2 ms at 1,024 tensors of 4,096 elements on this CPU; the blocking mode clips a
  fused optimizer's step the same way, see :func:`scale_target`). Without a fused optimizer (a clip-only
  policy) and in :meth:`~gradguard.Guard.observe` (the trainer steps) the gradients are multiplied by the
  coefficient (one fused ``_foreach_mul_``, as ``clip_grad_norm_`` does). The weights are bit-identical to the
  blocking mode's;
- the packed vector of step t is copied to pinned host memory without blocking (CUDA) and read at step t+1 (or
  at ``flush``/``close``): detectors, events, the record and the host-side policy run **one step late**, and
  the record says so (``meta["sync"] = "deferred"``). ``guard.step`` then returns the report of the step read
  (``report.step`` says which; the first call returns a placeholder with ``step=-1``).

With an LR scheduler, or a policy member whose device twin needs its state after the previous step
(``skip_outliers``, the adaptive clippers: so ``safe``), the previous step's vector is read before this step's
optimizer step (the scheduler must know whether that step was applied; the vector was computed before the previous
optimizer step, so on a GPU this waits for work issued a step earlier, never for this step's values), otherwise
right after it. Where the deferred mode cannot be exact it falls back to the blocking read and says once why: a
policy member without a device twin (rollback, back-off, per-layer and value clips...: so ``recover``), an optimizer
without ``found_inf`` support (non-fused; the exact alternative, a copy of every weight and optimizer state to
select from after the step, costs more than the read it saves), a GradScaler with a policy without
``skip_nonfinite`` or with parameters on several devices (with one, ``guard.step`` and
:meth:`~gradguard.Guard.observe` are exact: see :mod:`gradguard.deferred_scaler` and
:meth:`DeferredSteps._arm_scaler`), a ``loss_fn`` (the alarm path re-runs the step), a loop without an optimizer. A
call with ``state=`` (a carried state whose reset must come at once) reads the pending step and runs blocking. A
call with a ``closure`` (the trainer callbacks pass one every call) runs deferred: its batch is kept until the step
is read, and that read comes before the next step is issued, so a skipped step's alarm path (a non-finite step:
origin module, causes, flight record) re-runs the batch on the very weights and RNG state it was issued at; an
applied alarm step (an explosion that was clipped) is not re-run, and its events say so
(``evidence["not_investigated"]``). A halt after ``max_consecutive_skips`` skipped steps is raised by the call after
the step that reached the limit (its report is the one read then): that call reads the pending step before it issues
its own, so no step is applied after the halting one, and the weights are those at the blocking mode's halt.

In the deferred mode per-layer counts of NaN/Inf gradient elements are not counted (the gradients are gone when
the step is read): a layer whose norm is not finite counts 1 per such tensor, a lower bound.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ._guard_setup import SYNC_MODES, group_lr
from .decision import StepReport
from .deferred_scaler import amp_overflow_decision, enabled_scaler, unscale, update_scaler_on_device, write_scaler_flag
from .deferred_twins import DeviceTwin, device_twin
from .investigate import DIAGNOSED_KINDS
from .mitigation.actuator import validate
from .objective import run_detectors
from .rng import capture_rng_state
from .stats_plan import Plan
from .stats_types import StepStats

__all__ = ["SYNC_MODES", "DeferredSteps", "DeviceTwin", "device_grad_scale", "device_twin", "fallback_reason",
           "found_inf_target", "host_grad_scale", "scale_target", "scales_every_step"]


def fallback_reason(guard: Any, twin: DeviceTwin | None) -> str | None:
    """Why the deferred mode cannot be exact for this guard (None: it can)."""
    if twin is None:
        return f"the policy {guard.policy!r} has members that decide on the host"
    if getattr(guard, "_by_hand", False):
        return "there is no optimizer to step (Guard(model, None))"
    if enabled_scaler(guard) is not None and not twin.skip_nonfinite:
        return ("a GradScaler is in use with a policy that does not skip non-finite steps (whether an overflow is "
                "skipped then depends on the overflow count the host reads)")
    if enabled_scaler(guard) is not None and len({p.device for p in guard.inventory.params}) > 1:
        return ("a GradScaler is in use with parameters on several devices (its per-device overflow flags are "
                "summed into the fused step's found_inf)")
    if guard.loss_fn is not None:
        return "loss_fn is set (the alarm path re-runs a non-finite step at once)"
    if (twin.skip_nonfinite or twin.skips) and found_inf_target(guard.optimizer) is None:
        wrapper = _scaler_wrapper(guard.optimizer)
        if wrapper is not None:
            return (f"{type(wrapper).__name__} steps through its own GradScaler (its .scaler), which sets and "
                    "clears the fused step's found_inf itself, so the guard cannot put its skip there")
        return (f"{type(guard.optimizer).__name__} cannot skip a step on the device (no found_inf support; "
                "torch's Adam, AdamW, SGD and Adagrad can with fused=True)")
    return None


def _scaler_wrapper(opt: Any) -> Any:
    """The optimizer wrapper (``accelerate``'s ``AcceleratedOptimizer``...) that holds a GradScaler of its own on the
    way to the torch optimizer, or None."""
    for _ in range(4):
        if opt is None or getattr(opt, "_step_supports_amp_scaling", False):
            return None
        if getattr(opt, "scaler", None) is not None:
            return opt
        opt = getattr(opt, "optimizer", None)
    return None


def scale_target(guard: Any) -> Any:
    """The optimizer whose fused step applies ``guard.step``'s global clip inside its own kernel, or None.

    A fused torch optimizer (``_step_supports_amp_scaling``: Adam, AdamW, SGD, Adagrad with ``fused=True``) divides
    each gradient by its ``grad_scale`` tensor in the pass it makes anyway: the clip ``g * coef`` is then given as
    ``grad_scale = 1 / coef`` (float32, as a GradScaler's scale) and costs no pass of its own over the gradients.
    Both sync modes use it, so that their weights stay bit-equal (the clipped gradients differ from a multiply by
    ``coef`` in the last bit). Not with a GradScaler (it owns ``grad_scale``), an update cap (it measures the
    clipped gradients before the step) or a loop without an optimizer; :meth:`~gradguard.Guard.observe` (the
    trainer steps) multiplies."""
    if getattr(guard, "_by_hand", False) or enabled_scaler(guard) is not None:
        return None
    if getattr(guard._actuator, "update_cap", None) is not None:
        return None
    return found_inf_target(guard.optimizer)


def scales_every_step(guard: Any, twin: DeviceTwin | None) -> bool:
    """Whether ``guard.step`` hands its fused optimizer a ``grad_scale`` on every applied step, 1 when it does not
    clip: where the policy's global clip has a device twin (``twin``: :func:`device_twin` of the policy; the deferred
    mode passes its coefficient every step).
    CUDA's fused SGD rounds differently with a ``grad_scale`` given, even 1 (an H200, torch 2.11: one ulp in the
    first step), so the blocking mode does the same to stay bit-equal to the deferred one."""
    return guard._scale_target is not None and twin is not None and twin.clips


def host_grad_scale(coef: float) -> torch.Tensor:
    """The blocking mode's ``grad_scale`` for a clip coefficient: ``1 / coef`` in doubles, rounded to float32."""
    return torch.tensor(1.0 / coef, dtype=torch.float32)


def device_grad_scale(coef: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """The deferred mode's ``grad_scale`` from the device coefficient (0-d float64): the same IEEE division and
    rounding as :func:`host_grad_scale`, on the device (``1 / coef`` correctly rounded, as a division, on CPU and
    CUDA, then rounded to float32 as it is written). ``out``: a 0-d float32 tensor of the coefficient's device to
    write it to (one operation instead of two; it is the result)."""
    if out is None:
        return torch.reciprocal(coef).to(torch.float32)
    return torch.reciprocal(coef, out=out)


def found_inf_target(opt: Any) -> Any:
    """The optimizer whose fused step reads ``found_inf``: ``opt`` itself, or the torch optimizer inside a wrapper
    that has no GradScaler of its own (``accelerate``'s ``AcceleratedOptimizer``: ``.optimizer``); None if none."""
    for _ in range(4):  # wrappers of wrappers, a few deep
        if opt is None or getattr(opt, "_step_supports_amp_scaling", False):
            return opt
        if getattr(opt, "scaler", None) is not None:  # its GradScaler sets and deletes found_inf itself
            return None
        opt = getattr(opt, "optimizer", None)
    return None


@dataclass
class _Pending:
    """A step issued on the device and not read yet."""

    step: int
    packed: torch.Tensor  # the device vector (kept alive until read)
    host: torch.Tensor | None  # its pinned host copy (CUDA), or None (CPU: the vector is on the host)
    event: Any  # torch.cuda.Event recorded after the copy, or None
    plan: Plan
    layout: tuple[bool, bool, bool, bool]
    host_loss: float | None
    update_step: int
    has_loss: bool
    lrs: tuple[float, ...]
    measured: bool  # the update of this step is being measured
    has_scaler: bool = False  # the GradScaler's scale is packed (the step was unscaled on the device)
    batch: tuple[Any, Any, Any] | None = None  # (inputs, targets, closure) for the alarm path, kept by reference
    rng: Any = None  # the RNG state this step's forward started from (for an exact re-run), with a closure


class DeferredSteps:
    """Issues guarded steps with device-side decisions and reads each one a step later."""

    def __init__(self, twin: DeviceTwin) -> None:
        self.twin = twin
        self.pending: _Pending | None = None
        self._pinned: list[torch.Tensor | None] = [None, None]
        self._turn = 0
        self._hook: Any = None  # the optimizer step post-hook of the observe path
        # found_inf left on the optimizer for the trainer's step, or (a GradScaler's flag, its own value) to put back
        self._armed: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None
        self._warned = False
        self._dtypes: dict[tuple[int, ...], torch.dtype] = {}  # the gradients' one dtype per set (float64: mixed)
        self._scale_out: torch.Tensor | None = None  # the fused step's grad_scale, written each step

    # ----------------------------------------------------------------------------------------- issue
    def step(self, guard: Any, loss: torch.Tensor | float | None, *, trainer_steps: bool = False,
             batch: tuple[Any, Any, Any] = (None, None, None)) -> StepReport:
        """One guarded step: decide and apply on the device, then read the previous step.

        ``trainer_steps`` (``Guard.observe``): the trainer calls ``optimizer.step()`` after this returns; the
        gradients are scaled here and ``found_inf`` is left on the optimizer for its fused step (a step post-hook
        takes it off again; with a GradScaler it goes into the scaler's own overflow flag instead, put back by that
        hook: see :meth:`_arm_scaler`), and the update is measured up to the next call.

        ``batch``: the step's ``(inputs, targets, closure)``; with a closure they are kept (by reference) until the
        step is read, with the RNG state its forward started from, for the alarm path (see :func:`_investigate`)."""
        closure = batch[2]
        act = guard._actuator
        act.keep_backoff()  # a rate the loop or the trainer's scheduler wrote since the last call (as blocking)
        rng_before = guard._rng_state
        rng = rng_before if closure is not None else None  # captured when the previous call ended
        if trainer_steps:
            guard._collector.end_update()  # the update the trainer's step made since the last call, if measured
        report = None
        changed = guard._param_watch.changed(guard.optimizer)
        # the scheduler steps only after applied steps: know it before this one; a new parameter set: read the
        # pending step with the layout it was packed with
        # a streak of skips one short of max_consecutive_skips: the pending step may halt (or roll back) the run,
        # which must happen before another step is applied
        streak = act.consecutive_skips >= act.max_consecutive_skips - 1
        # a pending step with a closure: its alarm path may re-run its batch, on the weights it was issued at
        rerun = self.pending is not None and self.pending.batch is not None
        if guard.scheduler is not None or changed or self.twin.stateful or streak or rerun:
            report = self.read(guard)
        previous, self.pending = self.pending, None
        if changed:
            from .follow import follow

            follow(guard)
        self._issue(guard, loss, trainer_steps)
        if closure is not None and self.pending is not None:
            self.pending.batch, self.pending.rng = batch, rng
        if previous is not None:
            report = self._read(guard, previous)
        # the RNG the next forward starts from, for its exact re-run (as the blocking mode's finish(), which captured
        # it already when this call read a step: nothing draws from it in between)
        if (closure is not None or guard._rng_state is not None) and guard._rng_state is rng_before:
            guard._rng_state = capture_rng_state()
        act.note_lrs()  # the rates as this call leaves them, a back-off of the step read included
        return report if report is not None else _placeholder()

    def _issue(self, guard: Any, loss: torch.Tensor | float | None, trainer_steps: bool = False) -> None:
        step = guard._step
        col = guard._collector
        scaler = enabled_scaler(guard)
        # unscaled on the device, as the blocking mode does (the scaler's found_inf kept for its update)
        scale = unscale(guard) if scaler is not None else None
        plan = col.gather()
        packed = col.collect(plan, loss, scale, full=col.wants_full(step, guard.sample_every, guard.update_every))
        if guard.reduce_packed is not None:
            packed = guard.reduce_packed(packed)
        layout, host_loss, update_step = col.packing()
        # the global sum of squares: the collector's kept view of its packed vector (no indexing per step)
        gsq = col.gsq_view if guard.reduce_packed is None and col.gsq_view is not None else packed[col.gsq_index]
        loss_t = loss if isinstance(loss, torch.Tensor) else None
        loss_bad = host_loss is not None and not math.isfinite(host_loss)
        loss_dev = None if loss is None else loss_t if col.host_reduce else packed[0]  # reduced across ranks
        found, coef = self.twin.decide(gsq, loss_dev, loss_bad, has_loss=loss is not None, host_loss=host_loss)
        grads = col._grads
        # guard.step with a fused optimizer: the clip goes into its kernel as grad_scale = 1 / coef, as the blocking
        # mode's (see scale_target); otherwise one fused multiply of the gradients
        in_step = not trainer_steps and guard._scale_target is not None
        if coef is not None and grads and not in_step:
            # in the gradients' dtype (the product rounds the float64 coefficient to it anyway, as the blocking
            # clip's Python float is): a float64 scalar tensor sends a float32 list down a per-tensor path
            dtype = self._dtypes.get(plan.present)
            if dtype is None:
                kinds = {g.dtype for g in grads}
                dtype = self._dtypes[plan.present] = kinds.pop() if len(kinds) == 1 else torch.float64
            torch._foreach_mul_(grads, coef if dtype == torch.float64 else coef.to(dtype))
        measured = guard.update_every > 0 and step % guard.update_every == 0
        if measured:
            col.updates.begin_at(step)
        opt = guard.optimizer
        if trainer_steps:
            if found is not None and scaler is not None:
                self._arm_scaler(scaler, opt, found)
            elif found is not None:
                self._arm(found_inf_target(opt), found)
        else:
            target = found_inf_target(opt) if found is not None or in_step else None
            if found is not None and target is not None:
                target.found_inf = found
            if in_step and coef is not None and grads and target is not None:
                out = self._scale_out
                if out is None or out.device != coef.device:  # reused: on a GPU, written in stream order
                    out = self._scale_out = torch.empty((), dtype=torch.float32, device=coef.device)
                target.grad_scale = device_grad_scale(coef, out)
            try:
                opt.step()
            finally:
                if target is not None:
                    target.__dict__.pop("found_inf", None)
                    target.__dict__.pop("grad_scale", None)
            if measured:
                col.end_update()
            if scaler is not None:
                update_scaler_on_device(scaler, found, gsq)  # type: ignore[arg-type]  # skip_nonfinite: found set
        host, event = self._copy(packed)
        self.pending = _Pending(step, packed, host, event, plan, layout, host_loss, update_step, loss is not None,
                                tuple(group_lr(g) for g in opt.param_groups), measured, has_scaler=scale is not None)
        guard._step += 1

    def keeps_observe(self, guard: Any) -> bool:
        """Whether :meth:`~gradguard.Guard.observe` runs deferred (always, since session 11: with a GradScaler the
        skip rides on the scaler's own ``found_inf``, see :meth:`_arm_scaler`; kept for the callers' seam)."""
        return True

    def _arm_scaler(self, scaler: Any, opt: Any, found: torch.Tensor) -> None:
        """``observe`` with a GradScaler: the trainer's ``scaler.step`` hands the fused step the sum of the scaler's
        ``found_inf_per_device`` (dropping a ``found_inf`` left on the optimizer), so the guard's skip is written
        into the scaler's one per-device flag, in place (the guard's skip covers every overflow: its twin has
        ``skip_nonfinite``), and a step post-hook puts the scaler's own flag back after the trainer's step, before
        its ``scaler.update()``: the scale then moves as in the blocking mode (which drops a skipped step's
        gradients instead), lowered after the scaler's own overflow only. One device (see :func:`fallback_reason`)."""
        self._armed = write_scaler_flag(scaler, opt, found)
        if self._hook is None:
            self._hook = found_inf_target(opt).register_step_post_hook(self._disarm)

    def _arm(self, opt: Any, found: torch.Tensor) -> None:
        """Leave ``found`` on the optimizer for the trainer's coming fused step; the post-hook takes it off."""
        if self._hook is None:
            self._hook = opt.register_step_post_hook(self._disarm)
        opt.found_inf = found
        self._armed = found

    def _disarm(self, opt: Any, args: Any, kwargs: Any) -> None:
        found, self._armed = self._armed, None
        if found is None:
            return
        if isinstance(found, tuple):  # the scaler's own flag, put back for its update() (see _arm_scaler)
            found[0].copy_(found[1])
            return
        if getattr(opt, "found_inf", None) is found:
            del opt.found_inf
        elif not self._warned:
            self._warned = True
            warnings.warn("gradguard: the optimizer's found_inf was replaced before the trainer's step (a GradScaler "
                          "steps it?): the guard's skip decision was not applied. Pass the trainer's scaler to the "
                          "Guard (it then reads each step at once).", RuntimeWarning, stacklevel=2)

    def _copy(self, packed: torch.Tensor) -> tuple[torch.Tensor | None, Any]:
        if packed.device.type != "cuda":
            return None, None
        # two buffers in turn: the previous step's copy is read after this one is issued
        self._turn ^= 1
        buf = self._pinned[self._turn]
        if buf is None or buf.numel() != packed.numel() or buf.dtype != packed.dtype:
            buf = self._pinned[self._turn] = torch.empty(packed.numel(), dtype=packed.dtype, pin_memory=True)
        buf.copy_(packed, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        return buf, event

    # ----------------------------------------------------------------------------------------- read
    def read(self, guard: Any) -> StepReport | None:
        """Read the pending step (if any): detectors, host policy, events, record; its report, or None."""
        p, self.pending = self.pending, None
        return None if p is None else self._read(guard, p)

    def _read(self, guard: Any, p: _Pending) -> StepReport:
        if p.event is not None:
            p.event.synchronize()
            a = p.host.numpy().copy()  # type: ignore[union-attr]
        else:  # a view, as the blocking read's: the collector packs step t + 2 into this vector after this read
            a = (p.packed.detach() if p.packed.requires_grad else p.packed).numpy()
        col = guard._collector
        stats, update = col.unpack(a, p.step, p.lrs, present=p.plan, has_loss=p.has_loss, has_scaler=p.has_scaler,
                                   layout=p.layout, host_loss=p.host_loss, update_step=p.update_step)
        if not stats.grads_finite:
            stats = _lower_bound_counts(stats)
        if update is not None:
            for detector in guard.detectors:
                observe = getattr(detector, "observe_update", None)
                if observe is not None:
                    observe(update)
        events = run_detectors(guard, stats)
        col.alert = bool(events) or not (stats.grads_finite and stats.loss_finite)  # measure the next issue in full
        # the same decision the device twin applied (a scaler's overflow: skipped by skip_nonfinite's found_inf)
        decision = amp_overflow_decision(stats, events)
        if decision is None:
            decision = guard.policy.decide(stats, events)
        validate(decision, guard.policy)
        decision = guard._actuator.bound_skips(stats, decision)
        applied = not (decision.skip or decision.halt)
        inputs, targets, closure = p.batch if p.batch is not None else (None, None, None)
        if p.batch is not None and any(e.kind in DIAGNOSED_KINDS for e in events):
            events = _investigate(guard, p, events, applied)
        if p.measured and applied:
            col.updates.norms_by_step[p.step] = stats.layer_weight_norm
        if applied and guard.scheduler is not None:
            guard.scheduler.step()
        outcome = guard._actuator.act(stats, decision, applied, events)
        return guard._finish(stats, update, events, decision, applied, closure, outcome, inputs, targets, None,
                             advance=False)


def _investigate(guard: Any, p: _Pending, events: list[Any], applied: bool) -> list[Any]:
    """The alarm path of a step read one call late (its origin module, ranked causes, flight record).

    A skipped step left the weights and the optimizer state as they were when it was issued, so its batch is
    re-run now on those very weights, from the RNG state its forward started from (the investigator sets the
    current step's ``.grad``, buffers and RNG aside and restores them). An applied step moved the weights before it
    was read: nothing is re-run and its alarm events say so (``evidence["not_investigated"]``). Not under
    ``torch.distributed``, where a re-run on one rank would hang the collectives (as in the blocking mode)."""
    import dataclasses

    inputs, targets, closure = p.batch  # type: ignore[misc]
    if guard.reduce_packed is not None:
        return events
    if not applied:
        return guard._investigator.investigate(p.step, events, inputs, targets, closure, p.rng)  # type: ignore[no-any-return]
    why = "deferred read: the step was applied before it was read, so its batch is not re-run on other weights"
    return [dataclasses.replace(e, evidence={**e.evidence, "not_investigated": why}) if e.kind in DIAGNOSED_KINDS
            else e for e in events]


def _lower_bound_counts(stats: StepStats) -> StepStats:
    """In the deferred mode the elements are not counted: 1 per layer whose norm is not finite (a lower bound)."""
    import dataclasses

    counts = np.where(np.isfinite(stats.layer_grad_norm) | ~stats.layer_has_grad, 0, 1).astype(np.int64)
    if not counts.any() and not math.isfinite(stats.grad_norm):
        counts = np.zeros_like(counts)  # the sum of squares overflowed from finite elements
    return dataclasses.replace(stats, layer_grad_nonfinite=counts)


def _placeholder() -> StepReport:
    return StepReport(step=-1, applied=True, reason="deferred: no step read yet", loss=None, grad_norm=math.nan)


def warn_fallback(reason: str) -> None:
    """Say once, at construction, that ``sync="deferred"`` runs blocking and why."""
    warnings.warn(f"gradguard: sync='deferred' falls back to the blocking read: {reason}.", RuntimeWarning,
                  stacklevel=3)

