"""Rollback: restore the last good snapshot when training goes wrong, with a bounded learning-rate back-off."""

from __future__ import annotations

import copy
import math
import os
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from ..decision import Decision
from ..events import Event
from ..stats import StepStats
from ._checks import at_least, fraction
from .snapshots import Snapshot, SnapshotStore, load_snapshot

__all__ = ["RollbackOnTrouble", "Snapshot", "SnapshotStore", "capture_guard_state", "find_rollback", "find_store",
           "load_snapshot", "restore_guard_state"]

_TROUBLE = frozenset({"loss_spike", "explode", "divergence"})


def members(policy: Any) -> Iterator[Any]:
    """``policy`` and every policy inside it (chains are walked depth first)."""
    yield policy
    for member in getattr(policy, "policies", ()):
        yield from members(member)


def find_rollback(policy: Any) -> RollbackOnTrouble | None:
    """The first :class:`RollbackOnTrouble` inside ``policy``, or None."""
    return next((m for m in members(policy) if isinstance(m, RollbackOnTrouble)), None)


def capture_guard_state(policy: Any, detectors: Sequence[Any]) -> dict[str, Any]:
    """The policies' and detectors' states, to be restored with a snapshot (deep copies)."""
    return copy.deepcopy({"policy": policy.state_dict(), "detectors": [d.state_dict() for d in detectors]})


def restore_guard_state(policy: Any, detectors: Sequence[Any], state: dict[str, Any] | None) -> None:
    """Put the policies and detectors back to a snapshot's state, so that the clipper's history, the outlier
    statistics and the loss histories match the restored weights. Policies that steer the recovery itself
    (``survives_rollback = True``: the rollback policy, learning-rate back-offs) keep their current state."""
    if state is None:
        return
    kept = [(m, copy.deepcopy(m.state_dict())) for m in members(policy) if getattr(m, "survives_rollback", False)]
    policy.load_state_dict(copy.deepcopy(state["policy"]))
    for member, member_state in kept:
        member.load_state_dict(member_state)
    for detector, detector_state in zip(detectors, state["detectors"], strict=True):
        detector.load_state_dict(copy.deepcopy(detector_state))


def find_store(policy: Any) -> SnapshotStore | None:
    """The snapshot store of the first rollback policy inside ``policy`` (chains are searched), or None."""
    store = getattr(policy, "store", None)
    if isinstance(store, SnapshotStore):
        return store
    for member in getattr(policy, "policies", ()):
        found = find_store(member)
        if found is not None:
            return found
    return None


class RollbackOnTrouble:
    r"""Decide to restore a good snapshot when training has gone wrong; the guard keeps the snapshots.

    Triggers: a ``divergence`` event (one raised on a single step's loss counts as a loss spike: it may be one
    outlier batch); a ``loss_spike`` event on ``spike_patience`` consecutive steps (a spike that
    persists, not one outlier batch and not a spike that resolves by itself); a non-finite loss or gradient on
    ``nonfinite_patience`` consecutive steps; a collapse: a ``vanish`` event (layers stopped learning) within
    ``collapse_window`` steps after an *applied* step with a loss spike, explosion or divergence (the signature of
    ReLU units killed by a too-large step; a step the guard skipped changed nothing and does not count, and
    vanishing gradients with no trouble before them are left to diagnosis). After a rollback no trigger fires for
    ``cooldown`` steps.

    Where to: the newest confirmed snapshot taken before the trouble began (``evidence["trouble_since"]``: the
    first step of the spike or non-finite streak, of the rise for a divergence), so that no more is undone than
    the evidence requires; see :class:`SnapshotStore` for the schedule (first snapshot after ``warmup`` healthy
    steps, intervals doubling from ``start`` to ``every``) and the confirmation that keeps broken states out.
    A snapshot is restored at most ``max_retries`` times, then an older one, then the state the run started
    from; when none is left the guard stops with :class:`~gradguard.TrainingHalted`. The policies' and
    detectors' states are restored with the snapshot.

    Learning rate: a rollback for a divergence or a collapse, or any rollback within ``every`` steps of the
    previous one, multiplies the rate by ``lr_factor``, never below ``min_lr_scale`` of the original; a first
    rollback for a spike or non-finite steps leaves it (the batches that led there are skipped on replay). After
    ``restore_after`` consecutive healthy steps each healthy step multiplies it back by
    :math:`f^{-1/n}` (:math:`n` = ``restore_steps``) until it is the original again.

    The decision names the steps that led there (``troubled_steps``; all steps since the snapshot on divergence),
    which the guard reports as ``StepReport.skip_batches``.

    Args:
        every, keep, directory, max_retries: the :class:`SnapshotStore` settings (defaults 100, 2, None, 3).
        warmup, start, confirm: the schedule (defaults 5 healthy steps, 10 steps, 5 steps).
        lr_factor: learning-rate back-off per rollback, in (0, 1), or None (default 0.5).
        min_lr_scale: the lowest overall scale of this back-off, in (0, 1) (default 0.125).
        restore_steps: healthy steps to undo one ``lr_factor`` (default 100; None: never restore).
        restore_after: consecutive healthy steps before restoring starts (default 20).
        spike_patience: consecutive spiking steps that trigger (default 3).
        nonfinite_patience: consecutive non-finite steps that trigger (default 3).
        cooldown: steps after a rollback before the next may trigger (default 10).
        collapse_window: steps after trouble in which a ``vanish`` event counts as a collapse (default 100;
            0 turns the trigger off).
    """

    survives_rollback = True

    def __init__(self, every: int = 100, keep: int = 2, directory: str | os.PathLike[str] | None = None,
                 max_retries: int = 3, lr_factor: float | None = 0.5, spike_patience: int = 3,
                 nonfinite_patience: int = 3, cooldown: int = 10, collapse_window: int = 100, *, warmup: int = 5,
                 start: int = 10, confirm: int = 5, min_lr_scale: float = 0.125, restore_steps: int | None = 100,
                 restore_after: int = 20) -> None:
        self.store = SnapshotStore(every=every, keep=keep, directory=directory, max_retries=max_retries,
                                   warmup=warmup, start=start, confirm=confirm, initial=True)
        self.lr_factor = None if lr_factor is None else fraction("lr_factor", lr_factor)
        self.min_lr_scale = fraction("min_lr_scale", min_lr_scale)
        self.restore_steps = None if restore_steps is None else at_least("restore_steps", restore_steps, 1)
        self.restore_after = at_least("restore_after", restore_after, 0)
        self.spike_patience = at_least("spike_patience", spike_patience, 1)
        self.nonfinite_patience = at_least("nonfinite_patience", nonfinite_patience, 1)
        self.cooldown = at_least("cooldown", cooldown, 0)
        self.collapse_window = at_least("collapse_window", collapse_window, 0)
        self.spikes = 0
        self.nonfinite = 0
        self.quiet_until = -1
        self.troubled: deque[int] = deque(maxlen=256)
        self.scale = 1.0  # this policy's learning-rate back-off
        self.healthy = 0  # consecutive healthy steps
        self.last_rollback: int | None = None

    def skipped(self, step: int) -> None:
        """The guard did not apply step ``step``: its trouble changed nothing and cannot explain a collapse."""
        while self.troubled and self.troubled[-1] == step:
            self.troubled.pop()

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        kinds = {e.kind for e in events}
        if "divergence" in kinds and all(_one_step(e) for e in events if e.kind == "divergence"):
            kinds = (kinds - {"divergence"}) | {"loss_spike"}  # one high loss is a spike until it persists
        # a poisoned carried state (see gradguard.carried) is the loop's to reset: no snapshot would fix it
        finite = (stats.grads_finite and stats.loss_finite) or any(e.evidence.get("carried_state") for e in events
                                                                  if e.kind == "nonfinite")
        self.spikes = self.spikes + 1 if "loss_spike" in kinds else 0
        self.nonfinite = 0 if finite else self.nonfinite + 1
        last_trouble = self.troubled[-1] if self.troubled else None
        collapse = ("vanish" in kinds and last_trouble is not None
                    and stats.step - last_trouble <= self.collapse_window)
        troubled = not finite or bool(kinds & _TROUBLE)
        if troubled:
            self.troubled.append(stats.step)
        self.healthy = 0 if troubled else self.healthy + 1
        trigger = ("divergence" if "divergence" in kinds else "loss_spike" if self.spikes >= self.spike_patience
                   else "nonfinite" if self.nonfinite >= self.nonfinite_patience else "collapse" if collapse
                   else None)
        if trigger is None or stats.step < self.quiet_until:
            return self._restore_lr(stats) if trigger is None else Decision()
        since = {"loss_spike": stats.step - self.spikes + 1, "nonfinite": stats.step - self.nonfinite + 1,
                 "collapse": last_trouble if last_trouble is not None else stats.step,
                 "divergence": stats.step - _rising(events)}[trigger]
        repeat = self.last_rollback is not None and stats.step - self.last_rollback <= self.store.every
        self.spikes = self.nonfinite = 0
        self.quiet_until = stats.step + self.cooldown
        self.last_rollback = stats.step
        factor = 1.0
        if self.lr_factor is not None and (repeat or trigger in ("divergence", "collapse")):
            factor = max(self.lr_factor, self.min_lr_scale / self.scale)
            factor = 1.0 if factor >= 1.0 - 1e-9 else factor
            self.scale *= factor
        evidence = {"trigger": trigger, "trouble_since": since, "spike_patience": self.spike_patience,
                    "nonfinite_patience": self.nonfinite_patience, "lr_factor": factor, "lr_scale": self.scale,
                    "min_lr_scale": self.min_lr_scale, "repeat": repeat,
                    "skip_all": trigger in ("divergence", "collapse"), "troubled_steps": list(self.troubled)}
        return Decision(skip=True, rollback=True, reason=f"rollback_{trigger}", evidence=evidence, lr_factor=factor)

    def _restore_lr(self, stats: StepStats) -> Decision:
        """One step of bringing the rate back after a healthy stretch."""
        if self.restore_steps is None or self.scale >= 1.0 or self.healthy < self.restore_after:
            return Decision()
        up = min((self.lr_factor or 0.5) ** (-1.0 / self.restore_steps), 1.0 / self.scale)
        self.scale = 1.0 if math.isclose(self.scale * up, 1.0, rel_tol=1e-9) else self.scale * up
        return Decision(lr_factor=up, evidence={"lr_scale": self.scale, "restoring": True,
                                                "healthy_steps": self.healthy})

    def state_dict(self) -> dict[str, Any]:
        return {"spikes": self.spikes, "nonfinite": self.nonfinite, "quiet_until": self.quiet_until,
                "troubled": list(self.troubled), "scale": self.scale, "healthy": self.healthy,
                "last_rollback": self.last_rollback}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.spikes, self.nonfinite = int(state["spikes"]), int(state["nonfinite"])
        self.quiet_until = int(state["quiet_until"])
        self.troubled = deque((int(s) for s in state["troubled"]), maxlen=256)
        self.scale, self.healthy = float(state.get("scale", 1.0)), int(state.get("healthy", 0))
        last = state.get("last_rollback")
        self.last_rollback = None if last is None else int(last)

    def __repr__(self) -> str:
        s = self.store
        return (f"rollback_on_trouble(every={s.every}, keep={s.keep}, directory={s.directory}, "
                f"max_retries={s.max_retries}, lr_factor={self.lr_factor}, min_lr_scale={self.min_lr_scale})")


def _rising(events: Sequence[Event]) -> int:
    """Steps the loss has been rising for, from a divergence event's evidence (0 when it does not say)."""
    for e in events:
        if e.kind == "divergence":
            value = e.evidence.get("rising_steps", e.evidence.get("steps_above", 0))
            return int(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0
    return 0


def _one_step(event: Event) -> bool:
    """A divergence event raised on the strength of one step's loss (the early rule's single loud step): that is
    the loss of one batch, which may be an outlier the guard skips, not yet a run that diverges."""
    rules = event.evidence.get("rules")
    steps = event.evidence.get("steps_above")
    return rules == ["early"] and isinstance(steps, (int, float)) and steps < 2
