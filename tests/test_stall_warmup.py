"""The stall detector's never-improved mode waits out a warm-up (real-code finding, session 24): accelerate's
``nlp_example`` with its published 100-step linear warm-up from 0 sits at ln 2 through the warm-up and then learns;
it was told "loss never improved over the last 100 steps" at step 100."""

from __future__ import annotations

import math

import numpy as np

from gradguard.detectors import StallDetector
from gradguard.stats import StepStats

L = 3


def make(step: int, loss: float, lr: float) -> StepStats:
    return StepStats(step=step, loss=loss, grad_norm=1.0, scale=None, lrs=(lr,), layer_grad_norm=np.ones(L),
                     layer_grad_maxabs=np.ones(L), layer_grad_nonfinite=np.zeros(L, np.int64),
                     layer_weight_norm=np.ones(L), layer_has_grad=np.ones(L, bool))


def never_improved(losses: list[float], lrs: list[float]) -> list[int]:
    det = StallDetector(chance_loss=None)
    out = []
    for step, (loss, lr) in enumerate(zip(losses, lrs)):
        out += [step for e in det(make(step, loss, lr), ["a", "b", "c"])
                if e.evidence.get("mode") in ("never_improved", "frozen")]
    return out


def test_a_flat_loss_under_a_warm_up_from_zero_is_not_a_stall_until_the_rate_stops_rising() -> None:
    rng = np.random.default_rng(0)
    n, warm = 240, 100
    lrs = [5e-4 * min(1.0, s / warm) for s in range(n)]  # a linear warm-up from 0, then constant
    flat = [math.log(2) + 0.002 * float(rng.standard_normal()) for _ in range(n)]
    fired = never_improved(flat, lrs)
    # the same losses at a constant rate are a stall at the first check with a full window (step 100)...
    assert never_improved(flat, [5e-4] * n)[:1] == [100]
    # ...under the warm-up not before the window holds only steps at the full rate (from step 200)
    assert fired and fired[0] >= 2 * warm


def test_a_run_that_learns_after_its_warm_up_is_never_told() -> None:
    rng = np.random.default_rng(1)
    n, warm = 240, 100
    lrs = [5e-4 * min(1.0, s / warm) for s in range(n)]
    losses = [math.log(2) + 0.002 * float(rng.standard_normal()) - (0.0 if s < 110 else 0.002 * (s - 110))
              for s in range(n)]
    assert never_improved(losses, lrs) == []
