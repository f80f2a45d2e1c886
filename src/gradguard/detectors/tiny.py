"""The stall detector's ``tiny_steps`` mode: the weights barely move and the loss stays where it started.

The converse of the ``not_learning`` mode (weights moved hard, loss at its start): here each measured update is a
tiny share of the weights, so no run of practical length gets anywhere — a learning rate far too small (a LambdaLR
that returns the rate instead of a factor, a warm-up that never advances), an Adam ``eps`` far above the gradient
(``eps=1``), or gradients that vanished under plain SGD (`check` on a batch tells these apart). Measured on the
judgment corpus' plain runs (seed 0, all 351 healthy models, and seed 1 of the 138 whose median layer update-to-
weight ratio ever fell under 3e-3; 100 steps, the ratio every 10 steps): no healthy run had three successive
measurements under :data:`TINY_RATIO` while its loss was still within :data:`TINY_STILL` of its start (the closest:
a 20-layer highway net at 1.6e-4, held at its start for 50 steps before it takes off); 33 broken runs did, among them
Adam at ``eps=1`` (5.2e-5 per step) and LambdaLRs returning the learning rate.
"""

from __future__ import annotations

from ..events import Event

__all__ = ["TINY_COUNT", "TINY_FLAT", "TINY_RATIO", "TINY_STILL", "tiny_event"]

#: median layer update-to-weight ratio under which a measured update counts as tiny (healthy runs measure 1e-3 to
#: 3e-2 while they learn)
TINY_RATIO = 1e-4
#: successive measured updates that must all be tiny (every ``update_every`` steps: 10 by default)
TINY_COUNT = 3
#: the loss counts as still at its start while the median of the last ``learn_window`` losses is at least this
#: fraction of its start (the smaller of the first 10 losses' median and the chance loss, when one is known)
TINY_STILL = 0.9
#: ... and it is not coming down: the median of the window's second half is at least ``1 - TINY_FLAT`` times its
#: first half's (an NF-ResNet under SGD makes updates of 1e-5 of its weights in its first 50 steps while its loss
#: falls from 2.30 to 1.94: tiny steps that work)
TINY_FLAT = 0.02


def tiny_event(step: int, ratios: list[float], loss_median: float, reference: float, window: int,
               lrs: list[float]) -> Event:
    """The ``stall`` event of the ``tiny_steps`` mode (the caller has checked its conditions)."""
    worst = max(ratios)
    return Event(
        step=step, kind="stall", severity="warning",
        message=(f"weights barely move: the last {len(ratios)} measured updates moved the median layer by at most "
                 f"{worst:.2g} of its weights (healthy runs: 1e-3 to 3e-2) while the loss, {loss_median:.4g}, is "
                 f"still at its start ({loss_median / reference:.2f}x {reference:.4g}) after {window} steps: a "
                 "learning rate far too small for the weights (or a schedule that never leaves its warm-up), weights "
                 "initialised far too large for the rate (an Adam step moves each by about lr), an Adam eps far "
                 "above the gradient, or gradients that vanished; `gradguard check` on a batch says which"),
        evidence={"mode": "tiny_steps", "update_ratios": list(ratios), "tiny_ratio": TINY_RATIO,
                  "loss_median": loss_median, "loss_reference": reference, "loss_vs_reference": loss_median / reference,
                  "still": TINY_STILL, "window": window, "lrs": list(lrs)})
