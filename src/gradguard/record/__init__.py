"""The crash-safe run record: one SQLite file per run, written in batches off the training thread.

Write with :class:`RunWriter` and :class:`SQLiteSink`; read with :func:`open_run`::

    writer = RunWriter([SQLiteSink("runs/exp1")], inventory.layers, meta={"optimizer": "AdamW"})
    writer.add_step(stats, report, time.time())
    writer.close()

    with open_run("runs/exp1") as run:
        run.steps["grad_norm"], run.layer_stat("grad_norm"), run.events_of("explode")
"""

from __future__ import annotations

from .reader import RunRecord, open_run
from .schema import RUN_FILE, SCHEMA_VERSION, prepare_run_dir
from .sqlite_sink import SQLiteSink
from .writer import RunWriter

__all__ = ["RUN_FILE", "SCHEMA_VERSION", "RunRecord", "RunWriter", "SQLiteSink", "open_run", "prepare_run_dir"]
