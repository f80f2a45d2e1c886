"""Detectors: exact firing on injected faults, robustness to odd statistics, state round trips, bad settings."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradguard import ConfigError
from gradguard.detectors import (
    DivergenceDetector,
    ExplodeDetector,
    LossSpikeDetector,
    StallDetector,
    VanishDetector,
    WeightGrowthDetector,
    default_detectors,
)
from gradguard.stats import StepStats

L = 4
NAMES = [f"l{i}" for i in range(L)]


def make(step: int, layer_grad: np.ndarray, loss: float | None = 1.0, weight: np.ndarray | None = None,
         has: np.ndarray | None = None) -> StepStats:
    g = np.asarray(layer_grad, dtype=np.float64)
    w = np.ones(L) * 10 if weight is None else np.asarray(weight, dtype=np.float64)
    has = np.ones(L, bool) if has is None else has
    g_present = np.where(has, g, np.nan)
    with np.errstate(over="ignore"):  # huge norms are part of what the property test throws at detectors
        total = float(np.sqrt(np.nansum(np.square(g_present))))
    if not np.all(np.isfinite(g_present[has])):
        total = float("nan")
    nonfinite = np.where(has & ~np.isfinite(g), 1, 0)
    return StepStats(step=step, loss=loss, grad_norm=total, scale=None, lrs=(0.1,), layer_grad_norm=g_present,
                     layer_grad_maxabs=g_present, layer_grad_nonfinite=nonfinite, layer_weight_norm=w,
                     layer_has_grad=has)


def noisy(rng: np.random.Generator, base: float = 1.0) -> np.ndarray:
    return base * np.exp(rng.normal(0, 0.1, L))


@pytest.mark.parametrize("fault_step", [25, 40, 77])
@pytest.mark.parametrize("factor", [20.0, 100.0])
def test_explode_fires_exactly_at_the_injected_step_and_names_the_layer(fault_step: int, factor: float) -> None:
    rng = np.random.default_rng(fault_step)
    det = ExplodeDetector(L)
    fired = []
    for step in range(fault_step + 10):
        g = noisy(rng)
        if step == fault_step:
            g[2] *= factor * 3
        fired += [(step, e) for e in det(make(step, g), NAMES)]
    assert [s for s, _ in fired] == [fault_step]
    assert fired[0][1].layers == ("l2",) and "statistical" in fired[0][1].evidence["rules"]


def test_explode_history_is_not_poisoned_by_outliers_or_nan() -> None:
    rng = np.random.default_rng(0)
    det = ExplodeDetector(L)
    for step in range(30):
        det(make(step, noisy(rng)), NAMES)
    mean_before = det.history.mean.copy()
    det(make(30, np.full(L, np.nan)), NAMES)
    det(make(31, noisy(rng) * 1e4), NAMES)
    assert np.all(np.abs(det.history.mean - mean_before) < 1.0)
    assert det(make(32, noisy(rng) * 50), NAMES)  # still fires: the outlier did not become normal


def test_explode_ceiling_works_from_step_zero_and_warmup_silences_statistics() -> None:
    det = ExplodeDetector(L)
    assert det(make(0, np.full(L, 1e7)), NAMES)[0].evidence["rules"][0] == "ceiling"
    det = ExplodeDetector(L, ratio_ceiling=None)
    assert det(make(0, np.ones(L)), NAMES) == []
    assert det(make(1, np.ones(L) * 1000), NAMES) == []  # no history yet: no statistical alarm


def test_seeds_rule_above_one_for_k_steps_is_opt_in() -> None:
    det = ExplodeDetector(L, persistent_threshold=1.0, persistent_steps=5)
    steps = [s for s in range(10) for e in det(make(s, np.ones(L) * 2), NAMES)]
    assert steps[0] == 4
    assert [e for s in range(10) for e in ExplodeDetector(L)(make(s, np.ones(L) * 2), NAMES)] == []


def test_vanish_names_the_starved_layers_after_patience() -> None:
    det = VanishDetector(L, patience=5)
    out = []
    for s in range(8):
        out += [(s, e) for e in det(make(s, np.array([1e-9, 1e-3, 1.0, 1.0])), NAMES)]
    assert [(s, e.layers) for s, e in out] == [(4, ("l0",))]


def test_loss_spike_fires_on_the_spike_only() -> None:
    rng = np.random.default_rng(1)
    det = LossSpikeDetector()
    steps = []
    for s in range(60):
        loss = 1.0 + 0.01 * rng.normal() + (5.0 if s == 45 else 0.0)
        steps += [s for _ in det(make(s, np.ones(L), loss=loss), NAMES)]
    assert steps == [45]


def test_divergence_fires_once_when_the_loss_climbs() -> None:
    det = DivergenceDetector()
    steps = []
    for s in range(80):
        loss = 1.0 / (1 + s) if s < 40 else 0.03 * 1.2 ** (s - 40)
        steps += [s for _ in det(make(s, np.ones(L), loss=loss), NAMES)]
    assert len(steps) == 1 and 40 < steps[0] < 55


def test_divergence_is_not_faked_by_a_burst_of_outlier_batches() -> None:
    rng = np.random.default_rng(3)
    det = DivergenceDetector()
    fired = []
    for s in range(200):
        loss = 0.05 * (1 + 0.1 * rng.normal())
        if s in (100, 101, 102, 150, 152):  # outlier batches: the loss of that batch alone is 50-300x
            loss *= 50.0 + 50.0 * (s % 5)
        fired += [s for _ in det(make(s, np.ones(L), loss=loss), NAMES)]
    assert fired == []


def test_stall_fires_for_a_loss_that_never_moves_not_for_one_that_converged() -> None:
    rng = np.random.default_rng(2)
    flat, conv = StallDetector(), StallDetector()
    a = [s for s in range(150) for _ in flat(make(s, np.ones(L), loss=0.7 + 0.01 * rng.normal()), NAMES)]
    b = [s for s in range(300)
         for _ in conv(make(s, np.ones(L), loss=max(0.05, 1 - s / 100) + 1e-3 * rng.normal()), NAMES)]
    assert len(a) == 1 and 99 <= a[0] < 105 and b == []  # looked at every window//20 steps


def test_weight_growth_fires_on_steady_growth_not_on_a_plateau() -> None:
    det = WeightGrowthDetector(L, window=50)
    steps = []
    for s in range(120):
        w = np.ones(L) * 10
        w[1] *= 1.05 ** s
        steps += [(s, e.layers) for e in det(make(s, np.ones(L), weight=w), NAMES)]
    assert steps == [(49, ("l1",))]


finite_or_odd = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(0.0))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.lists(finite_or_odd, min_size=L, max_size=L), st.lists(finite_or_odd, min_size=L,
                                                                                      max_size=L),
                          st.one_of(st.none(), finite_or_odd), st.lists(st.booleans(), min_size=L, max_size=L)),
                min_size=1, max_size=40))
def test_detectors_never_crash_on_odd_statistics(steps) -> None:
    dets = default_detectors(L)
    for i, (g, w, loss, has) in enumerate(steps):
        stats = make(i, np.abs(np.asarray(g)), loss=loss, weight=np.abs(np.asarray(w)), has=np.asarray(has))
        with np.errstate(all="ignore"):
            for d in dets:
                for e in d(stats, NAMES):
                    assert e.step == i


def test_state_round_trip_continues_identically() -> None:
    rng = np.random.default_rng(3)
    series = [noisy(rng) * (30 if s == 70 else 1) for s in range(90)]
    losses = [1 + 0.01 * rng.normal() + (3 if s == 70 else 0) for s in range(90)]
    a = default_detectors(L)
    for s in range(50):
        for d in a:
            d(make(s, series[s], loss=losses[s]), NAMES)
    b = default_detectors(L)
    for d_a, d_b in zip(a, b):
        d_b.load_state_dict(pickle.loads(pickle.dumps(d_a.state_dict())))
    out_a, out_b = [], []
    for s in range(50, 90):
        for d_a, d_b in zip(a, b):
            out_a += [e.to_dict() for e in d_a(make(s, series[s], loss=losses[s]), NAMES)]
            out_b += [e.to_dict() for e in d_b(make(s, series[s], loss=losses[s]), NAMES)]
    assert out_a == out_b and any(e["kind"] == "explode" for e in out_a)


@pytest.mark.parametrize("build,setting", [
    (lambda: ExplodeDetector(L, z_threshold=-1), "z_threshold"),
    (lambda: ExplodeDetector(L, ceiling=float("nan")), "ceiling"),
    (lambda: ExplodeDetector(L, beta=1.5), "beta"),
    (lambda: LossSpikeDetector(window=0), "window"),
    (lambda: VanishDetector(L, patience=0), "patience"),
    (lambda: WeightGrowthDetector(L, factor=0.5), "factor"),
    (lambda: default_detectors(L, kinds=["explode", "kaboom"]), "kinds"),
])
def test_bad_settings(build, setting: str) -> None:
    with pytest.raises(ConfigError) as info:
        build()
    assert info.value.setting == setting


def test_amp_overflow_becomes_nonfinite_when_it_repeats_past_the_scaler() -> None:
    from gradguard.detectors import NonFiniteDetector

    det = NonFiniteDetector(amp_patience=3)
    kinds = []
    for s in range(5):
        stats = make(s, np.array([np.inf, 1, 1, 1]))
        stats = dataclasses.replace(stats, scale=2.0 ** (16 - s))
        kinds += [e.kind for e in det(stats, NAMES)]
    assert kinds == ["amp_overflow", "amp_overflow", "nonfinite", "nonfinite", "nonfinite"]
    det.load_state_dict(det.state_dict())
    assert det.overflows == 5
    ok = dataclasses.replace(make(5, np.ones(L)), scale=1024.0)
    assert det(ok, NAMES) == [] and det.overflows == 0
