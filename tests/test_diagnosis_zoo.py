"""The labelled zoo: the top-ranked cause is an accepted one, healthy controls stay healthy, init fixes work."""

from __future__ import annotations

import json

import pytest

from diagnosis_zoo import ZOO, ZooCase
from gradguard.diagnosis import check, fix


@pytest.mark.parametrize("case", ZOO, ids=[c.name for c in ZOO])
def test_top_cause_is_accepted(case: ZooCase) -> None:
    model, batch, loss_fn, optimizer = case.build(0)
    d = check(model, batch, loss_fn, optimizer)
    json.dumps(d.to_dict())
    if case.healthy:
        assert d.healthy, d.render(verbose=True)
    else:
        assert not d.healthy, d.render(verbose=True)
        assert d.top is not None and d.top.cause in case.accepted, d.render(verbose=True)


@pytest.mark.parametrize("case", [c for c in ZOO if c.init_fixable], ids=[c.name for c in ZOO if c.init_fixable])
def test_fix_then_check_is_healthy(case: ZooCase) -> None:
    model, batch, loss_fn, optimizer = case.build(0)
    d = check(model, batch, loss_fn, optimizer)
    changes = fix(model, d)
    assert changes and all({"layer", "scheme", "std_before", "std_after"} <= set(c) for c in changes)
    after = check(model, batch, loss_fn, optimizer)
    assert after.healthy, after.render(verbose=True)
    assert not [f for f in after.findings if f.cause == "init" and f.severity != "info"]


def test_zoo_covers_every_cause() -> None:
    from gradguard.diagnosis import CAUSES

    covered = set().union(*(c.accepted for c in ZOO))
    assert covered == set(CAUSES)
    assert sum(c.healthy for c in ZOO) >= 3 and len(ZOO) >= 12


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name", ["relu_mlp_he3x", "sigmoid_mlp", "rnn_radius_0.3", "healthy_bn_mlp"])
def test_other_seeds(name: str, seed: int) -> None:
    case = next(c for c in ZOO if c.name == name)
    model, batch, loss_fn, optimizer = case.build(seed)
    d = check(model, batch, loss_fn, optimizer)
    if case.healthy:
        assert d.healthy, d.render(verbose=True)
    else:
        assert d.top is not None and d.top.cause in case.accepted
