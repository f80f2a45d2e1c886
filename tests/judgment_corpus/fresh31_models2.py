"""Hand-written models of the thirty-second held-out batch (``fresh31.py``), the vision ones: small versions of
published architectures new to the corpus, each with the switches its broken variants need (one fault each, off by
default)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- spatial transformer ---------------------------------------------------------------------------------------------


class STN(nn.Module):
    """A spatial transformer network (Jaderberg et al. 2015) in the form of its common PyTorch reference: a
    localisation net (conv 8 k7, max-pool, ReLU, conv 10 k5, max-pool, ReLU, a hidden layer of 32) regressing the 6
    affine parameters (last layer zero weights and the identity as bias), ``affine_grid`` and ``grid_sample``, then
    a small classifier (conv 10 k5, conv 20 k5 with Dropout2d, max-pools, a hidden layer of 50 with dropout) on
    28x28 grey images."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.loc = nn.Sequential(nn.Conv2d(1, 8, 7), nn.MaxPool2d(2), nn.ReLU(), nn.Conv2d(8, 10, 5),
                                 nn.MaxPool2d(2), nn.ReLU())
        self.fc_loc = nn.Sequential(nn.Linear(10 * 3 * 3, 32), nn.ReLU(), nn.Linear(32, 6))
        nn.init.zeros_(self.fc_loc[2].weight)
        with torch.no_grad():
            self.fc_loc[2].bias.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]))
        self.conv1, self.conv2 = nn.Conv2d(1, 10, 5), nn.Conv2d(10, 20, 5)
        self.drop2d = nn.Dropout2d(0.5)
        self.fc1, self.fc2 = nn.Linear(20 * 4 * 4, 50), nn.Linear(50, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        theta = self.fc_loc(self.loc(x).flatten(1)).view(-1, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, align_corners=False)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.drop2d(self.conv2(x)), 2))
        x = F.dropout(F.relu(self.fc1(x.flatten(1))), 0.5, self.training)
        return self.fc2(x)


# ---- stacked hourglass -----------------------------------------------------------------------------------------------


class Residual(nn.Module):
    """The hourglass' residual module: pre-activation bottleneck (BN-ReLU-conv 1x1, 3x3, 1x1), a 1x1 projection
    when the width changes."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        mid = cout // 2
        self.body = nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, mid, 1), nn.BatchNorm2d(mid),
                                  nn.ReLU(), nn.Conv2d(mid, mid, 3, padding=1), nn.BatchNorm2d(mid), nn.ReLU(),
                                  nn.Conv2d(mid, cout, 1))
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.body(x)


class Hourglass(nn.Module):
    """One hourglass of ``depth`` levels: a residual branch at each scale, max-pool down, recurse, nearest
    upsampling back, summed."""

    def __init__(self, c: int, depth: int) -> None:
        super().__init__()
        self.up1, self.low1, self.low3 = Residual(c, c), Residual(c, c), Residual(c, c)
        self.low2 = Hourglass(c, depth - 1) if depth > 1 else Residual(c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = self.low3(self.low2(self.low1(F.max_pool2d(x, 2))))
        return self.up1(x) + F.interpolate(low, scale_factor=2, mode="nearest")


class StackedHourglass(nn.Module):
    """Stacked hourglass networks (Newell, Yang & Deng 2016), narrowed: a stride-2 7x7 stem and a residual module
    (32x32 images to 16x16 maps of 32 channels), two stacked hourglasses of depth 2, each followed by a residual
    module, a 1x1 conv-BN-ReLU and a 1x1 head to the ``k`` heatmaps, the intermediate prediction and features mapped
    back by 1x1 convolutions and added to the next stack's input. Returns the stacks' heatmaps ``(stacks, b, k, 16,
    16)`` (intermediate supervision)."""

    def __init__(self, k: int = 4, c: int = 32, stacks: int = 2) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 7, stride=2, padding=3), nn.BatchNorm2d(c), nn.ReLU(),
                                  Residual(c, c))
        self.hg = nn.ModuleList(Hourglass(c, 2) for _ in range(stacks))
        self.post = nn.ModuleList(nn.Sequential(Residual(c, c), nn.Conv2d(c, c, 1), nn.BatchNorm2d(c), nn.ReLU())
                                  for _ in range(stacks))
        self.head = nn.ModuleList(nn.Conv2d(c, k, 1) for _ in range(stacks))
        self.back_f = nn.ModuleList(nn.Conv2d(c, c, 1) for _ in range(stacks - 1))
        self.back_p = nn.ModuleList(nn.Conv2d(k, c, 1) for _ in range(stacks - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        preds = []
        for i, (hg, post, head) in enumerate(zip(self.hg, self.post, self.head, strict=True)):
            f = post(hg(x))
            p = head(f)
            preds.append(p)
            if i < len(self.back_f):
                x = x + self.back_f[i](f) + self.back_p[i](p)
        return torch.stack(preds)


# ---- octave convolution ----------------------------------------------------------------------------------------------


class OctConv(nn.Module):
    """Octave convolution (Chen et al. 2019): features split into a high-frequency part at full resolution and a
    low-frequency part (``alpha`` of the channels) at half; ``Y_h = f(X_h) + up(f(X_l))``, ``Y_l = f(X_l) +
    f(pool(X_h))``; each output part then BatchNorm and ReLU (``act``)."""

    def __init__(self, cin: int, cout: int, a_in: float, a_out: float, stride: int = 1, act: bool = True) -> None:
        super().__init__()
        li, lo = int(a_in * cin), int(a_out * cout)
        hi, ho = cin - li, cout - lo
        self.stride = stride
        self.hh = nn.Conv2d(hi, ho, 3, padding=1, bias=False)
        self.hl = nn.Conv2d(hi, lo, 3, padding=1, bias=False) if lo else None
        self.lh = nn.Conv2d(li, ho, 3, padding=1, bias=False) if li else None
        self.ll = nn.Conv2d(li, lo, 3, padding=1, bias=False) if li and lo else None
        self.bn_h = nn.BatchNorm2d(ho)
        self.bn_l = nn.BatchNorm2d(lo) if lo else None
        self.act = act

    def forward(self, x: tuple[torch.Tensor, torch.Tensor | None]) -> tuple[torch.Tensor, torch.Tensor | None]:
        xh, xl = x
        if self.stride == 2:
            xh = F.avg_pool2d(xh, 2)
            xl = F.avg_pool2d(xl, 2) if xl is not None else None
        yh = self.hh(xh)
        if self.lh is not None and xl is not None:
            yh = yh + F.interpolate(self.lh(xl), scale_factor=2, mode="nearest")
        yl = None
        if self.hl is not None:
            yl = self.hl(F.avg_pool2d(xh, 2))
            if self.ll is not None and xl is not None:
                yl = yl + self.ll(xl)
        yh = self.bn_h(yh)
        yl = self.bn_l(yl) if yl is not None and self.bn_l is not None else yl
        if self.act:
            yh = F.relu(yh)
            yl = F.relu(yl) if yl is not None else None
        return yh, yl


class OctBlock(nn.Module):
    """A basic residual block of two octave convolutions (``alpha`` 0.25 in and out), a strided octave 1x1-like
    projection (here 3x3) on the shortcut when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.c1 = OctConv(cin, cout, 0.25, 0.25, stride)
        self.c2 = OctConv(cout, cout, 0.25, 0.25, act=False)
        self.proj = OctConv(cin, cout, 0.25, 0.25, stride, act=False) if stride != 1 or cin != cout else None

    def forward(self, x: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        yh, yl = self.c2(self.c1(x))
        sh, sl = self.proj(x) if self.proj is not None else x
        return F.relu(yh + sh), F.relu(yl + sl)


class OctResNet(nn.Module):
    """A small Oct-ResNet: an octave convolution from the image (alpha 0 in, 0.25 out) of 16, three basic blocks of
    16, 32, 64 (strides 1, 2, 2), a last octave convolution merging the parts (alpha 0 out), global average pooling
    and a linear classifier."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.first = OctConv(3, 16, 0.0, 0.25)
        self.blocks = nn.ModuleList([OctBlock(16, 16, 1), OctBlock(16, 32, 2), OctBlock(32, 64, 2)])
        self.last = OctConv(64, 64, 0.25, 0.0)
        self.fc = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.first((x, None))
        for block in self.blocks:
            h = block(h)
        yh, _ = self.last(h)
        return self.fc(yh.mean((2, 3)))


# ---- semantic segmentation -------------------------------------------------------------------------------------------


class DilatedBlock(nn.Module):
    """A basic residual block (conv-BN-ReLU, conv-BN, shortcut, ReLU) at a dilation."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=dilation, dilation=dilation, bias=False)
        self.b1, self.b2 = nn.BatchNorm2d(cout), nn.BatchNorm2d(cout)
        self.proj = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                     if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.proj(x) + self.b2(self.c2(F.relu(self.b1(self.c1(x))))))


class PSPNet(nn.Module):
    """PSPNet (Zhao et al. 2017), narrowed: a dilated residual backbone of output stride 4 (stem conv s2, blocks of
    32 (s2) and 64 at dilations 2 and 4), the pyramid pooling module (bins 1, 2, 3, 6, each a 1x1 conv to 16 with
    BN-ReLU, upsampled bilinearly and concatenated with the features), a 3x3 conv-BN-ReLU of 64, dropout 0.1, a 1x1
    classifier, and bilinear upsampling to the input size (its auxiliary loss left out)."""

    def __init__(self, classes: int = 5, bins: tuple[int, ...] = (1, 2, 3, 6)) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.body = nn.Sequential(DilatedBlock(32, 32, 2), DilatedBlock(32, 64, 1, 2), DilatedBlock(64, 64, 1, 4))
        self.ppm = nn.ModuleList(nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(64, 16, 1, bias=False),
                                               nn.BatchNorm2d(16), nn.ReLU()) for b in bins)
        self.fuse = nn.Sequential(nn.Conv2d(64 + 16 * len(bins), 64, 3, padding=1, bias=False), nn.BatchNorm2d(64),
                                  nn.ReLU(), nn.Dropout2d(0.1), nn.Conv2d(64, classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.body(self.stem(x))
        size = f.shape[2:]
        pyr = [F.interpolate(p(f), size=size, mode="bilinear", align_corners=False) for p in self.ppm]
        out = self.fuse(torch.cat([f, *pyr], 1))
        return F.interpolate(out, size=x.shape[2:], mode="bilinear", align_corners=False)


# ---- Darknet ---------------------------------------------------------------------------------------------------------


def _cbl(cin: int, cout: int, k: int, stride: int = 1, bn: bool = True) -> nn.Sequential:
    """Darknet's convolutional layer: conv (no bias under BatchNorm), BatchNorm, LeakyReLU(0.1)."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers, nn.LeakyReLU(0.1))


class DarkResidual(nn.Module):
    """Darknet-53's residual unit: a 1x1 convolution halving the width, a 3x3 restoring it, the input added."""

    def __init__(self, c: int, bn: bool = True) -> None:
        super().__init__()
        self.body = nn.Sequential(_cbl(c, c // 2, 1, bn=bn), _cbl(c // 2, c, 3, bn=bn))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Darknet(nn.Module):
    """Darknet-53 (Redmon & Farhadi 2018), narrowed: a 3x3 layer of 16, then stages of a strided 3x3 layer (32, 64,
    128) and 1, 2, 1 residual units, global average pooling and a linear classifier; BatchNorm and LeakyReLU(0.1)
    throughout. ``bn``: False leaves the BatchNorms out (the convolutions get biases)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = [_cbl(3, 16, 3, bn=bn)]
        for cin, cout, n in ((16, 32, 1), (32, 64, 2), (64, 128, 1)):
            layers.append(_cbl(cin, cout, 3, 2, bn=bn))
            layers += [DarkResidual(cout, bn=bn) for _ in range(n)]
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(128, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x).mean((2, 3)))
