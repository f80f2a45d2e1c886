"""Builders of the hundred-and-sixth held-out batch (``fresh105.py``): vision architectures new to the corpus
(classification, detection, segmentation, restoration and video backbones) at their usual settings, and broken
variants with one real fault each, plus the small data sets they train on. Written and labelled with plain PyTorch
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(1_050_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(10500 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _init_all(model: nn.Module, std: float | None = None, zero: bool = False) -> None:
    """Every conv, transposed conv and Linear weight drawn N(0, std^2) or set to 0 (the init faults)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)):
            with torch.no_grad():
                if zero:
                    m.weight.zero_()
                elif std is not None:
                    m.weight.normal_(0.0, std)


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


def shapes(seed: int, batch: int = 16, size: int = 16, classes: int = 4) -> Callable[[int], Any]:
    """Segmentation mosaics: each scene cut at a random row and a random column (4 to 12) into four rectangles, each
    of a random class of 4 with its own fixed colour, plus N(0, 0.8^2) noise; the label map is each pixel's class
    (the classes are balanced, so a model that learns nothing stays at ln 4): ``(images (b, 3, 16, 16), labels (b,
    16, 16))``."""
    colours = 1.5 * torch.randn(classes, 3, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.zeros(batch, size, size, dtype=torch.long)
        for i in range(batch):
            r, q = (int(v) for v in torch.randint(4, size - 3, (2,), generator=g))
            c = torch.randint(0, classes, (4,), generator=g)
            y[i, :r, :q], y[i, :r, q:], y[i, r:, :q], y[i, r:, q:] = c[0], c[1], c[2], c[3]
        x = colours[y].permute(0, 3, 1, 2) + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y
    return _pool(seed, make)


def smooth_fields(g: torch.Generator, batch: int, size: int = 16, coarse: int = 6) -> torch.Tensor:
    return F.interpolate(torch.randn(batch, 1, coarse, coarse, generator=g), size=(size, size), mode="bicubic",
                         align_corners=False)


def super_resolution(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """x2 super-resolution of smooth random fields: the 16x16 field is the target, its 2x2 average pool the input:
    ``(low (b, 1, 8, 8), high (b, 1, 16, 16))``."""
    def make(g: torch.Generator, _: int) -> Any:
        hr = smooth_fields(g, batch, size)
        return F.avg_pool2d(hr, 2), hr
    return _pool(seed, make)


def denoising(seed: int, batch: int = 16, size: int = 16, sigma: float = 0.5) -> Callable[[int], Any]:
    """Gaussian denoising of smooth random fields (noise std 0.5): ``(noisy, clean)``."""
    def make(g: torch.Generator, _: int) -> Any:
        clean = smooth_fields(g, batch, size)
        return clean + sigma * torch.randn(clean.shape, generator=g), clean
    return _pool(seed, make)


def clips(seed: int, batch: int = 16, frames: int = 4, size: int = 16, classes: int = 4, shuffled: bool = False
          ) -> Callable[[int], Any]:
    """Video clips of 4 frames: a bright 5x5 square (one of two fixed colours) moving 2 pixels a frame in one of
    four directions from a random start, over N(0, 0.5^2) noise; the class is the direction (the colour is a
    distractor): ``(clips (b, 3, 4, 16, 16), direction (b,))``; ``shuffled``: the labels permuted within every batch,
    apart from their clips."""
    colours = torch.randn(2, 3, generator=_fixed(3)).abs() + 1.0
    moves = torch.tensor([[0, 2], [0, -2], [2, 0], [-2, 0]])

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        col = torch.randint(0, 2, (batch,), generator=g)
        x = 0.5 * torch.randn(batch, 3, frames, size, size, generator=g)
        for i in range(batch):
            r0, c0 = (int(v) for v in torch.randint(4, size - 9, (2,), generator=g))
            dr, dc = (int(v) for v in moves[y[i]])
            for t in range(frames):
                r, c = r0 + dr * (t - 1), c0 + dc * (t - 1)
                x[i, :, t, r:r + 5, c:c + 5] += colours[col[i]][:, None, None]
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def detection(seed: int, batch: int = 16, size: int = 16, classes: int = 3, grid: int = 4, empty: float = 0.0
              ) -> Callable[[int], Any]:
    """Single-object detection: a class-coloured rectangle (4 to 8 pixels a side) at a random place over noise; the
    target is the object's class (1..3), its centre cell on the 4x4 grid and its box ``(cx, cy, w, h)`` in pixels;
    ``empty``: that fraction of every batch holds no object (class 0, and the box the padding ``[0, 0, 0, 0]``):
    ``(images, (classes (b,), cells (b,), boxes (b, 4)))``."""
    colours = 1.5 * torch.randn(classes + 1, 3, generator=_fixed(4))
    stride = size // grid

    def make(g: torch.Generator, _: int) -> Any:
        x = 0.8 * torch.randn(batch, 3, size, size, generator=g)
        cls = torch.randint(1, classes + 1, (batch,), generator=g)
        cells = torch.zeros(batch, dtype=torch.long)
        boxes = torch.zeros(batch, 4)
        n_empty = round(empty * batch)
        for i in range(batch):
            if i < n_empty:
                cls[i] = 0
                continue
            h, w = (int(v) for v in torch.randint(4, 9, (2,), generator=g))
            r, q = int(torch.randint(0, size - h + 1, (1,), generator=g)), int(
                torch.randint(0, size - w + 1, (1,), generator=g))
            x[i, :, r:r + h, q:q + w] += colours[cls[i]][:, None, None]
            cy, cx = r + h / 2, q + w / 2
            cells[i] = int(cy // stride) * grid + int(cx // stride)
            boxes[i] = torch.tensor([cx, cy, float(w), float(h)])
        return x, (cls, cells, boxes)
    return _pool(seed, make)


# ---- BAM (Park et al. 2018) ------------------------------------------------------------------------------------------

class BAM(nn.Module):
    """The Bottleneck Attention Module: a channel branch (global average pool, MLP with reduction 16 (here 4) and BN)
    and a spatial branch (1x1 reduction, two 3x3 convs of dilation 4 (here 2), 1x1 to one map, BN), merged as
    ``M = sigmoid(Mc + Ms)`` and applied ``F' = F + F * M``."""

    def __init__(self, c: int, r: int = 4, bn: bool = True) -> None:
        super().__init__()
        norm1 = (lambda n: nn.BatchNorm1d(n)) if bn else (lambda n: nn.Identity())
        norm2 = (lambda n: nn.BatchNorm2d(n)) if bn else (lambda n: nn.Identity())
        self.channel = nn.Sequential(nn.Linear(c, c // r), norm1(c // r), nn.ReLU(), nn.Linear(c // r, c))
        self.spatial = nn.Sequential(nn.Conv2d(c, c // r, 1), norm2(c // r), nn.ReLU(),
                                     nn.Conv2d(c // r, c // r, 3, padding=2, dilation=2), norm2(c // r), nn.ReLU(),
                                     nn.Conv2d(c // r, c // r, 3, padding=2, dilation=2), norm2(c // r), nn.ReLU(),
                                     nn.Conv2d(c // r, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mc = self.channel(x.mean((2, 3)))[:, :, None, None]
        m = torch.sigmoid(mc + self.spatial(x))
        return x + x * m


class BasicBlock(nn.Module):
    """ResNet's basic block (two 3x3 conv-BN, ReLU, the projection shortcut where the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, bn: bool = True) -> None:
        super().__init__()
        norm = (lambda n: nn.BatchNorm2d(n)) if bn else (lambda n: nn.Identity())
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=not bn), norm(cout), nn.ReLU(),
                                  nn.Conv2d(cout, cout, 3, 1, 1, bias=not bn), norm(cout))
        self.short = (nn.Identity() if stride == 1 and cin == cout else
                      nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=not bn), norm(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.short(x))


class BAMResNet(nn.Module):
    """A BAM-ResNet narrowed to 16x16 images: a 3x3 stem of 16, three stages of one basic block (16, 32, 64; stride
    1, 2, 2) with a BAM at each of the two stage bottlenecks, global average pooling, the classifier; PyTorch's
    default init with the He-normal convs of the reference code."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        norm = (lambda n: nn.BatchNorm2d(n)) if bn else (lambda n: nn.Identity())
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=not bn), norm(16), nn.ReLU())
        self.layer1, self.bam1 = BasicBlock(16, 16, 1, bn), BAM(16, bn=bn)
        self.layer2, self.bam2 = BasicBlock(16, 32, 2, bn), BAM(32, bn=bn)
        self.layer3 = BasicBlock(32, 64, 2, bn)
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.bam1(self.layer1(self.stem(x)))
        h = self.layer3(self.bam2(self.layer2(h)))
        return self.fc(h.mean((2, 3)))


def bam(seed: int, lr: float = 0.1, bn: bool = True, shuffled: bool = False) -> Setup:
    """BAM-ResNet on the class-template images (batch 32), cross-entropy, the paper's SGD (momentum 0.9, weight decay
    1e-4) at lr 0.1, its step decay left out; ``bn``: every BatchNorm (the BAMs' too) left out; ``shuffled``: see
    :func:`images`."""
    torch.manual_seed(1_050_000 + seed)
    model = BAMResNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed, shuffled=shuffled), F.cross_entropy)


# ---- ReSeg (Visin et al. 2016) ---------------------------------------------------------------------------------------

class ReNetLayer(nn.Module):
    """A ReNet layer: bidirectional GRUs sweeping the map's columns (vertically), their outputs concatenated, then
    bidirectional GRUs sweeping the rows (horizontally)."""

    def __init__(self, cin: int, hidden: int, gate_bias: float | None = None) -> None:
        super().__init__()
        self.vertical = nn.GRU(cin, hidden, batch_first=True, bidirectional=True)
        self.horizontal = nn.GRU(2 * hidden, hidden, batch_first=True, bidirectional=True)
        if gate_bias is not None:  # the update gate's biases (PyTorch's gate order: reset, update, new)
            with torch.no_grad():
                for gru in (self.vertical, self.horizontal):
                    for name, p in gru.named_parameters():
                        if name.startswith("bias_"):
                            p[hidden:2 * hidden] = gate_bias / 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        v = x.permute(0, 3, 2, 1).reshape(b * w, h, c)  # each column a sequence over the rows
        v = self.vertical(v)[0].reshape(b, w, h, -1).permute(0, 2, 1, 3).reshape(b * h, w, -1)
        o = self.horizontal(v)[0].reshape(b, h, w, -1)
        return o.permute(0, 3, 1, 2)


class ReSeg(nn.Module):
    """ReSeg narrowed: a two-conv encoder (3x3 convs of 16, ReLU, a 2x2 max-pool to 8x8; the paper's VGG front end),
    two ReNet layers of 16 hidden units a direction, a transposed-conv upsampling to 16x16 and a 1x1 classifier.
    ``plain``: that many extra 3x3 conv-ReLU layers of 16 at the end of the encoder (PyTorch's default init)."""

    def __init__(self, classes: int = 4, hidden: int = 16, gate_bias: float | None = None, plain: int = 0) -> None:
        super().__init__()
        extra: list[nn.Module] = []
        for _ in range(plain):
            extra += [nn.Conv2d(16, 16, 3, padding=1), nn.ReLU()]
        self.enc = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1),
                                 nn.ReLU(), nn.MaxPool2d(2), *extra)
        self.renet1 = ReNetLayer(16, hidden, gate_bias)
        self.renet2 = ReNetLayer(2 * hidden, hidden, gate_bias)
        self.up = nn.ConvTranspose2d(2 * hidden, 16, 2, stride=2)
        self.cls = nn.Conv2d(16, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.renet2(self.renet1(self.enc(x)))
        return self.cls(F.relu(self.up(h)))


def reseg(seed: int, lr: float = 1e-3, gate_bias: float | None = None, plain: int = 0) -> Setup:
    """ReSeg on the mosaic scenes (batch 16), per-pixel cross-entropy, Adam at lr 1e-3 (the paper's Adadelta
    replaced); ``gate_bias``: every GRU's update-gate bias (both of its bias vectors) summing to it; ``plain``: see
    :class:`ReSeg`."""
    torch.manual_seed(1_050_000 + seed)
    model = ReSeg(gate_bias=gate_bias, plain=plain)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), shapes(seed), F.cross_entropy)


# ---- MSRN (Li et al. 2018) -------------------------------------------------------------------------------------------

class MSRB(nn.Module):
    """MSRN's multi-scale residual block: a 3x3 and a 5x5 branch, exchanged and concatenated twice, a 1x1
    "confusion" conv back to the width, and the identity."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.c31, self.c51 = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 5, padding=2)
        self.c32, self.c52 = nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.Conv2d(2 * c, 2 * c, 5, padding=2)
        self.confusion = nn.Conv2d(4 * c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1, p1 = F.relu(self.c31(x)), F.relu(self.c51(x))
        i2 = torch.cat([s1, p1], 1)
        s2, p2 = F.relu(self.c32(i2)), F.relu(self.c52(i2))
        return self.confusion(torch.cat([s2, p2], 1)) + x


class MSRN(nn.Module):
    """MSRN narrowed: a 3x3 head of 16, four MSRBs (the paper's eight), the hierarchical feature fusion (every
    block's output and the head's concatenated, a 1x1 and a 3x3 conv), the sub-pixel x2 upsampler and a 3x3 tail;
    no normalisation (the EDSR code base's PyTorch default init)."""

    def __init__(self, c: int = 16, blocks: int = 4) -> None:
        super().__init__()
        self.head = nn.Conv2d(1, c, 3, padding=1)
        self.body = nn.ModuleList(MSRB(c) for _ in range(blocks))
        self.fuse = nn.Sequential(nn.Conv2d(c * (blocks + 1), c, 1), nn.Conv2d(c, c, 3, padding=1))
        self.up = nn.Sequential(nn.Conv2d(c, 4 * c, 3, padding=1), nn.PixelShuffle(2))
        self.tail = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        outs = [h]
        for blk in self.body:
            outs.append(blk(outs[-1]))
        return self.tail(self.up(self.fuse(torch.cat(outs, 1))))


def msrn(seed: int, lr: float = 1e-3) -> Setup:
    """MSRN on x2 super-resolution of smooth fields (batch 16), the paper's L1 loss, Adam (betas 0.9, 0.999) at lr
    1e-3 (its 1e-4 raised for 200 steps)."""
    torch.manual_seed(1_050_000 + seed)
    model = MSRN()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), super_resolution(seed), F.l1_loss)


# ---- IRCNN (Zhang et al. 2017) ---------------------------------------------------------------------------------------

class IRCNN(nn.Module):
    """The IRCNN denoiser: seven 3x3 convs of 32 (the paper's 64) with dilations 1, 2, 3, 4, 3, 2, 1, BN and ReLU on
    the five middle ones, predicting the noise (residual learning: clean = noisy - f(noisy))."""

    def __init__(self, c: int = 32) -> None:
        super().__init__()
        dil = (1, 2, 3, 4, 3, 2, 1)
        layers: list[nn.Module] = [nn.Conv2d(1, c, 3, padding=1), nn.ReLU()]
        for d in dil[1:-1]:
            layers += [nn.Conv2d(c, c, 3, padding=d, dilation=d, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        layers.append(nn.Conv2d(c, 1, 3, padding=1))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.body(x)


def ircnn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False) -> Setup:
    """IRCNN on Gaussian denoising of smooth fields (batch 16), MSE, Adam at the paper's lr 1e-3; ``adamw``,
    ``weight_decay``: AdamW with that decay instead."""
    torch.manual_seed(1_050_000 + seed)
    model = IRCNN()
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    return _xy(model, cls(model.parameters(), lr=lr, weight_decay=weight_decay), denoising(seed), F.mse_loss)


# ---- Non-local neural networks (Wang et al. 2018) --------------------------------------------------------------------

class NonLocal(nn.Module):
    """The embedded-Gaussian non-local block: theta, phi, g 1x1x1 convs to half the width, ``y = softmax(theta^T phi)
    g``, ``z = BN(W_z y) + x`` with the BN's scale initialised to 0."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.theta, self.phi, self.g = (nn.Conv3d(c, c // 2, 1) for _ in range(3))
        self.wz = nn.Conv3d(c // 2, c, 1)
        self.bn = nn.BatchNorm3d(c)
        nn.init.zeros_(self.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[:2]
        th = self.theta(x).flatten(2).transpose(1, 2)
        ph, g = self.phi(x).flatten(2), self.g(x).flatten(2).transpose(1, 2)
        y = torch.softmax(th @ ph, -1) @ g
        y = y.transpose(1, 2).reshape(b, c // 2, *x.shape[2:])
        return self.bn(self.wz(y)) + x


def _c2d(cin: int, cout: int, stride: int = 1) -> nn.Module:
    return nn.Sequential(nn.Conv3d(cin, cout, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False),
                         nn.BatchNorm3d(cout), nn.ReLU())


class NonLocalC2D(nn.Module):
    """A C2D backbone (2D 3x3 convs applied frame by frame, BN, ReLU; 16, 32 (stride 2), 32 (stride 2)) with a
    non-local block after the second and the third stage: the only place where frames meet; global average pooling
    and the classifier (dropout 0.5)."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.s1, self.s2, self.s3 = _c2d(3, 16), _c2d(16, 32, 2), _c2d(32, 32, 2)
        self.nl2, self.nl3 = NonLocal(32), NonLocal(32)
        self.drop, self.fc = nn.Dropout(0.5), nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.nl3(self.s3(self.nl2(self.s2(self.s1(x)))))
        return self.fc(self.drop(h.mean((2, 3, 4))))


def non_local(seed: int, lr: float = 0.01, init_std: float | None = None) -> Setup:
    """The non-local C2D on the moving-square clips (batch 16), cross-entropy, the paper's SGD (momentum 0.9, weight
    decay 1e-4) at lr 0.01 (its warm-up and step decay left out); ``init_std``: every conv and Linear weight drawn
    N(0, std^2)."""
    torch.manual_seed(1_050_000 + seed)
    model = NonLocalC2D()
    _init_all(model, std=init_std)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, clips(seed), F.cross_entropy)


# ---- ECO (Zolfaghari et al. 2018) ------------------------------------------------------------------------------------

class ECO(nn.Module):
    """ECO-Lite narrowed: a 2D net shared by the frames (3x3 convs of 16 and 32 with BN and ReLU, a 2x2 max-pool; the
    paper's BN-Inception to inception-3c), the frames' maps stacked along time, a 3D net (two 3x3x3 convs of 32 with
    BN and ReLU; the paper's 3D-ResNet18 part), global average pooling, dropout 0.5 and the classifier. ``plain``:
    that many extra 3x3 conv-ReLU layers of 16 (no BN) at the top of the 2D net."""

    def __init__(self, classes: int = 4, plain: int = 0) -> None:
        super().__init__()
        extra: list[nn.Module] = []
        for _ in range(plain):
            extra += [nn.Conv2d(16, 16, 3, padding=1), nn.ReLU()]
        self.net2d = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), *extra,
                                   nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                                   nn.MaxPool2d(2))
        self.net3d = nn.Sequential(nn.Conv3d(32, 32, 3, padding=1, bias=False), nn.BatchNorm3d(32), nn.ReLU(),
                                   nn.Conv3d(32, 32, 3, padding=1, bias=False), nn.BatchNorm3d(32), nn.ReLU())
        self.drop, self.fc = nn.Dropout(0.5), nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = x.shape
        f = self.net2d(x.transpose(1, 2).reshape(b * t, c, h, w))
        f = f.reshape(b, t, *f.shape[1:]).transpose(1, 2)
        return self.fc(self.drop(self.net3d(f).mean((2, 3, 4))))


def eco(seed: int, lr: float = 0.001, weight_decay: float = 5e-4, plain: int = 0, zero_init: bool = False,
        bn_bias: float | None = None, shuffled: bool = False) -> Setup:
    """ECO-Lite on the moving-square clips (batch 16), cross-entropy, the paper's SGD (momentum 0.9, weight decay
    5e-4) at lr 0.001; ``plain``: see :class:`ECO`; ``zero_init``: every conv and Linear weight set to 0;
    ``bn_bias``: every BatchNorm's shift (each sits before a ReLU) set to it; ``shuffled``: see :func:`clips`."""
    torch.manual_seed(1_050_000 + seed)
    model = ECO(plain=plain)
    _init_all(model, zero=zero_init)
    if bn_bias is not None:
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
                nn.init.constant_(m.bias, bn_bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, clips(seed, shuffled=shuffled), F.cross_entropy)


# ---- RFBNet (Liu et al. 2018) ----------------------------------------------------------------------------------------

class BasicRFB(nn.Module):
    """The Receptive Field Block: three branches (1x1 -> 3x3 dilation 1; 1x1 -> 3x3 -> 3x3 dilation 3; 1x1 -> 3x3 ->
    3x3 dilation 5, the reference code's), concatenated, a 1x1 "ConvLinear", ``out * scale + shortcut`` with the
    reference code's scale 0.1, ReLU."""

    def __init__(self, cin: int, cout: int, scale: float = 0.1) -> None:
        super().__init__()
        m = cin // 4

        def cbr(a: int, b: int, k: int, d: int = 1, relu: bool = True) -> nn.Module:
            return nn.Sequential(nn.Conv2d(a, b, k, padding=d * (k // 2), dilation=d, bias=False), nn.BatchNorm2d(b),
                                 *([nn.ReLU()] if relu else []))
        self.b0 = nn.Sequential(cbr(cin, 2 * m, 1), cbr(2 * m, 2 * m, 3, 1, False))
        self.b1 = nn.Sequential(cbr(cin, m, 1), cbr(m, 2 * m, 3), cbr(2 * m, 2 * m, 3, 3, False))
        self.b2 = nn.Sequential(cbr(cin, m, 1), cbr(m, m, 3), cbr(m, 2 * m, 3), cbr(2 * m, 2 * m, 3, 5, False))
        self.linear = cbr(6 * m, cout, 1, relu=False)
        self.short = cbr(cin, cout, 1, relu=False)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.linear(torch.cat([self.b0(x), self.b1(x), self.b2(x)], 1))
        return F.relu(out * self.scale + self.short(x))


class RFBNet(nn.Module):
    """RFBNet narrowed to one prediction scale: a small VGG-like backbone (3x3 convs of 16, 32, 64 with BN, ReLU, two
    2x2 max-pools to 4x4), an RFB of 64, and SSD-style heads on the 4x4 grid: per cell the class scores
    (background and 3 classes) and the box offsets against the cell's prior (centre, 8x8)."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()

        def cbr(a: int, b: int) -> nn.Module:
            return nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU())
        self.backbone = nn.Sequential(cbr(3, 16), nn.MaxPool2d(2), cbr(16, 32), nn.MaxPool2d(2), cbr(32, 64))
        self.rfb = BasicRFB(64, 64)
        self.conf = nn.Conv2d(64, classes, 3, padding=1)
        self.loc = nn.Conv2d(64, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.rfb(self.backbone(x))
        return self.conf(h).flatten(2).transpose(1, 2), self.loc(h).flatten(2).transpose(1, 2)


def _priors(grid: int = 4, size: int = 16, box: float = 8.0) -> torch.Tensor:
    stride = size / grid
    c = (torch.arange(grid) + 0.5) * stride
    cy, cx = torch.meshgrid(c, c, indexing="ij")
    return torch.stack([cx.flatten(), cy.flatten(), torch.full((grid * grid,), box), torch.full((grid * grid,), box)],
                       1)


def multibox_loss(out: tuple[torch.Tensor, torch.Tensor], target: tuple[torch.Tensor, ...],
                  encode_all: bool = False) -> torch.Tensor:
    """SSD's MultiBox loss narrowed to one object per image and one prior per cell: cross-entropy of every cell's
    class (the object's class at its centre cell, background elsewhere) plus the smooth-L1 loss of the object's
    encoded box ``((c - c_p) / (0.1 w_p), log(w / w_p) / 0.2)`` (the variances 0.1, 0.2) at its cell. ``encode_all``:
    every image's box encoded and regressed, the empty images' padding ``[0, 0, 0, 0]`` included."""
    conf, loc = out
    cls, cells, boxes = target
    b, n, _ = conf.shape
    labels = torch.zeros(b, n, dtype=torch.long)
    idx = torch.arange(b)
    labels[idx, cells] = cls
    loss = F.cross_entropy(conf.reshape(b * n, -1), labels.reshape(-1))
    p = _priors()[cells]
    enc = torch.cat([(boxes[:, :2] - p[:, :2]) / (0.1 * p[:, 2:]), torch.log(boxes[:, 2:] / p[:, 2:]) / 0.2], 1)
    keep = torch.ones(b, dtype=torch.bool) if encode_all else cls > 0
    return loss + F.smooth_l1_loss(loc[idx, cells][keep], enc[keep])


def rfbnet(seed: int, lr: float = 1e-3, empty: float = 0.0, encode_all: bool = False, adam: bool = True) -> Setup:
    """RFBNet on the one-object scenes (batch 16), the MultiBox loss, Adam at lr 1e-3 (the reference code's SGD with
    its warm-up replaced for 200 steps); ``adam=False``: the reference code's SGD (momentum 0.9, weight decay 5e-4)
    at ``lr``; ``empty``: see :func:`detection`; ``encode_all``: see :func:`multibox_loss`."""
    torch.manual_seed(1_050_000 + seed)
    model = RFBNet()
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if adam else
           torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4))
    return _xy(model, opt, detection(seed, empty=empty), lambda o, t: multibox_loss(o, t, encode_all))


# ---- R2U-Net (Alom et al. 2018) --------------------------------------------------------------------------------------

class RecurrentConv(nn.Module):
    """A recurrent convolutional layer (t = 2): ``x1 = conv(x); x1 = conv(x + x1)`` twice, conv = 3x3-BN-ReLU."""

    def __init__(self, c: int, t: int = 2) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU())
        self.t = t

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.conv(x)
        for _ in range(self.t):
            x1 = self.conv(x + x1)
        return x1


class RRCNN(nn.Module):
    """The recurrent residual unit: a 1x1 conv to the width, two recurrent conv layers, the residual."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.inp = nn.Conv2d(cin, cout, 1)
        self.rcnn = nn.Sequential(RecurrentConv(cout), RecurrentConv(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x)
        return x + self.rcnn(x)


class R2UNet(nn.Module):
    """R2U-Net narrowed to two levels: RRCNN units of 16 and 32 (a 2x2 max-pool between), a 2x2 transposed-conv
    upsampling, the skip concatenated, an RRCNN of 16 and a 1x1 classifier."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.e1, self.e2 = RRCNN(3, 16), RRCNN(16, 32)
        self.up = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.d1 = RRCNN(32, 16)
        self.out = nn.Conv2d(16, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = self.e1(x)
        h = self.e2(F.max_pool2d(s1, 2))
        return self.out(self.d1(torch.cat([s1, self.up(h)], 1)))


def r2unet(seed: int, lr: float = 2e-4, bn_bias: float | None = None, weight_decay: float = 0.0,
           adamw: bool = False) -> Setup:
    """R2U-Net on the mosaic scenes (batch 16), per-pixel cross-entropy, Adam at the paper's lr 2e-4; ``bn_bias``:
    every BatchNorm's shift (the one before each ReLU) set to it; ``adamw``, ``weight_decay``: AdamW with that decay
    instead."""
    torch.manual_seed(1_050_000 + seed)
    model = R2UNet()
    if bn_bias is not None:
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.bias, bn_bias)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    return _xy(model, cls(model.parameters(), lr=lr, weight_decay=weight_decay), shapes(seed), F.cross_entropy)

