"""Fault injection: what reaches the weights and the optimizer when training is attacked, under each policy.

Each trial trains a 4-layer MLP (Adam, a StepLR scheduler, optionally a GradScaler) on a fixed regression task for
``--steps`` steps and injects one kind of fault at a few steps:

    nan_grad / inf_grad     a NaN / Inf written into one gradient element after backward
    nan_batch / inf_batch   a NaN / Inf in one input element of the batch
    outlier_batch           the batch (inputs and targets) scaled 50x
    nan_loss                the loss handed to the guard is NaN (gradients finite)
    nan_weight              a NaN written into one weight before the forward (the guard can only skip, roll back
                            to a snapshot, or halt)

Columns, per fault and policy, summed over seeds:
    poisoned   steps after which a non-finite value sat in the weights or the optimizer state that the fault did
               not put there itself (target 0)
    changed    skipped steps (no rollback) whose weights, optimizer, scheduler or scaler state changed (target 0;
               a GradScaler halving its scale on a non-finite step is its own rule and not counted)
    halted     trials that ended with TrainingHalted (expected only where the guard cannot repair: nan_weight
               without a snapshot)
    loss/clean final evaluation loss of the faulty run divided by the clean run's, same seed and policy
               (median over the seeds that did not halt)

``--kills N`` also runs N SIGKILL trials: a child process trains with a run record and kills itself at a random
step; the record must open and hold every step up to the last flush (``flush_every`` steps at most lost).

Then two tables of their own: two gloo ranks with the fault on one rank for every kind of input
(``faults_ranks.py``: identical decisions, bit-identical replicas, no hang) and resume exactness under every
preset, including after rollbacks (``faults_resume.py``); ``--no-ranks`` / ``--no-resume`` leave them out.

Run: ``python benchmarks/faults.py`` (a few minutes on 2 cores); ``--seeds``, ``--steps``, ``--kills``, ``--only``.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

import gradguard

FAULTS = ("nan_grad", "inf_grad", "nan_batch", "inf_batch", "outlier_batch", "nan_loss", "nan_weight")
POLICIES = ("safe", "recover")


@dataclass
class Trial:
    poisoned: int = 0
    changed: int = 0
    skipped: int = 0
    halted: bool = False
    final_loss: float = math.nan


def _finite_state(model: nn.Module, opt: torch.optim.Optimizer) -> bool:
    if not all(torch.isfinite(p).all() for p in model.parameters()):
        return False
    for state in opt.state.values():
        for v in state.values():
            if isinstance(v, torch.Tensor) and v.is_floating_point() and not torch.isfinite(v).all():
                return False
    return True


def _snapshot(model: nn.Module, opt: Any, sched: Any, scaler: Any) -> Any:
    return copy.deepcopy((model.state_dict(), opt.state_dict(), sched.state_dict(),
                          scaler.state_dict() if scaler is not None else None))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(
            torch.nan_to_num(a, nan=1234.5), torch.nan_to_num(b, nan=1234.5))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def run_trial(fault: str | None, policy: str, seed: int, steps: int, scaler_on: bool,
              fault_steps: tuple[int, ...]) -> Trial:
    """One training run with ``fault`` injected at ``fault_steps`` (None: the clean run)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=50, gamma=0.7)
    scaler = torch.amp.GradScaler("cpu", init_scale=256.0) if scaler_on else None
    g = torch.Generator().manual_seed(1000 + seed)
    teacher = torch.randn(8, 1, generator=g)
    eval_x = torch.randn(256, 8, generator=g)
    eval_y = torch.tanh(eval_x @ teacher)
    guard = gradguard.Guard(model, opt, policy=policy, scheduler=sched, scaler=scaler, update_every=0)
    trial = Trial()
    for step in range(steps):
        x = torch.randn(32, 8, generator=g)
        y = torch.tanh(x @ teacher)
        hit = fault is not None and step in fault_steps
        if hit and fault in ("nan_batch", "inf_batch"):
            x[0, 0] = float("nan") if fault == "nan_batch" else float("inf")
        if hit and fault == "outlier_batch":
            x, y = x * 50, y * 50
        if hit and fault == "nan_weight":
            with torch.no_grad():
                model[2].weight[0, 0] = float("nan")
        loss = nn.functional.mse_loss(model(x), y)
        (scaler.scale(loss) if scaler is not None else loss).backward()
        if hit and fault in ("nan_grad", "inf_grad"):
            model[0].weight.grad[1, 2] = float("nan") if fault == "nan_grad" else float("inf")
        given: Any = loss
        if hit and fault == "nan_loss":
            given = torch.tensor(float("nan"))
        before = _snapshot(model, opt, sched, scaler)
        try:
            report = guard.step(given)
        except gradguard.TrainingHalted:
            trial.halted = True
            break
        finally:
            opt.zero_grad(set_to_none=True)
        if not report.applied:
            trial.skipped += 1
            after = _snapshot(model, opt, sched, scaler)
            if (report.reason is not None and "nonfinite" in report.reason) or report.reason == "amp_overflow":
                before, after = before[:3], after[:3]  # GradScaler backs its scale off on a non-finite step
            if report.rolled_back_to is None and not _same(before, after):
                trial.changed += 1
        injected_weight = fault == "nan_weight" and any(s <= step for s in fault_steps)
        if not _finite_state(model, opt) and not (injected_weight and not _opt_poisoned(opt)):
            trial.poisoned += 1
    guard.close()
    if not trial.halted:
        with torch.no_grad():
            trial.final_loss = float(nn.functional.mse_loss(model(eval_x), eval_y))
    return trial


def _opt_poisoned(opt: torch.optim.Optimizer) -> bool:
    return any(isinstance(v, torch.Tensor) and v.is_floating_point() and not torch.isfinite(v).all()
               for state in opt.state.values() for v in state.values())


# ------------------------------------------------------------------------------------------------ SIGKILL trials
_CHILD = """
import os, signal, sys, torch, gradguard
from torch import nn
run_dir, kill_at, flush_every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
guard = gradguard.Guard(model, opt, run_dir=run_dir, flush_every=flush_every, flush_seconds=3600)
for step in range(kill_at + 1):
    loss = model(torch.randn(16, 8)).pow(2).mean()
    loss.backward()
    guard.step(loss)
    opt.zero_grad()
os.kill(os.getpid(), signal.SIGKILL)
"""


def kill_trials(n: int, flush_every: int = 16, seed: int = 0) -> tuple[int, int, int]:
    """(unreadable records, worst steps lost, trials) over ``n`` self-killed training processes."""
    rng = random.Random(seed)
    unreadable, worst = 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            kill_at = rng.randrange(5, 120)
            run_dir = Path(tmp) / f"run{i}"
            subprocess.run([sys.executable, "-c", _CHILD, str(run_dir), str(kill_at), str(flush_every)],
                           env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=120, check=False)
            try:
                with gradguard.open_run(run_dir) as run:
                    kept = len(run.steps["step"])
            except gradguard.errors.RecordError:
                unreadable += 1
                continue
            worst = max(worst, kill_at + 1 - kept)
    return unreadable, worst, n


# ------------------------------------------------------------------------------------------------ table
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--only", nargs="*", choices=FAULTS, default=list(FAULTS))
    parser.add_argument("--ranks", action=argparse.BooleanOptionalAction, default=True,
                        help="the two-rank fault matrix (gloo, 2 processes)")
    parser.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                        help="resume exactness under every preset")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    fault_steps = (30, 31, 90)
    rows = []
    totals = {"poisoned": 0, "changed": 0}
    for fault in args.only:
        for policy in POLICIES:
            trials, clean = [], []
            for seed in range(args.seeds):
                scaler_on = seed % 2 == 1  # every other seed with a GradScaler
                trials.append(run_trial(fault, policy, seed, args.steps, scaler_on, fault_steps))
                clean.append(run_trial(None, policy, seed, args.steps, scaler_on, fault_steps))
            ratios = [t.final_loss / c.final_loss for t, c in zip(trials, clean) if not t.halted]
            poisoned, changed = sum(t.poisoned for t in trials), sum(t.changed for t in trials)
            totals["poisoned"] += poisoned
            totals["changed"] += changed
            rows.append((fault, policy, poisoned, changed, sum(t.skipped for t in trials),
                         sum(t.halted for t in trials), statistics.median(ratios) if ratios else math.nan))
    print(f"Fault injection: {args.seeds} seeds x {args.steps} steps, faults at steps {fault_steps} "
          "(odd seeds with a GradScaler)\n")
    print("| fault | policy | poisoned steps | skipped steps changed | skipped | halted | final loss / clean |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for fault, policy, poisoned, changed, skipped, halted, ratio in rows:
        print(f"| {fault} | {policy} | {poisoned} | {changed} | {skipped} | {halted}/{args.seeds} | {ratio:.3g} |")
    print(f"\ntotal: {totals['poisoned']} poisoned steps (target 0), {totals['changed']} skipped steps that changed "
          "state (target 0)")
    if args.kills:
        unreadable, worst, n = kill_trials(args.kills)
        print(f"SIGKILL: {n} trials, {unreadable} unreadable records (target 0), at most {worst} steps lost "
              "(flush_every=16: target <= 16)")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.ranks:
        import faults_ranks

        faults_ranks.print_table()
    if args.resume:
        import faults_resume

        faults_resume.print_table()


if __name__ == "__main__":
    main()
