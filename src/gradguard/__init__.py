"""gradguard: keeps gradient-based training of PyTorch models stable.

Two lines in a training loop::

    guard = gradguard.Guard(model, optimizer, run_dir="runs/exp1")
    ...
    report = guard.step(loss)   # instead of optimizer.step()
"""

from __future__ import annotations

from .decision import Decision, StepReport
from .diagnosis import Diagnosis, Finding, check, fix
from .errors import ConfigError, GradGuardError, OptionalDependencyError, RecordError, TrainingHalted
from .events import EVENT_KINDS, Event
from .flight import replay
from .forensics import Origin, find_nonfinite_origin
from .guard import Guard
from .policy import Policy, chain, clip_by_global_norm, skip_nonfinite
from .record import RunRecord, open_run
from .stats import StepStats, UpdateStats

__version__ = "0.1.0"

__all__ = [
    "EVENT_KINDS",
    "ConfigError",
    "Decision",
    "Diagnosis",
    "Event",
    "Finding",
    "GradGuardError",
    "Guard",
    "OptionalDependencyError",
    "Origin",
    "Policy",
    "RecordError",
    "RunRecord",
    "StepReport",
    "StepStats",
    "TrainingHalted",
    "UpdateStats",
    "__version__",
    "chain",
    "check",
    "clip_by_global_norm",
    "find_nonfinite_origin",
    "fix",
    "open_run",
    "replay",
    "skip_nonfinite",
]
