"""An iterator over a data loader that honours the guard's rollbacks: the batches that led to one are not fed again."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["SkipBatches"]


class SkipBatches:
    """Feed a guarded loop from ``loader``; after a rollback, replay the good batches and drop the poisoned ones.

    A rollback restores the state after step ``s`` while the loop is at step ``t``: the updates of steps
    ``s+1..t`` are undone. With ``replay=True`` (default) this iterator then yields again the batches of those
    steps that are not in ``report.skip_batches`` (the steps that led to the trouble), before going on with
    ``loader``; so no good data is lost and the poisoned batches are never seen again. With ``replay=False`` it
    only goes on with fresh batches (as a plain loop would).

    It assumes one ``guard.step`` (or ``guard.observe``) per batch, and keeps a reference to each batch yielded
    since the last snapshot (at most the snapshot interval, ``every``, of them): that is its memory cost. Without
    a rollback policy it keeps nothing.

    Example::

        guard = gradguard.Guard(model, opt, policy="recover")
        for x, y in guard.batches(loader):    # or gradguard.SkipBatches(loader, guard)
            loss_fn(model(x), y).backward()
            guard.step(loss)
            opt.zero_grad()
    """

    def __init__(self, loader: Iterable[Any], guard: Any, *, replay: bool = True) -> None:
        self.loader = loader
        self.guard = guard
        self.replay = replay
        #: how many batches were replayed and dropped so far
        self.replayed = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        guard = self.guard
        kept: dict[int, Any] = {}
        pending: deque[Any] = deque()
        seen = guard.last_rollback
        source = iter(self.loader)
        while True:
            rollback = guard.last_rollback
            if rollback is not None and rollback is not seen:
                seen = rollback
                bad = set(rollback.skip_batches)
                undone = [s for s in sorted(kept) if rollback.to_step < s <= rollback.step]
                self.dropped += sum(1 for s in undone if s in bad)
                if self.replay:
                    good = [kept[s] for s in undone if s not in bad]
                    self.replayed += len(good)
                    pending.extend(good)
                kept.clear()
            snap = guard.last_snapshot_step
            if snap is not None:
                for s in [s for s in kept if s <= snap]:
                    del kept[s]
            if pending:
                batch = pending.popleft()
            else:
                try:
                    batch = next(source)
                except StopIteration:
                    return
            if snap is not None or guard.last_rollback is not None:
                kept[guard.step_index] = batch
            yield batch
