"""gradguard's judgment on a corpus case: ``check``'s top cause and a monitored run's events, scored against the labels.

The scoring targets (issue 12): a healthy case gets no warning/critical finding and no event; a broken case's top
cause is one of its accepted causes, and its first accepted event comes at or before the plain run's failure step.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any

import torch

import gradguard
from gradguard.diagnosis import Diagnosis
from gradguard.diagnosis.findings import DiagnosisError

from . import Case, PlainRun, Setup, train_plain
from ._setup import PlainRecorder

__all__ = ["GUARD_ACTIONS", "GuardedRun", "Judgment", "judge", "run_check", "run_guarded"]

#: events that are the guard's own actions, not verdicts about the model (a monitor never raises them)
GUARD_ACTIONS = ("clip", "skip", "rollback", "lr_change")


def run_check(setup: Setup) -> Diagnosis:
    """``gradguard.check`` called the way a user of this model would: dict batch for HF models, closure for models
    whose forward returns a hidden state, ``(inputs, targets)`` + ``loss_fn`` otherwise; with the optimizer,
    scheduler (stepped after every optimizer step, as every corpus loop does) and the user's clip norm where
    ``check`` takes them."""
    params = inspect.signature(gradguard.check).parameters
    extra: dict[str, Any] = {}
    if "scheduler" in params:
        extra["scheduler"] = setup.scheduler
    if "max_grad_norm" in params and setup.clip is not None:
        extra["max_grad_norm"] = setup.clip
    if "scheduler_interval" in params and setup.scheduler is not None:
        extra["scheduler_interval"] = "step"  # every corpus loop steps its scheduler after each optimizer step
    # a case without a loss_fn computes its loss itself (fresh59's soft decision tree and GE2E left needs_closure
    # unset): the closure is the only way a user could call check on it
    # a full-batch graph case whose batch carries no inputs (fresh83's (None, labels): the model reads the graph it
    # holds) is checked through its closure too, as its user would have to
    no_inputs = isinstance(setup.batch, (tuple, list)) and len(setup.batch) > 0 and setup.batch[0] is None
    if (setup.needs_closure or setup.loss_fn is None or no_inputs) and "closure" in params:
        return gradguard.check(setup.model, optimizer=setup.optimizer, closure=setup.closure, **extra)
    return gradguard.check(setup.model, setup.batch, setup.loss_fn, setup.optimizer, **extra)


def found_cause(d: Diagnosis) -> str:
    """``"healthy"`` when no finding is a warning or critical, else the top finding's cause."""
    return "healthy" if d.healthy or d.top is None else d.top.cause


def top_evidence(d: Diagnosis, width: int = 90) -> str:
    """The top finding's message, first clause, at most ``width`` characters."""
    if d.healthy or d.top is None:
        return "no warning or critical finding"
    # the first clause; "e.g. " does not end one ("9 weight matrices (e.g. fcn.0.ws) are all zeros" read "(e.g")
    msg = re.split(r"(?<!e\.g)\. ", d.top.message.split("; ")[0])[0].replace("|", "/")
    return msg if len(msg) <= width else msg[: width - 3] + "..."


@dataclass
class GuardedRun:
    """A run under ``gradguard.Guard(policy="monitor")``: losses and the verdict events (guard actions and info
    events left out) as ``(step, kind, severity, message)``. ``plain``: the run's record as a plain run, when the
    guard raised nothing at all in all ``steps`` (then it never re-ran a forward, and a monitor trains exactly as
    the plain run does); None otherwise."""

    losses: list[float] = field(default_factory=list)
    events: list[tuple[int, str, str, str]] = field(default_factory=list)
    plain: PlainRun | None = None

    def first(self, kinds: tuple[str, ...] | None = None) -> tuple[int, str] | None:
        """The first event (step, kind) of one of ``kinds`` (any kind when None)."""
        for step, kind, _, _ in self.events:
            if kinds is None or kind in kinds:
                return step, kind
        return None


def run_guarded(case: Case, steps: int | None = None, seed: int = 0, stop_after: int | None = None) -> GuardedRun:
    """Train ``case`` under a monitoring guard (it measures and raises events, never changes a step); the closure is
    given to ``guard.step`` so that events can be diagnosed. Stops once the weights are non-finite, or after step
    ``stop_after`` when given."""
    setup = case.build(seed)
    out = GuardedRun()
    n = steps or case.steps
    rec = PlainRecorder(setup.model)
    quiet = True
    try:
        made = gradguard.Guard(setup.model, setup.optimizer, policy="monitor", scheduler=setup.scheduler)
    except gradguard.ConfigError as exc:  # a guard that refuses the model: an alarm on a healthy case, a miss else
        out.events.append((0, "refused", "critical", f"the guard refused the model: {exc}"))
        return out
    with made as guard:
        for step in range(n):
            out.losses.append(setup.train_step(step, guard))
            events = setup.last_report.events
            quiet = quiet and not events
            out.events += [(e.step, e.kind, e.severity, e.message) for e in events
                           if e.kind not in GUARD_ACTIONS and e.severity != "info"]
            quiet = rec.record(step, out.losses[-1]) and quiet  # the plain run would stop here
            if not all(bool(torch.isfinite(p).all()) for p in setup.model.parameters()):
                break
            if stop_after is not None and step >= stop_after:
                break
    if quiet and len(out.losses) == n:
        out.plain = rec.finish(case.learn_ratio, case.chance)
    return out


@dataclass
class Judgment:
    """One case scored: ``check``'s verdict, the monitored run's events and the plain run's failure step (``plain``:
    the plain run's record, when it was run or could be read off the monitored run)."""

    case: Case
    found: str
    evidence: str
    first_event: tuple[int, str] | None
    any_event: tuple[int, str] | None
    failure_step: int | None
    failure: str
    cause_ok: bool
    event_ok: bool
    plain: PlainRun | None = None

    @property
    def ok(self) -> bool:
        return self.cause_ok and self.event_ok

    @property
    def verdict(self) -> str:
        if self.ok:
            return "ok"
        return "FALSE ALARM" if self.case.healthy else "MISS"


#: the trouble kinds stamped with a step before the end of the run (no learning shows only at the last step)
_EARLY = ("nonfinite", "diverge", "weight_growth")


def judge(case: Case, steps: int | None = None, seed: int = 0, plain: PlainRun | None = None,
          fast: bool = False) -> Judgment:
    """Score ``case``: check on its batch, a monitored run of ``steps`` and (unless given) the plain run. A ``check``
    that fails with a ``DiagnosisError`` or refuses the model (``ConfigError``) on a model that trains is scored as
    found ``"error"`` (a false alarm on a healthy case, a miss on a broken one).

    ``fast`` (the test suite's mode; the verdicts are the same): a broken case whose trouble can show before the
    end runs its plain run first, only up to that failure, and its monitored run only up to the failure step (a
    later event cannot count); a monitored run that raised nothing stands in for the plain run (see
    :class:`GuardedRun`), which then is not run again. The table shows each run in full (no ``fast``)."""
    try:
        d: Diagnosis | None = run_check(case.build(seed))
        error = ""
    except (DiagnosisError, gradguard.ConfigError) as exc:
        d, error = None, f"check failed: {exc}"
    found, evidence = ("error", error[:90]) if d is None else (found_cause(d), top_evidence(d))
    if case.healthy:
        run = run_guarded(case, steps, seed)
        first = run.first()
        return Judgment(case, found, evidence, first, first, None, "-", d is not None and d.healthy, first is None,
                        plain or run.plain)
    early = fast and any(t in _EARLY for t in case.trouble)
    if early and plain is None:
        plain = train_plain(case, steps, seed, stop_at_failure=True)
    stop = plain.failure_step(case.trouble) if early and plain is not None else None
    run = run_guarded(case, steps, seed, stop_after=stop)
    if plain is None:
        plain = run.plain if fast and run.plain is not None else train_plain(case, steps, seed)
    fail = plain.failure_step(case.trouble)
    first = run.first(case.events)
    event_ok = first is not None and (fail is None or first[0] <= fail)
    return Judgment(case, found, evidence, first, run.first(), fail, plain.failure_label(case.trouble),
                    found in case.expected, event_ok, plain)
