"""Clipping policies: by value, per layer, and adaptive (z-score on an EMA, percentile of a bounded history, AGC;
``safe``'s :class:`ClipAdaptive` lives in ``adaptive.py`` and is re-exported here).

Every policy decides on the host from :class:`~gradguard.stats.StepStats` (per-layer norms, max-abs, weight norms,
already read in the step's one host transfer); none touches a tensor. The guard applies their decisions in one
fused pass. A NaN or Inf norm never enters a history (the skip policies deal with such steps), and every history
is bounded and round-trips through ``state_dict`` and pickle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..decision import Decision, NoState
from ..events import Event
from ..stats import StepStats
from ._checks import at_least, fraction, percentile, positive
from .adaptive import ClipAdaptive

__all__ = ["ClipAdaptive", "ClipByPercentile", "ClipByValue", "ClipByZScore", "ClipPerLayer", "ClipUnitwise"]


class ClipByValue(NoState):
    r"""Clamp every gradient element to :math:`[-v, v]` (the "clip by value" of the seeds).

    Acts only on steps whose largest :math:`|g_i|` exceeds :math:`v` (known on the host from the step's max-abs).
    """

    def __init__(self, max_value: float) -> None:
        self.max_value = positive("max_value", max_value)

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        maxabs = float(np.nanmax(stats.layer_grad_maxabs, initial=0.0))
        if math.isfinite(maxabs) and maxabs > self.max_value:
            return Decision(clip_value=self.max_value, reason="clip_value",
                            evidence={"grad_maxabs": maxabs, "max_value": self.max_value})
        return Decision()

    def __repr__(self) -> str:
        return f"clip_by_value({self.max_value})"


def _layer_coefs(norms: np.ndarray, limits: np.ndarray) -> tuple[float, ...] | None:
    """``min(1, limit_l / norm_l)`` per layer, 1 where the norm is missing or not finite; None if all are 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        coefs = np.where(np.isfinite(norms) & (norms > limits), limits / norms, 1.0)
    if not (coefs < 1.0).any():
        return None
    return tuple(float(c) for c in coefs)


class ClipPerLayer(NoState):
    r"""Scale each layer's gradient by :math:`\min(1, c / \lVert g_l \rVert_2)`: norm clipping layer by layer."""

    def __init__(self, max_norm: float) -> None:
        self.max_norm = positive("max_norm", max_norm)

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        norms = stats.layer_grad_norm
        coefs = _layer_coefs(norms, np.full(len(norms), self.max_norm))
        if coefs is None:
            return Decision()
        worst = int(np.argmin(coefs))
        return Decision(layer_clip_coefs=coefs, reason="clip_layer",
                        evidence={"max_norm": self.max_norm, "layers_clipped": int(sum(c < 1 for c in coefs)),
                                  "worst_layer": worst, "worst_norm": float(norms[worst])})

    def __repr__(self) -> str:
        return f"clip_per_layer({self.max_norm})"


class ClipUnitwise(NoState):
    r"""Adaptive gradient clipping (AGC, Brock et al. 2021), per layer.

    Scales layer :math:`l` by :math:`\min\bigl(1, \lambda \max(\lVert W_l\rVert, \epsilon) / \lVert G_l\rVert\bigr)`
    so that :math:`\lVert G_l\rVert / \lVert W_l\rVert \le \lambda`. The paper applies the rule per unit (row of a
    weight matrix); gradguard applies it per layer (the Frobenius norms the step already measured), which needs no
    extra pass over the gradients and is looser than per-unit. The final layer is excluded by default, as in the
    paper.

    Args:
        ratio: :math:`\lambda` (default 0.01, the paper's value for large batches; raise it for small ones).
        eps: :math:`\epsilon`, the floor on the weight norm, so that zero-initialised layers can move (1e-3).
        exclude_last: leave the last layer (in the model's registration order) unclipped (default True).
    """

    def __init__(self, ratio: float = 0.01, eps: float = 1e-3, exclude_last: bool = True) -> None:
        self.ratio = positive("ratio", ratio)
        self.eps = positive("eps", eps)
        self.exclude_last = bool(exclude_last)

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        norms = stats.layer_grad_norm.copy()
        if self.exclude_last and len(norms):
            norms[-1] = np.nan
        limits = self.ratio * np.maximum(stats.layer_weight_norm, self.eps)
        coefs = _layer_coefs(norms, limits)
        if coefs is None:
            return Decision()
        return Decision(layer_clip_coefs=coefs, reason="clip_unitwise",
                        evidence={"ratio": self.ratio, "layers_clipped": int(sum(c < 1 for c in coefs)),
                                  "min_coef": min(coefs)})

    def __repr__(self) -> str:
        return f"clip_unitwise(ratio={self.ratio}, eps={self.eps}, exclude_last={self.exclude_last})"


class ClipByZScore:
    r"""Clip the global norm where it is an outlier against an EMA of its own history (as in ZClip, 2025).

    With :math:`\mu_t, \sigma_t^2` exponential moving mean and variance of the norm (decay :math:`\alpha`) and
    :math:`z = (\lVert g\rVert - \mu)/\max(\sigma, \rho\mu)`, a step with :math:`z > z_{thr}` is clipped to
    :math:`\mu + z_{thr}\max(\sigma, \rho\mu)`; the EMA is then fed the clipped norm, so a spike cannot inflate
    the threshold. The first ``warmup`` finite norms initialise :math:`\mu, \sigma`; during that warm-up a norm is
    clipped only where it exceeds ``warmup_growth`` times the median of the warm-up norms so far (the published
    ZClip clips to a fixed norm instead; no absolute scale is assumed here). NaN/Inf norms never enter the EMA, and
    the relative floor :math:`\rho` keeps an almost constant norm from being clipped for noise.

    Args:
        z_threshold: :math:`z_{thr}` (default 2.5, as ZClip).
        alpha: EMA decay (default 0.97, as ZClip).
        warmup: finite norms before clipping starts (default 25).
        min_rel_std: :math:`\rho` (default 0.05).
        warmup_growth: during warm-up, clip to this times the median of the warm-up norms so far (default 10;
            the warm-up history takes the clipped value).
    """

    def __init__(self, z_threshold: float = 2.5, alpha: float = 0.97, warmup: int = 25,
                 min_rel_std: float = 0.05, warmup_growth: float = 10.0) -> None:
        self.z_threshold = positive("z_threshold", z_threshold)
        self.alpha = fraction("alpha", alpha)
        self.warmup = at_least("warmup", warmup, 2)
        self.min_rel_std = positive("min_rel_std", min_rel_std)
        self.warmup_growth = positive("warmup_growth", warmup_growth)
        self.mean = 0.0
        self.var = 0.0
        self.count = 0
        self._warm: list[float] = []

    def _push(self, x: float) -> None:
        a = self.alpha
        self.mean = a * self.mean + (1 - a) * x
        self.var = a * self.var + (1 - a) * (x - self.mean) ** 2
        self.count += 1

    def threshold(self) -> float:
        """The norm above which the next step is clipped (inf during warm-up)."""
        if self.count < self.warmup:
            return math.inf
        return self.mean + self.z_threshold * max(math.sqrt(self.var), self.min_rel_std * self.mean)

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        norm = stats.grad_norm
        if not math.isfinite(norm) or norm <= 0:  # nothing to clip; a zero norm (no gradient) says nothing of scale
            return Decision()
        if self.count < self.warmup:
            cap = self.warmup_growth * float(np.median(self._warm)) if self._warm else math.inf
            self._warm.append(min(norm, cap))
            self.count += 1
            if self.count == self.warmup:
                self.mean, self.var = float(np.mean(self._warm)), float(np.var(self._warm))
                self._warm = []
            if norm <= cap:
                return Decision()
            return Decision(clip_coef=cap / norm, reason="clip_zscore",
                            evidence={"grad_norm": norm, "threshold": cap, "warmup": True,
                                      "warmup_growth": self.warmup_growth})
        limit = self.threshold()
        if norm <= limit:
            self._push(norm)
            return Decision()
        std = max(math.sqrt(self.var), self.min_rel_std * self.mean)
        evidence = {"grad_norm": norm, "threshold": limit, "ema_mean": self.mean, "ema_std": std,
                    "z": (norm - self.mean) / std, "z_threshold": self.z_threshold}
        self._push(limit)
        return Decision(clip_coef=limit / norm, reason="clip_zscore", evidence=evidence)

    def state_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "var": self.var, "count": self.count, "warm": list(self._warm)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean, self.var = float(state["mean"]), float(state["var"])
        self.count, self._warm = int(state["count"]), [float(x) for x in state["warm"]]

    def __repr__(self) -> str:
        return f"clip_by_zscore(z_threshold={self.z_threshold}, alpha={self.alpha}, warmup={self.warmup})"


class ClipByPercentile:
    r"""Clip the global norm to the :math:`p`-th percentile of its recent history (AutoClip, Seetharaman et al. 2020).

    The history is a ring of the last ``history`` finite norms (bounded memory, unlike the paper's full history);
    a step is clipped to :math:`\eta = P_p(\text{history})` when :math:`\lVert g\rVert > \eta`. The paper uses a low
    :math:`p` (10) and clips nearly every step; the default here (95) leaves healthy runs almost untouched. NaN/Inf
    norms never enter the ring; each norm enters capped at ``growth`` times the current threshold, so a burst of
    outliers cannot drag the threshold up faster than that.

    Args:
        percentile: :math:`p` in (0, 100] (default 95).
        history: ring size (default 1000 norms, 8 kB).
        warmup: finite norms before clipping starts (default 25).
        growth: cap on a norm entering the ring, as a multiple of the threshold (default 4.0).
    """

    def __init__(self, percentile: float = 95.0, history: int = 1000, warmup: int = 25, growth: float = 4.0) -> None:
        self.percentile = _percentile_setting(percentile)
        self.history = at_least("history", history, 2)
        self.warmup = at_least("warmup", warmup, 1)
        self.growth = positive("growth", growth)
        self.ring = np.zeros(self.history)
        self.count = 0

    def threshold(self) -> float:
        """The norm above which the next step is clipped (inf during warm-up)."""
        if self.count < self.warmup:
            return math.inf
        return float(np.percentile(self.ring[: min(self.count, self.history)], self.percentile))

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        norm = stats.grad_norm
        if not math.isfinite(norm) or norm <= 0:  # nothing to clip; a zero norm (no gradient) says nothing of scale
            return Decision()
        limit = self.threshold()
        self.ring[self.count % self.history] = min(norm, self.growth * limit)
        self.count += 1
        if norm <= limit:
            return Decision()
        return Decision(clip_coef=limit / norm, reason="clip_percentile",
                        evidence={"grad_norm": norm, "threshold": limit, "percentile": self.percentile,
                                  "history": min(self.count, self.history)})

    def state_dict(self) -> dict[str, Any]:
        return {"ring": self.ring.tolist(), "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        ring = np.asarray(state["ring"], dtype=np.float64)
        if ring.shape != self.ring.shape:
            from ..errors import ConfigError

            raise ConfigError("state['ring']", f"{ring.size} norms", f"{self.history} norms (this clipper's history)")
        self.ring, self.count = ring, int(state["count"])

    def __repr__(self) -> str:
        return f"clip_by_percentile(percentile={self.percentile}, history={self.history})"


def _percentile_setting(value: object) -> float:
    return percentile("percentile", value)
