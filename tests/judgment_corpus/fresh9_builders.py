"""Builders of the tenth held-out batch (``fresh9.py``): standard models new to the corpus at their usual settings,
and broken variants with one real fault each, plus the small data sets they need. Written and labelled before
gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from . import fresh9_models as M9
from . import healthy as H
from ._setup import POOL, Setup, image_batches, lm_batches, lm_loss, sequence_batches, vector_batches

FIELDS, CARD, DENSE = 6, 20, 4


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(30_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


# ---- data ------------------------------------------------------------------------------------------------------------

def markov_bits(seed: int, d: int = 16, batch: int = 64, stay: float = 0.9) -> Callable[[int], Any]:
    """Binary vectors whose bits follow a two-state Markov chain (each bit repeats the previous one with probability
    ``stay``): a density MADE learns from ln 2 towards ~0.35 nats per bit. Batches are ``(x, x)``."""
    def make(g: torch.Generator) -> Any:
        x = torch.empty(batch, d)
        x[:, 0] = (torch.rand(batch, generator=g) < 0.5).float()
        for i in range(1, d):
            keep = torch.rand(batch, generator=g) < stay
            x[:, i] = torch.where(keep, x[:, i - 1], 1 - x[:, i - 1])
        return x, x
    return _pool(seed, make)


def click_batches(seed: int, batch: int = 128, id_column: bool = False) -> Callable[[int], Any]:
    """Click data: ``FIELDS`` categorical fields (``CARD`` values each) and ``DENSE`` standardised numeric features,
    clicked when a fixed teacher (per-value effects, a two-field interaction, a linear dense part) scores above 0.
    ``id_column``: the first numeric feature is replaced by the raw user id (0 .. 1e6) as a float."""
    tg = torch.Generator().manual_seed(2468)
    effects = torch.randn(FIELDS, CARD, generator=tg)
    inter = torch.randn(CARD, CARD, generator=tg)
    wd = torch.randn(DENSE, generator=tg)

    def make(g: torch.Generator) -> Any:
        cat = torch.randint(0, CARD, (batch, FIELDS), generator=g)
        dense = torch.randn(batch, DENSE, generator=g)
        score = effects[torch.arange(FIELDS), cat].sum(1) + 1.5 * inter[cat[:, 0], cat[:, 1]] + dense @ wd
        if id_column:
            dense = dense.clone()
            dense[:, 0] = torch.randint(0, 1_000_000, (batch,), generator=g).float()
        return (cat, dense), (score > 0).float()
    return _pool(seed, make)


def bag_batches(seed: int, d: int = 16, size: int = 10, batch: int = 32) -> Callable[[int], Any]:
    """Bags of ``size`` Gaussian instances; a bag is positive when any instance scores above 1.5 under a fixed linear
    teacher (about half the bags)."""
    w = torch.randn(d, generator=torch.Generator().manual_seed(1357))
    w = w / w.norm()

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, size, d, generator=g)
        return x, ((x @ w).amax(1) > 1.5).float()
    return _pool(seed, make)


def bce_per_bit(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """MADE's negative log-likelihood, nats per binary variable."""
    return F.binary_cross_entropy_with_logits(logits, x)


# ---- builders --------------------------------------------------------------------------------------------------------

def glu_conv_lm(seed: int, lr: float = 1e-3, half: bool = False) -> Setup:
    """Gated convolutional LM, Adam 1e-3 with the paper's gradient clip 0.1 (Dauphin et al. 2017 train with
    Nesterov momentum at lr 1.0 and weight normalisation; Adam 1e-3 is the usual reimplementation); ``lr``: Adam's;
    ``half``: model and Adam state in float16 (``model.half()``, Adam's default eps 1e-8)."""
    torch.manual_seed(seed)
    model = M9.GLUConvLM()
    if half:
        model = model.half()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss = (lambda out, y: lm_loss(out.float(), y)) if half else lm_loss
    return H.xy_setup(model, opt, None, lm_batches(seed), loss, clip=0.1)


def gmlp(seed: int, label_smoothing: float = 0.0, lambda_returns_lr: bool = False) -> Setup:
    """gMLP sequence classifier, AdamW 1e-3 wd 0.05 with warm-up and cosine decay (Liu et al. 2021's recipe, as
    DeiT's); ``label_smoothing``: ``F.cross_entropy``'s (0.9: a "confidence 0.9" typed where the smoothing 0.1
    belongs); ``lambda_returns_lr``: the ``LambdaLR`` function returns the scheduled learning rate (1e-3 x the
    factor) where the factor belongs, so the lr is 1e-6 x the factor."""
    torch.manual_seed(seed)
    model = M9.GMLP()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    loss = lambda out, y: F.cross_entropy(out, y, label_smoothing=label_smoothing)  # noqa: E731
    sched = H.warmup_cosine(opt, 20)
    if lambda_returns_lr:
        factor = sched.lr_lambdas[0]
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1e-3 * factor(s))
    return H.xy_setup(model, opt, sched, sequence_batches(seed), loss)


def linear_attention_lm(seed: int, layers: int = 2, residual: bool = True) -> Setup:
    """Causal linear-attention LM, Adam 1e-3 with warm-up and cosine decay (Katharopoulos et al. 2020 train with
    RAdam 1e-3 / Adam 1e-4 - 1e-3), clip 1.0."""
    torch.manual_seed(seed)
    model = M9.LinearAttentionLM(layers=layers, residual=residual)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), lm_batches(seed), lm_loss, clip=1.0)


def made(seed: int, l2: float = 0.0) -> Setup:
    """MADE on Markov bit vectors, Adam 1e-3 (as the common reimplementations; Germain et al. 2015 use Adagrad);
    ``l2``: a penalty ``l2 * sum(||p||^2)`` over every parameter added to the loss (1.0: a coefficient typed for a
    per-weight mean, applied to the sum)."""
    torch.manual_seed(seed)
    model = M9.MADE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    if l2:
        def loss(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            return bce_per_bit(out, x) + l2 * sum((p ** 2).sum() for p in model.parameters())
    else:
        loss = bce_per_bit
    return H.xy_setup(model, opt, None, markov_bits(seed), loss)


def qrnn(seed: int, forget: str = "sigmoid") -> Setup:
    """QRNN classifier, RMSprop 1e-3 (Bradbury et al. 2017's sentiment setting); ``forget``: the forget gate's
    activation."""
    torch.manual_seed(seed)
    model = M9.QRNN(forget=forget)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, sequence_batches(seed), F.cross_entropy)


def abmil(seed: int) -> Setup:
    """Gated-attention MIL, Adam 5e-4 betas (0.9, 0.999) weight decay 1e-4 (Ilse et al. 2018)."""
    torch.manual_seed(seed)
    model = M9.ABMIL()
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.999), weight_decay=1e-4)
    return H.xy_setup(model, opt, None, bag_batches(seed), F.binary_cross_entropy_with_logits)


def maxout(seed: int, init_std: Callable[[int], float] | None = None, raw_column: bool = False) -> Setup:
    """Maxout network, SGD lr 0.05 momentum 0.9, dropout 0.5 (Goodfellow et al. 2013); ``init_std(fan_in)``: each
    layer's weight std; ``raw_column``: the first input feature is a raw amount (dollars, ~N(5e4, 2e4)) never
    standardised, beside the standardised others."""
    torch.manual_seed(seed)
    model = M9.MaxoutNet(init_std=init_std)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    data = vector_batches(seed)
    if raw_column:
        pool = []
        for x, y in (data(i) for i in range(POOL)):
            x = x.clone()
            x[:, 0] = 5e4 + 2e4 * x[:, 0]
            pool.append((x, y))
        data = lambda step: pool[step % POOL]  # noqa: E731
    return H.xy_setup(model, opt, None, data, F.cross_entropy)


def senet(seed: int, use_bn: bool = True) -> Setup:
    """SE-ResNet, SGD lr 0.1 momentum 0.9 wd 1e-4 (Hu et al. 2018's ImageNet recipe); ``use_bn=False``: the
    BatchNorm layers are built but never called."""
    torch.manual_seed(seed)
    model = M9.SENet(use_bn=use_bn)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)


def wide_deep(seed: int, id_column: bool = False) -> Setup:
    """Wide & Deep click model, Adam 1e-3 (Cheng et al. 2016 use FTRL for the wide part and AdaGrad for the deep
    one; Adam 1e-3 is the common single-optimizer setting), binary cross-entropy on the logit; ``id_column``: the
    raw user id fed as a dense feature."""
    torch.manual_seed(seed)
    model = M9.WideDeep()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, click_batches(seed, id_column=id_column),
                      F.binary_cross_entropy_with_logits)


def fm(seed: int) -> Setup:
    """Factorization machine, Adagrad lr 0.05 (libFM / Rendle 2010 use SGD; Adagrad is the common setting in
    click-prediction libraries), binary cross-entropy on the logit."""
    torch.manual_seed(seed)
    model = M9.FM()
    opt = torch.optim.Adagrad(model.parameters(), lr=0.05)
    return H.xy_setup(model, opt, None, click_batches(seed), F.binary_cross_entropy_with_logits)
