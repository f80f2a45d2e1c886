"""Localisation: a drift measured across layers is named after the module where it starts, not where it shows.

The depth, normalisation, numeric and activation checks measure a *symptom*: the gradient or signal compounding
across a stack of layers, or a value turning non-finite somewhere downstream. When one of them is the top finding,
this looks upstream for the module that departs first, and names it by what it is and does on the batch:

* ``normalization``: a normalisation layer that normalises on the batch (LayerNorm, GroupNorm, RMSNorm, a BatchNorm
  or InstanceNorm using batch statistics) whose output sits ``>= NORM_OFF_DECADES`` below the scale its affine
  parameters set, ``log10(out_rms / rms(weight, bias))``, while the input spread that this implies,
  ``sqrt(eps r^2 / (1 - r^2))`` with ``r`` that ratio, is ``>= NORM_INPUT_RMS``: it squashes an ordinary signal, so
  its eps is what divides (``eps=1e5`` divides by 316 instead of the spread: 2.7 decades below, implied input RMS
  0.57, measured 0.575). A normaliser that only fails to lift an input that is itself tiny (an embedding at 1e-4
  under a LayerNorm at eps=1e-5, SmallInit GPTs and RWKV) is a design, not a source. Its direction is -1.
* ``init``: a weight layer whose weights are centred far from zero for their spread,
  ``|mean(W)| / std(W) >= MEAN_OVER_STD`` (``uniform_(0, 1)``: 1.73; a zero-mean init of ``n`` weights: about
  ``1 / sqrt(n)``): every unit sums its inputs with the same sign, so the signal's mean grows by about
  ``fan_in x mean(W)`` per layer, which no std-based rule names. Its direction is +1 (growth). Frozen weights
  (a fixed smoothing filter) and parametrised ones (``exp(v)`` for a monotone layer) are designs, not judged.

The source must agree with the symptom's direction when the symptom has one (a numeric overflow has none). The
first source in execution order is taken; it gets the symptom's severity and ranks just above it, and the symptom
(and every other strong depth/normalization/numeric/activation finding in the same direction) is demoted to
``info`` as "a consequence of" it, the way :mod:`.explain` does. Gates: see the constants (healthy corpus maxima
measured on the seen halves at seeds 0 and 1 are in their comments). An ``init`` source lists every off-centre
layer with the scheme its activation wants, so :func:`.fix.fix` re-initialises them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils import parametrize

from .explain import _absorb, _direction, _strong
from .findings import Finding
from .init_check import weight_specs
from .layers import EMBEDDING_TYPES, NORM_TYPES, is_weight_layer
from .probe import ProbeResult

__all__ = ["MEAN_OVER_STD", "NORM_INPUT_RMS", "NORM_OFF_DECADES", "SYMPTOMS", "Source", "localise", "sources"]

#: findings that measure a drift or overflow across layers rather than a module's own fault
SYMPTOMS: tuple[str, ...] = ("depth", "normalization", "numeric", "activation")
#: decades a batch-normalising layer's output must sit below its affine scale (healthy seen halves, seeds 0/1, reach
#: 5.2: MobileViT's BatchNorms on a tiny signal; so this alone is no gate, NORM_INPUT_RMS is)
NORM_OFF_DECADES = 1.0
#: a normaliser's output below its affine scale is its own doing (its eps, not a tiny input) when the input spread
#: it implies has at least this RMS (healthy seen max 2.5e-4, MobileViT; 1e-4 RWKV and SmallInit GPT's embedding
#: LayerNorm; broken: 0.57, ShuffleNet at eps=1e5)
NORM_INPUT_RMS = 1e-2
#: |mean| / std of a weight matrix that an init centred off zero gives (healthy seen max 0.79, NeuMF's small output
#: layer; 0.37 next; broken: 1.74 to 1.90, uniform_(0, 1) in DCN and a Fourier-feature MLP)
MEAN_OVER_STD = 1.2
#: weights with fewer elements are not judged (a 2x2 matrix's sample mean is noise)
MIN_WEIGHTS = 16


@dataclass
class Source:
    """One module that departs on the batch, and what it is."""

    cause: str
    module: str
    order: int
    direction: int
    value: float
    evidence: dict[str, Any]


def _batch_normalising(m: nn.Module) -> bool:
    """A standardising layer that uses the batch's own statistics (not LocalResponseNorm, not an eval-mode
    BatchNorm reading its running statistics)."""
    if not isinstance(m, NORM_TYPES) or isinstance(m, nn.LocalResponseNorm):
        return False
    if isinstance(m, nn.modules.batchnorm._NormBase):
        return m.training or not m.track_running_stats or m.running_mean is None
    return True


def _affine_rms(m: nn.Module) -> float:
    """RMS of the scale the affine parameters set: sqrt(mean(weight^2) + mean(bias^2)), a missing weight as 1."""
    w, b = getattr(m, "weight", None), getattr(m, "bias", None)
    ws = float(w.detach().float().pow(2).mean()) if isinstance(w, torch.Tensor) and w.numel() else 1.0
    bs = float(b.detach().float().pow(2).mean()) if isinstance(b, torch.Tensor) and b.numel() else 0.0
    return math.sqrt(ws + bs)


def sources(probe: ProbeResult) -> list[Source]:
    """Every module that departs on the batch in a way the rules above name, in execution order (first call of each
    module; its measured quantity is in ``value``)."""
    out: list[Source] = []
    seen: set[str] = set()
    for rec in sorted(probe.records, key=lambda r: r.pre_order):
        if not rec.leaf or rec.name in seen:
            continue
        seen.add(rec.name)
        m = rec.module
        if _batch_normalising(m):
            scale = _affine_rms(m)
            if not (rec.out_finite and math.isfinite(rec.out_rms) and rec.out_rms > 0 and scale > 0):
                continue
            gap = math.log10(rec.out_rms / scale)
            eps = float(getattr(m, "eps", 0.0) or 0.0)
            out.append(Source("normalization", rec.name, rec.pre_order, 1 if gap > 0 else -1, gap,
                              {"module_type": type(m).__name__, "output_rms": float(f"{rec.out_rms:.3g}"),
                               "affine_scale": round(scale, 3), "decades_off_affine_scale": round(gap, 2),
                               "eps": eps, "implied_input_rms": float(f"{_implied_input_rms(gap, eps):.3g}"),
                               "expected": f"output at its affine scale, within {NORM_OFF_DECADES} decade"}))
        elif is_weight_layer(m) and not isinstance(m, EMBEDDING_TYPES):
            w = getattr(m, "weight", None)
            if not isinstance(w, torch.Tensor) or w.numel() < MIN_WEIGHTS or not w.requires_grad or \
                    parametrize.is_parametrized(m, "weight"):
                continue  # a frozen filter or a parametrised weight (exp(v) for monotonicity) is a design
            wf = w.detach().float()
            std = float(wf.std())
            if not (math.isfinite(std) and std > 0):
                continue
            ratio = float(wf.mean()) / std
            out.append(Source("init", rec.name, rec.pre_order, 1, ratio,
                              {"module_type": type(m).__name__, "weight_mean": float(f"{float(wf.mean()):.3g}"),
                               "weight_std": float(f"{std:.3g}"), "mean_over_std": round(ratio, 2),
                               "positive_fraction": round(float((wf > 0).float().mean()), 3),
                               "expected": f"|mean| / std below {MEAN_OVER_STD} (a zero-centred init)"}))
    return out


def _implied_input_rms(gap: float, eps: float) -> float:
    """The RMS of the input's spread that puts a standardiser's output ``gap`` decades below its affine scale:
    ``out / affine = sqrt(var / (var + eps))``, so ``var = eps r^2 / (1 - r^2)`` with ``r = 10^gap`` (0 for a gap
    of 0 or above: nothing to explain)."""
    r2 = 10.0 ** (2.0 * gap)
    return math.sqrt(eps * r2 / (1.0 - r2)) if r2 < 1.0 and eps > 0 else 0.0


def _departs(s: Source) -> bool:
    if s.cause == "normalization":
        return s.value <= -NORM_OFF_DECADES and s.evidence["implied_input_rms"] >= NORM_INPUT_RMS
    return abs(s.value) >= MEAN_OVER_STD


def localise(findings: list[Finding], probe: ProbeResult, trained: bool = False) -> None:
    """Re-attribute a top drift/overflow finding to the module where the departure starts (see the module
    docstring), in place. ``trained``: the weights were moved by training (``check``'s ``TRAINED_STEPS``), so an
    off-centre weight is not an initialisation and no ``init`` source is named (pytorch/examples' VAE without
    ``zero_grad`` was told "fc1 is initialised off-centre ... fix() does it" at step 127, session 24)."""
    strong = [f for f in findings if _strong(f)]
    if not strong:
        return
    top = max(strong, key=lambda f: f.rank_key)
    if top.cause not in SYMPTOMS or top.evidence.get("localised_from"):
        return
    way = _direction(top)
    found = [s for s in sources(probe) if _departs(s) and (way == 0 or s.direction == way)
             and not (trained and s.cause == "init")]
    if not found:
        return
    src = found[0]
    alike = [s.module for s in found if s.cause == src.cause]
    cause = _finding(src, top, alike)
    if src.cause == "init":  # what fix() re-initialises: each layer at the scale its activation wants
        cause.evidence["layers"] = {
            w.key: {"std": round(w.std, 6), "expected_std": round(w.expected_std, 6), "factor": round(w.factor, 3),
                    "activation": w.activation, "scheme": w.scheme, "param": w.param}
            for w in weight_specs(probe) if w.module in alike and w.param == "weight"}
    for f in [f for f in strong if f.cause in SYMPTOMS and (f is top or (way and _direction(f) == way))]:
        _absorb(cause, f, f"it starts at {src.module or '<root>'}, upstream of where it is measured")
    cause.score = max(cause.score, top.score) + 0.01
    findings.append(cause)


def _finding(src: Source, top: Finding, alike: list[str]) -> Finding:
    count = len(alike)
    name = src.module or "<root>"
    kind = src.evidence["module_type"]
    if src.cause == "normalization":
        eps = src.evidence.get("eps")
        message = (f"{name} ({kind}) normalises the batch but its output sits {abs(src.value):.1f} decades "
                   f"{'below' if src.value < 0 else 'above'} its affine scale (output RMS "
                   f"{src.evidence['output_rms']}, eps={eps}); {count} normalisation layer(s) do so, and the drift "
                   "measured downstream starts there.")
        prescription = ("Give the normalisation layers their usual eps (1e-5; 1e-6 to 1e-3 in half precision): an "
                        "eps far above the activations' variance divides by sqrt(eps) instead of normalising.")
        code = "for m in model.modules():\n    if hasattr(m, 'eps'):\n        m.eps = 1e-5"
    else:
        message = (f"{name} ({kind}) is initialised off-centre: its weights' mean {src.evidence['weight_mean']} is "
                   f"{src.value:.2f}x their std {src.evidence['weight_std']} "
                   f"({100 * src.evidence['positive_fraction']:.0f}% positive; {count} weight layer(s) are like "
                   "it), so every unit sums its inputs with one sign and the signal's mean compounds layer after "
                   "layer: the drift measured downstream starts there.")
        prescription = ("Re-initialise these layers with a zero-centred scheme (kaiming_uniform_/kaiming_normal_, "
                        "or uniform_(-b, b) with b = 1/sqrt(fan_in)); fix(model, diagnosis) does it.")
        code = "from gradguard.diagnosis import fix\nchanges = fix(model, diagnosis)  # re-initialises these layers"
    evidence = dict(src.evidence)
    evidence.update({"module": src.module, "direction": src.direction, "localised_from": top.cause,
                     "modules_like_it": count})
    return Finding(cause=src.cause, layers=alike, severity=top.severity, confidence=0.7, evidence=evidence,
                   message=message, prescription=prescription, code=code, score=top.score)
