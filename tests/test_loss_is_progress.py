"""``Guard(loss_is_progress=...)``: the user's word on whether a lower loss means a better model. ``False`` (PPO's
policy-plus-value loss, whose value term grows with the returns as the agent improves: cleanrl's ppo.py raised a
critical divergence on every healthy run) leaves out the loss-reading events from the first step and makes the safe
policy's clipper a safety net; ``True`` keeps the loss read where the guard would find a judge."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import gradguard
from _gan import gan_round
from gradguard.errors import ConfigError
from gradguard.mitigation.adaptive import ClipAdaptive
from gradguard.mitigation.early_hold import HoldEarlySteps
from gradguard.mitigation.rollback import members

LOSS_READING = {"loss_spike", "divergence"}


def _value_fit(progress: bool | None, sync: str = "blocking", steps: int = 300) -> tuple[list[gradguard.Event],
                                                                                       list[torch.Tensor]]:
    """A critic fitting returns that grow as the agent improves: its MSE rises while it learns."""
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = torch.optim.Adam(critic.parameters(), lr=2.5e-4, eps=1e-5, fused=True)
    guard = gradguard.Guard(critic, opt, policy="monitor", sync=sync, loss_is_progress=progress)
    g = torch.Generator().manual_seed(1)
    events: list[gradguard.Event] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for step in range(steps):
            obs = torch.randn(64, 4, generator=g)
            returns = (1.0 + step / 10.0) * (1.0 + obs[:, :1].tanh())  # longer episodes: larger returns
            loss = nn.functional.mse_loss(critic(obs), returns)
            opt.zero_grad()
            loss.backward()
            events += guard.step(loss).events
        last = guard.flush()
        if last is not None:
            events += last.events
        guard.close()
    return events, [p.detach().clone() for p in critic.parameters()]


def test_a_loss_that_rises_as_the_agent_improves_diverges_unless_it_is_declared_not_progress() -> None:
    read, _ = _value_fit(None)
    assert any(e.kind in LOSS_READING and e.severity != "info" for e in read)
    unread, _ = _value_fit(False)
    assert not [e for e in unread if e.kind in LOSS_READING]
    assert not [e for e in unread if e.kind == "stall" and e.evidence.get("mode") != "weights_frozen"]


def test_deferred_and_blocking_end_alike_when_declared() -> None:
    _, blocking = _value_fit(False, "blocking", 60)
    _, deferred = _value_fit(False, "deferred", 60)
    assert all(torch.equal(a, b) for a, b in zip(blocking, deferred, strict=True))


def test_declared_not_progress_makes_the_clipper_a_safety_net_and_holds_no_rate() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 8))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
    opt = torch.optim.Adam(net.parameters(), lr=0.02)  # its first step would move the weights by ~1 of their RMS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guard = gradguard.Guard(net, opt, loss_is_progress=False)
    parts = list(members(guard.policy))
    assert not next(p for p in parts if isinstance(p, ClipAdaptive)).loss_read
    assert next(p for p in parts if isinstance(p, HoldEarlySteps)).scale == 1.0
    assert opt.param_groups[0]["lr"] == 0.02  # not held
    held = gradguard.Guard(net, torch.optim.Adam(net.parameters(), lr=0.02))
    assert held.optimizer.param_groups[0]["lr"] < 0.02  # the control: the same run is held by default


def test_declared_progress_keeps_a_judged_loss_read() -> None:
    torch.manual_seed(0)
    gen, judge = nn.Linear(4, 4), nn.Linear(4, 1)
    g_opt, j_opt = torch.optim.Adam(gen.parameters(), lr=1e-3), torch.optim.SGD(judge.parameters(), lr=0.05)
    z = torch.randn(16, 4)
    for progress, judged in ((None, True), (True, False)):
        guard = gradguard.Guard(gen, g_opt, loss_is_progress=progress)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(5):
                gan_round(gen, judge, g_opt, j_opt, guard, z)
        guard.close()
        assert guard._objective.judged_elsewhere is judged
        assert any("moving judge" in str(w.message) for w in caught) is judged


@pytest.mark.parametrize("bad", ["no", 0, 1.0])
def test_a_value_that_is_not_a_bool_is_refused_by_name(bad: object) -> None:
    with pytest.raises(ConfigError, match="loss_is_progress"):
        gradguard.Guard(nn.Linear(2, 2), torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), loss_is_progress=bad)
