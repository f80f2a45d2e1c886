"""What a policy decides for one step, and what the guard reports back to the training loop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .events import Event

__all__ = ["Decision", "NoState", "StepReport"]


class NoState:
    """Mixin for a policy that keeps no state: ``state_dict`` is empty and loading one does nothing."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None


@dataclass(frozen=True)
class Decision:
    """A policy's verdict on one step. Pure data: only the guard acts on it.

    The guard applies a step's gradient changes in one fused pass: every gradient of layer ``l`` is multiplied by
    ``clip_coef * layer_clip_coefs[l]``, then clamped to ``[-clip_value, clip_value]``.

    Attributes:
        skip: do not apply this step (the optimizer, scheduler and scaler state stay as they were).
        reason: short machine-readable reason for a skip or a clip (``"nonfinite_grad"``, ``"clip_norm"``...).
        clip_coef: factor the gradients are multiplied by before the step, in (0, 1]; 1.0 leaves them as is.
        evidence: the numbers behind the decision (JSON-serialisable).
        clip_value: clamp every gradient element to ``[-clip_value, clip_value]`` (None: no clamp).
        layer_clip_coefs: one factor in (0, 1] per layer (the inventory's layer order), or None.
        rollback: restore the last good snapshot instead of stepping (implies ``skip``).
        lr_factor: multiply every param group's learning rate by this (> 0; 1.0 leaves it).
        halt: stop training: the guard records the step and raises :class:`~gradguard.TrainingHalted`.
    """

    skip: bool = False
    reason: str | None = None
    clip_coef: float = 1.0
    evidence: Mapping[str, Any] = field(default_factory=dict)
    clip_value: float | None = None
    layer_clip_coefs: tuple[float, ...] | None = None
    rollback: bool = False
    lr_factor: float = 1.0
    halt: bool = False

    @property
    def clips(self) -> bool:
        """Whether the gradients are changed before the step."""
        return (self.clip_coef < 1.0 or self.clip_value is not None
                or (self.layer_clip_coefs is not None and min(self.layer_clip_coefs, default=1.0) < 1.0))

    @property
    def acts(self) -> bool:
        """Whether the decision asks the guard to do anything beyond a plain ``optimizer.step()``."""
        return self.skip or self.rollback or self.halt or self.lr_factor != 1.0 or self.clips


@dataclass(frozen=True)
class StepReport:
    """What ``Guard.step`` did, returned to the training loop.

    Attributes:
        step: optimizer-step index, 0-based (skipped steps count).
        applied: whether ``optimizer.step()`` ran.
        reason: why the step was skipped, clipped or rolled back, None when it ran untouched.
        loss: the loss passed in (None when none was given).
        grad_norm: global gradient L2 norm before clipping (unscaled).
        clip_coef: post-clip norm / pre-clip norm (1.0: not clipped). Exact for norm and per-layer clipping; for
            value clipping, the factor before the clamp (an upper bound).
        events: events raised at this step, the guard's own actions (clip, skip, rollback, lr_change) included.
        rolled_back_to: the step whose state was restored (the snapshot was taken after it), or None.
        skip_batches: step indices whose updates the rollback discarded and whose batches should not be fed again
            (see :class:`gradguard.SkipBatches`).
        reset_state: a state the loop carries from batch to batch (an RNN hidden state, a registered buffer) is
            non-finite and must be reset before the next batch (``reset_reason`` says which); see
            :meth:`gradguard.Guard.on_reset`.
        reset_reason: why ``reset_state`` is set, else None.
    """

    step: int
    applied: bool
    reason: str | None
    loss: float | None
    grad_norm: float
    clip_coef: float = 1.0
    events: tuple[Event, ...] = ()
    rolled_back_to: int | None = None
    skip_batches: tuple[int, ...] = ()
    reset_state: bool = False
    reset_reason: str | None = None

    @property
    def skipped(self) -> bool:
        return not self.applied
