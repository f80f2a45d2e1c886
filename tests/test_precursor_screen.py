"""The precursor detector's screen: a guaranteed bound on the surprise from the last read of Adam's state, so that a
quiet step reads nothing; the same events (steps, layers, evidence) as reading the state every step."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard.detectors import default_detectors
from gradguard.errors import ConfigError
from gradguard.policy import Chain, ClipByGlobalNorm
from gradguard.precursors import AdamStateMonitor, AdamStatePrecursor, UpdateCap

SPIKES = (40, 120, 121, 250)


class _Logged:
    """A detector that keeps its events and the steps at which it read the optimizer's state."""

    def __init__(self, inner: AdamStatePrecursor) -> None:
        self.inner = inner
        self.events: list[tuple[int, tuple[str, ...], Any]] = []
        self.read_at: list[int] = []
        measure = inner.monitor.measure
        self._step = -1

        def counted(step: int, **kw: Any) -> Any:
            if kw.get("full", True) is False:  # the judging read (a full one follows only on an event)
                self.read_at.append(self._step)
            return measure(step, **kw)

        inner.monitor.measure = counted  # type: ignore[method-assign]

    def __call__(self, stats: gradguard.StepStats, layer_names: list[str]) -> list[Any]:
        self._step = stats.step
        out = self.inner(stats, layer_names)
        self.events.extend((e.step, e.layers, e.evidence) for e in out)
        return out

    def state_dict(self) -> dict[str, Any]:
        return self.inner.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.inner.load_state_dict(state)


def _grad(p: torch.Tensor) -> torch.Tensor:
    assert p.grad is not None
    return p.grad


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def _loss(model: nn.Module, step: int, spikes: tuple[int, ...]) -> torch.Tensor:
    g = torch.Generator().manual_seed(step)
    x = torch.randn(64, 10, generator=g) * (30.0 if step in spikes else 1.0)
    return ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()


def _run(policy: Any, beta2: float, steps: int = 300, spikes: tuple[int, ...] = SPIKES,
         between: Any = None) -> tuple[_Logged, _Logged]:
    model = _model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, beta2))
    screened, every = _Logged(AdamStatePrecursor(model, opt)), _Logged(AdamStatePrecursor(model, opt, screen=False))
    guard = gradguard.Guard(model, opt, policy=policy, update_every=0,
                            detectors=[*default_detectors(3), screened, every])
    for step in range(steps):
        loss = _loss(model, step, spikes)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        guard.step(loss)
        if between is not None:
            between(step, opt)
    guard.close()
    return screened, every


@pytest.mark.parametrize("beta2", [0.95, 0.999])
@pytest.mark.parametrize("policy", ["monitor", "clip_skip", "recover"])
def test_the_screened_precursor_raises_the_events_of_a_read_every_step(policy: str, beta2: float) -> None:
    chosen: Any = {"monitor": "monitor", "recover": "recover",
                   "clip_skip": Chain(ClipByGlobalNorm(5.0), gradguard.policy.skip_nonfinite())}[policy]
    screened, every = _run(chosen, beta2)
    assert len(every.events) >= 3  # the spikes at 40, 120 and 250 warn (121 is in the cooldown)
    assert screened.events == every.events  # steps, layers and the read's evidence
    assert len(every.read_at) == 300
    assert len(screened.read_at) <= 6  # the first read, the events' own, a read 100 steps after the last


def test_a_quiet_step_reads_nothing() -> None:
    # healthy, beta2 = 0.999: the only reads are the first (at min_step) and one every resync_every steps
    screened, every = _run("monitor", 0.999, steps=260, spikes=())
    assert screened.events == every.events == []
    assert screened.read_at == [10, 110, 210]
    # beta2 = 0.95 forgets 5% per step: the bound loosens and asks for a read sooner, still a few percent of steps
    screened, _ = _run("monitor", 0.95, steps=260, spikes=())
    assert 3 <= len(screened.read_at) <= 8


def test_a_state_replaced_behind_the_guards_back_is_read_again() -> None:
    # at step 60 the optimizer's state is replaced by that of step 20 with the second moment 1e-6 as large: the
    # gradient at 61 is ~1000x what it expects. The screen's copy says otherwise; it must notice and read.
    saved: dict[str, Any] = {}

    def swap(step: int, opt: torch.optim.Optimizer) -> None:
        if step == 20:
            saved["state"] = copy.deepcopy(opt.state_dict())
        if step == 60:
            state = copy.deepcopy(saved["state"])
            for s in state["state"].values():
                s["exp_avg_sq"].mul_(1e-6)
            opt.load_state_dict(state)

    screened, every = _run("monitor", 0.999, steps=70, spikes=(), between=swap)
    assert [e[0] for e in every.events] == [61]
    assert screened.events == every.events


def test_load_state_dict_forgets_the_bound() -> None:
    model = _model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    detector = AdamStatePrecursor(model, opt)
    detector.bound.synced = True
    detector.load_state_dict({"last": 5})
    assert not detector.bound.synced and detector.state_dict() == {"last": 5}


def test_the_bound_is_above_the_surprise_it_bounds() -> None:
    # the bound from a read at step s, k steps later, against the real surprise at s + k (clipped and skipped steps)
    model = _model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.95))
    mon = AdamStateMonitor(model, opt)
    detector = AdamStatePrecursor(model, opt)
    ratios = []
    for step in range(80):
        loss = _loss(model, step, (50,))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_sq = np.array([sum(float(_grad(p).pow(2).sum()) for p in m.parameters())
                            for m in model.modules() if isinstance(m, nn.Linear)])
        real = mon.measure(step, full=False, grad_sq=grad_sq)
        if step in (12, 40):
            detector.bound.sync(real, step)
        if step > 12:
            worst = float(np.nanmax(real.layer_surprise))
            # the smallest threshold the bound clears is above the real surprise
            lo, hi = 0.0, 1e6
            for _ in range(60):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if detector.bound.needs_read(step, grad_sq, mid, 0.0) else (lo, mid)
            ratios.append(hi / worst)
        if step % 7 == 3:
            continue  # a skipped step: Adam's state is left as it was
        if step % 5 == 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        opt.step()
    print(f'bound / surprise: min {min(ratios):.3f} median {np.median(ratios):.3f} max {max(ratios):.3f}')
    assert min(ratios) >= 1.0
    assert np.median(ratios) < 3.0  # and not so loose that it reads every step


def test_bad_input() -> None:
    model = _model()
    opt = torch.optim.AdamW(model.parameters())
    with pytest.raises(ConfigError, match="resync_every"):
        AdamStatePrecursor(model, opt, resync_every=0)
    for screen in (1, "yes", None):  # a setting that is not a bool is refused, not read as one
        with pytest.raises(ConfigError, match="screen"):
            AdamStatePrecursor(model, opt, screen=screen)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="screen"):
            UpdateCap(screen=screen)  # type: ignore[arg-type]
