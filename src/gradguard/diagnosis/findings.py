"""What a diagnosis says: :class:`Finding` (one cause, its evidence and its fix) and :class:`Diagnosis` (all of them).

A finding's ``score`` is how much of the measured trouble it explains, in decades (``log10`` of a gain or of a
ratio against its healthy value); findings are ranked by severity, then score.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import GradGuardError
from ..record._json import to_jsonable

__all__ = ["CAUSES", "SEVERITIES", "Diagnosis", "DiagnosisError", "Finding"]

#: every cause a finding can name
CAUSES: tuple[str, ...] = (
    "init", "activation", "depth", "recurrence", "lr", "normalization", "regularization", "data", "numeric",
)
#: severities, mildest first
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")


class DiagnosisError(GradGuardError, ValueError):
    """The pre-flight probe could not run on what it was given (batch, model or loss function)."""


@dataclass
class Finding:
    """One named cause of gradient trouble, with the numbers that show it and the fix for it.

    Attributes:
        cause: one of :data:`CAUSES`.
        layers: qualified module names involved (``""`` is the root module).
        severity: ``"info"`` (worth knowing), ``"warning"`` (will hurt training) or ``"critical"`` (training
            will fail or diverge).
        confidence: 0..1, how sure the probe is that this cause is real and acts as described.
        evidence: measured numbers next to their expected (healthy) values; JSON-serialisable.
        message: what is wrong, in plain words.
        prescription: what to do about it, in plain words.
        code: a short Python snippet that applies the prescription.
        score: decades of measured trouble this cause explains (ranking key after severity).
    """

    cause: str
    layers: list[str]
    severity: str
    confidence: float
    evidence: dict[str, Any]
    message: str
    prescription: str
    code: str
    score: float = 0.0

    def __post_init__(self) -> None:
        if self.cause not in CAUSES:
            raise ValueError(f"unknown cause {self.cause!r}; expected one of {CAUSES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}; expected one of {SEVERITIES}")
        self.confidence = float(min(1.0, max(0.0, self.confidence)))
        self.score = float(self.score) if math.isfinite(self.score) else 0.0

    @property
    def direction(self) -> int:
        """``evidence["direction"]`` as an int: +1 the signal or gradient grows, -1 it shrinks, 0 not said."""
        d = self.evidence.get("direction")
        return int(d) if isinstance(d, int | float) else 0

    @property
    def rank_key(self) -> tuple[int, float]:
        """Sort key: severity first, then the decades of trouble explained."""
        return (SEVERITIES.index(self.severity), self.score)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return to_jsonable(asdict(self))


@dataclass
class Diagnosis:
    """The result of :func:`gradguard.diagnosis.check`: findings ranked by how much they explain.

    Attributes:
        findings: ranked, most explanatory first.
        cost: passes the probe made, e.g. ``{"forward": 1, "backward": 1, "optimizer_step": 1}``.
        notes: checks that were skipped and why.
        profile: the measured signal-propagation profile (per weight layer: output RMS, output-gradient norm).
    """

    findings: list[Finding] = field(default_factory=list)
    cost: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    profile: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.findings.sort(key=lambda f: f.rank_key, reverse=True)

    @property
    def healthy(self) -> bool:
        """True when no finding is a warning or critical."""
        return all(f.severity == "info" for f in self.findings)

    @property
    def top(self) -> Finding | None:
        """The finding that explains most, or None when there is none."""
        return self.findings[0] if self.findings else None

    @property
    def causes(self) -> list[str]:
        """Causes of the warning/critical findings, ranked, each once."""
        out: list[str] = []
        for f in self.findings:
            if f.severity != "info" and f.cause not in out:
                out.append(f.cause)
        return out

    def by_cause(self, cause: str) -> list[Finding]:
        """Findings naming ``cause``, ranked."""
        return [f for f in self.findings if f.cause == cause]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (``json.dumps(d.to_dict())`` works)."""
        return to_jsonable({
            "healthy": self.healthy,
            "findings": [f.to_dict() for f in self.findings],
            "cost": dict(self.cost),
            "notes": list(self.notes),
            "profile": list(self.profile),
        })

    def render(self, verbose: bool = False) -> str:
        """Text report, one block per finding."""
        from .render import render_diagnosis

        return render_diagnosis(self, verbose=verbose)

    def __str__(self) -> str:
        return self.render()


