"""NaN/Inf in the loss, the gradients or the weights, caught at the step they appear (no warm-up)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..events import Event
from ..stats import StepStats


class NonFiniteDetector:
    """Raises ``nonfinite`` (or ``amp_overflow`` when a GradScaler is in use and only gradients overflowed).

    Layers are listed in model order (input side first); the evidence holds each layer's count of NaN/Inf
    gradient elements. Weights are checked through their norms: the weights a step's gradient was taken at are
    the weights the previous step produced, so a non-finite weight at step ``t`` was written by step ``t-1``.
    """

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
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
            amp = stats.scale is not None
            events.append(Event(
                step=stats.step, kind="amp_overflow" if amp else "nonfinite", severity="info" if amp else "critical",
                message=(f"GradScaler overflow at scale {stats.scale:g}: the scaler skips the step and lowers the scale"
                         if amp else f"{stats.nonfinite_grads} NaN/Inf gradient element(s) in {bad.size} layer(s)"),
                layers=tuple(layer_names[i] for i in bad),
                evidence={"where": "gradients", "grad_norm": stats.grad_norm,
                          "nonfinite_per_layer": {layer_names[i]: int(counts[i]) for i in bad},
                          "scale": stats.scale},
            ))
        if not stats.loss_finite:
            events.append(Event(
                step=stats.step, kind="nonfinite", severity="critical", message=f"loss is {stats.loss}",
                evidence={"where": "loss", "loss": stats.loss},
            ))
        return events

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None
