"""Skipping a poisoned step: an extreme outlier gradient norm is not applied at all."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from .._doubles import MAX_DOUBLE as _MAX
from .._doubles import last_true
from ..decision import Decision
from ..events import Event
from ..stats import StepStats
from ._checks import at_least, fraction, positive

__all__ = ["SkipOutliers"]


def _median_mad(values: list[float]) -> tuple[float, float]:
    """Median and the median absolute deviation scaled to a normal standard deviation (x 1.4826)."""
    med = statistics.median(values)
    return med, 1.4826 * statistics.median(abs(v - med) for v in values)


class SkipOutliers:
    r"""Skip a step whose global gradient norm is an extreme outlier on the log scale.

    With :math:`\mu, \sigma^2` an EMA (decay :math:`\alpha`) of :math:`\log\lVert g\rVert` and
    :math:`z = (\log\lVert g\rVert - \mu)/\max(\sigma, \sigma_{min})`, the step is skipped when
    :math:`z > z_{thr}` and :math:`\lVert g\rVert > r\,e^{\mu}`. Such a norm is so far out that clipping it would
    still apply the direction of a poisoned batch. An isolated outlier never enters the EMA; from the
    ``adapt_after``-th outlier in a row on, the norms do, so a lasting change of scale is absorbed within a few
    steps instead of skipping forever (the guard also bounds consecutive skips). NaN/Inf norms never enter it
    (:func:`~gradguard.skip_nonfinite` deals with them).

    Outliers cannot inflate the history either: during the first ``warmup`` norms the centre and spread are the
    median and the scaled median absolute deviation of the norms so far (outliers are skipped from the
    ``min_warmup``-th norm on), and afterwards a norm that is not skipped enters the EMA capped at
    :math:`\mu + 3\sigma`, so a burst of borderline steps cannot raise the threshold until every outlier passes.

    Args:
        z_threshold: :math:`z_{thr}` on the log-norm (default 10).
        min_ratio: :math:`r`, the smallest multiple of the typical norm that may be skipped (default 10).
        alpha: EMA decay (default 0.98).
        warmup: norms judged by their median and MAD before the EMA takes over (default 20).
        min_std: :math:`\sigma_{min}`, floor on the log-norm deviation (default 0.1).
        adapt_after: consecutive outliers after which they enter the EMA (default 3).
        min_warmup: norms seen before the first skip, judged by median and MAD (default 5).
    """

    def __init__(self, z_threshold: float = 10.0, min_ratio: float = 10.0, alpha: float = 0.98, warmup: int = 20,
                 min_std: float = 0.1, adapt_after: int = 3, min_warmup: int = 5) -> None:
        self.z_threshold = positive("z_threshold", z_threshold)
        self.min_ratio = positive("min_ratio", min_ratio)
        self.alpha = fraction("alpha", alpha)
        self.warmup = at_least("warmup", warmup, 2)
        self.min_std = positive("min_std", min_std)
        self.adapt_after = at_least("adapt_after", adapt_after, 1)
        self.min_warmup = at_least("min_warmup", min_warmup, 2)
        self.streak = 0
        self.mean = 0.0
        self.var = 0.0
        self.count = 0
        self._warm: list[float] = []

    def _push(self, x: float, winsorise: bool = True) -> None:
        self.count += 1
        if self.count <= self.warmup:
            self._warm.append(x)
            self.mean, std = _median_mad(self._warm)
            self.var = std * std
            if self.count == self.warmup:
                self._warm = []
            return
        a = 1 - self.alpha
        delta = x - self.mean
        if winsorise:
            delta = min(delta, 3.0 * max(math.sqrt(self.var), self.min_std))
        self.mean += a * delta
        self.var = (1 - a) * (self.var + a * delta * delta)

    def limit(self) -> float:
        """The log-norm above which the next step is an outlier (before ``min_warmup`` norms: none is)."""
        if self.count < self.min_warmup:
            return math.inf
        std = max(math.sqrt(self.var), self.min_std)
        return max(self.mean + self.z_threshold * std, self.mean + math.log(self.min_ratio))

    def skip_above_sumsq(self) -> float:
        """The next step is skipped exactly when its gradient sum of squares ``g`` (float64, as the guard packs
        it) is finite and ``g >`` this; ``math.inf``: no finite ``g`` is. The device form of :meth:`decide`
        (``gradguard.deferred``): the boundary of ``log(sqrt(g)) > limit()`` in doubles, found from
        ``exp(2 limit)`` by a few steps to the neighbouring doubles (bisection over the doubles if that fails),
        so that the device's ``g > threshold`` and the host's rule agree on every double."""
        limit = self.limit()
        if limit == math.inf:
            return math.inf

        def skips(g: float) -> bool:
            n = math.sqrt(g)
            return n > 0 and math.log(n) > limit

        if not skips(_MAX):
            return math.inf
        guess = math.exp(2.0 * limit) if limit < 354.0 else _MAX
        return last_true(lambda g: not skips(g), guess, 0.0, _MAX)  # skips(0.0) is False, skips(_MAX) True

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        norm = stats.grad_norm
        if not math.isfinite(norm) or norm <= 0:
            return Decision()
        log_norm = math.log(norm)
        std = max(math.sqrt(self.var), self.min_std)
        limit = self.limit()
        if log_norm <= limit:
            self._push(log_norm)
            self.streak = 0
            return Decision()
        evidence = {"grad_norm": norm, "typical_norm": math.exp(self.mean), "threshold": math.exp(limit),
                    "z": (log_norm - self.mean) / std, "z_threshold": self.z_threshold}
        self.streak += 1
        if self.streak >= self.adapt_after:  # a lasting change of scale: take it in whole
            self._push(log_norm, winsorise=False)
        return Decision(skip=True, reason="outlier_grad", evidence=evidence)

    def state_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "var": self.var, "count": self.count, "streak": self.streak,
                "warm": list(self._warm)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean, self.var, self.count = float(state["mean"]), float(state["var"]), int(state["count"])
        self.streak = int(state.get("streak", 0))
        self._warm = [float(x) for x in state.get("warm", [])]

    def __repr__(self) -> str:
        return f"skip_outliers(z_threshold={self.z_threshold}, min_ratio={self.min_ratio})"
