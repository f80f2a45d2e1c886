"""Following the optimizer's parameter set as it changes during a run (issue 14 item 2).

``optimizer.add_param_group``, a parameter frozen when the guard was built and unfrozen later, progressive
unfreezing: each brings parameters the guard did not watch, whose NaN gradients it would otherwise let through.
:class:`ParamSetWatch` notices the change with a check that costs a few integer reads per step (the number of
parameters in each param group) plus one ``requires_grad`` read per parameter that was frozen when last looked at
(none in the usual loop whose optimizer holds only trainable parameters). When it changes, :func:`follow` extends
the inventory in place (append-only: known parameters and layers keep their indices), rebuilds the statistics
collector and grows every detector's per-layer state, carrying what each had learnt.

The run record keeps the layer table it was opened with: per-layer columns of layers added later are not in it
(global figures, events and decisions cover every watched parameter); a warning says so once.
"""

from __future__ import annotations

import dataclasses
import inspect
import operator
import warnings
from typing import Any

import numpy as np

from .inventory import ParamInventory, extend_inventory, optimizer_signature
from .stats import StatsCollector
from .stats_types import StepStats, UpdateStats

__all__ = ["ParamSetWatch", "follow", "grow_detector", "record_stats", "record_update"]

_REQUIRES_GRAD = operator.attrgetter("requires_grad")


class ParamSetWatch:
    """The cheap per-step check that the optimizer's parameter set is the one the inventory was built from."""

    def __init__(self, optimizer: Any, inventory: ParamInventory) -> None:
        self.signature = optimizer_signature(optimizer)
        self.inventory = inventory

    def changed(self, optimizer: Any) -> bool:
        if optimizer_signature(optimizer) != self.signature:
            return True
        frozen = self.inventory.frozen
        return bool(frozen) and any(map(_REQUIRES_GRAD, frozen))


def follow(guard: Any) -> int:
    """Take the optimizer's new parameters into ``guard`` (see the module docstring); returns how many."""
    inventory: ParamInventory = guard.inventory
    old_layers = inventory.num_layers
    added = extend_inventory(inventory, guard.model, guard.optimizer)
    guard._param_watch.signature = optimizer_signature(guard.optimizer)
    if not added:
        return 0
    old = guard._collector
    pending = old.drain_update()  # measured with the old layout: record it now
    if pending is not None and guard._writer is not None:
        guard._writer.add_update(record_update(pending, guard._record_layers))
    collector = StatsCollector(inventory)
    collector.host_reduce = old.host_reduce and not collector._sharded
    guard._collector = collector
    if guard.reduce_packed is not None:  # every rank changes its parameter set at the same step
        from .distributed import attach

        attach(guard)
    grown = inventory.num_layers
    if grown != old_layers:
        guard.detectors[:] = [grow_detector(d, grown) for d in guard.detectors]
        guard._actuator.detectors = list(guard.detectors)
        guard.layer_names = inventory.layer_names()
        if guard._writer is not None and guard._record_layers is None:
            guard._record_layers = old_layers
            warnings.warn(f"gradguard: the run record keeps its {old_layers} layer(s); the per-layer figures of the "
                          f"{grown - old_layers} layer(s) added at step {guard._step} are not recorded (their "
                          "gradients are watched, guarded and in the global figures).", RuntimeWarning, stacklevel=4)
    warnings.warn(f"gradguard: the optimizer's parameter set changed at step {guard._step}: {added} more "
                  f"parameter tensor(s) are watched from now on ({len(inventory.params)} in {grown} layer(s)).",
                  RuntimeWarning, stacklevel=4)
    return added


def record_stats(stats: StepStats, layers: int | None) -> StepStats:
    """``stats`` restricted to the first ``layers`` layers (the record's table), or as it is for None."""
    if layers is None or layers == len(stats.layer_grad_norm):
        return stats
    return dataclasses.replace(
        stats, layer_grad_norm=stats.layer_grad_norm[:layers], layer_grad_maxabs=stats.layer_grad_maxabs[:layers],
        layer_grad_nonfinite=stats.layer_grad_nonfinite[:layers],
        layer_weight_norm=stats.layer_weight_norm[:layers], layer_has_grad=stats.layer_has_grad[:layers])


def record_update(update: UpdateStats, layers: int | None) -> UpdateStats:
    """``update`` restricted to the first ``layers`` layers, or as it is for None."""
    if layers is None or layers == len(update.layer_update_norm):
        return update
    return dataclasses.replace(update, layer_update_norm=update.layer_update_norm[:layers],
                               layer_update_ratio=update.layer_update_ratio[:layers])


def grow_detector(detector: Any, num_layers: int) -> Any:
    """The detector for ``num_layers`` layers, keeping what it learnt about the known ones.

    A detector with ``resize(num_layers)`` does it itself. Otherwise, for a detector built as
    ``type(d)(num_layers, **options)`` (gradguard's per-layer detectors): a fresh one of that size takes the
    old one's public settings (numbers, flags, strings; nested helpers' too) and then its saved state, each
    per-layer array padded with the fresh detector's initial values for the new layers. A detector without a
    ``num_layers`` argument has no per-layer state and is returned as it is.
    """
    resize = getattr(detector, "resize", None)
    if callable(resize):
        resize(num_layers)
        return detector
    try:
        params = list(inspect.signature(type(detector)).parameters)
    except (TypeError, ValueError):
        return detector
    if not params or params[0] != "num_layers":
        return detector
    fresh = type(detector)(num_layers)
    _carry_settings(detector, fresh, depth=2)
    fresh.load_state_dict(_pad_state(fresh.state_dict(), detector.state_dict()))
    return fresh


def _carry_settings(old: Any, fresh: Any, depth: int) -> None:
    for name, value in vars(old).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (bool, int, float, str)) or value is None:
            setattr(fresh, name, value)
        elif depth > 0 and type(getattr(fresh, name, None)) is type(value) and hasattr(value, "__dict__"):
            _carry_settings(value, getattr(fresh, name), depth - 1)


def _pad_state(fresh: Any, old: Any) -> Any:
    """``old`` with every array-like that fits inside ``fresh``'s counterpart padded by ``fresh``'s values."""
    if isinstance(fresh, dict) and isinstance(old, dict):
        return {k: _pad_state(fresh[k], v) if k in fresh else v for k, v in old.items()}
    if isinstance(old, (list, np.ndarray)) and isinstance(fresh, (list, np.ndarray)):
        a, f = np.asarray(old), np.asarray(fresh)
        if a.ndim == f.ndim and a.ndim > 0 and a.shape != f.shape and all(x <= y for x, y in zip(a.shape, f.shape)):
            out = f.astype(np.result_type(a, f), copy=True)
            out[tuple(slice(0, n) for n in a.shape)] = a
            return out.tolist() if isinstance(old, list) else out
    return old
