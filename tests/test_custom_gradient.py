"""A user's ``torch.autograd.Function`` whose backward disagrees with its forward is named (``activation``, critical),
and the deliberate ones — a gradient-reversal layer, a straight-through rounding, a correct surrogate spike — are not
(held-out ``fresh115``'s swapped filter gradients and flipped spike surrogate; ``fresh56``'s flipped ReLU mask)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.custom_grad import _judge


class Mul(torch.autograd.Function):
    """``a * b`` with its backward right, or with the two gradients returned in the wrong order."""

    @staticmethod
    def forward(ctx: Any, a: torch.Tensor, b: torch.Tensor, swapped: bool) -> torch.Tensor:
        ctx.save_for_backward(a, b)
        ctx.swapped = swapped
        return a * b

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> Any:
        a, b = ctx.saved_tensors
        ga, gb = g * b, g * a
        return (gb, ga, None) if ctx.swapped else (ga, gb, None)


class Relu(torch.autograd.Function):
    """ReLU, its backward masking the right side, the wrong side, or ignoring ``grad_output``."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, mode: str) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.mode = mode
        return x.clamp_min(0)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> Any:
        (x,) = ctx.saved_tensors
        if ctx.mode == "flipped":
            return g * (x < 0), None
        if ctx.mode == "no_grad_output":
            return (x > 0).to(g.dtype), None
        return g * (x > 0), None


class Reverse(torch.autograd.Function):
    """DANN's gradient-reversal layer: the identity forward, ``-lam`` times the gradient backward (deliberate)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lam: float) -> torch.Tensor:
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> Any:
        return -ctx.lam * g, None


class Spike(torch.autograd.Function):
    """A Heaviside spike with a fast-sigmoid surrogate, or that surrogate's sign flipped."""

    @staticmethod
    def forward(ctx: Any, v: torch.Tensor, flipped: bool) -> torch.Tensor:
        ctx.save_for_backward(v)
        ctx.flipped = flipped
        return (v > 0).to(v.dtype)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> Any:
        (v,) = ctx.saved_tensors
        psi = 1.0 / (1.0 + 5.0 * v.abs()) ** 2
        return (-psi if ctx.flipped else psi) * g, None


class Round(torch.autograd.Function):
    """A straight-through rounding (deliberate: the identity's gradient for a step)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> Any:
        return g


class Net(nn.Module):
    def __init__(self, kind: str, mode: Any) -> None:
        super().__init__()
        self.kind, self.mode = kind, mode
        self.a, self.b, self.out = nn.Linear(16, 32), nn.Linear(16, 32), nn.Linear(32, 4)
        self.relu = Relu.apply  # bound once, as fresh56's ARC-II holds its FlippedReLU
        self.bn = nn.BatchNorm1d(32)  # its running statistics must come back as they were

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.bn(self.a(x))
        if self.kind == "mul":
            h = Mul.apply(h, self.b(x), self.mode)
        elif self.kind == "relu":
            h = self.relu(h, self.mode)
        elif self.kind == "reverse":
            h = F.relu(Reverse.apply(h, 1.0))
        elif self.kind == "spike":
            h = Spike.apply(h, self.mode)
        else:
            h = Round.apply(3 * h)
        return self.out(h)


def _check(kind: str, mode: Any) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = Net(kind, mode)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 16, generator=g), torch.randint(0, 4, (64,), generator=g)
    before = [t.detach().clone() for t in [*model.parameters(), *model.buffers()]]
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert all(torch.equal(a, b) for a, b in zip(before, [*model.parameters(), *model.buffers()], strict=True))
    for cls in (Mul, Relu, Reverse, Spike, Round):  # the classes are left as they were
        assert "apply" not in cls.__dict__ and isinstance(cls.__dict__["forward"], staticmethod)
    return d


def _named(d: gradguard.Diagnosis) -> list[gradguard.Finding]:
    return [f for f in d.findings if "custom autograd Function" in f.message]


@pytest.mark.parametrize(("kind", "mode", "fault"), [("mul", True, "wrong"), ("relu", "flipped", "wrong"),
                                                     ("relu", "no_grad_output", "wrong"), ("spike", True, "flipped")])
def test_a_backward_that_disagrees_with_its_forward_is_named(kind: str, mode: Any, fault: str) -> None:
    d = _check(kind, mode)
    found = _named(d)
    assert found and found[0].cause == "activation" and found[0].severity == "critical", d.findings
    assert found[0].evidence["fault"] == fault
    assert d.top is not None and d.top.cause == "activation", d.findings


@pytest.mark.parametrize(("kind", "mode"), [("mul", False), ("relu", "right"), ("reverse", None), ("spike", False),
                                            ("round", None)])
def test_right_and_deliberate_backwards_are_not_named(kind: str, mode: Any) -> None:
    assert not _named(_check(kind, mode))


def test_the_reading_itself() -> None:
    x = torch.randn(8, 5)
    assert _judge(Relu, (x, "right"), {}) is None
    wrong = _judge(Relu, (x, "flipped"), {})
    assert wrong is not None and wrong["forward"] == "smooth" and abs(wrong["cosine"]) < 0.9
    assert _judge(Reverse, (x, 0.5), {}) is None  # a fixed multiple (-0.5) of the true derivative: deliberate
    assert _judge(Spike, (x, False), {}) is None
    flipped = _judge(Spike, (x, True), {})
    assert flipped is not None and flipped["forward"] == "step-like"
