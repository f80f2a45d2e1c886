"""The guard's checkpoint state: what a resumed run needs to take the same decisions step for step.

``Guard.state_dict()`` holds the step counter, the policies' and detectors' states, the mitigation state (skip
count, learning-rate back-off, last rollback, the snapshot store with its snapshots: see
:mod:`gradguard.mitigation.snapshot_state`) and an update measurement taken on the last step but not yet read (it
reaches the detectors with the next step's statistics). It holds only tensors, numbers, strings, lists and dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from .errors import ConfigError

__all__ = ["guard_state", "load_guard_state"]


def _collector_state(collector: Any) -> dict[str, Any] | None:
    meter = getattr(collector, "updates", None)
    if meter is None or meter.pending is None or meter.weight_norm is None:
        return None
    step, usq = meter.pending
    return {"step": int(step), "update_sumsq": usq.detach().to("cpu", copy=True),
            "weight_norm": torch.from_numpy(np.array(meter.weight_norm, dtype=np.float64))}


def _load_collector_state(collector: Any, state: Mapping[str, Any] | None) -> None:
    meter = getattr(collector, "updates", None)
    if state is None or meter is None:
        return
    usq = state["update_sumsq"].to(device=collector.device, dtype=torch.float64)
    if usq.numel() != collector.num_layers:
        return  # another model: the measurement means nothing here
    meter.pending = (int(state["step"]), usq)
    meter.weight_norm = state["weight_norm"].numpy().astype(np.float64)


def guard_state(guard: Any) -> dict[str, Any]:
    """``Guard.state_dict()``: see the module doc. With ``sync="deferred"`` the step not read yet is read first
    (as :meth:`~gradguard.Guard.flush` does: its events reach the record and the detectors now), so the checkpoint
    holds it; the next ``guard.step`` then returns a placeholder report, in the resumed run as in this one."""
    deferred = getattr(guard, "_deferred", None)
    if deferred is not None:
        deferred.read(guard)
    return {"step": guard._step, "policy": guard.policy.state_dict(),
            "detectors": [d.state_dict() for d in guard.detectors], "mitigation": guard._actuator.state_dict(),
            "collector": _collector_state(guard._collector), "sampling": _sampling_state(guard._collector)}


def _sampling_state(collector: Any) -> dict[str, Any]:
    """What ``Guard(sample_every=...)`` carries from step to step: the latest measured weight norms and whether
    the next step is measured in full after an alarm."""
    weights = getattr(collector, "weights", None)
    return {"weights": None if weights is None else torch.from_numpy(np.array(weights, dtype=np.float64)),
            "alert": bool(getattr(collector, "alert", False))}


def _load_sampling_state(collector: Any, state: Mapping[str, Any] | None) -> None:
    if not state or state.get("weights") is None or state["weights"].numel() != collector.num_layers:
        return  # an older state, or another model: the next step is measured in full
    collector.weights = state["weights"].numpy().astype(np.float64)
    collector._full_issued = True
    collector.alert = bool(state.get("alert", False))


def load_guard_state(guard: Any, state: Mapping[str, Any]) -> None:
    """``Guard.load_state_dict(state)``. A state of an older gradguard loads with defaults for what it lacks (and
    a warning where that makes the resume inexact).

    Raises:
        ConfigError: ``state`` is not a guard state, or its detectors do not match this guard's.
    """
    if not isinstance(state, Mapping) or "step" not in state or "policy" not in state:
        raise ConfigError("Guard.load_state_dict(state)", type(state).__name__,
                          "a dict returned by Guard.state_dict() (with 'step', 'policy', 'detectors')")
    detectors = list(state.get("detectors", []))
    if len(detectors) != len(guard.detectors):
        raise ConfigError("Guard.load_state_dict(state)", f"a state of {len(detectors)} detector(s)",
                          f"the state of this guard's {len(guard.detectors)} detector(s)",
                          "Build the resumed Guard with the same detectors (and policy) as the run that saved it.")
    guard._step = int(state["step"])
    guard.policy.load_state_dict(state["policy"])
    for detector, detector_state in zip(guard.detectors, detectors, strict=True):
        detector.load_state_dict(detector_state)
    guard._actuator.load_state_dict(state.get("mitigation", {}))
    _load_collector_state(guard._collector, state.get("collector"))
    _load_sampling_state(guard._collector, state.get("sampling"))
