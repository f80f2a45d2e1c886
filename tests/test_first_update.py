"""The first applied step checked after the optimizer steps (gradguard.first_update): an optimizer that turns
finite gradients into NaN/Inf weights is told in that step's own report, with the cause ranked numeric."""

from __future__ import annotations

import torch
from torch import nn

import gradguard
from gradguard.first_update import _eps_lost


class Padded(nn.Module):
    """An embedding with a padding row (its gradient is exactly 0) and a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, 8, padding_idx=0)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.emb(x).mean(1))


def _run(eps: float, steps: int = 3) -> tuple[list[gradguard.StepReport], nn.Module]:
    torch.manual_seed(0)
    model = Padded()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=eps)
    x, y = torch.randint(0, 10, (16, 5)), torch.randint(0, 3, (16,))
    reports = []
    with gradguard.Guard(model, opt, policy="monitor") as guard:
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            reports.append(guard.step(loss))
            if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
                break
    return reports, model


def test_adam_eps_0_on_a_zero_gradient_is_told_at_step_0_with_a_numeric_cause() -> None:
    reports, model = _run(eps=0.0)
    assert not torch.isfinite(model.emb.weight[0]).all()  # the plain arithmetic: 0 / (sqrt(0) + 0), untouched
    first = reports[0]
    assert first.step == 0 and first.applied
    (event,) = [e for e in first.events if e.kind == "nonfinite"]
    assert event.step == 0 and event.severity == "critical" and event.layers == ("emb",)
    assert event.evidence["where"] == "update" and event.evidence["grads_finite"] is True
    assert event.evidence["eps"] == ["group 0: eps=0"]
    assert event.causes[0]["cause"] == "numeric" and "eps" in event.causes[0]["prescription"]


def test_a_finite_first_step_raises_nothing_and_the_check_runs_once() -> None:
    reports, model = _run(eps=1e-8, steps=12)
    assert all(not r.events for r in reports)
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())


def test_eps_lost_in_the_weights_dtype() -> None:
    half = [nn.Parameter(torch.zeros(3, dtype=torch.float16))]
    assert _eps_lost(torch.optim.Adam(half, eps=1e-8)) == ["group 0: eps=1e-08 is 0 in float16"]
    assert _eps_lost(torch.optim.Adam(half, eps=1e-4)) == []
    bf = [nn.Parameter(torch.zeros(3, dtype=torch.bfloat16))]
    assert _eps_lost(torch.optim.Adam(bf, eps=1e-8)) == []  # bfloat16 keeps float32's exponent range
    assert _eps_lost(torch.optim.SGD(half, lr=0.1)) == []  # no eps
