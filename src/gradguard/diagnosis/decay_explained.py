"""Weight-decay findings that another finding explains (a step of :mod:`.explain`'s model).

The decay's shrink per step is ``lr x weight_decay`` (SGD's and AdamW's; Adam's coupled decay is a share of a step
of about lr per element), so a decay read at a learning rate an ``lr`` finding calls too high, or at a schedule's
too-high peak, is that finding's consequence when the decay is a usual one or would be harmless at the suggested
rate; and a decay read off weights that are exactly zero is the zero network's consequence.
"""

from __future__ import annotations

from .absorb import absorb as _absorb
from .absorb import strong as _strong
from .findings import Finding

__all__ = ["USUAL_DECAY", "decay_explained"]


def decay_explained(findings: list[Finding], step_family: str | None) -> None:
    """Apply the four rules below, in this order, to ``findings`` (in place)."""
    _peak_absorbs_decay(findings)
    _lr_absorbs_usual_decay(findings, step_family)
    _lr_absorbs_decay_at_its_lr(findings)
    _zero_network_absorbs_decay(findings)


#: the largest usual weight_decay: AdamW's decoupled one (0.01-0.1 in the recipes), SGD's (1e-4-5e-4); an optimizer of
#: no known family ("other": Muon, custom ones) is read as decoupled, as Muon's README sets it (0.01 at lr 0.02)
USUAL_DECAY = {"adam": 0.1, "sgd": 1e-3, "other": 0.1}


def _largest_decay(wd: object) -> float | None:
    """The largest weight_decay of a finding's evidence (a number, or the sorted list of the groups' values)."""
    values = wd if isinstance(wd, list) else [wd]
    nums = [float(v) for v in values if isinstance(v, int | float)]
    return max(nums) if nums else None


def _lr_absorbs_usual_decay(findings: list[Finding], step_family: str | None) -> None:
    """A decay collapse whose weight_decay is a usual one (:data:`USUAL_DECAY`: AdamW's decoupled decay, which
    keeps no gradient balance, or SGD's) shrinks by ``lr x weight_decay`` because the lr is too large, and a strong
    ``lr`` finding says so: fresh67's SGConv at AdamW lr 1 with its weight_decay 0.05 was told ``regularization``
    (0.05 of the norm a step) before ``lr``; llm.c's GPT at AdamW lr 3 with a no-decay group and 0.1 likewise, and
    KellerJordan/Muon at 1000x its lr with 0.01 (real-code round 11). With several groups, their largest decay.
    Adam's coupled decay (L2 in the gradient) counts as usual up to SGD's 1e-3."""
    lr = next((f for f in findings if f.cause == "lr" and _strong(f)), None)
    usual = USUAL_DECAY.get(step_family or "")
    if lr is None or usual is None:
        return
    for f in findings:
        wd = _largest_decay(f.evidence.get("weight_decay"))
        # Adam's coupled L2 is used at SGD's values (1e-4..5e-4: DIFFormer's 5e-4 at Adam, fresh91), not AdamW's
        coupled = step_family == "adam" and "balance_scale_median" in f.evidence
        limit = USUAL_DECAY["sgd"] if coupled else usual
        if f.cause == "regularization" and _strong(f) and wd is not None and 0 < wd <= limit \
                and "decay_shrink_per_step_median" in f.evidence:
            _absorb(lr, f, f"the decay's shrink per step is lr x weight_decay, and weight_decay {wd:g} is a usual one")


def _lr_absorbs_decay_at_its_lr(findings: list[Finding]) -> None:
    """A decay finding that the lr finding's own suggested lr would clear: the shrink per step is proportional to the
    lr (SGD's and AdamW's ``lr x wd``, and Adam's coupled decay, a share of a step of about lr per element), so at
    ``suggested_lr`` it is ``shrink x suggested / lr``; under the warning level (and, where the gradient balances
    the decay far below the weights' scale, under the slowest collapse too) the decay is the lr's consequence.
    Only when the loss rises along the step at the current lr. Seen: fresh91's DIFFormer at Adam lr 1 with its
    coupled weight_decay told ``regularization`` (9 of the norm a step) first, llm.c's GPT at AdamW lr 3 (real-code
    round 11)."""
    from .decay_check import DECAY_COLLAPSE, WD_SHRINK_SLOW, WD_SHRINK_WARN

    lr = next((f for f in findings if f.cause == "lr" and _strong(f)), None)
    if lr is None:
        return
    now, suggested = lr.evidence.get("lr"), lr.evidence.get("suggested_lr")
    if not (isinstance(now, int | float) and isinstance(suggested, int | float) and 0 < suggested < now):
        return
    # only an lr finding the loss itself backs (it rises along the step): under SGD the measured step can be the
    # decay itself (fresh92's Exemplar-CNN at weight_decay 1: lr x wd x momentum = 0.1 of the norm, loss unmoved)
    before, after = lr.evidence.get("loss_before"), lr.evidence.get("loss_after_step")
    if not (isinstance(before, int | float) and isinstance(after, int | float) and after > before):
        return
    for f in findings:
        med, pulled = f.evidence.get("decay_shrink_per_step_median"), f.evidence.get("balance_scale_median")
        if f.cause != "regularization" or not _strong(f) or not isinstance(med, int | float):
            continue
        there = med * suggested / now
        collapses = isinstance(pulled, int | float) and pulled < DECAY_COLLAPSE and there >= WD_SHRINK_SLOW
        if there < WD_SHRINK_WARN and not collapses:
            _absorb(lr, f, f"the decay's shrink per step scales with the lr: at the suggested lr {suggested:.3g} it "
                           f"would be {there:.2g} of the weights' norm")


def _zero_network_absorbs_decay(findings: list[Finding]) -> None:
    """Weight layers that are mostly exactly zero (:mod:`.mistakes`' zero network) leave a decay nothing to collapse:
    a decay finding read off them (fresh91's SuperGAT: coupled 5e-4 "removing 0.026 a step" from zero projections,
    ranked above the zeros) is the zeros' consequence."""
    zero = next((f for f in findings if f.cause == "init" and _strong(f) and f.evidence.get("all_zero") is True
                 and "zero_weight_layers" in f.evidence), None)
    if zero is None:
        return
    for f in findings:
        if f.cause == "regularization" and _strong(f) and "decay_shrink_per_step_median" in f.evidence:
            _absorb(zero, f, "the weights it would shrink are already exactly zero")


def _peak_absorbs_decay(findings: list[Finding]) -> None:
    from .decay_check import WD_SHRINK_WARN
    from .mistakes import PEAK_SHARE_GATE

    peak = next((f for f in findings if f.cause == "lr" and _strong(f) and f.evidence.get("schedule_peak")), None)
    if peak is None:
        return
    share = float(peak.evidence.get("peak_lr_to_weight_rms") or 0.0)
    for f in findings:
        med = f.evidence.get("decay_shrink_per_step_median")
        over = f.evidence.get("peak_lr_over_checked_lr")
        if f.cause != "regularization" or not _strong(f) or not isinstance(med, int | float) or \
                not isinstance(over, int | float) or over <= 1 or share <= 0:
            continue
        if med * PEAK_SHARE_GATE / share < WD_SHRINK_WARN:
            _absorb(peak, f, "the decay's shrink per step is lr x weight_decay, at the schedule's too-high peak lr")
