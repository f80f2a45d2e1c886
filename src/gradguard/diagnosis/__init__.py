"""Diagnosis: name the cause of exploding/vanishing gradients before training, and prescribe the fix.

::

    from gradguard.diagnosis import check, fix
    d = check(model, (x, y), loss_fn, optimizer)   # one forward + one backward, no side effects
    print(d)                                       # ranked findings with evidence, prescriptions and code
    fix(model, d)                                  # re-initialise the weights found wrong (init only)
"""

from __future__ import annotations

from .check import check, diagnose_step
from .findings import CAUSES, SEVERITIES, Diagnosis, DiagnosisError, Finding
from .fix import fix

__all__ = ["CAUSES", "SEVERITIES", "Diagnosis", "DiagnosisError", "Finding", "check", "diagnose_step", "fix"]
