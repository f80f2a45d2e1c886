"""Builders of the seventeenth held-out batch (``fresh16.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets and the training pieces (losses,
schedules) they need. Written and labelled before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh16_models as M
from ._setup import POOL, Setup, image_batches, lm_batches, lm_loss, sequence_batches, vector_batches, with_loss_fn


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(160_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


def _xy(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
        loss_fn: Callable[[Any, Any], torch.Tensor]) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _closure(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
             loss: Callable[[nn.Module, Any], torch.Tensor]) -> Setup:
    return Setup(model, opt, sched, batches(0), None, loss, batches, needs_closure=True)


def warmup(opt: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over ``steps`` then constant."""
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / steps))


# ---- data ------------------------------------------------------------------------------------------------------------

def graph_batches(seed: int, graphs: int = 8, nodes: int = 32, classes: int = 4) -> Callable[[int], Any]:
    """Stochastic-block-model graphs (four communities of eight nodes, edge probability 0.4 inside, 0.03 across) with
    weakly informative node features (the community's direction at 0.6 plus unit noise in 8 dimensions):
    ``((features, adjacency), community per node)``."""
    def make(g: torch.Generator) -> Any:
        c = torch.arange(nodes).repeat(graphs, 1) % classes
        same = c[:, :, None] == c[:, None]
        adj = (torch.rand(graphs, nodes, nodes, generator=g) < torch.where(same, 0.4, 0.03)).float().triu(1)
        adj = adj + adj.transpose(1, 2)
        x = 0.6 * F.one_hot(c, 8).float() + torch.randn(graphs, nodes, 8, generator=g)
        return (x, adj), c.flatten()
    return _pool(seed, make)


def molecule_batches(seed: int, batch: int = 64, atoms: int = 8) -> Callable[[int], Any]:
    """Clouds of ``atoms`` atoms of three types at positions ``N(0, 1.5^2)`` Å and a smooth invariant energy
    ``sum_{i<j} c[t_i, t_j] exp(-(d_ij - 1.2)^2)``, standardised by its mean and standard deviation over the
    training pool (schnetpack's practice): ``((types, positions), energy)``."""
    cmat = torch.tensor([[1.0, -0.5, 0.8], [-0.5, 1.5, -1.0], [0.8, -1.0, 0.5]])

    def make(g: torch.Generator) -> Any:
        t = torch.randint(0, 3, (batch, atoms), generator=g)
        x = 1.5 * torch.randn(batch, atoms, 3, generator=g)
        d = (x[:, :, None] - x[:, None]).pow(2).sum(-1).sqrt()
        e = cmat[t[:, :, None], t[:, None]] * torch.exp(-(d - 1.2) ** 2)
        return (t, x), e.triu(1).sum((1, 2))
    raw = _pool(seed, make)
    es = torch.cat([raw(i)[1] for i in range(POOL)])
    mean, std = float(es.mean()), float(es.std())
    return lambda step: (raw(step)[0], (raw(step)[1] - mean) / std)


def behaviour_batches(seed: int, batch: int = 64, items: int = 25, length: int = 10, cats: int = 5
                      ) -> Callable[[int], Any]:
    """Click logs: each user favours one item category (``item % 5``): 70% of the history from it, history lengths
    0 to 10 (an empty history for about 1 user in 11, padded with item 0 and masked); the candidate from the
    favourite category half the time; clicked when it is: ``((history, mask, candidate), click)``."""
    def make(g: torch.Generator) -> Any:
        fav = torch.randint(0, cats, (batch,), generator=g)
        n = torch.randint(0, length + 1, (batch,), generator=g)
        own = fav[:, None] + cats * torch.randint(0, items // cats, (batch, length), generator=g)
        hist = torch.where(torch.rand(batch, length, generator=g) < 0.7, own,
                           torch.randint(0, items, (batch, length), generator=g))
        mask = (torch.arange(length)[None] < n[:, None]).float()
        hit = torch.rand(batch, generator=g) < 0.5
        other = (fav + torch.randint(1, cats, (batch,), generator=g)) % cats
        cand = torch.where(hit, fav, other) + cats * torch.randint(0, items // cats, (batch,), generator=g)
        return (hist * mask.long(), mask, cand), hit.float()
    return _pool(seed, make)


def field_batches(seed: int, batch: int = 16, scale: float = 1.0) -> Callable[[int], Any]:
    """Smooth random 3x16x16 images (a 4x4 Gaussian field upsampled bilinearly), times ``scale`` (255: raw 8-bit
    pixel levels never divided by 255): ``(images, images)`` for reconstruction."""
    def make(g: torch.Generator) -> Any:
        x = F.interpolate(torch.randn(batch, 3, 4, 4, generator=g), size=(16, 16), mode="bilinear",
                          align_corners=False) * scale
        return x, x
    return _pool(seed, make)


def manifold_batches(seed: int, batch: int = 128, dim: int = 8) -> Callable[[int], Any]:
    """8-D points near a 2-D manifold: a four-component Gaussian mixture mapped by a fixed linear map and a tanh
    warp, plus noise of std 0.05: ``(points, points)`` for density estimation."""
    tg = torch.Generator().manual_seed(1601)
    a = torch.randn(2, dim, generator=tg) / math.sqrt(2)
    centres = torch.tensor([[1.5, 1.5], [-1.5, 1.5], [1.5, -1.5], [-1.5, -1.5]])

    def make(g: torch.Generator) -> Any:
        z = centres[torch.randint(0, 4, (batch,), generator=g)] + 0.4 * torch.randn(batch, 2, generator=g)
        x = z @ a
        x = x + 0.5 * torch.tanh(x.roll(1, 1)) + 0.05 * torch.randn(batch, dim, generator=g)
        return x, x
    return _pool(seed, make)


def mixture_batches(seed: int, batch: int = 16, length: int = 800, rate_slip: bool = False) -> Callable[[int], Any]:
    """Two-source mixtures at 8 kHz: a low tone (150-400 Hz) and a high tone (1-2.5 kHz) with a harmonic each,
    loudness 0.1 to 0.4: ``(mixture (B, 1, T), sources (B, 2, T))``; ``rate_slip``: the reference sources read at
    16 kHz while the mixture is at 8 kHz (each target sample is the source at half the mixture's time step)."""
    def make(g: torch.Generator) -> Any:
        t = torch.arange(length, dtype=torch.float32)[None] / 8000
        srcs, keep = [], []
        for lo, hi in ((150.0, 400.0), (1000.0, 2500.0)):
            f = lo + (hi - lo) * torch.rand(batch, 1, generator=g)
            ph = 6.3 * torch.rand(batch, 2, generator=g)
            amp = 0.1 + 0.3 * torch.rand(batch, 1, generator=g)
            keep.append((f, ph, amp))
            srcs.append(amp * (torch.sin(2 * math.pi * f * t + ph[:, :1]) + 0.4 * torch.sin(4 * math.pi * f * t
                                                                                                 + ph[:, 1:])))
        s = torch.stack(srcs, 1)
        mix = s.sum(1, keepdim=True)
        if rate_slip:
            s = torch.stack([amp * (torch.sin(math.pi * f * t + ph[:, :1]) + 0.4 * torch.sin(2 * math.pi * f * t
                                                                                              + ph[:, 1:]))
                             for f, ph, amp in keep], 1)
        return mix, s
    return _pool(seed, make)


def view_batches(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """Two augmented views of teacher-labelled Gaussian vectors (labels unused): Gaussian noise of std 0.3 and 20%
    of the features zeroed, independently per view: ``(view_a, view_b)``."""
    base = vector_batches(seed, batch=batch)

    def make(g: torch.Generator) -> Any:
        x = base(int(torch.randint(0, POOL, (1,), generator=g)))[0]
        views = [(x + 0.3 * torch.randn(x.shape, generator=g)) * (torch.rand(x.shape, generator=g) > 0.2)
                 for _ in range(2)]
        return views[0], views[1]
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def vq_loss(model: Any, batch: Any) -> torch.Tensor:
    """VQ-VAE's loss: reconstruction + codebook + 0.25 commitment."""
    rec, code, commit = model.losses(batch[0])
    return rec + code + 0.25 * commit


def glow_loss(model: Any, batch: Any) -> torch.Tensor:
    return model.nll(batch[0])


def bt_loss(model: Any, batch: Any) -> torch.Tensor:
    return model.loss(*batch)


# ---- builders --------------------------------------------------------------------------------------------------------

def coatnet(seed: int, lr: float = 1e-3) -> Setup:
    """CoAtNet (C-C-T) on 16x16 template images in batches of 32, AdamW lr 1e-3 wd 0.05 with a 10-step warm-up
    (the paper's AdamW recipe at a small batch); ``lr``: the peak lr."""
    torch.manual_seed(seed)
    model = M.CoAtNet()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    return _xy(model, opt, warmup(opt, 10), image_batches(seed, size=16, batch=32), F.cross_entropy)


def cait(seed: int, init_std: float | None = None) -> Setup:
    """CaiT (four self-attention and two class-attention blocks, LayerScale 0.1) on 16x16 template images in batches
    of 32, AdamW lr 1e-3 wd 0.05 with a 10-step warm-up; ``init_std``: every weight matrix drawn N(0, std^2)."""
    torch.manual_seed(seed)
    model = M.CaiT()
    if init_std is not None:
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() >= 2:
                    p.normal_(0.0, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    return _xy(model, opt, warmup(opt, 10), image_batches(seed, size=16, batch=32), F.cross_entropy)


def hyena(seed: int, lr: float = 1e-3, p: float = 0.0, sigmoid_logits: bool = False) -> Setup:
    """A two-block Hyena LM on the Markov language, AdamW lr 1e-3 wd 0.1 (the paper's) with a 10-step warm-up;
    ``lr``: the peak lr; ``p``: the dropout of the embeddings and residual branches (0.9: a keep probability written
    where ``nn.Dropout`` takes the drop probability); ``sigmoid_logits``: the head's logits passed through a sigmoid
    (cross-entropy then cannot fall below ``-log(e / (e + 63)) = 3.18``)."""
    torch.manual_seed(seed)
    model = M.SeqLM("hyena", p=p)
    if sigmoid_logits:
        model.head = nn.Sequential(model.head, nn.Sigmoid())
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1, betas=(0.9, 0.98))
    return _xy(model, opt, warmup(opt, 10), lm_batches(seed), lm_loss)


def gla(seed: int) -> Setup:
    """A two-block gated-linear-attention LM on the Markov language, AdamW lr 1e-3 wd 0.01 with a 10-step
    warm-up."""
    torch.manual_seed(seed)
    model = M.SeqLM("gla")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    return _xy(model, opt, warmup(opt, 10), lm_batches(seed), lm_loss)


def ltc(seed: int, tau0: float = 1.0) -> Setup:
    """An LTC network (32 neurons, six solver unfolds per token) classifying 10-token sequences by their majority
    class, Adam lr 0.02; ``tau0``: the time constants' scale (0.01: 100x too short, the state forgets each token
    within its own six unfolds)."""
    torch.manual_seed(seed)
    model = M.LTC(tau0=tau0)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    return _xy(model, opt, None, sequence_batches(seed, length=10), F.cross_entropy)


def gatedgcn(seed: int, plain: bool = False, layers: int = 4, bn: bool = True, decay_per_batch: bool = False
             ) -> Setup:
    """GatedGCN (four residual layers of 48 with BatchNorm) classifying the nodes of block-model graphs, Adam lr
    1e-3 (benchmarking-GNNs'); ``plain`` and ``layers``: plain stacked layers (no residual, no BatchNorm);
    ``bn=False``: without the BatchNorms; ``decay_per_batch``: a per-epoch ``ExponentialLR(gamma=0.9)`` stepped
    after every batch (x0.9 per step: the lr is 1e-4 of its start by step 88)."""
    torch.manual_seed(seed)
    model = M.GatedGCN(layers=layers, plain=plain, bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, 0.9) if decay_per_batch else None
    return _xy(model, opt, sched, graph_batches(seed), F.cross_entropy)


def schnet(seed: int, lr: float = 5e-4) -> Setup:
    """SchNet (three interactions of 64) regressing standardised molecule energies, Adam lr 5e-4 (schnetpack's
    default), MSE; ``lr``: the learning rate."""
    torch.manual_seed(seed)
    model = M.SchNet()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, molecule_batches(seed), F.mse_loss)


def din(seed: int, normalise_slip: bool = False, uniform_init: bool = False, weight_decay: float = 0.0,
        out_sigmoid: bool = False) -> Setup:
    """DIN on click logs, Adam lr 1e-3, logistic loss; ``normalise_slip``: the activation weights normalised by
    their masked sum; ``uniform_init``: every Linear weight re-initialised by ``nn.init.uniform_(w)`` with its
    default bounds [0, 1) (the user meant a small symmetric range); ``weight_decay``: Adam's; ``out_sigmoid``: the
    model ends in ``nn.Sigmoid()`` while the loss is ``binary_cross_entropy_with_logits`` (a second sigmoid: the
    probability stays in (0.5, 0.73))."""
    torch.manual_seed(seed)
    model = M.DIN(normalise_slip=normalise_slip)
    if out_sigmoid:
        model.mlp.append(nn.Sigmoid())
    if uniform_init:
        for m in model.modules():
            if isinstance(m, nn.Linear):
                nn.init.uniform_(m.weight)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    return _xy(model, opt, None, behaviour_batches(seed), F.binary_cross_entropy_with_logits)


def vqvae(seed: int, scale: float = 1.0) -> Setup:
    """A VQ-VAE (64 codes) reconstructing smooth images, Adam lr 1e-3; ``scale``: the pixels' (255: 8-bit levels)."""
    torch.manual_seed(seed)
    model = M.VQVAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return _closure(model, opt, None, field_batches(seed, scale=scale), vq_loss)


def glow(seed: int, logdet_slip: bool = False) -> Setup:
    """Glow (four steps) fitting 8-D points near a 2-D manifold by maximum likelihood, Adam lr 1e-3, actnorm
    initialised on the first batch; ``logdet_slip``: ``log(det W)`` for the 1x1 convolutions' log-determinant."""
    torch.manual_seed(seed)
    model = M.Glow(logdet_slip=logdet_slip)
    batches = manifold_batches(seed)
    model.actnorm_init(batches(0)[0])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return _closure(model, opt, None, batches, glow_loss)


def conv_tasnet(seed: int, rate_slip: bool = False) -> Setup:
    """Conv-TasNet separating two-tone mixtures, Adam lr 1e-3 (the paper's), MSE to the sources; ``rate_slip``: the
    reference sources read at 16 kHz, the mixture at 8 kHz."""
    torch.manual_seed(seed)
    model = M.ConvTasNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return _xy(model, opt, None, mixture_batches(seed, rate_slip=rate_slip), F.mse_loss)


def barlow_twins(seed: int) -> Setup:
    """Barlow Twins on two augmented views of vectors (batch 128), Adam lr 1e-3 wd 1.5e-6 (the paper's decay)."""
    torch.manual_seed(seed)
    model = M.BarlowTwins()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1.5e-6)
    return _closure(model, opt, None, view_batches(seed), bt_loss)
