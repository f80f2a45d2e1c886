"""Hand-written models and data of the fifth held-out batch (``fresh4.py``), written here, not copied."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, markov_tokens

# ---- recommendation: DLRM --------------------------------------------------------------------------------------------


class DLRM(nn.Module):
    """DLRM (Naumov et al. 2019): a bottom ReLU MLP on the dense features, one embedding per sparse feature, the
    pairwise dot products of all those vectors, and a top ReLU MLP on [bottom output, dot products] giving a click
    logit. ``top_bias``: the top MLP's hidden biases start there instead of PyTorch's default."""

    def __init__(self, dense: int = 8, tables: int = 4, rows: int = 20, dim: int = 16, hidden: int = 64,
                 top_bias: float | None = None) -> None:
        super().__init__()
        self.bottom = nn.Sequential(nn.Linear(dense, hidden), nn.ReLU(), nn.Linear(hidden, dim), nn.ReLU())
        self.emb = nn.ModuleList([nn.Embedding(rows, dim) for _ in range(tables)])
        pairs = (tables + 1) * tables // 2
        self.top = nn.Sequential(nn.Linear(dim + pairs, hidden), nn.ReLU(), nn.Linear(hidden, hidden // 2),
                                 nn.ReLU(), nn.Linear(hidden // 2, 1))
        with torch.no_grad():
            for e in self.emb:  # DLRM's reference init: uniform(-1/sqrt(rows), 1/sqrt(rows))
                e.weight.uniform_(-1 / math.sqrt(rows), 1 / math.sqrt(rows))
            if top_bias is not None:
                for m in list(self.top)[:-1]:
                    if isinstance(m, nn.Linear):
                        m.bias.fill_(top_bias)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        dense, sparse = batch
        z = self.bottom(dense)
        vecs = torch.stack([z] + [e(sparse[:, i]) for i, e in enumerate(self.emb)], 1)
        dots = vecs @ vecs.transpose(1, 2)
        i, j = torch.triu_indices(vecs.shape[1], vecs.shape[1], 1)
        return self.top(torch.cat([z, dots[:, i, j]], 1)).squeeze(1)


def click_batches(seed: int, dense: int = 8, tables: int = 4, rows: int = 20, batch: int = 128, raw: bool = False,
                  nan_record: bool = False) -> Callable[[int], Any]:
    """Synthetic click logs: dense features are heavy-tailed counts (log-normal, up to ~1e4) fed as ``log1p``
    (DLRM's Criteo preprocessing) or, with ``raw``, as the counts themselves; four categorical features; the click
    is a fixed teacher's logit (scale 3) on the log counts and per-category effects, thresholded. With
    ``nan_record``, record 9 of every batch has a missing count read as NaN (a CSV gap parsed to NaN)."""
    tg = torch.Generator().manual_seed(901)
    w_dense = torch.randn(dense, generator=tg) / math.sqrt(dense)
    w_cat = torch.randn(tables, rows, generator=tg)
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        logc = 2.0 + 1.5 * torch.randn(batch, dense, generator=g)
        counts = torch.expm1(logc.clamp(min=0)).round()
        cats = torch.randint(0, rows, (batch, tables), generator=g)
        if nan_record:
            counts[9, 2] = float("nan")
        x = torch.log1p(counts)
        logit = 3.0 * (((x - 2.3) / 1.4) @ w_dense + w_cat[torch.arange(tables), cats].sum(1) / 2)
        y = (logit > 0).float()
        pool.append(((counts if raw else x, cats), y))
    return lambda step: pool[step % POOL]


# ---- normalising flow: RealNVP ---------------------------------------------------------------------------------------


class RealNVP(nn.Module):
    """RealNVP (Dinh et al. 2017) on vectors: ``couplings`` affine coupling layers with alternating half masks;
    ``s`` and ``t`` from one ReLU MLP per layer (last layer zero: the flow starts at the identity), the log-scale
    bounded as ``scale * tanh(s)`` (the usual stabilisation). Returns ``(z, log|det dz/dx|)``."""

    def __init__(self, dim: int = 8, couplings: int = 4, hidden: int = 64) -> None:
        super().__init__()
        self.dim = dim
        half = torch.arange(dim) % 2
        self.register_buffer("masks", torch.stack([half if k % 2 == 0 else 1 - half for k in range(couplings)]).float())
        self.nets = nn.ModuleList([nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                                 nn.ReLU(), nn.Linear(hidden, 2 * dim)) for _ in range(couplings)])
        self.scale = nn.Parameter(torch.ones(couplings, dim))
        with torch.no_grad():
            for net in self.nets:  # start at the identity map, as Glow / RealNVP implementations do
                net[-1].weight.zero_()
                net[-1].bias.zero_()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logdet = torch.zeros(x.shape[0], device=x.device)
        masks: torch.Tensor = self.masks  # type: ignore[assignment]
        for k, net in enumerate(self.nets):
            m = masks[k]
            s, t = net(x * m).chunk(2, 1)
            s = self.scale[k] * torch.tanh(s) * (1 - m)
            x = x * m + (1 - m) * (x * s.exp() + t)
            logdet = logdet + s.sum(1)
        return x, logdet


def flow_nll(out: tuple[torch.Tensor, torch.Tensor], _: Any) -> torch.Tensor:
    """Negative log-likelihood per dimension under a standard normal base: ``-(log N(z) + log|det|) / dim``."""
    z, logdet = out
    log_pz = -0.5 * z.pow(2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi)
    return -(log_pz + logdet).mean() / z.shape[1]


def flow_nll_prob_space(out: tuple[torch.Tensor, torch.Tensor], _: Any) -> torch.Tensor:
    """The same NLL with the base density computed as a probability and then logged: ``log(prod exp(-z^2/2) /
    sqrt(2 pi))``. Any sample whose ``sum z^2`` passes ~200 underflows ``exp`` to 0: log 0 = -inf."""
    z, logdet = out
    p = torch.exp(-0.5 * z.pow(2).sum(1)) / (2 * math.pi) ** (z.shape[1] / 2)
    return -(torch.log(p) + logdet).mean() / z.shape[1]


def mixture_batches(seed: int, dim: int = 8, batch: int = 128, outliers: float = 0.02, scale: float = 1.0,
                    ) -> Callable[[int], Any]:
    """Vectors from a fixed 6-component Gaussian mixture (component spread 0.3 around unit-scale centres, a random
    correlation per component), plus a fraction ``outliers`` of heavy-tailed records (Student-t, 1 dof, clamped
    at 40: the tails real tabular data has)."""
    tg = torch.Generator().manual_seed(4040)
    centres = 1.5 * torch.randn(6, dim, generator=tg)
    mix = torch.eye(dim) + 0.5 * torch.randn(6, dim, dim, generator=tg)
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        c = torch.randint(0, 6, (batch,), generator=g)
        x = centres[c] + 0.3 * (mix[c] @ torch.randn(batch, dim, 1, generator=g)).squeeze(2)
        n_out = max(1, int(outliers * batch))
        cauchy = torch.tan(math.pi * (torch.rand(n_out, dim, generator=g) - 0.5))
        x[:n_out] = (3.0 * cauchy).clamp(-40, 40)
        x = x * scale
        pool.append((x, x))
    return lambda step: pool[step % POOL]


# ---- implicit neural representation: SIREN --------------------------------------------------------------------------


class Siren(nn.Module):
    """SIREN (Sitzmann et al. 2020): ``sin(w0 (W x + b))`` layers, first-layer ``w0 = 30``; the paper's init
    (first layer U(-1/n, 1/n), later layers U(-sqrt(6/n)/w0, sqrt(6/n)/w0)); ``paper_init=False`` keeps PyTorch's
    default init in every layer."""

    def __init__(self, d_in: int = 2, width: int = 64, layers: int = 3, d_out: int = 1, w0: float = 30.0,
                 paper_init: bool = True) -> None:
        super().__init__()
        dims = [d_in] + [width] * layers
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(dims)])
        self.out = nn.Linear(width, d_out)
        self.w0 = w0
        if paper_init:
            with torch.no_grad():
                for i, m in enumerate(self.hidden):
                    n = m.in_features
                    bound = 1 / n if i == 0 else math.sqrt(6 / n) / w0
                    m.weight.uniform_(-bound, bound)
                n = self.out.in_features
                self.out.weight.uniform_(-math.sqrt(6 / n) / w0, math.sqrt(6 / n) / w0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for m in self.hidden:
            x = torch.sin(self.w0 * m(x))
        return self.out(x)


def image_fit_batches(seed: int, size: int = 32, batch: int = 256, pixel_coords: bool = False,
                      ) -> Callable[[int], Any]:
    """Fitting one smooth random image (a per-seed sum of 6 Gaussian bumps on a 32x32 grid, values ~[-1, 1]):
    batches of (coordinates, pixel values). Coordinates in [-1, 1] (SIREN's convention) or, with
    ``pixel_coords``, in pixel units 0 .. size-1."""
    g = torch.Generator().manual_seed(6060 + seed)
    centres, widths, amps = torch.rand(6, 2, generator=g) * 2 - 1, 0.2 + 0.4 * torch.rand(6, generator=g), \
        torch.randn(6, generator=g)
    lin = torch.linspace(-1, 1, size)
    grid = torch.stack(torch.meshgrid(lin, lin, indexing="ij"), -1).reshape(-1, 2)
    d2 = ((grid[:, None, :] - centres[None]) ** 2).sum(-1)
    img = (amps * torch.exp(-d2 / (2 * widths**2))).sum(1, keepdim=True)
    img = img / img.abs().max()
    coords = (grid + 1) * (size - 1) / 2 if pixel_coords else grid
    gb = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        idx = torch.randperm(size * size, generator=gb)[:batch]
        pool.append((coords[idx], img[idx]))
    return lambda step: pool[step % POOL]


# ---- CLIP-style two-tower contrastive model --------------------------------------------------------------------------


class TwoTower(nn.Module):
    """A CLIP-style dual encoder (Radford et al. 2021): a small conv image tower (conv-BN-ReLU x3, average pool,
    linear) and a text tower (embedding + one pre-LN transformer layer, mean pool, linear), both projected to
    ``dim`` and L2-normalised; a learnable logit scale starting at log(1/0.07), clamped at 100. Returns the
    image-to-text logits."""

    def __init__(self, vocab: int = 64, dim: int = 32) -> None:
        super().__init__()
        chans = [3, 16, 32, 32]
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(chans):
            layers += [nn.Conv2d(a, b, 3, stride=2, padding=1), nn.BatchNorm2d(b), nn.ReLU()]
        self.image = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, dim))
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(0.01 * torch.randn(16, dim))
        self.text = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.text_proj = nn.Linear(dim, dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        images, tokens = batch
        a = F.normalize(self.image(images), dim=-1)
        t = self.text(self.tok(tokens) + self.pos[: tokens.shape[1]]).mean(1)
        b = F.normalize(self.text_proj(t), dim=-1)
        return self.logit_scale.exp().clamp(max=100) * a @ b.T


def clip_loss(logits: torch.Tensor, _: Any) -> torch.Tensor:
    """CLIP's symmetric cross-entropy over the batch's image-text pairs (the matching pair on the diagonal)."""
    labels = torch.arange(logits.shape[0])
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def image_text_batches(seed: int, concepts: int = 128, batch: int = 32, length: int = 12, vocab: int = 64,
                       pixel_scale: float = 1.0) -> Callable[[int], Any]:
    """Pairs of (image, caption) for ``concepts`` fixed concepts: the image is the concept's smooth colour template
    plus noise, the caption a Markov token string whose first three tokens name the concept (a fixed code of three
    ids) and whose rest is random. A batch draws distinct concepts."""
    tg = torch.Generator().manual_seed(2121)
    templates = F.interpolate(torch.randn(concepts, 3, 4, 4, generator=tg), size=(16, 16), mode="bilinear",
                              align_corners=False)
    codes = torch.randint(0, vocab, (concepts, 3), generator=tg)
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        c = torch.randperm(concepts, generator=g)[:batch]
        images = (templates[c] + 0.5 * torch.randn(batch, 3, 16, 16, generator=g)) * pixel_scale
        text = markov_tokens(g, batch, length, vocab)
        text[:, :3] = codes[c]
        pool.append(((images, text), c))
    return lambda step: pool[step % POOL]


# ---- sequence to sequence: GRU with additive attention ---------------------------------------------------------------


class AttnSeq2Seq(nn.Module):
    """Bahdanau et al. (2015): a bidirectional GRU encoder, a GRU decoder with additive attention over the encoder
    states (padding masked with -inf before the softmax, as written in many tutorials), teacher forcing from a start
    token 0. ``batch = (source, target)`` with 0 as padding in the source."""

    def __init__(self, vocab: int = 32, emb: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.src_emb = nn.Embedding(vocab, emb, padding_idx=0)
        self.tgt_emb = nn.Embedding(vocab, emb)
        self.encoder = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.att_k = nn.Linear(2 * hidden, hidden, bias=False)
        self.att_q = nn.Linear(hidden, hidden)
        self.att_v = nn.Linear(hidden, 1, bias=False)
        self.cell = nn.GRUCell(emb + 2 * hidden, hidden)
        self.head = nn.Linear(hidden + 2 * hidden, vocab)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        src, tgt = batch
        keep = src != 0
        enc, _ = self.encoder(self.src_emb(src))
        lengths = keep.sum(1).clamp(min=1)
        h = torch.tanh(self.bridge((enc * keep[..., None]).sum(1) / lengths[:, None]))
        keys = self.att_k(enc)
        prev = torch.cat([torch.zeros_like(tgt[:, :1]), tgt[:, :-1]], 1)
        outs = []
        for t in range(tgt.shape[1]):
            score = self.att_v(torch.tanh(keys + self.att_q(h)[:, None])).squeeze(2)
            score = score.masked_fill(~keep, float("-inf"))
            ctx = (torch.softmax(score, 1)[..., None] * enc).sum(1)
            h = self.cell(torch.cat([self.tgt_emb(prev[:, t]), ctx], 1), h)
            outs.append(self.head(torch.cat([h, ctx], 1)))
        return torch.stack(outs, 1)


def reverse_batches(seed: int, vocab: int = 32, length: int = 10, batch: int = 32, empty: bool = False,
                    ) -> Callable[[int], Any]:
    """``((source, target), target)``: source sequences of length 5 .. ``length`` right-padded with 0; the target is
    the source reversed (its real tokens), padded with token 1 (an end marker). With ``empty``, one record per batch
    has an empty source (all padding) and an all-end target: an empty line in the parallel corpus."""
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        toks = markov_tokens(g, batch, length, vocab - 2) + 2
        n = torch.randint(5, length + 1, (batch,), generator=g)
        if empty:
            n[3] = 0
        real = torch.arange(length)[None] < n[:, None]
        src = torch.where(real, toks, torch.zeros_like(toks))
        tgt = torch.ones_like(toks)
        for i in range(batch):
            k = int(n[i])
            tgt[i, :k] = toks[i, :k].flip(0)
        pool.append(((src, tgt), tgt))
    return lambda step: pool[step % POOL]


# ---- linear recurrent unit -------------------------------------------------------------------------------------------


class LRULM(nn.Module):
    """A language model of Linear Recurrent Units (Orvieto et al. 2023): per layer, a complex diagonal recurrence
    ``h_t = lambda * h_{t-1} + gamma * (B x_t)`` with ``lambda = exp(-exp(nu_log) + i exp(theta_log))``, output
    ``Re(C h_t) + D x_t``, a GELU MLP, pre-LayerNorm residual blocks. ``radius``: |lambda| drawn uniformly from
    this range (the paper's ring init: (0.9, 0.999)); ``gamma = sqrt(max(1 - |lambda|^2, 1e-3))``. ``stable=False``:
    |lambda| is a raw parameter (a plain diagonal linear recurrence without the exp(-exp) parametrisation), so a
    radius above 1 can be expressed."""

    def __init__(self, vocab: int = 64, dim: int = 64, state: int = 64, layers: int = 2,
                 radius: tuple[float, float] = (0.9, 0.999), stable: bool = True) -> None:
        super().__init__()
        self.stable = stable
        self.emb = nn.Embedding(vocab, dim)
        self.norms = nn.ModuleList([nn.LayerNorm(dim) for _ in range(layers)])
        self.b_re = nn.ParameterList()
        self.b_im = nn.ParameterList()
        self.c_re = nn.ParameterList()
        self.c_im = nn.ParameterList()
        self.nu_log = nn.ParameterList()
        self.theta_log = nn.ParameterList()
        self.d = nn.ParameterList()
        self.mlps = nn.ModuleList()
        for _ in range(layers):
            r = torch.empty(state).uniform_(radius[0] ** 2, radius[1] ** 2).sqrt()
            self.nu_log.append(nn.Parameter(torch.log(-torch.log(r)) if stable else r))
            self.theta_log.append(nn.Parameter(torch.log(torch.empty(state).uniform_(0.0, math.pi / 10) + 1e-4)))
            self.b_re.append(nn.Parameter(torch.randn(state, dim) / math.sqrt(2 * dim)))
            self.b_im.append(nn.Parameter(torch.randn(state, dim) / math.sqrt(2 * dim)))
            self.c_re.append(nn.Parameter(torch.randn(dim, state) / math.sqrt(state)))
            self.c_im.append(nn.Parameter(torch.randn(dim, state) / math.sqrt(state)))
            self.d.append(nn.Parameter(torch.randn(dim)))
            self.mlps.append(nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim)))
        self.norm_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.emb(x)
        for k, norm in enumerate(self.norms):
            v = norm(u)
            mod = torch.exp(-torch.exp(self.nu_log[k])) if self.stable else self.nu_log[k]
            lam = torch.polar(mod, torch.exp(self.theta_log[k]))
            gamma = (1 - mod**2).clamp(min=1e-3).sqrt()
            bx = torch.complex(v @ self.b_re[k].T, v @ self.b_im[k].T) * gamma
            h = torch.zeros_like(bx[:, 0])
            states = []
            for t in range(bx.shape[1]):
                h = lam * h + bx[:, t]
                states.append(h)
            hs = torch.stack(states, 1)
            y = hs.real @ self.c_re[k].T - hs.imag @ self.c_im[k].T + v * self.d[k]
            u = u + self.mlps[k](y)
        return self.head(self.norm_f(u))
