"""Hand-written models of the sixty-sixth held-out batch (``fresh65.py``), the node-classification, link-prediction,
graph-classification and molecular ones: small versions of published architectures new to the corpus, each with the
switches its broken variants need (one fault each, off by default). The point-cloud, mesh, knowledge-graph and
graph-generation models are in ``fresh65_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- UniMP -----------------------------------------------------------------------------------------------------------


class _TransformerConv(nn.Module):
    """UniMP's graph transformer layer (PyG's ``TransformerConv`` with ``beta=True``): multi-head attention of each
    node over its in-neighbours only (``softmax_j (q_i . k_j / sqrt(d))`` over the edges ``j -> i``), the values
    summed, and a gated residual ``beta r_i + (1 - beta) m_i`` with ``beta = sigmoid(w [m, r, m - r])``."""

    def __init__(self, d_in: int, heads: int, d_head: int) -> None:
        super().__init__()
        self.heads, self.d_head = heads, d_head
        d = heads * d_head
        self.q, self.k, self.v = nn.Linear(d_in, d), nn.Linear(d_in, d), nn.Linear(d_in, d)
        self.skip, self.beta = nn.Linear(d_in, d), nn.Linear(3 * d, 1, bias=False)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        q, k, v = (f(x).view(n, self.heads, self.d_head).transpose(0, 1) for f in (self.q, self.k, self.v))
        s = q @ k.transpose(1, 2) / math.sqrt(self.d_head)
        s = s - s.max(-1, keepdim=True).values.detach()
        w = s.exp() * adj  # the edges j -> i only (a node without in-edges hears nothing, as PyG's softmax)
        w = w / w.sum(-1, keepdim=True).clamp_min(1e-16)
        m = (w @ v).transpose(0, 1).reshape(n, -1)
        r = self.skip(x)
        b = torch.sigmoid(self.beta(torch.cat([m, r, m - r], -1)))
        return b * r + (1 - b) * m


class UniMP(nn.Module):
    """UniMP (Shi et al. 2021, "Masked label prediction: unified message passing model for semi-supervised
    classification"), narrowed: the node features' Linear plus an embedding of the node's label where it is shown
    (an extra "unknown" index elsewhere), two ``TransformerConv`` layers of 4 heads x 16 with the gated residual,
    LayerNorm, ReLU and dropout 0.3 between, a linear classifier; PyTorch's default init."""

    def __init__(self, features: int, classes: int, heads: int = 4, d_head: int = 16, layers: int = 2,
                 drop: float = 0.3) -> None:
        super().__init__()
        d = heads * d_head
        self.inp, self.label = nn.Linear(features, d), nn.Embedding(classes + 1, d)
        self.convs = nn.ModuleList([_TransformerConv(d, heads, d_head) for _ in range(layers)])
        self.norms = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.drop, self.out = nn.Dropout(drop), nn.Linear(d, classes)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, shown, adj = inputs
        h = self.inp(x) + self.label(shown)
        for conv, norm in zip(self.convs, self.norms):
            h = self.drop(F.relu(norm(conv(h, adj))))
        return self.out(h)


# ---- NBFNet ----------------------------------------------------------------------------------------------------------


class _BellmanFordLayer(nn.Module):
    """One generalised Bellman-Ford iteration of NBFNet with the PNA aggregator (its reference code's): DistMult
    messages ``h_j * w_q`` (the relation vector projected from the query), the boundary condition as one more
    message, the mean, max, min and std of each node's messages, each times the scalers 1, ``s`` and ``1 / s`` with
    ``s = log(deg + 1) / mean(log(deg + 1))`` (the degree counting the boundary message; ``1 / s`` clamped at 100 as
    the reference code), a Linear, LayerNorm, ReLU and the shortcut. ``log_deg_slip``: the scaler written
    ``log(deg)`` of the graph's degree, the boundary's message not counted (the ``+ 1`` left out): a new node's
    ``log 0 = -inf`` makes the mean ``-inf`` and every scaled aggregate NaN or infinite."""

    def __init__(self, d: int, log_deg_slip: bool = False, std_eps: float = 1e-6) -> None:
        super().__init__()
        self.rel, self.lin, self.ln = nn.Linear(d, d), nn.Linear(12 * d, d), nn.LayerNorm(d)
        self.log_deg_slip, self.std_eps = log_deg_slip, std_eps

    def forward(self, h: torch.Tensor, h0: torch.Tensor, q: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        msg = h * self.rel(q)[:, None]  # (b, n, d): what node j sends
        deg = adj.sum(1)
        k = max(int(deg.max()), 1)
        nbr = torch.topk(adj, k, dim=1)  # each node's in-neighbours (values 1), padded with non-edges (values 0)
        valid, nbr = (nbr.values > 0)[None, :, :, None], nbr.indices
        n_msg = (deg + 1)[None, :, None]
        total = adj @ msg + h0
        mean = total / n_msg
        sq = (adj @ msg ** 2 + h0 ** 2) / n_msg
        if self.std_eps > 0:
            std = (sq - mean ** 2).clamp_min(self.std_eps).sqrt()
        else:
            std = (sq - mean ** 2).sqrt()
        m = msg[:, nbr]  # (b, n, k, d)
        mx = torch.maximum(torch.where(valid, m, m.new_tensor(-1e9)).amax(2), h0)
        mn = torch.minimum(torch.where(valid, m, m.new_tensor(1e9)).amin(2), h0)
        agg = torch.cat([mean, mx, mn, std], -1)
        s = deg.log() if self.log_deg_slip else (deg + 1).log()
        s = (s / s.mean())[None, :, None]
        agg = torch.cat([agg, agg * s, agg / s.clamp_min(1e-2)], -1)
        return F.relu(self.ln(self.lin(agg))) + h


class NBFNet(nn.Module):
    """NBFNet (Zhu et al. 2021, "Neural Bellman-Ford networks"), narrowed to one observed relation: for a query
    ``(u, ?)`` the boundary condition puts the query embedding on ``u`` (zeros elsewhere), six Bellman-Ford layers of
    16 (:class:`_BellmanFordLayer`), and each node ``v`` is scored by an MLP on ``[h_v, q]`` (hidden 64, ReLU);
    PyTorch's default init. ``log_deg_slip``, ``std_eps``: see :class:`_BellmanFordLayer` (``std_eps=0``: the std's
    ``clamp_min(eps)`` left out)."""

    def __init__(self, adj: torch.Tensor, d: int = 16, layers: int = 6, log_deg_slip: bool = False,
                 std_eps: float = 1e-6) -> None:
        super().__init__()
        self.register_buffer("adj", adj)
        self.query = nn.Parameter(torch.randn(d))
        self.layers = nn.ModuleList([_BellmanFordLayer(d, log_deg_slip, std_eps) for _ in range(layers)])
        self.mlp = nn.Sequential(nn.Linear(2 * d, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, heads: torch.Tensor) -> torch.Tensor:
        b, n, d = len(heads), self.adj.shape[0], self.query.shape[0]
        q = self.query.expand(b, d)
        h0 = torch.zeros(b, n, d).index_put((torch.arange(b), heads), q)
        h = h0
        for layer in self.layers:
            h = layer(h, h0, q, self.adj)
        return self.mlp(torch.cat([h, q[:, None].expand(b, n, d)], -1)).squeeze(-1)


# ---- PPGN ------------------------------------------------------------------------------------------------------------


def _mlp2d(c_in: int, c_out: int, depth: int, relu_bias: float | None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        conv = nn.Conv2d(c_in if i == 0 else c_out, c_out, 1)
        nn.init.xavier_uniform_(conv.weight)
        nn.init.zeros_(conv.bias)
        if relu_bias is not None:
            nn.init.constant_(conv.bias, relu_bias)
        layers += [conv, nn.ReLU()]
    return nn.Sequential(*layers)


class _PPGNBlock(nn.Module):
    """PPGN's block: two MLPs of 1x1 convolutions (ReLU) on the ``(c, n, n)`` tensor, their channel-wise matrix
    product (the 2-WL step), concatenated with the input and mixed by a third 1x1 convolution."""

    def __init__(self, c_in: int, c: int, relu_bias: float | None) -> None:
        super().__init__()
        self.m1, self.m2 = _mlp2d(c_in, c, 2, relu_bias), _mlp2d(c_in, c, 2, relu_bias)
        self.mix = _mlp2d(c_in + c, c, 1, relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mix(torch.cat([x, self.m1(x) @ self.m2(x)], 1))


class PPGN(nn.Module):
    """PPGN (Maron et al. 2019, "Provably powerful graph networks"), narrowed: the adjacency and the identity as two
    input channels of ``(2, n, n)``, three blocks of 32 channels (:class:`_PPGNBlock`), after each block the
    diagonal's and the off-diagonal's sums (the invariant readout) through a Linear to the classes, the blocks'
    predictions summed (the reference code's); Xavier-uniform weights and zero biases as the reference code.
    ``relu_bias``: every convolution's bias set to that value instead (-10: every ReLU dead)."""

    def __init__(self, classes: int = 4, c: int = 32, blocks: int = 3, relu_bias: float | None = None) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([_PPGNBlock(2 if i == 0 else c, c, relu_bias) for i in range(blocks)])
        self.heads = nn.ModuleList([nn.Linear(2 * c, classes) for _ in range(blocks)])

    def forward(self, adj: torch.Tensor) -> torch.Tensor:
        n = adj.shape[-1]
        eye = torch.eye(n).expand_as(adj)
        x = torch.stack([adj, eye], 1)
        out = 0
        for block, head in zip(self.blocks, self.heads):
            x = block(x)
            diag = torch.diagonal(x, dim1=2, dim2=3).sum(-1)
            out = out + head(torch.cat([diag, x.sum((2, 3)) - diag], 1) / n)
        return out


# ---- neural graph fingerprints ---------------------------------------------------------------------------------------


class NeuralFingerprint(nn.Module):
    """Neural graph fingerprints (Duvenaud et al. 2015, "Convolutional networks on graphs for learning molecular
    fingerprints"), narrowed: at each of ``radius`` steps every atom sums its own and its neighbours' features,
    multiplies them by a weight matrix of its degree (``H_r^{deg}``, degrees 1 to 4), a ReLU, and writes
    ``softmax(W_r h)`` into the molecule's fingerprint of 64 (a sum over its atoms, by the molecule index); an MLP
    (hidden 64, ReLU) predicts the property; PyTorch's default init. ``batch_readout``: the fingerprint written
    ``h.sum(0, keepdim=True)``, every atom of the batch summed into one fingerprint, where the per-molecule sum
    ``index_add_(0, mol, h)`` belongs (every molecule of the batch gets the same prediction). ``mlp_layers``: the
    prediction MLP's hidden layers (1; 30: a plain deep ReLU stack at PyTorch's default init)."""

    def __init__(self, atom_features: int = 9, d: int = 32, fp: int = 64, radius: int = 3, max_deg: int = 4,
                 batch_readout: bool = False, mlp_layers: int = 1) -> None:
        super().__init__()
        self.inp = nn.Linear(atom_features, d)
        self.deg_w = nn.ModuleList([nn.ModuleList([nn.Linear(d, d) for _ in range(max_deg + 1)])
                                    for _ in range(radius)])
        self.fp_w = nn.ModuleList([nn.Linear(d, fp) for _ in range(radius + 1)])
        hidden: list[nn.Module] = []
        for i in range(mlp_layers):
            hidden += [nn.Linear(fp if i == 0 else 64, 64), nn.ReLU()]
        self.mlp = nn.Sequential(*hidden, nn.Linear(64, 1))
        self.fp, self.batch_readout = fp, batch_readout

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]) -> torch.Tensor:
        x, adj, mol, n_mol = inputs
        deg = adj.sum(1).long().clamp_max(len(self.deg_w[0]) - 1)
        h = self.inp(x)
        writes = [torch.softmax(self.fp_w[0](h), -1)]
        for r, mats in enumerate(self.deg_w):
            s = h + adj @ h
            h = F.relu(torch.stack([m(s) for m in mats], 1)[torch.arange(len(s)), deg])
            writes.append(torch.softmax(self.fp_w[r + 1](h), -1))
        atoms = sum(writes)
        if self.batch_readout:
            f = atoms.sum(0, keepdim=True)
        else:
            f = torch.zeros(n_mol, self.fp).index_add_(0, mol, atoms)
        return self.mlp(f).squeeze(-1)
