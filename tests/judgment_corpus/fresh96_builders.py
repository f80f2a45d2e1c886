"""Builders of the ninety-seventh held-out batch (``fresh96.py``): generative, self-supervised, time-series forecasting
and scientific models new to the corpus at their usual settings, broken variants with one real fault each, and the
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

from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(960_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9600 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _own_loss(out: torch.Tensor, _: Any) -> torch.Tensor:
    """The loss of a model that returns its own loss."""
    return out


def _normal_(model: nn.Module, std: float) -> None:
    """Every Linear and Embedding weight drawn N(0, std^2)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)


# ---- ProdLDA (Srivastava and Sutton 2017) ----------------------------------------------------------------------------

def documents(seed: int, batch: int = 64, vocab: int = 200, topics: int = 10, length: int = 50) -> Callable[[int], Any]:
    """Bags of 50 words over a vocabulary of 200 from 10 fixed topics (each puts 90% of its mass on its own 10 words,
    Zipf-like, the rest uniform): each document mixes one or two topics (weights ``U(0, 1)``): ``(counts (b, 200),
    counts)``."""
    own = torch.randperm(vocab, generator=_fixed(1))[: topics * 10].view(topics, 10)
    beta = torch.full((topics, vocab), 0.1 / vocab)
    zipf = 1.0 / torch.arange(1, 11).float()
    for k in range(topics):
        beta[k, own[k]] += 0.9 * zipf / zipf.sum()

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.randint(0, topics, (batch, 2), generator=g)
        w = torch.rand(batch, 1, generator=g) * (torch.rand(batch, 1, generator=g) < 0.5)
        probs = (1 - w) * beta[k[:, 0]] + w * beta[k[:, 1]]
        words = torch.multinomial(probs, length, replacement=True, generator=g)
        counts = torch.zeros(batch, vocab).scatter_add_(1, words, torch.ones(batch, length))
        return counts, counts
    return _pool(seed, make)


class ProdLDA(nn.Module):
    """ProdLDA as AVITM and Pyro's example write it: a softplus encoder of 100 (``layers`` layers) with dropout 0.2,
    BatchNorm'd (``affine=False``) ``mu`` and ``log sigma^2`` heads, the Laplace approximation of a Dirichlet(1)
    prior, ``theta = softmax(z)`` with dropout 0.2, the product-of-experts decoder ``log_softmax(BN(beta theta))``
    (this BatchNorm with its affine scale and shift learned; AVITM fixes the scale at 1, Pyro both);
    the loss is the negative ELBO per word (the reconstruction plus ``kl_weight`` times the KL, over the documents'
    50 words)."""

    def __init__(self, vocab: int = 200, topics: int = 10, hidden: int = 100, layers: int = 2,
                 kl_weight: float = 1.0) -> None:
        super().__init__()
        sizes = [vocab] + [hidden] * layers
        self.enc = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.drop = nn.Dropout(0.2)
        self.mu, self.logvar = nn.Linear(hidden, topics), nn.Linear(hidden, topics)
        self.mu_bn, self.lv_bn = nn.BatchNorm1d(topics, affine=False), nn.BatchNorm1d(topics, affine=False)
        self.beta = nn.Linear(topics, vocab, bias=False)
        self.dec_bn = nn.BatchNorm1d(vocab)
        self.kl_weight = kl_weight
        alpha = torch.ones(topics)
        self.register_buffer("prior_mu", alpha.log() - alpha.log().mean())
        self.register_buffer("prior_var", (1 / alpha) * (1 - 2 / topics) + (1 / alpha).sum() / topics ** 2)

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        h = counts
        for lin in self.enc:
            h = F.softplus(lin(h))
        h = self.drop(h)
        mu, logvar = self.mu_bn(self.mu(h)), self.lv_bn(self.logvar(h))
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        theta = self.drop(z.softmax(1))
        logp = F.log_softmax(self.dec_bn(self.beta(theta)), 1)
        rec = -(counts * logp).sum(1)
        var = logvar.exp()
        kl = 0.5 * ((var / self.prior_var) + (mu - self.prior_mu) ** 2 / self.prior_var - 1
                    + self.prior_var.log() - logvar).sum(1)
        return ((rec + self.kl_weight * kl) / counts.sum(1)).mean()


def prodlda(seed: int, lr: float = 1e-2, layers: int = 2, kl_weight: float = 1.0) -> Setup:
    """ProdLDA on the bags of words (batch 64), Adam with AVITM's betas (0.99, 0.999) at lr 1e-2 (set here; AVITM's
    2e-3 did not learn in 200 steps); ``layers``: the encoder's softplus layers (2 in the paper); ``kl_weight``: the
    KL's weight (1 in the paper)."""
    torch.manual_seed(960_000 + seed)
    model = ProdLDA(layers=layers, kl_weight=kl_weight)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.99, 0.999))
    return _xy(model, opt, documents(seed), _own_loss)


# ---- D3PM (Austin et al. 2021), absorbing state ----------------------------------------------------------------------

def masked_text(seed: int, batch: int = 16, length: int = 32, steps: int = 100, follow: float = 0.95,
                percent: bool = False) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens (the fixed successor followed with probability 0.95), each
    sequence at a diffusion step ``t ~ U{1..100}`` of the absorbing-state process with D3PM's schedule ``beta_t = 1 /
    (T - t + 1)`` (so each token is masked, id 64, with probability ``t / T``; at least one per sequence):
    ``((x_t, t), x_0)``; ``percent``: the masking probability written ``100 t / T``, a rate in percent."""
    def make(g: torch.Generator, _: int) -> Any:
        x0 = markov_tokens(g, batch, length, 64, follow)
        t = torch.randint(1, steps + 1, (batch,), generator=g)
        rate = t.float() / steps * (100 if percent else 1)
        masked = torch.rand(batch, length, generator=g) < rate[:, None]
        masked[:, 0] |= ~masked.any(1)
        return (torch.where(masked, torch.full_like(x0, 64), x0), t), x0
    return _pool(seed, make)


class D3PM(nn.Module):
    """The x_0-parameterised denoiser: token (64 plus the mask) and learned position embeddings of 64, the step's
    sinusoidal embedding through a SiLU MLP added to every position, two pre-LN Transformer encoder layers of 4 heads
    with GELU feed-forwards of 4x and dropout 0.1, a final LayerNorm and the logits over the 64 tokens."""

    def __init__(self, d: int = 64, layers: int = 2, length: int = 32) -> None:
        super().__init__()
        self.d = d
        self.tok = nn.Embedding(65, d)
        self.pos = nn.Parameter(torch.randn(1, length, d) * 0.02)
        self.temb = nn.Sequential(nn.Linear(d, 4 * d), nn.SiLU(), nn.Linear(4 * d, d))
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, 0.1, activation="gelu", batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, 64)

    def forward(self, inp: Any) -> torch.Tensor:
        x, t = inp
        half = self.d // 2
        freqs = torch.exp(-math.log(10_000) * torch.arange(half).float() / half)
        ang = t.float()[:, None] * freqs[None]
        temb = self.temb(torch.cat([ang.sin(), ang.cos()], 1))
        h = self.tok(x) + self.pos + temb[:, None]
        return self.out(self.norm(self.body(h)))


def _token_ce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def d3pm(seed: int, lr: float = 1e-3, init_std: float | None = None, follow: float = 0.95,
         percent: bool = False, weight_decay: float = 0.01) -> Setup:
    """D3PM (absorbing) on the Markov text (batch 16 of 32), the cross-entropy of ``p(x_0 | x_t)`` over every token
    (the hybrid loss's auxiliary term alone; the unmasked tokens are copies), AdamW at ``weight_decay`` 0.01 and lr
    1e-3 (set here; the paper's 2e-4 runs for many epochs); ``init_std``: every Linear and Embedding weight drawn N(0,
    init_std^2); ``percent``: see :func:`masked_text`."""
    torch.manual_seed(960_000 + seed)
    model = D3PM()
    if init_std is not None:
        _normal_(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    batches = masked_text(seed, follow=follow, percent=percent)
    return _xy(model, opt, batches, _token_ce)


# ---- SSSD-S4 (Alcaraz and Strodthoff 2022) ---------------------------------------------------------------------------

def gappy_series(seed: int, batch: int = 16, channels: int = 4, length: int = 48) -> Callable[[int], Any]:
    """Four-channel series of 48 steps, each channel a fixed mixture of two shared latent sinusoids (periods 12 and 20,
    random phases and amplitudes per series) plus N(0, 0.1^2) noise; half of the entries missing at random (SSSD's
    RM setting): ``((series (b, 4, 48), observed mask), series)``."""
    mix = torch.randn(channels, 2, generator=_fixed(2)) / math.sqrt(2)
    t = torch.arange(length).float()

    def make(g: torch.Generator, _: int) -> Any:
        ph = 2 * math.pi * torch.rand(batch, 2, 1, generator=g)
        amp = 0.5 + torch.rand(batch, 2, 1, generator=g)
        lat = amp * torch.sin(2 * math.pi * t / torch.tensor([12.0, 20.0])[:, None] + ph)
        x = torch.einsum("ck,bkl->bcl", mix, lat) + 0.1 * torch.randn(batch, channels, length, generator=g)
        obs = (torch.rand(batch, channels, length, generator=g) < 0.5).float()
        return (x, obs), x
    return _pool(seed, make)


class S4D(nn.Module):
    """A diagonal state-space layer (S4D-Real, Gu et al. 2022) per channel: ``A_n = -(n + 1)`` (``unstable``:
    ``+(n + 1)``), ``log dt ~ U(log 1e-3, log 1e-1)``, the zero-order-hold kernel ``K_l = sum_n C_n (e^(dt A_n) - 1) /
    A_n e^(dt A_n l)`` applied by FFT, with the skip ``D``; SSSD runs it in both directions."""

    def __init__(self, channels: int, n: int = 16, unstable: bool = False) -> None:
        super().__init__()
        a = torch.arange(1, n + 1).float().repeat(channels, 1)
        self.a = nn.Parameter(a if unstable else -a)
        self.log_dt = nn.Parameter(torch.rand(channels, 1) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        self.c = nn.Parameter(torch.randn(2, channels, n) * 0.5)
        self.dskip = nn.Parameter(torch.randn(2, channels))

    def _kernel(self, length: int, i: int) -> torch.Tensor:
        dta = self.log_dt.exp() * self.a
        b = (dta.exp() - 1) / self.a
        powers = torch.exp(dta[..., None] * torch.arange(length).float())
        return torch.einsum("cn,cnl->cl", self.c[i] * b, powers)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        length = u.shape[-1]
        out = 0
        for i, x in enumerate((u, u.flip(-1))):
            k = self._kernel(length, i)
            y = torch.fft.irfft(torch.fft.rfft(x, 2 * length) * torch.fft.rfft(k, 2 * length), 2 * length)[..., :length]
            y = y + self.dskip[i][:, None] * x
            out = out + (y if i == 0 else y.flip(-1))
        return out


class _SSSDLayer(nn.Module):
    def __init__(self, c: int, unstable: bool) -> None:
        super().__init__()
        self.temb = nn.Linear(4 * c, c)
        self.s4 = S4D(2 * c, unstable=unstable)
        self.inp = nn.Conv1d(c, 2 * c, 3, padding=1)
        self.norm = nn.LayerNorm(2 * c)
        self.cond = nn.Conv1d(8, 2 * c, 1)
        self.res, self.skip = nn.Conv1d(c, c, 1), nn.Conv1d(c, c, 1)

    def forward(self, h: torch.Tensor, temb: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = self.inp(h + self.temb(temb)[..., None])
        y = self.norm(self.s4(y).transpose(1, 2)).transpose(1, 2) + self.cond(cond)
        a, b = y.chunk(2, 1)
        y = torch.tanh(a) * torch.sigmoid(b)
        return (h + self.res(y)) / math.sqrt(2), self.skip(y)


class SSSD(nn.Module):
    """SSSD^S4 narrowed: DiffWave's residual layers (32 channels, two layers), each with a bidirectional S4D layer
    followed by a LayerNorm where DiffWave's dilated conv stands (after a conv of 3), the conditioning (observed
    values and mask) added by a 1x1 conv, gated tanh units, the diffusion step's sinusoidal embedding through a SiLU
    MLP, a zero-initialised output conv predicting the noise. The DDPM of ``T = 200`` steps with ``beta`` linear from
    ``beta_start`` to ``beta_end`` (SSSD's 1e-4 and 0.02); noise is applied to the missing entries only and the loss
    is the noise's MSE there (the step and the noise drawn from the global generator, seeded by the builder)."""

    def __init__(self, c: int = 32, layers: int = 2, steps: int = 200, beta_start: float = 1e-4,
                 beta_end: float = 0.02, unstable: bool = False) -> None:
        super().__init__()
        self.c, self.steps = c, steps
        betas = torch.linspace(beta_start, beta_end, steps)
        self.register_buffer("abar", torch.cumprod(1 - betas, 0))
        self.inp = nn.Conv1d(4, c, 1)
        self.temb = nn.Sequential(nn.Linear(c, 4 * c), nn.SiLU(), nn.Linear(4 * c, 4 * c), nn.SiLU())
        self.layers = nn.ModuleList(_SSSDLayer(c, unstable) for _ in range(layers))
        self.out1 = nn.Conv1d(c, c, 1)
        self.out2 = nn.Conv1d(c, 4, 1)
        nn.init.zeros_(self.out2.weight)
        nn.init.zeros_(self.out2.bias)

    def forward(self, inp: Any) -> torch.Tensor:
        x0, obs = inp
        b = x0.shape[0]
        t = torch.randint(0, self.steps, (b,))
        ab = self.abar[t][:, None, None]
        eps = torch.randn_like(x0)
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        xt = obs * x0 + (1 - obs) * xt
        half = self.c // 2
        freqs = torch.exp(-math.log(10_000) * torch.arange(half).float() / half)
        ang = t.float()[:, None] * freqs[None]
        temb = self.temb(torch.cat([ang.sin(), ang.cos()], 1))
        cond = torch.cat([x0 * obs, obs], 1)
        h = F.relu(self.inp(xt))
        skip = 0
        for layer in self.layers:
            h, s = layer(h, temb, cond)
            skip = skip + s
        pred = self.out2(F.relu(self.out1(skip / math.sqrt(len(self.layers)))))
        miss = 1 - obs
        return (((pred - eps) ** 2) * miss).sum() / miss.sum()


def sssd(seed: int, lr: float = 2e-4, beta_end: float = 0.02, beta_start: float = 1e-4,
         unstable: bool = False) -> Setup:
    """SSSD^S4 imputing the gappy series (batch 16), Adam at the paper's lr 2e-4; ``beta_start``, ``beta_end``: the
    noise schedule's ends; ``unstable``: see :class:`S4D`."""
    torch.manual_seed(960_000 + seed)
    model = SSSD(beta_start=beta_start, beta_end=beta_end, unstable=unstable)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), gappy_series(seed), _own_loss)


# ---- TS-TCC (Eldele et al. 2021) -------------------------------------------------------------------------------------

def _permute_segments(x: torch.Tensor, g: torch.Generator, max_segments: int = 5) -> torch.Tensor:
    out = torch.empty_like(x)
    length = x.shape[-1]
    for i in range(x.shape[0]):
        n = int(torch.randint(1, max_segments + 1, (1,), generator=g))
        cuts = torch.sort(torch.randperm(length - 1, generator=g)[: n - 1] + 1).values.tolist()
        pieces = torch.tensor_split(torch.arange(length), cuts)
        order = torch.randperm(len(pieces), generator=g).tolist()
        out[i] = x[i][:, torch.cat([pieces[j] for j in order])]
    return out


def tcc_views(seed: int, batch: int = 32, channels: int = 3, length: int = 64, classes: int = 4,
              shuffled: bool = False) -> Callable[[int], Any]:
    """Unlabelled three-channel series of 64 steps (each from one of 4 fixed frequency patterns, random phases, noise
    0.3) and TS-TCC's two views: weak (scaled by ``N(2, 1.1^2)`` per channel, jittered by 0.8, the reference code's)
    and strong (split into up to 5 segments that are permuted, jittered by 0.8), plus the temporal contrasting's
    random start: ``((weak, strong, t), 0)``; ``shuffled``: the strong views permuted within the batch, apart from
    their weak views."""
    fg = _fixed(3)
    freq = torch.randint(1, 7, (classes, channels), generator=fg).float()
    amp = 0.5 + torch.rand(classes, channels, generator=fg)
    tt = torch.arange(length).float() / length

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        ph = 2 * math.pi * torch.rand(batch, channels, 1, generator=g)
        x = amp[y][..., None] * torch.sin(2 * math.pi * freq[y][..., None] * tt + ph)
        x = x + 0.3 * torch.randn(x.shape, generator=g)
        weak = x * (2 + 1.1 * torch.randn(batch, channels, 1, generator=g))
        weak = weak + 0.8 * torch.randn(x.shape, generator=g)
        strong = _permute_segments(x, g) + 0.8 * torch.randn(x.shape, generator=g)
        if shuffled:
            strong = strong[torch.randperm(batch, generator=g)]
        return (weak, strong, int(torch.randint(0, 4, (1,), generator=g))), 0
    return _pool(seed, make)


class TSTCC(nn.Module):
    """TS-TCC narrowed: the reference code's encoder of three blocks ``Conv1d(k=8) -> BN -> ReLU -> MaxPool(2)``
    (32, 64, 64 channels, dropout 0.35 after the first) to 10 steps of 64; temporal contrasting (each view's features
    up to a random step summarised by a one-layer transformer of 64 with a class token, ``W_k`` predicting the other
    view's next 3 steps, InfoNCE over the batch) and contextual contrasting (NT-Xent, cosine, ``tau``, on a ``Linear ->
    BN -> ReLU -> Linear`` projection of the contexts); the loss ``(tc_1 + tc_2) + 0.7 cc``, the reference code's
    lambdas. ``bn_shift``: every encoder BatchNorm's shift (its beta) set to that value."""

    def __init__(self, channels: int = 3, tau: float = 0.2, bn_shift: float | None = None, horizon: int = 3) -> None:
        super().__init__()
        def block(a: int, b: int, drop: float) -> nn.Sequential:
            return nn.Sequential(nn.Conv1d(a, b, 8, padding=4, bias=False), nn.BatchNorm1d(b), nn.ReLU(),
                                 nn.MaxPool1d(2, 2, padding=1), nn.Dropout(drop))
        self.encoder = nn.Sequential(block(channels, 32, 0.35), block(32, 64, 0.0), block(64, 64, 0.0))
        if bn_shift is not None:
            for m in self.encoder.modules():
                if isinstance(m, nn.BatchNorm1d):
                    nn.init.constant_(m.bias, bn_shift)
        self.horizon, self.tau = horizon, tau
        self.cls = nn.Parameter(torch.randn(1, 1, 64) * 0.02)
        self.summ = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 64, 0.1, batch_first=True,
                                                                     norm_first=True), 1, enable_nested_tensor=False)
        self.wk = nn.ModuleList(nn.Linear(64, 64) for _ in range(horizon))
        self.proj = nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 32))

    def _tc(self, za: torch.Tensor, zb: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        b = za.shape[0]
        seq = torch.cat([self.cls.expand(b, -1, -1), za[:, : t + 1]], 1)
        c = self.summ(seq)[:, 0]
        nce = 0
        for k in range(self.horizon):
            scores = zb[:, t + 1 + k] @ self.wk[k](c).T
            nce = nce + F.cross_entropy(scores, torch.arange(b))
        return nce / self.horizon, c

    def forward(self, inp: Any) -> torch.Tensor:
        weak, strong, t = inp
        z1, z2 = self.encoder(weak).transpose(1, 2), self.encoder(strong).transpose(1, 2)
        tc1, c1 = self._tc(z1, z2, t)
        tc2, c2 = self._tc(z2, z1, t)
        p = F.normalize(self.proj(torch.cat([c1, c2])), dim=1)
        b = c1.shape[0]
        sim = p @ p.T / self.tau
        sim = sim.masked_fill(torch.eye(2 * b, dtype=torch.bool), float("-inf"))
        target = torch.cat([torch.arange(b, 2 * b), torch.arange(b)])
        return tc1 + tc2 + 0.7 * F.cross_entropy(sim, target)


def ts_tcc(seed: int, lr: float = 1e-3, bn_shift: float | None = None, shuffled: bool = False,
           tau: float = 0.2) -> Setup:
    """TS-TCC pre-training on the unlabelled series (batch 32), Adam with the reference code's betas (0.9, 0.99) and
    weight decay 3e-4, at lr 1e-3 (set here; its 3e-4 did not learn in 200 steps); ``bn_shift``, ``tau``: see
    :class:`TSTCC`; ``shuffled``: see :func:`tcc_views`."""
    torch.manual_seed(960_000 + seed)
    model = TSTCC(tau=tau, bn_shift=bn_shift)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=3e-4)
    return _xy(model, opt, tcc_views(seed, shuffled=shuffled), _own_loss)


# ---- Chronos (Ansari et al. 2024) ------------------------------------------------------------------------------------

def chronos_tokens(seed: int, batch: int = 16, length: int = 64, bins: int = 64, low: float = -4.0,
                   high: float = 4.0) -> Callable[[int], Any]:
    """Positive series of 64 steps (levels 10 to 1000, a period of 8 to 16 with amplitude 20 to 50% of the level, a
    drift, 5% noise), mean-scaled by their first 48 steps' mean absolute value and quantised into 64 uniform bins over
    [-4, 4], Chronos' tokenisation narrowed: ``(tokens[:, :-1], tokens[:, 1:])``."""
    edges = torch.linspace(low, high, bins + 1)[1:-1]
    t = torch.arange(length).float()

    def make(g: torch.Generator, _: int) -> Any:
        level = 10 ** (1 + 2 * torch.rand(batch, 1, generator=g))
        period = torch.randint(8, 17, (batch, 1), generator=g).float()
        amp = 0.2 + 0.3 * torch.rand(batch, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, generator=g)
        drift = 0.01 * torch.randn(batch, 1, generator=g)
        x = level * (1 + amp * torch.sin(2 * math.pi * t / period + ph) + drift * t / 8)
        x = x * (1 + 0.05 * torch.randn(batch, length, generator=g))
        scale = x[:, :48].abs().mean(1, keepdim=True)
        tok = torch.bucketize(x / scale, edges)
        return tok[:, :-1], tok[:, 1:]
    return _pool(seed, make)


class ChronosGPT(nn.Module):
    """Chronos' decoder-only (GPT-2) variant narrowed: token and learned position embeddings of 64, two pre-LN causal
    layers of 4 heads with GELU feed-forwards of 4x and dropout 0.1, a final LayerNorm and a head over the 64 bins;
    GPT-2's N(0, 0.02^2) init."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, length: int = 63) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(length, d)
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, 0.1, activation="gelu", batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        _normal_(self, 0.02)
        self.register_buffer("mask", torch.triu(torch.full((length, length), float("-inf")), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        h = self.tok(x) + self.pos(torch.arange(n))
        return self.head(self.norm(self.body(h, mask=self.mask[:n, :n])))


def chronos(seed: int, lr: float = 1e-3, init_std: float | None = None) -> Setup:
    """Chronos (GPT) on the tokenised series (batch 16 of 63 tokens), cross-entropy over the bins, AdamW at lr 1e-3
    (Chronos' peak) with weight decay 0.01 and its linear decay to 0 over the run; ``init_std``: every Linear and
    Embedding weight drawn N(0, init_std^2)."""
    torch.manual_seed(960_000 + seed)
    model = ChronosGPT()
    if init_std is not None:
        _normal_(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / 200))
    return _xy(model, opt, chronos_tokens(seed), _token_ce, sched=sched)


# ---- TimesFM (Das et al. 2024) ---------------------------------------------------------------------------------------

def level_series(seed: int, batch: int = 32, context: int = 48, horizon: int = 16,
                 flat_start: bool = False) -> Callable[[int], Any]:
    """Series in physical units (levels 500 to 1500, a daily-like period of 12 with amplitude 10 to 40, a drift, noise
    3): ``(context (b, 48), the next 16 steps)``; ``flat_start``: a quarter of each batch's series are a sensor stuck
    at its level for the first 8 steps (one input patch) before it starts reading."""
    t = torch.arange(context + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        level = 500 + 1000 * torch.rand(batch, 1, generator=g)
        amp = 10 + 30 * torch.rand(batch, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, generator=g)
        drift = 0.5 * torch.randn(batch, 1, generator=g)
        x = level + amp * torch.sin(2 * math.pi * t / 12 + ph) + drift * t
        x = x + 3 * torch.randn(x.shape, generator=g)
        if flat_start:
            x[: batch // 4, :8] = level[: batch // 4]
        return x[:, :context], x[:, context:]
    return _pool(seed, make)


class _ResBlock(nn.Module):
    """TimesFM's residual block: ``Linear -> SiLU -> Linear`` plus a linear skip."""

    def __init__(self, a: int, hidden: int, b: int) -> None:
        super().__init__()
        self.l1, self.l2, self.skip = nn.Linear(a, hidden), nn.Linear(hidden, b), nn.Linear(a, b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2(F.silu(self.l1(x))) + self.skip(x)


class TimesFM(nn.Module):
    """TimesFM's patched decoder narrowed: input patches of 8 through a residual block to tokens of 64 (learned
    positions), two pre-LN causal layers of 4 heads, every token's output patch of 16 through a residual block; the
    forecast is the last token's. The inputs are normalised by the first patch's mean and std (``norm``; ``eps``
    added to the std) and the outputs de-normalised with them (``denorm_twice``: a second time)."""

    def __init__(self, patch: int = 8, out_patch: int = 16, d: int = 64, layers: int = 2, context: int = 48,
                 norm: bool = True, eps: float = 1e-5, denorm_twice: bool = False) -> None:
        super().__init__()
        self.patch, self.norm, self.eps, self.denorm_twice = patch, norm, eps, denorm_twice
        n = context // patch
        self.embed = _ResBlock(patch, d, d)
        self.pos = nn.Parameter(torch.randn(1, n, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, 0.1, activation="gelu", batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.ln = nn.LayerNorm(d)
        self.head = _ResBlock(d, d, out_patch)
        self.register_buffer("mask", torch.triu(torch.full((n, n), float("-inf")), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm:
            mu = x[:, : self.patch].mean(1, keepdim=True)
            sd = x[:, : self.patch].std(1, keepdim=True) + self.eps
            x = (x - mu) / sd
        b = x.shape[0]
        h = self.embed(x.view(b, -1, self.patch)) + self.pos
        out = self.head(self.ln(self.body(h, mask=self.mask)))[:, -1]
        if self.norm:
            out = out * sd + mu
            if self.denorm_twice:
                out = out * sd + mu
        return out


def timesfm(seed: int, lr: float = 1e-3, norm: bool = True, eps: float = 1e-5, denorm_twice: bool = False,
            flat_start: bool = False) -> Setup:
    """TimesFM on the level series (batch 32), the MSE of the 16-step forecast in the series' units, Adam at lr 1e-3
    (set here); ``norm``, ``eps``, ``denorm_twice``: see :class:`TimesFM`; ``flat_start``: see
    :func:`level_series`."""
    torch.manual_seed(960_000 + seed)
    model = TimesFM(norm=norm, eps=eps, denorm_twice=denorm_twice)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), level_series(seed, flat_start=flat_start),
               F.mse_loss)


# ---- Dil-ResNet (Stachenfeld et al. 2022) ----------------------------------------------------------------------------

def burgers_frames(seed: int, batch: int = 16, n: int = 64, nu: float = 0.05, frame: float = 0.1,
                   sub: int = 100) -> Callable[[int], Any]:
    """Viscous Burgers ``u_t + u u_x = nu u_xx`` on a periodic grid of 64 over ``[0, 2 pi)``, from random sums of
    three sinusoids, solved finely (100 explicit upwind steps a frame, advanced 0 to 10 frames first); the coarse
    model's pair: ``(u at a frame (b, 1, 64), the change to the next frame divided by 0.1)``."""
    dx = 2 * math.pi / n
    xs = torch.arange(n).float() * dx
    dt = frame / sub

    def step(u: torch.Tensor) -> torch.Tensor:
        up, um = u.roll(-1, -1), u.roll(1, -1)
        ux = torch.where(u > 0, u - um, up - u) / dx
        return u + dt * (-u * ux + nu * (up - 2 * u + um) / dx ** 2)

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.arange(1, 4).float()
        a = torch.randn(batch, 3, 1, generator=g) / k[:, None]
        ph = 2 * math.pi * torch.rand(batch, 3, 1, generator=g)
        u = (a * torch.sin(k[:, None] * xs + ph)).sum(1)
        for _ in range(int(torch.randint(0, 11, (1,), generator=g)) * sub):
            u = step(u)
        v = u
        for _ in range(sub):
            v = step(v)
        return u[:, None], (v - u)[:, None] / 0.1
    return _pool(seed, make)


class DilResNet(nn.Module):
    """Dil-ResNet narrowed to 1-D: an encoder conv (k=3, 32 channels), two processor blocks of seven dilated convs
    (dilations 1, 2, 4, 8, 4, 2, 1, ReLU) each with a residual around the block, a decoder conv to the change;
    circular padding."""

    def __init__(self, c: int = 32, blocks: int = 2) -> None:
        super().__init__()
        self.enc = nn.Conv1d(1, c, 3, padding=1, padding_mode="circular")
        self.blocks = nn.ModuleList(
            nn.ModuleList(nn.Conv1d(c, c, 3, padding=d, dilation=d, padding_mode="circular")
                          for d in (1, 2, 4, 8, 4, 2, 1)) for _ in range(blocks))
        self.dec = nn.Conv1d(c, 1, 3, padding=1, padding_mode="circular")

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        h = self.enc(u)
        for block in self.blocks:
            r = h
            for conv in block:
                r = F.relu(conv(r))
            h = h + r
        return self.dec(h)


def dil_resnet(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False) -> Setup:
    """Dil-ResNet on the Burgers frames (batch 16), the MSE of the change, Adam at lr 1e-3 (set here; the paper's
    1e-4 runs for many steps); ``adamw``: AdamW with ``weight_decay`` instead."""
    torch.manual_seed(960_000 + seed)
    model = DilResNet()
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, burgers_frames(seed), F.mse_loss)


# ---- Symplectic RNN (Chen et al. 2020) -------------------------------------------------------------------------------

def pendulum_trajectories(seed: int, batch: int = 32, steps: int = 10, dt: float = 0.2,
                          noise: float = 0.01) -> Callable[[int], Any]:
    """Pendulum trajectories, ``H = p^2 / 2 + 2 (1 - cos q)``, from random energies, observed every 0.2 (integrated
    finely with RK4), plus N(0, 0.01^2) noise: ``(the first observation (b, 2), the 10 observations after it (b, 10,
    2))``."""
    def f(s: torch.Tensor) -> torch.Tensor:
        return torch.stack([s[:, 1], -2 * torch.sin(s[:, 0])], 1)

    def make(g: torch.Generator, _: int) -> Any:
        q = (2 * torch.rand(batch, generator=g) - 1) * 2.0
        p = (2 * torch.rand(batch, generator=g) - 1) * 1.5
        s = torch.stack([q, p], 1)
        obs = []
        h = dt / 20
        for _ in range(steps):
            for _ in range(20):
                k1 = f(s)
                k2 = f(s + h / 2 * k1)
                k3 = f(s + h / 2 * k2)
                k4 = f(s + h * k3)
                s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            obs.append(s)
        traj = torch.stack(obs, 1)
        s0 = torch.stack([q, p], 1)
        return s0 + noise * torch.randn(s0.shape, generator=g), traj + noise * torch.randn(traj.shape, generator=g)
    return _pool(seed, make)


class SymplecticRNN(nn.Module):
    """The Symplectic Recurrent Neural Network: a separable Hamiltonian ``K(p) + V(q)``, each a tanh MLP of 64 with
    two hidden layers (``hidden`` of them) at PyTorch's default init, unrolled by the leapfrog integrator (one step of
    0.2 per observation; the derivatives by autograd with ``create_graph=True``) from the first observation."""

    def __init__(self, width: int = 64, hidden: int = 2, steps: int = 10, dt: float = 0.2) -> None:
        super().__init__()
        def mlp() -> nn.Sequential:
            layers: list[nn.Module] = [nn.Linear(1, width), nn.Tanh()]
            for _ in range(hidden - 1):
                layers += [nn.Linear(width, width), nn.Tanh()]
            return nn.Sequential(*layers, nn.Linear(width, 1))
        self.k, self.v = mlp(), mlp()
        self.steps, self.dt = steps, dt

    def _grad(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if not x.requires_grad:
            x = x.requires_grad_(True)
        return torch.autograd.grad(net(x).sum(), x, create_graph=True)[0]

    def forward(self, s0: torch.Tensor) -> torch.Tensor:
        q, p = s0[:, :1], s0[:, 1:]
        out = []
        for _ in range(self.steps):
            p = p - 0.5 * self.dt * self._grad(self.v, q)
            q = q + self.dt * self._grad(self.k, p)
            p = p - 0.5 * self.dt * self._grad(self.v, q)
            out.append(torch.cat([q, p], 1))
        return torch.stack(out, 1)


def symplectic_rnn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False,
                   hidden: int = 2) -> Setup:
    """The SRNN on the pendulum trajectories (batch 32), the MSE of the rollout, Adam at the paper's lr 1e-3;
    ``adamw``: AdamW with ``weight_decay`` instead; ``hidden``: see :class:`SymplecticRNN`."""
    torch.manual_seed(960_000 + seed)
    model = SymplecticRNN(hidden=hidden)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, pendulum_trajectories(seed), F.mse_loss)
