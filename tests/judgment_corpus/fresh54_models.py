"""Hand-written models of the fifty-fifth held-out batch (``fresh54.py``), time-series, spatio-temporal, graph and
keyword-spotting ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The separation, scientific-ML and robotics models are in
``fresh54_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- OS-CNN ----------------------------------------------------------------------------------------------------------

PRIMES = (1, 2, 3, 5, 7)


class _OSLayer(nn.Module):
    """One layer of the Omni-Scale block: a convolution per kernel size (``same`` padding, the even sizes padded one
    more on the right, as the reference code), concatenated, BatchNorm, ReLU."""

    def __init__(self, c_in: int, c_per: int, sizes: tuple[int, ...], bn: bool = True) -> None:
        super().__init__()
        self.sizes = sizes
        self.convs = nn.ModuleList([nn.Conv1d(c_in, c_per, k) for k in sizes])
        self.bn = nn.BatchNorm1d(c_per * len(sizes)) if bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = [conv(F.pad(x, ((k - 1) // 2, k // 2))) for k, conv in zip(self.sizes, self.convs, strict=True)]
        return F.relu(self.bn(torch.cat(out, 1)))


class OSCNN(nn.Module):
    """OS-CNN (Tang et al. 2022), narrowed: the Omni-Scale block of three layers, the first two with every prime
    kernel size up to 7 (and 1, 2; 4 channels each), the last with the sizes 1 and 2 (16 channels each), global
    average pooling and a Linear classifier; PyTorch's default init. ``bn=False``: every BatchNorm left out."""

    def __init__(self, c_in: int = 1, classes: int = 4, c_per: int = 4, c_last: int = 16, bn: bool = True) -> None:
        super().__init__()
        w = c_per * len(PRIMES)
        self.block = nn.Sequential(_OSLayer(c_in, c_per, PRIMES, bn), _OSLayer(w, c_per, PRIMES, bn),
                                   _OSLayer(w, c_last, (1, 2), bn))
        self.fc = nn.Linear(2 * c_last, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, c, t
        return self.fc(self.block(x).mean(-1))


# ---- Graph WaveNet ---------------------------------------------------------------------------------------------------


def _nconv(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ncvl,vw->ncwl", x, a)


class _DiffusionConv(nn.Module):
    """Graph WaveNet's graph convolution: diffusion steps of order 2 over every support, concatenated with the input,
    a 1x1 convolution, dropout."""

    def __init__(self, c: int, supports: int, order: int = 2, dropout: float = 0.3) -> None:
        super().__init__()
        self.order, self.dropout = order, dropout
        self.mlp = nn.Conv2d((order * supports + 1) * c, c, 1)

    def forward(self, x: torch.Tensor, supports: list[torch.Tensor]) -> torch.Tensor:
        out = [x]
        for a in supports:
            x1 = _nconv(x, a)
            out.append(x1)
            for _ in range(2, self.order + 1):
                x1 = _nconv(x1, a)
                out.append(x1)
        return F.dropout(self.mlp(torch.cat(out, 1)), self.dropout, self.training)


class GraphWaveNet(nn.Module):
    """Graph WaveNet (Wu et al. 2019), narrowed: a 1x1 start convolution to 8 channels, two blocks of two layers of
    the gated dilated TCN (kernel 2, dilations 1 and 2, ``tanh * sigmoid``), each followed by the diffusion graph
    convolution over the forward and backward transition matrices and the self-adaptive adjacency ``softmax(relu(E1
    E2))`` (node embeddings of 10 drawn N(0, 1) as the reference code), residual and BatchNorm, skip connections of
    16, two end convolutions (32 channels between them) to the 12 horizons; PyTorch's default init. ``init_std``: every
    convolution drawn N(0, init_std^2) instead."""

    def __init__(self, supports: list[torch.Tensor], nodes: int, c: int = 8, skip: int = 16, end: int = 32,
                 out_len: int = 12, blocks: int = 2, layers: int = 2, emb: int = 10,
                 init_std: float | None = None) -> None:
        super().__init__()
        self.supports = supports
        self.start = nn.Conv2d(1, c, 1)
        self.nodevec1 = nn.Parameter(torch.randn(nodes, emb))
        self.nodevec2 = nn.Parameter(torch.randn(emb, nodes))
        self.dilations = [2 ** i for _ in range(blocks) for i in range(layers)]
        n = len(self.dilations)
        self.filt = nn.ModuleList([nn.Conv2d(c, c, (1, 2), dilation=(1, d)) for d in self.dilations])
        self.gate = nn.ModuleList([nn.Conv2d(c, c, (1, 2), dilation=(1, d)) for d in self.dilations])
        self.skip = nn.ModuleList([nn.Conv2d(c, skip, 1) for _ in range(n)])
        self.gconv = nn.ModuleList([_DiffusionConv(c, len(supports) + 1) for _ in range(n)])
        self.bn = nn.ModuleList([nn.BatchNorm2d(c) for _ in range(n)])
        self.end1, self.end2 = nn.Conv2d(skip, end, 1), nn.Conv2d(end, out_len, 1)
        self.field = 1 + sum(self.dilations)
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.normal_(m.weight, 0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, nodes, t -> b, nodes, horizons
        x = x[:, None]
        if x.shape[-1] < self.field:
            x = F.pad(x, (self.field - x.shape[-1], 0))
        x = self.start(x)
        adp = F.softmax(F.relu(self.nodevec1 @ self.nodevec2), dim=1)
        supports = [*self.supports, adp]
        skip = 0
        for i in range(len(self.dilations)):
            res = x
            x = torch.tanh(self.filt[i](res)) * torch.sigmoid(self.gate[i](res))
            s = self.skip[i](x)
            skip = s + (skip[..., -s.shape[-1]:] if torch.is_tensor(skip) else 0)
            x = self.gconv[i](x, supports) + res[..., -x.shape[-1]:]
            x = self.bn[i](x)
        x = F.relu(self.end1(F.relu(skip)))
        return self.end2(x)[..., -1].transpose(1, 2)


# ---- GRAND -----------------------------------------------------------------------------------------------------------


class GRAND(nn.Module):
    """GRAND-l (Chamberlain et al. 2021), narrowed: input dropout 0.5, a Linear encoder to 32, the linear diffusion
    ``dx/dt = sigmoid(a) (A(x_0) - I) x`` (``a`` trainable from 0, as the reference code's ``alpha_train``) with the
    scaled dot-product attention ``A`` over the edges and self-loops computed once from ``x_0`` (one head of 16),
    integrated to ``t = 4`` by explicit Euler steps of 0.5 (the paper's fixed-step option), ReLU, dropout 0.05, a
    Linear decoder; PyTorch's default init."""

    def __init__(self, adj: torch.Tensor, d_in: int, hidden: int = 32, classes: int = 4, att: int = 16,
                 time: float = 4.0, step: float = 0.5, in_drop: float = 0.5, drop: float = 0.05) -> None:
        super().__init__()
        self.register_buffer("mask", (adj + torch.eye(adj.shape[0])) > 0)
        self.m1, self.m2 = nn.Linear(d_in, hidden), nn.Linear(hidden, classes)
        self.q, self.k = nn.Linear(hidden, att), nn.Linear(hidden, att)
        self.alpha_train = nn.Parameter(torch.tensor(0.0))
        self.steps, self.step, self.in_drop, self.drop = round(time / step), step, in_drop, drop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.m1(F.dropout(x, self.in_drop, self.training))
        scores = self.q(x) @ self.k(x).T / math.sqrt(self.q.out_features)
        a = F.softmax(scores.masked_fill(~self.mask, float("-inf")), dim=1)
        alpha = torch.sigmoid(self.alpha_train)
        z = x
        for _ in range(self.steps):
            z = z + self.step * alpha * (a @ z - z)
        return self.m2(F.dropout(F.relu(z), self.drop, self.training))


# ---- MatchboxNet -----------------------------------------------------------------------------------------------------


class _SepConv(nn.Module):
    """A time-channel separable convolution (depthwise over time, then pointwise, no biases) and BatchNorm."""

    def __init__(self, c_in: int, c_out: int, k: int, dilation: int = 1) -> None:
        super().__init__()
        self.dw = nn.Conv1d(c_in, c_in, k, padding=dilation * (k - 1) // 2, dilation=dilation, groups=c_in, bias=False)
        self.pw = nn.Conv1d(c_in, c_out, 1, bias=False)
        self.bn = nn.BatchNorm1d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.pw(self.dw(x)))


class _MatchboxBlock(nn.Module):
    """A MatchboxNet block of one sub-block: separable convolution and BatchNorm, plus the residual's 1x1 convolution
    and BatchNorm, then ReLU."""

    def __init__(self, c_in: int, c_out: int, k: int) -> None:
        super().__init__()
        self.conv = _SepConv(c_in, c_out, k)
        self.res = nn.Sequential(nn.Conv1d(c_in, c_out, 1, bias=False), nn.BatchNorm1d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x) + self.res(x))


class MatchboxNet(nn.Module):
    """MatchboxNet (Majumdar and Ginsburg 2020), narrowed 3x1x32: the prologue's separable convolution (kernel 11),
    three blocks of one sub-block (kernels 5, 7, 9; the paper's 13, 15, 17 over 100 frames, here 33), the epilogue's
    dilated separable convolution (kernel 7, dilation 2), a 1x1 convolution with BatchNorm, the 1x1 classifier and
    global average pooling; PyTorch's default init."""

    def __init__(self, mels: int = 20, c: int = 32, classes: int = 4) -> None:
        super().__init__()
        self.prologue = nn.Sequential(_SepConv(mels, c, 11), nn.ReLU())
        self.blocks = nn.Sequential(*[_MatchboxBlock(c, c, k) for k in (5, 7, 9)])
        self.epilogue = nn.Sequential(_SepConv(c, 2 * c, 7, dilation=2), nn.ReLU(),
                                      nn.Conv1d(2 * c, 2 * c, 1, bias=False), nn.BatchNorm1d(2 * c), nn.ReLU(),
                                      nn.Conv1d(2 * c, classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, mels, frames
        return self.epilogue(self.blocks(self.prologue(x))).mean(-1)
