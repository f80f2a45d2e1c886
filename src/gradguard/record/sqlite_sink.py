"""The run record sink: one SQLite file in WAL mode, one transaction per batch.

Crash safety comes from SQLite itself: each :meth:`SQLiteSink.flush` commits one transaction to the write-ahead
log, so a killed process loses at most the uncommitted batch and never damages what was committed. With
``PRAGMA synchronous=NORMAL`` a commit survives a crash of the process (kill -9); after a power cut the last few
commits may roll back, still without corruption (the SQLite documentation on WAL mode).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sqlite3
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ..errors import RecordError
from ..sinks.base import Sink, StepItem
from ._json import decode_json, encode_json
from .schema import LAYER_STAT_DTYPES, RUN_FILE, SCHEMA_STATEMENTS, SCHEMA_VERSION, UPDATE_STAT_DTYPES, prepare_run_dir

if TYPE_CHECKING:
    from ..events import Event
    from ..inventory import LayerInfo
    from ..stats import UpdateStats

__all__ = ["SQLiteSink", "library_versions"]

_T = TypeVar("_T")
_INT32 = np.iinfo(np.int32)


def library_versions() -> dict[str, str | None]:
    """Versions of python, torch, numpy and gradguard, as recorded in the run metadata."""
    torch = sys.modules.get("torch")
    gradguard = sys.modules.get("gradguard")
    return {
        "python": platform.python_version(),
        "torch": getattr(torch, "__version__", None),
        "numpy": np.__version__,
        "gradguard": getattr(gradguard, "__version__", None),
    }


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _real(value: float | None) -> float | None:
    """A float for a REAL column; None for None (SQLite stores NaN as NULL anyway, this makes it explicit)."""
    if value is None:
        return None
    value = float(value)
    return None if value != value else value


def _blob(values: Any, dtype: np.dtype, num_layers: int, what: str) -> bytes:
    arr = np.asarray(values)
    if arr.shape != (num_layers,):
        raise RecordError(f"{what} has shape {arr.shape}, expected ({num_layers},): one value per recorded layer.")
    if dtype.kind == "i":
        arr = np.clip(arr, _INT32.min, _INT32.max)
    with np.errstate(over="ignore", invalid="ignore"):  # float64 beyond float32 range becomes +-inf, as intended
        return np.ascontiguousarray(arr, dtype=dtype).tobytes()


class SQLiteSink(Sink):
    """Writes the run record to ``<run_dir>/run.sqlite`` (see :mod:`gradguard.record.schema` for the layout).

    Args:
        run_dir: directory of the run; created when missing. An existing file is refused.
        resume: append to the record already in ``run_dir`` (steps keep their numbers; a step written again
            replaces the stored one). Without it, an existing record is refused rather than overwritten.

    Every method except the constructor must be called from one thread (the writer thread): the connection is
    created in :meth:`open`.

    Raises:
        RecordError: ``run_dir`` is a file, or it already holds a record and ``resume`` is False.
    """

    def __init__(self, run_dir: str | os.PathLike[str], *, resume: bool = False) -> None:
        self.run_dir: Path = prepare_run_dir(run_dir)
        self.path: Path = self.run_dir / RUN_FILE
        self.resume = bool(resume)
        self._lock = _RunLock(self.run_dir)
        if self.path.exists() and not self.resume:
            if _abandoned(self.path):
                warnings.warn(f"gradguard: {str(self.path)!r} holds no committed run header (the process that "
                              "created it was killed while starting); it is replaced.", stacklevel=3)
                for suffix in ("", "-wal", "-shm"):
                    Path(str(self.path) + suffix).unlink(missing_ok=True)
            else:
                self._lock.release()
                raise RecordError(
                    f"run_dir={str(run_dir)!r} already holds a run record ({RUN_FILE}); it is not overwritten. "
                    "Pick another run_dir, or pass resume=True to append to it."
                )
        self._conn: sqlite3.Connection | None = None
        self._num_layers = 0
        self._old_events: int | None = None  # resume: events with an id up to this one were written by earlier runs

    # ----------------------------------------------------------------------------------------- lifecycle
    def open(self, layers: Sequence[LayerInfo], meta: Mapping[str, Any]) -> None:
        """Create (or, with ``resume``, check) the record, and write its metadata and layers in one transaction."""
        existed = self.path.exists() and self.path.stat().st_size > 0
        conn = sqlite3.connect(self.path, isolation_level=None)  # explicit BEGIN/COMMIT below
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RecordError(f"Could not put {str(self.path)!r} in WAL mode (journal_mode={mode!r}).")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            previous = self._read_existing(conn) if existed else None
            if previous:
                self._old_events = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
            for statement in SCHEMA_STATEMENTS:
                conn.execute(statement)
            self._write_header(conn, layers, meta, previous)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            raise
        self._conn = conn
        self._num_layers = len(layers)

    def _read_existing(self, conn: sqlite3.Connection) -> dict[str, Any]:
        """The stored metadata and layer names of a record being resumed, after checking it can be appended to."""
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return {}
        if "meta" not in tables or "layers" not in tables:
            raise RecordError(f"{str(self.path)!r} is an SQLite file but not a gradguard run record.")
        stored = {k: decode_json(v) for k, v in conn.execute("SELECT key, value FROM meta")}
        version = stored.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise RecordError(
                f"Cannot resume {str(self.path)!r}: it has schema_version={version!r}, this gradguard writes "
                f"version {SCHEMA_VERSION}. Upgrade gradguard or pick another run_dir."
            )
        stored["__layer_names__"] = [r[0] for r in conn.execute("SELECT name FROM layers ORDER BY layer_id")]
        return stored

    def _write_header(
        self, conn: sqlite3.Connection, layers: Sequence[LayerInfo], meta: Mapping[str, Any],
        previous: dict[str, Any] | None,
    ) -> None:
        names = [layer.name for layer in layers]
        header: dict[str, Any] = {"versions": library_versions()}
        header.update(meta)
        if previous:
            old_names = previous["__layer_names__"]
            if old_names and old_names != names:
                k = next(i for i, (a, b) in enumerate(zip([*old_names, None], [*names, None], strict=False)) if a != b)
                raise RecordError(
                    f"Cannot resume {str(self.path)!r}: it records {len(old_names)} layers and this run watches "
                    f"{len(names)}; they first differ at layer {k} ({([*old_names, None])[k]!r} stored, "
                    f"{([*names, None])[k]!r} now). Resume with the same model and optimizer, or pick another run_dir."
                )
            header["created"] = previous.get("created", _now_iso())
            header["resumed"] = [*(previous.get("resumed") or []), _now_iso()]
        else:
            header.setdefault("created", _now_iso())
        header["schema_version"] = SCHEMA_VERSION
        conn.executemany(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            [(str(k), encode_json(v)) for k, v in header.items()],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO layers(layer_id, name, module_type, numel, param_names) VALUES (?, ?, ?, ?, ?)",
            [(i, la.name, la.module_type, int(la.numel), encode_json(list(la.param_names))) for i, la in
             enumerate(layers)],
        )

    def _in_batch(self, write: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``write`` inside the open batch transaction; on error roll the whole batch back and re-raise."""
        conn = self._conn
        if conn is None:
            raise RecordError("SQLiteSink.open() must be called before writing.")
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
        try:
            return write(conn)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # ----------------------------------------------------------------------------------------- writes
    def write_steps(self, items: Sequence[StepItem]) -> None:
        """Insert (or, for a step written again, replace) each step's scalars and per-layer blobs."""
        if not items:
            return
        L = self._num_layers
        step_rows = []
        layer_rows = []
        for stats, report, wall_time in items:
            clip = float(report.clip_coef)
            step_rows.append((
                int(stats.step), float(wall_time), _real(stats.loss), int(stats.loss is not None),
                _real(stats.grad_norm), _real(float(stats.grad_norm) * clip), _real(clip), int(bool(report.applied)),
                report.reason, _real(stats.scale), int(stats.nonfinite_grads), encode_json(list(stats.lrs)),
            ))
            columns = (stats.layer_grad_norm, stats.layer_grad_maxabs, stats.layer_grad_nonfinite,
                       stats.layer_weight_norm, stats.layer_has_grad)
            layer_rows.append((int(stats.step), *(
                _blob(values, dtype, L, f"step {stats.step} {name}")
                for (name, dtype), values in zip(LAYER_STAT_DTYPES.items(), columns, strict=True)
            )))

        def write(conn: sqlite3.Connection) -> None:
            if self._old_events:  # a step written again replaces the stored one, its earlier events included
                conn.executemany("DELETE FROM events WHERE id <= ? AND step = ?",
                                 [(self._old_events, row[0]) for row in step_rows])
            conn.executemany(
                "INSERT OR REPLACE INTO steps(step, wall_time, loss, has_loss, grad_norm, grad_norm_after, clip_coef,"
                " applied, reason, scale, nonfinite, lrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                step_rows,
            )
            conn.executemany(
                f"INSERT OR REPLACE INTO layer_stats(step, {', '.join(LAYER_STAT_DTYPES)}) VALUES (?, ?, ?, ?, ?, ?)",
                layer_rows,
            )

        self._in_batch(write)

    def write_updates(self, items: Sequence[UpdateStats]) -> None:
        """Insert (or replace) the per-layer update norms and ratios of each measured step."""
        if not items:
            return
        L = self._num_layers
        dtype = UPDATE_STAT_DTYPES["update_norm"]
        rows = [(int(u.step), _blob(u.layer_update_norm, dtype, L, f"step {u.step} update_norm"),
                 _blob(u.layer_update_ratio, dtype, L, f"step {u.step} update_ratio")) for u in items]
        self._in_batch(lambda conn: conn.executemany(
            "INSERT OR REPLACE INTO layer_updates(step, update_norm, update_ratio) VALUES (?, ?, ?)", rows))

    def write_events(self, events: Sequence[Event]) -> None:
        """Append each event with its layers, evidence and causes as JSON."""
        if not events:
            return
        rows = [(int(e.step), e.kind, e.severity, e.message, encode_json(list(e.layers)), encode_json(e.evidence),
                 encode_json(list(e.causes))) for e in events]
        self._in_batch(lambda conn: conn.executemany(
            "INSERT INTO events(step, kind, severity, message, layers, evidence, causes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows))

    def flush(self) -> None:
        """Commit the batch written since the last flush (one transaction)."""
        if self._conn is not None and self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Commit what is pending and close the connection; safe to call twice."""
        conn, self._conn = self._conn, None
        if conn is None:
            self._lock.release()
            return
        try:
            if conn.in_transaction:
                conn.execute("COMMIT")
        finally:
            conn.close()
            self._lock.release()


def _abandoned(path: Path) -> bool:
    """True when ``path`` is an SQLite file without a committed gradguard header: a run killed inside ``open``.
    Anything else (a real record, a file that is not SQLite) is not abandoned and is never replaced."""
    if path.stat().st_size == 0:
        return True
    try:
        conn = sqlite3.connect(path, timeout=1.0)
        try:  # opening read-write lets SQLite roll back the killed run's uncommitted WAL frames
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            return "meta" not in tables or conn.execute("SELECT count(*) FROM meta").fetchone()[0] == 0
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


class _RunLock:
    """An exclusive advisory lock on ``run_dir/run.lock`` for the writer's lifetime, so that two guards never write
    one record at once (their rows would interleave). POSIX ``flock``: the OS drops it when the process dies, so a
    killed run never leaves a stale lock. Where ``fcntl`` is missing (Windows) no lock is taken."""

    def __init__(self, run_dir: Path) -> None:
        self._file: Any = None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        path = run_dir / "run.lock"
        handle = open(path, "a+")  # held open for the writer's lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise RecordError(
                f"run_dir={str(run_dir)!r} is being written by another guard (in this or another process: "
                f"{str(path)!r} is locked). Close that guard first, or pick another run_dir."
            ) from None
        self._file = handle

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()
