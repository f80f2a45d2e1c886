"""Builders of the thirty-eighth held-out batch (``fresh37.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh37_models as M
from . import fresh37_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(370_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3700 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 16, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def regions(seed: int, batch: int = 16, size: int = 16, classes: int = 3, shuffled: bool = False
            ) -> Callable[[int], Any]:
    """Segmentation scenes: the class map is the argmax of three smooth random fields (2x2 upsampled to 16x16, so
    the regions are large and the classes balanced), each pixel painted its class's fixed colour plus N(0, 0.5^2) noise:
    ``(images (b, 3, 16, 16), class map (b, 16, 16))``. ``shuffled``: the class maps permuted within every batch,
    apart from their images."""
    colours = torch.randn(classes, 3, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        fields = F.interpolate(torch.randn(batch, classes, 2, 2, generator=g), size=(size, size), mode="bilinear",
                               align_corners=False)
        y = fields.argmax(1)
        x = colours[y].permute(0, 3, 1, 2) + 0.5 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 32, classes: int = 3, degenerate: bool = False
           ) -> Callable[[int], Any]:
    """Detection scenes: one to three squares (sides 5 to 10 pixels, each a class's fixed colour) on N(0, 0.5^2)
    noise; the targets are the boxes ``(x1, y1, x2, y2)`` and classes padded to three with class -1:
    ``(images (b, 3, 32, 32), (boxes (b, 3, 4), classes (b, 3)))``. ``degenerate``: every image's last object is
    annotated as a point (``x2 = x1``, ``y2 = y1``, a click-style label kept in the set)."""
    colours = 2.0 * torch.eye(3)[:classes]

    def make(g: torch.Generator, _: int) -> Any:
        x = 0.5 * torch.randn(batch, 3, size, size, generator=g)
        boxes = torch.zeros(batch, 3, 4)
        cls = torch.full((batch, 3), -1)
        for i in range(batch):
            n = int(torch.randint(1, 4, (1,), generator=g))
            for j in range(n):
                s = int(torch.randint(5, 11, (1,), generator=g))
                x1, y1 = (int(v) for v in torch.randint(0, size - s + 1, (2,), generator=g))
                c = int(torch.randint(0, classes, (1,), generator=g))
                x[i, :, y1:y1 + s, x1:x1 + s] += colours[c][:, None, None]
                boxes[i, j] = torch.tensor([x1, y1, x1 + s, y1 + s], dtype=torch.float32)
                cls[i, j] = c
            if degenerate:
                boxes[i, n - 1, 2:] = boxes[i, n - 1, :2]
        return x, (boxes, cls)
    return _pool(seed, make)


def fields(seed: int, n: int = 64, size: int = 16) -> torch.Tensor:
    """GLO's training set: ``n`` one-channel 16x16 images in (-1, 1), each ``tanh(1.5 u)`` of a 4x4 N(0, 1) field
    ``u`` upsampled bilinearly (smooth random textures with 16 degrees of freedom)."""
    u = F.interpolate(torch.randn(n, 1, 4, 4, generator=_gen(seed)), size=(size, size), mode="bilinear",
                      align_corners=False)
    return torch.tanh(1.5 * u)


def sentences(seed: int, batch: int = 32, length: int = 20, vocab: int = 32, tags: int = 4, left_padded: bool = False
              ) -> Callable[[int], Any]:
    """Tagging sentences of 10 to 20 tokens (ids 1..31; 0 pads): a token's tag is ``2 (w_t % 2) + w_{t-1} % 2``
    (its own parity and its left neighbour's; the previous token 0 at the start), padded tags -100; tokens and tags
    both right-padded: ``(tokens (b, 20), tags (b, 20))``. ``left_padded``: the tokens padded on the left (a collate
    written for a causal LM, ``padding_side="left"``), while the tags stay right-padded: each sentence's tags sit
    ``20 - n`` positions before its tokens."""
    def make(g: torch.Generator, _: int) -> Any:
        n = torch.randint(10, length + 1, (batch,), generator=g)
        w = torch.randint(1, vocab, (batch, length), generator=g)
        prev = torch.cat([torch.zeros(batch, 1, dtype=torch.long), w[:, :-1]], 1)
        y = (w % 2) * 2 + prev % 2
        valid = torch.arange(length)[None] < n[:, None]
        tok, tag = torch.where(valid, w, 0), torch.where(valid, y, -100)
        if left_padded:
            tok = torch.stack([torch.roll(tok[i], int(length - n[i])) for i in range(batch)])
        return tok, tag
    return _pool(seed, make)


def reversals(seed: int, batch: int = 32, length: int = 10, vocab: int = 16) -> Callable[[int], Any]:
    """Sequence reversal: sources of 10 tokens (ids 2..15), targets the reversed source; the decoder reads the target
    shifted right behind the start token 1: ``((source, decoder input), target)``."""
    def make(g: torch.Generator, _: int) -> Any:
        src = torch.randint(2, vocab, (batch, length), generator=g)
        tgt = src.flip(1)
        dec = torch.cat([torch.ones(batch, 1, dtype=torch.long), tgt[:, :-1]], 1)
        return (src, dec), tgt
    return _pool(seed, make)


def marked_texts(seed: int, batch: int = 32, length: int = 16, vocab: int = 32, classes: int = 4
                 ) -> Callable[[int], Any]:
    """Texts of 16 tokens whose first token is their class's marker (ids 0..3), the other 15 uniform filler words
    (ids 4..31): ``(tokens, class)``; the class must be carried across 15 steps."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(classes, vocab, (batch, length), generator=g)
        y = torch.randint(0, classes, (batch,), generator=g)
        x[:, 0] = y
        return x, y
    return _pool(seed, make)


def table(seed: int, batch: int = 64, features: int = 16, classes: int = 4, constant_column: bool = False
          ) -> Callable[[int], Any]:
    """Tabular rows: 16 standardised N(0, 1) features labelled by the argmax of a fixed random two-layer tanh teacher
    (4 classes): ``(features, class)``. ``constant_column``: the raw table's last column is a constant 1 (a field
    that never varies in this extract), and every column is standardised per batch as ``(x - mean) / std`` without an
    eps (``0 / 0`` for that column)."""
    fg = _fixed(3)
    w1, w2 = torch.randn(features, 32, generator=fg), torch.randn(32, classes, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        y = (torch.tanh(x @ w1 / 2) @ w2).argmax(1)
        if constant_column:
            x[:, -1] = 1.0
            x = (x - x.mean(0)) / x.std(0)
        return x, y
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def _anchors(size: int = 32, stride: int = 4, side: float = 8.0) -> torch.Tensor:
    c = torch.arange(size // stride).float() * stride + stride / 2
    cy, cx = torch.meshgrid(c, c, indexing="ij")
    cx, cy = cx.reshape(-1), cy.reshape(-1)
    return torch.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], 1)


ANCHORS = _anchors()


def _iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    lt, rb = torch.maximum(a[:, None, :2], b[None, :, :2]), torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(2)
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter)


def retina_loss(out: tuple[torch.Tensor, torch.Tensor], target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """RetinaNet's loss: anchors matched at IoU >= 0.5 (positive), < 0.4 (negative), in between ignored, each object's
    best anchor kept positive (torchvision's ``allow_low_quality_matches``); the sigmoid focal loss (alpha 0.25,
    gamma 2) over every non-ignored anchor and class plus the L1 loss of the box deltas ``((x - x_a) / w_a, (y -
    y_a) / h_a, log(w / w_a), log(h / h_a))`` over the positives, both summed and divided by the number of positives
    (torchvision's)."""
    logits, deltas = out
    boxes, classes = target
    cls_loss, box_loss, positives = logits.new_zeros(()), logits.new_zeros(()), 0
    wa, ha = ANCHORS[:, 2] - ANCHORS[:, 0], ANCHORS[:, 3] - ANCHORS[:, 1]
    xa, ya = ANCHORS[:, 0] + wa / 2, ANCHORS[:, 1] + ha / 2
    for i in range(logits.shape[0]):
        keep = classes[i] >= 0
        b, c = boxes[i][keep], classes[i][keep]
        iou = _iou(ANCHORS, b)  # anchors, objects
        best, which = iou.max(1)
        label = torch.full((len(ANCHORS),), -1)
        label[best < 0.4] = 0
        pos = best >= 0.5
        pos[iou.argmax(0)] = True
        which[iou.argmax(0)] = torch.arange(len(b))
        t = torch.zeros_like(logits[i])
        t[pos, c[which[pos]]] = 1.0
        used = (best < 0.4) | pos
        cls_loss = cls_loss + torchvision_focal(logits[i][used], t[used]).sum()
        g = b[which[pos]]
        w, h = g[:, 2] - g[:, 0], g[:, 3] - g[:, 1]
        tgt = torch.stack([(g[:, 0] + w / 2 - xa[pos]) / wa[pos], (g[:, 1] + h / 2 - ya[pos]) / ha[pos],
                           torch.log(w / wa[pos]), torch.log(h / ha[pos])], 1)
        box_loss = box_loss + F.l1_loss(deltas[i][pos], tgt, reduction="sum")
        positives += int(pos.sum())
    return (cls_loss + box_loss) / max(1, positives)


def torchvision_focal(x: torch.Tensor, t: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> torch.Tensor:
    """``torchvision.ops.sigmoid_focal_loss`` (reduction none), written out."""
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    return (alpha * t + (1 - alpha) * (1 - t)) * ce * (1 - p_t) ** gamma


def _laplacian(x: torch.Tensor, levels: int = 3) -> list[torch.Tensor]:
    out = []
    for _ in range(levels - 1):
        low = F.avg_pool2d(x, 2)
        out.append(x - F.interpolate(low, scale_factor=2, mode="nearest"))
        x = low
    return [*out, x]


def lap1_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """GLO's Lap1 loss: ``sum_j 2^(-2j) |L^j(fake) - L^j(real)|_1`` over a three-level Laplacian pyramid (average
    pooling, nearest upsampling), averaged over the batch."""
    return sum(2.0 ** (-2 * j) * (a - b).abs().flatten(1).sum(1).mean()
               for j, (a, b) in enumerate(zip(_laplacian(fake), _laplacian(real), strict=True)))


def tag_loss(scores: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
    """The ID-CNN's loss: the token cross-entropy (padding ignored) averaged over the block's applications."""
    return torch.stack([F.cross_entropy(s.reshape(-1, s.shape[-1]), tags.reshape(-1), ignore_index=-100)
                        for s in scores]).mean()


def seq_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


# ---- builders --------------------------------------------------------------------------------------------------------

def dpn(seed: int, lr: float = 0.1, momentum: float = 0.9, weight_decay: float = 5e-4, bn: bool = True) -> Setup:
    """DPN on the class-template images (batch 16), cross-entropy, SGD at the ``pytorch-cifar`` reference's lr 0.1,
    momentum 0.9, weight decay 5e-4; ``bn``: see :class:`~.fresh37_models.DPN`."""
    torch.manual_seed(seed)
    model = M.DPN(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def erfnet(seed: int, shuffled: bool = False) -> Setup:
    """ERFNet on the segmentation scenes (batch 16), per-pixel cross-entropy, Adam at the reference code's lr 5e-4,
    betas (0.9, 0.999), eps 1e-8, weight decay 1e-4 (its poly schedule and class weights left out); ``shuffled``:
    see :func:`regions`."""
    torch.manual_seed(seed)
    model = M.ERFNet()
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-4)
    return _xy(model, opt, regions(seed, shuffled=shuffled), F.cross_entropy)


def retinanet(seed: int, lr: float = 0.01, degenerate: bool = False) -> Setup:
    """RetinaNet on the detection scenes (batch 16), the focal and box loss of :func:`retina_loss`, SGD at the paper's
    lr 0.01, momentum 0.9, weight decay 1e-4 (its warm-up and steps left out); ``degenerate``: see :func:`scenes`."""
    torch.manual_seed(seed)
    model = M.RetinaNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, scenes(seed, degenerate=degenerate), retina_loss)


def glo(seed: int, batch: int = 32) -> Setup:
    """GLO on the 64 images of :func:`fields` (batches of 32 indices and their images), the Lap1 loss, Adam lr 1e-3
    for the generator and the codes alike (set here; the paper uses SGD)."""
    torch.manual_seed(seed)
    data = fields(seed)
    model = M.GLO(n=len(data))

    def make(g: torch.Generator, _: int) -> Any:
        idx = torch.randperm(len(data), generator=g)[:batch]
        return idx, data[idx]
    return _xy(model, torch.optim.Adam(model.parameters(), lr=1e-3), _pool(seed, make), lap1_loss)


def convs2s(seed: int, value_clip: bool = False, per_token: bool = False) -> Setup:
    """ConvS2S on sequence reversal (batch 32 of 10 tokens), token cross-entropy, fairseq's Nesterov SGD at the
    paper's lr 0.25, momentum 0.99, the gradients clipped to norm 0.1 (``clip_grad_norm_``).
    ``value_clip``: ``clip_grad_value_(model.parameters(), 0.1)`` written for ``clip_grad_norm_(model.parameters(),
    0.1)`` (every gradient entry clamped to [-0.1, 0.1] instead of the whole gradient scaled to norm 0.1: the
    gradient's norm stays up to 0.1 sqrt(n) for n weights; done here by a clamp hook on every parameter, which is
    what the call does between ``backward`` and ``step``); ``per_token``: the loss divided by the number of target
    tokens, fairseq's normalisation of a summed loss, applied to ``F.cross_entropy``'s mean (every gradient 320
    times too small)."""
    torch.manual_seed(seed)
    model = M2.ConvS2S()
    opt = torch.optim.SGD(model.parameters(), lr=0.25, momentum=0.99, nesterov=True)
    if value_clip:
        for p in model.parameters():
            p.register_hook(lambda g: g.clamp(-0.1, 0.1))
    loss = (lambda out, t: seq_loss(out, t) / t.numel()) if per_token else seq_loss
    return _xy(model, opt, reversals(seed), loss, clip=None if value_clip else 0.1)


def idcnn(seed: int, left_padded: bool = False, init_std: float | None = None, weight_decay: float = 0.0) -> Setup:
    """The ID-CNN on the tagging sentences (batch 32), :func:`tag_loss`, Adam at the reference code's lr 5e-4, beta2
    0.9, eps 1e-6; ``init_std``: see :class:`~.fresh37_models2.IDCNN`; ``left_padded``: see :func:`sentences`;
    ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.IDCNN(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.9), eps=1e-6, weight_decay=weight_decay)
    return _xy(model, opt, sentences(seed, left_padded=left_padded), tag_loss)


def ran(seed: int, lr: float = 0.01, forget_bias: float = 0.0, weight_decay: float = 0.0) -> Setup:
    """The RAN on the marked texts (batch 32 of 16), cross-entropy, Adam lr 0.01 (set here); ``forget_bias``: see
    :class:`~.fresh37_models2.RAN`; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.RAN(forget_bias=forget_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, marked_texts(seed), F.cross_entropy)


def ndf(seed: int, hidden_layers: int = 1, relu_bias: float | None = None, constant_column: bool = False) -> Setup:
    """The neural decision forest on the table (batch 64), the negative log-likelihood of the forest's prediction,
    Adam lr 0.01 (set here); ``hidden_layers``, ``relu_bias``: see :class:`~.fresh37_models2.NeuralDecisionForest`;
    ``constant_column``: see :func:`table`."""
    torch.manual_seed(seed)
    model = M2.NeuralDecisionForest(hidden_layers=hidden_layers, relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=0.01), table(seed, constant_column=constant_column),
               F.nll_loss)
