"""Hand-written models of the thirty-seventh held-out batch (``fresh36.py``), operator-learning, generative, vision
and recurrent ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The sequential-recommendation, graph, text and time-series
classification models are in ``fresh36_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- Galerkin Transformer --------------------------------------------------------------------------------------------


class _GalerkinLayer(nn.Module):
    """The Galerkin-type attention ``Q (LN(K)^T LN(V)) / n`` per head (softmax-free, the LayerNorms on the keys and
    values), then a GELU feed-forward of 2x; residual both; Q, K, V Xavier-uniform at gain 0.01 plus 0.01 times the
    identity (the reference code's ``xavier_init`` and ``diagonal_weight``)."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.q, self.k, self.v = (nn.Linear(d, d) for _ in range(3))
        self.ln_k, self.ln_v = nn.LayerNorm(self.dh), nn.LayerNorm(self.dh)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        with torch.no_grad():
            for lin in (self.q, self.k, self.v):
                nn.init.xavier_uniform_(lin.weight, gain=0.01)
                lin.weight += 0.01 * torch.eye(d)
                lin.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = (f(x).view(b, n, self.heads, self.dh).transpose(1, 2) for f in (self.q, self.k, self.v))
        att = q @ (self.ln_k(k).transpose(-1, -2) @ self.ln_v(v)) / n
        x = x + att.transpose(1, 2).reshape(b, n, d)
        return x + self.ff(x)


class GalerkinTransformer(nn.Module):
    """The Galerkin Transformer (Cao 2021), narrowed for a 1-D operator: the input function and the grid lifted to 32
    channels, two Galerkin attention layers of 4 heads, a GELU regressor to the output function."""

    def __init__(self, d: int = 32, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.lift = nn.Linear(2, d)
        self.layers = nn.ModuleList([_GalerkinLayer(d, heads) for _ in range(layers)])
        self.head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 1))

    def forward(self, a: torch.Tensor) -> torch.Tensor:  # a: b, n
        grid = torch.linspace(0, 1, a.shape[1]).expand_as(a)
        x = self.lift(torch.stack([a, grid], -1))
        for layer in self.layers:
            x = layer(x)
        return self.head(x).squeeze(-1)


# ---- GMMN ------------------------------------------------------------------------------------------------------------


class GMMN(nn.Module):
    """The generative moment matching network (Li, Swersky and Zemel 2015), narrowed: uniform noise in [-1, 1]^8
    through ReLU layers 8-64-128 to a sigmoid output of 16 (the paper's MNIST generator's form); PyTorch's default
    init. It takes a batch of data only for its size and returns as many samples (fresh noise at every call).
    ``out="logsigmoid"``: ``nn.LogSigmoid()`` picked for the output's ``nn.Sigmoid()`` (every sample <= 0, the data in
    (0, 1))."""

    def __init__(self, noise: int = 8, dim: int = 16, out: str = "sigmoid") -> None:
        super().__init__()
        self.noise = noise
        self.net = nn.Sequential(nn.Linear(noise, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, dim),
                                 nn.Sigmoid() if out == "sigmoid" else nn.LogSigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(2 * torch.rand(x.shape[0], self.noise) - 1)


# ---- ECA-Net ---------------------------------------------------------------------------------------------------------


class _ECA(nn.Module):
    """Efficient channel attention: global average pooling, a 1-D convolution of kernel 3 across the channels (no
    bias), a sigmoid gate per channel."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, 1, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.conv(x.mean((2, 3))[:, None]))[:, 0, :, None, None]


def _norm(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


class _ECABlock(nn.Module):
    def __init__(self, a: int, b: int, stride: int, bn: bool) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(a, b, 3, stride, 1, bias=False), _norm(b, bn)
        self.conv2, self.bn2 = nn.Conv2d(b, b, 3, 1, 1, bias=False), _norm(b, bn)
        self.eca = _ECA()
        self.short = (nn.Sequential(nn.Conv2d(a, b, 1, stride, bias=False), _norm(b, bn)) if stride != 1 or a != b
                      else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.eca(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        return F.relu(y + self.short(x))


class ECANet(nn.Module):
    """ECA-Net (Wang et al. 2020), an ECA-ResNet in the CIFAR ResNet-20 layout on 16x16 images: a 3x3 stem of 16,
    three stages of three basic blocks (16, 32, 64 channels, strides 1, 2, 2), each block with its ECA module (k = 3)
    before the residual sum, global average pooling, a Linear; Kaiming-normal (fan_out) convolutions, BatchNorms at 1
    and 0 (the reference code's). ``bn=False``: every BatchNorm left out."""

    def __init__(self, classes: int = 10, bn: bool = True, per_stage: int = 3) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), _norm(16, bn), nn.ReLU())
        blocks, a = [], 16
        for b, s in ((16, 1), (32, 2), (64, 2)):
            blocks += [_ECABlock(a, b, s, bn)] + [_ECABlock(b, b, 1, bn) for _ in range(per_stage - 1)]
            a = b
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


# ---- FastRNN ---------------------------------------------------------------------------------------------------------


class FastRNN(nn.Module):
    """FastRNN (Kusupati et al. 2018, EdgeML's ``FastRNNCell``): ``h~_t = tanh(W x_t + U h_{t-1} + b)``,
    ``h_t = alpha h~_t + beta h_{t-1}`` with ``alpha = sigmoid(a)``, ``beta = sigmoid(c)`` trainable scalars
    initialised at ``a = -3``, ``c = 3`` (0.047 and 0.953), W and U 0.1 * N(0, 1), b ones (EdgeML's); 32 hidden units,
    a Linear head on the last state. ``gates``: the initial ``(a, c)``; ``raw_gates``: ``a`` and ``c`` used as alpha
    and beta themselves, their sigmoids left out (``h_t = -3 h~_t + 3 h_{t-1}``)."""

    def __init__(self, inputs: int = 2, hidden: int = 32, classes: int = 4, raw_gates: bool = False,
                 gates: tuple[float, float] = (-3.0, 3.0)) -> None:
        super().__init__()
        self.w = nn.Parameter(0.1 * torch.randn(hidden, inputs))
        self.u = nn.Parameter(0.1 * torch.randn(hidden, hidden))
        self.b = nn.Parameter(torch.ones(hidden))
        self.a, self.c = nn.Parameter(torch.tensor(gates[0])), nn.Parameter(torch.tensor(gates[1]))
        self.head = nn.Linear(hidden, classes)
        self.raw_gates = raw_gates

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, t, inputs
        alpha, beta = (self.a, self.c) if self.raw_gates else (torch.sigmoid(self.a), torch.sigmoid(self.c))
        h = x.new_zeros(x.shape[0], self.u.shape[0])
        for t in range(x.shape[1]):
            h = alpha * torch.tanh(x[:, t] @ self.w.T + h @ self.u.T + self.b) + beta * h
        return self.head(h)
