"""The detector protocol."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..events import Event
from ..stats import StepStats


@runtime_checkable
class Detector(Protocol):
    """Looks at one step's statistics (and its own history) and returns the events it sees."""

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...
