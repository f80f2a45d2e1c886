"""A decay the optimizer applies whatever the data (issue 12, session 13): read off one step with zero gradients.

``check`` steps a copy of the user's optimizer once more with every gradient set to 0 and every param group's
``weight_decay`` set to 0 (:attr:`.stepsize.StepAnalysis.bare_shrink`). A torch optimizer then leaves the weights
where they are (Adam's and SGD's moments of a zero gradient are 0). What moves them is something the user's
optimizer does outside its ``weight_decay`` setting — a hand-written decoupled decay (``p.mul_(1 - lr * wd)``), and
its slips (``p.mul_(wd)``: every weight x ``wd`` each step). When that step is ``dW = -c W`` (proportional, the
residual under a tenth) for at least half the weight matrices, ``c`` is the decay per step:

* ``regularization`` (critical) when the median ``|c|`` over those matrices is at least :data:`BARE_DECAY` (1% of
  every weight removed, or added, per step whatever the gradient). A correct hand-written AdamW decay at lr 1e-3
  and wd 0.01-0.1 is ``c`` = 1e-5-1e-4. On every case of the judgment corpus (all halves but the thirteenth, seed
  0) the zero-gradient step with ``weight_decay`` 0 moves no weight matrix at all, except one: the twelfth batch's
  ``p.mul_(wd)`` slip, ``c`` = 1 - 1e-5 (its copy used to fail: see :mod:`.optcopy`). With ``weight_decay`` left as
  set, torch's own decoupled or SGD decay reaches ``c`` 1e-4 on healthy cases and 0.095-0.25 on the corpus's
  too-strong decays, which the step-size rules already name; Adam's coupled L2 is normalised to ``lr`` per element
  and is not proportional, so it is not read here.
"""

from __future__ import annotations

import math

from .findings import Finding
from .stepsize import StepAnalysis

__all__ = ["BARE_DECAY", "bare_decay_findings"]

#: the decay per step (fraction of each weight) from which a zero-gradient step names ``regularization``
BARE_DECAY = 0.01


def bare_decay_findings(step: StepAnalysis | None) -> list[Finding]:
    """``regularization`` (critical) when the optimizer multiplies most weights by ``1 - c``, ``|c| >=``
    :data:`BARE_DECAY`, in a step whose gradients are all 0 (see the module docstring)."""
    if step is None or not step.ratios or not step.bare_shrink:
        return []
    covered = [n for n in step.ratios if n in step.bare_shrink]
    if 2 * len(covered) < len(step.ratios):
        return []
    cs = sorted(step.bare_shrink[n] for n in covered)
    c = cs[len(cs) // 2]
    if not (math.isfinite(c) and abs(c) >= BARE_DECAY):
        return []
    factor = abs(1.0 - c)
    decades = 100 * math.log10(factor) if factor > 0 else -math.inf
    grows = c < 0
    return [Finding(
        cause="regularization", layers=sorted(covered), severity="critical", confidence=0.9,
        evidence={"shrink_per_step": c, "matrices": len(covered), "of": len(step.ratios),
                  "decades_after_100_steps": decades, "gate": BARE_DECAY,
                  "weight_rms": {n: step.weight_rms.get(n) for n in covered},
                  "expected": "0 (torch's optimizers do not move a weight whose gradient is 0 without weight_decay)"},
        message=(f"With every gradient 0 and weight_decay 0, one step of {step.optimizer} multiplies "
                 f"{len(covered)} of {len(step.ratios)} weight matrices by {1 - c:.3g}: it "
                 f"{'adds' if grows else 'removes'} {abs(c):.3%} of each weight per step whatever the data "
                 f"({decades:+.0f} decades after 100 steps). The optimizer's step changes the weights outside its "
                 "weight_decay setting: a hand-written decay such as p.mul_(wd) where p.mul_(1 - lr * wd) was "
                 "meant looks like this."),
        prescription=("Write the decoupled decay as p.mul_(1 - lr * weight_decay) (or use AdamW's weight_decay), "
                      "so each step removes lr x weight_decay of each weight (1e-5 to 1e-4 at usual settings)."),
        code="p.mul_(1 - group['lr'] * weight_decay)  # or torch.optim.AdamW(params, lr, weight_decay=0.01)",
        score=5.0,
    )]
