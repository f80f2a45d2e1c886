"""Hand-written models of the fifty-second held-out batch (``fresh51.py``), the speech, graph and tabular ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The vision models are in ``fresh51_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- LSTMP -----------------------------------------------------------------------------------------------------------


class LSTMP(nn.Module):
    """The LSTMP acoustic model (Sak, Senior and Beaufays 2014, "Long short-term memory recurrent neural network
    architectures for large scale acoustic modeling"), narrowed: two LSTM layers of 64 cells, each with a recurrent
    projection layer of 16 (``nn.LSTM(proj_size=16)``), over 40 log-mel bins, the last frame's projected output
    classifying the utterance; every weight uniform in [-0.02, 0.02] (the paper's) and biases zero.
    ``forget_bias``: each layer's forget-gate biases (input and recurrent) set to half that value, their sum that
    value; ``no_grad_encode``: the ``encode`` method that runs the LSTM stack decorated ``@torch.no_grad()`` (for the
    streaming ``transcribe`` path it was written for) and called by ``forward`` too."""

    def __init__(self, mels: int = 40, cells: int = 64, proj: int = 16, layers: int = 2, classes: int = 4,
                 forget_bias: float | None = None, no_grad_encode: bool = False, init_std: float | None = None) -> None:
        super().__init__()
        self.lstm = nn.LSTM(mels, cells, num_layers=layers, batch_first=True, proj_size=proj)
        self.head = nn.Linear(proj, classes)
        for name, p in self.named_parameters():
            with torch.no_grad():
                if "bias" in name:
                    p.zero_()
                    if forget_bias is not None and name.startswith("lstm"):
                        p[cells:2 * cells] = forget_bias / 2
                elif init_std is not None:
                    p.normal_(0.0, init_std)
                else:
                    p.uniform_(-0.02, 0.02)
        self.no_grad_encode = no_grad_encode

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.lstm(x)[0]

    @torch.no_grad()
    def transcribe_encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.lstm(x)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.transcribe_encode(x) if self.no_grad_encode else self.encode(x)
        return self.head(out[:, -1])


# ---- DeeperGCN -------------------------------------------------------------------------------------------------------


class GENConv(nn.Module):
    """DeeperGCN's generalized aggregation layer: messages ``relu(h_j) + 1e-7``, the softmax aggregation with a
    learnable inverse temperature ``beta`` (1 at start) per channel over each node's neighbours (self-loops
    included; the max-shift of the reference's scatter softmax), then the update ``MLP(h_i + m_i)`` (Linear 2x,
    BatchNorm, ReLU, Linear)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.beta = nn.Parameter(torch.tensor(1.0))
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.BatchNorm1d(2 * d), nn.ReLU(), nn.Linear(2 * d, d))

    def forward(self, h: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        m = F.relu(h) + 1e-7
        z = self.beta * m
        e = torch.exp(z - z.max(0, keepdim=True).values.detach())
        return self.mlp(h + (adj @ (e * m)) / (adj @ e))


class DeeperGCN(nn.Module):
    """DeeperGCN (Li, Xiong, Thabet and Ghanem 2020, "DeeperGCN: all you need to train deeper GCNs"), narrowed: a
    Linear node encoder to 64, ``layers`` GENConv layers in the pre-activation residual ``res+`` order (``h = h +
    GENConv(dropout(relu(BN(h))))`` after the first), a final BN, ReLU, dropout and Linear; dropout 0.2, PyTorch's
    default init. ``res=False``: the plain stack the paper compares against (``h = GENConv(dropout(relu(BN(h))))``,
    no residual sum)."""

    def __init__(self, features: int, classes: int, d: int = 64, layers: int = 4, drop: float = 0.2,
                 res: bool = True) -> None:
        super().__init__()
        self.encoder = nn.Linear(features, d)
        self.convs = nn.ModuleList([GENConv(d) for _ in range(layers)])
        self.norms = nn.ModuleList([nn.BatchNorm1d(d) for _ in range(layers)])
        self.out = nn.Linear(d, classes)
        self.drop, self.res = drop, res

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, adj = inputs
        h = self.convs[0](self.encoder(x), adj)
        for conv, norm in zip(self.convs[1:], self.norms[:-1], strict=True):
            y = conv(F.dropout(F.relu(norm(h)), self.drop, self.training), adj)
            h = h + y if self.res else y
        return self.out(F.dropout(F.relu(self.norms[-1](h)), self.drop, self.training))


# ---- Graph U-Net -----------------------------------------------------------------------------------------------------


def gcn_norm(a: torch.Tensor, fill: float = 2.0) -> torch.Tensor:
    """``D^-1/2 (A + fill I) D^-1/2`` (the "improved" GCN normalisation, ``A + 2I``, of Graph U-Nets)."""
    a = a + fill * torch.eye(a.shape[0])
    d = a.sum(1).pow(-0.5)
    return d[:, None] * a * d[None]


class _GCN(nn.Module):
    def __init__(self, a: int, b: int) -> None:
        super().__init__()
        self.lin = nn.Linear(a, b)

    def forward(self, x: torch.Tensor, a_norm: torch.Tensor) -> torch.Tensor:
        return a_norm @ self.lin(x)


class GraphUNet(nn.Module):
    """Graph U-Nets (Gao and Ji 2019), narrowed: GCN layers (``A + 2I`` normalisation) of 32, two gPool layers
    (projection ``y = X p / |p|``, the top half of the nodes kept and gated by ``sigmoid(y)``, the pooled graph's
    connectivity augmented to the second power, as the paper), a bottom GCN, two gUnpool layers (scatter back to the
    kept nodes' places) each summed with the skip from its level and followed by a GCN, and a last GCN to the
    classes; ReLU, dropout 0.3 on the features, PyTorch's default init. ``init_std``: every GCN weight drawn N(0,
    init_std^2) instead."""

    def __init__(self, features: int, classes: int, d: int = 32, depth: int = 2, ratio: float = 0.5,
                 drop: float = 0.3, init_std: float | None = None) -> None:
        super().__init__()
        self.down = nn.ModuleList([_GCN(features, d)] + [_GCN(d, d) for _ in range(depth)])
        self.pools = nn.ParameterList([nn.Parameter(torch.randn(d) / d ** 0.5) for _ in range(depth)])
        self.up = nn.ModuleList([_GCN(d, d) for _ in range(depth)])
        self.last = _GCN(d, classes)
        self.ratio, self.drop = ratio, drop
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, init_std)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, adj = inputs
        x = F.dropout(x, self.drop, self.training)
        a = adj
        h = F.relu(self.down[0](x, gcn_norm(a)))
        skips, perms = [], []
        for conv, p in zip(self.down[1:], self.pools, strict=True):
            skips.append((h, a))
            aug = a + torch.eye(a.shape[0])
            aug = ((aug @ aug) > 0).float() * (1 - torch.eye(a.shape[0]))
            y = h @ p / p.norm()
            idx = torch.topk(y, max(1, int(self.ratio * h.shape[0]))).indices
            h, a = h[idx] * torch.sigmoid(y[idx])[:, None], aug[idx][:, idx]
            perms.append(idx)
            h = F.relu(conv(F.dropout(h, self.drop, self.training), gcn_norm(a)))
        for conv in self.up:
            (skip, a), idx = skips.pop(), perms.pop()
            h = skip + torch.zeros_like(skip).index_copy(0, idx, h)
            h = F.relu(conv(F.dropout(h, self.drop, self.training), gcn_norm(a)))
        return self.last(F.dropout(h, self.drop, self.training), gcn_norm(adj))


# ---- TabR ------------------------------------------------------------------------------------------------------------


class TabR(nn.Module):
    """TabR (Gorishniy et al. 2024, "TabR: tabular deep learning meets nearest neighbors"), narrowed: the encoder a
    Linear to 64, the retrieval module (keys ``W_K(LN(x))``, the 16 nearest candidates of the training table by
    ``-|k - k_i|^2``, the object itself excluded in training, softmax weights, values ``W_Y(y_i) + T(k - k_i)`` with
    ``T = Linear-ReLU-Dropout-Linear``), ``x + sum_i s_i v_i``, one predictor block (LN, Linear 2x, ReLU, dropout,
    Linear, residual) and the head (LN, ReLU, Linear); dropout 0.1, PyTorch's default init. Its input is ``(features,
    row indices)`` of a batch of the table it holds as buffers."""

    def __init__(self, table: torch.Tensor, labels: torch.Tensor, classes: int, d: int = 64, context: int = 16,
                 drop: float = 0.1) -> None:
        super().__init__()
        self.register_buffer("cand_x", table)
        self.register_buffer("cand_y", labels)
        self.encoder = nn.Linear(table.shape[1], d)
        self.norm, self.key = nn.LayerNorm(d), nn.Linear(d, d)
        self.label_emb = nn.Embedding(classes, d)
        self.t = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Dropout(drop), nn.Linear(d, d, bias=False))
        self.block = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 2 * d), nn.ReLU(), nn.Dropout(drop),
                                   nn.Linear(2 * d, d))
        self.head = nn.Sequential(nn.LayerNorm(d), nn.ReLU(), nn.Linear(d, classes))
        self.context = context

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return h, self.key(self.norm(h))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, rows = inputs
        h, k = self._encode(x)
        _, ck = self._encode(self.cand_x)
        sim = 2 * k @ ck.T - (k * k).sum(1, keepdim=True) - (ck * ck).sum(1)
        if self.training:
            sim = sim.index_put((torch.arange(len(rows)), rows), torch.tensor(float("-inf")))
        top, idx = sim.topk(self.context, dim=1)
        w = torch.softmax(top, dim=1)
        v = self.label_emb(self.cand_y[idx]) + self.t(k[:, None] - ck[idx])
        h = h + (w[..., None] * v).sum(1)
        return self.head(h + self.block(h))
