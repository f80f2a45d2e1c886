"""Builders of the fortieth held-out batch (``fresh39.py``): standard models new to the corpus at their usual
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

from . import fresh39_models as M
from . import fresh39_models2 as M2
from ._setup import POOL, Setup, lm_loss, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(390_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3900 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def utterances(seed: int, batch: int = 16, freq: int = 32, frames: int = 36, chars: int = 4, alphabet: int = 6,
               log_zero: bool = False) -> Callable[[int], Any]:
    """Synthetic spoken "words": 4 characters out of 6, each voiced as its fixed spectral envelope (32 bins, random
    loudness) for 4 to 6 frames with 1 or 2 frames of quiet noise between them, the clip zero-padded to 36 frames
    (digital silence); the features are the reference's ``log1p`` of the power spectrogram, standardised per
    utterance: ``(features (b, 32, 36), transcript (b, 4) in 1..6)``. ``log_zero``: the features taken as
    ``log(power)`` instead (the padding's zero power is ``log 0 = -inf``, and the standardisation turns it NaN)."""
    env = F.softplus(2 * torch.randn(alphabet, freq, generator=_fixed(1))) + 0.1

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, alphabet, (batch, chars), generator=g)
        start, dur = torch.randint(0, 3, (batch,), generator=g), torch.randint(4, 7, (batch, chars), generator=g)
        gap, loud = torch.randint(1, 3, (batch, chars), generator=g), 0.5 + torch.rand(batch, chars, generator=g)
        jitter, quiet = 1 + 0.3 * torch.rand(batch, freq, frames, generator=g), 0.02 * torch.rand(batch, freq, frames,
                                                                                                 generator=g)
        power = torch.zeros(batch, freq, frames)
        for b in range(batch):
            t = int(start[b])
            for k, c in enumerate(y[b].tolist()):
                d, q = int(dur[b, k]), int(gap[b, k])
                power[b, :, t:t + d] = (loud[b, k] * env[c])[:, None] * jitter[b, :, t:t + d]
                power[b, :, t + d:t + d + q] = quiet[b, :, t + d:t + d + q]
                t += d + q
        feats = torch.log(power) if log_zero else torch.log1p(power)
        mean, std = feats.mean((1, 2), keepdim=True), feats.std((1, 2), keepdim=True)
        return (feats - mean) / std, y + 1
    return _pool(seed, make)


def ctc(logp: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CTC over the model's ``(time, batch, classes)`` log-probabilities (blank 0), every clip and transcript at its
    full length; mean over the batch of the per-character loss (PyTorch's default reduction)."""
    t, b = logp.shape[:2]
    return F.ctc_loss(logp, y, torch.full((b,), t, dtype=torch.long), torch.full((b,), y.shape[1], dtype=torch.long))


def moving_blobs(seed: int, batch: int = 16, frames: int = 6, size: int = 16, classes: int = 4,
                 shuffled: bool = False) -> Callable[[int], Any]:
    """Clips of a Gaussian blob (3 colour channels at a random colour) moving 1 pixel a frame in one of four
    directions (the class) from a random start, over N(0, 0.5^2) noise: ``(clips (b, 3, 6, 16, 16), direction)``.
    ``shuffled``: the labels permuted within every batch, apart from their clips."""
    grid = torch.arange(size).float()
    steps = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        start = 4 + 8 * torch.rand(batch, 2, generator=g)
        t = torch.arange(frames).float() - frames / 2
        pos = start[:, None] + t[None, :, None] * steps[y][:, None]  # (b, t, 2)
        d2 = (grid - pos[..., 0, None]) ** 2
        blob = torch.exp(-(d2[..., :, None] + (grid - pos[..., 1, None])[..., None, :] ** 2) / 4)  # (b, t, s, s)
        colour = 0.5 + torch.rand(batch, 3, generator=g)
        clip = colour[:, :, None, None, None] * blob[:, None] + 0.5 * torch.randn(batch, 3, frames, size, size,
                                                                                  generator=g)
        return clip, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def flash_order(seed: int, batch: int = 16, frames: int = 10, size: int = 16, shuffled: bool = False
                ) -> Callable[[int], Any]:
    """Clips of 10 frames (3 x 16 x 16, N(0, 0.3^2) noise) in which a square flashes for one frame three times, at
    random places and times, each flash red or green: the class (4) is the colours of the first and the last flash
    (the middle one is a distractor): ``(clips (b, 10, 3, 16, 16), class)``. ``shuffled``: the labels
    permuted within every batch, apart from their clips."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        clip = 0.3 * torch.randn(batch, frames, 3, size, size, generator=g)
        for b in range(batch):
            first, last = int(y[b]) // 2, int(y[b]) % 2
            times = sorted(torch.randperm(frames, generator=g)[:3].tolist())
            middle = int(torch.randint(0, 2, (1,), generator=g))
            for col, t in zip((first, middle, last), times):
                r, c = torch.randint(0, size - 5, (2,), generator=g).tolist()
                clip[b, t, col, r:r + 5, c:c + 5] += 2.0
        return clip, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def sentiment(seed: int, batch: int = 32, audio: int = 12, visual: int = 12, vocab: int = 32, words: int = 10
              ) -> Callable[[int], Any]:
    """Three-modality "opinion clips": words over 32 ids whose fixed polarities (+1 for 8 words, -1 for 8, 0 for the
    rest) sum to the text's polarity ``p``; audio and visual feature vectors (12 each, N(0, 1)) whose fixed
    projections give an intensity ``a`` and an expression ``v``; the sentiment is ``clamp(0.8 p (1 + 0.5 tanh a) +
    tanh v, -3, 3)`` (the text's effect scaled by the voice: a tri-modal interaction): ``((audio, visual, words),
    sentiment)``."""
    fg = _fixed(2)
    pol = torch.zeros(vocab)
    pol[torch.randperm(vocab, generator=fg)[:16]] = torch.tensor([1.0] * 8 + [-1.0] * 8)
    ua, uv = torch.randn(audio, generator=fg) / math.sqrt(audio), torch.randn(visual, generator=fg) / math.sqrt(visual)

    def make(g: torch.Generator, _: int) -> Any:
        a, v = torch.randn(batch, audio, generator=g), torch.randn(batch, visual, generator=g)
        w = torch.randint(0, vocab, (batch, words), generator=g)
        p = pol[w].sum(1)
        y = (0.8 * p * (1 + 0.5 * torch.tanh(2 * a @ ua)) + torch.tanh(2 * v @ uv)).clamp(-3, 3)
        return (a, v, w), y
    return _pool(seed, make)


def texts(seed: int, batch: int = 16, length: int = 33, vocab: int = 64) -> Callable[[int], Any]:
    """The corpus' sparse Markov text over 64 tokens, 16 sequences of 32 and their next tokens."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def regions(seed: int, batch: int = 16, size: int = 32, classes: int = 4) -> Callable[[int], Any]:
    """Scenes of four smooth regions: the label of each pixel is the largest of four smooth random fields, the image
    the region's fixed colour plus N(0, 1) noise: ``(images (b, 3, 32, 32), labels (b, 32, 32))``."""
    colours = torch.randn(classes, 3, generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        fields = F.interpolate(torch.randn(batch, classes, 4, 4, generator=g), size=(size, size), mode="bilinear",
                               align_corners=False)
        y = fields.argmax(1)
        img = colours[y].permute(0, 3, 1, 2) + torch.randn(batch, 3, size, size, generator=g)
        return img, y
    return _pool(seed, make)


def images(seed: int, batch: int = 32, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(4)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


DT = 0.05


def pendulum_step(th: torch.Tensor, w: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Gym's Pendulum-v0 (g 10, m 1, l 1, dt 0.05, speed clipped to 8)."""
    w2 = (w + (3 * 10 / 2 * torch.sin(th) + 3.0 * u) * DT).clamp(-8, 8)
    return th + w2 * DT, w2


def transitions(seed: int, batch: int = 64, stamps: str = "float64") -> Callable[[int], Any]:
    """Logged pendulum transitions from random states (angle uniform, speed in [-8, 8]) under random torques in [-2,
    2]: the input ``(cos, sin, speed, torque)`` standardised by the statistics of a fixed sample (the reference's
    ``fit_input_stats``), the target the change of the observation ``(cos, sin, speed)`` (PETS' ``targ_proc``) per
    second: divided by the time between the two readings, taken from their logged Unix timestamps (about 1.7e9 s,
    0.05 s apart), held in ``stamps``: ``"float64"``, or ``"float32"``, whose spacing at 1.7e9 is 128 s, so that the
    two stamps are equal and the rate is ``x / 0``."""
    def sample(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        th = 2 * math.pi * torch.rand(n, generator=g) - math.pi
        w = 16 * torch.rand(n, generator=g) - 8
        u = 4 * torch.rand(n, generator=g) - 2
        th2, w2 = pendulum_step(th, w, u)
        obs, obs2 = torch.stack([th.cos(), th.sin(), w], 1), torch.stack([th2.cos(), th2.sin(), w2], 1)
        return torch.cat([obs, u[:, None]], 1), obs2 - obs

    x_fit = sample(_fixed(5), 4096)[0]
    mu, sigma = x_fit.mean(0), x_fit.std(0)
    dtype = torch.float64 if stamps == "float64" else torch.float32

    def make(g: torch.Generator, i: int) -> Any:
        x, dy = sample(g, batch)
        t0 = 1.7e9 + DT * (i * batch + torch.arange(batch, dtype=torch.float64))
        dt = (t0 + DT).to(dtype) - t0.to(dtype)
        return (x - mu) / sigma, dy / dt.float()[:, None]
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def pets_loss(out: tuple[torch.Tensor, torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """PETS' training loss: the Gaussian negative log-likelihood (without its constant) of every member, summed over
    the members, plus ``0.01 (sum max_logvar - sum min_logvar)`` and the per-layer L2 penalties (both returned by
    the model as the third output)."""
    mean, logvar, extra = out
    nll = ((mean - y) ** 2 * torch.exp(-logvar) + logvar).mean((1, 2)).sum()
    return nll + extra


class _PETS(nn.Module):
    """Wraps :class:`~.fresh39_models2.PETSEnsemble` to return ``(mean, logvar, penalties)``: the reference's weight
    decays 2.5e-5, 5e-5, 7.5e-5 on the hidden layers (7.5e-5 from the third on) and 1e-4 on the output, on ``0.5 sum
    w^2`` (TensorFlow's ``l2_loss``), and the log-variance bounds' ``0.01 (max - min)`` term."""

    def __init__(self, widths: list[int]) -> None:
        super().__init__()
        self.net = M2.PETSEnsemble(4, 3, widths)
        n = len(self.net.ws)
        self.decays = [(2.5e-5, 5e-5, 7.5e-5)[min(i, 2)] for i in range(n - 1)] + [1e-4]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mean, logvar = self.net(x)
        l2 = sum(d * 0.5 * (w ** 2).sum() for d, w in zip(self.decays, self.net.ws))
        return mean, logvar, l2 + 0.01 * (self.net.max_logvar.sum() - self.net.min_logvar.sum())


# ---- builders --------------------------------------------------------------------------------------------------------

def deepspeech2(seed: int, lr: float = 1e-3, act_bias: float | None = None, log_zero: bool = False) -> Setup:
    """Deep Speech 2 on the synthetic utterances (batch 16), CTC, Adam at lr 1e-3 (set here; the reference code's
    AdamW runs at 1.5e-4 with weight decay 1e-5 for tens of epochs) with its gradient-norm clip 400;
    ``act_bias``: see :class:`~.fresh39_models.DeepSpeech2`; ``log_zero``: see :func:`utterances`."""
    torch.manual_seed(seed)
    model = M.DeepSpeech2(act_bias=act_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, utterances(seed, log_zero=log_zero), ctc, clip=400.0)


def r2plus1d(seed: int, lr: float = 0.01, bn: bool = True, shuffled: bool = False) -> Setup:
    """R(2+1)D on the moving-blob clips (batch 16), cross-entropy, SGD at the paper's lr 0.01, momentum 0.9, weight
    decay 1e-4 (torchvision's video recipe's); ``bn``: see :class:`~.fresh39_models.R2Plus1D`; ``shuffled``: see
    :func:`moving_blobs`."""
    torch.manual_seed(seed)
    model = M.R2Plus1D(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, moving_blobs(seed, shuffled=shuffled), F.cross_entropy)


def lrcn(seed: int, lr: float = 1e-3, shuffled: bool = False, **kw: Any) -> Setup:
    """LRCN on the flash-order clips (batch 16), cross-entropy on the averaged predictions, Adam at lr 1e-3 (set here;
    the reference trained with Caffe's SGD) with the reference's gradient clip 15 on the global norm; ``kw``: see
    :class:`~.fresh39_models.LRCN`."""
    torch.manual_seed(seed)
    model = M.LRCN(**kw)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), flash_order(seed, shuffled=shuffled),
               F.cross_entropy, clip=15.0)


def tfn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, hidden: int = 32, layers: int = 2,
        widths_swapped: bool = False, **kw: Any) -> Setup:
    """The TFN on the opinion clips (batch 32), the reference's L1 loss, Adam at lr 1e-3 (a value of the reference's
    random search) without weight decay; ``weight_decay``: Adam's (coupled L2); the post-fusion widths built
    ``[hidden] * layers``; ``widths_swapped``: built ``[layers] * hidden`` (32 layers of 2 units); ``kw``: see
    :class:`~.fresh39_models.TFN`."""
    torch.manual_seed(seed)
    model = M.TFN(post=[layers] * hidden if widths_swapped else [hidden] * layers, **kw)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sentiment(seed), F.l1_loss)


def dynamic_conv_lm(seed: int, lr: float = 1e-3, init_std: float | None = None, weight_decay: float = 0.0) -> Setup:
    """The dynamic-convolution LM on the Markov text (batch 16 of 32), token cross-entropy, Adam with fairseq's betas
    (0.9, 0.98) at lr 1e-3 (constant, set here: fairseq's inverse-square-root warm-up spans 4,000 updates);
    ``init_std``: see :class:`~.fresh39_models2.DynamicConvLM`; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.DynamicConvLM(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=weight_decay)
    return _xy(model, opt, texts(seed), lm_loss)


def fast_scnn(seed: int, lr: float = 0.045, bn: bool = True) -> Setup:
    """Fast-SCNN on the region scenes (batch 16), pixel-wise cross-entropy, SGD at the paper's lr 0.045, momentum 0.9,
    weight decay 4e-5 (its poly schedule left out); ``bn``: see :class:`~.fresh39_models2.FastSCNN`."""
    torch.manual_seed(seed)
    model = M2.FastSCNN(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=4e-5)
    return _xy(model, opt, regions(seed), F.cross_entropy)


def botnet(seed: int, lr: float = 0.1, bn: bool = True, weight_decay: float = 4e-5) -> Setup:
    """BoTNet on the class-template images (batch 32), cross-entropy, SGD with Nesterov momentum 0.9 at lr 0.1 and
    weight decay 4e-5 (the paper's; its warm-up and cosine schedule left out); ``bn``: see
    :class:`~.fresh39_models2.BoTNet`; ``weight_decay``: SGD's."""
    torch.manual_seed(seed)
    model = M2.BoTNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def pets(seed: int, lr: float = 1e-3, hidden: int = 200, depth: int = 3, widths_swapped: bool = False,
         stamps: str = "float64") -> Setup:
    """PETS' ensemble on the pendulum transitions (batch 64), its loss (:func:`pets_loss`), Adam at the reference's
    lr 1e-3; the hidden widths are built ``[hidden] * depth``; ``widths_swapped``: built ``[depth] * hidden`` (200
    layers of 3 units); ``stamps``: see :func:`transitions`."""
    torch.manual_seed(seed)
    model = _PETS([depth] * hidden if widths_swapped else [hidden] * depth)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), transitions(seed, stamps=stamps), pets_loss)
