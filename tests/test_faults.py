"""The fault-injection attack kept in CI (small and fast): ``python benchmarks/faults.py`` prints the full table."""

from __future__ import annotations

import functools
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from faults import FAULTS, Trial, kill_trials, run_trial

STEPS = 45
AT = (20, 21, 35)


@functools.cache
def _clean(policy: str, scaler: bool) -> Trial:
    return run_trial(None, policy, seed=0, steps=STEPS, scaler_on=scaler, fault_steps=AT)


@pytest.mark.parametrize("scaler", [False, True], ids=["fp32", "gradscaler"])
@pytest.mark.parametrize("policy", ["safe", "recover"])
@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "nan_weight"])
def test_no_fault_reaches_the_weights_or_changes_a_skipped_step(fault: str, policy: str, scaler: bool) -> None:
    trial = run_trial(fault, policy, seed=0, steps=STEPS, scaler_on=scaler, fault_steps=AT)
    clean = _clean(policy, scaler)
    assert trial.poisoned == 0 and trial.changed == 0 and not trial.halted
    assert trial.skipped >= len(AT) - (fault == "outlier_batch")  # an outlier may be clipped rather than skipped
    assert trial.final_loss < 1.5 * clean.final_loss


@pytest.mark.parametrize("scaler", [False, True], ids=["fp32", "gradscaler"])
def test_a_nan_weight_halts_safe_and_recover_repairs_it(scaler: bool) -> None:
    safe = run_trial("nan_weight", "safe", seed=0, steps=STEPS, scaler_on=scaler, fault_steps=(15,))
    assert safe.halted and safe.poisoned == 0  # nothing to restore: stop instead of skipping forever
    recover = run_trial("nan_weight", "recover", seed=0, steps=STEPS, scaler_on=scaler, fault_steps=(15,))
    assert not recover.halted and recover.poisoned == 0 and math.isfinite(recover.final_loss)


def test_sigkill_never_leaves_an_unreadable_record() -> None:
    unreadable, worst, _ = kill_trials(2, flush_every=16, seed=1)
    # lost: the batch the writer thread is gathering (< 16) and what it has not yet taken from its queue, which a
    # loaded machine lets grow (20 of 16 measured under a CI run beside two benchmarks; 14 on a quiet machine)
    assert unreadable == 0 and worst <= 2 * 16
