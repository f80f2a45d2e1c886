"""The guard's setup helpers: option checks, the record writer, small readers of optimizer and scaler state."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .diagnosis.optcopy import needs_closure
from .errors import ConfigError

#: Every keyword option of :class:`~gradguard.Guard` (for "did you mean" on a misspelt one).
OPTIONS = ("run_dir", "policy", "scaler", "scheduler", "loss_fn", "update_every", "flush_every",
           "flush_seconds", "sinks", "tensorboard", "resume", "detectors", "max_flight_records", "diagnose_every",
           "max_consecutive_skips", "sync", "sample_every")

#: The values of ``Guard(sync=...)`` (see :mod:`gradguard.deferred`).
SYNC_MODES = ("blocking", "deferred")


def check_arguments(model: object, optimizer: object, scaler: object, scheduler: object, run_dir: object,
                    loss_fn: object) -> None:
    """Refuse, with a :class:`ConfigError` naming the setting, a guard argument of the wrong kind."""
    if not isinstance(model, nn.Module):
        raise ConfigError("model", type(model).__name__, "a torch.nn.Module")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise ConfigError("optimizer", type(optimizer).__name__,
                          "a torch.optim.Optimizer, or None for a loop that updates the weights by hand")
    if optimizer is not None and needs_closure(optimizer):
        raise ConfigError("optimizer", type(optimizer).__name__,
                          "an optimizer whose step() needs no closure (Adam, SGD, ...), or None",
                          f"{type(optimizer).__name__}.step(closure) re-evaluates the loss several times within one "
                          "step, so there is no single gradient for the guard to measure, skip or clip before it. "
                          "Watch such a run with Guard(model, None, policy='monitor') and guard.observe(loss) once per "
                          "outer step, after optimizer.step(closure) returned its loss")
    if scaler is not None and not isinstance(scaler, torch.amp.GradScaler):
        raise ConfigError("scaler", type(scaler).__name__, "a torch.amp.GradScaler or None")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise ConfigError("scheduler", type(scheduler).__name__, "an LR scheduler (an object with .step()) or None")
    if run_dir is not None and not isinstance(run_dir, (str, os.PathLike)):
        raise ConfigError("run_dir", run_dir, "a directory path (str or os.PathLike) or None")
    if run_dir is not None and Path(run_dir).exists() and not Path(run_dir).is_dir():
        raise ConfigError("run_dir", str(run_dir), "a directory (or a path to create one at); this is a file")
    if loss_fn is not None and not callable(loss_fn):
        raise ConfigError("loss_fn", loss_fn, "a callable loss_fn(outputs, targets) -> loss, or None")


def full_stats_needed(policy: Any, detectors: list[Any]) -> bool:
    """Whether a policy member or detector reads the weight norms or per-layer max-abs at every step, so that
    ``Guard(sample_every=...)`` must measure every step: an object whose ``needs_full_stats`` is True,
    ``clip_by_value`` and ``clip_unitwise``, and any policy member or detector not defined in gradguard (unknown
    readers)."""
    from .mitigation.clipping import ClipByValue, ClipUnitwise

    members: list[Any] = []
    todo = [policy]
    while todo:
        p = todo.pop()
        members.append(p)
        todo.extend(getattr(p, "policies", ()))
    for obj in (*members, *detectors):
        declared = getattr(obj, "needs_full_stats", None)
        if declared is not None:
            if declared:
                return True
            continue
        if isinstance(obj, (ClipByValue, ClipUnitwise)) or not type(obj).__module__.startswith("gradguard."):
            return True
    return False


def bind_model(detectors: list[Any], model: nn.Module, loss_fn: Any, optimizer: Any = None) -> None:
    """Hand the model and the guard's ``loss_fn`` to every detector with a ``bind_model(model, loss_fn)`` method
    (:class:`~gradguard.detectors.StallDetector` infers the chance loss ``log(C)`` from the model's first output),
    and ``optimizer`` (when given) to every one with a ``set_optimizer(optimizer)`` method
    (:class:`~gradguard.detectors.ExplodeDetector` judges by whether the step is normalised). The guard calls this
    once, after its detectors are built."""
    for detector in detectors:
        bind = getattr(detector, "bind_model", None)
        if callable(bind):
            bind(model, loss_fn)
        hook = getattr(detector, "set_optimizer", None)
        if optimizer is not None and callable(hook):
            hook(optimizer)


def check_sync(sync: object) -> str:
    if sync not in SYNC_MODES:
        raise ConfigError("sync", sync, "'blocking' (default: read each step's statistics at once) or 'deferred' "
                          "(decide on the device, read one step late)")
    return sync  # type: ignore[return-value]


def check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(name, value, f"an integer >= {minimum}")
    return value


def check_positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(name, value, "a finite number > 0")
    return float(value)


def unknown_option(unknown: Mapping[str, Any]) -> ConfigError:
    """The error for a keyword the guard does not take, with the closest option it does."""
    import difflib

    name = next(iter(unknown))
    close = difflib.get_close_matches(name, OPTIONS, n=1)
    return ConfigError(name, unknown[name], f"one of the options {', '.join(OPTIONS)}",
                       f"Did you mean {close[0]!r}?" if close else "")


def open_writer(guard: Any, run_dir: Any, sinks: list[Any], tensorboard: Any, resume: bool, policy: Any) -> Any:
    """The background record writer over the SQLite sink (with ``run_dir``), TensorBoard and extra sinks."""
    from .record import RunWriter, SQLiteSink
    from .record.meta import run_meta

    if run_dir is not None:
        sinks = [SQLiteSink(run_dir, resume=resume), *sinks]
    if tensorboard:
        from .sinks.tensorboard import TensorBoardSink

        if tensorboard is True:
            if run_dir is None:
                raise ConfigError("tensorboard", True, "a log directory, or True together with run_dir")
            tensorboard = Path(run_dir) / "tensorboard"
        sinks.append(TensorBoardSink(tensorboard))
    return RunWriter(sinks, guard.inventory.layers, run_meta(guard, policy),
                     flush_every=guard.flush_every, flush_seconds=guard.flush_seconds)


def scaler_stage(scaler: torch.amp.GradScaler, optimizer: torch.optim.Optimizer) -> str:
    """'ready' if the optimizer's grads are still scaled, 'unscaled' if the user already unscaled them."""
    state = scaler._per_optimizer_states[id(optimizer)]
    return "unscaled" if state["stage"].name == "UNSCALED" else "ready"


def group_lr(group: Mapping[str, Any]) -> float:
    lr = group.get("lr", float("nan"))
    return float(lr.item()) if isinstance(lr, torch.Tensor) else float(lr)


def update_scaler_on_skip(scaler: torch.amp.GradScaler, overflow: bool) -> None:
    """``scaler.update()`` after a skipped step: it must run (it closes the step's ``unscale_``), and after an
    overflow it lowers the scale as GradScaler does; after a skip of finite gradients (an outlier) the scaler saw
    no step, so its scale and growth count are put back as they were (device copies, no host read)."""
    scale, tracker = getattr(scaler, "_scale", None), getattr(scaler, "_growth_tracker", None)
    keep = None if overflow or scale is None or tracker is None else (scale.clone(), tracker.clone())
    scaler.update()
    if keep is not None:
        scaler._scale.copy_(keep[0])  # type: ignore[union-attr]
        scaler._growth_tracker.copy_(keep[1])  # type: ignore[union-attr]
