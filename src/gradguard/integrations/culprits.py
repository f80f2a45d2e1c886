"""Dropping the culprit samples of an attributed spike inside a trainer (Lightning, the Transformers Trainer).

The trainers build and own their data loaders, so the callbacks drop samples at the one place both let through
unchanged: the loader's index sampler. :class:`CulpritSampler` wraps it; it yields the wrapped sampler's indices
minus the dropped ones and remembers, for the epoch under way, the order it yielded them in, so that batch ``k`` of
the epoch (``batch_size`` samples each) is known to hold the dataset indices ``order[k*b:(k+1)*b]``: the culprit
samples an :class:`~gradguard.AttributeSpikes` names get their dataset index, and are never yielded again (from the
next batch the loader draws on: later batches of the epoch not yet sampled, and every later epoch).

:class:`TrainerCulprits` is the attributor's batch source in a callback (what ``guard.batches`` is in a plain
loop): the step's batch, its dataset indices, how to re-run it, and where to drop.

Limits: one process (under DDP the trainers re-shard the sampler; nothing is dropped and the callbacks warn),
a map-style dataset (an ``IterableDataset`` has no sampler), and batches drawn in the sampler's order by
``batch_size`` (a custom batch sampler that regroups indices is not wrapped).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from .._atomic import atomic_write_json
from ..errors import ConfigError

__all__ = ["CulpritSampler", "TrainerCulprits", "install_culprit_sampler"]


class CulpritSampler(torch.utils.data.Sampler[int]):
    """A sampler that yields ``sampler``'s indices except ``drop_ids``, and records the epoch's order.

    Use it directly (``DataLoader(ds, batch_size=32, sampler=CulpritSampler(RandomSampler(ds)))``) or let a
    callback wrap the loader's own sampler (:func:`install_culprit_sampler`). ``set_epoch`` and other attributes
    are forwarded to the wrapped sampler (a distributed or seeded sampler keeps its per-epoch shuffle)."""

    def __init__(self, sampler: Iterable[int]) -> None:
        if not isinstance(sampler, Iterable):
            raise ConfigError("sampler", sampler, "an iterable of dataset indices (a torch Sampler)")
        self.sampler = sampler
        #: dataset indices never yielded again
        self.drop_ids: set[int] = set()
        #: dataset indices yielded so far in the epoch under way, in order
        self.order: list[int] = []
        #: how many indices were held back (all epochs)
        self.held_back = 0

    def __iter__(self) -> Iterator[int]:
        self.order = []
        for i in self.sampler:
            index = int(i)
            if index in self.drop_ids:
                self.held_back += 1
                continue
            self.order.append(index)
            yield index

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return max(0, n - len(self.drop_ids))  # exact for a sampler without replacement (each index once)

    def __getattr__(self, name: str) -> Any:
        if name == "sampler":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.sampler, name)

    def set_epoch(self, epoch: int) -> None:
        """Forwarded to the wrapped sampler when it has one (a no-op otherwise)."""
        inner = getattr(self.sampler, "set_epoch", None)
        if callable(inner):
            inner(epoch)

    def ids_of(self, number: int, batch_size: int, n: int) -> list[int] | None:
        """Dataset indices of batch ``number`` of the epoch under way (``n`` samples), or None if unknown."""
        if number < 0 or batch_size < 1:
            return None
        ids = self.order[number * batch_size:number * batch_size + n]
        return ids if len(ids) == n else None


def install_culprit_sampler(loader: Any) -> tuple[CulpritSampler, int] | None:
    """Wrap ``loader``'s index sampler in a :class:`CulpritSampler` (or find the one already there); returns it
    and the loader's batch size, or None when the loader has no ``batch_sampler.sampler`` to wrap (an iterable
    dataset, a custom batch sampler)."""
    batch_sampler = getattr(loader, "batch_sampler", None)
    inner = getattr(batch_sampler, "sampler", None)
    size = getattr(batch_sampler, "batch_size", None)
    if batch_sampler is None or inner is None or not isinstance(size, int) or size < 1:
        return None
    if isinstance(inner, CulpritSampler):
        return inner, size
    wrapped = CulpritSampler(inner)
    batch_sampler.sampler = wrapped  # the DataLoader draws from batch_sampler at each iter(): from now on
    return wrapped, size


class TrainerCulprits:
    """The :class:`~gradguard.AttributeSpikes` batch source of a trainer callback (see the module docstring).

    Args:
        drop: drop the culprit samples of ``data`` verdicts (default False: name them only).
        drop_file: where to write the dropped dataset indices (a JSON list), or None.
    """

    def __init__(self, drop: bool = False, drop_file: str | os.PathLike[str] | None = None) -> None:
        if not isinstance(drop, bool):
            raise ConfigError("drop_culprits", drop, "True or False")
        if drop_file is not None and not isinstance(drop_file, (str, os.PathLike)):
            raise ConfigError("drop_file", drop_file, "a file path (str or os.PathLike) or None")
        self.drop_culprits = drop
        self.drop_file = None if drop_file is None else Path(drop_file)
        self.sampler: CulpritSampler | None = None
        self.batch_size = 0
        #: (step, batch, dataset indices or None) of the step being decided
        self.current: tuple[int, Any, list[int] | None] | None = None
        #: ``batch_loss(model, batch)`` for the step's batch (set with it)
        self.batch_loss: Any = None
        #: every culprit sample dropped: ``{"step", "position", "loader_index"}``
        self.dropped_samples: list[dict[str, Any]] = []
        self._recent: deque[tuple[int, Any]] = deque(maxlen=4)

    @property
    def drop_ids(self) -> set[int]:
        """Dataset indices never fed again."""
        return set() if self.sampler is None else self.sampler.drop_ids

    def attach(self, loader: Any) -> bool:
        """Find or install the :class:`CulpritSampler` of the training ``loader``; False when there is none."""
        found = install_culprit_sampler(loader)
        if found is None:
            return False
        self.sampler, self.batch_size = found
        return True

    def feed(self, step: int, batch: Any, number: int, n: int | None, batch_loss: Any) -> None:
        """The batch of ``step``: batch ``number`` of the epoch (``n`` samples), re-run by ``batch_loss``."""
        ids = None if self.sampler is None or n is None else self.sampler.ids_of(number, self.batch_size, n)
        self.current = (step, batch, ids)
        self.batch_loss = batch_loss
        self._recent.append((step, batch))

    def since(self, after: int, before: int, limit: int) -> list[Any]:
        """Up to ``limit`` recent batches of steps in ``(after, before)``, newest first (an attribution's
        baseline; only the last few batches are kept)."""
        return [b for s, b in reversed(self._recent) if after < s < before][:limit]

    def plan_drop(self, step: int, culprits: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop the outlier culprits of ``step`` with a known dataset index (a ``data`` verdict); returns them."""
        if not self.drop_culprits or self.current is None or self.current[0] != step:
            return []
        ids = self.current[2]
        out = [{"step": step, "position": int(c["index"]), "loader_index": None if ids is None else
                int(ids[c["index"]])} for c in culprits if "index" in c and c.get("outlier", True)]
        self.dropped_samples.extend(out)
        known = {d["loader_index"] for d in out if d["loader_index"] is not None}
        if self.sampler is not None and known - self.sampler.drop_ids:
            self.sampler.drop_ids |= known
            self._write_drop_file()
        return out

    def _write_drop_file(self) -> None:
        if self.drop_file is None:
            return
        atomic_write_json(sorted(self.drop_ids), self.drop_file)
