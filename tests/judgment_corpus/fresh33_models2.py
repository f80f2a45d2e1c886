"""Hand-written vision and text-classification models of the thirty-fourth held-out batch (``fresh33.py``): small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- CSPNet ----------------------------------------------------------------------------------------------------------


def _cbl(cin: int, cout: int, k: int, stride: int = 1, bn: bool = True) -> nn.Sequential:
    """Convolution, BatchNorm, LeakyReLU 0.1 (CSPNet's unit; ``bn=False``: no BatchNorm, the convolution biased)."""
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=not bn),
                         nn.BatchNorm2d(cout) if bn else nn.Identity(), nn.LeakyReLU(0.1))


class _CSPBottleneck(nn.Module):
    """A residual bottleneck (1x1 then 3x3, each conv-BN-LeakyReLU) added to its input."""

    def __init__(self, c: int, bn: bool) -> None:
        super().__init__()
        self.body = nn.Sequential(_cbl(c, c, 1, bn=bn), _cbl(c, c, 3, bn=bn))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class _CSPStage(nn.Module):
    """A cross-stage partial stage (Wang et al. 2020): a stride-2 downsampling conv, then the channels split in two by
    1x1 convs; one part goes through the residual bottlenecks and a 1x1 transition, the other skips them; the two
    are concatenated and fused by a 1x1 transition."""

    def __init__(self, cin: int, cout: int, blocks: int, bn: bool) -> None:
        super().__init__()
        h = cout // 2
        self.down = _cbl(cin, cout, 3, 2, bn)
        self.split_a, self.split_b = _cbl(cout, h, 1, bn=bn), _cbl(cout, h, 1, bn=bn)
        self.blocks = nn.Sequential(*[_CSPBottleneck(h, bn) for _ in range(blocks)], _cbl(h, h, 1, bn=bn))
        self.fuse = _cbl(2 * h, cout, 1, bn=bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.down(x)
        return self.fuse(torch.cat([self.blocks(self.split_a(x)), self.split_b(x)], 1))


class CSPNet(nn.Module):
    """A small CSPDarkNet-style classifier: a 3x3 stem of 16, three CSP stages (32, 64, 128 wide; 1, 2, 2
    bottlenecks), global average pooling and a linear head. ``bn``: the BatchNorms kept."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = _cbl(3, 16, 3, bn=bn)
        self.stages = nn.Sequential(_CSPStage(16, 32, 1, bn), _CSPStage(32, 64, 2, bn), _CSPStage(64, 128, 2, bn))
        self.head = nn.Linear(128, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)).mean((2, 3)))


# ---- VDCNN -----------------------------------------------------------------------------------------------------------


class _ConvBlock(nn.Module):
    """VDCNN's convolutional block: two (temporal conv 3, BatchNorm, ReLU); ``bn=False``: no BatchNorm."""

    def __init__(self, cin: int, cout: int, bn: bool) -> None:
        super().__init__()

        def norm() -> nn.Module:
            return nn.BatchNorm1d(cout) if bn else nn.Identity()
        self.body = nn.Sequential(nn.Conv1d(cin, cout, 3, padding=1), norm(), nn.ReLU(),
                                  nn.Conv1d(cout, cout, 3, padding=1), norm(), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class VDCNN(nn.Module):
    """The Very Deep CNN for text classification (Conneau et al. 2017), narrowed to depth 9: a character lookup of
    16, a temporal conv of 64, convolutional blocks at 64, 128, 256 with a stride-2 max-pool halving the length
    between them, k-max pooling (k 8) and an MLP 256-256 with ReLUs to the classes. ``bn``: the BatchNorms kept."""

    def __init__(self, vocab: int = 32, classes: int = 4, bn: bool = True, k: int = 8) -> None:
        super().__init__()
        self.k = k
        self.emb = nn.Embedding(vocab, 16)
        self.conv0 = nn.Conv1d(16, 64, 3, padding=1)
        self.blocks = nn.ModuleList([_ConvBlock(64, 64, bn), _ConvBlock(64, 128, bn), _ConvBlock(128, 256, bn)])
        self.head = nn.Sequential(nn.Linear(256 * k, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                                  nn.Linear(256, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv0(self.emb(x).transpose(1, 2))
        for i, blk in enumerate(self.blocks):
            if i > 0:
                h = F.max_pool1d(h, 3, 2, 1)
            h = blk(h)
        h = h.topk(self.k, -1).values  # k-max pooling (sorted by value; the paper keeps the positions' order)
        return self.head(h.flatten(1))


# ---- ConViT ----------------------------------------------------------------------------------------------------------


class GPSA(nn.Module):
    """ConViT's gated positional self-attention (d'Ascoli et al. 2021): per head, ``(1 - sigmoid(lambda))`` times
    the content softmax plus ``sigmoid(lambda)`` times a positional softmax over the relative offsets ``(dx, dy, dx^2
    + dy^2)``, its positional projection initialised local (each head centred on one offset, locality strength 1)
    and the gates at ``lambda = 1``."""

    def __init__(self, d: int, heads: int, grid: int) -> None:
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.qk, self.v, self.proj = nn.Linear(d, 2 * d, bias=False), nn.Linear(d, d, bias=False), nn.Linear(d, d)
        self.pos = nn.Linear(3, heads)
        self.gate = nn.Parameter(torch.ones(heads))
        ys, xs = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
        ys, xs = ys.flatten().float(), xs.flatten().float()
        dx, dy = xs[None] - xs[:, None], ys[None] - ys[:, None]
        self.register_buffer("rel", torch.stack([dx, dy, dx ** 2 + dy ** 2], -1))
        with torch.no_grad():  # local init: head h attends around the offset (cx, cy), locality strength 1
            k = int(heads ** 0.5)
            for hh in range(heads):
                cx, cy = hh % k - (k - 1) / 2, hh // k - (k - 1) / 2
                self.pos.weight[hh] = torch.tensor([2 * cx, 2 * cy, -1.0])
            self.pos.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k = self.qk(x).view(b, t, 2, self.h, self.dh).permute(2, 0, 3, 1, 4)
        v = self.v(x).view(b, t, self.h, self.dh).transpose(1, 2)
        content = (q @ k.transpose(-1, -2) / self.dh ** 0.5).softmax(-1)
        positional = self.pos(self.rel).permute(2, 0, 1).softmax(-1)[None]
        g = torch.sigmoid(self.gate)[None, :, None, None]
        att = (1 - g) * content + g * positional
        att = att / att.sum(-1, keepdim=True)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, d))


class _Block(nn.Module):
    def __init__(self, d: int, attn: nn.Module) -> None:
        super().__init__()
        self.n1, self.attn, self.n2 = nn.LayerNorm(d), attn, nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.n1(x))
        return x + self.mlp(self.n2(x))


class _MHSA(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x, need_weights=False)[0]


class ConViT(nn.Module):
    """A small ConViT: 4x4 patches of a 16x16 image (a 4x4 grid) embedded to 64 with learned positions, two GPSA
    blocks of four heads, then the class token appended and one plain self-attention block, a LayerNorm and a linear
    head on the class token."""

    def __init__(self, classes: int = 10, d: int = 64, heads: int = 4, patch: int = 4, size: int = 16) -> None:
        super().__init__()
        grid = size // patch
        self.patch = nn.Conv2d(3, d, patch, patch)
        self.pos = nn.Parameter(torch.zeros(1, grid * grid, d))
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.cls, std=0.02)
        self.local = nn.Sequential(*[_Block(d, GPSA(d, heads, grid)) for _ in range(2)])
        self.glob = _Block(d, _MHSA(d, heads))
        self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.patch(x).flatten(2).transpose(1, 2) + self.pos
        h = self.local(h)
        h = self.glob(torch.cat([self.cls.expand(h.shape[0], -1, -1), h], 1))
        return self.head(self.norm(h[:, 0]))
