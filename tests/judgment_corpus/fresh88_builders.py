"""Builders of the eighty-ninth held-out batch (``fresh88.py``): generative, self-supervised, time-series and
scientific-ML models new to the corpus at their usual settings, and broken variants with one real fault each, plus the
small data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and
never tuned on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn

BASE = 880_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(BASE + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8800 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _fill(model: nn.Module, value: float | None = None, std: float | None = None) -> None:
    """Every Linear/Conv weight and bias set to ``value`` (zero init) or drawn N(0, std^2)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                for p in (m.weight, m.bias):
                    if p is None:
                        continue
                    if value is not None:
                        p.fill_(value)
                    else:
                        p.normal_(0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def patterns(seed: int, batch: int = 64, side: int = 8, classes: int = 10, noise: float = 0.3) -> Callable[[int], Any]:
    """8x8 "images" flattened to 64 values: a fixed smooth template per class (10 classes, bilinear from 3x3) plus
    N(0, 0.3^2) noise: ``(x, x)`` (an autoencoder's input and target)."""
    templates = F.interpolate(torch.randn(classes, 1, 3, 3, generator=_fixed(1)), size=(side, side),
                              mode="bilinear", align_corners=False).flatten(1)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + noise * torch.randn(batch, side * side, generator=g)
        return x, x
    return _pool(seed, make)


PERMS = torch.tensor(list(itertools.permutations(range(4))))


def puzzles(seed: int, batch: int = 32, classes: int = 10, overexposed: int = 2, guard: bool = True
            ) -> Callable[[int], Any]:
    """Jigsaw puzzles: 3x16x16 photographs in [0, 1] (a fixed smooth template per class, 10 classes, plus noise,
    ``clamp(0.5 + 0.25 t + 0.1 n, 0, 1)``; the last ``overexposed`` of every batch taken 2.0 brighter, so they clip to
    white) cut into four 8x8 tiles, shuffled by one of the 24 permutations; each tile standardised on its own per
    channel (Noroozi and Favaro's per-tile normalisation, against low-level shortcuts), with the reference
    PyTorch port's guard ``s[s == 0] = 1`` for flat tiles; ``guard=False``: without it. ``(tiles (b, 4, 3, 8, 8),
    permutation index)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(2)), size=(16, 16), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        img = 0.5 + 0.25 * templates[y] + 0.1 * torch.randn(batch, 3, 16, 16, generator=g)
        img[batch - overexposed:] += 2.0
        img = img.clamp(0.0, 1.0)
        tiles = img.unfold(2, 8, 8).unfold(3, 8, 8)  # (b, 3, 2, 2, 8, 8)
        tiles = tiles.permute(0, 2, 3, 1, 4, 5).reshape(batch, 4, 3, 8, 8)
        perm = torch.randint(0, len(PERMS), (batch,), generator=g)
        tiles = tiles[torch.arange(batch)[:, None], PERMS[perm]]
        flat = tiles.reshape(batch, 4, 3, 64)
        m, s = flat.mean(-1, keepdim=True), flat.std(-1, keepdim=True)
        if guard:
            s = torch.where(s == 0, torch.ones_like(s), s)
        return ((flat - m) / s).reshape(batch, 4, 3, 8, 8), perm
    return _pool(seed, make)


def formants(seed: int, batch: int = 16, frames: int = 32, bins: int = 24) -> Callable[[int], Any]:
    """Log-mel-like utterances for APC: three spectral bumps per frame (width 1.5 bins) whose centres glide as
    sinusoids of random period (8 to 20 frames), phase and depth, amplitudes 0.5 to 1.5, plus N(0, 0.1^2) noise:
    ``(features (b, 40, 24), features)``."""
    f = torch.arange(bins).float()
    t = torch.arange(frames).float()

    def make(g: torch.Generator, _: int) -> Any:
        def u(lo: float, hi: float) -> torch.Tensor:
            return lo + (hi - lo) * torch.rand(batch, 3, 1, generator=g)
        centre = u(3, bins - 4) + u(1, 3) * torch.sin(2 * math.pi * t / u(16, 40) + u(0, 2 * math.pi))
        amp = u(0.5, 1.5)
        x = (amp[..., None] * torch.exp(-(f - centre[..., None]) ** 2 / (2 * 2.0 ** 2))).sum(1)
        x = x + 0.1 * torch.randn(batch, frames, bins, generator=g)
        return x, x
    return _pool(seed, make)


def multiseries(seed: int, batch: int = 16, channels: int = 4, lookback: int = 336, horizon: int = 96
                ) -> Callable[[int], Any]:
    """Multivariate series (7 channels, hourly-like): per channel a level U(-20, 20) and a scale U(0.5, 5) times a
    daily and a weekly-like cycle (periods 24 and 84, random phases), a slow drift and N(0, 0.3^2) noise;
    ``(lookback window (b, 336, 7), next 96 steps (b, 96, 7))``."""
    t = torch.arange(lookback + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        def u(lo: float, hi: float) -> torch.Tensor:
            return lo + (hi - lo) * torch.rand(batch, 1, channels, generator=g)
        s = (torch.sin(2 * math.pi * t[None, :, None] / 24 + u(0, 2 * math.pi))
             + 0.5 * torch.sin(2 * math.pi * t[None, :, None] / 84 + u(0, 2 * math.pi))
             + u(-1, 1) * t[None, :, None] / (lookback + horizon)
             + 0.3 * torch.randn(batch, lookback + horizon, channels, generator=g))
        x = u(-20, 20) + u(0.5, 5) * s
        return x[:, :lookback], x[:, lookback:]
    return _pool(seed, make)


def sines(seed: int, batch: int = 32, points: int = 20, span: float = 4.0, shuffled: bool = False,
          freq: tuple[float, float] = (0.5, 0.5)) -> Callable[[int], Any]:
    """The Latent ODE's periodic toy data: sine curves ``a sin(2 pi f t + phi)`` (a in [0.5, 1.5], f in [0.3, 0.8],
    random phase) on 40 points of [0, 4], about half of them observed (a random mask, the first point always), plus
    N(0, 0.05^2) noise: ``((values * mask, mask) (b, 40) each, the whole curve (b, 40))``; ``shuffled``: the target
    curves permuted within every batch, apart from their observations."""
    t = torch.linspace(0, span, points)

    def make(g: torch.Generator, _: int) -> Any:
        a = 0.5 + torch.rand(batch, 1, generator=g)
        f = freq[0] + (freq[1] - freq[0]) * torch.rand(batch, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, generator=g)
        y = a * torch.sin(2 * math.pi * f * t + ph) + 0.05 * torch.randn(batch, points, generator=g)
        mask = (torch.rand(batch, points, generator=g) < 0.5).float()
        mask[:, 0] = 1.0
        target = y[torch.randperm(batch, generator=g)] if shuffled else y
        return (y * mask, mask), target
    return _pool(seed, make)


def brownian(seed: int, batch: int = 64, dim: int = 20, steps: int = 20, horizon: float = 0.3
             ) -> Callable[[int], Any]:
    """Brownian increments for the Allen-Cahn BSDE (Han, Jentzen and E's example: ``X = sqrt(2) W`` from 0,
    ``g(x) = 0.5 / (1 + 0.2 |x|^2)``): ``(dW (b, 20, 20), g(X_T) (b,))``."""
    dt = horizon / steps

    def make(g: torch.Generator, _: int) -> Any:
        dw = math.sqrt(dt) * torch.randn(batch, dim, steps, generator=g)
        xt = math.sqrt(2.0) * dw.sum(-1)
        return dw, 0.5 / (1 + 0.2 * (xt ** 2).sum(-1))
    return _pool(seed, make)


def lshape_angle(p: torch.Tensor, atan2: bool = True) -> torch.Tensor:
    """The polar angle of points of the L-shaped domain, in [0, 2 pi): ``atan2(y, x) mod 2 pi``; ``atan2=False``:
    from ``atan(y / x)`` with the quadrant fixed by hand (``+ pi`` where ``x < 0``), the same angle everywhere but at
    the re-entrant corner, where ``y / x = 0 / 0``."""
    x, y = p[:, 0], p[:, 1]
    if atan2:
        theta = torch.atan2(y, x)
    else:
        theta = torch.atan(y / x)
        theta = torch.where(x < 0, theta + math.pi, theta)
    return theta % (2 * math.pi)


def lshape(seed: int, interior: int = 256, per_edge: int = 17, atan2: bool = True) -> Callable[[int], Any]:
    """Laplace's equation on the L-shaped domain ``[-1, 1]^2`` minus ``(0, 1] x [-1, 0)`` with the corner-singular
    solution ``u = r^(2/3) sin(2 theta / 3)``: 256 interior collocation points a batch (uniform, rejection-sampled),
    and a fixed grid of 17 points on each of the six edges (the re-entrant corner at the origin among them) with
    ``u`` as the Dirichlet data; ``atan2``: see :func:`lshape_angle`. ``((interior, boundary), boundary values)``."""
    s = torch.linspace(0, 1, per_edge)
    edges = [torch.stack([-1 + 2 * s, torch.ones_like(s)], 1),        # top, y = 1
             torch.stack([-torch.ones_like(s), -1 + 2 * s], 1),       # left, x = -1
             torch.stack([-s, -torch.ones_like(s)], 1),               # bottom, y = -1, x in [-1, 0]
             torch.stack([torch.zeros_like(s), -s], 1),               # x = 0, y in [-1, 0] (re-entrant)
             torch.stack([s, torch.zeros_like(s)], 1),                # y = 0, x in [0, 1] (re-entrant)
             torch.stack([torch.ones_like(s), s], 1)]                 # right, x = 1, y in [0, 1]
    bnd = torch.unique(torch.cat(edges), dim=0)
    r = bnd.norm(dim=1)
    ub = r ** (2 / 3) * torch.sin(2 * lshape_angle(bnd, atan2) / 3)

    def make(g: torch.Generator, _: int) -> Any:
        pts = 2 * torch.rand(4 * interior, 2, generator=g) - 1
        keep = ~((pts[:, 0] > 0) & (pts[:, 1] < 0))
        return (pts[keep][:interior], bnd), ub
    return _pool(seed, make)


# ---- models: generative ----------------------------------------------------------------------------------------------

def _mlp(sizes: list[int], relu_bias: float | None = None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        layers.append(lin)
        if i < len(sizes) - 2:
            if relu_bias is not None:
                nn.init.constant_(lin.bias, relu_bias)
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class SigmaVAE(nn.Module):
    """The sigma-VAE (Rybkin, Daniilidis and Levine 2021), narrowed to MLPs: an encoder 64-128-128 to a Gaussian
    posterior of 8, a decoder 8-128-128-64 (``dec_hidden`` hidden layers of 128; 2), ReLU, PyTorch's default init.
    Its Gaussian decoder's variance is the analytic optimum, one ``sigma*^2`` = the batch's mean squared error,
    ``log sigma*`` softly clipped at -6 (see :func:`sigma_vae_loss`)."""

    def __init__(self, d: int = 64, latent: int = 8, width: int = 128, dec_hidden: int = 2) -> None:
        super().__init__()
        self.enc = _mlp([d, width, width, 2 * latent])
        self.dec = _mlp([latent] + [width] * dec_hidden + [d])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        mu, logvar = self.enc(x).chunk(2, -1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.dec(z), mu, logvar


def softclip(t: torch.Tensor, lo: float) -> torch.Tensor:
    return lo + F.softplus(t - lo)


def sigma_vae_loss(out: tuple[torch.Tensor, ...], x: torch.Tensor) -> torch.Tensor:
    """The negative ELBO with the optimal shared sigma (the reference code's ``log_sigma = softclip(log(sqrt(mse)),
    -6)``), per sample and divided by the 64 dimensions: nats per pixel."""
    x_hat, mu, logvar = out
    log_sigma = softclip(((x - x_hat) ** 2).mean().sqrt().log(), -6.0)
    rec = (0.5 * ((x - x_hat) / log_sigma.exp()) ** 2 + log_sigma + 0.5 * math.log(2 * math.pi)).sum(1)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
    return (rec + kl).mean() / x.shape[1]


class RQVAE(nn.Module):
    """RQ-VAE (Lee et al. 2022), narrowed to MLPs: an encoder 64-128-128-16, residual quantisation of depth 4 with
    one shared codebook of 32 codes (each depth quantises what the previous ones left), the straight-through
    estimator, a decoder 16-128-128-64, ReLU; the codebook learned by exponential moving averages (decay 0.99, as
    RQ-VAE and VQ-VAE do) of the codes' counts and sums over all depths, zero-debiased as in Sonnet's
    ``ExponentialMovingAverage`` (``hidden / (1 - decay^t)``, the counter incremented before the division) and
    Laplace-smoothed (eps 1e-5). ``relu_bias``: every bias in front of a ReLU set to it; ``debias_from_zero``: the
    counter incremented after the division (the first update divides by ``1 - decay^0 = 0``)."""

    def __init__(self, d: int = 64, code: int = 16, codes: int = 32, depth: int = 4, width: int = 128,
                 relu_bias: float | None = None, debias_from_zero: bool = False) -> None:
        super().__init__()
        self.enc = _mlp([d, width, width, code], relu_bias)
        self.dec = _mlp([code, width, width, d], relu_bias)
        self.depth, self.decay, self.debias_from_zero = depth, 0.99, debias_from_zero
        self.register_buffer("codebook", torch.randn(codes, code))
        self.register_buffer("hidden_n", torch.zeros(codes))
        self.register_buffer("hidden_sum", torch.zeros(codes, code))
        self.register_buffer("count", torch.zeros(()))

    def _update(self, n: torch.Tensor, s: torch.Tensor) -> None:
        with torch.no_grad():
            if not self.debias_from_zero:
                self.count += 1
            self.hidden_n -= (self.hidden_n - n) * (1 - self.decay)
            self.hidden_sum -= (self.hidden_sum - s) * (1 - self.decay)
            debias = 1 - self.decay ** self.count
            n_avg, s_avg = self.hidden_n / debias, self.hidden_sum / debias
            if self.debias_from_zero:
                self.count += 1
            total = n_avg.sum()
            n_avg = (n_avg + 1e-5) / (total + len(n_avg) * 1e-5) * total
            self.codebook.copy_(s_avg / n_avg[:, None])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.enc(x)
        e = self.codebook
        residual, total = z.detach(), torch.zeros_like(z)
        commit = z.new_zeros(())
        counts, sums = torch.zeros(len(e)), torch.zeros_like(e)
        for _ in range(self.depth):
            dist = (residual ** 2).sum(1, keepdim=True) - 2 * residual @ e.T + (e ** 2).sum(1)
            onehot = F.one_hot(dist.argmin(1), len(e)).float()
            q = onehot @ e
            counts, sums = counts + onehot.sum(0), sums + onehot.T @ residual
            total = total + q
            residual = residual - q
            commit = commit + F.mse_loss(z, total.detach())
        if self.training and torch.is_grad_enabled():
            self._update(counts, sums)
        zq = z + (total - z).detach()
        return self.dec(zq), commit


def rq_vae_loss(out: tuple[torch.Tensor, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Reconstruction MSE plus 0.25 times the commitment terms of every depth (the codebook learns by EMA)."""
    return F.mse_loss(out[0], x) + 0.25 * out[1]


# ---- models: self-supervised -----------------------------------------------------------------------------------------

class JigsawCFN(nn.Module):
    """The jigsaw puzzle's context-free network (Noroozi and Favaro 2016), narrowed to 2x2 puzzles of 8x8 tiles and all
    24 permutations: one shared tile encoder (conv 3x3 of 16, ReLU, max-pool, conv 3x3 of 32, ReLU, max-pool, a Linear
    to 64, ReLU) per tile, the four codes concatenated in slot order, a Linear of 128 with ReLU and the permutation
    classifier; ``zero_init``: every weight and bias 0."""

    def __init__(self, zero_init: bool = False) -> None:
        super().__init__()
        self.tile = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                  nn.Linear(128, 64), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, len(PERMS)))
        if zero_init:
            _fill(self, value=0.0)

    def forward(self, tiles: torch.Tensor) -> torch.Tensor:
        b = tiles.shape[0]
        return self.head(self.tile(tiles.reshape(b * 4, 3, 8, 8)).reshape(b, 256))


class APC(nn.Module):
    """Autoregressive Predictive Coding (Chung et al. 2019), narrowed: a 3-layer unidirectional GRU of 64 (512 in the
    paper) with the reference code's residual connections between layers after the first, a Linear postnet back to
    the 24 bins, predicting the frame ``shift`` = 3 steps ahead (L1 loss, :func:`apc_loss`); ``update_bias``: every
    GRU update gate's two biases set to it (``z = sigmoid(2 b)`` of the carried state kept each step)."""

    def __init__(self, bins: int = 24, hidden: int = 64, layers: int = 3, shift: int = 3,
                 update_bias: float | None = None) -> None:
        super().__init__()
        self.shift = shift
        self.rnns = nn.ModuleList(nn.GRU(bins if i == 0 else hidden, hidden, batch_first=True) for i in range(layers))
        self.post = nn.Linear(hidden, bins)
        if update_bias is not None:
            with torch.no_grad():
                for rnn in self.rnns:
                    rnn.bias_ih_l0[hidden:2 * hidden] = update_bias
                    rnn.bias_hh_l0[hidden:2 * hidden] = update_bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x[:, :-self.shift]
        for i, rnn in enumerate(self.rnns):
            out, _ = rnn(h)
            h = out + h if i > 0 else out
        return self.post(h)


def apc_loss(pred: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(pred, x[:, x.shape[1] - pred.shape[1]:])


# ---- models: time series ---------------------------------------------------------------------------------------------

class EMA(nn.Module):
    """xPatch's exponential moving average decomposition (alpha 0.3) in the reference code's closed form: ``cumsum(x
    w) / d`` with ``d_t = (1 - alpha)^(T - 1 - t)`` (``w = alpha d`` but for the first step), computed in float64 as
    the reference does; ``float32``: the weights kept in float32, where ``0.7^(T - 1 - t)`` underflows to 0 for the
    first 44 steps of a 336-step window (``0 / 0``)."""

    def __init__(self, alpha: float = 0.3, float32: bool = False) -> None:
        super().__init__()
        self.alpha, self.dtype = alpha, torch.float32 if float32 else torch.float64

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        powers = torch.flip(torch.arange(t, dtype=self.dtype), dims=(0,))
        weights = torch.pow(torch.tensor(1 - self.alpha, dtype=self.dtype), powers)
        divisor = weights.clone()
        weights[1:] = weights[1:] * self.alpha
        out = torch.cumsum(x.to(self.dtype) * weights[None, :, None], dim=1) / divisor[None, :, None]
        return out.to(torch.float32)


class XPatch(nn.Module):
    """xPatch (Stitsyuk and Choi 2025), narrowed: RevIN (affine, eps 1e-5), the EMA decomposition (:class:`EMA`),
    channel independence; the seasonal part through the non-linear stream (patches of 16, stride 8, end-padded: 42
    patches; a Linear to 256 with GELU and BatchNorm over the patches, a depthwise conv of kernel and stride 16 with
    GELU and BatchNorm plus the Linear residual back to 16, a pointwise conv with GELU and BatchNorm, a flatten head
    of 2H with GELU to H), the trend through the linear stream (Linear L to 4H, average pooling by 2, LayerNorm, to H,
    pooling, LayerNorm, to H), the two concatenated and mapped to H = 96. ``revin``: without RevIN, the raw series in
    and out; ``ema_float32``: see :class:`EMA`."""

    def __init__(self, lookback: int = 336, horizon: int = 96, patch: int = 16, stride: int = 8, revin: bool = True,
                 ema_float32: bool = False, channels: int = 4) -> None:
        super().__init__()
        self.patch, self.stride, self.revin, self.horizon = patch, stride, revin, horizon
        n = (lookback - patch) // stride + 2
        d = patch * patch
        self.affine_w, self.affine_b = nn.Parameter(torch.ones(channels)), nn.Parameter(torch.zeros(channels))
        self.ema = EMA(0.3, ema_float32)
        self.pad = nn.ReplicationPad1d((0, stride))
        self.fc1, self.bn1 = nn.Linear(patch, d), nn.BatchNorm1d(n)
        self.conv1, self.bn2 = nn.Conv1d(n, n, patch, stride=patch, groups=n), nn.BatchNorm1d(n)
        self.fc2 = nn.Linear(d, patch)
        self.conv2, self.bn3 = nn.Conv1d(n, n, 1), nn.BatchNorm1d(n)
        self.fc3, self.fc4 = nn.Linear(n * patch, 2 * horizon), nn.Linear(2 * horizon, horizon)
        self.fc5, self.ln1 = nn.Linear(lookback, 4 * horizon), nn.LayerNorm(2 * horizon)
        self.fc6, self.ln2 = nn.Linear(2 * horizon, horizon), nn.LayerNorm(horizon // 2)
        self.fc7 = nn.Linear(horizon // 2, horizon)
        self.out = nn.Linear(2 * horizon, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, length, c = x.shape
        if self.revin:
            mean = x.mean(1, keepdim=True).detach()
            std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + 1e-5).detach()
            x = (x - mean) / std * self.affine_w + self.affine_b
        trend = self.ema(x)
        season = x - trend
        s = season.permute(0, 2, 1).reshape(b * c, length)
        tr = trend.permute(0, 2, 1).reshape(b * c, length)
        s = self.pad(s[:, None])[:, 0].unfold(1, self.patch, self.stride)          # (bc, n, patch)
        s = self.bn1(F.gelu(self.fc1(s)))
        res = self.fc2(s)
        s = self.bn2(F.gelu(self.conv1(s))) + res
        s = self.bn3(F.gelu(self.conv2(s)))
        s = self.fc4(F.gelu(self.fc3(s.flatten(1))))
        tr = self.ln1(F.avg_pool1d(self.fc5(tr)[:, None], 2)[:, 0])
        tr = self.ln2(F.avg_pool1d(self.fc6(tr)[:, None], 2)[:, 0])
        tr = self.fc7(tr)
        y = self.out(torch.cat([s, tr], 1)).reshape(b, c, self.horizon).permute(0, 2, 1)
        if self.revin:
            y = (y - self.affine_b) / (self.affine_w + 1e-10) * std + mean
        return y


def arctan_loss(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """xPatch's arctangent loss: the MAE of step ``i`` weighted ``rho(i) = -arctan(i) + pi / 4 + 1``."""
    i = torch.arange(1, pred.shape[1] + 1, dtype=pred.dtype)
    rho = -torch.atan(i) + math.pi / 4 + 1
    return ((pred - y).abs() * rho[None, :, None]).mean()


class LatentODE(nn.Module):
    """The Latent ODE with an ODE-RNN encoder (Rubanova, Chen and Duvenaud 2019), narrowed: the encoder runs backwards
    over the 40 points, a GRU cell of 16 updating its state at observed points only (input: value and mask) and an
    ODE (a tanh MLP of 32) evolving it between points by one Euler step; the last state gives the posterior over a
    4-dimensional ``z0``; the decoder integrates a latent ODE (a tanh MLP of 32) by RK4, one step per interval, and
    reads each point with a Linear."""

    def __init__(self, hidden: int = 16, latent: int = 4, width: int = 32, span: float = 4.0, points: int = 20
                 ) -> None:
        super().__init__()
        self.dt = span / (points - 1)
        self.gru = nn.GRUCell(2, hidden)
        self.enc_ode = nn.Sequential(nn.Linear(hidden, width), nn.Tanh(), nn.Linear(width, hidden))
        self.post = nn.Linear(hidden, 2 * latent)
        self.ode = nn.Sequential(nn.Linear(latent, width), nn.Tanh(), nn.Linear(width, latent))
        self.read = nn.Linear(latent, 1)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        x, mask = inputs
        b, n = x.shape
        h = x.new_zeros(b, self.gru.hidden_size)
        for i in reversed(range(n)):
            if i < n - 1:
                h = h - self.dt * self.enc_ode(h)
            m = mask[:, i:i + 1]
            h = m * self.gru(torch.stack([x[:, i], mask[:, i]], 1), h) + (1 - m) * h
        mu, logvar = self.post(h).chunk(2, -1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        zs = [z]
        for _ in range(n - 1):
            k1 = self.ode(z)
            k2 = self.ode(z + 0.5 * self.dt * k1)
            k3 = self.ode(z + 0.5 * self.dt * k2)
            k4 = self.ode(z + self.dt * k3)
            z = z + self.dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            zs.append(z)
        return self.read(torch.stack(zs, 1))[..., 0], mu, logvar


def latent_ode_loss(out: tuple[torch.Tensor, ...], y: torch.Tensor, obs_std: float = 0.1) -> torch.Tensor:
    """The negative ELBO per point: the Gaussian likelihood (the observation std 0.1) of the whole curve, without its
    constant, plus the KL of ``z0`` spread over the 40 points."""
    pred, mu, logvar = out
    rec = 0.5 * ((pred - y) / obs_std) ** 2
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
    return rec.mean() + kl.mean() / y.shape[1]


# ---- models: scientific ML -------------------------------------------------------------------------------------------

class DeepBSDE(nn.Module):
    """The deep BSDE method (Han, Jentzen and E 2018) for the Allen-Cahn equation ``u_t + Laplace u + u - u^3 = 0``
    (their example, d = 20 here for 100, T = 0.3, N = 20 steps, ``x0 = 0``): ``u(0, x0)`` and ``grad u(0, x0)`` are
    parameters (from U(0.3, 0.6) and U(-0.1, 0.1), the reference code's), one subnetwork per later step (BatchNorm of
    the input, two hidden layers of d + 10, each Linear followed by BatchNorm, ReLU; the output divided by d as in the
    reference code), ``Y_(n+1) = Y_n - dt (Y_n - Y_n^3) + Z_n . dW_n``; the output is ``Y_N``."""

    def __init__(self, dim: int = 20, steps: int = 20, horizon: float = 0.3) -> None:
        super().__init__()
        self.dim, self.steps, self.dt = dim, steps, horizon / steps
        self.y0 = nn.Parameter(0.3 + 0.3 * torch.rand(()))
        self.z0 = nn.Parameter(-0.1 + 0.2 * torch.rand(1, dim))
        w = dim + 10
        self.subnets = nn.ModuleList(
            nn.Sequential(nn.BatchNorm1d(dim), nn.Linear(dim, w, bias=False), nn.BatchNorm1d(w), nn.ReLU(),
                          nn.Linear(w, w, bias=False), nn.BatchNorm1d(w), nn.ReLU(),
                          nn.Linear(w, dim, bias=False), nn.BatchNorm1d(dim))
            for _ in range(steps - 1))

    def forward(self, dw: torch.Tensor) -> torch.Tensor:
        b = dw.shape[0]
        x = dw.new_zeros(b, self.dim)
        y = self.y0.expand(b)
        z = self.z0.expand(b, -1)
        for n in range(self.steps):
            y = y - self.dt * (y - y ** 3) + (z * dw[:, :, n]).sum(1)
            x = x + math.sqrt(2.0) * dw[:, :, n]
            if n < self.steps - 1:
                z = self.subnets[n](x) / self.dim
        return y


def bsde_loss(y: torch.Tensor, target: torch.Tensor, clip: float = 50.0) -> torch.Tensor:
    """The reference code's terminal loss: the mean of ``delta^2``, linear beyond ``|delta| = 50``."""
    delta = y - target
    return torch.where(delta.abs() < clip, delta ** 2, 2 * clip * delta.abs() - clip ** 2).mean()


class QResLayer(nn.Module):
    """A quadratic residual layer (Bu and Karpatne 2021): ``tanh(W1 x * W2 x + W1 x + b)``, Xavier-normal weights."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.w1 = nn.Linear(n_in, n_out)
        self.w2 = nn.Linear(n_in, n_out, bias=False)
        nn.init.xavier_normal_(self.w1.weight)
        nn.init.xavier_normal_(self.w2.weight)
        nn.init.zeros_(self.w1.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.w1(x)
        return torch.tanh(a * self.w2(x) + a)


class QRes(nn.Module):
    """QRes (Bu and Karpatne 2021) as a PINN: three QRes layers of 32 and a Linear output, ``u(x, y)``."""

    def __init__(self, width: int = 32, layers: int = 3) -> None:
        super().__init__()
        self.body = nn.Sequential(*[QResLayer(2 if i == 0 else width, width) for i in range(layers)])
        self.out = nn.Linear(width, 1)
        nn.init.xavier_normal_(self.out.weight)

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(p))[:, 0]


def pinn_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """The PINN loss: the mean squared Laplacian at the interior points plus the mean squared boundary misfit."""
    (inner, bnd), ub = batch
    p = inner.clone().requires_grad_(True)
    u = model(p)
    grad = torch.autograd.grad(u.sum(), p, create_graph=True)[0]
    uxx = torch.autograd.grad(grad[:, 0].sum(), p, create_graph=True)[0][:, 0]
    uyy = torch.autograd.grad(grad[:, 1].sum(), p, create_graph=True)[0][:, 1]
    return ((uxx + uyy) ** 2).mean() + ((model(bnd) - ub) ** 2).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def sigma_vae(seed: int, lr: float = 1e-3, dec_hidden: int = 2) -> Setup:
    """The sigma-VAE on the 8x8 patterns (batch 64), nats per pixel, Adam lr 1e-3 (the reference code's);
    ``dec_hidden``: the decoder's hidden layers of 128."""
    torch.manual_seed(BASE + seed)
    model = SigmaVAE(dec_hidden=dec_hidden)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), patterns(seed), sigma_vae_loss)


def rq_vae(seed: int, lr: float = 1e-3, relu_bias: float | None = None, debias_from_zero: bool = False) -> Setup:
    """RQ-VAE on the 8x8 patterns (batch 64), MSE plus 0.25 commitment, Adam lr 1e-3 (set here); ``relu_bias``,
    ``debias_from_zero``: see :class:`RQVAE`."""
    torch.manual_seed(BASE + seed)
    model = RQVAE(relu_bias=relu_bias, debias_from_zero=debias_from_zero)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), patterns(seed), rq_vae_loss)


def jigsaw(seed: int, lr: float = 1e-3, zero_init: bool = False, guard: bool = True) -> Setup:
    """The jigsaw context-free network on the 2x2 puzzles (batch 32), cross-entropy over the 24 permutations, Adam lr
    1e-3 (set here; the paper trains with SGD for days); ``zero_init``: see :class:`JigsawCFN`; ``guard``: see
    :func:`puzzles`."""
    torch.manual_seed(BASE + seed)
    model = JigsawCFN(zero_init=zero_init)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), puzzles(seed, guard=guard), F.cross_entropy)


def apc(seed: int, lr: float = 1e-3, update_bias: float | None = None, weight_decay: float = 0.0) -> Setup:
    """APC on the formant utterances (batch 16 of 40 frames), L1 three frames ahead, Adam lr 1e-3 (the paper's);
    ``update_bias``: see :class:`APC`; ``weight_decay``: AdamW with that decay instead."""
    torch.manual_seed(BASE + seed)
    model = APC(update_bias=update_bias)
    opt = (torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay) if weight_decay
           else torch.optim.Adam(model.parameters(), lr=lr))
    return _xy(model, opt, formants(seed), apc_loss)


def xpatch(seed: int, lr: float = 1e-3, revin: bool = True, ema_float32: bool = False) -> Setup:
    """xPatch on the 7-channel series (batch 16, lookback 336, horizon 96), the arctangent loss, Adam lr 1e-3 (set
    here, ten times the paper's 1e-4 for 200 steps; its sigmoid schedule left out); ``revin``, ``ema_float32``: see
    :class:`XPatch`."""
    torch.manual_seed(BASE + seed)
    model = XPatch(revin=revin, ema_float32=ema_float32)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), multiseries(seed), arctan_loss)


def latent_ode(seed: int, lr: float = 0.01, weight_decay: float = 0.0, adamw: bool = False, shuffled: bool = False,
               freq: tuple[float, float] = (0.5, 0.5)) -> Setup:
    """The Latent ODE on the sine curves (batch 32 of 20 points), the negative ELBO per point, Adam lr 0.01 (set
    here: the paper's Adamax at 0.01 did not learn in 200 steps); ``weight_decay``: Adam's coupled L2, or with
    ``adamw`` AdamW's decoupled decay; ``shuffled``, ``freq``: see :func:`sines`."""
    torch.manual_seed(BASE + seed)
    model = LatentODE()
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sines(seed, shuffled=shuffled, freq=freq), latent_ode_loss)


def deep_bsde(seed: int, lr: float = 5e-3) -> Setup:
    """The deep BSDE solver on Allen-Cahn (batch 64 paths), the terminal loss, Adam lr 5e-3 (set here: the reference
    code's 5e-4 is for 4,000 steps)."""
    torch.manual_seed(BASE + seed)
    model = DeepBSDE()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), brownian(seed), bsde_loss)


def qres(seed: int, lr: float = 1e-3, atan2: bool = True) -> Setup:
    """The QRes PINN on the L-shaped Laplace problem (256 interior points a batch, 96 boundary points), Adam lr 1e-3;
    ``atan2``: see :func:`lshape_angle`."""
    torch.manual_seed(BASE + seed)
    model = QRes()
    batches = lshape(seed, atan2=atan2)
    return Setup(model, torch.optim.Adam(model.parameters(), lr=lr), None, batches(0), None, pinn_loss, batches,
                 needs_closure=True)
