"""Each fault of the zoo is caught with the right kind, in time; healthy controls raise nothing in 500 steps."""

from __future__ import annotations

import math

import pytest
import torch

from detection_zoo import FAULTS, HEALTHY, Case, first_diverged, stuck_at_chance
from gradguard import Guard


def run(case: Case) -> tuple[list, list[float]]:
    """Train under an observe-only guard; return (events, losses), stopping 3 steps after a non-finite loss."""
    guard = Guard(case.model, case.optimizer, policy="monitor", scheduler=case.scheduler)
    events, losses = [], []
    for step in range(case.steps):
        x, y = case.batches(step)
        loss = case.loss_fn(case.model(x), y)
        loss.backward()
        if case.clip is not None:
            torch.nn.utils.clip_grad_norm_(case.model.parameters(), case.clip)
        report = guard.step(loss)
        case.optimizer.zero_grad(set_to_none=True)
        events.extend(report.events)
        losses.append(loss.item())
        bad = first_diverged(losses)
        if bad is not None and not math.isfinite(losses[bad]) and step > bad + 3:
            break
    return events, losses


def accepted(case: Case, events: list) -> list:
    return [e for e in events if e.kind in case.kinds and (case.mode is None or e.evidence.get("mode") == case.mode)]


@pytest.mark.parametrize("make", FAULTS, ids=lambda f: f.__name__)
def test_fault_is_detected_in_time_with_the_right_kind(make) -> None:
    case = make()
    events, losses = run(case)
    relevant = accepted(case, events)
    assert relevant, f"{case.name}: no {sorted(case.kinds)} event; got {[(e.step, e.kind) for e in events]}"
    first = relevant[0]
    deadline = case.by_step if case.by_step is not None else first_diverged(losses)
    if deadline is not None:  # at or before the plain run goes non-finite or visibly diverges (loss > 2x its first)
        assert first.step <= deadline, (case.name, first.step, deadline)
    if case.fault_step is not None:
        assert case.fault_step <= first.step <= case.fault_step + 2, (case.name, first.step)


@pytest.mark.parametrize("make", HEALTHY, ids=lambda f: f.__name__)
def test_healthy_control_raises_nothing(make) -> None:
    if make.__name__ == "healthy_gpt2":
        pytest.importorskip("transformers")
    case = make()
    events, losses = run(case)
    assert first_diverged(losses) is None
    assert events == [], [(e.step, e.kind, e.message) for e in events]


def test_not_learning_reaches_the_detector_through_the_guard() -> None:
    """The stuck run's stall carries the guard's measured update ratios (UpdateStats) as its evidence."""
    case = stuck_at_chance()
    events, losses = run(case)
    stalls = [e for e in events if e.kind == "stall"]
    assert [e.evidence.get("repeat") for e in stalls] == [None, 2]  # at step 50, and again 50 steps later
    ev = stalls[0].evidence
    assert ev["mode"] == "not_learning" and ev["likely_cause"] == "lr"
    assert ev["peak_update_ratio"] > 0.1 and ev["update_measurements"] >= 4
    assert abs(ev["loss_vs_start"] - 1) < 0.05 and abs(losses[-1] - losses[0]) < 0.15 * losses[0]


@pytest.mark.parametrize("make,phase,module", [("nan_in_batch", "data", None), ("overflow_op", "forward", "2")])
def test_nan_producer_is_named(make: str, phase: str, module: str | None) -> None:
    import detection_zoo

    case = getattr(detection_zoo, make)()
    guard = Guard(case.model, case.optimizer, loss_fn=case.loss_fn)
    origin = None
    for step in range(case.steps):
        x, y = case.batches(step)
        loss = case.loss_fn(case.model(x), y)
        loss.backward()
        report = guard.step(loss, inputs=x, targets=y)
        case.optimizer.zero_grad(set_to_none=True)
        found = [e.evidence["origin"] for e in report.events if "origin" in e.evidence]
        if found:
            origin = found[0]
            assert step == case.fault_step and not report.applied
            break
    assert origin is not None and origin["phase"] == phase and origin["module"] == module
    assert all(torch.isfinite(p).all() for p in case.model.parameters())  # the guard kept the NaN out
