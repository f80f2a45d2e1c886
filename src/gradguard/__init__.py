"""gradguard: keeps gradient-based training of PyTorch models stable.

Two lines in a training loop::

    guard = gradguard.Guard(model, optimizer, run_dir="runs/exp1")
    ...
    report = guard.step(loss)   # instead of optimizer.step()
"""

from __future__ import annotations

from .errors import ConfigError, GradGuardError, OptionalDependencyError, RecordError, TrainingHalted
from .decision import Decision, StepReport
from .events import EVENT_KINDS, Event
from .guard import Guard
from .policy import Policy, chain, clip_by_global_norm, skip_nonfinite
from .stats import StepStats, UpdateStats

__version__ = "0.1.0"

__all__ = [
    "EVENT_KINDS",
    "ConfigError",
    "Decision",
    "Event",
    "GradGuardError",
    "Guard",
    "Policy",
    "StepReport",
    "StepStats",
    "UpdateStats",
    "chain",
    "clip_by_global_norm",
    "skip_nonfinite",
    "OptionalDependencyError",
    "RecordError",
    "TrainingHalted",
    "__version__",
]
