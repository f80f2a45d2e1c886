"""The stall detector's chance-loss modes (``at_chance``, ``plateau``) and the rate bookkeeping they share with its
other modes: whether the weights are stepped (not in warm-up) over a window, and the loss window's halves.

A mixin of :class:`~gradguard.detectors.stall.StallDetector` (which holds the state and documents the modes).
"""

from __future__ import annotations

import math
from typing import Any

from ..events import Event
from ..stats import StepStats
from ._history import Window
from ._history import short_median as _median
from .chance import OutputWidth, chance_of


def _vs_chance(loss: float, chance: float) -> str:
    """How a loss compares with the chance loss log(C), in words."""
    return (f"{loss / chance:.2f}x the chance loss {chance:.4g} (a uniform guess over {round(math.exp(chance))} "
            f"classes)")


#: the at-chance mode holds while the median of the window's last 1/RECENT_SHARE (its last 5 of 50 losses) is at
#: chance too: a loss that has just come down through the threshold is learning
RECENT_SHARE = 10


class ChanceModes:
    """The at-chance and plateau modes and the learning-rate record (state set by ``StallDetector.__init__``)."""

    window: Window
    chance: float | None
    chance_source: str | None
    chance_window: int
    chance_margin: float
    chance_active: bool
    plateau_after: int | None
    plateau_window: int
    plateau_flat: float
    plateau_floor: float
    plateau_active: bool
    learn_window: int
    size: int
    seen: int
    start_losses: list[float]
    auto_chance: bool
    _width: OutputWidth | None
    _graph_classes: int | None
    _loss_kind: str
    _lrs: list[tuple[int, float]]

    def set_loss_classes(self, classes: int | None) -> None:
        """Called by the guard once, with the class count of a loss that is a cross-entropy as read off its graph
        (:func:`gradguard.reduction.ce_classes`): the chance loss of a model whose output shows no logits (it returns
        only its loss) when the chance loss is ``"auto"``."""
        self._graph_classes = classes if self.auto_chance and classes is not None and classes >= 2 else None

    def known_chance(self) -> float | None:
        """The chance loss ``log C`` once it can be told (given, or inferred after the model's first forward), else
        None; what :func:`~gradguard.detectors.default_detectors` hands the divergence detector."""
        if self.chance is None and self._width is not None and self._width.seen and self.start_losses:
            self._resolve()
        return self.chance

    def _resolve(self) -> bool:
        """Infer the chance loss once the bound model's first output was seen (True when there is one)."""
        width = self._width
        if width is None or not width.seen:
            return False
        self._width = None
        first = self.start_losses[0] if self.start_losses else None
        self.chance = chance_of(width.classes, self._loss_kind, width.own_loss, first, width.ce_range,
                                width.ce_grad, width.ce_value)
        if self.chance is not None:
            self.chance_source = f"output width {width.classes}"
        elif width.classes is None and self._graph_classes is not None:  # a model that returns only its loss
            self.chance = math.log(self._graph_classes)
            self.chance_source = f"the loss's cross-entropy over {self._graph_classes} classes"
        return self.chance is not None

    def _at_chance(self, stats: StepStats) -> Event | None:
        """The at-chance mode: median of the last ``chance_window`` losses at or above ``log(C)``."""
        if self.chance is None and not self._resolve():
            return None
        chance = self.chance
        assert chance is not None
        lr = max(stats.lrs) if stats.lrs else math.nan
        since = stats.step - self.chance_window
        if len(self.window) < self.chance_window:
            return None
        last, m1, m2 = self._halves(self.chance_window)
        med = _median(last)
        if med < (1 + self.chance_margin) * chance:
            self.chance_active = False
            return None
        if 0 < m2 < m1 and m2 * (m2 / m1) < (1 + self.chance_margin) * chance:
            return None  # at its pace it is under the threshold within half a window (GAT: 2.9 -> 1.64): learning
        if _median(last[-max(len(last) // RECENT_SHARE, 1):]) < (1 + self.chance_margin) * chance:
            # its last losses are under the threshold already: a loss that rose above chance first and now learns
            # (fresh112's InstDisc, 512 instances at temperature 0.07: 8.2 -> 14.5 by step 32 as its memory bank
            # fills, then 12.3 -> 4.8 over steps 38-50, the window's median still 2x chance at step 50)
            return None
        if self.chance_active or not self._stepping(lr, since):  # told already, not stepping, or warming up
            return None
        self.chance_active = True
        return Event(step=stats.step, kind="stall", severity="warning",
                     message=f"at chance: the median loss of the last {self.chance_window} steps, {med:.4g}, is "
                             f"{_vs_chance(med, chance)} while the weights are stepped: the model has learned "
                             f"nothing a constant guess would not know (a too-large init, dead units, or a learning "
                             f"rate far off)",
                     evidence={"mode": "at_chance", **self._vs_chance_evidence(med, chance),
                               "chance_margin": self.chance_margin, "loss_start": self.start_losses[0],
                               "window": self.chance_window,
                               "lrs": list(stats.lrs)})

    def _plateau(self, stats: StepStats) -> Event | None:
        """The plateau mode (after :meth:`_at_chance`, which resolves the chance loss and records the rate)."""
        chance = self.chance
        if chance is None or self.plateau_after is None:
            return None
        if self.seen < max(self.plateau_after, self.plateau_window):
            return None
        last, m1, m2 = self._halves(self.plateau_window)
        fall = (m1 - m2) / m1 if m1 > 0 else 0.0
        if min(m1, m2) < self.plateau_floor * chance or fall >= self.plateau_flat:
            self.plateau_active = False
            return None
        lr = max(stats.lrs) if stats.lrs else math.nan
        if self.plateau_active or not self._stepping(lr, stats.step - self.plateau_window):
            return None
        self.plateau_active = True
        return Event(step=stats.step, kind="stall", severity="warning",
                     message=f"plateau at chance: after {self.seen} steps the loss, {m2:.4g}, is still "
                             f"{_vs_chance(m2, chance)} and it has stopped falling ({m1:.4g} -> {m2:.4g} over the last "
                             f"{len(last)} steps): the model is not learning (vanished gradients, saturated units, "
                             f"weight decay holding the weights at 0, labels that do not match the inputs); "
                             f"`gradguard check` on a batch says which",
                     evidence={"mode": "plateau", **self._vs_chance_evidence(m2, chance),
                               "median_first_half": m1, "median_second_half": m2, "fall": fall,
                               "plateau_flat": self.plateau_flat, "plateau_floor": self.plateau_floor,
                               "window": len(last), "losses_seen": self.seen, "lrs": list(stats.lrs)})

    def _vs_chance_evidence(self, median: float, chance: float) -> dict[str, Any]:
        """The evidence the at-chance and plateau modes share: a median loss against the chance loss."""
        return {"loss_median": median, "chance_loss": chance, "classes": round(math.exp(chance)),
                "chance_source": self.chance_source, "loss_vs_chance": median / chance}

    def _note_lr(self, stats: StepStats) -> None:
        """Remember the largest lr at this check (for the warm-up test of the modes that ask whether the weights are
        stepped), as far back as the longest window."""
        lrs = self._lrs
        lrs.append((stats.step, max(stats.lrs) if stats.lrs else math.nan))
        keep = stats.step - max(self.chance_window, self.plateau_window, self.learn_window, self.size)
        while len(lrs) > 1 and lrs[1][0] <= keep:
            del lrs[0]

    def _halves(self, n: int) -> tuple[list[float], float, float]:
        """The last ``n`` losses and the medians of their first and second halves."""
        last = self.window.last(n).tolist()
        half = len(last) // 2
        return last, _median(last[:half]), _median(last[half:])

    def _stepping(self, lr: float, since: int) -> bool:
        """The weights are stepped at a rate that has not risen by more than 5% since step ``since`` (a rate in
        warm-up does not count: its loss may still be held; no rate that old known: stepping)."""
        past = next((v for s, v in reversed(self._lrs) if s <= since), math.nan)
        return lr > 0 and not lr > 1.05 * past
