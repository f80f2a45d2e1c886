"""Builders of the forty-fourth held-out batch (``fresh43.py``): standard models new to the corpus at their usual
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

from . import fresh43_models as M
from . import fresh43_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(430_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4300 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _int(g: torch.Generator, lo: int, hi: int) -> int:
    return int(torch.randint(lo, hi, (1,), generator=g))


# ---- data ------------------------------------------------------------------------------------------------------------

def detection(seed: int, batch: int = 16, size: int = 32, grid: int = 4) -> Callable[[int], Any]:
    """One object an image (a filled square, a hollow square or a plus, 8 to 14 pixels wide, anywhere) on 32x32 grey
    images with N(0, 0.2^2) noise; YOLO's target grid, 4x4 cells of ``(x, y, sqrt w, sqrt h, 1, one-hot class)`` in
    the cell holding the object's centre (offsets in the cell, sizes relative to the image), zeros elsewhere:
    ``(images (b, 1, 32, 32), targets (b, 4, 4, 8))``."""
    cell = size // grid

    def make(g: torch.Generator, _: int) -> Any:
        x = 0.2 * torch.randn(batch, 1, size, size, generator=g)
        t = torch.zeros(batch, grid, grid, 8)
        for i in range(batch):
            c, s = _int(g, 0, 3), _int(g, 8, 15)
            r0, c0 = _int(g, 0, size - s + 1), _int(g, 0, size - s + 1)
            patch = torch.ones(s, s)
            if c == 1:
                patch[2:-2, 2:-2] = 0.0
            elif c == 2:
                patch.zero_()
                patch[s // 2 - 1: s // 2 + 1], patch[:, s // 2 - 1: s // 2 + 1] = 1.0, 1.0
            x[i, 0, r0:r0 + s, c0:c0 + s] += patch
            cy, cx = r0 + s / 2, c0 + s / 2
            gy, gx = min(int(cy // cell), grid - 1), min(int(cx // cell), grid - 1)
            t[i, gy, gx, :5] = torch.tensor([cx / cell - gx, cy / cell - gy, math.sqrt(s / size), math.sqrt(s / size),
                                             1.0])
            t[i, gy, gx, 5 + c] = 1.0
        return x, t
    return _pool(seed, make)


def yolo_loss(p: torch.Tensor, t: torch.Tensor, coord: float = 5.0, noobj: float = 0.5) -> torch.Tensor:
    """YOLO's sum-squared error over the grid (per image): ``coord`` times the box errors of the cells holding an
    object (the sizes as square roots), the confidence error there, ``noobj`` times the confidences elsewhere, and
    the class scores' errors where there is an object."""
    obj = t[..., 4]
    box = ((p[..., :4] - t[..., :4]) ** 2).sum(-1)
    cls = ((p[..., 5:] - t[..., 5:]) ** 2).sum(-1)
    conf = (p[..., 4] - t[..., 4]) ** 2
    return (coord * obj * box + obj * conf + noobj * (1 - obj) * conf + obj * cls).sum() / p.shape[0]


def segmentation(seed: int, batch: int = 12, size: int = 24) -> Callable[[int], Any]:
    """Two to four ellipses (semi-axes 3 to 8 pixels, any angle) a 24x24 image: the image is the mask plus a smooth
    background field (amplitude 0.5) plus N(0, 0.6^2) noise; the target is the mask: ``(images (b, 1, 24, 24),
    mask (b, 24, 24))``."""
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        mask = torch.zeros(batch, size, size)
        for i in range(batch):
            for _ in range(_int(g, 2, 5)):
                cy, cx, a, b = (torch.rand(4, generator=g) * torch.tensor([size, size, 5, 5])).tolist()
                th = float(torch.rand(1, generator=g)) * math.pi
                u = (xx - cx) * math.cos(th) + (yy - cy) * math.sin(th)
                v = -(xx - cx) * math.sin(th) + (yy - cy) * math.cos(th)
                mask[i] = torch.maximum(mask[i], ((u / (a + 3)) ** 2 + (v / (b + 3)) ** 2 <= 1).float())
        bg = F.interpolate(torch.randn(batch, 1, 4, 4, generator=g), size=(size, size), mode="bilinear",
                           align_corners=False)
        x = mask[:, None] + 0.5 * bg + 0.6 * torch.randn(batch, 1, size, size, generator=g)
        return x, mask.long()
    return _pool(seed, make)


def tagged_sentences(seed: int, batch: int = 32, length: int = 16, vocab: int = 40) -> Callable[[int], Any]:
    """Sentences of 16 words over 40; words below 20 have their own tag (``w % 5``), the other 20 are ambiguous and
    take the tag after their left neighbour's, ``(tag(left) + 1) % 5`` (the first word's left neighbour has tag 0):
    ``(words (b, 16), tags (b, 16))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        y = torch.empty_like(x)
        prev = torch.zeros(batch, dtype=torch.long)
        for i in range(length):
            y[:, i] = torch.where(x[:, i] < 20, x[:, i] % 5, (prev + 1) % 5)
            prev = y[:, i]
        return x, y
    return _pool(seed, make)


def translations(seed: int, batch: int = 64, length: int = 7, vocab: int = 24) -> Callable[[int], Any]:
    """A word-for-word "translation": sources of 7 words over ids 3..23, the target word at each position a fixed
    permutation of the source word there; the decoder's input is ``<s>`` (id 1) then the target shifted right:
    ``((source (b, 7), target input (b, 7)), target (b, 7))``."""
    perm = torch.randperm(vocab - 3, generator=_fixed(1)) + 3

    def make(g: torch.Generator, _: int) -> Any:
        src = torch.randint(3, vocab, (batch, length), generator=g)
        tgt = perm[src - 3]
        return (src, torch.cat([torch.ones(batch, 1, dtype=torch.long), tgt[:, :-1]], 1)), tgt
    return _pool(seed, make)


def fields(seed: int, batch: int = 32, size: int = 16) -> Callable[[int], Any]:
    """A solution operator on the periodic 16x16 grid: smooth random fields (Fourier modes up to 4 with amplitudes
    ``1 / (1 + |k|^2)``, scaled to about unit variance) and the field after advection by (1.5, -0.5) grid cells and
    diffusion (the mode 4 damped by e^-1), both exact in Fourier space: ``(field (b, 1, 16, 16), later field)``."""
    k = torch.fft.fftfreq(size, 1 / size)
    ky, kx = torch.meshgrid(k, k, indexing="ij")
    k2 = kx ** 2 + ky ** 2
    keep = (kx.abs() <= 4) & (ky.abs() <= 4)
    amp = keep / (1 + k2)
    prop = torch.exp(-k2 / 16 - 2j * math.pi * (1.5 * kx - 0.5 * ky) / size)

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.complex(torch.randn(batch, size, size, generator=g), torch.randn(batch, size, size, generator=g))
        u0 = torch.fft.ifft2(c * amp).real * 150.0
        u1 = torch.fft.ifft2(torch.fft.fft2(u0) * prop).real
        return u0[:, None], u1[:, None]
    return _pool(seed, make)


def noisy_speech(seed: int, batch: int = 32, frames: int = 16, bands: int = 22, guard: bool = True
                 ) -> Callable[[int], Any]:
    """RNNoise-style training frames: speech band energies (a smooth random spectral envelope switched by random
    syllables) plus stationary noise (its own smooth spectrum at a random level, 10^U(-1, 0.5)); a third of the
    utterances are band-limited recordings whose top four bands hold no energy at all. Features: ``log10(E_x +
    1e-2)`` of the noisy bands, scaled by 1/2; targets: the ideal band gains ``sqrt(E_s / E_x)``, with the reference
    code's guard: ``sqrt((E_s + 1e-3) / (E_x + 1e-3))``, and -1 (masked out of the loss) where both energies are
    below 5e-2. ``guard=False``: ``sqrt(E_s / E_x)`` as written in the paper (0/0 in the empty bands):
    ``(features (b, 16, 22), gains (b, 16, 22))``."""
    def smooth(g: torch.Generator, n: int, k: int) -> torch.Tensor:
        return F.interpolate(torch.randn(n, 1, k, generator=g), size=bands, mode="linear", align_corners=True)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        env = torch.exp(smooth(g, batch, 5))[:, None]  # b, 1, bands
        on = torch.zeros(batch, frames)
        for i in range(batch):
            t = _int(g, 0, 4)
            while t < frames:
                n = _int(g, 3, 8)
                on[i, t:t + n] = 1.0
                t += n + _int(g, 2, 6)
        es = on[..., None] * env * torch.exp(0.3 * torch.randn(batch, frames, bands, generator=g))
        level = 10 ** (1.5 * torch.rand(batch, 1, 1, generator=g) - 1)
        en = level * torch.exp(0.7 * smooth(g, batch, 4))[:, None] * torch.exp(0.2 * torch.randn(es.shape,
                                                                                                  generator=g))
        limited = torch.rand(batch, generator=g) < 1 / 3
        es[limited, :, -4:], en[limited, :, -4:] = 0.0, 0.0
        ex = es + en
        if guard:
            gain = torch.sqrt((es + 1e-3) / (ex + 1e-3))
            gain = torch.where((es < 5e-2) & (ex < 5e-2), -1.0, gain)
        else:
            gain = torch.sqrt(es / ex)
        return torch.log10(ex + 1e-2) / 2, gain
    return _pool(seed, make)


def rnnoise_loss(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """RNNoise's ``mycost``: ``mean(mask (10 (sqrt p - sqrt y)^4 + (sqrt p - sqrt y)^2 + 0.01 BCE))`` with
    ``mask = min(y + 1, 1)`` (the -1 targets left out), Keras' ``sqrt`` of values clipped at 0 and its cross-entropy
    of outputs clipped to [1e-7, 1 - 1e-7]."""
    mask = torch.clamp(y + 1, max=1.0)
    d = torch.sqrt(p.clamp_min(0)) - torch.sqrt(y.clamp_min(0))
    q, t = p.clamp(1e-7, 1 - 1e-7), y.clamp(0, 1)
    bce = -(t * torch.log(q) + (1 - t) * torch.log(1 - q))
    return (mask * (10 * d ** 4 + d ** 2 + 0.01 * bce)).mean()


HETERO = torch.tensor([0.6, 0.15, 0.15, 0.05, 0.05])  # C, N, O, S, Cl


def molecules(seed: int, batch: int = 32, atoms: int = 12, task: str = "property", shuffled: bool = False
              ) -> Callable[[int], Any]:
    """Random molecule-like graphs: 6 to 12 atoms of five elements (C, N, O, S, Cl at 0.6, 0.15, 0.15, 0.05, 0.05), a
    random tree of bonds plus a ring-closing bond half of the time, padded to 12 atoms; atom features the element and
    the degree (one-hot) and a constant 1. ``task="property"``: an additive property (fixed per-element and per-bond
    contributions plus 1 for a ring), standardised; ``task="hetero_bond"``: whether two hetero atoms (not C) are
    bonded (about 62% are); ``shuffled``: the labels permuted within every batch, apart from their molecules.
    ``((features (b, 12, 11), adjacency (b, 12, 12), atom mask (b, 12)), label (b,))``."""
    fg = _fixed(2)
    value, pair = torch.randn(5, generator=fg), torch.randn(5, 5, generator=fg)
    pair = (pair + pair.T) / 2

    def make(g: torch.Generator, _: int) -> Any:
        x, adj, mask = torch.zeros(batch, atoms, 11), torch.zeros(batch, atoms, atoms), torch.zeros(batch, atoms)
        y = torch.zeros(batch)
        for i in range(batch):
            n = _int(g, 6, atoms + 1)
            t = torch.multinomial(HETERO, n, replacement=True, generator=g)
            a = torch.zeros(n, n)
            for k in range(1, n):
                p = _int(g, 0, k)
                a[k, p] = a[p, k] = 1.0
            u, v = _int(g, 0, n), _int(g, 0, n)
            ring = float(torch.rand(1, generator=g)) < 0.5 and u != v and a[u, v] == 0
            if ring:
                a[u, v] = a[v, u] = 1.0
            deg = a.sum(1).long().clamp(max=4)
            x[i, :n] = torch.cat([F.one_hot(t, 5), F.one_hot(deg, 5), torch.ones(n, 1)], 1).float()
            adj[i, :n, :n], mask[i, :n] = a, 1.0
            het = (t > 0).float()
            if task == "property":
                y[i] = (value[t].sum() + (a * pair[t][:, t]).sum() / 2 + float(ring) - 13.3) / 4.4
            else:
                y[i] = float((a * het[:, None] * het[None]).sum() > 0)
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return (x, adj, mask), y
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def yolo(seed: int, lr: float = 1e-3, fan_axis: bool = False) -> Setup:
    """YOLO on the detection images (batch 16), its sum-squared loss, SGD at the paper's first lr 1e-3 (its warm-up's
    start, kept), momentum 0.9, weight decay 5e-4; ``fan_axis``: see :class:`~.fresh43_models.YOLO`."""
    torch.manual_seed(seed)
    model = M.YOLO(fan_axis=fan_axis)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, detection(seed), yolo_loss)


def attention_unet(seed: int, lr: float = 1e-4, bn: bool = True, softmax_dim: int = 1, sgd: bool = False) -> Setup:
    """The Attention U-Net on the ellipse masks (batch 12), the pixels' negative log-likelihood, Adam at the reference
    code's lr 1e-4 with its L2 1e-6, or ``sgd``: SGD at ``lr`` with momentum 0.9 (and the same L2); ``bn``,
    ``softmax_dim``: see :class:`~.fresh43_models.AttentionUNet`."""
    torch.manual_seed(seed)
    model = M.AttentionUNet(bn=bn, softmax_dim=softmax_dim)
    opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-6) if sgd
           else torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-6))
    return _xy(model, opt, segmentation(seed), F.nll_loss)


def star_transformer(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, init_std: float | None = None
                     ) -> Setup:
    """The Star-Transformer on the tagged sentences (batch 32 of 16), token cross-entropy, Adam lr 1e-3 (set here);
    ``weight_decay``: Adam's (coupled L2); ``init_std``: see :class:`~.fresh43_models.StarTransformer`."""
    torch.manual_seed(seed)
    model = M.StarTransformer(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, tagged_sentences(seed), lambda out, y: F.cross_entropy(out.reshape(-1, 5), y.reshape(-1)))


def sentence_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The NMT loss as Luong et al.'s code takes it: the token cross-entropies summed over each sentence and averaged
    over the batch."""
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1), reduction="sum") / y.shape[0]


def luong_nmt(seed: int, lr: float = 1.0, weight_decay: float = 0.0, flip_dim: int = 1, layers: int = 1) -> Setup:
    """Luong et al.'s attention NMT on the translations (batch 64 of 7), :func:`sentence_loss`, plain SGD at the paper's
    lr 1.0 with the gradient norm clipped at 5 (the paper's); ``weight_decay``: SGD's; ``flip_dim``, ``layers``: see
    :class:`~.fresh43_models.LuongNMT`."""
    torch.manual_seed(seed)
    model = M.LuongNMT(flip_dim=flip_dim, layers=layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, translations(seed), sentence_loss, clip=5.0)


def afno(seed: int, lr: float = 5e-4) -> Setup:
    """The AFNO surrogate on the advected fields (batch 32), MSE, Adam at FourCastNet's lr 5e-4 (its cosine schedule
    left out)."""
    torch.manual_seed(seed)
    model = M2.AFNO()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), fields(seed), F.mse_loss)


def rnnoise(seed: int, lr: float = 1e-3, recurrent_gain: float = 1.0, guard: bool = True) -> Setup:
    """RNNoise on the noisy-speech frames (batch 32 of 16 frames), its gain cost, Adam at Keras' lr 1e-3 (the
    reference's ``optimizer='adam'``); ``recurrent_gain``: see :class:`~.fresh43_models2.RNNoise`; ``guard``: see
    :func:`noisy_speech`."""
    torch.manual_seed(seed)
    model = M2.RNNoise(recurrent_gain=recurrent_gain)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), noisy_speech(seed, guard=guard), rnnoise_loss)


def attentive_fp(seed: int, lr: float = 1e-3, times_inf: bool = False) -> Setup:
    """AttentiveFP on the molecules' additive property (batch 32), MSE, Adam lr 1e-3 with weight decay 1e-5 (both set
    here); ``times_inf``: see :class:`~.fresh43_models2._GraphAttention`."""
    torch.manual_seed(seed)
    model = M2.AttentiveFP(times_inf=times_inf)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, molecules(seed), F.mse_loss)


def noam(step: int, warmup: int = 20, total: int = 200) -> float:
    """Chemprop's ``NoamLR`` as a factor of its max lr 1e-3: linear from 1e-4 over the warm-up, then exponential
    down to 1e-4 at the end."""
    if step < warmup:
        return 0.1 + 0.9 * step / warmup
    return 0.1 ** ((step - warmup) / (total - warmup))


def dmpnn(seed: int, lr: float = 1e-3, init_std: float | None = None, out_bias: float | None = None,
          shuffled: bool = False) -> Setup:
    """Chemprop's D-MPNN on the hetero-bond labels (batch 32), binary cross-entropy on the logit, Adam under
    Chemprop's Noam schedule (1e-4 up to its max lr 1e-3 in 20 steps, then down to 1e-4 at step 200; warm-up and
    length set here); ``init_std``, ``out_bias``: see :class:`~.fresh43_models2.DMPNN`; ``shuffled``: see
    :func:`molecules`."""
    torch.manual_seed(seed)
    model = M2.DMPNN(init_std=init_std, out_bias=out_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, noam)
    return _xy(model, opt, molecules(seed, task="hetero_bond", shuffled=shuffled),
               F.binary_cross_entropy_with_logits, sched=sched)
