"""Builders of the fifty-second held-out batch (``fresh51.py``): standard models new to the corpus at their usual
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

from . import fresh51_models as M
from . import fresh51_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(510_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def mosaics(seed: int, batch: int = 16, classes: int = 10, shuffled: bool = False) -> Callable[[int], Any]:
    """Mosaic images: 16 fixed random 3x4x4 tiles laid on a 4x4 grid (16x16 pixels), each class a fixed permutation
    of the same 16 tiles (10 classes), plus N(0, 0.5^2) noise: every class holds the same tiles, only their places
    differ. ``(images (b, 3, 16, 16), class (b,))``; ``shuffled``: the classes permuted within every batch, apart
    from their images."""
    tiles = torch.randn(16, 3, 4, 4, generator=_fixed(0))
    perms = torch.stack([torch.randperm(16, generator=_fixed(10 + c)) for c in range(classes)])
    layouts = tiles[perms].reshape(classes, 4, 4, 3, 4, 4).permute(0, 3, 1, 4, 2, 5).reshape(classes, 3, 16, 16)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = layouts[y] + 0.5 * torch.randn(batch, 3, 16, 16, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def templates(seed: int, batch: int = 32, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``."""
    tpl = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                        align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return tpl[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 32, classes: int = 3) -> Callable[[int], Any]:
    """Segmentation scenes: each pixel's class is the argmax of three smooth random fields (blobby regions of about
    equal share), its colour the class's fixed colour plus N(0, 1) noise: ``(images (b, 3, 32, 32), masks (b, 32,
    32))``."""
    colours = torch.randn(classes, 3, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        fields = F.interpolate(torch.randn(batch, classes, 5, 5, generator=g), size=(size, size), mode="bilinear",
                               align_corners=False)
        y = fields.argmax(1)
        x = colours[y].permute(0, 3, 1, 2) + torch.randn(batch, 3, size, size, generator=g)
        return x, y
    return _pool(seed, make)


def sr_pairs(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Super-resolution pairs: high-resolution 3x16x16 images in (0, 1) (a sigmoid of smooth random fields, 6x6
    upsampled bicubically, plus a fixed fine texture) and their 2x2 average-pooled 8x8 versions: ``(low, high)``."""
    texture = 0.3 * torch.randn(3, size, size, generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        base = F.interpolate(2.0 * torch.randn(batch, 3, 6, 6, generator=g), size=(size, size), mode="bicubic",
                             align_corners=False)
        hr = torch.sigmoid(base + texture * torch.rand(batch, 1, 1, 1, generator=g))
        return F.avg_pool2d(hr, 2), hr
    return _pool(seed, make)


def keywords(seed: int, batch: int = 32, frames: int = 20, mels: int = 40, classes: int = 4, word: int = 10
             ) -> Callable[[int], Any]:
    """Keyword utterances: 20 log-mel frames (40 bins) of N(0, 0.5^2) background, the keyword (a fixed smooth 40x10
    log-mel template per class times 1.5, 4 classes) in frames 0 to 9, background after it: ``(frames (b, 20, 40),
    class)`` (the last frame is 10 frames after the keyword's end)."""
    tpl = F.interpolate(torch.randn(classes, 1, 8, 4, generator=_fixed(4)), size=(mels, word), mode="bilinear",
                        align_corners=False)[:, 0].transpose(1, 2)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.5 * torch.randn(batch, frames, mels, generator=g)
        x[:, :word] += 1.5 * tpl[y]
        return x, y
    return _pool(seed, make)


def sbm(seed: int, n: int = 300, classes: int = 4, features: int = 32) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.004
    across), its adjacency without self-loops, weak node features (the class's fixed mean direction times 0.3 plus
    N(0, 1) noise, 32 dimensions) and the labels; the first half of a fixed random order is the training set:
    ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.06, 0.004)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    means = torch.randn(classes, features, generator=_fixed(5))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def table(seed: int, rows: int = 256, features: int = 12, classes: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """A tabular training table: 11 informative N(0, 1) columns at different scales (x 1 to x 100, as raw units) and
    a twelfth column constant at 3.0 (a field every row of this extract shares), the label the argmax of a fixed
    two-layer tanh teacher of the standardised informative columns: ``(raw features (256, 12), labels (256,))``."""
    g = _gen(seed)
    z = torch.randn(rows, features - 1, generator=g)
    w1 = torch.randn(features - 1, 16, generator=_fixed(6))
    w2 = torch.randn(16, classes, generator=_fixed(7))
    y = (torch.tanh(z @ w1 / math.sqrt(features - 1) * 2) @ w2).argmax(1)
    scales = torch.logspace(0, 2, features - 1)
    return torch.cat([z * scales, torch.full((rows, 1), 3.0)], 1), y


# ---- builders --------------------------------------------------------------------------------------------------------

def hornet(seed: int, lr: float = 4e-3, weight_decay: float = 0.05, gamma_buffer: bool = False) -> Setup:
    """HorNet on the mosaics (batch 16), cross-entropy, AdamW at the reference's lr 4e-3 and weight decay 0.05 (its
    warm-up and cosine schedule left out); ``gamma_buffer``: see :class:`~.fresh51_models.HorNet`."""
    torch.manual_seed(510_000 + seed)
    model = M.HorNet(gamma_buffer=gamma_buffer)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, mosaics(seed), F.cross_entropy)


def hornet_labels_shuffled(seed: int) -> Setup:
    """HorNet with the mosaic classes permuted within every batch (see :func:`mosaics`)."""
    setup = hornet(seed)
    batches = mosaics(seed, shuffled=True)
    setup.batches, setup.batch = batches, batches(0)
    return setup


def peleenet(seed: int, lr: float = 0.18, norm: str = "bn", bn_beta: float | None = None) -> Setup:
    """PeleeNet on the class-template images (batch 32), cross-entropy, SGD at the paper's lr 0.18, momentum 0.9,
    weight decay 5e-4 (its cosine schedule left out); ``norm``, ``bn_beta``: see :class:`~.fresh51_models.PeleeNet`."""
    torch.manual_seed(510_000 + seed)
    model = M.PeleeNet(norm=norm, bn_beta=bn_beta)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, templates(seed), F.cross_entropy)


def _ce_logged_with_miou(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The slip: the loss computed inside the ``torch.no_grad()`` block opened for the batch's logged mIoU, and
    ``loss.requires_grad_()`` added after ``backward()`` raised "element 0 of tensors does not require grad": the
    loss is a new leaf, cut from the model, and no parameter receives a gradient."""
    with torch.no_grad():
        pred = out.argmax(1)
        ious = [((pred == c) & (y == c)).sum() / ((pred == c) | (y == c)).sum().clamp_min(1) for c in range(3)]
        _ = torch.stack(ious).mean()
        loss = F.cross_entropy(out, y)
    return loss.requires_grad_()


def bisenet(seed: int, lr: float = 0.025, loss_in_no_grad: bool = False) -> Setup:
    """BiSeNet on the segmentation scenes (batch 16 of 32x32), per-pixel cross-entropy, SGD at the paper's lr 0.025,
    momentum 0.9, weight decay 1e-4 (its poly schedule left out); ``loss_in_no_grad``: see
    :func:`_ce_logged_with_miou`."""
    torch.manual_seed(510_000 + seed)
    model = M.BiSeNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, scenes(seed), _ce_logged_with_miou if loss_in_no_grad else F.cross_entropy)


def carn(seed: int, lr: float = 1e-3) -> Setup:
    """CARN on the x2 super-resolution pairs (batch 16 of 8x8 -> 16x16), L1 loss (the paper's), Adam lr 1e-3 (the
    paper's 1e-4 is for 600k steps; set here)."""
    torch.manual_seed(510_000 + seed)
    model = M.CARN()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), sr_pairs(seed), F.l1_loss)


def lstmp(seed: int, lr: float = 3e-3, forget_bias: float | None = None, no_grad_encode: bool = False,
          layers: int = 2, init_std: float | None = None) -> Setup:
    """LSTMP on the keyword utterances (batch 32 of 20 frames), cross-entropy, Adam lr 3e-3 (set here; the paper's
    asynchronous SGD is not a single-machine optimiser); ``forget_bias``, ``no_grad_encode``: see
    :class:`~.fresh51_models2.LSTMP`."""
    torch.manual_seed(510_000 + seed)
    model = M2.LSTMP(layers=layers, forget_bias=forget_bias, no_grad_encode=no_grad_encode, init_std=init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), keywords(seed), F.cross_entropy)


def _node_loss(train: torch.Tensor) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    return lambda out, y: F.cross_entropy(out[train], y[train])


def deepergcn(seed: int, lr: float = 0.01, layers: int = 4, res: bool = True, weight_decay: float = 0.0) -> Setup:
    """DeeperGCN on the SBM graph (full batch, self-loops added, the loss over the training half), cross-entropy,
    Adam at the reference code's lr 0.01; ``layers``, ``res``: see :class:`~.fresh51_models2.DeeperGCN`;
    ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(510_000 + seed)
    a, x, y, train = sbm(seed)
    model = M2.DeeperGCN(x.shape[1], 4, layers=layers, res=res)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    inputs = (x, a + torch.eye(a.shape[0]))
    return _xy(model, opt, lambda step: (inputs, y), _node_loss(train))


def graph_unet(seed: int, lr: float = 0.01, weight_decay: float = 1e-3, init_std: float | None = None) -> Setup:
    """Graph U-Net on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam lr 0.01 with
    weight decay 1e-3 (the paper's node-classification values); ``init_std``: see
    :class:`~.fresh51_models2.GraphUNet`."""
    torch.manual_seed(510_000 + seed)
    a, x, y, train = sbm(seed)
    model = M2.GraphUNet(x.shape[1], 4, init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: ((x, a), y), _node_loss(train))


def tabr(seed: int, lr: float = 1e-3, weight_decay: float = 1e-5, raw_std: bool = False) -> Setup:
    """TabR on the table (batches of 64 of its rows, the whole table the candidates), cross-entropy, AdamW lr 1e-3
    and weight decay 1e-5 (values from its tuning space; set here). The columns are standardised by the table's
    mean and standard deviation the ``StandardScaler`` way (a zero deviation taken as 1); ``raw_std``: divided by
    the deviation as it is, ``(x - mean) / std`` (the constant column is ``0 / 0``)."""
    torch.manual_seed(510_000 + seed)
    raw, y = table(seed)
    mean, std = raw.mean(0), raw.std(0)
    x = (raw - mean) / (std if raw_std else torch.where(std > 0, std, torch.ones_like(std)))
    model = M2.TabR(x, y, 4)
    g = _gen(seed)
    rows = [torch.randperm(len(y), generator=g)[:64] for _ in range(POOL)]
    pool = [((x[r], r), y[r]) for r in rows]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: pool[step % POOL], F.cross_entropy)
