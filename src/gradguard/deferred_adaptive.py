"""Device twins of the adaptive clippers (``clip_adaptive``, ``clip_by_zscore``, ``clip_by_percentile``).

``clip_by_zscore`` and ``clip_by_percentile`` clip a step to a norm their history sets before the step is seen:
their twin (:class:`StatefulClipTwin`) hands that norm to the device as ``clip_by_global_norm`` hands its constant.

``clip_adaptive`` (``safe``'s clipper) also reads the step itself: its threshold rises faster while the loss falls
(the step's loss against its two loss EMAs), a clip seen before the guard lifts it (which of three bands the step's
norm falls in against the largest norm seen), and a step far above it is clipped nearer the typical norm, by a
continuous function of the norm. :class:`ClipAdaptiveTwin` splits :meth:`ClipAdaptive.decide
<gradguard.mitigation.adaptive.ClipAdaptive.decide>` into what the state through the previous step fixes (the two
candidate thresholds, the band edges, the EMA mean and band, and the largest loss that says "the loss falls",
:func:`learn_below`: host doubles) and what the step adds, computed on the device by the same IEEE operations in
the same order (comparisons, ``min``/``max``, the true division ``target / norm``); the far target goes through
:func:`gradguard._clip_target.far_target`, the torch expression the host uses too. The host-side history is
updated when the deferred mode reads the step (a step late); the state the twin reads is the state after the
previous step, which the deferred mode reads before it issues the next (as for ``skip_outliers``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ._clip_target import far_target
from ._doubles import MAX_DOUBLE as _MAX
from ._doubles import last_true
from .mitigation.adaptive import ClipAdaptive
from .mitigation.clipping import ClipByPercentile, ClipByZScore

__all__ = ["ClipAdaptiveTwin", "StatefulClipTwin", "learn_below", "zscore_clip_norm"]


def zscore_clip_norm(member: ClipByZScore) -> float:
    """The norm :class:`ClipByZScore` clips the next step to (``math.inf``: none), from its state."""
    if member.count < member.warmup:
        return member.warmup_growth * float(np.median(member._warm)) if member._warm else math.inf
    return member.threshold()


class StatefulClipTwin:
    """A clipper whose clip norm for the next step is fixed by its state after the previous step."""

    stateful, skips, clips = True, False, True

    def __init__(self, member: Any) -> None:
        self.member = member
        self._norm = zscore_clip_norm if isinstance(member, ClipByZScore) else type(member).threshold

    def skip_above_sumsq(self) -> float:
        return math.inf

    def clip_norm(self) -> float:
        return float(self._norm(self.member))


# the slots of ClipAdaptiveTwin's host doubles
_LIMIT, _LEARN_LIMIT, _UP, _DOWN, _USER_AT, _USER_BELOW, _MEAN, _ZS, _ZS2, _LEARN_BELOW, _ONE, _LOSS = range(12)


def learn_below(top: float, fast: float, keep: float, falls: float) -> float:
    """The largest double loss ``x`` for which :meth:`ClipAdaptive._trend` says the loss falls: ``x <= top`` and the
    fast EMA fed ``min(x, top)`` (``fast + (min(x, top) - fast) * keep``, or ``min(x, top)`` itself when ``fast`` is
    NaN: the first loss) is below ``falls``; ``-inf`` when none is. That EMA is a chain of correctly rounded
    operations, each monotone in ``x``, so a finite loss falls exactly when it is ``<=`` this: found from the
    algebraic boundary by a few steps to the neighbouring doubles (bisection over the doubles if that fails)."""
    known = math.isfinite(fast)

    def falls_at(x: float) -> bool:
        capped = min(x, top)
        f = fast if known else capped
        return f + (capped - f) * keep < falls

    if falls_at(top):
        return top
    if not falls_at(-_MAX):
        return -math.inf
    guess = fast + (falls - fast) / keep if known else falls
    guess = min(max(guess, -_MAX), top) if math.isfinite(guess) else -_MAX
    return last_true(falls_at, guess, -_MAX, top)


class ClipAdaptiveTwin:
    """``clip_adaptive`` on the device: the coefficient :meth:`ClipAdaptive.decide` takes, from the step's norm and
    loss and the host doubles of the state after the previous step (see the module docstring)."""

    stateful, skips, clips = True, False, True

    def __init__(self, member: ClipAdaptive) -> None:
        self.member = member
        # what the next coef() reads, fixed by host_params (Python branches on the state, never on the step)
        self._warm = True
        self._learns = False
        self._users = False
        self._float_loss = False

    def skip_above_sumsq(self) -> float:
        return math.inf

    def clip_norm(self) -> float:
        return math.inf

    def host_params(self, has_loss: bool, host_loss: float | None) -> list[float]:
        m = self.member
        p = [math.nan] * 12
        p[_ONE] = 1.0
        warm = m.count < m.warmup
        p[_LIMIT] = p[_LEARN_LIMIT] = m.threshold(False)
        ref = m.loss_ref
        # after the warm-up a falling loss lets the threshold rise learn_rise (ClipAdaptive._trend)
        learns = (not warm and has_loss and m.normalized and m.trend_margin > 0 and math.isfinite(ref))
        if learns:
            p[_LEARN_LIMIT] = m.threshold(True)
            p[_LEARN_BELOW] = learn_below(ref + m.loss_tol * abs(ref), m.loss_fast, 1.0 - m.trend_alpha,
                                          ref - m.trend_margin * abs(ref))
            learns = p[_LEARN_LIMIT] != p[_LIMIT] and p[_LEARN_BELOW] != -math.inf
        # the clip before the guard (ClipAdaptive._see_top / user_clip): by the band of the step's norm against
        # the largest norm seen: above it a new top (no clip yet), at it one more hit, below it
        top = m.top
        p[_UP], p[_DOWN] = top * (1.0 + 1e-5), top * (1.0 - 1e-5)
        lifted = top * (1.0 + 1e-4)
        p[_USER_AT] = lifted if m.top_hits + 1 >= 3 and m.below_top else -math.inf
        p[_USER_BELOW] = lifted if m.top_hits >= 3 else -math.inf
        users = p[_USER_AT] != -math.inf or p[_USER_BELOW] != -math.inf
        if not warm:
            zs = m.z_threshold * m._std()
            p[_MEAN], p[_ZS], p[_ZS2] = m.mean, zs, zs * zs
        self._float_loss = host_loss is not None
        if host_loss is not None:
            p[_LOSS] = host_loss
        self._warm, self._learns, self._users = warm, learns, users
        return p

    def coef(self, norm: torch.Tensor, loss: torch.Tensor | None, p: torch.Tensor) -> torch.Tensor:
        limit = p[_LIMIT]
        if self._learns:
            x = p[_LOSS] if self._float_loss else loss
            if x is not None:  # a finite loss at or below the boundary: the loss falls (ClipAdaptive._trend)
                learning = (x <= p[_LEARN_BELOW]) & (x > -math.inf)
                limit = torch.where(learning, p[_LEARN_LIMIT], limit)
        if self._users:
            user = torch.where(norm >= p[_DOWN], p[_USER_AT], p[_USER_BELOW])
            user = torch.where(norm > p[_UP], -math.inf, user)
            limit = torch.maximum(limit, user)
        clipped = torch.isfinite(norm) & (norm > limit)
        target = limit if self._warm else torch.minimum(limit, far_target(norm, p[_MEAN], p[_ZS], p[_ZS2]))
        return torch.where(clipped, torch.div(target, norm), p[_ONE])


FACTORIES: dict[type, Any] = {
    ClipAdaptive: ClipAdaptiveTwin,
    ClipByZScore: StatefulClipTwin,
    ClipByPercentile: StatefulClipTwin,
}
