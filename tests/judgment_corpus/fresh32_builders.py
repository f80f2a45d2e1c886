"""Builders of the thirty-third held-out batch (``fresh32.py``): standard models new to the corpus at their usual
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

from . import fresh32_models as M
from . import fresh32_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(320_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3200 + k)


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

def lm(seed: int, batch: int = 16, length: int = 33) -> Callable[[int], Any]:
    """The corpus' sparse Markov language (64 tokens): ``(inputs (b, 32), next tokens)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def images(seed: int, batch: int = 32, size: int = 16, shuffle_labels: bool = False) -> Callable[[int], Any]:
    """Class-template images (10 classes, 3x16x16, a fixed smooth template each) plus noise 0.7;
    ``shuffle_labels``: the labels permuted against the images."""
    templates = _smooth(_fixed(1), 10, 3, 4, size)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        x = templates[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g)
        if shuffle_labels:
            y = y[torch.randperm(batch, generator=g)]
        return x, y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 32, classes: int = 5, shuffle_masks: bool = False
           ) -> Callable[[int], Any]:
    """Segmentation scenes: a 32x32 image cut into the Voronoi cells of 4 random points, each cell a random one of
    five classes painted in its class colour plus noise 0.8: ``(image (b, 3, 32, 32), label map)``.
    ``shuffle_masks``: the label maps permuted against the images."""
    colours = torch.randn(classes, 3, generator=_fixed(2))
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        pts = size * torch.rand(batch, 4, 2, generator=g)
        d = (yy[None, None] - pts[..., 0, None, None]) ** 2 + (xx[None, None] - pts[..., 1, None, None]) ** 2
        cls = torch.randint(0, classes, (batch, 4), generator=g)
        label = cls.gather(1, d.argmin(1).flatten(1)).view(batch, size, size)
        x = colours[label].permute(0, 3, 1, 2) + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        if shuffle_masks:
            label = label[torch.randperm(batch, generator=g)]
        return x, label
    return _pool(seed, make)


def interactions(seed: int, batch: int = 32, length: int = 30, skills: int = 10) -> Callable[[int], Any]:
    """Students answering exercises: each student one of four fixed profiles of which of the ten skills are
    mastered (a correct answer with probability 0.9 on a mastered skill, 0.15 otherwise), the skill of each of the
    30 exercises uniform: ``(interaction ids skill + correct * 10 (b, 30), (next skills, next correctness))``."""
    profiles = torch.rand(4, skills, generator=_fixed(3)) < 0.5

    def make(g: torch.Generator, _: int) -> Any:
        prof = profiles[torch.randint(0, 4, (batch,), generator=g)]
        skill = torch.randint(0, skills, (batch, length), generator=g)
        p = torch.where(prof.gather(1, skill), 0.9, 0.15)
        correct = (torch.rand(batch, length, generator=g) < p).long()
        ids = skill + correct * skills
        return ids[:, :-1], (skill[:, 1:], correct[:, 1:].float())
    return _pool(seed, make)


def queries(seed: int, batch: int = 32, buckets: int = 500, negatives: int = 4, feature_std: bool = False
            ) -> Callable[[int], Any]:
    """Query-document clicks: 40 fixed topics, each a distribution over 25 of the 500 hashed letter-trigram buckets;
    a batch holds 32 queries of distinct topics, each 6 draws from its topic, its clicked document 30 draws from it,
    and the negatives the clicked documents of the next four queries in the batch: ``((query counts (b, 500),
    documents (b, 5, 500)), zeros)``."""
    fg = _fixed(4)
    topic_buckets = torch.stack([torch.randperm(buckets, generator=fg)[:25] for _ in range(40)])

    def bag(g: torch.Generator, t: torch.Tensor, n: int) -> torch.Tensor:
        idx = topic_buckets[t].gather(1, torch.randint(0, 25, (t.shape[0], n), generator=g))
        return torch.zeros(t.shape[0], buckets).scatter_add_(1, idx, torch.ones(idx.shape))

    def make(g: torch.Generator, _: int) -> Any:
        t = torch.randperm(40, generator=g)[:batch]
        q, d = bag(g, t, 6), bag(g, t, 30)
        docs = torch.stack([d.roll(-k, 0) for k in range(negatives + 1)], 1)
        return (q, docs), torch.zeros(batch, dtype=torch.long)
    return _pool(seed, make)


def series(seed: int, batch: int = 32, history: int = 48, horizon: int = 8, eps: float = 1e-5
           ) -> Callable[[int], Any]:
    """Demand-like series: a daily cycle of period 12 with a per-series level, amplitude and phase, a weekly-like
    cycle of period 40, plus noise 0.2; the covariates are the cycle's sine and cosine (known ahead) and a holiday
    flag that is 0 throughout this data; the covariates are z-scored over the batch, ``(c - mean) / (std + eps)``:
    ``((history (b, 48), covariates (b, 48, 3), future covariates (b, 8, 3)), future values (b, 8))``. ``eps=0``:
    the z-scoring without its eps (the constant holiday column is 0/0)."""
    t_all = torch.arange(history + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        start = torch.randint(0, 12, (batch, 1), generator=g).float()
        t = t_all + start
        level = torch.randn(batch, 1, generator=g)
        amp = 0.5 + torch.rand(batch, 1, generator=g)
        y = (level + amp * torch.sin(2 * math.pi * t / 12) + 0.3 * torch.sin(2 * math.pi * t / 40)
             + 0.2 * torch.randn(batch, history + horizon, generator=g))
        cov = torch.stack([torch.sin(2 * math.pi * t / 12), torch.cos(2 * math.pi * t / 12), torch.zeros_like(t)],
                          -1)
        flat = cov.reshape(-1, 3)
        cov = (cov - flat.mean(0)) / (flat.std(0) + eps)
        return (y[:, :history], cov[:, :history], cov[:, history:]), y[:, history:]
    return _pool(seed, make)


def low_res(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Super-resolution pairs: smooth random fields with finer detail (4x4 and 8x8 components) of 16x16 and their
    2x2 average-pooled 8x8 versions: ``(low-res (b, 1, 8, 8), high-res (b, 1, 16, 16))``."""
    def make(g: torch.Generator, _: int) -> Any:
        hr = _smooth(g, batch, 1, 4, size) + 0.5 * _smooth(g, batch, 1, 8, size)
        return F.avg_pool2d(hr, 2), hr
    return _pool(seed, make)


def pixels(seed: int, batch: int = 256, size: int = 32) -> Callable[[int], Any]:
    """Image fitting: one fixed smooth RGB image of 32x32 per seed (components at 4x4 and 8x8); each batch 256
    random pixels: ``(coordinates in [-1, 1]^2 (b, 2), colours (b, 3))``."""
    g0 = _gen(seed + 1000)
    img = (_smooth(g0, 1, 3, 4, size) + 0.5 * _smooth(g0, 1, 3, 8, size))[0]
    lin = torch.linspace(-1, 1, size)

    def make(g: torch.Generator, _: int) -> Any:
        r, c = torch.randint(0, size, (batch,), generator=g), torch.randint(0, size, (batch,), generator=g)
        return torch.stack([lin[r], lin[c]], 1), img[:, r, c].T
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def dkt_loss(logits: torch.Tensor, y: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """DKT's loss: binary cross-entropy of the predicted probability for the next exercise's skill."""
    skill, correct = y
    return F.binary_cross_entropy_with_logits(logits.gather(2, skill[..., None]).squeeze(-1), correct)


def quantile_loss(pred: torch.Tensor, y: torch.Tensor, qs: tuple[float, ...] = (0.1, 0.5, 0.9)) -> torch.Tensor:
    """MQ-RNN's total quantile (pinball) loss over the horizon, averaged."""
    q = torch.tensor(qs)
    e = y[..., None] - pred
    return torch.maximum(q * e, (q - 1) * e).sum(-1).mean()


class WeightedCE:
    """Cross-entropy with class weights recomputed per batch as inverse class frequencies normalised to sum to one
    (``w = 1 / counts; w = w / w.sum()``): a class absent from the batch has weight ``1 / 0 = inf`` and the
    normalisation makes every weight ``inf / inf`` or ``x / inf``, NaN or 0."""

    def __call__(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        w = 1.0 / torch.bincount(y, minlength=logits.shape[1]).float()
        return F.cross_entropy(logits, y, weight=w / w.sum())


# ---- builders --------------------------------------------------------------------------------------------------------

def bytenet(seed: int, lr: float = 3e-4, init_std: float | None = None) -> Setup:
    """ByteNet's decoder on the Markov language (batch 16 of 32 tokens), cross-entropy, Adam at the paper's lr 3e-4;
    ``init_std``: every convolution's and the output's weight drawn N(0, init_std^2)."""
    torch.manual_seed(seed)
    model = M.ByteNet()
    if init_std is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Conv1d, nn.Linear)):
                    m.weight.normal_(0.0, init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), lm(seed), lm_loss)


def dkt(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, recurrent_std: float | None = None) -> Setup:
    """DKT on the students (batch 32 of 30 exercises), binary cross-entropy, Adam lr 1e-3 (common
    reimplementations'; the paper used SGD); ``recurrent_std``: see :class:`~.fresh32_models.DKT`."""
    torch.manual_seed(seed)
    model = M.DKT(recurrent_std=recurrent_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, interactions(seed), dkt_loss)


def dssm(seed: int, lr: float = 0.1, tanh_depth: int = 2) -> Setup:
    """DSSM on the clicks (batch 32, four negatives), the softmax over the smoothed cosines, SGD lr 0.1 (the paper
    trains by mini-batch SGD); ``tanh_depth``: see :class:`~.fresh32_models.DSSM`."""
    torch.manual_seed(seed)
    model = M.DSSM(tanh_depth=tanh_depth)
    return _xy(model, torch.optim.SGD(model.parameters(), lr=lr), queries(seed), F.cross_entropy)


def mqrnn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, eps: float = 1e-5) -> Setup:
    """MQ-RNN on the series (batch 32, 48 steps of history, 8 ahead), the quantile loss, Adam lr 1e-3; ``eps``: see
    :func:`series`."""
    torch.manual_seed(seed)
    model = M.MQRNN()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, series(seed, eps=eps), quantile_loss)


def fourier_net(seed: int, lr: float = 1e-3) -> Setup:
    """The multiplicative filter network (FourierNet) fitting an image (batch 256 pixels), MSE, Adam lr 1e-3."""
    torch.manual_seed(seed)
    model = M.FourierNet()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), pixels(seed), F.mse_loss)


def fsrcnn(seed: int, lr: float = 1e-3, zero_weights: bool = False) -> Setup:
    """FSRCNN x2 on the low-res fields (batch 16), MSE, Adam lr 1e-3 (common reimplementations'; the paper's SGD
    at 1e-3 is far slower). ``zero_weights``: the init loop's bias line written ``nn.init.zeros_(m.weight)``
    (copy-paste of the attribute), so every convolution's weight is zero after the He init."""
    torch.manual_seed(seed)
    model = M2.FSRCNN()
    if zero_weights:
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.zeros_(m.weight)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), low_res(seed), F.mse_loss)


def linknet(seed: int, lr: float = 5e-4, bn_bias: float | None = None, shuffle_masks: bool = False) -> Setup:
    """LinkNet on the scenes (batch 16), per-pixel cross-entropy, RMSprop at the paper's lr 5e-4; ``bn_bias``:
    every BatchNorm's bias (each is followed by a ReLU) set to it; ``shuffle_masks``: see :func:`scenes`."""
    torch.manual_seed(seed)
    model = M2.LinkNet()
    if bn_bias is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.bias.fill_(bn_bias)
    opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    return _xy(model, opt, scenes(seed, shuffle_masks=shuffle_masks), F.cross_entropy)


def rednet(seed: int, lr: float = 0.1 * 32 / 256, bn: bool = True, shuffle_labels: bool = False,
           class_weights: bool = False) -> Setup:
    """RedNet on template images (batch 32), cross-entropy, SGD momentum 0.9 weight decay 1e-4 at lr 0.1 per 256
    images (0.0125) with cosine decay over the 200 steps (the paper's recipe); ``bn``: see
    :class:`~.fresh32_models2.RedNet`; ``shuffle_labels``: see :func:`images`; ``class_weights``: see
    :class:`WeightedCE`."""
    torch.manual_seed(seed)
    model = M2.RedNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200)
    loss = WeightedCE() if class_weights else F.cross_entropy
    return _xy(model, opt, images(seed, shuffle_labels=shuffle_labels), loss, sched=sched)


def t2t_vit(seed: int, lr: float = 1e-3, weight_decay: float = 0.05, lambda_returns_lr: bool = False) -> Setup:
    """T2T-ViT on template images (batch 32), cross-entropy, AdamW lr 1e-3 weight decay 0.05 with a linear warm-up
    over 20 steps and cosine decay (``LambdaLR``). ``lambda_returns_lr``: the lambda written to return the learning
    rate, ``lr * factor``, where ``LambdaLR`` multiplies the base lr by what it returns (every step's lr is lr^2
    times the factor: 1e-6 at most)."""
    torch.manual_seed(seed)
    model = M2.T2TViT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)

    def factor(s: int) -> float:
        f = (s + 1) / 20 if s < 20 else 0.5 * (1 + math.cos(math.pi * (s - 20) / 180))
        return lr * f if lambda_returns_lr else f
    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    return _xy(model, opt, images(seed), F.cross_entropy, sched=sched)


def sequencer(seed: int, lr: float = 1e-3, weight_decay: float = 0.05) -> Setup:
    """Sequencer2D on template images (batch 32), cross-entropy, AdamW lr 1e-3 weight decay 0.05 (the paper's
    AdamW 2e-3 per 1024 scaled up for the short run) with cosine decay."""
    torch.manual_seed(seed)
    model = M2.Sequencer()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200)
    return _xy(model, opt, images(seed), F.cross_entropy, sched=sched)
