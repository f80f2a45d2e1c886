"""Hand-written models of the sixty-first held-out batch (``fresh60.py``), the vision and text ones: small versions
of published architectures new to the corpus (an image classifier, a segmenter and a text classifier), each with the
switches its broken variants need (one fault each, off by default). The graph, generative and imitation models are in
``fresh60_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- HarDNet ---------------------------------------------------------------------------------------------------------


def _conv(cin: int, cout: int, k: int = 3, bn: bool = True, stride: int = 1) -> nn.Sequential:
    """HarDNet's ``ConvLayer``: Conv (no bias) - BatchNorm - ReLU6 (``bn=False``: the conv keeps a bias, no norm)."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers, nn.ReLU6())


def _link(layer: int, base: int, growth: float, mult: float) -> tuple[int, int, list[int]]:
    """The reference code's ``get_link``: layer ``l`` reads layer ``l - 2^n`` for every ``2^n`` dividing ``l``, and its
    width is ``growth * mult^(n links - 1)`` rounded to even."""
    if layer == 0:
        return base, 0, []
    out, link = growth, []
    for i in range(10):
        dv = 2 ** i
        if layer % dv == 0:
            link.append(layer - dv)
            if i > 0:
                out *= mult
    out = int(int(out + 1) / 2) * 2
    cin = sum(_link(k, base, growth, mult)[0] for k in link)
    return int(out), cin, link


class HarDBlock(nn.Module):
    """A harmonic dense block: ``n`` 3x3 ConvLayers wired by :func:`_link`; its output concatenates the odd layers
    and the last (the input is not reused)."""

    def __init__(self, cin: int, growth: int, mult: float, n: int, bn: bool = True) -> None:
        super().__init__()
        self.links, layers, self.out_ch = [], [], 0
        for i in range(n):
            out, lin, link = _link(i + 1, cin, growth, mult)
            self.links.append(link)
            layers.append(_conv(lin, out, bn=bn))
            if i % 2 == 0 or i == n - 1:
                self.out_ch += out
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for link, layer in zip(self.links, self.layers):
            feats.append(layer(torch.cat([feats[k] for k in link], 1)))
        n = len(feats)
        return torch.cat([feats[i] for i in range(n) if i == n - 1 or i % 2 == 1], 1)


class HarDNet(nn.Module):
    """HarDNet (Chao et al. 2019, "HarDNet: a low memory traffic network"), narrowed: a 3x3 stride-2 stem of 16, a
    HarDBlock of 8 layers (growth 8, multiplier 1.7; 8 is HarDNet68's smallest block depth), the transitional 1x1
    ConvLayer to 32 and a 2x2 average pool, a second block (growth 12, 8 layers), its 1x1 to 64, global pooling,
    dropout 0.1 and the classifier; PyTorch's default init (the reference code sets none). ``bn=False``: no BatchNorm
    anywhere (the convolutions keep their biases); ``n``: the layers of each block."""

    def __init__(self, classes: int = 10, bn: bool = True, n: int = 8) -> None:
        super().__init__()
        b1 = HarDBlock(16, 8, 1.7, n, bn)
        b2 = HarDBlock(32, 12, 1.7, n, bn)
        self.features = nn.Sequential(_conv(3, 16, bn=bn, stride=2), b1, _conv(b1.out_ch, 32, 1, bn), nn.AvgPool2d(2),
                                      b2, _conv(b2.out_ch, 64, 1, bn))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.1), nn.Linear(64, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


# ---- EDANet ----------------------------------------------------------------------------------------------------------


class _Down(nn.Module):
    """EDANet's (ENet's) downsampling block: a 3x3 stride-2 convolution to ``cout - cin`` channels beside a 2x2 max
    pool of the input, concatenated, BatchNorm and ReLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv, self.bn = nn.Conv2d(cin, cout - cin, 3, 2, 1), nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(torch.cat([self.conv(x), F.max_pool2d(x, 2)], 1)))


class EDAModule(nn.Module):
    """The efficient dense module of asymmetric convolution: a 1x1 convolution to ``k`` (BN, ReLU), a 3x1 and a 1x3
    convolution (BN, ReLU), the same pair at ``dilation`` (BN, ReLU), dropout 0.02, and the output concatenated to
    the input (the dense connection: ``k`` more channels)."""

    def __init__(self, cin: int, k: int, dilation: int) -> None:
        super().__init__()
        d = dilation
        self.conv1, self.bn0 = nn.Conv2d(cin, k, 1), nn.BatchNorm2d(k)
        self.conv31, self.conv13 = nn.Conv2d(k, k, (3, 1), padding=(1, 0)), nn.Conv2d(k, k, (1, 3), padding=(0, 1))
        self.bn1 = nn.BatchNorm2d(k)
        self.dconv31 = nn.Conv2d(k, k, (3, 1), padding=(d, 0), dilation=(d, 1))
        self.dconv13 = nn.Conv2d(k, k, (1, 3), padding=(0, d), dilation=(1, d))
        self.bn2, self.drop = nn.BatchNorm2d(k), nn.Dropout2d(0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn0(self.conv1(x)))
        h = F.relu(self.bn1(self.conv13(self.conv31(h))))
        h = self.drop(F.relu(self.bn2(self.dconv13(self.dconv31(h)))))
        return torch.cat([x, h], 1)


class EDANet(nn.Module):
    """EDANet (Lo et al. 2019, "Efficient dense modules of asymmetric convolution for real-time semantic
    segmentation"), narrowed: a downsampling block to 12, an EDA block of two modules (growth 12, dilations 1, 1), a
    downsampling block to 48, an EDA block of three modules (growth 12, dilations 1, 2, 2), the 1x1 projection to the
    classes and a bilinear up-sampling by 4 to the input's size (the paper's three downsamplings and 5 + 8 modules of
    growth 40 narrowed to a 16x16 input); PyTorch's default init."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = [_Down(3, 12)]
        c = 12
        for d in (1, 1):
            layers.append(EDAModule(c, 12, d))
            c += 12
        layers.append(_Down(c, 48))
        c = 48
        for d in (1, 2, 2):
            layers.append(EDAModule(c, 12, d))
            c += 12
        self.features, self.project = nn.Sequential(*layers), nn.Conv2d(c, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(self.project(self.features(x)), size=x.shape[-2:], mode="bilinear", align_corners=False)


# ---- DRNN ------------------------------------------------------------------------------------------------------------


class DRNN(nn.Module):
    """The disconnected RNN (Wang 2018, "Disconnected recurrent neural networks for text categorization"): at every
    position a GRU reads only the window of the last ``window`` words (zero-padded at the start), its final state is
    the position's feature; dropout, an MLP (a ReLU Linear), max pooling over the positions and the softmax layer.
    Embeddings of 32, GRU of 32, window 4 (the paper's windows are 15 to 30 on long documents; 4 for texts of 16);
    PyTorch's default init. ``update_bias``: the GRU's update-gate biases set to that value (``z = sigmoid(b)``:
    ``h_t = (1 - z) n_t + z h_{t-1}`` keeps its zero start)."""

    def __init__(self, vocab: int = 64, classes: int = 4, d: int = 32, hidden: int = 32, window: int = 4,
                 drop: float = 0.2, update_bias: float | None = None) -> None:
        super().__init__()
        self.window = window
        self.emb = nn.Embedding(vocab, d)
        self.gru = nn.GRU(d, hidden, batch_first=True)
        if update_bias is not None:
            with torch.no_grad():  # PyTorch's gate order: reset, update, new
                for b in (self.gru.bias_ih_l0, self.gru.bias_hh_l0):
                    b[hidden:2 * hidden] = update_bias / 2
        self.drop = nn.Dropout(drop)
        self.mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU())
        self.out = nn.Linear(hidden, classes)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        e = F.pad(self.emb(s), (0, 0, self.window - 1, 0))  # (b, window - 1 + n, d)
        b, n = s.shape
        windows = e.unfold(1, self.window, 1).permute(0, 1, 3, 2).reshape(b * n, self.window, -1)
        _, h = self.gru(windows)
        h = self.mlp(self.drop(h[-1].reshape(b, n, -1)))
        return self.out(h.max(1).values)
