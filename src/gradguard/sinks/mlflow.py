"""Mirror of the run record in MLflow: the main curves per step, per-layer curves, events as a JSON-lines artifact.

Metric keys are those of :func:`gradguard.sinks.base.step_scalars` under ``gradguard/`` (``gradguard/grad_norm``,
``gradguard/grad_norm/<layer>``, ``gradguard/update_ratio/<layer>``, ...), with characters MLflow does not accept
in a key replaced by ``_``. Each batch of the record goes out as one ``log_batch`` call (at most 1000 metrics
each). The record's metadata is the artifact ``gradguard/meta.json``, the events ``gradguard/events.jsonl``.
Logs to any tracking URI; offline, a local SQLite store (``"runs/mlflow.db"`` or ``sqlite:///...``), whose
artifacts go to ``mlartifacts`` next to the database unless ``artifact_location`` says otherwise. (MLflow 3 refuses
its old file store unless ``MLFLOW_ALLOW_FILE_STORE=true``; a plain directory path is passed as a ``file://`` URI.)
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._optional import require
from .base import Sink, StepItem, check_layer_every, step_scalars

if TYPE_CHECKING:
    from ..events import Event
    from ..inventory import LayerInfo
    from ..stats import UpdateStats

__all__ = ["MLflowSink"]

_BAD_KEY_CHARS = re.compile(r"[^A-Za-z0-9_\-./ ]")
_BATCH = 1000  # MLflow's limit of metrics per log_batch call


def _key(name: str) -> str:
    return "gradguard/" + _BAD_KEY_CHARS.sub("_", name)


class MLflowSink(Sink):
    """Logs the record to an MLflow run through ``mlflow.MlflowClient`` (no global MLflow state is touched).

    Args:
        tracking_uri: where runs go: a URI, a path ending in ``.db`` (a local SQLite store) or a directory (a file
            store); default MLflow's (``MLFLOW_TRACKING_URI``).
        experiment: experiment name (created when missing; default ``"gradguard"``).
        artifact_location: artifact root of a newly created experiment (default: MLflow's; for a local SQLite
            store, ``mlartifacts`` next to the database).
        run_id: log into this existing run instead of creating one (it is not ended at close).
        run_name: name of the created run.
        layer_every: log per-layer curves every this many steps (default 1).

    Raises:
        OptionalDependencyError: mlflow is not installed (``pip install "gradguard[mlflow]"``).
        ConfigError: ``layer_every`` is not an integer >= 1.
    """

    def __init__(self, tracking_uri: str | os.PathLike[str] | None = None, *, experiment: str = "gradguard",
                 artifact_location: str | os.PathLike[str] | None = None, run_id: str | None = None,
                 run_name: str | None = None, layer_every: int = 1) -> None:
        require("mlflow", "the MLflow sink")
        self.layer_every = check_layer_every(layer_every)
        uri = None if tracking_uri is None else str(tracking_uri)
        if uri is not None and not re.match(r"^[a-z][a-z0-9+.-]*:", uri):
            path = Path(uri).expanduser().resolve()
            if path.suffix == ".db":
                uri = f"sqlite:///{path}"
                if artifact_location is None:
                    artifact_location = path.parent / "mlartifacts"
            else:
                uri = path.as_uri()
        if artifact_location is not None and not re.match(r"^[a-z][a-z0-9+.-]*:", str(artifact_location)):
            artifact_location = Path(artifact_location).expanduser().resolve().as_uri()
        self.tracking_uri = uri
        self.artifact_location = None if artifact_location is None else str(artifact_location)
        self.experiment = experiment
        self.run_id = run_id
        self.run_name = run_name
        self._owns_run = run_id is None
        self._client: Any = None
        self._layers: list[str] = []
        self._metrics: list[Any] = []
        self._events: list[str] = []
        self._new_events = False

    def open(self, layers: Sequence[LayerInfo], meta: Mapping[str, Any]) -> None:
        """Create (or join) the run and write the metadata artifact."""
        from mlflow import MlflowClient

        from ..record._json import encode_json

        self._client = client = MlflowClient(tracking_uri=self.tracking_uri)
        if self.run_id is None:
            found = client.get_experiment_by_name(self.experiment)
            exp_id = (found.experiment_id if found is not None
                      else client.create_experiment(self.experiment, artifact_location=self.artifact_location))
            self.run_id = client.create_run(exp_id, run_name=self.run_name, tags={"gradguard": "1"}).info.run_id
        self._layers = [layer.name for layer in layers]
        client.log_text(self.run_id, encode_json({"meta": dict(meta), "layers": self._layers}), "gradguard/meta.json")

    def _add(self, step: int, values: Mapping[str, float], wall_time: float) -> None:
        from mlflow.entities import Metric

        ms = int(wall_time * 1000)
        self._metrics.extend(Metric(_key(k), float(v), ms, step) for k, v in values.items())

    def write_steps(self, items: Sequence[StepItem]) -> None:
        for stats, report, wall_time in items:
            step = int(stats.step)
            self._add(step, step_scalars(stats, report, self._layers, step % self.layer_every == 0), wall_time)

    def write_updates(self, items: Sequence[UpdateStats]) -> None:
        now = time.time()
        for update in items:
            ratios = {f"update_ratio/{n}": float(r) for n, r in zip(self._layers, update.layer_update_ratio,
                                                                    strict=True) if not math.isnan(r)}
            self._add(int(update.step), ratios, now)

    def write_events(self, events: Sequence[Event]) -> None:
        from ..record._json import encode_json

        self._events.extend(encode_json(e.to_dict()) for e in events)
        self._new_events = self._new_events or bool(events)

    def flush(self) -> None:
        """Send the batch's metrics (``log_batch``) and rewrite the events artifact when it grew."""
        metrics, self._metrics = self._metrics, []
        for i in range(0, len(metrics), _BATCH):
            self._client.log_batch(self.run_id, metrics=metrics[i:i + _BATCH])
        if self._new_events:
            self._new_events = False
            self._client.log_text(self.run_id, "\n".join(self._events) + "\n", "gradguard/events.jsonl")

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._owns_run and self.run_id is not None:
            client.set_terminated(self.run_id)
