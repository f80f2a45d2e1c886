"""Rollback: snapshots restore bit-identical state; the skip bound escalates; the batch wrapper honours rollbacks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from gradguard import Guard, TrainingHalted
from gradguard import policy as P
from gradguard._safe_load import UntrustedFileError
from gradguard.decision import Decision
from gradguard.events import Event
from gradguard.mitigation import SkipBatches, SnapshotStore, load_snapshot
from gradguard.stats import StepStats
from helpers import batch, mlp, same_optimizer_state, snapshot_optimizer


class RollbackAt:
    """A test policy: roll back at the given steps (with an optional learning-rate factor)."""

    def __init__(self, steps: Sequence[int], lr_factor: float = 1.0, every: int = 5) -> None:
        self.steps = set(steps)
        self.lr_factor = lr_factor
        self.store = SnapshotStore(every=every, keep=2)

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        if stats.step in self.steps:
            return Decision(skip=True, rollback=True, reason="rollback_test", lr_factor=self.lr_factor,
                            evidence={"troubled_steps": [stats.step - 1]})
        return Decision()

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None


def _loop(guard: Guard, model: nn.Module, opt: torch.optim.Optimizer, steps: range, hook: Any = None) -> list:
    reports = []
    for i in steps:
        x, y = batch(seed=i)
        nn.functional.mse_loss(nn.functional.dropout(model(x), 0.2), y).backward()
        reports.append(guard.step())
        opt.zero_grad(set_to_none=True)
        if hook is not None:
            hook(i)
    return reports


@pytest.mark.parametrize("make_opt", [lambda p: torch.optim.Adam(p, lr=1e-2),
                                      lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9)])
def test_rollback_restores_bit_identical_weights_optimizer_scheduler_and_rng(make_opt: Any) -> None:
    torch.manual_seed(0)
    model = mlp()
    opt = make_opt(model.parameters())
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    guard = Guard(model, opt, scheduler=sched, policy=RollbackAt([12]), update_every=0)
    saved: dict[int, Any] = {}

    def keep(i: int) -> None:
        saved[i] = ([p.detach().clone() for p in model.parameters()], snapshot_optimizer(opt),
                    sched.state_dict(), torch.get_rng_state())

    _loop(guard, model, opt, range(12), keep)
    assert guard.last_snapshot_step == 10  # taken after healthy steps 0, 5, 10
    report = _loop(guard, model, opt, range(12, 13))[0]
    assert report.rolled_back_to == 10 and not report.applied and report.skip_batches == (11, 12)
    assert any(e.kind == "rollback" for e in report.events)
    weights, state, sched_state, rng = saved[10]
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
    assert same_optimizer_state(state, snapshot_optimizer(opt))
    assert sched.state_dict() == sched_state and torch.equal(torch.get_rng_state(), rng)
    # the restored optimizer state is a copy: training on does not change the snapshot
    _loop(guard, model, opt, range(13, 15))
    snap = guard._actuator.store.snapshots[-1]  # type: ignore[union-attr]
    assert all(torch.equal(snap.model[k], v) for k, v in zip(snap.model, weights))


def test_rollback_keeps_learning_rate_back_off() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = Guard(model, opt, policy=RollbackAt([7, 9], lr_factor=0.5), update_every=0)
    _loop(guard, model, opt, range(10))
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025) and guard.lr_scale == pytest.approx(0.25)


def test_consecutive_skips_halt_with_a_flight_record(tmp_path: Path) -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = Guard(model, opt, tmp_path / "run", max_consecutive_skips=4)
    x, y = batch()
    x[0, 0] = math.nan
    for _ in range(3):
        nn.functional.mse_loss(model(x), y).backward()
        assert guard.step().reason == "nonfinite_grad"
        opt.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    with pytest.raises(TrainingHalted, match=r"step 3.*halt_skips") as info:
        guard.step(inputs=x, targets=y)
    assert "Flight record" in str(info.value)
    assert list((tmp_path / "run" / "flight").glob("halt-step*.flight"))
    guard.close()


def test_consecutive_skips_roll_back_under_recover_and_retries_are_bounded() -> None:
    torch.manual_seed(0)
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    guard = Guard(model, opt, policy=P.chain(P.skip_nonfinite(), P.rollback_on_trouble(
        every=5, keep=1, max_retries=2, lr_factor=None, nonfinite_patience=100)), max_consecutive_skips=3)
    _loop(guard, model, opt, range(8))
    x, y = batch()
    x[0, 0] = math.nan
    reasons = []
    with pytest.raises(TrainingHalted, match="halt_skips"):
        for _ in range(20):
            nn.functional.mse_loss(model(x), y).backward()
            reasons.append(guard.step().reason)
            opt.zero_grad()
    # two restores of the one kept snapshot, two of the state the run started from, then the halt
    assert reasons.count("rollback_skips") == 4 and reasons[2] == "rollback_skips"


def test_disk_snapshots_are_atomic_bounded_and_loadable(tmp_path: Path) -> None:
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    guard = Guard(model, opt, policy=P.rollback_on_trouble(every=3, keep=2, directory=tmp_path / "snaps"))
    guard._actuator.store.warmup = guard._actuator.store.confirm = 0  # the plain schedule: every 3 steps
    _loop(guard, model, opt, range(10))
    files = sorted(p.name for p in (tmp_path / "snaps").iterdir())
    assert files == ["snapshot-000000006.pt", "snapshot-000000009.pt"]  # no temporary files left
    snap = load_snapshot(tmp_path / "snaps" / files[-1])
    assert snap.step == 9 and all(torch.equal(snap.model[k], v) for k, v in model.state_dict().items())


class _Payload:
    """An object that runs code when unpickled (here it only records that it ran)."""

    ran = False

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_mark_ran, ())


def _mark_ran() -> None:
    _Payload.ran = True


def test_a_crafted_snapshot_runs_nothing_when_loaded_or_resumed_from(tmp_path: Path) -> None:
    """Issue 14 item 6: snapshot files load with weights_only=True, directly and when a checkpoint refers to them."""
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    guard = Guard(model, opt, policy=P.rollback_on_trouble(every=3, keep=2, directory=tmp_path / "snaps"))
    guard._actuator.store.warmup = guard._actuator.store.confirm = 0
    _loop(guard, model, opt, range(10))
    state = guard.state_dict()
    path = tmp_path / "snaps" / "snapshot-000000009.pt"
    payload = torch.load(path, weights_only=False)
    payload["scheduler"] = _Payload()
    torch.save(payload, path)
    _Payload.ran = False
    with pytest.raises(UntrustedFileError, match="trust=True"):
        load_snapshot(path)
    fresh = Guard(model, opt, policy=P.rollback_on_trouble(every=3, keep=2, directory=tmp_path / "snaps"))
    with pytest.warns(UserWarning, match=r"after step 9\) could not be read .*trust=True"):
        fresh.load_state_dict(state)
    assert not _Payload.ran
    assert [s.step for s in fresh._actuator.store.snapshots] == [6]  # resumed without the crafted one


def test_skip_batches_replays_good_batches_and_drops_poisoned_ones() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    guard = Guard(model, opt, policy=RollbackAt([8], every=5), update_every=0)
    fed: list[int] = []
    loader = [(i, batch(seed=i)) for i in range(12)]
    wrapped = guard.batches(loader)
    assert isinstance(wrapped, SkipBatches)
    for i, (x, y) in wrapped:
        fed.append(i)
        nn.functional.mse_loss(model(x), y).backward()
        guard.step()
        opt.zero_grad()
    # snapshot after step 5; rollback at step 8 discards 6..8; 7 (troubled) and 8 (the trigger) are poisoned
    assert fed == [0, 1, 2, 3, 4, 5, 6, 7, 8, 6, 9, 10, 11]
    assert wrapped.replayed == 1 and wrapped.dropped == 2


def test_observe_path_rolls_back_and_skips_for_trainers_that_step_themselves() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    guard = Guard(model, opt, policy=RollbackAt([6], every=5), update_every=0)
    saved = []
    for i in range(7):
        if i == 4:  # a snapshot taken at observe(4) holds the state before step 4's update
            saved = [p.detach().clone() for p in model.parameters()]
        x, y = batch(seed=i)
        nn.functional.mse_loss(model(x), y).backward()
        report = guard.observe()
        opt.step()
        opt.zero_grad()
    assert report.rolled_back_to == 3 and not report.applied
    assert all(torch.equal(a, b) for a, b in zip(saved, model.parameters()))


def _ev(step: int, *kinds: str) -> list[Event]:
    return [Event(step=step, kind=k, severity="warning", message=k) for k in kinds]


def _healthy(step: int) -> StepStats:
    import numpy as np

    one = np.ones(2)
    return StepStats(step=step, loss=1.0, grad_norm=1.0, scale=None, lrs=(0.1,), layer_grad_norm=one,
                     layer_grad_maxabs=one, layer_grad_nonfinite=np.zeros(2, dtype=np.int64),
                     layer_weight_norm=one, layer_has_grad=np.ones(2, dtype=bool))


@pytest.mark.parametrize(("trouble_at", "vanish_at", "rolls_back"),
                         [(10, 40, True),      # layers died within the window after a loss spike: a collapse
                          (None, 40, False),   # vanishing with no trouble before it (e.g. from init): left alone
                          (10, 200, False)])   # trouble long ago: not the cause
def test_rollback_on_a_collapse_after_trouble_only(trouble_at: int | None, vanish_at: int, rolls_back: bool) -> None:
    policy = P.rollback_on_trouble(collapse_window=100)
    decisions = {}
    for step in range(vanish_at + 1):
        events = _ev(step, "loss_spike") if step == trouble_at else _ev(step, "vanish") if step == vanish_at else []
        decisions[step] = policy.decide(_healthy(step), events)
    last = decisions[vanish_at]
    assert last.rollback is rolls_back
    if rolls_back:
        assert last.reason == "rollback_collapse" and last.evidence["skip_all"]
    assert not any(d.rollback for s, d in decisions.items() if s != vanish_at)


def test_collapse_trigger_can_be_turned_off() -> None:
    policy = P.rollback_on_trouble(collapse_window=0)
    policy.decide(_healthy(0), _ev(0, "explode"))
    assert not policy.decide(_healthy(1), _ev(1, "vanish")).rollback
