"""NaN/Inf in the loss, the gradients or the weights, caught at the step they appear (no warm-up)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..events import Event
from ..stats import StepStats


class NonFiniteDetector:
    """Raises ``nonfinite`` (or ``amp_overflow`` when a GradScaler is in use and only gradients overflowed).

    A GradScaler overflow is the scaler's normal business (it skips the step and halves its scale) and is
    reported as ``amp_overflow`` — until it repeats past what the scaler can absorb: ``amp_patience``
    consecutive overflows (default 8) or a scale below ``min_scale`` (default 1.0), when the gradients are
    non-finite at any scale and the event becomes ``nonfinite``.

    Layers are listed in model order (input side first); the evidence holds each layer's count of NaN/Inf
    gradient elements. Weights are checked through their norms: the weights a step's gradient was taken at are
    the weights the previous step produced, so a non-finite weight at step ``t`` was written by step ``t-1``.
    """

    def __init__(self, amp_patience: int = 8, min_scale: float = 1.0) -> None:
        from ._checks import at_least, positive

        self.amp_patience = at_least("amp_patience", amp_patience, 1)
        self.min_scale = positive("min_scale", min_scale)
        self.overflows = 0

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        if stats.grads_finite and stats.weights_finite and stats.loss_finite:  # the common case, scalars only
            self.overflows = 0
            return []
        events: list[Event] = []
        bad_w = np.flatnonzero(~np.isfinite(stats.layer_weight_norm))
        if bad_w.size:
            events.append(Event(
                step=stats.step, kind="nonfinite", severity="critical",
                message=f"weights of {bad_w.size} layer(s) are NaN/Inf (written by an earlier step)",
                layers=tuple(layer_names[i] for i in bad_w), evidence={"where": "weights"},
            ))
        if not stats.grads_finite:
            counts = stats.layer_grad_nonfinite
            bad = np.flatnonzero(counts != 0)
            self.overflows = self.overflows + 1 if stats.scale is not None else 0
            amp = stats.scale is not None and self.overflows < self.amp_patience and stats.scale >= self.min_scale
            if amp:
                message = f"GradScaler overflow at scale {stats.scale:g}: the scaler skips the step, lowers the scale"
            elif stats.nonfinite_grads == 0:  # every element finite, but the sum of squares overflowed
                bad = np.flatnonzero(~np.isfinite(stats.layer_grad_norm) & stats.layer_has_grad)
                worst = int(np.nanargmax(stats.layer_grad_maxabs)) if np.isfinite(stats.layer_grad_maxabs).any() else 0
                message = (f"the gradient norm overflowed although every element is finite (largest |g| "
                           f"{float(stats.layer_grad_maxabs[worst]):.3g}, in {layer_names[worst]}); "
                           f"{bad.size} layer norm(s) non-finite")
            else:
                message = f"{stats.nonfinite_grads} NaN/Inf gradient element(s) in {bad.size} layer(s)"
                if stats.scale is not None:
                    message += f" ({self.overflows} overflows in a row, scale {stats.scale:g}: beyond the scaler)"
            events.append(Event(
                step=stats.step, kind="amp_overflow" if amp else "nonfinite", severity="info" if amp else "critical",
                message=message, layers=tuple(layer_names[i] for i in bad),
                evidence={"where": "gradients", "grad_norm": stats.grad_norm,
                          "nonfinite_per_layer": {layer_names[i]: int(counts[i]) for i in bad},
                          "scale": stats.scale, "consecutive_overflows": self.overflows},
            ))
        else:
            self.overflows = 0
        if not stats.loss_finite:
            events.append(Event(
                step=stats.step, kind="nonfinite", severity="critical", message=f"loss is {stats.loss}",
                evidence={"where": "loss", "loss": stats.loss},
            ))
        return events

    def state_dict(self) -> dict[str, Any]:
        return {"overflows": self.overflows}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.overflows = int(state.get("overflows", 0))
