"""Hand-written models of the thirty-eighth held-out batch (``fresh37.py``), vision ones (image classification,
segmentation, a detection head, a generative image model): small versions of published architectures new to the
corpus, each with the switches its broken variants need (one fault each, off by default). The sequence and tabular
models are in ``fresh37_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _bn2d(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


# ---- DPN -------------------------------------------------------------------------------------------------------------


class _DualPathBlock(nn.Module):
    """A dual path block (the ``pytorch-cifar`` reference's ``Bottleneck``): a 1x1, a grouped 3x3 (8 groups here, 32
    there) and a 1x1 convolution, each with BatchNorm (ReLU after the first two); the output's first ``out`` channels
    are added to the residual path, the remaining ``dense`` are concatenated to the densely connected path."""

    def __init__(self, last: int, mid: int, out: int, dense: int, stride: int, first: bool, bn: bool) -> None:
        super().__init__()
        self.out = out
        self.conv1, self.bn1 = nn.Conv2d(last, mid, 1, bias=False), _bn2d(mid, bn)
        self.conv2, self.bn2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=8, bias=False), _bn2d(mid, bn)
        self.conv3, self.bn3 = nn.Conv2d(mid, out + dense, 1, bias=False), _bn2d(out + dense, bn)
        self.short = (nn.Sequential(nn.Conv2d(last, out + dense, 1, stride, bias=False), _bn2d(out + dense, bn))
                      if first else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        x = self.short(x) if self.short is not None else x
        d = self.out
        return F.relu(torch.cat([x[:, :d] + y[:, :d], x[:, d:], y[:, d:]], 1))


class DPN(nn.Module):
    """Dual Path Networks (Chen et al. 2017), narrowed in the ``pytorch-cifar`` reference's CIFAR form: a 3x3 stem of
    16 channels with BatchNorm and ReLU, two stages of two dual path blocks (bottleneck widths 16 and 32, residual
    widths 32 and 64, dense increments 4 and 8, strides 1 and 2, grouped 3x3 convolutions of 8 groups), global
    average pooling and a Linear; PyTorch's default init (the reference's). ``bn=False``: every BatchNorm left out."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), _bn2d(16, bn), nn.ReLU())
        blocks, last = [], 16
        for mid, out, dense, stride in ((16, 32, 4, 1), (32, 64, 8, 2)):
            for i in range(2):
                blocks.append(_DualPathBlock(last, mid, out, dense, stride if i == 0 else 1, i == 0, bn))
                last = out + (i + 2) * dense
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(last, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


# ---- ERFNet ----------------------------------------------------------------------------------------------------------


class _Downsampler(nn.Module):
    """ERFNet's downsampler: a stride-2 3x3 convolution to ``out - in`` channels beside a 2x2 max-pool of the input,
    concatenated, BatchNorm (eps 1e-3), ReLU."""

    def __init__(self, a: int, b: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(a, b - a, 3, 2, 1)
        self.bn = nn.BatchNorm2d(b, eps=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(torch.cat([self.conv(x), F.max_pool2d(x, 2)], 1)))


class _NonBottleneck1D(nn.Module):
    """ERFNet's non-bottleneck-1D block: 3x1 and 1x3 convolutions (ReLU between, BatchNorm after), then the same pair
    dilated, BatchNorm, spatial dropout, and the residual sum under a ReLU."""

    def __init__(self, c: int, dilation: int, drop: float) -> None:
        super().__init__()
        d = dilation
        self.c1, self.c2 = nn.Conv2d(c, c, (3, 1), padding=(1, 0)), nn.Conv2d(c, c, (1, 3), padding=(0, 1))
        self.c3 = nn.Conv2d(c, c, (3, 1), padding=(d, 0), dilation=(d, 1))
        self.c4 = nn.Conv2d(c, c, (1, 3), padding=(0, d), dilation=(1, d))
        self.bn1, self.bn2 = nn.BatchNorm2d(c, eps=1e-3), nn.BatchNorm2d(c, eps=1e-3)
        self.drop = nn.Dropout2d(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.c2(F.relu(self.c1(x)))))
        y = self.drop(self.bn2(self.c4(F.relu(self.c3(y)))))
        return F.relu(y + x)


class ERFNet(nn.Module):
    """ERFNet (Romera et al. 2018), narrowed: the encoder's downsampler to 16 channels, two non-bottleneck-1D blocks
    (dropout 0.03), the downsampler to 32, four blocks dilated 2, 4, 8, 2 (dropout 0.3); the decoder's upsampler (a
    stride-2 3x3 transposed convolution, BatchNorm, ReLU) to 16, two blocks, and the 2x2 transposed convolution to the
    class scores; PyTorch's default init (the reference code's)."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.enc = nn.Sequential(
            _Downsampler(3, 16), _NonBottleneck1D(16, 1, 0.03), _NonBottleneck1D(16, 1, 0.03), _Downsampler(16, 32),
            *[_NonBottleneck1D(32, d, 0.3) for d in (2, 4, 8, 2)])
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 3, 2, 1, output_padding=1), nn.BatchNorm2d(16, eps=1e-3), nn.ReLU(),
            _NonBottleneck1D(16, 1, 0.0), _NonBottleneck1D(16, 1, 0.0), nn.ConvTranspose2d(16, classes, 2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dec(self.enc(x))


# ---- RetinaNet -------------------------------------------------------------------------------------------------------


def _subnet(c: int, out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(4):
        layers += [nn.Conv2d(c, c, 3, padding=1), nn.ReLU()]
    return nn.Sequential(*layers, nn.Conv2d(c, out, 3, padding=1))


class RetinaNet(nn.Module):
    """RetinaNet (Lin et al. 2017), narrowed to one pyramid level: a small backbone (3x3 convolutions 3-16-32-32 with
    BatchNorm and ReLU, strides 1, 2, 2), a 1x1 lateral and a 3x3 output convolution to the level's 32 channels (P3 at
    stride 4), one anchor a location, and the paper's heads: a classification subnet and a box subnet of four 3x3
    ReLU convolutions each and a last 3x3 convolution to ``classes`` and 4 outputs; the heads' convolutions N(0,
    0.01^2) with zero biases, the last classification bias ``-log((1 - pi) / pi)`` at the prior ``pi = 0.01`` (the
    paper's). Returns ``(class logits (b, h*w, classes), box deltas (b, h*w, 4))``."""

    def __init__(self, classes: int = 3, c: int = 32) -> None:
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.lateral, self.smooth = nn.Conv2d(32, c, 1), nn.Conv2d(c, c, 3, padding=1)
        self.cls, self.box = _subnet(c, classes), _subnet(c, 4)
        self.classes = classes
        with torch.no_grad():
            for head in (self.cls, self.box):
                for m in head:
                    if isinstance(m, nn.Conv2d):
                        nn.init.normal_(m.weight, 0.0, 0.01)
                        nn.init.zeros_(m.bias)
            self.cls[-1].bias.fill_(-math.log((1 - 0.01) / 0.01))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p = self.smooth(self.lateral(self.backbone(x)))
        b = x.shape[0]
        return (self.cls(p).permute(0, 2, 3, 1).reshape(b, -1, self.classes),
                self.box(p).permute(0, 2, 3, 1).reshape(b, -1, 4))


# ---- GLO -------------------------------------------------------------------------------------------------------------


class GLO(nn.Module):
    """Generative Latent Optimization (Bojanowski et al. 2018), narrowed: a learnable code of 16 per training image
    (initialised N(0, 1) and projected onto the unit sphere at every use, the paper's constraint) and a DCGAN-style
    generator (a Linear to 64x4x4, two stride-2 4x4 transposed convolutions 64-32-16 with BatchNorm and ReLU, a 3x3
    convolution to one channel and a tanh); PyTorch's default init. Takes a batch of image indices."""

    def __init__(self, n: int = 64, code: int = 16) -> None:
        super().__init__()
        self.codes = nn.Embedding(n, code)
        nn.init.normal_(self.codes.weight)
        self.fc = nn.Linear(code, 64 * 16)
        self.net = nn.Sequential(
            nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 1, 3, padding=1), nn.Tanh())

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        z = F.normalize(self.codes(idx), dim=1)
        return self.net(self.fc(z).view(-1, 64, 4, 4))
