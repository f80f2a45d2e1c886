"""Claim 1: large or improper initial weights make deep networks explode; Xavier/He initialisation prevents it."""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from ._core import SEED, Experiment, LabResult, Plot, Verdict, fmt, mlp, regression, train
from ._gain import profile, state

CLAIM = ("Exploding gradients emerge in deep networks with large or improperly initialised weights; "
         "Xavier or He initialisation prevents it.")
SOURCE = "seeds 000 (causes), 001 (weight initialisation), 002 (causes, solutions)"

#: init scales relative to He (sigma_w = scale * sqrt 2): 1/sqrt2 is Xavier for square layers
SCALES = (0.5, 1 / math.sqrt(2), 1.0, 1.5, 2.0)


def _name(scale: float) -> str:
    return {1.0: "He", round(1 / math.sqrt(2), 3): "Xavier"}.get(round(scale, 3), f"{scale:g}x He")


def _outcome(depth: int, std_gain: float, steps: int) -> str:
    torch.manual_seed(SEED)
    model = mlp(depth, 64, nn.ReLU, std_gain=std_gain)
    run = train(model, torch.optim.SGD(model.parameters(), lr=0.01), regression(16, 4), steps)
    return run.outcome()


def run(quick: bool = False) -> LabResult:
    """ReLU MLPs, width 64, depths 4..24, weights N(0, (s*sqrt2)^2/fan_in) for several s; tanh with Xavier."""
    depths = (4, 8) if quick else (4, 8, 16, 24)
    steps = 15 if quick else 30
    rows: list[list[str]] = []
    plot = Plot("Backward gain vs depth (ReLU)", "depth (Linear layers)", "G = |dL/dz_first| / |dL/dz_last|",
                logy=True)
    top: dict[float, float] = {}
    for scale in SCALES:
        prof = [profile(d, "relu", scale * math.sqrt(2)) for d in depths]
        plot.series[_name(scale)] = ([float(d) for d in depths], [p.gain for p in prof])
        top[scale] = prof[-1].gain
        outcome = _outcome(depths[-1], scale * math.sqrt(2), steps)
        rows.append([f"ReLU, {_name(scale)} (sigma_w={scale * math.sqrt(2):.2f})", *(fmt(p.gain) for p in prof),
                     fmt(prof[-1].grad_norm), state(prof[-1].gain), outcome])
    tanh = [profile(d, "tanh", 1.0) for d in depths]
    plot.series["tanh, Xavier"] = ([float(d) for d in depths], [p.gain for p in tanh])
    rows.append(["tanh, Xavier (sigma_w=1)", *(fmt(p.gain) for p in tanh), fmt(tanh[-1].grad_norm),
                 state(tanh[-1].gain), "-"])

    he_ok = all(state(g) == "healthy" for g in plot.series["He"][1])
    xavier_ok = all(state(p.gain) == "healthy" for p in tanh)
    large = [s for s in SCALES if s > 1.0]
    large_explode = all(state(top[s]) == "explodes" for s in large)
    growing = all(top[a] < top[b] for a, b in itertools.pairwise(SCALES))
    if he_ok and xavier_ok and large_explode and growing:
        verdict = Verdict("supported", f"He keeps G within a decade to depth {depths[-1]}; "
                                       f"{_name(large[0])} gives G={fmt(top[large[0]])}")
    elif large_explode:
        verdict = Verdict("depends", "which standard init matches the activation: He for ReLU, Xavier for tanh")
    else:
        verdict = Verdict("not supported", f"large init did not explode at depth {depths[-1]}")
    measured = (f"depth {depths[-1]}: G = {fmt(top[1.0])} with He, {fmt(top[2.0])} at 2x He, "
                f"{fmt(top[SCALES[1]])} with Xavier (ReLU), {fmt(tanh[-1].gain)} with Xavier (tanh)")
    headers = ["init", *(f"G, depth {d}" for d in depths), f"guard grad norm, depth {depths[-1]}",
               "state", f"SGD, {steps} steps"]
    setup = (f"MLP width 64, depths {', '.join(map(str, depths))}; ReLU with N(0, sigma_w^2/fan_in) weights, "
             "plus tanh with Xavier; one batch of a fixed teacher task, MSE; backward gain G and the guard's global "
             f"gradient norm; then {steps} SGD steps (lr 0.01) at the largest depth")
    return LabResult("init", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("init", "Initial weight scale", run)
