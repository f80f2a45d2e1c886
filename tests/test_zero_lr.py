"""The stall detector's ``lr_zero`` mode (session 39): a schedule that reaches 0 while the run goes on.

fresh90's Adaptive-Span LM under ``PolynomialLR(opt, power=1.0)`` with ``total_iters`` left at its default 5: the rate
is 0 from step 5 and the loss freezes at 3.44 (from 4.34), under its chance loss, so no other stall mode fired.
"""

from __future__ import annotations

import torch
from torch import nn

import gradguard
from gradguard.detectors.stall import StallDetector


def _run(schedule: str, steps: int = 80) -> list[gradguard.Event]:
    torch.manual_seed(0)
    x, y = torch.randn(64, 16), torch.randint(0, 4, (64,))
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    if schedule == "frozen_group":
        opt = torch.optim.Adam([dict(params=model[0].parameters(), lr=0.0), dict(params=model[2].parameters())],
                               lr=1e-3)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched: torch.optim.lr_scheduler.LRScheduler | None = None
    if schedule == "polynomial_default":
        sched = torch.optim.lr_scheduler.PolynomialLR(opt, power=1.0)  # total_iters=5: 0 from step 5
    elif schedule == "warmup_from_zero":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, t / 10))
    events: list[gradguard.Event] = []
    with gradguard.Guard(model, opt, policy="monitor", scheduler=sched) as guard:
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            events += guard.step(loss).events
    return [e for e in events if e.kind == "stall" and e.evidence.get("mode") == "lr_zero"]


def test_a_schedule_at_zero_for_fifty_steps_is_told_once() -> None:
    told = _run("polynomial_default")
    assert len(told) == 1 and told[0].severity == "warning", told
    assert told[0].evidence["zero_since"] <= 10 and 50 <= told[0].evidence["steps_at_zero"] <= 60
    assert "total_iters" in told[0].message


def test_a_warm_up_from_zero_and_a_frozen_group_are_not_a_stopped_rate() -> None:
    assert _run("warmup_from_zero") == []
    assert _run("frozen_group") == []
    assert _run("constant") == []


def test_the_mode_survives_a_resume() -> None:
    det = StallDetector()
    det.zero_rate.positive, det.zero_rate.since = True, 5
    other = StallDetector()
    other.load_state_dict(det.state_dict())
    assert (other.zero_rate.positive, other.zero_rate.since, other.zero_rate.told) == (True, 5, False)
