"""Optimizer settings that do not do what they were written for.

Two slips read from the param groups alone, before any step:

- ``SGD(..., dampening=0.9)`` with ``momentum=0``: torch's SGD applies dampening only to a momentum buffer, so without
  momentum it is ignored and the optimizer runs plain SGD; written for "momentum 0.9", it loses the 1 / (1 - 0.9) =
  10x effective step momentum gives (fresh69's TransRec at SGD 0.5: learns with momentum 0.9, does not without).
- Adam-family ``betas`` with the first above the second and at least :data:`SWAPPED_BETA1` (``(0.999, 0.9)``): the
  two swapped. The second moment then forgets in ~10 steps while the first keeps ~1,000, so the step ``m / sqrt(v)``
  of a gradient that shrinks is many times ``lr`` (fresh42's Lagrangian network). A short second moment under an
  ordinary first one is a published choice: NICE's Adam (0.9, 0.01) (fresh19, healthy).

Both are ``lr`` findings (the step is not the one the settings were meant to give), warnings.
"""

from __future__ import annotations

from typing import Any

from .findings import Finding

__all__ = ["SWAPPED_BETA1", "optimizer_setting_findings"]

#: the smallest first beta read as a second moment's written in its place (the usual second betas: 0.98 .. 0.999)
SWAPPED_BETA1 = 0.98


def optimizer_setting_findings(optimizer: Any) -> list[Finding]:
    """The slips above, one finding each (at most one per kind); [] for any other optimizer or setting."""
    groups = getattr(optimizer, "param_groups", None) or []
    name = type(optimizer).__name__
    out: list[Finding] = []
    damped = [i for i, g in enumerate(groups) if float(g.get("dampening", 0.0) or 0.0) > 0
              and float(g.get("momentum", 0.0) or 0.0) == 0.0 and "momentum" in g]
    if damped:
        d = float(groups[damped[0]]["dampening"])
        out.append(Finding(
            cause="lr", layers=[], severity="warning", confidence=0.8,
            evidence={"optimizer": name, "dampening": d, "momentum": 0.0, "param_groups": damped,
                      "expected": "momentum > 0 where dampening is set (dampening only scales a momentum buffer)"},
            message=(f"{name} has dampening={d:g} but momentum=0: dampening only applies to the momentum buffer, so "
                     "it is ignored and the optimizer runs plain SGD. If momentum was meant, its effective step "
                     f"is missing (1 / (1 - momentum): 10x at 0.9)."),
            prescription="Pass momentum=0.9 (and leave dampening at 0, its default) if momentum was meant.",
            code="torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)",
            score=1.5))
    swapped = [i for i, g in enumerate(groups) if isinstance(g.get("betas"), tuple | list) and len(g["betas"]) == 2
               and all(isinstance(b, int | float) for b in g["betas"])
               and float(g["betas"][0]) > float(g["betas"][1]) and float(g["betas"][0]) >= SWAPPED_BETA1]
    if swapped:
        b1, b2 = (float(b) for b in groups[swapped[0]]["betas"])
        out.append(Finding(
            cause="lr", layers=[], severity="warning", confidence=0.8,
            evidence={"optimizer": name, "betas": [b1, b2], "param_groups": swapped,
                      "expected": "beta1 <= beta2 (0.9, 0.999 by default)"},
            message=(f"{name}'s betas are ({b1:g}, {b2:g}): the first (momentum) above the second (the squared "
                     "gradient's average), the two swapped. The second moment then forgets faster than the first, "
                     "so the step m / sqrt(v) is many times lr wherever the gradient shrinks."),
            prescription=f"Use betas=({min(b1, b2):g}, {max(b1, b2):g}).",
            code=f"torch.optim.{name}(model.parameters(), lr=lr, betas=({min(b1, b2):g}, {max(b1, b2):g}))",
            score=1.5))
    return out
