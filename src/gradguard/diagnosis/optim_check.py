"""Learning rate and the optimizer's own arithmetic (regularisation: :mod:`.decay_check`).

* lr (see :mod:`.stepsize` for the measurements): the step is too large when

  - it raises the loss on the very batch it was computed from by more than ``RISE_WARN`` of the decrease it
    promised to first order (``<g, dW>``); critical when the loss more than doubles or stops being finite;
  - Adam family: the bulk (median over weight matrices) of the first step's ``||dW|| / ||W||``, about
    ``lr / rms(W)`` since the first step is sign-like, exceeds ``ADAM_RATIO_WARN`` (critical above
    ``ADAM_RATIO_CRIT``) and the step overshoots (it does not realise half the decrease it promises). Calibrated on
    the judgment corpus's development half and scratch runs: healthy GPT-2, nanoGPT, Llama, ResNet, GRU and MLP
    models at their usual settings reach at most 0.05; a 4-layer nanoGPT still trains at AdamW 3e-2 (ratio 1.5:
    final loss 1.56 against 1.41 at 1e-3 after 150 steps), is slowed at 0.1 (ratio 5: 2.57) and diverges at 0.3
    (ratio 15); a linear classifier at Adam 0.1 is at 1.0 but its step realises 82% of its promise;
  - SGD: the effective step ``lr * ||g|| / ||W|| / (1 - momentum)`` has a bulk (median) above ``SGD_RATIO_WARN``
    over the weight matrices whose output is not normalised, when those are at least half of them (a BatchNorm
    layer makes its weights scale-invariant, so a moderate ratio is not a risk); under ``SGD_RATIO_CRIT`` not when the
    full step already cuts the loss by ``TURN_FALL`` near the best fraction tried (``_full_step_best``), and a
    warning raised by the ratio alone is tested by ``check``'s confirmation (a tenth of the lr must help its short
    run, see :mod:`.confirm`; session 33: healthy detection and point-cloud nets at SGD momentum 0.9 measured
    0.13-0.35 and were told ``lr``). A normalised weight's step is
    still a rotation of it: its bulk above ``SGD_NORMALIZED_WARN`` (critical ``SGD_NORMALIZED_CRIT``) turns the
    weights by more than their own norm each step and the run does not learn (development half, fourth round:
    healthy BatchNorm nets at SGD 0.04-0.1 measure 0.055-0.18; an all-conv net and a SqueezeNet with BatchNorm at
    SGD 2, 2.2-3.9, diverge) — unless the full step is the best of the fractions tried and cuts the loss by
    ``TURN_FALL`` or more (ArcFace's normalised class weights at SGD 0.1 momentum 0.9, 2.3x, trains). Development
    half: healthy models at most 0.018 at seed 0 but above 0.025 at other seeds (a tanh MLP at SGD 0.1; a 22-layer
    He MLP at SGD 0.01 momentum 0.9); broken: 0.15 (a default-init MLP at SGD 10), 0.32 (a ResNet without
    BatchNorm). The GRU LM at SGD 20 without its clip (0.034) cannot be told from healthy by its first step: its
    trouble is later spikes
    (``recurrence.unclipped_findings`` names an unclipped SGD step on a recurrent net instead).

  The suggested lr is the largest lr on the tried grid that gives a sufficient decrease on the batch (Armijo,
  ``c = 1/2``), and at most the lr that brings the bulk ratio to the healthy one (``ADAM_HEALTHY_RATIO``,
  ``SGD_HEALTHY_RATIO``); never more than a 1024-fold cut, and none when no tried lr helps (then the step's
  direction, not its size, is wrong, and the cause is upstream).
* numeric (:func:`optimizer_numeric_findings`): the copy's step is not finite where the weights and gradients are
  (Adam's eps 0, or 1e-8 rounded to 0 in float16, on a zero gradient: 0 / 0).
"""

from __future__ import annotations

import math

from .findings import Finding
from .stepsize import StepAnalysis

__all__ = ["ADAM_RATIO_CRIT", "ADAM_RATIO_WARN", "DECAYING_STEP", "RISE_WARN", "group_lr_findings", "lr_findings",
           "optimizer_numeric_findings", "rewards_growth"]

RISE_WARN = 0.1
ADAM_RATIO_WARN, ADAM_RATIO_CRIT = 3.0, 10.0
#: optimizers outside the Adam family (their lr is no per-element step size) whose step is normalised all the same
NORMALISED_OTHERS: frozenset[str] = frozenset({"Adadelta"})
#: optimizers whose per-element step shrinks as the squared gradients accumulate (no decay of the accumulator)
DECAYING_STEP: frozenset[str] = frozenset({"Adagrad", "SparseAdagrad"})
SGD_RATIO_WARN, SGD_RATIO_CRIT = 0.1, 1.0
#: the same for weights followed by a normalisation (scale-invariant: the step turns them), and its healthy level
SGD_NORMALIZED_WARN, SGD_NORMALIZED_CRIT, SGD_NORMALIZED_HEALTHY = 1.0, 4.0, 0.1
#: ... unless the full step is the best along its line and cuts the loss by at least this share (see _full_step_best)
TURN_FALL = 0.25
#: ... and an unclipped SGD step under SGD_RATIO_CRIT is not too large when it cuts the loss by TURN_FALL and lands
#: within this share of the first loss of the best fraction tried (see _full_step_best)
NEAR_BEST = 0.05
#: the bulk update-to-weight ratio of a first step on the healthy corpus models (Adam 0.015 to 0.05, SGD <= 0.02)
ADAM_HEALTHY_RATIO, SGD_HEALTHY_RATIO = 0.02, 0.01
#: the step must already cut the loss by FIT_DROP, and doubling the weights cut it by GROWTH_REWARD more
FIT_DROP, GROWTH_REWARD = 0.2, 0.1


def _num(x: float) -> float:
    return float(f"{x:.3g}") if math.isfinite(x) else x


def _full_step_best(step: StepAnalysis, near: float = 0.0) -> bool:
    """The step at the user's lr lowers the loss on its batch by at least ``TURN_FALL`` of it and lands within ``near``
    (a share of the first loss) of the best fraction tried.

    With ``near=0`` (the full step is the best): however far it turns normalised weights, its size is not (yet) what
    goes wrong (ArcFace at SGD 0.1 momentum 0.9: 20.1 -> 9.06 at the full step, 12.4 at a quarter, turned 2.3x; the
    broken BatchNorm nets at SGD 2-10 turned 2.2-33x and lose at the full step or gain at most 8%). With
    ``near=NEAR_BEST``, for an unclipped SGD step's ratio under ``SGD_RATIO_CRIT``: the step's size is what this loss
    wants now, and the bulk ratio times momentum's steady gain projects a step the run does not take, as the gradient
    falls with the loss (healthy detection and point-cloud nets at SGD momentum 0.9, seen halves: YOLO v1, SSD, VoxNet,
    Point Transformer at 0.13-0.35 cut 33-86% at the full step; the broken no-normalisation and lr nets that the ratio
    names cut 4-25%, or do best at a quarter step, or have a normalisation finding of their own)."""
    if not step.curve or not (math.isfinite(step.loss0) and math.isfinite(step.loss1)) or step.loss0 <= 0:
        return False
    best = min(v for _t, v in step.curve)
    return step.loss1 <= (1 - TURN_FALL) * step.loss0 and step.loss1 <= best + near * step.loss0


def rewards_growth(step: StepAnalysis) -> bool:
    """Whether the step already cuts the loss by ``FIT_DROP`` and doubling every weight matrix after it cuts it by
    ``GROWTH_REWARD`` more: the loss rewards growing the weights (measured without weight decay only)."""
    return step.loss_doubled is not None and step.loss1 <= (1 - FIT_DROP) * step.loss0 and \
        step.loss_doubled <= (1 - GROWTH_REWARD) * step.loss1


def lr_findings(step: StepAnalysis) -> list[Finding]:
    """A finding when the optimizer's step is too large for this model and batch (see the module docstring)."""
    skipped = step.scale_free | step.near_zero
    ratios = {k: v for k, v in step.ratios.items() if math.isfinite(v) and k not in skipped}
    # Adadelta normalises its step too (by running RMS of the gradient and of the update): its measured ratio is
    # judged as Adam's (pytorch/examples' mnist_rnn trains better at Adadelta lr 10 than at its 0.1, and was told lr)
    adam = step.family == "adam" or step.optimizer in NORMALISED_OTHERS
    turned: dict[str, float] = {}
    if not adam:
        turned = {k: v * step.momentum_gain for k, v in ratios.items() if k in step.normalized}
        ratios = {k: v * step.momentum_gain for k, v in ratios.items() if k not in step.normalized}
        if 2 * len(ratios) < len(step.ratios) - len(skipped & set(step.ratios)):
            ratios = {}
    bulk = sorted(ratios.values())[len(ratios) // 2] if ratios else 0.0
    bulk_turned = sorted(turned.values())[len(turned) // 2] if turned else 0.0
    rise, loss0, loss1 = step.rise, step.loss0, step.loss1
    rises = bool(step.curve) and math.isfinite(loss0) and rise > RISE_WARN and (
        not math.isfinite(loss1) or loss1 - loss0 > 1e-4 * max(1.0, abs(loss0)))
    blows = rises and (not math.isfinite(loss1) or (loss0 > 0 and loss1 > 2 * loss0))
    warn, crit, healthy = (ADAM_RATIO_WARN, ADAM_RATIO_CRIT, ADAM_HEALTHY_RATIO) if adam else \
        (SGD_RATIO_WARN, SGD_RATIO_CRIT, SGD_HEALTHY_RATIO)
    searched = bool(step.curve)
    # a large ratio is judged by the line search (a step it accepts at lr itself is not too large) under Adam, and
    # under SGD with the user's own clip, which bounds every step by lr x the clip norm: a recipe's choice (AWD-LSTM
    # and ON-LSTM: SGD lr 30 clipped at 0.25, whose first steps move their small weights by ~0.2 and train); an
    # unclipped SGD step by its ratio, excused under the critical ratio only when the full step already does what
    # this loss wants (_full_step_best with NEAR_BEST);
    # unless the loss rewards growing the weights (doubling them after the step lowers it further): along an
    # unbounded objective (a policy-gradient surrogate, separable data) every long step is accepted, so acceptance
    # does not excuse a first step that replaces the weights (pytorch/examples' REINFORCE at Adam lr 1, 100x its rate:
    # a step of 16x the weights' norm, accepted at seeds 1 and 3, was told only "regularization")
    if not adam and not step.clips:
        ratio_warn = bulk > warn and (not searched or bulk > crit or not _full_step_best(step, NEAR_BEST))
    else:
        ratio_warn = bulk > warn and (not searched or step.overshoot > 1.0 or (bulk > crit and rewards_growth(step)))
    turn_warn = not ratio_warn and bulk_turned > SGD_NORMALIZED_WARN and not _full_step_best(step)
    if not (rises or ratio_warn or turn_warn) or (searched and not math.isfinite(loss0)):
        return []
    # a step of a sane size that raises the loss, where no fraction of it down to the grid's smallest lowers it
    # either: the update is not a descent direction of this loss at any size — its targets move with the weights (a
    # bootstrapped TD or expectile target: fresh116's IQL at Adam 1e-3, 0.6645 -> 0.671, every fraction 0.665), or
    # the loss is not the one the gradient came from; a smaller lr is not the remedy, so it is information
    # (the step must promise a decrease, <g, dW> < 0: an optimizer that ascends — Adam's maximize=True, fresh90's
    # pointer-generator — goes uphill at every size for its own reason)
    uphill = (rises and not ratio_warn and not turn_warn and not blows and searched and step.accepted_t is None
              and step.predicted < 0 and all(v >= loss0 for _t, v in step.curve if math.isfinite(v)))
    severity = "critical" if blows or (ratio_warn and bulk > crit) or bulk_turned > SGD_NORMALIZED_CRIT else "warning"
    if uphill:
        severity = "info"
    lr = step.lrs[-1] if step.lrs else float("nan")
    cuts: list[float] = []
    if step.accepted_t is not None and step.accepted_t < 1.0:
        cuts.append(1.0 / step.accepted_t)
    if ratio_warn:
        cuts.append(min(1024.0, bulk / healthy))
    if turn_warn:
        cuts.append(min(1024.0, bulk_turned / SGD_NORMALIZED_HEALTHY))
    cut = max(cuts) if cuts else None
    suggest = _num(lr / cut) if cut is not None and math.isfinite(lr) else None
    worst_name = max(ratios, key=lambda k: ratios[k]) if ratios else ""
    curve = {f"lr*{t:g}": _num(v) for t, v in step.curve}
    what = []
    if rises:
        what.append(f"one step at lr={lr:g} raises the loss on this very batch from {loss0:.4g} to {loss1:.4g}")
    if uphill:
        what.append(f"so does every smaller step tried (down to lr/{1 / min(t for t, _ in step.curve):g}): the update "
                    "is not a descent direction of this loss (targets that move with the weights?), which no "
                    "learning rate changes")
    if ratio_warn:
        what.append(f"its {'first' if adam else 'effective'} step moves the weights by {bulk:.2g} of their norm "
                    f"(median over weight matrices{'' if adam else ' not followed by a normalisation'}; healthy "
                    f"runs are near {healthy:g})")
    if turn_warn:
        what.append(f"its effective step moves the weights that a normalisation follows by {bulk_turned:.2g} of their "
                    f"norm (median): it turns them by more than their own length every step (healthy runs are near "
                    f"{SGD_NORMALIZED_HEALTHY:g})")
    if suggest is not None:
        reason = (f"lr={suggest:g} is the largest tried value whose step lowers the loss on this batch as much as "
                  "its gradient promises" if step.accepted_t is not None and step.accepted_t < 1.0 else
                  f"lr={suggest:g} brings the step to about "
                  f"{SGD_NORMALIZED_HEALTHY if turn_warn and not ratio_warn else healthy:g} of the weights' norm")
        prescription = f"Lower the learning rate to about {suggest:g} ({reason}); warm it up over the first steps."
        code = ("for group in optimizer.param_groups:\n"
                f"    group['lr'] = {suggest:g}")
    else:
        prescription = ("No smaller lr down to lr/1024 makes this step lower the loss: the step's direction is "
                        "wrong, not only its size; fix the cause of the gradients first, then re-check the lr."
                        if searched else "Lower the learning rate.")
        code = ""
    return [Finding(
        cause="lr",
        layers=(sorted({k.rsplit(".", 1)[0] for k, v in ratios.items() if v >= bulk}) if ratios and not turn_warn
                else sorted({k.rsplit(".", 1)[0] for k, v in turned.items() if v >= bulk_turned})),
        severity=severity,
        confidence=0.9 if rises and (ratio_warn or blows) else 0.7,
        evidence={
            "optimizer": step.optimizer, "lr": _num(lr), "loss_before": _num(loss0), "loss_after_step": _num(loss1),
            "rise_over_promised_decrease": _num(rise), "loss_along_step": curve,
            "update_to_weight_median": _num(bulk), "update_to_weight_worst": {worst_name: _num(ratios.get(worst_name,
                                                                                                         0.0))},
            "momentum_effective_factor": _num(step.momentum_gain), "suggested_lr": suggest,
            "normalized_update_to_weight_median": _num(bulk_turned),
            # raised by the loss along the step alone (a step of a sane size that overshoots on this batch): the
            # confirmation's short runs test it (see .confirm)
            "rise_only": bool(rises and not ratio_warn and not turn_warn and not blows),
            "uphill_at_every_size": uphill,
            # raised by an unclipped SGD ratio under the critical level alone: the projection of momentum's steady
            # gain onto a first step is a guess the confirmation's short runs test too
            "sgd_ratio_only": bool(ratio_warn and not adam and not step.clips and not rises and bulk <= crit),
        },
        message=f"The {step.optimizer} step {'does not lower the loss' if uphill else 'is too large'}: "
                + "; ".join(what) + (
            " (RAdam's steps from the sixth on are Adam's, judged here; its first five are un-adapted, lr x the "
            "momentum)" if step.optimizer == "RAdam" else "") + ".",
        prescription=prescription,
        code=code,
        score=math.log10(cut) if cut is not None else 1.0,
    )]


def group_lr_findings(step: StepAnalysis) -> list[Finding]:
    """``lr`` (critical) for one param group whose own step is far too large although the model's bulk is not (a
    per-group lr written as a multiplier: ``{"params": head, "lr": 10}`` next to a body at 0.01): the median ratio
    over that group's weight matrices is above the critical level (Adam ``ADAM_RATIO_CRIT``, SGD
    ``SGD_RATIO_CRIT`` with momentum's steady gain) while the other groups' is under the warning level; [] with one
    group. ``check`` reads it before :func:`lr_findings`, whose line search scales every group's lr together."""
    adam = step.family == "adam"
    gain = 1.0 if adam else step.momentum_gain
    by_group: dict[int, list[float]] = {}
    for name, r in step.ratios.items():
        if math.isfinite(r) and name in step.group_of and (adam or name not in step.normalized) and \
                name not in step.near_zero:
            by_group.setdefault(step.group_of[name], []).append(r * gain)
    if len(by_group) < 2:
        return []
    crit, healthy = (ADAM_RATIO_CRIT, ADAM_HEALTHY_RATIO) if adam else (SGD_RATIO_CRIT, SGD_HEALTHY_RATIO)
    med = {k: sorted(v)[len(v) // 2] for k, v in by_group.items()}
    worst = max(med, key=lambda k: med[k])
    if med[worst] <= crit:
        return []
    others = sorted(r for k, v in by_group.items() if k != worst for r in v)
    rest = others[len(others) // 2]
    if rest > (ADAM_RATIO_WARN if adam else SGD_RATIO_WARN):
        return []  # the other groups' steps are too large too: the whole step is (lr_findings)
    lrs = step.group_lrs
    lr = lrs[worst] if worst < len(lrs) else float("nan")
    names = sorted(n for n, k in step.group_of.items() if k == worst)
    suggest = _num(lr * healthy / med[worst]) if math.isfinite(lr) else None
    return [Finding(
        cause="lr", layers=sorted({n.rsplit(".", 1)[0] for n in names}), severity="critical", confidence=0.8,
        evidence={"optimizer": step.optimizer, "param_group": worst, "group_lr": _num(lr),
                  "group_update_to_weight_median": _num(med[worst]), "other_groups_median": _num(rest),
                  "momentum_effective_factor": _num(gain), "suggested_lr": suggest, "weights": names[:8]},
        message=(f"Param group {worst} (lr={lr:g}, {len(names)} weight matrices, e.g. {names[0]}) moves its weights "
                 f"by {med[worst]:.3g} of their norm every {'first ' if adam else 'effective '}step, against "
                 f"{rest:.2g} for the other groups: its lr is far too large for it (a per-group lr written as a "
                 "multiplier of the base lr looks like this)."),
        prescription=(f"Set param group {worst}'s lr to about {suggest:g} (about {healthy:g} of the weights' norm per "
                      "step), or to base lr x the multiplier you meant." if suggest is not None else
                      f"Lower param group {worst}'s lr."),
        code=f"optimizer.param_groups[{worst}]['lr'] = {suggest:g}" if suggest is not None else "",
        score=math.log10(med[worst] / healthy),
    )]


def optimizer_numeric_findings(step: StepAnalysis | None) -> list[Finding]:
    """``numeric``, critical: the optimizer's step is not finite although the weights and gradients it was made
    from are (Adam's ``g / (sqrt(v) + eps)`` with ``eps`` 0, or rounded to 0 in float16, where a gradient is 0 or
    tiny: ``0 / 0``). The first step writes NaN/Inf into the weights whatever the learning rate."""
    if step is None or not step.nonfinite_step:
        return []
    names = sorted(step.nonfinite_step, key=lambda k: -step.nonfinite_step[k])
    worst = step.nonfinite_step[names[0]]
    eps = step.eps_underflow
    why = (f"eps={next(iter(eps.values())):g} is 0 in {', '.join(eps)}, so the step divides by zero where a gradient "
           "is zero or underflows" if eps else "the optimizer's arithmetic overflows or divides by zero")
    prescription = ("Keep the optimizer's arithmetic in float32: train float32 master weights (torch.autocast with "
                    "a GradScaler instead of model.half()), or set eps to a value the dtype holds (1e-4 in float16)."
                    if any(k != "float32" and k != "float64" for k in eps) else
                    "Set the optimizer's eps to a positive value (the default 1e-8) so that a zero gradient gives a "
                    "zero step.")
    return [Finding(
        cause="numeric", layers=sorted({n.rsplit(".", 1)[0] for n in names}), severity="critical", confidence=0.9,
        evidence={"optimizer": step.optimizer, "non_finite_step_fraction": {n: _num(step.nonfinite_step[n])
                                                                            for n in names[:5]},
                  "eps_rounds_to_zero_in": eps or None, "expected": "a finite step from finite gradients"},
        message=(f"One {step.optimizer} step turns finite gradients into NaN/Inf in {len(names)} parameter(s) "
                 f"(up to {worst:.2g} of {names[0]}'s elements): {why}."),
        prescription=prescription,
        code=("optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-8)  # with float32 parameters"),
        score=10.0,
    )]
