"""Builders of the thirty-sixth held-out batch (``fresh35.py``): standard models new to the corpus at their usual
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

from . import fresh35_models as M
from . import fresh35_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(350_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3500 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _smooth(g: torch.Generator, n: int, c: int, coarse: int, size: int) -> torch.Tensor:
    return F.interpolate(torch.randn(n, c, coarse, coarse, generator=g), size=(size, size), mode="bilinear",
                         align_corners=False)


# ---- data ------------------------------------------------------------------------------------------------------------

def super_res(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """2x super-resolution pairs: a luminance image (smooth components at 4x4 and 8x8, 16x16) and its 2x
    average-pooled copy (8x8) as the input: ``(low (b, 1, 8, 8), image (b, 1, 16, 16))``."""
    def make(g: torch.Generator, _: int) -> Any:
        hi = _smooth(g, batch, 1, 4, size) + 0.7 * _smooth(g, batch, 1, 8, size)
        return F.avg_pool2d(hi, 2), hi
    return _pool(seed, make)


def seg_scenes(seed: int, batch: int = 16, size: int = 32, classes: int = 3) -> Callable[[int], Any]:
    """Segmentation scenes: one to three axis-aligned boxes (sides 6 to 14) of a class colour (3 classes, a fixed RGB
    colour each) on noise 0.3, 32x32; the label map is the box's class (1..3), else background 0, later boxes over
    earlier ones: ``(images, labels (b, 32, 32))``."""
    colours = 1.2 * torch.randn(classes, 3, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        img = 0.3 * torch.randn(batch, 3, size, size, generator=g)
        lab = torch.zeros(batch, size, size, dtype=torch.long)
        for i in range(batch):
            for _ in range(1 + int(torch.randint(0, 3, (1,), generator=g))):
                c = int(torch.randint(0, classes, (1,), generator=g))
                w, h = (int(v) for v in torch.randint(6, 15, (2,), generator=g))
                x0 = int(torch.randint(0, size - w + 1, (1,), generator=g))
                y0 = int(torch.randint(0, size - h + 1, (1,), generator=g))
                img[i, :, y0:y0 + h, x0:x0 + w] = colours[c][:, None, None] + 0.3 * torch.randn(3, h, w, generator=g)
                lab[i, y0:y0 + h, x0:x0 + w] = c + 1
        return img, lab
    return _pool(seed, make)


#: ENet's class weights ``1 / ln(1.02 + p_class)`` from the scenes' class frequencies (measured once on 3,072
#: scenes of other seeds: background 0.82, the three box classes 0.06 each)
ENET_WEIGHTS = torch.tensor([1 / math.log(1.02 + p) for p in (0.82, 0.06, 0.06, 0.06)])


def manifold_images(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Images on a 4-dimensional manifold: ``sigmoid(sum_k c_k T_k)`` over four fixed smooth 3x16x16 templates
    ``T_k`` with ``c ~ N(0, 1)``, plus noise 0.02, and as many draws from the WAE's prior N(0, I_8): ``(images,
    (images, prior draws))`` (the auto-encoder's target is its input)."""
    templates = 1.5 * _smooth(_fixed(2), 4, 3, 4, 16)

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randn(batch, 4, generator=g)
        x = torch.sigmoid(torch.einsum("bk,kchw->bchw", c, templates))
        x = x + 0.02 * torch.randn(x.shape, generator=g)
        return x, (x, torch.randn(batch, 8, generator=g))
    return _pool(seed, make)


def clicks(seed: int, batch: int = 64, fields: int = 8, per_field: int = 20, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Click logs: one of 20 values in each of 8 fields (uniform); the click is 1 where a fixed teacher's logit (a
    weight per value plus a product of two fields' factors) is above 0: ``(values (b, 8), click (b,))``.
    ``shuffled``: the clicks permuted within every batch, apart from the rows they belong to."""
    fg = _fixed(3)
    w = torch.randn(fields, per_field, generator=fg)
    u = torch.randn(fields, per_field, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, per_field, (batch, fields), generator=g)
        wi = w[torch.arange(fields), x]
        ui = u[torch.arange(fields), x]
        y = (wi.sum(1) + 1.5 * ui[:, 0] * ui[:, 1] + ui[:, 2] * ui[:, 5] > 0).float()
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def sessions(seed: int, batch: int = 64, length: int = 8, items: int = 64) -> Callable[[int], Any]:
    """Sessions of 8 items from the corpus' sparse Markov chain over 64 items; the target is the next item:
    ``(session (b, 8), next item (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, items)
        return x[:, :-1], x[:, -1]
    return _pool(seed, make)


def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32, normalise: bool = True
              ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.05 within a class and 0.005
    across), its symmetrically normalised adjacency with self-loops ``D^-1/2 (A + I) D^-1/2``, node features (the
    class's fixed mean direction times 0.6 plus N(0, 1) noise, 32 dimensions) and the labels; the first half of a
    fixed random order is the training set: ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.05, 0.005)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T + torch.eye(n)
    d = a.sum(1).pow(-0.5) if normalise else torch.ones(n)
    means = torch.randn(classes, features, generator=_fixed(4))
    x = 0.6 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return d[:, None] * a * d[None], x, y, train


def trajectories(seed: int, batch: int = 64, steps: int = 30, dt: float = 0.1, mu: float = -0.05,
                 lam: float = -1.0) -> Callable[[int], Any]:
    """Trajectories of the Koopman paper's discrete-spectrum system ``x1' = mu x1, x2' = lam (x2 - x1^2)`` (its
    closed-form solution), 30 states 0.1 apart from initial states uniform in [-1, 1]^2: ``(states (b, 30, 2),
    states)``."""
    t = torch.arange(steps).float() * dt
    b = lam / (lam - 2 * mu)

    def make(g: torch.Generator, _: int) -> Any:
        x0 = 2 * torch.rand(batch, 2, generator=g) - 1
        x1 = x0[:, :1] * torch.exp(mu * t)
        x2 = (x0[:, 1:] - b * x0[:, :1] ** 2) * torch.exp(lam * t) + b * x1 ** 2
        x = torch.stack([x1, x2], -1)
        return x, x
    return _pool(seed, make)


def series(seed: int, batch: int = 32, lookback: int = 24, horizon: int = 8, n: int = 8, eps: float | None = 1e-5
           ) -> Callable[[int], Any]:
    """Multivariate sensor windows: seven variables mix four sinusoids (fixed periods 5, 8, 12 and 19 steps, random
    phases and a random level per window) by a fixed matrix, plus noise 0.1; the eighth sensor is stuck at a constant
    reading (its level per window). Each window is standardised by its look-back's mean and standard deviation per
    variable, ``(x - mean) / (std + eps)`` (the targets by the same statistics): ``(look-back (b, 24, 8), the next 8
    (b, 8, 8))``. ``eps=None``: ``(x - mean) / std`` (the stuck sensor's std is 0)."""
    mix = torch.randn(n - 1, 4, generator=_fixed(5))
    periods = torch.tensor([5.0, 8.0, 12.0, 19.0])
    t = torch.arange(lookback + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        ph = 2 * math.pi * torch.rand(batch, 1, 4, generator=g)
        s = torch.sin(2 * math.pi * t[:, None] / periods + ph)  # b, t, 4
        level = 5 * torch.rand(batch, 1, n, generator=g)
        x = torch.cat([s @ mix.T + 0.1 * torch.randn(batch, len(t), n - 1, generator=g),
                       torch.zeros(batch, len(t), 1)], -1) + level
        past = x[:, :lookback]
        mean, std = past.mean(1, keepdim=True), past.std(1, keepdim=True)
        z = (x - mean) / (std if eps is None else std + eps)
        return z[:, :lookback], z[:, lookback:]
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def enet_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """ENet's class-weighted cross-entropy (the weights ``1 / ln(1.02 + p_class)``)."""
    return F.cross_entropy(logits, y, weight=ENET_WEIGHTS)


def _imq_mmd(z: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """The WAE's unbiased MMD estimate with the inverse multiquadratic kernel ``C / (C + |a - b|^2)``, summed over
    ``C = 2 d s`` for the reference code's scales ``s`` in (0.1, 0.2, 0.5, 1, 2, 5, 10)."""
    n, d = z.shape
    def d2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return ((a[:, None] - b[None]) ** 2).sum(-1)
    zz, pp, zp = d2(z, z), d2(p, p), d2(z, p)
    off = 1 - torch.eye(n)
    total = z.new_zeros(())
    for s in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0):
        c = 2 * d * s
        kzz, kpp, kzp = c / (c + zz), c / (c + pp), c / (c + zp)
        total = total + ((kzz * off).sum() + (kpp * off).sum()) / (n * (n - 1)) - 2 * kzp.mean()
    return total


def wae_loss(out: tuple[torch.Tensor, torch.Tensor], y: tuple[torch.Tensor, torch.Tensor], lam: float = 10.0,
             sqrt: bool = False) -> torch.Tensor:
    """The WAE-MMD objective: the squared error summed per image, averaged over the batch, plus ``lam`` times the
    MMD between the codes and the batch's draws from the prior N(0, I); ``sqrt``: the square root of the unbiased
    MMD estimate, the "distance", penalised instead (the estimate is negative whenever the two samples are closer
    than chance)."""
    (recon, z), (x, prior) = out, y
    mmd = _imq_mmd(z, prior)
    return ((recon - x) ** 2).sum((1, 2, 3)).mean() + lam * (mmd.sqrt() if sqrt else mmd)


def koopman_loss(out: tuple[torch.Tensor, ...], x: torch.Tensor, alpha: float = 0.1) -> torch.Tensor:
    """The deep Koopman loss: ``alpha`` (0.1) times the reconstruction and multi-step prediction errors, plus the
    linearity error of the rolled-out codes against the encoded states (mean squared errors; the paper's tiny
    infinity-norm and L2 terms left out)."""
    z, zr, rec, pred = out
    return alpha * (F.mse_loss(rec[:, 0], x[:, 0]) + F.mse_loss(pred[:, 1:], x[:, 1:])) + F.mse_loss(zr[:, 1:],
                                                                                                      z[:, 1:])


# ---- builders --------------------------------------------------------------------------------------------------------

def rcan(seed: int, lr: float = 1e-4) -> Setup:
    """RCAN on the 2x super-resolution pairs (batch 16), L1 loss, Adam at the paper's lr 1e-4 (betas 0.9, 0.999, eps
    1e-8)."""
    torch.manual_seed(seed)
    model = M.RCAN()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8), super_res(seed),
               F.l1_loss)


def enet(seed: int, lr: float = 5e-4, bn: bool = True) -> Setup:
    """ENet on the segmentation scenes (batch 16), the class-weighted cross-entropy, Adam at the paper's lr 5e-4 with
    weight decay 2e-4; ``bn``: see :class:`~.fresh35_models.ENet`."""
    torch.manual_seed(seed)
    model = M.ENet(bn=bn)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr, weight_decay=2e-4), seg_scenes(seed), enet_loss)


def wae(seed: int, lr: float = 1e-3, sqrt: bool = False) -> Setup:
    """The WAE-MMD on the manifold images (batch 32), the summed squared error plus 10 times the IMQ MMD (the paper's
    lambda), Adam at the paper's lr 1e-3 with beta1 0.5; ``sqrt``: see :func:`wae_loss`."""
    torch.manual_seed(seed)
    model = M.WAE()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
    return _xy(model, opt, manifold_images(seed), lambda out, x: wae_loss(out, x, sqrt=sqrt))


def ccpm(seed: int, lr: float = 1e-3, shuffled: bool = False) -> Setup:
    """CCPM on the click logs (batch 64), logistic loss, Adam lr 1e-3 (DeepCTR's); ``shuffled``: see
    :func:`clicks`."""
    torch.manual_seed(seed)
    model = M.CCPM()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), clicks(seed, shuffled=shuffled),
               F.binary_cross_entropy_with_logits)


def stamp(seed: int, lr: float = 5e-3, init_std: float | None = None, sigmoid_scores: bool = False,
          weight_decay: float = 0.0) -> Setup:
    """STAMP on the Markov sessions (batch 64 of 8), cross-entropy over the 64 items, Adam at the paper's lr 5e-3;
    ``init_std``, ``sigmoid_scores``: see :class:`~.fresh35_models2.STAMP`; ``weight_decay``: Adam's (coupled L2;
    the paper uses none)."""
    torch.manual_seed(seed)
    model = M2.STAMP(init_std=init_std, sigmoid_scores=sigmoid_scores)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sessions(seed), F.cross_entropy)


def dagnn(seed: int, lr: float = 0.01, weight_decay: float = 0.005, relu_bias: float | None = None,
          normalise: bool = True, hop_dropout: bool = False) -> Setup:
    """DAGNN on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the paper's Cora
    setting lr 0.01 with weight decay 0.005; ``normalise=False``: the raw adjacency with self-loops ``A + I``
    propagated, its ``D^-1/2 ... D^-1/2`` left out (ten hops multiply by degrees of about 5); ``relu_bias``,
    ``hop_dropout``: see :class:`~.fresh35_models2.DAGNN`."""
    torch.manual_seed(seed)
    adj, x, y, train = sbm_graph(seed, normalise=normalise)
    model = M2.DAGNN(adj, x.shape[1], 4, relu_bias=relu_bias, hop_dropout=hop_dropout)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def deep_koopman(seed: int, lr: float = 1e-3, hidden_layers: int = 2, k_std: float | None = None) -> Setup:
    """The deep Koopman auto-encoder on the discrete-spectrum trajectories (batch 64 of 30 states), its loss (see
    :func:`koopman_loss`), Adam at the paper's lr 1e-3; ``hidden_layers``, ``k_std``: see
    :class:`~.fresh35_models2.DeepKoopman`."""
    torch.manual_seed(seed)
    model = M2.DeepKoopman(hidden_layers, k_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), trajectories(seed), koopman_loss)


def frets(seed: int, lr: float = 1e-3, eps: float | None = 1e-5) -> Setup:
    """FreTS on the sensor windows (batch 32, 24 steps in, 8 out), MSE, Adam lr 1e-3; ``eps``: see
    :func:`series`."""
    torch.manual_seed(seed)
    model = M2.FreTS()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), series(seed, eps=eps), F.mse_loss)
