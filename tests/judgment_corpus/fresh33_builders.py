"""Builders of the thirty-fourth held-out batch (``fresh33.py``): standard models new to the corpus at their usual
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

from . import fresh33_models as M
from . import fresh33_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(330_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3300 + k)


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


def _adam(model: nn.Module, lr: float, weight_decay: float = 0.0,
          betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.Adam:
    return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, betas=betas)


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


def characters(seed: int, batch: int = 32, length: int = 64, vocab: int = 32, classes: int = 4
               ) -> Callable[[int], Any]:
    """Character sequences (64 of 32 symbols) labelled by their most frequent symbol class (``symbol % 4``), the
    majority class drawn first and its symbols made 1.5 times as likely: ``(ids (b, 64), class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        w = torch.ones(batch, vocab)
        w[(torch.arange(vocab)[None] % classes) == y[:, None]] = 1.5
        return torch.multinomial(w, length, replacement=True, generator=g), y
    return _pool(seed, make)


def behaviours(seed: int, batch: int = 64, length: int = 20, items: int = 100, cats: int = 10
               ) -> Callable[[int], Any]:
    """User behaviour histories whose interest evolves: the interest starts at a random category and moves to the next
    one with probability 0.15 per step; each behaviour is an item of the current interest's category with probability
    0.8, else a random item (category = item % 10). The candidate is an item of the last interest's category (a click,
    label 1) or of another category (label 0), half each: ``((history (b, 20), candidate (b,)), label)``."""
    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randint(0, cats, (batch,), generator=g)
        hist = torch.empty(batch, length, dtype=torch.long)
        for t in range(length):
            c = torch.where(torch.rand(batch, generator=g) < 0.15, (c + 1) % cats, c)
            own = c + cats * torch.randint(0, items // cats, (batch,), generator=g)
            hist[:, t] = torch.where(torch.rand(batch, generator=g) < 0.8, own,
                                     torch.randint(0, items, (batch,), generator=g))
        y = (torch.rand(batch, generator=g) < 0.5).long()
        other = (c + torch.randint(1, cats, (batch,), generator=g)) % cats
        cand = torch.where(y == 1, c, other) + cats * torch.randint(0, items // cats, (batch,), generator=g)
        return (hist, cand), y
    return _pool(seed, make)


def two_tasks(seed: int, batch: int = 64, d: int = 32) -> Callable[[int], Any]:
    """Two related binary tasks on Gaussian vectors: task 1 is ``x . w1 > 0``; task 2 is ``|x . w2| > 0.674 |w2|``
    (balanced) with ``w2 = 0.6 w1 + 0.8 w'``: ``(x (b, 32), labels (b, 2))``."""
    fg = _fixed(2)
    w1, wi = torch.randn(d, generator=fg), torch.randn(d, generator=fg)
    w2 = 0.6 * w1 + 0.8 * wi

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, d, generator=g)
        y = torch.stack([x @ w1 > 0, (x @ w2).abs() > 0.674 * w2.norm()], 1).float()
        return x, y
    return _pool(seed, make)


def graph(seed: int, n: int = 200, classes: int = 4, d: int = 16) -> Callable[[int], Any]:
    """A stochastic block model (200 nodes in 4 classes, edge probabilities 0.08 within and 0.005 across classes),
    node features a class mean (N(0, 0.5^2) per class) plus unit noise, half the nodes labelled for training; the
    adjacency normalised ``D^-1/2 (A + I) D^-1/2``. Every step is the whole graph: ``((x, adj, train mask),
    training labels)``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.arange(n) % classes
        p = torch.where(y[:, None] == y[None], 0.08, 0.005)
        a = (torch.rand(n, n, generator=g) < p).float().triu(1)
        a = a + a.T + torch.eye(n)
        dinv = a.sum(1).rsqrt()
        adj = dinv[:, None] * a * dinv[None]
        x = 0.5 * torch.randn(classes, d, generator=g)[y] + torch.randn(n, d, generator=g)
        train = torch.rand(n, generator=g) < 0.5
        return (x, adj, train), y[train]
    return _pool(seed, make, size=1)


def pixels(seed: int, batch: int = 256, size: int = 32, pixel_units: bool = False) -> Callable[[int], Any]:
    """Image fitting: one fixed smooth RGB image of 32x32 per seed (components at 4x4 and 8x8); each batch 256
    random pixels: ``(coordinates in [-1, 1]^2 (b, 2), colours (b, 3))``. ``pixel_units``: the coordinates given as
    raw pixel indices 0..31, the scaling to [-1, 1] left out."""
    g0 = _gen(seed + 1000)
    img = (_smooth(g0, 1, 3, 4, size) + 0.5 * _smooth(g0, 1, 3, 8, size))[0]
    lin = torch.arange(size).float() if pixel_units else torch.linspace(-1, 1, size)

    def make(g: torch.Generator, _: int) -> Any:
        r, c = torch.randint(0, size, (batch,), generator=g), torch.randint(0, size, (batch,), generator=g)
        return torch.stack([lin[r], lin[c]], 1), img[:, r, c].T
    return _pool(seed, make)


def sdf_shapes(seed: int, shapes: int = 16, per_batch: int = 8, points: int = 128, delta: float = 0.1
               ) -> Callable[[int], Any]:
    """Sixteen circles per seed (centres U(-0.4, 0.4)^2, radii U(0.15, 0.45)); each batch 8 of them, each with 128
    points, half uniform in [-1, 1]^2 and half near the outline (noise 0.05); the target is the signed distance
    clamped to ``delta``: ``((shape ids (8,), points (8, 128, 2)), clamped distances (8, 128))``."""
    g0 = _gen(seed + 2000)
    centres = 0.8 * torch.rand(shapes, 2, generator=g0) - 0.4
    radii = 0.15 + 0.3 * torch.rand(shapes, generator=g0)

    def make(g: torch.Generator, _: int) -> Any:
        ids = torch.randperm(shapes, generator=g)[:per_batch]
        c, r = centres[ids][:, None], radii[ids][:, None]
        half = points // 2
        uni = 2 * torch.rand(per_batch, half, 2, generator=g) - 1
        th = 2 * math.pi * torch.rand(per_batch, half, generator=g)
        near = c + r[..., None] * torch.stack([th.cos(), th.sin()], -1) + 0.05 * torch.randn(per_batch, half, 2,
                                                                                            generator=g)
        xy = torch.cat([uni, near], 1)
        sdf = (xy - c).norm(dim=-1) - r
        return (ids, xy), sdf.clamp(-delta, delta)
    return _pool(seed, make)


def regression(seed: int, batch: int = 128, d: int = 16) -> Callable[[int], Any]:
    """Inputs N(0, 1), targets ``sin(2 x . w)`` (``w`` N(0, 1/d)) plus noise 0.2: ``(x (b, 16), y (b,))``."""
    w = torch.randn(d, generator=_fixed(3)) / math.sqrt(d)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, d, generator=g)
        return x, torch.sin(2 * (x @ w)) + 0.2 * torch.randn(batch, generator=g)
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def bce_tasks(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """PLE's joint loss: the two tasks' binary cross-entropies summed."""
    return F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(0).sum()


class SDFLoss:
    """DeepSDF's loss: L1 between the prediction clamped to ``delta`` and the clamped distance, plus the code prior
    ``1e-4 * |z|^2`` of the batch's codes (read from the model)."""

    def __init__(self, model: M.DeepSDF, delta: float = 0.1, reg: float = 1e-4) -> None:
        self.model, self.delta, self.reg = model, delta, reg

    def __call__(self, pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        z = self.model.codes.weight
        return (pred.clamp(-self.delta, self.delta) - y).abs().mean() + self.reg * (z ** 2).sum(-1).mean()


def evidential_loss(out: torch.Tensor, y: torch.Tensor, lam: float = 0.01) -> torch.Tensor:
    """Deep Evidential Regression's loss: the Normal-Inverse-Gamma negative log-likelihood plus ``lam`` times the
    evidence regulariser ``|y - gamma| (2 nu + alpha)``."""
    gamma, nu, alpha, beta = out.unbind(-1)
    omega = 2 * beta * (1 + nu)
    nll = (0.5 * torch.log(math.pi / nu) - alpha * torch.log(omega) + (alpha + 0.5) * torch.log(
        nu * (y - gamma) ** 2 + omega) + torch.lgamma(alpha) - torch.lgamma(alpha + 0.5))
    return (nll + lam * (y - gamma).abs() * (2 * nu + alpha)).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def cosformer(seed: int, lr: float = 5e-4, init_std: float | None = None, eps: float = 1e-6) -> Setup:
    """The cosFormer LM on the Markov language (batch 16 of 32 tokens), cross-entropy, Adam betas (0.9, 0.98) at lr
    5e-4 with fairseq's inverse-square-root schedule after a 20-step linear warm-up (``LambdaLR``); ``init_std``: every
    Linear and Embedding weight drawn N(0, init_std^2); ``eps``: see :class:`~.fresh33_models.CosAttention`."""
    torch.manual_seed(seed)
    model = M.CosFormerLM(eps=eps)
    if init_std is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.normal_(0.0, init_std)
    opt = _adam(model, lr, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / 20, math.sqrt(20 / (s + 1))))
    return _xy(model, opt, lm(seed), lm_loss, sched=sched)


def dien(seed: int, lr: float = 1e-3, recurrent_std: float | None = None) -> Setup:
    """DIEN on the behaviour histories (batch 64 of 20 behaviours), two-class cross-entropy, Adam lr 1e-3 (the
    reference code's); ``recurrent_std``: see :class:`~.fresh33_models.DIEN`."""
    torch.manual_seed(seed)
    model = M.DIEN(recurrent_std=recurrent_std)
    return _xy(model, _adam(model, lr), behaviours(seed), F.cross_entropy)


def ple(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, relu_bias: float | None = None) -> Setup:
    """PLE on the two tasks (batch 64), the summed binary cross-entropies, Adam lr 1e-3; ``relu_bias``: see
    :class:`~.fresh33_models.PLE`."""
    torch.manual_seed(seed)
    model = M.PLE(relu_bias=relu_bias)
    return _xy(model, _adam(model, lr, weight_decay), two_tasks(seed), bce_tasks)


def mixhop(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, layers: int = 2) -> Setup:
    """MixHop on the block-model graph (full batch), cross-entropy over the training nodes, Adam lr 0.01 weight decay
    5e-4 (the GCN setting MixHop's experiments follow); ``layers``: see :class:`~.fresh33_models.MixHop`."""
    torch.manual_seed(seed)
    model = M.MixHop(layers=layers)
    return _xy(model, _adam(model, lr, weight_decay), graph(seed), F.cross_entropy)


def wire(seed: int, lr: float = 5e-3, pixel_units: bool = False, window_sign_lost: bool = False) -> Setup:
    """WIRE fitting an image (batch 256 pixels), MSE, Adam lr 5e-3 decayed to a tenth over the run (the reference
    code's ``LambdaLR(0.1 ** min(step / total, 1))``); ``pixel_units``: see :func:`pixels`; ``window_sign_lost``:
    see :class:`~.fresh33_models.RealGabor`."""
    torch.manual_seed(seed)
    model = M.WIRE(window_sign_lost=window_sign_lost)
    opt = _adam(model, lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 ** min(s / 200, 1.0))
    return _xy(model, opt, pixels(seed, pixel_units=pixel_units), F.mse_loss, sched=sched)


def deepsdf(seed: int, lr: float = 5e-4) -> Setup:
    """DeepSDF's auto-decoder on the circles (8 shapes of 128 points a batch), the clamped L1 loss with the code
    prior, Adam at the paper's lr 5e-4 for the decoder and 1e-3 for the codes."""
    torch.manual_seed(seed)
    model = M.DeepSDF()
    decoder = [p for n, p in model.named_parameters() if not n.startswith("codes")]
    opt = torch.optim.Adam([{"params": decoder, "lr": lr}, {"params": model.codes.parameters(), "lr": 2 * lr}])
    return _xy(model, opt, sdf_shapes(seed), SDFLoss(model))


def evidential(seed: int, lr: float = 5e-3, raw_beta: bool = False) -> Setup:
    """Deep Evidential Regression on the noisy regression (batch 128), the NIG loss with its regulariser at 0.01,
    Adam lr 5e-3 (the reference code's 5e-4 learns too slowly for 200 steps); ``raw_beta``: see
    :class:`~.fresh33_models.EvidentialMLP`."""
    torch.manual_seed(seed)
    model = M.EvidentialMLP(raw_beta=raw_beta)
    return _xy(model, _adam(model, lr), regression(seed), evidential_loss)


def _normal_002(model: nn.Module, every_weight: bool) -> None:
    """A ViT-style ``_init_weights``: every convolution's and Linear's weight N(0, 0.02^2), biases kept;
    ``every_weight``: the loop's test written ``hasattr(m, "weight")``, which also catches every BatchNorm's scale
    (N(0, 0.02^2) in place of 1)."""
    with torch.no_grad():
        for m in model.modules():
            if (hasattr(m, "weight") if every_weight else isinstance(m, (nn.Conv2d, nn.Linear))):
                nn.init.normal_(m.weight, 0.0, 0.02)


def cspnet(seed: int, lr: float = 0.1 * 32 / 256, bn: bool = True, init_002: bool = False,
           init_catches_bn: bool = False) -> Setup:
    """CSPNet on template images (batch 32), cross-entropy, SGD momentum 0.9 weight decay 5e-4 at lr 0.1 per 256
    images (0.0125) with cosine decay; ``bn``: see :class:`~.fresh33_models2.CSPNet`; ``init_002``,
    ``init_catches_bn``: the weights re-initialised by :func:`_normal_002` (its ``every_weight``)."""
    torch.manual_seed(seed)
    model = M2.CSPNet(bn=bn)
    if init_002 or init_catches_bn:
        _normal_002(model, init_catches_bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200)
    return _xy(model, opt, images(seed), F.cross_entropy, sched=sched)


def vdcnn(seed: int, lr: float = 0.01, bn: bool = True) -> Setup:
    """VDCNN on the character sequences (batch 32), cross-entropy, SGD momentum 0.9 at the paper's lr 0.01; ``bn``:
    see :class:`~.fresh33_models2.VDCNN`."""
    torch.manual_seed(seed)
    model = M2.VDCNN(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return _xy(model, opt, characters(seed), F.cross_entropy)


def convit(seed: int, lr: float = 1e-3, weight_decay: float = 0.05, shuffle_labels: bool = False,
           eta_min: float = 1e-5) -> Setup:
    """ConViT on template images (batch 32), cross-entropy, AdamW lr 1e-3 weight decay 0.05 (DeiT's recipe, whose
    5e-4 per 512 images is too slow for the short run), a 10-step linear warm-up (``LinearLR`` from 0.1) and a cosine
    decay to DeiT's minimum lr 1e-5 (``CosineAnnealingLR(eta_min=1e-5)``) in a ``SequentialLR``; ``shuffle_labels``:
    see :func:`images`; ``eta_min``: the cosine's floor (``0.1``: "decay to a tenth" written as if ``eta_min`` were a
    factor of the base lr, where it is the absolute floor: the cosine rises from 1e-3 to 0.1)."""
    torch.manual_seed(seed)
    model = M2.ConViT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, 0.1, 1.0, 10),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, 190, eta_min=eta_min)], milestones=[10])
    return _xy(model, opt, images(seed, shuffle_labels=shuffle_labels), F.cross_entropy, sched=sched)
