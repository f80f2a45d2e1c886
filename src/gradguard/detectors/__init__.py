"""Detectors: pure functions of a step's statistics and a saveable history, raising events with evidence."""

from __future__ import annotations

from .base import Detector
from .nonfinite import NonFiniteDetector

__all__ = ["Detector", "NonFiniteDetector"]
