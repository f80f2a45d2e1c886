"""A steady-state guarded step reads the device exactly once (the batched statistics read)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

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
    assert all(o and o[0].startswith("tolist") for o in ours)


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
