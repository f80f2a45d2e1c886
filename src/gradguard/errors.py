"""The one exception family of gradguard.

Every error gradguard raises on purpose is a :class:`GradGuardError`. Errors about settings say which setting,
which value was given and which values are accepted, so the message alone is enough to fix the call.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "GradGuardError", "OptionalDependencyError", "RecordError", "TrainingHalted"]


class GradGuardError(Exception):
    """Base class of every error raised by gradguard."""


class ConfigError(GradGuardError, ValueError):
    """A setting was given a value gradguard does not accept.

    The message names the setting, the value given and what is accepted.
    """

    def __init__(self, setting: str, value: Any, accepted: str, hint: str = "") -> None:
        self.setting = setting
        self.value = value
        self.accepted = accepted
        message = f"{setting}={value!r} is not accepted: expected {accepted}."
        if hint:
            message += f" {hint}"
        super().__init__(message)


class OptionalDependencyError(GradGuardError, ImportError):
    """An optional feature was used without its extra installed."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs the package {package!r}, which is not installed. "
            f'Install it with: pip install "gradguard[{extra}]"'
        )


class RecordError(GradGuardError):
    """A run record could not be created, written or read."""


class TrainingHalted(GradGuardError):
    """The guard stopped training because continuing would corrupt it (for example, endless skipped steps)."""
