"""A log of a sum of exponentials written by hand, whose exponents are already large: it overflows once they grow.

``torch.log(1 + torch.exp(-s))`` (a softplus or logistic loss by hand), ``log(exp(a).sum())`` (a log-sum-exp by hand)
and a CRF's forward recursion ``alpha = log(sum(exp(alpha + transitions)))`` are exact in real numbers, but ``exp``
overflows float32 at 88.7: the loss is inf as soon as one exponent passes it, where ``F.softplus``,
``torch.logsumexp`` and ``log_softmax`` subtract the largest exponent first and never overflow. At initialisation
the exponents are usually small and the first loss finite; when they already reach tens on the first batch (an
unnormalised sum readout's logits, scores accumulated over a sequence), training takes them past 88 within steps
(fresh75's GIN with GraphNorm, its logistic loss by hand over logits up to 30.7: inf at step 1; fresh14's BiLSTM-CRF
without logsumexp, exponents 27 at step 0: non-finite later). The graph shows it before any step: a ``log`` or
``log1p`` whose input is an ``exp``, or a sum of them (through up to :data:`DEPTH` additions or reductions), whose
largest exponent on this batch is at least :data:`EXPONENT_WARN`. Named ``numeric`` (warning). Only in float32 and
bfloat16 (float64's limit is 709; float16's exponents are read by other checks).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

from .findings import Finding
from .graph import node_name, saved

__all__ = ["DEPTH", "EXPONENT_WARN", "hand_logsumexp", "hand_logsumexp_findings", "overflow_explains_step"]

#: the largest exponent on the first batch from which a hand-written log of exponentials is called fragile (float32
#: overflows at 88.7; e^20 = 4.9e8)
EXPONENT_WARN = 20.0
#: additions or reductions followed between the log and the exp
DEPTH = 3
_LOGS = ("LogBackward", "Log1pBackward")
_SUMS = ("AddBackward", "SumBackward", "SubBackward", "MeanBackward", "MulBackward", "StackBackward", "CatBackward")
_WATCHED = (torch.float32, torch.bfloat16)


def _largest_exponent(start: Any) -> float | None:
    """The largest exponent of the exps that feed ``start`` through up to :data:`DEPTH` sums; None when none does."""
    todo, seen, best = [(start, 0)], set[int](), None
    while todo:
        node, depth = todo.pop()
        if node is None or id(node) in seen or depth > DEPTH:
            continue
        seen.add(id(node))
        name = node_name(node)
        if name == "ExpBackward":
            out = saved(node, "_saved_result")
            if isinstance(out, torch.Tensor) and out.dtype in _WATCHED and out.numel():
                top = float(out.detach().max())
                z = math.log(top) if top > 0 else -math.inf
                best = z if best is None else max(best, z)
        elif name in _SUMS:
            todo += [(f, depth + 1) for f, _ in node.next_functions]
    return best


def hand_logsumexp(nodes: Iterable[Any]) -> float | None:
    """The largest exponent, on this batch, of a hand-written log of exponentials in a loss graph's ``nodes`` (see the
    module docstring); None when the graph holds none."""
    best = None
    for node in nodes:
        if node_name(node) not in _LOGS or not node.next_functions:
            continue
        z = _largest_exponent(node.next_functions[0][0])
        if z is not None:
            best = z if best is None else max(best, z)
    return best


def hand_logsumexp_findings(exponent: float | None) -> list[Finding]:
    """A ``numeric`` warning when a hand-written log of exponentials already reaches ``exponent >=``
    :data:`EXPONENT_WARN` (an infinite one: the loss is not finite, which the forward's own checks report)."""
    if exponent is None or not math.isfinite(exponent) or exponent < EXPONENT_WARN:
        return []
    return [Finding(
        cause="numeric", layers=[], severity="warning", confidence=0.75,
        evidence={"largest_exponent": round(exponent, 2), "warn_from": EXPONENT_WARN, "float32_overflow_at": 88.72,
                  "expected": "torch.logsumexp / F.softplus / log_softmax (max subtracted first)"},
        message=(f"The loss takes the log of exponentials summed by hand (a softplus, a log-sum-exp or a CRF's "
                 f"forward recursion written as log(sum(exp(...)))), and their largest exponent already reaches "
                 f"{exponent:.3g} on this batch: exp overflows float32 at 88.7, so once training grows the exponents "
                 "the loss is inf."),
        prescription=("Use the stable forms, which subtract the largest exponent first: torch.logsumexp(z, dim) for "
                      "log(sum(exp(z))), F.softplus(z) for log(1 + exp(z)), F.log_softmax for log(softmax)."),
        code="loss = torch.nn.functional.softplus(-scores).mean()  # not torch.log(1 + torch.exp(-scores))",
        score=1.5)]


def overflow_explains_step(findings: list[Finding]) -> None:
    """When one optimizer step takes the loss to inf and a hand-written log of exponentials is already near its
    overflow, the overflow is what the step reveals, not a rate too large (the stable form's loss stays finite after
    the same step): the ``numeric`` finding becomes critical and ranks above the ``lr`` one (fresh75's GIN at Adam
    1e-2, its paper's rate, was told "lr")."""
    hand = next((f for f in findings if f.cause == "numeric" and "largest_exponent" in f.evidence), None)
    if hand is None:
        return
    for f in findings:
        after = f.evidence.get("loss_after_step") if f.cause == "lr" else None
        if isinstance(after, float | int) and not math.isfinite(after):
            hand.severity = "critical"
            hand.score = max(hand.score, f.score + 0.1)
            hand.evidence["step_loss_overflows"] = True
            hand.message += " One optimizer step already takes it past: the loss after the step is inf."
            return
