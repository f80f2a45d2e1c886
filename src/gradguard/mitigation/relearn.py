"""Recovery from a run that stopped learning: back the learning rate off until the loss leaves its starting level."""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Sequence
from typing import Any

from ..decision import Decision
from ..events import Event
from ..stats import StepStats
from ._checks import at_least, fraction

__all__ = ["LowerLRWhenNotLearning"]


class LowerLRWhenNotLearning:
    r"""Lower the learning rate while the run does not learn because its rate is too high.

    Acts on a ``stall`` event with ``evidence["mode"] == "not_learning"`` (the loss is flat at its starting level
    while the weights move hard: :class:`~gradguard.detectors.StallDetector`): the rate is multiplied by
    ``factor``. Then, every ``patience`` steps, if the median of the last ``patience // 2`` finite losses is not
    below ``1 - margin`` times the stalled level (``evidence["loss_start"]``), it is multiplied by ``factor``
    again, never below ``min_scale`` times the rate at the event. Once the loss is below that, the run learns
    and the new rate is kept (it is not restored: it was too high). With ``rollback=True`` (the ``recover``
    preset) each cut also restores the state the run started from (see :class:`SnapshotStore`'s ``initial``): a
    run whose loss never left its start has learned nothing to lose, while the rate that was too high may have
    killed its units, which a lower rate alone does not revive. Each cut is a decision with reason
    ``"lr_backoff_not_learning"`` and its evidence (the stalled level, the recent loss, the overall scale), which
    the guard records as an ``lr_change`` event.

    Args:
        factor: the cut per step of the back-off, in (0, 1) (default 0.25).
        patience: steps between looks at the loss after a cut (default 30).
        margin: the relative drop below the stalled level that counts as learning (default 0.05).
        min_scale: the lowest overall scale of this back-off, in (0, 1) (default 1/256).
        rollback: restore the run's starting state with each cut (needs a rollback policy in the chain, which
            keeps it; without one only the rate is cut) (default False).
    """

    survives_rollback = True

    def __init__(self, factor: float = 0.25, patience: int = 30, margin: float = 0.05,
                 min_scale: float = 1.0 / 256, rollback: bool = False) -> None:
        self.factor = fraction("factor", factor)
        self.patience = at_least("patience", patience, 2)
        self.margin = fraction("margin", margin)
        self.min_scale = fraction("min_scale", min_scale)
        self.rollback = bool(rollback)
        self.scale = 1.0
        self.level: float | None = None  # the stalled loss level while recovering, else None
        self.last_cut = -1
        self.losses: deque[float] = deque(maxlen=self.patience)

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        if stats.loss is not None and math.isfinite(stats.loss):
            self.losses.append(stats.loss)
        if self.level is None:
            event = next((e for e in events if e.kind == "stall" and e.evidence.get("mode") == "not_learning"), None)
            if event is None:
                return Decision()
            level = event.evidence.get("loss_start", event.evidence.get("loss_median"))
            if not isinstance(level, (int, float)) or not math.isfinite(level):
                return Decision()
            self.level = float(level)
            return self._cut(stats.step, "the loss is flat at its start while the weights move hard",
                             {"likely_cause": event.evidence.get("likely_cause")})
        if stats.step - self.last_cut < self.patience or len(self.losses) < self.patience // 2:
            return Decision()
        recent = statistics.median(list(self.losses)[-(self.patience // 2):])
        if recent < self.level - self.margin * abs(self.level):
            self.level = None  # it learns: keep the rate it learns at
            return Decision()
        if self.scale * self.factor < self.min_scale * (1 - 1e-9):
            self.last_cut = stats.step  # at the floor: look again after another patience
            return Decision()
        return self._cut(stats.step, f"still not learning {self.patience} steps after the last cut",
                         {"loss_recent": recent})

    def _cut(self, step: int, why: str, extra: dict[str, Any]) -> Decision:
        self.scale *= self.factor
        self.last_cut = step
        self.losses.clear()
        evidence = {"trigger": "not_learning", "why": why, "loss_level": self.level, "factor": self.factor,
                    "backoff_scale": self.scale, "min_scale": self.min_scale, **extra}
        if self.rollback:
            return Decision(skip=True, rollback=True, lr_factor=self.factor, reason="rollback_not_learning",
                            evidence={**evidence, "rollback_to": "start", "troubled_steps": [step]})
        return Decision(lr_factor=self.factor, reason="lr_backoff_not_learning", evidence=evidence)

    def state_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "level": self.level, "last_cut": self.last_cut, "losses": list(self.losses)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scale, self.last_cut = float(state["scale"]), int(state["last_cut"])
        self.level = None if state["level"] is None else float(state["level"])
        self.losses = deque((float(v) for v in state["losses"]), maxlen=self.patience)

    def __repr__(self) -> str:
        return (f"lower_lr_when_not_learning(factor={self.factor}, patience={self.patience}, "
                f"min_scale={self.min_scale}, rollback={self.rollback})")
