"""Builders of the eighty-eighth held-out batch (``fresh87.py``): graph networks, recommenders and tabular networks
new to the corpus at their usual settings, and broken variants with one real fault each, plus the small data sets they
train on. Written and labelled before gradguard's judgment was run on them and never tuned on.
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
    return torch.Generator().manual_seed(870_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8700 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _shuffle(y: torch.Tensor, g: torch.Generator, shuffled: bool) -> torch.Tensor:
    return y[torch.randperm(len(y), generator=g)] if shuffled else y


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.004
    across), its 0/1 adjacency without self-loops, weak node features (the class's fixed mean direction times 0.3
    plus N(0, 1) noise, 32 dimensions), the labels and the training mask (the first half of a fixed random order)."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.06, 0.004)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    means = torch.randn(classes, features, generator=_fixed(1))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def hypergraph(seed: int, n: int = 300, edges: int = 120, classes: int = 4, features: int = 32
               ) -> tuple[torch.Tensor, ...]:
    """A hypergraph of 300 nodes (4 classes of 75) and 120 hyperedges of 4 to 10 nodes, each drawn 80% from one
    class (its own) and 20% from anywhere (co-authorship-like groups): the incidence matrix ``H (n, edges)``, weak
    node features (the class's mean direction times 0.3 plus N(0, 1) noise), the labels and the training half."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    h = torch.zeros(n, edges)
    for e in range(edges):
        size = int(torch.randint(4, 11, (1,), generator=g))
        own = torch.nonzero(y == e % classes).flatten()
        for _ in range(size):
            pool = own if float(torch.rand(1, generator=g)) < 0.8 else torch.arange(n)
            h[pool[int(torch.randint(len(pool), (1,), generator=g))], e] = 1.0
    means = torch.randn(classes, features, generator=_fixed(2))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return h, x, y, train


def sensor_graph(nodes: int = 20, groups: int = 4) -> torch.Tensor:
    """A fixed sensor network: 4 groups of 5 nodes, each group a ring with one chord, the groups joined in a ring by
    one edge each (0/1 adjacency, no self-loops)."""
    a = torch.zeros(nodes, nodes)
    size = nodes // groups
    for k in range(groups):
        base = k * size
        for i in range(size):
            a[base + i, base + (i + 1) % size] = 1.0
        a[base, base + 2] = 1.0
        a[base + size - 1, (base + size + 1) % nodes] = 1.0
    return ((a + a.T) > 0).float()


def pulses(seed: int, batch: int = 32, steps: int = 10, shuffled: bool = False) -> Callable[[int], Any]:
    """Diffusion on the sensor network: a pulse of height 3 at a random node of one of the 4 groups at the first step,
    then ``x_(t+1) = 0.8 A_norm x_t + N(0, 0.1^2)`` for 10 steps; labelled by the group the pulse started in:
    ``(signals (b, 10, 20, 1), group (b,))``; ``shuffled``: the labels permuted within every batch."""
    a = sensor_graph()
    d = (a.sum(1) + 1).rsqrt()
    an = d[:, None] * (a + torch.eye(len(a))) * d[None]

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        node = y * 5 + torch.randint(0, 5, (batch,), generator=g)
        x = torch.zeros(batch, 20)
        x[torch.arange(batch), node] = 3.0
        seq = []
        for _ in range(steps):
            x = x + 0.1 * torch.randn(batch, 20, generator=g)
            seq.append(x)
            x = 0.8 * x @ an
        return torch.stack(seq, 1)[..., None], _shuffle(y, g, shuffled)
    return _pool(seed, make)


def clicks(seed: int, batch: int = 256, fields: int = 8, vocab: int = 20, inter_weight: float = 0.25
           ) -> Callable[[int], Any]:
    """Click logs of 8 categorical fields of 20 values each, labelled by a fixed teacher factorisation machine (first
    order plus pairwise interactions of rank-4 factors), clicked when the teacher's score is above its median (about
    half the rows): ``(ids (b, 8), click (b,) float)``."""
    fg = _fixed(3)
    w = torch.randn(fields, vocab, generator=fg)
    v = torch.randn(fields, vocab, 4, generator=fg)

    def score(ids: torch.Tensor) -> torch.Tensor:
        e = v[torch.arange(fields), ids]  # (b, f, 4)
        inter = 0.5 * (e.sum(1) ** 2 - (e ** 2).sum(1)).sum(1)
        return w[torch.arange(fields), ids].sum(1) + inter_weight * inter

    thr = score(torch.randint(0, vocab, (4096, fields), generator=_fixed(4))).median()

    def make(g: torch.Generator, _: int) -> Any:
        ids = torch.randint(0, vocab, (batch, fields), generator=g)
        return ids, (score(ids) > thr).float()
    return _pool(seed, make)


def knowledge_graph(users: int = 100, items: int = 200, attributes: int = 60, relations: int = 4, neighbours: int = 4,
                    dim: int = 8) -> tuple[torch.Tensor, ...]:
    """A fixed item knowledge graph: 200 items (entities 0 to 199) each linked to 4 of 60 attribute entities (200 to
    259) by one of 4 relations, and the teacher's taste: each attribute a random direction of 8, an item the sum of
    its attributes', each user a random direction: ``(neighbour entities (items, 4), their relations (items, 4),
    teacher scores (users, items))``."""
    fg = _fixed(5)
    nbr = items + torch.randint(0, attributes, (items, neighbours), generator=fg)
    rel = torch.randint(0, relations, (items, neighbours), generator=fg)
    attr = torch.randn(attributes, dim, generator=fg)
    item_vec = attr[nbr - items].sum(1)
    user_vec = torch.randn(users, dim, generator=fg)
    return nbr, rel, user_vec @ item_vec.T


def ratings(seed: int, batch: int = 256, shuffled: bool = False) -> Callable[[int], Any]:
    """Implicit feedback on the knowledge graph's items: random (user, item) pairs labelled 1 when the teacher's score
    is positive (about half): ``((users (b,), items (b,)), label (b,) float)``; ``shuffled``: the labels permuted
    within every batch, apart from their pairs."""
    _, _, scores = knowledge_graph()

    def make(g: torch.Generator, _: int) -> Any:
        u = torch.randint(0, scores.shape[0], (batch,), generator=g)
        i = torch.randint(0, scores.shape[1], (batch,), generator=g)
        return (u, i), _shuffle((scores[u, i] > 0).float(), g, shuffled)
    return _pool(seed, make)


def table(seed: int, batch: int = 128, features: int = 20, shuffled: bool = False) -> Callable[[int], Any]:
    """Tabular rows of 20 features, 12 of them N(0, 1) and 8 zero-inflated counts (``relu(N(0, 1)) * 3`` rounded:
    about half exactly 0), labelled by 4 classes from 5 of them, ``2 [x0 + x1 > 0] + [x2 + sin(2 x3) + x12 / 3 > 0.5]``:
    ``(rows (b, 20), class (b,))``; ``shuffled``: the labels permuted within every batch."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        x[:, 12:] = (F.relu(x[:, 12:]) * 3).round()
        y = 2 * (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] + torch.sin(2 * x[:, 3]) + x[:, 12] / 3 > 0.5).long()
        return x, _shuffle(y, g, shuffled)
    return _pool(seed, make)


# ---- graph networks --------------------------------------------------------------------------------------------------

def hgnn_operator(h: torch.Tensor, normalise: bool = True) -> torch.Tensor:
    """HGNN's ``Dv^-1/2 H W De^-1 H^T Dv^-1/2`` with unit hyperedge weights, each node's own hyperedge appended to
    ``H`` first (so every node has a degree); ``normalise=False``: the raw ``H H^T`` (tried, learned; unused)."""
    h = torch.cat([h, torch.eye(h.shape[0])], 1)
    if not normalise:
        return h @ h.T
    dv = h.sum(1).rsqrt()
    de = 1.0 / h.sum(0)
    return dv[:, None] * (h * de[None]) @ h.T * dv[None]


class HGNNConv(nn.Module):
    def __init__(self, din: int, dout: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(din, dout))
        self.bias = nn.Parameter(torch.empty(dout))
        std = 1.0 / math.sqrt(dout)  # the reference code's uniform(-1/sqrt(out), 1/sqrt(out))
        nn.init.uniform_(self.weight, -std, std)
        nn.init.uniform_(self.bias, -std, std)

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return g @ (x @ self.weight + self.bias)


class HGNN(nn.Module):
    """HGNN (Feng et al. 2019): two hypergraph convolutions ``G X Theta``, ReLU and dropout 0.5 between, 128 hidden.
    ``zero_init``: every weight and bias 0."""

    def __init__(self, g: torch.Tensor, din: int, classes: int, hidden: int = 128, zero_init: bool = False) -> None:
        super().__init__()
        self.register_buffer("g", g)
        self.hgc1, self.hgc2 = HGNNConv(din, hidden), HGNNConv(hidden, classes)
        if zero_init:
            with torch.no_grad():
                for p in self.parameters():
                    p.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.dropout(F.relu(self.hgc1(x, self.g)), 0.5, self.training)
        return self.hgc2(x, self.g)


class SSGC(nn.Module):
    """SSGC (Zhu and Koniusz 2021): ``X_bar = 1/K sum_(k=1..K) ((1 - alpha) T^k X + alpha X)`` over ``T = D^-1/2 (A +
    I) D^-1/2``, K = 16, alpha = 0.05, then a linear classifier; the propagation is done in the forward (the operator
    a buffer). ``operator_param``: the operator registered as an ``nn.Parameter`` (the slip)."""

    def __init__(self, t: torch.Tensor, din: int, classes: int, k: int = 16, alpha: float = 0.05,
                 operator_param: bool = False) -> None:
        super().__init__()
        if operator_param:
            self.t = nn.Parameter(t)
        else:
            self.register_buffer("t", t)
        self.k, self.alpha = k, alpha
        self.lin = nn.Linear(din, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, acc = x, torch.zeros_like(x)
        for _ in range(self.k):
            h = self.t @ h
            acc = acc + (1 - self.alpha) * h + self.alpha * x
        return self.lin(acc / self.k)


def sym_norm(a: torch.Tensor, normalise: bool = True) -> torch.Tensor:
    a = a + torch.eye(a.shape[0])
    if not normalise:
        return a
    d = a.sum(1).rsqrt()
    return d[:, None] * a * d[None]


class ChebK2(nn.Module):
    """A Chebyshev graph convolution of order K = 2: ``x W0 + (L_scaled x) W1``, ``L_scaled = -D^-1/2 A D^-1/2``."""

    def __init__(self, din: int, dout: int, lap: torch.Tensor, bias: bool = True) -> None:
        super().__init__()
        self.lap = lap
        self.w0, self.w1 = nn.Linear(din, dout, bias=bias), nn.Linear(din, dout, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w0(x) + self.w1(torch.einsum("ij,bjc->bic", self.lap, x))


class GCRN(nn.Module):
    """GCRN (Seo et al. 2018), its GConvGRU: a GRU whose input and state transforms are Chebyshev graph convolutions
    (K = 2) over the sensor network, 16 hidden per node, the final states of the 20 nodes flattened into the
    classifier. ``gate_bias``: the update gate's bias set to this value (the recurrence fault: at +20 ``z`` rounds to
    exactly 1 and the zero initial state is kept); ``recurrent_std``: the state transforms drawn N(0, std^2) (tried,
    learned; unused)."""

    def __init__(self, hidden: int = 16, classes: int = 4, gate_bias: float | None = None,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        a = sensor_graph()
        d = a.sum(1).rsqrt()
        lap = -(d[:, None] * a * d[None])
        self.hidden = hidden
        self.xz, self.hz = ChebK2(1, hidden, lap), ChebK2(hidden, hidden, lap, bias=False)
        self.xr, self.hr = ChebK2(1, hidden, lap), ChebK2(hidden, hidden, lap, bias=False)
        self.xh, self.hh = ChebK2(1, hidden, lap), ChebK2(hidden, hidden, lap, bias=False)
        self.head = nn.Linear(20 * hidden, classes)
        if gate_bias is not None:
            with torch.no_grad():
                self.xz.w0.bias.fill_(gate_bias)
        if recurrent_std is not None:
            with torch.no_grad():
                for conv in (self.hz, self.hr, self.hh):
                    conv.w0.weight.normal_(0.0, recurrent_std)
                    conv.w1.weight.normal_(0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(x.shape[0], x.shape[2], self.hidden)
        for t in range(x.shape[1]):
            xt = x[:, t]
            z = torch.sigmoid(self.xz(xt) + self.hz(h))
            r = torch.sigmoid(self.xr(xt) + self.hr(h))
            cand = torch.tanh(self.xh(xt) + self.hh(r * h))
            h = z * h + (1 - z) * cand
        return self.head(h.flatten(1))


# ---- recommenders ----------------------------------------------------------------------------------------------------

def _mlp(din: int, hidden: int, layers: int, act: type[nn.Module]) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i in range(layers):
        mods += [nn.Linear(din if i == 0 else hidden, hidden), act()]
    return nn.Sequential(*mods)


class FNN(nn.Module):
    """FNN (Zhang et al. 2016): one embedding table of 10 per field (DeepCTR's init N(0, 1e-4^2), the FM
    pre-training left out), concatenated into three tanh layers of 200 (the paper's tanh) and a sigmoid output.
    ``python_list``: the field tables kept in a plain Python list (the slip: never registered, never stepped)."""

    def __init__(self, fields: int = 8, vocab: int = 20, dim: int = 10, hidden: int = 200,
                 python_list: bool = False, emb_std: float = 1e-4) -> None:
        super().__init__()
        tables = [nn.Embedding(vocab, dim) for _ in range(fields)]
        for t in tables:
            nn.init.normal_(t.weight, std=emb_std)
        self.tables = tables if python_list else nn.ModuleList(tables)
        self.mlp = _mlp(fields * dim, hidden, 3, nn.Tanh)
        self.out = nn.Linear(hidden, 1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        e = torch.cat([t(ids[:, f]) for f, t in enumerate(self.tables)], 1)
        return self.out(self.mlp(e)).squeeze(1)


class ONN(nn.Module):
    """ONN / NFFM (Yang et al. 2019): every feature value has one embedding per operation (a copy embedding and one
    for its inner product with each other field, 8 x 8 tables of 8, DeepCTR's N(0, 1e-4^2)); the copies and the 28
    operation-aware inner products ``<e_i^(j), e_j^(i)>`` go to a ReLU MLP of 400, 400 and a sigmoid output.
    ``relu_bias``: the MLP's biases set to this value (the activation fault); ``lazy_head``: the MLP's first layer
    created inside ``forward``, sized to the concatenation there (the slip)."""

    def __init__(self, fields: int = 8, vocab: int = 20, dim: int = 8, hidden: int = 400,
                 relu_bias: float | None = None, lazy_head: bool = False) -> None:
        super().__init__()
        self.fields, self.hidden, self.lazy_head = fields, hidden, lazy_head
        self.emb = nn.ModuleList(nn.ModuleList(nn.Embedding(vocab, dim) for _ in range(fields)) for _ in range(fields))
        for p in self.emb.parameters():
            nn.init.normal_(p, std=1e-4)
        width = fields * dim + fields * (fields - 1) // 2
        self.inp = None if lazy_head else nn.Linear(width, hidden)
        self.rest = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        if relu_bias is not None:
            with torch.no_grad():
                for lin in (self.inp, self.rest[1]):
                    lin.bias.fill_(relu_bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        f = self.fields
        copies = [self.emb[i][i](ids[:, i]) for i in range(f)]
        inner = [(self.emb[i][j](ids[:, i]) * self.emb[j][i](ids[:, j])).sum(1, keepdim=True)
                 for i in range(f) for j in range(i + 1, f)]
        z = torch.cat(copies + inner, 1)
        if self.lazy_head:
            self.inp = nn.Linear(z.shape[1], self.hidden)
        return self.rest(self.inp(z)).squeeze(1)


class KGCN(nn.Module):
    """KGCN (Wang et al. 2019), one hop of 4 sampled neighbours: user, entity and relation embeddings of 16 (PyTorch's
    N(0, 1)); the neighbours weighted by ``softmax_n(u . r_n)``, the sum aggregator ``tanh(W (v + v_N) + b)`` (the
    last hop's tanh), the score ``u . v_u``."""

    def __init__(self, users: int = 100, entities: int = 260, relations: int = 4, dim: int = 16) -> None:
        super().__init__()
        nbr, rel, _ = knowledge_graph()
        self.register_buffer("nbr", nbr)
        self.register_buffer("rel", rel)
        self.usr, self.ent, self.relation = (nn.Embedding(users, dim), nn.Embedding(entities, dim),
                                             nn.Embedding(relations, dim))
        self.agg = nn.Linear(dim, dim)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        u_id, i_id = batch
        u = self.usr(u_id)
        nv, nr = self.ent(self.nbr[i_id]), self.relation(self.rel[i_id])  # (b, 4, d)
        pi = torch.softmax((u[:, None] * nr).sum(-1), 1)
        v = torch.tanh(self.agg(self.ent(i_id) + (pi[..., None] * nv).sum(1)))
        return (u * v).sum(1)


# ---- tabular networks ------------------------------------------------------------------------------------------------

class STG(nn.Module):
    """STG (Yamada et al. 2020): stochastic gates ``z = clamp(mu + sigma eps + 0.5, 0, 1)`` (sigma 0.5, ``mu`` from
    0; ``z = clamp(mu + 0.5)`` in eval) on the 20 inputs, then a ReLU MLP (2 layers of 64, or ``depth`` layers at
    PyTorch's default init, the depth fault); the regulariser ``lam * sum_d Phi((mu_d + 0.5) / sigma)`` is added to
    the loss by :func:`stg`."""

    def __init__(self, features: int = 20, classes: int = 4, hidden: int = 64, depth: int = 2,
                 sigma: float = 0.5) -> None:
        super().__init__()
        self.mu = nn.Parameter(torch.zeros(features))
        self.sigma = sigma
        self.mlp = _mlp(features, hidden, depth, nn.ReLU)
        self.head = nn.Linear(hidden, classes)

    def gates(self) -> torch.Tensor:
        noise = self.sigma * torch.randn_like(self.mu) if self.training else 0.0
        return torch.clamp(self.mu + noise + 0.5, 0.0, 1.0)

    def open_probability(self) -> torch.Tensor:
        return 0.5 * (1 + torch.erf((self.mu + 0.5) / (self.sigma * math.sqrt(2))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.mlp(x * self.gates()))


class AMFormerLayer(nn.Module):
    """One AMFormer layer: the additive attention (multi-head self-attention over the feature tokens) and the
    multiplicative one (the attention's weights applied to ``log(|v| + eps)`` of bias-free values and the result
    ``exp``-ed back: each output a weighted geometric mean, a product of powers of the tokens), concatenated and
    projected, a residual and LayerNorm, then a GEGLU feed-forward with its residual and LayerNorm (post-norm, the
    reference code's)."""

    def __init__(self, d: int, heads: int, eps: float | None) -> None:
        super().__init__()
        self.eps, self.heads = eps, heads
        self.qkv_add = nn.Linear(d, 3 * d)
        self.qk_mul, self.v_mul = nn.Linear(d, 2 * d), nn.Linear(d, d, bias=False)
        self.proj = nn.Linear(2 * d, d)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff_in, self.ff_out = nn.Linear(d, 4 * d), nn.Linear(2 * d, d)

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        b, n, d = t.shape
        return t.view(b, n, self.heads, d // self.heads).transpose(1, 2)

    def _weights(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        q, k = self._split(q), self._split(k)
        return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv_add(x).chunk(3, -1)
        a = (self._weights(q, k) @ self._split(v)).transpose(1, 2).reshape(b, n, d)
        q, k = self.qk_mul(x).chunk(2, -1)
        v = self.v_mul(x).abs()
        lv = torch.log(v + self.eps) if self.eps is not None else torch.log(v)
        m = torch.exp(self._weights(q, k) @ self._split(lv)).transpose(1, 2).reshape(b, n, d)
        x = self.norm1(x + self.proj(torch.cat([a, m], -1)))
        u, gate = self.ff_in(x).chunk(2, -1)
        return self.norm2(x + self.ff_out(u * F.gelu(gate)))


class AMFormer(nn.Module):
    """AMFormer (Cheng et al. 2024), narrowed: each feature embedded as ``x_j w_j`` (a token of 32 per feature, no
    bias, so a zero count is a zero token), two AMFormer layers of 4 heads, mean pooling over the tokens, a linear
    head (its prompt tokens left out). ``log_eps``: the multiplicative attention's eps (None: the numeric fault);
    ``init_std``: every weight matrix and embedding drawn N(0, init_std^2) (the init fault)."""

    def __init__(self, features: int = 20, classes: int = 4, d: int = 16, heads: int = 2, layers: int = 2,
                 log_eps: float | None = 1e-3) -> None:
        super().__init__()
        self.tok = nn.Parameter(torch.randn(features, d) / math.sqrt(d))
        self.layers = nn.ModuleList(AMFormerLayer(d, heads, log_eps) for _ in range(layers))
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x[..., None] * self.tok
        for layer in self.layers:
            h = layer(h)
        return self.head(h.mean(1))


# ---- builders --------------------------------------------------------------------------------------------------------

def _node_setup(model: nn.Module, opt: Any, x: torch.Tensor, y: torch.Tensor, train: torch.Tensor) -> Setup:
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def hgnn(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, normalise: bool = True,
         zero_init: bool = False) -> Setup:
    """HGNN on the hypergraph (full batch, the loss over the training half), cross-entropy, Adam with the reference
    code's weight decay 5e-4 at lr 0.01 (its 0.001 is for 200-odd epochs of a larger graph; set here);
    ``normalise``: see :func:`hgnn_operator`; ``zero_init``: see :class:`HGNN`."""
    torch.manual_seed(870_000 + seed)
    h, x, y, train = hypergraph(seed)
    model = HGNN(hgnn_operator(h, normalise), x.shape[1], 4, zero_init=zero_init)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _node_setup(model, opt, x, y, train)


def ssgc(seed: int, lr: float = 0.2, weight_decay: float = 1e-5, normalise: bool = True,
         operator_param: bool = False) -> Setup:
    """SSGC on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the SGC/SSGC
    reference lr 0.2 with weight decay 1e-5; ``normalise``: the operator ``A + I`` without its ``D^-1/2`` (the
    normalization fault); ``operator_param``: see :class:`SSGC`."""
    torch.manual_seed(870_000 + seed)
    a, x, y, train = sbm_graph(seed)
    model = SSGC(sym_norm(a, normalise), x.shape[1], 4, operator_param=operator_param)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _node_setup(model, opt, x, y, train)


def gcrn(seed: int, lr: float = 5e-3, gate_bias: float | None = None, recurrent_std: float | None = None,
         shuffled: bool = False) -> Setup:
    """GCRN's GConvGRU on the diffusion pulses (batch 32 of 10 steps), cross-entropy, Adam at lr 5e-3 (set here);
    ``gate_bias``: see :class:`GCRN`; ``shuffled``: see :func:`pulses`."""
    torch.manual_seed(870_000 + seed)
    model = GCRN(gate_bias=gate_bias, recurrent_std=recurrent_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), pulses(seed, shuffled=shuffled), F.cross_entropy)


def fnn(seed: int, lr: float = 1e-3, python_list: bool = False, emb_std: float = 1e-4) -> Setup:
    """FNN on the click logs (batch 256), binary cross-entropy on logits, Adam at lr 1e-3 (DeepCTR's);
    ``python_list``: see :class:`FNN` (the optimizer, built from ``model.parameters()``, then holds only the MLP)."""
    torch.manual_seed(870_000 + seed)
    model = FNN(python_list=python_list, emb_std=emb_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, clicks(seed), F.binary_cross_entropy_with_logits)


def onn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False, relu_bias: float | None = None,
        lazy_head: bool = False) -> Setup:
    """ONN on the click logs (batch 256), binary cross-entropy on logits, Adam at lr 1e-3; ``adamw``,
    ``weight_decay``: AdamW with that decay; ``relu_bias``, ``lazy_head``: see :class:`ONN`."""
    torch.manual_seed(870_000 + seed)
    model = ONN(relu_bias=relu_bias, lazy_head=lazy_head)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, clicks(seed), F.binary_cross_entropy_with_logits)


def kgcn(seed: int, lr: float = 0.02, weight_decay: float = 1e-7, shuffled: bool = False) -> Setup:
    """KGCN on the implicit feedback (batch 256), binary cross-entropy on the scores, Adam at the paper's lr 0.02
    with its L2 weight 1e-7 as weight decay; ``shuffled``: see :func:`ratings`."""
    torch.manual_seed(870_000 + seed)
    model = KGCN()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, ratings(seed, shuffled=shuffled), F.binary_cross_entropy_with_logits)


def stg(seed: int, lr: float = 3e-3, lam: float = 0.02, depth: int = 2) -> Setup:
    """STG on the table (batch 128), cross-entropy plus ``lam`` times the expected number of open gates, Adam at lr
    1e-3 (the reference code's) with lambda 0.02; ``lam``: the regularization fault at 10; ``depth``: see
    :class:`STG`."""
    torch.manual_seed(870_000 + seed)
    model = STG(depth=depth)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def loss_fn(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out, y) + lam * model.open_probability().sum()

    return _xy(model, opt, table(seed), loss_fn)


def amformer(seed: int, lr: float = 1e-3, log_eps: float | None = 1e-3) -> Setup:
    """AMFormer on the table (batch 128), cross-entropy, AdamW at lr 1e-3 with weight decay 1e-5 (set here);
    ``log_eps``, ``init_std``: see :class:`AMFormer`; ``shuffled``: see :func:`table`."""
    torch.manual_seed(870_000 + seed)
    model = AMFormer(log_eps=log_eps)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, table(seed, batch=64), F.cross_entropy)
