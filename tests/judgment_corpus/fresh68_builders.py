"""Builders of the sixty-ninth held-out batch (``fresh68.py``): standard models new to the corpus at their usual
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

from . import fresh68_models as M
from . import fresh68_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(680_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6800 + k)


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


def keywords(seed: int, batch: int = 32, frames: int = 40, feats: int = 20, classes: int = 6, shuffled: bool = False
             ) -> Callable[[int], Any]:
    """Filterbank "utterances" of 40 frames of 20 bands: background N(0, 0.5^2) noise and one keyword, a fixed smooth
    12-frame spectro-temporal template of its class (6 classes), placed at a random frame between 0 and 28:
    ``(frames (b, 40, 20), keyword (b,))``."""
    tmpl = F.interpolate(torch.randn(classes, 1, 4, 5, generator=_fixed(2)), size=(12, feats), mode="bilinear",
                         align_corners=False)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.5 * torch.randn(batch, frames, feats, generator=g)
        start = torch.randint(0, frames - 11, (batch,), generator=g)
        for i in range(batch):
            x[i, start[i]:start[i] + 12] += tmpl[y[i]]
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def transcribed(seed: int, batch: int = 16, feats: int = 20, tokens: int = 8, words: int = 4, frames: int = 48,
                cropped: int | None = None) -> Callable[[int], Any]:
    """Utterances for CTC: 4 tokens (ids 1..8) drawn per utterance, each rendered as a fixed 20-band template of its
    token over 6 to 9 frames with 1 to 3 frames of background between them, plus N(0, 0.4^2) noise, in 48 frames:
    ``(frames (b, 48, 20), (targets (b, 4), target lengths (b,)))``. ``cropped``: the utterances cut to their first
    ``cropped`` frames while their transcripts are kept whole."""
    tmpl = 1.5 * torch.randn(tokens + 1, feats, generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(1, tokens + 1, (batch, words), generator=g)
        x = 0.4 * torch.randn(batch, frames, feats, generator=g)
        for i in range(batch):
            t = int(torch.randint(1, 4, (1,), generator=g))
            for w in range(words):
                d = int(torch.randint(6, 10, (1,), generator=g))
                x[i, t:t + d] += tmpl[y[i, w]]
                t += d + int(torch.randint(1, 4, (1,), generator=g))
        if cropped is not None:
            x = x[:, :cropped]
        return x, (y, torch.full((batch,), words))
    return _pool(seed, make)


def _tones(g: torch.Generator, batch: int, n: int) -> torch.Tensor:
    """Two-partial tones in [-1, 1]: a fundamental from a fixed set of 8 periods (16 to 37 samples), its second
    harmonic at a random relative level, random phases, an amplitude between 0.3 and 0.8, plus noise 0.01."""
    periods = torch.tensor([16.0, 19.0, 22.0, 25.0, 28.0, 31.0, 34.0, 37.0])
    f = 1.0 / periods[torch.randint(0, 8, (batch, 1), generator=g)]
    t = torch.arange(n).float()
    ph = 2 * math.pi * torch.rand(batch, 2, generator=g)
    h = torch.rand(batch, 1, generator=g)
    x = torch.sin(2 * math.pi * f * t + ph[:, :1]) + 0.5 * h * torch.sin(4 * math.pi * f * t + ph[:, 1:])
    amp = 0.3 + 0.5 * torch.rand(batch, 1, generator=g)
    return amp * x / 1.5 + 0.01 * torch.randn(batch, n, generator=g)


#: DiffWave's noise schedule (the paper's base model: T = 50, betas linear from 1e-4 to 0.05)
BETAS = torch.linspace(1e-4, 0.05, 50)
ALPHA_BAR = torch.cumprod(1 - BETAS, 0)


def noisy_waves(seed: int, batch: int = 16, n: int = 128) -> Callable[[int], Any]:
    """DiffWave's training pairs on the tones of 128 samples: a step ``t`` uniform in 0..49, the noise ``eps`` and
    ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps``: ``((x_t, t), eps)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x0 = _tones(g, batch, n)
        t = torch.randint(0, len(BETAS), (batch,), generator=g)
        eps = torch.randn(batch, n, generator=g)
        ab = ALPHA_BAR[t][:, None]
        return (ab.sqrt() * x0 + (1 - ab).sqrt() * eps, t), eps
    return _pool(seed, make)


def quantised_waves(seed: int, batch: int = 16, n: int = 64, fs: int = 16) -> Callable[[int], Any]:
    """The tones mu-law companded (mu = 255) and quantised to 256 levels, ``16 + 64`` samples: ``(samples,
    samples)`` (the model predicts the last 64 from the ones before)."""
    def make(g: torch.Generator, _: int) -> Any:
        x = _tones(g, batch, n + fs).clamp(-1, 1)
        y = torch.sign(x) * torch.log1p(255 * x.abs()) / math.log(256)
        q = ((y + 1) / 2 * 255 + 0.5).long().clamp(0, 255)
        return q, q
    return _pool(seed, make)


def shapes(seed: int, batch: int = 64, size: int = 24) -> Callable[[int], Any]:
    """Binary 24x24 images of one shape each, dSprites-like: a filled square or a ring (a square outline) of side 6
    to 13 at a random position: ``(pixels (b, 576), pixels)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.zeros(batch, size, size)
        for i in range(batch):
            s = int(torch.randint(6, 14, (1,), generator=g))
            r, c = (int(v) for v in torch.randint(0, size - s + 1, (2,), generator=g))
            x[i, r:r + s, c:c + s] = 1.0
            if bool(torch.rand(1, generator=g) < 0.5):
                x[i, r + 1:r + s - 1, c + 1:c + s - 1] = 0.0
        x = x.view(batch, -1)
        return x, x
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def ctc_loss(logits: torch.Tensor, target: Any, half_softmax: bool = False) -> torch.Tensor:
    """CTC over the ContextNet's ``(b, T, tokens + 1)`` logits, blank 0, the mean over the batch of the per-target-
    token loss (``F.ctc_loss``'s default), ``zero_infinity`` at its default False. The log-probabilities are
    ``log_softmax`` of the logits; ``half_softmax``: ``torch.log(F.softmax(logits.half(), -1)).float()`` instead, the
    softmax taken in float16 to halve the memory of the ``(b, T, vocab)`` tensor and its log taken after (a float16
    probability below 6e-8 is 0, ``log 0 = -inf``, and the log's backward ``0 / 0`` is NaN)."""
    y, lengths = target
    if half_softmax:
        lp = torch.log(F.softmax(logits.half(), -1)).float()
    else:
        lp = F.log_softmax(logits, -1)
    frames = torch.full((logits.shape[0],), logits.shape[1], dtype=torch.long)
    return F.ctc_loss(lp.transpose(0, 1), y, frames, lengths, blank=0)


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 * torch.exp(-logvar))


def tc_loss(out: tuple[torch.Tensor, ...], x: torch.Tensor, beta: float = 6.0, dataset: int = POOL * 64,
            eps: float = 1e-7) -> torch.Tensor:
    """The beta-TCVAE's objective per image, averaged over the batch: the Bernoulli reconstruction written on the
    probabilities, ``-(x log p' + (1 - x) log(1 - p'))`` summed over the pixels with ``p' = p.clamp(eps, 1 - eps)``
    (eps 1e-7), plus the KL's decomposition by the minibatch-weighted-sampling estimator over the batch (the paper's
    ``log q(z)`` and ``prod_j log q(z_j)``, ``log(b N)`` with N the data set's 2,048 images): the index-code mutual
    information, ``beta`` (6) times the total correlation, and the dimension-wise KL."""
    p, z, mu, logvar = out
    p = p.clamp(eps, 1 - eps)
    recon = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(1)
    b = z.shape[0]
    log_qz_x = _log_normal(z, mu, logvar).sum(1)
    log_pz = _log_normal(z, torch.zeros_like(z), torch.zeros_like(z)).sum(1)
    mat = _log_normal(z[:, None], mu[None], logvar[None])
    log_nm = math.log(b * dataset)
    log_qz = torch.logsumexp(mat.sum(2), 1) - log_nm
    log_prod = (torch.logsumexp(mat, 1) - log_nm).sum(1)
    return (recon + (log_qz_x - log_qz) + beta * (log_qz - log_prod) + (log_prod - log_pz)).mean()


def _flat_ce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target[:, -logits.shape[1]:].reshape(-1))


# ---- builders --------------------------------------------------------------------------------------------------------

def gcnet(seed: int, lr: float = 0.1, bn_bias: float | None = None, shuffled: bool = False) -> Setup:
    """GCNet on the class-template images (batch 32), cross-entropy, SGD at the ResNet recipe's lr 0.1, momentum 0.9,
    weight decay 1e-4 (the paper's); ``bn_bias``: see :class:`~.fresh68_models.GCNet`; ``shuffled``: see
    :func:`images`."""
    torch.manual_seed(seed)
    model = M.GCNet(bn_bias=bn_bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed, shuffled=shuffled), F.cross_entropy)


def ca_mobilenet(seed: int, lr: float = 0.05, bn: bool = True) -> Setup:
    """The coordinate-attention MobileNetV2 on the class-template images (batch 32), cross-entropy, SGD with momentum
    0.9 and MobileNetV2's weight decay 4e-5 at lr 0.05 (set here); ``bn``: see
    :class:`~.fresh68_models.CAMobileNetV2`."""
    torch.manual_seed(seed)
    model = M.CAMobileNetV2(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=4e-5)
    return _xy(model, opt, images(seed), F.cross_entropy)


def visformer(seed: int, lr: float = 5e-4, init_std: float | None = None, weight_decay: float = 0.05) -> Setup:
    """Visformer on the class-template images (batch 32), cross-entropy, AdamW at the DeiT-style recipe's base lr
    5e-4 (not scaled down to the batch) and weight decay 0.05; ``init_std``: see
    :class:`~.fresh68_models.Visformer`."""
    torch.manual_seed(seed)
    model = M.Visformer(init_std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def kws(seed: int, lr: float = 1e-3, hh_std: float | None = None, weight_decay: float = 0.0, zero: bool = False,
        shuffled: bool = False) -> Setup:
    """The attention keyword spotter on the keyword utterances (batch 32), cross-entropy, Adam at lr 1e-3 (set here);
    ``hh_std``: see :class:`~.fresh68_models.AttentionKWS`; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M.AttentionKWS(hh_std=hh_std, zero=zero)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, keywords(seed, shuffled=shuffled), F.cross_entropy)


def contextnet(seed: int, lr: float = 1e-3, cropped: int | None = None, half_softmax: bool = False) -> Setup:
    """ContextNet on the CTC utterances (batch 16 of 48 frames, 4 tokens each), CTC, Adam with ContextNet's betas
    (0.9, 0.98), eps 1e-9 and weight decay 1e-6 at a constant lr 1e-3 (its warm-up schedule left out);
    ``cropped``: see :func:`transcribed`; ``half_softmax``: see :func:`ctc_loss`."""
    torch.manual_seed(seed)
    model = M.ContextNet()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=1e-6)
    return _xy(model, opt, transcribed(seed, cropped=cropped),
               lambda out, t: ctc_loss(out, t, half_softmax=half_softmax))


def diffwave(seed: int, lr: float = 2e-4, weight_decay: float = 0.0, table_dtype: torch.dtype = torch.float32,
             cast_out: bool = False) -> Setup:
    """DiffWave on the noisy tones (batch 16 of 128 samples), the reference code's L1 loss on the predicted noise,
    Adam at the paper's lr 2e-4; ``weight_decay``: Adam's (coupled L2); ``table_dtype``: see
    :func:`~.fresh68_models2.step_table`."""
    torch.manual_seed(seed)
    model = M2.DiffWave(table_dtype=table_dtype, cast_out=cast_out)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, noisy_waves(seed), F.l1_loss)


def samplernn(seed: int, lr: float = 1e-3, mlp: int = 2, mlp_bias: float | None = None) -> Setup:
    """SampleRNN on the quantised tones (batch 16 of 64 predicted samples), the 256-way cross-entropy, Adam at the
    paper's lr 1e-3 with the global gradient norm clipped at 1 (the reference code clips every gradient to [-1, 1]);
    ``mlp``, ``mlp_bias``: see :class:`~.fresh68_models2.SampleRNN`."""
    torch.manual_seed(seed)
    model = M2.SampleRNN(mlp=mlp, mlp_bias=mlp_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), quantised_waves(seed), _flat_ce, clip=1.0)


def beta_tcvae(seed: int, lr: float = 1e-3, bf16_decoder: bool = False) -> Setup:
    """The beta-TCVAE on the shapes (batch 64), the objective of :func:`tc_loss` with beta 6, Adam at the paper's lr
    1e-3; ``bf16_decoder``: see :class:`~.fresh68_models2.BetaTCVAE`."""
    torch.manual_seed(seed)
    model = M2.BetaTCVAE(bf16_decoder=bf16_decoder)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), shapes(seed), tc_loss)
