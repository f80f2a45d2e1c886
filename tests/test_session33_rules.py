"""Readings written in session 33, each on real tensors."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _offset_regression(lr: float, seed: int) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor],
                                                        torch.optim.Optimizer]:
    """An MLP regressing targets offset by 8 (box coordinates, prices: a first loss of ~65) at SGD momentum 0.9."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
    x, w = torch.randn(128, 16), torch.randn(16, 4)
    y = 8.0 + torch.tanh(x @ w)
    return model, (x, y), torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def _plain_end(lr: float, seed: int, steps: int = 200) -> tuple[float, float]:
    model, (x, y), opt = _offset_regression(lr, seed)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses[0], sum(losses[-20:]) / 20


def test_an_sgd_ratio_that_a_tenth_of_the_lr_does_not_beat_is_no_lr_warning() -> None:
    """SGD 0.01 momentum 0.9 is this regression's best lr (it ends lower than 0.003), yet its first step's ratio
    times momentum's gain is 0.11, over the 0.1 rule of thumb: the confirmation's short run tests it and demotes it."""
    first, end = _plain_end(0.01, 0)
    assert end < 0.01 * first and end < _plain_end(0.003, 0)[1]
    for seed in (0, 1):
        model, batch, opt = _offset_regression(0.01, seed)
        d = gradguard.check(model, batch, F.mse_loss, opt)
        assert d.healthy, [f.message for f in d.findings if f.severity != "info"]
        for f in d.findings:
            if f.cause == "lr":
                assert f.severity == "info" and "not_confirmed" in f.evidence


def test_an_sgd_lr_that_wrecks_the_run_is_still_named() -> None:
    """The same regression at SGD 1.0 momentum 0.9 (100x): non-finite within the run, and ``lr`` first."""
    first, end = _plain_end(1.0, 0)
    assert not (end == end and end < first)  # NaN, or no better than it started
    model, batch, opt = _offset_regression(1.0, 0)
    d = gradguard.check(model, batch, F.mse_loss, opt)
    assert d.top is not None and not d.healthy and d.top.cause == "lr"


class _RevinLinear(nn.Module):
    """RLinear in miniature: each series is standardised by its own mean and spread, a linear map forecasts, and the
    forecast is scaled back to the series' level (``denormalise=False``: the slip that forgets the last step)."""

    def __init__(self, lookback: int = 48, horizon: int = 12, denormalise: bool = True) -> None:
        super().__init__()
        self.lin, self.denormalise = nn.Linear(lookback, horizon), denormalise

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, lookback)
        mean, std = x.mean(1, keepdim=True), x.std(1, keepdim=True) + 1e-5
        y = self.lin((x - mean) / std)
        return y * std + mean if self.denormalise else y


def _sensor_batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    level = 1000 + 9000 * torch.rand(64, 1, generator=g)
    t = torch.arange(60.0)
    series = level * (1 + 0.2 * torch.sin(t / 4 + 6 * torch.rand(64, 1, generator=g)))
    return series[:, :48], series[:, 48:]


def test_raw_level_targets_that_the_model_forecasts_on_their_own_scale_are_no_data_fault() -> None:
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = _RevinLinear()
        d = gradguard.check(model, _sensor_batch(seed), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))
        assert not any(f.cause == "data" and f.severity != "info" for f in d.findings), d.top


def test_the_same_targets_against_a_forecast_left_at_unit_scale_are_named_data() -> None:
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = _RevinLinear(denormalise=False)
        d = gradguard.check(model, _sensor_batch(seed), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))
        assert d.top is not None and d.top.cause == "data" and d.top.severity != "info"
        assert "target" in d.top.message


def test_a_loss_that_compares_the_output_with_itself_is_data() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 16))
    x, mask = torch.randn(32, 16), torch.rand(32, 16) < 0.5

    def closure(m: nn.Module) -> torch.Tensor:
        pred = m(x)
        target = torch.where(mask, pred, x)  # the slip: the masked part of the target is the prediction itself
        return F.mse_loss(pred[mask], target[mask])

    d = gradguard.check(model, closure=closure, optimizer=torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "data" and "exactly 0" in d.top.message


class _WindowGRU(nn.Module):
    def __init__(self, update_bias: float | None = None) -> None:
        super().__init__()
        self.emb, self.gru, self.out = nn.Embedding(64, 32), nn.GRU(32, 32, batch_first=True), nn.Linear(32, 4)
        if update_bias is not None:
            with torch.no_grad():  # gate order: reset, update, new
                for b in (self.gru.bias_ih_l0, self.gru.bias_hh_l0):
                    b[32:64] = update_bias / 2

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(self.emb(s))
        return self.out(h[-1])


def test_a_gru_whose_update_gate_is_held_shut_is_recurrence() -> None:
    torch.manual_seed(0)
    batch = (torch.randint(0, 64, (32, 6)), torch.randint(0, 4, (32,)))
    shut = _WindowGRU(update_bias=10.0)
    d = gradguard.check(shut, batch, F.cross_entropy, torch.optim.Adam(shut.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "recurrence" and d.top.severity == "critical"
    assert "update gate" in d.top.message
    torch.manual_seed(0)
    default = _WindowGRU()
    d = gradguard.check(default, batch, F.cross_entropy, torch.optim.Adam(default.parameters(), 1e-3))
    assert not any("update_gate_bias_mean" in f.evidence for f in d.findings)


class _LastStateLSTM(nn.Module):
    """A classifier that reads only the LSTM's final hidden state (``_, (hn, _) = lstm(x)``): autograd hands the
    unused output sequence a gradient of None, which check's hooks must take."""

    def __init__(self) -> None:
        super().__init__()
        self.emb, self.lstm, self.out = nn.Embedding(64, 16), nn.LSTM(16, 32), nn.Linear(32, 4)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        _, (hn, _) = self.lstm(self.emb(s).transpose(0, 1))
        return self.out(hn[-1])


def test_check_runs_on_a_model_that_reads_only_the_final_lstm_state() -> None:
    torch.manual_seed(0)
    model = _LastStateLSTM()
    batch = (torch.randint(0, 64, (32, 12)), torch.randint(0, 4, (32,)))
    d = gradguard.check(model, batch, F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.healthy, [f.message for f in d.findings if f.severity != "info"]



class _GatedBlocks(nn.Module):
    """PirateNet in miniature: gate inputs ``u`` computed first, blocks whose residual gate ``alpha`` starts at 0
    (each block is the identity at step 0), a linear head. ``cut``: the blocks' output detached (no gate excuses it)."""

    def __init__(self, cut: bool = False) -> None:
        super().__init__()
        self.register_buffer("freq", torch.randn(2, 8))
        self.u = nn.Linear(16, 16)
        self.w = nn.ModuleList([nn.Linear(16, 16) for _ in range(3)])
        self.alpha = nn.Parameter(torch.zeros(3))
        self.out = nn.Linear(16, 1)
        self.cut = cut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.cat([torch.sin(x @ self.freq), torch.cos(x @ self.freq)], -1)  # Fourier features, no weight
        g = torch.sigmoid(self.u(h))  # the first weight layer the forward runs feeds the gated branches only
        for a, w in zip(self.alpha, self.w, strict=True):
            branch = torch.tanh(w(h))
            branch = (branch.detach() if self.cut else branch) * g
            h = a * branch + (1 - a) * h
        return self.out(h)


def _gated_check(cut: bool) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = _GatedBlocks(cut)
    x = torch.rand(64, 2)
    y = torch.sin(3 * x[:, :1]) * x[:, 1:]
    return gradguard.check(model, (x, y), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))


def test_weights_behind_zero_gates_are_waiting_for_them_not_cut() -> None:
    d = _gated_check(cut=False)
    assert not any(f.cause == "activation" and f.severity != "info" for f in d.findings), d.top
    held = [f for f in d.findings if "opened_by_zero_gates" in f.evidence]
    assert held and held[0].evidence["opened_by_zero_gates"]["gates"] == ["alpha"]


def test_weights_cut_by_a_detach_stay_cut_whatever_the_gates() -> None:
    d = _gated_check(cut=True)
    assert d.top is not None and d.top.cause == "activation" and d.top.severity == "critical"
    assert "opened_by_zero_gates" not in d.top.evidence


def _poisson(lr: float) -> tuple[nn.Module, Any, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    x = torch.rand(64, 1)
    f = (torch.pi ** 2) * torch.sin(torch.pi * x)

    def closure(m: nn.Module) -> torch.Tensor:  # a PINN residual: u'' + f, by autograd through the inputs
        xi = x.clone().requires_grad_(True)
        u = m(xi)
        du = torch.autograd.grad(u.sum(), xi, create_graph=True)[0]
        d2u = torch.autograd.grad(du.sum(), xi, create_graph=True)[0]
        return ((d2u + f) ** 2).mean() + (m(torch.tensor([[0.0], [1.0]])) ** 2).mean()
    return model, closure, torch.optim.Adam(model.parameters(), lr=lr)


def test_a_physics_informed_loss_gets_the_lr_check_and_the_confirmation() -> None:
    model, closure, opt = _poisson(1.0)
    d = gradguard.check(model, closure=closure, optimizer=opt)
    assert not any("skipped" in n for n in d.notes), d.notes
    assert d.top is not None and d.top.cause == "lr"
    model, closure, opt = _poisson(1e-3)
    d = gradguard.check(model, closure=closure, optimizer=opt)
    assert not any("skipped" in n for n in d.notes), d.notes
    assert d.healthy, d.top


class _RevinNoEps(_RevinLinear):
    """RevIN with its eps left out, on (batch, time, channels) series: a flat series divides 0 by 0."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean, std = x.mean(1, keepdim=True), x.std(1, keepdim=True)
        y = self.lin(((x - mean) / std).transpose(1, 2)).transpose(1, 2)
        return y * std + mean


def test_a_zero_over_zero_at_any_input_scale_is_numeric_not_a_consequence_of_the_scale() -> None:
    torch.manual_seed(0)
    x, y = _sensor_batch(0)
    x[3], y[3] = 5000.0, 5000.0  # a sensor stuck at one value
    model = _RevinNoEps()
    d = gradguard.check(model, (x[..., None], y[..., None]), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "numeric", d.top
    assert d.top.evidence.get("nonfinite_at_unit_scale") is True


def test_a_frozen_run_that_the_remedy_moves_confirms_the_init_finding() -> None:
    """Every weight of a PINN at one constant: the user's 12 steps do not move the loss at all, the re-initialised
    copy's do (slowly, as a PINN's loss falls); the finding stays a warning or worse."""
    model, closure, opt = _poisson(1e-4)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.fill_(0.02)
                m.bias.zero_()
    d = gradguard.check(model, closure=closure, optimizer=opt)
    assert d.top is not None and d.top.cause == "init" and d.top.severity != "info", d.top
