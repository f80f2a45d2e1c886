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

__all__ = ["HORIZON", "RISE_PER_DECADE", "RISE_STEPS", "scheduler_peak_lrs", "unbounded_findings"]

#: steps of the schedule looked ahead (a warm-up longer than this is judged at the lr it reaches by then)
HORIZON = 2000
#: steps at which a LambdaLR's factor is read to tell a schedule that never stops rising
RISE_STEPS = (20_000, 200_000, 2_000_000)
#: growth per tenfold of steps, over both decades, from which the schedule is unbounded
RISE_PER_DECADE = 3.0


def scheduler_peak_lrs(scheduler: Any, optimizer: torch.optim.Optimizer | None,
                       horizon: int = HORIZON) -> list[float] | None:
    """The largest lr of each param group over the scheduler's next ``horizon`` steps (the current one included),
    or None when there is no scheduler or it cannot be stepped on its own (``ReduceLROnPlateau`` needs a metric);
    a schedule that ends sooner (``OneCycleLR`` past ``total_steps``) is read up to its end.

    A ``LambdaLR`` is read from its lambdas without stepping it; any other scheduler is stepped ``horizon`` times
    and put back exactly (its ``state_dict`` and the groups' lrs restored)."""
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
    state = scheduler.state_dict()
    peaks, stepped = list(current), 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "lr_scheduler.step() before optimizer.step()": on purpose here
            for _ in range(horizon):
                scheduler.step()
                stepped += 1
                peaks = [max(p, float(g["lr"])) for p, g in zip(peaks, groups, strict=True)]
    except Exception:  # the schedule ended (OneCycleLR past total_steps) or it cannot step on its own
        if stepped == 0:
            return None  # (put back in `finally`)
    finally:
        _restore(scheduler, state, groups, current)
    return peaks


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

