"""What PyTorch itself said during the checked step (issue 12): a user's slip often raises a warning that scrolls by.

The probe records every warning the step raises (forward, loss and backward; :attr:`.probe.ProbeResult.warned`),
whatever the once-per-location filter would have shown. Each is listed in ``Diagnosis.notes``; one is a finding:

* ``data`` (critical) — **a loss broadcast over mismatched shapes**: ``mse_loss`` / ``l1_loss`` /
  ``smooth_l1_loss`` / ``huber_loss`` warn "Using a target size (...) that is different to the input size (...)"
  and broadcast, so (batch, 1) predictions against (batch,) targets compare every prediction with every target:
  the best the model can do is predict the targets' mean, and it never learns the mapping. torch's own message is
  the evidence; no threshold. On the judgment corpus (every half but the thirteenth batch, seed 0) the only
  warning any step raises is this one, on the one case built with it (the twelfth batch's squeezed regression
  targets); no healthy case's step raises any warning.
"""

from __future__ import annotations

import math
import re
from typing import Any

import torch

from .findings import Finding

__all__ = ["NOTE_LIMIT", "TARGET_SIZE", "warned_findings", "warned_notes"]

#: torch's message for a regression loss whose target shape differs from the prediction's
TARGET_SIZE = re.compile(r"Using a target size \(torch\.Size\(\[([\d, ]*)\]\)\) that is different to the input "
                         r"size \(torch\.Size\(\[([\d, ]*)\]\)\)")
#: at most this many warnings are quoted in the notes (the rest are counted)
NOTE_LIMIT = 5


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.replace(" ", "").split(",") if v)


def warned_findings(probe: Any) -> list[Finding]:
    """``data`` (critical) when the step's loss broadcast a prediction against a target of another shape."""
    for _, message in probe.warned:
        m = TARGET_SIZE.search(message)
        if m is None:
            continue
        target, pred = _shape(m.group(1)), _shape(m.group(2))
        try:
            both: tuple[int, ...] | None = tuple(torch.broadcast_shapes(target, pred))
        except RuntimeError:
            both = None
        pairs = math.prod(both) / max(math.prod(pred), 1) if both is not None else None
        spread = (f"torch broadcast both to {list(both)}, so each prediction is compared with "
                  f"{pairs:.0f} targets, " if both is not None and pairs is not None and pairs > 1 else "")
        return [Finding(
            cause="data", layers=[], severity="critical", confidence=0.9,
            evidence={"target_shape": list(target), "prediction_shape": list(pred),
                      "broadcast_shape": list(both) if both is not None else None, "torch_warning": message},
            message=(f"The loss compares predictions of shape {list(pred)} with targets of shape {list(target)} "
                     f"(torch warned during the step): {spread}and the best the model can do is predict the "
                     "targets' mean; it cannot learn the mapping."),
            prescription="Give the targets the predictions' shape (or squeeze the predictions' last dimension).",
            code="loss = F.mse_loss(pred, target.view_as(pred))  # or pred.squeeze(-1) against (batch,) targets",
            score=3.0,
        )]
    return []


def warned_notes(probe: Any) -> list[str]:
    """One note per warning the step raised (at most :data:`NOTE_LIMIT`, then a count)."""
    notes = [f"torch warned during the step: {cat}: {msg}" for cat, msg in probe.warned[:NOTE_LIMIT]]
    if len(probe.warned) > NOTE_LIMIT:
        notes.append(f"... and {len(probe.warned) - NOTE_LIMIT} more warning(s) during the step")
    return notes
