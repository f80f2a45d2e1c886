"""The stall detector's ``tiny_steps`` mode on real guarded runs: weights that barely move while the loss stays at its
start are told once; a run that learns, a small but working rate and a warm-up are not."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

import gradguard


def _tiny_events(make_opt: Callable[[list[nn.Parameter]], torch.optim.Optimizer], steps: int = 120,
                 schedule: Callable[[torch.optim.Optimizer], object] | None = None) -> list[tuple[int, dict]]:
    """An MLP classifier (ten classes of a linear teacher) under the default guard; the tiny_steps events."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(512, 32, generator=g)
    y = (x @ torch.randn(32, 10, generator=g)).argmax(1)
    model = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = make_opt(list(model.parameters()))
    sched = schedule(opt) if schedule is not None else None
    found = []
    with gradguard.Guard(model, opt, scheduler=sched) as guard:
        for step in range(steps):
            i = (step * 64) % 512
            loss = nn.functional.cross_entropy(model(x[i:i + 64]), y[i:i + 64])
            loss.backward()
            report = guard.step(loss)
            opt.zero_grad(set_to_none=True)
            found += [(e.step, e.evidence) for e in report.events
                      if e.kind == "stall" and e.evidence.get("mode") == "tiny_steps"]
    return found


def test_adam_eps_far_above_the_gradient_is_told_once() -> None:
    # eps=1 (TensorFlow's Inception advice): each step is lr * |g| / eps, ~1e-5 of the weights; the loss stays at 2.3
    (event,) = _tiny_events(lambda p: torch.optim.AdamW(p, lr=1e-3, eps=1.0))
    step, ev = event
    assert 50 <= step <= 80
    assert max(ev["update_ratios"]) < ev["tiny_ratio"] == 1e-4 and ev["loss_vs_reference"] >= 0.9


def test_a_learning_run_a_small_working_rate_and_a_warm_up_are_not_told() -> None:
    assert _tiny_events(lambda p: torch.optim.AdamW(p, lr=1e-3)) == []
    assert _tiny_events(lambda p: torch.optim.AdamW(p, lr=1e-4)) == []  # slower, but each step 1e-3 of the weights
    assert _tiny_events(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)) == []
    # a linear warm-up from 1e-6 of the rate over 100 steps: the first steps are tiny on purpose, the rate rises
    warm = lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: max(1e-6, s / 100))  # noqa: E731
    assert _tiny_events(lambda p: torch.optim.AdamW(p, lr=1e-3), schedule=warm) == []


def test_a_rate_that_never_leaves_its_first_warm_up_value_is_told() -> None:
    # a LambdaLR returning the learning rate (1e-3 * factor) instead of the factor: the rate is 1e-6
    stuck = lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: 1e-3)  # noqa: E731
    (event,) = _tiny_events(lambda p: torch.optim.AdamW(p, lr=1e-3), schedule=stuck)
    assert event[1]["lrs"] and max(event[1]["lrs"]) < 1e-5
