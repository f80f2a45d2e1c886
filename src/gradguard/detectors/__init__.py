"""Detectors: pure functions of a step's statistics and a saveable history, raising events with evidence.

:func:`default_detectors` builds the standard set; ``kinds`` filters it by event kind.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ConfigError
from .base import Detector
from .explode import ExplodeDetector
from .loss import DivergenceDetector, LossSpikeDetector
from .nonfinite import NonFiniteDetector
from .stall import StallDetector
from .vanish import VanishDetector
from .weights import WeightGrowthDetector

__all__ = [
    "DETECTABLE_KINDS",
    "Detector",
    "DivergenceDetector",
    "ExplodeDetector",
    "LossSpikeDetector",
    "NonFiniteDetector",
    "StallDetector",
    "VanishDetector",
    "WeightGrowthDetector",
    "default_detectors",
]

#: Event kinds the default detectors raise (``amp_overflow`` comes with ``nonfinite``).
DETECTABLE_KINDS = ("nonfinite", "explode", "vanish", "loss_spike", "divergence", "stall", "weight_growth")


def default_detectors(num_layers: int, kinds: Iterable[str] | None = None) -> list[Detector]:
    """The standard detectors with default thresholds, optionally only those raising ``kinds``."""
    wanted = set(DETECTABLE_KINDS if kinds is None else kinds)
    unknown = wanted - set(DETECTABLE_KINDS)
    if unknown:
        raise ConfigError("kinds", sorted(unknown), f"event kinds among {DETECTABLE_KINDS}")
    stall = StallDetector()
    made: dict[str, Detector] = {
        "nonfinite": NonFiniteDetector(),
        "explode": ExplodeDetector(num_layers),
        "vanish": VanishDetector(num_layers),
        "loss_spike": LossSpikeDetector(),
        # a cross-entropy's early jump is judged against its chance loss, which the stall detector infers
        "divergence": DivergenceDetector(chance_loss=stall.known_chance if "stall" in wanted else None),
        "stall": stall,
        "weight_growth": WeightGrowthDetector(num_layers),
    }
    return [d for k, d in made.items() if k in wanted]
