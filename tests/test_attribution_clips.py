"""Attributing heavy clips (issue 18): a corrupted sample the clip absorbs, with no spike event, is still named."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

import gradguard
from gradguard.attribution import AttributeClips, AttributeSpikes, attributed
from gradguard.detectors import default_detectors

BAD = 10 * 16 + 3  # the corrupted sample's loader index: batch 10 of 32 (after the clipper has a history)


def _run(policy: Any, scale: float | None, epochs: int = 2) -> tuple[list[tuple[int, float, list[Any]]], list[int]]:
    """A regression MLP whose sample BAD is scaled by ``scale``; the detectors see only non-finite values, as when
    no spike detector fires on a step the clip absorbs. Returns (step, clip coefficient, events) of every step
    holding BAD or raising an event, and the samples dropped."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    y = x @ torch.randn(8, 1, generator=g) + 0.05 * torch.randn(512, 1, generator=g)
    if scale is not None:
        x[BAD] *= scale
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.MSELoss()
    guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=policy,
                            detectors=default_detectors(2, kinds=["nonfinite"]))
    source = guard.batches(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16),
                           drop_culprits=True)
    seen = []
    for _ in range(epochs):
        for xb, yb in source:
            loss = loss_fn(model(xb), yb)
            loss.backward()
            report = guard.step(loss)
            opt.zero_grad()
            current = source.current
            assert current is not None
            if BAD in (current[2] or []) or report.events:
                seen.append((report.step, report.clip_coef, list(report.events)))
    guard.close()
    return seen, sorted(source.drop_ids)


def test_a_heavy_clip_is_attributed_and_its_culprit_dropped() -> None:
    seen, dropped = _run(attributed(gradguard.safe()), 100.0)
    step, coef, events = seen[0]
    assert step == 10 and coef < 0.1  # the clip absorbed the x100 sample: no spike event, one clip event
    assert [e.kind for e in events] == ["clip"]
    found = events[0].evidence["attribution"]
    assert found["verdict"] == "data" and found["culprit_samples"][0]["loader_index"] == BAD
    assert found["numbers"]["event_ratio"] == pytest.approx(1 / coef, rel=1e-6)
    assert dropped == [BAD] and len(seen) == 1  # never fed again: the next epoch's batch 10 is without it


def test_an_outlier_skip_is_attributed_and_its_batch_fed_again_without_the_culprit() -> None:
    seen, dropped = _run(attributed(gradguard.safe()), 1000.0, epochs=1)
    step, _coef, events = seen[0]
    assert step == 10 and [e.kind for e in events] == ["skip"] and events[0].evidence["reason"] == "outlier_grad"
    found = events[0].evidence["attribution"]
    assert found["verdict"] == "data" and found["culprit_samples"][0]["loader_index"] == BAD
    assert found["numbers"]["event_ratio"] > 10  # the norm over the typical norm
    assert dropped == [BAD] and len(seen) == 1


def test_without_the_wrapper_the_clip_is_not_attributed() -> None:
    seen, dropped = _run(gradguard.chain(AttributeSpikes(), gradguard.safe()), 100.0)
    assert [e.kind for e in seen[0][2]] == ["clip"] and "attribution" not in seen[0][2][0].evidence
    assert dropped == [] and len(seen) == 2  # fed again in the second epoch


def test_a_healthy_run_attributes_nothing() -> None:
    policy = attributed(gradguard.safe())
    seen, dropped = _run(policy, None)
    assert [c for _, c, events in seen if events or c < 1.0] == [] and dropped == [] and policy.keeper.results == {}


def test_the_wrapper_needs_an_attributor_and_keeps_the_policy_state() -> None:
    with pytest.raises(gradguard.ConfigError, match="AttributeSpikes"):
        AttributeClips(gradguard.safe())
    policy = attributed(gradguard.recover())
    state = policy.state_dict()
    policy.load_state_dict(state)
    assert set(state) == {"policy"} and "AttributeClips(chain(AttributeSpikes" in repr(policy)


def test_a_model_with_dropout_and_no_loss_fn_is_not_called_hardware() -> None:
    """AttributeSpikes(batch_loss=...) with a guard built without loss_fn: the guard kept no RNG state, so a re-run
    drew other dropout masks and every heavy clip of a model with dropout was called hardware (found on the
    held-out corpus's healthy lstm_lm_adam); binding starts the guard's RNG keeping."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    y = x @ torch.randn(8, 1, generator=g)
    x[BAD] *= 100.0
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.MSELoss()
    keeper = AttributeSpikes(batch_loss=lambda m, b: loss_fn(m(b[0]), b[1]))
    guard = gradguard.Guard(model, opt, policy=AttributeClips(gradguard.chain(keeper, gradguard.safe())),
                            detectors=default_detectors(2, kinds=["nonfinite"]))
    source = guard.batches(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16))
    for xb, yb in source:
        loss = loss_fn(model(xb), yb)
        loss.backward()
        guard.step(loss)
        opt.zero_grad()
    found = keeper.results[10]
    assert found["verdict"] == "data" and not found["numbers"]["same_state"]["mismatch"]
