"""The adaptive clippers' device twins: the same coefficient as the host rule, and ``safe`` deferred exactly."""

from __future__ import annotations

import copy
import math
import random
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard
from gradguard.deferred_adaptive import ClipAdaptiveTwin
from gradguard.deferred_twins import DeviceTwin, device_twin
from gradguard.mitigation.adaptive import ClipAdaptive
from gradguard.stats import StepStats
from helpers import batch, mlp


def _stats(norm: float, loss: float | None) -> StepStats:
    z = np.zeros(1)
    return StepStats(step=0, loss=loss, grad_norm=norm, scale=None, lrs=(1e-3,), layer_grad_norm=np.array([norm]),
                     layer_grad_maxabs=z, layer_grad_nonfinite=np.zeros(1, dtype=np.int64), layer_weight_norm=z + 1,
                     layer_has_grad=np.ones(1, dtype=bool))


def _random_state(rng: random.Random) -> ClipAdaptive:
    m = ClipAdaptive()
    m.normalized = rng.random() < 0.7
    m.count = rng.choice([0, 1, 5, 24, 25, 26, 100, 1000])
    m.mean = rng.uniform(-12, 8)
    m.var = rng.uniform(0, 0.2) if m.count >= m.warmup else rng.uniform(0, 3)
    m.weight = float(min(m.count, 25))
    m.floor = math.exp(m.mean + rng.uniform(-0.5, 0.2))
    m.limit = math.exp(m.mean + rng.uniform(0.0, 1.0))
    m.losses = rng.choice([0, 1, 3, 50])
    m.loss_ref = rng.uniform(0.1, 5) if m.losses else math.nan
    m.loss_fast = m.loss_ref * rng.uniform(0.9, 1.05) if m.losses and rng.random() < 0.9 else math.nan
    m.top = math.exp(m.mean + rng.uniform(-0.2, 2)) if rng.random() < 0.9 else 0.0
    m.top_hits = rng.choice([0, 1, 2, 3, 7])
    m.below_top = rng.random() < 0.6
    m.budget = rng.choice([0.8, 1.0 / 64]) if rng.random() < 0.15 else 1.0  # safe's SGD step budget
    return m


def _norms(m: ClipAdaptive, rng: random.Random) -> list[float]:
    t = m.threshold()
    base = t if math.isfinite(t) else math.exp(m.mean)
    out = [base * rng.uniform(0.5, 30), base * rng.choice([1.0, 1.0 + 1e-9, 2, 10, 1e3]), math.exp(m.mean)]
    for edge in (t, m.threshold(True), m.top, m.top * (1 + 1e-5), m.top * (1 - 1e-5), m.top * (1 + 1e-4)):
        if math.isfinite(edge) and edge > 0:
            out += [edge, math.nextafter(edge, 0.0), math.nextafter(edge, math.inf)]
    return [*out, math.inf, math.nan, 0.0]


def _losses(m: ClipAdaptive, rng: random.Random) -> list[float | None]:
    ref = m.loss_ref if math.isfinite(m.loss_ref) else 1.0
    top = ref + m.loss_tol * abs(ref)
    out: list[float | None] = [None, math.nan, math.inf, ref * rng.uniform(0.5, 1.5), top, math.nextafter(top, 0.0),
                               math.nextafter(top, math.inf), ref * 0.8, ref * 0.98]
    if math.isfinite(m.loss_fast):  # around the loss whose fast EMA sits on the "falls" boundary
        keep = 1.0 - m.trend_alpha
        edge = m.loss_fast + (ref - m.trend_margin * abs(ref) - m.loss_fast) / keep
        out += [edge, math.nextafter(edge, 0.0), math.nextafter(edge, math.inf)]
    return out


def test_clip_adaptive_twin_gives_the_host_coefficient_on_random_states() -> None:
    """Over random states (warm-up and after, Adam-like and SGD, a clip before the guard or not) and norms and losses
    on every boundary of the rule, the device coefficient is the host decision's ``clip_coef``, double for double."""
    rng = random.Random(0)
    checked = clipped = far = 0
    for trial in range(120):
        state = _random_state(rng)
        for norm in _norms(state, rng):
            for loss in _losses(state, rng):
                host = copy.deepcopy(state)
                twin = ClipAdaptiveTwin(copy.deepcopy(state))
                float_loss = loss is not None and trial % 3 == 0  # a float loss the host keeps
                p = torch.tensor(twin.host_params(loss is not None, loss if float_loss else None),
                                 dtype=torch.float64)
                loss_t = None if loss is None or float_loss else torch.tensor(loss, dtype=torch.float64)
                dev = twin.coef(torch.tensor(norm, dtype=torch.float64), loss_t, p).item()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # the user-clip notice
                    d = host.decide(_stats(norm, loss), [])
                is_far = d.clip_coef < 1 and not d.evidence["warmup"] and d.evidence["clipped_to"] < d.evidence[
                    "threshold"]
                assert d.clip_coef == dev, (trial, norm, loss, host.state_dict(), d, dev)
                checked += 1
                clipped += d.clip_coef < 1
                far += is_far
    assert checked > 20_000 and clipped > 7_000 and far > 2_500, (checked, clipped, far)


def test_the_adaptive_clippers_have_twins_and_safe_runs_deferred() -> None:
    for policy in ("safe", gradguard.safe(max_norm=1.0), gradguard.clip_by_zscore(), gradguard.clip_by_percentile(),
                   gradguard.clip_adaptive()):
        twin = device_twin(gradguard.policy.resolve_policy(policy))
        assert isinstance(twin, DeviceTwin) and twin.clips and twin.stateful, policy
    model = mlp(depth=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        guard = Guard(model, torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True), sync="deferred")
    assert guard.sync == "deferred"
    assert device_twin(gradguard.recover()) is None  # rollback and back-off decide on the host


def _run(sync: str, opt_kind: str, policy: Any, steps: int = 90) -> tuple[nn.Module, torch.optim.Optimizer, list[Any]]:
    torch.manual_seed(0)
    model = mlp(depth=4)
    opt: torch.optim.Optimizer = (
        torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True) if opt_kind == "adamw"
        else torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, fused=True))
    guard = Guard(model, opt, policy=policy, sync=sync, update_every=3)
    assert guard.sync == sync
    reports = []
    for i in range(steps):
        x, y = batch(seed=i)
        x = x * (4.0 if i % 7 == 3 else 40.0 if i % 13 == 5 else 3000.0 if i in (45, 70) else 1.0)
        loss = nn.functional.mse_loss(model(x), y)
        if i % 11 == 2:
            loss = loss * float("nan")
        loss.backward()
        reports.append(guard.step(loss if i % 2 else float(loss.detach())))  # a tensor loss and a float loss
        opt.zero_grad(set_to_none=True)
    guard.close()
    return model, opt, reports


@pytest.mark.parametrize("opt_kind", ["adamw", "sgd"])
@pytest.mark.parametrize("policy", ["safe", "max_norm", "zscore", "percentile"])
def test_adaptive_clippers_deferred_weights_equal_blocking(opt_kind: str, policy: str) -> None:
    make = {"safe": lambda: "safe", "max_norm": lambda: gradguard.safe(max_norm=0.5),
            "zscore": lambda: gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_zscore()),
            "percentile": lambda: gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_percentile(80))}[policy]
    m_b, o_b, r_b = _run("blocking", opt_kind, make())
    m_d, o_d, r_d = _run("deferred", opt_kind, make())
    reasons = [r.reason for r in r_b]
    assert sum(r.clip_coef < 1 for r in r_b[30:]) >= 3 and sum(not r.applied for r in r_b) >= 8, reasons
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    for sa, sb in zip(o_b.state.values(), o_d.state.values()):
        for k in sa:
            assert torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k])), k
    key = [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_b[:-1]]
    assert key == [(r.step, r.applied, r.reason, r.clip_coef, r.grad_norm) for r in r_d[1:]]


def test_the_sgd_step_budget_runs_deferred_as_blocking() -> None:
    # SGD at a rate that makes the loss climb while safe clips: the budget shrinks (host state read a step late in
    # the deferred mode) and the device twin applies it to the very same doubles
    def run(sync: str) -> tuple[nn.Module, ClipAdaptive, list[Any]]:
        torch.manual_seed(1)
        model = mlp(depth=6)
        opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9, fused=True)
        policy = gradguard.safe()
        clipper = next(p for p in policy.policies if isinstance(p, ClipAdaptive))
        guard = Guard(model, opt, policy=policy, sync=sync, update_every=0)
        reports = []
        for i in range(80):
            x, y = batch(seed=i)
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            reports.append(guard.step(loss))
            opt.zero_grad(set_to_none=True)
        guard.close()
        return model, clipper, reports

    (m_b, c_b, r_b), (m_d, c_d, r_d) = run("blocking"), run("deferred")
    assert c_b.budget < 0.5, c_b.budget  # the budget acted on this run
    assert c_d.state_dict() == c_b.state_dict()
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    assert [r.clip_coef for r in r_b[:-1]] == [r.clip_coef for r in r_d[1:]]


def test_exact_sqrt_is_the_hosts_square_root() -> None:
    """The device square root the twins take is ``math.sqrt`` double for double (torch's vectorised CPU sqrt is not)."""
    from gradguard.deferred_twins import exact_sqrt

    rng = random.Random(0)
    xs = [math.exp(rng.uniform(-700, 700)) for _ in range(20_000)] + [rng.uniform(0, 4) for _ in range(20_000)]
    xs += [0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, math.inf, 1.0, 2.0]
    got = exact_sqrt(torch.tensor(xs, dtype=torch.float64)).tolist()
    assert got == [math.sqrt(x) for x in xs]
    assert math.isnan(exact_sqrt(torch.tensor(math.nan, dtype=torch.float64)).item())
    assert [exact_sqrt(torch.tensor(x, dtype=torch.float64)).item() for x in xs[:2000]] == [math.sqrt(x) for x in
                                                                                           xs[:2000]]  # 0-d too


@pytest.mark.parametrize("policy", ["safe", "max_norm"])
def test_device_coefficients_are_the_host_decisions_double_for_double(policy: str) -> None:
    """On a run with clips (warm-up, threshold and far clips), skips and a float loss, every coefficient the device
    applied is the ``clip_coef`` the host policy decided for that step when it read it."""
    coefs: list[tuple[int, float | None]] = []
    original = DeviceTwin.decide

    def keep(self: DeviceTwin, *a: Any, **k: Any) -> Any:
        found, coef = original(self, *a, **k)
        coefs.append((len(coefs), None if coef is None else coef.item()))  # written in place by the next call
        return found, coef

    DeviceTwin.decide = keep  # type: ignore[method-assign]
    try:
        _, _, reports = _run("deferred", "adamw", "safe" if policy == "safe" else gradguard.safe(max_norm=0.05))
    finally:
        DeviceTwin.decide = original  # type: ignore[method-assign]
    host = {r.step: r.clip_coef for r in reports if r.step >= 0 and r.applied}
    device = {s: float(c) for s, c in coefs if c is not None and s in host}
    assert len(device) >= 70 and sum(c < 1 for c in device.values()) >= 8
    assert device == host


def test_learn_below_is_the_exact_boundary_of_the_falling_loss_rule() -> None:
    """``x <= learn_below(...)`` holds exactly for the finite losses whose capped fast EMA falls below the mark, on
    the doubles around the boundary and at random, for positive and negative losses (a log-likelihood)."""
    from gradguard.deferred_adaptive import learn_below

    rng = random.Random(1)
    checked = 0
    for trial in range(2000):
        scale = rng.choice([1e-6, 1.0, 3.0, 1e4]) * rng.choice([1.0, -1.0])
        ref = scale * rng.uniform(0.5, 2)
        top = ref + 0.1 * abs(ref)
        falls = ref - 0.02 * abs(ref)
        fast = ref * rng.uniform(0.9, 1.1) if trial % 10 else math.nan
        keep = rng.choice([0.1, 0.5, 1e-3])
        bound = learn_below(top, fast, keep, falls)

        def host(x: float, top: float = top, fast: float = fast, keep: float = keep, falls: float = falls) -> bool:
            if not math.isfinite(x):
                return False
            capped = min(x, top)
            f = fast if math.isfinite(fast) else capped
            return x <= top and f + (capped - f) * keep < falls

        near = [bound, math.nextafter(bound, -math.inf), math.nextafter(bound, math.inf)] if math.isfinite(
            bound) else []
        for x in [*near, top, falls, ref * rng.uniform(0, 2), -ref, math.inf, -math.inf, math.nan]:
            assert host(x) == (math.isfinite(x) and x <= bound), (trial, x, bound, top, fast, keep, falls)
            checked += 1
    assert checked > 15_000


def test_safe_deferred_resumes_exactly_from_a_checkpoint() -> None:
    """A checkpoint taken while a step is pending holds the adaptive clipper's state with that step in it: the
    resumed run clips, skips and ends on the weights of the uninterrupted one."""
    import io

    def make(seed: int) -> tuple[nn.Module, torch.optim.Optimizer, Guard]:
        torch.manual_seed(seed)
        model = mlp(depth=4)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
        return model, opt, Guard(model, opt, sync="deferred", update_every=5)

    def train(model: nn.Module, opt: torch.optim.Optimizer, guard: Guard, steps: range, out: list[Any]) -> None:
        for i in steps:
            x, y = batch(seed=i)
            loss = nn.functional.mse_loss(model(x * (40.0 if i % 6 == 5 else 1.0)), y)
            (loss * float("nan") if i == 33 else loss).backward()
            r = guard.step(loss)
            opt.zero_grad(set_to_none=True)
            out.append((r.step, r.applied, r.reason, r.clip_coef))

    model, opt, guard = make(0)
    assert guard.sync == "deferred"
    reference: list[Any] = []
    train(model, opt, guard, range(30), reference)
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "guard": guard.state_dict()}, buf)
    train(model, opt, guard, range(30, 60), reference)
    guard.close()
    model2, opt2, guard2 = make(7)
    state = torch.load(io.BytesIO(buf.getvalue()), weights_only=True)
    model2.load_state_dict(state["model"])
    opt2.load_state_dict(state["opt"])
    guard2.load_state_dict(state["guard"])
    resumed = reference[:30]
    train(model2, opt2, guard2, range(30, 60), resumed)
    guard2.close()
    assert sum(r[3] < 1 for r in reference[30:]) >= 3 and any(not r[1] for r in reference[30:]), reference[30:]
    assert [r for r in resumed if r[0] >= 0] == [r for r in reference if r[0] >= 0]
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), model2.parameters()))


def test_last_true_finds_the_exact_boundary_from_any_guess() -> None:
    """The shared boundary search: from a guess next to the boundary (the walk) and from a guess far off (the
    bisection), the result holds and its next double does not."""
    import math as _math
    import random

    from gradguard._doubles import MAX_DOUBLE, last_true

    rng = random.Random(0)
    for _ in range(200):
        limit = rng.uniform(-30.0, 30.0)

        def holds(g: float, limit: float = limit) -> bool:  # "not skipped": log(sqrt(g)) <= limit
            n = _math.sqrt(g)
            return n == 0 or _math.log(n) <= limit

        for guess in (_math.exp(2.0 * limit), rng.uniform(0.0, 1e300), 0.0):
            x = last_true(holds, guess, 0.0, MAX_DOUBLE)
            assert holds(x) and not holds(_math.nextafter(x, _math.inf))
