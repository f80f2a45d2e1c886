"""Session 12 (issue 16): ``far_target_host`` with only ``log`` and ``exp`` in torch and the rest in Python doubles
gives :func:`far_target`'s double (the torch expression the deferred twin's ``far_into`` is tested against) on
random and edge inputs, zeros, infinities and NaN included."""

from __future__ import annotations

import math
import random
import struct

import torch

from gradguard._clip_target import _div, far_target, far_target_host


def _bits(x: float) -> int:
    return int(struct.unpack("<q", struct.pack("<d", x))[0])


def _torch_far(mean: float, zs: float, norm: float) -> float:
    t = torch.tensor((norm, mean, zs, zs * zs), dtype=torch.float64)
    return float(far_target(t[0], t[1], t[2], t[3]))


def _same(a: float, b: float) -> bool:
    return _bits(a) == _bits(b) or (a != a and b != b)


def test_far_target_host_is_the_torch_expression_double_for_double() -> None:
    rng = random.Random(12)
    edge = [0.0, -0.0, 1.0, math.inf, -math.inf, math.nan, 5e-324, 1.7976931348623157e308]
    cases = 0
    for _ in range(30000):
        mean = rng.uniform(-12, 6)
        zs = abs(rng.gauss(0, 1.5)) if rng.random() < 0.9 else rng.choice(edge)
        norm = math.exp(mean + rng.uniform(-3, 12)) if rng.random() < 0.95 else rng.choice(edge)
        if rng.random() < 0.02:
            mean = rng.choice(edge)
        want, got = _torch_far(mean, zs, norm), far_target_host(mean, zs, norm)
        assert _same(want, got), (mean, zs, norm, want, got)
        cases += 1
    for mean in [*edge, -1.0]:
        for zs in edge:
            for norm in [*edge, math.e]:
                assert _same(_torch_far(mean, zs, norm), far_target_host(mean, zs, norm)), (mean, zs, norm)
    assert cases == 30000


def test_division_by_zero_is_ieee() -> None:
    for a in (1.0, -2.0, 0.0, -0.0, math.inf, -math.inf, math.nan):
        for b in (0.0, -0.0, 3.0):
            want = float(torch.div(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)))
            assert _same(want, _div(a, b)), (a, b)
