"""Builders of the hundred-and-ninth held-out batch (``fresh108.py``): generative, self-supervised, time-series
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

SEED0 = 1_080_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(SEED0 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(10_800 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _normal_init(model: nn.Module, std: float) -> None:
    """Every conv and Linear weight drawn N(0, std^2) (the init common)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def _templates(n: int, size: int = 16, k: int = 1) -> torch.Tensor:
    """``n`` fixed smooth 16x16 grey templates (4x4 Gaussian values stretched bilinearly), unit scale."""
    t = F.interpolate(torch.randn(n, 1, 4, 4, generator=_fixed(k)), size=(size, size), mode="bilinear",
                      align_corners=False)
    return t / t.std()


def template_images(seed: int, batch: int = 16, noise: float = 0.1) -> Callable[[int], Any]:
    """Ten smooth grey 16x16 templates, each randomly sign-flipped and rolled by up to 2 pixels, plus N(0, 0.1^2)
    noise: ``images (b, 1, 16, 16)``."""
    temp = _templates(10)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        x = temp[y].clone()
        for i in range(batch):
            dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=g))
            x[i] = torch.roll(x[i], (dx, dy), (1, 2))
        sign = torch.where(torch.rand(batch, 1, 1, 1, generator=g) < 0.5, -1.0, 1.0)
        return sign * x + noise * torch.randn(x.shape, generator=g)
    return _pool(seed, make)


#: the colour classes' ab values (ab units, CIELAB): 16 classes on a 4x4 lattice of the [-40, 40] gamut square,
#: each class between lattice bins so that its soft target spreads over about four bins
COLOR_AB = torch.tensor([[a, b] for a in (-30.0, -10.0, 10.0, 30.0) for b in (-30.0, -10.0, 10.0, 30.0)]) + 3.0


def textures(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Colourisation data: 16 texture classes (8 orientations x 2 frequencies of a sinusoidal grating in the
    lightness, random phase, N(0, 0.1^2) noise), each coloured flat by its class's ab value:
    ``(L (b, 1, 16, 16) in [-1, 1]-ish, ab (b, 2, 16, 16) in ab units)``."""
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randint(0, 16, (batch,), generator=g)
        ang = (c % 8).float() * math.pi / 8
        freq = torch.where(c < 8, 2 * math.pi / 8, 2 * math.pi / 4)
        ph = 2 * math.pi * torch.rand(batch, generator=g)
        arg = freq[:, None, None] * (torch.cos(ang)[:, None, None] * xx + torch.sin(ang)[:, None, None] * yy)
        lum = 0.6 * torch.sin(arg + ph[:, None, None]) + 0.1 * torch.randn(batch, size, size, generator=g)
        ab = COLOR_AB[c][:, :, None, None].expand(batch, 2, size, size)
        return lum[:, None], ab
    return _pool(seed, make)


def oscillators(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """States of a damped oscillator, ``q' = p``, ``p' = -q - 0.3 p`` (the Helmholtz pair of a Hamiltonian
    ``H = (q^2 + p^2) / 2`` and a dissipation ``D = -0.15 p^2``), sampled uniformly in [-2, 2]^2, with N(0, 0.05^2)
    noise on the derivatives: ``(states (b, 2), derivatives (b, 2))``."""
    def make(g: torch.Generator, _: int) -> Any:
        s = 4 * torch.rand(batch, 2, generator=g) - 2
        q, p = s[:, 0], s[:, 1]
        d = torch.stack([p, -q - 0.3 * p], 1)
        return s, d + 0.05 * torch.randn(d.shape, generator=g)
    return _pool(seed, make)


def sine_mixtures(seed: int, batch: int = 32, length: int = 64) -> Callable[[int], Any]:
    """TF-C's data: series of 64 steps, each a sum of two sinusoids of random frequencies (1 to 12 cycles), phases
    and amplitudes plus N(0, 0.1^2) noise, with TF-C's augmentations drawn once per series: the time view jittered
    (N(0, 0.1^2)) and scaled (N(1, 0.1^2)); the frequency view of the magnitude spectrum with 10% of its components
    removed and 10% raised by up to a tenth of its maximum: ``((x, x_aug, f, f_aug), None)``."""
    t = torch.arange(length).float() / length

    def make(g: torch.Generator, _: int) -> Any:
        fr = torch.randint(1, 13, (batch, 2, 1), generator=g).float()
        ph = 2 * math.pi * torch.rand(batch, 2, 1, generator=g)
        amp = 0.5 + torch.rand(batch, 2, 1, generator=g)
        x = (amp * torch.sin(2 * math.pi * fr * t + ph)).sum(1) + 0.1 * torch.randn(batch, length, generator=g)
        x_aug = x * (1 + 0.1 * torch.randn(batch, 1, generator=g)) + 0.1 * torch.randn(batch, length, generator=g)
        f = torch.fft.fft(x).abs()
        remove = torch.rand(f.shape, generator=g) < 0.1
        add = torch.rand(f.shape, generator=g) < 0.1
        raise_ = add * torch.rand(f.shape, generator=g) * 0.1 * f.amax(1, keepdim=True)
        f_aug = f.masked_fill(remove, 0.0) + raise_
        return (x[:, None], x_aug[:, None], f[:, None], f_aug[:, None]), torch.zeros(batch)
    return _pool(seed, make)


def forecast_series(seed: int, batch: int = 32, channels: int = 3, lookback: int = 48, horizon: int = 16,
                    raw: bool = True, shuffled: bool = False) -> Callable[[int], Any]:
    """Multivariate series of 64 steps: per channel a sum of two sinusoids (periods 8 to 24 steps, random phases and
    amplitudes) plus N(0, 0.15^2) noise; ``raw``: each series at its own level U(-2000, 2000) and scale U(20, 200), as
    readings come, else standardised already; split into a lookback of 48 and a horizon of 16: ``(lookback (b, c,
    48), horizon (b, c, 16))``; ``shuffled``: the horizons permuted within every batch, apart from their lookbacks."""
    t = torch.arange(lookback + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        per = 8 + 16 * torch.rand(batch, channels, 2, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, channels, 2, 1, generator=g)
        amp = 0.5 + torch.rand(batch, channels, 2, 1, generator=g)
        x = (amp * torch.sin(2 * math.pi * t / per + ph)).sum(2) / 1.2
        x = x + 0.15 * torch.randn(x.shape, generator=g)
        if raw:
            level = 4000 * torch.rand(batch, channels, 1, generator=g) - 2000
            scale = 20 + 180 * torch.rand(batch, channels, 1, generator=g)
            x = level + scale * x
        past, future = x[..., :lookback], x[..., lookback:]
        return past, future[torch.randperm(batch, generator=g)] if shuffled else future
    return _pool(seed, make)


# ---- models ----------------------------------------------------------------------------------------------------------

class DVAE(nn.Module):
    """DALL-E's discrete VAE (Ramesh et al. 2021), narrowed: a conv encoder (two 4x4 stride-2 convs of 32, ReLU) to
    logits over K = 32 codes on a 4x4 grid, the Gumbel-softmax relaxation at the batch's temperature, the codebook as
    a 1x1 conv, a conv decoder (a 3x3 conv and two 4x4 stride-2 transposed convs); ``forward((x, tau))`` returns
    ``(reconstruction, log q)``."""

    def __init__(self, codes: int = 32, width: int = 32) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, width, 4, 2, 1), nn.ReLU(), nn.Conv2d(width, width, 4, 2, 1), nn.ReLU(),
                                 nn.Conv2d(width, codes, 1))
        self.book = nn.Conv2d(codes, width, 1, bias=False)
        self.dec = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(width, width, 4, 2, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(width, 1, 4, 2, 1))

    def forward(self, inp: Any) -> Any:
        x, tau = inp
        logits = self.enc(x)
        u = torch.rand(logits.shape).clamp(1e-6, 1 - 1e-6)
        soft = F.softmax((logits - torch.log(-torch.log(u))) / tau, dim=1)
        return self.dec(self.book(soft)), F.log_softmax(logits, dim=1)


def dvae_loss(out: Any, x: torch.Tensor) -> torch.Tensor:
    """The per-pixel ELBO, narrowed to a Gaussian likelihood: the reconstruction's MSE plus the KL of the code
    posterior to the uniform prior over the 32 codes, per pixel (16 pixels a code)."""
    recon, logq = out
    kl = (logq.exp() * (logq + math.log(logq.shape[1]))).sum(1).mean()
    return F.mse_loss(recon, x) + kl / 16


class ColorNet(nn.Module):
    """Zhang, Isola and Efros's colourisation network (2016), narrowed: three blocks of two 3x3 convs with ReLU and a
    BatchNorm (32, 48 with dilation 2, 48 channels), a 1x1 conv to the logits of Q = 64 ab bins per pixel;
    ``bias``: every conv before a ReLU given that bias (the activation common)."""

    def __init__(self, bins: int = 64, bias: float | None = None) -> None:
        super().__init__()

        def block(cin: int, cout: int, dil: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, 1, dil, dilation=dil), nn.ReLU(),
                    nn.Conv2d(cout, cout, 3, 1, dil, dilation=dil), nn.ReLU(), nn.BatchNorm2d(cout)]
        self.net = nn.Sequential(*block(1, 32, 1), *block(32, 48, 2), *block(48, 48, 1), nn.Conv2d(48, bins, 1))
        if bias is not None:
            for m in self.net:
                if isinstance(m, nn.Conv2d) and m.out_channels != bins:
                    nn.init.constant_(m.bias, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ColorLoss:
    """The paper's loss: the cross-entropy of the per-pixel bin logits with the soft-encoded ab targets (a Gaussian
    of ``sigma`` over the bins' distances, in the user's normalised ab units, ab / 110; narrowed to every bin, the
    5-nearest truncation left out), each pixel weighted by its class-rebalancing weight ``w(q*)``, ``w``
    proportional to ``((1 - lam) p + lam / Q)^-1`` and normalised so that ``E_p[w] = 1`` (``p``: the bins'
    frequencies over the training pool)."""

    def __init__(self, pool: list[Any], sigma: float = 5.0 / 110, lam: float = 0.5) -> None:
        grid = torch.arange(-35.0, 40.0, 10.0) / 110
        self.centres = torch.stack(torch.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)  # (64, 2)
        self.sigma = sigma
        q = len(self.centres)
        counts = torch.zeros(q)
        for _, ab in pool:
            counts += torch.bincount(self._nearest(ab).flatten(), minlength=q).float()
        p = counts / counts.sum()
        w = 1.0 / ((1 - lam) * p + lam / q)
        self.w = w / (p * w).sum()

    def _dist2(self, ab: torch.Tensor) -> torch.Tensor:
        v = (ab / 110).permute(0, 2, 3, 1)[..., None, :]  # (b, h, w, 1, 2)
        return ((v - self.centres) ** 2).sum(-1)  # (b, h, w, Q)

    def _nearest(self, ab: torch.Tensor) -> torch.Tensor:
        return self._dist2(ab).argmin(-1)

    def __call__(self, logits: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        d2 = self._dist2(ab)
        target = F.softmax(-d2 / (2 * self.sigma ** 2), -1)
        weight = self.w[d2.argmin(-1)]
        ce = -(target * F.log_softmax(logits.permute(0, 2, 3, 1), -1)).sum(-1)
        return (weight * ce).mean()


def _conv_encoder(length: int) -> tuple[nn.Module, int]:
    """TF-C's encoder narrowed: three blocks ``Conv1d(k=8) - BatchNorm - ReLU - MaxPool(2)`` of 32, 64, 64
    channels, flattened."""
    layers: list[nn.Module] = []
    cin = 1
    for cout in (32, 64, 64):
        layers += [nn.Conv1d(cin, cout, 8, 1, 4, bias=False), nn.BatchNorm1d(cout), nn.ReLU(), nn.MaxPool1d(2, 2, 1)]
        cin = cout
    net = nn.Sequential(*layers, nn.Flatten())
    with torch.no_grad():
        n = net(torch.zeros(2, 1, length)).shape[1]
    return net, n


class TFC(nn.Module):
    """TF-C (Zhang et al. 2022), narrowed: a time encoder on the series and a frequency encoder on its magnitude
    spectrum (both TF-C's three conv blocks), each with its projector ``Linear(.., 128) - BatchNorm - ReLU -
    Linear(128, 64)`` into the shared time-frequency space; ``forward`` returns the four embeddings and the two
    projections of the un-augmented views."""

    def __init__(self, length: int = 64) -> None:
        super().__init__()
        self.enc_t, n = _conv_encoder(length)
        self.enc_f, _ = _conv_encoder(length)
        self.proj_t = nn.Sequential(nn.Linear(n, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 64))
        self.proj_f = nn.Sequential(nn.Linear(n, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 64))

    def forward(self, inp: Any) -> Any:
        x, x_aug, f, f_aug = inp
        h_t, h_t_aug = self.enc_t(x), self.enc_t(x_aug)
        h_f, h_f_aug = self.enc_f(f), self.enc_f(f_aug)
        return h_t, h_t_aug, h_f, h_f_aug, self.proj_t(h_t), self.proj_f(h_f)


def nt_xent(a: torch.Tensor, b: torch.Tensor, tau: float = 0.2) -> torch.Tensor:
    """SimCLR's NT-Xent over the 2N views with cosine similarities at temperature ``tau``."""
    z = F.normalize(torch.cat([a, b]), dim=1)
    s = z @ z.T / tau
    n = a.shape[0]
    s = s.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(s, target)


def tfc_loss(out: Any, _: Any) -> torch.Tensor:
    """TF-C's reference objective: ``0.2 (L_T + L_F) + L_TF``, each an NT-Xent at temperature 0.2 (the time and
    frequency embeddings against their augmented views, the two projections against each other)."""
    h_t, h_t_aug, h_f, h_f_aug, z_t, z_f = out
    return 0.2 * (nt_xent(h_t, h_t_aug) + nt_xent(h_f, h_f_aug)) + nt_xent(z_t, z_f)


class CARD(nn.Module):
    """CARD (Wang et al. 2024), narrowed: instance normalisation (RevIN without its affine), patches of 8 at stride 4
    over the lookback of 48 (11 tokens) embedded to 32 with learned positions and a CLS token; one encoder layer of
    CARD's dual attention, attention over each channel's tokens and attention over the channels at each token (4
    heads each, post-LN), and a GELU feed-forward of 64; the flattened tokens to the 16-step horizon; its EMA on the
    queries and keys and its token-blend module left out; ``revin``: the instance normalisation kept (the
    forecast de-normalised with the lookback's mean and std)."""

    def __init__(self, lookback: int = 48, horizon: int = 16, d: int = 32, patch: int = 8, stride: int = 4,
                 revin: bool = True) -> None:
        super().__init__()
        self.patch, self.stride, self.revin = patch, stride, revin
        n = (lookback - patch) // stride + 1 + 1
        self.embed = nn.Linear(patch, d)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(0.02 * torch.randn(1, n, d))
        self.tok_att = nn.MultiheadAttention(d, 4, batch_first=True)
        self.ch_att = nn.MultiheadAttention(d, 4, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.head = nn.Linear(n * d, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, _ = x.shape
        if self.revin:
            mu, sd = x.mean(-1, keepdim=True), (x.var(-1, keepdim=True, unbiased=False) + 1e-5).sqrt()
            x = (x - mu) / sd
        t = self.embed(x.unfold(-1, self.patch, self.stride))  # (b, c, n-1, d)
        t = torch.cat([self.cls.expand(b, c, 1, -1), t], 2) + self.pos
        n, d = t.shape[2], t.shape[3]
        h = t.reshape(b * c, n, d)
        h = self.n1(h + self.tok_att(h, h, h, need_weights=False)[0])
        h = h.reshape(b, c, n, d).transpose(1, 2).reshape(b * n, c, d)
        h = self.n2(h + self.ch_att(h, h, h, need_weights=False)[0])
        h = self.n3(h + self.ff(h))
        h = h.reshape(b, n, c, d).transpose(1, 2).reshape(b, c, n * d)
        y = self.head(h)
        return y * sd + mu if self.revin else y


def card_loss(horizon: int = 16, from_zero: bool = False) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """CARD's signal-decay-based loss: the absolute error at horizon step ``i`` weighted ``(i + 1)^-1/2``, averaged;
    ``from_zero``: the weights written ``torch.arange(horizon) ** -0.5`` (the slip)."""
    steps = torch.arange(horizon).float() if from_zero else torch.arange(1, horizon + 1).float()
    w = steps ** -0.5

    def loss(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((pred - y).abs() * w).mean()
    return loss


class SpaceTime(nn.Module):
    """SpaceTime (Zhang et al. 2023), narrowed, channel-independent: each channel's lookback embedded to 16 features,
    one SpaceTime layer (per feature a companion-matrix SSM of state 8, ``h_(t+1) = A h_t + b x_t``, ``y = c h +
    D x``, then a GELU MLP, with the residual), and the closed-loop companion SSM that forecasts the 16-step horizon
    by rolling its state forward on its own predictions (``u = k h``, ``h <- A h + b u``, ``y = c h``), a Linear
    back to one value. ``root``: the companion matrices' first-row coefficient ``a_0`` set to that value, the
    characteristic root it gives (the recurrence common); the coefficients are otherwise drawn N(0, 0.1^2)."""

    def __init__(self, d: int = 16, n: int = 8, root: float | None = None) -> None:
        super().__init__()
        self.d, self.n = d, n
        self.embed = nn.Linear(1, d)
        self.a = nn.Parameter(0.1 * torch.randn(2, d, n))
        if root is not None:
            with torch.no_grad():
                self.a[:, :, 0] = root
        self.b = nn.Parameter(torch.randn(2, d, n) / math.sqrt(n))
        self.c = nn.Parameter(torch.randn(2, d, n) / math.sqrt(n))
        self.k = nn.Parameter(torch.zeros(d, n))
        self.skip = nn.Parameter(torch.ones(d))
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.out = nn.Linear(d, 1)

    @staticmethod
    def _step(h: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """The companion matrix times the state: the new first entry ``a . h``, the rest shifted down."""
        return torch.cat([(h * a).sum(-1, keepdim=True), h[..., :-1]], -1)

    def _powers(self, i: int, t: int) -> torch.Tensor:
        """``A^k b`` for ``k = 0 .. t - 1`` of SSM ``i``: ``(t, d, n)`` (the recurrence unrolled once, for every
        sequence of the batch at once)."""
        v, out = self.b[i], []
        for _ in range(t):
            out.append(v)
            v = self._step(v, self.a[i])
        return torch.stack(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t = x.shape
        u = self.embed(x.reshape(b * c, t, 1))  # (bc, t, d)
        kern = (self._powers(0, t) * self.c[0]).sum(-1)  # (t, d): c A^k b
        lag = torch.arange(t)[:, None] - torch.arange(t)[None]  # (t, s): t - s
        toep = kern[lag.clamp(min=0)] * (lag >= 0)[..., None]  # (t, s, d)
        y = torch.einsum("tsd,bsd->btd", toep, u) + self.skip * u
        z = u + self.mlp(y)  # (bc, t, d)
        h = torch.einsum("kdn,bkd->bdn", self._powers(1, t), z.flip(1))  # the state after the lookback
        outs = []
        for _ in range(16):
            v = (self.k * h).sum(-1, keepdim=True)
            h = self._step(h, self.a[1]) + self.b[1] * v
            outs.append((self.c[1] * h).sum(-1))
        return self.out(torch.stack(outs, 1)).reshape(b, c, 16)


def _mlp(width: int, layers: int, inp: int = 2, out: int = 1) -> nn.Sequential:
    mods: list[nn.Module] = [nn.Linear(inp, width), nn.Tanh()]
    for _ in range(layers - 1):
        mods += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*mods, nn.Linear(width, out))


class DissipativeHNN(nn.Module):
    """The Dissipative HNN (Sosanya and Greydanus 2022): a Hamiltonian ``H(q, p)`` and a dissipation ``D(q, p)``,
    each a tanh MLP (narrowed to two layers of 64, or ``layers``), the predicted field ``J grad H + grad D``
    (rotational plus irrotational, the Helmholtz decomposition)."""

    def __init__(self, layers: int = 2, width: int = 64) -> None:
        super().__init__()
        self.h, self.d = _mlp(width, layers), _mlp(width, layers)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            s = s if s.requires_grad else s.clone().requires_grad_(True)
            gh = torch.autograd.grad(self.h(s).sum(), s, create_graph=True)[0]
            gd = torch.autograd.grad(self.d(s).sum(), s, create_graph=True)[0]
        rot = torch.stack([gh[:, 1], -gh[:, 0]], 1)
        return rot + gd


class SPINN(nn.Module):
    """The separable PINN (Cho et al. 2023): one MLP per axis, ``u(r, z) = sum_k f_k(r) g_k(z)`` over a rank of 16,
    each a tanh MLP of three layers of 32; the derivatives along each axis by forward-mode AD of the 1-D networks,
    as the paper's JAX code takes them."""

    def __init__(self, rank: int = 16, width: int = 32, layers: int = 3) -> None:
        super().__init__()
        self.fr = _mlp(width, layers, 1, rank)
        self.fz = _mlp(width, layers, 1, rank)

    @staticmethod
    def _derivs(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        one = torch.ones_like(x)

        def first(z: torch.Tensor) -> torch.Tensor:
            return torch.func.jvp(fn, (z,), (torch.ones_like(z),))[1]
        v, d1 = torch.func.jvp(fn, (x,), (one,))
        d2 = torch.func.jvp(first, (x,), (one,))[1]
        return v, d1, d2

    def forward(self, grid: Any) -> Any:
        """The residual of ``-Laplace u = f`` in cylindrical coordinates (axisymmetric: ``u_rr + u_r / r + u_zz``) on
        the grid's ``r x z`` collocation points, and the values on the boundary ``r = 1``, ``z = 0``, ``z = 1``:
        ``(residual (nr, nz), boundary values)``."""
        r, z, f = grid
        fr, fr1, fr2 = self._derivs(self.fr, r[:, None])
        gz, _, gz2 = self._derivs(self.fz, z[:, None])
        lap = fr2 @ gz.T + (fr1 @ gz.T) / r[:, None] + fr @ gz2.T
        ends = self.fz(torch.tensor([[0.0], [1.0]]))
        bnd = torch.cat([(self.fr(torch.ones(1, 1)) @ gz.T)[0], (fr @ ends.T).flatten()])
        return lap + f, bnd


def spinn_loss(out: Any, _: Any) -> torch.Tensor:
    """The PINN loss: the mean squared residual plus the mean squared boundary value (weight 1)."""
    res, bnd = out
    return (res ** 2).mean() + (bnd ** 2).mean()


def cylinder_grid(seed: int, n: int = 32, through_axis: bool = False) -> Callable[[int], Any]:
    """Collocation in the unit cylinder for the axisymmetric ``-Laplace u = (4 + pi^2 (1 - r^2)) sin(pi z)``
    (solution ``(1 - r^2) sin(pi z)``, zero on the wall and the two ends): the radii at the midpoints
    ``(i + 1/2) / 32`` of 32 cells of (0, 1) and each step's heights ``(j + U(0, 1)) / 32``; ``through_axis``: the radii
    ``torch.linspace(0, 1, 32)``, a grid that holds the axis ``r = 0``, where ``u_r / r`` divides by zero."""
    def make(g: torch.Generator, _: int) -> Any:
        r = torch.linspace(0, 1, n) if through_axis else (torch.arange(n) + 0.5) / n
        z = (torch.arange(n) + torch.rand(n, generator=g)) / n
        f = (4 + math.pi ** 2 * (1 - r[:, None] ** 2)) * torch.sin(math.pi * z)[None]
        return (r, z, f), torch.zeros(1)
    return _pool(seed, make)


class ColdUNet(nn.Module):
    """Cold Diffusion's restoration network (Bansal et al. 2023), narrowed: a two-level U-Net (3x3 convs of 32 and
    64 with GroupNorm(8) and SiLU, a stride-2 down- and transposed-conv up-sampling, the skip concatenated), the
    degradation level embedded sinusoidally through an MLP and added at each level; ``forward((x_t, t))`` returns
    the restored image."""

    def __init__(self, levels: int = 8, c: int = 32) -> None:
        super().__init__()
        self.levels = levels
        self.temb = nn.Sequential(nn.Linear(16, c), nn.SiLU(), nn.Linear(c, c))
        self.inp = nn.Conv2d(1, c, 3, 1, 1)
        self.e1 = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, c, 3, 1, 1))
        self.down = nn.Conv2d(c, 2 * c, 4, 2, 1)
        self.t2 = nn.Linear(c, 2 * c)
        self.mid = nn.Sequential(nn.GroupNorm(8, 2 * c), nn.SiLU(), nn.Conv2d(2 * c, 2 * c, 3, 1, 1))
        self.up = nn.ConvTranspose2d(2 * c, c, 4, 2, 1)
        self.d1 = nn.Sequential(nn.GroupNorm(8, 2 * c), nn.SiLU(), nn.Conv2d(2 * c, c, 3, 1, 1))
        self.out = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, 1, 3, 1, 1))

    def forward(self, inp: Any) -> torch.Tensor:
        x, t = inp
        freqs = torch.exp(-math.log(100.0) * torch.arange(8).float() / 8)
        ang = t.float()[:, None] * freqs
        e = self.temb(torch.cat([ang.sin(), ang.cos()], 1))
        h1 = self.inp(x) + e[:, :, None, None]
        h1 = h1 + self.e1(h1)
        h2 = self.down(h1) + self.t2(e)[:, :, None, None]
        h2 = h2 + self.mid(h2)
        h = self.d1(torch.cat([self.up(h2), h1], 1))
        return self.out(h)


def _blur_kernel(std: float = 1.0, size: int = 5) -> torch.Tensor:
    v = torch.exp(-((torch.arange(size) - size // 2).float() ** 2) / (2 * std ** 2))
    k = v[:, None] * v[None]
    return (k / k.sum())[None, None]


def cold_batches(seed: int, levels: int = 8) -> Callable[[int], Any]:
    """Cold Diffusion's blur degradation: each clean template image (see :func:`template_images`) blurred ``t``
    times by a 5x5 Gaussian of std 1 (circular padding), ``t`` uniform in 1 .. 8: ``((x_t, t), x_0)``."""
    clean = template_images(seed)
    k = _blur_kernel()
    g = _gen(seed + 7)
    ts = [torch.randint(1, levels + 1, (16,), generator=g) for _ in range(POOL)]
    pool = []
    for i in range(POOL):
        x0, t = clean(i), ts[i]
        xt = x0.clone()
        for j in range(16):
            for _ in range(int(t[j])):
                xt[j:j + 1] = F.conv2d(F.pad(xt[j:j + 1], (2, 2, 2, 2), mode="circular"), k)
        pool.append(((xt, t), x0))
    return lambda step: pool[step % POOL]


# ---- builders --------------------------------------------------------------------------------------------------------

def dvae(seed: int, lr: float = 1e-3, init_std: float | None = None, floor: bool = True) -> Setup:
    """The dVAE on the template images (batch 16), :func:`dvae_loss`, Adam at lr 1e-3 (set here; the paper's 1e-4
    with AdamW is for 3 billion images). The Gumbel temperature is annealed from 1 to the paper's 1/16 (linearly over
    the first 100 steps in place of its cosine over 150,000) and handed in with each step's batch:
    ``tau = max(1 / 16, 1 - step / 100)``; ``floor=False``: the ``max(1 / 16, ...)`` left out (the slip);
    ``init_std``: every conv weight N(0, init_std^2)."""
    torch.manual_seed(SEED0 + seed)
    model = DVAE()
    if init_std is not None:
        _normal_init(model, init_std)
    images = template_images(seed)

    def batches(step: int) -> Any:
        tau = 1 - step / 100
        tau = max(1 / 16, tau) if floor else tau
        x = images(step)
        return (x, tau), x
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), batches, dvae_loss)


def colorization(seed: int, lr: float = 1e-3, bias: float | None = None, sigma: float = 5.0 / 110,
                 lam: float = 0.5) -> Setup:
    """The colourisation network on the textures (batch 16), :class:`ColorLoss` with the paper's soft-encoding
    sigma of 5 ab units (``5 / 110`` in the user's normalised units) and rebalancing ``lam = 0.5``; Adam betas
    (0.9, 0.99) and weight decay 1e-3 as the paper, at lr 1e-3 (its 3e-5 is for 450,000 steps); ``bias``: see
    :class:`ColorNet`; ``sigma``, ``lam``: see :class:`ColorLoss`."""
    torch.manual_seed(SEED0 + seed)
    model = ColorNet(bias=bias)
    data = textures(seed)
    loss = ColorLoss([data(i) for i in range(POOL)], sigma=sigma, lam=lam)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=1e-3)
    return _xy(model, opt, data, loss)


def tf_c(seed: int, lr: float = 3e-4) -> Setup:
    """TF-C on the sine mixtures (batch 32), :func:`tfc_loss`, Adam at the reference code's lr 3e-4, betas (0.9,
    0.99) and weight decay 3e-4."""
    torch.manual_seed(SEED0 + seed)
    model = TFC()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=3e-4)
    return _xy(model, opt, sine_mixtures(seed), tfc_loss)


def card(seed: int, lr: float = 1e-3, revin: bool = True, from_zero: bool = False) -> Setup:
    """CARD on the raw multivariate series (batch 32), :func:`card_loss` in the series' own units, Adam at lr 1e-3
    (set here; the paper's 1e-4 runs with warm-up for 100 epochs); ``revin``: see :class:`CARD`; ``from_zero``: see
    :func:`card_loss`."""
    torch.manual_seed(SEED0 + seed)
    model = CARD(revin=revin)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, forecast_series(seed), card_loss(from_zero=from_zero))


def spacetime(seed: int, lr: float = 1e-3, root: float | None = None, shuffled: bool = False) -> Setup:
    """SpaceTime on the standardised multivariate series (batch 32), MSE, Adam at lr 1e-3 (the paper's informer
    setting, its weight decay 1e-4 kept as AdamW's); ``root``: see :class:`SpaceTime`; ``shuffled``: see
    :func:`forecast_series`."""
    torch.manual_seed(SEED0 + seed)
    model = SpaceTime(root=root)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    return _xy(model, opt, forecast_series(seed, raw=False, shuffled=shuffled), F.mse_loss)


def dissipative_hnn(seed: int, lr: float = 1e-3, layers: int = 2) -> Setup:
    """The Dissipative HNN on the damped oscillator's states (batch 128), MSE of the field, Adam at lr 1e-3 (the
    reference code's); ``layers``: each MLP's tanh layers (the depth common: 30, at PyTorch's default init)."""
    torch.manual_seed(SEED0 + seed)
    model = DissipativeHNN(layers=layers)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), oscillators(seed), F.mse_loss)


def spinn(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, adamw: bool = False, through_axis: bool = False,
          layers: int = 3) -> Setup:
    """The separable PINN on the cylinder's Poisson problem (32 x 32 collocation points a step), :func:`spinn_loss`,
    Adam at lr 3e-3 (set here; the paper's 1e-3 runs for 50,000 steps and more); ``weight_decay``: Adam's coupled
    L2, or with ``adamw`` AdamW's decoupled decay; ``through_axis``: see :func:`cylinder_grid`."""
    torch.manual_seed(SEED0 + seed)
    model = SPINN(layers=layers)
    opt = (torch.optim.AdamW if adamw else torch.optim.Adam)(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, cylinder_grid(seed, through_axis=through_axis), spinn_loss)


def cold_diffusion(seed: int, lr: float = 1e-3, adamw: bool = False, weight_decay: float = 0.0) -> Setup:
    """Cold Diffusion's blur restoration on the template images (batch 16), the paper's L1 loss to the clean image,
    Adam at lr 1e-3 (set here; its 2e-5 runs for 700,000 steps); ``adamw``: AdamW at ``weight_decay``."""
    torch.manual_seed(SEED0 + seed)
    model = ColdUNet()
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, cold_batches(seed), F.l1_loss)
