"""Builders of the forty-second held-out batch (``fresh41.py``): standard models new to the corpus at their usual
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

from . import fresh41_models as M
from . import fresh41_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(410_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 32, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x32x32 template per class (10 classes) plus N(0, 0.8^2) noise."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def keywords(seed: int, batch: int = 32, mel: int = 40, frames: int = 32, classes: int = 8, floor: float = 1e-6
             ) -> Callable[[int], Any]:
    """Keyword clips as log-mel features ``log(P + floor)`` of mel power spectrograms ``P`` (40 bands, 32 frames): a
    fixed smooth 40x12 log-power pattern per keyword at a random onset (frames 0 to 12) with N(0, 0.5^2) jitter over
    background noise of power ``0.05 U(0, 1)``; each clip is 22 to 31 frames long and zero-padded (digital silence,
    power exactly 0) to 32: ``(features (b, 1, 40, 32), keyword (b,))``. ``floor=0``: the log taken without it."""
    pat = 2 * F.interpolate(torch.randn(classes, 1, 8, 4, generator=_fixed(2)), size=(mel, 12), mode="bilinear",
                            align_corners=False)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        p = 0.05 * torch.rand(batch, mel, frames, generator=g)
        onset = torch.randint(0, 13, (batch,), generator=g)
        length = torch.randint(22, 32, (batch,), generator=g)
        for i in range(batch):
            s = int(onset[i])
            p[i, :, s:s + 12] += torch.exp(pat[y[i]] + 0.5 * torch.randn(mel, 12, generator=g))
            p[i, :, int(length[i]):] = 0.0
        return torch.log(p + floor)[:, None] if floor else torch.log(p)[:, None], y
    return _pool(seed, make)


def utterances(seed: int, batch: int = 32, mel: int = 24, frames: int = 16, classes: int = 4,
               sort_inputs_only: bool = False) -> Callable[[int], Any]:
    """Utterances of 12 to 16 frames of 24 standardised log-mel bands, zero-padded to 16: the class is a fixed 24x5
    pattern of the four spoken in frames 1 to 5 (of amplitude 1.5), followed by one of eight fixed filler patterns per
    5-frame stretch (no class information); N(0, 0.5^2) noise everywhere before the padding:
    ``((features (b, 24, 16), lengths (b,)), class (b,))``. ``sort_inputs_only``: the collate sorts the features and
    the lengths by decreasing length (for ``pack_padded_sequence(enforce_sorted=True)``), the labels left in loader
    order."""
    fg = _fixed(3)
    marks, fillers = 1.5 * torch.randn(classes, mel, 5, generator=fg), torch.randn(8, mel, 5, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.5 * torch.randn(batch, mel, frames, generator=g)
        lengths = torch.randint(12, frames + 1, (batch,), generator=g)
        x[:, :, 1:6] += marks[y]
        for s in range(6, frames - 4, 5):
            x[:, :, s:s + 5] += fillers[torch.randint(0, 8, (batch,), generator=g)]
        x = x * (torch.arange(frames) < lengths[:, None])[:, None].float()
        if sort_inputs_only:
            order = lengths.argsort(descending=True)
            x, lengths = x[order], lengths[order]
        return (x, lengths), y
    return _pool(seed, make)


def series(seed: int, batch: int = 32, variables: int = 4, lookback: int = 64, horizon: int = 16
           ) -> Callable[[int], Any]:
    """Multivariate series: each variable two sinusoids of fixed periods (between 6 and 40 steps) with random phases
    and amplitudes (0.5 to 1.5) on a random level (0 to 5) plus N(0, 0.1^2) noise; the look-back of 64 steps and the
    next 16: ``(look-back (b, 4, 64), future (b, 4, 16))``."""
    periods = 6 + 34 * torch.rand(variables, 2, generator=_fixed(4))
    t = torch.arange(lookback + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        ph = 2 * math.pi * torch.rand(batch, variables, 2, 1, generator=g)
        amp = 0.5 + torch.rand(batch, variables, 2, 1, generator=g)
        x = (amp * torch.sin(2 * math.pi * t / periods[..., None] + ph)).sum(2)
        x = x + 5 * torch.rand(batch, variables, 1, generator=g) + 0.1 * torch.randn(x.shape, generator=g)
        return x[..., :lookback], x[..., lookback:]
    return _pool(seed, make)


def table(seed: int, rows: int = POOL * 64, classes: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """A raw tabular data set of 8 columns of mixed kinds and scales from 8 latent N(0, 1) factors ``z``: an income
    ``exp(10 + 0.5 z0)``, an age ``40 + 12 z1``, a zero-inflated count ``floor(3 exp(z2))`` where ``z2 > 1`` and 0
    elsewhere (84% zeros), a ratio ``0.01 z3``, a flag ``z4 > 0``, and ``1000 z5``, ``z6``, ``0.1 z7``; the class is
    the argmax of a fixed random two-layer tanh teacher on ``z``: ``(features (rows, 8), class (rows,))``."""
    g = _gen(seed)
    w1, w2 = torch.randn(8, 32, generator=_fixed(5)), torch.randn(32, classes, generator=_fixed(6))
    z = torch.randn(rows, 8, generator=g)
    y = (torch.tanh(z @ w1) @ w2).argmax(1)
    count = torch.where(z[:, 2] > 1.0, torch.floor(3 * z[:, 2].exp()), torch.zeros(rows))
    x = torch.stack([torch.exp(10 + 0.5 * z[:, 0]), 40 + 12 * z[:, 1], count, 0.01 * z[:, 3], (z[:, 4] > 0).float(),
                     1000 * z[:, 5], z[:, 6], 0.1 * z[:, 7]], 1)
    return x, y


def robust_scale(x: torch.Tensor, fallback: bool = True) -> torch.Tensor:
    """RealMLP's preprocessing, fitted on the whole table: every column centred on its median and multiplied by
    ``1 / (q_3/4 - q_1/4)``, or, where the quartiles coincide, by ``2 / (max - min)`` (the reference code's
    fallback); then the smooth clipping ``x / sqrt(1 + (x / 3)^2)``. ``fallback=False``: a hand-written robust scaler
    without the fallback (the zero-inflated count's quartiles are both 0: ``0 * inf`` is NaN)."""
    med = x.median(0).values
    q1, q3 = x.quantile(0.25, 0), x.quantile(0.75, 0)
    iqr = q3 - q1
    factor = 1 / iqr
    if fallback:
        factor = torch.where(iqr > 0, factor, 2 / (x.amax(0) - x.amin(0)))
    z = (x - med) * factor
    return z / (1 + (z / 3) ** 2).sqrt()


def tabular(seed: int, batch: int = 64, preprocess: str = "robust") -> Callable[[int], Any]:
    """The table's rows in batches of 64, preprocessed by :func:`robust_scale` (``"robust"``), by it without its
    fallback (``"no_fallback"``) or not at all (``"raw"``)."""
    x, y = table(seed)
    if preprocess != "raw":
        x = robust_scale(x, fallback=preprocess == "robust")
    pool = [(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]) for i in range(POOL)]
    return lambda step: pool[step % POOL]


def _shape(kind: int, n: int, g: torch.Generator) -> torch.Tensor:
    u, v = torch.rand(n, generator=g), torch.rand(n, generator=g)
    a = 2 * math.pi * u
    if kind == 0:  # sphere
        p = torch.randn(n, 3, generator=g)
        return p / p.norm(dim=1, keepdim=True)
    if kind == 1:  # cube surface
        p = 2 * torch.rand(n, 3, generator=g) - 1
        face = torch.randint(0, 3, (n,), generator=g)
        p[torch.arange(n), face] = torch.where(v < 0.5, -1.0, 1.0)
        return p
    if kind == 2:  # cylinder
        return torch.stack([a.cos(), a.sin(), 2 * v - 1], 1)
    if kind == 3:  # cone
        return torch.stack([(1 - v) * a.cos(), (1 - v) * a.sin(), 2 * v - 1], 1)
    b = 2 * math.pi * v  # torus
    return torch.stack([(1 + 0.4 * b.cos()) * a.cos(), (1 + 0.4 * b.cos()) * a.sin(), 0.4 * b.sin()], 1)


def clouds(seed: int, batch: int = 16, points: int = 64, classes: int = 5) -> Callable[[int], Any]:
    """Point clouds of 128 points sampled on one of five surfaces (sphere, cube, cylinder, cone, torus), randomly
    rotated about z, scaled by U(0.8, 1.25) per axis, jittered by N(0, 0.02^2), centred and scaled into the unit
    sphere: ``(points (b, 128, 3), shape (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        out = []
        for k in y.tolist():
            p = _shape(k, points, g) * (0.8 + 0.45 * torch.rand(3, generator=g))
            a = float(2 * math.pi * torch.rand(1, generator=g))
            rot = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
            p = p @ rot.T + 0.02 * torch.randn(points, 3, generator=g)
            p = p - p.mean(0)
            out.append(p / p.norm(dim=1).max())
        return torch.stack(out), y
    return _pool(seed, make)


def _blob_frames(pos: torch.Tensor, size: int) -> torch.Tensor:
    """Frames of a Gaussian blob (std 1.5 pixels) at ``pos`` (``(..., 2)``, row and column), on a torus of side
    ``size``: ``(..., size, size)``."""
    r = torch.arange(size).float()
    dr = (r - pos[..., 0, None]).remainder(size)
    dc = (r - pos[..., 1, None]).remainder(size)
    dr, dc = torch.minimum(dr, size - dr), torch.minimum(dc, size - dc)
    return torch.exp(-(dr[..., :, None] ** 2 + dc[..., None, :] ** 2) / (2 * 1.5 ** 2))


def moving_clips(seed: int, batch: int = 16, frames: int = 8, size: int = 16, hf_mask: bool = False
                 ) -> Callable[[int], Any]:
    """Variable-length clips for ViViT: a bright blob (peak 2) moving two pixels a frame up, down, left or right (the
    class) from a random start, wrapping around a 16x16 frame, 3 channels of N(0, 0.1^2) noise; each clip 4 to 7
    frames long, zero-padded to 8, with its padding mask over the four 2-frame tubelets (True: padding; every clip
    has at least one): ``((clips (b, 3, 8, 16, 16), pad mask (b, 4)), direction (b,))``. ``hf_mask``: the collate's
    mask built the Hugging Face way, True for the tubelets to keep, and passed as it is to ``src_key_padding_mask``
    (which ignores the True positions)."""
    steps = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [0.0, -1.0], [0.0, 1.0]])

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        start = size * torch.rand(batch, 1, 2, generator=g)
        pos = start + 2 * torch.arange(frames).float()[None, :, None] * steps[y][:, None]
        x = 2 * _blob_frames(pos, size)[:, None].expand(-1, 3, -1, -1, -1)
        x = x + 0.1 * torch.randn(batch, 3, frames, size, size, generator=g)
        length = torch.randint(4, 8, (batch,), generator=g)
        x = x * (torch.arange(frames) < length[:, None]).float()[:, None, :, None, None]
        valid = torch.arange(frames // 2) < (length // 2)[:, None]
        return (x, valid if hf_mask else ~valid), y
    return _pool(seed, make)


def sideways_clips(seed: int, batch: int = 16, frames: int = 8, size: int = 16, hflip: bool = False
                   ) -> Callable[[int], Any]:
    """Clips for SlowFast: a bright blob moving one pixel a frame left or right (the class) at a random height from a
    random start, wrapping around a 16x16 frame, 3 channels of N(0, 0.3^2) noise: ``(clips (b, 3, 8, 16, 16),
    direction (b,))``. ``hflip``: the Kinetics recipe's random horizontal flip (probability 0.5) in the clip
    pipeline, the labels unchanged."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 2, (batch,), generator=g)
        start = size * torch.rand(batch, 1, 2, generator=g)
        step = torch.stack([torch.zeros(batch), 2.0 * y - 1], 1)
        pos = start + torch.arange(frames).float()[None, :, None] * step[:, None]
        x = _blob_frames(pos, size)[:, None].expand(-1, 3, -1, -1, -1)
        x = x + 0.3 * torch.randn(batch, 3, frames, size, size, generator=g)
        if hflip:
            flip = torch.rand(batch, generator=g) < 0.5
            x = torch.where(flip[:, None, None, None, None], x.flip(-1), x)
        return x, y
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def fasternet(seed: int, lr: float = 1e-3, weight_decay: float = 0.005) -> Setup:
    """FasterNet on the class-template images (batch 32), cross-entropy, AdamW at lr 1e-3 (set here for the batch of
    32) with FasterNet-T0's weight decay 0.005."""
    torch.manual_seed(seed)
    model = M.FasterNet()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def bc_resnet(seed: int, lr: float = 0.1, weight_decay: float = 1e-3, floor: float = 1e-6) -> Setup:
    """BC-ResNet on the keyword clips (batch 32), cross-entropy, SGD at the paper's peak lr 0.1, momentum 0.9, weight
    decay 1e-3 (its warm-up and cosine schedule left out); ``floor``: see :func:`keywords`."""
    torch.manual_seed(seed)
    model = M.BCResNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, keywords(seed, floor=floor), F.cross_entropy)


def cldnn(seed: int, lr: float = 1e-3, dnn_layers: int = 2, relu_bias: float | None = None,
          forget_bias: float | None = None, sort_inputs_only: bool = False) -> Setup:
    """CLDNN on the utterances (batch 32), cross-entropy, Adam at lr 1e-3 (set here; the paper trains with
    asynchronous SGD); ``dnn_layers``, ``relu_bias``, ``forget_bias``: see :class:`~.fresh41_models.CLDNN`;
    ``sort_inputs_only``: see :func:`utterances` (the model then packs with ``enforce_sorted=True``)."""
    torch.manual_seed(seed)
    model = M.CLDNN(dnn_layers=dnn_layers, relu_bias=relu_bias, forget_bias=forget_bias,
                    enforce_sorted=sort_inputs_only)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), utterances(seed, sort_inputs_only=sort_inputs_only),
               F.cross_entropy)


def modern_tcn(seed: int, lr: float = 1e-3) -> Setup:
    """ModernTCN on the multivariate series (batch 32), MSE, Adam at lr 1e-3 (set here)."""
    torch.manual_seed(seed)
    model = M.ModernTCN()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), series(seed), F.mse_loss)


def realmlp(seed: int, lr: float = 0.04, weight_decay: float = 0.0, preprocess: str = "robust") -> Setup:
    """RealMLP on the table (batch 64), cross-entropy with label smoothing 0.1, AdamW at RealMLP-TD's lr 0.04, betas
    (0.9, 0.95), no weight decay (its coslog4 schedule left out); ``preprocess``: see :func:`tabular`."""
    torch.manual_seed(seed)
    model = M2.RealMLP()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    return _xy(model, opt, tabular(seed, preprocess=preprocess),
               lambda out, y: F.cross_entropy(out, y, label_smoothing=0.1))


def pct(seed: int, lr: float = 0.01, weight_decay: float = 5e-4) -> Setup:
    """PCT on the point clouds (batch 16), cross-entropy, SGD at the reference code's lr 0.01, momentum 0.9, weight
    decay 5e-4 (its cosine schedule left out)."""
    torch.manual_seed(seed)
    model = M2.PCT()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, clouds(seed), F.cross_entropy)


def vivit(seed: int, lr: float = 3e-4, init_std: float = 0.02, hf_mask: bool = False) -> Setup:
    """ViViT on the variable-length moving clips (batch 16), cross-entropy, AdamW at lr 3e-4 with weight decay 0.05
    (ViT-style settings from scratch, set here; the paper fine-tunes from ViT with SGD); ``init_std``: see
    :class:`~.fresh41_models2.ViViT`; ``hf_mask``: see :func:`moving_clips`."""
    torch.manual_seed(seed)
    model = M2.ViViT(init_std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    return _xy(model, opt, moving_clips(seed, hf_mask=hf_mask), F.cross_entropy)


def slowfast(seed: int, lr: float = 0.1, bn: bool = True, hflip: bool = False) -> Setup:
    """SlowFast on the sideways clips (batch 16), cross-entropy, SGD at the reference configs' base lr 0.1, momentum
    0.9, weight decay 1e-4; ``bn``: see :class:`~.fresh41_models2.SlowFast`; ``hflip``: see
    :func:`sideways_clips`."""
    torch.manual_seed(seed)
    model = M2.SlowFast(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, sideways_clips(seed, hflip=hflip), F.cross_entropy)
