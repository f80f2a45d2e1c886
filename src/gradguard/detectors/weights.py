"""Weight norms growing without bound."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..events import Event
from ..stats import StepStats
from ._checks import at_least, positive


class WeightGrowthDetector:
    r"""Raises ``weight_growth`` when a layer's weight norm keeps multiplying.

    Keeps the last ``window`` weight norms per layer (bounded: layers x window floats). Fires for a layer when
    its norm grew by at least ``factor`` over the window *and* grew in each half of it (steady growth, not one
    jump), naming the layers in model order; a layer re-arms once its growth over the window falls below
    :math:`\sqrt{factor}`.

    Growth is measured from ``max(norm at the window's start, floor)``, where the floor is ``floor`` times the
    median of the layers' first non-zero weight norms: a weight that starts at (or near) zero — a zero-initialised
    residual projection, head or layer scale — grows by design and is not a weight growing without bound until
    it is many times the model's usual layer scale.

    Args:
        window: steps (default 100).
        factor: growth over the window (default 4.0).
        floor: the scale floor as a fraction of the median first layer norm (default 0.5).
    """

    def __init__(self, num_layers: int, *, window: int = 100, factor: float = 4.0, floor: float = 0.5) -> None:
        self.size = at_least("window", window, 4)
        self.factor = positive("factor", factor)
        if self.factor <= 1:
            from ..errors import ConfigError

            raise ConfigError("factor", factor, "a number > 1 (growth over the window)")
        self.floor = positive("floor", floor)
        self.scale = math.nan  # floor x the median first non-zero layer norm, set at the first finite step
        self.ring = np.full((self.size, num_layers), np.nan)
        self.count = 0
        self.reported = np.zeros(num_layers, dtype=bool)

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        w = stats.layer_weight_norm
        if not np.all(np.isfinite(w)):
            return []
        if math.isnan(self.scale):
            nonzero = w[w > 0]
            self.scale = self.floor * float(np.median(nonzero)) if nonzero.size else math.nan
        self.ring[self.count % self.size] = w
        self.count += 1
        if self.count < self.size:
            return []
        oldest = self.ring[self.count % self.size]
        middle = self.ring[(self.count + self.size // 2) % self.size]
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = w / (np.fmax(oldest, self.scale) if self.scale > 0 else oldest)
            steady = (middle > oldest) & (w > middle)
        growing = (growth >= self.factor) & steady
        self.reported &= ~(growth < math.sqrt(self.factor))
        new = np.flatnonzero(growing & ~self.reported)
        if new.size == 0:
            return []
        self.reported[new] = True
        return [Event(
            step=stats.step, kind="weight_growth", severity="warning",
            message=f"weight norm of {new.size} layer(s) grew {float(np.max(growth[new])):.1f}x in {self.size} steps",
            layers=tuple(layer_names[i] for i in new),
            evidence={"window": self.size, "factor": self.factor, "scale_floor": self.scale,
                      "layers": {layer_names[i]: {"weight_norm": float(w[i]), "weight_norm_window_start":
                                                  float(oldest[i]), "growth": float(growth[i])} for i in new}},
        )]

    def state_dict(self) -> dict[str, Any]:
        return {"ring": self.ring.tolist(), "count": self.count, "reported": self.reported.tolist(),
                "scale": self.scale}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.ring = np.asarray(state["ring"], dtype=np.float64)
        self.count = int(state["count"])
        self.reported = np.asarray(state["reported"], dtype=bool)
        self.scale = float(state.get("scale", math.nan))
