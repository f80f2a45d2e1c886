"""Builders of the hundred-and-second held-out batch (``fresh101.py``): vision models (classification, detection,
segmentation, restoration, video) new to the corpus at their usual settings, and broken variants with one real fault
each, plus the small synthetic data sets they train on. Written and labelled with plain PyTorch before gradguard's
judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(1_010_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(101_100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _init_normal(model: nn.Module, std: float) -> None:
    """Every Linear/Conv weight drawn N(0, std^2)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            with torch.no_grad():
                m.weight.normal_(0.0, std)


def _bn2d(c: int, bn: bool = True) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


def _smooth(g: torch.Generator, n: int, channels: int, size: int, coarse: int = 4) -> torch.Tensor:
    """Smooth random fields: N(0, 1) on a ``coarse`` grid, bilinearly upsampled to ``size``."""
    return F.interpolate(torch.randn(n, channels, coarse, coarse, generator=g), size=(size, size), mode="bilinear",
                         align_corners=False)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 32, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x32x32 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``."""
    templates = _smooth(_fixed(1), classes, 3, size)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def _object_colours() -> torch.Tensor:
    return torch.tensor([[1.5, -1.0, 0.5], [-1.0, 1.5, -0.5], [0.5, 0.5, -1.5]])


def detection_scenes(seed: int, batch: int = 16, size: int = 32, stride: int = 4, alpha: float = 0.54,
                     grid_area: bool = False) -> Callable[[int], Any]:
    """32x32 scenes of one to three filled rectangles (3 classes, each a fixed colour; sides 2 to 12 pixels) on
    N(0, 0.3^2) noise, with TTFNet's training targets at stride 4 (an 8x8 map): the elliptical Gaussian heatmaps
    (radii ``alpha`` times the half sides in output cells, at the centre's cell), the box of each Gaussian's cells and
    its regression weight, the Gaussian normalised over the object times ``log(area)`` (in input pixels; larger
    objects drawn first so smaller ones overwrite): ``(images, (heatmap, boxes, weights))``. ``grid_area``: the area
    taken on the output grid, the box's sides floor-divided by the stride as the centre's cell is (a box narrower
    than the stride has area 0 and ``log 0 = -inf``)."""
    colours = _object_colours()
    m = size // stride
    ys, xs = torch.meshgrid(torch.arange(m).float(), torch.arange(m).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        imgs = 0.3 * torch.randn(batch, 3, size, size, generator=g)
        hm = torch.zeros(batch, 3, m, m)
        boxes = torch.zeros(batch, 4, m, m)
        weights = torch.zeros(batch, m, m)
        for i in range(batch):
            n = int(torch.randint(1, 4, (1,), generator=g))
            objs = []
            for _ in range(n):
                k = int(torch.randint(0, 3, (1,), generator=g))
                w, h = (int(v) for v in torch.randint(2, 13, (2,), generator=g))
                x1 = int(torch.randint(0, size - w + 1, (1,), generator=g))
                y1 = int(torch.randint(0, size - h + 1, (1,), generator=g))
                objs.append((k, x1, y1, x1 + w, y1 + h))
            objs.sort(key=lambda o: -(o[3] - o[1]) * (o[4] - o[2]))
            for k, x1, y1, x2, y2 in objs:
                imgs[i, :, y1:y2, x1:x2] += colours[k][:, None, None]
                cx, cy = (x1 + x2) / 2 / stride, (y1 + y2) / 2 / stride
                ci, cj = int(cx), int(cy)
                fw, fh = (x2 - x1) / stride, (y2 - y1) / stride
                rw, rh = max(0, int(alpha * fw / 2)), max(0, int(alpha * fh / 2))
                sw, sh = (2 * rw + 1) / 6, (2 * rh + 1) / 6
                gauss = torch.exp(-(xs - ci) ** 2 / (2 * sw ** 2) - (ys - cj) ** 2 / (2 * sh ** 2))
                gauss = torch.where(((xs - ci).abs() <= rw) & ((ys - cj).abs() <= rh), gauss, torch.zeros(()))
                hm[i, k] = torch.maximum(hm[i, k], gauss)
                if grid_area:
                    area = float(((x2 - x1) // stride) * ((y2 - y1) // stride))
                else:
                    area = float((x2 - x1) * (y2 - y1))
                inside = gauss > 0
                boxes[i, :, inside] = torch.tensor([x1, y1, x2, y2], dtype=torch.float)[:, None]
                weights[i][inside] = (gauss / gauss.sum() * torch.tensor(area).log())[inside]
        return imgs, (hm, boxes, weights)
    return _pool(seed, make)


def segmentation_scenes(seed: int, batch: int = 8, size: int = 32) -> Callable[[int], Any]:
    """32x32 scenes of one to three squares (class 1) and discs (class 2), each filled with its class's fixed colour,
    on a smooth random background (class 0), plus N(0, 0.4^2) noise: ``(images, labels (b, 32, 32))``."""
    colours = _object_colours()[:2]
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        imgs = 0.5 * _smooth(g, batch, 3, size)
        labels = torch.zeros(batch, size, size, dtype=torch.long)
        for i in range(batch):
            for _ in range(int(torch.randint(1, 4, (1,), generator=g))):
                k = int(torch.randint(1, 3, (1,), generator=g))
                r = float(torch.randint(3, 8, (1,), generator=g))
                cx, cy = (float(v) for v in torch.randint(4, size - 4, (2,), generator=g))
                if k == 1:
                    mask = ((xs - cx).abs() <= r) & ((ys - cy).abs() <= r)
                else:
                    mask = (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r
                labels[i][mask] = k
                imgs[i][:, mask] = colours[k - 1][:, None]
        return imgs + 0.4 * torch.randn(imgs.shape, generator=g), labels
    return _pool(seed, make)


def sr_pairs(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Super-resolution pairs: HR 3x16x16 images (a smooth field plus one or two sharp-edged squares) and their 2x2
    average-pooled 8x8 LR versions: ``(lr, hr)``."""
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        hr = 0.6 * _smooth(g, batch, 3, size)
        for i in range(batch):
            for _ in range(int(torch.randint(1, 3, (1,), generator=g))):
                x0, y0 = (float(v) for v in torch.randint(0, size - 4, (2,), generator=g))
                s = float(torch.randint(3, 8, (1,), generator=g))
                mask = (xs >= x0) & (xs < x0 + s) & (ys >= y0) & (ys < y0 + s)
                hr[i][:, mask] = torch.randn(3, 1, generator=g)
        return F.avg_pool2d(hr, 2), hr
    return _pool(seed, make)


def rainy_images(seed: int, batch: int = 8, size: int = 16) -> Callable[[int], Any]:
    """Deraining pairs: a clean smooth 3x16x16 image and the same image with two to five rain streaks (thin bright
    lines of slope 3, each 0.6 to 1.2 bright, the same in every channel): ``(rainy, clean)``."""
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        clean = 0.6 * _smooth(g, batch, 3, size)
        rain = torch.zeros(batch, 1, size, size)
        for i in range(batch):
            for _ in range(int(torch.randint(2, 6, (1,), generator=g))):
                x0 = float(torch.rand(1, generator=g)) * (size + 6) - 3
                bright = 0.6 + 0.6 * float(torch.rand(1, generator=g))
                d = (xs - x0 - ys / 3).abs()
                rain[i, 0] = torch.maximum(rain[i, 0], bright * (d < 0.5).float())
        return clean + rain, clean
    return _pool(seed, make)


def moving_blobs(seed: int, batch: int = 16, frames: int = 8, size: int = 16, classes: int = 4,
                 shuffled: bool = False, black: float = 0.125) -> Callable[[int], Any]:
    """Clips of 8 frames 16x16: a Gaussian blob (std 1.5 pixels, a random colour) moving 1.5 pixels a frame in one of
    four directions (the class) from a random start, plus N(0, 0.3^2) noise; a ``black`` share of the clips (one in
    eight) are black frames stored as exact zeros (a fade-in), with their labels: ``(clips (b, 3, 8, 16, 16),
    labels)``. ``shuffled``: the labels permuted within every batch, apart from their clips, by a fresh permutation
    at every step (a loader that shuffles its label list on its own)."""
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    dirs = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        clips = torch.zeros(batch, 3, frames, size, size)
        travel = 1.5 * (frames - 1)
        for i in range(batch):
            if float(torch.rand(1, generator=g)) < black:
                continue
            d = dirs[y[i]]
            start = 2 + torch.rand(2, generator=g) * (size - 4 - travel)
            start = torch.where(d < 0, start + travel, start)
            start = torch.where(d == 0, 2 + torch.rand(2, generator=g) * (size - 4), start)
            colour = 0.7 + torch.rand(3, generator=g)
            for t in range(frames):
                cx, cy = start + 1.5 * t * d
                blob = torch.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * 1.5 ** 2))
                clips[i, :, t] = colour[:, None, None] * blob + 0.3 * torch.randn(3, size, size, generator=g)
        return clips, y
    batches = _pool(seed, make)
    if not shuffled:
        return batches

    def permuted(step: int) -> Any:
        clips, y = batches(step)
        perm = torch.randperm(batch, generator=torch.Generator().manual_seed(1_010_000 + 1000 * seed + step))
        return clips, y[perm]
    return permuted


# ---- GENet (gather-excite ResNet) ------------------------------------------------------------------------------------

class GEBlock(nn.Module):
    """A basic residual block with a GE-theta operator on its branch: the gather a depthwise 3x3 stride-2 conv and a
    BatchNorm (extent 2), the excite a nearest upsampling back to the block's size and a sigmoid that multiplies the
    branch."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=not bn)
        self.bn1 = _bn2d(cout, bn)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=not bn)
        self.bn2 = _bn2d(cout, bn)
        self.gather = nn.Sequential(nn.Conv2d(cout, cout, 3, 2, 1, groups=cout, bias=not bn), _bn2d(cout, bn))
        self.short: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=not bn), _bn2d(cout, bn))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        gate = torch.sigmoid(F.interpolate(self.gather(out), size=out.shape[-2:], mode="nearest"))
        return F.relu(out * gate + self.short(x))


class GENet(nn.Module):
    """A GE-theta ResNet for 16x16 images: a 3x3 stem of 16, three stages of one GE block each (16, 32 and 64 wide,
    strides 1, 2, 2: a 4x4 map at the end), global average pooling and the classifier. ``bn``: False builds every
    conv with a bias and no BatchNorm; ``sum_pool``: the global pooling written ``x.sum((2, 3))``, a sum over the 16
    positions where the average belongs."""

    def __init__(self, classes: int = 10, bn: bool = True, sum_pool: bool = False) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=not bn), _bn2d(16, bn), nn.ReLU())
        self.blocks = nn.Sequential(GEBlock(16, 16, 1, bn), GEBlock(16, 32, 2, bn), GEBlock(32, 64, 2, bn))
        self.fc = nn.Linear(64, classes)
        self.sum_pool = sum_pool
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.stem(x))
        pooled = h.sum((2, 3)) if self.sum_pool else F.adaptive_avg_pool2d(h, 1).flatten(1)
        return self.fc(pooled)


def gather_excite(seed: int, lr: float = 0.1, bn: bool = True, relu_bias: float | None = None,
                  sum_pool: bool = False) -> Setup:
    """GENet on the class-template images (batch 32), cross-entropy, SGD with momentum 0.9 and weight decay 1e-4 at
    the ResNet schedule's lr 0.1 (its step decays left out); ``bn``, ``sum_pool``: see :class:`GENet`;
    ``relu_bias``: every BatchNorm's shift set to it (each one feeds a ReLU or the sigmoid gate)."""
    torch.manual_seed(1_010_000 + seed)
    model = GENet(bn=bn, sum_pool=sum_pool)
    if relu_bias is not None:
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.bias, relu_bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed, size=16), F.cross_entropy)


# ---- CycleMLP --------------------------------------------------------------------------------------------------------

class CycleFC(nn.Module):
    """Cycle FC along one spatial axis with step size 3: channel ``c`` reads its value at offset ``(c + 1) % 3 - 1``
    along the axis (zero outside the map), then a Linear mixes the channels."""

    def __init__(self, d: int, axis: int) -> None:
        super().__init__()
        self.axis = axis  # 1: H, 2: W of a (b, h, w, d) tensor
        self.lin = nn.Linear(d, d)
        self.register_buffer("offset", (torch.arange(d) + 1) % 3 - 1, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(x)
        n = x.shape[self.axis]
        for o in (-1, 0, 1):
            sel = self.offset == o
            part = x[..., sel]
            if o == 1:
                part = torch.cat([part.narrow(self.axis, 1, n - 1), torch.zeros_like(part.narrow(self.axis, 0, 1))],
                                 self.axis)
            elif o == -1:
                part = torch.cat([torch.zeros_like(part.narrow(self.axis, 0, 1)), part.narrow(self.axis, 0, n - 1)],
                                 self.axis)
            out[..., sel] = part
        return self.lin(out)


class CycleMLPBlock(nn.Module):
    """``x + CycleMLP(LN(x))`` then ``x + MLP(LN(x))``: the token mixer sums the H-wise and W-wise Cycle FCs and a
    channel FC with the split-attention reweighting (mean over positions, ``d -> d/4 -> 3d``, softmax over the three),
    then a projection; the MLP is 4x with GELU."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.h, self.w, self.c = CycleFC(d, 1), CycleFC(d, 2), nn.Linear(d, d)
        self.reweight = nn.Sequential(nn.Linear(d, d // 4), nn.GELU(), nn.Linear(d // 4, 3 * d))
        self.proj = nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, _, d = x.shape
        y = self.norm1(x)
        h, w, c = self.h(y), self.w(y), self.c(y)
        a = (h + w + c).mean((1, 2))
        a = self.reweight(a).view(b, d, 3).softmax(-1).permute(2, 0, 1)[:, :, None, None, :]
        x = x + self.proj(h * a[0] + w * a[1] + c * a[2])
        return x + self.mlp(self.norm2(x))


class CycleMLP(nn.Module):
    """CycleMLP for 32x32 images: the overlapping patch embedding (7x7, stride 4) to 8x8 tokens of 32, two blocks, a
    3x3 stride-2 downsampling to 4x4 tokens of 64, two blocks, LayerNorm, average pooling, the head."""

    def __init__(self, classes: int = 10, dims: tuple[int, int] = (32, 64)) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, dims[0], 7, 4, 2)
        self.stage1 = nn.Sequential(CycleMLPBlock(dims[0]), CycleMLPBlock(dims[0]))
        self.down = nn.Conv2d(dims[0], dims[1], 3, 2, 1)
        self.stage2 = nn.Sequential(CycleMLPBlock(dims[1]), CycleMLPBlock(dims[1]))
        self.norm = nn.LayerNorm(dims[1])
        self.head = nn.Linear(dims[1], classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage1(self.embed(x).permute(0, 2, 3, 1))
        x = self.stage2(self.down(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))
        return self.head(self.norm(x).mean((1, 2)))


def cyclemlp(seed: int, lr: float = 1e-3, weight_decay: float = 0.05) -> Setup:
    """CycleMLP on the class-template images (batch 32), cross-entropy, AdamW at the paper's lr 1e-3 and weight decay
    0.05 (its warm-up and cosine decay left out)."""
    torch.manual_seed(1_010_000 + seed)
    model = CycleMLP()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


# ---- TTFNet ----------------------------------------------------------------------------------------------------------

def _conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class BasicBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.c1 = _conv_bn(c, c)
        self.c2 = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.c2(self.c1(x)))


class TTFNet(nn.Module):
    """TTFNet for 32x32 scenes: a small ResNet (a stem of 16, stages of 32, 64 and 128 at strides 2, 4, 8, one basic
    block each), the decoder's bilinear 2x upsampling of the last stage with the shortcut conv of the stride-4 stage
    added (an 8x8 map of 64), the heatmap head (3x3 conv of 64, ReLU, 1x1 conv to 3 classes, bias -2.19) and the
    box head (3x3 conv of 64, ReLU, 1x1 conv to 4, ``relu * 16``, distances in input pixels)."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.stem = _conv_bn(3, 16)
        self.s1 = nn.Sequential(_conv_bn(16, 32, 2), BasicBlock(32))
        self.s2 = nn.Sequential(_conv_bn(32, 64, 2), BasicBlock(64))
        self.s3 = nn.Sequential(_conv_bn(64, 128, 2), BasicBlock(128))
        self.up = _conv_bn(128, 64)
        self.short = nn.Sequential(nn.Conv2d(64, 64, 3, 1, 1), nn.ReLU())
        self.hm = nn.Sequential(nn.Conv2d(64, 64, 3, 1, 1), nn.ReLU(), nn.Conv2d(64, classes, 1))
        self.wh = nn.Sequential(nn.Conv2d(64, 64, 3, 1, 1), nn.ReLU(), nn.Conv2d(64, 4, 1))
        nn.init.constant_(self.hm[-1].bias, -2.19)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f4 = self.s2(self.s1(self.stem(x)))
        f8 = self.s3(f4)
        h = self.up(F.interpolate(f8, scale_factor=2, mode="bilinear", align_corners=False)) + self.short(f4)
        return torch.sigmoid(self.hm(h)), F.relu(self.wh(h)) * 16


def _giou(p: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Generalised IoU of ``(n, 4)`` boxes ``x1, y1, x2, y2``."""
    ap = (p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1])
    at = (t[:, 2] - t[:, 0]) * (t[:, 3] - t[:, 1])
    iw = (torch.minimum(p[:, 2], t[:, 2]) - torch.maximum(p[:, 0], t[:, 0])).clamp(min=0)
    ih = (torch.minimum(p[:, 3], t[:, 3]) - torch.maximum(p[:, 1], t[:, 1])).clamp(min=0)
    inter = iw * ih
    union = ap + at - inter + 1e-6
    ew = torch.maximum(p[:, 2], t[:, 2]) - torch.minimum(p[:, 0], t[:, 0])
    eh = torch.maximum(p[:, 3], t[:, 3]) - torch.minimum(p[:, 1], t[:, 1])
    enclose = ew * eh + 1e-6
    return inter / union - (enclose - union) / enclose


def ttfnet_loss(out: tuple[torch.Tensor, torch.Tensor], target: tuple[torch.Tensor, ...], stride: int = 4,
                giou_weight: float = 5.0) -> torch.Tensor:
    """TTFNet's loss: the CenterNet focal loss on the heatmap (``alpha = 2``, ``beta = 4``, the prediction clamped to
    ``[1e-4, 1 - 1e-4]``, normalised by the number of objects) plus 5 times the GIoU loss of the boxes predicted at
    every weighted cell (``location -/+ distances``), weighted and normalised by the weights' sum (``+ 1e-4``)."""
    pred_hm, pred_wh = out
    hm, boxes, weights = target
    p = pred_hm.clamp(1e-4, 1 - 1e-4)
    pos = hm.eq(1).float()
    pos_loss = (torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = (torch.log(1 - p) * p ** 2 * (1 - hm) ** 4 * (1 - pos)).sum()
    num_pos = pos.sum()
    hm_loss = -neg_loss if num_pos == 0 else -(pos_loss + neg_loss) / num_pos
    m = pred_wh.shape[-1]
    loc = torch.arange(m).float() * stride
    ly, lx = torch.meshgrid(loc, loc, indexing="ij")
    pb = torch.stack([lx - pred_wh[:, 0], ly - pred_wh[:, 1], lx + pred_wh[:, 2], ly + pred_wh[:, 3]], 1)
    mask = weights != 0
    pb = pb.permute(0, 2, 3, 1)[mask]
    tb = boxes.permute(0, 2, 3, 1)[mask]
    w = weights[mask]
    giou_loss = (w * (1 - _giou(pb, tb))).sum() / (w.sum() + 1e-4)
    return hm_loss + giou_weight * giou_loss


def ttfnet(seed: int, lr: float = 0.016, grid_area: bool = False) -> Setup:
    """TTFNet on the detection scenes (batch 16), its loss (:func:`ttfnet_loss`), SGD with momentum 0.9 and weight
    decay 4e-4 at the paper's lr 0.016 (its warm-up and step decay left out); ``grid_area``: see
    :func:`detection_scenes`."""
    torch.manual_seed(1_010_000 + seed)
    model = TTFNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=4e-4)
    return _xy(model, opt, detection_scenes(seed, grid_area=grid_area), ttfnet_loss)


# ---- STDC (segmentation) ---------------------------------------------------------------------------------------------

class STDCModule(nn.Module):
    """An STDC module of ``cout``: four blocks of ``cout/2, /4, /8, /8`` (1x1 then 3x3 convs, BN, ReLU), the second
    strided when ``stride`` is 2 (the first block's output then average-pooled 3x3 stride 2), all concatenated."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        widths = [cout // 2, cout // 4, cout // 8, cout // 8]
        self.b1 = nn.Sequential(nn.Conv2d(cin, widths[0], 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.b2 = _conv_bn(widths[0], widths[1], stride)
        self.b3 = _conv_bn(widths[1], widths[2])
        self.b4 = _conv_bn(widths[2], widths[3])
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o1 = self.b1(x)
        o2 = self.b2(o1)
        o3 = self.b3(o2)
        o4 = self.b4(o3)
        if self.stride == 2:
            o1 = F.avg_pool2d(o1, 3, 2, 1)
        return torch.cat([o1, o2, o3, o4], 1)


class ARM(nn.Module):
    """Attention refinement: a 3x3 conv-BN-ReLU, then the output times ``sigmoid(BN(conv1x1(global average)))``."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = _conv_bn(cin, cout)
        self.att = nn.Sequential(nn.Conv2d(cout, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        return h * torch.sigmoid(self.att(F.adaptive_avg_pool2d(h, 1)))


class STDCSeg(nn.Module):
    """STDC-Seg for 32x32 scenes: a stem of two strided 3x3 convs (16, 32: stride 4), STDC stages of 64 and 128
    (a strided module and a plain one each: strides 8 and 16), the context path (ARMs on both stages, the global
    average of the last added, each upsampled 2x and refined by a 3x3 conv of 32), the feature fusion module with the
    stride-4 features (concatenation, conv-BN-ReLU of 64, ``x + x * attention``), the head (3x3 conv-BN-ReLU of 64,
    1x1 conv to the classes) and a bilinear 4x upsampling to the image."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.stem = nn.Sequential(_conv_bn(3, 16, 2), _conv_bn(16, 32, 2))
        self.stage3 = nn.Sequential(STDCModule(32, 64, 2), STDCModule(64, 64, 1))
        self.stage4 = nn.Sequential(STDCModule(64, 128, 2), STDCModule(128, 128, 1))
        self.arm16, self.arm32 = ARM(64, 32), ARM(128, 32)
        self.gc = nn.Sequential(nn.Conv2d(128, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.refine32, self.refine16 = _conv_bn(32, 32), _conv_bn(32, 32)
        self.ffm = nn.Sequential(nn.Conv2d(64, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        self.ffm_att = nn.Sequential(nn.Conv2d(64, 16, 1), nn.ReLU(), nn.Conv2d(16, 64, 1), nn.Sigmoid())
        self.head = nn.Sequential(_conv_bn(64, 64), nn.Conv2d(64, classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f4 = self.stem(x)
        f8 = self.stage3(f4)
        f16 = self.stage4(f8)
        up = lambda t: F.interpolate(t, scale_factor=2, mode="nearest")  # noqa: E731
        c32 = self.refine32(up(self.arm32(f16) + self.gc(F.adaptive_avg_pool2d(f16, 1))))
        c16 = self.refine16(up(self.arm16(f8) + c32))
        h = self.ffm(torch.cat([f4, c16], 1))
        h = h + h * self.ffm_att(F.adaptive_avg_pool2d(h, 1))
        return F.interpolate(self.head(h), scale_factor=4, mode="bilinear", align_corners=False)


def ohem_ce(logits: torch.Tensor, labels: torch.Tensor, thresh: float = 0.7, summed: bool = False) -> torch.Tensor:
    """STDC's OHEM cross-entropy: the per-pixel losses sorted, those above ``-ln 0.7`` kept (at least a sixteenth of
    the pixels), their mean (``summed``: their sum, the reference's ``torch.mean`` written ``torch.sum``)."""
    loss = F.cross_entropy(logits, labels, reduction="none").view(-1)
    n_min = labels.numel() // 16
    loss, _ = torch.sort(loss, descending=True)
    th = -math.log(thresh)
    loss = loss[loss > th] if loss[n_min] > th else loss[:n_min]
    return loss.sum() if summed else loss.mean()


def stdc(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, summed: bool = False) -> Setup:
    """STDC-Seg on the segmentation scenes (batch 8), the OHEM cross-entropy, SGD with momentum 0.9 and weight decay
    5e-4 at the paper's lr 0.01 (its warm-up and poly decay left out); ``summed``: see :func:`ohem_ce`."""
    torch.manual_seed(1_010_000 + seed)
    model = STDCSeg()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, segmentation_scenes(seed), lambda out, y: ohem_ce(out, y, summed=summed))


# ---- SRResNet --------------------------------------------------------------------------------------------------------

class SRResBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c), nn.PReLU(),
                                  nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    """SRResNet (x2): a 9x9 conv of 32 and PReLU, four residual blocks (conv-BN-PReLU-conv-BN), a conv-BN with the
    long skip, one sub-pixel upsampling (conv to 128, PixelShuffle(2), PReLU), a 9x9 conv to 3 channels."""

    def __init__(self, c: int = 32, blocks: int = 4) -> None:
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(3, c, 9, 1, 4), nn.PReLU())
        self.body = nn.Sequential(*[SRResBlock(c) for _ in range(blocks)])
        self.mid = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c))
        self.up = nn.Sequential(nn.Conv2d(c, 4 * c, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU())
        self.tail = nn.Conv2d(c, 3, 9, 1, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        return self.tail(self.up(h + self.mid(self.body(h))))


def srresnet(seed: int, lr: float = 1e-3, weight_decay: float | None = None, init_std: float | None = None,
             l2: float = 0.0) -> Setup:
    """SRResNet on the x2 super-resolution pairs (batch 16), MSE, Adam at lr 1e-3 (the paper's 1e-4 raised for 200
    steps); ``weight_decay``: AdamW with that decay; ``l2``: Adam's coupled weight decay; ``init_std``: every conv
    weight drawn N(0, init_std^2)."""
    torch.manual_seed(1_010_000 + seed)
    model = SRResNet()
    if init_std is not None:
        _init_normal(model, init_std)
    if weight_decay is None:
        opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=l2)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sr_pairs(seed), F.mse_loss)


# ---- PReNet ----------------------------------------------------------------------------------------------------------

class PReNet(nn.Module):
    """PReNet: ``stages`` recursive stages sharing their weights; each concatenates the rainy image with the current
    estimate, a 3x3 conv of ``c`` and ReLU, a convolutional LSTM (3x3 convs over ``[x, h]`` for the gates ``i, f, g,
    o``) whose state is carried across the stages, ``blocks`` residual blocks of two 3x3 convs with ReLUs, a 3x3 conv
    to 3 channels, plus the rainy image. ``input_gate_bias``: the LSTM's input-gate bias set to it."""

    def __init__(self, c: int = 16, stages: int = 4, blocks: int = 2, input_gate_bias: float | None = None,
                 output_gate_bias: float | None = None) -> None:
        super().__init__()
        self.c, self.stages = c, stages
        self.conv0 = nn.Sequential(nn.Conv2d(6, c, 3, 1, 1), nn.ReLU())
        self.gates = nn.Conv2d(2 * c, 4 * c, 3, 1, 1)
        self.res = nn.ModuleList([nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.ReLU(), nn.Conv2d(c, c, 3, 1, 1),
                                                nn.ReLU()) for _ in range(blocks)])
        self.out = nn.Conv2d(c, 3, 3, 1, 1)
        with torch.no_grad():
            if input_gate_bias is not None:
                self.gates.bias[:c] = input_gate_bias
            if output_gate_bias is not None:
                self.gates.bias[3 * c:] = output_gate_bias

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        b, _, hh, ww = inp.shape
        x = inp
        h = torch.zeros(b, self.c, hh, ww)
        cell = torch.zeros(b, self.c, hh, ww)
        for _ in range(self.stages):
            x = self.conv0(torch.cat([inp, x], 1))
            i, f, g, o = self.gates(torch.cat([x, h], 1)).chunk(4, 1)
            cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(cell)
            x = h
            for blk in self.res:
                x = F.relu(blk(x) + x)
            x = self.out(x) + inp
        return x


def prenet(seed: int, lr: float = 1e-3, input_gate_bias: float | None = None,
           output_gate_bias: float | None = None) -> Setup:
    """PReNet on the rainy images (batch 8), MSE (in place of its negative SSIM), Adam at the paper's lr 1e-3;
    ``input_gate_bias``: see :class:`PReNet`."""
    torch.manual_seed(1_010_000 + seed)
    model = PReNet(input_gate_bias=input_gate_bias, output_gate_bias=output_gate_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), rainy_images(seed), F.mse_loss)


# ---- P3D -------------------------------------------------------------------------------------------------------------

class P3DBlock(nn.Module):
    """A basic (two-conv) pseudo-3D residual block of type ``"A"`` (spatial 1x3x3 then temporal 3x1x1), ``"B"``
    (both on the input, summed) or ``"C"`` (spatial, then temporal on it, summed), each conv followed by BN; the
    block's stride is taken by a 1x1x1 strided projection of the input and of the shortcut."""

    def __init__(self, cin: int, cout: int, kind: str, stride: int = 1) -> None:
        super().__init__()
        self.kind = kind
        self.pre = nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), nn.BatchNorm3d(cout), nn.ReLU())
        self.s = nn.Sequential(nn.Conv3d(cout, cout, (1, 3, 3), 1, (0, 1, 1), bias=False), nn.BatchNorm3d(cout))
        self.t = nn.Sequential(nn.Conv3d(cout, cout, (3, 1, 1), 1, (1, 0, 0), bias=False), nn.BatchNorm3d(cout))
        self.short: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), nn.BatchNorm3d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pre(x)
        if self.kind == "A":
            out = self.t(F.relu(self.s(h)))
        elif self.kind == "B":
            out = self.s(h) + self.t(h)
        else:
            s = self.s(h)
            out = s + self.t(F.relu(s))
        return F.relu(out + self.short(x))


class P3D(nn.Module):
    """P3D ResNet for 8-frame 16x16 clips: each clip standardised (``(x - mean) / (std + eps)``, a per-clip
    normalisation), a 1x3x3 stem of 16 at spatial stride 2 with BN and ReLU, blocks A, B, C of 16, then A (stride
    2), B, C of 32, global average pooling, dropout 0.5 and the classifier. ``hidden``: that many extra Linear+ReLU
    layers of 32 before the classifier, at PyTorch's default init; ``eps``: the standardisation's eps."""

    def __init__(self, classes: int = 4, hidden: int = 0, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.stem = nn.Sequential(nn.Conv3d(3, 16, (1, 3, 3), (1, 2, 2), (0, 1, 1), bias=False), nn.BatchNorm3d(16),
                                  nn.ReLU())
        self.blocks = nn.Sequential(P3DBlock(16, 16, "A"), P3DBlock(16, 16, "B"), P3DBlock(16, 16, "C"),
                                    P3DBlock(16, 32, "A", 2), P3DBlock(32, 32, "B"), P3DBlock(32, 32, "C"))
        mods: list[nn.Module] = []
        for _ in range(hidden):
            mods += [nn.Linear(32, 32), nn.ReLU()]
        self.mlp = nn.Sequential(*mods)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean((1, 2, 3, 4), keepdim=True)
        sd = x.std((1, 2, 3, 4), keepdim=True)
        x = (x - mu) / (sd + self.eps)
        h = self.blocks(self.stem(x)).mean((2, 3, 4))
        return self.fc(self.drop(self.mlp(h)))


def p3d(seed: int, lr: float = 0.01, hidden: int = 0, eps: float = 1e-5, shuffled: bool = False) -> Setup:
    """P3D on the moving-blob clips (batch 16), cross-entropy, SGD with momentum 0.9 and weight decay 5e-4 at lr 0.01
    (set here for training from scratch; the paper fine-tunes at 1e-3); ``hidden``, ``eps``: see :class:`P3D`;
    ``shuffled``: see :func:`moving_blobs`."""
    torch.manual_seed(1_010_000 + seed)
    model = P3D(hidden=hidden, eps=eps)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, moving_blobs(seed, shuffled=shuffled), F.cross_entropy)


# ---- MViT ------------------------------------------------------------------------------------------------------------

class PoolingAttention(nn.Module):
    """Multi-head pooling attention: queries, keys and values each max-pooled (3x3x3 kernels) over the (T, H, W)
    token grid at their strides and LayerNormed after pooling; the output keeps the queries' grid."""

    def __init__(self, d: int, heads: int, q_stride: tuple[int, int, int], kv_stride: tuple[int, int, int]) -> None:
        super().__init__()
        self.heads, self.hd = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.q_stride, self.kv_stride = q_stride, kv_stride
        self.norm_q, self.norm_k, self.norm_v = (nn.LayerNorm(self.hd) for _ in range(3))

    def _pool(self, t: torch.Tensor, thw: tuple[int, int, int], stride: tuple[int, int, int],
              norm: nn.Module) -> tuple[torch.Tensor, tuple[int, int, int]]:
        if stride == (1, 1, 1):
            return t, thw
        b, nh, _, hd = t.shape
        g = t.reshape(b * nh, *thw, hd).permute(0, 4, 1, 2, 3)
        g = F.max_pool3d(g, 3, stride, 1)
        new = tuple(g.shape[2:])
        g = g.reshape(b, nh, hd, -1).transpose(2, 3)
        return norm(g), new  # type: ignore[return-value]

    def forward(self, x: torch.Tensor, thw: tuple[int, int, int]) -> tuple[torch.Tensor, tuple[int, int, int]]:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, self.hd).permute(2, 0, 3, 1, 4)
        q, q_thw = self._pool(q, thw, self.q_stride, self.norm_q)
        k, _ = self._pool(k, thw, self.kv_stride, self.norm_k)
        v, _ = self._pool(v, thw, self.kv_stride, self.norm_v)
        att = (q @ k.transpose(-2, -1) / math.sqrt(self.hd)).softmax(-1)
        out = (att @ v).transpose(1, 2).reshape(b, -1, d)
        return self.proj(out), q_thw


class MViTBlock(nn.Module):
    """A pre-LN MViT block: ``skip + pooling attention`` (the skip max-pooled at the queries' stride), then the MLP
    (4x, GELU) whose output width ``dout`` may exceed the input's (the skip then projected by a Linear)."""

    def __init__(self, d: int, dout: int, heads: int, q_stride: tuple[int, int, int],
                 kv_stride: tuple[int, int, int]) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = PoolingAttention(d, heads, q_stride, kv_stride)
        self.q_stride = q_stride
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, dout))
        self.proj: nn.Module = nn.Linear(d, dout) if dout != d else nn.Identity()

    def forward(self, x: torch.Tensor, thw: tuple[int, int, int]) -> tuple[torch.Tensor, tuple[int, int, int]]:
        a, new = self.attn(self.norm1(x), thw)
        if self.q_stride != (1, 1, 1):
            b, _, d = x.shape
            g = F.max_pool3d(x.transpose(1, 2).reshape(b, d, *thw), 3, self.q_stride, 1)
            x = g.flatten(2).transpose(1, 2)
        x = x + a
        h = self.norm2(x)
        return self.proj(h) + self.mlp(h), new


class MViT(nn.Module):
    """MViT for 8-frame 16x16 clips: the cube embedding (a 3x4x4 conv of stride 2x4x4 to a 4x4x4 grid of 32),
    separable space and time position embeddings, a block of 32 (1 head, keys and values pooled at stride 1x2x2)
    ending in the MLP's widening to 64, a block of 64 (2 heads) pooling its queries at 1x2x2 (to 4x2x2) and a
    third of 64 (2 heads), LayerNorm, the mean over the tokens and the head; Linears truncated-normal 0.02."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.embed = nn.Conv3d(3, 32, (3, 4, 4), (2, 4, 4), (1, 0, 0))
        self.pos_s = nn.Parameter(torch.zeros(1, 16, 32))
        self.pos_t = nn.Parameter(torch.zeros(1, 4, 32))
        nn.init.trunc_normal_(self.pos_s, std=0.02)
        nn.init.trunc_normal_(self.pos_t, std=0.02)
        self.blocks = nn.ModuleList([MViTBlock(32, 64, 1, (1, 1, 1), (1, 2, 2)),
                                     MViTBlock(64, 64, 2, (1, 2, 2), (1, 1, 1)),
                                     MViTBlock(64, 64, 2, (1, 1, 1), (1, 1, 1))])
        self.norm = nn.LayerNorm(64)
        self.head = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embed(x)
        thw = tuple(e.shape[2:])
        tok = e.flatten(2).transpose(1, 2)
        pos = (self.pos_t[:, :, None, :] + self.pos_s[:, None, :, :]).reshape(1, -1, 32)
        tok = tok + pos
        for blk in self.blocks:
            tok, thw = blk(tok, thw)  # type: ignore[arg-type]
        return self.head(self.norm(tok).mean(1))


def mvit(seed: int, lr: float = 1e-3, shuffled: bool = False) -> Setup:
    """MViT on the moving-blob clips (batch 16), cross-entropy, AdamW at lr 1e-3 and weight decay 0.05 (the paper's
    Kinetics recipe's decay; its warm-up and cosine schedule left out); ``shuffled``: see :func:`moving_blobs`."""
    torch.manual_seed(1_010_000 + seed)
    model = MViT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    return _xy(model, opt, moving_blobs(seed, shuffled=shuffled), F.cross_entropy)
