"""Validation of mitigation settings: every error names the setting, the value and what is accepted."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from ..errors import ConfigError


def _number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def positive(name: str, value: object) -> float:
    if not _number(value) or value <= 0:  # type: ignore[operator]
        raise ConfigError(name, value, "a finite number > 0")
    return float(value)  # type: ignore[arg-type]


def fraction(name: str, value: object) -> float:
    """A number strictly between 0 and 1 (decays, back-off factors)."""
    if not _number(value) or not 0 < value < 1:  # type: ignore[operator]
        raise ConfigError(name, value, "a number strictly between 0 and 1")
    return float(value)  # type: ignore[arg-type]


def percentile(name: str, value: object) -> float:
    if not _number(value) or not 0 < value <= 100:  # type: ignore[operator]
        raise ConfigError(name, value, "a percentile in (0, 100]")
    return float(value)  # type: ignore[arg-type]


def at_least(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(name, value, f"an integer >= {minimum}")
    return value


def writable_dir(name: str, value: object) -> Path:
    """Create the directory if needed and prove it writable with a temporary file."""
    if not isinstance(value, (str, os.PathLike)):
        raise ConfigError(name, value, "a directory path (str or os.PathLike) or None")
    path = Path(value)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".gradguard-probe-"):
            pass
    except OSError as exc:
        raise ConfigError(name, str(value), "a directory gradguard can create and write to",
                          f"Writing there failed: {exc.strerror or exc}.") from None
    return path
