"""Events: what a detector or the guard raises, always with its evidence.

An :class:`Event` names the step, the kind, the layers and the numbers that triggered it, so that nothing is
flagged, skipped or changed without a written reason. Events are plain data (JSON-serialisable evidence) and are
stored in the run record as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["EVENT_KINDS", "SEVERITIES", "Event"]

#: The public contract of event kinds.
EVENT_KINDS: tuple[str, ...] = (
    "nonfinite",  # NaN/Inf in the loss, a gradient or a weight
    "explode",  # gradient norm far above its own history or a ceiling
    "vanish",  # a layer stopped learning: gradient tiny against its (first) weights and the other layers
    "loss_spike",  # loss far above its recent history
    "divergence",  # loss rising over a window, or above twice its start within the first steps
    "stall",  # loss does not move: never improved, frozen, or at its start while the weights move hard (not_learning)
    "weight_growth",  # a layer's weight norm grows without bound
    "amp_overflow",  # a GradScaler overflow step (the scaler's own business, not an explosion)
    "clip",  # the guard scaled the gradients down
    "skip",  # the guard did not apply a step
    "rollback",  # the guard restored a snapshot
    "lr_change",  # the guard changed the learning rate
    "precursor",  # Adam's second moment under-estimates the gradient (RMS of g^2/v high): a spike may follow
    "attention_logit_growth",  # a max attention logit (q.k/sqrt(d)) far above healthy: attention collapsing
    "logit_divergence",  # log Z of the output logits drifting from its start
    "grads_not_cleared",  # each backward added to the last step's gradient: no zero_grad between steps
)

SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")


@dataclass(frozen=True)
class Event:
    """One thing that happened at one step, with the evidence for it.

    Attributes:
        step: optimizer-step index (0-based) the event refers to.
        kind: one of :data:`EVENT_KINDS`.
        severity: one of :data:`SEVERITIES`.
        message: one human sentence.
        layers: qualified names of the layers concerned, ordered from the input side where that is known.
        evidence: the numbers that triggered it (JSON-serialisable values: thresholds, observed values, windows).
        causes: ranked causes attached by diagnosis (dicts), empty until diagnosed.
    """

    step: int
    kind: str
    severity: str
    message: str
    layers: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    causes: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"Event kind {self.kind!r} is not one of {EVENT_KINDS}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"Event severity {self.severity!r} is not one of {SEVERITIES}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        d = asdict(self)
        d["layers"] = list(self.layers)
        d["evidence"] = dict(self.evidence)
        d["causes"] = [dict(c) for c in self.causes]
        return d
