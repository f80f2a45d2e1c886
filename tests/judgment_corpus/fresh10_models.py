"""Hand-written models of the eleventh held-out batch (``fresh10.py``): small versions of published architectures new
to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn


def _bn(c: int, use_bn: bool, eps: float = 1e-5) -> nn.Module:
    return nn.BatchNorm2d(c, eps=eps) if use_bn else nn.Identity()


def channel_shuffle(x: torch.Tensor, groups: int = 2) -> torch.Tensor:
    """ShuffleNet's channel shuffle: interleave the channels of ``groups`` groups."""
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


class ShuffleUnit(nn.Module):
    """A ShuffleNetV2 unit (Ma et al. 2018): stride 1 splits the channels, one half passes, the other goes through
    1x1 conv-BN-ReLU, depthwise 3x3 conv-BN, 1x1 conv-BN-ReLU; stride 2 sends the whole input through both a
    depthwise-then-1x1 branch and that branch; concat, channel shuffle. ``use_bn=False``: no BatchNorm; ``eps``:
    BatchNorm's."""

    def __init__(self, c_in: int, c_out: int, stride: int, use_bn: bool = True, eps: float = 1e-5) -> None:
        super().__init__()
        self.stride = stride
        half = c_out // 2
        b_in = c_in if stride == 2 else c_in // 2
        self.branch = nn.Sequential(
            nn.Conv2d(b_in, half, 1, bias=False), _bn(half, use_bn, eps), nn.ReLU(),
            nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False), _bn(half, use_bn, eps),
            nn.Conv2d(half, half, 1, bias=False), _bn(half, use_bn, eps), nn.ReLU())
        self.short = nn.Sequential(
            nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False), _bn(c_in, use_bn, eps),
            nn.Conv2d(c_in, half, 1, bias=False), _bn(half, use_bn, eps), nn.ReLU()) if stride == 2 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.short is None:
            a, b = x.chunk(2, dim=1)
            out = torch.cat([a, self.branch(b)], dim=1)
        else:
            out = torch.cat([self.short(x), self.branch(x)], dim=1)
        return channel_shuffle(out)


class ShuffleNetV2(nn.Module):
    """A small ShuffleNetV2: stem conv-BN-ReLU (24 channels), two stages (48, 96 channels) of a stride-2 unit and
    two stride-1 units, 1x1 conv-BN-ReLU to 128, global pool, linear head; ``eps``: every BatchNorm's."""

    def __init__(self, classes: int = 10, use_bn: bool = True, eps: float = 1e-5) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, 1, 1, bias=False), _bn(24, use_bn, eps), nn.ReLU())
        units: list[nn.Module] = []
        c = 24
        for width in (48, 96):
            units += [ShuffleUnit(c, width, 2, use_bn, eps), ShuffleUnit(width, width, 1, use_bn, eps),
                      ShuffleUnit(width, width, 1, use_bn, eps)]
            c = width
        self.units = nn.Sequential(*units)
        self.last = nn.Sequential(nn.Conv2d(c, 128, 1, bias=False), _bn(128, use_bn, eps), nn.ReLU())
        self.head = nn.Linear(128, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.last(self.units(self.stem(x))).mean((2, 3)))


class ClockworkRNN(nn.Module):
    """Clockwork RNN (Koutnik et al. 2014) classifier: the hidden state is split into modules with periods 1, 2, 4,
    8; at step ``t`` only the modules whose period divides ``t`` update, each reading the input and the modules of
    its own and slower periods (a block upper-triangular recurrent matrix), tanh; the last state feeds the head.
    ``recurrent_std``: the recurrent weights drawn N(0, std^2) (None: ``nn.RNN``'s U(-1/sqrt(H), 1/sqrt(H)))."""

    def __init__(self, vocab: int = 32, d: int = 32, modules: int = 4, size: int = 16, classes: int = 4,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        hidden = modules * size
        self.emb = nn.Embedding(vocab, d)
        self.w_in = nn.Linear(d, hidden)
        self.w_hh = nn.Parameter(torch.empty(hidden, hidden))
        bound = 1 / math.sqrt(hidden)
        if recurrent_std is None:
            nn.init.uniform_(self.w_hh, -bound, bound)
        else:
            nn.init.normal_(self.w_hh, std=recurrent_std)
        module_of = torch.arange(hidden) // size
        self.register_buffer("mask", (module_of.unsqueeze(1) <= module_of.unsqueeze(0)).float())
        self.register_buffer("period", (2 ** module_of).float())
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.w_in(self.emb(x))
        w = self.w_hh * self.mask
        h = torch.zeros(x.shape[0], w.shape[0])
        for t in range(x.shape[1]):
            new = torch.tanh(u[:, t] + h @ w.T)
            active = (t % self.period == 0).float()
            h = active * new + (1 - active) * h
        return self.head(h)


class MinGRUBlock(nn.Module):
    """A minGRU layer (Feng et al. 2024) in a pre-LN residual block: ``z = sigmoid(W_z x)``, candidate ``g(W_h x)``
    (``g(v) = v + 0.5`` for ``v >= 0``, else ``sigmoid(v)``, so it is positive), ``h_t = (1 - z_t) h_{t-1} + z_t
    g_t``, computed in log space by a parallel scan; then an MLP block. Faults: ``sign_slip`` writes the log-retain
    coefficient ``log(1 - z) = -softplus(k)`` without its minus; ``raw_log`` takes the log of the raw candidate
    ``W_h x`` instead of ``g(W_h x)``."""

    def __init__(self, d: int, sign_slip: bool = False, raw_log: bool = False) -> None:
        super().__init__()
        self.sign_slip, self.raw_log = sign_slip, raw_log
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.zh = nn.Linear(d, 2 * d)
        self.out = nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    @staticmethod
    def _log_g(v: torch.Tensor) -> torch.Tensor:
        return torch.where(v >= 0, torch.log(F.relu(v) + 0.5), -F.softplus(-v))

    def _scan(self, x: torch.Tensor) -> torch.Tensor:
        k, v = self.zh(x).chunk(2, dim=-1)
        log_z = -F.softplus(-k)
        log_coeff = F.softplus(k) if self.sign_slip else -F.softplus(k)  # log(1 - z)
        log_values = log_z + (torch.log(v) if self.raw_log else self._log_g(v))
        a_star = log_coeff.cumsum(1)
        return torch.exp(a_star + torch.logcumsumexp(log_values - a_star, dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.out(self._scan(self.ln1(x)))
        return x + self.ff(self.ln2(x))


class MinGRULM(nn.Module):
    """A minGRU language model: embedding, ``layers`` minGRU blocks, final LayerNorm, linear head."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, sign_slip: bool = False,
                 raw_log: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(MinGRUBlock(d, sign_slip, raw_log) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        for blk in self.blocks:
            h = blk(h)
        return self.head(self.norm(h))


class SRULayer(nn.Module):
    """A simple recurrent unit (Lei et al. 2018): ``c_t = f_t * c_{t-1} + (1 - f_t) * W x_t`` with
    ``f_t = sigmoid(W_f x_t + v_f * c_{t-1} + b_f)``, reset ``r_t`` likewise, output the highway
    ``r_t * c_t + (1 - r_t) * x_t``."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.w = nn.Linear(d, 3 * d)
        self.v = nn.Parameter(torch.zeros(2, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xt, fx, rx = self.w(x).chunk(3, dim=-1)
        c = torch.zeros_like(xt[:, 0])
        outs = []
        for t in range(x.shape[1]):
            f = torch.sigmoid(fx[:, t] + self.v[0] * c)
            r = torch.sigmoid(rx[:, t] + self.v[1] * c)
            c = f * c + (1 - f) * xt[:, t]
            outs.append(r * c + (1 - r) * x[:, t])
        return torch.stack(outs, dim=1)


class SRUClassifier(nn.Module):
    """Two SRU layers over embedded tokens, masked mean pooling over the real (non-padding) positions, linear head;
    ``clamp``: the pooling divides by ``max(length, 1)`` (False: by the length itself)."""

    def __init__(self, vocab: int = 33, d: int = 48, layers: int = 2, classes: int = 4, clamp: bool = True) -> None:
        super().__init__()
        self.clamp = clamp
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.layers = nn.ModuleList(SRULayer(d) for _ in range(layers))
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = (x != 0).float().unsqueeze(-1)
        h = self.emb(x)
        for layer in self.layers:
            h = layer(h)
        length = mask.sum(1)
        return self.head((h * mask).sum(1) / (length.clamp(min=1) if self.clamp else length))


class NAM(nn.Module):
    """A neural additive model (Agarwal et al. 2021): one small MLP per input feature (``1 -> hidden ... -> classes``,
    all features' nets evaluated at once), their outputs summed with a bias; returns ``(logits, per-feature
    outputs)``. ``hidden``: the widths of each feature net; ``act``: the hidden activation."""

    def __init__(self, features: int = 8, hidden: tuple[int, ...] = (64, 64, 32), classes: int = 10,
                 act: str = "relu") -> None:
        super().__init__()
        self.act = act
        widths = [1, *hidden, classes]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for a, b in itertools.pairwise(widths):
            bound = 1 / math.sqrt(a)
            self.weights.append(nn.Parameter(torch.empty(features, a, b).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(features, b).uniform_(-bound, bound)))
        self.bias = nn.Parameter(torch.zeros(classes))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = x.unsqueeze(-1)  # (B, features, 1)
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.einsum("bfi,fio->bfo", h, w) + b
            if i < n - 1:
                h = torch.sigmoid(h) if self.act == "sigmoid" else F.relu(h)
        return h.sum(1) + self.bias, h


class AutoInt(nn.Module):
    """AutoInt (Song et al. 2019) click model: every categorical field and numeric feature embedded (a numeric value
    scales its field's vector), two interacting layers of multi-head self-attention over the fields with a ReLU'd
    residual projection, one logit from the flattened result."""

    def __init__(self, fields: int = 6, cardinality: int = 20, dense: int = 4, emb: int = 16, heads: int = 2,
                 layers: int = 2) -> None:
        super().__init__()
        self.fields, self.card, self.heads = fields, cardinality, heads
        self.emb = nn.Embedding(fields * cardinality, emb)
        self.dense_emb = nn.Parameter(torch.randn(dense, emb) * 0.1)
        nn.init.normal_(self.emb.weight, std=0.1)
        self.att = nn.ModuleList(nn.ModuleDict({"qkv": nn.Linear(emb, 3 * emb, bias=False),
                                                "res": nn.Linear(emb, emb, bias=False)}) for _ in range(layers))
        self.head = nn.Linear((fields + dense) * emb, 1)

    def forward(self, x: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        cat, dense = x
        ids = cat + torch.arange(self.fields) * self.card
        e = torch.cat([self.emb(ids), dense.unsqueeze(-1) * self.dense_emb], dim=1)  # (B, fields + dense, emb)
        b, n, d = e.shape
        for layer in self.att:
            q, k, v = (z.reshape(b, n, self.heads, -1).transpose(1, 2) for z in layer["qkv"](e).chunk(3, dim=-1))
            a = torch.softmax(q @ k.transpose(-1, -2), dim=-1) @ v
            e = F.relu(a.transpose(1, 2).reshape(b, n, d) + layer["res"](e))
        return self.head(e.flatten(1)).squeeze(-1)


class FourierMLP(nn.Module):
    """A Fourier-feature network (Tancik et al. 2020): coordinates mapped through ``[sin, cos](2 pi B v)`` with a
    fixed Gaussian ``B`` (std ``sigma``), then a ReLU MLP (``layers`` hidden layers of ``width``) to one value.
    ``act``: the hidden activation; ``uniform_no_bounds``: every hidden weight set by ``nn.init.uniform_(w)`` (its
    defaults, U(0, 1)) where bounds were meant."""

    def __init__(self, coords: int = 2, features: int = 64, sigma: float = 3.0, width: int = 128, layers: int = 3,
                 act: str = "relu", uniform_no_bounds: bool = False) -> None:
        super().__init__()
        self.register_buffer("b", torch.randn(coords, features, generator=torch.Generator().manual_seed(8))
                             * sigma)
        dims = [2 * features] + [width] * layers
        self.hidden = nn.ModuleList(nn.Linear(a, c) for a, c in itertools.pairwise(dims))
        if uniform_no_bounds:
            for lin in self.hidden:
                nn.init.uniform_(lin.weight)
        self.act = torch.sigmoid if act == "sigmoid" else F.relu
        self.out = nn.Linear(width, 1)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        p = 2 * math.pi * v @ self.b
        h = torch.cat([torch.sin(p), torch.cos(p)], dim=-1)
        for lin in self.hidden:
            h = self.act(lin(h))
        return self.out(h).squeeze(-1)
