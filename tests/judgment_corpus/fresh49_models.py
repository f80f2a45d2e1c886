"""Hand-written models of the forty-ninth held-out batch (``fresh49.py``), the image ones: small versions of published
vision-classification, detection, keypoint and video architectures new to the corpus, each with the switches its
broken variants need (one fault each, off by default). The 3-D shape and sequence-labelling models are in
``fresh49_models2.py``."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn


def _bn(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


# ---- LambdaResNet ----------------------------------------------------------------------------------------------------


class LambdaLayer(nn.Module):
    """The lambda layer (Bello 2021, "LambdaNetworks: modeling long-range interactions without attention"), global
    context: queries ``(h heads, k)`` and values ``(v)`` batch-normalised as the paper's, keys softmax-normalised over
    the context's ``m`` positions; the content lambda ``K^T V`` and the position lambdas ``E_n^T V`` from the learned
    position embeddings ``E (n, m, k)`` (N(0, 1), the usual reimplementation's); ``y_n = q_n (lambda^c + lambda^p_n)``
    per head, the heads concatenated (``k`` 16, ``u`` 1)."""

    def __init__(self, d: int, n: int, heads: int = 4, k: int = 16, bn: bool = True) -> None:
        super().__init__()
        self.heads, self.k, self.v = heads, k, d // heads
        self.q = nn.Conv2d(d, heads * k, 1, bias=False)
        self.kk = nn.Conv2d(d, k, 1, bias=False)
        self.vv = nn.Conv2d(d, self.v, 1, bias=False)
        self.bq = nn.BatchNorm2d(heads * k) if bn else nn.Identity()
        self.bv = nn.BatchNorm2d(self.v) if bn else nn.Identity()
        nn.init.normal_(self.q.weight, std=(d * k) ** -0.5)
        nn.init.normal_(self.kk.weight, std=d ** -0.5)
        nn.init.normal_(self.vv.weight, std=d ** -0.5)
        self.pos = nn.Parameter(torch.randn(n, n, k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, hh, ww = x.shape
        q = self.bq(self.q(x)).reshape(b, self.heads, self.k, hh * ww)
        key = self.kk(x).reshape(b, self.k, hh * ww).softmax(-1)
        val = self.bv(self.vv(x)).reshape(b, self.v, hh * ww)
        lam_c = torch.einsum("bkm,bvm->bkv", key, val)
        lam_p = torch.einsum("nmk,bvm->bnkv", self.pos, val)
        y = torch.einsum("bhkn,bkv->bhvn", q, lam_c) + torch.einsum("bhkn,bnkv->bhvn", q, lam_p)
        return y.reshape(b, -1, hh, ww)


class _LambdaBlock(nn.Module):
    """A bottleneck block whose 3x3 convolution is a lambda layer (average-pooled after it when striding, as the
    paper's), BatchNorm and ReLU after each unit, the last BatchNorm's scale zero-initialised."""

    def __init__(self, cin: int, cout: int, n: int, stride: int, bn: bool) -> None:
        super().__init__()
        mid = cout // 2
        norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: nn.Identity())
        self.c1, self.n1 = nn.Conv2d(cin, mid, 1, bias=not bn), norm(mid)
        self.lam, self.n2 = LambdaLayer(mid, n, bn=bn), norm(mid)
        self.pool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.c3, self.n3 = nn.Conv2d(mid, cout, 1, bias=not bn), norm(cout)
        if bn:
            nn.init.zeros_(self.n3.weight)
        self.skip = (nn.Sequential(nn.AvgPool2d(stride) if stride > 1 else nn.Identity(),
                                   nn.Conv2d(cin, cout, 1, bias=not bn), norm(cout))
                     if stride > 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.n1(self.c1(x)))
        h = self.pool(F.relu(self.n2(self.lam(h))))
        return F.relu(self.n3(self.c3(h)) + self.skip(x))


class LambdaResNet(nn.Module):
    """LambdaResNet (Bello 2021), narrowed: a 3x3 stem of 16 (BatchNorm, ReLU, 2x2 max pooling) on 16x16 images, two
    lambda bottleneck blocks of 32 and 64 channels at 8x8 (the second average-pooled to 4x4), global average pooling,
    a Linear; He-normal 3x3 convolutions. ``bn``: every BatchNorm left out (the convolutions then biased)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=not bn),
                                  nn.BatchNorm2d(16) if bn else nn.Identity(), nn.ReLU(), nn.MaxPool2d(2))
        self.blocks = nn.Sequential(_LambdaBlock(16, 32, 64, 1, bn), _LambdaBlock(32, 64, 64, 2, bn))
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


# ---- FCOS ------------------------------------------------------------------------------------------------------------


class _Scale(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.s = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.s


class FCOS(nn.Module):
    """FCOS (Tian et al. 2019, "FCOS: fully convolutional one-stage object detection"), narrowed to one feature
    level: a backbone of three 3x3 convolutions (16, 32, 32 channels, BatchNorm, ReLU; the first and last stride 2)
    to a stride-4 8x8 map, the classification and regression towers of two 3x3 convolutions of 32 with GroupNorm (8
    groups) and ReLU, the class logits, the ``(l, t, r, b)`` distances ``exp(s x)`` in stride units with a learned
    scale ``s``, and the centerness on the regression tower (the paper's later placement); the heads' convolutions
    N(0, 0.01^2) with zero biases and the classification bias ``-log((1 - 0.01) / 0.01)`` (the paper's prior 0.01).
    Returns ``(logits (b, C, 8, 8), ltrb (b, 4, 8, 8), centerness logits (b, 1, 8, 8))``. ``norm``: every BatchNorm
    and GroupNorm left out."""

    def __init__(self, classes: int = 3, width: int = 32, norm: bool = True) -> None:
        super().__init__()

        def unit(cin: int, cout: int, stride: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, stride, 1, bias=not norm), _bn(cout, norm), nn.ReLU()]
        self.backbone = nn.Sequential(*unit(3, 16, 2), *unit(16, width, 1), *unit(width, width, 2))

        def tower() -> nn.Sequential:
            mods: list[nn.Module] = []
            for _ in range(2):
                mods += [nn.Conv2d(width, width, 3, padding=1), nn.GroupNorm(8, width) if norm else nn.Identity(),
                         nn.ReLU()]
            return nn.Sequential(*mods)
        self.cls_tower, self.reg_tower = tower(), tower()
        self.cls = nn.Conv2d(width, classes, 3, padding=1)
        self.reg = nn.Conv2d(width, 4, 3, padding=1)
        self.ctr = nn.Conv2d(width, 1, 3, padding=1)
        self.scale = _Scale()
        for mod in [self.cls_tower, self.reg_tower, self.cls, self.reg, self.ctr]:
            for m in mod.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.normal_(m.weight, std=0.01)
                    nn.init.zeros_(m.bias)
        nn.init.constant_(self.cls.bias, -4.59511985)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        f = self.backbone(x)
        c, r = self.cls_tower(f), self.reg_tower(f)
        return self.cls(c), torch.exp(self.scale(self.reg(r))), self.ctr(r)


def fcos_loss(out: tuple[torch.Tensor, ...], target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """FCOS's loss: the sigmoid focal loss (alpha 0.25, gamma 2) over every location and class, summed and divided
    by the number of positives, plus the IoU loss ``-log((I + 1) / (U + 1))`` and the centerness binary
    cross-entropy, both averaged over the positives."""
    logits, ltrb, ctr = out
    cls, box = target
    pos = cls >= 0
    onehot = F.one_hot(cls.clamp_min(0), logits.shape[1]).permute(0, 3, 1, 2).float() * pos[:, None].float()
    p = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, onehot, reduction="none")
    p_t = p * onehot + (1 - p) * (1 - onehot)
    alpha = 0.25 * onehot + 0.75 * (1 - onehot)
    npos = pos.sum().clamp_min(1)
    focal = (alpha * (1 - p_t) ** 2 * ce).sum() / npos
    pr, gt = ltrb.permute(0, 2, 3, 1)[pos], box.permute(0, 2, 3, 1)[pos]
    area_p = (pr[:, 0] + pr[:, 2]) * (pr[:, 1] + pr[:, 3])
    area_g = (gt[:, 0] + gt[:, 2]) * (gt[:, 1] + gt[:, 3])
    inter = ((torch.min(pr[:, 0], gt[:, 0]) + torch.min(pr[:, 2], gt[:, 2]))
             * (torch.min(pr[:, 1], gt[:, 1]) + torch.min(pr[:, 3], gt[:, 3])))
    iou = -torch.log((inter + 1) / (area_p + area_g - inter + 1)).mean()
    centerness = torch.sqrt(torch.min(gt[:, 0], gt[:, 2]) / torch.max(gt[:, 0], gt[:, 2])
                            * torch.min(gt[:, 1], gt[:, 3]) / torch.max(gt[:, 1], gt[:, 3]))
    ctr_loss = F.binary_cross_entropy_with_logits(ctr[:, 0][pos], centerness)
    return focal + iou + ctr_loss



# ---- SimpleBaseline --------------------------------------------------------------------------------------------------


class _Basic(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=not bn), _bn(cout, bn)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=not bn), _bn(cout, bn)
        self.skip = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=not bn), _bn(cout, bn))
                     if stride > 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + self.skip(x))


class SimpleBaseline(nn.Module):
    """The simple baseline for pose estimation (Xiao, Wu and Wei 2018), narrowed: a ResNet of a stride-2 3x3 stem of
    16 and three basic blocks of 16, 32, 64 channels (the last two stride 2) to 4x4 from 32x32, then the paper's head
    of 4x4 stride-2 transposed convolutions (two of 32 here, BatchNorm, ReLU) to 16x16 and a 1x1 convolution to one
    heatmap per joint (at half the input's resolution; the paper's at a quarter); the reference code's init: the
    transposed convolutions and the final one N(0, 0.001^2), biases 0, BatchNorms 1 and 0; the backbone He-normal.
    ``deconv_std``: the head's convolutions drawn N(0, deconv_std^2) instead; ``bn``: every BatchNorm left out (the
    convolutions then biased)."""

    def __init__(self, joints: int = 4, deconv_std: float = 0.001, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=not bn), _bn(16, bn), nn.ReLU())
        self.body = nn.Sequential(_Basic(16, 16, 1, bn), _Basic(16, 32, 2, bn), _Basic(32, 64, 2, bn))
        mods: list[nn.Module] = []
        cin = 64
        for _ in range(2):
            mods += [nn.ConvTranspose2d(cin, 32, 4, 2, 1, bias=not bn), _bn(32, bn), nn.ReLU()]
            cin = 32
        self.deconv = nn.Sequential(*mods)
        self.final = nn.Conv2d(32, joints, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m is not self.final:
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in [*self.deconv.modules(), self.final]:
            if isinstance(m, (nn.ConvTranspose2d, nn.Conv2d)):
                nn.init.normal_(m.weight, std=deconv_std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.final(self.deconv(self.body(self.stem(x))))


# ---- TRN -------------------------------------------------------------------------------------------------------------


class TRN(nn.Module):
    """The multi-scale temporal relation network (Zhou et al. 2018, "Temporal relational reasoning in videos"),
    narrowed: a frame CNN (three 3x3 convolutions of 16, 32, 32 channels with BatchNorm, ReLU and 2x2 max pooling,
    the 2x2 map flattened (no global pooling: the motion is a position change), dropout 0.8 (the TSN base's) and a
    Linear to a 64-dimensional frame feature), then for
    each scale d of 4, 3 and 2 frames the reference code's relation ``g_d``: ``ReLU, Linear(64 d, 64), ReLU,
    Linear(64, classes)`` over the frames of every ordered d-tuple (all of them at 4 frames: 1, 4 and 6), summed
    over tuples and scales; PyTorch's default init. ``relation_bias``: the first Linear of every ``g_d`` biased by
    that value (every relation unit dead when it is -10)."""

    def __init__(self, classes: int = 4, frames: int = 4, feat: int = 64, relation_bias: float | None = None,
                 drop: float = 0.8, bn: bool = True) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        cin = 1
        for c in (16, 32):
            mods += [nn.Conv2d(cin, c, 3, padding=1, bias=not bn), _bn(c, bn), nn.ReLU(), nn.MaxPool2d(2)]
            cin = c
        self.cnn = nn.Sequential(*mods)
        self.drop, self.feat = nn.Dropout(drop), nn.Linear(32 * 16, feat)
        self.tuples = {d: list(itertools.combinations(range(frames), d)) for d in range(frames, 1, -1)}
        self.g = nn.ModuleDict({str(d): nn.Sequential(nn.ReLU(), nn.Linear(d * feat, 64), nn.ReLU(),
                                                      nn.Linear(64, classes)) for d in self.tuples})
        if relation_bias is not None:
            for g in self.g.values():
                nn.init.constant_(g[1].bias, relation_bias)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        b, t = clip.shape[:2]
        f = self.feat(self.drop(self.cnn(clip.flatten(0, 1)).flatten(1))).reshape(b, t, -1)
        out = 0
        for d, tuples in self.tuples.items():
            for tup in tuples:
                out = out + self.g[str(d)](f[:, list(tup)].flatten(1))
        return out
