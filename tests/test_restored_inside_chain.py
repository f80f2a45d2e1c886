"""A stretch of a normalised chain that compounds, while the chain as a whole passes the gradient and the signal
within a decade, is restored by the chain's normalisations: information, not a ``depth`` warning (fresh109's TEA, a
video ResNet whose temporal-aggregation convs compound 2.1 decades between BatchNorms; the 25-layer chain passes the
gradient at 0.26x and the signal at 1.2x; healthy, and told ``depth`` at first sight)."""

from __future__ import annotations

import torch

from gradguard.diagnosis import depth
from judgment_corpus import fresh109_builders as F
from judgment_corpus.judge import run_check


def _depth_finding(seed: int):  # type: ignore[no-untyped-def]
    torch.manual_seed(seed)
    d = run_check(F.tea(seed))
    return d, [f for f in d.findings if f.cause in ("depth", "normalization") and "weight_layers" in f.evidence]


def test_a_compounding_stretch_that_the_normalisations_restore_is_information() -> None:
    d, (found,) = _depth_finding(0)
    ev = found.evidence
    assert ev["weight_layers"] >= depth.NORMALISED_SHORT_STACK and ev["residual_decades"] >= depth.WARN_DECADES
    assert 0.1 < ev["gradient_gain_first_to_last"] < 10 and 0.1 < ev["forward_drift_last_to_first"] < 10
    assert found.severity == "info" and ev["restored_by_normalisation"] and d.healthy


def test_without_the_reading_the_same_chain_is_a_depth_warning(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(depth, "RESTORED_CHAIN", 0.0)
    d, (found,) = _depth_finding(0)
    assert found.cause == "depth" and found.severity == "warning" and not d.healthy
