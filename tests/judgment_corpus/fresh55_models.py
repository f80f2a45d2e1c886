"""Hand-written models of the fifty-sixth held-out batch (``fresh55.py``), the vision and point-cloud ones: small
versions of published architectures new to the corpus (a single-shot detector, a super-resolution network, a video
classifier, a point-cloud convolution), each with the switches its broken variants need (one fault each, off by
default). The 3-D generative and NLP models are in ``fresh55_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- SSD -------------------------------------------------------------------------------------------------------------


class _L2Norm(nn.Module):
    """SSD's L2Norm on conv4_3: each position's channel vector scaled to unit length, times a learnable per-channel
    scale initialised at 20 (the reference code's)."""

    def __init__(self, c: int, scale: float = 20.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((c,), scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight[None, :, None, None] * x / (x.norm(dim=1, keepdim=True) + 1e-10)


class SSD(nn.Module):
    """SSD (Liu et al. 2016, "SSD: single shot multibox detector"), narrowed: a VGG-style base without BatchNorm
    (3x3 convolutions 16-16, pool, 32-32, pool; the second source, "conv4_3", through L2Norm at 20), an extra stride-2
    block (1x1 of 32, 3x3 of 64) as the second source, each source with 3x3 heads for 4 box offsets and the class
    scores (background included) of its 2 default boxes a cell; every convolution Xavier-uniform with zero biases
    (ssd.pytorch's ``weights_init``). ``act``: the activation's class (``nn.Sigmoid``: the broken variant);
    ``prior_bias_everywhere``: the focal-loss prior ``b = -log((1 - 0.01) / 0.01)`` (Lin et al. 2017), meant for the
    class heads' biases, written in the ``init_weights`` that ``model.apply`` runs over every ``nn.Conv2d``;
    ``l2_reset``: the same ``init_weights`` also resetting the L2Norm's scale to 1 (a slip measured and dropped: see
    ``fresh55.py``)."""

    def __init__(self, classes: int = 3, boxes: int = 2, act: type[nn.Module] = nn.ReLU,
                 prior_bias_everywhere: bool = False, l2_reset: bool = False) -> None:
        super().__init__()

        def conv(a: int, b: int, k: int = 3, s: int = 1) -> list[nn.Module]:
            return [nn.Conv2d(a, b, k, s, k // 2), act()]

        self.base = nn.Sequential(*conv(3, 16), *conv(16, 16), nn.MaxPool2d(2), *conv(16, 32), *conv(32, 32))
        self.pool, self.l2 = nn.MaxPool2d(2), _L2Norm(32)
        self.extra = nn.Sequential(*conv(32, 32, 1), *conv(32, 64, 3, 2))
        self.loc = nn.ModuleList([nn.Conv2d(c, boxes * 4, 3, 1, 1) for c in (32, 64)])
        self.conf = nn.ModuleList([nn.Conv2d(c, boxes * classes, 3, 1, 1) for c in (32, 64)])
        self.classes, self.prior_bias_everywhere, self.l2_reset = classes, prior_bias_everywhere, l2_reset
        self.apply(self.init_weights)

    def init_weights(self, m: nn.Module) -> None:
        if self.l2_reset and isinstance(m, _L2Norm):
            nn.init.ones_(m.weight)
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
            if self.prior_bias_everywhere:
                nn.init.constant_(m.bias, -math.log((1 - 0.01) / 0.01))
            else:
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s1 = self.pool(self.base(x))
        sources = [self.l2(s1), self.extra(s1)]
        b = x.shape[0]
        loc = torch.cat([h(s).permute(0, 2, 3, 1).reshape(b, -1, 4) for h, s in zip(self.loc, sources)], 1)
        conf = torch.cat([h(s).permute(0, 2, 3, 1).reshape(b, -1, self.classes) for h, s in zip(self.conf, sources)],
                         1)
        return loc, conf


# ---- ESRGAN's RRDBNet ------------------------------------------------------------------------------------------------


class _RDB(nn.Module):
    """The residual dense block: five 3x3 convolutions, each on the concatenation of the input and every earlier
    output (growth ``gc``), LeakyReLU 0.2 after the first four, the output ``x + 0.2 * x5``."""

    def __init__(self, nf: int, gc: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(nf + i * gc, gc if i < 4 else nf, 3, 1, 1) for i in range(5)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for i, conv in enumerate(self.convs):
            y = conv(torch.cat(feats, 1))
            if i < 4:
                feats.append(F.leaky_relu(y, 0.2))
        return x + 0.2 * y


class _RRDB(nn.Module):
    def __init__(self, nf: int, gc: int) -> None:
        super().__init__()
        self.rdbs = nn.Sequential(*[_RDB(nf, gc) for _ in range(3)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.2 * self.rdbs(x)


class RRDBNet(nn.Module):
    """ESRGAN's generator (Wang et al. 2018, "ESRGAN: enhanced super-resolution generative adversarial networks"),
    narrowed: ``conv_first``, a trunk of ``blocks`` residual-in-residual dense blocks (three RDBs each; 32 features,
    growth 16; residual scaling 0.2, no BatchNorm) and ``conv_body`` with the long skip, one x2 nearest upsampling and
    conv with LeakyReLU 0.2, ``conv_hr`` and ``conv_last``. The RDBs' convolutions are Kaiming-normal (fan_in) scaled
    by 0.1, biases zero (BasicSR's ``default_init_weights(..., 0.1)``, the paper's "smaller initialisation"); the rest
    keep PyTorch's default. ``reinit``: a user's ``init_weights`` (Kaiming-normal fan_in for LeakyReLU 0.2, zero
    biases) run by ``model.apply`` after the model is built, which re-draws the RDBs' convolutions at full scale (a
    slip measured and dropped: see ``fresh55.py``)."""

    def __init__(self, nf: int = 32, gc: int = 16, blocks: int = 2, reinit: bool = False) -> None:
        super().__init__()
        self.conv_first = nn.Conv2d(3, nf, 3, 1, 1)
        self.trunk = nn.Sequential(*[_RRDB(nf, gc) for _ in range(blocks)])
        self.conv_body = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_up = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, 3, 3, 1, 1)
        for m in self.trunk.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                with torch.no_grad():
                    m.weight.mul_(0.1)
                nn.init.zeros_(m.bias)
        if reinit:
            self.apply(self.user_init_weights)

    @staticmethod
    def user_init_weights(m: nn.Module) -> None:
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, a=0.2, mode="fan_in", nonlinearity="leaky_relu")
            nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fea = self.conv_first(x)
        fea = fea + self.conv_body(self.trunk(fea))
        fea = F.leaky_relu(self.conv_up(F.interpolate(fea, scale_factor=2, mode="nearest")), 0.2)
        return self.conv_last(F.leaky_relu(self.conv_hr(fea), 0.2))


# ---- TSN -------------------------------------------------------------------------------------------------------------


class TSN(nn.Module):
    """The temporal segment network (Wang et al. 2016, "Temporal segment networks: towards good practices for deep
    action recognition"), narrowed: one frame from each of the clip's 3 segments through a shared 2-D ConvNet (a small
    BN-Inception stand-in: four 3x3 convolutions of 16, 32, 32, 64 with BatchNorm and ReLU, pooling after the first
    three), global average pooling, dropout 0.8 (the paper's) and a Linear drawn N(0, 0.001^2) (the reference code's
    ``new_fc``), the segments' class scores averaged (the consensus). ``bn=False``: every BatchNorm left out;
    ``bn_shift``: every BatchNorm's shift (beta) initialised at that value (every ReLU after it dead at -10)."""

    def __init__(self, classes: int = 6, segments: int = 3, bn: bool = True, drop: float = 0.8,
                 bn_shift: float = 0.0) -> None:
        super().__init__()
        layers, a = [], 3
        for i, b in enumerate((16, 32, 32, 64)):
            layers += [nn.Conv2d(a, b, 3, 1, 1, bias=not bn)] + ([nn.BatchNorm2d(b)] if bn else []) + [nn.ReLU()]
            if i < 3:
                layers.append(nn.MaxPool2d(2))
            a = b
        self.base = nn.Sequential(*layers)
        self.drop, self.fc = nn.Dropout(drop), nn.Linear(64, classes)
        nn.init.normal_(self.fc.weight, 0.0, 0.001)
        nn.init.zeros_(self.fc.bias)
        for m in self.base:
            if isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.bias, bn_shift)
        self.segments = segments

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, segments, 3, h, w
        b = x.shape[0]
        h = self.base(x.flatten(0, 1)).mean((2, 3))
        return self.fc(self.drop(h)).view(b, self.segments, -1).mean(1)


# ---- PointConv -------------------------------------------------------------------------------------------------------


def knn(query: torch.Tensor, points: torch.Tensor, k: int) -> torch.Tensor:
    """The indices ``(b, m, k)`` of each query point's ``k`` nearest points."""
    return torch.cdist(query, points).topk(k, dim=-1, largest=False).indices


def _gather(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``x (b, n, c)`` gathered at ``idx (b, m, k)``: ``(b, m, k, c)``."""
    b, m, k = idx.shape
    return x.gather(1, idx.reshape(b, m * k, 1).expand(-1, -1, x.shape[-1])).view(b, m, k, -1)


class _PointConv(nn.Module):
    """PointConv's set abstraction (the efficient form): ``m`` centroids (the first ``m`` of the randomly ordered
    points), their ``k`` nearest neighbours, the neighbours' relative coordinates through the WeightNet (1x1 MLP
    3-8-8 with BatchNorm and ReLU) into ``k x 8`` weights, the neighbours' features (relative coordinates appended)
    contracted with them, then a Linear to ``out`` with BatchNorm and ReLU. (The density re-weighting is left out.)"""

    def __init__(self, c_in: int, out: int, m: int, k: int) -> None:
        super().__init__()
        self.m, self.k = m, k
        self.mlp = nn.Sequential(nn.Linear(c_in + 3, out), nn.BatchNorm1d(out), nn.ReLU())
        self.weightnet = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8),
                                       nn.BatchNorm1d(8), nn.ReLU())
        self.linear, self.bn = nn.Linear(8 * out, out), nn.BatchNorm1d(out)

    def forward(self, xyz: torch.Tensor, feats: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        centres = xyz[:, : self.m]
        idx = knn(centres, xyz, self.k)
        rel = _gather(xyz, idx) - centres[:, :, None]
        f = rel if feats is None else torch.cat([_gather(feats, idx), rel], -1)
        b, m, k, c = f.shape
        f = self.mlp(f.reshape(-1, c)).view(b, m, k, -1)
        w = self.weightnet(rel.reshape(-1, 3)).view(b, m, k, 8)
        out = torch.einsum("bmkc,bmkw->bmcw", f, w).reshape(b * m, -1)
        return centres, F.relu(self.bn(self.linear(out))).view(b, m, -1)


class PointConvNet(nn.Module):
    """PointConv (Wu, Qi and Fuxin 2019, "PointConv: deep convolutional networks on 3D point clouds"), narrowed for
    classification: two PointConv set abstractions (32 centroids of 16 neighbours to 64 features, then 8 of 8 to
    128), max pooling, and the classifier 128-64-classes with BatchNorm, ReLU and dropout 0.4 (the reference code's
    head, narrowed); PyTorch's default init. ``deep_head``: that many plain Linear(64, 64)-ReLU layers (no
    BatchNorm, PyTorch's default init) added to the classifier before its output layer."""

    def __init__(self, classes: int = 4, deep_head: int = 0) -> None:
        super().__init__()
        self.sa1, self.sa2 = _PointConv(0, 64, 32, 16), _PointConv(64, 128, 8, 8)
        extra: list[nn.Module] = []
        for _ in range(deep_head):
            extra += [nn.Linear(64, 64), nn.ReLU()]
        self.head = nn.Sequential(nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.4), *extra,
                                  nn.Linear(64, classes))

    def forward(self, xyz: torch.Tensor) -> torch.Tensor:
        c1, f1 = self.sa1(xyz, None)
        _, f2 = self.sa2(c1, f1)
        return self.head(f2.max(1).values)
