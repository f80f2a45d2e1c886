"""A small training loop that is interrupted, checkpointed and resumed (shared by the resume tests and the faults
benchmark): a resumed run must take the same decisions step for step and end bit-identical to the uninterrupted one.

The loop draws each batch from the step index (so a resumed loop sees the same data), uses dropout (so the global
RNG matters: a rollback restores it), Adam and a StepLR scheduler, and injects trouble at fixed steps: NaN gradients
on three steps in a row (a rollback under ``recover``), again a little later (a repeat: the learning rate is halved,
then restored over a healthy stretch), and a 50x batch (skipped as an outlier).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

import gradguard

NAN_STEPS = (24, 25, 26, 44, 45, 46)  # two NaN streaks of 3: a rollback, then a repeat that halves the rate
SPIKE_STEPS = (32,)  # a 50x batch (skipped as an outlier)
STEPS = 80


def _model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, 1))


def _batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(10_000 + step)
    x = torch.randn(32, 8, generator=g)
    y = torch.tanh(x[:, :1] - 0.5 * x[:, 1:2])
    if step in SPIKE_STEPS:
        x, y = x * 50, y * 50
    return x, y


@dataclass
class Run:
    """What one (possibly resumed) run decided and where it ended."""

    decisions: list[tuple[int, bool, str | None, int | None]] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    weights: list[torch.Tensor] = field(default_factory=list)
    opt_state: dict[str, Any] = field(default_factory=dict)
    halted: str | None = None
    detectors: str = ""  # the detectors' final states (the collector's unread update measurement shows here)


@dataclass
class Trainer:
    policy: Callable[[], Any]
    model: nn.Sequential
    opt: torch.optim.Optimizer
    sched: Any
    guard: gradguard.Guard


def build(policy: Callable[[], Any], seed: int) -> Trainer:
    torch.manual_seed(seed)
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.8)
    guard = gradguard.Guard(model, opt, policy=policy(), scheduler=sched, update_every=5)
    return Trainer(policy, model, opt, sched, guard)


def train(t: Trainer, start: int, stop: int, run: Run) -> bool:
    """Steps ``start`` .. ``stop - 1``; False when the guard halted."""
    for step in range(start, stop):
        x, y = _batch(step)
        loss = nn.functional.mse_loss(t.model(x), y)
        loss.backward()
        if step in NAN_STEPS:
            t.model[0].weight.grad[0, 0] = float("nan")
        try:
            report = t.guard.step(loss)
        except gradguard.TrainingHalted as exc:
            run.halted = f"step {step}: {exc}"
            return False
        finally:
            t.opt.zero_grad(set_to_none=True)
        run.decisions.append((report.step, report.applied, report.reason, report.rolled_back_to))
        run.lrs.append(t.opt.param_groups[0]["lr"])
    return True


def checkpoint(t: Trainer) -> bytes:
    """What a user's checkpoint holds: model, optimizer, scheduler, guard and the RNG, through torch.save."""
    buf = io.BytesIO()
    torch.save({"model": t.model.state_dict(), "opt": t.opt.state_dict(), "sched": t.sched.state_dict(),
                "guard": t.guard.state_dict(), "rng": torch.get_rng_state()}, buf)
    return buf.getvalue()


def resume(policy: Callable[[], Any], blob: bytes) -> Trainer:
    """A fresh process's view: a new model (other initial weights), a new guard, then the checkpoint loaded."""
    t = build(policy, seed=99)
    state = torch.load(io.BytesIO(blob), weights_only=True)
    t.model.load_state_dict(state["model"])
    t.opt.load_state_dict(state["opt"])
    t.sched.load_state_dict(state["sched"])
    t.guard.load_state_dict(state["guard"])
    torch.set_rng_state(state["rng"])
    return t


def finish(t: Trainer, run: Run) -> Run:
    t.guard.close()
    run.weights = [p.detach().clone() for p in t.model.parameters()]
    run.opt_state = t.opt.state_dict()
    run.detectors = repr([d.state_dict() for d in t.guard.detectors])
    return run


def uninterrupted(policy: Callable[[], Any], checkpoints: tuple[int, ...] = (), steps: int = STEPS
                  ) -> tuple[Run, dict[int, bytes]]:
    """The reference run, checkpointed before each step in ``checkpoints`` (taking a checkpoint must not change
    the run: it goes on as if none was taken)."""
    t = build(policy, seed=0)
    run, blobs = Run(), {}
    for start, stop in zip((0, *checkpoints), (*checkpoints, steps)):
        if start in checkpoints:
            blobs[start] = checkpoint(t)
        if not train(t, start, stop, run):
            break
    return finish(t, run), blobs


def resumed(policy: Callable[[], Any], blob: bytes, at: int, reference: Run, steps: int = STEPS) -> Run:
    """A run resumed from the checkpoint taken before step ``at`` (its first ``at`` steps are the reference's)."""
    t = resume(policy, blob)
    run = Run(decisions=reference.decisions[:at], lrs=reference.lrs[:at])
    train(t, at, steps, run)
    return finish(t, run)


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Bit-identical, NaN where NaN (``monitor`` lets NaN gradients into the weights)."""
    return a.shape == b.shape and a.dtype == b.dtype and bool(
        (a.view(-1).view(torch.uint8) == b.view(-1).view(torch.uint8)).all()) if a.dim() else torch.equal(
        torch.nan_to_num(a, nan=1.5), torch.nan_to_num(b, nan=1.5))


def differences(a: Run, b: Run) -> list[str]:
    """Empty when ``b`` took the same decisions and ended bit-identical to ``a``."""
    out = []
    if a.halted != b.halted:
        out.append(f"halted: {a.halted!r} vs {b.halted!r}")
    for da, db in zip(a.decisions, b.decisions):
        if da != db:
            out.append(f"first different decision: {da} vs {db}")
            break
    if len(a.decisions) != len(b.decisions):
        out.append(f"{len(a.decisions)} vs {len(b.decisions)} steps")
    if a.detectors != b.detectors:
        out.append("detector states differ")
    if a.lrs != b.lrs:
        out.append("learning rates differ")
    if not all(same(p, q) for p, q in zip(a.weights, b.weights)):
        diff = max(float((p - q).abs().nan_to_num(nan=0.0).max()) for p, q in zip(a.weights, b.weights))
        out.append(f"weights differ: max |dw| {diff:.3g}")
    sa, sb = a.opt_state["state"], b.opt_state["state"]
    if any(not same(sa[k][n], sb[k][n]) for k in sa for n in sa[k]):
        out.append("optimizer state differs")
    return out


def with_directory(directory: str | os.PathLike[str]) -> Callable[[], Any]:
    """``recover`` with its snapshots written to ``directory``."""
    def make() -> Any:
        policy: Any = gradguard.recover()
        rollback = next(p for p in policy.policies if isinstance(p, gradguard.mitigation.RollbackOnTrouble))
        rollback.store.directory = gradguard.mitigation.snapshots.writable_dir("directory", directory)
        return policy
    return make


PRESETS: dict[str, Callable[[], Any]] = {
    "monitor": lambda: "monitor",
    "safe": gradguard.safe,
    "recover": gradguard.recover,
    "safe_max_norm": lambda: gradguard.safe(max_norm=0.5),
    "recover_max_norm": lambda: gradguard.recover(max_norm=0.5),
}


#: where the reference run is interrupted (a checkpoint before that step): before the first snapshot (3), with a
#: snapshot pending (7), right before trouble (24, 32, 44), inside a NaN streak (26), right after a rollback (27,
#: 47), during the back-off with an unread update measurement (51), while the rate is being restored (70)
POINTS = (3, 7, 24, 26, 27, 32, 44, 47, 51, 70)


def print_table() -> None:
    """Resume exactness under every preset (and ``recover`` with a snapshot directory), as a markdown table."""
    import tempfile

    print(f"\nResume exactness: {STEPS} steps (NaN gradients at {NAN_STEPS}, a 50x batch at {SPIKE_STEPS}), "
          f"checkpointed before each of steps {POINTS} and resumed from each in a fresh model/optimizer/guard:\n")
    print("| policy | rollbacks in the run | resumed runs | differing decisions | weights or optimizer state not "
          "bit-identical | detector state differs |")
    print("|---|---:|---:|---:|---:|---:|")
    bad_total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in (*PRESETS, "recover (snapshot directory)"):
            differing = inexact = detectors = rollbacks = 0
            shared = None if name not in PRESETS else uninterrupted(PRESETS[name], POINTS)
            for at in POINTS:
                if shared is None:  # a directory keeps only the latest checkpoint's files: one run per point
                    policy = with_directory(Path(tmp) / f"at{at}")
                    reference, blobs = uninterrupted(policy, (at,))
                else:
                    policy, (reference, blobs) = PRESETS[name], shared
                rollbacks = sum(d[3] is not None for d in reference.decisions)
                diff = differences(reference, resumed(policy, blobs[at], at, reference))
                differing += any("decision" in d or "halted" in d for d in diff)
                inexact += any("weights" in d or "optimizer" in d for d in diff)
                detectors += any("detector" in d for d in diff)
                bad_total += bool(diff)
            print(f"| {name} | {rollbacks} | {len(POINTS)} | {differing} | {inexact} | {detectors} |")
    print(f"\ntotal: {bad_total} resumed runs that differ in any of these or in the learning rates (target 0)")
