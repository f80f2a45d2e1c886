"""``check`` with an optimizer that steps through a closure (LBFGS): one step of a copy on the model itself, the
loss read after it, everything put back. It skipped the lr check and said healthy at any rate (pytorch/examples'
``time_sequence_prediction`` uses LBFGS lr 0.8; at 1e4 one step makes the loss NaN)."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def _setup(lr: float) -> tuple[nn.Module, torch.optim.Optimizer, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 8, generator=g), torch.randn(64, 1, generator=g)
    return model, torch.optim.LBFGS(model.parameters(), lr=lr), x, y


def test_lbfgs_at_its_usual_rate_is_healthy_and_far_above_it_is_lr() -> None:
    model, opt, x, y = _setup(0.8)
    d = gradguard.check(model, closure=lambda m: nn.functional.mse_loss(m(x), y), optimizer=opt)
    assert d.healthy, d.findings
    model, opt, x, y = _setup(1e4)
    d = gradguard.check(model, closure=lambda m: nn.functional.mse_loss(m(x), y), optimizer=opt)
    assert d.top is not None and d.top.cause == "lr" and d.top.severity == "critical", d.findings
    assert d.top.evidence["closure_step"] and d.top.evidence["suggested_lr"] is not None
    assert d.top.evidence["suggested_lr"] < 1e4


def test_the_check_leaves_weights_gradients_and_the_optimizer_as_they_were() -> None:
    model, opt, x, y = _setup(1e4)
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step(lambda: nn.functional.mse_loss(model(x), y))  # some LBFGS state to keep
    weights = [p.detach().clone() for p in model.parameters()]
    grads = [p.grad for p in model.parameters()]
    grad_values = [g.clone() for g in grads]
    state = {k: (v.clone() if torch.is_tensor(v) else v) for k, v in opt.state[next(iter(opt.state))].items()
             if not isinstance(v, list)}
    gradguard.check(model, closure=lambda m: nn.functional.mse_loss(m(x), y), optimizer=opt, steps_done=1)
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
    assert all(a is b for a, b in zip(grads, [p.grad for p in model.parameters()]))
    assert all(torch.equal(a, b) for a, b in zip(grad_values, grads))
    after = opt.state[next(iter(opt.state))]
    for k, v in state.items():
        assert torch.equal(torch.as_tensor(v), torch.as_tensor(after[k])), k
