"""Hand-written models of the twenty-fifth held-out batch (``fresh24.py``): small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- Slot Attention --------------------------------------------------------------------------------------------------


class SlotAttention(nn.Module):
    """Slot Attention (Locatello et al. 2020) as a set-prediction classifier: a CNN encoder (four 5x5 convs, ReLU)
    with a soft position embedding, LayerNorm and a two-layer MLP over the pixel features; four slots sampled from a
    learned Gaussian, three iterations of attention normalised over the slots (softmax on the slot axis, then a
    weighted mean over the inputs), a GRU update and a residual MLP; the slots summed and classified by an MLP."""

    def __init__(self, classes: int = 10, dim: int = 32, slots: int = 4, iters: int = 3, size: int = 16) -> None:
        super().__init__()
        self.slots, self.iters, self.dim = slots, iters, dim
        self.enc = nn.Sequential(*[m for i in range(4) for m in (nn.Conv2d(3 if i == 0 else dim, dim, 5, padding=2),
                                                                   nn.ReLU())])
        self.pos = nn.Linear(4, dim)
        lin = torch.linspace(0, 1, size)
        gy, gx = torch.meshgrid(lin, lin, indexing="ij")
        self.register_buffer("grid", torch.stack([gy, gx, 1 - gy, 1 - gx], -1).view(1, size * size, 4))
        self.norm_in = nn.LayerNorm(dim)
        self.mlp_in = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.mu = nn.Parameter(torch.randn(1, 1, dim) * dim ** -0.5)
        self.log_sigma = nn.Parameter(torch.zeros(1, 1, dim))
        self.q, self.k, self.v = nn.Linear(dim, dim, bias=False), nn.Linear(dim, dim, bias=False), nn.Linear(
            dim, dim, bias=False)
        self.norm_inputs, self.norm_slots, self.norm_mlp = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.gru = nn.GRUCell(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.head = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        h = self.enc(x).flatten(2).transpose(1, 2) + self.pos(self.grid)
        h = self.norm_inputs(self.mlp_in(self.norm_in(h)))
        k, v = self.k(h), self.v(h)
        slots = self.mu + self.log_sigma.exp() * torch.randn(b, self.slots, self.dim, device=x.device)
        for _ in range(self.iters):
            prev = slots
            attn = torch.softmax(self.q(self.norm_slots(slots)) @ k.transpose(1, 2) * self.dim ** -0.5, dim=1) + 1e-8
            upd = (attn / attn.sum(-1, keepdim=True)) @ v
            slots = self.gru(upd.reshape(-1, self.dim), prev.reshape(-1, self.dim)).view(b, self.slots, self.dim)
            slots = slots + self.mlp(self.norm_mlp(slots))
        return self.head(slots.sum(1))


# ---- HiFi-GAN multi-period discriminator as a keyword classifier -----------------------------------------------------


class PeriodDisc(nn.Module):
    """One HiFi-GAN period sub-discriminator: the waveform folded to ``(T / p, p)``, 2-D convs of kernel (5, 1) and
    stride (3, 1) with weight normalisation and LeakyReLU 0.1; ``extra``: plain (5, 1) stride-1 convs appended."""

    def __init__(self, period: int, width: int = 16, extra: int = 0) -> None:
        super().__init__()
        wn = nn.utils.parametrizations.weight_norm
        chans = [1, width, 2 * width, 2 * width]
        self.period = period
        self.convs = nn.ModuleList([wn(nn.Conv2d(chans[i], chans[i + 1], (5, 1), (3, 1), (2, 0))) for i in range(3)]
                                   + [nn.Conv2d(2 * width, 2 * width, (5, 1), 1, (2, 0)) for _ in range(extra)])
        self.out = wn(nn.Conv2d(2 * width, 2 * width, (3, 1), 1, (1, 0)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape
        h = x.view(b, 1, t // self.period, self.period)
        for c in self.convs:
            h = F.leaky_relu(c(h), 0.1)
        return self.out(h).mean((2, 3))


class MPDClassifier(nn.Module):
    """The multi-period discriminator (periods 2, 3, 5) with a linear head over the pooled features of each."""

    def __init__(self, classes: int = 8, extra: int = 0) -> None:
        super().__init__()
        self.discs = nn.ModuleList([PeriodDisc(p, extra=extra) for p in (2, 3, 5)])
        self.head = nn.Linear(3 * 32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([d(x) for d in self.discs], 1))


# ---- SigLIP two towers -----------------------------------------------------------------------------------------------


class SigLIP(nn.Module):
    """SigLIP (Zhai et al. 2023) in miniature: an image tower (three strided 3x3 convs, GELU, pooled) and a text
    tower (token and position embeddings, one pre-LN transformer layer, mean pooled), both projected to 32 and
    L2-normalised; the pairwise logits ``exp(t') z_i . z_t + b`` with the paper's ``t' = log 10`` and ``b = -10``."""

    def __init__(self, vocab: int = 32, dim: int = 32, length: int = 8) -> None:
        super().__init__()
        self.img = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.GELU(), nn.Conv2d(16, 32, 3, 2, 1), nn.GELU(),
                                 nn.Conv2d(32, 64, 3, 2, 1), nn.GELU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                 nn.Linear(64, dim))
        self.tok, self.pos = nn.Embedding(vocab, dim), nn.Parameter(torch.zeros(1, length, dim))
        self.txt = nn.TransformerEncoderLayer(dim, 4, 2 * dim, 0.0, "gelu", batch_first=True, norm_first=True)
        self.txt_proj = nn.Linear(dim, dim)
        self.t_prime, self.b = nn.Parameter(torch.tensor(math.log(10.0))), nn.Parameter(torch.tensor(-10.0))

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        image, text = batch
        zi = F.normalize(self.img(image), dim=-1)
        zt = F.normalize(self.txt_proj(self.txt(self.tok(text) + self.pos).mean(1)), dim=-1)
        return zi @ zt.T * self.t_prime.exp() + self.b


# ---- PointNet++ ------------------------------------------------------------------------------------------------------


def _mlp1(dims: list[int], bn: bool, depth_extra: int = 0) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(dims):
        layers += [nn.Linear(a, b)] + ([nn.BatchNorm1d(b)] if bn else []) + [nn.ReLU()]
    for _ in range(depth_extra):
        layers += [nn.Linear(dims[-1], dims[-1]), nn.ReLU()]
    return nn.Sequential(*layers)


class PointNet2(nn.Module):
    """PointNet++ (Qi et al. 2017) in miniature: one set-abstraction level (16 centroids by farthest-point sampling,
    the 8 nearest neighbours of each, their offsets through a shared MLP 3-32-32-64 with BatchNorm and ReLU, max
    pooled) and a global one (64-128 shared MLP over centroid features and positions, max pooled), an MLP head;
    ``bn``: every BatchNorm; ``depth_extra``: plain Linear-ReLU layers (default init) appended to the first MLP."""

    def __init__(self, classes: int = 5, bn: bool = True, depth_extra: int = 0) -> None:
        super().__init__()
        self.sa1 = _mlp1([3, 32, 32, 64], bn, depth_extra)
        self.sa2 = _mlp1([64 + 3, 128], bn)
        self.head = nn.Sequential(nn.Linear(128, 64), *([nn.BatchNorm1d(64)] if bn else []), nn.ReLU(),
                                  nn.Linear(64, classes))

    @staticmethod
    def fps(x: torch.Tensor, m: int) -> torch.Tensor:
        b, n, _ = x.shape
        idx = torch.zeros(b, m, dtype=torch.long)
        dist = torch.full((b, n), float("inf"))
        far = torch.zeros(b, dtype=torch.long)
        for i in range(m):
            idx[:, i] = far
            c = x[torch.arange(b), far][:, None]
            dist = torch.minimum(dist, ((x - c) ** 2).sum(-1))
            far = dist.argmax(1)
        return idx

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        with torch.no_grad():
            idx = self.fps(x, 16)
        cent = torch.gather(x, 1, idx[..., None].expand(-1, -1, 3))
        with torch.no_grad():
            nn_idx = torch.cdist(cent, x).topk(8, largest=False).indices
        grp = torch.gather(x[:, None].expand(-1, 16, -1, -1), 2, nn_idx[..., None].expand(-1, -1, -1, 3))
        h = self.sa1((grp - cent[:, :, None]).reshape(-1, 3)).view(b, 16, 8, -1).amax(2)
        h = self.sa2(torch.cat([h, cent], -1).reshape(b * 16, -1)).view(b, 16, -1).amax(1)
        return self.head(h)


# ---- Neural Turing Machine -------------------------------------------------------------------------------------------


class NTM(nn.Module):
    """A Neural Turing Machine (Graves et al. 2014) in miniature: an LSTM controller (32), a 16 x 8 memory
    initialised to the constant 1e-6 (as reference implementations), one read and one write head with content
    addressing (cosine similarity, key strength ``softplus``), interpolation with the previous weighting, a
    circular shift over -1, 0, 1 and sharpening ``gamma = 1 + softplus``; the write erases and adds; a linear
    classifier on the last controller output and read vector. ``zero_memory_no_eps``: the memory initialised to
    zeros and the cosine similarity written ``k . M / (|k| |M|)`` without its eps (``0 / 0`` at the first read);
    ``recurrent_std``: the controller's hidden-to-hidden weights drawn N(0, std^2)."""

    def __init__(self, classes: int = 4, inp: int = 1, hid: int = 32, slots: int = 16, width: int = 8,
                 zero_memory_no_eps: bool = False, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.n, self.w, self.hid, self.faulty = slots, width, hid, zero_memory_no_eps
        self.ctrl = nn.LSTMCell(inp + width, hid)
        if recurrent_std is not None:
            with torch.no_grad():
                self.ctrl.weight_hh.normal_(0.0, recurrent_std)
        # per head: key (w), strength, gate, shift (3), gamma; the write head also erase (w) and add (w)
        self.read_head = nn.Linear(hid, width + 6)
        self.write_head = nn.Linear(hid, 3 * width + 6)
        self.out = nn.Linear(hid + width, classes)

    def _address(self, p: torch.Tensor, mem: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        k, beta, g = p[:, :self.w], F.softplus(p[:, self.w]), torch.sigmoid(p[:, self.w + 1])
        s, gamma = torch.softmax(p[:, self.w + 2:self.w + 5], -1), 1 + F.softplus(p[:, self.w + 5])
        if self.faulty:
            sim = (mem @ k[:, :, None]).squeeze(-1) / (k.norm(dim=-1, keepdim=True) * mem.norm(dim=-1))
        else:
            sim = F.cosine_similarity(mem, k[:, None], dim=-1, eps=1e-8)
        wc = torch.softmax(beta[:, None] * sim, -1)
        wg = g[:, None] * wc + (1 - g[:, None]) * prev
        ws = s[:, :1] * wg.roll(-1, 1) + s[:, 1:2] * wg + s[:, 2:] * wg.roll(1, 1)
        ws = ws.clamp_min(1e-12) ** gamma[:, None]
        return ws / ws.sum(-1, keepdim=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        mem = torch.full((b, self.n, self.w), 0.0 if self.faulty else 1e-6)
        h, c = x.new_zeros(b, self.hid), x.new_zeros(b, self.hid)
        wr = wwr = x.new_full((b, self.n), 1.0 / self.n)
        r = x.new_zeros(b, self.w)
        for i in range(t):
            h, c = self.ctrl(torch.cat([x[:, i], r], -1), (h, c))
            pw = self.write_head(h)
            wwr = self._address(pw, mem, wwr)
            erase, add = torch.sigmoid(pw[:, self.w + 6:2 * self.w + 6]), torch.tanh(pw[:, 2 * self.w + 6:])
            mem = mem * (1 - wwr[..., None] * erase[:, None]) + wwr[..., None] * add[:, None]
            wr = self._address(self.read_head(h), mem, wr)
            r = (wr[..., None] * mem).sum(1)
        return self.out(torch.cat([h, r], -1))


# ---- Autoformer ------------------------------------------------------------------------------------------------------


def decomp(x: torch.Tensor, k: int = 13) -> tuple[torch.Tensor, torch.Tensor]:
    """Series decomposition: the trend a moving average of ``k`` steps (ends replicated), the seasonal the rest."""
    pad = torch.cat([x[:, :1].expand(-1, k // 2, -1), x, x[:, -1:].expand(-1, k // 2, -1)], 1)
    trend = F.avg_pool1d(pad.transpose(1, 2), k, 1).transpose(1, 2)
    return x - trend, trend


class AutoCorrelation(nn.Module):
    """Auto-correlation attention: the period-based dependencies ``irfft(rfft(q) conj(rfft(k)))`` averaged over
    heads and channels, the top ``int(log L)`` delays softmax-weighted, and the values rolled by each delay."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        q, k, v = self.q(x), self.k(x), self.v(x)
        corr = torch.fft.irfft(torch.fft.rfft(q, dim=1) * torch.fft.rfft(k, dim=1).conj(), n=n, dim=1).mean(-1)
        top = int(math.log(n))
        w, delay = corr.topk(top, dim=1)
        w = torch.softmax(w, -1)
        idx = (torch.arange(n)[None, None] + delay[..., None]) % n
        rolled = torch.gather(v[:, None].expand(-1, top, -1, -1), 2, idx[..., None].expand(-1, -1, -1, v.shape[-1]))
        return self.o((w[..., None, None] * rolled).sum(1))


class Autoformer(nn.Module):
    """Autoformer (Wu et al. 2021) in miniature, encoder only: the input decomposed; the seasonal part embedded by a
    circular 3-tap conv, two encoder layers (auto-correlation, decomposition, a conv feed-forward of width 64 with
    GELU, decomposition); the forecast a linear map of the encoded seasonal part over time plus a linear map of the
    input trend over time (the reference's decoder replaced by these two projections)."""

    def __init__(self, variates: int = 4, lookback: int = 48, horizon: int = 12, d: int = 32) -> None:
        super().__init__()
        self.embed = nn.Conv1d(variates, d, 3, padding=1, padding_mode="circular", bias=False)
        self.layers = nn.ModuleList([nn.ModuleDict({"attn": AutoCorrelation(d), "ff": nn.Sequential(
            nn.Linear(d, 2 * d, bias=False), nn.GELU(), nn.Linear(2 * d, d, bias=False))}) for _ in range(2)])
        self.season_out = nn.Linear(d, variates)
        self.season_time = nn.Linear(lookback, horizon)
        self.trend_time = nn.Linear(lookback, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        season, trend = decomp(x)
        h = self.embed(season.transpose(1, 2)).transpose(1, 2)
        for layer in self.layers:
            h, _ = decomp(h + layer["attn"](h))
            h, _ = decomp(h + layer["ff"](h))
        s = self.season_time(self.season_out(h).transpose(1, 2)).transpose(1, 2)
        return s + self.trend_time(trend.transpose(1, 2)).transpose(1, 2)


# ---- Tacotron's CBHG encoder as a keyword classifier -----------------------------------------------------------------


class CBHG(nn.Module):
    """The CBHG module (Wang et al. 2017): a bank of 1-D convs of widths 1-8 (16 channels each, BatchNorm, ReLU),
    max pooling (width 2, stride 1), two projection convs (BatchNorm; ReLU on the first) back to the input width,
    a residual, four highway layers and a bidirectional GRU (16 per direction); the outputs mean pooled into a
    linear classifier."""

    def __init__(self, coeffs: int = 10, classes: int = 8, k: int = 8, ch: int = 16) -> None:
        super().__init__()
        self.bank = nn.ModuleList([nn.Sequential(nn.Conv1d(coeffs, ch, i, padding=i // 2), nn.BatchNorm1d(ch),
                                                 nn.ReLU()) for i in range(1, k + 1)])
        self.proj = nn.Sequential(nn.Conv1d(k * ch, 32, 3, padding=1), nn.BatchNorm1d(32), nn.ReLU(),
                                  nn.Conv1d(32, coeffs, 3, padding=1), nn.BatchNorm1d(coeffs))
        self.pre = nn.Linear(coeffs, 32)
        self.hw = nn.ModuleList([nn.Linear(32, 64) for _ in range(4)])
        for h in self.hw:
            nn.init.constant_(h.bias[32:], -1.0)
        self.gru = nn.GRU(32, 16, batch_first=True, bidirectional=True)
        self.head = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[-1]
        h = torch.cat([c(x)[..., :t] for c in self.bank], 1)
        h = F.max_pool1d(F.pad(h, (1, 0), mode="replicate"), 2, 1)
        h = (self.proj(h) + x).transpose(1, 2)
        h = self.pre(h)
        for layer in self.hw:
            a, g = layer(h).chunk(2, -1)
            gate = torch.sigmoid(g)
            h = gate * F.relu(a) + (1 - gate) * h
        return self.head(self.gru(h)[0].mean(1))


# ---- PNA: principal neighbourhood aggregation ------------------------------------------------------------------------


def mlp_helper(dims: list[int], norm_last: bool = False) -> nn.Sequential:
    """A user's MLP helper: Linear, LayerNorm and ReLU per hidden layer, a plain Linear last; ``norm_last``: the
    helper also puts its LayerNorm after the last Linear (on a width-1 output it returns 0)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(dims)):
        last = i == len(dims) - 2
        layers += [nn.Linear(a, b)] + ([nn.LayerNorm(b)] if not last or norm_last else []) + (
            [] if last else [nn.ReLU()])
    return nn.Sequential(*layers)


class PNALayer(nn.Module):
    """A PNA layer (Corso et al. 2020) on dense padded graphs: messages ``U([h_i, h_j, e_ij])``, the mean, max, min
    and std aggregators (std ``sqrt(relu(E[m^2] - E[m]^2) + 1e-5)`` as the reference; ``std_eps=False``: without
    its ``+ 1e-5``), the identity, amplification and attenuation degree scalers, a linear post-layer, BatchNorm,
    ReLU and a residual."""

    def __init__(self, d: int, edge: int, delta: float, std_eps: bool = True) -> None:
        super().__init__()
        self.pre, self.post, self.bn = nn.Linear(2 * d + edge, d), nn.Linear(13 * d, d), nn.BatchNorm1d(d)
        self.delta, self.ref_std = delta, std_eps

    def forward(self, h: torch.Tensor, e: torch.Tensor, adj: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, d = h.shape
        m = self.pre(torch.cat([h[:, :, None].expand(-1, -1, n, -1), h[:, None].expand(-1, n, -1, -1), e], -1))
        a = adj[..., None]
        has = adj.sum(-1, keepdim=True) > 0
        deg = adj.sum(-1, keepdim=True).clamp_min(1)
        mean = (a * m).sum(2) / deg
        sq = (a * m * m).sum(2) / deg
        std = torch.sqrt(F.relu(sq - mean * mean) + 1e-5) if self.ref_std else (sq - mean * mean).sqrt()
        big = torch.finfo(m.dtype).max
        mx = torch.where(has, torch.where(a > 0, m, -big).amax(2), 0.0)
        mn = torch.where(has, torch.where(a > 0, m, big).amin(2), 0.0)
        agg = torch.cat([mean, mx, mn, std], -1)
        logd = torch.log(deg + 1)
        out = self.post(torch.cat([h, agg, agg * logd / self.delta, agg * self.delta / logd], -1))
        out = F.relu(self.bn(out.reshape(b * n, d)).view(b, n, d))
        return (h + out) * mask[..., None]


class PNA(nn.Module):
    """PNA in miniature for graph regression: atom embedding to 32, three PNA layers, a masked sum readout and an
    MLP 32-32-16-1 (``mlp_helper``); ``std_eps``/``norm_last``: see :class:`PNALayer` and :func:`mlp_helper`."""

    def __init__(self, atoms: int = 5, bonds: int = 3, d: int = 32, std_eps: bool = True, norm_last: bool = False
                 ) -> None:
        super().__init__()
        self.emb = nn.Linear(atoms, d)
        self.layers = nn.ModuleList([PNALayer(d, bonds, math.log(3.0), std_eps) for _ in range(3)])
        self.readout = mlp_helper([d, 32, 16, 1], norm_last)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, e, mask = batch
        adj = (e.sum(-1) > 0).float()
        h = self.emb(x) * mask[..., None]
        for layer in self.layers:
            h = layer(h, e, adj, mask)
        return self.readout(h.sum(1)).squeeze(-1)


# ---- NODE: neural oblivious decision ensembles -----------------------------------------------------------------------


class ODST(nn.Module):
    """A layer of oblivious differentiable decision trees (Popov et al. 2019): per tree and level a feature choice
    (softmax over the features, where the paper uses entmax), a threshold and a log temperature; the soft
    comparisons (a sigmoid, where the paper uses entmoid) give each of the ``2^depth`` leaves a weight by outer
    products, and each tree returns its leaves' responses so weighted. Thresholds start at 0 and temperatures at 0.3
    (in place of the paper's data-aware init from the data's quantiles; the features are standardised)."""

    def __init__(self, inp: int, trees: int = 16, depth: int = 3, out: int = 1) -> None:
        super().__init__()
        self.sel = nn.Parameter(torch.rand(trees, depth, inp))
        self.thr = nn.Parameter(torch.zeros(trees, depth))
        self.log_t = nn.Parameter(torch.full((trees, depth), math.log(0.3)))
        self.resp = nn.Parameter(torch.randn(trees, out, 2 ** depth))
        self.depth = depth
        codes = torch.tensor([[(i >> k) & 1 for k in range(depth)] for i in range(2 ** depth)], dtype=torch.float)
        self.register_buffer("codes", codes.T)  # (depth, leaves)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = torch.einsum("bi,tdi->btd", x, torch.softmax(self.sel, -1))
        c = torch.sigmoid((f - self.thr) * torch.exp(-self.log_t))[..., None]  # (b, trees, depth, 1)
        leaf = (c * self.codes + (1 - c) * (1 - self.codes)).prod(2)  # (b, trees, leaves)
        return torch.einsum("btl,tol->bto", leaf, self.resp).flatten(1)


class NODE(nn.Module):
    """NODE in miniature: two densely connected ODST layers (16 trees of depth 3 each, the second seeing the input
    and the first's outputs), the prediction the mean of every tree's response (one logit)."""

    def __init__(self, inp: int = 12) -> None:
        super().__init__()
        self.l1, self.l2 = ODST(inp), ODST(inp + 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h1 = self.l1(x)
        return torch.cat([h1, self.l2(torch.cat([x, h1], -1))], -1).mean(-1)


# ---- Deep Crossing ---------------------------------------------------------------------------------------------------


class ResidualUnit(nn.Module):
    """Deep Crossing's residual unit ``relu(x + W1 relu(W0 x + b0) + b1)``; ``relu_method``: written with
    ``h.relu()`` where ``h.relu_()`` belongs (the method without its underscore returns a new tensor that is dropped:
    the unit is linear)."""

    def __init__(self, d: int, hid: int, relu_method: bool = False) -> None:
        super().__init__()
        self.l0, self.l1, self.slip = nn.Linear(d, hid), nn.Linear(hid, d), relu_method

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.l0(x)
        if self.slip:
            h.relu()
            out = x + self.l1(h)
            out.relu()
            return out
        h.relu_()
        out = x + self.l1(h)
        return out.relu_()


class DeepCrossing(nn.Module):
    """Deep Crossing (Shan et al. 2016) in miniature: an embedding of 8 per categorical field (user's favourite
    category, item, item category, hour) and the dense dwell feature, stacked, three residual units (hidden 64) and a
    linear scoring layer; ``hidden_bias``: every residual unit's biases initialised to this value."""

    def __init__(self, fields: tuple[int, ...] = (5, 50, 5, 24), d: int = 8, hidden_bias: float | None = None,
                 relu_method: bool = False) -> None:
        super().__init__()
        self.embs = nn.ModuleList([nn.Embedding(n, d) for n in fields])
        width = d * len(fields) + 1
        self.units = nn.Sequential(*[ResidualUnit(width, 64, relu_method) for _ in range(3)])
        self.score = nn.Linear(width, 1)
        if hidden_bias is not None:
            for u in self.units:
                nn.init.constant_(u.l0.bias, hidden_bias)
                nn.init.constant_(u.l1.bias, hidden_bias)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        cats, dense = batch
        h = torch.cat([e(cats[:, i]) for i, e in enumerate(self.embs)] + [dense], -1)
        return self.score(self.units(h)).squeeze(-1)


# ---- AFT: attention-free transformer LM ------------------------------------------------------------------------------


class AFTBlock(nn.Module):
    """A pre-LN block of AFT-full (Zhai et al. 2021), causal: ``y_t = sigmoid(Q_t) * sum_{s<=t} exp(K_s + w_ts) V_s
    / sum_{s<=t} exp(K_s + w_ts)`` with learned pairwise position biases ``w`` (zeros at init), then a GELU MLP."""

    def __init__(self, d: int, length: int) -> None:
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.w = nn.Parameter(torch.zeros(length, length))
        self.register_buffer("causal", torch.tril(torch.ones(length, length)))
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        q, k, v = self.qkv(self.n1(x)).chunk(3, -1)
        ew = torch.exp(self.w[:t, :t] - self.w[:t, :t].max()) * self.causal[:t, :t]
        ek = torch.exp(k - k.amax(1, keepdim=True))
        y = torch.sigmoid(q) * torch.einsum("ts,bsd->btd", ew, ek * v) / torch.einsum("ts,bsd->btd", ew, ek)
        x = x + self.o(y)
        return x + self.mlp(self.n2(x))


class AFTLM(nn.Module):
    """An AFT-full LM: token embeddings N(0, d^-1/2) scaled by sqrt(d) and tied to the output (as Vaswani et al.),
    learned positions, two AFT blocks, a final LayerNorm; ``emb_std``: the embeddings' init std."""

    def __init__(self, vocab: int = 64, d: int = 64, length: int = 32, emb_std: float | None = None) -> None:
        super().__init__()
        self.d = d
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.zeros(1, length, d))
        nn.init.normal_(self.tok.weight, 0.0, d ** -0.5 if emb_std is None else emb_std)
        self.blocks = nn.Sequential(*[AFTBlock(d, length) for _ in range(2)])
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tok(x) * math.sqrt(self.d) + self.pos[:, :x.shape[1]]
        return self.norm(self.blocks(h)) @ self.tok.weight.T
