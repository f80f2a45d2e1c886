"""Models, data and builders of the seventy-fourth held-out batch (``fresh73.py``): vision models new to the corpus
(a CNN, a vision transformer, a recurrent image classifier, a detection head, a segmentation head, a super-resolution
network and two pose heads) at their usual settings, each with the switches its broken variants need (one fault each,
off by default). Written and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned
on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(730_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7300 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16, classes: int = 10, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``; ``shuffled``: the labels permuted within every batch, apart from their images."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 16, classes: int = 4, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Segmentation scenes: each image cut into four rectangles at a random point (rows and columns 4 to 12), each
    rectangle a random one of 4 classes, painted with its class's fixed colour and texture (a fixed 3x16x16 pattern per
    class) plus N(0, 0.8^2) noise: ``(images (b, 3, 16, 16), label maps (b, 16, 16))``; the classes are equally
    frequent. ``shuffled``: the label maps permuted within every batch, apart from their images."""
    tex = 0.5 * F.interpolate(torch.randn(classes, 3, 8, 8, generator=_fixed(2)), size=(size, size), mode="bilinear",
                              align_corners=False)
    colour = 1.2 * torch.randn(classes, 3, 1, 1, generator=_fixed(3))
    paint = colour + tex
    rows = torch.arange(size)

    def make(g: torch.Generator, _: int) -> Any:
        r = torch.randint(4, 13, (batch, 1, 1), generator=g)
        c = torch.randint(4, 13, (batch, 1, 1), generator=g)
        quad = (rows[None, :, None] >= r).long() * 2 + (rows[None, None, :] >= c).long()
        cls = torch.randint(0, classes, (batch, 4), generator=g)
        lab = torch.gather(cls, 1, quad.flatten(1)).view(batch, size, size)
        x = torch.gather(paint, 0, lab[:, None].expand(-1, 3, -1, -1)) + 0.8 * torch.randn(batch, 3, size, size,
                                                                                           generator=g)
        return x, lab[torch.randperm(batch, generator=g)] if shuffled else lab
    return _pool(seed, make)


def boxes(seed: int, batch: int = 16, size: int = 24, classes: int = 3) -> Callable[[int], Any]:
    """Detection scenes: two squares per image (sides 5 to 9 pixels, anywhere), each of one of 3 classes painted in
    its class's fixed colour, on N(0, 0.6^2) noise: ``(images (b, 3, 24, 24), (classes (b, 2), boxes (b, 2, 4)))``,
    the boxes ``(cx, cy, w, h)`` normalised to [0, 1] as DETR's."""
    colour = 1.5 * torch.randn(classes, 3, generator=_fixed(4))

    def make(g: torch.Generator, _: int) -> Any:
        x = 0.6 * torch.randn(batch, 3, size, size, generator=g)
        y = torch.randint(0, classes, (batch, 2), generator=g)
        side = torch.randint(5, 10, (batch, 2), generator=g)
        bx = torch.zeros(batch, 2, 4)
        for i in range(batch):
            for j in range(2):
                s = int(side[i, j])
                r0, c0 = (int(v) for v in torch.randint(0, size - s + 1, (2,), generator=g))
                x[i, :, r0:r0 + s, c0:c0 + s] += colour[y[i, j]][:, None, None]
                bx[i, j] = torch.tensor([(c0 + s / 2) / size, (r0 + s / 2) / size, s / size, s / size])
        return x, (y, bx)
    return _pool(seed, make)


def _fields(g: torch.Generator, n: int, size: int) -> torch.Tensor:
    """``n`` smooth random intensity images in [0, 1]: 4x4 and 8x8 random fields upsampled bicubically to
    ``size`` x ``size`` and squashed by a sigmoid (blobs and soft edges)."""
    a = F.interpolate(torch.randn(n, 1, 4, 4, generator=g), size=(size, size), mode="bicubic", align_corners=False)
    b = F.interpolate(torch.randn(n, 1, 8, 8, generator=g), size=(size, size), mode="bicubic", align_corners=False)
    return torch.sigmoid(2.0 * a + 1.0 * b)


def sr_pairs(seed: int, batch: int = 16, size: int = 16, flat: int = 2, noise: float = 0.03) -> Callable[[int], Any]:
    """Super-resolution pairs x2 of single-channel (luminance) intensities in [0, 1]: HR 16x16 crops of smooth random
    fields, LR = the HR crop average-pooled 2x2 plus N(0, ``noise``^2) sensor noise: ``(LR (b, 1, 8, 8), HR (b, 1,
    16, 16))``. ``flat``: that many crops of every batch are flat (a sky or a wall: one grey level, no noise, as
    real crops of such regions are once quantised)."""
    def make(g: torch.Generator, _: int) -> Any:
        hr = _fields(g, batch, size)
        idx = torch.randperm(batch, generator=g)[:flat]
        hr[idx] = torch.rand(flat, 1, 1, 1, generator=g) * 0.8 + 0.1
        lr = F.avg_pool2d(hr, 2)
        lr = lr + noise * torch.randn(lr.shape, generator=g)
        lr[idx] = hr[idx, :, ::2, ::2]
        return lr, hr
    return _pool(seed, make)


def keypoints(seed: int, batch: int = 16, size: int = 16, k: int = 4) -> Callable[[int], Any]:
    """Pose images: 4 keypoints uniform in [1, 15) (columns and rows), each drawn as a Gaussian spot (sigma 1) in its
    keypoint's fixed colour, on N(0, 0.5^2) noise: ``(images (b, 3, 16, 16), keypoints (b, 4, 2))``, the keypoints
    ``(x, y)`` = (column, row) in pixels."""
    colour = 2.0 * F.normalize(torch.randn(k, 3, generator=_fixed(5)), dim=1)
    grid = torch.arange(size).float()

    def make(g: torch.Generator, _: int) -> Any:
        kp = 1 + 14 * torch.rand(batch, k, 2, generator=g)
        gx = torch.exp(-(grid[None, None] - kp[..., 0:1]) ** 2 / 2)  # (b, k, w)
        gy = torch.exp(-(grid[None, None] - kp[..., 1:2]) ** 2 / 2)  # (b, k, h)
        spots = gy[..., :, None] * gx[..., None, :]  # (b, k, h, w)
        x = torch.einsum("bkhw,kc->bchw", spots, colour) + 0.5 * torch.randn(batch, 3, size, size, generator=g)
        return x, kp
    return _pool(seed, make)


def heatmaps(kp: torch.Tensor, size: int = 8, stride: int = 2, sigma: float = 0.75, meshgrid_slip: bool = False
             ) -> torch.Tensor:
    """Gaussian belief maps ``(b, k, size, size)`` at the keypoints ``(x, y)`` (pixels of the image, ``stride`` to a
    map cell), peak 1, built with ``torch.meshgrid`` as ``xs, ys = torch.meshgrid(arange(w), arange(h),
    indexing="xy")``: ``xs`` varies along the columns. ``meshgrid_slip``: the same line without ``indexing="xy"``,
    NumPy's default carried over; torch's default is ``"ij"``, so ``xs`` varies along the rows and every map is
    the transpose of the right one (a keypoint at column x, row y peaks at row x, column y; the square maps hide it)."""
    r = torch.arange(size).float()
    if meshgrid_slip:
        xs, ys = torch.meshgrid(r, r, indexing="ij")
    else:
        xs, ys = torch.meshgrid(r, r, indexing="xy")
    c = (kp - (stride - 1) / 2) / stride  # pixel centres to map cells
    d2 = (xs - c[..., 0, None, None]) ** 2 + (ys - c[..., 1, None, None]) ** 2
    return torch.exp(-d2 / (2 * sigma ** 2))


# ---- CondConv --------------------------------------------------------------------------------------------------------


class CondConv2d(nn.Module):
    """CondConv (Yang et al. 2019): ``E`` expert kernels mixed per example by routing weights ``sigmoid(FC(GAP(x)))``,
    ``W_b = sum_e r_be W_e``, applied as one grouped convolution over the batch (the reference code's batching)."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, experts: int = 4) -> None:
        super().__init__()
        self.cin, self.cout, self.k, self.stride, self.groups = cin, cout, k, stride, groups
        self.weight = nn.Parameter(torch.empty(experts, cout, cin // groups, k, k))
        self.route = nn.Linear(cin, experts)
        for e in range(experts):
            nn.init.kaiming_normal_(self.weight[e], mode="fan_out")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        r = torch.sigmoid(self.route(x.mean((2, 3))))
        wb = (r @ self.weight.flatten(1)).view(b * self.cout, self.cin // self.groups, self.k, self.k)
        out = F.conv2d(x.reshape(1, b * c, h, w), wb, stride=self.stride, padding=self.k // 2, groups=b * self.groups)
        return out.view(b, self.cout, out.shape[-2], out.shape[-1])


class _CondBlock(nn.Module):
    """MobileNetV2's inverted residual with every convolution a CondConv (the paper's CondConv-MobileNetV2): 1x1
    expansion x4, 3x3 depthwise, 1x1 projection, BatchNorm after each, ReLU6, the residual where shapes allow."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool) -> None:
        super().__init__()
        mid = 4 * cin
        self.res = stride == 1 and cin == cout
        self.convs = nn.ModuleList([CondConv2d(cin, mid, 1), CondConv2d(mid, mid, 3, stride, groups=mid),
                                    CondConv2d(mid, cout, 1)])
        self.bns = nn.ModuleList([nn.BatchNorm2d(n) if bn else nn.Identity() for n in (mid, mid, cout)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.bns[0](self.convs[0](x)))
        y = F.relu6(self.bns[1](self.convs[1](y)))
        y = self.bns[2](self.convs[2](y))
        return x + y if self.res else y


class CondConvNet(nn.Module):
    """CondConv-MobileNetV2 (Yang et al. 2019, "CondConv: Conditionally Parameterized Convolutions for Efficient
    Inference"), narrowed: a 3x3 stem of 16 with BatchNorm and ReLU6, four CondConv inverted residual blocks (16, 24
    stride 2, 24, 32 stride 2) of 4 experts each, a 1x1 head of 64, global average pooling, dropout 0.2 and the
    classifier; Kaiming-normal (fan-out) convolutions as torchvision's MobileNetV2. ``bn``: the BatchNorms (off:
    identities); ``zero_init``: every convolution, routing and classifier weight and bias zero."""

    def __init__(self, classes: int = 10, bn: bool = True, zero_init: bool = False) -> None:
        super().__init__()
        norm = nn.BatchNorm2d if bn else (lambda n: nn.Identity())
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), norm(16), nn.ReLU6())
        self.blocks = nn.Sequential(_CondBlock(16, 16, 1, bn), _CondBlock(16, 24, 2, bn), _CondBlock(24, 24, 1, bn),
                                    _CondBlock(24, 32, 2, bn))
        self.head = nn.Sequential(nn.Conv2d(32, 64, 1, bias=False), norm(64), nn.ReLU6())
        self.drop, self.fc = nn.Dropout(0.2), nn.Linear(64, classes)
        nn.init.kaiming_normal_(self.stem[0].weight, mode="fan_out")
        nn.init.kaiming_normal_(self.head[0].weight, mode="fan_out")
        nn.init.normal_(self.fc.weight, 0.0, 0.01)
        nn.init.zeros_(self.fc.bias)
        if zero_init:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear, CondConv2d)):
                    for p in m.parameters(recurse=False):
                        nn.init.zeros_(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(self.drop(x.mean((2, 3))))


# ---- MaxViT ----------------------------------------------------------------------------------------------------------


class _RelAttention(nn.Module):
    """Multi-head self-attention over ``(n, p*p, d)`` windows with MaxViT's learned relative position bias."""

    def __init__(self, d: int, heads: int, p: int) -> None:
        super().__init__()
        self.h, self.qkv, self.proj = heads, nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.table = nn.Parameter(torch.zeros(heads, (2 * p - 1) ** 2))
        nn.init.trunc_normal_(self.table, std=0.02)
        c = torch.stack(torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")).flatten(1)
        rel = (c[:, :, None] - c[:, None, :]) + p - 1
        self.register_buffer("index", rel[0] * (2 * p - 1) + rel[1], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, d = x.shape
        q, k, v = self.qkv(x).view(n, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        s = q @ k.transpose(-2, -1) / math.sqrt(d // self.h) + self.table[:, self.index]
        return self.proj((s.softmax(-1) @ v).transpose(1, 2).reshape(n, t, d))


class _PartitionAttention(nn.Module):
    """MaxViT's block (``grid=False``: p x p local windows) or grid (``grid=True``: a p x p grid of tokens spread
    over the whole map) attention, pre-LN, each followed by a pre-LN GELU MLP of 4x; both residual."""

    def __init__(self, d: int, heads: int, p: int, grid: bool) -> None:
        super().__init__()
        self.p, self.grid = p, grid
        self.ln1, self.attn = nn.LayerNorm(d), _RelAttention(d, heads, p)
        self.ln2, self.mlp = nn.LayerNorm(d), nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, h, w, d)
        b, h, w, d = x.shape
        p = self.p
        if self.grid:
            z = x.view(b, p, h // p, p, w // p, d).permute(0, 2, 4, 1, 3, 5).reshape(-1, p * p, d)
        else:
            z = x.view(b, h // p, p, w // p, p, d).permute(0, 1, 3, 2, 4, 5).reshape(-1, p * p, d)
        z = self.attn(self.ln1(z))
        if self.grid:
            z = z.view(b, h // p, w // p, p, p, d).permute(0, 3, 1, 4, 2, 5).reshape(b, h, w, d)
        else:
            z = z.view(b, h // p, w // p, p, p, d).permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, d)
        x = x + z
        return x + self.mlp(self.ln2(x))


class _MBConv(nn.Module):
    """MaxViT's MBConv: pre-BatchNorm, 1x1 expansion x4, BatchNorm, GELU, 3x3 depthwise (stride), BatchNorm, GELU,
    squeeze-excitation (0.25), 1x1 projection; the shortcut pooled and projected when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        mid = 4 * cin
        self.body = nn.Sequential(nn.BatchNorm2d(cin), nn.Conv2d(cin, mid, 1), nn.BatchNorm2d(mid), nn.GELU(),
                                  nn.Conv2d(mid, mid, 3, stride, 1, groups=mid), nn.BatchNorm2d(mid), nn.GELU())
        self.se = nn.Sequential(nn.Linear(mid, mid // 16), nn.SiLU(), nn.Linear(mid // 16, mid), nn.Sigmoid())
        self.proj = nn.Conv2d(mid, cout, 1)
        self.short = (nn.Identity() if stride == 1 and cin == cout else
                      nn.Sequential(nn.AvgPool2d(stride), nn.Conv2d(cin, cout, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        y = y * self.se(y.mean((2, 3)))[:, :, None, None]
        return self.short(x) + self.proj(y)


class MaxViT(nn.Module):
    """MaxViT (Tu et al. 2022, "MaxViT: Multi-Axis Vision Transformer"), narrowed: a stem of two 3x3 convolutions
    (stride 2) to 8x8 maps of 32, two MaxViT blocks (MBConv, block attention, grid attention) of 32 (window and grid
    4, 2 heads) and of 64 (stride 2 to 4x4; window and grid 2, 4 heads), global average pooling, LayerNorm and the
    head; Linears truncated-normal 0.02 with zero biases (the reference code's)."""

    def __init__(self, classes: int = 10, dims: tuple[int, int] = (32, 64)) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], 3, 2, 1), nn.BatchNorm2d(dims[0]), nn.GELU(),
                                  nn.Conv2d(dims[0], dims[0], 3, 1, 1))
        self.mb = nn.ModuleList([_MBConv(dims[0], dims[0], 1), _MBConv(dims[0], dims[1], 2)])
        self.att = nn.ModuleList([nn.Sequential(_PartitionAttention(dims[0], 2, 4, False),
                                                _PartitionAttention(dims[0], 2, 4, True)),
                                  nn.Sequential(_PartitionAttention(dims[1], 4, 2, False),
                                                _PartitionAttention(dims[1], 4, 2, True))])
        self.norm, self.head = nn.LayerNorm(dims[1]), nn.Linear(dims[1], classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for mb, att in zip(self.mb, self.att):
            x = att(mb(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.head(self.norm(x.mean((2, 3))))


# ---- DETR ------------------------------------------------------------------------------------------------------------


def _sine_pos(h: int, w: int, d: int) -> torch.Tensor:
    """DETR's 2-D sine positional encoding (normalised, temperature 10000), ``(h * w, d)``."""
    ys, xs = torch.meshgrid(torch.arange(1, h + 1).float() / h * 2 * math.pi,
                            torch.arange(1, w + 1).float() / w * 2 * math.pi, indexing="ij")
    dim_t = 10000 ** (2 * (torch.arange(d // 2) // 2) / (d // 2))
    px, py = xs.flatten()[:, None] / dim_t, ys.flatten()[:, None] / dim_t
    px = torch.stack([px[:, 0::2].sin(), px[:, 1::2].cos()], 2).flatten(1)
    py = torch.stack([py[:, 0::2].sin(), py[:, 1::2].cos()], 2).flatten(1)
    return torch.cat([py, px], 1)


class DETR(nn.Module):
    """DETR (Carion et al. 2020, "End-to-End Object Detection with Transformers"), narrowed: a small CNN backbone
    (two 3x3 stride-2 convolutions with BatchNorm and ReLU, 24x24 -> 6x6 maps of 64), the 1x1 input projection to
    64, the sine positional encoding added to the memory, one post-LN encoder layer and two post-LN decoder layers
    (4 heads, feed-forward 128, ReLU, dropout 0.1; PyTorch's layers, batch first) over 6 learned object queries (the
    queries given as the decoder's input), the class head (3 classes + "no object") and the 3-layer box MLP with a
    sigmoid; Xavier-uniform transformer weights, as the reference code."""

    def __init__(self, classes: int = 3, d: int = 64, queries: int = 6) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
                                      nn.Conv2d(32, 64, 3, 2, 1), nn.BatchNorm2d(64), nn.ReLU())
        self.proj = nn.Conv2d(64, d, 1)
        self.enc = nn.TransformerEncoderLayer(d, 4, 128, 0.1, batch_first=True)
        self.dec = nn.ModuleList([nn.TransformerDecoderLayer(d, 4, 128, 0.1, batch_first=True) for _ in range(2)])
        self.query = nn.Parameter(torch.randn(queries, d))
        self.cls = nn.Linear(d, classes + 1)
        self.box = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d), nn.ReLU(), nn.Linear(d, 4))
        for layer in [self.enc, *self.dec]:
            for p in layer.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
        self.register_buffer("pos", _sine_pos(6, 6, d), persistent=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.proj(self.backbone(x)).flatten(2).transpose(1, 2)
        mem = self.enc(f + self.pos)
        q = self.query.expand(x.shape[0], -1, -1)
        for layer in self.dec:
            q = layer(q, mem)
        return self.cls(q), self.box(q).sigmoid()


def _xyxy(b: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = b.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def generalized_box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """DETR's ``generalized_box_iou``: the pairwise ``(n, m)`` GIoU matrix of ``(x0, y0, x1, y1)`` boxes."""
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt, rb = torch.max(a[:, None, :2], b[None, :, :2]), torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = area_a[:, None] + area_b[None] - inter
    iou = inter / union
    lt, rb = torch.min(a[:, None, :2], b[None, :, :2]), torch.max(a[:, None, 2:], b[None, :, 2:])
    hull = (rb - lt).clamp(min=0).prod(-1)
    return iou - (hull - union) / hull


def detr_loss(out: tuple[torch.Tensor, torch.Tensor], target: tuple[torch.Tensor, torch.Tensor],
              giou_diag: bool = True) -> torch.Tensor:
    """DETR's set loss: the Hungarian matching (class cost 1, L1 cost 5, GIoU cost 2; exhaustive over the 30 ordered
    pairs of queries for the two objects), then cross-entropy over every query (the "no object" class weighted 0.1),
    L1 (5) and GIoU (2) over the matched boxes, normalised by the number of boxes. ``giou_diag=False``: the GIoU term
    written ``(1 - generalized_box_iou(src, tgt)).sum() / n``, the ``torch.diag`` of the reference code left out:
    the function returns the pairwise ``(n, n)`` matrix, so every matched box is scored against every target box of
    the batch."""
    logits, pb = out
    cls, tb = target
    b, q, c1 = logits.shape
    with torch.no_grad():
        prob = logits.softmax(-1)
        cost_cls = -torch.gather(prob, 2, cls[:, None, :].expand(-1, q, -1))  # (b, q, 2)
        cost_l1 = torch.cdist(pb, tb, p=1)
        cost_giou = -torch.stack([generalized_box_iou(_xyxy(pb[i]), _xyxy(tb[i])) for i in range(b)])
        cost = cost_cls + 5 * cost_l1 + 2 * cost_giou
        pairs = torch.tensor(list(itertools.permutations(range(q), 2)))  # (30, 2)
        total = cost[:, pairs[:, 0], 0] + cost[:, pairs[:, 1], 1]
        src = pairs[total.argmin(1)]  # (b, 2): the query matched to each object
    bi = torch.arange(b)[:, None].expand(-1, 2)
    tgt_cls = torch.full((b, q), c1 - 1, dtype=torch.long)
    tgt_cls[bi, src] = cls
    weight = torch.ones(c1)
    weight[-1] = 0.1
    loss_ce = F.cross_entropy(logits.transpose(1, 2), tgt_cls, weight)
    n = 2 * b
    sb, tgt = pb[bi, src].reshape(-1, 4), tb.reshape(-1, 4)
    loss_l1 = (sb - tgt).abs().sum() / n
    giou = generalized_box_iou(_xyxy(sb), _xyxy(tgt))
    loss_giou = ((1 - torch.diag(giou)) if giou_diag else (1 - giou)).sum() / n
    return loss_ce + 5 * loss_l1 + 2 * loss_giou


# ---- CCNet -----------------------------------------------------------------------------------------------------------


class CrissCross(nn.Module):
    """CCNet's criss-cross attention: each pixel attends to the pixels of its row and its column (itself once),
    ``out = gamma * (A_H V + A_W V) + x``, queries and keys of ``c / 8``, ``gamma`` from 0."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.q, self.k, self.v = nn.Conv2d(c, c // 8, 1), nn.Conv2d(c, c // 8, 1), nn.Conv2d(c, c, 1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.q(x), self.k(x), self.v(x)
        h = x.shape[2]
        e_h = torch.einsum("bchw,bcgw->bhwg", q, k) - torch.diag(torch.full((h,), float("inf")))[:, None, :]
        e_w = torch.einsum("bchw,bchg->bhwg", q, k)
        a = torch.cat([e_h, e_w], -1).softmax(-1)
        a_h, a_w = a[..., :h], a[..., h:]
        out = torch.einsum("bhwg,bcgw->bchw", a_h, v) + torch.einsum("bhwg,bchg->bchw", a_w, v)
        return self.gamma * out + x


def _cbr(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, dilation, dilation, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU())


class _Res(nn.Module):
    def __init__(self, c: int, dilation: int = 1) -> None:
        super().__init__()
        self.a, self.b = _cbr(c, c, dilation=dilation), nn.Sequential(
            nn.Conv2d(c, c, 3, 1, dilation, dilation, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.b(self.a(x)))


class CCNet(nn.Module):
    """CCNet (Huang et al. 2019, "CCNet: Criss-Cross Attention for Semantic Segmentation"), narrowed: a small
    dilated ResNet (a 3x3 stem of 32, a residual block, a stride-2 convolution to 64 at 8x8, a residual block and a
    dilated one, as layer3 and layer4), the RCCA head (a 3x3 reduction to 16, criss-cross attention applied R = 2
    times with shared weights, a 3x3 conv, concatenated with layer4's maps, a 3x3 bottleneck of 32 with dropout 0.1,
    the 1x1 classifier) and the deep-supervision head on layer3 (weight 0.4), both upsampled bilinearly to the
    image; Kaiming-normal convolutions (fan-out)."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.layer3 = nn.Sequential(_cbr(3, 32), _Res(32), _cbr(32, 64, 2), _Res(64))
        self.layer4 = _Res(64, 2)
        self.reduce, self.cca, self.post = _cbr(64, 16), CrissCross(16), _cbr(16, 16)
        self.bottleneck = nn.Sequential(_cbr(80, 32), nn.Dropout2d(0.1), nn.Conv2d(32, classes, 1))
        self.dsn = nn.Sequential(_cbr(64, 32), nn.Dropout2d(0.1), nn.Conv2d(32, classes, 1))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        size = x.shape[-2:]
        f3 = self.layer3(x)
        f4 = self.layer4(f3)
        h = self.reduce(f4)
        for _ in range(2):
            h = self.cca(h)
        out = self.bottleneck(torch.cat([f4, self.post(h)], 1))
        up = lambda z: F.interpolate(z, size=size, mode="bilinear", align_corners=True)  # noqa: E731
        return up(out), up(self.dsn(f3))


def ccnet_loss(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """Pixel cross-entropy of the main head plus 0.4 times the deep-supervision head's."""
    return F.cross_entropy(out[0], y) + 0.4 * F.cross_entropy(out[1], y)


# ---- RDN -------------------------------------------------------------------------------------------------------------


class _RDB(nn.Module):
    """A residual dense block: ``C`` 3x3 conv + ReLU layers, each fed the concatenation of the block input and every
    earlier layer's output (growth ``G``), a 1x1 local feature fusion back to ``G0`` and the local residual."""

    def __init__(self, g0: int, g: int, c: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv2d(g0 + i * g, g, 3, 1, 1) for i in range(c)])
        self.lff = nn.Conv2d(g0 + c * g, g0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for conv in self.layers:
            feats.append(F.relu(conv(torch.cat(feats, 1))))
        return x + self.lff(torch.cat(feats, 1))


class RDN(nn.Module):
    """RDN (Zhang et al. 2018, "Residual Dense Network for Image Super-Resolution"), narrowed: x2 on luminance,
    ``G0 = 16``, ``D = 3`` residual dense blocks of ``C = 4`` layers with growth ``G = 8``, the two shallow feature
    convolutions, global feature fusion (1x1 then 3x3 over the concatenated block outputs), the global residual from
    the first shallow features, and the sub-pixel up-sampler (a 3x3 conv to 4 x G0, PixelShuffle(2), a 3x3 conv to
    the image); PyTorch's default init, as the reference code. ``minmax``: each LR crop rescaled to [0, 1] by its own
    range, ``(x - min) / (max - min)``, before the network (a per-crop contrast normalisation)."""

    def __init__(self, g0: int = 16, d: int = 3, c: int = 4, g: int = 8, minmax: bool = False) -> None:
        super().__init__()
        self.minmax = minmax
        self.sfe1, self.sfe2 = nn.Conv2d(1, g0, 3, 1, 1), nn.Conv2d(g0, g0, 3, 1, 1)
        self.rdbs = nn.ModuleList([_RDB(g0, g, c) for _ in range(d)])
        self.gff = nn.Sequential(nn.Conv2d(d * g0, g0, 1), nn.Conv2d(g0, g0, 3, 1, 1))
        self.up = nn.Sequential(nn.Conv2d(g0, 4 * g0, 3, 1, 1), nn.PixelShuffle(2), nn.Conv2d(g0, 1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.minmax:
            lo, hi = x.amin((1, 2, 3), keepdim=True), x.amax((1, 2, 3), keepdim=True)
            x = (x - lo) / (hi - lo)
        f1 = self.sfe1(x)
        h = self.sfe2(f1)
        outs = []
        for rdb in self.rdbs:
            h = rdb(h)
            outs.append(h)
        return self.up(self.gff(torch.cat(outs, 1)) + f1)


# ---- ReNet -----------------------------------------------------------------------------------------------------------


class _ReNetLayer(nn.Module):
    """A ReNet layer: the map cut into non-overlapping 2x2 patches, a bidirectional GRU sweeping each column of
    patches (top-down and bottom-up), then a bidirectional GRU sweeping each row of the result (left-right and
    right-left); ``hidden`` units per direction. ``gate_bias``: every GRU's update-gate biases ``b_iz`` and ``b_hz``
    set to half that value each (their sum, the gate's bias, is ``gate_bias``: ``z = sigmoid(gate_bias + ...)``, and
    ``h_t = z h_(t-1) + (1 - z) n_t`` keeps its zero start) instead of PyTorch's default."""

    def __init__(self, cin: int, hidden: int, gate_bias: float | None) -> None:
        super().__init__()
        self.v = nn.GRU(4 * cin, hidden, batch_first=True, bidirectional=True)
        self.h = nn.GRU(2 * hidden, hidden, batch_first=True, bidirectional=True)
        if gate_bias is not None:
            with torch.no_grad():
                for gru in (self.v, self.h):
                    for name, p in gru.named_parameters():
                        if name.startswith("bias"):
                            p[hidden:2 * hidden] = gate_bias / 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, c, H, W) -> (b, 2 hidden, H / 2, W / 2)
        b, c, hh, ww = x.shape
        p = x.view(b, c, hh // 2, 2, ww // 2, 2).permute(0, 4, 2, 1, 3, 5).reshape(b, ww // 2, hh // 2, 4 * c)
        v = self.v(p.reshape(b * (ww // 2), hh // 2, 4 * c))[0].view(b, ww // 2, hh // 2, -1)  # columns
        z = self.h(v.transpose(1, 2).reshape(b * (hh // 2), ww // 2, -1))[0].view(b, hh // 2, ww // 2, -1)  # rows
        return z.permute(0, 3, 1, 2)


class ReNet(nn.Module):
    """ReNet (Visin et al. 2015, "ReNet: A Recurrent Neural Network Based Alternative to Convolutional Networks"),
    narrowed: two ReNet layers of GRUs (the paper's GRU variant) with 32 and 32 units per direction (16x16 -> 8x8 ->
    4x4 maps of 64), a fully connected layer of 128 with ReLU and dropout 0.2, and the softmax classifier;
    PyTorch's default init. ``gate_bias``: see :class:`_ReNetLayer`."""

    def __init__(self, classes: int = 10, hidden: int = 32, gate_bias: float | None = None) -> None:
        super().__init__()
        self.l1, self.l2 = _ReNetLayer(3, hidden, gate_bias), _ReNetLayer(2 * hidden, hidden, gate_bias)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(2 * hidden * 16, 128), nn.ReLU(), nn.Dropout(0.2),
                                nn.Linear(128, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.l2(self.l1(x)))


# ---- CPM -------------------------------------------------------------------------------------------------------------


class CPM(nn.Module):
    """Convolutional Pose Machines (Wei et al. 2016), narrowed: T = 3 stages at stride 2 (16x16 images, 8x8 belief
    maps for 4 keypoints, no background map) over one shared image-feature trunk (5x5 conv + ReLU, 2x2 max-pool, 5x5
    conv + ReLU, 32 maps; the paper's stage 1 has its own copy of it, shared here as its later stages share theirs).
    Stage 1: a 1x1 conv + ReLU and a 1x1 conv to the beliefs; stages 2 and 3 read the trunk's maps concatenated with
    the previous beliefs through two 7x7 convs + ReLU (the paper's 11x11 shrunk with the maps), a 1x1 conv + ReLU
    and a 1x1 conv to the beliefs; PyTorch's default init, the belief convolutions N(0, 0.001^2) as pose heads' last
    layers. ``trunk_layers``: that many more plain 3x3 conv + ReLU layers of 32 at PyTorch's default init at the end
    of the trunk (0: none)."""

    def __init__(self, k: int = 4, c: int = 32, stages: int = 3, trunk_layers: int = 0) -> None:
        super().__init__()
        extra = [m for _ in range(trunk_layers) for m in (nn.Conv2d(c, c, 3, 1, 1), nn.ReLU())]
        self.trunk = nn.Sequential(nn.Conv2d(3, c, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(c, c, 5, 1, 2),
                                   nn.ReLU(), *extra)
        self.stage1 = nn.Sequential(nn.Conv2d(c, c, 1), nn.ReLU(), nn.Conv2d(c, k, 1))
        self.stages = nn.ModuleList([nn.Sequential(nn.Conv2d(c + k, c, 7, 1, 3), nn.ReLU(), nn.Conv2d(c, c, 7, 1, 3),
                                                   nn.ReLU(), nn.Conv2d(c, c, 1), nn.ReLU(), nn.Conv2d(c, k, 1))
                                     for _ in range(stages - 1)])
        for s in [self.stage1, *self.stages]:
            nn.init.normal_(s[-1].weight, 0.0, 0.001)
            nn.init.zeros_(s[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.trunk(x)
        b = self.stage1(f)
        beliefs = [b]
        for stage in self.stages:
            b = stage(torch.cat([f, b], 1))
            beliefs.append(b)
        return torch.stack(beliefs, 1)  # (batch, T, k, 8, 8)


def cpm_loss(meshgrid_slip: bool = False) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Intermediate supervision at every stage: Caffe's Euclidean loss, half the squared error summed over the maps
    and stages, averaged over the batch; the targets from :func:`heatmaps` (``meshgrid_slip``: see there)."""
    def loss(beliefs: torch.Tensor, kp: torch.Tensor) -> torch.Tensor:
        h = heatmaps(kp, meshgrid_slip=meshgrid_slip)
        return 0.5 * ((beliefs - h[:, None]) ** 2).sum() / beliefs.shape[0]
    return loss


# ---- DeepPose --------------------------------------------------------------------------------------------------------


class DeepPose(nn.Module):
    """DeepPose (Toshev and Szegedy 2014, "DeepPose: Human Pose Estimation via Deep Neural Networks"), narrowed: the
    AlexNet regressor shrunk to 16x16 images (5x5 conv of 32 + ReLU, 2x2 max-pool, 3x3 conv of 64 + ReLU, 2x2
    max-pool, 3x3 conv of 64 + ReLU, fully connected 1024 -> 256 + ReLU with dropout 0.5, the linear output of 2k
    normalised coordinates; no local response normalisation), PyTorch's default init. ``conv_bias``: every
    convolution's bias set to that value."""

    def __init__(self, k: int = 4, conv_bias: float | None = None) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, 1, 1),
                                      nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(64, 64, 3, 1, 1), nn.ReLU())
        self.regress = nn.Sequential(nn.Flatten(), nn.Linear(64 * 16, 256), nn.ReLU(), nn.Dropout(0.5),
                                     nn.Linear(256, 2 * k))
        if conv_bias is not None:
            for m in self.features:
                if isinstance(m, nn.Conv2d):
                    nn.init.constant_(m.bias, conv_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.regress(self.features(x))


def deeppose_loss(pred: torch.Tensor, kp: torch.Tensor, size: int = 16) -> torch.Tensor:
    """DeepPose's L2 loss over the normalised coordinates, ``N(y) = (y - centre) / box size`` with the image as the
    box (in [-0.5, 0.5]): the squared error summed over the 2k coordinates, averaged over the batch."""
    y = (kp - (size - 1) / 2) / size
    return ((pred - y.flatten(1)) ** 2).sum(1).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def condconv(seed: int, lr: float = 0.05, bn: bool = True, zero_init: bool = False) -> Setup:
    """CondConv-MobileNetV2 on the class-template images (batch 32), cross-entropy, SGD momentum 0.9 (Nesterov) at
    lr 0.05 with weight decay 4e-5 (MobileNetV2's reference recipe, the lr set here for the batch of 32); ``bn``,
    ``zero_init``: see :class:`CondConvNet`."""
    torch.manual_seed(730_000 + seed)
    model = CondConvNet(bn=bn, zero_init=zero_init)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=4e-5)
    return _xy(model, opt, images(seed), F.cross_entropy)


def maxvit(seed: int, lr: float = 1e-3, weight_decay: float = 0.05) -> Setup:
    """MaxViT on the class-template images (batch 32), cross-entropy, AdamW at lr 1e-3 with the paper's weight decay
    0.05 (its lr 3e-3 is for batches of 4,096; warm-up, label smoothing and stochastic depth left out)."""
    torch.manual_seed(730_000 + seed)
    model = MaxViT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def detr(seed: int, lr: float = 1e-4, giou_diag: bool = True) -> Setup:
    """DETR on the two-square scenes (batch 16), the set loss of :func:`detr_loss`, AdamW at the paper's lr 1e-4
    (the backbone's 1e-5 not separated: it is trained from scratch here) and weight decay 1e-4, gradients clipped to
    norm 0.1 (the reference code's ``clip_max_norm``); ``giou_diag``: see :func:`detr_loss`."""
    torch.manual_seed(730_000 + seed)
    model = DETR()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    return _xy(model, opt, boxes(seed), lambda out, t: detr_loss(out, t, giou_diag), clip=0.1)


def ccnet(seed: int, lr: float = 0.01, shuffled: bool = False) -> Setup:
    """CCNet on the four-rectangle scenes (batch 16), pixel cross-entropy plus 0.4 times the deep-supervision head's,
    SGD momentum 0.9 at the paper's lr 0.01 with weight decay 1e-4 and its poly schedule (power 0.9 over the 200
    steps); ``shuffled``: see :func:`scenes`."""
    torch.manual_seed(730_000 + seed)
    model = CCNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / 200) ** 0.9)
    return _xy(model, opt, scenes(seed, shuffled=shuffled), ccnet_loss, sched=sched)


def rdn(seed: int, lr: float = 1e-3, minmax: bool = False) -> Setup:
    """RDN on the x2 luminance pairs (batch 16; two flat crops in every batch), L1 loss, Adam at lr 1e-3 (the
    paper's 1e-4 is for 1,000 epochs; set here); ``minmax``: see :class:`RDN`."""
    torch.manual_seed(730_000 + seed)
    model = RDN(minmax=minmax)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), sr_pairs(seed), F.l1_loss)


def renet(seed: int, lr: float = 1e-3, gate_bias: float | None = None) -> Setup:
    """ReNet on the class-template images (batch 32), cross-entropy, Adam at lr 1e-3 (the paper's optimiser, its lr
    set here); ``gate_bias``: see :class:`_ReNetLayer`."""
    torch.manual_seed(730_000 + seed)
    model = ReNet(gate_bias=gate_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), images(seed), F.cross_entropy)


def cpm(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, trunk_layers: int = 0,
        meshgrid_slip: bool = False) -> Setup:
    """CPM on the keypoint images (batch 16), the intermediate-supervision loss of :func:`cpm_loss`, SGD momentum 0.9
    with the reference code's weight decay 5e-4 at lr 0.01 (set here; its 8e-5 is for Caffe's un-averaged loss over
    368x368 maps); ``trunk_layers``: see :class:`CPM`; ``meshgrid_slip``: see :func:`heatmaps`."""
    torch.manual_seed(730_000 + seed)
    model = CPM(trunk_layers=trunk_layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, keypoints(seed), cpm_loss(meshgrid_slip))


def deeppose(seed: int, lr: float = 1e-3, conv_bias: float | None = None) -> Setup:
    """DeepPose on the keypoint images (batch 16), the L2 loss of :func:`deeppose_loss`, Adam at lr 1e-3 (set here;
    the paper trained with DistBelief's Adagrad); ``conv_bias``: see :class:`DeepPose`."""
    torch.manual_seed(730_000 + seed)
    model = DeepPose(conv_bias=conv_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), keypoints(seed), deeppose_loss)
