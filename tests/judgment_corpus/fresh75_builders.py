"""Builders of the seventy-sixth held-out batch (``fresh75.py``): graph, recommender, CTR and set / point-cloud models
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
    return torch.Generator().manual_seed(750_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7500 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _normal_init(model: nn.Module, std: float) -> None:
    """Every Linear weight drawn N(0, std^2) (the init fault)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, std)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# ---- GC-MC (Berg, Kipf and Welling 2017) ----------------------------------------------------------------------------

def ratings(seed: int, users: int = 60, items: int = 50, cold: int = 6, density: float = 0.35,
            batch: int = 128) -> tuple[torch.Tensor, Callable[[int], Any]]:
    """A 5-star rating matrix from a rank-3 taste model (user and item factors fixed, the seed's noise; the score
    quantised at its quintiles), 35% of the entries observed; the last ``cold`` users are cold-start (no ratings).
    Returns the observed ratings as a ``(users, items)`` matrix of 0 (unobserved) or 1..5, and ``batches(step) ->
    ((user ids, item ids), rating class 0..4)``: 128 observed pairs per batch."""
    fg = _fixed(1)
    u, v = torch.randn(users, 3, generator=fg), torch.randn(items, 3, generator=fg)
    g = _gen(seed)
    score = u @ v.T + 0.1 * torch.randn(users, items, generator=g)
    cuts = torch.quantile(score.flatten(), torch.tensor([0.2, 0.4, 0.6, 0.8]))
    r = torch.bucketize(score, cuts) + 1
    seen = torch.rand(users, items, generator=g) < density
    seen[users - cold:] = False
    r = torch.where(seen, r, torch.zeros_like(r))
    pairs = seen.nonzero()

    def make(g2: torch.Generator, _: int) -> Any:
        pick = pairs[torch.randint(0, len(pairs), (batch,), generator=g2)]
        return (pick[:, 0], pick[:, 1]), r[pick[:, 0], pick[:, 1]] - 1
    return r, _pool(seed, make)


class GCMC(nn.Module):
    """GC-MC (Berg et al. 2017), narrowed: one-hot node inputs, a rating-specific graph convolution per rating level
    (``W_r`` per level, messages normalised by the receiving node's degree ``1 / |N(i)|``, the paper's left
    normalisation), the levels' outputs stacked (5 x 16) and a ReLU, node dropout 0.3 on the messages, a dense layer
    of 32, and the bilinear decoder with 2 shared basis matrices, ``p(r) = softmax_r(u^T Q_r v)``.

    ``cold_guard``: the degree clamped to at least 1 (the healthy build; False divides the cold-start users' empty
    message sums by their zero degree)."""

    def __init__(self, rating: torch.Tensor, hidden: int = 64, dense: int = 64, basis: int = 2, dropout: float = 0.1,
                 cold_guard: bool = True) -> None:
        super().__init__()
        users, items = rating.shape
        self.adj = nn.Parameter(torch.stack([(rating == k).float() for k in range(1, 6)]), requires_grad=False)
        self.w_user = nn.Parameter(torch.empty(5, items, hidden))
        self.w_item = nn.Parameter(torch.empty(5, users, hidden))
        for w in (self.w_user, self.w_item):
            nn.init.xavier_uniform_(w.view(5 * w.shape[1], hidden))
        self.dense_u = nn.Linear(5 * hidden, dense)
        self.dense_v = nn.Linear(5 * hidden, dense)
        self.basis = nn.Parameter(torch.empty(basis, dense, dense))
        nn.init.xavier_uniform_(self.basis.view(basis * dense, dense))
        self.coef = nn.Parameter(torch.randn(5, basis) * 0.1)
        self.drop = nn.Dropout(dropout)
        self.cold_guard = cold_guard

    def _deg(self, a: torch.Tensor) -> torch.Tensor:
        d = a.sum(dim=(0, 2))[:, None]
        return d.clamp(min=1.0) if self.cold_guard else d

    def forward(self, idx: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        a = self.adj  # (5, users, items)
        hu = torch.cat([self.drop(a[k]) @ self.w_user[k] for k in range(5)], 1) / self._deg(a)
        hv = torch.cat([self.drop(a[k].T) @ self.w_item[k] for k in range(5)], 1) / self._deg(a.transpose(1, 2))
        zu = F.relu(self.dense_u(F.relu(hu)))
        zv = F.relu(self.dense_v(F.relu(hv)))
        u, v = zu[idx[0]], zv[idx[1]]
        q = torch.einsum("rb,bij->rij", self.coef, self.basis)
        return torch.einsum("ni,rij,nj->nr", u, q, v)


def gc_mc(seed: int, lr: float = 0.01, cold_guard: bool = True) -> Setup:
    """GC-MC on the rating matrix (batches of 128 observed pairs), cross-entropy over the 5 levels, Adam at the
    paper's lr 0.01; ``cold_guard``: see :class:`GCMC`."""
    torch.manual_seed(750_000 + seed)
    r, batches = ratings(seed)
    model = GCMC(r, cold_guard=cold_guard)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    return _xy(model, opt, batches, F.cross_entropy)


# ---- NAIS (He et al. 2018) -----------------------------------------------------------------------------------------

def histories(seed: int, users: int = 64, items: int = 96, clusters: int = 4, length: int = 10, negatives: int = 4,
              batch: int = 25) -> Callable[[int], Any]:
    """Implicit feedback: 96 items in 4 taste clusters; each user likes one cluster and has 1 to 10 interactions with
    its items (a quarter of the users have a single one). An instance is a user's history without the target item
    (padded with item 0 to 9 slots and a mask), the target and its label: each of 25 positives per batch comes with 4
    negatives from the other clusters, so 125 instances; a single-interaction user's history is empty.
    ``((history (b, 9), mask (b, 9), target (b,)), label (b,))``."""
    g = _gen(seed)
    cluster = torch.arange(items) % clusters
    taste = torch.randint(0, clusters, (users,), generator=g)
    n = torch.randint(2, length + 1, (users,), generator=g)
    n[torch.rand(users, generator=g) < 0.25] = 1
    hist = []
    for uid in range(users):
        mine = (cluster == taste[uid]).nonzero().flatten()
        hist.append(mine[torch.randperm(len(mine), generator=g)[: int(n[uid])]])

    def make(g2: torch.Generator, _: int) -> Any:
        hs, ms, ts, ys = [], [], [], []
        for uid in torch.randint(0, users, (batch,), generator=g2).tolist():
            h = hist[uid]
            k = int(torch.randint(0, len(h), (1,), generator=g2))
            rest = torch.cat([h[:k], h[k + 1:]])
            pad = torch.zeros(length - 1, dtype=torch.long)
            mask = torch.zeros(length - 1)
            pad[: len(rest)], mask[: len(rest)] = rest, 1.0
            others = (cluster != taste[uid]).nonzero().flatten()
            negs = others[torch.randint(0, len(others), (negatives,), generator=g2)]
            for t, y in [(h[k], 1.0)] + [(j, 0.0) for j in negs]:
                hs.append(pad)
                ms.append(mask)
                ts.append(t)
                ys.append(y)
        return (torch.stack(hs), torch.stack(ms), torch.stack(ts).long()), torch.tensor(ys)
    return _pool(seed, make)


class NAIS(nn.Module):
    """NAIS (He et al. 2018, the product attention): item embeddings ``p`` (targets) and ``q`` (history) of 16 drawn
    N(0, 0.01^2), the attention ``f_ij = h^T ReLU(W (p_i * q_j) + b)`` with an attention factor of 16, the smoothed
    softmax ``a_ij = exp(f_ij) / (sum_j exp(f_ij))^beta`` at the paper's ``beta = 0.5`` over the history's items, the
    score ``sum_j a_ij p_i . q_j`` plus an item bias.

    ``where_guard``: the empty-history users' ``0 / 0`` guarded by ``torch.where(den > 0, num / den ** beta, 0)``
    (the slip; the forward is right and its backward is NaN) instead of the healthy ``den.clamp_min(1e-8)``."""

    def __init__(self, items: int = 96, dim: int = 16, factor: int = 16, beta: float = 0.5,
                 where_guard: bool = False) -> None:
        super().__init__()
        self.p = nn.Embedding(items, dim)
        self.q = nn.Embedding(items, dim)
        self.bias = nn.Embedding(items, 1)
        for e in (self.p, self.q):
            nn.init.normal_(e.weight, 0.0, 0.01)
        nn.init.zeros_(self.bias.weight)
        self.att = nn.Linear(dim, factor)
        self.h = nn.Linear(factor, 1, bias=False)
        self.beta = beta
        self.where_guard = where_guard

    def forward(self, x: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        hist, mask, target = x
        p = self.p(target)[:, None]  # (b, 1, d)
        q = self.q(hist)  # (b, L, d)
        f = self.h(F.relu(self.att(p * q))).squeeze(-1)  # (b, L)
        num = torch.exp(f) * mask
        den = num.sum(1, keepdim=True)
        if self.where_guard:
            a = torch.where(den > 0, num / den ** self.beta, torch.zeros_like(num))
        else:
            a = num / den.clamp_min(1e-8) ** self.beta
        return (a * (p * q).sum(-1)).sum(1) + self.bias(target).squeeze(-1)


def nais(seed: int, lr: float = 0.01, weight_decay: float = 0.0, where_guard: bool = False) -> Setup:
    """NAIS on the implicit histories (125 instances a batch), the log loss (binary cross-entropy with logits), Adam
    at lr 0.01 (the paper's Adagrad at 0.01 starts from FISM's pretrained embeddings, left out here);
    ``weight_decay``: Adam's coupled decay; ``where_guard``: see :class:`NAIS`."""
    torch.manual_seed(750_000 + seed)
    model = NAIS(where_guard=where_guard)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, histories(seed), F.binary_cross_entropy_with_logits)


# ---- Fi-GNN (Li et al. 2019) -----------------------------------------------------------------------------------------

def clicks(seed: int, fields: int = 8, vocab: int = 10, batch: int = 256, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Multi-field categorical records (8 fields of 10 values each, uniform) clicked when a fixed teacher's score, a
    sum of pairwise field-value interactions ``sum_{i<j} <u_i(x_i), u_j(x_j)>`` (random 4-d factors), is above its
    median: ``(field values (b, 8), click (b,))``; ``shuffled``: the clicks permuted within every batch, apart from
    their records."""
    fg = _fixed(2)
    fac = torch.randn(fields, vocab, 4, generator=fg)
    ref = torch.randint(0, vocab, (4096, fields), generator=fg)

    def score(x: torch.Tensor) -> torch.Tensor:
        e = fac[torch.arange(fields), x]  # (b, f, 4)
        s = e.sum(1)
        return 0.5 * ((s * s).sum(-1) - (e * e).sum((1, 2)))
    median = score(ref).median()

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, fields), generator=g)
        y = (score(x) > median).float()
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


class FiGNN(nn.Module):
    """Fi-GNN (Li et al. 2019), narrowed (the multi-head self-attention before the graph left out): field embeddings
    of 16 as the nodes of a complete field graph, edge weights ``softmax_j LeakyReLU(w^T [e_i, e_j])`` (no
    self-edges), node-specific output and input matrices, a GRU cell updating every node from its aggregated message
    with the residual to the embedding, 3 propagation steps, and the attentional scoring layer ``sum_i a(h_i) s(h_i)``
    (two MLPs of 16)."""

    def __init__(self, fields: int = 8, vocab: int = 10, dim: int = 16, steps: int = 3) -> None:
        super().__init__()
        self.emb = nn.Embedding(fields * vocab, dim)
        nn.init.normal_(self.emb.weight, 0.0, 0.1)
        self.register_buffer("offset", torch.arange(fields) * vocab)
        self.w_att = nn.Linear(2 * dim, 1, bias=False)
        self.w_out = nn.Parameter(torch.empty(fields, dim, dim))
        self.w_in = nn.Parameter(torch.empty(fields, dim, dim))
        for w in (self.w_out, self.w_in):
            nn.init.xavier_uniform_(w)
        self.gru = nn.GRUCell(dim, dim)
        self.score = nn.Sequential(nn.Linear(dim, 16), nn.ReLU(), nn.Linear(16, 1))
        self.weight = nn.Sequential(nn.Linear(dim, 16), nn.ReLU(), nn.Linear(16, 1))
        self.steps = steps
        self.fields = fields

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.emb(x + self.offset)  # (b, f, d)
        b, f, d = e.shape
        pair = torch.cat([e[:, :, None].expand(b, f, f, d), e[:, None].expand(b, f, f, d)], -1)
        s = F.leaky_relu(self.w_att(pair).squeeze(-1), 0.2)
        s = s.masked_fill(torch.eye(f, dtype=torch.bool), float("-inf"))
        adj = s.softmax(-1)  # (b, f, f)
        h = e
        for _ in range(self.steps):
            out = torch.einsum("bjd,jde->bje", h, self.w_out)
            msg = torch.einsum("bij,bje->bie", adj, out)
            msg = torch.einsum("bie,ief->bif", msg, self.w_in)
            h = self.gru(msg.reshape(b * f, d), h.reshape(b * f, d)).view(b, f, d) + e
        return (self.weight(h) * self.score(h)).sum((1, 2))


def fignn(seed: int, lr: float = 5e-3, shuffled: bool = False) -> Setup:
    """Fi-GNN on the click records (batch 256), the log loss, Adam at the paper's lr 1e-3; ``shuffled``: see
    :func:`clicks`."""
    torch.manual_seed(750_000 + seed)
    model = FiGNN()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, clicks(seed, shuffled=shuffled), F.binary_cross_entropy_with_logits)


# ---- Janossy pooling (Murphy et al. 2019) ---------------------------------------------------------------------------

def token_sets(seed: int, size: int = 10, vocab: int = 20, classes: int = 4, batch: int = 32) -> Callable[[int], Any]:
    """Sets of 10 tokens (of 20) labelled by their most frequent class (``token % 4``, ties to the lowest):
    ``(tokens (b, 10), class (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, size), generator=g)
        return x, F.one_hot(x % classes, classes).sum(1).argmax(1)
    return _pool(seed, make)


class Janossy(nn.Module):
    """Full Janossy pooling by pi-SGD (Murphy et al. 2019): each set's elements embedded (32) and read in a fresh
    random order by a GRU of 64 (one sampled permutation a forward, the paper's training estimator), ``rho`` an MLP
    (64 -> 64 -> 4) on the last state. ``rho_layers``: the number of ReLU layers of 64 in ``rho`` (1 healthy);
    ``update_bias``: added to the GRU's update-gate biases (input and hidden, so twice it in the gate)."""

    def __init__(self, vocab: int = 20, dim: int = 32, hidden: int = 64, classes: int = 4, rho_layers: int = 1,
                 update_bias: float = 0.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.gru = nn.GRU(dim, hidden, batch_first=True)
        with torch.no_grad():
            self.gru.bias_ih_l0[hidden: 2 * hidden] += update_bias
            self.gru.bias_hh_l0[hidden: 2 * hidden] += update_bias
        self.rho = _mlp([hidden] * (rho_layers + 1) + [classes])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        perm = torch.argsort(torch.rand(x.shape), dim=1)
        _, h = self.gru(self.emb(torch.gather(x, 1, perm)))
        return self.rho(h[-1])


def janossy(seed: int, lr: float = 1e-3, rho_layers: int = 1, update_bias: float = 0.0) -> Setup:
    """Janossy pooling on the token sets (batch 32), cross-entropy, Adam at lr 1e-3; ``rho_layers``,
    ``update_bias``: see :class:`Janossy`."""
    torch.manual_seed(750_000 + seed)
    model = Janossy(rho_layers=rho_layers, update_bias=update_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), token_sets(seed), F.cross_entropy)


# ---- Poincaré embeddings (Nickel and Kiela 2017) --------------------------------------------------------------------

def hierarchy(seed: int, branching: int = 3, depth: int = 3, negatives: int = 10, batch: int = 32
              ) -> tuple[int, Callable[[int], Any]]:
    """The transitive closure of a balanced tree (branching 3, depth 3: 40 nodes, 102 (descendant, ancestor) pairs).
    Each batch: 32 pairs ``(u, v)`` and 10 negatives per pair drawn uniformly from all nodes (a user's sampler: a
    negative may be ``u`` itself); ``(ids (b, 12) = [u, v, n_1..n_10], target 0 (b,))``."""
    parent = [-1]
    frontier = [0]
    for _ in range(depth):
        nxt = []
        for p in frontier:
            for _ in range(branching):
                parent.append(p)
                nxt.append(len(parent) - 1)
        frontier = nxt
    n = len(parent)
    pairs = []
    for c in range(1, n):
        a = parent[c]
        while a >= 0:
            pairs.append((c, a))
            a = parent[a]
    pairs_t = torch.tensor(pairs)

    def make(g: torch.Generator, _: int) -> Any:
        pick = pairs_t[torch.randint(0, len(pairs_t), (batch,), generator=g)]
        negs = torch.randint(0, n, (batch, negatives), generator=g)
        return torch.cat([pick, negs], 1), torch.zeros(batch, dtype=torch.long)
    return n, _pool(seed, make)


class _Arcosh(torch.autograd.Function):
    """The reference code's arcosh: ``log(x + sqrt(x^2 - 1))`` with the gradient's ``sqrt(x^2 - 1)`` clamped at
    1e-5 (coincident points have ``x = 1``)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        z = torch.sqrt(torch.clamp(x * x - 1, min=0.0))
        ctx.save_for_backward(z)
        return torch.log(x + z)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (z,) = ctx.saved_tensors
        return grad / z.clamp(min=1e-5)


class Poincare(nn.Module):
    """Poincaré embeddings (Nickel and Kiela 2017): 5-d points in the unit ball drawn U(-0.001, 0.001), the distance
    ``arcosh(1 + 2 |u - v|^2 / ((1 - |u|^2)(1 - |v|^2)))`` (squared norms clamped below ``1 - 1e-5``); the output
    is ``-d(u, .)`` to the positive and the negatives (a softmax over them is the paper's loss).
    ``torch_acosh``: the distance's arcosh taken as ``torch.acosh`` (the slip) instead of the reference code's."""

    def __init__(self, n: int, dim: int = 5, torch_acosh: bool = False) -> None:
        super().__init__()
        self.emb = nn.Parameter(torch.empty(n, dim).uniform_(-1e-3, 1e-3))
        self.torch_acosh = torch_acosh

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        e = self.emb[ids]
        u, v = e[:, :1], e[:, 1:]
        sq_u = (u * u).sum(-1).clamp(max=1 - 1e-5)
        sq_v = (v * v).sum(-1).clamp(max=1 - 1e-5)
        x = 1 + 2 * ((u - v) ** 2).sum(-1) / ((1 - sq_u) * (1 - sq_v))
        d = torch.acosh(x) if self.torch_acosh else _Arcosh.apply(x)
        return -d


class RiemannianSGD(torch.optim.Optimizer):
    """The paper's Riemannian SGD in the Poincaré ball: the Euclidean gradient rescaled by ``(1 - |theta|^2)^2 / 4``,
    a step, and the projection back inside the ball (norm at most ``1 - 1e-5``)."""

    def __init__(self, params: Any, lr: float) -> None:
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                scale = (1 - (p * p).sum(-1, keepdim=True)) ** 2 / 4
                p.add_(p.grad * scale, alpha=-group["lr"])
                norm = p.norm(dim=-1, keepdim=True)
                p.mul_(torch.where(norm >= 1 - 1e-5, (1 - 1e-5) / norm, torch.ones_like(norm)))
        return None


def poincare(seed: int, lr: float = 1.0, torch_acosh: bool = False) -> Setup:
    """Poincaré embeddings of the tree's closure (32 pairs with 10 negatives a batch), the paper's softmax loss
    (cross-entropy of ``-d`` with the positive as the target), Riemannian SGD at lr 1.0 (set here; the reference code
    runs 0.3 with a burn-in over far more epochs); ``torch_acosh``: see :class:`Poincare`."""
    torch.manual_seed(750_000 + seed)
    n, batches = hierarchy(seed)
    model = Poincare(n, torch_acosh=torch_acosh)
    return _xy(model, RiemannianSGD(model.parameters(), lr=lr), batches, F.cross_entropy)


# ---- RS-CNN (Liu et al. 2019) ---------------------------------------------------------------------------------------

def _shape(kind: int, n: int, g: torch.Generator) -> torch.Tensor:
    """``n`` points on a unit shape: 0 sphere, 1 cube surface, 2 cylinder, 3 cone."""
    if kind == 0:
        p = torch.randn(n, 3, generator=g)
        return p / p.norm(dim=1, keepdim=True)
    if kind == 1:
        p = torch.rand(n, 3, generator=g) * 2 - 1
        axis = torch.randint(0, 3, (n,), generator=g)
        side = torch.randint(0, 2, (n,), generator=g).float() * 2 - 1
        p[torch.arange(n), axis] = side
        return p
    t = torch.rand(n, generator=g) * 2 * math.pi
    z = torch.rand(n, generator=g) * 2 - 1
    r = torch.ones(n) if kind == 2 else (1 - z) / 2
    return torch.stack([r * torch.cos(t), r * torch.sin(t), z], 1)


def point_clouds(seed: int, batch: int = 16, points: int = 64, centres: int = 16, k: int = 8
                 ) -> Callable[[int], Any]:
    """Point clouds of 64 points on one of 4 unit shapes (sphere, cube, cylinder, cone), randomly scaled per axis
    (0.8 to 1.2) and jittered (N(0, 0.02^2)); 16 centroids sampled at random (in place of farthest-point sampling) and
    each centroid's 8 nearest points (itself included), precomputed: ``((points (b, 64, 3), centroid ids (b, 16),
    neighbour ids (b, 16, 8)), shape (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        pts = torch.stack([_shape(int(c), points, g) for c in y])
        pts = pts * (0.8 + 0.4 * torch.rand(batch, 1, 3, generator=g)) + 0.02 * torch.randn(pts.shape, generator=g)
        cid = torch.stack([torch.randperm(points, generator=g)[:centres] for _ in range(batch)])
        cen = torch.gather(pts, 1, cid[..., None].expand(-1, -1, 3))
        nid = torch.cdist(cen, pts).topk(k, largest=False).indices
        return (pts, cid, nid), y
    return _pool(seed, make)


class RSCNN(nn.Module):
    """RS-CNN (Liu et al. 2019), narrowed to one relation-shape convolution: a shared Linear 3 -> 16 with BatchNorm
    and ReLU lifts every point; for each centroid ``i`` and neighbour ``j`` the low-level relation ``h_ij = [d_ij,
    x_i - x_j, x_i, x_j]`` (10 values) is mapped by an MLP (10 -> 16 -> 16, BN, ReLU) to a channel-wise weight
    ``w_ij`` on the neighbour's feature ``f_j``, then BN, ReLU, max over the neighbours and a channel-raising Linear
    16 -> 64 (BN, ReLU); a shared Linear 64 -> 128 (BN, ReLU) on the 16 centroids, max-pooled, and the classifier
    128 -> 64 -> 4 (BN, ReLU, dropout 0.5). ``bn_bias``: every BatchNorm's shift set to it (0 healthy); ``bn``:
    False removes every BatchNorm."""

    def __init__(self, bn_bias: float = 0.0, bn: bool = True) -> None:
        super().__init__()
        self.lift = nn.Linear(3, 16)
        self.bn_lift = nn.BatchNorm1d(16)
        self.rel1 = nn.Linear(10, 16)
        self.bn_rel = nn.BatchNorm1d(16)
        self.rel2 = nn.Linear(16, 16)
        self.bn_conv = nn.BatchNorm1d(16)
        self.raise_ = nn.Linear(16, 64)
        self.bn_raise = nn.BatchNorm1d(64)
        self.glob = nn.Linear(64, 128)
        self.bn_glob = nn.BatchNorm1d(128)
        self.fc1 = nn.Linear(128, 64)
        self.bn_fc = nn.BatchNorm1d(64)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(64, 4)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.BatchNorm1d):
                    m.bias.fill_(bn_bias)
        if not bn:
            for name, m in list(self.named_children()):
                if isinstance(m, nn.BatchNorm1d):
                    setattr(self, name, nn.Identity())

    @staticmethod
    def _bn(bn: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return bn(x.reshape(-1, x.shape[-1])).view(x.shape)

    def forward(self, x: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        pts, cid, nid = x
        b, c, k = nid.shape
        f = F.relu(self._bn(self.bn_lift, self.lift(pts)))  # (b, n, 16)
        xi = torch.gather(pts, 1, cid[..., None].expand(-1, -1, 3))[:, :, None].expand(b, c, k, 3)
        flat = nid.reshape(b, c * k, 1)
        xj = torch.gather(pts, 1, flat.expand(-1, -1, 3)).view(b, c, k, 3)
        fj = torch.gather(f, 1, flat.expand(-1, -1, 16)).view(b, c, k, 16)
        d = (xi - xj).norm(dim=-1, keepdim=True)
        h = torch.cat([d, xi - xj, xi, xj], -1)
        w = self.rel2(F.relu(self._bn(self.bn_rel, self.rel1(h))))
        g = F.relu(self._bn(self.bn_conv, w * fj)).amax(2)  # (b, c, 16)
        g = F.relu(self._bn(self.bn_raise, self.raise_(g)))
        g = F.relu(self._bn(self.bn_glob, self.glob(g))).amax(1)
        return self.fc2(self.drop(F.relu(self.bn_fc(self.fc1(g)))))


def rscnn(seed: int, lr: float = 1e-3, bn_bias: float = 0.0, bn: bool = True, weight_decay: float = 0.0,
          adamw: bool = False, sgd: bool = False) -> Setup:
    """RS-CNN on the shape clouds (batch 16), cross-entropy, Adam at the paper's lr 1e-3 (its decay schedule left
    out); ``bn_bias``, ``bn``: see :class:`RSCNN`; ``adamw``, ``weight_decay``: AdamW with that decay instead;
    ``sgd``: SGD with momentum 0.9 at ``lr`` instead."""
    torch.manual_seed(750_000 + seed)
    model = RSCNN(bn_bias=bn_bias, bn=bn)
    if sgd:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:
        cls = torch.optim.AdamW if adamw else torch.optim.Adam
        opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, point_clouds(seed), F.cross_entropy)


# ---- GIN with GraphNorm (Cai et al. 2021) ---------------------------------------------------------------------------

def _er(n: int, p: float, g: torch.Generator) -> torch.Tensor:
    a = (torch.rand(n, n, generator=g) < p).triu(1)
    return (a | a.T).nonzero().T


def _ba(n: int, m: int, g: torch.Generator) -> torch.Tensor:
    """Barabási-Albert preferential attachment, ``m`` edges per new node."""
    src, dst = [], []
    targets = list(range(m))
    repeated: list[int] = []
    for v in range(m, n):
        for t in set(targets):
            src += [v, t]
            dst += [t, v]
        repeated += targets + [v] * m
        pick = torch.randint(0, len(repeated), (m,), generator=g).tolist()
        targets = [repeated[i] for i in pick]
    return torch.tensor([src, dst])


def graphs(seed: int, batch: int = 16, low: int = 100, high: int = 200) -> Callable[[int], Any]:
    """Graph classification without node features: Erdős-Rényi graphs (class 0) against Barabási-Albert graphs
    (class 1, ``m = 3``) of the same mean degree (about 6), 100 to 199 nodes, batched as one disjoint union:
    ``((edge index (2, E), graph id per node (N,), graphs), class (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 2, (batch,), generator=g)
        edges, gid, off = [], [], 0
        for i, c in enumerate(y.tolist()):
            n = int(torch.randint(low, high, (1,), generator=g))
            e = _ba(n, 3, g) if c else _er(n, 6.0 / n, g)
            edges.append(e + off)
            gid.append(torch.full((n,), i))
            off += n
        return (torch.cat(edges, 1), torch.cat(gid), batch), y.float()
    return _pool(seed, make)


class GraphNorm(nn.Module):
    """GraphNorm (Cai et al. 2021): per graph, ``gamma (h - alpha mean) / std + beta`` with a learnable shift
    ``alpha`` (from 1), std over the graph's nodes with eps 1e-5."""

    def __init__(self, dim: int, bias: float = 0.0) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.full((dim,), bias))
        self.alpha = nn.Parameter(torch.ones(dim))

    def forward(self, h: torch.Tensor, gid: torch.Tensor, graphs_: int) -> torch.Tensor:
        count = torch.zeros(graphs_).index_add_(0, gid, torch.ones(len(gid)))[:, None]
        mean = torch.zeros(graphs_, h.shape[1]).index_add_(0, gid, h) / count
        c = h - self.alpha * mean[gid]
        var = torch.zeros(graphs_, h.shape[1]).index_add_(0, gid, c * c) / count
        return self.gamma * c / (var[gid] + 1e-5).sqrt() + self.beta


class GIN(nn.Module):
    """GIN (Xu et al. 2019) with GraphNorm (Cai et al. 2021) after every layer's MLP: constant node features (1), 4
    GIN layers ``MLP((1 + eps) h_v + sum_u h_u)`` (MLPs of two Linear layers of 32, ``eps`` learnable from 0),
    GraphNorm and ReLU; the paper's readout: every layer's node states (the input's too) summed over each graph and
    mapped to one logit, the layers' logits added. ``norm``: False drops the GraphNorms; ``norm_bias``: the
    GraphNorms' shifts ``beta``."""

    def __init__(self, hidden: int = 32, layers: int = 4, norm: bool = True, norm_bias: float = 0.0) -> None:
        super().__init__()
        dims = [1] + [hidden] * layers
        self.mlps = nn.ModuleList(_mlp([dims[i], hidden, hidden]) for i in range(layers))
        self.eps = nn.Parameter(torch.zeros(layers))
        self.norms = nn.ModuleList(GraphNorm(hidden, norm_bias) for _ in range(layers)) if norm else None
        self.heads = nn.ModuleList(nn.Linear(d, 1) for d in dims)

    def forward(self, x: tuple[torch.Tensor, torch.Tensor, int]) -> torch.Tensor:
        edges, gid, b = x
        h = torch.ones(len(gid), 1)
        out = self.heads[0](torch.zeros(b, 1).index_add_(0, gid, h))
        for i, mlp in enumerate(self.mlps):
            agg = torch.zeros_like(h).index_add_(0, edges[1], h[edges[0]])
            h = mlp((1 + self.eps[i]) * h + agg)
            if self.norms is not None:
                h = self.norms[i](h, gid, b)
            h = F.relu(h)
            out = out + self.heads[i + 1](torch.zeros(b, h.shape[1]).index_add_(0, gid, h))
        return out.squeeze(-1)


def _softplus_bce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The logistic loss written by hand, ``log(1 + exp(-s))`` with ``s = (2y - 1) logit`` (the slip: no max shift,
    where ``F.binary_cross_entropy_with_logits`` or ``F.softplus`` belongs)."""
    return torch.log(1 + torch.exp(-(2 * y - 1) * logits)).mean()


def gin_graphnorm(seed: int, lr: float = 0.01, norm: bool = True, norm_bias: float = 0.0,
                  softplus_by_hand: bool = False) -> Setup:
    """GIN with GraphNorm on the ER-against-BA graphs (16 graphs a batch), the logistic loss, Adam at the papers' lr
    0.01; ``norm``, ``norm_bias``: see :class:`GIN`; ``softplus_by_hand``: the loss computed by
    :func:`_softplus_bce`."""
    torch.manual_seed(750_000 + seed)
    model = GIN(norm=norm, norm_bias=norm_bias)
    loss = _softplus_bce if softplus_by_hand else F.binary_cross_entropy_with_logits
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), graphs(seed), loss)


# ---- GNN-FiLM (Brockschmidt 2020) -----------------------------------------------------------------------------------

def sbm(seed: int, n: int = 300, classes: int = 4, features: int = 32) -> tuple[torch.Tensor, ...]:
    """A stochastic block model (4 classes of 75 nodes, edge probabilities 0.05 within a class and 0.005 across),
    its edge index, weak node features (the class's fixed mean direction times 0.3 plus N(0, 1) noise, 32-d) and the
    labels; the first half of a fixed random order is the training set: ``(edges (2, E), features, labels, train
    mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.05, 0.005)
    a = (torch.rand(n, n, generator=g) < p).triu(1)
    edges = (a | a.T).nonzero().T
    means = torch.randn(classes, features, generator=_fixed(3))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return edges, x, y, train


class FiLMLayer(nn.Module):
    """One GNN-FiLM layer (Brockschmidt 2020) over one edge type plus the self-loop type: messages ``gamma_v * (W
    h_u) + beta_v`` with ``(gamma_v, beta_v) = g(h_v)`` computed from the receiving node, averaged over the incoming
    edges (the reference code's normalisation by the number of incoming messages), ReLU."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.w = nn.Linear(d_in, d_out, bias=False)
        self.film = nn.Linear(d_in, 2 * d_out, bias=False)
        self.self_w = nn.Linear(d_in, d_out, bias=False)
        self.self_film = nn.Linear(d_in, 2 * d_out, bias=False)

    def forward(self, h: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
        src, dst = edges
        gamma, beta = self.film(h).chunk(2, -1)
        msg = gamma[dst] * self.w(h)[src] + beta[dst]
        agg = torch.zeros(h.shape[0], msg.shape[1]).index_add_(0, dst, msg)
        agg = agg / torch.zeros(h.shape[0]).index_add_(0, dst, torch.ones(len(dst))).clamp(min=1)[:, None]
        sg, sb = self.self_film(h).chunk(2, -1)
        return F.relu(agg + sg * self.self_w(h) + sb)


class GNNFiLM(nn.Module):
    """GNN-FiLM: three FiLM layers of 64 (dropout 0.2 between them) and a Linear classifier."""

    def __init__(self, d_in: int = 32, hidden: int = 64, classes: int = 4) -> None:
        super().__init__()
        self.layers = nn.ModuleList([FiLMLayer(d_in, hidden), FiLMLayer(hidden, hidden), FiLMLayer(hidden, hidden)])
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        h, edges = x
        for layer in self.layers:
            h = self.drop(layer(h, edges))
        return self.out(h)


def gnn_film(seed: int, lr: float = 1e-3, init_std: float | None = None, weight_decay: float = 0.0) -> Setup:
    """GNN-FiLM on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the reference
    code's lr 1e-3; ``init_std``: every Linear drawn N(0, init_std^2); ``weight_decay``: Adam's coupled decay."""
    torch.manual_seed(750_000 + seed)
    edges, x, y, train = sbm(seed)
    model = GNNFiLM()
    if init_std is not None:
        _normal_init(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: ((x, edges), y), lambda out, t: F.cross_entropy(out[train], t[train]))
