"""Hand-written models of the thirty-sixth held-out batch (``fresh35.py``), super-resolution, segmentation,
generative and click-through ones: small versions of published architectures new to the corpus, each with the
switches its broken variants need (one fault each, off by default). The session-recommendation, graph, dynamics and
forecasting models are in ``fresh35_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- RCAN ------------------------------------------------------------------------------------------------------------


class _CA(nn.Module):
    """RCAN's channel attention: global average pooling, a 1x1 reduction by ``r`` with ReLU, a 1x1 expansion, a
    sigmoid gate per channel."""

    def __init__(self, c: int, r: int) -> None:
        super().__init__()
        self.down, self.up = nn.Conv2d(c, c // r, 1), nn.Conv2d(c // r, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.up(F.relu(self.down(x.mean((2, 3), keepdim=True)))))


class _RCAB(nn.Module):
    def __init__(self, c: int, r: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), _CA(c, r))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class _Group(nn.Module):
    def __init__(self, c: int, r: int, blocks: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*[_RCAB(c, r) for _ in range(blocks)], nn.Conv2d(c, c, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class RCAN(nn.Module):
    """RCAN (Zhang et al. 2018), narrowed: a 3x3 head of 32 channels, two residual groups of two residual channel
    attention blocks (reduction 8) with a group convolution and the short skip each, the body's convolution and the
    long skip, a pixel-shuffle x2 upsampler and a 3x3 tail to the one luminance channel; PyTorch's default init (the
    reference code, EDSR-PyTorch's, sets none)."""

    def __init__(self, c: int = 32, groups: int = 2, blocks: int = 2, r: int = 8) -> None:
        super().__init__()
        self.head = nn.Conv2d(1, c, 3, padding=1)
        self.body = nn.Sequential(*[_Group(c, r, blocks) for _ in range(groups)], nn.Conv2d(c, c, 3, padding=1))
        self.up = nn.Sequential(nn.Conv2d(c, 4 * c, 3, padding=1), nn.PixelShuffle(2))
        self.tail = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        return self.tail(self.up(h + self.body(h)))


# ---- ENet ------------------------------------------------------------------------------------------------------------


def _bn(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c, eps=1e-3) if bn else nn.Identity()


class _Initial(nn.Module):
    """ENet's initial block: a 3x3 stride-2 convolution of ``c - 3`` channels beside a 2x2 max-pool of the input."""

    def __init__(self, c: int, bn: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, c - 3, 3, 2, 1, bias=False)
        self.norm, self.act = _bn(c, bn), nn.PReLU(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(torch.cat([self.conv(x), F.max_pool2d(x, 2)], 1)))


class _Bottleneck(nn.Module):
    """ENet's bottleneck: 1x1 projection (or 2x2 stride 2 when downsampling), the main convolution (regular 3x3,
    dilated 3x3, or asymmetric 5x1 then 1x5), 1x1 expansion, each with BatchNorm and PReLU, spatial dropout; the
    shortcut is the input (max-pooled and zero-padded when downsampling)."""

    def __init__(self, c_in: int, c_out: int, kind: str = "regular", dilation: int = 1, down: bool = False,
                 drop: float = 0.1, bn: bool = True) -> None:
        super().__init__()
        mid = c_out // 4
        first = nn.Conv2d(c_in, mid, 2, 2, bias=False) if down else nn.Conv2d(c_in, mid, 1, bias=False)
        if kind == "asymmetric":
            main: list[nn.Module] = [nn.Conv2d(mid, mid, (5, 1), padding=(2, 0), bias=False),
                                     nn.Conv2d(mid, mid, (1, 5), padding=(0, 2), bias=False)]
        else:
            main = [nn.Conv2d(mid, mid, 3, padding=dilation, dilation=dilation, bias=False)]
        self.ext = nn.Sequential(first, _bn(mid, bn), nn.PReLU(mid), *main, _bn(mid, bn), nn.PReLU(mid),
                                 nn.Conv2d(mid, c_out, 1, bias=False), _bn(c_out, bn), nn.Dropout2d(drop))
        self.down, self.pad = down, c_out - c_in
        self.act = nn.PReLU(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        main = F.max_pool2d(x, 2) if self.down else x
        if self.pad:
            main = F.pad(main, (0, 0, 0, 0, 0, self.pad))
        return self.act(main + self.ext(x))


class _Up(nn.Module):
    """ENet's upsampling bottleneck: the shortcut a 1x1 convolution and 2x bilinear upsampling (in place of the
    paper's max-unpooling), the extension 1x1, a 2x2 stride-2 transposed convolution, 1x1."""

    def __init__(self, c_in: int, c_out: int, bn: bool) -> None:
        super().__init__()
        mid = c_in // 4
        self.short = nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), _bn(c_out, bn))
        self.ext = nn.Sequential(nn.Conv2d(c_in, mid, 1, bias=False), _bn(mid, bn), nn.PReLU(mid),
                                 nn.ConvTranspose2d(mid, mid, 2, 2, bias=False), _bn(mid, bn), nn.PReLU(mid),
                                 nn.Conv2d(mid, c_out, 1, bias=False), _bn(c_out, bn))
        self.act = nn.PReLU(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(F.interpolate(self.short(x), scale_factor=2.0, mode="bilinear") + self.ext(x))


class ENet(nn.Module):
    """ENet (Paszke et al. 2016), narrowed to 32x32 inputs: the initial block (16), a downsampling bottleneck to 32
    with two regular ones (dropout 0.01), a downsampling bottleneck to 64 with regular, dilated 2, asymmetric 5 and
    dilated 4 bottlenecks (dropout 0.1), two upsampling stages (to 32 and 16) each with one regular bottleneck, and
    a 2x2 stride-2 transposed convolution to the class scores at full resolution; PReLU throughout, BatchNorm with
    eps 1e-3. ``bn=False``: every BatchNorm left out."""

    def __init__(self, classes: int = 4, bn: bool = True) -> None:
        super().__init__()
        self.net = nn.Sequential(
            _Initial(16, bn),
            _Bottleneck(16, 32, down=True, drop=0.01, bn=bn), _Bottleneck(32, 32, drop=0.01, bn=bn),
            _Bottleneck(32, 32, drop=0.01, bn=bn),
            _Bottleneck(32, 64, down=True, bn=bn), _Bottleneck(64, 64, bn=bn),
            _Bottleneck(64, 64, dilation=2, bn=bn), _Bottleneck(64, 64, "asymmetric", bn=bn),
            _Bottleneck(64, 64, dilation=4, bn=bn),
            _Up(64, 32, bn), _Bottleneck(32, 32, bn=bn), _Up(32, 16, bn), _Bottleneck(16, 16, bn=bn),
            nn.ConvTranspose2d(16, classes, 2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


# ---- WAE-MMD ---------------------------------------------------------------------------------------------------------


class WAE(nn.Module):
    """The Wasserstein auto-encoder (Tolstikhin et al. 2018), its MNIST networks narrowed to 3x16x16 images: an
    encoder of three 4x4 stride-2 convolutions (32, 64, 128) with BatchNorm and ReLU and a linear map to the latent
    code of 8 (deterministic), a decoder of a linear map to 128x2x2 and three 4x4 stride-2 transposed convolutions
    (64, 32, 3) with BatchNorm and ReLU between; PyTorch's default init. Returns ``(reconstruction, code)``."""

    def __init__(self, z: int = 8) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
                                 nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                                 nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(128 * 4, z))
        self.fc = nn.Linear(z, 128 * 4)
        self.dec = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                                 nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
                                 nn.ConvTranspose2d(32, 3, 4, 2, 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.enc(x)
        return self.dec(F.relu(self.fc(z)).view(-1, 128, 2, 2)), z


# ---- CCPM ------------------------------------------------------------------------------------------------------------


def _kmax(x: torch.Tensor, k: int) -> torch.Tensor:
    """k-max pooling along the field axis (dim 2), the kept values in their original order."""
    idx = x.topk(k, dim=2).indices.sort(dim=2).values
    return x.gather(2, idx)


class CCPM(nn.Module):
    """The convolutional click prediction model (Liu et al. 2015), DeepCTR's form: field embeddings of 8 (N(0,
    1e-4^2), DeepCTR's ``init_std``) stacked as a ``fields x 8`` image, two convolutions along the field axis (widths
    3 and 2, 4 filters each) with tanh, each followed by DeepCTR's flexible k-max pooling along the fields (``k_1 =
    (1 - (1 / l)^(l - 1)) n = 4`` for ``l = 2`` layers and ``n = 8`` fields, ``k_l = 3``), a dense layer of 64 with
    ReLU and a logit."""

    def __init__(self, fields: int = 8, per_field: int = 20, d: int = 8) -> None:
        super().__init__()
        self.emb = nn.Embedding(fields * per_field, d)
        nn.init.normal_(self.emb.weight, 0.0, 1e-4)
        self.offsets = torch.arange(fields) * per_field
        self.conv1 = nn.Conv2d(1, 4, (3, 1), padding=(1, 0))
        self.conv2 = nn.Conv2d(4, 4, (2, 1), padding=(1, 0))
        n, layers = fields, 2
        self.k1 = max(1, int((1 - (1 / layers) ** (layers - 1)) * n))
        self.k2 = 3
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(4 * self.k2 * d, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.emb(x + self.offsets).unsqueeze(1)  # b, 1, fields, d
        h = _kmax(torch.tanh(self.conv1(e)), self.k1)
        h = _kmax(torch.tanh(self.conv2(h)), self.k2)
        return self.dense(h).squeeze(-1)
