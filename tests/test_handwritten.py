"""A guard without an optimizer: loops that update the weights by hand (``p.data.add_(p.grad, alpha=-lr)``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import gradguard
from gradguard.handwritten import NoOptimizer
from helpers import batch, mlp

LR = 0.05


def _sgd_by_hand(model: nn.Module) -> None:
    for p in model.parameters():
        p.data.add_(p.grad, alpha=-LR)


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def test_a_nan_batch_is_skipped_and_the_hand_written_update_runs_on(tmp_path: Path) -> None:
    model = mlp()
    guard = gradguard.Guard(model, None, run_dir=tmp_path / "run", loss_fn=nn.functional.mse_loss)
    assert isinstance(guard.optimizer, NoOptimizer)
    nan_step, unconditional = 5, []
    for step in range(10):
        x, y = batch(seed=step)
        if step == nan_step:
            x[3, 2] = float("nan")
        model.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        report = guard.observe(loss, inputs=x, targets=y)
        before = _weights(model)
        # the documented loop updates only when applied; an unconditional plain SGD update must be a no-op too
        _sgd_by_hand(model)
        unconditional.append(all(torch.equal(b, a) for b, a in zip(before, _weights(model), strict=True)))
        assert report.applied == (step != nan_step)
        if step == nan_step:
            assert report.reason == "nonfinite_grad"
            assert all(p.grad is not None and not p.grad.any() for p in model.parameters())  # zeroed, not None
    guard.close()
    assert unconditional == [s == nan_step for s in range(10)]
    assert all(torch.isfinite(p).all() for p in model.parameters())
    with gradguard.open_run(tmp_path / "run") as record:
        assert record.steps["applied"].tolist() == [s != nan_step for s in range(10)]
        events = record.events_of("nonfinite")  # the gradients and the loss
        assert {e["step"] for e in events} == {nan_step}
        event = events[0]
        assert event["evidence"]["origin"]["phase"] == "data"  # the NaN is in the batch, before any module
        flight = Path(event["evidence"]["flight_record"])
    result = gradguard.replay(flight, loss_fn=nn.functional.mse_loss, model=mlp())
    assert result.reproduced and result.step == nan_step
    assert isinstance(gradguard.flight.load_flight_record(flight).build_optimizer(mlp()), NoOptimizer)


def test_a_clip_scales_the_gradients_the_loop_reads() -> None:
    model, reference = mlp(), mlp()
    reference.load_state_dict(model.state_dict())
    guard = gradguard.Guard(model, None, policy=gradguard.clip_by_global_norm(0.1))
    for step in range(4):
        x, y = batch(seed=step)
        for m in (model, reference):
            m.zero_grad()
            nn.functional.mse_loss(m(x), y).backward()
        report = guard.observe()
        norm = torch.nn.utils.clip_grad_norm_(reference.parameters(), 0.1)
        assert report.applied and report.clip_coef < 1.0 and float(norm) > 0.1
        for p, q in zip(model.parameters(), reference.parameters(), strict=True):
            torch.testing.assert_close(p.grad, q.grad)
        _sgd_by_hand(model)
        _sgd_by_hand(reference)
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q)


def test_step_without_an_optimizer_is_observe() -> None:
    model = mlp()
    guard = gradguard.Guard(model, None)
    x, y = batch(seed=0)
    x[0, 0] = float("inf")
    nn.functional.mse_loss(model(x), y).backward()
    before = _weights(model)
    report = guard.step()
    assert not report.applied
    assert all(torch.equal(b, a) for b, a in zip(before, _weights(model), strict=True))
    assert all(p.grad is not None and not p.grad.any() for p in model.parameters())


def test_the_update_ratio_is_measured_across_the_loops_own_update(tmp_path: Path) -> None:
    model = mlp()
    guard = gradguard.Guard(model, None, run_dir=tmp_path / "run", policy="monitor", update_every=2)
    grad_norms = {}
    for step in range(7):
        x, y = batch(seed=step)
        model.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        guard.observe()
        grad_norms[step] = [float(p.grad.norm()) for p in model.parameters()]
        _sgd_by_hand(model)
    guard.close()
    with gradguard.open_run(tmp_path / "run") as record:
        assert record.update_steps.tolist() == [0, 2, 4]  # step 6's update has no later call to close it
        norms = record.updates("update_norm")
    for row, step in enumerate((0, 2, 4)):
        g = grad_norms[step]  # mlp: one weight and one bias per layer; plain SGD moves each by lr * |g|
        expected = [LR * (g[2 * i] ** 2 + g[2 * i + 1] ** 2) ** 0.5 for i in range(len(g) // 2)]
        assert norms[row].tolist() == pytest.approx(expected, rel=1e-4)


def test_rollback_restores_the_weights_alone() -> None:
    model = mlp()
    policy = gradguard.chain(gradguard.safe(), gradguard.rollback_on_trouble(lr_factor=None, nonfinite_patience=2))
    guard = gradguard.Guard(model, None, policy=policy)
    after: dict[int, list[torch.Tensor]] = {}
    rolled = None
    for step in range(40):
        x, y = batch(seed=step)
        if step >= 30:
            x[0, 0] = float("nan")
        model.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        report = guard.observe()
        if report.applied:
            _sgd_by_hand(model)
        after[step] = _weights(model)
        if report.rolled_back_to is not None:
            rolled = report
            break
    assert rolled is not None and rolled.step == 31 and 0 <= rolled.rolled_back_to < 30
    assert all(torch.equal(a, b) for a, b in zip(after[rolled.rolled_back_to], _weights(model), strict=True))


@pytest.mark.parametrize("policy", ["recover", gradguard.backoff_lr(), gradguard.rollback_on_trouble(),
                                    gradguard.chain(gradguard.safe(), gradguard.backoff_lr())])
def test_policies_that_change_the_rate_are_refused(policy: object) -> None:
    model = mlp()
    before = _weights(model)
    with pytest.raises(gradguard.ConfigError, match=r"policy=.*lr_factor=None.*keeps its own rate"):
        gradguard.Guard(model, None, policy=policy)
    assert all(torch.equal(b, a) for b, a in zip(before, _weights(model), strict=True))


def test_a_scaler_scheduler_or_frozen_model_is_refused() -> None:
    model = mlp()
    with pytest.raises(gradguard.ConfigError, match=r"scaler=.*None when optimizer=None"):
        gradguard.Guard(model, None, scaler=torch.amp.GradScaler("cpu"))
    scheduler = torch.optim.lr_scheduler.StepLR(torch.optim.SGD(model.parameters(), lr=0.1), 1)
    with pytest.raises(gradguard.ConfigError, match=r"scheduler=.*None when optimizer=None"):
        gradguard.Guard(model, None, scheduler=scheduler)
    for p in model.parameters():
        p.requires_grad_(False)
    with pytest.raises(gradguard.ConfigError, match="requires_grad=True"):
        gradguard.Guard(model, None)
    with pytest.raises(gradguard.ConfigError, match="or None for a loop that updates the weights by hand"):
        gradguard.Guard(mlp(), "sgd")  # type: ignore[arg-type]


@pytest.mark.parametrize("by_hand", [True, False])
def test_observe_measuring_updates_reads_the_device_once_per_step(by_hand: bool) -> None:
    from test_host_syncs import CountHostReads

    model = mlp(depth=4)
    opt = None if by_hand else torch.optim.SGD(model.parameters(), lr=LR)
    guard = gradguard.Guard(model, opt, update_every=1)
    reads = []
    for step in range(8):
        x, y = batch(seed=step)
        model.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        counter = CountHostReads()
        with counter:
            guard.observe(loss)
        reads.append(len(counter.total))
        if opt is None:
            _sgd_by_hand(model)
        else:
            opt.step()
    assert reads[3:] == [1] * 5, reads  # the update measured since the last call rides in the one statistics read
