"""The deferred twin's table over the norm (issue 16): its device vector, how the host writes it, and the device
operations that read it.

:class:`~gradguard.deferred_twins.DeviceTwin` turns the clip and skip rules of a policy with fixed members and at
most one ``clip_adaptive`` into one table over the step's norm: the intervals between every value the rules compare
the norm with, and in each the norm the step is clipped to, the far target's ``zs2`` and the skip flag
(:class:`Table`). :func:`table_parts` evaluates the host rules at each interval's left end, :func:`table_host` lays
the vector out in full (the reference), :func:`write_parts` writes the entries that are not padding over a blank
vector, and :func:`write_slots` only the few that change on a steady step. The device reads it with in-place
operations into buffers kept per device (:class:`Scratch`, :func:`far_into`). Imports torch, numpy and the
standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch

from ._doubles import MAX_DOUBLE as _MAX
from ._doubles import last_true

__all__ = ["Parts", "Scratch", "Table", "far_into", "new_table", "norm_skip_start", "slot_layout", "table_host",
           "table_parts", "write_parts", "write_slots", "write_table"]


_K = 12  # the table's breakpoints over the norm, padded with +inf (at most 11 are used: 2 + 1 fixed clip + 8 bands)


@dataclass(slots=True)
class Table:
    """Views of one device vector ``[skip, mean, zs, -MAX, next(learn_below), +inf, bounds (K), targets (4 (K + 1)),
    zs2s (4 (K + 1)), flags]``, written in place each step: the step's clip as a table over the intervals of the norm
    between ``bounds`` (``bucketize(n, bounds, right=True)``), one block of ``K + 1`` entries per bucket of a
    device loss (``bucketize(loss, [-MAX, next(learn_below), +inf], right=True)``: -inf, learning, the other finite
    losses, +inf and NaN; without a device loss the third block, the ``*2`` views): the norm the step is clipped to
    (``+inf``: none) and the ``zs2`` of ``clip_adaptive``'s far target (``+inf`` where it does not clip: the target
    is then ``+inf`` or NaN, which ``fmin`` drops); ``flags``: the step's ``found_inf`` (float32 0/1) by the same
    index, the last of each block (``K``) holding the NaN and +inf norms, blocks 0 and 3 all 1 under
    ``skip_nonfinite`` (a non-finite loss), as float32 in the vector's last doubles (one copy for all)."""

    skip: torch.Tensor  # 0-d views (all views are made once per vector)
    mean: torch.Tensor
    zs: torch.Tensor
    xbounds: torch.Tensor
    bounds: torch.Tensor
    targets: torch.Tensor
    zs2s: torch.Tensor
    flags: torch.Tensor  # float32 view of the last doubles
    targets2: torch.Tensor  # the third blocks (a finite loss that does not learn): no device loss
    zs2s2: torch.Tensor
    flags2: torch.Tensor
    host: Any  # the numpy array the device vector is written from (CPU: the vector's own memory)
    fhost: Any  # its flags, as a float32 numpy view
    pinned: list[torch.Tensor]  # CUDA: two pinned host buffers used in turn
    vector: torch.Tensor
    k: int
    blank: Any = None  # the host vector of a table of padding only (write_parts starts from it)
    layout: Any = None  # the slot writer's layout key (DeviceTwin): which slots the last full write fixed
    views: Any = None  # (host vector, its flags as float32) for the host array, or for each pinned buffer
    nonfinite: Any = None  # the blank's last flag, once written
    turn: int = 0


_LOG_TINY = math.log(5e-324)
_LOG_MAX = math.log(_MAX)


def norm_skip_start(limit: float) -> float:
    """The smallest double norm ``n > 0`` that :class:`~gradguard.mitigation.skipping.SkipOutliers` skips given its
    ``limit()`` (``not math.log(n) <= limit``), ``math.inf`` when no finite norm is. The host reads the norm as
    ``math.sqrt(g)`` and the twin as :func:`exact_sqrt` (the same double), so "the norm is finite and ``>=`` this" is
    the host rule on every double (``math.log`` being monotone, as :meth:`SkipOutliers.skip_above_sumsq` assumes
    too); found from ``exp(limit)`` by up to 16 steps to the neighbouring doubles (a bisection over them if that
    fails). Cheaper than the boundary on the sum of squares, and a breakpoint of the twin's table over the norm."""
    if not _LOG_TINY <= limit:  # every positive norm is skipped (a NaN limit included, as the host rule reads it)
        return 5e-324
    if _LOG_MAX <= limit:
        return math.inf
    n = min(max(math.exp(limit), 5e-324), _MAX)
    log, up = math.log, math.nextafter
    for _ in range(16):  # the boundary is within ~8 doubles of exp(limit) (log flat over a few doubles of n)
        if log(n) <= limit:
            m = up(n, math.inf)
            if not log(m) <= limit:
                return m
            n = m
        else:
            m = up(n, 0.0)
            if m <= 0.0 or log(m) <= limit:
                return n
            n = m
    return up(last_true(lambda x: log(x) <= limit, n, 5e-324, _MAX), math.inf)


class Parts(NamedTuple):
    """The entries of a :class:`Table` that are not padding (:func:`table_parts`): the first six doubles, the
    ``m`` finite breakpoints, the ``m + 1`` clip targets and far-target ``zs2`` of each of the four loss blocks
    (``zs2s`` empty: the far target is not used), the ``m + 1`` flags by the norm (the loss's own added by the
    writers); the table's ``K``, whether the far target is used and the loss picks the limit."""

    head: list[float]
    bounds: list[float]
    targets: list[list[float]]
    zs2s: list[list[float]]
    flags: list[float]
    k: int
    far: bool
    by_loss: bool


def table_parts(skip: float, clip: float, bands: Any, device_loss: bool, skip_norm: float = math.inf
                ) -> Parts:
    """The entries of a :class:`Table` that are not padding, from the host rules (see :func:`table_host`): each
    entry is the host rule evaluated at its interval's left end. Every comparison the rules make with the norm is
    one of ``n >= b`` for a breakpoint ``b``, so the rules are constant on each interval and the table is exact (the
    intervals from ``+inf`` on, the padding's included, clip nothing). ``skip_norm``: the smallest norm a member
    skips (``+inf``: none)."""
    inf = math.inf
    points = [5e-324]  # n > 0
    if clip < inf:
        points.append(math.nextafter(clip, inf))  # n > clip
    if skip_norm < inf:
        points.append(skip_norm)  # n >= skip_norm
    by_loss = bands is not None and device_loss and len(bands.limits) == 2
    if bands is not None:
        points += bands.breakpoints()
    bounds = sorted({b for b in points if b < inf})  # NaN and +inf: none
    k = max(_K, len(bounds) + 1)
    reps = (-inf, *bounds)
    flags = [1.0 if n >= skip_norm else 0.0 for n in reps] if skip_norm < inf else [0.0] * len(reps)
    fixed = [clip if clip < n < inf else inf for n in reps] if clip < inf else None  # None: all +inf
    if bands is None:
        return Parts([skip, math.nan, math.nan, -_MAX, -_MAX, inf], bounds, [fixed or [inf] * len(reps)] * 4, [],
                     flags, k, False, False)
    far = not bands.warm
    head = [skip, bands.mean, bands.zs, -_MAX, math.nextafter(bands.learn_below, inf) if by_loss else -_MAX, inf]
    targets, zs2s = [], []
    for state in ((0, 1) if by_loss else (0,)):
        to = bands.clip_to(reps, state)
        targets.append(to if fixed is None else [f if f < t else t for f, t in zip(fixed, to)])
        if far:
            zs2s.append([bands.zs2 if t < inf else inf for t in to])
    # loss buckets: -inf, learning (-inf < loss <= learn_below; state 0 without a device loss), the other finite
    # losses, +inf and NaN
    targets = [targets[0], targets[-1], targets[0], targets[0]]
    if far:
        zs2s = [zs2s[0], zs2s[-1], zs2s[0], zs2s[0]]
    return Parts(head, bounds, targets, zs2s, flags, k, far, by_loss)


def table_host(skip: float, clip: float, bands: Any, device_loss: bool, skip_norm: float = math.inf,
               nonfinite: bool = False) -> tuple[list[float], list[float], int, bool, bool]:
    """The host doubles of a :class:`Table` and its float32 flags, padding included (with its number of breakpoints
    ``K``, whether the far target and the loss blocks are used): :func:`table_parts` laid out, the bounds padded
    with ``+inf``, unused blocks all ``+inf``, the flags of the unreachable intervals 0 and of the last (NaN and +inf
    norms) 1 when ``nonfinite`` (``skip_nonfinite``). The reference :func:`write_parts` is tested against."""
    p = table_parts(skip, clip, bands, device_loss, skip_norm)
    k, m, inf = p.k, len(p.bounds), math.inf
    pad = [inf] * (k - m)
    unused = [inf] * (k + 1)
    out = p.head + p.bounds + pad
    for rows in (p.targets, p.zs2s):
        for b in range(4):
            out += rows[b] + pad if b < len(rows) else unused
    block = p.flags + [0.0] * (k - m - 1) + [1.0 if nonfinite else 0.0]
    loss_bad = [1.0] * (k + 1) if nonfinite else block  # a -inf, +inf or NaN device loss
    return out, loss_bad + block + block + loss_bad, k, p.far, p.by_loss


def _flag_doubles(k: int) -> int:
    return 2 * (k + 1)  # 4 (K + 1) float32 flags in whole doubles


def new_table(device: torch.device, k: int) -> Table:
    """A device vector for ``k`` breakpoints and its views (made once: each step writes the vector in place)."""
    f = _flag_doubles(k)
    size = 6 + k + 8 * (k + 1) + f
    host = np.zeros(size)
    if device.type == "cpu":
        vector = torch.from_numpy(host)  # the step's doubles are written to its memory: no copy, no new tensor
        pinned = []
    else:
        vector = torch.zeros(size, dtype=torch.float64, device=device)
        pinned = [torch.zeros(size, dtype=torch.float64, pin_memory=device.type == "cuda") for _ in range(2)]
    n, b = 4 * (k + 1), 2 * (k + 1)
    _, xbounds, bounds, targets, zs2s, flags = vector.split_with_sizes([3, 3, k, n, n, f])
    blank = np.full(size, math.inf)  # every entry padding: +inf, the flags 0
    blank[:6] = 0.0
    blank[size - f:] = 0.0
    flags = flags.view(torch.float32)
    return Table(vector[0], vector[1], vector[2], xbounds, bounds, targets, zs2s, flags, targets[b:], zs2s[b:],
                 flags[b:], host, host[size - f:].view(np.float32), pinned, vector, k,
                 blank, views=[(a, a[size - f:].view(np.float32)) for a in ([b.numpy() for b in pinned]
                                                                           if pinned else [host])])


def write_parts(tab: Table, p: Parts, nonfinite: bool) -> None:
    """:func:`table_host`'s vector written from its :class:`Parts`: the padding from a blank vector, then the parts
    (a few slice writes instead of a list of every entry), without waiting (on CUDA as :func:`write_table`)."""
    k, m = tab.k, len(p.bounds)
    h, f = tab.views[tab.turn ^ 1] if tab.pinned else tab.views[0]  # a host vector and its flags (float32)
    if tab.nonfinite is not nonfinite:  # the flags of NaN/+inf norms and of a non-finite loss are the twin's
        tab.nonfinite = nonfinite
        blank = tab.blank[-_flag_doubles(k):].view(np.float32).reshape(4, k + 1)
        blank[:] = 0.0
        if nonfinite:
            blank[:, k] = 1.0
            blank[0] = blank[3] = 1.0
    h[:] = tab.blank
    h[:6] = p.head
    h[6:6 + m] = p.bounds
    at = 6 + k
    for rows in (p.targets, p.zs2s):
        for b, row in enumerate(rows):
            h[at + b * (k + 1): at + b * (k + 1) + m + 1] = row
        at += 4 * (k + 1)
    for b in ((1, 2) if nonfinite else (0, 1, 2, 3)):
        f[b * (k + 1): b * (k + 1) + m + 1] = p.flags
    if tab.pinned:
        tab.turn ^= 1
        tab.vector.copy_(tab.pinned[tab.turn], non_blocking=True)


def write_table(tab: Table, values: list[float], flags: list[float]) -> None:
    """This step's doubles and flags into the table's device vector, without waiting. On a CUDA device the copy
    leaves from one of two pinned buffers in turn (the other may still be in flight) and runs in stream order: after
    the previous step's reads of the vector."""
    n = len(values)
    if not tab.pinned:
        tab.host[:n] = values
        tab.fhost[:len(flags)] = flags
        return
    tab.turn ^= 1
    buf = tab.pinned[tab.turn]
    a = buf.numpy()
    a[:n] = values
    a[n:].view(np.float32)[:len(flags)] = flags
    tab.vector.copy_(buf, non_blocking=True)


def slot_layout(skip_norm: float, bands: Any, by_loss: bool = False) -> tuple[bool, bool, bool | None] | None:
    """The layout key of a table the slot writer can update (:func:`write_slots`), None if it cannot: no fixed clip,
    no user-clip bands, one limit ``0 < limit < MAX`` clipped from ``next(limit)`` on (or, with ``by_loss``, the two
    limits of a device loss, distinct, each clipped from its ``next``), and a skip of the norm (if any) from a
    larger norm: the breakpoints ``[5e-324, next(limit), skip_norm?]`` (``[5e-324, next(lower), next(upper),
    skip_norm?]``). The key: (skip, far target, which limit is the lower one: None with one limit)."""
    if bands.users is not None or len(bands.limits) != (2 if by_loss else 1):
        return None
    if not all(0.0 < lim < _MAX for lim in bands.limits):
        return None
    order = None
    if by_loss:
        if bands.limits[0] == bands.limits[1] or not math.isfinite(bands.learn_below):
            return None
        order = bands.limits[0] < bands.limits[1]
    if skip_norm < math.inf and not skip_norm > math.nextafter(max(bands.limits), math.inf):
        return None
    return skip_norm < math.inf, not bands.warm, order


def write_slots(tab: Table, skip: float, skip_norm: float, bands: Any, by_loss: bool = False) -> bool:
    """This step's table by the few slots that change on a steady step (the skip threshold, the far target's mean
    and ``zs``, the limits' ``next``, the skip norm, the clip targets and ``zs2`` of the clipped intervals; with
    ``by_loss``, the two limits of a device loss and ``next(learn_below)``, in each loss block), when the table last
    written has the layout this step's would have (:func:`slot_layout`): the rest of the vector is what
    :func:`~gradguard.deferred_adaptive.table_host` would write again, double for double
    (``tests/test_h16c_twin_ops.py``). False (nothing written) otherwise."""
    key = slot_layout(skip_norm, bands, by_loss)
    if key is None or key != tab.layout:
        return False
    skips, far, order = key
    k = tab.k
    t = 6 + k  # the targets' first block
    z = t + 4 * (k + 1)  # the zs2s' first block
    h = tab.pinned[tab.turn ^ 1].numpy() if tab.pinned else tab.host
    if tab.pinned:  # CUDA: the other pinned buffer, then one copy (see write_table): both hold the same layout
        h[:] = tab.pinned[tab.turn].numpy()
    h[0], h[1], h[2] = skip, bands.mean, bands.zs
    if order is None:  # the reps (-inf, 5e-324, next(limit), skip_norm?), the same in every loss block
        limit = bands.limits[0]
        h[7] = math.nextafter(limit, math.inf)
        end = 4 if skips else 3
        if skips:
            h[8] = skip_norm
        for at in range(0, 4 * (k + 1), k + 1):
            h[t + at + 2: t + at + end] = limit
            if far:
                h[z + at + 2: z + at + end] = bands.zs2
    else:  # the reps (-inf, 5e-324, next(lower), next(upper), skip_norm?): a block's limit clips from its next on
        limits = bands.limits
        lower = limits[0] if order else limits[1]
        h[4] = math.nextafter(bands.learn_below, math.inf)
        h[7], h[8] = math.nextafter(lower, math.inf), math.nextafter(max(limits), math.inf)
        end = 5 if skips else 4  # past the last rep
        if skips:
            h[9] = skip_norm
        for block, state in ((0, 0), (1, 1), (2, 0), (3, 0)):  # loss buckets (table_parts)
            lim = limits[state]
            first = 2 if lim == lower else 3
            at = block * (k + 1)
            h[t + at + first: t + at + end] = lim
            if far:
                h[z + at + first: z + at + end] = bands.zs2
    if tab.pinned:
        tab.turn ^= 1
        tab.vector.copy_(tab.pinned[tab.turn], non_blocking=True)
    return True


def far_into(norm: torch.Tensor, mean: torch.Tensor, zs: torch.Tensor, zs2: torch.Tensor, out: torch.Tensor
             ) -> torch.Tensor:
    """:func:`~gradguard._clip_target.far_target` written into ``out`` (0-d float64) by five operations, double for
    double: ``mean + zs2 / d`` as one ``addcdiv`` (``mean + 1 * zs2 / d``: the multiply by 1 is exact, so the same
    division and addition, each rounded once; ``tests/test_h16c_twin_ops.py``)."""
    torch.log(norm, out=out)
    torch.sub(out, mean, out=out)
    torch.maximum(out, zs, out=out)
    torch.addcdiv(mean, zs2, out, out=out)
    return torch.exp(out, out=out)


class Scratch:
    """The table path's 0-d results on one device, written in place each step (no allocation): the norm's
    interval, the clip target, the far target and its ``zs2``, the coefficient, ``found_inf``. A step's results
    are read by that step's optimizer step before the next step writes them (stream order on a GPU)."""

    def __init__(self, device: torch.device) -> None:
        f64 = torch.float64
        self.cpu = device.type == "cpu"
        self.zero = torch.zeros((), dtype=f64, device=device)
        self.pair = torch.zeros((), dtype=torch.complex128, device=device)  # exact_sqrt's x + 0i on CPU
        self.croot = torch.zeros((), dtype=torch.complex128, device=device)
        self.norm = self.croot.real if self.cpu else torch.zeros((), dtype=f64, device=device)
        self.at = torch.zeros((), dtype=torch.int64, device=device)
        self.target, self.zs2, self.far, self.coef = (torch.zeros((), dtype=f64, device=device) for _ in range(4))
        self.found = torch.zeros((), dtype=torch.float32, device=device)

    def root(self, gsq: torch.Tensor) -> torch.Tensor:
        """:func:`exact_sqrt` of the 0-d float64 ``gsq`` into :attr:`norm` (a view made once)."""
        if self.cpu:
            torch.complex(gsq, self.zero, out=self.pair)
            torch.sqrt(self.pair, out=self.croot)
        else:
            torch.sqrt(gsq, out=self.norm)
        return self.norm
