"""Recognising modules by what they do on the batch, not by their class.

* activation: the tensor that reaches the next module equals ``f(output of a weight layer)`` for one of the known
  activations (``F.relu``, ``F.gelu`` exact or tanh-approximated, ``torch.tanh``, ...), whether ``f`` is an
  ``nn.Module`` of any class or a function call inside ``forward``;
* normalisation: a module whose output rows (last dimension) have a root-mean-square of about 1 whatever the scale
  of its input rows (LayerNorm, RMSNorm, a user's own ``LayerNorm`` class), checked on up to ``_ROWS`` rows; or whose
  output channels (dimension 1, over the batch and the positions) come out at mean 0 and standard deviation 1 when
  its input's do not (BatchNorm, a user's own BatchNorm written by hand: fresh63's ParNet, told "27 convolutions
  and nothing that normalises").
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["CANDIDATES", "CHANNEL_VALUES", "SATURATION", "activation_stats", "match_activation", "matches",
           "normalizes", "rows_exact", "rows_normalize", "standardises"]

MATCH_NUMEL = 65536
CANDIDATES: tuple[tuple[str, Callable[[torch.Tensor], torch.Tensor]], ...] = (
    ("identity", lambda z: z),
    ("relu", F.relu),
    ("tanh", torch.tanh),
    ("sigmoid", torch.sigmoid),
    ("gelu", F.gelu),
    ("gelu", lambda z: F.gelu(z, approximate="tanh")),
    ("silu", F.silu),
    ("leaky_relu", F.leaky_relu),
    ("elu", F.elu),
)
#: |tanh| above this, or sigmoid outside (1 - this, this), counts as saturated
SATURATION = 0.99


def _unit_fraction(y: torch.Tensor, unit_dim: int, bad: torch.Tensor, per_unit: bool) -> float:
    """Fraction of units (per_unit) or elements that are ``bad``; a unit is bad when bad for every sample/position."""
    if not per_unit:
        return float(bad.float().mean())
    if y.ndim <= 1:
        return float(bad.float().mean())
    moved = bad.movedim(unit_dim, -1).reshape(-1, bad.shape[unit_dim])
    return float(moved.all(dim=0).float().mean())


def _constant_units(y: torch.Tensor, unit_dim: int, pre: bool) -> bool:
    """Every unit takes one value over the whole batch (every sample and position): its input carries nothing to be
    alive or dead on, so a ReLU's sign there is its bias's (RAFT's flow encoder at the first refinement, whose flow
    starts at 0 for every sample: 69% "dead" by bias alone, healthy). ``y`` is the pre-activation (``pre``) or the
    ReLU's output; from the output, only when some unit is a positive constant: a layer whose every output is 0 may
    be dead on a varying input (biases at -10) and is measured."""
    if y.ndim <= 1 or y.shape[unit_dim] == 0:
        return False
    rows = y.movedim(unit_dim, -1).reshape(-1, y.shape[unit_dim])
    if rows.shape[0] <= 1:
        return False
    lo, hi = rows.amin(0), rows.amax(0)
    return bool((lo == hi).all()) and (pre or bool((hi > 0).any()))


def activation_stats(kind: str, y: torch.Tensor, unit_dim: int, pre: bool) -> tuple[float | None, float | None]:
    """(dead fraction, saturated fraction) of activation ``kind`` from its output ``y`` (or its input if ``pre``)."""
    y = y.detach().float()
    if kind == "relu":
        if _constant_units(y, unit_dim, pre):
            return None, None
        dead = (y <= 0)
        return _unit_fraction(y, unit_dim, dead, per_unit=True), None
    if kind == "tanh":
        v = torch.tanh(y) if pre else y
        return None, float((v.abs() > SATURATION).float().mean())
    if kind == "sigmoid":
        v = torch.sigmoid(y) if pre else y
        return None, float(((v < 1 - SATURATION) | (v > SATURATION)).float().mean())
    return None, None


def matches(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a is b:
        return True
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    x = a.detach().reshape(-1)[:MATCH_NUMEL].float()
    y = b.detach().reshape(-1)[:MATCH_NUMEL].float()
    return bool(torch.allclose(x, y, rtol=1e-4, atol=1e-6, equal_nan=True))


_ROWS = 4096


def match_activation(current: torch.Tensor, y: torch.Tensor, skip_identity: bool = False) -> str | None:
    """The kind of the known activation ``f`` with ``y == f(current)``, or None."""
    if not current.is_floating_point():
        return None
    for kind, fn in CANDIDATES:
        if skip_identity and kind == "identity":
            continue
        with torch.no_grad():
            if matches(y, fn(current.detach())):
                return kind
    return None


def _row_rms(t: torch.Tensor) -> torch.Tensor:
    rows = t.detach().reshape(-1, t.shape[-1])[:_ROWS].float()
    return rows.pow(2).mean(dim=1).sqrt()


#: values per channel a batch needs for its channel statistics to be read (``standardises``)
CHANNEL_VALUES = 32


def _channel_stats(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    dims = (0,) if t.ndim == 2 else (0, *range(2, t.ndim))
    f = t.detach().float()
    return f.mean(dim=dims), f.std(dim=dims, unbiased=False)


def standardises(x: torch.Tensor, y: torch.Tensor) -> bool:
    """True when ``y``'s channels (dimension 1, over the batch and positions) have mean ~0 and std ~1 and ``x``'s
    (same shape) do not: a batch normalisation, whatever its class."""
    if x.shape != y.shape or x.ndim < 2 or x.shape[1] < 4 or x.numel() // x.shape[1] < CHANNEL_VALUES or \
            not (x.is_floating_point() and y.is_floating_point()):
        return False
    with torch.no_grad():
        my, sy = _channel_stats(y)
        mx, sx = _channel_stats(x)
        if not (bool(torch.isfinite(sy).all()) and bool(torch.isfinite(sx).all())):
            return False
        unit = float(((my.abs() < 0.05) & (sy > 0.8) & (sy < 1.05)).float().mean()) > 0.95
        already = float(((mx.abs() < 0.1) & (sx > 0.9) & (sx < 1.1)).float().mean()) > 0.95
        return unit and not already


def rows_exact(y: torch.Tensor) -> bool:
    """Whether ``y``'s rows (last dimension) all come out at the same RMS to within 2%: a LayerNorm's do, and then its
    channels look standardised too; a batch normalisation leaves its rows' RMS spread by about ``1/sqrt(2 x width)``.
    A module that :func:`standardises` without this normalises per column (a BatchNorm, STAR's partitioned
    normalisation), which evens out inputs in different units."""
    with torch.no_grad():
        ry = _row_rms(y)
        return ry.numel() > 1 and float(ry.std() / ry.mean().clamp_min(1e-12)) < 0.02


def rows_normalize(x: torch.Tensor, y: torch.Tensor) -> bool:
    """True when ``y`` has unit-RMS rows along its last dimension and ``x`` (same shape) does not."""
    if x.shape != y.shape or x.ndim < 2 or x.shape[-1] < 8 or not (x.is_floating_point() and y.is_floating_point()):
        return False
    with torch.no_grad():
        ry, rx = _row_rms(y), _row_rms(x)
        if not (bool(torch.isfinite(ry).all()) and bool(torch.isfinite(rx).all())):
            return False
        unit = float(((ry > 0.7) & (ry < 1.4)).float().mean()) > 0.95
        spread_y = float(ry.std() / ry.mean().clamp_min(1e-12)) if ry.numel() > 1 else 0.0
        already = float(((rx > 0.9) & (rx < 1.1)).float().mean()) > 0.95
        # a module that leaves every row's scale as it came (an nn.Identity put where a norm was: fresh105's BAM
        # without its BatchNorms, whose channel MLP's rows came in at RMS 0.7-1.4 by chance at seed 1, read as a norm)
        kept = bool(((ry - rx).abs() <= 0.02 * rx).all())
        return unit and spread_y < 0.15 and not already and not kept


def normalizes(x: torch.Tensor, y: torch.Tensor) -> bool:
    """True when ``y``'s rows come out at unit RMS (:func:`rows_normalize`) or its channels standardised over the
    batch (:func:`standardises`) and ``x``'s do not."""
    return standardises(x, y) or rows_normalize(x, y)
