"""Builders of the eighty-fifth held-out batch (``fresh84.py``): generative, time-series forecasting and scientific
models new to the corpus at their usual settings, broken variants with one real fault each, and the small data sets
they train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
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
    return torch.Generator().manual_seed(840_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8400 + k)


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
    """Every Linear (and Conv1d) weight drawn N(0, std^2)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d)):
            nn.init.normal_(m.weight, 0.0, std)


def _zero_(model: nn.Module) -> None:
    """Every parameter set to zero."""
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()


def _relu_mlp(sizes: list[int], bias: float | None = None) -> nn.Sequential:
    """A ReLU MLP (no activation after the last Linear) at PyTorch's default init; ``bias``: the biases of the Linears
    before a ReLU set to it."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        if bias is not None and i < len(sizes) - 2:
            nn.init.constant_(lin.bias, bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# ---- MaskGIT (Chang et al. 2022) ------------------------------------------------------------------------------------

def token_grids(seed: int, batch: int = 32, classes: int = 4, codes: int = 16, n: int = 36,
                noise: float = 0.1) -> Callable[[int], Any]:
    """8x8 grids of VQ-like codes (16): each class a fixed random grid, 10% of the positions redrawn at random; each
    grid masked by MaskGIT's cosine schedule (``ceil(cos(pi r / 2) n)`` positions, ``r ~ U(0, 1)``, at least one):
    ``((codes (b, 64), mask (b, 64)), codes)``."""
    templates = torch.randint(0, codes, (classes, n), generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y].clone()
        redraw = torch.rand(batch, n, generator=g) < noise
        x = torch.where(redraw, torch.randint(0, codes, (batch, n), generator=g), x)
        r = torch.rand(batch, generator=g)
        k = torch.clamp(torch.ceil(torch.cos(math.pi * r / 2) * n), min=1).long()
        rank = torch.rand(batch, n, generator=g).argsort(1).argsort(1)
        mask = rank < k[:, None]
        return (x, mask), x
    return _pool(seed, make)


class MaskGIT(nn.Module):
    """MaskGIT's bidirectional transformer (narrowed): code embeddings of 64 plus a ``[MASK]`` embedding, learned
    positions, two pre-LN layers of 4 heads with GELU feed-forwards of 4x and dropout 0.1, LayerNorm and a head over
    the 16 codes; BERT's truncated-normal 0.02 init. ``frozen_zero_pos``: the position table written as MAE's
    ``nn.Parameter(torch.zeros(1, n, d), requires_grad=False)`` (MAE fills it with fixed sin-cos values afterwards;
    here, where the positions are learned, it stays zero and never trains)."""

    def __init__(self, codes: int = 16, n: int = 36, d: int = 64, heads: int = 4, layers: int = 2,
                 frozen_zero_pos: bool = False) -> None:
        super().__init__()
        self.codes = codes
        self.tok = nn.Embedding(codes + 1, d)
        if frozen_zero_pos:
            self.pos = nn.Parameter(torch.zeros(1, n, d), requires_grad=False)
        else:
            self.pos = nn.Parameter(torch.zeros(1, n, d))
            nn.init.trunc_normal_(self.pos, std=0.02)
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.1, activation="gelu",
                                                                batch_first=True, norm_first=True)
                                     for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, codes)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, inp: Any) -> Any:
        x, mask = inp
        h = self.tok(torch.where(mask, torch.full_like(x, self.codes), x)) + self.pos
        for block in self.blocks:
            h = block(h)
        return self.head(self.ln(h)), mask


def _masked_ce(out: Any, target: torch.Tensor) -> torch.Tensor:
    logits, mask = out
    return F.cross_entropy(logits[mask], target[mask])


def maskgit(seed: int, lr: float = 1e-3, weight_decay: float = 0.045, frozen_zero_pos: bool = False) -> Setup:
    """MaskGIT on the masked code grids (batch 32), cross-entropy over the masked positions, AdamW with the paper's
    betas (0.9, 0.96) and weight decay 0.045 at lr 1e-3 (set here; the paper's 1e-4 is for many epochs);
    ``frozen_zero_pos``: see :class:`MaskGIT`."""
    torch.manual_seed(840_000 + seed)
    model = MaskGIT(frozen_zero_pos=frozen_zero_pos)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, betas=(0.9, 0.96),
                            weight_decay=weight_decay)
    return _xy(model, opt, token_grids(seed), _masked_ce)


# ---- Deep Markov Model (Krishnan, Shalit and Sontag 2017) ----------------------------------------------------------

def binary_chains(seed: int, batch: int = 32, length: int = 16, units: int = 16, states: int = 8,
                  stay: float = 0.85, flip: float = 0.05, z_dim: int = 8) -> Callable[[int], Any]:
    """Binary sequences of 16 steps of 16 units (a polyphonic-music-like roll): a hidden state that advances by one of
    8 with probability 0.85 (else jumps at random) emits its fixed random binary pattern with 5% of the units flipped;
    with the reparameterisation noise of the batch: ``((rolls (b, 16, 16), eps (b, 16, 8)), rolls)``."""
    patterns = (torch.rand(states, units, generator=_fixed(2)) < 0.5).float()

    def make(g: torch.Generator, _: int) -> Any:
        s = torch.randint(0, states, (batch,), generator=g)
        seq = []
        for _t in range(length):
            seq.append(s)
            keep = torch.rand(batch, generator=g) < stay
            s = torch.where(keep, (s + 1) % states, torch.randint(0, states, (batch,), generator=g))
        x = patterns[torch.stack(seq, 1)]
        flips = (torch.rand(x.shape, generator=g) < flip).float()
        x = (x + flips) % 2
        return (x, torch.randn(batch, length, z_dim, generator=g)), x
    return _pool(seed, make)


class DMM(nn.Module):
    """The Deep Markov Model as Pyro's reference example writes it (narrowed: latents of 8, hidden layers of 32): the
    emitter (two ReLU layers to Bernoulli logits), the gated transition (a sigmoid gate between a linear map, started
    at the identity, and a ReLU proposal; softplus scale), the combiner ``0.5 (tanh(W z_(t-1)) + h_t)`` over a
    backward tanh RNN of 32, the reparameterised posterior sample and the negative ELBO (Bernoulli log-likelihood
    plus the analytic Gaussian KL to the transition prior), summed over the steps. ``rnn_radius``: the RNN's
    recurrent matrix an orthogonal one times it; ``trace_in_place``: the posterior sample appended to a trace for a
    latent-trajectory plot as ``self.trace.append(z.detach_())``, the in-place ``detach_()`` where ``detach()``
    belongs (``z`` itself is cut from the graph)."""

    def __init__(self, units: int = 16, z_dim: int = 8, hidden: int = 32, rnn_radius: float | None = None,
                 trace_in_place: bool = False) -> None:
        super().__init__()
        self.emit = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                  nn.Linear(hidden, units))
        self.gate = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, z_dim))
        self.prop1, self.prop2 = nn.Linear(z_dim, hidden), nn.Linear(hidden, z_dim)
        self.z_to_loc = nn.Linear(z_dim, z_dim)
        self.z_to_scale = nn.Linear(z_dim, z_dim)
        with torch.no_grad():
            self.z_to_loc.weight.copy_(torch.eye(z_dim))
            self.z_to_loc.bias.zero_()
        self.comb_z = nn.Linear(z_dim, hidden)
        self.comb_loc, self.comb_scale = nn.Linear(hidden, z_dim), nn.Linear(hidden, z_dim)
        self.rnn = nn.RNN(units, hidden, batch_first=True, nonlinearity="tanh")
        if rnn_radius is not None:
            with torch.no_grad():
                q, _ = torch.linalg.qr(torch.randn(hidden, hidden))
                self.rnn.weight_hh_l0.copy_(rnn_radius * q)
        self.z_0 = nn.Parameter(torch.zeros(z_dim))
        self.z_q_0 = nn.Parameter(torch.zeros(z_dim))
        self.h_0 = nn.Parameter(torch.zeros(1, 1, hidden))
        self.trace_in_place = trace_in_place
        self.trace: list[torch.Tensor] = []

    def transition(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.sigmoid(self.gate(z))
        prop = self.prop2(torch.relu(self.prop1(z)))
        loc = (1 - g) * self.z_to_loc(z) + g * prop
        return loc, F.softplus(self.z_to_scale(torch.relu(prop)))

    def forward(self, inp: Any) -> torch.Tensor:
        x, eps = inp
        b, length, _ = x.shape
        h, _ = self.rnn(x.flip(1), self.h_0.expand(1, b, -1).contiguous())
        h = h.flip(1)
        z_prev, z_prior_prev = self.z_q_0.expand(b, -1), self.z_0.expand(b, -1)
        self.trace = []
        loss = x.new_zeros(b)
        for t in range(length):
            hc = 0.5 * (torch.tanh(self.comb_z(z_prev)) + h[:, t])
            q_loc, q_scale = self.comb_loc(hc), F.softplus(self.comb_scale(hc))
            z = q_loc + q_scale * eps[:, t]
            if self.trace_in_place:
                self.trace.append(z.detach_())
            else:
                self.trace.append(z.detach())
            p_loc, p_scale = self.transition(z_prior_prev)
            kl = (torch.log(p_scale / q_scale) + (q_scale ** 2 + (q_loc - p_loc) ** 2) / (2 * p_scale ** 2)
                  - 0.5).sum(-1)
            rec = F.binary_cross_entropy_with_logits(self.emit(z), x[:, t], reduction="none").sum(-1)
            loss = loss + rec + kl
            z_prev = z_prior_prev = z
        return loss.mean()


def dmm(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, rnn_radius: float | None = None,
        trace_in_place: bool = False, init_std: float | None = None) -> Setup:
    """The DMM on the binary rolls (batch 32), its negative ELBO in nats per sequence (the model returns it), Adam
    with Pyro's betas (0.96, 0.999) and its gradient clipping at norm 10, at lr 3e-3 (set here; Pyro's 3e-4 is for
    thousands of epochs); ``weight_decay``: Adam's coupled decay; ``init_std``: every Linear drawn N(0, std^2);
    ``rnn_radius``, ``trace_in_place``: see :class:`DMM`."""
    torch.manual_seed(840_000 + seed)
    model = DMM(rnn_radius=rnn_radius, trace_in_place=trace_in_place)
    if init_std is not None:
        _normal_(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.96, 0.999), weight_decay=weight_decay)
    return _xy(model, opt, binary_chains(seed), _own_loss, clip=10.0)


# ---- TarFlow (Zhai et al. 2024) ------------------------------------------------------------------------------------

def mixture_vectors(seed: int, batch: int = 64, dim: int = 16, components: int = 8,
                    noise: float = 0.2) -> Callable[[int], Any]:
    """Vectors of 16 from a mixture of 8 fixed N(0, 1) centres with N(0, 0.2^2) noise: ``(x (b, 16), x)``."""
    centres = torch.randn(components, dim, generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.randint(0, components, (batch,), generator=g)
        x = centres[k] + noise * torch.randn(batch, dim, generator=g)
        return x, x
    return _pool(seed, make)


class _TarFlowBlock(nn.Module):
    """One TarFlow block: a causal pre-LN transformer (one layer of 64, 4 heads, GELU 4x) over the patches whose
    zero-initialised output gives each patch ``(mu, alpha)`` from the patches before it: ``z = (x - mu) e^-alpha``."""

    def __init__(self, patch: int, tokens: int, d: int = 64, heads: int = 4) -> None:
        super().__init__()
        self.inp = nn.Linear(patch, d)
        self.pos = nn.Parameter(0.02 * torch.randn(1, tokens, d))
        self.layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu", batch_first=True,
                                                norm_first=True)
        self.ln = nn.LayerNorm(d)
        self.out = nn.Linear(d, 2 * patch)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.register_buffer("mask", torch.triu(torch.full((tokens, tokens), float("-inf")), diagonal=1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.layer(self.inp(x) + self.pos, src_mask=self.mask)
        params = self.out(self.ln(h))
        params = torch.cat([torch.zeros_like(params[:, :1]), params[:, :-1]], 1)
        mu, alpha = params.chunk(2, -1)
        return (x - mu) * torch.exp(-alpha), -alpha.sum((1, 2))


class TarFlow(nn.Module):
    """TarFlow (narrowed): 16-dim vectors as 8 patches of 2, four autoregressive flow blocks with the patch order
    reversed between them, the standard normal prior; returns the negative log-likelihood in nats per dimension.
    ``logdet_item``: each block's log-determinant kept for the training log as ``self.logdets.append(ld.mean().item())``
    and the loss's Jacobian term summed from that log (Python floats: the term's value is right, its gradient is
    gone)."""

    def __init__(self, dim: int = 16, patch: int = 2, blocks: int = 4, logdet_item: bool = False) -> None:
        super().__init__()
        self.patch, self.dim, self.logdet_item = patch, dim, logdet_item
        self.blocks = nn.ModuleList([_TarFlowBlock(patch, dim // patch) for _ in range(blocks)])
        self.logdets: list[float] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x.reshape(x.shape[0], -1, self.patch)
        logdet = x.new_zeros(x.shape[0])
        self.logdets = []
        for block in self.blocks:
            z, ld = block(z)
            logdet = logdet + ld
            self.logdets.append(ld.mean().item())
            z = z.flip(1)
        if self.logdet_item:
            nll = 0.5 * (z ** 2).sum((1, 2)).mean() - sum(self.logdets)
        else:
            nll = (0.5 * (z ** 2).sum((1, 2)) - logdet).mean()
        return nll / self.dim + 0.5 * math.log(2 * math.pi)


def tarflow(seed: int, lr: float = 1e-3, logdet_item: bool = False) -> Setup:
    """TarFlow on the mixture vectors (batch 64), its NLL per dimension (the model returns it), AdamW with the
    paper's betas (0.9, 0.95) and weight decay 1e-4 at lr 1e-3 (set here); ``logdet_item``: see :class:`TarFlow`."""
    torch.manual_seed(840_000 + seed)
    model = TarFlow(logdet_item=logdet_item)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=1e-4)
    return _xy(model, opt, mixture_vectors(seed), _own_loss)


# ---- ES-RNN (Smyl 2020) --------------------------------------------------------------------------------------------

def seasonal_series(seed: int, batch: int = 16, n_series: int = 64, period: int = 4, window: int = 28,
                    total: int = 64, zeros: bool = False) -> Callable[[int], Any]:
    """Positive quarterly-like series: 64 fixed series, each with a level log-uniform in [10, 1000], a fixed
    multiplicative seasonal profile of period 4 (amplitude up to 0.3), a drift of -1% to +2% a step and lognormal
    noise of 5%; each batch 16 series' windows of 28 steps (24 seen, 4 ahead) at random offsets: ``((series ids,
    phase (offset mod 4), windows (b, 28)), windows)``. ``zeros``: every fourth series is a new product with no
    sales before a launch (its first 4 to 11 steps of every window are 0)."""
    fg = _fixed(4)
    level = torch.exp(math.log(10) + (math.log(1000) - math.log(10)) * torch.rand(n_series, generator=fg))
    prof = 0.4 * torch.rand(n_series, period, generator=fg) * torch.sign(torch.randn(n_series, period, generator=fg))
    prof = 1 + prof - prof.mean(1, keepdim=True)
    drift = -0.03 + 0.08 * torch.rand(n_series, generator=fg)
    t = torch.arange(total).float()
    noise = torch.exp(0.05 * torch.randn(n_series, total, generator=fg))
    series = level[:, None] * torch.exp(drift[:, None] * t) * prof[:, t.long() % period] * noise

    def make(g: torch.Generator, _: int) -> Any:
        ids = torch.randint(0, n_series, (batch,), generator=g)
        off = torch.randint(0, total - window + 1, (batch,), generator=g)
        w = torch.stack([series[i, o:o + window] for i, o in zip(ids.tolist(), off.tolist())])
        if zeros:
            launch = torch.randint(4, 12, (batch,), generator=g)
            dead = (ids % 4 == 0)[:, None] & (torch.arange(window)[None] < launch[:, None])
            w = torch.where(dead, torch.zeros_like(w), w)
        return (ids, off % period, w), w
    return _pool(seed, make)


class ESRNN(nn.Module):
    """ES-RNN (narrowed): per-series Holt-Winters parameters (level and seasonal smoothing ``sigmoid(a)``,
    ``sigmoid(c)`` from 0, and 4 initial log seasonal factors from 0) run over the 24 seen steps; at each step from
    the fourth the last 4 values divided by the step's level and their seasonal factors, in logs, go into a
    two-layer LSTM of 32 (the paper's dilations left out) and a tanh adapter and linear head forecast the next 4
    normalised log values; the pinball loss at tau 0.5 over every forecast. ``raw``: the ES normalisation left out,
    the LSTM fed the raw last 4 values and its head forecasting raw values."""

    def __init__(self, n_series: int = 64, period: int = 4, hidden: int = 32, horizon: int = 4, seen: int = 24,
                 raw: bool = False) -> None:
        super().__init__()
        self.period, self.horizon, self.seen, self.raw = period, horizon, seen, raw
        self.alpha = nn.Embedding(n_series, 1)
        self.gamma = nn.Embedding(n_series, 1)
        self.init_season = nn.Embedding(n_series, period)
        for e in (self.alpha, self.gamma, self.init_season):
            nn.init.zeros_(e.weight)
        self.lstm = nn.LSTM(period, hidden, num_layers=2, batch_first=True)
        self.adapter = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, inp: Any) -> torch.Tensor:
        ids, phase, y = inp
        p, hz = self.period, self.horizon
        steps = range(p - 1, self.seen)
        if self.raw:
            windows = torch.stack([y[:, t - p + 1:t + 1] for t in steps], 1)
            targets = torch.stack([y[:, t + 1:t + 1 + hz] for t in steps], 1)
        else:
            a = torch.sigmoid(self.alpha(ids))[:, 0]
            c = torch.sigmoid(self.gamma(ids))[:, 0]
            init = torch.exp(self.init_season(ids))
            seasons = list(torch.gather(init, 1, (torch.arange(p)[None] + phase[:, None]) % p).unbind(1))
            levels = [y[:, 0] / seasons[0]]
            for t in range(self.seen):
                if t > 0:
                    levels.append(a * y[:, t] / seasons[t] + (1 - a) * levels[t - 1])
                seasons.append(c * y[:, t] / levels[t] + (1 - c) * seasons[t])
            s, lv = torch.stack(seasons, 1), torch.stack(levels, 1)
            windows = torch.stack([torch.log(y[:, t - p + 1:t + 1] / (s[:, t - p + 1:t + 1] * lv[:, t:t + 1]))
                                   for t in steps], 1)
            targets = torch.stack([torch.log(y[:, t + 1:t + 1 + hz] / (s[:, t + 1:t + 1 + hz] * lv[:, t:t + 1]))
                                   for t in steps], 1)
        out, _ = self.lstm(windows)
        pred = self.head(torch.tanh(self.adapter(out)))
        return 0.5 * (targets - pred).abs().mean()


def es_rnn(seed: int, lr: float = 3e-3, raw: bool = False, zeros: bool = False) -> Setup:
    """ES-RNN on the seasonal series (batch 16 windows), the pinball loss at tau 0.5 (the model returns it), Adam at
    lr 3e-3 (set here); ``raw``: see :class:`ESRNN`; ``zeros``: see :func:`seasonal_series`."""
    torch.manual_seed(840_000 + seed)
    model = ESRNN(raw=raw)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), seasonal_series(seed, zeros=zeros), _own_loss)


# ---- TimeXer (Wang et al. 2024) ------------------------------------------------------------------------------------

def exogenous_series(seed: int, batch: int = 32, lookback: int = 48, horizon: int = 12, exo: int = 3,
                     shuffled: bool = False) -> Callable[[int], Any]:
    """An endogenous series driven by exogenous ones: each exogenous series a sum of two sinusoids of random period
    (6 to 24 steps) and phase; the endogenous one ``0.8 x1(t - 12) + 0.6 x2(t - 16) + 0.5 sin(2 pi t / 12 + phi) +
    N(0, 0.1^2)`` plus a random level, so its next 12 steps follow from the exogenous series' seen past: ``((endo
    lookback (b, 48), exo lookback (b, 3, 48)), endo horizon (b, 12))``; ``shuffled``: the targets permuted within
    every batch, apart from their inputs."""
    total = lookback + horizon + 16

    def make(g: torch.Generator, _: int) -> Any:
        t = torch.arange(total).float()
        per = 6 + 18 * torch.rand(batch, exo, 2, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, exo, 2, 1, generator=g)
        xs = torch.sin(2 * math.pi * t / per + ph).sum(2) / math.sqrt(2)
        phi = 2 * math.pi * torch.rand(batch, 1, generator=g)
        y = (0.8 * xs[:, 0, 4:total - 12] + 0.6 * xs[:, 1, :total - 16]
             + 0.5 * torch.sin(2 * math.pi * t[16:] / 12 + phi) + 0.1 * torch.randn(batch, total - 16, generator=g))
        y = y + 0.5 * torch.randn(batch, 1, generator=g)
        x_endo, target = y[:, :lookback], y[:, lookback:lookback + horizon]
        x_exo = xs[:, :, 16:16 + lookback]
        if shuffled:
            target = target[torch.randperm(batch, generator=g)]
        return (x_endo, x_exo), target
    return _pool(seed, make)


class _TimeXerLayer(nn.Module):
    """One TimeXer encoder layer (post-LN, as the reference code): self-attention over the patch tokens and the
    global token, cross-attention from the global token to the exogenous variate tokens, a GELU feed-forward."""

    def __init__(self, d: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Dropout(dropout), nn.Linear(4 * d, d))
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, ex: torch.Tensor) -> torch.Tensor:
        x = self.n1(x + self.drop(self.self_attn(x, x, x, need_weights=False)[0]))
        glb = x[:, -1:]
        glb = self.n2(glb + self.drop(self.cross_attn(glb, ex, ex, need_weights=False)[0]))
        x = torch.cat([x[:, :-1], glb], 1)
        return self.n3(x + self.drop(self.ff(x)))


class TimeXer(nn.Module):
    """TimeXer (narrowed): the endogenous lookback of 48 in patches of 8 (6 tokens of 64 plus positions) and one
    learned global token, each exogenous series embedded whole as a variate token, two encoder layers of 4 heads,
    dropout 0.1, the flattened endogenous tokens to the 12-step head; the reference code's instance normalisation
    (each series standardised over its lookback, the forecast de-normalised)."""

    def __init__(self, lookback: int = 48, horizon: int = 12, patch: int = 8, d: int = 64, heads: int = 4,
                 layers: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        self.patch = patch
        n = lookback // patch
        self.embed = nn.Linear(patch, d)
        self.pos = nn.Parameter(0.02 * torch.randn(1, n, d))
        self.glb = nn.Parameter(torch.randn(1, 1, d))
        self.exo_embed = nn.Linear(lookback, d)
        self.layers = nn.ModuleList([_TimeXerLayer(d, heads, dropout) for _ in range(layers)])
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear((n + 1) * d, horizon))

    def forward(self, inp: Any) -> torch.Tensor:
        x, ex = inp
        mu, sd = x.mean(1, keepdim=True), x.std(1, keepdim=True) + 1e-5
        x = (x - mu) / sd
        ex = (ex - ex.mean(2, keepdim=True)) / (ex.std(2, keepdim=True) + 1e-5)
        tok = self.embed(x.unfold(1, self.patch, self.patch)) + self.pos
        h = torch.cat([tok, self.glb.expand(x.shape[0], -1, -1)], 1)
        e = self.exo_embed(ex)
        for layer in self.layers:
            h = layer(h, e)
        return self.head(h) * sd + mu


def timexer(seed: int, lr: float = 1e-3, shuffled: bool = False) -> Setup:
    """TimeXer on the exogenous-driven series (batch 32), MSE, Adam at lr 1e-3 (set here; the reference code's
    1e-4 is for many epochs); ``shuffled``: see :func:`exogenous_series`."""
    torch.manual_seed(840_000 + seed)
    model = TimeXer()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), exogenous_series(seed, shuffled=shuffled),
               F.mse_loss)


# ---- TSLANet (Eldele et al. 2024) ----------------------------------------------------------------------------------

def periodic_series(seed: int, batch: int = 32, channels: int = 3, lookback: int = 64,
                    horizon: int = 16) -> Callable[[int], Any]:
    """Three-channel series, each channel two sinusoids (periods 8 to 32 steps, amplitudes 0.5 to 1, random phases)
    plus an AR(1) noise (coefficient 0.5, std 0.1) and a random level: ``(lookback (b, 3, 64), horizon (b, 3, 16))``."""
    total = lookback + horizon

    def make(g: torch.Generator, _: int) -> Any:
        t = torch.arange(total).float()
        per = 8 + 24 * torch.rand(batch, channels, 2, 1, generator=g)
        amp = 0.5 + 0.5 * torch.rand(batch, channels, 2, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, channels, 2, 1, generator=g)
        x = (amp * torch.sin(2 * math.pi * t / per + ph)).sum(2)
        e = 0.1 * torch.randn(batch, channels, total, generator=g)
        for i in range(1, total):
            e[..., i] += 0.5 * e[..., i - 1]
        x = x + e + torch.randn(batch, channels, 1, generator=g)
        return x[..., :lookback], x[..., lookback:]
    return _pool(seed, make)


class _ASB(nn.Module):
    """TSLANet's adaptive spectral block: an FFT over the patch tokens, a learned global complex filter plus a learned
    filter on the high-energy frequencies above a learned quantile threshold (straight-through), the inverse FFT."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.w = nn.Parameter(0.02 * torch.randn(d, 2))
        self.w_high = nn.Parameter(0.02 * torch.randn(d, 2))
        self.threshold = nn.Parameter(torch.rand(1) / 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        xf = torch.fft.rfft(x, dim=1, norm="ortho")
        w = torch.view_as_complex(self.w)
        energy = (xf.abs() ** 2).sum(-1)
        med = energy.median(1, keepdim=True)[0]
        norm_e = energy / (med + 1e-6)
        mask = ((norm_e > self.threshold).float() - self.threshold).detach() + self.threshold
        out = xf * w + xf * mask[..., None] * torch.view_as_complex(self.w_high)
        return torch.fft.irfft(out, n=n, dim=1, norm="ortho")


class _ICB(nn.Module):
    """TSLANet's interactive convolution block: two convolutions (kernel 1 and 3) gating each other through GELU, a
    third back to the width. ``gelu_shift``: the first two convolutions' biases set to it."""

    def __init__(self, d: int, hidden: int, dropout: float, gelu_shift: float | None = None) -> None:
        super().__init__()
        self.c1, self.c2 = nn.Conv1d(d, hidden, 1), nn.Conv1d(d, hidden, 3, padding=1)
        self.c3 = nn.Conv1d(hidden, d, 1)
        self.drop = nn.Dropout(dropout)
        if gelu_shift is not None:
            nn.init.constant_(self.c1.bias, gelu_shift)
            nn.init.constant_(self.c2.bias, gelu_shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.transpose(1, 2)
        a, b = self.c1(x), self.c2(x)
        out = self.c3(self.drop(a * F.gelu(b)) + self.drop(b * F.gelu(a)))
        return out.transpose(1, 2)


class TSLANet(nn.Module):
    """TSLANet for forecasting (narrowed): channel-independent, each channel standardised over its lookback, patches
    of 16 at stride 8 (7 tokens of 64 plus positions), two layers ``x + ICB(LN(ASB(LN(x))))``, the flattened tokens to
    the 16-step head, de-normalised. ``gelu_shift``: see :class:`_ICB`."""

    def __init__(self, lookback: int = 64, horizon: int = 16, patch: int = 16, stride: int = 8, d: int = 32,
                 layers: int = 2, dropout: float = 0.15, gelu_shift: float | None = None) -> None:
        super().__init__()
        self.patch, self.stride = patch, stride
        n = (lookback - patch) // stride + 1
        self.embed = nn.Linear(patch, d)
        self.pos = nn.Parameter(0.02 * torch.randn(1, n, d))
        self.n1 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.n2 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.asb = nn.ModuleList([_ASB(d) for _ in range(layers)])
        self.icb = nn.ModuleList([_ICB(d, 3 * d, dropout, gelu_shift) for _ in range(layers)])
        self.head = nn.Linear(n * d, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, _ = x.shape
        mu, sd = x.mean(2, keepdim=True), x.std(2, keepdim=True) + 1e-5
        x = ((x - mu) / sd).reshape(b * c, -1)
        h = self.embed(x.unfold(1, self.patch, self.stride)) + self.pos
        for n1, n2, asb, icb in zip(self.n1, self.n2, self.asb, self.icb):
            h = h + icb(n2(asb(n1(h))))
        return self.head(h.flatten(1)).reshape(b, c, -1) * sd + mu


def tslanet(seed: int, lr: float = 1e-3, weight_decay: float = 1e-6, gelu_shift: float | None = None) -> Setup:
    """TSLANet on the three-channel series (batch 32), MSE, AdamW at lr 1e-3 and weight decay 1e-6 (the reference
    code's forecasting settings); ``gelu_shift``: see :class:`_ICB`."""
    torch.manual_seed(840_000 + seed)
    model = TSLANet(gelu_shift=gelu_shift)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, periodic_series(seed), F.mse_loss)


# ---- NOMAD (Seidman et al. 2022) -----------------------------------------------------------------------------------

def antiderivatives(seed: int, batch: int = 32, sensors: int = 32, queries: int = 16) -> Callable[[int], Any]:
    """The antiderivative operator: input functions ``u(x) = b + sum_k a_k cos(2 pi k x + phi_k) / k`` (k = 1 to 4,
    ``a_k, b ~ N(0, 1)``) at 32 sensors in [0, 1], outputs ``s(y) = int_0^y u`` at 16 random query points:
    ``((u (b, 32), y (b, 16)), s (b, 16))``."""
    xs = torch.linspace(0, 1, sensors)

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.arange(1, 5).float()
        a = torch.randn(batch, 4, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 4, generator=g)
        b0 = torch.randn(batch, 1, generator=g)
        u = b0 + (a[:, None] * torch.cos(2 * math.pi * k * xs[:, None] + ph[:, None]) / k).sum(-1)
        y = torch.rand(batch, queries, generator=g)
        w = 2 * math.pi * k
        s = b0 * y + (a[:, None] / k * (torch.sin(w * y[..., None] + ph[:, None]) - torch.sin(ph[:, None])) / w).sum(-1)
        return (u, y), s
    return _pool(seed, make)


class NOMAD(nn.Module):
    """NOMAD: a branch MLP encodes the sensor values into a code of 16, and the nonlinear decoder, an MLP over
    ``[code, y]``, gives ``s(y)`` (both ReLU, width 64, two and three hidden layers, PyTorch's default init).
    ``decoder_hidden``: the decoder's number of hidden layers; ``relu_bias``: every Linear before a ReLU given that
    bias."""

    def __init__(self, sensors: int = 32, code: int = 16, width: int = 64, decoder_hidden: int = 3,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.branch = _relu_mlp([sensors, width, width, code], relu_bias)
        self.decoder = _relu_mlp([code + 1] + [width] * decoder_hidden + [1], relu_bias)

    def forward(self, inp: Any) -> torch.Tensor:
        u, y = inp
        c = self.branch(u)
        z = torch.cat([c[:, None].expand(-1, y.shape[1], -1), y[..., None]], -1)
        return self.decoder(z)[..., 0]


def nomad(seed: int, lr: float = 1e-3, decoder_hidden: int = 3, relu_bias: float | None = None,
          zero_init: bool = False) -> Setup:
    """NOMAD on the antiderivatives (batch 32 functions), MSE, Adam at lr 1e-3 (the paper's); ``decoder_hidden``,
    ``relu_bias``: see :class:`NOMAD`; ``zero_init``: every weight and bias set to 0."""
    torch.manual_seed(840_000 + seed)
    model = NOMAD(decoder_hidden=decoder_hidden, relu_bias=relu_bias)
    if zero_init:
        _zero_(model)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), antiderivatives(seed), F.mse_loss)


# ---- Deep Potential, DeePMD se_a (Zhang et al. 2018) ---------------------------------------------------------------

def _morse(pos: torch.Tensor) -> torch.Tensor:
    """The total Morse energy (D = 1, a = 1.5, r0 = 1.5) of every configuration ``(b, n, 3)``, plus a weak
    confining term."""
    d = pos[:, :, None] - pos[:, None]
    n = pos.shape[1]
    iu = torch.triu_indices(n, n, 1)
    r = d.norm(dim=-1)[:, iu[0], iu[1]]
    e = (1 - torch.exp(-1.5 * (r - 1.5))) ** 2 - 1
    return e.sum(-1) + 0.05 * (pos ** 2).sum((1, 2))


def molecules(seed: int, batch: int = 32, atoms: int = 6, jitter: float = 0.15) -> Callable[[int], Any]:
    """Six-atom configurations: an octahedron of bond 1.5 randomly rotated, each atom displaced by N(0, 0.15^2); the
    Morse energies and forces (``-dE/dx``): ``(positions (b, 6, 3), (energy (b,), forces (b, 6, 3)))``."""
    base = 1.5 / math.sqrt(2) * torch.tensor([[1., 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]])

    def make(g: torch.Generator, _: int) -> Any:
        q, _r = torch.linalg.qr(torch.randn(batch, 3, 3, generator=g))
        pos = (base[None] @ q) + jitter * torch.randn(batch, atoms, 3, generator=g)
        pos = pos.requires_grad_(True)
        e = _morse(pos)
        f = -torch.autograd.grad(e.sum(), pos)[0]
        return pos.detach(), (e.detach() + 7.0, f.detach())
    return _pool(seed, make)


class DeepPotential(nn.Module):
    """DeePMD's se_a model (narrowed, one atom type): for each atom the environment matrix of its 5 neighbours,
    rows ``s(r) (1, x/r, y/r, z/r)`` with ``s(r) = 1/r`` smoothly switched off between 3 and 4, the embedding net
    ``G(s)`` (tanh, 1 -> 16 -> 32 with DeePMD's residual doubling), the descriptor ``(G^T R)(R^T G_<4) / 25``
    (32 x 4), the fitting net (tanh, 128 -> 64 -> 64 -> 1 with residuals) to atomic energies summed to the energy,
    and the forces ``-dE/dx`` by autograd with ``create_graph=True``. ``slip_retain``: the forces taken by
    ``torch.autograd.grad(E.sum(), pos, retain_graph=True)`` (what the error "Trying to backward through the graph
    a second time ... Specify retain_graph=True" asks for) where ``create_graph=True`` belongs: the forces are
    constants, detached from the weights."""

    def __init__(self, atoms: int = 6, m1: int = 32, m2: int = 4, slip_retain: bool = False) -> None:
        super().__init__()
        self.m2, self.slip_retain = m2, slip_retain
        self.e1, self.e2 = nn.Linear(1, 16), nn.Linear(16, m1)
        self.f1, self.f2, self.f3 = nn.Linear(m1 * m2, 64), nn.Linear(64, 64), nn.Linear(64, 1)
        n = atoms
        self.register_buffer("nbr", torch.stack([torch.tensor([j for j in range(n) if j != i]) for i in range(n)]))

    def energy(self, pos: torch.Tensor) -> torch.Tensor:
        n = pos.shape[1]
        rij = pos[:, self.nbr] - pos[:, :, None]  # (b, n, n-1, 3)
        r = rij.norm(dim=-1, keepdim=True)
        u = ((r - 3.0) / 1.0).clamp(0, 1)
        sw = u ** 3 * (-6 * u ** 2 + 15 * u - 10) + 1
        s = sw / r
        env = torch.cat([s, s * rij / r], -1)  # (b, n, n-1, 4)
        g = torch.tanh(self.e1(s))
        g = torch.tanh(self.e2(g)) + torch.cat([g, g], -1)
        a = g.transpose(-1, -2) @ env  # (b, n, m1, 4)
        d = (a @ a[..., :self.m2, :].transpose(-1, -2)) / (n - 1) ** 2  # (b, n, m1, m2)
        h = torch.tanh(self.f1(d.flatten(2)))
        h = h + torch.tanh(self.f2(h))
        return self.f3(h)[..., 0].sum(1)

    def forward(self, pos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            pos = pos.detach().requires_grad_(True)
            e = self.energy(pos)
            if self.slip_retain:
                grad = torch.autograd.grad(e.sum(), pos, retain_graph=True)[0]
            else:
                grad = torch.autograd.grad(e.sum(), pos, create_graph=True)[0]
        return e, -grad


def _deepmd_loss(out: Any, target: Any, pref_e: float = 0.02, pref_f: float = 1000.0) -> torch.Tensor:
    """DeePMD's loss at its starting prefactors: ``0.02 ((E - E*) / N)^2 + 1000 |F - F*|^2`` (means)."""
    e, f = out
    e_t, f_t = target
    return pref_e * (((e - e_t) / f.shape[1]) ** 2).mean() + pref_f * ((f - f_t) ** 2).mean()


def deep_potential(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, slip_retain: bool = False) -> Setup:
    """The Deep Potential on the Morse molecules (batch 32), DeePMD's energy-and-force loss at its starting
    prefactors, Adam at DeePMD's starting lr 1e-3 (its exponential decay left out); ``weight_decay``: Adam's coupled
    decay; ``slip_retain``: see :class:`DeepPotential`."""
    torch.manual_seed(840_000 + seed)
    model = DeepPotential(slip_retain=slip_retain)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, molecules(seed), _deepmd_loss)
