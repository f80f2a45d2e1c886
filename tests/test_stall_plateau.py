"""The stall detector's plateau mode: after 150 losses, still at >= 0.8 x the chance loss log(C) and no longer
falling (under 1% between the two halves of the last 100 losses), while the weights are stepped."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradguard import ConfigError
from gradguard.detectors import StallDetector
from test_stall_chance import make

C10 = math.log(10)


def plateaus(det: StallDetector, losses: list[float], lrs: list[float] | None = None) -> list[int]:
    out = []
    for step, loss in enumerate(losses):
        lr = 0.1 if lrs is None else lrs[step]
        out += [step for e in det(make(step, loss, lr), ["a", "b", "c"]) if e.evidence["mode"] == "plateau"]
    return out


def noisy(level: float, n: int, seed: int = 0, sd: float = 0.01) -> list[float]:
    return list(level + sd * np.random.default_rng(seed).normal(size=n))


def test_a_loss_held_at_chance_is_told_once_after_150_steps() -> None:
    det = StallDetector(chance_loss=C10)
    assert plateaus(det, noisy(C10, 400)) == [150]  # the first check (every 5 steps) with 150 losses seen
    det = StallDetector(chance_loss=C10)
    events = [e for s, x in enumerate(noisy(C10, 151)) for e in det(make(s, x), ["a", "b", "c"])]
    (plateau,) = [e for e in events if e.evidence["mode"] == "plateau"]
    assert plateau.kind == "stall" and plateau.severity == "warning" and plateau.step == 150
    assert plateau.evidence["loss_vs_chance"] == pytest.approx(1.0, abs=0.01)
    assert plateau.evidence["fall"] < 0.01 and plateau.evidence["losses_seen"] == 151
    assert "plateau at chance" in plateau.message and "10 classes" in plateau.message


def test_a_run_that_takes_off_a_slow_descent_and_a_fine_tune_are_not_told() -> None:
    # at chance for 120 steps, then it learns (a Fixup ResNet or MobileViT before symmetry breaks)
    takes_off = noisy(C10, 120) + [C10 * math.exp(-0.01 * k) for k in range(280)]
    assert plateaus(StallDetector(chance_loss=C10), takes_off) == []
    # a slow but steady descent: 2% per half window
    slow = [C10 * 0.98 ** (s / 50) for s in range(400)]
    assert plateaus(StallDetector(chance_loss=C10), slow) == []
    # a model fine-tuned from a checkpoint: flat, but far under its chance loss
    assert plateaus(StallDetector(chance_loss=C10), noisy(0.3 * C10, 400)) == []
    # no chance loss known (a regression): the mode is off
    assert plateaus(StallDetector(chance_loss=None), noisy(C10, 400)) == []
    assert plateaus(StallDetector(chance_loss=C10, plateau_after=None), noisy(C10, 400)) == []


def test_plateau_waits_for_a_warm_up_needs_a_rate_and_re_arms() -> None:
    ramp = [1e-3 * min(1.0, s / 250) for s in range(400)]
    # the rate must not have risen by more than 5% over the last 100 steps
    first = next(s for s in range(150, 400, 5) if ramp[s] <= 1.05 * ramp[s - 100])
    assert plateaus(StallDetector(chance_loss=C10), noisy(C10, 400), ramp) == [first] == [340]
    assert plateaus(StallDetector(chance_loss=C10), noisy(C10, 400), [0.0] * 400) == []
    # a second plateau after it learned in between is a second episode
    series = noisy(C10, 200) + [0.3 * C10] * 100 + noisy(C10, 200, seed=1)
    assert plateaus(StallDetector(chance_loss=C10), series) == [150, 375]


def test_plateau_state_survives_a_resume_and_settings_are_checked() -> None:
    det = StallDetector(chance_loss=C10)
    series = noisy(C10, 300)
    assert plateaus(det, series[:200]) == [150]
    again = StallDetector(chance_loss=C10)
    again.load_state_dict(det.state_dict())
    assert again.seen == 200 and again.plateau_active
    assert [s for s in range(200, 300) for e in again(make(s, series[s]), []) if e.evidence["mode"] == "plateau"] == []
    for bad in ({"plateau_after": 0}, {"plateau_window": 2}, {"plateau_flat": 1.5}, {"plateau_floor": 0.0}):
        with pytest.raises(ConfigError):
            StallDetector(**bad)  # type: ignore[arg-type]


def _shrink_events(weight_decay: float) -> list[tuple[int, dict[str, object]]]:
    """A real MLP classifier under the guard for 120 steps at Adam lr 1e-3 with ``weight_decay`` (coupled L2)."""
    import torch
    from torch import nn

    import gradguard

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(512, 16, generator=g)
    y = (x @ torch.randn(16, 10, generator=g)).argmax(1)  # ten classes of a linear teacher
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    found = []
    with gradguard.Guard(model, opt) as guard:
        for step in range(120):
            i = (step * 64) % 512
            loss = nn.functional.cross_entropy(model(x[i:i + 64]), y[i:i + 64])
            loss.backward()
            report = guard.step(loss)
            opt.zero_grad(set_to_none=True)
            found += [(e.step, e.evidence) for e in report.events
                      if e.kind == "stall" and e.evidence.get("mode") == "weights_shrink"]
    return found


def test_weights_collapsing_under_a_huge_weight_decay_are_told_once_and_a_healthy_run_is_not() -> None:
    # Adam's L2 of 1 at lr 1e-3: the weights shrink by ~lr per element and step, the loss stays at 2.3
    (event,) = _shrink_events(weight_decay=1.0)
    step, evidence = event
    assert 20 <= step < 120 and evidence["likely_cause"] == "regularization"
    assert evidence["weight_growth"] <= 0.5 and evidence["loss_vs_reference"] >= 0.75  # type: ignore[operator]
    assert _shrink_events(weight_decay=0.0) == [] and _shrink_events(weight_decay=1e-4) == []


def test_weights_that_settle_at_a_balance_are_not_a_collapse_and_a_steady_collapse_is() -> None:
    import dataclasses

    def run(ratio_at: object) -> list[int]:
        det, out = StallDetector(chance_loss=None), []
        for step in range(200):
            stats = dataclasses.replace(make(step, 1.0 + 0.001 * math.sin(step)),
                                        layer_weight_norm=np.full(3, ratio_at(step)))  # type: ignore[operator]
            out += [step for e in det(stats, ["a", "b", "c"]) if e.evidence.get("mode") == "weights_shrink"]
        return out

    # Adam's coupled decay: 0.3x by step 10, then held (GCNII at lr 0.01, wd 0.01; the loss takes 40 steps to fall)
    assert run(lambda s: 1.0 if s == 0 else 0.3) == []
    # decay that keeps pulling: 0.98x per step, the loss flat
    (step,) = run(lambda s: 0.98 ** s)
    assert 0.98 ** step <= 0.5 and step >= 50
