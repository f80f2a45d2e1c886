"""The guard in real training loops: skip, AMP, accumulation, groups, frozen and missing grads, schedulers."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard
from helpers import batch, mlp, same_optimizer_state, snapshot_optimizer


def _train(guard: Guard, model: nn.Module, opt: torch.optim.Optimizer, steps: int, nan_at: int = -1) -> list:
    reports = []
    for i in range(steps):
        x, y = batch(seed=i)
        if i == nan_at:
            x[0, 0] = float("nan")
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        reports.append(guard.step(loss))
        opt.zero_grad(set_to_none=True)
    return reports


def test_nonfinite_step_is_skipped_and_optimizer_state_is_untouched() -> None:
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    guard = Guard(model, opt)
    _train(guard, model, opt, 3)
    weights = [p.detach().clone() for p in model.parameters()]
    state = snapshot_optimizer(opt)
    x, y = batch(seed=99)
    x[1, 2] = float("nan")
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    report = guard.step(loss)
    assert not report.applied and report.reason == "nonfinite_grad" and report.step == 3
    assert [e.kind for e in report.events].count("nonfinite") >= 1
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
    assert same_optimizer_state(state, snapshot_optimizer(opt))
    opt.zero_grad()
    after = _train(guard, model, opt, 2)
    assert all(r.applied for r in after) and all(torch.isfinite(p).all() for p in model.parameters())


def test_monitor_policy_observes_only() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    guard = Guard(model, opt, policy="monitor")
    reports = _train(guard, model, opt, 3, nan_at=1)
    assert reports[1].applied and any(e.kind == "nonfinite" for e in reports[1].events)
    assert not all(torch.isfinite(p).all() for p in model.parameters())


def test_nonfinite_loss_with_finite_grads_is_skipped() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    guard = Guard(model, opt)
    x, y = batch()
    nn.functional.mse_loss(model(x), y).backward()
    report = guard.step(torch.tensor(float("inf")))
    assert not report.applied and report.reason == "nonfinite_loss"


def test_grad_scaler_sees_unscaled_gradients_and_records_overflow_as_such() -> None:
    torch.manual_seed(0)
    model = mlp()
    ref = mlp()
    ref.load_state_dict(model.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    guard = Guard(model, opt, scaler=scaler)
    x, y = batch(seed=1)
    loss = nn.functional.mse_loss(model(x), y)
    scaler.scale(loss).backward()
    nn.functional.mse_loss(ref(x), y).backward()
    expected = math.sqrt(sum(p.grad.double().pow(2).sum().item() for p in ref.parameters()))
    report = guard.step(loss)
    assert report.applied and report.grad_norm == pytest.approx(expected, rel=1e-5)
    assert guard.last_stats.scale == 2.0**10
    opt.zero_grad()
    # an overflow: the scaler's own business, not an explosion and not a nonfinite alarm
    weights = [p.detach().clone() for p in model.parameters()]
    loss = nn.functional.mse_loss(model(x), y)
    scaler.scale(loss * torch.tensor(float("inf"))).backward()
    report = guard.step(loss)
    assert not report.applied and report.reason == "amp_overflow"
    assert [e.kind for e in report.events] == ["amp_overflow"]
    assert scaler.get_scale() < 2.0**10
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))


def test_grad_scaler_when_user_already_unscaled() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    scaler = torch.amp.GradScaler("cpu", init_scale=8.0)
    guard = Guard(model, opt, scaler=scaler)
    x, y = batch()
    loss = nn.functional.mse_loss(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    unscaled = math.sqrt(sum(p.grad.double().pow(2).sum().item() for p in model.parameters()))
    report = guard.step(loss)
    assert report.applied and report.grad_norm == pytest.approx(unscaled, rel=1e-6)


def test_gradient_accumulation_measures_the_accumulated_gradient() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    guard = Guard(model, opt)
    for micro in range(4):
        x, y = batch(seed=micro)
        (nn.functional.mse_loss(model(x), y) / 4).backward()
    expected = math.sqrt(sum(p.grad.double().pow(2).sum().item() for p in model.parameters()))
    report = guard.step()
    assert report.step == 0 and report.grad_norm == pytest.approx(expected, rel=1e-6)
    assert guard.step_index == 1


def test_param_groups_frozen_and_missing_gradients() -> None:
    model = mlp(depth=4)
    model[0].requires_grad_(False)  # frozen: not watched
    opt = torch.optim.SGD([{"params": model[2].parameters(), "lr": 0.1},
                           {"params": list(model[4].parameters()) + list(model[6].parameters()), "lr": 0.01}])
    guard = Guard(model, opt)
    assert guard.layer_names == ["2", "4", "6"]
    x, y = batch()
    nn.functional.mse_loss(model(x), y).backward()
    model[4].weight.grad = None
    model[4].bias.grad = None  # this layer has no gradient this step
    report = guard.step()
    stats = guard.last_stats
    assert report.applied and stats.lrs == (0.1, 0.01)
    assert list(stats.layer_has_grad) == [True, False, True]
    assert np.isnan(stats.layer_grad_norm[1]) and stats.grads_finite


def test_scheduler_steps_only_on_applied_steps() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    guard = Guard(model, opt, scheduler=sched)
    _train(guard, model, opt, 4, nan_at=2)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5**3)
    assert guard.last_stats.lrs == (0.25,)


def test_clip_by_global_norm_policy_clips_to_threshold() -> None:
    for max_norm in (1e-3, 0.05, 0.3):
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.0)
        guard = Guard(model, opt, policy=gradguard.chain(gradguard.skip_nonfinite(),
                                                         gradguard.clip_by_global_norm(max_norm)))
        x, y = batch()
        nn.functional.mse_loss(model(x), y).backward()
        report = guard.step()
        after = math.sqrt(sum(p.grad.double().pow(2).sum().item() for p in model.parameters()))
        assert report.grad_norm > max_norm and report.reason == "clip_norm"
        assert after == pytest.approx(max_norm, rel=1e-5)


def test_update_statistics_match_the_real_weight_change() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = Guard(model, opt, update_every=1)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = batch()
    nn.functional.mse_loss(model(x), y).backward()
    guard.step()
    changes = [(p.detach() - b).double().pow(2).sum().item() for p, b in zip(model.parameters(), before)]
    update = guard._collector.drain_update()
    assert update is not None and update.step == 0
    per_layer = [math.sqrt(changes[2 * i] + changes[2 * i + 1]) for i in range(3)]
    np.testing.assert_allclose(update.layer_update_norm, per_layer, rtol=1e-5)
    weight = [math.sqrt(b[0].double().pow(2).sum().item() + b[1].double().pow(2).sum().item())
              for b in zip(before[::2], before[1::2])]
    np.testing.assert_allclose(update.layer_update_ratio, np.array(per_layer) / weight, rtol=1e-5)


def test_state_dict_round_trips_through_pickle() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = Guard(model, opt)
    _train(guard, model, opt, 3)
    state = pickle.loads(pickle.dumps(guard.state_dict()))
    other = Guard(model, opt)
    other.load_state_dict(state)
    assert other.step_index == 3 == guard.step_index


def test_context_manager_closes_and_step_after_close_is_an_error() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Guard(model, opt) as guard:
        _train(guard, model, opt, 1)
    with pytest.raises(gradguard.GradGuardError, match="close"):
        guard.step()


def test_observe_for_trainers_that_step_themselves_makes_a_skip_a_true_no_op() -> None:
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    guard = Guard(model, opt)
    for i in range(2):
        x, y = batch(seed=i)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        assert guard.observe(loss).applied
        opt.step()
        opt.zero_grad()
    weights = [p.detach().clone() for p in model.parameters()]
    state = snapshot_optimizer(opt)
    x, y = batch(seed=5)
    x[0, 0] = float("nan")
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    report = guard.observe(loss)
    opt.step()  # the trainer steps anyway
    assert not report.applied and report.reason == "nonfinite_grad"
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
    assert same_optimizer_state(state, snapshot_optimizer(opt))


def test_report_draws_measured_max_abs_for_a_sampled_last_step(tmp_path: Path) -> None:
    """A sampled step (``sample_every``) records no max |g|: the report's gradient-flow bars draw the measured
    step before it instead of calling its layers non-finite."""
    pytest.importorskip("matplotlib")
    from gradguard.report import write_report

    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with Guard(model, opt, run_dir=tmp_path, policy="monitor", sample_every=10) as guard:
        for i in range(57):  # every step of the first 40 measured, then every tenth: the last (56) is sampled
            x, y = batch(seed=i)
            nn.functional.mse_loss(model(x), y).backward()
            guard.step()
            assert guard.last_stats is not None and guard.last_stats.full == (i < 40 or i % 10 == 0)
            opt.zero_grad(set_to_none=True)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "without a finite gradient" not in html
    assert "step 50 (last)" in html and "step 28 (middle)" in html
