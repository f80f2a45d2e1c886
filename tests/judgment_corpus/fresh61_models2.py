"""Hand-written models of the sixty-second held-out batch (``fresh61.py``), the graph and the multi-task /
multi-domain recommender ones: small versions of published architectures new to the corpus, each with the switches
its broken variants need (one fault each, off by default). The vision and text models are in ``fresh61_models.py``."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

# ---- MoNet -----------------------------------------------------------------------------------------------------------


class _GMMConv(nn.Module):
    """MoNet's layer on an edge list: the pseudo-coordinates ``u`` of every edge through the learned ``tanh(A u +
    b)``, K Gaussian kernels (learned means and diagonal widths) weighting each neighbour's K projections, the mean
    over the neighbours (``mean``: ``"clamped"`` divides by ``max(deg, 1)``, as a scatter-mean does; ``"raw"`` by the
    degree itself) plus the node's own projection (the root weight) and a bias; PyTorch's default init, the means
    N(0, 1), the widths one."""

    def __init__(self, cin: int, cout: int, kernels: int = 3, dim: int = 2) -> None:
        super().__init__()
        self.k, self.cout = kernels, cout
        self.coord = nn.Linear(dim, dim)
        self.mu, self.sigma = nn.Parameter(torch.randn(kernels, dim)), nn.Parameter(torch.ones(kernels, dim))
        self.theta, self.root = nn.Linear(cin, kernels * cout, bias=False), nn.Linear(cin, cout)

    def forward(self, x: torch.Tensor, edges: torch.Tensor, u: torch.Tensor, deg: torch.Tensor, mean: str
                ) -> torch.Tensor:
        src, dst = edges
        u = torch.tanh(self.coord(u))  # (e, dim)
        w = torch.exp(-0.5 * (((u[:, None] - self.mu) / self.sigma) ** 2).sum(-1))  # (e, k)
        msg = (w[..., None] * self.theta(x).view(-1, self.k, self.cout)[src]).sum(1)
        agg = torch.zeros(x.shape[0], self.cout).index_add(0, dst, msg)
        return agg / (deg.clamp_min(1.0) if mean == "clamped" else deg)[:, None] + self.root(x)


class MoNet(nn.Module):
    """MoNet (Monti et al. 2017, "Geometric deep learning on graphs and manifolds using mixture model CNNs"), its
    citation-graph setting: pseudo-coordinates ``(1 / sqrt(deg_i + 1), 1 / sqrt(deg_j + 1))`` of every edge, layers
    of K = 3 Gaussian kernels, hidden 16, ELU, dropout 0.5 before every layer. ``layers``: how many; ``residual``:
    each hidden layer's input added to its output; ``residual_twice``: the block returning ``h + elu(conv(h))``
    while the layer loop also adds ``h`` (the identity counted twice, so every layer doubles it); ``mean``: see
    :class:`_GMMConv`."""

    def __init__(self, adj: torch.Tensor, features: int, classes: int, hidden: int = 16, layers: int = 2,
                 residual: bool = False, residual_twice: bool = False, mean: str = "clamped") -> None:
        super().__init__()
        deg = adj.sum(1)
        d = (deg + 1).rsqrt()
        edges = adj.nonzero().T.flip(0)  # (source, target) of every edge
        self.register_buffer("edges", edges)
        self.register_buffer("deg", deg)
        self.register_buffer("u", torch.stack([d[edges[1]], d[edges[0]]], -1))
        dims = [features] + [hidden] * (layers - 1) + [classes]
        self.convs = nn.ModuleList([_GMMConv(a, b) for a, b in itertools.pairwise(dims)])
        self.residual, self.twice, self.mean = residual, residual_twice, mean

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.convs) - 1
        for i, conv in enumerate(self.convs):
            h = conv(F.dropout(x, 0.5, self.training), self.edges, self.u, self.deg, self.mean)
            if i == last:
                return h
            h = F.elu(h)
            if self.twice and 0 < i:
                x = x + (x + h)
            elif self.residual and 0 < i:
                x = x + h
            else:
                x = h
        return x


# ---- GeniePath -------------------------------------------------------------------------------------------------------


class GeniePath(nn.Module):
    """GeniePath (Liu et al. 2019, "GeniePath: graph neural networks with adaptive receptive paths") on a dense
    adjacency (with self-loops): a linear input layer to 32, then per layer the breadth function (GAT-like attention
    ``v . tanh(W_s h_i + W_d h_j)`` softmaxed over the neighbours, ``tanh`` of the attended ``W h_j``) and the depth
    function (an LSTM step across the layers, gates from the breadth output and the previous ``h``, no biases, as the
    reference code's ``nn.LSTM(bias=False)``; memory starting at zero), three layers, a linear output; PyTorch's
    default init. ``candidate_from_memory``: the LSTM's candidate written ``tanh(W_c c)`` instead of from the
    breadth output and ``h`` (the memory starts at zero, so it stays zero, and so does every ``h``)."""

    def __init__(self, adj: torch.Tensor, features: int, classes: int, hidden: int = 32, layers: int = 3,
                 candidate_from_memory: bool = False) -> None:
        super().__init__()
        self.register_buffer("edges", (adj + torch.eye(adj.shape[0])).nonzero().T.flip(0))  # with self-loops
        self.inp, self.out = nn.Linear(features, hidden), nn.Linear(hidden, classes)
        self.w = nn.ModuleList([nn.Linear(hidden, hidden, bias=False) for _ in range(layers)])
        self.ws = nn.ModuleList([nn.Linear(hidden, hidden, bias=False) for _ in range(layers)])
        self.wd = nn.ModuleList([nn.Linear(hidden, hidden, bias=False) for _ in range(layers)])
        self.v = nn.ModuleList([nn.Linear(hidden, 1, bias=False) for _ in range(layers)])
        self.gx = nn.ModuleList([nn.Linear(hidden, 4 * hidden, bias=False) for _ in range(layers)])
        self.gh = nn.ModuleList([nn.Linear(hidden, 4 * hidden, bias=False) for _ in range(layers)])
        self.wc = nn.ModuleList([nn.Linear(hidden, hidden, bias=False) for _ in range(layers)])
        self.from_memory = candidate_from_memory

    def _attend(self, x: torch.Tensor, s: torch.Tensor, d: torch.Tensor, v: nn.Module, wx: torch.Tensor
                ) -> torch.Tensor:
        src, dst = self.edges
        e = v(torch.tanh(s[dst] + d[src])).squeeze(-1)
        e = torch.exp(e - e.max().detach())
        att = e / torch.zeros(x.shape[0]).index_add(0, dst, e)[dst]
        return torch.zeros_like(wx).index_add(0, dst, att[:, None] * wx[src])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x)
        h, c = torch.zeros_like(x), torch.zeros_like(x)
        for w, ws, wd, v, gx, gh, wc in zip(self.w, self.ws, self.wd, self.v, self.gx, self.gh, self.wc):
            x = torch.tanh(self._attend(x, ws(x), wd(x), v, w(x)))
            i, f, g, o = (gx(x) + gh(h)).chunk(4, 1)
            g = torch.tanh(wc(c)) if self.from_memory else torch.tanh(g)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * g
            h = torch.sigmoid(o) * torch.tanh(c)
            x = h
        return self.out(x)


# ---- AITM ------------------------------------------------------------------------------------------------------------


def _tower(cin: int, relu_bias: float | None, layers: int = 3) -> nn.Sequential:
    t = nn.Sequential(nn.Linear(cin, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 64), nn.ReLU(),
                      nn.Dropout(0.3), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.3))
    for _ in range(layers - 3):
        t.extend([nn.Linear(32, 32), nn.ReLU()])
    if relu_bias is not None:
        nn.init.constant_(t[0].bias, relu_bias)
    return t


class AITM(nn.Module):
    """AITM (Xi et al. 2021, "Modeling the sequential dependence among audience multi-step conversions with
    multi-task learning in targeted display advertising"), its reference code's sizes: field embeddings of 5
    (N(0, 1)), a tower per task (128-64-32, ReLU, dropout 0.1, 0.3, 0.3), the click tower's output passed through
    the info layer (Linear and ReLU) and fused with the conversion tower's by the AIT attention (``h1``, ``h2``,
    ``h3`` Linears of 32, weights ``softmax(<h2(u), h3(u)> / sqrt(32))`` over the two), a sigmoid head per task;
    PyTorch's default init otherwise. Returns ``(p_click, p_conversion)``. ``relu_bias``: each tower's first Linear's
    bias set to it (every unit of its first ReLU dead when it is -10)."""

    def __init__(self, fields: int = 8, vocab: int = 10, d: int = 5, relu_bias: float | None = None,
                 layers: int = 3) -> None:
        super().__init__()
        self.emb = nn.ModuleList([nn.Embedding(vocab, d) for _ in range(fields)])
        self.towers = nn.ModuleList([_tower(fields * d, relu_bias, layers) for _ in range(2)])
        self.info = nn.Sequential(nn.Linear(32, 32), nn.ReLU())
        self.h1, self.h2, self.h3 = nn.Linear(32, 32), nn.Linear(32, 32), nn.Linear(32, 32)
        self.heads = nn.ModuleList([nn.Linear(32, 1) for _ in range(2)])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = torch.cat([emb(x[:, i]) for i, emb in enumerate(self.emb)], 1)
        click, conv = (t(e) for t in self.towers)
        u = torch.stack([self.info(click), conv], 1)  # (b, 2, 32)
        a = torch.softmax((self.h2(u) * self.h3(u)).sum(-1, keepdim=True) / 32 ** 0.5, 1)
        conv = (a * self.h1(u)).sum(1)
        return tuple(torch.sigmoid(h(z)).squeeze(-1) for h, z in zip(self.heads, (click, conv)))


# ---- STAR ------------------------------------------------------------------------------------------------------------


class _PN(nn.Module):
    """Partitioned normalization: each domain's samples standardised by that domain's batch statistics (eps 1e-5;
    ``dim=1``: by each sample's own statistics over its features instead), scaled by ``gamma * gamma_p`` and shifted
    by ``beta + beta_p`` (shared and per-domain)."""

    def __init__(self, d: int, domains: int, dim: int = 0) -> None:
        super().__init__()
        self.dim = dim
        self.g, self.b = nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))
        self.gp, self.bp = nn.Parameter(torch.ones(domains, d)), nn.Parameter(torch.zeros(domains, d))
        self.domains = domains

    def forward(self, z: torch.Tensor, dom: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(z)
        for p in range(self.domains):
            m = dom == p
            zp = z[m]
            mean, var = zp.mean(self.dim, keepdim=True), zp.var(self.dim, unbiased=False, keepdim=True)
            zp = (zp - mean) / (var + 1e-5).sqrt()
            out[m] = self.g * self.gp[p] * zp + self.b + self.bp[p]
        return out


class _StarLinear(nn.Module):
    """STAR's star-topology Linear: the weight ``W_shared * W_p`` and the bias ``b_shared + b_p`` of the sample's
    domain ``p``; ``W_shared`` at PyTorch's Linear init, ``W_p`` ones and ``b_p`` zeros (the start is the shared
    layer). ``zero``: both weights (and biases) zero."""

    def __init__(self, cin: int, cout: int, domains: int, zero: bool = False) -> None:
        super().__init__()
        lin = nn.Linear(cin, cout)
        self.ws, self.bs = nn.Parameter(lin.weight.detach().T.clone()), nn.Parameter(lin.bias.detach().clone())
        self.wp, self.bp = nn.Parameter(torch.ones(domains, cin, cout)), nn.Parameter(torch.zeros(domains, cout))
        if zero:
            for p in (self.ws, self.bs, self.wp):
                nn.init.zeros_(p)

    def forward(self, x: torch.Tensor, dom: torch.Tensor) -> torch.Tensor:
        out = torch.einsum("bi,pio->bpo", x, self.ws * self.wp)  # every domain's output, (b, domains, cout)
        return out[torch.arange(x.shape[0]), dom] + self.bs + self.bp[dom]


class STAR(nn.Module):
    """STAR (Sheng et al. 2021, "One model to serve all: star topology adaptive recommender for multi-domain CTR
    prediction"), narrowed: 4 categorical fields embedded in 8 (N(0, 1)) beside 8 numeric features, partitioned
    normalization of the concatenated 40, the star-topology FCN 40-64-32-1 with ReLU, and the auxiliary network
    (the domain indicator's embedding of 8 through 16 units and ReLU to a logit) added to its logit. Returns the
    logit. ``zero_init``: every star-topology weight, shared and per-domain, zero; ``pn``: the partitioned
    normalization (left out: the raw features go straight into the FCN); ``pn_dim``: the axis its statistics are
    taken over (0, each domain's samples; 1, each sample's features, a LayerNorm in effect)."""

    def __init__(self, fields: int = 4, vocab: int = 16, d: int = 8, numeric: int = 8, domains: int = 3,
                 zero_init: bool = False, pn: bool = True, pn_dim: int = 0) -> None:
        super().__init__()
        self.emb = nn.ModuleList([nn.Embedding(vocab, d) for _ in range(fields)])
        width = fields * d + numeric
        self.pn = _PN(width, domains, pn_dim) if pn else None
        self.fcn = nn.ModuleList([_StarLinear(a, b, domains, zero_init)
                                  for a, b in zip((width, 64, 32), (64, 32, 1))])
        self.aux = nn.Sequential(nn.Embedding(domains, 8), nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        cat, num, dom = batch
        z = torch.cat([*(emb(cat[:, i]) for i, emb in enumerate(self.emb)), num], 1)
        if self.pn is not None:
            z = self.pn(z, dom)
        for i, lin in enumerate(self.fcn):
            z = lin(z, dom)
            if i < len(self.fcn) - 1:
                z = F.relu(z)
        return z.squeeze(-1) + self.aux(dom).squeeze(-1)
