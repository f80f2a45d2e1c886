"""Builders of the fifty-ninth held-out batch (``fresh58.py``): standard models new to the corpus at their usual
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

from . import fresh58_models as M
from . import fresh58_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(580_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5800 + k)


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


def scenes(seed: int, batch: int = 8, size: int = 16, classes: int = 4) -> Callable[[int], Any]:
    """Segmentation scenes: a random 4x4 layout of the 4 classes (nearest-upsampled to 16x16) painted in each class's
    fixed colour, a smooth per-image illumination and N(0, 0.8^2) pixel noise: ``(images (b, 3, 16, 16), label maps
    (b, 16, 16))``."""
    colours = torch.randn(classes, 3, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch, 1, 4, 4), generator=g).float()
        y = F.interpolate(y, size=(size, size), mode="nearest")[:, 0].long()
        light = F.interpolate(0.3 * torch.randn(batch, 1, 2, 2, generator=g), size=(size, size), mode="bilinear",
                              align_corners=False)
        x = colours[y].permute(0, 3, 1, 2) + light + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y
    return _pool(seed, make)


def reviews(seed: int, batch: int = 32, length: int = 16, vocab: int = 64, classes: int = 4) -> Callable[[int], Any]:
    """Padded texts of 8 to 16 tokens (id 0 pads the rest) over the words 1..63: each text's class (of 4) draws 40% of
    its words from its own 8 cue words (``4 + 8 c`` .. ``11 + 8 c``), the rest uniform: ``(tokens (b, 16),
    class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        cue = 4 + 8 * y[:, None] + torch.randint(0, 8, (batch, length), generator=g)
        x = torch.where(torch.rand(batch, length, generator=g) < 0.4, cue,
                        torch.randint(1, vocab, (batch, length), generator=g))
        n = torch.randint(8, length + 1, (batch, 1), generator=g)
        return x.masked_fill(torch.arange(length) >= n, 0), y
    return _pool(seed, make)


def nli(seed: int, batch: int = 64, length: int = 8, vocab: int = 64, shuffled: bool = False) -> Callable[[int], Any]:
    """Synthetic NLI pairs over the words 2..63 (1 is "not", 0 pads): a premise of 8 words; an entailed hypothesis is
    5 of its words, a contradicted one 5 of its words and "not", a neutral one 5 (or 5 and "not") words drawn
    elsewhere, padded to 8: ``(pairs (b, 2, 8), label (0 entailment, 1 neutral, 2 contradiction))``. ``shuffled``: the
    labels permuted within every batch, apart from their pairs."""
    def make(g: torch.Generator, _: int) -> Any:
        prem = torch.randint(2, vocab, (batch, length), generator=g)
        y = torch.randint(0, 3, (batch,), generator=g)
        pick = torch.rand(batch, length, generator=g).argsort(1)[:, :5]
        hyp = torch.zeros(batch, length, dtype=torch.long)
        hyp[:, :5] = torch.where((y == 1)[:, None], torch.randint(2, vocab, (batch, 5), generator=g),
                                 prem.gather(1, pick))
        neg = (y == 2) | ((y == 1) & (torch.rand(batch, generator=g) < 0.5))
        hyp[:, 5] = torch.where(neg, 1, 0)
        pair = torch.stack([prem, hyp], 1)
        return pair, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def lm(seed: int, batch: int = 16, length: int = 33, vocab: int = 64) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens: ``(inputs (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def counts_table(seed: int, rows: int = 2048, columns: int = 8, missing: float = 0.0) -> tuple[torch.Tensor, ...]:
    """A tabular data set of 8 count columns (Poisson, rates 2 to 40 by column), read as ``int64`` as a CSV of counts
    is; the binary label is the sign of a fixed teacher on the standardised counts (with an interaction of the first
    two): ``(counts (rows, 8) int64, labels (rows,) float)``. ``missing``: that fraction of the entries recorded as
    missing (the table is then float, NaN there)."""
    g = _gen(seed)
    rates = torch.linspace(2, 40, columns)
    x = torch.poisson(rates.expand(rows, columns), generator=g).long()
    z = (x - rates) / rates.sqrt()
    w = torch.randn(columns, generator=_fixed(3))
    y = ((z @ w) / math.sqrt(columns) + 0.7 * z[:, 0] * z[:, 1] > 0).float()
    if missing:
        x = x.float().masked_fill(torch.rand(rows, columns, generator=g) < missing, float("nan"))
    return x, y


def collocation(seed: int, n: int = 128) -> Callable[[int], Any]:
    """Collocation points of the 1-D Poisson problem ``-u'' = f`` on [0, 1], ``u(0) = u(1) = 0``, with ``u = sin(pi x)
    + 0.3 sin(3 pi x)``: ``(points (n, 1), f at them)``; fresh uniform points per batch."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.rand(n, 1, generator=g)
        return x, math.pi ** 2 * torch.sin(math.pi * x) + 0.3 * (3 * math.pi) ** 2 * torch.sin(3 * math.pi * x)
    return _pool(seed, make)


def pressures(seed: int, batch: int = 32, n: int = 64) -> tuple[Callable[[int], Any], torch.Tensor]:
    """An operator-learning task: pressure fields on 64 points of [0, 1], recorded in Pa around the standard 101,325
    Pa with anomalies ``50 a(x)``, ``a = sum_k c_k sin(k pi x + phi_k)`` (k = 1..4, ``c_k ~ N(0, 1) / k``); the output
    is the solution ``u`` of ``-u'' = a``, ``u(0) = u(1) = 0`` (a fixed inverse of the discrete Laplacian):
    ``(pressures in Pa (b, 64), u (b, 64))`` and the pressures of batch 0 (the scaler's sample)."""
    x = torch.linspace(0, 1, n)
    k = torch.arange(1, 5).float()
    h = 1 / (n - 1)
    lap = (2 * torch.eye(n - 2) - torch.eye(n - 2).roll(1, 0) - torch.eye(n - 2).roll(-1, 0)) / h ** 2
    lap[0, -1] = lap[-1, 0] = 0.0
    green = torch.linalg.inv(lap)

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randn(batch, 4, 1, generator=g) / k[:, None]
        ph = 2 * math.pi * torch.rand(batch, 4, 1, generator=g)
        a = (c * torch.sin(math.pi * k[:, None] * x + ph)).sum(1)
        u = torch.zeros(batch, n)
        u[:, 1:-1] = 10 * a[:, 1:-1] @ green.T
        return 101_325.0 + 50.0 * a, u
    batches = _pool(seed, make)
    return batches, batches(0)[0]


# ---- losses ----------------------------------------------------------------------------------------------------------

def relative_l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """WNO's loss: the batch mean of ``|pred - target| / |target|`` per sample."""
    return ((pred - target).norm(dim=1) / target.norm(dim=1)).mean()


def cells_bce(logits: torch.Tensor, y: torch.Tensor, by_hand: bool = False, eps: float = 1e-7) -> torch.Tensor:
    """Trompt's loss: the binary cross-entropy of every cell's logits, averaged over the cells. ``by_hand``: written
    out on the probabilities, ``-(y log p + (1 - y) log(1 - p))``, each clamped by ``clamp(max=eps)`` where
    ``clamp(min=eps)`` belongs (every clamped value is eps: the loss is a constant and passes no gradient)."""
    if not by_hand:
        return F.binary_cross_entropy_with_logits(logits, y.expand_as(logits))
    p = torch.sigmoid(logits)
    return -(y * p.clamp(max=eps).log() + (1 - y) * (1 - p).clamp(max=eps).log()).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def dla(seed: int, lr: float = 0.1, bn: bool = True) -> Setup:
    """DLA on the class-template images (batch 32), cross-entropy, SGD at the paper's lr 0.1, momentum 0.9, weight
    decay 1e-4; ``bn``: see :class:`~.fresh58_models.DLA`."""
    torch.manual_seed(seed)
    model = M.DLA(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed), F.cross_entropy)


def fc_densenet(seed: int, lr: float = 1e-3) -> Setup:
    """FC-DenseNet on the segmentation scenes (batch 8 of 16x16), pixel-wise cross-entropy, RMSprop at the paper's lr
    1e-3 with weight decay 1e-4 (its per-epoch decay 0.995 left out)."""
    torch.manual_seed(seed)
    model = M.FCDenseNet()
    opt = torch.optim.RMSprop(model.parameters(), lr=lr, weight_decay=1e-4)
    return _xy(model, opt, scenes(seed), F.cross_entropy)


def talking_heads(seed: int, lr: float = 1e-3, init_std: float = 0.02, weight_decay: float = 0.0) -> Setup:
    """The Talking-Heads Transformer on the padded texts (batch 32 of 16), cross-entropy, Adam at lr 1e-3 (set here);
    ``init_std``: see :class:`~.fresh58_models.TalkingHeadsTransformer`; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M.TalkingHeadsTransformer(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, reviews(seed), F.cross_entropy)


def infersent(seed: int, lr: float = 0.1, hidden_bias: float | None = None, hh_std: float | None = None,
              fc_layers: int = 1, shuffled: bool = False) -> Setup:
    """InferSent on the NLI pairs (batch 64), cross-entropy, SGD at the paper's lr 0.1 with the reference code's
    gradient-norm clip 5 (its per-epoch decay 0.99 left out); ``hidden_bias``, ``hh_std``, ``fc_layers``: see
    :class:`~.fresh58_models.InferSent`; ``shuffled``: see :func:`nli`."""
    torch.manual_seed(seed)
    model = M.InferSent(hidden_bias=hidden_bias, hh_std=hh_std, fc_layers=fc_layers)
    return _xy(model, torch.optim.SGD(model.parameters(), lr=lr), nli(seed, shuffled=shuffled), F.cross_entropy,
               clip=5.0)


def ngpt(seed: int, lr: float = 1.5e-3) -> Setup:
    """nGPT on the Markov language (batch 16 of 32), cross-entropy, Adam without weight decay or warm-up (the paper's)
    at lr 1.5e-3 (set here), the matrices renormalised after every step (an optimizer step hook)."""
    torch.manual_seed(seed)
    model = M2.NGPT()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=0.0)
    opt.register_step_post_hook(lambda *_: model.normalize())
    return _xy(model, opt, lm(seed), lambda logits, y: F.cross_entropy(logits.reshape(-1, 64), y.reshape(-1)))


def trompt(seed: int, lr: float = 1e-3, weight_decay: float = 1e-5, int_scaled: bool = False, missing: bool = False,
           impute: bool = False, by_hand: bool = False) -> Setup:
    """Trompt on the count table (batches of 64 of its 2,048 rows), the cells' mean binary cross-entropy, AdamW at
    lr 1e-3 with weight decay 1e-5 (set here). The counts are min-max scaled by column with the table's bounds
    (``x = x.float()``, then ``(x - lo) / (hi - lo)``). ``int_scaled``: the scaling written into the ``int64`` table
    column by column, ``x[:, j] = (x[:, j] - lo) / (hi - lo)`` (each value truncated to an integer: every count but
    its column's maximum becomes 0); ``missing``: 10% of the entries missing, left as NaN (``impute``: set to their
    column's mean after scaling); ``by_hand``: see :func:`cells_bce`."""
    torch.manual_seed(seed)
    x, y = counts_table(seed, missing=0.1 if missing else 0.0)
    lo, hi = x.nan_to_num(1e9).min(0).values, x.nan_to_num(-1e9).max(0).values
    if int_scaled:
        for j in range(x.shape[1]):
            x[:, j] = (x[:, j] - lo[j]) / (hi[j] - lo[j])
        x = x.float()
    else:
        x = (x.float() - lo) / (hi - lo).float()
    if impute:
        x = torch.where(x.isnan(), x.nanmean(0), x)
    model = M2.Trompt()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    order = torch.randperm(x.shape[0], generator=_gen(seed))

    def batches(step: int) -> Any:
        i = order[(step % 32) * 64:(step % 32 + 1) * 64]
        return x[i], y[i]
    return _xy(model, opt, batches, lambda out, t: cells_bce(out, t, by_hand=by_hand))


def pirate_net(seed: int, lr: float = 1e-3) -> Setup:
    """PirateNet on the Poisson problem (128 collocation points a batch), the mean squared PDE residual ``u'' + f``
    (second derivative by autograd) plus the mean squared boundary values, Adam at the paper's lr 1e-3 (its
    exponential decay, 0.9 every 2,000 steps, left out)."""
    torch.manual_seed(seed)
    model = M2.PirateNet()
    batches = collocation(seed)
    ends = torch.tensor([[0.0], [1.0]])

    def compute(m: nn.Module, batch: Any) -> torch.Tensor:
        x, f = batch
        x = x.clone().requires_grad_(True)
        u = m(x)
        du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
        d2u = torch.autograd.grad(du.sum(), x, create_graph=True)[0]
        return ((d2u + f) ** 2).mean() + (m(ends) ** 2).mean()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return Setup(model, opt, None, batches(0), None, compute, batches, needs_closure=True)


def wno(seed: int, lr: float = 1e-3, blocks: int = 4, bf16: bool = False) -> Setup:
    """WNO on the pressure-to-solution operator (batch 32), the relative L2 loss, Adam at the reference code's lr 1e-3
    and weight decay 1e-6 (its step schedule left out). The pressures are standardised with batch 0's mean and
    standard deviation (in float32, inside the loss's ``inputs``). ``blocks``: see :class:`~.fresh58_models2.WNO`;
    ``bf16``: the pressures cast to bfloat16 before the standardisation (to halve the data's memory: bfloat16 keeps
    float32's range, but its spacing at 101,325 is 512 Pa, and every anomaly of +-150 Pa rounds away)."""
    torch.manual_seed(seed)
    raw, sample = pressures(seed)
    mean, std = sample.mean(), sample.std()

    def batches(step: int) -> Any:
        p, u = raw(step)
        if bf16:
            p = p.to(torch.bfloat16)
        return ((p - mean) / std).float(), u
    model = M2.WNO(blocks=blocks)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-6)
    return _xy(model, opt, batches, relative_l2)
