"""Builders of the ninety-fourth held-out batch (``fresh93.py``): vision architectures new to the corpus
(classification, detection, segmentation, video, low-level vision) at their usual settings, and broken variants with
one real fault each, plus the small data sets they train on. The models live here too. Written and labelled with
plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(930_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9300 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _smooth(g: torch.Generator, shape: tuple[int, ...], coarse: int, size: int) -> torch.Tensor:
    """A smooth random field: ``N(0, 1)`` on a ``coarse`` grid, bilinearly upsampled to ``size``."""
    return F.interpolate(torch.randn(*shape, coarse, coarse, generator=g), size=(size, size), mode="bilinear",
                         align_corners=False)


def _normal_init(model: nn.Module, std: float) -> None:
    """Every conv and Linear weight drawn ``N(0, std^2)``, biases zero (the init faults)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16, classes: int = 10, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``; ``shuffled``: the labels permuted within every batch, apart from their images."""
    templates = _smooth(_fixed(1), (classes, 3), 4, size)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def hazy(seed: int, batch: int = 8, size: int = 32) -> Callable[[int], Any]:
    """Hazy images by the atmospheric scattering model ``I = J t + A (1 - t)``, ``t = exp(-beta d)``: clean scenes
    ``J`` (smooth colour fields squashed into (0, 1)), smooth depth maps ``d`` in (0, 2), ``beta`` uniform in
    (0.5, 1.5) and a grey airlight ``A`` uniform in (0.7, 1.0) per image: ``(hazy I, clean J)``."""
    def make(g: torch.Generator, _: int) -> Any:
        j = torch.sigmoid(1.5 * _smooth(g, (batch, 3), 4, size) + 0.5 * _smooth(g, (batch, 3), 8, size))
        d = 2 * torch.sigmoid(1.5 * _smooth(g, (batch, 1), 3, size))
        beta = 0.5 + torch.rand(batch, 1, 1, 1, generator=g)
        a = 0.7 + 0.3 * torch.rand(batch, 1, 1, 1, generator=g)
        t = torch.exp(-beta * d)
        return j * t + a * (1 - t), j
    return _pool(seed, make)


def motion_clips(seed: int, batch: int = 16, frames: int = 8, size: int = 16, classes: int = 4,
                 shuffled: bool = False) -> Callable[[int], Any]:
    """RGB clips of 8 frames of 16x16: a Gaussian blob (std 1.5 pixels) of a random colour starting at a random
    place and moving one pixel a frame in one of four directions (the class: right, left, down, up), on N(0, 0.3^2)
    noise: ``(clips (b, 3, 8, 16, 16), direction)``; ``shuffled``: the labels permuted within every batch, apart from
    their clips."""
    dirs = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    coords = torch.arange(size).float()

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        start = 4 + 8 * torch.rand(batch, 2, generator=g)
        colour = 0.5 + torch.rand(batch, 3, generator=g)
        t = torch.arange(frames).float() - (frames - 1) / 2
        centre = start[:, None] + t[None, :, None] * dirs[y][:, None]           # (b, T, 2): x, y
        gx = torch.exp(-((coords[None, None] - centre[..., :1]) ** 2) / (2 * 1.5 ** 2))  # (b, T, W)
        gy = torch.exp(-((coords[None, None] - centre[..., 1:]) ** 2) / (2 * 1.5 ** 2))  # (b, T, H)
        blob = gy[..., :, None] * gx[..., None, :]                               # (b, T, H, W)
        x = 2 * colour[:, :, None, None, None] * blob[:, None] + 0.3 * torch.randn(batch, 3, frames, size, size,
                                                                                   generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def super_resolution(seed: int, batch: int = 8, size: int = 16) -> Callable[[int], Any]:
    """x2 super-resolution of smooth scenes (a coarse and a finer random field): the input is the high-resolution
    image average-pooled by 2 and upsampled back by nearest neighbour (DRCN's bicubic pre-interpolation replaced:
    the network does the interpolation): ``(upsampled low-resolution (b, 1, 16, 16), high-resolution)``."""
    def make(g: torch.Generator, _: int) -> Any:
        hr = _smooth(g, (batch, 1), 4, size) + 0.5 * _smooth(g, (batch, 1), 8, size)
        return F.interpolate(F.avg_pool2d(hr, 2), scale_factor=2, mode="nearest"), hr
    return _pool(seed, make)


def _ellipses(g: torch.Generator, batch: int, size: int) -> torch.Tensor:
    coords = torch.arange(size).float()
    c = 6 + (size - 12) * torch.rand(batch, 2, generator=g)
    r = 3 + 4 * torch.rand(batch, 2, generator=g)
    dx = (coords[None, None, :] - c[:, 0, None, None]) / r[:, 0, None, None]
    dy = (coords[None, :, None] - c[:, 1, None, None]) / r[:, 1, None, None]
    return (dx ** 2 + dy ** 2 <= 1).float()[:, None]


def salient(seed: int, batch: int = 8, size: int = 32) -> Callable[[int], Any]:
    """Salient-object scenes: a cluttered background (smooth colour fields plus N(0, 0.3^2) noise) and one ellipse
    (radii 3 to 7 pixels) painted in a fixed object colour with a fine texture: ``(image, mask (b, 1, 32, 32))``."""
    colour = torch.tensor([1.0, -0.6, 0.4])[None, :, None, None]

    def make(g: torch.Generator, _: int) -> Any:
        mask = _ellipses(g, batch, size)
        background = 0.8 * _smooth(g, (batch, 3), 4, size)
        texture = 0.4 * torch.randn(batch, 1, size, size, generator=g)
        x = background * (1 - mask) + (colour + texture) * mask + 0.3 * torch.randn(batch, 3, size, size, generator=g)
        return x, mask
    return _pool(seed, make)


def noisy(seed: int, batch: int = 8, size: int = 16, sigma: float = 0.4) -> Callable[[int], Any]:
    """Grey-level denoising: smooth scenes (a coarse and a finer random field) plus N(0, 0.4^2) noise:
    ``(noisy (b, 1, 16, 16), clean)``."""
    def make(g: torch.Generator, _: int) -> Any:
        clean = _smooth(g, (batch, 1), 3, size) + 0.5 * _smooth(g, (batch, 1), 6, size)
        return clean + sigma * torch.randn(clean.shape, generator=g), clean
    return _pool(seed, make)


def moving_blobs(seed: int, batch: int = 8, size: int = 16, frames: int = 8) -> Callable[[int], Any]:
    """Video prediction: two Gaussian blobs (std 1.5 pixels, random brightness) moving together with a random
    velocity in {-1, 0, 1}^2 pixels a frame, wrapping round the 16x16 frame; the first sequence of every batch is
    blank (a dead sensor: every frame zero):  ``(frames 0-3 (b, 4, 1, 16, 16), frames 4-7)``."""
    coords = torch.arange(size).float()

    def make(g: torch.Generator, _: int) -> Any:
        base = torch.zeros(batch, size, size)
        for _k in range(2):
            c = size * torch.rand(batch, 2, generator=g)
            amp = 0.5 + torch.rand(batch, 1, 1, generator=g)
            gx = torch.exp(-((coords[None] - c[:, :1]) ** 2) / (2 * 1.5 ** 2))
            gy = torch.exp(-((coords[None] - c[:, 1:]) ** 2) / (2 * 1.5 ** 2))
            base = base + amp * gy[:, :, None] * gx[:, None, :]
        v = torch.randint(-1, 2, (batch, 2), generator=g)
        video = torch.stack([torch.stack([base[i].roll((int(v[i, 1]) * t, int(v[i, 0]) * t), (0, 1))
                                          for t in range(frames)]) for i in range(batch)])[:, :, None]
        video[0] = 0.0
        return video[:, :4], video[:, 4:]
    return _pool(seed, make)


def corners(seed: int, batch: int = 8, size: int = 32, stride: int = 2, permuted: bool = False
            ) -> Callable[[int], Any]:
    """Single-object detection: one rectangle (sides 6 to 20 pixels) of a random bright colour on a noisy smooth
    background; the targets are CornerNet's top-left and bottom-right corner heatmaps at stride 2 (16x16), 1 at the
    corner's cell and a Gaussian of std 1 cell around it: ``(image, heatmaps (b, 2, 16, 16))``; ``permuted``: the
    heatmaps permuted within every batch, apart from their images."""
    out = size // stride
    cells = torch.arange(out).float()

    def heat(cx: torch.Tensor, cy: torch.Tensor) -> torch.Tensor:
        return torch.exp(-((cells[None, None] - cx[:, None, None]) ** 2 + (cells[None, :, None] - cy[:, None, None])
                           ** 2) / 2)

    def make(g: torch.Generator, _: int) -> Any:
        wh = torch.randint(6, 21, (batch, 2), generator=g)
        x0 = (torch.rand(batch, generator=g) * (size - wh[:, 0])).long()
        y0 = (torch.rand(batch, generator=g) * (size - wh[:, 1])).long()
        x1, y1 = x0 + wh[:, 0] - 1, y0 + wh[:, 1] - 1
        img = 0.5 * _smooth(g, (batch, 3), 4, size) + 0.3 * torch.randn(batch, 3, size, size, generator=g)
        colour = 0.8 + 0.7 * torch.rand(batch, 3, generator=g)
        for i in range(batch):
            img[i, :, y0[i]:y1[i] + 1, x0[i]:x1[i] + 1] += colour[i, :, None, None]
        target = torch.stack([heat(x0 // stride, y0 // stride), heat(x1 // stride, y1 // stride)], 1)
        return img, target[torch.randperm(batch, generator=g)] if permuted else target
    return _pool(seed, make)


# ---- Twins-SVT -------------------------------------------------------------------------------------------------------

class _Mlp(nn.Module):
    def __init__(self, d: int, ratio: int = 4) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, ratio * d), nn.Linear(ratio * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class LocallyGroupedAttention(nn.Module):
    """Twins' LSA: multi-head self-attention inside non-overlapping ``window x window`` windows."""

    def __init__(self, d: int, heads: int, window: int) -> None:
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        b, n, d = x.shape
        s = self.window
        x = x.view(b, h // s, s, w // s, s, d).transpose(2, 3).reshape(b * (h // s) * (w // s), s * s, d)
        q, k, v = self.qkv(x).view(x.shape[0], s * s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(x.shape[0], s * s, d)
        out = out.view(b, h // s, w // s, s, s, d).transpose(2, 3).reshape(b, n, d)
        return self.proj(out)


class GlobalSubsampledAttention(nn.Module):
    """Twins' GSA: every token attends to the keys and values of a map subsampled by a ``sr x sr`` strided conv
    (followed by LayerNorm)."""

    def __init__(self, d: int, heads: int, sr: int) -> None:
        super().__init__()
        self.heads, self.sr = heads, sr
        self.q, self.kv, self.proj = nn.Linear(d, d), nn.Linear(d, 2 * d), nn.Linear(d, d)
        if sr > 1:
            self.reduce, self.norm = nn.Conv2d(d, d, sr, sr), nn.LayerNorm(d)

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        b, n, d = x.shape
        hd = d // self.heads
        q = self.q(x).view(b, n, self.heads, hd).transpose(1, 2)
        src = x
        if self.sr > 1:
            src = self.norm(self.reduce(x.transpose(1, 2).reshape(b, d, h, w)).flatten(2).transpose(1, 2))
        k, v = self.kv(src).view(b, -1, 2, self.heads, hd).permute(2, 0, 3, 1, 4)
        return self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, d))


class TwinsBlock(nn.Module):
    def __init__(self, d: int, attn: nn.Module) -> None:
        super().__init__()
        self.norm1, self.attn, self.norm2, self.mlp = nn.LayerNorm(d), attn, nn.LayerNorm(d), _Mlp(d)

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.mlp(self.norm2(x))


class TwinsSVT(nn.Module):
    """Twins-SVT (Chu et al. 2021), narrowed to two stages for 16x16 images: a 2x2 patch embedding to 8x8 tokens of
    32 (LayerNorm), an LSA block (windows of 4x4, 2 heads), the PEG (a depthwise 3x3 conv added to the tokens), a GSA
    block (keys subsampled by 2, 2 heads); a 2x2 patch merging to 4x4 tokens of 64, LSA (windows 2x2, 4 heads), PEG,
    GSA (sr 1, 4 heads); LayerNorm, average pooling, the head. Linears truncated-normal 0.02 (the reference's);
    ``init_std``: every Linear and conv ``N(0, init_std^2)`` instead; ``head_depth``: that many plain ReLU Linears
    of 64 at PyTorch's default init before the head."""

    def __init__(self, classes: int = 10, init_std: float | None = None, head_depth: int = 0) -> None:
        super().__init__()
        dims, self.blocks, self.embeds, self.pegs = (32, 64), nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        windows, srs, heads = (4, 2), (2, 1), (2, 4)
        cin = 3
        for i, d in enumerate(dims):
            self.embeds.append(nn.ModuleList([nn.Conv2d(cin, d, 2, 2), nn.LayerNorm(d)]))
            self.blocks.append(nn.ModuleList([TwinsBlock(d, LocallyGroupedAttention(d, heads[i], windows[i])),
                                              TwinsBlock(d, GlobalSubsampledAttention(d, heads[i], srs[i]))]))
            self.pegs.append(nn.Conv2d(d, d, 3, padding=1, groups=d))
            cin = d
        self.norm, self.head = nn.LayerNorm(dims[-1]), nn.Linear(dims[-1], classes)
        self.deep = nn.ModuleList([nn.Linear(dims[-1], dims[-1]) for _ in range(head_depth)])
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        for m in self.deep:
            m.reset_parameters()
        if init_std is not None:
            _normal_init(self, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for (conv, norm), (lsa, gsa), peg in zip(self.embeds, self.blocks, self.pegs):
            x = conv(x)
            b, d, h, w = x.shape
            t = norm(x.flatten(2).transpose(1, 2))
            t = lsa(t, h, w)
            t = t + peg(t.transpose(1, 2).reshape(b, d, h, w)).flatten(2).transpose(1, 2)
            t = gsa(t, h, w)
            x = t.transpose(1, 2).reshape(b, d, h, w)
        z = self.norm(x.flatten(2).transpose(1, 2)).mean(1)
        for m in self.deep:
            z = F.relu(m(z))
        return self.head(z)


# ---- AOD-Net ---------------------------------------------------------------------------------------------------------

class AODNet(nn.Module):
    """AOD-Net (Li et al. 2017): the K-estimation module of five ReLU convs (1x1, 3x3, 5x5, 7x7, 3x3, three
    channels each) joined by the paper's three concatenations, and the clean-image module ``J = ReLU(K I - K + b)``
    with ``b = 1``; weights ``N(0, 0.02^2)`` and zero biases as the reference PyTorch code; ``relu_bias``: every
    conv's bias set to that constant; ``plain_depth``: the K-estimation module replaced by that many plain 3x3
    ReLU convs of 8 channels at PyTorch's default init; ``quantise``: the output rounded to 8-bit levels,
    ``round(J * 255) / 255``, in the forward."""

    def __init__(self, relu_bias: float | None = None, plain_depth: int = 0, quantise: bool = False) -> None:
        super().__init__()
        self.plain_depth, self.quantise = plain_depth, quantise
        if plain_depth:
            chans = [3] + [8] * (plain_depth - 1) + [3]
            self.plain = nn.ModuleList([nn.Conv2d(a, b, 3, padding=1) for a, b in itertools.pairwise(chans)])
            return
        self.c1, self.c2 = nn.Conv2d(3, 3, 1), nn.Conv2d(3, 3, 3, padding=1)
        self.c3, self.c4 = nn.Conv2d(6, 3, 5, padding=2), nn.Conv2d(6, 3, 7, padding=3)
        self.c5 = nn.Conv2d(12, 3, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, 0.02)
                nn.init.constant_(m.bias, 0.0 if relu_bias is None else relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.plain_depth:
            k = x
            for conv in self.plain:
                k = F.relu(conv(k))
        else:
            x1 = F.relu(self.c1(x))
            x2 = F.relu(self.c2(x1))
            x3 = F.relu(self.c3(torch.cat([x1, x2], 1)))
            x4 = F.relu(self.c4(torch.cat([x2, x3], 1)))
            k = F.relu(self.c5(torch.cat([x1, x2, x3, x4], 1)))
        j = F.relu(k * x - k + 1.0)
        return torch.round(j * 255) / 255 if self.quantise else j


# ---- S3D-G -----------------------------------------------------------------------------------------------------------

class SepConv3d(nn.Module):
    """S3D's separable conv: a ``1 x k x k`` spatial conv, BN, ReLU, then a ``k x 1 x 1`` temporal conv, BN, ReLU.
    ``bn``: without the BatchNorms (the convs then take biases); ``relu``: without the ReLUs."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, bn: bool = True, relu: bool = True) -> None:
        super().__init__()
        self.relu = relu
        self.s = nn.Conv3d(cin, cout, (1, k, k), (1, stride, stride), (0, k // 2, k // 2), bias=not bn)
        self.t = nn.Conv3d(cout, cout, (k, 1, 1), (stride, 1, 1), (k // 2, 0, 0), bias=not bn)
        self.bs = nn.BatchNorm3d(cout) if bn else nn.Identity()
        self.bt = nn.BatchNorm3d(cout) if bn else nn.Identity()

    def act(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x) if self.relu else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bt(self.t(self.act(self.bs(self.s(x))))))


class Unit3d(nn.Module):
    """A ``1 x 1 x 1`` conv, BN, ReLU (``bn``, ``relu``: as :class:`SepConv3d`)."""

    def __init__(self, cin: int, cout: int, bn: bool = True, relu: bool = True) -> None:
        super().__init__()
        self.relu = relu
        self.conv = nn.Conv3d(cin, cout, 1, bias=not bn)
        self.bn = nn.BatchNorm3d(cout) if bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return F.relu(x) if self.relu else x


class Gating(nn.Module):
    """S3D-G's self-gating: ``x * sigmoid(W avgpool(x) + b)`` per channel."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.fc = nn.Linear(c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.fc(x.mean((2, 3, 4))))[:, :, None, None, None]


class MixedS3D(nn.Module):
    """S3D-G's Inception block, narrowed to three branches (a 1x1x1 conv; 1x1x1 then a separable 3x3x3; 1x1x1 then a
    separable 3x3x3 of a quarter the width; the max-pool branch left out), each gated, concatenated."""

    def __init__(self, cin: int, c: int, bn: bool = True, relu: bool = True) -> None:
        super().__init__()
        kw = {"bn": bn, "relu": relu}
        self.b0 = Unit3d(cin, c // 2, **kw)
        self.b1 = nn.Sequential(Unit3d(cin, c // 2, **kw), SepConv3d(c // 2, c, 3, **kw))
        self.b2 = nn.Sequential(Unit3d(cin, c // 4, **kw), SepConv3d(c // 4, c // 2, 3, **kw))
        self.gates = nn.ModuleList([Gating(c // 2), Gating(c), Gating(c // 2)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([g(b(x)) for g, b in zip(self.gates, (self.b0, self.b1, self.b2))], 1)


class S3DG(nn.Module):
    """S3D-G (Xie et al. 2018), narrowed for 8-frame 16x16 clips: a separable 3x3x3 stem of 16 with stride 2 in
    space and time, a separable 3x3x3 conv of 32, two gated Inception blocks (outputs 32 and 64 wide; the max pools
    left out), global average pooling, dropout 0.2 and the 1x1x1 logits conv; PyTorch's default init.
    ``bn``: without BatchNorm; ``relu``: without the ReLUs."""

    def __init__(self, classes: int = 4, bn: bool = True, relu: bool = True) -> None:
        super().__init__()
        kw = {"bn": bn, "relu": relu}
        self.stem = nn.Sequential(SepConv3d(3, 16, 3, stride=2, **kw), SepConv3d(16, 32, 3, **kw))
        self.mix1, self.mix2 = MixedS3D(32, 16, **kw), MixedS3D(32, 32, **kw)
        self.drop, self.logits = nn.Dropout(0.2), nn.Conv3d(64, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.mix1(self.stem(x))
        x = self.mix2(x)
        return self.logits(self.drop(x.mean((2, 3, 4), keepdim=True))).flatten(1)


# ---- DRCN ------------------------------------------------------------------------------------------------------------

class DRCN(nn.Module):
    """DRCN (Kim, Lee and Lee 2016), narrowed: an embedding net of two 3x3 ReLU convs of 16, one 3x3 ReLU conv of 16
    applied recursively 8 times (shared weights), a shared reconstruction net (a 3x3 ReLU conv of 16, a 3x3 conv to
    one channel) applied to every recursion's state with the input skip, and the final output the learned weighted
    average of the 8 predictions (weights from 1/8); He init (fan-in, ReLU) as the paper, biases zero;
    ``radius``: the recursive conv's weights times that factor."""

    def __init__(self, width: int = 16, recursions: int = 8, radius: float = 1.0) -> None:
        super().__init__()
        self.embed = nn.ModuleList([nn.Conv2d(1, width, 3, padding=1), nn.Conv2d(width, width, 3, padding=1)])
        self.rec = nn.Conv2d(width, width, 3, padding=1)
        self.recon = nn.ModuleList([nn.Conv2d(width, width, 3, padding=1), nn.Conv2d(width, 1, 3, padding=1)])
        self.recursions = recursions
        self.w = nn.Parameter(torch.full((recursions,), 1.0 / recursions))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        with torch.no_grad():
            self.rec.weight.mul_(radius)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.embed[1](F.relu(self.embed[0](x))))
        preds = []
        for _ in range(self.recursions):
            h = F.relu(self.rec(h))
            preds.append(self.recon[1](F.relu(self.recon[0](h))) + x)
        preds_t = torch.stack(preds)                                           # (D, b, 1, H, W)
        final = (self.w[:, None, None, None, None] * preds_t).sum(0)
        return torch.cat([final[None], preds_t])


def drcn_loss(out: torch.Tensor, target: torch.Tensor, alpha: float = 0.5) -> torch.Tensor:
    """DRCN's loss: ``alpha`` times the mean of the recursions' MSEs (recursive supervision) plus ``1 - alpha`` times
    the final output's MSE (alpha held at 0.5: its decay schedule left out)."""
    per = ((out - target[None]) ** 2).mean((1, 2, 3, 4))
    return alpha * per[1:].mean() + (1 - alpha) * per[0]


# ---- U^2-Net ---------------------------------------------------------------------------------------------------------

class REBNCONV(nn.Module):
    """U^2-Net's conv (3x3, dilation ``dil``), BatchNorm, ReLU."""

    def __init__(self, cin: int, cout: int, dil: int = 1) -> None:
        super().__init__()
        self.conv, self.bn = nn.Conv2d(cin, cout, 3, padding=dil, dilation=dil), nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _up(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=ref.shape[2:], mode="bilinear", align_corners=False)


class RSU(nn.Module):
    """The residual U-block RSU-L: an input conv, a small U-Net of depth ``depth`` (max pools down, a dilated conv at
    the bottom, bilinear upsampling and concatenation up) whose output is added to the input conv's."""

    def __init__(self, depth: int, cin: int, mid: int, cout: int) -> None:
        super().__init__()
        self.inp = REBNCONV(cin, cout)
        self.enc = nn.ModuleList([REBNCONV(cout, mid)] + [REBNCONV(mid, mid) for _ in range(depth - 2)])
        self.bottom = REBNCONV(mid, mid, dil=2)
        self.dec = nn.ModuleList([REBNCONV(2 * mid, mid) for _ in range(depth - 2)] + [REBNCONV(2 * mid, cout)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hin = self.inp(x)
        h, skips = hin, []
        for i, enc in enumerate(self.enc):
            h = enc(h)
            skips.append(h)
            if i < len(self.enc) - 1:
                h = F.max_pool2d(h, 2, ceil_mode=True)
        h = self.bottom(h)
        for dec, skip in zip(self.dec, reversed(skips)):
            h = dec(torch.cat([_up(h, skip), skip], 1))
        return h + hin


class U2Net(nn.Module):
    """U^2-Net (Qin et al. 2020), narrowed to three levels for 32x32 scenes: RSU-4 (mid 8, out 16) at 32x32, RSU-3
    at 16x16, RSU-2 at 8x8, the decoder RSU-3 and RSU-4 on the upsampled deeper output concatenated with the encoder's;
    a 3x3 side-output conv to one logit map at each of the three decoder-side levels, upsampled, and the 1x1 fusion
    of the three; PyTorch's default init. Returns the four logit maps ``(b, 4, 32, 32)`` (fused first).
    ``relu_heads``: every side conv and the fusion conv followed by a ReLU."""

    def __init__(self, relu_heads: bool = False) -> None:
        super().__init__()
        self.en1, self.en2, self.en3 = RSU(4, 3, 8, 16), RSU(3, 16, 8, 16), RSU(2, 16, 8, 16)
        self.de2, self.de1 = RSU(3, 32, 8, 16), RSU(4, 32, 8, 16)
        self.sides = nn.ModuleList([nn.Conv2d(16, 1, 3, padding=1) for _ in range(3)])
        self.fuse = nn.Conv2d(3, 1, 1)
        self.relu_heads = relu_heads

    def head(self, conv: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return F.relu(conv(x)) if self.relu_heads else conv(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.en1(x)
        e2 = self.en2(F.max_pool2d(e1, 2))
        e3 = self.en3(F.max_pool2d(e2, 2))
        d2 = self.de2(torch.cat([_up(e3, e2), e2], 1))
        d1 = self.de1(torch.cat([_up(d2, e1), e1], 1))
        sides = [_up(self.head(conv, h), x) for conv, h in zip(self.sides, (d1, d2, e3))]
        return torch.cat([self.head(self.fuse, torch.cat(sides, 1)), *sides], 1)


def u2net_loss(out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """U^2-Net's deep supervision: the sum of the binary cross-entropies of the fused map and every side map."""
    return sum(F.binary_cross_entropy_with_logits(out[:, i:i + 1], mask) for i in range(out.shape[1]))


# ---- Restormer -------------------------------------------------------------------------------------------------------

class ChannelNorm(nn.Module):
    """Restormer's LayerNorm over the channels of every pixel (with bias)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class MDTA(nn.Module):
    """Multi-Dconv head transposed attention: 1x1 then depthwise 3x3 convs to q, k, v; the attention is across
    channels, ``softmax(normalize(q) normalize(k)^T * temperature)`` per head, temperature learned from 1."""

    def __init__(self, c: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(c, 3 * c, 1, bias=False)
        self.dw = nn.Conv2d(3 * c, 3 * c, 3, padding=1, groups=3 * c, bias=False)
        self.proj = nn.Conv2d(c, c, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = (t.reshape(b, self.heads, c // self.heads, h * w) for t in self.dw(self.qkv(x)).chunk(3, 1))
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        attn = (q @ k.transpose(-2, -1) * self.temperature).softmax(-1)
        return self.proj((attn @ v).reshape(b, c, h, w))


class GDFN(nn.Module):
    """Gated-Dconv feed-forward: 1x1 to two ``2.66 c`` streams, depthwise 3x3, ``gelu(x1) * x2``, 1x1 back."""

    def __init__(self, c: int, factor: float = 2.66) -> None:
        super().__init__()
        hidden = int(c * factor)
        self.inp = nn.Conv2d(c, 2 * hidden, 1, bias=False)
        self.dw = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden, bias=False)
        self.out = nn.Conv2d(hidden, c, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = self.dw(self.inp(x)).chunk(2, 1)
        return self.out(F.gelu(x1) * x2)


class RestormerBlock(nn.Module):
    def __init__(self, c: int, heads: int) -> None:
        super().__init__()
        self.n1, self.attn, self.n2, self.ffn = ChannelNorm(c), MDTA(c, heads), ChannelNorm(c), GDFN(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.n1(x))
        return x + self.ffn(self.n2(x))


class Restormer(nn.Module):
    """Restormer (Zamir et al. 2022), narrowed to two levels: a 3x3 embedding to 16 channels, one block at 16x16 (1
    head), a pixel-unshuffle down-sampling to 32 channels at 8x8 and one block (2 heads), pixel-shuffle up-sampling
    to 16 channels concatenated with the first level's output (32 channels), one decoder block and one refinement
    block (1 head), a 3x3 output conv plus the input image; bias-free convs and PyTorch's default init as the
    reference code."""

    def __init__(self, c: int = 16) -> None:
        super().__init__()
        self.embed = nn.Conv2d(1, c, 3, padding=1, bias=False)
        self.enc1, self.enc2 = RestormerBlock(c, 1), RestormerBlock(2 * c, 2)
        self.down = nn.Sequential(nn.Conv2d(c, c // 2, 3, padding=1, bias=False), nn.PixelUnshuffle(2))
        self.up = nn.Sequential(nn.Conv2d(2 * c, 4 * c, 3, padding=1, bias=False), nn.PixelShuffle(2))
        self.dec1, self.refine = RestormerBlock(2 * c, 1), RestormerBlock(2 * c, 1)
        self.out = nn.Conv2d(2 * c, 1, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(self.embed(x))
        e2 = self.enc2(self.down(e1))
        d1 = self.refine(self.dec1(torch.cat([self.up(e2), e1], 1)))
        return self.out(d1) + x


# ---- SimVP -----------------------------------------------------------------------------------------------------------

class ConvSC(nn.Module):
    """SimVP's conv (3x3, stride 1 or 2; a transposed conv when up-sampling), GroupNorm of 2 groups, LeakyReLU 0.2."""

    def __init__(self, cin: int, cout: int, stride: int = 1, transpose: bool = False) -> None:
        super().__init__()
        if transpose and stride > 1:
            self.conv: nn.Module = nn.ConvTranspose2d(cin, cout, 3, stride, 1, output_padding=1)
        else:
            self.conv = nn.Conv2d(cin, cout, 3, stride, 1)
        self.norm = nn.GroupNorm(2, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.norm(self.conv(x)), 0.2)


class Inception(nn.Module):
    """SimVP's translator Inception module: a 1x1 conv to ``hid``, then group convs of kernels 3, 5 and 7 (4
    groups), each with GroupNorm and LeakyReLU 0.2, summed."""

    def __init__(self, cin: int, hid: int, cout: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(cin, hid, 1)
        self.branches = nn.ModuleList([nn.Sequential(nn.Conv2d(hid, cout, k, padding=k // 2, groups=4),
                                                     nn.GroupNorm(2, cout), nn.LeakyReLU(0.2)) for k in (3, 5, 7)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.reduce(x)
        return sum(b(x) for b in self.branches)


class SimVP(nn.Module):
    """SimVP (Gao et al. 2022), narrowed: the encoder ConvSC 1->16 and ConvSC 16->16 stride 2 (to 8x8) on every
    input frame, the translator of two Inception modules (hidden 32) over the 4 frames' channels stacked (64) with
    the UNet-like skip of the original, the decoder ConvSC-transpose up-sampling and a ConvSC on the first encoder
    layer's features concatenated, a 1x1 readout; PyTorch's default init. Every input sequence is standardised by its
    own mean and std (``(x - m) / (s + eps)``, the prediction mapped back by ``* (s + eps) + m``, as RevIN does);
    ``eps``: that constant."""

    def __init__(self, frames: int = 4, c: int = 16, eps: float = 1e-5, sigmoid_out: bool = False) -> None:
        super().__init__()
        self.eps, self.frames, self.sigmoid_out = eps, frames, sigmoid_out
        self.enc1, self.enc2 = ConvSC(1, c), ConvSC(c, c, stride=2)
        self.t1, self.t2 = Inception(frames * c, 32, frames * c), Inception(frames * c, 32, frames * c)
        self.dec1, self.dec2 = ConvSC(c, c, stride=2, transpose=True), ConvSC(2 * c, c)
        self.readout = nn.Conv2d(c, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, ch, h, w = x.shape
        m = x.mean((1, 2, 3, 4), keepdim=True)
        s = x.std((1, 2, 3, 4), keepdim=True)
        z = ((x - m) / (s + self.eps)).reshape(b * t, ch, h, w)
        skip = self.enc1(z)
        lat = self.enc2(skip)
        _, c, hh, ww = lat.shape
        y1 = self.t1(lat.reshape(b, t * c, hh, ww))
        y = self.t2(y1) + y1
        y = self.dec1(y.reshape(b * t, c, hh, ww))
        y = self.readout(self.dec2(torch.cat([y, skip], 1))).reshape(b, t, ch, h, w)
        if self.sigmoid_out:
            y = torch.sigmoid(y)
        return y * (s + self.eps) + m


# ---- CornerNet -------------------------------------------------------------------------------------------------------

class Residual(nn.Module):
    """CornerNet's residual module: 3x3 conv, BN, ReLU, 3x3 conv, BN, plus the (projected) input, ReLU."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.skip = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                     if stride > 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + self.skip(x))


class Hourglass(nn.Module):
    """An hourglass of depth ``n``: a residual module at this scale plus (max pool, residual, inner hourglass,
    residual, nearest up-sampling)."""

    def __init__(self, n: int, c: int) -> None:
        super().__init__()
        self.up1, self.low1, self.low3 = Residual(c, c), Residual(c, c), Residual(c, c)
        self.low2: nn.Module = Hourglass(n - 1, c) if n > 1 else Residual(c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = self.low3(self.low2(self.low1(F.max_pool2d(x, 2))))
        return self.up1(x) + F.interpolate(low, scale_factor=2, mode="nearest")


def _cbr(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class CornerPool(nn.Module):
    """CornerNet's corner pooling module: two conv-BN-ReLU branches, one max-pooled along the rows towards the corner
    and one along the columns, summed, a conv-BN plus the 1x1 conv-BN of the input, ReLU, a conv-BN-ReLU.
    ``top_left``: top-left corners pool the features below and to the right; bottom-right ones above and left."""

    def __init__(self, c: int, top_left: bool) -> None:
        super().__init__()
        self.top_left = top_left
        self.p1, self.p2 = _cbr(c, c), _cbr(c, c)
        self.conv, self.bn = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.skip = nn.Sequential(nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))
        self.out = _cbr(c, c)

    @staticmethod
    def _pool(x: torch.Tensor, dim: int, reverse: bool) -> torch.Tensor:
        return x.flip(dim).cummax(dim).values.flip(dim) if reverse else x.cummax(dim).values

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self._pool(self.p1(x), 2, self.top_left)
        b = self._pool(self.p2(x), 3, self.top_left)
        return self.out(F.relu(self.bn(self.conv(a + b)) + self.skip(x)))


class CornerNet(nn.Module):
    """CornerNet (Law and Deng 2018), narrowed to one class and one object per image: a stem (3x3 conv-BN-ReLU of
    8, a residual module of 16 at stride 2), an hourglass of depth 2, a conv-BN-ReLU, the top-left and bottom-right
    corner pooling modules and their heatmap heads (a 3x3 ReLU conv of 16, a 1x1 conv to one logit map with the bias
    ``-2.19``, CornerNet's prior 0.1); the offsets and embeddings left out (one object, and the loss at stride 2 is
    taken on cells); PyTorch's default init. Returns the two logit maps ``(b, 2, 16, 16)``. ``head_depth``: each
    head's 3x3 ReLU conv replaced by that many plain 3x3 ReLU convs of 16 (default init, no norm)."""

    def __init__(self, c: int = 16, head_depth: int = 1) -> None:
        super().__init__()
        self.stem = nn.Sequential(_cbr(3, 8), Residual(8, c, stride=2))
        self.hg, self.after = Hourglass(2, c), _cbr(c, c)
        self.pools = nn.ModuleList([CornerPool(c, True), CornerPool(c, False)])
        self.heads = nn.ModuleList()
        for _ in range(2):
            if head_depth == 1:
                layers: list[nn.Module] = [nn.Conv2d(c, c, 3, padding=1), nn.ReLU()]
                last = c
            else:
                chans = [c] + [16] * head_depth
                layers = [m for a, b in itertools.pairwise(chans) for m in (nn.Conv2d(a, b, 3, padding=1), nn.ReLU())]
                last = 16
            out = nn.Conv2d(last, 1, 1)
            nn.init.constant_(out.bias, -2.19)
            self.heads.append(nn.Sequential(*layers, out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.after(self.hg(self.stem(x)))
        return torch.cat([head(pool(f)) for pool, head in zip(self.pools, self.heads)], 1)


def corner_focal_loss(logits: torch.Tensor, target: torch.Tensor, softmax: bool = False) -> torch.Tensor:
    """CornerNet's variant of the focal loss (alpha 2, beta 4) over both heatmaps, on the probabilities clamped to
    ``[1e-4, 1 - 1e-4]`` as the reference code's ``_sigmoid``, summed and divided by the number of corners.
    ``softmax``: the probabilities taken by a softmax over the two maps (the corner types) instead of a sigmoid
    per map."""
    p = logits.softmax(1) if softmax else torch.sigmoid(logits)
    p = p.clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    pos_loss = (torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = (torch.log(1 - p) * p ** 2 * (1 - target) ** 4 * (1 - pos)).sum()
    return -(pos_loss + neg_loss) / pos.sum().clamp(min=1)


# ---- builders --------------------------------------------------------------------------------------------------------

def twins(seed: int, lr: float = 1e-3, weight_decay: float = 0.05, init_std: float | None = None,
          shuffled: bool = False, head_depth: int = 0) -> Setup:
    """Twins-SVT on the class-template images (batch 32), cross-entropy, AdamW at the paper's lr 1e-3 (its 5e-4 per
    512 images scaled up for the short run) and weight decay 0.05, the warm-up and cosine decay left out;
    ``init_std``, ``head_depth``: see :class:`TwinsSVT`; ``shuffled``: see :func:`images`."""
    torch.manual_seed(930_000 + seed)
    model = TwinsSVT(init_std=init_std, head_depth=head_depth)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed, shuffled=shuffled), F.cross_entropy)


def aod_net(seed: int, lr: float = 1e-3, relu_bias: float | None = None, plain_depth: int = 0,
            quantise: bool = False, init_std: float | None = None) -> Setup:
    """AOD-Net on the hazy scenes (batch 8 of 32x32), MSE, Adam lr 1e-3 with weight decay 1e-4 (the reference PyTorch
    code's Adam at 1e-4 raised for 200 steps); ``relu_bias``, ``plain_depth``, ``quantise``: see :class:`AODNet`;
    ``init_std``: every conv ``N(0, init_std^2)``."""
    torch.manual_seed(930_000 + seed)
    model = AODNet(relu_bias=relu_bias, plain_depth=plain_depth, quantise=quantise)
    if init_std is not None:
        _normal_init(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    return _xy(model, opt, hazy(seed), F.mse_loss)


def s3d(seed: int, lr: float = 0.1, bn: bool = True, relu: bool = True, shuffled: bool = False) -> Setup:
    """S3D-G on the motion clips (batch 16), cross-entropy, SGD momentum 0.9 at lr 0.1 (I3D's and S3D's) with weight
    decay 1e-4; ``bn``, ``relu``: see :class:`S3DG`; ``shuffled``: see :func:`motion_clips`."""
    torch.manual_seed(930_000 + seed)
    model = S3DG(bn=bn, relu=relu)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, motion_clips(seed, shuffled=shuffled), F.cross_entropy)


def drcn(seed: int, lr: float = 3e-3, radius: float = 1.0) -> Setup:
    """DRCN on the x2 super-resolution scenes (batch 8 of 16x16), its recursive-supervision MSE, Adam lr 3e-3 (set
    here for 200 steps in place of the paper's SGD); ``radius``: see :class:`DRCN`."""
    torch.manual_seed(930_000 + seed)
    model = DRCN(radius=radius)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), super_resolution(seed), drcn_loss)


def u2net(seed: int, lr: float = 1e-3, relu_heads: bool = False) -> Setup:
    """U^2-Net on the salient-object scenes (batch 8 of 32x32), the deep-supervision BCE, Adam at the paper's lr 1e-3
    (betas 0.9, 0.999, eps 1e-8, no weight decay); ``relu_heads``: see :class:`U2Net`."""
    torch.manual_seed(930_000 + seed)
    model = U2Net(relu_heads=relu_heads)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    return _xy(model, opt, salient(seed), u2net_loss)


def restormer(seed: int, lr: float = 1e-3, weight_decay: float = 1e-4, init_std: float | None = None) -> Setup:
    """Restormer on the grey-level denoising scenes (batch 8 of 16x16), L1, AdamW (betas 0.9, 0.999) with the
    paper's weight decay 1e-4 at lr 1e-3 (the paper's 3e-4 raised for 200 steps; its cosine decay left out);
    ``init_std``: every conv ``N(0, init_std^2)``."""
    torch.manual_seed(930_000 + seed)
    model = Restormer()
    if init_std is not None:
        _normal_init(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), weight_decay=weight_decay)
    return _xy(model, opt, noisy(seed), F.l1_loss)


def simvp(seed: int, lr: float = 1e-3, eps: float = 1e-5, sigmoid_out: bool = False) -> Setup:
    """SimVP on the moving blobs (batch 8, 4 frames in, 4 out), MSE, Adam lr 1e-3 (the paper's 0.01 under a
    one-cycle schedule, set lower without it); ``eps``: see :class:`SimVP`."""
    torch.manual_seed(930_000 + seed)
    model = SimVP(eps=eps, sigmoid_out=sigmoid_out)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), moving_blobs(seed), F.mse_loss)


def cornernet(seed: int, lr: float = 1e-3, head_depth: int = 1, softmax: bool = False, permuted: bool = False
              ) -> Setup:
    """CornerNet on the one-rectangle scenes (batch 8 of 32x32), its focal loss on the corner heatmaps, Adam at lr
    1e-3 (the paper's 2.5e-4 for batch 49 raised for 200 steps); ``head_depth``: see :class:`CornerNet`;
    ``softmax``: see :func:`corner_focal_loss`; ``permuted``: see :func:`corners`."""
    torch.manual_seed(930_000 + seed)
    model = CornerNet(head_depth=head_depth)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, corners(seed, permuted=permuted),
               lambda out, t: corner_focal_loss(out, t, softmax=softmax))

