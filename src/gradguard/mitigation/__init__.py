"""Mitigation: what the guard does about trouble (clip, skip, roll back, back off the learning rate).

The rules are pure policies over a step's statistics (:mod:`.clipping`, :mod:`.skipping`, :mod:`.backoff`,
:mod:`.rollback`); :class:`~.actuator.Actuator` is the guard's side that carries their decisions out.
"""

from __future__ import annotations

from .backoff import BackoffLR, scale_lr
from .batches import SkipBatches
from .clipping import ClipByPercentile, ClipByValue, ClipByZScore, ClipPerLayer, ClipUnitwise
from .relearn import LowerLRWhenNotLearning
from .rollback import RollbackOnTrouble, Snapshot, SnapshotStore, load_snapshot
from .skipping import SkipOutliers

__all__ = ["BackoffLR", "ClipByPercentile", "ClipByValue", "ClipByZScore", "ClipPerLayer", "ClipUnitwise",
           "LowerLRWhenNotLearning",
           "RollbackOnTrouble", "SkipBatches", "SkipOutliers", "Snapshot", "SnapshotStore", "load_snapshot",
           "scale_lr"]
