"""What a learning-rate schedule will do: the largest lr each param group reaches over the coming steps.

``check`` judges a step at the scheduler's current lr (a warm-up's first step is a small one by design), but weight
decay acts at every step of the run: its cumulative shrink is set by the lr the schedule reaches, not by the first
warm-up step's (AdamW wd 50 at lr 1e-3 removes 5% of the weights per step at the peak, 0.25% at the first of 20
warm-up steps).

A schedule may also never stop rising: :func:`unbounded_findings` reads a ``LambdaLR``'s factors far past the
look-ahead (no stepping: the lambdas are evaluated at steps ``RISE_STEPS``) and names ``lr`` when the lr keeps
growing at least ``RISE_PER_DECADE``-fold per tenfold of steps from the horizon on — a linear warm-up written
without its ``min(1, ...)`` grows 10x per decade, for ever. A warm-up of any length below ``RISE_STEPS[0]``, a
constant, cosine, linear-decay or inverse-square-root schedule all stop rising (factor <= 1 per decade); every
scheduled case of the judgment corpus's seen halves is one of those.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch

from .findings import Finding

__all__ = ["COLLAPSE_SHARE", "COLLAPSE_STEPS", "FLOOR_SHARE", "HORIZON", "LAMBDA_FACTOR_MAX", "LR_SCALE_BAND",
           "RISE_PER_DECADE", "RISE_STEPS", "collapse_findings", "lambda_lr_findings", "rising_decay_findings",
           "scheduler_peak_lrs", "unbounded_findings"]

#: steps of the schedule looked ahead (a warm-up longer than this is judged at the lr it reaches by then)
HORIZON = 2000
#: steps at which a LambdaLR's factor is read to tell a schedule that never stops rising
RISE_STEPS = (20_000, 200_000, 2_000_000)
#: growth per tenfold of steps, over both decades, from which the schedule is unbounded
RISE_PER_DECADE = 3.0
#: steps of a schedule's start over which a collapse of the lr is judged (:func:`collapse_findings`)
COLLAPSE_STEPS = 100
#: the share of its peak under which the lr has collapsed by step :data:`COLLAPSE_STEPS` (seen halves: healthy
#: schedules keep >= 0.44 of their peak there; a per-epoch decay stepped per batch 2.7e-5, a compounded warm-up 5e-7)
COLLAPSE_SHARE = 1e-3
#: the share of its starting value at or under which an lr that falls within ``COLLAPSE_STEPS // 2`` steps and then
#: holds flat to ``2 * COLLAPSE_STEPS`` is a decay finished early (a warm-up reversed): healthy schedules in the seen
#: halves keep >= 0.44 of their peak at step 100 and none is flat below its start
FLOOR_SHARE = 0.05


def scheduler_peak_lrs(scheduler: Any, optimizer: torch.optim.Optimizer | None,
                       horizon: int = HORIZON) -> list[float] | None:
    """The largest lr of each param group over the scheduler's next ``horizon`` steps (the current one included),
    or None when there is no scheduler or it cannot be stepped on its own (``ReduceLROnPlateau`` needs a metric);
    a schedule that ends sooner (``OneCycleLR`` past ``total_steps``) is read up to its end.

    A ``LambdaLR`` is read from its lambdas without stepping it; any other scheduler is stepped ``horizon`` times
    and put back exactly (its ``state_dict`` and the groups' lrs restored); one without ``state_dict`` and
    ``load_state_dict`` is not stepped (None)."""
    if scheduler is None or optimizer is None:
        return None
    groups = optimizer.param_groups
    current = [float(g["lr"]) for g in groups]
    if isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR):
        base, last = [float(b) for b in scheduler.base_lrs], int(scheduler.last_epoch)
        try:
            return [max(c, *(b * float(f(t)) for t in range(last, last + horizon)))
                    for c, b, f in zip(current, base, scheduler.lr_lambdas, strict=True)]
        except Exception:
            return None
    rows = _walk(scheduler, optimizer, horizon)
    return None if rows is None else [max(row) for row in rows]


def _walk(scheduler: Any, optimizer: torch.optim.Optimizer, steps: int) -> list[list[float]] | None:
    """Each group's lr at the scheduler's current step and its next ``steps`` steps (fewer when the schedule ends; None
    when it cannot step at all or cannot be put back): a ``LambdaLR`` read from its lambdas, any other stepped and put
    back exactly (its ``state_dict`` and the groups' lrs restored)."""
    groups = optimizer.param_groups
    current = [float(g["lr"]) for g in groups]
    if isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR):
        last = int(scheduler.last_epoch)
        try:
            return [[float(b) * float(f(t)) for t in range(last, last + steps + 1)]
                    for b, f in zip(scheduler.base_lrs, scheduler.lr_lambdas, strict=True)]
        except Exception:
            return None
    if not _restorable(scheduler):
        return None
    state = scheduler.state_dict()
    rows = [[c] for c in current]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "lr_scheduler.step() before optimizer.step()": on purpose here
            for _ in range(steps):
                scheduler.step()
                for row, g in zip(rows, groups, strict=True):
                    row.append(float(g["lr"]))
    except Exception:  # the schedule ended (OneCycleLR past total_steps) or it cannot step on its own
        if len(rows[0]) == 1:
            return None  # (put back in `finally`)
    finally:
        _restore(scheduler, state, groups, current)
    return rows


def collapse_findings(scheduler: Any, optimizer: torch.optim.Optimizer | None,
                      interval: str | None = None) -> list[Finding]:
    """``lr`` (critical) when, from a schedule's start (its step < :data:`COLLAPSE_STEPS`), a group's lr goes below 0
    within ``2 * COLLAPSE_STEPS`` steps (a cosine written without its ``(1 + cos) / 2``: gradient ascent), or is at
    most :data:`COLLAPSE_SHARE` of its peak after :data:`COLLAPSE_STEPS` steps (a per-epoch decay stepped every
    batch, a warm-up factor compounded); [] otherwise, for a schedule that ends sooner, or one that cannot be read.
    The collapse is a fault only at a per-step cadence (``interval``: ``"step"``); at an unknown one (None) it is
    information, at ``"epoch"`` nothing: pytorch/examples' MNIST steps ``StepLR(step_size=1, gamma=0.7)`` once per
    epoch, which read per step falls to 3e-16 in 100 steps (a critical false alarm on that script before session
    23)."""
    if scheduler is None or optimizer is None or int(getattr(scheduler, "last_epoch", 0)) >= COLLAPSE_STEPS:
        return []
    rows = _walk(scheduler, optimizer, 2 * COLLAPSE_STEPS)
    if not rows:
        return []
    name = type(scheduler).__name__
    for row in rows:
        bad = next((t for t, v in enumerate(row) if v < 0), None)
        if bad is not None:
            return [_schedule_finding(
                name, {"lr_now": row[0], "first_negative_step": bad, "lr_there": row[bad]},
                f"The learning-rate schedule turns the lr negative: {row[bad]:.3g} at {bad} steps from now (it is "
                f"{row[0]:.3g} now). A negative lr climbs the loss: a cosine written lr * cos(pi t / T) instead of "
                "lr * (1 + cos(pi t / T)) / 2 does this in its second half.",
                "Keep every factor of the schedule in [0, 1].",
                "LambdaLR(optimizer, lambda t: 0.5 * (1 + math.cos(math.pi * min(t, T) / T)))", 3.0)]
    for row in rows:
        if len(row) <= COLLAPSE_STEPS or interval == "epoch":
            continue
        peak, there = max(row[:COLLAPSE_STEPS + 1]), row[COLLAPSE_STEPS]
        if peak > 0 and math.isfinite(peak) and there <= COLLAPSE_SHARE * peak:
            return [_schedule_finding(
                name, {"lr_peak": peak, f"lr_after_{COLLAPSE_STEPS}_steps": there, "share": there / peak,
                       "expected": f"> {COLLAPSE_SHARE:g} of the peak (healthy schedules: >= 0.44)"},
                f"The learning-rate schedule collapses: within {COLLAPSE_STEPS} steps the lr falls from {peak:.3g} "
                f"to {there:.3g} ({there / peak:.1g} of it), after which the weights barely move. A decay meant per "
                "epoch (StepLR, ExponentialLR) stepped after every batch, or a warm-up factor multiplied into the lr "
                "at every step instead of set, does this.",
                "Step an epoch-based scheduler once per epoch (or convert its step_size/gamma to batches); set the "
                "warm-up lr from the base lr at each step instead of multiplying the current one.",
                "for epoch in range(epochs):\n    for batch in loader:\n        ...\n        optimizer.step()\n"
                "    scheduler.step()  # once per epoch",
                math.log10(peak / there) if there > 0 else 6.0, "critical" if interval == "step" else "info")]
    for row in rows:  # a decay finished early and held: a warm-up with its start and end factors swapped
        if len(row) <= COLLAPSE_STEPS or interval == "epoch" or not row[0] > 0:
            continue
        held = row[COLLAPSE_STEPS // 2:]
        if max(held) <= FLOOR_SHARE * row[0] and max(held) == min(held) and max(row) == row[0]:
            end = next(t for t, v in enumerate(row) if v == held[0])
            return [_schedule_finding(
                name, {"lr_now": row[0], "lr_held": held[0], "share": held[0] / row[0], "held_from_step": end,
                       "expected": "a warm-up rises to the lr; a decay ends with the run"},
                f"The learning-rate schedule drops the lr from {row[0]:.3g} to {held[0]:.3g} ({held[0] / row[0]:.2g} "
                f"of it) within {end} steps and holds it there: a warm-up written with its start and end swapped "
                "(LinearLR(start_factor=1.0, end_factor=0.01)) does this, and the run trains at the floor.",
                "Give the warm-up its start factor small and its end factor 1 (LinearLR(start_factor=0.01, "
                "end_factor=1.0, total_iters=warmup)).",
                "torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=warmup)",
                math.log10(row[0] / held[0]) if held[0] > 0 else 6.0, "critical" if interval == "step" else "info")]
    return []


def _schedule_finding(scheduler: str, evidence: dict[str, Any], message: str, prescription: str, code: str,
                      score: float, severity: str = "critical") -> Finding:
    if severity == "info":  # the cadence is not known: say what it would mean per step
        message = (f"If scheduler.step() is called after every optimizer step: {message[0].lower()}{message[1:]} "
                   "(check(scheduler_interval='step') judges it; 'epoch' when it is stepped once per epoch.)")
    return Finding(cause="lr", layers=[], severity=severity, confidence=0.9,
                   evidence={"scheduler": scheduler, **evidence}, message=message, prescription=prescription,
                   code=code, score=score)


def _restorable(scheduler: Any) -> bool:
    """A scheduler stepped here must be put back exactly: one without ``state_dict``/``load_state_dict`` (a
    hand-written class with only ``step`` and ``get_last_lr``) is not stepped (its future lrs are not read)."""
    return callable(getattr(scheduler, "state_dict", None)) and callable(getattr(scheduler, "load_state_dict", None))


def _restore(scheduler: Any, state: dict[str, Any], groups: list[dict[str, Any]], lrs: list[float]) -> None:
    scheduler.load_state_dict(state)
    for g, lr in zip(groups, lrs, strict=True):
        g["lr"] = lr


def unbounded_findings(scheduler: Any, optimizer: torch.optim.Optimizer | None) -> list[Finding]:
    """``lr`` (critical) when a ``LambdaLR``'s lr keeps rising ``RISE_PER_DECADE``-fold per decade of steps over
    :data:`RISE_STEPS` (see the module docstring); [] for any other scheduler or when a lambda fails."""
    if not isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR) or optimizer is None:
        return []
    rows: list[tuple[float, list[float]]] = []
    for base, f in zip(scheduler.base_lrs, scheduler.lr_lambdas, strict=True):
        try:
            vals = [float(base) * float(f(t)) for t in RISE_STEPS]
        except Exception:  # a lambda that fails far ahead (an index into a finite table): not judged
            return []
        if all(math.isfinite(v) and v > 0 for v in vals) and vals[1] >= RISE_PER_DECADE * vals[0] and \
                vals[2] >= RISE_PER_DECADE * vals[1]:
            rows.append((float(base), vals))
    if not rows:
        return []
    base, vals = max(rows, key=lambda r: r[1][-1])
    return [Finding(
        cause="lr", layers=[], severity="critical", confidence=0.9,
        evidence={"scheduler": type(scheduler).__name__, "base_lr": base,
                  "lr_at_steps": dict(zip(RISE_STEPS, vals, strict=True)), "rise_per_decade": RISE_PER_DECADE},
        message=(f"The learning-rate schedule never stops rising: lr {vals[0]:.3g} at step {RISE_STEPS[0]:,}, "
                 f"{vals[1]:.3g} at {RISE_STEPS[1]:,}, {vals[2]:.3g} at {RISE_STEPS[2]:,} (base {base:.3g}). Every "
                 "lr is eventually too large; a warm-up written without its cap (lambda s: s / warmup instead of "
                 "min(1, s / warmup)) looks like this."),
        prescription="Cap the warm-up at the base lr (and decay after it if you meant to).",
        code="LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup_steps))",
        score=math.log10(vals[-1] / base) if vals[-1] > base > 0 else 3.0,
    )]



#: schedulers that only ever lower the lr from its base when set up as meant (the cyclic, one-cycle, warm-up and
#: user-lambda ones rise by design and are not judged by :func:`rising_decay_findings`)
DECAYS: tuple[str, ...] = ("CosineAnnealingLR", "CosineAnnealingWarmRestarts", "StepLR", "MultiStepLR",
                           "ExponentialLR", "PolynomialLR")
#: the rise over the base lr from which a decay scheduler is misconfigured
DECAY_RISE = 2.0


def rising_decay_findings(scheduler: Any, peak_lrs: list[float] | None) -> list[Finding]:
    """``lr`` (warning; critical from a tenfold rise) when a scheduler built to lower the lr (:data:`DECAYS`)
    takes it to :data:`DECAY_RISE` times its base lr or more within :data:`HORIZON` steps (``peak_lrs``: the
    groups' peaks, :func:`scheduler_peak_lrs`): a cosine's ``eta_min`` given as a fraction of the base lr although it
    is an lr (fresh54's GRAND: ``eta_min=0.1`` over a base of 0.01, the rate climbing tenfold), a ``gamma`` above 1."""
    name = type(scheduler).__name__
    bases = [float(b) for b in getattr(scheduler, "base_lrs", [])]
    if peak_lrs is None or name not in DECAYS or len(bases) != len(peak_lrs):
        return []
    rises = [((p if math.isfinite(p) else math.inf) / b, b) for p, b in zip(peak_lrs, bases, strict=True) if b > 0]
    if not rises:
        return []
    rise, base = max(rises)
    if not rise >= DECAY_RISE:
        return []
    eta_min = getattr(scheduler, "eta_min", None)
    gamma = getattr(scheduler, "gamma", None)
    why = (f"its eta_min={eta_min:g} is above the base lr {base:g}: eta_min is the lr the cosine ends at, not a "
           "fraction of the base" if isinstance(eta_min, float | int) and eta_min > base else
           f"its gamma={gamma:g} multiplies the lr at every decay step instead of dividing it"
           if isinstance(gamma, float | int) and gamma > 1 else "it raises the lr instead of lowering it")
    return [_schedule_finding(
        name, {"base_lr": base, "peak_over_base": rise if math.isfinite(rise) else None, "horizon": HORIZON,
               "expected": f"<= 1x the base lr (a decay); flagged from {DECAY_RISE:g}x"},
        f"{name} is a decay, but over the next {HORIZON} steps it takes the lr to "
        f"{'overflow' if not math.isfinite(rise) else f'{rise:.3g}x'} its base lr {base:.3g}: {why}.",
        "Give eta_min as an lr below the base (e.g. base_lr * 0.01), and a gamma below 1.",
        f"{name}(optimizer, ...{', eta_min=' + format(base * 0.01, 'g') if eta_min is not None else ', gamma=0.1'})",
        math.log10(rise) if math.isfinite(rise) else 3.0, severity="critical" if rise >= 10 else "warning")]


#: a ``LambdaLR`` whose largest factor over :data:`HORIZON` steps is under this returns a learning rate, not a factor,
#: when that factor is also within :data:`LR_SCALE_BAND` of the optimizer's base lr (healthy schedules peak at 1)
LAMBDA_FACTOR_MAX = 0.05
#: how close (a ratio either way) the largest factor must be to the base lr to read as the lr itself
LR_SCALE_BAND = 3.0


def lambda_lr_findings(scheduler: Any, peak_lrs: list[float] | None) -> list[Finding]:
    """``lr`` (warning) when a ``LambdaLR``'s function returns a learning rate where it must return a factor: its
    largest value over the next :data:`HORIZON` steps (``peak_lrs``, from :func:`scheduler_peak_lrs`, over the base
    lrs) is under :data:`LAMBDA_FACTOR_MAX` and on the scale of the optimizer's own lr (within
    :data:`LR_SCALE_BAND`), so the lr the optimizer gets is about ``lr ** 2`` (fresh13's DiffLlama and fresh32's
    T2T-ViT, a warm-up ``lambda t: lr * min(1, t / w)``: a peak of 1e-6 for 1e-3; their Adam steps, 2e-5 to 5e-5 of
    the weights' RMS, sat just above the tiny-step gate). [] for any other scheduler or without ``peak_lrs``."""
    if not isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR) or not peak_lrs:
        return []
    for base, peak in zip(scheduler.base_lrs, peak_lrs, strict=False):
        base = float(base)
        top = peak / base if base > 0 else math.nan
        if not (math.isfinite(top) and 0 < top < LAMBDA_FACTOR_MAX
                and 1 / LR_SCALE_BAND <= top / base <= LR_SCALE_BAND):
            continue
        return [_schedule_finding(
            "LambdaLR", {"base_lr": base, "largest_factor": float(f"{top:.3g}"), "peak_lr": float(f"{peak:.3g}"),
                         "expected": "factors that reach about 1 (the lr the optimizer was built with)"},
            f"The LambdaLR's function returns a learning rate, not a factor: its largest value over the next "
            f"{HORIZON} steps is {top:.3g}, on the scale of the optimizer's lr {base:g}, and LambdaLR multiplies "
            f"the two, so the lr peaks at {peak:.2g} instead of {base:g}.",
            "Return the factor (1 at the peak) from the lambda, e.g. min(1, t / warmup); the optimizer's lr is the "
            "peak.",
            "LambdaLR(optimizer, lambda t: min(1.0, (t + 1) / warmup_steps))", math.log10(1 / top), "warning")]
    return []


#: steps a schedule may hold every learning rate at exactly 0 before it is a finding (a warm-up from 0 is 0 at its
#: first step only)
ZERO_RUN = 20
#: steps of the schedule read for it
ZERO_HORIZON = 1000


def zero_lr_findings(scheduler: Any, optimizer: torch.optim.Optimizer | None) -> list[Finding]:
    """``lr`` when the schedule holds every param group's learning rate at exactly 0 for its next :data:`ZERO_RUN`
    steps or more: nothing trains until then (fresh40's FwFM warm-up factor written ``step // warmup``, an integer
    division that is 0 for the first 250 steps and then jumps to 1). Critical when it stays 0 over the whole
    :data:`ZERO_HORIZON` read, else a warning; [] otherwise, and without a scheduler that can be read."""
    if scheduler is None or optimizer is None:
        return []
    groups = [i for i, g in enumerate(optimizer.param_groups) if any(p.requires_grad for p in g["params"])]
    first = _walk(scheduler, optimizer, ZERO_RUN - 1)  # the common case ends here: some lr above 0 early on
    if not groups or first is None or any(v != 0.0 for i in groups for v in first[i]):
        return []
    rows = _walk(scheduler, optimizer, ZERO_HORIZON)
    if rows is None:
        return []
    held = min(next((t for t, v in enumerate(rows[i]) if v != 0.0), len(rows[i])) for i in groups)
    forever = held >= len(rows[groups[0]])
    after = "" if forever else f"; at step {held} it becomes {max(rows[i][held] for i in groups):.3g}"
    return [_schedule_finding(
        type(scheduler).__name__,
        {"zero_lr_steps": held, "horizon": len(rows[groups[0]]), "expected": "a learning rate above 0 within "
                                                                              f"{ZERO_RUN} steps"},
        f"The schedule holds every learning rate at exactly 0 for the next {held} steps{after}: those steps change "
        "nothing. A warm-up factor written with an integer division (step // warmup is 0 until step = warmup) does "
        "this.",
        "Make the warm-up factor a float that rises from the first step, e.g. min(1.0, (step + 1) / warmup).",
        "LambdaLR(optimizer, lambda t: min(1.0, (t + 1) / warmup_steps))", math.log10(held),
        "critical" if forever else "warning")]
