"""The step the optimizer would take, and what it does to the loss: the measurements behind the ``lr`` cause.

One step of a copy of the optimizer (its state, hyper-parameters and the scheduler's current lr; the probe's
gradients, clipped to ``max_grad_norm`` when the user clips) gives the update ``dW`` of every parameter. From it:

* per weight matrix, the update-to-weight ratio ``||dW|| / ||W||``. What sets it depends on the optimizer:
  Adam-family steps are sign-like at first (every element moves by about lr, so the ratio is about
  ``lr / rms(W)`` whatever the gradient's scale); SGD's is ``lr * ||g|| / ||W||``, and momentum ``mu`` makes the
  effective step ``1 / (1 - mu)`` times the first one once gradients agree from step to step;
* the loss along that step, ``L(t) = loss(W + t * dW)`` on the same batch (same dropout masks), at
  ``t = 1, 1/4, 1/16, ...``: a step that raises the loss on the very batch it was computed from overshoots
  (beyond twice the best lr along its own direction, for a locally quadratic loss). The largest ``t`` with
  ``L(t) <= L(0) + c * t * <g, dW>`` (Armijo's sufficient decrease, ``c = 1/2``: for a quadratic, exactly the
  ``t`` up to the best one) gives the suggested lr ``t * lr``, a value this batch was measured to accept;
* with weight decay, the fraction of each weight matrix's norm that the decay alone removes in the step (the step
  minus the same step with ``weight_decay=0``, projected on ``-W``): AdamW's ``lr * wd``, SGD's ``lr * wd``;
* without weight decay, the loss after the step with every weight matrix doubled: when it is lower still, the
  loss rewards growing the weights and nothing in the optimizer stops it (separable data under cross-entropy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .._tensors import real_float
from .batch import loss_without_grad
from .optcopy import adapted_twin, copy_optimizer
from .probe import ProbeResult, StateSnapshot

__all__ = ["ADAM_FAMILY", "EPS_DIVIDED", "GRID", "StepAnalysis", "analyse_step", "eps_rounded_to_zero",
           "eps_step_factors", "optimizer_family"]

#: a first-order promise counts at most this many times a positive first loss (see :attr:`StepAnalysis.rise`)
PROMISE_CAP = 5.0

#: optimizer classes whose first step is sign-like (each element moves by about lr)
ADAM_FAMILY: frozenset[str] = frozenset({"Adam", "AdamW", "NAdam", "RAdam", "Adamax", "SparseAdam", "Adafactor",
                                         "Lion", "Adan", "LAMB", "Lamb", "AdamWScheduleFree", "Adagrad", "RMSprop"})
#: optimizer classes whose first step is ``lr * g / (|g| + eps)`` per element: sign-like only while ``eps`` is far
#: below the gradient (RAdam's first steps are un-adapted; Lion and Adafactor have no such ``eps``)
EPS_DIVIDED: frozenset[str] = frozenset({"Adam", "AdamW", "NAdam", "Adamax", "Adagrad"})
#: the largest usual Adam ``eps`` (torch 1e-8, TensorFlow 1e-7, fine-tuning recipes 1e-6): only a larger one is
#: read as making the step small; below it, a gradient smaller than eps has itself vanished
EPS_USUAL_MAX = 1e-5
#: the step fractions tried along the update direction, largest first
GRID: tuple[float, ...] = (1.0, 1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 1024)
ARMIJO = 0.5


def optimizer_family(optimizer: torch.optim.Optimizer) -> str:
    """``"adam"`` (sign-like steps), ``"sgd"`` (steps proportional to the gradient) or ``"other"``."""
    names = {c.__name__ for c in type(optimizer).__mro__}
    if names & ADAM_FAMILY:
        return "adam"
    if "SGD" in names:
        return "sgd"
    return "other"


def eps_step_factors(optimizer: torch.optim.Optimizer, grads: Mapping[int, torch.Tensor]) -> dict[int, float]:
    """By ``id(param)``, the size of an eps-divided first step per unit lr (:data:`EPS_DIVIDED`): the RMS over the
    gradient's non-zero elements of ``|g| / (|g| + eps)``, 1 where ``eps`` is far below the gradient and about
    ``|g| / eps`` where it is above (``eps=1`` copied from TensorFlow's Inception advice). Listed: parameters whose
    factor is below 0.99, in groups whose eps is at least ``EPS_USUAL_MAX``; empty for other optimizers.
    ``grads``: by ``id(param)``, the batch's gradient."""
    if not {c.__name__ for c in type(optimizer).__mro__} & EPS_DIVIDED:
        return {}
    out: dict[int, float] = {}
    with torch.no_grad():
        for group in optimizer.param_groups:
            eps = group.get("eps")
            if not isinstance(eps, int | float) or not eps >= EPS_USUAL_MAX:
                continue  # at the usual eps a gradient below it has vanished: an upstream cause (depth, init)
            for p in group["params"]:
                g = grads.get(id(p))
                if g is None or not g.is_floating_point():
                    continue
                a = g.detach().abs().flatten().double()
                a = a[(a > 0) & torch.isfinite(a)]
                if a.numel() == 0:
                    continue
                f = float((a / (a + float(eps))).pow(2).mean().sqrt())
                if f < 0.99:
                    out[id(p)] = f
    return out


def eps_rounded_to_zero(group: dict[str, Any]) -> tuple[float, list[str]]:
    """A param group's ``eps`` (the first of an Adafactor-style pair) and the dtypes of its floating-point
    parameters in which it is 0 (every one of them when it is 0 itself), in the order first met; ``(nan, [])``
    without a numeric ``eps``. An Adam-style step divides by ``sqrt(v) + eps``: ``0 / 0`` where a gradient is 0."""
    eps = group.get("eps")
    if isinstance(eps, (tuple, list)):  # Adafactor-style (eps1, eps2)
        eps = eps[0]
    if not isinstance(eps, int | float):
        return math.nan, []
    dtypes: list[str] = []
    for p in group.get("params", ()):
        if isinstance(p, torch.Tensor) and p.is_floating_point() and (
                eps == 0 or float(torch.tensor(float(eps), dtype=p.dtype)) == 0.0):
            name = str(p.dtype).replace("torch.", "")
            if name not in dtypes:
                dtypes.append(name)
    return float(eps), dtypes


@dataclass
class StepAnalysis:
    """One optimizer step on a copy, and the loss along it (see the module docstring)."""

    optimizer: str
    family: str
    lrs: list[float]
    momentum: float
    ratios: dict[str, float] = field(default_factory=dict)
    weight_rms: dict[str, float] = field(default_factory=dict)
    loss0: float = float("nan")
    predicted: float = float("nan")
    curve: list[tuple[float, float]] = field(default_factory=list)
    accepted_t: float | None = None
    forwards: int = 0
    #: weight matrices whose output goes into a normalisation (scale-invariant: their ratio matters less)
    normalized: set[str] = field(default_factory=set)
    #: weight matrices the loss reads only L2-normalised themselves (``F.normalize(self.weight)``, a DiracNet's
    #: ``w / ||w||``): their size is no part of the function, so no ratio of theirs is read (:mod:`.unit_norm`)
    scale_free: set[str] = field(default_factory=set)
    #: weight matrices that start near zero by design (std under ``check.NEAR_ZERO_SHARE`` of their expected init
    #: std: an instant-NGP hash grid, FNN's field tables at 1e-4): a step's size relative to them measures their
    #: smallness, not the rate, so no ratio of theirs is read by the lr rules (set by ``check``)
    near_zero: set[str] = field(default_factory=set)
    #: loss after the step with every weight doubled (measured when no param group has weight decay)
    loss_doubled: float | None = None
    #: per weight matrix, the fraction of its norm weight decay removes in this step (``-<dW_wd, W> / <W, W>``)
    decay_shrink: dict[str, float] = field(default_factory=dict)
    #: per weight matrix in ``decay_shrink``: ``rms(g) / (weight_decay * rms(W))`` when the decay's part of the step
    #: is not proportional to ``W`` (an L2 term added to the gradient and normalised with it: Adam's coupled
    #: ``weight_decay``): the weights settle where ``weight_decay * |W|`` balances the gradient, this many times their
    #: current scale (see :mod:`.decay_check`)
    decay_equilibrium: dict[str, float] = field(default_factory=dict)
    #: the decayed matrices a zero-initialised weight matrix gates at step 0 (exactly-zero gradient): their balance
    #: point is not measured yet (see :func:`analyse_step`)
    decay_gated: set[str] = field(default_factory=set)
    #: the same balance ``rms(g) / (weight_decay * rms(W))`` under SGD, whose decay is a proportional shrink: the
    #: scale its pull and the gradient's step meet at (see :mod:`.decay_check`)
    decay_balance_sgd: dict[str, float] = field(default_factory=dict)
    #: per weight matrix in ``ratios``: its number of elements (weights the medians by size)
    numel: dict[str, int] = field(default_factory=dict)
    #: per weight matrix in ``ratios``: the index of its optimizer param group
    group_of: dict[str, int] = field(default_factory=dict)
    #: each param group's lr, in the optimizer's order (``lrs`` is their sorted set)
    group_lrs: list[float] = field(default_factory=list)
    #: per weight matrix, ``c`` of a step with every gradient 0 and ``weight_decay`` 0 that is ``dW = -c W`` (the
    #: residual under a tenth): a decay (``c > 0``) or growth the optimizer applies whatever the data (see
    #: :mod:`.decay`); matrices whose zero-gradient step is 0 or not proportional are left out
    bare_shrink: dict[str, float] = field(default_factory=dict)
    #: parameters whose step is not finite although their weights and gradients are: the optimizer's own
    #: arithmetic overflowed or divided by zero (name -> fraction of its elements)
    nonfinite_step: dict[str, float] = field(default_factory=dict)
    #: param dtypes in which a param group's ``eps`` rounds to 0 (``{"float16": 1e-8}``)
    eps_underflow: dict[str, float] = field(default_factory=dict)
    #: the user clips gradients (``max_grad_norm`` given): every step's size is bounded by lr x that norm
    clips: bool = False

    @property
    def momentum_gain(self) -> float:
        """How much larger the steady step is than the first one (``1 / (1 - mu)`` for SGD momentum, else 1)."""
        return 1.0 / (1.0 - self.momentum) if self.family == "sgd" and 0.0 < self.momentum < 1.0 else 1.0

    @property
    def loss1(self) -> float:
        """The loss on the batch after the full step (``t = 1``)."""
        return self.curve[0][1] if self.curve else float("nan")

    @property
    def rise(self) -> float:
        """``L(1) - L(0)`` in units of the first-order decrease the step promises (> 0: the loss went up), that
        promise capped at ``PROMISE_CAP`` times a positive first loss: a loss bounded below by 0 cannot fall by more
        than itself, and a promise beyond it is a step past the linear regime, told when it raises the loss by half
        (real code: rtdl's ResNet at AdamW 0.03 promised 51.7 on a loss of 1.59 and rose to 2.89, 0.025 of the
        promise; capped at the loss itself, fresh101's healthy TTFNet at SGD 0.016, 7.68 -> 8.89 at seed 1, was told
        lr)."""
        if not self.curve:
            return float("nan")
        if not math.isfinite(self.loss1):
            return float("inf")
        promise = abs(self.predicted)
        if self.loss0 > 0:
            promise = min(promise, PROMISE_CAP * self.loss0)
        return (self.loss1 - self.loss0) / max(promise, 1e-12 * max(1.0, abs(self.loss0)))

    @property
    def overshoot(self) -> float:
        """lr over the largest tried lr that gives a sufficient decrease (1: the user's lr does; inf: none did)."""
        if self.accepted_t is None:
            return float("inf") if self.curve else float("nan")
        return 1.0 / self.accepted_t


def _delta(probe: ProbeResult, optimizer: torch.optim.Optimizer, lrs: list[float] | None,
           max_grad_norm: float | None, no_decay: bool = False, zero_grads: bool = False) -> dict[str, torch.Tensor]:
    """``dW`` per named parameter for one step of a copy of ``optimizer`` with the probe's gradients (with every
    group's ``weight_decay`` set to 0 when ``no_decay``; with every gradient 0 when ``zero_grads``)."""
    by_id = {id(p): n for n, p in probe.params.items()}
    grads = {n: g for n, g in probe.param_grads.items() if g is not None}
    scale = 1.0
    if max_grad_norm is not None and grads:
        total = math.sqrt(sum(float(g.float().pow(2).sum()) for g in grads.values()))
        scale = min(1.0, max_grad_norm / (total + 1e-6)) if math.isfinite(total) else 1.0
    memo: dict[int, Any] = {}
    clones: dict[str, torch.Tensor] = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            name = by_id.get(id(p))
            c = p.detach().clone().requires_grad_(p.requires_grad)
            g = grads.get(name) if name is not None else None
            c.grad = None if g is None else (torch.zeros_like(g) if zero_grads else g.clone() * scale)
            memo[id(p)] = c
            if name is not None:
                clones[name] = c
    opt = adapted_twin(copy_optimizer(optimizer, memo))
    if lrs is not None:
        for group, lr in zip(opt.param_groups, lrs, strict=True):
            group["lr"] = lr
    if no_decay:
        for group in opt.param_groups:
            if "weight_decay" in group:
                group["weight_decay"] = 0.0
    with torch.no_grad():
        type(opt).step(opt)
    return {n: (c.detach() - probe.params[n].detach()) for n, c in clones.items()}


def _bare_shrink(probe: ProbeResult, optimizer: torch.optim.Optimizer, lrs: list[float] | None) -> dict[str, float]:
    try:
        bare = _delta(probe, optimizer, lrs, None, no_decay=True, zero_grads=True)
    except Exception:  # an optimizer that cannot step a zero gradient on a copy: nothing measured
        return {}
    out: dict[str, float] = {}
    for name, d in bare.items():
        p = probe.params[name].detach().float()
        df = d.float()
        if p.ndim < 2 or not bool(torch.isfinite(df).all()):
            continue
        c, proportional = _shrink(df, p)
        if proportional:
            out[name] = c
    return out


def _shrink(d: torch.Tensor, p: torch.Tensor) -> tuple[float, bool]:
    """``c`` of the projection ``d ~ -c p`` (``-<d, p> / <p, p>``; 0 for zero weights), and whether ``d`` is that
    proportional shrink (a non-zero ``d`` whose residual is under a tenth of it). Both float32 tensors."""
    w2 = float(p.pow(2).sum())
    if not w2 > 0:
        return 0.0, False
    c = -float((d * p).sum()) / w2
    moved = float(torch.linalg.vector_norm(d))
    return c, moved > 0 and float(torch.linalg.vector_norm(d + c * p)) <= 0.1 * moved


def analyse_step(model: nn.Module, run: Callable[[nn.Module], torch.Tensor], probe: ProbeResult,
                 optimizer: torch.optim.Optimizer, lrs: list[float] | None = None,
                 max_grad_norm: float | None = None, full_grid: bool = False,
                 line_search: bool = True) -> StepAnalysis:
    """Step a copy of ``optimizer``, then evaluate the loss along the step (restoring every parameter and state).

    ``full_grid``: evaluate every grid point (for calibration) instead of stopping at the first accepted one.
    ``line_search=False``: the step's ratios only, ``run`` is not called (``curve`` stays empty).
    """
    delta = _delta(probe, optimizer, lrs, max_grad_norm)
    decays = any(float(g.get("weight_decay", 0.0) or 0.0) > 0 for g in optimizer.param_groups)
    plain = _delta(probe, optimizer, lrs, max_grad_norm, no_decay=True) if decays else {}
    group_lrs = lrs if lrs is not None else [float(g.get("lr", float("nan"))) for g in optimizer.param_groups]
    momentum = max((float(g.get("momentum", 0.0) or 0.0) for g in optimizer.param_groups), default=0.0)
    out = StepAnalysis(type(optimizer).__name__, optimizer_family(optimizer), sorted(set(group_lrs)), momentum)
    wd_of = {id(q): float(gr.get("weight_decay", 0.0) or 0.0) for gr in optimizer.param_groups for q in gr["params"]}
    index_of = {id(q): i for i, gr in enumerate(optimizer.param_groups) for q in gr["params"]}
    out.group_lrs = [float(v) for v in group_lrs]
    out.clips = max_grad_norm is not None and math.isfinite(max_grad_norm)
    predicted = 0.0
    # a zero-initialised weight matrix (a head or residual branch at 0 by design) gates the gradient of the layers
    # behind it at step 0 only: their exactly-zero gradient has no balance point yet (fresh104's CSDI, a zero output
    # projection under Adam's coupled 1e-6, read as a collapse to 0x, critical); recorded in ``decay_gated`` for the
    # regularization check to leave out under a usual decay
    zero_design = bool(plain) and any(q.ndim >= 2 and q.numel() > 0 and not bool(q.detach().any())
                                      for q in probe.params.values())
    for name, d in delta.items():
        p = probe.params[name]
        g = probe.param_grads.get(name)
        if g is not None:
            predicted += float((real_float(g) * real_float(d)).sum())
        if p.ndim < 2:
            continue
        w = float(torch.linalg.vector_norm(real_float(p.detach())))
        if w > 0:
            out.ratios[name] = float(torch.linalg.vector_norm(real_float(d))) / w
            if id(p) in index_of:
                out.group_of[name] = index_of[id(p)]
            out.weight_rms[name] = w / math.sqrt(p.numel())
            out.numel[name] = p.numel()
            # only the matrices a group decays: a group at weight_decay 0 (pyg's gcn.py decays conv1 alone) is no
            # zero shrink in the median, nor a matrix without a balance point
            if name in plain and wd_of.get(id(p), 0.0) > 0:
                wd_part = (d - plain[name]).float()
                c, proportional = _shrink(wd_part, p.detach().float())
                out.decay_shrink[name] = c
                wd = wd_of.get(id(p), 0.0)
                moved = bool(wd_part.any())
                if zero_design and g is not None and not bool(g.any()):
                    out.decay_gated.add(name)
                if g is not None and wd > 0 and moved:
                    # the scale where weight_decay * |W| balances the gradient: coupled with the gradient (not a
                    # proportional shrink) the weights settle there; a proportional one (SGD's) pulls them there too
                    balance = float(torch.linalg.vector_norm(g.float())) / (wd * w)
                    if not proportional:
                        out.decay_equilibrium[name] = balance
                    elif out.family == "sgd":  # AdamW's decoupled decay meets a sign-like step, not the gradient
                        out.decay_balance_sgd[name] = balance
    out.predicted = predicted
    out.bare_shrink = _bare_shrink(probe, optimizer, lrs)
    for name, d in delta.items():
        p, g = probe.params[name], probe.param_grads.get(name)
        if g is None or bool(torch.isfinite(d).all()):
            continue
        if bool(torch.isfinite(p).all()) and bool(torch.isfinite(g).all()):
            out.nonfinite_step[name] = float((~torch.isfinite(d)).float().mean())
    for group in optimizer.param_groups:
        eps, dtypes = eps_rounded_to_zero(group)
        for dtype in dtypes:
            out.eps_underflow[dtype] = eps
    norm_after = {r.name for r in probe.records if r.normalized_after}
    unit: set[str] = getattr(probe, "unit_normalised_params", set())
    out.scale_free = {k for k in out.ratios if k in unit}
    out.normalized = {k for k in out.ratios if k.rsplit(".", 1)[0] in norm_after and k not in unit}
    no_decay = all(float(g.get("weight_decay", 0.0) or 0.0) == 0.0 for g in optimizer.param_groups)
    if not line_search:
        return out
    params = [(probe.params[n], d) for n, d in delta.items() if bool(torch.isfinite(d).all())]
    snapshot = StateSnapshot(model)
    saved = [p.detach().clone() for p, _ in params]

    def loss_at(t: float, scale: float = 1.0) -> float:
        snapshot.restore()
        with torch.no_grad():
            for (p, d), w in zip(params, saved, strict=True):
                p.data.copy_((w + t * d.to(p.dtype)) * (scale if p.ndim >= 2 else 1.0))  # .data: no version bump
        out.forwards += 1
        return float(loss_without_grad(run, model).detach())

    try:
        out.loss0 = loss_at(0.0)
        for t in GRID:
            value = loss_at(t)
            out.curve.append((t, value))
            ok = math.isfinite(value) and value <= out.loss0 + ARMIJO * t * predicted
            if ok and out.accepted_t is None:
                out.accepted_t = t
                if not full_grid:
                    break
        if no_decay and math.isfinite(out.loss1) and out.loss1 < out.loss0:
            out.loss_doubled = loss_at(1.0, 2.0)
    finally:
        with torch.no_grad():
            for (p, _), orig in zip(params, saved, strict=True):
                p.data.copy_(orig)
        snapshot.restore()
    return out
