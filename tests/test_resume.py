"""Exact resume (issue 14 item 3): a run resumed from a checkpoint takes the same decisions step for step and ends
bit-identical to the uninterrupted run, under every preset, wherever it was interrupted: before the first snapshot,
while a snapshot waits for confirmation, right before trouble, right after a rollback, during the learning-rate
back-off and while the rate is being restored. Snapshots travel in the checkpoint as tensors, or by file name with
a snapshot ``directory``; an older gradguard's state loads with a warning, a newer one is refused."""

from __future__ import annotations

import functools
import io
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import gradguard
from gradguard.errors import ConfigError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from faults_resume import (
    POINTS,
    PRESETS,
    Run,
    build,
    checkpoint,
    differences,
    resume,
    resumed,
    uninterrupted,
    with_directory,
)


@functools.cache
def _reference(preset: str) -> tuple[Run, dict[int, bytes]]:
    return uninterrupted(PRESETS[preset], POINTS)


def test_the_reference_run_meets_the_situations_the_resume_points_name() -> None:
    run, _ = _reference("recover")
    rollbacks = {d[0]: d[3] for d in run.decisions if d[3] is not None}
    assert rollbacks == {26: 14, 46: 36}  # the second one is a repeat: it halves the rate
    assert run.lrs[46] == pytest.approx(0.5 * run.lrs[36])  # the rate of the snapshot, halved
    assert run.lrs[69] < run.lrs[75] < run.lrs[45]  # being restored after 20 healthy steps
    assert [d[0] for d in run.decisions if not d[1]] == [24, 25, 26, 32, 44, 45, 46]


@pytest.mark.parametrize("at", POINTS)
@pytest.mark.parametrize("preset", list(PRESETS))
def test_a_resumed_run_decides_step_for_step_and_ends_bit_identical(preset: str, at: int) -> None:
    reference, blobs = _reference(preset)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about: the checkpoint holds everything
        run = resumed(PRESETS[preset], blobs[at], at, reference)
    assert differences(reference, run) == []


def test_taking_a_checkpoint_does_not_change_the_run() -> None:
    plain, _ = uninterrupted(PRESETS["recover"])
    assert differences(plain, _reference("recover")[0]) == []


@pytest.mark.parametrize("at", [27, 47, 51])
def test_snapshots_in_a_directory_are_referenced_by_file_and_resume_exactly(tmp_path: Path, at: int) -> None:
    policy = with_directory(tmp_path)
    reference, blobs = uninterrupted(policy, (at,))
    state = torch.load(io.BytesIO(blobs[at]), weights_only=True)["guard"]["mitigation"]["snapshots"]
    assert state["snapshots"] and all(set(s) == {"file", "path", "step", "restores"} for s in state["snapshots"])
    assert "model" in state["initial"]  # the initial state has no file: it travels as tensors
    # the run went on and dropped those snapshots, but kept their files for the checkpoint that refers to them
    for s in state["snapshots"]:
        assert (tmp_path / s["file"]).exists()
    assert differences(reference, resumed(policy, blobs[at], at, reference)) == []
    in_memory = uninterrupted(PRESETS["recover"], (at,))[1][at]
    assert len(blobs[at]) < len(in_memory)


def test_files_of_an_older_checkpoint_are_deleted_at_the_next_and_resuming_from_it_warns(tmp_path: Path) -> None:
    policy = with_directory(tmp_path)
    reference, blobs = uninterrupted(policy, (27, 70))
    old = torch.load(io.BytesIO(blobs[27]), weights_only=True)["guard"]["mitigation"]["snapshots"]["snapshots"]
    assert not any((tmp_path / s["file"]).exists() for s in old)  # bounded disk: only the latest checkpoint's
    with pytest.warns(UserWarning, match=r"could not be read .* rollback may restore another state"):
        run = resumed(policy, blobs[27], 27, reference)
    assert run.decisions[27][0] == 27  # it resumed and went on


def _fresh_guard() -> gradguard.Guard:
    return build(PRESETS["recover"], seed=1).guard


def _state_at(step: int) -> dict[str, Any]:
    _, blobs = _reference("recover")
    return torch.load(io.BytesIO(blobs[step]), weights_only=True)["guard"]


def test_an_older_gradguards_state_loads_with_a_warning_and_keeps_the_schedule() -> None:
    state = _state_at(47)
    snaps = state["mitigation"]["snapshots"]
    old_schedule = {k: snaps[k] for k in ("mark", "interval", "healthy", "taken", "recent", "best")}
    old = {**state, "mitigation": {"consecutive_skips": 0, "lr_scale": 0.5, "snapshots": old_schedule}}
    del old["collector"]
    guard = _fresh_guard()
    with pytest.warns(UserWarning, match="older gradguard .* not the snapshots"):
        guard.load_state_dict(old)
    store = guard._actuator.store
    assert store is not None and store._mark == snaps["mark"] and not store.snapshots
    assert guard.step_index == 47 and guard.lr_scale == 0.5
    no_mitigation = {k: v for k, v in old.items() if k != "mitigation"}
    with pytest.warns(UserWarning, match="holds no snapshot state"):
        _fresh_guard().load_state_dict(no_mitigation)


def test_a_state_from_a_newer_gradguard_or_another_guard_is_refused_clearly() -> None:
    state = _state_at(47)
    newer = {**state, "mitigation": {**state["mitigation"],
                                     "snapshots": {**state["mitigation"]["snapshots"], "format": 99}}}
    with pytest.raises(ConfigError, match=r"format 99.*newer gradguard"):
        _fresh_guard().load_state_dict(newer)
    with pytest.raises(ConfigError, match=r"3 detector\(s\)"):
        _fresh_guard().load_state_dict({**state, "detectors": state["detectors"][:3]})
    with pytest.raises(ConfigError, match=r"Guard.state_dict\(\)"):
        _fresh_guard().load_state_dict({"model": {}})  # type: ignore[dict-item]


def test_a_resumed_guard_restores_the_checkpoints_initial_state_not_its_own() -> None:
    """The guard of a resumed run is built before the weights are loaded: its own initial state is another
    model's. A restart must restore the run's true start (the initial snapshot travels in the checkpoint)."""
    t = build(PRESETS["recover"], seed=0)
    first = [p.detach().clone() for p in t.model.parameters()]
    blob = checkpoint(t)
    resumed_trainer = resume(PRESETS["recover"], blob)
    store = resumed_trainer.guard._actuator.store
    assert store is not None and store.initial is not None
    assert all(torch.equal(store.initial.model[k], v) for k, v in zip(store.initial.model, first))


def test_a_deferred_guard_reads_its_pending_step_into_the_checkpoint() -> None:
    """``sync="deferred"`` reads each step one call late: the step pending at the checkpoint must not be lost (its
    statistics reach the detectors), and the resumed run decides as the uninterrupted one."""
    def make(seed: int) -> tuple[nn.Module, torch.optim.Optimizer, gradguard.Guard]:
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
        opt = torch.optim.Adam(model.parameters(), lr=3e-3, fused=True)
        policy = gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(0.5))
        return model, opt, gradguard.Guard(model, opt, policy=policy, update_every=5, sync="deferred")

    def train(model: nn.Module, opt: torch.optim.Optimizer, guard: gradguard.Guard, steps: range,
              out: list[tuple[int, bool, str | None]]) -> None:
        for step in steps:
            g = torch.Generator().manual_seed(step)
            x = torch.randn(16, 8, generator=g)
            loss = nn.functional.mse_loss(model(x), x[:, :1])
            loss.backward()
            if step in (24, 30):
                next(model.parameters()).grad[0, 0] = float("nan")
            report = guard.step(loss)
            opt.zero_grad(set_to_none=True)
            out.append((report.step, report.applied, report.reason))

    model, opt, guard = make(0)
    assert guard.sync == "deferred"
    reference: list[tuple[int, bool, str | None]] = []
    train(model, opt, guard, range(25), reference)  # step 24 (a NaN) is issued, not read yet
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "guard": guard.state_dict()}, buf)
    train(model, opt, guard, range(25, 40), reference)
    guard.close()
    model2, opt2, guard2 = make(5)
    state = torch.load(io.BytesIO(buf.getvalue()), weights_only=True)
    model2.load_state_dict(state["model"])
    opt2.load_state_dict(state["opt"])
    guard2.load_state_dict(state["guard"])
    run = reference[:25]
    train(model2, opt2, guard2, range(25, 40), run)
    guard2.close()
    assert run == reference and (30, False, "nonfinite_grad") in run
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), model2.parameters()))
    assert repr([d.state_dict() for d in guard.detectors]) == repr([d.state_dict() for d in guard2.detectors])
