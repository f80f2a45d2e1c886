"""Claim 8: gradient clipping (by norm, by value, adaptive) keeps training stable where it otherwise diverges."""

from __future__ import annotations

import torch
from torch import nn

from ..policy import (
    Policy,
    chain,
    clip_adaptive,
    clip_by_global_norm,
    clip_by_percentile,
    clip_by_value,
    clip_by_zscore,
    skip_nonfinite,
)
from ._core import SEED, Experiment, LabResult, Plot, Run, Verdict, fmt, mlp, regression, train

CLAIM = ("Gradient clipping scales the gradients down (or caps them to a range) when they exceed a threshold, "
         "which keeps them from growing uncontrollably and stabilises training.")
SOURCE = "seeds 000, 001, 002, 003 (all list clipping); by norm and by value: MISSION"


def _variant(name: str, lr: float, steps: int, seed: int = SEED) -> Run:
    torch.manual_seed(seed)
    model = mlp(6, 64, nn.ReLU, std_gain=2**0.5)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    policy: str | Policy = "monitor"
    if name == "by norm (1.0)":
        policy = chain(skip_nonfinite(), clip_by_global_norm(1.0))
    elif name == "by value (0.1)":
        policy = chain(skip_nonfinite(), clip_by_value(0.1))
    elif name == "adaptive (z-score)":
        policy = chain(skip_nonfinite(), clip_by_zscore())
    elif name == "adaptive (safe's clip_adaptive)":
        policy = chain(skip_nonfinite(), clip_adaptive())
    elif name == "adaptive (p10)":
        policy = chain(skip_nonfinite(), clip_by_percentile(10.0, warmup=1))
    return train(model, opt, regression(16, 4), steps, policy=policy)


VARIANTS = ("none", "by norm (1.0)", "by value (0.1)", "adaptive (z-score)", "adaptive (safe's clip_adaptive)",
            "adaptive (p10)")


def run(quick: bool = False) -> LabResult:
    """The lr experiment's MLP at learning rates where it diverges, with each kind of clipping."""
    lrs = (1.0,) if quick else (0.3, 1.0)
    steps = 40 if quick else 80
    rows = []
    plot = Plot(f"Loss per step at lr={lrs[-1]:g}", "step", "loss", logy=True)
    ok: dict[tuple[str, float], bool] = {}
    for lr in lrs:
        for name in VARIANTS:
            r = _variant(name, lr, steps)
            ok[(name, lr)] = r.stable()
            rows.append([f"{lr:g}", name, r.outcome(), fmt(r.losses[-1]), fmt(max(r.grad_norms))])
            if lr == lrs[-1]:
                plot.series[name] = (list(map(float, range(len(r.losses)))), r.losses)
    diverging = [lr for lr in lrs if not ok[("none", lr)]]
    kinds = VARIANTS[1:]
    rescued = {k: all(ok[(k, lr)] for lr in diverging) for k in kinds}
    if not diverging:
        verdict = Verdict("not supported", "the unclipped runs did not diverge; nothing to rescue")
    elif all(rescued.values()):
        verdict = Verdict("supported", f"every kind of clipping trained stably at lr {', '.join(map(str, diverging))} "
                                       "where the unclipped run went non-finite")
    elif any(rescued.values()):
        verdict = Verdict("depends", f"the kind: {', '.join(k for k, v in rescued.items() if v)} kept training stable, "
                                     f"{', '.join(k for k, v in rescued.items() if not v)} did not")
    else:
        verdict = Verdict("not supported", "no kind of clipping kept the diverging runs stable")
    measured = "; ".join(f"lr {r[0]} {r[1]}: {r[2]}" for r in rows)
    setup = (f"MLP depth 6, width 64, ReLU, He; SGD {steps} steps at lr {', '.join(f'{x:g}' for x in lrs)} (above "
             "the largest stable lr); gradguard policies: clip_by_global_norm(1.0), clip_by_value(0.1), "
             "clip_by_zscore() (ZClip-like, the previous default), clip_adaptive() (the safe preset's clipper) and "
             "clip_by_percentile(10) (AutoClip-like)")
    headers = ["lr", "clipping", "outcome", "final loss", "max grad norm (before clipping)"]
    return LabResult("clipping", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("clipping", "Gradient clipping", run)
