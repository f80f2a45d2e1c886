"""Learning rate and regularisation, from the optimizer.

* lr: the update-to-weight ratio ``||dW|| / ||W||`` one step would make, per weight matrix (dim >= 2). The step
  is taken by a copy of the optimizer on cloned parameters carrying the probe's gradients, so neither the model
  nor the optimizer's state changes. Rule of thumb: about 1e-3 is healthy (Karpathy's "update/weight ~ 1e-3");
  above ``LR_WARN`` = 1e-2 is a warning, above ``LR_CRIT`` = 1e-1 critical.
* regularization: every param group has ``weight_decay == 0`` and weights are ``>= LARGE_FACTOR`` times their
  expected init scale (warning at ``>= 10x``).
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from typing import Any

import torch

from .findings import Finding
from .init_check import weight_specs
from .probe import ProbeResult

__all__ = ["LR_CRIT", "LR_WARN", "lr_findings", "regularization_findings", "update_ratios"]

LR_WARN, LR_CRIT = 1e-2, 1e-1
LARGE_FACTOR, LARGE_WARN = 4.0, 10.0


def update_ratios(probe: ProbeResult, optimizer: torch.optim.Optimizer,
                  lrs: list[float] | None = None) -> dict[str, float]:
    """``||dW|| / ||W||`` per weight matrix for one step of a copy of ``optimizer`` with the probe's gradients.

    ``lrs``: the lr per param group to step with (the scheduler's current ones); None keeps the groups' lr.
    """
    by_id = {id(p): n for n, p in probe.params.items()}
    memo: dict[int, Any] = {}
    clones: dict[str, torch.Tensor] = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            name = by_id.get(id(p))
            c = p.detach().clone().requires_grad_(p.requires_grad)
            g = probe.param_grads.get(name) if name is not None else None
            c.grad = None if g is None else g.clone()
            memo[id(p)] = c
            if name is not None:
                clones[name] = c
    opt = copy.deepcopy(optimizer, memo)
    if lrs is not None:
        for group, lr in zip(opt.param_groups, lrs, strict=True):
            group["lr"] = lr
    for attr in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks"):
        if hasattr(opt, attr):
            setattr(opt, attr, OrderedDict())
    with torch.no_grad():
        type(opt).step(opt)
    ratios: dict[str, float] = {}
    for name, c in clones.items():
        p = probe.params[name]
        if p.ndim < 2:
            continue
        w = float(torch.linalg.vector_norm(p.detach().float()))
        d = float(torch.linalg.vector_norm((c.detach() - p.detach()).float()))
        ratios[name] = d / w if w > 0 else float("inf") if d > 0 else 0.0
    return ratios


def lr_findings(probe: ProbeResult, optimizer: torch.optim.Optimizer,
                lrs: list[float] | None = None) -> list[Finding]:
    """A finding when one step would change weights by more than ``LR_WARN`` of their norm."""
    ratios = {k: v for k, v in update_ratios(probe, optimizer, lrs).items() if math.isfinite(v)}
    if not ratios:
        return []
    worst_name, worst = max(ratios.items(), key=lambda kv: kv[1])
    median = sorted(ratios.values())[len(ratios) // 2]
    # severity from the bulk of the model: one small layer under Adam's sign-like first step may sit near 1e-2
    bulk = max(median, _global_ratio(probe, ratios))
    if bulk <= LR_WARN:
        return []
    big = {k: v for k, v in ratios.items() if v > LR_WARN}
    severity = "critical" if bulk > LR_CRIT else "warning"
    lrs = sorted(set(lrs) if lrs is not None else {float(g.get("lr", float("nan"))) for g in optimizer.param_groups})
    factor = worst / 1e-3
    suggest = [float(f"{lr / factor:.2g}") for lr in lrs if math.isfinite(lr)]
    return [Finding(
        cause="lr",
        layers=sorted({k.rsplit(".", 1)[0] for k in big}),
        severity=severity,
        confidence=min(1.0, 0.5 + 0.2 * math.log10(worst / LR_WARN)),
        evidence={"update_to_weight": {k: float(f"{v:.3g}") for k, v in big.items()}, "expected": 1e-3,
                  "median_update_to_weight": float(f"{median:.3g}"),
                  "worst_layer": worst_name, "lr": lrs, "optimizer": type(optimizer).__name__},
        message=(f"One {type(optimizer).__name__} step at lr={lrs} would change {worst_name} by {worst:.3g} of its "
                 f"norm ({factor:.0f}x the healthy ~1e-3); {len(big)} weight(s) exceed {LR_WARN:g}."),
        prescription=(f"Lower the learning rate to about {suggest} (a {factor:.0f}x cut), use warm-up, and clip "
                      "gradients by global norm."),
        code=(f"for group in optimizer.param_groups:\n    group['lr'] = group['lr'] / {factor:.0f}\n"
              "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # before optimizer.step()"),
        score=math.log10(factor),
    )]


def _global_ratio(probe: ProbeResult, ratios: dict[str, float]) -> float:
    """Whole-model ``||dW|| / ||W||`` over the weight matrices in ``ratios``."""
    num = den = 0.0
    for name, r in ratios.items():
        w = float(torch.linalg.vector_norm(probe.params[name].detach().float())) ** 2
        num += r * r * w
        den += w
    return math.sqrt(num / den) if den > 0 else 0.0


def regularization_findings(probe: ProbeResult, optimizer: torch.optim.Optimizer) -> list[Finding]:
    """A finding when weights are large for their init scale and no param group has weight decay."""
    if any(float(g.get("weight_decay", 0.0) or 0.0) > 0 for g in optimizer.param_groups):
        return []
    large = [s for s in weight_specs(probe) if math.isfinite(s.factor) and s.factor >= LARGE_FACTOR]
    if not large:
        return []
    worst = max(s.factor for s in large)
    severity = "warning" if worst >= LARGE_WARN else "info"
    return [Finding(
        cause="regularization",
        layers=sorted({s.module for s in large}),
        severity=severity,
        confidence=0.4 if severity == "info" else 0.6,
        evidence={"weight_decay": 0.0, "weight_std_over_init_scale": {s.key: round(s.factor, 2) for s in large},
                  "expected": f"< {LARGE_FACTOR:g}x the init scale"},
        message=(f"{len(large)} weight(s) are up to {worst:.1f}x their init scale and the optimizer has no weight "
                 "decay, so nothing keeps them from growing further."),
        prescription=("Add L2 regularisation (weight_decay, e.g. AdamW with 0.01-0.1 or SGD with 1e-4) or an L1 "
                      "penalty, and watch the weight norms."),
        code="optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)",
        score=math.log10(worst),
    )]
