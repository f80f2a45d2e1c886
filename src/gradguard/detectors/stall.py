"""A run that does not learn: the loss stays at its start while the weights are moved hard, or never improves."""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import numpy as np
from torch import nn

from ..errors import ConfigError
from ..events import Event
from ..stats import StepStats, UpdateStats
from ._checks import at_least, at_least_zero, fraction, optional_positive, positive
from ._history import Window
from ._history import short_median as _median
from .chance import OutputWidth, loss_kind
from .shrink import SHRINK_FALLING, SHRINK_LAG, SHRINK_LOW, SHRINK_STILL, shrink_event
from .stall_chance import ChanceModes
from .tiny import TINY_COUNT, TINY_FLAT, TINY_RATIO, TINY_STILL, tiny_event
from .zero_lr import ZeroRate

#: the not-learning mode waits while the last fifth of its window is this far (relative) under the rest's median: a
#: run leaving its start (fresh30's AWD-LSTM at its own SGD lr 30 behind a 0.25 clip sits at 4.2 for 50 steps, then
#: falls: 3.97 at step 50, 2.07 at 190; told "not learning" at step 60 before)
LEAVING = 0.03
#: a loss frozen at or under this fraction of its start (and not negative) converged: no ``frozen`` stall
CONVERGED = 0.01
#: the never-improved mode waits while the loss falls by more than this many standard errors of a quarter-window
#: median (see StallDetector._descending)
DESCENT_SE = 3.0
#: ... and at the last quarter's pace it must be under its start within this many more quarters (a window): a
#: self-distillation loss first rises as its teacher moves, then falls (fresh104's DINO at seed 1: 3.0 -> 5.8 by step
#: 20, 4.3 at step 90, under its start by step 130: "never improved" at step 100 at two quarters)
DESCENT_QUARTERS = 4
_RATIOS_KEPT = 64  # update measurements remembered (every update_every steps: a few hundred steps at the default)


class StallDetector(ChanceModes):
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
      (relative) on the median of its first 10 losses — it never took off; not while it is on its way (the last
      quarter's median under the third's, at a pace that clears ``min_improvement`` within half a window).
    * ``"frozen"``: its whole range over ``window`` losses is below ``frozen`` (relative), as with a network
      whose units all died; not at a floor it reached by learning (at most ``CONVERGED`` of its start, >= 0: a
      margin or hinge loss that is satisfied sits at exactly 0).
      Neither while the rate has risen by more than 5% over the window (a warm-up from 0, which holds the loss
      on purpose: accelerate's ``nlp_example`` sits at ln 2 through its 100 warm-up steps and then learns).

    * ``"at_chance"``: the median of the last ``chance_window`` finite losses is at or above ``1 + chance_margin``
      times the chance loss ``log(C)`` (the cross-entropy of a uniform guess over C classes) while the run steps
      its weights (a learning rate above 0, not risen by more than 5% over those steps: warm-up is not a stall):
      the model has learned nothing a constant guess would not know (a too-large init, dead units, a learning rate
      far off) — unless the loss is coming down fast enough to be under the threshold within half a window at
      its pace (second-half median ``m2``, first-half ``m1``: ``m2 * m2 / m1`` under it; GAT at 2.9 -> 1.64 over
      its first 50 steps, chance 1.39). A blown-up init that descends slowly (GPT-J at N(0, 1): 18.4 -> 15.5,
      chance 4.16) is still told. Nor while the median of the window's last tenth is under the threshold (a loss
      that rose above chance first and has just come down through it: InstDisc's 8.2 -> 14.5 -> 4.8 over its first
      50 steps).
      ``chance_loss`` gives ``log(C)``; ``"auto"`` (default) infers it once the guard binds the model
      (:meth:`bind_model`: the class width of the model's first output, see :mod:`gradguard.detectors.chance`);
      None turns the mode off. Told once per episode, re-armed when the median falls below the threshold;
      independent of the other modes.
    * ``"plateau"`` (with a chance loss): after ``plateau_after`` finite losses the loss is held at chance and has
      stopped falling: the medians of both halves of the last ``plateau_window`` losses are at least
      ``plateau_floor`` times ``log(C)``, and the second is within ``plateau_flat`` (relative) of the first (or
      above it), while the weights are stepped (the at-chance mode's learning-rate test): the run sits on
      a plateau at chance — vanished gradients, saturated units, weight decay that holds the weights at 0, labels
      that do not match the inputs. Calibrated on the judgment corpus' plain runs (998 runs, 499 models x 2
      seeds): healthy runs that sit near chance before they take off (Fixup ResNet, MobileViT, attention MIL,
      a 20-layer highway net) leave it, or still fall by more than 1% per half window, by their 150th step; a
      model fine-tuned from a checkpoint starts far under its chance loss and never raises it. Told once per
      episode, re-armed once the median is under the floor or falls again.

    * ``"weights_shrink"``: the median layer's weight norm, over the layers whose first norm is at least a quarter
      of the median first non-zero norm (zero-initialised layers have nothing to lose), has fallen to
      :data:`~gradguard.detectors.shrink.SHRINK_LOW` (0.5) of its first or under, and is still falling (at most 0.9x
      its value 50 steps before: Adam's coupled decay that settled at a balance is no collapse), while the median of
      the last 10 losses is still at least ``SHRINK_STILL`` (0.75) of the loss's start (the smaller of the first 10
      losses' median and the chance loss): weight decay far too strong for the learning rate
      (``evidence["likely_cause"] = "regularization"``; see :mod:`.shrink` for the measurement). Told once per run.

    * ``"tiny_steps"``: the last three measured updates each moved the median layer by under
      :data:`~gradguard.detectors.tiny.TINY_RATIO` (1e-4) of its weights, the rate stepping and not in warm-up,
      while the median of the last ``learn_window`` losses is still at least ``TINY_STILL`` (0.9) of the loss's
      start and its second half's median is not ``TINY_FLAT`` (2%) under its first's: a learning rate far too
      small, an Adam ``eps`` above the gradient, or vanished gradients (see :mod:`.tiny`). Told once per run; no
      ``likely_cause`` (``check`` tells them apart).

    * ``"lr_zero"``: after a positive rate, the largest learning rate has been exactly 0 for ``ZERO_LR_STEPS`` (50)
      steps: a schedule that ended before the run (see :mod:`.zero_lr`). Told once per run.

    Looks every ``window // 20`` steps (a stall is slow by nature; also while an episode is on); one event per
    episode, re-armed when the loss moves again — except that a run still not learning is told again after
    ``learn_window`` x 1, 2, 4... steps (``evidence["repeat"]``), so that a learning-rate back-off that did not
    help can be followed by another.

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
        chance_loss: the chance loss ``log(C)`` in nats (a number > 0), ``"auto"`` (default: inferred from the
            model the guard binds; nothing without one) or None (the at-chance mode off).
        chance_window: losses whose median must be at or above the chance loss (default 50).
        chance_margin: how far above ``log(C)`` the median must be, relative (default 0.1: 10%; an LSTM LM at
            word_language_model's SGD lr 20 sits exactly at chance, 1.00x, for its first 55 steps and then learns;
            runs with a 50x init sit at 1.27x to 26x).
        plateau_after: finite losses seen before the plateau mode may fire (default 150; None turns it off).
        plateau_window: losses compared, two halves (default 100).
        plateau_flat: the relative fall from the first half's median to the second's under which the loss counts
            as flat (default 0.01: 1%).
        plateau_floor: the fraction of ``log(C)`` both half-window medians must be at or above (default 0.8).
    """

    def __init__(self, *, window: int = 100, min_improvement: float = 0.01, frozen: float = 1e-6,
                 learn_window: int = 50, start_tolerance: float = 0.05,
                 ratio_high: float | None = 0.1, growth_high: float | None = 4.0,
                 chance_loss: float | str | None = "auto", chance_window: int = 50,
                 chance_margin: float = 0.1, plateau_after: int | None = 150, plateau_window: int = 100,
                 plateau_flat: float = 0.01, plateau_floor: float = 0.8) -> None:
        self.min_improvement = positive("min_improvement", min_improvement)
        self.frozen = positive("frozen", frozen)
        self.learn_window = at_least("learn_window", learn_window, 4)
        self.start_tolerance = fraction("start_tolerance", start_tolerance)
        self.ratio_high = optional_positive("ratio_high", ratio_high)
        self.growth_high = optional_positive("growth_high", growth_high)
        self.auto_chance = chance_loss == "auto"
        if not self.auto_chance and chance_loss is not None and (
                isinstance(chance_loss, (bool, str)) or not isinstance(chance_loss, (int, float))
                or not math.isfinite(chance_loss) or chance_loss <= 0):
            raise ConfigError("chance_loss", chance_loss, "a chance loss log(C) > 0 in nats, 'auto' (inferred from "
                              "the model's output width) or None (the at-chance mode off)")
        #: the chance loss in use (None: not known (yet) or off)
        self.chance: float | None = None if self.auto_chance or chance_loss is None else float(chance_loss)
        self.chance_source = "given" if self.chance is not None else None
        self.chance_window = at_least("chance_window", chance_window, 4)
        self.chance_margin = at_least_zero("chance_margin", chance_margin)
        self.chance_active = False
        self.plateau_after = None if plateau_after is None else at_least("plateau_after", plateau_after, 1)
        self.plateau_window = at_least("plateau_window", plateau_window, 4)
        self.plateau_flat = fraction("plateau_flat", plateau_flat)
        self.plateau_floor = positive("plateau_floor", plateau_floor)
        self.plateau_active = False
        self.shrink_told = False  # the weights_shrink mode fired (once per run)
        self.tiny_told = False  # the tiny_steps mode fired (once per run)
        self.zero_rate = ZeroRate()  # the lr_zero mode (see :mod:`.zero_lr`)
        self.shrink_hist: list[tuple[int, float]] = []  # (step, median weight ratio) at the checks, SHRINK_LAG back
        self.seen = 0  # finite losses seen (the plateau mode's clock)
        self._width: OutputWidth | None = None
        self._graph_classes: int | None = None  # the classes of a cross-entropy read off the loss's graph
        self._loss_kind = "unknown"
        self._lrs: list[tuple[int, float]] = []  # (step, max lr) at the checks, for the warm-up test
        size = at_least("window", window, 4)
        self.window = Window(max(size, self.learn_window, self.chance_window, self.plateau_window))
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
        self._growth_base: tuple[np.ndarray, np.ndarray] | None = None  # (first_weight, its floored norms)
        self._shrink_base: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (first_weight, kept, their norms)

    def observe_update(self, update: UpdateStats) -> None:
        """Remember a measured update's median update-to-weight ratio (the guard calls this)."""
        r = np.asarray(update.layer_update_ratio, dtype=np.float64)
        moved = np.isfinite(r) & (np.asarray(update.layer_update_norm) > 0)
        if moved.any():
            ratio = _median(r[moved].tolist())  # Python's sort beats np.median's per-call cost on a few hundred
            first = not self.ratios
            self.ratios.append((int(update.step), ratio))
            del self.ratios[:-_RATIOS_KEPT]
            if first:  # a run's first update is no evidence of hard steps: Adam's is sign-like (~lr per element)
                return
            self.peak_ratio = max(self.peak_ratio, ratio)
            if self.hard_since is None and self.ratio_high is not None and ratio > self.ratio_high:
                self.hard_since = int(update.step)

    def bind_model(self, model: nn.Module, loss_fn: Any = None) -> None:
        """Let an ``"auto"`` chance loss be inferred from ``model``'s first forward and the guard's ``loss_fn``
        (the guard calls this; see :mod:`gradguard.detectors.chance`). Does nothing for a given chance loss."""
        if self.auto_chance and self.chance is None and self._width is None:
            self._width = OutputWidth(model)
            self._loss_kind = loss_kind(loss_fn)

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        loss = stats.loss
        if loss is None or not math.isfinite(loss):
            return []
        if self.first_weight is None and stats.weights_finite:
            self.first_weight = np.array(stats.layer_weight_norm, dtype=np.float64)
        if not self.start_losses:
            self.start_losses.append(loss)
        self.window.push(loss)
        self.seen += 1
        if self.first is None and len(self.window) >= 10:
            self.first = float(np.median(self.window.array()[:10]))
        if stats.step % self.every:  # the common case: a stall is slow, look every `every` steps
            return []
        self._note_lr(stats)
        events = self._check(stats)
        zero = self.zero_rate.see(stats)
        if zero is not None:
            events.append(zero)
        shrink = self._shrinking(stats)
        if shrink is not None:
            events.append(shrink)
        tiny = self._tiny(stats)
        if tiny is not None:
            events.append(tiny)
        if self.chance is not None or self._width is not None:
            chance = self._at_chance(stats)
            if chance is not None:
                events.append(chance)
            plateau = self._plateau(stats)
            if plateau is not None:
                events.append(plateau)
        return events

    def _check(self, stats: StepStats) -> list[Event]:
        """The not-learning, never-improved and frozen modes (one episode at a time)."""
        n = len(self.window)
        stuck = self._stuck_at_start(stats)
        if stuck and self.active and self.learn_fired is not None:
            # still not learning: say so again after learn_window x 1, 2, 4... steps (a back-off that did not help)
            if stats.step - self.learn_fired >= self.learn_window * 2 ** (self.learn_repeats - 1):
                self.learn_fired, self.learn_repeats = stats.step, self.learn_repeats + 1
                learning = self._not_learning(stats)
                return [dataclasses.replace(learning, evidence={**learning.evidence, "repeat": self.learn_repeats})]
            return []
        stalled = stuck
        if not stuck and n >= self.size and self.first is not None:
            recent = self.window.last(self.size).tolist()  # Python on 100 floats beats numpy's per-call cost
            lo, hi = min(recent), max(recent)
            span = hi - lo
            if self.improved and span > self.frozen * max(abs(lo), abs(hi), 1e-12):
                stalled = False  # the common case: it improved once and moves (|median| <= max(|lo|, |hi|))
            else:
                new = _median(recent[len(recent) // 2:])
                if self.first - new > self.min_improvement * max(abs(self.first), 1e-12):
                    self.improved = True
                stalled = (not self.improved) or span <= self.frozen * max(abs(new), 1e-12)
                if stalled and not self.improved and self._descending(recent):
                    stalled = False
                if stalled and self.improved and 0 <= new <= CONVERGED * self.first:
                    stalled = False  # frozen at its floor: a margin loss satisfied (fresh53's CML: 4.4 -> exactly 0)
        if stalled and not stuck and not self._stepping(max(stats.lrs) if stats.lrs else math.nan,
                                                        stats.step - self.size):
            return []  # a rate still rising over the window (a warm-up from 0 holds the loss): not yet a stall
        if stalled and not self.active:
            self.active = True
            if stuck:
                self.learn_fired, self.learn_repeats = stats.step, 1
                return [self._not_learning(stats)]
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

    def _tiny(self, stats: StepStats) -> Event | None:
        """The tiny_steps mode (see :mod:`.tiny`): once per run."""
        if self.tiny_told or self.first is None or len(self.window) < self.learn_window or \
                len(self.ratios) < TINY_COUNT:
            return None
        last = self.ratios[-TINY_COUNT:]
        if not all(r < TINY_RATIO for _, r in last):
            return None
        lr = max(stats.lrs) if stats.lrs else math.nan
        if not self._stepping(lr, last[0][0]):  # a warm-up's first steps are small on purpose
            return None
        reference = self.first if self.chance is None else min(self.first, self.chance)
        last_losses, m1, m2 = self._halves(self.learn_window)
        median = _median(last_losses)
        if not reference > 0 or median < TINY_STILL * reference or m2 < (1 - TINY_FLAT) * m1:
            return None  # not at its start, or coming down (an NF-ResNet's first steps are tiny and take it down)
        self.tiny_told = True
        return tiny_event(stats.step, [r for _, r in last], median, reference, self.learn_window, list(stats.lrs))

    def _descending(self, recent: list[float]) -> bool:
        """Whether a loss that has not yet improved by ``min_improvement`` is on its way: the median of the window's
        last quarter is under the third quarter's, and at that pace (``DESCENT_QUARTERS`` more quarters, compounded)
        it is more than ``min_improvement`` under its start. fresh52's fastText at SGD sits at ln 4 for 80 steps,
        1.386 -> 1.373 at step 90 (0.9%), then learns (0.45 at step 199): "never improved" at step 100 was a false
        alarm. A loss held flat by noise passes this at a few checks at most, and the next check (``window // 20``
        steps on) tells it."""
        if self.first is None or self.first <= 0:
            return False
        q = len(recent) // 4
        m3, m4 = _median(recent[-2 * q:-q]), _median(recent[-q:])
        if not (0 < m4 < m3 and m4 * (m4 / m3) ** DESCENT_QUARTERS < (1 - self.min_improvement) * self.first):
            return False
        # and the fall is no accident of noise: over DESCENT_SE standard errors of a quarter's median (the noise
        # from the steps' differences, robustly: 1.4826 x their MAD / sqrt 2; a median's error ~1.25 sigma / sqrt q)
        diffs = [b - a for a, b in itertools.pairwise(recent[-2 * q:])]
        mid = _median(diffs)
        sigma = 1.4826 * _median([abs(d - mid) for d in diffs]) / math.sqrt(2)
        return m3 - m4 > DESCENT_SE * 1.25 * sigma / math.sqrt(q)

    def _stuck_at_start(self, stats: StepStats) -> bool:
        """The not-learning condition (no event built: most checks only need the answer)."""
        if len(self.window) < self.learn_window or not self.start_losses:
            return False
        start = self.start_losses[0]
        band = (1 - self.start_tolerance) * start
        tail = max(2, self.learn_window // 5)
        latest = _median(self.window.last(tail).tolist())  # still at its start at the end
        if not (start > 0 and latest >= band):  # the common case (a run that learns): one short median
            return False
        window = self.window.last(self.learn_window).tolist()
        if _median(window) < band:
            return False
        if latest < (1 - LEAVING) * _median(window[:-tail]):
            return False  # leaving its start now: the AWD-LSTM at SGD lr 30 behind its 0.25 clip, flat 50 steps
        if self.hard_since is None and self.growth_high is not None:
            growth = self._growth(stats)
            if growth is not None and growth > self.growth_high:
                self.hard_since = stats.step
        # the loss must have stayed at its start for the whole window *after* the weights were first moved hard
        return self.hard_since is not None and stats.step - self.learn_window >= self.hard_since

    def _not_learning(self, stats: StepStats) -> Event:
        """The not-learning event (when :meth:`_stuck_at_start` holds)."""
        start = self.start_losses[0]
        med = _median(self.window.last(self.learn_window).tolist())
        since = stats.step - self.learn_window
        recent = [r for s, r in self.ratios if s > since]
        ratio = _median(recent) if recent else None
        growth = self._growth(stats)
        high = math.inf if self.ratio_high is None else self.ratio_high
        by_ratio = self.peak_ratio > high
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

    def _shrinking(self, stats: StepStats) -> Event | None:
        """The weights_shrink mode (see :mod:`.shrink`): once per run."""
        if self.shrink_told or self.first is None or len(self.window) < 20:
            return None
        reference = self.first if self.chance is None else min(self.first, self.chance)
        growth = self._shrink_ratio(stats)
        if growth is None:
            return None
        hist = self.shrink_hist
        hist.append((stats.step, growth))
        while len(hist) > 2 and hist[1][0] <= stats.step - SHRINK_LAG:
            del hist[0]
        before = hist[0][1] if hist[0][0] <= stats.step - SHRINK_LAG else None
        if growth > SHRINK_LOW or not reference > 0 or before is None or growth > SHRINK_FALLING * before:
            return None
        median = _median(self.window.last(10).tolist())
        if median < SHRINK_STILL * reference:
            return None
        self.shrink_told = True
        return shrink_event(stats.step, growth, median, reference, list(stats.lrs))

    def _shrink_ratio(self, stats: StepStats) -> float | None:
        """The median over layers of norm / first norm, over the layers that started at a quarter of the median first
        non-zero norm or more (a zero-initialised output layer, layer scale or flow's scale has nothing to lose)."""
        first = self.first_weight
        if first is None or not stats.weights_finite or not (first > 0).any():
            return None
        if self._shrink_base is None or self._shrink_base[0] is not first:  # computed once per first_weight
            keep = first >= max(0.25 * float(np.median(first[first > 0])), np.finfo(np.float64).tiny)
            self._shrink_base = (first, keep, first[keep])
        _, keep, kept = self._shrink_base
        return float(np.median(np.asarray(stats.layer_weight_norm)[keep] / kept))

    def _growth(self, stats: StepStats) -> float | None:
        first = self.first_weight
        if first is None or not stats.weights_finite or not (first > 0).any():
            return None
        if self._growth_base is None or self._growth_base[0] is not first:  # computed once per first_weight
            floor = 0.25 * float(np.median(first[first > 0]))
            self._growth_base = (first, np.maximum(first, floor))
        return float(np.median(np.asarray(stats.layer_weight_norm) / self._growth_base[1]))

    def state_dict(self) -> dict[str, Any]:
        return {"window": self.window.state_dict(), "first": self.first, "improved": self.improved,
                "active": self.active, "start_losses": list(self.start_losses),
                "first_weight": None if self.first_weight is None else self.first_weight.tolist(),
                "ratios": [list(r) for r in self.ratios], "peak_ratio": self.peak_ratio,
                "hard_since": self.hard_since, "learn_fired": self.learn_fired, "learn_repeats": self.learn_repeats,
                "chance": self.chance, "chance_source": self.chance_source, "chance_active": self.chance_active,
                "chance_lrs": [list(x) for x in self._lrs], "plateau_active": self.plateau_active,
                "shrink_told": self.shrink_told, "shrink_hist": [list(x) for x in self.shrink_hist],
                "seen": self.seen, "zero_rate": self.zero_rate.state_dict()}

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
        if state.get("chance") is not None:  # an inferred (or given) chance loss survives a resume
            if self._width is not None:
                self._width.close()
            self.chance, self.chance_source, self._width = float(state["chance"]), state.get("chance_source"), None
        self.chance_active = bool(state.get("chance_active", False))
        self._lrs = [(int(s), float(r)) for s, r in state.get("chance_lrs", [])]
        self.plateau_active = bool(state.get("plateau_active", False))
        self.shrink_told = bool(state.get("shrink_told", False))
        self.shrink_hist = [(int(a), float(b)) for a, b in state.get("shrink_hist", [])]
        self.seen = int(state.get("seen", len(self.window)))
        self.zero_rate.load_state_dict(state.get("zero_rate", {}))
