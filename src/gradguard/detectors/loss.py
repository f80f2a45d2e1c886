"""The loss series: spikes, divergence and stalls."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..events import Event
from ..stats import StepStats
from ._checks import at_least, fraction, positive
from ._history import Window


def _median(values: list[float]) -> float:
    """Median of a short list (plain Python beats numpy's call overhead at this size)."""
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


class LossSpikeDetector:
    r"""Raises ``loss_spike`` when a loss is far above its recent history.

    Fires when :math:`\ell_t > m + k \max(s, \epsilon)` and :math:`\ell_t > m + r\,|m|`, with :math:`m` the median
    and :math:`s` the MAD-based deviation of the last ``window`` finite losses, :math:`k` = ``z_threshold``,
    :math:`r` = ``min_rise`` and :math:`\epsilon = 10^{-3}|m|`. No alarm before ``warmup`` losses.

    Args:
        window: losses kept (default 50).
        z_threshold: robust z-score (default 6.0).
        min_rise: minimum rise relative to the median (default 0.5, i.e. +50%).
        warmup: default 10.
    """

    def __init__(self, *, window: int = 50, z_threshold: float = 6.0, min_rise: float = 0.5, warmup: int = 10) -> None:
        self.window = Window(at_least("window", window, 3))
        self.z_threshold = positive("z_threshold", z_threshold)
        self.min_rise = positive("min_rise", min_rise)
        self.warmup = at_least("warmup", warmup, 3)

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        loss = stats.loss
        if loss is None or not math.isfinite(loss):
            return []
        events: list[Event] = []
        if len(self.window) >= self.warmup:
            values = self.window.unordered()
            med = _median(values.tolist())
            if loss <= med + self.min_rise * abs(med):  # the common case: one median and done
                self.window.push(loss)
                return events
            dev = 1.4826 * float(np.median(np.abs(values - med)))
            floor = max(dev, 1e-3 * abs(med), 1e-12)
            z = (loss - med) / floor
            if z > self.z_threshold:
                events.append(Event(
                    step=stats.step, kind="loss_spike", severity="warning",
                    message=f"loss {loss:.4g} is {z:.1f} robust deviations above its recent median {med:.4g}",
                    evidence={"loss": loss, "median": med, "robust_std": dev, "z": z,
                              "z_threshold": self.z_threshold, "window": len(self.window)},
                ))
        self.window.push(loss)
        return events

    def state_dict(self) -> dict[str, Any]:
        return {"window": self.window.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.window.load_state_dict(state["window"])


class DivergenceDetector:
    r"""Raises ``divergence`` when the smoothed loss climbs well above the best it reached.

    The loss is smoothed by an EMA (``beta``); a step's loss enters it capped at
    :math:`\bar\ell + 2\max(|\bar\ell|, \epsilon)` (3x the smoothed loss for a positive one), so that a few outlier
    batches in a row cannot fake a climb while a real divergence, which lasts, still gets through. Fires once per
    episode when
    :math:`\bar\ell_t - \bar\ell_{best} > \rho\,\max(|\bar\ell_{best}|, \epsilon)` and the smoothed loss rose over
    each of the last ``rising`` steps; re-arms once it is back within half that margin.

    Args:
        rise: :math:`\rho`, the relative rise (default 1.0: doubled for a positive loss).
        beta: EMA decay of the smoothed loss (default 0.9).
        rising: consecutive rising steps required (default 3).
        warmup: steps before it may fire (default 20).
    """

    def __init__(self, *, rise: float = 1.0, beta: float = 0.9, rising: int = 3, warmup: int = 20) -> None:
        self.rise = positive("rise", rise)
        self.beta = fraction("beta", beta)
        self.rising = at_least("rising", rising, 1)
        self.warmup = at_least("warmup", warmup, 1)
        self.smooth: float | None = None
        self.best = math.inf
        self.seen = 0
        self.up = 0
        self.active = False

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        loss = stats.loss
        if loss is None or not math.isfinite(loss):
            return []
        prev = self.smooth
        if prev is not None:
            loss = min(loss, prev + 2.0 * max(abs(prev), 1e-8))
        self.smooth = loss if prev is None else self.beta * prev + (1 - self.beta) * loss
        self.seen += 1
        self.up = self.up + 1 if prev is not None and self.smooth > prev else 0
        if self.seen < self.warmup:
            self.best = min(self.best, self.smooth)
            return []
        margin = self.rise * max(abs(self.best), 1e-8)
        excess = self.smooth - self.best
        events: list[Event] = []
        if excess > margin and self.up >= self.rising and not self.active:
            self.active = True
            events.append(Event(
                step=stats.step, kind="divergence", severity="critical",
                message=f"smoothed loss {self.smooth:.4g} has risen {excess / max(abs(self.best), 1e-8):.1f}x "
                        f"above its best {self.best:.4g} and is still rising",
                evidence={"smoothed_loss": self.smooth, "best_smoothed_loss": self.best, "rise": self.rise,
                          "rising_steps": self.up, "lrs": list(stats.lrs)},
            ))
        elif excess < margin / 2:
            self.active = False
        self.best = min(self.best, self.smooth)
        return events

    def state_dict(self) -> dict[str, Any]:
        return {"smooth": self.smooth, "best": self.best, "seen": self.seen, "up": self.up, "active": self.active}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.smooth = state["smooth"]
        self.best = float(state["best"])
        self.seen, self.up, self.active = int(state["seen"]), int(state["up"]), bool(state["active"])


class StallDetector:
    r"""Raises ``stall`` when the loss does not move.

    Over the last ``window`` finite losses, compares the median of the older half with the newer half. Fires
    (once per episode) when the loss never improved by more than ``min_improvement`` (relative) since training
    started — it never took off — or when it is frozen: its whole range over the window is below ``frozen``
    (relative), as with a network whose units all died.

    Args:
        window: default 100.
        min_improvement: default 0.01 (1%).
        frozen: default 1e-6.
    """

    def __init__(self, *, window: int = 100, min_improvement: float = 0.01, frozen: float = 1e-6) -> None:
        self.window = Window(at_least("window", window, 4))
        self.every = max(1, window // 20)  # a stall is slow by nature: look every few steps only
        self.min_improvement = positive("min_improvement", min_improvement)
        self.frozen = positive("frozen", frozen)
        self.first: float | None = None
        self.improved = False
        self.active = False

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        loss = stats.loss
        if loss is None or not math.isfinite(loss):
            return []
        self.window.push(loss)
        n = len(self.window)
        if self.first is None and n >= 10:
            self.first = float(np.median(self.window.array()[:10]))
        if n < self.window.size or self.first is None or (stats.step % self.every and not self.active):
            return []
        values = self.window.array()
        half = len(values) // 2
        new = float(np.median(values[half:]))
        scale = max(abs(self.first), 1e-12)
        if self.first - new > self.min_improvement * scale:
            self.improved = True
        span = float(values.max() - values.min())
        stalled = (not self.improved) or span <= self.frozen * max(abs(new), 1e-12)
        if stalled and not self.active:
            self.active = True
            why = "never improved" if not self.improved else "is frozen"
            return [Event(step=stats.step, kind="stall", severity="warning",
                          message=f"loss {why} over the last {len(values)} steps (median {new:.4g}, "
                                  f"started at {self.first:.4g})",
                          evidence={"median_recent": new, "median_start": self.first, "range": span,
                                    "window": len(values), "min_improvement": self.min_improvement})]
        if not stalled:
            self.active = False
        return []

    def state_dict(self) -> dict[str, Any]:
        return {"window": self.window.state_dict(), "first": self.first, "improved": self.improved,
                "active": self.active}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.window.load_state_dict(state["window"])
        self.first, self.improved, self.active = state["first"], bool(state["improved"]), bool(state["active"])
