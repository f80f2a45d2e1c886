"""Builders of the fifty-sixth held-out batch (``fresh55.py``): standard models new to the corpus at their usual
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

from . import fresh55_models as M
from . import fresh55_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(550_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5500 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- SSD: default boxes, matching, MultiBox loss ---------------------------------------------------------------------

def default_boxes() -> torch.Tensor:
    """SSD's default boxes ``(cx, cy, w, h)`` in [0, 1]: the 8x8 source at scale 0.2 and the 4x4 one at 0.45, two
    square boxes a cell (``s_k`` and ``sqrt(s_k s_{k+1})``, with ``s_3 = 0.7``)."""
    out = []
    for n, s, s_next in ((8, 0.2, 0.45), (4, 0.45, 0.7)):
        for i in range(n):
            for j in range(n):
                for size in (s, math.sqrt(s * s_next)):
                    out.append([(j + 0.5) / n, (i + 0.5) / n, size, size])
    return torch.tensor(out)


def _iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of corner boxes ``a (n, 4)`` and ``b (m, 4)``."""
    lt, rb = torch.max(a[:, None, :2], b[None, :, :2]), torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area = lambda x: (x[:, 2:] - x[:, :2]).prod(-1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter)


def match(gt: torch.Tensor, labels: torch.Tensor, priors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """ssd.pytorch's ``match``: every default box takes the ground-truth box of highest IoU (background below 0.5),
    every ground-truth box its best default box; the offsets encoded with the variances 0.1 and 0.2, the sizes as
    ``log(g_wh / d_wh) / 0.2``."""
    corners = torch.cat([priors[:, :2] - priors[:, 2:] / 2, priors[:, :2] + priors[:, 2:] / 2], 1)
    iou = _iou(gt, corners)
    best_prior = iou.argmax(1)
    best_iou, best_gt = iou.max(0)
    best_iou[best_prior] = 2.0
    for j, p in enumerate(best_prior.tolist()):
        best_gt[p] = j
    g = gt[best_gt]
    conf = torch.where(best_iou < 0.5, torch.zeros_like(best_gt), labels[best_gt])
    cxcy = ((g[:, :2] + g[:, 2:]) / 2 - priors[:, :2]) / (0.1 * priors[:, 2:])
    wh = torch.log((g[:, 2:] - g[:, :2]) / priors[:, 2:]) / 0.2
    return torch.cat([cxcy, wh], 1), conf


def detection_images(seed: int, batch: int = 16, size: int = 32, degenerate: bool = False) -> Callable[[int], Any]:
    """Images of 3x32x32 (N(0, 0.3^2) noise) holding one or two axis-aligned squares (side 0.2 to 0.5 of the image)
    of class 1 (red: +1 on channel 0) or 2 (green: +1 on channel 1), with their SSD targets precomputed:
    ``(images, (loc targets (b, 160, 4), class targets (b, 160)))``. ``degenerate``: every image's annotations also
    hold a zero-area box (a point clicked in the annotation tool, ``x1 == x2``), kept by the loader."""
    priors = default_boxes()

    def make(g: torch.Generator, _: int) -> Any:
        x = 0.3 * torch.randn(batch, 3, size, size, generator=g)
        locs, confs = [], []
        for i in range(batch):
            boxes, labels = [], []
            for _ in range(1 + int(torch.randint(0, 2, (1,), generator=g))):
                side = 0.2 + 0.3 * float(torch.rand(1, generator=g))
                x1, y1 = (float(v) * (1 - side) for v in torch.rand(2, generator=g))
                c = 1 + int(torch.randint(0, 2, (1,), generator=g))
                px = [round(v * size) for v in (x1, y1, x1 + side, y1 + side)]
                x[i, c - 1, px[1]:px[3], px[0]:px[2]] += 1.0
                boxes.append([x1, y1, x1 + side, y1 + side])
                labels.append(c)
            if degenerate:
                cx, cy = (float(v) for v in torch.rand(2, generator=g))
                boxes.append([cx, cy, cx, cy + 0.1])
                labels.append(1)
            loc, conf = match(torch.tensor(boxes), torch.tensor(labels), priors)
            locs.append(loc)
            confs.append(conf)
        return x, (torch.stack(locs), torch.stack(confs))
    return _pool(seed, make)


def multibox_loss(out: tuple[torch.Tensor, torch.Tensor], target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """SSD's MultiBox loss: smooth L1 on the matched boxes' offsets plus the cross-entropy of the matched boxes and
    of the hardest negatives (3 per positive, by their background loss), both divided by the positives' count."""
    loc_p, conf_p = out
    loc_t, conf_t = target
    pos = conf_t > 0
    n = pos.sum().clamp(min=1)
    loss_l = F.smooth_l1_loss(loc_p[pos], loc_t[pos], reduction="sum")
    ce = F.cross_entropy(conf_p.reshape(-1, conf_p.shape[-1]), conf_t.reshape(-1), reduction="none").view_as(conf_t)
    mined = ce.detach().masked_fill(pos, 0.0)
    rank = mined.argsort(1, descending=True).argsort(1)
    neg = rank < (3 * pos.sum(1, keepdim=True)).clamp(max=pos.shape[1] - 1)
    return (loss_l + ce[pos | neg].sum()) / n


# ---- other data ------------------------------------------------------------------------------------------------------

def sr_pairs(seed: int, batch: int = 8, size: int = 16) -> Callable[[int], Any]:
    """Super-resolution pairs: high-resolution 3x16x16 images, smooth fields (bilinear from 6x6 noise) with a sharp
    step edge at a random position and angle, and their 2x2 average-pooled 8x8 versions: ``(lr, hr)``."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        hr = F.interpolate(torch.randn(batch, 3, 6, 6, generator=g), size=(size, size), mode="bilinear",
                           align_corners=False)
        ang = 2 * math.pi * torch.rand(batch, 1, 1, generator=g)
        off = torch.rand(batch, 1, 1, generator=g) - 0.5
        edge = ((xx * torch.cos(ang) + yy * torch.sin(ang)) > off).float()
        hr = hr + (torch.randn(batch, 3, 1, 1, generator=g)) * edge[:, None]
        return F.avg_pool2d(hr, 2), hr
    return _pool(seed, make)


def clips(seed: int, batch: int = 16, classes: int = 6, segments: int = 3, size: int = 16, shuffled: bool = False
          ) -> Callable[[int], Any]:
    """Video clips as TSN samples them, one frame from each of 3 segments (3x16x16): a fixed smooth template per
    class (6 classes) moving by a random shift of up to 3 pixels a frame, plus N(0, 0.8^2) noise:
    ``(clips (b, 3, 3, 16, 16), class)``. ``shuffled``: the labels permuted within every batch, apart from their
    clips."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        frames = []
        for s in range(segments):
            sh = torch.randint(-3, 4, (2,), generator=g) * s
            frames.append(torch.roll(templates[y], (int(sh[0]), int(sh[1])), (2, 3)))
        x = torch.stack(frames, 1) + 0.8 * torch.randn(batch, segments, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def _surface(kind: int, n: int, g: torch.Generator) -> torch.Tensor:
    """``n`` points on a unit sphere (0), cube (1), cylinder (2) or cone (3) surface."""
    if kind == 0:
        p = torch.randn(n, 3, generator=g)
        return p / p.norm(dim=1, keepdim=True)
    if kind == 1:
        p = 2 * torch.rand(n, 3, generator=g) - 1
        face = torch.randint(0, 3, (n,), generator=g)
        p[torch.arange(n), face] = torch.sign(torch.randn(n, generator=g))
        return p
    t = 2 * math.pi * torch.rand(n, generator=g)
    z = 2 * torch.rand(n, generator=g) - 1
    r = torch.ones(n) if kind == 2 else (1 - z) / 2
    return torch.stack([r * torch.cos(t), r * torch.sin(t), z], 1)


def point_clouds(seed: int, batch: int = 16, n: int = 128, classes: int = 4) -> Callable[[int], Any]:
    """Point clouds of 128 points on a sphere, a cube, a cylinder or a cone (the class), each axis scaled by 0.7 to
    1.3, rotated about z, plus N(0, 0.02^2) jitter: ``(points (b, 128, 3), class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        clouds = []
        for k in y.tolist():
            p = _surface(k, n, g) * (0.7 + 0.6 * torch.rand(3, generator=g))
            a = 2 * math.pi * float(torch.rand(1, generator=g))
            rot = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
            clouds.append(p @ rot.T + 0.02 * torch.randn(n, 3, generator=g))
        return torch.stack(clouds), y
    return _pool(seed, make)


def ellipsoids(seed: int, batch: int = 16, n: int = 128) -> Callable[[int], Any]:
    """Surfaces to auto-encode: 128 points on an ellipsoid with semi-axes drawn in [0.3, 0.8], rotated about z:
    ``(points, points)``."""
    def make(g: torch.Generator, _: int) -> Any:
        clouds = []
        for _ in range(batch):
            p = _surface(0, n, g) * (0.3 + 0.5 * torch.rand(3, generator=g))
            a = 2 * math.pi * float(torch.rand(1, generator=g))
            rot = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
            clouds.append(p @ rot.T)
        x = torch.stack(clouds)
        return x, x
    return _pool(seed, make)


def window_sentences(seed: int, batch: int = 32, length: int = 20, vocab: int = 100, tags: int = 5,
                     ) -> Callable[[int], Any]:
    """Sentences of 20 word ids in 1..100 with their tags: the tag of a word is its class ``w % 5``, moved on by one
    when the next word is above 50 (the padding id 0 after the last word is not), a tag that needs the window; the
    inputs are padded with two padding ids at each end: ``(padded words (b, 24), tags (b, 20))``."""
    def make(g: torch.Generator, _: int) -> Any:
        w = torch.randint(1, vocab + 1, (batch, length), generator=g)
        nxt = torch.cat([w[:, 1:], torch.zeros(batch, 1, dtype=torch.long)], 1)
        return F.pad(w, (2, 2)), (w + (nxt > vocab // 2).long()) % tags
    return _pool(seed, make)


def translations(seed: int, batch: int = 32, length: int = 10, vocab: int = 24) -> Callable[[int], Any]:
    """A translation-like task: source sentences of 10 ids in 3..23, the target the source's words mapped by a fixed
    permutation and in reverse order; the decoder reads the BOS id 1 and the target shifted:
    ``((source, decoder input), target)``."""
    perm = torch.arange(vocab)
    perm[3:] = 3 + torch.randperm(vocab - 3, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        src = torch.randint(3, vocab, (batch, length), generator=g)
        tgt = perm[src].flip(1)
        return (src, torch.cat([torch.ones(batch, 1, dtype=torch.long), tgt[:, :-1]], 1)), tgt
    return _pool(seed, make)


def moded_sentences(seed: int, batch: int = 32, length: int = 16, vocab: int = 80, tags: int = 12,
                    mispaired: bool = False) -> Callable[[int], Any]:
    """Tagging with a sentence-level mode: the first id of a sentence is its mode (ids 2..13), the 15 words after it
    ids 14..79 drawn by a Zipf law (probability ``1 / rank``); a word's tag is ``((w - 14) % 12 + mode) % 12`` (the
    mode must be carried along the sentence), its auxiliary label its frequency class (rank below 8 or not):
    ``(ids (b, 16), (tags (b, 15), aux labels (b, 15)))``. ``mispaired``: each sentence's label rows are the next
    sentence's of the batch (the tag file read one sentence out of step with the text)."""
    first = 2 + tags
    ranks = torch.arange(1, vocab - first + 1).float()

    def make(g: torch.Generator, _: int) -> Any:
        mode = torch.randint(0, tags, (batch, 1), generator=g)
        r = torch.multinomial(1 / ranks, batch * (length - 1), replacement=True, generator=g).view(batch, -1)
        x = torch.cat([mode + 2, r + first], 1)
        t, a = (r % tags + mode) % tags, (r >= 7).long()
        return x, ((t.roll(1, 0), a.roll(1, 0)) if mispaired else (t, a))
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def chamfer(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The Chamfer distance (AtlasNet's loss): the mean squared distance from each point to the nearest point of the
    other set, both ways."""
    d2 = ((pred[:, :, None] - target[:, None]) ** 2).sum(-1)
    return d2.min(2).values.mean() + d2.min(1).values.mean()


def tagging_loss(out: torch.Tensor, y: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The tagger's loss: the tags' cross-entropy plus the auxiliary log-frequency classes' (bilty's), summed over
    the words after the mode token (bilty's per-sentence loss), averaged over the sentences."""
    tags, aux = y
    n = 12
    h = out[:, 1:]
    return (F.cross_entropy(h[..., :n].reshape(-1, n), tags.reshape(-1), reduction="sum") + F.cross_entropy(
        h[..., n:].reshape(-1, h.shape[-1] - n), aux.reshape(-1), reduction="sum")) / out.shape[0]


def sentence_ce(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The word-level log-likelihood summed over each sentence's words, averaged over the sentences."""
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1), reduction="sum") / out.shape[0]


def token_ce(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


# ---- builders --------------------------------------------------------------------------------------------------------

def ssd(seed: int, lr: float = 1e-3, act: str = "relu", prior_bias_everywhere: bool = False,
        degenerate: bool = False, l2_reset: bool = False) -> Setup:
    """SSD on the square-detection images (batch 16), the MultiBox loss, SGD at the paper's lr 1e-3, momentum 0.9,
    weight decay 5e-4; ``act``: ``"relu"`` or ``"sigmoid"``; ``prior_bias_everywhere``, ``l2_reset``: see
    :class:`~.fresh55_models.SSD`;
    ``degenerate``: see :func:`detection_images`."""
    torch.manual_seed(seed)
    model = M.SSD(act=nn.Sigmoid if act == "sigmoid" else nn.ReLU, prior_bias_everywhere=prior_bias_everywhere,
                  l2_reset=l2_reset)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, detection_images(seed, degenerate=degenerate), multibox_loss)


def esrgan(seed: int, lr: float = 2e-4, reinit: bool = False, blocks: int = 2) -> Setup:
    """ESRGAN's RRDBNet on the x2 super-resolution pairs (batch 8), the L1 loss, Adam at the PSNR-oriented stage's lr
    2e-4 with betas (0.9, 0.99) (the paper's); ``reinit``, ``blocks``: see :class:`~.fresh55_models.RRDBNet`."""
    torch.manual_seed(seed)
    model = M.RRDBNet(blocks=blocks, reinit=reinit)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99))
    return _xy(model, opt, sr_pairs(seed), F.l1_loss)


def tsn(seed: int, lr: float = 1e-3, bn: bool = True, shuffled: bool = False, weight_decay: float = 5e-4,
        bn_shift: float = 0.0) -> Setup:
    """TSN on the clips (batch 16, 3 segments), cross-entropy, SGD at the paper's RGB lr 1e-3, momentum 0.9, weight
    decay 5e-4 (``weight_decay``); ``bn``, ``bn_shift``: see :class:`~.fresh55_models.TSN`; ``shuffled``: see
    :func:`clips`."""
    torch.manual_seed(seed)
    model = M.TSN(bn=bn, bn_shift=bn_shift)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, clips(seed, shuffled=shuffled), F.cross_entropy)


def pointconv(seed: int, lr: float = 1e-3, weight_decay: float = 1e-4, deep_head: int = 0) -> Setup:
    """PointConv on the shape clouds (batch 16), cross-entropy, Adam at the reference code's lr 1e-3 and weight
    decay 1e-4; ``deep_head``: see :class:`~.fresh55_models.PointConvNet`."""
    torch.manual_seed(seed)
    model = M.PointConvNet(deep_head=deep_head)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, point_clouds(seed), F.cross_entropy)


def atlasnet(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """AtlasNet auto-encoding the ellipsoids (batch 16), the Chamfer distance, Adam at the paper's lr 1e-3;
    ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.AtlasNet()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, ellipsoids(seed), chamfer)


def senna(seed: int, lr: float = 0.01, layers: int = 1, init_std: float | None = None, fan_in_words: bool = False,
          weight_decay: float = 0.0) -> Setup:
    """SENNA's window tagger on the window sentences (batch 32 of 20 words), the word-level log-likelihood
    (cross-entropy) summed over each sentence's words (the paper's per-word stochastic updates), averaged over the
    sentences, plain SGD at the paper's lr 0.01; ``layers``, ``init_std``, ``fan_in_words``: see
    :class:`~.fresh55_models2.WindowTagger`; ``weight_decay``: SGD's."""
    torch.manual_seed(seed)
    model = M2.WindowTagger(layers=layers, init_std=init_std, fan_in_words=fan_in_words)
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, window_sentences(seed), sentence_ce)


def tfixup(seed: int, lr: float = 5e-4, scaled: bool = True, reinit_std: float | None = None) -> Setup:
    """The T-Fixup Transformer on the translation task (batch 32 of 10 words), token cross-entropy, Adam at the
    paper's lr 5e-4 with betas (0.9, 0.98) and no warm-up (T-Fixup's point); ``scaled``, ``reinit_std``: see
    :class:`~.fresh55_models2.TFixupTransformer` (``tfixup``, ``reinit_std``)."""
    torch.manual_seed(seed)
    model = M2.TFixupTransformer(tfixup=scaled, reinit_std=reinit_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    return _xy(model, opt, translations(seed), token_ce)


def bilty(seed: int, lr: float = 0.01, forget_bias: float | None = None, mispaired: bool = False) -> Setup:
    """The bi-LSTM tagger with its auxiliary loss on the moded sentences (batch 32 of 16), Adam (bilty's ``--trainer
    adam``) at lr 0.01 (set here: bilty's default SGD at 0.1 did not carry the mode in 200 steps); ``forget_bias``:
    see :class:`~.fresh55_models2.AuxBiLSTMTagger`; ``mispaired``: see :func:`moded_sentences`."""
    torch.manual_seed(seed)
    model = M2.AuxBiLSTMTagger(forget_bias=forget_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), moded_sentences(seed, mispaired=mispaired),
               tagging_loss)
