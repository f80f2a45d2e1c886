"""Deliberately unstable models and healthy controls, each a seeded training run (detection accuracy tests).

Every case returns a `Case`: a model, an optimizer, a batch source, and the expectation: which event kinds count as
a correct detection and by which step, or that nothing fires (healthy controls).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Case:
    name: str
    model: nn.Module
    optimizer: torch.optim.Optimizer
    batches: Callable[[int], tuple[torch.Tensor, torch.Tensor]]
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    steps: int
    kinds: frozenset[str]  # accepted kinds of the first relevant event; empty for healthy controls
    fault_step: int | None = None  # where a fault is injected, when it is


Batches = Callable[[int], tuple[torch.Tensor, torch.Tensor]]


def _regression(d_in: int, d_out: int, n: int = 64, seed: int = 0) -> Batches:
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(d_in, d_out, generator=g) / d_in**0.5
    data = [torch.randn(n, d_in, generator=g) for _ in range(16)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = data[step % 16]
        return x, torch.tanh(x @ w)

    return batch


def _deep(width: int, depth: int, act: Callable[[], nn.Module], init_std: float | None = None,
          norm: bool = False, d_in: int = 16, d_out: int = 4) -> nn.Sequential:
    layers: list[nn.Module] = []
    dims = [d_in] + [width] * (depth - 1)
    for a, b in itertools.pairwise(dims):
        lin = nn.Linear(a, b)
        if init_std is not None:
            nn.init.normal_(lin.weight, std=init_std / a**0.5)
            nn.init.zeros_(lin.bias)
        layers += [lin] + ([nn.BatchNorm1d(b)] if norm else []) + [act()]
    layers.append(nn.Linear(width, d_out))
    return nn.Sequential(*layers)


def deep_relu_large_init() -> Case:
    torch.manual_seed(1)
    model = _deep(64, 12, nn.ReLU, init_std=2.5)  # He would be sqrt(2) ~ 1.41
    return Case("deep ReLU MLP, init 1.8x He, SGD", model, torch.optim.SGD(model.parameters(), lr=0.05),
                _regression(16, 4), nn.functional.mse_loss, 150, frozenset({"explode", "divergence", "loss_spike"}))


def deep_sigmoid() -> Case:
    torch.manual_seed(2)
    model = _deep(32, 16, nn.Sigmoid, init_std=1.0)
    return Case("deep sigmoid MLP (16 layers)", model, torch.optim.SGD(model.parameters(), lr=0.1),
                _regression(16, 4), nn.functional.mse_loss, 120, frozenset({"vanish"}))


class ReluRNN(nn.Module):
    def __init__(self, radius: float, hidden: int = 32, d_in: int = 8) -> None:
        super().__init__()
        self.rnn = nn.RNN(d_in, hidden, nonlinearity="relu", batch_first=True)
        with torch.no_grad():
            q, _ = torch.linalg.qr(torch.randn(hidden, hidden))
            self.rnn.weight_hh_l0.copy_(radius * q)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def relu_rnn_radius_above_one() -> Case:
    torch.manual_seed(3)
    model = ReluRNN(radius=1.6)
    g = torch.Generator().manual_seed(3)
    xs = [torch.randn(16, 40, 8, generator=g) for _ in range(8)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = xs[step % 8]
        return x, x[:, :5, :1].mean(1)

    return Case("ReLU RNN, spectral radius 1.6, seq 40", model, torch.optim.SGD(model.parameters(), lr=1e-3),
                batch, nn.functional.mse_loss, 60, frozenset({"explode", "nonfinite"}))


def sgd_lr_too_high() -> Case:
    torch.manual_seed(4)
    model = _deep(64, 4, nn.ReLU)
    return Case("MLP, SGD lr=8 (too high)", model, torch.optim.SGD(model.parameters(), lr=8.0),
                _regression(16, 4), nn.functional.mse_loss, 100, frozenset({"explode", "divergence", "loss_spike"}))


def nan_in_batch() -> Case:
    torch.manual_seed(5)
    model = _deep(32, 4, nn.ReLU)
    base = _regression(16, 4)

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = base(step)
        if step == 37:
            x = x.clone()
            x[3, 5] = float("nan")
        return x, y

    return Case("batch with a NaN input at step 37", model, torch.optim.Adam(model.parameters(), lr=1e-3), batch,
                nn.functional.mse_loss, 60, frozenset({"nonfinite"}), fault_step=37)


class Overflow(nn.Module):
    """exp() of a scaled input: finite for ordinary inputs, Inf once the scale is large."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x * self.scale) * 1e-3


def overflow_op() -> Case:
    torch.manual_seed(6)
    over = Overflow()
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), over, nn.Linear(32, 4))
    base = _regression(16, 4)

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        over.scale = 1e3 if step == 25 else 1.0
        return base(step)

    return Case("custom op overflowing to Inf at step 25", model, torch.optim.Adam(model.parameters(), lr=1e-3),
                batch, nn.functional.mse_loss, 40, frozenset({"nonfinite"}), fault_step=25)


def outlier_batches() -> Case:
    torch.manual_seed(7)
    model = _deep(32, 4, nn.ReLU)
    base = _regression(16, 4)

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = base(step)
        return (x * 50, y * 50) if step == 60 else (x, y)

    return Case("outlier batch (x50) at step 60", model, torch.optim.Adam(model.parameters(), lr=1e-3), batch,
                nn.functional.mse_loss, 70, frozenset({"loss_spike", "explode"}), fault_step=60)


def healthy_bn_mlp() -> Case:
    torch.manual_seed(8)
    model = _deep(64, 6, nn.ReLU, init_std=2**0.5, norm=True)
    return Case("healthy: He-init MLP + BatchNorm, Adam", model, torch.optim.Adam(model.parameters(), lr=1e-3),
                _regression(16, 4, seed=8), nn.functional.mse_loss, 500, frozenset())


class PreLN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(8, 32)
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.out = nn.Linear(32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.enc(self.inp(x))).squeeze(-1)


def healthy_transformer() -> Case:
    torch.manual_seed(9)
    model = PreLN()
    g = torch.Generator().manual_seed(9)
    xs = [torch.randn(8, 12, 8, generator=g) for _ in range(16)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = xs[step % 16]
        return x, x.sum(-1).tanh()

    return Case("healthy: pre-LayerNorm transformer, AdamW", model, torch.optim.AdamW(model.parameters(), lr=1e-3),
                batch, nn.functional.mse_loss, 500, frozenset())


FAULTS = [deep_relu_large_init, deep_sigmoid, relu_rnn_radius_above_one, sgd_lr_too_high, nan_in_batch,
          overflow_op, outlier_batches]
HEALTHY = [healthy_bn_mlp, healthy_transformer]
