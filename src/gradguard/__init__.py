"""gradguard: keeps gradient-based training of PyTorch models stable.

Two lines in a training loop::

    guard = gradguard.Guard(model, optimizer, run_dir="runs/exp1")
    ...
    report = guard.step(loss)   # instead of optimizer.step()
"""

from __future__ import annotations

from .attribution import AttributeSpikes
from .decision import Decision, StepReport
from .diagnosis import Diagnosis, Finding, check, fix
from .errors import ConfigError, GradGuardError, OptionalDependencyError, RecordError, TrainingHalted
from .events import EVENT_KINDS, Event
from .flight import replay
from .forensics import Origin, find_nonfinite_origin
from .guard import Guard
from .mitigation import SkipBatches
from .policy import (
    Policy,
    backoff_lr,
    chain,
    clip_adaptive,
    clip_by_global_norm,
    clip_by_percentile,
    clip_by_value,
    clip_by_zscore,
    clip_per_layer,
    clip_unitwise,
    monitor,
    recover,
    rollback_on_trouble,
    safe,
    skip_nonfinite,
    skip_outliers,
)
from .record import RunRecord, open_run
from .stats import StepStats, UpdateStats

__version__ = "0.1.0"

__all__ = [
    "EVENT_KINDS",
    "AttributeSpikes",
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
    "SkipBatches",
    "StepReport",
    "StepStats",
    "TrainingHalted",
    "UpdateStats",
    "__version__",
    "backoff_lr",
    "chain",
    "check",
    "clip_adaptive",
    "clip_by_global_norm",
    "clip_by_percentile",
    "clip_by_value",
    "clip_by_zscore",
    "clip_per_layer",
    "clip_unitwise",
    "find_nonfinite_origin",
    "fix",
    "monitor",
    "open_run",
    "recover",
    "replay",
    "rollback_on_trouble",
    "safe",
    "skip_nonfinite",
    "skip_outliers",
]
