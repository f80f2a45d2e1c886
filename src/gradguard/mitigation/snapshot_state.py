"""A snapshot store's state for checkpoints: the schedule, the confirmation in progress and the snapshots themselves.

A snapshot that has a file (``SnapshotStore(directory=...)``, confirmed and written) is referenced by its file name
and restore count; every other one (no directory, the initial state, a pending snapshot, one the disk refused) is
held in the state as CPU tensors. Everything is plain tensors, numbers, strings, lists and dicts, so a checkpoint
holding it loads with ``torch.load(weights_only=True)`` (the numpy RNG state is stored as a tensor).
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..errors import ConfigError

if TYPE_CHECKING:
    from .snapshots import Snapshot, SnapshotStore

__all__ = ["FORMAT", "load_store_state", "store_state"]

#: Version of the layout below. 1 (no "format" key): the schedule only, written by gradguard before exact resume.
FORMAT = 2

_FIELDS = ("step", "model", "optimizer", "scheduler", "scaler", "lr_scale", "guard_state")


def _encode_rng(rng: dict[str, Any]) -> dict[str, Any]:
    out = dict(rng)
    numpy_state = rng.get("numpy")
    if isinstance(numpy_state, tuple) and len(numpy_state) == 5:
        name, keys, pos, has_gauss, cached = numpy_state
        out["numpy"] = [str(name), torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos), int(has_gauss),
                        float(cached)]
    return out


def _decode_rng(rng: dict[str, Any]) -> dict[str, Any]:
    out = dict(rng)
    numpy_state = rng.get("numpy")
    if isinstance(numpy_state, (list, tuple)) and len(numpy_state) == 5 and isinstance(numpy_state[1], torch.Tensor):
        name, keys, pos, has_gauss, cached = numpy_state
        out["numpy"] = (name, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(cached))
    if isinstance(out.get("python"), list):  # a pickled tuple may come back as a list through other serialisers
        version, internal, gauss = out["python"]
        out["python"] = (version, tuple(internal), gauss)
    return out


def _on_cpu(obj: Any) -> Any:
    """Tensors moved to the CPU (no copy when they are there already), containers rebuilt."""
    if isinstance(obj, torch.Tensor):
        return obj.to("cpu")
    if isinstance(obj, dict):
        return {k: _on_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [_on_cpu(v) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    return obj


def _snapshot_state(snap: Snapshot) -> dict[str, Any]:
    if snap.path is not None and snap.path.exists():
        return {"file": snap.path.name, "path": str(snap.path), "step": snap.step, "restores": snap.restores}
    return {**{k: getattr(snap, k) for k in _FIELDS}, "rng": _encode_rng(snap.rng), "restores": snap.restores}


def _snapshot_from(state: dict[str, Any], store: SnapshotStore, what: str) -> Snapshot | None:
    from .snapshots import Snapshot, load_snapshot

    if "file" in state:
        candidates = [Path(str(state["path"]))]
        if store.directory is not None:
            candidates.insert(0, store.directory / str(state["file"]))
        path = next((p for p in candidates if p.exists()), None)
        try:
            if path is None:
                raise FileNotFoundError(f"not found at {', '.join(str(p) for p in candidates)}")
            snap = load_snapshot(path)
        except Exception as exc:  # a missing or unreadable file: resume without it, and say so
            warnings.warn(f"gradguard: the checkpoint's {what} (after step {state.get('step')}) could not be read "
                          f"({exc}); the run resumes without it, so a rollback may restore another state than the "
                          "uninterrupted run would have.", stacklevel=4)
            return None
        snap.restores = int(state.get("restores", 0))
        return snap
    fields = {k: _on_cpu(state[k]) for k in _FIELDS}
    fields["step"], fields["lr_scale"] = int(fields["step"]), float(fields["lr_scale"])
    return Snapshot(**fields, rng=_decode_rng(_on_cpu(state["rng"])), restores=int(state.get("restores", 0)))


def store_state(store: SnapshotStore) -> dict[str, Any]:
    """The whole state a resumed store needs to decide as the uninterrupted one would (see the module doc)."""
    return {
        "format": FORMAT,
        "mark": store._mark, "interval": store._interval, "healthy": store._healthy, "taken": store._taken,
        "recent": list(store._recent), "best": store._best,
        "before": store._before, "after": list(store._after), "seen": store._seen, "troubled": store._troubled,
        "disk_warned": store._disk_warned,
        "snapshots": [_snapshot_state(s) for s in store.snapshots],
        "pending": None if store.pending is None else _snapshot_state(store.pending),
        "initial": None if store.initial is None else _snapshot_state(store.initial),
    }


def load_store_state(store: SnapshotStore, state: dict[str, Any]) -> None:
    """Restore :func:`store_state`'s output. A state of format 1 (an older gradguard: the schedule only) loads
    with a warning: the snapshots it did not hold are gone, and the initial state stays the one this guard took.

    Raises:
        ConfigError: the state was written by a newer gradguard (an unknown format).
    """
    fmt = state.get("format", 1)
    if not isinstance(fmt, int) or fmt > FORMAT:
        raise ConfigError("Guard.load_state_dict(state)", f"snapshot state format {fmt!r}",
                          f"a format up to {FORMAT} (written by this or an older gradguard)",
                          "The checkpoint was written by a newer gradguard: upgrade gradguard to resume from it.")
    mark = state.get("mark")
    store._mark = None if mark is None else int(mark)
    store._interval = int(state.get("interval", store.start))
    store._healthy = int(state.get("healthy", 0))
    store._taken = int(state.get("taken", 0))
    store._recent = deque((float(v) for v in state.get("recent", [])), maxlen=max(store.confirm, 1))
    store._best = float(state.get("best", math.inf))
    if fmt < 2:
        warnings.warn("gradguard: this checkpoint was written by an older gradguard and holds the snapshot schedule "
                      "but not the snapshots: the resumed run can roll back only to snapshots taken from now on "
                      "(or to the state this guard started from), not to earlier ones.", stacklevel=3)
        return
    before = state.get("before")
    store._before = None if before is None else float(before)
    store._after = [float(v) for v in state.get("after", [])]
    store._seen = int(state.get("seen", 0))
    store._troubled = bool(state.get("troubled", False))
    store._disk_warned = bool(state.get("disk_warned", False))
    snaps = [_snapshot_from(s, store, "snapshot") for s in state.get("snapshots", [])]
    store.snapshots = deque(s for s in snaps if s is not None)
    pending, initial = state.get("pending"), state.get("initial")
    store.pending = None if pending is None else _snapshot_from(pending, store, "pending snapshot")
    if initial is not None:
        store.initial = _snapshot_from(initial, store, "initial state")
    store.pin(s.path for s in (*store.snapshots, store.pending, store.initial) if s is not None and s.path)
