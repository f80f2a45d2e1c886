"""A forecast blind to its input's level: an instance normalisation (RevIN) that takes each series' level out of the
input and never puts it back into the forecast (issue 12).

Forecasters (RLinear, SparseTSF, SOFTS, iTransformer, FilterNet, ...) subtract each sample's mean (and divide by its
std) before the network and add them back to the forecast. Left out, or done with the wrong statistics, the output is
the same whatever each sample's level, while the targets carry that level: the model cannot lower the loss below the
targets' level variance however long it trains (fresh47's SparseTSF, fresh52's SOFTS, fresh22's iTransformer,
fresh71's FilterNet: no learning, and ``check`` saw nothing).

Read in the ``loss_fn(model(inputs), targets)`` form with floating inputs and targets of the same batch (at least
:data:`MIN_BATCH` samples) and an output of the targets' shape. Three gradient-free forwards (dropout masks drawn
alike, buffers and RNG states put back): the batch, the batch with each sample's level shifted (a different shift
per sample, and per channel when inputs and targets share their last axis), and the batch with a same-size change
that keeps every level. The model is blind to the level when the first change moves the output less than
:data:`BLIND` of the second. Named ``normalization`` (warning, :data:`SCORE`) only when the targets' level is what
matters: at least :data:`LEVEL_SHARE` of their variance lies in the per-sample levels, and those follow the inputs'
levels (correlation at least :data:`LEVEL_CORR` across the batch).

Measured on every corpus case of this form (seeds 0/1, the 74 halves judged before this reading): the blind ratio is
6e-8 to 1.5e-4 on four of the five forecasts left normalised (RLinear's is 0.055: its output barely moves at
initialisation either way); the healthy models' lowest is 0.053 (PANNs), 0.069 (WNO, whose targets' level does follow
its inputs'); every model whose output ignores its input altogether (dead units, a vanished deep stack) is left to
the readings that see why (no shape response).
"""

from __future__ import annotations

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


def _levels(t: torch.Tensor, channels: bool) -> torch.Tensor:
    """Each sample's mean, ``(B, C)`` over the middle axes when ``channels``, else ``(B, 1)`` over all but the batch."""
    if channels:
        return t.mean(dim=tuple(range(1, t.ndim - 1)))
    return t.flatten(1).mean(1, keepdim=True)


def _rms(t: torch.Tensor) -> float:
    return float(t.double().pow(2).mean().sqrt())


def _forward(model: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    torch.manual_seed(0)  # the same dropout masks in every forward (the snapshot puts the RNG back)
    try:
        out = model(x)
    except Exception:
        return None
    return out.detach().double() if isinstance(out, torch.Tensor) and out.is_floating_point() else None


def level_blind_findings(model: nn.Module, step: StepSpec) -> tuple[list[Finding], int]:
    """``normalization`` (warning) when the output ignores each sample's input level that its targets follow; with
    the forwards it ran (0 when the batch is not of this form)."""
    x = step.inputs
    if not step.form.startswith("loss_fn") or len(step.targets) != 1 or not isinstance(x, torch.Tensor):
        return [], 0
    y = step.targets[0]
    if not (x.is_floating_point() and y.is_floating_point()) or x.ndim < 2 or y.ndim < 2 \
            or x.shape[0] != y.shape[0] or x.shape[0] < MIN_BATCH:
        return [], 0
    xf, yf = x.detach().double(), y.detach().double()
    if not (bool(torch.isfinite(xf).all()) and bool(torch.isfinite(yf).all())):
        return [], 0
    channels = x.ndim == y.ndim >= 3 and x.shape[-1] == y.shape[-1]
    lx, ly = _levels(xf, channels), _levels(yf, channels)
    spread = yf - (yf.mean(dim=tuple(range(yf.ndim - 1)), keepdim=True) if channels else yf.mean())
    total = float(spread.pow(2).mean())
    ly_c, lx_c = ly - ly.mean(0), lx - lx.mean(0)
    share = float(ly_c.pow(2).mean()) / total if total > 0 else 0.0
    denom = float(lx_c.norm() * ly_c.norm())
    corr = float((lx_c * ly_c).sum()) / denom if denom > 0 else 0.0
    if share < LEVEL_SHARE or corr < LEVEL_CORR:
        return [], 0
    size = float(lx.std(0).mean()) or float(xf.std())
    if not size > 0:
        return [], 0
    sign = torch.ones_like(lx)
    sign[1::2] = -1.0
    shift = (sign * size).view(lx.shape[0], *([1] * (x.ndim - 2)), lx.shape[1]) if channels \
        else (sign[:, 0] * size).view(-1, *([1] * (x.ndim - 1)))
    shift = shift.expand_as(xf)
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(x.shape, generator=g, dtype=torch.float64)
    noise = noise - (noise.mean(dim=tuple(range(1, x.ndim - 1)), keepdim=True) if channels
                     else noise.flatten(1).mean(1).view(-1, *([1] * (x.ndim - 1))))
    noise = noise * (_rms(shift) / max(_rms(noise), 1e-30))
    snap = StateSnapshot(model)
    try:
        with torch.no_grad():
            base = _forward(model, x)
            moved = _forward(model, x + shift.to(x.dtype))
            shaped = _forward(model, x + noise.to(x.dtype))
    finally:
        snap.restore()
    if base is None or moved is None or shaped is None or base.shape != y.shape:
        return [], 3
    level_resp, shape_resp = _rms(moved - base), _rms(shaped - base)
    if not (shape_resp > 0 and torch.isfinite(torch.tensor(level_resp + shape_resp))):
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
