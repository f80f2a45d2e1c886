"""The first applied step checked after the optimizer steps: finite gradients turned into NaN/Inf weights.

An optimizer can make non-finite weights out of finite gradients: Adam or RMSprop with ``eps=0`` on a parameter
whose gradient is exactly 0 (``0 / 0``), an ``eps`` that is 0 in the parameters' dtype (``1e-8`` underflows in
float16), a hand-written Adam whose step counter stays 0 (its bias correction divides by ``1 - beta ** 0 = 0``).
The gradients the guard measured were finite, so nothing before the step tells; the weights are lost at the first
step. The guard measures the first step's update anyway (every ``update_every`` steps, step 0 included), and in the
blocking mode it reads that one measurement at once, a single extra host read per run, so the step's own report
says ``nonfinite`` (``evidence["where"] == "update"``) with the cause ranked ``numeric``. Later steps are told by
the next step's statistics, as before (their gradients are then non-finite). The deferred mode does not read it
early (no host read after issue): its next step's statistics tell; nor does a guard under ``torch.distributed`` (one
host read a step, the same vector on every rank): there too the next step tells.
"""

from __future__ import annotations

import math
from typing import Any

from .diagnosis.findings import Finding
from .diagnosis.stepsize import eps_rounded_to_zero
from .events import Event
from .stats import StepStats

__all__ = ["check_first_update"]


def _eps_lost(optimizer: Any) -> list[str]:
    """Each param group's ``eps`` that is 0, or 0 in the dtype of the group's floating-point parameters."""
    found = []
    for i, group in enumerate(getattr(optimizer, "param_groups", ())):
        eps, dtypes = eps_rounded_to_zero(group)
        if eps == 0 and dtypes:
            found.append(f"group {i}: eps=0")
        else:
            found += [f"group {i}: eps={eps:g} is 0 in {dtype}" for dtype in sorted(dtypes)]
    return found


def check_first_update(guard: Any, stats: StepStats) -> Event | None:
    """After the guard's first applied, update-measured step (blocking mode): read the update's per-layer sums of
    squares (one host read, once per run) and return a ``nonfinite`` event when the step made weights NaN/Inf from
    finite gradients; None otherwise (and on every later call)."""
    if guard.__dict__.get("_first_update_checked"):  # once a run
        return None
    guard._first_update_checked = True
    pending = guard._collector.updates.pending
    if pending is None or pending[0] != stats.step or not stats.grads_finite:
        return None
    values = pending[1].tolist()  # the one extra host read of a run
    bad = [i for i, v in enumerate(values) if not math.isfinite(v)]
    if not bad:
        return None
    names = [guard.layer_names[i] for i in bad]
    eps = _eps_lost(guard.optimizer)
    opt = type(guard.optimizer).__name__
    why = ("; " + ", ".join(eps)) if eps else ""
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    message = (f"the {opt} step turned finite gradients into NaN/Inf weights in {len(names)} layer(s) ({shown}){why}: "
               f"the optimizer's own arithmetic is not finite (an eps of 0, or one that is 0 in the weights' dtype, "
               f"a bias correction at step 0, a division by a zero state)")
    finding = Finding(
        cause="numeric", layers=names, severity="critical", confidence=0.9,
        evidence={"where": "update", "optimizer": opt, "layers_nonfinite": len(names), "eps": eps,
                  "grad_norm": stats.grad_norm},
        message=message,
        prescription="give the optimizer an eps that is representable in the weights' dtype (1e-8 in float32; "
                     "keep float32 master weights and optimizer state with float16 models) and check a "
                     "hand-written optimizer's step counter and divisions",
        code="torch.optim.AdamW(model.parameters(), lr=lr, eps=1e-8)  # float32 weights and state", score=1.0)
    return Event(step=stats.step, kind="nonfinite", severity="critical", message=message, layers=tuple(names),
                 evidence={"where": "update", "origin": "optimizer_step", "grads_finite": True,
                           "layers_nonfinite": len(names), "eps": eps, "optimizer": opt},
                 causes=(finding.to_dict(),))
