"""The update cap's host screen: Adam's second moment followed from the guard's own norms, the state read only when
the followed surprise nears the threshold; the same windows and weights as reading the state every step."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard.decision import Decision, NoState
from gradguard.policy import Chain, ClipByGlobalNorm, ClipByValue, recover
from gradguard.precursors import AdamStateMonitor, UpdateCap, update_cap

SPIKES = (15, 40, 41)


def _recover_members() -> tuple[gradguard.Policy, ...]:
    """``recover``'s members without an update cap of its own (the actuator applies a chain's first cap)."""
    return tuple(m for m in recover().policies if not isinstance(m, UpdateCap))  # type: ignore[attr-defined]


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))


def _loss(model: nn.Module, step: int, spikes: tuple[int, ...] = SPIKES) -> torch.Tensor:
    g = torch.Generator().manual_seed(100 + step)
    x = torch.randn(64, 10, generator=g) * (30.0 if step in spikes else 1.0)
    return ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()


class _SkipAt(NoState):
    def __init__(self, steps: tuple[int, ...]) -> None:
        self.steps = steps

    def decide(self, stats: gradguard.StepStats, events: object) -> Decision:
        return Decision(skip=True, reason="test") if stats.step in self.steps else Decision()


def _run(policy: gradguard.Policy, steps: int = 60, spikes: tuple[int, ...] = SPIKES, beta2: float = 0.99,
         check: list[float] | None = None) -> nn.Module:
    model = _mlp()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, beta2))
    guard = gradguard.Guard(model, opt, policy=policy)
    cap = guard._actuator.update_cap
    truth = AdamStateMonitor(model, opt)
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = _loss(model, step, spikes)
        loss.backward()
        if check is not None and cap.expected is not None and cap.expected.synced:
            real = truth.measure(step, full=False).layer_expected_sq
            b2 = beta2
            followed = cap.expected.v / (1.0 - b2 ** cap.expected.t)
            check.append(float(np.max(np.abs(followed / real - 1.0))))
        guard.step(loss)
    guard.close()
    return model


@pytest.mark.parametrize("policy", ["bare", "clipped", "recover"])
def test_the_screen_opens_the_same_windows_as_a_read_every_step(policy: str) -> None:
    def chain(cap: object) -> gradguard.Policy:
        head = {"bare": (), "clipped": (ClipByGlobalNorm(2.0), _SkipAt((41,))),
                "recover": _recover_members()}[policy]
        return Chain(*head, cap)  # type: ignore[arg-type]

    screened, every = update_cap(), update_cap(screen=False)
    m1, m2 = _run(chain(screened)), _run(chain(every))
    assert screened.opened == every.opened and screened.capped == every.capped
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        assert torch.equal(a, b)
    assert every.reads >= 45  # every applied step from min_step on
    assert screened.reads <= 2 + 2 * len(every.opened) + 1  # the first read, the windows (judge + full), a resync
    if policy == "bare":
        assert SPIKES[0] in screened.opened


def test_the_host_copy_follows_adams_second_moment_through_clips_and_skips() -> None:
    err: list[float] = []
    _run(Chain(ClipByGlobalNorm(2.0), _SkipAt((20, 41)), update_cap()), steps=80, check=err)
    assert len(err) >= 60 and max(err) < 1e-4  # only float rounding between reads
    err2: list[float] = []
    _run(Chain(update_cap()), steps=40, beta2=0.95, check=err2)
    assert len(err2) >= 25 and max(err2) < 1e-4


def test_a_quiet_run_reads_the_state_once_per_resync_period() -> None:
    cap = update_cap()
    _run(Chain(*_recover_members(), cap), steps=230, spikes=())
    assert cap.opened == [] and cap.reads == 3  # steps 10, 110, 210


def test_a_clip_by_value_or_a_restored_state_reads_the_state() -> None:
    cap = update_cap()
    _run(Chain(ClipByValue(0.05), cap), steps=30, spikes=())
    assert cap.reads == 20  # the clamp's effect on the norms is unknown on the host: every step from min_step
    cap2 = update_cap()
    _run(Chain(cap2), steps=30, spikes=())
    assert cap2.reads == 1 and cap2.expected is not None and cap2.expected.synced
    cap2.load_state_dict(cap2.state_dict())  # what a rollback or a resume does
    assert cap2.expected.stale


def test_always_and_non_adam_are_unchanged() -> None:
    cap = update_cap(gate="always")
    _run(Chain(cap), steps=20)
    assert cap.expected is None and cap.reads == 20  # StableAdamW: the RMS of every step
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    quiet = gradguard.policy.Chain(gradguard.precursors.UpdateCap(warn_unsupported=False))
    guard = gradguard.Guard(model, opt, policy=quiet)
    cap2 = guard._actuator.update_cap
    for step in range(12):
        opt.zero_grad(set_to_none=True)
        loss = _loss(model, step, ())
        loss.backward()
        guard.step(loss)
    assert cap2.monitor is None and cap2.expected is None and cap2.reads == 0


def test_an_adam_like_optimizer_without_a_second_moment_is_said_once() -> None:
    """Adamax has Adam's betas and eps but keeps ``exp_inf``: the precursor and the cap say so once (together),
    then measure and cap nothing, instead of reading NaN silently."""
    import warnings

    from gradguard.precursors import precursor_detectors, supports_adam_state

    model = _mlp()
    opt = torch.optim.Adamax(model.parameters(), lr=1e-2)
    assert supports_adam_state(opt)  # nothing to tell before its first step
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detectors = precursor_detectors(model, opt)
        cap = update_cap(gate="always")
        guard = gradguard.Guard(model, opt, policy=Chain(cap), detectors=detectors)
        for step in range(15):
            opt.zero_grad(set_to_none=True)
            loss = _loss(model, step, spikes=(12,))
            loss.backward()
            guard.step(loss)
    said = [w for w in caught if "keeps no Adam second moment" in str(w.message)]
    assert len(said) == 1 and "Adamax" in str(said[0].message)
    assert cap.capped == {} and cap.monitor is not None and cap.monitor.unsupported
    assert not supports_adam_state(opt)  # once its state exists
