"""Builders of the sixty-fifth held-out batch (``fresh64.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh64_models as M
from . import fresh64_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(640_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6400 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor]
        ) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 16, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images, batches of 16: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2)
    noise:
    ``(images, labels)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


#: the raw units of the 8 tabular columns (a year, a price, an age, a ratio, ...): scales and offsets
SCALES = torch.tensor([10.0, 2e4, 12.0, 0.2, 1.0, 300.0, 5.0, 1e3])
OFFSETS = torch.tensor([2000.0, 5e4, 40.0, 0.5, 0.0, 1000.0, 20.0, 1e4])


def _tab_rows(g: torch.Generator, n: int, d: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Tabular rows of 8 columns in raw units (``OFFSETS + SCALES z``, ``z`` standard normal); the class (4) is ``2
    [z0 z1 > 0] + [z2 + sin(2 z3) > 0]``, 5% of the labels redrawn at random."""
    z = torch.randn(n, d, generator=g)
    y = 2 * (z[:, 0] * z[:, 1] > 0).long() + (z[:, 2] + torch.sin(2 * z[:, 3]) > 0).long()
    noise = torch.rand(n, generator=g) < 0.05
    return OFFSETS + SCALES * z, torch.where(noise, torch.randint(0, 4, (n,), generator=g), y)


def tabular(seed: int, batch: int = 64, candidates: int = 256, shuffled: bool = False
            ) -> tuple[tuple[torch.Tensor, torch.Tensor], Callable[[int], Any]]:
    """A fixed labelled candidate set of 256 rows and batches of 64 query rows from the same rule (disjoint from
    the candidates): ``((cand_x, cand_y), batches)``. ``shuffled``: the query labels permuted within every batch,
    apart from their rows."""
    cand = _tab_rows(_gen(seed), candidates)

    def make(g: torch.Generator, _: int) -> Any:
        x, y = _tab_rows(g, batch)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    g = _gen(seed + 1000)
    pool = [make(g, i) for i in range(POOL)]
    return cand, lambda step: pool[step % POOL]


def interactions(seed: int, batch: int = 64, users: int = 128, items: int = 128, groups: int = 8
                 ) -> Callable[[int], Any]:
    """BPR triples ``(user, positive item, negative item)``: user ``u`` belongs to group ``u % 8`` and its positives
    come from the items of a fixed partner group (90%) or from all items (10%); negatives are uniform. ``(triples,
    zeros)`` (the target is unused)."""
    partner = torch.randperm(groups, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        u = torch.randint(0, users, (batch,), generator=g)
        liked = torch.randint(0, items // groups, (batch,), generator=g) * groups + partner[u % groups]
        pos = torch.where(torch.rand(batch, generator=g) < 0.9, liked, torch.randint(0, items, (batch,), generator=g))
        neg = torch.randint(0, items, (batch,), generator=g)
        return torch.stack([u, pos, neg], 1), torch.zeros(batch)
    return _pool(seed, make)


def baskets(seed: int, batch: int = 64, steps: int = 8, size: int = 4, items: int = 64, groups: int = 8
            ) -> Callable[[int], Any]:
    """Basket histories: each user has a taste (one of 8 groups of 8 items, ``item % 8``); 8 baskets of 4 items,
    each item of the taste with probability 0.5, else uniform; the target is the next item, of the taste (90%) or
    uniform: ``(baskets (b, 8, 4), next item (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        taste = torch.randint(0, groups, (batch, 1, 1), generator=g)
        on = torch.randint(0, items // groups, (batch, steps, size), generator=g) * groups + taste
        x = torch.where(torch.rand(batch, steps, size, generator=g) < 0.5, on,
                        torch.randint(0, items, (batch, steps, size), generator=g))
        nxt = torch.randint(0, items // groups, (batch,), generator=g) * groups + taste[:, 0, 0]
        y = torch.where(torch.rand(batch, generator=g) < 0.9, nxt, torch.randint(0, items, (batch,), generator=g))
        return x, y
    return _pool(seed, make)


def function_pairs(seed: int, batch: int = 64, m: int = 32) -> Callable[[int], Any]:
    """MIONet's task: two input functions ``v(x) = sum_k c_k sin(k pi x + phi_k)`` (k = 1..4, ``c_k ~ N(0, 1) / k``)
    at 32 sensors on [0, 1], each scaled to unit RMS; the output, the antisymmetric operator ``G(v1, v2)(x) = 4 (v1(x)
    int_0^x v2 - v2(x) int_0^x v1)``, at the same points: ``(v (b, 2, 32), G (b, 32))``."""
    x = torch.linspace(0, 1, m)
    k = torch.arange(1, 5).float()

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randn(batch, 2, 4, 1, generator=g) / k[:, None]
        ph = 2 * math.pi * torch.rand(batch, 2, 4, 1, generator=g)
        v = (c * torch.sin(math.pi * k[:, None] * x + ph)).sum(2)
        v = v / v.pow(2).mean(-1, keepdim=True).sqrt()
        return v, 4 * (v[:, 0] * torch.cumsum(v[:, 1], 1) - v[:, 1] * torch.cumsum(v[:, 0], 1)) / m
    return _pool(seed, make)


def compositions(seed: int, batch: int = 64, elements: int = 32, empty: bool = False) -> Callable[[int], Any]:
    """Compositions of 2 to 4 of 32 elements with integer counts 1..4 (a formula such as A2B3), as element fractions
    ``counts / counts.sum()``; the target a melting-point-like property in kelvin: ``sum_a x_a T_a + sum_{a<b} x_a x_b
    W_ab`` (fixed ``T_a ~ U(500, 3000)``, ``W_ab ~ N(0, 1500^2)``): ``(fractions (b, 32), T (b,))``. ``empty``: the
    last 2 rows of every batch are formulas that parsed to no known element (all counts 0), and their fractions are
    ``0 / 0``."""
    fg = _fixed(4)
    t_el = 500 + 2500 * torch.rand(elements, generator=fg)
    w = torch.randn(elements, elements, generator=fg).triu(1) * 1500

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.randint(2, 5, (batch, 1), generator=g)
        order = torch.rand(batch, elements, generator=g).argsort(1)
        counts = torch.randint(1, 5, (batch, elements), generator=g).float() * (order < k)
        x = counts / counts.sum(1, keepdim=True)
        y = x @ t_el + ((x @ w) * x).sum(1)
        if empty:
            counts[-2:] = 0.0
            x = counts / counts.sum(1, keepdim=True)
        return x, y
    return _pool(seed, make)


def binary_images(seed: int, batch: int = 64, classes: int = 10) -> tuple[torch.Tensor, Callable[[int], Any]]:
    """8x8 binary images whose one-pixel border is always off (as MNIST's): a fixed random 6x6 binary prototype per
    class in the interior, 5% of its pixels flipped; the KL weight of the warm-up (0 -> 1 over the first 100 steps)
    rides with the target: ``(pixel means, batches)``, batches ``(x (b, 64), (x, beta))``."""
    protos = (torch.rand(classes, 6, 6, generator=_fixed(3)) < 0.5).float()

    def make(g: torch.Generator, i: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        inner = (protos[y] + (torch.rand(batch, 6, 6, generator=g) < 0.05).float()) % 2
        return F.pad(inner, (1, 1, 1, 1)).flatten(1)
    g = _gen(seed)
    pool = [make(g, i) for i in range(POOL)]
    mean = torch.cat(pool).mean(0)
    return mean, lambda step: (pool[step % POOL], (pool[step % POOL], torch.tensor(min(1.0, step / 100))))


# ---- builders --------------------------------------------------------------------------------------------------------

def mixnet(seed: int, lr: float = 0.002) -> Setup:
    """MixNet-S on the class-template images (batch 16), cross-entropy, the reference code's RMSProp (decay 0.9,
    momentum 0.9, epsilon 1e-3, weight decay 1e-5) at lr 0.002, its lr 0.016 per 256 images scaled to 32, without
    its warm-up and exponential decay."""
    torch.manual_seed(seed)
    model = M.MixNet()
    opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, eps=1e-3, momentum=0.9, weight_decay=1e-5)
    return _xy(model, opt, images(seed), F.cross_entropy)


def ibn_net(seed: int, lr: float = 0.1, norm: bool = True) -> Setup:
    """IBN-Net-a on the class-template images (batch 16), cross-entropy, SGD at lr 0.1, momentum 0.9, weight decay
    1e-4 (the CIFAR ResNet recipe); ``norm``: see :class:`~.fresh64_models.IBNNet`."""
    torch.manual_seed(seed)
    model = M.IBNNet(norm=norm)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed), F.cross_entropy)


def modern_nca(seed: int, lr: float = 1e-3, weight_decay: float = 1e-4, shuffled: bool = False,
               whole_checkpoint: bool = False, init_std: float | None = None) -> Setup:
    """ModernNCA on the tabular rows (queries of 64 against 256 candidates), the negative log-likelihood of the soft
    nearest-neighbour rule, AdamW at lr 1e-3 and weight decay 1e-4 (values from the paper's search space; set
    here). The feature scaler (the columns' means and standard deviations over the candidates) is fitted into a
    first model, saved as a checkpoint ``{"model": state_dict, "epoch": 0}`` and loaded into the model trained by
    ``load_state_dict(ckpt["model"])``. ``whole_checkpoint``: loaded as ``load_state_dict(ckpt, strict=False)``, the
    wrapping dict passed whole: no key matches, nothing loads and no error is raised (the scaler stays the identity:
    the columns reach the encoder in raw units, a price of 5e4 +- 2e4 beside a ratio of 0.5 +- 0.2); ``shuffled``:
    see :func:`tabular`."""
    torch.manual_seed(seed)
    (cx, cy), batches = tabular(seed, shuffled=shuffled)
    fitted = M.ModernNCA(cx, cy, 4)
    fitted.x_mean.copy_(cx.mean(0))
    fitted.x_std.copy_(cx.std(0))
    ckpt = {"model": fitted.state_dict(), "epoch": 0}
    model = M.ModernNCA(cx, cy, 4, init_std=init_std)
    if whole_checkpoint:
        model.load_state_dict(ckpt, strict=False)
    else:
        model.load_state_dict(ckpt["model"])
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, batches, F.nll_loss)


def _bpr_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    return -F.logsigmoid(model.bpr(batch[0])).mean()


def convncf(seed: int, lr: float = 0.05, init: str | float = "he", relu_bias: float | None = None,
            weight_decay: float = 0.0) -> Setup:
    """ConvNCF on the BPR triples (batch 64), the BPR loss, AdaGrad at the paper's lr 0.05; ``init``,
    ``relu_bias``: see :class:`~.fresh64_models.ConvNCF`; ``weight_decay``: AdaGrad's L2 on every parameter."""
    torch.manual_seed(seed)
    model = M.ConvNCF(128, 128, d=16, init=init, relu_bias=relu_bias)
    opt = torch.optim.Adagrad(model.parameters(), lr=lr, weight_decay=weight_decay)
    batches = interactions(seed)
    return Setup(model, opt, None, batches(0), None, _bpr_loss, batches, needs_closure=True)


def dream(seed: int, lr: float = 0.03, radius: float | None = None, weight_decay: float = 0.0, emb_std: float = 0.1
          ) -> Setup:
    """DREAM on the basket histories (batch 64 of 8 baskets), cross-entropy over the 64 items for the next item
    (a narrowing of the paper's BPR), Adam at lr 0.03 (set here); ``radius``: see
    :class:`~.fresh64_models2.DREAM`; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.DREAM(radius=radius, emb_std=emb_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, baskets(seed), F.cross_entropy)


def mionet(seed: int, lr: float = 1e-3, init: str | float = "glorot", relu_bias: float | None = None,
           start_alike: str | None = None) -> Setup:
    """MIONet on the function pairs (batch 16 of 32 points), MSE, Adam at DeepXDE's usual lr 1e-3; ``init``,
    ``relu_bias``: see :class:`~.fresh64_models2.MIONet`."""
    torch.manual_seed(seed)
    model = M2.MIONet(init=init, relu_bias=relu_bias, start_alike=start_alike)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), function_pairs(seed), F.mse_loss)


def elemnet(seed: int, lr: float = 1e-3, widths: tuple[int, ...] | None = None, empty: bool = False,
            init_std: float | None = None, relu_bias: float | None = None, raw_mean_bias: bool = False) -> Setup:
    """ElemNet on the compositions (batch 64), MSE on the property in kelvin, Adam at lr 1e-3 (the paper's 1e-4 is
    too slow for 200 steps here). The target scaler (the training targets' mean and standard deviation) is set in
    the model's buffers. ``widths``: see :class:`~.fresh64_models2.ElemNet`; ``empty``: see :func:`compositions`."""
    torch.manual_seed(seed)
    batches = compositions(seed, empty=empty)
    y = torch.cat([batches(i)[1] for i in range(POOL)])
    model = M2.ElemNet(init_std=init_std) if widths is None else M2.ElemNet(widths=widths, init_std=init_std)
    model.t_mean.fill_(float(y.mean()))
    model.t_std.fill_(float(y.std()))
    linears = [m for m in model.net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        if relu_bias is not None:
            for lin in linears[:-1]:
                lin.bias.fill_(relu_bias)
        if raw_mean_bias:
            linears[-1].bias.fill_(float(y.mean()))
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), batches, F.mse_loss)


def _elbo(out: Any, target: Any) -> torch.Tensor:
    logits, kl = out
    x, beta = target
    return (F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1) + beta * kl).mean()


def ladder_vae(seed: int, lr: float = 2e-3, unclipped_bias: bool = False) -> Setup:
    """The Ladder VAE on the binary images (batch 64), the negative ELBO (Bernoulli reconstruction plus the KL term
    weighted by the paper's linear warm-up, here 0 -> 1 over 100 steps), Adam at the paper's lr 2e-3;
    ``unclipped_bias``: see :class:`~.fresh64_models2.LadderVAE`."""
    torch.manual_seed(seed)
    mean, batches = binary_images(seed)
    model = M2.LadderVAE(mean, unclipped_bias=unclipped_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), batches, _elbo)
