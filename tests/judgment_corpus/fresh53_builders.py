"""Builders of the fifty-fourth held-out batch (``fresh53.py``): standard models new to the corpus at their usual
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

from . import fresh53_models as M
from . import fresh53_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(530_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5300 + k)


def _init(seed: int) -> None:
    torch.manual_seed(530_000 + seed)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16, classes: int = 10, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``. ``shuffled``: the labels permuted within every batch, apart from their images."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Scenes of three colour-coded regions: the background (class 0), a random rectangle (class 1) and a random disk
    drawn over it (class 2), each pixel its class's fixed colour plus N(0, 1) noise: ``(images (b, 3, 16, 16),
    classes (b, 16, 16))``."""
    colours = torch.randn(3, 3, generator=_fixed(2))
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.zeros(batch, size, size, dtype=torch.long)
        for j in range(batch):
            r0, c0 = torch.randint(0, size - 6, (2,), generator=g).tolist()
            h, w = torch.randint(5, 11, (2,), generator=g).tolist()
            y[j, r0:r0 + h, c0:c0 + w] = 1
            cy, cx = torch.randint(3, size - 3, (2,), generator=g).tolist()
            rad = 2 + 2 * float(torch.rand(1, generator=g))
            y[j][(yy - cy) ** 2 + (xx - cx) ** 2 <= rad ** 2] = 2
        x = colours[y].permute(0, 3, 1, 2) + torch.randn(batch, 3, size, size, generator=g)
        return x, y
    return _pool(seed, make)


def texts(seed: int, batch: int = 64, length: int = 16, vocab: int = 64, classes: int = 4, shuffled: bool = False
          ) -> Callable[[int], Any]:
    """Texts of 16 tokens over 64 words; the label is the topic (``word % 4``) of most of the words, a topic drawn per
    text making half of its words, the rest uniform: ``(tokens (b, 16), topic (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        topic = torch.randint(0, classes, (batch, 1), generator=g)
        on = torch.randint(0, vocab // classes, (batch, length), generator=g) * classes + topic
        x = torch.where(torch.rand(batch, length, generator=g) < 0.5, on,
                        torch.randint(0, vocab, (batch, length), generator=g))
        y = F.one_hot(x % classes, classes).sum(1).argmax(1)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def interactions(seed: int, batch: int = 64, users: int = 64, items: int = 128, groups: int = 8, negatives: int = 10
                 ) -> Callable[[int], Any]:
    """Implicit feedback: user ``u`` likes the 16 items of its taste group (``item % 8 == u % 8``); each batch holds 64
    users, one liked item each and 10 sampled items they do not like: ``((users, positives, negatives (b, 10)),
    None)``."""
    def make(g: torch.Generator, _: int) -> Any:
        u = torch.randint(0, users, (batch,), generator=g)
        grp = u % groups
        pos = torch.randint(0, items // groups, (batch,), generator=g) * groups + grp
        other = (grp[:, None] + torch.randint(1, groups, (batch, negatives), generator=g)) % groups
        neg = torch.randint(0, items // groups, (batch, negatives), generator=g) * groups + other
        return (u, pos, neg), None
    return _pool(seed, make)


def table(seed: int, batch: int = 64, classes: int = 4, log_counts: bool = False, shuffled: bool = False
          ) -> Callable[[int], Any]:
    """Tabular rows of 8 features: six N(0, 1) and two Poisson counts (rates ``exp(N(0, 1))``, about a third of them
    zero), the counts ``log1p``-transformed; the class is the argmax of a fixed additive model, ``sum_i a_ic sin(b_ic
    x_i + c_ic)`` over the transformed features: ``(features (b, 8), class (b,))``. ``log_counts``: the counts
    transformed by ``log`` instead of ``log1p`` (their zeros become ``-inf``)."""
    fg = _fixed(3)
    a, b, c = torch.randn(8, classes, generator=fg), 0.5 + torch.rand(8, classes, generator=fg), \
        2 * math.pi * torch.rand(8, classes, generator=fg)

    def rows(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.randn(n, 8, generator=g)
        counts = torch.poisson(torch.randn(n, 2, generator=g).exp(), generator=g)
        x[:, 6:] = torch.log1p(counts)
        return x, counts, (a * torch.sin(b * x[..., None] + c)).sum(1)

    _, _, s = rows(_fixed(5), 20_000)
    offset = torch.zeros(classes)
    for _ in range(50):  # fixed offsets that balance the classes
        freq = F.one_hot((s + offset).argmax(1), classes).float().mean(0)
        offset -= 0.5 * torch.log(freq.clamp_min(1e-3) * classes)

    def make(g: torch.Generator, _: int) -> Any:
        x, counts, s = rows(g, batch)
        y = (s + offset).argmax(1)
        if log_counts:
            x[:, 6:] = torch.log(counts)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def patterns(seed: int, batch: int = 64, dim: int = 256, templates: int = 8) -> Callable[[int], Any]:
    """Binary 8x8 images (flattened to 64): one of 16 fixed random binary templates (each pixel on with probability
    1/2) with 5% of its pixels flipped: ``(x, x)``."""
    t = (torch.rand(templates, dim, generator=_fixed(4)) < 0.5).float()

    def make(g: torch.Generator, _: int) -> Any:
        x = t[torch.randint(0, templates, (batch,), generator=g)]
        flip = (torch.rand(batch, dim, generator=g) < 0.05).float()
        x = (x + flip) % 2
        return x, x
    return _pool(seed, make)


def sessions(seed: int, batch: int = 64, length: int = 8, items: int = 64) -> Callable[[int], Any]:
    """Sessions of 8 items from the corpus' sparse Markov chain over 64 items; the target is the next item:
    ``(session (b, 8), next item (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, items)
        return x[:, :-1], x[:, -1]
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def attentive_loss(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor, coef: float = 1.0,
                   log_twice: bool = False) -> torch.Tensor:
    """The self-attentive classifier's loss: the NLL of its log-probabilities plus ``coef`` times the paper's
    penalisation ``|A A^T - I|_F^2`` (mean over the batch). ``log_twice``: the NLL written ``F.nll_loss(torch.log(out),
    y)``, a loss written for a probability output over a head that already ends in ``LogSoftmax``: the log of a
    log-probability (negative) is NaN."""
    logp, a = out
    eye = torch.eye(a.shape[1])
    penalty = (a @ a.transpose(1, 2) - eye).pow(2).sum((1, 2)).mean()
    return F.nll_loss(torch.log(logp) if log_twice else logp, y) + coef * penalty


def cml_loss(out: tuple[torch.Tensor, torch.Tensor], _: Any, margin: float = 0.5, items: int = 128) -> torch.Tensor:
    """CML's WARP-weighted hinge: ``log(J M / U + 1) [m + d(u, i)^2 - min_k d(u, k)^2]_+`` with ``M`` the impostors
    among the ``U`` sampled items (the reference code's rank estimate, ``J`` the items), averaged over the batch."""
    dp, dn = out
    hinge = F.relu(margin + dp[:, None] - dn)
    with torch.no_grad():
        w = torch.log((hinge > 0).float().mean(1) * items + 1)
    return (w * hinge.amax(1)).mean()


def vae_loss(out: tuple[torch.Tensor, ...], x: torch.Tensor, beta: float = 4.0, per_pixel: bool = False
             ) -> torch.Tensor:
    """The beta-VAE objective: the Bernoulli reconstruction NLL summed over the 64 pixels plus ``beta`` times the KL
    divergence summed over the latents, both averaged over the batch. ``per_pixel``: the reconstruction written
    ``F.binary_cross_entropy_with_logits(logits, x)``, its default mean over the pixels as well, while the KL stays
    summed over the latents (the KL's weight is 64 times too large against it)."""
    logits, mu, logvar = out
    if per_pixel:
        rec = F.binary_cross_entropy_with_logits(logits, x)
    else:
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1).mean()
    return rec + beta * kl


def repeatnet_loss(p: torch.Tensor, y: torch.Tensor, double_softmax: bool = False) -> torch.Tensor:
    """RepeatNet's loss on its mixture probabilities: ``F.nll_loss(torch.log(p + 1e-8), y)``. ``double_softmax``: the
    probabilities handed to ``F.cross_entropy`` as if they were logits (a softmax over values in [0, 1]: no item can
    get more than ``e / (e + 63) = 4.1%``, and the loss cannot fall below ``ln(e + 63) - 1 = 3.185``)."""
    if double_softmax:
        return F.cross_entropy(p, y)
    return F.nll_loss(torch.log(p + 1e-8), y)


# ---- builders --------------------------------------------------------------------------------------------------------

def s2mlp(seed: int, lr: float = 1e-3, weight_decay: float = 0.05, init_std: float | None = None, norm: bool = True
          ) -> Setup:
    """S2-MLP on the class-template images (batch 32), cross-entropy, AdamW lr 1e-3 with weight decay 0.05 (the
    DeiT-style recipe the paper trains with, no schedule); ``init_std``, ``norm``: see
    :class:`~.fresh53_models.S2MLP`."""
    _init(seed)
    model = M.S2MLP(init_std=init_std, norm=norm)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def proxy_nca(seed: int, lr: float = 1e-3, proxy_lr: float = 0.1, normalise: bool = True, shuffled: bool = False
              ) -> Setup:
    """ProxyNCA++ on the class-template images (batch 32): cross-entropy over the proxy logits (the paper's proxy
    assignment probability at temperature 1/9), Adam at lr 1e-3 for the network and 0.1 for the proxies (the paper's
    "fast moving proxies", values set here); ``normalise``: see :class:`~.fresh53_models.ProxyNCA`; ``shuffled``: see
    :func:`images`."""
    _init(seed)
    model = M.ProxyNCA(normalise=normalise)
    body = [p for n, p in model.named_parameters() if n != "proxies"]
    opt = torch.optim.Adam([{"params": body}, {"params": [model.proxies], "lr": proxy_lr}], lr=lr)
    return _xy(model, opt, images(seed, shuffled=shuffled), F.cross_entropy)


def espnet(seed: int, lr: float = 5e-4, weight_decay: float = 5e-4, bn: bool = True, modules: int = 2,
           sgd: bool = False) -> Setup:
    """ESPNet on the three-region scenes (batch 16), per-pixel cross-entropy, Adam at the paper's lr 5e-4 with weight
    decay 5e-4 (no schedule); ``bn``: see :class:`~.fresh53_models.ESPNet`."""
    _init(seed)
    model = M.ESPNet(bn=bn, modules=modules)
    if sgd:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, scenes(seed), F.cross_entropy)


def self_attentive(seed: int, lr: float = 1e-3, hh_std: float | None = None, log_twice: bool = False,
                   weight_decay: float = 0.0, coef: float = 0.3, shuffled: bool = False) -> Setup:
    """The self-attentive classifier on the topic texts (batch 64 of 16), the NLL plus the penalisation (coefficient
    1), SGD at the paper's lr 0.06 with the reference code's gradient clipping at norm 0.5; ``hh_std``: see
    :class:`~.fresh53_models.SelfAttentive`; ``log_twice``: see :func:`attentive_loss`; ``weight_decay``: SGD's."""
    _init(seed)
    model = M.SelfAttentive(hh_std=hh_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, texts(seed, shuffled=shuffled),
               lambda out, y: attentive_loss(out, y, coef, log_twice=log_twice), clip=0.5)


def cml(seed: int, lr: float = 0.1, margin: float = 0.5, zero_init: bool = False) -> Setup:
    """CML on the taste-group interactions (batch 64 users, 10 sampled items each), the WARP-weighted hinge with
    margin 0.5, AdaGrad lr 0.1 (set here)."""
    _init(seed)
    model = M2.CML()
    if zero_init:
        nn.init.zeros_(model.users.weight)
        nn.init.zeros_(model.items.weight)
    return _xy(model, torch.optim.Adagrad(model.parameters(), lr=lr), interactions(seed),
               lambda out, t: cml_loss(out, t, margin=margin))


def nbm(seed: int, lr: float = 1e-3, relu_bias: float | None = None, layers: int = 2, log_counts: bool = False,
        shuffled: bool = False) -> Setup:
    """The NBM on the tabular rows (batch 64), cross-entropy, Adam lr 1e-3 (set here); ``relu_bias``, ``layers``: see
    :class:`~.fresh53_models2.NBM`; ``log_counts``: see :func:`table`."""
    _init(seed)
    model = M2.NBM(relu_bias=relu_bias, layers=layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, table(seed, log_counts=log_counts, shuffled=shuffled), F.cross_entropy)


def beta_vae(seed: int, lr: float = 1e-2, per_pixel: bool = False) -> Setup:
    """The beta-VAE (beta 4) on the binary patterns (batch 64), AdaGrad at lr 1e-2 (the paper's optimiser and rate for
    its 2-D shapes); ``per_pixel``: see :func:`vae_loss`."""
    _init(seed)
    model = M2.BetaVAE()
    return _xy(model, torch.optim.Adagrad(model.parameters(), lr=lr), patterns(seed),
               lambda out, x: vae_loss(out, x, per_pixel=per_pixel))


def repeatnet(seed: int, lr: float = 1e-3, hh_std: float | None = None, double_softmax: bool = False,
              weight_decay: float = 0.0, init_std: float | None = None) -> Setup:
    """RepeatNet on the Markov sessions (batch 64 of 8), the NLL of the mixture probabilities, Adam at the paper's lr
    1e-3; ``hh_std``: see :class:`~.fresh53_models2.RepeatNet`; ``double_softmax``: see :func:`repeatnet_loss`;
    ``weight_decay``: Adam's (coupled L2)."""
    _init(seed)
    model = M2.RepeatNet(hh_std=hh_std, init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sessions(seed), lambda p, y: repeatnet_loss(p, y, double_softmax=double_softmax))
