"""Attribution of spikes (issue 18): verdicts on planted causes, culprit samples, no side effects, dropping."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard.attribution import AttributeSpikes, Replay, attribute_step, check_samples
from gradguard.attribution._batch import default_batch_loss
from gradguard.rng import capture_rng_state
from helpers import flip_exponent_bit


def _data(n: int = 1024, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    w = torch.randn(8, 1, generator=g)
    return x, x @ w + 0.05 * torch.randn(n, 1, generator=g)


def _run(poison: int | None = None, flip_step: int | None = None, steps: int = 60, drop: bool = False,
         drop_file=None, epochs: int = 1):
    torch.manual_seed(0)
    x, y = _data()
    if poison is not None:
        x[poison] *= 1000.0
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.MSELoss()
    keeper = AttributeSpikes()
    guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=gradguard.chain(keeper, gradguard.recover()))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    batches = guard.batches(loader, drop_culprits=drop, drop_file=drop_file)
    seen = []
    for _ in range(epochs):
        for xb, yb in batches:
            if guard.step_index >= steps * epochs:
                break
            seen.append(xb.shape[0])
            loss = loss_fn(model(xb), yb)
            loss.backward()
            if flip_step is not None and guard.step_index == flip_step:
                flip_exponent_bit(model[0].weight.grad, (0, 0))
            guard.step(loss)
            opt.zero_grad()
    return keeper, batches, seen


def test_poisoned_sample_is_data_and_named() -> None:
    keeper, _, _ = _run(poison=40 * 16 + 7)
    assert 40 in keeper.results
    result = keeper.results[40]
    assert result["verdict"] == "data" and result["basis"] == "snapshot"
    top = result["culprit_samples"][0]
    assert top["index"] == 7 and top["loader_index"] == 40 * 16 + 7 and top["share"] > 0.9 and top["outlier"]
    assert "out_of_range" in top["flags"]
    assert result["cost_s"] > 0 and result["reruns"] <= 3 + 3 + 64


def test_bit_flip_in_one_gradient_element_is_hardware() -> None:
    keeper, _, _ = _run(flip_step=40)
    assert keeper.results, "the flipped step raised no event"
    result = keeper.results[min(keeper.results)]
    assert result["step"] == 40 and result["verdict"] == "hardware"
    assert result["numbers"]["same_state"]["mismatch"]


def test_healthy_run_attributes_nothing() -> None:
    keeper, _, _ = _run()
    assert keeper.results == {}


def test_state_driven_spike_is_state() -> None:
    torch.manual_seed(1)
    x, y = _data(256, seed=1)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), 0.05)
    loss_fn = nn.MSELoss()
    for i in range(50):
        xb, yb = x[i % 16 * 16:(i % 16 + 1) * 16], y[i % 16 * 16:(i % 16 + 1) * 16]
        loss_fn(model(xb), yb).backward()
        opt.step()
        opt.zero_grad()
    good = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():  # a few steps at a far too large rate: the state is damaged, the data is not
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 2.0)
    batch = (x[:16], y[:16])
    fn = default_batch_loss(loss_fn)
    refs = [(x[16 * k:16 * (k + 1)], y[16 * k:16 * (k + 1)]) for k in range(1, 4)]
    result = attribute_step(model, batch, fn, Replay(kind="loss_spike", evidence={"loss": 50.0, "median": 1.0},
                                                     snapshot=good, snapshot_step=49, reference_batches=refs))
    assert result["verdict"] == "state", result["numbers"]
    assert not result["numbers"]["snapshot"]["recurs"]


def test_attribution_changes_nothing() -> None:
    torch.manual_seed(0)
    x, y = _data(64)
    x[3] *= 1000
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.Dropout(0.2), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.MSELoss()
    for _ in range(3):
        loss_fn(model(x[:16]), y[:16]).backward()
        opt.step()
    loss_fn(model(x[:16]), y[:16]).backward()  # .grad holds a step's gradient, as at the alarm
    before_model = {k: v.clone() for k, v in model.state_dict().items()}
    before_opt = {k: {n: t.clone() for n, t in s.items()} for k, s in opt.state_dict()["state"].items()}
    before_grads = [p.grad.clone() for p in model.parameters()]
    random.seed(5)
    np.random.seed(5)
    rng = capture_rng_state()
    result = attribute_step(model, (x[:16], y[:16]), default_batch_loss(loss_fn), Replay(
        kind="explode", recorded_grads=[p.grad for p in model.parameters()],
        snapshot={k: v.clone() for k, v in before_model.items()}, snapshot_step=0,
        reference_batches=[(x[16:32], y[16:32])]))
    assert result.get("error") is None and result["verdict"] in ("data", "state", "hardware")
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before_model.items())
    after_opt = opt.state_dict()["state"]
    assert all(torch.equal(t, after_opt[k][n]) for k, s in before_opt.items() for n, t in s.items())
    assert all(torch.equal(g, p.grad) for g, p in zip(before_grads, model.parameters(), strict=True))
    assert torch.equal(torch.get_rng_state(), rng["torch"])
    assert random.getstate() == rng["python"] and np.random.get_state()[1].tolist() == rng["numpy"][1].tolist()
    assert model.training and all(m.training for m in model.modules())


def test_drop_culprits_feeds_the_rest_and_writes_the_file(tmp_path) -> None:
    poison = 40 * 16 + 7
    path = tmp_path / "drop.json"
    keeper, batches, seen = _run(poison=poison, drop=True, drop_file=path, steps=64, epochs=2)
    assert keeper.results[40]["verdict"] == "data"
    assert keeper.results[40]["dropped"] == [{"step": 40, "position": 7, "loader_index": poison}]
    assert json.loads(path.read_text()) == [poison]
    assert seen[41] == 15  # the skipped batch is fed again without its culprit
    assert any(d["loader_index"] == poison and d["step"] > 64 for d in batches.dropped_samples)  # next epoch
    assert batches.drop_ids == {poison}


def test_checks_tokens_and_floats() -> None:
    tokens = torch.randint(0, 50, (6, 64), generator=torch.Generator().manual_seed(0))
    tokens[2] = 7
    tokens[4] = torch.arange(4).repeat(16)
    found = check_samples((tokens, tokens), [2, 4, 0])
    assert "long_run_of_one_token" in found[2]["flags"] and found[2]["longest_run"] == 64
    assert "repeated_ngrams" in found[4]["flags"]
    assert found[0]["flags"] == []
    floats = torch.randn(8, 10, generator=torch.Generator().manual_seed(1))
    floats[1] *= 1000
    floats[5] = floats[6] * 1.0000001
    found = check_samples([floats], [1, 5, 0])
    assert "out_of_range" in found[1]["flags"]
    assert found[5]["near_duplicates"] == [6] and "near_duplicate" in found[5]["flags"]
    assert found[0]["flags"] == []


def test_guard_attribute_after_the_fact() -> None:
    torch.manual_seed(0)
    x, y = _data(512)
    x[30 * 16 + 2] *= 1000
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.MSELoss()
    keeper = AttributeSpikes()
    guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=gradguard.chain(keeper, gradguard.safe()))
    keeper.bind(guard)  # no guard.batches: the state before a spike is kept for guard.attribute
    found = None
    for i in range(32):
        xb, yb = x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * 16]
        loss = loss_fn(model(xb), yb)
        loss.backward()
        report = guard.step(loss)
        opt.zero_grad()
        for event in report.events:
            if event.kind == "explode" and found is None:
                found = guard.attribute(event, inputs=xb, targets=yb)
    assert found is not None and found.step == 30
    result = found.evidence["attribution"]
    assert result["verdict"] == "data" and result["culprit_samples"][0]["index"] == 2
    assert not result["numbers"]["same_state"]["mismatch"]


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(gradguard.ConfigError, match="max_runs"):
        AttributeSpikes(max_runs=0)
    with pytest.raises(gradguard.ConfigError, match="batch_loss"):
        AttributeSpikes(batch_loss="mse")  # type: ignore[arg-type]
    model = nn.Linear(2, 1)
    guard = gradguard.Guard(model, torch.optim.SGD(model.parameters(), 0.1))
    with pytest.raises(gradguard.ConfigError, match="drop_culprits"):
        guard.batches([], drop_culprits="yes")
    event = gradguard.Event(0, "vanish", "warning", "x")
    with pytest.raises(gradguard.ConfigError, match=r"event\.kind"):
        guard.attribute(event)


class _FakeGuard:
    """What SkipBatches reads of a guard: its policy, step index, snapshot step and last rollback."""

    def __init__(self, keeper: AttributeSpikes) -> None:
        self.policy = gradguard.chain(keeper)
        self.optimizer = None
        self.step_index = 0
        self.last_snapshot_step: int | None = -1
        self.last_rollback = None


def test_rollback_feeds_a_troubled_batch_again_without_its_culprits() -> None:
    from gradguard.mitigation.actuator import RollbackInfo

    keeper = AttributeSpikes()
    guard = _FakeGuard(keeper)
    loader = [(torch.full((4, 2), float(b)), torch.arange(4) + 4 * b) for b in range(6)]
    batches = gradguard.SkipBatches(loader, guard, drop_culprits=True)
    assert keeper.source is batches
    fed = []
    for _x, ids in batches:
        step = guard.step_index
        fed.append(ids.tolist())
        if step == 2:  # a spike attributed to data: sample 1 of this batch; the step is applied (clipped)
            keeper.results[2] = {"verdict": "data", "applied": True}
            assert batches.plan_drop(2, [{"index": 1, "outlier": True}, {"index": 3, "outlier": False}])
        if step == 3:  # then a rollback to the state after step 0, the steps 2-3 marked as troubled
            guard.last_rollback = RollbackInfo(step=3, to_step=0, skip_batches=(2, 3))
        guard.step_index += 1
    # step 1's batch comes back whole, step 2's without sample 1 (loader index 9), step 3's not at all
    assert fed[4:6] == [[4, 5, 6, 7], [8, 10, 11]]
    assert fed[6:] == [[16, 17, 18, 19], [20, 21, 22, 23]]
    assert batches.dropped == 1 and batches.drop_ids == set()  # no sample_ids: loader indices unknown
    assert batches.dropped_samples == [{"step": 2, "position": 1, "loader_index": None}]


def test_attribution_leaves_the_training_trajectory_unchanged() -> None:
    def final(attribute: bool) -> list[torch.Tensor]:
        torch.manual_seed(0)
        x, y = _data(512)
        x[20 * 16 + 4] *= 1000.0
        model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 1))
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        loss_fn = nn.MSELoss()
        keeper = AttributeSpikes()
        policy = gradguard.chain(keeper, gradguard.recover()) if attribute else gradguard.recover()
        guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=policy)
        for xb, yb in guard.batches(list(zip(x.split(16), y.split(16), strict=True))):
            loss = loss_fn(model(xb), yb)
            loss.backward()
            guard.step(loss)
            opt.zero_grad()
        assert not attribute or keeper.results.get(20, {}).get("verdict") == "data"  # it did replay
        return [p.detach().clone() for p in model.parameters()] + [torch.get_rng_state()]

    with_attribution, without = final(True), final(False)
    assert all(torch.equal(a, b) for a, b in zip(with_attribution, without, strict=True))


def test_guard_attribute_without_a_keeper_replays_the_current_state() -> None:
    torch.manual_seed(0)
    x, y = _data(64)
    x[5] *= 1000.0
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    guard = gradguard.Guard(model, torch.optim.SGD(model.parameters(), 0.01), loss_fn=nn.MSELoss())
    event = gradguard.Event(0, "explode", "warning", "planted", evidence={"grad_norm": 100.0,
                                                                         "history_geomean": 1.0})
    found = guard.attribute(event, inputs=x[:16], targets=y[:16])
    result = found.evidence["attribution"]
    assert result["basis"] == "samples" and result["verdict"] == "data"
    assert result["numbers"]["same_state"]["run"] is False and "pre_step_state" in result["numbers"]
    assert result["culprit_samples"][0]["index"] == 5 and found.evidence["grad_norm"] == 100.0


def _damaged(seed: int = 1) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    x, y = _data(256, seed=seed)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    return model, x, y


def test_without_a_snapshot_a_damaged_state_is_state_even_when_few_samples_hold_the_gradient() -> None:
    model, x, y = _damaged()
    loss_fn = nn.MSELoss()
    fn = default_batch_loss(loss_fn)
    base = float(loss_fn(model(x[:64]), y[:64]).detach())
    with torch.no_grad():  # as after a too-large learning rate: every sample's loss is up
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 2.0)
    batch = (x[:6], y[:6])  # few samples: the top 3 hold most of the gradient whatever the cause
    loss = float(fn(model, batch).detach())
    result = attribute_step(model, batch, fn, Replay(kind="loss_spike", evidence={"loss": loss, "median": base}))
    numbers = result["numbers"]
    assert numbers["top_share"] >= 0.5  # the share alone (the old rule) would have said data
    assert result["basis"] == "samples" and result["verdict"] == "state", numbers
    assert numbers["without_culprits"]["recurs"]


def test_without_a_snapshot_a_poisoned_sample_is_data_and_the_rest_does_not_spike() -> None:
    model, x, y = _damaged()
    loss_fn = nn.MSELoss()
    fn = default_batch_loss(loss_fn)
    base = float(loss_fn(model(x[:64]), y[:64]).detach())
    xb = x[:16].clone()
    xb[5] *= 1000.0
    loss = float(fn(model, (xb, y[:16])).detach())
    result = attribute_step(model, (xb, y[:16]), fn, Replay(kind="loss_spike",
                                                             evidence={"loss": loss, "median": base}))
    assert result["basis"] == "samples" and result["verdict"] == "data", result["numbers"]
    assert result["culprit_samples"][0]["index"] == 5
    rest = result["numbers"]["without_culprits"]
    assert rest["removed"] == [5] and not rest["recurs"] and rest["ratio"] < 1.25


def test_without_a_snapshot_a_clean_hard_sample_is_not_called_data() -> None:
    model, x, y = _damaged()
    loss_fn = nn.MSELoss()
    fn = default_batch_loss(loss_fn)
    base = float(loss_fn(model(x[:64]), y[:64]).detach())
    yb = y[:16].clone()
    yb[3] += 30.0  # an in-range input with a target the model is far from: hard, but no data check flags it
    loss = float(fn(model, (x[:16], yb)).detach())
    result = attribute_step(model, (x[:16], yb), fn, Replay(kind="loss_spike",
                                                             evidence={"loss": loss, "median": base}))
    assert result["culprit_samples"][0]["index"] == 3 and not result["culprit_samples"][0]["flags"]
    assert result["verdict"] == "state" and "no data anomaly" in result["numbers"]["why"], result["numbers"]


def test_with_a_snapshot_a_clean_hard_batch_that_spikes_there_too_is_not_called_data() -> None:
    model, x, y = _damaged()
    loss_fn = nn.MSELoss()
    fn = default_batch_loss(loss_fn)
    base = float(loss_fn(model(x[:64]), y[:64]).detach())
    yb = y[:16].clone()
    yb[3] += 30.0  # hard at any state, yet no input anomaly
    loss = float(fn(model, (x[:16], yb)).detach())
    snapshot = {k: v.clone() for k, v in model.state_dict().items()}
    refs = [(x[16 * k:16 * (k + 1)], y[16 * k:16 * (k + 1)]) for k in range(1, 4)]
    result = attribute_step(model, (x[:16], yb), fn, Replay(kind="loss_spike", evidence={"loss": loss, "median": base},
                                                            snapshot=snapshot, snapshot_step=0,
                                                            reference_batches=refs))
    assert result["numbers"]["snapshot"]["recurs"]  # it spikes on the snapshot too (the data test)
    assert result["basis"] == "snapshot" and result["verdict"] == "state", result["numbers"]
    assert "no data anomaly" in result["numbers"]["why"]
