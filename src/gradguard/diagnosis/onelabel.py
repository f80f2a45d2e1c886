"""A batch whose every sample has the same class: a loader that reads a class-sorted data set without shuffling
(issue 12).

In the ``loss_fn(model(inputs), targets)`` form, one integer target per sample (shape ``(B,)``, ``B >=``
:data:`MIN_BATCH`) against class logits of ``C >=`` :data:`MIN_CLASSES` classes (the model's output ``(B, C)``) and
every target the same class: with ``C`` classes drawn at random that has probability ``C ** (1 - B)`` (1e-28 for 8
classes of 32), so the batch is not a sample of the data. Each step then teaches "everything is class k", the next
steps another class, and the BatchNorm statistics of a one-class batch are the class itself: the run learns nothing
that holds across batches (fresh26's ECAPA-TDNN with utterances listed speaker by speaker and ``shuffle=False``:
2.31 -> 2.09, chance 2.08). Named ``data`` (warning, :data:`SCORE`). Binary tasks (``C = 2``) are left out: a rare
positive class leaves many healthy batches all negative. The logits must come out of a classifier head (an
``nn.Linear`` whose output is the model's ``(B, C)``): a contrastive loss (MoCo's InfoNCE) scores
``[positive, negatives]`` built by a concatenation, with label 0 for every sample by design.

Scores of the batch against itself (an output ending in ``(B, B)``: CPC's, SimCLR's or CLIP's in-batch contrastive
loss), whose positive for row ``i`` is column ``i``, with one target throughout are the same slip seen from the other
side: MoCo's ``labels = zeros`` copied into a loss whose positives lie on the diagonal (``data``, warning). Not when
an input already holds ``B`` candidates for each of the ``B`` samples (a float input ``(B, B, ...)``): the scores are
then each sample's own candidates, the true one first by convention (fresh45's implicit BC scores 64 candidate actions
per observation at batch 64, label 0 the expert's: a coincidence of sizes, not the batch against itself).

Judgment corpus, every case of the 27 earlier halves (seeds 0 and 1): the only batches of one class are fresh19's
MoCo v2 cases (InfoNCE, label 0, logits a concatenation: left out by the head test).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .batch import StepSpec
from .findings import Finding

__all__ = ["MIN_BATCH", "MIN_CLASSES", "SCORE", "one_label_findings"]

#: samples a batch must hold for one class throughout to be a fault
MIN_BATCH = 16
#: classes the output must have (binary tasks left out: a rare positive class)
MIN_CLASSES = 3
#: ranking score: a definite slip, above the stalls and small-step findings it causes
SCORE = 2.0


def one_label_findings(probe: Any, step: StepSpec) -> list[Finding]:
    """``data`` (warning) when every sample of a classification batch has the same target class."""
    if not step.form.startswith("loss_fn") or len(step.targets) != 1:
        return []
    t = step.targets[0]
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool or t.ndim != 1 or t.numel() < MIN_BATCH:
        return []
    root = next((r for r in probe.records if r.name == "" and r.call == 0), None)
    shape = tuple(root.out_shape) if root is not None and root.out_shape else ()
    if len(shape) >= 2 and shape[-2:] == (t.numel(), t.numel()):
        return [] if _candidates_given(probe, t.numel()) else _diagonal_positives(t)
    if len(shape) != 2 or shape[0] != t.numel() or shape[1] < MIN_CLASSES:
        return []
    if not any(isinstance(r.module, nn.Linear) and r.out_shape and tuple(r.out_shape) == shape for r in probe.records):
        return []  # no classifier head writes the logits: a contrastive [positive, negatives] (label 0 by design)
    values = torch.unique(t.detach())
    if values.numel() != 1:
        return []
    label, n, classes = int(values[0]), t.numel(), shape[1]
    chance = math.exp((1 - n) * math.log(classes))
    return [Finding(
        cause="data", layers=[], severity="warning", confidence=0.8,
        evidence={"label": label, "batch": n, "classes": classes, "chance_of_one_class": float(f"{chance:.3g}"),
                  "expected": "a batch drawn across the classes"},
        message=(f"Every one of the {n} samples in this batch has class {label} (of {classes}): a random batch "
                 f"would be one class with probability {chance:.2g}. The loader reads a data set sorted by class "
                 "without shuffling, so each step teaches one class and the next undoes it (and a BatchNorm's "
                 "batch statistics become the class itself)."),
        prescription="Shuffle the training data every epoch (DataLoader(..., shuffle=True), or a random sampler).",
        code="loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)",
        score=SCORE,
    )]


def _candidates_given(probe: Any, n: int) -> bool:
    """Whether a floating-point input of the model's first call is ``(n, n, ...)``: ``n`` candidates per sample."""
    return any(len(s.shape) >= 3 and tuple(s.shape[:2]) == (n, n) for s in getattr(probe, "inputs", ()))


def _diagonal_positives(t: torch.Tensor) -> list[Finding]:
    """Scores of the batch against itself (``(..., B, B)``: an in-batch contrastive loss, CPC's InfoNCE, SimCLR's,
    CLIP's), whose positive for row ``i`` is column ``i``, with every target the same: MoCo's ``labels = zeros``
    copied into a loss whose positives lie on the diagonal (fresh31's CPC: 3.47 -> 3.41, chance 3.47)."""
    values = torch.unique(t.detach())
    if values.numel() != 1:
        return []
    label, n = int(values[0]), t.numel()
    return [Finding(
        cause="data", layers=[], severity="warning", confidence=0.8,
        evidence={"label": label, "batch": n, "scores": f"{n} x {n}: the batch against itself",
                  "expected": f"torch.arange({n}) (row i's positive is column i)"},
        message=(f"The model scores the batch against itself ({n} x {n}, an in-batch contrastive loss), where row "
                 f"i's positive is column i, but every one of the {n} targets is {label}: each row is taught that "
                 f"sample {label} is its match. Labels of zeros belong to a [positive, negatives] concatenation "
                 "(MoCo), not to a score matrix."),
        prescription="Use the diagonal as the targets: labels = torch.arange(batch_size).",
        code="labels = torch.arange(scores.shape[-1], device=scores.device)",
        score=SCORE,
    )]
