"""Loading gradguard's own files (flight records, snapshots) without running code stored in them.

``torch.load(weights_only=True)`` unpickles only tensors, containers and primitives, plus the numpy types allowed
here (the numpy RNG state and numpy arrays in a batch). Anything else in a file (a pickled model, loss function or
closure, a custom batch object) needs ``trust=True``: unpickling it can run arbitrary code, so only files you wrote
yourself or otherwise trust should be loaded that way.
"""

from __future__ import annotations

import os
import pickle
from typing import IO, Any

import numpy as np
import torch

from .errors import GradGuardError

__all__ = ["UntrustedFileError", "load", "safe_globals"]


class UntrustedFileError(GradGuardError):
    """A gradguard file holds objects outside the allow-list; loading them needs ``trust=True``."""


def safe_globals() -> list[Any]:
    """The numpy globals allowed besides torch's own: array reconstruction, ``ndarray``, dtypes."""
    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]  # numpy.core / numpy._core, whichever this numpy has
    dtypes = {type(np.dtype(t)) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                          np.uint32, np.uint64, np.float16, np.float32, np.float64)}
    return [reconstruct, np.ndarray, np.dtype, *dtypes]


def load(source: str | os.PathLike[str] | IO[bytes], what: str, *, trust: bool = False,
         map_location: str | torch.device = "cpu") -> Any:
    """``torch.load`` of ``source`` with ``weights_only=True`` and the numpy allow-list; ``trust=True`` loads
    anything (``weights_only=False``).

    Raises:
        UntrustedFileError: the file holds other objects and ``trust`` is False (the message names the opt-in).
    """
    if trust:
        return torch.load(source, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:  # what torch raises when weights_only meets anything else
        if "Unsupported global" not in str(exc):
            raise  # a garbled file, not a foreign object: the caller says it cannot be read
        detail = str(exc).split("WeightsUnpickler error:")[-1].strip().splitlines()[0][:200]
        raise UntrustedFileError(
            f"{what} holds objects outside the allow-list of tensors, containers and numpy arrays ({detail}). "
            "Loading them can run code stored in the file: if you wrote it yourself or otherwise trust it, pass "
            "trust=True (CLI: --trust)."
        ) from None

