"""Builders of the eighty-fourth held-out batch (``fresh83.py``): graph neural networks, recommenders and tabular
networks new to the corpus at their usual settings, and broken variants with one real fault each, plus the small data
sets they train on. Written and labelled before gradguard's judgment was run on them and never tuned on.
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
    return torch.Generator().manual_seed(830_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8300 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _normal_init(model: nn.Module, std: float) -> None:
    """Every weight and bias of ``model`` drawn N(0, std^2) (the init fault)."""
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, std)


def _relu_biases(layers: list[nn.Linear], value: float) -> None:
    with torch.no_grad():
        for lin in layers:
            lin.bias.fill_(value)


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32, isolated: int = 20
              ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.004
    across; the last 20 nodes are cold-start nodes with no edges), its 0/1 adjacency without self-loops, weak node
    features (the class's fixed mean direction times 0.3 plus N(0, 1) noise, 32 dimensions), the labels, the training
    mask (the first half of a fixed random order) and integer co-interaction counts on the edges (``round(exp(N(9.5,
    1)))``, about 1.3e4, heavy-tailed; zero off the edges): ``(adjacency, features, labels, train mask, counts)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.06, 0.004)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    a[n - isolated:], a[:, n - isolated:] = 0.0, 0.0
    means = torch.randn(classes, features, generator=_fixed(1))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    w = torch.exp(9.5 + torch.randn(n, n, generator=g)).round().triu(1)
    w = (w + w.T) * a
    return a, x, y, train, w.to(torch.int64)


def _graph_batches(seed: int, y: torch.Tensor, shuffled: bool) -> Callable[[int], Any]:
    """The full graph each step, ``(None, labels)``; ``shuffled``: the labels permuted afresh each step (32 fixed
    permutations, cycled), apart from their nodes."""
    if not shuffled:
        return lambda step: (None, y)
    g = _gen(seed + 77)
    perms = [y[torch.randperm(len(y), generator=g)] for _ in range(POOL)]
    return lambda step: (None, perms[step % POOL])


def clicks(seed: int, batch: int = 64, fields: int = 8, vocab: int = 20, numeric: int = 0,
           shuffled: bool = False) -> Callable[[int], Any]:
    """Click records: ``fields`` categorical fields of ``vocab`` values each (ids offset into one shared table) and
    ``numeric`` numerical fields (log-normal, in raw units); the click drawn from a fixed teacher: per-value effects,
    pairwise FM-like interactions of rank 4 and, for the numerical fields, a threshold effect each:
    ``((ids (b, fields), numbers (b, numeric)), click (b,))``; ``shuffled``: the clicks permuted within the batch
    afresh at every step (a loader shuffling the label column on its own), apart from their records."""
    fg = _fixed(2)
    bias = 0.8 * torch.randn(fields * vocab, generator=fg)
    v = 0.6 * torch.randn(fields * vocab, 4, generator=fg)
    thr = torch.rand(numeric, generator=fg) * 2.0
    sign = torch.randn(numeric, generator=fg).sign() * 1.5
    offsets = torch.arange(fields) * vocab

    def make(g: torch.Generator, _: int) -> Any:
        ids = torch.randint(0, vocab, (batch, fields), generator=g) + offsets
        nums = torch.exp(torch.randn(batch, numeric, generator=g))
        e = v[ids]
        inter = 0.5 * (e.sum(1).pow(2) - e.pow(2).sum(1)).sum(1)
        logit = bias[ids].sum(1) + 0.5 * inter + (sign * (nums > thr).float()).sum(1) - 0.5
        return (ids, nums), torch.bernoulli(torch.sigmoid(logit), generator=g)
    batches = _pool(seed, make)
    if not shuffled:
        return batches

    def permuted(step: int) -> Any:
        inputs, yb = batches(step)
        return inputs, yb[torch.randperm(batch, generator=torch.Generator().manual_seed(830_900 + 1000 * seed + step))]
    return permuted


def table(seed: int, rows: int = 2048, classes: int = 4, batch: int = 64, task: str = "classes",
          shuffled: bool = False) -> tuple[torch.Tensor, Callable[[int], Any]]:
    """A table of 8 numerical columns in raw units (column j ``N(mu_j, sigma_j^2)``, means up to 1e3, spreads 0.1 to
    300) and a ninth, constant column (a flag never set in this extract: all 0); ``task="classes"``: 4 classes from a
    fixed random two-layer teacher on the standardised columns; ``"additive"``: a regression target
    ``sum_j f_j(z_j) + 1.5 z_0 z_1 - z_2 z_3`` (``f_j`` fixed smooth shapes: sines, squares, a step) plus N(0, 0.1^2)
    noise. Returns the whole table (for a scaler) and ``batches(step) -> (rows (b, 9), target)`` drawn from it;
    ``shuffled``: the targets permuted within every batch, apart from their rows."""
    fg = _fixed(3)
    mu = torch.tensor([0.0, 5.0, -20.0, 1000.0, 0.5, 50.0, 300.0, -3.0])
    sd = torch.tensor([1.0, 0.1, 10.0, 300.0, 0.2, 20.0, 100.0, 2.0])
    g = _gen(seed)
    z = torch.randn(rows, 8, generator=g)
    x = torch.cat([mu + sd * z, torch.zeros(rows, 1)], 1)
    if task == "classes":
        w1 = torch.randn(8, 32, generator=fg)
        w2 = torch.randn(32, classes, generator=fg)
        y = (torch.tanh(z @ w1) @ w2).argmax(1)
    else:
        f = (torch.sin(2 * z[:, 0]) + 0.5 * z[:, 1] ** 2 - 0.5 + torch.where(z[:, 2] > 0, 1.0, -1.0)
             + torch.cos(z[:, 3]) - 0.6 + 0.8 * z[:, 4] + torch.tanh(2 * z[:, 5]) - 0.3 * z[:, 6])
        y = f + 1.5 * z[:, 0] * z[:, 1] - z[:, 2] * z[:, 3] + 0.1 * torch.randn(rows, generator=g)
        y = (y - y.mean()) / y.std()
    idx = [torch.randint(0, rows, (batch,), generator=g) for _ in range(POOL)]
    perms = [torch.randperm(batch, generator=g) for _ in range(POOL)]

    def batches(step: int) -> Any:
        i = idx[step % POOL]
        t = y[i][perms[step % POOL]] if shuffled else y[i]
        return x[i], t
    return x, batches


def interests(seed: int, users: int = 2000, length: int = 40, items: int = 200, clusters: int = 8, hist: int = 20,
              batch: int = 64) -> tuple[torch.Tensor, Callable[[int], Any]]:
    """An interaction log for multi-interest retrieval: 200 items in 8 interest clusters of 25, Zipf-popular within
    each cluster; every user has two interests and a log of 40 items, each drawn from one of them at random. A batch is
    64 users' first 20 items (the history) and one later item (the target). Returns the whole log (80,000
    interactions, for the popularity counts) and ``batches(step) -> (history (b, 20), target (b,))``."""
    g = _gen(seed)
    per = items // clusters
    zipf = 1.0 / torch.arange(1, per + 1).float()
    user_int = torch.stack([torch.randperm(clusters, generator=g)[:2] for _ in range(users)])
    pick = torch.randint(0, 2, (users, length), generator=g)
    cl = user_int.gather(1, pick)
    within = torch.multinomial(zipf, users * length, replacement=True, generator=g).view(users, length)
    log = cl * per + within
    batch_users = [torch.randint(0, users, (batch,), generator=g) for _ in range(POOL)]
    later = [torch.randint(hist, length, (batch,), generator=g) for _ in range(POOL)]

    def batches(step: int) -> Any:
        u, t = batch_users[step % POOL], later[step % POOL]
        return log[u, :hist], log[u, t]
    return log, batches


# ---- models: graphs --------------------------------------------------------------------------------------------------

def sym_norm(a: torch.Tensor) -> torch.Tensor:
    """``D^-1/2 (A + I) D^-1/2``."""
    a = a + torch.eye(len(a))
    d = a.sum(1).pow(-0.5)
    return d[:, None] * a * d[None]


class GraphCON(nn.Module):
    """GraphCON-GCN (Rusch et al. 2022): an encoder to 64, then N = 8 steps of the graph-coupled oscillators
    ``Y <- Y + dt (relu(GCN(X)) - gamma X - alpha Y)``, ``X <- X + dt Y`` with one GCN layer shared by all steps, its
    ``dt = 1``, ``alpha = gamma = 1``, dropout 0.5 on the input and the states, a linear decoder. ``dt``: the time step
    (the recurrence fault sets it large)."""

    def __init__(self, a_norm: torch.Tensor, d_in: int, classes: int, hidden: int = 64, steps: int = 8,
                 dt: float = 1.0, alpha: float = 1.0, gamma: float = 1.0, p: float = 0.5) -> None:
        super().__init__()
        self.register_buffer("a", a_norm)
        self.enc, self.conv, self.dec = nn.Linear(d_in, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, classes)
        self.steps, self.dt, self.alpha, self.gamma, self.p = steps, dt, alpha, gamma, p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, self.p, self.training)
        h = F.relu(self.enc(x))
        y = h
        for _ in range(self.steps):
            y = y + self.dt * (F.relu(self.a @ self.conv(h)) - self.gamma * h - self.alpha * y)
            h = h + self.dt * y
        return self.dec(F.dropout(h, self.p, self.training))


class ACMLayer(nn.Module):
    """One ACM-GCN layer (Luan et al. 2022): low-pass ``A_hat H W_L``, high-pass ``(I - A_hat) H W_H`` and identity
    ``H W_I`` channels (ReLU unless last), mixed per node by ``softmax([sigmoid(H_L w_L), sigmoid(H_H w_H),
    sigmoid(H_I w_I)] W_mix / 3)``, the mix times 3, as the reference code."""

    def __init__(self, d_in: int, d_out: int, last: bool) -> None:
        super().__init__()
        self.w = nn.ModuleList(nn.Linear(d_in, d_out, bias=False) for _ in range(3))
        self.vec = nn.ModuleList(nn.Linear(d_out, 1, bias=False) for _ in range(3))
        self.mix = nn.Linear(3, 3, bias=False)
        self.last = last

    def forward(self, h: torch.Tensor, a_hat: torch.Tensor) -> torch.Tensor:
        n = len(h)
        chans = [a_hat @ self.w[0](h), (torch.eye(n) - a_hat) @ self.w[1](h), self.w[2](h)]
        if not self.last:
            chans = [F.relu(c) for c in chans]
        s = torch.cat([torch.sigmoid(v(c)) for v, c in zip(self.vec, chans, strict=True)], 1)
        att = torch.softmax(self.mix(s) / 3.0, 1)
        return 3.0 * sum(att[:, k:k + 1] * chans[k] for k in range(3))


class ACMGCN(nn.Module):
    """ACM-GCN, two layers (64 hidden, dropout 0.5), over the count-weighted graph's propagation matrix. ``norm``:
    ``"int64"`` (healthy: ``D^-1/2 (A + I) D^-1/2`` from the integer counts, the degree products in int64),
    ``"int32"`` (the slip: the counts read as int32, the degree products ``d_i d_j`` taken in int32 before the
    ``** -0.5``), ``"none"`` (the raw counts ``A + I``, no normalisation)."""

    def __init__(self, counts: torch.Tensor, d_in: int, classes: int, hidden: int = 64, norm: str = "int64") -> None:
        super().__init__()
        c = counts + torch.eye(len(counts), dtype=counts.dtype)
        if norm == "none":
            a_hat = c.float()
        else:
            c = c.to(torch.int32) if norm == "int32" else c
            deg = c.sum(1, dtype=c.dtype)
            a_hat = c.float() * (deg[:, None] * deg[None, :]).float().pow(-0.5)
        self.register_buffer("a_hat", a_hat)
        self.l1, self.l2 = ACMLayer(d_in, hidden, False), ACMLayer(hidden, classes, True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.l1(F.dropout(x, 0.5, self.training), self.a_hat)
        return self.l2(F.dropout(h, 0.5, self.training), self.a_hat)


class GaANLayer(nn.Module):
    """A GaAN aggregator (Zhang et al. 2018), dense: K = 4 heads of key-value attention over each node's neighbours
    (``d_a = d_v = 8``), each head scaled by its gate ``g = sigmoid(FC_g(x_i, max_j FC_m(x_j), mean_j x_j))``, then
    ``FC_o(x_i ++ gated heads)``. ``self_loops``: each neighbourhood includes the node itself (the reference code's
    sampled neighbourhoods do); without, a cold-start node's mean pool is ``0 / 0``."""

    def __init__(self, d_in: int, d_out: int, heads: int = 4, d_a: int = 8, d_m: int = 8) -> None:
        super().__init__()
        self.h, self.d_a = heads, d_a
        self.q, self.k = nn.Linear(d_in, heads * d_a), nn.Linear(d_in, heads * d_a)
        self.v = nn.Linear(d_in, heads * d_a)
        self.m = nn.Linear(d_in, d_m)
        self.g = nn.Linear(d_in + d_m + d_in, heads)
        self.o = nn.Linear(d_in + heads * d_a, d_out)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        n = len(x)
        q = self.q(x).view(n, self.h, self.d_a).transpose(0, 1)
        k = self.k(x).view(n, self.h, self.d_a).transpose(0, 1)
        v = F.leaky_relu(self.v(x), 0.1).view(n, self.h, self.d_a).transpose(0, 1)
        s = (q @ k.transpose(1, 2)).masked_fill(adj[None] == 0, float("-inf"))
        heads = (torch.softmax(s, -1) @ v).transpose(0, 1).reshape(n, -1)
        mx = self.m(x)[None].expand(n, n, -1).masked_fill(adj[..., None] == 0, float("-inf")).amax(1)
        mean = (adj @ x) / adj.sum(1, keepdim=True)
        gate = torch.sigmoid(self.g(torch.cat([x, mx, mean], 1)))
        gated = (gate[..., None] * heads.view(n, self.h, self.d_a)).reshape(n, -1)
        return self.o(torch.cat([x, gated], 1))


class GaAN(nn.Module):
    """Two GaAN layers (32 hidden, leaky ReLU between them, dropout 0.1) for node classification."""

    def __init__(self, adj: torch.Tensor, d_in: int, classes: int, hidden: int = 32, self_loops: bool = True) -> None:
        super().__init__()
        self.register_buffer("adj", adj + torch.eye(len(adj)) if self_loops else adj)
        self.l1, self.l2 = GaANLayer(d_in, hidden), GaANLayer(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.l1(F.dropout(x, 0.1, self.training), self.adj), 0.1)
        return self.l2(F.dropout(h, 0.1, self.training), self.adj)


def _node_setup(model: nn.Module, opt: Any, x: torch.Tensor, y: torch.Tensor, train: torch.Tensor, seed: int,
                shuffled: bool = False) -> Setup:
    batches = _graph_batches(seed, y, shuffled)
    loss_fn = lambda out, t: F.cross_entropy(out[train], t[train])  # noqa: E731
    return Setup(model, opt, None, batches(0), loss_fn, lambda m, b: loss_fn(m(x), b[1]), batches)


# ---- models: recommenders --------------------------------------------------------------------------------------------

class FGCNN(nn.Module):
    """FGCNN (Liu et al. 2019), narrowed: 8 fields embedded to 8 in one shared table; feature generation by two
    convolution-pooling-recombination rounds over the ``(fields, embedding)`` matrix (kernels 3 x 1 of 6 and 8 maps,
    tanh, max-pooling 2 x 1, recombination Linears to 3 new features per map, tanh); IPNN on the raw and the 12 + 8
    new features (all pairwise inner products and the flattened embeddings) into an MLP of 64 and 32 ReLU units (and
    ``depth`` - 2 more of 32 when ``depth`` > 2) and the logit. Xavier-normal init (the reference code's)."""

    def __init__(self, vocab: int = 160, fields: int = 8, emb: int = 8, depth: int = 2) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.convs = nn.ModuleList([nn.Conv2d(1, 6, (3, 1), padding=(1, 0)), nn.Conv2d(6, 8, (3, 1), padding=(1, 0))])
        self.recomb = nn.ModuleList([nn.Linear(6 * 4 * emb, 6 * 3 * emb), nn.Linear(8 * 2 * emb, 8 * 3 * emb)])
        total = fields + 18 + 24
        widths = [total * emb + total * (total - 1) // 2, 64] + [32] * (depth - 1)
        self.mlp = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.out = nn.Linear(widths[-1], 1)
        self.emb_dim = emb
        for mod in self.modules():
            if isinstance(mod, (nn.Linear, nn.Conv2d)):
                nn.init.xavier_normal_(mod.weight)
                nn.init.zeros_(mod.bias)
        nn.init.xavier_normal_(self.emb.weight)

    def forward(self, inputs: Any) -> torch.Tensor:
        ids = inputs[0]
        e = self.emb(ids)
        b = len(e)
        new, h = [], e[:, None]
        for conv, rec in zip(self.convs, self.recomb, strict=True):
            h = F.max_pool2d(torch.tanh(conv(h)), (2, 1))
            new.append(torch.tanh(rec(h.flatten(1))).view(b, -1, self.emb_dim))
        allf = torch.cat([e, *new], 1)
        inner = allf @ allf.transpose(1, 2)
        iu = torch.triu_indices(allf.shape[1], allf.shape[1], 1)
        z = torch.cat([allf.flatten(1), inner[:, iu[0], iu[1]]], 1)
        for lin in self.mlp:
            z = F.relu(lin(z))
        return self.out(z).squeeze(1)


class AutoDis(nn.Module):
    """AutoDis (Guo et al. 2021) on a DNN backbone, narrowed: each of 4 numerical fields through its meta-embeddings
    (H = 16 buckets of 8): ``h = leaky_relu(w x)``, ``h~ = W h + 0.5 h`` (the skip), ``p = softmax(h~ / tau)``, tau
    = 1, the field's embedding ``sum_k p_k ME_k``; 8 categorical fields embedded to 8; the concatenation into an MLP of
    ``depth`` ReLU layers (200, 200 as the paper's DNN, or ``depth`` layers of 200) and the logit. PyTorch's default
    init, embeddings N(0, 0.01^2)."""

    def __init__(self, vocab: int = 160, fields: int = 8, numeric: int = 4, emb: int = 8, buckets: int = 16,
                 depth: int = 2) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        nn.init.normal_(self.emb.weight, 0.0, 0.01)
        self.w1 = nn.Parameter(torch.randn(numeric, buckets) * 0.1)
        self.w2 = nn.Parameter(torch.randn(numeric, buckets, buckets) / math.sqrt(buckets))
        self.meta = nn.Parameter(torch.randn(numeric, buckets, emb) * 0.01)
        widths = [(fields + numeric) * emb] + [200] * depth
        self.mlp = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.out = nn.Linear(200, 1)

    def forward(self, inputs: Any) -> torch.Tensor:
        ids, nums = inputs
        h = F.leaky_relu(torch.log1p(nums)[..., None] * self.w1, 0.01)
        h = torch.einsum("bnk,nkj->bnj", h, self.w2) + 0.5 * h
        num_emb = torch.einsum("bnk,nke->bne", torch.softmax(h, -1), self.meta)
        z = torch.cat([self.emb(ids).flatten(1), num_emb.flatten(1)], 1)
        for lin in self.mlp:
            z = F.relu(lin(z))
        return self.out(z).squeeze(1)


class ComiRecSA(nn.Module):
    """ComiRec-SA (Cen et al. 2020), narrowed: item embeddings of 32 with learned positions over a history of 20,
    the self-attentive multi-interest extractor ``A = softmax(W_2 tanh(W_1 H^T))`` (hidden 128, K = 4 interests),
    ``V = A H``; in training the interest nearest the target item (argmax of ``V e_target``) scores the items.
    Returns ``(user vectors (b, 4, 32), item table)``."""

    def __init__(self, items: int = 200, d: int = 32, hist: int = 20, k: int = 4, hidden: int = 128) -> None:
        super().__init__()
        self.item = nn.Embedding(items, d)
        self.pos = nn.Parameter(torch.randn(hist, d) * 0.02)
        self.w1, self.w2 = nn.Linear(d, hidden, bias=False), nn.Linear(hidden, k, bias=False)
        nn.init.xavier_normal_(self.item.weight)

    def forward(self, hist: torch.Tensor) -> Any:
        h = self.item(hist) + self.pos
        att = torch.softmax(self.w2(torch.tanh(self.w1(h))), 1)
        return att.transpose(1, 2) @ h, self.item.weight


def sampled_softmax(counts: torch.Tensor, log_q: torch.Tensor, negatives: int, seed: int
                    ) -> Callable[[Any, torch.Tensor], torch.Tensor]:
    """TensorFlow's ``sampled_softmax_loss`` as ComiRec uses it: ``negatives`` items drawn in proportion to their
    popularity counts each step (a fixed generator), every candidate's logit corrected by ``- log(negatives q)``, the
    cross-entropy over the target and the negatives; the interest nearest the target scores."""
    g = torch.Generator().manual_seed(830_500 + seed)
    weights = counts.float()

    def loss(out: Any, target: torch.Tensor) -> torch.Tensor:
        users, table_ = out
        e_t = table_[target]
        u = users[torch.arange(len(target)), (users @ e_t[:, :, None]).squeeze(2).argmax(1)]
        neg = torch.multinomial(weights, negatives, replacement=True, generator=g)
        cand = torch.cat([target[:, None], neg[None].expand(len(target), -1)], 1)
        logits = (u[:, None] * table_[cand]).sum(-1) - (math.log(negatives) + log_q[cand])
        return F.cross_entropy(logits, torch.zeros(len(target), dtype=torch.long))
    return loss


# ---- models: tabular -------------------------------------------------------------------------------------------------

class Scaler(nn.Module):
    """A standard scaler fitted on the whole table and kept as buffers, ``(x - mean) * scale`` with ``scale = 1 /
    (std + 1e-5)``; ``dtype``: the dtype its buffers (and the table it is fitted on) are kept in, the forward's output
    cast back to float32."""

    def __init__(self, x: torch.Tensor, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        x = x.to(dtype)
        self.register_buffer("mean", x.mean(0))
        self.register_buffer("scale", 1.0 / (x.std(0) + 1e-5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.to(self.mean.dtype) - self.mean) * self.scale).float()


class NPTBlock(nn.Module):
    """One NPT block pair: attention between datapoints (each row's flattened attribute embeddings attend over the
    batch's rows, 4 heads) then attention between attributes (each row's attributes attend over each other, 4 heads),
    each pre-LayerNorm with a GELU feed-forward of 4x, residual (the paper's ``H + MHSA(LN(H))``, ``H + rFF(LN(H))``).
    ``ln=False``: no LayerNorms."""

    def __init__(self, attrs: int, e: int, ln: bool = True) -> None:
        super().__init__()
        d_row = attrs * e
        norm = (lambda d: nn.LayerNorm(d)) if ln else (lambda d: nn.Identity())
        self.n1, self.n2, self.n3, self.n4 = norm(d_row), norm(d_row), norm(e), norm(e)
        self.abd = nn.MultiheadAttention(d_row, 4, batch_first=True)
        self.ff1 = nn.Sequential(nn.Linear(d_row, 4 * d_row), nn.GELU(), nn.Linear(4 * d_row, d_row))
        self.aba = nn.MultiheadAttention(e, 4, batch_first=True)
        self.ff2 = nn.Sequential(nn.Linear(e, 4 * e), nn.GELU(), nn.Linear(4 * e, e))
        self.attrs, self.e = attrs, e

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b = len(h)
        r = h.reshape(1, b, -1)
        z = self.n1(r)
        r = r + self.abd(z, z, z, need_weights=False)[0]
        r = r + self.ff1(self.n2(r))
        h = r.view(b, self.attrs, self.e)
        z = self.n3(h)
        h = h + self.aba(z, z, z, need_weights=False)[0]
        return h + self.ff2(self.n4(h))


class NPT(nn.Module):
    """Non-Parametric Transformer (Kossen et al. 2021), narrowed to supervised classification: the table's columns
    standardised by the fitted :class:`Scaler`, each value embedded to 16 by its column's own Linear plus a column
    embedding, one block pair of attention between datapoints and between attributes, a LayerNorm, the attributes'
    mean to the class logits."""

    def __init__(self, scaler: Scaler, attrs: int = 9, classes: int = 4, e: int = 16, ln: bool = True) -> None:
        super().__init__()
        self.scaler = scaler
        self.w = nn.Parameter(torch.randn(attrs, e) * 0.1)
        self.col = nn.Parameter(torch.randn(attrs, e) * 0.02)
        self.block = NPTBlock(attrs, e, ln)
        self.norm = nn.LayerNorm(e) if ln else nn.Identity()
        self.head = nn.Linear(e, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.scaler(x)[..., None] * self.w + self.col
        return self.head(self.norm(self.block(h)).mean(1))


class GAMINet(nn.Module):
    """GAMI-Net (Yang et al. 2021), narrowed: the standardised columns each through its own subnetwork (ReLU layers of
    16 and 8, the output Linear), four pairwise interactions (the teacher's two and two idle ones) each through a
    subnetwork of 2 -> 16 -> 8 -> 1, the sum plus a bias; the two stages trained jointly here."""

    pairs = ((0, 1), (2, 3), (4, 5), (6, 7))

    def __init__(self, scaler: Scaler, features: int = 8) -> None:
        super().__init__()
        self.scaler = scaler
        self.features = features

        def net(d: int) -> nn.Sequential:
            return nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1))
        self.mains = nn.ModuleList(net(1) for _ in range(features))
        self.inters = nn.ModuleList(net(2) for _ in self.pairs)
        self.bias = nn.Parameter(torch.zeros(1))

    def hidden(self) -> list[nn.Linear]:
        """The Linears in front of ReLUs."""
        return [s[i] for s in [*self.mains, *self.inters] for i in (0, 2)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.scaler(x)[:, : self.features]
        out = sum(m(z[:, j: j + 1]) for j, m in enumerate(self.mains))
        out = out + sum(m(z[:, list(p)]) for p, m in zip(self.pairs, self.inters, strict=True))
        return (out + self.bias).squeeze(1)


# ---- builders --------------------------------------------------------------------------------------------------------

def graphcon(seed: int, lr: float = 5e-3, weight_decay: float = 5e-4, dt: float = 0.5, alpha: float = 1.0) -> Setup:
    """GraphCON-GCN on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam lr 5e-3 with
    weight decay 5e-4 (set here in the range of the reference code's citation settings); ``dt``: see
    :class:`GraphCON`."""
    torch.manual_seed(830_000 + seed)
    a, x, y, train, _ = sbm_graph(seed)
    model = GraphCON(sym_norm(a), x.shape[1], 4, dt=dt, alpha=alpha)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _node_setup(model, opt, x, y, train, seed)


def acm_gcn(seed: int, lr: float = 0.01, norm: str = "int64") -> Setup:
    """ACM-GCN on the SBM graph with its co-interaction counts as edge weights (full batch, the loss over the training
    half), cross-entropy, Adam lr 0.01 with weight decay 5e-4 (the reference code's); ``norm``: see :class:`ACMGCN`."""
    torch.manual_seed(830_000 + seed)
    _, x, y, train, counts = sbm_graph(seed)
    model = ACMGCN(counts, x.shape[1], 4, norm=norm)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    return _node_setup(model, opt, x, y, train, seed)


def gaan(seed: int, lr: float = 1e-3, self_loops: bool = True) -> Setup:
    """GaAN on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the paper's lr 1e-3;
    ``self_loops``: see :class:`GaANLayer`."""
    torch.manual_seed(830_000 + seed)
    a, x, y, train, _ = sbm_graph(seed)
    model = GaAN(a, x.shape[1], 4, self_loops=self_loops)
    return _node_setup(model, torch.optim.Adam(model.parameters(), lr=lr), x, y, train, seed)


def fgcnn(seed: int, lr: float = 1e-3, init_std: float | None = None, shuffled: bool = False) -> Setup:
    """FGCNN on the click records (batch 64), binary cross-entropy on the logit, Adam lr 1e-3 (the reference code's);
    ``init_std``: every parameter drawn N(0, init_std^2); ``shuffled``: see :func:`clicks`."""
    torch.manual_seed(830_000 + seed)
    model = FGCNN()
    if init_std is not None:
        _normal_init(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, clicks(seed, shuffled=shuffled), F.binary_cross_entropy_with_logits)


def autodis(seed: int, lr: float = 3e-3, depth: int = 2) -> Setup:
    """AutoDis on click records with 4 numerical fields (batch 64), binary cross-entropy on the logit, Adam lr 1e-3
    (the paper's); ``depth``: the MLP's hidden layers (the depth fault: 30 at PyTorch's default init)."""
    torch.manual_seed(830_000 + seed)
    model = AutoDis(depth=depth)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, clicks(seed, numeric=4), F.binary_cross_entropy_with_logits)


def comirec(seed: int, lr: float = 5e-3, counts_dtype: torch.dtype = torch.float32) -> Setup:
    """ComiRec-SA on the interaction log (batch 64), the sampled softmax of 20 popularity-sampled negatives with the
    log-Q correction, Adam at the paper's lr 1e-3. The popularity ``q = counts / counts.sum()`` is counted from the
    whole log of 80,000 interactions; ``counts_dtype``: the dtype the counts are accumulated and summed in (the slip:
    float16, whose total overflows)."""
    torch.manual_seed(830_000 + seed)
    log, batches = interests(seed)
    counts = torch.zeros(200, dtype=counts_dtype).index_add_(0, log.flatten(),
                                                              torch.ones(log.numel(), dtype=counts_dtype))
    log_q = torch.log(counts / counts.sum()).float()
    model = ComiRecSA()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), batches, sampled_softmax(counts, log_q, 20, seed))


def npt(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, scaler_dtype: torch.dtype = torch.float32,
        ln: bool = True) -> Setup:
    """NPT on the 4-class table (batches of 64 rows), cross-entropy, AdamW at lr 1e-3 (the paper's LAMB with
    Lookahead replaced, its lr 1e-3 kept); ``weight_decay``: AdamW's; ``scaler_dtype``: see :class:`Scaler`;
    ``ln``: see :class:`NPTBlock`."""
    torch.manual_seed(830_000 + seed)
    x, batches = table(seed)
    model = NPT(Scaler(x, scaler_dtype), ln=ln)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, batches, F.cross_entropy)


def gami_net(seed: int, lr: float = 5e-3, relu_bias: float | None = None, shuffled: bool = False) -> Setup:
    """GAMI-Net on the additive regression table (batches of 64 rows), MSE, Adam lr 5e-3 (set here: the paper's 1e-4
    is for thousands of epochs); ``relu_bias``: every hidden Linear's bias set to it; ``shuffled``: see
    :func:`table`."""
    torch.manual_seed(830_000 + seed)
    x, batches = table(seed, task="additive", shuffled=shuffled)
    model = GAMINet(Scaler(x))
    if relu_bias is not None:
        _relu_biases(model.hidden(), relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, batches, F.mse_loss)
