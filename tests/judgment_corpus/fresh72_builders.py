"""Builders of the seventy-third held-out batch (``fresh72.py``): transformers new to the corpus at their usual
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

from . import fresh72_models as M
from . import fresh72_models2 as M2
from ._setup import POOL, Setup, lm_loss, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(720_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7200 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, ``(inputs (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def first_token(seed: int, batch: int = 32, length: int = 24, vocab: int = 32, classes: int = 4,
                shuffled: bool = False) -> Callable[[int], Any]:
    """Uniform token sequences of 24 (three segments of 8) labelled by the class (``token % 4``) of their first token:
    ``(tokens, class)``; ``shuffled``: the labels permuted within every batch, apart from their sequences."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        y = x[:, 0] % classes
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def keywords(seed: int, batch: int = 32, bins: int = 40, frames: int = 48, classes: int = 4) -> Callable[[int], Any]:
    """Log-mel-like utterances of 24 to 48 frames of 40 bins, zero-padded to 48: each keyword a fixed smooth
    time-frequency pattern (10 x 4 values stretched over the utterance's length) plus N(0, 0.7^2) noise:
    ``((features (b, 48, 40), lengths (b,)), keyword (b,))``."""
    pats = torch.randn(classes, 1, 10, 4, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        lengths = torch.randint(24, frames + 1, (batch,), generator=g)
        x = torch.zeros(batch, frames, bins)
        for i in range(batch):
            n = int(lengths[i])
            p = F.interpolate(pats[y[i]][None], size=(bins, n), mode="bilinear", align_corners=False)[0, 0].T
            x[i, :n] = p + 0.7 * torch.randn(n, bins, generator=g)
        return (x, lengths), y
    return _pool(seed, make)


def multivariate(seed: int, batch: int = 32, variables: int = 3, length: int = 32, classes: int = 4,
                 shuffled: bool = False) -> Callable[[int], Any]:
    """Multivariate series of 3 variables and 32 steps: each class a fixed frequency (1 to 6 cycles) and a fixed
    amplitude per variable, random phases, plus N(0, 0.8^2) noise: ``(series (b, 3, 32), class (b,))``;
    ``shuffled``: the labels permuted within every batch, apart from their series."""
    fg = _fixed(3)
    freq = torch.randint(1, 7, (classes, variables), generator=fg).float()
    amp = 0.5 + torch.rand(classes, variables, generator=fg)
    t = torch.arange(length).float() / length

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        ph = 2 * math.pi * torch.rand(batch, variables, 1, generator=g)
        x = amp[y][..., None] * torch.sin(2 * math.pi * freq[y][..., None] * t + ph)
        x = x + 0.8 * torch.randn(x.shape, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32, isolated: int = 20
              ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.004
    across; the last 20 nodes are cold-start nodes with no edges), its adjacency without self-loops, weak node
    features (the class's fixed mean direction times 0.3 plus N(0, 1) noise, 32 dimensions) and the labels; the first
    half of a fixed random order is the training set: ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.06, 0.004)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    a[n - isolated:], a[:, n - isolated:] = 0.0, 0.0
    means = torch.randn(classes, features, generator=_fixed(4))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


# ---- builders --------------------------------------------------------------------------------------------------------

def davit(seed: int, lr: float = 1e-3, init_std: float | None = None) -> Setup:
    """DaViT on the class-template images (batch 32), cross-entropy, AdamW at the paper's lr 1e-3 and weight decay
    0.05 (its warm-up and cosine decay left out); ``init_std``: see :class:`~.fresh72_models.DaViT`."""
    torch.manual_seed(720_000 + seed)
    model = M.DaViT(init_std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    return _xy(model, opt, images(seed), F.cross_entropy)


def _inverse_sqrt(opt: torch.optim.Optimizer, warmup: int) -> Any:
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, math.sqrt(warmup / (s + 1))))


def macaron(seed: int, lr: float = 1e-3, init_std: float | None = None, softmax_dim: int = -1) -> Setup:
    """The Macaron LM on the Markov text (batch 16 of 32), token cross-entropy, fairseq's Adam (betas 0.9, 0.98, eps
    1e-9) with its inverse-square-root schedule, peak lr 1e-3 after a warm-up of 20 steps (the warm-up shortened for
    200 steps); ``init_std``, ``softmax_dim``: see :class:`~.fresh72_models.MacaronLM`."""
    torch.manual_seed(720_000 + seed)
    model = M.MacaronLM(init_std=init_std, softmax_dim=softmax_dim)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    return _xy(model, opt, text(seed), lm_loss, sched=_inverse_sqrt(opt, 20))


def deepnet(seed: int, lr: float = 5e-4, layers: int = 4, deepnorm: bool = True, ln: bool = True,
            mask_after: bool = False) -> Setup:
    """The DeepNet LM on the Markov text (batch 16 of 32), token cross-entropy, Adam (betas 0.9, 0.98) at the paper's
    lr 5e-4 after a linear warm-up of 20 steps (its 4,000 shortened for 200 steps); ``layers``, ``deepnorm``, ``ln``,
    ``mask_after``: see :class:`~.fresh72_models.DeepNetLM`."""
    torch.manual_seed(720_000 + seed)
    model = M.DeepNetLM(layers=layers, deepnorm=deepnorm, ln=ln, mask_after=mask_after)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20))
    return _xy(model, opt, text(seed), lm_loss, sched=sched)


def block_recurrent(seed: int, lr: float = 3e-3, gate_bias: float = 1.0) -> Setup:
    """The Block-Recurrent Transformer on the first-token sequences (batch 32 of four segments of 8), cross-entropy,
    Adam lr 3e-3 (set here; 1e-3 did not learn); ``gate_bias``: see
    :class:`~.fresh72_models.BlockRecurrent`."""
    torch.manual_seed(720_000 + seed)
    model = M.BlockRecurrent(gate_bias=gate_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), first_token(seed), F.cross_entropy)


def branchformer(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, query_axis_mask: bool = False,
                 adamw: bool = False) -> Setup:
    """Branchformer on the padded keyword utterances (batch 32), cross-entropy, Adam (betas 0.9, 0.98, ESPnet's) at
    its peak lr 1e-3 (the warm-up left out); ``weight_decay``, ``adamw``: AdamW with that decay instead;
    ``query_axis_mask``: see :class:`~.fresh72_models2.Branchformer`."""
    torch.manual_seed(720_000 + seed)
    model = M2.Branchformer(query_axis_mask=query_axis_mask)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=weight_decay)
    return _xy(model, opt, keywords(seed), F.cross_entropy)


def tst(seed: int, lr: float = 1e-3, bn: bool = True, shuffled: bool = False) -> Setup:
    """TST on the multivariate series (batch 32), cross-entropy, RAdam (the reference code's) at lr 1e-3;
    ``bn``: see :class:`~.fresh72_models2.TST`; ``shuffled``: see :func:`multivariate`."""
    torch.manual_seed(720_000 + seed)
    model = M2.TST(bn=bn)
    return _xy(model, torch.optim.RAdam(model.parameters(), lr=lr), multivariate(seed, shuffled=shuffled),
               F.cross_entropy)


def nagphormer(seed: int, lr: float = 5e-3, self_loops: bool = True, hidden: int = 1, readout_dim: int = 1) -> Setup:
    """NAGphormer on the SBM graph (all nodes' hop tokens as one batch, the loss over the training half),
    cross-entropy, AdamW at lr 5e-3 (the paper's peak 0.01 halved, its warm-up left out) with its weight decay 1e-5;
    ``self_loops``: see :func:`~.fresh72_models2.hop_tokens`; ``hidden``, ``readout_dim``: see
    :class:`~.fresh72_models2.NAGphormer`."""
    torch.manual_seed(720_000 + seed)
    a, x, y, train = sbm_graph(seed)
    tokens = M2.hop_tokens(a, x, self_loops=self_loops)
    model = M2.NAGphormer(x.shape[1], 4, hidden=hidden, readout_dim=readout_dim)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, lambda step: (tokens, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def sgformer(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, relu_bias: float | None = None) -> Setup:
    """SGFormer on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam lr 0.01 with
    coupled weight decay 5e-4 (the reference code's citation-graph setting); ``relu_bias``: see
    :class:`~.fresh72_models2.SGFormer`."""
    torch.manual_seed(720_000 + seed)
    a, x, y, train = sbm_graph(seed)
    model = M2.SGFormer(a, x.shape[1], 4, relu_bias=relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))
