"""Hand-written vision models of the thirty-third held-out batch (``fresh32.py``): small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by
default)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- super-resolution ------------------------------------------------------------------------------------------------


class FSRCNN(nn.Module):
    """FSRCNN (Dong et al. 2016) at the paper's FSRCNN(56, 12, 4) for x2: a 5x5 feature extraction of 56, a 1x1
    shrinking to 12, four 3x3 mapping layers, a 1x1 expansion to 56, each followed by a PReLU, and a 9x9 transposed
    convolution of stride 2 up to the high-resolution image; weights He-initialised (the deconvolution N(0,
    0.001^2)) as the paper."""

    def __init__(self, d: int = 56, s: int = 12, m: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(1, d, 5, padding=2), nn.PReLU(d), nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.body = nn.Sequential(*layers)
        self.deconv = nn.ConvTranspose2d(d, 1, 9, stride=2, padding=4, output_padding=1)
        for mod in self.body:
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
                nn.init.zeros_(mod.bias)
        nn.init.normal_(self.deconv.weight, 0.0, 0.001)
        nn.init.zeros_(self.deconv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.deconv(self.body(x))


# ---- segmentation ----------------------------------------------------------------------------------------------------


def _cbr(cin: int, cout: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class _Basic(nn.Module):
    """ResNet-18's basic block (the LinkNet encoder's unit)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.c1 = _cbr(cin, cout, 3, stride)
        self.c2 = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                     if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.c2(self.c1(x)) + self.skip(x))


class _LinkDecoder(nn.Module):
    """LinkNet's decoder block: 1x1 conv to m/4, a 3x3 full (transposed) convolution of stride 2, 1x1 conv to n;
    each with BatchNorm and ReLU."""

    def __init__(self, m: int, n: int) -> None:
        super().__init__()
        self.a = _cbr(m, m // 4, 1)
        self.up = nn.Sequential(nn.ConvTranspose2d(m // 4, m // 4, 3, 2, 1, output_padding=1, bias=False),
                                nn.BatchNorm2d(m // 4), nn.ReLU())
        self.b = _cbr(m // 4, n, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.up(self.a(x)))


class LinkNet(nn.Module):
    """LinkNet (Chaurasia & Culurciello 2017), narrowed: the initial 7x7 stride-2 convolution and 3x3 max-pool, three
    encoder blocks of two basic blocks (widths 16, 32, 64; strides 1, 2, 2), decoder blocks whose outputs are added
    to the encoder's (the "link"), and the final block: a 3x3 full convolution, a 3x3 convolution and a 2x2 full
    convolution to the classes."""

    def __init__(self, classes: int = 5, w: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        self.stem = nn.Sequential(_cbr(3, w[0], 7, 2), nn.MaxPool2d(3, 2, 1))
        self.enc = nn.ModuleList()
        cin = w[0]
        for i, c in enumerate(w):
            s = 1 if i == 0 else 2
            self.enc.append(nn.Sequential(_Basic(cin, c, s), _Basic(c, c, 1)))
            cin = c
        self.dec = nn.ModuleList([_LinkDecoder(w[2], w[1]), _LinkDecoder(w[1], w[0])])
        self.dec0 = _cbr(w[0], w[0], 1)  # the first encoder keeps its resolution: its decoder has no upsampling
        self.final = nn.Sequential(
            nn.ConvTranspose2d(w[0], 16, 3, 2, 1, output_padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            _cbr(16, 16, 3), nn.ConvTranspose2d(16, classes, 2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc[0](self.stem(x))
        e2 = self.enc[1](e1)
        e3 = self.enc[2](e2)
        d2 = self.dec[0](e3) + e2
        d1 = self.dec[1](d2) + e1
        return self.final(self.dec0(d1))


# ---- classifiers -----------------------------------------------------------------------------------------------------


class Involution(nn.Module):
    """Involution (Li et al. 2021): a KxK kernel generated at every pixel from that pixel's features (1x1 reduce by
    ``r`` with BatchNorm and ReLU, 1x1 expand to ``K^2 G``), shared over the ``C / G`` channels of each group and
    applied to the pixel's KxK neighbourhood."""

    def __init__(self, c: int, k: int = 3, groups: int = 4, r: int = 4) -> None:
        super().__init__()
        self.k, self.g = k, groups
        self.reduce = nn.Sequential(nn.Conv2d(c, c // r, 1, bias=False), nn.BatchNorm2d(c // r), nn.ReLU())
        self.span = nn.Conv2d(c // r, k * k * groups, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        ker = self.span(self.reduce(x)).view(b, self.g, 1, self.k * self.k, h, w)
        patches = F.unfold(x, self.k, padding=self.k // 2).view(b, self.g, c // self.g, self.k * self.k, h, w)
        return (ker * patches).sum(3).view(b, c, h, w)


class _InvBottleneck(nn.Module):
    """RedNet's bottleneck: 1x1 conv, BN, ReLU; involution 3x3, BN, ReLU; 1x1 conv, BN (zero-gamma); plus the
    shortcut; ``bn``: the BatchNorms kept (False: every BN dropped, the convolutions given biases)."""

    def __init__(self, cin: int, c: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        cout = 4 * c

        def norm(n: int) -> nn.Module:
            return nn.BatchNorm2d(n) if bn else nn.Identity()
        self.a = nn.Sequential(nn.Conv2d(cin, c, 1, bias=not bn), norm(c), nn.ReLU())
        self.inv = Involution(c)
        self.pool = nn.AvgPool2d(2) if stride == 2 else nn.Identity()
        self.bn2 = nn.Sequential(norm(c), nn.ReLU())
        self.c = nn.Conv2d(c, cout, 1, bias=not bn)
        self.bn3 = norm(cout)
        if bn:
            nn.init.zeros_(self.bn3.weight)
        self.skip = (nn.Sequential(nn.AvgPool2d(stride) if stride > 1 else nn.Identity(),
                                   nn.Conv2d(cin, cout, 1, bias=not bn), norm(cout))
                     if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.pool(self.inv(self.a(x))))
        return F.relu(self.bn3(self.c(y)) + self.skip(x))


class RedNet(nn.Module):
    """RedNet (Li et al. 2021), narrowed: an involution stem (3x3 conv 16, involution, 3x3 conv 32), three stages of
    one involution bottleneck each (widths 8, 16, 32, expansion 4; strides 1, 2, 2), global average pooling and a
    linear classifier; He init. ``bn``: see :class:`_InvBottleneck` (the stem's BatchNorms too)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()

        def norm(n: int) -> nn.Module:
            return nn.BatchNorm2d(n) if bn else nn.Identity()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=not bn), norm(16), nn.ReLU(), Involution(16),
                                  norm(16), nn.ReLU(), nn.Conv2d(16, 32, 3, 1, 1, bias=not bn), norm(32), nn.ReLU())
        stages, cin = [], 32
        for c, s in ((8, 1), (16, 2), (32, 2)):
            stages.append(_InvBottleneck(cin, c, s, bn))
            cin = 4 * c
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(cin, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.stages(self.stem(x)).mean((2, 3)))


class _Block(nn.Module):
    """A pre-LayerNorm transformer block (multi-head self-attention, GELU MLP of ``mlp`` times the width)."""

    def __init__(self, d: int, heads: int, mlp: float = 2.0) -> None:
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, int(mlp * d)), nn.GELU(), nn.Linear(int(mlp * d), d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.n1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.n2(x))


class T2TViT(nn.Module):
    """T2T-ViT (Yuan et al. 2021), narrowed to 16x16 images: the tokens-to-token module (a soft split ``unfold``
    3x3 stride 1 to 16x16 tokens of 27, a transformer layer of 32 (the T2T-ViT_t variant's plain attention), the
    tokens re-structured to an image and soft-split 3x3 stride 2 to 8x8 tokens, again, then 3x3 stride 2 to 4x4
    tokens projected to 64), a class token, learned positions and a ViT backbone of three blocks of 64 with four
    heads; the class token's LayerNorm to the classifier. Linear weights truncated-normal std 0.02."""

    def __init__(self, classes: int = 10, d: int = 64, t2t: int = 32, depth: int = 3) -> None:
        super().__init__()
        self.t2t1 = nn.Sequential(nn.Linear(27, t2t))
        self.att1 = _Block(t2t, 1, 1.0)
        self.t2t2 = nn.Linear(t2t * 9, t2t)
        self.att2 = _Block(t2t, 1, 1.0)
        self.proj = nn.Linear(t2t * 9, d)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(1, 17, d))
        self.blocks = nn.Sequential(*[_Block(d, 4) for _ in range(depth)])
        self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, classes)
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.cls, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    @staticmethod
    def _split(tokens: torch.Tensor, size: int, stride: int) -> torch.Tensor:
        img = tokens.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], size, size)
        return F.unfold(img, 3, padding=1, stride=stride).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = F.unfold(x, 3, padding=1).transpose(1, 2)  # (b, 256, 27)
        t = self.att1(self.t2t1(t))
        t = self.att2(self.t2t2(self._split(t, 16, 2)))  # (b, 64, t2t)
        t = self.proj(self._split(t, 8, 2))  # (b, 16, d)
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1) + self.pos
        return self.head(self.norm(self.blocks(t))[:, 0])


class BiLSTM2D(nn.Module):
    """Sequencer's BiLSTM2D (Tatsunami & Taki 2022): a bidirectional LSTM along every column and one along every
    row (hidden ``h`` each way), their outputs concatenated and mixed by a linear layer back to the width."""

    def __init__(self, d: int, h: int) -> None:
        super().__init__()
        self.v = nn.LSTM(d, h, batch_first=True, bidirectional=True)
        self.hz = nn.LSTM(d, h, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(4 * h, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, H, W, d)
        b, hh, ww, d = x.shape
        v, _ = self.v(x.permute(0, 2, 1, 3).reshape(b * ww, hh, d))
        v = v.reshape(b, ww, hh, -1).permute(0, 2, 1, 3)
        r, _ = self.hz(x.reshape(b * hh, ww, d))
        return self.fc(torch.cat([v, r.reshape(b, hh, ww, -1)], -1))


class Sequencer(nn.Module):
    """Sequencer2D (Tatsunami & Taki 2022), narrowed: a 2x2 patch embedding to 8x8 tokens of 48, two Sequencer
    blocks (LayerNorm, BiLSTM2D of hidden 12 each way, residual; LayerNorm, GELU MLP of 3x, residual), a 2x2 patch
    merging to 4x4 tokens of 96 and two more blocks of hidden 24, a LayerNorm, average pooling and a linear head."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.embed1, self.embed2 = nn.Conv2d(3, 48, 2, 2), nn.Conv2d(48, 96, 2, 2)
        self.stage1 = nn.ModuleList([self._block(48, 12) for _ in range(2)])
        self.stage2 = nn.ModuleList([self._block(96, 24) for _ in range(2)])
        self.norm, self.head = nn.LayerNorm(96), nn.Linear(96, classes)

    @staticmethod
    def _block(d: int, h: int) -> nn.ModuleList:
        return nn.ModuleList([nn.LayerNorm(d), BiLSTM2D(d, h), nn.LayerNorm(d),
                              nn.Sequential(nn.Linear(d, 3 * d), nn.GELU(), nn.Linear(3 * d, d))])

    @staticmethod
    def _run(x: torch.Tensor, stage: nn.ModuleList) -> torch.Tensor:
        for n1, mix, n2, mlp in stage:
            x = x + mix(n1(x))
            x = x + mlp(n2(x))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._run(self.embed1(x).permute(0, 2, 3, 1), self.stage1)
        x = self._run(self.embed2(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1), self.stage2)
        return self.head(self.norm(x).mean((1, 2)))
