"""Each fault of the zoo is caught with the right kind, in time; healthy controls raise nothing in 500 steps."""

from __future__ import annotations

import math

import pytest
import torch

from detection_zoo import FAULTS, HEALTHY, Case
from gradguard import Guard


def run(case: Case) -> tuple[list, int | None]:
    """Train under an observe-only guard; return (events, first step whose loss is non-finite)."""
    guard = Guard(case.model, case.optimizer, policy="monitor")
    events, first_bad = [], None
    for step in range(case.steps):
        x, y = case.batches(step)
        loss = case.loss_fn(case.model(x), y)
        loss.backward()
        report = guard.step(loss)
        case.optimizer.zero_grad(set_to_none=True)
        events.extend(report.events)
        if first_bad is None and not math.isfinite(loss.item()):
            first_bad = step
        if first_bad is not None and step > first_bad + 3:
            break
    return events, first_bad


@pytest.mark.parametrize("make", FAULTS, ids=lambda f: f.__name__)
def test_fault_is_detected_in_time_with_the_right_kind(make) -> None:
    case = make()
    events, first_bad = run(case)
    relevant = [e for e in events if e.kind in case.kinds]
    assert relevant, f"{case.name}: no {sorted(case.kinds)} event; got {[(e.step, e.kind) for e in events]}"
    first = relevant[0]
    if first_bad is not None:
        assert first.step <= first_bad, (case.name, first.step, first_bad)
    if case.fault_step is not None:
        assert case.fault_step <= first.step <= case.fault_step + 2, (case.name, first.step)


@pytest.mark.parametrize("make", HEALTHY, ids=lambda f: f.__name__)
def test_healthy_control_raises_nothing(make) -> None:
    case = make()
    events, first_bad = run(case)
    assert first_bad is None
    assert events == [], [(e.step, e.kind, e.message) for e in events]


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
