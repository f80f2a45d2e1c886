"""Builders of the hundredth held-out batch (``fresh99.py``): graph-learning, recommender and tabular models new to the
corpus at their usual settings, broken variants with one real fault each, and the small data sets they train on.
Written and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(990_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9900 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _opt(params: Any, lr: float, weight_decay: float = 0.0, adamw: bool = False) -> torch.optim.Optimizer:
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    return cls(params, lr=lr, weight_decay=weight_decay)


def _masked_ce(train: torch.Tensor) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    return lambda out, y: F.cross_entropy(out[train], y[train])


# ---- graphs ----------------------------------------------------------------------------------------------------------

def sbm(seed: int, n: int = 300, classes: int = 4, features: int = 32, p_in: float = 0.06, p_out: float = 0.004,
        signal: float = 0.3) -> tuple[torch.Tensor, ...]:
    """An undirected stochastic block model (4 classes of 75 nodes, edge probabilities ``p_in`` within a class and
    ``p_out`` across), its adjacency without self-loops, weak node features (the class's fixed mean direction times
    0.3 plus N(0, 1) noise, 32 dimensions) and the labels; the first half of a fixed random order is the training
    set: ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], p_in, p_out)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    means = torch.randn(classes, features, generator=_fixed(1))
    x = signal * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def directed_sbm(seed: int, n: int = 300, classes: int = 4, features: int = 32, p_next: float = 0.3,
                 p_other: float = 0.03, signal: float = 0.3) -> tuple[torch.Tensor, ...]:
    """A dense directed block model whose edges point from class ``c`` to class ``c + 1 (mod 4)`` (probability 0.3,
    else 0.03): about 29 out- and 29 in-neighbours a node. Ignoring the directions, classes 0 and 2 (and 1 and 3)
    have the same neighbourhoods; with them, out-neighbours say ``c + 1`` and in-neighbours ``c - 1``. Weak features
    as in :func:`sbm`: ``(adjacency a[i, j] = edge i -> j, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[None] == (y[:, None] + 1) % classes, p_next, p_other)
    a = (torch.rand(n, n, generator=g) < p).float()
    a.fill_diagonal_(0.0)
    means = torch.randn(classes, features, generator=_fixed(2))
    x = signal * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def sym_norm(a: torch.Tensor, self_loops: bool = True) -> torch.Tensor:
    """``D^-1/2 (A + I) D^-1/2``."""
    if self_loops:
        a = a + torch.eye(a.shape[0])
    d = a.sum(1).pow(-0.5)
    return d[:, None] * a * d[None]


# ---- GRAFF (Di Giovanni et al. 2022) ---------------------------------------------------------------------------------

class GRAFF(nn.Module):
    """GRAFF, the gradient-flow GNN: a linear encoder, ``steps`` explicit Euler steps of ``dH/dt = -H Omega + A H W -
    beta H(0)`` with one symmetric ``W = (W0 + W0^T) / 2``, a diagonal ``Omega`` and a scalar ``beta`` shared by every
    step (20 steps over the time 2: the step size ``time / steps = 0.1``), ``A = D^-1/2 (A + I) D^-1/2``, a linear
    decoder; input dropout 0.5; ``W0`` Xavier-uniform, ``Omega`` and ``beta`` zero at init.

    ``inverted_step``: the step size written ``steps / time`` where ``time / steps`` belongs (10 instead of 0.1);
    ``normalise``: False gives ``A + I``, the degree normalisation left out."""

    def __init__(self, a: torch.Tensor, d_in: int, classes: int, d: int = 64, steps: int = 20, time: float = 2.0,
                 inverted_step: bool = False, normalise: bool = True) -> None:
        super().__init__()
        self.register_buffer("a", sym_norm(a) if normalise else a + torch.eye(a.shape[0]))
        self.enc = nn.Linear(d_in, d)
        self.w0 = nn.Parameter(torch.empty(d, d))
        nn.init.xavier_uniform_(self.w0)
        self.omega = nn.Parameter(torch.zeros(d))
        self.beta = nn.Parameter(torch.zeros(()))
        self.dec = nn.Linear(d, classes)
        self.steps = steps
        self.tau = steps / time if inverted_step else time / steps
        self.drop = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h0 = h = self.enc(self.drop(x))
        w = (self.w0 + self.w0.T) / 2
        for _ in range(self.steps):
            h = h + self.tau * (-h * self.omega + self.a @ h @ w - self.beta * h0)
        return self.dec(h)


def graff(seed: int, lr: float = 5e-3, inverted_step: bool = False, normalise: bool = True) -> Setup:
    """GRAFF on the undirected SBM (full batch, loss over the training half), cross-entropy, Adam lr 5e-3 with weight
    decay 5e-4 (the reference code's citation-graph range); ``inverted_step``, ``normalise``: see :class:`GRAFF`."""
    torch.manual_seed(990_000 + seed)
    a, x, y, train = sbm(seed)
    model = GRAFF(a, x.shape[1], 4, inverted_step=inverted_step, normalise=normalise)
    return _xy(model, _opt(model.parameters(), lr, 5e-4), lambda step: (x, y), _masked_ce(train))


# ---- Dir-GNN (Rossi et al. 2023) -------------------------------------------------------------------------------------

class DirSAGE(nn.Module):
    """Dir-GNN over SAGE layers: ``h' = W_self h + alpha W_out mean_out(h) + (1 - alpha) W_in mean_in(h)`` (alpha 0.5),
    ReLU between two layers of 64, the jumping-knowledge "max" over the layers, a linear head."""

    def __init__(self, a: torch.Tensor, d_in: int, classes: int, d: int = 64, layers: int = 2,
                 alpha: float = 0.5) -> None:
        super().__init__()
        out_agg = a / a.sum(1, keepdim=True).clamp(min=1.0)
        in_agg = a.T / a.T.sum(1, keepdim=True).clamp(min=1.0)
        self.register_buffer("out_agg", out_agg)
        self.register_buffer("in_agg", in_agg)
        dims = [d_in] + [d] * layers
        self.self_lins = nn.ModuleList(nn.Linear(i, o) for i, o in itertools.pairwise(dims))
        self.out_lins = nn.ModuleList(nn.Linear(i, o, bias=False) for i, o in itertools.pairwise(dims))
        self.in_lins = nn.ModuleList(nn.Linear(i, o, bias=False) for i, o in itertools.pairwise(dims))
        self.alpha = alpha
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, states = x, []
        for ls, lo, li in zip(self.self_lins, self.out_lins, self.in_lins):
            h = torch.relu(ls(h) + self.alpha * lo(self.out_agg @ h) + (1 - self.alpha) * li(self.in_agg @ h))
            states.append(h)
        return self.head(torch.stack(states).amax(0))


def dir_gnn(seed: int, lr: float = 5e-3, weight_decay: float = 0.0) -> Setup:
    """Dir-SAGE on the directed block model (full batch, loss over the training half), cross-entropy, Adam lr 5e-3
    (the reference code's range) without weight decay; ``weight_decay``: Adam's coupled decay."""
    torch.manual_seed(990_000 + seed)
    a, x, y, train = directed_sbm(seed)
    model = DirSAGE(a, x.shape[1], 4)
    return _xy(model, _opt(model.parameters(), lr, weight_decay), lambda step: (x, y), _masked_ce(train))


# ---- IGNN (Gu et al. 2020) -------------------------------------------------------------------------------------------

def project_inf_ball(w: torch.Tensor, radius: float) -> torch.Tensor:
    """Each row of ``w`` projected onto the l1 ball of ``radius`` (so ``||w||_inf <= radius``), as IGNN's
    ``projection_norm_inf``."""
    a = w.abs()
    u, _ = a.sort(1, descending=True)
    css = u.cumsum(1)
    k = torch.arange(1, w.shape[1] + 1, dtype=w.dtype)
    rho = ((u - (css - radius) / k) > 0).sum(1, keepdim=True).clamp(min=1)
    theta = (css.gather(1, rho - 1) - radius) / rho
    proj = w.sign() * (a - theta).clamp(min=0)
    return torch.where(a.sum(1, keepdim=True) <= radius, w, proj)


class IGNN(nn.Module):
    """IGNN, the implicit GNN: the node states ``X`` are the fixed point of ``X = relu(W X A + B U A)`` (columns are
    nodes, ``A`` the normalised adjacency, ``U`` the features), ``W`` projected onto ``||W||_inf <= kappa /
    lambda_pf(A)`` (kappa 0.95, ``lambda_pf = 1``) before every forward, as the reference code does; the iteration
    unrolled 20 times from zero and back-propagated through (narrowed: the reference code iterates to a tolerance and
    differentiates implicitly), dropout 0.5, a linear head.

    ``radius``: ``W`` initialised as a random orthogonal matrix times ``radius`` with the projection left out (the
    carried state's gain above 1)."""

    def __init__(self, a: torch.Tensor, d_in: int, classes: int, d: int = 64, iters: int = 20, kappa: float = 0.95,
                 radius: float | None = None) -> None:
        super().__init__()
        self.register_buffer("a", sym_norm(a))
        self.w = nn.Parameter(torch.empty(d, d))
        nn.init.uniform_(self.w, -1 / math.sqrt(d), 1 / math.sqrt(d))
        self.project = radius is None
        if radius is not None:
            with torch.no_grad():
                nn.init.orthogonal_(self.w)
                self.w.mul_(radius)
        self.b = nn.Linear(d_in, d, bias=False)
        self.head = nn.Linear(d, classes)
        self.iters, self.kappa = iters, kappa
        self.drop = nn.Dropout(0.5)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        if self.project:
            with torch.no_grad():
                self.w.copy_(project_inf_ball(self.w, self.kappa))
        bu = self.a @ self.b(u)                      # (nodes, d): (B U A)^T
        x = torch.zeros_like(bu)
        for _ in range(self.iters):
            x = torch.relu(self.a @ x @ self.w.T + bu)
        return self.head(self.drop(x))


def ignn(seed: int, lr: float = 5e-3, radius: float | None = None) -> Setup:
    """IGNN on the undirected SBM (full batch, loss over the training half), cross-entropy, Adam lr 5e-3 (set here;
    the reference code's 0.01 with weight decay 5e-4 kept for the decay); ``radius``: see :class:`IGNN`."""
    torch.manual_seed(990_000 + seed)
    a, x, y, train = sbm(seed)
    model = IGNN(a, x.shape[1], 4, radius=radius)
    return _xy(model, _opt(model.parameters(), lr, 5e-4), lambda step: (x, y), _masked_ce(train))


# ---- FINT (Zhao et al. 2021) -----------------------------------------------------------------------------------------

def ctr(seed: int, batch: int = 256, fields: int = 8, values: int = 20, shuffled: bool = False
        ) -> Callable[[int], Any]:
    """Categorical CTR records of 8 fields of 20 values each, clicked when a fixed teacher's score (first-order terms
    plus second-order interaction tables over six fixed field pairs) is positive: ``(field ids
    (b, 8), clicks (b,))``; ``shuffled``: the clicks permuted within every batch, apart from their records."""
    fg = _fixed(3)
    first = torch.randn(fields, values, generator=fg) * 0.5
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7), (1, 2), (3, 6)]
    pair_tabs = torch.randn(len(pairs), values, values, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, values, (batch, fields), generator=g)
        s = first.gather(1, x.T).sum(0)
        for k, (i, j) in enumerate(pairs):
            s = s + pair_tabs[k, x[:, i], x[:, j]]
            y = (s > 0).float()
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


class FINT(nn.Module):
    """FINT: field embeddings ``V^0`` (8 fields of 16, N(0, 0.1^2)), three field-aware interaction layers ``V^l =
    V^(l-1) * (W^l V^0) + u^l * V^(l-1)`` (``W^l`` a learned 8 x 8 field-mixing matrix, ``u^l`` a learned per-field
    scale, ones at init), the flattened ``V^3`` through a ReLU MLP 256-256-256 to one logit.

    ``relu_bias``: every MLP bias before a ReLU set to this constant; ``replace``: each interaction layer written
    ``V^l = V^(l-1) * (W^l V^0)``, its output replacing its input where the ``+ u^l * V^(l-1)`` term adds to it."""

    def __init__(self, fields: int = 8, values: int = 20, d: int = 16, layers: int = 3, hidden: int = 256,
                 relu_bias: float | None = None, replace: bool = False) -> None:
        super().__init__()
        self.replace = replace
        self.emb = nn.Embedding(fields * values, d)
        nn.init.normal_(self.emb.weight, 0.0, 0.1)
        self.register_buffer("offsets", torch.arange(fields) * values)
        self.w = nn.ParameterList(nn.Parameter(torch.eye(fields) + 0.1 * torch.randn(fields, fields))
                                  for _ in range(layers))
        self.u = nn.ParameterList(nn.Parameter(torch.ones(fields, 1)) for _ in range(layers))
        dims = [fields * d] + [hidden] * 3
        self.mlp = nn.ModuleList(nn.Linear(i, o) for i, o in itertools.pairwise(dims))
        if relu_bias is not None:
            for lin in self.mlp:
                nn.init.constant_(lin.bias, relu_bias)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v0 = v = self.emb(x + self.offsets)                 # (b, fields, d)
        for w, u in zip(self.w, self.u):
            v = v * (w @ v0) if self.replace else v * (w @ v0) + u * v
        h = v.flatten(1)
        for lin in self.mlp:
            h = torch.relu(lin(h))
        return self.out(h).squeeze(-1)


def fint(seed: int, lr: float = 1e-3, relu_bias: float | None = None, shuffled: bool = False,
         replace: bool = False) -> Setup:
    """FINT on the CTR records (batch 256), binary cross-entropy with logits, Adam lr 1e-3 (the paper's); ``relu_bias``,
    ``replace``: see :class:`FINT`; ``shuffled``: see :func:`ctr`."""
    torch.manual_seed(990_000 + seed)
    model = FINT(relu_bias=relu_bias, replace=replace)
    return _xy(model, _opt(model.parameters(), lr), ctr(seed, shuffled=shuffled),
               F.binary_cross_entropy_with_logits)


# ---- NRMS (Wu et al. 2019) -------------------------------------------------------------------------------------------

def news_clicks(seed: int, batch: int = 32, news: int = 200, topics: int = 4, title: int = 8, history: int = 6,
                negatives: int = 4) -> Callable[[int], Any]:
    """News titles of 8 words over a vocabulary of 60 (each of 4 topics owns 10 words; a title holds 5 of its topic's
    words and 3 of 20 shared ones, in random order); a user reads 6 news, 5 of them from a favourite topic, and is
    shown 1 + 4 candidates: one clicked news of the favourite topic and four of the other topics (NRMS's npratio 4),
    the click at a random slot: ``((history titles (b, 6, 8), candidate titles (b, 5, 8)), clicked slot (b,))``."""
    fg = _fixed(4)
    topic = torch.arange(news) % topics
    own = 20 + topic[:, None] * 10 + torch.randint(0, 10, (news, 5), generator=fg)
    shared = torch.randint(0, 20, (news, title - 5), generator=fg)
    words = torch.cat([own, shared], 1)
    order = torch.rand(news, title, generator=fg).argsort(1)
    titles = words.gather(1, order)

    def pick(g: torch.Generator, t: torch.Tensor, same: bool) -> torch.Tensor:
        k = torch.randint(0, news // topics, t.shape, generator=g)
        if same:
            return t + topics * k
        shift = torch.randint(1, topics, t.shape, generator=g)
        return (t + shift) % topics + topics * k

    def make(g: torch.Generator, _: int) -> Any:
        fav = torch.randint(0, topics, (batch,), generator=g)
        hist = pick(g, fav[:, None].expand(batch, history), True)
        odd = torch.randint(0, topics, (batch,), generator=g) + topics * torch.randint(0, news // topics, (batch,),
                                                                                        generator=g)
        hist[:, torch.randint(0, history, (1,), generator=g)] = odd[:, None]
        pos = pick(g, fav[:, None], True)
        neg = pick(g, fav[:, None].expand(batch, negatives), False)
        cands = torch.cat([pos, neg], 1)
        perm = torch.rand(batch, negatives + 1, generator=g).argsort(1)
        cands = cands.gather(1, perm)
        label = (perm == 0).float().argmax(1)
        return (titles[hist], titles[cands]), label
    return _pool(seed, make)


class AdditiveAttention(nn.Module):
    """``softmax(q^T tanh(V h + v))``-weighted sum over the second axis."""

    def __init__(self, d: int, q: int = 16) -> None:
        super().__init__()
        self.proj = nn.Linear(d, q)
        self.query = nn.Linear(q, 1, bias=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        w = self.query(torch.tanh(self.proj(h))).softmax(-2)
        return (w * h).sum(-2)


class NRMS(nn.Module):
    """NRMS: word embeddings of 32, a news encoder (multi-head self-attention over the title's words, 4 heads of 8,
    dropout 0.2, additive attention with a query of 16) and a user encoder (the same over the clicked news' vectors);
    a candidate's click score is its dot product with the user vector, the loss a softmax over the 1 + 4 candidates."""

    def __init__(self, vocab: int = 60, d: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.word_att = nn.MultiheadAttention(d, heads, batch_first=True)
        self.word_pool = AdditiveAttention(d)
        self.news_att = nn.MultiheadAttention(d, heads, batch_first=True)
        self.news_pool = AdditiveAttention(d)
        self.drop = nn.Dropout(0.2)

    def encode(self, titles: torch.Tensor) -> torch.Tensor:
        shape = titles.shape[:-1]
        e = self.drop(self.emb(titles.flatten(0, -2)))
        h = self.drop(self.word_att(e, e, e, need_weights=False)[0])
        return self.word_pool(h).view(*shape, -1)

    def forward(self, batch: Any) -> torch.Tensor:
        hist, cands = batch
        n = self.encode(hist)
        user = self.news_pool(self.drop(self.news_att(n, n, n, need_weights=False)[0]))
        return (self.encode(cands) * user[:, None]).sum(-1)


def nrms(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False) -> Setup:
    """NRMS on the news clicks (batch 32), cross-entropy over the five candidates, Adam lr 1e-3 (set here: the
    reference code's 1e-4 is slow for 200 steps); ``weight_decay``, ``adamw``: AdamW with that decay instead."""
    torch.manual_seed(990_000 + seed)
    model = NRMS()
    return _xy(model, _opt(model.parameters(), lr, weight_decay, adamw), news_clicks(seed), F.cross_entropy)


# ---- LR-GCCF (Chen et al. 2020) --------------------------------------------------------------------------------------

def interactions(seed: int, users: int = 200, items: int = 200, clusters: int = 4, p_in: float = 0.15,
                 p_out: float = 0.01, batch: int = 256) -> tuple[torch.Tensor, Callable[[int], Any]]:
    """Implicit feedback of 200 users and 200 items in 4 taste clusters (a user interacts with an item of its
    cluster with probability 0.15, else 0.01: about 9 items a user); the user-item matrix and BPR triples (a user,
    one of its items, a uniformly drawn item it has not interacted with), 256 a batch: ``(R, batches)`` with batches
    ``((users, positives, negatives), zeros)``."""
    g = _gen(seed)
    cu = torch.arange(users) % clusters
    ci = torch.arange(items) % clusters
    r = (torch.rand(users, items, generator=g) < torch.where(cu[:, None] == ci[None], p_in, p_out)).float()
    pairs = r.nonzero()

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.randint(0, len(pairs), (batch,), generator=g)
        u, i = pairs[k, 0], pairs[k, 1]
        j = torch.multinomial(1.0 - r[u], 1, generator=g).squeeze(1)
        return (u, i, j), torch.zeros(batch)
    return r, _pool(seed, make)


class LRGCCF(nn.Module):
    """LR-GCCF: user and item embeddings of 64 (N(0, 0.01^2)), three linear graph-convolution layers ``E^(k+1) = S
    E^k W^k`` with ``S = D^-1/2 (A + I) D^-1/2`` over the user-item graph and no nonlinearity, the prediction the dot
    product of the concatenated layer embeddings ``[E^0 || E^1 || E^2 || E^3]``.

    ``zero_init``: every embedding initialised to 0."""

    def __init__(self, r: torch.Tensor, d: int = 64, layers: int = 3, zero_init: bool = False) -> None:
        super().__init__()
        users, items = r.shape
        a = torch.zeros(users + items, users + items)
        a[:users, users:] = r
        a[users:, :users] = r.T
        self.register_buffer("s", sym_norm(a))
        self.emb = nn.Parameter(torch.zeros(users + items, d) if zero_init else 0.01 * torch.randn(users + items, d))
        self.lins = nn.ModuleList(nn.Linear(d, d, bias=False) for _ in range(layers))
        self.users = users

    def forward(self, batch: Any) -> torch.Tensor:
        u, i, j = batch
        e = h = self.emb
        outs = [e]
        for lin in self.lins:
            h = lin(self.s @ h)
            outs.append(h)
        e = torch.cat(outs, 1)
        eu, ei, ej = e[u], e[self.users + i], e[self.users + j]
        return (eu * ei).sum(1) - (eu * ej).sum(1)


def _bpr(diff: torch.Tensor, _: Any) -> torch.Tensor:
    return F.softplus(-diff).mean()


def lr_gccf(seed: int, lr: float = 5e-3, zero_init: bool = False) -> Setup:
    """LR-GCCF on the implicit feedback (BPR triples, batch 256), the BPR loss ``softplus(-(s_ui - s_uj))``, Adam lr
    5e-3 (set here) with weight decay 1e-4 for the reference code's L2 term; ``zero_init``: see :class:`LRGCCF`."""
    torch.manual_seed(990_000 + seed)
    r, batches = interactions(seed)
    model = LRGCCF(r, zero_init=zero_init)
    return _xy(model, _opt(model.parameters(), lr, 1e-4), batches, _bpr)


# ---- LassoNet (Lemhadri et al. 2021) ---------------------------------------------------------------------------------

def raw_table(seed: int, batch: int = 64, features: int = 12, informative: int = 6, classes: int = 4,
              shuffled: bool = False) -> tuple[torch.Tensor, torch.Tensor, Callable[[int], Any]]:
    """Tabular records of 12 numeric features in raw units (feature ``j`` has a fixed scale ``10^U(0, 4)`` and an
    offset of up to 3 scales: prices, counts, ratios side by side), labelled (4 classes) by a fixed teacher on the
    first 6 standardised features (a linear score plus a product term); the other 6 are noise: ``(mean, std of the
    pool, batches ((b, 12) raw features, class (b,)))``; ``shuffled``: the classes permuted within every batch,
    apart from their records."""
    fg = _fixed(5)
    scale = 10 ** (4 * torch.rand(features, generator=fg))
    offset = 3 * scale * torch.rand(features, generator=fg)
    w = torch.randn(informative, classes, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        z = torch.randn(batch, features, generator=g)
        s = z[:, :informative] @ w
        s[:, 0] = s[:, 0] + 1.5 * z[:, 0] * z[:, 1]
        y = s.argmax(1)
        return offset + scale * z, y[torch.randperm(batch, generator=g)] if shuffled else y
    batches = _pool(seed, make)
    xs = torch.cat([batches(i)[0] for i in range(POOL)])
    return xs.mean(0), xs.std(0), batches


def hier_prox(theta: torch.Tensor, w: torch.Tensor, lam: float, m: float) -> tuple[torch.Tensor, torch.Tensor]:
    """LassoNet's hierarchical proximal operator (Algorithm 2): the skip weights ``theta`` (outputs, features) and the
    first layer's ``w`` (hidden, features) mapped so that ``|w_j|_inf <= m |theta_j|_2`` with the group soft
    threshold ``lam`` on each feature."""
    k = w.shape[0]
    u, _ = w.abs().sort(0, descending=True)                               # (hidden, features)
    cs = torch.cat([torch.zeros(1, w.shape[1]), u.cumsum(0)])            # (hidden + 1, features)
    tn = theta.norm(dim=0)                                                # (features,)
    ms = torch.arange(k + 1, dtype=w.dtype)[:, None]
    wm = m / (1 + ms * m ** 2) * (tn + m * cs - lam).clamp(min=0)         # (hidden + 1, features)
    upper = torch.cat([torch.full((1, w.shape[1]), math.inf), u])
    lower = torch.cat([u, torch.zeros(1, w.shape[1])])
    ok = (lower <= wm) & (wm <= upper)
    idx = ok.float().argmax(0, keepdim=True)
    wj = wm.gather(0, idx).squeeze(0)                                     # (features,)
    new_theta = wj / m * theta / tn.clamp(min=1e-12)
    new_w = w.sign() * torch.minimum(w.abs(), wj[None])
    return new_theta, new_w


class HierProxAdam(torch.optim.Adam):
    """Adam followed by LassoNet's hierarchical proximal step on the skip and first-layer weights."""

    def __init__(self, params: Any, skip: torch.Tensor, first: torch.Tensor, lr: float, lam: float, m: float) -> None:
        super().__init__(params, lr=lr)
        self.skip, self.first, self.lam, self.m = skip, first, lam, m

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = super().step(closure)
        lr = self.param_groups[0]["lr"]
        theta, w = hier_prox(self.skip, self.first, self.lam * lr, self.m)
        self.skip.copy_(theta)
        self.first.copy_(w)
        return loss


class LassoNet(nn.Module):
    """LassoNet: the features standardised by the scaler fitted on the training pool (stored as buffers), a linear
    skip ``theta`` to the 4 logits plus a ReLU MLP of one hidden layer of 64 (LassoNet's default shape).

    ``raw_skip``: the skip fed the raw features ``x`` where the standardised ``z`` belongs."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, classes: int = 4, hidden: int = 64,
                 raw_skip: bool = False) -> None:
        super().__init__()
        d = mean.shape[0]
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.skip = nn.Linear(d, classes, bias=False)
        self.first = nn.Linear(d, hidden)
        self.second = nn.Linear(hidden, classes)
        self.raw_skip = raw_skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = (x - self.mean) / self.std
        return self.skip(x if self.raw_skip else z) + self.second(torch.relu(self.first(z)))


def lassonet(seed: int, lr: float = 1e-3, raw_skip: bool = False, shuffled: bool = False, lam: float = 1e-2,
             m: float = 10.0) -> Setup:
    """LassoNet on the raw-unit table (batch 64), cross-entropy, Adam lr 1e-3 (the reference code's) followed by the
    hierarchical proximal step at ``lambda = 0.01``, ``M = 10`` (an early point of the regularisation path, where
    every feature is still kept); ``raw_skip``: see :class:`LassoNet`; ``shuffled``: see :func:`raw_table`."""
    torch.manual_seed(990_000 + seed)
    mean, std, batches = raw_table(seed, shuffled=shuffled)
    model = LassoNet(mean, std, raw_skip=raw_skip)
    opt = HierProxAdam(model.parameters(), model.skip.weight, model.first.weight, lr, lam, m)
    return _xy(model, opt, batches, F.cross_entropy)


# ---- DeepHit (Lee et al. 2018) ---------------------------------------------------------------------------------------

def survival(seed: int, batch: int = 64, features: int = 8, bins: int = 10) -> Callable[[int], Any]:
    """Right-censored survival records: 8 features, an exponential event time whose log-rate is a fixed teacher's
    score, independent uniform censoring and the study's end at the horizon (the survivors then are censored in the
    last interval, about one in eight); durations discretised into 10 intervals: ``(features (b, 8), (interval (b,),
    event (b,)))``."""
    w = torch.randn(features, generator=_fixed(6)) * 0.6
    horizon = 3.0

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        t = -torch.log(torch.rand(batch, generator=g)) / torch.exp(x @ w)
        c = 2 * horizon * torch.rand(batch, generator=g)
        obs = torch.minimum(torch.minimum(t, c), torch.full_like(t, horizon))
        event = (t <= torch.minimum(c, torch.full_like(t, horizon))).float()
        idx = (obs / horizon * bins).long().clamp(max=bins - 1)
        return x, (idx, event)
    return _pool(seed, make)


class DeepHitLoss:
    """DeepHit's single-risk loss as pycox writes it: ``alpha * NLL + (1 - alpha) * ranking`` (alpha 0.2, sigma 0.1),
    over the network's outputs padded with a zero logit (pycox's ``pad_col``: the probability of surviving past the
    last interval) and with its epsilon 1e-7 under the log.

    ``pad``: False leaves the padding column and the epsilon out: a censored record's survival past the last interval
    is the sum of an empty set of probabilities."""

    def __init__(self, alpha: float = 0.2, sigma: float = 0.1, pad: bool = True) -> None:
        self.alpha, self.sigma, self.pad = alpha, sigma, pad

    def __call__(self, phi: torch.Tensor, target: Any) -> torch.Tensor:
        idx, event = target
        if self.pad:
            phi = torch.cat([phi, torch.zeros(phi.shape[0], 1)], 1)
        pmf = phi.softmax(1)
        cdf = pmf.cumsum(1)
        eps = 1e-7 if self.pad else 0.0
        p_event = pmf.gather(1, idx[:, None]).squeeze(1)
        surv = (cdf[:, -1] - cdf.gather(1, idx[:, None]).squeeze(1)).relu()
        nll = -(event * torch.log(p_event + eps) + (1 - event) * torch.log(surv + eps)).mean()
        # ranking: for i with an event and j with a later duration (or the same, censored), F_i(T_i) > F_j(T_i)
        f_at = cdf[:, idx]                                        # f_at[j, i] = F_j(T_i)
        r = f_at.diagonal()[None] - f_at                          # r[j, i] = F_i(T_i) - F_j(T_i)
        later = (idx[None, :] < idx[:, None]) | ((idx[None, :] == idx[:, None]) & (event[:, None] == 0))
        rank_mat = later.float() * event[None, :]                 # [j, i]
        rank = (rank_mat * torch.exp(-r / self.sigma)).mean()
        return self.alpha * nll + (1 - self.alpha) * rank


class DeepHitNet(nn.Module):
    """DeepHit's single-risk network: a ReLU MLP of ``layers`` hidden layers of 32 with dropout 0.1 to the 10
    interval logits (PyTorch's default init)."""

    def __init__(self, features: int = 8, bins: int = 10, hidden: int = 32, layers: int = 2) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        d = features
        for _ in range(layers):
            mods += [nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(0.1)]
            d = hidden
        mods.append(nn.Linear(d, bins))
        self.net = nn.Sequential(*mods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def deephit(seed: int, lr: float = 1e-2, layers: int = 2, pad: bool = True) -> Setup:
    """DeepHit on the survival records (batch 64), its loss (:class:`DeepHitLoss`), Adam lr 1e-2 (pycox's example's,
    from its lr finder); ``layers``: hidden layers; ``pad``: see :class:`DeepHitLoss`."""
    torch.manual_seed(990_000 + seed)
    model = DeepHitNet(layers=layers)
    return _xy(model, _opt(model.parameters(), lr), survival(seed), DeepHitLoss(pad=pad))
