"""The guard's recovery and attribution surface: the latest rollback and snapshot, the learning-rate factor,
carried-state reset hooks, the batch skipper and attribution (a mixin of :class:`~gradguard.Guard`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .decision import StepReport
from .events import Event
from .mitigation.actuator import RollbackInfo
from .mitigation.batches import SkipBatches

__all__ = ["GuardRecovery"]


class GuardRecovery:
    """Recovery properties and helpers of :class:`~gradguard.Guard` (it sets ``_actuator`` and ``_reset_hooks``)."""

    _actuator: Any
    _reset_hooks: Any

    @property
    def last_rollback(self) -> RollbackInfo | None:
        """The latest rollback (its step, the step restored to and the batches to skip), or None."""
        return self._actuator.last_rollback

    @property
    def last_snapshot_step(self) -> int | None:
        """The step the newest kept snapshot was taken after, or None (no rollback policy or no snapshot yet)."""
        store = self._actuator.store
        return None if store is None else store.last_step

    @property
    def lr_scale(self) -> float:
        """The product of every learning-rate factor the guard applied (1.0: the rates are the user's own).

        With :meth:`step`, a loop that writes its own ``param_group["lr"]`` every iteration (nanoGPT's schedule)
        keeps the back-off: a rate written since the last step is multiplied by ``lr_scale`` before the
        optimizer steps."""
        return self._actuator.lr_scale

    def on_reset(self, hook: Callable[[StepReport], Any]) -> Callable[[StepReport], Any]:
        """Register ``hook(report)``, called when a step reports ``reset_state`` (a carried state went non-finite).

        For state held inside the model (``guard.on_reset(lambda r: model.reset_state())``); a state held in the
        loop is reset there: ``if report.reset_state: hidden = model.init_hidden(batch_size)``. Returns ``hook``.
        """
        return self._reset_hooks.add(hook)

    def batches(self, loader: Any, *, replay: bool = True, **options: Any) -> SkipBatches:
        """Wrap a data loader so that after a rollback the batches that led there are not fed again.

        See :class:`~gradguard.SkipBatches` (``options``: ``drop_culprits``, ``drop_file``, ``sample_ids``); use
        one ``guard.step`` per batch.
        """
        return SkipBatches(loader, self, replay=replay, **options)

    def attribute(self, event: Event, *, inputs: Any = None, targets: Any = None, batch: Any = None,
                  closure: Callable[[nn.Module], torch.Tensor] | None = None) -> Event:
        """Replay a ``loss_spike``, ``explode`` or ``nonfinite`` event: ``data``, ``state`` or ``hardware``, and the
        culprit samples; returns the event with ``evidence["attribution"]`` (see :mod:`gradguard.attribution`).

        Pass the step's batch (``inputs``/``targets``, ``batch`` for ``AttributeSpikes(batch_loss=...)``, or a
        ``closure``) unless an :class:`~gradguard.attribution.AttributeSpikes` in the policy already replayed it.
        Changes nothing of the model, optimizer or RNG."""
        from .attribution import attribute_event

        return attribute_event(self, event, inputs=inputs, targets=targets, batch=batch, closure=closure)

