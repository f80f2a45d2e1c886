"""Precursors: signals that come before a loss spike (optimizer state, attention logits, output logits).

Opt-in monitors, detectors and a StableAdamW-style update cap (:class:`UpdateCap`, a policy member the guard's
actuator applies; :class:`StableUpdateCap`, the same without a guard, through the optimizer's hooks);
``benchmarks/precursors.py`` measures their lead time and false alarms::

    from gradguard.precursors import with_precursors
    # the default detectors + precursor, attention_logit_growth, logit_divergence
    guard = gradguard.Guard(model, optimizer, detectors=with_precursors(model, optimizer))
"""

from __future__ import annotations

from .adam_state import AdamStateMonitor, AdamStateStats, supports_adam_state
from .cap import StableUpdateCap
from .detectors import AdamStatePrecursor, ProbeDetector, precursor_detectors, with_precursors
from .gated_cap import UpdateCap, update_cap
from .probes import ProbeReading, TransformerProbes

__all__ = [
    "AdamStateMonitor",
    "AdamStatePrecursor",
    "AdamStateStats",
    "ProbeDetector",
    "ProbeReading",
    "StableUpdateCap",
    "TransformerProbes",
    "UpdateCap",
    "precursor_detectors",
    "supports_adam_state",
    "update_cap",
    "with_precursors",
]
