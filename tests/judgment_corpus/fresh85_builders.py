"""Builders of the eighty-sixth held-out batch (``fresh85.py``): vision models (classification, detection,
segmentation, video, low-level vision) new to the corpus at their usual settings, broken variants with one real fault
each, and the small data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was
run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(850_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8500 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _normal_(model: nn.Module, std: float) -> None:
    """Every convolution and Linear weight drawn N(0, std^2)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)


@dataclass
class UserLoop(Setup):
    """A :class:`Setup` whose training step is the user's own gradient-accumulation loop: the batch run as ``micro``
    micro-batches whose gradients accumulate before one optimizer step. Healthy: each micro-batch's mean loss times
    its share of the batch (``len(part) / len(batch)``, i.e. divided by ``micro`` for equal parts) before its own
    ``backward``. ``divide=False``: the micro-batch losses summed, the division by the number of micro-batches left
    out. ``running_total``: the user keeps ``total = total + loss_i / micro`` for the log and calls
    ``total.backward(retain_graph=True)`` on it (what PyTorch's "backward through the graph a second time" error asks
    for) where ``loss_i.backward()`` belongs, so micro-batch ``i``'s gradient is counted ``micro - i`` times. The
    logged loss is the batch's mean loss; with a guard, ``guard.step`` steps the optimizer, as in
    :meth:`Setup.train_step`."""

    micro: int = 1
    divide: bool = True
    running_total: bool = False

    def train_step(self, step: int, guard: Any | None = None) -> float:
        batch = self.batches(step)
        self.optimizer.zero_grad(set_to_none=True)
        x, y = batch
        n = len(x)
        size = math.ceil(n / self.micro)
        parts = list(zip(x.split(size), _split_targets(y, size), strict=True))
        logged, total = 0.0, None
        for part in parts:
            loss = self.compute_loss(self.model, part)
            share = len(part[0]) / n
            logged += float(loss.detach()) * share
            if self.running_total:
                total = loss * share if total is None else total + loss * share
                total.backward(retain_graph=True)
            else:
                (loss * share if self.divide else loss).backward()
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        if guard is not None:
            self.last_report = guard.step(torch.tensor(logged), closure=lambda m: self.compute_loss(m, batch))
        else:
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return logged


def _split_targets(y: Any, size: int) -> list[Any]:
    if isinstance(y, torch.Tensor):
        return list(y.split(size))
    return [tuple(t[i:i + size] for t in y) for i in range(0, len(y[0]), size)]


def _loop(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
          **loop: Any) -> UserLoop:
    return UserLoop(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches, needs_closure=True, **loop)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def mosaics(seed: int, batch: int = 8, size: int = 32, classes: int = 4, shuffled: bool = False
            ) -> Callable[[int], Any]:
    """Segmentation mosaics: a label map of 8x8 random cells of 4 px (classes uniform), each class a fixed colour plus
    a fixed texture of 4x4 px, under N(0, 1) noise: ``(images (b, 3, 32, 32), masks (b, 32, 32))``; ``shuffled``: the
    masks permuted within every batch, apart from their images."""
    fg = _fixed(2)
    colours = torch.randn(classes, 3, 1, 1, generator=fg)
    textures = 0.7 * torch.randn(classes, 3, 4, 4, generator=fg).repeat(1, 1, size // 4, size // 4)

    def make(g: torch.Generator, _: int) -> Any:
        cells = torch.randint(0, classes, (batch, size // 4, size // 4), generator=g)
        mask = cells.repeat_interleave(4, 1).repeat_interleave(4, 2)
        onehot = F.one_hot(mask, classes).permute(0, 3, 1, 2).float()
        x = torch.einsum("bkhw,kchw->bchw", onehot, colours + textures)
        x = x + torch.randn(x.shape, generator=g)
        return x, mask[torch.randperm(batch, generator=g)] if shuffled else mask
    return _pool(seed, make)


def clips(seed: int, batch: int = 8, frames: int = 8, size: int = 16, blank_every: int | None = None
          ) -> Callable[[int], Any]:
    """Video clips of a Gaussian blob (std 2 px, random colour) moving 1 px a frame in one of four directions from a
    random start, on N(0, 0.3^2) noise: ``(clips (b, 3, 8, 16, 16), direction)`` (batch 8); ``blank_every``: every such
    batch's first clip is blank (all zeros: a camera's black frames, the recording's label kept)."""
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    moves = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])

    def make(g: torch.Generator, i: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        start = 4 + 8 * torch.rand(batch, 2, generator=g)
        colour = 0.5 + torch.rand(batch, 3, generator=g)
        t = torch.arange(frames).float()
        pos = start[:, None] + moves[y][:, None] * (t[None, :, None] - frames / 2)   # (b, T, 2)
        d2 = (xx - pos[..., 0, None, None]) ** 2 + (yy - pos[..., 1, None, None]) ** 2
        blob = torch.exp(-d2 / 8.0)                                                    # (b, T, H, W)
        x = colour[:, :, None, None, None] * blob[:, None] + 0.3 * torch.randn(batch, 3, frames, size, size,
                                                                              generator=g)
        if blank_every is not None and i % blank_every == 0:
            x[0] = 0.0
        return x, y
    return _pool(seed, make)


def moving_blobs(seed: int, batch: int = 8, frames: int = 8, size: int = 16) -> Callable[[int], Any]:
    """Frame sequences of a Gaussian blob (std 1.5 px) moving at a random constant velocity of up to 1.5 px a frame
    and bouncing off the borders: ``(frames 0..6, frames 1..7)``, each ``(b, 7, 1, 16, 16)``."""
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        pos = 3 + (size - 6) * torch.rand(batch, 2, generator=g)
        vel = 3 * torch.rand(batch, 2, generator=g) - 1.5
        seq = []
        for _t in range(frames):
            d2 = (xx - pos[:, 0, None, None]) ** 2 + (yy - pos[:, 1, None, None]) ** 2
            seq.append(torch.exp(-d2 / 4.5))
            pos = pos + vel
            low, high = pos < 1, pos > size - 2
            vel = torch.where(low | high, -vel, vel)
            pos = pos.clamp(1, size - 2)
        s = torch.stack(seq, 1)[:, :, None]
        return s[:, :-1], s[:, 1:]
    return _pool(seed, make)


def noisy_fields(seed: int, batch: int = 8, size: int = 32, sigma: float = 0.5) -> Callable[[int], Any]:
    """Denoising pairs: smooth random colour fields (4x4 values bilinearly upsampled to 32x32, plus a finer 8x8 field
    at half the amplitude) under N(0, 0.5^2) noise: ``(noisy, clean)``."""
    def make(g: torch.Generator, _: int) -> Any:
        coarse = F.interpolate(torch.randn(batch, 3, 4, 4, generator=g), size=(size, size), mode="bilinear",
                               align_corners=False)
        fine = F.interpolate(torch.randn(batch, 3, 8, 8, generator=g), size=(size, size), mode="bilinear",
                             align_corners=False)
        clean = coarse + 0.5 * fine
        return clean + sigma * torch.randn(clean.shape, generator=g), clean
    return _pool(seed, make)


def sr_pairs(seed: int, batch: int = 8, size: int = 32) -> Callable[[int], Any]:
    """x2 super-resolution pairs: a high-resolution image of 8x8 random blocks of 4 px (values N(0, 1)), its 2x2
    average (16x16) upsampled back bicubically as DRRN's input: ``(interpolated (b, 1, 32, 32), high-res)``."""
    def make(g: torch.Generator, _: int) -> Any:
        hr = torch.randn(batch, 1, size // 4, size // 4, generator=g).repeat_interleave(4, 2).repeat_interleave(4, 3)
        lr = F.avg_pool2d(hr, 2)
        return F.interpolate(lr, scale_factor=2, mode="bicubic", align_corners=False), hr
    return _pool(seed, make)


def boxes_scenes(seed: int, batch: int = 16, size: int = 32, classes: int = 3) -> Callable[[int], Any]:
    """Detection scenes: one axis-aligned object of side 10 to 20 px per image, its class (3) a fixed colour and
    stripe pattern, on N(0, 0.4^2) noise: ``(images (b, 3, 32, 32), (boxes (b, 4) as x1, y1, x2, y2, classes))``."""
    fg = _fixed(3)
    colours = torch.randn(classes, 3, generator=fg)
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randint(0, classes, (batch,), generator=g)
        wh = 10 + 10 * torch.rand(batch, 2, generator=g)
        x1y1 = torch.rand(batch, 2, generator=g) * (size - wh)
        box = torch.cat([x1y1, x1y1 + wh], 1)
        inside = ((xx >= box[:, 0, None, None]) & (xx < box[:, 2, None, None]) & (yy >= box[:, 1, None, None])
                  & (yy < box[:, 3, None, None])).float()
        stripes = torch.stack([torch.sin(xx), torch.sin(yy), torch.sin(xx + yy)])[c]   # (b, H, W)
        x = inside[:, None] * (colours[c][:, :, None, None] + 0.5 * stripes[:, None])
        return x + 0.4 * torch.randn(x.shape, generator=g), (box, c)
    return _pool(seed, make)


# ---- GFNet (classification) ------------------------------------------------------------------------------------------

class _GlobalFilter(nn.Module):
    def __init__(self, dim: int, h: int, w: int) -> None:
        super().__init__()
        self.h, self.w = h, w
        self.complex_weight = nn.Parameter(torch.randn(h, w // 2 + 1, dim, 2) * 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        x = x.view(b, self.h, self.w, c)
        x = torch.fft.rfft2(x, dim=(1, 2), norm="ortho") * torch.view_as_complex(self.complex_weight)
        return torch.fft.irfft2(x, s=(self.h, self.w), dim=(1, 2), norm="ortho").reshape(b, n, c)


class _GFBlock(nn.Module):
    def __init__(self, dim: int, h: int, w: int) -> None:
        super().__init__()
        self.norm1, self.filter, self.norm2 = nn.LayerNorm(dim), _GlobalFilter(dim, h, w), nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mlp(self.norm2(self.filter(self.norm1(x))))


class GFNet(nn.Module):
    """GFNet (Rao et al. 2021, "Global Filter Networks for Image Classification"), narrowed: a 2x2 patch embedding of
    16x16 images to 8x8 tokens of 64, learned positions, four blocks ``x + MLP(LN(GlobalFilter(LN(x))))`` whose
    global filter multiplies the tokens' 2-D FFT by a learned complex filter (init N(0, 0.02^2)), GELU MLPs of 4x, a
    final LayerNorm, average pooling and the head; Linears truncated-normal 0.02 with zero biases, as the reference
    code. ``init_std``: every Linear and convolution weight drawn N(0, init_std^2) instead."""

    def __init__(self, dim: int = 64, depth: int = 4, classes: int = 10, init_std: float | None = None) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 2, stride=2)
        self.pos = nn.Parameter(torch.zeros(1, 64, dim))
        self.blocks = nn.Sequential(*[_GFBlock(dim, 8, 8) for _ in range(depth)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)
        nn.init.trunc_normal_(self.pos, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        if init_std is not None:
            _normal_(self, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch(x).flatten(2).transpose(1, 2) + self.pos
        return self.head(self.norm(self.blocks(x)).mean(1))


def gfnet(seed: int, lr: float = 1e-3, weight_decay: float = 0.05, init_std: float | None = None) -> Setup:
    """GFNet on the class-template images (batch 32), cross-entropy, AdamW at the paper's lr 1e-3 (its 5e-4 per 512
    images, rounded up for the short run) and weight decay 0.05, its warm-up and cosine decay left out;
    ``init_std``: see :class:`GFNet`."""
    torch.manual_seed(850_000 + seed)
    model = GFNet(init_std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


# ---- ReXNet (classification) -----------------------------------------------------------------------------------------

class _SE(nn.Module):
    def __init__(self, c: int, ratio: int = 12) -> None:
        super().__init__()
        r = max(c // ratio, 4)
        self.fc = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, r, 1), nn.BatchNorm2d(r), nn.ReLU(),
                                nn.Conv2d(r, c, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.fc(x)


class _LinearBottleneck(nn.Module):
    def __init__(self, cin: int, cout: int, t: int, stride: int, se: bool, bn: bool) -> None:
        super().__init__()
        norm = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        hid = cin * t
        layers: list[nn.Module] = []
        if t != 1:
            layers += [nn.Conv2d(cin, hid, 1, bias=False), norm(hid), nn.SiLU()]
        layers += [nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False), norm(hid)]
        if se:
            layers.append(_SE(hid))
        layers += [nn.ReLU6(), nn.Conv2d(hid, cout, 1, bias=False), norm(cout)]
        self.body, self.cin, self.cout, self.skip = nn.Sequential(*layers), cin, cout, stride == 1 and cin <= cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        if self.skip:   # ReXNet's partial residual: the input added to the first cin channels
            out = torch.cat([out[:, :self.cin] + x, out[:, self.cin:]], 1)
        return out


class ReXNet(nn.Module):
    """ReXNet (Han et al. 2021, "Rethinking Channel Dimensions for Efficient Model Design"), narrowed for 16x16
    images: a 3x3 stem of 16 (BatchNorm, SiLU), six inverted-residual linear bottlenecks whose output channels grow
    linearly (16 to 56; expansion 1 in the first, 6 after; SiLU after the expansion, ReLU6 after the depthwise 3x3,
    SE with ratio 1/12 from the third block; the partial residual onto the first input channels), a 1x1 conv to 128
    (BatchNorm, SiLU), average pooling, dropout 0.2 and the classifier; PyTorch's default init. ``bn``: every
    BatchNorm (False: left out)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        norm = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        chans, strides = [16, 24, 32, 40, 48, 56], [1, 2, 1, 2, 1, 1]
        layers: list[nn.Module] = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), norm(16), nn.SiLU()]
        cin = 16
        for i, (c, s) in enumerate(zip(chans, strides, strict=True)):
            layers.append(_LinearBottleneck(cin, c, 1 if i == 0 else 6, s, se=i >= 2, bn=bn))
            cin = c
        layers += [nn.Conv2d(cin, 128, 1, bias=False), norm(128), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                   nn.Dropout(0.2), nn.Linear(128, classes)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def rexnet(seed: int, lr: float = 0.05, weight_decay: float = 1e-5, bn: bool = True) -> Setup:
    """ReXNet on the class-template images (batch 32), cross-entropy, SGD with Nesterov momentum 0.9 and the paper's
    weight decay 1e-5 at lr 0.05 (its 0.5 per 512 images by the linear scaling rule is 0.031; rounded up for the
    short run), its cosine decay left out; ``bn``: see :class:`ReXNet`."""
    torch.manual_seed(850_000 + seed)
    model = ReXNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


# ---- FCN-8s (segmentation) -------------------------------------------------------------------------------------------

def _bilinear_kernel(c: int, k: int) -> torch.Tensor:
    f = math.ceil(k / 2)
    centre = (2 * f - 1 - f % 2) / (2 * f)
    og = torch.arange(k).float()
    filt = 1 - (og / f - centre).abs()
    w = torch.zeros(c, c, k, k)
    w[range(c), range(c)] = filt[:, None] * filt[None]
    return w


class FCN8s(nn.Module):
    """FCN-8s (Long, Shelhamer and Darrell 2015), narrowed for 32x32 images: a VGG-style backbone of four stages of
    two 3x3 convolutions (16, 32, 48, 64) with ReLU and 2x2 max pooling, the "fc6, fc7" as 3x3 and 1x1 convolutions of
    128 with ReLU and dropout 0.5, and the FCN-8s fusion one level up for the small input: the score at stride 16
    upsampled x2 by a transposed convolution initialised bilinear and added to the score of pool3 (stride 8), that
    sum upsampled x2 and added to the score of pool2 (stride 4), upsampled x4 to the input; the scoring layers
    zero-initialised, as the paper, the rest PyTorch's default. ``relu_bias``: every backbone and fc convolution's
    bias set to that value (the ReLUs' shift)."""

    def __init__(self, classes: int = 4, relu_bias: float | None = None) -> None:
        super().__init__()
        chans, cin, stages = [16, 32, 48, 64], 3, []
        for c in chans:
            stages.append(nn.Sequential(nn.Conv2d(cin, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1),
                                        nn.ReLU(), nn.MaxPool2d(2)))
            cin = c
        self.stages = nn.ModuleList(stages)
        self.fc = nn.Sequential(nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.Dropout2d(0.5), nn.Conv2d(128, 128, 1),
                                nn.ReLU(), nn.Dropout2d(0.5))
        self.score_fr, self.score_p3, self.score_p2 = (nn.Conv2d(128, classes, 1), nn.Conv2d(48, classes, 1),
                                                       nn.Conv2d(32, classes, 1))
        self.up2a = nn.ConvTranspose2d(classes, classes, 4, 2, 1, bias=False)
        self.up2b = nn.ConvTranspose2d(classes, classes, 4, 2, 1, bias=False)
        self.up4 = nn.ConvTranspose2d(classes, classes, 8, 4, 2, bias=False)
        with torch.no_grad():
            for s in (self.score_fr, self.score_p3, self.score_p2):
                s.weight.zero_()
                s.bias.zero_()
            self.up2a.weight.copy_(_bilinear_kernel(classes, 4))
            self.up2b.weight.copy_(_bilinear_kernel(classes, 4))
            self.up4.weight.copy_(_bilinear_kernel(classes, 8))
            if relu_bias is not None:
                for m in list(self.stages.modules()) + list(self.fc.modules()):
                    if isinstance(m, nn.Conv2d):
                        m.bias.fill_(relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        s = self.up2a(self.score_fr(self.fc(x))) + self.score_p3(feats[2])
        s = self.up2b(s) + self.score_p2(feats[1])
        return self.up4(s)


def fcn8s(seed: int, lr: float = 0.02, shuffled: bool = False, relu_bias: float | None = None,
          micro: int | None = None, divide: bool = True) -> Setup:
    """FCN-8s on the mosaics (batch 8), the per-pixel cross-entropy, SGD with the paper's momentum 0.9 (its
    "FCN-32s" setting) and weight decay 5e-4 at lr 0.02 (set here for the per-pixel mean; the paper's 1e-4 was for a
    summed loss); ``shuffled``: see :func:`mosaics`; ``relu_bias``: see :class:`FCN8s`; ``micro``: the batch run as
    that many accumulated micro-batches in the user's loop (:class:`UserLoop`), ``divide`` its switch."""
    torch.manual_seed(850_000 + seed)
    model = FCN8s(relu_bias=relu_bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    data = mosaics(seed, shuffled=shuffled)
    if micro is not None:
        return _loop(model, opt, data, F.cross_entropy, micro=micro, divide=divide)
    return _xy(model, opt, data, F.cross_entropy)


# ---- X3D (video classification) --------------------------------------------------------------------------------------

class _X3DBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, bn: bool) -> None:
        super().__init__()
        norm = nn.BatchNorm3d if bn else (lambda c: nn.Identity())
        hid = int(2.25 * cout)
        self.a = nn.Sequential(nn.Conv3d(cin, hid, 1, bias=False), norm(hid), nn.ReLU())
        self.b = nn.Sequential(nn.Conv3d(hid, hid, 3, (1, stride, stride), 1, groups=hid, bias=False), norm(hid))
        self.se = nn.Sequential(nn.AdaptiveAvgPool3d(1), nn.Conv3d(hid, max(hid // 16, 4), 1), nn.ReLU(),
                                nn.Conv3d(max(hid // 16, 4), hid, 1), nn.Sigmoid())
        self.c = nn.Sequential(nn.Conv3d(hid, cout, 1, bias=False), norm(cout))
        if bn:
            nn.init.zeros_(self.c[1].weight)   # the block's final BatchNorm zero-initialised, as X3D
        self.short = (nn.Identity() if cin == cout and stride == 1 else
                      nn.Sequential(nn.Conv3d(cin, cout, 1, (1, stride, stride), bias=False), norm(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.b(self.a(x))
        h = F.silu(h * self.se(h))
        return F.relu(self.short(x) + self.c(h))


class X3D(nn.Module):
    """X3D (Feichtenhofer 2020, "X3D: Expanding Architectures for Efficient Video Recognition"), narrowed from X3D-XS:
    the stem (a 1x3x3 convolution of 12 at spatial stride 2 and a depthwise 5x1x1 temporal one, BatchNorm, ReLU),
    three stages of 1, 2 and 2 bottleneck blocks (widths 12, 24, 48, spatial stride 2 from the second; each a 1x1x1
    expansion of 2.25x, BatchNorm, ReLU, a depthwise 3x3x3, BatchNorm, SE of 1/16, swish, a 1x1x1 projection whose
    BatchNorm is zero-initialised), a 1x1x1 conv to 108 (BatchNorm, ReLU), global pooling, a Linear of 256 without
    BatchNorm, ReLU, dropout 0.5 and the classifier; Kaiming-normal convolutions (fan-out), as the reference code.
    ``bn``: every BatchNorm (False: left out, with the zero init of the blocks' last one); ``standardise``: each clip
    standardised by its own mean and std first, ``(x - mean) / std`` (``eps``: added to the std)."""

    def __init__(self, classes: int = 4, bn: bool = True, standardise: bool = False, eps: float = 1e-5) -> None:
        super().__init__()
        norm = nn.BatchNorm3d if bn else (lambda c: nn.Identity())
        self.standardise, self.eps = standardise, eps
        self.stem = nn.Sequential(nn.Conv3d(3, 12, (1, 3, 3), (1, 2, 2), (0, 1, 1), bias=False),
                                  nn.Conv3d(12, 12, (5, 1, 1), 1, (2, 0, 0), groups=12, bias=False), norm(12),
                                  nn.ReLU())
        blocks, cin = [], 12
        for cout, n, s in ((12, 1, 1), (24, 2, 2), (48, 2, 2)):
            for j in range(n):
                blocks.append(_X3DBlock(cin, cout, s if j == 0 else 1, bn))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Conv3d(48, 108, 1, bias=False), norm(108), nn.ReLU(), nn.AdaptiveAvgPool3d(1),
                                  nn.Flatten(), nn.Linear(108, 256), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(256, classes))
        for m in self.modules():
            if isinstance(m, nn.Conv3d) and m.bias is None:
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.standardise:
            mean = x.mean((1, 2, 3, 4), keepdim=True)
            std = x.std((1, 2, 3, 4), keepdim=True)
            x = (x - mean) / (std + self.eps)
        return self.head(self.blocks(self.stem(x)))


def x3d(seed: int, lr: float = 0.05, bn: bool = True, weight_decay: float = 5e-5, standardise: bool = False,
        eps: float = 1e-5, blank_every: int | None = None) -> Setup:
    """X3D on the moving-blob clips (batch 8), cross-entropy, SGD momentum 0.9 with the paper's weight decay 5e-5 at
    lr 0.05 (its 1.6 per 1,024 clips scaled to the batch is 0.0125; raised for the short run), its warm-up and
    cosine decay left out; ``bn``, ``standardise``, ``eps``: see :class:`X3D`; ``blank_every``: see :func:`clips`."""
    torch.manual_seed(850_000 + seed)
    model = X3D(bn=bn, standardise=standardise, eps=eps)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, clips(seed, blank_every=blank_every), F.cross_entropy)


# ---- PredRNN (video prediction) --------------------------------------------------------------------------------------

class _STLSTMCell(nn.Module):
    """The spatiotemporal LSTM cell of PredRNN: the temporal memory ``C`` (gates ``g, i, f``) and the spatiotemporal
    memory ``M`` (gates ``g', i', f'``), the output gate reading both, ``H = o * tanh(W_1x1 [C, M])``; the reference
    code's forget bias 1.0 added to ``f`` and ``f'``."""

    def __init__(self, cin: int, hid: int, output_bias: float | None = None, recurrent_std: float | None = None
                 ) -> None:
        super().__init__()
        self.hid = hid
        self.conv_x = nn.Conv2d(cin, 7 * hid, 3, padding=1)
        self.conv_h = nn.Conv2d(hid, 4 * hid, 3, padding=1, bias=False)
        self.conv_m = nn.Conv2d(hid, 3 * hid, 3, padding=1, bias=False)
        self.conv_o = nn.Conv2d(2 * hid, hid, 3, padding=1, bias=False)
        self.conv_last = nn.Conv2d(2 * hid, hid, 1)
        if recurrent_std is not None:   # the recurrent convolutions (from H and from M)
            nn.init.normal_(self.conv_h.weight, 0.0, recurrent_std)
            nn.init.normal_(self.conv_m.weight, 0.0, recurrent_std)
        if output_bias is not None:   # the output gate's bias
            with torch.no_grad():
                self.conv_x.bias[3 * hid:4 * hid].fill_(output_bias)

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, m: torch.Tensor) -> tuple[torch.Tensor, ...]:
        xg, xi, xf, xo, xg2, xi2, xf2 = self.conv_x(x).chunk(7, 1)
        hg, hi, hf, ho = self.conv_h(h).chunk(4, 1)
        mg, mi, mf = self.conv_m(m).chunk(3, 1)
        c = torch.sigmoid(xf + hf + 1.0) * c + torch.sigmoid(xi + hi) * torch.tanh(xg + hg)
        m = torch.sigmoid(xf2 + mf + 1.0) * m + torch.sigmoid(xi2 + mi) * torch.tanh(xg2 + mg)
        cm = torch.cat([c, m], 1)
        o = torch.sigmoid(xo + ho + self.conv_o(cm))
        return o * torch.tanh(self.conv_last(cm)), c, m


class PredRNN(nn.Module):
    """PredRNN (Wang et al. 2017, "PredRNN: Recurrent Neural Networks for Predictive Learning using Spatiotemporal
    LSTMs"), narrowed: two stacked ST-LSTM layers of 8 channels with 3x3 kernels (the paper's four of 128 at 5x5),
    the spatiotemporal memory ``M`` zigzagging up the layers and from the top layer to the bottom at the next step,
    a 1x1 convolution from the top hidden state to the next frame; teacher forcing on every input frame (the
    reference code's scheduled sampling left out); PyTorch's default init. ``output_bias``: every cell's output gate
    bias set to that value; ``recurrent_std``: the recurrent convolutions (from ``H`` and from ``M``) drawn
    N(0, recurrent_std^2) (see :class:`_STLSTMCell`)."""

    def __init__(self, hid: int = 8, layers: int = 2, output_bias: float | None = None,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        self.hid = hid
        self.cells = nn.ModuleList([_STLSTMCell(1 if i == 0 else hid, hid, output_bias, recurrent_std)
                                    for i in range(layers)])
        self.out = nn.Conv2d(hid, 1, 1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        b, t, _, hh, ww = frames.shape
        z = frames.new_zeros(b, self.hid, hh, ww)
        hs, cs, m = [z] * len(self.cells), [z] * len(self.cells), z
        preds = []
        for step in range(t):
            x = frames[:, step]
            for i, cell in enumerate(self.cells):
                hs[i], cs[i], m = cell(x, hs[i], cs[i], m)
                x = hs[i]
            preds.append(self.out(x))
        return torch.stack(preds, 1)


def predrnn(seed: int, lr: float = 1e-3, output_bias: float | None = None, recurrent_std: float | None = None
            ) -> Setup:
    """PredRNN on the moving-blob sequences (batch 8, seven frames in, the next seven out), the mean squared error,
    Adam at the reference code's lr 1e-3; ``output_bias``, ``recurrent_std``: see :class:`PredRNN`."""
    torch.manual_seed(850_000 + seed)
    model = PredRNN(output_bias=output_bias, recurrent_std=recurrent_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), moving_blobs(seed), F.mse_loss)


# ---- NAFNet (denoising) ----------------------------------------------------------------------------------------------

class _LayerNorm2d(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        return (x - mu) / (var + 1e-6).sqrt() * self.weight[:, None, None] + self.bias[:, None, None]


class _NAFBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = _LayerNorm2d(c), _LayerNorm2d(c)
        self.conv1, self.conv2 = nn.Conv2d(c, 2 * c, 1), nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=2 * c)
        self.sca = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c, 1))
        self.conv3, self.conv4, self.conv5 = nn.Conv2d(c, c, 1), nn.Conv2d(c, 2 * c, 1), nn.Conv2d(c, c, 1)
        self.beta, self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1)), nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        x = self.conv2(self.conv1(self.norm1(inp)))
        a, b = x.chunk(2, 1)
        x = a * b                                  # SimpleGate
        x = self.conv3(x * self.sca(x))            # simplified channel attention
        y = inp + x * self.beta
        a, b = self.conv4(self.norm2(y)).chunk(2, 1)
        return y + self.conv5(a * b) * self.gamma


class NAFNet(nn.Module):
    """NAFNet (Chen et al. 2022, "Simple Baselines for Image Restoration"), narrowed: a 3x3 intro conv to 16, a
    U-shape of one level (a NAFBlock at 16, a 2x2 stride-2 conv down to 32, two middle NAFBlocks at 32, a 1x1 conv
    and PixelShuffle(2) up to 16, the skip added, a NAFBlock), a 3x3 ending conv to 3 and the global residual. Each
    NAFBlock: LayerNorm, 1x1 conv to 2c, depthwise 3x3, SimpleGate, simplified channel attention, 1x1 conv, the
    branch scaled by a zero-initialised ``beta``; LayerNorm, 1x1 to 2c, SimpleGate, 1x1, scaled by a zero-initialised
    ``gamma``; PyTorch's default init. ``init_std``: every convolution weight drawn N(0, init_std^2)."""

    def __init__(self, width: int = 16, init_std: float | None = None) -> None:
        super().__init__()
        self.intro, self.ending = nn.Conv2d(3, width, 3, padding=1), nn.Conv2d(width, 3, 3, padding=1)
        self.enc, self.down = _NAFBlock(width), nn.Conv2d(width, 2 * width, 2, 2)
        self.middle = nn.Sequential(_NAFBlock(2 * width), _NAFBlock(2 * width))
        self.up = nn.Sequential(nn.Conv2d(2 * width, 4 * width, 1, bias=False), nn.PixelShuffle(2))
        self.dec = _NAFBlock(width)
        if init_std is not None:
            _normal_(self, init_std)

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        x = self.enc(self.intro(inp))
        x = self.dec(self.up(self.middle(self.down(x))) + x)
        return self.ending(x) + inp


def nafnet(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, init_std: float | None = None) -> Setup:
    """NAFNet on the noisy fields (batch 8), the mean squared error (in place of the paper's PSNR loss, a log of it),
    AdamW with the paper's betas (0.9, 0.9) and weight decay 0 at its lr 1e-3, its cosine decay left out;
    ``init_std``: see :class:`NAFNet`."""
    torch.manual_seed(850_000 + seed)
    model = NAFNet(init_std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.9), weight_decay=weight_decay)
    return _xy(model, opt, noisy_fields(seed), F.mse_loss)


# ---- DRRN (super-resolution) -----------------------------------------------------------------------------------------

class DRRN(nn.Module):
    """DRRN (Tai, Yang and Liu 2017, "Image Super-Resolution via Deep Recursive Residual Network"), narrowed from
    DRRN_B1U9: one recursive block of ``units`` residual units (4 here) of 16 channels whose two pre-activation
    ReLU-conv 3x3 layers are shared by every unit, each unit's output ``h0 + F(h_(u-1))`` with ``h0`` the block's
    entry convolution (the multi-path local residual), a final ReLU-conv to one channel and the global residual to
    the interpolated input; MSRA (He-normal) init, as the paper. ``local_residual=False``: each unit's output is
    ``F(h_(u-1))``, the ``h0`` left out (a plain stack of ``2 units`` convolutions); ``default_init``: PyTorch's
    default init instead of MSRA."""

    def __init__(self, width: int = 16, units: int = 4, local_residual: bool = True, default_init: bool = False
                 ) -> None:
        super().__init__()
        self.units, self.local_residual = units, local_residual
        self.entry, self.exit = nn.Conv2d(1, width, 3, padding=1), nn.Conv2d(width, 1, 3, padding=1)
        self.conv1, self.conv2 = nn.Conv2d(width, width, 3, padding=1), nn.Conv2d(width, width, 3, padding=1)
        if not default_init:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h0 = self.entry(x)
        h = h0
        for _ in range(self.units):
            f = self.conv2(F.relu(self.conv1(F.relu(h))))
            h = h0 + f if self.local_residual else f
        return self.exit(F.relu(h)) + x


def _half_mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return 0.5 * F.mse_loss(out, target)


def drrn(seed: int, lr: float = 0.1, units: int = 4, local_residual: bool = True, default_init: bool = False
         ) -> Setup:
    """DRRN on the x2 block images (batch 8), the paper's loss ``1/2 ||y - f(x)||^2`` (per pixel here), SGD with the
    paper's lr 0.1, momentum 0.9 and weight decay 1e-4, and its adjustable gradient clipping as the reference
    PyTorch port writes it (``clip_grad_norm_`` at ``0.01 / lr``); ``units``, ``local_residual``, ``default_init``:
    see :class:`DRRN`."""
    torch.manual_seed(850_000 + seed)
    model = DRRN(units=units, local_residual=local_residual, default_init=default_init)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, sr_pairs(seed), _half_mse, clip=0.01 / lr)


# ---- FoveaBox (detection) --------------------------------------------------------------------------------------------

class FoveaBox(nn.Module):
    """FoveaBox (Kong et al. 2020, "FoveaBox: Beyond Anchor-based Object Detection"), narrowed to one pyramid level:
    a backbone of three 3x3 conv-BatchNorm-ReLU layers (16, 32 at stride 2, 64 at stride 2; the level's stride 4,
    an 8x8 map for 32x32 images), a classification branch and a box branch of two 3x3 convolutions of 64 with
    GroupNorm(8) and ReLU each, the class scores (the focal-loss prior bias ``-log(99)``) and the four box offsets;
    the heads N(0, 0.01^2) as the reference code. Returns ``(class logits (b, 3, 8, 8), offsets (b, 4, 8, 8))``."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()

        def cbr(cin: int, cout: int, s: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, s, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        def branch() -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.GroupNorm(8, 64), nn.ReLU(),
                                 nn.Conv2d(64, 64, 3, padding=1), nn.GroupNorm(8, 64), nn.ReLU())

        self.backbone = nn.Sequential(*cbr(3, 16, 1), *cbr(16, 32, 2), *cbr(32, 64, 2))
        self.cls_branch, self.box_branch = branch(), branch()
        self.cls, self.box = nn.Conv2d(64, classes, 3, padding=1), nn.Conv2d(64, 4, 3, padding=1)
        for m in list(self.cls_branch) + list(self.box_branch) + [self.cls, self.box]:
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)
        nn.init.constant_(self.cls.bias, -math.log(99))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.backbone(x)
        return self.cls(self.cls_branch(f)), self.box(self.box_branch(f))


def fovea_loss(every_cell: bool = False, stride: int = 4, z: float = 16.0, sigma1: float = 0.3,
               sigma2: float = 0.4) -> Callable[[Any, Any], torch.Tensor]:
    """FoveaBox's loss on one level: cells whose centres lie in the fovea (the box shrunk by ``sigma1`` about its
    centre, plus the cell holding the centre) are positive for the object's class, cells outside the box shrunk by
    ``sigma2`` negative, those between ignored; the sigmoid focal loss (alpha 0.25, gamma 2) summed over the
    positive and negative cells and divided by the number of positives, plus the smooth-L1 (beta 0.11) loss of the
    offsets against ``log((x - x1) / z), log((y - y1) / z), log((x2 - x) / z), log((y2 - y) / z)`` (``z = 16``, the
    level's scale), averaged over the positive cells. The box targets are computed for every cell at once from the
    cell's assigned box (the zero box where none). ``every_cell``: the box loss averaged over every cell of the map,
    the positive selection left out."""

    def loss(out: Any, target: Any) -> torch.Tensor:
        logits, offsets = out
        box, cls = target
        b, c, h, _ = logits.shape
        centres = (torch.arange(h).float() + 0.5) * stride
        cy, cx = torch.meshgrid(centres, centres, indexing="ij")
        ctr, half = (box[:, :2] + box[:, 2:]) / 2, (box[:, 2:] - box[:, :2]) / 2

        def inside(scale: float) -> torch.Tensor:
            return (((cx - ctr[:, 0, None, None]).abs() <= scale * half[:, 0, None, None])
                    & ((cy - ctr[:, 1, None, None]).abs() <= scale * half[:, 1, None, None]))

        pos = inside(sigma1)
        idx = (ctr / stride).floor().long().clamp(0, h - 1)
        pos[torch.arange(b), idx[:, 1], idx[:, 0]] = True
        neg = ~inside(sigma2)
        onehot = F.one_hot(cls, c).float()[:, :, None, None] * pos[:, None].float()
        p = torch.sigmoid(logits)
        ce = F.binary_cross_entropy_with_logits(logits, onehot, reduction="none")
        pt = p * onehot + (1 - p) * (1 - onehot)
        at = 0.25 * onehot + 0.75 * (1 - onehot)
        focal = at * (1 - pt) ** 2 * ce
        valid = (pos | neg)[:, None].float()
        num_pos = pos.sum().clamp(min=1)
        cls_loss = (focal * valid).sum() / num_pos
        assigned = torch.where(pos[..., None], box[:, None, None], torch.zeros(()))    # (b, h, w, 4)
        t = torch.stack([cx - assigned[..., 0], cy - assigned[..., 1], assigned[..., 2] - cx,
                         assigned[..., 3] - cy], -1)
        t = torch.log(t / z)
        pred = offsets.permute(0, 2, 3, 1)
        if every_cell:
            box_loss = F.smooth_l1_loss(pred, t, beta=0.11)
        else:
            box_loss = F.smooth_l1_loss(pred[pos], t[pos], beta=0.11)
        return cls_loss + box_loss
    return loss


def foveabox(seed: int, lr: float = 0.01, every_cell: bool = False, micro: int | None = None,
             running_total: bool = False) -> Setup:
    """FoveaBox on the box scenes (batch 16), :func:`fovea_loss`, SGD momentum 0.9 weight decay 1e-4 at the
    reference config's lr 0.01 (for 16 images), its warm-up left out; ``every_cell``: see :func:`fovea_loss`;
    ``micro``, ``running_total``: the batch run as that many accumulated micro-batches in the user's loop (see
    :class:`UserLoop`)."""
    torch.manual_seed(850_000 + seed)
    model = FoveaBox()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    data, loss = boxes_scenes(seed), fovea_loss(every_cell=every_cell)
    if micro is not None:
        return _loop(model, opt, data, loss, micro=micro, running_total=running_total)
    return _xy(model, opt, data, loss)
