"""check steps a copy of a custom optimizer (its own attributes kept) and names a decay it applies whatever the data."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.batch import resolve_step
from gradguard.diagnosis.optcopy import copy_optimizer
from gradguard.diagnosis.probe import run_probe
from gradguard.diagnosis.stepsize import analyse_step
from judgment_corpus.fresh11_models import DecayingAdam as HandDecayAdam  # Adam + a hand-written decay


def _setup(seed: int = 0) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor]]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
    return model, (torch.randn(128, 16), torch.randint(0, 4, (128,)))


def test_copy_optimizer_keeps_subclass_attributes_and_drops_hooks() -> None:
    model, _ = _setup()
    opt = HandDecayAdam(model.parameters(), wd=0.5, slip=True)
    opt.register_step_post_hook(lambda *a: None)
    assert not hasattr(copy.deepcopy(opt), "slip")  # what torch's pickling does
    memo: dict = {}
    twin = copy_optimizer(opt, memo)
    assert twin.wd == 0.5 and twin.slip is True
    assert not twin._optimizer_step_post_hooks and opt._optimizer_step_post_hooks


def test_hand_written_decay_slip_is_regularization_and_the_weights_are_untouched() -> None:
    model, batch = _setup()
    before = [p.detach().clone() for p in model.parameters()]
    opt = HandDecayAdam(model.parameters(), wd=1e-4, slip=True)
    d = gradguard.check(model, batch, F.cross_entropy, opt)
    assert d.top is not None and d.top.cause == "regularization" and d.top.severity == "critical", d.top
    assert abs(d.top.evidence["shrink_per_step"] - (1 - 1e-4)) < 1e-6
    assert not any("lr check skipped" in n for n in d.notes)
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
    assert not opt.state  # the user's optimizer never stepped


def test_correct_hand_written_decay_and_torch_optimizers_are_silent() -> None:
    for make in (lambda ps: HandDecayAdam(ps, lr=1e-3, wd=0.05),
                 lambda ps: torch.optim.AdamW(ps, lr=1e-3, weight_decay=0.1),
                 lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=5e-4)):
        model, batch = _setup()
        d = gradguard.check(model, batch, F.cross_entropy, make(model.parameters()))
        assert not any(f.cause == "regularization" and f.severity != "info" for f in d.findings), d.top


def test_bare_shrink_is_the_decay_of_a_zero_gradient_step() -> None:
    model, batch = _setup()
    step = resolve_step(batch, F.cross_entropy, None)
    probe = run_probe(model, step)
    torch_adamw = analyse_step(model, step.run, probe, torch.optim.AdamW(model.parameters(), weight_decay=0.1),
                               line_search=False)
    assert torch_adamw.bare_shrink == {}  # weight_decay is set to 0 for this step: nothing moves
    hand = analyse_step(model, step.run, probe, HandDecayAdam(model.parameters(), lr=1e-2, wd=0.5),
                        line_search=False)
    assert set(hand.bare_shrink) == {"0.weight", "2.weight", "4.weight"}
    assert all(abs(c - 5e-3) < 1e-6 for c in hand.bare_shrink.values())
