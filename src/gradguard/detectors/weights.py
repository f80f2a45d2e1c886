"""Weight norms growing without bound."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..events import Event
from ..stats import StepStats
from ._checks import at_least, positive


class WeightGrowthDetector:
    r"""Raises ``weight_growth`` when the model's weights keep multiplying.

    Keeps the last ``window`` weight norms per layer (bounded: layers x window floats). Fires when, over the window
    (or since the first step while the run is younger than the window, from ``min_steps`` on), and growing in
    each half of it (steady growth, not one jump):

    * the model's global weight norm grew by at least ``factor`` — the model as a whole is growing; or
    * one layer's norm grew by at least ``layer_factor`` — a layer blowing up while the rest stays put.

    A layer's growth is measured from ``max(norm at the window's start, floor)``, where the floor is ``floor`` times
    the median of the layers' first non-zero weight norms: a weight that starts at (or near) zero — a
    zero-initialised residual projection, head or layer scale — grows by design. Once the model is bound
    (:meth:`bind_model`, the guard does it), a layer counts as grown only while its norm is above its *reference
    scale* — the norm PyTorch's default init gives a tensor of its shape (std ``1 / sqrt(3 fan_in)`` per matrix and
    bias, 1 per embedding row element and per other vector element) — and the global rule only while the global
    norm is above the layers' reference norms together: small-init embeddings and factor models (a skip-gram at
    0.06x, a factorisation machine at 0.12-0.5x, NeuMF at 0.19x of that scale) grow ten-fold towards it by design,
    while every learning rate blow-up of the corpus fired with its named layers at 2.2-180x of it. Single layers of
    healthy runs grow several-fold early in training (x4-6 in 100 steps measured for ConvNeXt's pointwise
    convolutions and an LSTM LM's embeddings at SGD lr 20) while the global norm moves by x1.4-2.3; a model without
    weight decay on separable data grows x7 globally in 25 steps. The layers named are those that grew at least
    :math:`\sqrt{factor}` times, in model order; the rule re-arms once the growth falls below :math:`\sqrt{factor}`.

    Args:
        window: steps (default 100).
        factor: global weight-norm growth over the window (default 4.0).
        layer_factor: one layer's growth over the window (default 16.0).
        floor: the scale floor as a fraction of the median first layer norm (default 0.5).
        min_steps: steps before it may fire (default 10).
    """

    def __init__(self, num_layers: int, *, window: int = 100, factor: float = 4.0, layer_factor: float = 16.0,
                 floor: float = 0.5, min_steps: int = 10) -> None:
        self.size = at_least("window", window, 4)
        self.factor = positive("factor", factor)
        self.layer_factor = positive("layer_factor", layer_factor)
        for name, value in (("factor", factor), ("layer_factor", layer_factor)):
            if value <= 1:
                from ..errors import ConfigError

                raise ConfigError(name, value, "a number > 1 (growth over the window)")
        self.floor = positive("floor", floor)
        self.min_steps = at_least("min_steps", min_steps, 2)
        self.scale = math.nan  # floor x the median first non-zero layer norm, set at the first finite step
        self.ring = np.full((self.size, num_layers), np.nan)
        self.global_ring = np.full(self.size, np.nan)  # the global weight norm of the same steps
        self.count = 0
        self.reported = np.zeros(num_layers, dtype=bool)
        self.reported_global = False
        self._t, self._above = np.empty(num_layers), np.empty(num_layers, dtype=bool)  # scratch rows
        self._reference_of: dict[str, float] = {}  # layer name -> reference norm (set by bind_model)
        self._reference: np.ndarray | None = None  # aligned with the layer names of the latest call
        self._reference_global = 0.0

    def bind_model(self, model: Any, loss_fn: Any = None) -> None:
        """Learn each layer's reference scale from its parameters' shapes (the guard calls this once)."""
        self._reference_of = reference_norms(model)
        self._reference = None

    def _references(self, layer_names: list[str]) -> np.ndarray | None:
        ref = self._reference
        if self._reference_of and (ref is None or len(ref) != len(layer_names)):
            ref = self._reference = np.array([self._reference_of.get(n, 0.0) for n in layer_names])
            self._reference_global = float(np.sqrt(np.dot(ref, ref)))
        return ref

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        w = stats.layer_weight_norm
        if not stats.weights_finite and not np.all(np.isfinite(w)):  # a finite sum: every norm finite
            return []
        if math.isnan(self.scale):
            nonzero = w[w > 0]
            self.scale = self.floor * float(np.median(nonzero)) if nonzero.size else math.nan
        self.ring[self.count % self.size] = w
        g_now = stats.weight_norm
        self.global_ring[self.count % self.size] = g_now
        self.count += 1
        if self.count < self.min_steps:
            return []
        span = min(self.count - 1, self.size - 1)
        i_old, i_mid = (self.count - 1 - span) % self.size, (self.count - 1 - span // 2) % self.size
        g_old, g_mid = float(self.global_ring[i_old]), float(self.global_ring[i_mid])
        global_growth = g_now / g_old if g_old > 0 else math.nan
        low = math.sqrt(self.factor)
        if global_growth < low and not self.reported_global and not np.count_nonzero(self.reported):
            # the common case: the model as a whole has not grown; only a single layer's x layer_factor can fire
            # (w > layer_factor * fmax(oldest, scale or 0), in place on preallocated rows)
            t, above = self._t, self._above
            np.fmax(self.ring[i_old], self.scale if self.scale > 0 else 0, out=t)
            np.multiply(t, self.layer_factor, out=t)
            if not np.count_nonzero(np.greater(w, t, out=above)):
                return []
        oldest, middle = self.ring[i_old], self.ring[i_mid]
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = w / (np.fmax(oldest, self.scale) if self.scale > 0 else oldest)
            steady = (middle > oldest) & (w > middle)
        self.reported &= ~(growth < low)
        if self.reported_global and not global_growth >= low:
            self.reported_global = False
        ref = self._references(layer_names)
        if ref is not None:  # under its reference scale a layer has not grown without bound (see the docstring)
            steady &= w > ref
        whole = (global_growth >= self.factor and g_old < g_mid < g_now and not self.reported_global
                 and (ref is None or g_now > self._reference_global))
        single = (growth >= self.layer_factor) & steady & ~self.reported
        if not whole and not single.any():
            return []
        grown = single | ((growth >= low) & steady) if whole else single
        new = np.flatnonzero(grown & ~self.reported)
        self.reported[new] = True
        self.reported_global |= whole
        what = (f"global weight norm grew {global_growth:.1f}x" if whole
                else f"weight norm of {new.size} layer(s) grew {float(np.max(growth[new])):.1f}x")
        return [Event(
            step=stats.step, kind="weight_growth", severity="warning",
            message=f"{what} in {span} steps" + (f"; most in {', '.join(layer_names[i] for i in new[:3])}"
                                                   if new.size else ""),
            layers=tuple(layer_names[i] for i in new),
            evidence={"rules": (["global"] if whole else []) + (["layer"] if single.any() else []),
                      "window": span, "factor": self.factor, "layer_factor": self.layer_factor,
                      "global_weight_norm": g_now, "global_weight_norm_window_start": g_old,
                      "global_growth": global_growth, "scale_floor": self.scale,
                      "global_reference_norm": self._reference_global if ref is not None else None,
                      "layers": {layer_names[i]: {"weight_norm": float(w[i]), "weight_norm_window_start":
                                                  float(oldest[i]), "growth": float(growth[i]),
                                                  "reference_norm": float(ref[i]) if ref is not None else None}
                                 for i in new}},
        )]

    def state_dict(self) -> dict[str, Any]:
        return {"ring": self.ring.tolist(), "global_ring": self.global_ring.tolist(), "count": self.count,
                "reported": self.reported.tolist(),
                "reported_global": self.reported_global, "scale": self.scale}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.ring = np.asarray(state["ring"], dtype=np.float64)
        gr = state.get("global_ring")
        self.global_ring = (np.asarray(gr, dtype=np.float64) if gr is not None
                            else np.sqrt(np.einsum("ij,ij->i", self.ring, self.ring)))
        self.count = int(state["count"])
        self.reported = np.asarray(state["reported"], dtype=bool)
        self.reported_global = bool(state.get("reported_global", False))
        self.scale = float(state.get("scale", math.nan))


def reference_norms(model: Any) -> dict[str, float]:
    """Each layer's reference norm: what PyTorch's default init gives tensors of its parameters' shapes.

    Matrices and convolution kernels: std ``1 / sqrt(3 fan_in)`` (``kaiming_uniform_(a=sqrt(5))``, the default of
    ``nn.Linear``/``nn.Conv*``); a bias: the same with its layer's fan-in; an embedding table: std 1; any other
    vector (a norm's scale, a layer scale): 1 per element. Keyed by layer name (:func:`gradguard.inventory.layer_name`).
    """
    from torch import nn

    from .._tensors import default_init_std
    from ..inventory import layer_name

    model = getattr(model, "_orig_mod", model)
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, (nn.Embedding, nn.EmbeddingBag))}
    sums: dict[str, float] = {}
    fan_of: dict[str, int] = {}
    params = list(model.named_parameters())
    for name, p in params:
        if p.dim() >= 2 and id(p) not in embeddings:
            fan_of.setdefault(layer_name(name), max(1, p[0].numel()))
    for name, p in params:
        key = layer_name(name)
        if id(p) in embeddings:
            var = 1.0
        elif p.dim() >= 2:
            var = default_init_std(p[0].numel()) ** 2
        elif name.rsplit(".", 1)[-1].startswith("bias") and key in fan_of:
            var = default_init_std(fan_of[key]) ** 2
        else:
            var = 1.0
        sums[key] = sums.get(key, 0.0) + var * p.numel()
    return {k: math.sqrt(v) for k, v in sums.items()}
