"""Builders of the thirty-ninth held-out batch (``fresh38.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh38_models as M
from . import fresh38_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(380_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3800 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def sym_norm(a: torch.Tensor, guard: bool = True) -> torch.Tensor:
    """``D^-1/2 A D^-1/2``; ``guard``: the reference codes' ``d_inv_sqrt[isinf] = 0`` for nodes of degree 0 (without
    it their ``0^-1/2 = inf`` meets the adjacency's zeros: ``inf * 0 = NaN`` in every row)."""
    d = a.sum(1).pow(-0.5)
    if guard:
        d = torch.where(torch.isinf(d), torch.zeros_like(d), d)
    return d[:, None] * a * d[None]


# ---- data ------------------------------------------------------------------------------------------------------------

def hetero_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32, isolated: int = 20
                 ) -> tuple[torch.Tensor, ...]:
    """A heterophilous stochastic block model (4 classes of 75 nodes, edge probabilities 0.01 within a class and 0.04
    across; the last 20 nodes are cold-start nodes without edges), its adjacency without self-loops, weak node
    features (the class's fixed mean direction times 0.3 plus N(0, 1) noise, 32 dimensions) and the labels; the
    first half of a fixed random order is the training set: ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.01, 0.04)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    a[n - isolated:], a[:, n - isolated:] = 0.0, 0.0
    means = torch.randn(classes, features, generator=_fixed(1))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def interactions(seed: int, users: int = 100, items: int = 120, groups: int = 5, per_user: int = 12,
                 batch: int = 256) -> tuple[torch.Tensor, Callable[[int], Any]]:
    """Implicit feedback: each user (group ``u % 5``) has 12 items, 10 drawn from its group's items (``i % 5``) and 2
    from all; the normalised bipartite graph ``L`` (users first, items after) and batches of 256 BPR triples (a
    random user, one of its items, an item it has not): ``(L, batches)``."""
    g = _gen(seed)
    r = torch.zeros(users, items)
    for u in range(users):
        own = torch.arange(u % groups, items, groups)
        r[u, own[torch.randperm(len(own), generator=g)[:10]]] = 1.0
        r[u, torch.randperm(items, generator=g)[: per_user - 10]] = 1.0
    a = torch.zeros(users + items, users + items)
    a[:users, users:], a[users:, :users] = r, r.T

    def make(gb: torch.Generator, _: int) -> Any:
        u = torch.randint(0, users, (batch,), generator=gb)
        pos = torch.multinomial(r[u], 1, generator=gb)[:, 0]
        neg = torch.multinomial(1 - r[u], 1, generator=gb)[:, 0]
        return torch.stack([u, pos, neg], 1), torch.zeros(batch)
    return sym_norm(a), _pool(seed, make)


def cycle_series(seed: int, batch: int = 64, lookback: int = 48, horizon: int = 12, channels: int = 3,
                 cycle: int = 24) -> Callable[[int], Any]:
    """Series of 3 channels with a fixed daily pattern (a cycle of 24 steps: two random harmonics a channel), a level
    (N(0, 2^2)) and a scale (0.5 to 2) per sample, and AR(1) noise (0.8, innovations 0.3); each window starts at a
    random phase. Inputs ``(b, 48, 3 + 1)``: the look-back and, last, its steps' index (the dataset's time feature,
    whose value mod 24 is the phase); targets the next 12 steps ``(b, 12, 3)``."""
    fg = _fixed(2)
    t = torch.arange(cycle).float()[:, None] / cycle
    pattern = sum(torch.randn(1, channels, generator=fg) / k * torch.sin(2 * math.pi * k * t
                  + 2 * math.pi * torch.rand(1, channels, generator=fg)) for k in (1, 2))
    n = lookback + horizon

    def make(g: torch.Generator, _: int) -> Any:
        t0 = torch.randint(0, 10 * cycle, (batch,), generator=g)
        steps = t0[:, None] + torch.arange(n)
        noise = torch.zeros(batch, n, channels)
        e = 0.3 * torch.randn(batch, n, channels, generator=g)
        for i in range(n):
            noise[:, i] = e[:, i] + (0.8 * noise[:, i - 1] if i else 0.0)
        level = 2 * torch.randn(batch, 1, channels, generator=g)
        scale = 0.5 + 1.5 * torch.rand(batch, 1, channels, generator=g)
        x = level + scale * (pattern[steps % cycle] + noise)
        inp = torch.cat([x[:, :lookback], steps[:, :lookback, None].float()], 2)
        return inp, x[:, lookback:]
    return _pool(seed, make)


def _shape(kind: int, g: torch.Generator, n: int) -> torch.Tensor:
    u, v = torch.rand(n, generator=g), torch.rand(n, generator=g)
    th = 2 * math.pi * u
    if kind == 0:  # sphere
        z = 2 * v - 1
        r = (1 - z ** 2).sqrt()
        return torch.stack([r * th.cos(), r * th.sin(), z], 1)
    if kind == 1:  # cube surface
        p = 2 * torch.rand(n, 3, generator=g) - 1
        face = torch.randint(0, 3, (n,), generator=g)
        p[torch.arange(n), face] = torch.sign(p[torch.arange(n), face])
        return p
    if kind == 2:  # cylinder
        return torch.stack([th.cos(), th.sin(), 2 * v - 1], 1)
    if kind == 3:  # cone
        return torch.stack([v * th.cos(), v * th.sin(), 1 - 2 * v], 1)
    if kind == 4:  # torus
        ph = 2 * math.pi * v
        return torch.stack([(1 + 0.4 * ph.cos()) * th.cos(), (1 + 0.4 * ph.cos()) * th.sin(), 0.4 * ph.sin()], 1)
    return torch.stack([2 * u - 1, 2 * v - 1, 0.3 * torch.sin(3 * math.pi * u)], 1)  # a wavy sheet


def point_clouds(seed: int, batch: int = 32, points: int = 64, classes: int = 6, shuffled: bool = False
                 ) -> Callable[[int], Any]:
    """Point clouds of 64 points on six surfaces (sphere, cube, cylinder, cone, torus, wavy sheet), each scaled by
    0.8 to 1.2 an axis, rotated about z at random, jittered (0.02) and centred: ``(points (b, 64, 3), class)``.
    ``shuffled``: the labels permuted within every batch, apart from their clouds."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        clouds = []
        for k in y.tolist():
            p = _shape(k, g, points) * (0.8 + 0.4 * torch.rand(3, generator=g))
            a = 2 * math.pi * float(torch.rand(1, generator=g))
            rot = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
            p = p @ rot.T + 0.02 * torch.randn(points, 3, generator=g)
            clouds.append(p - p.mean(0))
        return torch.stack(clouds), y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def poisson(seed: int, batch: int = 32, n: int = 64, modes: int = 3) -> Callable[[int], Any]:
    """The 1-D Poisson solution operator on [0, 1] with zero boundary values: sources ``f = sum_k c_k sin(k pi x)``
    (k = 1..3, ``c_k ~ N(0, 1)``) on 64 points, and ``u = 10 sum_k c_k sin(k pi x) / (k pi)^2`` (``-u'' = 10 f``):
    ``(f (b, 64), u (b, 64))``."""
    x = torch.linspace(0, 1, n)
    k = torch.arange(1, modes + 1).float()[:, None]
    basis = torch.sin(math.pi * k * x)

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randn(batch, modes, generator=g)
        return c @ basis, 10 * (c / (math.pi * k[:, 0]) ** 2) @ basis
    return _pool(seed, make)


def rel_l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Transolver's relative L2 loss, ``|pred - u| / |u|`` averaged over the batch."""
    return ((pred - target).norm(dim=1) / target.norm(dim=1)).mean()


def tones(seed: int, batch: int = 32, length: int = 64, levels: int = 64) -> Callable[[int], Any]:
    """Harmonic tones (a period of 6 to 16 samples, random phase, second and third harmonics at random amplitudes up
    to 0.5 and 0.3, peak 0.9, noise 0.02), mu-law quantised to 64 levels: ``(previous samples (b, 64), next samples
    (b, 64))`` as level indices."""
    t = torch.arange(length + 1).float()

    def make(g: torch.Generator, _: int) -> Any:
        period = 6 + 10 * torch.rand(batch, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, generator=g)
        amp = torch.cat([torch.ones(batch, 1), 0.5 * torch.rand(batch, 1, generator=g),
                         0.3 * torch.rand(batch, 1, generator=g)], 1)
        w = sum(amp[:, h - 1: h] * torch.sin(h * (2 * math.pi * t / period + ph)) for h in (1, 2, 3))
        w = 0.9 * w / w.abs().amax(1, keepdim=True) + 0.02 * torch.randn(batch, length + 1, generator=g)
        mu = levels - 1
        y = torch.sign(w) * torch.log1p(mu * w.abs().clamp(max=1)) / math.log1p(mu)
        q = ((y + 1) / 2 * mu).round().long().clamp(0, mu)
        return q[:, :-1], q[:, 1:]
    return _pool(seed, make)


def views(seed: int, batch: int = 128, dim: int = 32, clusters: int = 16, other_batch: bool = False
          ) -> Callable[[int], Any]:
    """Unlabelled points of 16 fixed clusters in 32 dimensions (centres N(0, 1), spread 0.5) and two augmented views
    of each (added N(0, 0.3^2) noise, 20% of the features zeroed): ``(views (2, b, 32), unused)``.
    ``other_batch``: the second view augmented from the next batch's points (a second ``next(loader)``), not from
    the same ones."""
    centres = torch.randn(clusters, dim, generator=_fixed(3))

    def points(g: torch.Generator) -> torch.Tensor:
        return centres[torch.randint(0, clusters, (batch,), generator=g)] + 0.5 * torch.randn(batch, dim, generator=g)

    def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        return (x + 0.3 * torch.randn(x.shape, generator=g)) * (torch.rand(x.shape, generator=g) >= 0.2)

    def make(g: torch.Generator, _: int) -> Any:
        x = points(g)
        x2 = points(g) if other_batch else x
        return torch.stack([augment(x, g), augment(x2, g)]), torch.zeros(batch)
    return _pool(seed, make)


def rings(seed: int, batch: int = 256, modes: int = 8, radius: float = 12.0) -> Callable[[int], Any]:
    """2-D points from 8 Gaussians (std 1) on a circle of radius 12: ``(points (b, 2), points)``."""
    def make(g: torch.Generator, _: int) -> Any:
        a = 2 * math.pi * torch.randint(0, modes, (batch,), generator=g).float() / modes
        x = radius * torch.stack([a.cos(), a.sin()], 1) + torch.randn(batch, 2, generator=g)
        return x, x
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def h2gcn(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, relu_bias: float | None = None,
          guard: bool = True, init_std: float | None = None) -> Setup:
    """H2GCN on the heterophilous SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the
    reference code's lr 0.01 and weight decay 5e-4; ``relu_bias``, ``init_std``: see :class:`~.fresh38_models.H2GCN`;
    ``guard``: see :func:`sym_norm`."""
    torch.manual_seed(seed)
    a, x, y, train = hetero_graph(seed)
    two = ((a @ a > 0).float() - a - torch.eye(a.shape[0])).clamp(min=0)
    model = M.H2GCN(sym_norm(a, guard), sym_norm(two, guard), x.shape[1], 4, relu_bias=relu_bias,
                    init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def bpr_loss(out: torch.Tensor, _: torch.Tensor, decay: float = 1e-5) -> torch.Tensor:
    """BPR, ``-log sigmoid(s_pos - s_neg)``, plus NGCF's ``decay * (|u|^2 + |i|^2 + |j|^2) / 2`` a triple."""
    return -F.logsigmoid(out[:, 0] - out[:, 1]).mean() + decay * out[:, 2].mean() / 2


def ngcf(seed: int, lr: float = 1e-3, init_first: bool = False) -> Setup:
    """NGCF on the implicit feedback (batches of 256 BPR triples), BPR with the L2 decay 1e-5, Adam lr 1e-3 (from the
    paper's search); ``init_first``: see :class:`~.fresh38_models.NGCF`."""
    torch.manual_seed(seed)
    lap, batches = interactions(seed)
    model = M.NGCF(lap, 100, init_first=init_first)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), batches, bpr_loss)


class _CycleNetWithTime(M.CycleNet):
    """:class:`~.fresh38_models.CycleNet` on inputs whose last column is the steps' index (the phase is its first
    step's, mod the cycle)."""

    def forward(self, inp: Any) -> torch.Tensor:  # type: ignore[override]
        return super().forward((inp[..., :-1], inp[:, 0, -1].long() % self.cycle))


def cyclenet(seed: int, lr: float = 5e-3, weight_decay: float = 0.0) -> Setup:
    """CycleNet/MLP on the cyclic series (batch 64, look-back 48, horizon 12), MSE, Adam lr 5e-3 (set here, of the
    reference scripts' order); ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = _CycleNetWithTime()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, cycle_series(seed), F.mse_loss)


def pointmlp(seed: int, lr: float = 0.1, bn: bool = True, shuffled: bool = False) -> Setup:
    """PointMLP-elite on the point clouds (batch 32), cross-entropy with the reference code's label smoothing 0.2,
    SGD at its lr 0.1, momentum 0.9, weight decay 2e-4 (its cosine schedule left out); ``bn``: see
    :class:`~.fresh38_models.PointMLP`; ``shuffled``: see :func:`point_clouds`."""
    torch.manual_seed(seed)
    model = M.PointMLP(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=2e-4)
    return _xy(model, opt, point_clouds(seed, shuffled=shuffled),
               lambda out, y: F.cross_entropy(out, y, label_smoothing=0.2))


def transolver(seed: int, lr: float = 1e-3, init_std: float = 0.02, tan: bool = False) -> Setup:
    """Transolver on the Poisson operator (batch 32 of 64 points), the relative L2 loss, AdamW at the paper's lr 1e-3
    and weight decay 1e-5 (its one-cycle schedule left out); ``init_std``, ``tan``: see
    :class:`~.fresh38_models2.Transolver`."""
    torch.manual_seed(seed)
    model = M2.Transolver(init_std=init_std, tan=tan)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, poisson(seed), rel_l2)


def wavernn(seed: int, lr: float = 1e-3, recurrent_std: float | None = None) -> Setup:
    """WaveRNN on the mu-law tones (batch 32 of 64 samples, teacher-forced), cross-entropy over the 64 levels, Adam
    lr 1e-3 (set here); ``recurrent_std``: see :class:`~.fresh38_models2.WaveRNN`."""
    torch.manual_seed(seed)
    model = M2.WaveRNN(recurrent_std=recurrent_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), tones(seed), F.cross_entropy)


def swav(seed: int, lr: float = 0.15, depth: int = 2, normalise: bool = True, other_batch: bool = False) -> Setup:
    """SwAV on the two views of the cluster points (batch 128), the swapped-prediction loss (temperature 0.1, the
    Sinkhorn codes at eps 0.05, 3 iterations), SGD lr 0.15 (the reference's 4.8 at batch 4096 scaled to 128, without
    LARS), momentum 0.9, weight decay 1e-6; ``depth``, ``normalise``: see :class:`~.fresh38_models2.SwAV`;
    ``other_batch``: see :func:`views`."""
    torch.manual_seed(seed)
    model = M2.SwAV(depth=depth, normalise=normalise)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-6)
    return _xy(model, opt, views(seed, other_batch=other_batch), M2.swav_loss)


def bnaf(seed: int, lr: float = 1e-2, naive_tanh: bool = False, tan: bool = False) -> Setup:
    """BNAF on the ring of Gaussians (batch 256), the mean negative log-likelihood, Adam with AMSGrad (the reference
    code's) at lr 1e-2 (set here); ``naive_tanh``, ``tan``: see :class:`~.fresh38_models2.BNAF`."""
    torch.manual_seed(seed)
    model = M2.BNAF(naive_tanh=naive_tanh, tan=tan)
    opt = torch.optim.Adam(model.parameters(), lr=lr, amsgrad=True)
    return _xy(model, opt, rings(seed), lambda nll, _: nll.mean())
