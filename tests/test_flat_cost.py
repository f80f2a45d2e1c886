"""The per-step host work does not grow with the number of parameter tensors (issue 16 item 3).

Measured structurally, so that a loaded machine cannot make it flaky: the number of Python-level calls (Python
functions and builtins called from Python) one steady guarded step makes is the same for 16 and for 256 tensors.
The per-tensor work left is inside torch's fused calls (a norm per gradient and weight, a max-abs per gradient).
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard


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
