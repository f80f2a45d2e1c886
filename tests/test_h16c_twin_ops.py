"""The device twin's cheaper steady step (session 11, issue 16): the far target by five in-place operations, the skip
of an outlier by the norm's interval of the table, and the table written by slices (or by a few slots) are the same
doubles as before: ``far_target``'s, the host rule's, ``table_host``'s."""

from __future__ import annotations

import copy
import math
import random
import struct
import warnings

import numpy as np
import torch

from gradguard import deferred_twins
from gradguard._clip_target import far_target
from gradguard.deferred_adaptive import ClipAdaptiveTwin
from gradguard.deferred_table import far_into, norm_skip_start, table_host
from gradguard.deferred_twins import DeviceTwin, FixedClipTwin, SkipOutliersTwin
from gradguard.mitigation.skipping import SkipOutliers
from test_deferred_adaptive import _random_state, _stats

_TINY, _MAX = 5e-324, 1.7976931348623157e308


def _bits(x: float) -> int:
    return int(struct.unpack("<q", struct.pack("<d", x))[0])


def _same(a: float, b: float) -> bool:
    return _bits(a) == _bits(b) or (a != a and b != b)


def test_far_into_is_far_target_double_for_double() -> None:
    rng = random.Random(3)
    out = torch.empty((), dtype=torch.float64)
    t = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731
    specials = [0.0, _TINY, 1.0, math.inf, math.nan, _MAX]
    checked = 0
    for i in range(20_000):
        mean = rng.uniform(-30, 10)
        zs = rng.choice([rng.uniform(0.05, 3.0), rng.uniform(1e-3, 0.05)])
        norm = math.exp(mean + rng.uniform(-2, 40)) if i % 50 else rng.choice(specials)
        zs2 = zs * zs if i % 7 else rng.choice([math.inf, zs * zs * rng.uniform(0.5, 2)])
        want = far_target(t(norm), t(mean), t(zs), t(zs2)).item()
        got = far_into(t(norm), t(mean), t(zs), t(zs2), out)
        assert got is out and _same(got.item(), want), (norm, mean, zs, zs2, got.item(), want)
        checked += 1
    assert checked == 20_000


def _host_skips(limit: float, n: float) -> bool:
    """SkipOutliers.decide's rule on a norm, given its limit()."""
    return math.isfinite(n) and n > 0 and not math.log(n) <= limit


def test_norm_skip_start_is_the_boundary_of_the_host_rule() -> None:
    rng = random.Random(4)
    limits = [rng.uniform(-40, 40) for _ in range(6000)] + [rng.uniform(-746, 711) for _ in range(2000)]
    limits += [math.nan, -math.inf, math.inf, math.log(_TINY), math.log(_MAX), math.nextafter(math.log(_MAX), 0),
               math.nextafter(math.log(_TINY), math.inf), math.nextafter(math.log(_TINY), -math.inf), 0.0, 709.0,
               -744.0]
    for limit in limits:
        s = norm_skip_start(limit)
        if s == math.inf:
            assert not _host_skips(limit, _MAX), limit
            continue
        assert _host_skips(limit, s), (limit, s)
        below = math.nextafter(s, 0.0)
        assert below == 0.0 or not _host_skips(limit, below), (limit, s)
        for n in (math.nextafter(s, math.inf), s * 1.5 if s < 1e300 else s):
            assert _host_skips(limit, n) == (n >= s)


def _outliers_state(rng: random.Random) -> SkipOutliers:
    m = SkipOutliers()
    m.count = rng.choice([0, 3, 5, 19, 20, 21, 200])
    m.mean, m.var = rng.uniform(-12, 6), rng.uniform(0.0, 1.0)
    if m.count < m.warmup:
        m._warm = [rng.uniform(-12, 6) for _ in range(m.count)]
    return m


def test_skip_by_the_norms_interval_is_the_host_rule() -> None:
    """``safe``'s members (skip_nonfinite, skip_outliers, clip_adaptive): the found flag taken from the table by the
    norm's interval, and the coefficient, are the host chain's and the per-member path's (which compares the sum of
    squares with ``skip_above_sumsq``), on norms at the outlier boundary and around the clip."""
    rng = random.Random(5)
    checked = skipped = 0
    for _ in range(150):
        skip, clip = _outliers_state(rng), _random_state(rng)
        s = norm_skip_start(skip.limit())
        edge = [s, math.nextafter(s, 0.0), math.nextafter(s, math.inf)] if s < 1e150 else []
        t = clip.threshold()
        base = t if math.isfinite(t) else math.exp(clip.mean)
        for norm in [*edge, base * rng.uniform(0.5, 30), base, math.nextafter(base, math.inf), 0.0, math.inf,
                     math.nan]:
            gsq = norm * norm
            host_norm = math.sqrt(gsq) if gsq == gsq else gsq
            for loss in (None, 0.5, math.nan):
                got = []
                for tabled in (True, False):
                    twin = DeviceTwin(True, [SkipOutliersTwin(copy.deepcopy(skip)),
                                             ClipAdaptiveTwin(copy.deepcopy(clip))])
                    assert twin._flagged
                    twin.tabled = tabled
                    loss_t = None if loss is None else torch.tensor(loss, dtype=torch.float32)
                    found, coef = twin.decide(torch.tensor(gsq, dtype=torch.float64), loss_t, False,
                                              has_loss=loss is not None)
                    assert found is not None and coef is not None
                    got.append((found.item(), coef.item()))
                out = copy.deepcopy(skip).decide(_stats(host_norm, loss), [])
                bad = not math.isfinite(gsq) or (loss is not None and not math.isfinite(loss)) or out.skip
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    coef_host = copy.deepcopy(clip).decide(_stats(host_norm, loss), []).clip_coef
                assert got[0][0] == got[1][0] == float(bad), (norm, loss, got, bad)
                if not bad:
                    assert got[0][1] == got[1][1] == coef_host, (norm, loss, got, coef_host)
                checked += 1
                skipped += out.skip
    assert checked > 3000 and skipped > 300, (checked, skipped)


class _NormSkip:
    """A skipping member with a rule on the norm, its boundary set by the test."""

    stateful, skips, clips = True, True, False

    def __init__(self) -> None:
        self.at = math.inf

    def skip_above_sumsq(self) -> float:
        return math.inf

    def skip_from_norm(self) -> float:
        return self.at

    def clip_norm(self) -> float:
        return math.inf


def _expected(tab: object, values: list[float], flags: list[float]) -> bytes:
    host = tab.host  # type: ignore[attr-defined]
    want = np.full(host.size, 0.0)
    want[:len(values)] = values
    want[len(values):].view(np.float32)[:len(flags)] = flags
    return want.tobytes()


def test_table_written_by_parts_and_slots_is_table_host(monkeypatch: object) -> None:
    """On sequences of random ``clip_adaptive`` states (each followed by small moves of its EMA, limit and loss
    state, so that the slot writer runs), with and without a skip of the norm and a fixed clip, a float and a
    device loss: the table's memory after each write is ``table_host``'s vector, byte for byte."""
    slots = [0, 0]
    real = deferred_twins.write_slots

    def count(*a: object) -> bool:
        done = real(*a)  # type: ignore[arg-type]
        slots[done] += 1
        return done

    monkeypatch.setattr(deferred_twins, "write_slots", count)  # type: ignore[attr-defined]
    rng = random.Random(6)
    writes = 0
    for trial in range(300):
        state = _random_state(rng)
        if trial % 3 == 0:  # a run whose norms vary: no clip seen before the guard
            state.top_hits = 0
        skipper, adaptive = _NormSkip(), ClipAdaptiveTwin(state)
        clip = math.exp(state.mean + rng.uniform(-0.5, 2.0)) if trial % 5 == 4 else None
        twin = DeviceTwin(True, [skipper, adaptive] + ([FixedClipTwin(clip)] if clip is not None else []))
        for move in range(6):
            if move:
                state.mean += rng.uniform(-1e-3, 1e-3)
                state.limit *= rng.uniform(0.999, 1.001)
                state.loss_fast *= rng.uniform(0.99, 1.01)
            t = state.threshold()
            skipper.at = rng.choice([math.inf, t * rng.uniform(1.5, 50) if math.isfinite(t) else math.inf,
                                     t * rng.uniform(0.2, 1.0) if math.isfinite(t) else 1.0])
            has_loss = rng.random() < 0.8
            device_loss = has_loss and rng.random() < 0.4
            host_loss = None if device_loss or not has_loss else state.loss_ref * rng.uniform(0.7, 1.1) if (
                math.isfinite(state.loss_ref)) else 0.5
            tab, far, by_loss = twin._table(torch.device("cpu"), has_loss, host_loss, device_loss)
            bands = adaptive.bands(has_loss, host_loss)
            values, flags, k, far_w, by_loss_w = table_host(math.inf, math.inf if clip is None else clip, bands,
                                                            device_loss, skipper.at, True)
            assert (far, by_loss, tab.k) == (far_w, by_loss_w, k)
            assert tab.host.tobytes() == _expected(tab, values, flags), (trial, move)
            writes += 1
    assert writes == 1800 and slots[1] > 100 and slots[0] > 100, slots


def test_the_two_buffer_path_of_a_gpu_table_writes_the_same_vector() -> None:
    """The CUDA layout's host side (two pinned buffers used in turn, one copy to the device vector), run on CPU
    tensors standing in for them: after every write by parts or by slots the device vector is ``table_host``'s."""
    from gradguard import deferred_table as dt

    rng = random.Random(7)
    cpu = dt.new_table(torch.device("cpu"), 12)
    size = cpu.vector.numel()
    f = 2 * 13  # four blocks of 13 float32 flags
    pinned = [torch.zeros(size, dtype=torch.float64) for _ in range(2)]
    vector = torch.zeros(size, dtype=torch.float64)
    _, xb, bounds, targets, zs2s, flags = vector.split_with_sizes([3, 3, 12, 52, 52, f])
    flags = flags.view(torch.float32)
    tab = dt.Table(vector[0], vector[1], vector[2], xb, bounds, targets, zs2s, flags, targets[26:], zs2s[26:],
                   flags[26:], cpu.host, cpu.fhost, pinned, vector, 12, cpu.blank,
                   views=[(a, a[size - f:].view(np.float32)) for a in (b.numpy() for b in pinned)])
    state = _random_state(rng)
    state.count, state.top_hits = 100, 0
    adaptive = ClipAdaptiveTwin(state)
    slots = 0
    for step in range(60):
        state.mean += rng.uniform(-1e-3, 1e-3)
        bands = adaptive.bands(True, 0.5)
        limit = bands.limits[0]
        skip_norm = limit * rng.choice([2.0, 3.0]) if step % 20 < 15 else math.inf
        if not (tab.layout is not None and dt.write_slots(tab, 1e300, skip_norm, bands)):
            dt.write_parts(tab, dt.table_parts(1e300, math.inf, bands, False, skip_norm), True)
            tab.layout = dt.slot_layout(skip_norm, bands)
        else:
            slots += 1
        values, flags_w, _k, _, _ = table_host(1e300, math.inf, bands, False, skip_norm, True)
        assert vector.numpy().tobytes() == _expected(tab, values, flags_w), step
    assert slots > 40, slots
