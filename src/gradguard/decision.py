"""What a policy decides for one step, and what the guard reports back to the training loop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .events import Event

__all__ = ["Decision", "StepReport"]


@dataclass(frozen=True)
class Decision:
    """A policy's verdict on one step. Pure data: only the guard acts on it.

    Attributes:
        skip: do not apply this step (the optimizer, scheduler and scaler state stay as they were).
        reason: short machine-readable reason for a skip or a clip (``"nonfinite_grad"``, ``"clip_norm"``...).
        clip_coef: factor the gradients are multiplied by before the step, in (0, 1]; 1.0 leaves them as is.
        evidence: the numbers behind the decision (JSON-serialisable).
    """

    skip: bool = False
    reason: str | None = None
    clip_coef: float = 1.0
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepReport:
    """What ``Guard.step`` did, returned to the training loop.

    Attributes:
        step: optimizer-step index, 0-based (skipped steps count).
        applied: whether ``optimizer.step()`` ran.
        reason: why the step was skipped or clipped, None when it ran untouched.
        loss: the loss passed in (None when none was given).
        grad_norm: global gradient L2 norm before clipping (unscaled).
        clip_coef: the factor gradients were multiplied by (1.0: not clipped).
        events: events raised at this step.
    """

    step: int
    applied: bool
    reason: str | None
    loss: float | None
    grad_norm: float
    clip_coef: float = 1.0
    events: tuple[Event, ...] = ()

    @property
    def skipped(self) -> bool:
        return not self.applied
