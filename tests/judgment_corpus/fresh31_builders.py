"""Builders of the thirty-second held-out batch (``fresh31.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh31_models as M
from . import fresh31_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(310_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3100 + k)


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


def waves(seed: int, batch: int = 32, samples: int = 256, zeros_labels: bool = False) -> Callable[[int], Any]:
    """Sequences of 256 samples, each the sum of two sinusoids of its own frequencies (0.005 to 0.06 cycles a
    sample), phases and amplitudes (0.5 to 1) plus noise 0.1: ``(wave (b, 256), positive index per sequence)`` for
    CPC's InfoNCE; the positive of sequence ``i`` is column ``i`` of its score row. ``zeros_labels``: the index
    written ``torch.zeros(b)``, the labels of a MoCo-style loss whose positive is concatenated as column 0."""
    t = torch.arange(samples).float()

    def make(g: torch.Generator, _: int) -> Any:
        f = 0.005 + 0.055 * torch.rand(batch, 2, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 2, 1, generator=g)
        a = 0.5 + 0.5 * torch.rand(batch, 2, 1, generator=g)
        x = (a * torch.sin(2 * math.pi * f * t + ph)).sum(1) + 0.1 * torch.randn(batch, samples, generator=g)
        y = torch.zeros(batch, dtype=torch.long) if zeros_labels else torch.arange(batch)
        return x, y
    return _pool(seed, make)


def impressions(seed: int, batch: int = 256, log_counts: bool = False) -> Callable[[int], Any]:
    """ESMM's impressions: four categorical fields (user of 12, item of 12, category of 6, context of 4) and one
    count feature (the user's recent visits, Poisson 2, ``log1p``-transformed); a click with probability
    ``sigmoid(6 u.v + 0.5 (log1p(count) - 1))`` and, once clicked, a conversion with ``sigmoid(6 u'.c + 2 s_ctx)``
    from fixed random vectors (``u, v`` of 4 over sqrt(4); about half the impressions click and half the clicks
    convert): ``((fields (b, 4), dense (b, 1)), (click, click and conversion))``. ``log_counts``: the count passed
    through ``log`` where ``log1p`` belongs (a zero count is -inf)."""
    fg = _fixed(2)
    u, v = torch.randn(12, 4, generator=fg) / 2, torch.randn(12, 4, generator=fg) / 2
    u2, c2 = torch.randn(12, 4, generator=fg) / 2, torch.randn(6, 4, generator=fg) / 2
    s_ctx = torch.randn(4, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        cats = torch.stack([torch.randint(0, n, (batch,), generator=g) for n in (12, 12, 6, 4)], 1)
        count = torch.poisson(torch.full((batch,), 2.0), generator=g)
        lc = torch.log1p(count)
        p_click = torch.sigmoid(6 * (u[cats[:, 0]] * v[cats[:, 1]]).sum(1) + 0.5 * (lc - 1))
        p_conv = torch.sigmoid(6 * (u2[cats[:, 0]] * c2[cats[:, 2]]).sum(1) + 2 * s_ctx[cats[:, 3]])
        click = (torch.rand(batch, generator=g) < p_click).float()
        conv = click * (torch.rand(batch, generator=g) < p_conv).float()
        dense = (torch.log(count) if log_counts else lc)[:, None]
        return (cats, dense), torch.stack([click, conv], 1)
    return _pool(seed, make)


def binary_patterns(seed: int, batch: int = 64, dim: int = 64) -> Callable[[int], Any]:
    """Binary vectors of 64 from eight fixed random prototypes with 5% of the bits flipped (a binarised data set
    with a few modes): ``(x, x)``."""
    protos = (torch.rand(8, dim, generator=_fixed(3)) < 0.5).float()

    def make(g: torch.Generator, _: int) -> Any:
        x = protos[torch.randint(0, 8, (batch,), generator=g)]
        flip = (torch.rand(batch, dim, generator=g) < 0.05).float()
        x = (x + flip) % 2
        return x, x
    return _pool(seed, make)


def distorted_digits(seed: int, batch: int = 32, size: int = 28, shuffle_labels: bool = False
                     ) -> Callable[[int], Any]:
    """Grey 28x28 images of ten fixed smooth class templates (a blob-like "digit" in the central 14x14, black
    around it), each rotated by up to 45 degrees, scaled by 0.8 to 1.2 and shifted by up to 5 pixels (the paper's
    "RTS" distortion), plus noise 0.2: ``(image (b, 1, 28, 28), class)``. ``shuffle_labels``: the labels permuted
    against the images."""
    core = _smooth(_fixed(4), 10, 1, 4, 14)
    templates = F.pad(core / core.flatten(1).std(1)[:, None, None, None], (7, 7, 7, 7))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        ang = (torch.rand(batch, generator=g) * 2 - 1) * math.pi / 4
        sc = 0.8 + 0.4 * torch.rand(batch, generator=g)
        sh = (torch.rand(batch, 2, generator=g) * 2 - 1) * 10 / size
        theta = torch.stack([torch.stack([ang.cos() / sc, -ang.sin() / sc, sh[:, 0]], 1),
                             torch.stack([ang.sin() / sc, ang.cos() / sc, sh[:, 1]], 1)], 1)
        grid = F.affine_grid(theta, [batch, 1, size, size], align_corners=False)
        x = F.grid_sample(templates[y], grid, align_corners=False) + 0.2 * torch.randn(batch, 1, size, size,
                                                                                      generator=g)
        if shuffle_labels:
            y = y[torch.randperm(batch, generator=g)]
        return x, y
    return _pool(seed, make)


def keypoint_images(seed: int, batch: int = 16, size: int = 32, k: int = 4, sum_normalised: bool = False
                    ) -> Callable[[int], Any]:
    """Pose-like images: four keypoints, each a fixed 5x5 colour patch, pasted at random places on a smooth
    background plus noise 0.2, then the whole image shifted by up to 6 pixels (zero-filled; the augmentation can
    push a keypoint out of view); targets are 16x16 heatmaps with a Gaussian of std 1 (peak 1) at each keypoint still
    in view, an empty map for one out of view: ``(image (b, 3, 32, 32), heatmaps (b, 4, 16, 16))``.
    ``sum_normalised``: every map divided by its sum (a probability map), the empty ones included."""
    patches = 2.0 * torch.randn(k, 3, 5, 5, generator=_fixed(5))
    yy, xx = torch.meshgrid(torch.arange(16).float(), torch.arange(16).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        img = 0.5 * _smooth(g, batch, 3, 4, size) + 0.2 * torch.randn(batch, 3, size, size, generator=g)
        pos = torch.randint(2, size - 3, (batch, k, 2), generator=g)
        shift = torch.randint(-6, 7, (batch, 2), generator=g)
        heat = torch.zeros(batch, k, 16, 16)
        out = torch.zeros_like(img)
        for i in range(batch):
            for j in range(k):
                r, c = pos[i, j].tolist()
                img[i, :, r - 2:r + 3, c - 2:c + 3] = patches[j]
            dy, dx = shift[i].tolist()
            src = img[i, :, max(0, -dy):size - max(0, dy), max(0, -dx):size - max(0, dx)]
            out[i, :, max(0, dy):max(0, dy) + src.shape[1], max(0, dx):max(0, dx) + src.shape[2]] = src
            for j in range(k):
                r, c = pos[i, j, 0] + dy, pos[i, j, 1] + dx
                if 0 <= r < size and 0 <= c < size:
                    heat[i, j] = torch.exp(-((yy - r / 2) ** 2 + (xx - c / 2) ** 2) / 2)
        if sum_normalised:
            heat = heat / heat.sum((2, 3), keepdim=True)
        return out, heat
    return _pool(seed, make)


def images(seed: int, batch: int = 32, size: int = 16) -> Callable[[int], Any]:
    """Class-template images (10 classes, 3x16x16, a fixed smooth template each) plus noise 0.7."""
    templates = _smooth(_fixed(6), 10, 3, 4, size)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return templates[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 32, classes: int = 5) -> Callable[[int], Any]:
    """Segmentation scenes: each 32x32 image cut into regions by the nearest of 4 random seed points, each region a
    random one of five classes painted in its class colour plus noise 0.8: ``(image (b, 3, 32, 32), label map)``."""
    colours = torch.randn(classes, 3, generator=_fixed(7))
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        pts = size * torch.rand(batch, 4, 2, generator=g)
        d = (yy[None, None] - pts[..., 0, None, None]) ** 2 + (xx[None, None] - pts[..., 1, None, None]) ** 2
        region = d.argmin(1)  # (b, 32, 32)
        cls = torch.randint(0, classes, (batch, 4), generator=g)
        label = cls.gather(1, region.flatten(1)).view(batch, size, size)
        x = colours[label].permute(0, 3, 1, 2) + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, label
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def info_nce(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CPC's InfoNCE: cross-entropy of each context's scores over the batch's future frames, the positive at
    ``y``, averaged over the steps ahead and the time steps."""
    k, t, b, _ = scores.shape
    return F.cross_entropy(scores.reshape(-1, b), y.repeat(k * t))


def esmm_loss(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """ESMM's loss over the entire space: ``BCE(pCTR, click) + BCE(pCTCVR, click and conversion)``."""
    p_ctr, p_ctcvr = out
    return F.binary_cross_entropy(p_ctr, y[:, 0]) + F.binary_cross_entropy(p_ctcvr, y[:, 1])


def iwae_loss(bound: torch.Tensor, _: torch.Tensor) -> torch.Tensor:
    """The negative IWAE bound, averaged over the batch (nats per example)."""
    return -bound.mean()


def heatmap_loss(preds: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
    """The stacked hourglass' MSE on every stack's heatmaps (intermediate supervision), summed over the stacks."""
    return sum(F.mse_loss(p, heat) for p in preds)


# ---- builders --------------------------------------------------------------------------------------------------------

def reformer(seed: int, lr: float = 1e-3, init_std: float | None = None) -> Setup:
    """The Reformer LM on the Markov language (batch 16 of 32 tokens), cross-entropy, Adam lr 1e-3; ``init_std``:
    every weight matrix and embedding drawn N(0, init_std^2) in place of N(0, 0.02^2)."""
    torch.manual_seed(seed)
    model = M.Reformer()
    if init_std is not None:
        for p in model.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), lm(seed), lm_loss)


def cpc(seed: int, lr: float = 2e-4, zeros_labels: bool = False, recurrent_std: float | None = None) -> Setup:
    """CPC on the waves (batch 32), InfoNCE over the batch, Adam at the paper's lr 2e-4; ``zeros_labels``: see
    :func:`waves`; ``recurrent_std``: see :class:`~.fresh31_models.CPC`."""
    torch.manual_seed(seed)
    model = M.CPC(recurrent_std=recurrent_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), waves(seed, zeros_labels=zeros_labels), info_nce)


def esmm(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, tanh_depth: int = 0, log_counts: bool = False
         ) -> Setup:
    """ESMM on the impressions (batch 256), its two BCE losses, Adam lr 1e-3; ``tanh_depth``: see
    :class:`~.fresh31_models.ESMM`; ``log_counts``: see :func:`impressions`."""
    torch.manual_seed(seed)
    model = M.ESMM(tanh_depth=tanh_depth)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, impressions(seed, log_counts=log_counts), esmm_loss)


def iwae(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, depth: int = 2) -> Setup:
    """The IWAE (k = 5) on the binary patterns (batch 64), the negative bound, Adam at the paper's lr 1e-3, betas
    (0.9, 0.999) and eps 1e-4; ``depth``: see :class:`~.fresh31_models.IWAE`."""
    torch.manual_seed(seed)
    model = M.IWAE(depth=depth)
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-4, weight_decay=weight_decay)
    return _xy(model, opt, binary_patterns(seed), iwae_loss)


def stn(seed: int, lr: float = 0.01, weight_decay: float = 0.0, relu_bias: float | None = None,
        shuffle_labels: bool = False) -> Setup:
    """The spatial transformer network on the distorted digits (batch 32), cross-entropy, SGD lr 0.01 momentum 0.9;
    ``relu_bias``: every bias before a ReLU (the localisation net's two convolutions and hidden layer, the
    classifier's two convolutions and hidden layer) set to it; ``shuffle_labels``: see :func:`distorted_digits`."""
    torch.manual_seed(seed)
    model = M2.STN()
    if relu_bias is not None:
        with torch.no_grad():
            for m in (model.loc[0], model.loc[3], model.fc_loc[0], model.conv1, model.conv2, model.fc1):
                m.bias.fill_(relu_bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, distorted_digits(seed, shuffle_labels=shuffle_labels), F.cross_entropy)


def hourglass(seed: int, lr: float = 2.5e-4, sum_normalised: bool = False) -> Setup:
    """The stacked hourglass on the keypoint images (batch 16), MSE on both stacks' heatmaps, RMSprop at the paper's
    lr 2.5e-4; ``sum_normalised``: see :func:`keypoint_images`."""
    torch.manual_seed(seed)
    model = M2.StackedHourglass()
    opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    return _xy(model, opt, keypoint_images(seed, sum_normalised=sum_normalised), heatmap_loss)


def octresnet(seed: int, lr: float = 0.1 * 32 / 256, stale_optimizer: bool = False) -> Setup:
    """The Oct-ResNet on template images (batch 32), cross-entropy, SGD momentum 0.9 weight decay 1e-4 at lr 0.1
    per 256 images (0.0125) with cosine decay over the 200 steps. ``stale_optimizer``: the optimizer and scheduler
    built, then the model replaced by a copy (a whole pickled model restored with ``model = torch.load(path)``
    after the optimizer was made): the optimizer holds the old model's parameters and the trained model's are never
    stepped."""
    torch.manual_seed(seed)
    model = M2.OctResNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200)
    if stale_optimizer:
        model = copy.deepcopy(model)
    return _xy(model, opt, images(seed), F.cross_entropy, sched=sched)


def pspnet(seed: int, lr: float = 0.01) -> Setup:
    """PSPNet on the scenes (batch 16), per-pixel cross-entropy, the paper's SGD lr 0.01 momentum 0.9 weight decay
    1e-4 with the "poly" decay (power 0.9) over the 200 steps."""
    torch.manual_seed(seed)
    model = M2.PSPNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=200, power=0.9)
    return _xy(model, opt, scenes(seed), F.cross_entropy, sched=sched)


def darknet(seed: int, lr: float = 0.1 * 32 / 128, bn: bool = True) -> Setup:
    """Darknet on template images (batch 32), cross-entropy, SGD momentum 0.9 weight decay 5e-4 at the reference
    config's lr 0.1 per 128 images (0.025); ``bn``: see :class:`~.fresh31_models2.Darknet`."""
    torch.manual_seed(seed)
    model = M2.Darknet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, images(seed), F.cross_entropy)
