"""Attribution in a guarded run: a policy member that replays each spike on the alarm path, before the step.

At the moment a policy decides, the model and optimizer hold exactly the state before the step and every
``.grad`` holds the step's own gradient: the cheapest and most exact point to replay it. The member never acts
(its decision is empty); it writes its result into the event's evidence under ``"attribution"`` (so the run
record keeps it) and keeps it for :class:`~gradguard.SkipBatches`, which can drop the culprit samples.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..decision import Decision, NoState
from ..errors import ConfigError
from ..events import Event
from ..mitigation.rollback import find_store, members
from ..rng import capture_rng_state
from ..stats import StepStats
from ._batch import BatchLoss, default_batch_loss
from ._verdict import REPLAY_KINDS, SPIKE_KINDS, Replay
from .replay import attribute_step

__all__ = ["FSDP_UNSUPPORTED", "AttributeSpikes", "PreStep", "find_attributor"]

#: Why a spike under FSDP is not attributed (said once, and stored as the attribution's ``error``).
FSDP_UNSUPPORTED = ("attribution does not support FSDP-sharded parameters (DTensor shards): spikes are not replayed "
                    "(DDP and single-process runs are)")


@dataclass
class PreStep:
    """The state before a spiking step, kept (on the CPU) when its batch was not known at the time."""

    step: int
    model: dict[str, Any]
    grads: list[torch.Tensor | None]
    rng: dict[str, Any] | None
    loss: float | None
    grad_norm: float


def _cpu(t: torch.Tensor | None) -> torch.Tensor | None:
    return None if t is None else t.detach().to("cpu", copy=True)


class AttributeSpikes(NoState):
    """Policy member: attribute every ``loss_spike``, ``explode`` and ``nonfinite`` event to data, state or hardware.

    Put it in the guard's policy and feed the loop from ``guard.batches(loader)`` (which binds it and tells it
    each step's batch and its indices in the loader's order)::

        guard = Guard(model, opt, loss_fn=loss_fn,
                      policy=gradguard.chain(AttributeSpikes(), gradguard.recover()))
        for x, y in guard.batches(loader, drop_culprits=True):
            ...

    Without ``guard.batches``, the batch given to ``guard.step(loss, inputs=x, targets=y)`` (with
    ``Guard(loss_fn=...)``) or ``guard.step(loss, closure=lambda model: loss_fn(model(x), y))`` is replayed on the
    spot, before the step is applied; nothing is copied. A closure cannot be split into samples: its verdict is
    ``hardware`` or ``state`` at batch level (``data`` needs a flagged culprit sample) and it names no culprits.
    A step given no batch is not replayed, at no cost, unless :meth:`bind` was called (``guard.batches`` binds
    too) and ``keep_pre_step`` is True: then the state before each such spiking step is kept (one CPU copy of the
    weights and gradients, the newest only) for ``guard.attribute(event, inputs=x, targets=y)``. Under
    torch.distributed a given batch is replayed only once bound (``guard.batches`` or :meth:`bind` on every rank),
    as every rank must replay in step.

    Args:
        max_attributions: attributions per run at most (default 10); later spikes are not replayed.
        max_runs: re-runs of parts of the batch per attribution (default 64; see
            :func:`~gradguard.attribution.rank_samples`).
        max_reference: other batches since the snapshot re-run as its baseline (default 3).
        top: culprit samples named (default 3).
        batch_loss: ``batch_loss(model, batch) -> mean loss`` for batches other than ``(inputs, targets)``
            (default: the guard's ``loss_fn(model(inputs), targets)``).
        keep_pre_step: once bound, keep the state before a spiking step whose batch cannot be re-run (one CPU
            copy) for ``guard.attribute``, and start the guard's RNG keeping without ``loss_fn`` (default True;
            the ``recover`` preset's member has False: without a batch it does nothing at all).

    Under torch.distributed (DDP) every rank replays its own batch in step with the others and all reach the same
    verdict (see :mod:`gradguard.attribution.ddp`); FSDP-sharded parameters (FSDP2's DTensors) are not supported:
    the guard says so once, and each spike's ``evidence["attribution"]`` holds ``verdict`` None and that ``error``.

    The hardware test compares a re-run of the batch with the step's own ``.grad``: it assumes one batch per step
    (no gradient accumulation) and the same numerics (with autocast, give a ``batch_loss`` that runs under the
    same autocast); otherwise it would report ``hardware`` for every spike. ``Guard(sync="deferred")`` falls back
    to the blocking read with it (it decides on the host).

    Cost: nothing on a step without a spike event (one dict look-up per optimizer step); on a spike, at most
    ``3 + max_reference`` forward/backward passes of the whole batch (the step, the snapshot and its reference
    batches or, without a snapshot, the batch without its culprits, and one in eval mode to rank the samples)
    plus up to ``max_runs`` of its parts.

    The verdict ``data`` needs a culprit that shows a data anomaly (a data-check flag: out-of-range or non-finite
    values, near-duplicates, runs of one token, repeated n-grams); clean samples that are merely hard at this
    state are ``state`` and never dropped (see :func:`~gradguard.attribution._verdict.decide`).
    """

    def __init__(self, *, max_attributions: int = 10, max_runs: int = 64, max_reference: int = 3, top: int = 3,
                 batch_loss: BatchLoss | None = None, keep_pre_step: bool = True) -> None:
        for name, value, low in (("max_attributions", max_attributions, 0), ("max_runs", max_runs, 1),
                                 ("max_reference", max_reference, 0), ("top", top, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(name, value, f"an integer >= {low}")
        if not isinstance(keep_pre_step, bool):
            raise ConfigError("keep_pre_step", keep_pre_step, "True or False")
        if batch_loss is not None and not callable(batch_loss):
            raise ConfigError("batch_loss", batch_loss, "a callable batch_loss(model, batch) -> loss, or None")
        self.max_attributions = max_attributions
        self.max_runs = max_runs
        self.max_reference = max_reference
        self.top = top
        self.batch_loss = batch_loss
        self.keep_pre_step = keep_pre_step
        self.guard: Any = None
        self.source: Any = None
        #: step -> attribution result (as stored in the events' evidence)
        self.results: dict[int, dict[str, Any]] = {}
        self.pre_step: PreStep | None = None
        self._hook: Any = None
        self._said = False
        self._bound = False  # bind() called: keep the pre-step state when a spike's batch is not known
        #: the batch given to ``guard.step(loss, inputs=, targets=, closure=)``: (step, inputs, targets, closure)
        self._offered: tuple[int, Any, Any, Any] | None = None

    def __repr__(self) -> str:
        return f"AttributeSpikes(max_attributions={self.max_attributions}, max_runs={self.max_runs})"

    def bind(self, guard: Any, source: Any = None) -> None:
        """Attach to ``guard`` (and the batch source, a :class:`~gradguard.SkipBatches`). Idempotent."""
        self._attach(guard)
        self._bound = True
        if source is not None:
            self.source = source
        if getattr(guard, "_rng_state", False) is None and (self.keep_pre_step or self.loss_for(guard) is not None):
            # a guard without loss_fn keeps no RNG state: start it (the guard then keeps, after every step, the RNG
            # the next forward starts from; ~60 us a step), or a re-run would draw other dropout masks and the
            # hardware test would call every spike of a model with dropout "hardware"
            guard._rng_state = capture_rng_state()

    def _attach(self, guard: Any) -> None:
        """Point at ``guard`` and mark its optimizer's steps (for the results' ``applied``)."""
        if self.guard is not guard or self._hook is None:
            if self._hook is not None:
                self._hook.remove()
            optimizer = getattr(guard, "optimizer", None)
            self._hook = None if optimizer is None else optimizer.register_step_post_hook(self._stepped)
        self.guard = guard

    def offer(self, guard: Any, step: int, inputs: Any, targets: Any, closure: Any) -> None:
        """The batch given to ``guard.step(loss, inputs=x, targets=y)`` or ``guard.step(loss, closure=...)``
        (the guard calls this before its policy decides, only on a step given one): a spike on this step is then
        replayed on the spot, before the step is applied. Costs one tuple a step; nothing is copied."""
        if self.guard is None:
            self.guard = guard  # attached lazily: the optimizer hook is registered at the first replay
        self._offered = (step, inputs, targets, closure)

    def _given(self, guard: Any, step: int) -> tuple[Any, BatchLoss] | None:
        """(batch, batch_loss) from the batch offered for ``step``: ``(inputs, targets)`` with the loss of
        :meth:`loss_for` (``inputs`` alone for a ``batch_loss`` of its own when no targets are given), else the
        closure (a batch that cannot be split into samples); None without either."""
        offered = self._offered
        if offered is None or offered[0] != step:
            return None
        _, inputs, targets, closure = offered
        if inputs is not None:
            batch_loss = self.loss_for(guard)
            if batch_loss is not None:  # a batch_loss of its own takes inputs= alone as its batch (e.g. a dict)
                own = self.batch_loss is not None or getattr(self.source, "batch_loss", None) is not None
                return (inputs if own and targets is None else (inputs, targets)), batch_loss
        if closure is None:
            return None
        fn = closure

        def closure_loss(m: nn.Module, b: Any) -> torch.Tensor:
            return fn(m)  # type: ignore[no-any-return]

        return (), closure_loss

    def _stepped(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        result = self.results.get(self.guard.step_index)
        if result is not None:
            result["applied"] = True

    def loss_for(self, guard: Any) -> BatchLoss | None:
        """How a batch is re-run: ``batch_loss``, else the batch source's (a trainer callback's), else the
        guard's ``loss_fn(model(inputs), targets)``; None when there is none."""
        if self.batch_loss is not None:
            return self.batch_loss
        from_source = getattr(self.source, "batch_loss", None)
        if from_source is not None:
            return from_source  # type: ignore[no-any-return]
        return None if guard.loss_fn is None else default_batch_loss(guard.loss_fn)

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        spikes = [e for e in events if e.kind in SPIKE_KINDS]
        if spikes:
            self._attribute(stats, spikes[0].kind, spikes[0].evidence, spikes)
        return Decision()

    def attribute_clip(self, stats: StepStats, clip_coef: float) -> dict[str, Any] | None:
        """Attribute a step the policy clips heavily (``clip_coef`` < 0.1: the guard's ``clip`` event), before the
        clipped step is applied; returns the result for the clip event's ``evidence["attribution"]`` (None when
        nothing was replayed: no guard bound, ``max_attributions`` reached, or the batch not known).

        A corrupted sample whose gradient the clip absorbs raises no spike event (pytorch/examples' MNIST with
        x1000 images: 13 of 18 corrupted steps drew a clip and no spike); the healthy corpus drew none in 4,200
        steps. The guard calls it, when the policy holds an ``AttributeSpikes``, with the decision's coefficient.
        """
        evidence = {"clip_coef": clip_coef, "grad_norm": stats.grad_norm,
                    "grad_norm_after": stats.grad_norm * clip_coef}
        return self._attribute(stats, "clip", evidence, [])

    def attribute_skip(self, stats: StepStats, typical_norm: float) -> dict[str, Any] | None:
        """Attribute a step the policy skips as a gradient outlier (reason ``outlier_grad``) with no spike event,
        against the policy's ``typical_norm``; as :meth:`attribute_clip` (a skipped batch with a ``data`` verdict is
        fed again without its culprits)."""
        return self._attribute(stats, "skip", {"grad_norm": stats.grad_norm, "typical_norm": typical_norm}, [])

    def _attribute(self, stats: StepStats, kind: str, evidence: Any, events: Sequence[Event]
                   ) -> dict[str, Any] | None:
        """Replay the step (the state before it, ``.grad`` its gradient) and store the result on ``events``."""
        guard = self.guard
        if guard is None or len(self.results) >= self.max_attributions:
            return None
        distributed = getattr(guard, "reduce_packed", None) is not None
        step = stats.step
        if distributed and any(hasattr(p, "to_local") for p in guard.model.parameters()):
            return self._unsupported(step, events, FSDP_UNSUPPORTED)  # FSDP shards: not supported (DDP is)
        current = None if self.source is None else self.source.current
        batch_loss = self.loss_for(guard)
        model: nn.Module = guard.model
        params = [p for p in model.parameters() if p.requires_grad]
        rng = getattr(guard, "_rng_state", None)  # the RNG the step's forward started from, when the guard keeps it
        ids = None
        if current is not None and current[0] == step and batch_loss is not None:
            _, batch, ids = current
        else:
            # the batch given to guard.step (under torch.distributed only when bound: every rank must replay)
            given = None if distributed and not self._bound else self._given(guard, step)
            if given is None:
                if self._bound and self.keep_pre_step:  # kept for a later guard.attribute(event, inputs=, ...)
                    self.pre_step = PreStep(step, {k: _cpu(v) for k, v in model.state_dict().items()},
                                            [_cpu(p.grad) for p in params], copy.deepcopy(rng), stats.loss,
                                            stats.grad_norm)
                return None
            batch, batch_loss = given
        self._attach(guard)
        recorded = rng is not None or not _stochastic(model)
        snap_step, snap_model = self._snapshot(step)
        refs = [] if self.source is None or snap_step is None else self.source.since(snap_step, step,
                                                                                     self.max_reference)
        from .ddp import attribute_step_ddp

        replay: Callable[..., dict[str, Any]] = attribute_step_ddp if distributed else attribute_step
        result = replay(model, batch, batch_loss, Replay(
            kind=kind, evidence=evidence, recorded_loss=stats.loss if recorded else None,
            recorded_grads=[p.grad for p in params] if recorded else None,
            recorded_grad_norm=stats.grad_norm if recorded else None, rng_state=rng,
            snapshot=snap_model, snapshot_step=snap_step, reference_batches=refs, sample_ids=ids, top=self.top,
            max_runs=self.max_runs))
        result["step"] = step
        result["applied"] = False
        _explain(result, closure_only=ids is None and isinstance(batch, tuple) and not batch, recorded=recorded)
        if result.get("verdict") == "data" and self.source is not None:
            own = getattr(guard, "rank", 0)
            dropped = self.source.plan_drop(step, [c for c in result["culprit_samples"] if c.get("rank", own) == own])
            if dropped:
                result["dropped"] = dropped
        self.results[step] = result
        for e in events:
            if isinstance(e.evidence, dict):
                e.evidence["attribution"] = result
        return result

    def _unsupported(self, step: int, spikes: Sequence[Event], why: str) -> dict[str, Any]:
        """Say once that these spikes cannot be attributed, and why (also in each event's evidence)."""
        if not self._said:
            warnings.warn(f"gradguard: {why}", stacklevel=3)
            self._said = True
        result: dict[str, Any] = {"verdict": None, "error": why, "culprit_samples": [], "numbers": {},
                                  "step": step, "applied": False}
        self.results[step] = result
        for e in spikes:
            if isinstance(e.evidence, dict):
                e.evidence["attribution"] = result
        return result

    def _snapshot(self, step: int) -> tuple[int | None, dict[str, Any] | None]:
        """The newest snapshot at least two steps before ``step`` (an earlier state than the spiking one)."""
        store = find_store(self.guard.policy)
        if store is None:
            return None, None
        usable = [s for s in store.snapshots if s.step <= step - 2]
        if not usable and store.initial is not None:
            usable = [store.initial]
        if not usable:
            return None, None
        return usable[-1].step, usable[-1].model


def _explain(result: dict[str, Any], *, closure_only: bool, recorded: bool) -> None:
    """Say in the result's numbers why a closure-only batch names no samples, or why no hardware test ran."""
    numbers = result.get("numbers")
    if not isinstance(numbers, dict):
        return
    samples = numbers.get("samples")
    if closure_only and isinstance(samples, dict) and samples.get("run") is False and samples.get("why") != "hardware":
        samples["why"] = ("the step's batch was a closure (it cannot be split into samples): pass inputs= and "
                          "targets= with Guard(loss_fn=...) to name culprit samples")
        snapshot = numbers.get("snapshot")
        if result.get("verdict") == "state" and isinstance(snapshot, dict) and snapshot.get("recurs"):
            numbers["why"] = ("the batch spikes again on the previous snapshot (it carries the spike), but a "
                              "closure's samples cannot be checked for data anomalies: state (data needs a flagged "
                              "culprit sample)")
    same = numbers.get("same_state")
    if not recorded and isinstance(same, dict):
        same["why"] = ("the RNG the step's forward started from was not kept (a guard without loss_fn keeps it "
                       "after a step given a closure, or once bound) and the model has dropout: no hardware test")


def _stochastic(model: nn.Module) -> bool:
    """Whether a forward of ``model`` in its current mode may draw random numbers (dropout in training mode): then
    a re-run without the RNG the step started from cannot be compared with the step (no hardware test)."""
    return any(m.training and isinstance(m, nn.modules.dropout._DropoutNd) for m in model.modules())


def find_attributor(policy: Any) -> AttributeSpikes | None:
    """The first :class:`AttributeSpikes` inside ``policy`` (chains are searched), or None."""
    return next((m for m in members(policy) if isinstance(m, AttributeSpikes)), None)


def attribute_event(guard: Any, event: Event, *, inputs: Any = None, targets: Any = None, batch: Any = None,
                    closure: Callable[[nn.Module], torch.Tensor] | None = None) -> Event:
    """What :meth:`Guard.attribute` does: the event with ``evidence["attribution"]`` (see the module)."""
    if not isinstance(event, Event):
        raise ConfigError("event", type(event).__name__, "a gradguard Event (from a StepReport's events)")
    if event.kind not in REPLAY_KINDS:
        raise ConfigError("event.kind", event.kind, f"one of {list(REPLAY_KINDS)}")
    keeper = find_attributor(guard.policy)
    done = None if keeper is None else keeper.results.get(event.step)
    if done is None:
        if batch is None and inputs is not None:
            batch = (inputs, targets)
        batch_loss: BatchLoss | None
        if closure is not None:
            fn = closure

            def batch_loss(m: nn.Module, b: Any) -> torch.Tensor:
                return fn(m)
            batch = batch if batch is not None else ()
        else:
            batch_loss = keeper.loss_for(guard) if keeper is not None else (
                None if guard.loss_fn is None else default_batch_loss(guard.loss_fn))
        if batch_loss is None or batch is None:
            raise ConfigError("batch", None, "the step's batch: guard.attribute(event, inputs=x, targets=y) with "
                              "Guard(loss_fn=...), or closure=lambda model: loss")
        pre = None if keeper is None else keeper.pre_step
        model = guard.model
        recorded: dict[str, Any] = {}
        if pre is not None and pre.step == event.step:
            model = copy.deepcopy(guard.model)
            model.load_state_dict(pre.model)
            recorded = {"recorded_loss": pre.loss, "recorded_grads": pre.grads, "recorded_grad_norm": pre.grad_norm,
                        "rng_state": pre.rng}
        snap_step, snap_model = (None, None) if keeper is None or keeper.guard is None else keeper._snapshot(
            event.step)
        done = attribute_step(model, batch, batch_loss, Replay(kind=event.kind, evidence=event.evidence,
                                                               snapshot=snap_model, snapshot_step=snap_step,
                                                               **recorded))
        done["step"] = event.step
        if not recorded:
            done["numbers"]["pre_step_state"] = ("not kept (no AttributeSpikes bound to the guard): the current "
                                                 "state was replayed and the hardware test was not run")
        if keeper is not None:
            keeper.results.setdefault(event.step, done)
    return Event(event.step, event.kind, event.severity, event.message, event.layers,
                 {**event.evidence, "attribution": done}, event.causes)
