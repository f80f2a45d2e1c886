"""Carried state: a tensor the loop feeds from one batch to the next (an RNN hidden state, a registered buffer).

One non-finite batch poisons such a state, and from then on every batch is non-finite however good its data: the
step is skipped, the next one is too, and the run halts. The guard tells the two apart and says when the state must
be reset (``StepReport.reset_state``):

- ``guard.step(loss, state=hidden)``: on a non-finite step (only then; a healthy step costs nothing) the state the
  step hands to the next batch is scanned; if it holds NaN/Inf it must be reset, whichever batch poisoned it;
- forensics (``inputs=`` with ``loss_fn`` or ``closure``): the batch is finite but a tensor fed to the model is not
  (a forward argument that is not the batch, or only buffers are non-finite): phase ``state``.

Resetting is then one line in the loop (``if report.reset_state: hidden = model.init_hidden(bsz)``) or a callback
registered with :meth:`gradguard.Guard.on_reset` for state held inside the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ConfigError
from .events import Event
from .forensics import count_nonfinite, iter_tensors

__all__ = ["ADVICE", "ResetHooks", "mark_carried", "reset_reason"]

#: The advice the guard gives when a carried state is non-finite.
ADVICE = "state carried from an earlier batch is non-finite: reset it (StepReport.reset_state, Guard.on_reset)"


def _state_nonfinite(state: Any) -> tuple[int, int, list[str]]:
    nan = inf = 0
    paths = []
    for path, tensor in iter_tensors(state, "state"):
        n, i = count_nonfinite(tensor)
        if n or i:
            nan, inf = nan + n, inf + i
            paths.append(path)
    return nan, inf, paths


def reset_reason(finite: bool, events: Sequence[Event], state: Any) -> str | None:
    """Why the carried state must be reset after this step, or None.

    Args:
        finite: whether the step's loss and gradients were finite (the state is only scanned when not).
        events: the step's events; a ``nonfinite`` event whose forensics found phase ``state`` counts.
        state: what the user passed as ``state=`` (tensors in any nesting), or None.
    """
    if finite:
        return None
    if state is not None:
        nan, inf, paths = _state_nonfinite(state)
        if paths:
            return (f"the state this step carries to the next batch ({', '.join(paths[:4])}) holds {nan} NaN, "
                    f"{inf} Inf: reset it before the next batch")
    for event in events:
        origin = event.evidence.get("origin") if event.kind == "nonfinite" else None
        if isinstance(origin, dict) and origin.get("phase") == "state":
            return str(origin.get("detail") or ADVICE)
    return None


def mark_carried(events: Sequence[Event], reason: str) -> list[Event]:
    """``events`` with ``evidence["carried_state"] = True`` and the advice on the non-finite ones, so that policies
    do not answer a poisoned carried state with a rollback or a lower learning rate (neither would fix it)."""
    return [dataclasses.replace(e, evidence={**e.evidence, "carried_state": True, "advice": reason})
            if e.kind == "nonfinite" else e for e in events]


class ResetHooks:
    """Callables run (with the :class:`~gradguard.StepReport`) when a step reports ``reset_state``."""

    def __init__(self) -> None:
        self.hooks: list[Callable[[Any], Any]] = []

    def add(self, hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
        if not callable(hook):
            raise ConfigError("on_reset", hook, "a callable hook(report) that resets the carried state")
        self.hooks.append(hook)
        return hook

    def run(self, report: Any) -> None:
        for hook in self.hooks:
            hook(report)
