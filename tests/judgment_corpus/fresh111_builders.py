"""Builders of the hundred-and-twelfth held-out batch (``fresh111.py``): graph-learning, recommender and tabular models
new to the corpus at their usual settings, and broken variants with one real fault each, plus the small data sets they
train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn

SEED0 = 1_110_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(SEED0 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(11_100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm_graphs(seed: int, n: int = 64, classes: int = 4, d: int = 16, p_in: float = 0.3, p_out: float = 0.02,
               noise: float = 1.5, cold: int = 4, shuffled: bool = False) -> Callable[[int], Any]:
    """Node classification on stochastic-block-model graphs, a new graph each batch: ``n`` nodes in ``classes``
    communities (edges within a community with probability ``p_in``, across with ``p_out``, symmetric, no
    self-loops), the last ``cold`` nodes with no edge at all (cold-start nodes, as real graphs hold), each node's
    features its community's fixed template (N(0, 1) in ``d`` dimensions) plus N(0, noise^2): ``((x, adj), y)``.
    ``shuffled``: the labels permuted within every graph, apart from the nodes (the data common)."""
    temp = torch.randn(classes, d, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (n,), generator=g)
        p = torch.where(y[:, None] == y[None], p_in, p_out)
        upper = torch.triu((torch.rand(n, n, generator=g) < p).float(), 1)
        adj = upper + upper.T
        adj[n - cold:] = 0.0
        adj[:, n - cold:] = 0.0
        x = temp[y] + noise * torch.randn(n, d, generator=g)
        if shuffled:
            y = y[torch.randperm(n, generator=g)]
        return (x, adj), y
    return _pool(seed, make)


def _clusters(n: int, k: int, gen: torch.Generator) -> torch.Tensor:
    return torch.randperm(n, generator=gen) % k


#: the implicit-feedback world of SimpleX: 128 users and 192 items (ids 1 .. 192; 0 pads) in 8 taste clusters, each
#: user with a fixed history of 2 to 6 items of its cluster (padded with 0 to 6)
N_USERS, N_ITEMS, TASTES, HIST = 128, 192, 8, 6


def _taste_world() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = _fixed(2)
    ucl = _clusters(N_USERS, TASTES, g)
    icl = _clusters(N_ITEMS, TASTES, g)
    members = [torch.nonzero(icl == c).flatten() + 1 for c in range(TASTES)]
    hist = torch.zeros(N_USERS, HIST, dtype=torch.long)
    for u in range(N_USERS):
        m = members[int(ucl[u])]
        k = int(torch.randint(2, HIST + 1, (1,), generator=g))
        hist[u, :k] = m[torch.randperm(len(m), generator=g)[:k]]
    return ucl, icl, hist


def implicit_batches(seed: int, batch: int = 64, negatives: int = 32, with_padding: bool = False
                     ) -> Callable[[int], Any]:
    """SimpleX's training tuples: ``batch`` users, each with its history (padded), one positive item of its taste
    cluster and ``negatives`` items drawn uniformly from the catalogue ``1 .. 192``: ``((users, hist, items), 0)``,
    ``items (batch, 1 + negatives)`` with the positive first. ``with_padding``: the negatives drawn from
    ``0 .. 192``, the padding id 0 among them (the numeric common)."""
    ucl, icl, hist = _taste_world()
    members = [torch.nonzero(icl == c).flatten() + 1 for c in range(TASTES)]

    def make(g: torch.Generator, _: int) -> Any:
        users = torch.randint(0, N_USERS, (batch,), generator=g)
        pos = torch.stack([members[int(ucl[u])][torch.randint(0, len(members[int(ucl[u])]), (1,), generator=g)][0]
                           for u in users])
        low = 0 if with_padding else 1
        neg = torch.randint(low, N_ITEMS + 1, (batch, negatives), generator=g)
        return (users, hist[users], torch.cat([pos[:, None], neg], 1)), torch.zeros(batch)
    return _pool(seed, make)


def ctr_batches(seed: int, batch: int = 256, shuffled: bool = False) -> Callable[[int], Any]:
    """Multi-domain, multi-task click logs for PEPNet: fields (user of 64, item of 64, user age bucket of 8, item
    category of 8, domain of 3), a fixed latent taste (4-d) per user and item; a click with probability
    ``sigmoid(2.5 u.i + b_domain)`` and a like with ``sigmoid(2.5 u.W_domain i - 1)`` (a domain-specific relation):
    ``(fields (batch, 5) long, labels (batch, 2))``. ``shuffled``: the labels permuted within every batch, apart from
    their records (the data common)."""
    g0 = _fixed(3)
    uvec, ivec = torch.randn(64, 4, generator=g0), torch.randn(64, 4, generator=g0)
    age, cat = torch.randint(0, 8, (64,), generator=g0), torch.randint(0, 8, (64,), generator=g0)
    bias = torch.tensor([-0.5, 0.0, 0.5])
    wdom = torch.randn(3, 4, 4, generator=g0) / 2

    def make(g: torch.Generator, _: int) -> Any:
        u, i = torch.randint(0, 64, (batch,), generator=g), torch.randint(0, 64, (batch,), generator=g)
        dom = torch.randint(0, 3, (batch,), generator=g)
        click = torch.sigmoid(5 * (uvec[u] * ivec[i]).sum(1) + bias[dom])
        like = torch.sigmoid(5 * torch.einsum("bk,bkl,bl->b", uvec[u], wdom[dom], ivec[i]) - 1.0)
        y = (torch.rand(batch, 2, generator=g) < torch.stack([click, like], 1)).float()
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return torch.stack([u, i, age[u], cat[i], dom], 1), y
    return _pool(seed, make)


def _tabular(g: torch.Generator, n: int, d: int, latent: int, k: int) -> torch.Tensor:
    """``n`` records of ``d`` correlated features: smooth functions ``tanh(W z + c)`` of a ``latent``-dimensional
    Gaussian factor (W, c fixed by ``k``), plus N(0, 0.05^2) noise."""
    gf = _fixed(k)
    w, c = torch.randn(latent, d, generator=gf), 0.5 * torch.randn(d, generator=gf)
    z = torch.randn(n, latent, generator=g)
    return torch.tanh(z @ w + c) + 0.05 * torch.randn(n, d, generator=g)


def vime_batches(seed: int, batch: int = 128, d: int = 12, p_m: float = 0.3, raw: bool = False
                 ) -> Callable[[int], Any]:
    """VIME's pretext task on tabular records (12 correlated features of a 2-d factor, min-max scaled to [0, 1] by
    their fixed range [-1.2, 1.2], as VIME's reference code scales them): each record's features replaced with
    probability ``p_m`` by the same feature of another record of the batch (a column permuted), ``(x_tilde, (mask,
    x))``. ``raw``: the min-max scaling left out, the features in their raw units as readings come (each a fixed
    range U(100, 1000) above a fixed floor U(0, 500); the normalization common)."""
    gs = _fixed(10)
    span, low = 100 + 900 * torch.rand(d, generator=gs), 500 * torch.rand(d, generator=gs)

    def make(g: torch.Generator, _: int) -> Any:
        x = ((_tabular(g, batch, d, 2, 4) + 1.2) / 2.4).clamp(0, 1)
        if raw:
            x = low + span * x
        m = (torch.rand(batch, d, generator=g) < p_m).float()
        xbar = torch.stack([x[torch.randperm(batch, generator=g), j] for j in range(d)], 1)
        return m * xbar + (1 - m) * x, (m, x)
    return _pool(seed, make)


def subtab_batches(seed: int, batch: int = 64, d: int = 16, raw: bool = False) -> Callable[[int], Any]:
    """SubTab's records: 16 correlated features of a 3-d factor, standardised (their mean and std over a fixed
    reference sample); ``raw``: in their raw units as readings come, each feature times a fixed scale U(100, 1000)
    and shifted by U(-100, 100), the standardisation left out (the normalization common)."""
    gs = _fixed(5)
    ref = _tabular(_fixed(6), 4096, d, 3, 7)
    mu, sd = ref.mean(0), ref.std(0)
    scale, shift = 100 + 900 * torch.rand(d, generator=gs), 200 * torch.rand(d, generator=gs) - 100

    def make(g: torch.Generator, _: int) -> Any:
        x = _tabular(g, batch, d, 3, 7)
        x = x * scale + shift if raw else (x - mu) / sd
        return x, x
    return _pool(seed, make)


def item_graph(n: int = 256, clusters: int = 8, d: int = 16) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PinSAGE's item graph: ``n`` items in ``clusters`` co-engagement clusters (edges within with probability 0.15,
    across with 0.005; an item left without any edge is linked to a member of its cluster), each item's features its
    cluster's template plus N(0, 1); and each item's visit counts ``S = P + P^2 + P^3`` of its 3-step random walks
    (``P = D^-1 A``, the expected counts of the walks the paper simulates): ``(features, adjacency, S)`` with the
    diagonal of S cleared."""
    g = _fixed(8)
    c = _clusters(n, clusters, g)
    p = torch.where(c[:, None] == c[None], 0.15, 0.005)
    upper = torch.triu((torch.rand(n, n, generator=g) < p).float(), 1)
    adj = upper + upper.T
    for i in torch.nonzero(adj.sum(1) == 0).flatten().tolist():  # every item has been engaged with at least once
        m = torch.nonzero(c == c[i]).flatten()
        j = int(m[(m != i).nonzero()[0, 0]])
        adj[i, j] = adj[j, i] = 1.0
    x = torch.randn(clusters, d, generator=g)[c] + torch.randn(n, d, generator=g)
    walk = adj / adj.sum(1, keepdim=True).clamp(min=1)
    s = walk + walk @ walk + walk @ walk @ walk
    s.fill_diagonal_(0.0)
    return x, adj, s


def pinsage_batches(seed: int, batch: int = 64, pool: int = 8, largest_negatives: bool = False
                    ) -> Callable[[int], Any]:
    """PinSAGE's training triples: ``batch`` query items, a positive drawn from each query's importance neighbourhood
    (its ``pool`` most-visited items, ``S.topk(pool)``, the paper's co-engaged pairs) and a negative drawn from the
    ``pool`` items its walks reach least (``S.topk(pool, largest=False)``; the paper's random negatives among
    billions of pins are such items): ``((q, p, n), 0)``. ``largest_negatives``: the negatives' ``largest=False``
    left out (``topk``'s default takes the largest: the negatives are drawn from the positives' own pool; the slip)."""
    _, _, s = item_graph()
    near = s.topk(pool, dim=1).indices
    far = s.topk(pool, dim=1).indices if largest_negatives else s.topk(pool, dim=1, largest=False).indices

    def make(g: torch.Generator, _: int) -> Any:
        q = torch.randint(0, s.shape[0], (batch,), generator=g)
        p = near[q, torch.randint(0, pool, (batch,), generator=g)]
        n = far[q, torch.randint(0, pool, (batch,), generator=g)]
        return (q, p, n), torch.zeros(batch)
    return _pool(seed, make)


# ---- models ----------------------------------------------------------------------------------------------------------

class FeaStConv(nn.Module):
    """The feature-steered graph convolution (Verma, Boyer and Verbeek 2018): ``y_i = b + 1 / |N_i| sum_(j in N_i)
    sum_m q_m(x_i, x_j) W_m x_j`` over the neighbourhood with the node itself, the soft assignment ``q(x_i, x_j) =
    softmax_m(u_m^T (x_j - x_i) + c_m)`` over ``heads`` weight matrices (dense, on the batch's adjacency)."""

    def __init__(self, inp: int, out: int, heads: int = 4, mean: bool = True) -> None:
        super().__init__()
        self.heads, self.out, self.mean = heads, out, mean
        self.w = nn.Linear(inp, heads * out, bias=False)
        self.u = nn.Linear(inp, heads, bias=False)
        self.c = nn.Parameter(torch.zeros(heads))
        self.b = nn.Parameter(torch.zeros(out))

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        a = adj + torch.eye(adj.shape[0])
        ux = self.u(x)
        q = torch.softmax(ux[None] - ux[:, None] + self.c, -1) * a[..., None]  # (i, j, m)
        wx = self.w(x).view(-1, self.heads, self.out)  # (j, m, o)
        y = torch.einsum("ijm,jmo->io", q, wx)
        if self.mean:
            y = y / a.sum(1, keepdim=True)
        return y + self.b


class FeaStNet(nn.Module):
    """FeaStNet (Verma et al. 2018), narrowed: ``layers`` FeaStConv layers of 32 with 4 heads and ReLU, a Linear to the
    classes (the paper's shape-correspondence net stacks FeaStConvs of 32 to 128 between Linears)."""

    def __init__(self, d: int = 16, width: int = 32, classes: int = 4, layers: int = 3, mean: bool = True) -> None:
        super().__init__()
        self.convs = nn.ModuleList([FeaStConv(d if i == 0 else width, width, mean=mean) for i in range(layers)])
        self.head = nn.Linear(width, classes)

    def forward(self, inp: Any) -> torch.Tensor:
        x, adj = inp
        for conv in self.convs:
            x = F.relu(conv(x, adj))
        return self.head(x)


def sym_norm_adj(adj: torch.Tensor, degrees_first: bool = False) -> torch.Tensor:
    """``D^-1/2 (A + I) D^-1/2`` with the degrees of ``A + I``; ``degrees_first``: the degrees counted on ``A``
    before the self-loops are added (the slip: a cold-start node's degree is 0 and ``0^-1/2 = inf``)."""
    a = adj + torch.eye(adj.shape[0])
    deg = (adj if degrees_first else a).sum(1)
    r = deg ** -0.5
    return r[:, None] * a * r[None]


class GraphMLP(nn.Module):
    """GraphMLP (Hu et al. 2021): an MLP ``Linear - GELU - LayerNorm - Dropout - Linear`` whose hidden features feed
    the neighbourhood contrastive loss and a Linear classifier; no message passing at all (the graph enters only
    the loss). ``forward((x, adj))`` returns ``(logits, features, target adjacency)``: the target is ``Â^r`` of
    the normalised adjacency (r = 2)."""

    def __init__(self, d: int = 16, hidden: int = 64, classes: int = 4, dropout: float = 0.6, order: int = 2,
                 degrees_first: bool = False) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.LayerNorm(hidden), nn.Dropout(dropout),
                                 nn.Linear(hidden, hidden))
        self.cls = nn.Linear(hidden, classes)
        self.order, self.degrees_first = order, degrees_first

    def forward(self, inp: Any) -> Any:
        x, adj = inp
        z = self.mlp(x)
        a = sym_norm_adj(adj, self.degrees_first)
        target = torch.linalg.matrix_power(a, self.order)
        return self.cls(z), z, target


def graph_mlp_loss(tau: float = 2.0, alpha: float = 0.5) -> Callable[[Any, torch.Tensor], torch.Tensor]:
    """GraphMLP's loss as its reference code writes it: the cross-entropy plus ``alpha`` times the NContrast loss
    ``-log(sum_j a_ij exp(tau cos_ij) / sum_k exp(tau cos_ik) + 1e-8)`` over the feature cosines (the diagonal
    zeroed), ``a`` the target adjacency ``Â^r``."""
    def loss(out: Any, y: torch.Tensor) -> torch.Tensor:
        logits, z, target = out
        zn = z / z.norm(dim=1, keepdim=True)
        cos = (zn @ zn.T) * (1 - torch.eye(z.shape[0]))
        e = torch.exp(tau * cos)
        nc = -torch.log((e * target).sum(1) / e.sum(1) + 1e-8).mean()
        return F.cross_entropy(logits, y) + alpha * nc
    return loss


class ScarselliGNN(nn.Module):
    """The graph neural network of Scarselli et al. (2009), its linear (positional) form: the state ``x_v`` (8-d) of
    each node follows ``x_v <- sum_(u in ne[v]) A_(v,u) x_u + b_v`` from zero for ``steps`` iterations, with
    ``A_(v,u) = mu / (s |ne[u]|) Resize(phi(l_v, l_u))`` (``phi`` a tanh MLP to ``s x s`` values in (-1, 1), so that
    ``|A| <= mu / |ne[u]|`` and the map is a contraction for ``mu < 1``) and ``b_v = rho(l_v)`` (a tanh MLP); the
    output ``g(x_v)`` a tanh MLP of the state to the classes (the paper's ``g(x_v, l_v)`` narrowed to the state,
    which carries ``l_v`` through ``b_v``). Trained by back-propagation through the unrolled iterations (the
    paper's Almeida-Pineda recurrent back-propagation, narrowed). ``mu``: the contraction constant (0.9 here; the
    recurrence common raises it); ``summed``: the neighbours' sum without its ``1 / |ne[u]|`` (the slip)."""

    def __init__(self, d: int = 16, s: int = 8, classes: int = 4, mu: float = 0.9, steps: int = 10,
                 summed: bool = False) -> None:
        super().__init__()
        self.s, self.mu, self.steps, self.summed = s, mu, steps, summed
        self.phi = nn.Sequential(nn.Linear(2 * d, 32), nn.Tanh(), nn.Linear(32, s * s), nn.Tanh())
        self.rho = nn.Sequential(nn.Linear(d, 32), nn.Tanh(), nn.Linear(32, s), nn.Tanh())
        self.g = nn.Sequential(nn.Linear(s, 32), nn.Tanh(), nn.Linear(32, classes))

    def forward(self, inp: Any) -> torch.Tensor:
        x, adj = inp
        n = x.shape[0]
        pair = torch.cat([x[:, None].expand(n, n, -1), x[None].expand(n, n, -1)], -1)
        a = self.phi(pair).view(n, n, self.s, self.s) * (self.mu / self.s)
        w = adj if self.summed else adj / adj.sum(0, keepdim=True).clamp(min=1)  # 1 / |ne[u]| by column u
        a = a * w[..., None, None]
        b = self.rho(x)
        h = torch.zeros(n, self.s)
        for _ in range(self.steps):
            h = torch.einsum("vuij,uj->vi", a, h) + b
        return self.g(h)


class SimpleX(nn.Module):
    """SimpleX (Mao et al. 2021): a user's vector ``g e_u + (1 - g) V mean(e_i over its history)`` (the padding ids
    masked out of the mean, ``g = 0.5``), the items' embeddings (id 0 pads and stays zero), each score the cosine of
    the user's and the item's vectors, written ``u . i / (|u| |i|)``."""

    def __init__(self, dim: int = 32, gate: float = 0.5) -> None:
        super().__init__()
        self.user = nn.Embedding(N_USERS, dim)
        self.item = nn.Embedding(N_ITEMS + 1, dim, padding_idx=0)
        self.v = nn.Linear(dim, dim, bias=False)
        self.gate = gate

    def forward(self, inp: Any) -> torch.Tensor:
        users, hist, items = inp
        mask = (hist > 0).float()[..., None]
        agg = (self.item(hist) * mask).sum(1) / mask.sum(1)
        u = self.gate * self.user(users) + (1 - self.gate) * self.v(agg)
        i = self.item(items)
        return (i * u[:, None]).sum(-1) / (i.norm(dim=-1) * u.norm(dim=-1)[:, None])


def ccl_loss(margin: float = 0.9, weight: float = 150.0) -> Callable[[torch.Tensor, Any], torch.Tensor]:
    """SimpleX's cosine contrastive loss: ``(1 - y_pos) + weight / |N| sum_(j in N) max(0, y_j - margin)``."""
    def loss(scores: torch.Tensor, _: Any) -> torch.Tensor:
        return ((1 - scores[:, 0]) + weight * F.relu(scores[:, 1:] - margin).mean(1)).mean()
    return loss


class GateNU(nn.Module):
    """PEPNet's gate neural unit: ``gamma * sigmoid(W2 ReLU(W1 x + b1) + b2)`` with ``gamma = 2``."""

    def __init__(self, inp: int, out: int, hidden: int = 32) -> None:
        super().__init__()
        self.l1, self.l2 = nn.Linear(inp, hidden), nn.Linear(hidden, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2.0 * torch.sigmoid(self.l2(F.relu(self.l1(x))))


class PEPNet(nn.Module):
    """PEPNet (Chang et al. 2023), narrowed: embeddings of 8 per field; EPNet scales the general embedding (user,
    item, age, category) by a Gate NU of the domain's embedding and the stopped general embedding; each of the two
    tasks' DNN towers (32 -> 64 -> 32 -> 1, ReLU) has every hidden layer scaled by PPNet's Gate NU of the personal
    prior (user and item embeddings) and the stopped EPNet output. ``hidden_bias``: every tower's hidden biases set
    to that value (the activation common)."""

    def __init__(self, dim: int = 8, hidden_bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.ModuleList([nn.Embedding(n, dim) for n in (64, 64, 8, 8, 3)])
        gen = 4 * dim
        self.ep = GateNU(dim + gen, gen)
        self.towers = nn.ModuleList()
        self.gates = nn.ModuleList()
        for _ in range(2):
            self.towers.append(nn.ModuleList([nn.Linear(gen, 64), nn.Linear(64, 32), nn.Linear(32, 1)]))
            self.gates.append(nn.ModuleList([GateNU(2 * dim + gen, 64), GateNU(2 * dim + gen, 32)]))
        if hidden_bias is not None:
            with torch.no_grad():
                for tower in self.towers:
                    tower[0].bias.fill_(hidden_bias)
                    tower[1].bias.fill_(hidden_bias)

    def forward(self, fields: torch.Tensor) -> torch.Tensor:
        e = [emb(fields[:, k]) for k, emb in enumerate(self.emb)]
        general = torch.cat(e[:4], 1)
        o_ep = self.ep(torch.cat([e[4], general.detach()], 1)) * general
        prior = torch.cat([e[0], e[1], o_ep.detach()], 1)
        outs = []
        for tower, gates in zip(self.towers, self.gates):
            h = o_ep
            for lin, gate in zip(tower[:2], gates):
                h = F.relu(lin(h)) * gate(prior)
            outs.append(tower[2](h))
        return torch.cat(outs, 1)


def pepnet_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The two tasks' binary cross-entropies, summed (weight 1 each)."""
    return F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(0).sum()


class VIME(nn.Module):
    """VIME's self-supervised model (Yoon et al. 2020, its reference code): an encoder ``Linear(d, d) - ReLU`` and
    two heads from it, the mask estimator and the feature estimator, each ``Linear(d, d) - sigmoid``. ``zero``:
    every weight and bias initialised to zero (the init common)."""

    def __init__(self, d: int = 12, zero: bool = False) -> None:
        super().__init__()
        self.enc, self.mask, self.feat = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        if zero:
            for p in self.parameters():
                nn.init.zeros_(p)

    def forward(self, x: torch.Tensor) -> Any:
        h = F.relu(self.enc(x))
        return torch.sigmoid(self.mask(h)), torch.sigmoid(self.feat(h))


def vime_loss(alpha: float = 2.0) -> Callable[[Any, Any], torch.Tensor]:
    """VIME-self's loss: the mask estimator's binary cross-entropy plus ``alpha`` times the feature estimator's MSE."""
    def loss(out: Any, target: Any) -> torch.Tensor:
        m_hat, x_hat = out
        m, x = target
        return F.binary_cross_entropy(m_hat, m) + alpha * F.mse_loss(x_hat, x)
    return loss


class SubTab(nn.Module):
    """SubTab (Ucar, Hajiramezanali and Edwards 2021), narrowed: the 16 features split into 4 subsets of 4 with 75%
    overlap (each subset its 4 columns and the next subset's first 3: 7 columns), each subset corrupted by Gaussian
    noise (std 0.3) on a random 15% of its entries, a shared encoder ``Linear(7, 64) - LeakyReLU - Linear(64, 32)``,
    a shared decoder ``Linear(32, 16)`` reconstructing every feature from each subset's code, and a projection
    ``Linear(32, 32) - LeakyReLU - Linear(32, 32)`` for the contrastive term; the corruption is drawn from the
    model's own generator (seed 11_109), the same sequence at every seed. ``forward(x)`` returns ``(codes'
    projections (4, b, 32), reconstructions (4, b, 16))``."""

    def __init__(self, d: int = 16, k: int = 4, overlap: float = 0.75, depth: int = 1) -> None:
        super().__init__()
        step = d // k
        extra = int(overlap * step)
        self.subsets = [torch.arange(i * step, i * step + step + extra) % d for i in range(k)]
        width = step + extra
        hidden: list[nn.Module] = []
        for _ in range(depth - 1):
            hidden += [nn.Linear(64, 64), nn.LeakyReLU()]
        self.enc = nn.Sequential(nn.Linear(width, 64), nn.LeakyReLU(), *hidden, nn.Linear(64, 32))
        self.dec = nn.Linear(32, d)
        self.proj = nn.Sequential(nn.Linear(32, 32), nn.LeakyReLU(), nn.Linear(32, 32))
        self.g = torch.Generator().manual_seed(11_100 + 9)

    def forward(self, x: torch.Tensor) -> Any:
        projs, recs = [], []
        for idx in self.subsets:
            xs = x[:, idx]
            mask = (torch.rand(xs.shape, generator=self.g) < 0.15).float()
            xs = xs + mask * 0.3 * torch.randn(xs.shape, generator=self.g)
            h = self.enc(xs)
            projs.append(self.proj(h))
            recs.append(self.dec(h))
        return torch.stack(projs), torch.stack(recs)


def subtab_loss(tau: float = 0.1) -> Callable[[Any, torch.Tensor], torch.Tensor]:
    """SubTab's loss: the reconstruction MSE of every feature from each subset, plus over every pair of subsets the
    NT-Xent of their projections (temperature 0.1) and the MSE between them (the distance loss)."""
    def loss(out: Any, x: torch.Tensor) -> torch.Tensor:
        projs, recs = out
        rec = ((recs - x[None]) ** 2).mean()
        k, b = projs.shape[0], projs.shape[1]
        con, dist, pairs = 0.0, 0.0, 0
        for i in range(k):
            for j in range(i + 1, k):
                z = F.normalize(torch.cat([projs[i], projs[j]]), dim=1)
                sim = (z @ z.T) / tau
                sim = sim.masked_fill(torch.eye(2 * b, dtype=torch.bool), float("-inf"))
                target = torch.cat([torch.arange(b, 2 * b), torch.arange(b)])
                con = con + F.cross_entropy(sim, target)
                dist = dist + F.mse_loss(projs[i], projs[j])
                pairs += 1
        return rec + (con + dist) / pairs
    return loss


class PinSAGE(nn.Module):
    """PinSAGE (Ying et al. 2018), narrowed: two convolutions over each item's importance neighbourhood (its 8
    most-visited items by 3-step random walks, weighted by their normalised visit counts): ``n_u = sum_v alpha_uv
    ReLU(Q h_v + q)`` (importance pooling), ``z_u = ReLU(W [h_u, n_u] + w)``, ``z_u / |z_u|``; then the final dense
    layers ``G2 ReLU(G1 z + g)``; widths 32. ``forward((q, p, n))`` embeds the whole graph and returns the three
    items' embeddings. ``by_column``: the importance weights normalised by their column sums ``alpha.sum(0)`` where
    each row's sum ``alpha.sum(1)`` belongs (the slip: an item in no other item's neighbourhood has a column sum of
    0, and ``0 / 0`` is NaN in every row)."""

    def __init__(self, d: int = 16, width: int = 32, neighbours: int = 8, by_column: bool = False) -> None:
        super().__init__()
        x, _, s = item_graph()
        top = s.topk(neighbours, dim=1)
        alpha = torch.zeros_like(s).scatter_(1, top.indices, top.values)
        self.register_buffer("x", x)
        norm = alpha.sum(0, keepdim=True) if by_column else alpha.sum(1, keepdim=True)
        self.register_buffer("alpha", alpha / norm)
        self.q = nn.ModuleList([nn.Linear(d, width), nn.Linear(width, width)])
        self.w = nn.ModuleList([nn.Linear(d + width, width), nn.Linear(2 * width, width)])
        self.g = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))

    def forward(self, inp: Any) -> Any:
        h = self.x
        for q, w in zip(self.q, self.w):
            n = self.alpha @ F.relu(q(h))
            h = F.relu(w(torch.cat([h, n], 1)))
            h = h / h.norm(dim=1, keepdim=True).clamp(min=1e-12)
        z = self.g(h)
        qi, pi, ni = inp
        return z[qi], z[pi], z[ni]


def max_margin_loss(margin: float = 0.1) -> Callable[[Any, Any], torch.Tensor]:
    """PinSAGE's max-margin ranking loss ``max(0, z_q . z_n - z_q . z_p + margin)``, averaged."""
    def loss(out: Any, _: Any) -> torch.Tensor:
        zq, zp, zn = out
        return F.relu((zq * zn).sum(1) - (zq * zp).sum(1) + margin).mean()
    return loss


# ---- builders --------------------------------------------------------------------------------------------------------

def feastnet(seed: int, lr: float = 1e-2, layers: int = 3, mean: bool = True) -> Setup:
    """FeaStNet on the SBM graphs (one graph of 64 nodes a batch), cross-entropy, Adam at lr 1e-2 (set here);
    ``layers``: the FeaStConv layers (the depth common: 40, plain, at PyTorch's default init)."""
    torch.manual_seed(SEED0 + seed)
    model = FeaStNet(layers=layers, mean=mean)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), sbm_graphs(seed), F.cross_entropy)


def graph_mlp(seed: int, lr: float = 1e-2, dropout: float = 0.6, shuffled: bool = False,
              degrees_first: bool = False, weight_decay: float = 5e-3) -> Setup:
    """GraphMLP on the SBM graphs, :func:`graph_mlp_loss` (``r = 2``, ``tau = 2``, the NContrast weight ``alpha =
    0.5``, set here), dropout 0.6, Adam with weight decay 5e-3 at lr 1e-2 (set here, for 200 steps);
    ``dropout``: the Dropout's rate; ``shuffled``: see :func:`sbm_graphs`; ``degrees_first``:
    see :func:`sym_norm_adj`; ``weight_decay``: Adam's coupled L2 (the regularization common: 1)."""
    torch.manual_seed(SEED0 + seed)
    model = GraphMLP(dropout=dropout, degrees_first=degrees_first)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sbm_graphs(seed, shuffled=shuffled), graph_mlp_loss())


def scarselli_gnn(seed: int, lr: float = 1e-2, mu: float = 0.9, summed: bool = False, shuffled: bool = False
                  ) -> Setup:
    """The Scarselli GNN on the SBM graphs, cross-entropy, Adam at lr 1e-2 (set here; the paper's own training is
    gradient descent with Almeida-Pineda); ``mu``, ``summed``: see :class:`ScarselliGNN`; ``shuffled``: see
    :func:`sbm_graphs`."""
    torch.manual_seed(SEED0 + seed)
    model = ScarselliGNN(mu=mu, summed=summed)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), sbm_graphs(seed, shuffled=shuffled),
               F.cross_entropy)


def simplex(seed: int, lr: float = 1e-2, with_padding: bool = False, weight_decay: float = 0.0) -> Setup:
    """SimpleX on the implicit histories (64 users a batch, one positive and 32 uniform negatives each),
    :func:`ccl_loss` at margin 0.9 and negative weight 150, Adam at lr 1e-2 (set here, for 200 steps);
    ``with_padding``: see :func:`implicit_batches`; ``weight_decay``: Adam's L2."""
    torch.manual_seed(SEED0 + seed)
    model = SimpleX()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, implicit_batches(seed, with_padding=with_padding), ccl_loss())


def pepnet(seed: int, lr: float = 1e-2, hidden_bias: float | None = None, shuffled: bool = False,
           weight_decay: float = 0.0) -> Setup:
    """PEPNet on the click logs (batch 256), :func:`pepnet_loss`, Adam at lr 1e-2 (set here) or AdamW at
    ``weight_decay``; ``hidden_bias``: see :class:`PEPNet`; ``shuffled``: see :func:`ctr_batches`."""
    torch.manual_seed(SEED0 + seed)
    model = PEPNet(hidden_bias=hidden_bias)
    opt = (torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay) if weight_decay
           else torch.optim.Adam(model.parameters(), lr=lr))
    return _xy(model, opt, ctr_batches(seed, shuffled=shuffled), pepnet_loss)


def vime(seed: int, lr: float = 1e-2, zero: bool = False, raw: bool = False) -> Setup:
    """VIME-self on the tabular records (batch 128, ``p_m = 0.3``), :func:`vime_loss` at ``alpha = 2``, RMSprop as
    the reference code's Keras default (``rho = 0.9``, eps 1e-7) at lr 1e-2 (its 1e-3 is for 10 epochs over
    thousands of records); ``zero``: see :class:`VIME`; ``raw``: see :func:`vime_batches`."""
    torch.manual_seed(SEED0 + seed)
    model = VIME(zero=zero)
    opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, eps=1e-7)
    return _xy(model, opt, vime_batches(seed, raw=raw), vime_loss())


def subtab(seed: int, lr: float = 1e-3, raw: bool = False, depth: int = 1) -> Setup:
    """SubTab on the tabular records (batch 64), :func:`subtab_loss`, Adam at the paper's lr 1e-3; ``raw``: see
    :func:`subtab_batches`."""
    torch.manual_seed(SEED0 + seed)
    model = SubTab(depth=depth)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), subtab_batches(seed, raw=raw), subtab_loss())


def pinsage(seed: int, lr: float = 1e-2, largest_negatives: bool = False, by_column: bool = False) -> Setup:
    """PinSAGE on the item graph (64 query items a batch), :func:`max_margin_loss` at margin 0.1, Adam at lr 1e-2
    (set here); ``largest_negatives``: see :func:`pinsage_batches`; ``by_column``: see :class:`PinSAGE`."""
    torch.manual_seed(SEED0 + seed)
    model = PinSAGE(by_column=by_column)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, pinsage_batches(seed, largest_negatives=largest_negatives), max_margin_loss())

