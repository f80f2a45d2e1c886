"""Batches run records and writes them to the sinks on one background thread.

The training thread only enqueues (:meth:`RunWriter.add_step` never waits on I/O). One daemon thread drains the
queue and writes a batch to every sink, ending each batch with ``sink.flush()`` (one SQLite transaction), when
``flush_every`` records (``add_*`` calls) have accumulated or ``flush_seconds`` have passed since the last commit,
whichever comes first. A killed process therefore loses the records of the batch being gathered and those the
thread has not yet taken from the queue (none while it keeps up; a few more on a loaded machine).

A sink that raises is switched off: the first exception is kept in :attr:`RunWriter.error`, a ``RuntimeWarning``
is issued once for that sink, and the thread keeps draining the queue so that training never blocks or crashes
because a record could not be written. The switched-off sink keeps every batch committed before the failure, and
nothing after.
"""

from __future__ import annotations

import atexit
import math
import queue
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, GradGuardError, RecordError
from ..sinks.base import Sink, StepItem

if TYPE_CHECKING:
    from ..decision import StepReport
    from ..events import Event
    from ..inventory import LayerInfo
    from ..stats import StepStats, UpdateStats

__all__ = ["RunWriter"]

_STEP, _UPDATE, _EVENTS, _FLUSH, _CLOSE = "step", "update", "events", "flush", "close"


class RunWriter:
    """Batches records and writes them to its sinks on a background thread.

    Args:
        sinks: where the record goes, e.g. ``[SQLiteSink(run_dir)]``. Each is opened on the writer thread before
            the constructor returns.
        layers: the watched layers; their order is the order of every per-layer array given later.
        meta: run metadata (JSON-able mapping: model summary, optimizer, settings...), stored by the sinks.
        flush_every: commit a batch once this many records are waiting (one record per ``add_step``,
            ``add_update`` or ``add_events`` call; a step's own events do not count). Default 64.
        flush_seconds: commit a batch once this many seconds have passed since the last commit. Default 1.0.

    Records hold references to the numpy arrays given; do not modify them after adding.

    Raises:
        ConfigError: ``flush_every`` or ``flush_seconds`` is not a positive number.
        RecordError: a sink could not be opened (a gradguard error from a sink is raised as it is).
    """

    def __init__(
        self,
        sinks: Sequence[Sink],
        layers: Sequence[LayerInfo],
        meta: Mapping[str, Any],
        *,
        flush_every: int = 64,
        flush_seconds: float = 1.0,
    ) -> None:
        if isinstance(flush_every, bool) or not isinstance(flush_every, int) or flush_every < 1:
            raise ConfigError("flush_every", flush_every, "an integer >= 1 (records per committed batch)")
        if isinstance(flush_seconds, bool) or not isinstance(flush_seconds, (int, float)) or not (
            math.isfinite(flush_seconds) and flush_seconds > 0
        ):
            raise ConfigError("flush_seconds", flush_seconds, "a finite number of seconds > 0")
        self.sinks: tuple[Sink, ...] = tuple(sinks)
        self.flush_every = flush_every
        self.flush_seconds = float(flush_seconds)
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._failed = [False] * len(self.sinks)
        self._error: BaseException | None = None
        self._open_error: BaseException | None = None
        self._closed = False
        self._close_lock = threading.Lock()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(list(layers), dict(meta), ready), name="gradguard-record-writer", daemon=True
        )
        self._thread.start()
        ready.wait()
        if self._open_error is not None:
            self._closed = True
            self._thread.join()
            exc = self._open_error
            if isinstance(exc, GradGuardError):
                raise exc
            raise RecordError(f"Could not open the run record: {type(exc).__name__}: {exc}") from exc
        atexit.register(self.close)  # a run that forgets close() still commits its last batch at exit

    # ----------------------------------------------------------------------------------------- training side
    def _put(self, kind: str, payload: Any) -> None:
        if self._closed:
            raise RecordError(f"RunWriter.add_{kind}: the writer is closed; records can no longer be added.")
        self._queue.put((kind, payload))

    def add_step(self, stats: StepStats, report: StepReport, wall_time: float) -> None:
        """Enqueue one step (``wall_time``: ``time.time()`` seconds) and the events of its report. No I/O."""
        self._put(_STEP, (stats, report, float(wall_time)))

    def add_update(self, update: UpdateStats) -> None:
        """Enqueue the update statistics of one step. No I/O."""
        self._put(_UPDATE, update)

    def add_events(self, events: Sequence[Event]) -> None:
        """Enqueue events that are not part of a :class:`StepReport`. No I/O."""
        if events:
            self._put(_EVENTS, tuple(events))

    def flush(self) -> None:
        """Block until everything enqueued so far is written and committed (a no-op once closed)."""
        if self._closed:
            return
        done = threading.Event()
        self._queue.put((_FLUSH, done))
        self._wait(done)

    def close(self) -> None:
        """Write and commit what is enqueued, stop the thread and close the sinks. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        done = threading.Event()
        self._queue.put((_CLOSE, done))
        self._wait(done)
        self._thread.join(timeout=10.0)
        atexit.unregister(self.close)

    @property
    def error(self) -> BaseException | None:
        """The first exception raised by a sink on the writer thread, or None."""
        return self._error

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, done: threading.Event) -> None:
        while not done.wait(0.05):
            if not self._thread.is_alive():  # never hang on a writer thread that is gone
                return

    # ----------------------------------------------------------------------------------------- writer thread
    def _run(self, layers: list[LayerInfo], meta: dict[str, Any], ready: threading.Event) -> None:
        opened: list[Sink] = []
        try:
            for sink in self.sinks:
                sink.open(layers, meta)
                opened.append(sink)
        except BaseException as exc:
            self._open_error = exc
            for sink in opened:
                try:
                    sink.close()
                except Exception:
                    pass
            ready.set()
            return
        ready.set()
        try:
            self._loop()
        except BaseException as exc:  # a bug here must not leave flush()/close() waiting forever
            self._record_failure(None, exc, None)
            self._discard_forever()

    def _loop(self) -> None:
        steps: list[StepItem] = []
        updates: list[UpdateStats] = []
        events: list[Event] = []
        waiting = 0  # records enqueued since the last commit (one per add_* call)
        last_commit = time.monotonic()

        def commit() -> None:
            nonlocal last_commit, waiting
            self._write_batch(steps, updates, events)
            steps.clear()
            updates.clear()
            events.clear()
            waiting = 0
            last_commit = time.monotonic()

        while True:
            if waiting:
                timeout = self.flush_seconds - (time.monotonic() - last_commit)
                if timeout <= 0:
                    commit()
                    continue
                try:
                    kind, payload = self._queue.get(timeout=timeout)
                except queue.Empty:
                    commit()
                    continue
            else:
                kind, payload = self._queue.get()
            if kind in (_STEP, _UPDATE, _EVENTS):
                waiting += 1
            if kind == _STEP:
                steps.append(payload)
                events.extend(payload[1].events)
            elif kind == _UPDATE:
                updates.append(payload)
            elif kind == _EVENTS:
                events.extend(payload)
            elif kind == _FLUSH:
                commit()
                payload.set()
                continue
            elif kind == _CLOSE:
                commit()
                self._close_sinks()
                payload.set()
                return
            if waiting >= self.flush_every:
                commit()

    def _write_batch(self, steps: list[StepItem], updates: list[UpdateStats], events: list[Event]) -> None:
        if not (steps or updates or events):
            return
        for i, sink in enumerate(self.sinks):
            if self._failed[i]:
                continue
            try:
                if steps:
                    sink.write_steps(steps)
                if updates:
                    sink.write_updates(updates)
                if events:
                    sink.write_events(events)
                sink.flush()
            except Exception as exc:
                self._failed[i] = True
                first = steps[0][0].step if steps else None
                self._record_failure(sink, exc, first)

    def _close_sinks(self) -> None:
        for i, sink in enumerate(self.sinks):
            try:
                sink.close()
            except Exception as exc:
                if not self._failed[i]:
                    self._failed[i] = True
                    self._record_failure(sink, exc, None)

    def _record_failure(self, sink: Sink | None, exc: BaseException, first_step: int | None) -> None:
        """Keep the first exception and warn once per failed sink (each sink is switched off at most once)."""
        if self._error is None:
            self._error = exc
        where = f"the run record sink {type(sink).__name__}" if sink is not None else "the run record writer"
        lost = f" Records from step {first_step} on are missing from it." if first_step is not None else ""
        warnings.warn(
            f"gradguard: {where} failed and was switched off; training goes on without it "
            f"({type(exc).__name__}: {exc}).{lost} See RunWriter.error.",
            RuntimeWarning,
            stacklevel=1,
        )

    def _discard_forever(self) -> None:
        while True:
            kind, payload = self._queue.get()
            if kind in (_FLUSH, _CLOSE):
                payload.set()
                if kind == _CLOSE:
                    return
