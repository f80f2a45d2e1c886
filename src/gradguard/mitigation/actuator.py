"""How the guard carries out a decision: fused clipping, learning-rate changes, snapshots, rollback, the skip bound,
and a per-layer update cap (a policy member such as :class:`~gradguard.precursors.UpdateCap`: its scales are asked
for after the clip and applied to the weights right after ``optimizer.step()``).

:class:`Actuator` holds the guard's side of mitigation (the snapshot store, the consecutive-skip count, the
learning-rate scale) so that the guard itself stays a thin sequence of observe -> decide -> apply -> record.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch
from torch import nn

from ..decision import Decision, StepReport
from ..errors import ConfigError, TrainingHalted
from ..events import Event
from ..inventory import ParamInventory
from ..stats import StepStats, clamp_grads_, mul_grads_
from .backoff import TROUBLE_KINDS, scale_lr
from .rollback import SnapshotStore, capture_guard_state, find_rollback, members, restore_guard_state

__all__ = ["Actuator", "Outcome", "RollbackInfo", "find_update_cap", "halt", "validate"]

#: A step whose gradients were scaled below this fraction of their norm raises a "clip" event (rarer clips are
#: only in the step row: ``clip_coef`` and ``grad_norm_after``).
HEAVY_CLIP = 0.1


@dataclass(frozen=True)
class RollbackInfo:
    """A rollback the guard made: at ``step`` it restored the state after ``to_step``."""

    step: int
    to_step: int
    skip_batches: tuple[int, ...]


@dataclass
class Outcome:
    """What the guard did beyond the plain step: its own events, a rollback, a halt message."""

    events: list[Event] = dataclasses.field(default_factory=list)
    rollback: RollbackInfo | None = None
    halt: str | None = None


class Actuator:
    """Carries out decisions on gradients, learning rates and snapshots (the guard calls it from ``_apply``)."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, scaler: Any,
                 inventory: ParamInventory, store: SnapshotStore | None, max_consecutive_skips: int,
                 policy: Any = None, detectors: Sequence[Any] = ()) -> None:
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.scaler = scaler
        self.inventory = inventory
        self.params = inventory.params
        self.layer_of = inventory.layer_of
        self.store = store
        self.max_consecutive_skips = max_consecutive_skips
        self.consecutive_skips = 0
        self.lr_scale = 1.0
        self._lrs_seen: list[Any] | None = None
        self.last_rollback: RollbackInfo | None = None
        self.policy = policy
        self.detectors = list(detectors)
        self.rollback_policy = find_rollback(policy)
        self.update_cap = find_update_cap(policy)
        if self.update_cap is not None:
            self.update_cap.bind(model, optimizer)
        self._cap_hook: Any = None
        self._cap_applied: dict[str, float] = {}  # the layers whose step the armed cap scales: {name: scale}
        if store is not None and store.keeps_initial:
            store.take_initial(model, optimizer, scheduler, scaler, self._guard_state())

    def _guard_state(self) -> dict[str, Any] | None:
        return None if self.policy is None else capture_guard_state(self.policy, self.detectors)

    # ------------------------------------------------------------------------------------------- decisions
    def bound_skips(self, stats: StepStats, decision: Decision, carried: bool = False) -> Decision:
        """After ``max_consecutive_skips`` skipped steps in a row, turn the skip into a rollback or a halt.

        ``carried``: the step is non-finite because of a state the loop carries (no snapshot can fix that): halt.
        """
        if not decision.skip or decision.rollback or decision.halt or decision.reason == "amp_overflow":
            if not decision.skip:
                self.consecutive_skips = 0
            return decision
        self.consecutive_skips += 1
        if self.consecutive_skips < self.max_consecutive_skips:
            return decision
        evidence = {**decision.evidence, "skipped_reason": decision.reason,
                    "consecutive_skips": self.consecutive_skips,
                    "troubled_steps": list(range(stats.step - self.consecutive_skips + 1, stats.step + 1)),
                    "trouble_since": stats.step - self.consecutive_skips + 1}
        self.consecutive_skips = 0
        if self.store is not None and not carried and self.store.pick() is not None:
            return dataclasses.replace(decision, rollback=True, reason="rollback_skips", evidence=evidence)
        return dataclasses.replace(decision, halt=True, reason="halt_skips", evidence=evidence)

    # ------------------------------------------------------------------------------------------- gradients
    def clip(self, decision: Decision, present: tuple[int, ...]) -> None:
        """Scale (globally and per layer) and clamp the present gradients: at most one fused op of each kind; then
        arm the policy's update cap, if it holds one, for the coming ``optimizer.step()``."""
        if present and decision.clips:
            self._clip(decision, present)
        self._arm_cap(decision, present)

    def _clip(self, decision: Decision, present: tuple[int, ...]) -> None:
        grads = [self.params[k].grad for k in present]
        coefs = decision.layer_clip_coefs
        if coefs is not None:
            c = decision.clip_coef
            mul_grads_(grads, [c * coefs[self.layer_of[k]] for k in present])  # type: ignore[arg-type]
        elif decision.clip_coef < 1.0:
            mul_grads_(grads, decision.clip_coef)  # type: ignore[arg-type]
        if decision.clip_value is not None:
            clamp_grads_(grads, decision.clip_value)  # type: ignore[arg-type]

    def _arm_cap(self, decision: Decision, present: tuple[int, ...]) -> None:
        """Tell the cap how the gradients were clipped (``note_clip``, where it has one: its gate follows the
        clipped norms on the host), ask it for its layer scales (measured on the clipped gradients) and, where any
        layer is capped, copy those layers' weights and register a one-shot step post-hook that moves them to
        ``old + s (new - old)``."""
        self._disarm_cap()
        cap = self.update_cap
        if cap is None or not present:
            return
        note = getattr(cap, "note_clip", None)
        if callable(note):
            note(decision)
        scales = cap.layer_scales()
        if not scales:
            return
        index = {name: i for i, name in enumerate(self.inventory.layer_names())}
        by_layer = {index[n]: s for n, s in scales.items() if n in index and s < 1.0}
        ks = [k for k in present if self.layer_of[k] in by_layer]
        if not ks:
            return
        params = [self.params[k].detach() for k in ks]
        weights = [by_layer[self.layer_of[k]] for k in ks]
        with torch.no_grad():
            before = [p.clone() for p in params]

        def scale_step(_opt: Any, _args: Any, _kwargs: Any) -> None:
            self._disarm_cap(keep_record=True)
            with torch.no_grad():
                torch._foreach_lerp_(before, params, weights)  # old + s (new - old)
                torch._foreach_copy_(params, before)

        self._cap_hook = self.optimizer.register_step_post_hook(scale_step)
        names = self.inventory.layer_names()
        self._cap_applied = {names[i]: s for i, s in by_layer.items()}

    def _disarm_cap(self, keep_record: bool = False) -> None:
        """Remove a cap hook the optimizer never ran (a step the loop or the scaler did not take)."""
        if self._cap_hook is not None:
            self._cap_hook.remove()
            self._cap_hook = None
        if not keep_record:
            self._cap_applied = {}

    @staticmethod
    def effective_coef(decision: Decision, stats: StepStats) -> float:
        """Post-clip / pre-clip global norm, from the per-layer norms on the host (before any clamp)."""
        if decision.layer_clip_coefs is None:
            return decision.clip_coef
        norms = np.nan_to_num(stats.layer_grad_norm, nan=0.0)
        pre = float(np.sqrt((norms ** 2).sum()))
        if not math.isfinite(pre) or pre == 0.0:
            return decision.clip_coef
        post = decision.clip_coef * float(np.sqrt(((np.asarray(decision.layer_clip_coefs) * norms) ** 2).sum()))
        return min(1.0, post / pre)

    # ------------------------------------------------------------------------------------------- actions
    def act(self, stats: StepStats, decision: Decision, applied: bool, events: list[Event],
            before_step: bool = False) -> Outcome:
        """After the step was applied or skipped: rollback, learning-rate change, snapshot, action events.

        ``before_step``: the optimizer has not stepped yet (``Guard.observe``), so a snapshot holds the state
        after the previous step.
        """
        out = Outcome()
        step = stats.step
        if decision.halt:
            out.halt = (f"gradguard stopped training at step {step}: {decision.reason} "
                        f"({_brief(decision.evidence)}).")
            out.events.append(Event(step, "skip", "critical", out.halt, evidence=dict(decision.evidence)))
            return out
        if decision.rollback and decision.evidence.get("rollback_to") == "start" and (
                self.store is None or self.store.initial is None):  # nothing to restart from: the rate change only
            decision = dataclasses.replace(decision, rollback=False)
        if decision.rollback:
            out.rollback = self._rollback(step, decision, out)
            if out.rollback is None:
                return out
        elif decision.skip and decision.reason != "amp_overflow":
            out.events.append(Event(step, "skip", "warning", f"step {step} not applied: {decision.reason}",
                                    evidence={"reason": decision.reason, **decision.evidence}))
        if decision.lr_factor != 1.0:
            self._change_lr(step, decision, out)
        coef = self.effective_coef(decision, stats)
        if applied and coef < HEAVY_CLIP:
            out.events.append(Event(step, "clip", "info",
                                    f"gradients scaled by {coef:.3g} ({decision.reason})",
                                    evidence={"clip_coef": coef, "grad_norm": stats.grad_norm,
                                              "grad_norm_after": stats.grad_norm * coef, **decision.evidence}))
        capped, self._cap_applied = self._cap_applied, {}
        if not applied:
            self._disarm_cap()
        elif capped:
            out.events.append(Event(step, "clip", "info",
                                    f"Adam step of {len(capped)} layer(s) capped at 1/RMS(g^2/v) "
                                    f"(smallest scale {min(capped.values()):.3g})",
                                    layers=tuple(capped),
                                    evidence={"reason": "update_cap", "update_scale": {
                                        n: round(s, 4) for n, s in capped.items()}}))
        healthy = (applied and coef >= HEAVY_CLIP and stats.grads_finite and stats.loss_finite
                   and not any(e.kind in TROUBLE_KINDS for e in events))
        if not applied and self.rollback_policy is not None:
            self.rollback_policy.skipped(step)
        if self.store is not None and out.rollback is None:
            trouble = not stats.weights_finite or any(e.kind == "divergence" for e in events)
            self.store.observe(step, stats.loss, healthy, trouble)
            if healthy and self.store.due(step):
                self.store.take(step - 1 if before_step else step, self.model, self.optimizer, self.scheduler,
                                self.scaler, self.lr_scale, self._guard_state())
        return out

    def _rollback(self, step: int, decision: Decision, out: Outcome) -> RollbackInfo | None:
        snap = None
        if self.store is not None:
            since = decision.evidence.get("trouble_since")
            to_start = decision.evidence.get("rollback_to") == "start" and self.store.initial is not None
            snap = self.store.initial if to_start else self.store.pick(since if isinstance(since, int) else None)
        if snap is None:
            why = "no rollback is configured" if self.store is None else "no snapshot with retries is left"
            out.halt = (f"gradguard stopped training at step {step}: {decision.reason}, and {why} "
                        f"({_brief(decision.evidence)}).")
            out.events.append(Event(step, "skip", "critical", out.halt, evidence=dict(decision.evidence)))
            return None
        assert self.store is not None
        self.store.restore(snap, step, self.model, self.optimizer, self.scheduler, self.scaler)
        if self.policy is not None:
            restore_guard_state(self.policy, self.detectors, snap.guard_state)
        if snap.lr_scale != self.lr_scale:  # keep back-offs made after the snapshot
            scale_lr(self.optimizer, self.scheduler, self.lr_scale / snap.lr_scale)
        since = range(snap.step + 1, step + 1)
        if decision.evidence.get("skip_all", False):
            skip = tuple(since)
        else:
            troubled = {int(s) for s in decision.evidence.get("troubled_steps", ())} | {step}
            skip = tuple(s for s in since if s in troubled)
        info = RollbackInfo(step=step, to_step=snap.step, skip_batches=skip)
        self.last_rollback = info
        out.events.append(Event(step, "rollback", "critical",
                                f"restored the state after step {snap.step} ({decision.reason}); "
                                f"{len(skip)} batch(es) marked to skip",
                                evidence={"reason": decision.reason, "to_step": snap.step, "skip_batches": list(skip),
                                          "restores_of_snapshot": snap.restores, **decision.evidence}))
        return info

    def note_lrs(self) -> None:
        """Remember the rates as the guard leaves them after a step (scheduler and back-offs included); without a
        back-off there is nothing to keep, and no list is built."""
        self._lrs_seen = None if self.lr_scale == 1.0 else [g.get("lr") for g in self.optimizer.param_groups]

    def keep_backoff(self) -> None:
        """Re-apply the back-off to rates written since the last step by something the guard does not step (a
        schedule set by hand each iteration, a trainer's scheduler) that would otherwise undo it silently.

        A written rate ``w`` is either computed afresh from the user's own rates (``LambdaLR``, a warm-up written by
        hand, the Transformers Trainer's schedules: ``w`` near ``seen / lr_scale``, the rate the user would have)
        or derived from the rate the guard left (``ExponentialLR``, ``StepLR``, ``CosineAnnealingLR``, whose step
        multiplies the current rate; ``OneCycleLR``, whose ``max_lr`` the guard scaled: ``w`` near ``seen``). Only
        the first kind is multiplied by ``lr_scale``; multiplying the second would compound the factor every step
        (an ``ExponentialLR`` under a held rate fell to 1e-48 of its schedule in 24 steps). ``w`` is taken as derived
        only when it is nearer ``seen`` than ``seen / lr_scale`` in log-ratio by more than half the back-off's own
        log (a schedule moves the rate by far less than the back-off between two steps; a tie, such as a warm-up
        written by hand from a tenth of the rate the guard held, is taken as fresh). A rate left at 0 can only have
        been written afresh. A few float operations per group and step; nothing without a back-off."""
        seen = self._lrs_seen
        if self.lr_scale == 1.0 or seen is None:
            return
        scale = self.lr_scale
        for i, group in enumerate(self.optimizer.param_groups):
            lr = group.get("lr")
            if i >= len(seen) or not isinstance(lr, (int, float)) or isinstance(lr, bool) or lr == seen[i]:
                continue
            prev = seen[i]
            if isinstance(prev, (int, float)) and prev > 0 and lr > 0 and math.isfinite(lr):
                derived = abs(math.log(lr / prev))  # the guard's rate moved by the schedule
                fresh = abs(math.log(lr * scale / prev))  # the user's rate (prev / scale) moved by the schedule
                if derived < fresh - 0.5 * abs(math.log(scale)):
                    continue
            group["lr"] = lr * scale

    def _change_lr(self, step: int, decision: Decision, out: Outcome) -> None:
        before = [_lr(g) for g in self.optimizer.param_groups]
        scale_lr(self.optimizer, self.scheduler, decision.lr_factor)
        self.lr_scale *= decision.lr_factor
        if math.isclose(self.lr_scale, 1.0, rel_tol=1e-9):
            self.lr_scale = 1.0
        if decision.lr_factor < 1.0 or self.lr_scale == 1.0:
            after = [_lr(g) for g in self.optimizer.param_groups]
            what = "lowered" if decision.lr_factor < 1.0 else "restored"
            out.events.append(Event(step, "lr_change", "warning" if decision.lr_factor < 1.0 else "info",
                                    f"learning rate {what}: x{decision.lr_factor:.3g} (overall x{self.lr_scale:.3g})"
                                    + (f": {says}" if isinstance(says := decision.evidence.get("says"), str) else ""),
                                    evidence={"factor": decision.lr_factor, "lr_scale": self.lr_scale,
                                              "lrs_before": before, "lrs_after": after,
                                              "reason": decision.evidence.get("lr_reason", decision.reason)}))

    def state_dict(self) -> dict[str, Any]:
        """The skip count, the learning-rate back-off, the last rollback and the snapshot store's whole state
        (schedule, confirmation, snapshots: see :meth:`SnapshotStore.state_dict`)."""
        last = self.last_rollback
        state: dict[str, Any] = {
            "consecutive_skips": self.consecutive_skips, "lr_scale": self.lr_scale,
            "lrs_seen": None if self._lrs_seen is None else [_plain(lr) for lr in self._lrs_seen],
            "last_rollback": None if last is None else [last.step, last.to_step, list(last.skip_batches)]}
        if self.store is not None:
            state["snapshots"] = self.store.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.consecutive_skips = int(state.get("consecutive_skips", 0))
        self.lr_scale = float(state.get("lr_scale", 1.0))
        seen = state.get("lrs_seen")
        self._lrs_seen = None if seen is None else list(seen)
        last = state.get("last_rollback")
        self.last_rollback = None if last is None else RollbackInfo(int(last[0]), int(last[1]),
                                                                      tuple(int(s) for s in last[2]))
        if self.store is not None and "snapshots" in state:
            self.store.load_state_dict(state["snapshots"])
        elif self.store is not None:
            warnings.warn("gradguard: the checkpoint holds no snapshot state (written by a guard without a rollback "
                          "policy, or by an older gradguard): the resumed run can roll back only to snapshots taken "
                          "from now on, or to the state this guard started from.", stacklevel=3)


def find_update_cap(policy: Any) -> Any:
    """The first member of ``policy`` that caps per-layer updates (``bind`` and ``layer_scales`` methods, as
    :class:`~gradguard.precursors.UpdateCap`), or None."""
    return next((m for m in members(policy) if callable(getattr(m, "layer_scales", None))
                 and callable(getattr(m, "bind", None))), None) if policy is not None else None


def _plain(lr: Any) -> Any:
    """A learning rate as saved: a float (a tensor rate becomes its value)."""
    return float(lr.item()) if isinstance(lr, torch.Tensor) else lr


def _lr(group: dict[str, Any]) -> float:
    lr = group.get("lr", float("nan"))
    return float(lr.item()) if isinstance(lr, torch.Tensor) else float(lr)


def _brief(evidence: Any) -> str:
    items = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in dict(evidence).items()
             if not isinstance(v, (list, tuple, dict))]
    return ", ".join(items[:6]) or "no evidence"


def validate(decision: Decision, policy: Any) -> None:
    """Refuse a decision the guard cannot carry out (before anything is touched)."""
    for c in (decision.clip_coef, *(decision.layer_clip_coefs or ())):
        if not (0.0 < c <= 1.0) or math.isnan(c):
            raise ConfigError("Decision.clip_coef", c, "a number in (0, 1]",
                              f"The policy {policy!r} returned it; the step was not applied.")
    if decision.clip_value is not None and not decision.clip_value > 0:
        raise ConfigError("Decision.clip_value", decision.clip_value, "a number > 0 or None",
                          f"The policy {policy!r} returned it; the step was not applied.")
    if not (decision.lr_factor > 0 and math.isfinite(decision.lr_factor)):
        raise ConfigError("Decision.lr_factor", decision.lr_factor, "a finite number > 0",
                          f"The policy {policy!r} returned it; the step was not applied.")


def halt(message: str, guard: Any, report: StepReport, inputs: Any, targets: Any, closure: Any) -> NoReturn:
    """Write a flight record (when the guard has a run_dir) and raise :class:`~gradguard.TrainingHalted`."""
    flight_dir: Path | None = guard._investigator.flight_dir
    where = ""
    if flight_dir is not None:
        from ..flight import save_flight_record

        try:
            path = save_flight_record(flight_dir / f"halt-step{report.step:09d}.flight", model=guard.model,
                                      optimizer=guard.optimizer, step=report.step, inputs=inputs, targets=targets,
                                      loss_fn=guard.loss_fn, closure=closure, scaler=guard.scaler,
                                      extra={"events": [e.to_dict() for e in report.events]})
            where = f" Flight record: {path}."
        except Exception as exc:  # the halt matters more than its record
            where = f" The flight record could not be written: {exc}."
    if report.reset_state:  # the data and the rate are not to blame: the loop keeps feeding a poisoned state
        advice = (f" {report.reset_reason}. Reset the carried state when a step reports it: "
                  "`if report.reset_state: hidden = model.init_hidden(batch_size)` or Guard.on_reset(hook).")
    else:
        advice = (" Lower the learning rate, check the data around this step, or raise max_consecutive_skips if the "
                  "skips are expected.")
    raise TrainingHalted(message + where + advice)
