"""An optimizer whose step needs a closure (LBFGS) is refused at construction with what to do instead (real-code
finding, session 24: pytorch/examples' time_sequence_prediction under ``Guard(model, LBFGS)`` was accepted, then
``guard.step(loss)`` crashed inside torch after measuring the step)."""

from __future__ import annotations

import pytest
import torch

import gradguard
from gradguard import ConfigError


def test_lbfgs_is_refused_with_a_way_to_watch_it() -> None:
    model = torch.nn.Linear(4, 1)
    with pytest.raises(ConfigError, match="closure") as err:
        gradguard.Guard(model, torch.optim.LBFGS(model.parameters(), lr=0.8))
    assert "observe" in str(err.value) and "LBFGS" in str(err.value)


@pytest.mark.parametrize("make", [lambda p: torch.optim.AdamW(p, lr=1e-3), lambda p: torch.optim.SGD(p, lr=0.1),
                                  lambda p: torch.optim.Adam(p, lr=1e-3, fused=True)])
def test_optimizers_with_an_optional_closure_are_accepted(make) -> None:  # type: ignore[no-untyped-def]
    model = torch.nn.Linear(4, 1)
    guard = gradguard.Guard(model, make(model.parameters()))
    model(torch.randn(8, 4)).pow(2).mean().backward()
    assert guard.step().applied
    guard.close()


def test_monitoring_an_lbfgs_run_by_hand_works() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.LBFGS(model.parameters(), lr=0.8)
    x, y = torch.randn(32, 4), torch.randn(32, 1)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    guard = gradguard.Guard(model, None, policy="monitor")
    reports = [guard.observe(opt.step(closure)) for _ in range(5)]
    guard.close()
    assert [r.step for r in reports] == list(range(5)) and all(r.applied for r in reports)
