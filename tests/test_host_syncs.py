"""A steady-state guarded step reads the device exactly once (the batched statistics read)."""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

import gradguard
from gradguard import Guard
from helpers import batch, mlp

_HOST_READS = {"item", "tolist", "__bool__", "__float__", "__int__", "__index__", "cpu", "numpy"}
_PKG_DIR = os.path.dirname(gradguard.__file__)


class CountHostReads(TorchFunctionMode):
    """Counts tensor -> host conversions, and those made by gradguard's own code."""

    def __init__(self) -> None:
        super().__init__()
        self.total: list[str] = []
        self.ours: list[str] = []

    def __torch_function__(self, func: Callable[..., Any], types: Any, args: Any = (), kwargs: Any = None) -> Any:
        name = getattr(func, "__name__", "")
        is_read = name in _HOST_READS or (
            name == "to" and isinstance(args[0], torch.Tensor) and args[0].device.type != "cpu"
            and any(isinstance(a, (str, torch.device)) and str(a).startswith("cpu") for a in args[1:]))
        if is_read:
            self.total.append(name)
            caller = sys._getframe(1).f_code.co_filename
            if caller.startswith(_PKG_DIR):
                self.ours.append(f"{name} @ {os.path.basename(caller)}:{sys._getframe(1).f_lineno}")
        return func(*args, **(kwargs or {}))


def _count(guard: Guard, model: nn.Module, opt: torch.optim.Optimizer, steps: int, warmup: int = 3):
    def one(i: int) -> None:
        x, y = batch(seed=i)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        guard.step(loss)
        opt.zero_grad(set_to_none=True)

    for i in range(warmup):
        one(i)
    counter = CountHostReads()
    per_step_total, per_step_ours = [], []
    for i in range(steps):
        x, y = batch(seed=100 + i)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        with counter:
            guard.step(loss)
        per_step_total.append(len(counter.total))
        per_step_ours.append(list(counter.ours))
        counter.total.clear()
        counter.ours.clear()
        opt.zero_grad(set_to_none=True)
    return per_step_total, per_step_ours


def test_one_host_read_per_step_with_sgd_counting_everything() -> None:
    model = mlp(depth=5)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    guard = Guard(model, opt, update_every=0)
    total, ours = _count(guard, model, opt, steps=6)
    assert total == [1] * 6, (total, ours)
    assert all(o and o[0].startswith(("tolist", "numpy")) for o in ours)


def test_one_host_read_by_gradguard_with_adam_and_update_measurement() -> None:
    # Adam reads its own CPU step counters (.item()); those are the optimizer's, not ours.
    model = mlp(depth=5)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    guard = Guard(model, opt, update_every=2, policy=gradguard.chain(gradguard.skip_nonfinite(),
                                                                      gradguard.clip_by_global_norm(1e-3)))
    _, ours = _count(guard, model, opt, steps=6)
    assert [len(o) for o in ours] == [1] * 6, ours


def test_a_nonfinite_step_costs_one_more_read_only_on_the_alarm_path() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    guard = Guard(model, opt)
    x, y = batch()
    x[0, 0] = float("nan")
    nn.functional.mse_loss(model(x), y).backward()
    counter = CountHostReads()
    with counter:
        report = guard.step()
    assert not report.applied and len(counter.ours) == 2, counter.ours


# ------------------------------------------------------------------------------------------- deferred mode
_ALL_READS = _HOST_READS | {"__array__", "__complex__", "data_ptr"}


class CountBeforeStep(TorchFunctionMode):
    """Counts every tensor -> host conversion from the moment it is entered until ``optimizer.step`` is called."""

    def __init__(self, opt: torch.optim.Optimizer) -> None:
        super().__init__()
        self.reads: list[str] = []
        self.open = True
        inner = opt.step

        def step(*a: Any, **k: Any) -> Any:
            self.open = False
            return inner(*a, **k)
        opt.step = step  # type: ignore[method-assign]

    def __torch_function__(self, func: Callable[..., Any], types: Any, args: Any = (), kwargs: Any = None) -> Any:
        name = getattr(func, "__name__", "")
        if self.open and (name in _ALL_READS or (  # a copy to the host from another device
                name in ("to", "copy_") and isinstance(args[0], torch.Tensor) and any(
                    (isinstance(a, torch.Tensor) and a.device.type != args[0].device.type) or
                    (isinstance(a, (str, torch.device)) and str(a).startswith("cpu") and args[0].device.type != "cpu")
                    for a in args[1:]))):
            self.reads.append(f"{name} @ {os.path.basename(sys._getframe(1).f_code.co_filename)}:"
                              f"{sys._getframe(1).f_lineno}")
        return func(*args, **(kwargs or {}))


def _policy() -> Any:
    return gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(0.05))


def _run(sync: str, opt_kind: str, steps: int = 24, scheduler: bool = False, count: bool = False, policy: Any = None,
         outliers: tuple[int, ...] = (), scaler: bool = False, whole_call: bool = False
         ) -> tuple[nn.Module, torch.optim.Optimizer, list[Any], list[int]]:
    """``scaler``: a CPU GradScaler (its scale grows every 2 steps; the NaN steps are its overflows);
    ``whole_call`` with ``count``: count the reads of the whole ``guard.step`` call, not only before the step."""
    torch.manual_seed(0)
    model = mlp(depth=4)
    fused = opt_kind.endswith("fused")
    opt: torch.optim.Optimizer = (
        torch.optim.AdamW(model.parameters(), lr=1e-2, fused=fused) if opt_kind.startswith("adamw")
        else torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, fused=fused))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.7) if scheduler else None
    amp = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=2) if scaler else None
    guard = Guard(model, opt, policy=policy or _policy(), sync=sync, scheduler=sched, update_every=3, scaler=amp)
    assert guard.sync == sync
    reports, reads = [], []
    for i in range(steps):
        x, y = batch(seed=i)
        if i % 7 == 3:
            x = x * 50  # a clipped step
        if i in outliers:
            x = x * 3000  # an outlier step (skip_outliers)
        loss = nn.functional.mse_loss(model(x), y)
        if i % 5 == 2:
            loss = loss * float("nan")  # a skipped step (NaN loss and gradients)
        (loss if amp is None else amp.scale(loss)).backward()
        if count:
            counter = CountBeforeStep(SimpleNamespace(step=None) if whole_call else opt)
            with counter:
                reports.append(guard.step(loss))
            reads.append(len(counter.reads))
            assert not counter.reads or sync == "blocking" or whole_call, counter.reads
            opt.step = type(opt).step.__get__(opt)  # type: ignore[method-assign]
        else:
            reports.append(guard.step(loss))
        opt.zero_grad(set_to_none=True)
    guard.close()
    return model, opt, reports, reads


def test_deferred_mode_reads_nothing_before_the_optimizer_step() -> None:
    _, _, reports, reads = _run("deferred", "adamw-fused", steps=12, count=True)
    assert reads == [0] * 12
    _, _, _, blocking = _run("blocking", "adamw-fused", steps=12, count=True)
    assert all(n >= 1 for n in blocking)  # the counter does see the blocking mode's read
    assert [r.step for r in reports] == [-1, *range(11)]


def test_deferred_mode_with_a_grad_scaler_reads_nothing_of_the_step_and_no_more_than_without() -> None:
    """With a GradScaler (unscaled on the device; its update, and the scale put back after a skip of finite
    gradients, by device ops): nothing read before the optimizer step, and over the whole call no more reads than
    without a scaler (the previous step's vector, read after this step is issued)."""
    _, _, reports, reads = _run("deferred", "adamw-fused", steps=12, count=True, scaler=True)
    assert reads == [0] * 12
    assert sum(r.reason == "amp_overflow" for r in reports) >= 2  # the scaler's overflows were in the run
    _, _, _, whole = _run("deferred", "adamw-fused", steps=12, count=True, scaler=True, whole_call=True)
    _, _, _, plain = _run("deferred", "adamw-fused", steps=12, count=True, whole_call=True)
    assert whole == plain == [0] + [1] * 11, (whole, plain)


@pytest.mark.parametrize("opt_kind", ["adamw-fused", "sgd-fused"])
@pytest.mark.parametrize("scheduler", [False, True])
def test_deferred_weights_equal_blocking_weights_exactly(opt_kind: str, scheduler: bool) -> None:
    m_b, o_b, r_b, _ = _run("blocking", opt_kind, scheduler=scheduler)
    m_d, o_d, r_d, _ = _run("deferred", opt_kind, scheduler=scheduler)
    assert sum(not r.applied for r in r_b) == 5 and any(r.clip_coef < 1 for r in r_b)  # skips and clips
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    for sa, sb in zip(o_b.state.values(), o_d.state.values()):
        for k in sa:
            assert torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k])), k
    # the deferred reports are the same reports, one call later (the last one read at close)
    key = [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_b[:-1]]
    assert key == [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_d[1:]]
    assert [g["lr"] for g in o_b.param_groups] == [g["lr"] for g in o_d.param_groups]


class _PlainSGD(torch.optim.Optimizer):
    """A custom optimizer: no ``found_inf`` support (``_step_supports_amp_scaling`` unset)."""

    def __init__(self, params: Any, lr: float) -> None:
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-group["lr"])


@pytest.mark.parametrize("why, make", [
    ("AdamW cannot skip a step on the device", lambda m: dict(opt=torch.optim.AdamW(m.parameters(), lr=1e-3))),
    ("_PlainSGD cannot skip a step on the device", lambda m: dict(opt=_PlainSGD(m.parameters(), lr=1e-3))),
    ("a GradScaler is in use with a policy that does not skip non-finite steps",
     lambda m: dict(opt=torch.optim.AdamW(m.parameters(), lr=1e-3, fused=True), scaler=torch.amp.GradScaler("cpu"),
                    policy=gradguard.clip_by_global_norm(0.05))),
    ("decide on the host", lambda m: dict(opt=torch.optim.AdamW(m.parameters(), lr=1e-3, fused=True),
                                          policy="recover")),
])
def test_deferred_falls_back_to_blocking_and_says_why_once(why: str, make: Callable[..., Any]) -> None:
    """Bad input of issue 16: a non-fused or custom optimizer, a fused one with the user's GradScaler, a policy that
    decides on the host: each trains (blocking) and the guard says once, at construction, which path it took."""
    model = mlp(depth=2)
    kw = make(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        guard = Guard(model, kw["opt"], policy=kw.get("policy", _policy()), sync="deferred", scaler=kw.get("scaler"))
        assert guard.sync == "blocking"
        before = [p.detach().clone() for p in model.parameters()]
        for i in range(3):
            x, y = batch(seed=i)
            loss = nn.functional.mse_loss(model(x), y)
            (loss if guard.scaler is None else guard.scaler.scale(loss)).backward()
            report = guard.step(loss)
            assert report.step == i and report.applied  # blocking: the report of this very step
            kw["opt"].zero_grad(set_to_none=True)
    said = [str(w.message) for w in caught if "sync='deferred' falls back" in str(w.message)]
    assert len(said) == 1 and re.search(f"falls back to the blocking read: .*{why}", said[0]), said
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))  # it trained


def test_an_unknown_sync_mode_is_refused() -> None:
    model = mlp(depth=2)
    with pytest.raises(gradguard.errors.ConfigError, match=r"sync='eventually'.*'blocking'.*'deferred'"):
        Guard(model, torch.optim.SGD(model.parameters(), lr=0.1), sync="eventually")


# ------------------------------------------------------------------------------------------- skip_outliers twin
def _outlier_policy() -> Any:
    return gradguard.chain(gradguard.skip_nonfinite(), gradguard.skip_outliers(), gradguard.clip_by_global_norm(0.05))


@pytest.mark.parametrize("opt_kind", ["adamw-fused", "sgd-fused"])
def test_skip_outliers_runs_deferred_with_weights_equal_to_blocking(opt_kind: str) -> None:
    outliers = (9, 16, 17)
    m_b, o_b, r_b, _ = _run("blocking", opt_kind, steps=30, policy=_outlier_policy(), outliers=outliers)
    m_d, o_d, r_d, _ = _run("deferred", opt_kind, steps=30, policy=_outlier_policy(), outliers=outliers)
    reasons = [r.reason for r in r_b]
    skipped = [i for i, r in enumerate(reasons) if r == "outlier_grad"]
    assert 9 in skipped and 16 in skipped, reasons
    assert reasons.count("nonfinite_loss") + reasons.count("nonfinite_grad") == 6 and any(r.clip_coef < 1 for r in r_b)
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    for sa, sb in zip(o_b.state.values(), o_d.state.values()):
        for k in sa:
            assert torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k])), k
    key = [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_b[:-1]]
    assert key == [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_d[1:]]


@pytest.mark.parametrize("policy", ["outliers", "safe"])
def test_stateful_twins_read_only_the_previous_step_before_the_optimizer_step(policy: str) -> None:
    """The twins' thresholds come from the policy's state after the previous step (``skip_outliers``, ``safe``'s
    adaptive clip): that step is read first (a read of a vector issued a step earlier); nothing of the current step
    reaches the host before its update."""
    from gradguard.deferred import DeferredSteps

    inside: list[int] = []
    counters: list[CountBeforeStep] = []
    within = [0]  # host reads made inside the reads of a previous step
    original = DeferredSteps._read

    def traced(self: Any, guard: Any, p: Any) -> Any:
        inside.append(guard.step_index - 1 - p.step)  # 0: the previous step, issued before this call
        before = len(counters[-1].reads)
        try:
            return original(self, guard, p)
        finally:
            # clip_adaptive's far target is a CPU tensor made from host floats (gradguard._clip_target): not a read
            reads = counters[-1].reads
            reads[before:] = [r for r in reads[before:] if "_clip_target.py" not in r]
            within[0] += len(reads) - before

    DeferredSteps._read = traced  # type: ignore[method-assign]
    try:
        torch.manual_seed(0)
        model = mlp(depth=4)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
        guard = Guard(model, opt, policy=_outlier_policy() if policy == "outliers" else policy, sync="deferred",
                      update_every=0)
        outside = []
        for i in range(12 if policy == "outliers" else 40):
            x, y = batch(seed=i)
            loss = nn.functional.mse_loss(model(x * (3000 if i == 8 else 30 if i % 9 == 4 else 1)), y)
            loss.backward()
            counter = CountBeforeStep(opt)
            counters.append(counter)
            inside.clear()
            within[0] = 0
            with counter:
                report = guard.step(loss)
            opt.step = type(opt).step.__get__(opt)  # type: ignore[method-assign]
            assert within[0] == (0 if i == 0 else 1), (i, counter.reads)  # the previous step's vector, once
            outside.append(counter.reads[within[0]:])
            assert inside == ([] if i == 0 else [0]), (i, inside)
            assert report.step == i - 1
            opt.zero_grad(set_to_none=True)
        assert outside == [[]] * len(outside), outside
        assert guard.sync == "deferred"
    finally:
        DeferredSteps._read = original  # type: ignore[method-assign]


def test_skip_outliers_device_threshold_is_the_exact_boundary_of_its_host_rule() -> None:
    """The twin's ``g > threshold`` and the host's ``log(sqrt(g)) > limit`` agree on the doubles around the
    threshold, for states across the range (the boundary found from exp(2 limit), or by bisection)."""
    import math
    import random

    from gradguard.mitigation.skipping import SkipOutliers

    rng = random.Random(0)
    checked = 0
    for trial in range(400):
        member = SkipOutliers()
        member.count = 30
        member.mean = rng.choice([-380.0, -300.0, 340.0, 360.0]) if trial % 50 == 0 else rng.uniform(-40, 40)
        member.var = rng.uniform(0, 3)
        t = member.skip_above_sumsq()
        limit = member.limit()
        around = [t, math.nextafter(t, 0.0), math.nextafter(t, math.inf)] if math.isfinite(t) else [1e300, 1e308]
        for g in [*around, rng.uniform(0.5, 2.0) * (t if math.isfinite(t) and t > 0 else 1.0)]:
            n = math.sqrt(g)
            host = n > 0 and math.isfinite(n) and math.log(n) > limit
            assert host == (math.isfinite(g) and g > t), (member.mean, member.var, g, t)
            checked += 1
    assert checked >= 1500
    member = SkipOutliers()  # before min_warmup norms: no step is an outlier
    assert member.skip_above_sumsq() == math.inf


# ------------------------------------------------------------------------------------------- observe (trainers)
def _trainer_run(sync: str, count: bool = False, policy: Any = None
                 ) -> tuple[nn.Module, torch.optim.Optimizer, list[Any], list[int]]:
    """A trainer's loop: ``guard.observe`` before the trainer's own ``optimizer.step()``."""
    torch.manual_seed(0)
    model = mlp(depth=4)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    guard = Guard(model, opt, policy=policy or _outlier_policy(), sync=sync, update_every=3)
    assert guard.sync == sync
    reports, reads = [], []
    for i in range(26 if policy is None else 60):
        x, y = batch(seed=i)
        x = x * (50 if i % 7 == 3 else 3000 if i in (9, 16) else 1)
        loss = nn.functional.mse_loss(model(x), y)
        if i % 5 == 2:
            loss = loss * float("nan")
        loss.backward()
        counter = CountBeforeStep(opt)
        with counter:
            reports.append(guard.observe(loss))
            opt.step()  # the trainer's step
        opt.step = type(opt).step.__get__(opt)  # type: ignore[method-assign]
        # clip_adaptive's far target is a CPU tensor made from host floats (gradguard._clip_target): not a read
        reads.append(len([r for r in counter.reads if "_clip_target.py" not in r]))
        assert not hasattr(opt, "found_inf")  # taken off after the trainer's step
        opt.zero_grad(set_to_none=True)
    guard.close()
    return model, opt, reports, reads


def test_observe_deferred_equals_blocking_and_reads_only_the_previous_step() -> None:
    m_b, o_b, r_b, _ = _trainer_run("blocking")
    m_d, o_d, r_d, reads = _trainer_run("deferred")
    reasons = [r.reason for r in r_b]
    assert "outlier_grad" in reasons and "nonfinite_grad" in reasons and "clip_norm" in reasons, reasons
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    for sa, sb in zip(o_b.state.values(), o_d.state.values()):
        for k in sa:
            assert torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k])), k
    key = [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_b[:-1]]
    assert key == [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_d[1:]]
    assert reads == [0] + [1] * 25  # the previous step's vector (skip_outliers' state), nothing of this step


def test_observe_deferred_with_safe_equals_blocking() -> None:
    """The trainer path (``observe``) with ``safe``: its adaptive clip scaled on the device, weights as blocking."""
    m_b, _, r_b, _ = _trainer_run("blocking", policy="safe")
    m_d, _, r_d, reads = _trainer_run("deferred", policy="safe")
    reasons = [r.reason for r in r_b]
    assert "nonfinite_grad" in reasons and sum(not r.applied for r in r_b) >= 10, reasons
    assert sum(r.reason == "clip_adaptive" for r in r_b[25:]) >= 3, reasons  # after the warm-up
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    key = [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_b[:-1]]
    assert key == [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_d[1:]]
    assert reads == [0] + [1] * (len(reads) - 1)  # the previous step's vector, nothing of this step


def test_observe_deferred_says_when_a_scaler_took_its_skip_away() -> None:
    torch.manual_seed(0)
    model = mlp(depth=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    guard = Guard(model, opt, policy=_policy(), sync="deferred")
    x, y = batch()
    nn.functional.mse_loss(model(x), y).backward()
    guard.observe()
    del opt.found_inf  # what GradScaler.step does with the attribute
    with pytest.warns(RuntimeWarning, match="skip decision was not applied"):
        opt.step()


# ------------------------------------------------------------------------------------------- halt
def _halting_run(sync: str) -> tuple[nn.Module, int | None]:
    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    guard = Guard(model, opt, policy=_policy(), sync=sync, max_consecutive_skips=3, update_every=0)
    assert guard.sync == sync
    for i in range(12):
        x, y = batch(seed=i)
        loss = nn.functional.mse_loss(model(x * (30 if i == 2 else 1)), y)
        loss = loss * float("nan") if 5 <= i <= 7 else loss  # steps 5, 6, 7 skipped: the third halts
        loss.backward()
        try:
            guard.step(loss)
        except gradguard.TrainingHalted as e:
            assert "step 7" in str(e)
            return model, i
        finally:
            opt.zero_grad(set_to_none=True)
    return model, None


def test_deferred_halt_comes_one_call_late_with_no_step_applied_after_it() -> None:
    """After ``max_consecutive_skips`` skipped steps the run halts; deferred, the next call raises it, having read
    the pending step before issuing its own: the weights are those of the blocking mode's halt."""
    m_b, at_b = _halting_run("blocking")
    m_d, at_d = _halting_run("deferred")
    assert (at_b, at_d) == (7, 8)
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)


# ------------------------------------------------------------------------------------------- the record
@pytest.mark.parametrize("sync", ["blocking", "deferred"])
def test_the_record_says_the_sync_mode_its_lag_and_the_sampling(sync: str, tmp_path: Any) -> None:
    model = mlp(depth=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    with Guard(model, opt, run_dir=tmp_path, sync=sync, sample_every=7) as guard:
        x, y = batch()
        nn.functional.mse_loss(model(x), y).backward()
        guard.step()
    with gradguard.open_run(tmp_path) as run:
        settings = run.meta["settings"]
    assert (settings["sync"], settings["read_lag_steps"], settings["sample_every"]) == (
        sync, 1 if sync == "deferred" else 0, 7)
    other = mlp(depth=2)
    clipped = Guard(other, torch.optim.SGD(other.parameters(), lr=0.1), policy=gradguard.clip_by_value(1.0),
                    sample_every=7)
    assert clipped.sample_every == 1  # clip_by_value reads every step's max |g|: the record then says 1
