"""Builders of the hundred-and-first held-out batch (``fresh100.py``): generative, self-supervised, time-series and
scientific models new to the corpus at their usual settings, and broken variants with one real fault each, plus the
small synthetic data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run
on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(1_000_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(100_100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _init_normal(model: nn.Module, std: float | None = None, zero: bool = False) -> None:
    """Every Linear/Conv weight drawn N(0, std^2) (``std``) or set to 0 with its bias (``zero``)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            with torch.no_grad():
                if zero:
                    m.weight.zero_()
                    if m.bias is not None:
                        m.bias.zero_()
                elif std is not None:
                    m.weight.normal_(0.0, std)


def _plain_stack(width: int, layers: int) -> nn.Sequential:
    """``layers`` Linear+ReLU layers of ``width`` at PyTorch's default init."""
    mods: list[nn.Module] = []
    for _ in range(layers):
        mods += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*mods)


# ---- i-ResNet (residual flow) ----------------------------------------------------------------------------------------

def ring(seed: int, batch: int = 128, modes: int = 8, radius: float = 4.0, std: float = 0.4) -> Callable[[int], Any]:
    """2-D points from a ring of eight Gaussians (radius 4, std 0.4): ``(points (b, 2), unused)``."""
    centres = radius * torch.stack([torch.cos(2 * math.pi * torch.arange(modes) / modes),
                                    torch.sin(2 * math.pi * torch.arange(modes) / modes)], 1)

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.randint(0, modes, (batch,), generator=g)
        return centres[k] + std * torch.randn(batch, 2, generator=g), torch.zeros(batch)
    return _pool(seed, make)


class ActNorm(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(d))
        self.log_scale = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (x + self.shift) * self.log_scale.exp(), self.log_scale.sum().expand(x.shape[0])


class InvertibleBlock(nn.Module):
    """``x + g(x)``, ``g`` an ELU MLP whose Linears are spectrally normalised (one power iteration a step) and scaled
    by ``coeff`` = 0.9, so Lip(g) < 1; the log-determinant by the truncated power series ``sum_k (-1)^(k+1) tr(J^k) /
    k`` with exact traces of the 2x2 Jacobian (``sn``: False leaves the weights unnormalised)."""

    def __init__(self, d: int = 2, hidden: int = 64, coeff: float = 0.9, terms: int = 5, sn: bool = True) -> None:
        super().__init__()
        lins = [nn.Linear(d, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, d)]
        if sn:
            lins = [nn.utils.parametrizations.spectral_norm(lin) for lin in lins]
        self.lins = nn.ModuleList(lins)
        self.coeff = coeff if sn else 1.0
        self.terms = terms

    def g(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, lin in enumerate(self.lins):
            h = self.coeff * lin(h)
            if i < len(self.lins) - 1:
                h = F.elu(h)
        return h

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not x.requires_grad:
            x = x.requires_grad_(True)
        gx = self.g(x)
        rows = [torch.autograd.grad(gx[:, i].sum(), x, create_graph=True)[0] for i in range(x.shape[1])]
        jac = torch.stack(rows, 1)  # (b, d, d)
        logdet = torch.zeros(x.shape[0])
        power = jac
        for k in range(1, self.terms + 1):
            logdet = logdet + (-1) ** (k + 1) * power.diagonal(dim1=1, dim2=2).sum(1) / k
            power = power @ jac
        return x + gx, logdet


class ResidualFlow(nn.Module):
    """i-ResNet (Behrmann et al. 2019) for 2-D densities: ActNorm, then ``blocks`` invertible residual blocks each
    followed by an ActNorm; returns the negative log-likelihood per point under a standard normal base."""

    def __init__(self, blocks: int = 4, sn: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = [ActNorm(2)]
        for _ in range(blocks):
            layers += [InvertibleBlock(sn=sn), ActNorm(2)]
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logdet = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return 0.5 * (x ** 2).sum(1) + math.log(2 * math.pi) - logdet


def residual_flow(seed: int, lr: float = 1e-3, sn: bool = True) -> Setup:
    """i-ResNet on the ring of Gaussians (batch 128), the mean negative log-likelihood, Adam at lr 1e-3 (the Residual
    Flows code's); ``sn``: see :class:`InvertibleBlock`."""
    torch.manual_seed(1_000_000 + seed)
    model = ResidualFlow(sn=sn)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, ring(seed), lambda nll, _: nll.mean())


# ---- TimeVAE ---------------------------------------------------------------------------------------------------------

def seasonal_series(seed: int, batch: int = 32, length: int = 24, features: int = 4) -> Callable[[int], Any]:
    """Multivariate series of 24 steps and 4 features: a random linear trend plus sinusoids of fixed per-feature
    periods with random amplitudes and phases, plus N(0, 0.1^2) noise, scaled to about [-1, 1]: ``(x, x)``."""
    periods = torch.tensor([6.0, 8.0, 12.0, 24.0])[:features]
    t = torch.arange(length).float()

    def make(g: torch.Generator, _: int) -> Any:
        amp = 0.3 + 0.5 * torch.rand(batch, 1, features, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, features, generator=g)
        slope = 0.5 * (torch.rand(batch, 1, features, generator=g) - 0.5)
        x = amp * torch.sin(2 * math.pi * t[None, :, None] / periods + ph) + slope * (t[None, :, None] / length - 0.5)
        x = x + 0.1 * torch.randn(x.shape, generator=g)
        return x, x
    return _pool(seed, make)


class TimeVAE(nn.Module):
    """TimeVAE (Desai et al. 2021): a conv encoder (50, 100, 200 filters, kernel 3, stride 2, ReLU) to a latent of 8;
    the decoder's trend block (polynomial of degree 2 per feature), its seasonal block (one season of 4 per feature,
    repeated) and its residual conv-transpose decoder, summed."""

    def __init__(self, length: int = 24, features: int = 4, latent: int = 8, hidden: tuple[int, ...] = (50, 100, 200),
                 degree: int = 2, season: int = 4) -> None:
        super().__init__()
        self.length, self.features, self.degree, self.season = length, features, degree, season
        convs, c = [], features
        for h in hidden:
            convs += [nn.Conv1d(c, h, 3, stride=2, padding=1), nn.ReLU()]
            c = h
        self.enc = nn.Sequential(*convs, nn.Flatten())
        self.enc_len = length // 2 ** len(hidden)
        flat = hidden[-1] * self.enc_len
        self.mu, self.logvar = nn.Linear(flat, latent), nn.Linear(flat, latent)
        self.trend = nn.Sequential(nn.Linear(latent, features * (degree + 1)), nn.ReLU(),
                                   nn.Linear(features * (degree + 1), features * (degree + 1)))
        self.seasonal = nn.Linear(latent, features * season)
        self.dec_in = nn.Linear(latent, flat)
        deconvs: list[nn.Module] = []
        rev = list(hidden[::-1])
        for i, h in enumerate(rev):
            out = rev[i + 1] if i + 1 < len(rev) else features
            deconvs += [nn.ConvTranspose1d(h, out, 3, stride=2, padding=1, output_padding=1)]
            if i + 1 < len(rev):
                deconvs += [nn.ReLU()]
        self.dec = nn.Sequential(*deconvs)
        self.hidden_last = hidden[-1]
        self.out = nn.Linear(length * features, length * features)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b = x.shape[0]
        h = self.enc(x.transpose(1, 2))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        t = torch.arange(self.length).float() / self.length
        poly = torch.stack([t ** p for p in range(self.degree + 1)], 0)  # (p, T)
        theta = self.trend(z).view(b, self.features, self.degree + 1)
        trend = (theta @ poly).transpose(1, 2)
        season = self.seasonal(z).view(b, self.features, self.season)
        idx = torch.arange(self.length) % self.season
        seasonal = season[:, :, idx].transpose(1, 2)
        r = self.dec(self.dec_in(z).view(b, self.hidden_last, self.enc_len))
        resid = self.out(r.transpose(1, 2).reshape(b, -1)).view(b, self.length, self.features)
        return trend + seasonal + resid, mu, logvar


def timevae_loss(out: tuple[torch.Tensor, ...], x: torch.Tensor, recon_weight: float = 3.0) -> torch.Tensor:
    """The reference code's loss: ``recon_weight`` times the squared error summed over time and features, plus the KL,
    both averaged over the batch."""
    xhat, mu, logvar = out
    recon = ((xhat - x) ** 2).sum((1, 2)).mean()
    kl = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)).mean()
    return recon_weight * recon + kl


def timevae(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """TimeVAE on the seasonal series (batch 32), Adam at the reference code's lr 1e-3; ``weight_decay``: AdamW with
    that decay instead."""
    torch.manual_seed(1_000_000 + seed)
    model = TimeVAE()
    if weight_decay:
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, seasonal_series(seed), timevae_loss)


# ---- Deep InfoMax ----------------------------------------------------------------------------------------------------

def template_images(seed: int, batch: int = 32, size: int = 16, classes: int = 10, noise: float = 0.6,
                    labels: bool = False) -> Callable[[int], Any]:
    """Class-template images (a fixed smooth 3x16x16 template per class plus noise): ``(images, class)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + noise * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


class DeepInfoMax(nn.Module):
    """Deep InfoMax (Hjelm et al. 2019), local objective, narrowed: a conv encoder (32 and 64 channels, the second
    stride 2, BatchNorm and ReLU) giving an 8x8 local map of 64, then a stride-2 conv of 128 and a Linear to a global
    vector of 64; the encode-and-dot critic (1x1 convs for the local features, an MLP for the global) and the JSD
    estimator over every local position against the other images' global vectors."""

    def __init__(self, relu_bias: float | None = None, bn: bool = True) -> None:
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(3, 32, 3, padding=1), nn.Conv2d(32, 64, 4, stride=2, padding=1)
        norm: Callable[[int], nn.Module] = nn.BatchNorm2d if bn else lambda c: nn.Identity()
        self.b1, self.b2 = norm(32), norm(64)
        self.c3, self.b3 = nn.Conv2d(64, 128, 4, stride=2, padding=1), norm(128)
        self.fc = nn.Linear(128 * 16, 64)
        self.local_net = nn.Sequential(nn.Conv2d(64, 128, 1), nn.ReLU(), nn.Conv2d(128, 128, 1))
        self.global_net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128))
        if relu_bias is not None:
            with torch.no_grad():
                for bn in (self.b1, self.b2, self.b3):
                    bn.bias.fill_(relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.b1(self.c1(x)))
        local = F.relu(self.b2(self.c2(h)))
        glob = self.fc(F.relu(self.b3(self.c3(local))).flatten(1))
        lf = self.local_net(local).flatten(2)  # (b, 128, 64)
        gf = self.global_net(glob)  # (b, 128)
        scores = torch.einsum("bc,ncl->bnl", gf, lf)  # global i against image n's local positions
        b = x.shape[0]
        pos = torch.eye(b, dtype=torch.bool)[:, :, None].expand_as(scores)
        e_pos = -F.softplus(-scores[pos]).mean()
        e_neg = F.softplus(scores[~pos]).mean()
        return e_neg - e_pos


def deep_infomax(seed: int, lr: float = 1e-3, init_std: float | None = None, relu_bias: float | None = None,
                 bn: bool = True) -> Setup:
    """Deep InfoMax on the template images (labels unused, batch 32), the JSD loss, Adam at lr 1e-3 (the reference
    code's 1e-4 raised for 200 steps); ``init_std``: every conv and Linear weight drawn N(0, std^2); ``relu_bias``:
    the encoder's BatchNorm shifts (before each ReLU) set to this value."""
    torch.manual_seed(1_000_000 + seed)
    model = DeepInfoMax(relu_bias=relu_bias, bn=bn)
    if init_std is not None:
        _init_normal(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, template_images(seed), lambda loss, _: loss)


# ---- Relative patch location (Doersch et al. 2015) -------------------------------------------------------------------

def patch_pairs(seed: int, batch: int = 32, classes: int = 10, noise: float = 0.5,
                shuffled: bool = False) -> Callable[[int], Any]:
    """Pairs of 7x7 patches from 24x24 scenes (one of 10 fixed smooth templates plus noise): the centre cell of a 3x3
    grid of 8x8 cells and one of its 8 neighbours, each cropped with a gap and a jitter of up to 1 pixel; the label is
    the neighbour's position (8 classes): ``((centre (b, 3, 7, 7), other (b, 3, 7, 7)), position)``; ``shuffled``: the
    positions permuted within every batch, apart from their pairs."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(2)), size=(24, 24), mode="bilinear",
                              align_corners=False)
    offsets = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]

    def crop(img: torch.Tensor, cell: tuple[int, int], g: torch.Generator) -> torch.Tensor:
        j = torch.randint(0, 2, (2,), generator=g)
        r, c = 8 * cell[0] + int(j[0]), 8 * cell[1] + int(j[1])
        return img[:, r:r + 7, c:c + 7]

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.randint(0, classes, (batch,), generator=g)
        imgs = templates[k] + noise * torch.randn(batch, 3, 24, 24, generator=g)
        pos = torch.randint(0, 8, (batch,), generator=g)
        a = torch.stack([crop(imgs[i], (1, 1), g) for i in range(batch)])
        b = torch.stack([crop(imgs[i], (1 + offsets[int(pos[i])][0], 1 + offsets[int(pos[i])][1]), g)
                         for i in range(batch)])
        return (a, b), pos[torch.randperm(batch, generator=g)] if shuffled else pos
    return _pool(seed, make)


class PatchLocationNet(nn.Module):
    """Doersch et al.'s late-fusion siamese network, narrowed: a shared tower (convs of 32 and 64 with ReLU, the second
    stride 2, a Linear to 128), the two towers' outputs concatenated, fc 128 with ReLU (``hidden`` more Linear+ReLU
    layers of 128 at default init beside it for the depth case), and the 8-way classifier."""

    def __init__(self, hidden: int = 0) -> None:
        super().__init__()
        self.tower = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3, stride=2), nn.ReLU(),
                                   nn.Flatten(), nn.Linear(64 * 4, 128), nn.ReLU())
        self.fuse = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), *_plain_stack(128, hidden))
        self.head = nn.Linear(128, 8)

    def forward(self, pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        a, b = pair
        return self.head(self.fuse(torch.cat([self.tower(a), self.tower(b)], 1)))


def patch_location(seed: int, lr: float = 1e-3, hidden: int = 0, zero_init: bool = False,
                   shuffled: bool = False) -> Setup:
    """The relative-patch-location network on the patch pairs (batch 32), cross-entropy over the 8 positions, Adam at
    lr 1e-3 (set here); ``hidden``: see :class:`PatchLocationNet`; ``zero_init``: every weight and bias set to 0;
    ``shuffled``: see :func:`patch_pairs`."""
    torch.manual_seed(1_000_000 + seed)
    model = PatchLocationNet(hidden=hidden)
    if zero_init:
        _init_normal(model, zero=True)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, patch_pairs(seed, shuffled=shuffled), F.cross_entropy)


# ---- TNC (Tonekaboni et al. 2021) ------------------------------------------------------------------------------------

def regime_windows(seed: int, batch: int = 32, length: int = 240, window: int = 16, features: int = 3,
                   regimes: int = 4) -> Callable[[int], Any]:
    """Regime-switching series (four fixed regimes, each a per-feature offset, frequency and amplitude; a regime lasts
    40 to 80 steps) cut into (anchor, neighbour, non-neighbour) windows of 16: the neighbour's centre within 8 steps of
    the anchor's, the non-neighbour's more than 80 away: ``((anchor, neighbour, non-neighbour) each (b, 16, 3),
    unused)``."""
    fg = _fixed(3)
    freq = 0.05 + 0.4 * torch.rand(regimes, features, generator=fg)
    amp = 0.5 + torch.rand(regimes, features, generator=fg)
    offset = 2 * torch.rand(regimes, features, generator=fg) - 1

    def series(g: torch.Generator) -> torch.Tensor:
        out, t = [], 0
        while t < length:
            r, n = int(torch.randint(0, regimes, (1,), generator=g)), int(torch.randint(40, 81, (1,), generator=g))
            ts = torch.arange(n).float()[:, None]
            ph = 2 * math.pi * torch.rand(1, features, generator=g)
            out.append(offset[r] + amp[r] * torch.sin(2 * math.pi * freq[r] * ts + ph))
            t += n
        x = torch.cat(out)[:length]
        return x + 0.3 * torch.randn(x.shape, generator=g)

    def make(g: torch.Generator, _: int) -> Any:
        a, n, f = [], [], []
        half = window // 2
        for _ in range(batch):
            x = series(g)
            c = int(torch.randint(half, length - half, (1,), generator=g))
            cn = min(max(c + int(torch.randint(-8, 9, (1,), generator=g)), half), length - half)
            far = [i for i in range(half, length - half) if abs(i - c) > 80]
            cf = far[int(torch.randint(0, len(far), (1,), generator=g))]
            a.append(x[c - half:c + half])
            n.append(x[cn - half:cn + half])
            f.append(x[cf - half:cf + half])
        return (torch.stack(a), torch.stack(n), torch.stack(f)), torch.zeros(batch)
    return _pool(seed, make)


class TNC(nn.Module):
    """TNC: a bidirectional GRU encoder (hidden 32) whose final states go through a Linear to an encoding of 8, and the
    discriminator, an MLP (``2 * 8 -> 32 -> 1``, ReLU, dropout 0.5 as in the reference code) on concatenated pairs;
    the loss is the positive-unlabelled one with weight ``w`` = 0.05 (neighbours 1, non-neighbours 0 with weight
    ``1 - w`` and 1 with ``w``). ``gate_bias``: the GRU's update-gate biases set to this value."""

    def __init__(self, features: int = 3, hidden: int = 32, code: int = 8, w: float = 0.05,
                 gate_bias: float | None = None) -> None:
        super().__init__()
        self.gru = nn.GRU(features, hidden, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden, code)
        self.disc = nn.Sequential(nn.Linear(2 * code, 4 * code), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4 * code, 1))
        self.w = w
        if gate_bias is not None:
            with torch.no_grad():
                for name, p in self.gru.named_parameters():
                    if "bias" in name:
                        p[hidden:2 * hidden] = gate_bias

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x)
        return self.proj(torch.cat([h[0], h[1]], 1))

    def forward(self, triple: tuple[torch.Tensor, ...]) -> torch.Tensor:
        a, n, f = (self.encode(x) for x in triple)
        pn = self.disc(torch.cat([a, n], 1)).squeeze(1)
        pf = self.disc(torch.cat([a, f], 1)).squeeze(1)
        ones, zeros = torch.ones_like(pn), torch.zeros_like(pn)
        return (F.binary_cross_entropy_with_logits(pn, ones)
                + (1 - self.w) * F.binary_cross_entropy_with_logits(pf, zeros)
                + self.w * F.binary_cross_entropy_with_logits(pf, ones))


def tnc(seed: int, lr: float = 5e-3, gate_bias: float | None = None) -> Setup:
    """TNC on the regime-switching windows (batch 32), Adam at lr 5e-3 (set here; the reference code's 1e-3 did not
    learn in 200 steps); ``gate_bias``: see
    :class:`TNC`."""
    torch.manual_seed(1_000_000 + seed)
    model = TNC(gate_bias=gate_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, regime_windows(seed), lambda loss, _: loss)


# ---- DSANet (Huang et al. 2019) --------------------------------------------------------------------------------------

def sensor_series(seed: int, batch: int = 32, window: int = 32, horizon: int = 4, series: int = 4,
                  stuck: bool = True) -> Callable[[int], Any]:
    """Four related sensor series at levels 50 to 150 (std about 5): shared daily and half-daily cycles (period 24 and
    12) with per-series amplitudes and lags, plus AR(1) noise; a window of 32 and the next 4 steps:
    ``(window (b, 32, 4), next (b, 4, 4))``. ``stuck``: the fourth sensor is stuck at a constant reading in a quarter
    of the windows (a dead sensor, as real sensor sets have), which the window standardisation must survive."""
    fg = _fixed(4)
    amp = 2.0 + 4.0 * torch.rand(series, 2, generator=fg)
    lag = 24 * torch.rand(series, generator=fg)
    total = window + horizon

    def make(g: torch.Generator, _: int) -> Any:
        t0 = 1000 * torch.rand(batch, 1, 1, generator=g)
        t = t0 + torch.arange(total).float()[None, :, None] + lag
        level = 50 + 100 * torch.rand(batch, 1, series, generator=g)
        x = level + amp[:, 0] * torch.sin(2 * math.pi * t / 24) + amp[:, 1] * torch.sin(2 * math.pi * t / 12)
        e = torch.zeros(batch, series)
        noise = []
        for _ in range(total):
            e = 0.7 * e + 0.5 * torch.randn(batch, series, generator=g)
            noise.append(e)
        x = x + torch.stack(noise, 1)
        if stuck:
            dead = torch.rand(batch, generator=g) < 0.25
            x[dead, :, 3] = x[dead, :1, 3]
        return x[:, :window], x[:, window:]
    return _pool(seed, make)


class DSANet(nn.Module):
    """DSANet, narrowed to one-step forecasts rolled out over the horizon: each window standardised per series (mean
    and ``std + 1e-5``), the global temporal conv (32 filters spanning the window) and the local one (32 filters of 5,
    max-pooled) per series, each followed by one self-attention layer across the series (4 heads, d 32, LayerNorm,
    ReLU feed-forward of 64, dropout 0.1), the concatenation to one value per series, plus the AR component (a Linear
    over the last 8 steps); ``horizon`` one-step forecasts, each fed back into the window (standardised units).
    ``eps``: the standardisation's eps; ``raw_feedback``: the de-normalised forecast fed back (the slip);
    ``standardise``: False feeds the raw window in (the forecasts still read, and scored, in standardised units)."""

    def __init__(self, window: int = 32, horizon: int = 4, d: int = 32, eps: float = 1e-5,
                 relu_bias: float | None = None, raw_feedback: bool = False, standardise: bool = True) -> None:
        super().__init__()
        self.horizon, self.eps, self.raw_feedback, self.standardise = horizon, eps, raw_feedback, standardise
        self.global_conv = nn.Conv2d(1, d, (window, 1))
        self.local_conv = nn.Conv2d(1, d, (5, 1))
        self.global_att = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.1, batch_first=True)
        self.local_att = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.1, batch_first=True)
        self.out = nn.Linear(2 * d, 1)
        self.ar = nn.Linear(8, 1)
        if relu_bias is not None:
            with torch.no_grad():
                self.global_conv.bias.fill_(relu_bias)
                self.local_conv.bias.fill_(relu_bias)

    def step(self, w: torch.Tensor) -> torch.Tensor:
        """One-step forecast ``(b, series)`` from a standardised window ``(b, T, series)``."""
        h = w[:, None]  # (b, 1, T, n)
        g = F.relu(self.global_conv(h)).squeeze(2).transpose(1, 2)  # (b, n, d)
        loc = F.relu(self.local_conv(h)).amax(2).transpose(1, 2)
        z = torch.cat([self.global_att(g), self.local_att(loc)], 2)
        return self.out(z).squeeze(2) + self.ar(w[:, -8:].transpose(1, 2)).squeeze(2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu = x.mean(1, keepdim=True)
        sd = x.std(1, keepdim=True) + self.eps if self.eps else x.std(1, keepdim=True)
        w = (x - mu) / sd if self.standardise else x
        preds = []
        for _ in range(self.horizon):
            p = self.step(w)
            preds.append(p)
            fed = p * sd[:, 0] + mu[:, 0] if self.raw_feedback else p
            w = torch.cat([w[:, 1:], fed[:, None]], 1)
        return torch.stack(preds, 1), mu, sd


def dsanet_loss(out: tuple[torch.Tensor, ...], y: torch.Tensor) -> torch.Tensor:
    """The MSE of the rolled-out forecasts in the window's standardised units, averaged over the horizon."""
    pred, mu, sd = out
    return ((pred - (y - mu) / sd) ** 2).mean()


def dsanet(seed: int, lr: float = 1e-3, eps: float = 1e-5, relu_bias: float | None = None,
           raw_feedback: bool = False, standardise: bool = True) -> Setup:
    """DSANet on the sensor series (batch 32), Adam at the paper's lr 1e-3; ``eps``, ``relu_bias``, ``raw_feedback``,
    ``standardise``: see :class:`DSANet`."""
    torch.manual_seed(1_000_000 + seed)
    model = DSANet(eps=eps, relu_bias=relu_bias, raw_feedback=raw_feedback, standardise=standardise)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, sensor_series(seed), dsanet_loss)


# ---- SONODE (Norcliffe et al. 2020) ----------------------------------------------------------------------------------

def oscillator(seed: int, batch: int = 32, obs: int = 20, gap: float = 0.1, substeps: int = 10) -> Callable[[int], Any]:
    """Damped pendulum trajectories ``x'' = -4 sin(x) - 0.3 x'`` from random ``x0`` in [-1.5, 1.5] and ``v0`` in
    [-1, 1], observed at 20 times 0.1 apart (a fine RK4 solution): ``((x0, v0) (b, 2), positions (b, 20))``."""
    def make(g: torch.Generator, _: int) -> Any:
        s = torch.stack([3 * torch.rand(batch, generator=g) - 1.5, 2 * torch.rand(batch, generator=g) - 1], 1)
        init = s.clone()

        def f(s: torch.Tensor) -> torch.Tensor:
            return torch.stack([s[:, 1], -4 * torch.sin(s[:, 0]) - 0.3 * s[:, 1]], 1)
        out = []
        h = gap / substeps
        for _ in range(obs):
            out.append(s[:, 0])
            for _ in range(substeps):
                k1 = f(s)
                k2 = f(s + h / 2 * k1)
                k3 = f(s + h / 2 * k2)
                k4 = f(s + h * k3)
                s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return init, torch.stack(out, 1)
    return _pool(seed, make)


class SONODE(nn.Module):
    """SONODE, narrowed: the acceleration ``x'' = f(x, x')``, ``f`` an ELU MLP of two hidden layers of 64, integrated
    from the given ``(x0, v0)`` by a hand-written explicit Euler loop (step ``dt`` = 0.01, 10 steps between
    observations); returns the positions at the 20 observation times. ``position_carry``: False writes the position
    update ``x = dt * v``, the ``x +`` lost (the slip); ``velocity_carry``: False writes the velocity update ``v = dt *
    f(x, v)`` instead (tried, not kept); ``substeps``: Euler steps between observations (default ``gap / dt``)."""

    def __init__(self, obs: int = 20, gap: float = 0.1, dt: float = 0.01, velocity_carry: bool = True,
                 position_carry: bool = True, substeps: int | None = None) -> None:
        super().__init__()
        self.f = nn.Sequential(nn.Linear(2, 64), nn.ELU(), nn.Linear(64, 64), nn.ELU(), nn.Linear(64, 1))
        self.obs, self.dt, self.substeps = obs, dt, substeps or round(gap / dt)
        self.velocity_carry, self.position_carry = velocity_carry, position_carry

    def forward(self, init: torch.Tensor) -> torch.Tensor:
        x, v = init[:, :1], init[:, 1:]
        out = []
        for _ in range(self.obs):
            out.append(x)
            for _ in range(self.substeps):
                a = self.f(torch.cat([x, v], 1))
                x = x + self.dt * v if self.position_carry else self.dt * v
                v = v + self.dt * a if self.velocity_carry else self.dt * a
        return torch.cat(out, 1)


def sonode(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, velocity_carry: bool = True,
           position_carry: bool = True, substeps: int | None = None) -> Setup:
    """SONODE on the pendulum trajectories (batch 32), the MSE of the positions, Adam at lr 1e-3 (set here);
    ``weight_decay``: AdamW with that decay instead; ``velocity_carry``, ``position_carry``, ``substeps``: see
    :class:`SONODE`."""
    torch.manual_seed(1_000_000 + seed)
    model = SONODE(velocity_carry=velocity_carry, position_carry=position_carry, substeps=substeps)
    if weight_decay:
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, oscillator(seed), F.mse_loss)


# ---- MP-PDE solver (Brandstetter et al. 2022) ------------------------------------------------------------------------

def advection_diffusion(seed: int, batch: int = 16, n: int = 32, bundle: int = 4, dt: float = 0.05,
                        c: float = 1.0, nu: float = 0.02) -> Callable[[int], Any]:
    """Periodic 1-D advection-diffusion ``u_t + c u_x = nu u_xx`` on 32 points of [0, 2 pi), solved exactly mode by
    mode (modes 1 to 4 with random amplitudes and phases): the last ``bundle`` frames (``dt`` apart) as input and the
    next ``bundle`` as target: ``(frames (b, 4, 32), next (b, 4, 32))``."""
    xs = 2 * math.pi * torch.arange(n).float() / n
    k = torch.arange(1, 5).float()

    def make(g: torch.Generator, _: int) -> Any:
        a = torch.randn(batch, 4, generator=g) / k
        ph = 2 * math.pi * torch.rand(batch, 4, generator=g)
        t0 = 2 * torch.rand(batch, 1, generator=g)
        t = t0 + dt * torch.arange(2 * bundle).float()  # (b, 2K)
        decay = torch.exp(-nu * k ** 2 * t[..., None])  # (b, 2K, 4)
        arg = k * (xs[:, None, None, None] - c * t[..., None]) + ph[:, None]  # (n, b, 2K, 4)
        u = (a[:, None] * decay * torch.sin(arg)).sum(-1).permute(1, 2, 0)  # (b, 2K, n)
        return u[:, :bundle], u[:, bundle:]
    return _pool(seed, make)


class MPPDE(nn.Module):
    """The message-passing PDE solver, narrowed: each grid node's input is its last four values and its position; an
    encoder MLP to 64, three processor layers ``h_i += psi(h_i, mean_j phi(h_i, h_j, u_i - u_j, x_i - x_j))`` over the
    neighbours within two cells (periodic), Swish MLPs and an InstanceNorm after each layer, and a decoder MLP to four
    derivatives ``d_k``; temporal bundling ``u_(t+k) = u_t + k dt d_k`` from the last input frame."""

    def __init__(self, bundle: int = 4, hidden: int = 64, layers: int = 3, dt: float = 0.05,
                 residual: bool = True) -> None:
        super().__init__()
        self.bundle, self.dt, self.residual = bundle, dt, residual
        self.enc = nn.Sequential(nn.Linear(bundle + 1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.phi = nn.ModuleList(nn.Sequential(nn.Linear(2 * hidden + bundle + 1, hidden), nn.SiLU(),
                                               nn.Linear(hidden, hidden), nn.SiLU()) for _ in range(layers))
        self.psi = nn.ModuleList(nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SiLU(),
                                               nn.Linear(hidden, hidden), nn.SiLU()) for _ in range(layers))
        self.norms = nn.ModuleList(nn.InstanceNorm1d(hidden) for _ in range(layers))
        self.dec = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, bundle))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        b, _, n = u.shape
        nodes = u.transpose(1, 2)  # (b, n, K)
        pos = torch.arange(n).float().expand(b, n)[..., None] / n
        h = self.enc(torch.cat([nodes, pos], 2))
        for phi, psi, norm in zip(self.phi, self.psi, self.norms):
            msgs = []
            for off in (-2, -1, 1, 2):
                hj, uj = h.roll(off, 1), nodes.roll(off, 1)
                rel = torch.full((b, n, 1), off / n)
                msgs.append(phi(torch.cat([h, hj, nodes - uj, rel], 2)))
            m = torch.stack(msgs).mean(0)
            h = h + psi(torch.cat([h, m], 2))
            h = norm(h.transpose(1, 2)).transpose(1, 2)
        d = self.dec(h).transpose(1, 2)  # (b, K, n)
        steps = self.dt * torch.arange(1, self.bundle + 1).float()[None, :, None]
        return u[:, -1:] + steps * d if self.residual else steps * d


def mp_pde(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, residual: bool = True) -> Setup:
    """The MP-PDE solver on advection-diffusion frames (batch 16), the MSE of the next bundle, AdamW at the reference
    code's lr 1e-4 raised to 1e-3 for 200 steps, its weight decay 1e-8 (``weight_decay`` overrides it)."""
    torch.manual_seed(1_000_000 + seed)
    model = MPPDE(residual=residual)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay or 1e-8)
    return _xy(model, opt, advection_diffusion(seed), F.mse_loss)
