"""A closure gets the blown-up-output reading an ``(inputs, targets)`` batch gets (real-code finding, session 24):
Lightning's demo Transformer at N(0, 1), checked through a closure as its ``training_step`` computes the loss, starts
at 37 nats against log(2000) = 7.6 and does not learn (test loss 37.1 after 150 steps against 7.87 healthy); with no
baseline for a closure the init finding stayed information."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.detectors.chance import OutputWidth
from gradguard.diagnosis.batch import _closure_baseline

V, D = 500, 64


class TinyLM(nn.Module):
    def __init__(self, std: float | None) -> None:
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.body = nn.Sequential(nn.Linear(D, D), nn.LayerNorm(D), nn.GELU(), nn.Linear(D, D), nn.LayerNorm(D))
        self.head = nn.Linear(D, V)
        if std is not None:
            with torch.no_grad():
                for m in self.modules():
                    if isinstance(m, (nn.Linear, nn.Embedding)):
                        m.weight.normal_(0.0, std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.head(self.body(self.emb(x))), -1)


def _check(std: float | None) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = TinyLM(std)
    x, y = torch.randint(0, V, (16, 12)), torch.randint(0, V, (16, 12))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return gradguard.check(model, closure=lambda m: F.nll_loss(m(x).reshape(-1, V), y.reshape(-1)), optimizer=opt,
                           max_grad_norm=0.25, confirm_steps=0)


def test_a_blown_up_classifier_behind_a_closure_is_named_init() -> None:
    d = _check(1.0)
    assert not d.healthy and d.top is not None and d.top.cause == "init"
    assert "first_loss_over_zero_output_loss" in d.top.evidence


def test_the_same_classifier_at_its_default_init_is_healthy() -> None:
    assert _check(None).healthy


def test_the_baseline_is_the_uniform_guess_only_for_a_cross_entropy() -> None:
    torch.manual_seed(0)
    model = nn.Linear(8, 10)
    x = torch.randn(32, 8)
    width = OutputWidth(model)
    out = model(x)
    width.close()
    ce = F.cross_entropy(out, torch.randint(0, 10, (32,)))
    assert _closure_baseline(width, ce) == math.log(10)
    width = OutputWidth(model)
    out = model(x)
    width.close()
    assert math.isnan(_closure_baseline(width, 1e3 * F.mse_loss(out, torch.randn(32, 10))))  # a regression


class _TwoLinearForecaster(nn.Module):
    """DLinear (thuml/Time-Series-Library): a seasonal and a trend Linear over time, summed; the decomposition is
    a moving average."""

    def __init__(self, seq: int = 96, pred: int = 96) -> None:
        super().__init__()
        self.seasonal, self.trend = nn.Linear(seq, pred), nn.Linear(seq, pred)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        trend = F.avg_pool1d(x.transpose(1, 2), 25, stride=1, padding=12, count_include_pad=False)
        seasonal = x.transpose(1, 2) - trend
        return (self.seasonal(seasonal) + self.trend(trend)).transpose(1, 2)


def _series() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    t = torch.arange(192.0)
    s = torch.sin(2 * math.pi * t / 24)[None, :, None] + 0.3 * torch.randn(32, 192, 7, generator=g)
    return s[:, :96], s[:, 96:]


def test_a_regression_closure_gets_the_all_zero_baseline_of_its_mse() -> None:
    x, y = _series()
    torch.manual_seed(0)
    healthy = _TwoLinearForecaster()
    d = gradguard.check(healthy, optimizer=torch.optim.Adam(healthy.parameters(), lr=1e-4),
                        closure=lambda m: F.mse_loss(m(x), y))
    assert d.healthy
    torch.manual_seed(0)
    wide = _TwoLinearForecaster()
    with torch.no_grad():
        for lin in (wide.seasonal, wide.trend):
            lin.weight.normal_(0.0, 1.0)  # ~10x Xavier for 96 inputs: the output is blown up, the first loss ~50x
    d = gradguard.check(wide, optimizer=torch.optim.Adam(wide.parameters(), lr=1e-4),
                        closure=lambda m: F.mse_loss(m(x), y))
    assert d.top is not None and d.top.cause == "init" and d.top.severity in ("warning", "critical")
    assert d.top.evidence["first_loss_over_zero_output_loss"] > 10


def test_the_mse_baseline_reads_mean_and_sum_and_nothing_else() -> None:
    from gradguard.diagnosis.batch import _mse_zero_output

    pred = torch.zeros(4, 3, requires_grad=True)
    target = torch.full((4, 3), 2.0)
    assert _mse_zero_output(F.mse_loss(pred + 1, target)) == 4.0
    assert _mse_zero_output(F.mse_loss(pred + 1, target, reduction="sum")) == 48.0
    assert math.isnan(_mse_zero_output(F.mse_loss(pred + 1, target) * 2))  # not the loss itself
    assert math.isnan(_mse_zero_output(F.l1_loss(pred + 1, target)))
