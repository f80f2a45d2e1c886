"""Builders of the hundred-and-fifth held-out batch (``fresh104.py``): generative, self-supervised, time-series and
scientific models new to the corpus at their usual settings, and broken variants with one real fault each, plus the
small synthetic data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run
on them and never tuned on.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(1_040_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(104_000 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _own_loss(out: torch.Tensor, _: Any) -> torch.Tensor:
    """For models whose forward returns their loss."""
    return out


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


def _after_step(cls: type, model: nn.Module, params: Any, **kw: Any) -> torch.optim.Optimizer:
    """An optimizer of class ``cls`` whose ``step`` then runs ``model.after_step()`` (the EMA and running-statistics
    updates these methods make once the online weights have moved, as their reference loops do)."""
    class _Opt(cls):  # type: ignore[misc, valid-type]
        def step(self, closure: Any = None) -> Any:
            out = super().step(closure)
            model.after_step()
            return out
    return _Opt(params, **kw)


def _sinusoids(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Transformer sinusoidal embeddings of ``positions`` (any float tensor) to ``dim``."""
    half = dim // 2
    freq = torch.exp(-math.log(10_000.0) * torch.arange(half).float() / half)
    ang = positions.float()[..., None] * freq
    return torch.cat([ang.sin(), ang.cos()], -1)


# ---- NVIL: a sigmoid belief network trained by the score-function estimator ----------------------------------------

def binary_patterns(seed: int, batch: int = 64, bits: int = 64, protos: int = 10, flip: float = 0.05
                    ) -> Callable[[int], Any]:
    """Binary vectors of 64 bits: one of ten fixed random prototypes with each bit flipped with probability ``flip``:
    ``(bits (b, 64) as floats, prototype)``."""
    proto = (torch.rand(protos, bits, generator=_fixed(1)) < 0.5).float()

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, protos, (batch,), generator=g)
        flips = (torch.rand(batch, bits, generator=g) < flip).float()
        return (proto[y] + flips) % 2, y
    return _pool(seed, make)


class NVIL(nn.Module):
    """NVIL (Mnih & Gregor 2014), narrowed: a sigmoid belief network with one layer of 16 binary latents (a learned
    factorised Bernoulli prior, a tanh MLP decoder of 64 to the 64 visible bits) and a tanh MLP inference network
    ``q(h | x)``, trained on ``L = log p(x, h) - log q(h | x)`` with ``h ~ q``: the decoder and prior by its gradient,
    the inference network by the score-function estimator with the paper's variance reduction: the learning signal
    ``L`` centred by an input-dependent baseline ``b(x)`` (a tanh MLP of 64, fitted by the squared error) and the
    running mean ``c``, divided by ``max(1, sqrt(v))``, ``v`` the running variance (both exponential moving averages
    with ``alpha = 0.8``, updated after each step). The loss's value is the negative ELBO estimate; the score term and
    the baseline's squared error enter with value zero (``t - t.detach()``, Pyro's surrogate), their gradients
    unchanged. ``detach_signal``: the learning signal is ``.detach()``-ed in the score term (False: it is not, and
    the decoder, prior and baseline receive ``-signal * grad log q``'s gradient through it)."""

    def __init__(self, bits: int = 64, latents: int = 16, hidden: int = 64, alpha: float = 0.8,
                 detach_signal: bool = True) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(bits, hidden), nn.Tanh(), nn.Linear(hidden, latents))
        self.prior = nn.Parameter(torch.zeros(latents))
        self.dec = nn.Sequential(nn.Linear(latents, hidden), nn.Tanh(), nn.Linear(hidden, bits))
        self.baseline = nn.Sequential(nn.Linear(bits, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.alpha, self.detach_signal = alpha, detach_signal
        self.register_buffer("c", torch.zeros(()))
        self.register_buffer("v", torch.ones(()))
        self.last: tuple[torch.Tensor, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits_q = self.enc(x)
        h = torch.bernoulli(torch.sigmoid(logits_q.detach()))
        log_q = -F.binary_cross_entropy_with_logits(logits_q, h, reduction="none").sum(1)
        log_prior = -F.binary_cross_entropy_with_logits(self.prior.expand_as(h), h, reduction="none").sum(1)
        log_lik = -F.binary_cross_entropy_with_logits(self.dec(h), x, reduction="none").sum(1)
        elbo = log_lik + log_prior - log_q
        b = self.baseline(x).squeeze(1)
        centred = elbo - b - self.c
        signal = centred / self.v.sqrt().clamp(min=1.0)
        if self.detach_signal:
            signal = signal.detach()
        score = -(signal * log_q).mean()
        fit = (elbo.detach() - self.c - b).pow(2).mean()
        with torch.no_grad():
            raw = elbo - b
            self.last = (raw.mean(), raw.var())
        return -elbo.mean() + (score - score.detach()) + (fit - fit.detach())

    @torch.no_grad()
    def after_step(self) -> None:
        if self.last is not None:
            mean, var = self.last
            self.c.mul_(self.alpha).add_((1 - self.alpha) * mean)
            self.v.mul_(self.alpha).add_((1 - self.alpha) * var)


def nvil(seed: int, lr: float = 1e-2, detach_signal: bool = True, weight_decay: float = 0.0, flip: float = 0.05,
         **kw: Any) -> Setup:
    """NVIL on the binary prototypes with ``flip`` of the bits flipped (batch 64), Adam at lr 1e-2 (set here; the
    paper's SGD 3e-4 is for millions of steps); ``detach_signal``, ``kw``: see :class:`NVIL`; ``weight_decay``:
    AdamW's (0: Adam)."""
    torch.manual_seed(1_040_000 + seed)
    model = NVIL(detach_signal=detach_signal, **kw)
    if weight_decay:
        opt = _after_step(torch.optim.AdamW, model, model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = _after_step(torch.optim.Adam, model, model.parameters(), lr=lr)
    return _xy(model, opt, binary_patterns(seed, flip=flip), _own_loss)


# ---- CSDI: conditional score-based diffusion for imputation ---------------------------------------------------------

CSDI_STEPS = 50
_CSDI_BETAS = torch.linspace(1e-4 ** 0.5, 0.5 ** 0.5, CSDI_STEPS) ** 2
CSDI_ALPHA_BAR = torch.cumprod(1 - _CSDI_BETAS, 0)


def imputation_series(seed: int, batch: int = 16, features: int = 6, length: int = 24) -> Callable[[int], Any]:
    """Multivariate series of 6 features and 24 steps: each feature two sinusoids of its own fixed frequencies and
    weights, all six driven by one random phase and amplitude per series, plus N(0, 0.1^2) noise; 10% of the entries
    missing; CSDI's random strategy: a rate ``r ~ U(0, 1)`` per series of the observed entries held out as imputation
    targets. With each series its diffusion step and noise: ``((x, cond mask, target mask, t, noise), 0)``."""
    fg = _fixed(2)
    f1 = torch.randint(1, 4, (features,), generator=fg).float()
    f2 = torch.randint(3, 7, (features,), generator=fg).float()
    w2 = 0.5 * torch.rand(features, generator=fg)
    off = 2 * math.pi * torch.rand(features, generator=fg)
    tt = torch.arange(length).float() / length

    def make(g: torch.Generator, _: int) -> Any:
        ph = 2 * math.pi * torch.rand(batch, 1, 1, generator=g)
        amp = 0.7 + 0.6 * torch.rand(batch, 1, 1, generator=g)
        a1 = 2 * math.pi * f1[None, :, None] * tt + off[None, :, None] + ph
        a2 = 2 * math.pi * f2[None, :, None] * tt + ph
        x = amp * (torch.sin(a1) + w2[None, :, None] * torch.sin(a2))
        x = x + 0.1 * torch.randn(x.shape, generator=g)
        observed = (torch.rand(x.shape, generator=g) > 0.1).float()
        rate = torch.rand(batch, 1, 1, generator=g)
        target = observed * (torch.rand(x.shape, generator=g) < rate).float()
        cond = observed - target
        t = torch.randint(0, CSDI_STEPS, (batch,), generator=g)
        noise = torch.randn(x.shape, generator=g)
        return (x * observed, cond, target, t, noise), torch.zeros(batch)
    return _pool(seed, make)


class CSDILayer(nn.Module):
    """One CSDI residual layer: the diffusion embedding added, a temporal and a feature Transformer layer, the
    side information added, the gated activation, residual and skip outputs."""

    def __init__(self, c: int, side: int, emb: int) -> None:
        super().__init__()
        self.diff = nn.Linear(emb, c)
        self.side = nn.Conv1d(side, 2 * c, 1)
        self.mid = nn.Conv1d(c, 2 * c, 1)
        self.out = nn.Conv1d(c, 2 * c, 1)
        self.time = nn.TransformerEncoderLayer(c, 8, 64, dropout=0.0, activation="gelu", batch_first=True)
        self.feat = nn.TransformerEncoderLayer(c, 8, 64, dropout=0.0, activation="gelu", batch_first=True)

    def forward(self, x: torch.Tensor, side: torch.Tensor, emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, c, k, n = x.shape
        y = x + self.diff(emb)[:, :, None, None]
        y = self.time(y.permute(0, 2, 3, 1).reshape(b * k, n, c)).reshape(b, k, n, c)
        y = self.feat(y.permute(0, 2, 1, 3).reshape(b * n, k, c)).reshape(b, n, k, c).permute(0, 3, 2, 1)
        y = self.mid(y.reshape(b, c, k * n)) + self.side(side.reshape(b, -1, k * n))
        gate, filt = y.chunk(2, 1)
        y = self.out(torch.sigmoid(gate) * torch.tanh(filt))
        res, skip = y.chunk(2, 1)
        return (x + res.reshape(b, c, k, n)) / math.sqrt(2.0), skip.reshape(b, c, k, n)


class CSDI(nn.Module):
    """CSDI (Tashiro et al. 2021), narrowed: channels 32, two residual layers (the paper's four) of a temporal and a
    feature Transformer layer (8 heads, feed-forward 64), the diffusion-step embedding (sinusoids of 64 through a
    SiLU MLP), side information of a time embedding (sinusoids of 32), a learned feature embedding of 16 and the
    conditional mask; the quadratic schedule of 50 steps from 1e-4 to 0.5; the output projection zero-initialised as
    in the reference code. The loss: the noise's squared error over the imputation targets."""

    def __init__(self, features: int = 6, length: int = 24, c: int = 32, layers: int = 2, emb: int = 64) -> None:
        super().__init__()
        self.features, self.length, self.emb_dim = features, length, emb
        self.inp = nn.Conv1d(2, c, 1)
        self.emb = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb), nn.SiLU())
        self.feat_emb = nn.Embedding(features, 16)
        side = 32 + 16 + 1
        self.layers = nn.ModuleList([CSDILayer(c, side, emb) for _ in range(layers)])
        self.skip = nn.Conv1d(c, c, 1)
        self.outp = nn.Conv1d(c, 1, 1)
        nn.init.zeros_(self.outp.weight)
        nn.init.zeros_(self.outp.bias)
        self.register_buffer("alpha_bar", CSDI_ALPHA_BAR.clone())

    def forward(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, cond, target, t, noise = batch
        b, k, n = x.shape
        ab = self.alpha_bar[t][:, None, None]
        noisy = ab.sqrt() * x + (1 - ab).sqrt() * noise
        inp = torch.stack([cond * x, (1 - cond) * noisy], 1)
        h = F.relu(self.inp(inp.reshape(b, 2, k * n))).reshape(b, -1, k, n)
        time = _sinusoids(torch.arange(n), 32).T[None, :, None, :].expand(b, 32, k, n)
        feat = self.feat_emb.weight.T[None, :, :, None].expand(b, 16, k, n)
        side = torch.cat([time, feat, cond[:, None]], 1)
        emb = self.emb(_sinusoids(t, self.emb_dim))
        skips = 0.0
        for layer in self.layers:
            h, s = layer(h, side, emb)
            skips = skips + s
        out = skips / math.sqrt(len(self.layers))
        out = F.relu(self.skip(out.reshape(b, -1, k * n)))
        pred = self.outp(out).reshape(b, k, n)
        return ((noise - pred) * target).pow(2).sum() / target.sum().clamp(min=1.0)


def csdi(seed: int, lr: float = 1e-3, init_std: float | None = None, weight_decay: float = 1e-6,
         adamw: bool = False) -> Setup:
    """CSDI on the imputation series (batch 16), Adam at the reference code's lr 1e-3 and weight decay 1e-6;
    ``init_std``: every Linear/Conv weight drawn N(0, std^2) (the zeroed output projection too); ``adamw``: AdamW
    with ``weight_decay`` instead."""
    torch.manual_seed(1_040_000 + seed)
    model = CSDI()
    _init_normal(model, std=init_std)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    return _xy(model, cls(model.parameters(), lr=lr, weight_decay=weight_decay), imputation_series(seed), _own_loss)


# ---- DINO: self-distillation with a momentum teacher ---------------------------------------------------------------

def two_views(seed: int, batch: int = 32, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """Two views of each of ``batch`` instances (a fixed smooth class template plus the instance's own N(0, 0.7^2)
    noise; labels unused): each view the instance shifted circularly by up to 2 pixels, flipped left-right with
    probability 0.5, its brightness scaled by U(0.8, 1.2), plus fresh N(0, 0.2^2) noise: ``((view 1, view 2), 0)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(3)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        inst = templates[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g)

        def view() -> torch.Tensor:
            shifts = torch.randint(-2, 3, (batch, 2), generator=g).tolist()
            out = torch.stack([torch.roll(im, (a, b), (1, 2)) for im, (a, b) in zip(inst, shifts, strict=True)])
            flip = torch.rand(batch, generator=g) < 0.5
            out = torch.where(flip[:, None, None, None], out.flip(3), out)
            out = out * (0.8 + 0.4 * torch.rand(batch, 1, 1, 1, generator=g))
            return out + 0.2 * torch.randn(out.shape, generator=g)
        return (view(), view()), torch.zeros(batch)
    return _pool(seed, make)


class DINOHead(nn.Module):
    """DINO's projection head: a GELU MLP (hidden 128) to a bottleneck of 32, L2-normalised, and the weight-normalised
    last layer to ``out`` prototypes with its norm fixed at 1 (``norm_last_layer``)."""

    def __init__(self, dim: int = 64, hidden: int = 128, bottleneck: int = 32, out: int = 256) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, bottleneck))
        self.last = nn.Parameter(torch.empty(out, bottleneck))
        nn.init.trunc_normal_(self.last, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = F.normalize(self.mlp(x), dim=-1)
        return F.linear(z, F.normalize(self.last, dim=1))


class DINO(nn.Module):
    """DINO (Caron et al. 2021), narrowed: a student of a small conv backbone (3x3 convs of 32, 64 stride 2 and 64
    stride 2, each BatchNorm and ReLU, average pooling to 64) and the DINO head to 256 prototypes; the teacher a
    copy updated by an exponential moving average of the student (momentum 0.99, raised from 0.996 for a run of
    200 steps) after each step, its outputs centred (the centre a moving average of the teacher's batch means,
    momentum 0.9) and sharpened at temperature 0.04 against the student's 0.1; the cross-entropy over the two
    cross-view pairs (two global views, no local crops). Trunc-normal 0.02 Linears as the reference code. ``bn``:
    False drops the BatchNorms (the convs then have biases)."""

    def __init__(self, out: int = 256, m: float = 0.99, center_m: float = 0.9, t_temp: float = 0.04,
                 s_temp: float = 0.1, bn: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for cin, cout, stride in ((3, 32, 1), (32, 64, 2), (64, 64, 2)):
            layers += [nn.Conv2d(cin, cout, 3, stride, 1, bias=not bn), nn.BatchNorm2d(cout) if bn else nn.Identity(),
                       nn.ReLU()]
        backbone = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.student = nn.Sequential(backbone, DINOHead(out=out))
        for mod in self.student.modules():
            if isinstance(mod, nn.Linear):
                nn.init.trunc_normal_(mod.weight, std=0.02)
                nn.init.zeros_(mod.bias)
        self.teacher = copy.deepcopy(self.student)
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.m, self.center_m, self.t_temp, self.s_temp = m, center_m, t_temp, s_temp
        self.register_buffer("center", torch.zeros(1, out))
        self.last_teacher: torch.Tensor | None = None

    def forward(self, views: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x = torch.cat(views)
        s = self.student(x) / self.s_temp
        with torch.no_grad():
            t_out = self.teacher(x)
            self.last_teacher = t_out
        t = F.softmax((t_out - self.center) / self.t_temp, dim=-1).detach()
        s1, s2 = s.chunk(2)
        t1, t2 = t.chunk(2)
        loss = -(t1 * F.log_softmax(s2, -1)).sum(-1).mean() - (t2 * F.log_softmax(s1, -1)).sum(-1).mean()
        return loss / 2

    @torch.no_grad()
    def after_step(self) -> None:
        for pt, ps in zip(self.teacher.parameters(), self.student.parameters(), strict=True):
            pt.mul_(self.m).add_(ps.detach(), alpha=1 - self.m)
        if self.last_teacher is not None:
            self.center.mul_(self.center_m).add_(self.last_teacher.mean(0, keepdim=True), alpha=1 - self.center_m)


def dino(seed: int, lr: float = 2e-4, weight_decay: float = 0.04, **kw: Any) -> Setup:
    """DINO on two views of template images (batch 32), AdamW at lr 2e-4 (about the paper's ``5e-4 x batch / 256``,
    its warm-up left out) and its starting weight decay 0.04 (its cosine schedule to 0.4 left out); ``kw``: see
    :class:`DINO`."""
    torch.manual_seed(1_040_000 + seed)
    model = DINO(**kw)
    opt = _after_step(torch.optim.AdamW, model, model.student.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, two_views(seed), _own_loss)


# ---- CoST: contrastive seasonal-trend representations ----------------------------------------------------------------

def cost_views(seed: int, batch: int = 32, channels: int = 3, length: int = 32, shuffled: bool = False
               ) -> Callable[[int], Any]:
    """Two augmented views of ``batch`` multivariate series of 3 channels and 32 steps (each series its own linear
    and quadratic trend, two sinusoids of random periods 4 to 16 steps and phases per channel, plus N(0, 0.3^2)
    noise); CoST's augmentations, each view scaled by N(1, 0.1^2), shifted by N(0, 0.1^2) and jittered by N(0, 0.1^2)
    per channel; the time index the time-domain loss reads (random per batch): ``((view 1, view 2, index), 0)``;
    ``shuffled``: the second views permuted within the batch, apart from their first views."""
    tt = torch.arange(length).float() / length

    def make(g: torch.Generator, _: int) -> Any:
        slope = torch.randn(batch, channels, 1, generator=g)
        curve = 0.5 * torch.randn(batch, channels, 1, generator=g)
        x = slope * tt + curve * (tt - 0.5) ** 2
        for _k in range(2):
            period = 4 + 12 * torch.rand(batch, channels, 1, generator=g)
            ph = 2 * math.pi * torch.rand(batch, channels, 1, generator=g)
            x = x + torch.sin(2 * math.pi * torch.arange(length).float() / period + ph)
        x = x + 0.3 * torch.randn(x.shape, generator=g)

        def view() -> torch.Tensor:
            v = x * (1 + 0.1 * torch.randn(batch, channels, 1, generator=g))
            v = v + 0.1 * torch.randn(batch, channels, 1, generator=g)
            return (v + 0.1 * torch.randn(x.shape, generator=g)).transpose(1, 2)
        v1, v2 = view(), view()
        if shuffled:
            v2 = v2[torch.randperm(batch, generator=g)]
        idx = int(torch.randint(0, length, (1,), generator=g))
        return (v1, v2, idx), torch.zeros(batch)
    return _pool(seed, make)


class DilatedBlock(nn.Module):
    """TS2Vec's residual block: two GELU-then-dilated-conv layers (kernel 3) and the skip."""

    def __init__(self, cin: int, cout: int, dilation: int) -> None:
        super().__init__()
        self.c1 = nn.Conv1d(cin, cout, 3, padding=dilation, dilation=dilation)
        self.c2 = nn.Conv1d(cout, cout, 3, padding=dilation, dilation=dilation)
        self.proj = nn.Conv1d(cin, cout, 1) if cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = x if self.proj is None else self.proj(x)
        return self.c2(F.gelu(self.c1(F.gelu(x)))) + res


class CoSTEncoder(nn.Module):
    """CoST's encoder, narrowed: an input Linear to 32, three dilated residual blocks (dilations 1, 2, 4) to 64, the
    trend disentangler (causal convolutions of kernels 1, 2, 4, 8 and 16 to 32, averaged) and the seasonal
    disentangler (a learnable complex linear map per frequency of the representation's spectrum to 32)."""

    def __init__(self, cin: int = 3, hidden: int = 32, rep: int = 64, out: int = 32, length: int = 32) -> None:
        super().__init__()
        self.inp = nn.Linear(cin, hidden)
        self.blocks = nn.Sequential(DilatedBlock(hidden, hidden, 1), DilatedBlock(hidden, hidden, 2),
                                    DilatedBlock(hidden, rep, 4))
        self.kernels = (1, 2, 4, 8, 16)
        self.trend = nn.ModuleList([nn.Conv1d(rep, out, k) for k in self.kernels])
        freqs = length // 2 + 1
        scale = 1 / (rep * out)
        self.season_w = nn.Parameter(scale * torch.rand(freqs, rep, out, 2))
        self.season_b = nn.Parameter(scale * torch.rand(freqs, out, 2))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.blocks(self.inp(x).transpose(1, 2))  # (b, rep, t)
        trend = torch.stack([conv(F.pad(h, (k - 1, 0))) for k, conv in zip(self.kernels, self.trend, strict=True)])
        trend = trend.mean(0).transpose(1, 2)  # (b, t, out)
        spec = torch.fft.rfft(h.transpose(1, 2), dim=1)  # (b, f, rep)
        w = torch.view_as_complex(self.season_w)
        season = torch.einsum("bfi,fio->bfo", spec, w) + torch.view_as_complex(self.season_b)
        return trend, torch.fft.irfft(season, n=x.shape[1], dim=1)


def _instance_contrastive(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """TS2Vec's instance-contrastive loss over the batch at every position of ``(b, f, c)`` features."""
    b = z1.shape[0]
    z = torch.cat([z1, z2], 0).transpose(0, 1)  # (f, 2b, c)
    sim = z @ z.transpose(1, 2)
    logits = torch.tril(sim, diagonal=-1)[:, :, :-1] + torch.triu(sim, diagonal=1)[:, :, 1:]
    logits = -F.log_softmax(logits, -1)
    i = torch.arange(b)
    return (logits[:, i, b + i - 1].mean() + logits[:, b + i, i].mean()) / 2


class CoST(nn.Module):
    """CoST (Woo et al. 2022), narrowed: the query encoder and its momentum copy (the key encoder, momentum 0.999),
    each with a two-layer MLP head of 32 on the trend features; the time-domain loss MoCo's InfoNCE at temperature
    0.07 between the query of view 1 and the key of view 2 at one random time step against a queue of 256 earlier
    keys; the frequency-domain loss TS2Vec's instance contrast on the amplitudes and the phases of the seasonal
    features' spectra, weighted ``alpha / 2`` with ``alpha = 5e-4``. The key encoder's update and the enqueue run
    after each step, with ``torch._foreach_lerp_(key, query, weight)``, ``weight = 1 - m`` (``lerp_weight``: the
    weight passed)."""

    def __init__(self, queue: int = 256, dim: int = 32, m: float = 0.999, tau: float = 0.07, alpha: float = 5e-4,
                 lerp_weight: float | None = None) -> None:
        super().__init__()
        self.q_enc = CoSTEncoder(out=dim)
        self.q_head = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.k_enc, self.k_head = copy.deepcopy(self.q_enc), copy.deepcopy(self.q_head)
        for p in (*self.k_enc.parameters(), *self.k_head.parameters()):
            p.requires_grad_(False)
        self.tau, self.alpha = tau, alpha
        self.lerp_weight = 1 - m if lerp_weight is None else lerp_weight
        self.register_buffer("queue", F.normalize(torch.randn(queue, dim), dim=1))
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))
        self.last_keys: torch.Tensor | None = None

    def online(self) -> list[torch.nn.Parameter]:
        return [*self.q_enc.parameters(), *self.q_head.parameters()]

    def key_params(self) -> list[torch.nn.Parameter]:
        return [*self.k_enc.parameters(), *self.k_head.parameters()]

    @torch.no_grad()
    def keys(self, v: torch.Tensor, idx: int) -> torch.Tensor:
        trend, _ = self.k_enc(v)
        return F.normalize(self.k_head(trend[:, idx]), dim=1)

    @torch.no_grad()
    def fill_queue(self, batches: list[Any]) -> None:
        keys = torch.cat([self.keys(b[1], b[2]) for b in batches])
        self.queue.copy_(keys[: self.queue.shape[0]])

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, int]) -> torch.Tensor:
        v1, v2, idx = batch
        trend1, season1 = self.q_enc(v1)
        q = F.normalize(self.q_head(trend1[:, idx]), dim=1)
        k = self.keys(v2, idx)
        self.last_keys = k
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ self.queue.T], 1) / self.tau
        time_loss = F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long))
        _, season2 = self.q_enc(v2)
        f1, f2 = torch.fft.rfft(season1, dim=1), torch.fft.rfft(season2, dim=1)
        amp = _instance_contrastive(F.normalize(f1.abs(), dim=-1), F.normalize(f2.abs(), dim=-1))
        phase = _instance_contrastive(F.normalize(f1.angle(), dim=-1), F.normalize(f2.angle(), dim=-1))
        return time_loss + self.alpha / 2 * (amp + phase)

    @torch.no_grad()
    def after_step(self) -> None:
        torch._foreach_lerp_(self.key_params(), self.online(), self.lerp_weight)
        if self.last_keys is not None:
            n, size = len(self.last_keys), self.queue.shape[0]
            i = int(self.ptr)
            self.queue[i:i + n] = self.last_keys
            self.ptr.fill_((i + n) % size)


def cost(seed: int, lr: float = 1e-3, shuffled: bool = False, lerp_weight: float | None = None,
         weight_decay: float = 0.0) -> Setup:
    """CoST on two augmented views of the trend-plus-seasonal series (batch 32, the queue filled with the initial
    key encoder's keys of the pool's last 8 batches), Adam at lr 1e-3 (set here: the reference's SGD for its own
    epochs); ``shuffled``: see :func:`cost_views`; ``lerp_weight``: see :class:`CoST`; ``weight_decay``: AdamW's
    (0: Adam)."""
    torch.manual_seed(1_040_000 + seed)
    model = CoST(lerp_weight=lerp_weight)
    views = cost_views(seed, shuffled=shuffled)
    model.fill_queue([views(POOL - i)[0] for i in range(1, 9)])
    if weight_decay:
        opt = _after_step(torch.optim.AdamW, model, model.online(), lr=lr, weight_decay=weight_decay)
    else:
        opt = _after_step(torch.optim.Adam, model, model.online(), lr=lr)
    return _xy(model, opt, views, _own_loss)


# ---- STID: spatial-temporal identity ---------------------------------------------------------------------------------

STID_MEAN, STID_STD = 245.0, 138.0  # the z-score scaler: the mean and std of seed 0's windows, rounded


def traffic(seed: int, batch: int = 32, nodes: int = 8, history: int = 12, horizon: int = 12, days: int = 28,
            shuffled: bool = False) -> Callable[[int], Any]:
    """Traffic-like readings of 8 sensors, 24 slots a day over four weeks: each sensor its fixed level (60 to 400),
    daily profile (two peaks of its own phases) and weekend dip, plus 5% multiplicative noise; windows of 12 slots and
    the next 12: ``((readings (b, 12, 8), slot of day (b,), day of week (b,)), next readings (b, 12, 8))``, raw
    units; ``shuffled``: the targets permuted within every batch, apart from their windows."""
    fg = _fixed(4)
    level = 60 + 340 * torch.rand(nodes, generator=fg)
    ph1, ph2 = 2 * math.pi * torch.rand(nodes, generator=fg), 2 * math.pi * torch.rand(nodes, generator=fg)
    slots = torch.arange(days * 24)
    tod = (slots % 24).float() / 24
    dow = (slots // 24) % 7
    profile = 1 + 0.5 * torch.sin(2 * math.pi * tod[:, None] + ph1) + 0.25 * torch.sin(4 * math.pi * tod[:, None] + ph2)
    weekend = torch.where(dow >= 5, 0.7, 1.0)[:, None]
    base = level * profile * weekend
    g0 = _gen(seed)
    series = base * (1 + 0.05 * torch.randn(base.shape, generator=g0))

    def make(g: torch.Generator, _: int) -> Any:
        start = torch.randint(0, len(slots) - history - horizon, (batch,), generator=g)
        idx = start[:, None] + torch.arange(history + horizon)
        win = series[idx]
        last = start + history - 1
        y = win[:, history:]
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return (win[:, :history], last % 24, (last // 24) % 7), y
    return _pool(seed, make)


class STIDLayer(nn.Module):
    """STID's residual MLP: ``x + fc2(dropout(relu(fc1(x))))`` (1x1 convs, dropout 0.15)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.fc1, self.fc2, self.drop = nn.Linear(d, d), nn.Linear(d, d), nn.Dropout(0.15)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(self.drop(F.relu(self.fc1(x))))


class STID(nn.Module):
    """STID (Shao et al. 2022): each sensor's window embedded by a Linear to 32, with its node embedding (32), the
    time-of-day (24 slots) and day-of-week embeddings (32 each) concatenated to 128, three residual MLP layers, and a
    Linear regression to the 12 next values; inputs z-scored by the data scaler and the outputs de-normalised, as
    BasicTS does (``zscore=False``: the raw readings fed in and the outputs read as readings); ``plain``: the encoder
    replaced by that many plain Linear+ReLU layers of 128 at PyTorch's default init."""

    def __init__(self, nodes: int = 8, history: int = 12, horizon: int = 12, d: int = 32, layers: int = 3,
                 zscore: bool = True, plain: int = 0) -> None:
        super().__init__()
        self.series = nn.Linear(history, d)
        self.node = nn.Parameter(torch.empty(nodes, d))
        self.tod = nn.Parameter(torch.empty(24, d))
        self.dow = nn.Parameter(torch.empty(7, d))
        for p in (self.node, self.tod, self.dow):
            nn.init.xavier_uniform_(p)
        hidden = 4 * d
        self.encoder = _plain_stack(hidden, plain) if plain else nn.Sequential(*[STIDLayer(hidden)
                                                                                  for _ in range(layers)])
        self.reg = nn.Linear(hidden, horizon)
        self.zscore = zscore

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, tod, dow = batch
        if self.zscore:
            x = (x - STID_MEAN) / STID_STD
        b, _, n = x.shape
        h = torch.cat([self.series(x.transpose(1, 2)), self.node[None].expand(b, n, -1),
                       self.tod[tod][:, None].expand(b, n, -1), self.dow[dow][:, None].expand(b, n, -1)], -1)
        out = self.reg(self.encoder(h)).transpose(1, 2)  # (b, horizon, n)
        return out * STID_STD + STID_MEAN if self.zscore else out


def stid(seed: int, lr: float = 2e-3, zscore: bool = True, plain: int = 0, shuffled: bool = False,
         relu_bias: float | None = None) -> Setup:
    """STID on the traffic windows (batch 32), the MAE in readings, Adam at the paper's lr 2e-3 and weight decay
    1e-5 (its milestones left out); ``zscore``, ``plain``: see :class:`STID`; ``shuffled``: see :func:`traffic`;
    ``relu_bias``: the biases before the encoder's ReLUs set to this value."""
    torch.manual_seed(1_040_000 + seed)
    model = STID(zscore=zscore, plain=plain)
    if relu_bias is not None:
        with torch.no_grad():
            for mod in model.encoder.modules():
                if isinstance(mod, STIDLayer):
                    mod.fc1.bias.fill_(relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, traffic(seed, shuffled=shuffled), F.l1_loss)


# ---- GRU-ODE-Bayes ---------------------------------------------------------------------------------------------------

def irregular_oscillators(seed: int, batch: int = 32, dims: int = 2, grid: int = 24, dt: float = 0.25,
                          p_obs: float = 0.5) -> Callable[[int], Any]:
    """Damped oscillators of two coupled coordinates (``x = a e^(-0.1 t) sin(w t + phi)``, ``y`` the same with a
    quarter-period lag, ``w`` in [1.5, 3], amplitude in [0.6, 1.4], random phase) on a grid of 24 times 0.25 apart,
    each coordinate observed at each time with probability 0.5, plus N(0, 0.05^2) noise: ``((values (b, 24, 2),
    masks (b, 24, 2)), 0)``."""
    t = torch.arange(grid).float() * dt

    def make(g: torch.Generator, _: int) -> Any:
        w = 1.5 + 1.5 * torch.rand(batch, 1, generator=g)
        a = 0.6 + 0.8 * torch.rand(batch, 1, generator=g)
        phi = 2 * math.pi * torch.rand(batch, 1, generator=g)
        env = a * torch.exp(-0.1 * t)
        x = torch.stack([env * torch.sin(w * t + phi), env * torch.cos(w * t + phi)], -1)
        x = x + 0.05 * torch.randn(x.shape, generator=g)
        mask = (torch.rand(x.shape, generator=g) < p_obs).float()
        return (x * mask, mask), torch.zeros(batch)
    return _pool(seed, make)


class GRUODECell(nn.Module):
    """The GRU-ODE: ``dh/dt = (1 - z) * (g - h)``, ``z = sigmoid(W_z h + b_z)``, ``r = sigmoid(W_r h + b_r)``, ``g =
    tanh(W_h (r * h) + b_h)``."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.lz, self.lr, self.lh = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        z, r = torch.sigmoid(self.lz(h)), torch.sigmoid(self.lr(h))
        return (1 - z) * (torch.tanh(self.lh(r * h)) - h)


class GRUODEBayes(nn.Module):
    """GRU-ODE-Bayes (De Brouwer et al. 2019), narrowed: a hidden state of 32 evolved between observation times by
    the GRU-ODE (explicit Euler, 2 steps of 0.125 per grid interval), read by ``p(h)`` (a tanh MLP of 32 to each
    coordinate's mean and log-variance), and updated at each observation time by GRU-Bayes (the observed values,
    the predicted means and log-variances and the standardised errors, masked, through a ReLU Linear of 32 into a
    GRUCell); the loss the observations' Gaussian negative log-likelihood before each update (the KL term's weight
    0). ``gate_bias``: the update gates' biases (the GRU-ODE's ``b_z`` and the GRUCell's) set to this value."""

    def __init__(self, dims: int = 2, hidden: int = 32, substeps: int = 2, dt: float = 0.125) -> None:
        super().__init__()
        self.ode = GRUODECell(hidden)
        self.p = nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 2 * dims))
        self.prep = nn.Sequential(nn.Linear(4 * dims, hidden), nn.ReLU())
        self.cell = nn.GRUCell(hidden, hidden)
        self.hidden, self.substeps, self.dt = hidden, substeps, dt

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, mask = batch
        b, steps, _ = x.shape
        h = x.new_zeros(b, self.hidden)
        nll, count = x.new_zeros(()), mask.sum()
        for i in range(steps):
            if i > 0:
                for _ in range(self.substeps):
                    h = h + self.dt * self.ode(h)
            mean, logvar = self.p(h).chunk(2, -1)
            m = mask[:, i]
            err = (x[:, i] - mean) * torch.exp(-0.5 * logvar)
            nll = nll + (0.5 * (math.log(2 * math.pi) + logvar + err ** 2) * m).sum()
            u = self.prep(torch.cat([x[:, i], mean, logvar, err], -1) * m.repeat(1, 4))
            obs = (m.sum(1, keepdim=True) > 0).float()
            h = obs * self.cell(u, h) + (1 - obs) * h
        return nll / count


def gru_ode_bayes(seed: int, lr: float = 1e-3, weight_decay: float = 1e-4, gate_bias: float | None = None,
                  adamw: bool = False) -> Setup:
    """GRU-ODE-Bayes on the irregularly observed oscillators (batch 32), Adam at the paper's lr 1e-3 with weight
    decay 1e-4 (set here); ``gate_bias``: see :class:`GRUODEBayes`; ``adamw``: AdamW with ``weight_decay``."""
    torch.manual_seed(1_040_000 + seed)
    model = GRUODEBayes()
    if gate_bias is not None:
        with torch.no_grad():
            h = model.hidden
            model.ode.lz.bias.fill_(gate_bias)
            model.cell.bias_ih[h:2 * h].fill_(gate_bias)
            model.cell.bias_hh[h:2 * h].fill_(0.0)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    return _xy(model, cls(model.parameters(), lr=lr, weight_decay=weight_decay), irregular_oscillators(seed),
               _own_loss)


# ---- CoDATS: convolutional domain adaptation for time series ---------------------------------------------------------

def har_domains(seed: int, batch: int = 32, channels: int = 3, length: int = 64, classes: int = 4
                ) -> Callable[[int], Any]:
    """Activity-like windows of 3 channels and 64 steps: each class a fixed pair of frequencies and a fixed mixing
    per channel, random phases, plus N(0, 0.5^2) noise; a labelled source domain and an unlabelled target domain
    (another participant: each channel rescaled by a fixed factor in [0.6, 1.6], offset by a fixed shift in [-1, 1],
    and the motion 20% faster): ``((source (b, 3, 64), target (b, 3, 64)), source labels (b,))``."""
    fg = _fixed(5)
    freqs = 1 + torch.randint(0, 6, (classes, 2), generator=fg).float()
    mix = torch.randn(classes, channels, 2, generator=fg)
    scale = 0.6 + torch.rand(channels, 1, generator=fg)
    shift = 2 * torch.rand(channels, 1, generator=fg) - 1
    t = torch.arange(length).float() / length

    def draw(g: torch.Generator, speed: float) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, classes, (batch,), generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, 2, generator=g)
        waves = torch.sin(2 * math.pi * freqs[y][:, None, :] * speed * t[None, :, None] + ph)  # (b, t, 2)
        x = torch.einsum("bcf,btf->bct", mix[y], waves)
        return x + 0.5 * torch.randn(x.shape, generator=g), y

    def make(g: torch.Generator, _: int) -> Any:
        xs, ys = draw(g, 1.0)
        xt, _ = draw(g, 1.2)
        return (xs, xt * scale + shift), ys
    return _pool(seed, make)


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, coeff: float) -> torch.Tensor:
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.coeff * grad, None


class CoDATS(nn.Module):
    """CoDATS (Wilson et al. 2020), narrowed: the FCN feature extractor (convs of 32, 64 and 32 channels with kernels
    8, 5 and 3, each BatchNorm and ReLU, global average pooling; the paper's 128, 256, 128), a linear task
    classifier, and the domain classifier (two ReLU layers of 64 with dropout 0.3, a logit) behind the gradient
    reversal layer; the loss the source's cross-entropy plus the domain's binary cross-entropy on both domains. The
    reversal coefficient ``coeff * lambda(p)`` follows DANN's schedule ``lambda(p) = 2 / (1 + exp(-10 p)) - 1`` in
    the progress ``p`` (0 to 1 over the run), so ``coeff = 1`` ends at 1."""

    def __init__(self, channels: int = 3, classes: int = 4, coeff: float = 1.0, steps: int = 200) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = channels
        for cout, k in ((32, 8), (64, 5), (32, 3)):
            layers += [nn.Conv1d(cin, cout, k, padding="same", bias=False), nn.BatchNorm1d(cout), nn.ReLU()]
            cin = cout
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.task = nn.Linear(32, classes)
        self.domain = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 64), nn.ReLU(),
                                    nn.Dropout(0.3), nn.Linear(64, 1))
        self.coeff, self.steps = coeff, steps
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        (xs, xt), ys = batch[0], batch[1]
        p = float(self.step) / self.steps
        lam = self.coeff * (2 / (1 + math.exp(-10 * p)) - 1)
        f = self.features(torch.cat([xs, xt]))
        task = F.cross_entropy(self.task(f[: len(xs)]), ys)
        dom_logits = self.domain(_Reverse.apply(f, lam)).squeeze(1)
        dom = torch.cat([torch.zeros(len(xs)), torch.ones(len(xt))])
        return task + F.binary_cross_entropy_with_logits(dom_logits, dom)

    @torch.no_grad()
    def after_step(self) -> None:
        self.step.add_(1)


def codats(seed: int, lr: float = 1e-3, coeff: float = 1.0, bn_shift: float | None = None) -> Setup:
    """CoDATS on the source and target activity windows (batch 32 of each), Adam at lr 1e-3 (set here; the paper's
    1e-4 is for 30,000 steps); ``coeff``: see :class:`CoDATS`; ``bn_shift``: the BatchNorms' shifts (before the
    ReLUs) set to this value."""
    torch.manual_seed(1_040_000 + seed)
    model = CoDATS(coeff=coeff)
    if bn_shift is not None:
        with torch.no_grad():
            for mod in model.features.modules():
                if isinstance(mod, nn.BatchNorm1d):
                    mod.bias.fill_(bn_shift)
    opt = _after_step(torch.optim.Adam, model, model.parameters(), lr=lr)
    data = har_domains(seed)
    return Setup(model, opt, None, data(0), None, lambda m, batch: m(batch), data)


# ---- NIF: neural implicit flow ---------------------------------------------------------------------------------------

def moving_pulse(seed: int, snapshots: int = 17, points: int = 32) -> Callable[[int], Any]:
    """A pulse ``u(x, t) = sin(2 pi t) exp(-((x - 0.3 - 0.4 t) / 0.1)^2)`` moving right while it swells, reverses
    and fades (zero at ``t`` = 0, 1/2 and 1), at all 17 snapshots ``t = k / 16`` and 32 random ``x`` in [0, 1] each:
    ``((t (17, 1), x (17, 32, 1)), u (17, 32, 1))``."""
    t = torch.linspace(0, 1, snapshots)[:, None]

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.rand(snapshots, points, 1, generator=g)
        u = torch.sin(2 * math.pi * t)[:, :, None] * torch.exp(-(((x - 0.3 - 0.4 * t[:, :, None]) / 0.1) ** 2))
        u = torch.where(t[:, :, None] % 0.5 == 0, torch.zeros_like(u), u)
        return (t, x), u
    return _pool(seed, make)


class NIF(nn.Module):
    """NIF (Pan, Brunton & Kutz 2023): a ParameterNet (``t`` through a Swish MLP of 32, 32 to a linear bottleneck of
    4, then a Linear to every weight and bias of the ShapeNet) and the ShapeNet it parameterises (``x`` through two
    tanh layers of 16 to ``u``), evaluated per snapshot by batched matrix products."""

    def __init__(self, width: int = 16, hidden: int = 32, latent: int = 4) -> None:
        super().__init__()
        self.shapes = [(1, width), (width,), (width, width), (width,), (width, 1), (1,)]
        count = sum(math.prod(s) for s in self.shapes)
        self.param_net = nn.Sequential(nn.Linear(1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                       nn.Linear(hidden, latent), nn.Linear(latent, count))

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        t, x = batch
        flat = self.param_net(t)
        params, i = [], 0
        for s in self.shapes:
            n = math.prod(s)
            params.append(flat[:, i:i + n].reshape(-1, *s))
            i += n
        w1, b1, w2, b2, w3, b3 = params
        h = torch.tanh(x @ w1 + b1[:, None])
        h = torch.tanh(h @ w2 + b2[:, None])
        return h @ w3 + b3[:, None]


def _relative_l2(out: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """FNO's ``LpLoss``: each snapshot's L2 error divided by its target's L2 norm, averaged (no eps)."""
    return ((out - u).flatten(1).norm(dim=1) / u.flatten(1).norm(dim=1)).mean()


def nif(seed: int, lr: float = 1e-2, zero_init: bool = False, relative: bool = False) -> Setup:
    """NIF on the moving pulse (all 17 snapshots of 32 points a batch), the MSE, Adam at lr 1e-2 (set here);
    ``zero_init``: every weight and bias set to 0; ``relative``: the loss FNO's relative L2 (:func:`_relative_l2`)."""
    torch.manual_seed(1_040_000 + seed)
    model = NIF()
    _init_normal(model, zero=zero_init)
    loss = _relative_l2 if relative else F.mse_loss
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), moving_pulse(seed), loss)
