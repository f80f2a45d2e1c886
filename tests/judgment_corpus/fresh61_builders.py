"""Builders of the sixty-second held-out batch (``fresh61.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh61_models as M
from . import fresh61_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(610_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor]
        ) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


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


def scenes(seed: int, batch: int = 8, size: int = 32) -> Callable[[int], Any]:
    """Segmentation scenes of 32x32: a background of one fixed colour, one square of class 1 and one disc of class 2
    (sides and diameters 8 to 14, random places, the disc drawn last), each class a fixed colour, plus N(0, 0.5^2)
    noise: ``(images (b, 3, 32, 32), masks (b, 32, 32))``."""
    colours = torch.randn(3, 3, generator=_fixed(2))
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        masks = torch.zeros(batch, size, size, dtype=torch.long)
        for b in range(batch):
            s, r = torch.randint(8, 15, (2,), generator=g).tolist()
            x0, y0 = torch.randint(0, size - s + 1, (2,), generator=g).tolist()
            masks[b, y0:y0 + s, x0:x0 + s] = 1
            cx, cy = (torch.rand(2, generator=g) * (size - r) + r / 2).tolist()
            masks[b][(xx - cx) ** 2 + (yy - cy) ** 2 <= (r / 2) ** 2] = 2
        img = colours[masks].permute(0, 3, 1, 2)
        return img + 0.5 * torch.randn(img.shape, generator=g), masks
    return _pool(seed, make)


def texts(seed: int, batch: int = 64, length: int = 16, vocab: int = 64, classes: int = 4, shuffled: bool = False
          ) -> Callable[[int], Any]:
    """Texts of 16 tokens over 64 words; the label is the topic (``word % 4``) of most of the words, a topic drawn per
    text making half of its words, the rest uniform: ``(tokens (b, 16), topic (b,))``; 200 batches, none seen twice
    in a run. ``shuffled``: the labels permuted within every batch, apart from their texts."""
    def make(g: torch.Generator, _: int) -> Any:
        topic = torch.randint(0, classes, (batch, 1), generator=g)
        on = torch.randint(0, vocab // classes, (batch, length), generator=g) * classes + topic
        x = torch.where(torch.rand(batch, length, generator=g) < 0.5, on,
                        torch.randint(0, vocab, (batch, length), generator=g))
        y = F.one_hot(x % classes, classes).sum(1).argmax(1)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make, size=200)


def headed_texts(seed: int, batch: int = 64, length: int = 16, vocab: int = 64, classes: int = 4, head: int = 6
                 ) -> Callable[[int], Any]:
    """Texts of 16 tokens over 64 words whose topic (``word % 4``) shows only in their first 6 words (all of the
    topic); the other 10 are uniform: ``(tokens (b, 16), topic (b,))`` (the last state must carry it 10 steps); 200
    batches, none seen twice in a run."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = torch.randint(0, vocab, (batch, length), generator=g)
        x[:, :head] = torch.randint(0, vocab // classes, (batch, head), generator=g) * classes + y[:, None]
        return x, y
    return _pool(seed, make, size=200)


def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32, isolated: int = 20
              ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.004
    across; the last 20 nodes are cold-start nodes with no edges), its adjacency without self-loops, weak node
    features (the class's fixed mean direction times 0.3 plus N(0, 1) noise, 32 dimensions) and the labels; the
    first half of a fixed random order is the training set: ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.06, 0.004)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    a[n - isolated:], a[:, n - isolated:] = 0.0, 0.0
    means = torch.randn(classes, features, generator=_fixed(3))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def conversions(seed: int, batch: int = 256, fields: int = 8, vocab: int = 10) -> Callable[[int], Any]:
    """Two-step conversion logs: 8 categorical fields of 10 values; a click with probability ``sigmoid(sum of fixed
    per-value click effects)`` (effects N(0, 2.5^2) / sqrt 2), a conversion only after a click, with probability
    ``sigmoid(sum of fixed conversion effects - 1)``: ``(fields (b, 8), (click, conversion))``."""
    fg = _fixed(4)
    ec = 2.5 * torch.randn(fields, vocab, generator=fg) / 2 ** 0.5
    ev = 2.5 * torch.randn(fields, vocab, generator=fg) / 2 ** 0.5
    idx = torch.arange(fields)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, fields), generator=g)
        click = (torch.rand(batch, generator=g) < torch.sigmoid(ec[idx, x].sum(1))).float()
        conv = click * (torch.rand(batch, generator=g) < torch.sigmoid(ev[idx, x].sum(1) - 1)).float()
        return x, (click, conv)
    return _pool(seed, make)


def domains(seed: int, batch: int = 256, fields: int = 4, vocab: int = 16, numeric: int = 8, count: int = 3
            ) -> Callable[[int], Any]:
    """Multi-domain clicks: a domain of 3 (drawn 50, 30, 20 %), 4 categorical fields of 16 values and 8 N(0, 1)
    numeric features; the click's logit is ``3 x . (w + w_p) / 4`` (a shared and a per-domain fixed N(0, 1) weight
    over the numeric features) plus a fixed per-domain offset and a small categorical effect (N(0, 0.3^2) per value);
    the numeric features are handed over at raw scales, each times a fixed ``10 ** U(1, 4)`` and shifted by up to 3
    of those (a log's counts and prices): ``((fields, raw numeric, domain), click)``."""
    fg = _fixed(5)
    w, wp = torch.randn(numeric, generator=fg), torch.randn(count, numeric, generator=fg)
    off, ec = 0.5 * torch.randn(count, generator=fg), 0.3 * torch.randn(fields, vocab, generator=fg)
    scale = 10 ** (1 + 3 * torch.rand(numeric, generator=fg))
    shift = scale * 3 * torch.rand(numeric, generator=fg)
    idx = torch.arange(fields)

    def make(g: torch.Generator, _: int) -> Any:
        dom = torch.multinomial(torch.tensor([0.5, 0.3, 0.2]), batch, True, generator=g)
        cat = torch.randint(0, vocab, (batch, fields), generator=g)
        num = torch.randn(batch, numeric, generator=g)
        logit = 3 * (num * (w + wp[dom])).sum(1) / 4 + off[dom] + ec[idx, cat].sum(1)
        return (cat, scale * num + shift, dom), (torch.rand(batch, generator=g) < torch.sigmoid(logit)).float()
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def aitm_loss(out: tuple[torch.Tensor, torch.Tensor], y: tuple[torch.Tensor, torch.Tensor], alpha: float = 0.6
              ) -> torch.Tensor:
    """AITM's objective: the click and conversion cross-entropies plus ``alpha`` (the paper's 0.6) times the
    behavioural expectation calibrator ``mean(max(p_conversion - p_click, 0))``."""
    (pc, pv), (c, v) = out, y
    return (F.binary_cross_entropy(pc, c) + F.binary_cross_entropy(pv, v)
            + alpha * torch.clamp(pv - pc, min=0).mean())


# ---- builders --------------------------------------------------------------------------------------------------------

def crossvit(seed: int, lr: float = 5e-4, weight_decay: float = 0.05, norm: bool = True) -> Setup:
    """CrossViT on the class-template images (batch 32), cross-entropy, AdamW at DeiT's lr 5e-4 (its 5e-4 x batch /
    512 not scaled down) and weight decay 0.05 (warm-up and schedule left out); ``norm``: see
    :class:`~.fresh61_models.CrossViT`."""
    torch.manual_seed(seed)
    model = M.CrossViT(norm=norm)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def dabnet(seed: int, lr: float = 1e-3, bn: bool = True) -> Setup:
    """DABNet on the segmentation scenes (batch 8), pixel cross-entropy over 3 classes, Adam lr 1e-3 and weight decay
    1e-4 (set here; the paper's poly schedule left out); ``bn``: see :class:`~.fresh61_models.DABNet`."""
    torch.manual_seed(seed)
    model = M.DABNet(bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    return _xy(model, opt, scenes(seed), F.cross_entropy)


def hypermixer(seed: int, lr: float = 1e-3, init_std: float | None = None, shuffled: bool = False) -> Setup:
    """HyperMixer on the topic texts (batch 64 of 16), cross-entropy, Adam lr 1e-3 (set here); ``init_std``: see
    :class:`~.fresh61_models.HyperMixer`; ``shuffled``: see :func:`texts`."""
    torch.manual_seed(seed)
    model = M.HyperMixer(init_std=init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), texts(seed, shuffled=shuffled), F.cross_entropy)


def clstm(seed: int, lr: float = 1e-3, forget_bias: float | None = None, view_to_lstm: bool = False) -> Setup:
    """C-LSTM on the headed texts (batch 64 of 16), cross-entropy, RMSprop (the paper's optimiser) at lr 1e-3 (set
    here); ``forget_bias``, ``view_to_lstm``: see :class:`~.fresh61_models.CLSTM`."""
    torch.manual_seed(seed)
    model = M.CLSTM(forget_bias=forget_bias, view_to_lstm=view_to_lstm)
    return _xy(model, torch.optim.RMSprop(model.parameters(), lr=lr), headed_texts(seed), F.cross_entropy)


def _graph(seed: int, make: Callable[[torch.Tensor, int], nn.Module], lr: float, weight_decay: float) -> Setup:
    torch.manual_seed(seed)
    a, x, y, train = sbm_graph(seed)
    model = make(a, x.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def monet(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, layers: int = 2, residual: bool = False,
          residual_twice: bool = False, mean: str = "clamped") -> Setup:
    """MoNet on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam lr 0.01 and weight
    decay 5e-4 (the citation-graph setting the paper followed); the rest: see :class:`~.fresh61_models2.MoNet`."""
    return _graph(seed, lambda a, f: M2.MoNet(a, f, 4, layers=layers, residual=residual,
                                              residual_twice=residual_twice, mean=mean), lr, weight_decay)


def geniepath(seed: int, lr: float = 0.005, candidate_from_memory: bool = False) -> Setup:
    """GeniePath on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the reference
    code's lr 0.005; ``candidate_from_memory``: see :class:`~.fresh61_models2.GeniePath`."""
    return _graph(seed, lambda a, f: M2.GeniePath(a, f, 4, candidate_from_memory=candidate_from_memory), lr, 0.0)


def aitm(seed: int, lr: float = 1e-3, weight_decay: float = 1e-6, relu_bias: float | None = None,
         alpha: float = 0.6, layers: int = 3) -> Setup:
    """AITM on the conversion logs (batch 256), :func:`aitm_loss`, Adam at the reference code's lr 1e-3 and weight
    decay 1e-6; ``relu_bias``: see :class:`~.fresh61_models2.AITM`; ``alpha``: the calibrator's weight."""
    torch.manual_seed(seed)
    model = M2.AITM(relu_bias=relu_bias, layers=layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, conversions(seed), lambda out, y: aitm_loss(out, y, alpha))


def star(seed: int, lr: float = 1e-3, zero_init: bool = False, pn: bool = True, pn_dim: int = 0) -> Setup:
    """STAR on the multi-domain clicks (batch 256, the domains mixed), binary cross-entropy on the logit, Adam lr
    1e-3 (set here); ``zero_init``, ``numeric_layernorm``: see :class:`~.fresh61_models2.STAR`."""
    torch.manual_seed(seed)
    model = M2.STAR(zero_init=zero_init, pn=pn, pn_dim=pn_dim)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, domains(seed), F.binary_cross_entropy_with_logits)
