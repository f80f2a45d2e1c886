"""Claim 8: gradient clipping (by norm, by value, adaptive) keeps training stable where it otherwise diverges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..decision import Decision
from ..events import Event
from ..policy import Policy, chain, clip_by_global_norm, skip_nonfinite
from ..stats import StepStats
from ._core import SEED, Experiment, LabResult, Plot, Run, Verdict, fmt, mlp, regression, train

CLAIM = ("Gradient clipping scales the gradients down (or caps them to a range) when they exceed a threshold, "
         "which keeps them from growing uncontrollably and stabilises training.")
SOURCE = "seeds 000, 001, 002, 003 (all list clipping); by norm and by value: MISSION"


class PercentileClip:
    r"""Adaptive clipping (AutoClip, Seetharaman et al. 2020): clip the global norm to the ``percentile``-th
    percentile of every norm seen so far, this step's included: :math:`c = \min(1, P_p(h) / \lVert g\rVert)`.

    A small policy object for the lab (the guard's Policy protocol); non-finite norms are skipped, not recorded.
    """

    def __init__(self, percentile: float = 10.0) -> None:
        self.percentile = percentile
        self.history: list[float] = []

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        norm = stats.grad_norm
        if not math.isfinite(norm):
            return Decision(skip=True, reason="nonfinite_grad", evidence={"grad_norm": norm})
        self.history.append(norm)
        threshold = float(np.percentile(self.history, self.percentile))
        if norm > threshold > 0:
            return Decision(reason="clip_percentile", clip_coef=threshold / norm,
                            evidence={"grad_norm": norm, "threshold": threshold})
        return Decision()

    def state_dict(self) -> dict[str, Any]:
        return {"percentile": self.percentile, "history": list(self.history)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.percentile = float(state["percentile"])
        self.history = list(state["history"])


def _variant(name: str, lr: float, steps: int) -> Run:
    torch.manual_seed(SEED)
    model = mlp(6, 64, nn.ReLU, std_gain=2**0.5)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    policy: str | Policy = "monitor"
    before = None
    if name == "by norm (1.0)":
        policy = chain(skip_nonfinite(), clip_by_global_norm(1.0))
    elif name == "by value (0.1)":
        def before(m: nn.Module) -> None:
            nn.utils.clip_grad_value_(m.parameters(), 0.1)
    elif name == "adaptive (p10)":
        policy = PercentileClip(10.0)
    return train(model, opt, regression(16, 4), steps, policy=policy, before_step=before)


VARIANTS = ("none", "by norm (1.0)", "by value (0.1)", "adaptive (p10)")


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
             "the largest stable lr); clipping by global norm via the guard policy, by value with clip_grad_value_, "
             "adaptive as a guard policy clipping to the 10th percentile of the norm history")
    headers = ["lr", "clipping", "outcome", "final loss", "max grad norm (before clipping)"]
    return LabResult("clipping", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("clipping", "Gradient clipping", run)
