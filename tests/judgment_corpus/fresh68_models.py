"""Hand-written models of the sixty-ninth held-out batch (``fresh68.py``), the vision and speech ones: small versions
of published architectures new to the corpus, each with the switches its broken variants need (one fault each, off by
default). The generative audio and image models are in ``fresh68_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- GCNet -----------------------------------------------------------------------------------------------------------


class _GCBlock(nn.Module):
    """GCNet's global context block: context modelling (a 1x1 conv to one map, softmax over the positions, the
    attention-weighted sum of the features), the transform (1x1 conv to ``c / ratio``, LayerNorm, ReLU, 1x1 conv back,
    the last zero-initialised as in the reference code) and the broadcast addition."""

    def __init__(self, c: int, ratio: int = 4) -> None:
        super().__init__()
        mid = max(4, c // ratio)
        self.mask = nn.Conv2d(c, 1, 1)
        self.t1, self.ln, self.t2 = nn.Conv2d(c, mid, 1), nn.LayerNorm([mid, 1, 1]), nn.Conv2d(mid, c, 1)
        nn.init.zeros_(self.t2.weight)
        nn.init.zeros_(self.t2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        a = F.softmax(self.mask(x).view(b, 1, h * w), -1)
        ctx = (x.view(b, c, h * w) @ a.transpose(1, 2)).view(b, c, 1, 1)
        return x + self.t2(F.relu(self.ln(self.t1(ctx))))


class _GCBasic(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, bn_bias: float | None) -> None:
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.gc = _GCBlock(cout)
        self.short = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                      if stride != 1 or cin != cout else nn.Identity())
        if bn_bias is not None:
            for bn in (self.b1, self.b2):
                nn.init.constant_(bn.bias, bn_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(self.gc(out) + self.short(x))


class GCNet(nn.Module):
    """GCNet (Cao et al. 2019, "GCNet: non-local networks meet squeeze-excitation networks and beyond"), narrowed: a
    GC-ResNet with a 3x3 stem of 16 and BatchNorm, three stages of one basic block each (16, 32, 64 channels, strides
    1, 2, 2), a GC block (ratio 1/4, narrowed from 1/16 for the small widths) after every block's last BatchNorm,
    global pooling and a linear classifier; Kaiming fan-out convolutions. ``bn_bias``: every BatchNorm's bias (the
    stem's and the blocks') started at that value instead of 0."""

    def __init__(self, classes: int = 10, widths: tuple[int, ...] = (16, 32, 64), bn_bias: float | None = None
                 ) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks, cin = [], widths[0]
        for i, c in enumerate(widths):
            blocks.append(_GCBasic(cin, c, 1 if i == 0 else 2, bn_bias))
            cin = c
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if bn_bias is not None:
            nn.init.constant_(self.stem[1].bias, bn_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


# ---- Coordinate attention (MobileNetV2) ------------------------------------------------------------------------------


def _bn(c: int, on: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if on else nn.Identity()


class _CoordAtt(nn.Module):
    """Coordinate attention: the features pooled along the width and along the height, the two strips concatenated
    through a shared 1x1 conv (to ``max(8, c / 32)``), BatchNorm and h-swish, split, one 1x1 conv and a sigmoid each,
    and the input multiplied by both."""

    def __init__(self, c: int, bn: bool) -> None:
        super().__init__()
        mid = max(8, c // 32)
        self.conv, self.bn = nn.Conv2d(c, mid, 1), _bn(mid, bn)
        self.ch, self.cw = nn.Conv2d(mid, c, 1), nn.Conv2d(mid, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[2], x.shape[3]
        y = torch.cat([x.mean(3, keepdim=True), x.mean(2, keepdim=True).transpose(2, 3)], 2)
        y = F.hardswish(self.bn(self.conv(y)))
        yh, yw = y.split([h, w], 2)
        return x * torch.sigmoid(self.ch(yh)) * torch.sigmoid(self.cw(yw.transpose(2, 3)))


class _InvRes(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, t: int, bn: bool) -> None:
        super().__init__()
        mid = cin * t
        layers: list[nn.Module] = []
        if t != 1:
            layers += [nn.Conv2d(cin, mid, 1, bias=not bn), _bn(mid, bn), nn.ReLU6()]
        layers += [nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=not bn), _bn(mid, bn), nn.ReLU6(),
                   _CoordAtt(mid, bn), nn.Conv2d(mid, cout, 1, bias=not bn), _bn(cout, bn)]
        self.body = nn.Sequential(*layers)
        self.res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.res else self.body(x)


class CAMobileNetV2(nn.Module):
    """MobileNetV2 with coordinate attention (Hou, Zhou and Feng 2021, "Coordinate attention for efficient mobile
    network design"), narrowed: a 3x3 stride-2 stem of 16, inverted residual blocks (expansion 1, then 6) of 16, 24,
    24, 32, 32 channels with strides 1, 2, 1, 2, 1 and a coordinate-attention module after every depthwise convolution
    (as the reference code), a 1x1 head of 128, global pooling, dropout 0.2 and a linear classifier; the reference
    code's init (Kaiming fan-out convolutions, N(0, 0.01^2) classifier). ``bn``: the BatchNorms (False: none,
    convolutions with biases)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        cfg = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6)]
        layers: list[nn.Module] = [nn.Conv2d(3, 16, 3, 2, 1, bias=not bn), _bn(16, bn), nn.ReLU6()]
        cin = 16
        for c, s, t in cfg:
            layers.append(_InvRes(cin, c, s, t, bn))
            cin = c
        layers += [nn.Conv2d(cin, 128, 1, bias=not bn), _bn(128, bn), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.drop, self.fc = nn.Dropout(0.2), nn.Linear(128, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.normal_(self.fc.weight, 0, 0.01)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.drop(self.features(x).mean((2, 3))))


# ---- Visformer -------------------------------------------------------------------------------------------------------


class _ConvBlock(nn.Module):
    """Visformer's convolutional block: BatchNorm, 1x1 conv (2x), GELU, grouped 3x3 conv (groups of 8 channels),
    GELU, 1x1 conv, added to the input."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(d)
        self.c1, self.c2, self.c3 = nn.Conv2d(d, 2 * d, 1), nn.Conv2d(2 * d, 2 * d, 3, 1, 1, groups=2 * d // 8), \
            nn.Conv2d(2 * d, d, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.c3(F.gelu(self.c2(F.gelu(self.c1(self.norm(x))))))


class _AttnBlock(nn.Module):
    """Visformer's attention block: BatchNorm, multi-head self-attention over the positions with 1x1-conv q, k, v and
    projection, added; BatchNorm, the 1x1-conv MLP (4x, GELU), added."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.n1, self.n2 = nn.BatchNorm2d(d), nn.BatchNorm2d(d)
        self.qkv, self.proj = nn.Conv2d(d, 3 * d, 1, bias=False), nn.Conv2d(d, d, 1)
        self.m1, self.m2 = nn.Conv2d(d, 4 * d, 1), nn.Conv2d(4 * d, d, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, d, h, w = x.shape
        q, k, v = self.qkv(self.n1(x)).view(b, 3, self.heads, d // self.heads, h * w).unbind(1)
        a = F.softmax(q.transpose(-2, -1) @ k / math.sqrt(d // self.heads), -1)
        x = x + self.proj((v @ a.transpose(-2, -1)).reshape(b, d, h, w))
        return x + self.m2(F.gelu(self.m1(self.n2(x))))


class Visformer(nn.Module):
    """Visformer (Chen et al. 2021, "Visformer: the vision-friendly transformer"), narrowed: a 3x3 stem of 32 with
    BatchNorm and ReLU, a 2x2 stride-2 patch embedding to 48 and one convolutional block at 8x8, a 2x2 stride-2 patch
    embedding to 96 and two attention blocks (6 heads) at 4x4, BatchNorm, global pooling and a linear classifier; the
    reference code's init (truncated N(0, 0.02^2) Linears, Kaiming fan-out convolutions). ``init_std``: every
    convolution and Linear drawn N(0, init_std^2) instead."""

    def __init__(self, classes: int = 10, init_std: float | None = None) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.embed1 = nn.Sequential(nn.Conv2d(32, 48, 2, 2), nn.BatchNorm2d(48))
        self.stage1 = _ConvBlock(48)
        self.embed2 = nn.Sequential(nn.Conv2d(48, 96, 2, 2), nn.BatchNorm2d(96))
        self.stage2 = nn.Sequential(_AttnBlock(96, 6), _AttnBlock(96, 6))
        self.norm, self.fc = nn.BatchNorm2d(96), nn.Linear(96, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            if init_std is not None and isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.normal_(m.weight, 0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage1(self.embed1(self.stem(x)))
        return self.fc(self.norm(self.stage2(self.embed2(x))).mean((2, 3)))


# ---- attention-based keyword spotting --------------------------------------------------------------------------------


class AttentionKWS(nn.Module):
    """The attention-based end-to-end keyword spotter (Shan et al. 2018, "Attention-based end-to-end models for
    small-footprint keyword spotting"), its GRU encoder narrowed to one layer of 64: the GRU over the filterbank
    frames, the soft attention ``a_t = softmax_t(v^T tanh(W h_t + b))``, the attended sum of the states and a linear
    softmax layer; PyTorch's default init. ``hh_std``: the GRU's recurrent weights drawn N(0, hh_std^2); ``zero``:
    every weight and bias set to zero."""

    def __init__(self, feats: int = 20, hidden: int = 64, classes: int = 6, hh_std: float | None = None,
                 zero: bool = False) -> None:
        super().__init__()
        self.gru = nn.GRU(feats, hidden, batch_first=True)
        self.w, self.v = nn.Linear(hidden, hidden), nn.Linear(hidden, 1, bias=False)
        self.out = nn.Linear(hidden, classes)
        if hh_std is not None:
            nn.init.normal_(self.gru.weight_hh_l0, 0.0, hh_std)
        if zero:
            for p in self.parameters():
                nn.init.zeros_(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(x)
        a = F.softmax(self.v(torch.tanh(self.w(h))), 1)
        return self.out((a * h).sum(1))


# ---- ContextNet ------------------------------------------------------------------------------------------------------


class _SepConv(nn.Module):
    """A depthwise-separable 1-D convolution (kernel 5), BatchNorm and Swish."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = nn.Conv1d(cin, cin, 5, stride, 2, groups=cin, bias=False)
        self.pw, self.bn = nn.Conv1d(cin, cout, 1, bias=False), nn.BatchNorm1d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.silu(self.bn(self.pw(self.dw(x))))


class _CNBlock(nn.Module):
    """ContextNet's block: ``layers`` separable convolutions (the last one strided when ``stride`` is 2), the
    squeeze-excite with global context (the time average, two Linears with Swish and a sigmoid, ratio 1/8), and the
    residual (a strided pointwise conv and BatchNorm) added before the last Swish."""

    def __init__(self, cin: int, cout: int, layers: int, stride: int, residual: bool = True) -> None:
        super().__init__()
        self.convs = nn.ModuleList([_SepConv(cin if i == 0 else cout, cout, stride if i == layers - 1 else 1)
                                    for i in range(layers)])
        self.se1, self.se2 = nn.Linear(cout, cout // 8), nn.Linear(cout // 8, cout)
        self.res = nn.Sequential(nn.Conv1d(cin, cout, 1, stride, bias=False), nn.BatchNorm1d(cout)) if residual \
            else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        for conv in self.convs:
            y = conv(y)
        y = y * torch.sigmoid(self.se2(F.silu(self.se1(y.mean(2)))))[..., None]
        return F.silu(y + self.res(x)) if self.res is not None else y


class ContextNet(nn.Module):
    """ContextNet (Han et al. 2020, "ContextNet: improving convolutional neural networks for automatic speech
    recognition with global context"), narrowed: its first block (one convolution, no residual), then three blocks of
    three separable convolutions of 64 channels with squeeze-excite and residuals, the second of them with stride 2
    (a 2x shorter output), and a linear CTC output layer over the tokens and the blank (id 0); PyTorch's default
    init. Returns ``(batch, time / 2, tokens + 1)`` logits."""

    def __init__(self, feats: int = 20, c: int = 64, tokens: int = 8) -> None:
        super().__init__()
        self.blocks = nn.Sequential(_CNBlock(feats, c, 1, 1, residual=False), _CNBlock(c, c, 3, 1),
                                    _CNBlock(c, c, 3, 2), _CNBlock(c, c, 3, 1))
        self.out = nn.Linear(c, tokens + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(x.transpose(1, 2)).transpose(1, 2))
