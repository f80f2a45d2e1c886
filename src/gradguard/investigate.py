"""The alarm path: when an event fires, find out why (forensics, diagnosis) and keep the evidence (flight record).

Nothing here runs on a healthy step. On an alarm it re-runs the step's forward (and backward) with probes, so it
needs the batch (the transformer probes of :mod:`gradguard.precursors.probes` read that re-run too: max attention
logit, log Z of the output logits, the output head's norm, each linear layer's output RMS, into
``evidence["probes"]``): ``guard.step(loss, inputs=x, targets=y)`` with ``Guard(..., loss_fn=...)``, or
``guard.step(loss, closure=lambda m: loss_fn(m(x), y))``. Every probe is side-effect free (weights, buffers,
``.grad``, training flags and RNG are restored), and a probe that fails never stops training: its error is written
into the event's evidence instead.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .events import Event
from .record._json import to_jsonable
from .rng import capture_rng_state, restore_rng_state

__all__ = ["DIAGNOSED_KINDS", "Investigator"]

#: Event kinds that get ranked causes attached from a diagnosis probe.
DIAGNOSED_KINDS = ("explode", "vanish", "nonfinite", "divergence")


class Investigator:
    """Attaches forensics, causes and flight records to events.

    Args:
        model, optimizer, scaler: what the guard guards.
        loss_fn: ``loss_fn(model(inputs), targets)``; None means only closures can be re-run.
        flight_dir: where flight records go (None: none are written).
        max_flight_records: at most this many per run (default 3), so a run stuck in NaN does not fill the disk.
        diagnose_every: diagnose each event kind at most once per this many steps (default 100 steps); each
            diagnosis costs about one forward and one backward pass of the batch. Events in between carry the
            latest causes of their kind, with ``evidence["causes_from_step"]`` saying which step they come from.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, scaler: Any,
                 loss_fn: Callable[..., torch.Tensor] | None, flight_dir: Path | None,
                 max_flight_records: int = 3, diagnose_every: int = 100) -> None:
        self.model = model
        self.optimizer = optimizer
        self.scaler = scaler
        self.loss_fn = loss_fn
        self.flight_dir = flight_dir
        self.max_flight_records = max_flight_records
        self.diagnose_every = diagnose_every
        self.flight_records: list[Path] = []
        self._last_diagnosis: dict[str, int] = {}
        self._causes: dict[str, tuple[int, tuple[Mapping[str, Any], ...]]] = {}
        self._warned = False
        #: the transformer probes read on the alarm path's re-run (built at the first alarm from the model; set it
        #: to a :class:`~gradguard.precursors.TransformerProbes` of your own, e.g. with a registered attention)
        self.probes: Any = None
        self._last_probed: int | None = None
        #: ``(steps, share)`` when the guard's early hold lowered the rate for the first ``steps`` steps because the
        #: first Adam step would move the weights by ``share`` of their RMS (the guard sets it; see
        #: :func:`_after_hold_lr`)
        self.hold: tuple[int, float] | None = None

    def _batch_fn(self, inputs: Any, targets: Any,
                  closure: Callable[[nn.Module], torch.Tensor] | None) -> Callable[[nn.Module], torch.Tensor] | None:
        if closure is not None:
            return closure
        if self.loss_fn is not None and inputs is not None:
            loss_fn = self.loss_fn
            return lambda m: loss_fn(m(inputs), targets)
        return None

    def investigate(self, step: int, events: Sequence[Event], inputs: Any, targets: Any,
                    closure: Callable[[nn.Module], torch.Tensor] | None,
                    rng_state: Mapping[str, Any] | None) -> list[Event]:
        """Return ``events`` with origins, causes and flight-record paths attached where they apply."""
        batch_fn = self._batch_fn(inputs, targets, closure)
        if batch_fn is None:
            return list(events)
        from .precursors.probes import exclusive

        with exclusive(None):  # probes armed for the next step must not read this step's re-runs
            return self._investigate(step, events, inputs, targets, closure, rng_state, batch_fn)

    def _investigate(self, step: int, events: Sequence[Event], inputs: Any, targets: Any,
                     closure: Callable[[nn.Module], torch.Tensor] | None, rng_state: Mapping[str, Any] | None,
                     batch_fn: Callable[[nn.Module], torch.Tensor]) -> list[Event]:
        probed: dict[str, Any] | None = None
        if any(e.kind in DIAGNOSED_KINDS for e in events) and self._probes_due(step):
            probed = self._probe(step, batch_fn, rng_state)
        out = []
        for event in events:
            evidence = dict(event.evidence)
            causes: tuple[Mapping[str, Any], ...] = event.causes
            if event.kind == "nonfinite" and evidence.get("where") != "weights":
                evidence.update(self._forensics(step, batch_fn, inputs, targets, closure, rng_state, event))
            if event.kind in DIAGNOSED_KINDS:
                if self._due(event.kind, step):
                    causes = _data_first(self._diagnose(inputs, targets, closure, evidence, step), evidence)
                    causes = _early_blowup_lr(causes, events)
                    self._causes[event.kind] = (step, causes)
                elif event.kind in self._causes:  # rate-limited: the latest diagnosis of this kind, said as such
                    diagnosed_at, causes = self._causes[event.kind]
                    evidence["causes_from_step"] = diagnosed_at
                causes = _after_hold_lr(causes, event, self.hold)  # the step's own fact, whichever diagnosis
                if probed:
                    causes = _with_probe_causes(causes, probed)
            if probed:  # the step's readings, on every event of the step
                evidence["probes"] = {k: v for k, v in probed.items() if k != "causes"}
            out.append(dataclasses.replace(event, evidence=evidence, causes=causes))
        return out

    def _probes_due(self, step: int) -> bool:
        """One probe re-run per alarm step, at most once per ``diagnose_every`` steps."""
        if self._last_probed is not None and step - self._last_probed < self.diagnose_every:
            return False
        self._last_probed = step
        return True

    def _probe(self, step: int, batch_fn: Callable[[nn.Module], torch.Tensor],
               rng_state: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """Re-run the step's forward (no gradient, same RNG draws) with the transformer probes armed; the model's
        buffers and the RNG are restored. None when the model has nothing to probe."""
        from .precursors.detectors import probe_evidence
        from .precursors.probes import TransformerProbes, exclusive

        try:
            if self.probes is None:
                self.probes = TransformerProbes(self.model, every=1)
            probes = self.probes
            if not (probes.attention or probes.head is not None or probes.linears):
                return None
        except Exception as exc:
            self._warn(exc)
            return {"error": f"{type(exc).__name__}: {exc}"}
        rng = capture_rng_state()
        buffers = [(b, b.detach().clone()) for b in self.model.buffers()]
        try:
            probes.arm(step)
            if rng_state is not None:
                restore_rng_state(rng_state)
            try:
                with torch.no_grad(), exclusive(probes):
                    batch_fn(self.model)
            except RuntimeError as exc:  # a closure that takes gradients itself (WGAN-GP's gradient penalty)
                if "does not require grad" not in str(exc):
                    raise
                probes.arm(step)
                if rng_state is not None:
                    restore_rng_state(rng_state)
                with torch.enable_grad(), exclusive(probes):
                    batch_fn(self.model)
            reading = probes.read()
            return None if reading is None else probe_evidence(reading, probes)
        except Exception as exc:  # a probe must never stop training
            self._warn(exc)
            return {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            probes.disarm()
            with torch.no_grad():
                for b, value in buffers:
                    b.copy_(value)
            restore_rng_state(rng)

    def _due(self, kind: str, step: int) -> bool:
        last = self._last_diagnosis.get(kind)
        if last is not None and step - last < self.diagnose_every:
            return False
        self._last_diagnosis[kind] = step
        return True

    def _forensics(self, step: int, batch_fn: Callable[[nn.Module], torch.Tensor], inputs: Any, targets: Any,
                   closure: Any, rng_state: Mapping[str, Any] | None, event: Event) -> dict[str, Any]:
        from .forensics import find_nonfinite_origin

        found: dict[str, Any] = {}
        try:
            name = getattr(self.loss_fn, "__qualname__", None) if closure is None else "closure"
            origin = find_nonfinite_origin(self.model, batch_fn, inputs=inputs, targets=targets,
                                           rng_state=rng_state, loss_name=name)
            found["origin"] = origin.to_dict()
        except Exception as exc:  # a probe must never stop training
            found["origin_error"] = f"{type(exc).__name__}: {exc}"
            self._warn(exc)
        if self.flight_dir is not None and len(self.flight_records) < self.max_flight_records:
            try:
                from .flight import save_flight_record

                path = save_flight_record(
                    self.flight_dir / f"step_{step:07d}.pt", model=self.model, optimizer=self.optimizer, step=step,
                    inputs=inputs, targets=targets, loss_fn=self.loss_fn, closure=closure, rng_state=rng_state,
                    scaler=self.scaler, extra={"event": to_jsonable(event.to_dict())})
                self.flight_records.append(path)
                found["flight_record"] = str(path)
            except Exception as exc:
                found["flight_record_error"] = f"{type(exc).__name__}: {exc}"
                self._warn(exc)
        return found

    def _diagnose(self, inputs: Any, targets: Any, closure: Callable[[nn.Module], Any] | None,
                  evidence: dict[str, Any], step: int) -> tuple[Mapping[str, Any], ...]:
        """Ranked causes from a diagnosis probe of the step: the closure when given, else loss_fn on the batch."""
        if closure is None and (self.loss_fn is None or inputs is None):
            return ()
        try:
            from .diagnosis import diagnose_step

            if closure is not None:
                findings = diagnose_step(self.model, closure=closure, optimizer=self.optimizer, steps_done=step)
            else:
                findings = diagnose_step(self.model, (inputs, targets), self.loss_fn, self.optimizer,
                                         steps_done=step)
            return tuple(f.to_dict() for f in findings[:5])
        except Exception as exc:
            evidence["diagnosis_error"] = f"{type(exc).__name__}: {exc}"
            self._warn(exc)
            return ()

    def _warn(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(f"gradguard: an alarm-path probe failed ({type(exc).__name__}: {exc}); training goes on "
                          "and the error is written into the event's evidence", RuntimeWarning, stacklevel=4)


def _with_probe_causes(causes: tuple[Mapping[str, Any], ...], probed: Mapping[str, Any]
                       ) -> tuple[Mapping[str, Any], ...]:
    """The probe readings' causes (attention logits over the calibrated threshold), after the diagnosed ones."""
    extra = probed.get("causes", ())
    have = {c.get("cause") for c in causes}
    return (*causes, *(c for c in extra if c.get("cause") not in have))


def _data_first(causes: tuple[Mapping[str, Any], ...], evidence: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    """When the forensics saw the batch itself non-finite before any module, ``data`` is a measured fact: rank it
    first even where the diagnosis probe could not see the batch (a closure that feeds a submodule directly, such
    as a LightningModule's ``training_step``)."""
    origin = evidence.get("origin")
    if not isinstance(origin, Mapping) or origin.get("phase") != "data":
        return causes
    if causes and causes[0].get("cause") == "data":
        return causes
    from .diagnosis.findings import Finding

    found = Finding(
        cause="data", layers=[], severity="critical", confidence=1.0,
        evidence={"origin": dict(origin), "expected": "all values finite"},
        message=f"The batch holds NaN/Inf before the model sees it: {origin.get('detail') or 'see the origin'}.",
        prescription=("Clean the data pipeline (division by zero, missing values, log of 0 in preprocessing); skip "
                      "or repair non-finite samples."),
        code="mask = torch.isfinite(x).flatten(1).all(dim=1)\nx, y = x[mask], y[mask]", score=100.0,
    ).to_dict()
    return (found, *(c for c in causes if c.get("cause") != "data"))


#: steps after the early hold's end within which a blow-up is the restored rate's (:func:`_after_hold_lr`)
AFTER_HOLD = 10


def _after_hold_lr(causes: tuple[Mapping[str, Any], ...], event: Event,
                   hold: tuple[int, float] | None) -> tuple[Mapping[str, Any], ...]:
    """``lr`` first when the guard held the rate over the first steps (its first Adam step would move the weights
    by ``share`` of their RMS) and the run blows up within :data:`AFTER_HOLD` steps of the rate's restoration: the
    guard's own measurement named the rate, and a probe of the blown-up weights does not (a 10-layer ReLU MLP at Adam
    0.2, held 25 steps: `explode` at step 26 carried activation and init; minGPT and a GPT-2 under the Trainer at
    lr x100, session 32's real-code round: init, or data and depth)."""
    if hold is None or event.kind not in ("explode", "divergence", "nonfinite"):
        return causes
    steps, share = hold
    if not steps - 1 <= event.step <= steps + AFTER_HOLD or (causes and causes[0].get("cause") == "lr"):
        return causes
    from .diagnosis.findings import Finding

    found = Finding(
        cause="lr", layers=[], severity="critical", confidence=0.8,
        evidence={"held_steps": steps, "first_step_lr_to_weight_rms": share, "step": event.step,
                  "expected": "a first Adam step under 0.2 of the weights' RMS"},
        message=(f"The guard held the learning rate over the first {steps} steps because Adam's first step would "
                 f"move the weights by {share:.2g} of their RMS (usual settings: <= 0.2); this blow-up at step "
                 f"{event.step} comes {event.step - steps + 1} step(s) after the rate was put back (from step {steps}"
                 "): the learning rate is too high for these weights."),
        prescription="Lower the learning rate (to about 0.1 x rms(W) per element for Adam) or add a longer warm-up.",
        code="for group in optimizer.param_groups:\n    group['lr'] *= 0.1",
        score=60.0,
    ).to_dict()
    return (found, *causes)


#: a loss this many times its start within the loss detector's first steps is a blow-up, not noise
EARLY_BLOWUP = 10.0


def _early_blowup_lr(causes: tuple[Mapping[str, Any], ...], events: Sequence[Event]
                     ) -> tuple[Mapping[str, Any], ...]:
    """When the step's events include an early ``divergence`` (the loss ``EARLY_BLOWUP`` times its start within the
    first steps) and the diagnosis of the weights as they are now finds no warning, the first steps were too large:
    rank ``lr`` first. After a step that blew the weights up, a probe of the new state measures sane steps for
    weights that large (pytorch/examples' MNIST net at Adadelta lr 100: loss 2.31 -> 19,038 in one step, its events
    at step 1 carried depth, regularization, init and activation, never ``lr``, session 31)."""
    early = next((e for e in events if e.kind == "divergence" and "early" in e.evidence.get("rules", ())), None)
    if early is None or any(c.get("severity") in ("warning", "critical") for c in causes):
        return causes
    loss, start = early.evidence.get("loss"), early.evidence.get("loss_start")
    if not isinstance(loss, int | float) or not isinstance(start, int | float) or not start > 0 or \
            not loss >= EARLY_BLOWUP * start:
        return causes
    from .diagnosis.findings import Finding

    lrs = early.evidence.get("lrs") or []
    at = f" at lr {', '.join(f'{x:.3g}' for x in lrs[:3])}" if lrs else ""
    found = Finding(
        cause="lr", layers=[], severity="critical", confidence=0.7,
        evidence={"loss": loss, "loss_start": start, "step": early.step, "lrs": list(lrs),
                  "expected": f"a loss under {EARLY_BLOWUP:g}x its start in the first steps"},
        message=(f"The loss went from {start:.4g} to {loss:.4g} ({loss / start:.3g}x) within the first "
                 f"{early.step + 1} steps{at}, and the weights as they are now show no other cause: the first "
                 "steps were too large and blew the weights up."),
        prescription="Lower the learning rate (by 10x or more) or add a warm-up, and clip gradients.",
        code="for group in optimizer.param_groups:\n    group['lr'] *= 0.1",
        score=50.0,
    ).to_dict()
    return (found, *causes)
