"""The log of a probability computed in 16-bit floats: it is -inf as soon as one probability underflows.

``torch.log(F.softmax(logits.half(), -1))`` (or of a sigmoid) rounds every probability below float16's smallest
subnormal, 6e-8, to exactly 0 (bfloat16: 9e-41, but with 8 bits of mantissa), and ``log(0)`` is -inf. At
initialisation the softmax is flat and nothing underflows, so the loss is finite and training starts; once training
sharpens the distribution (a logit gap above ~17 in float16), one entry reaches 0 and the loss is NaN/Inf. fresh68's
ContextNet, its CTC log-probabilities so computed "to halve the memory", went non-finite at step 43 and 181 after
learning; ``check`` on the first batch saw nothing. The graph shows it before any step: a ``log`` whose input is a
softmax's or sigmoid's 16-bit output. ``log_softmax`` / ``logsigmoid`` (in float32) compute the same without
underflow. In float32 the same pattern needs a logit gap above ~87 and is left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .findings import Finding
from .graph import node_name, saved

__all__ = ["low_precision_log_findings", "low_precision_log_prob"]

#: the ops whose output is a probability that a log may read
_PROBABILITY_OPS = ("SoftmaxBackward", "SigmoidBackward")
_LOW = (torch.float16, torch.bfloat16)


def low_precision_log_prob(nodes: Iterable[Any]) -> str | None:
    """The first ``log`` in a loss graph's ``nodes`` whose input is a softmax's or sigmoid's float16/bfloat16 output,
    as ``"float16 softmax"``; None when there is none."""
    for node in nodes:
        if node_name(node) != "LogBackward" or not node.next_functions:
            continue
        source = node.next_functions[0][0]
        kept = saved(node, "_saved_self")
        if source is None or node_name(source) not in _PROBABILITY_OPS or not isinstance(kept, torch.Tensor):
            continue
        if kept.dtype in _LOW:
            return f"{str(kept.dtype).removeprefix('torch.')} {node_name(source).removesuffix('Backward').lower()}"
    return None


def low_precision_log_findings(kind: str | None) -> list[Finding]:
    """A ``numeric`` warning when the loss takes the log of a 16-bit probability (``kind`` from
    :func:`low_precision_log_prob`); [] when ``kind`` is None."""
    if kind is None:
        return []
    dtype, op = kind.split(" ", 1)
    fused = "log_softmax" if op == "softmax" else "logsigmoid"
    return [Finding(
        cause="numeric", layers=[], severity="warning", confidence=0.8,
        evidence={"log_of": kind, "smallest_probability": "6e-8" if dtype == "float16" else "9e-41",
                  "expected": f"F.{fused} in float32"},
        message=(f"The loss takes the log of a {dtype} {op}: a probability below {dtype}'s smallest value rounds to "
                 "exactly 0 and its log is -inf. The first batch is finite (the distribution is flat at "
                 "initialisation); once training sharpens it, the loss goes non-finite."),
        prescription=f"Compute F.{fused}(logits.float(), -1) instead of log({op}(...)) in {dtype}.",
        code=f"log_probs = torch.nn.functional.{fused}(logits.float(), dim=-1)",
        score=1.5)]
