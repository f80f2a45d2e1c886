"""Claim 7: batch normalisation stabilises training and allows higher learning rates."""

from __future__ import annotations

import math

from ._core import Experiment, LabResult, Plot, Verdict, fmt, largest_stable
from .lr import sweep

CLAIM = ("Batch normalisation keeps each layer's inputs in a reasonable range and smooths the optimisation "
         "landscape, which allows higher learning rates without destabilising training.")
SOURCE = "seed 000 (batch normalisation, points 1-4); seed 002 (solutions)"

LRS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


def run(quick: bool = False) -> LabResult:
    """The learning-rate sweep of the lr experiment, with and without BatchNorm1d before every activation."""
    lrs = (0.1, 0.3, 1.0) if quick else LRS
    steps = 40 if quick else 80
    plain, normed = sweep(lrs, steps), sweep(lrs, steps, norm=True)
    rows = []
    plot = Plot("Final loss vs learning rate (non-finite drawn at the top)", "learning rate", "final loss",
                logx=True, logy=True)
    for label, runs in (("without BN", plain), ("with BN", normed)):
        cap = 1e3
        plot.series[label] = ([lr for lr, _ in runs],
                              [min(r.losses[-1], cap) if math.isfinite(r.losses[-1]) else cap for _, r in runs])
    for (lr, a), (_, b) in zip(plain, normed):
        rows.append([f"{lr:g}", a.outcome(), fmt(a.losses[-1]), b.outcome(), fmt(b.losses[-1])])
    best_plain = largest_stable(lrs, [r.stable() for _, r in plain])
    best_bn = largest_stable(lrs, [r.stable() for _, r in normed])
    both = [i for i, ((_, a), (_, b)) in enumerate(zip(plain, normed)) if a.stable() and b.stable()]
    better_loss = sum(normed[i][1].losses[-1] < plain[i][1].losses[-1] for i in both)
    if math.isnan(best_bn):
        verdict = Verdict("not supported", "with BN no learning rate in the sweep was stable")
    elif math.isnan(best_plain) or best_bn > best_plain:
        ratio = "" if math.isnan(best_plain) else f", {best_bn / best_plain:g}x"
        verdict = Verdict("supported", f"largest stable lr {fmt(best_bn)} with BN vs {fmt(best_plain)} without{ratio}")
    elif best_bn == best_plain:
        verdict = Verdict("depends", f"what 'stabilises' means: same largest stable lr ({fmt(best_bn)}), lower final "
                                     f"loss with BN at {better_loss} of {len(both)} shared rates")
    else:
        verdict = Verdict("not supported", f"largest stable lr {fmt(best_bn)} with BN < {fmt(best_plain)} without")
    measured = (f"largest stable lr: {fmt(best_plain)} without BN, {fmt(best_bn)} with BN; lower final loss with BN "
                f"at {better_loss} of {len(both)} rates where both were stable")
    setup = (f"MLP depth 6, width 64, ReLU, He init, with/without BatchNorm1d; SGD {steps} steps, lr in "
             f"{', '.join(f'{x:g}' for x in lrs)}; stable = finite and last-10 mean loss below the first loss")
    headers = ["lr", "without BN", "final loss", "with BN", "final loss (BN)"]
    return LabResult("batchnorm", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("batchnorm", "Batch normalisation", run)
