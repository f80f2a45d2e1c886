"""Vanishing gradients: a layer whose gradient is orders of magnitude below its weights and the other layers."""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np
import torch

from ..events import Event
from ..stats import StepStats, UpdateStats
from ._checks import at_least, positive

#: a gradient at most this fraction of the liveliest layer's is numerically zero (float32 rounding of a sum that
#: cancels exactly)
ZERO = 1e-8
#: a vanish event is information, not a warning, while the median of the last ``patience`` losses is at most this
#: fraction of the median of the run's first 10: the run learns without those layers (TiDE's LayerNorms behind its
#: residual MLPs, at 0.25-0.11 of its start; every vanish event of a broken corpus run that came in time stood at
#: 0.98-1.01, a run that does not learn)
LEARNING_SHARE = 0.5


class VanishDetector:
    r"""Raises ``vanish`` when layers have stopped learning, persistently.

    A layer counts as vanished at a step when all of these hold:

    * :math:`\lVert g_\ell\rVert / \min(\lVert w_\ell\rVert, \lVert w_\ell^{(0)}\rVert) <` ``weight_ratio`` (its
      update would be negligible, against the smaller of the weights now and the layer's first weight norm: a
      gradient that looks small only because the weights blew up is not a vanishing gradient);
    * :math:`\lVert g_\ell\rVert / \max_k \lVert g_k\rVert <` ``layer_ratio`` (orders of magnitude below the
      liveliest layer, the signature of a gradient shrinking through depth);
    * its gradient has not risen ``waking`` times above its lowest value since the streak began: a layer behind a
      zero-initialised gate or layer scale (ConvNeXt's 1e-6 layer scale) has a tiny gradient that grows a
      thousand-fold as the gate opens, while a vanishing gradient stays put (within x4 in the measured deep
      sigmoid and tanh stacks);
    * and, once the guard has measured an update (:class:`~gradguard.stats.UpdateStats`, every ``update_every``
      steps), that update moved the layer by less than ``moving`` x the learning rate relative to its norm: Adam
      moves a layer with a tiny but non-zero gradient by about lr / rms(w) per step (a LayerNorm behind ConvNeXt's
      1e-6 layer scale at lr 1e-4: 1.4 lr; an encoder LayerNorm of Speech2Text at warm-up, whose noisy gradient
      makes Adam's normalised step smaller: 0.48 lr), so it is learning; a vanishing layer under SGD moves by
      lr x g/w (at most 1e-5 lr in the measured sigmoid/tanh stacks), and weight decay alone moves one by
      lr x wd <= 0.1 lr. For a layer whose weight matrices' RMS (at binding) is above 1 the bar is ``moving`` x
      lr / rms, the same share of Adam's sign-like step: Mamba's ``A_log`` (log 1..16, RMS 2.1, gradient 6e-8 of
      the weights) moves by 0.16-0.18 lr at AdamW 1e-3 while the LM learns, a LinearAttention's ``randn`` memory
      (RMS 1.15) of lucidrains' diffusion U-Net by 0.15-0.3 lr (real-code round 11); decay alone stays under the
      bar while rms <= 2 at wd 0.1.

    * and it is not cut off by construction: a layer whose gradient was zero at the run's first measured step
      while a layer earlier in the model (parameter order) had a live one (at least ``layer_ratio`` of the
      liveliest), and has stayed zero since. Zero means numerically zero: at most ``ZERO`` (1e-8) of the
      liveliest layer's norm, float32's rounding of a sum that cancels exactly (MobileBERT's query, key and
      bottleneck attention: 1e-11 to 8e-10 of the liveliest from the first step on). The gradient then reached
      the layers before it by another path from the start: the query and key of an attention over a single
      token, whose softmax is 1 whatever the score (a 1x1 last stage of a hierarchical ViT, LeViT's last stage).
      Units dead at initialisation starve every layer before them too, and units that die later were live at
      the first step, so neither is excused;

    * and, for a layer whose parameters are all vectors or scalars (a normalisation's gain and bias, a layer scale,
      a learnable affine), a layer with a weight matrix (2-D or more) is starved with it at the same step: a gain
      feeding a scale-invariant operation (a LayerNorm before the next one, a BatchNorm'd convolution) has a
      near-zero gradient by construction while everything around it learns (the LayerNorm gains of MobileViT, CvT
      and SwiftFormer under AdamW: gradient 1e-6 to 1e-7 of their weights, Adam moving them by 0.07-0.2 lr),
      whereas a gradient vanishing through depth starves the weight matrices. A model without any matrix layer
      (``bind_model`` not called, or none found) keeps the plain rule.

    The event fires when a layer has been vanished for ``patience`` consecutive steps, naming every layer that
    just crossed (model order, input side first); a layer re-arms once it recovers. It is ``info``, not a warning,
    while the median of the last ``patience`` losses is at most :data:`LEARNING_SHARE` (0.5) of the median of the
    first 10 (``evidence["loss_vs_start"]``): the run learns without those layers. Layers with no gradient
    this step are left out; an all-zero gradient counts as vanished (a dead layer). When *every* layer's gradient
    is exactly zero while the loss is not (no layer is the liveliest: an LSTM initialised to zeros read through
    ``|h_a - h_b|``, whose derivative at 0 is 0), nothing learns at all: that fires too after ``patience`` such
    steps in a row, naming every layer.

    Args:
        weight_ratio: default 1e-5.
        layer_ratio: default 1e-3.
        patience: consecutive steps (default 20).
        waking: rise above the streak's lowest gradient that marks a layer coming alive (default 10).
        moving: measured update-to-weight ratio, in units of the largest learning rate, above which a layer is
            still learning (default 0.2: between weight decay's <= 0.1 and Adam's >= 0.48 measured).
    """

    def __init__(self, num_layers: int, *, weight_ratio: float = 1e-5, layer_ratio: float = 1e-3,
                 patience: int = 20, waking: float = 10.0, moving: float = 0.2) -> None:
        self.weight_ratio = positive("weight_ratio", weight_ratio)
        self.layer_ratio = positive("layer_ratio", layer_ratio)
        self.patience = at_least("patience", patience, 1)
        self.waking = positive("waking", waking)
        self.moving = positive("moving", moving)
        self.update_ratio = np.full(num_layers, np.nan)  # each layer's latest measured update-to-weight ratio
        self.streak = np.zeros(num_layers, dtype=np.int64)
        self.reported = np.zeros(num_layers, dtype=bool)
        self.streak_min = np.full(num_layers, np.inf)  # the lowest gradient norm of each layer's current streak
        self.first_weight = np.full(num_layers, np.nan)  # each layer's first finite weight norm
        self._first_missing = True
        self._streaking = False
        self.cut: np.ndarray | None = None  # layers cut off by construction (see above); None before the first step
        self._vector_of: dict[str, bool] | None = None  # from bind_model: layer name -> all its parameters <= 1-D
        self._matrix_rms_of: dict[str, float] = {}  # from bind_model: layer name -> its matrices' RMS at binding
        self._bar: np.ndarray | None = None  # per layer, min(1, 1 / that RMS), aligned with the names
        self.vector: np.ndarray | None = None  # per layer, set at the first call when bind_model gave the names
        self.all_zero = 0  # consecutive steps on which every gradient was exactly zero (and the loss was not)
        self.start_losses: list[float] = []  # the run's first 10 finite losses
        self.recent_losses: deque[float] = deque(maxlen=self.patience)  # the last `patience` finite losses

    def bind_model(self, model: Any, loss_fn: Any = None) -> None:
        """Learn which layers hold only vector or scalar parameters (the guard calls this once)."""
        from ..inventory import layer_name

        model = getattr(model, "_orig_mod", model)
        kinds: dict[str, bool] = {}
        sums: dict[str, tuple[float, int]] = {}
        for name, p in model.named_parameters():
            key = layer_name(name)
            kinds[key] = kinds.get(key, True) and p.dim() <= 1
            if p.dim() >= 2 and p.numel():
                with torch.no_grad():
                    sq = float(p.detach().float().pow(2).sum())
                old = sums.get(key, (0.0, 0))
                sums[key] = (old[0] + sq, old[1] + p.numel())
        self._vector_of = kinds
        self._matrix_rms_of = {k: math.sqrt(sq / n) for k, (sq, n) in sums.items() if math.isfinite(sq)}
        self._bar = None

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        g = stats.layer_grad_norm
        w = stats.layer_weight_norm
        loss = stats.loss
        if loss is not None and math.isfinite(loss):
            self.recent_losses.append(loss)
            if len(self.start_losses) < 10:
                self.start_losses.append(loss)
        if not stats.grads_finite or not stats.weights_finite:
            return []
        if self._first_missing:
            self.first_weight = np.where(np.isnan(self.first_weight), w, self.first_weight)
            self._first_missing = bool(np.isnan(self.first_weight).any())
        top = float(np.fmax.reduce(g))  # the largest layer norm, passing over layers without a gradient (NaN)
        if top == 0.0 and stats.loss != 0.0:
            return self._all_zero(stats, layer_names)
        self.all_zero = 0
        if not top > 0 or not (g < top * self.layer_ratio).any():  # the common case: every layer is alive
            if self.cut is None and top > 0:
                self.cut = np.zeros(len(g), dtype=bool)  # the first step had no layer cut off
            elif self.cut is not None and self.cut.any():
                self.cut &= ~(g > ZERO * top)
            if self._streaking:
                self.streak[:] = 0
                self.reported[:] = False
                self._streaking = False
            return []
        live = stats.layer_has_grad & np.isfinite(g)
        if live.sum() < 2:
            return []
        self._streaking = True
        with np.errstate(divide="ignore", invalid="ignore"):
            to_top = g / top
            w_ref = np.fmin(w, self.first_weight)
            to_w = np.where(w_ref > 0, g / w_ref, np.inf)
        starved = live & (to_w < self.weight_ratio) & (to_top < self.layer_ratio)
        if self.cut is None:  # the first measured step: which layers are cut off by construction
            lively = np.logical_or.accumulate(live & (to_top >= self.layer_ratio))
            self.cut = live & (g <= ZERO * top) & np.concatenate(([False], lively[:-1]))
        else:
            self.cut &= ~(g > ZERO * top)  # a cut layer that ever gets a gradient is an ordinary layer from then on
        starved &= ~self.cut
        if self.vector is None and self._vector_of is not None:
            vec = np.array([self._vector_of.get(n, False) for n in layer_names], dtype=bool)
            self.vector = vec if vec.size == len(g) and not vec.all() else np.zeros(len(g), dtype=bool)
        if self.vector is not None and self.vector.any() and not (starved & ~self.vector).any():
            starved &= ~self.vector  # gains alone: no weight matrix starves with them
        lr = max(stats.lrs, default=0.0)
        if lr > 0 and starved.any():  # a layer the optimizer still moves is learning (NaN: not measured yet)
            starved &= ~(self.update_ratio >= self.moving * lr * self._bar_scale(layer_names))
        # a gradient that rose `waking` times above its low point in the streak is coming alive (a layer behind a
        # zero-initialised gate or layer scale that is opening), not vanishing
        low = np.where(self.streak > 0, np.fmin(self.streak_min, g), g)
        vanished = starved & ~(g > self.waking * low)
        self.streak = np.where(vanished, self.streak + 1, 0)
        self.streak_min = np.where(vanished, low, np.inf)
        self.reported &= vanished
        new = np.flatnonzero((self.streak >= self.patience) & ~self.reported)
        if new.size == 0:
            return []
        self.reported[new] = True
        evidence: dict[str, Any] = {
            "weight_ratio": self.weight_ratio, "layer_ratio": self.layer_ratio, "patience": self.patience,
            "max_layer_grad_norm": float(top),
            "layers": {layer_names[i]: {"grad_norm": float(g[i]), "weight_norm": float(w[i]),
                                        "first_weight_norm": float(self.first_weight[i]),
                                        "grad_to_weight": float(to_w[i]), "grad_to_max_layer": float(to_top[i])}
                       for i in new},
        }
        share = self._loss_share()
        learning = share is not None and share <= LEARNING_SHARE
        if share is not None:
            evidence["loss_vs_start"] = share
        return [Event(step=stats.step, kind="vanish", severity="info" if learning else "warning",
                      message=f"{new.size} layer(s) stopped learning: gradient < {self.weight_ratio:g} of the "
                              f"weights and < {self.layer_ratio:g} of the liveliest layer for {self.patience} steps"
                              + (f"; the loss has come down to {share:.2f} of its start meanwhile: the run learns "
                                 "without them" if learning else ""),
                      layers=tuple(layer_names[i] for i in new), evidence=evidence)]

    def _bar_scale(self, layer_names: list[str]) -> np.ndarray | float:
        """Per layer, ``min(1, 1 / rms)`` of its weight matrices at binding (biases and gains left out: a ReLU bias
        set to -10 is not a large weight): the moving bar in units of Adam's sign-like step above RMS 1 (1 for a
        layer without matrices, or when the model was not bound)."""
        bar = self._bar
        if self._matrix_rms_of and (bar is None or bar.size != len(layer_names)):
            rms = np.array([self._matrix_rms_of.get(n, 0.0) for n in layer_names], dtype=np.float64)
            bar = self._bar = np.where(rms > 1, 1 / np.where(rms > 1, rms, 1.0), 1.0)
        return 1.0 if bar is None or bar.size != len(layer_names) else bar

    def _loss_share(self) -> float | None:
        """The median of the last ``patience`` losses over the start: the median of the first 10, or the first loss
        when lower (a run that diverged in its first steps has not "come down" by falling back from its blow-up: real
        code, S4D at lr x1000 back at chance was told "the loss has come down to 0.00 of its start"). None before 10
        losses or with a start that is not positive."""
        if len(self.start_losses) < 10 or not self.recent_losses:
            return None
        start = min(float(np.median(self.start_losses)), float(self.start_losses[0]))
        return float(np.median(list(self.recent_losses))) / start if start > 0 else None

    def _all_zero(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        """Every gradient exactly zero: count the steps and fire once at ``patience`` (see the class docstring)."""
        self.all_zero += 1
        if self.all_zero != self.patience:
            return []
        live = np.flatnonzero(stats.layer_has_grad)
        return [Event(step=stats.step, kind="vanish", severity="warning",
                      message=f"every layer's gradient has been exactly zero for {self.patience} steps while the "
                              "loss is not: nothing learns",
                      layers=tuple(layer_names[i] for i in live),
                      evidence={"all_zero_steps": self.all_zero, "loss": stats.loss, "patience": self.patience})]

    def observe_update(self, update: UpdateStats) -> None:
        """Remember each layer's latest measured update-to-weight ratio (the guard calls this)."""
        r = np.asarray(update.layer_update_ratio, dtype=np.float64)
        if r.shape == self.update_ratio.shape:
            self.update_ratio = np.where(np.isfinite(r), r, np.nan)

    def state_dict(self) -> dict[str, Any]:
        return {"streak": self.streak.tolist(), "reported": self.reported.tolist(),
                "streak_min": self.streak_min.tolist(), "update_ratio": self.update_ratio.tolist(),
                "first_weight": self.first_weight.tolist(),
                "cut": None if self.cut is None else self.cut.tolist(), "all_zero": self.all_zero,
                "start_losses": list(self.start_losses), "recent_losses": list(self.recent_losses)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.streak = np.asarray(state["streak"], dtype=np.int64)
        self.reported = np.asarray(state["reported"], dtype=bool)
        self.streak_min = np.asarray(state.get("streak_min", np.full(len(self.streak), np.inf)), dtype=np.float64)
        self.update_ratio = np.asarray(state.get("update_ratio", np.full(len(self.streak), np.nan)),
                                       dtype=np.float64)
        self.first_weight = np.asarray(state.get("first_weight", np.full(len(self.streak), np.nan)), dtype=np.float64)
        self._first_missing = bool(np.isnan(self.first_weight).any())
        self._streaking = bool(self.streak.any() or self.reported.any())
        cut = state.get("cut")
        self.cut = None if cut is None else np.asarray(cut, dtype=bool)
        self.all_zero = int(state.get("all_zero", 0))
        self.start_losses = [float(v) for v in state.get("start_losses", [])]
        self.recent_losses = deque((float(v) for v in state.get("recent_losses", [])), maxlen=self.patience)
