"""Hand-written models of the sixty-sixth held-out batch (``fresh65.py``), the point-cloud, mesh, knowledge-graph and
graph-generation ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default)."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

# ---- KPConv ----------------------------------------------------------------------------------------------------------


def kernel_points(radius: float) -> torch.Tensor:
    """15 rigid kernel points: the centre, the 6 axis points and the 8 cube corners, at 0.66 of the radius (the
    reference code's fixed dispositions are optimised; these are a regular stand-in of the same size)."""
    axes = torch.cat([torch.eye(3), -torch.eye(3)])
    corners = torch.tensor(list(itertools.product((-1.0, 1.0), repeat=3))) / 3 ** 0.5
    return torch.cat([torch.zeros(1, 3), axes, corners]) * 0.66 * radius


class _KPConv(nn.Module):
    """A rigid KPConv: each point's k nearest neighbours (``torch.topk(d, k, largest=False)``, itself included), the
    linear kernel influence ``max(0, 1 - |y - x_k| / sigma)`` of each neighbour's offset on each kernel point, and
    ``sum_k W_k sum_j h_jk f_j``."""

    def __init__(self, c_in: int, c_out: int, radius: float) -> None:
        super().__init__()
        self.register_buffer("kp", kernel_points(radius))
        self.sigma = radius * 0.5
        self.w = nn.Parameter(torch.empty(len(self.kp), c_in, c_out))
        nn.init.kaiming_uniform_(self.w, a=5 ** 0.5)

    def forward(self, pts: torch.Tensor, feats: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        b = torch.arange(len(pts))[:, None, None]
        off = pts[b, idx] - pts[:, :, None]  # (b, n, k, 3)
        infl = (1 - (off[..., None, :] - self.kp).norm(dim=-1) / self.sigma).clamp_min(0)  # (b, n, k, K)
        gathered = torch.einsum("bnjk,bnjc->bnkc", infl, feats[b, idx])
        return torch.einsum("bnkc,kco->bno", gathered, self.w)


class KPConvNet(nn.Module):
    """KPConv (Thomas et al. 2019, "KPConv: flexible and deformable convolution for point clouds"), narrowed: a
    constant input feature of 1 per point (the reference code's), three rigid KPConv layers 1-16-32-32 on the 12
    nearest neighbours, each with BatchNorm (momentum 0.02 as the reference's 0.98) and LeakyReLU 0.1, global
    average pooling, a Linear to the classes. ``bn=False``: without its BatchNorms."""

    def __init__(self, classes: int = 4, k: int = 12, radius: float = 0.6, bn: bool = True) -> None:
        super().__init__()
        widths = (1, 16, 32, 32)
        self.convs = nn.ModuleList([_KPConv(a, b, radius) for a, b in itertools.pairwise(widths)])
        self.bns = nn.ModuleList([nn.BatchNorm1d(w, momentum=0.02) if bn else nn.Identity() for w in widths[1:]])
        self.head, self.k = nn.Linear(widths[-1], classes), k

    def forward(self, pts: torch.Tensor) -> torch.Tensor:
        d = torch.cdist(pts, pts)
        idx = torch.topk(d, self.k, largest=False).indices
        f = pts.new_ones(pts.shape[0], pts.shape[1], 1)
        for conv, bn in zip(self.convs, self.bns):
            f = F.leaky_relu(bn(conv(pts, f, idx).transpose(1, 2)).transpose(1, 2), 0.1)
        return self.head(f.mean(1))


# ---- SpiralNet++ -----------------------------------------------------------------------------------------------------


def torus_spirals(rows: int, cols: int) -> torch.Tensor:
    """Spiral sequences on a ``rows x cols`` quad grid wrapped on a torus (vertex ``r * cols + c``): each vertex, then
    its 8 neighbours in a fixed order around it (the first ring of the spiral)."""
    ring = ((0, 0), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1))
    r, c = torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing="ij")
    return torch.stack([((r + dr) % rows) * cols + (c + dc) % cols for dr, dc in ring], -1).reshape(-1, len(ring))


class _SpiralConv(nn.Module):
    """SpiralNet++'s convolution: each vertex's spiral of features concatenated and one Linear (Xavier-uniform
    weight, zero bias: the reference code's ``reset_parameters``); ``init_std``: the weight drawn N(0, init_std^2).
    ``flat_gather``: the batch flattened to ``(b * n, c)`` and gathered with the spirals repeated per mesh,
    ``spirals.repeat(b, 1)``, without the offsets ``n * i`` of the i-th mesh (every mesh reads the first mesh's
    vertices)."""

    def __init__(self, c_in: int, c_out: int, spirals: torch.Tensor, init_std: float | None,
                 flat_gather: bool = False) -> None:
        super().__init__()
        self.register_buffer("spirals", spirals)
        self.flat_gather = flat_gather
        self.lin = nn.Linear(c_in * spirals.shape[1], c_out)
        if init_std is None:
            nn.init.xavier_uniform_(self.lin.weight)
        else:
            nn.init.normal_(self.lin.weight, 0.0, init_std)
        nn.init.zeros_(self.lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        if self.flat_gather:
            return self.lin(x.reshape(b * n, c)[self.spirals.repeat(b, 1)].reshape(b, n, -1))
        return self.lin(x[:, self.spirals].reshape(b, n, -1))


class SpiralNetPP(nn.Module):
    """The SpiralNet++ mesh autoencoder (Gong et al. 2019, "SpiralNet++: a fast and highly efficient mesh convolution
    operator"), narrowed: on a 16x8 torus mesh, spiral convolutions 3-16 and 16-32 with ELU, each followed by a 2x2
    down-sampling (16x8 -> 8x4 -> 4x2), a Linear to a latent of 16, and the mirrored decoder (Linear, nearest
    up-sampling, spiral convolutions 32-32 and 16-16 with ELU, a last spiral convolution to 3 without activation);
    ``init_std``, ``flat_gather``: see :class:`_SpiralConv` (``flat_gather`` in the encoder's convolutions)."""

    def __init__(self, rows: int = 16, cols: int = 8, latent: int = 16, init_std: float | None = None,
                 flat_gather: bool = False) -> None:
        super().__init__()
        sp = [torus_spirals(rows >> i, cols >> i) for i in range(3)]
        self.shape = (rows, cols)
        self.enc = nn.ModuleList([_SpiralConv(3, 16, sp[0], init_std, flat_gather),
                                  _SpiralConv(16, 32, sp[1], init_std, flat_gather)])
        self.to_z = nn.Linear(32 * len(sp[2]), latent)
        self.from_z = nn.Linear(latent, 32 * len(sp[2]))
        self.dec = nn.ModuleList([_SpiralConv(32, 32, sp[1], init_std), _SpiralConv(32, 16, sp[0], init_std)])
        self.out = _SpiralConv(16, 3, sp[0], init_std)
        for lin in (self.to_z, self.from_z):
            if init_std is None:
                nn.init.xavier_uniform_(lin.weight)
            else:
                nn.init.normal_(lin.weight, 0.0, init_std)
            nn.init.zeros_(lin.bias)

    def _resample(self, x: torch.Tensor, level: int, down: bool) -> torch.Tensor:
        r, c = self.shape[0] >> level, self.shape[1] >> level
        g = x.transpose(1, 2).reshape(x.shape[0], x.shape[2], r, c)
        g = F.avg_pool2d(g, 2) if down else F.interpolate(g, scale_factor=2, mode="nearest")
        return g.flatten(2).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        for i, conv in enumerate(self.enc):
            x = self._resample(F.elu(conv(x)), i, down=True)
        x = self.from_z(self.to_z(x.reshape(b, -1))).reshape(b, -1, 32)
        for i, conv in enumerate(self.dec):
            x = F.elu(conv(self._resample(x, 2 - i, down=False)))
        return self.out(x)


# ---- TuckER ----------------------------------------------------------------------------------------------------------


class TuckER(nn.Module):
    """TuckER (Balazevic, Allen and Hospedales 2019, "TuckER: tensor factorization for knowledge graph completion"),
    narrowed to entity embeddings of 32 and relation embeddings of 16: the core tensor ``W`` uniform in [-1, 1],
    Xavier-normal embeddings, the two BatchNorms of the reference code and its three dropouts (input, hidden 1 and
    2) at 0 here: the paper's (0.2, 0.2, 0.3 and 0.3, 0.4, 0.5) keep this narrowed model (embeddings of 32) from
    learning in 200 steps; each query ``(s, r)`` scored against every entity (1-N scoring)."""

    def __init__(self, entities: int, relations: int, de: int = 32, dr: int = 16) -> None:
        super().__init__()
        self.e, self.r = nn.Embedding(entities, de), nn.Embedding(relations, dr)
        nn.init.xavier_normal_(self.e.weight)
        nn.init.xavier_normal_(self.r.weight)
        self.w = nn.Parameter(torch.empty(dr, de, de).uniform_(-1, 1))
        self.in_drop, self.drop1, self.drop2 = nn.Dropout(0.0), nn.Dropout(0.0), nn.Dropout(0.0)
        self.bn0, self.bn1 = nn.BatchNorm1d(de), nn.BatchNorm1d(de)

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        e1 = self.in_drop(self.bn0(self.e(q[:, 0])))
        w = (self.r(q[:, 1]) @ self.w.view(self.w.shape[0], -1)).view(-1, e1.shape[1], e1.shape[1])
        x = self.drop1(w).transpose(1, 2) @ e1[:, :, None]
        x = self.drop2(self.bn1(x.squeeze(-1)))
        return x @ self.e.weight.T


# ---- GraphRNN --------------------------------------------------------------------------------------------------------


class GraphRNN(nn.Module):
    """GraphRNN-S (You et al. 2018, "GraphRNN: generating realistic graphs with deep auto-regressive models"),
    narrowed: each node's adjacency vector to the previous ``M = 8`` nodes of a BFS order embedded by a Linear of 32
    (ReLU), a one-layer GRU of 64 over the nodes, and an MLP (64, ReLU, ``M``) giving the logits of the next node's
    adjacency vector; PyTorch's default init. ``z_bias``: the GRU's update-gate biases (``bias_ih`` and ``bias_hh``)
    set to that value each (``z = sigmoid(2 z_bias)``: the state keeps ``z`` of itself at every step)."""

    def __init__(self, m: int = 8, emb: int = 32, hidden: int = 64, z_bias: float | None = None) -> None:
        super().__init__()
        self.inp = nn.Linear(m, emb)
        self.gru = nn.GRU(emb, hidden, batch_first=True)
        self.out = nn.Sequential(nn.Linear(hidden, 64), nn.ReLU(), nn.Linear(64, m))
        if z_bias is not None:
            with torch.no_grad():
                self.gru.bias_ih_l0[hidden:2 * hidden] = z_bias
                self.gru.bias_hh_l0[hidden:2 * hidden] = z_bias

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        return self.out(self.gru(F.relu(self.inp(seq)))[0])
