"""Builders of the sixty-fourth held-out batch (``fresh63.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh63_models as M
from . import fresh63_models2 as M2
from ._setup import POOL, Setup, lm_loss, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(630_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6300 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor]
        ) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


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


def tokens(seed: int, batch: int = 16, length: int = 32) -> Callable[[int], Any]:
    """Text of the corpus' sparse Markov chain over 64 tokens: ``(tokens (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def texts(seed: int, batch: int = 32, length: int = 16, vocab: int = 64, classes: int = 4, shuffled: bool = False
          ) -> Callable[[int], Any]:
    """Texts of 16 tokens over 64 words; the label is the topic (``word % 4``) of most of the words, a topic drawn per
    text making half of its words, the rest uniform: ``(tokens (b, 16), topic (b,))``. ``shuffled``: the labels
    permuted within every batch, apart from their texts."""
    def make(g: torch.Generator, _: int) -> Any:
        topic = torch.randint(0, classes, (batch, 1), generator=g)
        on = torch.randint(0, vocab // classes, (batch, length), generator=g) * classes + topic
        x = torch.where(torch.rand(batch, length, generator=g) < 0.5, on,
                        torch.randint(0, vocab, (batch, length), generator=g))
        y = F.one_hot(x % classes, classes).sum(1).argmax(1)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def frames(seed: int, batch: int = 32, length: int = 32, features: int = 16, classes: int = 8
           ) -> Callable[[int], Any]:
    """Utterances of 32 frames of 16 filterbank-like features: runs of 3 to 6 frames of one phone (8 phones), each
    phone a fixed spectral template, plus N(0, 1) noise: ``(frames (b, 32, 16), phones (b, 32))``."""
    templates = 1.2 * torch.randn(classes, features, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.empty(batch, length, dtype=torch.long)
        for b in range(batch):
            t = 0
            while t < length:
                run = int(torch.randint(3, 7, (1,), generator=g))
                y[b, t:t + run] = torch.randint(0, classes, (1,), generator=g)
                t += run
        return templates[y] + torch.randn(batch, length, features, generator=g), y
    return _pool(seed, make)


def mixtures(seed: int, batch: int = 16, length: int = 32, bins: int = 32, empty: int = 4) -> Callable[[int], Any]:
    """Magnitude spectrograms of mixtures (32 frames of 32 bins): a harmonic target (a fundamental bin of 2 to 5 per
    clip, harmonics decaying as 1/k, switched on in 70% of the frames, a random gain) plus a broadband interferer
    (exponential magnitudes under a random spectral tilt); the top 4 bins are empty in every clip (band-limited):
    ``(mixture (b, 32, 32), target (b, 32, 32))``."""
    k = torch.arange(bins).float()

    def make(g: torch.Generator, _: int) -> Any:
        f0 = torch.randint(2, 6, (batch, 1), generator=g).float()
        harm = torch.where((k % f0 == 0) & (k > 0), f0 / (k + 1), torch.zeros(())).clamp(max=1.0)  # b, bins
        on = (torch.rand(batch, length, 1, generator=g) < 0.7).float()
        gain = 1 + 2 * torch.rand(batch, length, 1, generator=g)
        target = on * gain * harm[:, None, :]
        tilt = torch.exp(-k / (4 + 12 * torch.rand(batch, 1, 1, generator=g)))
        noise = -torch.log(torch.rand(batch, length, bins, generator=g)) * tilt * 0.5
        target[..., bins - empty:], noise[..., bins - empty:] = 0.0, 0.0
        return target + noise, target
    return _pool(seed, make)


def series(seed: int, batch: int = 32, length: int = 48, horizon: int = 12, variables: int = 4
           ) -> Callable[[int], Any]:
    """Non-stationary multivariate series: each variable a level (N(0, 3^2) per window), a trend (N(0, 0.05^2) a
    step), a fixed daily shape of period 12 times a gain in [0.5, 2], and N(0, 0.1^2) noise; in one window of eight
    the last variable is a stuck sensor (a constant at its level): ``(window (b, 48, 4), horizon (b, 12, 4))``."""
    shape = torch.randn(variables, 12, generator=_fixed(3))
    t = torch.arange(length + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        level = 3 * torch.randn(batch, 1, variables, generator=g)
        trend = 0.05 * torch.randn(batch, 1, variables, generator=g)
        gain = 0.5 + 1.5 * torch.rand(batch, 1, variables, generator=g)
        phase = torch.randint(0, 12, (batch,), generator=g)
        idx = (t[None] + phase[:, None]).long() % 12  # b, time
        season = shape[:, idx].permute(1, 2, 0)  # b, time, variables
        x = level + trend * t[None, :, None] + gain * season
        x = x + 0.1 * torch.randn(x.shape, generator=g)
        stuck = torch.arange(batch) % 8 == 0
        x[stuck, :, -1] = level[stuck, :, -1]
        return x[:, :length], x[:, length:]
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def nest(seed: int, lr: float = 1e-3, init_std: float = 0.02, scale_times: bool = False) -> Setup:
    """NesT on the class-template images (batch 32), cross-entropy, AdamW with the paper's weight decay 0.05 at lr
    1e-3 (set here; no warm-up or schedule); ``init_std``, ``scale_times``: see :class:`~.fresh63_models.NesT`."""
    torch.manual_seed(seed)
    model = M.NesT(init_std=init_std, scale_times=scale_times)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    return _xy(model, opt, images(seed), F.cross_entropy)


def parnet(seed: int, lr: float = 0.1, bn: str = "hand", silu_bad: bool = False) -> Setup:
    """ParNet on the class-template images (batch 32), cross-entropy, SGD lr 0.1, momentum 0.9, weight decay 5e-5
    (set here); ``bn``, ``silu_bad``: see
    :class:`~.fresh63_models.ParNet`."""
    torch.manual_seed(seed)
    model = M.ParNet(bn=bn, silu_bad=silu_bad)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-5)
    return _xy(model, opt, images(seed), F.cross_entropy)


def sparse_transformer(seed: int, lr: float = 1e-3, init_std: float | None = None) -> Setup:
    """The Sparse Transformer on the Markov text (batch 16 of 32), next-token cross-entropy, Adam lr 1e-3 betas (0.9,
    0.95) (set here; the paper's warm-up and cosine decay left out); ``init_std``: see
    :class:`~.fresh63_models.SparseTransformer`."""
    torch.manual_seed(seed)
    model = M.SparseTransformer(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.95))
    return _xy(model, opt, tokens(seed), lm_loss)


def luna(seed: int, lr: float = 5e-4, drop: float = 0.1, shuffled: bool = False) -> Setup:
    """Luna on the topic texts (batch 32 of 16), cross-entropy, AdamW (fairseq's Adam with decoupled decay) at lr 5e-4,
    betas (0.9, 0.98), weight decay 0.01 (set here); ``drop``: every
    dropout's rate (the embeddings', the attention outputs', the feed-forward's); ``shuffled``: see :func:`texts`."""
    torch.manual_seed(seed)
    model = M.Luna(drop=drop)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    return _xy(model, opt, texts(seed, shuffled=shuffled), F.cross_entropy)


def deep_speech(seed: int, lr: float = 1e-2, layers: int = 3, bias: float | None = None,
                radius: float | None = None, drop_over_p: bool = False) -> Setup:
    """Deep Speech on the phone frames (batch 32 of 32), per-frame cross-entropy, SGD with the paper's Nesterov
    momentum 0.99 at lr 1e-3 (set here); ``layers``, ``bias``, ``radius``: see
    :class:`~.fresh63_models2.DeepSpeech`."""
    torch.manual_seed(seed)
    model = M2.DeepSpeech(layers=layers, bias=bias, radius=radius, drop_over_p=drop_over_p)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.99, nesterov=True)
    return _xy(model, opt, frames(seed), lm_loss)


def open_unmix(seed: int, lr: float = 1e-3, weight_decay: float = 1e-5, raw_scale: bool = False) -> Setup:
    """Open-Unmix on the mixtures (batch 16 of 32 frames), MSE on the magnitudes, Adam at the reference code's lr 1e-3
    and weight decay 1e-5. The input statistics are the first 8 training batches' per-bin mean and std, the scale
    ``1 / max(std, 1e-4 max(std))`` (the reference code's guard); ``raw_scale``: ``1 / std`` (the empty bins' scale
    is ``1 / 0 = inf`` and ``0 * inf`` NaN)."""
    torch.manual_seed(seed)
    batches = mixtures(seed)
    mix = torch.cat([batches(i)[0] for i in range(8)]).flatten(0, 1)
    mean, std = mix.mean(0), mix.std(0)
    scale = 1 / std if raw_scale else 1 / torch.maximum(std, 1e-4 * std.max())
    model = M2.OpenUnmix(mean, scale)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, batches, F.mse_loss)


def ns_transformer(seed: int, lr: float = 1e-3, eps: float = 1e-5) -> Setup:
    """The Non-stationary Transformer on the series (batch 32), MSE, Adam lr 1e-3 (set here; the reference library's
    is 1e-4); ``eps``: see :class:`~.fresh63_models2.NSTransformer`."""
    torch.manual_seed(seed)
    model = M2.NSTransformer(eps=eps)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), series(seed), F.mse_loss)


def crossformer(seed: int, lr: float = 1e-3) -> Setup:
    """Crossformer on the series (batch 32), MSE, Adam lr 1e-3 (set here; the paper searches 1e-3 to 1e-5),
    one two-stage attention layer."""
    torch.manual_seed(seed)
    model = M2.Crossformer()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), series(seed), F.mse_loss)

