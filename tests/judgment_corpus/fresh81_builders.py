"""Builders of the eighty-second held-out batch (``fresh81.py``): efficient image classifiers, a detector with a
weighted feature pyramid, segmentation heads and a recurrent optical-flow model, new to the corpus at their usual
settings, broken variants with one real fault each, and the small data sets they train on. Written and labelled with
plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(810_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- preprocessing and augmentation (on tensors) ---------------------------------------------------------------------

def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, k: int = 5) -> torch.Tensor:
    """Per-image Gaussian blur of ``(b, c, h, w)`` images with ``sigma (b,)``, a hand-written ``k x k`` kernel
    ``exp(-d^2 / (2 sigma^2))`` normalised to sum 1, reflect padding (torchvision's ``GaussianBlur`` on tensors)."""
    b, c, h, w = x.shape
    d = torch.arange(k, dtype=x.dtype) - (k - 1) / 2
    g1 = torch.exp(-(d[None] ** 2) / (2 * sigma[:, None] ** 2))
    g1 = g1 / g1.sum(1, keepdim=True)
    kern = g1[:, :, None] * g1[:, None, :]                                  # (b, k, k)
    kern = kern[:, None].repeat(1, c, 1, 1).reshape(b * c, 1, k, k)
    xp = F.pad(x.reshape(1, b * c, h, w), (k // 2,) * 4, mode="reflect")
    return F.conv2d(xp, kern, groups=b * c).reshape(b, c, h, w)


def rgb_to_hsv(x: torch.Tensor, guard: bool = True) -> torch.Tensor:
    """``(b, 3, h, w)`` RGB in [0, 1] to HSV; ``guard``: torchvision's guards for achromatic pixels (``max == min``,
    and black ``max == 0``), without which hue and saturation are ``0 / 0`` there."""
    r, g, b = x.unbind(1)
    maxc, _ = x.max(1)
    minc, _ = x.min(1)
    delta = maxc - minc
    v = maxc
    if guard:
        eqc = maxc == minc
        s = delta / torch.where(eqc, torch.ones_like(maxc), maxc)
        dd = torch.where(eqc, torch.ones_like(delta), delta)
    else:
        s = delta / maxc
        dd = delta
    rc, gc, bc = (maxc - r) / dd, (maxc - g) / dd, (maxc - b) / dd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack((h, s, v), 1)


def hsv_to_rgb(x: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`rgb_to_hsv` (torchvision's ``_hsv2rgb``)."""
    h, s, v = x.unbind(1)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int64) % 6
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    mask = i[:, None] == torch.arange(6)[None, :, None, None]
    a1 = torch.stack((v, q, p, p, t, v), 1)
    a2 = torch.stack((t, v, v, q, p, p), 1)
    a3 = torch.stack((p, p, t, v, v, q), 1)
    a4 = torch.stack((a1, a2, a3), 1)                                       # (b, 3, 6, h, w)
    return (a4 * mask[:, None]).sum(2)


def hue_jitter(x: torch.Tensor, shift: torch.Tensor, guard: bool = True) -> torch.Tensor:
    """ColorJitter's hue on tensors: ``h <- (h + shift) mod 1`` per image (``shift (b,)``)."""
    hsv = rgb_to_hsv(x, guard=guard)
    h = torch.remainder(hsv[:, 0] + shift[:, None, None], 1.0)
    return hsv_to_rgb(torch.stack((h, hsv[:, 1], hsv[:, 2]), 1))


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16, classes: int = 10, shuffled: bool = False,
           blur: str | None = None) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``; ``shuffled``: the labels permuted within every batch, apart from their images; ``blur``:
    the Gaussian-blur augmentation of the pipeline, ``"uniform"`` (torchvision's ``sigma=(0.1, 2.0)``: sigma drawn
    U(0.1, 2)) or ``"opencv"`` (sigma drawn from the integers 0, 1, 2, OpenCV's ``GaussianBlur`` convention in which
    0 means "derive it from the kernel size", handed to the tensor blur, for which sigma 0 is ``0 / 0`` at the
    kernel's centre)."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size),
                              mode="bilinear", align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        if blur == "uniform":
            x = gaussian_blur(x, 0.1 + 1.9 * torch.rand(batch, generator=g))
        elif blur == "opencv":
            x = gaussian_blur(x, torch.randint(0, 3, (batch,), generator=g).float())
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


#: the scenes' class colours: black background, red, green and blue objects
COLOURS = torch.tensor([[0.0, 0.0, 0.0], [0.8, 0.25, 0.2], [0.2, 0.75, 0.3], [0.25, 0.3, 0.8]])


def scenes(seed: int, batch: int = 16, size: int = 16, shuffled: bool = False, hue: str | None = None
           ) -> Callable[[int], Any]:
    """Segmentation scenes: the label map is the argmax of four smooth random fields (4x4 noise upsampled to
    16x16, the background's lowered by 0.3), each pixel its class's colour (black for the background, exactly 0),
    objects plus N(0, 0.15^2) noise clamped to [0, 1]: ``(images (b, 3, 16, 16), labels (b, 16, 16))``;
    ``shuffled``: the label maps permuted within every batch, apart from their images; ``hue``: ColorJitter's hue
    augmentation (shift U(-0.05, 0.05)) on the images, ``"guarded"`` (torchvision's RGB-HSV conversion) or
    ``"unguarded"`` (a hand-written one without the guards for achromatic pixels)."""
    def make(g: torch.Generator, _: int) -> Any:
        fields = F.interpolate(torch.randn(batch, 4, 4, 4, generator=g), size=(size, size), mode="bicubic",
                               align_corners=False)
        fields[:, 0] -= 0.3
        y = fields.argmax(1)
        x = COLOURS[y].permute(0, 3, 1, 2).clone()
        obj = (y > 0)[:, None].float()
        x = (x + obj * 0.15 * torch.randn(x.shape, generator=g)).clamp(0.0, 1.0) * obj
        if hue is not None:
            x = hue_jitter(x, 0.1 * torch.rand(batch, generator=g) - 0.05, guard=hue == "guarded")
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def boxes(seed: int, batch: int = 16, size: int = 16, classes: int = 3) -> Callable[[int], Any]:
    """Detection images: one axis-aligned rectangle an image (sides 3 to 7 pixels, its class's fixed colour, 3
    classes) on N(0, 0.3^2) noise: ``(images, (labels (b,), boxes (b, 4) as (y1, x1, y2, x2) in pixels))``."""
    colours = torch.randn(classes, 3, generator=_fixed(2))
    colours = 1.5 * colours / colours.norm(dim=1, keepdim=True)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        hw = torch.randint(3, 8, (batch, 2), generator=g)
        y1 = (torch.rand(batch, generator=g) * (size - hw[:, 0] + 1)).floor().long()
        x1 = (torch.rand(batch, generator=g) * (size - hw[:, 1] + 1)).floor().long()
        x = 0.3 * torch.randn(batch, 3, size, size, generator=g)
        for i in range(batch):
            x[i, :, y1[i]:y1[i] + hw[i, 0], x1[i]:x1[i] + hw[i, 1]] += colours[y[i]][:, None, None]
        b = torch.stack((y1, x1, y1 + hw[:, 0], x1 + hw[:, 1]), 1).float()
        return x, (y, b)
    return _pool(seed, make)


def flow_pairs(seed: int, batch: int = 8, size: int = 16, flips: str | None = None) -> Callable[[int], Any]:
    """Optical-flow pairs: a random texture (smooth 6x6 noise upsampled to 20x20 plus fine noise 0.3); frame 1 its
    16x16 centre crop, frame 2 the crop moved so that every pixel moves by the pair's flow ``(u, v)``, integers in
    [-2, 2]: ``((frame1, frame2) as (b, 6, 16, 16), flow (b, 2, 16, 16))``. ``flips``: FlyingChairs' flip
    augmentation (each pair flipped left-right and, independently, up-down with probability 0.5), ``"right"``
    (RAFT's ``FlowAugmentor``: the frames and the flow field flipped, and the flow's u, resp. v, negated) or
    ``"unsigned"`` (the flow field flipped as an image, its vectors' signs left as they were)."""
    def make(g: torch.Generator, _: int) -> Any:
        tex = F.interpolate(torch.randn(batch, 3, 6, 6, generator=g), size=(size + 4, size + 4), mode="bicubic",
                            align_corners=False) + 0.3 * torch.randn(batch, 3, size + 4, size + 4, generator=g)
        uv = torch.randint(-2, 3, (batch, 2), generator=g)
        f1 = tex[:, :, 2:2 + size, 2:2 + size]
        f2 = torch.stack([tex[i, :, 2 - int(uv[i, 1]):2 - int(uv[i, 1]) + size,
                              2 - int(uv[i, 0]):2 - int(uv[i, 0]) + size] for i in range(batch)])
        flow = uv.float()[:, :, None, None].expand(batch, 2, size, size).clone()
        frames = torch.cat((f1, f2), 1)
        if flips is not None:
            lr = torch.rand(batch, generator=g) < 0.5
            ud = torch.rand(batch, generator=g) < 0.5
            frames = torch.where(lr[:, None, None, None], frames.flip(-1), frames)
            flow = torch.where(lr[:, None, None, None], flow.flip(-1), flow)
            frames = torch.where(ud[:, None, None, None], frames.flip(-2), frames)
            flow = torch.where(ud[:, None, None, None], flow.flip(-2), flow)
            if flips == "right":
                flow[:, 0] = torch.where(lr[:, None, None], -flow[:, 0], flow[:, 0])
                flow[:, 1] = torch.where(ud[:, None, None], -flow[:, 1], flow[:, 1])
        return frames, flow
    return _pool(seed, make)


# ---- shared layers ---------------------------------------------------------------------------------------------------

def _cbr(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, act: type[nn.Module] | None = nn.ReLU,
         bn: bool = True, dilation: int = 1) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, dilation * (k // 2), dilation=dilation,
                                         groups=groups, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


def _shift_bn_before(model: nn.Module, act: type[nn.Module], value: float) -> None:
    """Every BatchNorm directly followed by an ``act`` gets its bias (shift) set to ``value``."""
    for m in model.modules():
        if isinstance(m, nn.Sequential):
            mods = list(m)
            for a, b in itertools.pairwise(mods):
                if isinstance(a, nn.BatchNorm2d) and isinstance(b, act):
                    nn.init.constant_(a.bias, value)


# ---- MobileNeXt (Zhou et al. 2020) -----------------------------------------------------------------------------------

class Sandglass(nn.Module):
    """MobileNeXt's sandglass block: depthwise 3x3 (BN, ReLU6), 1x1 reduction by ``t`` (BN, linear), 1x1 expansion
    (BN, ReLU6), depthwise 3x3 with the stride (BN, linear); the identity shortcut between the wide ends."""

    def __init__(self, cin: int, cout: int, stride: int, t: int, bn: bool = True) -> None:
        super().__init__()
        mid = cin // t
        self.body = nn.Sequential(_cbr(cin, cin, 3, 1, cin, nn.ReLU6, bn), _cbr(cin, mid, 1, act=None, bn=bn),
                                  _cbr(mid, cout, 1, act=nn.ReLU6, bn=bn), _cbr(cout, cout, 3, stride, cout, None, bn))
        self.res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.res else self.body(x)


class MobileNeXt(nn.Module):
    """MobileNeXt narrowed: a 3x3 stem of 16 (BN, ReLU6), sandglass blocks 16-16 (t 2), 16-32 (stride 2, t 2),
    32-32 (t 4), 32-64 (stride 2, t 4), 64-64 (t 4), global pooling, dropout 0.2, a Linear head; torchvision's
    MobileNet init (Kaiming-normal fan-out convolutions, Linear N(0, 0.01)); ``bn``: with or without its BatchNorms
    (without them each convolution has a bias)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        cfg = [(16, 16, 1, 2), (16, 32, 2, 2), (32, 32, 1, 4), (32, 64, 2, 4), (64, 64, 1, 4)]
        self.stem = _cbr(3, 16, 3, 1, act=nn.ReLU6, bn=bn)
        self.blocks = nn.Sequential(*[Sandglass(a, b, s, t, bn) for a, b, s, t in cfg])
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)).mean((2, 3)))


# ---- EdgeNeXt (Maaz et al. 2022) -------------------------------------------------------------------------------------

class LayerNorm2d(nn.LayerNorm):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvEncoder(nn.Module):
    """EdgeNeXt's conv encoder: depthwise kxk, LayerNorm, pointwise 4x with GELU, pointwise back, layer scale 1e-6,
    residual."""

    def __init__(self, dim: int, k: int = 3) -> None:
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, k, padding=k // 2, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.mlp(self.norm(self.dw(x).permute(0, 2, 3, 1)))
        return x + (self.gamma * y).permute(0, 3, 1, 2)


class SDTA(nn.Module):
    """EdgeNeXt's split depth-wise transposed attention encoder: the channels split into ``scales`` groups, each
    after the first a depthwise 3x3 of its group plus the previous group's output (Res2Net-style); then transposed
    (cross-covariance) attention over channels, ``softmax(temperature * q_hat k_hat^T)`` with ``q``, ``k``
    L2-normalised over the tokens, with layer scale; then a LayerNorm, GELU MLP of 4x with layer scale; residuals."""

    def __init__(self, dim: int, heads: int = 2, scales: int = 2) -> None:
        super().__init__()
        w = dim // scales
        self.w, self.heads = w, heads
        self.convs = nn.ModuleList([nn.Conv2d(w, w, 3, padding=1, groups=w) for _ in range(scales - 1)])
        self.norm_xca = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.proj = nn.Linear(dim, dim)
        self.gamma_xca = nn.Parameter(1e-6 * torch.ones(dim))
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        spx = torch.split(x, self.w, 1)
        outs, sp = [spx[0]], spx[0]
        for i, conv in enumerate(self.convs):
            sp = conv(sp + spx[i + 1]) if i > 0 else conv(spx[i + 1])
            outs.append(sp)
        y = torch.cat(outs, 1).flatten(2).transpose(1, 2)                  # (b, n, c)
        t = self.norm_xca(y)
        q, k, v = self.qkv(t).reshape(b, h * w, 3, self.heads, c // self.heads).permute(2, 0, 3, 4, 1)
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        attn = (q @ k.transpose(-2, -1) * self.temperature).softmax(-1)
        t = (attn @ v).permute(0, 3, 1, 2).reshape(b, h * w, c)
        y = y + self.gamma_xca * self.proj(t)
        y = y + self.gamma * self.mlp(self.norm(y))
        return y.transpose(1, 2).reshape(b, c, h, w)


class EdgeNeXt(nn.Module):
    """EdgeNeXt narrowed: a 2x2 stride-2 stem to 8x8 of 24 with LayerNorm, a conv encoder (3x3), a LayerNorm and
    2x2 stride-2 down-sampling to 4x4 of 48, a conv encoder (5x5) and an SDTA encoder (2 heads, 2 scales), global
    pooling, LayerNorm, the head; truncated-normal 0.02 Linears and convolutions (the reference code's)."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 2, 2), LayerNorm2d(24))
        self.stage1 = ConvEncoder(24, 3)
        self.down = nn.Sequential(LayerNorm2d(24), nn.Conv2d(24, 48, 2, 2))
        self.stage2 = nn.Sequential(ConvEncoder(48, 5), SDTA(48))
        self.norm = nn.LayerNorm(48)
        self.head = nn.Linear(48, classes)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.head(self.norm(x.mean((2, 3))))


# ---- EfficientViT (Cai, Li, Gan and Han 2023) ------------------------------------------------------------------------

class MBConv(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1, expand: int = 4) -> None:
        super().__init__()
        mid = cin * expand
        self.body = nn.Sequential(_cbr(cin, mid, 1, act=nn.Hardswish), _cbr(mid, mid, 3, stride, mid, nn.Hardswish),
                                  _cbr(mid, cout, 1, act=None))
        self.res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.res else self.body(x)


class LiteMLA(nn.Module):
    """EfficientViT's lightweight multi-scale attention: 1x1 q, k, v, a multi-scale branch (5x5 depthwise and
    grouped 1x1 on q, k, v), ReLU linear attention per head and scale ``relu(q) (relu(k)^T v) / (relu(q)
    relu(k)^T 1 + eps)``, the scales concatenated, a 1x1 projection with BatchNorm; ``eps``: the normaliser's
    (the reference code's 1e-15; None: written without it)."""

    def __init__(self, dim: int, head_dim: int = 8, eps: float | None = 1e-15) -> None:
        super().__init__()
        self.hd, self.eps = head_dim, eps
        self.qkv = nn.Conv2d(dim, 3 * dim, 1, bias=False)
        self.aggreg = nn.Sequential(nn.Conv2d(3 * dim, 3 * dim, 5, padding=2, groups=3 * dim, bias=False),
                                    nn.Conv2d(3 * dim, 3 * dim, 1, groups=3 * dim // head_dim, bias=False))
        self.proj = _cbr(2 * dim, dim, 1, act=None)

    def _attend(self, qkv: torch.Tensor) -> torch.Tensor:
        b, _, h, w = qkv.shape
        qkv = qkv.reshape(b, -1, 3 * self.hd, h * w).transpose(-1, -2)     # (b, heads, n, 3 hd)
        q, k, v = F.relu(qkv[..., :self.hd]), F.relu(qkv[..., self.hd:2 * self.hd]), qkv[..., 2 * self.hd:]
        v = F.pad(v, (0, 1), value=1.0)
        kv = k.transpose(-1, -2) @ v
        out = q @ kv
        den = out[..., -1:] if self.eps is None else out[..., -1:] + self.eps
        out = out[..., :-1] / den
        return out.transpose(-1, -2).reshape(b, -1, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        qkv = self.qkv(x)
        ms = torch.cat((self._attend(qkv), self._attend(self.aggreg(qkv))), 1)
        return self.proj(ms)


class EfficientViT(nn.Module):
    """EfficientViT-B narrowed: a 3x3 stride-2 stem of 16 (BN, Hardswish) and a depthwise-separable block, an MBConv
    (expand 4) stride 2 to 4x4 of 32, one EfficientViT module (the lightweight multi-scale attention and an MBConv,
    each residual), global pooling, a Linear-LayerNorm-Hardswish head of 64 and the classifier."""

    def __init__(self, classes: int = 10, eps: float | None = 1e-15) -> None:
        super().__init__()
        self.stem = nn.Sequential(_cbr(3, 16, 3, 2, act=nn.Hardswish), _cbr(16, 16, 3, 1, 16, nn.Hardswish),
                                  _cbr(16, 16, 1, act=None))
        self.down = MBConv(16, 32, 2)
        self.context = LiteMLA(32, eps=eps)
        self.local = MBConv(32, 32)
        self.head = nn.Sequential(nn.Linear(32, 64), nn.LayerNorm(64), nn.Hardswish(), nn.Linear(64, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.down(self.stem(x))
        x = x + self.context(x)
        x = self.local(x)
        return self.head(x.mean((2, 3)))


# ---- EfficientDet (Tan, Pang and Le 2020) ----------------------------------------------------------------------------

def _sep(c: int, act: bool = True) -> nn.Sequential:
    """Depthwise-separable 3x3 convolution with BatchNorm (momentum 0.01, eps 1e-3) and SiLU."""
    layers: list[nn.Module] = [nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False), nn.Conv2d(c, c, 1, bias=False),
                               nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)]
    if act:
        layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class Fuse(nn.Module):
    """BiFPN's fast normalised fusion ``sum_i relu(w_i) x_i / (sum_j relu(w_j) + 1e-4)``, then SiLU and a separable
    convolution."""

    def __init__(self, n: int, c: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(n))
        self.conv = _sep(c, act=False)

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        w = F.relu(self.w)
        w = w / (w.sum() + 1e-4)
        return self.conv(F.silu(sum(wi * xi for wi, xi in zip(w, xs))))


class EfficientDet(nn.Module):
    """EfficientDet narrowed: a BatchNorm-SiLU backbone to P3 (8x8, 16), P4 (4x4, 24), P5 (2x2, 32), 1x1 laterals to
    32, one BiFPN layer (top-down P5 -> P4 -> P3 and bottom-up P3 -> P4 -> P5 with fast normalised fusion), and the
    class and box nets shared over the levels (two separable convolutions with BatchNorm and SiLU each, then a
    separable prediction convolution; the class bias at the prior ``-log((1 - 0.01) / 0.01)``), one anchor a
    location; ``tower``: the convolutions of each net's tower (2)."""

    def __init__(self, classes: int = 3, c: int = 32, tower: int = 2) -> None:
        super().__init__()
        self.b3 = nn.Sequential(_cbr(3, 16, 3, 1, act=nn.SiLU), _cbr(16, 16, 3, 2, act=nn.SiLU))
        self.b4 = _cbr(16, 24, 3, 2, act=nn.SiLU)
        self.b5 = _cbr(24, 32, 3, 2, act=nn.SiLU)
        self.l3, self.l4, self.l5 = _cbr(16, c, 1, act=None), _cbr(24, c, 1, act=None), _cbr(32, c, 1, act=None)
        self.td4, self.out3, self.out4, self.out5 = Fuse(2, c), Fuse(2, c), Fuse(3, c), Fuse(2, c)
        self.cls_tower = nn.Sequential(*[_sep(c) for _ in range(tower)])
        self.box_tower = nn.Sequential(*[_sep(c) for _ in range(tower)])
        self.cls = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False), nn.Conv2d(c, classes, 1))
        self.box = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False), nn.Conv2d(c, 4, 1))
        nn.init.constant_(self.cls[1].bias, -math.log(99.0))

    def forward(self, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        c3 = self.b3(x)
        c4 = self.b4(c3)
        c5 = self.b5(c4)
        p3, p4, p5 = self.l3(c3), self.l4(c4), self.l5(c5)
        t4 = self.td4(p4, F.interpolate(p5, scale_factor=2.0))
        o3 = self.out3(p3, F.interpolate(t4, scale_factor=2.0))
        o4 = self.out4(p4, t4, F.max_pool2d(o3, 2))
        o5 = self.out5(p5, F.max_pool2d(o4, 2))
        return [(self.cls(self.cls_tower(o)), self.box(self.box_tower(o))) for o in (o3, o4, o5)]


def detection_loss(outs: list[tuple[torch.Tensor, torch.Tensor]], target: Any, anchor: float = 4.0) -> torch.Tensor:
    """EfficientDet's loss narrowed to one object an image assigned to the P3 location (stride 2) holding its centre:
    the sigmoid focal loss (alpha 0.25, gamma 2) over every location of every level, divided by the positives, plus
    50 times the Huber loss (delta 0.1) of the box deltas ``((cy - ay) / ha, (cx - ax) / wa, log(h / ha), log(w /
    wa))`` against a square anchor of side 4 at the positive location."""
    y, b = target
    n = y.shape[0]
    cy, cx = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    iy, ix = (cy / 2).floor().long().clamp(0, 7), (cx / 2).floor().long().clamp(0, 7)
    focal = 0.0
    for lvl, (cls, _) in enumerate(outs):
        t = torch.zeros_like(cls)
        if lvl == 0:
            t[torch.arange(n), y, iy, ix] = 1.0
        p = torch.sigmoid(cls)
        ce = F.binary_cross_entropy_with_logits(cls, t, reduction="none")
        pt = p * t + (1 - p) * (1 - t)
        alpha = 0.25 * t + 0.75 * (1 - t)
        focal = focal + (alpha * (1 - pt) ** 2 * ce).sum()
    ay, ax = iy.float() * 2 + 1.0, ix.float() * 2 + 1.0
    h, w = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    deltas = torch.stack(((cy - ay) / anchor, (cx - ax) / anchor, torch.log(h / anchor), torch.log(w / anchor)), 1)
    pred = outs[0][1][torch.arange(n), :, iy, ix]
    box = F.huber_loss(pred, deltas, delta=0.1, reduction="sum") / (4 * n)
    return focal / n + 50.0 * box


# ---- UPerNet (Xiao et al. 2018) --------------------------------------------------------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(_cbr(cin, cout, 3, stride), _cbr(cout, cout, 3, act=None))
        self.short = (nn.Identity() if stride == 1 and cin == cout else _cbr(cin, cout, 1, stride, act=None))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.short(x))


class UPerNet(nn.Module):
    """UPerNet narrowed: a ResNet-style backbone of one basic block a stage (16 at 16x16, 32 at 8x8, 64 at 4x4, 64 at
    2x2), the Pyramid Pooling Module on the last stage (bins 1 and 2, 32 channels each, a 3x3 bottleneck), the FPN
    (1x1 laterals of 32, top-down sums, 3x3 output convolutions), every level up-sampled to 16x16, concatenated and
    fused by a 3x3 convolution, then the 1x1 classifier; conv-BN-ReLU throughout, PyTorch's default init;
    ``zero_init``: every convolution's and the classifier's weights and biases set to 0."""

    def __init__(self, classes: int = 4, c: int = 32, zero_init: bool = False) -> None:
        super().__init__()
        chans = [16, 32, 64, 64]
        self.stem = _cbr(3, 16, 3)
        self.stages = nn.ModuleList([BasicBlock(16 if i == 0 else chans[i - 1], chans[i], 1 if i == 0 else 2)
                                     for i in range(4)])
        self.ppm = nn.ModuleList([_cbr(64, c, 1) for _ in (1, 2)])
        self.ppm_bottleneck = _cbr(64 + 2 * c, c, 3)
        self.lateral = nn.ModuleList([_cbr(ch, c, 1) for ch in chans[:3]])
        self.fpn_out = nn.ModuleList([_cbr(c, c, 3) for _ in range(3)])
        self.fuse = _cbr(4 * c, c, 3)
        self.cls = nn.Conv2d(c, classes, 1)
        if zero_init:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.zeros_(m.weight)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats, h = [], self.stem(x)
        for stage in self.stages:
            h = stage(h)
            feats.append(h)
        top = feats[3]
        pooled = [F.interpolate(m(F.adaptive_avg_pool2d(top, s)), size=top.shape[-2:], mode="bilinear",
                                align_corners=False) for m, s in zip(self.ppm, (1, 2))]
        lat = [*(m(f) for m, f in zip(self.lateral, feats[:3])), self.ppm_bottleneck(torch.cat([top, *pooled], 1))]
        for i in range(3, 0, -1):
            lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], size=lat[i - 1].shape[-2:], mode="bilinear",
                                                    align_corners=False)
        outs = [self.fpn_out[i](lat[i]) for i in range(3)] + [lat[3]]
        size = outs[0].shape[-2:]
        outs = [outs[0]] + [F.interpolate(o, size=size, mode="bilinear", align_corners=False) for o in outs[1:]]
        return self.cls(self.fuse(torch.cat(outs, 1)))


# ---- OCRNet (Yuan, Chen and Wang 2020) -------------------------------------------------------------------------------

class OCRNet(nn.Module):
    """OCRNet narrowed: a BatchNorm backbone (3x3 conv-BN-ReLU 3-32, a stride-2 one 32-32, two 3x3 of 32 at 8x8),
    the auxiliary soft-region head (1x1 conv-BN-ReLU, 1x1 to the classes), the object region representations (each
    class's spatial softmax of the soft regions pooling the pixels' 3x3 conv-BN-ReLU features of 32), the
    pixel-region relation (queries and keys two 1x1 conv-BN-ReLU of 16, values one, ``softmax(q k^T / 4)`` over the
    regions), the object-contextual representation projected back to 32, concatenated with the pixel features and
    fused by a 1x1 conv-BN-ReLU with dropout 0.05, the classifier; up-sampled bilinearly to 16x16; ``plain``: the
    backbone replaced by that many plain 3x3 convolutions of 32 with ReLU (no BatchNorm) at PyTorch's default init."""

    def __init__(self, classes: int = 4, c: int = 32, k: int = 16, plain: int = 0) -> None:
        super().__init__()
        if plain:
            layers: list[nn.Module] = [nn.Conv2d(3, c, 3, 2, 1), nn.ReLU()]
            for _ in range(plain - 1):
                layers += [nn.Conv2d(c, c, 3, 1, 1), nn.ReLU()]
            self.backbone = nn.Sequential(*layers)
        else:
            self.backbone = nn.Sequential(_cbr(3, c, 3), _cbr(c, c, 3, 2), _cbr(c, c, 3), _cbr(c, c, 3))
        self.aux = nn.Sequential(_cbr(c, c, 1), nn.Conv2d(c, classes, 1))
        self.pre = _cbr(c, c, 3)
        self.f_pixel = nn.Sequential(_cbr(c, k, 1), _cbr(k, k, 1))
        self.f_object = nn.Sequential(_cbr(c, k, 1), _cbr(k, k, 1))
        self.f_down = _cbr(c, k, 1)
        self.f_up = _cbr(k, c, 1)
        self.fuse = nn.Sequential(_cbr(2 * c, c, 1), nn.Dropout2d(0.05))
        self.cls = nn.Conv2d(c, classes, 1)
        self.k = k

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        size = x.shape[-2:]
        f = self.backbone(x)
        aux = self.aux(f)
        feats = self.pre(f)
        b, _, h, w = feats.shape
        regions = aux.flatten(2).softmax(-1)                                # (b, K, n)
        obj = (regions @ feats.flatten(2).transpose(1, 2)).transpose(1, 2)[..., None]  # (b, c, K, 1)
        q = self.f_pixel(feats).flatten(2).transpose(1, 2)                 # (b, n, k)
        key = self.f_object(obj).flatten(2)                                 # (b, k, K)
        val = self.f_down(obj).flatten(2).transpose(1, 2)                  # (b, K, k)
        sim = (q @ key / math.sqrt(self.k)).softmax(-1)
        ctx = (sim @ val).transpose(1, 2).reshape(b, self.k, h, w)
        out = self.cls(self.fuse(torch.cat((self.f_up(ctx), feats), 1)))
        up = dict(size=size, mode="bilinear", align_corners=False)
        return F.interpolate(out, **up), F.interpolate(aux, **up)


def ocr_loss(outs: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """OCRNet's loss: the main head's cross-entropy plus 0.4 times the soft-region head's."""
    return F.cross_entropy(outs[0], y) + 0.4 * F.cross_entropy(outs[1], y)


# ---- CGNet (Wu et al. 2018) ------------------------------------------------------------------------------------------

class CGBlock(nn.Module):
    """CGNet's context guided block: a 1x1 (or stride-2 3x3, down-sampling) conv-BN-PReLU to half the width (the
    full width when down-sampling), the local feature (depthwise 3x3) and the surrounding context (depthwise 3x3
    dilated), joined (concatenated, BN, PReLU; a 1x1 reduction when down-sampling), the global context (an
    SE-style channel weighting, reduction 8) and the global residual (not when down-sampling)."""

    def __init__(self, cin: int, cout: int, dilation: int = 2, down: bool = False) -> None:
        super().__init__()
        mid = cout if down else cout // 2
        self.conv = _cbr(cin, mid, 3 if down else 1, 2 if down else 1, act=nn.PReLU)
        self.loc = nn.Conv2d(mid, mid, 3, padding=1, groups=mid, bias=False)
        self.sur = nn.Conv2d(mid, mid, 3, padding=dilation, dilation=dilation, groups=mid, bias=False)
        self.joi = nn.Sequential(nn.BatchNorm2d(2 * mid), nn.PReLU(2 * mid))
        self.reduce = nn.Conv2d(2 * mid, cout, 1, bias=False) if down else nn.Identity()
        self.glo = nn.Sequential(nn.Linear(cout, cout // 8), nn.ReLU(), nn.Linear(cout // 8, cout), nn.Sigmoid())
        self.down = down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        h = self.reduce(self.joi(torch.cat((self.loc(h), self.sur(h)), 1)))
        h = h * self.glo(h.mean((2, 3)))[:, :, None, None]
        return h if self.down else x + h


class CGNet(nn.Module):
    """CGNet narrowed: stage 1 three 3x3 conv-BN-PReLU of 16 (the first stride 2) to 8x8, the input injection (the
    image average-pooled to each stage's resolution and concatenated), stage 2 a down-sampling CG block to 4x4 of
    32 and one CG block (dilation 2), stage 3 two CG blocks of 32 (dilation 4; the paper's third down-sampling left
    out at this size), dropout 0.1 and a 1x1 classifier on stage 3 concatenated with the injected image, up-sampled
    bilinearly to 16x16."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.stage1 = nn.Sequential(_cbr(3, 16, 3, 2, act=nn.PReLU), _cbr(16, 16, 3, act=nn.PReLU),
                                    _cbr(16, 16, 3, act=nn.PReLU))
        self.bn_prelu1 = nn.Sequential(nn.BatchNorm2d(19), nn.PReLU(19))
        self.down2 = CGBlock(19, 32, down=True)
        self.stage2 = CGBlock(32, 32, 2)
        self.bn_prelu2 = nn.Sequential(nn.BatchNorm2d(67), nn.PReLU(67))
        self.stage3 = nn.Sequential(_cbr(67, 32, 1, act=nn.PReLU), CGBlock(32, 32, 4), CGBlock(32, 32, 4))
        self.bn_prelu3 = nn.Sequential(nn.BatchNorm2d(35), nn.PReLU(35))
        self.cls = nn.Sequential(nn.Dropout2d(0.1), nn.Conv2d(35, classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        i1, i2 = F.avg_pool2d(x, 2), F.avg_pool2d(x, 4)
        s1 = self.bn_prelu1(torch.cat((self.stage1(x), i1), 1))
        d2 = self.down2(s1)
        s2 = self.bn_prelu2(torch.cat((self.stage2(d2), d2, i2), 1))
        s3 = self.bn_prelu3(torch.cat((self.stage3(s2), i2), 1))
        return F.interpolate(self.cls(s3), size=x.shape[-2:], mode="bilinear", align_corners=False)


# ---- RAFT (Teed and Deng 2020) ---------------------------------------------------------------------------------------

class Encoder(nn.Module):
    """RAFT's encoders narrowed: a 3x3 stride-2 convolution of 32, a residual block of two 3x3, a 1x1 output
    convolution; InstanceNorm for the feature encoder, BatchNorm for the context encoder."""

    def __init__(self, cout: int, norm: str) -> None:
        super().__init__()
        def nrm(c: int) -> nn.Module:
            return nn.InstanceNorm2d(c) if norm == "instance" else nn.BatchNorm2d(c)
        self.conv1 = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1), nrm(32), nn.ReLU())
        self.res = nn.Sequential(nn.Conv2d(32, 32, 3, 1, 1), nrm(32), nn.ReLU(), nn.Conv2d(32, 32, 3, 1, 1), nrm(32))
        self.out = nn.Conv2d(32, cout, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x)
        return self.out(F.relu(h + self.res(h)))


class ConvGRU(nn.Module):
    """RAFT's ConvGRU: ``z = sigmoid(conv([h, x]))``, ``r = sigmoid(conv([h, x]))``, ``q = tanh(conv([r h, x]))``,
    ``h = (1 - z) h + z q`` (3x3 convolutions); ``z_bias``: the update gate's bias at init (PyTorch's default
    uniform when None)."""

    def __init__(self, hidden: int, inp: int, z_bias: float | None = None) -> None:
        super().__init__()
        self.convz = nn.Conv2d(hidden + inp, hidden, 3, padding=1)
        self.convr = nn.Conv2d(hidden + inp, hidden, 3, padding=1)
        self.convq = nn.Conv2d(hidden + inp, hidden, 3, padding=1)
        if z_bias is not None:
            nn.init.constant_(self.convz.bias, z_bias)

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        hx = torch.cat((h, x), 1)
        z, r = torch.sigmoid(self.convz(hx)), torch.sigmoid(self.convr(hx))
        q = torch.tanh(self.convq(torch.cat((r * h, x), 1)))
        return (1 - z) * h + z * q


class RAFT(nn.Module):
    """RAFT narrowed (the small model's layout, shrunk): feature and context encoders to 8x8 (stride 2), the
    all-pairs correlation volume ``<f1_i, f2_j> / sqrt(D)`` with a 2-level pyramid (the second average-pooled over
    frame 2), looked up in a radius of 2 around the current estimate by bilinear sampling, the motion encoder (a 1x1
    of the correlations to 32, two 3x3 of the flow to 16, joined by a 3x3 to 30, the flow appended), a ConvGRU of 32
    over the context's input features and the motion features, the flow head (3x3 to 32, ReLU, 3x3 to 2), four
    iterations from zero flow; each estimate up-sampled bilinearly to 16x16 and doubled (in place of the convex
    up-sampling mask)."""

    def __init__(self, iters: int = 4, z_bias: float | None = None, radius: int = 2) -> None:
        super().__init__()
        self.fnet = Encoder(32, "instance")
        self.cnet = Encoder(64, "batch")
        self.iters, self.r = iters, radius
        cp = 2 * (2 * radius + 1) ** 2
        self.convc = nn.Conv2d(cp, 32, 1)
        self.convf = nn.Sequential(nn.Conv2d(2, 16, 7, padding=3), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1))
        self.conv = nn.Conv2d(48, 30, 3, padding=1)
        self.gru = ConvGRU(32, 32 + 32, z_bias)
        self.head = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 2, 3, padding=1))

    def _lookup(self, pyramid: list[torch.Tensor], coords: torch.Tensor) -> torch.Tensor:
        b, _, h, w = coords.shape
        d = torch.arange(-self.r, self.r + 1, dtype=coords.dtype)
        delta = torch.stack(torch.meshgrid(d, d, indexing="ij")[::-1], -1).reshape(1, -1, 1, 2)  # (dx, dy)
        c = coords.permute(0, 2, 3, 1).reshape(b * h * w, 1, 1, 2)
        out = []
        for lvl, corr in enumerate(pyramid):
            hh, ww = corr.shape[-2:]
            pts = c / 2 ** lvl + delta
            grid = torch.stack((2 * pts[..., 0] / (ww - 1) - 1, 2 * pts[..., 1] / (hh - 1) - 1), -1)
            out.append(F.grid_sample(corr, grid, align_corners=True).reshape(b, h, w, -1))
        return torch.cat(out, -1).permute(0, 3, 1, 2)

    def forward(self, frames: torch.Tensor) -> list[torch.Tensor]:
        f1, f2 = self.fnet(frames[:, :3]), self.fnet(frames[:, 3:])
        b, d, h, w = f1.shape
        corr = (f1.flatten(2).transpose(1, 2) @ f2.flatten(2)) / math.sqrt(d)   # (b, hw, hw)
        corr = corr.reshape(b * h * w, 1, h, w)
        pyramid = [corr, F.avg_pool2d(corr, 2)]
        ctx = self.cnet(frames[:, :3])
        net, inp = torch.tanh(ctx[:, :32]), F.relu(ctx[:, 32:])
        ys, xs = torch.meshgrid(torch.arange(h, dtype=frames.dtype), torch.arange(w, dtype=frames.dtype),
                                indexing="ij")
        coords0 = torch.stack((xs, ys))[None].expand(b, 2, h, w)
        flow = torch.zeros(b, 2, h, w)
        preds = []
        for _ in range(self.iters):
            flow = flow.detach()
            cf = self._lookup(pyramid, coords0 + flow)
            motion = F.relu(self.conv(torch.cat((F.relu(self.convc(cf)), F.relu(self.convf(flow))), 1)))
            net = self.gru(net, torch.cat((inp, motion, flow), 1))
            flow = flow + self.head(net)
            preds.append(2 * F.interpolate(flow, scale_factor=2.0, mode="bilinear", align_corners=True))
        return preds


def sequence_loss(preds: list[torch.Tensor], flow: torch.Tensor, gamma: float = 0.8) -> torch.Tensor:
    """RAFT's sequence loss: ``sum_i gamma^(N - i) |f_i - f_gt|_1``, each the mean over pixels of the two
    components' absolute errors summed."""
    n = len(preds)
    return sum(gamma ** (n - i - 1) * (p - flow).abs().sum(1).mean() for i, p in enumerate(preds))


# ---- builders --------------------------------------------------------------------------------------------------------

def mobilenext(seed: int, lr: float = 0.1, bn: bool = True, relu6_shift: float | None = None) -> Setup:
    """MobileNeXt on the class-template images (batch 32), cross-entropy, SGD at the paper's lr 0.1 (batch 256;
    its cosine decay left out) with momentum 0.9 and weight decay 4e-5; ``bn``: see :class:`MobileNeXt`;
    ``relu6_shift``: every BatchNorm before a ReLU6 gets that bias."""
    torch.manual_seed(810_000 + seed)
    model = MobileNeXt(bn=bn)
    if relu6_shift is not None:
        _shift_bn_before(model, nn.ReLU6, relu6_shift)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=4e-5)
    return _xy(model, opt, images(seed), F.cross_entropy)


def edgenext(seed: int, lr: float = 1e-3, shuffled: bool = False, blur: str | None = None) -> Setup:
    """EdgeNeXt on the class-template images (batch 32), cross-entropy, AdamW at lr 1e-3 (the paper's 6e-3 is for
    batch 4096) with its weight decay 0.05; ``shuffled``, ``blur``: see :func:`images`."""
    torch.manual_seed(810_000 + seed)
    model = EdgeNeXt()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    return _xy(model, opt, images(seed, shuffled=shuffled, blur=blur), F.cross_entropy)


def efficientvit(seed: int, lr: float = 1e-3, weight_decay: float = 0.1, eps: float | None = 1e-15) -> Setup:
    """EfficientViT on the class-template images (batch 32), cross-entropy, AdamW at the paper's weight decay 0.1
    and lr 1e-3 (set here; its warm-up and cosine left out); ``eps``: see :class:`LiteMLA`."""
    torch.manual_seed(810_000 + seed)
    model = EfficientViT(eps=eps)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def efficientdet(seed: int, lr: float = 0.08, weight_decay: float = 4e-5) -> Setup:
    """EfficientDet on the one-object images (batch 16), :func:`detection_loss`, SGD at the paper's lr 0.08 with
    momentum 0.9 and weight decay 4e-5, gradients clipped at norm 10 (its warm-up and cosine left out)."""
    torch.manual_seed(810_000 + seed)
    model = EfficientDet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, boxes(seed), detection_loss, clip=10.0)


def upernet(seed: int, lr: float = 0.01, zero_init: bool = False) -> Setup:
    """UPerNet on the scenes (batch 16), pixel cross-entropy, SGD at mmsegmentation's lr 0.01, momentum 0.9, weight
    decay 5e-4 (its poly decay left out); ``zero_init``: see :class:`UPerNet`."""
    torch.manual_seed(810_000 + seed)
    model = UPerNet(zero_init=zero_init)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, scenes(seed), F.cross_entropy)


def ocrnet(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, plain: int = 0) -> Setup:
    """OCRNet on the scenes (batch 16), :func:`ocr_loss`, SGD at the paper's lr 0.01, momentum 0.9, weight decay
    5e-4 (its poly decay left out); ``plain``: see :class:`OCRNet`."""
    torch.manual_seed(810_000 + seed)
    model = OCRNet(plain=plain)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, scenes(seed), ocr_loss)


def cgnet(seed: int, lr: float = 1e-3, shuffled: bool = False, hue: str | None = None) -> Setup:
    """CGNet on the scenes (batch 16), pixel cross-entropy, Adam at the paper's lr 1e-3 with weight decay 5e-4;
    ``shuffled``, ``hue``: see :func:`scenes`."""
    torch.manual_seed(810_000 + seed)
    model = CGNet()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    return _xy(model, opt, scenes(seed, shuffled=shuffled, hue=hue), F.cross_entropy)


def raft(seed: int, lr: float = 4e-4, z_bias: float | None = None, flips: str | None = None) -> Setup:
    """RAFT on the flow pairs (batch 8), :func:`sequence_loss`, AdamW at the paper's lr 4e-4 and weight decay 1e-4
    with eps 1e-8, gradients clipped at norm 1 (its one-cycle schedule left out); ``z_bias``: see :class:`ConvGRU`;
    ``flips``: see :func:`flow_pairs`."""
    torch.manual_seed(810_000 + seed)
    model = RAFT(z_bias=z_bias)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4, eps=1e-8)
    return _xy(model, opt, flow_pairs(seed, flips=flips), sequence_loss, clip=1.0)
