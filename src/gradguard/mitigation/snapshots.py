"""Snapshots of a run's good states (CPU copies, optionally on disk) and the schedule that takes and confirms them."""

from __future__ import annotations

import contextlib
import copy
import math
import os
import statistics
import warnings
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._atomic import atomic_torch_save
from .._safe_load import load as safe_load
from ..rng import capture_rng_state, restore_rng_state
from ._checks import at_least, writable_dir
from .snapshot_state import load_store_state, store_state

__all__ = ["Snapshot", "SnapshotStore", "load_snapshot"]

#: A snapshot is rejected when the median loss of the ``confirm`` steps after it exceeds the median before it by
#: this fraction of its magnitude, or exceeds the best median of the run by ``_BEST_RISE`` times its magnitude.
_JUMP = 0.5
_BEST_RISE = 2.0


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
        rng: :func:`~gradguard.rng.capture_rng_state` at the snapshot.
        lr_scale: the guard's learning-rate back-off scale at the snapshot.
        restores: how often it has been restored.
        path: its file when written to disk, else None.
        guard_state: the policies' and detectors' states at the snapshot (restored with it), or None.
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
    guard_state: dict[str, Any] | None = None

    @property
    def nbytes(self) -> int:
        """Bytes of tensor data held (model + optimizer state + scaler)."""
        return _nbytes(self.model) + _nbytes(self.optimizer) + _nbytes(self.scaler)


def load_snapshot(path: str | os.PathLike[str], *, trust: bool = False) -> Snapshot:
    """Read a snapshot written by a :class:`SnapshotStore` with a ``directory``, with ``weights_only=True`` and
    the numpy allow-list (nothing stored in the file runs). A snapshot whose state holds other objects (a custom
    scheduler's state, say) needs ``trust=True``: only for files you wrote yourself or otherwise trust.

    Raises:
        UntrustedFileError: objects outside the allow-list and ``trust`` is False.
    """
    payload = safe_load(path, f"the snapshot {path}", trust=trust)
    return Snapshot(**{**payload, "path": Path(path)})


class SnapshotStore:
    r"""The last ``keep`` good states of a run, as CPU copies, optionally also on disk.

    Schedule: after ``warmup`` healthy steps (applied, finite, not heavily clipped, no trouble event) a snapshot
    is taken after the next healthy step, then at intervals that start at ``start`` steps and double after each
    snapshot up to ``every``; a rollback starts the schedule over (warm-up, then ``start``). So a rollback early
    in a run never has to go back to its first step, and a long run keeps one snapshot per ``every`` steps.

    Confirmation (``confirm`` > 0): a new snapshot is pending until ``confirm`` more steps have run; it is kept
    only if the median loss of those steps is not more than 50% (of its magnitude) above the median of the
    ``confirm`` losses before it, nor more than 3x the run's best such median, and no weight went non-finite and
    no ``divergence`` event came meanwhile. A state that only looked healthy (the step that broke the run was
    not yet visible in its own loss) is thus never restored. Pending snapshots are never restored.

    Memory: each kept snapshot (and a pending one, and the optional ``initial`` one) is one CPU copy of the model's
    ``state_dict`` and of the optimizer state (for Adam, three times the parameters), plus the scheduler, scaler,
    RNG, policy and detector states (small). Taking one costs a copy of all of that (device-to-host on a GPU);
    restoring one costs the copy back.

    Checkpoints: :meth:`state_dict` (part of ``Guard.state_dict()``) holds the schedule, the confirmation in
    progress and the snapshots, so that a resumed run restores what the uninterrupted run would. Without
    ``directory`` the snapshots travel in it as CPU tensors (up to ``keep`` + 2 copies of the model and optimizer
    state); with ``directory`` the written ones are referenced by file name, and the files the latest
    ``state_dict()`` refers to are kept (even once dropped) until the next one: resume from the latest checkpoint,
    or an older one warns that its snapshot files are gone.

    Args:
        every: the longest interval between snapshots, in steps (default 100).
        keep: confirmed snapshots kept (default 2: when the newest keeps failing, the one before it is tried).
        directory: also write each snapshot there atomically (temporary file, then ``os.replace``); None: memory
            only.
        max_retries: restores of one snapshot before it is given up (default 3).
        warmup: healthy steps before the first snapshot (default 0).
        start: the first interval, doubled after each snapshot up to ``every`` (default None: ``every``).
        confirm: steps that confirm a snapshot (default 0: kept at once).
        initial: also keep the state the run started from (taken by the guard before its first step), restored
            when no confirmed snapshot is left, or on purpose by a rollback to the start (default False).
    """

    def __init__(self, every: int = 100, keep: int = 2, directory: str | os.PathLike[str] | None = None,
                 max_retries: int = 3, *, warmup: int = 0, start: int | None = None, confirm: int = 0,
                 initial: bool = False) -> None:
        self.every = at_least("every", every, 1)
        self.keep = at_least("keep", keep, 1)
        self.directory = None if directory is None else writable_dir("directory", directory)
        self._disk_warned = False
        self.max_retries = at_least("max_retries", max_retries, 1)
        self.warmup = at_least("warmup", warmup, 0)
        self.start = self.every if start is None else min(at_least("start", start, 1), self.every)
        self.confirm = at_least("confirm", confirm, 0)
        self.keeps_initial = bool(initial)
        self.snapshots: deque[Snapshot] = deque()
        self.pending: Snapshot | None = None
        self.initial: Snapshot | None = None
        self._mark: int | None = None  # step of the last snapshot, rejection or restore
        self._interval = self.start
        self._taken = 0  # snapshots taken since the start or the last restore
        self._healthy = 0
        self._recent: deque[float] = deque(maxlen=max(self.confirm, 1))
        self._best = math.inf
        self._before: float | None = None  # median loss before the pending snapshot
        self._after: list[float] = []  # losses since the pending snapshot (NaN: non-finite)
        self._seen = 0  # steps since the pending snapshot
        self._troubled = False
        self._pinned: set[Path] = set()  # files the latest checkpoint refers to
        self._unpin_later: set[Path] = set()  # pinned files of dropped snapshots

    # ------------------------------------------------------------------------------------------ schedule
    def observe(self, step: int, loss: float | None, healthy: bool, trouble: bool) -> None:
        """Account for one step (the guard calls this every step, before deciding whether to take a snapshot).

        ``trouble``: weights went non-finite or the run diverged: a pending snapshot is rejected.
        """
        self._healthy += bool(healthy)
        finite = loss is not None and math.isfinite(loss)
        if finite:
            self._recent.append(float(loss))  # type: ignore[arg-type]
            if len(self._recent) == self._recent.maxlen:
                self._best = min(self._best, statistics.median(self._recent))
        if self.pending is None:
            return
        self._troubled |= trouble
        self._seen += 1
        if loss is not None:
            self._after.append(float(loss) if finite else math.nan)
        if self._seen >= self.confirm:
            self._judge(step)

    def _judge(self, step: int) -> None:
        snap, self.pending = self.pending, None
        assert snap is not None
        finite = [v for v in self._after if math.isfinite(v)]
        ok = not self._troubled and (2 * len(finite) >= len(self._after) or not self._after)
        if ok and finite:
            after = statistics.median(finite)
            before = self._before
            if before is not None and after > before + _JUMP * abs(before):
                ok = False
            if math.isfinite(self._best) and after > self._best + _BEST_RISE * abs(self._best):
                ok = False
        if ok:
            self._keep(snap)
        else:
            self._drop(snap)
            self._mark = step
        self._after, self._troubled, self._seen = [], False, 0

    def due(self, step: int) -> bool:
        """Whether a healthy step ``step`` should be followed by a snapshot."""
        if self.pending is not None or self._healthy < self.warmup:
            return False
        return self._mark is None or step - self._mark >= self._interval

    @property
    def last_step(self) -> int | None:
        """Step of the newest confirmed snapshot, or None."""
        return self.snapshots[-1].step if self.snapshots else None

    @property
    def nbytes(self) -> int:
        held = [*self.snapshots, *(s for s in (self.pending, self.initial) if s is not None)]
        return sum(s.nbytes for s in held)

    # ------------------------------------------------------------------------------------------ take / restore
    def _capture(self, step: int, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, scaler: Any,
                 lr_scale: float, guard_state: dict[str, Any] | None) -> Snapshot:
        return Snapshot(step=step, model=_cpu_copy(model.state_dict()), optimizer=_cpu_copy(optimizer.state_dict()),
                        scheduler=None if scheduler is None else _cpu_copy(scheduler.state_dict()),
                        scaler=None if scaler is None else _cpu_copy(scaler.state_dict()),
                        rng=capture_rng_state(), lr_scale=lr_scale, guard_state=copy.deepcopy(guard_state))

    def take(self, step: int, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any = None,
             scaler: Any = None, lr_scale: float = 1.0, guard_state: dict[str, Any] | None = None) -> Snapshot:
        """Copy the current state to the CPU (and disk): kept at once, or pending until confirmed (``confirm``)."""
        snap = self._capture(step, model, optimizer, scheduler, scaler, lr_scale, guard_state)
        if self.confirm > 0:
            self.pending = snap
            self._before = statistics.median(self._recent) if self._recent else None
            self._after, self._troubled, self._seen = [], False, 0
        else:
            self._keep(snap)
        if self._taken:  # the first interval after the warm-up is ``start``, then each doubles up to ``every``
            self._interval = min(2 * self._interval, self.every)
        self._mark, self._taken = step, self._taken + 1
        return snap

    def take_initial(self, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any = None,
                     scaler: Any = None, guard_state: dict[str, Any] | None = None) -> Snapshot:
        """Keep the state the run starts from (step -1), as the last resort and the target of a restart."""
        self.initial = self._capture(-1, model, optimizer, scheduler, scaler, 1.0, guard_state)
        return self.initial

    def _keep(self, snap: Snapshot) -> None:
        if self.directory is not None:
            try:
                snap.path = self._write(snap)
            except (OSError, RuntimeError) as exc:  # a full disk mid-step: degrade, as the run record does
                if not self._disk_warned:
                    self._disk_warned = True
                    warnings.warn(f"gradguard: a snapshot was not written to {str(self.directory)!r}: {exc}. "
                                  "Snapshots are kept in memory only from now on; training goes on.", stacklevel=2)
        self.snapshots.append(snap)
        while len(self.snapshots) > self.keep:
            self._drop(self.snapshots.popleft())

    def pick(self, before: int | None = None) -> Snapshot | None:
        """The snapshot to restore: the newest confirmed one with retries left taken before step ``before`` (the
        first step of the trouble; None: any), else the newest with retries left, else the initial state (with
        ``initial``, while it has retries left), else None. Exhausted snapshots are dropped."""
        while self.snapshots and self.snapshots[-1].restores >= self.max_retries:
            self._drop(self.snapshots.pop())
        usable = [s for s in self.snapshots if s.restores < self.max_retries]
        early = [s for s in usable if before is None or s.step < before]
        if early:
            return early[-1]
        if self.initial is not None and self.initial.restores < self.max_retries:
            return self.initial
        return usable[-1] if usable else None

    def restore(self, snap: Snapshot, at_step: int, model: nn.Module, optimizer: torch.optim.Optimizer,
                scheduler: Any = None, scaler: Any = None) -> None:
        """Put the snapshot's state back (weights and optimizer state bit-identical; copies, never aliases) and
        start the schedule over; a pending snapshot (taken on the way to the trouble) is dropped."""
        model.load_state_dict(snap.model)
        optimizer.load_state_dict(_cpu_copy(snap.optimizer))  # the optimizer may keep CPU tensors as given
        if scheduler is not None and snap.scheduler is not None:
            scheduler.load_state_dict(copy.deepcopy(snap.scheduler))
        if scaler is not None and snap.scaler is not None:
            scaler.load_state_dict(_cpu_copy(snap.scaler))
        restore_rng_state(snap.rng)
        snap.restores += 1
        if self.pending is not None:
            self._drop(self.pending)
            self.pending = None
        self._mark, self._interval, self._healthy, self._taken = at_step, self.start, 0, 0
        self._recent.clear()
        self._after, self._troubled, self._seen = [], False, 0

    def _write(self, snap: Snapshot) -> Path:
        assert self.directory is not None
        path = self.directory / f"snapshot-{snap.step:09d}.pt"
        payload = {k: getattr(snap, k) for k in ("step", "model", "optimizer", "scheduler", "scaler", "rng",
                                                   "lr_scale", "guard_state")}
        atomic_torch_save(payload, path)
        return path

    def _drop(self, snap: Snapshot) -> None:
        if snap.path is None:
            return
        if snap.path in self._pinned:  # a checkpoint refers to it: deleted at the next state_dict()
            self._unpin_later.add(snap.path)
            return
        with contextlib.suppress(OSError):
            snap.path.unlink()

    # ------------------------------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed store needs to decide step for step as the uninterrupted one: the schedule, the
        confirmation in progress and the snapshots (by file name when written to ``directory``, else as CPU
        tensors: see :mod:`.snapshot_state`). The files it refers to are kept until the next ``state_dict()``."""
        state = store_state(self)
        self.pin(s.path for s in (*self.snapshots, self.pending, self.initial) if s is not None and s.path)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output (or a schedule-only state of an older gradguard, with a warning)."""
        load_store_state(self, state)

    def pin(self, paths: Iterable[Path]) -> None:
        """Keep the files of the latest checkpoint even once the store drops their snapshots (a run resumed from
        that checkpoint reads them); files pinned before and no longer referenced are deleted now."""
        keep = set(paths)
        for path in self._unpin_later - keep:
            with contextlib.suppress(OSError):
                path.unlink()
        self._unpin_later = set()
        self._pinned = keep
