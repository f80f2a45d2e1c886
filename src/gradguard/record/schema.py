"""The layout of a run record (``<run_dir>/run.sqlite``) and the checks on a run directory.

One SQLite file in WAL mode. Scalars of a step are columns of ``steps``; per-layer figures of a step are
little-endian arrays of length ``num_layers`` stored as BLOBs, one row per step, in the layer order of the
``layers`` table. That keeps 100k steps x 200 layers at about 80 MB per statistic, read back with one
``np.frombuffer``. Each stored JSON value follows :mod:`gradguard.record._json` (NaN/Inf as strings).

Version history:
    1: first layout.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import RecordError

__all__ = [
    "LAYER_STAT_DTYPES",
    "RUN_FILE",
    "SCHEMA_SQL",
    "SCHEMA_STATEMENTS",
    "SCHEMA_VERSION",
    "UPDATE_STAT_DTYPES",
    "prepare_run_dir",
    "resolve_run_file",
]

#: Version of the layout written by this library; readers refuse newer files.
SCHEMA_VERSION = 1

#: Name of the record file inside a run directory.
RUN_FILE = "run.sqlite"

#: Per-layer statistic (column of ``layer_stats``) -> dtype of its blob. NaN in a norm: no gradient that step.
LAYER_STAT_DTYPES: dict[str, np.dtype] = {
    "grad_norm": np.dtype("<f4"),
    "grad_maxabs": np.dtype("<f4"),
    "grad_nonfinite": np.dtype("<i4"),  # -1: not counted (the norm was non-finite but counting was off)
    "weight_norm": np.dtype("<f4"),
    "has_grad": np.dtype("u1"),
}

#: Per-layer update statistic (column of ``layer_updates``) -> dtype of its blob.
UPDATE_STAT_DTYPES: dict[str, np.dtype] = {
    "update_norm": np.dtype("<f4"),
    "update_ratio": np.dtype("<f4"),
}

#: The statements that create the layout (idempotent: ``IF NOT EXISTS``), run in one transaction.
SCHEMA_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT                   -- JSON
    )""",
    """CREATE TABLE IF NOT EXISTS layers (
        layer_id INTEGER PRIMARY KEY,  -- position in every per-layer blob
        name TEXT NOT NULL,
        module_type TEXT,
        numel INTEGER,
        param_names TEXT             -- JSON list
    )""",
    """CREATE TABLE IF NOT EXISTS steps (
        step INTEGER PRIMARY KEY,
        wall_time REAL,              -- seconds since the epoch (time.time())
        loss REAL,                   -- NULL when no loss was given or it was NaN (see has_loss)
        has_loss INTEGER,            -- 1 when a loss was given to the guard
        grad_norm REAL,              -- global L2 norm before clipping; NULL when NaN
        grad_norm_after REAL,        -- grad_norm * clip_coef
        clip_coef REAL,
        applied INTEGER,             -- 1 when optimizer.step() ran
        reason TEXT,
        scale REAL,                  -- GradScaler scale, NULL without a scaler
        nonfinite INTEGER,           -- count of NaN/Inf gradient elements (negative: not counted)
        lrs TEXT                     -- JSON list, one learning rate per param group
    )""",
    """CREATE TABLE IF NOT EXISTS layer_stats (
        step INTEGER PRIMARY KEY,
        grad_norm BLOB,              -- float32[num_layers]
        grad_maxabs BLOB,            -- float32[num_layers]
        grad_nonfinite BLOB,         -- int32[num_layers]
        weight_norm BLOB,            -- float32[num_layers]
        has_grad BLOB                -- uint8[num_layers]
    )""",
    """CREATE TABLE IF NOT EXISTS layer_updates (
        step INTEGER PRIMARY KEY,
        update_norm BLOB,            -- float32[num_layers]
        update_ratio BLOB            -- float32[num_layers]
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        step INTEGER,
        kind TEXT,
        severity TEXT,
        message TEXT,
        layers TEXT,                 -- JSON list
        evidence TEXT,               -- JSON object
        causes TEXT                  -- JSON list
    )""",
    """CREATE INDEX IF NOT EXISTS events_step ON events(step)""",
    """CREATE INDEX IF NOT EXISTS events_kind ON events(kind)""",
)

#: The same layout as one script, for reading.
SCHEMA_SQL = ";\n".join(SCHEMA_STATEMENTS) + ";\n"

_ACCEPTED = "a path to a directory (created when missing) or to a path that does not exist yet"


def prepare_run_dir(path: str | os.PathLike[str]) -> Path:
    """Check ``run_dir`` and create it (with its parents) when missing.

    Raises:
        RecordError: the path is an existing file, or the directory cannot be created.
    """
    try:
        run_dir = Path(path).expanduser()
    except TypeError:
        raise RecordError(f"run_dir={path!r} is not accepted: expected {_ACCEPTED}.") from None
    if run_dir.exists() and not run_dir.is_dir():
        raise RecordError(
            f"run_dir={str(path)!r} is not accepted: it is an existing file; expected {_ACCEPTED}. "
            "Pass the directory that should hold run.sqlite."
        )
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(f"run_dir={str(path)!r} could not be created: {exc}. Expected {_ACCEPTED}.") from None
    return run_dir


def resolve_run_file(path: str | os.PathLike[str]) -> Path:
    """The record file for ``path``: a run directory (its ``run.sqlite``) or the ``.sqlite`` file itself.

    Raises:
        RecordError: there is no record at ``path``.
    """
    p = Path(path).expanduser()
    candidate = p / RUN_FILE if p.is_dir() else p
    if not candidate.is_file():
        raise RecordError(
            f"No run record at {str(path)!r}: expected a run directory holding {RUN_FILE} or the path of a "
            f"{RUN_FILE} file (looked for {str(candidate)!r})."
        )
    return candidate
