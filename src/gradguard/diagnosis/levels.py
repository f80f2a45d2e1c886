"""A forecast blind to its input's level: an instance normalisation (RevIN) that takes each series' level out of the
input and never puts it back into the forecast (issue 12).

Forecasters (RLinear, SparseTSF, SOFTS, iTransformer, FilterNet, ...) subtract each sample's mean (and divide by its
std) before the network and add them back to the forecast. Left out, or done with the wrong statistics, the output is
the same whatever each sample's level, while the targets carry that level: the model cannot lower the loss below the
targets' level variance however long it trains (fresh47's SparseTSF, fresh52's SOFTS, fresh22's iTransformer,
fresh71's FilterNet: no learning, and ``check`` saw nothing).

Read in the ``loss_fn(model(inputs), targets)`` form with floating targets of at least :data:`MIN_BATCH` samples and
an output of their shape; the inputs one tensor or a tuple/list of them (a series and its covariates: the first whose
levels the targets follow is shifted), channels last ``(B, T, C)`` or first ``(B, C, T)`` where inputs and targets
share that axis. Three gradient-free forwards (dropout masks drawn alike, buffers and RNG states put back): the
batch, the batch with each sample's level shifted (a different shift per sample and channel), and the batch with a
same-size change that keeps every level. The model is blind to the level when the first change moves the output less
than :data:`BLIND` of the second. Named ``normalization`` (warning, :data:`SCORE`) only when the targets' level is
what matters: at least :data:`LEVEL_SHARE` of their variance lies in the per-sample levels, and those follow the
inputs' levels (correlation at least :data:`LEVEL_CORR` across the batch).

Measured on every corpus case of this form (seeds 0/1, the 74 halves judged before this reading, tensor inputs): the
blind ratio is 6e-8 to 1.5e-4 on four of the five forecasts left normalised (RLinear's is 0.055: its raw inputs of
~6e3 leave float32 too coarse to see it); the healthy models' lowest is 0.053 (PANNs), 0.069 (WNO, whose targets'
level does follow its inputs'); a model whose output ignores its input altogether (dead units, a vanished deep stack)
has no shape response and is left to the readings that see why. fresh76's SAMformer, its one RevIN instance reused
for the covariates (``(B, C, T)``, a tuple input), reads 3e-7; its healthy build is not blind.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .batch import StepSpec
from .findings import Finding
from .snapshot import StateSnapshot

__all__ = ["BLIND", "LEVEL_CORR", "LEVEL_SHARE", "MIN_BATCH", "SCORE", "level_blind_findings"]

#: samples the batch must hold
MIN_BATCH = 8
#: share of the targets' variance (about their per-channel mean) that must lie in the per-sample levels
LEVEL_SHARE = 0.5
#: correlation, across the batch, that the targets' levels must have with the inputs'
LEVEL_CORR = 0.8
#: output response to a level shift, relative to its response to a same-size change that keeps the levels, below
#: which the model is blind to the level
BLIND = 1e-3
#: ranking score: a definite slip, above the stalls it causes
SCORE = 2.0


def _layout(x: torch.Tensor, y: torch.Tensor) -> str:
    """Where inputs and targets keep their channels: ``"last"`` (``(B, T, C)``, the forecasters' layout), ``"first"``
    (``(B, C, T)``, Conv1d's), or ``""`` (one level per sample)."""
    if x.ndim == y.ndim >= 3 and x.shape[-1] == y.shape[-1]:
        return "last"
    if x.ndim == y.ndim >= 3 and x.shape[1] == y.shape[1]:
        return "first"
    return ""


def _time_axes(t: torch.Tensor, layout: str) -> tuple[int, ...]:
    """The axes a level is taken over: all but the batch's (and the channels')."""
    if layout == "last":
        return tuple(range(1, t.ndim - 1))
    if layout == "first":
        return tuple(range(2, t.ndim))
    return tuple(range(1, t.ndim))


def _levels(t: torch.Tensor, layout: str) -> torch.Tensor:
    """Each sample's mean, ``(B, C)`` per channel, or ``(B, 1)`` for one level per sample."""
    if layout:
        return t.mean(dim=_time_axes(t, layout))
    return t.flatten(1).mean(1, keepdim=True)


def _rms(t: torch.Tensor) -> float:
    return float(t.double().pow(2).mean().sqrt())


def _forward(model: nn.Module, x: Any) -> torch.Tensor | None:
    torch.manual_seed(0)  # the same dropout masks in every forward (the snapshot puts the RNG back)
    try:
        out = model(x)
    except Exception:
        return None
    return out.detach().double() if isinstance(out, torch.Tensor) and out.is_floating_point() else None


def _candidate(x: Any, y: torch.Tensor) -> tuple[str, torch.Tensor, float, float] | None:
    """For an input tensor ``x`` of the targets' batch: the channels' layout (:func:`_layout`), the input's levels,
    the share of the targets' variance in their levels and the levels' correlation; None when ``x`` cannot carry a
    level."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 2 or x.shape[0] != y.shape[0]:
        return None
    xf, yf = x.detach().double(), y.detach().double()
    if not (bool(torch.isfinite(xf).all()) and bool(torch.isfinite(yf).all())):
        return None
    layout = _layout(x, y)
    lx, ly = _levels(xf, layout), _levels(yf, layout)
    spread = yf - (yf.mean(dim=(0, *_time_axes(yf, layout)), keepdim=True) if layout else yf.mean())
    total = float(spread.pow(2).mean())
    ly_c, lx_c = ly - ly.mean(0), lx - lx.mean(0)
    share = float(ly_c.pow(2).mean()) / total if total > 0 else 0.0
    denom = float(lx_c.norm() * ly_c.norm())
    corr = float((lx_c * ly_c).sum()) / denom if denom > 0 else 0.0
    return layout, lx, share, corr


def level_blind_findings(model: nn.Module, step: StepSpec) -> tuple[list[Finding], int]:
    """``normalization`` (warning) when the output ignores each sample's input level that its targets follow; with
    the forwards it ran (0 when the batch is not of this form). The inputs may be one tensor or a tuple/list of them
    (a series and its covariates): the first whose levels the targets follow is shifted."""
    inputs = step.inputs
    if not step.form.startswith("loss_fn") or len(step.targets) != 1:
        return [], 0
    y = step.targets[0]
    if not y.is_floating_point() or y.ndim < 2 or y.shape[0] < MIN_BATCH:
        return [], 0
    slots = [(None, inputs)] if isinstance(inputs, torch.Tensor) else \
        list(enumerate(inputs)) if isinstance(inputs, list | tuple) else []
    picked = None
    for slot, cand in slots:
        read = _candidate(cand, y)
        if read is not None and read[2] >= LEVEL_SHARE and read[3] >= LEVEL_CORR:
            picked = slot, cand, read
            break
    if picked is None:
        return [], 0
    slot, x, (layout, lx, share, corr) = picked
    xf = x.detach().double()

    def put(t: torch.Tensor) -> Any:
        if slot is None:
            return t
        items = list(inputs)
        items[slot] = t
        return type(inputs)(items) if isinstance(inputs, tuple) else items

    size = float(lx.std(0).mean()) or float(xf.std())
    if not size > 0:
        return [], 0
    sign = torch.ones_like(lx)
    sign[1::2] = -1.0
    if layout == "last":
        shift = (sign * size).view(lx.shape[0], *([1] * (x.ndim - 2)), lx.shape[1])
    elif layout == "first":
        shift = (sign * size).view(lx.shape[0], lx.shape[1], *([1] * (x.ndim - 2)))
    else:
        shift = (sign[:, 0] * size).view(-1, *([1] * (x.ndim - 1)))
    shift = shift.expand_as(xf)
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(x.shape, generator=g, dtype=torch.float64)
    noise = noise - noise.mean(dim=_time_axes(noise, layout), keepdim=True)
    noise = noise * (_rms(shift) / max(_rms(noise), 1e-30))
    snap = StateSnapshot(model)
    try:
        with torch.no_grad():
            base = _forward(model, put(x))
            moved = _forward(model, put(x + shift.to(x.dtype)))
            shaped = _forward(model, put(x + noise.to(x.dtype)))
    finally:
        snap.restore()
    if base is None or moved is None or shaped is None or base.shape != y.shape:
        return [], 3
    level_resp, shape_resp = _rms(moved - base), _rms(shaped - base)
    if not (shape_resp > 0 and math.isfinite(level_resp + shape_resp)):
        return [], 3
    ratio = level_resp / shape_resp
    if ratio >= BLIND:
        return [], 3
    return [Finding(
        cause="normalization", layers=[], severity="warning", confidence=0.8,
        evidence={"level_response_ratio": float(f"{ratio:.3g}"), "blind_below": BLIND,
                  "target_level_share": round(share, 3), "level_correlation": round(corr, 3),
                  "expected": "the output follows each sample's level (ratio ~1 for a de-normalised forecast)"},
        message=(f"Shifting each sample's input level moves the output {ratio:.2g} as much as a change of the same "
                 "size that keeps the levels: the model is blind to the level (an instance normalisation such as "
                 f"RevIN takes it out of the input). Yet {share:.0%} of the targets' variance lies in their "
                 f"per-sample levels, which follow the inputs' (correlation {corr:.2f} across the batch): the "
                 "forecast is never de-normalised, and the loss cannot fall below that level variance."),
        prescription=("Add the level back to the output: de-normalise the forecast with the same sample's own "
                      "statistics (mean and std saved by the normalisation of that input), before the loss."),
        code="y_hat = y_hat * std + mean  # the statistics RevIN took from this sample's input",
        score=SCORE,
    )], 3
