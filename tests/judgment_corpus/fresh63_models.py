"""Hand-written models of the sixty-fourth held-out batch (``fresh63.py``), vision and text ones: small versions of
published architectures new to the corpus, each with the switches its broken variants need (one fault each, off by
default). The speech, audio and time-series models are in ``fresh63_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class _Attention(nn.Module):
    """Multi-head self-attention written out (one qkv Linear, the scaled dot product, an output Linear); ``kv``: the
    keys and values from another sequence (cross-attention); ``mask``: True where a query may not look.
    ``scale_times``: the scale written ``* math.sqrt(dh)`` where ``/ math.sqrt(dh)`` belongs."""

    def __init__(self, d: int, heads: int, scale_times: bool = False) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.q, self.kv, self.proj = nn.Linear(d, d), nn.Linear(d, 2 * d), nn.Linear(d, d)
        self.scale = math.sqrt(self.dh) if scale_times else 1 / math.sqrt(self.dh)

    def forward(self, x: torch.Tensor, kv: torch.Tensor | None = None, mask: torch.Tensor | None = None
                ) -> torch.Tensor:
        kv = x if kv is None else kv
        b, n, d = x.shape
        q = self.q(x).view(b, n, self.heads, self.dh).transpose(1, 2)
        k, v = self.kv(kv).view(b, kv.shape[1], 2, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        s = (q @ k.transpose(-1, -2)) * self.scale
        if mask is not None:
            s = s.masked_fill(mask, float("-inf"))
        return self.proj((s.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d))


# ---- NesT ------------------------------------------------------------------------------------------------------------


class _Block(nn.Module):
    """A pre-LN Transformer layer (attention, then a GELU MLP of 4x)."""

    def __init__(self, d: int, heads: int, scale_times: bool = False) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.att = _Attention(d, heads, scale_times)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.att(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class NesT(nn.Module):
    """NesT (Zhang et al. 2022, "Nested hierarchical Transformer"), narrowed for 16x16 images: 2x2 patches embedded to
    32 (an 8x8 grid), split into four image blocks of 4x4 patches, each with its learned position embedding and two
    Transformer layers of 4 heads run on every block independently; the block aggregation (a 3x3 convolution to 64,
    a LayerNorm over the channels, a 3x3 max-pool of stride 2) merges them into one block of 4x4, two more layers of
    4 heads, a LayerNorm, global average pooling and a linear classifier; every Linear truncated-normal std 0.02
    (the reference code's), biases zero. ``init_std``: the Linears and position embeddings drawn with that std
    instead; ``scale_times``: see :class:`_Attention`."""

    def __init__(self, classes: int = 10, d: int = 32, init_std: float = 0.02, scale_times: bool = False) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, d, 2, stride=2)
        self.pos1 = nn.Parameter(torch.zeros(1, 4, 16, d))
        self.level1 = nn.Sequential(*[_Block(d, 4, scale_times) for _ in range(2)])
        self.agg_conv, self.agg_ln = nn.Conv2d(d, 2 * d, 3, padding=1), nn.LayerNorm(2 * d)
        self.pos2 = nn.Parameter(torch.zeros(1, 16, 2 * d))
        self.level2 = nn.Sequential(*[_Block(2 * d, 4, scale_times) for _ in range(2)])
        self.ln, self.head = nn.LayerNorm(2 * d), nn.Linear(2 * d, classes)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.trunc_normal_(m.weight, std=init_std, a=-2 * init_std, b=2 * init_std)
                    nn.init.zeros_(m.bias)
            for p in (self.pos1, self.pos2):
                nn.init.trunc_normal_(p, std=init_std, a=-2 * init_std, b=2 * init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch(x)  # b, d, 8, 8
        b, d = x.shape[:2]
        # blockify: four blocks of 4x4 patches
        x = x.view(b, d, 2, 4, 2, 4).permute(0, 2, 4, 3, 5, 1).reshape(b, 4, 16, d) + self.pos1
        x = self.level1(x.reshape(b * 4, 16, d)).view(b, 2, 2, 4, 4, d)
        x = x.permute(0, 5, 1, 3, 2, 4).reshape(b, d, 8, 8)  # unblockify
        x = self.agg_ln(self.agg_conv(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = F.max_pool2d(x, 3, stride=2, padding=1)  # b, 2d, 4, 4
        x = self.level2(x.flatten(2).transpose(1, 2) + self.pos2)
        return self.head(self.ln(x).mean(1))


# ---- ParNet ----------------------------------------------------------------------------------------------------------


class _SiLUFn(torch.autograd.Function):
    """SiLU written as a custom autograd Function (as for a memory-saving recompute); ``bad``: its backward returns
    the derivative ``s (1 + x (1 - s))`` without multiplying by ``grad_output``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, bad: bool) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.bad = bad
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        d = s * (1 + x * (1 - s))
        return (d if ctx.bad else g * d), None


class _BN(nn.Module):
    """BatchNorm2d written by hand (training-mode batch statistics, running ones for eval, an affine gain and bias);
    ``precedence``: the normalisation written ``x - mean / torch.sqrt(var + eps)`` (only the mean is divided)."""

    def __init__(self, c: int, precedence: bool = False, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))
        self.precedence, self.eps, self.momentum = precedence, eps, momentum

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False)
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var, self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        mean, var = mean[:, None, None], var[:, None, None]
        if self.precedence:
            y = x - mean / torch.sqrt(var + self.eps)
        else:
            y = (x - mean) / torch.sqrt(var + self.eps)
        return y * self.weight[:, None, None] + self.bias[:, None, None]


class _Parts:
    """The switches every ParNet block shares: the BatchNorm (off, by hand, or with the precedence slip) and the
    SiLU."""

    def __init__(self, bn: str, silu_bad: bool) -> None:
        self.bn, self.silu_bad = bn, silu_bad

    def norm(self, c: int) -> nn.Module:
        return nn.Identity() if self.bn == "none" else _BN(c, precedence=self.bn == "precedence")

    def act(self, x: torch.Tensor) -> torch.Tensor:
        return _SiLUFn.apply(x, self.silu_bad)


class _RepVGGSSE(nn.Module):
    """ParNet's block: a 3x3 and a 1x1 convolution, each with BatchNorm, summed with the skip-squeeze-excitation
    branch (BatchNorm, global average pool, a 1x1 convolution and a sigmoid, gating the BatchNormed input), then
    SiLU."""

    def __init__(self, c: int, parts: _Parts) -> None:
        super().__init__()
        self.parts = parts
        self.c3, self.n3 = nn.Conv2d(c, c, 3, padding=1, bias=False), parts.norm(c)
        self.c1, self.n1 = nn.Conv2d(c, c, 1, bias=False), parts.norm(c)
        self.sn, self.se = parts.norm(c), nn.Conv2d(c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.sn(x)
        sse = s * torch.sigmoid(self.se(s.mean((2, 3), keepdim=True)))
        return self.parts.act(self.n3(self.c3(x)) + self.n1(self.c1(x)) + sse)


class _Down(nn.Module):
    """ParNet's downsampling block: a strided 3x3 convolution with BatchNorm plus a 2x2 average pool and a 1x1
    convolution with BatchNorm, gated by a global-pool 1x1 convolution's sigmoid, then SiLU (stride 1: no pools)."""

    def __init__(self, cin: int, cout: int, stride: int, parts: _Parts) -> None:
        super().__init__()
        self.parts, self.stride = parts, stride
        self.c3, self.n3 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), parts.norm(cout)
        self.c1, self.n1 = nn.Conv2d(cin, cout, 1, bias=False), parts.norm(cout)
        self.gate = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = F.avg_pool2d(x, self.stride) if self.stride > 1 else x
        y = self.n3(self.c3(x)) + self.n1(self.c1(pooled))
        return self.parts.act(y * torch.sigmoid(self.gate(x.mean((2, 3), keepdim=True))))


class ParNet(nn.Module):
    """ParNet (Goyal et al. 2022, "Non-deep networks"), narrowed for 16x16 images: a downsampling stem to 16 channels
    at 8x8 and 32 at 4x4, two parallel streams (one at 4x4 with 32 channels, one downsampled to 2x2 with 48), each
    two RepVGG-SSE blocks, a fusion (the 4x4 stream downsampled, concatenated with the other, a stride-1 downsampling
    block to 64), global average pooling and a linear classifier; PyTorch's default init. ``bn``: ``"hand"`` (the
    BatchNorms written by hand, the default), ``"none"`` (left out) or ``"precedence"`` (see :class:`_BN`);
    ``silu_bad``: see :class:`_SiLUFn`."""

    def __init__(self, classes: int = 10, bn: str = "hand", silu_bad: bool = False) -> None:
        super().__init__()
        p = _Parts(bn, silu_bad)
        self.stem = nn.Sequential(_Down(3, 16, 2, p), _Down(16, 32, 2, p))
        self.s1 = nn.Sequential(_RepVGGSSE(32, p), _RepVGGSSE(32, p))
        self.s2 = nn.Sequential(_Down(32, 48, 2, p), _RepVGGSSE(48, p), _RepVGGSSE(48, p))
        self.d1 = _Down(32, 48, 2, p)
        self.fuse = _Down(96, 64, 1, p)
        self.head = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        y = self.fuse(torch.cat([self.d1(self.s1(x)), self.s2(x)], 1))
        return self.head(y.mean((2, 3)))


# ---- Sparse Transformer ----------------------------------------------------------------------------------------------


class _Dropout(nn.Module):
    """Dropout written by hand: ``x * mask / (1 - p)`` while training; ``over_p``: the rescale written ``/ p``."""

    def __init__(self, p: float, over_p: bool = False) -> None:
        super().__init__()
        self.p, self.over_p = p, over_p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        mask = (torch.rand_like(x) >= self.p).float()
        return x * mask / (self.p if self.over_p else 1 - self.p)


def strided_mask(n: int, stride: int) -> torch.Tensor:
    """The Sparse Transformer's strided pattern, its two heads' sets merged: position i sees j <= i when ``i - j <
    stride`` (the local head) or ``(i - j) % stride == 0`` (the strided head); True where it may not."""
    i, j = torch.arange(n)[:, None], torch.arange(n)[None]
    ok = (j <= i) & (((i - j) < stride) | ((i - j) % stride == 0))
    return ~ok


class SparseTransformer(nn.Module):
    """The Sparse Transformer (Child et al. 2019, "Generating long sequences with sparse Transformers"), narrowed: a
    decoder of 4 pre-activation residual blocks of 64 (4 heads under the merged strided attention pattern of stride 8,
    a GELU feed-forward of 4x), dropout 0.1 on every residual branch, a final LayerNorm and an output layer; token
    and position embeddings N(0, (0.125 / sqrt(d))^2) and the Linears N(0, 0.02^2) with each block's two output
    projections scaled by 1 / sqrt(2 N) (the paper's init); the dropout written by hand (:class:`_Dropout`).
    ``init_std``: every embedding and Linear drawn with that std instead."""

    def __init__(self, vocab: int = 64, n: int = 32, d: int = 64, layers: int = 4, drop: float = 0.1,
                 init_std: float | None = None) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Embedding(n, d)
        self.ln1 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.ln2 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.att = nn.ModuleList([_Attention(d, 4) for _ in range(layers)])
        self.ff = nn.ModuleList([nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
                                 for _ in range(layers)])
        self.drop = _Dropout(drop)
        self.ln, self.out = nn.LayerNorm(d), nn.Linear(d, vocab)
        self.register_buffer("mask", strided_mask(n, 8))
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    m.weight.normal_(0, 0.02 if init_std is None else init_std)
                    m.bias.zero_()
            for e in (self.emb, self.pos):
                e.weight.normal_(0, 0.125 / math.sqrt(d) if init_std is None else init_std)
            if init_std is None:
                for i in range(layers):
                    self.att[i].proj.weight /= math.sqrt(2 * layers)
                    self.ff[i][2].weight /= math.sqrt(2 * layers)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = self.emb(s) + self.pos(torch.arange(s.shape[1]))
        for ln1, att, ln2, ff in zip(self.ln1, self.att, self.ln2, self.ff):
            x = x + self.drop(att(ln1(x), mask=self.mask[: s.shape[1], : s.shape[1]]))
            x = x + self.drop(ff(ln2(x)))
        return self.out(self.ln(x))


# ---- Luna ------------------------------------------------------------------------------------------------------------


class _LunaLayer(nn.Module):
    """Luna's layer: the pack attention ``Y_p = Attn(P, X)`` onto the fixed-length sequence, the unpack attention
    ``Y_x = Attn(X, Y_p)`` back, ``X = LN(X + Y_x)``, ``P = LN(P + Y_p)``, then a GELU feed-forward of 4x with its
    residual LayerNorm (post-LN, as fairseq's)."""

    def __init__(self, d: int, heads: int, drop: float) -> None:
        super().__init__()
        self.pack, self.unpack = _Attention(d, heads), _Attention(d, heads)
        self.ln_x, self.ln_p, self.ln_f = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Dropout(drop), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        yp = self.pack(p, kv=x)
        yx = self.unpack(x, kv=yp)
        x, p = self.ln_x(x + self.drop(yx)), self.ln_p(p + self.drop(yp))
        return self.ln_f(x + self.drop(self.ff(x))), p


class Luna(nn.Module):
    """Luna (Ma et al. 2021, "Luna: linear unified nested attention"), narrowed as a text classifier: token
    embeddings of 64 times sqrt(64) plus sinusoidal positions, a learned packed sequence of 8 (N(0, 1/64) as the
    reference code's), two Luna layers of 4 heads, dropout 0.1, the mean of the final states into a linear
    classifier; Xavier-uniform Linears, zero biases (fairseq's), embeddings N(0, 1/64)."""

    def __init__(self, vocab: int = 64, n: int = 16, d: int = 64, classes: int = 4, layers: int = 2,
                 packed: int = 8, drop: float = 0.1) -> None:
        super().__init__()
        self.d = d
        self.emb = nn.Embedding(vocab, d)
        self.p = nn.Parameter(torch.randn(packed, d) * d ** -0.5)
        pos = torch.arange(n)[:, None] * torch.exp(-math.log(10000.0) * torch.arange(0, d, 2) / d)
        self.register_buffer("pe", torch.cat([pos.sin(), pos.cos()], 1))
        self.layers = nn.ModuleList([_LunaLayer(d, 4, drop) for _ in range(layers)])
        self.drop = nn.Dropout(drop)
        self.head = nn.Linear(d, classes)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)
                    nn.init.zeros_(m.bias)
            self.emb.weight.normal_(0, d ** -0.5)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.emb(s) * math.sqrt(self.d) + self.pe[: s.shape[1]])
        p = self.p.expand(s.shape[0], -1, -1)
        for layer in self.layers:
            x, p = layer(x, p)
        return self.head(x.mean(1))
