"""Builders of the hundred-and-fourth held-out batch (``fresh103.py``): graph, recommender and tabular models new to the
corpus at their usual settings, and broken variants with one real fault each, plus the small synthetic data sets they
train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
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
    return torch.Generator().manual_seed(1_030_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(103_100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _init_normal(model: nn.Module, std: float) -> None:
    """Every Linear weight, Embedding table and free matrix parameter drawn N(0, std^2)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.normal_(0.0, std)
        for name, p in model.named_parameters(recurse=False):
            if p.dim() >= 2 and "." not in name:
                p.normal_(0.0, std)


def _plain_stack(width: int, layers: int) -> nn.Sequential:
    """``layers`` Linear+ReLU layers of ``width`` at PyTorch's default init."""
    mods: list[nn.Module] = []
    for _ in range(layers):
        mods += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*mods)


def _bce(logit: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logit, y.float())


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm_documents(seed: int, n: int = 300, classes: int = 4, words: int = 64, empty: int = 12
                  ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.05 within a class and 0.005 across)
    whose nodes carry bag-of-words counts (about 6 words a node, half of them from the class's 16 topic words, the
    rest uniform over the 64); the last 12 nodes have no text (an all-zero row). The first half of a fixed random order
    is the training set: ``(adjacency without self-loops, counts, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.05, 0.005)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    topic = torch.full((classes, words), 0.5 / words)
    for c in range(classes):
        topic[c, c * 16:(c + 1) * 16] += 0.5 / 16
    length = torch.poisson(torch.full((n,), 6.0), generator=g).clamp(min=1).long()
    x = torch.zeros(n, words)
    for i in range(n):
        w = torch.multinomial(topic[y[i]], int(length[i]), replacement=True, generator=g)
        x[i].index_add_(0, w, torch.ones(len(w)))
    x[n - empty:] = 0.0
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def kg_triples(seed: int, entities: int = 64, types: int = 8, relations: int = 4, per_query: int = 2
               ) -> tuple[torch.Tensor, Callable[[int], Any]]:
    """A typed knowledge graph: 64 entities of 8 types (8 each); relation ``r`` links an entity of type ``c`` to
    ``per_query`` entities drawn from type ``perm_r(c)`` (fixed permutations). Returns the training triples ``(h, r,
    t)`` (64 x 4 x 2 = 512; they are also the message-passing graph) and batches of 64 of them: ``((heads,
    relations), tails)``."""
    fg = _fixed(1)
    kind = torch.arange(entities) % types
    perms = torch.stack([torch.randperm(types, generator=fg) for _ in range(relations)])
    g = _gen(seed)
    trip = []
    for h in range(entities):
        for r in range(relations):
            pool = (kind == perms[r, kind[h]]).nonzero().flatten()
            for t in pool[torch.randperm(len(pool), generator=g)[:per_query]]:
                trip.append((h, r, int(t)))
    triples = torch.tensor(trip)

    def make(gg: torch.Generator, _: int) -> Any:
        idx = torch.randint(0, len(triples), (64,), generator=gg)
        b = triples[idx]
        return (b[:, 0], b[:, 1]), b[:, 2]
    return triples, _pool(seed, make)


#: the click data's field cardinalities (eight categorical fields)
CARD = (40, 30, 20, 20, 10, 10, 8, 6)


def clicks(seed: int, batch: int = 256, shuffled: bool = False) -> Callable[[int], Any]:
    """Click logs of eight categorical fields (cardinalities 40, 30, 20, 20, 10, 10, 8, 6, uniform values, label-encoded
    from 0) labelled by a fixed teacher: a click when first-order terms plus rank-3 pairwise products of every field
    pair, summed, are above the teacher's median: ``(ids (b, 8), clicks (b,))``; ``shuffled``: the clicks permuted
    within every batch, apart from their rows."""
    fg = _fixed(2)
    first = [torch.randn(c, generator=fg) for c in CARD]
    fac = [torch.randn(c, 3, generator=fg) / math.sqrt(3) for c in CARD]

    def score(x: torch.Tensor) -> torch.Tensor:
        s = sum(first[f][x[:, f]] for f in range(len(CARD)))
        for i in range(len(CARD)):
            for j in range(i + 1, len(CARD)):
                s = s + (fac[i][x[:, i]] * fac[j][x[:, j]]).sum(1)
        return s

    def draw(g: torch.Generator, b: int) -> torch.Tensor:
        return torch.stack([torch.randint(0, c, (b,), generator=g) for c in CARD], 1)
    threshold = score(draw(_fixed(3), 20_000)).median()

    def make(g: torch.Generator, _: int) -> Any:
        x = draw(g, batch)
        y = (score(x) > threshold).long()
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def behaviours(seed: int, batch: int = 64, length: int = 10, items: int = 40, classes: int = 4
               ) -> Callable[[int], Any]:
    """Users' behaviour sequences of 10 (item ids of 40, each item's category ``id % 4``; a behaviour type of 3:
    click, cart, buy), labelled by the category of the first behaviour's item (the session's intent, the category
    of the next purchase): ``((items, types), category)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, items, (batch, length), generator=g)
        t = torch.randint(0, 3, (batch, length), generator=g)
        return (x, t), x[:, 0] % classes
    return _pool(seed, make)


def tabular_rows(seed: int, batch: int = 128, classes: int = 4, cities: int = 40, unseen: int = 4,
                 smoothing: float | None = 10.0) -> Callable[[int], Any]:
    """Table rows of four standardised numeric columns, three categorical columns (6, 8 and 12 levels) and a
    high-cardinality ``city`` column (40 levels) whose class distribution is sharp; the class is the argmax of a fixed
    linear teacher on the numeric columns and the categorical levels plus the city's class offset. The city is
    target-encoded into four numbers, its per-class frequencies over a fixed fitting split of 400 rows of the first
    36 cities (the last 4, new cities, are absent from it and appear in 6% of the training rows), smoothed towards
    the prior as ``(counts + m prior) / (n + m)``, ``m = smoothing``; ``smoothing=None``: the plain ``counts / n``.
    ``((numeric (b, 4), categorical (b, 3), city encoding (b, 4)), class)``."""
    fg = _fixed(4)
    w_num = torch.randn(4, classes, generator=fg)
    levels = (6, 8, 12)
    w_cat = [torch.randn(n, classes, generator=fg) for n in levels]
    city_class = torch.randint(0, classes, (cities,), generator=fg)

    def draw(g: torch.Generator, b: int, new: bool) -> tuple[torch.Tensor, ...]:
        num = torch.randn(b, 4, generator=g)
        cat = torch.stack([torch.randint(0, n, (b,), generator=g) for n in levels], 1)
        city = torch.randint(0, cities - unseen, (b,), generator=g)
        if new:
            fresh = torch.rand(b, generator=g) < 0.06
            city = torch.where(fresh, torch.randint(cities - unseen, cities, (b,), generator=g), city)
        s = num @ w_num + sum(w_cat[k][cat[:, k]] for k in range(3)) + 3.0 * F.one_hot(city_class[city], classes)
        return num, cat, city, s.argmax(1)

    _, _, fit_city, fit_y = draw(_fixed(5), 400, False)
    counts = torch.zeros(cities, classes).index_put_((fit_city, fit_y), torch.ones(len(fit_y)), accumulate=True)
    n = counts.sum(1, keepdim=True)
    if smoothing is None:
        enc = counts / n
    else:
        prior = counts.sum(0) / counts.sum()
        enc = (counts + smoothing * prior) / (n + smoothing)

    def make(g: torch.Generator, _: int) -> Any:
        num, cat, city, y = draw(g, batch, True)
        return (num, cat, enc[city]), y
    return _pool(seed, make)


def transactions(seed: int, batch: int = 64, rows: int = 8, merchants: int = 30, classes: int = 4,
                 hour_from: str = "hours", shuffled: bool = False) -> Callable[[int], Any]:
    """Card users' sequences of 8 transactions with four fields: a merchant id (30), an amount (log-normal dollars,
    quantised into 16 bins by fixed quantile edges, as TabFormer quantises its continuous fields), the hour of day
    and the weekday, both taken from the transaction's Unix timestamp (seconds) as TabFormer's preprocessing does;
    the class is the user's day part (night, morning, afternoon, evening: 70% of their transactions fall in it, the
    rest anywhere). ``hour_from``: ``"hours"`` the hour ``(ts // 3600) % 24``, ``"seconds"`` the slip ``ts % 24``;
    ``shuffled``: the classes permuted within every batch, apart from their sequences. ``(fields (b, 8, 4),
    class)``."""
    edges = torch.quantile(torch.exp(torch.randn(10_000, generator=_fixed(6)) + 3.0), torch.linspace(0, 1, 17)[1:-1])
    start = 1_600_000_000

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        own = torch.rand(batch, rows, generator=g) < 0.7
        hour = torch.where(own, 6 * y[:, None] + torch.randint(0, 6, (batch, rows), generator=g),
                           torch.randint(0, 24, (batch, rows), generator=g))
        day = torch.randint(0, 60, (batch, rows), generator=g)
        ts = start + day * 86_400 + hour * 3600 + torch.randint(0, 3600, (batch, rows), generator=g)
        hr = (ts // 3600) % 24 if hour_from == "hours" else ts % 24
        wd = (ts // 86_400 + 4) % 7
        merchant = torch.randint(0, merchants, (batch, rows), generator=g)
        amount = torch.bucketize(torch.exp(torch.randn(batch, rows, generator=g) + 3.0), edges)
        x = torch.stack([merchant, amount, hr, wd], -1)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


# ---- models ----------------------------------------------------------------------------------------------------------

def sym_norm(a: torch.Tensor) -> torch.Tensor:
    """``D^-1/2 A D^-1/2`` with the reference codes' guard (a zero degree gives a zero row, not ``inf``)."""
    d = a.sum(1).pow(-0.5)
    d[torch.isinf(d)] = 0.0
    return d[:, None] * a * d[None]


def row_normalise(x: torch.Tensor, guard: bool = True) -> torch.Tensor:
    """Kipf's ``preprocess_features``: each row divided by its sum; ``guard``: an empty row's ``1 / 0 = inf`` set to 0,
    as the reference code does; without it, ``x / x.sum(1)``."""
    if not guard:
        return x / x.sum(1, keepdim=True)
    r = x.sum(1, keepdim=True).pow(-1.0)
    r[torch.isinf(r)] = 0.0
    return x * r


class FSGNN(nn.Module):
    """FSGNN (Maurya et al. 2022): hop features ``A^k X`` and ``(A + I)^k X`` (k <= 3, symmetric-normalised,
    precomputed; X once), each through its own Linear of 64, row L2-normalised ("hop normalisation"), weighted by a
    softmax over learned hop scalars, concatenated, ReLU, dropout 0.5, a Linear to the classes. ``relu_bias``: every
    hop Linear's bias set to that value."""

    def __init__(self, feats: list[torch.Tensor], classes: int, hidden: int = 64, relu_bias: float | None = None,
                 hop_norm: bool = True):
        super().__init__()
        self.hop_norm = hop_norm
        self.feats = feats
        self.fc = nn.ModuleList(nn.Linear(feats[0].shape[1], hidden) for _ in feats)
        self.att = nn.Parameter(torch.ones(len(feats)))
        self.out = nn.Linear(hidden * len(feats), classes)
        if relu_bias is not None:
            with torch.no_grad():
                for fc in self.fc:
                    fc.bias.fill_(relu_bias)

    def forward(self, _: Any) -> torch.Tensor:
        mask = self.att.softmax(0)
        hs = [mask[k] * (F.normalize(fc(x), p=2, dim=1) if self.hop_norm else fc(x))
              for k, (fc, x) in enumerate(zip(self.fc, self.feats))]
        return self.out(F.dropout(F.relu(torch.cat(hs, 1)), 0.5, self.training))


def fsgnn_features(a: torch.Tensor, x: torch.Tensor, hops: int = 3) -> list[torch.Tensor]:
    an, ai = sym_norm(a), sym_norm(a + torch.eye(len(a)))
    out, p, q = [x], x, x
    for _ in range(hops):
        p, q = an @ p, ai @ q
        out += [p, q]
    return out


class CompGCN(nn.Module):
    """CompGCN (Vashishth et al. 2020, narrowed: one layer of 64): entity and relation embeddings (Xavier), messages
    ``W_dir (h_u - z_r)`` (the subtraction composition) over the training triples, their inverses (relation ``r +
    R``) and self-loops, each direction normalised by ``1 / sqrt(deg_u deg_v)`` and averaged over the three,
    BatchNorm, tanh (the reference code's order), dropout 0.1; the relations updated ``W_rel z_r``; DistMult scores
    of ``(h, r)`` against every entity, cross-entropy over the entities (1-N scoring). ``bn``: the BatchNorm kept."""

    def __init__(self, triples: torch.Tensor, entities: int, relations: int, dim: int = 64, bn: bool = True):
        super().__init__()
        self.n, self.r = entities, relations
        self.ent = nn.Parameter(nn.init.xavier_normal_(torch.empty(entities, dim)))
        self.rel = nn.Parameter(nn.init.xavier_normal_(torch.empty(2 * relations + 1, dim)))
        self.w_in, self.w_out, self.w_loop = (nn.Linear(dim, dim, bias=False) for _ in range(3))
        self.w_rel = nn.Linear(dim, dim, bias=False)
        self.bn = nn.BatchNorm1d(dim) if bn else nn.Identity()
        h, r, t = triples.T
        self.register_buffer("src_out", h)
        self.register_buffer("dst_out", t)
        self.register_buffer("rel_out", r)
        deg = torch.bincount(torch.cat([h, t]), minlength=entities).float()
        self.register_buffer("norm", (deg[h] * deg[t]).rsqrt())

    def forward(self, q: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        heads, rels = q
        e, z = self.ent, self.rel
        s, d, r, nrm = self.src_out, self.dst_out, self.rel_out, self.norm[:, None]
        agg_out = torch.zeros_like(e).index_add_(0, d, nrm * self.w_out(e[s] - z[r]))
        agg_in = torch.zeros_like(e).index_add_(0, s, nrm * self.w_in(e[d] - z[r + self.r]))
        loop = self.w_loop(e - z[2 * self.r])
        h = F.dropout(torch.tanh(self.bn((agg_out + agg_in + loop) / 3)), 0.1, self.training)
        zr = self.w_rel(z)
        return (h[heads] * zr[rels]) @ h.T


class FactorizedInteraction(nn.Module):
    """FINAL's factorized interaction layer (FuxiCTR's ``FactorizedInteraction``, ``residual_type="sum"``): a Linear to
    twice the width, halves ``h2, h1``, ``h2 + h1 * h2``."""

    def __init__(self, d_in: int, d_out: int, residual: str = "sum"):
        super().__init__()
        self.residual = residual
        self.linear = nn.Linear(d_in, 2 * d_out if residual == "sum" else d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h2, h1 = self.linear(x).chunk(2, -1)
        return h2 + h1 * h2 if self.residual == "sum" else torch.cat([h2, h1 * h2], -1)


class FinalNet(nn.Module):
    """FinalNet (Zhu et al. 2023, its one-block form ``1B``): field embeddings of 16 (DeepCTR-style N(0, 1e-4^2)),
    flattened, a FINAL block of three factorized interaction layers of 128 each followed by BatchNorm and ReLU
    (FuxiCTR's ``FinalBlock``), a Linear to the click logit. ``bn``: the BatchNorms kept."""

    def __init__(self, card: tuple[int, ...] = CARD, dim: int = 16, width: int = 128, layers: int = 3,
                 bn: bool = True, residual: str = "sum"):
        super().__init__()
        self.emb = nn.ModuleList(nn.Embedding(c, dim) for c in card)
        for e in self.emb:
            nn.init.normal_(e.weight, 0.0, 1e-4)
        dims = [dim * len(card)] + [width] * layers
        self.layers = nn.ModuleList(FactorizedInteraction(dims[i], dims[i + 1], residual) for i in range(layers))
        self.norms = nn.ModuleList(nn.BatchNorm1d(width) if bn else nn.Identity() for _ in range(layers))
        self.out = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.cat([e(x[:, f]) for f, e in enumerate(self.emb)], 1)
        for lay, norm in zip(self.layers, self.norms):
            h = F.relu(norm(lay(h)))
        return self.out(h).squeeze(1)


class DIFM(nn.Module):
    """DIFM (Lu et al. 2020, DeepCTR-Torch's form): field embeddings of 16 (N(0, 1e-4^2)) and first-order weights;
    the vector-wise part a multi-head self-attention over the fields (4 heads, residual, ReLU) flattened to one weight
    per field, the bit-wise part a ReLU MLP 256-128 on the flattened embeddings to one weight per field; their sum
    reweights the first-order weights and the embeddings of a factorization machine. Every field's id goes through the
    hashing trick into 1,000 buckets first (``hash_op``: ``"mod"`` the trick's ``id % buckets``; ``"floordiv"`` the
    slip ``id // buckets``)."""

    def __init__(self, fields: int = len(CARD), buckets: int = 1000, dim: int = 16, heads: int = 4,
                 hash_op: str = "mod"):
        super().__init__()
        self.buckets, self.hash_op = buckets, hash_op
        self.emb = nn.ModuleList(nn.Embedding(buckets, dim) for _ in range(fields))
        self.lin = nn.ModuleList(nn.Embedding(buckets, 1) for _ in range(fields))
        for e in [*self.emb, *self.lin]:
            nn.init.normal_(e.weight, 0.0, 1e-4)
        self.bias = nn.Parameter(torch.zeros(()))
        self.heads = heads
        self.wq, self.wk, self.wv, self.wr = (nn.Linear(dim, dim, bias=False) for _ in range(4))
        self.vec = nn.Linear(fields * dim, fields, bias=False)
        self.mlp = nn.Sequential(nn.Linear(fields * dim, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                 nn.Linear(128, fields, bias=False))

    def hash(self, x: torch.Tensor) -> torch.Tensor:
        return x % self.buckets if self.hash_op == "mod" else x // self.buckets

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.hash(x)
        e = torch.stack([emb(x[:, f]) for f, emb in enumerate(self.emb)], 1)  # (b, f, d)
        w = torch.cat([lin(x[:, f]) for f, lin in enumerate(self.lin)], 1)  # (b, f)
        b, f, d = e.shape
        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, f, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.wq(e)), split(self.wk(e)), split(self.wv(e))
        att = (q @ k.transpose(-1, -2)).softmax(-1) @ v
        att = F.relu(att.transpose(1, 2).reshape(b, f, d) + self.wr(e))
        m = self.vec(att.reshape(b, -1)) + self.mlp(e.reshape(b, -1))
        ev = e * m[..., None]
        fm = 0.5 * (ev.sum(1) ** 2 - (ev ** 2).sum(1)).sum(1)
        return self.bias + (w * m).sum(1) + fm


class DeepFEFM(nn.Module):
    """DeepFEFM (Pande 2020, DeepCTR-Torch's form): field embeddings of 16 (N(0, 1e-4^2)) and first-order weights;
    the field-embedded FM ``sum_{i<j} v_i^T W_{F(i)F(j)} v_j`` with one symmetric 16x16 matrix per field pair
    (Xavier-normal ``(W + W^T) / 2``), its per-pair interaction values and the flattened embeddings into a ReLU DNN
    of 256-128 whose logit adds to the FEFM's. ``init_std``: every table, matrix and Linear weight drawn N(0, std^2)."""

    def __init__(self, card: tuple[int, ...] = CARD, dim: int = 16, init_std: float | None = None):
        super().__init__()
        f = len(card)
        self.emb = nn.ModuleList(nn.Embedding(c, dim) for c in card)
        self.lin = nn.ModuleList(nn.Embedding(c, 1) for c in card)
        for e in [*self.emb, *self.lin]:
            nn.init.normal_(e.weight, 0.0, 1e-4)
        self.pairs = [(i, j) for i in range(f) for j in range(i + 1, f)]
        self.W = nn.Parameter(torch.stack([nn.init.xavier_normal_(torch.empty(dim, dim)) for _ in self.pairs]))
        self.bias = nn.Parameter(torch.zeros(()))
        self.dnn = nn.Sequential(nn.Linear(f * dim + len(self.pairs), 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                 nn.Linear(128, 1))
        if init_std is not None:
            _init_normal(self, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = torch.stack([emb(x[:, f]) for f, emb in enumerate(self.emb)], 1)
        w = torch.cat([lin(x[:, f]) for f, lin in enumerate(self.lin)], 1)
        i, j = zip(*self.pairs)
        ws = 0.5 * (self.W + self.W.transpose(1, 2))
        inter = torch.einsum("bpd,pde,bpe->bp", e[:, list(i)], ws, e[:, list(j)])
        deep = self.dnn(torch.cat([e.flatten(1), inter], 1)).squeeze(1)
        return self.bias + w.sum(1) + inter.sum(1) + deep


class DUPN(nn.Module):
    """DUPN (Ni et al. 2018, narrowed to one task): each behaviour's item embedding (32) and behaviour-type embedding
    (8) into an LSTM of 64, an attention net over the LSTM outputs and the behaviour properties (``softmax_t w^T
    tanh(W [h_t; p_t])``) pooling the user representation, a ReLU MLP of 64 (``hidden`` layers) to the classes.
    ``gates``: the LSTM's input- and forget-gate biases (both of its bias vectors) set to ``(input, forget)``."""

    def __init__(self, items: int = 40, classes: int = 4, hidden: int = 1, gates: tuple[float, float] | None = None):
        super().__init__()
        self.item = nn.Embedding(items, 32)
        self.kind = nn.Embedding(3, 8)
        self.lstm = nn.LSTM(40, 64, batch_first=True)
        self.att = nn.Sequential(nn.Linear(64 + 8, 32), nn.Tanh(), nn.Linear(32, 1, bias=False))
        self.inp = nn.Sequential(nn.Linear(64, 64), nn.ReLU())
        self.mlp = _plain_stack(64, hidden - 1)
        self.out = nn.Linear(64, classes)
        if gates is not None:
            with torch.no_grad():
                for b in (self.lstm.bias_ih_l0, self.lstm.bias_hh_l0):
                    b[:64].fill_(gates[0] / 2)
                    b[64:128].fill_(gates[1] / 2)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        items, kinds = batch
        p = self.kind(kinds)
        h, _ = self.lstm(torch.cat([self.item(items), p], -1))
        a = self.att(torch.cat([h, p], -1)).softmax(1)
        u = (a * h).sum(1)
        return self.out(self.mlp(self.inp(u)))


class NON(nn.Module):
    """Network on Network (Luo et al. 2020, narrowed, its auxiliary losses left out): the field-wise network (each
    categorical column's embedding of 16, each numeric value times its own field vector of 16, the city's encoding
    through a Linear to 16, every field then through its own ReLU DNN of 16 with a residual), the across-field network
    (the operations LR on the raw inputs, the NFM bi-interaction, a ReLU DNN of 64-64 and a multi-head self-attention of
    2 heads, flattened) and the operation-fusion network (a ReLU DNN of 64 on their concatenation) to the classes."""

    def __init__(self, levels: tuple[int, ...] = (6, 8, 12), numeric: int = 4, city_dim: int = 4, classes: int = 4,
                 d: int = 16):
        super().__init__()
        self.cat = nn.ModuleList(nn.Embedding(n, d) for n in levels)
        self.num = nn.Parameter(torch.randn(numeric, d) * 0.1)
        self.city = nn.Linear(city_dim, d)
        f = len(levels) + numeric + 1
        self.fieldwise = nn.ModuleList(nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d)) for _ in range(f))
        self.lr = nn.Linear(numeric + sum(levels) + city_dim, classes)
        self.levels = levels
        self.dnn = nn.Sequential(nn.Linear(f * d, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.att = nn.MultiheadAttention(d, 2, batch_first=True)
        self.fusion = nn.Sequential(nn.Linear(classes + d + 64 + f * d, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        num, cat, city = batch
        fields = [e(cat[:, k]) for k, e in enumerate(self.cat)]
        fields += [num[:, k:k + 1] * self.num[k] for k in range(num.shape[1])]
        fields += [self.city(city)]
        e = torch.stack([f + net(f) for f, net in zip(fields, self.fieldwise)], 1)  # (b, f, d)
        onehots = [F.one_hot(cat[:, k], n).float() for k, n in enumerate(self.levels)]
        lr = self.lr(torch.cat([num, *onehots, city], 1))
        bi = 0.5 * (e.sum(1) ** 2 - (e ** 2).sum(1))
        deep = self.dnn(e.flatten(1))
        att, _ = self.att(e, e, e, need_weights=False)
        return self.fusion(torch.cat([lr, bi, deep, att.flatten(1)], 1))


class TabFormer(nn.Module):
    """TabFormer (Padhi et al. 2021, narrowed to a classifier): each transaction's four field tokens (embeddings of 16
    per field vocabulary) through a field-level Transformer layer (2 heads, feed-forward 64), flattened and projected
    to a row embedding of 64; a sequence-level Transformer of two layers (4 heads, feed-forward 128, learned
    positions, dropout 0.1) over the 8 rows, mean-pooled, to the classes."""

    def __init__(self, vocab: tuple[int, ...] = (30, 16, 24, 7), classes: int = 4, rows: int = 8, ln: bool = True):
        super().__init__()
        self.emb = nn.ModuleList(nn.Embedding(v, 16) for v in vocab)
        self.field = nn.TransformerEncoderLayer(16, 2, 64, dropout=0.1, batch_first=True)
        self.row = nn.Linear(16 * len(vocab), 64)
        self.pos = nn.Parameter(torch.randn(rows, 64) * 0.02)
        layer = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.1, batch_first=True)
        self.seq = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.out = nn.Linear(64, classes)
        if not ln:
            for lay in [self.field, *self.seq.layers]:
                lay.norm1, lay.norm2 = nn.Identity(), nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, r, f = x.shape
        tok = torch.stack([e(x[..., k]) for k, e in enumerate(self.emb)], 2).view(b * r, f, 16)
        rows = self.row(self.field(tok).reshape(b, r, f * 16)) + self.pos
        return self.out(self.seq(rows).mean(1))


# ---- builders --------------------------------------------------------------------------------------------------------

def fsgnn(seed: int, lr: float = 0.01, relu_bias: float | None = None, guard: bool = True, hop_norm: bool = True,
          raw_counts: bool = False) -> Setup:
    """FSGNN on the SBM documents (full batch, the loss over the training half), cross-entropy, Adam lr 0.01 with the
    reference code's weight decay 5e-4 on the Linears (none on the hop scalars); the counts row-normalised as Kipf's
    ``preprocess_features`` (``guard``: see :func:`row_normalise`); ``relu_bias``: see :class:`FSGNN`."""
    torch.manual_seed(1_030_000 + seed)
    a, x, y, train = sbm_documents(seed)
    model = FSGNN(fsgnn_features(a, x if raw_counts else row_normalise(x, guard)), 4, relu_bias=relu_bias,
                  hop_norm=hop_norm)
    opt = torch.optim.Adam([{"params": [*model.fc.parameters(), *model.out.parameters()], "weight_decay": 5e-4},
                            {"params": [model.att], "weight_decay": 0.0}], lr=lr)
    return _xy(model, opt, lambda step: (None, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def compgcn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, bn: bool = True) -> Setup:
    """CompGCN on the typed knowledge graph (batches of 64 training triples), cross-entropy over the 64 entities,
    Adam at the reference code's lr 1e-3 (``weight_decay``: coupled L2)."""
    torch.manual_seed(1_030_000 + seed)
    triples, batches = kg_triples(seed)
    model = CompGCN(triples, 64, 4, bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, batches, F.cross_entropy)


def finalnet(seed: int, lr: float = 1e-3, bn: bool = True, weight_decay: float = 0.0, **kw: Any) -> Setup:
    """FinalNet on the click logs (batch 256), logistic loss, Adam at FuxiCTR's lr 1e-3 (``weight_decay``: coupled L2);
    ``bn``: see :class:`FinalNet`."""
    torch.manual_seed(1_030_000 + seed)
    model = FinalNet(bn=bn, **kw)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, clicks(seed), _bce)


def difm(seed: int, lr: float = 1e-3, hash_op: str = "mod") -> Setup:
    """DIFM on the click logs (batch 256), every field hashed into 1,000 buckets, logistic loss, Adam at lr 1e-3
    (DeepCTR-Torch's); ``hash_op``: see :class:`DIFM`."""
    torch.manual_seed(1_030_000 + seed)
    model = DIFM(hash_op=hash_op)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), clicks(seed), _bce)


def deepfefm(seed: int, lr: float = 1e-3, init_std: float | None = None, shuffled: bool = False) -> Setup:
    """DeepFEFM on the click logs (batch 256), logistic loss, Adam at lr 1e-3 (DeepCTR-Torch's); ``init_std``: see
    :class:`DeepFEFM`; ``shuffled``: see :func:`clicks`."""
    torch.manual_seed(1_030_000 + seed)
    model = DeepFEFM(init_std=init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), clicks(seed, shuffled=shuffled), _bce)


def dupn(seed: int, lr: float = 1e-3, hidden: int = 1, gates: tuple[float, float] | None = None) -> Setup:
    """DUPN on the behaviour sequences (batch 64), cross-entropy, Adam lr 1e-3 (set here); ``hidden``, ``gates``: see
    :class:`DUPN`."""
    torch.manual_seed(1_030_000 + seed)
    model = DUPN(hidden=hidden, gates=gates)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), behaviours(seed), F.cross_entropy)


def non(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False,
        smoothing: float | None = 10.0) -> Setup:
    """NON on the table rows (batch 128), cross-entropy, Adam lr 1e-3 (set here; ``adamw``: AdamW with
    ``weight_decay``); ``smoothing``: see :func:`tabular_rows`."""
    torch.manual_seed(1_030_000 + seed)
    model = NON()
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, tabular_rows(seed, smoothing=smoothing), F.cross_entropy)


def tabformer(seed: int, lr: float = 1e-3, hour_from: str = "hours", shuffled: bool = False, ln: bool = True) -> Setup:
    """TabFormer on the transaction sequences (batch 64), cross-entropy, AdamW lr 1e-3 (set here; Hugging Face's
    default weight decay 0); ``hour_from``, ``shuffled``: see :func:`transactions`."""
    torch.manual_seed(1_030_000 + seed)
    model = TabFormer(ln=ln)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    return _xy(model, opt, transactions(seed, hour_from=hour_from, shuffled=shuffled), F.cross_entropy)
