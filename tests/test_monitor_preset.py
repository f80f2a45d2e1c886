"""``gradguard.monitor()``: the observe-only preset in the form ``safe()`` and ``recover()`` have (both real-code
helpers of session 38 reached for it first). It must watch exactly as ``policy="monitor"`` does and change nothing."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def _run(policy: object) -> tuple[list[torch.Tensor], list[str]]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.5)  # far too high: the held, clipped or skipped steps would show
    guard = gradguard.Guard(model, opt, policy=policy)  # type: ignore[arg-type]
    kinds: list[str] = []
    for step in range(30):
        g = torch.Generator().manual_seed(step)
        x = torch.randn(32, 8, generator=g)
        loss = nn.functional.mse_loss(model(x), x[:, :1] * 3)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        report = guard.step(loss)
        assert report.applied and report.clip_coef == 1.0
        kinds += [e.kind for e in report.events]
    guard.close()
    return [p.detach().clone() for p in model.parameters()], kinds


def test_monitor_preset_is_the_monitor_string_and_changes_nothing() -> None:
    by_call, kinds_call = _run(gradguard.monitor())
    by_name, kinds_name = _run("monitor")
    assert kinds_call == kinds_name and not {"skip", "clip", "lr_change", "rollback"} & set(kinds_call)
    for a, b in zip(by_call, by_name, strict=True):
        assert torch.equal(a, b)
    torch.manual_seed(0)
    plain_model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(plain_model.parameters(), lr=0.5)
    for step in range(30):
        g = torch.Generator().manual_seed(step)
        x = torch.randn(32, 8, generator=g)
        opt.zero_grad(set_to_none=True)
        nn.functional.mse_loss(plain_model(x), x[:, :1] * 3).backward()
        opt.step()
    for a, b in zip(by_call, plain_model.parameters(), strict=True):
        assert torch.equal(a, b.detach())
