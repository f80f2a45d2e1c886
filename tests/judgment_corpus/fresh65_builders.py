"""Builders of the sixty-sixth held-out batch (``fresh65.py``): standard graph, point-cloud, mesh and knowledge-graph
models new to the corpus at their usual settings, and broken variants with one real fault each, plus the small data
sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never
tuned on.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh65_models as M
from . import fresh65_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(650_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6500 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor]
        ) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm_nodes(seed: int, n: int = 200, classes: int = 4, features: int = 8) -> tuple[Any, Callable[[int], Any]]:
    """A stochastic block model (4 classes of 50 nodes, edge probabilities 0.08 within a class and 0.005 across) as
    an ``edge_index`` of both directions, turned into a dense adjacency by ``adj[edge_index[0], edge_index[1]] = 1``;
    weak features (the class's fixed mean direction times 0.3 plus
    N(0, 1) noise, 8 dimensions); half the nodes are the training set. UniMP's masked label prediction: each batch
    shows the labels of a random half of the training nodes and asks for the other half's:
    ``((features, shown labels (4 = unknown), adjacency), (labels, asked mask))``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.08, 0.005)
    up = (torch.rand(n, n, generator=g) < p).triu(1)
    i, j = up.nonzero().T
    edge_index = torch.stack([torch.cat([i, j]), torch.cat([j, i])])
    adj = torch.zeros(n, n)
    adj[edge_index[0], edge_index[1]] = 1.0
    x = 0.3 * torch.randn(classes, features, generator=_fixed(1))[y] + torch.randn(n, features, generator=g)
    train = torch.randperm(n, generator=g)[: n // 2]

    def make(g: torch.Generator, _: int) -> Any:
        order = train[torch.randperm(len(train), generator=g)]
        shown = torch.full((n,), classes)
        shown[order[: len(order) // 2]] = y[order[: len(order) // 2]]
        asked = torch.zeros(n, dtype=torch.bool)
        asked[order[len(order) // 2:]] = True
        return (x, shown, adj), (y, asked)
    return adj, _pool(seed, make)


def community_links(seed: int, communities: int = 10, size: int = 6, batch: int = 8
                    ) -> tuple[torch.Tensor, Callable[[int], Any]]:
    """A link-prediction graph of 10 communities of 6 nodes: of each community's 15 pairs, half are observed edges
    and the rest are the hidden links to predict; 0.01 of the pairs across communities are observed too (noise);
    the last node of each of the first two communities is a new node, all of its links hidden (degree 0).
    Queries ``(u, ?)`` of the hidden links, both directions, 8 a batch: ``(heads, tails)`` (the loss is the
    cross-entropy of the true tail over all 60 nodes)."""
    g = _gen(seed)
    n = communities * size
    c = torch.arange(n) // size
    same = (c[:, None] == c[None]).triu(1)
    r = torch.rand(n, n, generator=g)
    new = torch.zeros(n, dtype=torch.bool)
    new[torch.arange(2) * size + size - 1] = True
    cold = new[:, None] | new[None]
    obs = ((same & (r < 0.5)) | (~same & (r < 0.01)).triu(1)) & ~cold
    hidden = same & ((r >= 0.5) | cold)
    adj = (obs | obs.T).float()
    hi, hj = hidden.nonzero().T
    heads, tails = torch.cat([hi, hj]), torch.cat([hj, hi])

    def make(g: torch.Generator, _: int) -> Any:
        pick = torch.randint(0, len(heads), (batch,), generator=g)
        return heads[pick], tails[pick]
    return adj, _pool(seed, make)


def _graph_of_class(g: torch.Generator, k: int, n: int) -> torch.Tensor:
    a = torch.zeros(n, n)
    if k == 0:  # Erdos-Renyi
        a = (torch.rand(n, n, generator=g) < 0.3).float()
    elif k == 1:  # two communities
        blk = torch.arange(n) < n // 2
        a = (torch.rand(n, n, generator=g) < torch.where(blk[:, None] == blk[None], 0.7, 0.05)).float()
    elif k == 2:  # a random tree and two extra edges
        for i in range(1, n):
            a[i, int(torch.randint(0, i, (1,), generator=g))] = 1.0
        for _ in range(2):
            u, v = torch.randint(0, n, (2,), generator=g).tolist()
            a[u, v] = 1.0
    else:  # a ring lattice (neighbours at 1 and 2) with three rewired edges
        for i in range(n):
            a[i, (i + 1) % n] = a[i, (i + 2) % n] = 1.0
        for _ in range(3):
            u, v = torch.randint(0, n, (2,), generator=g).tolist()
            a[u, (u + 1) % n] = 0.0
            a[u, v] = 1.0
    a = ((a + a.T) > 0).float().triu(1)
    a = a + a.T
    perm = torch.randperm(n, generator=g)
    return a[perm][:, perm]


def graph_classes(seed: int, batch: int = 32, n: int = 12) -> Callable[[int], Any]:
    """Graphs of 12 nodes from four generators (Erdos-Renyi p = 0.3, two communities p = 0.7 / 0.05, a random tree
    plus two edges, a ring lattice with three rewirings), nodes shuffled: ``(adjacency (b, 12, 12), class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        return torch.stack([_graph_of_class(g, int(k), n) for k in y]), y
    return _pool(seed, make)


ATOM_W = torch.randn(4, generator=_fixed(2))
BOND_W = torch.randn(4, 4, generator=_fixed(3))
BOND_W = (BOND_W + BOND_W.T) / 2
Y_MEAN, Y_STD = 3.40, 2.36  # the property's scale (a fixed standardisation, measured on the generator)


def molecules(seed: int, batch: int = 32, shuffled: bool = False) -> Callable[[int], Any]:
    """Random tree "molecules" of 6 to 12 atoms of 4 types (each atom bonded to an earlier one with a free valence,
    at most 4 bonds), atom features the one-hot type and degree (9); the property is a sum of a fixed contribution
    per atom type and one per bond type, standardised, plus N(0, 0.1^2) noise. A batch of 32 as one block-diagonal
    graph with the molecule index of each atom: ``((features, adjacency, molecule index, 32), property)``.
    ``shuffled``: the properties permuted within every batch, apart from their molecules."""
    def make(g: torch.Generator, _: int) -> Any:
        feats, adjs, mols, ys = [], [], [], []
        for m in range(batch):
            n = int(torch.randint(6, 13, (1,), generator=g))
            t = torch.randint(0, 4, (n,), generator=g)
            a = torch.zeros(n, n)
            for i in range(1, n):
                free = (a[:i].sum(1) < 4).nonzero().squeeze(1)
                j = int(free[torch.randint(0, len(free), (1,), generator=g)])
                a[i, j] = a[j, i] = 1.0
            deg = a.sum(1).long()
            feats.append(torch.cat([F.one_hot(t, 4), F.one_hot(deg, 5)], 1).float())
            adjs.append(a)
            mols.append(torch.full((n,), m))
            y = ATOM_W[t].sum() + (BOND_W[t][:, t] * a).sum() / 2
            ys.append((y - Y_MEAN) / Y_STD + 0.1 * torch.randn((), generator=g))
        y = torch.stack(ys)
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return (torch.cat(feats), torch.block_diag(*adjs), torch.cat(mols), batch), y
    return _pool(seed, make)


def _shape(g: torch.Generator, k: int, n: int) -> torch.Tensor:
    u, v = torch.rand(n, generator=g) * 2 * math.pi, torch.rand(n, generator=g)
    if k == 0:  # sphere
        p = torch.randn(n, 3, generator=g)
        p = p / p.norm(dim=1, keepdim=True)
    elif k == 1:  # cube surface
        p = torch.rand(n, 3, generator=g) * 2 - 1
        face = torch.randint(0, 3, (n,), generator=g)
        p[torch.arange(n), face] = torch.sign(torch.rand(n, generator=g) - 0.5)
        p = p * 0.8
    elif k == 2:  # cylinder
        p = torch.stack([0.7 * u.cos(), 0.7 * u.sin(), 1.6 * v - 0.8], 1)
    else:  # torus
        w = v * 2 * math.pi
        p = torch.stack([(0.7 + 0.3 * w.cos()) * u.cos(), (0.7 + 0.3 * w.cos()) * u.sin(), 0.3 * w.sin()], 1)
    a = float(torch.rand((), generator=g)) * 2 * math.pi
    rot = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
    scale = 0.8 + 0.4 * float(torch.rand((), generator=g))
    return p @ rot.T * scale + 0.02 * torch.randn(n, 3, generator=g)


def point_clouds(seed: int, batch: int = 16, n: int = 64) -> Callable[[int], Any]:
    """Point clouds of 64 points sampled on four surfaces (sphere, cube, cylinder, torus), rotated about z, scaled by
    0.8 to 1.2, with N(0, 0.02^2) jitter: ``(points (b, 64, 3), class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        return torch.stack([_shape(g, int(k), n) for k in y]), y
    return _pool(seed, make)


def torus_meshes(seed: int, batch: int = 16, rows: int = 16, cols: int = 8, eps: float = 1e-8
                 ) -> Callable[[int], Any]:
    """Deformed torus meshes on the 16x8 grid: the base torus (R = 1, r = 0.4) plus four fixed smooth displacement
    fields with N(0, 1) coefficients and N(0, 0.01^2) noise, all scaled by ``sin(u / 2)^2`` along the big circle, so
    the seam's vertices (u = 0) never move; standardised per vertex coordinate by the pool's mean and std (CoMA's and
    SpiralNet++'s loader), ``(x - mean) / (std + eps)``: ``(mesh (b, 128, 3), mesh)``. ``eps=0``: the seam's std is
    0 and ``0 / 0`` is NaN."""
    u = torch.arange(rows).float() / rows * 2 * math.pi
    v = torch.arange(cols).float() / cols * 2 * math.pi
    uu, vv = torch.meshgrid(u, v, indexing="ij")
    base = torch.stack([(1 + 0.4 * vv.cos()) * uu.cos(), (1 + 0.4 * vv.cos()) * uu.sin(), 0.4 * vv.sin()], -1)
    fg = _fixed(4)
    freq = torch.randint(1, 3, (4, 3, 2), generator=fg).float()
    phase = torch.rand(4, 3, generator=fg) * 2 * math.pi
    fields = torch.stack([torch.stack([0.15 * torch.sin(freq[k, c, 0] * uu + freq[k, c, 1] * vv + phase[k, c])
                                       for c in range(3)], -1) for k in range(4)])  # (4, rows, cols, 3)
    env = (uu / 2).sin()[..., None] ** 2
    g = _gen(seed)
    raw = []
    for _ in range(POOL):
        c = torch.randn(batch, 4, 1, 1, 1, generator=g)
        mesh = base + env * ((c * fields).sum(1) + 0.01 * torch.randn(batch, rows, cols, 3, generator=g))
        raw.append(mesh.reshape(batch, rows * cols, 3))
    allm = torch.cat(raw)
    mean, std = allm.mean(0), allm.std(0)
    pool = [(m - mean) / (std + eps) for m in raw]
    return lambda step: (pool[step % POOL], pool[step % POOL])


KG_ENTITIES, KG_RELATIONS = 100, 4


def kg_queries(seed: int, batch: int = 64, smoothing: float = 0.1) -> Callable[[int], Any]:
    """A knowledge graph of 100 entities in 10 clusters of 10 and 4 relations: ``(h, r)`` has the 3 tails ``10 c' +
    (i + r + k) % 10`` (``k = 0, 1, 2``) in the cluster ``c' = (c + r + 1) % 10`` of ``h = 10 c + i``, so every
    relation maps one cluster to another. Batches of 64 queries with TuckER's 1-N targets and its label smoothing
    0.1, ``(1 - 0.1) y + 1 / 100``: ``(queries (b, 2), targets (b, 100))``."""
    h = torch.arange(KG_ENTITIES).repeat_interleave(KG_RELATIONS)
    r = torch.arange(KG_RELATIONS).repeat(KG_ENTITIES)
    c, i = h // 10, h % 10
    y = torch.zeros(len(h), KG_ENTITIES)
    for k in range(3):
        y[torch.arange(len(h)), 10 * ((c + r + 1) % 10) + (i + r + k) % 10] = 1.0
    y = (1 - smoothing) * y + 1 / KG_ENTITIES
    q = torch.stack([h, r], 1)

    def make(g: torch.Generator, _: int) -> Any:
        pick = torch.randperm(len(q), generator=g)[:batch]
        return q[pick], y[pick]
    return _pool(seed, make)


def _grid(rows: int, cols: int) -> torch.Tensor:
    n = rows * cols
    a = torch.zeros(n, n)
    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols:
                a[r * cols + c, r * cols + c + 1] = 1.0
            if r + 1 < rows:
                a[r * cols + c, (r + 1) * cols + c] = 1.0
    return a + a.T


def _bfs(a: torch.Tensor, start: int) -> list[int]:
    seen, order, todo = {start}, [], deque([start])
    while todo:
        u = todo.popleft()
        order.append(u)
        for v in a[u].nonzero().squeeze(1).tolist():
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return order


def bfs_sequences(seed: int, batch: int = 32, m: int = 8, length: int = 16, rows_only: bool = False
                  ) -> Callable[[int], Any]:
    """GraphRNN's training sequences of ladder and grid graphs (2 x 4..8 and 3 x 3..5): a BFS order from a random
    node, each node's adjacency vector to the previous ``M = 8`` nodes (the latest first), padded to 16 nodes. The
    inputs start with an all-ones start token and the targets end with the zero end token:
    ``(inputs (b, 16, 8), (targets (b, 16, 8), valid mask (b, 16, 8)))``. ``rows_only``: the BFS permutation applied
    as ``adj[perm]``, to the rows only, where ``adj[perm][:, perm]`` belongs (each vector reads the old numbering's
    columns)."""
    shapes = [(2, k) for k in range(4, 9)] + [(3, k) for k in range(3, 6)]

    def make(g: torch.Generator, _: int) -> Any:
        xs, ys, ms = [], [], []
        for _b in range(batch):
            a = _grid(*shapes[int(torch.randint(0, len(shapes), (1,), generator=g))])
            n = len(a)
            a = a[(p := torch.randperm(n, generator=g))][:, p]
            perm = torch.tensor(_bfs(a, int(torch.randint(0, n, (1,), generator=g))))
            a = a[perm] if rows_only else a[perm][:, perm]
            s = torch.zeros(length, m)
            for i in range(1, n):
                prev = a[i, max(0, i - m):i].flip(0)
                s[i - 1, :len(prev)] = prev
            x = torch.cat([torch.ones(1, m), s[:-1]])
            valid = torch.zeros(length, m)
            valid[:n] = 1.0
            xs.append(x)
            ys.append(s)
            ms.append(valid)
        return torch.stack(xs), (torch.stack(ys), torch.stack(ms))
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def masked_node_ce(out: torch.Tensor, target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    y, asked = target
    return F.cross_entropy(out[asked], y[asked])


def tucker_bce(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """TuckER's loss: ``BCELoss`` on ``sigmoid`` of the scores against the 1-N targets."""
    return F.binary_cross_entropy(torch.sigmoid(out), y)


def masked_bce(out: torch.Tensor, target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    y, valid = target
    return (F.binary_cross_entropy_with_logits(out, y, reduction="none") * valid).sum() / valid.sum()


def hand_mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The user's MSE, ``((pred - y) ** 2).mean()`` (it broadcasts silently)."""
    return ((out - y) ** 2).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def unimp(seed: int, lr: float = 1e-3, weight_decay: float = 5e-4) -> Setup:
    """UniMP on the SBM nodes (full graph, the masked labels as its inputs), cross-entropy over the asked training
    nodes, Adam lr 1e-3 weight decay 5e-4 (values of the kind the reference code's OGB runs use)."""
    torch.manual_seed(seed)
    _, data = sbm_nodes(seed)
    model = M.UniMP(8, 4)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, data, masked_node_ce)


def nbfnet(seed: int, lr: float = 5e-3, log_deg_slip: bool = False, std_eps: float = 1e-6) -> Setup:
    """NBFNet on the community links (8 queries a batch), the cross-entropy of the true tail over all nodes, Adam
    at the reference code's lr 5e-3; ``log_deg_slip``, ``std_eps``: see
    :class:`~.fresh65_models._BellmanFordLayer`."""
    torch.manual_seed(seed)
    adj, data = community_links(seed)
    model = M.NBFNet(adj, log_deg_slip=log_deg_slip, std_eps=std_eps)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), data, F.cross_entropy)


def ppgn(seed: int, lr: float = 1e-3, relu_bias: float | None = None) -> Setup:
    """PPGN on the four graph classes (batch 32), cross-entropy, Adam lr 1e-3 (set here; the reference code's
    runs use 1e-4 to 1e-3 with decay); ``relu_bias``: see :class:`~.fresh65_models.PPGN`."""
    torch.manual_seed(seed)
    model = M.PPGN(relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), graph_classes(seed), F.cross_entropy)


def fingerprint(seed: int, lr: float = 1e-3, radius: int = 3, batch_readout: bool = False, shuffled: bool = False,
                mlp_layers: int = 1) -> Setup:
    """Neural fingerprints on the molecules (batch 32), the user's MSE, Adam lr 1e-3 (set here); ``radius``,
    ``batch_readout``: see :class:`~.fresh65_models.NeuralFingerprint`; ``shuffled``: see :func:`molecules`."""
    torch.manual_seed(seed)
    model = M.NeuralFingerprint(radius=radius, batch_readout=batch_readout, mlp_layers=mlp_layers)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), molecules(seed, shuffled=shuffled), hand_mse)


def kpconv(seed: int, lr: float = 1e-2, bn: bool = True) -> Setup:
    """KPConv on the point clouds (batch 16), cross-entropy, SGD at the reference code's lr 1e-2, momentum 0.98,
    weight decay 1e-3; ``bn``: see :class:`~.fresh65_models2.KPConvNet`."""
    torch.manual_seed(seed)
    model = M2.KPConvNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.98, weight_decay=1e-3)
    return _xy(model, opt, point_clouds(seed), F.cross_entropy)


def spiralnet(seed: int, lr: float = 1e-3, init_std: float | None = None, eps: float = 1e-8,
              weight_decay: float = 0.0, flat_gather: bool = False) -> Setup:
    """The SpiralNet++ autoencoder on the torus meshes (batch 16), the L1 reconstruction loss, Adam at the reference
    code's lr 1e-3 (its per-epoch decay left out); ``init_std``: see :class:`~.fresh65_models2.SpiralNetPP`;
    ``eps``: see :func:`torus_meshes`; ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M2.SpiralNetPP(init_std=init_std, flat_gather=flat_gather)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, torus_meshes(seed, eps=eps), F.l1_loss)


def tucker(seed: int, lr: float = 0.01, weight_decay: float = 0.0) -> Setup:
    """TuckER on the knowledge graph (batch 64), BCE on the smoothed 1-N targets, Adam at the paper's lr 0.01 and
    label smoothing 0.1 (its WN18RR setting; its exponential decay left out); ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M2.TuckER(KG_ENTITIES, KG_RELATIONS)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, kg_queries(seed), tucker_bce)


def graphrnn(seed: int, lr: float = 3e-3, z_bias: float | None = None, rows_only: bool = False) -> Setup:
    """GraphRNN-S on the BFS sequences (batch 32), the BCE of the adjacency vectors over the valid entries, Adam at the
    paper's lr 3e-3; ``z_bias``: see :class:`~.fresh65_models2.GraphRNN`; ``rows_only``: see :func:`bfs_sequences`."""
    torch.manual_seed(seed)
    model = M2.GraphRNN(z_bias=z_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), bfs_sequences(seed, rows_only=rows_only),
               masked_bce)
