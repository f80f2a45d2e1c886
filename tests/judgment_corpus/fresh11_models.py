"""Hand-written models of the twelfth held-out batch (``fresh11.py``): small versions of published architectures new
to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _act(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "leaky_true":
        return nn.LeakyReLU(True)  # the ``nn.ReLU(True)`` habit: negative_slope=True == 1.0, the identity
    raise ValueError(f"act must be 'relu', 'sigmoid' or 'leaky_true', got {name!r}")


class NiN(nn.Module):
    """Network in Network (Lin et al. 2014): ``blocks`` mlpconv blocks (a 3x3 convolution and two 1x1 convolutions,
    each followed by the activation; no BatchNorm, as in the paper), max-pooling after the first two, the last 1x1
    convolution giving one map per class, global average pooling. He (normal) init; ``he_precedence_slip``: the He
    uniform bound written ``6 / math.sqrt(fan_in)`` where ``math.sqrt(6 / fan_in)`` belongs (sqrt(6) ~ 2.45 times
    too wide)."""

    def __init__(self, classes: int = 10, width: int = 48, blocks: int = 3, act: str = "relu",
                 he_precedence_slip: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for i in range(blocks):
            out = classes if i == blocks - 1 else width
            layers += [nn.Conv2d(c, width, 3, padding=1), _act(act), nn.Conv2d(width, width, 1), _act(act),
                       nn.Conv2d(width, out, 1)]
            if i < blocks - 1:
                layers.append(_act(act))
            if i < 2 and i < blocks - 1:
                layers.append(nn.MaxPool2d(2))
            c = width
        self.body = nn.Sequential(*layers)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                if he_precedence_slip:
                    bound = 6 / math.sqrt(fan_in)
                    nn.init.uniform_(m.weight, -bound, bound)
                else:
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).mean((2, 3))


class APPNP(nn.Module):
    """APPNP (Klicpera et al. 2019): a two-layer MLP predicts per node, then ``K`` steps of personalised-PageRank
    propagation ``Z <- (1 - alpha) A_hat Z + alpha H`` (``A_hat``: the symmetric-normalised adjacency with self-loops);
    dropout 0.5 on the features and the hidden layer. ``teleport=False``: the ``+ alpha H`` term left out of the loop
    (plain propagation ``Z <- A_hat Z``, K times)."""

    def __init__(self, d_in: int, classes: int, hidden: int = 64, k: int = 10, alpha: float = 0.1,
                 teleport: bool = True) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Dropout(0.5), nn.Linear(d_in, hidden), nn.ReLU(), nn.Dropout(0.5),
                                 nn.Linear(hidden, classes))
        self.k, self.alpha, self.teleport = k, alpha, teleport

    def forward(self, graph: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, a_hat = graph
        h = self.mlp(x)
        z = h
        for _ in range(self.k):
            z = (1 - self.alpha) * (a_hat @ z) + self.alpha * h if self.teleport else a_hat @ z
        return z


class SkipGram(nn.Module):
    """word2vec skip-gram with negative sampling (Mikolov et al. 2013): centre vectors U(-0.5/d, 0.5/d), context
    vectors zero (the reference C code's init); the score of a pair is their dot product."""

    def __init__(self, vocab: int = 64, d: int = 32) -> None:
        super().__init__()
        self.centre = nn.Embedding(vocab, d)
        self.context = nn.Embedding(vocab, d)
        nn.init.uniform_(self.centre.weight, -0.5 / d, 0.5 / d)
        nn.init.zeros_(self.context.weight)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        centre, pos, neg = batch
        c = self.centre(centre)
        return (c * self.context(pos)).sum(-1), torch.einsum("bd,bkd->bk", c, self.context(neg))


class DecayingAdam(torch.optim.Adam):
    """Adam plus a hand-written decoupled weight decay after each step (what ``AdamW`` does):
    ``p.mul_(1 - lr * wd)``; ``slip=True`` writes it ``p.mul_(wd)``."""

    def __init__(self, params, lr: float = 1e-3, wd: float = 1e-4, slip: bool = False) -> None:
        super().__init__(params, lr=lr)
        self.wd, self.slip = wd, slip

    @torch.no_grad()
    def step(self, closure=None):
        out = super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                p.mul_(self.wd if self.slip else 1 - group["lr"] * self.wd)
        return out


class FTTransformer(nn.Module):
    """FT-Transformer (Gorishniy et al. 2021): each numeric feature becomes a token ``x_j w_j + b_j``, a [CLS] token
    is prepended, pre-LN Transformer blocks (ReGLU feed-forward; the first block's attention input not normalised, as
    in the paper), the [CLS] token through LayerNorm, ReLU and a linear head."""

    def __init__(self, features: int, classes: int, d: int = 32, blocks: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(features, d))
        self.b = nn.Parameter(torch.empty(features, d))
        self.cls = nn.Parameter(torch.empty(1, 1, d))
        for p in (self.w, self.b, self.cls):
            nn.init.uniform_(p, -1 / math.sqrt(d), 1 / math.sqrt(d))
        self.blocks = nn.ModuleList()
        for i in range(blocks):
            self.blocks.append(nn.ModuleDict({
                "ln1": nn.LayerNorm(d) if i else nn.Identity(),
                "attn": nn.MultiheadAttention(d, heads, dropout=0.2, batch_first=True),
                "ln2": nn.LayerNorm(d),
                "ff1": nn.Linear(d, 2 * int(d * 4 / 3)),
                "ff2": nn.Linear(int(d * 4 / 3), d),
            }))
        self.head = nn.Sequential(nn.LayerNorm(d), nn.ReLU(), nn.Linear(d, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.unsqueeze(-1) * self.w + self.b
        t = torch.cat([self.cls.expand(x.shape[0], -1, -1), t], dim=1)
        for blk in self.blocks:
            h = blk["ln1"](t)
            t = t + blk["attn"](h, h, h, need_weights=False)[0]
            a, g = blk["ff1"](blk["ln2"](t)).chunk(2, dim=-1)
            t = t + F.dropout(blk["ff2"](a * F.relu(g)), 0.1, self.training)
        return self.head(t[:, 0])


class SparseAutoencoder(nn.Module):
    """A sparse autoencoder: per-sample contrast normalisation of the input ``(x - mean) / (std + eps)`` (``eps=0``:
    none), an overcomplete ReLU code (``code`` units), a linear decoder; returns ``(reconstruction, code,
    normalised input)``."""

    def __init__(self, d: int = 64, code: int = 256, eps: float = 1e-2) -> None:
        super().__init__()
        self.enc = nn.Linear(d, code)
        self.dec = nn.Linear(code, d)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = (x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + self.eps)
        h = F.relu(self.enc(x))
        return self.dec(h), h, x


class TabularResNet(nn.Module):
    """The ResNet baseline of Gorishniy et al. 2021 for tabular data: a linear stem, ``blocks`` residual blocks
    ``x + Dropout(Linear(Dropout(act(Linear(BatchNorm(x))))))``, then BatchNorm, ReLU and a linear head.
    ``skip=False``: the ``x +`` left out; ``act``: the blocks' activation."""

    def __init__(self, d_in: int, out: int, d: int = 64, blocks: int = 2, act: str = "relu",
                 skip: bool = True) -> None:
        super().__init__()
        self.stem = nn.Linear(d_in, d)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.BatchNorm1d(d), nn.Linear(d, 2 * d), _act(act), nn.Dropout(0.1), nn.Linear(2 * d, d),
                          nn.Dropout(0.05)) for _ in range(blocks))
        self.head = nn.Sequential(nn.BatchNorm1d(d), nn.ReLU(), nn.Linear(d, out))
        self.skip = skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        for blk in self.blocks:
            h = h + blk(h) if self.skip else blk(h)
        return self.head(h)


class MGU(nn.Module):
    """A minimal gated unit layer (Zhou et al. 2016), time-major like ``nn.RNN``'s default (input ``(time, batch,
    d)``): ``f = sigmoid(W_f x + U_f h + b_f)``, ``h~ = tanh(W x + U (f * h) + b)``, ``h = (1 - f) h + f h~``.
    Weights U(-1/sqrt(H), 1/sqrt(H)) like ``nn.RNN``; ``recurrent_gain``: the recurrent matrices orthogonal times
    that gain instead."""

    def __init__(self, d: int, hidden: int, recurrent_gain: float | None = None) -> None:
        super().__init__()
        self.wx = nn.Linear(d, 2 * hidden)
        self.uf = nn.Linear(hidden, hidden, bias=False)
        self.uh = nn.Linear(hidden, hidden, bias=False)
        bound = 1 / math.sqrt(hidden)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)
        if recurrent_gain is not None:
            nn.init.orthogonal_(self.uf.weight, gain=recurrent_gain)
            nn.init.orthogonal_(self.uh.weight, gain=recurrent_gain)
        self.hidden = hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fx, hx = self.wx(x).chunk(2, dim=-1)
        h = x.new_zeros(x.shape[1], self.hidden)
        outs = []
        for t in range(x.shape[0]):
            f = torch.sigmoid(fx[t] + self.uf(h))
            h = (1 - f) * h + f * torch.tanh(hx[t] + self.uh(f * h))
            outs.append(h)
        return torch.stack(outs)


class MGUClassifier(nn.Module):
    """Embedding, an MGU layer, masked mean pooling of its states over the real (non-pad, id 0) tokens, linear head.
    The pooling divides by ``clamp(length, min=1)``; ``where_guard``: by the raw length inside ``torch.where(length >
    0, sum / length, 0)`` (the forward is finite, but the discarded branch's ``sum / 0`` still sends ``0 * inf = NaN``
    into the gradient). ``time_major_slip``: the batch-major ids fed to the time-major layer without a transpose (the
    recurrence runs across the batch)."""

    def __init__(self, vocab: int = 33, d: int = 32, hidden: int = 64, classes: int = 4,
                 recurrent_gain: float | None = None, where_guard: bool = False, time_major_slip: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.rnn = MGU(d, hidden, recurrent_gain)
        self.head = nn.Linear(hidden, classes)
        self.where_guard, self.time_major_slip = where_guard, time_major_slip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = (x != 0).float()
        e = self.emb(x)
        if self.time_major_slip:
            h = self.rnn(e)  # (batch, time, d) read as (time, batch, d)
        else:
            h = self.rnn(e.transpose(0, 1)).transpose(0, 1)
        s = (h * mask.unsqueeze(-1)).sum(1)
        n = mask.sum(1, keepdim=True)
        pooled = torch.where(n > 0, s / n, torch.zeros_like(s)) if self.where_guard else s / n.clamp(min=1)
        return self.head(pooled)
