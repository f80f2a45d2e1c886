"""The per-step host work does not grow with the number of parameter tensors (issue 16 item 3).

Measured structurally, so that a loaded machine cannot make it flaky: the number of Python-level calls (Python
functions and builtins called from Python) one steady guarded step makes is the same for 16 and for 256 tensors.
The per-tensor work left is inside torch's fused calls (a norm per gradient and weight, a max-abs per gradient).
"""

from __future__ import annotations

import gc
import math
import os
import sys
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard
from helpers import batch, mlp


def _calls_per_step(n: int, policy: Any, sync: str = "blocking") -> int:
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(8, 8, bias=False) for _ in range(n)])
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=sync == "deferred")
    guard = Guard(model, opt, policy=policy, update_every=0, sync=sync)
    opt.step = lambda *a, **k: None  # type: ignore[method-assign]  # the guard's own work only
    for _ in range(30):
        guard.step(0.5)
    calls = 0
    package = os.path.dirname(gradguard.__file__)

    def count(frame: Any, event: str, arg: Any) -> None:  # calls made from gradguard's own code
        nonlocal calls
        if event in ("call", "c_call") and (frame.f_back is not None and
                                            frame.f_back.f_code.co_filename.startswith(package)
                                            if event == "call" else frame.f_code.co_filename.startswith(package)):
            calls += 1

    gc.disable()  # a collection runs gc callbacks (Python calls) more often with more tensors allocated
    sys.setprofile(count)
    try:
        for _ in range(5):
            guard.step(0.5)
    finally:
        sys.setprofile(None)
        gc.enable()
    return calls


@pytest.mark.parametrize("policy, sync", [
    ("monitor", "blocking"), ("safe", "blocking"),
    (gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1e9)), "deferred"),
])
def test_python_calls_per_step_do_not_depend_on_the_number_of_tensors(policy: Any, sync: str) -> None:
    small, large = _calls_per_step(16, policy, sync), _calls_per_step(256, policy, sync)
    assert small == large, (small, large)


# ------------------------------------------------------------------------------------------- sampled statistics
def _layers(model: nn.Module) -> list[nn.Module]:
    return [m for m in model if any(True for _ in m.parameters())]


def _loop(guard: Guard, model: nn.Module, opt: torch.optim.Optimizer, steps: int,
          poison: dict[int, str] | None = None) -> list[tuple[Any, Any, dict[str, np.ndarray]]]:
    """(stats, report, reference figures) of each step; ``poison``: step -> "grad" (a NaN gradient element in the
    second layer) or "weight" (a NaN weight in the first layer before the forward)."""
    seen = []
    for i in range(steps):
        if (poison or {}).get(i) == "weight":
            with torch.no_grad():
                model[0].weight[0, 0] = float("nan")
        x, y = batch(seed=i)
        nn.functional.mse_loss(model(x), y).backward()
        if (poison or {}).get(i) == "grad":
            model[2].weight.grad[0, 0] = float("nan")
        ref = {k: np.array([math.sqrt(sum(float(f(p).double().square().sum()) for p in m.parameters()))
                            for m in _layers(model)])
               for k, f in (("weight", lambda p: p.detach()), ("grad", lambda p: p.grad))}
        ref["maxabs"] = np.array([max(float(p.grad.abs().max()) for p in m.parameters()) for m in _layers(model)])
        report = guard.step()
        seen.append((guard.last_stats, report, ref))
        opt.zero_grad(set_to_none=True)
    return seen


def test_weight_norms_and_maxabs_are_measured_every_sample_every_steps_and_reused_between() -> None:
    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    guard = Guard(model, opt, policy="monitor", update_every=0, sample_every=3)
    assert guard.sample_every == 3
    seen = _loop(guard, model, opt, 20)
    for i, (stats, _, ref) in enumerate(seen):
        assert stats.full == (i < 12 or i % 3 == 0), i  # every step of the first 4 x 3, then every third
        np.testing.assert_allclose(stats.layer_grad_norm, ref["grad"], rtol=1e-5)  # exact at every step
        last_full = i if stats.full else i - i % 3
        np.testing.assert_allclose(stats.layer_weight_norm, seen[last_full][2]["weight"], rtol=1e-5)
        if stats.full:
            np.testing.assert_allclose(stats.layer_grad_maxabs, ref["maxabs"], rtol=1e-6)
        else:
            assert np.isnan(stats.layer_grad_maxabs).all()
            assert not np.allclose(stats.layer_weight_norm, ref["weight"], rtol=1e-9, atol=0)  # the weights moved


def test_an_alarm_is_measured_in_full_at_once_and_the_step_after_it_too() -> None:
    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    guard = Guard(model, opt, policy="safe", update_every=0, sample_every=4)
    seen = _loop(guard, model, opt, 24, poison={17: "grad", 21: "weight"})
    fulls = [i for i, (s, _, _) in enumerate(seen) if s.full]
    assert fulls == [*range(17), 17, 18, 20, 21, 22, 23], fulls  # the NaN weights stay: each step after 21 alarms
    stats, report, ref = seen[21]  # NaN weights on a sampled step: named as weights at once, not at step 24
    assert not stats.weights_finite and np.isnan(stats.layer_weight_norm[0])
    assert any(e.kind == "nonfinite" and e.evidence.get("where") == "weights" for e in report.events), report.events
    stats, report, ref = seen[17]  # a NaN gradient on a sampled step: the current weights and the max-abs
    np.testing.assert_allclose(stats.layer_weight_norm, ref["weight"], rtol=1e-6)
    assert not report.applied and stats.layer_grad_nonfinite.tolist() == [0, 1, 0]
    np.testing.assert_allclose(stats.layer_grad_maxabs[[0, 2]], ref["maxabs"][[0, 2]], rtol=1e-6)
@pytest.mark.parametrize("policy, detectors, every", [
    ("safe", None, 10),
    (gradguard.clip_by_value(1.0), None, 1),  # reads the max-abs at every step
    (gradguard.clip_unitwise(), None, 1),  # reads the weight norms at every step
    ("monitor", "custom", 1),  # a detector from outside gradguard may read them
])
def test_every_step_is_measured_when_a_reader_needs_it(policy: Any, detectors: Any, every: int) -> None:
    model = mlp(depth=2)

    class Custom:
        def __call__(self, stats: Any, names: Any) -> list[Any]:
            return []

        def state_dict(self) -> dict[str, Any]:
            return {}

        def load_state_dict(self, state: Any) -> None:
            pass

    dets = None if detectors is None else [*gradguard.detectors.default_detectors(2), Custom()]
    guard = Guard(model, torch.optim.SGD(model.parameters(), lr=0.1), policy=policy, detectors=dets)
    assert guard.sample_every == every


def test_sample_every_is_checked() -> None:
    model = mlp(depth=2)
    with pytest.raises(gradguard.errors.ConfigError, match="sample_every"):
        Guard(model, torch.optim.SGD(model.parameters(), lr=0.1), sample_every=0)


def test_a_sampled_step_norms_only_the_gradients() -> None:
    """The per-tensor work of a sampled step: one norm per gradient, as clip_grad_norm_ (no weight norms, no
    extrema): the packed vector holds the loss, the gradient norms and the global sum of squares."""
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(8, 8, bias=False) for _ in range(12)])
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    guard = Guard(model, opt, policy="monitor", update_every=0, sample_every=2)
    sizes = []
    collect = guard._collector.collect

    def spy(*a: Any, **k: Any) -> torch.Tensor:
        packed = collect(*a, **k)
        sizes.append(packed.numel())
        return packed
    guard._collector.collect = spy  # type: ignore[method-assign]
    for _ in range(12):
        x = torch.randn(4, 8)
        model(x).square().mean().backward()
        guard.step(0.5)
        opt.zero_grad(set_to_none=True)
    full, sampled = 12 + 12 + 12 + 1, 12 + 1  # full: + 12 weight norms + 12 max-abs
    assert sizes == [full] * 9 + [sampled, full, sampled]  # 12 gradient norms + the global sum of squares
