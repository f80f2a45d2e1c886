"""Builders of the seventy-seventh held-out batch (``fresh76.py``): generative, self-supervised, forecasting and
scientific models new to the corpus at their usual settings, broken variants with one real fault each, and the small
data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and
never tuned on.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(760_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7600 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _own(model: nn.Module, batches: Callable[[int], Any], opt: Any) -> Setup:
    """A model whose forward returns its own loss: ``model(batch)``."""
    def compute(m: nn.Module, batch: Any) -> torch.Tensor:
        return m(batch)
    return Setup(model, opt, None, batches(0), None, compute, batches, needs_closure=True)


def _init_normal(model: nn.Module, std: float) -> None:
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def ring_points(seed: int, batch: int = 256, d: int = 8) -> Callable[[int], Any]:
    """Points on a ring in 8-D: radius 2 (radial std 0.05) in a 2-D plane and N(0, 0.05^2) off it, turned by a fixed
    random rotation (the per-coordinate variance averages 0.50: EDM's ``sigma_data = 0.709``), with EDM's training
    noise drawn with each batch (``ln sigma ~ N(-1.2, 1.2^2)``, ``n ~ N(0, sigma^2)``): ``((y, sigma, n), None)``."""
    rot = torch.linalg.qr(torch.randn(d, d, generator=_fixed(2)))[0]

    def make(g: torch.Generator, _: int) -> Any:
        angle = 2 * math.pi * torch.rand(batch, generator=g)
        radius = 2.0 + 0.05 * torch.randn(batch, generator=g)
        y = 0.05 * torch.randn(batch, d, generator=g)
        y[:, 0], y[:, 1] = radius * angle.cos(), radius * angle.sin()
        y = y @ rot.T
        sigma = (-1.2 + 1.2 * torch.randn(batch, 1, generator=g)).exp()
        return (y, sigma, sigma * torch.randn(batch, d, generator=g)), None
    return _pool(seed, make)


def ring_density(seed: int, batch: int = 256) -> Callable[[int], Any]:
    """The eight-Gaussians ring for density estimation (radius 2, std 0.2 about each mode): ``(points, None)``."""
    angles = torch.arange(8) * (2 * math.pi / 8)
    modes = 2.0 * torch.stack([angles.cos(), angles.sin()], 1)

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.randint(0, 8, (batch,), generator=g)
        return modes[k] + 0.2 * torch.randn(batch, 2, generator=g), None
    return _pool(seed, make)


def rotating_ar(seed: int, batch: int = 32, length: int = 16, rho: float = 0.95, theta: float = 0.3
                ) -> Callable[[int], Any]:
    """2-D rotating AR(1) sequences ``x_t = rho R(theta) x_(t-1) + sqrt(1 - rho^2) e_t`` from the stationary
    ``x_0 ~ N(0, I)``: every marginal is N(0, I), so a model without memory cannot beat ``ln(2 pi e) = 2.838`` nats a
    step, while the conditional's entropy is ``2.838 + ln(1 - rho^2) = 0.510``: ``(x (b, t, 2), None)``."""
    c, s = math.cos(theta), math.sin(theta)
    rot = torch.tensor([[c, -s], [s, c]])

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.empty(batch, length, 2)
        x[:, 0] = torch.randn(batch, 2, generator=g)
        for t in range(1, length):
            x[:, t] = rho * x[:, t - 1] @ rot.T + math.sqrt(1 - rho ** 2) * torch.randn(batch, 2, generator=g)
        return x, None
    return _pool(seed, make)


def multichannel(seed: int, batch: int = 16, channels: int = 2, length: int = 48) -> Callable[[int], Any]:
    """Unlabelled 2-channel series for TS2Vec: per series a random frequency (1 to 4 cycles), phase and amplitude per
    channel, plus N(0, 0.3^2) noise, with the two random crops of TS2Vec drawn with each batch (a crop length of 24
    to 40 and overlapping windows): ``((x (b, 48, 2), crop bounds (4,)), None)``."""
    t = torch.arange(length).float() / length

    def make(g: torch.Generator, _: int) -> Any:
        f = 1 + 3 * torch.rand(batch, 1, channels, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, channels, generator=g)
        amp = 0.5 + torch.rand(batch, 1, channels, generator=g)
        x = amp * torch.sin(2 * math.pi * f * t[None, :, None] + ph) + 0.3 * torch.randn(batch, length, channels,
                                                                                         generator=g)
        crop = int(torch.randint(24, 41, (1,), generator=g))
        left = int(torch.randint(0, length - crop + 1, (1,), generator=g))
        eleft = int(torch.randint(0, left + 1, (1,), generator=g))
        eright = int(torch.randint(left + crop, length + 1, (1,), generator=g))
        return (x, torch.tensor([eleft, left, left + crop, eright])), None
    return _pool(seed, make)


def template_vectors(seed: int, batch: int = 64, d: int = 32, classes: int = 8) -> Callable[[int], Any]:
    """Unlabelled vectors around 8 fixed templates (N(0, 1) templates, N(0, 0.5^2) noise), with two augmented views
    drawn with each batch (Gaussian noise of std 0.3 and feature dropout at 0.2): ``((view 1, view 2), None)``."""
    templates = torch.randn(classes, d, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        x = templates[torch.randint(0, classes, (batch,), generator=g)] + 0.5 * torch.randn(batch, d, generator=g)

        def view() -> torch.Tensor:
            keep = (torch.rand(batch, d, generator=g) > 0.2).float()
            return (x + 0.3 * torch.randn(batch, d, generator=g)) * keep
        return (view(), view()), None
    return _pool(seed, make)


def univariate(seed: int, batch: int = 32, length: int = 48) -> Callable[[int], Any]:
    """Univariate series for one-step-ahead forecasting: two seasonal components (periods 12 and about 30, random
    amplitudes and phases) and N(0, 0.2^2) noise, unit variance on average: ``(x (b, 48, 1), next values (b, 48,
    1))``."""
    t = torch.arange(length + 1).float()

    def make(g: torch.Generator, _: int) -> Any:
        a = 0.6 + 0.6 * torch.rand(batch, 2, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 2, generator=g)
        p2 = 25 + 10 * torch.rand(batch, 1, generator=g)
        x = (a[:, :1] * torch.sin(2 * math.pi * t / 12 + ph[:, :1]) + a[:, 1:] * torch.sin(2 * math.pi * t / p2
                                                                                           + ph[:, 1:]))
        x = x + 0.2 * torch.randn(x.shape, generator=g)
        return x[:, :-1, None], x[:, 1:, None]
    return _pool(seed, make)


def covariate_series(seed: int, batch: int = 32, channels: int = 4, length: int = 32, horizon: int = 8,
                     shuffled: bool = False) -> Callable[[int], Any]:
    """Four series and four exogenous covariates (e.g. weather readings) of 32 steps, each at its own level (N(0,
    2^2)) and scale (0.5 to 1.5) around a periodic pattern (period 8 to 16) with N(0, 0.1^2) noise; the series'
    next 8 steps are the targets (raw units: the best constant forecast, 0, scores about 4.4): ``((series (b, 4,
    32), covariates (b, 4, 32)), targets (b, 4, 8))``; ``shuffled``: the targets permuted within every batch, apart
    from their series."""
    t = torch.arange(length + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        def draw() -> torch.Tensor:
            level = 2.0 * torch.randn(batch, channels, 1, generator=g)
            scale = 0.5 + torch.rand(batch, channels, 1, generator=g)
            period = 8 + 8 * torch.rand(batch, channels, 1, generator=g)
            ph = 2 * math.pi * torch.rand(batch, channels, 1, generator=g)
            return level + scale * torch.sin(2 * math.pi * t / period + ph) + 0.1 * torch.randn(
                batch, channels, length + horizon, generator=g)
        s, c = draw(), draw()
        y = s[..., length:]
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return (s[..., :length], c[..., :length]), y
    return _pool(seed, make)


def advection_diffusion(seed: int, batch: int = 16, n: int = 64, steps: int = 10, dt: float = 0.01,
                        speed: float = 1.0, nu: float = 0.2) -> Callable[[int], Any]:
    """Solutions of ``u_t = -speed u_x + nu u_xx`` on a periodic grid of 64 over ``[0, 2 pi)`` (exact, by Fourier
    modes), from random smooth initial states (modes 1 to 4, unit-scale amplitudes): ``(u(0) (b, 64), u(dt .. steps
    dt) (b, steps, 64))``."""
    x = torch.arange(n).float() * (2 * math.pi / n)
    k = torch.arange(1, 5).float()
    times = dt * torch.arange(1, steps + 1).float()

    def make(g: torch.Generator, _: int) -> Any:
        a = torch.randn(batch, 4, generator=g) / k
        ph = 2 * math.pi * torch.rand(batch, 4, generator=g)
        decay = torch.exp(-nu * k ** 2 * times[:, None])                            # (steps, 4)
        arg = k * x[:, None]                                                         # (n, 4)
        u0 = (a[:, None] * torch.sin(arg[None] + ph[:, None])).sum(-1)
        shift = k * speed * times[:, None]                                           # (steps, 4)
        ut = (a[:, None, None] * decay[None, :, None] * torch.sin(arg[None, None] - shift[None, :, None]
                                                                  + ph[:, None, None])).sum(-1)
        return u0, ut
    return _pool(seed, make)


# ---- EDM (Karras et al. 2022) ----------------------------------------------------------------------------------------

class EDM(nn.Module):
    """EDM's preconditioned denoiser ``D(x; sigma) = c_skip x + c_out F(c_in x; c_noise)`` (sigma_data 0.709, the
    data's standard deviation, as the paper sets it), ``F``
    an MLP of ``layers`` hidden SiLU layers of 128 (PyTorch's default init; ``init_std``: every Linear drawn N(0,
    init_std^2)); the loss is EDM's ``lambda(sigma) |D - y|^2`` with ``lambda = (sigma^2 + sigma_data^2) / (sigma
    sigma_data)^2``, averaged (the best constant ``F``, 0, scores about 1)."""

    def __init__(self, layers: int = 3, width: int = 128, d: int = 8, init_std: float | None = None) -> None:
        super().__init__()
        dims = [d + 1] + [width] * layers
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(dims))
        self.out = nn.Linear(width, d)
        self.sigma_data = math.sqrt(0.502)
        if init_std is not None:
            _init_normal(self, init_std)

    def forward(self, batch: Any) -> torch.Tensor:
        (y, sigma, n), _ = batch
        sd = self.sigma_data
        x = y + n
        c_skip = sd ** 2 / (sigma ** 2 + sd ** 2)
        c_out = sigma * sd / (sigma ** 2 + sd ** 2).sqrt()
        c_in = 1 / (sigma ** 2 + sd ** 2).sqrt()
        h = torch.cat([c_in * x, sigma.log() / 4], 1)
        for layer in self.hidden:
            h = F.silu(layer(h))
        d = c_skip * x + c_out * self.out(h)
        weight = (sigma ** 2 + sd ** 2) / (sigma * sd) ** 2
        return (weight * (d - y) ** 2).mean()


class EMAAdam(torch.optim.Adam):
    """Adam followed by EDM's EMA of the weights (kept for sampling, never in the loss): ``beta = 0.5 ** (batch /
    max(halflife, 1e-8))`` with the half-life ``min(500k images, 0.05 x images seen)`` (the reference code's ramp-up),
    each EMA weight updated in place, ``p_ema.mul_(beta).add_(p, alpha=1 - beta)``."""

    def __init__(self, net: nn.Module, ema: nn.Module, lr: float, batch: int = 256) -> None:
        super().__init__(net.parameters(), lr=lr)
        self.pairs = list(zip(ema.parameters(), net.parameters(), strict=True))
        self.batch, self.nimg = batch, 0

    def step(self, closure: Any = None) -> Any:
        loss = super().step(closure)
        beta = 0.5 ** (self.batch / max(min(500_000.0, 0.05 * self.nimg), 1e-8))
        with torch.no_grad():
            for p_ema, p in self.pairs:
                p_ema.mul_(beta).add_(p, alpha=1 - beta)
        self.nimg += self.batch
        return loss


def edm(seed: int, lr: float = 1e-3, layers: int = 3, init_std: float | None = None,
        shallow_ema: bool = False) -> Setup:
    """EDM on the 8-D ring (batch 256), Adam at the paper's lr 1e-3 (its warm-up left out) with its EMA
    (:class:`EMAAdam`) of a ``copy.deepcopy`` of the net; ``layers``, ``init_std``: see :class:`EDM`;
    ``shallow_ema``: the EMA made by ``copy.copy(net)``, which shares the net's parameter dict, so every EMA weight is
    the net's own tensor."""
    torch.manual_seed(760_000 + seed)
    model = EDM(layers=layers, init_std=init_std)
    ema = copy.copy(model) if shallow_ema else copy.deepcopy(model)
    return _own(model, ring_points(seed), EMAAdam(model, ema, lr))


# ---- VRNN (Chung et al. 2015) ----------------------------------------------------------------------------------------

def _mlp(a: int, b: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(a, b), nn.ReLU())


def _gauss_nll(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    return (std.log() + (x - mean) ** 2 / (2 * std ** 2) + 0.5 * math.log(2 * math.pi)).sum(-1)


def _gauss_kl(m1: torch.Tensor, s1: torch.Tensor, m2: torch.Tensor, s2: torch.Tensor) -> torch.Tensor:
    return (s2.log() - s1.log() + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5).sum(-1)


class VRNN(nn.Module):
    """The variational RNN: feature extractors ``phi_x`` (two ReLU layers) and ``phi_z``, the encoder ``q(z_t | x_t,
    h_(t-1))``, the prior ``p(z_t | h_(t-1))`` and the decoder ``p(x_t | z_t, h_(t-1))`` (one ReLU layer each, a mean
    and a softplus std), a GRU cell over ``[phi_x, phi_z]``; the loss is the negative ELBO in nats a step.
    ``relu_bias``: every bias before a ReLU set to that value; ``update_bias``: the GRU's update-gate biases (input and
    hidden) set to half that value each; ``std_relu``: the decoder's std through a ReLU instead of a softplus."""

    def __init__(self, x_dim: int = 2, h: int = 32, z: int = 4, relu_bias: float | None = None,
                 update_bias: float | None = None, std_relu: bool = False) -> None:
        super().__init__()
        self.phi_x = nn.Sequential(_mlp(x_dim, h), _mlp(h, h))
        self.phi_z = _mlp(z, h)
        self.enc, self.prior, self.dec = _mlp(2 * h, h), _mlp(h, h), _mlp(2 * h, h)
        self.enc_mean, self.enc_std = nn.Linear(h, z), nn.Linear(h, z)
        self.prior_mean, self.prior_std = nn.Linear(h, z), nn.Linear(h, z)
        self.dec_mean, self.dec_std = nn.Linear(h, x_dim), nn.Linear(h, x_dim)
        self.rnn = nn.GRUCell(2 * h, h)
        self.h, self.std_relu = h, std_relu
        if relu_bias is not None:
            with torch.no_grad():
                for m in self.modules():
                    if isinstance(m, nn.Sequential) and isinstance(m[-1], nn.ReLU):
                        m[0].bias.fill_(relu_bias)
        if update_bias is not None:
            with torch.no_grad():
                self.rnn.bias_ih[h:2 * h].fill_(update_bias / 2)
                self.rnn.bias_hh[h:2 * h].fill_(update_bias / 2)

    def forward(self, batch: Any) -> torch.Tensor:
        x, _ = batch
        b, t, _ = x.shape
        h = x.new_zeros(b, self.h)
        total = x.new_zeros(b)
        for i in range(t):
            fx = self.phi_x(x[:, i])
            e = self.enc(torch.cat([fx, h], 1))
            em, es = self.enc_mean(e), F.softplus(self.enc_std(e))
            p = self.prior(h)
            pm, ps = self.prior_mean(p), F.softplus(self.prior_std(p))
            z = em + es * torch.randn_like(es)
            fz = self.phi_z(z)
            d = self.dec(torch.cat([fz, h], 1))
            dm = self.dec_mean(d)
            ds = F.relu(self.dec_std(d)) if self.std_relu else F.softplus(self.dec_std(d))
            total = total + _gauss_kl(em, es, pm, ps) + _gauss_nll(x[:, i], dm, ds)
            h = self.rnn(torch.cat([fx, fz], 1), h)
        return (total / t).mean()


def vrnn(seed: int, lr: float = 1e-3, relu_bias: float | None = None, update_bias: float | None = None,
         std_relu: bool = False) -> Setup:
    """The VRNN on the rotating AR(1) sequences (batch 32 of 16 steps), the negative ELBO, Adam at the paper's lr
    1e-3; ``relu_bias``, ``update_bias``, ``std_relu``: see :class:`VRNN`."""
    torch.manual_seed(760_000 + seed)
    model = VRNN(relu_bias=relu_bias, update_bias=update_bias, std_relu=std_relu)
    return _own(model, rotating_ar(seed), torch.optim.Adam(model.parameters(), lr=lr))


# ---- NAF (Huang et al. 2018) -----------------------------------------------------------------------------------------

class MaskedLinear(nn.Linear):
    def __init__(self, a: int, b: int, mask: torch.Tensor) -> None:
        super().__init__(a, b)
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class DSFLayer(nn.Module):
    """One deep-sigmoidal-flow layer: a MADE conditioner (two masked ELU layers of ``hidden``) gives, per dimension,
    ``k`` slopes (softplus), offsets and weights (softmax) of the transformer ``y = logit(sum_k w_k sigmoid(a_k x +
    b_k))``; returns ``y`` and ``log |dy/dx|`` summed over the dimensions."""

    def __init__(self, d: int = 2, hidden: int = 64, k: int = 8) -> None:
        super().__init__()
        deg_in = torch.arange(1, d + 1)
        deg_h = torch.arange(hidden) % max(1, d - 1) + 1
        m1 = (deg_h[:, None] >= deg_in[None]).float()
        m2 = (deg_h[:, None] >= deg_h[None]).float()
        deg_out = deg_in.repeat_interleave(3 * k)
        m3 = (deg_out[:, None] > deg_h[None]).float()
        self.l1, self.l2 = MaskedLinear(d, hidden, m1), MaskedLinear(hidden, hidden, m2)
        self.l3 = MaskedLinear(hidden, 3 * k * d, m3)
        self.d, self.k = d, k

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p = self.l3(F.elu(self.l2(F.elu(self.l1(x))))).view(-1, self.d, 3, self.k)
        a, b, logw = F.softplus(p[:, :, 0]) + 1e-3, p[:, :, 1], F.log_softmax(p[:, :, 2], -1)
        u = a * x[..., None] + b
        log_s = torch.logsumexp(logw + F.logsigmoid(u), -1)
        log_1ms = torch.logsumexp(logw + F.logsigmoid(-u), -1)
        y = log_s - log_1ms
        log_ds = torch.logsumexp(logw + F.logsigmoid(u) + F.logsigmoid(-u) + a.log(), -1)
        return y, (log_ds - log_s - log_1ms).sum(-1)


class NAF(nn.Module):
    """A neural autoregressive flow of ``layers`` DSF layers, the order reversed between layers, onto N(0, I); the
    loss is the negative log-likelihood in nats a point."""

    def __init__(self, layers: int = 2) -> None:
        super().__init__()
        self.layers = nn.ModuleList(DSFLayer() for _ in range(layers))

    def forward(self, batch: Any) -> torch.Tensor:
        x, _ = batch
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
            x = x.flip(1)
        logp = -0.5 * (x ** 2).sum(1) - x.shape[1] * 0.5 * math.log(2 * math.pi)
        return -(logp + logdet).mean()


def naf(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """NAF (DSF, two layers) on the eight-Gaussians ring (batch 256), the negative log-likelihood, Adam at lr 1e-3
    (set here); ``weight_decay``: AdamW with that decay instead."""
    torch.manual_seed(760_000 + seed)
    model = NAF()
    if weight_decay:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _own(model, ring_density(seed), opt)


# ---- TS2Vec (Yue et al. 2022) ----------------------------------------------------------------------------------------

class _ConvBlock(nn.Module):
    def __init__(self, c: int, dilation: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(c, c, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv1d(c, c, 3, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.gelu(self.conv1(F.gelu(x))))


class TS2VecEncoder(nn.Module):
    """TS2Vec's encoder: the input projection, timestamp masking (each timestamp's projected features zeroed with
    probability 0.5 in training), residual blocks of two dilated convolutions (dilations 1, 2, 4; GELU), a final
    projection and dropout 0.1: ``(b, t, c) -> (b, t, 32)``."""

    def __init__(self, c_in: int = 2, hidden: int = 32, out: int = 32, depth: int = 3) -> None:
        super().__init__()
        self.input_fc = nn.Linear(c_in, hidden)
        self.blocks = nn.Sequential(*(_ConvBlock(hidden, 2 ** i) for i in range(depth)))
        self.out = nn.Conv1d(hidden, out, 1)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.input_fc(x)
        if self.training:
            h = h * (torch.rand(h.shape[:2]) > 0.5).float()[..., None]
        return self.drop(self.out(self.blocks(h.transpose(1, 2)))).transpose(1, 2)


def _pair_nll(z: torch.Tensor, n: int) -> torch.Tensor:
    """TS2Vec's contrast: over the last two axes ``(2n, c)``, each row's positive is its twin ``n`` away among the
    other ``2n - 1`` rows."""
    sim = z @ z.transpose(-1, -2)
    logits = torch.tril(sim, -1)[..., :-1] + torch.triu(sim, 1)[..., 1:]
    logits = -F.log_softmax(logits, -1)
    i = torch.arange(n)
    return (logits[..., i, n + i - 1].mean() + logits[..., n + i, i].mean()) / 2


def hierarchical_contrastive(z1: torch.Tensor, z2: torch.Tensor, alpha: float = 0.5) -> torch.Tensor:
    loss, d = z1.new_zeros(()), 0
    while z1.shape[1] > 1:
        inst = _pair_nll(torch.cat([z1, z2], 0).transpose(0, 1), z1.shape[0])
        temp = _pair_nll(torch.cat([z1, z2], 1), z1.shape[1])
        loss, d = loss + alpha * inst + (1 - alpha) * temp, d + 1
        z1 = F.max_pool1d(z1.transpose(1, 2), 2).transpose(1, 2)
        z2 = F.max_pool1d(z2.transpose(1, 2), 2).transpose(1, 2)
    if z1.shape[1] == 1:
        loss, d = loss + alpha * _pair_nll(torch.cat([z1, z2], 0).transpose(0, 1), z1.shape[0]), d + 1
    return loss / d


class TS2Vec(nn.Module):
    """TS2Vec's training objective: the two overlapping crops ``x[eleft:right]`` and ``x[left:eright]`` encoded, their
    common segment ``[left, right)`` contrasted by the hierarchical loss (instance and temporal, alpha 0.5)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = TS2VecEncoder()

    def forward(self, batch: Any) -> torch.Tensor:
        (x, bounds), _ = batch
        eleft, left, right, eright = (int(v) for v in bounds)
        crop = right - left
        z1 = self.net(x[:, eleft:right])[:, -crop:]
        z2 = self.net(x[:, left:eright])[:, :crop]
        return hierarchical_contrastive(z1, z2)


def ts2vec(seed: int, lr: float = 1e-3, weight_decay: float = 0.01) -> Setup:
    """TS2Vec on the unlabelled 2-channel series (batch 16, crops of 24 to 40 of 48 steps), AdamW at the reference
    code's lr 1e-3 (PyTorch's default decay 0.01); ``weight_decay``: AdamW's."""
    torch.manual_seed(760_000 + seed)
    model = TS2Vec()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _own(model, multichannel(seed), opt)


# ---- NNCLR (Dwibedi et al. 2021) -------------------------------------------------------------------------------------

class NNCLR(nn.Module):
    """NNCLR on vectors: an MLP backbone (32 -> 128 -> 64, BatchNorm and ReLU), the projector (64 -> 128 -> 64,
    BatchNorm after both Linears, ReLU between), the predictor (64 -> 128 -> 64, BatchNorm and ReLU in the hidden
    layer), a FIFO support set of 256 projections; the loss is the symmetric InfoNCE between each view's nearest
    neighbour in the support set and the other view's prediction, cosine similarities over temperature 0.1.
    ``l2``: False leaves the projections, neighbours and predictions unnormalised (raw dot products / 0.1)."""

    def __init__(self, d: int = 32, queue: int = 256, tau: float = 0.1, l2: bool = True) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(d, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 64))
        self.projector = nn.Sequential(nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 64),
                                       nn.BatchNorm1d(64))
        self.predictor = nn.Sequential(nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 64))
        self.register_buffer("support", F.normalize(torch.randn(queue, 64), dim=1))
        self.tau, self.l2, self.ptr = tau, l2, 0

    def _norm(self, z: torch.Tensor) -> torch.Tensor:
        return F.normalize(z, dim=1) if self.l2 else z

    def forward(self, batch: Any) -> torch.Tensor:
        (v1, v2), _ = batch
        z1, z2 = self.projector(self.backbone(v1)), self.projector(self.backbone(v2))
        p1, p2 = self._norm(self.predictor(z1)), self._norm(self.predictor(z2))
        z1, z2 = self._norm(z1), self._norm(z2)
        nn1 = self.support[(z1 @ self.support.T).argmax(1)]
        nn2 = self.support[(z2 @ self.support.T).argmax(1)]
        target = torch.arange(z1.shape[0])
        loss = (F.cross_entropy(nn1 @ p2.T / self.tau, target) + F.cross_entropy(nn2 @ p1.T / self.tau, target)) / 2
        with torch.no_grad():
            b = z1.shape[0]
            self.support[self.ptr:self.ptr + b] = z1.detach()
            self.ptr = (self.ptr + b) % self.support.shape[0]
        return loss


def nnclr(seed: int, lr: float = 1e-3, l2: bool = True) -> Setup:
    """NNCLR on the template vectors' two views (batch 64), Adam at lr 1e-3 (in place of the paper's LARS, which
    needs its large batches); ``l2``: see :class:`NNCLR`."""
    torch.manual_seed(760_000 + seed)
    model = NNCLR(l2=l2)
    return _own(model, template_vectors(seed), torch.optim.Adam(model.parameters(), lr=lr))


# ---- LogTrans (Li et al. 2019) ---------------------------------------------------------------------------------------

def logsparse_mask(t: int) -> torch.Tensor:
    """LogSparse attention: cell ``i`` attends to itself and to the cells ``i - 1, i - 2, i - 4, ...``; True where
    blocked."""
    i, j = torch.arange(t)[:, None], torch.arange(t)[None]
    gap = i - j
    allowed = (gap == 0) | ((gap > 0) & ((gap & (gap - 1)) == 0))
    return ~allowed


class ConvAttention(nn.Module):
    """LogTrans's convolutional self-attention: queries and keys from causal convolutions of kernel 3, values from a
    Linear; 4 heads, the LogSparse mask."""

    def __init__(self, d: int, heads: int = 4, k: int = 3) -> None:
        super().__init__()
        self.q, self.k = nn.Conv1d(d, d, k), nn.Conv1d(d, d, k)
        self.v, self.o = nn.Linear(d, d), nn.Linear(d, d)
        self.heads, self.pad = heads, k - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        xc = F.pad(x.transpose(1, 2), (self.pad, 0))
        q = self.q(xc).transpose(1, 2).reshape(b, t, self.heads, -1).transpose(1, 2)
        k = self.k(xc).transpose(1, 2).reshape(b, t, self.heads, -1).transpose(1, 2)
        v = self.v(x).reshape(b, t, self.heads, -1).transpose(1, 2)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads)
        s = s.masked_fill(logsparse_mask(t), float("-inf"))
        return self.o((s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d))


class LogTransBlock(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.attn = ConvAttention(d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.ln1(x + self.drop(self.attn(x)))
        return self.ln2(x + self.drop(self.ff(x)))


class LogTrans(nn.Module):
    """A LogTrans forecaster: the value projected to 32 plus learned positions, two GPT-style Post-LN blocks of
    convolutional LogSparse attention and a GELU MLP of 4x (dropout 0.1), the next value read out at every step."""

    def __init__(self, d: int = 32, layers: int = 2, length: int = 48) -> None:
        super().__init__()
        self.inp = nn.Linear(1, d)
        self.pos = nn.Parameter(0.02 * torch.randn(length, d))
        self.blocks = nn.Sequential(*(LogTransBlock(d) for _ in range(layers)))
        self.head = nn.Linear(d, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.inp(x) + self.pos[: x.shape[1]]))


def logtrans(seed: int, lr: float = 1e-3) -> Setup:
    """LogTrans on the univariate series (batch 32 of 48 steps), the one-step-ahead MSE at every step, Adam at lr
    1e-3 (set here)."""
    torch.manual_seed(760_000 + seed)
    model = LogTrans()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), univariate(seed), F.mse_loss)


# ---- SAMformer (Ilbert et al. 2024) ----------------------------------------------------------------------------------

class RevIN(nn.Module):
    """Reversible instance normalisation (Kim et al. 2022): ``norm`` standardises each channel over time and keeps
    its mean and std for ``denorm``; a learnable affine per channel."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(channels, 1)), nn.Parameter(torch.zeros(channels, 1))
        self.eps = eps

    def norm(self, x: torch.Tensor) -> torch.Tensor:
        self.mean = x.mean(-1, keepdim=True).detach()
        self.std = (x.var(-1, keepdim=True, unbiased=False) + self.eps).sqrt().detach()
        return (x - self.mean) / self.std * self.weight + self.bias

    def denorm(self, y: torch.Tensor) -> torch.Tensor:
        return (y - self.bias) / (self.weight + self.eps ** 2) * self.std + self.mean


class SAMformer(nn.Module):
    """SAMformer with exogenous covariates: the series and the covariates each through their own RevIN, one
    single-head channel-wise attention over the 8 channels (each channel's 32 steps a token; queries and keys
    projected to 16, values kept at 32), a residual, a shared Linear to the 8-step horizon, read out for the series
    and de-normalised. ``shared_revin``: the covariates normalised by the series' RevIN instance."""

    def __init__(self, channels: int = 4, length: int = 32, horizon: int = 8, d: int = 16,
                 shared_revin: bool = False) -> None:
        super().__init__()
        self.revin = RevIN(channels)
        self.revin_cov = self.revin if shared_revin else RevIN(channels)
        self.q, self.k, self.v = nn.Linear(length, d), nn.Linear(length, d), nn.Linear(length, length)
        self.head = nn.Linear(length, horizon)
        self.channels = channels

    def forward(self, inputs: Any) -> torch.Tensor:
        s, c = inputs
        x = torch.cat([self.revin.norm(s), self.revin_cov.norm(c)], 1)
        a = (self.q(x) @ self.k(x).transpose(1, 2) / math.sqrt(self.q.out_features)).softmax(-1)
        x = x + a @ self.v(x)
        return self.revin.denorm(self.head(x[:, : self.channels]))


def samformer(seed: int, lr: float = 1e-3, shuffled: bool = False, shared_revin: bool = False) -> Setup:
    """SAMformer on the series with covariates (batch 32), MSE over the 8-step horizon in raw units, Adam at the
    paper's lr 1e-3 (its sharpness-aware minimisation left out: a plain step); ``shuffled``: see
    :func:`covariate_series`; ``shared_revin``: see :class:`SAMformer`."""
    torch.manual_seed(760_000 + seed)
    model = SAMformer(shared_revin=shared_revin)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), covariate_series(seed, shuffled=shuffled),
               F.mse_loss)


# ---- PDE-Net (Long et al. 2018) --------------------------------------------------------------------------------------

class DeltaTBlock(nn.Module):
    """One PDE-Net delta-t block in 1-D: ``u + dt sum_j c_j (q_j * u)`` over the derivative orders j = 1, 2, 3, each
    filter ``q_j`` (5 taps) given by its moments ``q_j = M^-1 m_j / dx^j`` with the moments of orders up to ``j + 1``
    frozen at ``delta_ij`` (the sum rules) and the higher ones learned (from 0); the coefficients ``c_j`` learned
    from 0; periodic padding."""

    def __init__(self, dx: float, dt: float, taps: int = 5, orders: tuple[int, ...] = (1, 2, 3)) -> None:
        super().__init__()
        off = torch.arange(taps).float() - taps // 2
        moments = torch.stack([off ** i / math.factorial(i) for i in range(taps)])   # (moment, tap)
        self.register_buffer("m_inv", torch.linalg.inv(moments))
        fixed = torch.zeros(len(orders), taps)
        free = torch.zeros(len(orders), taps, dtype=torch.bool)
        for r, j in enumerate(orders):
            fixed[r, j] = 1.0
            free[r, j + 2:] = True
        self.register_buffer("fixed", fixed)
        self.register_buffer("free", free)
        self.moments = nn.Parameter(torch.zeros(len(orders), taps))
        self.coef = nn.Parameter(torch.zeros(len(orders)))
        self.register_buffer("scale", torch.tensor([dx ** -j for j in orders]))
        self.dt, self.half = dt, taps // 2

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        m = torch.where(self.free, self.moments, self.fixed)
        filt = (m @ self.m_inv.T) * self.scale[:, None]                                 # (orders, taps)
        up = torch.cat([u[:, -self.half:], u, u[:, : self.half]], 1)
        derivs = F.conv1d(up[:, None], filt[:, None])                                   # (b, orders, n)
        return u + self.dt * (self.coef[None, :, None] * derivs).sum(1)


class PDENet(nn.Module):
    """PDE-Net: ``steps`` delta-t blocks with shared parameters (one block applied ``steps`` times, as the paper
    ties them), rolled out from ``u(0)``; returns ``(b, steps, n)``."""

    def __init__(self, n: int = 64, dt: float = 0.01, steps: int = 10) -> None:
        super().__init__()
        block = DeltaTBlock(2 * math.pi / n, dt)
        self.blocks = nn.ModuleList([block] * steps)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        out = []
        for block in self.blocks:
            u = block(u)
            out.append(u)
        return torch.stack(out, 1)


def pde_net(seed: int, lr: float = 0.03, weight_decay: float = 0.0, per_block: bool = False) -> Setup:
    """PDE-Net on the advection-diffusion rollouts (batch 16, 10 steps of dt 0.01), MSE over the rollout, Adam at lr
    0.03 (in place of the paper's L-BFGS; set here); ``weight_decay``: AdamW with that decay instead; ``per_block``:
    the optimizer built from ``[p for block in model.blocks for p in block.parameters()]``, every shared parameter
    listed once per block (ten times)."""
    torch.manual_seed(760_000 + seed)
    model = PDENet()
    params = [p for block in model.blocks for p in block.parameters()] if per_block else model.parameters()
    if weight_decay:
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(params, lr=lr)
    return _xy(model, opt, advection_diffusion(seed), F.mse_loss)
