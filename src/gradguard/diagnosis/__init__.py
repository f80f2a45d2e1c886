"""Diagnosis: name the cause of exploding/vanishing gradients before training, and prescribe the fix.

::

    from gradguard.diagnosis import check, fix
    d = check(model, (x, y), loss_fn, optimizer)   # one forward + one backward (+ the loss along one step), no side
    d = check(model, {"input_ids": ids, "labels": ids}, optimizer=opt)          # effects; HF-style dict batch
    d = check(model, closure=lambda m: m(x, h)[0], optimizer=opt, scheduler=sched)  # any forward
    print(d)                                       # ranked causes with evidence, prescriptions and code
    fix(model, d)                                  # re-initialise the weights found wrong (init only)

How the measured quantities explain each other, and so which cause ranks first, is written down in
:mod:`gradguard.diagnosis.explain`.
"""

from __future__ import annotations

from .check import check, diagnose_step
from .findings import CAUSES, SEVERITIES, Diagnosis, DiagnosisError, Finding
from .fix import fix

__all__ = ["CAUSES", "SEVERITIES", "Diagnosis", "DiagnosisError", "Finding", "check", "diagnose_step", "fix"]
