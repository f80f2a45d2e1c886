"""The device twin's skip flag (``found_inf``) equals the host rule on every corner: NaN/Inf sums of squares and
losses, thresholds at, above and below the sum, infinite, NaN and the largest double."""

from __future__ import annotations

import itertools
import math
import sys

import torch

from gradguard.deferred_twins import DeviceTwin


class _Threshold:
    stateful, skips, clips = False, True, False

    def __init__(self, t: float) -> None:
        self.t = t

    def skip_above_sumsq(self) -> float:
        return self.t

    def clip_norm(self) -> float:
        return math.inf


def _host_rule(gsq: float, loss: float | None, loss_bad: bool, skip_nonfinite: bool, t0: float | None) -> float:
    finite = math.isfinite(gsq)
    bad = skip_nonfinite and (not finite or (loss is not None and not math.isfinite(loss)) or loss_bad)
    if t0 is not None:
        bad = bad or (finite and gsq > t0)
    return float(bad)


_SUMS = [0.0, 5e-324, 1.0, 2.0, 1e308, sys.float_info.max, math.inf, math.nan]
_THRESHOLDS = [None, math.inf, 1.0, 2.0, 0.0, -math.inf, math.nan, sys.float_info.max]
_LOSSES = [None, 0.5, math.nan, math.inf, -math.inf]


def test_found_inf_matches_the_host_rule_on_every_corner() -> None:
    checked = 0
    for skip_nf, t0, gsq, loss, loss_bad in itertools.product([True, False], _THRESHOLDS, _SUMS, _LOSSES,
                                                               [False, True]):
        if (loss_bad and (loss is None or not skip_nf)) or (t0 is None and not skip_nf):
            continue
        twin = DeviceTwin(skip_nf, [] if t0 is None else [_Threshold(t0)])
        loss_t = None if loss is None else torch.tensor(loss, dtype=torch.float32)
        found, coef = twin.decide(torch.tensor(gsq, dtype=torch.float64), loss_t, loss_bad, has_loss=loss is not None)
        assert coef is None and found is not None
        assert found.dtype == torch.float32 and found.shape == ()
        assert found.item() == _host_rule(gsq, loss, loss_bad, skip_nf, t0), (skip_nf, t0, gsq, loss, loss_bad)
        checked += 1
    assert checked > 600
