"""Gradient gain through a deep MLP at initialisation.

Two views of one backward pass on one batch:

* the guard's own per-layer statistics: ``layer_grad_norm`` of every Linear layer and the global ``grad_norm``;
* the backward gain ``G = ||dL/dz_first|| / ||dL/dz_last||`` with ``z_k`` the output of Linear layer ``k`` (the
  quantity the chain rule multiplies layer by layer; the library's diagnosis probe reports the same figure).
  ``G > 1``: the gradient grows toward the input (explodes); ``G < 1``: it shrinks (vanishes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._core import SEED, layer_grad_norms, linear_names, mlp, regression

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}

#: He et al. 2015 (ReLU) and Glorot & Bengio 2010 (tanh, sigmoid; square layers) standard-deviation gains.
STANDARD_GAIN = {"relu": math.sqrt(2.0), "tanh": 1.0, "sigmoid": 1.0}


@dataclass(frozen=True)
class Profile:
    """One backward pass: per-Linear-layer gradient norms (guard), global norm (guard), backward gain G."""

    layer_grad_norm: np.ndarray
    grad_norm: float
    gain: float

    @property
    def first_to_last(self) -> float:
        """Guard's ``||grad W_first|| / ||grad W_last||`` (parameter gradients, weights and biases)."""
        last = float(self.layer_grad_norm[-1])
        return float(self.layer_grad_norm[0]) / last if last > 0 else math.inf


def profile(depth: int, act: str, std_gain: float, *, width: int = 64, seed: int = SEED) -> Profile:
    """Measure a freshly initialised ``depth``-layer MLP (weights N(0, std_gain^2/fan_in)) on one batch."""
    torch.manual_seed(seed)
    model = mlp(depth, width, ACTIVATIONS[act], std_gain=std_gain)
    out_grads: dict[str, float] = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            def hook(_m: nn.Module, _i: object, out: torch.Tensor, name: str = name) -> None:
                out.register_hook(lambda g: out_grads.__setitem__(name, float(torch.linalg.vector_norm(g))))
            handles.append(module.register_forward_hook(hook))
    x, y = regression(16, 4, seed=seed)(0)
    loss = nn.functional.mse_loss(model(x), y)
    names = linear_names(model)
    norms = layer_grad_norms(model, loss, names)
    for h in handles:
        h.remove()
    first, last = out_grads[names[0]], out_grads[names[-1]]
    gain = first / last if last > 0 and math.isfinite(first) else (math.inf if first > 0 else float("nan"))
    total = float(np.sqrt(np.sum(np.square(norms))))
    return Profile(norms, total, gain)


def per_layer_gain(ratio: float, depth: int) -> float:
    """The geometric-mean factor per layer that gives ``ratio`` over ``depth - 1`` layers."""
    if not math.isfinite(ratio) or ratio <= 0 or depth < 2:
        return float("nan")
    return float(ratio ** (1.0 / (depth - 1)))


def log10(x: float) -> float:
    """``log10`` that maps 0 to -inf and non-finite to NaN/inf as they are."""
    if x <= 0:
        return -math.inf
    return math.log10(x)


#: a backward gain more than one decade from 1 counts as exploding (> 10) or vanishing (< 0.1)
EXPLODES, VANISHES = 10.0, 0.1


def state(gain: float) -> str:
    """``"explodes"``, ``"vanishes"`` or ``"healthy"`` for a backward gain (NaN/inf count as exploding)."""
    if not math.isfinite(gain) or gain > EXPLODES:
        return "explodes"
    return "vanishes" if gain < VANISHES else "healthy"
