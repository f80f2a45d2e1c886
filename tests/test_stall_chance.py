"""The stall detector's at-chance mode: a loss held above the uniform guess's log(C) while the weights are stepped,
with log(C) given or inferred from the model's output; and its per-step path (checks every ``every`` steps)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard import ConfigError
from gradguard._guard_setup import bind_model
from gradguard.detectors import StallDetector
from gradguard.detectors.chance import OutputWidth, chance_of, loss_kind
from gradguard.stats import StepStats

L = 3
C10 = math.log(10)


def make(step: int, loss: float, lr: float = 0.1) -> StepStats:
    return StepStats(step=step, loss=loss, grad_norm=1.0, scale=None, lrs=(lr,), layer_grad_norm=np.ones(L),
                     layer_grad_maxabs=np.ones(L), layer_grad_nonfinite=np.zeros(L, np.int64),
                     layer_weight_norm=np.ones(L), layer_has_grad=np.ones(L, bool))


def at_chance(det: StallDetector, losses: list[float], lrs: list[float] | None = None) -> list[int]:
    out = []
    for step, loss in enumerate(losses):
        lr = 0.1 if lrs is None else lrs[step]
        out += [step for e in det(make(step, loss, lr), ["a", "b", "c"]) if e.evidence["mode"] == "at_chance"]
    return out


def test_at_chance_fires_above_the_margin_once_per_episode_and_not_at_chance_itself() -> None:
    rng = np.random.default_rng(0)
    above = list(1.3 * C10 + 0.05 * rng.normal(size=120))
    # 120 steps 30% above log(10), 60 steps learning, 120 steps above again: two episodes (the second once most
    # of the last 50 losses are above again: step 205)
    series = above + [0.5 * C10] * 60 + above
    assert at_chance(StallDetector(chance_loss=C10), series) == [50, 205]
    # exactly at chance (an LSTM LM at SGD lr 20 starts so): inside the 10% margin, no event
    assert at_chance(StallDetector(chance_loss=C10), list(C10 + 0.02 * rng.normal(size=200))) == []
    assert at_chance(StallDetector(chance_loss=C10, chance_margin=0.0), list(C10 + 0.01 + 0.001 * rng.normal(
        size=60))) == [50]
    assert at_chance(StallDetector(chance_loss=None), above) == []
    assert at_chance(StallDetector(), above) == []  # "auto" without a bound model: nothing to infer from


def test_at_chance_waits_for_the_warm_up_and_needs_a_learning_rate() -> None:
    loss = [1.5 * C10] * 300
    ramp = [1e-3 * min(1.0, s / 150) for s in range(300)]  # linear warm-up over 150 steps
    steps = at_chance(StallDetector(chance_loss=C10), loss, ramp)
    # it fires at the first check where the lr has risen by no more than 5% over the window, lr(s) <= 1.05 lr(s - 50)
    first = next(s for s in range(50, 300, 5) if ramp[s] <= 1.05 * ramp[s - 50])
    assert steps == [first] == [195]
    assert at_chance(StallDetector(chance_loss=C10), loss, [0.0] * 300) == []


def test_chance_inference_rules() -> None:
    assert loss_kind(nn.CrossEntropyLoss()) == loss_kind(F.cross_entropy) == loss_kind(nn.NLLLoss()) == "ce"
    assert loss_kind(nn.MSELoss()) == "other" and loss_kind(lambda o, t: o.sum()) == loss_kind(None) == "unknown"
    assert chance_of(10, "ce", False, None) == pytest.approx(C10)
    assert chance_of(10, "unknown", True, 0.01) == pytest.approx(C10)  # the model computes its own loss
    # with neither: an untrained classifier's first loss, within what a cross-entropy of its logits can be
    assert chance_of(10, "unknown", False, 2.0, (1.5, 3.0)) == pytest.approx(C10)
    assert chance_of(10, "unknown", False, 2.0) is None  # no logits seen
    assert chance_of(10, "unknown", False, 30.0, (1.5, 3.0)) is None  # a regression loss on another scale
    assert chance_of(10, "unknown", False, 0.3, (0.1, 3.0)) is None  # far below log C: not an untrained classifier
    assert chance_of(10, "other", True, 9.0) is None and chance_of(1, "ce", False, 9.0) is None
    assert chance_of(None, "ce", False, 9.0) is None


@pytest.mark.parametrize(("output", "classes", "own"), [
    (torch.zeros(4, 10), 10, False),
    ((torch.zeros(4, 7, 64), torch.zeros(1, 4, 8)), 64, False),  # (logits, hidden) of an RNN LM
    (SimpleNamespace(loss=torch.tensor(1.0), logits=torch.zeros(4, 7, 50)), 50, True),  # HF-style output
    (torch.zeros(4, 3, 8, 8), None, False),  # an image: the class dimension is not the last
    (torch.zeros(4, 1), None, False),  # a regression
    (torch.zeros(4, 10, dtype=torch.long), None, False),
])
def test_output_width_reads_the_first_output_and_removes_its_hook(output: object, classes: int | None,
                                                                 own: bool) -> None:
    class Fixed(nn.Module):
        def forward(self, x: torch.Tensor) -> object:
            return output

    model = Fixed()
    width = OutputWidth(model)
    model(torch.zeros(1))
    assert width.seen and width.classes == classes and width.own_loss == own
    assert not model._forward_hooks  # one-shot
    if classes is not None:  # zero logits: every cross-entropy of them is log C
        assert width.ce_range == pytest.approx((math.log(classes), math.log(classes)))


def test_output_width_ce_range_holds_the_cross_entropy_of_its_logits() -> None:
    torch.manual_seed(0)
    model = nn.Linear(6, 5)
    width = OutputWidth(model)
    x, y = torch.randn(32, 6) * 5, torch.randint(0, 5, (32,))
    loss = float(F.cross_entropy(model(x), y).detach())
    assert width.ce_range is not None and width.ce_range[0] <= loss <= width.ce_range[1]


def _classifier_run(scale: float, loss_fn: nn.Module | None = None, steps: int = 80) -> list[tuple[int, str]]:
    """A tanh MLP on 10 teacher-labelled classes, its weights scaled by ``scale``, Adam 1e-3, under a monitoring
    guard whose detectors are bound to the model (what the guard's hook does)."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    teacher = torch.randn(16, 10, generator=g)
    data = [(x, (x @ teacher).argmax(1)) for x in (torch.randn(64, 16, generator=g) for _ in range(8))]
    model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 10))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    events: list[tuple[int, str]] = []
    with gradguard.Guard(model, opt, policy="monitor", loss_fn=loss_fn) as guard:
        bind_model(guard.detectors, model, loss_fn)
        for step in range(steps):
            x, y = data[step % 8]
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            report = guard.step(loss.detach())
            events += [(e.step, e.evidence.get("mode", e.kind)) for e in report.events if e.kind == "stall"]
    return events


def test_a_regression_on_a_large_scale_is_not_taken_for_a_classifier() -> None:
    """Three outputs regressed on targets of scale 30 (MSE outside the guard): the first loss is no cross-entropy
    of those outputs, so no chance loss is inferred although the loss stays far above log(3) for 80 steps."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(64, 16)
    y = 30 * torch.randn(64, 3)
    with gradguard.Guard(model, opt, policy="monitor") as guard:
        bind_model(guard.detectors, model, None)
        stall = next(d for d in guard.detectors if isinstance(d, StallDetector))
        events = []
        for _ in range(80):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            events += guard.step(loss.detach()).events
    assert float(loss) > 100 * math.log(3) and stall.chance is None
    assert not [e for e in events if e.kind == "stall"]


def test_a_real_classifier_with_a_30x_init_is_told_at_chance_and_the_default_init_is_not() -> None:
    assert _classifier_run(30.0) == [(50, "at_chance")]  # its loss sits at 8-10x log(10)
    assert _classifier_run(1.0) == []  # learns from 0.97x log(10) down
    assert _classifier_run(30.0, loss_fn=nn.MSELoss()) == []  # the guard's loss_fn is not a cross-entropy


def test_an_inferred_chance_loss_survives_a_state_round_trip() -> None:
    model = nn.Linear(4, 5)
    nn.init.zeros_(model.bias)
    det = StallDetector()
    bind_model([det], model, None)
    model(torch.zeros(2, 4))  # zero logits: the first loss of a cross-entropy on them is log 5
    det(make(0, math.log(5)), ["a", "b", "c"])
    assert det.chance == pytest.approx(math.log(5)) and det.chance_source == "output width 5"
    other = StallDetector()
    bind_model([other], nn.Linear(4, 7), None)
    other.load_state_dict(det.state_dict())
    assert other.chance == pytest.approx(math.log(5)) and other._width is None


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"chance_loss": -1.0}, "chance_loss"), ({"chance_loss": "log10"}, "chance_loss"),
    ({"chance_loss": True}, "chance_loss"), ({"chance_loss": math.inf}, "chance_loss"),
    ({"chance_window": 2}, "chance_window"), ({"chance_margin": -0.1}, "chance_margin"),
])
def test_bad_chance_settings_name_the_setting(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        StallDetector(**kwargs)  # type: ignore[arg-type]


def test_at_chance_waits_while_the_loss_is_still_coming_down() -> None:
    # an over-confident start far above chance that the run is leaving (GAT: 4.4 -> 1.9 in 50 steps, then on down)
    falling = [0.7 * C10 + 2.3 * C10 * math.exp(-s / 25) for s in range(150)]
    assert at_chance(StallDetector(chance_loss=C10), falling) == []
    # the same start that stops falling above chance (at 1.18x) is told, once its pace no longer gets it there
    stuck = falling[:40] + [falling[39]] * 110
    fired = at_chance(StallDetector(chance_loss=C10), stuck)
    assert fired and 50 <= fired[0] <= 100, fired
    # a blown-up start that descends too slowly to reach chance soon (a transformer at N(0, 1): 18 -> 15 -> 13 ...)
    slow = [4.4 * C10 * math.exp(-s / 300) for s in range(120)]
    assert at_chance(StallDetector(chance_loss=C10), slow) == [50]


def _first_backward(model: nn.Module, loss_of: object, x: torch.Tensor) -> tuple[OutputWidth, float]:
    width = OutputWidth(model)
    loss = loss_of(model(x))  # type: ignore[operator]
    loss.backward()
    return width, float(loss.detach())


def test_a_regression_whose_loss_lies_in_the_cross_entropy_range_is_told_apart_by_its_gradient() -> None:
    """An 8-wide regression (a score net's shape) whose squared error lies in the range of a cross-entropy of its
    outputs: the loss alone reads as an 8-class classifier; the first gradient's rows do not sum to 0."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 8))
    with torch.no_grad():
        model[2].weight.mul_(10)
    x, y = torch.randn(64, 8), 2 * torch.randn(64, 8)
    width, loss = _first_backward(model, lambda out: F.mse_loss(out, y), x)
    assert width.classes == 8 and width.ce_range is not None
    assert chance_of(8, "unknown", False, loss, width.ce_range) == pytest.approx(math.log(8))  # the loss alone
    assert width.ce_grad is False
    assert chance_of(8, "unknown", False, loss, width.ce_range, width.ce_grad) is None


@pytest.mark.parametrize("kind", ["plain", "smoothed", "nll"])
def test_a_cross_entropy_of_the_user_s_own_writing_keeps_its_chance_loss(kind: str) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 5))
    if kind == "nll":
        model.append(nn.LogSoftmax(dim=-1))
    x, y = torch.randn(48, 8), torch.randint(0, 5, (48,))
    losses = {"plain": lambda out: F.cross_entropy(out, y), "smoothed": lambda out: F.cross_entropy(
        out, y, label_smoothing=0.1), "nll": lambda out: F.nll_loss(out, y)}
    width, loss = _first_backward(model, losses[kind], x)
    assert width.ce_grad is True
    assert chance_of(5, "unknown", False, loss, width.ce_range, width.ce_grad) == pytest.approx(math.log(5))


def test_at_chance_holds_its_fire_while_the_last_losses_are_under_chance_already() -> None:
    # fresh112's InstDisc (512 instances, temperature 0.07): its loss rises from 1.31x chance to 2.3x as the memory
    # bank fills, holds there, and comes down through chance over steps 38-50, where the window's median and the
    # last quarter's are still above it
    chance = math.log(512)
    rise = list(np.linspace(8.2, 13.6, 21)) + [13.4] * 17
    fall = list(np.linspace(12.3, 4.8, 13))
    assert at_chance(StallDetector(chance_loss=chance), rise + fall + list(np.linspace(4.7, 0.5, 150))) == []
    # the same rise that then stays up is told once the window is full, and so is a fall that stops short of the
    # threshold (its last losses at 1.2x chance)
    assert at_chance(StallDetector(chance_loss=chance), rise + [13.0] * 30) == [50]
    assert at_chance(StallDetector(chance_loss=chance), rise + list(np.linspace(12.3, 7.5, 13))) == [50]
