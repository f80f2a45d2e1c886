"""Builders of the hundred-and-thirteenth held-out batch (``fresh112.py``): generative, self-supervised, time-series
forecasting and scientific-ML models new to the corpus at their usual settings, and broken variants with one real
fault each, plus the small data sets they train on. Written and labelled with plain PyTorch before gradguard's
judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn

SEED0 = 1_120_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(SEED0 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(11_200 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _normal_init(model: nn.Module, std: float) -> None:
    """Every Linear weight drawn N(0, std^2) (the init common)."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)


def _after_step(cls: type, model: nn.Module, params: Any, **kw: Any) -> torch.optim.Optimizer:
    """An optimizer of class ``cls`` whose ``step`` then runs ``model.after_step()`` (the memory-bank update the
    reference loop makes once the weights have moved)."""
    class _Opt(cls):  # type: ignore[misc, valid-type]
        def step(self, closure: Any = None) -> Any:
            out = super().step(closure)
            model.after_step()
            return out
    return _Opt(params, **kw)


# ---- GMVAE: a VAE with a Gaussian-mixture prior -----------------------------------------------------------------

#: the readings' known sensor noise variance (units^2): the likelihood's fixed variance
SENSOR_VAR = 25.0


def cluster_readings(seed: int, batch: int = 64, d: int = 16, k: int = 8) -> Callable[[int], Any]:
    """Sensor readings in their raw units: eight fixed cluster centres in 16-d (N(0, 20^2) per coordinate) plus the
    sensors' N(0, 5^2) noise (variance :data:`SENSOR_VAR`): ``(x (b, 16), x)``."""
    centres = 20 * torch.randn(k, d, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, k, (batch,), generator=g)
        x = centres[y] + math.sqrt(SENSOR_VAR) * torch.randn(batch, d, generator=g)
        return x, x
    return _pool(seed, make)


def _mlp(sizes: list[int], act: Callable[[], nn.Module] = nn.ReLU, last_act: bool = False) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or last_act:
            mods.append(act())
    return nn.Sequential(*mods)


class GMVAE(nn.Module):
    """The Gaussian-mixture VAE (Dilokthanakul et al. 2016, in the simplified form of Rui Shu's reference code):
    ``q(y | x)`` over K = 8 components, ``q(z | x, y)`` Gaussian of dimension 4, the prior ``p(z | y)`` a Gaussian
    whose mean and (softplus) variance are Linear in ``y``, ``p(x | z)`` Gaussian with the sensors' known variance;
    MLPs of two ReLU layers of 64. The encoder sees ``x / 20`` and the decoder's mean is in the raw units (times
    20). ``forward(x)`` returns the negative ELBO per sample, marginalised over ``y`` exactly. ``bias``: every
    hidden Linear's bias (those before a ReLU) set to that constant (the activation common).
    ``var_as_logvar``: the known variance 25 handed to the Gaussian log-density as its log-variance (the slip)."""

    def __init__(self, d: int = 16, k: int = 8, zd: int = 4, var_as_logvar: bool = False,
                 bias: float | None = None) -> None:
        super().__init__()
        self.k, self.zd = k, zd
        self.qy = _mlp([d, 64, 64, k])
        self.qz = _mlp([d + k, 64, 64, 2 * zd])
        self.pz = nn.Linear(k, 2 * zd)
        self.px = _mlp([zd, 64, 64, d])
        self.logvar_x = SENSOR_VAR if var_as_logvar else math.log(SENSOR_VAR)
        if bias is not None:
            for m in self.modules():
                if isinstance(m, nn.Linear) and m.out_features == 64:
                    nn.init.constant_(m.bias, bias)

    @staticmethod
    def _log_normal(x: torch.Tensor, mu: torch.Tensor, logvar: Any) -> torch.Tensor:
        if not torch.is_tensor(logvar):
            logvar = torch.full_like(x, float(logvar))
        return -0.5 * (math.log(2 * math.pi) + logvar + (x - mu) ** 2 / logvar.exp()).sum(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        xs = x / 20
        logits = self.qy(xs)
        qy = logits.softmax(-1)
        eye = torch.eye(self.k)
        xk = xs[:, None].expand(b, self.k, xs.shape[1])
        yk = eye[None].expand(b, self.k, self.k)
        mu, logvar = self.qz(torch.cat([xk, yk], -1)).chunk(2, -1)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        pm, pv = self.pz(eye).chunk(2, -1)
        pv = F.softplus(pv) + 1e-3
        rec = self._log_normal(x[:, None], 20 * self.px(z), self.logvar_x)
        kl_z = self._log_normal(z, mu, logvar) - self._log_normal(z, pm[None], pv.log()[None])
        per_y = -rec + kl_z
        kl_y = (qy * (F.log_softmax(logits, -1) + math.log(self.k))).sum(-1)
        return (qy * per_y).sum(-1) + kl_y


def _model_out(out: torch.Tensor, _: Any) -> torch.Tensor:
    """The model returns its per-sample loss: the batch mean."""
    return out.mean()


# ---- VDM: the variational diffusion model ------------------------------------------------------------------------

def prototype_vectors(seed: int, batch: int = 64, d: int = 8, k: int = 4) -> Callable[[int], Any]:
    """A discrete data distribution: four fixed prototype vectors of 8 coordinates in {-1, 1}, drawn uniformly, with
    each step's diffusion times ``t`` (VDM's low-discrepancy sampler: ``(u + i / b) mod 1``) and noises:
    ``((x, t, eps), None)``."""
    protos = torch.where(torch.rand(k, d, generator=_fixed(2)) < 0.5, -1.0, 1.0)

    def make(g: torch.Generator, _: int) -> Any:
        x = protos[torch.randint(0, k, (batch,), generator=g)]
        t = (torch.rand(1, generator=g) + torch.arange(batch) / batch) % 1.0
        return (x, t, torch.randn(batch, d, generator=g)), torch.zeros(batch)
    return _pool(seed, make)


class VDM(nn.Module):
    """The variational diffusion model (Kingma et al. 2021), narrowed: the continuous-time diffusion loss
    ``0.5 gamma'(t) ||eps - eps_hat(z_t, gamma_t)||^2`` with ``z_t = alpha_t x + sigma_t eps``, ``alpha_t^2 =
    sigmoid(-gamma_t)``, ``sigma_t^2 = sigmoid(gamma_t)``, plus the prior loss ``KL(q(z_1 | x) || N(0, I))``; the
    paper's fixed linear schedule ``gamma_t = -13.3 + 18.3 t`` (its ablation; the learned one and the discrete data's
    reconstruction term left out); the noise predictor an MLP of two SiLU layers of 128 on ``z_t`` and the scaled
    ``gamma_t``. ``logsnr_as_logvar``: the user's schedule helper reads ``gamma_t`` (VDM's negative log-SNR) as
    ``log sigma_t^2`` and sets ``alpha_t = sqrt(1 - exp(gamma_t))`` (the slip)."""

    def __init__(self, d: int = 8, width: int = 128, logsnr_as_logvar: bool = False) -> None:
        super().__init__()
        self.g0, self.g1 = -13.3, 5.0
        self.logsnr_as_logvar = logsnr_as_logvar
        self.net = _mlp([d + 1, width, width, d], nn.SiLU)

    def forward(self, inp: Any) -> torch.Tensor:
        x, t, eps = inp
        gamma = self.g0 + (self.g1 - self.g0) * t[:, None]
        if self.logsnr_as_logvar:
            var = gamma.exp()
            alpha, sigma = (1 - var).sqrt(), var.sqrt()
        else:
            alpha, sigma = torch.sigmoid(-gamma).sqrt(), torch.sigmoid(gamma).sqrt()
        z = alpha * x + sigma * eps
        eps_hat = self.net(torch.cat([z, (gamma - self.g0) / (self.g1 - self.g0)], 1))
        diff = 0.5 * (self.g1 - self.g0) * ((eps - eps_hat) ** 2).sum(1)
        var1 = torch.sigmoid(torch.tensor(self.g1))
        prior = 0.5 * ((1 - var1) * x ** 2 + var1 - var1.log() - 1).sum(1)
        return diff + prior


# ---- radial flows: a normalising flow for density estimation ----------------------------------------------------

def ring_mixture(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """2-d points from a mixture of eight Gaussians (std 0.3) on a ring of radius 3: ``(x (b, 2), x)``."""
    ang = 2 * math.pi * torch.arange(8) / 8
    centres = 3 * torch.stack([ang.cos(), ang.sin()], 1)

    def make(g: torch.Generator, _: int) -> Any:
        x = centres[torch.randint(0, 8, (batch,), generator=g)] + 0.3 * torch.randn(batch, 2, generator=g)
        return x, x
    return _pool(seed, make)


class RadialFlow(nn.Module):
    """A stack of 16 radial flows (Rezende and Mohamed 2015) mapping the data to a standard normal base, each
    ``f(z) = z + beta h(alpha, r) (z - z0)``, ``h = 1 / (alpha + r)``, ``r = |z - z0|``, made invertible by the
    paper's constraint ``alpha = softplus(a)``, ``beta = -alpha + softplus(b)``; ``forward(x)`` returns the negative
    log-likelihood per point, ``-log N(f(x)) - sum log |det|``."""

    def __init__(self, n: int = 16, d: int = 2) -> None:
        super().__init__()
        self.z0 = nn.Parameter(torch.randn(n, d) * 2)
        self.a = nn.Parameter(torch.zeros(n))
        self.b = nn.Parameter(torch.zeros(n))
        self.d = d

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        logdet = torch.zeros(z.shape[0])
        for i in range(self.z0.shape[0]):
            alpha = F.softplus(self.a[i])
            beta = -alpha + F.softplus(self.b[i])
            diff = z - self.z0[i]
            r = diff.norm(dim=1, keepdim=True)
            h = 1 / (alpha + r)
            z = z + beta * h * diff
            bh = (beta * h).squeeze(1)
            logdet = logdet + (self.d - 1) * torch.log1p(bh) + torch.log1p(bh - beta * r.squeeze(1) * h.squeeze(1) ** 2)
        base = -0.5 * (z ** 2).sum(1) - 0.5 * self.d * math.log(2 * math.pi)
        return -(base + logdet)


# ---- InstDisc: non-parametric instance discrimination ------------------------------------------------------------

def instance_views(seed: int, batch: int = 16, d: int = 32) -> Callable[[int], Any]:
    """512 instances (32 batches of 16), each a fixed N(0, I) vector of 32 features, seen through an augmentation
    (N(0, 0.3^2) noise and a scaling by U(0.8, 1.2)): ``((view, instance index), index)``."""
    g = _gen(seed)
    inst = torch.randn(POOL * batch, d, generator=g)
    pool = []
    for i in range(POOL):
        idx = torch.arange(i * batch, (i + 1) * batch)
        scale = 0.8 + 0.4 * torch.rand(batch, 1, generator=g)
        view = inst[idx] * scale + 0.3 * torch.randn(batch, d, generator=g)
        pool.append(((view, idx), idx))
    return lambda step: pool[step % POOL]


class InstDisc(nn.Module):
    """Instance discrimination (Wu et al. 2018), narrowed: an MLP encoder (two Linear-BatchNorm-ReLU layers of 128)
    to a 64-d feature, L2-normalised (the reference code's ``Normalize`` layer), the non-parametric softmax over a
    memory bank of all 512 instances at temperature 0.07 (the full softmax, the paper's NCE approximation left out
    with so small a bank), the bank initialised uniformly and updated after each step with momentum 0.5 and
    renormalised; ``forward((view, idx))`` returns the logits over the bank. ``normalize``: the L2 normalisation
    of the features (and of the bank's entries) kept."""

    def __init__(self, d: int = 32, n: int = 512, dim: int = 64, tau: float = 0.07, normalize: bool = True) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(d, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 128),
                                 nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, dim))
        self.tau, self.normalize = tau, normalize
        stdv = 1.0 / math.sqrt(dim / 3)
        bank = torch.rand(n, dim, generator=_fixed(4)) * 2 * stdv - stdv
        self.register_buffer("bank", F.normalize(bank, dim=1) if normalize else bank)
        self._last: Any = None

    def forward(self, inp: Any) -> torch.Tensor:
        view, idx = inp
        f = self.enc(view)
        if self.normalize:
            f = F.normalize(f, dim=1)
        self._last = (f.detach(), idx)
        return f @ self.bank.T / self.tau

    @torch.no_grad()
    def after_step(self) -> None:
        if self._last is None:
            return
        f, idx = self._last
        v = 0.5 * self.bank[idx] + 0.5 * f
        self.bank[idx] = F.normalize(v, dim=1) if self.normalize else v


# ---- Koopa: Koopman forecasting ----------------------------------------------------------------------------------

def forced_oscillators(seed: int, batch: int = 16, channels: int = 4, lookback: int = 48, horizon: int = 16,
                       dt: float = 0.05, shuffled: bool = False) -> Callable[[int], Any]:
    """Multivariate readings of forced, damped oscillators, simulated by explicit Euler steps at the sampling
    interval ``dt = 0.05`` s: in each of three channels ``x'' = -omega^2 x - c x' + A cos(Omega t)`` with ``omega``
    U(1.5, 3) rad/s, damping ``c = 0.5`` /s, forcing ``Omega`` U(4, 6) rad/s and ``A`` U(10, 30), a random initial
    state, the level U(-5, 5) added and N(0, 0.05^2) noise; the fourth channel a stuck sensor that holds its level;
    ``dt=1.0``: the rates (per second) applied per step (the slip); ``shuffled``: the horizons permuted within every
    batch, apart from their lookbacks: ``(lookback (b, 4, 48), horizon (b, 4, 16))``."""
    steps = lookback + horizon

    def make(g: torch.Generator, _: int) -> Any:
        shape = (batch, channels - 1)
        om = 1.5 + 1.5 * torch.rand(shape, generator=g)
        big = 4 + 2 * torch.rand(shape, generator=g)
        amp = 10 + 20 * torch.rand(shape, generator=g)
        x = torch.randn(shape, generator=g)
        v = torch.randn(shape, generator=g)
        out = []
        for i in range(steps):
            out.append(x)
            acc = -om ** 2 * x - 0.5 * v + amp * torch.cos(big * i * 0.05)
            x, v = x + dt * v, v + dt * acc
        s = torch.stack(out, -1)
        s = s + 0.05 * torch.randn(s.shape, generator=g)
        s = torch.cat([s, torch.zeros(batch, 1, steps)], 1) + 10 * torch.rand(batch, channels, 1, generator=g) - 5
        past, future = s[..., :lookback], s[..., lookback:]
        return past, future[torch.randperm(batch, generator=g)] if shuffled else future
    return _pool(seed, make)


class Koopa(nn.Module):
    """Koopa (Liu et al. 2023), narrowed to one block: instance normalisation, the Fourier filter (the 20% of
    frequencies of largest mean amplitude over the training pool pass as the time-invariant part, the rest is the
    time-variant part); the time-invariant Koopman predictor (an MLP encoder of the lookback to 16 measurements, the
    operator ``K`` a Linear initialised orthogonal as the reference code's, an MLP decoder to the horizon) and the
    time-variant one (segments of 8 encoded to 4 measurements, the local operator fitted to the lookback's
    segments by least squares (the normal equations with a ridge of 1e-4), rolled over the horizon's two segments
    and decoded); the two forecasts summed and de-normalised. ``eps``: the instance normalisation's eps (the
    reference code's 1e-5)."""

    def __init__(self, mask: torch.Tensor, lookback: int = 48, horizon: int = 16, seg: int = 8, dyn: int = 16,
                 var_dyn: int = 4, eps: float = 1e-5) -> None:
        super().__init__()
        self.register_buffer("mask", mask)
        self.lookback, self.horizon, self.seg = lookback, horizon, seg
        self.eps = eps
        self.inv_enc = _mlp([lookback, 64, dyn])
        self.K = nn.Linear(dyn, dyn, bias=False)
        u, _, v = torch.svd(torch.randn(dyn, dyn))
        with torch.no_grad():
            self.K.weight.copy_(u @ v.T)
        self.inv_dec = _mlp([dyn, 64, horizon])
        self.var_enc = _mlp([seg, 64, var_dyn])
        self.var_dec = _mlp([var_dyn, 64, seg])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        std = (x.var(-1, keepdim=True, unbiased=False) + self.eps).sqrt()
        x = (x - mean) / std
        spec = torch.fft.rfft(x)
        inv = torch.fft.irfft(spec * self.mask, n=self.lookback)
        var = x - inv
        y_inv = self.inv_dec(self.K(self.inv_enc(inv)))
        b, c, _ = x.shape
        z = self.var_enc(var.reshape(b * c, -1, self.seg))  # (bc, segments, m)
        a = z[:, :-1]
        k = torch.linalg.solve(a.transpose(1, 2) @ a + 1e-4 * torch.eye(a.shape[-1]), a.transpose(1, 2) @ z[:, 1:])
        h, outs = z[:, -1:], []
        for _ in range(self.horizon // self.seg):
            h = h @ k
            outs.append(self.var_dec(h))
        y = y_inv + torch.cat(outs, 1).reshape(b, c, self.horizon)
        return y * std + mean


def _koopa_mask(data: Callable[[int], Any], keep: float = 0.2) -> torch.Tensor:
    """Koopa's spectrum mask: the frequencies of the largest mean amplitude over the training pool (``keep`` of
    them) pass; the mean frequency (0) is always left to the time-variant part, as the reference code does."""
    amp = torch.stack([torch.fft.rfft(data(i)[0]).abs().mean((0, 1)) for i in range(POOL)]).mean(0)
    amp[0] = 0
    top = amp.topk(max(1, int(keep * amp.numel()))).indices
    mask = torch.zeros_like(amp)
    mask[top] = 1
    return mask


# ---- DeepState: an RNN-parameterised state space model -----------------------------------------------------------

def trend_season_series(seed: int, batch: int = 32, length: int = 24, period: int = 12) -> Callable[[int], Any]:
    """Univariate series of 24 steps: a random level and slope (a local linear trend with N(0, 0.02^2) level
    innovations), a seasonal profile of period 12 whose amplitude and phase vary by series, and N(0, 0.1^2) noise;
    the covariates DeepState's network sees, ``sin`` and ``cos`` of the season's phase and the age ``t / 24``:
    ``((covariates (b, 24, 3), y (b, 24)), None)``."""
    t = torch.arange(length).float()
    cov = torch.stack([torch.sin(2 * math.pi * t / period), torch.cos(2 * math.pi * t / period), t / length], -1)

    def make(g: torch.Generator, _: int) -> Any:
        level = torch.randn(batch, 1, generator=g)
        slope = 0.04 * torch.randn(batch, 1, generator=g)
        walk = (0.02 * torch.randn(batch, length, generator=g)).cumsum(1)
        amp = 0.5 + torch.rand(batch, 1, generator=g)
        ph = 0.3 * torch.randn(batch, 1, generator=g)
        season = amp * torch.sin(2 * math.pi * t / period + ph)
        y = level + slope * t + walk + season + 0.1 * torch.randn(batch, length, generator=g)
        return (cov.expand(batch, length, 3), y), torch.zeros(batch)
    return _pool(seed, make)


class DeepState(nn.Module):
    """DeepState (Rangapuram et al. 2018), narrowed: an LSTM of 32 over the covariates emits, per time step, the
    parameters of a level-trend innovation state space model (``l_t = F l_(t-1) + g_t eps_t``, ``F = [[1, 1], [0,
    1]]``, ``y_t = a . l_(t-1) + b_t + sigma_t e_t``): the innovation strengths ``g_t`` and the noise scale
    ``sigma_t`` through softplus, and the bias ``b_t`` that carries the season; the prior ``l_0 ~ N(0, I)``; the
    negative log-likelihood of the series by the Kalman filter, per time step. ``radius``: the LSTM's recurrent
    weights rescaled to that spectral radius (the recurrence common)."""

    def __init__(self, hidden: int = 32, radius: float | None = None, rho: float = 1.0) -> None:
        super().__init__()
        self.rho = rho
        self.lstm = nn.LSTM(3, hidden, batch_first=True)
        if radius is not None:
            with torch.no_grad():
                w = self.lstm.weight_hh_l0
                for i in range(4):
                    blk = w[i * hidden:(i + 1) * hidden]
                    blk.mul_(radius / torch.linalg.eigvals(blk).abs().max())
        self.head = nn.Linear(hidden, 4)

    def forward(self, inp: Any) -> torch.Tensor:
        cov, y = inp
        h, _ = self.lstm(cov)
        p = self.head(h)
        g = F.softplus(p[..., :2])
        sig = F.softplus(p[..., 2])
        bias = p[..., 3]
        b, n = y.shape
        fm = self.rho * torch.tensor([[1.0, 1.0], [0.0, 1.0]])
        m = torch.zeros(b, 2)
        cov_p = torch.eye(2).expand(b, 2, 2)
        nll = 0.0
        for t in range(n):
            pred = m[:, 0] + bias[:, t]
            s = cov_p[:, 0, 0] + sig[:, t] ** 2
            v = y[:, t] - pred
            nll = nll + 0.5 * (math.log(2 * math.pi) + s.log() + v ** 2 / s)
            gain = cov_p[:, :, 0] / s[:, None]
            m = m + gain * v[:, None]
            cov_p = cov_p - gain[:, :, None] * cov_p[:, 0:1, :]
            m = m @ fm.T
            gt = g[:, t]
            cov_p = fm @ cov_p @ fm.T + gt[:, :, None] * gt[:, None, :]
        return nll / n


# ---- EQL: the equation learner -----------------------------------------------------------------------------------

def eql_f1(seed: int, batch: int = 64, shuffled: bool = False) -> Callable[[int], Any]:
    """The EQL paper's F-1: ``y = (sin(pi x1) + sin(2 pi x2 + pi / 8) + x2 - x3 x4) / 3`` on x in U(-1, 1)^4 with
    N(0, 0.01^2) noise; ``shuffled``: the targets permuted within every batch, apart from their inputs."""
    def make(g: torch.Generator, _: int) -> Any:
        x = 2 * torch.rand(batch, 4, generator=g) - 1
        y = (torch.sin(math.pi * x[:, 0]) + torch.sin(2 * math.pi * x[:, 1] + math.pi / 8) + x[:, 1]
             - x[:, 2] * x[:, 3]) / 3
        y = y[:, None] + 0.01 * torch.randn(batch, 1, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


class EQLLayer(nn.Module):
    """One EQL layer: a Linear map to ``4 u + 2 v`` values, then ``u`` identity, ``u`` sin, ``u`` cos and ``u``
    sigmoid units and ``v`` multiplication units (each the product of two values)."""

    def __init__(self, inp: int, u: int = 8, v: int = 4) -> None:
        super().__init__()
        self.u, self.v = u, v
        self.lin = nn.Linear(inp, 4 * u + 2 * v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lin(x)
        u, v = self.u, self.v
        return torch.cat([h[:, :u], torch.sin(h[:, u:2 * u]), torch.cos(h[:, 2 * u:3 * u]),
                          torch.sigmoid(h[:, 3 * u:4 * u]), h[:, 4 * u:4 * u + v] * h[:, 4 * u + v:]], 1)


class EQL(nn.Module):
    """The equation learner (Martius and Lampert 2016): two EQL layers (8 units of each kind and 4 products) and a
    linear output."""

    def __init__(self) -> None:
        super().__init__()
        self.l1, self.l2 = EQLLayer(4), EQLLayer(36)
        self.out = nn.Linear(36, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.l2(self.l1(x)))


def eql_loss(model: EQL, l1: float, start: int) -> Callable[[Any, Any, int], torch.Tensor]:
    """EQL's phased objective: the MSE, plus from step ``start`` on ``l1`` times the L1 norm of the weights."""
    def loss(pred: torch.Tensor, y: torch.Tensor, step: int) -> torch.Tensor:
        out = F.mse_loss(pred, y)
        if step >= start and l1 > 0:
            out = out + l1 * sum(p.abs().sum() for n, p in model.named_parameters() if n.endswith("weight"))
        return out
    return loss


# ---- SINDy autoencoder -------------------------------------------------------------------------------------------

def lifted_oscillator(seed: int, batch: int = 64, d: int = 32) -> Callable[[int], Any]:
    """High-dimensional measurements of a 2-d damped nonlinear oscillator (``z1' = z2``, ``z2' = -z1 - 0.1 z2 -
    0.5 z1^3``), states sampled in U(-1.5, 1.5)^2, lifted by ``x = U1 z + U2 z^3`` with fixed random ``U1``, ``U2``
    (32 x 2, the cubic half as strong), and the lift's time derivative ``x' = U1 z' + 3 U2 (z^2 z')``:
    ``((x, x'), x)``."""
    u1 = torch.randn(d, 2, generator=_fixed(5)) / math.sqrt(2)
    u2 = 0.5 * torch.randn(d, 2, generator=_fixed(6)) / math.sqrt(2)

    def make(g: torch.Generator, _: int) -> Any:
        z = 3 * torch.rand(batch, 2, generator=g) - 1.5
        dz = torch.stack([z[:, 1], -z[:, 0] - 0.1 * z[:, 1] - 0.5 * z[:, 0] ** 3], 1)
        x = z @ u1.T + z ** 3 @ u2.T
        dx = dz @ u1.T + (3 * z ** 2 * dz) @ u2.T
        return (x, dx), x
    return _pool(seed, make)


def _library(z: torch.Tensor) -> torch.Tensor:
    """SINDy's polynomial library of the 2-d state up to order 3 (10 terms)."""
    a, b = z[:, 0:1], z[:, 1:2]
    return torch.cat([torch.ones_like(a), a, b, a * a, a * b, b * b, a ** 3, a * a * b, a * b * b, b ** 3], 1)


class SINDyAE(nn.Module):
    """The SINDy autoencoder (Champion et al. 2019), narrowed: encoder ``32 -> 32 -> 16 -> 2`` and a mirrored
    decoder with sigmoid activations (the paper's), the polynomial library to order 3 and its coefficients ``Xi``
    initialised to 1 (the paper's constant init); ``forward((x, x'))`` returns ``(x, x_hat, x', the decoder's
    directional derivative along Theta(z) Xi, Xi)``. ``layers``: hidden sigmoid layers in each of the encoder and
    the decoder (the depth common: 16 of width 32 at PyTorch's default init)."""

    def __init__(self, d: int = 32, layers: int | None = None) -> None:
        super().__init__()
        hidden = [32, 16] if layers is None else [32] * layers
        self.enc = _mlp([d, *hidden, 2], nn.Sigmoid)
        self.dec = _mlp([2, *hidden[::-1], d], nn.Sigmoid)
        self.xi = nn.Parameter(torch.ones(10, 2))

    def forward(self, inp: Any) -> Any:
        x, dx = inp
        z, dz_enc = torch.func.jvp(self.enc, (x,), (dx,))
        dz = _library(z) @ self.xi
        x_hat, dx_hat = torch.func.jvp(self.dec, (z,), (dz,))
        return x, x_hat, dx, dx_hat, dz_enc, dz


def sindy_loss(out: Any, _: Any, lam1: float = 1e-4, lam3: float = 1e-5, xi: Any = None) -> torch.Tensor:
    """The SINDy autoencoder's loss: the reconstruction's squared error plus ``lam1 = 1e-4`` times the x-derivative
    error (the paper's Lorenz weights; ``lam2 = 0``), each summed over the 32 coordinates, and ``lam3 = 1e-5``
    times the L1 norm of ``Xi``."""
    x, x_hat, dx, dx_hat, _, _ = out
    loss = ((x - x_hat) ** 2).sum(1).mean() + lam1 * ((dx - dx_hat) ** 2).sum(1).mean()
    return loss if xi is None else loss + lam3 * xi.abs().sum()


# ---- builders --------------------------------------------------------------------------------------------------------

def gmvae(seed: int, lr: float = 1e-3, init_std: float | None = None, var_as_logvar: bool = False,
          bias: float | None = None) -> Setup:
    """The GMVAE on the sensor readings (batch 64), its negative ELBO, Adam at lr 1e-3 (the reference code's);
    ``init_std``: every Linear weight N(0, init_std^2); ``var_as_logvar``, ``bias``: see :class:`GMVAE`."""
    torch.manual_seed(SEED0 + seed)
    model = GMVAE(var_as_logvar=var_as_logvar, bias=bias)
    if init_std is not None:
        _normal_init(model, init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), cluster_readings(seed), _model_out)


def vdm(seed: int, lr: float = 3e-3, logsnr_as_logvar: bool = False) -> Setup:
    """VDM on the prototype vectors (batch 64), its diffusion and prior losses, AdamW at lr 1e-3 (set here; the
    paper's 2e-4 runs for 10 million steps) with weight decay 0.01, betas (0.9, 0.99) and the gradients clipped to
    norm 1 as the reference code; ``logsnr_as_logvar``: see :class:`VDM`."""
    torch.manual_seed(SEED0 + seed)
    model = VDM(logsnr_as_logvar=logsnr_as_logvar)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=0.01)
    setup = _xy(model, opt, prototype_vectors(seed), _model_out)
    setup.clip = 1.0
    return setup


def radial_flow(seed: int, lr: float = 1e-2) -> Setup:
    """The radial flows on the ring mixture (batch 128), the negative log-likelihood, Adam at lr 1e-2 (the paper's
    RMSprop at 1e-5 over 500,000 steps replaced by Adam for 200)."""
    torch.manual_seed(SEED0 + seed)
    model = RadialFlow()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), ring_mixture(seed), _model_out)


def instdisc(seed: int, lr: float = 0.03, normalize: bool = True) -> Setup:
    """InstDisc on the instance views (batch 16), the cross-entropy of the non-parametric softmax, SGD at the
    paper's lr 0.03, momentum 0.9 and weight decay 5e-4, the memory bank updated after each step; ``normalize``:
    see :class:`InstDisc`."""
    torch.manual_seed(SEED0 + seed)
    model = InstDisc(normalize=normalize)
    opt = _after_step(torch.optim.SGD, model, model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, instance_views(seed), F.cross_entropy)


def koopa(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False, dt: float = 0.05,
          shuffled: bool = False, eps: float = 1e-5) -> Setup:
    """Koopa on the oscillators' readings (batch 16), MSE, Adam at lr 1e-3 (the reference code's); ``adamw``: AdamW
    at ``weight_decay``; ``dt``, ``shuffled``: see :func:`forced_oscillators`; ``eps``: see :class:`Koopa`."""
    torch.manual_seed(SEED0 + seed)
    data = forced_oscillators(seed, dt=dt, shuffled=shuffled)
    model = Koopa(_koopa_mask(data), eps=eps)
    opt = (torch.optim.AdamW if adamw else torch.optim.Adam)(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, data, F.mse_loss)


def deepstate(seed: int, lr: float = 1e-3, radius: float | None = None, rho: float = 1.0) -> Setup:
    """DeepState on the trend-and-season series (batch 32), the Kalman filter's negative log-likelihood per step,
    Adam at the paper's lr 1e-3; ``radius``: see :class:`DeepState`."""
    torch.manual_seed(SEED0 + seed)
    model = DeepState(radius=radius, rho=rho)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), trend_season_series(seed), _model_out)


def eql(seed: int, lr: float = 3e-2, l1: float = 1e-4, start: int = 50, shuffled: bool = False) -> Setup:
    """EQL on F-1 (batch 64), MSE plus from step 50 (a quarter of the run, the paper's first phase) the L1 penalty
    at ``l1 = 1e-4`` on the weights, Adam at lr 3e-2 (the paper's 1e-3 is for far longer runs); ``shuffled``: see
    :func:`eql_f1`."""
    torch.manual_seed(SEED0 + seed)
    model = EQL()
    loss = eql_loss(model, l1, start)
    data = eql_f1(seed, shuffled=shuffled)
    counter = {"step": 0}

    def compute(m: nn.Module, batch: Any) -> torch.Tensor:
        return loss(m(batch[0]), batch[1], counter["step"])

    def batches(step: int) -> Any:
        counter["step"] = step
        return data(step)
    setup = Setup(model, torch.optim.Adam(model.parameters(), lr=lr), None, data(0), None, compute, batches)
    return setup


def sindy_ae(seed: int, lr: float = 1e-3, layers: int | None = None) -> Setup:
    """The SINDy autoencoder on the lifted oscillator (batch 64), :func:`sindy_loss`, Adam at the paper's lr 1e-3;
    ``layers``: see :class:`SINDyAE`."""
    torch.manual_seed(SEED0 + seed)
    model = SINDyAE(layers=layers)

    def loss(out: Any, y: Any) -> torch.Tensor:
        return sindy_loss(out, y, xi=model.xi)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), lifted_oscillator(seed), loss)
