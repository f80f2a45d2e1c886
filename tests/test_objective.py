"""The loss as a progress measure (gradguard.objective): a loss judged by a model another optimizer trains (a GAN's
generator) is not read for spikes, divergence or loss stalls; a summed loss whose term count varies (an episode's
sum) is read per term by the loss detectors; the record keeps the loss as given."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import gradguard
from gradguard.objective import ObjectiveWatch, outside_leaves


def _gan_like(steps: int, judge_trains: bool, sync: str = "blocking", nan_at: int | None = None):
    """A generator whose loss is a judge's score; the judge's own optimizer makes that score worse for the
    generator each step (the adversary learning), so the generator's loss climbs steadily."""
    torch.manual_seed(0)
    gen = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 4))
    judge = nn.Linear(4, 1)
    g_opt = torch.optim.Adam(gen.parameters(), lr=1e-4, fused=sync == "deferred" or None)
    j_opt = torch.optim.SGD(judge.parameters(), lr=0.5)
    guard = gradguard.Guard(gen, g_opt, policy="monitor", sync=sync)
    z = torch.randn(32, 4)
    events, losses = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(steps):
            g_opt.zero_grad()
            loss = -judge(gen(z)).mean() + 5.0
            if nan_at is not None and step == nan_at:
                loss = loss * float("nan")
            loss.backward()
            events += guard.step(loss).events
            losses.append(float(loss.detach()))
            if judge_trains:  # the judge minimises its score of the fakes: the generator's loss rises
                j_opt.zero_grad()
                judge(gen(z).detach()).mean().backward()
                j_opt.step()
        guard.close()
    return events, losses, [w for w in caught if "moving judge" in str(w.message)]


def test_rising_loss_of_a_frozen_judge_is_a_divergence():
    # the control: a judge whose parameters never change, with a loss rising as steeply by hand
    torch.manual_seed(0)
    gen, judge = nn.Linear(4, 4), nn.Linear(4, 1)
    opt = torch.optim.SGD(gen.parameters(), lr=1e-3)
    guard = gradguard.Guard(gen, opt, policy="monitor")
    z = torch.randn(32, 4)
    kinds = []
    for step in range(60):
        opt.zero_grad()
        loss = -judge(gen(z)).mean() * 0 + 1.0 + 0.1 * step + (gen.weight ** 2).sum() * 0
        loss.backward()
        kinds += [e.kind for e in guard.step(loss).events]
    assert "divergence" in kinds


def test_generator_loss_climbing_as_the_judge_learns_raises_no_loss_event():
    events, losses, told = _gan_like(80, judge_trains=True)
    assert losses[-1] > 2 * losses[0]  # the loss did climb: the plain detectors would call it a divergence
    assert not [e for e in events if e.kind in ("divergence", "loss_spike")]
    assert not [e for e in events if e.kind == "stall" and e.evidence.get("mode") != "tiny_steps"]
    assert len(told) == 1  # said once


def test_the_same_climb_without_the_watch_is_called_a_divergence():
    # what the watch removes: the same run with the judge's parameters counted as the guard's own
    torch.manual_seed(0)
    gen, judge = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 4)), nn.Linear(4, 1)
    g_opt, j_opt = torch.optim.Adam(gen.parameters(), lr=1e-4), torch.optim.SGD(judge.parameters(), lr=0.5)
    guard = gradguard.Guard(gen, g_opt, policy="monitor")
    guard._objective = ObjectiveWatch([*gen.parameters(), *judge.parameters()])
    z = torch.randn(32, 4)
    kinds = []
    for _ in range(80):
        g_opt.zero_grad()
        loss = -judge(gen(z)).mean() + 5.0
        loss.backward()
        kinds += [e.kind for e in guard.step(loss).events]
        j_opt.zero_grad()
        judge(gen(z).detach()).mean().backward()
        j_opt.step()
    assert "divergence" in kinds


def test_a_judge_that_never_changes_is_no_reason_to_stop_reading_the_loss():
    _, _, told = _gan_like(30, judge_trains=False)
    assert not told


def test_nonfinite_loss_is_still_reported_under_a_moving_judge():
    events, _, told = _gan_like(30, judge_trains=True, nan_at=20)
    assert told
    assert any(e.kind == "nonfinite" and e.step == 20 for e in events)


def test_deferred_read_leaves_out_the_same_events():
    events, losses, told = _gan_like(80, judge_trains=True, sync="deferred")
    assert losses[-1] > 2 * losses[0]
    assert len(told) == 1
    assert not [e for e in events if e.kind in ("divergence", "loss_spike")]


def test_outside_leaves_finds_only_parameters_not_owned():
    a, b = nn.Linear(3, 3), nn.Linear(3, 1)
    loss = b(a(torch.randn(2, 3))).sum()
    found = outside_leaves(loss, {id(p) for p in a.parameters()})
    assert {id(t) for t in found} == {id(p) for p in b.parameters()}
    assert outside_leaves(loss.detach(), set()) == []


def _summed(lengths: list[int], per_term: list[float], one_forward_per_term: bool = False):
    """A loss summing ``lengths[k]`` terms of value ``per_term[k]`` at step ``k``: from one forward over a batch of
    that many rows (a supervised loss summed over a varying batch), or from one forward per term (an episode)."""
    torch.manual_seed(0)
    policy = nn.Linear(4, 2)
    opt = torch.optim.SGD(policy.parameters(), lr=1e-6)
    guard = gradguard.Guard(policy, opt, policy="monitor")
    events, reported = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for t, v in zip(lengths, per_term, strict=True):
            opt.zero_grad()
            if one_forward_per_term:
                loss = torch.stack([policy(torch.randn(4)).sum() * 0 + v for _ in range(t)]).sum()
            else:
                loss = (policy(torch.randn(t, 4)).sum(1) * 0 + v).sum()
            loss.backward()
            rep = guard.step(loss)
            events += rep.events
            reported.append(rep.loss)
    guard.close()
    told = [w for w in caught if "one term per forward" in str(w.message)]
    return events, reported, told, policy


def test_summed_loss_growing_with_its_term_count_is_read_per_term():
    lengths = [10 + 3 * k for k in range(70)]  # the summed loss rises 10 -> 217 at a constant 1 per term
    events, reported, told, _ = _summed(lengths, [1.0] * 70)
    assert reported[-1] == pytest.approx(float(lengths[-1]))  # the report keeps the loss as given
    assert not [e for e in events if e.kind in ("divergence", "loss_spike")]
    assert not told  # one forward a step: not an episode


def test_summed_loss_read_per_term_still_sees_a_real_rise():
    lengths = [10 + (k % 3) for k in range(60)]
    per_term = [1.0] * 40 + [1.3 ** k for k in range(20)]  # the per-term loss itself blows up
    events, _, _, _ = _summed(lengths, per_term)
    rises = [e for e in events if e.kind in ("divergence", "loss_spike")]
    assert rises
    assert rises[0].evidence["summed_terms"]["first_terms"] == 10


def test_episode_losses_one_forward_per_term_are_not_read_for_progress():
    lengths = [10 + (k % 3) for k in range(60)]
    per_term = [1.0] * 40 + [1.3 ** k for k in range(20)]  # the same rise, now an episode's
    events, _, told, policy = _summed(lengths, per_term, one_forward_per_term=True)
    assert len(told) == 1
    assert not [e for e in events if e.kind in ("divergence", "loss_spike")]
    assert not policy._forward_pre_hooks  # the forward counter is gone


def test_episode_with_a_nan_is_still_reported():
    lengths = [10 + (k % 3) for k in range(30)]
    per_term = [1.0] * 20 + [float("nan")] + [1.0] * 9
    events, _, told, _ = _summed(lengths, per_term, one_forward_per_term=True)
    assert told and any(e.kind == "nonfinite" and e.step == 20 for e in events)


def test_one_loss_stepped_by_two_optimizers_is_a_joint_objective():
    # pytorch's seq2seq tutorial form: an encoder's and a decoder's optimizer, one loss, one guard each
    torch.manual_seed(0)
    enc, dec = nn.Linear(4, 8), nn.Linear(8, 1)
    e_opt, d_opt = torch.optim.SGD(enc.parameters(), lr=1e-3), torch.optim.SGD(dec.parameters(), lr=1e-3)
    g_enc = gradguard.Guard(enc, e_opt, policy="monitor")
    g_dec = gradguard.Guard(dec, d_opt, policy="monitor")
    x = torch.randn(32, 4)
    kinds_enc, kinds_dec = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(60):
            e_opt.zero_grad()
            d_opt.zero_grad()
            loss = dec(enc(x)).pow(2).mean() * 0 + 1.0 + 0.1 * step + dec.weight.sum() * 0  # climbing by hand
            loss.backward()
            kinds_enc += [e.kind for e in g_enc.step(loss).events]
            kinds_dec += [e.kind for e in g_dec.step(loss).events]
    assert not [w for w in caught if "moving judge" in str(w.message)]
    assert "divergence" in kinds_enc and "divergence" in kinds_dec


def test_forward_counter_comes_off_a_supervised_summed_loss():
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    guard = gradguard.Guard(model, opt, policy="monitor")
    hooked = []
    for _ in range(30):
        opt.zero_grad()
        loss = model(torch.randn(16, 4)).pow(2).sum()  # reduction "sum": 16 terms, one forward a step
        loss.backward()
        guard.step(loss)
        hooked.append(bool(model._forward_pre_hooks))
    guard.close()
    assert hooked[1] and not hooked[-1]  # counted at first, taken off once settled


def test_a_gradient_penalty_leaf_is_no_judge():
    # WGAN-GP's critic with detached fakes: interpolates.requires_grad_() makes a new leaf every step that its loss
    # reaches; it is not a parameter another optimizer trains
    torch.manual_seed(0)
    gen, critic = nn.Linear(8, 16), nn.Sequential(nn.Linear(16, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    g_opt, c_opt = torch.optim.Adam(gen.parameters(), 1e-3), torch.optim.Adam(critic.parameters(), 1e-3)
    guard = gradguard.Guard(critic, c_opt, policy="monitor")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(8):
            real, fake = torch.randn(4, 16), gen(torch.randn(4, 8)).detach()
            c_opt.zero_grad()
            x = (0.5 * real + 0.5 * fake).requires_grad_(True)
            grad = torch.autograd.grad(critic(x).sum(), x, create_graph=True)[0]
            loss = -critic(real).mean() + critic(fake).mean() + 10 * ((grad.norm(dim=1) - 1) ** 2).mean()
            loss.backward()
            guard.step(loss)
            g_opt.zero_grad()
            (-critic(gen(torch.randn(4, 8))).mean()).backward()
            g_opt.step()
    guard.close()
    assert not [w for w in caught if "moving judge" in str(w.message)]


def test_alarm_path_runs_a_closure_that_takes_gradients_itself():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(16, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    opt = torch.optim.Adam(critic.parameters(), 1e-3)
    guard = gradguard.Guard(critic, opt)

    def loss_of(m: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        x = (0.5 * real + 0.5 * fake).requires_grad_(True)
        grad = torch.autograd.grad(m(x), x, torch.ones(x.size(0), 1), create_graph=True)[0]
        return -m(real).mean() + m(fake).mean() + 10 * ((grad.norm(dim=1) - 1) ** 2).mean()

    events = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(6):
            real, fake = torch.randn(4, 16), torch.randn(4, 16)
            if i == 3:
                real[0, 0] = float("nan")
            opt.zero_grad()
            loss = loss_of(critic, real, fake)
            loss.backward()
            events += guard.step(loss, closure=lambda m, r=real, f=fake: loss_of(m, r, f)).events
    guard.close()
    assert not [w for w in caught if "alarm-path probe failed" in str(w.message)]
    assert any(e.kind == "nonfinite" and e.step == 3 for e in events)
    assert all(torch.isfinite(p).all() for p in critic.parameters())
