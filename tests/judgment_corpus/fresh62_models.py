"""Hand-written models of the sixty-third held-out batch (``fresh62.py``), self-supervised vision and graph ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The sequence, generative, flow and energy-based models are in ``fresh62_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- SimSiam ---------------------------------------------------------------------------------------------------------


def _conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class SimSiam(nn.Module):
    """SimSiam (Chen and He 2021), narrowed: a four-convolution BatchNorm/ReLU backbone (16-32-32-64 channels, two of
    stride 2, global average pooling) in place of the ResNet, the projector ``Linear - BN - ReLU - Linear - BN`` to 64
    (the paper's three layers cut to two, the last BN without affine as the reference), the predictor ``Linear - BN -
    ReLU - Linear`` with a bottleneck of 16 (a quarter, as the paper's 512 of 2048). ``forward((x1, x2))`` returns
    ``(p1, p2, z1, z2)`` for the views ``(x1, x2)``."""

    def __init__(self, dim: int = 64, pred: int = 16) -> None:
        super().__init__()
        self.backbone = nn.Sequential(_conv_bn(3, 16), _conv_bn(16, 32, 2), _conv_bn(32, 32), _conv_bn(32, 64, 2),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.projector = nn.Sequential(nn.Linear(64, dim, bias=False), nn.BatchNorm1d(dim), nn.ReLU(),
                                       nn.Linear(dim, dim, bias=False), nn.BatchNorm1d(dim, affine=False))
        self.predictor = nn.Sequential(nn.Linear(dim, pred, bias=False), nn.BatchNorm1d(pred), nn.ReLU(),
                                       nn.Linear(pred, dim))

    def forward(self, views: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        x1, x2 = views
        z1, z2 = self.projector(self.backbone(x1)), self.projector(self.backbone(x2))
        return self.predictor(z1), self.predictor(z2), z1, z2


# ---- CMC -------------------------------------------------------------------------------------------------------------


class _Half(nn.Module):
    """One view's encoder: three 3x3 convolutions (16-32-64, the last two of stride 2) with BatchNorm and ReLU, global
    average pooling, a linear embedding of 32."""

    def __init__(self, cin: int, dim: int, bn: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(((cin, 16), (16, 32), (32, 64))):
            layers += [nn.Conv2d(a, b, 3, 1 if i == 0 else 2, 1, bias=not bn)]
            layers += [nn.BatchNorm2d(b)] if bn else []
            layers += [nn.ReLU()]
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class CMC(nn.Module):
    """Contrastive Multiview Coding (Tian, Krishnan and Isola 2020), narrowed: the image split into its channel views
    (channel 0, the "L", and channels 1-2, the "ab"), one encoder per view (:class:`_Half`), the embeddings
    L2-normalised (``l2=False``: left raw, a normalization fault), Kaiming-normal convolutions as the reference.
    ``forward(x)`` returns the two views' embeddings ``(z_l, z_ab)``."""

    def __init__(self, dim: int = 32, bn: bool = True, l2: bool = True) -> None:
        super().__init__()
        self.l2 = l2
        self.enc_l, self.enc_ab = _Half(1, dim, bn), _Half(2, dim, bn)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        zl, zab = self.enc_l(x[:, :1]), self.enc_ab(x[:, 1:])
        if self.l2:
            zl, zab = F.normalize(zl, dim=1), F.normalize(zab, dim=1)
        return zl, zab


# ---- Context Encoder -------------------------------------------------------------------------------------------------


class ContextEncoder(nn.Module):
    """The Context Encoder (Pathak et al. 2016), narrowed to 16x16 single-channel images with the central 8x8 region
    dropped: an encoder of three 4x4 stride-2 convolutions (32-64-128) with BatchNorm (not on the first) and LeakyReLU
    0.2, the paper's channel-wise fully connected layer (each of the 128 maps' 2x2 = 4 values mixed by its own 4x4
    matrix) and a 1x1 convolution across channels, a decoder of two 4x4 stride-2 up-convolutions (64-32) with
    BatchNorm and ReLU and a 3x3 convolution to the 8x8 center; DCGAN's N(0, 0.02^2) init (BatchNorm weights N(1,
    0.02^2)) as the reference code. ``init_std`` replaces that 0.02; ``bn=False`` drops every BatchNorm."""

    def __init__(self, bn: bool = True, init_std: float = 0.02) -> None:
        super().__init__()

        def norm(c: int) -> list[nn.Module]:
            return [nn.BatchNorm2d(c)] if bn else []

        self.enc = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(32, 64, 4, 2, 1), *norm(64), nn.LeakyReLU(0.2),
                                 nn.Conv2d(64, 128, 4, 2, 1), *norm(128), nn.LeakyReLU(0.2))
        self.cwfc = nn.Parameter(torch.empty(128, 4, 4))
        self.mix = nn.Conv2d(128, 128, 1)
        self.dec = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1), *norm(64), nn.ReLU(),
                                 nn.ConvTranspose2d(64, 32, 4, 2, 1), *norm(32), nn.ReLU(),
                                 nn.Conv2d(32, 1, 3, 1, 1))
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                    m.weight.normal_(0.0, init_std)
                    m.bias.zero_()
                elif isinstance(m, nn.BatchNorm2d):
                    m.weight.normal_(1.0, 0.02)
                    m.bias.zero_()
            self.cwfc.normal_(0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, 1, 16, 16 with the center zeroed
        h = self.enc(x)  # b, 128, 2, 2
        b = h.shape[0]
        h = torch.einsum("bcn,cnm->bcm", h.reshape(b, 128, 4), self.cwfc).reshape(b, 128, 2, 2)
        return self.dec(self.mix(h))  # b, 1, 8, 8


# ---- GRACE -----------------------------------------------------------------------------------------------------------


def gcn_norm(a: torch.Tensor, self_loops: bool = True) -> torch.Tensor:
    """``D^-1/2 (A + I) D^-1/2``; ``self_loops=False`` leaves the ``+ I`` out (an isolated node's degree is 0)."""
    if self_loops:
        a = a + torch.eye(a.shape[0])
    d = a.sum(1).pow(-0.5)
    return d[:, None] * a * d[None]


class GRACE(nn.Module):
    """GRACE (Zhu et al. 2020): a two-layer GCN encoder of 128 and 64 with ReLU (its ``Encoder`` with ``k = 2``;
    the paper's 128 halved), the projection head ``Linear - ELU - Linear`` of 64; Glorot-uniform GCN weights as PyG's
    ``GCNConv`` and PyTorch's default init in the head. ``init_std`` draws every weight matrix N(0, init_std^2)
    instead. ``forward((a_norm, x))`` returns the node embeddings ``h``; :meth:`project` the head's output."""

    def __init__(self, features: int = 32, hidden: int = 64, init_std: float | None = None) -> None:
        super().__init__()
        self.w1, self.w2 = nn.Linear(features, 2 * hidden), nn.Linear(2 * hidden, hidden)
        self.fc1, self.fc2 = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        with torch.no_grad():
            for lin in (self.w1, self.w2):
                nn.init.xavier_uniform_(lin.weight)
                lin.bias.zero_()
            if init_std is not None:
                for lin in (self.w1, self.w2, self.fc1, self.fc2):
                    lin.weight.normal_(0.0, init_std)

    def forward(self, graph: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        a, x = graph
        h = F.relu(a @ F.linear(x, self.w1.weight) + self.w1.bias)
        return F.relu(a @ F.linear(h, self.w2.weight) + self.w2.bias)

    def project(self, h: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.elu(self.fc1(h)))
