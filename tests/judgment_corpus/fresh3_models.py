"""Hand-written models and data of the fourth held-out batch (``fresh3.py``), written here, not copied."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL

# ---- point clouds: PointNet ------------------------------------------------------------------------------------------


class PointNet(nn.Module):
    """PointNet's classification network (Qi et al. 2017) without the input transforms: a shared per-point MLP
    (1x1 Conv1d-BN-ReLU: 3 -> 32 -> 64 -> 128), max-pool over points, FC 64-BN-ReLU, dropout 0.3, linear head.
    ``relu_shift``: every BatchNorm's shift (beta) starts there instead of 0. ``embed``: return the pooled
    feature's 32-d projection (a metric-learning embedding) instead of class scores."""

    def __init__(self, classes: int = 4, relu_shift: float = 0.0, embed: bool = False) -> None:
        super().__init__()
        dims = [3, 32, 64, 128]
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(dims):
            layers += [nn.Conv1d(a, b, 1), nn.BatchNorm1d(b), nn.ReLU()]
        self.point_mlp = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(64, 32 if embed else classes)
        if relu_shift:
            with torch.no_grad():
                for m in self.modules():
                    if isinstance(m, nn.BatchNorm1d):
                        m.bias.fill_(relu_shift)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        h = self.point_mlp(points.transpose(1, 2)).amax(2)
        return self.head(self.fc(h))


def point_batches(seed: int, classes: int = 4, points: int = 64, batch: int = 32, nan_record: bool = False,
                  ) -> Callable[[int], Any]:
    """``(points (batch, points, 3), labels)``: each class is a fixed cloud of 6 anchor points; a sample draws its
    points around random anchors (noise 0.15), rotated at random about the z axis, in random order. With
    ``nan_record``, sample 5's point 0 is NaN in x (a missing sensor reading)."""
    anchors = torch.randn(classes, 6, 3, generator=torch.Generator().manual_seed(313))
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        y = torch.randint(0, classes, (batch,), generator=g)
        pick = torch.randint(0, 6, (batch, points), generator=g)
        p = anchors[y[:, None], pick] + 0.15 * torch.randn(batch, points, 3, generator=g)
        a = 2 * math.pi * torch.rand(batch, generator=g)
        c, s = a.cos(), a.sin()
        rot = torch.zeros(batch, 3, 3)
        rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1], rot[:, 2, 2] = c, -s, s, c, 1.0
        p = p @ rot
        if nan_record:
            p[5, 0, 0] = float("nan")
        pool.append((p, y))
    return lambda step: pool[step % POOL]


def batch_hard_triplet(emb: torch.Tensor, y: torch.Tensor, margin: float = 0.5, eps: float | None = None,
                       ) -> torch.Tensor:
    """Batch-hard triplet loss (Hermans et al. 2017) on Euclidean distances. The distance matrix is
    ``sqrt(sum (a - b)^2)``; without ``eps`` its diagonal is sqrt(0), whose gradient is 0/0 (NaN) even though no
    diagonal entry is picked. With ``eps`` the root is of ``d^2 + eps``."""
    d2 = (emb[:, None, :] - emb[None, :, :]).pow(2).sum(-1)
    d = d2.sqrt() if eps is None else (d2 + eps).sqrt()
    same = y[:, None] == y[None, :]
    hardest_pos = torch.where(same, d, torch.zeros_like(d)).amax(1)
    hardest_neg = torch.where(same, torch.full_like(d, 1e4), d).amin(1)
    return F.relu(hardest_pos - hardest_neg + margin).mean()


# ---- MLPs: highway network, neural ODE -------------------------------------------------------------------------------


class Highway(nn.Module):
    """A highway network (Srivastava et al. 2015): input projection, ``layers`` layers ``y = H(x) T(x) + x (1 -
    T(x))`` with ``H = relu(W_H x + b)`` and ``T = sigmoid(W_T x + b_T)``, ``b_T`` = -2 (the paper's carry bias),
    linear head. ``gates=False``: a plain stack of ``act(W x + b)`` layers of the same width (the paper's "plain
    network"). ``h_std``: the H weights drawn from N(0, h_std^2) instead of PyTorch's default."""

    def __init__(self, d_in: int = 32, width: int = 64, layers: int = 20, classes: int = 10, gates: bool = True,
                 act: Callable[[], nn.Module] = nn.ReLU, h_std: float | None = None) -> None:
        super().__init__()
        self.inp = nn.Linear(d_in, width)
        self.h = nn.ModuleList([nn.Linear(width, width) for _ in range(layers)])
        self.t = nn.ModuleList([nn.Linear(width, width) for _ in range(layers)]) if gates else None
        self.act = act()
        self.head = nn.Linear(width, classes)
        with torch.no_grad():
            if self.t is not None:
                for m in self.t:
                    m.bias.fill_(-2.0)
            if h_std is not None:
                for m in self.h:
                    m.weight.normal_(0.0, h_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.inp(x))
        for i, h in enumerate(self.h):
            if self.t is None:
                x = self.act(h(x))
            else:
                gate = torch.sigmoid(self.t[i](x))
                x = self.act(h(x)) * gate + x * (1 - gate)
        return self.head(x)


class ODENet(nn.Module):
    """A neural-ODE classifier (Chen et al. 2018) integrated with fixed-step Euler: ``h <- h + dt f(h, t)`` for
    ``steps`` steps from ``t = 0`` to 1, ``f`` a shared tanh MLP that also reads ``t``; input projection and linear
    head around it."""

    def __init__(self, d_in: int = 32, width: int = 64, classes: int = 10, steps: int = 8) -> None:
        super().__init__()
        self.inp = nn.Linear(d_in, width)
        self.f1 = nn.Linear(width + 1, width)
        self.f2 = nn.Linear(width + 1, width)
        self.head = nn.Linear(width, classes)
        self.steps = steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        dt = 1.0 / self.steps
        for k in range(self.steps):
            t = torch.full_like(h[:, :1], k * dt)
            z = torch.tanh(self.f1(torch.cat([h, t], 1)))
            h = h + dt * self.f2(torch.cat([z, t], 1))
        return self.head(h)


# ---- sequences: sparse mixture of experts, IndRNN --------------------------------------------------------------------


class RMSNorm(nn.Module):
    """A hand-written RMSNorm, ``x / sqrt(mean(x^2) + eps) * w``; ``eps=None`` leaves the eps out."""

    def __init__(self, dim: int, eps: float | None = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ms = x.pow(2).mean(-1, keepdim=True)
        return x / (ms.sqrt() if self.eps is None else (ms + self.eps).sqrt()) * self.weight


class _MoE(nn.Module):
    """A Switch-style top-1 mixture of ``experts`` ReLU MLPs: the router's softmax probability scales the chosen
    expert's output."""

    def __init__(self, dim: int, experts: int, hidden: int) -> None:
        super().__init__()
        self.router = nn.Linear(dim, experts, bias=False)
        self.w1 = nn.ModuleList([nn.Linear(dim, hidden) for _ in range(experts)])
        self.w2 = nn.ModuleList([nn.Linear(hidden, dim) for _ in range(experts)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(self.router(x), -1)
        p, idx = probs.max(-1)
        out = torch.zeros_like(x)
        for e, (w1, w2) in enumerate(zip(self.w1, self.w2, strict=True)):
            sel = idx == e
            if bool(sel.any()):
                out[sel] = w2(F.relu(w1(x[sel]))) * p[sel, None]
        return out


class MoEClassifier(nn.Module):
    """A token-sequence classifier of pre-norm residual top-1 MoE blocks: embedding (``padding_idx`` 0: the pad
    embedding is exactly zero), ``layers`` x ``x + MoE(RMSNorm(x))``, RMSNorm, mean over the non-pad tokens, head.
    ``norm_eps``: the RMSNorms' eps (None: no eps)."""

    def __init__(self, vocab: int = 32, dim: int = 48, experts: int = 4, hidden: int = 96, layers: int = 2,
                 classes: int = 4, norm_eps: float | None = 1e-6) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.norms = nn.ModuleList([RMSNorm(dim, norm_eps) for _ in range(layers)])
        self.blocks = nn.ModuleList([_MoE(dim, experts, hidden) for _ in range(layers)])
        self.final = RMSNorm(dim, norm_eps)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        for norm, block in zip(self.norms, self.blocks, strict=True):
            h = h + block(norm(h))
        keep = (x != 0).float()[..., None]
        pooled = (self.final(h) * keep).sum(1) / keep.sum(1).clamp(min=1)
        return self.head(pooled)


def padded_sequence_batches(seed: int, vocab: int = 32, length: int = 24, classes: int = 4, batch: int = 32,
                            ) -> Callable[[int], Any]:
    """Token sequences (ids 1 .. vocab-1) of random length 8 .. ``length``, right-padded with id 0, labelled by
    their most frequent class (``token % classes`` over the real tokens)."""
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        x = torch.randint(1, vocab, (batch, length), generator=g)
        n = torch.randint(8, length + 1, (batch,), generator=g)
        real = torch.arange(length)[None] < n[:, None]
        x = torch.where(real, x, torch.zeros_like(x))
        counts = (F.one_hot(x % classes, classes) * real[..., None]).sum(1)
        pool.append((x, counts.argmax(1)))
    return lambda step: pool[step % POOL]


class IndRNN(nn.Module):
    """An IndRNN classifier (Li et al. 2018): ``h_t = relu(W x_t + u * h_{t-1} + b)`` with an independent
    (element-wise) recurrent weight ``u`` per unit, two layers, linear head on the last state. ``u`` is drawn
    uniformly from ``u_range`` (the paper: (0, 1) for short tasks; |u| above 1 compounds over time)."""

    def __init__(self, vocab: int = 32, emb: int = 32, hidden: int = 64, classes: int = 4, layers: int = 2,
                 u_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        dims = [emb] + [hidden] * layers
        self.inp = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(dims)])
        self.u = nn.ParameterList([nn.Parameter(torch.empty(hidden).uniform_(*u_range)) for _ in range(layers)])
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq = self.emb(x)
        for lin, u in zip(self.inp, self.u, strict=True):
            pre = lin(seq)
            h = torch.zeros_like(pre[:, 0])
            outs = []
            for t in range(pre.shape[1]):
                h = F.relu(pre[:, t] + u * h)
                outs.append(h)
            seq = torch.stack(outs, 1)
        return self.head(seq[:, -1])
