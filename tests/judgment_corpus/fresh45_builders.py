"""Builders of the forty-sixth held-out batch (``fresh45.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh45_models as M
from . import fresh45_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(450_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4500 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def shapes(seed: int, batch: int = 16, points: int = 128, res: int = 8) -> Callable[[int], Any]:
    """Spheres (radius 0.2 to 0.45) and boxes (half-sides 0.15 to 0.4) at random centres in [-0.2, 0.2]^3: each
    shape's 8^3 occupancy voxels and 128 uniform query points in [-0.5, 0.5]^3 with their occupancies:
    ``((voxels (b, 1, 8, 8, 8), points (b, 128, 3)), occupancy (b, 128))``."""
    c = (torch.arange(res).float() + 0.5) / res - 0.5
    cells = torch.stack(torch.meshgrid(c, c, c, indexing="ij"), -1).reshape(-1, 3)

    def inside(p: torch.Tensor, centre: torch.Tensor, size: torch.Tensor, box: torch.Tensor) -> torch.Tensor:
        d = p - centre[:, None]
        return torch.where(box[:, None], (d.abs() <= size[:, None]).all(-1), d.norm(dim=-1) <= size[:, :1]).float()

    def make(g: torch.Generator, _: int) -> Any:
        centre = 0.4 * torch.rand(batch, 3, generator=g) - 0.2
        box = torch.rand(batch, generator=g) < 0.5
        size = torch.where(box[:, None], 0.15 + 0.25 * torch.rand(batch, 3, generator=g),
                           (0.2 + 0.25 * torch.rand(batch, 1, generator=g)).expand(-1, 3))
        vox = inside(cells.expand(batch, -1, -1), centre, size, box).view(batch, 1, res, res, res)
        pts = torch.rand(batch, points, 3, generator=g) - 0.5
        return (vox, pts), inside(pts, centre, size, box)
    return _pool(seed, make)


def clouds(seed: int, batch: int = 16, points: int = 64) -> Callable[[int], Any]:
    """Point clouds of 64 points on ellipsoid surfaces (semi-axes 0.2 to 0.6, axis-aligned, centred): ``(points,
    points)``."""
    def make(g: torch.Generator, _: int) -> Any:
        u = torch.randn(batch, points, 3, generator=g)
        axes = 0.2 + 0.4 * torch.rand(batch, 1, 3, generator=g)
        x = u / u.norm(dim=-1, keepdim=True) * axes
        return x, x
    return _pool(seed, make)


def scans(seed: int, batch: int = 8, size: int = 24) -> Callable[[int], Any]:
    """Medical-style 24x24 scans: one or two small bright ellipses (lesions, +1, semi-axes 1.5 to 3.5 pixels: about 5%
    of the pixels) on a smooth random background (6x6 fields upsampled, times 0.6) with N(0, 0.4^2) noise; the masks
    are the ellipses: ``(scans (b, 1, 24, 24), masks (b, 24, 24))``."""
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        mask = torch.zeros(batch, size, size)
        for b in range(batch):
            for _k in range(int(torch.randint(1, 3, (1,), generator=g))):
                cy, cx = (3 + (size - 6) * torch.rand(2, generator=g)).tolist()
                ry, rx = (1.5 + 2 * torch.rand(2, generator=g)).tolist()
                mask[b] = torch.maximum(mask[b], (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1).float())
        bg = 0.6 * F.interpolate(torch.randn(batch, 1, 6, 6, generator=g), size=(size, size), mode="bilinear",
                                 align_corners=False)
        return bg + mask[:, None] + 0.4 * torch.randn(batch, 1, size, size, generator=g), mask
    return _pool(seed, make)


def hyperspectral(seed: int, batch: int = 32, bands: int = 16, patch: int = 9, classes: int = 8, shuffled: bool = False
                  ) -> Callable[[int], Any]:
    """Hyperspectral patches (9x9 pixels, 16 principal components): each class a fixed spectrum; the centre pixel's
    class fills a square of half-side 1 to 3 around it, another class the rest; each pixel its class's spectrum times
    an abundance in [0.7, 1.3] plus N(0, 0.5^2) noise; the label is the centre pixel's class: ``(patches (b, 16, 9,
    9), class (b,))``. ``shuffled``: the labels permuted within every batch, apart from their patches."""
    spectra = torch.randn(classes, bands, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        other = (y + torch.randint(1, classes, (batch,), generator=g)) % classes
        r = torch.randint(1, 4, (batch, 1, 1), generator=g)
        i = (torch.arange(patch) - patch // 2).abs()
        centre = (torch.maximum(i[:, None], i[None]) <= r)[:, None]
        x = torch.where(centre, spectra[y][..., None, None], spectra[other][..., None, None])
        x = x * (0.7 + 0.6 * torch.rand(batch, 1, patch, patch, generator=g))
        x = x + 0.5 * torch.randn(x.shape, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def _phenology(g: torch.Generator, batch: int, dates: int, classes: int) -> tuple[torch.Tensor, ...]:
    """Raw blue, green, red and NIR reflectances of crop-like vegetation curves (a class's green-up and senescence
    dates, amplitude and base; each series shifted by up to two dates), plus noise 0.01, and the classes."""
    fg = _fixed(2)
    up, down = 2 + 10 * torch.rand(classes, generator=fg), 14 + 8 * torch.rand(classes, generator=fg)
    amp, base = 0.4 + 0.5 * torch.rand(classes, generator=fg), 0.1 * torch.rand(classes, generator=fg)
    y = torch.randint(0, classes, (batch,), generator=g)
    t = torch.arange(dates).float() - torch.randint(-2, 3, (batch, 1), generator=g)
    veg = base[y, None] + amp[y, None] * (torch.sigmoid((t - up[y, None]) / 1.5)
                                          - torch.sigmoid((t - down[y, None]) / 1.5))
    n = 0.01 * torch.randn(batch, 4, dates, generator=g)
    bands = torch.stack([0.05 + 0.03 * (1 - veg), 0.08 + 0.04 * (1 - veg), 0.12 - 0.08 * veg, 0.15 + 0.35 * veg], 1)
    return bands + n, y


def satellite_series(seed: int, batch: int = 32, dates: int = 24, classes: int = 6, ndvi_eps: float = 1e-6
                     ) -> Callable[[int], Any]:
    """Satellite image time series of 24 dates: the four raw bands of :func:`_phenology` with three random dates of
    each pixel cloud-masked to Sentinel-2's no-data value 0 in every band, plus NDVI, ``(NIR - red) / (NIR + red +
    eps)``; the five channels standardised by fixed means and stds: ``(series (b, 5, 24), class (b,))``.
    ``ndvi_eps``: the eps in NDVI's denominator (at 0 the masked dates' NDVI is ``0 / 0``)."""
    mean = torch.tensor([0.060, 0.090, 0.095, 0.240, 0.500])[:, None]
    std = torch.tensor([0.020, 0.030, 0.040, 0.120, 0.300])[:, None]

    def make(g: torch.Generator, _: int) -> Any:
        bands, y = _phenology(g, batch, dates, classes)
        cloudy = torch.rand(batch, dates, generator=g).argsort(1)[:, :3]
        bands = bands.scatter(2, cloudy[:, None].expand(-1, 4, -1), 0.0)
        red, nir = bands[:, 2], bands[:, 3]
        x = torch.cat([bands, ((nir - red) / (nir + red + ndvi_eps))[:, None]], 1)
        return (x - mean) / std, y
    return _pool(seed, make)


def handwriting(seed: int, batch: int = 16, chars: int = 8, height: int = 16, width: int = 48,
                shuffled: bool = False) -> Callable[[int], Any]:
    """Handwriting-like lines: each of 8 characters a fixed smooth 16x8 glyph (4x2 noise upsampled, then tanh of
    twice it), three to five of them written left to right with gaps of 0 or 1 pixel and a vertical jitter of one
    pixel, plus N(0, 0.3^2) noise: ``(lines (b, 1, 16, 48), (targets (b, 5), lengths (b,)))``, the characters
    numbered 1 to 8 (CTC's blank is 0). ``shuffled``: the transcripts permuted within every batch, apart from their
    lines."""
    glyphs = torch.tanh(2 * F.interpolate(torch.randn(chars, 1, 4, 2, generator=_fixed(3)), size=(height, 8),
                                          mode="bilinear", align_corners=False))[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.zeros(batch, 1, height, width)
        tgt = torch.zeros(batch, 5, dtype=torch.long)
        lengths = torch.randint(3, 6, (batch,), generator=g)
        for b in range(batch):
            pos = 0
            for k in range(int(lengths[b])):
                c = int(torch.randint(0, chars, (1,), generator=g))
                tgt[b, k] = c + 1
                pos += int(torch.randint(0, 2, (1,), generator=g))
                dy = int(torch.randint(-1, 2, (1,), generator=g))
                x[b, 0, :, pos:pos + 8] += torch.roll(glyphs[c], dy, 0)
                pos += 8
        x = x + 0.3 * torch.randn(x.shape, generator=g)
        if shuffled:
            perm = torch.randperm(batch, generator=g)
            tgt, lengths = tgt[perm], lengths[perm]
        return x, (tgt, lengths)
    return _pool(seed, make)


def melodies(seed: int, batch: int = 16, length: int = 33, vocab: int = 32) -> Callable[[int], Any]:
    """Melodies of pitch tokens 1 to 31 (0 is the pad): a motif of 8 notes, a random walk of steps -3 to 3, repeated
    through the piece with 10% of its notes changed at random; each piece 24 to 33 tokens long, padded with 0 to 33:
    ``(tokens (b, 32), next tokens (b, 32))`` (the pad targets ignored by the loss)."""
    def make(g: torch.Generator, _: int) -> Any:
        steps = torch.randint(-3, 4, (batch, 8), generator=g)
        start = torch.randint(8, 24, (batch, 1), generator=g)
        motif = (start + steps.cumsum(1) - 1) % (vocab - 1) + 1
        x = motif.repeat(1, (length + 7) // 8)[:, :length]
        change = torch.rand(batch, length, generator=g) < 0.1
        x = torch.where(change, torch.randint(1, vocab, (batch, length), generator=g), x)
        n = torch.randint(24, length + 1, (batch, 1), generator=g)
        x = x.masked_fill(torch.arange(length) >= n, 0)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def demonstrations(seed: int, batch: int = 64, negatives: int = 63) -> Callable[[int], Any]:
    """Expert demonstrations of a point mass reaching a goal: observations (position, goal) uniform in [-1, 1]^4, the
    expert's action ``clip(2 (goal - position), -1, 1)`` (a saturated proportional controller); each observation with
    its expert action first and 63 counter-examples drawn uniformly from the action box [-1, 1]^2 (implicit BC's
    uniform negatives): ``((observations (b, 4), candidates (b, 64, 2)), index of the expert action (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        o = 2 * torch.rand(batch, 4, generator=g) - 1
        expert = (2 * (o[:, 2:] - o[:, :2])).clamp(-1, 1)
        neg = 2 * torch.rand(batch, negatives, 2, generator=g) - 1
        return (o, torch.cat([expert[:, None], neg], 1)), torch.zeros(batch, dtype=torch.long)
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def ctc_loss(logp: torch.Tensor, target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """CTC over the recogniser's ``(frames, batch, 9)`` log-probabilities (blank 0), every line its 24 frames."""
    tgt, lengths = target
    frames = torch.full((logp.shape[1],), logp.shape[0], dtype=torch.long)
    return F.ctc_loss(logp, tgt, frames, lengths, blank=0, zero_infinity=False)


def melody_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy, the pad targets (0) ignored."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=0)


def chamfer(pred: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The Chamfer distance between the reconstruction and the cloud: the mean squared distance to the nearest point,
    each way, summed."""
    d = ((pred[:, :, None] - x[:, None]) ** 2).sum(-1)
    return d.amin(2).mean() + d.amin(1).mean()


class EMAWriteBack(torch.optim.Adam):
    """Adam followed by an EMA of the weights (decay 0.999), the EMA kept as a deep copy of the model; ``write_back``:
    after each EMA update the EMA is also copied onto the model, ``ema.copy_to(model.parameters())`` read as "copy
    the model to the EMA" (the eval-time swap meant only for evaluation, done every step)."""

    def __init__(self, model: nn.Module, decay: float = 0.999, write_back: bool = False, **kw: Any) -> None:
        super().__init__(model.parameters(), **kw)
        self.model, self.decay, self.write_back = model, decay, write_back
        self.shadow = [p.detach().clone() for p in model.parameters()]

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[no-untyped-def, override]
        out = super().step(closure)
        for s, p in zip(self.shadow, self.model.parameters()):
            s.lerp_(p, 1 - self.decay)
            if self.write_back:
                p.copy_(s)
        return out


# ---- builders --------------------------------------------------------------------------------------------------------

def imnet(seed: int, lr: float = 3e-3, init_std: float | None = None) -> Setup:
    """IM-NET on the shapes (16 shapes of 128 query points), MSE on the occupancies, Adam betas (0.5, 0.999) as the
    reference code, at lr 3e-3 (set here: at the reference's 5e-5 the narrowed decoder only fits the mean occupancy
    in 200 steps); ``init_std``: see :class:`~.fresh45_models.IMNet`."""
    torch.manual_seed(seed)
    model = M.IMNet(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
    return _xy(model, opt, shapes(seed), F.mse_loss)


def foldingnet(seed: int, lr: float = 1e-3, relu_bias: float | None = None) -> Setup:
    """FoldingNet on the ellipsoid clouds (batch 16 of 64 points), the Chamfer distance, Adam at lr 1e-3 (ten times
    the paper's 1e-4, set here for 200 steps); ``relu_bias``: see :class:`~.fresh45_models.FoldingNet`."""
    torch.manual_seed(seed)
    model = M.FoldingNet(relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), clouds(seed), chamfer)


def multiresunet(seed: int, lr: float = 3e-3, ema_write_back: bool = False, head_bn: bool = False) -> Setup:
    """MultiResUNet on the scans (batch 8), per-pixel binary cross-entropy (the paper's), Adam (the paper's optimiser)
    at lr 3e-3 (three times Keras' default, set here for 200 steps) followed by an EMA of the weights (decay 0.999,
    kept for evaluation); ``head_bn``: see :class:`~.fresh45_models.MultiResUNet`; ``ema_write_back``: see
    :class:`EMAWriteBack`."""
    torch.manual_seed(seed)
    model = M.MultiResUNet(head_bn=head_bn)
    opt = EMAWriteBack(model, write_back=ema_write_back, lr=lr)
    return _xy(model, opt, scans(seed), F.binary_cross_entropy_with_logits)


def hybridsn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, shuffled: bool = False) -> Setup:
    """HybridSN on the hyperspectral patches (batch 32), cross-entropy, Adam at the paper's lr 1e-3 (its decay 1e-6
    of the lr per update left out); ``weight_decay``: Adam's (coupled L2); ``shuffled``: see :func:`hyperspectral`."""
    torch.manual_seed(seed)
    model = M.HybridSN()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, hyperspectral(seed, shuffled=shuffled), F.cross_entropy)


def tempcnn(seed: int, lr: float = 1e-3, init_by_dim: bool = False, ndvi_eps: float = 1e-6) -> Setup:
    """TempCNN on the satellite series (batch 32), cross-entropy, Adam at Keras' default lr 1e-3 (the reference's
    optimiser) with an L2 of 1e-6 as weight decay (set here); ``init_by_dim``: see :class:`~.fresh45_models2.TempCNN`;
    ``ndvi_eps``: see :func:`satellite_series`."""
    torch.manual_seed(seed)
    model = M2.TempCNN(init_by_dim=init_by_dim)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-6)
    return _xy(model, opt, satellite_series(seed, ndvi_eps=ndvi_eps), F.cross_entropy)


def gated_htr(seed: int, lr: float = 2e-3, rec_std: float | None = None, shuffled: bool = False) -> Setup:
    """The gated recogniser on the handwriting lines (batch 16), CTC, RMSprop at lr 2e-3 (set here; the paper trains
    with RMSProp); ``rec_std``: see :class:`~.fresh45_models2.GatedHTR`; ``shuffled``: see :func:`handwriting`."""
    torch.manual_seed(seed)
    model = M2.GatedHTR(rec_std=rec_std)
    return _xy(model, torch.optim.RMSprop(model.parameters(), lr=lr), handwriting(seed, shuffled=shuffled), ctc_loss)


def music_transformer(seed: int, lr: float = 1e-3, init_std: float | None = None, zero_head: bool = False,
                      unit_rows: bool = False) -> Setup:
    """The Music Transformer on the melodies (batch 16 of 32 tokens), next-token cross-entropy without the pads, Adam
    betas (0.9, 0.98) eps 1e-9 (Vaswani et al.'s) at lr 1e-3 without the warm-up (set here); ``init_std``,
    ``zero_head``, ``unit_rows``: see :class:`~.fresh45_models2.MusicTransformer`."""
    torch.manual_seed(seed)
    model = M2.MusicTransformer(init_std=init_std, zero_head=zero_head, unit_rows=unit_rows)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    return _xy(model, opt, melodies(seed), melody_loss)


def implicit_bc(seed: int, lr: float = 1e-3, hidden: int = 4, weight_decay: float = 0.0) -> Setup:
    """Implicit BC on the demonstrations (batch 64, 63 counter-examples each), InfoNCE (cross-entropy over the
    negated energies, the expert action the target), Adam at lr 1e-3; ``hidden``: the number of hidden
    layers (see :class:`~.fresh45_models2.ImplicitBC`); ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.ImplicitBC(hidden=hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, demonstrations(seed), F.cross_entropy)
