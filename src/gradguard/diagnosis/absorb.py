"""The one operation of :mod:`.explain`'s model: a finding is demoted to its cause's consequence."""

from __future__ import annotations

from .findings import SEVERITIES, Finding

__all__ = ["absorb", "direction", "strong"]


def strong(f: Finding) -> bool:
    """A warning or critical finding."""
    return f.severity != "info"


def direction(f: Finding) -> int:
    """+1 when the finding's quantity is too large (growth), -1 too small, 0 neither."""
    return f.direction


def absorb(cause: Finding, consequence: Finding, why: str) -> None:
    """Demote ``consequence`` to ``info`` as ``cause``'s consequence (``why`` says how one sets the other); ``cause``
    takes its severity and score when higher and lists it under ``evidence["consequences"]``."""
    if SEVERITIES.index(consequence.severity) > SEVERITIES.index(cause.severity):
        cause.severity = consequence.severity
    cause.score = max(cause.score, consequence.score)
    cause.evidence.setdefault("consequences", []).append(
        {"cause": consequence.cause, "severity": consequence.severity, "what": consequence.message})
    consequence.severity = "info"
    consequence.evidence["consequence_of"] = cause.cause
    consequence.message = f"A consequence of the {cause.cause} finding ({why}): {consequence.message}"
    consequence.prescription = (f"Fix the {cause.cause} finding first, then check again: this follows from it. "
                                f"(Taken alone: {consequence.prescription})")
    consequence.code = ""
    consequence.score = min(consequence.score, 0.1)
