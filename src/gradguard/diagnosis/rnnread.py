"""A recurrent layer whose output reaches the loss for one sequence of the batch only: the batch and time axes
mixed up (issue 12).

A library recurrent layer (``nn.RNN``/``nn.LSTM``/``nn.GRU``) returns ``(time, batch, hidden)``, or
``(batch, time, hidden)`` with ``batch_first=True``. When the loss gradient at that output is non-zero at exactly one
index of its *batch* axis (of two or more), the loss reads one sequence of the batch and drops the rest — which no
model means to do. It is how the two axes get mixed up: a ``(batch, time, features)`` tensor fed to a layer built
without ``batch_first=True`` runs the recurrence along the batch (each "step" another sample, the state carried from
one sample to the next), and the usual ``out[:, -1]`` then picks the last *sample*'s states at every position
(fresh26's DRQN: 0.67 -> 0.59, the criterion 0.51); or ``out[-1]`` meant as the last step of a ``batch_first``
output. Named ``recurrence`` (warning, :data:`SCORE`), with ``data`` in the message (the input's layout).

Judgment corpus, every case of the 28 halves (seeds 0 and 1): no healthy model's recurrent layer is read at one
batch index (classifiers read every sequence at one *time* index, language models read them all).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from .findings import Finding

__all__ = ["SCORE", "one_sequence_findings"]

#: ranking score: a definite slip, above the weak stalls it causes
SCORE = 2.0


def one_sequence_findings(probe: Any) -> list[Finding]:
    """``recurrence`` (warning) for each library recurrent layer whose output reaches the loss at one batch index."""
    bad = {}
    for r in probe.records:
        if isinstance(r.module, nn.RNNBase) and r.batch_read is not None:
            read, size = r.batch_read
            if read == 1 and size >= 2:
                bad[r.name] = (size, bool(r.module.batch_first))
    if not bad:
        return []
    name, (size, first) = next(iter(bad.items()))
    axis = "first" if first else "second"
    return [Finding(
        cause="recurrence", layers=sorted(bad), severity="warning", confidence=0.8,
        evidence={"layers": {n: {"batch_size": b, "batch_first": f} for n, (b, f) in bad.items()},
                  "expected": "the loss reads the recurrent output of every sequence in the batch"},
        message=(f"The loss reads {name}'s output for one of its {size} sequences only (its batch axis is the "
                 f"{axis}, batch_first={first}): the batch and time axes are mixed up. A (batch, time, features) "
                 "input to a recurrent layer built without batch_first=True runs the recurrence along the batch — "
                 "the state passes from one sample to the next — and out[:, -1] then keeps the last sample's "
                 "states; out[-1] on a batch_first output keeps the last sample, not the last step."),
        prescription=("Build the layer with batch_first=True for (batch, time, features) inputs (or transpose the "
                      "input to (time, batch, features)), and take the last time step along the time axis."),
        code=(f"{name} = nn.{type(probe.modules.get(name, nn.LSTM(1, 1))).__name__}(..., batch_first=True)\n"
              "last = out[:, -1]  # (batch, hidden) with batch_first=True"),
        score=SCORE,
    )]
