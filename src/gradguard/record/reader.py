"""Reading a run record: column arrays of the steps, per-layer matrices, events, all from the file on disk.

The connection is read-only (``mode=ro``) and never blocks the writer: a record can be read while a run is still
appending to it, or after the run was killed (SQLite's WAL keeps every committed batch). The first read fixes a
*snapshot bound*, the largest step committed at that moment; every array comes from rows up to that step, so
arrays read one after the other line up even while the writer goes on. :meth:`RunRecord.refresh` moves the bound
to the newest commit.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from .._optional import require
from ..errors import RecordError
from ._json import decode_json
from .schema import LAYER_STAT_DTYPES, SCHEMA_VERSION, UPDATE_STAT_DTYPES, resolve_run_file

__all__ = ["RunRecord", "open_run"]

_NO_ROWS = -(2**63)
_STEP_COLUMNS = ("step", "wall_time", "loss", "has_loss", "grad_norm", "grad_norm_after", "clip_coef", "applied",
                 "reason", "scale", "nonfinite", "lrs")
_INT_COLUMNS = {"step": np.int64, "nonfinite": np.int64, "has_loss": np.bool_, "applied": np.bool_}


def open_run(path: str | os.PathLike[str]) -> RunRecord:
    """Open the run record at ``path`` (a run directory or its ``run.sqlite``) for reading.

    Raises:
        RecordError: no record there, not a gradguard record, or written by a newer gradguard.
    """
    return RunRecord(path)


def _decode(text: Any, what: str, path: Path) -> Any:
    """:func:`decode_json` that turns malformed text into a one-line :class:`RecordError` naming the field."""
    try:
        return decode_json(text)
    except (ValueError, TypeError, KeyError) as exc:
        raise RecordError(f"{str(path)!r}: {what} is not valid JSON ({exc}); the record is damaged or was not "
                          "written by gradguard.") from None


def _check_step_columns(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a record whose ``events.step`` holds anything but integers. (In ``steps``, ``layer_stats`` and
    ``layer_updates`` the step is the INTEGER PRIMARY KEY, which SQLite itself keeps an integer.)"""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "events" not in tables:
        return
    bad = conn.execute("SELECT count(*) FROM events WHERE typeof(step) != 'integer'").fetchone()[0]
    if bad:
        raise RecordError(f"{str(path)!r}: events.step holds {bad} value(s) that are not integers; the record "
                          "is damaged or was not written by gradguard.")


class RunRecord:
    """A read-only view of one run record. Use as a context manager or call :meth:`close`.

    Attributes:
        path: the ``run.sqlite`` file.
        meta: run metadata (schema_version, created, versions, and what the run passed).
        schema_version: layout version of the file.
        layer_info: one dict per layer (name, module_type, numel, param_names), in blob order.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path: Path = resolve_run_file(path)
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            try:
                self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
                tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            except sqlite3.OperationalError as exc:
                if "readonly" not in str(exc):
                    raise
                # a writer killed mid-transaction left a WAL that only a read-write connection may roll back
                self._conn = sqlite3.connect(self.path, check_same_thread=False)
                self._conn.execute("PRAGMA query_only=1")
                tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise RecordError(f"{str(self.path)!r} is not a readable SQLite run record: {exc}") from None
        if not tables:
            self._conn.close()
            raise RecordError(f"{str(self.path)!r} holds no committed run header: the process that created it was "
                              "killed while starting, so nothing was recorded. A new Guard on this run_dir replaces "
                              "it.")
        if "meta" not in tables or "layers" not in tables:
            self._conn.close()
            raise RecordError(f"{str(self.path)!r} is not a gradguard run record (no meta or layers table).")
        try:
            self.meta: dict[str, Any] = {k: _decode(v, f"meta[{k!r}]", self.path)
                                         for k, v in self._conn.execute("SELECT key, value FROM meta")}
            _check_step_columns(self._conn, self.path)
        except BaseException:
            self._conn.close()
            raise
        version = self.meta.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            self._conn.close()
            raise RecordError(
                f"{str(self.path)!r} has schema_version={version!r}; this gradguard reads versions up to "
                f"{SCHEMA_VERSION}. Upgrade gradguard to read it."
            )
        self.schema_version: int = version
        self.layer_info: list[dict[str, Any]] = [
            {"name": str(name), "module_type": mtype, "numel": numel,
             "param_names": _decode(pnames, f"layers[{name!r}].param_names", self.path)}
            for name, mtype, numel, pnames in self._conn.execute(
                "SELECT name, module_type, numel, param_names FROM layers ORDER BY layer_id")
        ]
        self._cache: dict[str, Any] = {}
        self._bound: int | None = None

    # ----------------------------------------------------------------------------------------- basics
    @property
    def layers(self) -> list[str]:
        """Layer names, in the order of the columns of every per-layer matrix."""
        return [info["name"] for info in self.layer_info]

    @property
    def num_layers(self) -> int:
        return len(self.layer_info)

    def refresh(self) -> None:
        """Forget cached arrays so that the next read sees every batch committed by now."""
        self._cache.clear()
        self._bound = None

    def close(self) -> None:
        self._cache.clear()
        self._conn.close()

    def __enter__(self) -> RunRecord:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RunRecord({str(self.path)!r}, steps={len(self.steps['step'])}, layers={self.num_layers})"

    def _snapshot(self) -> int:
        if self._bound is None:
            row = self._conn.execute(
                "SELECT max(s) FROM (SELECT max(step) AS s FROM steps UNION ALL SELECT max(step) FROM layer_stats "
                "UNION ALL SELECT max(step) FROM layer_updates UNION ALL SELECT max(step) FROM events)"
            ).fetchone()
            self._bound = _NO_ROWS if row[0] is None else int(row[0])
        return self._bound

    # ----------------------------------------------------------------------------------------- steps
    def _load_steps(self) -> None:
        rows = self._conn.execute(
            f"SELECT {', '.join(_STEP_COLUMNS)} FROM steps WHERE step <= ? ORDER BY step", (self._snapshot(),)
        ).fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in _STEP_COLUMNS]
        steps: dict[str, np.ndarray] = {}
        for name, values in zip(_STEP_COLUMNS, columns, strict=True):
            if name in ("reason", "lrs"):
                continue
            dtype = _INT_COLUMNS.get(name, np.float64)
            steps[name] = np.array(values, dtype=dtype) if dtype is np.float64 else np.array(
                [0 if v is None else v for v in values], dtype=dtype)
        # one parse for the whole column; float() reads the "NaN"/"Infinity" spellings of the JSON rule
        lr_lists = _decode("[" + ",".join(v or "[]" for v in columns[_STEP_COLUMNS.index("lrs")]) + "]",
                           "steps.lrs", self.path)
        if not isinstance(lr_lists, list) or not all(isinstance(lr, list) for lr in lr_lists):
            raise RecordError(f"{str(self.path)!r}: steps.lrs does not hold one list of learning rates per step; "
                              "the record is damaged or was not written by gradguard.")
        groups = max((len(lr) for lr in lr_lists), default=0)
        if all(len(lr) == groups for lr in lr_lists):
            lrs = np.array(lr_lists, dtype=np.float64).reshape(len(lr_lists), groups)
        else:
            lrs = np.full((len(lr_lists), groups), np.nan)
            for i, lr in enumerate(lr_lists):
                lrs[i, :len(lr)] = np.array(lr, dtype=np.float64)
        self._cache["steps"] = steps
        self._cache["lrs"] = lrs
        self._cache["reasons"] = list(columns[_STEP_COLUMNS.index("reason")])

    @property
    def steps(self) -> dict[str, np.ndarray]:
        """Per-step columns, sorted by step: step, wall_time (s), loss (NaN: none given or NaN, see has_loss),
        has_loss, grad_norm, grad_norm_after, clip_coef, applied (bool), nonfinite, scale (NaN without a scaler)."""
        if "steps" not in self._cache:
            self._load_steps()
        return self._cache["steps"]

    @property
    def lrs(self) -> np.ndarray:
        """Learning rates, shape [steps, param groups] (NaN where a step had fewer groups)."""
        if "lrs" not in self._cache:
            self._load_steps()
        return self._cache["lrs"]

    @property
    def reasons(self) -> list[str | None]:
        """Why each step was skipped or clipped (None: it ran untouched), aligned with ``steps["step"]``."""
        if "reasons" not in self._cache:
            self._load_steps()
        return self._cache["reasons"]

    # ----------------------------------------------------------------------------------------- per layer
    def _matrix(self, table: str, column: str, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        key = f"{table}.{column}"
        if key not in self._cache:
            rows = self._conn.execute(
                f"SELECT step, {column} FROM {table} WHERE step <= ? ORDER BY step", (self._snapshot(),)
            ).fetchall()
            steps = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            data = b"".join(r[1] or b"" for r in rows)
            if len(data) != len(rows) * self.num_layers * dtype.itemsize:
                raise RecordError(
                    f"{str(self.path)!r}: {table}.{column} holds {len(data)} bytes for {len(rows)} steps, expected "
                    f"{self.num_layers} {dtype.name} values per step (one per layer). The record is inconsistent."
                )
            matrix = np.frombuffer(data, dtype=dtype).reshape(len(rows), self.num_layers)
            if column == "has_grad":
                matrix = matrix.view(np.bool_)
            self._cache[key] = (steps, matrix)
        return self._cache[key]

    def layer_stat(self, name: str) -> np.ndarray:
        """Per-layer statistic ``name`` as a [recorded steps, layers] array (rows: :attr:`layer_stat_steps`).

        ``name`` is one of grad_norm, grad_maxabs, weight_norm (float32; NaN norm: no gradient that step),
        grad_nonfinite (int32; -1: not counted) or has_grad (bool).
        """
        if name not in LAYER_STAT_DTYPES:
            raise RecordError(f"layer_stat name={name!r} is not accepted: expected one of {tuple(LAYER_STAT_DTYPES)}.")
        return self._matrix("layer_stats", name, LAYER_STAT_DTYPES[name])[1]

    @property
    def layer_stat_steps(self) -> np.ndarray:
        """The step of each row of :meth:`layer_stat`."""
        return self._matrix("layer_stats", "grad_norm", LAYER_STAT_DTYPES["grad_norm"])[0]

    def updates(self, name: str) -> np.ndarray:
        """Per-layer update statistic ``name`` (update_norm or update_ratio), [measured steps, layers] float32
        (rows: :attr:`update_steps`)."""
        if name not in UPDATE_STAT_DTYPES:
            raise RecordError(f"updates name={name!r} is not accepted: expected one of {tuple(UPDATE_STAT_DTYPES)}.")
        return self._matrix("layer_updates", name, UPDATE_STAT_DTYPES[name])[1]

    @property
    def update_steps(self) -> np.ndarray:
        """The step of each row of :meth:`updates`."""
        return self._matrix("layer_updates", "update_norm", UPDATE_STAT_DTYPES["update_norm"])[0]

    # ----------------------------------------------------------------------------------------- events
    def _query_events(self, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT id, step, kind, severity, message, layers, evidence, causes FROM events "
            f"WHERE step <= ? {where} ORDER BY id", (self._snapshot(), *params)
        )
        return [
            {"id": i, "step": step, "kind": kind, "severity": severity, "message": message,
             "layers": _decode(layers, f"events[{i}].layers", self.path) or [],
             "evidence": _decode(evidence, f"events[{i}].evidence", self.path) or {},
             "causes": _decode(causes, f"events[{i}].causes", self.path) or []}
            for i, step, kind, severity, message, layers, evidence, causes in rows
        ]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event in the order written: id, step, kind, severity, message, layers, evidence, causes."""
        if "events" not in self._cache:
            self._cache["events"] = self._query_events()
        return self._cache["events"]

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        """The events of one kind (``"explode"``, ``"skip"``...), in the order written."""
        return self._query_events("AND kind = ?", (kind,))

    # ----------------------------------------------------------------------------------------- pandas
    def to_pandas(self) -> dict[str, Any]:
        """DataFrames: ``steps`` (one row per step, ``lr_<group>`` and ``reason`` columns), ``events``,
        ``layer_stats`` and ``updates`` in long form (one row per step and layer, ``layer`` categorical).

        Raises:
            OptionalDependencyError: pandas is not installed (``pip install "gradguard[report]"``).
        """
        pd = require("pandas", "RunRecord.to_pandas()")
        steps = pd.DataFrame(dict(self.steps))
        for g in range(self.lrs.shape[1]):
            steps[f"lr_{g}"] = self.lrs[:, g]
        steps["reason"] = self.reasons
        events = pd.DataFrame(self.events, columns=["id", "step", "kind", "severity", "message", "layers",
                                                    "evidence", "causes"])
        return {
            "steps": steps,
            "events": events,
            "layer_stats": self._long(pd, self.layer_stat_steps, {n: self.layer_stat(n) for n in LAYER_STAT_DTYPES}),
            "updates": self._long(pd, self.update_steps, {n: self.updates(n) for n in UPDATE_STAT_DTYPES}),
        }

    def _long(self, pd: Any, steps: np.ndarray, columns: dict[str, np.ndarray]) -> Any:
        n, L = len(steps), self.num_layers
        names = self.layers
        codes = np.tile(np.arange(L), n)
        layer = (pd.Categorical.from_codes(codes, categories=names) if len(set(names)) == L
                 else np.asarray(names, dtype=object)[codes])
        frame = {"step": np.repeat(steps, L), "layer": layer}
        frame.update({name: values.reshape(-1) for name, values in columns.items()})
        return pd.DataFrame(frame)
