"""Hand-written models of the forty-sixth held-out batch (``fresh45.py``), 3-D and imaging ones: small versions of
published architectures new to the corpus (an implicit-surface decoder, a point-cloud auto-encoder, a medical
segmentation U-Net, a hyperspectral classifier), each with the switches its broken variants need (one fault each, off
by default). The time-series, handwriting, music and behaviour-cloning models are in ``fresh45_models2.py``."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

# ---- IM-NET ----------------------------------------------------------------------------------------------------------


class IMNet(nn.Module):
    """IM-NET (Chen and Zhang 2019, "Learning implicit fields for generative shape modeling"), narrowed as the
    reference IM-NET-pytorch auto-encoder: a 3-D CNN encoder of the voxel grid (8^3 here, convolutions 16, 32, 64 with
    instance normalisation and leaky ReLU 0.02) to a shape code of 64, and the implicit decoder: the code concatenated
    with each query point through Linears 128-128-64-32-1 with leaky ReLU 0.02 (the reference's ``gf_dim`` chain,
    narrowed), its output clamped leakily, ``max(min(l, 0.01 l + 0.99), 0.01 l)``; the decoder's Linears N(0, 0.02^2)
    with zero biases and the last N(1e-5, 0.02^2), the reference code's. ``init_std``: every decoder Linear drawn
    N(0, init_std^2) instead."""

    def __init__(self, code: int = 64, init_std: float | None = None) -> None:
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv3d(1, 16, 4, 2, 1, bias=False), nn.InstanceNorm3d(16, affine=True), nn.LeakyReLU(0.02),
            nn.Conv3d(16, 32, 4, 2, 1, bias=False), nn.InstanceNorm3d(32, affine=True), nn.LeakyReLU(0.02),
            nn.Conv3d(32, code, 2, 1, 0), nn.Sigmoid())
        widths = [code + 3, 128, 128, 64, 32, 1]
        self.dec = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(widths)])
        with torch.no_grad():
            for i, lin in enumerate(self.dec):
                last = i == len(self.dec) - 1
                lin.weight.normal_(1e-5 if last and init_std is None else 0.0,
                                   0.02 if init_std is None else init_std)
                lin.bias.zero_()

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        vox, pts = inputs
        z = self.enc(vox).flatten(1)
        h = torch.cat([z[:, None].expand(-1, pts.shape[1], -1), pts], -1)
        for lin in self.dec[:-1]:
            h = F.leaky_relu(lin(h), 0.02)
        out = self.dec[-1](h)[..., 0]
        return torch.maximum(torch.minimum(out, 0.01 * out + 0.99), 0.01 * out)


# ---- FoldingNet ------------------------------------------------------------------------------------------------------


def _knn_max(x: torch.Tensor, feat: torch.Tensor, k: int) -> torch.Tensor:
    """FoldingNet's graph layer's local max pooling: each point's feature max-pooled over its k nearest neighbours
    (``x``: ``(b, n, 3)`` coordinates, ``feat``: ``(b, n, c)``)."""
    idx = torch.cdist(x, x).topk(k, largest=False).indices
    return feat[torch.arange(x.shape[0])[:, None, None], idx].amax(2)


class FoldingNet(nn.Module):
    """FoldingNet (Yang et al. 2018, "FoldingNet: point cloud auto-encoder via deep grid deformation"), narrowed: the
    graph-based encoder (a per-point MLP 3-64-64 with ReLU, two graph layers of k-NN max pooling (k = 8) each followed
    by a per-point Linear (64, then 128) and ReLU, a global max pool, an MLP to a codeword of 64) and the two folds (the
    codeword concatenated with an 8x8 grid on [-0.3, 0.3]^2, then with the first fold's points, each through a ReLU
    MLP 64-64-3); PyTorch's default init. ``relu_bias``: every folding MLP's hidden biases set to that value (every
    hidden ReLU of both folds dead when it is -10)."""

    def __init__(self, code: int = 64, grid: int = 8, k: int = 8, relu_bias: float | None = None) -> None:
        super().__init__()
        self.k = k
        self.mlp1 = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.g1, self.g2 = nn.Linear(64, 64), nn.Linear(64, 128)
        self.mlp2 = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, code))
        lin = torch.linspace(-0.3, 0.3, grid)
        self.register_buffer("grid", torch.stack(torch.meshgrid(lin, lin, indexing="ij"), -1).reshape(-1, 2))
        self.fold1 = nn.Sequential(nn.Linear(code + 2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
        self.fold2 = nn.Sequential(nn.Linear(code + 3, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
        if relu_bias is not None:
            with torch.no_grad():
                for fold in (self.fold1, self.fold2):
                    fold[0].bias.fill_(relu_bias)
                    fold[2].bias.fill_(relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.mlp1(x)
        f = F.relu(self.g1(_knn_max(x, f, self.k)))
        f = F.relu(self.g2(_knn_max(x, f, self.k)))
        code = self.mlp2(f.amax(1))
        m = self.grid.shape[0]
        c = code[:, None].expand(-1, m, -1)
        p1 = self.fold1(torch.cat([c, self.grid.expand(x.shape[0], -1, -1)], -1))
        return self.fold2(torch.cat([c, p1], -1))


# ---- MultiResUNet ----------------------------------------------------------------------------------------------------


def _conv_bn(a: int, b: int, k: int, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(a, b, k, padding=k // 2), nn.BatchNorm2d(b)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class _MultiRes(nn.Module):
    """The MultiRes block: ``W = 1.67 U`` split W/6, W/3, W/2 over a chain of three 3x3 convolutions (the 5x5 and 7x7
    receptive fields of the Inception block it replaces) concatenated, a 1x1 shortcut, BatchNorms, ReLU."""

    def __init__(self, a: int, u: int) -> None:
        super().__init__()
        w = 1.67 * u
        c1, c2, c3 = int(w / 6), int(w / 3), int(w / 2)
        self.c1, self.c2, self.c3 = _conv_bn(a, c1, 3), _conv_bn(c1, c2, 3), _conv_bn(c2, c3, 3)
        self.short = _conv_bn(a, c1 + c2 + c3, 1, relu=False)
        self.bn, self.bn2 = nn.BatchNorm2d(c1 + c2 + c3), nn.BatchNorm2d(c1 + c2 + c3)
        self.out = c1 + c2 + c3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.c1(x)
        b = self.c2(a)
        c = self.c3(b)
        return self.bn2(F.relu(self.bn(torch.cat([a, b, c], 1)) + self.short(x)))


class _ResPath(nn.Module):
    """The Res path: ``length`` residual units of a 3x3 convolution with a 1x1 shortcut, ReLU and BatchNorm."""

    def __init__(self, c: int, length: int) -> None:
        super().__init__()
        self.units = nn.ModuleList([nn.ModuleList([_conv_bn(c, c, 3), _conv_bn(c, c, 1, relu=False), nn.BatchNorm2d(c)])
                                    for _ in range(length)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv, short, bn in self.units:
            x = bn(F.relu(conv(x) + short(x)))
        return x


class MultiResUNet(nn.Module):
    """MultiResUNet (Ibtehaz and Rahman 2020), narrowed to three levels: MultiRes blocks of ``U`` = 8, 16, 32 (the
    paper's 32 to 512), Res paths of length 2 and 1, 2x2 max pooling, transposed 2x2 convolutions up, a 1x1
    convolution to one logit per pixel; PyTorch's default init (the Keras reference's Glorot-uniform is close).
    ``head_bn``: a ``BatchNorm2d(1, affine=False)`` on the output logits (they are standardised over the batch's
    pixels: with lesions on about 5% of them, even a perfect separation scores a BCE of about 0.55)."""

    def __init__(self, head_bn: bool = False) -> None:
        super().__init__()
        self.m1 = _MultiRes(1, 8)
        self.m2 = _MultiRes(self.m1.out, 16)
        self.m3 = _MultiRes(self.m2.out, 32)
        self.r1, self.r2 = _ResPath(self.m1.out, 2), _ResPath(self.m2.out, 1)
        self.up2 = nn.ConvTranspose2d(self.m3.out, 16, 2, 2)
        self.m4 = _MultiRes(16 + self.m2.out, 16)
        self.up1 = nn.ConvTranspose2d(self.m4.out, 8, 2, 2)
        self.m5 = _MultiRes(8 + self.m1.out, 8)
        self.head = nn.Conv2d(self.m5.out, 1, 1)
        self.head_bn = nn.BatchNorm2d(1, affine=False) if head_bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.m1(x)
        b = self.m2(F.max_pool2d(a, 2))
        c = self.m3(F.max_pool2d(b, 2))
        d = self.m4(torch.cat([self.up2(c), self.r2(b)], 1))
        e = self.m5(torch.cat([self.up1(d), self.r1(a)], 1))
        return self.head_bn(self.head(e))[:, 0]


# ---- HybridSN --------------------------------------------------------------------------------------------------------


class HybridSN(nn.Module):
    """HybridSN (Roy et al. 2019, "HybridSN: exploring 3-D-2-D CNN feature hierarchy for hyperspectral image
    classification"), narrowed to 9x9 patches of 16 principal components (the paper's 25x25 of 30): three 3-D
    convolutions (8 of 3x3x7, 16 of 3x3x5, 32 of 3x3x3, no padding), their 32 x 4 spectral maps reshaped into
    channels for a 2-D convolution of 64 (3x3), then Dense 256 and 128 with dropout 0.4 and the class layer; ReLU
    throughout, no normalisation, PyTorch's default init (the reference's Keras Glorot-uniform is close)."""

    def __init__(self, bands: int = 16, patch: int = 9, classes: int = 8) -> None:
        super().__init__()
        self.c1, self.c2, self.c3 = nn.Conv3d(1, 8, (7, 3, 3)), nn.Conv3d(8, 16, (5, 3, 3)), nn.Conv3d(16, 32, 3)
        spec, side = bands - 12, patch - 8
        self.c4 = nn.Conv2d(32 * spec, 64, 3)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(64 * side * side, 256), nn.ReLU(), nn.Dropout(0.4),
                                nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.4), nn.Linear(128, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.c3(F.relu(self.c2(F.relu(self.c1(x[:, None]))))))
        h = F.relu(self.c4(h.flatten(1, 2)))
        return self.fc(h)
