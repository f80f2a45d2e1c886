"""The quiet sensors (issue 12, session 12): faults whose first batch's gradients look healthy. Each fires on the
fault and stays silent on its healthy counterpart, on small real models and real losses."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.quiet import ADAM_TINY_SHARE, IDEAL_CHANCE_SHARE

CLASSES = 4


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, CLASSES))


def _batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(128, 16, generator=g)
    teacher = torch.randn(16, CLASSES, generator=g)
    return x, (x @ teacher).argmax(1)


def _quiet(d: gradguard.Diagnosis, key: str) -> list[gradguard.Finding]:
    return [f for f in d.findings if key in f.evidence]


# ---- a loss dominated by a penalty --------------------------------------------------------------------------------

def _penalised(coef: float) -> gradguard.Diagnosis:
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def loss_fn(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out, y) + coef * sum((p ** 2).sum() for p in model.parameters())
    return gradguard.check(model, _batch(), loss_fn, opt)


def test_penalty_summed_over_weights_is_found() -> None:
    d = _penalised(1.0)
    found = _quiet(d, "grad_weight_cosine_median")
    assert len(found) == 1
    f = found[0]
    assert f.cause == "regularization" and f.severity == "critical"
    assert f.evidence["grad_weight_cosine_median"] > 0.9
    assert f.evidence["implied_l2_coefficient"] == pytest.approx(1.0, rel=0.2)
    assert d.top is f


def test_small_penalty_and_plain_loss_are_silent() -> None:
    for coef in (0.0, 1e-4):
        d = _penalised(coef)
        assert not _quiet(d, "grad_weight_cosine_median"), coef
        assert d.healthy, [f.message for f in d.findings if f.severity != "info"]


def test_all_positive_init_is_not_a_penalty() -> None:
    # uniform(0, 1) weights: W and g share a large mean component (uncentred cos(g, W) about 0.8 on the first two
    # matrices, with coefficients that agree); centred, the gradient is orthogonal to the weights
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                          nn.Linear(16, CLASSES))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.uniform_(m.weight, 0.0, 1.0)
    d = gradguard.check(model, _batch(), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))
    assert not _quiet(d, "grad_weight_cosine_median")


# ---- a learning rate far too small ---------------------------------------------------------------------------------

def _with_opt(make_opt, schedule=None) -> gradguard.Diagnosis:
    model = _mlp()
    opt = make_opt(model.parameters())
    sched = schedule(opt) if schedule is not None else None
    return gradguard.check(model, _batch(), F.cross_entropy, opt, scheduler=sched)


def test_adam_lr_far_too_small_is_found() -> None:
    d = _with_opt(lambda p: torch.optim.AdamW(p, lr=1e-7))
    found = _quiet(d, "peak_step_to_weight")
    assert len(found) == 1 and found[0].cause == "lr"
    assert found[0].evidence["peak_step_to_weight"] < ADAM_TINY_SHARE
    assert 1e-4 < found[0].evidence["suggested_lr"] < 1e-2
    assert d.top is found[0]


def test_lambda_returning_the_lr_is_found_and_named() -> None:
    warm = lambda s: min(1.0, (s + 1) / 10)  # noqa: E731
    d = _with_opt(lambda p: torch.optim.AdamW(p, lr=1e-3),
                  lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: 1e-3 * warm(s)))
    found = _quiet(d, "peak_step_to_weight")
    assert len(found) == 1
    assert found[0].evidence["lambda_peak_factor"] == pytest.approx(1e-3)
    assert "LambdaLR" in found[0].message
    assert d.top is found[0]


def test_small_healthy_rates_and_warmup_from_zero_are_silent() -> None:
    cases = [
        (lambda p: torch.optim.AdamW(p, lr=2e-5), None),  # a fine-tuning rate
        (lambda p: torch.optim.AdamW(p, lr=1e-3),  # warm-up from 0: judged at its peak
         lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: s / 100)),
        (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), None),
    ]
    for make, sched in cases:
        d = _with_opt(make, sched)
        assert not _quiet(d, "peak_step_to_weight")


def test_adam_eps_above_the_gradient_is_found_and_named() -> None:
    # eps=1 (TensorFlow's Inception advice) makes each step lr * |g| / eps: the lr alone looks healthy
    d = _with_opt(lambda p: torch.optim.AdamW(p, lr=5e-4, eps=1.0))
    found = _quiet(d, "peak_step_to_weight")
    assert len(found) == 1 and found[0].cause == "lr" and d.top is found[0]
    ev = found[0].evidence
    assert ev["eps"] == 1.0 and ev["peak_step_to_weight"] < ADAM_TINY_SHARE < ev["step_to_weight_small_eps"]
    assert "eps=1" in found[0].message and "group['eps'] = 1e-8" in found[0].code
    for eps in (1e-8, 1e-6):  # the usual values: silent, and the message never blames eps
        assert not _quiet(_with_opt(lambda p, e=eps: torch.optim.AdamW(p, lr=1e-3, eps=e)), "peak_step_to_weight")
    tiny = _quiet(_with_opt(lambda p: torch.optim.AdamW(p, lr=1e-7)), "peak_step_to_weight")
    assert len(tiny) == 1 and "eps" not in tiny[0].evidence  # a tiny lr is still the lr


def test_run_under_way_is_not_judged() -> None:
    # an optimizer that holds state: the lr may be a schedule's decayed end, which the check cannot tell
    model = _mlp()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-7)
    x, y = _batch()
    F.cross_entropy(model(x), y).backward()
    opt.step()
    opt.zero_grad()
    d = gradguard.check(model, (x, y), F.cross_entropy, opt)
    assert not _quiet(d, "peak_step_to_weight")


def test_sgd_lr_far_too_small_is_found() -> None:
    d = _with_opt(lambda p: torch.optim.SGD(p, lr=1e-7, momentum=0.9))
    found = _quiet(d, "peak_step_to_weight")
    assert len(found) == 1 and found[0].cause == "lr"


def test_sgd_vanishing_gradient_is_not_called_a_small_lr() -> None:
    # 12 tanh layers at std 0.1 with zero biases: the gradient vanishes, so SGD's step at a usual lr is tiny
    # (about 3e-7 of the weights) because of the gradient, which is depth/init's to name, not the lr's
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(12):
        lin = nn.Linear(16, 16)
        nn.init.normal_(lin.weight, std=0.1)
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.Tanh()]
    model = nn.Sequential(*layers, nn.Linear(16, CLASSES))
    x, y = _batch()
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.05))
    assert not _quiet(d, "peak_step_to_weight")
    assert d.top is not None and d.top.cause != "lr"


# ---- a loss whose best prediction is near chance --------------------------------------------------------------------

def _smoothed(ls: float) -> gradguard.Diagnosis:
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return gradguard.check(model, _batch(), lambda o, y: F.cross_entropy(o, y, label_smoothing=ls), opt)


def test_label_smoothing_near_one_is_found() -> None:
    d = _smoothed(0.9)
    found = _quiet(d, "ideal_over_uniform")
    assert len(found) == 1
    f = found[0]
    assert f.cause == "regularization" and f.severity == "critical"
    assert f.evidence["ideal_over_uniform"] > 0.95
    assert f.evidence["uniform_loss"] == pytest.approx(math.log(CLASSES), rel=1e-3)
    assert d.top is f


def test_usual_label_smoothing_is_silent() -> None:
    for ls in (0.0, 0.1):
        d = _smoothed(ls)
        assert not _quiet(d, "ideal_over_uniform")
        assert d.healthy


def test_sequence_logits_with_flattened_targets() -> None:
    torch.manual_seed(0)
    vocab = 12
    model = nn.Sequential(nn.Embedding(vocab, 32), nn.Linear(32, vocab))
    x = torch.randint(0, vocab, (8, 10))
    y = torch.roll(x, -1, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def lm(ls: float):
        return lambda o, t: F.cross_entropy(o.reshape(-1, vocab), t.reshape(-1), label_smoothing=ls)
    bad = gradguard.check(model, (x, y), lm(0.95), opt)
    assert [f.evidence["ideal_over_uniform"] > IDEAL_CHANCE_SHARE for f in _quiet(bad, "ideal_over_uniform")] == [True]
    good = gradguard.check(model, (x, y), lm(0.0), opt)
    assert not _quiet(good, "ideal_over_uniform")


def test_regression_and_closure_are_not_judged() -> None:
    model = _mlp()
    x, y = _batch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    target = F.one_hot(y, CLASSES).float()
    d = gradguard.check(model, (x, target), F.mse_loss, opt)
    assert not _quiet(d, "ideal_over_uniform")
    d = gradguard.check(model, optimizer=opt,
                        closure=lambda m: F.cross_entropy(m(x), y, label_smoothing=0.9))
    assert not _quiet(d, "ideal_over_uniform")


def test_ideal_loss_does_not_touch_the_model() -> None:
    model = _mlp()
    before = [p.detach().clone() for p in model.parameters()]
    _ = gradguard.check(model, _batch(), lambda o, y: F.cross_entropy(o, y, label_smoothing=0.9))
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))

