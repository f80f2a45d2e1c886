"""Modules that turn finite inputs into Inf/NaN: ``numeric``, or the consequence of what grew the signal.

A module is named ``numeric`` when its output is not finite although every tensor it was given is finite
(``log(0)``, ``exp`` overflow, division by ~0), the first such module in the order modules finish their forward; a
non-finite output reached by compounding along one axis or over a module's repeated calls says so; a loss that is
not finite on finite module outputs, and a backward pass that turns Inf/NaN behind a finite forward, are told as
such (:mod:`.explain` hands the ones on huge outputs to what grew them). Split from :mod:`.numeric`, which keeps the
batch's own values (data scale, non-finite records).
"""

from __future__ import annotations

import math

from .findings import Finding
from .mistakes import call_growth
from .numeric import _masked_out, _nonfinite_grads
from .probe import CallRecord, ProbeResult
from .probe_records import largest_output_rms

__all__ = ["numeric_findings"]


def numeric_findings(probe: ProbeResult) -> list[Finding]:
    """``numeric`` findings for the modules (or the loss, or the backward pass) that turn finite values into Inf/NaN;
    [] when the batch itself is not finite (:func:`.numeric.data_findings` tells that)."""
    if not probe.inputs_finite:
        return []
    bad = sorted((r for r in probe.records if not r.out_finite and r.in_finite), key=lambda r: r.post_order)
    if bad and bad[0].overflow is not None:
        return [_compounding(bad[0], len(bad) - 1)]
    grown = call_growth(probe.records) if bad else None
    if grown is not None:  # compounding over a module's repeated calls (a recurrence stepped in a Python loop)
        cell = next(r for r in probe.records if r.name == grown["module"])
        found = _compounding(cell, len(bad))
        found.evidence["overflow"] = grown
        found.message = (f"{grown['module'] or '<root>'} ({type(cell.module).__name__}), called {grown['length']} "
                         f"times in one forward, compounds: its output grows by {grown['growth_decades']} decades "
                         f"over its calls and turns Inf/NaN from call {grown['first_non_finite_at']} on. A "
                         "recurrence whose per-step rate is above 1 (e.g. a leaky update with alpha = dt / tau > 2, "
                         "or a recurrent weight with spectral radius > 1).")
        found.prescription = ("Keep the recurrence's per-step rate below 1: for h <- (1 - alpha) h + alpha f(...), "
                              "alpha = dt / tau in (0, 1] with dt and tau in the same unit; an orthogonal or "
                              "spectrally normalised recurrent weight.")
        found.code = "alpha = dt / tau  # e.g. 20 ms / 100 ms = 0.2, both in milliseconds"
        return [found]
    if bad and _masked_out(probe):
        # -inf written on purpose (a span or attention score masked with masked_fill(-inf)) that the loss never
        # takes: loss and gradients are finite (fresh86's BiDAF, healthy, was told critical)
        first = bad[0]
        return [Finding(
            cause="numeric", layers=[first.name], severity="info", confidence=0.6,
            evidence={"module": first.name, "module_type": type(first.module).__name__, "output_finite": False,
                      "loss_and_gradients_finite": True},
            message=(f"{first.name or '<root>'} ({type(first.module).__name__}) outputs Inf/NaN values from finite "
                     "inputs, but the loss and every gradient are finite: a mask written as -inf (scores of padded "
                     "positions) that the loss never takes. A batch whose target falls on a masked position will "
                     "make the loss infinite; the guard skips such a step."),
            prescription="Nothing to do if those values are masked scores.", code="", score=0.1)]
    if bad:
        first = bad[0]
        return [Finding(
            cause="numeric", layers=[first.name], severity="critical", confidence=0.95,
            evidence={"module": first.name, "module_type": type(first.module).__name__, "call": first.call,
                      "inputs_finite": True, "output_finite": False,
                      "modules_after_it_not_finite": len(bad) - 1},
            message=(f"{first.name or '<root>'} ({type(first.module).__name__}) turns finite inputs into Inf/NaN "
                     "(log of 0, exp overflow or division by ~0)."),
            prescription=("Guard the operation: clamp before log (x.clamp_min(eps)), use log_softmax/logsumexp "
                          "instead of log(softmax)/log(sum(exp)), add eps to denominators."),
            code="y = torch.log(x.clamp_min(1e-12))  # instead of torch.log(x)",
            score=90.0,
        )]
    if not math.isfinite(probe.loss):
        largest = largest_output_rms(probe.records)
        return [Finding(
            cause="numeric", layers=[], severity="critical", confidence=0.8,
            evidence={"loss": str(probe.loss), "model_outputs_finite": True, "largest_output_rms": largest},
            message=("Every module's output is finite but the loss is not: the loss's own arithmetic (a log of 0, "
                     "0/0, an exp that overflows) or a NaN/Inf it reads from outside the model (the targets, a mask, "
                     "per-sample weights) makes it so."),
            prescription=("Check what the loss reads besides the model's output (torch.isfinite(y).all()); then use "
                          "the numerically stable loss (cross_entropy on logits, BCEWithLogitsLoss) and clamp before "
                          "log, add eps to denominators."),
            code="loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)",
            score=80.0,
        )]
    bad_grads = _nonfinite_grads(probe)
    if bad_grads:
        return [Finding(
            cause="numeric", layers=sorted({n.rsplit(".", 1)[0] for n in bad_grads}), severity="critical",
            confidence=0.7, evidence={"non_finite_grads": bad_grads[:20], "loss": probe.loss},
            message="Forward pass and loss are finite but the backward pass produces Inf/NaN gradients "
                    "(e.g. sqrt or pow at 0, or overflow in the backward).",
            prescription="Add eps inside sqrt/pow/norm, or use torch.autograd.detect_anomaly() to find the operation.",
            code="with torch.autograd.detect_anomaly():\n    loss_fn(model(x), y).backward()",
            score=70.0,
        )]
    return []


def _compounding(first: CallRecord, after: int) -> Finding:
    """A module whose output grows along one axis until it overflows: a recurrence (or kernel of powers) whose
    per-step rate is above 1, not a one-off numeric slip (see :func:`.mistakes.overflow_growth`)."""
    o = first.overflow or {}
    name = first.name or "<root>"
    return Finding(
        cause="recurrence", layers=[first.name], severity="critical", confidence=0.8,
        evidence={"module": first.name, "module_type": type(first.module).__name__, "inputs_finite": True,
                  "output_finite": False, "overflow": o, "direction": 1, "modules_after_it_not_finite": after,
                  "expected": "values bounded along the time axis (a per-step rate below 1)"},
        message=(f"{name} ({type(first.module).__name__}) turns finite inputs into Inf/NaN by compounding: along its "
                 f"axis {o.get('axis')} ({o.get('length')} steps) its values grow by {o.get('growth_decades')} "
                 f"decades and overflow from step {o.get('first_non_finite_at')} on. A recurrence or kernel of "
                 "powers whose per-step rate is above 1 (e.g. a state matrix A with its sign flipped)."),
        prescription=("Keep the recurrence's rate below 1: a decaying state (A = -exp(log_A) in S4/S4D, an "
                      "orthogonal or spectrally normalised recurrent weight), or clamp the rate."),
        code="A = -torch.exp(self.log_A)  # a decaying state: |exp(dt A)| < 1",
        score=90.0,
    )
