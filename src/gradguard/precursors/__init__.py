"""Precursors: signals that come before a loss spike (optimizer state, attention logits, output logits).

Opt-in monitors, detectors and a StableAdamW-style update cap; ``benchmarks/precursors.py`` measures their lead time
and false alarms::

    from gradguard.detectors import default_detectors
    from gradguard.precursors import precursor_detectors
    guard = gradguard.Guard(model, optimizer, detectors=None)  # the defaults
    guard.detectors += precursor_detectors(model, optimizer)   # + precursor, attention_logit_growth, logit_divergence
"""

from __future__ import annotations

from .adam_state import AdamStateMonitor, AdamStateStats, supports_adam_state
from .cap import StableUpdateCap
from .detectors import AdamStatePrecursor, ProbeDetector, precursor_detectors
from .probes import ProbeReading, TransformerProbes

__all__ = [
    "AdamStateMonitor",
    "AdamStatePrecursor",
    "AdamStateStats",
    "ProbeDetector",
    "ProbeReading",
    "StableUpdateCap",
    "TransformerProbes",
    "precursor_detectors",
    "supports_adam_state",
]
