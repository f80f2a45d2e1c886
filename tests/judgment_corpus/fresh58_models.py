"""Hand-written models of the fifty-ninth held-out batch (``fresh58.py``), the vision and text ones: small versions of
published architectures new to the corpus, each with the switches its broken variants need (one fault each, off by
default). The language-model, tabular and scientific models are in ``fresh58_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- DLA -------------------------------------------------------------------------------------------------------------


def _bn(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


class _Basic(nn.Module):
    """DLA's residual basic block: 3x3 conv - BN - ReLU - 3x3 conv - BN, plus the (given) residual, ReLU."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=not bn)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=not bn)
        self.b1, self.b2 = _bn(cout, bn), _bn(cout, bn)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + residual)


class _Root(nn.Module):
    """DLA's aggregation node: a 1x1 conv over the concatenated children, BN, ReLU (with the first child as residual,
    as the reference code's ``residual=True`` roots)."""

    def __init__(self, cin: int, cout: int, bn: bool) -> None:
        super().__init__()
        self.conv, self.bn = nn.Conv2d(cin, cout, 1, bias=not bn), _bn(cout, bn)

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(torch.cat(xs, 1))) + xs[0])


class _Tree(nn.Module):
    """A DLA tree (hierarchical deep aggregation): two children (blocks at depth 1, subtrees deeper) and a root over
    them, the earlier children and, with ``level_root``, the down-sampled input (iterative deep aggregation)."""

    def __init__(self, levels: int, cin: int, cout: int, stride: int, bn: bool, level_root: bool = False,
                 root_dim: int = 0) -> None:
        super().__init__()
        root_dim = (root_dim or 2 * cout) + (cin if level_root else 0)
        self.level_root, self.levels = level_root, levels
        self.down = nn.MaxPool2d(stride) if stride > 1 else nn.Identity()
        self.project = (nn.Sequential(nn.Conv2d(cin, cout, 1, bias=not bn), _bn(cout, bn)) if cin != cout
                        else nn.Identity())
        self.t1: nn.Module
        self.t2: nn.Module
        if levels == 1:
            self.t1, self.t2 = _Basic(cin, cout, stride, bn), _Basic(cout, cout, 1, bn)
            self.root = _Root(root_dim, cout, bn)
        else:
            self.t1 = _Tree(levels - 1, cin, cout, stride, bn)
            self.t2 = _Tree(levels - 1, cout, cout, 1, bn, root_dim=root_dim + cout)

    def forward(self, x: torch.Tensor, children: list[torch.Tensor] | None = None) -> torch.Tensor:
        children = [] if children is None else children
        bottom = self.down(x)
        if self.level_root:
            children.append(bottom)
        if self.levels == 1:
            x1 = self.t1(x, self.project(bottom))
            x2 = self.t2(x1, x1)
            return self.root(x2, x1, *children)
        x1 = self.t1(x)
        return self.t2(x1, children=[*children, x1])


class DLA(nn.Module):
    """DLA (Yu et al. 2018, "Deep layer aggregation"), narrowed as a CIFAR-style DLA: a 3x3 base of 8 channels, two
    level convolutions (8, 8), then trees of depth 1, 2 and 1 with 16, 32, 64 channels (stride 2 each, the levels'
    inputs aggregated at their roots), global average pooling and a 1x1 classifier; Kaiming-normal fan-out init
    (``std = sqrt(2 / (k * k * c_out))``, the reference code's), BN weights 1 and biases 0. ``bn=False``: every
    BatchNorm left out (the convolutions get biases)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.base = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=not bn), _bn(8, bn), nn.ReLU(),
                                  nn.Conv2d(8, 8, 3, 1, 1, bias=not bn), _bn(8, bn), nn.ReLU())
        self.level2 = _Tree(1, 8, 16, 2, bn, level_root=False)
        self.level3 = _Tree(2, 16, 32, 2, bn, level_root=True)
        self.level4 = _Tree(1, 32, 64, 2, bn, level_root=True)
        self.fc = nn.Conv2d(64, classes, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / (m.kernel_size[0] * m.kernel_size[1] * m.out_channels)))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.level4(self.level3(self.level2(self.base(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1)).flatten(1)


# ---- FC-DenseNet -----------------------------------------------------------------------------------------------------


class _DenseLayer(nn.Sequential):
    def __init__(self, cin: int, growth: int, drop: float) -> None:
        super().__init__(nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, growth, 3, 1, 1), nn.Dropout2d(drop))


class _DenseBlock(nn.Module):
    """A dense block: each layer (BN, ReLU, 3x3 conv of ``growth`` maps, dropout) sees the concatenation of the block's
    input and every earlier layer's maps; returns the input with all new maps, and the new maps alone."""

    def __init__(self, cin: int, layers: int, growth: int, drop: float) -> None:
        super().__init__()
        self.layers = nn.ModuleList([_DenseLayer(cin + i * growth, growth, drop) for i in range(layers)])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        new = []
        for layer in self.layers:
            new.append(layer(torch.cat([x, *new], 1)))
        return torch.cat([x, *new], 1), torch.cat(new, 1)


class FCDenseNet(nn.Module):
    """FC-DenseNet (Jegou et al. 2017, "The one hundred layers tiramisu: Fully convolutional DenseNets for semantic
    segmentation"), narrowed: a 3x3 convolution to 16 maps, two dense blocks of 3 layers (growth 8) each followed by
    a transition down (BN, ReLU, 1x1 conv, dropout, 2x2 max-pool), a bottleneck block of 3 layers, two transitions up
    (a 3x3 stride-2 transposed convolution of the previous block's new maps only) each concatenated with the skip
    and followed by a dense block of 3 layers, a 1x1 classifier; dropout 0.2 and He-uniform init (the paper's)."""

    def __init__(self, classes: int = 4, growth: int = 8, layers: int = 3, stem: int = 16, drop: float = 0.2) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, stem, 3, 1, 1)
        c, skips = stem, []
        self.down, self.td = nn.ModuleList(), nn.ModuleList()
        for _ in range(2):
            self.down.append(_DenseBlock(c, layers, growth, drop))
            c += layers * growth
            skips.append(c)
            self.td.append(nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 1), nn.Dropout2d(drop),
                                         nn.MaxPool2d(2)))
        self.bottleneck = _DenseBlock(c, layers, growth, drop)
        self.tu, self.up = nn.ModuleList(), nn.ModuleList()
        for skip in reversed(skips):
            self.tu.append(nn.ConvTranspose2d(layers * growth, layers * growth, 3, 2, 1, output_padding=1))
            self.up.append(_DenseBlock(skip + layers * growth, layers, growth, drop))
            c = skip + 2 * layers * growth
        self.classifier = nn.Conv2d(c, classes, 1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x, skips = self.stem(img), []
        for block, td in zip(self.down, self.td):
            x, _ = block(x)
            skips.append(x)
            x = td(x)
        _, new = self.bottleneck(x)
        for tu, block, skip in zip(self.tu, self.up, reversed(skips)):
            x, new = block(torch.cat([tu(new), skip], 1))
        return self.classifier(x)


# ---- Talking-Heads Transformer ---------------------------------------------------------------------------------------


class _TalkingHeads(nn.Module):
    """Talking-heads attention: the heads' logits mixed by a learned ``heads x heads`` matrix before the softmax and
    the heads' weights by another after it (both started at the identity here); ``bias`` masks the padded keys."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.pre, self.post = nn.Parameter(torch.eye(heads)), nn.Parameter(torch.eye(heads))

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        logits = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(self.dh)
        logits = torch.einsum("bhqk,hg->bgqk", logits, self.pre) + bias[:, None, None]
        w = torch.einsum("bhqk,hg->bgqk", torch.softmax(logits, -1), self.post)
        return self.o((w @ v).transpose(1, 2).reshape(b, t, d))


class TalkingHeadsTransformer(nn.Module):
    """The Talking-Heads Transformer (Shazeer et al. 2020, "Talking-heads attention"), narrowed as a text encoder:
    token and position embeddings of 64, two pre-LN layers of 4-head talking-heads attention and a GELU feed-forward
    (4x), dropout 0.1, a final LayerNorm, the mean over the unpadded tokens and a linear classifier; every Linear and
    embedding N(0, 0.02^2), biases zero (set here). ``init_std``: every Linear and embedding drawn N(0, init_std^2)
    instead."""

    def __init__(self, vocab: int = 64, length: int = 16, d: int = 64, heads: int = 4, layers: int = 2,
                 classes: int = 4, drop: float = 0.1, init_std: float = 0.02) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Embedding(length, d)
        self.att = nn.ModuleList([_TalkingHeads(d, heads) for _ in range(layers)])
        self.ff = nn.ModuleList([nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
                                 for _ in range(layers)])
        self.ln1 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.ln2 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.ln, self.drop = nn.LayerNorm(d), nn.Dropout(drop)
        self.head = nn.Linear(d, classes)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, init_std)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        keep = (tokens != 0).float()
        bias = (1 - keep) * -1e9
        x = self.drop(self.emb(tokens) + self.pos(torch.arange(tokens.shape[1])))
        for att, ff, ln1, ln2 in zip(self.att, self.ff, self.ln1, self.ln2):
            x = x + self.drop(att(ln1(x), bias))
            x = x + self.drop(ff(ln2(x)))
        x = self.ln(x)
        return self.head((x * keep[..., None]).sum(1) / keep.sum(1, keepdim=True))


# ---- InferSent -------------------------------------------------------------------------------------------------------


class InferSent(nn.Module):
    """InferSent (Conneau et al. 2017, "Supervised learning of universal sentence representations from natural
    language inference data"), narrowed: word embeddings of 32 (random, N(0, 1), standing in for GloVe), the BiLSTM
    encoder (64 units a direction) max-pooled over time (padding excluded), the NLI features ``[u, v, |u - v|, u *
    v]`` of premise and hypothesis, and the paper's MLP classifier (one hidden layer, 64 units here, 512 in the paper;
    the reference code's ``nonlinear_fc`` with tanh and dropout 0); PyTorch's default LSTM and Linear init.
    ``hidden_bias``: the classifier's hidden bias set to that value (every tanh saturated at -10); ``fc_layers``: the
    number of the classifier's tanh hidden layers; ``hh_std``: the LSTM's recurrent matrices drawn N(0, hh_std^2)."""

    def __init__(self, vocab: int = 64, d: int = 32, hidden: int = 64, fc: int = 64, classes: int = 3,
                 hidden_bias: float | None = None, hh_std: float | None = None, fc_layers: int = 1) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.lstm = nn.LSTM(d, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(8 * hidden, fc)
        self.deep = nn.Sequential(*[m for _ in range(fc_layers - 1) for m in (nn.Linear(fc, fc), nn.Tanh())])
        self.out = nn.Linear(fc, classes)
        if hidden_bias is not None:
            nn.init.constant_(self.fc.bias, hidden_bias)
        if hh_std is not None:
            for name, p in self.lstm.named_parameters():
                if name.startswith("weight_hh"):
                    nn.init.normal_(p, 0.0, hh_std)

    def encode(self, s: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(self.emb(s))
        return h.masked_fill((s == 0)[..., None], -1e9).max(1).values

    def forward(self, pair: torch.Tensor) -> torch.Tensor:
        u, v = self.encode(pair[:, 0]), self.encode(pair[:, 1])
        return self.out(self.deep(torch.tanh(self.fc(torch.cat([u, v, (u - v).abs(), u * v], 1)))))
