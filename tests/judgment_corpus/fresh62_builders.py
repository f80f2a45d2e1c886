"""Builders of the sixty-third held-out batch (``fresh62.py``): standard self-supervised, representation-learning and
generative models new to the corpus at their usual settings, and broken variants with one real fault each, plus the
small data sets they train on. Written and labelled before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh62_models as M
from . import fresh62_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(620_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6200 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor]
        ) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


# ---- data ------------------------------------------------------------------------------------------------------------

def _fields(g: torch.Generator, n: int, channels: int, coarse: int, size: int = 16) -> torch.Tensor:
    return F.interpolate(torch.randn(n, channels, coarse, coarse, generator=g), size=(size, size), mode="bilinear",
                         align_corners=False)


def two_views(seed: int, batch: int = 64, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """SimSiam's augmented pairs of class-template images (a fixed smooth 3x16x16 template per class, 10 classes, plus
    a smooth instance field of 0.5): each view shifted by up to 2 pixels each way, flipped with probability 0.5 and
    given its own N(0, 0.3^2) noise: ``((view 1, view 2), labels)``."""
    templates = _fields(_fixed(1), classes, 3, 4)

    def aug(g: torch.Generator, x: torch.Tensor) -> torch.Tensor:
        b, n = x.shape[0], x.shape[-1]
        shift = torch.randint(0, 5, (2, b), generator=g)
        rows, cols = (shift[k][:, None] + torch.arange(n) for k in range(2))
        xp = F.pad(x, (2, 2, 2, 2), mode="circular")
        out = xp[torch.arange(b)[:, None, None], :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
        flip = torch.rand(b, 1, 1, 1, generator=g) < 0.5
        return torch.where(flip, out.flip(3), out) + 0.3 * torch.randn(x.shape, generator=g)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.5 * _fields(g, batch, 3, 4)
        return (aug(g, x), aug(g, x)), y
    return _pool(seed, make)


def colour_images(seed: int, batch: int = 64, size: int = 16, unpaired: bool = False) -> Callable[[int], Any]:
    """CMC's images: a smooth random 16x16 field per image, seen by three channels through fixed gains (the "L"
    channel and two "ab" channels, each with its own fixed offset field) plus N(0, 0.3^2) noise per channel:
    ``(images (b, 3, 16, 16), images)``. ``unpaired``: the "ab" channels permuted within the batch, apart from
    their "L" channel (each pair of views from two images)."""
    gains = torch.tensor([1.0, 0.8, -0.6]).view(1, 3, 1, 1)
    offsets = 0.5 * _fields(_fixed(2), 1, 3, 4)

    def make(g: torch.Generator, _: int) -> Any:
        x = gains * _fields(g, batch, 1, 4) + offsets + 0.3 * torch.randn(batch, 3, size, size, generator=g)
        if unpaired:
            x = torch.cat([x[:, :1], x[torch.randperm(batch, generator=g), 1:]], 1)
        return x, x
    return _pool(seed, make)


def inpainting(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Smooth 16x16 fields (3x3 random values, bilinearly upsampled) plus N(0, 0.05^2) noise, with their central 8x8
    region zeroed: ``(masked image, center (b, 1, 8, 8))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = _fields(g, batch, 1, 3) + 0.05 * torch.randn(batch, 1, 16, 16, generator=g)
        masked = x.clone()
        masked[:, :, 4:12, 4:12] = 0.0
        return masked, x[:, :, 4:12, 4:12].clone()
    return _pool(seed, make)


def sbm_views(seed: int, n: int = 200, classes: int = 4, features: int = 32, isolated: int = 0,
              self_loops: bool = True, p_in: float = 0.04, p_out: float = 0.002, mean: float = 0.5
              ) -> Callable[[int], Any]:
    """A stochastic block model graph (4 classes of 50 nodes, edge probabilities 0.04 within a class and 0.002
    across; ``isolated``: that many last nodes with no edge) with node features (half the class's fixed mean
    direction plus N(0, 1) noise, 32 dimensions), and GRACE's two views per step: edges dropped with probabilities 0.2
    and 0.4 and feature columns masked with probabilities 0.3 and 0.4 (the paper's Cora rates), each view's adjacency
    normalised ``D^-1/2 (A + I) D^-1/2`` (``self_loops=False``: without the ``+ I``): ``((a1, x1), (a2, x2)),
    labels``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], p_in, p_out)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    if isolated:
        a[n - isolated:], a[:, n - isolated:] = 0.0, 0.0
    x = mean * torch.randn(classes, features, generator=_fixed(3))[y] + torch.randn(n, features, generator=g)

    def view(gg: torch.Generator, pe: float, pf: float) -> tuple[torch.Tensor, torch.Tensor]:
        keep = (torch.rand(n, n, generator=gg) >= pe).float().triu(1)
        keep = keep + keep.T
        cols = (torch.rand(features, generator=gg) >= pf).float()
        return M.gcn_norm(a * keep, self_loops), x * cols

    def make(gg: torch.Generator, _: int) -> Any:
        return (view(gg, 0.2, 0.3), view(gg, 0.4, 0.4)), y
    return _pool(seed, make)


def documents(seed: int, batch: int = 64, length: int = 10, vocab: int = 64, topics: int = 16
              ) -> Callable[[int], Any]:
    """Pairs of consecutive sentences of 10 words from documents over 64 words: a document has one of 16 topics (the
    words ``w`` with ``w % 16`` its topic) and each word is a topic word with probability 0.6, else uniform:
    ``((sentences, next sentences), index of the true next sentence)``."""
    def sentence(g: torch.Generator, t: torch.Tensor) -> torch.Tensor:
        on = torch.randint(0, vocab // topics, (batch, length), generator=g) * topics + t
        return torch.where(torch.rand(batch, length, generator=g) < 0.6, on,
                           torch.randint(0, vocab, (batch, length), generator=g))

    def make(g: torch.Generator, _: int) -> Any:
        t = torch.randint(0, topics, (batch, 1), generator=g)
        return (sentence(g, t), sentence(g, t)), torch.arange(batch)
    return _pool(seed, make)


def prototypes(seed: int, batch: int = 64, d: int = 64, k: int = 16) -> Callable[[int], Any]:
    """8x8 binary images (flattened) of 16 fixed prototypes (each pixel on with probability 0.5) with 5% of the pixels
    flipped: ``(images, images)``."""
    protos = (torch.rand(k, d, generator=_fixed(4)) < 0.5).float()

    def make(g: torch.Generator, _: int) -> Any:
        x = protos[torch.randint(0, k, (batch,), generator=g)]
        x = torch.where(torch.rand(batch, d, generator=g) < 0.05, 1 - x, x)
        return x, x
    return _pool(seed, make)


def banana(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """Points of a scaled banana in two dimensions: ``0.5 (u, u^2 / 2 - 1/2 + 0.25 e)`` for ``u, e ~ N(0, 1)``:
    ``(points, points)``."""
    def make(g: torch.Generator, _: int) -> Any:
        u, e = torch.randn(batch, generator=g), torch.randn(batch, generator=g)
        x = 0.5 * torch.stack([u, 0.5 * u ** 2 - 0.5 + 0.25 * e], 1)
        return x, x
    return _pool(seed, make)


NOISE = 2.0


def ring_and_noise(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """NCE's batches: points of a ring of radius 1 (radial N(0, 0.05^2) noise) and as many noise points from the noise
    distribution N(0, NOISE^2 I): ``((data, noise), (data, noise))``."""
    def make(g: torch.Generator, _: int) -> Any:
        th = 2 * math.pi * torch.rand(batch, generator=g)
        r = 1 + 0.05 * torch.randn(batch, generator=g)
        data = torch.stack([r * th.cos(), r * th.sin()], 1)
        pair = (data, NOISE * torch.randn(batch, 2, generator=g))
        return pair, pair
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def simsiam_loss(out: tuple[torch.Tensor, ...], _: Any) -> torch.Tensor:
    """SimSiam's symmetrised ``D(p1, stopgrad(z2)) / 2 + D(p2, stopgrad(z1)) / 2`` with ``D`` the negative cosine,
    plus 1 (so that it lies in [0, 2]; the paper's minimum -1 is 0 here)."""
    p1, p2, z1, z2 = out
    z1, z2 = z1.detach(), z2.detach()
    d = -(F.cosine_similarity(p1, z2, dim=-1).mean() + F.cosine_similarity(p2, z1, dim=-1).mean())
    return 1 + d / 2


def cmc_loss(out: tuple[torch.Tensor, torch.Tensor], _: Any, tau: float = 0.07, inverted: bool = False
             ) -> torch.Tensor:
    """CMC's two-way contrastive loss between the views, with the other images of the batch as the negatives (in
    place of the paper's memory bank): cross-entropy of ``z_l z_ab^T / tau`` both ways, averaged (tau 0.07)."""
    zl, zab = out
    logits = zl @ zab.T * tau if inverted else zl @ zab.T / tau
    y = torch.arange(zl.shape[0])
    return (F.cross_entropy(logits, y) + F.cross_entropy(logits.T, y)) / 2


def grace_loss(model: nn.Module, batch: Any, tau: float = 0.4, offset: bool = True) -> torch.Tensor:
    """GRACE's objective in its NT-Xent form: the two views' projected, L2-normalised node embeddings stacked (2N),
    the cosine similarities over tau (0.2, set here) with each node's similarity to itself masked to
    ``-inf``, and each node's positive its own node in the other view, ``(i + N) % 2N``: the same loss as the
    reference's intra- and inter-view form, averaged over both views. ``offset=False``: the positives' index written
    ``arange(2N)`` (the ``+ N`` forgotten: each node's positive is its own masked self-similarity)."""
    (v1, v2), _ = batch
    z = F.normalize(torch.cat([model.project(model(v1)), model.project(model(v2))]), dim=1)
    n2 = z.shape[0]
    sim = (z @ z.T / tau).masked_fill(torch.eye(n2, dtype=torch.bool), float("-inf"))
    target = (torch.arange(n2) + n2 // 2) % n2 if offset else torch.arange(n2)
    return F.cross_entropy(sim, target)


def mmd(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The (biased) squared MMD with InfoVAE's Gaussian kernel ``exp(-|x - y|^2 / dim)``."""
    def k(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.exp(-((x[:, None] - y[None]) ** 2).sum(-1) / x.shape[1])
    return k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean()


def infovae_loss(out: tuple[torch.Tensor, ...], x: torch.Tensor, lam: float = 10.0, kl_summed: bool = False
                 ) -> torch.Tensor:
    """InfoVAE's objective at ``alpha = 0``: the Bernoulli reconstruction loss summed per image, the KL to N(0, I)
    summed per image, both averaged over the batch, plus ``(lam - 1)`` times the MMD between the batch's codes and as
    many prior draws. ``kl_summed``: the KL summed over the batch as well (``.sum()`` where the reconstruction's
    ``.sum(1).mean()`` is: the KL weighted by the batch size, 64)."""
    logits, mu, logvar, z = out
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp())
    kl = kl.sum() if kl_summed else kl.sum(1).mean()
    prior = torch.randn(z.shape, generator=torch.Generator().manual_seed(int(x.sum())))
    return recon + kl + (lam - 1) * mmd(z, prior)


def nce_loss(out: tuple[torch.Tensor, torch.Tensor], pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """NCE's logistic loss with one noise point per data point: the logit is ``log p_model(u) - log p_noise(u)``
    (``p_noise`` the normal N(0, NOISE^2 I)), data labelled 1 and noise 0."""
    (lp_data, lp_noise), (data, noise) = out, pair

    def log_pn(u: torch.Tensor) -> torch.Tensor:
        return -0.5 * (u ** 2).sum(1) / NOISE ** 2 - math.log(2 * math.pi * NOISE ** 2)
    return (F.softplus(-(lp_data - log_pn(data))).mean() + F.softplus(lp_noise - log_pn(noise)).mean())


# ---- builders --------------------------------------------------------------------------------------------------------

def simsiam(seed: int, lr: float | None = None, batch: int = 64) -> Setup:
    """SimSiam on the augmented template pairs (batch 64), SGD at the paper's ``lr = 0.05 * batch / 256`` (0.0125),
    momentum 0.9, weight decay 1e-4 (its cosine decay left out); ``lr`` replaces it."""
    torch.manual_seed(seed)
    model = M.SimSiam()
    lr = 0.05 * batch / 256 if lr is None else lr
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, two_views(seed, batch), simsiam_loss)


def cmc(seed: int, lr: float = 0.03, bn: bool = True, l2: bool = True, unpaired: bool = False,
        inverted: bool = False) -> Setup:
    """CMC on the colour images (batch 64), the two-way contrastive loss at tau 0.07, SGD at the paper's lr 0.03,
    momentum 0.9, weight decay 1e-4; ``bn``, ``l2``: see :class:`~.fresh62_models.CMC`; ``unpaired``: see
    :func:`colour_images`."""
    torch.manual_seed(seed)
    model = M.CMC(bn=bn, l2=l2)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, colour_images(seed, unpaired=unpaired), lambda out, y: cmc_loss(out, y, inverted=inverted))


def context_encoder(seed: int, lr: float = 2e-4, bn: bool = True, init_std: float = 0.02,
                    target_from_composite: bool = False) -> Setup:
    """The Context Encoder on the masked fields (batch 32), the L2 reconstruction of the center (the paper's joint
    adversarial term left out), Adam at the reference's lr 2e-4 with beta1 0.5; ``bn``, ``init_std``: see
    :class:`~.fresh62_models.ContextEncoder`. ``target_from_composite``: the prediction pasted into the masked image
    (the composite the reference code saves) and the target cropped from that composite where the original image's
    center belongs: the target is the prediction itself, the loss 0 and every gradient 0."""
    torch.manual_seed(seed)
    model = M.ContextEncoder(bn=bn, init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
    if not target_from_composite:
        return _xy(model, opt, inpainting(seed), F.mse_loss)

    def loss(m: nn.Module, batch: Any) -> torch.Tensor:
        masked, _center = batch
        pred = m(masked)
        composite = masked.clone()
        composite[:, :, 4:12, 4:12] = pred
        return F.mse_loss(pred, composite[:, :, 4:12, 4:12])
    batches = inpainting(seed)
    return Setup(model, opt, None, batches(0), None, loss, batches, needs_closure=True)


def grace(seed: int, lr: float = 5e-4, weight_decay: float = 1e-5, init_std: float | None = None,
          isolated: int = 0, self_loops: bool = True, offset: bool = True, tau: float = 0.2, **graph: Any) -> Setup:
    """GRACE on the SBM graph's two views (all 200 nodes a step), Adam at the paper's Cora lr 5e-4 and weight decay
    1e-5, temperature 0.2 (set here; ``tau``); ``init_std``: see :class:`~.fresh62_models.GRACE`; ``isolated``,
    ``self_loops``: see :func:`sbm_views`; ``offset``: see :func:`grace_loss`."""
    torch.manual_seed(seed)
    model = M.GRACE(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    batches = sbm_views(seed, isolated=isolated, self_loops=self_loops, **graph)

    def loss(m: nn.Module, batch: Any) -> torch.Tensor:
        return grace_loss(m, batch, tau=tau, offset=offset)
    return Setup(model, opt, None, batches(0), None, loss, batches, needs_closure=True)


def quick_thoughts(seed: int, lr: float = 5e-4, hh_std: float | None = None, weight_decay: float = 0.0) -> Setup:
    """Quick-Thoughts on the document sentence pairs (batch 64), the cross-entropy of each sentence's true next
    sentence among the batch's candidates, Adam at the paper's lr 5e-4; ``hh_std``: see
    :class:`~.fresh62_models2.QuickThoughts`; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.QuickThoughts(hh_std=hh_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, documents(seed), F.cross_entropy)


def infovae(seed: int, lr: float = 3e-3, kl_summed: bool = False, weight_decay: float = 0.0) -> Setup:
    """InfoVAE on the prototype images (batch 64), its objective at ``alpha = 0``, ``lambda = 10`` (see
    :func:`infovae_loss`), Adam lr 3e-3 (set here); ``kl_summed``: see :func:`infovae_loss`; ``weight_decay``:
    Adam's."""
    torch.manual_seed(seed)
    model = M2.InfoVAE()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, prototypes(seed), lambda out, x: infovae_loss(out, x, kl_summed=kl_summed))


def ffjord(seed: int, lr: float = 1e-3, steps: int = 2, hidden: int = 32, batch: int = 64) -> Setup:
    """FFJORD on the banana points (batch 64), the mean negative log-likelihood, Adam at the paper's lr 1e-3; two RK4
    steps and dynamics of 32 units."""
    torch.manual_seed(seed)
    model = M2.FFJORD(hidden=hidden, steps=steps)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), banana(seed, batch), lambda nll, _: nll.mean())


def nce(seed: int, lr: float = 1e-2, layers: int = 2, relu_bias: float | None = None) -> Setup:
    """The NCE energy model on the ring (128 data and 128 noise points a step), NCE's logistic loss, Adam lr 1e-2 (set
    here); ``layers``, ``relu_bias``: see :class:`~.fresh62_models2.EnergyNCE`."""
    torch.manual_seed(seed)
    model = M2.EnergyNCE(layers=layers, relu_bias=relu_bias, c0=math.log(2 * math.pi * NOISE ** 2))
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), ring_and_noise(seed), nce_loss)
