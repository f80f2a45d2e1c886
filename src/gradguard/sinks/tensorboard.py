"""Mirror of the run record in TensorBoard: the main curves per step, per-layer curves, events as text.

Tags: ``loss``, ``grad_norm``, ``grad_norm_after``, ``clip_coef``, ``lr/group<g>``, ``scale`` (with a scaler),
``grad_norm/<layer>`` and ``weight_norm/<layer>`` (every ``layer_every`` steps; a layer without a gradient that
step is left out), ``update_ratio/<layer>``, and text ``events/<kind>``. The run record (SQLite) stays the
source of truth; this sink is for looking at curves next to other TensorBoard runs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._optional import require
from ..errors import ConfigError
from .base import Sink, StepItem, step_scalars

if TYPE_CHECKING:
    from ..events import Event
    from ..inventory import LayerInfo
    from ..stats import UpdateStats

__all__ = ["TensorBoardSink"]


class TensorBoardSink(Sink):
    """Writes TensorBoard event files under ``log_dir`` (via ``torch.utils.tensorboard.SummaryWriter``).

    Args:
        log_dir: directory for the event files (created when missing).
        layer_every: write the per-layer curves every this many steps (default 1: every step). With hundreds of
            layers, 10 or more keeps the event files small.

    Raises:
        OptionalDependencyError: tensorboard is not installed (``pip install "gradguard[tensorboard]"``).
        ConfigError: ``layer_every`` is not an integer >= 1.
    """

    def __init__(self, log_dir: str | os.PathLike[str], *, layer_every: int = 1) -> None:
        require("tensorboard", "the TensorBoard sink")
        if isinstance(layer_every, bool) or not isinstance(layer_every, int) or layer_every < 1:
            raise ConfigError("layer_every", layer_every, "an integer >= 1 (steps between per-layer curves)")
        self.log_dir = Path(log_dir).expanduser()
        self.layer_every = layer_every
        self._writer: Any = None
        self._layers: list[str] = []

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
            for tag, value in step_scalars(stats, report, self._layers, per_layer).items():
                w.add_scalar(tag, value, step, walltime=wall_time)

    def write_updates(self, items: Sequence[UpdateStats]) -> None:
        """The update-to-weight ratio of each layer at each measured step."""
        for update in items:
            for name, ratio in zip(self._layers, update.layer_update_ratio, strict=True):
                if not math.isnan(ratio):
                    self._writer.add_scalar(f"update_ratio/{name}", float(ratio), int(update.step))

    def write_events(self, events: Sequence[Event]) -> None:
        """Each event as a line of text under ``events/<kind>``: severity, message, layers and evidence."""
        from ..record._json import encode_json

        for e in events:
            layers = f" layers: {', '.join(e.layers)}." if e.layers else ""
            text = f"**{e.severity}** {e.message}{layers} evidence: `{encode_json(e.evidence)}`"
            self._writer.add_text(f"events/{e.kind}", text, int(e.step))

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
