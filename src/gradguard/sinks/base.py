"""The sink interface: where the run record goes (a SQLite file, TensorBoard, ...).

A sink receives batches of records from :class:`gradguard.record.RunWriter`, always on the writer's one
background thread, in this order: ``open`` once, then any number of ``write_*`` calls each followed by
``flush``, then ``close`` once. ``flush`` ends a batch: everything written since the previous ``flush`` becomes
durable together (one transaction for a database sink). A sink may raise from any method; the writer records the
exception, warns once, and stops calling that sink, so training never stops because a record could not be written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..decision import StepReport
    from ..events import Event
    from ..inventory import LayerInfo
    from ..stats import StepStats, UpdateStats

__all__ = ["Sink", "StepItem", "check_layer_every", "step_scalars"]

#: One recorded step: its statistics, what the guard did, and the wall-clock time (``time.time()``, seconds).
StepItem = tuple["StepStats", "StepReport", float]


@runtime_checkable
class Sink(Protocol):
    """Receives the run record in batches (see the module docstring for the call order)."""

    def open(self, layers: Sequence[LayerInfo], meta: Mapping[str, Any]) -> None:
        """Prepare to receive records for ``layers`` (their order is the order of every per-layer array)."""
        ...

    def write_steps(self, items: Sequence[StepItem]) -> None:
        """Write ``(stats, report, wall_time)`` for each step of the batch."""
        ...

    def write_updates(self, items: Sequence[UpdateStats]) -> None:
        """Write the update statistics measured in this batch (sparse: only some steps have one)."""
        ...

    def write_events(self, events: Sequence[Event]) -> None:
        """Write the events of this batch, in the order they were raised."""
        ...

    def flush(self) -> None:
        """Make everything written since the last flush durable, atomically where the sink can."""
        ...

    def close(self) -> None:
        """Release the sink's resources. Called once, after the last flush."""
        ...


def step_scalars(stats: StepStats, report: StepReport, layers: Sequence[str], per_layer: bool) -> dict[str, float]:
    """The scalars of one step under the TensorBoard sink's tags (per-layer ones only when ``per_layer``).

    A layer without a gradient that step has no ``grad_norm/<layer>`` entry (its norm is NaN, not 0).
    """
    out: dict[str, float] = {
        "grad_norm": float(stats.grad_norm),
        "grad_norm_after": float(stats.grad_norm) * float(report.clip_coef),
        "clip_coef": float(report.clip_coef),
        "applied": float(report.applied),
    }
    if stats.loss is not None:
        out["loss"] = float(stats.loss)
    if stats.scale is not None:
        out["scale"] = float(stats.scale)
    for g, lr in enumerate(stats.lrs):
        out[f"lr/group{g}"] = float(lr)
    if per_layer:
        for name, gnorm, wnorm in zip(layers, stats.layer_grad_norm, stats.layer_weight_norm, strict=True):
            if not math.isnan(gnorm):
                out[f"grad_norm/{name}"] = float(gnorm)
            out[f"weight_norm/{name}"] = float(wnorm)
    return out


def check_layer_every(layer_every: object) -> int:
    if isinstance(layer_every, bool) or not isinstance(layer_every, int) or layer_every < 1:
        raise ConfigError("layer_every", layer_every, "an integer >= 1 (steps between per-layer curves)")
    return layer_every
