"""Weights that start near zero by design are not read by the lr rules (fresh87's FNN, session 38).

FNN's field embedding tables start at N(0, 1e-4) (instant-NGP's hash grids at U(-1e-4, 1e-4) likewise): Adam's
first step moves each read row by about lr = 1e-3, ten times its RMS, and the tables were the median of the model's
weight matrices, so ``check`` said "the Adam step is too large ... 9.4 of their norm" on the healthy model at seed 0
(its full step lowered the loss, 0.693 -> 0.692, but by less than half the promised decrease). A weight under 1% of
its expected init std (``check.NEAR_ZERO_SHARE``) is left out of the ratios; the same model at Adam lr 1 is still
``lr``.
"""

from __future__ import annotations

from judgment_corpus import by_name
from judgment_corpus.judge import run_check


def test_fnn_tables_at_1e_4_under_adam_at_its_rate_are_no_lr_finding() -> None:
    d = run_check(by_name("fnn_clicks").build(0))
    assert not [f for f in d.findings if f.cause == "lr" and f.severity != "info"], d.findings


def test_the_same_model_at_adam_lr_1_is_still_lr() -> None:
    d = run_check(by_name("fnn_adam_lr_1").build(0))
    assert d.top is not None and d.top.cause == "lr" and d.top.severity != "info"
