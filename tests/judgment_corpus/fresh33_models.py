"""Hand-written models of the thirty-fourth held-out batch (``fresh33.py``), sequence, recommendation, multi-task,
graph, implicit-representation and evidential ones: small versions of published architectures new to the corpus,
each with the switches its broken variants need (one fault each, off by default). The vision and text-classification
models are in ``fresh33_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- language model --------------------------------------------------------------------------------------------------


class CosAttention(nn.Module):
    """cosFormer's causal linear attention (Qin et al. 2022): ReLU feature maps of the queries and keys, re-weighted
    by ``cos(pi / 2 * (i - j) / M)`` (decomposed into a cos and a sin part), normalised by the same weights' row sums
    plus ``eps`` (the reference code's 1e-6); written with the (t, t) weight matrix, which is the same sum as the
    cumulative form at this length. ``eps=0``: the normaliser without its eps."""

    def __init__(self, d: int, heads: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.h, self.eps = heads, eps
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        q, k = F.relu(q), F.relu(k)
        ang = math.pi / 2 * torch.arange(t, dtype=x.dtype) / t
        cos, sin = ang.cos()[:, None], ang.sin()[:, None]
        w = (q * cos) @ (k * cos).transpose(-1, -2) + (q * sin) @ (k * sin).transpose(-1, -2)
        w = w.masked_fill(~torch.ones(t, t, dtype=torch.bool).tril(), 0.0)
        y = (w @ v) / (w.sum(-1, keepdim=True) + self.eps)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class CosFormerLM(nn.Module):
    """A small cosFormer decoder LM: token and learned position embeddings of 64, two pre-LN blocks (cosFormer
    attention of four heads, a GELU MLP of 256), a final LayerNorm and a linear output."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, heads: int = 4, length: int = 32,
                 eps: float = 1e-6) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.zeros(1, length, d))
        nn.init.normal_(self.pos, 0.0, 0.02)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict({
                "n1": nn.LayerNorm(d), "attn": CosAttention(d, heads, eps), "n2": nn.LayerNorm(d),
                "mlp": nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))}))
        self.norm, self.out = nn.LayerNorm(d), nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x) + self.pos[:, : x.shape[1]]
        for blk in self.blocks:
            h = h + blk["attn"](blk["n1"](h))
            h = h + blk["mlp"](blk["n2"](h))
        return self.out(self.norm(h))


# ---- recommendation --------------------------------------------------------------------------------------------------


class AUGRUCell(nn.Module):
    """DIEN's GRU with attentional update gate: the update gate scaled by the attention score, ``u' = a * u``,
    ``h = (1 - u') * h + u' * h~``."""

    def __init__(self, d_in: int, d: int) -> None:
        super().__init__()
        self.x2h, self.h2h = nn.Linear(d_in, 3 * d), nn.Linear(d, 3 * d)

    def forward(self, x: torch.Tensor, h: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        xr, xu, xn = self.x2h(x).chunk(3, -1)
        hr, hu, hn = self.h2h(h).chunk(3, -1)
        r, u = torch.sigmoid(xr + hr), torch.sigmoid(xu + hu)
        n = torch.tanh(xn + r * hn)
        u = a[:, None] * u
        return (1 - u) * h + u * n


class DIEN(nn.Module):
    """The Deep Interest Evolution Network (Zhou et al. 2019), narrowed: item and category embeddings of 16
    (concatenated), the interest extractor GRU of 32 over the behaviours, attention scores of each interest state
    against the candidate (DIN's attention MLP of 36 with a sigmoid over the states, the candidate, their difference
    and product; softmax over the history), the AUGRU interest evolver of 32, and an MLP 200-80-2 with PReLUs over
    the final interest, the candidate and their product. The auxiliary loss is left out. ``recurrent_std``: the
    extractor GRU's and the AUGRU's recurrent matrices drawn N(0, std^2)."""

    def __init__(self, items: int = 100, cats: int = 10, e: int = 16, d: int = 32,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        self.cats = cats
        self.item, self.cat = nn.Embedding(items, e), nn.Embedding(cats, e)
        self.gru = nn.GRU(2 * e, d, batch_first=True)
        self.att = nn.Sequential(nn.Linear(4 * d, 36), nn.Sigmoid(), nn.Linear(36, 1))
        self.cand = nn.Linear(2 * e, d)
        self.augru = AUGRUCell(d, d)
        self.mlp = nn.Sequential(nn.Linear(3 * d, 200), nn.PReLU(), nn.Linear(200, 80), nn.PReLU(), nn.Linear(80, 2))
        if recurrent_std is not None:
            with torch.no_grad():
                self.gru.weight_hh_l0.normal_(0.0, recurrent_std)
                self.augru.h2h.weight.normal_(0.0, recurrent_std)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.item(ids), self.cat(ids % self.cats)], -1)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        hist, cand = batch  # (b, t) behaviour item ids, (b,) candidate ids
        states, _ = self.gru(self.embed(hist))
        c = self.cand(self.embed(cand))
        ce = c[:, None].expand_as(states)
        a = self.att(torch.cat([states, ce, states - ce, states * ce], -1)).squeeze(-1).softmax(1)
        h = states.new_zeros(states.shape[0], states.shape[2])
        for t in range(states.shape[1]):
            h = self.augru(states[:, t], h, a[:, t])
        return self.mlp(torch.cat([h, c, h * c], -1))


# ---- multi-task ------------------------------------------------------------------------------------------------------


def _expert(d_in: int, d: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d), nn.ReLU(), nn.Linear(d, d), nn.ReLU())


class PLE(nn.Module):
    """Progressive Layered Extraction (Tang et al. 2020), narrowed: two extraction levels, each with two shared and
    two task-specific experts per task (MLPs of 64 with ReLUs), softmax gates per task over its own and the shared
    experts (and at the first level a shared gate over all of them), then a tower of 32 per task with one logit.
    ``relu_bias``: every Linear before a ReLU given that bias."""

    def __init__(self, d_in: int = 32, d: int = 64, tasks: int = 2, n_exp: int = 2,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.tasks, self.n = tasks, n_exp
        self.levels = nn.ModuleList()
        for level in range(2):
            cin = d_in if level == 0 else d
            lv = nn.ModuleDict({
                "shared": nn.ModuleList([_expert(cin, d) for _ in range(n_exp)]),
                "task": nn.ModuleList([nn.ModuleList([_expert(cin, d) for _ in range(n_exp)]) for _ in range(tasks)]),
                "gates": nn.ModuleList([nn.Linear(cin, 2 * n_exp) for _ in range(tasks)])})
            if level == 0:
                lv["shared_gate"] = nn.Linear(cin, (tasks + 1) * n_exp)
            self.levels.append(lv)
        self.towers = nn.ModuleList([nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, 1))
                                     for _ in range(tasks)])
        if relu_bias is not None:
            with torch.no_grad():
                for m in self.modules():
                    if isinstance(m, nn.Sequential):
                        for lin, act in zip(m, list(m)[1:]):
                            if isinstance(lin, nn.Linear) and isinstance(act, nn.ReLU):
                                lin.bias.fill_(relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ins = [x] * self.tasks + [x]  # the task inputs, then the shared one
        for lv in self.levels:
            shared = [e(ins[-1]) for e in lv["shared"]]
            task = [[e(ins[i]) for e in lv["task"][i]] for i in range(self.tasks)]
            outs = []
            for i in range(self.tasks):
                ex = torch.stack(task[i] + shared, 1)
                outs.append((lv["gates"][i](ins[i]).softmax(-1)[..., None] * ex).sum(1))
            if "shared_gate" in lv:
                ex = torch.stack([e for t in task for e in t] + shared, 1)
                outs.append((lv["shared_gate"](ins[-1]).softmax(-1)[..., None] * ex).sum(1))
            else:
                outs.append(ins[-1])
            ins = outs
        return torch.cat([tw(ins[i]) for i, tw in enumerate(self.towers)], -1)  # (b, tasks) logits


# ---- graph -----------------------------------------------------------------------------------------------------------


class MixHopLayer(nn.Module):
    """MixHop's layer (Abu-El-Haija et al. 2019): ``concat_j A^j X W_j`` over the powers j = 0, 1, 2 of the
    normalised adjacency ``A = D^-1/2 (A + I) D^-1/2``."""

    def __init__(self, d_in: int, d: int, powers: tuple[int, ...] = (0, 1, 2)) -> None:
        super().__init__()
        self.powers = powers
        self.lins = nn.ModuleList([nn.Linear(d_in, d) for _ in powers])

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        outs, h, p = [], x, 0
        for j, lin in zip(self.powers, self.lins):
            while p < j:
                h, p = adj @ h, p + 1
            outs.append(lin(h))
        return torch.cat(outs, -1)


class MixHop(nn.Module):
    """A two-layer MixHop (powers 0, 1, 2, 16 units each), ReLU and dropout 0.5 between, and a linear classifier over
    the last layer's concatenation. ``layers``: that many MixHop layers (the dropout only after the first)."""

    def __init__(self, d_in: int = 16, d: int = 16, classes: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.layers = nn.ModuleList([MixHopLayer(d_in if i == 0 else 3 * d, d) for i in range(layers)])
        self.out = nn.Linear(3 * d, classes)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, adj, train = batch
        h = F.dropout(x, 0.5, self.training)
        for i, layer in enumerate(self.layers):
            h = F.relu(layer(h, adj))
            if i == 0:
                h = F.dropout(h, 0.5, self.training)
        return self.out(h)[train]


# ---- implicit neural representation ----------------------------------------------------------------------------------


class RealGabor(nn.Module):
    """WIRE's real Gabor wavelet layer (Saragadam et al. 2023): ``cos(omega0 * z) * exp(-(s0 * z)^2)`` of a linear
    map ``z`` (the reference code's ``RealGaborLayer``, PyTorch's default Linear init). ``window_sign_lost``: the
    Gaussian window written ``exp((s0 * z)^2)``, its minus sign lost."""

    def __init__(self, d_in: int, d: int, omega0: float = 20.0, s0: float = 10.0,
                 window_sign_lost: bool = False) -> None:
        super().__init__()
        self.lin, self.omega0, self.s0 = nn.Linear(d_in, d), omega0, s0
        self.sign = 1.0 if window_sign_lost else -1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.lin(x)
        return torch.cos(self.omega0 * z) * torch.exp(self.sign * (self.s0 * z) ** 2)


class WIRE(nn.Module):
    """WIRE, real Gabor version, narrowed: three Gabor layers of 64 (omega0 20, s0 10, the image-fitting defaults)
    and a linear output to RGB. ``window_sign_lost``: see :class:`RealGabor` (every layer: one helper builds them)."""

    def __init__(self, d_in: int = 2, d: int = 64, layers: int = 3, d_out: int = 3,
                 window_sign_lost: bool = False) -> None:
        super().__init__()
        w = window_sign_lost
        self.net = nn.Sequential(RealGabor(d_in, d, window_sign_lost=w),
                                 *[RealGabor(d, d, window_sign_lost=w) for _ in range(layers - 1)],
                                 nn.Linear(d, d_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


# ---- signed distance functions ---------------------------------------------------------------------------------------


class DeepSDF(nn.Module):
    """DeepSDF's auto-decoder (Park et al. 2019), narrowed to 2-D shapes: a latent code of 16 per shape (an
    ``nn.Embedding``, N(0, 0.01^2) as the paper's prior), concatenated with the point and fed to four weight-normed
    Linear+ReLU layers of 128 with dropout 0.2, the input concatenated again into the fourth, and a tanh output."""

    def __init__(self, shapes: int = 16, code: int = 16, d: int = 128) -> None:
        super().__init__()
        self.codes = nn.Embedding(shapes, code)
        nn.init.normal_(self.codes.weight, 0.0, 0.01)
        d_in = code + 2
        wn = nn.utils.parametrizations.weight_norm
        self.layers = nn.ModuleList([wn(nn.Linear(d_in, d)), wn(nn.Linear(d, d)), wn(nn.Linear(d, d - d_in)),
                                     wn(nn.Linear(d, d))])
        self.out = nn.Linear(d, 1)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        ids, xy = batch  # (s,) shape ids, (s, n, 2) points
        z = self.codes(ids)[:, None].expand(-1, xy.shape[1], -1)
        inp = torch.cat([z, xy], -1)
        h = inp
        for i, lin in enumerate(self.layers):
            if i == 3:
                h = torch.cat([h, inp], -1)
            h = F.dropout(F.relu(lin(h)), 0.2, self.training)
        return torch.tanh(self.out(h)).squeeze(-1)


# ---- evidential regression -------------------------------------------------------------------------------------------


class EvidentialMLP(nn.Module):
    """Deep Evidential Regression (Amini et al. 2020): an MLP of three ReLU layers of 64 whose head gives the
    Normal-Inverse-Gamma parameters ``gamma``, ``nu = softplus``, ``alpha = softplus + 1``, ``beta = softplus``.
    ``raw_beta``: the head's ``beta`` taken as the raw output, its softplus left out (copied from the ``gamma``
    line)."""

    def __init__(self, d_in: int = 16, d: int = 64, raw_beta: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d_in, d), nn.ReLU(), nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d),
                                  nn.ReLU(), nn.Linear(d, 4))
        self.raw_beta = raw_beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gamma, nu, alpha, beta = self.body(x).unbind(-1)
        beta = beta if self.raw_beta else F.softplus(beta)
        return torch.stack([gamma, F.softplus(nu), F.softplus(alpha) + 1, beta], -1)
