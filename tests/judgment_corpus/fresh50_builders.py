"""Builders of the fifty-first held-out batch (``fresh50.py``): standard models new to the corpus at their usual
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

from . import fresh50_models as M
from . import fresh50_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(500_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5000 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm_graph(seed: int, n: int = 300, classes: int = 4, isolated: int = 20, keep: float = 0.4
              ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.004
    across; the last 20 nodes are cold-start nodes without edges), a weak categorical node attribute (one-hot: the
    node's class with probability 0.4, else a uniform draw, so that one node's own attribute cannot tell its class
    and nodes cannot be told apart by it), the labels, and the training half of a fixed random order:
    ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    a = (torch.rand(n, n, generator=g) < torch.where(y[:, None] == y[None], 0.06, 0.004)).float().triu(1)
    a = a + a.T
    a[n - isolated:], a[:, n - isolated:] = 0.0, 0.0
    attr = torch.where(torch.rand(n, generator=g) < keep, y, torch.randint(0, classes, (n,), generator=g))
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, F.one_hot(attr, classes).float(), y, train


def sign_features(a: torch.Tensor, x: torch.Tensor, hops: int = 4, self_loops: bool = True) -> torch.Tensor:
    """SIGN's precomputed operators ``[X, A~X, A~^2 X, A~^3 X]`` with the GCN normalisation ``A~ = D^-1/2 (A + I)
    D^-1/2`` (the self-loops give every node a degree): ``(hops, n, f)``. ``self_loops=False``: ``D^-1/2 A D^-1/2``
    on the graph as it is (a cold-start node's degree is 0, ``0^-1/2 = inf``, and ``inf * 0`` is NaN)."""
    if self_loops:
        a = a + torch.eye(a.shape[0])
    dinv = a.sum(1).rsqrt()
    an = dinv[:, None] * a * dinv[None]
    out = [x]
    for _ in range(hops - 1):
        out.append(an @ out[-1])
    return torch.stack(out)


def tabular(seed: int, batch: int = 128, d: int = 12, classes: int = 4, shuffled: bool = False
            ) -> Callable[[int], Any]:
    """Tabular rows: 12 features N(0, 1), the class the argmax of a fixed random two-layer tanh teacher (a nonlinear
    boundary): ``(features, class)``. ``shuffled``: the labels permuted within every batch, apart from their rows."""
    fg = _fixed(2)
    w1, w2 = torch.randn(d, 32, generator=fg) / math.sqrt(d), torch.randn(32, classes, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, d, generator=g)
        y = (torch.tanh(2 * x @ w1) @ w2).argmax(1)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def clicks(seed: int, batch: int = 256, fields: int = 8, vocab: int = 10) -> Callable[[int], Any]:
    """CTR rows of 8 categorical fields (10 values each, uniform); the click is 1 when a fixed field-aware pairwise
    teacher ``sum_{i<j} <v_i[x_i], v_j[x_j]>`` (4-dimensional value vectors) is positive: ``(ids (b, 8), click)``."""
    v = torch.randn(fields, vocab, 4, generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        ids = torch.randint(0, vocab, (batch, fields), generator=g)
        e = v[torch.arange(fields), ids]  # b, fields, 4
        s = e.sum(1)
        logit = 0.5 * ((s ** 2).sum(-1) - (e ** 2).sum((1, 2))) - 2.0
        return ids, (logit > 0).float()
    return _pool(seed, make)


def visits(seed: int, batch: int = 64, length: int = 12, d: int = 4, classes: int = 4) -> Callable[[int], Any]:
    """Irregularly sampled records of 12 visits: the elapsed days since the previous visit (``dt ~ Exp(1)``, and 0
    for the 20% of readings taken at the same time as the previous one) and 4
    readings N(0, 0.5^2), to which the first 4 visits add a fixed +-1 code of the record's class (the class is seen
    only there): ``((readings (b, 24, 4), dt (b, 24)), class)``."""
    codes = torch.randint(0, 2, (classes, d), generator=_fixed(4)).float() * 2 - 1

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.5 * torch.randn(batch, length, d, generator=g)
        x[:, :4] += codes[y][:, None]
        dt = -torch.log(torch.rand(batch, length, generator=g))
        dt = torch.where(torch.rand(batch, length, generator=g) < 0.2, 0.0, dt)
        return (x, dt), y
    return _pool(seed, make)


def mixtures(seed: int, batch: int = 16, samples: int = 128, scale: float = 1.0) -> Callable[[int], Any]:
    """Two-source mixtures of 256 samples: a harmonic tone (fundamental 0.02 to 0.06 cycles per sample, harmonics
    1, 1/2, 1/3, random phases, a random gain 0.2 to 0.5) and a band-passed noise (white N(0, 1) smoothed by a
    3-tap box and differenced, gain 0.15 to 0.3): ``(mixture (b, 256), sources (b, 2, 256))``."""
    t = torch.arange(samples).float()

    def make(g: torch.Generator, _: int) -> Any:
        f0 = 0.02 + 0.04 * torch.rand(batch, 1, generator=g)
        tone = sum(torch.sin(2 * math.pi * h * f0 * t + 2 * math.pi * torch.rand(batch, 1, generator=g)) / h
                   for h in (1, 2, 3))
        tone = tone * (0.2 + 0.3 * torch.rand(batch, 1, generator=g))
        w = torch.randn(batch, 1, samples + 3, generator=g)
        noise = F.avg_pool1d(w, 3, 1)[:, 0]
        noise = (noise[:, 1:] - noise[:, :-1]) * (0.15 + 0.15 * torch.rand(batch, 1, generator=g)) * 2
        src = torch.stack([tone, noise], 1) * scale
        return src.sum(1), src
    return _pool(seed, make)


def energy_fields(seed: int, batch: int = 8, n: int = 16) -> Callable[[int], Any]:
    """An operator on the periodic unit square (16x16 grid): a charge density ``a`` (a Gaussian random field, its
    spectrum ``(1 + |k|^2)^-2``, scaled to unit variance) and the energy density ``|grad phi|^2`` of its potential
    (``-lap phi = a``, solved spectrally), normalised per grid point by the pool's mean and std (the FNO code's
    ``UnitGaussianNormalizer``): ``(a (b, 16, 16), u (b, 16, 16))``."""
    k = torch.fft.fftfreq(n, 1 / n)
    ky, kx = torch.meshgrid(k, k, indexing="ij")
    k2 = (2 * math.pi) ** 2 * (kx ** 2 + ky ** 2)
    amp = (1 + kx ** 2 + ky ** 2) ** -2.0
    g = _gen(seed)
    a = torch.fft.ifft2(amp * torch.fft.fft2(torch.randn(POOL * batch, n, n, generator=g))).real
    a = a / a.std()
    phi_hat = torch.fft.fft2(a) / torch.where(k2 > 0, k2, 1.0)
    phi_hat[:, 0, 0] = 0
    ex = torch.fft.ifft2(2j * math.pi * kx * phi_hat).real
    ey = torch.fft.ifft2(2j * math.pi * ky * phi_hat).real
    u = ex ** 2 + ey ** 2
    u = (u - u.mean(0)) / (u.std(0) + 1e-5)
    pool = [(a[i * batch:(i + 1) * batch], u[i * batch:(i + 1) * batch]) for i in range(POOL)]
    return lambda step: pool[step % POOL]


def pendulum(seed: int, batch: int = 64, h: float = 1.0) -> Callable[[int], Any]:
    """Phase points of the pendulum ``H = p^2 / 2 - cos q`` (p in [-1.5, 1.5], q in [-2, 2], uniform) and their
    images under the exact flow over ``h`` (RK4 with 40 substeps): ``((p, q), (p', q'))``."""
    def flow(p: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dt = h / 40

        def f(p: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return -torch.sin(q), p
        for _ in range(40):
            k1 = f(p, q)
            k2 = f(p + dt / 2 * k1[0], q + dt / 2 * k1[1])
            k3 = f(p + dt / 2 * k2[0], q + dt / 2 * k2[1])
            k4 = f(p + dt * k3[0], q + dt * k3[1])
            p = p + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            q = q + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        return p, q

    def make(g: torch.Generator, _: int) -> Any:
        p, q = 3 * torch.rand(batch, 1, generator=g) - 1.5, 4 * torch.rand(batch, 1, generator=g) - 2
        return torch.cat([p, q], 1), torch.cat(flow(p, q), 1)
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def sign(seed: int, lr: float = 1e-2, weight_decay: float = 0.0, self_loops: bool = True) -> Setup:
    """SIGN on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam lr 1e-2 (set here)
    without weight decay; ``self_loops``: see :func:`sign_features`."""
    torch.manual_seed(seed)
    a, x, y, train = sbm_graph(seed)
    feats = sign_features(a, x, self_loops=self_loops)
    model = M.SIGN(x.shape[1], 4)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (feats, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def graph_transformer(seed: int, lr: float = 5e-4, self_loops: bool = True, mha_positional_true: bool = False,
                      readout_layers: int = 1) -> Setup:
    """The Graph Transformer on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam lr
    5e-4 (set here); ``self_loops``, ``mha_positional_true``, ``readout_layers``: see
    :class:`~.fresh50_models.GraphTransformer`."""
    torch.manual_seed(seed)
    a, x, y, train = sbm_graph(seed)
    model = M.GraphTransformer(a, x.shape[1], 4, self_loops=self_loops, mha_positional_true=mha_positional_true,
                               readout_layers=readout_layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def danet(seed: int, lr: float = 3e-3, shuffled: bool = False, weight_decay: float = 1e-5) -> Setup:
    """DANet on the tabular rows (batch 128), cross-entropy, Adam lr 3e-3 with weight decay 1e-5 (set here; the
    reference code trains with QHAdam); ``shuffled``: see :func:`tabular`."""
    torch.manual_seed(seed)
    model = M.DANet(12, 4)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, tabular(seed, shuffled=shuffled), F.cross_entropy)


def gdcn(seed: int, lr: float = 1e-3, hidden_bias: float | None = None, deep: int = 3, norm_output: bool = False
         ) -> Setup:
    """GDCN-S on the clicks (batch 256), binary cross-entropy on the logit, Adam lr 1e-3 (set here); ``hidden_bias``,
    ``deep``, ``norm_output``: see :class:`~.fresh50_models.GDCN`."""
    torch.manual_seed(seed)
    model = M.GDCN(8, 10, hidden_bias=hidden_bias, deep=deep, norm_output=norm_output)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, clicks(seed), F.binary_cross_entropy_with_logits)


def t_lstm(seed: int, lr: float = 1e-2, recurrent_std: float | None = None, weight_decay: float = 0.0,
           decay: str = "log") -> Setup:
    """The T-LSTM on the visit records (batch 64 of 24 visits), cross-entropy, Adam lr 1e-2 (set here);
    ``recurrent_std``, ``decay``: see :class:`~.fresh50_models2.TLSTM`."""
    torch.manual_seed(seed)
    model = M2.TLSTM(4, 4, recurrent_std=recurrent_std, decay=decay)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, visits(seed), F.cross_entropy)


def wave_unet(seed: int, lr: float = 1e-4, init_std: float | None = None, scale: float = 1.0) -> Setup:
    """Wave-U-Net on the two-source mixtures (batch 16 of 256 samples), MSE over both sources, Adam at the paper's
    lr 1e-4 (betas 0.9, 0.999); ``init_std``: see :class:`~.fresh50_models2.WaveUNet`."""
    torch.manual_seed(seed)
    model = M2.WaveUNet(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999))
    return _xy(model, opt, mixtures(seed, scale=scale), F.mse_loss)


def ffno(seed: int, lr: float = 1e-3, act: object = None, weight_decay: float = 0.0) -> Setup:
    """The F-FNO on the energy-density operator (batch 16 of 16x16), MSE on the normalised target, Adam lr 1e-3
    (set here); ``act``: see :class:`~.fresh50_models2.FFNO`."""
    torch.manual_seed(seed)
    model = M2.FFNO(act=act)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, energy_fields(seed), F.mse_loss)


def sympnet(seed: int, lr: float = 1e-2, weight_decay: float = 0.0, init_std: float = 0.01) -> Setup:
    """The G-SympNet on the pendulum's flow map (batch 64), MSE, Adam lr 1e-2 (set here); ``init_std``: see
    :class:`~.fresh50_models2.SympNet`."""
    torch.manual_seed(seed)
    model = M2.SympNet(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, pendulum(seed), F.mse_loss)
