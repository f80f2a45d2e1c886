"""Downsampling for plots (never for the record): pure numpy, bounded output size whatever the run length.

Line plots keep each bucket's minimum and maximum (so a one-step spike of a 100k-step run stays visible); matrices
keep each bucket's maximum per column (the worst gradient of a layer in that stretch of steps).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["bucket_edges", "bucket_max_rows", "envelope", "finite_or_nan", "pick_layers"]


def finite_or_nan(values: np.ndarray) -> np.ndarray:
    """A float64 copy with Inf replaced by NaN (plots leave gaps; non-finite steps are marked separately)."""
    out = np.array(values, dtype=np.float64, copy=True)
    out[~np.isfinite(out)] = np.nan
    return out


def bucket_edges(n: int, buckets: int) -> np.ndarray:
    """Start indices of ``min(n, buckets)`` contiguous buckets covering ``range(n)``, plus ``n``."""
    k = max(1, min(n, buckets))
    return np.unique(np.linspace(0, n, k + 1).astype(np.int64))


def _reduce(values: np.ndarray, edges: np.ndarray, fn: str) -> np.ndarray:
    starts = edges[:-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if fn == "max":
            filled = np.where(np.isnan(values), -np.inf, values)
            out = np.maximum.reduceat(filled, starts, axis=0)
            return np.where(np.isneginf(out), np.nan, out)
        filled = np.where(np.isnan(values), np.inf, values)
        out = np.minimum.reduceat(filled, starts, axis=0)
        return np.where(np.isposinf(out), np.nan, out)


def envelope(x: np.ndarray, y: np.ndarray, max_points: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` (x, y) points tracing ``y``: each bucket contributes its minimum and its maximum.

    NaN/Inf are ignored within a bucket (a bucket with no finite value gives a gap). Short series come back as
    they are (with non-finite values as NaN).
    """
    y = finite_or_nan(y)
    x = np.asarray(x, dtype=np.float64)
    if len(y) <= max_points:
        return x, y
    edges = bucket_edges(len(y), max_points // 2)
    lo, hi = _reduce(y, edges, "min"), _reduce(y, edges, "max")
    mid = x[edges[:-1]]
    end = x[np.maximum(edges[1:] - 1, edges[:-1])]
    xs = np.empty(2 * len(mid))
    ys = np.empty(2 * len(mid))
    xs[0::2], xs[1::2] = mid, end
    ys[0::2], ys[1::2] = lo, hi
    return xs, ys


def bucket_max_rows(steps: np.ndarray, matrix: np.ndarray, max_rows: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``matrix`` ([steps, columns]) merged into at most ``max_rows`` buckets by their maximum (finite only).

    Returns the first step of each bucket and the [buckets, columns] matrix (NaN where a bucket held no finite
    value for that column).
    """
    m = finite_or_nan(matrix)
    if len(m) <= max_rows:
        return np.asarray(steps), m
    edges = bucket_edges(len(m), max_rows)
    return np.asarray(steps)[edges[:-1]], _reduce(m, edges, "max")


def pick_layers(matrix: np.ndarray, limit: int = 8) -> list[int]:
    """Up to ``limit`` column indices worth drawing as lines: the first and last layers, then those whose values
    changed most (ratio of last to first finite value, in either direction)."""
    n = matrix.shape[1] if matrix.ndim == 2 else 0
    if n <= limit:
        return list(range(n))
    m = finite_or_nan(matrix)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        first = np.array([col[np.isfinite(col)][0] if np.isfinite(col).any() else np.nan for col in m.T])
        last = np.array([col[np.isfinite(col)][-1] if np.isfinite(col).any() else np.nan for col in m.T])
        change = np.abs(np.log10(np.abs(last) + 1e-30) - np.log10(np.abs(first) + 1e-30))
    change = np.nan_to_num(change, nan=-1.0)
    chosen = [0, n - 1]
    for i in np.argsort(-change, kind="stable"):
        if len(chosen) >= limit:
            break
        if int(i) not in chosen:
            chosen.append(int(i))
    return sorted(chosen)
