"""Rollback: keep the last good states as CPU snapshots and restore one when training goes wrong."""

from __future__ import annotations

import contextlib
import copy
import os
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._atomic import atomic_torch_save
from ..decision import Decision
from ..events import Event
from ..rng import capture_rng_state, restore_rng_state
from ..stats import StepStats
from ._checks import at_least, fraction, writable_dir

__all__ = ["RollbackOnTrouble", "Snapshot", "SnapshotStore", "find_store", "load_snapshot"]


def _cpu_copy(obj: Any) -> Any:
    """A deep copy with every tensor cloned to the CPU (dicts, lists and tuples rebuilt, other leaves deep-copied)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _cpu_copy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [_cpu_copy(v) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    return copy.deepcopy(obj)


def _nbytes(obj: Any) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(_nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(v) for v in obj)
    return 0


@dataclass
class Snapshot:
    """The state of a run right after step ``step`` was applied (all tensors on the CPU).

    Attributes:
        step: the last step whose update the snapshot contains (-1: before the first step).
        model, optimizer, scheduler, scaler: their ``state_dict()`` copies (None where there is none).
        rng: :func:`~gradguard.forensics.capture_rng_state` at the snapshot.
        lr_scale: the guard's learning-rate back-off scale at the snapshot.
        restores: how often it has been restored.
        path: its file when written to disk, else None.
    """

    step: int
    model: dict[str, Any]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    scaler: dict[str, Any] | None
    rng: dict[str, Any]
    lr_scale: float = 1.0
    restores: int = 0
    path: Path | None = None

    @property
    def nbytes(self) -> int:
        """Bytes of tensor data held (model + optimizer state + scaler)."""
        return _nbytes(self.model) + _nbytes(self.optimizer) + _nbytes(self.scaler)


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Read a snapshot written by a :class:`SnapshotStore` with a ``directory``."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    return Snapshot(**{**payload, "path": Path(path)})


class SnapshotStore:
    r"""The last ``keep`` good states of a run, as CPU copies, optionally also on disk.

    Memory: each kept snapshot is one CPU copy of the model's ``state_dict`` and of the optimizer state (for Adam,
    three times the parameters), plus the scheduler, scaler and RNG states (small). Taking one costs a copy of
    all of that (device-to-host on a GPU); restoring one costs the copy back.

    Args:
        every: take a snapshot after a healthy step at least this many steps after the last snapshot or restore
            (default 100).
        keep: snapshots kept (default 2: when the newest keeps failing, the one before it is tried).
        directory: also write each snapshot there atomically (temporary file, then ``os.replace``); None: memory
            only.
        max_retries: restores of one snapshot before it is given up (default 3).
    """

    def __init__(self, every: int = 100, keep: int = 2, directory: str | os.PathLike[str] | None = None,
                 max_retries: int = 3) -> None:
        self.every = at_least("every", every, 1)
        self.keep = at_least("keep", keep, 1)
        self.directory = None if directory is None else writable_dir("directory", directory)
        self.max_retries = at_least("max_retries", max_retries, 1)
        self.snapshots: deque[Snapshot] = deque()
        self._mark: int | None = None  # step of the last snapshot or restore

    def due(self, step: int) -> bool:
        return self._mark is None or step - self._mark >= self.every

    @property
    def last_step(self) -> int | None:
        return self.snapshots[-1].step if self.snapshots else None

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.snapshots)

    def take(self, step: int, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any = None,
             scaler: Any = None, lr_scale: float = 1.0) -> Snapshot:
        """Copy the current state to the CPU (and disk) and keep it; drops the oldest beyond ``keep``."""
        snap = Snapshot(step=step, model=_cpu_copy(model.state_dict()), optimizer=_cpu_copy(optimizer.state_dict()),
                        scheduler=None if scheduler is None else _cpu_copy(scheduler.state_dict()),
                        scaler=None if scaler is None else _cpu_copy(scaler.state_dict()),
                        rng=capture_rng_state(), lr_scale=lr_scale)
        if self.directory is not None:
            snap.path = self._write(snap)
        self.snapshots.append(snap)
        while len(self.snapshots) > self.keep:
            self._drop(self.snapshots.popleft())
        self._mark = step
        return snap

    def pick(self) -> Snapshot | None:
        """The newest snapshot with retries left (exhausted ones are dropped), or None."""
        while self.snapshots and self.snapshots[-1].restores >= self.max_retries:
            self._drop(self.snapshots.pop())
        return self.snapshots[-1] if self.snapshots else None

    def restore(self, snap: Snapshot, at_step: int, model: nn.Module, optimizer: torch.optim.Optimizer,
                scheduler: Any = None, scaler: Any = None) -> None:
        """Put the snapshot's state back (weights and optimizer state bit-identical; copies, never aliases)."""
        model.load_state_dict(snap.model)
        optimizer.load_state_dict(_cpu_copy(snap.optimizer))  # the optimizer may keep CPU tensors as given
        if scheduler is not None and snap.scheduler is not None:
            scheduler.load_state_dict(copy.deepcopy(snap.scheduler))
        if scaler is not None and snap.scaler is not None:
            scaler.load_state_dict(_cpu_copy(snap.scaler))
        restore_rng_state(snap.rng)
        snap.restores += 1
        self._mark = at_step

    def _write(self, snap: Snapshot) -> Path:
        assert self.directory is not None
        path = self.directory / f"snapshot-{snap.step:09d}.pt"
        payload = {k: getattr(snap, k) for k in ("step", "model", "optimizer", "scheduler", "scaler", "rng",
                                                   "lr_scale")}
        atomic_torch_save(payload, path)
        return path

    def _drop(self, snap: Snapshot) -> None:
        if snap.path is not None:
            with contextlib.suppress(OSError):
                snap.path.unlink()


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
    r"""Decide to restore the last good snapshot when training has gone wrong; the guard keeps the snapshots.

    Triggers: a ``divergence`` event; a ``loss_spike`` event on ``spike_patience`` consecutive steps (a spike that
    persists, not one outlier batch); a non-finite loss or gradient on ``nonfinite_patience`` consecutive steps;
    a collapse: a ``vanish`` event (layers stopped learning) within ``collapse_window`` steps after a loss spike,
    explosion or divergence (the signature of ReLU units killed by a too-large step; vanishing gradients with no
    trouble before them, e.g. from initialisation, are left to diagnosis, since restoring would not change them).
    After a rollback no trigger fires for ``cooldown`` steps. Each rollback multiplies the learning rate by
    ``lr_factor`` (None: leave it). A snapshot is restored at most ``max_retries`` times, then the one before it
    (``keep``); when none is left, the guard stops with :class:`~gradguard.TrainingHalted`.

    The decision names the steps that led there (``troubled_steps``; all steps since the snapshot on divergence),
    which the guard reports as ``StepReport.skip_batches``.

    Args:
        every, keep, directory, max_retries: the :class:`SnapshotStore` settings (defaults 100, 2, None, 3).
        lr_factor: learning-rate back-off per rollback, in (0, 1), or None (default 0.5).
        spike_patience: consecutive spiking steps that trigger (default 3).
        nonfinite_patience: consecutive non-finite steps that trigger (default 3).
        cooldown: steps after a rollback before the next may trigger (default 10).
        collapse_window: steps after trouble in which a ``vanish`` event counts as a collapse (default 100;
            0 turns the trigger off).
    """

    def __init__(self, every: int = 100, keep: int = 2, directory: str | os.PathLike[str] | None = None,
                 max_retries: int = 3, lr_factor: float | None = 0.5, spike_patience: int = 3,
                 nonfinite_patience: int = 3, cooldown: int = 10, collapse_window: int = 100) -> None:
        self.store = SnapshotStore(every=every, keep=keep, directory=directory, max_retries=max_retries)
        self.lr_factor = None if lr_factor is None else fraction("lr_factor", lr_factor)
        self.spike_patience = at_least("spike_patience", spike_patience, 1)
        self.nonfinite_patience = at_least("nonfinite_patience", nonfinite_patience, 1)
        self.cooldown = at_least("cooldown", cooldown, 0)
        self.collapse_window = at_least("collapse_window", collapse_window, 0)
        self.spikes = 0
        self.nonfinite = 0
        self.quiet_until = -1
        self.troubled: deque[int] = deque(maxlen=256)

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        kinds = {e.kind for e in events}
        finite = stats.grads_finite and stats.loss_finite
        self.spikes = self.spikes + 1 if "loss_spike" in kinds else 0
        self.nonfinite = 0 if finite else self.nonfinite + 1
        collapse = ("vanish" in kinds and bool(self.troubled)
                    and stats.step - self.troubled[-1] <= self.collapse_window)
        if not finite or kinds & {"loss_spike", "explode", "divergence"}:
            self.troubled.append(stats.step)
        trigger = ("divergence" if "divergence" in kinds else "loss_spike" if self.spikes >= self.spike_patience
                   else "nonfinite" if self.nonfinite >= self.nonfinite_patience else "collapse" if collapse
                   else None)
        if trigger is None or stats.step < self.quiet_until:
            return Decision()
        self.spikes = self.nonfinite = 0
        self.quiet_until = stats.step + self.cooldown
        evidence = {"trigger": trigger, "spike_patience": self.spike_patience,
                    "nonfinite_patience": self.nonfinite_patience, "lr_factor": self.lr_factor,
                    "skip_all": trigger in ("divergence", "collapse"), "troubled_steps": list(self.troubled)}
        return Decision(skip=True, rollback=True, reason=f"rollback_{trigger}", evidence=evidence,
                        lr_factor=1.0 if self.lr_factor is None else self.lr_factor)

    def state_dict(self) -> dict[str, Any]:
        return {"spikes": self.spikes, "nonfinite": self.nonfinite, "quiet_until": self.quiet_until,
                "troubled": list(self.troubled)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.spikes, self.nonfinite = int(state["spikes"]), int(state["nonfinite"])
        self.quiet_until = int(state["quiet_until"])
        self.troubled = deque((int(s) for s in state["troubled"]), maxlen=256)

    def __repr__(self) -> str:
        s = self.store
        return (f"rollback_on_trouble(every={s.every}, keep={s.keep}, directory={s.directory}, "
                f"max_retries={s.max_retries}, lr_factor={self.lr_factor})")
