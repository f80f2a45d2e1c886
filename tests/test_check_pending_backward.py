"""``check`` between a forward and its backward (an RL loop builds the episode's forwards before its loss): the
backward still runs and gives the gradients it gives without ``check`` (pytorch/examples' actor_critic; the weights
were restored with ``copy_``, which bumps autograd's version counter, and the pending backward raised)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradguard import check


def _grads(with_check: bool, optimizer: str) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 2))
    opt = (torch.optim.Adam(model.parameters(), lr=3e-2) if optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    x, y = torch.randn(30, 4), torch.randint(0, 2, (30,))
    loss = F.cross_entropy(model(x), y)  # the forward is built; its backward is pending
    if with_check:
        check(model, closure=lambda m: F.cross_entropy(m(x), y), optimizer=opt)
        check(model, (x, y), F.cross_entropy, opt)
    loss.backward()
    return [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_pending_backward_survives_check_with_the_same_gradients(optimizer: str) -> None:
    plain, checked = _grads(False, optimizer), _grads(True, optimizer)
    assert all(torch.equal(a, b) for a, b in zip(plain, checked, strict=True))
