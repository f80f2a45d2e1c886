"""A loss that differentiates the network through its ReLUs twice gets nothing from those terms.

Physics-informed losses (a PDE residual's ``u_xx``), Lagrangian networks (the Hessian of ``L`` in the velocities) and
other losses built on ``torch.autograd.grad(..., create_graph=True)`` differentiate the network's output with respect
to its inputs, some of them twice. A ReLU's second derivative is 0 everywhere: every such term is exactly 0 for any
weights, so it passes no gradient and the model learns only from the rest (the boundary terms), or not at all
(the corpus' PINN and Lagrangian network with ReLU: the gradient is healthy in scale and nothing else is off).

Read by a counterfactual, only when the loss's graph differentiates through a ReLU (an autograd node of ReLU's
double backward, ``ThresholdBackwardBackward``): on a copy of the model, every ``relu`` the forward calls is
computed as ``softplus(x, beta=SMOOTH_BETA)`` (a ReLU with a curvature), and the loss's gradient with respect to the
parameters is compared with the ReLU model's. When the smooth copy's gradient norm is ``CURVATURE_GAIN`` times the
ReLU one's or more, the terms that need curvature are the ones the ReLUs silence: ``activation``, critical. A
first-derivative loss through ReLUs (a gradient penalty) changes by a few percent and says nothing.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from .findings import Finding

__all__ = ["CURVATURE_GAIN", "SMOOTH_BETA", "relu_curvature_findings"]

#: sharpness of the softplus that stands in for ReLU on the copy (within 0.035 of ReLU everywhere)
SMOOTH_BETA = 20.0
#: the smooth copy's gradient norm over the ReLU model's from which the ReLUs silence the loss's curvature terms
CURVATURE_GAIN = 10.0
_RELUS = {torch.relu, F.relu, torch.Tensor.relu}


class _SmoothRelu(TorchFunctionMode):
    """Computes every ``relu`` the forward calls as ``softplus(x, beta=SMOOTH_BETA)``."""

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        if func in _RELUS and args and isinstance(args[0], torch.Tensor):
            return F.softplus(args[0], beta=SMOOTH_BETA)
        return func(*args, **(kwargs or {}))


def _grad_norm(model: nn.Module, run: Any, smooth: bool) -> float:
    """The loss's gradient norm over ``model``'s parameters (its relus smoothed when ``smooth``)."""
    params = [p for p in model.parameters() if p.requires_grad]
    with torch.enable_grad():
        if smooth:
            with _SmoothRelu():
                loss = run(model)
        else:
            loss = run(model)
        grads = torch.autograd.grad(loss.reshape(()), params, allow_unused=True)
    return math.sqrt(sum(float(g.detach().double().pow(2).sum()) for g in grads if g is not None))


def relu_curvature_findings(model: nn.Module, run: Any, differentiated: bool) -> list[Finding]:
    """``activation`` (critical) when ReLUs silence the loss's second-derivative terms (see the module docstring);
    [] otherwise. ``differentiated``: the probe saw ReLU's double backward in the loss's graph
    (:attr:`.probe.ProbeResult.relu_differentiated`); only then two copies, one forward and backward each."""
    if not differentiated:
        return []
    try:
        relu_norm = _grad_norm(copy.deepcopy(model), run, smooth=False)
        smooth_norm = _grad_norm(copy.deepcopy(model), run, smooth=True)
    except Exception:  # a copy that cannot run: no reading
        return []
    if not (math.isfinite(relu_norm) and math.isfinite(smooth_norm)) or smooth_norm < CURVATURE_GAIN * relu_norm:
        return []
    gain = smooth_norm / relu_norm if relu_norm > 0 else float("inf")
    return [Finding(
        cause="activation", layers=[], severity="critical", confidence=0.8,
        evidence={"activation": "relu", "loss_differentiates_relu": True,
                  "gradient_norm_relu": float(f"{relu_norm:.3g}"), "gradient_norm_smooth": float(f"{smooth_norm:.3g}"),
                  "smooth_over_relu": float(f"{gain:.3g}") if math.isfinite(gain) else "inf",
                  "gate": CURVATURE_GAIN, "direction": -1},
        message=("The loss differentiates the network through its ReLUs (torch.autograd.grad with create_graph), and "
                 "a ReLU's second derivative is 0 everywhere: the terms built on the curvature (a PDE residual's "
                 "u_xx, a Hessian) are 0 for any weights and pass no gradient. With the ReLUs smoothed to a softplus "
                 f"on a copy, the gradient is {gain:.3g}x larger."),
        prescription=("Use a smooth activation whose second derivative is not 0: tanh (the PINN default), SiLU, "
                      "GELU or softplus; keep ReLU out of networks whose loss needs u_xx or a Hessian."),
        code="act = torch.nn.Tanh()  # instead of torch.nn.ReLU() in a network differentiated twice",
        score=5.0,
    )]
