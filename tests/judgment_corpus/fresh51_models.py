"""Hand-written models of the fifty-second held-out batch (``fresh51.py``), the vision ones: image classification
(HorNet, PeleeNet), semantic segmentation (BiSeNet) and super-resolution (CARN), small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default).
The speech, graph and tabular models are in ``fresh51_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- HorNet ----------------------------------------------------------------------------------------------------------


class _LayerNorm2d(nn.Module):
    """HorNet's channels-first LayerNorm (eps 1e-6)."""

    def __init__(self, c: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        return self.weight[:, None, None] * (x - u) / torch.sqrt(s + self.eps) + self.bias[:, None, None]


class GnConv(nn.Module):
    """The recursive gated convolution ``g^n Conv`` of HorNet: ``proj_in`` (1x1, to twice the width) split into the
    first gate ``p_0`` and the stack the 7x7 depth-wise convolution mixes (times ``s = 1/3``), then ``p_{k+1} =
    f_k(p_k) * q_k`` over the widths ``dim / 2^(n-1), ..., dim / 2, dim`` (``f_k`` 1x1), and ``proj_out`` (1x1)."""

    def __init__(self, dim: int, order: int = 3, s: float = 1.0 / 3.0) -> None:
        super().__init__()
        self.dims = [dim // 2 ** i for i in range(order)][::-1]
        self.proj_in = nn.Conv2d(dim, 2 * dim, 1)
        self.dwconv = nn.Conv2d(sum(self.dims), sum(self.dims), 7, padding=3, groups=sum(self.dims))
        self.pws = nn.ModuleList([nn.Conv2d(self.dims[i], self.dims[i + 1], 1) for i in range(order - 1)])
        self.proj_out = nn.Conv2d(dim, dim, 1)
        self.scale = s

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pwa, abc = torch.split(self.proj_in(x), (self.dims[0], sum(self.dims)), dim=1)
        dw = torch.split(self.dwconv(abc) * self.scale, self.dims, dim=1)
        x = pwa * dw[0]
        for i, pw in enumerate(self.pws):
            x = pw(x) * dw[i + 1]
        return self.proj_out(x)


class _HorBlock(nn.Module):
    """HorNet's block: ``x + gamma_1 gnConv(LN(x))``, then ``x + gamma_2 MLP(LN(x))`` (4x, GELU), the LayerScales at
    1e-6. ``gamma_buffer``: the two LayerScales registered with ``register_buffer`` instead of as ``nn.Parameter``."""

    def __init__(self, dim: int, order: int, layer_scale: float, gamma_buffer: bool) -> None:
        super().__init__()
        self.norm1, self.gnconv = _LayerNorm2d(dim), GnConv(dim, order)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1, self.pwconv2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)
        for name in ("gamma1", "gamma2"):
            value = layer_scale * torch.ones(dim)
            if gamma_buffer:
                self.register_buffer(name, value)
            else:
                setattr(self, name, nn.Parameter(value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.gamma1[:, None, None] * self.gnconv(self.norm1(x))
        y = self.pwconv2(F.gelu(self.pwconv1(self.norm2(x.permute(0, 2, 3, 1)))))
        return x + (self.gamma2 * y).permute(0, 3, 1, 2)


class HorNet(nn.Module):
    """HorNet (Rao et al. 2022, "HorNet: efficient high-order spatial interactions with recursive gated
    convolutions"), narrowed to one stage: the stem (``downsample_layers[0]``: a 2x2 stride-2 convolution to 32 and a
    channels-first LayerNorm), ``stages[0]`` of two blocks of ``g^3 Conv`` (the order of the reference's second stage),
    a final LayerNorm on the pooled features and a Linear; trunc-normal(0.02) weights and zero biases (the reference
    code's ``_init_weights``), LayerScale 1e-6. ``gamma_buffer``: see :class:`_HorBlock`."""

    def __init__(self, classes: int = 10, dim: int = 32, depth: int = 2, order: int = 3, layer_scale: float = 1e-6,
                 gamma_buffer: bool = False) -> None:
        super().__init__()
        self.downsample_layers = nn.ModuleList([nn.Sequential(nn.Conv2d(3, dim, 2, 2), _LayerNorm2d(dim))])
        self.stages = nn.ModuleList([nn.Sequential(*[_HorBlock(dim, order, layer_scale, gamma_buffer)
                                                     for _ in range(depth)])])
        self.norm, self.head = nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for down, stage in zip(self.downsample_layers, self.stages, strict=True):
            x = stage(down(x))
        return self.head(self.norm(x.mean((2, 3))))


# ---- PeleeNet --------------------------------------------------------------------------------------------------------


class HandBatchNorm2d(nn.Module):
    """A BatchNorm written by hand (to be folded into the convolution before it at export, as Pelee deploys its
    merged Conv-BN): batch statistics and a running-statistics update (momentum 0.1) in training, the running
    statistics in evaluation. ``swapped``: the ``if self.training:`` test written ``if not self.training:``, so the
    two branches trade places: training normalises by the running statistics (0 and 1, never updated, since the
    update lives in the other branch)."""

    def __init__(self, c: int, eps: float = 1e-5, momentum: float = 0.1, swapped: bool = False,
                 detached: bool = False) -> None:
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))
        self.eps, self.momentum, self.swapped, self.detached = eps, momentum, swapped, detached

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training != self.swapped:
            mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False)
            if self.detached:
                mean, var = mean.detach(), var.detach()
            with torch.no_grad():
                n = x.numel() / x.shape[1]
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * n / max(n - 1, 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        x = (x - mean[:, None, None]) / torch.sqrt(var[:, None, None] + self.eps)
        return x * self.weight[:, None, None] + self.bias[:, None, None]


def _norm2d(c: int, norm: str, beta: float | None) -> nn.Module:
    if norm == "none":
        return nn.Identity()
    m = (nn.BatchNorm2d(c) if norm == "bn" else
         HandBatchNorm2d(c, swapped=norm == "hand_swapped", detached=norm == "hand_detached"))
    if beta is not None:
        nn.init.constant_(m.bias, beta)
    return m


class _CBR(nn.Sequential):
    def __init__(self, a: int, b: int, k: int, stride: int, norm: str, beta: float | None) -> None:
        super().__init__(nn.Conv2d(a, b, k, stride, k // 2, bias=norm == "none"), _norm2d(b, norm, beta), nn.ReLU())


class _StemBlock(nn.Module):
    """Pelee's stem block: a 3x3 stride-2 Conv-BN-ReLU, then a 1x1 and a 3x3 stride-2 branch beside a 2x2 max-pool,
    concatenated and fused by a 1x1."""

    def __init__(self, c: int, norm: str, beta: float | None) -> None:
        super().__init__()
        self.stem1 = _CBR(3, c, 3, 2, norm, beta)
        self.branch = nn.Sequential(_CBR(c, c // 2, 1, 1, norm, beta), _CBR(c // 2, c, 3, 2, norm, beta))
        self.pool, self.fuse = nn.MaxPool2d(2, 2), _CBR(2 * c, c, 1, 1, norm, beta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem1(x)
        return self.fuse(torch.cat([self.branch(x), self.pool(x)], 1))


class _TwoWayDense(nn.Module):
    """Pelee's two-way dense layer: a 1x1-3x3 branch and a 1x1-3x3-3x3 branch (``growth / 2`` each) concatenated
    onto the input."""

    def __init__(self, c: int, growth: int, width: int, norm: str, beta: float | None) -> None:
        super().__init__()
        g = growth // 2
        self.branch1 = nn.Sequential(_CBR(c, width, 1, 1, norm, beta), _CBR(width, g, 3, 1, norm, beta))
        self.branch2 = nn.Sequential(_CBR(c, width, 1, 1, norm, beta), _CBR(width, g, 3, 1, norm, beta),
                                     _CBR(g, g, 3, 1, norm, beta))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.branch1(x), self.branch2(x)], 1)


class PeleeNet(nn.Module):
    """PeleeNet (Wang, Li and Ling 2018, "Pelee: a real-time object detection system on mobile devices"), narrowed:
    the stem block (16), two stages of two two-way dense layers (growth 16, bottleneck width 16), each closed by a 1x1
    transition (a 2x2 average pool after the first), global average pooling and a Linear; every convolution followed
    by BatchNorm and ReLU, He-normal (fan-out) convolutions. ``norm``: ``"bn"`` (``nn.BatchNorm2d``), ``"hand"`` (the
    same written by hand, :class:`HandBatchNorm2d`), ``"hand_swapped"`` (its training test inverted) or ``"none"``
    (every BatchNorm left out); ``bn_beta``: every BatchNorm's shift set to that value."""

    def __init__(self, classes: int = 10, stem: int = 16, growth: int = 16, width: int = 16, layers: int = 2,
                 norm: str = "bn", bn_beta: float | None = None) -> None:
        super().__init__()
        blocks: list[nn.Module] = [_StemBlock(stem, norm, bn_beta)]
        c = stem
        for stage in range(2):
            for _ in range(layers):
                blocks.append(_TwoWayDense(c, growth, width, norm, bn_beta))
                c += growth
            blocks.append(_CBR(c, c, 1, 1, norm, bn_beta))
            if stage == 0:
                blocks.append(nn.AvgPool2d(2, 2))
        self.features, self.head = nn.Sequential(*blocks), nn.Linear(c, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean((2, 3)))


# ---- BiSeNet ---------------------------------------------------------------------------------------------------------


def _cbr(a: int, b: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(a, b, k, stride, k // 2, bias=False), nn.BatchNorm2d(b), nn.ReLU())


class _ARM(nn.Module):
    """The attention refinement module: global average pooling, a 1x1 convolution, BatchNorm and a sigmoid that
    reweights the channels of a 3x3 Conv-BN-ReLU's output."""

    def __init__(self, a: int, b: int) -> None:
        super().__init__()
        self.conv = _cbr(a, b)
        self.att = nn.Sequential(nn.Conv2d(b, b, 1, bias=False), nn.BatchNorm2d(b), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return x * self.att(x.mean((2, 3), keepdim=True))


class BiSeNet(nn.Module):
    """BiSeNet (Yu et al. 2018, "BiSeNet: bilateral segmentation network for real-time semantic segmentation"),
    narrowed: the spatial path (three stride-2 3x3 Conv-BN-ReLUs of 16, 16, 32 and a 1x1, to 1/8), the context path
    (a small stride-2 Conv-BN-ReLU backbone to 1/16 and 1/32, the ARMs on both, the global-average-pooled tail added
    to the 1/32 one, each upsampled and refined by a 3x3 Conv-BN-ReLU as the reference code), the feature fusion
    module (concatenation, a 1x1 Conv-BN-ReLU, the squeeze-excite style attention ``x + x * a``) and the head (3x3
    Conv-BN-ReLU, 1x1 to the classes, bilinear x8); Kaiming-normal convolutions (the reference's ``a = 1``). The
    auxiliary heads and losses of the paper are left out."""

    def __init__(self, classes: int = 3, c: int = 32) -> None:
        super().__init__()
        self.spatial = nn.Sequential(_cbr(3, 16, 3, 2), _cbr(16, 16, 3, 2), _cbr(16, c, 3, 2), _cbr(c, c, 1))
        self.backbone8 = nn.Sequential(_cbr(3, 16, 3, 2), _cbr(16, 32, 3, 2), _cbr(32, 32, 3, 2))
        self.backbone16, self.backbone32 = _cbr(32, 64, 3, 2), _cbr(64, 64, 3, 2)
        self.arm16, self.arm32 = _ARM(64, c), _ARM(64, c)
        self.tail = _cbr(64, c, 1)
        self.refine32, self.refine16 = _cbr(c, c), _cbr(c, c)
        self.ffm = _cbr(2 * c, 2 * c, 1)
        self.ffm_att = nn.Sequential(nn.Conv2d(2 * c, c // 2, 1), nn.ReLU(), nn.Conv2d(c // 2, 2 * c, 1), nn.Sigmoid())
        self.head = nn.Sequential(_cbr(2 * c, 2 * c), nn.Conv2d(2 * c, classes, 1))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        sp = self.spatial(x)
        f8 = self.backbone8(x)
        f16 = self.backbone16(f8)
        f32 = self.backbone32(f16)
        s32 = self.arm32(f32) + self.tail(f32.mean((2, 3), keepdim=True))
        up32 = self.refine32(F.interpolate(s32, size=f16.shape[-2:], mode="nearest"))
        up16 = self.refine16(F.interpolate(self.arm16(f16) + up32, size=f8.shape[-2:], mode="nearest"))
        fused = self.ffm(torch.cat([sp, up16], 1))
        fused = fused + fused * self.ffm_att(fused.mean((2, 3), keepdim=True))
        return F.interpolate(self.head(fused), size=size, mode="bilinear", align_corners=False)


# ---- CARN ------------------------------------------------------------------------------------------------------------


class _ResidualE(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.ReLU(), nn.Conv2d(c, c, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


class _Cascade(nn.Module):
    """CARN's cascading block: residual blocks whose outputs are concatenated with everything before and fused by a
    1x1 convolution (and ReLU) after each."""

    def __init__(self, c: int, n: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([_ResidualE(c) for _ in range(n)])
        self.fuse = nn.ModuleList([nn.Sequential(nn.Conv2d(c * (i + 2), c, 1), nn.ReLU()) for i in range(n)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cat = o = x
        for block, fuse in zip(self.blocks, self.fuse, strict=True):
            cat = torch.cat([cat, block(o)], 1)
            o = fuse(cat)
        return o


class CARN(nn.Module):
    """CARN (Ahn, Kang and Sohn 2018, "Fast, accurate, and lightweight super-resolution with cascading residual
    network"), narrowed: the mean shift, an entry 3x3 convolution to 32, two cascading blocks of two residual blocks
    inside the global cascade (each block's output concatenated and fused by a 1x1), the x2 upsampler (3x3 to 4x
    the width, pixel shuffle, ReLU) and an exit 3x3 convolution; PyTorch's default init."""

    def __init__(self, c: int = 32, blocks: int = 2, inner: int = 2, mean: float = 0.5) -> None:
        super().__init__()
        self.mean = mean
        self.entry = nn.Conv2d(3, c, 3, 1, 1)
        self.cascades = nn.ModuleList([_Cascade(c, inner) for _ in range(blocks)])
        self.fuse = nn.ModuleList([nn.Sequential(nn.Conv2d(c * (i + 2), c, 1), nn.ReLU()) for i in range(blocks)])
        self.upsample = nn.Sequential(nn.Conv2d(c, 4 * c, 3, 1, 1), nn.PixelShuffle(2), nn.ReLU())
        self.exit = nn.Conv2d(c, 3, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.entry(x - self.mean)
        cat = o = x
        for cascade, fuse in zip(self.cascades, self.fuse, strict=True):
            cat = torch.cat([cat, cascade(o)], 1)
            o = fuse(cat)
        return self.exit(self.upsample(o)) + self.mean
