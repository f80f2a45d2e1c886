"""Claim 4: depth amplifies: the chain rule multiplies per-layer factors, so the gradient ratio compounds."""

from __future__ import annotations

import math

import numpy as np

from ._core import Experiment, LabResult, Plot, Verdict, fmt
from ._gain import STANDARD_GAIN, profile

CLAIM = ("Gradients are multiplied as they flow back through the layers (chain rule), so the amplification "
         "becomes more pronounced with depth.")
SOURCE = "seeds 000 (mathematical explanation, architecture), 001, 002 (vanishing)"

CONFIGS = {
    "ReLU, 1.5x He": ("relu", 1.5 * math.sqrt(2.0)),
    "ReLU, He": ("relu", math.sqrt(2.0)),
    "tanh, Xavier": ("tanh", STANDARD_GAIN["tanh"]),
    "sigmoid, Xavier": ("sigmoid", STANDARD_GAIN["sigmoid"]),
}


def run(quick: bool = False) -> LabResult:
    """log10 G against depth for four configurations; the least-squares slope is decades per layer."""
    depths = (2, 4, 8) if quick else (2, 4, 8, 16, 32)
    plot = Plot("Backward gain vs depth", "depth (Linear layers)", "G (first / last)", logy=True, logx=True)
    rows = []
    slopes: dict[str, float] = {}
    for label, (act, gain) in CONFIGS.items():
        gs = [profile(d, act, gain).gain for d in depths]
        logs = np.log10(np.clip(np.array(gs), 1e-300, 1e300))
        slopes[label] = float(np.polyfit(np.array(depths, dtype=float), logs, 1)[0])
        plot.series[label] = ([float(d) for d in depths], gs)
        rows.append([label, *(fmt(g) for g in gs), f"{slopes[label]:+.3f}"])
    # compounding: |log G| grows by at least 0.05 decades per layer (10x every 20 layers)
    compounding = [k for k, s in slopes.items() if abs(s) >= 0.05]
    flat = [k for k, s in slopes.items() if abs(s) < 0.05]
    if compounding and flat:
        verdict = Verdict("supported", f"where the per-layer gain is not 1: {', '.join(compounding)}; "
                                       f"{', '.join(flat)} stay flat with depth")
    elif compounding:
        verdict = Verdict("supported", f"for every configuration ({', '.join(compounding)})")
    else:
        verdict = Verdict("not supported", "no configuration compounds with depth")
    measured = "; ".join(f"{k}: {s:+.3f} decades/layer" for k, s in slopes.items())
    setup = (f"MLP width 64 at depths {', '.join(map(str, depths))}; backward gain G on one batch; slope of "
             "log10 G against depth by least squares; compounding if |slope| >= 0.05 decades per layer")
    headers = ["configuration", *(f"G, depth {d}" for d in depths), "decades per layer"]
    return LabResult("depth", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("depth", "Depth compounds", run)
