"""A run that does not learn: the loss stays at its start while the weights are moved hard, or never improves."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ..events import Event
from ..stats import StepStats, UpdateStats
from ._checks import at_least, fraction, optional_positive, positive
from ._history import Window

_RATIOS_KEPT = 64  # update measurements remembered (every update_every steps: a few hundred steps at the default)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


class StallDetector:
    r"""Raises ``stall`` when the loss does not move; ``evidence["mode"]`` says which way.

    * ``"not_learning"``: over the last ``learn_window`` finite losses the median loss is still at (or above)
      its start — within ``start_tolerance`` of the first finite loss (the untrained model's), and so is the
      median of its last fifth — while the run moves (or moved) its weights hard: the median update-to-weight
      ratio of a measured update (the guard's :class:`~gradguard.stats.UpdateStats`, every ``update_every``
      steps; per measurement the median over the layers whose update was non-zero) has been above
      ``ratio_high`` — now, or earlier in a run whose units then died and whose updates stopped — or the weights
      have grown to ``growth_high`` times their first norms (median over layers; a layer's first norm counts at
      least a quarter of the median first layer norm, so zero-initialised layers do not count as grown). The
      loss must have stayed at its start for the whole ``learn_window`` steps *since* the weights were first
      seen moving that hard: an LSTM LM at SGD lr 20 behind a 0.25 clip sits at its start for 50 steps and
      learns once its updates grow. That is a learning rate so high that the run only bounces, or that blew it
      up and killed its units while clipping kept it finite: ``evidence["likely_cause"] = "lr"``. A healthy run
      leaves its starting loss within its first steps, and a run in LR warm-up moves its weights little, so
      neither raises it (measured on the judgment corpus' healthy dev models, GPT-2, a zero-init residual GPT,
      LSTM language models, pre/post-LN transformers and MLPs).
    * ``"never_improved"``: over ``window`` finite losses the loss never improved by ``min_improvement``
      (relative) on the median of its first 10 losses — it never took off.
    * ``"frozen"``: its whole range over ``window`` losses is below ``frozen`` (relative), as with a network
      whose units all died.

    Looks every ``window // 20`` steps (a stall is slow by nature); one event per episode, re-armed when the
    loss moves again — except that a run still not learning is told again after ``learn_window`` x 1, 2, 4...
    steps (``evidence["repeat"]``), so that a learning-rate back-off that did not help can be followed by another.

    Args:
        window: losses for the never-improved and frozen modes (default 100).
        min_improvement: default 0.01 (1%).
        frozen: default 1e-6.
        learn_window: losses for the not-learning mode (default 50).
        start_tolerance: how far below its start the median loss may be and still count as not learning
            (default 0.05: 5%).
        ratio_high: median update-to-weight ratio that counts as far above healthy (default 0.1; healthy
            runs measure 1e-3 to 3e-2; None disables this part).
        growth_high: weight-norm growth over the first norms that counts as blown up (default 4.0; None
            disables this part).
    """

    def __init__(self, *, window: int = 100, min_improvement: float = 0.01, frozen: float = 1e-6,
                 learn_window: int = 50, start_tolerance: float = 0.05,
                 ratio_high: float | None = 0.1, growth_high: float | None = 4.0) -> None:
        self.min_improvement = positive("min_improvement", min_improvement)
        self.frozen = positive("frozen", frozen)
        self.learn_window = at_least("learn_window", learn_window, 4)
        self.start_tolerance = fraction("start_tolerance", start_tolerance)
        self.ratio_high = optional_positive("ratio_high", ratio_high)
        self.growth_high = optional_positive("growth_high", growth_high)
        size = at_least("window", window, 4)
        self.window = Window(max(size, self.learn_window))
        self.size = size
        self.every = max(1, size // 20)
        self.first: float | None = None
        self.start_losses: list[float] = []
        self.first_weight: np.ndarray | None = None
        self.ratios: list[tuple[int, float]] = []  # (step, median layer update ratio) of measured updates
        self.peak_ratio = 0.0  # the largest of those since the run started
        self.hard_since: int | None = None  # the first step the weights were seen moving hard
        self.improved = False
        self.active = False
        self.learn_fired: int | None = None  # the step of the episode's latest not_learning event
        self.learn_repeats = 0

    def observe_update(self, update: UpdateStats) -> None:
        """Remember a measured update's median update-to-weight ratio (the guard calls this)."""
        r = np.asarray(update.layer_update_ratio, dtype=np.float64)
        moved = np.isfinite(r) & (np.asarray(update.layer_update_norm) > 0)
        if moved.any():
            ratio = float(np.median(r[moved]))
            self.ratios.append((int(update.step), ratio))
            del self.ratios[:-_RATIOS_KEPT]
            self.peak_ratio = max(self.peak_ratio, ratio)
            if self.hard_since is None and self.ratio_high is not None and ratio > self.ratio_high:
                self.hard_since = int(update.step)

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        loss = stats.loss
        if loss is None or not math.isfinite(loss):
            return []
        if self.first_weight is None and stats.weights_finite:
            self.first_weight = np.array(stats.layer_weight_norm, dtype=np.float64)
        if not self.start_losses:
            self.start_losses.append(loss)
        self.window.push(loss)
        n = len(self.window)
        if self.first is None and n >= 10:
            self.first = float(np.median(self.window.array()[:10]))
        if stats.step % self.every and not self.active:
            return []
        values = self.window.array()
        learning = self._not_learning(values, stats)
        if learning is not None and self.active and self.learn_fired is not None:
            # still not learning: say so again after learn_window x 1, 2, 4... steps (a back-off that did not help)
            if stats.step - self.learn_fired >= self.learn_window * 2 ** (self.learn_repeats - 1):
                self.learn_fired, self.learn_repeats = stats.step, self.learn_repeats + 1
                return [dataclasses.replace(learning, evidence={**learning.evidence, "repeat": self.learn_repeats})]
            return []
        stalled = learning is not None
        if learning is None and n >= self.size and self.first is not None:
            recent = values[-self.size:]
            new = float(np.median(recent[len(recent) // 2:]))
            if self.first - new > self.min_improvement * max(abs(self.first), 1e-12):
                self.improved = True
            span = float(recent.max() - recent.min())
            stalled = (not self.improved) or span <= self.frozen * max(abs(new), 1e-12)
        if stalled and not self.active:
            self.active = True
            if learning is not None:
                self.learn_fired, self.learn_repeats = stats.step, 1
                return [learning]
            mode = "never_improved" if not self.improved else "frozen"
            why = "never improved" if not self.improved else "is frozen"
            return [Event(step=stats.step, kind="stall", severity="warning",
                          message=f"loss {why} over the last {len(recent)} steps (median {new:.4g}, "
                                  f"started at {self.first:.4g})",
                          evidence={"mode": mode, "median_recent": new, "median_start": self.first, "range": span,
                                    "window": len(recent), "min_improvement": self.min_improvement})]
        if not stalled:
            self.active = False
            self.learn_fired, self.learn_repeats = None, 0
        return []

    def _not_learning(self, values: np.ndarray, stats: StepStats) -> Event | None:
        if len(values) < self.learn_window or not self.start_losses:
            return None
        start = self.start_losses[0]
        band = (1 - self.start_tolerance) * start
        latest = _median(values[-max(2, self.learn_window // 5):].tolist())  # still at its start at the end
        if not (start > 0 and latest >= band):  # the common case (a run that learns): one short median
            return None
        med = _median(values[-self.learn_window:].tolist())
        if med < band:
            return None
        since = stats.step - self.learn_window
        recent = [r for s, r in self.ratios if s > since]
        ratio = _median(recent) if recent else None
        growth = self._growth(stats)
        high = math.inf if self.ratio_high is None else self.ratio_high
        by_ratio = self.peak_ratio > high
        by_growth = self.growth_high is not None and growth is not None and growth > self.growth_high
        if by_growth and self.hard_since is None:
            self.hard_since = stats.step
        # the loss must have stayed at its start for the whole window *after* the weights were first moved hard
        if self.hard_since is None or since < self.hard_since:
            return None
        if by_ratio and ratio is not None and ratio > high:
            how = f"median update {ratio:.2g} of the weights per step"
        elif by_ratio:
            how = f"updates of up to {self.peak_ratio:.2g} of the weights per step, now {ratio or 0:.2g}: units died"
        else:
            how = f"weights {growth:.1f}x their first norms"
        return Event(step=stats.step, kind="stall", severity="warning",
                     message=f"not learning: loss {med:.4g} is still at its start {start:.4g} after "
                             f"{self.learn_window} steps while the weights move hard ({how}); "
                             f"the learning rate is likely too high",
                     evidence={"mode": "not_learning", "likely_cause": "lr", "loss_median": med,
                               "loss_start": start, "loss_vs_start": med / start, "window": self.learn_window,
                               "median_update_ratio": ratio, "peak_update_ratio": self.peak_ratio,
                               "moving_hard_since": self.hard_since,
                               "update_measurements": len(recent),
                               "ratio_high": self.ratio_high, "weight_growth": growth,
                               "growth_high": self.growth_high, "start_tolerance": self.start_tolerance,
                               "lrs": list(stats.lrs)})

    def _growth(self, stats: StepStats) -> float | None:
        first = self.first_weight
        if first is None or not stats.weights_finite or not (first > 0).any():
            return None
        floor = 0.25 * float(np.median(first[first > 0]))
        return float(np.median(np.asarray(stats.layer_weight_norm) / np.maximum(first, floor)))

    def state_dict(self) -> dict[str, Any]:
        return {"window": self.window.state_dict(), "first": self.first, "improved": self.improved,
                "active": self.active, "start_losses": list(self.start_losses),
                "first_weight": None if self.first_weight is None else self.first_weight.tolist(),
                "ratios": [list(r) for r in self.ratios], "peak_ratio": self.peak_ratio,
                "hard_since": self.hard_since, "learn_fired": self.learn_fired, "learn_repeats": self.learn_repeats}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.window.load_state_dict(state["window"])
        self.first, self.improved, self.active = state["first"], bool(state["improved"]), bool(state["active"])
        self.start_losses = [float(v) for v in state.get("start_losses", [])]
        fw = state.get("first_weight")
        self.first_weight = None if fw is None else np.asarray(fw, dtype=np.float64)
        self.ratios = [(int(s), float(r)) for s, r in state.get("ratios", [])]
        self.peak_ratio = float(state.get("peak_ratio", 0.0))
        hard = state.get("hard_since")
        self.hard_since = None if hard is None else int(hard)
        fired = state.get("learn_fired")
        self.learn_fired = None if fired is None else int(fired)
        self.learn_repeats = int(state.get("learn_repeats", 0))
