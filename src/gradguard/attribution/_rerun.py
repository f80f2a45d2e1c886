"""One side-effect-free re-run of a batch on a working copy of the model: its loss and its gradient."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..rng import restore_rng_state
from ._batch import BatchLoss

__all__ = ["Measure", "compare", "measure", "trainable"]


@dataclass
class Measure:
    """The loss and gradient of one batch at one state (gradients kept only when asked)."""

    loss: float
    grad_norm: float
    grads: list[torch.Tensor | None] | None = None

    @property
    def finite(self) -> bool:
        return math.isfinite(self.loss) and math.isfinite(self.grad_norm)


def trainable(model: nn.Module) -> list[torch.Tensor]:
    """The parameters that take a gradient, in ``named_parameters`` order (the same in a deep copy)."""
    return [p for p in model.parameters() if p.requires_grad]


def _norm(grads: Sequence[torch.Tensor | None]) -> float:
    present = [g.detach().float() for g in grads if g is not None]
    if not present:
        return 0.0
    return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in present])))


def measure(model: nn.Module, batch_loss: BatchLoss, batch: Any, rng_state: Mapping[str, Any] | None = None,
            keep_grads: bool = False) -> Measure:
    """Loss and gradient of ``batch_loss(model, batch)`` with ``torch.autograd.grad`` (no ``.grad`` is written).

    ``model`` must be a working copy: its buffers (BatchNorm running statistics) may move. ``rng_state``: the RNG
    state to start the forward from (same dropout masks as the recorded step)."""
    if rng_state is not None:
        restore_rng_state(rng_state)
    params = trainable(model)
    with torch.enable_grad():
        loss = batch_loss(model, batch)
        loss = loss.float().mean() if loss.dim() else loss.float()
        grads: list[torch.Tensor | None] = (list(torch.autograd.grad(loss, params, allow_unused=True))
                                            if loss.requires_grad and params else [None] * len(params))
    value = float(loss.detach())
    return Measure(loss=value, grad_norm=_norm(grads), grads=[None if g is None else g.detach() for g in grads]
                   if keep_grads else None)


def compare(rerun: Measure, loss: float | None, grads: Sequence[torch.Tensor | None] | None,
            grad_norm: float | None, *, rtol: float = 1e-3) -> dict[str, Any]:
    """How far a re-run on the same state and batch lies from what the step recorded.

    ``mismatch`` is True when finiteness differs, or the loss or the gradient norm differ by more than ``rtol``
    (relative), or any gradient element differs by more than ``rtol`` times the largest recorded element.
    Reduction order on a GPU moves results by ~1e-6 relative; a flipped exponent bit moves them by orders."""
    out: dict[str, Any] = {"rerun_loss": rerun.loss, "rerun_grad_norm": rerun.grad_norm}
    mismatch = False
    if loss is not None:
        out["recorded_loss"] = loss
        mismatch |= _differs(rerun.loss, loss, rtol)
    if grad_norm is not None:
        out["recorded_grad_norm"] = grad_norm
        mismatch |= _differs(rerun.grad_norm, grad_norm, rtol)
    if grads is not None and rerun.grads is not None:
        worst, scale, nonfinite_diff = 0.0, 0.0, False
        for a, b in zip(rerun.grads, grads, strict=False):
            if a is None or b is None:
                continue
            b = b.detach().to(a.device, a.dtype)
            fa, fb = torch.isfinite(a), torch.isfinite(b)
            if not torch.equal(fa, fb):
                nonfinite_diff = True
            both = fa & fb
            if bool(both.any()):
                worst = max(worst, float((a[both] - b[both]).abs().max()))
                scale = max(scale, float(a[both].abs().max()))
        out["max_element_diff"] = worst
        out["nonfinite_elements_differ"] = nonfinite_diff
        mismatch |= nonfinite_diff or worst > rtol * max(scale, 1e-12)
    out["mismatch"] = bool(mismatch)
    return out


def _differs(a: float, b: float, rtol: float) -> bool:
    if math.isfinite(a) != math.isfinite(b):
        return True
    if not math.isfinite(a):
        return False
    return abs(a - b) > rtol * max(abs(a), abs(b), 1e-12)
