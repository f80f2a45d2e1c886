"""Two gloo ranks on CPU give the single-process answer, and a fault on one rank is skipped on both.

One pair of worker processes (this file run as a script) runs every scenario, DDP then FSDP2 (``fully_shard``),
and saves what each rank saw; the tests compare it with the same training run in one process on the global batch.
The workers have a hard timeout, and the process group a collective timeout, so nothing hangs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard.distributed import build_layout, reduce_counts_gathered, reduce_gathered
from gradguard.inventory import build_inventory
from gradguard.stats import REDUCTIONS, REPLICA_REDUCTIONS, mul_grads_
from helpers import batch, mlp
from test_host_syncs import CountHostReads

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import _gloo  # the gloo harness shared with benchmarks/faults_ranks.py

STEPS = 5
NAN_STEP = 2  # the last rank (or the only one) injects a NaN into one gradient after backward at this step
MAX_NORM = 0.05  # small enough that the healthy steps are clipped: the clip coefficient must come from global norms
KINDS = ("ddp", "fsdp", "fsdp_mixed")


def _max_norm(kind: str) -> float:
    return 1e9 if kind.endswith("_noclip") else MAX_NORM
WORKER_TIMEOUT_S = 150


# ------------------------------------------------------------------------------------------------ the scenario
def _model(kind: str) -> nn.Module:
    torch.manual_seed(0)
    model = mlp(width=6, depth=3, d_in=8)  # Linear(8,6) ReLU Linear(6,6) ReLU Linear(6,1)
    if kind == "ddp":
        return nn.parallel.DistributedDataParallel(model)
    if kind.startswith("fsdp"):
        from torch.distributed.fsdp import fully_shard

        # fsdp_mixed: the first layer's bias stays a plain (replicated) tensor next to its sharded weight
        ignored = {model[0].bias} if kind == "fsdp_mixed" else None
        for layer in (model[0], model[2], model[4]):
            fully_shard(layer, ignored_params=ignored if layer is model[0] else None)
        fully_shard(model, ignored_params=ignored)
    return model


def _local(t: torch.Tensor) -> torch.Tensor:
    return t.to_local() if hasattr(t, "to_local") else t


def _full(t: torch.Tensor) -> torch.Tensor:
    return (t.full_tensor() if hasattr(t, "full_tensor") else t).detach().clone()


def run_scenario(kind: str, rank: int, world: int, run_dir: Path | None) -> dict[str, Any]:
    """Train STEPS guarded steps; ``kind`` "single" is the one-process reference on the global batch."""
    model = _model(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    policy = gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(_max_norm(kind)))
    guard = gradguard.Guard(model, opt, run_dir=run_dir, policy=policy, update_every=1, flush_every=2)
    seen: dict[str, list[Any]] = {k: [] for k in ("loss", "grad_norm", "layer_grad_norm", "layer_grad_maxabs",
                                                  "layer_weight_norm", "applied", "clip_coef", "nonfinite",
                                                  "host_reads")}
    for step in range(STEPS):
        x, y = batch(n=16, seed=step)
        x, y = x.chunk(world)[rank], y.chunk(world)[rank]
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        if kind == "fsdp_mixed":  # the replicated bias is outside FSDP: average its gradient as DDP would
            bias = model[0].bias
            torch.distributed.all_reduce(bias.grad, op=torch.distributed.ReduceOp.AVG)
        if step == NAN_STEP and rank == world - 1:
            _local(next(model.parameters()).grad)[0, 0] = float("nan")
        counter = CountHostReads()
        with counter:
            report = guard.step(loss)
        seen["host_reads"].append(list(counter.ours))
        stats = guard.last_stats
        assert stats is not None
        seen["loss"].append(stats.loss)
        seen["grad_norm"].append(stats.grad_norm)
        seen["layer_grad_norm"].append(stats.layer_grad_norm)
        seen["layer_grad_maxabs"].append(stats.layer_grad_maxabs)
        seen["layer_weight_norm"].append(stats.layer_weight_norm)
        seen["nonfinite"].append(stats.layer_grad_nonfinite)
        seen["applied"].append(report.applied)
        seen["clip_coef"].append(report.clip_coef)
        opt.zero_grad(set_to_none=True)
    guard.close()
    seen["weights"] = [_full(p) for p in model.parameters()]
    if kind == "fsdp_mixed":  # DTensor and plain gradients side by side: mul_grads_ scales both kinds
        nn.functional.mse_loss(model(x), y).backward()
        grads = [p.grad for p in model.parameters()]
        before = [_local(g).clone() for g in grads]
        mul_grads_(grads, 0.5)
        mul_grads_(grads, [float(k + 1) for k in range(len(grads))])
        seen["mul_grads_ok"] = all(torch.equal(_local(g), b * 0.5 * (k + 1))
                                   for k, (g, b) in enumerate(zip(grads, before)))
    seen["reducer"] = type(guard.reduce_packed).__name__ if guard.reduce_packed is not None else None
    return seen


ROLLBACK_AT = 5  # the ddp_rollback scenario rolls back at this step (snapshots every 2 healthy steps)


def run_rollback(rank: int, world: int) -> dict[str, Any]:
    """DDP under a rollback: every rank restores the same snapshot and the ranks stay in step afterwards."""
    from test_rollback import RollbackAt

    model = _model("ddp")
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    guard = gradguard.Guard(model, opt, policy=RollbackAt([ROLLBACK_AT], lr_factor=0.5, every=2), update_every=0)
    after: list[list[torch.Tensor]] = []
    reports = []
    for step in range(ROLLBACK_AT + 3):
        x, y = batch(n=16, seed=step)
        x, y = x.chunk(world)[rank], y.chunk(world)[rank]
        nn.functional.mse_loss(model(x), y).backward()
        reports.append(guard.step())
        opt.zero_grad(set_to_none=True)
        after.append([p.detach().clone() for p in model.parameters()])
    guard.close()
    return {"after": after, "rolled_back_to": [r.rolled_back_to for r in reports],
            "applied": [r.applied for r in reports], "lr": opt.param_groups[0]["lr"]}


FLOAT_NAN_STEP = 3  # the float_loss scenario: rank 1's Python-float loss is NaN at this step (its gradients finite)


def run_float_loss(rank: int, world: int) -> dict[str, Any]:
    """DDP with ``guard.step(loss.item())``: a NaN in one rank's float loss must make every rank skip."""
    model = _model("ddp")
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    guard = gradguard.Guard(model, opt, policy="safe", update_every=0)
    reports, after = [], []
    for step in range(FLOAT_NAN_STEP + 3):
        x, y = batch(n=16, seed=step)
        x, y = x.chunk(world)[rank], y.chunk(world)[rank]
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        value = float("nan") if (rank == 1 and step == FLOAT_NAN_STEP) else loss.item()
        reports.append(guard.step(value))
        opt.zero_grad(set_to_none=True)
        after.append([p.detach().clone() for p in model.parameters()])
    guard.close()
    return {"applied": [r.applied for r in reports], "after": after,
            "losses": [r.loss for r in reports]}


#: the CI subset of ``benchmarks/faults_ranks.py``'s matrix (fault on rank 1 only): every kind of fault once, both
#: ways of giving the loss, both policies; a NaN weight under ``safe`` stops both ranks at the same step. The spike
#: and NaN loss given as floats under ``recover`` split the ranks before issue 14 item 1 was fixed
FAULT_CASES = [("nan_input", "tensor", "safe"), ("nan_grad", "float", "recover"), ("spike", "float", "recover"),
               ("nan_loss", "float", "recover"), ("nan_weight", "float", "safe")]


def _faults_ranks() -> Any:
    import faults_ranks

    return faults_ranks


def _work(rank: int, world: int, args: list[str]) -> dict[str, Any]:
    out_dir = Path(args[0])
    results: dict[str, Any] = {kind: run_scenario(kind, rank, world, out_dir / kind / f"rank{rank}")
                               for kind in KINDS}
    results["ddp_rollback"] = run_rollback(rank, world)
    results["float_loss"] = run_float_loss(rank, world)
    results["fault_matrix"] = {case: _faults_ranks().run_case(*case, rank, world) for case in FAULT_CASES}
    return results


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], Path]:
    out = tmp_path_factory.mktemp("dist")
    results, error = _gloo.run_ranks(__file__, out, timeout_s=WORKER_TIMEOUT_S, args=[str(out)])
    if error:
        pytest.fail(error)
    return results, out


@pytest.fixture(scope="module")
def references() -> dict[float, dict[str, Any]]:
    return {_max_norm(k): run_scenario(k, 0, 1, None) for k in ("single", "single_noclip")}


@pytest.fixture
def reference(references: dict[float, dict[str, Any]], kind: str) -> dict[str, Any]:
    return references[_max_norm(kind)]


# ------------------------------------------------------------------------------------------------ 2-rank tests
@pytest.mark.timeout(150)
@pytest.mark.parametrize("kind", KINDS)
def test_two_ranks_give_the_single_process_statistics(kind: str, ranks: Any, reference: dict[str, Any]) -> None:
    results, _ = ranks
    for seen in results:
        assert seen[kind]["reducer"] == "PackedReducer"
        for key in ("loss", "grad_norm", "layer_grad_norm", "layer_grad_maxabs", "layer_weight_norm"):
            np.testing.assert_allclose(np.asarray(seen[kind][key], dtype=float),
                                       np.asarray(reference[key], dtype=float), rtol=1e-5, err_msg=f"{kind} {key}")
        assert seen[kind]["applied"] == reference["applied"]
        np.testing.assert_allclose(seen[kind]["clip_coef"], reference["clip_coef"], rtol=1e-5)
    if _max_norm(kind) == MAX_NORM:  # the clip coefficient was exercised on every applied step
        assert all(c < 1.0 for c, a in zip(reference["clip_coef"], reference["applied"]) if a), reference["clip_coef"]


@pytest.mark.timeout(150)
@pytest.mark.parametrize("kind", KINDS)
def test_a_nan_on_one_rank_is_skipped_on_both(kind: str, ranks: Any, reference: dict[str, Any]) -> None:
    results, _ = ranks
    expected = [s != NAN_STEP for s in range(STEPS)]
    assert reference["applied"] == expected
    for seen in results:
        assert seen[kind]["applied"] == expected
        assert np.isnan(seen[kind]["grad_norm"][NAN_STEP])
        assert seen[kind]["nonfinite"][NAN_STEP].sum() == 1  # the alarm path's count is reduced too (sum / max)
    for w0, w1, w_ref in zip(results[0][kind]["weights"], results[1][kind]["weights"], reference["weights"]):
        assert torch.equal(w0, w1)  # bit-identical across ranks
        assert torch.isfinite(w0).all()
        torch.testing.assert_close(w0, w_ref, rtol=1e-5, atol=1e-6)


@pytest.mark.timeout(150)
@pytest.mark.parametrize("kind", KINDS)
def test_the_reduction_adds_no_host_read(kind: str, ranks: Any) -> None:
    results, _ = ranks
    for seen in results:
        healthy = [reads for s, reads in enumerate(seen[kind]["host_reads"]) if s != NAN_STEP]
        assert all(len(reads) == 1 and reads[0].startswith(("tolist", "numpy")) for reads in healthy), healthy
        assert len(seen[kind]["host_reads"][NAN_STEP]) == 2  # the alarm path's exact count, reduced as well


@pytest.mark.timeout(150)
def test_mul_grads_scales_mixed_dtensor_and_plain_gradients(ranks: Any) -> None:
    results, _ = ranks
    assert all(seen["fsdp_mixed"]["mul_grads_ok"] for seen in results)
    grads = [torch.ones(3), torch.ones(2)]
    mul_grads_(grads, [2.0, 3.0])
    assert grads[0].tolist() == [2.0] * 3 and grads[1].tolist() == [3.0] * 2


@pytest.mark.timeout(150)
def test_only_rank_zero_writes_the_record(ranks: Any) -> None:
    _, out = ranks
    for kind in KINDS:
        assert not (out / kind / "rank1").exists()  # rank 1 was given a run_dir too, and wrote nothing
        with gradguard.open_run(out / kind / "rank0") as record:
            assert record.steps["step"].tolist() == list(range(STEPS))
            assert record.steps["applied"].tolist() == [s != NAN_STEP for s in range(STEPS)]
            assert record.reasons[NAN_STEP] is not None


# ------------------------------------------------------------------------------------------------ pure reductions
def test_ddp_rollback_restores_the_same_snapshot_on_every_rank(ranks: Any) -> None:
    a, b = (r["ddp_rollback"] for r in ranks[0])
    to = a["rolled_back_to"][ROLLBACK_AT]
    assert to is not None and to == b["rolled_back_to"][ROLLBACK_AT] and to < ROLLBACK_AT
    assert not a["applied"][ROLLBACK_AT] and a["lr"] == b["lr"] == pytest.approx(0.5e-2)
    for got, snap in zip(a["after"][ROLLBACK_AT], a["after"][to], strict=True):
        assert torch.equal(got, snap)  # bit-identical to the state right after the snapshot step
    for step in range(ROLLBACK_AT + 3):  # the replicas never drift apart, before or after the rollback
        assert all(torch.equal(p, q) for p, q in zip(a["after"][step], b["after"][step], strict=True))
    assert not torch.equal(a["after"][-1][0], a["after"][ROLLBACK_AT][0])  # and training went on


def test_a_float_loss_is_reduced_so_a_nan_on_one_rank_skips_on_every_rank(ranks: Any) -> None:
    a, b = (r["float_loss"] for r in ranks[0])
    expected = [s != FLOAT_NAN_STEP for s in range(FLOAT_NAN_STEP + 3)]
    assert a["applied"] == b["applied"] == expected  # rank 0's own float loss was finite: it skips all the same
    assert a["losses"][0] == pytest.approx(b["losses"][0])  # every rank records the mean loss across ranks
    for step in range(FLOAT_NAN_STEP + 3):
        assert all(torch.equal(p, q) for p, q in zip(a["after"][step], b["after"][step], strict=True))


@pytest.mark.parametrize("case", FAULT_CASES, ids=["-".join(c) for c in FAULT_CASES])
def test_a_fault_on_one_rank_gives_the_same_decisions_and_identical_replicas(ranks: Any,
                                                                             case: tuple[str, str, str]) -> None:
    faults_ranks = _faults_ranks()
    results = [{case: r["fault_matrix"][case]} for r in ranks[0]]
    (row,) = faults_ranks.compare(results, [case])
    assert row.same_decisions and row.identical_replicas and row.finite, row
    a = results[0][case]
    skipped = [d[0] for d in a["decisions"] if not d[1]]
    assert set(faults_ranks.FAULT_STEPS[:3]) <= set(skipped), a["decisions"]  # the fault was acted on
    if case[0] == "nan_weight":  # nothing to restore under safe: both ranks stop, at the same step
        assert row.halted and a["halted"] is not None
    else:
        assert not row.halted and len(a["decisions"]) == faults_ranks.STEPS
    if case[2] == "recover" and case[0] != "spike":
        assert any(d[3] is not None for d in a["decisions"])  # the streak rolled both ranks back


def _gathered(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def test_replicated_layers_take_the_common_value_and_a_nan_anywhere() -> None:
    L = 2
    row = [0.5, 1024.0, 5.0, -1.0, 1.0, 4.0, 9.0, 16.0, 0.5, 1.5, float("nan"), float("nan")]
    sharded = torch.zeros(L, dtype=torch.bool)
    same = reduce_gathered(_gathered([row, row]), sharded)
    np.testing.assert_array_equal(same.numpy(), np.asarray(row))  # replicas agree: the reduction is the identity
    bad = list(row)
    bad[5] = float("nan")  # rank 1's second layer went NaN after DDP's all-reduce
    out = reduce_gathered(_gathered([row, bad]), sharded)
    assert torch.isnan(out[5]) and torch.isnan(out[2]) and float(out[4]) == 1.0


@pytest.mark.parametrize("world", [2, 3, 5])
def test_sharded_layers_add_squares_and_take_max_of_maxabs(world: int) -> None:
    torch.manual_seed(world)
    full = torch.randn(11, 3, dtype=torch.float64)
    shards = full.tensor_split(world)  # uneven, some shards may be tiny
    rows = []
    for s in shards:
        sq = float(s.pow(2).sum())
        mx = float(s.abs().max()) if s.numel() else 0.0
        rows.append([float(world), 1.0, sq, -1.0, sq, sq, mx, 0.0])
    out = reduce_gathered(_gathered(rows), torch.ones(1, dtype=torch.bool))
    assert float(out[4].sqrt()) == pytest.approx(float(torch.linalg.vector_norm(full)), rel=1e-12)
    assert float(out[2]) == float(out[4])
    assert float(out[6]) == float(full.abs().max())
    assert float(out[0]) == world  # the loss is the mean


def test_counts_sum_over_shards_and_max_over_replicas() -> None:
    counts = torch.tensor([[2, 1], [3, 1]])
    assert reduce_counts_gathered(counts, torch.tensor([True, False])).tolist() == [5, 1]


def test_replicas_reduce_by_max_and_shards_as_declared() -> None:
    for name in ("grad_sumsq", "weight_sumsq", "update_sumsq", "grad_maxabs", "grad_nonfinite"):
        assert REPLICA_REDUCTIONS[name] == "max"
    assert REPLICA_REDUCTIONS["loss"] == REDUCTIONS["loss"] == "mean"


def test_plain_tensors_are_replicas_on_every_rank() -> None:
    model = mlp()
    layout = build_layout(build_inventory(model, torch.optim.SGD(model.parameters(), lr=0.1)), 4, 1)
    assert set(layout.copies) == {4} and not any(layout.sharded_layers)
    assert layout.describe()["parallelism"] == "ddp"


if __name__ == "__main__":
    _gloo.serve(_work)
