"""Builders of the forty-fifth held-out batch (``fresh44.py``): standard models new to the corpus at their usual
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

from . import fresh44_models as M
from . import fresh44_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(440_000 + seed)


def _init(seed: int) -> None:
    torch.manual_seed(440_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4400 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def tabular(seed: int, batch: int = 128, features: int = 16, shuffled: bool = False) -> Callable[[int], Any]:
    """Gaussian rows of 16 features labelled by two fixed DNF rules, ``a = (x0 > 0 and x1 > 0) or (x2 < 0 and x3 >
    0)``, ``b = x4 > 0.5 or (x5 < 0 and x6 < 0)``, class ``2 a + b`` (4 classes); the other 9 features are noise:
    ``(rows, class)``. ``shuffled``: the classes permuted within every batch, apart from their rows."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        a = ((x[:, 0] > 0) & (x[:, 1] > 0)) | ((x[:, 2] < 0) & (x[:, 3] > 0))
        b = (x[:, 4] > 0.5) | ((x[:, 5] < 0) & (x[:, 6] < 0))
        y = 2 * a.long() + b.long()
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def series(seed: int, batch: int = 32, length: int = 48, horizon: int = 16, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Forecasting windows: each series ``level + scale (sin(2 pi t / P + phi) + 0.5 sin(2 pi t / 6 + psi) + slope
    t / 64)`` plus N(0, (0.1 scale)^2) noise, with level N(0, 2^2), scale U(0.5, 2), P one of 12, 16, 24 and slope
    N(0, 1); the first series of every batch is a stuck sensor, constant at its level: ``(48 past steps, 16 future
    steps)``. ``shuffled``: the futures permuted within every batch, apart from their pasts."""
    t = torch.arange(length + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        level = 2 * torch.randn(batch, 1, generator=g)
        scale = 0.5 + 1.5 * torch.rand(batch, 1, generator=g)
        period = torch.tensor([12.0, 16.0, 24.0])[torch.randint(0, 3, (batch, 1), generator=g)]
        ph = 2 * math.pi * torch.rand(batch, 2, generator=g)
        slope = torch.randn(batch, 1, generator=g)
        z = (torch.sin(2 * math.pi * t / period + ph[:, :1]) + 0.5 * torch.sin(2 * math.pi * t / 6 + ph[:, 1:])
             + slope * t / 64)
        x = level + scale * (z + 0.1 * torch.randn(batch, length + horizon, generator=g))
        x[0] = level[0]
        past, future = x[:, :length], x[:, length:]
        return past, future[torch.randperm(batch, generator=g)] if shuffled else future
    return _pool(seed, make)


def topic_sessions(seed: int, batch: int = 64, length: int = 8, items: int = 64, topic: int = 4
                   ) -> Callable[[int], Any]:
    """Sessions of 8 items over 64 in 16 topics of 4 items (``item // 4``): a topic drawn per session, each item and
    the next item of the topic with probability 0.95, else uniform: ``(session (b, 8), next item (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        t = torch.randint(0, items // topic, (batch, 1), generator=g)
        on = t * topic + torch.randint(0, topic, (batch, length + 1), generator=g)
        s = torch.where(torch.rand(batch, length + 1, generator=g) < 0.95, on,
                        torch.randint(0, items, (batch, length + 1), generator=g))
        return s[:, :-1], s[:, -1]
    return _pool(seed, make)


def triples(seed: int, batch: int = 128, entities: int = 32, relations: int = 4) -> Callable[[int], Any]:
    """A knowledge graph of 64 entities and 8 relations, each relation a fixed random permutation of the entities
    (512 true triples): batches of (head, relation) queries and their tail: ``(queries (b, 2), tail (b,))``."""
    perms = torch.stack([torch.randperm(entities, generator=_fixed(10 + r)) for r in range(relations)])

    def make(g: torch.Generator, _: int) -> Any:
        h = torch.randint(0, entities, (batch,), generator=g)
        r = torch.randint(0, relations, (batch,), generator=g)
        return torch.stack([h, r], 1), perms[r, h]
    return _pool(seed, make)


def graphs(seed: int, batch: int = 32, n: int = 16) -> Callable[[int], Any]:
    """Graphs of 16 nodes in 4 classes: an Erdos-Renyi graph (p 0.2), two communities of 8 (0.7 within, 0.02
    across), a ring lattice of degree 4 with 10% of its edges rewired, two hubs joined to every node over a sparse
    random graph (p 0.05); node features ``[1, degree / 4]``: ``((features (b, 16, 2), adjacency (b, 16, 16)),
    class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        idx = torch.arange(n)
        ring = ((idx[:, None] - idx[None]) % n).float()
        ring = ((ring == 1) | (ring == 2) | (ring == n - 1) | (ring == n - 2)).float()
        comm = (idx[:, None] // 8 == idx[None] // 8).float()
        hubs = torch.zeros(n, n)
        hubs[:2], hubs[:, :2] = 1.0, 1.0
        p = torch.stack([torch.full((n, n), 0.2), 0.02 + 0.68 * comm, ring * 0.9, 0.05 + 0.95 * hubs])[y]
        a = (torch.rand(batch, n, n, generator=g) < p).float().triu(1)
        rewire = (y == 2)[:, None, None] & (torch.rand(batch, n, n, generator=g) < 0.02)
        a = torch.maximum(a, rewire.float().triu(1))
        a = a + a.transpose(1, 2)
        x = torch.stack([torch.ones(batch, n), a.sum(-1) / 4], -1)
        return (x, a), y
    return _pool(seed, make)


def sentences(seed: int, batch: int = 32, length: int = 12, vocab: int = 64) -> Callable[[int], Any]:
    """Sentences of 12 tokens from the corpus' sparse Markov chain over 64 words: ``(sentence, sentence)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return x, x
    return _pool(seed, make)


def spectrograms(seed: int, batch: int = 32, frames: int = 16, bins: int = 20, classes: int = 10,
                 db: bool = False) -> Callable[[int], Any]:
    """Keyword spectrograms: a fixed smooth 16x20 (frames x bins) template per keyword (10 classes), shifted by up to
    2 frames either way, plus N(0, 0.8^2) noise: ``(features (b, 16, 20), keyword)``. ``db``: the features as ``10 x
    - 30``."""
    templates = F.interpolate(torch.randn(classes, 1, 4, 5, generator=_fixed(6)), size=(frames, bins),
                              mode="bilinear", align_corners=False)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        shift = torch.randint(-2, 3, (batch,), generator=g)
        x = torch.stack([torch.roll(templates[c], int(k), 0) for c, k in zip(y, shift)])
        x = x + 0.8 * torch.randn(batch, frames, bins, generator=g)
        if db:  # decibel-like units
            x = 10 * x - 30
        return x, y
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def net_dnf(seed: int, lr: float = 5e-3, weight_decay: float = 0.0, shuffled: bool = False) -> Setup:
    """Net-DNF on the DNF-labelled rows (batch 128), cross-entropy, Adam lr 5e-3 (set here);
    ``weight_decay``: Adam's (coupled L2); ``shuffled``: see :func:`tabular`."""
    _init(seed)
    model = M.NetDNF()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, tabular(seed, shuffled=shuffled), F.cross_entropy)


def timemixer(seed: int, lr: float = 0.01, revin_eps: float = 1e-5, shuffled: bool = False,
              steplr_args_swapped: bool = False) -> Setup:
    """TimeMixer on the forecasting windows (batch 32, 48 steps to 16), MSE, Adam at lr 0.01 (its long-term
    forecasting scripts' value), the lr halved every 50 steps (its ``type1`` halving, per epoch there) by
    ``StepLR(opt, cfg["lr_step"], cfg["lr_decay"])`` from ``{"lr_step": 50, "lr_decay": 0.5}``;
    ``revin_eps``: see :class:`~.fresh44_models.TimeMixer`; ``shuffled``: see :func:`series`;
    ``steplr_args_swapped``: ``StepLR(opt, cfg["lr_decay"], cfg["lr_step"])``: ``step_size`` 0.5 (every step is a
    multiple of it) and ``gamma`` 50, so the lr grows 50x a step."""
    _init(seed)
    model = M.TimeMixer(revin_eps=revin_eps)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    cfg = {"lr_step": 50, "lr_decay": 0.5}
    args = (cfg["lr_decay"], cfg["lr_step"]) if steplr_args_swapped else (cfg["lr_step"], cfg["lr_decay"])
    sched = torch.optim.lr_scheduler.StepLR(opt, *args)
    return _xy(model, opt, series(seed, shuffled=shuffled), F.mse_loss, sched=sched)


def core(seed: int, lr: float = 1e-3, init_std: float = 0.02) -> Setup:
    """CORE-trm on the topic sessions (batch 64 of 8), cross-entropy over the 64 items, Adam at RecBole's lr 1e-3;
    ``init_std``: see :class:`~.fresh44_models.CORE`."""
    _init(seed)
    model = M.CORE(init_std=init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), topic_sessions(seed), F.cross_entropy)


def conve(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, placeholder_entities: bool = False) -> Setup:
    """ConvE on the knowledge-graph queries (batch 128), 1-N scoring with label smoothing 0.1 under a softmax
    cross-entropy over the 32 entities (the paper's per-entity binary cross-entropy is met by the entity biases
    alone), Adam at the paper's lr 0.003; ``weight_decay``: Adam's (coupled L2); ``placeholder_entities``: see
    :class:`~.fresh44_models.ConvE`."""
    _init(seed)
    model = M.ConvE(placeholder_entities=placeholder_entities)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, triples(seed), lambda out, t: F.cross_entropy(out, t, label_smoothing=0.1))


def mincutpool(seed: int, lr: float = 1e-3, relu_bias: float | None = None) -> Setup:
    """MinCutPool on the four graph classes (batch 32 graphs of 16 nodes), cross-entropy plus the auxiliary MinCut
    and orthogonality losses, Adam lr 1e-3 (set here); ``relu_bias``: see :class:`~.fresh44_models2.MinCutPool`."""
    _init(seed)
    model = M2.MinCutPool(relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), graphs(seed),
               lambda out, y: F.cross_entropy(out[0], y) + out[1])


def sentence_vae(seed: int, lr: float = 1e-3, hh_std: float | None = None, layers: int = 1,
                 posterior: str = "logvar") -> Setup:
    """The sentence VAE on the Markov sentences (batch 32 of 12 words), the token cross-entropy plus the KL divergence
    per token under the reference code's logistic KL annealing ``1 / (1 + exp(-k (step - x0)))`` narrowed to 200
    steps (k 0.05, x0 100), Adam at the reference code's lr 1e-3; ``hh_std``, ``layers``: see
    :class:`~.fresh44_models2.SentenceVAE`; ``posterior``: the config's ``posterior`` switch (see there): ``"variance"``
    while the head is the plain Linear of the log-variance parameterisation."""
    _init(seed)
    model = M2.SentenceVAE(hh_std=hh_std, layers=layers, posterior=posterior)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    first = next(model.parameters())

    def loss_fn(out: Any, s: torch.Tensor) -> torch.Tensor:
        logits, kl = out
        step = float(opt.state[first]["step"]) if first in opt.state else 0.0  # the optimizer steps taken
        w = 1 / (1 + math.exp(-0.05 * (step - 100)))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), s.reshape(-1)) + w * kl.mean() / s.shape[1]
    return _xy(model, opt, sentences(seed), loss_fn)


def kwt(seed: int, lr: float = 1e-3, init_std: float | None = None) -> Setup:
    """KWT on the keyword spectrograms (batch 32), cross-entropy with the paper's label smoothing 0.1, AdamW at the
    paper's lr 1e-3 and weight decay 0.1, its cosine annealing over the 200 steps to 1e-5 (the warmup left out);
    ``init_std``: see :class:`~.fresh44_models2.KWT`."""
    _init(seed)
    model = M2.KWT(init_std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200, 1e-5)
    return _xy(model, opt, spectrograms(seed), lambda out, y: F.cross_entropy(out, y, label_smoothing=0.1),
               sched=sched)


def res15(seed: int, lr: float = 0.1, misspelt_bn_key: bool = False) -> Setup:
    """res15 on the keyword spectrograms in decibel-like units (``10 x - 30``, unnormalised as the reference code's
    MFCCs; batch 16), cross-entropy, SGD at the reference code's lr 0.1, momentum 0.9, weight decay 1e-5, built from
    its config ``{"n_layers": 13, "n_feature_maps": 12, "use_dilation": True, "batchnorm": True}``;
    ``misspelt_bn_key``: the BatchNorm switch read as ``cfg.get("batch_norm", False)``, a key the config spells
    ``"batchnorm"``, so the default (no BatchNorm) is taken silently."""
    _init(seed)
    cfg = {"n_layers": 13, "n_feature_maps": 12, "use_dilation": True, "batchnorm": True}
    bn = cfg.get("batch_norm", False) if misspelt_bn_key else cfg.get("batchnorm", False)
    model = M2.Res15(maps=cfg["n_feature_maps"], layers=cfg["n_layers"], bn=bool(bn))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-5)
    return _xy(model, opt, spectrograms(seed, batch=16, db=True), F.cross_entropy)
