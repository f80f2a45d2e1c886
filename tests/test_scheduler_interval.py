"""``check(scheduler_interval=...)``: a schedule that collapses within 100 calls is a fault only when it is called per
optimizer step (session 23). pytorch/examples' MNIST script steps ``StepLR(step_size=1, gamma=0.7)`` once per epoch;
read per step it falls to 3e-16 of its lr in 100 steps, and ``check`` called it critical."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradguard import ConfigError, Diagnosis, check


class _Net(nn.Module):
    """The shape of pytorch/examples' MNIST ``Net`` (two convolutions, max-pool, dropout, two linear layers)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        self.drop1, self.drop2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = self.drop2(F.relu(self.fc1(torch.flatten(self.drop1(x), 1))))
        return F.log_softmax(self.fc2(x), dim=1)


def _mnist_like(interval: str | None) -> Diagnosis:
    torch.manual_seed(0)
    model = _Net()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)  # the example's settings
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)  # stepped once per epoch there
    g = torch.Generator().manual_seed(0)
    templates = torch.rand(10, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (64,), generator=g)
    x = ((templates[y] + 0.3 * torch.randn(64, 1, 28, 28, generator=g)) - 0.1307) / 0.3081  # normalised as there
    return check(model, (x, y), F.nll_loss, opt, scheduler=sched, scheduler_interval=interval)


def _collapse(d: Diagnosis) -> list:
    return [f for f in d.findings if f.cause == "lr" and "collapses" in f.message]


def test_unknown_cadence_is_information() -> None:
    d = _mnist_like(None)
    assert d.healthy, d.render()
    assert [f.severity for f in _collapse(d)] == ["info"] and "scheduler_interval" in _collapse(d)[0].message


def test_per_epoch_cadence_is_nothing_and_per_step_is_critical() -> None:
    assert _collapse(_mnist_like("epoch")) == [] and _mnist_like("epoch").healthy
    d = _mnist_like("step")
    assert d.top is not None and d.top.cause == "lr" and d.top.severity == "critical" and _collapse(d), d.render()


def test_a_bad_interval_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="scheduler_interval"):
        _mnist_like("batch")
