"""Builders of the ninetieth held-out batch (``fresh89.py``): vision architectures new to the corpus (classification,
detection, segmentation, video, low-level vision) at their usual settings, and broken variants with one real fault
each, plus the small data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was
run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(890_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8900 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16, classes: int = 10, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``; ``shuffled``: the labels permuted within every batch, apart from their images."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def noisy_fields(seed: int, batch: int = 8, size: int = 16, sigma: tuple[float, float] = (0.3, 0.3),
                 permuted: bool = False) -> Callable[[int], Any]:
    """Denoising pairs: smooth random grey-level fields (6x6 Gaussian values stretched bilinearly to 16x16) plus
    white noise of a per-image level drawn from ``sigma``: ``((noisy (b, 1, 16, 16), level (b,)), clean)``;
    ``permuted``: the clean targets permuted within every batch, apart from their noisy inputs."""
    def make(g: torch.Generator, _: int) -> Any:
        clean = F.interpolate(torch.randn(batch, 1, 6, 6, generator=g), size=(size, size), mode="bilinear",
                              align_corners=False)
        level = sigma[0] + (sigma[1] - sigma[0]) * torch.rand(batch, generator=g)
        noisy = clean + level[:, None, None, None] * torch.randn(clean.shape, generator=g)
        return (noisy, level), clean[torch.randperm(batch, generator=g)] if permuted else clean
    return _pool(seed, make)


def videos(seed: int, batch: int = 16, frames: int = 8, size: int = 16, classes: int = 4) -> Callable[[int], Any]:
    """Clips of 8 frames: a fixed smooth 3x16x16 template per class (4 classes) drifting by a random step of -1, 0 or
    1 pixel a frame on each axis (wrapped) from a random offset, plus N(0, 0.8^2) noise: ``(clips (b, 3, 8, 16, 16),
    class (b,))``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(2)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        start = torch.randint(0, size, (batch, 2), generator=g)
        step = torch.randint(-1, 2, (batch, 2), generator=g)
        x = torch.empty(batch, 3, frames, size, size)
        for i in range(batch):
            for t in range(frames):
                sh = (int(start[i, 0] + t * step[i, 0]), int(start[i, 1] + t * step[i, 1]))
                x[i, :, t] = torch.roll(templates[y[i]], sh, dims=(1, 2))
        return x + 0.8 * torch.randn(x.shape, generator=g), y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 8, size: int = 32) -> Callable[[int], Any]:
    """Segmentation scenes of 3 classes: a background texture, one rectangle (class 1, brighter in the red channel)
    and one disc (class 2, brighter in the green channel, painted over the rectangle), sides and diameters 8 to 16,
    plus N(0, 0.5^2) noise: ``(images (b, 3, 32, 32), masks (b, 32, 32))``."""
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        x = 0.5 * torch.randn(batch, 3, size, size, generator=g)
        m = torch.zeros(batch, size, size, dtype=torch.long)
        for i in range(batch):
            w, h = (int(v) for v in torch.randint(8, 17, (2,), generator=g))
            x0, y0 = int(torch.randint(0, size - w + 1, (1,), generator=g)), int(
                torch.randint(0, size - h + 1, (1,), generator=g))
            m[i, y0:y0 + h, x0:x0 + w] = 1
            r = float(torch.randint(4, 9, (1,), generator=g))
            cx, cy = (float(v) for v in torch.randint(0, size, (2,), generator=g))
            m[i][(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = 2
        x[:, 0] += 1.5 * (m == 1).float()
        x[:, 1] += 1.5 * (m == 2).float()
        return x, m
    return _pool(seed, make)


# ---- detection data: a small RPN's anchors and their matches ---------------------------------------------------------

def rpn_anchors(feat: int = 8, stride: int = 4, sizes: tuple[int, ...] = (8, 12, 16)) -> torch.Tensor:
    """Square anchors ``(x1, y1, x2, y2)`` of three sizes centred on every cell of the 8x8 map of stride 4, ordered
    (cell row, cell column, size) like the head's outputs: ``(192, 4)``."""
    c = torch.arange(feat).float() * stride + stride / 2
    cy, cx = torch.meshgrid(c, c, indexing="ij")
    s = torch.tensor(sizes).float()
    ctr = torch.stack([cx, cy], -1)[:, :, None, :].expand(feat, feat, len(sizes), 2)
    half = (s / 2)[None, None, :, None].expand(feat, feat, len(sizes), 2)
    return torch.cat([ctr - half, ctr + half], -1).reshape(-1, 4)


def _iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    return inter / (area_a[:, None] + area_b[None] - inter).clamp(min=1e-9)


def boxes(seed: int, batch: int = 16, size: int = 32, max_objects: int = 2) -> Callable[[int], Any]:
    """Detection images: N(0, 0.5^2) noise with one or two filled rectangles (sides 6 to 16, value 1.5 on every
    channel); the first image of every batch is background only (a negative image). Each image's ground truth is
    padded to two boxes with the zero box ``(0, 0, 0, 0)``. Faster R-CNN's RPN matching: an anchor is positive at an
    IoU of 0.5 or more, or as a box's best anchor, negative below 0.3, ignored between; each anchor's matched box is the
    ground-truth (or padding) box of its highest IoU, the first for ties: ``(images, (labels (b, 192) in {1, 0, -1},
    matched boxes (b, 192, 4)))``."""
    anchors = rpn_anchors()

    def make(g: torch.Generator, _: int) -> Any:
        x = 0.5 * torch.randn(batch, 3, size, size, generator=g)
        labels = torch.zeros(batch, anchors.shape[0])
        matched = torch.zeros(batch, anchors.shape[0], 4)
        for i in range(batch):
            n = 0 if i == 0 else int(torch.randint(1, max_objects + 1, (1,), generator=g))
            gt = torch.zeros(max_objects, 4)
            for k in range(n):
                w, h = (int(v) for v in torch.randint(6, 17, (2,), generator=g))
                x0 = int(torch.randint(0, size - w + 1, (1,), generator=g))
                y0 = int(torch.randint(0, size - h + 1, (1,), generator=g))
                x[i, :, y0:y0 + h, x0:x0 + w] += 1.5
                gt[k] = torch.tensor([x0, y0, x0 + w, y0 + h]).float()
            iou = _iou(anchors, gt)
            best, idx = iou.max(1)
            lab = torch.full((anchors.shape[0],), -1.0)
            lab[best < 0.3] = 0.0
            lab[best >= 0.5] = 1.0
            for k in range(n):
                lab[iou[:, k] == iou[:, k].max()] = 1.0
                idx[iou[:, k] == iou[:, k].max()] = k
            labels[i], matched[i] = lab, gt[idx]
        return x, (labels, matched)
    return _pool(seed, make)


def encode(anchors: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Faster R-CNN's box deltas ``(dx, dy, dw, dh)`` of ``gt`` against ``anchors`` (weights 1)."""
    aw, ah = anchors[..., 2] - anchors[..., 0], anchors[..., 3] - anchors[..., 1]
    ax, ay = anchors[..., 0] + aw / 2, anchors[..., 1] + ah / 2
    gw, gh = gt[..., 2] - gt[..., 0], gt[..., 3] - gt[..., 1]
    gx, gy = gt[..., 0] + gw / 2, gt[..., 1] + gh / 2
    return torch.stack([(gx - ax) / aw, (gy - ay) / ah, torch.log(gw / aw), torch.log(gh / ah)], -1)


# ---- models ----------------------------------------------------------------------------------------------------------

class REDNet(nn.Module):
    """RED-Net (Mao et al. 2016), narrowed to RED10 of 32 channels: five 3x3 convolutions and five mirrored 3x3
    deconvolutions (stride 1, padded), ReLUs, the symmetric skips every two layers (the input image to the output, the
    second conv's features to the third deconv's, the fourth's to the first's: element-wise sums, followed by ReLU
    inside the network; the output sum without one, for zero-mean images). ``init_std``: every weight drawn
    ``N(0, init_std^2)``; ``multiply_skips``: every skip junction written ``deconv(h) * skip`` where ``+`` belongs."""

    def __init__(self, width: int = 32, init_std: float | None = None, multiply_skips: bool = False) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(1 if i == 0 else width, width, 3, padding=1) for i in range(5)])
        self.deconvs = nn.ModuleList([nn.ConvTranspose2d(width, 1 if i == 4 else width, 3, padding=1)
                                      for i in range(5)])
        self.multiply = multiply_skips
        if init_std is not None:
            for p in self.parameters():
                if p.dim() > 1:
                    nn.init.normal_(p, 0.0, init_std)

    def _join(self, a: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return a * skip if self.multiply else a + skip

    def forward(self, inp: Any) -> torch.Tensor:
        x = inp[0]
        feats = [x]
        h = x
        for conv in self.convs:
            h = F.relu(conv(h))
            feats.append(h)
        for i, deconv in enumerate(self.deconvs):
            h = deconv(h)
            mirror = 4 - i  # the encoder state this deconv's output mirrors
            if i == 4:
                return self._join(h, feats[0])
            h = F.relu(self._join(h, feats[mirror])) if mirror % 2 == 0 else F.relu(h)
        raise AssertionError


class FFDNet(nn.Module):
    """FFDNet (Zhang et al. 2018), narrowed to 8 layers of 32: the noisy image reversibly down-sampled into four
    sub-images (pixel unshuffle by 2), the noise-level map concatenated, ``conv + ReLU``, six ``conv + BatchNorm +
    ReLU``, a last conv to four sub-images and the pixel shuffle back (the clean image predicted directly, without
    residual learning, as the paper). ``bn_shift``: every BatchNorm's shift (beta) set to this value; ``bn``: False
    replaces the BatchNorms by the identity (the convs then with biases)."""

    def __init__(self, width: int = 32, layers: int = 8, bn_shift: float | None = None, bn: bool = True) -> None:
        super().__init__()
        mods: list[nn.Module] = [nn.Conv2d(5, width, 3, padding=1), nn.ReLU()]
        for _ in range(layers - 2):
            norm: nn.Module = nn.BatchNorm2d(width) if bn else nn.Identity()
            if bn_shift is not None and isinstance(norm, nn.BatchNorm2d):
                nn.init.constant_(norm.bias, bn_shift)
            mods += [nn.Conv2d(width, width, 3, padding=1, bias=not bn), norm, nn.ReLU()]
        mods.append(nn.Conv2d(width, 4, 3, padding=1))
        self.body = nn.Sequential(*mods)

    def forward(self, inp: Any) -> torch.Tensor:
        x, level = inp
        sub = F.pixel_unshuffle(x, 2)
        m = level[:, None, None, None].expand(-1, 1, *sub.shape[2:])
        return F.pixel_shuffle(self.body(torch.cat([sub, m], 1)), 2)


class SkipInitBlock(nn.Module):
    """A SkipInit residual block (De & Smith 2020): no normalization, ``x + alpha * conv(relu(conv(relu(x))))`` with
    the scalar ``alpha`` initialised to 0 (a 1x1 strided conv on the shortcut where the shape changes);
    ``shortcut=False``: the branch alone (no shortcut, no alpha: a plain stack)."""

    def __init__(self, cin: int, cout: int, stride: int, alpha: float, shortcut: bool, multiply: bool = False
                 ) -> None:
        super().__init__()
        self.multiply = multiply
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.proj = nn.Conv2d(cin, cout, 1, stride) if (stride != 1 or cin != cout) else None
        self.shortcut = shortcut
        self.alpha = nn.Parameter(torch.tensor(float(alpha))) if shortcut else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(F.relu(self.conv1(F.relu(x))))
        if not self.shortcut:
            return out
        identity = x if self.proj is None else self.proj(x)
        return identity * (self.alpha * out) if self.multiply else identity + self.alpha * out


class SkipInitResNet(nn.Module):
    """A norm-free SkipInit ResNet: a 3x3 stem of 16, three stages of ``blocks`` blocks (16, 32, 64 wide, the last two
    stages starting with stride 2), ReLU, global average pooling and a Linear. He-normal init (fan-in) on the convs,
    as the paper. ``alpha``: the SkipInit scalars' initial value; ``shortcut=False``: every block's shortcut (and
    alpha) left out, the convs at PyTorch's default init."""

    def __init__(self, blocks: int = 4, classes: int = 10, alpha: float = 0.0, shortcut: bool = True,
                 multiply: bool = False) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        layers, cin = [], 16
        for i, w in enumerate((16, 32, 64)):
            for j in range(blocks):
                layers.append(SkipInitBlock(cin, w, 2 if (j == 0 and i > 0) else 1, alpha, shortcut, multiply))
                cin = w
        self.blocks = nn.Sequential(*layers)
        self.head = nn.Linear(64, classes)
        if shortcut:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.relu(self.blocks(self.stem(x))).mean((2, 3)))


class ConvGRUCell(nn.Module):
    """A convolutional GRU cell (3x3 kernels) in the paper's form ``h = (1 - z) h + z h~``: ``z`` the update gate,
    ``r`` the reset gate, ``h~ = tanh(W x + U (r h))``."""

    def __init__(self, cin: int, hidden: int, gate_bias: float = 0.0) -> None:
        super().__init__()
        self.wx = nn.Conv2d(cin, 3 * hidden, 3, padding=1)
        self.uh = nn.Conv2d(hidden, 2 * hidden, 3, padding=1, bias=False)
        self.un = nn.Conv2d(hidden, hidden, 3, padding=1, bias=False)
        self.hidden = hidden
        with torch.no_grad():
            self.wx.bias[:hidden].fill_(gate_bias)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xz, xr, xn = self.wx(x).split(self.hidden, 1)
        hz, hr = self.uh(h).split(self.hidden, 1)
        z, r = torch.sigmoid(xz + hz), torch.sigmoid(xr + hr)
        return (1 - z) * h + z * torch.tanh(xn + self.un(r * h))


class GRURCN(nn.Module):
    """GRU-RCN (Ballas et al. 2016), narrowed: a per-frame conv encoder (3x3 convs of 8 and 16, ReLU, the second of
    stride 2: 8x8 maps), a ConvGRU of 16 over the 8 frames from a zero state, average pooling of the last state and a
    Linear. ``gate_bias``: the update gate's initial bias (0 by default, PyTorch's init otherwise)."""

    def __init__(self, classes: int = 4, hidden: int = 16, gate_bias: float = 0.0) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, 2, 1), nn.ReLU())
        self.cell = ConvGRUCell(16, hidden, gate_bias)
        self.head = nn.Linear(hidden, classes)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        b, _, t = clips.shape[:3]
        feats = self.enc(clips.transpose(1, 2).flatten(0, 1)).unflatten(0, (b, t))
        h = feats.new_zeros(b, self.cell.hidden, *feats.shape[3:])
        for i in range(t):
            h = self.cell(feats[:, i], h)
        return self.head(h.mean((2, 3)))


class InceptionDW(nn.Module):
    """InceptionNeXt's token mixer: the channels split into an identity part and three depthwise branches (a 3x3
    square, a 1x11 and an 11x1 band, ``branch_ratio`` 0.125 each)."""

    def __init__(self, dim: int, band: int = 11, ratio: float = 0.125) -> None:
        super().__init__()
        gc = int(dim * ratio)
        self.hw = nn.Conv2d(gc, gc, 3, padding=1, groups=gc)
        self.w = nn.Conv2d(gc, gc, (1, band), padding=(0, band // 2), groups=gc)
        self.h = nn.Conv2d(gc, gc, (band, 1), padding=(band // 2, 0), groups=gc)
        self.split = (dim - 3 * gc, gc, gc, gc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xi, xhw, xw, xh = torch.split(x, self.split, 1)
        return torch.cat([xi, self.hw(xhw), self.w(xw), self.h(xh)], 1)


class MetaNeXtBlock(nn.Module):
    """``x + gamma * mlp(bn(mixer(x)))``: an InceptionNeXt block, ConvMLP of 4x with GELU, layer scale 1e-6."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.mixer = InceptionDW(dim)
        self.norm = nn.BatchNorm2d(dim)
        self.mlp = nn.Sequential(nn.Conv2d(dim, 4 * dim, 1), nn.GELU(), nn.Conv2d(4 * dim, dim, 1))
        self.gamma = nn.Parameter(torch.full((dim,), 1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.gamma[:, None, None] * self.mlp(self.norm(self.mixer(x)))


class InceptionNeXt(nn.Module):
    """InceptionNeXt (Yu et al. 2023), narrowed: a 2x2 stride-2 stem (conv + BatchNorm) to 8x8 of 32, two blocks, a
    BatchNorm + 2x2 stride-2 conv down-sampling to 4x4 of 64, two blocks, average pooling and the MLP head (Linear to
    3x, GELU, LayerNorm, Linear); truncated-normal 0.02 on the convs and Linears, zero biases (the reference code's)."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 2, 2), nn.BatchNorm2d(32))
        self.stage1 = nn.Sequential(MetaNeXtBlock(32), MetaNeXtBlock(32))
        self.down = nn.Sequential(nn.BatchNorm2d(32), nn.Conv2d(32, 64, 2, 2))
        self.stage2 = nn.Sequential(MetaNeXtBlock(64), MetaNeXtBlock(64))
        self.head = nn.Sequential(nn.Linear(64, 192), nn.GELU(), nn.LayerNorm(192), nn.Linear(192, classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stage2(self.down(self.stage1(self.stem(x)))).mean((2, 3)))


class RPN(nn.Module):
    """Faster R-CNN's region proposal network (Ren et al. 2015) on a small conv backbone (3x3 convs of 16, 32, 32,
    ReLU, the last two of stride 2: an 8x8 map of stride 4): the head's 3x3 conv of 32 and ReLU, a 1x1 objectness
    logit per anchor (3 sizes) and 1x1 box deltas (4 per anchor); the head's weights N(0, 0.01^2), biases 0, as
    torchvision's ``RPNHead``."""

    def __init__(self, anchors: int = 3, init_std: float | None = None) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
                                      nn.Conv2d(32, 32, 3, 2, 1), nn.ReLU())
        self.conv = nn.Conv2d(32, 32, 3, padding=1)
        self.cls = nn.Conv2d(32, anchors, 1)
        self.reg = nn.Conv2d(32, 4 * anchors, 1)
        for m in (self.conv, self.cls, self.reg):
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)
        if init_std is not None:
            for p in self.parameters():
                if p.dim() > 1:
                    nn.init.normal_(p, 0.0, init_std)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.conv(self.backbone(x)))
        b = x.shape[0]
        logits = self.cls(h).permute(0, 2, 3, 1).reshape(b, -1)
        deltas = self.reg(h).permute(0, 2, 3, 1).reshape(b, -1, 4)
        return logits, deltas


def rpn_loss(anchors: torch.Tensor, masked_everywhere: bool = False) -> Callable[[Any, Any], torch.Tensor]:
    """The RPN's loss: binary cross-entropy of the objectness over the labelled anchors (mean), plus the smooth-L1
    (beta 1/9) of the positive anchors' box deltas, summed and divided by the labelled anchors' count (torchvision's
    normalisation; its sampling of 256 anchors an image left out). ``masked_everywhere``: the deltas' targets encoded
    for every anchor against its matched box and the box term multiplied by the positive mask."""
    def loss(out: Any, target: Any) -> torch.Tensor:
        logits, deltas = out
        labels, matched = target
        valid, pos = labels >= 0, labels > 0
        cls = F.binary_cross_entropy_with_logits(logits[valid], labels[valid])
        if masked_everywhere:
            t = encode(anchors.expand_as(matched), matched)
            box = (F.smooth_l1_loss(deltas, t, beta=1 / 9, reduction="none") * pos[..., None]).sum()
        else:
            t = encode(anchors.expand_as(matched)[pos], matched[pos])
            box = F.smooth_l1_loss(deltas[pos], t, beta=1 / 9, reduction="sum")
        return cls + box / valid.sum()
    return loss


class BasicBlock(nn.Module):
    """A ResNet basic block (3x3 conv, BatchNorm, ReLU, 3x3 conv, BatchNorm, plus the shortcut, ReLU)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + self.down(x))


class CRP(nn.Module):
    """Light-Weight RefineNet's chained residual pooling: ``x = relu(x)``, then four times ``top = conv1x1(maxpool5x5
    (top)); x = x + top``."""

    def __init__(self, dim: int, stages: int = 4) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(dim, dim, 1, bias=False) for _ in range(stages)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(x)
        top = x
        for conv in self.convs:
            top = conv(F.max_pool2d(top, 5, 1, 2))
            x = x + top
        return x


class LWRefineNet(nn.Module):
    """Light-Weight RefineNet (Nekrasov et al. 2018), narrowed: a ResNet encoder (a 3x3 stem of 16 with BatchNorm
    and ReLU, three basic blocks of 16, 32, 64 at strides 2: 16x16, 8x8, 4x4), and the light-weight decoder: each
    level's 1x1 conv to 32, the coarser level's output up-sampled bilinearly and summed in, chained residual pooling,
    a 1x1 conv; a 3x3 classifier on the finest level, up-sampled to the image."""

    def __init__(self, classes: int = 3, dim: int = 32) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.l1, self.l2, self.l3 = BasicBlock(16, 16, 2), BasicBlock(16, 32, 2), BasicBlock(32, 64, 2)
        self.p1, self.p2, self.p3 = (nn.Conv2d(c, dim, 1, bias=False) for c in (16, 32, 64))
        self.crp1, self.crp2, self.crp3 = CRP(dim), CRP(dim), CRP(dim)
        self.a2, self.a3 = nn.Conv2d(dim, dim, 1, bias=False), nn.Conv2d(dim, dim, 1, bias=False)
        self.cls = nn.Conv2d(dim, classes, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f1 = self.l1(self.stem(x))
        f2 = self.l2(f1)
        f3 = self.l3(f2)
        h = self.a3(self.crp3(self.p3(f3)))
        h = F.interpolate(h, size=f2.shape[2:], mode="bilinear", align_corners=False)
        h = self.a2(self.crp2(self.p2(f2) + h))
        h = F.interpolate(h, size=f1.shape[2:], mode="bilinear", align_corners=False)
        h = self.cls(self.crp1(self.p1(f1) + h))
        return F.interpolate(h, size=x.shape[2:], mode="bilinear", align_corners=False)


class CSNBlock(nn.Module):
    """An ir-CSN bottleneck (Tran et al. 2019): 1x1x1 conv, BatchNorm, ReLU, a 3x3x3 depthwise (channel-separated)
    conv, BatchNorm, ReLU, 1x1x1 conv, BatchNorm (its scale zero-initialised, PySlowFast's ``ZERO_INIT_FINAL_BN``),
    plus the shortcut (a strided 1x1x1 conv and BatchNorm where the shape changes), ReLU. ``bn``: False replaces every
    BatchNorm by the identity; ``norm_after_add``: the final BatchNorm written after the shortcut's addition,
    ``relu(bn3(conv3(h) + shortcut))``."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool = True, norm_after_add: bool = False) -> None:
        super().__init__()
        mid = cout // 4

        def norm(c: int, zero: bool = False) -> nn.Module:
            if not bn:
                return nn.Identity()
            m = nn.BatchNorm3d(c)
            if zero:
                nn.init.zeros_(m.weight)
            return m
        self.c1, self.n1 = nn.Conv3d(cin, mid, 1, bias=False), norm(mid)
        self.c2, self.n2 = nn.Conv3d(mid, mid, 3, stride, 1, groups=mid, bias=False), norm(mid)
        self.c3, self.n3 = nn.Conv3d(mid, cout, 1, bias=False), norm(cout, zero=True)
        self.down = (nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), norm(cout))
                     if (stride != 1 or cin != cout) else None)
        self.after = norm_after_add

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.n2(self.c2(F.relu(self.n1(self.c1(x))))))
        identity = x if self.down is None else self.down(x)
        if self.after:
            return F.relu(self.n3(self.c3(h) + identity))
        return F.relu(self.n3(self.c3(h)) + identity)


class CSN(nn.Module):
    """ir-CSN (Tran et al. 2019), narrowed: a 3x3x3 stem of 8 (stride 1, 2, 2), BatchNorm and ReLU, two stages of two
    bottlenecks (32 and 64 wide, the second stage of stride 2: 4x4x4), average pooling and a Linear; He-normal convs
    (fan-out), as the reference code."""

    def __init__(self, classes: int = 4, bn: bool = True, norm_after_add: bool = False) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(3, 8, 3, (1, 2, 2), 1, bias=False),
                                  nn.BatchNorm3d(8) if bn else nn.Identity(), nn.ReLU())
        self.blocks = nn.Sequential(CSNBlock(8, 32, 1, bn, norm_after_add), CSNBlock(32, 32, 1, bn, norm_after_add),
                                    CSNBlock(32, 64, 2, bn, norm_after_add),
                                    CSNBlock(64, 64, 1, bn, norm_after_add))
        self.head = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)).mean((2, 3, 4)))


# ---- builders --------------------------------------------------------------------------------------------------------

def _mse(out: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(out, clean)


def red_net(seed: int, lr: float = 1e-4, init_std: float | None = None, multiply_skips: bool = False) -> Setup:
    """RED-Net on the denoising pairs (noise 0.3, batch 8 of 16x16), mean squared error, Adam at the paper's lr 1e-4;
    ``init_std``, ``multiply_skips``: see :class:`REDNet`."""
    torch.manual_seed(890_000 + seed)
    model = REDNet(init_std=init_std, multiply_skips=multiply_skips)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), noisy_fields(seed), _mse)


def ffdnet(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, bn_shift: float | None = None,
           permuted: bool = False, bn: bool = True) -> Setup:
    """FFDNet on the denoising pairs (noise levels 0.1 to 0.5, batch 8 of 16x16), mean squared error, Adam at the
    paper's lr 1e-3; ``bn_shift``: see :class:`FFDNet`; ``permuted``: see :func:`noisy_fields`."""
    torch.manual_seed(890_000 + seed)
    model = FFDNet(bn_shift=bn_shift, bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, noisy_fields(seed, sigma=(0.1, 0.5), permuted=permuted), _mse)


def skipinit(seed: int, lr: float = 0.02, alpha: float = 0.0, shortcut: bool = True, blocks: int = 4,
             multiply: bool = False) -> Setup:
    """The SkipInit ResNet on the class-template images (batch 32), cross-entropy, SGD with momentum 0.9 at lr 0.02
    (set here for batch 32; no warm-up, as the paper's point is that none is needed); ``alpha``, ``shortcut``,
    ``blocks``: see :class:`SkipInitResNet`."""
    torch.manual_seed(890_000 + seed)
    model = SkipInitResNet(blocks=blocks, alpha=alpha, shortcut=shortcut, multiply=multiply)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return _xy(model, opt, images(seed), F.cross_entropy)


def gru_rcn(seed: int, lr: float = 1e-3, gate_bias: float = 0.0) -> Setup:
    """GRU-RCN on the drifting-template clips (batch 16 of 8 frames), cross-entropy, Adam at lr 1e-3; ``gate_bias``:
    see :class:`GRURCN`."""
    torch.manual_seed(890_000 + seed)
    model = GRURCN(gate_bias=gate_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), videos(seed), F.cross_entropy)


def inceptionnext(seed: int, lr: float = 1e-3, weight_decay: float = 0.05, shuffled: bool = False) -> Setup:
    """InceptionNeXt on the class-template images (batch 32), cross-entropy, AdamW with the paper's weight decay 0.05
    at lr 1e-3 (its 4e-3 for batch 4096 scaled down; warm-up and cosine decay left out); ``shuffled``: see
    :func:`images`."""
    torch.manual_seed(890_000 + seed)
    model = InceptionNeXt()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed, shuffled=shuffled), F.cross_entropy)


def rpn(seed: int, lr: float = 0.02, masked_everywhere: bool = False, init_std: float | None = None) -> Setup:
    """The RPN on the detection images (batch 16 of 32x32), its objectness and box loss, SGD with momentum 0.9 and
    weight decay 1e-4 at Detectron's lr 0.02; ``masked_everywhere``: see :func:`rpn_loss`."""
    torch.manual_seed(890_000 + seed)
    model = RPN(init_std=init_std)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, boxes(seed), rpn_loss(rpn_anchors(), masked_everywhere))


def refinenet(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False) -> Setup:
    """Light-Weight RefineNet on the scenes (batch 8 of 32x32), per-pixel cross-entropy, Adam at lr 1e-3 (set here;
    the paper's SGD schedule is for a pretrained encoder); ``weight_decay``: Adam's (coupled) L2 term, or with
    ``adamw`` AdamW's decoupled decay."""
    torch.manual_seed(890_000 + seed)
    model = LWRefineNet()
    opt = (torch.optim.AdamW if adamw else torch.optim.Adam)(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, scenes(seed), F.cross_entropy)


def csn(seed: int, lr: float = 0.2, bn: bool = True, norm_after_add: bool = False) -> Setup:
    """ir-CSN on the drifting-template clips (batch 16 of 8 frames), cross-entropy, SGD with momentum 0.9 and weight
    decay 1e-4 at lr 0.2 (set here: the large step a BatchNorm network takes without a warm-up; the reference code's
    0.1 is for batch 64 with a warm-up); ``bn``, ``norm_after_add``: see :class:`CSNBlock`."""
    torch.manual_seed(890_000 + seed)
    model = CSN(bn=bn, norm_after_add=norm_after_add)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, videos(seed), F.cross_entropy)

