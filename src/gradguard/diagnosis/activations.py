"""Activations: dead ReLU units and saturated sigmoid/tanh units on the probe batch, and the gradient they cost.

Dead units spread over layers (at least 2 layers >= 20% dead, none beyond ``DEAD_CRIT``) in a stack of
``>= SHORT_STACK`` (12) weight layers in series with nothing that normalises are named ``normalization``: nothing
re-centres the
pre-activations between layers, so units drift off layer after layer (seen halves: 38-75% dead at worst, in 2 to 51
layers, in plain ReLU stacks of 14 to 99 weight layers, every one labelled depth/normalization; the dead-ReLU faults
labelled ``activation`` all have a layer 100% dead; one faulty layer alone stays ``activation``).

* dead: a ReLU unit (feature, or channel for convolutions) never positive over the whole batch passes no gradient;
* saturated: ``|tanh| > 0.99`` or ``sigmoid`` outside ``(0.01, 0.99)``, where the derivative is below ~0.02;
* cost: the measured between-layer gradient gain beyond the healthy one (``sqrt(1/2)`` for ReLU, 1 otherwise),
  summed over the chain, in decades. Sigmoid costs at least ``log10(4)`` per layer (its derivative is <= 1/4).
* sigmoid in series (session 13): at least ``SIGMOID_SERIES`` weight layers that feed a sigmoid straight into the
  next weight layer (a hidden activation, not a gate that multiplies something) are named ``activation`` whatever
  the batch measures: each costs a factor <= 1/4 in the gradient and shifts the next layer's input by +0.5 (Glorot
  & Bengio 2010). A design that hides it at initialisation (Fixup's zero-initialised last convolution of each
  branch) fails in training all the same. On every half of the judgment corpus (seed 0) only broken cases have 5 or
  more (5 to 12 in series: deep sigmoid MLPs and CNNs, NiN with sigmoids, a Fixup ResNet with sigmoids); no healthy one.
"""

from __future__ import annotations

import math
from itertools import pairwise

import torch

from .depth import SHORT_STACK, unnormalised_depth
from .findings import Finding
from .layers import is_weight_layer
from .probe import ProbeResult
from .propagation import Propagation

__all__ = ["SIGMOID_SERIES", "activation_findings", "sigmoid_series_findings"]

DEAD_WARN, DEAD_CRIT = 0.5, 0.9
#: a ReLU whose worst layer has fewer dead units than this is alive: its measured gradient cost alone is info
#: (seen halves: no broken case is named by a ReLU cost with under 20% dead units)
LIVE_RELU = 0.2
#: a partly dead ReLU (no layer past ``DEAD_CRIT``) whose measured gradient cost explains less than this (decades) is
#: info, unless the units drift off through a deep unnormalised stack: the live units carry the gradient in full, so
#: the dead ones are spare width, not what stops learning (seen halves: AFM's attention MLP on one-hot fields, 56%
#: dead and 0.00 decades, learns; a bias of -5 on one layer of a plain ReLU MLP, 66% dead and 0.68 decades, fails)
COSTLESS_DEAD = 0.3
#: a layer with fewer units than this has no dead fraction worth reading (seen halves: SE-ResNet's 4-unit squeeze
#: at 50% on a healthy model, and its 8-unit squeeze at 62% (5 units) at the unseen seed 2; every broken dead-ReLU
#: case's dead layer is wider). 8 until session 22
MIN_UNITS = 16
#: a linear layer with this many inputs or fewer reads coordinates: the dead fraction of the ReLU after it is not read
COORD_FAN_IN = 3
#: sigmoid hidden activations in series (weight layer -> sigmoid -> weight layer) from which they are named: 5 (4
#: until session 43: fresh106's hybrid DNN-HMM, four sigmoid hidden layers at Glorot's sigmoid gain, learns 4.5 ->
#: 0.025 and was warned; the one broken case at 4, fresh13's AlexNet with sigmoids, is named by its measured cost)
SIGMOID_SERIES = 5
#: sigmoid hidden layers in plain transitions under which a measured cost within their derivative's bound is the
#: design (info): 4, the series gate until session 43 (fresh13's AlexNet with sigmoids, four in series, 2.5 decades,
#: stays a warning by its cost)
SIGMOID_FEW = 4
SAT_WARN, SAT_CRIT = 0.3, 0.7
_FIX = {
    "relu": ("Replace ReLU by LeakyReLU or PReLU (a small slope keeps dead units learning), and check the biases "
             "and the init of the layers before them.",
             "import torch.nn as nn\n# in the model definition:\nact = nn.LeakyReLU(0.01)  # or nn.PReLU()"),
    "tanh": ("Use a non-saturating activation (ReLU/LeakyReLU/GELU with He init), or keep tanh with Xavier init "
             "and a normalisation layer before it.",
             "import torch.nn as nn\nact = nn.LeakyReLU(0.01)  # instead of nn.Tanh(); re-init with kaiming_normal_"),
    "sigmoid": ("Use a non-saturating activation (ReLU/LeakyReLU/GELU with He init) in hidden layers; keep sigmoid "
                "only at the output (or use BCEWithLogitsLoss).",
                "import torch.nn as nn\nact = nn.LeakyReLU(0.01)  # instead of nn.Sigmoid() in hidden layers"),
}


def _units(shape: tuple[int, ...]) -> int:
    """Units of an activation output: channels of a (B, C, ...) map, features of (B, F), the wider of the last two
    axes of a 3-d output (channels-first or sequence-first)."""
    if len(shape) < 2:
        return 0
    return max(shape[1], shape[2]) if len(shape) == 3 else shape[1] if len(shape) >= 4 else shape[-1]


def _coordinate_readers(probe: ProbeResult) -> set[int]:
    """``id``s of the leaf records on a coordinate network's chain: after a linear layer of at most
    :data:`COORD_FAN_IN` inputs (x, t or (x, y, z)), through the linear layers that each read the previous one's
    width, in call order. Every unit there is a function of that low-dimensional input, and a batch covering a small
    region of it leaves many units off at init by geometry, not by a fault (the twenty-second batch's healthy
    DeepONet trunk on y in [0, 1]: 45-58% of the units after its first and second layers off)."""
    out: set[int] = set()
    coord, width = False, None
    for rec in sorted((r for r in probe.records if r.leaf), key=lambda r: r.pre_order):
        w = getattr(rec.module, "weight", None)
        if isinstance(w, torch.Tensor) and w.ndim >= 2 and is_weight_layer(rec.module):
            fan_in = w.shape[1] if w.ndim == 2 else -1
            coord = 0 < fan_in <= COORD_FAN_IN or (coord and w.ndim == 2 and fan_in == width)
            width = w.shape[0] if w.ndim == 2 else None
        elif coord:
            out.add(id(rec))
    return out


def activation_findings(probe: ProbeResult, prop: Propagation, measured: float | None) -> tuple[list[Finding], float]:
    """Findings per activation kind, and the decades of measured trouble activations explain (signed)."""
    stats: dict[str, dict[str, float]] = {}
    coordinates = _coordinate_readers(probe)
    for rec in probe.records:
        frac = rec.dead_frac if rec.dead_frac is not None else rec.sat_frac
        if frac is None or rec.activation is None:
            continue
        if rec.dead_frac is not None and _units(rec.out_shape) < MIN_UNITS:
            continue  # a fraction of a handful of units says nothing (an SE block's 4-unit squeeze: 2 dead = 50%)
        if rec.dead_frac is not None and rec.dead_frac < DEAD_CRIT and id(rec) in coordinates:
            continue
        label = rec.name if rec.activation_source == "module" else f"{rec.name} (functional {rec.activation})"
        key = f"{label}#{rec.call}" if probe.call_counts.get(rec.name, 1) > 1 else label
        stats.setdefault(rec.activation, {})[key] = frac
    excess = prop.activation_excess()
    by_kind: dict[str, float] = {}
    for rec in prop.chain:
        if rec.name in excess and rec.activation:
            by_kind[rec.activation] = by_kind.get(rec.activation, 0.0) + excess[rec.name]
    findings: list[Finding] = []
    explained_total = 0.0
    plain_depth = unnormalised_depth(probe, prop)
    for kind in sorted(set(stats) | set(by_kind)):
        fracs = stats.get(kind, {})
        worst = max(fracs.values(), default=0.0)
        mean = sum(fracs.values()) / len(fracs) if fracs else 0.0
        cost = by_kind.get(kind, 0.0)
        cap = prop.growth_cap(kind)
        if cap is not None and cost > cap:  # a bounded slope cannot grow the gradient (see propagation.MAX_SLOPE)
            cost = cap
        explained = 0.0
        if measured is not None and cost * measured > 0:
            explained = min(abs(cost), abs(measured))
        dead = kind == "relu"
        warn, crit = (DEAD_WARN, DEAD_CRIT) if dead else (SAT_WARN, SAT_CRIT)
        frac_score = 3.0 * worst if worst >= warn else 0.0
        score = max(explained, frac_score)
        if explained >= 3.0 or worst >= crit:
            severity = "critical"
        elif explained >= 1.5 or worst >= warn:
            severity = "warning"
        elif worst >= 0.2 or explained >= 0.5:
            severity = "info"
        else:
            continue
        bound = kind == "sigmoid" and worst < warn and _within_sigmoid_bound(prop, cost)
        if bound and severity != "info":
            # a few sigmoid hidden layers that cost no more than their derivative's bound of 1/4 each (not saturated):
            # the published design (fresh59's NNMF, three sigmoid layers of 50 under Adam: 1.8 decades); a deeper
            # sigmoid stack is :func:`sigmoid_series_findings`' to name
            severity = "info"
        if dead and worst < LIVE_RELU and severity != "info":
            # every unit positive on some samples: the ReLU passes gradient on all of them, so a large measured cost
            # is which samples are off, not the activation (the nineteenth batch's two-tower model: an empty query's
            # zero vector under F.normalize makes a 1e11 gradient that its all-off ReLU row blocks, 0% dead units)
            severity = "info"
        explained_total += -explained if cost < 0 else explained
        what = "dead (never positive on this batch)" if dead else "saturated"
        layers = sorted({k.split(" ")[0].split("#")[0] for k, v in fracs.items() if v >= 0.2}) or \
            [r.name for r in prop.chain if r.activation == kind]
        fix_text, code = _FIX.get(kind, _FIX["tanh"])
        spread = sum(v >= 0.2 for v in fracs.values()) >= 2
        drift = dead and spread and worst < DEAD_CRIT and plain_depth >= SHORT_STACK
        if dead and not drift and severity == "warning" and explained < COSTLESS_DEAD:  # a warning: worst < DEAD_CRIT
            severity = "info"
        costless = not dead and severity == "warning" and explained < COSTLESS_DEAD  # read by explain (see there)
        if drift:
            fix_text = ("Add normalisation between the layers (BatchNorm after each Linear/Conv, LayerNorm for "
                        "sequences) so every layer's pre-activations are re-centred and units stop dying with depth.")
            code = ("import torch.nn as nn\n"
                    "block = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU())")
        findings.append(Finding(
            cause="normalization" if drift else "activation",
            layers=layers,
            severity=severity,
            confidence=min(1.0, 0.4 + 0.6 * max(worst, min(1.0, explained / 3.0))),
            evidence={
                "activation": kind,
                ("dead_fraction" if dead else "saturated_fraction"): {k: round(v, 3) for k, v in fracs.items()},
                "worst_fraction": round(worst, 3),
                "mean_fraction": round(mean, 3),
                "expected_fraction": "< 0.2",
                "gradient_cost_decades": round(cost, 2),
                "explained_decades": round(explained, 2),
                **({"unnormalised_weight_layers": plain_depth, "direction": -1} if drift else {}),
                **({"costless": True} if costless else {}),
            },
            message=(
                (f"{kind}: up to {worst:.0%} of units are {what} (mean {mean:.0%}); " if worst >= 0.2 else
                 f"{kind}: few units are {what} (worst {worst:.0%}), " + ("but sigmoid's derivative is at most 1/4; "
                                                                          if kind == "sigmoid" else ""))
                + f"across the chain the activations {'shrink' if cost < 0 else 'change'} the gradient by "
                f"{abs(cost):.1f} decades beyond a healthy {kind}."
                + (f" No layer is dead as a whole and nothing normalises across these {plain_depth} weight layers: "
                   "the units drift off because nothing re-centres them between layers." if drift else "")
            ),
            prescription=fix_text,
            code=code,
            score=score,
        ))
    findings += _cut_findings(probe, prop)
    return findings, explained_total


def _within_sigmoid_bound(prop: Propagation, cost: float) -> bool:
    """Fewer than ``SIGMOID_FEW`` sigmoid layers in the chain's plain transitions, and a measured gradient cost no
    more than their derivative's bound (``log10(4)`` each) plus ``COSTLESS_DEAD`` (decades)."""
    n = sum(1 for rec, _ in prop.plain if rec.activation == "sigmoid")
    return 0 < n < SIGMOID_FEW and abs(cost) <= n * math.log10(4.0) + COSTLESS_DEAD


def _cut_findings(probe: ProbeResult, prop: Propagation) -> list[Finding]:
    """Weight layers that get no gradient at all because every one of their outputs is off (<= 0, or their ReLU
    units all dead on the batch): whatever follows them that is zero below 0 passes nothing (development case
    ``text_cnn_dead_relu``: conv biases at -3, 29 decades read as depth before)."""
    if not prop.cut:
        return []
    off = [r for r in prop.chain if r.name in prop.cut and (
        (r.pos_frac is not None and r.pos_frac == 0.0) or (r.dead_frac is not None and r.dead_frac >= DEAD_CRIT))]
    if not off:
        return []
    names = sorted({r.name for r in off})
    return [Finding(
        cause="activation",
        layers=names,
        severity="critical",
        confidence=0.8,
        evidence={"activation": "relu", "no_gradient_layers": names,
                  "positive_output_fraction": {r.name: r.pos_frac for r in off},
                  "dead_fraction": {r.name: r.dead_frac for r in off if r.dead_frac is not None},
                  "expected_fraction": "some outputs > 0", "decades_cut": round(prop.cut_decades, 1)},
        message=(f"No gradient at all reaches {', '.join(names[:4])}{' ...' if len(names) > 4 else ''}: every "
                 "output of theirs is <= 0 on this batch, so the ReLU-like activation after them passes nothing "
                 "(all units dead); the layers below learn nothing."),
        prescription=("Check the biases and the init of these layers (a large negative bias switches every unit "
                      "off), or use LeakyReLU/PReLU so that off units still pass a gradient."),
        code=_FIX["relu"][1],
        score=max(3.0, prop.cut_decades),
    )]


def sigmoid_series_findings(probe: ProbeResult) -> list[Finding]:
    """``activation`` (warning) when at least :data:`SIGMOID_SERIES` weight layers feed a sigmoid straight into the
    next weight layer (see the module docstring)."""
    ws = [r for r in sorted(probe.records, key=lambda r: r.pre_order) if r.leaf and is_weight_layer(r.module)]
    series = [a.name for a, b in pairwise(ws) if a.activation == "sigmoid" and b.chained]
    if len(series) < SIGMOID_SERIES:
        return []
    fix_text, code = _FIX["sigmoid"]
    return [Finding(
        cause="activation", layers=series, severity="warning", confidence=0.7,
        evidence={"sigmoid_hidden_layers": len(series), "weight_layers": len(ws), "gate": SIGMOID_SERIES},
        message=(f"{len(series)} weight layers feed a sigmoid straight into the next weight layer: as a hidden "
                 "activation, each sigmoid multiplies the gradient by at most 1/4 and shifts the next layer's input "
                 "by +0.5, so the stack trains slowly or not at all even where this batch does not show it yet."),
        prescription=fix_text, code=code, score=1.0,
    )]

