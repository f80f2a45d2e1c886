"""Regularisation, from the optimizer (the weight decay's pace and balance, or its absence).

A finding when weight decay alone removes ``>= WD_SHRINK_WARN`` of the weights' norm per step (median over
weight matrices; critical ``>= WD_SHRINK_CRIT``): the weights collapse faster than the gradient grows them —
unless the decay is coupled with the gradient (its part of the step is not proportional to the weights: Adam's
L2 ``weight_decay``, normalised with the gradient) and settles at or above the weights' scale
(``DECAY_BALANCE``)
(healthy recipes remove 1e-5 to 1e-4 per step: AdamW 1e-3 x 0.1, SGD 0.1 x 5e-4), or a weight_decay
``>= WD_ABSURD`` not coupled with the gradient removes ``>= WD_ABSURD_SHRINK`` a step; or every param group has
``weight_decay == 0`` and weights are ``>= LARGE_FACTOR`` times their
expected init scale (warning at ``>= 10x``), or one step already cuts the loss by ``>= FIT_DROP`` and doubling
every weight matrix after it cuts it by ``>= GROWTH_REWARD`` more (the loss rewards growing the weights: nothing
bounds them; a linear classifier on separable data at Adam 0.1 shows 39% and 19%), while each step moves the
weights by ``>= GROWTH_STEP`` of their norm (it is at 1.0)."""

from __future__ import annotations

import math

import torch

from .findings import Finding
from .init_check import weight_specs
from .optim_check import DECAYING_STEP, _num, rewards_growth
from .probe import ProbeResult
from .stepsize import StepAnalysis

__all__ = ["DECAY_BALANCE", "DECAY_COLLAPSE", "DECAY_SEVERE", "WD_ABSURD", "WD_ABSURD_SHRINK", "WD_SHRINK_CRIT",
           "WD_SHRINK_SLOW", "WD_SHRINK_WARN", "WD_USUAL_TOP", "regularization_findings"]

WD_SHRINK_WARN, WD_SHRINK_CRIT = 0.01, 0.05
#: a coupled decay whose balance point ``rms(g) / (weight_decay * rms(W))`` is at least this (the weights' current
#: scale) does not collapse them, whatever its first step removes. Median over the decayed elements (session 30),
#: seen halves at seeds 0/1: healthy coupled-decay models 1.66 (GCNII, wd 0.01 on its convolutions) to 5.5e6 (and
#: MAF's masked layers at 0, whose decay removes under WD_SHRINK_SLOW a step); broken ``Adam(weight_decay=0.05 ..
#: 50)`` 3.7e-8 to 0.36
DECAY_BALANCE = 1.0
#: ... and one whose balance point is below DECAY_COLLAPSE of the weights' scale collapses them whatever the step's
#: pace, once it removes at least WD_SHRINK_SLOW of their norm a step (they halve within ~700 steps, well inside a
#: run): broken coupled ``Adam(weight_decay=1)`` at lr 3e-4..1e-3 remove only 0.004-0.009 a step (under
#: WD_SHRINK_WARN) towards 1-9% of their scale; below DECAY_SEVERE (a tenfold collapse) it is critical
DECAY_COLLAPSE, DECAY_SEVERE, WD_SHRINK_SLOW = 0.5, 0.1, 1e-3
#: the top of the usual band of lr x weight_decay per step (what the regularization prescription asks for): a coupled
#: decay already at or under it, with no collapse measured, is not a finding however fast its first step would shrink
#: the weights alone (fresh103's FSGNN at Kipf's Adam 0.01 with 5e-4: 5e-6 a step, balance 0.63x: told to cut its
#: decay 1000x)
WD_USUAL_TOP = 1e-4
#: a weight_decay this large is never a recipe's (the corpus's healthy AdamW runs use 1e-8..0.2; published ones reach
#: ~1, as grokking's AdamW at lr 1e-3); a decay that is not coupled with the gradient (AdamW's, SGD's) at or above it
#: that removes at least WD_ABSURD_SHRINK of the weights a step (they halve within ~1,400 steps) is a finding even
#: under WD_SHRINK_WARN (real code round 13: rtdl's MLP/ResNet at AdamW lr 3e-4 and its FT-Transformer at 1e-4, with
#: weight_decay 10: 3e-3 and 1e-3 a step, ended 1.4-1.9x worse and nothing was said)
WD_ABSURD, WD_ABSURD_SHRINK = 3.0, 5e-4
#: ... and each step must move the weights by GROWTH_STEP of their norm (median), so they grow fast (a wide MLP at
#: Adam 1e-3 on separable data rewards growth as much, but its steps are 0.03 of the weights: it trains fine)
GROWTH_STEP = 0.3
LARGE_FACTOR, LARGE_WARN = 4.0, 10.0


def _at_least(value: float, gate: float) -> bool:
    """``value >= gate`` up to float rounding (``lr * weight_decay`` of 0.01 x 1 reads 0.0099999998)."""
    return value >= gate * (1.0 - 1e-6)


def _balance(step: StepAnalysis | None, proportional: bool = False, ungated: bool = False) -> float | None:
    """The median over the decayed elements of the balance point ``rms(g) / (weight_decay * rms(W))`` of a coupled
    decay (an L2 term normalised with the gradient: Adam's ``weight_decay``), when on most decayed matrices the
    decay's part of the step is not proportional to the weights; else None. The decay cannot pull a weight below the
    scale where it balances the gradient: from ``DECAY_BALANCE`` (the weights' current scale) on, it is no
    collapse. ``proportional``: the same median for the decays that shrink the weights in proportion (SGD's).
    ``ungated``: leave out the matrices a zero-initialised layer gates at step 0 (no balance point measured yet)."""
    if step is None or not step.decay_shrink:
        return None
    source = step.decay_balance_sgd if proportional else step.decay_equilibrium
    eq = sorted((v, step.numel.get(n, 1)) for n, v in source.items()
                if math.isfinite(v) and not (ungated and n in step.decay_gated))
    if 2 * len(eq) <= len(step.decay_shrink):
        return None
    # the median over the decayed elements, not the matrices: a collapse of the embedding table that holds most of
    # the model is one (fresh40's FwFM under Adam(weight_decay=1): the table at 2.5e-6, two small matrices at 7.5
    # and 120), as is one of the larger of two matrices (fresh38's CycleNet, fresh22's GPR-GNN: 0.07-0.1 and 1.1-1.6)
    half, seen = sum(k for _, k in eq) / 2, 0
    for v, k in eq:
        seen += k
        if seen >= half:
            return v
    return eq[-1][0]


def _decay_says(med: float, peak: str) -> str:
    """What a weight decay that removes ``med`` of the weights' norm per step does to them."""
    if med >= 1:  # (1 - lr x wd) <= 0: each step flips the weights' sign instead of shrinking them
        return (f"Weight decay alone moves the weights by {med:.2g} of their norm every step{peak}, more than all "
                "of them: instead of shrinking they are thrown past zero each step, and the gradient cannot train "
                "them.")
    return (f"Weight decay alone removes {med:.2g} of the weights' norm every step{peak} (they halve in "
            f"{math.log(2) / med:.0f} steps): they collapse faster than the gradient can grow them, and the model "
            "stops learning.")


def _decay_for(wd: float, med: float) -> str:
    """A weight_decay that brings the shrink per step from ``med`` to 1e-4 (the top of the usual band), printed."""
    return f"{wd * 1e-4 / med:.2g}" if wd > 0 and med > 0 else "0.01"


def regularization_findings(probe: ProbeResult, optimizer: torch.optim.Optimizer,
                            step: StepAnalysis | None = None, lr_scale: float = 1.0) -> list[Finding]:
    """A finding when weight decay collapses the weights (judged at the schedule's peak lr: the checked step's
    shrink times ``lr_scale``, the peak over the checked lr, default 1), or when no param group has weight decay
    and weights are large for their init scale, or the loss rewards growing them."""
    negative = sorted({wd for g in optimizer.param_groups if (wd := float(g.get("weight_decay", 0.0) or 0.0)) < 0})
    if negative:
        # never meant: every step then adds lr * |weight_decay| * W, and the weights grow geometrically (torch's
        # constructors refuse it; it comes in when param_groups are written afterwards, e.g. a log10 from a search:
        # the twenty-ninth batch's Shake-Shake at weight_decay -4, seen after its first sight)
        return [Finding(
            cause="regularization", layers=[], severity="critical", confidence=0.95,
            evidence={"weight_decay": negative[0] if len(negative) == 1 else negative, "expected": ">= 0"},
            message=(f"weight_decay is negative ({negative[0]:g}): each step adds lr x {-negative[0]:g} x W to the "
                     "weights instead of removing it, so they grow geometrically and the run diverges."),
            prescription="Set weight_decay >= 0 (a log-scale search value must be exponentiated: 10 ** -4 = 1e-4).",
            code="for group in optimizer.param_groups:\n    group['weight_decay'] = 1e-4",
            score=10.0,
        )]
    shrink = sorted(v * lr_scale for v in (step.decay_shrink.values() if step is not None else []) if math.isfinite(v))
    nominal = lr_scale * max((float(g.get("lr", 0.0) or 0.0) * float(g.get("weight_decay", 0.0) or 0.0)
                              for g in optimizer.param_groups), default=0.0)
    # under a usual decay, the matrices a zero-initialised head gates at step 0 (no gradient yet) have no balance to
    # judge (fresh104's CSDI); under a large one (fresh68's DiffWave at Adam's coupled 1) they count, at 0, as before
    balance = _balance(step, ungated=nominal <= WD_USUAL_TOP)
    med = shrink[len(shrink) // 2] if shrink else 0.0
    # SGD's decay shrinks the weights in proportion, towards where it balances the gradient: under DECAY_COLLAPSE
    # of their scale, with at least WD_SHRINK_SLOW a step, the gradient cannot hold them (fresh55's TSN at SGD lr
    # 1e-3 and weight_decay 1, fresh46's cross-stitch at 0.5: 1e-3 and 5e-3 a step); it excuses nothing
    pulled = balance if balance is not None else _balance(step, proportional=True)
    collapse = pulled is not None and pulled < DECAY_COLLAPSE and _at_least(med, WD_SHRINK_SLOW)
    severe = collapse and pulled is not None and pulled < DECAY_SEVERE
    usual = nominal <= WD_USUAL_TOP and not collapse
    wds = sorted({float(g.get("weight_decay", 0.0) or 0.0) for g in optimizer.param_groups})
    absurd = balance is None and wds[-1] >= WD_ABSURD and _at_least(med, WD_ABSURD_SHRINK) if wds else False
    if not usual and ((_at_least(med, WD_SHRINK_WARN) and not (balance is not None and balance >= DECAY_BALANCE))
                      or collapse or absurd):
        peak = f" at the schedule's peak lr ({lr_scale:.3g}x the current one)" if lr_scale > 1 else ""
        settles = ("" if pulled is None else
                   f" The decay is added to the gradient (coupled L2), so the weights settle where weight_decay x |W| "
                   f"balances it: about {balance:.2g}x their current scale." if balance is not None else
                   f" The gradient balances weight_decay x |W| only at about {pulled:.2g}x the weights' current "
                   "scale: that is where the decay pulls them." if collapse else "")
        return [Finding(
            cause="regularization", layers=[],
            severity="critical" if _at_least(med, WD_SHRINK_CRIT) or severe else "warning",
            confidence=0.8,
            evidence={"weight_decay": wds[-1] if len(wds) == 1 else wds, "decay_shrink_per_step_median": _num(med),
                      "peak_lr_over_checked_lr": _num(lr_scale),
                      "expected": "1e-5 .. 1e-4 of the weights' norm per step",
                      "steps_to_halve": _num(math.log(2) / max(med, 1e-12))}
            | ({} if pulled is None else {"balance_scale_median": _num(pulled), "balance_gate": DECAY_BALANCE,
                                                "collapse_gate": DECAY_COLLAPSE}),
            message=(_decay_says(med, peak) + settles if _at_least(med, WD_SHRINK_WARN) or collapse else
                     f"weight_decay is {wds[-1]:g}, far above any recipe's (AdamW 0.01-0.3, SGD 1e-4..5e-4): it "
                     f"removes {med:.2g} of the weights' norm every step{peak} (they halve in "
                     f"{math.log(2) / med:.0f} steps), holding them well under the scale the model needs; it may "
                     "still learn, but worse."),
            prescription=("Lower weight_decay so that lr x weight_decay is about 1e-5..1e-4 per step (AdamW: 0.01-0.1 "
                          "at lr 1e-3; SGD: 1e-4..5e-4 at lr 0.1)."),
            code=("for group in optimizer.param_groups:\n    if group['weight_decay'] > 0:  # the groups that decay\n"
                  f"        group['weight_decay'] = {_decay_for(wds[-1], med)}"),
            score=math.log10(med / 1e-4),
        )]
    if any(float(g.get("weight_decay", 0.0) or 0.0) > 0 for g in optimizer.param_groups):
        return []
    ratios = sorted(step.ratios.values()) if step is not None else []
    # Adagrad's per-element step is lr / sqrt(sum of squared gradients): its first step is lr x sign(g), each later
    # one smaller, so a fast first step does not keep growing the weights (fresh18's GRU4Rec at Adagrad 0.05 learns)
    fast = bool(ratios) and ratios[len(ratios) // 2] >= GROWTH_STEP and step is not None and \
        step.optimizer not in DECAYING_STEP
    if step is not None and step.loss_doubled is not None and rewards_growth(step) and fast:
        return [Finding(
            cause="regularization", layers=[], severity="warning", confidence=0.6,
            evidence={"weight_decay": 0.0, "loss_after_step": _num(step.loss1),
                      "loss_after_step_weights_doubled": _num(step.loss_doubled),
                      "expected": "doubling the weights does not lower the loss"},
            message=(f"Doubling every weight matrix after one step lowers the loss further ({step.loss1:.4g} -> "
                     f"{step.loss_doubled:.4g}): the loss rewards growing the weights (e.g. separable data under "
                     "cross-entropy), and with no weight decay nothing bounds them."),
            prescription="Add weight decay (AdamW with 0.01-0.1, or SGD with 1e-4..5e-4), or label smoothing.",
            code="optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)",
            score=1.0,
        )]
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
