"""NaN/Inf forensics on real models: the producer is named, the propagators are not, and nothing is left changed."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from gradguard.errors import ConfigError
from gradguard.forensics import (
    ROOT_NAME,
    Origin,
    capture_rng_state,
    count_nonfinite,
    find_nonfinite_origin,
    find_nonfinite_origin_from_batch,
    iter_tensors,
    restore_rng_state,
)


class Log(nn.Module):
    """log of the input: -inf where the input is zero (after a ReLU, often)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(x)


class ExpOverflow(nn.Module):
    """exp(1000 x) overflows float32 for x > ~0.09."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x * 1e3)


class SqrtBlock(nn.Module):
    """A finite forward whose backward is NaN where the projection is 0: d sqrt(z^2)/dz = inf * 0."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sqrt(self.proj(x) ** 2)


class LSTMThenExp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(4, 8, batch_first=True)
        self.boom = ExpOverflow()
        self.head = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, (_h, _c) = self.rnn(x)
        return self.head(self.boom(out * 100.0))


class Wrapped(nn.Module):
    """A custom forward with a functional op between two children: the wrapper itself is the producer."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.log(self.a(x) - 1e6))


def mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((out - target) ** 2).mean()


def log_sequential() -> nn.Sequential:
    with torch.no_grad():
        first = nn.Linear(4, 4)
        first.weight.copy_(-torch.eye(4))  # positive inputs -> ReLU zeros -> log gives -inf
        first.bias.zero_()
    return nn.Sequential(first, nn.ReLU(), Log(), nn.Linear(4, 1))


def test_forward_producer_is_the_custom_module_not_the_downstream_linear() -> None:
    model = log_sequential()
    x, y = torch.rand(8, 4) + 0.1, torch.randn(8, 1)
    origin = find_nonfinite_origin_from_batch(model, mse, x, y)
    assert origin.phase == "forward"
    assert origin.module == "2" and origin.module_type == "Log"
    assert origin.evidence["output_inf"] == 32 and origin.evidence["output_nan"] == 0
    assert "3" in origin.evidence["propagated_through"] and ROOT_NAME in origin.evidence["propagated_through"]
    assert "32 Inf from finite inputs" in origin.detail


def test_functional_op_inside_a_custom_forward_blames_the_custom_module() -> None:
    model = nn.Sequential(nn.Identity(), Wrapped())
    origin = find_nonfinite_origin_from_batch(model, mse, torch.randn(4, 4), torch.randn(4, 1))
    assert (origin.phase, origin.module, origin.module_type) == ("forward", "1", "Wrapped")


def test_exp_overflow_is_named() -> None:
    model = nn.Sequential(nn.Linear(4, 4), ExpOverflow(), nn.Linear(4, 1))
    origin = find_nonfinite_origin_from_batch(model, mse, torch.randn(16, 4) * 3, torch.randn(16, 1))
    assert (origin.phase, origin.module, origin.module_type) == ("forward", "1", "ExpOverflow")
    assert origin.evidence["output_inf"] > 0 and origin.evidence["input_absmax"] > 0.09


def test_lstm_tuple_outputs_and_the_overflow_after_it() -> None:
    model = LSTMThenExp()
    origin = find_nonfinite_origin_from_batch(model, mse, torch.randn(2, 5, 4), torch.randn(2, 5, 1))
    assert (origin.phase, origin.module) == ("forward", "boom")
    assert "rnn" not in origin.evidence["propagated_through"]


def test_nan_weights_are_named() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():
        model[2].weight[0, 1] = float("nan")
    origin = find_nonfinite_origin_from_batch(model, mse, torch.randn(4, 4), torch.randn(4, 1))
    assert (origin.phase, origin.module, origin.module_type) == ("weights", "2", "Linear")
    assert origin.evidence["names"] == ["2.weight"]
    assert origin.evidence["tensors"]["2.weight"]["nan"] == 1


@pytest.mark.parametrize("where", ["inputs", "targets"])
def test_nonfinite_batch_is_named(where: str) -> None:
    model = nn.Linear(4, 1)
    x, y = torch.randn(4, 4), torch.randn(4, 1)
    (x if where == "inputs" else y)[0, 0] = float("nan")
    origin = find_nonfinite_origin_from_batch(model, mse, x, y)
    assert origin.phase == "data" and origin.module is None and origin.evidence["input"] == where
    assert origin.evidence["nan"] == 1 and origin.evidence["inf"] == 0


def test_nested_batch_path() -> None:
    inputs = {"ids": torch.arange(3), "feats": (torch.zeros(2), torch.tensor([1.0, float("inf")]))}
    origin = find_nonfinite_origin(nn.Identity(), lambda m: torch.zeros(()), inputs=inputs)
    assert origin.phase == "data" and origin.evidence["input"] == "inputs['feats'][1]" and origin.evidence["inf"] == 1


def test_nonfinite_input_seen_only_by_the_hooks_is_data() -> None:
    x = torch.randn(3, 4)
    x[1, 2] = float("nan")
    origin = find_nonfinite_origin(nn.Linear(4, 1), lambda m: m(x).sum())  # no inputs= given: the hooks see it
    assert origin.phase == "data" and origin.evidence["nan"] == 1 and origin.module is None


def test_backward_producer_is_the_sqrt_module() -> None:
    model = nn.Sequential(nn.Linear(4, 4), SqrtBlock(), nn.Linear(4, 1))
    with torch.no_grad():
        model[1].proj.weight.zero_()
        model[1].proj.bias.zero_()
    x = torch.randn(8, 4)
    loss = mse(model(x), torch.zeros(8, 1))
    assert torch.isfinite(loss)
    origin = find_nonfinite_origin_from_batch(model, mse, x, torch.zeros(8, 1))
    assert (origin.phase, origin.module, origin.module_type) == ("backward", "1", "SqrtBlock")
    assert origin.evidence["grad_input_nan"] + origin.evidence["grad_input_inf"] > 0


class SqrtWeight(nn.Module):
    """Finite forward, infinite gradient for its own parameter only (no grad-requiring input)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sqrt(self.scale)


def test_backward_producer_through_own_parameter() -> None:
    model = nn.Sequential(SqrtWeight(), nn.Linear(4, 1))
    origin = find_nonfinite_origin_from_batch(model, mse, torch.randn(4, 4), torch.randn(4, 1))
    assert (origin.phase, origin.module) == ("backward", "0")
    assert "0.scale" in origin.evidence["nonfinite_grads"]


def test_loss_function_producer() -> None:
    model = nn.Linear(4, 1)

    def log_loss(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.log(out - 1e3).mean()  # log of a negative number: NaN

    origin = find_nonfinite_origin_from_batch(model, log_loss, torch.randn(4, 4), torch.randn(4, 1))
    assert origin.phase == "loss" and origin.module is None and "log_loss" in (origin.module_type or "")
    assert origin.evidence["loss_nan"] == 1


def test_intended_infinities_with_a_finite_loss_are_not_blamed() -> None:
    class Mask(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.softmax(x.masked_fill(torch.eye(4, dtype=torch.bool), float("-inf")), dim=-1)

    model = nn.Sequential(nn.Linear(4, 4), Mask(), nn.Linear(4, 1))
    origin = find_nonfinite_origin_from_batch(model, mse, torch.randn(4, 4), torch.randn(4, 1))
    assert origin.phase == "none" and np.isfinite(origin.evidence["loss"])


def snapshot(model: nn.Module) -> dict[str, object]:
    return {
        "params": {n: p.detach().clone() for n, p in model.named_parameters()},
        "buffers": {n: b.clone() for n, b in model.named_buffers()},
        "grads": {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()},
        "grad_ids": {n: id(p.grad) for n, p in model.named_parameters()},
        "training": {n: m.training for n, m in model.named_modules()},
    }


def assert_same(a: dict, b: dict) -> None:
    assert a["training"] == b["training"] and a["grad_ids"] == b["grad_ids"]
    for key in ("params", "buffers", "grads"):
        assert a[key].keys() == b[key].keys()
        for n in a[key]:
            x, y = a[key][n], b[key][n]
            assert (x is None and y is None) or torch.equal(x, y), (key, n)


@pytest.mark.parametrize("fault", ["forward", "backward", "loss", "none"])
def test_no_side_effects(fault: str) -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), SqrtBlock(), nn.Linear(4, 1))
    model[3].eval()  # a mixed train/eval tree must come back as it was
    out = model(torch.randn(8, 4)).sum()
    out.backward()
    model[4].weight.grad = None  # a None grad next to real ones
    x, y = torch.randn(8, 4), torch.randn(8, 1)

    def loss_fn(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.log(out - 1e3).mean() if fault == "loss" else mse(out, target)

    with torch.no_grad():
        model[3].proj.bias.fill_(0.0 if fault == "backward" else 10.0)
        if fault == "backward":
            model[3].proj.weight.zero_()
        if fault == "forward":
            model[0].weight.fill_(3e38)  # the Linear overflows from finite inputs and weights
    before = snapshot(model)
    random.seed(3)
    np.random.seed(3)
    torch.manual_seed(3)
    rng = capture_rng_state()
    origin = find_nonfinite_origin_from_batch(model, loss_fn, x, y)
    assert origin.phase in {"forward", "backward", "loss", "none"}
    assert origin.phase == fault
    after_rng = capture_rng_state()
    assert torch.equal(rng["torch"], after_rng["torch"])
    assert rng["python"] == after_rng["python"]
    assert np.array_equal(rng["numpy"][1], after_rng["numpy"][1])
    assert_same(before, snapshot(model))
    assert not any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks for m in model.modules())


def test_rng_state_is_used_for_the_rerun() -> None:
    """A NaN that appears only under one dropout mask is found when the step's RNG state is handed in."""

    class Gate(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.log(x[:, :1]).expand_as(x)  # -inf when dropout zeroed the first unit

    model = nn.Sequential(nn.Dropout(0.5), Gate())
    x = torch.ones(1, 8)
    for seed in range(100):
        torch.manual_seed(seed)
        state = capture_rng_state()
        if not torch.isfinite(model(x)).all():
            break
    for seed in range(100, 200):  # a current state whose mask keeps the first unit
        torch.manual_seed(seed)
        if torch.isfinite(model(x)).all():
            torch.manual_seed(seed)
            break
    assert find_nonfinite_origin(model, lambda m: m(x).sum()).phase == "none"  # the current RNG: no fault
    origin = find_nonfinite_origin(model, lambda m: m(x).sum(), rng_state=state)
    assert (origin.phase, origin.module) == ("forward", "1")


def test_rng_round_trip() -> None:
    state = capture_rng_state()
    a = (torch.rand(3), random.random(), np.random.rand())
    restore_rng_state(state)
    b = (torch.rand(3), random.random(), np.random.rand())
    assert torch.equal(a[0], b[0]) and a[1:] == b[1:]


def test_helpers_and_origin_dict() -> None:
    t = torch.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    assert count_nonfinite(t) == (1, 2) and count_nonfinite(torch.arange(3)) == (0, 0)
    assert [p for p, _ in iter_tensors({"a": [t, (t,)]}, "x")] == ["x['a'][0]", "x['a'][1][0]"]
    origin = Origin("forward", "m", "Linear", "d", {"k": 1})
    assert origin.to_dict() == {"phase": "forward", "module": "m", "module_type": "Linear", "detail": "d",
                                "evidence": {"k": 1}}
    with pytest.raises(ConfigError):
        Origin("sideways")
