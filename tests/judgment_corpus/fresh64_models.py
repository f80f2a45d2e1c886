"""Hand-written models of the sixty-fifth held-out batch (``fresh64.py``), vision, tabular and recommender ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The recurrent recommender, operator-learning, atomistic and generative models are in
``fresh64_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- MixNet ----------------------------------------------------------------------------------------------------------


def _bn(c: int) -> nn.BatchNorm2d:
    """TensorFlow's BatchNorm settings of the reference code (decay 0.99, epsilon 1e-3)."""
    return nn.BatchNorm2d(c, momentum=0.01, eps=1e-3)


class _MixConv(nn.Module):
    """A depthwise MixConv: the channels split into equal groups, one depthwise kernel size per group (Tan and Le
    2019), the outputs concatenated."""

    def __init__(self, c: int, kernels: tuple[int, ...], stride: int) -> None:
        super().__init__()
        n = len(kernels)
        self.splits = [c // n + (1 if i < c % n else 0) for i in range(n)]
        self.convs = nn.ModuleList([nn.Conv2d(s, s, k, stride, k // 2, groups=s, bias=False)
                                    for s, k in zip(self.splits, kernels)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([conv(part) for conv, part in zip(self.convs, x.split(self.splits, 1))], 1)


class _MixBlock(nn.Module):
    """MixNet's inverted-residual block: a 1x1 expansion (ratio ``expand``), the MixConv, squeeze-excite on the
    expanded channels (ratio ``se`` of the block's input channels, swish inside, sigmoid gate), a linear 1x1
    projection; BatchNorm after each convolution; the identity shortcut where the shapes match."""

    def __init__(self, c_in: int, c_out: int, expand: int, kernels: tuple[int, ...], stride: int, act: str,
                 se: float) -> None:
        super().__init__()
        mid = c_in * expand
        self.act = nn.SiLU() if act == "swish" else nn.ReLU()
        self.expand = nn.Sequential(nn.Conv2d(c_in, mid, 1, bias=False), _bn(mid)) if expand > 1 else None
        self.dw, self.bn_dw = _MixConv(mid, kernels, stride), _bn(mid)
        red = max(1, int(c_in * se))
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(mid, red, 1), nn.SiLU(), nn.Conv2d(red, mid, 1),
                                nn.Sigmoid()) if se > 0 else None
        self.project = nn.Sequential(nn.Conv2d(mid, c_out, 1, bias=False), _bn(c_out))
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.expand(x)) if self.expand is not None else x
        h = self.act(self.bn_dw(self.dw(h)))
        if self.se is not None:
            h = h * self.se(h)
        h = self.project(h)
        return x + h if self.skip else h


class MixNet(nn.Module):
    """MixNet-S (Tan and Le 2019), narrowed to 16x16 images: a 3x3 stem of 16, five MixNet-S blocks (16 -> 16 ReLU;
    16 -> 24 stride 2 expand 3 ReLU; 24 -> 24 expand 3 ReLU; 24 -> 40 stride 2 expand 6 kernels 3/5/7 swish SE 0.5;
    40 -> 40 expand 6 kernels 3/5 swish SE 0.5), a 1x1 head of 128, average pooling, dropout 0.2 and the classifier.
    Init as the reference code: convolutions N(0, 2 / fan_out), the classifier U(+-1 / sqrt(out))."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), _bn(16), nn.ReLU())
        cfg = [(16, 16, 1, (3,), 1, "relu", 0.0), (16, 24, 3, (3,), 2, "relu", 0.0), (24, 24, 3, (3,), 1, "relu", 0.0),
               (24, 40, 6, (3, 5, 7), 2, "swish", 0.5), (40, 40, 6, (3, 5), 1, "swish", 0.5)]
        self.blocks = nn.Sequential(*[_MixBlock(*c) for c in cfg])
        self.head = nn.Sequential(nn.Conv2d(40, 128, 1, bias=False), _bn(128), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten(), nn.Dropout(0.2))
        self.fc = nn.Linear(128, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1] // m.groups
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        bound = 1.0 / math.sqrt(classes)
        nn.init.uniform_(self.fc.weight, -bound, bound)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.head(self.blocks(self.stem(x))))


# ---- IBN-Net ---------------------------------------------------------------------------------------------------------


class _IBN(nn.Module):
    """IBN-a's normalisation: InstanceNorm (affine) on the first half of the channels, BatchNorm on the rest."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.half = c // 2
        self.IN = nn.InstanceNorm2d(self.half, affine=True)
        self.BN = nn.BatchNorm2d(c - self.half)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.split([self.half, x.shape[1] - self.half], 1)
        return torch.cat([self.IN(a), self.BN(b)], 1)


def _norm(c: int, ibn: bool, norm: bool) -> nn.Module:
    if not norm:
        return nn.Identity()
    return _IBN(c) if ibn else nn.BatchNorm2d(c)


class _IBNBlock(nn.Module):
    """The basic block of ``resnet_ibn_a`` (``BasicBlock_IBN``): conv 3x3, IBN (or BatchNorm), ReLU, conv 3x3,
    BatchNorm, the shortcut (a 1x1 convolution and BatchNorm where the shape changes), ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int, ibn: bool, norm: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=not norm)
        self.bn1 = _norm(c_out, ibn, norm)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=not norm)
        self.bn2 = _norm(c_out, False, norm)
        self.down = None
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=not norm), _norm(c_out, False, norm))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(h + (x if self.down is None else self.down(x)))


class IBNNet(nn.Module):
    """IBN-Net-a (Pan et al. 2018) on a CIFAR-style ResNet: a 3x3 stem of 16, three stages of ``blocks`` basic
    blocks (16, 32, 64 channels), IBN in the first normalisation of every block of the first two stages (none in the
    last, as the paper), average pooling, the classifier. Init as the reference code: convolutions N(0, 2 / (k^2
    out)), norm gains 1 and shifts 0. ``norm=False``: every InstanceNorm and BatchNorm left out (the convolutions get
    biases)."""

    def __init__(self, classes: int = 10, blocks: int = 2, norm: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=not norm), _norm(16, False, norm), nn.ReLU())
        layers, c = [], 16
        for i, width in enumerate((16, 32, 64)):
            for j in range(blocks):
                layers.append(_IBNBlock(c, width, 2 if (j == 0 and i > 0) else 1, i < 2, norm))
                c = width
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / n))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.layers(self.stem(x)).mean((2, 3)))


# ---- ModernNCA -------------------------------------------------------------------------------------------------------


class ModernNCA(nn.Module):
    """ModernNCA (Ye et al. 2024), narrowed (no PLR embeddings): a linear encoder to 64 and one MLP block (BatchNorm,
    ReLU, dropout 0.1, Linear 64 -> 64) embed the queries and the candidates alike; each query's class log-probability
    is the log-sum of ``exp(-d)`` over the candidates of that class minus the log-sum over all (``d`` the Euclidean
    distance in the embedding, the paper's soft nearest-neighbour rule). The candidates are a fixed labelled set held
    by the model; the rows are standardised first by the feature scaler's buffers ``x_mean`` and ``x_std``, which
    start as the identity (0 and 1) and are filled from the training rows (or a checkpoint)."""

    def __init__(self, cand_x: torch.Tensor, cand_y: torch.Tensor, classes: int, d: int = 64,
                 dropout: float = 0.1, init_std: float | None = None) -> None:
        super().__init__()
        self.register_buffer("x_mean", torch.zeros(cand_x.shape[1]))
        self.register_buffer("x_std", torch.ones(cand_x.shape[1]))
        self.register_buffer("cand_x", cand_x)
        self.register_buffer("onehot", F.one_hot(cand_y, classes).float())
        self.encoder = nn.Sequential(nn.Linear(cand_x.shape[1], d), nn.BatchNorm1d(d), nn.ReLU(), nn.Dropout(dropout),
                                     nn.Linear(d, d))
        if init_std is not None:
            for m in self.encoder:
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encoder((torch.cat([x, self.cand_x]) - self.x_mean) / self.x_std)
        q, c = z[: x.shape[0]], z[x.shape[0]:]
        logits = -torch.cdist(q, c)
        log_class = torch.logsumexp(logits[:, :, None] + torch.log(self.onehot)[None], 1)
        return log_class - torch.logsumexp(logits, 1, keepdim=True)


# ---- ConvNCF ---------------------------------------------------------------------------------------------------------


def normal_init_(w: torch.Tensor, var: float) -> torch.Tensor:
    """The user's init helper: ``w ~ N(0, var)``, the variance as its argument."""
    with torch.no_grad():
        return w.normal_(0.0, math.sqrt(var))


class ConvNCF(nn.Module):
    """ConvNCF (He et al. 2018), narrowed: user and item embeddings of ``d`` (16 in the batch), their outer product as
    a ``d x d`` map, ``log2 d`` 2x2 stride-2 convolutions of 32 channels with ReLU (down to 1x1), and a linear score.
    The embeddings are N(0, 0.1^2) (a stand-in for the paper's MF pre-training); the convolutions and the score
    He-normal by the user's helper, ``normal_init_(w, 2 / fan_in)``. ``init``: ``"std_as_var"`` passes the He
    standard deviation ``sqrt(2 / fan_in)`` to the helper, which wants the variance (every std becomes ``(2 /
    fan_in) ** 0.25``; a slip measured and dropped, it learned); a float draws every convolution and the score N(0,
    init^2) (0: the zero init). ``relu_bias``: every convolution's bias set to it."""

    def __init__(self, users: int, items: int, d: int = 32, channels: int = 32, init: str | float = "he",
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.user, self.item = nn.Embedding(users, d), nn.Embedding(items, d)
        nn.init.normal_(self.user.weight, 0.0, 0.1)
        nn.init.normal_(self.item.weight, 0.0, 0.1)
        convs, c = [], 1
        for _ in range(int(math.log2(d))):
            convs.append(nn.Conv2d(c, channels, 2, 2))
            c = channels
        self.convs = nn.ModuleList(convs)
        self.score = nn.Linear(channels, 1)
        for m in [*self.convs, self.score]:
            fan_in = m.weight[0].numel()
            if init == "he":
                normal_init_(m.weight, 2.0 / fan_in)
            elif init == "std_as_var":
                normal_init_(m.weight, math.sqrt(2.0 / fan_in))
            else:
                nn.init.normal_(m.weight, 0.0, float(init))
            nn.init.zeros_(m.bias)
        if relu_bias is not None:
            for conv in self.convs:
                nn.init.constant_(conv.bias, relu_bias)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        """``pairs (b, 2)`` user and item ids -> scores ``(b,)``."""
        u, i = self.user(pairs[:, 0]), self.item(pairs[:, 1])
        h = (u[:, :, None] * i[:, None, :])[:, None]
        for conv in self.convs:
            h = F.relu(conv(h))
        return self.score(h.flatten(1)).squeeze(-1)

    def bpr(self, triples: torch.Tensor) -> torch.Tensor:
        """``triples (b, 3)`` (user, positive item, negative item) -> the BPR differences ``(b,)``."""
        pos = self(triples[:, [0, 1]])
        neg = self(triples[:, [0, 2]])
        return pos - neg
