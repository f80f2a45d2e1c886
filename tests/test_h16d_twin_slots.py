"""Session 12 (issue 16): the slot writer covers the table of a device loss with two limits (``safe`` after its
warm-up with a tensor loss, the common case), so a steady step no longer rebuilds that table from its parts; after
every write the table's memory is ``table_host``'s vector, byte for byte."""

from __future__ import annotations

import math
import random

import torch

from gradguard import deferred_table, deferred_twins
from gradguard.deferred_adaptive import ClipAdaptiveTwin
from gradguard.deferred_table import table_host
from gradguard.deferred_twins import DeviceTwin
from test_deferred_adaptive import _random_state
from test_h16c_twin_ops import _expected, _NormSkip


def test_two_limit_tables_are_written_by_slots_and_equal_table_host(monkeypatch: object) -> None:
    used = {"by_loss": 0, "one": 0, "parts": 0}
    real = deferred_twins.write_slots

    def count(tab: object, skip: float, skip_norm: float, bands: object, by_loss: bool = False) -> bool:
        done = real(tab, skip, skip_norm, bands, by_loss)  # type: ignore[arg-type]
        used["by_loss" if done and by_loss else "one" if done else "parts"] += 1
        return done

    monkeypatch.setattr(deferred_twins, "write_slots", count)  # type: ignore[attr-defined]
    rng = random.Random(12)
    two = 0
    for trial in range(200):
        state = _random_state(rng)
        state.top_hits = 0  # no clip seen before the guard: no user bands
        state.count = max(state.count, state.warmup) if trial % 4 else state.count
        skipper, adaptive = _NormSkip(), ClipAdaptiveTwin(state)
        twin = DeviceTwin(True, [skipper, adaptive])
        for move in range(8):
            if move:
                state.mean += rng.uniform(-1e-3, 1e-3)
                state.limit *= rng.uniform(0.999, 1.001)
                state.loss_fast *= rng.uniform(0.995, 1.005)
            t = state.threshold()
            skipper.at = rng.choice([math.inf, t * rng.uniform(1.5, 50) if math.isfinite(t) else math.inf])
            tab, far, by_loss = twin._table(torch.device("cpu"), True, None, True)
            bands = adaptive.bands(True, None)
            two += len(bands.limits) == 2
            values, flags, k, far_w, by_loss_w = table_host(math.inf, math.inf, bands, True, skipper.at, True)
            assert (far, by_loss, tab.k) == (far_w, by_loss_w, k)
            assert tab.host.tobytes() == _expected(tab, values, flags), (trial, move)
    assert two > 200 and used["by_loss"] > 100, (two, used)


def test_slot_layout_refuses_what_the_slots_cannot_hold() -> None:
    from gradguard.deferred_adaptive import Bands

    b = Bands(False, (1.0, 2.0), 0.5, None, 0.0, 1.0, 1.0)
    assert deferred_table.slot_layout(math.inf, b, True) == (False, True, True)
    assert deferred_table.slot_layout(math.inf, b._replace(limits=(2.0, 1.0)), True) == (False, True, False)
    assert deferred_table.slot_layout(math.inf, b._replace(limits=(1.0, 1.0)), True) is None  # one breakpoint
    assert deferred_table.slot_layout(2.0, b, True) is None  # the skip inside the upper limit's interval
    assert deferred_table.slot_layout(3.0, b, True) == (True, True, True)
    assert deferred_table.slot_layout(math.inf, b, False) is None  # two limits, the loss not on the device


def test_bucketize_compares_a_float32_loss_with_float64_bounds_exactly() -> None:
    """The twin's loss bucket takes a float32 loss against float64 bounds without converting it (session 12):
    bucketize promotes both to float64, so a bound between two float32 values splits them as the host's doubles
    do (a bound rounded to float32 would not)."""
    rng = random.Random(3)
    for _ in range(2000):
        x = torch.tensor(rng.uniform(-10, 10), dtype=torch.float32)
        xd = float(x)
        for b in (xd, math.nextafter(xd, math.inf), math.nextafter(xd, -math.inf)):
            bounds = torch.tensor([-1.7976931348623157e308, b], dtype=torch.float64)
            assert int(torch.bucketize(x, bounds, right=True)) == (2 if xd >= b else 1)
    for v, want in ((math.inf, 2), (-math.inf, 0), (math.nan, 2)):
        bounds = torch.tensor([-1.7976931348623157e308, 0.5], dtype=torch.float64)
        assert int(torch.bucketize(torch.tensor(v, dtype=torch.float32), bounds, right=True)) == want


def test_the_loss_bucket_gives_found_inf_on_every_corner() -> None:
    """The table's flags by (norm interval, loss bucket) (session 12: no separate finiteness check of the loss):
    ``found_inf`` is 1 exactly for a NaN/Inf norm or loss under ``skip_nonfinite`` and for a norm at or past the
    skip; a non-finite loss's coefficient is that of a finite loss that does not learn (the step is skipped)."""
    rng = random.Random(5)
    checked = 0
    for trial in range(40):
        state = _random_state(rng)
        state.top_hits = 0
        state.count = max(state.count, state.warmup)
        skipper, adaptive = _NormSkip(), ClipAdaptiveTwin(state)
        t = state.threshold()
        skipper.at = t * 3.0 if math.isfinite(t) and trial % 2 else math.inf
        for skip_nonfinite in (True, False):
            twin = DeviceTwin(skip_nonfinite, [skipper, adaptive])
            norms = [t * 0.5, t * 1.5, t * 10.0, math.inf, math.nan] if math.isfinite(t) else [1.0, math.inf]
            for n in norms:
                gsq = torch.tensor(n * n, dtype=torch.float64)
                ref_coef = None
                for v in (1e30, -math.inf, math.inf,  # 1e30: finite, above any loss that learns
                          math.nan):
                    for dtype in (torch.float32, torch.float16):
                        loss = torch.tensor(v, dtype=dtype)
                        found, coef = twin.decide(gsq, loss, False, has_loss=True)
                        bad = not math.isfinite(n) or not math.isfinite(float(loss))  # 1e30 in float16: inf
                        want = float((skip_nonfinite and bad) or (math.isfinite(n) and n >= skipper.at))
                        assert found is not None and float(found) == want, (n, v, skip_nonfinite)
                        c = float(coef)  # type: ignore[arg-type]
                        if ref_coef is None:
                            ref_coef = c
                        assert c == ref_coef or (c != c and ref_coef != ref_coef), (n, v)
                        checked += 1
    assert checked > 1000, checked
