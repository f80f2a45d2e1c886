"""Data and numerics: non-finite or extreme values in the batch, and modules that turn finite inputs into Inf/NaN.

A module is named when its output is not finite although every tensor it was given is finite (``log(0)``, ``exp``
overflow, division by ~0), the first such module in the order modules finish their forward (innermost first).
"""

from __future__ import annotations

import math

from .findings import Finding
from .probe import ProbeResult

__all__ = ["EXTREME_INPUT", "data_findings", "numeric_findings"]

#: inputs with a finite value above this magnitude are called extreme
EXTREME_INPUT = 1e4


def data_findings(probe: ProbeResult) -> list[Finding]:
    out: list[Finding] = []
    if not probe.inputs_finite or not probe.targets_finite:
        where = [w for w, ok in (("inputs", probe.inputs_finite), ("targets", probe.targets_finite)) if not ok]
        out.append(Finding(
            cause="data", layers=[], severity="critical", confidence=1.0,
            evidence={"non_finite_in": where, "expected": "all values finite"},
            message=f"The batch has NaN or Inf values in its {' and '.join(where)}; every gradient will be NaN.",
            prescription=("Clean the data pipeline (check for division by zero, missing values, log of 0 in "
                          "preprocessing); skip or repair non-finite samples."),
            code="mask = torch.isfinite(x).flatten(1).all(dim=1)\nx, y = x[mask], y[mask]",
            score=100.0,
        ))
    elif probe.input_max_abs > EXTREME_INPUT:
        dec = math.log10(probe.input_max_abs / EXTREME_INPUT)
        out.append(Finding(
            cause="data", layers=[], severity="critical" if dec >= 2 else "warning", confidence=0.7,
            evidence={"input_max_abs": float(f"{probe.input_max_abs:.3g}"), "expected": f"<= {EXTREME_INPUT:g}"},
            message=f"Input values reach {probe.input_max_abs:.3g}; unscaled inputs make first-layer gradients huge.",
            prescription="Standardise the inputs (zero mean, unit variance per feature) or clip outliers.",
            code="x = (x - mean) / std  # statistics from the training set",
            score=1.0 + dec,
        ))
    return out


def numeric_findings(probe: ProbeResult) -> list[Finding]:
    if not probe.inputs_finite:
        return []
    bad = sorted((r for r in probe.records if not r.out_finite and r.in_finite), key=lambda r: r.post_order)
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
        return [Finding(
            cause="numeric", layers=[], severity="critical", confidence=0.8,
            evidence={"loss": str(probe.loss), "model_outputs_finite": True},
            message="Every module's output is finite but the loss is not: the loss function overflows.",
            prescription="Use the numerically stable loss (cross_entropy on logits, BCEWithLogitsLoss).",
            code="loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)",
            score=80.0,
        )]
    bad_grads = [n for n, g in probe.param_grads.items() if g is not None and not bool(g.isfinite().all())]
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
