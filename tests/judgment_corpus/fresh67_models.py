"""Hand-written models of the sixty-eighth held-out batch (``fresh67.py``), the recurrent, long-convolution and
linear-attention ones: small versions of published sequence architectures new to the corpus, each with the switches
its broken variants need (one fault each, off by default). The audio, speech, forecasting and event-sequence models
are in ``fresh67_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- UnICORNN --------------------------------------------------------------------------------------------------------


class _UnICORNNLayer(nn.Module):
    """One UnICORNN layer (Rusch and Mishra 2021): independent undamped oscillators ``y'' = -(tanh(w y + V u + b) +
    alpha y)``, integrated by symplectic Euler with a learned time step per unit ``dt * sigmoid(c)``: ``z <- z - dt
    sigmoid(c) (tanh(w y + V u_t + b) + alpha y)``, ``y <- y + dt sigmoid(c) z``. The reference code's init: ``w``
    uniform in [0, 1], ``c`` uniform in [-0.1, 0.1], ``V`` Kaiming-normal, ``b`` zero. ``initial_each_step``: the
    step written ``y, z = cell(u_t, y0, z0)``, the initial (zero) state passed at every step instead of the carried
    one; ``state_dropout``: ``nn.Dropout`` applied to the carried ``(y, z)`` at every step (a fresh mask each step)."""

    def __init__(self, nin: int, hidden: int, dt: float, alpha: float, initial_each_step: bool = False,
                 state_dropout: float = 0.0) -> None:
        super().__init__()
        self.v = nn.Linear(nin, hidden)
        self.w = nn.Parameter(torch.rand(hidden))
        self.c = nn.Parameter(torch.rand(hidden) * 0.2 - 0.1)
        nn.init.kaiming_normal_(self.v.weight)
        nn.init.zeros_(self.v.bias)
        self.dt, self.alpha, self.initial_each_step = dt, alpha, initial_each_step
        self.drop = nn.Dropout(state_dropout)

    def cell(self, u: torch.Tensor, y: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        step = self.dt * torch.sigmoid(self.c)
        z = z - step * (torch.tanh(self.w * y + u) + self.alpha * y)
        return y + step * z, z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.v(x)
        y0 = z0 = x.new_zeros(x.shape[0], u.shape[-1])
        y, z, ys = y0, z0, []
        for t in range(x.shape[1]):
            y, z = self.cell(u[:, t], y0, z0) if self.initial_each_step else self.cell(u[:, t], y, z)
            if self.drop.p > 0:
                y, z = self.drop(y), self.drop(z)
            ys.append(y)
        return torch.stack(ys, 1)


class UnICORNN(nn.Module):
    """UnICORNN (Rusch and Mishra 2021, "UnICORNN: a recurrent model for learning very long time dependencies"),
    narrowed: two stacked layers of 64 oscillators (``dt`` 0.126, ``alpha`` 13), a Linear read-out of the top layer's
    last ``y``. ``layers``: the number of stacked layers; ``dt``: the base time step; the slips: see
    :class:`_UnICORNNLayer`."""

    def __init__(self, nin: int = 2, hidden: int = 64, classes: int = 4, layers: int = 2, dt: float = 0.126,
                 alpha: float = 13.0, initial_each_step: bool = False, state_dropout: float = 0.0) -> None:
        super().__init__()
        self.layers = nn.ModuleList([_UnICORNNLayer(nin if i == 0 else hidden, hidden, dt, alpha, initial_each_step,
                                                    state_dropout) for i in range(layers)])
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return self.head(x[:, -1])


# ---- MI-RNN ----------------------------------------------------------------------------------------------------------


class MIRNN(nn.Module):
    """The multiplicative-integration RNN (Wu et al. 2016, "On multiplicative integration with recurrent neural
    networks"), its general form ``h_t = tanh(alpha * (W x_t) * (U h_(t-1)) + beta1 * (U h_(t-1)) + beta2 * (W x_t)
    + b)`` over token embeddings of 32, 64 units, a Linear classifier on the last state; ``alpha``, ``beta1``,
    ``beta2`` started at 1, 0.5, 0.5; ``W``, ``U`` Xavier-uniform, ``b`` zero. ``recurrent_std``: ``U`` drawn
    N(0, recurrent_std^2) instead."""

    def __init__(self, vocab: int = 32, emb: int = 32, hidden: int = 64, classes: int = 4,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.w, self.u = nn.Linear(emb, hidden, bias=False), nn.Linear(hidden, hidden, bias=False)
        self.b = nn.Parameter(torch.zeros(hidden))
        self.alpha, self.beta1, self.beta2 = (nn.Parameter(torch.full((hidden,), v)) for v in (1.0, 0.5, 0.5))
        nn.init.xavier_uniform_(self.w.weight)
        if recurrent_std is None:
            nn.init.xavier_uniform_(self.u.weight)
        else:
            nn.init.normal_(self.u.weight, 0.0, recurrent_std)
        self.head = nn.Linear(hidden, classes)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        wx = self.w(self.emb(s))
        h = wx.new_zeros(s.shape[0], self.u.in_features)
        for t in range(s.shape[1]):
            uh = self.u(h)
            h = torch.tanh(self.alpha * wx[:, t] * uh + self.beta1 * uh + self.beta2 * wx[:, t] + self.b)
        return self.head(h)


# ---- SGConv ----------------------------------------------------------------------------------------------------------


class _SGConv(nn.Module):
    """The structured global convolution (Li et al. 2022): a kernel as long as the sequence, made of sub-kernels of 16
    taps, the i-th linearly upsampled by ``2^max(0, i-1)`` and weighted ``decay^i`` (decay 0.5), concatenated and
    divided by its norm at init; applied causally by FFT per channel, plus a skip ``D x``."""

    def __init__(self, channels: int, length: int, kernel_dim: int = 16, decay: float = 0.5) -> None:
        super().__init__()
        self.scales = 1 + math.ceil(math.log2(length / kernel_dim))
        self.kernels = nn.ParameterList([nn.Parameter(torch.randn(1, channels, kernel_dim))
                                         for _ in range(self.scales)])
        self.decay, self.length = decay, length
        self.d = nn.Parameter(torch.randn(channels))
        self.register_buffer("norm", self.kernel(raw=True).norm(dim=-1, keepdim=True).detach())

    def kernel(self, raw: bool = False) -> torch.Tensor:
        parts = [F.interpolate(k, scale_factor=2 ** max(0, i - 1), mode="linear") * self.decay ** i
                 for i, k in enumerate(self.kernels)]
        k = torch.cat(parts, -1)[0, :, : self.length]
        return k if raw else k / self.norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (b, channels, length)
        n = x.shape[-1]
        y = torch.fft.irfft(torch.fft.rfft(x, 2 * n) * torch.fft.rfft(self.kernel()[:, :n], 2 * n), 2 * n)[..., :n]
        return y + self.d[:, None] * x


class SGConvNet(nn.Module):
    """An SGConv classifier (Li et al. 2022, "What makes convolutional models great on long sequence modeling?"),
    narrowed: a Linear encoder to 32 channels, two pre-LayerNorm residual blocks (SGConv, GELU, dropout 0.1, a Linear
    of 32, as in the S4 blocks the reference code builds on), a final LayerNorm and a Linear decoder on the last
    position."""

    def __init__(self, nin: int = 2, d: int = 32, length: int = 64, classes: int = 4, blocks: int = 2) -> None:
        super().__init__()
        self.enc = nn.Linear(nin, d)
        self.convs = nn.ModuleList([_SGConv(d, length) for _ in range(blocks)])
        self.outs = nn.ModuleList([nn.Linear(d, d) for _ in range(blocks)])
        self.norms = nn.ModuleList([nn.LayerNorm(d) for _ in range(blocks + 1)])
        self.drop = nn.Dropout(0.1)
        self.dec = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.enc(x)
        for conv, out, ln in zip(self.convs, self.outs, self.norms):
            z = conv(ln(h).transpose(1, 2)).transpose(1, 2)
            h = h + self.drop(out(self.drop(F.gelu(z))))
        return self.dec(self.norms[-1](h)[:, -1])


# ---- Based -----------------------------------------------------------------------------------------------------------


class _BasedAttention(nn.Module):
    """Based's linear attention (Arora et al. 2024): queries and keys projected to 8 per head (2 heads) through the
    second-order Taylor feature map ``phi(x) = [1, x / 8^(1/4), (x x^T) / (sqrt(2) sqrt(8))]`` (so ``phi(q) .
    phi(k) = 1 + s + s^2 / 2 > 0`` for ``s = q . k / sqrt(8)``), run as the causal recurrence ``S_t = S_(t-1) + phi(k_t)
    v_t^T``, ``z_t = z_(t-1) + phi(k_t)``, ``y_t = phi(q_t) S_t / (phi(q_t) . z_t)``. ``read_before_write``: the
    step's output read from ``S_(t-1)``, ``z_(t-1)`` before the state is updated (at ``t = 0`` both are zero:
    ``0 / 0``)."""

    def __init__(self, d: int, heads: int = 2, feature: int = 8, read_before_write: bool = False) -> None:
        super().__init__()
        self.heads, self.f, self.read_before_write = heads, feature, read_before_write
        self.q, self.k = nn.Linear(d, heads * feature, bias=False), nn.Linear(d, heads * feature, bias=False)
        self.v, self.o = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)

    def phi(self, x: torch.Tensor) -> torch.Tensor:
        x = x / self.f ** 0.25
        second = (x[..., :, None] * x[..., None, :]).flatten(-2) / math.sqrt(2)
        return torch.cat([torch.ones_like(x[..., :1]), x, second], -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q = self.phi(self.q(x).view(b, n, self.heads, self.f))
        k = self.phi(self.k(x).view(b, n, self.heads, self.f))
        v = self.v(x).view(b, n, self.heads, d // self.heads)
        s = x.new_zeros(b, self.heads, q.shape[-1], d // self.heads)
        z = x.new_zeros(b, self.heads, q.shape[-1])
        out = []
        for t in range(n):
            if not self.read_before_write:
                s, z = s + k[:, t, :, :, None] * v[:, t, :, None, :], z + k[:, t]
            num = torch.einsum("bhf,bhfe->bhe", q[:, t], s)
            den = (q[:, t] * z).sum(-1, keepdim=True)
            out.append(num / den)
            if self.read_before_write:
                s, z = s + k[:, t, :, :, None] * v[:, t, :, None, :], z + k[:, t]
        return self.o(torch.stack(out, 1).reshape(b, n, d))


class BasedLM(nn.Module):
    """A Based language model (Arora et al. 2024, "Simple linear attention language models balance the
    recall-throughput tradeoff"), narrowed: token embeddings of 32, two pre-LayerNorm blocks, each a short causal
    depthwise convolution (kernel 3) mixer, the Taylor linear attention and a GELU MLP (4x), each residual, a final
    LayerNorm and the tied output; the sliding-window attention layers left out; N(0, 0.02^2) init.
    ``read_before_write``: see :class:`_BasedAttention`."""

    def __init__(self, vocab: int = 64, d: int = 32, blocks: int = 2, read_before_write: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.convs = nn.ModuleList([nn.Conv1d(d, d, 3, padding=2, groups=d) for _ in range(blocks)])
        self.attns = nn.ModuleList([_BasedAttention(d, read_before_write=read_before_write) for _ in range(blocks)])
        self.mlps = nn.ModuleList([nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
                                   for _ in range(blocks)])
        self.lns = nn.ModuleList([nn.LayerNorm(d) for _ in range(3 * blocks + 1)])
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        h, n = self.emb(s), s.shape[1]
        for i, (conv, attn, mlp) in enumerate(zip(self.convs, self.attns, self.mlps)):
            h = h + conv(self.lns[3 * i](h).transpose(1, 2))[..., :n].transpose(1, 2)
            h = h + attn(self.lns[3 * i + 1](h))
            h = h + mlp(self.lns[3 * i + 2](h))
        return self.lns[-1](h) @ self.emb.weight.T
