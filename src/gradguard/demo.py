"""The demo: one fragile training job run twice, unguarded and guarded, on the same batches.

The job is a deep ReLU MLP (10 linear layers) whose weights start at 1.3× the He scale (He et al. 2015), trained
with SGD + momentum at a high learning rate on a synthetic regression stream. The stream carries, like real data
pipelines do, a few corrupt records: a feature read with the wrong units (about 1e30), so the forward pass
overflows to Inf and the backward pass fills the gradients with NaN.

* **unguarded** (``policy="monitor"``: the guard only records): the optimizer applies the NaN gradient, every
  weight becomes NaN, and no later step can recover. The run is stopped at the first step whose weights are no
  longer finite.
* **guarded** (the default policy): the poisoned steps are skipped before the optimizer sees them, with their
  evidence and the module that produced the first non-finite value written to the record; training carries on.

Only torch is needed; :mod:`gradguard.cli` shows it live and :mod:`gradguard.report` draws the record.
"""

from __future__ import annotations

import math
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .decision import StepReport
from .errors import ConfigError, TrainingHalted
from .guard import Guard

__all__ = ["DEFAULT_STEPS", "DemoResult", "DemoRun", "build_model", "data_stream", "run_demo"]

DEFAULT_STEPS = 600
DEPTH, WIDTH, FEATURES = 10, 64, 16
INIT_GAIN = 1.3  # × the He standard deviation sqrt(2 / fan_in)
LR, MOMENTUM, BATCH = 0.0001, 0.9, 64
CORRUPT_EVERY = 150  # one corrupt record in this many batches, at a seeded random position
CORRUPT_VALUE = 1e30

#: ``on_step(run_name, report)`` is called after every step of either run.
StepCallback = Callable[[str, StepReport], None]


@dataclass
class DemoRun:
    """What one of the two runs did.

    Attributes:
        name: ``"unguarded"`` or ``"guarded"``.
        policy: the policy it ran under (``"monitor"`` or ``"default"``).
        run_dir: its run record.
        losses: the loss of every step it ran (NaN/Inf included).
        skipped: steps the guard did not apply.
        events: events raised, counted by kind.
        died_at: the step after which its weights were no longer finite (None: they stayed finite).
        halted: the guard's message if it stopped the run (``TrainingHalted``), else None.
        seconds: wall time of its steps.
    """

    name: str
    policy: str
    run_dir: Path
    losses: list[float] = field(default_factory=list)
    skipped: int = 0
    events: Counter[str] = field(default_factory=Counter)
    died_at: int | None = None
    halted: str | None = None
    seconds: float = 0.0

    @property
    def nonfinite_steps(self) -> int:
        """Steps whose loss was NaN or Inf."""
        return sum(1 for v in self.losses if not math.isfinite(v))

    @property
    def final_loss(self) -> float:
        """Mean of the finite losses among the last 20 steps; NaN when the weights died, it halted or ran none."""
        if self.died_at is not None or self.halted is not None:
            return math.nan
        tail = [v for v in self.losses[-20:] if math.isfinite(v)]
        return sum(tail) / len(tail) if tail else math.nan

    @property
    def first_loss(self) -> float:
        return self.losses[0] if self.losses else math.nan


@dataclass
class DemoResult:
    """Both runs, where they were written, and how long the demo took."""

    unguarded: DemoRun
    guarded: DemoRun
    out: Path
    steps: int
    seed: int
    seconds: float

    @property
    def guard_helped(self) -> bool:
        """The guarded run ended finite and clearly below the unguarded one (which counts as infinite if NaN)."""
        g, u = self.guarded.final_loss, self.unguarded.final_loss
        return math.isfinite(g) and (not math.isfinite(u) or g < 0.5 * u)


def build_model(seed: int) -> nn.Sequential:
    """The fragile model: ``DEPTH`` linear layers with ReLU, weights ``INIT_GAIN`` × the He scale, zero biases."""
    gen = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    fan_in = FEATURES
    for i in range(DEPTH):
        last = i == DEPTH - 1
        linear = nn.Linear(fan_in, 1 if last else WIDTH)
        with torch.no_grad():
            linear.weight.normal_(0.0, INIT_GAIN * math.sqrt(2.0 / fan_in), generator=gen)
            linear.bias.zero_()
        layers.append(linear)
        if not last:
            layers.append(nn.ReLU())
        fan_in = WIDTH
    return nn.Sequential(*layers)


def data_stream(seed: int, steps: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Batches of a smooth regression target; about one batch in ``CORRUPT_EVERY`` holds a corrupt record."""
    gen = torch.Generator().manual_seed(seed + 1)
    faults = torch.Generator().manual_seed(seed + 2)  # its own stream: the batches do not depend on ``steps``
    teacher = torch.randn(FEATURES, 1, generator=gen) / math.sqrt(FEATURES)
    corrupt = -1
    for step in range(steps):
        if step % CORRUPT_EVERY == 0:
            corrupt = step + int(torch.randint(30, CORRUPT_EVERY, (1,), generator=faults))
        x = torch.randn(BATCH, FEATURES, generator=gen)
        y = torch.sin(2.0 * (x @ teacher)) + 0.05 * torch.randn(BATCH, 1, generator=gen)
        if step == corrupt:
            x[int(torch.randint(BATCH, (1,), generator=faults)), 0] = CORRUPT_VALUE
        yield x, y


def _weights_finite(model: nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def run_demo(steps: int = DEFAULT_STEPS, seed: int = 0, out: str | Path = "gradguard-demo",
             on_step: StepCallback | None = None) -> DemoResult:
    """Train the fragile model unguarded and guarded, step by step on the same batches; write both records.

    Args:
        steps: optimizer steps per run (>= 1; default 600, about 5 s on 2 CPU cores).
        seed: seeds the weights, the data and the corrupt records.
        out: directory for the records ``out/unguarded`` and ``out/guarded`` (replaced if present).
        on_step: called with ``(run_name, report)`` after every step, for live progress.

    Raises:
        ConfigError: ``steps`` is not a positive integer, or ``out`` is a file.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError("steps", steps, "an integer >= 1")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError("out", str(out), "a directory (or a path to create one at); this is a file")
    started = time.perf_counter()
    runs = {"unguarded": DemoRun("unguarded", "monitor", out / "unguarded"),
            "guarded": DemoRun("guarded", "default", out / "guarded")}
    models, optimizers, guards = {}, {}, {}
    for name, run in runs.items():
        if run.run_dir.exists():
            shutil.rmtree(run.run_dir)
        models[name] = build_model(seed)
        optimizers[name] = torch.optim.SGD(models[name].parameters(), lr=LR, momentum=MOMENTUM)
        if name == "unguarded":
            guards[name] = Guard(models[name], optimizers[name], run_dir=run.run_dir, policy="monitor",
                                 loss_fn=nn.functional.mse_loss)
        else:  # the default policy, whatever it is in this version
            guards[name] = Guard(models[name], optimizers[name], run_dir=run.run_dir, loss_fn=nn.functional.mse_loss)
    try:
        for x, y in data_stream(seed, steps):
            for name, run in runs.items():
                if run.died_at is not None or run.halted is not None:
                    continue
                t0 = time.perf_counter()
                model, optimizer = models[name], optimizers[name]
                loss = nn.functional.mse_loss(model(x), y)
                loss.backward()
                try:
                    report = guards[name].step(loss.detach(), inputs=x, targets=y)
                except TrainingHalted as exc:
                    run.halted = str(exc)
                    run.losses.append(float(loss.detach()))
                    continue
                optimizer.zero_grad(set_to_none=True)
                run.losses.append(float(loss.detach()))
                run.skipped += int(report.skipped)
                run.events.update(e.kind for e in report.events)
                if report.applied and not _weights_finite(model):
                    run.died_at = report.step
                run.seconds += time.perf_counter() - t0
                if on_step is not None:
                    on_step(name, report)
    finally:
        for guard in guards.values():
            guard.close()
    return DemoResult(runs["unguarded"], runs["guarded"], out, steps, seed, time.perf_counter() - started)
