"""A plain global clip with a fused optimizer is applied inside its step (``grad_scale = 1 / coef``), in both sync
modes: no pass of its own over the gradients, and the weights of the two modes stay bit-equal."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard
from gradguard.deferred import device_grad_scale, host_grad_scale
from helpers import batch, mlp


def _clip_policy() -> Any:
    return gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1.0))


class _SeeScale:
    """A step pre-hook that keeps each step's gradients and the ``grad_scale`` the optimizer is handed."""

    def __init__(self, opt: torch.optim.Optimizer) -> None:
        self.seen: list[tuple[torch.Tensor | None, list[torch.Tensor]]] = []
        opt.register_step_pre_hook(self)

    def __call__(self, opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        scale = getattr(opt, "grad_scale", None)
        grads = [p.grad.clone() for g in opt.param_groups for p in g["params"] if p.grad is not None]
        self.seen.append((None if scale is None else scale.clone(), grads))


def _train(opt_kind: str, sync: str = "blocking", steps: int = 14, policy: Any = None
           ) -> tuple[nn.Module, torch.optim.Optimizer, list[Any], list[Any]]:
    torch.manual_seed(0)
    model = mlp(depth=4)
    kinds = {"adamw-fused": lambda p: torch.optim.AdamW(p, lr=1e-2, fused=True),
             "sgd-fused": lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, fused=True),
             "adamw": lambda p: torch.optim.AdamW(p, lr=1e-2)}
    opt = kinds[opt_kind](model.parameters())
    seen = _SeeScale(opt)
    guard = Guard(model, opt, policy=policy or _clip_policy(), sync=sync, update_every=0)
    reports = []
    for i in range(steps):
        x, y = batch(seed=i)
        if i % 3 == 1:
            x = x * 50  # a clipped step
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        reports.append(guard.step(loss))
        opt.zero_grad(set_to_none=True)
    guard.close()
    return model, opt, reports, seen.seen


@pytest.mark.parametrize("opt_kind", ["adamw-fused", "sgd-fused"])
def test_blocking_clip_goes_into_the_fused_step_and_equals_the_divided_gradients(opt_kind: str) -> None:
    model, opt, reports, seen = _train(opt_kind)
    clipped = [r.clip_coef < 1 for r in reports]
    assert sum(clipped) >= 4 and not all(clipped)
    # handed on every step, 1 where not clipped, as the deferred mode does (CUDA's fused SGD rounds differently
    # with a grad_scale given, even 1: tests/test_grad_scale_every_step.py)
    assert all(s is not None for s, _ in seen)
    assert [s.item() > 1 for s, _ in seen] == clipped
    assert not hasattr(opt, "grad_scale")  # taken off after the step
    for (scale, _), r in zip(seen, reports):
        assert scale.dtype == torch.float32
        assert math.isclose(1 / scale.item(), r.clip_coef, rel_tol=1e-6)
    # a replica stepping the gradients the guard saw, divided by the scale it handed over: the same weights
    torch.manual_seed(0)
    ref = mlp(depth=4)
    ref_opt = (torch.optim.AdamW(ref.parameters(), lr=1e-2, fused=True) if opt_kind == "adamw-fused"
               else torch.optim.SGD(ref.parameters(), lr=1e-2, momentum=0.9, fused=True))
    for scale, grads in seen:
        for p, g in zip(ref.parameters(), grads):
            p.grad = g if scale is None else g / scale
        ref_opt.step()
    for a, b in zip(model.parameters(), ref.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("opt_kind", ["adamw-fused", "sgd-fused"])
def test_deferred_clip_in_step_equals_blocking_bitwise(opt_kind: str) -> None:
    m_b, _, _, s_b = _train(opt_kind, "blocking")
    m_d, o_d, _, s_d = _train(opt_kind, "deferred")
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    # the deferred mode hands a scale at every step (1.0 where nothing is clipped: g / 1 == g), the same float32
    # number as the blocking mode's where it clips
    assert all(s is not None for s, _ in s_d)
    for (sb, _), (sd, _) in zip(s_b, s_d):
        assert torch.equal(sd, sb) if sb is not None else sd.item() == 1.0  # type: ignore[union-attr]
    assert not hasattr(o_d, "grad_scale") and not hasattr(o_d, "found_inf")


def test_non_fused_optimizer_multiplies_the_gradients() -> None:
    _, _, reports, seen = _train("adamw")
    assert any(r.clip_coef < 1 for r in reports)
    assert all(s is None for s, _ in seen)
    for (_, grads), r in zip(seen, reports):  # the clipped gradients reach the step
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        assert norm.item() <= 1.0 * (1 + 1e-5) or r.clip_coef == 1.0


def test_observe_multiplies_the_gradients_for_the_trainers_step() -> None:
    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    guard = Guard(model, opt, policy=_clip_policy(), update_every=0)
    x, y = batch(seed=1)
    nn.functional.mse_loss(model(x * 50), y).backward()
    report = guard.observe()
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in model.parameters()]))
    assert report.clip_coef < 1 and norm.item() == pytest.approx(1.0, rel=1e-5)
    assert not hasattr(opt, "grad_scale")


def test_host_and_device_scales_agree_double_for_double() -> None:
    g = torch.Generator().manual_seed(0)
    coefs = torch.exp(-torch.rand(20000, generator=g, dtype=torch.float64) * 60)  # (e^-60, 1]
    coefs = torch.cat([coefs, torch.tensor([1.0, 0.5, 1 / 3, 1e-30, 2.0 ** -52, math.nextafter(1.0, 0.0)],
                                           dtype=torch.float64)])
    device = torch.stack([device_grad_scale(c) for c in coefs])
    host = torch.stack([host_grad_scale(c) for c in coefs.tolist()])
    assert torch.equal(device, host)
