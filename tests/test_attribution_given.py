"""Attribution from the batch given to ``guard.step`` (issue 18 item 1, "under recover"): ``inputs``/``targets``
with ``loss_fn`` or a ``closure``, replayed on the spot with no per-step copy and no change to the run."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import gradguard
from gradguard.attribution import AttributeSpikes, find_attributor
from helpers import flip_exponent_bit


def _data(n: int = 1024, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    w = torch.randn(8, 1, generator=g)
    return x, x @ w + 0.05 * torch.randn(n, 1, generator=g)


def _run(feed: str, *, poison: int | None = None, flip_step: int | None = None, steps: int = 60,
         policy=None, dropout: float = 0.0, loss_fn_in_guard: bool = True):
    """A guarded MLP fed by hand; ``feed``: "inputs" (inputs=/targets= with loss_fn), "closure" or "none"."""
    torch.manual_seed(0)
    x, y = _data()
    if poison is not None:
        x[poison] *= 1000.0
    layers: list[nn.Module] = [nn.Linear(8, 32), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    model = nn.Sequential(*layers, nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.MSELoss()
    keeper = AttributeSpikes()
    policy = gradguard.chain(keeper, gradguard.recover()) if policy is None else policy
    guard = gradguard.Guard(model, opt, loss_fn=loss_fn if loss_fn_in_guard else None, policy=policy)
    for xb, yb in zip(x.split(16), y.split(16), strict=True):
        if guard.step_index >= steps:
            break
        loss = loss_fn(model(xb), yb)
        loss.backward()
        if flip_step is not None and guard.step_index == flip_step:
            flip_exponent_bit(model[0].weight.grad, (0, 0))
        if feed == "inputs":
            guard.step(loss, inputs=xb, targets=yb)
        elif feed == "closure":
            guard.step(loss, closure=lambda m, xb=xb, yb=yb: loss_fn(m(xb), yb))
        else:
            guard.step(loss)
        opt.zero_grad()
    return find_attributor(policy), guard, model


def test_a_poisoned_sample_given_as_inputs_is_data_and_named() -> None:
    keeper, _, _ = _run("inputs", poison=40 * 16 + 7)
    result = keeper.results[40]
    assert result["verdict"] == "data" and result["basis"] == "snapshot"
    top = result["culprit_samples"][0]
    assert top["index"] == 7 and top["outlier"] and "out_of_range" in top["flags"]
    assert "loader_index" not in top  # the loader's order is known only through guard.batches
    assert result["applied"] is False  # recover skipped the poisoned step
    assert keeper.pre_step is None  # replayed on the spot: nothing copied


def test_a_bit_flip_given_as_inputs_is_hardware() -> None:
    keeper, _, _ = _run("inputs", flip_step=40)
    result = keeper.results[min(keeper.results)]
    assert result["step"] == 40 and result["verdict"] == "hardware"
    assert result["numbers"]["same_state"]["mismatch"]


def test_a_closure_is_attributed_at_batch_level_without_samples() -> None:
    keeper, _, _ = _run("closure", flip_step=40, loss_fn_in_guard=False)
    result = keeper.results[40]
    assert result["verdict"] == "hardware" and result.get("error") is None
    keeper, _, _ = _run("closure", poison=40 * 16 + 7, loss_fn_in_guard=False)
    result = keeper.results[40]
    assert result.get("error") is None and result["culprit_samples"] == []
    assert "closure" in result["numbers"]["samples"]["why"]
    assert result["numbers"]["snapshot"]["recurs"] is True  # the batch spikes again at the snapshot...
    assert result["verdict"] == "state"  # ...but no flagged sample can be named: never "data" without one
    assert "carries the spike" in result["numbers"]["why"]
    assert not result["numbers"]["same_state"]["mismatch"]


def test_a_healthy_run_given_batches_attributes_nothing() -> None:
    for feed in ("inputs", "closure"):
        keeper, _, _ = _run(feed)
        assert keeper.results == {}


def test_without_a_batch_nothing_is_kept_or_started() -> None:
    keeper, guard, _ = _run("none", poison=40 * 16 + 7, loss_fn_in_guard=False)
    assert keeper.results == {} and keeper.pre_step is None and keeper.guard is None and keeper._hook is None
    assert guard._rng_state is None  # no RNG keeping started either
    keeper, guard, _ = _run("none", poison=40 * 16 + 7)
    assert keeper.results == {} and keeper.pre_step is None and keeper.guard is None


@pytest.mark.parametrize("feed", ["inputs", "closure"])
def test_attribution_from_a_given_batch_leaves_the_run_bit_for_bit(feed: str) -> None:
    def final(attribute: bool) -> list[torch.Tensor]:
        policy = gradguard.chain(AttributeSpikes(), gradguard.recover()) if attribute else gradguard.chain(
            *[m for m in gradguard.recover().policies if not isinstance(m, AttributeSpikes)])
        keeper, guard, model = _run(feed, poison=20 * 16 + 4, policy=policy, dropout=0.1, steps=40,
                                    loss_fn_in_guard=feed == "inputs")
        assert (keeper is not None and keeper.results.get(20, {}).get("verdict") in ("data", "state")) == attribute
        opt_state = [t for s in guard.optimizer.state_dict()["state"].values() for t in s.values()
                     if isinstance(t, torch.Tensor)]
        return [p.detach().clone() for p in model.parameters()] + opt_state + [torch.get_rng_state()]

    with_attribution, without = final(True), final(False)
    assert len(with_attribution) == len(without)
    assert all(torch.equal(a, b) for a, b in zip(with_attribution, without, strict=True))


def _poisoned_at_step_20() -> tuple[torch.Tensor, torch.Tensor, nn.Module, torch.optim.Optimizer, nn.Module]:
    """Data whose step-20 batch (batch 16) holds sample 4 scaled x1000, a small MLP, Adam 1e-3 and MSE."""
    torch.manual_seed(0)
    x, y = _data(512)
    x[20 * 16 + 4] *= 1000.0
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    return x, y, model, torch.optim.Adam(model.parameters(), 1e-3), nn.MSELoss()


def test_a_batch_given_to_a_bound_keeper_still_keeps_the_pre_step_state_when_missing() -> None:
    x, y, model, opt, loss_fn = _poisoned_at_step_20()
    keeper = AttributeSpikes()
    guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=gradguard.chain(keeper, gradguard.recover()))
    keeper.bind(guard)
    for xb, yb in zip(x.split(16), y.split(16), strict=True):
        loss = loss_fn(model(xb), yb)
        loss.backward()
        report = guard.step(loss)  # no batch given: the bound keeper keeps the state for guard.attribute
        opt.zero_grad()
        spikes = [e for e in report.events if e.kind in ("loss_spike", "explode", "nonfinite")]
        if spikes:
            assert keeper.pre_step is not None and keeper.pre_step.step == report.step
            found = guard.attribute(spikes[0], inputs=xb, targets=yb).evidence["attribution"]
            assert found["verdict"] == "data" and found["culprit_samples"][0]["index"] == 4
            break
    else:
        pytest.fail("the poisoned step raised no spike event")


def test_the_recover_preset_attributes_a_given_batch() -> None:
    policy = gradguard.recover()
    keeper, _, _ = _run("inputs", poison=40 * 16 + 7, policy=policy)
    assert keeper is not None and keeper.results[40]["verdict"] == "data"
    assert keeper.results[40]["culprit_samples"][0]["index"] == 7
    keeper, guard, _ = _run("none", poison=40 * 16 + 7, policy=gradguard.recover(), loss_fn_in_guard=False)
    assert keeper is not None and keeper.results == {} and keeper.pre_step is None and guard._rng_state is None
    assert find_attributor(gradguard.recover(max_norm=1.0)) is not None
    assert find_attributor(gradguard.recover()).keep_pre_step is False  # without a batch: nothing at all


def test_a_dict_batch_given_as_inputs_goes_to_the_keepers_own_batch_loss() -> None:
    x, y, model, opt, loss_fn = _poisoned_at_step_20()
    keeper = AttributeSpikes(batch_loss=lambda m, b: loss_fn(m(b["x"]), b["y"]))
    guard = gradguard.Guard(model, opt, policy=gradguard.chain(keeper, gradguard.recover()))
    for xb, yb in zip(x.split(16), y.split(16), strict=True):
        loss = loss_fn(model(xb), yb)
        loss.backward()
        guard.step(loss, inputs={"x": xb, "y": yb})
        opt.zero_grad()
    result = keeper.results[20]
    assert result["verdict"] == "data" and result["culprit_samples"][0]["index"] == 4


def test_a_keeper_that_keeps_no_pre_step_state_costs_nothing_under_guard_batches_without_a_loss() -> None:
    x, y, model, opt, loss_fn = _poisoned_at_step_20()
    keeper = AttributeSpikes(keep_pre_step=False)  # as the recover preset holds it
    guard = gradguard.Guard(model, opt, policy=gradguard.chain(keeper, gradguard.recover()))
    spikes = 0
    for xb, yb in guard.batches(list(zip(x.split(16), y.split(16), strict=True))):
        loss = loss_fn(model(xb), yb)
        loss.backward()
        report = guard.step(loss)  # no loss_fn, no closure: nothing can be re-run
        opt.zero_grad()
        spikes += any(e.kind in ("loss_spike", "explode", "nonfinite") for e in report.events)
    assert spikes and keeper.results == {} and keeper.pre_step is None
    assert guard._rng_state is None  # no RNG keeping started for nothing
    with pytest.raises(gradguard.ConfigError, match="keep_pre_step"):
        AttributeSpikes(keep_pre_step=1)  # type: ignore[arg-type]
