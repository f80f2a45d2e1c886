"""Builders of the fifty-seventh held-out batch (``fresh56.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh56_models as M
from . import fresh56_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(560_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5600 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def lm_text(seed: int, batch: int = 8, length: int = 32, vocab: int = 64) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, 8 sequences of 32 next-token pairs a batch."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, vocab)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def sentence_pairs(seed: int, batch: int = 64, length: int = 8, vocab: int = 256) -> Callable[[int], Any]:
    """Pairs of 8-word sentences over 256 words with no word in common, except that in the matching pairs (label 1,
    drawn with probability 1/2) a 3-word phrase of the first sentence is copied into the second at a random place:
    ``(pair (b, 2, 8), label (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        words = torch.rand(batch, vocab, generator=g).argsort(1)
        x, y = words[:, :length], words[:, length:2 * length].clone()
        label = torch.randint(0, 2, (batch,), generator=g)
        rows = torch.arange(batch)[:, None]
        src = torch.randint(0, length - 2, (batch, 1), generator=g) + torch.arange(3)
        dst = torch.randint(0, length - 2, (batch, 1), generator=g) + torch.arange(3)
        y[rows, dst] = torch.where(label[:, None] == 1, x[rows, src], y[rows, dst])
        return torch.stack([x, y], 1), label
    return _pool(seed, make)


def images(seed: int, batch: int = 16, size: int = 16, classes: int = 10, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``. ``shuffled``: the labels permuted within every batch, apart from their images."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def sbm_graph(seed: int, n: int = 80, classes: int = 4, features: int = 32, isolated: int = 6
              ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 20 nodes, edge probabilities 0.15 within a class and 0.015
    across; the last 6 nodes have no edges), its adjacency without self-loops, weak node features (the class's
    fixed mean direction times 0.4 plus N(0, 1) noise, 32 dimensions) and the labels; the first half of a fixed
    random order is the training set: ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.15, 0.015)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    a[n - isolated:], a[:, n - isolated:] = 0.0, 0.0
    means = torch.randn(classes, features, generator=_fixed(2))
    x = 0.4 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def manifold(seed: int, batch: int = 64, dim: int = 16) -> Callable[[int], Any]:
    """Standardised points near a 4-dimensional manifold in 16 dimensions: ``tanh(A z)`` for a fixed 16x4 matrix ``A``
    (entries N(0, 1)) and ``z ~ N(0, I)``, plus noise 0.05, each coordinate centred and scaled by its population
    statistics (from 4096 fixed draws): ``(points, points)``."""
    a = torch.randn(dim, 4, generator=_fixed(3))
    ref = torch.tanh(torch.randn(4096, 4, generator=_fixed(4)) @ a.T)
    mean, std = ref.mean(0), ref.std(0)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.tanh(torch.randn(batch, 4, generator=g) @ a.T) + 0.05 * torch.randn(batch, dim, generator=g)
        x = (x - mean) / std
        return x, x
    return _pool(seed, make)


def marked_series(seed: int, batch: int = 64, length: int = 32, classes: int = 4) -> Callable[[int], Any]:
    """Two-channel series of 32 steps whose class is marked only in the first 8 steps (channel 1 follows a fixed +-1
    code of the class there, 0 after); both channels carry N(0, 0.3^2) noise: ``(series (b, 32, 2), class)``."""
    codes = torch.randint(0, 2, (classes, 8), generator=_fixed(5)).float() * 2 - 1

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.3 * torch.randn(batch, length, 2, generator=g)
        x[:, :8, 1] += codes[y]
        return x, y
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def realformer(seed: int, lr: float = 1e-3, init_std: float = 0.02, by_variance: bool = False,
               weight_decay: float = 0.01) -> Setup:
    """RealFormer on the Markov text (8 x 32 tokens), token cross-entropy, BERT's AdamW (betas 0.9, 0.999, eps 1e-6,
    weight decay 0.01) at lr 1e-3 (set here for a 200-step run, without BERT's warm-up);
    ``init_std``, ``by_variance``: see :class:`~.fresh56_models.RealFormerLM`."""
    torch.manual_seed(seed)
    model = M.RealFormerLM(init_std=init_std, by_variance=by_variance)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=weight_decay)
    return _xy(model, opt, lm_text(seed), lm_loss)


def arc_ii(seed: int, lr: float = 2e-3, relu_bias: float | None = None,
           weight_decay: float = 0.0, extra: int = 0, relu: str = "torch") -> Setup:
    """ARC-II on the sentence pairs (batch 64), cross-entropy over match / no match, Adam at lr 2e-3 (set here;
    MatchZoo's default is 1e-3); ``relu_bias``, ``extra``, ``relu``: see :class:`~.fresh56_models.ARCII`;
    ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M.ARCII(relu_bias=relu_bias, extra=extra, relu=relu)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sentence_pairs(seed), F.cross_entropy)


def deepvit(seed: int, lr: float = 1e-3, weight_decay: float = 0.05, init_std: float = 0.02) -> Setup:
    """DeepViT on the class-template images (batch 16), cross-entropy, AdamW with DeiT's weight decay 0.05 at lr
    1e-3 (set here; no warm-up); ``init_std``: see :class:`~.fresh56_models.DeepViT`."""
    torch.manual_seed(seed)
    model = M.DeepViT(init_std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def ceit(seed: int, lr: float = 1e-3, weight_decay: float = 0.05, shuffled: bool = False) -> Setup:
    """CeiT on the class-template images (batch 16), cross-entropy, AdamW with DeiT's weight decay 0.05 at lr 1e-3
    (set here; no warm-up); ``shuffled``: see :func:`images`."""
    torch.manual_seed(seed)
    model = M.CeiT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed, shuffled=shuffled), F.cross_entropy)


def gatv2(seed: int, lr: float = 0.005, weight_decay: float = 5e-4, layers: int = 2, self_loops: bool = True,
          flipped_mask: bool = False) -> Setup:
    """GATv2 on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at GAT's lr 0.005
    and weight decay 5e-4; ``layers``, ``self_loops``, ``flipped_mask``: see :class:`~.fresh56_models2.GATv2`."""
    torch.manual_seed(seed)
    a, x, y, train = sbm_graph(seed)
    model = M2.GATv2(a, x.shape[1], 4, layers=layers, self_loops=self_loops, flipped_mask=flipped_mask)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def fsq(seed: int, lr: float = 1e-3, ste: str = "ok", layers: int = 2, norm: bool = False) -> Setup:
    """The FSQ autoencoder on the standardised manifold points (batch 64), MSE, Adam lr 1e-3 (set here);
    ``ste``, ``layers``, ``norm``: see :class:`~.fresh56_models2.FSQAutoencoder`."""
    torch.manual_seed(seed)
    model = M2.FSQAutoencoder(ste=ste, layers=layers, norm=norm)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), manifold(seed), F.mse_loss)


def sylvester_vae(seed: int, lr: float = 5e-4) -> Setup:
    """The Sylvester-flow VAE on the standardised manifold points (batch 64), the negative ELBO's batch mean, Adam at
    the reference code's lr 5e-4."""
    torch.manual_seed(seed)
    model = M2.SylvesterVAE()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), manifold(seed), lambda nelbo, x: nelbo.mean())


def lem(seed: int, lr: float = 3e-3, dt: float = 0.1, clip: str = "none") -> Setup:
    """LEM on the marked series (batch 64 of 32 steps), cross-entropy, Adam lr 3e-3 (set here);
    ``dt``, ``clip``: see :class:`~.fresh56_models2.LEM`."""
    torch.manual_seed(seed)
    model = M2.LEM(dt=dt, clip=clip)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), marked_series(seed), F.cross_entropy)

