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

:meth:`ClipAdaptiveTwin.bands` gives the same rule as a step function of the norm (:class:`Bands`), and
:func:`~gradguard.deferred_table.table_host` turns it, with the fixed clips, into the table
:class:`~gradguard.deferred_twins.DeviceTwin` applies (a loss known on the host decides "the loss falls" there, by
``_trend``'s own arithmetic).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import torch

from ._clip_target import far_target
from ._doubles import MAX_DOUBLE as _MAX
from ._doubles import last_true
from .mitigation.adaptive import ClipAdaptive
from .mitigation.clipping import ClipByPercentile, ClipByZScore

__all__ = ["Bands", "ClipAdaptiveTwin", "StatefulClipTwin", "learn_below", "zscore_clip_norm"]


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
#: the boundary under which every finite loss "falls" (a loss the clipper does not read: ClipAdaptive.set_loss_unread);
#: float32's largest, so that it survives the parameters' cast and +inf stays above it
_ANY_FINITE = 3.4028234663852886e38


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


def _tmax(a: float, b: float) -> float:
    """``torch.maximum`` of two doubles (NaN if either is)."""
    return math.nan if a != a or b != b else max(a, b)


def _falls(x: float, top: float, fast: float, keep: float, falls: float) -> bool:
    """:meth:`ClipAdaptive._trend`'s "the loss falls" for a finite loss ``x`` (the fast EMA fed ``min(x, top)``)."""
    capped = min(x, top)
    f = fast if math.isfinite(fast) else capped
    return f + (capped - f) * keep < falls


class Bands(NamedTuple):
    """``clip_adaptive``'s decision for the next step as a step function of its norm ``n``, from the host state
    after the previous step (:meth:`ClipAdaptiveTwin.bands`): the limit ``n`` is clipped above, by the loss's state
    (one limit: known on the host; two: not learning / learning, the loss a device tensor that learns when
    ``-inf < loss <= learn_below``), raised in bands of ``n`` by a clip seen before the guard (``users``: the bands'
    edges ``down``, ``up`` and the raised limits at and below the top), and the far target's doubles."""

    warm: bool
    limits: tuple[float, ...]
    learn_below: float
    users: tuple[float, float, float, float] | None  # (down, up, at, below)
    mean: float
    zs: float
    zs2: float

    def clip_to(self, norms: Sequence[float], state: int) -> list[float]:
        """For each norm ``n``: the limit a step of that norm is clipped to in loss state ``state`` before the far
        target (the host rule's), ``math.inf`` when it is not clipped (NaN, Inf, zero norms: nothing to clip)."""
        inf = math.inf
        limit = self.limits[state]
        if self.users is None:
            return [limit if 0.0 < n < inf and n > limit else inf for n in norms]
        down, up, at, below = self.users
        at, below = _tmax(limit, at), _tmax(limit, below)  # _tmax(limit, -inf) above the top band is limit
        out = []
        for n in norms:
            lim = limit if n > up else at if n >= down else below
            out.append(lim if 0.0 < n < inf and n > lim else inf)
        return out

    def breakpoints(self) -> list[float]:
        """Every ``b`` such that :meth:`clip_to` is constant on each interval between consecutive ones (a
        comparison ``n >= b``: a strict ``n > x`` is ``n >= nextafter(x, inf)``)."""
        out: list[float] = []
        limits = list(self.limits)
        if self.users is not None:
            down, up, at, below = self.users
            out += [down, math.nextafter(up, math.inf)]
            limits += [_tmax(lim, u) for lim in self.limits for u in (at, below)]
        return out + [math.nextafter(lim, math.inf) for lim in limits]


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
            p[_LEARN_BELOW] = _ANY_FINITE if not m.loss_read else learn_below(
                ref + m.loss_tol * abs(ref), m.loss_fast, 1.0 - m.trend_alpha, ref - m.trend_margin * abs(ref))
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

    def bands(self, has_loss: bool, host_loss: float | None) -> Bands:
        """The next step's rule as :class:`Bands` (what :meth:`host_params` gives, in the form
        :class:`~gradguard.deferred_twins.DeviceTwin` turns into a table over the norm; a loss known on the host
        decides "the loss falls" here, by :meth:`ClipAdaptive._trend`'s own arithmetic)."""
        m = self.member
        warm = m.count < m.warmup
        limit = m.threshold(False)
        limits: tuple[float, ...] = (limit,)
        below = -math.inf
        ref = m.loss_ref
        if not warm and has_loss and m.normalized and m.trend_margin > 0 and math.isfinite(ref):
            learned = m.threshold(True)
            if learned != limit:
                top, falls = ref + m.loss_tol * abs(ref), ref - m.trend_margin * abs(ref)
                keep = 1.0 - m.trend_alpha
                if host_loss is not None:
                    x = host_loss
                    if math.isfinite(x) and (not m.loss_read or (x <= top and _falls(x, top, m.loss_fast, keep,
                                                                                     falls))):
                        limits = (learned,)
                else:
                    below = _ANY_FINITE if not m.loss_read else learn_below(top, m.loss_fast, keep, falls)
                    if below != -math.inf:
                        limits = (limit, learned)
        top_norm = m.top
        lifted = top_norm * (1.0 + 1e-4)
        at = lifted if m.top_hits + 1 >= 3 and m.below_top else -math.inf
        under = lifted if m.top_hits >= 3 else -math.inf
        users = None
        # a clip seen before the guard raises the limit to max(limit, at / under) in its bands: where neither is above
        # any limit it changes nothing, and the bands are left out (the same rule, fewer breakpoints)
        if (at != -math.inf or under != -math.inf) and not all(u <= lim for lim in limits for u in (at, under)):
            users = (top_norm * (1.0 - 1e-5), top_norm * (1.0 + 1e-5), at, under)
        mean = zs = zs2 = math.nan
        if not warm:
            zs = m.z_threshold * m._std()
            mean, zs2 = m.mean, zs * zs
        return Bands(warm, limits, below, users, mean, zs, zs2)

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
