"""Builders of the hundred-and-tenth held-out batch (``fresh109.py``): vision models new to the corpus
(classification backbones, detection, segmentation, video, point clouds, super-resolution, keypoints) at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn

SEED0 = 1_090_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(SEED0 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(10_900 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _normal_init(model: nn.Module, std: float) -> None:
    """Every conv and Linear weight drawn N(0, std^2) (the init common)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)


def _no_norm(model: nn.Module) -> None:
    """Every BatchNorm replaced by the identity (the normalization common)."""
    for name, m in list(model.named_children()):
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            setattr(model, name, nn.Identity())
        else:
            _no_norm(m)


# ---- data ------------------------------------------------------------------------------------------------------------

def class_images(seed: int, k: int, classes: int = 10, batch: int = 16, noise: float = 0.3) -> Callable[[int], Any]:
    """Ten fixed smooth colour 16x16 templates (4x4 Gaussian values stretched bilinearly, from ``manual_seed(10_900 +
    k)``), each rolled by up to 2 pixels, plus N(0, 0.3^2) noise: ``(images (b, 3, 16, 16), labels (b,))``."""
    t = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(k)), size=(16, 16), mode="bilinear",
                      align_corners=False)
    t = t / t.std()

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = t[y].clone()
        for i in range(batch):
            dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=g))
            x[i] = torch.roll(x[i], (dx, dy), (1, 2))
        return x + noise * torch.randn(x.shape, generator=g), y
    return _pool(seed, make)


def _patterns(size: int = 16) -> torch.Tensor:
    """Three fill patterns: flat, a checkerboard of 2-pixel cells, horizontal stripes of 2 pixels."""
    i = torch.arange(size)
    flat = torch.ones(size, size)
    check = ((i[:, None] // 2 + i[None] // 2) % 2).float() * 2 - 1
    stripes = ((i[:, None] // 2) % 2).float().expand(size, size) * 2 - 1
    return torch.stack([flat, check, stripes])


def detection_images(seed: int, batch: int = 16) -> Callable[[int], Any]:
    """One object an image: a 16x16 grey image of noise 0.2 holding one rectangle (sides 5 to 10 pixels) filled with
    its class's pattern (flat, checkerboard, stripes; 3 classes): ``(images (b, 1, 16, 16), (classes (b,),
    boxes (b, 4) as x1, y1, x2, y2 in pixels))``."""
    pats = _patterns()

    def make(g: torch.Generator, _: int) -> Any:
        x = 0.2 * torch.randn(batch, 1, 16, 16, generator=g)
        cls = torch.randint(0, 3, (batch,), generator=g)
        boxes = torch.zeros(batch, 4)
        for i in range(batch):
            w, h = (int(v) for v in torch.randint(5, 11, (2,), generator=g))
            x1 = int(torch.randint(0, 17 - w, (1,), generator=g))
            y1 = int(torch.randint(0, 17 - h, (1,), generator=g))
            x[i, 0, y1:y1 + h, x1:x1 + w] += pats[int(cls[i]), y1:y1 + h, x1:x1 + w]
            boxes[i] = torch.tensor([x1, y1, x1 + w, y1 + h], dtype=torch.float)
        return x, (cls, boxes)
    return _pool(seed, make)


#: the segmentation classes' colours (RGB, unit scale): background, rectangles, disks
SEG_COLORS = torch.tensor([[0.0, 0.0, 0.0], [1.0, -0.5, 0.0], [-0.5, 0.5, 1.0]])


def segmentation_images(seed: int, batch: int = 16, nhwc_reshaped: bool = False) -> Callable[[int], Any]:
    """Per-pixel labels: a 16x16 colour image holding a rectangle (class 1) and a disk (class 2, drawn over it),
    each filled with its class's colour times a checkerboard or stripe texture of contrast 0.5, over N(0, 0.3^2)
    noise: ``(images (b, 3, 16, 16), labels (b, 16, 16))``. ``nhwc_reshaped``: the images come from the loader
    channels-last, ``(b, 16, 16, 3)``, and are handed on by ``x.reshape(b, 3, 16, 16)`` where
    ``x.permute(0, 3, 1, 2)`` was meant (the slip): every shape is valid, every pixel's colour lands elsewhere."""
    pats = _patterns()
    yy, xx = torch.meshgrid(torch.arange(16).float(), torch.arange(16).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        lab = torch.zeros(batch, 16, 16, dtype=torch.long)
        for i in range(batch):
            w, h = (int(v) for v in torch.randint(4, 10, (2,), generator=g))
            x1, y1 = int(torch.randint(0, 17 - w, (1,), generator=g)), int(torch.randint(0, 17 - h, (1,), generator=g))
            lab[i, y1:y1 + h, x1:x1 + w] = 1
            cx, cy = (float(v) for v in torch.rand(2, generator=g) * 12 + 2)
            r = float(torch.rand(1, generator=g)) * 2 + 2
            lab[i][(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = 2
        tex = pats[1:][torch.randint(0, 2, (batch,), generator=g)]  # (b, 16, 16)
        img = SEG_COLORS[lab].permute(0, 3, 1, 2) * (1 + 0.5 * tex[:, None])
        img = img + 0.3 * torch.randn(img.shape, generator=g)
        if nhwc_reshaped:
            img = img.permute(0, 2, 3, 1).contiguous().reshape(batch, 3, 16, 16)
        return img, lab
    return _pool(seed, make)


def moving_blobs(seed: int, batch: int = 16, frames: int = 4, shuffled: bool = False) -> Callable[[int], Any]:
    """Video clips of 4 grey 16x16 frames: a Gaussian blob (std 1.5) moving 2 pixels a frame in one of 4 directions
    (the class) from a random start, wrapping at the borders, and a static distractor blob, with noise 0.2:
    ``(clips (b, 4, 1, 16, 16), labels (b,))``; ``shuffled``: the labels permuted within each batch (the data
    common)."""
    yy, xx = torch.meshgrid(torch.arange(16).float(), torch.arange(16).float(), indexing="ij")
    dirs = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0], [0.0, -2.0]])

    def blob(cx: float, cy: float) -> torch.Tensor:
        dx = (xx - cx + 8) % 16 - 8
        dy = (yy - cy + 8) % 16 - 8
        return torch.exp(-(dx ** 2 + dy ** 2) / (2 * 1.5 ** 2))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        clips = 0.2 * torch.randn(batch, frames, 1, 16, 16, generator=g)
        for i in range(batch):
            sx, sy, ox, oy = (float(v) for v in torch.rand(4, generator=g) * 16)
            still = blob(ox, oy)
            for t in range(frames):
                d = dirs[int(y[i])] * t
                clips[i, t, 0] += blob(sx + float(d[0]), sy + float(d[1])) + still
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return clips, y
    return _pool(seed, make)


def _shape_points(kind: int, n: int, g: torch.Generator) -> torch.Tensor:
    """``n`` points on the surface of a sphere (0), a cube (1), a cylinder (2) or a cone (3), unit size."""
    if kind == 0:
        p = torch.randn(n, 3, generator=g)
        return p / p.norm(dim=1, keepdim=True)
    if kind == 1:
        p = torch.rand(n, 3, generator=g) * 2 - 1
        face = torch.randint(0, 3, (n,), generator=g)
        sign = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
        p[torch.arange(n), face] = sign
        return p
    th = torch.rand(n, generator=g) * 2 * math.pi
    z = torch.rand(n, generator=g) * 2 - 1
    rad = torch.ones(n) if kind == 2 else (1 - z) / 2
    return torch.stack([rad * th.cos(), rad * th.sin(), z], 1)


def point_clouds(seed: int, batch: int = 16, n: int = 64, scale: float = 1.0) -> Callable[[int], Any]:
    """Point clouds of 64 points on one of 4 surfaces (sphere, cube, cylinder, cone: the class), each stretched by
    U(0.8, 1.2) along each axis, rotated at random about z, with noise 0.02: ``(points (b, 64, 3), labels (b,))``;
    ``scale``: the coordinates multiplied by it (the data common, millimetres for metres)."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        pts = []
        for i in range(batch):
            p = _shape_points(int(y[i]), n, g) * (0.8 + 0.4 * torch.rand(3, generator=g))
            a = float(torch.rand(1, generator=g)) * 2 * math.pi
            rot = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
            pts.append(p @ rot.T + 0.02 * torch.randn(n, 3, generator=g))
        return torch.stack(pts) * scale, y
    return _pool(seed, make)


def sr_pairs(seed: int, batch: int = 16, nhwc_reshaped: bool = False) -> Callable[[int], Any]:
    """Super-resolution pairs: a high-resolution 16x16 colour image (the sum of two of twenty fixed smooth
    templates, each rolled by up to 3 pixels and sign-flipped at random) and its 8x8 2x2-average downsampling:
    ``(lr (b, 3, 8, 8), hr (b, 3, 16, 16))``. ``nhwc_reshaped``: the low-resolution batch comes channels-last and is
    handed on by ``lr.reshape(b, 3, 8, 8)`` where ``lr.permute(0, 3, 1, 2)`` was meant (the slip)."""
    t = F.interpolate(torch.randn(20, 3, 6, 6, generator=_fixed(3)), size=(16, 16), mode="bicubic",
                      align_corners=False)
    t = t / t.std()

    def make(g: torch.Generator, _: int) -> Any:
        hr = torch.zeros(batch, 3, 16, 16)
        for i in range(batch):
            for j in torch.randint(0, 20, (2,), generator=g):
                dx, dy = (int(v) for v in torch.randint(-3, 4, (2,), generator=g))
                s = 1.0 if float(torch.rand(1, generator=g)) < 0.5 else -1.0
                hr[i] += s * torch.roll(t[int(j)], (dx, dy), (1, 2))
        lr = F.avg_pool2d(hr, 2)
        if nhwc_reshaped:
            lr = lr.permute(0, 2, 3, 1).contiguous().reshape(batch, 3, 8, 8)
        return lr, hr
    return _pool(seed, make)


def keypoint_images(seed: int, batch: int = 16, k: int = 3, bins: int = 32, sigma: float = 1.0,
                    shuffled: bool = False) -> Callable[[int], Any]:
    """Keypoints: a 16x16 three-channel image of noise 0.2 holding, for each of 3 keypoints, a Gaussian blob (std
    1 pixel) in that keypoint's channel and a weaker one (0.5) in the next channel; the targets SimCC's 1-D label
    distributions at splitting factor 2 (32 bins an axis): Gaussians of std ``sigma`` = 1 pixel (2 bins) around each
    coordinate, normalised: ``(images (b, 3, 16, 16), (tx (b, 3, 32), ty (b, 3, 32)))``; ``shuffled``: the targets
    permuted over the images of each batch (the data common: each image's targets are another image's keypoints)."""
    yy, xx = torch.meshgrid(torch.arange(16).float(), torch.arange(16).float(), indexing="ij")
    centres = (torch.arange(bins).float() + 0.5) / 2 - 0.5  # bin centres in pixels

    def dist(v: torch.Tensor) -> torch.Tensor:
        d = torch.exp(-((centres - v[..., None]) ** 2) / (2 * sigma ** 2))
        return d / d.sum(-1, keepdim=True)

    def make(g: torch.Generator, _: int) -> Any:
        pos = torch.rand(batch, k, 2, generator=g) * 14 + 1  # (x, y) in pixels
        img = 0.2 * torch.randn(batch, 3, 16, 16, generator=g)
        for j in range(k):
            b = torch.exp(-((xx - pos[:, j, 0, None, None]) ** 2 + (yy - pos[:, j, 1, None, None]) ** 2) / 2)
            img[:, j] += b
            img[:, (j + 1) % 3] += 0.5 * b
        if shuffled:
            pos = pos[torch.randperm(batch, generator=g)]
        return img, (dist(pos[..., 0]), dist(pos[..., 1]))
    return _pool(seed, make)


# ---- models ----------------------------------------------------------------------------------------------------------

class MambaMixer(nn.Module):
    """One bidirectional Mamba mixer of Vision Mamba (Zhu et al. 2024): ``in_proj`` to the stream ``x`` and the gate
    ``z``; for each direction a causal depthwise conv (k = 4) with SiLU, the input-dependent ``dt`` (rank 2, softplus,
    its bias initialised so that ``dt`` is log-uniform in [1e-3, 0.1]), ``B`` and ``C`` (state 16, Vim's) and the
    selective scan ``h_t = exp(dt A) h_(t-1) + dt B x_t``, ``y = C h + D x`` with ``A = -exp(A_log)``,
    ``A_log = log(1 .. 16)`` (S4D-real); the two directions added, gated by ``silu(z)``, ``out_proj``.
    ``positive_state``: ``A = +exp(A_log)``, state transitions ``exp(dt A) > 1`` (the recurrence common)."""

    def __init__(self, d: int, expand: int = 2, n: int = 16, positive_state: bool = False) -> None:
        super().__init__()
        e, self.n, self.sign = expand * d, n, 1.0 if positive_state else -1.0
        self.in_proj = nn.Linear(d, 2 * e)
        self.conv = nn.ModuleList([nn.Conv1d(e, e, 4, groups=e, padding=3) for _ in range(2)])
        self.x_proj = nn.ModuleList([nn.Linear(e, 2 + 2 * n, bias=False) for _ in range(2)])
        self.dt_proj = nn.ModuleList([nn.Linear(2, e) for _ in range(2)])
        for p in self.dt_proj:
            dt = torch.exp(torch.rand(e) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
            with torch.no_grad():
                p.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        self.A_log = nn.Parameter(torch.log(torch.arange(1, n + 1).float()).repeat(2, e, 1))
        self.D = nn.Parameter(torch.ones(2, e))
        self.out_proj = nn.Linear(e, d)

    def _prep(self, x: torch.Tensor, i: int) -> tuple[torch.Tensor, ...]:
        """Direction ``i``'s conv output, ``exp(dt A)``, ``dt B x`` and ``C``."""
        t = x.shape[1]
        x = F.silu(self.conv[i](x.transpose(1, 2))[..., :t].transpose(1, 2))
        dbc = self.x_proj[i](x)
        dt = F.softplus(self.dt_proj[i](dbc[..., :2]))  # (b, t, e)
        bm, cm = dbc[..., 2:2 + self.n], dbc[..., 2 + self.n:]
        a = self.sign * torch.exp(self.A_log[i])  # (e, n)
        return x, torch.exp(dt[..., None] * a), dt[..., None] * bm[:, :, None] * x[..., None], cm

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        x, z = self.in_proj(u).chunk(2, -1)
        e = x.shape[-1]
        (x0, da0, dbx0, c0), (x1, da1, dbx1, c1) = self._prep(x, 0), self._prep(x.flip(1), 1)
        da, dbx = torch.cat([da0, da1], 2), torch.cat([dbx0, dbx1], 2)  # both directions scanned at once
        h, hs = torch.zeros_like(dbx[:, 0]), []
        for da_s, dbx_s in zip(da.unbind(1), dbx.unbind(1)):  # unbind: no full-size zeros per step in backward
            h = torch.addcmul(dbx_s, da_s, h)
            hs.append(h)
        hh = torch.stack(hs, 1)  # (b, t, 2e, n)
        y0 = (hh[:, :, :e] * c0[:, :, None]).sum(-1) + self.D[0] * x0
        y1 = (hh[:, :, e:] * c1[:, :, None]).sum(-1) + self.D[1] * x1
        return self.out_proj((y0 + y1.flip(1)) * F.silu(z))


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class VisionMamba(nn.Module):
    """Vision Mamba (Vim, Zhu et al. 2024), narrowed: 2x2 patches of a 16x16 image (64 tokens, as a 128-pixel image
    at Vim's 16x16 patches) embedded to 16 by a strided conv, learned positions, the class token in the middle of the
    patch tokens, two residual blocks of RMSNorm and a bidirectional :class:`MambaMixer` (expand 2, state 16), a final
    RMSNorm, the class token to the head."""

    def __init__(self, d: int = 16, depth: int = 2, classes: int = 10, patch: int = 2,
                 positive_state: bool = False) -> None:
        super().__init__()
        self.n = (16 // patch) ** 2
        self.patch = nn.Conv2d(3, d, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(0.02 * torch.randn(1, self.n + 1, d))
        self.norms = nn.ModuleList([RMSNorm(d) for _ in range(depth)])
        self.mixers = nn.ModuleList([MambaMixer(d, positive_state=positive_state) for _ in range(depth)])
        self.norm = RMSNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.patch(x).flatten(2).transpose(1, 2)  # (b, n, d)
        b, m = t.shape[0], self.n // 2
        t = torch.cat([t[:, :m], self.cls.expand(b, -1, -1), t[:, m:]], 1) + self.pos
        for norm, mix in zip(self.norms, self.mixers):
            t = t + mix(norm(t))
        return self.head(self.norm(t)[:, m])


class NeighborhoodAttention(nn.Module):
    """Neighbourhood attention (Hassani et al. 2023): each token attends to its 3x3 neighbourhood on the token grid
    with a learned relative-position bias per head and offset; narrowed: at the borders the missing neighbours are
    masked out (NAT shifts its window inward)."""

    def __init__(self, d: int, heads: int = 2, k: int = 3) -> None:
        super().__init__()
        self.h, self.k = heads, k
        self.qkv = nn.Linear(d, 3 * d)
        self.rpb = nn.Parameter(0.02 * torch.randn(heads, k * k))
        self.proj = nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, hh, ww, d = x.shape
        q, k, v = self.qkv(x).reshape(b, hh, ww, 3, self.h, d // self.h).permute(3, 0, 4, 1, 2, 5)
        r = self.k // 2

        def neigh(t: torch.Tensor) -> torch.Tensor:
            t = F.pad(t, (0, 0, r, r, r, r))
            return torch.stack([t[..., i:i + hh, j:j + ww, :] for i in range(self.k) for j in range(self.k)], -2)
        valid = neigh(torch.ones(1, 1, hh, ww, 1))[..., 0] > 0  # (1, 1, hh, ww, k*k)
        att = (q[..., None, :] * neigh(k)).sum(-1) / math.sqrt(d // self.h) + self.rpb[None, :, None, None]
        att = att.masked_fill(~valid, float("-inf")).softmax(-1)
        out = (att[..., None] * neigh(v)).sum(-2)  # (b, h, hh, ww, dh)
        return self.proj(out.permute(0, 2, 3, 1, 4).reshape(b, hh, ww, d))


class NAT(nn.Module):
    """NAT (Hassani et al. 2023), narrowed: its overlapping tokenizer of two 3x3 convs (the first at stride 1 here,
    the second at stride 2) to an 8x8 grid of 32, two pre-LN layers of 3x3 :class:`NeighborhoodAttention` (2 heads)
    and a GELU MLP of ratio 2, a final LayerNorm, average pooling, the head."""

    def __init__(self, d: int = 32, depth: int = 2, classes: int = 10) -> None:
        super().__init__()
        self.tok = nn.Sequential(nn.Conv2d(3, d // 2, 3, 1, 1), nn.GELU(), nn.Conv2d(d // 2, d, 3, 2, 1))
        self.tnorm = nn.LayerNorm(d)
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(nn.ModuleList([nn.LayerNorm(d), NeighborhoodAttention(d), nn.LayerNorm(d),
                                              nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))]))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.tnorm(self.tok(x).permute(0, 2, 3, 1))  # (b, 8, 8, d)
        for n1, att, n2, mlp in self.blocks:
            t = t + att(n1(t))
            t = t + mlp(n2(t))
        return self.head(self.norm(t).mean((1, 2)))


class GFL(nn.Module):
    """GFL (Li et al. 2020), narrowed to one level: a backbone of three 3x3 conv - GroupNorm(8) - ReLU (32 channels,
    the second at stride 2: an 8x8 map of stride 2 on 16x16 images), the head's classification and regression towers
    of two conv - GN - ReLU each, the classification conv to 3 class scores (its bias at the prior 0.01, the score
    being the joint IoU-quality of QFL), the regression conv to 4 general distributions over ``reg_max + 1 = 8`` bins
    of the distances to the box's sides (in stride units). Returns ``(scores (b, 64, 3), dists (b, 64, 4, 8))``;
    ``flatten_nchw``: the head's maps flattened by ``.reshape(b, -1, c)`` where ``.permute(0, 2, 3, 1).reshape(b,
    -1, c)`` was meant (the slip: each location's row holds values of other locations and channels)."""

    def __init__(self, c: int = 32, classes: int = 3, reg_max: int = 7, flatten_nchw: bool = False) -> None:
        super().__init__()
        self.flatten_nchw, self.classes, self.bins = flatten_nchw, classes, reg_max + 1

        def cgr(i: int, o: int, s: int = 1) -> list[nn.Module]:
            return [nn.Conv2d(i, o, 3, s, 1), nn.GroupNorm(8, o), nn.ReLU()]
        self.backbone = nn.Sequential(*cgr(1, c), *cgr(c, c, 2), *cgr(c, c))
        self.cls_tower = nn.Sequential(*cgr(c, c), *cgr(c, c))
        self.reg_tower = nn.Sequential(*cgr(c, c), *cgr(c, c))
        self.cls = nn.Conv2d(c, classes, 3, 1, 1)
        self.reg = nn.Conv2d(c, 4 * self.bins, 3, 1, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)
        nn.init.constant_(self.cls.bias, -math.log(99))

    def _flat(self, m: torch.Tensor) -> torch.Tensor:
        b, c = m.shape[:2]
        return m.reshape(b, -1, c) if self.flatten_nchw else m.permute(0, 2, 3, 1).reshape(b, -1, c)

    def forward(self, x: torch.Tensor) -> Any:
        f = self.backbone(x)
        s = self._flat(self.cls(self.cls_tower(f)))
        r = self._flat(self.reg(self.reg_tower(f)))
        return s, r.reshape(r.shape[0], r.shape[1], 4, self.bins)


def _giou(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """IoU and GIoU of boxes ``(n, 4)`` (x1, y1, x2, y2)."""
    area = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    areb = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt, rb = torch.max(a[:, :2], b[:, :2]), torch.min(a[:, 2:], b[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(1)
    union = area + areb - inter
    iou = inter / union.clamp(min=1e-6)
    elt, erb = torch.min(a[:, :2], b[:, :2]), torch.max(a[:, 2:], b[:, 2:])
    encl = (erb - elt).prod(1).clamp(min=1e-6)
    return iou, iou - (encl - union) / encl


def gfl_loss(out: Any, target: Any, stride: int = 2, reg_max: int = 7) -> torch.Tensor:
    """GFL's loss: Quality Focal Loss (beta 2) of the scores against the IoU of each positive's decoded box with its
    ground truth (0 elsewhere), over the positives' count; Distribution Focal Loss (weight 0.25) of the distances'
    distributions against the two bins around each true distance; GIoU loss (weight 2) of the boxes decoded from the
    distributions' expectations. Positives: the locations whose centre lies inside the ground-truth box (FCOS's
    assignment in place of ATSS's on the one level); the DFL and GIoU terms are averaged over the positives (the
    reference code weights them by the positives' scores)."""
    scores, dists = out
    cls, boxes = target
    b, n, c = scores.shape
    side = math.isqrt(n)
    ys, xs = torch.meshgrid(torch.arange(side).float(), torch.arange(side).float(), indexing="ij")
    centre = (torch.stack([xs.flatten(), ys.flatten()], 1) + 0.5) * stride  # (n, 2)
    inside = ((centre[None] > boxes[:, None, :2]) & (centre[None] < boxes[:, None, 2:])).all(-1)  # (b, n)
    bi, li = inside.nonzero(as_tuple=True)
    prob = dists[bi, li].softmax(-1)  # (p, 4, bins)
    dist = (prob * torch.arange(reg_max + 1).float()).sum(-1) * stride  # l, t, r, b in pixels
    ctr = centre[li]
    pred = torch.cat([ctr - dist[:, :2], ctr + dist[:, 2:]], 1)
    gt = boxes[bi]
    iou, giou = _giou(pred, gt)
    qt = torch.zeros(b, n, c)
    qt[bi, li, cls[bi]] = iou.detach().clamp(min=0)
    sig = scores.sigmoid()
    qfl = F.binary_cross_entropy_with_logits(scores, qt, reduction="none") * (sig - qt).abs() ** 2
    npos = max(len(bi), 1)
    true = torch.cat([ctr - gt[:, :2], gt[:, 2:] - ctr], 1) / stride
    true = true.clamp(0, reg_max - 0.01)
    lo = true.floor().long()
    wl = lo.float() + 1 - true
    logp = dists[bi, li].log_softmax(-1)
    dfl = -(logp.gather(-1, lo[..., None])[..., 0] * wl + logp.gather(-1, lo[..., None] + 1)[..., 0] * (1 - wl))
    return qfl.sum() / npos + 0.25 * dfl.mean() + 2.0 * (1 - giou).mean()


class SSnbt(nn.Module):
    """LEDNet's split-shuffle-non-bottleneck unit (Wang et al. 2019): the channels split in two, each half through
    a 3x1 conv - ReLU - 1x3 conv - BN - ReLU - 3x1 (dilated) - ReLU - 1x3 (dilated) - BN, the halves concatenated,
    dropout, the residual added, ReLU, a channel shuffle of 2 groups."""

    def __init__(self, c: int, dil: int = 1, drop: float = 0.0) -> None:
        super().__init__()
        h = c // 2

        def branch() -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(h, h, (3, 1), 1, (1, 0)), nn.ReLU(), nn.Conv2d(h, h, (1, 3), 1, (0, 1)),
                                 nn.BatchNorm2d(h), nn.ReLU(), nn.Conv2d(h, h, (3, 1), 1, (dil, 0), (dil, 1)),
                                 nn.ReLU(), nn.Conv2d(h, h, (1, 3), 1, (0, dil), (1, dil)), nn.BatchNorm2d(h))
        self.b1, self.b2 = branch(), branch()
        self.drop = nn.Dropout2d(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, 1)
        y = F.relu(x + self.drop(torch.cat([self.b1(a), self.b2(b)], 1)))
        n, c, hh, ww = y.shape
        return y.reshape(n, 2, c // 2, hh, ww).transpose(1, 2).reshape(n, c, hh, ww)


class Down(nn.Module):
    """ENet/LEDNet's downsampling block: a 3x3 stride-2 conv concatenated with a 2x2 max pooling, BN, ReLU."""

    def __init__(self, i: int, o: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(i, o - i, 3, 2, 1)
        self.bn = nn.BatchNorm2d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(torch.cat([self.conv(x), F.max_pool2d(x, 2)], 1)))


class LEDNet(nn.Module):
    """LEDNet (Wang et al. 2019), narrowed: the encoder a downsampling block to 16 channels (8x8), two SS-nbt units,
    a downsampling block to 32 (4x4), three SS-nbt units at dilations 1, 2, 4 (dropout 0.1 in the second stage, as
    the paper's later units); the attention pyramid network decoder narrowed to its global-pooling branch and one
    pyramid level (a 3x3 conv - BN - ReLU to the classes times the 1x1 conv of the features, plus the pooled
    branch), bilinearly upsampled by 4."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.enc = nn.Sequential(Down(3, 16), SSnbt(16), SSnbt(16), Down(16, 32), SSnbt(32, 1, 0.1),
                                 SSnbt(32, 2, 0.1), SSnbt(32, 4, 0.1))
        self.pyr = nn.Sequential(nn.Conv2d(32, classes, 3, 1, 1), nn.BatchNorm2d(classes), nn.ReLU())
        self.mid = nn.Sequential(nn.Conv2d(32, classes, 1), nn.BatchNorm2d(classes), nn.ReLU())
        self.glob = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(32, classes, 1), nn.BatchNorm2d(classes),
                                  nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.enc(x)
        y = self.pyr(f) * self.mid(f) + self.glob(f)
        return F.interpolate(y, scale_factor=4, mode="bilinear", align_corners=False)


class TEABlock(nn.Module):
    """A TEA block (Li et al. 2020): a ResNet bottleneck (1x1 - BN - ReLU, then the TEA module, 1x1 - BN, the
    residual, ReLU) whose 3x3 conv is replaced by the motion excitation (ME: the channels reduced 4-fold, the
    difference of a depthwise 3x3 conv of frame t + 1's features and frame t's, the last frame's zero, pooled,
    expanded back to the attention ``a``, applied in the paper's residual form ``x + x * sigmoid(a)``) and the multiple
    temporal aggregation (MTA: 4 channel groups, the first kept, each later one a channel-wise temporal conv (k = 3)
    then a 3x3 spatial conv of itself plus the previous group's output)."""

    def __init__(self, c: int, frames: int) -> None:
        super().__init__()
        self.t, m, r = frames, c, c // 4
        self.inp = nn.Sequential(nn.Conv2d(c, m, 1, bias=False), nn.BatchNorm2d(m), nn.ReLU())
        self.red = nn.Sequential(nn.Conv2d(m, r, 1, bias=False), nn.BatchNorm2d(r))
        self.mconv = nn.Conv2d(r, r, 3, 1, 1, groups=r, bias=False)
        self.exp = nn.Sequential(nn.Conv2d(r, m, 1, bias=False), nn.BatchNorm2d(m))
        g = m // 4
        self.tconv = nn.ModuleList([nn.Conv1d(g, g, 3, 1, 1, groups=g, bias=False) for _ in range(3)])
        self.sconv = nn.ModuleList([nn.Conv2d(g, g, 3, 1, 1, bias=False) for _ in range(3)])
        self.mbn = nn.BatchNorm2d(m)
        self.out = nn.Sequential(nn.Conv2d(m, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bt, _, hh, ww = x.shape
        b = bt // self.t
        y = self.inp(x)
        r = self.red(y).view(b, self.t, -1, hh, ww)
        diff = self.mconv(r[:, 1:].reshape(-1, r.shape[2], hh, ww)).view(b, self.t - 1, -1, hh, ww) - r[:, :-1]
        diff = torch.cat([diff, torch.zeros_like(r[:, :1])], 1).reshape(bt, -1, hh, ww)
        a = torch.sigmoid(self.exp(F.adaptive_avg_pool2d(diff, 1)))
        y = y + y * a
        groups, prev, outs = y.chunk(4, 1), None, []
        for i, gi in enumerate(groups):
            if i == 0:
                prev = gi
            else:
                gc = gi.shape[1]
                z = gi + prev
                z = z.view(b, self.t, gc, hh, ww).permute(0, 3, 4, 2, 1).reshape(-1, gc, self.t)
                z = self.tconv[i - 1](z).view(b, hh, ww, gc, self.t).permute(0, 4, 3, 1, 2).reshape(bt, gc, hh, ww)
                prev = self.sconv[i - 1](z)
            outs.append(prev)
        y = F.relu(self.mbn(torch.cat(outs, 1)))
        return F.relu(x + self.out(y))


class TEA(nn.Module):
    """TEA (Li et al. 2020), narrowed: a per-frame 2D ResNet stem (3x3 conv of 32 at stride 2, BN, ReLU: 8x8 maps),
    two :class:`TEABlock`, a 3x3 stride-2 conv of 64 with BN and ReLU, spatial average pooling, the frames' scores
    averaged (TSN's consensus), a Linear head; Kaiming-normal convs as torchvision's ResNet."""

    def __init__(self, frames: int = 4, classes: int = 4, c: int = 32) -> None:
        super().__init__()
        self.t = frames
        self.stem = nn.Sequential(nn.Conv2d(1, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
        self.blocks = nn.Sequential(TEABlock(c, frames), TEABlock(c, frames))
        self.down = nn.Sequential(nn.Conv2d(c, 2 * c, 3, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.ReLU())
        self.fc = nn.Linear(2 * c, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape[:2]
        f = self.down(self.blocks(self.stem(x.reshape(b * t, *x.shape[2:]))))
        return self.fc(f.mean((2, 3))).view(b, t, -1).mean(1)


def _knn(q: torch.Tensor, p: torch.Tensor, k: int) -> torch.Tensor:
    """Indices ``(b, m, k)`` of the ``k`` points of ``p (b, n, 3)`` nearest each of ``q (b, m, 3)``."""
    return torch.cdist(q, p).topk(k, largest=False).indices


def _gather(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    b = x.shape[0]
    return x[torch.arange(b)[:, None, None], idx]


class XConv(nn.Module):
    """PointCNN's X-Conv (Li et al. 2018): for each representative point its ``k`` nearest neighbours in local
    coordinates, lifted to ``c_delta`` features by a two-layer MLP (Linear - BN - ELU), concatenated with the
    neighbours' features; the X-transformation, a ``k x k`` matrix learned from the local coordinates by an MLP
    (Linear - ELU - Linear), applied to the stacked features; then the convolution, a Linear over the ``k`` transformed
    rows (the paper's separable conv as one dense layer here), BN, ELU."""

    def __init__(self, cin: int, cout: int, k: int = 8, c_delta: int = 16) -> None:
        super().__init__()
        self.k = k
        self.lift = nn.Sequential(nn.Linear(3, c_delta), nn.BatchNorm1d(c_delta), nn.ELU(),
                                  nn.Linear(c_delta, c_delta), nn.BatchNorm1d(c_delta), nn.ELU())
        self.xmat = nn.Sequential(nn.Linear(3 * k, k * k), nn.ELU(), nn.Linear(k * k, k * k))
        self.conv = nn.Linear(k * (c_delta + cin), cout)
        self.bn = nn.BatchNorm1d(cout)

    def forward(self, rep: torch.Tensor, pts: torch.Tensor, feat: torch.Tensor | None) -> torch.Tensor:
        b, m, _ = rep.shape
        idx = _knn(rep, pts, self.k)
        local = _gather(pts, idx) - rep[:, :, None]  # (b, m, k, 3)
        lifted = self.lift(local.reshape(-1, 3)).reshape(b, m, self.k, -1)
        fstar = lifted if feat is None else torch.cat([lifted, _gather(feat, idx)], -1)
        x = self.xmat(local.reshape(b, m, -1)).reshape(b, m, self.k, self.k)
        fx = x @ fstar  # (b, m, k, c)
        out = self.conv(fx.reshape(b * m, -1))
        return F.elu(self.bn(out)).reshape(b, m, -1)


class PointCNN(nn.Module):
    """PointCNN (Li et al. 2018), narrowed: two :class:`XConv` layers (all 64 points to 32 features, then 16
    representative points, the first 16 of the random order, to 64), the representative points' features averaged,
    the classifier MLP (Linear 64 - BN - ELU, dropout 0.5 as the reference's, Linear to the classes); ``head_layers``:
    the classifier a plain stack of that many Linear 64 - ReLU layers at PyTorch's default init, no BN (the depth
    common)."""

    def __init__(self, classes: int = 4, head_layers: int = 0) -> None:
        super().__init__()
        self.x1, self.x2 = XConv(0, 32), XConv(32, 64)
        if head_layers:
            mods: list[nn.Module] = []
            for _ in range(head_layers):
                mods += [nn.Linear(64, 64), nn.ReLU()]
            self.head = nn.Sequential(*mods, nn.Linear(64, classes))
        else:
            self.head = nn.Sequential(nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ELU(), nn.Dropout(0.5),
                                      nn.Linear(64, classes))

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        f1 = self.x1(p, p, None)
        rep = p[:, :16]
        f2 = self.x2(rep, p, f1)
        return self.head(f2.mean(1))


class CCA(nn.Module):
    """IMDN's contrast-aware channel attention: each channel's standard deviation plus mean, a 1x1 squeeze (4-fold)
    - ReLU - 1x1 excite - sigmoid."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.fc = nn.Sequential(nn.Conv2d(c, c // 4, 1), nn.ReLU(), nn.Conv2d(c // 4, c, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean((2, 3), keepdim=True)
        std = (x - mean).pow(2).mean((2, 3), keepdim=True).sqrt()
        return x * self.fc(std + mean)


class IMDB(nn.Module):
    """IMDN's information multi-distillation block: four 3x3 convs, after each of the first three the channels
    split into a distilled quarter (kept) and the rest (passed on), LeakyReLU(0.05); the four distilled parts
    concatenated, :class:`CCA`, a 1x1 conv, the block's input added."""

    def __init__(self, c: int = 32) -> None:
        super().__init__()
        d, r = c // 4, c - c // 4
        self.c1, self.c2, self.c3 = nn.Conv2d(c, c, 3, 1, 1), nn.Conv2d(r, c, 3, 1, 1), nn.Conv2d(r, c, 3, 1, 1)
        self.c4 = nn.Conv2d(r, d, 3, 1, 1)
        self.d = d
        self.cca = CCA(4 * d)
        self.fuse = nn.Conv2d(4 * d, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = nn.functional.leaky_relu
        d1, r1 = act(self.c1(x), 0.05).split([self.d, x.shape[1] - self.d], 1)
        d2, r2 = act(self.c2(r1), 0.05).split([self.d, x.shape[1] - self.d], 1)
        d3, r3 = act(self.c3(r2), 0.05).split([self.d, x.shape[1] - self.d], 1)
        d4 = self.c4(r3)
        return self.fuse(self.cca(torch.cat([d1, d2, d3, d4], 1))) + x


class IMDN(nn.Module):
    """IMDN (Hui et al. 2019), narrowed: a 3x3 conv to 32, two :class:`IMDB`, their outputs concatenated and fused
    by a 1x1 conv with LeakyReLU(0.05), a 3x3 conv, the shallow features added, the upsampler a 3x3 conv to
    ``3 * 2^2`` channels and a pixel shuffle (x2). ``shuffle_view``: the pixel shuffle written as
    ``y.reshape(b, 3, 2 * h, 2 * w)`` (the slip: every shape valid, the 2x2 sub-pixel grid laid out as whole
    low-resolution maps side by side)."""

    def __init__(self, c: int = 32, blocks: int = 2, shuffle_view: bool = False) -> None:
        super().__init__()
        self.head = nn.Conv2d(3, c, 3, 1, 1)
        self.blocks = nn.ModuleList([IMDB(c) for _ in range(blocks)])
        self.fuse = nn.Conv2d(blocks * c, c, 1)
        self.lr_conv = nn.Conv2d(c, c, 3, 1, 1)
        self.up = nn.Conv2d(c, 3 * 4, 3, 1, 1)
        self.shuffle_view = shuffle_view

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.head(x)
        h, outs = s, []
        for blk in self.blocks:
            h = blk(h)
            outs.append(h)
        h = self.lr_conv(F.leaky_relu(self.fuse(torch.cat(outs, 1)), 0.05)) + s
        y = self.up(h)
        b, _, hh, ww = y.shape
        return y.reshape(b, 3, 2 * hh, 2 * ww) if self.shuffle_view else F.pixel_shuffle(y, 2)


class SimCC(nn.Module):
    """SimCC (Li et al. 2022) on a SimpleBaseline-style backbone, narrowed: three 3x3 conv - BN - ReLU (32 channels,
    the second at stride 2: 8x8 maps), a 1x1 conv to one map a keypoint, each keypoint's map flattened to 64 and
    classified by two shared Linear heads into 32 x-bins and 32 y-bins (splitting factor 2). ``bn_bias``: every
    BatchNorm's shift set to that value before its ReLU (the activation common)."""

    def __init__(self, k: int = 3, c: int = 32, bins: int = 32, bn_bias: float | None = None) -> None:
        super().__init__()
        self.k = k
        self.backbone = nn.Sequential(nn.Conv2d(3, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                      nn.Conv2d(c, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                      nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
        self.kp = nn.Conv2d(c, k, 1)
        self.hx, self.hy = nn.Linear(64, bins), nn.Linear(64, bins)
        if bn_bias is not None:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.bias, bn_bias)

    def forward(self, x: torch.Tensor) -> Any:
        f = self.kp(self.backbone(x)).flatten(2)  # (b, k, 64)
        return self.hx(f), self.hy(f)


def simcc_loss(manual: bool = False) -> Callable[[Any, Any], torch.Tensor]:
    """SimCC's KL-divergence loss between each axis's predicted distribution (softmax) and its Gaussian label
    distribution, summed over the bins and averaged over keypoints and images (the reference's ``KLDiscretLoss``
    through ``nn.KLDivLoss``); ``manual``: the KL written out as ``(t * (t.log() - log_softmax)).sum(-1)`` (the numeric
    common: the label distributions hold exact zeros far from each keypoint, where ``exp`` underflows, and
    ``0 * log 0 = 0 * -inf`` is NaN)."""
    def kl(logits: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        logp = logits.log_softmax(-1)
        if manual:
            return (t * (t.log() - logp)).sum(-1).mean()
        return F.kl_div(logp, t, reduction="none").sum(-1).mean()

    def loss(out: Any, target: Any) -> torch.Tensor:
        return kl(out[0], target[0]) + kl(out[1], target[1])
    return loss


# ---- builders --------------------------------------------------------------------------------------------------------

def vim(seed: int, lr: float = 1e-3, init_std: float | None = None, positive_state: bool = False) -> Setup:
    """Vision Mamba on the colour templates (10 classes, batch 16), cross-entropy, AdamW at weight decay 0.05 (the
    paper's DeiT recipe) and lr 1e-3 (its 5e-4 is for batch 512 over 300 epochs); ``init_std``: every conv and Linear
    weight N(0, init_std^2); ``positive_state``: see :class:`MambaMixer`."""
    torch.manual_seed(SEED0 + seed)
    model = VisionMamba(positive_state=positive_state)
    if init_std is not None:
        _normal_init(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    return _xy(model, opt, class_images(seed, 1), F.cross_entropy)


def nat(seed: int, lr: float = 1e-3, weight_decay: float = 0.05) -> Setup:
    """NAT on the colour templates of a second set (10 classes, batch 16), cross-entropy, AdamW at the paper's lr
    1e-3 and weight decay 0.05 (its warm-up and cosine over 300 epochs left out)."""
    torch.manual_seed(SEED0 + seed)
    model = NAT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, class_images(seed, 2), F.cross_entropy)


def gfl(seed: int, lr: float = 0.01, flatten_nchw: bool = False) -> Setup:
    """GFL on the one-object images (batch 16), :func:`gfl_loss`, SGD at the paper's lr 0.01, momentum 0.9 and
    weight decay 1e-4 (its 500-step warm-up left out); ``flatten_nchw``: see :class:`GFL`."""
    torch.manual_seed(SEED0 + seed)
    model = GFL(flatten_nchw=flatten_nchw)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, detection_images(seed), gfl_loss)


def lednet_flat_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The per-pixel cross-entropy with the logits flattened by ``logits.reshape(-1, classes)`` where
    ``logits.permute(0, 2, 3, 1).reshape(-1, classes)`` was meant (the slip: each pixel's row holds three values of
    one class map at other pixels)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[1]), labels.reshape(-1))


def lednet(seed: int, lr: float = 2e-3, norm: bool = True, nhwc_reshaped: bool = False,
           flat_logits: bool = False) -> Setup:
    """LEDNet on the shape images (3 classes a pixel, batch 16), cross-entropy, Adam at weight decay 1e-4 as the
    paper and lr 2e-3 (its 5e-4 is for 200+ epochs of Cityscapes); ``norm=False``: every BatchNorm removed;
    ``nhwc_reshaped``: see :func:`segmentation_images`; ``flat_logits``: see :func:`lednet_flat_loss`."""
    torch.manual_seed(SEED0 + seed)
    model = LEDNet()
    if not norm:
        _no_norm(model)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    loss = lednet_flat_loss if flat_logits else F.cross_entropy
    return _xy(model, opt, segmentation_images(seed, nhwc_reshaped=nhwc_reshaped), loss)


def tea(seed: int, lr: float = 0.05, norm: bool = True, shuffled: bool = False) -> Setup:
    """TEA on the moving-blob clips (4 directions, batch 16), cross-entropy, SGD at momentum 0.9 and weight decay
    5e-4 as the paper, at lr 0.05 (its 0.01 is for batch 64 over 50 epochs; at 0.01 it had not learned in 200
    steps); ``norm=False``: every BatchNorm removed; ``shuffled``: see :func:`moving_blobs`."""
    torch.manual_seed(SEED0 + seed)
    model = TEA()
    if not norm:
        _no_norm(model)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, moving_blobs(seed, shuffled=shuffled), F.cross_entropy)


def pointcnn(seed: int, lr: float = 1e-2, head_layers: int = 0, scale: float = 1.0, norm: bool = True) -> Setup:
    """PointCNN on the surface point clouds (4 classes, batch 16), cross-entropy, Adam at the reference code's lr
    0.01 (its decay every 8,000 steps never reached); ``head_layers``: see :class:`PointCNN`; ``scale``: see
    :func:`point_clouds`; ``norm=False``: every BatchNorm removed."""
    torch.manual_seed(SEED0 + seed)
    model = PointCNN(head_layers=head_layers)
    if not norm:
        _no_norm(model)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, point_clouds(seed, scale=scale), F.cross_entropy)


def imdn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False, shuffle_view: bool = False,
         nhwc_reshaped: bool = False) -> Setup:
    """IMDN on the x2 super-resolution pairs (batch 16), the paper's L1 loss, Adam betas (0.9, 0.999) at lr 1e-3
    (its 2e-4 is halved every 200 epochs of DIV2K); ``adamw``: AdamW at ``weight_decay``; ``shuffle_view``: see
    :class:`IMDN`; ``nhwc_reshaped``: see :func:`sr_pairs`."""
    torch.manual_seed(SEED0 + seed)
    model = IMDN(shuffle_view=shuffle_view)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sr_pairs(seed, nhwc_reshaped=nhwc_reshaped), F.l1_loss)


def simcc(seed: int, lr: float = 1e-3, bn_bias: float | None = None, manual_kl: bool = False,
          shuffled: bool = False) -> Setup:
    """SimCC on the keypoint images (3 keypoints, batch 16), :func:`simcc_loss`, Adam at the reference lr 1e-3;
    ``bn_bias``: see :class:`SimCC`; ``manual_kl``: see :func:`simcc_loss`; ``shuffled``: see
    :func:`keypoint_images`."""
    torch.manual_seed(SEED0 + seed)
    model = SimCC(bn_bias=bn_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, keypoint_images(seed, shuffled=shuffled), simcc_loss(manual=manual_kl))
