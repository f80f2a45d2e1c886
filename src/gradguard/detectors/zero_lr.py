"""The stall detector's ``lr_zero`` mode: every param group's learning rate has been exactly 0 for many steps.

After a positive rate, a schedule that has reached 0 while the run goes on stops all learning: ``PolynomialLR`` or
``LinearLR`` left at their default ``total_iters`` (5 steps), a ``LambdaLR`` whose factor reaches 0 before the run
ends, a rate written to 0 by hand. Nothing in the loss says so — it simply stops falling at whatever level it had
reached — so neither the ``tiny_steps`` mode (the loss still at its start) nor the plateau modes (a plateau near
chance) need fire (fresh90's Adaptive-Span LM under ``PolynomialLR(power=1.0)``, 4.34 -> 3.44 and frozen, seen at its
first sight in session 39). A rate of 0 before any positive one (a warm-up from 0) is not this; nor is one group at 0
beside another that trains (a frozen backbone).
"""

from __future__ import annotations

from typing import Any

from ..events import Event
from ..stats import StepStats

__all__ = ["ZERO_LR_STEPS", "ZeroRate"]

#: steps the largest learning rate must have stayed at exactly 0 (seen at the stall detector's checks)
ZERO_LR_STEPS = 50


class ZeroRate:
    """Watches the largest learning rate at the stall detector's checks; fires once per run."""

    def __init__(self) -> None:
        self.positive = False  # a positive rate has been seen
        self.since: int | None = None  # the first check at which the rate was 0 after a positive one
        self.told = False

    def see(self, stats: StepStats) -> Event | None:
        lr = max(stats.lrs) if stats.lrs else None
        if lr is None or lr != lr:  # no rate known (NaN)
            return None
        if lr > 0:
            self.positive, self.since = True, None
            return None
        if not self.positive or lr < 0:
            return None
        if self.since is None:
            self.since = stats.step
        if self.told or stats.step - self.since < ZERO_LR_STEPS:
            return None
        self.told = True
        return Event(
            step=stats.step, kind="stall", severity="warning",
            message=(f"the learning rate has been 0 in every param group since step {self.since} "
                     f"({stats.step - self.since} steps): the weights no longer move. A scheduler that ended before "
                     "the run (PolynomialLR or LinearLR at their default total_iters of 5, a LambdaLR whose factor "
                     "reaches 0) or a rate set to 0 by hand"),
            evidence={"mode": "lr_zero", "zero_since": self.since, "steps_at_zero": stats.step - self.since,
                      "lrs": list(stats.lrs)})

    def state_dict(self) -> dict[str, Any]:
        return {"positive": self.positive, "since": self.since, "told": self.told}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.positive, self.told = bool(state.get("positive", False)), bool(state.get("told", False))
        since = state.get("since")
        self.since = None if since is None else int(since)
