"""Hand-written plain and convolutional models of the fifth held-out batch (``fresh4.py``), written here, not
copied: a deep plain MLP and a small BN-Inception."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class DeepPlainMLP(nn.Module):
    """A plain (no residual, no normalisation) MLP of ``depth`` hidden layers of width 64 with ``act``, PyTorch's
    default init."""

    def __init__(self, depth: int = 40, d_in: int = 32, width: int = 64, classes: int = 10,
                 act: Callable[[], nn.Module] = nn.ELU) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Linear(d_in, width), act()]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width), act()]
        self.net = nn.Sequential(*layers, nn.Linear(width, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x)
        return out


# ---- Inception with and without BatchNorm ----------------------------------------------------------------------------


def _conv(a: int, b: int, k: int, bn: bool, stride: int = 1) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(a, b, k, stride=stride, padding=k // 2, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(b))
    return nn.Sequential(*layers, nn.ReLU())


class _InceptionBlock(nn.Module):
    """Four branches concatenated: 1x1; 1x1 -> 3x3; 1x1 -> 3x3 -> 3x3 (BN-Inception's factorised 5x5); 3x3 average
    pool -> 1x1."""

    def __init__(self, c_in: int, c: int, bn: bool) -> None:
        super().__init__()
        self.b1 = _conv(c_in, c, 1, bn)
        self.b2 = nn.Sequential(_conv(c_in, c, 1, bn), _conv(c, c, 3, bn))
        self.b3 = nn.Sequential(_conv(c_in, c // 2, 1, bn), _conv(c // 2, c, 3, bn), _conv(c, c, 3, bn))
        self.b4 = nn.Sequential(nn.AvgPool2d(3, 1, 1), _conv(c_in, c, 1, bn))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class Inception(nn.Module):
    """A small BN-Inception (Ioffe & Szegedy 2015): conv stem, ``blocks`` Inception blocks (max-pool after every
    second), global average pool, linear head; ``bn=False``: the same network without BatchNorm (GoogLeNet's
    conv-ReLU with biases)."""

    def __init__(self, classes: int = 10, width: int = 16, blocks: int = 4, bn: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = [_conv(3, 32, 3, bn, stride=2)]
        c_in = 32
        for i in range(blocks):
            layers.append(_InceptionBlock(c_in, width, bn))
            c_in = 4 * width
            if i % 2 == 1:
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean((2, 3)))
