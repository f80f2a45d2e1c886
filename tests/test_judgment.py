"""The calibration corpus (issue 12): its labels hold in plain PyTorch (both halves), and gradguard's judgment meets
the targets on the development half. The fresh held-out batch (``judgment_corpus/fresh.py``) is checked here for its
labels in plain PyTorch too, and like the original held-out half only scored, never asserted.

A development case that today's gradguard gets wrong is marked ``xfail(strict=True)`` with what it measured, so the
suite stays green and flags the fix; expectations are never weakened to pass. The held-out half is only scored
(``python benchmarks/judgment_table.py --half heldout``), never asserted here.
"""

from __future__ import annotations

import functools
import math
import os

import pytest
import torch

from gradguard import EVENT_KINDS
from gradguard.diagnosis.findings import CAUSES
from judgment_corpus import (
    ALL,
    BROKEN,
    CORPUS,
    DEV3,
    DEV4,
    DEV5,
    DEV6,
    DEV7,
    DEV8,
    FRESH,
    FRESH2,
    FRESH3,
    FRESH4,
    FRESH5,
    HEALTHY,
    Case,
    PlainRun,
    Setup,
    train_plain,
)
from judgment_corpus.dev8 import SLOW_DEV8
from judgment_corpus.dev9 import DEV9, SLOW_DEV9
from judgment_corpus.judge import Judgment, judge, run_guarded

#: the third round's development cases; its three healthy transformers (about 3 min of CPU together) are judged
#: here only with GRADGUARD_CORPUS_LABELS=1, and always in benchmarks/judgment_table.py --half dev
_SLOW_DEV3 = {"speech2text", "gemma", "convbert_mlm"}
_LABELS = os.environ.get("GRADGUARD_CORPUS_LABELS") == "1"
#: the fourth round's development cases (six conv nets, about 50 s on a free core with their label runs) are judged
#: here with GRADGUARD_CORPUS_LABELS=1, and always in benchmarks/judgment_table.py --half dev
_SLOW_DEV4 = {c.name for c in DEV4}
#: the seventh round's zero-token ViT (69 tokens, ~40 s of the suite at load 9) and weight-decay-under-warm-up
#: Mixer (two full 200-step runs): their rules are asserted in a few seconds by test_detectors.py's ratio_ceiling test
#: and test_diagnosis_round7.py; judged here with GRADGUARD_CORPUS_LABELS=1, always in the table
_SLOW_DEV7 = {"register_vit_zero_tokens", "mixer_adamw_wd50_warmup"}
DEV = [c for c in CORPUS if c.half == "dev"] + [c for c in DEV3 if c.name not in _SLOW_DEV3 or _LABELS] + [
    c for c in DEV4 if _LABELS] + DEV5 + DEV6 + [c for c in DEV7 if c.name not in _SLOW_DEV7 or _LABELS] + [
    c for c in DEV8 if c.name not in SLOW_DEV8 or _LABELS] + [c for c in DEV9 if c.name not in SLOW_DEV9 or _LABELS]
#: the held-out batches' 200-step label runs after the first (fresh: 38 models with the two slowest label runs of the
#: suite, a 24-layer tanh CNN and a MobileNet without BN; fresh2-fresh5: 28, 26, 30 and 22 models, about 150 s
#: each on a free core) run only with GRADGUARD_CORPUS_LABELS=1: they are plain PyTorch, frozen, and change only
#: with torch; the suite checks their structure and each model's first step
_GATED_HALVES = {"fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8",
                 "fresh9", "fresh10", "fresh11", "fresh12", "fresh13", "fresh14", "fresh15",
                 "fresh16", "fresh17", "fresh18", "fresh19", "fresh20", "fresh21", "fresh22",
                 "fresh23", "fresh24", "fresh25", "fresh26", "fresh27", "fresh28",
                 "fresh29", "fresh30", "fresh31", "fresh32", "fresh33",
                 "fresh34", "fresh35", "fresh36", "fresh37", "fresh38", "fresh39", "fresh40", "fresh41", "fresh42",
                 "fresh43", "fresh44", "fresh45", "fresh46", "fresh47", "fresh48", "fresh49", "fresh50",
                 "fresh51", "fresh52", "fresh53", "fresh54", "fresh57", "fresh55", "fresh56",
                 "fresh59",
                 "fresh62",
                 "fresh60", "fresh58",
                 "fresh61",
                 "fresh63", "fresh64", "fresh66",
                 "fresh67",
                 "fresh65",
                 "fresh69", "fresh70", "fresh72",
                 "fresh71",
                 "fresh68",
                 "fresh76",
                 "fresh75",
                 "fresh74",
                 "fresh73",
                 "fresh79",
                 "fresh77",
                 "fresh80",
                 "fresh78",
                 "fresh81",
                 "fresh82",
                 "fresh83",
                 "fresh84",
                 "fresh85",
                 "fresh86",
                 "fresh87",
                 "fresh88",
                 "fresh89",
                 "fresh90",
                 "fresh91",
                 "fresh92",
                 "fresh93",
                 "fresh94",
                 "fresh95",
                 "fresh96",
                 "fresh97",
                 "fresh98",
                 "fresh99",
                 "fresh100",
                 "fresh101",
                 "fresh102",
                 "fresh103",
                 "fresh104",
                 "fresh105",
                 "fresh106",
                 "fresh107",
                 "fresh108",
                 "fresh109",
                 "fresh110",
                 "fresh111",
                 "fresh112",
                 "fresh113",
                 "fresh114",
                 "fresh115",
                 "fresh116"}
LABELLED = [c for c in ALL
            if (c.half not in _GATED_HALVES
                and c.name not in _SLOW_DEV3 | _SLOW_DEV4 | _SLOW_DEV7 | SLOW_DEV8 | SLOW_DEV9) or _LABELS]

#: each test trains a model for 200 steps (a 41-layer conv stack takes 40 s on a free core, 220 s on a machine
#: loaded 10x): the default 300 s per test is too tight under load
pytestmark = pytest.mark.timeout(900)

#: development cases whose top cause today's gradguard gets wrong: name -> what it measured
CAUSE_XFAIL: dict[str, str] = {}
#: development cases whose events today's gradguard gets wrong (false alarm, or none accepted in time)
EVENT_XFAIL: dict[str, str] = {
    # the loss falls from 18.4 to 5.2 but stays above chance (4.16): StallDetector's at_chance mode knows the loss of
    # a uniform guess only once the guard binds it to the model (removed below when it does)
    "nanogpt_init_std1": "no event in 200 steps (plain run: loss 18.4 -> 5.2, above chance 4.16: no learning @199)",
    # likewise (dev5.py): the loss starts at 30x chance and ends at it; with the guard's hook, at_chance @50
    "diag_rnn_lam1.3": "no event in 200 steps (plain run: loss 131.6 -> 4.16, no learning @199)",
    # the fourth round's development cases (dev4.py): detection was not changed in that round
    "allconv_bn_sgd_lr2": "loss_spike @51, after the plain run diverges @20",
    "squeezenet_bn_sgd_lr2": "weight_growth @17 (not an accepted kind), then none accepted (plain: at chance @199)",
}




def _guard_binds_model() -> bool:
    """Whether ``Guard`` hands the model to its detectors (``_guard_setup.bind_model``), so that the stall
    detector's at-chance mode can infer log(C) (requested of guard.py in session 7)."""
    from gradguard import Guard
    from gradguard.detectors import StallDetector

    model = torch.nn.Linear(2, 3)
    with Guard(model, torch.optim.SGD(model.parameters(), lr=0.1), policy="monitor") as guard:
        stall = [d for d in guard.detectors if isinstance(d, StallDetector)]
        return bool(stall) and stall[0]._width is not None


if _guard_binds_model():
    del EVENT_XFAIL["nanogpt_init_std1"], EVENT_XFAIL["diag_rnn_lam1.3"]

#: development cases whose events differ between runs of the same seed (not strict): name -> what was measured
EVENT_UNSTABLE: dict[str, str] = {
    "allconv_no_bn": "seed 0: no event in judgment_table.py (plain run diverges @92), an accepted one in the suite",
}


def _param(case: Case, xfail: dict[str, str]) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=f"measured: {xfail[case.name]}")] if case.name in xfail else []
    if xfail is EVENT_XFAIL and case.name in EVENT_UNSTABLE:
        marks = [pytest.mark.xfail(strict=False, reason=f"measured: {EVENT_UNSTABLE[case.name]}")]
    return pytest.param(case, id=case.name, marks=marks)


_DEV_NAMES = {c.name for c in DEV}


@functools.cache
def _plain(name: str) -> PlainRun:
    """The plain run of ``name``: a development case's comes with its judgment (read off its monitored run when
    that raised nothing, see ``test_quiet_monitor_trains_as_plain``); a broken case's stops at its failure."""
    case = next(c for c in ALL if c.name == name)
    if name in _DEV_NAMES:
        plain = _judged(name).plain
        if plain is not None:
            return plain
    return train_plain(case, stop_at_failure=not case.healthy)


@functools.cache
def _judged(name: str) -> Judgment:
    """``judge`` in its fast mode (the same verdicts as the table's, from shorter or shared runs)."""
    return judge(next(c for c in ALL if c.name == name), fast=True)


# ---- the corpus itself ----------------------------------------------------------------------------------------------

def test_corpus_size_labels_and_halves() -> None:
    assert len(HEALTHY) >= 24 and len(BROKEN) >= 24
    assert len({c.name for c in CORPUS}) == len(CORPUS)
    for group in (HEALTHY, BROKEN):  # the split rule: alternate in order of addition, within each list
        assert [c.half for c in group] == [("dev", "heldout")[i % 2] for i in range(len(group))]
    for case in BROKEN:
        assert case.expected and set(case.expected) <= set(CAUSES), case.name
        assert case.events and set(case.events) <= set(EVENT_KINDS), case.name
        assert set(case.trouble) <= {"nonfinite", "diverge", "no_learning", "weight_growth"} and case.trouble
    for half in ("dev", "heldout"):  # every cause is first-accepted somewhere in both halves
        assert {c.expected[0] for c in BROKEN if c.half == half} == set(CAUSES), half


def test_fresh_batch_size_labels_and_half() -> None:
    healthy = [c for c in FRESH if c.healthy]
    broken = [c for c in FRESH if not c.healthy]
    assert len(FRESH) >= 24 and len(healthy) >= 8 and len(broken) >= 16
    assert {c.half for c in FRESH} == {"fresh"}
    assert len({c.name for c in ALL}) == len(ALL)  # new names, none shared with the first corpus
    assert not {c.family for c in healthy} & {c.family for c in HEALTHY} - {"mlp"}  # architectures new to it
    assert {c.expected[0] for c in broken} == set(CAUSES)
    for case in broken:
        assert case.expected and set(case.expected) <= set(CAUSES), case.name
        assert case.events and set(case.events) <= set(EVENT_KINDS), case.name


def _check_frozen_batch(cases: list, half: str, controls: dict, min_broken: int, min_cases: int = 24,
                        min_healthy: int = 10, parallel: tuple[str, ...] = (), without: tuple[str, ...] = ()) -> None:
    """A frozen held-out batch: its size, its half, architectures new to the corpus, every cause covered, a control
    per broken case, valid labels. ``parallel``: batches written at the same time by other helpers, none of them
    judged before all were frozen, whose architectures may overlap this one's (neither was tuned on the other).
    ``without``: causes the batch's author could not make fail in a plain run (said in its docstring)."""
    healthy = [c for c in cases if c.healthy]
    broken = [c for c in cases if not c.healthy]
    assert len(cases) >= min_cases and len(healthy) >= min_healthy and len(broken) >= min_broken
    assert {c.half for c in cases} == {half}
    earlier = {c.family for c in ALL if c.healthy and c.half != half and c.half not in parallel}
    assert not {c.family for c in healthy} & earlier  # architectures new to the corpus
    assert {c.expected[0] for c in broken} == set(CAUSES) - set(without)
    assert set(controls) == {c.name for c in broken}  # every broken case names its control
    for case in broken:
        assert case.expected and set(case.expected) <= set(CAUSES), case.name
        assert case.events and set(case.events) <= set(EVENT_KINDS), case.name


def test_fresh2_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh2 import CONTROLS

    _check_frozen_batch(FRESH2, "fresh2", CONTROLS, 14)


def test_fresh3_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh3 import CONTROLS

    _check_frozen_batch(FRESH3, "fresh3", CONTROLS, 12)


def test_fresh4_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh4 import CONTROLS

    _check_frozen_batch(FRESH4, "fresh4", CONTROLS, 14)


def test_fresh5_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh5 import CONTROLS

    _check_frozen_batch(FRESH5, "fresh5", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken


def test_fresh6_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh6 import CONTROLS, FRESH6

    _check_frozen_batch(FRESH6, "fresh6", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken


def test_fresh7_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh7 import CONTROLS, FRESH7

    _check_frozen_batch(FRESH7, "fresh7", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken


def test_fresh8_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh8 import CONTROLS, FRESH8

    _check_frozen_batch(FRESH8, "fresh8", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken


def test_fresh9_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh9 import CONTROLS, FRESH9

    _check_frozen_batch(FRESH9, "fresh9", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken


def test_fresh10_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh10 import CONTROLS, FRESH10

    _check_frozen_batch(FRESH10, "fresh10", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken


def test_fresh11_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh11 import CONTROLS, FRESH11

    _check_frozen_batch(FRESH11, "fresh11", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken


def test_fresh12_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh12 import CONTROLS, FRESH12, KINDS

    _check_frozen_batch(FRESH12, "fresh12", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken
    assert set(KINDS) == {c.name for c in FRESH12 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh13_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh13 import CONTROLS, FRESH13, KINDS

    _check_frozen_batch(FRESH13, "fresh13", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken
    assert set(KINDS) == {c.name for c in FRESH13 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh14_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh14 import CONTROLS, FRESH14, KINDS

    _check_frozen_batch(FRESH14, "fresh14", CONTROLS, 12, min_cases=22)  # issue 12's brief: >= 10 healthy + 12 broken
    assert set(KINDS) == {c.name for c in FRESH14 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh15_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh15 import CONTROLS, FRESH15, KINDS

    _check_frozen_batch(FRESH15, "fresh15", CONTROLS, 16, min_cases=28)  # the brief: >= 12 healthy + 16 broken
    assert set(KINDS) == {c.name for c in FRESH15 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh18_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh18 import CONTROLS, FRESH18, KINDS

    _check_frozen_batch(FRESH18, "fresh18", CONTROLS, 16, min_cases=28)  # the brief: >= 12 healthy + 16 broken
    assert set(KINDS) == {c.name for c in FRESH18 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh19_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh19 import CONTROLS, FRESH19, KINDS

    _check_frozen_batch(FRESH19, "fresh19", CONTROLS, 16, min_cases=28)  # the brief: >= 12 healthy + 16 broken
    assert set(KINDS) == {c.name for c in FRESH19 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh20_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh20 import CONTROLS, FRESH20, KINDS

    _check_frozen_batch(FRESH20, "fresh20", CONTROLS, 16, min_cases=28)  # the brief: >= 12 healthy + 16 broken
    assert set(KINDS) == {c.name for c in FRESH20 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh17_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh17 import CONTROLS, FRESH17

    _check_frozen_batch(FRESH17, "fresh17", CONTROLS, 16, min_cases=28)  # the brief: >= 12 healthy + 16 broken


def test_fresh16_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh16 import CONTROLS, FRESH16, KINDS

    _check_frozen_batch(FRESH16, "fresh16", CONTROLS, 16, min_cases=28)  # the brief: >= 12 healthy + 16 broken
    assert set(KINDS) == {c.name for c in FRESH16 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


@pytest.mark.parametrize("case", FRESH + FRESH2 + FRESH3 + FRESH4 + FRESH5, ids=lambda c: c.name)
def test_held_out_batches_first_step(case: Case) -> None:
    """Cheap label check at seed 0 (the full 200-step check: GRADGUARD_CORPUS_LABELS=1): a case labelled
    non-finite has a non-finite loss or non-finite weights after its first step, every other case's first loss and
    weights are finite."""
    setup = case.build(0)
    loss = setup.train_step(0)
    finite = math.isfinite(loss) and all(bool(torch.isfinite(p).all()) for p in setup.model.parameters())
    assert finite != (case.trouble == ("nonfinite",)), loss


@pytest.mark.parametrize("name", ["lstm_lm_sgd_clip", "transformer_preln", "gpt2_2l"])
def test_quiet_monitor_trains_as_plain(name: str) -> None:
    """A monitoring guard that raised nothing trains exactly as the plain run (dropout, a user's clip and a
    scheduler included), so the suite reads a development case's plain run off its monitored run then."""
    case = next(c for c in ALL if c.name == name)
    run = run_guarded(case, steps=30)
    assert run.plain is not None, run.events
    plain = train_plain(case, steps=30)
    assert run.plain.losses == plain.losses and run.losses == plain.losses
    assert (run.plain.first_nonfinite, run.plain.first_divergence, run.plain.learned) == (
        plain.first_nonfinite, plain.first_divergence, plain.learned)


@pytest.mark.parametrize("case", [c for c in CORPUS if c.half == "dev"][:6], ids=lambda c: c.name)
def test_builder_contract(case: Case) -> None:
    a, b = case.build(0), case.build(0)
    assert isinstance(a, Setup) and isinstance(a.optimizer, torch.optim.Optimizer)
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):  # deterministic per seed
        assert torch.equal(pa, pb)
    torch.manual_seed(1)  # the same dropout masks for each forward
    loss = a.closure(a.model)
    torch.manual_seed(1)
    assert loss.dim() == 0 and torch.equal(loss, a.compute_loss(a.model, a.batch))
    if a.loss_fn is not None:
        torch.manual_seed(1)
        assert torch.equal(loss, a.loss_fn(a.model(a.batch[0]), a.batch[1]))
    assert a.batches(0) is a.batch and a.batches(1) is not a.batch


# ---- ground truth, plain PyTorch, both halves -----------------------------------------------------------------------

@pytest.mark.parametrize("case", [c for c in LABELLED if c.healthy], ids=lambda c: c.name)
def test_healthy_trains(case: Case) -> None:
    run = _plain(case.name)
    assert run.first_nonfinite is None and run.first_divergence is None, run.losses[:20]
    assert all(math.isfinite(x) for x in run.losses)
    assert run.learned, f"{run.start:.3f} -> {run.end:.3f}"


@pytest.mark.parametrize("case", [c for c in LABELLED if not c.healthy], ids=lambda c: c.name)
def test_broken_shows_its_trouble(case: Case) -> None:
    run = _plain(case.name)
    assert run.failure_step(case.trouble) is not None, (
        f"{case.trouble}: {run.start:.3f} -> {run.end:.3f}, learned {run.learned}, growth {run.weight_growth:.1f}")


# ---- judgment targets, development half only ------------------------------------------------------------------------

@pytest.mark.parametrize("case", [_param(c, CAUSE_XFAIL) for c in DEV])
def test_dev_check_verdict(case: Case) -> None:
    j = _judged(case.name)
    if case.healthy:
        assert j.found == "healthy", j.evidence
    else:
        assert j.found in case.expected, f"{j.found}: {j.evidence}"


@pytest.mark.parametrize("case", [_param(c, EVENT_XFAIL) for c in DEV])
def test_dev_events(case: Case) -> None:
    j = _judged(case.name)
    if case.healthy:
        assert j.any_event is None, j.any_event
    else:
        assert j.first_event is not None, f"no accepted event ({case.events}); first: {j.any_event}"
        assert j.failure_step is None or j.first_event[0] <= j.failure_step, (j.first_event, j.failure_step)


def test_fresh21_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh21 import CONTROLS, FRESH21, KINDS

    _check_frozen_batch(FRESH21, "fresh21", CONTROLS, 16, min_cases=28)  # the brief: >= 12 healthy + 16 broken
    assert set(KINDS) == {c.name for c in FRESH21 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh22_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh22 import CONTROLS, FRESH22, KINDS

    _check_frozen_batch(FRESH22, "fresh22", CONTROLS, 16, min_cases=28)  # the brief: >= 12 healthy + 16 broken
    assert set(KINDS) == {c.name for c in FRESH22 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh23_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh23 import CONTROLS, FRESH23, KINDS

    _check_frozen_batch(FRESH23, "fresh23", CONTROLS, 16, min_cases=28)  # the brief: 13 healthy + ~20 broken
    assert set(KINDS) == {c.name for c in FRESH23 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh24_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh24 import CONTROLS, FRESH24, KINDS

    _check_frozen_batch(FRESH24, "fresh24", CONTROLS, 16, min_cases=28)  # the brief: 13 healthy + ~20 broken
    assert set(KINDS) == {c.name for c in FRESH24 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh25_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh25 import CONTROLS, FRESH25, KINDS

    _check_frozen_batch(FRESH25, "fresh25", CONTROLS, 16, min_cases=28)  # the brief: 13 healthy + ~19 broken
    assert set(KINDS) == {c.name for c in FRESH25 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh26_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh26 import CONTROLS, FRESH26, KINDS

    _check_frozen_batch(FRESH26, "fresh26", CONTROLS, 16, min_cases=28)  # the brief: 13 healthy + ~19 broken
    assert set(KINDS) == {c.name for c in FRESH26 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh27_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh27 import CONTROLS, FRESH27, KINDS

    _check_frozen_batch(FRESH27, "fresh27", CONTROLS, 16, min_cases=28)  # the brief: 13 healthy + ~19 broken
    assert set(KINDS) == {c.name for c in FRESH27 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh28_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh28 import CONTROLS, FRESH28, KINDS

    _check_frozen_batch(FRESH28, "fresh28", CONTROLS, 16, min_cases=28)  # the brief: 13 healthy + >= 18 broken
    assert set(KINDS) == {c.name for c in FRESH28 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh29_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh29 import CONTROLS, FRESH29, KINDS

    _check_frozen_batch(FRESH29, "fresh29", CONTROLS, 16, min_cases=28)  # the brief: 13 healthy + >= 19 broken
    assert set(KINDS) == {c.name for c in FRESH29 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh30_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh30 import CONTROLS, FRESH30, KINDS

    _check_frozen_batch(FRESH30, "fresh30", CONTROLS, 16, min_cases=27)  # 11 healthy + 16 broken (3 slips)
    assert set(KINDS) == {c.name for c in FRESH30 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh31_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh31 import CONTROLS, FRESH31, KINDS

    # 9 healthy (two planned ones, BiDAF and a CharCNN, did not learn and were dropped before the freeze) + 16 broken
    _check_frozen_batch(FRESH31, "fresh31", CONTROLS, 16, min_cases=25, min_healthy=9)
    assert set(KINDS) == {c.name for c in FRESH31 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh32_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh32 import CONTROLS, FRESH32, KINDS

    _check_frozen_batch(FRESH32, "fresh32", CONTROLS, 17, min_cases=27)  # 10 healthy + 17 broken (3 slips)
    assert set(KINDS) == {c.name for c in FRESH32 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh33_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh33 import CONTROLS, FRESH33, KINDS

    _check_frozen_batch(FRESH33, "fresh33", CONTROLS, 17, min_cases=27)  # 10 healthy + 17 broken (3 slips)
    assert set(KINDS) == {c.name for c in FRESH33 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh34_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh34 import CONTROLS, FRESH34, KINDS

    # 9 healthy (decomposable attention and a character CNN did not learn and were dropped before the freeze) + 16
    _check_frozen_batch(FRESH34, "fresh34", CONTROLS, 16, min_cases=25, min_healthy=9)
    assert set(KINDS) == {c.name for c in FRESH34 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh35_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh35 import CONTROLS, FRESH35, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: two more slips learned all the same and were dropped)
    _check_frozen_batch(FRESH35, "fresh35", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH35 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh36_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh36 import CONTROLS, FRESH36, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: an init, an activation, a recurrence and a numeric one)
    _check_frozen_batch(FRESH36, "fresh36", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH36 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh38_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh38 import CONTROLS, FRESH38, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: an init, an activation, a data and a numeric one)
    _check_frozen_batch(FRESH38, "fresh38", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH38 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh37_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh37 import CONTROLS, FRESH37, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: two lr, a regularization and a data one)
    _check_frozen_batch(FRESH37, "fresh37", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH37 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh45_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh45 import CONTROLS, FRESH45, KINDS

    # 8 healthy + 16 broken (12 common, 4 init-and-checkpoint slips: two init, an lr and a numeric one)
    _check_frozen_batch(FRESH45, "fresh45", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH45 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh46_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh46 import CONTROLS, FRESH46, KINDS

    # 8 healthy + 16 broken (12 common, 4 hand-written-loss slips: an activation, two data and a numeric one)
    _check_frozen_batch(FRESH46, "fresh46", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH46 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh47_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh47 import CONTROLS, FRESH47, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, an init, a numeric and a numeric one)
    _check_frozen_batch(FRESH47, "fresh47", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH47 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh48_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh48 import CONTROLS, FRESH48, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: an lr, an lr, a numeric and a regularization one)
    _check_frozen_batch(FRESH48, "fresh48", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH48 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh49_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh49 import CONTROLS, FRESH49, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, an lr, an lr and an lr one)
    _check_frozen_batch(FRESH49, "fresh49", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH49 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh50_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh50 import CONTROLS, FRESH50, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: an activation, a normalization, a numeric and a regularization one)
    _check_frozen_batch(FRESH50, "fresh50", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH50 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh51_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh51 import CONTROLS, FRESH51, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: an init, an lr, a normalization and a recurrence one)
    _check_frozen_batch(FRESH51, "fresh51", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH51 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh52_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh52 import CONTROLS, FRESH52, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: a data, a data and a data one)
    _check_frozen_batch(FRESH52, "fresh52", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH52 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh53_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh53 import CONTROLS, FRESH53, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: an activation, a numeric and a regularization one)
    _check_frozen_batch(FRESH53, "fresh53", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH53 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh54_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh54 import CONTROLS, FRESH54, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: an lr, an lr, an lr and an lr one)
    _check_frozen_batch(FRESH54, "fresh54", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH54 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh57_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh57 import CONTROLS, FRESH57, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, a numeric, a recurrence and a regularization one)
    _check_frozen_batch(FRESH57, "fresh57", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH57 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh55_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh55 import CONTROLS, FRESH55, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: an init, an init and an init one)
    _check_frozen_batch(FRESH55, "fresh55", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH55 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh56_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh56 import CONTROLS, FRESH56, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: an activation, a data and a recurrence one)
    _check_frozen_batch(FRESH56, "fresh56", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH56 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh59_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh59 import CONTROLS, FRESH59, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, a data, a data and a data one)
    _check_frozen_batch(FRESH59, "fresh59", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH59 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh62_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh62 import CONTROLS, FRESH62, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, a data, a normalization and a regularization one)
    _check_frozen_batch(FRESH62, "fresh62", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH62 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh60_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh60 import CONTROLS, FRESH60, KINDS

    # 8 healthy + 16 broken (11 common, 5 slips: a data, an init, an lr, a normalization and a numeric one)
    _check_frozen_batch(FRESH60, "fresh60", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH60 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh58_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh58 import CONTROLS, FRESH58, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: a data, a numeric and a numeric one)
    _check_frozen_batch(FRESH58, "fresh58", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH58 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh61_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh61 import CONTROLS, FRESH61, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, a depth, a normalization and a recurrence one)
    _check_frozen_batch(FRESH61, "fresh61", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH61 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh63_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh63 import CONTROLS, FRESH63, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: an activation, a normalization and a regularization one)
    _check_frozen_batch(FRESH63, "fresh63", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH63 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh64_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh64 import CONTROLS, FRESH64, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, an init, an init and a numeric one)
    _check_frozen_batch(FRESH64, "fresh64", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH64 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh66_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh66 import CONTROLS, FRESH66, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, a data, a numeric and a recurrence one)
    _check_frozen_batch(FRESH66, "fresh66", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH66 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh67_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh67 import CONTROLS, FRESH67, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, a numeric, a recurrence and a regularization one)
    _check_frozen_batch(FRESH67, "fresh67", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH67 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh65_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh65 import CONTROLS, FRESH65, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a data, a data, a data and a numeric one)
    _check_frozen_batch(FRESH65, "fresh65", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH65 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh69_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh69 import CONTROLS, FRESH69, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: an lr, an lr, an lr and a numeric one)
    _check_frozen_batch(FRESH69, "fresh69", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH69 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh70_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh70 import CONTROLS, FRESH70, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a recurrence and three regularization ones); its beta-TCVAE and
    # fresh68's were written in parallel, each before gradguard ran on either
    _check_frozen_batch(FRESH70, "fresh70", CONTROLS, 16, min_cases=24, min_healthy=8, parallel=("fresh68",))
    assert set(KINDS) == {c.name for c in FRESH70 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh72_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh72 import CONTROLS, FRESH72, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: a numeric, a numeric and a numeric one)
    _check_frozen_batch(FRESH72, "fresh72", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH72 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh71_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh71 import CONTROLS, FRESH71, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: a regularization, a regularization and a regularization one)
    _check_frozen_batch(FRESH71, "fresh71", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH71 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh68_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh68 import CONTROLS, FRESH68, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: an init and two numeric ones); its beta-TCVAE and fresh70's were
    # written in parallel, each before gradguard ran on either
    _check_frozen_batch(FRESH68, "fresh68", CONTROLS, 16, min_cases=24, min_healthy=8, parallel=("fresh70",))
    assert set(KINDS) == {c.name for c in FRESH68 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh76_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh76 import CONTROLS, FRESH76, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: a normalization, an lr and an init one);
    # written in parallel with fresh73, fresh74, fresh75, each before gradguard ran on any of them
    _check_frozen_batch(FRESH76, "fresh76", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh73', 'fresh74', 'fresh75'))
    assert set(KINDS) == {c.name for c in FRESH76 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh75_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh75 import CONTROLS, FRESH75, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: three numeric ones);
    # written in parallel with fresh73, fresh74, fresh76, each before gradguard ran on any of them
    _check_frozen_batch(FRESH75, "fresh75", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh73', 'fresh74', 'fresh76'))
    assert set(KINDS) == {c.name for c in FRESH75 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh74_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh74 import CONTROLS, FRESH74, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: a normalization, a normalization and a numeric one);
    # written in parallel with fresh73, fresh75, fresh76, each before gradguard ran on any of them
    _check_frozen_batch(FRESH74, "fresh74", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh73', 'fresh75', 'fresh76'))
    assert set(KINDS) == {c.name for c in FRESH74 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh73_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh73 import CONTROLS, FRESH73, KINDS

    # 8 healthy + 15 broken (13 common, 2 slips: a data and a data one; a third slip that fails at both seeds was
    # not found); written in parallel with fresh74, fresh75, fresh76, each before gradguard ran on any of them
    _check_frozen_batch(FRESH73, "fresh73", CONTROLS, 15, min_cases=23, min_healthy=8,
                        parallel=('fresh74', 'fresh75', 'fresh76'))
    assert set(KINDS) == {c.name for c in FRESH73 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh79_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh79 import CONTROLS, FRESH79, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: a numeric, a numeric and a numeric one);
    # written in parallel with fresh77, fresh78, fresh80, each before gradguard ran on any of them
    _check_frozen_batch(FRESH79, "fresh79", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh77', 'fresh78', 'fresh80'))
    assert set(KINDS) == {c.name for c in FRESH79 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh77_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh77 import CONTROLS, FRESH77, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: a data, a data and a data one);
    # written in parallel with fresh78, fresh79, fresh80, each before gradguard ran on any of them
    _check_frozen_batch(FRESH77, "fresh77", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh78', 'fresh79', 'fresh80'))
    assert set(KINDS) == {c.name for c in FRESH77 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh80_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh80 import CONTROLS, FRESH80, KINDS

    # 8 healthy + 15 broken (12 common, 3 slips: a regularization, a data and a numeric one; no recurrence or
    # normalization case failed in a plain run); written in parallel with fresh77, fresh78, fresh79, each before
    # gradguard ran on any of them
    _check_frozen_batch(FRESH80, "fresh80", CONTROLS, 15, min_cases=23, min_healthy=8,
                        parallel=('fresh77', 'fresh78', 'fresh79'), without=("recurrence", "normalization"))
    assert set(KINDS) == {c.name for c in FRESH80 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh78_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh78 import CONTROLS, FRESH78, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: a data, a numeric and an init one);
    # written in parallel with fresh77, fresh79, fresh80, each before gradguard ran on any of them
    _check_frozen_batch(FRESH78, "fresh78", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh77', 'fresh79', 'fresh80'))
    assert set(KINDS) == {c.name for c in FRESH78 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh81_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh81 import CONTROLS, FRESH81, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: input preprocessing and augmentation slips);
    # written in parallel with fresh82, fresh83, fresh84, each before gradguard ran on any of them
    _check_frozen_batch(FRESH81, "fresh81", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh82', 'fresh83', 'fresh84'))
    assert set(KINDS) == {c.name for c in FRESH81 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh82_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh82 import CONTROLS, FRESH82, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: loss-reduction and target-encoding slips);
    # written in parallel with fresh81, fresh83, fresh84, each before gradguard ran on any of them
    _check_frozen_batch(FRESH82, "fresh82", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh81', 'fresh83', 'fresh84'))
    assert set(KINDS) == {c.name for c in FRESH82 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh83_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh83 import CONTROLS, FRESH83, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: dtype and precision slips);
    # written in parallel with fresh81, fresh82, fresh84, each before gradguard ran on any of them
    _check_frozen_batch(FRESH83, "fresh83", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh81', 'fresh82', 'fresh84'))
    assert set(KINDS) == {c.name for c in FRESH83 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh84_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh84 import CONTROLS, FRESH84, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: train/eval, detach and requires_grad slips);
    # written in parallel with fresh81, fresh82, fresh83, each before gradguard ran on any of them
    _check_frozen_batch(FRESH84, "fresh84", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh81', 'fresh82', 'fresh83'))
    assert set(KINDS) == {c.name for c in FRESH84 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh85_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh85 import CONTROLS, FRESH85, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: gradient accumulation and batching mistakes);
    # written in parallel with fresh86, fresh87, fresh88, each before gradguard ran on any of them
    _check_frozen_batch(FRESH85, "fresh85", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh86', 'fresh87', 'fresh88'))
    assert set(KINDS) == {c.name for c in FRESH85 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh86_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh86 import CONTROLS, FRESH86, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: attention masking and sequence handling mistakes);
    # written in parallel with fresh85, fresh87, fresh88, each before gradguard ran on any of them
    _check_frozen_batch(FRESH86, "fresh86", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh85', 'fresh87', 'fresh88'))
    assert set(KINDS) == {c.name for c in FRESH86 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh87_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh87 import CONTROLS, FRESH87, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: parameter registration and weight sharing mistakes);
    # written in parallel with fresh85, fresh86, fresh88, each before gradguard ran on any of them
    _check_frozen_batch(FRESH87, "fresh87", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh85', 'fresh86', 'fresh88'))
    assert set(KINDS) == {c.name for c in FRESH87 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh88_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh88 import CONTROLS, FRESH88, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: hand-written numerically sensitive formulas);
    # written in parallel with fresh85, fresh86, fresh87, each before gradguard ran on any of them
    _check_frozen_batch(FRESH88, "fresh88", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh85', 'fresh86', 'fresh87'))
    assert set(KINDS) == {c.name for c in FRESH88 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh92_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh92 import CONTROLS, FRESH92, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: manual gradient handling mistakes);
    # written in parallel with fresh89, fresh90, fresh91, each before gradguard ran on any of them
    _check_frozen_batch(FRESH92, "fresh92", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh89', 'fresh90', 'fresh91'))
    assert set(KINDS) == {c.name for c in FRESH92 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh91_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh91 import CONTROLS, FRESH91, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: hand-written initialisation code mistakes);
    # written in parallel with fresh89, fresh90, fresh92, each before gradguard ran on any of them
    _check_frozen_batch(FRESH91, "fresh91", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh89', 'fresh90', 'fresh92'))
    assert set(KINDS) == {c.name for c in FRESH91 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh89_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh89 import CONTROLS, FRESH89, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: residual and block wiring mistakes);
    # written in parallel with fresh90, fresh91, fresh92, each before gradguard ran on any of them
    _check_frozen_batch(FRESH89, "fresh89", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh90', 'fresh91', 'fresh92'))
    assert set(KINDS) == {c.name for c in FRESH89 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh90_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh90 import CONTROLS, FRESH90, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: optimizer and scheduler configuration mistakes);
    # written in parallel with fresh89, fresh91, fresh92, each before gradguard ran on any of them
    _check_frozen_batch(FRESH90, "fresh90", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh89', 'fresh91', 'fresh92'))
    assert set(KINDS) == {c.name for c in FRESH90 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh95_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh95 import CONTROLS, FRESH95, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: sampling, class weighting and loss weighting);
    # written in parallel with fresh93, fresh94, fresh96, each before gradguard ran on any of them
    _check_frozen_batch(FRESH95, "fresh95", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh93', 'fresh94', 'fresh96'))
    assert set(KINDS) == {c.name for c in FRESH95 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh94_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh94 import CONTROLS, FRESH94, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: teacher forcing, target shifting and decoding loops);
    # written in parallel with fresh93, fresh95, fresh96, each before gradguard ran on any of them
    _check_frozen_batch(FRESH94, "fresh94", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh93', 'fresh95', 'fresh96'))
    assert set(KINDS) == {c.name for c in FRESH94 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh93_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh93 import CONTROLS, FRESH93, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: activation and output-layer choice and placement);
    # written in parallel with fresh94, fresh95, fresh96, each before gradguard ran on any of them
    _check_frozen_batch(FRESH93, "fresh93", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh94', 'fresh95', 'fresh96'))
    assert set(KINDS) == {c.name for c in FRESH93 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh96_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh96 import CONTROLS, FRESH96, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: scaling constants of an objective);
    # written in parallel with fresh93, fresh94, fresh95, each before gradguard ran on any of them
    _check_frozen_batch(FRESH96, "fresh96", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh93', 'fresh94', 'fresh95'))
    assert set(KINDS) == {c.name for c in FRESH96 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh99_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh99 import CONTROLS, FRESH99, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: residual, skip and aggregation-wiring mistakes);
    # written in parallel with fresh97, fresh98, fresh100, each before gradguard ran on any of them
    _check_frozen_batch(FRESH99, "fresh99", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh97', 'fresh98', 'fresh100'))
    assert set(KINDS) == {c.name for c in FRESH99 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh100_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh100 import CONTROLS, FRESH100, KINDS

    # 8 healthy + 15 broken (13 common, 2 slips: iterative-rollout and step-size mistakes; its author's commit message
    # says 16 and 3, its docstring the true counts); written in parallel with fresh97, fresh98, fresh99, each before
    # gradguard ran on any of them
    _check_frozen_batch(FRESH100, "fresh100", CONTROLS, 15, min_cases=23, min_healthy=8,
                        parallel=('fresh97', 'fresh98', 'fresh99'))
    assert set(KINDS) == {c.name for c in FRESH100 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh97_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh97 import CONTROLS, FRESH97, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: normalisation-layer configuration mistakes);
    # written in parallel with fresh98, fresh99, fresh100, each before gradguard ran on any of them
    _check_frozen_batch(FRESH97, "fresh97", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh98', 'fresh99', 'fresh100'))
    assert set(KINDS) == {c.name for c in FRESH97 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh98_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh98 import CONTROLS, FRESH98, KINDS

    # 8 healthy + 15 broken (13 common, 2 slips: weight-tying, parameter-sharing and embedding-scaling mistakes;
    # its author found no third that fails a plain run); written in parallel with fresh97, fresh99, fresh100, each
    # before gradguard ran on any of them
    _check_frozen_batch(FRESH98, "fresh98", CONTROLS, 15, min_cases=23, min_healthy=8,
                        parallel=('fresh97', 'fresh99', 'fresh100'))
    assert set(KINDS) == {c.name for c in FRESH98 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh101_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh101 import CONTROLS, FRESH101, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: pooling, reduction and resolution-arithmetic slips);
    # written in parallel with fresh102, fresh103, fresh104, each before gradguard ran on any of them
    _check_frozen_batch(FRESH101, "fresh101", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh102', 'fresh103', 'fresh104'))
    assert set(KINDS) == {c.name for c in FRESH101 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh102_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh102 import CONTROLS, FRESH102, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: positional-encoding and sequence-length slips);
    # written in parallel with fresh101, fresh103, fresh104, each before gradguard ran on any of them
    _check_frozen_batch(FRESH102, "fresh102", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh101', 'fresh103', 'fresh104'))
    assert set(KINDS) == {c.name for c in FRESH102 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh103_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh103 import CONTROLS, FRESH103, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: feature-encoding and embedding-table slips);
    # written in parallel with fresh101, fresh102, fresh104, each before gradguard ran on any of them
    _check_frozen_batch(FRESH103, "fresh103", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh101', 'fresh102', 'fresh104'))
    assert set(KINDS) == {c.name for c in FRESH103 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh104_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh104 import CONTROLS, FRESH104, KINDS

    # 8 healthy + 15 broken (13 common, 2 stop-gradient, target-network and EMA slips: its author dropped a third
    # that learned at seed 1);
    # written in parallel with fresh101, fresh102, fresh103, each before gradguard ran on any of them
    _check_frozen_batch(FRESH104, "fresh104", CONTROLS, 15, min_cases=23, min_healthy=8,
                        parallel=('fresh101', 'fresh102', 'fresh103'))
    assert set(KINDS) == {c.name for c in FRESH104 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh105_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh105 import CONTROLS, FRESH105, KINDS

    # 8 healthy + 13 broken (13 common; no slip: its author found no residual, skip-connection or branch-merging
    # slip that fails a plain run on these models in the time given, and froze the floor of the brief);
    # written in parallel with fresh106, fresh107, fresh108, each before gradguard ran on any of them
    _check_frozen_batch(FRESH105, "fresh105", CONTROLS, 13, min_cases=21, min_healthy=8,
                        parallel=('fresh106', 'fresh107', 'fresh108'))
    assert set(KINDS) == {c.name for c in FRESH105 if not c.healthy} and set(KINDS.values()) == {"common"}


def test_fresh106_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh106 import CONTROLS, FRESH106, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: gradient-accumulation, loss-scaling and batch-averaging slips);
    # written in parallel with fresh105, fresh107, fresh108, each before gradguard ran on any of them
    _check_frozen_batch(FRESH106, "fresh106", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh105', 'fresh107', 'fresh108'))
    assert set(KINDS) == {c.name for c in FRESH106 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh107_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh107 import CONTROLS, FRESH107, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: weight-reparameterisation and parameter-sharing slips);
    # written in parallel with fresh105, fresh106, fresh108, each before gradguard ran on any of them
    _check_frozen_batch(FRESH107, "fresh107", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh105', 'fresh106', 'fresh108'))
    assert set(KINDS) == {c.name for c in FRESH107 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh108_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh108 import CONTROLS, FRESH108, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: loss-weighting, annealing and target-smoothing slips);
    # written in parallel with fresh105, fresh106, fresh107, each before gradguard ran on any of them
    _check_frozen_batch(FRESH108, "fresh108", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh105', 'fresh106', 'fresh107'))
    assert set(KINDS) == {c.name for c in FRESH108 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh109_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh109 import CONTROLS, FRESH109, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: tensor-layout slips);
    # written in parallel with fresh110, fresh111, fresh112, each before gradguard ran on any of them
    _check_frozen_batch(FRESH109, "fresh109", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh110', 'fresh111', 'fresh112'))
    assert set(KINDS) == {c.name for c in FRESH109 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh110_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh110 import CONTROLS, FRESH110, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: vocabulary, special-token and ignore-index slips);
    # written in parallel with fresh109, fresh111, fresh112, each before gradguard ran on any of them
    _check_frozen_batch(FRESH110, "fresh110", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh109', 'fresh111', 'fresh112'))
    assert set(KINDS) == {c.name for c in FRESH110 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh111_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh111 import CONTROLS, FRESH111, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: graph-normalisation and negative-sampling slips);
    # written in parallel with fresh109, fresh110, fresh112, each before gradguard ran on any of them
    _check_frozen_batch(FRESH111, "fresh111", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh109', 'fresh110', 'fresh112'))
    assert set(KINDS) == {c.name for c in FRESH111 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh112_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh112 import CONTROLS, FRESH112, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: parameterisation-convention slips);
    # written in parallel with fresh109, fresh110, fresh111, each before gradguard ran on any of them
    _check_frozen_batch(FRESH112, "fresh112", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh109', 'fresh110', 'fresh111'))
    assert set(KINDS) == {c.name for c in FRESH112 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh113_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh113 import CONTROLS, FRESH113, KINDS

    # 8 healthy + 17 broken (14 common, 3 slips: library-call contract slips);
    # written in parallel with fresh114, fresh115, fresh116, each before gradguard ran on any of them
    _check_frozen_batch(FRESH113, "fresh113", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh114', 'fresh115', 'fresh116'))
    assert set(KINDS) == {c.name for c in FRESH113 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh114_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh114 import CONTROLS, FRESH114, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: augmentation and pairing slips);
    # written in parallel with fresh113, fresh115, fresh116, each before gradguard ran on any of them
    _check_frozen_batch(FRESH114, "fresh114", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh113', 'fresh115', 'fresh116'))
    assert set(KINDS) == {c.name for c in FRESH114 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh115_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh115 import CONTROLS, FRESH115, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: custom-gradient slips);
    # written in parallel with fresh113, fresh114, fresh116, each before gradguard ran on any of them
    _check_frozen_batch(FRESH115, "fresh115", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh113', 'fresh114', 'fresh116'))
    assert set(KINDS) == {c.name for c in FRESH115 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh116_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh116 import CONTROLS, FRESH116, KINDS

    # 8 healthy + 16 broken (13 common, 3 slips: return, discount and bootstrapping slips);
    # written in parallel with fresh113, fresh114, fresh115, each before gradguard ran on any of them
    _check_frozen_batch(FRESH116, "fresh116", CONTROLS, 16, min_cases=24, min_healthy=8,
                        parallel=('fresh113', 'fresh114', 'fresh115'))
    assert set(KINDS) == {c.name for c in FRESH116 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh43_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh43 import CONTROLS, FRESH43, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips in the model code: an activation, a data, an init and a numeric one)
    _check_frozen_batch(FRESH43, "fresh43", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH43 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh44_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh44 import CONTROLS, FRESH44, KINDS

    # 8 healthy + 16 broken (12 common, 4 set-up slips: an init, an lr, a normalization and a numeric one)
    _check_frozen_batch(FRESH44, "fresh44", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH44 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh41_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh41 import CONTROLS, FRESH41, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips in the data pipeline: three data and a numeric one)
    _check_frozen_batch(FRESH41, "fresh41", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH41 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh42_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh42 import CONTROLS, FRESH42, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips in the training code: three lr and a numeric one)
    _check_frozen_batch(FRESH42, "fresh42", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH42 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh40_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh40 import CONTROLS, FRESH40, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: an activation, an lr, a regularization and a data one)
    _check_frozen_batch(FRESH40, "fresh40", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH40 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}


def test_fresh39_batch_size_labels_and_half() -> None:
    from judgment_corpus.fresh39 import CONTROLS, FRESH39, KINDS

    # 8 healthy + 16 broken (12 common, 4 slips: a depth, two recurrence and a numeric one)
    _check_frozen_batch(FRESH39, "fresh39", CONTROLS, 16, min_cases=24, min_healthy=8)
    assert set(KINDS) == {c.name for c in FRESH39 if not c.healthy} and set(KINDS.values()) == {"common", "slip"}
