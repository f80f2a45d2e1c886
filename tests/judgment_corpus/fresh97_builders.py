"""Builders of the ninety-eighth held-out batch (``fresh97.py``): vision architectures (classification, detection,
segmentation, restoration) new to the corpus at their usual settings, and broken variants with one real fault each,
plus the models and the small synthetic data sets they train on. Written and labelled with plain PyTorch before
gradguard's judgment was run on them and never tuned on.
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
    return torch.Generator().manual_seed(970_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9700 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c)


def _cbr(cin: int, cout: int, k: int = 3, s: int = 1, d: int = 1, bn: bool = True, relu: bool = True) -> nn.Sequential:
    """conv (no bias before a BatchNorm) -> BatchNorm -> ReLU; ``bn=False``: conv with bias, no norm."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, s, d * (k // 2), dilation=d, bias=not bn)]
    if bn:
        layers.append(_bn(cout))
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 32, classes: int = 10, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3 x size x size template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``; ``shuffled``: the labels permuted within every batch, apart from their images."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


#: the object colours of the segmentation and detection scenes (background, then three classes)
COLOURS = torch.tensor([[0.0, 0.0, 0.0], [1.0, -0.6, -0.6], [-0.6, 1.0, -0.6], [-0.6, -0.6, 1.0]])


def shapes(seed: int, batch: int = 16, size: int = 32) -> Callable[[int], Any]:
    """Segmentation scenes: a smooth random background field plus three rectangles or discs of random classes
    (their class's colour times 1.2 over a grey level), N(0, 0.5^2) noise: ``(images (b, 3, 32, 32), labels (b, 32,
    32) in 0..3)``."""
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        bg = F.interpolate(0.5 * torch.randn(batch, 3, 4, 4, generator=g), size=(size, size), mode="bilinear",
                           align_corners=False)
        lab = torch.zeros(batch, size, size, dtype=torch.long)
        for i in range(batch):
            for _k in range(3):
                c = int(torch.randint(1, 4, (1,), generator=g))
                cy, cx = (torch.rand(2, generator=g) * (size - 8) + 4).tolist()
                r = float(torch.rand(1, generator=g)) * 5 + 3
                if float(torch.rand(1, generator=g)) < 0.5:
                    m = ((yy - cy) ** 2 + (xx - cx) ** 2) < r * r
                else:
                    m = ((yy - cy).abs() < r) & ((xx - cx).abs() < r * 0.8)
                lab[i][m] = c
        x = bg + 1.2 * COLOURS[lab].permute(0, 3, 1, 2) + 0.5 * torch.randn(batch, 3, size, size, generator=g)
        return x, lab
    return _pool(seed, make)


def lanes(seed: int, batch: int = 16, size: int = 32, empty: float = 0.15) -> Callable[[int], Any]:
    """Lane scenes for SCNN: up to four slanted lane markings (slot ``k`` starting in the ``k``-th quarter of the
    bottom row, converging towards the top), 2 pixels wide and dashed (a third of their rows missing in the image but
    not in the label, as occluded or worn markings), over a noisy road: ``(images (b, 3, 32, 32), labels (b, 32, 32)
    in 0..4)``; each lane is present with probability 0.8, and ``empty`` of the frames have no lane at all."""
    rows = torch.arange(size).float()

    def make(g: torch.Generator, _: int) -> Any:
        x = 0.4 * torch.randn(batch, 3, size, size, generator=g)
        lab = torch.zeros(batch, size, size, dtype=torch.long)
        for i in range(batch):
            if float(torch.rand(1, generator=g)) < empty:
                continue
            for k in range(4):
                if float(torch.rand(1, generator=g)) > 0.8:
                    continue
                x0 = (k + 0.5) * size / 4 + float(torch.randn(1, generator=g)) * 1.0
                top = size / 2 + (x0 - size / 2) * 0.35
                cols = (top + (x0 - top) * rows / (size - 1)).round().long().clamp(0, size - 2)
                phase = int(torch.randint(0, 6, (1,), generator=g))
                for r in range(size):
                    lab[i, r, cols[r]: cols[r] + 2] = k + 1
                    if (r + phase) % 6 < 4:
                        x[i, :, r, cols[r]: cols[r] + 2] += 1.5
        return x, lab
    return _pool(seed, make)


def boxes(seed: int, batch: int = 16, size: int = 32) -> Callable[[int], Any]:
    """Detection scenes: one or two axis-aligned boxes (sides 6 to 14 pixels) filled with their class's colour (three
    classes) over a smooth background with N(0, 0.4^2) noise; the targets padded to two slots: ``(images, (boxes (b,
    2, 4) as x1, y1, x2, y2 in pixels, classes (b, 2), valid (b, 2)))``; an unused slot holds a zero box."""
    def make(g: torch.Generator, _: int) -> Any:
        x = F.interpolate(0.4 * torch.randn(batch, 3, 4, 4, generator=g), size=(size, size), mode="bilinear",
                          align_corners=False) + 0.4 * torch.randn(batch, 3, size, size, generator=g)
        bx = torch.zeros(batch, 2, 4)
        cls = torch.zeros(batch, 2, dtype=torch.long)
        valid = torch.zeros(batch, 2, dtype=torch.bool)
        for i in range(batch):
            n = 1 + int(float(torch.rand(1, generator=g)) < 0.5)
            for j in range(n):
                w, h = (torch.randint(6, 15, (2,), generator=g)).tolist()
                x1 = int(torch.randint(0, size - w + 1, (1,), generator=g))
                y1 = int(torch.randint(0, size - h + 1, (1,), generator=g))
                c = int(torch.randint(0, 3, (1,), generator=g))
                x[i, :, y1:y1 + h, x1:x1 + w] += 1.2 * COLOURS[c + 1][:, None, None]
                bx[i, j] = torch.tensor([x1, y1, x1 + w, y1 + h], dtype=torch.float)
                cls[i, j], valid[i, j] = c, True
        return x, (bx, cls, valid)
    return _pool(seed, make)


def _scene(g: torch.Generator, batch: int, size: int) -> torch.Tensor:
    """Smooth random fields plus sharp-edged rectangles: clean images in about [-1.5, 1.5]."""
    x = F.interpolate(0.6 * torch.randn(batch, 3, 4, 4, generator=g), size=(size, size), mode="bicubic",
                      align_corners=False)
    for i in range(batch):
        for _k in range(3):
            h, w = torch.randint(3, size // 2, (2,), generator=g).tolist()
            y1, x1 = int(torch.randint(0, size - h, (1,), generator=g)), int(torch.randint(0, size - w, (1,),
                                                                                           generator=g))
            x[i, :, y1:y1 + h, x1:x1 + w] += torch.randn(3, 1, 1, generator=g)
    return x


def noisy(seed: int, batch: int = 4, size: int = 32, sigma: float = 0.5) -> Callable[[int], Any]:
    """Denoising pairs: ``(clean + N(0, sigma^2) noise, clean)`` of the smooth-field-and-rectangle scenes."""
    def make(g: torch.Generator, _: int) -> Any:
        clean = _scene(g, batch, size)
        return clean + sigma * torch.randn(clean.shape, generator=g), clean
    return _pool(seed, make)


def low_res(seed: int, batch: int = 8, size: int = 32) -> Callable[[int], Any]:
    """Super-resolution pairs for x4: ``(low-res 8x8 by 4x4 area averaging, (the 2x intermediate 16x16, the 32x32
    high-res))`` of the scenes."""
    def make(g: torch.Generator, _: int) -> Any:
        hr = _scene(g, batch, size)
        return F.avg_pool2d(hr, 4), (F.avg_pool2d(hr, 2), hr)
    return _pool(seed, make)


def _blur_kernel() -> torch.Tensor:
    """A fixed 5x5 motion-and-defocus blur kernel (sums to 1), applied per channel."""
    k = torch.zeros(5, 5)
    for i in range(5):
        k[i, i] = 1.0
    k = k + 0.5 * torch.exp(-((torch.arange(5.0) - 2) ** 2)[:, None] - ((torch.arange(5.0) - 2) ** 2)[None])
    return (k / k.sum()).expand(3, 1, 5, 5).clone()


def letterboxed(seed: int, batch: int = 4, size: int = 32, bar: int = 6) -> Callable[[int], Any]:
    """Deblurring pairs of letterboxed frames: the scene's middle ``size - 2 bar`` rows between black bars of
    ``bar`` rows (exact zeros), blurred by the fixed kernel (the bars stay black but for the one or two rows next
    to the picture): ``(blurred, sharp)``."""
    kernel = _blur_kernel()

    def make(g: torch.Generator, _: int) -> Any:
        sharp = _scene(g, batch, size)
        sharp[:, :, :bar], sharp[:, :, size - bar:] = 0.0, 0.0
        blurred = F.conv2d(sharp, kernel, padding=2, groups=3)
        return blurred, sharp
    return _pool(seed, make)


# ---- ZFNet -----------------------------------------------------------------------------------------------------------

class ZFNet(nn.Module):
    """ZFNet (Zeiler and Fergus 2014) narrowed to 32x32 inputs: 7x7/2 conv (32) -> ReLU -> 3x3/2 max-pool -> LRN,
    5x5 conv (64) -> ReLU -> 3x3/2 max-pool -> LRN, three 3x3 convs (96, 96, 64) -> ReLU, 2x2 max-pool, two
    dropout-0.5 fully connected layers of 128, the classifier. The LRNs are AlexNet's and ZFNet's ``size=5, alpha=1e-4,
    beta=0.75, k=2``. ``relu_bias``: every conv bias set to that constant; ``lrn_k``: the LRN's additive constant."""

    def __init__(self, classes: int = 10, relu_bias: float | None = None, lrn_k: float = 2.0,
                 lrn_alpha: float = 1e-4, init_std: float | None = None) -> None:
        super().__init__()
        lrn = dict(size=5, alpha=lrn_alpha, beta=0.75, k=lrn_k)
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 7, 2, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1), nn.LocalResponseNorm(**lrn),
            nn.Conv2d(32, 64, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1), nn.LocalResponseNorm(**lrn),
            nn.Conv2d(64, 96, 3, 1, 1), nn.ReLU(), nn.Conv2d(96, 96, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(96, 64, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(256, 128), nn.ReLU(),
                                        nn.Dropout(0.5), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                if init_std is None:
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                else:
                    nn.init.normal_(m.weight, 0.0, init_std)
                nn.init.zeros_(m.bias)
        if relu_bias is not None:
            with torch.no_grad():
                for m in self.features:
                    if isinstance(m, nn.Conv2d):
                        m.bias.fill_(relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


# ---- SCNet -----------------------------------------------------------------------------------------------------------

class SCConv(nn.Module):
    """The self-calibrated convolution: ``k4(k3(x) * sigmoid(x + up(k2(avgpool_r(x)))))``, each ``k`` a 3x3 conv
    and BatchNorm (``r = 4``, the paper's)."""

    def __init__(self, c: int, r: int = 4, bn: bool = True) -> None:
        super().__init__()
        self.r = r
        self.k2, self.k3, self.k4 = (_cbr(c, c, relu=False, bn=bn) for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(self.k2(F.avg_pool2d(x, self.r)), size=x.shape[-2:])
        return self.k4(self.k3(x) * torch.sigmoid(x + up))


class SCBottleneck(nn.Module):
    """SCNet's bottleneck: the input split by two 1x1 convs into a plain 3x3 half and a self-calibrated half,
    concatenated, a 1x1 conv and BatchNorm, the (projected) shortcut, ReLU."""

    def __init__(self, cin: int, cout: int, stride: int = 1, bn: bool = True) -> None:
        super().__init__()
        w = cout // 4
        self.a1, self.b1 = _cbr(cin, w, 1, bn=bn), _cbr(cin, w, 1, bn=bn)
        self.k1 = _cbr(w, w, bn=bn)
        self.sc = SCConv(w, bn=bn)
        self.conv3 = _cbr(2 * w, cout, 1, relu=False, bn=bn)
        self.stride = stride
        self.short = _cbr(cin, cout, 1, stride, relu=False, bn=bn) if (stride != 1 or cin != cout) else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.k1(self.a1(x)), F.relu(self.sc(self.b1(x)))
        out = self.conv3(torch.cat([a, b], 1))
        if self.stride != 1:
            out = F.avg_pool2d(out, self.stride)
        return F.relu(out + self.short(x))


class SCNet(nn.Module):
    """SCNet (Liu et al. 2020) narrowed: a 3x3 stem of 16 (BatchNorm, ReLU), four SC-bottlenecks (32, 32, 64/2,
    64), global average pooling, the classifier; Kaiming-normal (fan-out) convolutions as the reference code.
    ``bn=False``: every BatchNorm left out (the convolutions then carry biases)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = _cbr(3, 16, bn=bn)
        self.blocks = nn.Sequential(SCBottleneck(16, 32, bn=bn), SCBottleneck(32, 32, bn=bn),
                                    SCBottleneck(32, 64, 2, bn=bn), SCBottleneck(64, 64, bn=bn))
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


# ---- DDRNet ----------------------------------------------------------------------------------------------------------

class Basic(nn.Module):
    """The ResNet basic block (two 3x3 convs with BatchNorm, a projected shortcut when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, bn: bool = True, last_relu: bool = True) -> None:
        super().__init__()
        self.c1 = _cbr(cin, cout, 3, stride, bn=bn)
        self.c2 = _cbr(cout, cout, relu=False, bn=bn)
        self.short = _cbr(cin, cout, 1, stride, relu=False, bn=bn) if (stride != 1 or cin != cout) else nn.Identity()
        self.last_relu = last_relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.c2(self.c1(x)) + self.short(x)
        return F.relu(out) if self.last_relu else out


class DAPPM(nn.Module):
    """DDRNet's deep aggregation pyramid pooling module, narrowed to scales {1, 1/2, global}: each pooled branch
    BN-ReLU-1x1 conv, upsampled and added to the previous scale's output before its BN-ReLU-3x3 conv, concatenated,
    compressed, plus the 1x1 shortcut."""

    def __init__(self, cin: int, mid: int, cout: int, bn: bool = True) -> None:
        super().__init__()

        def brc(a: int, b: int, k: int) -> nn.Sequential:
            pre: list[nn.Module] = [_bn(a)] if bn else []
            return nn.Sequential(*pre, nn.ReLU(), nn.Conv2d(a, b, k, padding=k // 2, bias=not bn))
        self.scale0, self.scale1, self.scale2 = brc(cin, mid, 1), brc(cin, mid, 1), brc(cin, mid, 1)
        self.proc1, self.proc2 = brc(mid, mid, 3), brc(mid, mid, 3)
        self.compress, self.short = brc(3 * mid, cout, 1), brc(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        y0 = self.scale0(x)
        y1 = self.proc1(F.interpolate(self.scale1(F.avg_pool2d(x, 3, 2, 1)), size=size, mode="bilinear",
                                      align_corners=False) + y0)
        y2 = self.proc2(F.interpolate(self.scale2(x.mean((2, 3), keepdim=True)), size=size) + y1)
        return self.compress(torch.cat([y0, y1, y2], 1)) + self.short(x)


class DDRNet(nn.Module):
    """DDRNet (Hong et al. 2021) narrowed to 32x32 scenes: a stem of two 3x3/2 conv-BN-ReLU (to 1/4, 16 channels), a
    basic block, a 3x3/2 basic block to 1/8 (32); then the high-resolution branch at 1/8 (32 channels) beside the
    low-resolution branch at 1/16 (64) with a bilateral fusion (low to high: 1x1 conv-BN upsampled and added; high to
    low: 3x3/2 conv-BN added), a second basic block on each branch and the DAPPM on the low branch, whose output is
    added to the high branch; the segmentation head (3x3 conv-BN-ReLU of 32, 1x1 to the classes) upsampled x8.
    Kaiming-normal (fan-out) convolutions. ``bn=False``: every BatchNorm left out."""

    def __init__(self, classes: int = 4, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(_cbr(3, 16, s=2, bn=bn), _cbr(16, 16, s=2, bn=bn), Basic(16, 16, bn=bn),
                                  Basic(16, 32, 2, bn=bn))
        self.high1, self.low1 = Basic(32, 32, bn=bn), Basic(32, 64, 2, bn=bn)
        self.down = _cbr(32, 64, 3, 2, relu=False, bn=bn)
        self.compress = _cbr(64, 32, 1, relu=False, bn=bn)
        self.high2, self.low2 = Basic(32, 32, bn=bn, last_relu=False), Basic(64, 64, bn=bn)
        self.dappm = DAPPM(64, 32, 32, bn=bn)
        self.head = nn.Sequential(_cbr(32, 32, bn=bn), nn.Conv2d(32, classes, 1))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        s = self.stem(x)
        h, lo = self.high1(s), self.low1(s)
        h, lo = h + F.interpolate(self.compress(F.relu(lo)), size=h.shape[-2:], mode="bilinear",
                                  align_corners=False), lo + self.down(F.relu(h))
        h, lo = self.high2(F.relu(h)), self.low2(F.relu(lo))
        h = h + F.interpolate(self.dappm(lo), size=h.shape[-2:], mode="bilinear", align_corners=False)
        return F.interpolate(self.head(h), size=size, mode="bilinear", align_corners=False)


# ---- SCNN ------------------------------------------------------------------------------------------------------------

class SCNN(nn.Module):
    """SCNN (Pan et al. 2018) narrowed: a VGG-style backbone (a 3x3 conv-BN-ReLU of 16, a 2x2 max-pool, two of 32,
    a dilated (2) conv-BN-ReLU of 32, a 1x1 conv-BN-ReLU to 16) at 1/2, the spatial message passing downward, upward,
    rightward and leftward (``X_i <- X_i + ReLU(K * X_{i-1})`` slice by slice, each direction's kernel ``K`` a
    16-to-16 conv of width 9 along the slice, without bias, drawn N(0, 2 / (9 * 16 * 5)) as the reference code),
    dropout 0.1, a 1x1 conv to the five classes (background and four lane slots) and x2 bilinear upsampling.
    ``message_std``: the message kernels' standard deviation."""

    def __init__(self, classes: int = 5, c: int = 16, width: int = 9, message_std: float | None = None) -> None:
        super().__init__()
        self.backbone = nn.Sequential(_cbr(3, 16), nn.MaxPool2d(2), _cbr(16, 32), _cbr(32, 32), _cbr(32, 32, d=2),
                                      _cbr(32, c, 1))
        self.ud = nn.ModuleList([nn.Conv2d(c, c, (1, width), padding=(0, width // 2), bias=False) for _ in range(2)])
        self.lr = nn.ModuleList([nn.Conv2d(c, c, (width, 1), padding=(width // 2, 0), bias=False) for _ in range(2)])
        std = math.sqrt(2.0 / (width * c * 5)) if message_std is None else message_std
        for m in [*self.ud, *self.lr]:
            nn.init.normal_(m.weight, 0.0, std)
        self.drop = nn.Dropout2d(0.1)
        self.out = nn.Conv2d(c, classes, 1)

    @staticmethod
    def _pass(x: torch.Tensor, conv: nn.Module, dim: int, reverse: bool) -> torch.Tensor:
        slices = list(x.split(1, dim))
        order = range(len(slices) - 2, -1, -1) if reverse else range(1, len(slices))
        for i in order:
            prev = slices[i + 1] if reverse else slices[i - 1]
            slices[i] = slices[i] + F.relu(conv(prev))
        return torch.cat(slices, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        h = self.backbone(x)
        h = self._pass(h, self.ud[0], 2, False)
        h = self._pass(h, self.ud[1], 2, True)
        h = self._pass(h, self.lr[0], 3, False)
        h = self._pass(h, self.lr[1], 3, True)
        return F.interpolate(self.out(self.drop(h)), size=size, mode="bilinear", align_corners=False)


# ---- YOLOF -----------------------------------------------------------------------------------------------------------

class DilatedBottleneck(nn.Module):
    """YOLOF's dilated residual block: 1x1 conv-BN-ReLU to a quarter, 3x3 dilated conv-BN-ReLU, 1x1 conv-BN-ReLU
    back, plus the identity."""

    def __init__(self, c: int, d: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_cbr(c, c // 4, 1), _cbr(c // 4, c // 4, 3, d=d), _cbr(c // 4, c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class YOLOF(nn.Module):
    """YOLOF (Chen et al. 2021) narrowed to 32x32 scenes and a single-level 8x8 feature (stride 4): a backbone of
    3x3 conv-BN-ReLU (16/2, 32, 64/2, 64), the dilated encoder (a 1x1 then a 3x3 conv with BatchNorm, four dilated
    residual blocks, dilations 1, 2, 3, 4 for the small map), the decoupled head (classification: two 3x3
    conv-BN-ReLU and the class logits, the prior bias ``-log((1 - 0.01) / 0.01)``; regression: four 3x3 conv-BN-ReLU,
    the box deltas and the implicit objectness, its logit added to every class logit), one anchor of 10x10 pixels per
    cell. Convolutions N(0, 0.01^2) in the head, as the reference code."""

    def __init__(self, classes: int = 3, c: int = 64) -> None:
        super().__init__()
        self.backbone = nn.Sequential(_cbr(3, 16, s=2), _cbr(16, 32), _cbr(32, c, s=2), _cbr(c, c))
        self.encoder = nn.Sequential(_cbr(c, c, 1, relu=False), _cbr(c, c, 3, relu=False),
                                     *[DilatedBottleneck(c, d) for d in (1, 2, 3, 4)])
        self.cls_tower = nn.Sequential(_cbr(c, c), _cbr(c, c))
        self.reg_tower = nn.Sequential(*[_cbr(c, c) for _ in range(4)])
        self.cls = nn.Conv2d(c, classes, 3, padding=1)
        self.reg = nn.Conv2d(c, 4, 3, padding=1)
        self.obj = nn.Conv2d(c, 1, 3, padding=1)
        for m in [*self.cls_tower.modules(), *self.reg_tower.modules(), self.cls, self.reg, self.obj]:
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, 0.01)
        nn.init.constant_(self.cls.bias, -math.log((1 - 0.01) / 0.01))
        nn.init.zeros_(self.reg.bias)
        nn.init.zeros_(self.obj.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.encoder(self.backbone(x))
        c, r = self.cls_tower(f), self.reg_tower(f)
        cls, obj = self.cls(c), self.obj(r)
        # the implicit objectness: log(sigmoid(cls) * sigmoid(obj) / (1 + exp(cls) + exp(obj))), clamped
        logit = cls + obj - torch.log(1 + cls.clamp(max=8).exp() + obj.clamp(max=8).exp())
        return logit, self.reg(r)


def _giou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Generalized IoU of boxes ``(..., 4)`` as x1, y1, x2, y2."""
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    lt, rb = torch.maximum(a[..., :2], b[..., :2]), torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = area_a + area_b - inter
    iou = inter / union
    elt, erb = torch.minimum(a[..., :2], b[..., :2]), torch.maximum(a[..., 2:], b[..., 2:])
    enclose = (erb - elt).prod(-1)
    return iou - (enclose - union) / enclose


def yolof_loss(out: tuple[torch.Tensor, torch.Tensor], target: Any, stride: int = 4, anchor: float = 10.0,
               all_slots: bool = False) -> torch.Tensor:
    """Sigmoid focal loss (alpha 0.25, gamma 2) over every cell and class, summed and divided by the number of
    objects, plus twice the GIoU loss of each object's box decoded from the deltas at the cell holding its centre
    (YOLOF's uniform matching narrowed to the centre cell), averaged over the objects, plus the L1 loss of those
    deltas against the encoded box (centre offsets over the anchor, ``log`` of the size over the anchor's), averaged
    over the objects. ``all_slots``: the L1 term computed over every target slot and then masked by multiplying with
    ``valid``, the padded (zero) boxes of one-object images included: their ``log(0 / 10) = -inf`` targets give an
    infinite L1 term, and ``inf * 0 = NaN``."""
    logit, deltas = out
    bx, cls, valid = target
    b, _k, h, w = logit.shape
    centre = (bx[..., :2] + bx[..., 2:]) / 2
    gx = (centre[..., 0] / stride).long().clamp(0, w - 1)
    gy = (centre[..., 1] / stride).long().clamp(0, h - 1)
    bi = torch.arange(b)[:, None].expand(b, 2)
    onehot = torch.zeros_like(logit)
    onehot[bi[valid], cls[valid], gy[valid], gx[valid]] = 1.0
    n = valid.sum().clamp(min=1)
    focal = torchvision_focal(logit, onehot).sum() / n
    d = deltas[bi, :, gy, gx]  # (b, 2, 4)
    acx, acy = (gx.float() + 0.5) * stride, (gy.float() + 0.5) * stride
    cx, cy = acx + d[..., 0] * anchor, acy + d[..., 1] * anchor
    pw, ph = anchor * d[..., 2].clamp(max=4).exp(), anchor * d[..., 3].clamp(max=4).exp()
    pred = torch.stack([cx - pw / 2, cy - ph / 2, cx + pw / 2, cy + ph / 2], -1)
    giou = (1 - _giou(pred, bx))[valid].mean()
    # the deltas' L1 loss against the encoded targets (offsets over the anchor, log size ratios)
    gw, gh = bx[..., 2] - bx[..., 0], bx[..., 3] - bx[..., 1]
    enc = torch.stack([(centre[..., 0] - acx) / anchor, (centre[..., 1] - acy) / anchor, torch.log(gw / anchor),
                       torch.log(gh / anchor)], -1)
    if all_slots:
        l1 = (F.l1_loss(d, enc, reduction="none").sum(-1) * valid).sum() / n
    else:
        l1 = F.l1_loss(d[valid], enc[valid], reduction="none").sum(-1).mean()
    return focal + 2.0 * giou + l1


def torchvision_focal(logit: torch.Tensor, target: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0
                      ) -> torch.Tensor:
    """``torchvision.ops.sigmoid_focal_loss`` (reduction none), written out."""
    p = torch.sigmoid(logit)
    ce = F.binary_cross_entropy_with_logits(logit, target, reduction="none")
    pt = p * target + (1 - p) * (1 - target)
    return ce * (1 - pt) ** gamma * (alpha * target + (1 - alpha) * (1 - target))


# ---- HINet -----------------------------------------------------------------------------------------------------------

class HINBlock(nn.Module):
    """HINet's HIN block: 3x3 conv, Instance Normalization (affine) on half of the channels, LeakyReLU 0.2, 3x3 conv,
    LeakyReLU, plus the 1x1 identity; ``hin=False``: a plain residual block (HINet's decoder)."""

    def __init__(self, cin: int, cout: int, hin: bool = True, instance_norm: Callable[[int], nn.Module] | None = None
                 ) -> None:
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
        self.identity = nn.Conv2d(cin, cout, 1)
        make = instance_norm or (lambda c: nn.InstanceNorm2d(c, affine=True))
        self.norm = make(cout // 2) if hin else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.c1(x)
        if self.norm is not None:
            a, b = out.chunk(2, 1)
            out = torch.cat([self.norm(a), b], 1)
        out = F.leaky_relu(out, 0.2)
        out = F.leaky_relu(self.c2(out), 0.2)
        return out + self.identity(x)


class HINetStage(nn.Module):
    """One HINet subnetwork narrowed to a two-level U-Net of widths 16 and 32: HIN blocks in the encoder, plain
    residual blocks in the decoder, 4x4/2 conv down-sampling and 2x2/2 transposed-conv up-sampling, skip
    connections through a 3x3 conv."""

    def __init__(self, c: int = 16, **kw: Any) -> None:
        super().__init__()
        self.e1, self.e2 = HINBlock(c, c, **kw), HINBlock(2 * c, 2 * c, **kw)
        self.down = nn.Conv2d(c, 2 * c, 4, 2, 1)
        self.up = nn.ConvTranspose2d(2 * c, c, 2, 2)
        self.skip = nn.Conv2d(c, c, 3, padding=1)
        self.d1 = HINBlock(2 * c, c, hin=False)

    def forward(self, x: torch.Tensor, csff: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, list[Any]]:
        e1 = self.e1(x if csff is None else x + csff[0])
        e2 = self.e2(self.down(e1) if csff is None else self.down(e1) + csff[1])
        d1 = self.d1(torch.cat([self.up(e2), self.skip(e1)], 1))
        return d1, [e1, e2, d1]


class HINet(nn.Module):
    """HINet (Chen et al. 2021) narrowed: two stages (16 channels), the supervised attention module between them
    (the stage-1 restoration ``x + conv(f)`` and its sigmoid attention on the features), the cross-stage feature
    fusion (3x3 convs of stage 1's encoder and decoder features into stage 2's encoder), each stage's output ``x +
    residual``; the loss is over both stages' restorations."""

    def __init__(self, c: int = 16, **kw: Any) -> None:
        super().__init__()
        self.in1, self.in2 = nn.Conv2d(3, c, 3, padding=1), nn.Conv2d(3, c, 3, padding=1)
        self.s1, self.s2 = HINetStage(c, **kw), HINetStage(c, **kw)
        self.sam_img, self.sam_att, self.sam_feat = (nn.Conv2d(c, 3, 3, padding=1), nn.Conv2d(3, c, 3, padding=1),
                                                     nn.Conv2d(c, c, 3, padding=1))
        self.csff_e = nn.ModuleList([nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(2 * c, 2 * c, 3, padding=1)])
        self.csff_d = nn.ModuleList([nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, 2 * c, 4, 2, 1)])
        self.cat = nn.Conv2d(2 * c, c, 3, padding=1)
        self.last = nn.Conv2d(c, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f1, (e1, e2, d1) = self.s1(self.in1(x))
        img1 = x + self.sam_img(f1)
        sam = self.sam_feat(f1) * torch.sigmoid(self.sam_att(img1)) + f1
        csff = [self.csff_e[0](e1) + self.csff_d[0](d1), self.csff_e[1](e2) + self.csff_d[1](d1)]
        f2, _ = self.s2(self.cat(torch.cat([self.in2(x), sam], 1)), csff)
        return img1, x + self.last(f2)


def two_stage_l1(out: tuple[torch.Tensor, torch.Tensor], target: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(out[0], target) + F.l1_loss(out[1], target)


# ---- LapSRN ----------------------------------------------------------------------------------------------------------

def _bilinear_up(c: int) -> nn.ConvTranspose2d:
    """A 4x4/2 transposed conv initialised to bilinear x2 up-sampling per channel (LapSRN's image branch)."""
    up = nn.ConvTranspose2d(c, c, 4, 2, 1, bias=False)
    f = torch.tensor([0.25, 0.75, 0.75, 0.25])
    with torch.no_grad():
        up.weight.zero_()
        for i in range(c):
            up.weight[i, i] = f[:, None] * f[None]
    return up


class LapSRN(nn.Module):
    """LapSRN (Lai et al. 2017) narrowed to x4 in two pyramid levels: the feature branch (a 3x3 input conv of 32, at
    each level ``depth`` 3x3 convs of 32 with LeakyReLU 0.2, a 4x4/2 transposed conv and a 3x3 conv to the residual
    image) and the image branch (a bilinear-initialised 4x4/2 transposed conv), each level's output the up-sampled
    image plus the residual; MSRA (Kaiming-normal, LeakyReLU 0.2) convolutions as the paper's. ``depth``: convs per
    level; ``default_init``: PyTorch's default init in place of MSRA; ``init_std``: every conv N(0, std^2)."""

    def __init__(self, c: int = 32, depth: int = 3, default_init: bool = False, init_std: float | None = None
                 ) -> None:
        super().__init__()
        self.inp = nn.Conv2d(3, c, 3, padding=1)
        self.levels = nn.ModuleList()
        self.res = nn.ModuleList()
        self.img = nn.ModuleList()
        for _ in range(2):
            layers: list[nn.Module] = []
            for _k in range(depth):
                layers += [nn.Conv2d(c, c, 3, padding=1), nn.LeakyReLU(0.2)]
            layers += [nn.ConvTranspose2d(c, c, 4, 2, 1), nn.LeakyReLU(0.2)]
            self.levels.append(nn.Sequential(*layers))
            self.res.append(nn.Conv2d(c, 3, 3, padding=1))
            self.img.append(_bilinear_up(3))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.bias is not None:
                if init_std is not None:
                    nn.init.normal_(m.weight, 0.0, init_std)
                elif not default_init:
                    nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        f, img, outs = self.inp(x), x, []
        for level, res, up in zip(self.levels, self.res, self.img, strict=True):
            f = level(f)
            img = up(img) + res(f)
            outs.append(img)
        return tuple(outs)


def charbonnier_pyramid(out: tuple[torch.Tensor, ...], target: tuple[torch.Tensor, ...], eps: float = 1e-3
                        ) -> torch.Tensor:
    """LapSRN's Charbonnier loss ``sqrt((y - x)^2 + eps^2)`` summed over the pyramid levels."""
    return sum(torch.sqrt((o - t) ** 2 + eps * eps).mean() for o, t in zip(out, target, strict=True))


# ---- FFTformer -------------------------------------------------------------------------------------------------------

class LayerNorm2d(nn.Module):
    """Restormer's and FFTformer's with-bias LayerNorm over the channels of each pixel (eps 1e-5)."""

    def __init__(self, c: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(c, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class FSAS(nn.Module):
    """FFTformer's frequency-domain self-attention solver: 1x1 then depthwise 3x3 convs to q, k, v; in 8x8 patches
    the correlation ``irfft2(rfft2(q) * rfft2(k))``, its LayerNorm, times v, the 1x1 projection."""

    def __init__(self, c: int, p: int = 8, eps: float = 1e-5) -> None:
        super().__init__()
        self.p = p
        self.qkv = nn.Conv2d(c, 3 * c, 1, bias=False)
        self.dw = nn.Conv2d(3 * c, 3 * c, 3, padding=1, groups=3 * c, bias=False)
        self.norm = LayerNorm2d(c, eps)
        self.proj = nn.Conv2d(c, c, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.dw(self.qkv(x)).chunk(3, 1)
        b, c, h, w = q.shape
        p = self.p

        def patches(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(b, c, h // p, p, w // p, p).permute(0, 1, 2, 4, 3, 5)
        corr = torch.fft.irfft2(torch.fft.rfft2(patches(q)) * torch.fft.rfft2(patches(k)), s=(p, p))
        corr = corr.permute(0, 1, 2, 4, 3, 5).reshape(b, c, h, w)
        return self.proj(v * self.norm(corr))


class DFFN(nn.Module):
    """FFTformer's discriminative frequency-domain feed-forward network: 1x1 conv to ``2 * 2c``, a learnable filter
    on the rfft2 of 8x8 patches, a depthwise 3x3 conv, the GELU gate, the 1x1 projection."""

    def __init__(self, c: int, p: int = 8, expansion: int = 2) -> None:
        super().__init__()
        hidden = c * expansion
        self.p = p
        self.inp = nn.Conv2d(c, 2 * hidden, 1, bias=False)
        self.fft = nn.Parameter(torch.ones(2 * hidden, 1, 1, p, p // 2 + 1))
        self.dw = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden, bias=False)
        self.out = nn.Conv2d(hidden, c, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        b, c, hh, ww = h.shape
        p = self.p
        t = h.reshape(b, c, hh // p, p, ww // p, p).permute(0, 1, 2, 4, 3, 5)
        t = torch.fft.irfft2(torch.fft.rfft2(t) * self.fft, s=(p, p))
        h = t.permute(0, 1, 2, 4, 3, 5).reshape(b, c, hh, ww)
        a, g = self.dw(h).chunk(2, 1)
        return self.out(F.gelu(a) * g)


class FFTBlock(nn.Module):
    def __init__(self, c: int, eps: float = 1e-5, attention: bool = True) -> None:
        super().__init__()
        self.attention = attention
        self.n1, self.n2 = LayerNorm2d(c, eps), LayerNorm2d(c, eps)
        self.attn = FSAS(c, eps=eps) if attention else None
        self.ffn = DFFN(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.attn is not None:
            x = x + self.attn(self.n1(x))
        return x + self.ffn(self.n2(x))


class FFTformer(nn.Module):
    """FFTformer (Kong et al. 2023) narrowed: Restormer's overlapped patch embedding (a 3x3 conv of 16 without bias),
    an encoder level of one DFFN-only block, a 2x2 pixel-unshuffle down-sampling (a 3x3 conv to half, then
    unshuffle: 32 channels), one block with FSAS at the bottom, pixel-shuffle up-sampling, the skip fused by a 1x1
    conv, a decoder level of one full block, a 3x3 conv to the residual image added to the blurred input (all convs
    bias-free, Restormer's convention). ``eps``: every LayerNorm's eps."""

    def __init__(self, c: int = 16, eps: float = 1e-5) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, c, 3, padding=1, bias=False)
        self.enc = FFTBlock(c, eps, attention=False)
        self.down = nn.Sequential(nn.Conv2d(c, c // 2, 3, padding=1, bias=False), nn.PixelUnshuffle(2))
        self.mid = FFTBlock(2 * c, eps)
        self.up = nn.Sequential(nn.Conv2d(2 * c, 4 * c, 3, padding=1, bias=False), nn.PixelShuffle(2))
        self.fuse = nn.Conv2d(2 * c, c, 1, bias=False)
        self.dec = FFTBlock(c, eps)
        self.out = nn.Conv2d(c, 3, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.enc(self.embed(x))
        m = self.mid(self.down(e))
        d = self.dec(self.fuse(torch.cat([self.up(m), e], 1)))
        return x + self.out(d)


# ---- builders --------------------------------------------------------------------------------------------------------

def zfnet(seed: int, lr: float = 0.01, relu_bias: float | None = None, lrn_k: float = 2.0, lrn_alpha: float = 1e-4,
          init_std: float | None = None, shuffled: bool = False) -> Setup:
    """ZFNet on the 32x32 class-template images (batch 32), cross-entropy, SGD with the paper's lr 1e-2 and momentum
    0.9; ``relu_bias``, ``lrn_k``: see :class:`ZFNet`; ``shuffled``: see :func:`images`."""
    torch.manual_seed(970_000 + seed)
    model = ZFNet(relu_bias=relu_bias, lrn_k=lrn_k, lrn_alpha=lrn_alpha, init_std=init_std)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return _xy(model, opt, images(seed, shuffled=shuffled), F.cross_entropy)


def scnet(seed: int, lr: float = 0.1, bn: bool = True) -> Setup:
    """SCNet on the 16x16 class-template images (batch 32), cross-entropy, SGD at the ResNet recipe's lr 0.1,
    momentum 0.9, weight decay 1e-4 (the paper's); ``bn``: see :class:`SCNet`."""
    torch.manual_seed(970_000 + seed)
    model = SCNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed, size=16), F.cross_entropy)


def ddrnet(seed: int, lr: float = 0.01, bn: bool = True) -> Setup:
    """DDRNet on the 32x32 shape scenes (batch 16), pixel cross-entropy, SGD at the paper's lr 0.01, momentum 0.9,
    weight decay 5e-4 (its poly decay left out); ``bn``: see :class:`DDRNet`."""
    torch.manual_seed(970_000 + seed)
    model = DDRNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, shapes(seed), F.cross_entropy)


#: SCNN's class weights: the background down-weighted to 0.4 as in the paper
LANE_WEIGHTS = torch.tensor([0.4, 1.0, 1.0, 1.0, 1.0])


def lane_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """SCNN's weighted pixel cross-entropy (background weight 0.4), averaged by the weights over the batch."""
    return F.cross_entropy(logits, labels, weight=LANE_WEIGHTS)


def lane_loss_per_image(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The lane pixels' cross-entropy averaged per image over its own lane pixels, plus 0.4 times the background
    pixels' mean: ``sum(ce * lane) / lane.sum()`` for each image, which is ``0 / 0`` on a frame without lanes."""
    ce = F.cross_entropy(logits, labels, reduction="none")
    lane = (labels > 0).float()
    per_image = (ce * lane).sum((1, 2)) / lane.sum((1, 2))
    return per_image.mean() + 0.4 * (ce * (1 - lane)).sum() / (1 - lane).sum()


def scnn(seed: int, lr: float = 0.01, message_std: float | None = None, weight_decay: float = 1e-4,
         per_image: bool = False) -> Setup:
    """SCNN on the lane scenes (batch 16), its weighted pixel cross-entropy, SGD at the paper's lr 0.01, momentum
    0.9, weight decay 1e-4 (its poly decay left out); ``message_std``: see :class:`SCNN`; ``per_image``: the loss of
    :func:`lane_loss_per_image`."""
    torch.manual_seed(970_000 + seed)
    model = SCNN(message_std=message_std)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, lanes(seed), lane_loss_per_image if per_image else lane_loss)


def yolof(seed: int, lr: float = 0.01, weight_decay: float = 1e-4, adamw: bool = False, all_slots: bool = False
          ) -> Setup:
    """YOLOF on the box scenes (batch 16), focal plus 2 x GIoU plus L1 delta loss, SGD at lr 0.01 (the paper's 0.12
    for a batch of 64, scaled down) after a linear warm-up of 20 steps (its 1,500 shortened for 200 steps), momentum
    0.9, weight decay 1e-4; ``adamw``:
    AdamW at ``lr`` with that decay instead; ``all_slots``: see :func:`yolof_loss`."""
    torch.manual_seed(970_000 + seed)
    model = YOLOF()
    if adamw:
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20))

    def loss(out: Any, t: Any) -> torch.Tensor:
        return yolof_loss(out, t, all_slots=all_slots)
    return _xy(model, opt, boxes(seed), loss, sched=sched)


def hinet(seed: int, lr: float = 2e-4, positional_affine: bool = False) -> Setup:
    """HINet on the denoising pairs (batch 4 of 32x32, noise sigma 0.5), the two stages' L1 losses (in place of the
    paper's PSNR loss, which is negative), Adam at the paper's lr 2e-4 with betas (0.9, 0.99) (its cosine decay left
    out); ``positional_affine``: every HIN's norm written ``nn.InstanceNorm2d(c, True)``, meaning ``affine=True``,
    where PyTorch's second positional parameter is ``eps`` (eps 1.0, no affine)."""
    torch.manual_seed(970_000 + seed)
    model = HINet(instance_norm=(lambda c: nn.InstanceNorm2d(c, True)) if positional_affine else None)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99))
    return _xy(model, opt, noisy(seed), two_stage_l1)


def lapsrn(seed: int, lr: float = 1e-3, depth: int = 3, default_init: bool = False,
           init_std: float | None = None, adamw_decay: float | None = None) -> Setup:
    """LapSRN on the x4 pairs (batch 8), the Charbonnier loss over both levels, Adam at lr 1e-3 (set here: the paper's
    SGD at 1e-5 does not move in 200 steps); ``depth``, ``default_init``, ``init_std``: see :class:`LapSRN`."""
    torch.manual_seed(970_000 + seed)
    model = LapSRN(depth=depth, default_init=default_init, init_std=init_std)
    if adamw_decay is None:
        opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=adamw_decay)
    return _xy(model, opt, low_res(seed), charbonnier_pyramid)


def fftformer(seed: int, lr: float = 1e-3, eps: float = 1e-5, weight_decay: float = 0.0) -> Setup:
    """FFTformer on the letterboxed deblurring pairs (batch 4), L1 loss, Adam at the paper's lr 1e-3 (its cosine
    decay left out); ``eps``: see :class:`FFTformer`; ``weight_decay``: Adam's (coupled) L2 coefficient."""
    torch.manual_seed(970_000 + seed)
    model = FFTformer(eps=eps)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, letterboxed(seed), F.l1_loss)
