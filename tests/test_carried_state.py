"""Carried state: a NaN batch poisons an LSTM hidden state carried to the next batch; the guard says to reset it."""

from __future__ import annotations

import functools
import math
from typing import Any

import pytest
import torch
from torch import nn

from gradguard import Guard, TrainingHalted, find_nonfinite_origin
from gradguard.errors import ConfigError

NAN_AT = 30
STEPS = 80


class SeqModel(nn.Module):
    """Next-value prediction with an LSTM whose hidden state the loop carries from chunk to chunk (TBPTT)."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, 16)
        self.head = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor, hidden: tuple[torch.Tensor, torch.Tensor]) -> Any:
        out, hidden = self.lstm(x, hidden)
        return self.head(out), hidden

    def init_hidden(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(1, batch, 16), torch.zeros(1, batch, 16)


def _series(batch: int = 8, length: int = 20 * (STEPS + 1)) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    t = torch.arange(length, dtype=torch.float32)[:, None]
    freq = 0.05 + 0.1 * torch.rand(1, batch, generator=g)
    phase = 6.28 * torch.rand(1, batch, generator=g)
    return torch.sin(freq * t + phase)[..., None]  # (time, batch, 1)


@functools.cache
def _run(*, hook: bool, how: str, policy: str = "safe") -> tuple[list[Any], list[float]]:
    """Train for STEPS chunks of 20 steps; the chunk at NAN_AT holds a NaN. Returns the reports and clean losses."""
    torch.manual_seed(0)
    model = SeqModel()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    guard = Guard(model, opt, policy=policy, loss_fn=None, max_consecutive_skips=10, update_every=0)
    data = _series()
    hidden = model.init_hidden(8)
    reports, losses = [], []
    for step in range(STEPS):
        x, y = data[20 * step: 20 * step + 20].clone(), data[20 * step + 1: 20 * step + 21]
        if step == NAN_AT:
            x[5, 3, 0] = math.nan
        h_in = tuple(h.detach() for h in hidden)
        out, hidden = model(x, h_in)
        loss = nn.functional.mse_loss(out, y)
        loss.backward()
        if how == "state":  # the cheap way: hand the guard the state this step carries on
            report = guard.step(loss, state=hidden)
        else:  # forensics: the batch (inputs=) is finite, a tensor fed to the model is not
            report = guard.step(loss, inputs=x, closure=lambda m, x=x, h=h_in, y=y: nn.functional.mse_loss(
                m(x, h)[0], y))
        opt.zero_grad(set_to_none=True)
        reports.append(report)
        losses.append(loss.item())
        if hook and report.reset_state:
            hidden = model.init_hidden(8)
    guard.close()
    return reports, losses


@pytest.mark.parametrize("how", ["state", "forensics"])
def test_with_the_reset_hook_the_run_continues_and_learns(how: str) -> None:
    reports, losses = _run(hook=True, how=how)
    resets = [r.step for r in reports if r.reset_state]
    skipped = [r.step for r in reports if not r.applied]
    # state=: the poisoned state is seen at the NaN batch itself; forensics: at the next batch, fed the state
    assert resets == ([NAN_AT] if how == "state" else [NAN_AT + 1])
    assert skipped == list(range(NAN_AT, resets[0] + 1))
    reason = reports[resets[0]].reset_reason or ""
    assert "reset" in reason and ("carried" in reason or "carries" in reason)
    assert all(math.isfinite(v) for v in losses[resets[0] + 1:])
    assert sum(losses[-10:]) / 10 < 0.2 * sum(losses[:10]) / 10  # it learns on after the reset


@pytest.mark.parametrize("policy", ["safe", "recover"])
def test_without_the_hook_it_halts_and_says_to_reset_the_state(policy: str) -> None:
    with pytest.raises(TrainingHalted) as info:
        _run(hook=False, how="forensics", policy=policy)
    message = str(info.value)
    assert "carried from an earlier batch" in message and "reset" in message
    assert "Lower the learning rate" not in message


def test_a_poisoned_batch_is_not_called_carried_state() -> None:
    reports, _ = _run(hook=True, how="forensics")
    event = next(e for e in reports[NAN_AT].events if e.kind == "nonfinite")
    assert event.evidence["origin"]["phase"] == "data" and not reports[NAN_AT].reset_state


def test_forensics_tells_a_carried_state_from_the_batch() -> None:
    model = SeqModel()
    x = torch.randn(5, 2, 1)
    hidden = model.init_hidden(2)
    hidden[0][0, 1, 3] = math.nan
    origin = find_nonfinite_origin(model, lambda m: m(x, hidden)[0].sum(), inputs=x)
    assert origin.phase == "state" and origin.evidence["carried_state"] and "reset it" in origin.detail
    assert origin.evidence["nan"] == 1
    # without the batch the guard cannot tell which argument is the data: it says the model's input
    assert find_nonfinite_origin(model, lambda m: m(x, hidden)[0].sum()).phase == "data"


def test_a_nonfinite_buffer_alone_is_carried_state() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    model.eval()
    model[1].running_var[2] = math.inf
    origin = find_nonfinite_origin(model, lambda m: m(torch.randn(3, 4)).sum(), inputs=torch.randn(3, 4))
    assert origin.phase == "state" and origin.module == "1" and "running_var" in origin.detail
    model[0].weight.data[0, 0] = math.nan  # a parameter too: the weights, as before
    assert find_nonfinite_origin(model, lambda m: m(torch.randn(3, 4)).sum()).phase == "weights"


def test_on_reset_hook_runs_with_the_report_and_refuses_a_non_callable() -> None:
    model = SeqModel()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = Guard(model, opt, update_every=0)
    seen: list[int] = []
    assert guard.on_reset(lambda r: seen.append(r.step)) is not None
    with pytest.raises(ConfigError, match="on_reset"):
        guard.on_reset("reset")  # type: ignore[arg-type]
    hidden = model.init_hidden(2)
    for step in range(3):
        x = torch.randn(4, 2, 1)
        if step == 1:
            x[0, 0, 0] = math.nan
        out, new_hidden = model(x, hidden)
        out.pow(2).mean().backward()
        report = guard.step(out.pow(2).mean(), state=new_hidden)
        opt.zero_grad()
        hidden = model.init_hidden(2) if report.reset_state else tuple(h.detach() for h in new_hidden)
    assert seen == [1]
