"""Hand-written models of the sixty-second held-out batch (``fresh61.py``), the vision and text ones: small versions of
published architectures new to the corpus, each with the switches its broken variants need (one fault each, off by
default). The graph and multi-task / multi-domain recommender models are in ``fresh61_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- CrossViT --------------------------------------------------------------------------------------------------------


class _Block(nn.Module):
    """A pre-LN ViT block: multi-head self-attention and a GELU MLP (ratio ``mlp``), each with a residual."""

    def __init__(self, d: int, heads: int, mlp: int = 4, norm: bool = True) -> None:
        super().__init__()
        self.n1 = nn.LayerNorm(d) if norm else nn.Identity()
        self.n2 = nn.LayerNorm(d) if norm else nn.Identity()
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, mlp * d), nn.GELU(), nn.Linear(mlp * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.n1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.n2(x))


class _CrossFusion(nn.Module):
    """CrossViT's cross-attention fusion for one branch: its CLS token projected to the other branch's width (``f``),
    attending (one query, LayerNorm first) over itself and the other branch's patch tokens, projected back (``g``)
    and added to the CLS token."""

    def __init__(self, d: int, d_other: int, heads: int) -> None:
        super().__init__()
        self.f, self.g = nn.Sequential(nn.LayerNorm(d), nn.GELU(), nn.Linear(d, d_other)), \
            nn.Sequential(nn.LayerNorm(d_other), nn.GELU(), nn.Linear(d_other, d))
        self.n = nn.LayerNorm(d_other)
        self.attn = nn.MultiheadAttention(d_other, heads, batch_first=True)

    def forward(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        cls = self.f(x[:, :1])
        kv = self.n(torch.cat([cls, other[:, 1:]], 1))
        cls = cls + self.attn(kv[:, :1], kv, kv, need_weights=False)[0]
        return torch.cat([x[:, :1] + self.g(cls), x[:, 1:]], 1)


class CrossViT(nn.Module):
    """CrossViT (Chen, Fan and Panda 2021, "CrossViT: cross-attention multi-scale vision transformer"), narrowed to
    16x16 images: the small branch on 4x4 patches (16 tokens, width 32), the large branch on 8x8 patches (4 tokens,
    width 64), each with a CLS token and learned positions; two multi-scale encoders (one block in each branch, 4
    heads, MLP ratio 4), each followed by the cross-attention fusion of both CLS tokens; a LayerNorm and a linear
    head per branch, their logits averaged. Linears truncated N(0, 0.02^2) with zero biases, the CLS tokens and
    positions likewise (the DeiT code CrossViT's follows). ``norm``: the blocks' LayerNorms."""

    def __init__(self, classes: int = 10, norm: bool = True) -> None:
        super().__init__()
        self.dims, self.patches = (32, 64), (4, 8)
        self.embed = nn.ModuleList([nn.Conv2d(3, d, p, p) for d, p in zip(self.dims, self.patches)])
        self.cls = nn.ParameterList([nn.Parameter(torch.zeros(1, 1, d)) for d in self.dims])
        self.pos = nn.ParameterList([nn.Parameter(torch.zeros(1, 1 + (16 // p) ** 2, d))
                                     for d, p in zip(self.dims, self.patches)])
        self.stages = nn.ModuleList()
        for _ in range(2):
            self.stages.append(nn.ModuleList([
                nn.Sequential(_Block(32, 4, norm=norm)),
                nn.Sequential(_Block(64, 4, norm=norm)),
                _CrossFusion(32, 64, 4), _CrossFusion(64, 32, 4)]))
        self.norms = nn.ModuleList([nn.LayerNorm(d) for d in self.dims])
        self.heads = nn.ModuleList([nn.Linear(d, classes) for d in self.dims])
        for p in [*self.cls, *self.pos]:
            nn.init.trunc_normal_(p, std=0.02)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        xs = []
        for emb, cls, pos in zip(self.embed, self.cls, self.pos):
            t = emb(img).flatten(2).transpose(1, 2)
            xs.append(torch.cat([cls.expand(t.shape[0], -1, -1), t], 1) + pos)
        for small, large, fuse_s, fuse_l in self.stages:
            s, lg = small(xs[0]), large(xs[1])
            xs = [fuse_s(s, lg), fuse_l(lg, s)]
        return sum(h(n(x[:, 0])) for h, n, x in zip(self.heads, self.norms, xs)) / 2


# ---- DABNet ----------------------------------------------------------------------------------------------------------


def _cbr(cin: int, cout: int, k: tuple[int, int] | int = 3, stride: int = 1, dil: int = 1, groups: int = 1,
         bn: bool = True) -> nn.Sequential:
    kh, kw = (k, k) if isinstance(k, int) else k
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, (kh, kw), stride, (dil * (kh // 2), dil * (kw // 2)), (dil, dil),
                                         groups, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers, nn.PReLU(cout))


class _Down(nn.Module):
    """DABNet's down-sampling block (ENet's): a 3x3 stride-2 convolution to ``cout - cin`` beside a 2x2 max-pool of
    the input (or the convolution alone when ``cin >= cout``), then BN-PReLU."""

    def __init__(self, cin: int, cout: int, bn: bool = True) -> None:
        super().__init__()
        self.pool = cin < cout
        self.conv = nn.Conv2d(cin, cout - cin if self.pool else cout, 3, 2, 1, bias=not bn)
        self.act = nn.Sequential(nn.BatchNorm2d(cout) if bn else nn.Identity(), nn.PReLU(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        return self.act(torch.cat([h, F.max_pool2d(x, 2)], 1) if self.pool else h)


class _DAB(nn.Module):
    """The depth-wise asymmetric bottleneck: BN-PReLU, a 3x3 convolution to half the width, then two branches of
    channel-wise 3x1 and 1x3 convolutions (BN-PReLU after each), the second dilated ``dil``, summed, BN-PReLU, a 1x1
    convolution back to the width, and the input added."""

    def __init__(self, c: int, dil: int, bn: bool = True) -> None:
        super().__init__()
        h = c // 2
        self.pre = nn.Sequential(nn.BatchNorm2d(c) if bn else nn.Identity(), nn.PReLU(c))
        self.reduce = _cbr(c, h, 3, bn=bn)
        self.b1 = nn.Sequential(_cbr(h, h, (3, 1), groups=h, bn=bn), _cbr(h, h, (1, 3), groups=h, bn=bn))
        self.b2 = nn.Sequential(_cbr(h, h, (3, 1), dil=dil, groups=h, bn=bn),
                                _cbr(h, h, (1, 3), dil=dil, groups=h, bn=bn))
        self.post = nn.Sequential(nn.BatchNorm2d(h) if bn else nn.Identity(), nn.PReLU(h), nn.Conv2d(h, c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.reduce(self.pre(x))
        return x + self.post(self.b1(h) + self.b2(h))


class DABNet(nn.Module):
    """DABNet (Li, Kim and Lee 2019, "DABNet: depth-wise asymmetric bottleneck with dense connections for real-time
    semantic segmentation"), narrowed to 32x32 images: the initial block of three 3x3 conv-BN-PReLU layers of 16 (the
    first stride 2), the image average-pooled and concatenated to each stage's output (BN-PReLU), a down-sampling
    block to 32 and two DAB modules (dilation 2), their output concatenated with the block's (the dense connection),
    a down-sampling block to 64 and three DAB modules (dilations 2, 2, 4), concatenated likewise, a 1x1 classifier
    and a bilinear upsampling by 8; PyTorch's default init (Kaiming-uniform convolutions). ``bn``: every BatchNorm."""

    def __init__(self, classes: int = 3, bn: bool = True) -> None:
        super().__init__()
        self.init = nn.Sequential(_cbr(3, 16, 3, 2, bn=bn), _cbr(16, 16, bn=bn), _cbr(16, 16, bn=bn))
        self.bn1 = nn.Sequential(nn.BatchNorm2d(19) if bn else nn.Identity(), nn.PReLU(19))
        self.down2 = _Down(19, 32, bn)
        self.stage2 = nn.Sequential(_DAB(32, 2, bn), _DAB(32, 2, bn))
        self.bn2 = nn.Sequential(nn.BatchNorm2d(67) if bn else nn.Identity(), nn.PReLU(67))
        self.down3 = _Down(67, 64, bn)
        self.stage3 = nn.Sequential(_DAB(64, 2, bn), _DAB(64, 2, bn), _DAB(64, 4, bn))
        self.bn3 = nn.Sequential(nn.BatchNorm2d(131) if bn else nn.Identity(), nn.PReLU(131))
        self.classifier = nn.Conv2d(131, classes, 1)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        i2, i4, i8 = F.avg_pool2d(img, 2), F.avg_pool2d(img, 4), F.avg_pool2d(img, 8)
        x = self.bn1(torch.cat([self.init(img), i2], 1))
        d = self.down2(x)
        x = self.bn2(torch.cat([self.stage2(d), d, i4], 1))
        d = self.down3(x)
        x = self.bn3(torch.cat([self.stage3(d), d, i8], 1))
        return F.interpolate(self.classifier(x), scale_factor=8, mode="bilinear", align_corners=False)


# ---- HyperMixer ------------------------------------------------------------------------------------------------------


class _HyperTokenMixing(nn.Module):
    """HyperMixer's token mixing: two hypernetworks (MLPs d-d-d' with GELU, shared over the positions) turn each
    token plus its position's embedding into a row of ``W1`` and of ``W2`` (``(n, d')``), and the mixing is ``W2
    gelu(W1^T X)``, an MLP across the tokens whose weights the tokens themselves make."""

    def __init__(self, d: int, hidden: int) -> None:
        super().__init__()
        self.h1 = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, hidden))
        self.h2 = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, hidden))

    def forward(self, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        w1, w2 = self.h1(x + pos), self.h2(x + pos)  # (b, n, hidden)
        return w2 @ F.gelu(w1.transpose(1, 2) @ x)


class HyperMixer(nn.Module):
    """HyperMixer (Mai et al. 2023, "HyperMixer: an MLP-based low cost alternative to transformers"), narrowed to a
    text classifier: word embeddings of 64 and learned position embeddings (fed to the hypernetworks), two pre-LN
    layers (hypernetwork token mixing with ``d' = 64``, then a GELU feed-forward of 256, each with a residual and
    dropout 0.1), a final LayerNorm, the mean over the tokens and a linear classifier; PyTorch's default init.
    ``init_std``: every Linear and embedding drawn N(0, init_std^2) instead, biases zero."""

    def __init__(self, vocab: int = 64, length: int = 16, d: int = 64, layers: int = 2, classes: int = 4,
                 drop: float = 0.1, init_std: float | None = None) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Embedding(length, d)
        self.n1 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.mix = nn.ModuleList([_HyperTokenMixing(d, d) for _ in range(layers)])
        self.n2 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.ffn = nn.ModuleList([nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
                                  for _ in range(layers)])
        self.norm, self.head, self.drop = nn.LayerNorm(d), nn.Linear(d, classes), nn.Dropout(drop)
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(m.weight, 0.0, init_std)
                if isinstance(m, nn.Linear):
                    nn.init.zeros_(m.bias)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x, pos = self.emb(s), self.pos(torch.arange(s.shape[1]))
        for n1, mix, n2, ffn in zip(self.n1, self.mix, self.n2, self.ffn):
            x = x + self.drop(mix(n1(x), pos))
            x = x + self.drop(ffn(n2(x)))
        return self.head(self.norm(x).mean(1))


# ---- C-LSTM ----------------------------------------------------------------------------------------------------------


class CLSTM(nn.Module):
    """C-LSTM (Zhou et al. 2015, "A C-LSTM neural network for text classification"), narrowed: word embeddings of 64,
    a convolution of window 3 with 64 feature maps and ReLU (no pooling: the maps' windows in order are the LSTM's
    sequence), dropout 0.5, an LSTM of 64 cells (PyTorch's ``nn.LSTM``, sequence first), its last state to a softmax
    layer; PyTorch's default init. ``forget_bias``: both forget-gate biases of the LSTM set to it; ``view_to_lstm``:
    the convolution's ``(batch, maps, windows)`` output handed to the sequence-first LSTM as ``h.view(windows, batch,
    maps)`` instead of ``h.permute(2, 0, 1)`` (the same numbers re-read: every sequence the LSTM sees is made of
    pieces of other texts' feature maps)."""

    def __init__(self, vocab: int = 64, d: int = 64, maps: int = 64, cells: int = 64, classes: int = 4,
                 forget_bias: float | None = None, view_to_lstm: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.conv = nn.Conv1d(d, maps, 3)
        self.drop = nn.Dropout(0.5)
        self.lstm = nn.LSTM(maps, cells)
        self.out = nn.Linear(cells, classes)
        if forget_bias is not None:
            with torch.no_grad():
                for b in (self.lstm.bias_ih_l0, self.lstm.bias_hh_l0):
                    b[cells:2 * cells] = forget_bias
        self.view_to_lstm = view_to_lstm

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        h = self.drop(F.relu(self.conv(self.emb(s).transpose(1, 2))))  # (batch, maps, windows)
        b, m, w = h.shape
        seq = h.view(w, b, m) if self.view_to_lstm else h.permute(2, 0, 1)
        _, (hn, _) = self.lstm(seq)
        return self.out(hn[-1])
