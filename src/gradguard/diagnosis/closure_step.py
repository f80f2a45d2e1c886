"""The learning-rate check for an optimizer that steps through a closure (``torch.optim.LBFGS``).

Such an optimizer cannot be stepped on copies of the weights with the probe's gradients, as :mod:`.stepsize` does:
its step re-evaluates the loss (``step(closure)``, up to ``max_iter`` times). ``check`` skipped the lr check for it
and said healthy at any rate (pytorch/examples' ``time_sequence_prediction`` uses LBFGS lr 0.8; at lr 1e4 one step
turns the loss NaN). Here one step of a copy of the optimizer (its state deep-copied) is taken on the model's own
weights with the check's loss as the closure, the loss is read after it, and the weights, gradients, buffers,
modes and RNG are put back. A step that leaves the loss non-finite or above twice where it started is ``lr``,
critical; one that raises it, a warning; the suggested rate is the first of lr/10, lr/100 ... lr/10^6 whose step
lowers the loss (LBFGS at 1e4 on a small MLP: 1). An LBFGS step that lowers the loss is not judged by its size:
with ``max_iter`` inner iterations its moves are large by design.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from .findings import Finding
from .optcopy import copy_optimizer
from .snapshot import StateSnapshot

__all__ = ["closure_step_findings"]

#: the cuts of the rate tried for a suggestion when the step at the rate raises the loss (each one LBFGS step)
_CUTS = (1e1, 1e2, 1e3, 1e4, 1e5, 1e6)


def closure_step_findings(model: nn.Module, run: Callable[[nn.Module], torch.Tensor],
                          optimizer: torch.optim.Optimizer, lrs: list[float] | None = None
                          ) -> tuple[list[Finding], int]:
    """``lr`` findings for a closure optimizer's step, and the forward passes it cost (see the module docstring).
    ``lrs``: the rate per param group to check (default: the groups' own)."""
    params = [p for g in optimizer.param_groups for p in g["params"]]
    rates = lrs if lrs is not None else [float(g.get("lr", 0.0)) for g in optimizer.param_groups]
    saved = [p.detach().clone() for p in params]
    snapshot = StateSnapshot(model)
    forwards = 0

    def loss_after(scale: float) -> float:
        nonlocal forwards
        opt = copy_optimizer(optimizer, {id(p): p for p in params})
        for group, lr in zip(opt.param_groups, rates, strict=False):
            group["lr"] = lr / scale

        def closure() -> torch.Tensor:
            nonlocal forwards
            for p in params:
                p.grad = None  # never zeroed in place: the caller's gradient tensors stay as they were
            with torch.enable_grad():
                loss = run(model)
                loss.backward()
            forwards += 1
            return loss

        try:
            opt.step(closure)  # type: ignore[arg-type]
            with torch.no_grad():
                forwards += 1
                return float(run(model))
        finally:
            with torch.no_grad():
                for p, s in zip(params, saved, strict=True):
                    p.copy_(s)

    try:
        with torch.no_grad():
            before = float(run(model))
        forwards += 1
        after = loss_after(1.0)
        if not math.isfinite(before) or (math.isfinite(after) and after <= before):
            return [], forwards
        suggested = None
        for cut in _CUTS:
            a = loss_after(cut)
            if math.isfinite(a) and a < before:
                suggested = max(rates) / cut
                break
    finally:
        snapshot.restore()
    top = max(rates)
    blows = not math.isfinite(after) or (before > 0 and after > 2 * before)
    name = type(optimizer).__name__
    return [Finding(
        cause="lr", layers=[], severity="critical" if blows else "warning", confidence=0.8,
        evidence={"optimizer": name, "lr": top, "loss_before": before, "loss_after_step": after,
                  "suggested_lr": suggested, "closure_step": True},
        message=(f"One {name} step at lr={top:g} takes the loss on this batch from {before:.4g} to {after:.4g}: the "
                 "step is too large."),
        prescription=(f"Lower the learning rate to about {suggested:.2g} (the largest of lr/10, lr/100 ... lr/10^6 "
                      "whose step lowers the loss)" if suggested is not None else
                      "Lower the learning rate (no step down to lr/10^6 lowers the loss: look upstream too)")
        + (", or give LBFGS line_search_fn='strong_wolfe'." if name == "LBFGS" else "."),
        code=f"optimizer = torch.optim.{name}(model.parameters(), lr={suggested if suggested else top / 100:.2g})",
        score=2.0 if blows else 1.0,
    )], forwards
