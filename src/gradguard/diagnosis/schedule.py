"""What a learning-rate schedule will do: the largest lr each param group reaches over the coming steps.

``check`` judges a step at the scheduler's current lr (a warm-up's first step is a small one by design), but weight
decay acts at every step of the run: its cumulative shrink is set by the lr the schedule reaches, not by the first
warm-up step's (AdamW wd 50 at lr 1e-3 removes 5% of the weights per step at the peak, 0.25% at the first of 20
warm-up steps).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

__all__ = ["HORIZON", "scheduler_peak_lrs"]

#: steps of the schedule looked ahead (a warm-up longer than this is judged at the lr it reaches by then)
HORIZON = 2000


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
