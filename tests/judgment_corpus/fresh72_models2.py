"""Hand-written models of the seventy-third held-out batch (``fresh72.py``), the speech, time-series and graph
transformers: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .fresh72_models import MHA

# ---- Branchformer ----------------------------------------------------------------------------------------------------


class _CgMLP(nn.Module):
    """Branchformer's cgMLP branch: LN, a Linear to 256, GELU, the convolutional spatial gating unit (the channels
    split in two halves; the gate half layer-normed and passed through a depthwise conv of 7 along time; the halves
    multiplied), a Linear back to d."""

    def __init__(self, d: int, units: int = 256, kernel: int = 7) -> None:
        super().__init__()
        self.ln, self.up, self.down = nn.LayerNorm(d), nn.Linear(d, units), nn.Linear(units // 2, d)
        self.gate_ln = nn.LayerNorm(units // 2)
        self.conv = nn.Conv1d(units // 2, units // 2, kernel, padding=kernel // 2, groups=units // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r, g = F.gelu(self.up(self.ln(x))).chunk(2, -1)
        g = self.conv(self.gate_ln(g).transpose(1, 2)).transpose(1, 2)
        return self.down(r * g)


class _BranchBlock(nn.Module):
    """A Branchformer block: ``x + drop(W [MHSA(LN(x)), cgMLP(x)])`` (the concatenation merge), dropout 0.1."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.ln, self.attn, self.cgmlp = nn.LayerNorm(d), MHA(d, heads), _CgMLP(d)
        self.merge, self.drop = nn.Linear(2 * d, d), nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return x + self.drop(self.merge(torch.cat([self.attn(self.ln(x), mask=mask), self.cgmlp(x)], -1)))


class Branchformer(nn.Module):
    """Branchformer (Peng et al. 2022, "Branchformer: parallel MLP-attention architectures to capture local and global
    context for speech recognition and understanding"), narrowed to a keyword classifier: two 3x3 stride-2
    convolutions with ReLU subsampling 40-bin log-mel frames by 4 (ESPnet's ``Conv2dSubsampling``), a Linear to 64,
    two Branchformer blocks of 4 heads, a final LayerNorm, the mean over the utterance's frames and the classifier;
    PyTorch's default init. The padded frames are kept out of the attention by a key-padding mask of shape ``(b, 1, 1,
    t)``; ``query_axis_mask``: the mask unsqueezed as ``(b, 1, t, 1)``, on the queries' axis, instead."""

    def __init__(self, bins: int = 40, classes: int = 4, d: int = 64, blocks: int = 2, heads: int = 4,
                 query_axis_mask: bool = False) -> None:
        super().__init__()
        self.sub = nn.Sequential(nn.Conv2d(1, 16, 3, 2), nn.ReLU(), nn.Conv2d(16, 16, 3, 2), nn.ReLU())
        f = ((bins - 1) // 2 - 1) // 2
        self.proj = nn.Linear(16 * f, d)
        self.blocks = nn.ModuleList([_BranchBlock(d, heads) for _ in range(blocks)])
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, classes)
        self.query_axis_mask = query_axis_mask

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        feats, lengths = inputs
        h = self.sub(feats[:, None])
        b, c, t, f = h.shape
        x = self.proj(h.permute(0, 2, 1, 3).reshape(b, t, c * f))
        n = ((lengths - 1) // 2 - 1) // 2
        pad = torch.arange(t)[None] >= n[:, None]
        mask = pad[:, None, :, None] if self.query_axis_mask else pad[:, None, None, :]
        for block in self.blocks:
            x = block(x, mask)
        keep = (~pad).float()[..., None]
        return self.head((self.ln(x) * keep).sum(1) / keep.sum(1))


# ---- TST -------------------------------------------------------------------------------------------------------------


class _TSTLayer(nn.Module):
    """TST's encoder layer: ``x = BN(x + drop(MHSA(x)))``, ``x = BN(x + drop(FFN(x)))`` (GELU, 2x), BatchNorm over
    the model's channels in place of LayerNorm, as the paper; ``bn=False``: neither normalisation."""

    def __init__(self, d: int, heads: int, bn: bool) -> None:
        super().__init__()
        self.attn = MHA(d, heads)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Dropout(0.1), nn.Linear(2 * d, d))
        self.bn1 = nn.BatchNorm1d(d, eps=1e-5) if bn else nn.Identity()
        self.bn2 = nn.BatchNorm1d(d, eps=1e-5) if bn else nn.Identity()
        self.drop = nn.Dropout(0.1)

    def _bn(self, bn: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return bn(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._bn(self.bn1, x + self.drop(self.attn(x)))
        return self._bn(self.bn2, x + self.drop(self.ff(x)))


class TST(nn.Module):
    """TST (Zerveas et al. 2021, "A Transformer-based framework for multivariate time series representation
    learning"), narrowed, as a classifier: each step's variables projected to 32 (times sqrt(d)), learnable
    positional encodings U(-0.02, 0.02), dropout 0.1, two BatchNorm encoder layers of 4 heads, GELU, dropout, and the
    flattened outputs of every step to the classifier (the reference code's ``TSTransformerEncoderClassiregressor``);
    PyTorch's default init elsewhere. ``bn``: see :class:`_TSTLayer`."""

    def __init__(self, variables: int = 3, length: int = 32, classes: int = 4, d: int = 32, layers: int = 2,
                 heads: int = 4, bn: bool = True) -> None:
        super().__init__()
        self.d, self.inp = d, nn.Linear(variables, d)
        self.pos = nn.Parameter(torch.empty(length, d).uniform_(-0.02, 0.02))
        self.layers = nn.ModuleList([_TSTLayer(d, heads, bn) for _ in range(layers)])
        self.drop, self.out = nn.Dropout(0.1), nn.Linear(d * length, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.inp(x.transpose(1, 2)) * math.sqrt(self.d) + self.pos)
        for layer in self.layers:
            h = layer(h)
        return self.out(self.drop(F.gelu(h)).flatten(1))


# ---- NAGphormer ------------------------------------------------------------------------------------------------------


def hop_tokens(adj: torch.Tensor, x: torch.Tensor, hops: int = 3, self_loops: bool = True) -> torch.Tensor:
    """NAGphormer's Hop2Token: ``[X, A~X, A~^2 X, ..., A~^K X]`` per node, ``A~ = D^-1/2 (A + I) D^-1/2``
    (``self_loops=False``: ``D^-1/2 A D^-1/2``, and a node without edges has ``0^-1/2 = inf``): ``(n, K + 1, f)``."""
    a = adj + torch.eye(adj.shape[0]) if self_loops else adj
    dinv = a.sum(1).pow(-0.5)
    a = dinv[:, None] * a * dinv[None]
    out = [x]
    for _ in range(hops):
        out.append(a @ out[-1])
    return torch.stack(out, 1)


class NAGphormer(nn.Module):
    """NAGphormer (Chen et al. 2023, "NAGphormer: a tokenized graph Transformer for node classification in large
    graphs"), narrowed: each node's hop tokens (:func:`hop_tokens`, K = 3) projected to 64, one pre-LN Transformer
    layer of 8 heads (a GELU feed-forward of 2x, dropout 0.1), a final LayerNorm, the attention-based readout (the
    node's own token plus the hop tokens weighted by ``softmax_k(W [h_0, h_k])``), then ``Linear(64, 32)``, ReLU and
    the classifier; PyTorch's default init. ``hidden``: the number of ReLU layers of 32 before the classifier (1 as the
    reference code). ``readout_dim``: the axis the readout's softmax normalises (1, the hops, is right; 0 is the
    nodes')."""

    def __init__(self, features: int, classes: int, d: int = 64, heads: int = 8, hidden: int = 1,
                 readout_dim: int = 1) -> None:
        super().__init__()
        self.inp = nn.Linear(features, d)
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = MHA(d, heads)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Dropout(0.1), nn.Linear(2 * d, d))
        self.drop, self.score, self.readout_dim = nn.Dropout(0.1), nn.Linear(2 * d, 1), readout_dim
        mlp: list[nn.Module] = []
        for i in range(hidden):
            mlp += [nn.Linear(d if i == 0 else d // 2, d // 2), nn.ReLU()]
        self.out = nn.Sequential(*mlp, nn.Linear(d // 2, classes))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.inp(tokens)
        h = h + self.drop(self.attn(self.ln1(h)))
        h = self.ln3(h + self.drop(self.ff(self.ln2(h))))
        node, hops = h[:, :1], h[:, 1:]
        w = self.score(torch.cat([node.expand_as(hops), hops], -1)).softmax(self.readout_dim)
        return self.out(node[:, 0] + (w * hops).sum(1))


# ---- SGFormer --------------------------------------------------------------------------------------------------------


class SGFormer(nn.Module):
    """SGFormer (Wu et al. 2023, "SGFormer: simplifying and empowering Transformers for large-graph
    representations"), narrowed: the global branch (a Linear to 64, LayerNorm, ReLU, dropout; one layer of the simple
    global attention ``(N V + Q~ (K~^T V)) / (N + Q~ (K~^T 1))`` with Q and K divided by their Frobenius norms, a
    residual at 0.5, LayerNorm, ReLU) and the GNN branch (two GCN layers of 64 over ``D^-1/2 (A + I) D^-1/2`` with
    ReLU, dropout 0.5), combined as ``0.8 * gnn + 0.2 * global`` and classified by a Linear; PyTorch's default init.
    ``relu_bias``: the shifts before the ReLUs (the LayerNorms' biases and the GCN layers') set to that value."""

    def __init__(self, adj: torch.Tensor, features: int, classes: int, d: int = 64, relu_bias: float | None = None
                 ) -> None:
        super().__init__()
        a = adj + torch.eye(adj.shape[0])
        dinv = a.sum(1).pow(-0.5)
        self.register_buffer("a", dinv[:, None] * a * dinv[None])
        self.fc, self.ln1, self.ln2 = nn.Linear(features, d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.gcn1, self.gcn2 = nn.Linear(features, d), nn.Linear(d, d)
        self.drop, self.out = nn.Dropout(0.5), nn.Linear(d, classes)
        if relu_bias is not None:
            for m in (self.ln1, self.ln2, self.gcn1, self.gcn2):
                nn.init.constant_(m.bias, relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        h = self.drop(F.relu(self.ln1(self.fc(x))))
        q, k, v = self.q(h), self.k(h), self.v(h)
        q, k = q / q.norm(), k / k.norm()
        num = n * v + q @ (k.T @ v)
        den = n + q @ k.sum(0, keepdim=True).T
        g = self.drop(F.relu(self.ln2(0.5 * num / den + 0.5 * h)))
        z = self.drop(F.relu(self.a @ self.gcn1(x)))
        z = F.relu(self.a @ self.gcn2(z))
        return self.out(0.8 * z + 0.2 * g)
