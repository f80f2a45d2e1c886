"""Faults that leave one batch's gradients looking healthy but stop a run from learning: a loss dominated by a
penalty, a learning rate far too small for the optimizer, a loss whose best prediction is no better than chance.
Empty until its rules are written (issue 12, session 12)."""

from __future__ import annotations

from typing import Any

import torch

from .batch import StepSpec
from .findings import Finding
from .probe import ProbeResult
from .stepsize import StepAnalysis

__all__ = ["quiet_findings"]


def quiet_findings(probe: ProbeResult, step: StepSpec, optimizer: torch.optim.Optimizer | None,
                   stepped: StepAnalysis | None, lrs: list[float] | None, peak_lrs: list[float] | None,
                   scheduler: Any = None) -> list[Finding]:
    """Findings for faults that one batch's gradients do not show (none yet)."""
    return []
