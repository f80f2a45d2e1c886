"""Skipping a poisoned step: an extreme outlier gradient norm is not applied at all."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..decision import Decision
from ..events import Event
from ..stats import StepStats
from ._checks import at_least, fraction, positive

__all__ = ["SkipOutliers"]


class SkipOutliers:
    r"""Skip a step whose global gradient norm is an extreme outlier on the log scale.

    With :math:`\mu, \sigma^2` an EMA (decay :math:`\alpha`) of :math:`\log\lVert g\rVert` and
    :math:`z = (\log\lVert g\rVert - \mu)/\max(\sigma, \sigma_{min})`, the step is skipped when
    :math:`z > z_{thr}` and :math:`\lVert g\rVert > r\,e^{\mu}`. Such a norm is so far out that clipping it would
    still apply the direction of a poisoned batch. An isolated outlier never enters the EMA; from the
    ``adapt_after``-th outlier in a row on, the norms do, so a lasting change of scale is absorbed within a few
    steps instead of skipping forever (the guard also bounds consecutive skips). NaN/Inf norms never enter it
    (:func:`~gradguard.skip_nonfinite` deals with them).

    Args:
        z_threshold: :math:`z_{thr}` on the log-norm (default 10).
        min_ratio: :math:`r`, the smallest multiple of the typical norm that may be skipped (default 10).
        alpha: EMA decay (default 0.98).
        warmup: finite norms seen before any skip (default 20).
        min_std: :math:`\sigma_{min}`, floor on the log-norm deviation (default 0.1).
        adapt_after: consecutive outliers after which they enter the EMA (default 3).
    """

    def __init__(self, z_threshold: float = 10.0, min_ratio: float = 10.0, alpha: float = 0.98, warmup: int = 20,
                 min_std: float = 0.1, adapt_after: int = 3) -> None:
        self.z_threshold = positive("z_threshold", z_threshold)
        self.min_ratio = positive("min_ratio", min_ratio)
        self.alpha = fraction("alpha", alpha)
        self.warmup = at_least("warmup", warmup, 2)
        self.min_std = positive("min_std", min_std)
        self.adapt_after = at_least("adapt_after", adapt_after, 1)
        self.streak = 0
        self.mean = 0.0
        self.var = 0.0
        self.count = 0

    def _push(self, x: float) -> None:
        if self.count == 0:
            self.mean = x
        else:
            a = 1.0 / (self.count + 1) if self.count < self.warmup else 1 - self.alpha
            delta = x - self.mean
            self.mean += a * delta
            self.var = (1 - a) * (self.var + a * delta * delta)
        self.count += 1

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        norm = stats.grad_norm
        if not math.isfinite(norm) or norm <= 0:
            return Decision()
        log_norm = math.log(norm)
        std = max(math.sqrt(self.var), self.min_std)
        limit = max(self.mean + self.z_threshold * std, self.mean + math.log(self.min_ratio))
        if self.count < self.warmup or log_norm <= limit:
            self._push(log_norm)
            self.streak = 0
            return Decision()
        evidence = {"grad_norm": norm, "typical_norm": math.exp(self.mean), "threshold": math.exp(limit),
                    "z": (log_norm - self.mean) / std, "z_threshold": self.z_threshold}
        self.streak += 1
        if self.streak >= self.adapt_after:
            self._push(log_norm)
        return Decision(skip=True, reason="outlier_grad", evidence=evidence)

    def state_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "var": self.var, "count": self.count, "streak": self.streak}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean, self.var, self.count = float(state["mean"]), float(state["var"]), int(state["count"])
        self.streak = int(state.get("streak", 0))

    def __repr__(self) -> str:
        return f"skip_outliers(z_threshold={self.z_threshold}, min_ratio={self.min_ratio})"
