"""The flight record: everything needed to re-run one training step on another machine, written atomically.

:func:`save_flight_record` writes the step, the batch (on the CPU), the model (the whole pickled object when it
can be pickled, and always its ``state_dict``), the optimizer (class, hyperparameters, ``state_dict``), the RNG
state, the loss function (pickled, else only its qualified name), the library versions and a JSON-able ``extra``
dict. The file appears complete or not at all: it is written to a temporary file in the same directory,
``fsync``-ed and moved into place with ``os.replace`` (atomic on POSIX and Windows).

:func:`replay` rebuilds the step (same weights, batch and RNG state, so the same dropout masks) and runs the
forensics of :mod:`gradguard.forensics` on it.

Security: a flight record is read with ``torch.load(weights_only=True)`` and an allow-list of numpy types
(:mod:`gradguard._safe_load`): tensors, containers, primitives and numpy arrays, nothing that runs code. The pickled
model, loss function and closure it may hold are rebuilt only with ``trust=True`` (CLI: ``gradguard replay
--trust``), since unpickling them can run arbitrary code: pass ``trust=True`` only for records you wrote yourself or
otherwise trust. Without it, pass the model (``model=``, an instance of the architecture) and the loss function or
closure.

Example::

    save_flight_record("runs/exp1/step_1234.flight", model=model, optimizer=opt, step=1234,
                       inputs=x, targets=y, loss_fn=loss_fn, rng_state=rng_before_forward)
    result = replay("runs/exp1/step_1234.flight")
    print(result.reproduced, result.origin.module)
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import pickle
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ._atomic import atomic_torch_save
from ._safe_load import UntrustedFileError
from ._safe_load import load as safe_load
from .errors import GradGuardError
from .forensics import Origin, count_nonfinite, find_nonfinite_origin, iter_tensors
from .replay_paths import script_location
from .rng import capture_rng_state, restore_rng_state

__all__ = ["FLIGHT_FORMAT", "FLIGHT_VERSION", "FlightRecord", "FlightRecordError", "ReplayResult",
           "load_flight_record", "replay", "save_flight_record"]

FLIGHT_FORMAT = "gradguard.flight"
FLIGHT_VERSION = 1
_PICKLE_ERRORS = (pickle.PicklingError, AttributeError, TypeError)


class FlightRecordError(GradGuardError):
    """A flight record could not be written, read or replayed."""


def _qualname(obj: Any) -> str:
    kind = obj if isinstance(obj, type) or (callable(obj) and hasattr(obj, "__qualname__")) else type(obj)
    return f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', repr(kind))}"


def _to_bytes(obj: Any) -> bytes | None:
    """``obj`` serialised with ``torch.save`` (keeps tensors efficient), or ``None`` if it cannot be pickled."""
    buffer = io.BytesIO()
    try:
        torch.save(obj, buffer)
    except (*_PICKLE_ERRORS, RuntimeError):
        return None
    return buffer.getvalue()


def _cpu(obj: Any) -> Any:
    """A copy of ``obj`` with every tensor detached and on the CPU (tuples, lists, dicts rebuilt)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_cpu(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_cpu(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _cpu(v) for k, v in obj.items()}
    return obj


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "torch": str(torch.__version__), "numpy": np.__version__}
    try:
        versions["gradguard"] = metadata.version("gradguard")
    except metadata.PackageNotFoundError:
        versions["gradguard"] = "unknown"
    return versions


def save_flight_record(
    path: str | os.PathLike[str],
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    step: int,
    inputs: Any = None,
    targets: Any = None,
    loss_fn: Callable[..., torch.Tensor] | None = None,
    closure: Callable[[nn.Module], torch.Tensor] | None = None,
    rng_state: Mapping[str, Any] | None = None,
    scaler: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write the flight record of one step to ``path`` atomically and return the path.

    Args:
        rng_state: from :func:`~gradguard.forensics.capture_rng_state` taken *before* the step's forward; without
            it the current state is stored, and a replay with dropout may draw different masks.
        closure: ``closure(model) -> loss``, an alternative to ``loss_fn`` (stored only when picklable).
        scaler: a ``torch.amp.GradScaler`` (its ``state_dict`` is stored).
        extra: JSON-able dict stored as is (events, statistics).
    """
    if extra is not None:
        try:
            json.dumps(extra)
        except (TypeError, ValueError) as exc:
            raise FlightRecordError(f"extra must be JSON-serialisable: {exc}") from None
    path = Path(path)
    payload: dict[str, Any] = {
        "format": FLIGHT_FORMAT, "version": FLIGHT_VERSION, "step": int(step), "created": time.time(),
        "inputs": _cpu(inputs), "targets": _cpu(targets),
        "model_class": _qualname(model), "model_state": model.state_dict(), "model_bytes": _to_bytes(model),
        "model_training": {name: m.training for name, m in model.named_modules()},
        "optimizer": None if optimizer is None else {
            "class": _qualname(optimizer), "defaults": dict(optimizer.defaults),
            "hyperparameters": [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups],
            "state_dict": optimizer.state_dict(),
        },
        "rng_state": dict(rng_state) if rng_state is not None else capture_rng_state(),
        "loss_fn_name": None if loss_fn is None else _qualname(loss_fn),
        "loss_fn_bytes": None if loss_fn is None else _to_bytes(loss_fn),
        "closure_name": None if closure is None else _qualname(closure),
        "closure_bytes": None if closure is None else _to_bytes(closure),
        "scaler_state": None if scaler is None else scaler.state_dict(),
        "versions": _versions(), "extra": dict(extra or {}), "script": script_location(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_torch_save(payload, path)
    except BaseException as exc:
        if isinstance(exc, Exception) and not isinstance(exc, GradGuardError):
            raise FlightRecordError(f"the flight record of step {step} was not written: {exc}") from exc
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    return path


@dataclass
class FlightRecord:
    """A flight record as read back; the pickled model and loss function are rebuilt on demand."""

    path: Path
    step: int
    inputs: Any
    targets: Any
    model_class: str
    model_state: dict[str, torch.Tensor]
    model_bytes: bytes | None
    model_training: dict[str, bool]
    optimizer: dict[str, Any] | None
    rng_state: dict[str, Any]
    loss_fn_name: str | None
    loss_fn_bytes: bytes | None
    closure_name: str | None
    closure_bytes: bytes | None
    scaler_state: dict[str, Any] | None
    versions: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0
    script: dict[str, Any] = field(default_factory=dict)  # where the training ran (replay_paths.script_location)
    trusted: bool = False  # loaded with trust=True: the pickled model, loss function and closure may be rebuilt

    def build_model(self, map_location: str | torch.device = "cpu") -> nn.Module:
        """The recorded model object with the recorded weights and training flags (its class must be importable)."""
        if self.model_bytes is None:
            raise FlightRecordError(f"{self.path}: the model ({self.model_class}) could not be pickled when the "
                                    "record was written; pass an instance of it as model=")
        self._require_trust(f"the model ({self.model_class})", "model= (an instance of the architecture)")
        try:
            model = torch.load(io.BytesIO(self.model_bytes), map_location=map_location, weights_only=False)
        except Exception as exc:
            raise FlightRecordError(f"{self.path}: cannot rebuild the model {self.model_class} ({exc}); make its "
                                    "class importable or pass an instance of it as model=") from None
        return self.apply_to(model)

    def apply_to(self, model: nn.Module) -> nn.Module:
        """Load the recorded weights and training flags into ``model`` (same architecture) and return it."""
        try:
            model.load_state_dict(self.model_state)
        except RuntimeError as exc:
            raise FlightRecordError(f"{self.path}: the model given does not match the recorded "
                                    f"{self.model_class}: {exc}") from None
        for name, module in model.named_modules():
            module.training = self.model_training.get(name, module.training)
        return model

    def build_loss_fn(self) -> Callable[..., torch.Tensor] | None:
        """The recorded loss function, or ``None`` if none was recorded or it could not be pickled."""
        return self._unpickle(self.loss_fn_bytes, self.loss_fn_name)

    def build_closure(self) -> Callable[[nn.Module], torch.Tensor] | None:
        """The recorded ``closure(model) -> loss``, or ``None``."""
        return self._unpickle(self.closure_bytes, self.closure_name)

    def build_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        """An optimizer of the recorded class over ``model.parameters()`` with the recorded state."""
        if self.optimizer is None:
            raise FlightRecordError(f"{self.path}: no optimizer was recorded")
        module_name, _, class_name = self.optimizer["class"].rpartition(".")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
            optimizer = cls(model.parameters(), **self.optimizer["defaults"])
            optimizer.load_state_dict(self.optimizer["state_dict"])
        except Exception as exc:
            raise FlightRecordError(f"{self.path}: cannot rebuild the optimizer {self.optimizer['class']}: "
                                    f"{exc}") from None
        return optimizer

    def _require_trust(self, what: str, instead: str) -> None:
        if not self.trusted:
            raise FlightRecordError(f"{self.path}: rebuilding {what} from the record runs code stored in it; pass "
                                    f"{instead} instead, or load the record with trust=True (CLI: --trust) if you "
                                    "wrote it yourself or otherwise trust it")

    def _unpickle(self, data: bytes | None, name: str | None) -> Any:
        if data is None:
            return None
        self._require_trust(str(name), "it")
        try:
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=False)
        except Exception as exc:
            raise FlightRecordError(f"{self.path}: cannot rebuild {name} ({exc}); pass it in instead") from None


def load_flight_record(path: str | os.PathLike[str], map_location: str | torch.device = "cpu", *,
                       trust: bool = False) -> FlightRecord:
    """Read a flight record written by :func:`save_flight_record`, with ``weights_only=True`` and an allow-list
    (nothing stored in the file runs). ``trust=True`` also allows rebuilding the pickled model, loss function and
    closure, and loading a batch of arbitrary Python objects: only for records you trust.

    Raises:
        FlightRecordError: no record there, a garbled or foreign file, another version.
        UntrustedFileError: the record holds objects outside the allow-list and ``trust`` is False.
    """
    path = Path(path)
    if not path.is_file():
        raise FlightRecordError(f"no flight record at {path}")
    try:
        payload = safe_load(path, f"the flight record {path}", trust=trust, map_location=map_location)
    except UntrustedFileError:
        raise
    except Exception as exc:
        raise FlightRecordError(f"{path} is not a readable gradguard flight record ({type(exc).__name__}: "
                                f"{exc}); it may be truncated or garbled") from None
    if not isinstance(payload, dict) or payload.get("format") != FLIGHT_FORMAT:
        raise FlightRecordError(f"{path} is a torch file but not a gradguard flight record")
    if payload.get("version") != FLIGHT_VERSION:
        raise FlightRecordError(f"{path} has flight record version {payload.get('version')!r}; this gradguard "
                                f"reads version {FLIGHT_VERSION}")
    names = [n for n in FlightRecord.__dataclass_fields__ if n != "path"]
    missing = [n for n in names if n not in payload and n not in ("trusted", "script")]  # script: since 0.1
    if missing:
        raise FlightRecordError(f"{path} lacks the fields {missing}: it is not a complete flight record")
    names = [n for n in names if n != "trusted"]
    return FlightRecord(path=path, trusted=trust, **{n: payload[n] for n in names if n in payload})


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of re-running a recorded step.

    Attributes:
        step: the recorded step.
        reproduced: the loss or a parameter gradient was non-finite again.
        loss: the replayed loss (summed if not a scalar), possibly NaN/Inf.
        nonfinite_grads: names of the parameters whose gradient was non-finite.
        origin: what :func:`~gradguard.forensics.find_nonfinite_origin` found.
    """

    step: int
    reproduced: bool
    loss: float
    nonfinite_grads: tuple[str, ...]
    origin: Origin

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {"step": self.step, "reproduced": self.reproduced, "loss": self.loss,
                "nonfinite_grads": list(self.nonfinite_grads), "origin": self.origin.to_dict()}


def replay(
    path: str | os.PathLike[str],
    loss_fn: Callable[..., torch.Tensor] | None = None,
    model: nn.Module | None = None,
    *,
    closure: Callable[[nn.Module], torch.Tensor] | None = None,
    trust: bool = False,
) -> ReplayResult:
    """Re-run the recorded step exactly (weights, batch, RNG) and say whether and where it went non-finite.

    ``model``, if given, must have the recorded architecture: the recorded weights and training flags are loaded
    into it (on its device). Otherwise the pickled model is rebuilt on the CPU, which needs ``trust=True`` (it runs
    code stored in the record), as do the recorded loss function and closure. The step runs as ``closure(model)``
    or ``loss_fn(model(inputs), targets)``, with the arguments taking precedence over what the record holds. The
    optimizer is not stepped; the caller's RNG state is restored afterwards.
    """
    record = load_flight_record(path, trust=trust)
    model = record.build_model() if model is None else record.apply_to(model)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    inputs, targets = _to_device(record.inputs, device), _to_device(record.targets, device)
    if closure is None and loss_fn is None:  # the recorded ones (rebuilding them needs trust)
        closure = record.build_closure()
        if closure is None:
            loss_fn = record.build_loss_fn()
    if closure is not None:
        batch_fn = closure
    elif loss_fn is not None:
        fn = loss_fn

        def batch_fn(m: nn.Module) -> torch.Tensor:
            return fn(m(inputs), targets)
    else:
        raise FlightRecordError(f"{path}: the loss function ({record.loss_fn_name}) could not be pickled when the "
                                "record was written; pass it as loss_fn= (or closure=)")
    caller_rng = capture_rng_state()
    try:
        origin = find_nonfinite_origin(model, batch_fn, inputs=inputs, targets=targets, rng_state=record.rng_state)
        restore_rng_state(record.rng_state)
        with torch.enable_grad():
            loss = batch_fn(model)
            params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
            grads = torch.autograd.grad(loss.sum(), [p for _, p in params], allow_unused=True) \
                if loss.requires_grad and params else ()
        bad = tuple(n for (n, _), g in zip(params, grads, strict=False)
                    if g is not None and count_nonfinite(g) != (0, 0))
        loss_value = float(loss.detach().float().sum())
    finally:
        restore_rng_state(caller_rng)
        record.apply_to(model)  # undo running-statistics updates of the plain re-run
    return ReplayResult(record.step, not np.isfinite(loss_value) or bool(bad), loss_value, bad, origin)


def _to_device(obj: Any, device: torch.device) -> Any:
    if device.type == "cpu" or not any(True for _ in iter_tensors(obj)):
        return obj
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_to_device(v, device) for v in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj
