"""Mirror of the run record in Weights & Biases: the main curves per step, per-layer curves, events as a table.

Keys: ``gradguard/loss``, ``gradguard/grad_norm``, ``gradguard/grad_norm_after``, ``gradguard/clip_coef``,
``gradguard/applied``, ``gradguard/lr/group<g>``, ``gradguard/scale`` (with a scaler), per layer
``gradguard/grad_norm/<layer>`` and ``gradguard/weight_norm/<layer>`` (every ``layer_every`` steps) and
``gradguard/update_ratio/<layer>``, all against the step metric ``gradguard/step`` (updates arrive one step late,
so W&B's own monotonic step is not used). Events go to a ``gradguard/events`` table. The run record (SQLite)
stays the source of truth. Works offline (``mode="offline"`` or ``WANDB_MODE=offline``; ``wandb sync`` later).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._optional import require
from .base import Sink, StepItem, check_layer_every, step_scalars

if TYPE_CHECKING:
    from ..events import Event
    from ..inventory import LayerInfo
    from ..stats import UpdateStats

__all__ = ["WandbSink", "step_scalars"]

_PREFIX = "gradguard/"


class WandbSink(Sink):
    """Logs the record to a W&B run (``wandb.init`` at ``open``, ``run.finish`` at ``close``).

    Args:
        project: W&B project (default: ``WANDB_PROJECT`` or W&B's default).
        mode: ``"online"``, ``"offline"`` or ``"disabled"`` (default: ``WANDB_MODE`` or online).
        dir: directory for W&B's local files (default: W&B's).
        layer_every: log per-layer curves every this many steps (default 1).
        run: an already started ``wandb`` run to log into instead of starting one (it is not finished at close).
        **init_kwargs: passed to ``wandb.init`` (``name``, ``group``, ``tags``, ...).

    Raises:
        OptionalDependencyError: wandb is not installed (``pip install "gradguard[wandb]"``).
        ConfigError: ``layer_every`` is not an integer >= 1.
    """

    def __init__(self, project: str | None = None, *, mode: str | None = None,
                 dir: str | os.PathLike[str] | None = None, layer_every: int = 1, run: Any = None,
                 **init_kwargs: Any) -> None:
        require("wandb", "the W&B sink")
        self.layer_every = check_layer_every(layer_every)
        self.init_kwargs = {k: v for k, v in {"project": project, "mode": mode, "dir": None if dir is None
                                              else str(dir), **init_kwargs}.items() if v is not None}
        self.run = run
        self._owns_run = run is None
        self._layers: list[str] = []
        self._events: list[list[Any]] = []
        self._new_events = False

    def open(self, layers: Sequence[LayerInfo], meta: Mapping[str, Any]) -> None:
        """Start the run (config = the record's metadata) and declare ``gradguard/step`` as the step metric."""
        import wandb

        from ..record._json import encode_json

        if self.run is None:
            self.run = wandb.init(config={"gradguard": encode_json(dict(meta))}, **self.init_kwargs)
        self._layers = [layer.name for layer in layers]
        self.run.define_metric(f"{_PREFIX}step")
        self.run.define_metric(f"{_PREFIX}*", step_metric=f"{_PREFIX}step")

    def _log(self, step: int, values: Mapping[str, float]) -> None:
        self.run.log({f"{_PREFIX}step": step, **{_PREFIX + k: v for k, v in values.items()}})

    def write_steps(self, items: Sequence[StepItem]) -> None:
        for stats, report, _ in items:
            step = int(stats.step)
            self._log(step, step_scalars(stats, report, self._layers, step % self.layer_every == 0))

    def write_updates(self, items: Sequence[UpdateStats]) -> None:
        for update in items:
            ratios = {f"update_ratio/{n}": float(r) for n, r in zip(self._layers, update.layer_update_ratio,
                                                                    strict=True) if not math.isnan(r)}
            self._log(int(update.step), ratios)

    def write_events(self, events: Sequence[Event]) -> None:
        from ..record._json import encode_json

        for e in events:
            self._events.append([int(e.step), e.kind, e.severity, e.message, ", ".join(e.layers),
                                 encode_json(e.evidence)])
            self._new_events = True

    def flush(self) -> None:
        """Log the events table when it grew (W&B writes its own files in the background)."""
        if self._new_events and self.run is not None:
            self._new_events = False
            import wandb

            table = wandb.Table(columns=["step", "kind", "severity", "message", "layers", "evidence"],
                                data=list(self._events))
            self.run.log({f"{_PREFIX}events": table})

    def close(self) -> None:
        run, self.run = self.run, None
        if run is not None and self._owns_run:
            run.finish()
