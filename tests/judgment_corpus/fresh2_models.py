"""Hand-written models and data of the third held-out batch (``fresh2.py``), written here, not copied."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL

# ---- sequence: WaveNet, seq2seq, LSTM memory, ReLU RNN LM ------------------------------------------------------------


class _GatedLayer(nn.Module):
    """WaveNet layer (van den Oord et al. 2016): causal dilated conv -> tanh(f) * sigmoid(g) -> 1x1 residual and
    1x1 skip outputs."""

    def __init__(self, c: int, dilation: int, residual: bool) -> None:
        super().__init__()
        self.pad = dilation
        self.conv = nn.Conv1d(c, 2 * c, 2, dilation=dilation)
        self.res = nn.Conv1d(c, c, 1)
        self.skip = nn.Conv1d(c, c, 1)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f, g = self.conv(F.pad(x, (self.pad, 0))).chunk(2, 1)
        z = torch.tanh(f) * torch.sigmoid(g)
        return (x + self.res(z) if self.residual else self.res(z)), self.skip(z)


class WaveNet(nn.Module):
    """A WaveNet next-token model over token ids: embedding, ``layers`` gated layers with dilations 1, 2, 4, 8, ...
    (repeating), residual and skip connections summed into a ReLU-1x1-ReLU-1x1 output stack. Without ``residual``
    each layer feeds only the next (a plain stack) and only the last layer's skip reaches the output."""

    def __init__(self, vocab: int = 64, c: int = 32, layers: int = 8, residual: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, c)
        self.layers = nn.ModuleList([_GatedLayer(c, 2 ** (i % 4), residual) for i in range(layers)])
        self.out = nn.Sequential(nn.ReLU(), nn.Conv1d(c, c, 1), nn.ReLU(), nn.Conv1d(c, vocab, 1))
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x).transpose(1, 2)
        total = torch.zeros_like(h)
        for layer in self.layers:
            h, s = layer(h)
            total = total + s if self.residual else s
        return self.out(total).transpose(1, 2)


class Seq2Seq(nn.Module):
    """An LSTM encoder-decoder (Sutskever et al. 2014) with teacher forcing: the decoder starts from the encoder's
    final state and reads the previous target token (a start token 0 first)."""

    def __init__(self, vocab: int = 32, emb: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.src_emb = nn.Embedding(vocab, emb)
        self.tgt_emb = nn.Embedding(vocab, emb)
        self.encoder = nn.LSTM(emb, hidden, batch_first=True)
        self.decoder = nn.LSTM(emb, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        src, tgt = batch
        _, state = self.encoder(self.src_emb(src))
        prev = torch.cat([torch.zeros_like(tgt[:, :1]), tgt[:, :-1]], 1)
        out, _ = self.decoder(self.tgt_emb(prev), state)
        return self.head(out)


class LSTMClassifier(nn.Module):
    """Embedding -> one-layer LSTM -> linear head on the last hidden state; the forget-gate bias (b_ih + b_hh) is set
    to ``forget_bias`` (0 is PyTorch's default, +1 the common recommendation)."""

    def __init__(self, vocab: int = 32, emb: int = 32, hidden: int = 64, classes: int = 4,
                 forget_bias: float = 0.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)
        with torch.no_grad():
            for b in (self.lstm.bias_ih_l0, self.lstm.bias_hh_l0):
                b[hidden:2 * hidden].fill_(forget_bias / 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.emb(x))
        return self.head(out[:, -1])


class ReluRNNLM(nn.Module):
    """Embedding -> one-layer ReLU RNN with its recurrent matrix orthogonal x ``radius`` -> linear head at every
    step (an IRNN-style language model, Le et al. 2015)."""

    def __init__(self, vocab: int = 64, emb: int = 32, hidden: int = 64, radius: float = 1.0, seed: int = 0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.rnn = nn.RNN(emb, hidden, nonlinearity="relu", batch_first=True)
        self.head = nn.Linear(hidden, vocab)
        g = torch.Generator().manual_seed(900 + seed)
        q, _ = torch.linalg.qr(torch.randn(hidden, hidden, generator=g))
        with torch.no_grad():
            self.rnn.weight_hh_l0.copy_(radius * q)
            self.rnn.bias_hh_l0.zero_()
            self.rnn.bias_ih_l0.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.emb(x))
        return self.head(out)


# ---- vision: ConvMixer, diffusion U-Net ------------------------------------------------------------------------------


class _Residual(nn.Module):
    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ConvMixer(nn.Module):
    """ConvMixer (Trockman & Kolter 2022): patch embedding conv-GELU-BN, then ``depth`` blocks of a residual
    depthwise conv-GELU-BN and a pointwise conv-GELU-BN; pool, linear head. ``bn=False`` drops every BatchNorm."""

    def __init__(self, dim: int = 32, depth: int = 4, kernel: int = 5, patch: int = 2, classes: int = 10,
                 bn: bool = True) -> None:
        super().__init__()

        def norm() -> nn.Module:
            return nn.BatchNorm2d(dim) if bn else nn.Identity()

        mods: list[nn.Module] = [nn.Conv2d(3, dim, patch, stride=patch), nn.GELU(), norm()]
        for _ in range(depth):
            mods += [_Residual(nn.Sequential(nn.Conv2d(dim, dim, kernel, groups=dim, padding=kernel // 2), nn.GELU(),
                                             norm())),
                     nn.Conv2d(dim, dim, 1), nn.GELU(), norm()]
        mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(dim, classes)]
        self.net = nn.Sequential(*mods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _group_norm(c: int, norm: bool) -> nn.Module:
    return nn.GroupNorm(4, c) if norm else nn.Identity()


class _ResBlock(nn.Module):
    """GroupNorm-SiLU-Conv twice with the time embedding added in between, and a residual (DDPM's block)."""

    def __init__(self, a: int, b: int, tdim: int, norm: bool = True) -> None:
        super().__init__()
        self.n1, self.c1 = _group_norm(a, norm), nn.Conv2d(a, b, 3, padding=1)
        self.t = nn.Linear(tdim, b)
        self.n2, self.c2 = _group_norm(b, norm), nn.Conv2d(b, b, 3, padding=1)
        self.skip = nn.Conv2d(a, b, 1) if a != b else nn.Identity()

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x))) + self.t(t)[:, :, None, None]
        return self.skip(x) + self.c2(F.silu(self.n2(h)))


class DiffusionUNet(nn.Module):
    """A small DDPM-style noise-prediction U-Net (Ho et al. 2020): sinusoidal time embedding + MLP, GroupNorm/SiLU
    residual blocks at two resolutions, skip concatenation; input ``(noisy image, t)``. ``norm=False`` drops every
    GroupNorm."""

    def __init__(self, c: int = 16, tdim: int = 32, norm: bool = True) -> None:
        super().__init__()
        self.tdim = tdim
        self.temb = nn.Sequential(nn.Linear(tdim, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.inp = nn.Conv2d(1, c, 3, padding=1)
        self.down = _ResBlock(c, c, tdim, norm)
        self.pool = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.mid = _ResBlock(2 * c, 2 * c, tdim, norm)
        self.upconv = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.up = _ResBlock(2 * c, c, tdim, norm)
        self.out = nn.Sequential(_group_norm(c, norm), nn.SiLU(), nn.Conv2d(c, 1, 3, padding=1))

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, t = batch
        half = self.tdim // 2
        freqs = torch.exp(-math.log(1000.0) * torch.arange(half) / half)
        ang = t[:, None].float() * freqs[None]
        temb = self.temb(torch.cat([ang.sin(), ang.cos()], 1))
        h0 = self.down(self.inp(x), temb)
        h1 = self.mid(self.pool(h0), temb)
        return self.out(self.up(torch.cat([self.upconv(h1), h0], 1), temb))


def diffusion_batches(seed: int, size: int = 16, batch: int = 16, steps: int = 100,
                      scale: float = 1.0) -> Callable[[int], Any]:
    """DDPM training pairs ``((x_t, t), noise)`` on smooth random fields of unit spread (times ``scale``): linear
    beta schedule 1e-4..0.02 over ``steps``; ``t`` uniform."""
    betas = torch.linspace(1e-4, 0.02 * 1000 / steps, steps)
    abar = torch.cumprod(1 - betas, 0)
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        x0 = F.interpolate(torch.randn(batch, 1, 4, 4, generator=g), size=(size, size), mode="bilinear",
                           align_corners=False)
        x0 = x0 / x0.std() * scale
        t = torch.randint(0, steps, (batch,), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        a = abar[t][:, None, None, None]
        pool.append(((a.sqrt() * x0 + (1 - a).sqrt() * noise, t), noise))
    return lambda step: pool[step % POOL]


# ---- graphs: GraphSAGE -----------------------------------------------------------------------------------------------


class GraphSAGE(nn.Module):
    """GraphSAGE with the mean aggregator (Hamilton et al. 2017): ``h' = relu(W_self h + W_neigh mean_N(h))`` for
    ``layers`` layers (dropout 0.5 between them), then a linear head per node; PyTorch's default init times ``gain``
    and hidden biases at ``bias``."""

    def __init__(self, adj: torch.Tensor, feats: int = 16, hidden: int = 32, classes: int = 4, layers: int = 2,
                 gain: float = 1.0, bias: float | None = None) -> None:
        super().__init__()
        deg = adj.sum(1, keepdim=True).clamp(min=1)
        self.register_buffer("mean_adj", adj / deg)
        dims = [feats] + [hidden] * layers
        self.self_lin = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(dims)])
        self.neigh_lin = nn.ModuleList([nn.Linear(a, b, bias=False) for a, b in itertools.pairwise(dims)])
        self.head = nn.Linear(hidden, classes)
        with torch.no_grad():
            for m in [*self.self_lin, *self.neigh_lin]:
                m.weight.mul_(gain)
            if bias is not None:
                for m in self.self_lin:
                    m.bias.fill_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a: torch.Tensor = self.mean_adj  # type: ignore[assignment]
        h = x
        for s, n in zip(self.self_lin, self.neigh_lin, strict=True):
            h = F.dropout(F.relu(s(h) + n(a @ h)), 0.5, self.training)
        return self.head(h)


def sparse_graph(seed: int, nodes: int = 120, classes: int = 4, feats: int = 16) -> tuple[torch.Tensor, ...]:
    """A planted-partition graph without self-loops (p_in 0.12, p_out 0.01): the 0/1 adjacency, noisy class
    features and node labels."""
    g = torch.Generator().manual_seed(700 + seed)
    y = torch.arange(nodes) % classes
    p = torch.where(y[:, None] == y[None, :], 0.12, 0.01)
    a = torch.triu((torch.rand(nodes, nodes, generator=g) < p).float(), 1)
    a = a + a.T
    centres = torch.randn(classes, feats, generator=g)
    x = 0.4 * centres[y] + torch.randn(nodes, feats, generator=g)
    return a, x, y


# ---- contrastive (SimCLR-style) --------------------------------------------------------------------------------------


class SimCLR(nn.Module):
    """An MLP encoder and a projection head (Chen et al. 2020) applied to both views; returns the two embeddings
    (normalised by ``normalize(z)``, default ``F.normalize``)."""

    def __init__(self, d: int = 32, hidden: int = 128, out: int = 32, bias: bool = True,
                 normalize: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d, hidden, bias=bias), nn.BatchNorm1d(hidden) if bias else
                                     nn.Identity(), nn.ReLU(), nn.Linear(hidden, hidden, bias=bias))
        self.proj = nn.Sequential(nn.ReLU(), nn.Linear(hidden, out, bias=bias))
        self.normalize = normalize or (lambda z: F.normalize(z, dim=1))

    def forward(self, views: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = views
        return self.normalize(self.proj(self.encoder(a))), self.normalize(self.proj(self.encoder(b)))


def nt_xent(z: tuple[torch.Tensor, torch.Tensor], _: Any, temperature: float = 0.2) -> torch.Tensor:
    """SimCLR's NT-Xent loss over the 2N views of a batch (the other view is the positive)."""
    a, b = z
    zz = torch.cat([a, b], 0)
    sim = zz @ zz.T / temperature
    sim = sim.masked_fill(torch.eye(len(zz), dtype=torch.bool), float("-inf"))
    n = len(a)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, target)


def pair_bce_manual(z: tuple[torch.Tensor, torch.Tensor], _: Any, temperature: float = 0.01) -> torch.Tensor:
    """A pair classifier's loss written by hand: every (i, j) pair of first/second views is "same" when i == j,
    logit = cosine / temperature, BCE as ``-(y log p + (1 - y) log(1 - p))`` with ``p = sigmoid(logit)``."""
    a, b = z
    p = torch.sigmoid(a @ b.T / temperature)
    y = torch.eye(len(a))
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def pair_bce_logits(z: tuple[torch.Tensor, torch.Tensor], _: Any, temperature: float = 0.01) -> torch.Tensor:
    """The same pair loss through ``F.binary_cross_entropy_with_logits`` (the control of :func:`pair_bce_manual`)."""
    a, b = z
    return F.binary_cross_entropy_with_logits(a @ b.T / temperature, torch.eye(len(a)))


def two_view_batches(seed: int, d: int = 32, batch: int = 64, clusters: int = 16, empty: int = 0,
                     inf_record: bool = False) -> Callable[[int], Any]:
    """``((view1, view2), None)``: samples around one of ``clusters`` fixed centres, each view with its own noise;
    with ``empty``, that many samples of each batch are all-zero (empty records) in both views; with
    ``inf_record``, sample 9's feature 2 is +Inf in both views."""
    centres = torch.randn(clusters, d, generator=torch.Generator().manual_seed(55))
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        c = centres[torch.randint(0, clusters, (batch,), generator=g)]
        x = c + 0.5 * torch.randn(batch, d, generator=g)
        v1 = x + 0.3 * torch.randn(batch, d, generator=g)
        v2 = x + 0.3 * torch.randn(batch, d, generator=g)
        if empty:
            v1[:empty] = 0.0
            v2[:empty] = 0.0
        if inf_record:
            v1[9, 2] = v2[9, 2] = float("inf")
        pool.append(((v1, v2), None))
    return lambda step: pool[step % POOL]
