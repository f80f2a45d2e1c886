"""A first Adam step that replaces the weights is named ``lr`` even when the loss is unbounded below along it (a
policy-gradient surrogate ``-sum(log pi(a|s) * A)``): there the line search accepts every long step, and doubling the
weights lowers the loss further, so acceptance excuses nothing (pytorch/examples' REINFORCE at Adam lr 1, 100x its
rate, was told only ``regularization`` at two seeds of four)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import gradguard


def _check(lr: float, seed: int) -> gradguard.Diagnosis:
    torch.manual_seed(seed)
    policy = nn.Sequential(nn.Linear(4, 128), nn.ReLU(), nn.Linear(128, 2), nn.Softmax(dim=1))
    g = torch.Generator().manual_seed(100 + seed)
    # one episode: states that drift step by step, discounted returns of a reward of 1 per step, standardised
    states = torch.randn(1, 4, generator=g) * 0.05 + 0.1 * torch.randn(40, 4, generator=g).cumsum(0)
    actions = torch.randint(0, 2, (40,), generator=g)
    returns = torch.tensor([(1 - 0.99 ** (40 - t)) / (1 - 0.99) for t in range(40)])
    advantages = (returns - returns.mean()) / returns.std()
    opt = torch.optim.Adam(policy.parameters(), lr=lr)

    def surrogate(m: nn.Module) -> torch.Tensor:
        logp = torch.log(m(states).gather(1, actions[:, None]).squeeze(1))
        return -(logp * advantages).sum()

    return gradguard.check(policy, closure=surrogate, optimizer=opt)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_adam_step_of_many_weight_norms_on_an_unbounded_surrogate_is_named_lr(seed: int) -> None:
    d = _check(1.0, seed)  # seed 1: the line search accepts the full step (before: "init" first, no lr)
    assert d.top is not None and d.top.cause == "lr" and d.top.severity == "critical", d.top
    assert d.top.evidence["update_to_weight_median"] > 10


def test_the_published_rate_is_not_told_lr() -> None:
    d = _check(1e-2, 0)
    assert not [f for f in d.findings if f.cause == "lr"], [(f.cause, f.message) for f in d.findings]
