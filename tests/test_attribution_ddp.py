"""Attribution under DDP: two gloo ranks replay in step and reach the same verdict (issue 18 item 4).

The two workers (this file run as a script) train the same guarded DDP run four times: a sample scaled x1000 on
rank 1 only, a bit flipped in one gradient element on rank 1 only (after DDP's all-reduce: the replicas differ),
nothing planted, and a replay that fails on rank 1 only. They have a hard timeout and the process group a
collective timeout, so nothing hangs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import gradguard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import _gloo  # the gloo harness shared with benchmarks/faults_ranks.py
from helpers import flip_exponent_bit

AT = 30
STEPS = 40
WORKER_TIMEOUT_S = 240


def run_case(case: str, rank: int, world: int) -> dict[str, Any]:
    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1)))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.MSELoss()
    def batch_loss(m: nn.Module, b: Any) -> torch.Tensor:
        if case == "fails" and rank == 1:
            raise RuntimeError("this rank's replay fails")
        return loss_fn(m(b[0]), b[1])

    keeper = gradguard.AttributeSpikes(batch_loss=batch_loss)
    guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=gradguard.chain(keeper, gradguard.recover()))
    g = torch.Generator().manual_seed(7)
    x, y = torch.randn(STEPS * 32, 8, generator=g), torch.randn(STEPS * 32, 1, generator=g)
    local = [(xb.chunk(world)[rank].clone(), yb.chunk(world)[rank]) for xb, yb in zip(x.split(32), y.split(32),
                                                                                       strict=True)]
    if case in ("poison", "fails") and rank == 1:
        local[AT][0][5] *= 1000.0
    for xb, yb in guard.batches(local):
        loss = loss_fn(model(xb), yb)
        loss.backward()
        if case == "flip" and rank == 1 and guard.step_index == AT:
            flip_exponent_bit(model.module[0].weight.grad, (3, 2))
        guard.step(loss)
        opt.zero_grad()
    return {"results": keeper.results, "weights": [p.detach().clone() for p in model.parameters()]}


def _work(rank: int, world: int, args: list[str]) -> dict[str, Any]:
    return {case: run_case(case, rank, world) for case in ("poison", "flip", "healthy", "fails")}


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("attr_ddp")
    results, error = _gloo.run_ranks(__file__, out, timeout_s=WORKER_TIMEOUT_S)
    if error:
        pytest.fail(error)
    return results


def _strip(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in ("cost_s", "numbers", "dropped")}


@pytest.mark.timeout(WORKER_TIMEOUT_S + 30)
def test_a_poisoned_sample_on_one_rank_is_data_on_both(ranks: list[dict[str, Any]]) -> None:
    a, b = (r["poison"]["results"] for r in ranks)
    assert list(a) == list(b) == [AT]
    assert _strip(a[AT]) == _strip(b[AT])
    assert a[AT]["verdict"] == "data"
    top = a[AT]["culprit_samples"][0]
    assert (top["rank"], top["index"]) == (1, 5) and top["share"] > 0.9
    assert all(torch.equal(p, q) for p, q in zip(ranks[0]["poison"]["weights"], ranks[1]["poison"]["weights"],
                                                 strict=True))


@pytest.mark.timeout(WORKER_TIMEOUT_S + 30)
def test_a_bit_flip_on_one_rank_is_hardware_on_both(ranks: list[dict[str, Any]]) -> None:
    a, b = (r["flip"]["results"] for r in ranks)
    assert AT in a and AT in b
    assert a[AT]["verdict"] == b[AT]["verdict"] == "hardware"
    # rank 1 sees its own gradient differ; rank 0 sees the global norm (the max over the replicas) differ
    assert b[AT]["numbers"]["same_state"]["max_element_diff"] > 1e20
    assert a[AT]["numbers"]["same_state"]["mismatch_on_any_rank"] and b[AT]["numbers"]["same_state"]["mismatch"]


@pytest.mark.timeout(WORKER_TIMEOUT_S + 30)
def test_a_healthy_ddp_run_attributes_nothing(ranks: list[dict[str, Any]]) -> None:
    assert ranks[0]["healthy"]["results"] == ranks[1]["healthy"]["results"] == {}


@pytest.mark.timeout(WORKER_TIMEOUT_S + 30)
def test_a_replay_failing_on_one_rank_fails_on_both_without_a_hang(ranks: list[dict[str, Any]]) -> None:
    a, b = (r["fails"]["results"] for r in ranks)
    assert a[AT]["verdict"] is None and b[AT]["verdict"] is None
    assert "this rank's replay fails" in b[AT]["error"] and "another rank" in a[AT]["error"]


if __name__ == "__main__":
    _gloo.serve(_work)
