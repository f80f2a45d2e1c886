"""Claim 9: L1/L2 regularisation keeps the weights, and so the gradients, smaller."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from ._core import SEED, Batches, Experiment, LabResult, Plot, Verdict, fmt, mlp, train

CLAIM = ("L1 or L2 regularisation adds a penalty on the weights to the loss, encouraging smaller parameter values, "
         "which helps prevent the gradients from exploding.")
SOURCE = "seeds 001 (regularisation), 003 (weight regularisation); seed 000 (causes)"


def separable(seed: int = SEED) -> Batches:
    """Linearly separable two-class data: cross-entropy keeps pushing the weights up without a penalty."""
    g = torch.Generator().manual_seed(seed + 2000)
    w = torch.randn(16, generator=g)
    data = [torch.randn(64, 16, generator=g) for _ in range(8)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = data[step % 8]
        return x, (x @ w > 0).long()

    return batch


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [p for n, p in model.named_parameters() if n.endswith("weight")]


def l2(strength: float) -> Callable[[nn.Module], torch.Tensor]:
    """``strength * sum ||W||^2`` over the weight matrices (biases are not penalised)."""
    return lambda m: strength * torch.stack([(w * w).sum() for w in _weights(m)]).sum()


def l1(strength: float) -> Callable[[nn.Module], torch.Tensor]:
    """``strength * sum |W|`` over the weight matrices."""
    return lambda m: strength * torch.stack([w.abs().sum() for w in _weights(m)]).sum()


PENALTIES: dict[str, Callable[[nn.Module], torch.Tensor] | None] = {"none": None, "L2 (1e-2)": l2(1e-2),
                                                                    "L1 (1e-3)": l1(1e-3)}


def run(quick: bool = False) -> LabResult:
    """Train one MLP classifier three times (no penalty, L2, L1); the guard records weight and gradient norms."""
    steps = 100 if quick else 300
    rows = []
    plot = Plot("Weight norm per step (guard)", "step", "||W|| (all layers)")
    grads = Plot("Gradient norm per step (guard)", "step", "||g||", logy=True)
    final_w: dict[str, float] = {}
    late_g: dict[str, float] = {}
    for name, penalty in PENALTIES.items():
        torch.manual_seed(SEED)
        model = mlp(3, 64, nn.ReLU, std_gain=2**0.5, d_out=2)
        r = train(model, torch.optim.SGD(model.parameters(), lr=0.5), separable(), steps,
                  loss_fn=nn.functional.cross_entropy, penalty=penalty)
        final_w[name] = r.weight_norms[-1]
        late_g[name] = float(np.mean(r.grad_norms[-steps // 5:]))
        xs = list(map(float, range(len(r.losses))))
        plot.series[name] = (xs, r.weight_norms)
        grads.series[name] = (xs, r.grad_norms)
        rows.append([name, r.outcome(), fmt(r.losses[-1]), fmt(r.weight_norms[0]), fmt(final_w[name]),
                     fmt(late_g[name])])
    regs = [k for k in PENALTIES if k != "none"]
    w_smaller = all(final_w[k] < 0.9 * final_w["none"] for k in regs)
    g_smaller = all(late_g[k] < 0.9 * late_g["none"] for k in regs)
    wr = ", ".join(f"{k} {final_w[k] / final_w['none']:.2f}x" for k in regs)
    gr = ", ".join(f"{k} {late_g[k] / late_g['none']:.2f}x" for k in regs)
    if w_smaller and g_smaller:
        verdict = Verdict("supported", f"weights {wr}; gradients {gr}")
    elif w_smaller:
        verdict = Verdict("depends", f"the quantity: weights are smaller ({wr}) but gradients are not ({gr}): the "
                                     "penalty's own gradient and a loss that no longer falls keep them up")
    else:
        verdict = Verdict("not supported", f"weights {wr}")
    measured = f"final weight norm relative to no penalty: {wr}; late gradient norm: {gr}"
    setup = (f"MLP depth 3, width 64, ReLU, He; separable 2-class data, cross-entropy, SGD lr 0.5 for {steps} steps; "
             "penalty added to the loss; weight and gradient norms from the guard (smaller = below 0.9x)")
    headers = ["penalty", "outcome", "final loss", "initial weight norm", "final weight norm",
               f"mean grad norm, last {steps // 5} steps"]
    return LabResult("regularization", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot, grads])


EXPERIMENT = Experiment("regularization", "L1/L2 regularisation", run)
