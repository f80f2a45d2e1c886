"""Hand-written models of the forty-second held-out batch (``fresh41.py``), vision, audio, speech and time-series
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The tabular, point-cloud and video models are in ``fresh41_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- FasterNet -------------------------------------------------------------------------------------------------------


class _FasterBlock(nn.Module):
    """FasterNet's block: the partial convolution (a 3x3 convolution on the first quarter of the channels, the rest
    passed through), then the point-wise MLP 1x1 (2x) - BatchNorm - GELU - 1x1, added to the input."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.cp = c // 4
        self.pconv = nn.Conv2d(self.cp, self.cp, 3, 1, 1, bias=False)
        self.mlp = nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.BatchNorm2d(2 * c), nn.GELU(),
                                 nn.Conv2d(2 * c, c, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([self.pconv(x[:, : self.cp]), x[:, self.cp:]], 1)
        return x + self.mlp(y)


class FasterNet(nn.Module):
    """FasterNet (Chen et al. 2023, "Run, don't walk: chasing higher FLOPS for faster neural networks"), narrowed
    from FasterNet-T0: the 4x4 stride-4 patch-embedding stem with BatchNorm, three stages of 1, 2, 2 FasterNet blocks
    (16, 32, 64 channels) joined by 2x2 stride-2 merging convolutions with BatchNorm, global average pooling, the 1x1
    convolution to 256 features with GELU, a Linear classifier; convolutions and Linears truncated-normal std 0.02,
    biases zero (the reference code's ``cls_init_weights``)."""

    def __init__(self, classes: int = 10, dims: tuple[int, ...] = (16, 32, 64), depths: tuple[int, ...] = (1, 2, 2)
                 ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, dims[0], 4, 4, bias=False), nn.BatchNorm2d(dims[0])]
        for i, (c, n) in enumerate(zip(dims, depths, strict=True)):
            if i:
                layers += [nn.Conv2d(dims[i - 1], c, 2, 2, bias=False), nn.BatchNorm2d(c)]
            layers += [_FasterBlock(c) for _ in range(n)]
        self.body = nn.Sequential(*layers)
        self.feat = nn.Sequential(nn.Conv2d(dims[-1], 256, 1, bias=False), nn.GELU())
        self.fc = nn.Linear(256, classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.feat(self.body(x).mean((2, 3), keepdim=True)).flatten(1))


# ---- BC-ResNet -------------------------------------------------------------------------------------------------------


class _SubSpectralNorm(nn.Module):
    """SubSpectralNorm: a BatchNorm per channel and frequency sub-band (the frequency axis cut into ``bands``)."""

    def __init__(self, c: int, bands: int = 5) -> None:
        super().__init__()
        self.bands = bands
        self.bn = nn.BatchNorm2d(c * bands)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, f, t = x.shape
        return self.bn(x.reshape(b, c * self.bands, f // self.bands, t)).reshape(b, c, f, t)


class _BCBlock(nn.Module):
    """The broadcasted residual block: ``f2`` (a 3x1 frequency-depthwise convolution and SubSpectralNorm), then the
    frequency average, ``f1`` (a 1x3 temporal depthwise convolution, BatchNorm, swish, a 1x1 convolution, channel
    dropout 0.1) broadcast back over the frequencies and added to ``f2``'s output and to the input, then ReLU. A
    transition block (channels or frequency stride change) first maps the input by a 1x1 convolution, BatchNorm and
    ReLU and keeps no identity shortcut."""

    def __init__(self, a: int, b: int, stride: int = 1) -> None:
        super().__init__()
        self.transition = a != b or stride != 1
        self.pre = (nn.Sequential(nn.Conv2d(a, b, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU())
                    if self.transition else nn.Identity())
        self.f2 = nn.Sequential(nn.Conv2d(b, b, (3, 1), (stride, 1), (1, 0), groups=b, bias=False),
                                _SubSpectralNorm(b))
        self.f1 = nn.Sequential(nn.Conv2d(b, b, (1, 3), 1, (0, 1), groups=b, bias=False), nn.BatchNorm2d(b),
                                nn.SiLU(), nn.Conv2d(b, b, 1, bias=False), nn.Dropout2d(0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pre(x)
        y = self.f2(x)
        out = y + self.f1(y.mean(2, keepdim=True))
        return F.relu(out if self.transition else out + x)


class BCResNet(nn.Module):
    """BC-ResNet (Kim et al. 2021, "Broadcasted residual learning for efficient keyword spotting"), narrowed from
    BC-ResNet-1 to two stages: a 5x5 stride-(2, 1) stem of 16 channels, stages of a transition and a normal block at
    8 and 12 channels (the second with frequency stride 2), the 5x5 depthwise head, a 1x1 convolution to 32, the
    average over frequency and time and a 1x1 classifier; PyTorch's default init."""

    def __init__(self, classes: int = 8) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 5, (2, 1), 2, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(_BCBlock(16, 8), _BCBlock(8, 8), _BCBlock(8, 12, 2), _BCBlock(12, 12))
        self.head = nn.Sequential(nn.Conv2d(12, 12, 5, 1, 2, groups=12, bias=False), nn.Conv2d(12, 32, 1, bias=False),
                                  nn.BatchNorm2d(32), nn.ReLU())
        self.fc = nn.Conv2d(32, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, 1, mel, frames
        return self.fc(self.head(self.blocks(self.stem(x))).mean((2, 3), keepdim=True)).flatten(1)


# ---- CLDNN -----------------------------------------------------------------------------------------------------------


class CLDNN(nn.Module):
    """CLDNN (Sainath et al. 2015, "Convolutional, long short-term memory, fully connected deep neural networks"),
    narrowed: a 9x9 convolution of 16 filters over (frequency, time) with ReLU and max pooling 3 in frequency, a linear
    projection to 32, two LSTM layers of 32 cells (packed by the utterances' lengths, the last layer's final state
    read out), then the DNN: two ReLU layers of 64 and a softmax layer; PyTorch's default init. It takes
    ``(log-mel frames (b, mel, t), lengths)``; ``enforce_sorted``: ``pack_padded_sequence``'s (True: the batch must
    come sorted by decreasing length). ``dnn_layers``: the number of ReLU layers; ``relu_bias``: their biases set to
    that value; ``forget_bias``: both LSTMs' forget-gate biases set to that value (``bias_ih``'s forget quarter,
    ``bias_hh``'s zeroed)."""

    def __init__(self, mel: int = 24, classes: int = 4, dnn_layers: int = 2, relu_bias: float | None = None,
                 forget_bias: float | None = None, enforce_sorted: bool = False) -> None:
        super().__init__()
        self.enforce_sorted = enforce_sorted
        self.conv = nn.Conv2d(1, 16, 9, padding=4)
        self.proj = nn.Linear(16 * (mel // 3), 32)
        self.lstm = nn.LSTM(32, 32, num_layers=2, batch_first=True)
        dnn: list[nn.Module] = []
        for i in range(dnn_layers):
            dnn += [nn.Linear(32 if i == 0 else 64, 64), nn.ReLU()]
        self.dnn = nn.Sequential(*dnn)
        self.out = nn.Linear(64, classes)
        with torch.no_grad():
            if relu_bias is not None:
                for m in self.dnn:
                    if isinstance(m, nn.Linear):
                        m.bias.fill_(relu_bias)
            if forget_bias is not None:
                for name, p in self.lstm.named_parameters():
                    if name.startswith("bias"):
                        p[32:64] = forget_bias if name.startswith("bias_ih") else 0.0

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, lengths = inp
        b, _, t = x.shape  # log-mel frames, padded to t
        y = F.max_pool2d(F.relu(self.conv(x[:, None])), (3, 1))  # b, 16, mel // 3, t
        y = self.proj(y.permute(0, 3, 1, 2).reshape(b, t, -1))
        packed = nn.utils.rnn.pack_padded_sequence(y, lengths, batch_first=True, enforce_sorted=self.enforce_sorted)
        _, (h, _) = self.lstm(packed)
        return self.out(self.dnn(h[-1]))


# ---- ModernTCN -------------------------------------------------------------------------------------------------------


class _ModernTCNBlock(nn.Module):
    """ModernTCN's block on ``(batch, variables, channels, patches)``: a large-kernel depthwise convolution along the
    patches (one filter per variable and channel) with BatchNorm, ConvFFN1 (a grouped 1x1 2x expansion per variable,
    GELU), ConvFFN2 (a grouped 1x1 2x expansion per channel, mixing the variables, GELU), added to the input."""

    def __init__(self, m: int, d: int, kernel: int = 13) -> None:
        super().__init__()
        self.m, self.d = m, d
        self.dw = nn.Conv1d(m * d, m * d, kernel, padding=kernel // 2, groups=m * d)
        self.bn = nn.BatchNorm1d(m * d)
        self.ffn1 = nn.Sequential(nn.Conv1d(m * d, 2 * m * d, 1, groups=m), nn.GELU(),
                                  nn.Conv1d(2 * m * d, m * d, 1, groups=m))
        self.ffn2 = nn.Sequential(nn.Conv1d(d * m, 2 * d * m, 1, groups=d), nn.GELU(),
                                  nn.Conv1d(2 * d * m, d * m, 1, groups=d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, m, d, n = x.shape
        y = self.ffn1(self.bn(self.dw(x.reshape(b, m * d, n))))
        y = y.reshape(b, m, d, n).transpose(1, 2).reshape(b, d * m, n)
        y = self.ffn2(y).reshape(b, d, m, n).transpose(1, 2)
        return x + y


class ModernTCN(nn.Module):
    """ModernTCN (Luo and Wang 2024, "ModernTCN: a modern pure convolution structure for general time series
    analysis"), narrowed for forecasting: RevIN (affine) on every variable's look-back window, the patch embedding (a
    stride-4 convolution of kernel 8 per variable to 16 channels), two ModernTCN blocks (kernel 13), the flatten head
    per variable to the horizon, RevIN's inverse; PyTorch's default init."""

    def __init__(self, variables: int = 4, lookback: int = 64, horizon: int = 16, d: int = 16, blocks: int = 2,
                 patch: int = 8, stride: int = 4) -> None:
        super().__init__()
        self.d, self.patch, self.stride = d, patch, stride
        self.gamma, self.beta = nn.Parameter(torch.ones(variables)), nn.Parameter(torch.zeros(variables))
        self.embed = nn.Conv1d(1, d, patch, stride)
        self.blocks = nn.ModuleList([_ModernTCNBlock(variables, d) for _ in range(blocks)])
        n = (lookback + stride - patch) // stride + 1
        self.head = nn.Linear(d * n, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, variables, lookback
        b, m, _ = x.shape
        mean, std = x.mean(2, keepdim=True), (x.var(2, keepdim=True, unbiased=False) + 1e-5).sqrt()
        z = (x - mean) / std * self.gamma[:, None] + self.beta[:, None]
        z = F.pad(z, (0, self.stride))  # the reference code's end padding before the patches
        h = self.embed(z.reshape(b * m, 1, -1)).reshape(b, m, self.d, -1)
        for block in self.blocks:
            h = block(h)
        y = self.head(h.flatten(2))
        return (y - self.beta[:, None]) / (self.gamma[:, None] + 1e-10) * std + mean
