"""Builders of the ninety-sixth held-out batch (``fresh95.py``): graph, recommender and tabular architectures new to
the corpus at their usual settings, and broken variants with one real fault each, plus the small data sets they train
on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
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
    return torch.Generator().manual_seed(950_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9500 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm(seed: int, n: int = 320, classes: int = 4, features: int = 32, p_in: float = 0.05, p_out: float = 0.004,
        signal: float = 0.25) -> tuple[torch.Tensor, ...]:
    """A stochastic block model (4 classes of 80 nodes, edge probabilities 0.05 within a class and 0.004 across, a
    ring through each class so that no node is isolated), its symmetric 0/1 adjacency without self-loops, weak node
    features (the class's fixed mean direction times 0.25 plus N(0, 1) noise) and the labels; the first half of a fixed
    random order is the training set: ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], p_in, p_out)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    for c in range(classes):
        idx = (y == c).nonzero().flatten()
        a[idx, idx.roll(1)] = 1.0
    a = ((a + a.T) > 0).float()
    a.fill_diagonal_(0.0)
    means = torch.randn(classes, features, generator=_fixed(1))
    x = signal * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def sym_norm(a: torch.Tensor, self_loops: bool) -> torch.Tensor:
    """``D^-1/2 (A [+ I]) D^-1/2``."""
    if self_loops:
        a = a + torch.eye(a.shape[0])
    d = a.sum(1).clamp(min=1.0).rsqrt()
    return d[:, None] * a * d[None]


def news(seed: int, batch: int = 32, history: int = 10, title: int = 6, negatives: int = 4, topics: int = 8,
         users: int = 2000) -> Callable[[int], Any]:
    """News clicks: titles of 6 tokens over a 100-token vocabulary (each topic owns 10 tokens, drawn with probability
    0.6, else one of 20 common tokens); each impression's user (one of 2,000 ids) has two interest topics this session,
    its 10 clicked titles are drawn from them, and its candidates are one title of an interest topic (the click) and
    four of other topics, in random order: ``((user (b,), history (b, 10, 6), candidates (b, 5, 6)), click index)``."""
    def titles(g: torch.Generator, t: torch.Tensor) -> torch.Tensor:
        own = t[..., None] * 10 + torch.randint(0, 10, (*t.shape, title), generator=g)
        common = 80 + torch.randint(0, 20, (*t.shape, title), generator=g)
        return torch.where(torch.rand(*t.shape, title, generator=g) < 0.6, own, common)

    def make(g: torch.Generator, _: int) -> Any:
        perm = torch.argsort(torch.rand(batch, topics, generator=g), 1)
        interest = perm[:, :2]
        pick = torch.randint(0, 2, (batch, history), generator=g)
        hist = titles(g, interest.gather(1, pick))
        pos_topic = interest.gather(1, torch.randint(0, 2, (batch, 1), generator=g))
        neg_topic = perm[:, 2 + torch.randperm(topics - 2, generator=g)[:negatives]]
        cand_topic = torch.cat([pos_topic, neg_topic], 1)
        order = torch.argsort(torch.rand(batch, negatives + 1, generator=g), 1)
        cand = titles(g, cand_topic.gather(1, order))
        label = (order == 0).float().argmax(1)
        user = torch.randint(0, users, (batch,), generator=g)
        return (user, hist, cand), label
    return _pool(seed, make)


def ctr(seed: int, batch: int = 256, fields: int = 8, vocab: int = 20, missing: float = 0.1,
        shuffled: bool = False) -> Callable[[int], Any]:
    """Click logs of 8 categorical fields of 20 values each (id 0 = a missing value, drawn with probability 0.1): a
    fixed teacher of per-value weights plus per-value vectors whose pairwise products over three field pairs add
    interactions; click = teacher logit above 0 (about half): ``(field ids (b, 8), click (b,))``; ``shuffled``: the
    clicks permuted within every batch, apart from their rows."""
    fg = _fixed(2)
    w = torch.randn(fields, vocab, generator=fg)
    v = torch.randn(fields, vocab, 4, generator=fg)
    w[:, 0], v[:, 0] = 0.0, 0.0
    pairs = [(0, 1), (2, 3), (4, 5)]

    def make(g: torch.Generator, _: int) -> Any:
        ids = torch.randint(1, vocab, (batch, fields), generator=g)
        ids = torch.where(torch.rand(batch, fields, generator=g) < missing, torch.zeros_like(ids), ids)
        f = torch.arange(fields)
        logit = 0.5 * w[f, ids].sum(1)
        for i, j in pairs:
            logit = logit + (v[i, ids[:, i]] * v[j, ids[:, j]]).sum(1)
        y = (logit > 0).float()
        return ids, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def implicit(seed: int, users: int = 200, items: int = 320, clusters: int = 8, per_user: int = 16
             ) -> torch.Tensor:
    """An implicit-feedback matrix: users and items in 8 taste clusters; each user has 16 items of its cluster's 40
    and 2 random items: ``R (users, items)`` of 0/1."""
    g = _gen(seed)
    ucl = torch.arange(users) % clusters
    icl = torch.arange(items) % clusters
    r = torch.zeros(users, items)
    for u in range(users):
        own = (icl == ucl[u]).nonzero().flatten()
        r[u, own[torch.randperm(len(own), generator=g)[:per_user]]] = 1.0
        r[u, torch.randint(0, items, (2,), generator=g)] = 1.0
    return r


def bpr_triples(seed: int, r: torch.Tensor, batch: int = 256, steps: int = 200,
                negatives_from_positives: bool = False) -> Callable[[int], Any]:
    """BPR's uniform sampler: a user, one of its items and one item it has not interacted with, fresh each step (200
    batches); ``negatives_from_positives``: the negative drawn with ``torch.multinomial(R[u], 1)``, the positive's
    line, where ``1 - R[u]`` belongs."""
    def make(g: torch.Generator, _: int) -> Any:
        u = torch.randint(0, r.shape[0], (batch,), generator=g)
        i = torch.multinomial(r[u], 1, generator=g).flatten()
        j = torch.multinomial(r[u] if negatives_from_positives else 1 - r[u], 1, generator=g).flatten()
        return torch.stack([u, i, j], 1), torch.zeros(batch)
    return _pool(seed, make, steps)


def weighted_graph(seed: int, n: int = 400, communities: int = 8, p_in: float = 0.08, p_out: float = 0.003
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """A weighted community graph (8 communities of 50 nodes; edge probabilities 0.08 and 0.003), weights heavy-tailed
    co-occurrence counts ``ceil(exp(N(1, 1.5^2)))`` (median 3, the largest several hundred), as both directions:
    ``(edges (m, 2), weights (m,))``."""
    g = _gen(seed)
    c = torch.arange(n) % communities
    p = torch.where(c[:, None] == c[None], p_in, p_out)
    a = (torch.rand(n, n, generator=g) < p).triu(1)
    src, dst = a.nonzero(as_tuple=True)
    w = torch.exp(1.0 + 1.5 * torch.randn(len(src), generator=g)).ceil()
    edges = torch.cat([torch.stack([src, dst], 1), torch.stack([dst, src], 1)])
    return edges, torch.cat([w, w])


def line_batches(seed: int, edges: torch.Tensor, w: torch.Tensor, n: int = 400, batch: int = 256, k: int = 5,
                 steps: int = 200, weights_in_loss: bool = False) -> Callable[[int], Any]:
    """LINE's samplers: edges drawn with probability proportional to their weight (the paper's edge sampling, alias
    tables in the reference code) and 5 negatives per edge from the noise distribution ``d^0.75`` of the weighted
    degrees, fresh each step: ``((edges (b, 2), negatives (b, 5)), loss weights (b,))``, the weights all 1;
    ``weights_in_loss``: the edges drawn uniformly and their weights returned as loss weights (the objective
    ``-sum w_ij log p(j | i)`` written literally)."""
    deg = torch.zeros(n).index_add_(0, edges[:, 0], w)
    noise = deg ** 0.75

    def make(g: torch.Generator, _: int) -> Any:
        if weights_in_loss:
            idx = torch.randint(0, len(edges), (batch,), generator=g)
            lw = w[idx]
        else:
            idx = torch.multinomial(w, batch, replacement=True, generator=g)
            lw = torch.ones(batch)
        neg = torch.multinomial(noise, batch * k, replacement=True, generator=g).view(batch, k)
        return (edges[idx], neg), lw
    return _pool(seed, make, steps)


def tabular(seed: int, batch: int = 256, features: int = 16) -> Callable[[int], Any]:
    """Imbalanced tabular classes: 16 Gaussian features, a fixed score ``x w + 0.7 x_0 x_1``, and the classes its
    quantile bands, 70% / 20% / 10% (class 0 below the score's 70th percentile, class 2 above its 90th):
    ``(features, class)``."""
    fg = _fixed(3)
    wt = torch.randn(features, generator=fg) / math.sqrt(features)
    ref = torch.randn(20000, features, generator=fg)
    s_ref = ref @ wt + 0.7 * ref[:, 0] * ref[:, 1]
    q70, q90 = torch.quantile(s_ref, 0.7), torch.quantile(s_ref, 0.9)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        s = x @ wt + 0.7 * x[:, 0] * x[:, 1]
        return x, (s > q70).long() + (s > q90).long()
    return _pool(seed, make)


#: the tabular classes' frequencies (70%, 20%, 10%)
TAB_FREQ = torch.tensor([0.7, 0.2, 0.1])


def rules(seed: int, batch: int = 256, features: int = 8) -> Callable[[int], Any]:
    """Axis-aligned tabular rules: 8 Gaussian features, the class ``2 [x_0 > 0.3] + [x_1 > -0.2]`` flipped to a
    random class for 5% of the rows: ``(features, class)`` (4 classes)."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        y = 2 * (x[:, 0] > 0.3).long() + (x[:, 1] > -0.2).long()
        flip = torch.rand(batch, generator=g) < 0.05
        return x, torch.where(flip, torch.randint(0, 4, (batch,), generator=g), y)
    return _pool(seed, make)


# ---- models ----------------------------------------------------------------------------------------------------------

class JacobiConv(nn.Module):
    """JacobiConv (Wang and Zhang 2022): ``Z = sum_k alpha_k P_k^(a,b)(A_hat) X W``, a linear map of the features
    filtered by Jacobi polynomials of the normalised adjacency (the three-term recurrence), the per-channel
    coefficients by polynomial coefficient decomposition ``alpha_k = prod_(i<=k) gamma tanh(eta_i)``. ``a_hat``: the
    propagation matrix (the healthy build's ``D^-1/2 A D^-1/2``)."""

    def __init__(self, a_hat: torch.Tensor, features: int, classes: int, order: int = 10, a: float = 1.0,
                 b: float = 1.0, gamma: float = 1.0, dropout: float = 0.3) -> None:
        super().__init__()
        self.register_buffer("a_hat", a_hat)
        self.lin = nn.Linear(features, classes)
        self.eta = nn.Parameter(torch.full((order, classes), 0.5))
        self.order, self.a, self.b, self.gamma, self.dropout = order, a, b, gamma, dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lin(F.dropout(x, self.dropout, self.training))
        a, b, adj = self.a, self.b, self.a_hat
        ps = [h, (a - b) / 2 * h + (a + b + 2) / 2 * (adj @ h)]
        for k in range(2, self.order + 1):
            c = 2 * k + a + b
            t1 = c * (c - 1) / (2 * k * (k + a + b))
            t2 = (c - 1) * (a * a - b * b) / (2 * k * (k + a + b) * (c - 2))
            t3 = (k + a - 1) * (k + b - 1) * c / (k * (k + a + b) * (c - 2))
            ps.append(t1 * (adj @ ps[-1]) + t2 * ps[-1] - t3 * ps[-2])
        alphas = torch.cumprod(self.gamma * torch.tanh(self.eta), 0)
        return ps[0] + sum(alphas[k - 1] * ps[k] for k in range(1, self.order + 1))


class G2GNN(nn.Module):
    """G^2-gated GCN (Rusch et al. 2023): an encoder, ``layers`` applications of one shared GCN layer, each update
    gated per node and channel, ``X <- (1 - tau) X + tau relu(GCN(X))`` with ``tau = tanh(mean_(j in N(i))
    |Y_j - Y_i|^p)``, ``Y = relu(GCN_g(X))`` (a second shared GCN layer), p = 2; a decoder. ``gates=False``: every
    update taken whole (``tau = 1``: a plain deep GCN); ``init_std``: every Linear drawn N(0, std^2);
    ``relu_bias``: the encoder's and both GCN layers' biases set to that value."""

    def __init__(self, a: torch.Tensor, features: int, classes: int, hidden: int = 64, layers: int = 8,
                 p: float = 2.0, dropout: float = 0.5, gates: bool = True, init_std: float | None = None,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.register_buffer("a_hat", sym_norm(a, True))
        src, dst = a.nonzero(as_tuple=True)
        self.register_buffer("src", src)
        self.register_buffer("dst", dst)
        self.register_buffer("deg", a.sum(1).clamp(min=1.0))
        self.enc = nn.Linear(features, hidden)
        self.conv = nn.Linear(hidden, hidden)
        self.conv_g = nn.Linear(hidden, hidden)
        self.dec = nn.Linear(hidden, classes)
        self.layers, self.p, self.dropout, self.gates = layers, p, dropout, gates
        if init_std is not None:
            for m in (self.enc, self.conv, self.conv_g, self.dec):
                nn.init.normal_(m.weight, 0.0, init_std)
        if relu_bias is not None:
            for m in (self.enc, self.conv, self.conv_g):
                nn.init.constant_(m.bias, relu_bias)

    def gcn(self, lin: nn.Linear, x: torch.Tensor) -> torch.Tensor:
        return self.a_hat @ (x @ lin.weight.T) + lin.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, self.dropout, self.training)
        x = F.relu(self.enc(x))
        for _ in range(self.layers):
            upd = F.relu(self.gcn(self.conv, x))
            if self.gates:
                yg = F.relu(self.gcn(self.conv_g, x))
                diff = (yg[self.src] - yg[self.dst]).abs() ** self.p
                tau = torch.tanh(torch.zeros_like(x).index_add_(0, self.dst, diff) / self.deg[:, None])
                x = (1 - tau) * x + tau * upd
            else:
                x = upd
        return self.dec(F.dropout(x, self.dropout, self.training))


class LSTUR(nn.Module):
    """LSTUR-ini (An et al. 2019), narrowed to titles: a news encoder (word embeddings of 32, a CNN of 64 filters of
    window 3 with ReLU, dropout 0.2, additive attention pooling) and a user encoder, a GRU over the clicked news whose
    initial state is the user's long-term embedding (zero at the start, set here; masked whole with probability 0.5
    in training, the paper's ``p``); the click score is the dot product of the user and candidate vectors.
    ``update_gate_bias``: the GRU's update-gate biases (input and hidden) set to that value each."""

    def __init__(self, vocab: int = 100, users: int = 2000, dim: int = 32, filters: int = 64, query: int = 32,
                 update_gate_bias: float | None = None) -> None:
        super().__init__()
        self.word = nn.Embedding(vocab, dim)
        self.cnn = nn.Conv1d(dim, filters, 3, padding=1)
        self.att = nn.Sequential(nn.Linear(filters, query), nn.Tanh(), nn.Linear(query, 1, bias=False))
        self.user = nn.Embedding(users, filters)
        nn.init.zeros_(self.user.weight)
        self.gru = nn.GRU(filters, filters, batch_first=True)
        if update_gate_bias is not None:
            with torch.no_grad():
                self.gru.bias_ih_l0[filters:2 * filters] = update_gate_bias
                self.gru.bias_hh_l0[filters:2 * filters] = update_gate_bias

    def encode(self, titles: torch.Tensor) -> torch.Tensor:
        shape = titles.shape[:-1]
        e = F.dropout(self.word(titles.flatten(0, -2)), 0.2, self.training)
        h = F.dropout(F.relu(self.cnn(e.transpose(1, 2))).transpose(1, 2), 0.2, self.training)
        a = torch.softmax(self.att(h), 1)
        return (a * h).sum(1).view(*shape, -1)

    def forward(self, inputs: Any) -> torch.Tensor:
        user, hist, cand = inputs
        h0 = self.user(user)
        if self.training:
            keep = (torch.rand(h0.shape[0], 1) > 0.5).float()
            h0 = h0 * keep
        _, u = self.gru(self.encode(hist), h0[None].contiguous())
        return (self.encode(cand) * u[0][:, None]).sum(-1)


class EulerNet(nn.Module):
    """EulerNet (Tian et al. 2023): each field's embedding read as a complex vector ``r + i p`` (two halves of 8),
    turned to polar form ``lambda e^(i theta)``; the Euler interaction layer's explicit part raises the fields to
    learnable orders in log space, ``lambda~_k = exp(sum_j alpha_kj log lambda_j)``, ``theta~_k = sum_j alpha_kj
    theta_j + delta_k`` (10 order vectors), its implicit part a linear map with ReLU of ``r`` and of ``p``; the logit a
    linear read-out of the summed real and imaginary parts. ``eps``: added under the modulus's square root (the
    reference code's guard; 0 removes it). Missing values (id 0) have a zero embedding (``padding_idx``)."""

    def __init__(self, fields: int = 8, vocab: int = 20, dim: int = 8, orders: int = 10, eps: float = 1e-8) -> None:
        super().__init__()
        self.emb = nn.ModuleList(nn.Embedding(vocab, 2 * dim, padding_idx=0) for _ in range(fields))
        for e in self.emb:
            nn.init.normal_(e.weight, 0.0, 0.1)
            with torch.no_grad():
                e.weight[0].zero_()
        self.alpha = nn.Parameter(torch.randn(orders, fields) * 0.1 + 1.0 / fields)
        self.delta = nn.Parameter(torch.zeros(orders, dim))
        self.imp_r = nn.Linear(fields * dim, orders * dim)
        self.imp_p = nn.Linear(fields * dim, orders * dim)
        self.out = nn.Linear(2 * orders * dim, 1)
        self.dim, self.orders, self.eps = dim, orders, eps

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        e = torch.stack([emb(ids[:, j]) for j, emb in enumerate(self.emb)], 1)
        r, p = e[..., :self.dim], e[..., self.dim:]
        lam = torch.sqrt(r * r + p * p + self.eps)
        theta = torch.atan2(p, r)
        lam_k = torch.exp(torch.einsum("kf,bfd->bkd", self.alpha, torch.log(lam)))
        theta_k = torch.einsum("kf,bfd->bkd", self.alpha, theta) + self.delta
        b = ids.shape[0]
        r_out = lam_k * torch.cos(theta_k) + F.relu(self.imp_r(r.reshape(b, -1))).view(b, self.orders, self.dim)
        p_out = lam_k * torch.sin(theta_k) + F.relu(self.imp_p(p.reshape(b, -1))).view(b, self.orders, self.dim)
        return self.out(torch.cat([r_out.flatten(1), p_out.flatten(1)], 1)).squeeze(1)


class BPRMF(nn.Module):
    """Matrix factorisation for BPR (Rendle et al. 2009): ``x_uij = p_u . (q_i - q_j)``; the forward returns the
    score differences and the regulariser ``|p_u|^2 + |q_i|^2 + |q_j|^2`` per triple. ``init_std``: the embeddings'
    N(0, std^2) (0: all zero)."""

    def __init__(self, users: int = 200, items: int = 320, dim: int = 32, init_std: float = 0.1) -> None:
        super().__init__()
        self.p = nn.Embedding(users, dim)
        self.q = nn.Embedding(items, dim)
        for e in (self.p, self.q):
            nn.init.normal_(e.weight, 0.0, init_std) if init_std > 0 else nn.init.zeros_(e.weight)

    def forward(self, uij: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pu, qi, qj = self.p(uij[:, 0]), self.q(uij[:, 1]), self.q(uij[:, 2])
        return (pu * (qi - qj)).sum(1), (pu * pu).sum(1) + (qi * qi).sum(1) + (qj * qj).sum(1)


class LINE(nn.Module):
    """LINE with second-order proximity (Tang et al. 2015): vertex and context embeddings of 32, the vertices drawn
    U(-0.5/d, 0.5/d) and the contexts zero (the reference code's); ``log sigma(c_j . v_i) + sum_n log sigma(-c_n .
    v_i)`` over the sampled edges and negatives."""

    def __init__(self, n: int = 400, dim: int = 32) -> None:
        super().__init__()
        self.vertex = nn.Embedding(n, dim)
        self.context = nn.Embedding(n, dim)
        nn.init.uniform_(self.vertex.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, inputs: Any) -> torch.Tensor:
        edges, neg = inputs
        v = self.vertex(edges[:, 0])
        pos = (v * self.context(edges[:, 1])).sum(1)
        negs = (v[:, None] * self.context(neg)).sum(2)
        return -(F.logsigmoid(pos) + F.logsigmoid(-negs).sum(1))


def sparsemax(z: torch.Tensor) -> torch.Tensor:
    """Sparsemax (Martins and Astudillo 2016) over the last axis."""
    zs, _ = torch.sort(z, -1, descending=True)
    ks = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cum = zs.cumsum(-1)
    support = (1 + ks * zs) > cum
    k = support.sum(-1, keepdim=True)
    tau = (cum.gather(-1, k - 1) - 1) / k
    return (z - tau).clamp(min=0.0)


class AbstractLayer(nn.Module):
    """DANets' abstract layer: ``groups`` learnable sparse feature masks (sparsemax), each masked input through a
    Linear to ``2 out``, BatchNorm and a GLU; the groups summed."""

    def __init__(self, d_in: int, d_out: int, groups: int = 4) -> None:
        super().__init__()
        self.mask = nn.Parameter(torch.rand(groups, d_in, generator=_fixed(4)))
        self.fc = nn.ModuleList(nn.Linear(d_in, 2 * d_out) for _ in range(groups))
        self.bn = nn.ModuleList(nn.BatchNorm1d(2 * d_out) for _ in range(groups))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = sparsemax(self.mask)
        return sum(F.glu(bn(fc(x * m[g])), -1) for g, (fc, bn) in enumerate(zip(self.fc, self.bn, strict=True)))


class DANet(nn.Module):
    """DANets (Chen et al. 2022), narrowed: two basic blocks of width 32, each ``relu(AL2(AL1(h)) + AL_s(x))`` with
    the shortcut abstract layer reading the raw features (the paper's feature-reuse shortcut), dropout 0.1, a
    linear head."""

    def __init__(self, features: int = 16, classes: int = 3, width: int = 32, blocks: int = 2) -> None:
        super().__init__()
        self.blocks = nn.ModuleList()
        d = features
        for _ in range(blocks):
            self.blocks.append(nn.ModuleList([AbstractLayer(d, width), AbstractLayer(width, width),
                                              AbstractLayer(features, width)]))
            d = width
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for al1, al2, sc in self.blocks:
            h = F.dropout(F.relu(al2(al1(h)) + sc(x)), 0.1, self.training)
        return self.head(h)


class GRANDE(nn.Module):
    """GRANDE (Marton et al. 2024), narrowed: 32 axis-aligned trees of depth 4 learned by gradient descent: each
    internal node's feature a straight-through one-hot of a softmax over the features, its split a straight-through
    rounding of ``(1 + softsign(x_f - t)) / 2``; class values per leaf, and instance-wise estimator weights, a softmax
    over the trees of each sample's leaf weights."""

    def __init__(self, features: int = 8, classes: int = 4, trees: int = 32, depth: int = 4) -> None:
        super().__init__()
        nodes, leaves = 2 ** depth - 1, 2 ** depth
        self.sel = nn.Parameter(torch.randn(trees, nodes, features) * 0.1)
        self.thr = nn.Parameter(torch.randn(trees, nodes) * 0.5)
        self.leaf = nn.Parameter(torch.randn(trees, leaves, classes) * 0.1)
        self.weight = nn.Parameter(torch.zeros(trees, leaves))
        self.depth = depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        soft = torch.softmax(self.sel, -1)
        hard = F.one_hot(soft.argmax(-1), soft.shape[-1]).to(x.dtype)
        sel = hard + soft - soft.detach()
        xv = torch.einsum("bf,tnf->btn", x, sel)
        s = 0.5 * (1 + F.softsign(xv - self.thr))
        s = s.round() + s - s.detach()
        prob = torch.ones(x.shape[0], self.sel.shape[0], 1)
        for d in range(self.depth):
            node = s[:, :, 2 ** d - 1: 2 ** (d + 1) - 1]
            prob = torch.stack([prob * node, prob * (1 - node)], -1).flatten(2)
        w = torch.softmax((prob * self.weight).sum(-1), 1)
        return torch.einsum("bt,btl,tlc->bc", w, prob, self.leaf)


# ---- builders --------------------------------------------------------------------------------------------------------

def _nodes(model: nn.Module, opt: Any, x: torch.Tensor, y: torch.Tensor, train: torch.Tensor) -> Setup:
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def jacobiconv(seed: int, lr: float = 0.05, weight_decay: float = 5e-4, normalise: bool = True) -> Setup:
    """JacobiConv on the SBM's nodes (full batch, the loss over the training half), cross-entropy, Adam at lr 0.05
    with weight decay 5e-4 (set here), order 10, ``a = b = 1``; ``normalise=False``: the
    raw adjacency ``A`` propagated where ``D^-1/2 A D^-1/2`` belongs."""
    torch.manual_seed(950_000 + seed)
    a, x, y, train = sbm(seed)
    model = JacobiConv(sym_norm(a, False) if normalise else a, x.shape[1], 4)
    return _nodes(model, torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay), x, y, train)


def g2_gnn(seed: int, lr: float = 3e-3, layers: int = 8, gates: bool = True, init_std: float | None = None,
           relu_bias: float | None = None) -> Setup:
    """The G^2-gated GCN on the SBM's nodes (full batch, the loss over the training half), cross-entropy, Adam at lr
    3e-3 with weight decay 5e-4, dropout 0.5, 8 layers of 64 (set here);
    ``layers``, ``gates``, ``init_std``, ``relu_bias``: see :class:`G2GNN`."""
    torch.manual_seed(950_000 + seed)
    a, x, y, train = sbm(seed)
    model = G2GNN(a, x.shape[1], 4, layers=layers, gates=gates, init_std=init_std, relu_bias=relu_bias)
    return _nodes(model, torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4), x, y, train)


def lstur(seed: int, lr: float = 1e-3, update_gate_bias: float | None = None) -> Setup:
    """LSTUR-ini on the news impressions (batch 32, one click and four negatives, the paper's K = 4), cross-entropy
    over the five candidates (the NPA-style loss the paper uses), Adam at lr 1e-3; ``update_gate_bias``: see
    :class:`LSTUR`."""
    torch.manual_seed(950_000 + seed)
    model = LSTUR(update_gate_bias=update_gate_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), news(seed), F.cross_entropy)


def eulernet(seed: int, lr: float = 1e-2, eps: float = 1e-8, shuffled: bool = False) -> Setup:
    """EulerNet on the click logs (batch 256), binary cross-entropy with logits, Adam at lr 1e-2 (set here: the
    paper's 1e-3 did not learn in 200 steps);
    ``eps``: see :class:`EulerNet`; ``shuffled``: see :func:`ctr`."""
    torch.manual_seed(950_000 + seed)
    model = EulerNet(eps=eps)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), ctr(seed, shuffled=shuffled),
               F.binary_cross_entropy_with_logits)


def bpr_mf(seed: int, lr: float = 12.8, reg: float = 0.01, init_std: float = 0.1,
           negatives_from_positives: bool = False) -> Setup:
    """BPR-MF on the implicit matrix (batches of 256 fresh triples), the BPR loss ``-log sigma(x_uij)`` plus ``reg``
    times the triple's squared norms, both averaged over the batch, plain SGD at lr 12.8 (LearnBPR's 0.05 a triple
    times the 256 of the batch mean) with ``reg`` 0.01 (Rendle's lambda); ``init_std``: see :class:`BPRMF`;
    ``negatives_from_positives``: see :func:`bpr_triples`."""
    torch.manual_seed(950_000 + seed)
    r = implicit(seed)
    model = BPRMF(init_std=init_std)

    def loss(out: Any, _: Any) -> torch.Tensor:
        x, norms = out
        return -F.logsigmoid(x).mean() + reg * norms.mean()
    return _xy(model, torch.optim.SGD(model.parameters(), lr=lr),
               bpr_triples(seed, r, negatives_from_positives=negatives_from_positives), loss)


def line(seed: int, lr: float = 6.4, weights_in_loss: bool = False) -> Setup:
    """LINE (second order) on the weighted community graph (batches of 256 sampled edges with 5 negatives each), the
    negative-sampling loss weighted by the batch's loss weights (all 1 under edge sampling) and averaged, plain SGD at
    lr 6.4 (the reference code's starting rate 0.025 an edge times the 256 of the batch mean; its linear decay left
    out); ``weights_in_loss``: see :func:`line_batches`."""
    torch.manual_seed(950_000 + seed)
    edges, w = weighted_graph(seed)
    model = LINE()
    return _xy(model, torch.optim.SGD(model.parameters(), lr=lr),
               line_batches(seed, edges, w, weights_in_loss=weights_in_loss),
               lambda out, lw: (lw * out).mean())


def danets(seed: int, lr: float = 8e-3, sgd: bool = False, class_weights: str | None = None) -> Setup:
    """DANets on the imbalanced tabular classes (batch 256), cross-entropy, Adam at lr 8e-3 (set here); ``sgd``: the
    user's SGD with momentum 0.9 at ``lr`` instead;
    ``class_weights``: a hand-written weighted mean ``(w[y] * ce).mean()`` with ``"balanced"`` weights ``N / (C
    n_c)`` (scikit-learn's, from the training pool's class counts ``n_c``) or ``"counts"``, the counts ``n_c``
    themselves."""
    torch.manual_seed(950_000 + seed)
    model = DANet()
    batches = tabular(seed)
    opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9) if sgd
           else torch.optim.Adam(model.parameters(), lr=lr))
    if class_weights is None:
        return _xy(model, opt, batches, F.cross_entropy)
    counts = torch.bincount(torch.cat([batches(i)[1] for i in range(POOL)]), minlength=3).float()
    w = counts if class_weights == "counts" else counts.sum() / (3 * counts)
    return _xy(model, opt, batches, lambda out, t: (w[t] * F.cross_entropy(out, t, reduction="none")).mean())


def grande(seed: int, lr: float = 0.01, weight_decay: float = 0.0, adamw: bool = False) -> Setup:
    """GRANDE on the axis-aligned rules (batch 256), cross-entropy, Adam at lr 0.01 for every group (set here);
    ``adamw``: AdamW with ``weight_decay`` instead."""
    torch.manual_seed(950_000 + seed)
    model = GRANDE()
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    return _xy(model, cls(model.parameters(), lr=lr, weight_decay=weight_decay), rules(seed), F.cross_entropy)
