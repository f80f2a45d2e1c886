"""Atomic writes: a file is either the old one or the complete new one, never half of either."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch


def atomic_torch_save(payload: Any, path: Path) -> None:
    """``torch.save(payload)`` to a temporary file beside ``path``, fsync it, then ``os.replace`` it into place.

    On any failure the temporary file is removed and ``path`` is left as it was. A write that failed on a full
    disk (no space, a quota, or torch's "unexpected pos" with less than 1 MiB left) raises an ``OSError`` that says
    so and names the file, the directory and the bytes left; another failure of torch's writer raises an
    ``OSError`` naming the file; anything else propagates as it is.
    """
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        free = _free_bytes(path.parent)  # before the temporary file is removed: what the writer left
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or (
            isinstance(exc, RuntimeError) and free is not None and free < _FULL_BELOW)
        if full:
            left = "" if free is None else f", {free} bytes free"
            raise OSError(errno.ENOSPC, f"could not write {str(path)!r}: the disk holding {str(path.parent)!r} is "
                                        f"full{left} ({exc})") from exc
        if isinstance(exc, RuntimeError):  # torch's writer says only "unexpected pos 64 vs 0"
            raise OSError(f"could not write {str(path)!r}: the disk may be full or the file cannot be written "
                          f"({exc})") from exc
        raise


def atomic_write_json(payload: Any, path: Path) -> None:
    """``json.dump(payload)`` to a temporary file beside ``path`` (its directory created), then ``os.replace`` it
    into place; on any failure the temporary file is removed and ``path`` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


#: a failed write with less room than this left on the disk failed because the disk is full
_FULL_BELOW = 1 << 20


def _free_bytes(directory: Path) -> int | None:
    try:
        return int(shutil.disk_usage(directory).free)
    except OSError:
        return None
