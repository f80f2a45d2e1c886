"""The model's floating-point buffers kept finite across a skipped step.

A skipped step leaves the weights and the optimizer as they were, but its forward has already run: a NaN in the
batch writes NaN into BatchNorm's running mean and variance (``(1 - m) * running + m * NaN``), and every later
update keeps it there. Training mode normalises with the batch's own statistics, so the loss stays finite and no
event follows, while the model in evaluation mode outputs NaN for every input (pytorch/examples' ``mnist_rnn``
with one NaN pixel at step 30: test loss NaN after a "successful" skip, third real-code round).

:class:`BufferKeeper` copies the floating-point buffers into one of two slots every ``every`` guarded calls (one
fused copy; no host read), alternating, so one slot always predates the latest forward. After a step skipped for
non-finite values it reads which buffers are non-finite (the alarm path: one host read) and restores each from the
newest slot that is finite for it, a few steps stale at most (running statistics move slowly).
"""

from __future__ import annotations

import torch
from torch import nn

from .events import Event

__all__ = ["BufferKeeper"]


class BufferKeeper:
    """Two rotating copies of ``model``'s floating-point buffers (see the module docstring)."""

    def __init__(self, model: nn.Module, every: int = 10) -> None:
        seen: set[int] = set()
        self.names: list[str] = []
        self.bufs: list[torch.Tensor] = []
        for name, b in model.named_buffers():
            if id(b) in seen or not b.is_floating_point() or b.layout != torch.strided or b.numel() == 0:
                continue
            seen.add(id(b))
            self.names.append(name)
            self.bufs.append(b)
        self.every = every
        self.slots: list[list[torch.Tensor] | None] = [None, None]
        self.slot_step = [-1, -1]
        self.turn = 0
        self.calls = 0

    def keep(self, step: int) -> None:
        """At a guarded call: every ``every`` calls, copy the buffers into the older slot."""
        if not self.bufs:
            return
        if self.calls % self.every == 0:
            slot = self.slots[self.turn]
            with torch.no_grad():
                if slot is None or any(s.shape != b.shape for s, b in zip(slot, self.bufs)):
                    self.slots[self.turn] = [b.detach().clone() for b in self.bufs]
                else:
                    torch._foreach_copy_(slot, self.bufs)
            self.slot_step[self.turn] = step
            self.turn ^= 1
        self.calls += 1

    def repair(self, step: int) -> Event | None:
        """After a step skipped for non-finite values: restore the buffers its forward made non-finite, and say so.
        None when every buffer is finite."""
        if not self.bufs:
            return None
        with torch.no_grad():
            finite = torch.stack([torch.isfinite(b).all() for b in self.bufs]).tolist()  # one host read
        bad = [i for i, ok in enumerate(finite) if not ok]
        if not bad:
            return None
        names = [self.names[i] for i in bad]
        for k in sorted(range(2), key=lambda j: -self.slot_step[j]):
            slot = self.slots[k]
            if slot is None:
                continue
            with torch.no_grad():
                if not all(bool(torch.isfinite(slot[i]).all()) for i in bad):
                    continue
                for i in bad:
                    self.bufs[i].copy_(slot[i])
            return Event(step=step, kind="nonfinite", severity="warning",
                         message=(f"the skipped step's forward had already written NaN/Inf into {len(bad)} "
                                  f"buffer(s) ({', '.join(names[:4])}{'...' if len(names) > 4 else ''}): restored "
                                  f"from their copy at step {self.slot_step[k]} (training normalises with the "
                                  "batch's own statistics; evaluation would have output NaN)"),
                         layers=(), evidence={"where": "buffers", "buffers": names,
                                              "restored_from_step": self.slot_step[k]})
        return Event(step=step, kind="nonfinite", severity="critical",
                     message=(f"{len(bad)} buffer(s) are NaN/Inf ({', '.join(names[:4])}) and no finite copy is "
                              "kept: the model will output NaN in evaluation mode (reset them, e.g. BatchNorm's "
                              "reset_running_stats())"),
                     layers=(), evidence={"where": "buffers", "buffers": names, "restored_from_step": None})

