"""Two gloo ranks on loopback with a fault on ONE rank, for every kind of input: do both ranks decide alike?

Each case trains a DDP-wrapped MLP (Adam) for ``STEPS`` steps on two CPU processes and injects one fault on rank 1
only, at ``FAULT_STEPS`` (three steps in a row, then one more: under ``recover`` the streak rolls back):

    nan_input   a NaN in one input element of rank 1's batch (DDP averages its NaN gradient into both ranks)
    nan_grad    a NaN written into one of rank 1's gradients after backward (after DDP's all-reduce: rank 1 only)
    spike       rank 1's batch (inputs and targets) scaled 50x
    nan_loss    the loss rank 1 hands to the guard is NaN (its gradients are finite)
    nan_weight  a NaN written into one of rank 1's weights at the first fault step (it stays: ``safe`` can only
                skip, then stop; both ranks must stop at the same step, not one rank alone (a hang or a
                "Connection closed by peer"); ``recover`` restores both ranks from their snapshots)

each with the loss given as a tensor (``guard.step(loss)``) and as a Python float (``guard.step(loss.item())``),
under ``safe`` and ``recover``. Per case the ranks record every decision (applied, reason, rollback target) and
their final weights and Adam state; the parent checks that the decisions are identical, the replicas bit-identical
and finite, and that no worker hung (a collective timeout in the workers, a wall-clock timeout in the parent).

Run: ``python benchmarks/faults.py --ranks`` (the table) or ``python benchmarks/faults_ranks.py`` alone.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _gloo import is_worker, run_ranks, serve

FAULTS = ("nan_input", "nan_grad", "spike", "nan_loss", "nan_weight")
LOSSES = ("tensor", "float")
POLICIES = ("safe", "recover")
CASES = tuple(product(FAULTS, LOSSES, POLICIES))
STEPS = 40
FAULT_STEPS = (20, 21, 22, 32)
COLLECTIVE_TIMEOUT_S = 60


def run_case(fault: str, loss_kind: str, policy: str, rank: int, world: int) -> dict[str, Any]:
    """One case on this rank (inside an initialised process group)."""
    import gradguard

    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(
        nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1)))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    guard = gradguard.Guard(model, opt, policy=policy, update_every=5)
    g = torch.Generator().manual_seed(1000)
    teacher = torch.randn(8, 1, generator=g)
    decisions, halted = [], None
    for step in range(STEPS):
        x = torch.randn(2 * 16, 8, generator=g)
        y = torch.tanh(x @ teacher)
        x, y = x.chunk(world)[rank].clone(), y.chunk(world)[rank].clone()
        hit = rank == world - 1 and step in FAULT_STEPS
        if hit and fault == "nan_input":
            x[0, 0] = float("nan")
        if hit and fault == "spike":
            x, y = x * 50, y * 50
        if hit and fault == "nan_weight" and step == FAULT_STEPS[0]:
            with torch.no_grad():
                model.module[2].weight[0, 0] = float("nan")
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        if hit and fault == "nan_grad":
            model.module[0].weight.grad[1, 2] = float("nan")
        given: Any = loss if loss_kind == "tensor" else loss.item()
        if hit and fault == "nan_loss":
            given = torch.tensor(float("nan")) if loss_kind == "tensor" else float("nan")
        try:
            report = guard.step(given)
        except gradguard.TrainingHalted:
            halted = step
            break
        finally:
            opt.zero_grad(set_to_none=True)
        decisions.append((report.step, report.applied, report.reason, report.rolled_back_to))
    guard.close()
    state = opt.state_dict()["state"]
    return {"decisions": decisions, "halted": halted,
            "weights": [p.detach().clone() for p in model.parameters()],
            "opt": [v.clone() for k in sorted(state) for v in state[k].values() if isinstance(v, torch.Tensor)]}


def _work(rank: int, world: int, args: list[str]) -> dict[Any, Any]:
    cases = [tuple(c.split(",")) for c in args[0].split(";")]
    return {case: run_case(case[0], case[1], case[2], rank, world) for case in cases}


def run_pair(cases: list[tuple[str, str, str]], out: Path, timeout_s: float = 300.0) -> tuple[list[Any], str]:
    """Run ``cases`` on two worker processes; (results per rank, or [] if a worker failed or hung; the log)."""
    return run_ranks(__file__, out, world=2, timeout_s=timeout_s, args=[";".join(",".join(c) for c in cases)],
                     weights_only=True)


@dataclass
class Row:
    fault: str
    loss: str
    policy: str
    same_decisions: bool
    identical_replicas: bool
    finite: bool
    halted: str  # "" or the step each rank stopped at
    summary: str  # what the ranks did at the fault steps


def _equal(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and torch.equal(x, y) for x, y in zip(a, b))


def compare(results: list[Any], cases: list[tuple[str, str, str]]) -> list[Row]:
    """One row per case from the two ranks' results."""
    rows = []
    for case in cases:
        a, b = results[0][case], results[1][case]
        hits = [d for d in a["decisions"] if d[0] in FAULT_STEPS]
        what = ", ".join(("applied" if d[1] else str(d[2])) + (f"->{d[3]}" if d[3] is not None else "")
                         for d in hits)
        if a["halted"] is not None:
            what += f", halted at step {a['halted']}"
        ok = [all(bool(torch.isfinite(t).all()) for t in (*r["weights"], *r["opt"])) for r in (a, b)]
        # a halted nan_weight run keeps the NaN the fault wrote into rank 1 (nothing to restore): compare rank 1's
        # replica with that element put back, and require rank 0 (and rank 1's optimizer state) finite
        wb = [w.clone() for w in b["weights"]]
        if case[0] == "nan_weight" and b["halted"] is not None:
            wb[2][0, 0] = a["weights"][2][0, 0]
            ok[1] = all(bool(torch.isfinite(t).all()) for t in (*wb, *b["opt"]))
        halted = "" if a["halted"] is None and b["halted"] is None else f"{a['halted']}/{b['halted']}"
        rows.append(Row(*case, same_decisions=a["decisions"] == b["decisions"] and a["halted"] == b["halted"],
                        identical_replicas=_equal(a["weights"], wb) and _equal(a["opt"], b["opt"]),
                        finite=all(ok), halted=halted, summary=what))
    return rows


def table(timeout_s: float = 300.0) -> tuple[list[Row], str, float]:
    """The full matrix: (rows, error if the workers failed or hung, wall seconds)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        results, error = run_pair(list(CASES), Path(tmp), timeout_s)
    return (compare(results, list(CASES)) if results else []), error, time.monotonic() - start


def print_table(timeout_s: float = 300.0) -> None:
    rows, error, wall = table(timeout_s)
    print(f"\nTwo gloo ranks (DDP, CPU), fault on rank 1 only at steps {FAULT_STEPS}, {STEPS} steps per case:\n")
    if error:
        print(f"FAILED: {error}")
        return
    print("| fault on rank 1 | loss given as | policy | same decisions | bit-identical replicas | finite | "
          "decisions at the fault steps |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.fault} | {r.loss} | {r.policy} | {'yes' if r.same_decisions else 'NO'} | "
              f"{'yes' if r.identical_replicas else 'NO'} | {'yes' if r.finite else 'NO'} | {r.summary} |")
    bad = sum(not (r.same_decisions and r.identical_replicas and r.finite) for r in rows)
    print(f"\n{len(rows)} cases, {bad} with differing decisions, replicas or non-finite state (target 0), "
          f"{sum(bool(r.halted) for r in rows)} stopped (on both ranks at the same step); "
          f"no hang (all finished in {wall:.0f} s, limit {timeout_s:.0f} s)")


if __name__ == "__main__":
    if is_worker():
        serve(_work, collective_timeout_s=COLLECTIVE_TIMEOUT_S)
    else:
        print_table()
