"""Atomic writes: a file is either the old one or the complete new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import torch


def atomic_torch_save(payload: Any, path: Path) -> None:
    """``torch.save(payload)`` to a temporary file beside ``path``, fsync it, then ``os.replace`` it into place.

    On any failure the temporary file is removed and the exception propagates; ``path`` is left as it was.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, RuntimeError):  # torch's writer on a full disk says only "unexpected pos 64 vs 0"
            raise OSError(f"could not write {str(path)!r}: the disk is full or the file cannot be written "
                          f"({exc})") from exc
        raise
