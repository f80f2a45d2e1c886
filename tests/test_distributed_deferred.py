"""``sync="deferred"`` under torch.distributed (two gloo ranks on loopback): the weights equal the blocking mode's bit
for bit on a run with clips and a NaN on one rank (skipped on both), the replicas stay identical, and nothing of the
current step is read on the host before its optimizer step.

The worker processes are this file run as a script (the harness of ``tests/test_distributed.py``,
``benchmarks/_gloo.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import gradguard
from helpers import batch, mlp
from test_host_syncs import CountBeforeStep

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import _gloo

STEPS = 8
NAN_STEP = 3  # the last rank puts a NaN into one gradient after backward at this step
KINDS = ("ddp", "fsdp")
POLICIES = ("skip+clip", "safe")
WORKER_TIMEOUT_S = 150


def _model(kind: str) -> nn.Module:
    torch.manual_seed(0)
    model = mlp(width=6, depth=3, d_in=8)
    if kind == "ddp":
        return nn.parallel.DistributedDataParallel(model)
    from torch.distributed.fsdp import fully_shard

    for layer in (model[0], model[2], model[4]):
        fully_shard(layer)
    fully_shard(model)
    return model


def _local(t: torch.Tensor) -> torch.Tensor:
    return t.to_local() if hasattr(t, "to_local") else t


def _policy(name: str) -> Any:
    if name == "safe":
        return "safe"
    return gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(0.05))


def run_case(kind: str, policy: str, sync: str, rank: int, world: int) -> dict[str, Any]:
    model = _model(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, fused=True)
    guard = gradguard.Guard(model, opt, policy=_policy(policy), sync=sync, update_every=2)
    reports, reads = [], []
    for step in range(STEPS):
        x, y = batch(n=16, seed=step)
        x, y = x.chunk(world)[rank], y.chunk(world)[rank]
        loss = nn.functional.mse_loss(model(x * (20 if step == 5 else 1)), y)
        loss.backward()
        if step == NAN_STEP and rank == world - 1:
            _local(next(model.parameters()).grad)[0, 0] = float("nan")  # type: ignore[arg-type]
        counter = CountBeforeStep(opt)
        with counter:
            reports.append(guard.step(loss))
        opt.step = type(opt).step.__get__(opt)  # type: ignore[method-assign]
        reads.append(list(counter.reads))
        opt.zero_grad(set_to_none=True)
    guard.close()
    return {"sync": guard.sync, "reads": reads,
            "reports": [(r.step, r.applied, r.reason, r.clip_coef) for r in reports],
            "weights": [_local(p).detach().clone() for p in model.parameters()]}


def _work(rank: int, world: int, args: list[str]) -> dict[Any, Any]:
    return {(kind, policy, sync): run_case(kind, policy, sync, rank, world)
            for kind in KINDS for policy in POLICIES for sync in ("blocking", "deferred")}


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[Any, Any]]:
    out = tmp_path_factory.mktemp("dist_deferred")
    results, error = _gloo.run_ranks(__file__, out, timeout_s=WORKER_TIMEOUT_S)
    if error:
        pytest.fail(error)
    return results


@pytest.mark.timeout(WORKER_TIMEOUT_S + 30)
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("kind", KINDS)
def test_deferred_under_two_ranks_equals_blocking_and_reads_nothing_before_the_step(
        kind: str, policy: str, ranks: list[dict[Any, Any]]) -> None:
    for seen in ranks:
        blocking, deferred = seen[(kind, policy, "blocking")], seen[(kind, policy, "deferred")]
        assert deferred["sync"] == "deferred"
        for a, b in zip(blocking["weights"], deferred["weights"], strict=True):
            assert torch.equal(a, b)
        decided = blocking["reports"]
        assert not decided[NAN_STEP][1]  # the NaN on the last rank was skipped on this rank too
        if policy == "skip+clip":
            assert any(coef < 1 for _, applied, _, coef in decided if applied)  # clips were exercised
            assert deferred["reads"] == [[]] * STEPS, deferred["reads"]
        else:  # safe's clip reads the previous step's vector first (its state), never this step's values
            assert all(len(r) <= 1 for r in deferred["reads"]), deferred["reads"]
        assert deferred["reports"][1:] == decided[:-1]  # the same reports, one call late
    for key in ranks[0]:  # identical replicas (DDP) / shards of one model (FSDP2) on both ranks, both modes
        if key[0] == "ddp":
            for a, b in zip(ranks[0][key]["weights"], ranks[1][key]["weights"], strict=True):
                assert torch.equal(a, b)


if __name__ == "__main__":
    _gloo.serve(_work)
