"""A GradScaler in the deferred mode (issue 16 item 1): ``guard.step`` with an enabled scaler and a fused optimizer.

As the blocking mode does, the step is unscaled on the device (``scaler.unscale_``: the scaler records its own
``found_inf``) and the scale is packed with the statistics. The guard's skip (``skip_nonfinite``'s ``found_inf``,
which covers every overflow: the gradients' sum of squares is then not finite) goes to the fused step; then
``scaler.update()`` lowers the scale after the scaler's own overflow or lets it grow after an applied step, and
after a skip of finite gradients (an outlier, a NaN loss) the scale and the growth count are put back by
``torch.where`` (:func:`update_scaler_on_device`), as the blocking mode's
:func:`~gradguard._guard_setup.update_scaler_on_skip` does with a host-decided copy. The late read follows the
blocking mode's ``amp_overflow`` branch (:func:`amp_overflow_decision`). Weights, optimizer state, scale and growth
count are bit-equal to the blocking mode's (``tests/test_h16b_scaler.py``). A flight record of a step read late
holds the scaler's state after that step's update (the blocking mode's: before it).

A policy without ``skip_nonfinite`` falls back to the blocking read: past ``amp_patience`` overflows in a row the
detector hands an overflow to the policy, which the device cannot know without reading the count; so do parameters
on several devices. :meth:`~gradguard.Guard.observe` with a scaler (the trainer calls ``scaler.step`` and
``scaler.update``) runs deferred too: the guard's skip is written into the scaler's own overflow flag, which the
trainer's ``scaler.step`` hands the fused step, and put back after that step for the trainer's ``update`` (see
:meth:`~gradguard.deferred.DeferredSteps._arm_scaler`); bit-equal to the blocking ``observe``
(``tests/test_h16b_scaler.py``).
"""

from __future__ import annotations

from typing import Any

import torch

from ._guard_setup import scaler_stage
from .decision import Decision
from .stats_types import StepStats

__all__ = ["amp_overflow_decision", "enabled_scaler", "scaler_flags", "unscale", "update_scaler_on_device",
           "write_scaler_flag"]


def enabled_scaler(guard: Any) -> Any:
    """The guard's GradScaler when it is enabled, else None."""
    scaler = guard.scaler
    return scaler if scaler is not None and scaler.is_enabled() else None


def unscale(guard: Any) -> torch.Tensor | None:
    """Unscale the step's gradients with the guard's enabled GradScaler (unless the loop already did: the scaler
    records its own ``found_inf``) and return its scale as a device tensor (no host read); None without one."""
    scaler = enabled_scaler(guard)
    if scaler is None:
        return None
    if scaler_stage(scaler, guard.optimizer) == "ready":
        scaler.unscale_(guard.optimizer)
    return scaler._get_scale_async()  # type: ignore[no-any-return]


def amp_overflow_decision(stats: StepStats, events: list[Any]) -> Decision | None:
    """The skip of a GradScaler overflow (the scaler's own business: no policy decides it), or None: non-finite
    gradients with a scale packed and an ``amp_overflow`` event (see the ``nonfinite`` detector's limits)."""
    if stats.scale is not None and not stats.grads_finite and any(e.kind == "amp_overflow" for e in events):
        return Decision(skip=True, reason="amp_overflow", evidence={"scale": stats.scale})
    return None


def update_scaler_on_device(scaler: Any, found: torch.Tensor, gsq: torch.Tensor) -> None:
    """``scaler.update()`` after a fused step given ``found`` (the guard's skip): as the blocking mode's, without a
    host read. The scaler lowers its scale on its own overflow; a skip of finite gradients (an outlier, a NaN loss)
    puts its scale and growth count back as they were (``torch.where``), as
    :func:`~gradguard._guard_setup.update_scaler_on_skip` does."""
    scale, tracker = scaler._scale, scaler._growth_tracker
    keep = (found > 0) & torch.isfinite(gsq)
    old = scale.clone(), tracker.clone()
    scaler.update()
    torch.where(keep, old[0], scale, out=scale)  # in place (an elementwise op may write over its own input)
    torch.where(keep, old[1], tracker, out=tracker)


def scaler_flags(scaler: Any, opt: Any) -> dict[Any, torch.Tensor] | None:
    """The GradScaler's ``found_inf_per_device`` for the optimizer its ``unscale_`` was called with (``opt`` or the
    torch optimizer inside it), or None when none is recorded."""
    states = scaler._per_optimizer_states
    for _ in range(4):
        if opt is None:
            return None
        state = states.get(id(opt))  # a defaultdict: get() adds nothing
        if state is not None and state["found_inf_per_device"]:
            return state["found_inf_per_device"]  # type: ignore[no-any-return]
        opt = getattr(opt, "optimizer", None)
    return None


def write_scaler_flag(scaler: Any, opt: Any, found: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Write the guard's skip into the scaler's one per-device overflow flag, in place (what the trainer's
    ``scaler.step`` hands the fused step as ``found_inf``); return ``(flag, its own value)`` to put back after that
    step (see :meth:`~gradguard.deferred.DeferredSteps._arm_scaler`)."""
    flags = scaler_flags(scaler, opt)
    if flags is None:  # no unscale_ recorded for this optimizer: nothing the trainer's step would read
        raise RuntimeError("gradguard: observe() with a GradScaler found no unscale_ record for the optimizer")
    (own,) = flags.values()
    saved = own.clone()
    own.copy_(found)
    return own, saved
