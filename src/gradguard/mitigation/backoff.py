"""Learning-rate back-off: lower the rate on repeated trouble, optionally bring it back gradually."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any

import torch

from ..decision import Decision
from ..events import Event
from ..stats import StepStats
from ._checks import at_least, fraction

__all__ = ["TROUBLE_KINDS", "BackoffLR", "scale_lr", "troubled"]

#: Event kinds that count as trouble for back-off and rollback.
TROUBLE_KINDS = frozenset({"nonfinite", "explode", "loss_spike", "divergence"})

#: Param-group keys some schedulers compute the rate from (OneCycleLR, CyclicLR); scaled with ``lr``.
_GROUP_LR_KEYS = ("lr", "initial_lr", "max_lr", "min_lr", "base_lr")


def scale_lr(optimizer: torch.optim.Optimizer, scheduler: Any, factor: float) -> None:
    """Multiply every param group's learning rate by ``factor``, and the scheduler's base rates with it.

    A scheduler recomputes the rate from ``scheduler.base_lrs`` (LambdaLR, CosineAnnealingLR...) or from the
    group's ``lr`` (StepLR, ExponentialLR...), or from group keys such as ``max_lr`` (OneCycleLR); all of them are
    scaled so that the scheduler's next step keeps the back-off instead of undoing it.
    """
    for group in optimizer.param_groups:
        for key in _GROUP_LR_KEYS:
            value = group.get(key)
            if isinstance(value, torch.Tensor):
                value.mul_(factor)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                group[key] = value * factor
    if scheduler is not None:
        for attr in ("base_lrs", "_last_lr"):
            values = getattr(scheduler, attr, None)
            if isinstance(values, list):
                setattr(scheduler, attr, [v * factor if isinstance(v, (int, float)) else v for v in values])


def troubled(stats: StepStats, events: Sequence[Event]) -> bool:
    """A step with a non-finite loss or gradient, or one of :data:`TROUBLE_KINDS` among its events."""
    return not (stats.grads_finite and stats.loss_finite) or any(e.kind in TROUBLE_KINDS for e in events)


class BackoffLR:
    r"""Lower the learning rate by ``factor`` when trouble repeats; optionally restore it gradually.

    Trouble is a step with a non-finite loss or gradient, or an ``explode``, ``loss_spike`` or ``divergence``
    event. When ``after`` troubled steps fall within the last ``window`` steps the rate is multiplied by
    :math:`f` (never below ``min_scale`` times the original). With ``restore_steps`` = :math:`n`, every healthy
    step then multiplies it by :math:`f^{-1/n}` until it is back to the original, so one cut is undone in
    :math:`n` healthy steps. The guard applies the factor to each param group (see :func:`scale_lr`).

    Args:
        factor: :math:`f` in (0, 1) (default 0.5).
        after: troubled steps that trigger a cut (default 3).
        window: steps the count looks back over (default 50).
        restore_steps: healthy steps to undo one cut (default None: never restore).
        min_scale: the lowest overall scale (default 1e-3).
    """

    survives_rollback = True  # its scale follows the rates the guard set, which a rollback keeps

    def __init__(self, factor: float = 0.5, after: int = 3, window: int = 50, restore_steps: int | None = None,
                 min_scale: float = 1e-3) -> None:
        self.factor = fraction("factor", factor)
        self.after = at_least("after", after, 1)
        self.window = at_least("window", window, 1)
        self.restore_steps = None if restore_steps is None else at_least("restore_steps", restore_steps, 1)
        self.min_scale = fraction("min_scale", min_scale)
        self.scale = 1.0
        self.recent: deque[int] = deque()

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        step = stats.step
        while self.recent and self.recent[0] <= step - self.window:
            self.recent.popleft()
        if troubled(stats, events):
            self.recent.append(step)
            if len(self.recent) >= self.after and self.scale * self.factor >= self.min_scale:
                self.recent.clear()
                self.scale *= self.factor
                return Decision(lr_factor=self.factor, reason="lr_backoff",
                                evidence={"factor": self.factor, "lr_scale": self.scale, "troubled_steps": self.after,
                                          "window": self.window, "lrs_before": list(stats.lrs)})
            return Decision()
        if self.restore_steps is not None and self.scale < 1.0 and not self.recent:
            up = min(self.factor ** (-1.0 / self.restore_steps), 1.0 / self.scale)
            self.scale = 1.0 if math.isclose(self.scale * up, 1.0) else self.scale * up
            return Decision(lr_factor=up, evidence={"lr_scale": self.scale, "restoring": True})
        return Decision()

    def state_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "recent": list(self.recent)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scale, self.recent = float(state["scale"]), deque(int(s) for s in state["recent"])

    def __repr__(self) -> str:
        return f"backoff_lr(factor={self.factor}, after={self.after}, restore_steps={self.restore_steps})"
