"""Hand-written models of the fifty-first held-out batch (``fresh50.py``), the graph, tabular and recommender ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The time-series, audio and scientific ones are in ``fresh50_models2.py``."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

# ---- SIGN ------------------------------------------------------------------------------------------------------------


class _FeedForward(nn.Module):
    """The SIGN reference code's ``FeedForwardNet``: Linear layers with BatchNorm, PReLU and dropout between them,
    Xavier-uniform weights at the ReLU gain and zero biases."""

    def __init__(self, d_in: int, hidden: int, d_out: int, layers: int, dropout: float) -> None:
        super().__init__()
        dims = [d_in] + [hidden] * (layers - 1) + [d_out]
        self.lins = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(dims)])
        self.bns = nn.ModuleList([nn.BatchNorm1d(b) for b in dims[1:-1]])
        self.acts = nn.ModuleList([nn.PReLU() for _ in dims[1:-1]])
        self.drop = nn.Dropout(dropout)
        for lin in self.lins:
            nn.init.xavier_uniform_(lin.weight, gain=nn.init.calculate_gain("relu"))
            nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, lin in enumerate(self.lins):
            x = lin(x)
            if i < len(self.lins) - 1:
                x = self.drop(self.acts[i](self.bns[i](x)))
        return x


class SIGN(nn.Module):
    """SIGN (Frasca, Rossi et al. 2020), the inception form of its reference code: one two-layer ``FeedForwardNet``
    per precomputed operator ``A^k X`` (k = 0..3), their outputs concatenated, a PReLU, dropout, and a two-layer
    projection to the classes; input dropout on the precomputed features. The input is the stacked ``(hops, n, f)``
    features (the whole graph, one batch)."""

    def __init__(self, d_in: int, classes: int, hops: int = 4, hidden: int = 64, dropout: float = 0.5,
                 input_drop: float = 0.1) -> None:
        super().__init__()
        self.inception = nn.ModuleList([_FeedForward(d_in, hidden, hidden, 2, dropout) for _ in range(hops)])
        self.prelu = nn.PReLU()
        self.drop, self.input_drop = nn.Dropout(dropout), nn.Dropout(input_drop)
        self.project = _FeedForward(hops * hidden, hidden, classes, 2, dropout)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        h = [ff(self.input_drop(x)) for ff, x in zip(self.inception, feats)]
        return self.project(self.drop(self.prelu(torch.cat(h, -1))))


# ---- Graph Transformer -----------------------------------------------------------------------------------------------


class _GTLayer(nn.Module):
    """One layer of the Graph Transformer (Dwivedi and Bresson 2020, its BatchNorm variant): multi-head attention
    restricted to the graph's edges (the adjacency as ``attn_mask``), the output projection, a residual and a
    BatchNorm; a ReLU feed-forward of 2x, a residual and a BatchNorm. ``mha_positional_true``: the attention built
    ``nn.MultiheadAttention(d, heads, True)`` with ``batch_first=True`` in mind, where the third positional argument
    is ``dropout`` (p = 1.0: every attention weight dropped in training)."""

    def __init__(self, d: int, heads: int, mha_positional_true: bool = False) -> None:
        super().__init__()
        self.attn = (nn.MultiheadAttention(d, heads, True) if mha_positional_true
                     else nn.MultiheadAttention(d, heads, batch_first=True))
        self.bn1, self.bn2 = nn.BatchNorm1d(d), nn.BatchNorm1d(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Linear(2 * d, d))

    def forward(self, h: torch.Tensor, block: torch.Tensor) -> torch.Tensor:  # h: n, d (the graph unbatched)
        a, _ = self.attn(h, h, h, attn_mask=block, need_weights=False)
        h = self.bn1(h + a)
        return self.bn2(h + self.ff(h))


class GraphTransformer(nn.Module):
    """The Graph Transformer (Dwivedi and Bresson 2020), narrowed: node features embedded to 64, two layers of 4
    heads (its Laplacian positional encodings left out), an MLP readout 64-32-classes per node (``readout_layers``
    hidden layers of 32, ReLU, PyTorch's default init). ``adj``: the ``(n, n)`` adjacency; ``self_loops``: each node
    may attend to itself (the cold-start nodes have no other key).
    ``mha_positional_true``: see :class:`_GTLayer`."""

    def __init__(self, adj: torch.Tensor, d_in: int, classes: int, d: int = 64, layers: int = 2, heads: int = 4,
                 self_loops: bool = True, mha_positional_true: bool = False, readout_layers: int = 1) -> None:
        super().__init__()
        allowed = adj > 0
        if self_loops:
            allowed = allowed | torch.eye(adj.shape[0], dtype=torch.bool)
        self.register_buffer("block", ~allowed)
        self.embed = nn.Linear(d_in, d)
        self.layers = nn.ModuleList([_GTLayer(d, heads, mha_positional_true) for _ in range(layers)])
        dims = [d] + [d // 2] * readout_layers
        self.readout = nn.Sequential(*[m for a, b in itertools.pairwise(dims) for m in (nn.Linear(a, b), nn.ReLU())],
                                     nn.Linear(d // 2, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        for layer in self.layers:
            h = layer(h, self.block)
        return self.readout(h)


# ---- DANet -----------------------------------------------------------------------------------------------------------


def entmax15(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """1.5-entmax (Peters et al. 2019) by its exact sort-based threshold: ``max(z/2 - tau, 0) ** 2``."""
    z = z / 2
    z = z - z.max(dim, keepdim=True).values
    zs = z.sort(dim, descending=True).values
    k = torch.arange(1, z.shape[dim] + 1, dtype=z.dtype).view([-1] + [1] * (z.dim() - 1 - (dim % z.dim())))
    mean = zs.cumsum(dim) / k
    ss = k * ((zs ** 2).cumsum(dim) / k - mean ** 2)
    tau = mean - torch.sqrt(torch.clamp((1 - ss) / k, min=0))
    support = (tau <= zs).sum(dim, keepdim=True)
    tau_star = tau.gather(dim, support - 1)
    return torch.clamp(z - tau_star, min=0) ** 2


class _GBN(nn.Module):
    """Ghost BatchNorm: BatchNorm over virtual batches of ``vbs`` rows."""

    def __init__(self, d: int, vbs: int) -> None:
        super().__init__()
        self.vbs, self.bn = vbs, nn.BatchNorm1d(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.bn(c) for c in x.split(self.vbs, 0)], 0)


class _AbstLayer(nn.Module):
    """DANet's abstract layer: ``k`` learnable entmax masks over the features (``torch.rand`` init as the reference
    code), a grouped Linear per mask to ``2 d``, Ghost BatchNorm, and ``sum_k relu(sigmoid(a_k) * b_k)``."""

    def __init__(self, d_in: int, d_out: int, k: int, vbs: int) -> None:
        super().__init__()
        self.k, self.d_out = k, d_out
        self.mask = nn.Parameter(torch.rand(k, d_in))
        self.fc = nn.Conv1d(d_in * k, 2 * k * d_out, 1, groups=k)
        self.bn = _GBN(2 * k * d_out, vbs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = entmax15(self.mask, -1)  # k, d_in
        h = self.fc((m[None] * x[:, None]).reshape(x.shape[0], -1, 1)).squeeze(-1)
        h = self.bn(h).view(x.shape[0], self.k, 2, self.d_out)
        return F.relu(torch.sigmoid(h[:, :, 0]) * h[:, :, 1]).sum(1)


class _DABlock(nn.Module):
    """DANet's basic block: two abstract layers (to ``d / 2``, then ``d``) plus a shortcut abstract layer on the raw
    features (after dropout)."""

    def __init__(self, d_in: int, d: int, raw: int, k: int, vbs: int, drop: float) -> None:
        super().__init__()
        self.l1, self.l2 = _AbstLayer(d_in, d // 2, k, vbs), _AbstLayer(d // 2, d, k, vbs)
        self.short = nn.Sequential(nn.Dropout(drop), _AbstLayer(raw, d, k, vbs))

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.l2(self.l1(h)) + self.short(x)


class DANet(nn.Module):
    """DANet (Chen et al. 2022), narrowed: two basic blocks of width 32 (DANet-4; the paper's are 8 to 32 abstract
    layers of 64) with 4 masks each, Ghost BatchNorm over virtual batches of 64, shortcut dropout 0.1, and the
    reference head (Linear 32-256, ReLU, 256-512, ReLU, 512-classes)."""

    def __init__(self, d_in: int, classes: int, d: int = 32, blocks: int = 2, k: int = 4, vbs: int = 64,
                 drop: float = 0.1) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([_DABlock(d_in if i == 0 else d, d, d_in, k, vbs, drop)
                                     for i in range(blocks)])
        self.head = nn.Sequential(nn.Linear(d, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for block in self.blocks:
            h = block(h, x)
        return self.head(h)


# ---- GDCN ------------------------------------------------------------------------------------------------------------


class _GatedCross(nn.Module):
    """GDCN's gated cross layer: ``c_{l+1} = c_0 * (W_c c_l + b) * sigmoid(W_g c_l) + c_l``."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.w, self.g = nn.Linear(d, d), nn.Linear(d, d, bias=False)

    def forward(self, c0: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return c0 * self.w(c) * torch.sigmoid(self.g(c)) + c


def mlp(dims: list[int], norm_output: bool = False, dropout: float = 0.0) -> nn.Sequential:
    """A ReLU MLP through ``dims`` (the last is the output, no activation). ``norm_output``: the block's LayerNorm
    applied after every Linear, the output one included (a LayerNorm over the single logit)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(dims)):
        layers.append(nn.Linear(a, b))
        last = i == len(dims) - 2
        if norm_output and last:
            layers.append(nn.LayerNorm(b))
        if not last:
            layers += [nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


class GDCN(nn.Module):
    """GDCN-S (Wang et al. 2023), the stacked form: field embeddings of 16 (Xavier-normal, set here) concatenated,
    three gated cross layers, then a ReLU MLP 400-400-400 to one logit. ``hidden_bias``: every hidden bias of the
    MLP set to it (dead units); ``deep``: the MLP's number of hidden layers; ``norm_output``: see :func:`mlp`."""

    def __init__(self, fields: int, vocab: int, d: int = 16, cross: int = 3, deep: int = 3, width: int = 400,
                 hidden_bias: float | None = None, norm_output: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.fields, self.vocab = fields, vocab
        self.emb = nn.Embedding(fields * vocab, d)
        nn.init.xavier_normal_(self.emb.weight)
        dim = fields * d
        self.cross = nn.ModuleList([_GatedCross(dim) for _ in range(cross)])
        self.mlp = mlp([dim] + [width] * deep + [1], norm_output=norm_output, dropout=dropout)
        if hidden_bias is not None:
            with torch.no_grad():
                for m in [m for m in self.mlp if isinstance(m, nn.Linear)][:-1]:
                    m.bias.fill_(hidden_bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # ids: b, fields (each field's own values)
        offsets = torch.arange(self.fields) * self.vocab
        c0 = self.emb(ids + offsets).flatten(1)
        c = c0
        for layer in self.cross:
            c = layer(c0, c)
        return self.mlp(c).squeeze(-1)
