"""Hand-written models of the seventy-third held-out batch (``fresh72.py``), the vision and language transformers:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The speech, time-series and graph transformers are in ``fresh72_models2.py``."""

from __future__ import annotations

import math

import torch
from torch import nn


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
           softmax_dim: int = -1, mask_after: bool = False) -> torch.Tensor:
    """Hand-written scaled dot-product attention over ``(b, heads, t, dh)`` tensors; ``mask`` is boolean, True where
    a key is blocked, filled with ``-inf`` before the softmax. ``softmax_dim``: the axis the softmax normalises (-1,
    the keys, is right; 1 is the heads' axis of the 4-d scores); ``mask_after``: the ``masked_fill(mask, -inf)``
    line placed below the softmax, on the probabilities, instead of above it."""
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None and not mask_after:
        s = s.masked_fill(mask, float("-inf"))
    a = s.softmax(softmax_dim)
    if mask is not None and mask_after:
        a = a.masked_fill(mask, float("-inf"))
    return a @ v


class MHA(nn.Module):
    """Multi-head attention with separate q, k, v, out projections over :func:`attend` (self- or cross-)."""

    def __init__(self, d: int, heads: int, softmax_dim: int = -1, mask_after: bool = False) -> None:
        super().__init__()
        self.h, self.softmax_dim, self.mask_after = heads, softmax_dim, mask_after
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x: torch.Tensor, mem: torch.Tensor | None = None, mask: torch.Tensor | None = None
                ) -> torch.Tensor:
        mem = x if mem is None else mem
        b, t, d = x.shape

        def split(z: torch.Tensor) -> torch.Tensor:
            return z.view(b, -1, self.h, d // self.h).transpose(1, 2)
        y = attend(split(self.q(x)), split(self.k(mem)), split(self.v(mem)), mask, self.softmax_dim, self.mask_after)
        return self.o(y.transpose(1, 2).reshape(b, t, d))


def causal_mask(t: int) -> torch.Tensor:
    """True above the diagonal: position i may not attend to j > i."""
    return torch.ones(t, t, dtype=torch.bool).triu(1)


def sinusoids(t: int, d: int) -> torch.Tensor:
    pos = torch.arange(t).float()[:, None]
    inv = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2).float() / d)
    return torch.cat([torch.sin(pos * inv), torch.cos(pos * inv)], 1)


# ---- DaViT -----------------------------------------------------------------------------------------------------------


class _ChannelAttention(nn.Module):
    """DaViT's channel group attention: the tokens' channels split into ``groups`` groups, ``softmax((q * N^-0.5)^T
    k)`` over channels, applied to ``v``'s channels (the reference code's)."""

    def __init__(self, d: int, groups: int) -> None:
        super().__init__()
        self.g, self.qkv, self.proj = groups, nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.g, c // self.g).permute(2, 0, 3, 1, 4)
        a = ((q * n ** -0.5).transpose(-1, -2) @ k).softmax(-1)
        return self.proj((a @ v.transpose(-1, -2)).transpose(-1, -2).transpose(1, 2).reshape(b, n, c))


class _WindowAttention(nn.Module):
    """DaViT's spatial window attention: multi-head self-attention within non-overlapping ``w x w`` windows."""

    def __init__(self, d: int, heads: int, w: int) -> None:
        super().__init__()
        self.w, self.attn = w, MHA(d, heads)

    def forward(self, x: torch.Tensor, hw: int) -> torch.Tensor:
        b, n, c = x.shape
        w, m = self.w, hw // self.w
        z = x.view(b, m, w, m, w, c).permute(0, 1, 3, 2, 4, 5).reshape(b * m * m, w * w, c)
        z = self.attn(z).view(b, m, m, w, w, c).permute(0, 1, 3, 2, 4, 5)
        return z.reshape(b, n, c)


class _DualBlock(nn.Module):
    """A DaViT dual block: a spatial block then a channel block, each ``x + CPE(x)`` (a depthwise 3x3 conv), then
    ``x + Attn(LN(x))`` and ``x + MLP(LN(x))`` (GELU, 4x)."""

    def __init__(self, d: int, heads: int, w: int) -> None:
        super().__init__()
        self.cpe = nn.ModuleList([nn.Conv2d(d, d, 3, padding=1, groups=d) for _ in range(4)])
        self.ln = nn.ModuleList([nn.LayerNorm(d) for _ in range(4)])
        self.spatial, self.channel = _WindowAttention(d, heads, w), _ChannelAttention(d, heads)
        self.mlp = nn.ModuleList([nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d)) for _ in range(2)])

    def _cpe(self, i: int, x: torch.Tensor, hw: int) -> torch.Tensor:
        b, _, c = x.shape
        return x + self.cpe[i](x.transpose(1, 2).reshape(b, c, hw, hw)).flatten(2).transpose(1, 2)

    def forward(self, x: torch.Tensor, hw: int) -> torch.Tensor:
        x = self._cpe(0, x, hw)
        x = x + self.spatial(self.ln[0](x), hw)
        x = self._cpe(1, x, hw)
        x = x + self.mlp[0](self.ln[1](x))
        x = self._cpe(2, x, hw)
        x = x + self.channel(self.ln[2](x))
        x = self._cpe(3, x, hw)
        return x + self.mlp[1](self.ln[3](x))


class DaViT(nn.Module):
    """DaViT (Ding et al. 2022, "DaViT: Dual Attention Vision Transformers"), narrowed: a 3x3 stride-2 patch
    embedding to 8x8 tokens of 32 with LayerNorm, one dual block (window 4, 2 heads and 2 channel groups), a 2x2
    stride-2 patch merging to 4x4 tokens of 64, one dual block (window 4, 4 heads and groups), global average pooling,
    LayerNorm and the head; Linears truncated-normal std 0.02 with zero biases, as the reference code (convolutions at
    PyTorch's default). ``init_std``: every Linear drawn N(0, init_std^2) instead."""

    def __init__(self, classes: int = 10, dims: tuple[int, int] = (32, 64), init_std: float | None = None) -> None:
        super().__init__()
        self.stem, self.ln0 = nn.Conv2d(3, dims[0], 3, 2, 1), nn.LayerNorm(dims[0])
        self.block1, self.block2 = _DualBlock(dims[0], 2, 4), _DualBlock(dims[1], 4, 4)
        self.ln1, self.merge = nn.LayerNorm(dims[0]), nn.Conv2d(dims[0], dims[1], 2, 2)
        self.norm, self.head = nn.LayerNorm(dims[1]), nn.Linear(dims[1], classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                if init_std is None:
                    nn.init.trunc_normal_(m.weight, std=0.02)
                else:
                    nn.init.normal_(m.weight, 0.0, init_std)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.ln0(self.stem(x).flatten(2).transpose(1, 2))
        x = self.ln1(self.block1(x, 8))
        b, _, c = x.shape
        x = self.merge(x.transpose(1, 2).reshape(b, c, 8, 8)).flatten(2).transpose(1, 2)
        return self.head(self.norm(self.block2(x, 4).mean(1)))


# ---- Macaron Net -----------------------------------------------------------------------------------------------------


class _MacaronLayer(nn.Module):
    """Macaron layer (post-LN, as the paper's fairseq Transformer): ``x = LN(x + 1/2 FFN(x))``, ``x = LN(x +
    Attn(x))``, ``x = LN(x + 1/2 FFN(x))``; ReLU feed-forwards of 4x, dropout 0.1."""

    def __init__(self, d: int, heads: int, softmax_dim: int) -> None:
        super().__init__()
        self.attn = MHA(d, heads, softmax_dim=softmax_dim)
        self.ff = nn.ModuleList([nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4 * d, d))
                                 for _ in range(2)])
        self.ln = nn.ModuleList([nn.LayerNorm(d) for _ in range(3)])
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.ln[0](x + 0.5 * self.drop(self.ff[0](x)))
        x = self.ln[1](x + self.drop(self.attn(x, mask=mask)))
        return self.ln[2](x + 0.5 * self.drop(self.ff[1](x)))


class MacaronLM(nn.Module):
    """Macaron Net (Lu et al. 2019, "Understanding and improving Transformer from a multi-particle dynamic system
    point of view"), narrowed to a causal LM: embeddings of 64 times sqrt(d) plus sinusoids, dropout 0.1, two Macaron
    layers of 4 heads, the output tied to the embedding; fairseq's init (Xavier-uniform Linears with zero biases,
    embeddings N(0, d^-1)). ``init_std``: every Linear and the embedding drawn N(0, init_std^2) instead;
    ``softmax_dim``: see :func:`attend`."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, heads: int = 4, init_std: float | None = None,
                 softmax_dim: int = -1) -> None:
        super().__init__()
        self.d, self.emb, self.drop = d, nn.Embedding(vocab, d), nn.Dropout(0.1)
        self.layers = nn.ModuleList([_MacaronLayer(d, heads, softmax_dim) for _ in range(layers)])
        for m in self.modules():
            if isinstance(m, nn.Linear):
                if init_std is None:
                    nn.init.xavier_uniform_(m.weight)
                else:
                    nn.init.normal_(m.weight, 0.0, init_std)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.emb.weight, 0.0, d ** -0.5 if init_std is None else init_std)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        t = s.shape[1]
        x = self.drop(self.emb(s) * math.sqrt(self.d) + sinusoids(t, self.d))
        for layer in self.layers:
            x = layer(x, causal_mask(t))
        return x @ self.emb.weight.T


# ---- DeepNet ---------------------------------------------------------------------------------------------------------


class _DeepNormLayer(nn.Module):
    """A DeepNet decoder layer: ``x = LN(alpha x + Attn(x))``, ``x = LN(alpha x + FFN(x))`` (GELU, 4x), dropout 0.1;
    ``ln=False``: the LayerNorms left out."""

    def __init__(self, d: int, heads: int, alpha: float, mask_after: bool, ln: bool) -> None:
        super().__init__()
        self.alpha, self.attn = alpha, MHA(d, heads, mask_after=mask_after)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.ln1 = nn.LayerNorm(d) if ln else nn.Identity()
        self.ln2 = nn.LayerNorm(d) if ln else nn.Identity()
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.ln1(self.alpha * x + self.drop(self.attn(x, mask=mask)))
        return self.ln2(self.alpha * x + self.drop(self.ff(x)))


class DeepNetLM(nn.Module):
    """DeepNet (Wang et al. 2022, "DeepNet: scaling Transformers to 1,000 layers"), narrowed to a causal LM: token and
    learned position embeddings of 64, ``layers`` Post-LN layers with DeepNorm, ``alpha = (2 N)^(1/4)`` on the
    residual and the feed-forward, value and output projections Xavier-normal with gain ``beta = (8 N)^(-1/4)`` (the
    queries and keys with gain 1), the decoder-only constants; a final Linear to the vocabulary.
    ``deepnorm=False``: the plain Post-LN Transformer (alpha 1, every gain 1); ``ln``: see :class:`_DeepNormLayer`;
    ``mask_after``: see :func:`attend`."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 4, heads: int = 4, length: int = 32,
                 deepnorm: bool = True, ln: bool = True, mask_after: bool = False) -> None:
        super().__init__()
        alpha, beta = ((2 * layers) ** 0.25, (8 * layers) ** -0.25) if deepnorm else (1.0, 1.0)
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Embedding(length, d)
        self.layers = nn.ModuleList([_DeepNormLayer(d, heads, alpha, mask_after, ln) for _ in range(layers)])
        self.out = nn.Linear(d, vocab)
        for layer in self.layers:
            for m in (layer.attn.q, layer.attn.k):
                nn.init.xavier_normal_(m.weight)
            for m in (layer.attn.v, layer.attn.o, layer.ff[0], layer.ff[2]):
                nn.init.xavier_normal_(m.weight, gain=beta)
            for m in (layer.attn.q, layer.attn.k, layer.attn.v, layer.attn.o, layer.ff[0], layer.ff[2]):
                nn.init.zeros_(m.bias)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        t = s.shape[1]
        x = self.emb(s) + self.pos(torch.arange(t))
        for layer in self.layers:
            x = layer(x, causal_mask(t))
        return self.out(x)


# ---- Block-Recurrent Transformer -------------------------------------------------------------------------------------


class BlockRecurrent(nn.Module):
    """The Block-Recurrent Transformer (Hutchins et al. 2022), narrowed to a sequence classifier: the sequence read in
    segments of 8 tokens (embeddings of 32 plus learned positions within the segment); each segment's tokens
    self-attend and cross-attend to the recurrent state of 4 vectors (2 heads; the vertical direction, pre-LN, a GELU
    MLP of 2x); the state's vectors cross-attend to the segment's tokens, and the projected result ``z`` enters the
    state through the paper's fixed gate, ``S = g * S + (1 - g) * tanh(z)`` with ``g = sigmoid(b)`` per dimension,
    ``b`` learned from ``gate_bias`` (1, set here; +10 freezes the state at its start); the state starts from a
    learned vector; the classifier reads the mean of the last state. PyTorch's default init."""

    def __init__(self, vocab: int = 32, classes: int = 4, d: int = 32, seg: int = 8, slots: int = 4, heads: int = 2,
                 gate_bias: float = 1.0) -> None:
        super().__init__()
        self.seg, self.emb, self.pos = seg, nn.Embedding(vocab, d), nn.Parameter(0.02 * torch.randn(seg, d))
        self.s0 = nn.Parameter(0.02 * torch.randn(slots, d))
        self.ln = nn.ModuleList([nn.LayerNorm(d) for _ in range(5)])
        self.self_attn, self.cross, self.read = MHA(d, heads), MHA(d, heads), MHA(d, heads)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.z = nn.Linear(d, d)
        self.gate = nn.Parameter(torch.full((d,), gate_bias))
        self.head = nn.Linear(d, classes)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        b = s.shape[0]
        state = self.s0.expand(b, -1, -1)
        for x in (self.emb(s) + self.pos.repeat(s.shape[1] // self.seg, 1)).split(self.seg, 1):
            x = x + self.self_attn(self.ln[0](x))
            x = x + self.cross(self.ln[1](x), self.ln[2](state))
            x = x + self.mlp(self.ln[3](x))
            g = torch.sigmoid(self.gate)
            state = g * state + (1 - g) * torch.tanh(self.z(self.read(self.ln[4](state), x)))
        return self.head(state.mean(1))
