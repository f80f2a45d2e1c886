"""The exact boundary of a monotone rule over the doubles, for the deferred mode's device twins.

A host rule such as "skip when ``log(sqrt(g)) > limit``" or "the loss falls when its EMA is below ``falls``" is
turned into one threshold the device compares against; for the two modes to agree on every double, the threshold is
the exact last double at which the rule still holds, found from an algebraic guess by a few steps to the
neighbouring doubles, with a bisection over the ordered doubles when that fails. Imports nothing but the standard
library.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

__all__ = ["MAX_DOUBLE", "last_true"]

MAX_DOUBLE = 1.7976931348623157e308  # the largest finite double


def _key(x: float) -> int:
    """The doubles in their order, as integers (-0.0 and 0.0 share 0)."""
    bits = int(struct.unpack("<q", struct.pack("<d", abs(x)))[0])
    return bits if x >= 0 else -bits


def _unkey(k: int) -> float:
    x = float(struct.unpack("<d", struct.pack("<q", abs(k)))[0])
    return x if k >= 0 else -x


def last_true(holds: Callable[[float], bool], guess: float, lo: float, hi: float) -> float:
    """The largest double ``x`` in ``[lo, hi)`` with ``holds(x)``, for a rule that holds up to a point and not after
    it, given ``holds(lo)`` and not ``holds(hi)``: up to 8 steps from ``guess`` to its neighbouring doubles, then a
    bisection over the ordered doubles between ``lo`` and ``hi``."""
    for _ in range(8):  # an algebraic guess is within a few doubles of the boundary
        if not holds(guess):
            guess = math.nextafter(guess, -math.inf)
        elif not holds(math.nextafter(guess, math.inf)):
            return guess
        else:
            guess = math.nextafter(guess, math.inf)
    low, high = _key(lo), _key(hi)
    while high - low > 1:
        mid = (low + high) // 2
        if holds(_unkey(mid)):
            low = mid
        else:
            high = mid
    return _unkey(low)
