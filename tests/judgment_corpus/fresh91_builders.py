"""Builders of the ninety-second held-out batch (``fresh91.py``): graph neural networks, recommenders and tabular
models new to the corpus at their usual settings, and broken variants with one real fault each, plus the small data
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
    return torch.Generator().manual_seed(910_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32, isolated: int = 20
              ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.004
    across; the last 20 nodes are cold-start nodes with no edges), its adjacency without self-loops, weak node
    features (the class's fixed mean direction times 0.3 plus N(0, 1) noise, 32 dimensions) and the labels; the first
    half of a fixed random order is the training set: ``(adjacency, features, labels, train mask)``."""
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
    return a, x, y, train


def sym_norm(a: torch.Tensor, self_loops: bool = True) -> torch.Tensor:
    """``D^-1/2 (A + I) D^-1/2`` (GCN's propagation)."""
    if self_loops:
        a = a + torch.eye(a.shape[0])
    d = a.sum(1).pow(-0.5)
    return d[:, None] * a * d[None]


def item_streams(seed: int, batch: int = 16, length: int = 33, items: int = 64) -> Callable[[int], Any]:
    """Users' item streams from the corpus' sparse Markov chain over 64 items (each next item a fixed successor of
    the current one with probability 0.8, else uniform): ``(items (b, 32), next items (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, items)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def ctr_logs(seed: int, batch: int = 128, fields: int = 8, vocab: int = 10, shuffled: bool = False
             ) -> Callable[[int], Any]:
    """Click logs of 8 categorical fields of 10 values each, clicked when a fixed teacher's logit (a value per field
    plus four pairwise field interactions, all N(0, 1)) is positive (about half the rows): ``(ids (b, 8) with the
    field offsets added, click (b,) float)``; ``shuffled``: the clicks permuted within every batch, apart from their
    rows."""
    fg = _fixed(2)
    unary = torch.randn(fields, vocab, generator=fg)
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7)]
    pair_tab = torch.randn(len(pairs), vocab, vocab, generator=fg) * 1.5
    offsets = torch.arange(fields) * vocab

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, fields), generator=g)
        logit = unary[torch.arange(fields), x].sum(1)
        for k, (i, j) in enumerate(pairs):
            logit = logit + pair_tab[k, x[:, i], x[:, j]]
        y = (logit > 0).float()
        return x + offsets, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def mixed_table(seed: int, batch: int = 64, numeric: int = 6, categorical: int = 3, vocab: int = 6,
                classes: int = 4, shuffled: bool = False) -> Callable[[int], Any]:
    """A table of 6 numeric columns N(0, 1) and 3 categorical ones of 6 values, labelled by a fixed random two-layer
    tanh teacher (argmax of 4 outputs): ``((numeric (b, 6), categories (b, 3)), class (b,))``; ``shuffled``: the
    classes permuted within every batch, apart from their rows."""
    fg = _fixed(3)
    cat_emb = torch.randn(categorical, vocab, 4, generator=fg)
    w1 = torch.randn(numeric + 4 * categorical, 32, generator=fg) / math.sqrt(numeric + 4 * categorical)
    w2 = torch.randn(32, classes, generator=fg) * 2.0 / math.sqrt(32)

    def make(g: torch.Generator, _: int) -> Any:
        xn = torch.randn(batch, numeric, generator=g)
        xc = torch.randint(0, vocab, (batch, categorical), generator=g)
        feats = torch.cat([xn, cat_emb[torch.arange(categorical), xc].flatten(1)], 1)
        y = (torch.tanh(feats @ w1 * 2.0) @ w2).argmax(1)
        return (xn, xc), y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def _normal_all(model: nn.Module, std: float) -> None:
    """Every Linear's and Embedding's weight drawn N(0, std^2), biases zero (the init common)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.normal_(0.0, std)
                if getattr(m, "bias", None) is not None:
                    m.bias.zero_()


# ---- GAMLP -----------------------------------------------------------------------------------------------------------

class GAMLP(nn.Module):
    """GAMLP (Zhang et al. 2022) with its recursive attention: the hop features ``X, P X, ..., P^K X`` (``P`` the
    normalised propagation, K = 3, precomputed) are combined with node-adaptive weights ``softmax_k(s_k)``, ``s_k =
    sigmoid(a . [X_k || X~_(k-1)])``, where ``X~`` is the running weighted combination of the earlier hops; then an
    MLP of two ReLU layers of 64 with dropout 0.2. ``hidden``: the MLP's number of hidden layers."""

    def __init__(self, d_in: int, classes: int, hops: int = 3, width: int = 64, hidden: int = 2,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.hops = hops
        self.att = nn.Linear(2 * d_in, 1)
        layers: list[nn.Module] = []
        d = d_in
        for _ in range(hidden):
            layers += [nn.Linear(d, width), nn.ReLU(), nn.Dropout(dropout)]
            d = width
        layers.append(nn.Linear(d, classes))
        self.mlp = nn.Sequential(*layers)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:  # (K+1, n, d)
        scores = []
        combo = feats[0]
        weights = None
        for k in range(self.hops + 1):
            scores.append(torch.sigmoid(self.att(torch.cat([feats[k], combo], -1))))
            weights = torch.softmax(torch.cat(scores, -1), -1)  # (n, k+1)
            combo = (weights.T[..., None] * feats[: k + 1]).sum(0)
        return self.mlp(combo)


def he_normal_mlp(mlp: nn.Module, discard: bool) -> None:
    """The user's hand-written He-normal init of the MLP's Linears (biases zero): ``w.normal_()`` then the scale
    ``sqrt(2 / fan_in)``. Right: ``.mul_(...)``. ``discard``, the slip: ``w.normal_().mul(...)``, the out-of-place
    ``mul`` whose result is thrown away: the draw is kept unscaled, N(0, 1)."""
    with torch.no_grad():
        for m in mlp.modules():
            if isinstance(m, nn.Linear):
                if discard:
                    m.weight.normal_().mul(math.sqrt(2.0 / m.in_features))
                else:
                    m.weight.normal_().mul_(math.sqrt(2.0 / m.in_features))
                m.bias.zero_()


def gamlp(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, hidden: int = 2, rw_no_loops: bool = False,
          init_std: float | None = None, he: str | None = None) -> Setup:
    """GAMLP on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the reference
    code's lr 1e-3 (weight decay 0 as there); ``weight_decay``: Adam's coupled L2; ``hidden``: see :class:`GAMLP`;
    ``rw_no_loops``: the propagation written ``D^-1 A`` (row-normalised, no self-loops) where ``D^-1/2 (A + I)
    D^-1/2`` belongs (cold-start nodes: ``0 / 0``); ``init_std``: every weight N(0, std^2)."""
    torch.manual_seed(910_000 + seed)
    a, x, y, train = sbm_graph(seed)
    if rw_no_loops:
        p = a / a.sum(1, keepdim=True)
    else:
        p = sym_norm(a)
    feats = [x]
    for _ in range(3):
        feats.append(p @ feats[-1])
    feats_t = torch.stack(feats)
    model = GAMLP(x.shape[1], 4, hidden=hidden)
    if init_std is not None:
        _normal_all(model, init_std)
    if he is not None:
        he_normal_mlp(model.mlp, discard=he == "discard")
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (feats_t, y), lambda out, t: F.cross_entropy(out[train], t[train]))


# ---- SuperGAT --------------------------------------------------------------------------------------------------------

class DenseGATConv(nn.Module):
    """A hand-written dense GAT layer (Velickovic et al. 2018): ``heads`` projections of ``out`` units, additive
    attention ``LeakyReLU_0.2(a_src . W h_i + a_dst . W h_j)`` over each node's neighbours and itself. Its parameters
    are allocated as zero placeholders and filled by :meth:`reset_parameters` (Glorot), PyG's pattern."""

    def __init__(self, d_in: int, out: int, heads: int, concat: bool = True) -> None:
        super().__init__()
        self.heads, self.out, self.concat = heads, out, concat
        self.weight = nn.Parameter(torch.zeros(d_in, heads * out))
        self.att_src = nn.Parameter(torch.zeros(1, heads, out))
        self.att_dst = nn.Parameter(torch.zeros(1, heads, out))
        self.bias = nn.Parameter(torch.zeros(heads * out if concat else out))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)
        nn.init.zeros_(self.bias)

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        src = (h * self.att_src).sum(-1)  # (n, heads)
        dst = (h * self.att_dst).sum(-1)
        return F.leaky_relu(src[:, None] + dst[None], 0.2)  # (n, n, heads): i attends to j

    def forward(self, x: torch.Tensor, adj: torch.Tensor, dropout: float) -> torch.Tensor:
        n = x.shape[0]
        h = (x @ self.weight).view(n, self.heads, self.out)
        e = self.logits(h).masked_fill(~adj[..., None], float("-inf"))
        alpha = F.dropout(torch.softmax(e, 1), dropout, self.training)
        out = torch.einsum("ijh,jhc->ihc", alpha, h)
        out = out.reshape(n, -1) if self.concat else out.mean(1)
        return out + self.bias


class SuperGATConv(DenseGATConv):
    """SuperGAT's MX attention (Kim and Oh 2021): GAT's additive logits gated by the sigmoid of the dot product,
    ``e_ij = LeakyReLU(a . [W h_i || W h_j]) * sigmoid((W h_i) . (W h_j))``; the dot products of the real edges and
    of sampled non-edges are also the link-prediction logits of the self-supervised loss. Its own
    ``reset_parameters`` re-draws the attention vectors at the reference code's Glorot and calls the base class's."""

    def reset_parameters(self) -> None:
        super().reset_parameters()
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        dots = torch.einsum("ihc,jhc->ijh", h, h)
        self._dots = dots
        return super().logits(h) * torch.sigmoid(dots)


class SuperGATConvOwnInit(SuperGATConv):
    """The slip: the user's subclass overriding ``reset_parameters`` to re-draw the attention vectors, without the
    ``super().reset_parameters()`` call, so that the base class's projection (a zero placeholder) is never filled."""

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)


class SuperGAT(nn.Module):
    """Two SuperGAT-MX layers (8 heads of 8, ELU; then 1 head to the classes), dropout 0.6 on the inputs, hidden
    states and attention (the paper's citation setting)."""

    def __init__(self, d_in: int, classes: int, no_super: bool = False) -> None:
        super().__init__()
        conv = SuperGATConvOwnInit if no_super else SuperGATConv
        self.conv1 = conv(d_in, 8, 8)
        self.conv2 = conv(64, classes, 1, concat=False)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, 0.6, self.training)
        x = F.elu(self.conv1(x, adj, 0.6))
        x = F.dropout(x, 0.6, self.training)
        return self.conv2(x, adj, 0.6)


def supergat(seed: int, lr: float = 5e-3, no_super: bool = False, edge_weight: float = 4.0) -> Setup:
    """SuperGAT-MX on the SBM graph (full batch), cross-entropy over the training half plus ``edge_weight`` (the
    paper's lambda_E = 4) times the self-supervised link loss (binary cross-entropy of the dot-product logits of every
    edge against as many fixed random non-edges, both layers), Adam at the paper's lr 0.005 with weight decay 5e-4;
    ``no_super``: the subclass's ``reset_parameters`` override without ``super().reset_parameters()``: every
    placeholder stays zero."""
    torch.manual_seed(910_000 + seed)
    a, x, y, train = sbm_graph(seed)
    adj = (a + torch.eye(a.shape[0])) > 0
    src, dst = a.nonzero(as_tuple=True)
    g = _gen(seed)
    neg_src = torch.randint(0, a.shape[0], (src.numel(),), generator=g)
    neg_dst = torch.randint(0, a.shape[0], (src.numel(),), generator=g)
    model = SuperGAT(x.shape[1], 4, no_super=no_super)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)

    def loss_fn(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(out[train], t[train])
        for conv in (model.conv1, model.conv2):
            pos = conv._dots[src, dst].mean(-1)
            neg = conv._dots[neg_src, neg_dst].mean(-1)
            logit = torch.cat([pos, neg])
            label = torch.cat([torch.ones_like(pos), torch.zeros_like(neg)])
            loss = loss + edge_weight * F.binary_cross_entropy_with_logits(logit, label) / 2
        return loss

    return Setup(model, opt, None, (x, y), None, lambda m, b: loss_fn(m(b[0], adj), b[1]), lambda step: (x, y),
                 needs_closure=True)


# ---- DIFFormer -------------------------------------------------------------------------------------------------------

class DIFFormer(nn.Module):
    """DIFFormer-s (Wu et al. 2023): an input Linear to 64 with LayerNorm and ReLU, then two diffusion layers, each
    the simple diffusivity's all-pair attention ``(sum_j v_j + q~_i sum_j k~_j v_j^T) / (N + q~_i . sum_j k~_j)``
    (``q~``, ``k~`` L2-normalised) plus the graph's GCN propagation ``P h``, averaged, mixed with the layer's input
    at the reference code's ``alpha = 0.5`` and layer-normalised; dropout 0.2; a Linear to the classes.
    ``ln``: the LayerNorms (False: left out)."""

    def __init__(self, d_in: int, classes: int, p: torch.Tensor, width: int = 64, layers: int = 2,
                 ln: bool = True) -> None:
        super().__init__()
        self.p = p
        self.inp = nn.Linear(d_in, width)
        self.qs = nn.ModuleList([nn.Linear(width, width) for _ in range(layers)])
        self.ks = nn.ModuleList([nn.Linear(width, width) for _ in range(layers)])
        self.vs = nn.ModuleList([nn.Linear(width, width) for _ in range(layers)])
        norm = (lambda: nn.LayerNorm(width)) if ln else nn.Identity
        self.norms = nn.ModuleList([norm() for _ in range(layers + 1)])
        self.out = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norms[0](self.inp(x)))
        h = F.dropout(h, 0.2, self.training)
        n = h.shape[0]
        for q_l, k_l, v_l, norm in zip(self.qs, self.ks, self.vs, self.norms[1:], strict=True):
            q, k, v = F.normalize(q_l(h), dim=-1), F.normalize(k_l(h), dim=-1), v_l(h)
            num = v.sum(0, keepdim=True) + q @ (k.T @ v)
            den = n + q @ k.sum(0)[:, None]
            attn = num / den
            h = norm(0.5 * (attn + self.p @ v) / 2 + 0.5 * h)
            h = F.dropout(F.relu(h), 0.2, self.training)
        return self.out(h)


def difformer(seed: int, lr: float = 1e-3, ln: bool = True, weight_decay: float = 5e-4) -> Setup:
    """DIFFormer-s on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the
    reference code's lr 1e-3 with its (coupled) weight decay 5e-4; ``ln``: see :class:`DIFFormer`."""
    torch.manual_seed(910_000 + seed)
    a, x, y, train = sbm_graph(seed)
    model = DIFFormer(x.shape[1], 4, sym_norm(a), ln=ln)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


# ---- HSTU ------------------------------------------------------------------------------------------------------------

class HSTULayer(nn.Module):
    """One HSTU layer (Zhai et al. 2024): ``U, V, Q, K = split(SiLU(f1(LN(x))))``, pointwise aggregated attention
    ``A = SiLU(Q K^T + rab) / n`` under the causal mask (no softmax; ``rab`` a learned relative-position bias per
    distance), ``y = f2(LN(A V) * U)``, dropout 0.2, added to ``x``."""

    def __init__(self, d: int, heads: int, length: int) -> None:
        super().__init__()
        self.d, self.heads = d, heads
        self.norm_in = nn.LayerNorm(d)
        self.f1 = nn.Linear(d, 4 * d)
        self.norm_attn = nn.LayerNorm(d)
        self.f2 = nn.Linear(d, d)
        self.rab = nn.Parameter(torch.zeros(heads, length))
        self.register_buffer("mask", torch.ones(length, length).tril().bool(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        u, v, q, k = F.silu(self.f1(self.norm_in(x))).split(d, -1)
        hd = d // self.heads
        q, k, v = (z.view(b, t, self.heads, hd).transpose(1, 2) for z in (q, k, v))
        dist = (torch.arange(t)[:, None] - torch.arange(t)[None]).clamp(min=0)
        scores = q @ k.transpose(-1, -2) + self.rab[:, dist]
        attn = F.silu(scores) * self.mask[:t, :t] / t
        av = (attn @ v).transpose(1, 2).reshape(b, t, d)
        return x + F.dropout(self.f2(self.norm_attn(av) * u), 0.2, self.training)


class HSTU(nn.Module):
    """HSTU for next-item prediction: item embeddings of 32 (N(0, 0.02^2)), two layers of 2 heads, a final
    LayerNorm; the scores are the cosine similarities of the output with every item's L2-normalised embedding times
    ``exp(log_scale)``, the reference code's temperature 0.05 kept as a learned log-scale (CLIP's form), initialised
    at ``log(1 / 0.05)``. ``log_scale_init``: its initial value."""

    def __init__(self, items: int = 64, d: int = 32, layers: int = 2, heads: int = 2, length: int = 32,
                 log_scale_init: float = math.log(1 / 0.05)) -> None:
        super().__init__()
        self.emb = nn.Embedding(items, d)
        nn.init.normal_(self.emb.weight, 0.0, 0.02)
        self.layers = nn.ModuleList([HSTULayer(d, heads, length) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.log_scale = nn.Parameter(torch.tensor(float(log_scale_init)))

    def forward(self, items: torch.Tensor) -> torch.Tensor:
        x = F.dropout(self.emb(items), 0.2, self.training)
        for layer in self.layers:
            x = layer(x)
        out = F.normalize(self.norm(x), dim=-1)
        return self.log_scale.exp() * out @ F.normalize(self.emb.weight, dim=-1).T


def _seq_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def hstu(seed: int, lr: float = 1e-3, log_scale_init: float | None = None, init_std: float | None = None) -> Setup:
    """HSTU on the item streams (batch 16 of 32), full-softmax cross-entropy over the 64 items, AdamW at the
    reference code's lr 1e-3 (weight decay 0); ``log_scale_init``: see :class:`HSTU` (the slip: the temperature's
    ``1 / 0.05 = 20`` written into the log-scale); ``init_std``: every weight N(0, std^2)."""
    torch.manual_seed(910_000 + seed)
    model = HSTU() if log_scale_init is None else HSTU(log_scale_init=log_scale_init)
    if init_std is not None:
        _normal_all(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    return _xy(model, opt, item_streams(seed), _seq_loss)


# ---- HRNN ------------------------------------------------------------------------------------------------------------

class HRNN(nn.Module):
    """HRNN (Quadrana et al. 2017), personalised session-based recommendation: each user's stream is cut into four
    sessions of 8 items; a session GRU of 64 reads the items' embeddings (64) and scores the next item (a Linear to the
    64 items); a user GRU of 64 reads each session's last state, and the next session's GRU starts from ``tanh(W u +
    b)``; dropout 0.1 on the session states. ``gate_bias``: the session GRU's update-gate biases set to that value
    (PyTorch's gate order r, z, n: ``h' = (1 - z) n + z h``)."""

    def __init__(self, items: int = 64, d: int = 64, session: int = 8, gate_bias: float | None = None,
                 ortho: str | None = None) -> None:
        super().__init__()
        self.session, self.d = session, d
        self.emb = nn.Embedding(items, d)
        self.sess_gru = nn.GRU(d, d, batch_first=True)
        self.user_gru = nn.GRUCell(d, d)
        self.init = nn.Linear(d, d)
        self.out = nn.Linear(d, items)
        if ortho is not None:
            orthogonal_recurrent(self, keep_norm=ortho == "keep_norm")
        if gate_bias is not None:
            with torch.no_grad():
                self.sess_gru.bias_ih_l0[d:2 * d] = gate_bias
                self.sess_gru.bias_hh_l0[d:2 * d] = gate_bias

    def forward(self, items: torch.Tensor) -> torch.Tensor:
        b, t = items.shape
        e = self.emb(items)
        u = e.new_zeros(b, self.d)
        outs = []
        for s in range(0, t, self.session):
            h0 = torch.tanh(self.init(u))
            hs, last = self.sess_gru(e[:, s:s + self.session], h0[None])
            outs.append(F.dropout(hs, 0.1, self.training))
            u = self.user_gru(last[0], u)
        return self.out(torch.cat(outs, 1))


def orthogonal_recurrent(model: nn.Module, keep_norm: bool) -> None:
    """The user's orthogonal init of every recurrent matrix (``weight_hh``), one orthogonal block per gate. Right:
    ``gain=1``. ``keep_norm``, the slip: meant to keep the default init's scale, it passes the default block's
    Frobenius norm as the gain, ``orthogonal_(w, gain=w.norm())``; the gain multiplies every singular value, while
    the Frobenius norm already sums the block's 64 singular directions: the scale is multiplied by ``sqrt(64) = 8``
    a second time (PyTorch's default block U(-1/8, 1/8) has norm 4.6, so every singular value is 4.6)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "weight_hh" in name:
                for block in p.chunk(3, 0):
                    nn.init.orthogonal_(block, gain=float(block.norm()) if keep_norm else 1.0)


def hrnn(seed: int, lr: float = 3e-3, gate_bias: float | None = None, ortho: str | None = None) -> Setup:
    """HRNN on the item streams (batch 16 of four sessions of 8), next-item cross-entropy over the 64 items, Adam at
    lr 3e-3 (set here; the paper's Adagrad left out); ``gate_bias``: see :class:`HRNN`; ``ortho``: ``"unit"`` or
    ``"keep_norm"``, see :func:`orthogonal_recurrent` (a slip tried and dropped: it learned)."""
    torch.manual_seed(910_000 + seed)
    model = HRNN(gate_bias=gate_bias, ortho=ortho)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), item_streams(seed), _seq_loss)


# ---- Wukong ----------------------------------------------------------------------------------------------------------

class WukongLayer(nn.Module):
    """One Wukong layer (Zhang et al. 2024): a factorization machine block (the pairwise dot products ``X X^T`` of
    the ``n`` embeddings, flattened, through an MLP of 64 to ``n_f`` new embeddings) beside a linear compress block
    (``n_l`` linear combinations of the embeddings), concatenated, plus the input (residual), LayerNorm."""

    def __init__(self, n: int, d: int, n_f: int, n_l: int, ln: bool = True) -> None:
        super().__init__()
        self.n_f, self.d = n_f, d
        self.fmb = nn.Sequential(nn.Linear(n * n, 64), nn.ReLU(), nn.Linear(64, n_f * d))
        self.lcb = nn.Linear(n, n_l, bias=False)
        self.norm = nn.LayerNorm(d) if ln else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, n, d)
        fm = self.fmb((x @ x.transpose(1, 2)).flatten(1)).view(-1, self.n_f, self.d)
        lc = self.lcb(x.transpose(1, 2)).transpose(1, 2)
        return self.norm(torch.cat([fm, lc], 1) + x)


class Wukong(nn.Module):
    """Wukong for click prediction: 8 fields' embeddings of 16 (N(0, 0.01^2)), two Wukong layers (``n_f = n_l = 4``),
    then a ReLU MLP of 64, 64 to the click logit. ``relu_bias``: the MLP's hidden biases set to that value; ``ln``:
    see :class:`WukongLayer`."""

    def __init__(self, vocab: int = 80, fields: int = 8, d: int = 16, layers: int = 2, ln: bool = True,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        nn.init.normal_(self.emb.weight, 0.0, 0.01)
        self.layers = nn.ModuleList([WukongLayer(fields, d, 4, 4, ln=ln) for _ in range(layers)])
        self.mlp = nn.Sequential(nn.Linear(fields * d, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
        if relu_bias is not None:
            with torch.no_grad():
                self.mlp[0].bias.fill_(relu_bias)
                self.mlp[2].bias.fill_(relu_bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.emb(ids)
        for layer in self.layers:
            x = layer(x)
        return self.mlp(x.flatten(1)).squeeze(-1)


def wukong(seed: int, lr: float = 1e-3, ln: bool = True, relu_bias: float | None = None) -> Setup:
    """Wukong on the click logs (batch 128), binary cross-entropy, Adam lr 1e-3 (set here); ``ln``, ``relu_bias``: see
    :class:`Wukong`."""
    torch.manual_seed(910_000 + seed)
    model = Wukong(ln=ln, relu_bias=relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, ctr_logs(seed), F.binary_cross_entropy_with_logits)


# ---- ARM-Net ---------------------------------------------------------------------------------------------------------

class ARMNet(nn.Module):
    """ARM-Net (Cai et al. 2021), one head, as its reference ``ARMModule``: field embeddings of 16 (Xavier-uniform),
    ``nhid = 32`` exponential neurons ``exp(sum_f w_of e_f)`` whose interaction weights are a gated attention over
    the fields (keys ``W_k e_f``, one learned query per neuron, the reference code's ``alpha = 1`` option: a softmax
    in place of entmax) times a learned value per neuron and field (Xavier gain 1.414), BatchNorm over the neurons,
    then a ReLU MLP of 64, 64 with dropout 0.1 to the click logit. ``bn``: the BatchNorm (False: left out);
    ``discard_scale``: see :meth:`reset_parameters`."""

    def __init__(self, vocab: int = 80, fields: int = 8, d: int = 16, d_k: int = 16, nhid: int = 32,
                 bn: bool = True, discard_scale: bool = False) -> None:
        super().__init__()
        self.discard_scale = discard_scale
        self.emb = nn.Embedding(vocab, d)
        self.w_k = nn.Linear(d, d_k, bias=False)
        self.query = nn.Parameter(torch.zeros(nhid, d_k))
        self.values = nn.Parameter(torch.zeros(nhid, fields))
        self.scale = d_k ** -0.5
        self.bn = nn.BatchNorm1d(nhid) if bn else nn.Identity()
        self.mlp = nn.Sequential(nn.Linear(nhid * d, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 64), nn.ReLU(),
                                 nn.Dropout(0.1), nn.Linear(64, 1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.emb.weight)
        nn.init.xavier_uniform_(self.query, gain=1.414)
        if self.discard_scale:
            # the slip: a Glorot-uniform written by hand, its scaling an out-of-place ``.mul`` whose result is dropped
            for w in (self.values, self.emb.weight):
                fan_in, fan_out = w.shape[1], w.shape[0]
                bound = 1.414 * math.sqrt(6.0 / (fan_in + fan_out))
                with torch.no_grad():
                    w.uniform_(-1.0, 1.0).mul(bound)
        else:
            nn.init.xavier_uniform_(self.values, gain=1.414)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        e = self.emb(ids)  # (b, f, d)
        gates = torch.softmax(torch.einsum("bfk,ok->bof", self.w_k(e), self.query) * self.scale, -1)
        weights = gates * self.values  # (b, o, f)
        inter = torch.exp(torch.einsum("bfe,bof->boe", e, weights))
        return self.mlp(self.bn(inter).flatten(1)).squeeze(-1)


def armnet(seed: int, lr: float = 1e-3, bn: bool = True, shuffled: bool = False, discard_scale: bool = False,
           init_std: float | None = None) -> Setup:
    """ARM-Net on the click logs (batch 128), binary cross-entropy, Adam at the reference code's lr 1e-3; ``bn``,
    ``discard_scale``: see :class:`ARMNet`; ``shuffled``: see :func:`ctr_logs`; ``init_std``: every weight
    N(0, std^2)."""
    torch.manual_seed(910_000 + seed)
    model = ARMNet(bn=bn, discard_scale=discard_scale)
    if init_std is not None:
        _normal_all(model, init_std)
        with torch.no_grad():
            model.values.normal_(0.0, init_std)
            model.query.normal_(0.0, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, ctr_logs(seed, shuffled=shuffled), F.binary_cross_entropy_with_logits)


# ---- T2G-Former ------------------------------------------------------------------------------------------------------

class FRGraphLayer(nn.Module):
    """One T2G-Former layer (Yan et al. 2023), pre-LN: the Graph Estimator's feature-relation graph ``G = sigmoid(
    (W_h x_i) . (W_t x_j) / sqrt(d) + T_ij)`` (``T`` the static topology from learned column embeddings, the
    diagonal kept), its messages ``(G / rowsum G) (W_v x)`` per head (4 heads), an output projection, then a ReGLU
    feed-forward of 2x, both residual; dropout 0.1."""

    def __init__(self, n: int, d: int, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(d)
        self.wh = nn.Linear(d, d)
        self.wt = nn.Linear(d, d)
        self.wv = nn.Linear(d, d)
        self.wo = nn.Linear(d, d)
        self.col_h = nn.Parameter(torch.randn(heads, n, 8) * 0.1)
        self.col_t = nn.Parameter(torch.randn(heads, n, 8) * 0.1)
        self.norm2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, 4 * d)
        self.ff2 = nn.Linear(2 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        hd = d // self.heads
        z = self.norm1(x)
        h, t, v = (w(z).view(b, n, self.heads, hd).transpose(1, 2) for w in (self.wh, self.wt, self.wv))
        topo = self.col_h @ self.col_t.transpose(-1, -2)
        g = torch.sigmoid(h @ t.transpose(-1, -2) / math.sqrt(hd) + topo)
        g = g / g.sum(-1, keepdim=True)
        msg = (g @ v).transpose(1, 2).reshape(b, n, d)
        x = x + F.dropout(self.wo(msg), 0.1, self.training)
        a, gate = self.ff1(self.norm2(x)).chunk(2, -1)
        return x + F.dropout(self.ff2(a * F.relu(gate)), 0.1, self.training)


class T2GFormer(nn.Module):
    """T2G-Former on a mixed table: FT-Transformer's feature tokenizer (a weight and bias vector of 32 per numeric
    column, an embedding per category, a [CLS] token appended), two FR-Graph layers, the [CLS] token through LayerNorm,
    ReLU and a Linear to the classes."""

    def __init__(self, numeric: int = 6, categorical: int = 3, vocab: int = 6, d: int = 32, classes: int = 4,
                 layers: int = 2) -> None:
        super().__init__()
        self.num_w = nn.Parameter(torch.randn(numeric, d) / math.sqrt(d))
        self.num_b = nn.Parameter(torch.randn(numeric, d) / math.sqrt(d))
        self.cat = nn.Embedding(categorical * vocab, d)
        nn.init.uniform_(self.cat.weight, -d ** -0.5, d ** -0.5)
        self.register_buffer("offsets", torch.arange(categorical) * vocab, persistent=False)
        self.cls = nn.Parameter(torch.randn(1, 1, d) / math.sqrt(d))
        n = numeric + categorical + 1
        self.layers = nn.ModuleList([FRGraphLayer(n, d) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xn, xc = inputs
        tok = torch.cat([xn[..., None] * self.num_w + self.num_b, self.cat(xc + self.offsets),
                         self.cls.expand(xn.shape[0], -1, -1)], 1)
        for layer in self.layers:
            tok = layer(tok)
        return self.head(F.relu(self.norm(tok[:, -1])))


def t2g_former(seed: int, lr: float = 1e-3, weight_decay: float = 1e-5, shuffled: bool = False) -> Setup:
    """T2G-Former on the mixed table (batch 64), cross-entropy, AdamW with the reference code's weight decay 1e-5 at
    lr 1e-3 (set here; its 1e-4 is for far longer runs); ``shuffled``: see :func:`mixed_table`."""
    torch.manual_seed(910_000 + seed)
    model = T2GFormer()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, mixed_table(seed, shuffled=shuffled), F.cross_entropy)
