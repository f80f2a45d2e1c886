"""The Guard: the one place that touches gradients and the optimizer.

Data flows one way through :meth:`Guard.step`: gradients and weights -> fused statistics on the device -> one host
read -> detectors (events with evidence) -> policy (a decision) -> the guard applies it (clip, skip or step) ->
sinks write the record on a background thread.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import torch
from torch import nn

from ._guard_recovery import GuardRecovery
from ._guard_setup import (
    bind_model,
    check_arguments,
    check_int,
    check_positive,
    check_sync,
    full_stats_needed,
    open_writer,
    unknown_option,
)
from ._guard_step import apply_decision, begin_call, finish, measure_and_decide
from ._resume import guard_state, load_guard_state
from .buffers import BufferKeeper
from .carried import ResetHooks
from .cleared import ClearWatch
from .decision import Decision, StepReport
from .deferred import DeferredSteps, device_twin, fallback_reason, scale_target, scales_every_step, warn_fallback
from .detectors import Detector, default_detectors
from .errors import ConfigError
from .events import Event
from .follow import ParamSetWatch
from .handwritten import clear_skipped_grads, without_optimizer
from .inventory import ParamInventory, build_inventory
from .investigate import Investigator
from .mitigation.actuator import Actuator, Outcome
from .mitigation.early_hold import held_steps, hold_before_first_step
from .mitigation.rollback import find_store
from .objective import ObjectiveWatch
from .policy import Policy, bind_optimizer, resolve_policy, unread_loss
from .rng import capture_rng_state
from .stats import StatsCollector, StepStats, UpdateStats

__all__ = ["Guard"]


class Guard(GuardRecovery):
    """Watches every layer's gradients and weights and applies a policy at each optimizer step.

    Use it in place of ``optimizer.step()``::

        guard = gradguard.Guard(model, optimizer, run_dir="runs/exp1")
        for x, y in loader:
            loss = loss_fn(model(x), y)
            loss.backward()
            report = guard.step(loss)
            optimizer.zero_grad(set_to_none=True)
        guard.close()

    A loop that carries a state from batch to batch (an RNN hidden state) passes it and resets it when told::

        output, hidden = model(x, hidden)
        ...
        report = guard.step(loss, state=hidden)
        if report.reset_state:  # a NaN batch poisoned it: it would poison every later batch
            hidden = model.init_hidden(batch_size)

    Args:
        model: the model being trained (used to name parameters and group them into layers).
        optimizer: the optimizer over the model's trainable parameters. ``guard.step`` calls its ``step()``.
            None for a loop that updates the weights by hand: call ``report = guard.observe(loss)`` and update
            only ``if report.applied`` (see :mod:`gradguard.handwritten`).
        run_dir: directory for the run record (``run.sqlite``); None keeps no record. Default None.
        policy: ``"safe"`` (default: skip non-finite and outlier steps, adaptive clipping), ``"monitor"``
            (observe only), ``"recover"`` (safe + rollback to snapshots + learning-rate back-off) or a policy
            object (see :mod:`gradguard.policy`).
        scaler: a ``torch.amp.GradScaler`` when training with AMP: pass ``scaler.scale(loss).backward()`` in the
            loop and let the guard unscale, step and update the scaler.
        scheduler: an LR scheduler the guard steps after each *applied* step (skipped steps leave it alone).
            If you step your scheduler yourself, leave this None.
        loss_fn: ``loss_fn(model(inputs), targets)``, used on the alarm path only: with it and
            ``step(loss, inputs=..., targets=...)`` a non-finite step is re-run to find the module that produced
            the NaN/Inf, and events get ranked causes from a diagnosis probe. Optional.
        update_every: measure update norms and update-to-weight ratios every this many steps (default 10;
            0 = never). Each measurement copies the watched weights once (transient memory = their size).
        flush_every: write the record in batches of this many steps (default 64).
        flush_seconds: ... or at least this often, in seconds (default 1.0).
        sinks: extra sinks (objects with the ``gradguard.sinks.Sink`` methods) that receive the record.
        tensorboard: a log directory (or True for ``run_dir/tensorboard``) for the TensorBoard sink.
        resume: append to an existing record in ``run_dir`` instead of refusing to overwrite it.
        max_flight_records: flight records (batch, model, optimizer, RNG) written to ``run_dir/flight`` on
            non-finite steps, at most this many per run (default 3; 0 = none).
        diagnose_every: diagnose each event kind at most once per this many steps (default 100).
        detectors: detectors to run each step (default: :func:`gradguard.detectors.default_detectors`, every
            kind). Pass a list of detector objects to tune thresholds or choose kinds.
        max_consecutive_skips: after this many skipped steps in a row (GradScaler overflows do not count), roll
            back if the policy keeps snapshots, else stop with :class:`~gradguard.TrainingHalted` (and a flight
            record in ``run_dir/flight``). Default 10.
        sync: ``"blocking"`` (default: one host read per step, events and decisions of a step at that step) or
            ``"deferred"`` (decisions made and applied on the device, statistics read one step late, no host
            read before the optimizer steps; see :mod:`gradguard.deferred` for what it needs and where it falls
            back to blocking, which it says once).
        sample_every: measure the weight norms and each layer's largest |g| every this many steps (default 10;
            1 = every step) after the first ``4 x sample_every`` steps (all measured), and also on the steps whose
            update is measured (``update_every``), the step after one
            that raised an event or had NaN/Inf gradients or loss, and (blocking read) on a step with NaN/Inf
            gradients or loss itself. In between, ``StepStats.layer_weight_norm`` holds the latest measured norms
            and ``layer_grad_maxabs`` NaN (``StepStats.full`` is False): the per-tensor host work of a step is
            then one norm per gradient, as ``clip_grad_norm_``'s. Every step is measured when the policy or a
            detector reads these at every step (``clip_by_value``, ``clip_unitwise``, one not from gradguard,
            or one whose ``needs_full_stats`` is True).
        loss_is_progress: whether a lower loss means a better model (default None: assumed, unless the guard finds
            the loss judged by parameters another optimizer steps, a GAN's or an actor's, or summing an episode's
            terms). ``False`` for a loss that is not a progress measure (PPO's and A2C's policy-plus-value loss,
            whose value term grows with the returns as the agent improves; a GAN's): loss spikes, divergence and
            the loss-reading stall modes are not reported, the ``safe`` policy's adaptive clipper only clips norms 10x
            the typical one under SGD and none under an Adam-family optimizer (a clip does not bound its step), and
            its early hold does not hold the rate. ``True``: the loss is read as progress whatever the guard finds.

    Raises:
        ConfigError: a setting has a value that is not accepted; nothing of the model or optimizer is changed.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer | None,
        run_dir: str | os.PathLike[str] | None = None,
        *,
        policy: str | Policy = "safe",
        scaler: torch.amp.GradScaler | None = None,
        scheduler: Any | None = None,
        loss_fn: Callable[..., torch.Tensor] | None = None,
        update_every: int = 10,
        flush_every: int = 64,
        flush_seconds: float = 1.0,
        sinks: Sequence[Any] = (),
        tensorboard: bool | str | os.PathLike[str] = False,
        resume: bool = False,
        detectors: Sequence[Detector] | None = None,
        max_flight_records: int = 3,
        diagnose_every: int = 100,
        max_consecutive_skips: int = 10,
        sync: str = "blocking",
        sample_every: int = 10,
        loss_is_progress: bool | None = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            raise unknown_option(unknown)
        check_arguments(model, optimizer, scaler, scheduler, run_dir, loss_fn)
        self.update_every = check_int("update_every", update_every, 0)
        self.flush_every = check_int("flush_every", flush_every, 1)
        self.flush_seconds = check_positive("flush_seconds", flush_seconds)
        check_int("max_flight_records", max_flight_records, 0)
        check_int("diagnose_every", diagnose_every, 1)
        check_int("max_consecutive_skips", max_consecutive_skips, 1)
        check_int("sample_every", sample_every, 1)
        check_sync(sync)
        if loss_is_progress is not None and not isinstance(loss_is_progress, bool):
            raise ConfigError("loss_is_progress", loss_is_progress, "True, False or None (found by the guard)")
        self.policy: Policy = resolve_policy(policy)
        self._by_hand = optimizer is None  # see gradguard.handwritten
        if optimizer is None:
            optimizer = without_optimizer(model, self.policy, scaler, scheduler, given=policy)
        if not self._by_hand:
            bind_optimizer(self.policy, optimizer)  # members that judge by the optimizer's kind (see ClipAdaptive)
        if loss_is_progress is False:
            unread_loss(self.policy)  # before the early hold judges the run: a game's rates are not held
        self.inventory: ParamInventory = build_inventory(model, optimizer)
        self.layer_names = self.inventory.layer_names()
        self.detectors: list[Detector] = (default_detectors(self.inventory.num_layers) if detectors is None
                                          else list(detectors))
        for i, d in enumerate(self.detectors):
            if not isinstance(d, Detector):
                raise ConfigError(f"detectors[{i}]", d, "a detector: callable(stats, layer_names) with state_dict()")
        # e.g. StallDetector infers the chance loss log(C) from the model, ExplodeDetector reads the optimizer's kind
        bind_model(self.detectors, model, loss_fn, optimizer)
        #: the weight norms and per-layer max |g| are measured every this many steps (1: the policy or a detector
        #: reads them at every step; see the ``sample_every`` argument)
        self.sample_every = 1 if full_stats_needed(self.policy, self.detectors) else sample_every

        self.model = model
        self.optimizer = optimizer
        self.scaler = scaler
        self.scheduler = scheduler
        self.loss_fn = loss_fn
        self._collector = StatsCollector(self.inventory)
        self._param_watch = ParamSetWatch(optimizer, self.inventory)
        self._record_layers: int | None = None  # the record's layer count, once layers were added after it opened
        self._actuator = Actuator(model, optimizer, scheduler, scaler, self.inventory, find_store(self.policy),
                                  max_consecutive_skips, self.policy, self.detectors)
        #: events due with the first report: a rate held before the first step (see HoldEarlySteps)
        self._pending_events: list[Event] = hold_before_first_step(self) if not self._by_hand else []
        self._actuator.note_lrs()  # a rate written before the first step is then known as the user's own
        #: the fused optimizer that applies a plain global clip inside its step (grad_scale), or None
        self._scale_target: Any = scale_target(self)
        #: the fused step gets a grad_scale on every applied step (1 when not clipping), as the deferred mode's
        twin = device_twin(self.policy) if sync == "deferred" or self._scale_target is not None else None
        self._scale_every = scales_every_step(self, twin)
        self._unit_scale: torch.Tensor | None = None  # that 1, on the optimizer's device (made once)
        self._step = 0
        self._terms_read = False  # the loss's summed terms handed to the detectors (gradguard.reduction)
        self._objective = ObjectiveWatch.of(model, optimizer)  # a loss judged elsewhere (gradguard.objective)
        if loss_is_progress is not None:
            self._objective.declare(loss_is_progress)
        self._clear_watch = ClearWatch(list(self.inventory.params))  # a forgotten zero_grad (gradguard.cleared)
        self._buffers = BufferKeeper(model)  # finite copies of BatchNorm's running stats... (gradguard.buffers)
        self._closed = False
        self._reset_hooks = ResetHooks()
        #: optional ``f(packed) -> packed`` reducing the statistics vector across ranks (see gradguard.distributed)
        self.reduce_packed: Callable[[torch.Tensor], torch.Tensor] | None = None
        self.last_stats: StepStats | None = None

        owned = {id(p) for p in self.inventory.params}
        missing = [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in owned]
        if missing:
            warnings.warn(f"gradguard: {len(missing)} trainable parameter(s) of the model are not in the optimizer "
                          f"and are not watched: {missing[:5]}{' ...' if len(missing) > 5 else ''}", stacklevel=2)

        self.rank = 0
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            from .distributed import attach

            attach(self)  # sets reduce_packed and self.rank; every rank then decides from the same numbers

        self.sync = sync
        self._deferred: DeferredSteps | None = None
        if sync == "deferred":
            why = fallback_reason(self, twin)
            if why is not None or twin is None:
                warn_fallback(why or "no device twin")
                self.sync = "blocking"
            else:
                self._deferred = DeferredSteps(twin)

        flight_dir = (Path(run_dir) / "flight" if run_dir is not None and max_flight_records > 0 and self.rank == 0
                      else None)
        self._investigator = Investigator(model, optimizer, scaler, loss_fn, flight_dir,
                                          max_flight_records=max_flight_records, diagnose_every=diagnose_every)
        self._investigator.hold = held_steps(self.policy)
        self._rng_state: dict[str, Any] | None = capture_rng_state() if loss_fn is not None else None

        self._writer: Any = None
        all_sinks = list(sinks)
        if self.rank == 0 and (run_dir is not None or tensorboard or all_sinks):
            self._writer = open_writer(self, run_dir, all_sinks, tensorboard, resume, policy)

    # ------------------------------------------------------------------------------------------- step
    @property
    def step_index(self) -> int:
        """Index the next call to :meth:`step` will get (0-based; skipped steps count)."""
        return self._step

    def step(
        self,
        loss: torch.Tensor | float | None = None,
        *,
        inputs: Any = None,
        targets: Any = None,
        closure: Callable[[nn.Module], torch.Tensor] | None = None,
        state: Any = None,
    ) -> StepReport:
        """Measure this step's gradients, decide, and apply ``optimizer.step()`` or skip it.

        Call it after ``loss.backward()`` (after the last micro-batch when accumulating gradients), where you
        would call ``optimizer.step()``. Costs one host read of a small vector (see README: host syncs). With
        ``sync="deferred"`` it reads nothing before the optimizer steps and returns the report of the previous
        step (``report.step`` says which; ``step=-1`` at the first call); call :meth:`flush` to read the last one.

        Args:
            loss: the (unscaled) loss of the step, for the record and the loss detectors. Optional.
            inputs, targets: the batch, kept only for forensics when a step goes non-finite. Optional.
            closure: ``closure(model) -> loss`` re-running the forward, for models whose forward takes more than
                one input. Optional.
            state: the state this step hands to the next batch (e.g. an RNN hidden state; tensors in any nesting).
                Read only on a non-finite step: if it holds NaN/Inf, ``report.reset_state`` is set. Optional.

        Returns:
            A :class:`StepReport` (step index, applied or skipped and why, events raised, whether to reset a
            carried state).
        """
        if self._by_hand:  # no optimizer to step: the loop updates the weights itself
            return self.observe(loss, inputs=inputs, targets=targets, closure=closure, state=state)
        begin_call(self, loss)
        try:
            if self._deferred is not None:
                if state is None:
                    return self._deferred.step(self, loss, batch=(inputs, targets, closure))
                self._deferred.read(self)  # a carried state (its reset must come at once): this step runs blocking
            stats, update, events, decision, present, reset = self._observe(loss, inputs, targets, closure, state)
            self._actuator.keep_backoff()
            applied = self._apply(decision, present, stats)
            outcome = self._actuator.act(stats, decision, applied, events)
            self._actuator.note_lrs()
            return self._finish(stats, update, events, decision, applied, closure, outcome, inputs, targets, reset)
        finally:
            self._clear_watch.after()

    def observe(
        self,
        loss: torch.Tensor | float | None = None,
        *,
        inputs: Any = None,
        targets: Any = None,
        closure: Callable[[nn.Module], torch.Tensor] | None = None,
        state: Any = None,
    ) -> StepReport:
        """Like :meth:`step`, for trainers that call ``optimizer.step()`` themselves (Lightning, Transformers).

        Measures, detects and decides, then prepares the gradients for the trainer's own step: scales them when
        the policy clips, and on a skip sets every watched ``.grad`` to None, so that the coming
        ``optimizer.step()`` leaves the weights and the optimizer state (moments, step counters) as they were
        (torch optimizers pass over parameters without a gradient). The trainer keeps stepping its scheduler and
        scaler. ``report.applied`` says whether the step will change the weights. Rollbacks and learning-rate
        changes are made here too; a snapshot taken here holds the state before the trainer's step. Every
        ``update_every`` steps the update is measured from these weights to those at the next call.

        Without an optimizer (``Guard(model, None)``) a skip zeroes the gradients instead of dropping them: update
        the weights only ``if report.applied`` (see :mod:`gradguard.handwritten`).

        With ``sync="deferred"`` nothing is read before the trainer's step: the gradients are scaled on the device,
        a skip is left on the optimizer as ``found_inf`` for its fused step (taken off by a step post-hook), and
        the report returned is the previous call's (as :meth:`step`'s).
        """
        begin_call(self, loss)
        try:
            return self._observe_step(loss, inputs, targets, closure, state)
        finally:
            self._clear_watch.after()

    def _observe_step(self, loss: torch.Tensor | float | None, inputs: Any, targets: Any,
                      closure: Callable[[nn.Module], torch.Tensor] | None, state: Any) -> StepReport:
        """:meth:`observe`'s step (the gradients' clearing watched around it)."""
        if self._deferred is not None and self._deferred.keeps_observe(self):  # a GradScaler included (session 11)
            if state is None:
                return self._deferred.step(self, loss, trainer_steps=True, batch=(inputs, targets, closure))
            self._deferred.read(self)  # a carried state (its reset must come at once): this step runs blocking
        self._collector.end_update()  # the update made since the last call, when one is being measured
        self._actuator.keep_backoff()  # the trainer's scheduler rewrote the rate since the last call
        stats, update, events, decision, present, reset = self._observe(loss, inputs, targets, closure, state)
        applied = not (decision.skip or decision.halt)
        if applied:
            self._actuator.clip(decision, present)
        else:
            clear_skipped_grads(self.inventory.params, present, self._by_hand)
        outcome = self._actuator.act(stats, decision, applied, events, before_step=True)
        self._actuator.note_lrs()
        if applied and outcome.rollback is None and self.update_every > 0 and stats.step % self.update_every == 0:
            self._collector.begin_update(stats)
        return self._finish(stats, update, events, decision, applied, closure, outcome, inputs, targets, reset)

    # the step path lives in gradguard._guard_step; these methods are the seams deferred mode and profilers use
    def _observe(self, loss: torch.Tensor | float | None, inputs: Any, targets: Any,
                 closure: Callable[[nn.Module], torch.Tensor] | None, state: Any
                 ) -> tuple[StepStats, UpdateStats | None, list[Event], Decision, tuple[int, ...], str | None]:
        """Statistics -> detectors -> (alarm path) -> policy. Touches nothing but the scaler's unscale."""
        return measure_and_decide(self, loss, inputs, targets, closure, state)

    def _finish(self, stats: StepStats, update: UpdateStats | None, events: list[Event], decision: Decision,
                applied: bool, closure: Any, outcome: Outcome, inputs: Any, targets: Any,
                reset: str | None, advance: bool = True) -> StepReport:
        return finish(self, stats, update, events, decision, applied, closure, outcome, inputs, targets, reset,
                      advance)

    def _apply(self, decision: Decision, present: tuple[int, ...], stats: StepStats) -> bool:
        """The only code that changes gradients, the optimizer, the scheduler or the scaler."""
        return apply_decision(self, decision, present, stats)

    # ------------------------------------------------------------------------------------------- lifecycle
    def flush(self) -> StepReport | None:
        """Block until every step so far is committed to the record. In the deferred mode the pending step is read
        first: its report is returned (None when no step was pending, and always in the blocking mode)."""
        report = self._deferred.read(self) if self._deferred is not None else None
        if self._writer is not None:
            self._writer.flush()
        return report

    def close(self) -> None:
        """Write what is pending and close the record. Idempotent."""
        if self._closed:
            return
        if self._deferred is not None:
            self._deferred.read(self)
        self._closed = True
        self._clear_watch.stop()  # its hooks off the user's parameter
        self._objective.close()  # its forward counter off the user's model
        if self._writer is not None:
            update = self._collector.drain_update()
            if update is not None:
                self._writer.add_update(update)
            self._writer.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def state_dict(self) -> dict[str, Any]:
        """The guard's state for checkpoints: step counter, policy, detectors and mitigation, including the
        snapshots a rollback may restore (as CPU tensors, or by file name with a snapshot ``directory``; see
        :mod:`gradguard._resume`). Save it with the model, optimizer, scheduler and RNG: a run resumed from it
        takes the same decisions step for step."""
        return guard_state(self)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, so a resumed run carries on exactly (an older gradguard's
        state loads with a warning where it lacks the snapshots)."""
        load_guard_state(self, state)
