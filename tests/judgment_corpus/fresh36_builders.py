"""Builders of the thirty-seventh held-out batch (``fresh36.py``): standard models new to the corpus at their usual
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

from . import fresh36_models as M
from . import fresh36_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(360_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3600 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def sessions(seed: int, batch: int = 64, length: int = 8, items: int = 64) -> Callable[[int], Any]:
    """Sessions of 8 items from the corpus' sparse Markov chain over 64 items; the target is the next item:
    ``(session (b, 8), next item (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, items)
        return x[:, :-1], x[:, -1]
    return _pool(seed, make)


def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32, isolated: int = 20
              ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.004
    across; the last 20 nodes are cold-start nodes with no edges at all), its adjacency without self-loops, weak node
    features (the class's fixed mean direction times 0.3 plus N(0, 1) noise, 32 dimensions) and the labels; the
    first half of a fixed random order is the training set: ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.06, 0.004)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    a[n - isolated:], a[:, n - isolated:] = 0.0, 0.0
    means = torch.randn(classes, features, generator=_fixed(1))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def texts(seed: int, batch: int = 64, length: int = 16, vocab: int = 64, classes: int = 4, shuffled: bool = False
          ) -> Callable[[int], Any]:
    """Texts of 16 tokens over 64 words; the label is the topic (``word % 4``) of most of the words, a topic drawn per
    text making half of its words, the rest uniform: ``(tokens (b, 16), topic (b,))``. ``shuffled``: the labels
    permuted within every batch, apart from their texts."""
    def make(g: torch.Generator, _: int) -> Any:
        topic = torch.randint(0, classes, (batch, 1), generator=g)
        on = torch.randint(0, vocab // classes, (batch, length), generator=g) * classes + topic
        x = torch.where(torch.rand(batch, length, generator=g) < 0.5, on,
                        torch.randint(0, vocab, (batch, length), generator=g))
        y = F.one_hot(x % classes, classes).sum(1).argmax(1)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def multivariate(seed: int, batch: int = 32, variables: int = 3, length: int = 64, classes: int = 4
                 ) -> Callable[[int], Any]:
    """Multivariate series of 3 variables and 64 steps: each class a fixed frequency (2 to 8 cycles) and a fixed
    amplitude per variable, random phases, plus N(0, 0.8^2) noise: ``(series (b, 3, 64), class (b,))``."""
    fg = _fixed(2)
    freq = torch.randint(2, 9, (classes, variables), generator=fg).float()
    amp = 0.5 + torch.rand(classes, variables, generator=fg)
    t = torch.arange(length).float() / length

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        ph = 2 * math.pi * torch.rand(batch, variables, 1, generator=g)
        x = amp[y][..., None] * torch.sin(2 * math.pi * freq[y][..., None] * t + ph)
        return x + 0.8 * torch.randn(x.shape, generator=g), y
    return _pool(seed, make)


def antiderivatives(seed: int, batch: int = 32, n: int = 64) -> Callable[[int], Any]:
    """An operator-learning task on [0, 1]: input functions ``a(x) = sum_k c_k sin(k pi x + phi_k)`` (k = 1..4,
    ``c_k ~ N(0, 1) / k``) on 64 grid points, and the output ``u(x) = 4 int_0^x a``: ``(a (b, 64), u (b, 64))``."""
    x = torch.linspace(0, 1, n)
    k = torch.arange(1, 5).float()

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randn(batch, 4, 1, generator=g) / k[:, None]
        ph = 2 * math.pi * torch.rand(batch, 4, 1, generator=g)
        a = (c * torch.sin(math.pi * k[:, None] * x + ph)).sum(1)
        return a, 4 * torch.cumsum(a, 1) / n
    return _pool(seed, make)


def manifold(seed: int, batch: int = 64, dim: int = 16) -> Callable[[int], Any]:
    """Points on a 4-dimensional manifold in [0, 1]^16: ``sigmoid(A z)`` for a fixed 16x4 matrix ``A`` (entries
    N(0, 1.5^2)) and ``z ~ N(0, I)``, plus noise 0.02: ``(points, points)`` (the generator matches the batch)."""
    a = 1.5 * torch.randn(dim, 4, generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.sigmoid(torch.randn(batch, 4, generator=g) @ a.T) + 0.02 * torch.randn(batch, dim, generator=g)
        return x, x
    return _pool(seed, make)


def images(seed: int, batch: int = 32, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(4)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def marked_series(seed: int, batch: int = 64, length: int = 32, classes: int = 4) -> Callable[[int], Any]:
    """Two-channel series of 32 steps whose class is marked only in the first 10 steps (channel 1 follows a fixed
    +-1 code of the class there, 0 after); both channels carry N(0, 0.3^2) noise: ``(series (b, 32, 2), class)``."""
    codes = torch.randint(0, 2, (classes, 10), generator=_fixed(5)).float() * 2 - 1

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.3 * torch.randn(batch, length, 2, generator=g)
        x[:, :10, 1] += codes[y]
        return x, y
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

SIGMAS = (1, 2, 4, 8)


def mmd_loss(fake: torch.Tensor, real: torch.Tensor, xor: bool = False) -> torch.Tensor:
    """GMMN's objective: the square root of the (biased) squared MMD between the generated and the data batch, with
    a sum of Gaussian kernels ``exp(-|a - b|^2 / (2 s ** 2))`` over the bandwidths ``SIGMAS`` (the paper's
    multi-scale kernel, its scales set to the data's). ``xor``: the square written ``s ^ 2``, Python's bitwise xor
    on the integer bandwidths (1 ^ 2 = 3, 2 ^ 2 = 0, 4 ^ 2 = 6, 8 ^ 2 = 10): the bandwidth 2's kernel divides by 0,
    and ``0 / 0`` on the diagonal (each sample with itself) is NaN."""
    x = torch.cat([fake, real])
    d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
    k = sum(torch.exp(-d2 / (2 * (s ^ 2 if xor else s ** 2))) for s in SIGMAS)
    n = fake.shape[0]
    mmd2 = k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()
    return mmd2.clamp_min(1e-12).sqrt()


# ---- builders --------------------------------------------------------------------------------------------------------

def fmlp_rec(seed: int, lr: float = 1e-3, init_std: float = 0.02, init_in_forward: bool = False,
             weight_decay: float = 0.0) -> Setup:
    """FMLP-Rec on the Markov sessions (batch 64 of 8), cross-entropy over the 64 items, Adam at the reference code's
    lr 1e-3 (betas 0.9, 0.999, no weight decay); ``init_std``, ``init_in_forward``: see
    :class:`~.fresh36_models.FMLPRec`; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M.FMLPRec(init_std=init_std, init_in_forward=init_in_forward)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), weight_decay=weight_decay)
    return _xy(model, opt, sessions(seed), F.cross_entropy)


def linkx(seed: int, lr: float = 0.01, weight_decay: float = 1e-3, relu_bias: float | None = None,
          row_normalised: bool = False) -> Setup:
    """LINKX on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam lr 0.01 with weight
    decay 1e-3 (values of the kind the reference code's search uses); ``relu_bias``: see
    :class:`~.fresh36_models.LINKX`; ``row_normalised``: the adjacency rows divided by the degrees, ``A / A.sum(1)``,
    before ``MLP_A`` (the cold-start nodes' rows are ``0 / 0``)."""
    torch.manual_seed(seed)
    a, x, y, train = sbm_graph(seed)
    if row_normalised:
        a = a / a.sum(1, keepdim=True)
    model = M.LINKX(a, x.shape[1], 4, relu_bias=relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def dan(seed: int, lr: float = 0.01, layers: int = 3, act: str = "relu", shuffled: bool = False) -> Setup:
    """The DAN on the topic texts (batch 64 of 16), cross-entropy, AdaGrad (the paper's optimiser) at lr 0.01 (the
    lr set here);
    ``layers``, ``act``: see :class:`~.fresh36_models.DAN`; ``shuffled``: see :func:`texts`."""
    torch.manual_seed(seed)
    model = M.DAN(layers=layers, act=act)
    return _xy(model, torch.optim.Adagrad(model.parameters(), lr=lr), texts(seed, shuffled=shuffled), F.cross_entropy)


def mlstm_fcn(seed: int, lr: float = 1e-3) -> Setup:
    """MLSTM-FCN on the multivariate series (batch 32), cross-entropy, Adam at the paper's lr 1e-3."""
    torch.manual_seed(seed)
    model = M.MLSTMFCN()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), multivariate(seed), F.cross_entropy)


def galerkin(seed: int, lr: float = 1e-3) -> Setup:
    """The Galerkin Transformer on the antiderivative operator (batch 32 of 64 points), MSE, Adam at the paper's peak
    lr 1e-3 (its one-cycle schedule left out)."""
    torch.manual_seed(seed)
    model = M2.GalerkinTransformer()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), antiderivatives(seed), F.mse_loss)


def gmmn(seed: int, lr: float = 1e-3, xor: bool = False, out: str = "sigmoid") -> Setup:
    """GMMN on the manifold points (batch 64), the square root of the multi-kernel MMD^2 (the paper's objective), Adam
    lr 1e-3 (set here, not the paper's optimiser);
    ``xor``: see :func:`mmd_loss`; ``out``: see :class:`~.fresh36_models2.GMMN`."""
    torch.manual_seed(seed)
    model = M2.GMMN(out=out)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), manifold(seed),
               lambda fake, x: mmd_loss(fake, x, xor=xor))


def eca_net(seed: int, lr: float = 0.1, bn: bool = True) -> Setup:
    """ECA-ResNet on the class-template images (batch 32), cross-entropy, SGD at the paper's lr 0.1, momentum 0.9,
    weight decay 1e-4; ``bn``: see :class:`~.fresh36_models2.ECANet`."""
    torch.manual_seed(seed)
    model = M2.ECANet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed), F.cross_entropy)


def fastrnn(seed: int, lr: float = 0.01, raw_gates: bool = False, gates: tuple[float, float] = (-3.0, 3.0)
            ) -> Setup:
    """FastRNN on the marked series (batch 64 of 32 steps), cross-entropy, Adam (EdgeML's PyTorch trainer's) at lr
    0.01 (set here);
    ``raw_gates``, ``gates``: see :class:`~.fresh36_models2.FastRNN`."""
    torch.manual_seed(seed)
    model = M2.FastRNN(raw_gates=raw_gates, gates=gates)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), marked_series(seed), F.cross_entropy)
