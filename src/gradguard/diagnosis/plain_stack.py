"""Deep stacks that nothing keeps trainable: many weight layers in a row with no residual path and no normalisation
(or a residual stream with no normalisation at all). At initialisation their signal can look healthy on one batch;
training then stalls or diverges. Empty until its rules are written (issue 12, session 12)."""

from __future__ import annotations

from .findings import Finding
from .probe import ProbeResult
from .propagation import Propagation

__all__ = ["plain_stack_findings"]


def plain_stack_findings(probe: ProbeResult, prop: Propagation) -> list[Finding]:
    """Findings for a deep stack with neither residual connections nor normalisation (none yet)."""
    return []
