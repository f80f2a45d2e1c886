"""Whether the loop clears the gradients between steps: a forgotten ``optimizer.zero_grad()``, told exactly.

Without ``zero_grad`` every ``backward`` adds to the gradient left by the last one, so each step applies the sum of
every gradient so far: the run trains badly or blows up, and nothing in a single step's numbers says why
(pytorch/examples' VAE without it ends at 275 against 202, its gradient norm growing to 1e6 by step 146). The
watch reads it from the autograd bookkeeping of one parameter (the smallest of 64 elements or more that gets a
gradient), at no device cost on the usual path:

* a hook counts the ``backward`` passes that accumulate into its gradient between two guarded steps (``k``);
* a cleared gradient is either a new tensor (``zero_grad()``'s default ``set_to_none=True``) or one zeroed in
  place, which bumps its version counter once more than the ``k`` accumulations;
* so the same tensor, its version up by exactly ``k``, means nothing touched it but the accumulations. Only an
  untracked write (``p.grad.data.zero_()``) can hide from the counter: there the gradient equals the sum of the
  ``k`` incoming ones, which is checked once (one host read) before anything is said, and the watch then stops.

Three such steps in a row raise one ``grads_not_cleared`` event (critical), after which the watch stops. A trainer
(Lightning, Transformers) clears the gradients itself; a loop that accumulates micro-batches and clears after the
step is cleared. The guard's own in-place work (clipping, unscaling) happens after the check and before the
bookkeeping is reset, so it does not count.
"""

from __future__ import annotations

from typing import Any

import torch

from .events import Event

__all__ = ["ClearWatch", "watch_clearing"]

#: consecutive uncleared steps before the event
STREAK = 3
#: the watched parameter's least size (the value test compares directions)
_MIN_ELEMENTS = 64
#: incoming gradients kept between two guarded steps (references; micro-batches beyond it are not value-tested)
_MAX_KEPT = 64


class ClearWatch:
    """Watches one parameter's gradient between guarded steps (see the module docstring)."""

    def __init__(self, params: list[torch.Tensor]) -> None:
        self._params = params
        self.param: torch.Tensor | None = None
        self.count = 0  # backward passes accumulated into the watched gradient since the last step
        self.incoming: list[torch.Tensor] = []  # their gradients, as they arrived (references)
        self.grad: torch.Tensor | None = None  # the gradient tensor left at the end of the last step
        self.version = -1
        self.streak = 0
        self.done = False
        self.overflow = False  # more passes arrived than are kept (_MAX_KEPT)
        self._handles: list[Any] = []

    def before(self, step: int) -> Event | None:
        """At a guarded step, after the loop's ``backward``: the event when the gradient was not cleared."""
        if self.done:
            return None
        p = self.param
        if p is None:
            self._start()
            return None
        g = p.grad
        if g is None or self.count == 0 or g is not self.grad or g._version - self.version < self.count:
            self.streak = 0  # a new tensor (set to None and made again): cleared
            return None
        exact = g._version - self.version == self.count  # nothing but the accumulations touched it
        if not (exact and self.streak > 0) and self._cleared_by_value(g):
            self.stop()  # zeroed (in place with a clip after it, or through .data): the loop clears
            return None
        self.streak += 1
        if self.streak < STREAK:
            return None
        k = self.count
        self.stop()
        return Event(
            step=step, kind="grads_not_cleared", severity="critical",
            message=(f"the gradients are not cleared between steps: for {STREAK} steps in a row each backward pass "
                     f"({k} since the last step) added to the gradient left by the previous one, so every step "
                     "applies the sum of all gradients so far. Call optimizer.zero_grad() after each "
                     "optimizer step (or model.zero_grad() before each backward)."),
            layers=(), evidence={"backward_passes_since_last_step": k, "consecutive_steps": STREAK,
                                 "how": "the same .grad tensor, its version counter up by exactly the number of "
                                        "accumulations (no zeroing in place, no new tensor)"})

    def after(self) -> None:
        """At the end of a guarded step: the gradient left for the next one."""
        p = self.param
        if p is None or self.done:
            return
        self.grad = p.grad
        self.version = -1 if p.grad is None else p.grad._version
        self.count = 0
        self.incoming.clear()
        self.overflow = False

    def stop(self) -> None:
        self.done = True
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self.incoming.clear()
        self.grad = None

    def _start(self) -> None:
        """Choose the smallest parameter of at least ``_MIN_ELEMENTS`` that got a gradient this step; hook it."""
        live = [p for p in self._params if p.grad is not None and p.grad.layout == torch.strided
                and not p.grad.is_sparse]
        if not live:
            return
        # the smallest with enough elements for the value test (a bias of one element is parallel to anything)
        big = [q for q in live if q.numel() >= _MIN_ELEMENTS]
        p = min(big, key=lambda q: q.numel()) if big else max(live, key=lambda q: q.numel())
        self.param = p
        self._handles.append(p.register_hook(self._arrived))
        self._handles.append(p.register_post_accumulate_grad_hook(self._accumulated))

    def _arrived(self, g: torch.Tensor) -> None:
        if len(self.incoming) < _MAX_KEPT:  # bounded: a loop that never calls the guard again keeps nothing more
            self.incoming.append(g)
        else:
            self.overflow = True

    def _accumulated(self, p: torch.Tensor) -> None:
        self.count += 1

    def _cleared_by_value(self, g: torch.Tensor) -> bool:
        """The gradient is a positive multiple of the sum of the passes that arrived since the last step: it was
        cleared, then perhaps clipped in place (a clip bumps the version counter as a zeroing does; an accumulated
        gradient ``c * (g_prev + new)`` is not parallel to ``new``). One host read; a few per run at most."""
        if not self.incoming or self.overflow:
            return True  # nothing kept to compare with (or not all of it): say nothing
        total = self.incoming[0]
        for t in self.incoming[1:]:
            total = total + t
        try:
            gf, tf = g.detach().double().reshape(-1), total.detach().double().reshape(-1)
            dot, tt, gg = torch.stack([gf @ tf, tf @ tf, gf @ gf]).tolist()
        except RuntimeError:
            return True  # unreadable: say nothing
        if gg == 0:
            return True
        if tt == 0:
            return False  # nothing new arrived, yet the gradient is not zero: what was there stayed
        c = dot / tt
        resid = max(gg - 2 * c * dot + c * c * tt, 0.0)
        return c > 0 and resid <= 1e-10 * gg  # float32 rounding of a multiple: ~1e-14; an accumulation: far more


def watch_clearing(guard: Any) -> None:
    """At a guarded call: a forgotten ``zero_grad``'s event goes with this call's report."""
    event = guard._clear_watch.before(guard._step)
    if event is not None:
        guard._pending_events = [*guard._pending_events, event]
