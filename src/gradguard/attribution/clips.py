"""Attribute heavy clips and outlier skips too: a policy wrapper that replays a step its policy clips below 0.1 of
its norm or skips as a gradient outlier, when no spike event fired.

A corrupted sample whose gradient the clip absorbs raises no spike event: on pytorch/examples' MNIST net with three
x1000 images, 13 of the 18 steps that held one drew a heavy clip (the guard's ``clip`` event) and no spike, so
:class:`~gradguard.attribution.AttributeSpikes` never named them and they were fed again every epoch. Heavy clips
and outlier skips are rare on healthy runs (neither in 4,200 steps of the judgment corpus's 21 healthy development
models under ``recover``), so attributing them costs nothing there; the ``data`` verdict still needs a culprit with
a data anomaly, so a clean but hard batch is ``state`` and nothing is dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ..decision import Decision
from ..errors import ConfigError
from ..events import Event
from ..mitigation.actuator import HEAVY_CLIP, Actuator
from ..stats import StepStats
from ._verdict import SPIKE_KINDS
from .keeper import AttributeSpikes, find_attributor

__all__ = ["AttributeClips", "attributed"]


class AttributeClips:
    """Wraps a policy holding an :class:`AttributeSpikes`: a step the policy clips to less than ``HEAVY_CLIP`` (0.1)
    of its norm, or skips as a gradient outlier (``outlier_grad``), with no spike event, is attributed before it is
    applied; the result goes into the decision's evidence, so the guard's ``clip`` or ``skip`` event carries it under
    ``"attribution"`` (and ``drop_culprits`` drops its culprits: from later batches, and from the skipped batch,
    which is fed again without them). Everything else is the wrapped policy's.

    Args:
        policy: the policy (a chain holding an ``AttributeSpikes``; see :func:`attributed`).

    Raises:
        ConfigError: ``policy`` holds no ``AttributeSpikes``.
    """

    def __init__(self, policy: Any) -> None:
        keeper = find_attributor(policy)
        if keeper is None:
            raise ConfigError("policy", policy, "a policy holding an AttributeSpikes, e.g. "
                              "chain(AttributeSpikes(), recover()) (or use attributed(recover()))")
        self.policies = (policy,)
        self.keeper: AttributeSpikes = keeper

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        decision: Decision = self.policies[0].decide(stats, events)
        if decision.rollback or decision.halt or any(e.kind in SPIKE_KINDS for e in events):
            return decision  # a spike is attributed as one already
        found = None
        typical = decision.evidence.get("typical_norm")
        if decision.skip and decision.reason == "outlier_grad" and isinstance(typical, (int, float)):
            found = self.keeper.attribute_skip(stats, float(typical))
        elif not decision.skip and decision.clips:
            coef = Actuator.effective_coef(decision, stats)
            if coef < HEAVY_CLIP:
                found = self.keeper.attribute_clip(stats, coef)
        if found is None:
            return decision
        return dataclasses.replace(decision, evidence={**decision.evidence, "attribution": found})

    def state_dict(self) -> dict[str, Any]:
        return {"policy": self.policies[0].state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policies[0].load_state_dict(state.get("policy", {}))

    def __repr__(self) -> str:
        return f"AttributeClips({self.policies[0]!r})"


def attributed(policy: Any, **keeper: Any) -> AttributeClips:
    """``policy`` with spikes and heavy clips attributed: ``AttributeClips(chain(AttributeSpikes(**keeper), policy))``.

    Example::

        guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=attributed(gradguard.safe()))
        for x, y in guard.batches(loader, drop_culprits=True):
            ...
    """
    from ..policy import chain

    return AttributeClips(chain(AttributeSpikes(**keeper), policy))
