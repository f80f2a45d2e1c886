"""Claim 6: too high a learning rate multiplies large gradients into huge updates and diverges."""

from __future__ import annotations

import torch
from torch import nn

from ._core import SEED, Experiment, LabResult, Plot, Run, Verdict, fmt, largest_stable, mlp, regression, train

CLAIM = ("The learning rate multiplies the gradient; high values cause huge parameter updates that destabilise "
         "training.")
SOURCE = "seed 000 (causes)"

LRS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


def sweep(lrs: tuple[float, ...], steps: int, *, norm: bool = False, depth: int = 6) -> list[tuple[float, Run]]:
    """Train the same seeded MLP (He init, width 64) with SGD at each learning rate; returns (lr, Run) pairs."""
    out: list[tuple[float, Run]] = []
    for lr in lrs:
        torch.manual_seed(SEED)
        model = mlp(depth, 64, nn.ReLU, std_gain=2**0.5, norm=norm)
        out.append((lr, train(model, torch.optim.SGD(model.parameters(), lr=lr), regression(16, 4), steps)))
    return out


def run(quick: bool = False) -> LabResult:
    """Learning-rate sweep; stable = finite and the last 10 steps' mean loss below the first loss."""
    lrs = (0.03, 0.3, 3.0) if quick else LRS
    steps = 40 if quick else 80
    runs = sweep(lrs, steps)
    rows = []
    plot = Plot("Loss per step, SGD", "step", "loss", logy=True)
    stable = []
    for lr, r in runs:
        ok = r.stable()
        stable.append(ok)
        rows.append([f"{lr:g}", r.outcome(), fmt(r.losses[-1]), fmt(max(r.grad_norms)),
                     fmt(max(r.weight_norms)), str(sum(r.events.values()))])
        plot.series[f"lr={lr:g}"] = (list(map(float, range(len(r.losses)))), r.losses)
    best = largest_stable(lrs, stable)
    above = [lr for lr, ok in zip(lrs, stable) if lr > best and not ok] if best == best else []
    if best == best and above and all(not ok for lr, ok in zip(lrs, stable) if lr > best):
        verdict = Verdict("supported", f"stable up to lr={best:g}, diverges from lr={above[0]:g}")
    elif best == best and not above:
        verdict = Verdict("not supported", f"every learning rate up to {lrs[-1]:g} was stable")
    else:
        verdict = Verdict("depends", "the run: stability is not monotone in the learning rate here")
    measured = f"largest stable learning rate {fmt(best)}; " + ", ".join(f"lr {r[0]}: {r[1]}" for r in rows)
    setup = (f"MLP depth 6, width 64, ReLU, He init; SGD for {steps} steps on a fixed teacher task (MSE), lr in "
             f"{', '.join(f'{x:g}' for x in lrs)}; guard (monitor) records gradient and weight norms and events")
    headers = ["lr", "outcome", "final loss", "max grad norm", "max weight norm", "guard events"]
    return LabResult("lr", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("lr", "Learning rate", run)
