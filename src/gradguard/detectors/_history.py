"""Bounded, saveable running statistics that NaN/Inf and outliers cannot poison."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def short_median(values: list[float]) -> float:
    """Median of a short list (plain Python's sort beats numpy's per-call cost at this size)."""
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


class LogEMA:
    r"""Per-key exponential moving mean and variance of :math:`\log x`.

    ``update(x, mask)`` folds in the finite, positive entries selected by ``mask``; the rest leave the state
    untouched, so one NaN step cannot poison the history. ``count`` says how many values each key has seen, for
    warm-up. The z-score divides by ``max(std, min_std)`` so that a perfectly flat history does not turn noise
    into alarms.

    Args:
        size: number of keys (e.g. 1 + number of layers).
        beta: EMA decay per update (default 0.95: about 20 steps of memory).
        min_std: floor on the standard deviation of the log (default 0.1, i.e. about 10% changes).
    """

    def __init__(self, size: int, beta: float = 0.95, min_std: float = 0.1) -> None:
        self.beta = beta
        self.min_std = min_std
        self.mean = np.zeros(size)
        self.var = np.zeros(size)
        self.count = np.zeros(size, dtype=np.int64)
        self._all_seen = False

    @staticmethod
    def log(x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    def std(self) -> np.ndarray:
        return np.maximum(np.sqrt(self.var), self.min_std)

    def z_and_ratio(self, lx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For ``lx = log x``: the z-score against the history and ``x`` over the history's geometric mean.

        Both are NaN where ``x`` is not finite and positive or the key has no history yet.
        """
        d = lx - self.mean
        z = d / self.std()
        with np.errstate(over="ignore", invalid="ignore"):
            r = np.exp(d)
        undefined = (self.count == 0) | ~np.isfinite(lx)
        z[undefined] = np.nan
        r[undefined] = np.nan
        return z, r

    def update(self, lx: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Fold in ``lx = log x`` where it is finite (and ``mask`` allows)."""
        b = self.beta
        if self._all_seen and (mask is None or mask.all()) and np.isfinite(lx).all():  # the common case
            d = lx - self.mean
            self.mean += (1 - b) * d
            self.var = b * (self.var + (1 - b) * d * d)
            self.count += 1
            return
        ok = np.isfinite(lx)
        if mask is not None:
            ok &= mask
        first = ok & (self.count == 0)
        later = ok & (self.count > 0)
        self.mean[first] = lx[first]
        d = lx[later] - self.mean[later]
        self.mean[later] += (1 - b) * d
        self.var[later] = b * (self.var[later] + (1 - b) * d * d)
        self.count[ok] += 1
        self._all_seen = bool(self.count.min() > 0)

    def state_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "var": self.var.tolist(), "count": self.count.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean = np.asarray(state["mean"], dtype=np.float64)
        self.var = np.asarray(state["var"], dtype=np.float64)
        self.count = np.asarray(state["count"], dtype=np.int64)
        self._all_seen = bool(self.count.size and self.count.min() > 0)


class Window:
    """The last ``size`` finite values of a scalar series (a numpy ring: bounded memory, no per-step copies)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ring = np.empty(size, dtype=np.float64)
        self._count = 0

    def push(self, x: float | None) -> None:
        if x is not None and math.isfinite(x):
            self._ring[self._count % self.size] = x
            self._count += 1

    def __len__(self) -> int:
        return min(self._count, self.size)

    def array(self) -> np.ndarray:
        """The values, oldest first."""
        if self._count <= self.size:
            return self._ring[: self._count]
        start = self._count % self.size
        return np.concatenate([self._ring[start:], self._ring[:start]])

    def last(self, m: int) -> np.ndarray:
        """The latest ``min(m, len(self))`` values, oldest first (a view when they lie in one piece of the ring)."""
        n = min(m, len(self))
        end = self._count if self._count <= self.size else (self._count % self.size or self.size)
        if n <= end:
            return self._ring[end - n:end]
        return np.concatenate([self._ring[self.size - (n - end):], self._ring[:end]])

    def unordered(self) -> np.ndarray:
        """The values in ring order (enough for order-free statistics such as the median)."""
        return self._ring[: len(self)]

    def state_dict(self) -> dict[str, Any]:
        return {"values": self.array().tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        values = [float(v) for v in state["values"]][-self.size:]
        self._ring[: len(values)] = values
        self._count = len(values)
