"""Loops written with Hugging Face Accelerate, and ``torch.compile``d models, under the guard (issue 15 item 6)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

import gradguard

accelerate = pytest.importorskip("accelerate")

NAN_STEP = 2


def _setup(accumulation: int) -> tuple[object, nn.Module, torch.optim.Optimizer, object]:
    torch.manual_seed(0)
    acc = accelerate.Accelerator(cpu=True, gradient_accumulation_steps=accumulation)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    data = torch.utils.data.TensorDataset(torch.randn(64, 4, generator=torch.Generator().manual_seed(1)),
                                          torch.randn(64, 1, generator=torch.Generator().manual_seed(2)))
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    model, opt, loader = acc.prepare(model, opt, loader)
    return acc, model, opt, loader


@pytest.mark.parametrize("accumulation", [1, 2])
def test_an_accelerate_loop_skips_the_poisoned_step_and_changes_nothing(accumulation: int) -> None:
    acc, model, opt, loader = _setup(accumulation)
    guard = gradguard.Guard(model, opt, policy="safe")  # the AcceleratedOptimizer, as the loop has it
    reports, before, after = [], {}, {}
    for x, y in loader:
        with acc.accumulate(model):
            loss = nn.functional.mse_loss(model(x), y)
            acc.backward(loss)
            if acc.sync_gradients:
                step = len(reports)
                if step == NAN_STEP:
                    model[0].weight.grad[0, 0] = float("nan")
                before[step] = (copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()))
                reports.append(guard.step(loss))
                after[step] = (copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()))
            opt.zero_grad()
    assert len(reports) == 64 // 4 // accumulation  # one guarded step per optimizer step, not per micro-batch
    assert [r.applied for r in reports] == [s != NAN_STEP for s in range(len(reports))]
    (w0, o0), (w1, o1) = before[NAN_STEP], after[NAN_STEP]
    assert all(torch.equal(w0[k], w1[k]) for k in w0)  # weights bit-identical across the skipped step
    assert o0["state"][0]["step"] == o1["state"][0]["step"]  # AdamW's step counter did not move
    assert all(torch.equal(o0["state"][k]["exp_avg"], o1["state"][k]["exp_avg"]) for k in o0["state"])
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert not torch.equal(before[0][0]["0.weight"], after[0][0]["0.weight"])  # applied steps do train


def test_a_compiled_model_is_guarded_without_a_graph_break() -> None:
    torch._dynamo.reset()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    compiled = torch.compile(model, backend="aot_eager")  # no C++ build: the graph capture is what is tested
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    guard = gradguard.Guard(compiled, opt, update_every=1)
    assert all(not n.startswith("_orig_mod") for n in guard.layer_names)  # names as the user wrote the model
    x, y = torch.randn(32, 8), torch.randn(32, 1)
    losses = []
    for i in range(6):
        loss = nn.functional.mse_loss(compiled(x), y)
        loss.backward()
        if i == 3:
            model[0].weight.grad[0, 0] = float("inf")
        report = guard.step(loss)
        opt.zero_grad()
        losses.append(float(loss.detach()))
        assert report.applied == (i != 3)
    explained = torch._dynamo.explain(compiled)(x)
    assert explained.graph_break_count == 0 and explained.graph_count == 1
    assert losses[-1] < losses[0]


def test_a_nan_batch_in_an_accelerate_loop_gets_origin_causes_and_a_replayable_flight_record(tmp_path: Path) -> None:
    acc, model, opt, loader = _setup(1)
    guard = gradguard.Guard(model, opt, tmp_path / "run", loss_fn=nn.functional.mse_loss)
    for step, (x, y) in enumerate(loader):
        if step == NAN_STEP:
            x = x.clone()
            x[1, 3] = float("nan")
        loss = nn.functional.mse_loss(model(x), y)
        acc.backward(loss)
        report = guard.step(loss, inputs=x, targets=y)
        opt.zero_grad()
        assert report.applied == (step != NAN_STEP)
        if step == NAN_STEP + 2:
            break
    guard.close()
    with gradguard.open_run(tmp_path / "run") as record:
        event = record.events_of("nonfinite")[0]
    assert event["step"] == NAN_STEP and event["evidence"]["origin"]["phase"] == "data"
    assert event["causes"] and event["causes"][0]["cause"] == "data"
    result = gradguard.replay(event["evidence"]["flight_record"], trust=True)  # model and loss rebuilt from it
    assert result.reproduced and result.step == NAN_STEP
