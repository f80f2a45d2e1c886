"""Policies: pure decisions over a step's statistics and events. Only the guard acts on them.

A policy is an object with ``decide(stats, events) -> Decision`` and ``state_dict``/``load_state_dict``.
Factories are verb phrases (:func:`skip_nonfinite`, :func:`clip_by_global_norm`) and :func:`chain` composes them:
a chained step is skipped if any member skips it (the first reason is kept) and its gradients are scaled by the
smallest clip coefficient any member asks for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from .decision import Decision
from .errors import ConfigError
from .events import Event
from .stats import StepStats

__all__ = ["PRESETS", "Policy", "chain", "clip_by_global_norm", "resolve_policy", "skip_nonfinite"]


@runtime_checkable
class Policy(Protocol):
    """A pure decision rule with saveable state."""

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class _Stateless:
    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None


class SkipNonFinite(_Stateless):
    """Skip a step whose loss or gradients hold NaN/Inf (the optimizer never sees them)."""

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        if not stats.grads_finite:
            return Decision(skip=True, reason="nonfinite_grad",
                            evidence={"grad_norm": stats.grad_norm, "nonfinite_elements": stats.nonfinite_grads})
        if not stats.loss_finite:
            return Decision(skip=True, reason="nonfinite_loss", evidence={"loss": stats.loss})
        return Decision()

    def __repr__(self) -> str:
        return "skip_nonfinite()"


class ClipByGlobalNorm(_Stateless):
    r"""Scale all gradients by :math:`\min(1, c / \lVert g \rVert_2)` (Pascanu et al. 2013).

    Unlike ``torch.nn.utils.clip_grad_norm_`` the gradients are touched only when the norm exceeds ``c``.
    """

    def __init__(self, max_norm: float) -> None:
        if not isinstance(max_norm, (int, float)) or not math.isfinite(max_norm) or max_norm <= 0:
            raise ConfigError("max_norm", max_norm, "a finite number > 0 (the global L2 norm to clip to)")
        self.max_norm = float(max_norm)

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        norm = stats.grad_norm
        if math.isfinite(norm) and norm > self.max_norm:
            return Decision(clip_coef=self.max_norm / norm, reason="clip_norm",
                            evidence={"grad_norm": norm, "max_norm": self.max_norm})
        return Decision()

    def __repr__(self) -> str:
        return f"clip_by_global_norm({self.max_norm})"


class Chain:
    """Several policies as one: skip if any skips; clip by the smallest coefficient."""

    def __init__(self, *policies: Policy) -> None:
        for i, p in enumerate(policies):
            if not isinstance(p, Policy):
                raise ConfigError(f"policies[{i}]", p, "an object with decide(), state_dict() and load_state_dict()")
        self.policies: tuple[Policy, ...] = policies

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        decisions = [p.decide(stats, events) for p in self.policies]
        for d in decisions:
            if d.skip:
                return d
        clipped = [d for d in decisions if d.clip_coef < 1.0]
        if not clipped:
            return Decision()
        return min(clipped, key=lambda d: d.clip_coef)

    def state_dict(self) -> dict[str, Any]:
        return {str(i): p.state_dict() for i, p in enumerate(self.policies)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for i, p in enumerate(self.policies):
            p.load_state_dict(state.get(str(i), {}))

    def __repr__(self) -> str:
        return "chain(" + ", ".join(repr(p) for p in self.policies) + ")"


def skip_nonfinite() -> Policy:
    """Skip steps with a non-finite loss or gradient."""
    return SkipNonFinite()


def clip_by_global_norm(max_norm: float) -> Policy:
    """Clip the global gradient L2 norm to ``max_norm`` (> 0)."""
    return ClipByGlobalNorm(max_norm)


def chain(*policies: Policy) -> Policy:
    """Compose policies (see module docstring for how decisions combine)."""
    return Chain(*policies)


#: Named presets. ``monitor`` observes only; ``safe`` (the default) never lets a NaN/Inf reach the weights.
PRESETS: dict[str, Any] = {
    "monitor": lambda: Chain(),
    "safe": lambda: Chain(SkipNonFinite()),
}


def resolve_policy(policy: str | Policy) -> Policy:
    """A preset name or a policy object -> a policy object."""
    if isinstance(policy, str):
        if policy not in PRESETS:
            raise ConfigError("policy", policy, f"one of {sorted(PRESETS)} or a Policy object")
        return PRESETS[policy]()  # type: ignore[no-any-return]
    if not isinstance(policy, Policy):
        raise ConfigError("policy", policy, f"one of {sorted(PRESETS)} or a Policy object")
    return policy
