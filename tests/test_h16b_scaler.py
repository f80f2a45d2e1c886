"""Issue 16 item 1 with a GradScaler: ``guard.step`` and ``observe`` (the trainer's ``scaler.step`` and ``update``) run
deferred, bit-equal to the blocking mode."""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard
from helpers import batch, mlp
from test_host_syncs import CountBeforeStep

# the scaled loss x1e36 overflows (a run of 10: past the detector's amp_patience of 8); once the scale is <= 256 the
# scaled gradients stay finite but their float32 norms overflow: a skip the scaler does not see (it grows on)
OVERFLOW = (4, 11, *range(20, 30))
OUTLIERS = (9, 16, 33)  # gradients x3000: skip_outliers skips them (finite: the scaler's scale is put back)
NAN_LOSS = (13, 36)  # a NaN loss reported with finite gradients: skipped, the scale put back
CLIPPED = (3, 17, 31)  # x50: clipped


def _policy(kind: str) -> Any:
    if kind == "safe":
        return "safe"
    return gradguard.chain(gradguard.skip_nonfinite(), gradguard.skip_outliers(), gradguard.clip_by_global_norm(0.05))


def _setup(opt_kind: str) -> tuple[nn.Module, torch.optim.Optimizer, Any]:
    """The seeded 4-layer MLP, its fused optimizer (``"adamw"`` or SGD + momentum) and a GradScaler that overflows
    early and grows every 3 steps."""
    torch.manual_seed(0)
    model = mlp(depth=4)
    opt: torch.optim.Optimizer = (
        torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True) if opt_kind == "adamw"
        else torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, fused=True))
    return model, opt, torch.amp.GradScaler("cpu", init_scale=2.0 ** 12, growth_interval=3)


def _run(sync: str, opt_kind: str, policy: str, steps: int = 40, scheduler: bool = False
         ) -> tuple[nn.Module, Any, Any, list[Any]]:
    model, opt, scaler = _setup(opt_kind)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no fallback
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.8) if scheduler else None
        guard = Guard(model, opt, policy=_policy(policy), scaler=scaler, sync=sync, update_every=3,
                      max_consecutive_skips=50, scheduler=sched)
    assert guard.sync == sync
    reports = []
    for i in range(steps):
        x, y = batch(seed=i)
        x = x * (3000 if i in OUTLIERS else 50 if i in CLIPPED else 1)
        loss = nn.functional.mse_loss(model(x), y)
        scaler.scale(loss * (1e36 if i in OVERFLOW else 1.0)).backward()
        reported = loss.detach() * float("nan") if i in NAN_LOSS else loss
        reports.append(guard.step(reported))
        opt.zero_grad(set_to_none=True)
    guard.close()
    return model, opt, scaler, reports


@pytest.mark.parametrize("opt_kind, policy, scheduler", [
    ("adamw", "outliers", False), ("sgd", "outliers", False), ("adamw", "safe", False), ("sgd", "safe", False),
    ("adamw", "outliers", True)])
def test_step_with_a_scaler_runs_deferred_bit_equal_to_blocking(opt_kind: str, policy: str, scheduler: bool) -> None:
    m_b, o_b, s_b, r_b = _run("blocking", opt_kind, policy, scheduler=scheduler)
    m_d, o_d, s_d, r_d = _run("deferred", opt_kind, policy, scheduler=scheduler)
    reasons = [r.reason for r in r_b]
    # the run of 10 overflows: 7 more amp_overflow, then nonfinite_grad (past amp_patience: the policy decides)
    assert reasons.count("amp_overflow") == 9 and reasons.count("nonfinite_grad") == 3, reasons
    assert reasons.count("nonfinite_loss") == 2 and reasons.count("outlier_grad") >= 3, reasons
    assert any(r.clip_coef < 1 for r in r_b), reasons
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    for sa, sb in zip(o_b.state.values(), o_d.state.values()):
        for k in sa:
            assert torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k])), k
    # the scale and its growth count: as the blocking mode's after every kind of step
    assert torch.equal(s_b._scale, s_d._scale) and torch.equal(s_b._growth_tracker, s_d._growth_tracker)
    assert s_b.state_dict() == s_d.state_dict()
    key = [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_b[:-1]]
    assert key == [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_d[1:]]
    assert [r.step for r in r_d] == [-1, *range(len(r_b) - 1)]
    assert [g["lr"] for g in o_b.param_groups] == [g["lr"] for g in o_d.param_groups]


def test_the_scale_is_kept_after_a_skip_of_finite_gradients_and_lowered_after_an_overflow() -> None:
    """The three scaler outcomes of a deferred step, checked on the scale itself (growth_interval 1: every applied
    step doubles it)."""
    torch.manual_seed(0)
    model = mlp(depth=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8, growth_interval=1)
    guard = Guard(model, opt, scaler=scaler, sync="deferred", policy=_policy("outliers"))
    scales = []
    for i, kind in enumerate(["ok", "ok", "overflow", "nan_loss", "ok"]):
        x, y = batch(seed=i)
        loss = nn.functional.mse_loss(model(x), y)
        scaler.scale(loss * (1e36 if kind == "overflow" else 1.0)).backward()
        guard.step(loss.detach() * float("nan") if kind == "nan_loss" else loss)
        scales.append(float(scaler.get_scale()))
        opt.zero_grad(set_to_none=True)
    guard.close()
    assert scales == [2.0 ** 9, 2.0 ** 10, 2.0 ** 9, 2.0 ** 9, 2.0 ** 10]


@pytest.mark.parametrize("policy, opt_kind, unscaled_by", [
    ("outliers", "adamw", "guard"), ("safe", "adamw", "trainer"), ("outliers", "sgd", "trainer"),
    ("safe", "sgd", "guard")])
def test_observe_with_a_scaler_runs_deferred_bit_equal_to_blocking(policy: str, opt_kind: str,
                                                                   unscaled_by: str) -> None:
    """The trainer's own ``scaler.step`` / ``scaler.update`` after ``observe`` (Lightning's order; ``unscaled_by``:
    the trainer's ``unscale_`` before the callback, or the guard's): the deferred mode writes its skip into the
    scaler's overflow flag and puts the flag back after the step, so weights, optimizer state, scale and growth
    count equal the blocking mode's over overflows (a run past amp_patience), outliers, NaN losses and clips; no
    fallback, nothing read before the trainer's step."""
    reads: list[int] = []

    def run(sync: str) -> tuple[nn.Module, Any, Any, list[Any], list[str], str]:
        reads.clear()
        model, opt, scaler = _setup(opt_kind)
        guard = Guard(model, opt, policy=_policy(policy), scaler=scaler, sync=sync, update_every=3,
                      max_consecutive_skips=50)
        reports = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for i in range(40):
                x, y = batch(seed=i)
                x = x * (3000 if i in OUTLIERS else 50 if i in CLIPPED else 1)
                loss = nn.functional.mse_loss(model(x), y)
                scaler.scale(loss * (1e36 if i in OVERFLOW else 1.0)).backward()
                if unscaled_by == "trainer":
                    scaler.unscale_(opt)
                reported = loss.detach() * float("nan") if i in NAN_LOSS else loss
                counter = CountBeforeStep(SimpleNamespace(step=None))  # every read of the whole call
                with counter:
                    reports.append(guard.observe(reported))
                # the host policy's far clip target is computed with torch on CPU tensors (_clip_target): not a read
                # of the device
                reads.append(sum("_clip_target" not in r for r in counter.reads))
                scaler.step(opt)  # the trainer's own step and update
                scaler.update()
                opt.zero_grad(set_to_none=True)
        guard.close()
        said = [str(w.message) for w in caught if "falls back" in str(w.message)]
        return model, opt, scaler, reports, said, guard.sync

    m_b, o_b, s_b, r_b, said_b, sync_b = run("blocking")
    m_d, o_d, s_d, r_d, said_d, sync_d = run("deferred")
    assert said_b == said_d == [] and (sync_b, sync_d) == ("blocking", "deferred")
    reasons = [r.reason for r in r_b]
    assert reasons.count("amp_overflow") == 9 and reasons.count("nonfinite_loss") == 2, reasons
    assert reasons.count("outlier_grad") >= 3 and any(r.clip_coef < 1 for r in r_b), reasons
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    for sa, sb in zip(o_b.state.values(), o_d.state.values()):
        for k in sa:
            assert torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k])), k
    assert s_b.state_dict() == s_d.state_dict()
    key = [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_b[:-1]]
    assert key == [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_d[1:]]
    assert reads == [0] + [1] * 39, reads  # the previous step's vector (stateful twins), nothing of this step


def test_a_scaler_with_a_policy_that_does_not_skip_nonfinite_steps_falls_back() -> None:
    model = mlp(depth=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    with pytest.warns(RuntimeWarning, match="GradScaler is in use with a policy that does not skip non-finite"):
        guard = Guard(model, opt, policy=gradguard.clip_by_global_norm(1.0), scaler=torch.amp.GradScaler("cpu"),
                      sync="deferred")
    assert guard.sync == "blocking"


def test_the_record_of_observe_with_a_scaler_says_deferred_as_it_runs(tmp_path: Any) -> None:
    """Every fallback is decided at construction (the meta is written then): ``observe`` with a scaler no longer
    switches to blocking at its first call, so the record's ``sync`` is what the run did."""
    torch.manual_seed(0)
    model = mlp(depth=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8)
    with Guard(model, opt, run_dir=tmp_path, sync="deferred", scaler=scaler, policy="safe") as guard:
        for i in range(3):
            x, y = batch(seed=i)
            scaler.scale(nn.functional.mse_loss(model(x), y)).backward()
            guard.observe()
            scaler.step(opt)
            scaler.update()
            opt.zero_grad(set_to_none=True)
        assert guard.sync == "deferred"
    with gradguard.open_run(tmp_path) as run:
        settings = run.meta["settings"]
        steps = len(run.reasons)
    assert (settings["sync"], settings["read_lag_steps"], settings["scaler"]) == ("deferred", 1, True)
    assert steps == 3
