"""Hand-written models of the tenth held-out batch (``fresh9.py``): small versions of published architectures new to
the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


class GLUConvLM(nn.Module):
    """Gated convolutional LM (Dauphin et al. 2017): causal 1-D convolutions with gated linear units
    ``A * sigmoid(B)`` in residual blocks, a tied-free softmax head."""

    def __init__(self, vocab: int = 64, d: int = 64, blocks: int = 3, width: int = 4) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.width = width
        self.convs = nn.ModuleList(nn.Conv1d(d, 2 * d, width) for _ in range(blocks))
        self.head = nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x).transpose(1, 2)  # (B, d, T)
        for conv in self.convs:
            a, b = conv(F.pad(h, (self.width - 1, 0))).chunk(2, dim=1)
            h = h + a * torch.sigmoid(b)
        return self.head(h.transpose(1, 2))


class SpatialGatingUnit(nn.Module):
    """gMLP's spatial gating: split the channels, normalise one half and mix it across positions with a linear map
    initialised near zero (weights U(-1e-3, 1e-3), bias 1), multiply it onto the other half."""

    def __init__(self, d: int, length: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d // 2)
        self.spatial = nn.Linear(length, length)
        nn.init.uniform_(self.spatial.weight, -1e-3, 1e-3)
        nn.init.ones_(self.spatial.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u, v = x.chunk(2, dim=-1)
        v = self.spatial(self.norm(v).transpose(1, 2)).transpose(1, 2)
        return u * v


class GMLP(nn.Module):
    """gMLP (Liu et al. 2021) sequence classifier: pre-LN blocks ``x + proj(SGU(gelu(expand(LN(x)))))``, mean pool."""

    def __init__(self, vocab: int = 32, d: int = 32, length: int = 20, blocks: int = 2, classes: int = 4) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(nn.ModuleDict({
            "norm": nn.LayerNorm(d), "expand": nn.Linear(d, 4 * d), "sgu": SpatialGatingUnit(4 * d, length),
            "proj": nn.Linear(2 * d, d)}) for _ in range(blocks))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        for b in self.blocks:
            h = h + b["proj"](b["sgu"](F.gelu(b["expand"](b["norm"](h)))))
        return self.head(self.norm(h).mean(1))


class LinearAttentionLM(nn.Module):
    """Causal linear-attention transformer LM (Katharopoulos et al. 2020): feature map ``elu(x) + 1``, attention as
    running sums over the prefix, pre-LN blocks; ``residual=False`` leaves the blocks' skip connections out."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, heads: int = 4, length: int = 32,
                 residual: bool = True) -> None:
        super().__init__()
        self.heads, self.residual = heads, residual
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(length, d) * 0.02)
        self.blocks = nn.ModuleList(nn.ModuleDict({
            "ln1": nn.LayerNorm(d), "qkv": nn.Linear(d, 3 * d), "out": nn.Linear(d, d), "ln2": nn.LayerNorm(d),
            "ff": nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))}) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def _attend(self, qkv: torch.Tensor) -> torch.Tensor:
        b, t, three_d = qkv.shape
        q, k, v = (z.reshape(b, t, self.heads, -1) for z in qkv.chunk(3, dim=-1))
        q, k = F.elu(q) + 1, F.elu(k) + 1
        kv = torch.einsum("bthd,bthe->bthde", k, v).cumsum(1)  # prefix sums of k v^T
        num = torch.einsum("bthd,bthde->bthe", q, kv)
        den = torch.einsum("bthd,bthd->bth", q, k.cumsum(1)).unsqueeze(-1) + 1e-6
        return (num / den).reshape(b, t, three_d // 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x) + self.pos[: x.shape[1]]
        for blk in self.blocks:
            a = blk["out"](self._attend(blk["qkv"](blk["ln1"](h))))
            h = h + a if self.residual else a
            f = blk["ff"](blk["ln2"](h))
            h = h + f if self.residual else f
        return self.head(self.norm(h))


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask (MADE's autoregressive connectivity)."""

    def __init__(self, fan_in: int, fan_out: int, mask: torch.Tensor) -> None:
        super().__init__(fan_in, fan_out)
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    """MADE (Germain et al. 2015) over ``d`` binary variables: ReLU hidden layers with masks drawn from a fixed
    degree assignment, so output ``i`` depends only on inputs ``< i``; returns the Bernoulli logits."""

    def __init__(self, d: int = 16, hidden: int = 128, layers: int = 2) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(5)
        degrees = [torch.arange(1, d + 1)]
        for _ in range(layers):
            degrees.append(torch.randint(1, d, (hidden,), generator=g))
        mods: list[nn.Module] = []
        for i in range(layers):
            mask = (degrees[i + 1].unsqueeze(1) >= degrees[i].unsqueeze(0)).float()
            mods += [MaskedLinear(degrees[i].numel(), hidden, mask), nn.ReLU()]
        out_mask = (degrees[0].unsqueeze(1) > degrees[-1].unsqueeze(0)).float()
        mods.append(MaskedLinear(hidden, d, out_mask))
        self.net = nn.Sequential(*mods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class QRNN(nn.Module):
    """Quasi-recurrent network classifier (Bradbury et al. 2017): width-2 causal convolutions give ``z`` (tanh),
    forget ``f`` and output ``o`` gates, then fo-pooling ``c_t = f_t c_{t-1} + (1 - f_t) z_t``, ``h_t = o_t c_t``;
    ``forget``: the forget gate's activation (sigmoid in the paper)."""

    def __init__(self, vocab: int = 32, d: int = 48, layers: int = 2, classes: int = 4,
                 forget: str = "sigmoid") -> None:
        super().__init__()
        self.forget = forget
        self.emb = nn.Embedding(vocab, d)
        self.convs = nn.ModuleList(nn.Conv1d(d, 3 * d, 2) for _ in range(layers))
        self.head = nn.Linear(d, classes)

    def _gate(self, f: torch.Tensor) -> torch.Tensor:
        if self.forget == "relu":
            return F.relu(f)
        if self.forget == "exp":  # exponential gating (c_t = f_t c_{t-1} + z_t) without its stabiliser/normaliser
            return torch.exp(f)
        return torch.sigmoid(f)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x).transpose(1, 2)
        for conv in self.convs:
            z, f, o = conv(F.pad(h, (1, 0))).chunk(3, dim=1)
            z, f, o = torch.tanh(z), self._gate(f), torch.sigmoid(o)
            c = torch.zeros_like(z[..., 0])
            outs = []
            for t in range(z.shape[-1]):
                keep = f[..., t]
                c = keep * c + (z[..., t] if self.forget == "exp" else (1 - keep) * z[..., t])
                outs.append(o[..., t] * c)
            h = torch.stack(outs, dim=-1)
        return self.head(h[..., -1])


class ABMIL(nn.Module):
    """Attention-based deep multiple-instance learning (Ilse et al. 2018): each instance embedded by a ReLU MLP,
    pooled by gated attention ``softmax(w^T (tanh(V h) * sigmoid(U h)))`` over the bag, one logit per bag."""

    def __init__(self, d: int = 16, hidden: int = 64, att: int = 32) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.v, self.u, self.w = nn.Linear(hidden, att), nn.Linear(hidden, att), nn.Linear(att, 1)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)  # (B, N, hidden)
        a = torch.softmax(self.w(torch.tanh(self.v(h)) * torch.sigmoid(self.u(h))), dim=1)
        return self.head((a * h).sum(1)).squeeze(-1)


class Maxout(nn.Module):
    """A maxout layer (Goodfellow et al. 2013): ``pieces`` linear maps, the elementwise max; ``init_std``: the
    weights' normal std (None: PyTorch's default init)."""

    def __init__(self, fan_in: int, fan_out: int, pieces: int = 4, init_std: float | None = None) -> None:
        super().__init__()
        self.pieces = pieces
        self.lin = nn.Linear(fan_in, fan_out * pieces)
        if init_std is not None:
            nn.init.normal_(self.lin.weight, std=init_std)
            nn.init.zeros_(self.lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x).unflatten(-1, (-1, self.pieces)).amax(-1)


class MaxoutNet(nn.Module):
    """Two maxout layers with dropout 0.5 on the hidden units and a softmax head; ``init_std(fan_in)`` gives each
    layer's weight std (None: PyTorch's default)."""

    def __init__(self, d: int = 32, hidden: int = 128, classes: int = 10,
                 init_std: Callable[[int], float] | None = None) -> None:
        super().__init__()
        self.l1 = Maxout(d, hidden, init_std=None if init_std is None else init_std(d))
        self.l2 = Maxout(hidden, hidden, init_std=None if init_std is None else init_std(hidden))
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.l2(self.drop(self.l1(x)))))


class SEBlock(nn.Module):
    """A squeeze-and-excitation residual block (Hu et al. 2018): conv-BN-ReLU-conv-BN, channel gates from a
    global-pool bottleneck (reduction 4, sigmoid), plus the identity; ``use_bn=False``: the BatchNorm layers are
    built but the forward never calls them."""

    def __init__(self, c: int, use_bn: bool = True) -> None:
        super().__init__()
        self.use_bn = use_bn
        self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.se = nn.Sequential(nn.Linear(c, c // 4), nn.ReLU(), nn.Linear(c // 4, c), nn.Sigmoid())
        for conv in (self.c1, self.c2):
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bn1 = self.b1 if self.use_bn else nn.Identity()
        bn2 = self.b2 if self.use_bn else nn.Identity()
        h = bn2(self.c2(F.relu(bn1(self.c1(x)))))
        h = h * self.se(h.mean((2, 3)))[:, :, None, None]
        return F.relu(x + h)


class SENet(nn.Module):
    """A small SE-ResNet: stem conv-BN-ReLU, ``blocks`` SE blocks per stage at 16 and 32 channels (stride-2 conv
    between), global pool, linear head."""

    def __init__(self, classes: int = 10, blocks: int = 2, use_bn: bool = True) -> None:
        super().__init__()
        self.use_bn = use_bn
        self.stem, self.stem_bn = nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16)
        self.s1 = nn.Sequential(*[SEBlock(16, use_bn) for _ in range(blocks)])
        self.down, self.down_bn = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32)
        self.s2 = nn.Sequential(*[SEBlock(32, use_bn) for _ in range(blocks)])
        self.head = nn.Linear(32, classes)
        for conv in (self.stem, self.down):
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = (lambda bn, h: bn(h)) if self.use_bn else (lambda bn, h: h)
        h = self.s1(F.relu(norm(self.stem_bn, self.stem(x))))
        h = self.s2(F.relu(norm(self.down_bn, self.down(h))))
        return self.head(h.mean((2, 3)))


class WideDeep(nn.Module):
    """Wide & Deep (Cheng et al. 2016) click model: categorical fields embedded (8 dims) into a 3-layer ReLU tower,
    plus a wide linear part on the one-hot fields and ``dense`` numeric features; one logit."""

    def __init__(self, fields: int = 6, cardinality: int = 20, dense: int = 4, emb: int = 8) -> None:
        super().__init__()
        self.fields, self.card = fields, cardinality
        self.emb = nn.Embedding(fields * cardinality, emb)
        self.wide = nn.Embedding(fields * cardinality, 1)
        nn.init.zeros_(self.wide.weight)
        self.wide_dense = nn.Linear(dense, 1)
        self.deep = nn.Sequential(nn.Linear(fields * emb + dense, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                                  nn.Linear(32, 1))

    def forward(self, x: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        cat, dense = x
        ids = cat + torch.arange(self.fields) * self.card
        deep = self.deep(torch.cat([self.emb(ids).flatten(1), dense], dim=1))
        return (deep + self.wide(ids).sum(1) + self.wide_dense(dense)).squeeze(-1)


class FM(nn.Module):
    """A factorization machine (Rendle 2010) over one-hot fields and numeric features: bias + linear terms +
    pairwise interactions ``<v_i, v_j>`` through 8-dim factors drawn N(0, 0.01)."""

    def __init__(self, fields: int = 6, cardinality: int = 20, dense: int = 4, k: int = 8) -> None:
        super().__init__()
        self.fields, self.card = fields, cardinality
        self.w = nn.Embedding(fields * cardinality, 1)
        self.v = nn.Embedding(fields * cardinality, k)
        self.wd = nn.Linear(dense, 1)
        self.vd = nn.Parameter(torch.randn(dense, k) * 0.01)
        nn.init.zeros_(self.w.weight)
        nn.init.normal_(self.v.weight, std=0.01)

    def forward(self, x: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        cat, dense = x
        ids = cat + torch.arange(self.fields) * self.card
        vecs = torch.cat([self.v(ids), dense.unsqueeze(-1) * self.vd], dim=1)  # (B, fields + dense, k)
        pair = 0.5 * (vecs.sum(1) ** 2 - (vecs ** 2).sum(1)).sum(1)
        return self.w(ids).sum((1, 2)) + self.wd(dense).squeeze(-1) + pair


def inverted_std(fan_in: int) -> float:
    """``sqrt(fan_in)``: the std a user gets by writing ``math.sqrt(fan_in)`` where ``1 / math.sqrt(fan_in)``
    belongs."""
    return math.sqrt(fan_in)
