"""Builders of the hundred-and-eighth held-out batch (``fresh107.py``): graph-learning, recommender and tabular models
new to the corpus at their usual settings, and broken variants with one real fault each, plus the small synthetic data
sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never
tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(1_070_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(107_000 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _own_loss(out: torch.Tensor, _: Any) -> torch.Tensor:
    """For models whose forward returns their own loss."""
    return out


def _init_normal(model: nn.Module, std: float) -> None:
    """Every Linear and Embedding weight drawn N(0, std^2) (the init commons)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.normal_(0.0, std)


def _shift_biases(model: nn.Module, value: float, kind: type = nn.Linear) -> None:
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, kind) and m.bias is not None:
                m.bias.fill_(value)


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm_graph(seed: int, n: int = 240, classes: int = 4, features: int = 32) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 60 nodes, edge probabilities 0.08 within a class and 0.008
    across), its symmetric adjacency without self-loops, weak node features (the class's fixed mean direction times
    0.3 plus N(0, 1) noise) and the labels; the first half of a fixed random order is the training set:
    ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.08, 0.008)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    means = torch.randn(classes, features, generator=_fixed(1))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def kg_triples(seed: int, entities: int = 120, relations: int = 6, batch: int = 128, negatives: int = 16
               ) -> Callable[[int], Any]:
    """A small knowledge graph of 120 entities and 6 relations: relation ``r`` maps entity ``h`` to ``(a_r h + b_r) mod
    120`` with ``a_r`` coprime with 120 and fixed offsets ``b_r`` (relation 3 the inverse map of relation 0, relation
    5, ``a = 119 = -1``, an involution: a symmetric relation); batches of 128 random (h, r, t) triples with 16
    uniformly drawn negative tails each: ``((heads, relations, tails, negative tails (b, 16)), zeros)``."""
    coef = [7, 11, 13, 103, 23, 119]  # 103 = 7^-1 mod 120
    off = torch.randint(0, entities, (relations,), generator=_fixed(2)).tolist()
    off[3] = (-off[0] * 103) % entities
    a = torch.tensor(coef)
    b = torch.tensor(off)

    def make(g: torch.Generator, _: int) -> Any:
        h = torch.randint(0, entities, (batch,), generator=g)
        r = torch.randint(0, relations, (batch,), generator=g)
        t = (a[r] * h + b[r]) % entities
        neg = torch.randint(0, entities, (batch, negatives), generator=g)
        return (h, r, t, neg), torch.zeros(batch)
    return _pool(seed, make)


def interactions(seed: int, batch: int = 32, length: int = 12, items: int = 40, classes: int = 4,
                 zero_gaps: float = 0.15, pull: float = 0.35) -> Callable[[int], Any]:
    """Users' interaction sequences for JODIE's state-change prediction: each user has a state (4 classes) and 12
    (item, time gap) events; an item is drawn from the user's class (``item % 4 == state``) with probability 0.35 and
    uniformly otherwise, so the state shows only in the counts over the whole history; the gaps exponential (mean
    1 h, in hours) with 15% of them exactly 0 (events logged in the same second): ``((items (b, 12), gaps (b, 12)),
    state (b,))``."""
    per = items // classes

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        own = torch.randint(0, per, (batch, length), generator=g) * classes + y[:, None]
        it = torch.where(torch.rand(batch, length, generator=g) < pull, own,
                         torch.randint(0, items, (batch, length), generator=g))
        gaps = -torch.log(torch.rand(batch, length, generator=g).clamp_min(1e-6))
        gaps = torch.where(torch.rand(batch, length, generator=g) < zero_gaps, torch.zeros_like(gaps), gaps)
        return (it, gaps), y
    return _pool(seed, make)


def item_sequences(seed: int, batch: int = 16, length: int = 20, items: int = 64, shuffled: bool = False
                   ) -> Callable[[int], Any]:
    """Item sequences from the corpus' sparse Markov chain over 64 items with timestamps (integer minutes, gaps 0 to
    30): ``((items (b, 20), times (b, 20)), next items (b, 20))``; ids are shifted by 1 (0 is TiSASRec's padding).
    ``shuffled``: the next-item rows permuted within every batch, apart from their sequences."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, items)
        times = torch.randint(0, 31, (batch, length), generator=g).cumsum(1)
        y = x[:, 1:]
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return (x[:, :-1] + 1, times), y
    return _pool(seed, make)


def _teacher_mlp(features: int, classes: int) -> Callable[[torch.Tensor], torch.Tensor]:
    fg = _fixed(3)
    w1 = torch.randn(features, 32, generator=fg) / math.sqrt(features)
    w2 = torch.randn(32, classes, generator=fg) / math.sqrt(32)
    return lambda x: torch.tanh(2 * x @ w1) @ w2


def table(seed: int, batch: int = 64, features: int = 16, classes: int = 4, shuffled: bool = False
          ) -> Callable[[int], Any]:
    """Standardised tabular rows (16 features, half Gaussian and half uniform) labelled by a fixed random tanh teacher
    (4 classes, argmax): ``(rows, class)``; ``shuffled``: the labels permuted within every batch."""
    teacher = _teacher_mlp(features, classes)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        x[:, features // 2:] = (torch.rand(batch, features // 2, generator=g) - 0.5) * math.sqrt(12)
        y = teacher(x).argmax(1)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def clicks(seed: int, batch: int = 128, fields: int = 6, values: int = 8) -> Callable[[int], Any]:
    """Click logs of 6 categorical fields of 8 values each, the click decided by fixed random pairwise and
    three-way field interactions (a rank-2 order-2 and a rank-2 order-3 factorisation, logit > 0):
    ``(value ids (b, 6), click (b,))``."""
    fg = _fixed(4)
    v2 = torch.randn(fields, values, 2, generator=fg)
    v3 = torch.randn(fields, values, 2, generator=fg)

    def logit(ids: torch.Tensor) -> torch.Tensor:
        e2 = v2[torch.arange(fields), ids]  # (b, f, 2)
        e3 = v3[torch.arange(fields), ids]
        s2 = 0.5 * (e2.sum(1) ** 2 - (e2 ** 2).sum(1)).sum(-1)
        p1, p2, p3 = e3.sum(1), (e3 ** 2).sum(1), (e3 ** 3).sum(1)
        s3 = ((p1 ** 3 - 3 * p1 * p2 + 2 * p3) / 6).sum(-1)
        return s2 + 0.5 * s3

    def make(g: torch.Generator, _: int) -> Any:
        ids = torch.randint(0, values, (batch, fields), generator=g)
        return ids, (logit(ids) > 0).float()
    return _pool(seed, make)


# ---- Specformer ------------------------------------------------------------------------------------------------------

class Specformer(nn.Module):
    """Specformer (Bo et al. 2023), narrowed: the eigendecomposition of the normalised Laplacian ``L = U diag(lam)
    U^T``; each eigenvalue encoded ``[lam, sin/cos(100 lam / 10000^(2i/32))]`` and lifted to 32, one pre-LN Transformer
    layer (4 heads) over the 240 eigenvalue tokens, a decoder to 4 new eigenvalue sets, the bases ``U diag(lam_m) U^T``;
    the node features through ``Linear -> ReLU`` to 32, one spectral layer ``concat_m(S_m H) W`` with its ReLU and
    dropout, the classifier. ``relu_bias``: every feature ReLU's shift."""

    def __init__(self, a: torch.Tensor, fin: int, classes: int, hidden: int = 32, bases: int = 4,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        deg = a.sum(1)
        dinv = torch.where(deg > 0, deg.clamp_min(1e-12) ** -0.5, torch.zeros_like(deg))
        lap = torch.eye(a.shape[0]) - dinv[:, None] * a * dinv[None]
        lam, u = torch.linalg.eigh(lap)
        self.register_buffer("lam", lam)
        self.register_buffer("u", u)
        self.hidden, self.bases = hidden, bases
        self.eig_in = nn.Linear(hidden + 1, hidden)
        self.eig_layer = nn.TransformerEncoderLayer(hidden, 4, 2 * hidden, dropout=0.1, batch_first=True,
                                                    norm_first=True)
        self.eig_out = nn.Linear(hidden, bases)
        self.feat = nn.Linear(fin, hidden)
        self.mix = nn.Linear(bases * hidden, hidden)
        self.head = nn.Linear(hidden, classes)
        self.drop = nn.Dropout(0.3)
        if relu_bias is not None:
            with torch.no_grad():
                self.feat.bias.fill_(relu_bias)
                self.mix.bias.fill_(relu_bias)

    def encode(self) -> torch.Tensor:
        lam = self.lam[:, None]
        i = torch.arange(self.hidden // 2, dtype=lam.dtype)
        ang = 100 * lam / 10000 ** (2 * i / self.hidden)
        e = torch.cat([lam, torch.sin(ang), torch.cos(ang)], 1)
        z = self.eig_layer(self.eig_in(e)[None])[0]
        return self.eig_out(z)  # (n, bases): new eigenvalues

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        new = self.encode()
        h = self.drop(F.relu(self.feat(x)))
        uh = self.u.T @ h  # (n, hidden) in the spectral domain
        outs = [self.u @ (new[:, m:m + 1] * uh) for m in range(self.bases)]
        h = self.drop(F.relu(self.mix(torch.cat(outs, 1))))
        return self.head(h)


def specformer(seed: int, lr: float = 5e-3, relu_bias: float | None = None) -> Setup:
    """Specformer on the SBM graph (full batch, the loss over the training half), cross-entropy, AdamW at lr 5e-3 with
    weight decay 5e-4 (the reference code's range); ``relu_bias``: see :class:`Specformer`."""
    torch.manual_seed(1_070_000 + seed)
    a, x, y, train = sbm_graph(seed)
    model = Specformer(a, x.shape[1], 4, relu_bias=relu_bias)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


# ---- Ordered GNN -----------------------------------------------------------------------------------------------------

class OrderedGNN(nn.Module):
    """Ordered GNN (Song et al. 2023), narrowed: an input Linear to 64, eight ordered message-passing layers: the sum of
    the neighbours' states ``m = A h``, a gate ``cumsum(softmax(W [h, m]))`` over 8 chunks of 8 neurons expanded to the
    neurons (the split point: the lower neurons keep ``h``, the upper take ``m``), ``h = g h + (1 - g) m``, the
    reference code's LayerNorm (``tm_norm``) and dropout 0.2; the classifier. ``ln``: the LayerNorms kept."""

    def __init__(self, a: torch.Tensor, fin: int, classes: int, hidden: int = 64, layers: int = 8, chunks: int = 8,
                 ln: bool = True) -> None:
        super().__init__()
        self.register_buffer("a", a)
        self.chunks, self.size = chunks, hidden // chunks
        self.inp = nn.Linear(fin, hidden)
        self.gates = nn.ModuleList(nn.Linear(2 * hidden, chunks) for _ in range(layers))
        self.norms = nn.ModuleList((nn.LayerNorm(hidden) if ln else nn.Identity()) for _ in range(layers))
        self.head = nn.Linear(hidden, classes)
        self.drop = nn.Dropout(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(F.relu(self.inp(x)))
        for gate, norm in zip(self.gates, self.norms):
            m = self.a @ h
            g = torch.cumsum(F.softmax(gate(torch.cat([h, m], 1)), -1), -1)
            g = g.repeat_interleave(self.size, 1)
            h = self.drop(norm(g * h + (1 - g) * m))
        return self.head(h)


def ordered_gnn(seed: int, lr: float = 5e-3, ln: bool = True) -> Setup:
    """Ordered GNN on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at lr 5e-3 with
    weight decay 5e-4 (the reference code's heterophily-benchmark setting); ``ln``: see :class:`OrderedGNN`."""
    torch.manual_seed(1_070_000 + seed)
    a, x, y, train = sbm_graph(seed)
    model = OrderedGNN(a, x.shape[1], 4, ln=ln)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


# ---- RotatE ----------------------------------------------------------------------------------------------------------

class RotatE(nn.Module):
    """RotatE (Sun et al. 2019): complex entity embeddings of 16 (``[re | im]``), relations as phases ``theta =
    r / (range / pi)`` (the reference code's), the distance ``sum |h o e^(i theta) - t|``, margin ``gamma = 6``; the
    self-adversarial negative-sampling loss (temperature 1, the weights detached) averaged over positives and
    negatives; the reference code's uniform init in ``+-(gamma + 2) / d``."""

    def __init__(self, entities: int = 120, relations: int = 6, dim: int = 16, gamma: float = 6.0) -> None:
        super().__init__()
        self.gamma, self.dim = gamma, dim
        self.range = (gamma + 2.0) / dim
        self.ent = nn.Parameter(torch.empty(entities, 2 * dim).uniform_(-self.range, self.range))
        self.rel = nn.Parameter(torch.empty(relations, dim).uniform_(-self.range, self.range))

    def distance(self, h: torch.Tensor, r: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        hr, hi = self.ent[h].chunk(2, -1)
        tr, ti = self.ent[t].chunk(2, -1)
        phase = self.rel[r] / (self.range / math.pi)
        c, s = torch.cos(phase), torch.sin(phase)
        dr, di = hr * c - hi * s - tr, hr * s + hi * c - ti
        return torch.sqrt(dr ** 2 + di ** 2).sum(-1)

    def forward(self, batch: Any) -> torch.Tensor:
        h, r, t, neg = batch
        pos = F.logsigmoid(self.gamma - self.distance(h, r, t))
        nd = self.distance(h[:, None].expand_as(neg), r[:, None].expand_as(neg), neg)
        w = F.softmax(self.gamma - nd, -1).detach()
        negl = (w * F.logsigmoid(nd - self.gamma)).sum(-1)
        return -(pos.mean() + negl.mean()) / 2


def rotate(seed: int, lr: float = 0.01, weight_decay: float = 0.0) -> Setup:
    """RotatE on the small modular knowledge graph, its own loss, Adam at lr 0.01 (set here for 200 steps on 120
    entities; the reference code's 1e-4 is for FB15k-sized graphs); ``weight_decay``: Adam's coupled L2."""
    torch.manual_seed(1_070_000 + seed)
    model = RotatE()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, kg_triples(seed), _own_loss)


# ---- JODIE -----------------------------------------------------------------------------------------------------------

class JODIE(nn.Module):
    """JODIE (Kumar et al. 2019), narrowed to the user side for state-change prediction: static item embeddings of 16
    and the time feature ``log1p(gap)``, the user's dynamic embedding updated at every interaction by a tanh RNN cell
    of 32 from zero, ``u <- tanh(W_u u + W_i [item, f(gap)])`` and normalised as the reference code does
    (``F.normalize``), JODIE's projection ``(1 + W_p f(gap)) o u`` over the last gap, the state-change MLP 32 -> 32 ->
    4.
    ``log_gap``: the time feature ``log(gap)`` in place of ``log1p(gap)``; ``radius``: the recurrent matrix rescaled
    to that spectral radius."""

    def __init__(self, items: int = 40, emb: int = 16, hidden: int = 32, classes: int = 4, log_gap: bool = False,
                 radius: float | None = None) -> None:
        super().__init__()
        self.item = nn.Embedding(items, emb)
        self.cell = nn.RNNCell(emb + 1, hidden)
        self.proj = nn.Linear(1, hidden)
        self.out = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, classes))
        self.log_gap = log_gap
        with torch.no_grad():
            nn.init.normal_(self.proj.weight, 0.0, 1.0 / math.sqrt(hidden))
            nn.init.zeros_(self.proj.bias)
            if radius is not None:
                w = self.cell.weight_hh
                w.mul_(radius / torch.linalg.eigvals(w).abs().max())

    def forward(self, batch: Any) -> torch.Tensor:
        items, gaps = batch
        f = torch.log(gaps) if self.log_gap else torch.log1p(gaps)
        e = self.item(items)
        u = torch.zeros(items.shape[0], self.cell.hidden_size)
        for t in range(items.shape[1]):
            u = F.normalize(self.cell(torch.cat([e[:, t], f[:, t:t + 1]], 1), u), dim=1)
        u = (1 + self.proj(f[:, -1:])) * u
        return self.out(u)


def jodie(seed: int, lr: float = 3e-3, log_gap: bool = False, radius: float | None = None) -> Setup:
    """JODIE on the users' interaction sequences (batch 32), cross-entropy on the state, Adam at lr 3e-3 (the
    reference code's 1e-3 did not learn in 200 steps) with its weight decay 1e-5; ``log_gap``, ``radius``: see
    :class:`JODIE`."""
    torch.manual_seed(1_070_000 + seed)
    model = JODIE(log_gap=log_gap, radius=radius)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, interactions(seed), F.cross_entropy)


# ---- TiSASRec --------------------------------------------------------------------------------------------------------

class WeightNormEmbedding(nn.Module):
    """An item table under a hand-written weight normalisation with one magnitude for the whole table,
    ``E = g V / ||V||`` (``dim=None``), ``g`` started at 1 where ``||V||`` (what ``weight_norm`` sets) belongs."""

    def __init__(self, rows: int, dim: int) -> None:
        super().__init__()
        self.v = nn.Parameter(torch.randn(rows, dim) * dim ** -0.5)
        self.g = nn.Parameter(torch.ones(()))

    @property
    def weight(self) -> torch.Tensor:
        return self.g * self.v / self.v.norm()

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.weight)


class TiSASRec(nn.Module):
    """TiSASRec (Li, Wang and McAuley 2020), narrowed: item embeddings of 32 (N(0, 1/d), padding id 0, times sqrt(d)),
    absolute-position and clipped time-interval embeddings (intervals personalised by the sequence's smallest gap,
    clipped at k = 16) on the keys and on the values, two pre-LN blocks of single-head time-interval-aware causal
    attention and a ReLU feed-forward, dropout 0.2, the final LayerNorm; the next item scored against the tied item
    table over all 64 items (full softmax in place of the paper's sampled BCE). ``weight_norm``: the item table
    under :class:`WeightNormEmbedding`."""

    def __init__(self, items: int = 64, d: int = 32, length: int = 20, k: int = 16, blocks: int = 2,
                 weight_norm: bool = False) -> None:
        super().__init__()
        self.d, self.k = d, k
        self.item = WeightNormEmbedding(items + 1, d) if weight_norm else nn.Embedding(items + 1, d)
        if not weight_norm:
            nn.init.normal_(self.item.weight, 0.0, d ** -0.5)
        self.pos_k, self.pos_v = nn.Embedding(length, d), nn.Embedding(length, d)
        self.int_k, self.int_v = nn.Embedding(k + 1, d), nn.Embedding(k + 1, d)
        for e in (self.pos_k, self.pos_v, self.int_k, self.int_v):
            nn.init.normal_(e.weight, 0.0, d ** -0.5)
        self.ln1 = nn.ModuleList(nn.LayerNorm(d) for _ in range(blocks))
        self.ln2 = nn.ModuleList(nn.LayerNorm(d) for _ in range(blocks))
        self.q = nn.ModuleList(nn.Linear(d, d) for _ in range(blocks))
        self.kv = nn.ModuleList(nn.Linear(d, 2 * d) for _ in range(blocks))
        self.ff = nn.ModuleList(nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Dropout(0.2), nn.Linear(d, d))
                                for _ in range(blocks))
        self.last = nn.LayerNorm(d)
        self.drop = nn.Dropout(0.2)

    def forward(self, batch: Any) -> torch.Tensor:
        items, times = batch
        n = items.shape[1]
        x = self.drop(self.item(items) * self.d ** 0.5)
        gap = (times[:, :, None] - times[:, None, :]).abs()
        scale = gap.masked_fill(gap == 0, 10 ** 6).flatten(1).min(1).values.clamp_min(1)
        rel = (gap // scale[:, None, None]).clamp_max(self.k)
        pos = torch.arange(n)
        causal = torch.ones(n, n, dtype=torch.bool).triu(1)
        for ln1, ln2, q, kv, ff in zip(self.ln1, self.ln2, self.q, self.kv, self.ff):
            h = ln1(x)
            qq = q(h)
            kk, vv = kv(h).chunk(2, -1)
            kk = kk + self.pos_k(pos)
            vv = vv + self.pos_v(pos)
            ik, iv = self.int_k(rel), self.int_v(rel)  # (b, n, n, d)
            s = (qq @ kk.transpose(1, 2) + (qq[:, :, None] * ik).sum(-1)) / self.d ** 0.5
            att = self.drop(s.masked_fill(causal, float("-inf")).softmax(-1))
            x = x + att @ vv + (att[..., None] * iv).sum(2)
            x = x + self.drop(ff(ln2(x)))
        return self.last(x) @ self.item.weight[1:].T


def _seq_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def tisasrec(seed: int, lr: float = 1e-3, weight_norm: bool = False, shuffled: bool = False,
             init_std: float | None = None) -> Setup:
    """TiSASRec on the timed Markov item sequences (batch 16 of 20), next-item cross-entropy, Adam at the paper's lr
    1e-3 with betas (0.9, 0.98); ``weight_norm``: see :class:`TiSASRec`; ``shuffled``: see :func:`item_sequences`;
    ``init_std``: every Linear and embedding drawn N(0, init_std^2)."""
    torch.manual_seed(1_070_000 + seed)
    model = TiSASRec(weight_norm=weight_norm)
    if init_std is not None:
        _init_normal(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    return _xy(model, opt, item_sequences(seed, shuffled=shuffled), _seq_loss)


# ---- SNGP ------------------------------------------------------------------------------------------------------------

class SpectralLinear(nn.Linear):
    """A Linear under SNGP's spectral normalisation: one power iteration a training step on a persistent ``u``, the
    weight rescaled by ``min(1, c / sigma)`` (``c = 0.95``) so its spectral norm stays at most ``c``. ``zero_u``: the
    power iteration's ``u`` buffer started at zeros (``torch.zeros``) where a random unit vector belongs."""

    def __init__(self, fin: int, fout: int, c: float = 0.95, zero_u: bool = False) -> None:
        super().__init__(fin, fout)
        self.c = c
        u = torch.zeros(fout) if zero_u else F.normalize(torch.randn(fout), dim=0)
        self.register_buffer("u", u)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight
        with torch.no_grad():
            v = F.normalize(w.T @ self.u, dim=0)
            u = F.normalize(w @ v, dim=0)
            if self.training:
                self.u.copy_(u)
        sigma = u @ w @ v
        return F.linear(x, w * torch.clamp(self.c / sigma, max=1.0), self.bias)


class SNGP(nn.Module):
    """SNGP (Liu et al. 2020), narrowed to tabular rows: an input Linear to 128, three residual blocks ``h + drop(relu(
    SN(W) h))`` with spectral normalisation (bound 0.95), the Gaussian-process output layer on 512 random Fourier
    features ``sqrt(2 / D) cos(W h + b)`` (``W`` N(0, 1 / 128), the kernel's length scale sqrt(128) on the
    normalised inputs, set here, and ``b`` U(0, 2 pi), fixed; LayerNorm on its input as the
    reference code's ``gp_input_normalization``) and trained output weights; the posterior covariance (used only at
    prediction) left out. ``zero_u``: see :class:`SpectralLinear`."""

    def __init__(self, fin: int = 16, classes: int = 4, hidden: int = 128, blocks: int = 3, rff: int = 512,
                 zero_u: bool = False) -> None:
        super().__init__()
        self.inp = nn.Linear(fin, hidden)
        self.blocks = nn.ModuleList(SpectralLinear(hidden, hidden, zero_u=zero_u) for _ in range(blocks))
        self.gp_norm = nn.LayerNorm(hidden)
        self.register_buffer("rff_w", torch.randn(rff, hidden) / math.sqrt(hidden))
        self.register_buffer("rff_b", torch.rand(rff) * 2 * math.pi)
        self.beta = nn.Linear(rff, classes)
        self.drop = nn.Dropout(0.1)
        self.rff = rff

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for blk in self.blocks:
            h = h + self.drop(F.relu(blk(h)))
        phi = math.sqrt(2.0 / self.rff) * torch.cos(F.linear(self.gp_norm(h), self.rff_w, self.rff_b))
        return self.beta(phi)


def sngp(seed: int, lr: float = 3e-3, zero_u: bool = False, weight_decay: float = 1e-4, adamw: bool = False,
         shuffled: bool = False) -> Setup:
    """SNGP on the tabular rows (batch 64), cross-entropy, Adam at lr 3e-3 (set here) with weight decay 1e-4 (the
    reference code's L2); ``adamw``: AdamW with ``weight_decay``; ``zero_u``: see :class:`SpectralLinear`;
    ``shuffled``: see :func:`table`."""
    torch.manual_seed(1_070_000 + seed)
    model = SNGP(zero_u=zero_u)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, table(seed, shuffled=shuffled), F.cross_entropy)


# ---- SCARF -----------------------------------------------------------------------------------------------------------

def _mlp(fin: int, width: int, layers: int) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i in range(layers):
        mods += [nn.Linear(fin if i == 0 else width, width), nn.ReLU()]
    return nn.Sequential(*mods)


class SCARF(nn.Module):
    """SCARF (Bahri et al. 2022), narrowed: each row corrupted by replacing a random 60% of its features with the
    same features of other rows of the batch (draws from the empirical marginals), the encoder a ReLU MLP of 4 layers
    of 128 (``layers``), the pre-training head a ReLU MLP of 2 layers of 128; InfoNCE between each row's clean and
    corrupted embeddings over the batch, temperature 0.1 (set here; the paper's 1.0 caps the loss near its start with
    batches of 64). ``relu_bias``: every ReLU's shift."""

    def __init__(self, fin: int = 16, width: int = 128, layers: int = 4, relu_bias: float | None = None) -> None:
        super().__init__()
        self.encoder = _mlp(fin, width, layers)
        self.head = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))
        if relu_bias is not None:
            _shift_biases(self.encoder, relu_bias)
            with torch.no_grad():
                self.head[0].bias.fill_(relu_bias)

    def forward(self, batch: Any) -> torch.Tensor:
        x, donor, mask = batch
        corrupt = torch.where(mask, torch.gather(x, 0, donor), x)
        z1 = F.normalize(self.head(self.encoder(x)), dim=1)
        z2 = F.normalize(self.head(self.encoder(corrupt)), dim=1)
        return F.cross_entropy(z1 @ z2.T / 0.1, torch.arange(x.shape[0]))


def scarf_rows(seed: int, batch: int = 64, features: int = 16, rate: float = 0.6) -> Callable[[int], Any]:
    """The tabular rows without labels, each row's corruption drawn in advance: ``((rows, donors (b, f), mask (b,
    f)), None)``, feature ``j`` of row ``i`` replaced, where the mask is set, by feature ``j`` of row ``donors[i, j]``
    of the batch."""
    rows = table(seed, batch, features)

    def make(g: torch.Generator, i: int) -> Any:
        x, _ = rows(i)
        donor = torch.randint(0, batch, (batch, features), generator=g)
        mask = torch.rand(batch, features, generator=g) < rate
        return (x, donor, mask), None
    return _pool(seed, make)


def scarf(seed: int, lr: float = 1e-3, layers: int = 4, relu_bias: float | None = None) -> Setup:
    """SCARF pre-training on the tabular rows (batch 64), InfoNCE, Adam at the paper's lr 1e-3; ``layers``: the
    encoder's depth (the depth common stacks 30 at PyTorch's default init); ``relu_bias``: see :class:`SCARF`."""
    torch.manual_seed(1_070_000 + seed)
    model = SCARF(layers=layers, relu_bias=relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, scarf_rows(seed), _own_loss)


class LoRALinear(nn.Module):
    """A frozen pre-trained Linear with a LoRA adapter (Hu et al. 2021): ``W x + s B A x``, rank 4, alpha 8. The
    healthy adapter has ``A`` Kaiming-uniform, ``B`` zero and ``s = alpha / r = 2`` (the fine-tune starts at the
    pre-trained model); ``slip``: a hand-written adapter with ``B`` drawn like ``A`` (``nn.Linear``'s default) and the
    scale typed ``alpha * r = 32``."""

    def __init__(self, base: nn.Linear, r: int = 4, alpha: float = 8.0, slip: bool = False) -> None:
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.a = nn.Linear(base.in_features, r, bias=False)
        self.b = nn.Linear(r, base.out_features, bias=False)
        if not slip:
            nn.init.zeros_(self.b.weight)
        self.s = alpha * r if slip else alpha / r

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.s * self.b(self.a(x))


class SCARFClassifier(nn.Module):
    """The SCARF encoder fine-tuned with LoRA adapters on each of its Linears and a new linear head."""

    def __init__(self, encoder: nn.Sequential, classes: int = 4, slip: bool = False) -> None:
        super().__init__()
        mods = [LoRALinear(m, slip=slip) if isinstance(m, nn.Linear) else m for m in encoder]
        self.encoder = nn.Sequential(*mods)
        self.head = nn.Linear(encoder[0].out_features, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def scarf_lora(seed: int, lr: float = 1e-3, slip: bool = False, pretrain: int = 150) -> Setup:
    """SCARF fine-tuning: the encoder pre-trained here by :func:`scarf` for 150 steps, then frozen and adapted by LoRA
    (rank 4, alpha 8) with a new head on the labelled rows (batch 64), cross-entropy, Adam lr 1e-3; ``slip``: see
    :class:`LoRALinear`."""
    pre = scarf(seed)
    for step in range(pretrain):
        pre.train_step(step)
    torch.manual_seed(1_070_100 + seed)
    model = SCARFClassifier(pre.model.encoder, slip=slip)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    return _xy(model, opt, table(seed + 500), F.cross_entropy)


# ---- HOFM ------------------------------------------------------------------------------------------------------------

class HOFM(nn.Module):
    """Higher-order factorization machine (Blondel et al. 2016) of order 3: a bias, linear weights and, for orders 2
    and 3, separate factor tables of rank 8, the ANOVA kernels by the paper's dynamic programme over the 6 fields'
    factors (``A_2 = (p1^2 - p2) / 2``, ``A_3 = (p1^3 - 3 p1 p2 + 2 p3) / 6`` in power sums); factors N(0, 0.1^2)
    (set here; the paper's 0.01 is for millions of features). ``init_std``: the factors' std."""

    def __init__(self, fields: int = 6, values: int = 8, rank: int = 8, init_std: float = 0.1) -> None:
        super().__init__()
        n = fields * values
        self.register_buffer("offsets", torch.arange(fields) * values)
        self.bias = nn.Parameter(torch.zeros(()))
        self.w = nn.Embedding(n, 1)
        nn.init.zeros_(self.w.weight)
        self.v2 = nn.Embedding(n, rank)
        self.v3 = nn.Embedding(n, rank)
        nn.init.normal_(self.v2.weight, 0.0, init_std)
        nn.init.normal_(self.v3.weight, 0.0, init_std)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        idx = ids + self.offsets
        e2, e3 = self.v2(idx), self.v3(idx)
        a2 = 0.5 * (e2.sum(1) ** 2 - (e2 ** 2).sum(1)).sum(-1)
        p1, p2, p3 = e3.sum(1), (e3 ** 2).sum(1), (e3 ** 3).sum(1)
        a3 = ((p1 ** 3 - 3 * p1 * p2 + 2 * p3) / 6).sum(-1)
        return self.bias + self.w(idx).sum((1, 2)) + a2 + a3


def hofm(seed: int, lr: float = 0.01, init_std: float = 0.1, weight_decay: float = 1e-5) -> Setup:
    """The order-3 HOFM on the click logs (batch 128), binary cross-entropy with logits, Adam at lr 0.01 with L2
    1e-5 (set here; the paper's solver is coordinate descent); ``init_std``: see :class:`HOFM`; ``weight_decay``:
    Adam's coupled L2."""
    torch.manual_seed(1_070_000 + seed)
    model = HOFM(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, clicks(seed), F.binary_cross_entropy_with_logits)
