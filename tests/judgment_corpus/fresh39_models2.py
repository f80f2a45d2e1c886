"""Hand-written models of the fortieth held-out batch (``fresh39.py``), language, vision and dynamics ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The speech, video and multimodal models are in ``fresh39_models.py``."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- DynamicConv LM --------------------------------------------------------------------------------------------------


class _DynamicConvBlock(nn.Module):
    """fairseq's ``LightConvDecoderLayer`` with a dynamic convolution (post-norm): Linear to 2d, GLU, the causal
    dynamic convolution (kernel 7, 4 heads, the kernel predicted from the current step by a Linear and softmax-
    normalised over its 7 taps, weight dropout 0.1), a Linear, dropout, residual, LayerNorm; then a ReLU feed-forward
    of 4x, dropout, residual, LayerNorm."""

    def __init__(self, d: int, heads: int = 4, k: int = 7, drop: float = 0.1) -> None:
        super().__init__()
        self.heads, self.k = heads, k
        self.inp, self.out = nn.Linear(d, 2 * d), nn.Linear(d, d)
        self.kernel = nn.Linear(d, heads * k, bias=False)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Dropout(drop), nn.Linear(4 * d, d))
        self.drop, self.wdrop = nn.Dropout(drop), nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        u = F.glu(self.inp(x), -1)
        w = self.wdrop(F.softmax(self.kernel(x).view(b, t, self.heads, self.k), -1))  # taps k-1 .. 0 steps back
        pad = F.pad(u, (0, 0, self.k - 1, 0)).unfold(1, self.k, 1)  # (b, t, d, k): steps t-k+1 .. t
        pad = pad.view(b, t, self.heads, d // self.heads, self.k)
        y = (pad * w[:, :, :, None]).sum(-1).reshape(b, t, d)
        x = self.ln1(x + self.drop(self.out(y)))
        return self.ln2(x + self.drop(self.ff(x)))


class DynamicConvLM(nn.Module):
    """The dynamic-convolution language model (Wu et al. 2019, "Pay less attention with lightweight and dynamic
    convolutions"), narrowed: embeddings of 64 scaled by sqrt(64) plus sinusoidal positions, dropout 0.1, two
    dynamic-convolution decoder blocks, the output tied to the embeddings; embeddings N(0, d^-1/2) and Linears
    Xavier-uniform with zero biases as fairseq's. ``init_std``: every embedding and Linear drawn N(0, init_std^2)."""

    def __init__(self, vocab: int = 64, d: int = 64, blocks: int = 2, init_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([_DynamicConvBlock(d) for _ in range(blocks)])
        self.drop, self.d = nn.Dropout(0.1), d
        pos = torch.arange(64).float()[:, None] / torch.pow(10000.0, torch.arange(0, d, 2).float() / d)
        self.register_buffer("pos", torch.cat([pos.sin(), pos.cos()], 1))
        with torch.no_grad():
            nn.init.normal_(self.emb.weight, 0.0, d ** -0.5)
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)
                    if m.bias is not None:
                        m.bias.zero_()
                if init_std is not None and isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.normal_(0.0, init_std)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.drop(math.sqrt(self.d) * self.emb(tokens) + self.pos[: tokens.shape[1]])
        for block in self.blocks:
            x = block(x)
        return x @ self.emb.weight.T


# ---- Fast-SCNN -------------------------------------------------------------------------------------------------------


def _cbr(cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1, relu: bool = True, bn: bool = True
         ) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=not bn)]
    layers += [nn.BatchNorm2d(cout)] if bn else []
    layers += [nn.ReLU()] if relu else []
    return nn.Sequential(*layers)


def _dsconv(cin: int, cout: int, s: int = 1, bn: bool = True) -> nn.Sequential:
    """A depthwise-separable convolution: depthwise 3x3 with BN and ReLU, pointwise 1x1 with BN and ReLU."""
    return nn.Sequential(_cbr(cin, cin, 3, s, cin, bn=bn), _cbr(cin, cout, 1, bn=bn))


class _Bottleneck(nn.Module):
    """MobileNetV2's inverted residual (expansion 6, linear bottleneck), the residual where the shape allows."""

    def __init__(self, cin: int, cout: int, s: int, bn: bool) -> None:
        super().__init__()
        self.body = nn.Sequential(_cbr(cin, 6 * cin, 1, bn=bn), _cbr(6 * cin, 6 * cin, 3, s, 6 * cin, bn=bn),
                                  _cbr(6 * cin, cout, 1, relu=False, bn=bn))
        self.res = s == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.res else self.body(x)


class FastSCNN(nn.Module):
    """Fast-SCNN (Poudel et al. 2019), narrowed for 32x32 inputs: learning to downsample (a 3x3 convolution of 16 and
    two depthwise-separable ones of 24 and 32, all stride 2, to 1/8), the global feature extractor (bottlenecks 32-48
    stride 2, 48-48, 48-64 stride 2, 64-64: 1/32, a 1x1 map here), a pyramid pooling module (bins 1 and 2, each a 1x1
    convolution to 16, upsampled and concatenated), the feature fusion (the low-resolution branch upsampled, a depthwise
    convolution and a 1x1 one, added to the 1x1-projected high-resolution features, ReLU), the classifier (two
    depthwise-separable convolutions of 32, dropout 0.1, a 1x1 convolution to the classes) and a bilinear upsampling to
    the input size; PyTorch's default init. ``bn``: every BatchNorm left out."""

    def __init__(self, classes: int = 4, bn: bool = True) -> None:
        super().__init__()
        self.ltd = nn.Sequential(_cbr(3, 16, 3, 2, bn=bn), _dsconv(16, 24, 2, bn), _dsconv(24, 32, 2, bn))
        self.gfe = nn.Sequential(_Bottleneck(32, 48, 2, bn), _Bottleneck(48, 48, 1, bn), _Bottleneck(48, 64, 2, bn),
                                 _Bottleneck(64, 64, 1, bn))
        self.bins = (1, 2)
        self.ppm = nn.ModuleList([_cbr(64, 16, 1, bn=bn) for _ in self.bins])
        self.ppm_out = _cbr(64 + 16 * len(self.bins), 64, 1, bn=bn)
        self.low = nn.Sequential(_cbr(64, 64, 3, 1, 64, bn=bn), _cbr(64, 64, 1, relu=False, bn=bn))
        self.high = _cbr(32, 64, 1, relu=False, bn=bn)
        self.cls = nn.Sequential(_dsconv(64, 32, 1, bn), _dsconv(32, 32, 1, bn), nn.Dropout(0.1),
                                 nn.Conv2d(32, classes, 1))

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        hi = self.ltd(img)
        lo = self.gfe(hi)
        size = lo.shape[-2:]
        pooled = [F.interpolate(p(F.adaptive_avg_pool2d(lo, b)), size, mode="bilinear", align_corners=False)
                  for b, p in zip(self.bins, self.ppm)]
        lo = self.ppm_out(torch.cat([lo, *pooled], 1))
        lo = self.low(F.interpolate(lo, hi.shape[-2:], mode="bilinear", align_corners=False))
        x = self.cls(F.relu(lo + self.high(hi)))
        return F.interpolate(x, img.shape[-2:], mode="bilinear", align_corners=False)


# ---- BoTNet ----------------------------------------------------------------------------------------------------------


class _MHSA(nn.Module):
    """BoTNet's all-to-all self-attention over an h x w map with 2-D relative position logits (``q k^T + q r^T``,
    the relative logits of height and width added), 4 heads, no scaling inside the softmax beyond 1/sqrt(d) as the
    reference; the relative embeddings N(0, d^-1)."""

    def __init__(self, d: int, size: int, heads: int = 4) -> None:
        super().__init__()
        self.heads, self.dh, self.size = heads, d // heads, size
        self.qkv = nn.Conv2d(d, 3 * d, 1, bias=False)
        self.rel_h = nn.Parameter(torch.randn(2 * size - 1, self.dh) * self.dh ** -0.5)
        self.rel_w = nn.Parameter(torch.randn(2 * size - 1, self.dh) * self.dh ** -0.5)
        idx = torch.arange(size)
        self.register_buffer("rel_idx", idx[None] - idx[:, None] + size - 1)  # (query, key)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, d, h, w = x.shape
        q, k, v = self.qkv(x).view(b, 3, self.heads, self.dh, h * w).unbind(1)
        q = q * self.dh ** -0.5
        logits = q.transpose(-1, -2) @ k  # (b, heads, hw, hw)
        qh = q.view(b, self.heads, self.dh, h, w)
        rh = torch.einsum("bndhw,hkd->bnhwk", qh, self.rel_h[self.rel_idx])  # query row -> key row
        rw = torch.einsum("bndhw,wkd->bnhwk", qh, self.rel_w[self.rel_idx])
        logits = logits + (rh[..., :, None] + rw[..., None, :]).reshape(b, self.heads, h * w, h * w)
        out = v @ logits.softmax(-1).transpose(-1, -2)
        return out.reshape(b, d, h, w)


class _BotBlock(nn.Module):
    """A ResNet bottleneck (1x1, 3x3 or MHSA, 1x1 at 4x, BatchNorm after each, the last BatchNorm's scale zero as
    the reference's ``zero_init_last_bn``), the projection shortcut where the shape changes."""

    def __init__(self, cin: int, mid: int, stride: int, mhsa: int | None, bn: bool) -> None:
        super().__init__()
        norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: nn.Identity())
        cout = 4 * mid
        self.c1, self.n1 = nn.Conv2d(cin, mid, 1, bias=not bn), norm(mid)
        if mhsa is None:
            self.c2: nn.Module = nn.Conv2d(mid, mid, 3, stride, 1, bias=not bn)
        else:
            self.c2 = nn.Sequential(_MHSA(mid, mhsa), nn.AvgPool2d(2) if stride == 2 else nn.Identity())
        self.n2 = norm(mid)
        self.c3, self.n3 = nn.Conv2d(mid, cout, 1, bias=not bn), norm(cout)
        if bn:
            nn.init.zeros_(self.n3.weight)
        self.short = (nn.Identity() if stride == 1 and cin == cout else
                      nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=not bn), norm(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.n1(self.c1(x)))
        out = F.relu(self.n2(self.c2(out)))
        return F.relu(self.n3(self.c3(out)) + self.short(x))


class BoTNet(nn.Module):
    """BoTNet (Srinivas et al. 2021, "Bottleneck transformers for visual recognition"), narrowed for 16x16 images: a
    3x3 stem of 16 with BatchNorm and ReLU, two convolutional bottleneck stages (widths 8 and 16, strides 1 and 2,
    two blocks each) and the last stage's two bottlenecks with MHSA in place of their 3x3 convolutions (width 32, 4
    heads, on the 8x8 map and then, after the first one's stride, an average pooling as the paper's, on the 4x4
    one), global pooling and a Linear; Kaiming-
    normal (fan-out) convolutions as timm's ResNets. ``bn``: every BatchNorm left out."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=not bn), nn.BatchNorm2d(16) if bn else nn.Identity(),
                                  nn.ReLU())
        cfg = [(16, 8, 1, None), (32, 8, 1, None), (32, 16, 2, None), (64, 16, 1, None), (64, 32, 2, 8),
               (128, 32, 1, 4)]
        self.blocks = nn.Sequential(*[_BotBlock(cin, mid, s, m, bn) for cin, mid, s, m in cfg])
        self.fc = nn.Linear(128, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(img)).mean((2, 3)))


# ---- PETS ------------------------------------------------------------------------------------------------------------


class PETSEnsemble(nn.Module):
    """PETS' probabilistic ensemble (Chua et al. 2018), as its reference code: 5 members, each an MLP of ``hidden``
    (200) Swish units in ``depth`` (3) hidden layers from the normalised state and action to a mean and a log-variance
    of the state change; the log-variance softly bounded between learned ``max_logvar`` (0.5) and ``min_logvar`` (-10)
    by softplus; weights truncated-normal with std ``1 / (2 sqrt(fan_in))``, biases 0. ``widths``: the hidden layers'
    widths given directly (the list a config builds)."""

    def __init__(self, d_in: int, d_out: int, widths: list[int], members: int = 5) -> None:
        super().__init__()
        sizes = [d_in, *widths, 2 * d_out]
        self.ws = nn.ParameterList()
        self.bs = nn.ParameterList()
        for a, b in itertools.pairwise(sizes):
            std = 1 / (2 * math.sqrt(a))
            w = torch.empty(members, a, b)
            nn.init.trunc_normal_(w, 0.0, std, -2 * std, 2 * std)
            self.ws.append(nn.Parameter(w))
            self.bs.append(nn.Parameter(torch.zeros(members, 1, b)))
        self.max_logvar = nn.Parameter(torch.full((1, d_out), 0.5))
        self.min_logvar = nn.Parameter(torch.full((1, d_out), -10.0))
        self.members, self.d_out = members, d_out

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = x[None].expand(self.members, -1, -1)
        for i, (w, b) in enumerate(zip(self.ws, self.bs)):
            h = torch.baddbmm(b, h, w)
            if i < len(self.ws) - 1:
                h = h * torch.sigmoid(h)
        mean, logvar = h[..., : self.d_out], h[..., self.d_out:]
        logvar = self.max_logvar - F.softplus(self.max_logvar - logvar)
        logvar = self.min_logvar + F.softplus(logvar - self.min_logvar)
        return mean, logvar
