"""The per-layer update cap applied by the guard's actuator: StableAdamW's rule, composed with clip and skip."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import gradguard
from gradguard.decision import Decision, NoState
from gradguard.errors import ConfigError
from gradguard.policy import Chain, ClipByGlobalNorm, recover
from gradguard.precursors import AdamStateMonitor, UpdateCap, update_cap

LR, WD, BETAS, EPS = 1e-2, 0.1, (0.9, 0.99), 1e-8
SPIKES = (12, 25)


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))


def _loss(model: nn.Module, step: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(100 + step)
    x = torch.randn(64, 10, generator=g) * (20.0 if step in SPIKES else 1.0)
    return ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()


def _opt(model: nn.Module, **kw: object) -> torch.optim.Optimizer:
    return torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WD, betas=BETAS, eps=EPS, **kw)  # type: ignore


def _reference(steps: int, max_norm: float | None = None) -> tuple[nn.Module, list[int]]:
    """StableAdamW per layer, written out: w <- w + (1/max(1, RMS)) * (AdamW's whole step), RMS measured on the
    (clipped) gradient the optimizer receives."""
    model = _mlp()
    opt = _opt(model)
    mon = AdamStateMonitor(model, opt)
    capped = []
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        _loss(model, step).backward()
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        rms = mon.measure(step).layer_rms
        before = [p.detach().clone() for p in model.parameters()]
        opt.step()
        with torch.no_grad():
            for i, (p, b) in enumerate(zip(model.parameters(), before, strict=True)):
                r = float(rms[i // 2])
                if r > 1.0 + 1e-6:  # float32 rounding of a first step's RMS of exactly 1
                    p.copy_(b + (p - b) / r)
        if (rms > 1.0 + 1e-6).any():
            capped.append(step)
    return model, capped


def _guarded(steps: int, policy: gradguard.Policy, **opt_kw: object) -> tuple[nn.Module, list[gradguard.StepReport]]:
    model = _mlp()
    opt = _opt(model, **opt_kw)
    guard = gradguard.Guard(model, opt, policy=policy)
    reports = []
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = _loss(model, step)
        loss.backward()
        reports.append(guard.step(loss))
    guard.close()
    return model, reports


@pytest.mark.parametrize("impl", [{}, {"foreach": True}, {"fused": True}])
def test_always_cap_through_the_actuator_is_stableadamw(impl: dict[str, bool]) -> None:
    ref, ref_capped = _reference(30)
    cap = update_cap(gate="always")
    model, reports = _guarded(30, Chain(cap), **impl)
    assert sorted(cap.capped) == ref_capped and set(SPIKES) <= set(ref_capped)
    for a, b in zip(model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    events = [e for r in reports for e in r.events if e.evidence.get("reason") == "update_cap"]
    assert [e.step for e in events] == ref_capped
    assert all(0 < s <= 1 for e in events for s in e.evidence["update_scale"].values())


def test_the_cap_measures_the_clipped_gradient() -> None:
    ref, ref_capped = _reference(30, max_norm=1.0)
    cap = update_cap(gate="always")
    model, _ = _guarded(30, Chain(ClipByGlobalNorm(1.0), cap))
    assert sorted(cap.capped) == ref_capped
    for a, b in zip(model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


class _SkipAt(NoState):
    def __init__(self, steps: tuple[int, ...]) -> None:
        self.steps = steps

    def decide(self, stats: gradguard.StepStats, events: object) -> Decision:
        return Decision(skip=True, reason="test") if stats.step in self.steps else Decision()


def test_a_skipped_step_is_never_capped_and_leaves_no_hook() -> None:
    cap = update_cap(gate="always")
    _, reports = _guarded(30, Chain(_SkipAt(SPIKES), cap))
    assert not set(SPIKES) & set(cap.capped)
    assert all(not r.applied for r in reports if r.step in SPIKES)
    assert not any(e.evidence.get("reason") == "update_cap" for r in reports if r.step in SPIKES for e in r.events)


def test_the_evidence_gate_opens_only_on_a_spike_and_closes_after_its_window() -> None:
    cap = update_cap(window=3)
    _, reports = _guarded(40, Chain(cap))
    capped_at = [e.step for r in reports for e in r.events if e.evidence.get("reason") == "update_cap"]
    assert capped_at == sorted(cap.capped)
    assert SPIKES[0] in cap.opened and set(cap.opened) <= set(SPIKES)  # the 2nd spike may be within v's memory
    assert set(cap.opened) <= set(cap.capped) <= {s + i for s in cap.opened for i in range(3)}
    # without the spikes the gate never opens, and the run is bit-identical to the run without the cap
    quiet = update_cap()
    members = [m for m in recover().policies if not isinstance(m, UpdateCap)]  # type: ignore[attr-defined]
    m1 = _guarded_quiet(40, Chain(*members, quiet))
    m2 = _guarded_quiet(40, recover())
    assert quiet.opened == [] and quiet.capped == {}
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        assert torch.equal(a, b)


def _guarded_quiet(steps: int, policy: gradguard.Policy) -> nn.Module:
    model = _mlp()
    opt = _opt(model)
    guard = gradguard.Guard(model, opt, policy=policy)
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        g = torch.Generator().manual_seed(100 + step)
        x = torch.randn(64, 10, generator=g)
        loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
        loss.backward()
        guard.step(loss)
    guard.close()
    return model


def test_observe_caps_the_trainers_own_step() -> None:
    ref, _ = _reference(30)
    model = _mlp()
    opt = _opt(model)
    guard = gradguard.Guard(model, opt, policy=Chain(update_cap(gate="always")))
    for step in range(30):
        opt.zero_grad(set_to_none=True)
        loss = _loss(model, step)
        loss.backward()
        guard.observe(loss)
        opt.step()  # the trainer's step
    guard.close()
    for a, b in zip(model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_an_optimizer_without_adam_state_is_said_once_and_never_capped() -> None:
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    cap = update_cap(gate="always")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        guard = gradguard.Guard(model, opt, policy=Chain(cap))
    assert sum("UpdateCap needs an Adam-family" in str(w.message) for w in caught) == 1
    for step in range(5):
        opt.zero_grad(set_to_none=True)
        loss = _loss(model, step)
        loss.backward()
        guard.step(loss)
    assert cap.capped == {} and not opt._optimizer_step_post_hooks  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a preset's cap says nothing
        gradguard.Guard(model, opt, policy=Chain(UpdateCap(warn_unsupported=False)))


@pytest.mark.parametrize(("kw", "match"), [
    ({"gate": "sometimes"}, r"gate='sometimes'.*evidence"),
    ({"window": 0}, r"window=0"),
    ({"max_rms": 0.5}, r"max_rms=0.5"),
    ({"threshold": -1.0}, r"threshold=-1"),
])
def test_bad_settings_name_the_setting(kw: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        UpdateCap(**kw)  # type: ignore[arg-type]


def test_the_gate_judges_the_gradient_adam_receives_after_the_clip() -> None:
    """A clip that holds every step at the same norm leaves Adam nothing unexpected: the ×20 batches open no window
    (judged on the unclipped norm against a second moment of clipped gradients they would)."""
    clipped = update_cap()
    _guarded(40, Chain(ClipByGlobalNorm(0.01), clipped))
    assert clipped.opened == [] and clipped.capped == {}
    bare = update_cap()
    _guarded(40, Chain(bare))
    assert SPIKES[0] in bare.opened
