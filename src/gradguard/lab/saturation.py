"""Claim 2: sigmoid and tanh saturate and make gradients vanish in deep networks; ReLU does not."""

from __future__ import annotations

import torch
from torch import nn

from ._core import SEED, Experiment, LabResult, Plot, Verdict, fmt, mlp, regression
from ._gain import ACTIVATIONS, STANDARD_GAIN, profile, state

CLAIM = ("Sigmoid and tanh have small derivatives for large inputs (they saturate), so gradients shrink "
         "exponentially toward the first layers of a deep network; ReLU does not saturate for positive inputs.")
SOURCE = "seed 002 (causes, activation functions); seed 001 (ReLU)"

#: derivative maximum of each activation; a unit is saturated where its derivative is below 10% of it
MAX_DERIVATIVE = {"relu": 1.0, "tanh": 1.0, "sigmoid": 0.25}


def derivative_stats(act: str, std_gain: float, depth: int, width: int = 64) -> tuple[float, float]:
    """Mean activation derivative and saturated fraction (derivative < 10% of its maximum) over every unit."""
    torch.manual_seed(SEED)
    model = mlp(depth, width, ACTIVATIONS[act], std_gain=std_gain)
    derivs: list[torch.Tensor] = []

    def hook(_m: nn.Module, _i: object, out: torch.Tensor) -> None:
        a = out.detach()
        derivs.append({"relu": (a > 0).float(), "tanh": 1 - a * a, "sigmoid": a * (1 - a)}[act].flatten())

    for m in model.modules():
        if isinstance(m, (nn.ReLU, nn.Tanh, nn.Sigmoid)):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model(regression(16, 4)(0)[0])
    d = torch.cat(derivs)
    return float(d.mean()), float((d < 0.1 * MAX_DERIVATIVE[act]).float().mean())


def run(quick: bool = False) -> LabResult:
    """Backward gain G at depths 4..24 for ReLU (He), tanh and sigmoid (Xavier), each at 0.5x, 1x, 2x its init."""
    depths = (4, 8) if quick else (4, 8, 16, 24)
    scales = (1.0,) if quick else (0.5, 1.0, 2.0)
    rows: list[list[str]] = []
    plot = Plot("Backward gain vs depth, standard init", "depth (Linear layers)", "G (first / last)", logy=True)
    top: dict[tuple[str, float], float] = {}
    for act in ("sigmoid", "tanh", "relu"):
        for scale in scales:
            gain = STANDARD_GAIN[act] * scale
            prof = [profile(d, act, gain) for d in depths]
            mean_d, saturated = derivative_stats(act, gain, depths[-1])
            top[(act, scale)] = prof[-1].gain
            if scale == 1.0:
                plot.series[act] = ([float(d) for d in depths], [p.gain for p in prof])
            init = ("He" if act == "relu" else "Xavier") + ("" if scale == 1.0 else f" x{scale:g}")
            rows.append([act, init, *(fmt(p.gain) for p in prof), fmt(mean_d), f"{saturated:.0%}",
                         state(prof[-1].gain)])
    sig = [top[("sigmoid", s)] for s in scales]
    sig_vanish = all(state(g) == "vanishes" for g in sig)
    tanh_vanish = state(top[("tanh", 1.0)]) == "vanishes"
    tanh_any = [s for s in scales if state(top[("tanh", s)]) == "vanishes"]
    relu_ok = state(top[("relu", 1.0)]) == "healthy"
    d = depths[-1]
    if sig_vanish and tanh_vanish and relu_ok:
        verdict = Verdict("supported", f"depth {d}: sigmoid G={fmt(top[('sigmoid', 1.0)])}, "
                                       f"tanh G={fmt(top[('tanh', 1.0)])}, ReLU G={fmt(top[('relu', 1.0)])}")
    elif sig_vanish and relu_ok:
        where = f"only below Xavier (x{min(tanh_any):g})" if tanh_any else "at no init tried"
        verdict = Verdict("depends", f"the activation: sigmoid vanishes at every init (its derivative is at most "
                                     f"1/4), tanh with Xavier does not (G={fmt(top[('tanh', 1.0)])}; it vanishes "
                                     f"{where}); ReLU with He does not")
    else:
        verdict = Verdict("not supported", f"sigmoid G={fmt(top[('sigmoid', 1.0)])}, "
                                           f"ReLU G={fmt(top[('relu', 1.0)])} at depth {d}")
    measured = (f"depth {d}, standard init: G = {fmt(top[('sigmoid', 1.0)])} (sigmoid), "
                f"{fmt(top[('tanh', 1.0)])} (tanh), {fmt(top[('relu', 1.0)])} (ReLU)")
    headers = ["activation", "init", *(f"G, depth {x}" for x in depths), f"mean derivative, depth {d}",
               "saturated units (ReLU: inactive)", "state"]
    setup = (f"MLP width 64, depths {', '.join(map(str, depths))}, init x{', x'.join(f'{s:g}' for s in scales)} "
             "of the standard one; backward gain G from the guard-measured pass; activation derivatives by forward "
             "hooks (saturated: derivative < 10% of its maximum)")
    return LabResult("saturation", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("saturation", "Saturating activations", run)
