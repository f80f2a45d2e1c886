"""An iterator over a data loader that honours the guard's rollbacks and attributions: the batches that led to a
rollback are not fed again, and with ``drop_culprits`` only the culprit samples an attribution named are dropped."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_json
from ..errors import ConfigError

__all__ = ["SkipBatches"]


def _select(batch: Any, keep: Sequence[int]) -> Any:
    from ..attribution._batch import select

    return select(batch, keep)


def _sequential_ids(loader: Any) -> Callable[[int, Any], list[int]] | None:
    """Loader indices of a ``DataLoader`` over a ``SequentialSampler`` (batch ``n`` holds ``n*b .. n*b+len-1``)."""
    try:
        from torch.utils.data import DataLoader, SequentialSampler
    except ImportError:  # pragma: no cover
        return None
    if not isinstance(loader, DataLoader) or not isinstance(loader.sampler, SequentialSampler):
        return None
    size = loader.batch_size
    if not size:
        return None

    def ids(number: int, batch: Any) -> list[int]:
        from ..attribution._batch import batch_size

        n = batch_size(batch) or 0
        return list(range(number * size, number * size + n))

    return ids


class SkipBatches:
    """Feed a guarded loop from ``loader``; after a rollback, replay the good batches and drop the poisoned ones.

    A rollback restores the state after step ``s`` while the loop is at step ``t``: the updates of steps
    ``s+1..t`` are undone. With ``replay=True`` (default) this iterator then yields again the batches of those
    steps that are not in ``report.skip_batches`` (the steps that led to the trouble), before going on with
    ``loader``; so no good data is lost and the poisoned batches are never seen again. With ``replay=False`` it
    only goes on with fresh batches (as a plain loop would).

    With an :class:`~gradguard.attribution.AttributeSpikes` in the guard's policy, it tells it each step's batch
    (and the batches since the last snapshot, its baseline). With ``drop_culprits=True``, a spike attributed to
    ``data`` drops only its culprit samples: a skipped or rolled-back batch is fed again without them (instead of
    being lost whole), and samples with a known loader index are dropped from every later batch (next epochs).
    Each drop is in ``dropped_samples``, in the event's ``evidence["attribution"]["dropped"]`` (the run record),
    and in ``drop_file`` (a JSON list of loader indices for your data pipeline).

    It assumes one ``guard.step`` (or ``guard.observe``) per batch, and keeps a reference to each batch yielded
    since the last snapshot (at most the snapshot interval, ``every``, of them): that is its memory cost. Without
    a rollback policy it keeps nothing.

    Args:
        loader: any iterable of batches (one batch per guarded step).
        guard: the :class:`~gradguard.Guard`.
        replay: feed the good batches of undone steps again after a rollback (default True).
        drop_culprits: drop the culprit samples of data-attributed spikes (default False).
        drop_file: where to write the dropped loader indices (JSON list), or None (default).
        sample_ids: ``sample_ids(batch_number, batch) -> loader indices of its samples``; default: known for a
            ``DataLoader`` over a ``SequentialSampler``, else batches are named by step and position only.

    Example::

        guard = gradguard.Guard(model, opt, policy="recover")
        for x, y in guard.batches(loader):    # or gradguard.SkipBatches(loader, guard)
            loss_fn(model(x), y).backward()
            guard.step(loss)
            opt.zero_grad()
    """

    def __init__(self, loader: Iterable[Any], guard: Any, *, replay: bool = True, drop_culprits: bool = False,
                 drop_file: str | os.PathLike[str] | None = None,
                 sample_ids: Callable[[int, Any], Sequence[int]] | None = None) -> None:
        if not isinstance(drop_culprits, bool):
            raise ConfigError("drop_culprits", drop_culprits, "True or False")
        if drop_file is not None and not isinstance(drop_file, (str, os.PathLike)):
            raise ConfigError("drop_file", drop_file, "a file path (str or os.PathLike) or None")
        if sample_ids is not None and not callable(sample_ids):
            raise ConfigError("sample_ids", sample_ids,
                              "a callable sample_ids(batch_number, batch) -> loader indices, or None")
        self.loader = loader
        self.guard = guard
        self.replay = replay
        self.drop_culprits = drop_culprits
        self.drop_file = None if drop_file is None else Path(drop_file)
        self._ids = sample_ids if sample_ids is not None else _sequential_ids(loader)
        #: how many batches were replayed and dropped so far
        self.replayed = 0
        self.dropped = 0
        #: every culprit sample dropped: ``{"step", "position", "loader_index"}`` (loader_index None if unknown)
        self.dropped_samples: list[dict[str, Any]] = []
        #: loader indices never fed again
        self.drop_ids: set[int] = set()
        #: (step, batch, loader indices or None) of the batch last yielded
        self.current: tuple[int, Any, list[int] | None] | None = None
        self._kept: dict[int, tuple[Any, list[int] | None]] = {}
        #: step -> its batch without the culprit samples (fed again if the step was skipped or rolled back)
        self._cleaned: dict[int, tuple[Any, list[int] | None]] = {}
        from ..attribution.keeper import find_attributor

        self.attributor = find_attributor(getattr(guard, "policy", None))
        if self.attributor is not None:
            self.attributor.bind(guard, self)

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    # ------------------------------------------------------------------------------------------- attribution
    def since(self, after: int, before: int, limit: int) -> list[Any]:
        """Up to ``limit`` kept batches of steps in ``(after, before)``, newest first (an attribution's baseline)."""
        steps = sorted((s for s in self._kept if after < s < before), reverse=True)[:limit]
        return [self._kept[s][0] for s in steps]

    def plan_drop(self, step: int, culprits: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop the culprit samples of ``step`` (called by the attributor on a ``data`` verdict); returns them."""
        if not self.drop_culprits or self.current is None or self.current[0] != step:
            return []
        _, batch, ids = self.current
        out = []
        for c in culprits:
            if "index" not in c or not c.get("outlier", True):
                continue
            loader_index = None if ids is None else int(ids[c["index"]])
            out.append({"step": step, "position": int(c["index"]), "loader_index": loader_index})
        self.dropped_samples.extend(out)
        known = {d["loader_index"] for d in out if d["loader_index"] is not None}
        if known - self.drop_ids:
            self.drop_ids |= known
            self._write_drop_file()
        positions = {d["position"] for d in out}
        keep = [i for i in range(len(ids) if ids is not None else _size(batch)) if i not in positions]
        if keep:
            self._cleaned[step] = (_select(batch, keep), None if ids is None else [ids[i] for i in keep])
        return out

    def _write_drop_file(self) -> None:
        if self.drop_file is None:
            return
        atomic_write_json(sorted(self.drop_ids), self.drop_file)

    def _strip_known(self, batch: Any, ids: list[int] | None, step: int) -> tuple[Any, list[int] | None]:
        if not self.drop_ids or ids is None or not self.drop_ids.intersection(ids):
            return batch, ids
        keep = [i for i, j in enumerate(ids) if j not in self.drop_ids]
        self.dropped_samples.extend({"step": step, "position": i, "loader_index": j}
                                    for i, j in enumerate(ids) if j in self.drop_ids)
        return _select(batch, keep), [ids[i] for i in keep]

    def _applied(self, step: int) -> bool:
        result = None if self.attributor is None else self.attributor.results.get(step)
        return bool(result and result.get("applied"))

    # ------------------------------------------------------------------------------------------- iteration
    def __iter__(self) -> Iterator[Any]:
        guard = self.guard
        kept = self._kept
        kept.clear()
        pending: deque[tuple[Any, list[int] | None]] = deque()
        seen = guard.last_rollback
        source = iter(self.loader)
        number = 0
        while True:
            last = self.current[0] if self.current is not None else None
            if last is not None and last in self._cleaned and not self._applied(last):
                cleaned = self._cleaned.pop(last)  # skipped: its batch is fed again without the culprits
                kept.pop(last, None)
                if self.replay:
                    pending.appendleft(cleaned)
                    self.replayed += 1
            rollback = guard.last_rollback
            if rollback is not None and rollback is not seen:
                seen = rollback
                bad = set(rollback.skip_batches)
                undone = [s for s in sorted(kept) if rollback.to_step < s <= rollback.step]
                self.dropped += sum(1 for s in undone if s in bad and s not in self._cleaned)
                if self.replay:  # a batch with culprits comes back without them, even from a troubled step
                    good = [self._cleaned.pop(s) if s in self._cleaned else kept[s] for s in undone
                            if s not in bad or s in self._cleaned]
                    self.replayed += len(good)
                    pending.extend(good)
                kept.clear()
            snap = guard.last_snapshot_step
            if snap is not None:
                for s in [s for s in kept if s <= snap]:
                    del kept[s]
                for s in [s for s in self._cleaned if s <= snap]:
                    del self._cleaned[s]
            if pending:
                batch, ids = pending.popleft()
            else:
                try:
                    batch = next(source)
                except StopIteration:
                    return
                ids = None if self._ids is None else [int(i) for i in self._ids(number, batch)]
                number += 1
            step = guard.step_index
            if self.drop_culprits:
                batch, ids = self._strip_known(batch, ids, step)
                if ids is not None and not ids:
                    continue  # every sample of it was dropped
            if snap is not None or guard.last_rollback is not None:
                kept[step] = (batch, ids)
            self.current = (step, batch, ids)
            yield batch


def _size(batch: Any) -> int:
    from ..attribution._batch import batch_size

    return batch_size(batch) or 0
