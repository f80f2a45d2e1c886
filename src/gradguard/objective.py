"""Whether the loss is a measure of progress the loss-history detectors may read.

The detectors of spikes, divergence and stalls compare a step's loss with the run's own earlier losses: that assumes
one objective, fixed while the model minimises it. Two kinds of training break that assumption, and the guard finds
both from the loss itself:

* **The loss is judged by a model trained elsewhere** (a GAN's generator, whose loss is the discriminator's verdict;
  DDPG's actor, scored by its critic): the loss's graph reaches trainable parameters that are neither the guarded
  model's nor its optimizer's, and those parameters change between the guard's steps (another optimizer steps them:
  their version counters move). The generator's loss then rises as the discriminator improves, which is the game,
  not a divergence (pytorch/examples' DCGAN, healthy: the generator's BCE doubles and the divergence detector fired
  critical at steps 63-76, session 26's fifth real-code round). From the first step that shows it, the loss-history
  events (``loss_spike``, ``divergence`` and the loss modes of ``stall``) are left out, once said with a
  ``RuntimeWarning``; the gradient, weight and non-finite detectors go on as before. A frozen teacher (its
  parameters never stepped), a parameter of the same model under a second optimizer, or one loss handed to two
  guards (an encoder's and a decoder's optimizers stepping on the same backward: one objective both minimise) is
  not such a judge.
* **The loss sums a number of terms that changes from step to step** (an episode's summed losses in
  pytorch/examples' actor-critic, 11 to 500 steps an episode; a token-summed loss over batches of varying length):
  the loss-history detectors read the loss scaled to the first step's count (``loss * first / terms``), so a longer
  episode is not a rise. The count is read from the graph's reduction nodes (:func:`gradguard.reduction.summed_terms`,
  a few node visits) at every call once the first read found more than one term; a loss with one count throughout is
  read as it is. When, besides, the model was called once per term (an episode's forwards, one observation each)
  over a count that changed (one step suffices), the loss is taken for on-policy RL's surrogate (REINFORCE,
  actor-critic): its level follows the episode and the policy, not progress (the healthy actor-critic, read per
  term, still rose 1.2x above its best as it learned), and the loss-history events are left out as for a moving
  judge, said once. The forwards are counted by a pre-hook on the model, put there only when the first loss summed
  several terms and taken off once the question is settled (an episode, or :data:`ROLLOUT_LOOKS` steps without a
  sign of one) or the guard closes.

The report, the record and the policies' inputs keep the loss as given; only what the detectors see changes.
"""

from __future__ import annotations

import collections
import dataclasses
import warnings
import weakref
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from .events import Event
from .reduction import summed_terms
from .stats_types import StepStats

__all__ = ["LOSS_KINDS", "LOSS_STALL_MODES", "ObjectiveWatch", "outside_leaves"]

#: event kinds read off the loss's history alone
LOSS_KINDS: tuple[str, ...] = ("loss_spike", "divergence")
#: the ``stall`` modes read off the loss (``weights_shrink`` and ``tiny_steps`` read the weights and stay)
LOSS_STALL_MODES: tuple[str, ...] = ("never_improved", "frozen", "at_chance", "plateau", "not_learning", "tiny_steps")
#: graph nodes visited at most when looking for parameters outside the guarded model (once a run)
MAX_NODES = 200_000
#: outside parameters whose version counters are compared from step to step (the first ones found)
WATCHED = 8
#: steps whose term count is kept for the deferred read (a step late)
KEPT_COUNTS = 8
#: steps with one term per forward over a changed count before the loss is taken for an episode's (one: the early
#: divergence rule reads the first steps)
ROLLOUT_VOTES = 1
#: steps without one such vote after which the forward counter is taken off (a supervised sum, a fixed count)
ROLLOUT_LOOKS = 20
#: the losses the guards saw last, and which watch saw each (weak references: a freed loss matches nothing)
_SEEN_LOSSES: collections.deque[tuple[weakref.ref[torch.Tensor], weakref.ref[ObjectiveWatch]]] = \
    collections.deque(maxlen=16)


def outside_leaves(loss: torch.Tensor, own: set[int]) -> list[torch.Tensor]:
    """The trainable parameters (``nn.Parameter``) ``loss``'s graph reaches that are not in ``own`` (ids), in the order
    found; empty for a loss without a graph or a graph larger than :data:`MAX_NODES` nodes."""
    from .diagnosis.graph import graph_nodes

    found: list[torch.Tensor] = []
    for n, node in enumerate(graph_nodes(loss, MAX_NODES + 1)):
        if n >= MAX_NODES:
            return []
        var = getattr(node, "variable", None)
        # parameters only: a leaf made each step (WGAN-GP's interpolates.requires_grad_()) is no one's judge
        if isinstance(var, nn.Parameter) and var.requires_grad and id(var) not in own:
            found.append(var)
    return found


class ObjectiveWatch:
    """Watches the loss each guarded call for the two ways it stops being a progress measure (module docstring).

    Args:
        own: the guarded model's and optimizer's parameters.
    """

    def __init__(self, own: Iterable[torch.Tensor], model: nn.Module | None = None) -> None:
        self._own = {id(p) for p in own}
        self._model = None if model is None else weakref.ref(model)
        self._hook: Any = None  # counts the model's forwards between calls, once its loss sums several terms
        self._calls = 0
        self._rollout_votes = 0
        self._rollout_looks = 0  # steps the forward count was compared with the terms
        #: the same loss tensor was handed to another guard (a joint objective, see _note_versions)
        self.shared_loss = False
        #: the loss sums one term per forward of the model over a count that varies (an episode: on-policy RL)
        self.rollout = False
        self._outside: list[weakref.ref[torch.Tensor]] = []
        self._versions: tuple[int, ...] | None = None
        self._read = False
        #: the loss is judged by parameters another optimizer steps (a GAN's discriminator, an actor's critic)
        self.judged_elsewhere = False
        self.first_terms: int | None = None
        self._counts: dict[int, int] = {}
        self._varies = False
        #: the user's word on the loss (Guard's ``loss_is_progress``), None when the watch finds it
        self.declared: bool | None = None

    @classmethod
    def of(cls, model: nn.Module, optimizer: Any) -> ObjectiveWatch:
        params = list(model.parameters())
        if optimizer is not None:
            params += [p for g in optimizer.param_groups for p in g["params"]]
        return cls(params, model)

    def begin(self, loss: Any, step: int) -> bool:
        """Called by the guard with each step's loss before its optimizer step; True at the call that finds the loss
        judged by a moving adversary (the guard then tells its policy: :func:`gradguard.policy.unread_loss`), False
        otherwise. An episode's sum is not told to the policy: the safe policy's clipping helps REINFORCE (its
        episode length at seeds 0-3: 347/490/320/421 against plain's 208/92/310/108, session 27's sixth round)."""
        before = self.judged_elsewhere
        self._begin(loss, step)
        return not before and self.judged_elsewhere

    def _begin(self, loss: Any, step: int) -> None:
        if not isinstance(loss, torch.Tensor) or loss.grad_fn is None:
            return
        if not self._read:
            self._read = True
            self._outside = ([] if self.declared else
                             [weakref.ref(t) for t in outside_leaves(loss, self._own)[:WATCHED]])
            self.first_terms = summed_terms(loss)
            self._counts[step] = self.first_terms
            if self.first_terms > 1 and not self.declared:  # declared progress: no episode to look for
                self._count_forwards()
        else:
            if self.first_terms is not None and self.first_terms > 1:
                terms = summed_terms(loss)
                self._counts[step] = terms
                self._varies = self._varies or terms != self.first_terms
                for old in [s for s in self._counts if s < step - KEPT_COUNTS]:
                    del self._counts[old]
                self._note_rollout(terms)
        if self._outside:  # still watching a possible judge (else nothing here is asked again)
            for seen_loss, seen_by in _SEEN_LOSSES:  # the same loss tensor at another guard: one joint objective
                other = seen_by()
                if seen_loss() is loss and other is not None and other is not self:
                    other.shared_loss = self.shared_loss = True
            _SEEN_LOSSES.append((weakref.ref(loss), weakref.ref(self)))
            self._note_versions()

    def _count_forwards(self) -> None:
        model = self._model() if self._model is not None else None
        if model is None or self._hook is not None:
            return

        def count(_module: nn.Module, _args: Any) -> None:
            self._calls += 1
        self._hook = model.register_forward_pre_hook(count)

    def _note_rollout(self, terms: int) -> None:
        """One term per forward of the model, over a count that differs from the first step's: an episode's losses
        (told after :data:`ROLLOUT_VOTES` such steps; the forward count is then no longer needed)."""
        calls, self._calls = self._calls, 0
        if self.rollout or self._hook is None:
            return
        if calls >= 2 and calls == terms and terms != self.first_terms:
            self._rollout_votes += 1
        self._rollout_looks += 1
        if self._rollout_votes == 0 and self._rollout_looks >= ROLLOUT_LOOKS:  # one forward a step, or a fixed count
            self.close()
            return
        if self._rollout_votes >= ROLLOUT_VOTES:
            self.rollout = True
            self.close()
            warnings.warn(
                f"gradguard: the loss sums one term per forward of the model over a count that changes from step to "
                f"step ({self.first_terms} terms at first, {terms} now: an episode's losses, on-policy RL): its "
                "level follows the episode and the policy, not progress, so loss spikes, divergence and loss stalls "
                "are not reported for this guard; gradient, weight and non-finite checks go on.",
                RuntimeWarning, stacklevel=6)

    def declare(self, progress: bool) -> None:
        """The user's word (``Guard(loss_is_progress=...)``): False, the loss is not a progress measure (its loss
        events are left out from the first step); True, it is, whatever the watch would find (nothing is watched)."""
        self.declared = progress
        if not progress:
            self._read = True  # nothing left to find: the outside leaves and the summed terms are not read
            self.judged_elsewhere = True

    def close(self) -> None:
        """Remove the forward counter from the model (idempotent)."""
        if self._hook is not None:
            self._hook.remove()
            self._hook = None

    def _note_versions(self) -> None:
        alive = [r() for r in self._outside]
        if any(t is None for t in alive):  # a judge freed: nothing left to compare against
            self._outside = []
            return
        versions = tuple(t._version for t in alive if t is not None)
        # one loss handed to two guards (an encoder's and a decoder's optimizer on the same backward) is one
        # objective both minimise, not a judge: the other optimizer's step lowers this loss
        if self.shared_loss:
            self._outside = []
        elif self._versions is not None and versions != self._versions:
            self.judged_elsewhere = True
            warnings.warn(
                "gradguard: the loss depends on trainable parameters outside the guarded model and optimizer, and "
                "another optimizer changes them between steps (a GAN's discriminator, an actor's critic): the loss "
                "is a moving judge's verdict, so loss spikes, divergence and loss stalls are not reported for this "
                "guard; gradient, weight and non-finite checks go on.", RuntimeWarning, stacklevel=6)
            self._outside = []
        self._versions = versions

    def terms_at(self, step: int) -> int | None:
        """The terms the loss of ``step`` summed (kept for the last few steps once the count is read each call)."""
        return self._counts.get(step)

    def detector_stats(self, stats: StepStats) -> StepStats:
        """``stats`` as the detectors should read it: the loss scaled to the first step's term count when the count
        varies (the record keeps the loss as given)."""
        terms = self._counts.get(stats.step)
        if (not self._varies or terms is None or not terms or self.first_terms is None or stats.loss is None
                or terms == self.first_terms):
            return stats
        return dataclasses.replace(stats, loss=stats.loss * self.first_terms / terms)

    def keep(self, events: list[Event]) -> list[Event]:
        """``events`` without the loss-history ones when the loss is judged elsewhere or sums an episode."""
        if not (self.judged_elsewhere or self.rollout):
            return events
        return [e for e in events if e.kind not in LOSS_KINDS
                and not (e.kind == "stall" and e.evidence.get("mode") in LOSS_STALL_MODES)]


def run_detectors(guard: Any, stats: StepStats) -> list[Event]:
    """Every detector of ``guard`` on ``stats`` (through its :class:`ObjectiveWatch`)."""
    watch: ObjectiveWatch = guard._objective
    seen = watch.detector_stats(stats)
    events: list[Event] = []
    for detector in guard.detectors:
        events.extend(detector(seen, guard.layer_names))
    if seen is not stats and stats.loss is not None and seen.loss is not None:  # say what the loss events read
        note = {"loss_as_given": stats.loss, "loss_read": seen.loss, "terms": watch.terms_at(stats.step),
                "first_terms": watch.first_terms}
        events = [dataclasses.replace(e, evidence={**e.evidence, "summed_terms": note})
                  if e.kind in (*LOSS_KINDS, "stall") else e for e in events]
    return watch.keep(events)
