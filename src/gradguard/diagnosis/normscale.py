"""Normalisation layers whose scale was drawn like a weight: an init loop that catches them (issue 12).

A BatchNorm/LayerNorm/GroupNorm starts at scale 1 and shift 0. An init loop written for the weight layers but
filtered by attribute — ``for m in model.modules(): if hasattr(m, "weight"): nn.init.normal_(m.weight, 0, 0.02)``
(a ViT's or GPT's convention applied to everything) — also draws every normalisation scale from N(0, 0.02^2): tiny,
and of both signs. The layer still normalises, but multiplies the result by ~0.02, so each block's output, each
residual branch and the features the head reads are ~50x too small, and a channel's sign flips at random (fresh33's
CSPNet: 2.27 -> 2.30 in 200 steps, its control 2.27 -> 0.009).

Named ``init`` (warning) before training (``trained`` False) when at least :data:`MIN_NORMS` normalisation layers the
forward ran hold an affine scale and at least :data:`SHARE` of them look drawn: RMS at most :data:`SMALL_RMS` with
at least :data:`MIXED` of the entries negative. A zero-initialised last BatchNorm per residual block (``zero_init_
residual``: exactly 0, no negatives) or trained scales are not this.
"""

from __future__ import annotations

from typing import Any

import torch

from .findings import Finding
from .layers import is_norm

__all__ = ["MIN_NORMS", "MIXED", "SCORE", "SHARE", "SMALL_RMS", "drawn_norm_scale_findings"]

#: normalisation layers with an affine scale needed before the pattern is read
MIN_NORMS = 2
#: the share of them whose scale looks drawn like a weight
SHARE = 0.75
#: RMS of a scale at or below which it is far from the 1 it starts at
SMALL_RMS = 0.1
#: share of negative entries that a scale drawn around 0 shows (a scale set on purpose is positive or zero)
MIXED = 0.2
#: ranking score: a definite slip, above the findings it causes
SCORE = 2.0


def drawn_norm_scale_findings(probe: Any, trained: bool) -> list[Finding]:
    """``init`` (warning) when the normalisation layers' scales were drawn like weights (module docstring)."""
    if trained:
        return []
    scaled: list[tuple[str, torch.Tensor]] = []
    for name, m in probe.modules.items():
        w = getattr(m, "weight", None)
        if name in probe.call_counts and is_norm(m) and isinstance(w, torch.Tensor) and w.ndim == 1 \
                and w.numel() >= 4 and w.is_floating_point():
            scaled.append((name, w.detach().float()))
    if len(scaled) < MIN_NORMS:
        return []
    drawn = [(n, w) for n, w in scaled
             if float(w.pow(2).mean().sqrt()) <= SMALL_RMS and float((w < 0).float().mean()) >= MIXED]
    if len(drawn) < SHARE * len(scaled):
        return []
    fixes: dict[str, dict[str, Any]] = {}
    for n, _ in drawn:  # what fix() resets: the layer's own init
        fixes[f"{n}.weight" if n else "weight"] = {"param": "weight", "scheme": "constant", "value": 1.0}
        if isinstance(getattr(probe.modules[n], "bias", None), torch.Tensor):
            fixes[f"{n}.bias" if n else "bias"] = {"param": "bias", "scheme": "constant", "value": 0.0}
    every = torch.cat([w for _, w in drawn])
    rms, negative = float(every.pow(2).mean().sqrt()), float(every.lt(0).float().mean())
    return [Finding(
        cause="init", layers=[n for n, _ in drawn], severity="warning", confidence=0.8,
        evidence={"normalisation_layers": len(scaled), "drawn_like_weights": len(drawn), "scale_rms": round(rms, 4),
                  "negative_share": round(negative, 3), "expected": "scale 1, shift 0 (the layers' own init)",
                  "layers": fixes},
        message=(f"{len(drawn)} of the {len(scaled)} normalisation layers have a scale drawn like a weight (RMS "
                 f"{rms:.2g}, {negative:.0%} of it negative) instead of 1: each normalises and then shrinks its "
                 "output ~1/RMS times and flips random channels, so blocks, residual branches and the head's "
                 "features start far too small. An init loop that selects modules by hasattr(m, 'weight') catches "
                 "the normalisation layers too."),
        prescription=("Initialise only the weight layers (isinstance(m, (nn.Linear, nn.Conv2d))) and leave the "
                      "normalisation layers at scale 1 and shift 0 (their reset_parameters()); fix(model, diagnosis) "
                      "resets them."),
        code=("for m in model.modules():\n    if isinstance(m, (nn.Linear, nn.Conv2d)):\n"
              "        nn.init.normal_(m.weight, 0, 0.02)\n    elif isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):\n"
              "        m.reset_parameters()  # scale 1, shift 0"),
        score=SCORE,
    )]
