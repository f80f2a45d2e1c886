"""Mirror of the run record in TensorBoard: the main curves per step, per-layer curves and histograms, events.

Every tag is under ``gradguard/`` so that none collides with the user's own (``loss``...): ``gradguard/loss``,
``gradguard/grad_norm``, ``gradguard/grad_norm_after``, ``gradguard/clip_coef``, ``gradguard/applied``,
``gradguard/skipped_steps`` (a running count, which TensorBoard's outlier-ignoring y-axis cannot hide the way it
hides a single 0 in ``applied``), ``gradguard/lr/group<g>``, ``gradguard/scale`` (with a scaler),
``gradguard/grad_norm/<layer>`` and ``gradguard/weight_norm/<layer>`` (every ``layer_every`` steps; a layer without
a gradient that step is left out), ``gradguard/update_ratio/<layer>``; histograms over the layers of
``gradguard/hist/log10_grad_norm`` and ``gradguard/hist/log10_update_ratio`` every ``histogram_every`` steps; and
text ``gradguard/events/<kind>`` holding every event of that kind at that step. The run record (SQLite) stays the
source of truth; this sink is for looking at curves next to other TensorBoard runs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._optional import require
from ..errors import ConfigError
from .base import Sink, StepItem, step_scalars

if TYPE_CHECKING:
    from ..events import Event
    from ..inventory import LayerInfo
    from ..stats import UpdateStats

__all__ = ["TensorBoardSink"]

_PREFIX = "gradguard/"


class TensorBoardSink(Sink):
    """Writes TensorBoard event files under ``log_dir`` (via ``torch.utils.tensorboard.SummaryWriter``).

    Args:
        log_dir: directory for the event files (created when missing).
        layer_every: write the per-layer curves every this many steps (default 1: every step). With hundreds of
            layers, 10 or more keeps the event files small.
        histogram_every: write the per-layer histograms every this many steps (default 100; 0: never).

    Raises:
        OptionalDependencyError: tensorboard is not installed (``pip install "gradguard[tensorboard]"``).
        ConfigError: ``layer_every`` is not an integer >= 1, or ``histogram_every`` not an integer >= 0.
    """

    def __init__(self, log_dir: str | os.PathLike[str], *, layer_every: int = 1, histogram_every: int = 100) -> None:
        require("tensorboard", "the TensorBoard sink")
        if isinstance(layer_every, bool) or not isinstance(layer_every, int) or layer_every < 1:
            raise ConfigError("layer_every", layer_every, "an integer >= 1 (steps between per-layer curves)")
        if isinstance(histogram_every, bool) or not isinstance(histogram_every, int) or histogram_every < 0:
            raise ConfigError("histogram_every", histogram_every,
                              "an integer >= 0 (steps between per-layer histograms; 0: none)")
        self.log_dir = Path(log_dir).expanduser()
        self.layer_every = layer_every
        self.histogram_every = histogram_every
        self._writer: Any = None
        self._layers: list[str] = []
        self._skipped = 0

    def open(self, layers: Sequence[LayerInfo], meta: Mapping[str, Any]) -> None:
        """Create the SummaryWriter and write the layer list and metadata as text at step 0."""
        from torch.utils.tensorboard import SummaryWriter

        from ..record._json import encode_json

        self._writer = SummaryWriter(log_dir=str(self.log_dir))
        self._layers = [layer.name for layer in layers]
        self._writer.add_text("gradguard/meta", f"```\n{encode_json(dict(meta))}\n```", 0)
        self._writer.add_text("gradguard/layers", "\n".join(f"{i}. {n}" for i, n in enumerate(self._layers)), 0)

    def write_steps(self, items: Sequence[StepItem]) -> None:
        """Scalars of each step, and per-layer norms on steps that are a multiple of ``layer_every``."""
        w = self._writer
        for stats, report, wall_time in items:
            step = int(stats.step)
            per_layer = step % self.layer_every == 0
            self._skipped += not report.applied
            scalars = step_scalars(stats, report, self._layers, per_layer)
            scalars["skipped_steps"] = float(self._skipped)
            for tag, value in scalars.items():
                w.add_scalar(f"{_PREFIX}{tag}", value, step, walltime=wall_time)
            if self._histogram_due(step):
                self._histogram("log10_grad_norm", stats.layer_grad_norm, step, wall_time)

    def write_updates(self, items: Sequence[UpdateStats]) -> None:
        """The update-to-weight ratio of each layer at each measured step."""
        for update in items:
            for name, ratio in zip(self._layers, update.layer_update_ratio, strict=True):
                if not math.isnan(ratio):
                    self._writer.add_scalar(f"{_PREFIX}update_ratio/{name}", float(ratio), int(update.step))
            if self.histogram_every and update.step // self.histogram_every != self._last_ratio_hist:
                self._last_ratio_hist = update.step // self.histogram_every  # updates are measured every N steps
                self._histogram("log10_update_ratio", update.layer_update_ratio, int(update.step), None)

    _last_ratio_hist = -1

    def _histogram_due(self, step: int) -> bool:
        return bool(self.histogram_every) and step % self.histogram_every == 0

    def _histogram(self, name: str, values: Any, step: int, wall_time: float | None) -> None:
        """The distribution over layers of log10 of a per-layer figure (NaN, 0 and Inf left out)."""
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v) & (v > 0)]
        if v.size:
            self._writer.add_histogram(f"{_PREFIX}hist/{name}", np.log10(v), step, walltime=wall_time)

    def write_events(self, events: Sequence[Event]) -> None:
        """Events as text under ``gradguard/events/<kind>``: one entry per kind and step holding every event of
        that kind at that step (TensorBoard keeps one text per tag and step), each with its severity, message,
        layers and evidence."""
        from ..record._json import encode_json

        grouped: dict[tuple[str, int], list[str]] = {}
        for e in events:
            layers = f" layers: {', '.join(e.layers)}." if e.layers else ""
            line = f"**{e.severity}** {e.message}{layers} evidence: `{encode_json(e.evidence)}`"
            grouped.setdefault((e.kind, int(e.step)), []).append(line)
        for (kind, step), lines in grouped.items():
            self._writer.add_text(f"{_PREFIX}events/{kind}", "\n\n".join(lines), step)

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
