"""The explode and weight-growth detectors' in-place per-step path: the same history, bit for bit, as the
straightforward update it replaces, and the collector's handed-over weight totals equal to recomputed ones."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from gradguard import Guard
from gradguard.detectors import ExplodeDetector, WeightGrowthDetector
from gradguard.detectors._history import LogEMA
from gradguard.stats import StepStats

L = 12
NAMES = [f"l{i}" for i in range(L)]


def _series(steps: int, seed: int, read_only_has: bool) -> list[StepStats]:
    """Noisy norms with spikes, zero norms, layers without a gradient and non-finite steps."""
    rng = np.random.default_rng(seed)
    base = np.exp(rng.normal(0.0, 1.0, L))
    w = np.exp(rng.normal(2.0, 0.5, L))
    all_has = np.ones(L, bool)
    all_has.flags.writeable = not read_only_has  # the collector hands one read-only array per layout
    out = []
    for s in range(steps):
        g = base * np.exp(rng.normal(0.0, 0.2, L))
        has = all_has
        if s % 41 == 40:
            g[:3] *= 1e3  # a spike: fires, and enters the history winsorised
        if s % 23 == 22:
            g[5] = 0.0  # a zero norm: log -inf, kept out of that layer's history
        if s % 29 == 28:
            has = all_has.copy()
            has[7] = False
            g[7] = np.nan
        w = w * (1.0 + 0.05 * (s > steps // 2))
        gn = float(np.sqrt(np.nansum(g * g)))
        if s % 67 == 66:
            gn = math.inf
        out.append(StepStats(step=s, loss=1.0, grad_norm=gn, scale=None, lrs=(0.1,), layer_grad_norm=g,
                             layer_grad_maxabs=g / 10, layer_grad_nonfinite=np.zeros(L, np.int64),
                             layer_weight_norm=w.copy(), layer_has_grad=has))
    return out


def _reference_fold(ref: LogEMA, stats: StepStats, warmup: int, z: float) -> None:
    """The update the in-place path replaces: winsorise against the history, fold in through LogEMA.update."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lx = np.log(np.concatenate([[stats.grad_norm], stats.layer_grad_norm]))
    if ref.count[0] >= warmup:
        lx = np.minimum(lx, ref.mean + z * ref.std())
    ref.update(lx, mask=np.concatenate([[True], stats.layer_has_grad]))


def test_explode_history_bit_identical_to_logema_update() -> None:
    for read_only in (False, True):
        det = ExplodeDetector(L)
        ref = LogEMA(1 + L, beta=det.history.beta)
        fired = 0
        for stats in _series(400, seed=3, read_only_has=read_only):
            fired += len(det(stats, NAMES))
            if math.isfinite(stats.grad_norm):
                _reference_fold(ref, stats, det.warmup, det.z_threshold)
            assert np.array_equal(det.history.mean, ref.mean)
            assert np.array_equal(det.history.var, ref.var)
            assert np.array_equal(det.history.count, ref.count)
        assert fired >= 5  # the spikes fired (and were folded in winsorised, as the reference)


def test_explode_state_round_trip_keeps_the_in_place_path_exact() -> None:
    series = _series(200, seed=5, read_only_has=True)
    det = ExplodeDetector(L)
    for stats in series[:100]:
        det(stats, NAMES)
    clone = ExplodeDetector(L)
    clone.load_state_dict(det.state_dict())
    for stats in series[100:]:
        assert [(e.kind, e.step, e.layers) for e in det(stats, NAMES)] == \
            [(e.kind, e.step, e.layers) for e in clone(stats, NAMES)]
    assert np.array_equal(det.history.mean, clone.history.mean)
    assert np.array_equal(det.history.var, clone.history.var)


def test_weight_growth_same_events_with_and_without_handed_totals() -> None:
    """stats.weights_finite / stats.weight_norm (handed over or cached) give what recomputing gives."""
    series = _series(300, seed=7, read_only_has=False)
    a, b = WeightGrowthDetector(L, window=40), WeightGrowthDetector(L, window=40)
    got, want = [], []
    for stats in series:
        got += [(e.step, e.layers, e.evidence["rules"]) for e in a(stats, NAMES)]
        fresh = StepStats(**{f: getattr(stats, f) for f in stats.__dataclass_fields__})
        w = fresh.layer_weight_norm
        assert fresh.weight_norm == math.sqrt(float(np.dot(w, w)))
        want += [(e.step, e.layers, e.evidence["rules"]) for e in b(fresh, NAMES)]
    assert got == want and got  # the growth in the second half fired


def test_collector_hands_over_the_weight_norm_of_the_latest_full_step() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 8))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = Guard(model, opt, policy="monitor", sample_every=5)
    seen = []
    for step in range(40):
        model(torch.randn(4, 8)).square().mean().backward()
        guard.step()
        opt.zero_grad()
        st = guard.last_stats
        assert st is not None
        w = st.layer_weight_norm
        assert st.weight_norm == math.sqrt(float(np.dot(w, w)))
        seen.append(st.full)
        if step == 30:  # weights set from outside (as a resume does): the totals are recomputed, not stale
            weights = guard._collector.weights
            assert weights is not None
            guard._collector.weights = weights * 2.0
    assert not all(seen) and any(seen)
