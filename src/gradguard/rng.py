"""Random generator state of a step: captured for exact re-runs (flight records) and restored on rollback."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

__all__ = ["capture_rng_state", "restore_rng_state"]


class _NumpyState:
    """``np.random.get_state()`` without its cost (~50-180 us: numpy copies the 624 words of MT19937 one by one) when
    the global generator has not moved since the last call: its raw words and position (2,500 bytes read at the bit
    generator's C state) are compared with those of the last full read, and that read's state is given again when
    they are equal and it held no cached Gaussian (an MT19937 that has not moved and had none cannot have gained
    one without a ``set_state``: :func:`restore_rng_state` makes the next read a full one). The one state it cannot
    see: the user's own ``np.random.set_state`` to a state holding a cached Gaussian at the very position of the
    last capture. Any surprise in the layout (checked against a full read once) turns the shortcut off for good."""

    RAW = 624 * 4 + 4  # uint32 key[624]; int pos

    def __init__(self) -> None:
        self.raw: bytes | None = None
        self.state: Any = None
        self.ok: bool | None = None  # the shortcut checked and usable (None: not checked yet)

    def get(self) -> Any:
        if self.ok is False:
            return np.random.get_state()
        try:
            import ctypes

            raw = ctypes.string_at(np.random.mtrand._rand._bit_generator.ctypes.state_address, self.RAW)
        except Exception:
            self.ok = False
            return np.random.get_state()
        if raw == self.raw and self.state is not None:
            return self.state
        state: Any = np.random.get_state()
        if self.ok is None:  # the layout, once: the words and the position read as numpy reports them
            self.ok = bool(state[0] == "MT19937" and np.array_equal(np.frombuffer(raw[:-4], "<u4"), state[1])
                           and int.from_bytes(raw[-4:], "little", signed=True) == state[2])
        # a cached Gaussian can be spent without moving the words: only a state without one is given again
        self.raw, self.state = (raw, state) if self.ok and not state[3] else (None, None)
        return state

    def forget(self) -> None:
        self.raw, self.state = None, None


_NUMPY = _NumpyState()


def capture_rng_state() -> dict[str, Any]:
    """The state of every random generator a step may draw from: torch CPU, CUDA (if initialised), Python, numpy."""
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": random.getstate(),
                             "numpy": _NUMPY.get()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Set the generators to a state from :func:`capture_rng_state`; generators missing from it are left alone."""
    if "torch" in state:
        torch.set_rng_state(state["torch"])
    if "python" in state:
        random.setstate(state["python"])
    if "numpy" in state:
        _NUMPY.forget()
        np.random.set_state(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
