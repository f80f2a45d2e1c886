"""Bounded, saveable running statistics that NaN/Inf and outliers cannot poison."""

from __future__ import annotations

from typing import Any

import numpy as np


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

    def z(self, x: np.ndarray) -> np.ndarray:
        """z-score of ``log x`` against the history (NaN where x is not finite and positive or there is none)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            lx = np.log(x)
        std = np.maximum(np.sqrt(self.var), self.min_std)
        z = (lx - self.mean) / std
        z[(self.count == 0) | ~np.isfinite(lx)] = np.nan
        return z

    def ratio(self, x: np.ndarray) -> np.ndarray:
        """``x`` over the history's geometric mean (NaN where undefined)."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r = x / np.exp(self.mean)
        r[self.count == 0] = np.nan
        return r

    def update(self, x: np.ndarray, mask: np.ndarray | None = None) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):
            lx = np.log(x)
        ok = np.isfinite(lx)
        if mask is not None:
            ok &= mask
        first = ok & (self.count == 0)
        later = ok & (self.count > 0)
        self.mean[first] = lx[first]
        d = lx[later] - self.mean[later]
        b = self.beta
        self.mean[later] += (1 - b) * d
        self.var[later] = b * (self.var[later] + (1 - b) * d * d)
        self.count[ok] += 1

    def state_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "var": self.var.tolist(), "count": self.count.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean = np.asarray(state["mean"], dtype=np.float64)
        self.var = np.asarray(state["var"], dtype=np.float64)
        self.count = np.asarray(state["count"], dtype=np.int64)


class Window:
    """The last ``size`` finite values of a scalar series (bounded memory)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: list[float] = []

    def push(self, x: float | None) -> None:
        if x is not None and np.isfinite(x):
            self.values.append(float(x))
            if len(self.values) > self.size:
                del self.values[0]

    def __len__(self) -> int:
        return len(self.values)

    def array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=np.float64)

    def state_dict(self) -> dict[str, Any]:
        return {"values": list(self.values)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.values = [float(v) for v in state["values"]][-self.size:]
