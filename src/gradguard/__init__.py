"""gradguard: keeps gradient-based training of PyTorch models stable.

Two lines in a training loop::

    guard = gradguard.Guard(model, optimizer, run_dir="runs/exp1")
    ...
    report = guard.step(loss)   # instead of optimizer.step()
"""

from __future__ import annotations

from .errors import ConfigError, GradGuardError, OptionalDependencyError, RecordError, TrainingHalted
from .events import EVENT_KINDS, Event

__version__ = "0.1.0"

__all__ = [
    "EVENT_KINDS",
    "ConfigError",
    "Event",
    "GradGuardError",
    "OptionalDependencyError",
    "RecordError",
    "TrainingHalted",
    "__version__",
]
