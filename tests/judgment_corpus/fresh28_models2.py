"""Hand-written image models of the twenty-ninth held-out batch (``fresh28.py``): small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _he(conv: nn.Conv2d) -> None:
    """The reference codes' He init ``N(0, 2 / n)``, ``n = k * k * out_channels``."""
    n = conv.kernel_size[0] * conv.kernel_size[1] * conv.out_channels
    nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / n))
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


class DnCNN(nn.Module):
    """DnCNN (Zhang et al. 2017): a conv-ReLU layer, ``depth - 2`` conv-BatchNorm-ReLU layers and a conv to the
    residual (the noise), 32 channels (the paper's 64); returns the noisy input minus the predicted noise. ``bn``:
    the BatchNorms (without them the convs have biases)."""

    def __init__(self, channels: int = 1, width: int = 32, depth: int = 17, bn: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3, padding=1, bias=not bn)]
            layers += [nn.BatchNorm2d(width), nn.ReLU()] if bn else [nn.ReLU()]
        layers.append(nn.Conv2d(width, channels, 3, padding=1, bias=False))
        self.net = nn.Sequential(*layers)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.orthogonal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.net(x)


def shake(x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
    """Shake-Shake's mix: ``alpha x1 + (1 - alpha) x2`` forward and ``beta`` in place of ``alpha`` backward, both
    drawn U(0, 1) per image ("Shake-Shake-Image")."""
    a = torch.rand(x1.shape[0], 1, 1, 1)
    b = torch.rand(x1.shape[0], 1, 1, 1)
    return b * x1 + (1 - b) * x2 + ((a - b) * (x1 - x2)).detach()


class _ShakeBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        def branch() -> nn.Sequential:
            return nn.Sequential(nn.ReLU(), nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                                 nn.ReLU(), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.b1, self.b2 = branch(), branch()
        self.down = stride > 1
        if self.down:  # the paper's shortcut: two 1x1 convs on average-pooled, shifted paths, concatenated, BN
            self.s1 = nn.Conv2d(cin, cout // 2, 1, bias=False)
            self.s2 = nn.Conv2d(cin, cout // 2, 1, bias=False)
            self.sbn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.down:
            h = F.relu(x)
            p1 = F.avg_pool2d(h, 1, 2)
            p2 = F.avg_pool2d(F.pad(h, (-1, 1, -1, 1)), 1, 2)
            short = self.sbn(torch.cat([self.s1(p1), self.s2(p2)], 1))
        else:
            short = x
        return short + shake(self.b1(x), self.b2(x))


class ShakeShake(nn.Module):
    """Shake-Shake (Gastaldi 2017), a 2x(16, 32, 64)d version of the CIFAR model: a 3x3 stem of 16 channels and BN,
    three stages of one residual block with two branches each (ReLU-conv-BN-ReLU-conv-BN) mixed by
    :func:`shake`, the second and third stages downsampling, ReLU, global average pooling, a linear classifier."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16))
        self.blocks = nn.Sequential(_ShakeBlock(16, 16, 1), _ShakeBlock(16, 32, 2), _ShakeBlock(32, 64, 2))
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _he(m)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(F.relu(self.blocks(self.stem(x))).mean((2, 3)))


class _PyramidUnit(nn.Module):
    """PyramidNet's basic unit: BN-conv-BN-ReLU-conv-BN, its shortcut the input (average-pooled when the unit
    downsamples) with the new channels zero-padded."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool) -> None:
        super().__init__()
        def norm(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if bn else nn.Identity()
        self.f = nn.Sequential(norm(cin), nn.Conv2d(cin, cout, 3, stride, 1, bias=not bn), norm(cout), nn.ReLU(),
                               nn.Conv2d(cout, cout, 3, 1, 1, bias=not bn), norm(cout))
        self.stride, self.pad = stride, cout - cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.avg_pool2d(x, 2) if self.stride > 1 else x
        return self.f(x) + F.pad(s, (0, 0, 0, 0, 0, self.pad))


class PyramidNet(nn.Module):
    """PyramidNet (Han et al. 2017) with basic units: a 3x3 stem of 16 channels, three stages of ``units`` units
    whose widths grow additively by ``alpha / (3 units)`` per unit (16 -> 16 + alpha), the second and third stages
    downsampling, a final BN-ReLU, global average pooling, a linear classifier; He init, BN weights 1."""

    def __init__(self, classes: int = 10, alpha: int = 24, units: int = 2, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=not bn), nn.BatchNorm2d(16) if bn else nn.Identity())
        blocks, c, n = [], 16.0, 3 * units
        for i in range(n):
            c_new = c + alpha / n
            blocks.append(_PyramidUnit(round(c), round(c_new), 2 if i in (units, 2 * units) else 1, bn))
            c = c_new
        self.blocks = nn.Sequential(*blocks)
        self.final = nn.Sequential(nn.BatchNorm2d(round(c)) if bn else nn.Identity(), nn.ReLU())
        self.fc = nn.Linear(round(c), classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _he(m)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.final(self.blocks(self.stem(x))).mean((2, 3)))


def _cbr(cin: int, cout: int, bn: bool) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=not bn), nn.BatchNorm2d(cout) if bn else nn.Identity(), nn.ReLU()]


class SegNet(nn.Module):
    """SegNet (Badrinarayanan et al. 2017), two stages: an encoder of conv-BN-ReLU pairs (16 and 32 channels) each
    followed by a 2x2 max pooling that keeps its indices, a mirrored decoder that upsamples with those indices
    (``MaxUnpool2d``) and conv-BN-ReLU pairs, a 3x3 conv to the class scores per pixel. ``bn``: the BatchNorms."""

    def __init__(self, classes: int = 3, bn: bool = True) -> None:
        super().__init__()
        self.e1 = nn.Sequential(*_cbr(3, 16, bn), *_cbr(16, 16, bn))
        self.e2 = nn.Sequential(*_cbr(16, 32, bn), *_cbr(32, 32, bn))
        self.d2 = nn.Sequential(*_cbr(32, 32, bn), *_cbr(32, 16, bn))
        self.d1 = nn.Sequential(*_cbr(16, 16, bn), nn.Conv2d(16, classes, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, i1 = F.max_pool2d(self.e1(x), 2, return_indices=True)
        h, i2 = F.max_pool2d(self.e2(h), 2, return_indices=True)
        h = self.d2(F.max_unpool2d(h, i2, 2))
        return self.d1(F.max_unpool2d(h, i1, 2))


class InstantNGP(nn.Module):
    """A 2-d multiresolution hash encoding (Mueller et al. 2022): 8 levels from resolution 4 to 64, 2 features per
    level, tables of 2^12 entries initialised U(-1e-4, 1e-4), spatial hashing ``(x * 1) xor (y * 2654435761) mod
    T``, bilinear interpolation of the four corners; a tiny MLP (two ReLU layers of 64) to RGB. Inputs are
    coordinates in [0, 1]."""

    def __init__(self, levels: int = 8, feats: int = 2, log2_t: int = 12, n_min: int = 4, n_max: int = 64,
                 out: int = 3) -> None:
        super().__init__()
        self.t = 2 ** log2_t
        growth = math.exp((math.log(n_max) - math.log(n_min)) / (levels - 1))
        self.res = [math.floor(n_min * growth ** i) for i in range(levels)]
        self.table = nn.Parameter(torch.empty(levels, self.t, feats).uniform_(-1e-4, 1e-4))
        self.mlp = nn.Sequential(nn.Linear(levels * feats, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                 nn.Linear(64, out))

    def forward(self, xy: torch.Tensor) -> torch.Tensor:
        feats = []
        for lvl, r in enumerate(self.res):
            p = xy * r
            p0 = p.floor().long()
            w = p - p0
            acc = 0.0
            for dx in (0, 1):
                for dy in (0, 1):
                    c = p0 + torch.tensor([dx, dy])
                    idx = (c[:, 0] ^ (c[:, 1] * 2654435761)) % self.t
                    wt = (w[:, 0] if dx else 1 - w[:, 0]) * (w[:, 1] if dy else 1 - w[:, 1])
                    acc = acc + wt[:, None] * self.table[lvl][idx]
            feats.append(acc)
        return self.mlp(torch.cat(feats, 1))
