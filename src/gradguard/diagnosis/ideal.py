"""The user's loss on ideal class logits: what the best possible prediction scores (a sensor of :mod:`.quiet`).

In the ``(inputs, targets)`` form, with a floating output of class logits (``C >= 2`` classes on the last axis or
on axis 1, or ``(B, T, C)`` against flattened targets) and integer targets, the user's loss is evaluated on a
stand-in module that returns fixed logits (the model is not run): a margin ``m`` on each target class, for ``m`` in
``MARGINS``, against the loss of a uniform prediction.

A loss that shifts its labels itself (Hugging Face's causal-LM loss: position t's logits against label t + 1) pairs
each output with a target one step away, so the ideal logits laid on the targets' own positions score like a guess.
When they do, on a sequence output ``(B, T, C)`` or ``(B, C, T)``, the ideal is also laid ``k`` steps along the
sequence (:data:`OFFSETS`): a one-step offset is that convention (``input_ids`` passed as the labels), not a fault;
a loss that only an offset of two or more makes learnable pairs every output with a target further away. The
targets' own offset from integer inputs of the same shape (:func:`label_offset`: 1 when the loader already shifted
them) adds to it: next-token targets shifted once more by a loss that shifts them again pair each output with the
token two steps on (fresh94's Hourglass LM). And an output whose classes sit on axis 1 is also tried in the
layout a flat ``reshape(-1, C)`` reads (:func:`flat_view_ideal`): a loss that scores only that layout well reads the
classes off the wrong axis (fresh109's LEDNet, its segmentation logits flattened without the permute).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .batch import StepSpec
from .probe import ProbeResult

__all__ = ["IDEAL_CHANCE_CRIT", "IDEAL_CHANCE_SHARE", "IDEAL_HEALTHY_MAX", "MARGINS", "OFFSETS", "flat_view_ideal",
           "ideal_loss", "ideal_offset", "label_offset"]

#: the best ideal loss at or above this share of a uniform prediction's is near chance (critical from the second);
#: healthy losses of the corpus reach at most the third
IDEAL_CHANCE_SHARE, IDEAL_CHANCE_CRIT, IDEAL_HEALTHY_MAX = 0.8, 0.95, 0.32
#: margins (logit gaps) tried for the ideal prediction
MARGINS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
#: steps along the sequence the ideal logits are laid from their targets when the targets' own positions score
#: near chance, nearest first
OFFSETS: tuple[int, ...] = (1, -1, 2, -2, 3, -3)
#: the share of positions at which targets equal the inputs some steps along for the targets to be those inputs
SAME_SHARE = 0.9


class _Fixed(nn.Module):
    """A stand-in model that returns one fixed output, to evaluate the user's loss on it."""

    def __init__(self, out: torch.Tensor) -> None:
        super().__init__()
        self.out = out

    def forward(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self.out


def _class_axes(shape: tuple[int, ...], targets: torch.Tensor) -> list[int]:
    """The axes of ``shape`` that could hold the classes for these integer targets (the last first; both when the
    shape cannot tell them apart, e.g. ``(B, C, T)`` logits with ``C == T``)."""
    axes: list[int] = []
    if len(shape) >= 2 and shape[-1] >= 2 and (tuple(targets.shape) == shape[:-1] or (
            targets.ndim == 1 and targets.numel() == math.prod(shape[:-1]))):
        axes.append(len(shape) - 1)  # also (B, T, V) logits against flattened (B*T,) targets
    if len(shape) >= 3 and shape[1] >= 2 and tuple(targets.shape) == (shape[0], *shape[2:]):
        axes.append(1)  # (B, C, T...) logits; for (B, C) axis 1 is the last one, taken above
    return axes


def _setting(probe: ProbeResult, step: StepSpec) -> tuple[tuple[int, ...], torch.Tensor] | None:
    """The output's shape and the integer targets, when the step is ``loss_fn(model(inputs), targets)``."""
    if not step.form.startswith("loss_fn") or len(step.targets) != 1:
        return None
    targets = step.targets[0]
    if targets.is_floating_point() or targets.dtype == torch.bool or targets.is_complex():
        return None
    root = next((r for r in probe.records if r.name == "" and r.call == 0), None)
    if root is None or not root.out_shape:
        return None
    return tuple(root.out_shape), targets


def ideal_loss(probe: ProbeResult, step: StepSpec) -> tuple[float, float, float, int] | None:
    """``(best loss, its margin, loss of a uniform prediction, class count)`` of the user's loss on ideal class
    logits, or None when the step is not ``loss_fn(model(inputs), targets)`` with class logits and integer
    targets."""
    setting = _setting(probe, step)
    if setting is None:
        return None
    shape, targets = setting
    found = [r for axis in _class_axes(shape, targets) if (r := _ideal_on_axis(step, shape, targets, axis))]
    # a loss reads its classes on one axis: ideal logits laid on the wrong one score like a guess (WaveRNN's
    # (B, 64 levels, 64 steps) logits read on the steps were "a loss that cannot tell a perfect prediction")
    return min(found, key=lambda r: r[0] / r[2] if r[2] > 0 else r[0]) if found else None


def ideal_offset(probe: ProbeResult, step: StepSpec) -> tuple[int, float] | None:
    """The first offset of :data:`OFFSETS` at which ideal logits laid that many steps along a sequence output from
    their targets score under ``IDEAL_CHANCE_SHARE`` of a uniform prediction, and that loss; None when none does or
    the output is not a sequence of class logits (``(B, T, C)``, or ``(B, C, T)`` with the targets ``(B, T)``)."""
    setting = _setting(probe, step)
    if setting is None or len(setting[0]) != 3:
        return None
    shape, targets = setting
    for axis in _class_axes(shape, targets):
        length = shape[1] if axis == 2 else shape[2]
        for k in OFFSETS:
            if abs(k) >= length:
                continue
            r = _ideal_on_axis(step, shape, targets, axis, offset=k)
            if r is not None and r[2] > 0 and r[0] / r[2] < IDEAL_CHANCE_SHARE:
                return k, r[0]
    return None


def flat_view_ideal(probe: ProbeResult, step: StepSpec) -> float | None:
    """The user's loss on ideal logits laid in the layout a flat view ``output.reshape(-1, C)`` reads, for an output
    whose classes sit on axis 1 (``(B, C, H, W...)`` against ``(B, H, W...)`` targets): row ``i`` of that view holds
    the margin on target ``i``. A loss that scores them well while the output's own layout scores like a guess reads
    the classes off the wrong axis (``logits.reshape(-1, C)`` where ``logits.permute(0, 2, 3, 1)`` belongs: every
    row mixes classes and positions). None when the setting does not apply or the view scores no better."""
    setting = _setting(probe, step)
    if setting is None or len(setting[0]) < 3:
        return None
    shape, targets = setting
    classes = shape[1]
    if classes < 2 or tuple(targets.shape) != (shape[0], *shape[2:]):
        return None
    t = targets.detach().long().reshape(-1)
    valid = (t >= 0) & (t < classes)
    if not bool(valid.any()):
        return None
    rows = torch.zeros(t.numel(), classes).scatter_(1, torch.where(valid, t, 0)[:, None], 1.0) * valid[:, None]
    found = _best_margin(step, rows.reshape(shape))
    if found is None or not found[2] > 0 or found[0] / found[2] >= IDEAL_CHANCE_SHARE:
        return None
    return found[0]


def label_offset(step: StepSpec) -> int | None:
    """How many steps the integer targets lie ahead of the integer inputs of the same ``(B, T)`` shape: the ``d`` of
    :data:`OFFSETS` (or 0) with ``targets[:, i] == inputs[:, i + d]`` at :data:`SAME_SHARE` of the positions (0:
    the ids passed as their own labels; 1: next-token targets shifted by the loader); None when none does."""
    x, t = step.inputs, step.targets[0] if len(step.targets) == 1 else None
    if not isinstance(x, torch.Tensor) or t is None or x.shape != t.shape or x.ndim != 2 or \
            x.is_floating_point() or t.is_floating_point():
        return None
    for d in (0, *OFFSETS):
        if abs(d) >= x.shape[1]:
            continue
        a, b = (t[:, : x.shape[1] - d], x[:, d:]) if d >= 0 else (t[:, -d:], x[:, :d])
        if float((a == b).float().mean()) >= SAME_SHARE:
            return d
    return None


def _shifted(t: torch.Tensor, offset: int) -> torch.Tensor:
    """``(B, T)`` targets moved ``offset`` steps: position ``i`` holds target ``i + offset`` (-1 where none is)."""
    out = torch.full_like(t, -1)
    if offset > 0:
        out[:, :-offset] = t[:, offset:]
    else:
        out[:, -offset:] = t[:, :offset]
    return out


def _ideal_on_axis(step: StepSpec, shape: tuple[int, ...], targets: torch.Tensor, axis: int,
                   offset: int = 0) -> tuple[float, float, float, int] | None:
    classes = shape[axis]
    t = targets.detach().long()
    if offset:
        t = _shifted(t.reshape(shape[0], -1), offset).reshape(t.shape)
    valid = (t >= 0) & (t < classes)
    if not bool(valid.any()):
        return None
    idx = torch.where(valid, t, torch.zeros_like(t))
    idx = idx.reshape(shape[:-1]).unsqueeze(-1) if axis == len(shape) - 1 else idx.unsqueeze(1)
    keep = valid.reshape(shape[:-1]).unsqueeze(-1) if axis == len(shape) - 1 else valid.unsqueeze(1)
    onehot = torch.zeros(shape).scatter_(axis, idx, 1.0) * keep  # positions without a target: uniform
    found = _best_margin(step, onehot)
    return None if found is None else (*found, classes)


def _best_margin(step: StepSpec, onehot: torch.Tensor) -> tuple[float, float, float] | None:
    """``(best loss, its margin, loss of a uniform prediction)`` of the user's loss on ``onehot * m`` for ``m`` in
    :data:`MARGINS`, the model stood in for by a fixed output; None when the loss does not take a stand-in output of
    this shape or nothing finite comes out."""
    best: tuple[float, float] | None = None
    with torch.no_grad():
        try:
            chance = float(step.run(_Fixed(torch.zeros_like(onehot))))
            for m in MARGINS:
                v = float(step.run(_Fixed(onehot * m)))
                if math.isfinite(v) and (best is None or v < best[0]):
                    best = (v, m)
        except Exception:  # the loss does not take a stand-in output of this shape: the sensor does not apply
            return None
    if best is None or not math.isfinite(chance):
        return None
    return best[0], best[1], chance
