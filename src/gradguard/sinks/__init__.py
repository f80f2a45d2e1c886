"""Sinks: destinations of the run record.

:class:`Sink` is the interface; :class:`gradguard.record.SQLiteSink` is the run record itself and
:class:`TensorBoardSink` mirrors the main curves to TensorBoard (it needs ``pip install "gradguard[tensorboard]"``,
imported only when the sink is built).
"""

from __future__ import annotations

from .base import Sink, StepItem
from .tensorboard import TensorBoardSink

__all__ = ["Sink", "StepItem", "TensorBoardSink"]
