"""The blocking mode hands a fused optimizer the same ``grad_scale`` on every step as the deferred mode does.

On an H200 (torch 2.11) CUDA's fused SGD rounds differently when a ``grad_scale`` is given, even 1.0 with a
``found_inf`` of 0 (one ulp in the first step): the deferred mode passes its device coefficient on every applied
step, so the blocking mode passed one only on clipped steps and their weights parted on the first step not
clipped (``benchmarks/gpu_sync_check.py``: sgd-fused "weights equal False"). On a CPU the two roundings agree, so
this test proves the structure: what each mode's fused step is given, step by step.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard


def _seen_scales(sync: str, policy: object, steps: int = 12) -> list[float | None]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, fused=True)
    seen: list[float | None] = []

    def spy(o: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        scale = o.__dict__.get("grad_scale")
        seen.append(None if scale is None else float(scale))

    opt.register_step_pre_hook(spy)
    guard = Guard(model, opt, policy=policy, sync=sync)
    for i in range(steps):
        x = torch.randn(32, 8) * (30.0 if i % 4 == 3 else 1.0)  # every fourth step is clipped
        loss = nn.functional.mse_loss(model(x), torch.randn(32, 1))
        loss.backward()
        guard.step(loss)
        opt.zero_grad(set_to_none=True)
    guard.close()
    return seen


def _clip() -> object:
    return gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1.0))


@pytest.mark.parametrize("policy", ["safe", "clip"])
def test_blocking_gives_the_fused_step_a_scale_on_every_step_as_deferred_does(policy: str) -> None:
    pol = "safe" if policy == "safe" else _clip()
    blocking = _seen_scales("blocking", pol)
    deferred = _seen_scales("deferred", "safe" if policy == "safe" else _clip())
    assert len(blocking) == len(deferred) == 12
    assert all(s is not None for s in blocking), blocking
    assert blocking == deferred  # the same float32 scale, step by step: 1 where not clipped
    assert 1.0 in blocking and any(s is not None and s > 1.0 for s in blocking)  # both kinds of step happened


def test_monitor_leaves_the_fused_step_alone() -> None:
    """No clip in the policy: the optimizer's step is the user's own, no grad_scale given in either mode."""
    assert _seen_scales("blocking", "monitor") == [None] * 12
    assert _seen_scales("deferred", "monitor") == [None] * 12
