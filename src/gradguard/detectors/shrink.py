"""The stall detector's ``weights_shrink`` mode: the weights collapse towards 0 while the loss has not come down.

Weight decay (or an L2 term in the loss) far too strong for the learning rate pulls every weight towards 0 faster
than the gradient holds it up: the network's output flattens and the loss stays where it started. Measured on the
judgment corpus' plain-setting runs (598 healthy runs: 299 models x seeds 0/1, 200 steps): the median layer's weight
norm never fell below 0.85x its first on any healthy run but GCNII's (Adam lr 0.01 with coupled L2 0.01: 0.31x by
step 10, then held at 0.30-0.40x, a balance, while its loss took 40 steps to come down), while it stood at 0.0-0.41x
and still falling by steps 30-160 on the weight-decay faults that held the loss at its start (Adam with
``weight_decay=1``, AdamW at 50, SGD at 0.5-5): the mode asks for both, a collapse and one still under way.
"""

from __future__ import annotations

from ..events import Event

__all__ = ["SHRINK_FALLING", "SHRINK_LAG", "SHRINK_LOW", "SHRINK_STILL", "shrink_event"]

#: the median layer weight norm, as a fraction of its first (layers that start under a quarter of the median first
#: non-zero norm left out), at or under which the weights count as collapsed (healthy corpus runs: >= 0.90)
SHRINK_LOW = 0.5
#: still collapsing: the ratio is at most this fraction of its value :data:`SHRINK_LAG` steps before
SHRINK_FALLING = 0.9
#: steps back for :data:`SHRINK_FALLING`
SHRINK_LAG = 50
#: the loss counts as not come down while the median of its last 10 values is at least this fraction of its start
#: (the smaller of the first 10 losses' median and the chance loss, when one is known)
SHRINK_STILL = 0.75


def shrink_event(step: int, growth: float, loss_median: float, reference: float, lrs: list[float]) -> Event:
    """The ``stall`` event of the ``weights_shrink`` mode (the caller has checked the two conditions)."""
    return Event(
        step=step, kind="stall", severity="warning",
        message=(f"weights collapsing: the median layer's weights are at {growth:.2g}x their first norm while the "
                 f"loss, {loss_median:.4g}, has not come down ({loss_median / reference:.2f}x its start "
                 f"{reference:.4g}): weight decay (or an L2 term in the loss) pulls them to 0 faster than the "
                 "gradient holds them up; lower it (AdamW 0.01-0.1, SGD 1e-4 to 5e-4; with Adam, use AdamW's "
                 "decoupled decay)"),
        evidence={"mode": "weights_shrink", "likely_cause": "regularization", "weight_growth": growth,
                  "shrink_low": SHRINK_LOW, "loss_median": loss_median, "loss_reference": reference,
                  "loss_vs_reference": loss_median / reference, "still": SHRINK_STILL, "lrs": list(lrs)})
