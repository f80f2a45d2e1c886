"""Claim 3: the seeds disagree on ReLU: a cause of explosion (seed 000) or less prone to it (seed 001)?"""

from __future__ import annotations

import math

from ._core import Experiment, LabResult, Plot, Verdict, fmt
from ._gain import profile, state

CLAIM = ("Seed 000: ReLU contributes to exploding gradients by allowing unbounded positive outputs. "
         "Seed 001: ReLU is less prone to exploding (and vanishing) gradients than sigmoid or tanh.")
SOURCE = "seed 000 (causes) vs seed 001 (activation functions)"

SIGMAS = (0.5, 1.0, math.sqrt(2.0), 2.0, 3.0)
ACTS = ("relu", "tanh", "sigmoid")


def _dist(gain: float) -> float:
    """Decades away from a gain of 1 (inf for non-finite)."""
    return abs(math.log10(gain)) if math.isfinite(gain) and gain > 0 else math.inf


def run(quick: bool = False) -> LabResult:
    """One sweep of the weight scale sigma_w shared by all three activations, at a fixed depth."""
    depth = 8 if quick else 16
    sigmas = (1.0, math.sqrt(2.0), 3.0) if quick else SIGMAS
    gains = {(a, s): profile(depth, a, s).gain for a in ACTS for s in sigmas}
    plot = Plot(f"Backward gain vs init scale, depth {depth}", "sigma_w (weights ~ N(0, sigma_w^2 / fan_in))",
                "G (first / last)", logy=True)
    for a in ACTS:
        plot.series[a] = (list(sigmas), [gains[(a, s)] for s in sigmas])
    rows = []
    seed000, seed001 = [], []
    for s in sigmas:
        relu, others = gains[("relu", s)], [gains[("tanh", s)], gains[("sigmoid", s)]]
        # seed 000 holds where ReLU explodes and more than both bounded activations at the same scale
        holds000 = state(relu) == "explodes" and all(relu > o for o in others)
        # seed 001 holds where ReLU is healthy and at least one of sigmoid/tanh is not
        holds001 = state(relu) == "healthy" and any(state(o) != "healthy" for o in others)
        seed000 += [s] if holds000 else []
        seed001 += [s] if holds001 else []
        rows.append([f"{s:.2f}", *(f"{fmt(gains[(a, s)])} ({state(gains[(a, s)])})" for a in ACTS),
                     "000" if holds000 else ("001" if holds001 else "neither")])
    if seed000 and seed001:
        verdict = Verdict("depends", f"the init scale: seed 000 holds for sigma_w >= {min(seed000):.2f} (ReLU "
                                     f"explodes more than tanh and sigmoid); seed 001 holds at sigma_w = "
                                     f"{', '.join(f'{s:.2f}' for s in seed001)} (He: ReLU healthy where sigmoid "
                                     "or tanh is not)")
    elif seed000:
        verdict = Verdict("depends", f"the init scale: only seed 000 holds (sigma_w >= {min(seed000):.2f})")
    elif seed001:
        verdict = Verdict("supported", "seed 001 holds; ReLU never explodes more than tanh or sigmoid here")
    else:
        verdict = Verdict("not supported", "neither seed's statement holds anywhere in the sweep")
    he = math.sqrt(2.0)
    measured = (f"depth {depth}: at He (sigma_w=1.41) G = {fmt(gains[('relu', he)])} ReLU, "
                f"{fmt(gains[('tanh', he)])} tanh, {fmt(gains[('sigmoid', he)])} sigmoid; at sigma_w={sigmas[-1]:g} "
                f"{fmt(gains[('relu', sigmas[-1])])} ReLU vs {fmt(gains[('tanh', sigmas[-1])])} tanh")
    setup = (f"MLP width 64, depth {depth}; the same weight scale sigma_w for ReLU, tanh and sigmoid; backward "
             "gain G on one batch; seed 000 holds where ReLU explodes (G > 10) more than both others, seed 001 where "
             "ReLU is healthy (0.1 <= G <= 10) and sigmoid or tanh is not")
    headers = ["sigma_w", "ReLU G", "tanh G", "sigmoid G", "seed that holds"]
    return LabResult("relu", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("relu", "ReLU: cause or cure?", run)
