"""Attribution under FSDP (issue 18, item 4): not supported, and said once instead of silently skipped."""

from __future__ import annotations

import types
import warnings

import pytest
import torch
from torch import nn

import gradguard
from gradguard.attribution import AttributeSpikes
from gradguard.attribution.keeper import FSDP_UNSUPPORTED


def _sharded_guard(keeper: AttributeSpikes) -> types.SimpleNamespace:
    """What the keeper reads of a distributed guard whose parameters are FSDP2 shards (DTensors have to_local)."""
    model = nn.Linear(4, 2)
    for p in model.parameters():
        p.to_local = lambda p=p: p  # type: ignore[attr-defined]
    guard = types.SimpleNamespace(model=model, optimizer=None, policy=gradguard.chain(keeper),
                                  reduce_packed=lambda *a: None, loss_fn=nn.MSELoss(), step_index=0)
    keeper.bind(guard)
    return guard


def test_fsdp_spikes_are_not_replayed_and_it_is_said_once() -> None:
    keeper = AttributeSpikes()
    _sharded_guard(keeper)
    events = [gradguard.Event(5, "loss_spike", "warning", "spike", evidence={"loss": 9.0, "median": 1.0})]
    with pytest.warns(UserWarning, match="FSDP"):
        decision = keeper.decide(types.SimpleNamespace(step=5, loss=9.0, grad_norm=1.0), events)  # type: ignore[arg-type]
    assert not decision.acts
    found = events[0].evidence["attribution"]
    assert found["verdict"] is None and found["error"] == FSDP_UNSUPPORTED and found["culprit_samples"] == []
    assert keeper.results[5] is found
    later = [gradguard.Event(9, "explode", "warning", "x", evidence={"grad_norm": 50.0, "history_geomean": 1.0})]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: a second spike warns no more
        keeper.decide(types.SimpleNamespace(step=9, loss=1.0, grad_norm=50.0), later)  # type: ignore[arg-type]
    assert later[0].evidence["attribution"]["error"] == FSDP_UNSUPPORTED


def test_replicated_parameters_are_still_attributed_without_a_warning() -> None:
    keeper = AttributeSpikes()
    guard = _sharded_guard(keeper)
    for p in guard.model.parameters():
        del p.to_local
    guard.reduce_packed = None  # a single-process guard: no batch source, so the pre-step state is kept
    events = [gradguard.Event(3, "loss_spike", "warning", "spike", evidence={"loss": 9.0, "median": 1.0})]
    with torch.no_grad():
        for p in guard.model.parameters():
            p.grad = torch.zeros_like(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keeper.decide(types.SimpleNamespace(step=3, loss=9.0, grad_norm=1.0), events)  # type: ignore[arg-type]
    assert "attribution" not in events[0].evidence and keeper.pre_step is not None and keeper.pre_step.step == 3
