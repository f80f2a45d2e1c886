"""Hand-written models of the seventy-second held-out batch (``fresh71.py``), the small vision ones: SqueezeNext,
ShiftResNet and PP-LCNet, narrowed for 12x12 images, with the switches their broken variants need (one fault each,
off by default). The forecasting, system-identification and tabular models are in ``fresh71_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _cbr(cin: int, cout: int, k: tuple[int, int] | int, stride: int = 1, act: bool = True, bn: bool = True
         ) -> nn.Sequential:
    kh, kw = (k, k) if isinstance(k, int) else k
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, (kh, kw), stride, (kh // 2, kw // 2), bias=not bn)]
    layers += [nn.BatchNorm2d(cout)] if bn else []
    layers += [nn.ReLU()] if act else []
    return nn.Sequential(*layers)


# ---- SqueezeNext -----------------------------------------------------------------------------------------------------


class _SqNxtBlock(nn.Module):
    """SqueezeNext's block: 1x1 to C/2, 1x1 to C/4, 3x1 and 1x3 to C/2, 1x1 to C, each with BatchNorm and ReLU,
    added to the (projected, when the shape changes) input and ReLU'd."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        self.f = nn.Sequential(_cbr(cin, cout // 2, 1, stride, bn=bn), _cbr(cout // 2, cout // 4, 1, bn=bn),
                               _cbr(cout // 4, cout // 2, (3, 1), bn=bn), _cbr(cout // 2, cout // 2, (1, 3), bn=bn),
                               _cbr(cout // 2, cout, 1, bn=bn))
        self.sc = nn.Identity() if cin == cout and stride == 1 else _cbr(cin, cout, 1, stride, act=False, bn=bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.f(x) + self.sc(x))


class SqueezeNext(nn.Module):
    """SqueezeNext (Gholami et al. 2018, "SqueezeNext: hardware-aware neural network design"), narrowed: a 3x3 stem of
    32 (the paper's 7x7 stride 2 is for 224 pixels), two stages of two blocks (32, then 64 at stride 2), a 1x1
    expansion to 128 with BatchNorm and ReLU, global average pooling and a Linear; Kaiming-normal convolutions (the
    reference ports' init), BatchNorm at weight 1, bias 0. ``bn``: the BatchNorms kept (False: every one removed,
    the convolutions given biases)."""

    def __init__(self, classes: int = 10, width: int = 32, bn: bool = True) -> None:
        super().__init__()
        self.stem = _cbr(3, width, 3, bn=bn)
        self.blocks = nn.Sequential(_SqNxtBlock(width, width, 1, bn), _SqNxtBlock(width, width, 1, bn),
                                    _SqNxtBlock(width, 2 * width, 2, bn), _SqNxtBlock(2 * width, 2 * width, 1, bn))
        self.expand = _cbr(2 * width, 4 * width, 1, bn=bn)
        self.fc = nn.Linear(4 * width, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.expand(self.blocks(self.stem(x))).mean((2, 3)))


# ---- ShiftResNet -----------------------------------------------------------------------------------------------------


def shift(x: torch.Tensor) -> torch.Tensor:
    """The shift operation: the channels split into 9 groups, each moved one pixel in one of the 9 directions of a 3x3
    neighbourhood (the centre group stays), zero-filled at the border; no parameters, no FLOPs."""
    groups = x.chunk(9, 1)
    out = []
    for i, g in enumerate(groups):
        dy, dx = i // 3 - 1, i % 3 - 1
        g = F.pad(g, (1, 1, 1, 1))
        out.append(g[:, :, 1 + dy:1 + dy + x.shape[2], 1 + dx:1 + dx + x.shape[3]])
    return torch.cat(out, 1)


def drop_path(x: torch.Tensor, drop: float, training: bool) -> torch.Tensor:
    """Stochastic depth's per-sample branch drop, timm's form: each sample's branch zeroed with probability ``drop``,
    the kept ones divided by ``1 - drop`` (not divided when ``drop`` is 1)."""
    if drop == 0.0 or not training:
        return x
    keep = 1.0 - drop
    mask = x.new_empty(x.shape[0], 1, 1, 1).bernoulli_(keep)
    return x * (mask / keep if keep > 0 else mask)


class _CSC(nn.Module):
    """ShiftResNet's CSC module as a residual block: a 1x1 convolution expanding by 3, BatchNorm, ReLU, the shift, a
    1x1 convolution (stride 2 where the stage downsamples), BatchNorm; added to the (projected) input and ReLU'd.
    ``drop``: stochastic depth's drop rate on the branch."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool, drop: float = 0.0) -> None:
        super().__init__()
        self.c1, self.c2 = _cbr(cin, 3 * cin, 1, bn=bn), _cbr(3 * cin, cout, 1, stride, act=False, bn=bn)
        self.sc = nn.Identity() if cin == cout and stride == 1 else _cbr(cin, cout, 1, stride, act=False, bn=bn)
        self.drop = drop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(drop_path(self.c2(shift(self.c1(x))), self.drop, self.training) + self.sc(x))


class ShiftResNet(nn.Module):
    """ShiftResNet (Wu et al. 2018, "Shift: a zero FLOP, zero parameter alternative to spatial convolutions"), the
    CIFAR ShiftResNet-20 layout narrowed to 12x12 images: a 3x3 stem of 16 with BatchNorm and ReLU, three stages of
    two CSC blocks (16, 32, 64 channels, stride 2 at the second and third), global average pooling and a Linear;
    Kaiming-normal convolutions. ``bn``: the BatchNorms kept (False: every one removed, the convolutions given
    biases); ``zero_init``: every convolution and the Linear initialised to zero; ``drops``: each block's
    stochastic-depth drop rate (None: no stochastic depth)."""

    def __init__(self, classes: int = 10, bn: bool = True, zero_init: bool = False,
                 drops: list[float] | None = None) -> None:
        super().__init__()
        drops = drops or [0.0] * 6
        chans = [(16, 16, 1), (16, 16, 1), (16, 32, 2), (32, 32, 1), (32, 64, 2), (64, 64, 1)]
        self.stem = _cbr(3, 16, 3, bn=bn)
        self.blocks = nn.Sequential(*[_CSC(a, b, s, bn, d) for (a, b, s), d in zip(chans, drops, strict=True)])
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if zero_init and isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.zeros_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


# ---- PP-LCNet --------------------------------------------------------------------------------------------------------


class _SE(nn.Module):
    """PP-LCNet's squeeze-excite: pooled, a 1x1 to C/4 with ReLU, a 1x1 back with hard-sigmoid, the gate."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.f = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c // 4, 1), nn.ReLU(), nn.Conv2d(c // 4, c, 1),
                               nn.Hardsigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.f(x)


def _bn(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


class _DepSep(nn.Module):
    """PP-LCNet's DepSepConv: a depthwise kxk convolution with BatchNorm and h-swish, squeeze-excite (the last
    blocks only), a pointwise convolution with BatchNorm and h-swish."""

    def __init__(self, cin: int, cout: int, stride: int, k: int = 3, se: bool = False, bn: bool = True) -> None:
        super().__init__()
        self.dw = nn.Sequential(nn.Conv2d(cin, cin, k, stride, k // 2, groups=cin, bias=not bn), _bn(cin, bn),
                                nn.Hardswish())
        self.se = _SE(cin) if se else nn.Identity()
        self.pw = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=not bn), _bn(cout, bn), nn.Hardswish())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.se(self.dw(x)))


class LCNet(nn.Module):
    """PP-LCNet (Cui et al. 2021, "PP-LCNet: a lightweight CPU convolutional neural network"), narrowed (scale 0.5,
    12x12 images): a 3x3 stem of 16 with BatchNorm and h-swish, DepSepConv blocks 16-32 (stride 2), 32-32, 32-64
    (stride 2), 64-64 (5x5), 64-128 (5x5, squeeze-excite), global average pooling, the 1x1 convolution to 256 with
    h-swish and dropout 0.2 (the paper's late 1x1 head), a Linear; Kaiming-normal convolutions (the reference's
    ``KaimingNormal``). ``bn``: the BatchNorms kept (False: every one removed, the convolutions given biases)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=not bn), _bn(16, bn), nn.Hardswish())
        self.blocks = nn.Sequential(_DepSep(16, 32, 2, bn=bn), _DepSep(32, 32, 1, bn=bn), _DepSep(32, 64, 2, bn=bn),
                                    _DepSep(64, 64, 1, k=5, bn=bn), _DepSep(64, 128, 1, k=5, se=True, bn=bn))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(128, 256, 1), nn.Hardswish(), nn.Dropout(0.2),
                                  nn.Flatten(), nn.Linear(256, classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))
