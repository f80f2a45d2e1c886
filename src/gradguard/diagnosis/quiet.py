"""Faults that leave one batch's gradients looking healthy but stop a run from learning (issue 12, session 12).

Each sensor reads one quantity with a physical meaning; thresholds are set with a margin over every healthy case of
every seen half of the judgment corpus (dev, heldout, fresh..fresh9, seeds 0 and 1; figures in docs/judgment_log.md):

* ``regularization`` — **a loss dominated by a penalty**: an L2 term ``c * sum(W^2)`` with a large ``c`` summed
  into the loss adds ``2c * W`` to each weight's gradient, so the gradient of most weight matrices points along the
  weights themselves, with one common coefficient. Measured per weight matrix (>= 2 dimensions, non-zero gradient):
  ``cos(g, W)`` and the implied coefficient ``<g, W> / <W, W>``. Fires when the parameter-weighted median cosine is
  at or above ``PENALTY_ALIGN_WARN`` (critical at ``PENALTY_ALIGN_CRIT``; a task gradient is nearly orthogonal to
  the weights: healthy seen cases <= 0.124), on at least 2 matrices whose implied coefficients agree within
  ``PENALTY_COEF_SPREAD`` decades (one penalty; an init of all-positive weights aligns its gradient with the weights
  too, with coefficients 1.7 decades apart) — or on the model's only weight matrix when it holds at least
  ``SINGLE_MIN_ELEMENTS`` (an embedding table).
* ``lr`` — **a learning rate far too small for the optimizer**: at the schedule's peak (the lr now without a
  schedule, so a warm-up from 0 is judged at its peak) one step moves the weights by so small a share of their size
  that no run of practical length gets anywhere. Adam family (sign-like steps): the parameter-weighted median of
  ``peak_lr / rms(W)`` (:func:`~gradguard.mitigation.early_hold.median_step_share`), below ``ADAM_TINY_SHARE``.
  SGD: the largest ``peak_lr * ||g|| / ||W|| / (1 - momentum)`` (the fastest-moving matrix), below
  ``SGD_TINY_SHARE``, judged only while the step per unit lr (``||g|| / ||W||`` with the gain) is at least
  ``SGD_GRAD_SCALE_MIN``: below it the gradient has vanished, an upstream cause (depth, init) that the other
  sensors name. Critical at a tenth of the gate. Adadelta is judged as the Adam family with the size its step
  settles at once its average of squared gradients has warmed up (about ``1 / (1 - rho)`` steps),
  ``lr * sqrt(eps)`` per element: its lr is a multiplier meant to stay near 1, where that is 1e-3 and grows as its
  average of squared steps fills; at 1e-3, Adam's habit, it stays at 1e-6 (the first step is ``1 / sqrt(1 - rho)``
  times larger, 4.5x at rho 0.95). Other optimizers are
  not judged, nor an optimizer that holds state (a run under way, whose schedule may have decayed the lr on
  purpose: a cosine's end).
* ``regularization`` — **a loss whose best prediction scores near chance**: in the ``(inputs, targets)`` form, with
  a floating output of class logits (``C >= 2`` classes on the last axis or on axis 1, or ``(B, T, C)`` against
  flattened targets) and integer targets, the user's loss is evaluated (on a stand-in module that returns fixed
  logits; the model is not run) on ideal logits, a margin ``m`` on each target class for ``m`` in ``MARGINS``. When
  the best of them is still at or above ``IDEAL_CHANCE_SHARE`` of the loss of a uniform prediction (critical at
  ``IDEAL_CHANCE_CRIT``) and no worse than the model's own loss, no prediction scores much better than chance:
  the loss cannot teach the model (``label_smoothing=0.9``, a confidence typed where the smoothing belongs).
  Unless the ideal laid some steps along a sequence output scores well (:mod:`.ideal`): one step is a loss that
  shifts its labels itself (no finding), two or more are next-token targets shifted twice (``data``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from .._tensors import real_float
from ..mitigation.early_hold import median_step_share, weighted_median
from .batch import StepSpec
from .findings import Finding
from .ideal import (
    IDEAL_CHANCE_CRIT,
    IDEAL_CHANCE_SHARE,
    IDEAL_HEALTHY_MAX,
    flat_view_ideal,
    ideal_loss,
    ideal_offset,
    label_offset,
)
from .probe import ProbeResult
from .scaled_loss import scaled_loss_findings
from .stepsize import StepAnalysis, eps_step_factors, optimizer_family

__all__ = ["ADAM_TINY_SHARE", "IDEAL_CHANCE_SHARE", "PENALTY_ALIGN_CRIT", "PENALTY_ALIGN_WARN", "SGD_GRAD_SCALE_MIN",
           "SGD_TINY_SHARE", "QuietMeasures", "ideal_loss", "measure_quiet", "peak_step_share", "penalty_alignment",
           "quiet_findings", "sgd_grad_scale"]

PENALTY_ALIGN_WARN, PENALTY_ALIGN_CRIT, PENALTY_ALIGN_HEALTHY = 0.5, 0.9, 0.13
#: a model's only weight matrix must hold this many elements for its alignment alone to name a penalty: a random
#: cosine between n-element vectors spreads by ~1/sqrt(n), and a small regression whose data wants its weights near 0
#: (a Linear(8, 1) on noise) aligns its gradient with them without any penalty; LightGCN's table holds 10,240
SINGLE_MIN_ELEMENTS = 1024
#: the aligned matrices' implied coefficients <g, W> / <W, W> agree within this many decades (one penalty)
PENALTY_COEF_SPREAD = 1.0
ADAM_TINY_SHARE, ADAM_HEALTHY_MIN, ADAM_TARGET = 3e-5, 2.7e-3, 1e-2
SGD_TINY_SHARE, SGD_HEALTHY_MIN, SGD_TARGET = 1e-5, 1.3e-3, 1e-2
#: SGD's step per unit lr below which the gradient itself has vanished (healthy runs: >= 4.8e-3)
SGD_GRAD_SCALE_MIN = 1e-4


@dataclass
class QuietMeasures:
    """The quantities the quiet sensors judge (None where the form does not apply)."""

    #: parameter-weighted median of cos(g, W) over the weight matrices
    align: float | None = None
    #: weight matrices measured, and those with cos(g, W) >= PENALTY_ALIGN_WARN
    align_layers: int = 0
    aligned: list[str] = field(default_factory=list)
    #: elements of the aligned matrices, by name
    aligned_sizes: dict[str, int] = field(default_factory=dict)
    #: decades between the largest and smallest implied penalty coefficient over the aligned matrices
    coef_spread: float | None = None
    coef_median: float | None = None
    #: optimizer family and the median share of its norm a step at the peak lr moves a weight matrix by
    family: str = ""
    share: float | None = None
    share_now: float | None = None
    #: Adam family: the share at the peak lr had every step been sign-like (no eps above the gradient)
    share_signlike: float | None = None
    peak_lr: float | None = None
    #: SGD only: the largest step per unit lr (gradient scale relative to the weights, momentum's gain included)
    grad_scale: float | None = None
    #: the loss of ideal logits (best margin), of a uniform prediction, and at the model's output
    ideal: float | None = None
    ideal_margin: float | None = None
    chance: float | None = None
    model_loss: float | None = None
    #: the class count of the logits the ideal and uniform losses were read on
    classes: int | None = None
    #: when the ideal scores near chance on the targets' own positions: the offset along the sequence at which it
    #: does not, and its loss (:func:`.ideal.ideal_offset`)
    ideal_offset: tuple[int, float] | None = None
    #: how many steps the integer targets lie ahead of the integer inputs (:func:`.ideal.label_offset`)
    label_offset: int | None = None
    #: when the ideal scores near chance on the output's own layout: its loss laid in the layout a flat
    #: ``reshape(-1, C)`` reads, where that scores well (:func:`.ideal.flat_view_ideal`)
    flat_view: float | None = None


def penalty_alignment(probe: ProbeResult) -> tuple[float | None, dict[str, float], dict[str, float]]:
    """Per weight matrix ``cos(g, W)``, its parameter-weighted median (None without a measurable matrix) and the
    coefficient ``<g, W> / <W, W>`` a penalty ``c * ||W||^2`` would give (``2c``) per matrix."""
    cos: dict[str, float] = {}
    coef: dict[str, float] = {}
    rows: list[tuple[float, float]] = []
    for name, p in probe.params.items():
        g = probe.param_grads.get(name)
        if g is None or p.ndim < 2 or p.numel() < 2:
            continue
        w, gf = real_float(p.detach()).flatten(), real_float(g.detach()).flatten()
        w, gf = w - w.mean(), gf - gf.mean()  # an all-positive init aligns g's mean with W's: not a penalty
        wn, gn = float(torch.linalg.vector_norm(w)), float(torch.linalg.vector_norm(gf))
        if not (wn > 0 and gn > 0 and math.isfinite(wn) and math.isfinite(gn)):
            continue
        c = float(torch.dot(w, gf)) / (wn * gn)
        cos[name] = c
        coef[name] = float(torch.dot(w, gf)) / (wn * wn)
        rows.append((c, float(p.numel())))
    return weighted_median(rows), cos, coef


def peak_step_share(probe: ProbeResult, optimizer: torch.optim.Optimizer, family: str,
                    lrs: list[float] | None) -> float | None:
    """The share of its norm one step at ``lrs`` (per param group) moves a weight matrix by: for the Adam family
    the parameter-weighted median of ``lr / rms(W)``; for SGD the largest ``lr * ||g|| / ||W|| / (1 - momentum)``
    (the fastest-moving matrix); None for other optimizers."""
    if family == "adam":  # an eps above the gradient makes the step lr * |g| / eps, not lr
        grads = {id(p): g for n, p in probe.params.items() if (g := probe.param_grads.get(n)) is not None}
        return median_step_share(optimizer, lrs, eps_step_factors(optimizer, grads))
    if _adadelta(optimizer):  # sign-like too: each element moves by about lr * sqrt(eps) once rho's average warmed
        groups = optimizer.param_groups
        now = [float(g.get("lr", 1.0)) for g in groups] if lrs is None else list(lrs)
        return median_step_share(optimizer, [lr * math.sqrt(float(g.get("eps", 1e-6)))
                                             for lr, g in zip(now, groups, strict=False)])
    if family != "sgd":
        return None
    names = {id(p): n for n, p in probe.params.items()}
    out: list[float] = []
    for i, group in enumerate(optimizer.param_groups):
        lr = float(group.get("lr", 0.0)) if lrs is None or i >= len(lrs) else float(lrs[i])
        mu = float(group.get("momentum", 0.0) or 0.0)
        gain = 1.0 / (1.0 - mu) if 0.0 < mu < 1.0 else 1.0
        for p in group["params"]:
            name = names.get(id(p))
            g = probe.param_grads.get(name) if name is not None else None
            if g is None or p.ndim < 2:
                continue
            wn = float(torch.linalg.vector_norm(real_float(p.detach())))
            gn = float(torch.linalg.vector_norm(real_float(g.detach())))
            if wn > 0 and math.isfinite(wn) and math.isfinite(gn):
                out.append(lr * gain * gn / wn)
    return max(out) if out else None


def sgd_grad_scale(probe: ProbeResult, optimizer: torch.optim.Optimizer) -> float | None:
    """The largest ``||g|| / ||W|| / (1 - momentum)`` over SGD's weight matrices: the step per unit lr. Tiny when
    the gradient vanishes (then the step is small because of the gradient, an upstream cause, not the lr)."""
    return peak_step_share(probe, optimizer, "sgd", [1.0] * len(optimizer.param_groups))


def _adadelta(optimizer: torch.optim.Optimizer) -> bool:
    return any(c.__name__ == "Adadelta" for c in type(optimizer).__mro__)


def measure_quiet(probe: ProbeResult, step: StepSpec, optimizer: torch.optim.Optimizer | None,
                  lrs: list[float] | None, peak_lrs: list[float] | None) -> QuietMeasures:
    """Every quantity the quiet sensors judge."""
    out = QuietMeasures(model_loss=float(probe.loss))
    out.align, cos, coef = penalty_alignment(probe)
    out.align_layers = len(cos)
    out.aligned = [n for n, c in cos.items() if c >= PENALTY_ALIGN_WARN]
    out.aligned_sizes = {n: probe.params[n].numel() for n in out.aligned if n in probe.params}
    if out.aligned:
        vals = [coef[n] for n in out.aligned]
        out.coef_spread = math.log10(max(vals) / min(vals)) if min(vals) > 0 else float("inf")
        out.coef_median = sorted(vals)[len(vals) // 2]
    if optimizer is not None:
        out.family = optimizer_family(optimizer)
        now = lrs if lrs is not None else [float(g.get("lr", 0.0)) for g in optimizer.param_groups]
        peak = [max(float(p), float(c)) for p, c in zip(peak_lrs, now, strict=False)] if peak_lrs else list(now)
        out.peak_lr = max(peak) if peak else None
        out.share = peak_step_share(probe, optimizer, out.family, peak)
        out.share_now = peak_step_share(probe, optimizer, out.family, now)
        if out.family == "adam":
            out.share_signlike = median_step_share(optimizer, peak)
        if out.family == "sgd":
            out.grad_scale = sgd_grad_scale(probe, optimizer)
    ideal = ideal_loss(probe, step)
    if ideal is not None:
        out.ideal, out.ideal_margin, out.chance, out.classes = ideal
        if out.chance is not None and out.chance > 0 and out.ideal / out.chance >= IDEAL_CHANCE_SHARE:
            out.ideal_offset = ideal_offset(probe, step)
            out.label_offset = label_offset(step) if out.ideal_offset is not None else None
            out.flat_view = flat_view_ideal(probe, step) if out.ideal_offset is None else None
    return out


def quiet_findings(probe: ProbeResult, step: StepSpec, optimizer: torch.optim.Optimizer | None,
                   stepped: StepAnalysis | None, lrs: list[float] | None, peak_lrs: list[float] | None,
                   scheduler: Any = None) -> list[Finding]:
    """Findings for faults that one batch's gradients do not show (see the module docstring); ``stepped`` is not
    needed (the step's size is read off the optimizer's settings and the gradients)."""
    m = measure_quiet(probe, step, optimizer, lrs, peak_lrs)
    return _penalty(m) + _tiny_lr(m, optimizer, scheduler) + _chance_loss(m) + scaled_loss_findings(
        m.ideal, m.chance, m.classes, m.family, m.peak_lr, optimizer)


def _penalty(m: QuietMeasures) -> list[Finding]:
    # two aligned matrices whose coefficients agree name one penalty; a model with one weight matrix (an embedding
    # table: LightGCN, matrix factorisation) has no second to agree with, and its one matrix aligned is the model
    single = m.align_layers == 1 and len(m.aligned) == 1 and \
        m.aligned_sizes.get(m.aligned[0], 0) >= SINGLE_MIN_ELEMENTS
    if m.align is None or m.align < PENALTY_ALIGN_WARN or (len(m.aligned) < 2 and not single) or \
            m.coef_spread is None or m.coef_spread > PENALTY_COEF_SPREAD:
        return []
    coef = m.coef_median if m.coef_median is not None else float("nan")
    return [Finding(
        cause="regularization", layers=list(m.aligned),
        severity="critical" if m.align >= PENALTY_ALIGN_CRIT else "warning", confidence=0.8,
        evidence={"grad_weight_cosine_median": round(m.align, 4), "aligned_matrices": len(m.aligned),
                  "weight_matrices": m.align_layers, "implied_l2_coefficient": _num(coef / 2),
                  "implied_coefficient_spread_decades": round(m.coef_spread, 3),
                  "expected": f"cos(g, W) median < {PENALTY_ALIGN_WARN:g} (healthy runs of the corpus: <= "
                              f"{PENALTY_ALIGN_HEALTHY:g}, a task gradient is nearly orthogonal to the weights)"},
        message=((f"The gradient of the model's one weight matrix points along the weights themselves (cos(g, W) = "
                  f"{m.align:.2f}; healthy runs: <= {PENALTY_ALIGN_HEALTHY:g})" if single else
                  f"The gradient of {len(m.aligned)} of {m.align_layers} weight matrices points along the weights "
                  f"themselves (median cos(g, W) = {m.align:.2f}; healthy runs: <= {PENALTY_ALIGN_HEALTHY:g}), with "
                  "one common coefficient")
                 + f": the loss is dominated by a penalty on the weights' size (an L2 term "
                 f"c * sum(W^2) with c about {coef / 2:.2g}), so every step mostly shrinks the weights instead of "
                 "fitting the data."),
        prescription=("Make the penalty a small part of the loss: a coefficient typed for a mean applied to a sum "
                      "is too large by the number of weights; use c about 1e-4 on the sum, or drop the term and "
                      "use the optimizer's weight_decay (AdamW) instead."),
        code=("loss = task_loss + 1e-4 * sum(p.pow(2).sum() for p in model.parameters())\n"
              "# or: torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01) and no penalty term"),
        score=math.log10(m.align / PENALTY_ALIGN_HEALTHY) + 1.0,
    )]


def _tiny_lr(m: QuietMeasures, optimizer: torch.optim.Optimizer | None, scheduler: Any) -> list[Finding]:
    if optimizer is None or m.share is None or m.peak_lr is None or not m.share > 0 or \
            any(bool(st) for st in optimizer.state.values()):
        return []  # judged before training only: later, a schedule may have decayed the lr on purpose
    adam = m.family == "adam" or _adadelta(optimizer)
    gate, healthy, target = (ADAM_TINY_SHARE, ADAM_HEALTHY_MIN, ADAM_TARGET) if adam else \
        (SGD_TINY_SHARE, SGD_HEALTHY_MIN, SGD_TARGET)
    if m.share >= gate or (not adam and (m.grad_scale is None or m.grad_scale < SGD_GRAD_SCALE_MIN)):
        return []
    suggest = m.peak_lr * target / m.share
    what = (f"each of {type(optimizer).__name__}'s sign-like steps moves the median weight matrix by {m.share:.2g} of "
            f"its RMS" if adam else
            f"the largest step (lr x |g| / |W| with momentum's gain) moves a weight matrix by {m.share:.2g} of its "
            "norm")
    where = "the schedule's peak lr" if scheduler is not None else "lr"
    eps = _eps_limited(m, optimizer)
    if eps is not None:
        what = (f"{type(optimizer).__name__}'s eps={eps:g} is larger than most gradient elements, so a step is about "
                f"lr x |g| / eps instead of lr: it moves the median weight matrix by {m.share:.2g} of its RMS ("
                f"{m.share_signlike:.2g} with a small eps)")
    base = [float(b) for b in getattr(scheduler, "base_lrs", [])]
    lambda_note = ""
    if isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR) and base and max(base) > 0 and \
            m.peak_lr / max(base) < 0.05:
        lambda_note = (f" The LambdaLR multiplies the optimizer's lr {max(base):g} by what its function returns, "
                       f"and that is at most {m.peak_lr / max(base):.2g}: the function must return a factor "
                       "(1 at the peak), not a learning rate.")
    evidence: dict[str, Any] = {
        "peak_lr": m.peak_lr, "optimizer": type(optimizer).__name__,
        "peak_step_to_weight": _num(m.share), "step_to_weight_now": _num(m.share_now),
        "gate": gate, "suggested_lr": _num(suggest), "schedule_peak": scheduler is not None,
        "expected": f">= {gate:g} (healthy runs of the corpus at their peak: >= {healthy:g})"}
    if lambda_note:
        evidence["lambda_peak_factor"] = _num(m.peak_lr / max(base))
    if eps is not None:
        evidence.update(eps=eps, step_to_weight_small_eps=_num(m.share_signlike))
    return [Finding(
        cause="lr", layers=[], severity="critical" if m.share < gate / 10 else "warning", confidence=0.8,
        evidence=evidence,
        message=(f"The {'steps are' if eps is not None else 'learning rate is'} far too small: at {where} "
                 f"{m.peak_lr:.3g}, {what} (healthy runs: >= "
                 f"{healthy:g}); 10,000 such steps move the "
                 f"weights by at most {1e4 * m.share:.2g} of their size, so training barely gets anywhere."
                 + lambda_note),
        prescription=(f"Set eps back to about 1e-8 (torch's default): the step then moves the weights by about "
                      f"{m.share_signlike:.2g} of their size at lr {m.peak_lr:.3g}; an eps of 1 belongs to "
                      "TensorFlow's Inception recipe, whose gradients and schedule differ." if eps is not None and
                      m.share_signlike is not None else
                      f"Make the LambdaLR's function return the factor (0 to 1), not a learning rate, so the "
                      f"schedule peaks at the optimizer's lr {max(base):g}; a peak of about {suggest:.2g} moves the "
                      f"weights by {target:g} of their size a step." if lambda_note else
                      f"Raise the learning rate to about {suggest:.2g} (a step of {target:g} of the weights' size)."),
        code=("for group in optimizer.param_groups:\n    group['eps'] = 1e-8" if eps is not None else
              f"scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: factor(step))  # 0..1\n"
              f"# optimizer's lr: the peak, about {suggest:.2g}" if lambda_note else
              f"for group in optimizer.param_groups:\n    group['lr'] = {suggest:.2g}"),
        score=math.log10(healthy / m.share),
    )]


def _eps_limited(m: QuietMeasures, optimizer: torch.optim.Optimizer) -> float | None:
    """The largest param group ``eps`` when the eps (not the lr) makes the step tiny: the share had every step been
    sign-like is at least ten times the share with it and itself healthy (at or above ``ADAM_HEALTHY_MIN``); None
    otherwise."""
    if m.share is None or m.share_signlike is None or m.share_signlike < max(10 * m.share, ADAM_HEALTHY_MIN):
        return None
    eps = [float(e) for g in optimizer.param_groups if isinstance(e := g.get("eps"), int | float)]
    return max(eps) if eps else None


def _chance_loss(m: QuietMeasures) -> list[Finding]:
    if m.ideal is None or m.chance is None or m.model_loss is None or not m.chance > 0:
        return []
    share = m.ideal / m.chance
    if share < IDEAL_CHANCE_SHARE or m.ideal > m.model_loss + 1e-3 * max(1.0, abs(m.model_loss)):
        return []
    if m.ideal_offset is not None:
        return _offset_targets(m, *m.ideal_offset)
    if m.flat_view is not None:
        return _flat_view(m, m.flat_view)
    return [Finding(
        cause="regularization", layers=[], severity="critical" if share >= IDEAL_CHANCE_CRIT else "warning",
        confidence=0.8,
        evidence={"ideal_loss": _num(m.ideal), "ideal_margin": m.ideal_margin, "uniform_loss": _num(m.chance),
                  "model_loss": _num(m.model_loss), "ideal_over_uniform": round(share, 4),
                  "expected": f"ideal_over_uniform < {IDEAL_CHANCE_SHARE:g} (healthy losses of the corpus: <= "
                              f"{IDEAL_HEALTHY_MAX:g}; cross-entropy reaches about 0)"},
        message=(f"The loss cannot tell a perfect prediction from a guess: logits with a margin on every target "
                 f"class score at best {m.ideal:.4g}, {100 * share:.0f}% of the {m.chance:.4g} of a uniform "
                 f"prediction (healthy losses: <= {100 * IDEAL_HEALTHY_MAX:.0f}%). The gradients are fine but there "
                 "is almost nothing to learn: e.g. label_smoothing near 1 (a confidence typed where the smoothing "
                 "belongs)."),
        prescription=("Use a loss whose best prediction is far below chance: label_smoothing is the probability "
                      "mass taken from the target (0 to 0.1 is usual; confidence 0.9 means smoothing 0.1)."),
        code="loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)",
        score=math.log10(1.0 / max(1.0 - share, 1e-6)),
    )]


def _offset_targets(m: QuietMeasures, offset: int, loss: float) -> list[Finding]:
    """The loss pairs each output with the target ``offset`` steps away (see :mod:`.ideal`), and the targets lie
    ``m.label_offset`` steps ahead of the inputs: one step in all is next-token prediction (a loss that shifts the
    ids passed as labels, or a loader that shifts them for a loss that does not); more is ``data``."""
    total = offset + (m.label_offset or 0)
    if abs(total) < 2 or m.chance is None:
        return []
    where = "after" if total > 0 else "before"
    how = (f"the targets are the inputs {m.label_offset:+d} steps along and the loss pairs each output with the "
           f"target {offset:+d} steps along, so position t is asked for the token {abs(total)} steps {where} it"
           if m.label_offset else
           f"the loss pairs each output position with the target {abs(total)} steps {where} it")
    return [Finding(
        cause="data", layers=[], severity="critical", confidence=0.7,
        evidence={"target_offset_steps": offset, "label_offset_from_inputs": m.label_offset,
                  "ideal_loss_at_offset": _num(loss), "ideal_loss": _num(m.ideal), "uniform_loss": _num(m.chance),
                  "expected": "position t asked for the token 1 step after it (next-token prediction)"},
        message=(f"Next-token targets shifted twice: {how}. Ideal logits laid on the targets' own positions score "
                 f"{m.ideal:.4g}, like a uniform guess ({m.chance:.4g}); laid {offset:+d} steps along, {loss:.4g}."),
        prescription=("Shift the labels once: pass the unshifted ids as labels to a loss that shifts them itself "
                      "(Hugging Face's causal-LM loss), or shift them in the loader and use a loss that does not."),
        code="loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), input_ids[:, 1:].reshape(-1))  # one shift",
        score=3.0,
    )]


def _flat_view(m: QuietMeasures, loss: float) -> list[Finding]:
    """The loss reads the output's classes off a flat ``reshape(-1, C)`` view of an output that holds them on axis 1
    (see :func:`.ideal.flat_view_ideal`): every row it reads mixes classes and positions."""
    return [Finding(
        cause="data", layers=[], severity="critical", confidence=0.7,
        evidence={"ideal_loss_flat_view": _num(loss), "ideal_loss": _num(m.ideal), "uniform_loss": _num(m.chance),
                  "classes": m.classes,
                  "expected": "the loss reads each position's classes on the axis the output holds them (axis 1)"},
        message=(f"The loss reads the classes off the wrong axis: ideal logits laid on the output's class axis (1) "
                 f"score {m.ideal:.4g}, like a uniform guess ({m.chance:.4g}), and {loss:.4g} laid in the layout a "
                 f"flat reshape(-1, {m.classes}) reads: the loss flattens (B, C, ...) logits without moving the "
                 "classes last, so every row it scores mixes classes and positions and the targets match nothing."),
        prescription="Move the class axis last before flattening (permute, not reshape), or pass the (B, C, ...) "
                     "logits and (B, ...) targets to cross_entropy as they are.",
        code="loss = F.cross_entropy(logits, targets)  # or logits.permute(0, 2, 3, 1).reshape(-1, C)",
        score=3.0,
    )]


def _num(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(f"{v:.4g}")
