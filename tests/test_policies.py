"""Mitigation policies on real gradients: clipping invariants, adaptive histories, skips, state round trips."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard import ConfigError, Guard
from gradguard import policy as P
from gradguard.decision import Decision
from gradguard.mitigation import ClipByPercentile, ClipByZScore, SkipOutliers
from gradguard.policy import merge
from gradguard.stats import StepStats
from helpers import batch, mlp, same_optimizer_state, snapshot_optimizer


def _stats(norm: float, step: int = 0, layers: int = 2) -> StepStats:
    per = np.full(layers, norm / math.sqrt(layers))
    return StepStats(step=step, loss=1.0, grad_norm=norm, scale=None, lrs=(0.1,), layer_grad_norm=per,
                     layer_grad_maxabs=per, layer_grad_nonfinite=np.zeros(layers, dtype=np.int64),
                     layer_weight_norm=np.ones(layers), layer_has_grad=np.ones(layers, dtype=bool))


def _grads_after(policy: gradguard.Policy, scale: float = 1.0, seed: int = 0) -> tuple[nn.Module, float]:
    """One guarded SGD(lr=0) step: returns the model (grads as the guard left them) and the pre-clip norm."""
    torch.manual_seed(seed)
    model = mlp(depth=4)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    guard = Guard(model, opt, policy=policy, update_every=0)
    x, y = batch(seed=seed)
    (nn.functional.mse_loss(model(x * scale), y * scale)).backward()
    report = guard.step()
    return model, report.grad_norm


def _global_norm(model: nn.Module) -> float:
    return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in model.parameters()])))


@pytest.mark.parametrize("threshold", [1e-3, 0.01, 0.1, 0.5, 2.0])
def test_global_norm_clip_equals_threshold_and_is_idempotent(threshold: float) -> None:
    model, before = _grads_after(P.clip_by_global_norm(threshold), scale=5.0)
    assert before > threshold
    assert _global_norm(model) == pytest.approx(threshold, rel=1e-5)
    grads = [p.grad.clone() for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    report = Guard(model, opt, policy=P.clip_by_global_norm(threshold), update_every=0).step()
    assert report.clip_coef == pytest.approx(1.0, abs=1e-5)  # clipping twice changes nothing
    assert all(torch.allclose(a, p.grad) for a, p in zip(grads, model.parameters()))


@pytest.mark.parametrize("value", [1e-3, 0.01, 0.05])
def test_value_clip_bounds_every_element_and_is_idempotent(value: float) -> None:
    model, _ = _grads_after(P.clip_by_value(value), scale=5.0)
    maxabs = max(float(p.grad.abs().max()) for p in model.parameters())
    assert maxabs == pytest.approx(value)
    grads = [p.grad.clone() for p in model.parameters()]
    Guard(model, torch.optim.SGD(model.parameters(), lr=0.0), policy=P.clip_by_value(value)).step()
    assert all(torch.equal(a, p.grad) for a, p in zip(grads, model.parameters()))


@pytest.mark.parametrize("threshold", [1e-3, 0.01, 0.1])
def test_per_layer_clip_bounds_each_layer_norm(threshold: float) -> None:
    model, _ = _grads_after(P.clip_per_layer(threshold), scale=5.0)
    for layer in model:
        if isinstance(layer, nn.Linear):
            norm = float(torch.linalg.vector_norm(torch.cat([layer.weight.grad.ravel(), layer.bias.grad.ravel()])))
            assert norm <= threshold * (1 + 1e-5)
            assert norm == pytest.approx(threshold, rel=1e-5) or norm < threshold


@pytest.mark.parametrize("ratio", [1e-3, 1e-2, 0.1])
def test_unitwise_clip_bounds_grad_to_weight_ratio_except_last_layer(ratio: float) -> None:
    model, _ = _grads_after(P.clip_unitwise(ratio), scale=20.0)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    ratios = []
    for layer in linears:
        g = torch.cat([layer.weight.grad.ravel(), layer.bias.grad.ravel()])
        w = torch.cat([layer.weight.detach().ravel(), layer.bias.detach().ravel()])
        ratios.append(float(torch.linalg.vector_norm(g) / torch.linalg.vector_norm(w)))
    assert all(r <= ratio * (1 + 1e-5) for r in ratios[:-1])
    assert ratios[-1] > ratio  # the final layer is excluded by default


def test_report_logs_pre_and_post_clip_norm() -> None:
    torch.manual_seed(0)
    m2 = mlp(depth=4)
    guard = Guard(m2, torch.optim.SGD(m2.parameters(), lr=0.0), policy=P.clip_per_layer(0.01))
    x, y = batch(seed=0)
    nn.functional.mse_loss(m2(x * 5), y * 5).backward()
    report = guard.step()
    assert report.grad_norm * report.clip_coef == pytest.approx(_global_norm(m2), rel=1e-5)


@pytest.mark.parametrize("make", [lambda: ClipByZScore(warmup=5), lambda: ClipByPercentile(warmup=5, history=8),
                                  lambda: SkipOutliers(warmup=5)])
def test_adaptive_histories_ignore_nonfinite_norms(make) -> None:
    clean, poisoned = make(), make()
    rng = np.random.default_rng(0)
    norms = rng.lognormal(0.0, 0.2, 40)
    step = 0
    for n in norms:
        clean.decide(_stats(float(n), step), [])
        poisoned.decide(_stats(float(n), step), [])
        for bad in (math.nan, math.inf):
            assert not poisoned.decide(_stats(bad, step), []).clips
        step += 1
    assert clean.state_dict() == poisoned.state_dict()
    assert all(math.isfinite(v) for v in _floats(poisoned.state_dict()))


def _floats(state: dict) -> list[float]:
    out: list[float] = []
    for v in state.values():
        out.extend(np.ravel(v).astype(float).tolist() if not isinstance(v, dict) else _floats(v))
    return out


def test_zscore_clips_a_spike_to_mean_plus_z_std_and_healthy_steps_not_at_all() -> None:
    clip = ClipByZScore(z_threshold=2.5, warmup=10)
    rng = np.random.default_rng(1)
    decisions = [clip.decide(_stats(float(n), i), []) for i, n in enumerate(rng.normal(1.0, 0.05, 200))]
    assert sum(d.clip_coef < 0.9 for d in decisions) == 0
    limit = clip.threshold()
    spike = clip.decide(_stats(50.0, 201), [])
    assert spike.clip_coef == pytest.approx(limit / 50.0)
    assert clip.threshold() < 1.5  # the spike entered the EMA clipped, not raw


def test_percentile_clips_to_the_percentile_with_bounded_memory() -> None:
    clip = ClipByPercentile(percentile=50, history=100, warmup=10)
    for i in range(1000):
        clip.decide(_stats(float(i % 10 + 1), i), [])
    assert clip.ring.size == 100
    d = clip.decide(_stats(100.0, 1001), [])
    assert d.clip_coef == pytest.approx(np.percentile(np.tile(np.arange(1, 11), 10), 50) / 100.0)


def test_skip_outliers_skips_an_extreme_norm_and_adapts_to_a_lasting_change() -> None:
    skip = SkipOutliers()
    for i in range(50):
        assert not skip.decide(_stats(1.0 + 0.01 * (i % 3), i), []).skip
    assert skip.decide(_stats(1000.0, 50), []).skip
    assert not skip.decide(_stats(1.0, 51), []).skip
    later = [skip.decide(_stats(1000.0, 52 + i), []).skip for i in range(30)]
    assert later[0] and not later[-1]  # a lasting change of scale is absorbed


def test_skip_outliers_is_not_blinded_by_an_outlier_during_warmup() -> None:
    rng = np.random.default_rng(4)
    skip = SkipOutliers()
    skipped = []
    for i, n in enumerate(rng.lognormal(0.0, 0.2, 300)):
        norm = float(n) * (500.0 if i in (8, 12, 60, 150, 290) else 1.0)
        skipped += [i] if skip.decide(_stats(norm, i), []).skip else []
    assert skipped == [8, 12, 60, 150, 290]  # the ones in warm-up too, and they do not raise the bar for later ones
    assert math.exp(skip.mean) == pytest.approx(1.0, rel=0.2)


@pytest.mark.parametrize("policy", [P.clip_by_zscore(), P.clip_by_percentile(),
                                    P.skip_outliers(), P.backoff_lr(restore_steps=5),
                                    P.rollback_on_trouble(), P.resolve_policy("recover")])
def test_state_round_trips_through_state_dict_and_pickle(policy: gradguard.Policy) -> None:
    rng = np.random.default_rng(2)
    for i, n in enumerate(rng.lognormal(0.0, 0.3, 60)):
        policy.decide(_stats(float(n), i), [])
    copy = pickle.loads(pickle.dumps(policy))
    fresh = type(policy)() if not isinstance(policy, P.Chain) else P.resolve_policy(
        "recover")
    fresh.load_state_dict(pickle.loads(pickle.dumps(policy.state_dict())))
    for other in (copy, fresh):
        ref = pickle.loads(pickle.dumps(policy))
        assert other.state_dict() == ref.state_dict()
        for i, n in enumerate([1.0, 30.0, 1e4, math.nan, 1.0]):
            assert other.decide(_stats(n, 60 + i), []) == ref.decide(_stats(n, 60 + i), [])


def test_skip_leaves_every_optimizer_state_tensor_bit_identical() -> None:
    for make_opt in (lambda p: torch.optim.Adam(p, lr=1e-2), lambda p: torch.optim.AdamW(p, lr=1e-2),
                     lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9)):
        torch.manual_seed(0)
        model = mlp()
        opt = make_opt(model.parameters())
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
        guard = Guard(model, opt, scheduler=sched, policy="safe")
        for i in range(30):
            x, y = batch(seed=i)
            nn.functional.mse_loss(model(x), y).backward()
            guard.step()
            opt.zero_grad(set_to_none=True)
        weights = [p.detach().clone() for p in model.parameters()]
        state, sched_state = snapshot_optimizer(opt), dict(sched.state_dict())
        x, y = batch(seed=99)
        nn.functional.mse_loss(model(x * 1e4), y * 1e4).backward()  # an extreme outlier batch
        report = guard.step()
        assert not report.applied and report.reason == "outlier_grad"
        assert any(e.kind == "skip" for e in report.events)
        assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
        assert same_optimizer_state(state, snapshot_optimizer(opt)) and sched.state_dict() == sched_state


def test_lr_backoff_cuts_scales_scheduler_and_restores_gradually() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    policy = P.chain(P.skip_nonfinite(), P.backoff_lr(0.5, after=2, restore_steps=4))
    guard = Guard(model, opt, scheduler=sched, policy=policy, update_every=0)
    reports = []
    for i in range(12):
        x, y = batch(seed=i)
        if i in (3, 4):
            x[0, 0] = float("nan")
        nn.functional.mse_loss(model(x), y).backward()
        reports.append(guard.step())
        opt.zero_grad(set_to_none=True)
        if i == 4:
            assert opt.param_groups[0]["lr"] == pytest.approx(0.05) and sched.base_lrs == [pytest.approx(0.05)]
            assert any(e.kind == "lr_change" for e in reports[-1].events)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1) and guard.lr_scale == 1.0


def test_chain_merges_actions() -> None:
    a = Decision(clip_coef=0.5, reason="a", layer_clip_coefs=(1.0, 0.2))
    b = Decision(clip_coef=0.8, reason="b", clip_value=0.3, layer_clip_coefs=(0.5, 1.0), lr_factor=0.5)
    m = merge([a, b, Decision()])
    assert (m.clip_coef, m.layer_clip_coefs, m.clip_value, m.lr_factor) == (0.5, (0.5, 0.2), 0.3, 0.5)
    assert m.reason == "a" and m.evidence["also"] == ["b"]
    s = merge([a, Decision(skip=True, reason="s")])
    assert s.skip and s.reason == "s"


@pytest.mark.parametrize("factory,kwargs,setting", [
    (P.clip_by_global_norm, {"max_norm": -1.0}, "max_norm"),
    (P.clip_by_value, {"max_value": 0.0}, "max_value"),
    (P.clip_per_layer, {"max_norm": -2}, "max_norm"),
    (P.clip_by_zscore, {"z_threshold": -1}, "z_threshold"),
    (P.clip_by_percentile, {"percentile": 0}, "percentile"),
    (P.clip_by_percentile, {"percentile": 100.5}, "percentile"),
    (P.clip_unitwise, {"ratio": -0.1}, "ratio"),
    (P.skip_outliers, {"z_threshold": float("nan")}, "z_threshold"),
    (P.backoff_lr, {"factor": 1.0}, "factor"),
    (P.backoff_lr, {"factor": 0.0}, "factor"),
    (P.rollback_on_trouble, {"every": 0}, "every"),
    (P.rollback_on_trouble, {"lr_factor": 1.5}, "lr_factor"),
    (P.rollback_on_trouble, {"directory": "/proc/gradguard-cannot-write-here"}, "directory"),
    (P.rollback_on_trouble, {"collapse_window": -1}, "collapse_window"),
    (P.skip_outliers, {"z_threshold": -1.0}, "z_threshold"),
    (SkipOutliers, {"min_warmup": 1}, "min_warmup"),
])
def test_bad_settings_raise_config_error_naming_the_setting(factory, kwargs, setting) -> None:
    with pytest.raises(ConfigError) as info:
        factory(**kwargs)
    assert info.value.setting == setting


def test_bad_max_consecutive_skips_is_refused() -> None:
    model = mlp()
    with pytest.raises(ConfigError, match="max_consecutive_skips"):
        Guard(model, torch.optim.SGD(model.parameters(), lr=0.1), max_consecutive_skips=0)


def test_zscore_warmup_clips_only_jumps_far_above_the_warmup_median() -> None:
    clip = ClipByZScore(warmup=25, warmup_growth=10.0)
    coefs = [clip.decide(_stats(n, step=i), []).clip_coef for i, n in enumerate([1.0, 100.0, 2.0, 0.5, 15.0])]
    # step 1: capped at 10 x median([1]) = 10; step 4: 15 is not above 10 x median([1, 10, 2, 0.5]) = 15
    assert coefs[0] == 1.0 and coefs[1] == pytest.approx(0.1) and coefs[2:] == [1.0, 1.0, 1.0]
    assert clip._warm[1] == pytest.approx(10.0)  # the history took the clipped value
    with pytest.raises(ConfigError, match="warmup_growth"):
        ClipByZScore(warmup_growth=0.0)


@pytest.mark.parametrize("policy", ["safe", "recover", P.clip_by_zscore(warmup=3), P.clip_by_percentile(warmup=1)])
def test_steps_without_gradients_do_not_poison_adaptive_thresholds(policy: str | gradguard.Policy) -> None:
    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    guard = Guard(model, opt, policy=policy, update_every=0)
    for step in range(8):
        if step % 3:  # steps 1, 2, 4, 5, 7 have gradients; the others none at all (a zero global norm)
            x, y = batch(seed=step)
            nn.functional.mse_loss(model(x), y).backward()
        report = guard.step()
        assert 0.0 < report.clip_coef <= 1.0
        opt.zero_grad(set_to_none=True)
