"""Hand-written models of the fifty-seventh held-out batch (``fresh56.py``), language-model, text-matching and
vision-transformer ones: small versions of published architectures new to the corpus, each with the switches its
broken variants need (one fault each, off by default). The graph, VQ, VAE-flow and recurrent models are in
``fresh56_models2.py``."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class HandLayerNorm(nn.Module):
    """A user's own LayerNorm over the last axis, ``(x - mean) / sqrt(var + eps) * gain + bias``.
    ``by_variance``: the centred value divided by ``var + eps`` itself, the square root left out."""

    def __init__(self, d: int, eps: float = 1e-12, by_variance: bool = False) -> None:
        super().__init__()
        self.gain, self.bias = nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))
        self.eps, self.by_variance = eps, by_variance

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        den = var + self.eps if self.by_variance else (var + self.eps).sqrt()
        return (x - mu) / den * self.gain + self.bias


# ---- RealFormer ------------------------------------------------------------------------------------------------------


class _RealLayer(nn.Module):
    """A Post-LN Transformer layer with residual attention: the raw scores ``Q K^T / sqrt(d_h)`` plus the previous
    layer's raw scores go to the softmax and are handed on; GELU feed-forward of 4x; dropout 0.1."""

    def __init__(self, d: int, heads: int, by_variance: bool) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.ln1, self.ln2 = HandLayerNorm(d, by_variance=by_variance), HandLayerNorm(d, by_variance=by_variance)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, prev: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.dh)
        if prev is not None:
            scores = scores + prev
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        att = self.drop(scores.masked_fill(causal, float("-inf")).softmax(-1))
        x = self.ln1(x + self.drop(self.proj((att @ v).transpose(1, 2).reshape(b, t, d))))
        return self.ln2(x + self.drop(self.ff(x))), scores


class RealFormerLM(nn.Module):
    """RealFormer (He et al. 2021, "RealFormer: Transformer likes residual attention"), narrowed to a causal LM:
    token and learned position embeddings of 64 with a LayerNorm (eps 1e-12), four Post-LN residual-attention layers
    of 4 heads, the output tied to the token embedding; BERT's init, every Linear and embedding N(0, 0.02^2), biases
    zero. ``init_std``: that std instead; ``by_variance``: see :class:`HandLayerNorm` (unused, see ``fresh56.py``)."""

    def __init__(self, vocab: int = 64, length: int = 32, d: int = 48, layers: int = 3, heads: int = 4,
                 init_std: float = 0.02, by_variance: bool = False) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Embedding(length, d)
        self.ln = HandLayerNorm(d, by_variance=by_variance)
        self.layers = nn.ModuleList([_RealLayer(d, heads, by_variance) for _ in range(layers)])
        self.drop = nn.Dropout(0.1)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, init_std)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.ln(self.emb(s) + self.pos(torch.arange(s.shape[1]))))
        prev = None
        for layer in self.layers:
            x, prev = layer(x, prev)
        return x @ self.emb.weight.T


class FlippedReLU(torch.autograd.Function):
    """A user's memory-saving ReLU written from the PyTorch tutorial's ``MyReLU``, its backward's mask typed
    ``grad_input[x > 0] = 0`` where ``x < 0`` belongs: the gradient passes where the unit was off and is blocked
    where it was on."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        grad_input = grad.clone()
        grad_input[x > 0] = 0
        return grad_input


# ---- ARC-II ----------------------------------------------------------------------------------------------------------


class ARCII(nn.Module):
    """ARC-II (Hu et al. 2014, "Convolutional neural network architectures for matching natural language
    sentences"), narrowed: word embeddings of 32; layer 1 a 1-D convolution over every pair of 3-word windows of the
    two sentences (``W_x x_{i:i+3} + W_y y_{j:j+3} + b`` on the (i, j) grid, 32 maps, ReLU), 2x2 max pooling, a 3x3
    2-D convolution of 32 maps with ReLU and 2x2 max pooling, then an MLP of 64 (ReLU, dropout 0.5) to the two
    classes (MatchZoo's layout); PyTorch's default init. ``relu_bias``: both convolution layers' biases set to that
    value; ``extra``: that many more 3x3 convolutions of 32 maps with ReLU after the second (PyTorch's default init, no
    normalisation); ``relu``: ``"flipped"`` uses :class:`FlippedReLU` for every convolution's ReLU."""

    def __init__(self, vocab: int = 256, d: int = 32, maps: int = 32, length: int = 8,
                 relu_bias: float | None = None, extra: int = 0, relu: str = "torch") -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.cx, self.cy = nn.Conv1d(d, maps, 3, padding=1), nn.Conv1d(d, maps, 3, padding=1, bias=False)
        self.c2 = nn.Conv2d(maps, maps, 3, padding=1)
        self.extra = nn.ModuleList([nn.Conv2d(maps, maps, 3, padding=1) for _ in range(extra)])
        self.relu = F.relu if relu == "torch" else FlippedReLU.apply
        self.mlp = nn.Sequential(nn.Linear(maps * (length // 4) ** 2, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 2))
        if relu_bias is not None:
            nn.init.constant_(self.cx.bias, relu_bias)
            nn.init.constant_(self.c2.bias, relu_bias)

    def forward(self, pair: torch.Tensor) -> torch.Tensor:  # pair: b, 2, length
        x, y = self.emb(pair[:, 0]).transpose(1, 2), self.emb(pair[:, 1]).transpose(1, 2)
        grid = self.relu(self.cx(x)[:, :, :, None] + self.cy(y)[:, :, None, :])
        grid = self.relu(self.c2(F.max_pool2d(grid, 2)))
        for conv in self.extra:
            grid = self.relu(conv(grid))
        grid = F.max_pool2d(grid, 2)
        return self.mlp(grid.flatten(1))


# ---- DeepViT ---------------------------------------------------------------------------------------------------------


class _ReAttention(nn.Module):
    """Re-attention: the softmax attention maps mixed across the heads by a learnable ``Theta`` (heads x heads,
    N(0, 1) as the reference code), then a LayerNorm over the heads, before they weight the values."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.qkv, self.proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d)
        self.theta = nn.Parameter(torch.randn(heads, heads))
        self.norm = nn.LayerNorm(heads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2) / math.sqrt(self.dh)).softmax(-1)
        att = torch.einsum("bhij,hg->bgij", att, self.theta)
        att = self.norm(att.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.proj((att @ v).transpose(1, 2).reshape(b, n, d))


class DeepViT(nn.Module):
    """DeepViT (Zhou et al. 2021, "DeepViT: towards deeper vision transformer"), narrowed: 4x4 patches of 16x16
    images embedded to 64 with a class token and learned positions, six Pre-LN blocks of re-attention (4 heads) and a
    GELU MLP of 2x, a final LayerNorm and a Linear head on the class token; truncated-normal(0.02) Linears as the
    ViT/DeiT code, LayerNorms at 1 and 0. ``init_std``: the Linears' std instead (truncated at +-2)."""

    def __init__(self, classes: int = 10, d: int = 32, depth: int = 4, heads: int = 4, patch: int = 4,
                 size: int = 16, init_std: float = 0.02) -> None:
        super().__init__()
        n = (size // patch) ** 2
        self.embed = nn.Conv2d(3, d, patch, patch)
        self.cls, self.pos = nn.Parameter(torch.zeros(1, 1, d)), nn.Parameter(torch.zeros(1, n + 1, d))
        def ln() -> nn.Module:
            return nn.LayerNorm(d)

        self.blocks = nn.ModuleList([nn.ModuleList([ln(), _ReAttention(d, heads), ln(),
                                                    nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))])
                                     for _ in range(depth)])
        self.norm, self.head = ln(), nn.Linear(d, classes)
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.cls, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=init_std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = self.embed(img).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for n1, att, n2, mlp in self.blocks:
            x = x + att(n1(x))
            x = x + mlp(n2(x))
        return self.head(self.norm(x)[:, 0])


# ---- CeiT ------------------------------------------------------------------------------------------------------------


def _bn(c: int, on: bool, two_d: bool = False) -> nn.Module:
    if not on:
        return nn.Identity()
    return nn.BatchNorm2d(c) if two_d else nn.BatchNorm1d(c)


class _LeFF(nn.Module):
    """CeiT's locally-enhanced feed-forward on the patch tokens: a Linear to 4x with BatchNorm and GELU, the tokens
    restored to their grid for a 3x3 depth-wise convolution with BatchNorm and GELU, flattened back, a Linear down
    with BatchNorm and GELU; the class token passes by."""

    def __init__(self, d: int, side: int, bn: bool) -> None:
        super().__init__()
        self.side, e = side, 4 * d
        self.up, self.bn1 = nn.Linear(d, e), _bn(e, bn)
        self.dw, self.bn2 = nn.Conv2d(e, e, 3, padding=1, groups=e), _bn(e, bn, True)
        self.down, self.bn3 = nn.Linear(e, d), _bn(d, bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cls, p = x[:, :1], x[:, 1:]
        b = p.shape[0]
        h = F.gelu(self.bn1(self.up(p).transpose(1, 2)))  # b, e, n
        h = F.gelu(self.bn2(self.dw(h.reshape(b, -1, self.side, self.side)))).flatten(2)
        h = F.gelu(self.bn3(self.down(h.transpose(1, 2)).transpose(1, 2))).transpose(1, 2)
        return torch.cat([cls, h], 1)


class CeiT(nn.Module):
    """CeiT (Yuan et al. 2021, "Incorporating convolution designs into visual transformers"), narrowed to 16x16
    images: the image-to-tokens stem (a 3x3 convolution of 32 maps with BatchNorm and a 2x2 max pooling; 2x2 patches of
    its 8x8 map embedded to 64), a class token, four Pre-LN blocks of multi-head self-attention (4 heads) and the
    LeFF, a LayerNorm and a Linear head on the class token (the layer-wise class-token attention left out);
    truncated-normal(0.02) Linears. ``bn``: every BatchNorm kept (False: left out; unused, see ``fresh56.py``)."""

    def __init__(self, classes: int = 10, d: int = 32, depth: int = 3, heads: int = 4, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), _bn(32, bn, True), nn.MaxPool2d(2))
        self.embed = nn.Linear(32 * 4, d)
        self.cls, self.pos = nn.Parameter(torch.zeros(1, 1, d)), nn.Parameter(torch.zeros(1, 17, d))
        self.blocks = nn.ModuleList([nn.ModuleList([nn.LayerNorm(d), nn.MultiheadAttention(d, heads, batch_first=True),
                                                    nn.LayerNorm(d), _LeFF(d, 4, bn)]) for _ in range(depth)])
        self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, classes)
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.cls, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        f = self.stem(img)  # b, 32, 8, 8
        x = F.unfold(f, 2, stride=2).transpose(1, 2)  # b, 16, 128
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), self.embed(x)], 1) + self.pos
        for n1, att, n2, leff in self.blocks:
            h = n1(x)
            x = x + att(h, h, h, need_weights=False)[0]
            x = x + leff(n2(x))
        return self.head(self.norm(x)[:, 0])
