"""Claim 10: LeakyReLU and PReLU avoid the dead units that plain ReLU can leave."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ._core import SEED, Experiment, LabResult, Plot, Verdict, fmt, mlp, regression, train

CLAIM = "Variants like Leaky ReLU or Parametric ReLU address some limitations of ReLU (units that die)."
SOURCE = "seed 002 (activation functions); MISSION (dead units)"

ACTS: dict[str, Callable[[], nn.Module]] = {"ReLU": nn.ReLU, "LeakyReLU(0.01)": lambda: nn.LeakyReLU(0.01),
                                            "PReLU": nn.PReLU}


def unit_stats(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Over every hidden unit on one batch: fraction inactive (pre-activation <= 0 for every row) and fraction
    whose incoming weights get exactly zero gradient (a dead unit cannot learn its way back)."""
    pre: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: pre.append(out.detach()))
             for m in list(model)[:-1] if isinstance(m, nn.Linear)]
    model.zero_grad(set_to_none=True)
    nn.functional.mse_loss(model(x), y).backward()
    for h in hooks:
        h.remove()
    inactive = torch.cat([(p <= 0).all(dim=0) for p in pre]).float().mean()
    hidden = [m for m in list(model)[:-1] if isinstance(m, nn.Linear)]
    zero = torch.cat([m.weight.grad.abs().sum(dim=1) == 0 for m in hidden if m.weight.grad is not None])
    model.zero_grad(set_to_none=True)
    return float(inactive), float(zero.float().mean())


def run(quick: bool = False) -> LabResult:
    """Train the same MLP with each activation at a high Adam learning rate, then count dead units."""
    steps = 40 if quick else 100
    batches = regression(16, 4)
    rows = []
    dead: dict[str, float] = {}
    plot = Plot("Units with zero gradient after training", "activation", "fraction of hidden units", kind="bar")
    for name, act in ACTS.items():
        torch.manual_seed(SEED)
        model = mlp(4, 64, act, std_gain=2**0.5)
        r = train(model, torch.optim.Adam(model.parameters(), lr=0.05), batches, steps)
        inactive, zero = unit_stats(model, *batches(0))
        dead[name] = zero
        rows.append([name, r.outcome(), fmt(r.losses[-1]), f"{inactive:.0%}", f"{zero:.0%}"])
    plot.series["zero-gradient units"] = ([0.0, 1.0, 2.0], [dead[k] for k in ACTS])
    relu_dead = dead["ReLU"] >= 0.05
    others_ok = all(dead[k] < 0.01 for k in ACTS if k != "ReLU")
    if relu_dead and others_ok:
        verdict = Verdict("supported", f"ReLU left {dead['ReLU']:.0%} dead units, the variants none")
    elif not relu_dead:
        verdict = Verdict("depends", f"the training: ReLU left only {dead['ReLU']:.0%} dead units here")
    else:
        verdict = Verdict("not supported", "the variants left dead units too")
    measured = "; ".join(f"{r[0]}: {r[3]} inactive, {r[4]} zero-gradient, final loss {r[2]}" for r in rows)
    setup = (f"MLP depth 4, width 64, He init, Adam lr 0.05 (high) for {steps} steps; on one batch: inactive = "
             "pre-activation <= 0 for every row, dead = incoming weights get exactly zero gradient (>= 5% dead for "
             "ReLU and < 1% for the variants counts as support)")
    headers = ["activation", "outcome", "final loss", "inactive units", "dead (zero-gradient) units"]
    return LabResult("leaky", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("leaky", "LeakyReLU and PReLU", run)
