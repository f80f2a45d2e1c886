"""Hand-written models of the twenty-fourth held-out batch (``fresh23.py``): small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _bn2(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


# ---- RevNet: reversible residual network -----------------------------------------------------------------------------


class RevBlock(nn.Module):
    """A reversible block (Gomez et al. 2017): the channels split into halves, ``y1 = x1 + F(x2)``, ``y2 = x2 +
    G(y1)``, ``F`` and ``G`` pre-activation residual functions (BN-ReLU-conv3x3-BN-ReLU-conv3x3)."""

    def __init__(self, ch: int, bn: bool = True) -> None:
        super().__init__()
        half = ch // 2

        def fn() -> nn.Module:
            return nn.Sequential(_bn2(half, bn), nn.ReLU(), nn.Conv2d(half, half, 3, padding=1, bias=False),
                                 _bn2(half, bn), nn.ReLU(), nn.Conv2d(half, half, 3, padding=1, bias=False))
        self.f, self.g = fn(), fn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x.chunk(2, 1)
        y1 = x1 + self.f(x2)
        return torch.cat([y1, x2 + self.g(y1)], 1)


class RevNet(nn.Module):
    """RevNet in miniature: a 3x3 stem to 32 maps, two reversible blocks, a strided (non-reversible) 3x3
    transition to 64 maps, two reversible blocks, BN-ReLU, global pooling, a linear head; convolutions
    Kaiming-normal; ``bn``: every BatchNorm (False: the identity)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.stage1 = nn.Sequential(RevBlock(32, bn), RevBlock(32, bn))
        self.down = nn.Sequential(_bn2(32, bn), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1, bias=False))
        self.stage2 = nn.Sequential(RevBlock(64, bn), RevBlock(64, bn), _bn2(64, bn), nn.ReLU())
        self.head = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stage2(self.down(self.stage1(self.stem(x)))).mean((2, 3)))


# ---- EfficientNetV2: fused-MBConv ------------------------------------------------------------------------------------


class FusedMBConv(nn.Module):
    """Fused-MBConv (Tan and Le 2021): a 3x3 expansion conv-BN-SiLU (in place of the 1x1 expansion and depthwise
    conv), a 1x1 projection conv-BN (none at expansion 1), a residual when the shape allows."""

    def __init__(self, cin: int, cout: int, expand: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        mid = cin * expand
        layers = [nn.Conv2d(cin, mid, 3, stride, 1, bias=False), _bn2(mid, bn), nn.SiLU()]
        if expand != 1:
            layers += [nn.Conv2d(mid, cout, 1, bias=False), _bn2(cout, bn)]
        self.body = nn.Sequential(*layers)
        self.res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.res else self.body(x)


class MBConv(nn.Module):
    """MBConv: 1x1 expansion conv-BN-SiLU, 3x3 depthwise conv-BN-SiLU, squeeze-and-excitation (ratio 0.25 of the
    input width), 1x1 projection conv-BN, a residual when the shape allows."""

    def __init__(self, cin: int, cout: int, expand: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), _bn2(mid, bn), nn.SiLU(),
                                    nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), _bn2(mid, bn),
                                    nn.SiLU())
        self.se = nn.Sequential(nn.Conv2d(mid, max(1, cin // 4), 1), nn.SiLU(), nn.Conv2d(max(1, cin // 4), mid, 1),
                                nn.Sigmoid())
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), _bn2(cout, bn))
        self.res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.expand(x)
        h = self.project(h * self.se(h.mean((2, 3), keepdim=True)))
        return x + h if self.res else h


class EfficientNetV2(nn.Module):
    """EfficientNetV2 in miniature: a 3x3 stem conv-BN-SiLU to 24 maps, fused-MBConv (24, expansion 1), fused-MBConv
    (32, expansion 4, stride 2), MBConv (48, expansion 4, stride 2, SE), a 1x1 head conv to 128 with BN-SiLU,
    pooling, a linear classifier; convolutions Kaiming-normal (fan-out) as the reference; ``bn``: every BatchNorm."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 24, 3, 1, 1, bias=False), _bn2(24, bn), nn.SiLU(),
                                 FusedMBConv(24, 24, 1, 1, bn), FusedMBConv(24, 32, 4, 2, bn),
                                 MBConv(32, 48, 4, 2, bn), nn.Conv2d(48, 128, 1, bias=False), _bn2(128, bn), nn.SiLU())
        self.head = nn.Linear(128, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(x).mean((2, 3)))


# ---- Transformer in Transformer --------------------------------------------------------------------------------------


class Attention(nn.Module):
    """Multi-head self-attention (fused qkv, scaled dot product, output projection)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads, self.qkv, self.proj = heads, nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        return self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, c))


class TNTLayer(nn.Module):
    """A TNT layer (Han et al. 2021): the inner transformer (attention and MLP) over each patch's sub-patch
    "pixel" tokens, their flattened sum projected into the patch ("sentence") token, then the outer transformer over
    the patch tokens; pre-LN, MLP ratio 4, GELU."""

    def __init__(self, outer: int, inner: int, subs: int) -> None:
        super().__init__()
        self.in_n1, self.in_attn = nn.LayerNorm(inner), Attention(inner, 2)
        self.in_n2 = nn.LayerNorm(inner)
        self.in_mlp = nn.Sequential(nn.Linear(inner, 4 * inner), nn.GELU(), nn.Linear(4 * inner, inner))
        self.proj_n, self.proj = nn.LayerNorm(inner * subs), nn.Linear(inner * subs, outer)
        self.out_n1, self.out_attn = nn.LayerNorm(outer), Attention(outer, 4)
        self.out_n2 = nn.LayerNorm(outer)
        self.out_mlp = nn.Sequential(nn.Linear(outer, 4 * outer), nn.GELU(), nn.Linear(4 * outer, outer))

    def forward(self, pix: torch.Tensor, sent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pix = pix + self.in_attn(self.in_n1(pix))
        pix = pix + self.in_mlp(self.in_n2(pix))
        b, n = sent.shape[0], sent.shape[1] - 1
        upd = self.proj(self.proj_n(pix.reshape(b, n, -1)))
        sent = torch.cat([sent[:, :1], sent[:, 1:] + upd], 1)
        sent = sent + self.out_attn(self.out_n1(sent))
        return pix, sent + self.out_mlp(self.out_n2(sent))


class TNT(nn.Module):
    """TNT in miniature on 16x16 images: 4x4 patches (16 "sentences" of 64 channels plus a class token), each
    split into four 2x2 sub-patches ("pixels" of 16 channels), two TNT layers, LayerNorm, the class token to a linear
    head; linear weights truncated-normal 0.02, biases 0, position embeddings N(0, 0.02^2), as the reference."""

    def __init__(self, classes: int = 10, outer: int = 64, inner: int = 16, layers: int = 2) -> None:
        super().__init__()
        self.pix_embed = nn.Linear(12, inner)
        self.sent_embed = nn.Linear(48, outer)
        self.cls = nn.Parameter(torch.zeros(1, 1, outer))
        self.sent_pos = nn.Parameter(0.02 * torch.randn(1, 17, outer))
        self.pix_pos = nn.Parameter(0.02 * torch.randn(1, 4, inner))
        self.layers = nn.ModuleList([TNTLayer(outer, inner, 4) for _ in range(layers)])
        self.norm, self.head = nn.LayerNorm(outer), nn.Linear(outer, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = len(x)
        patches = x.unfold(2, 4, 4).unfold(3, 4, 4).permute(0, 2, 3, 1, 4, 5).reshape(b * 16, 3, 4, 4)
        pix = patches.unfold(2, 2, 2).unfold(3, 2, 2).permute(0, 2, 3, 1, 4, 5).reshape(b * 16, 4, 12)
        pix = self.pix_embed(pix) + self.pix_pos
        sent = torch.cat([self.cls.expand(b, -1, -1), self.sent_embed(patches.reshape(b, 16, 48))], 1) + self.sent_pos
        for layer in self.layers:
            pix, sent = layer(pix, sent)
        return self.head(self.norm(sent)[:, 0])


# ---- TC-ResNet: temporal-convolution keyword spotting ----------------------------------------------------------------


class TCBlock(nn.Module):
    """A TC-ResNet residual block: two 1-D temporal convolutions (kernel 9) with BN-ReLU, the first strided, a
    1x1 strided projection shortcut with BN-ReLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(cin, cout, 9, 2, 4, bias=False), nn.BatchNorm1d(cout), nn.ReLU(),
                                  nn.Conv1d(cout, cout, 9, 1, 4, bias=False), nn.BatchNorm1d(cout))
        self.skip = nn.Sequential(nn.Conv1d(cin, cout, 1, 2, bias=False), nn.BatchNorm1d(cout), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.skip(x))


class TCResNet8(nn.Module):
    """TC-ResNet8 (Choi et al. 2019) at width multiplier 1: the MFCC coefficients as the input channels of a 1-D
    convolution over time (a 3-tap conv to 16 channels), three residual blocks of 24, 32 and 48 channels, average
    pooling over time, a linear classifier."""

    def __init__(self, coeffs: int = 10, classes: int = 8) -> None:
        super().__init__()
        self.stem = nn.Conv1d(coeffs, 16, 3, padding=1, bias=False)
        self.blocks = nn.Sequential(TCBlock(16, 24), TCBlock(24, 32), TCBlock(32, 48))
        self.head = nn.Linear(48, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)).mean(2))


# ---- SCRN: structurally constrained recurrent network ----------------------------------------------------------------


class SCRN(nn.Module):
    """The SCRN (Mikolov et al. 2015) classifier: a slow context state ``s_t = (1 - alpha) B x_t + alpha s_(t-1)``
    (alpha 0.95, fixed, as the paper) and a fast hidden state ``h_t = sigmoid(P s_t + A x_t + R h_(t-1))``; a linear
    head on the last ``[h, s]``; ``recurrent_std``: ``R`` drawn N(0, std^2) (default: PyTorch's uniform)."""

    def __init__(self, inp: int = 1, hidden: int = 32, context: int = 8, classes: int = 4, alpha: float = 0.95,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        self.alpha = alpha
        self.B = nn.Linear(inp, context, bias=False)
        self.P, self.A = nn.Linear(context, hidden, bias=False), nn.Linear(inp, hidden)
        self.R = nn.Linear(hidden, hidden, bias=False)
        self.head = nn.Linear(hidden + context, classes)
        if recurrent_std is not None:
            nn.init.normal_(self.R.weight, 0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = len(x)
        s = x.new_zeros(b, self.B.out_features)
        h = x.new_zeros(b, self.R.in_features)
        for t in range(x.shape[1]):
            s = (1 - self.alpha) * self.B(x[:, t]) + self.alpha * s
            h = torch.sigmoid(self.P(s) + self.A(x[:, t]) + self.R(h))
        return self.head(torch.cat([h, s], 1))


# ---- Fast weights RNN ------------------------------------------------------------------------------------------------


class FastWeightsRNN(nn.Module):
    """The fast-weights RNN (Ba et al. 2016) classifier: per sequence a fast weight matrix ``A_t = lambda A_(t-1) +
    eta h_(t-1) h_(t-1)^T`` (lambda 0.95, eta 0.5, the paper's), the slow step ``z = W h_(t-1) + C x_t``, one inner
    loop ``h_t = relu(LN(z + A_t relu(z)))``; ``W`` the identity times 0.05 as the paper; a linear head on the last
    state; ``recurrent_std``: ``W`` drawn N(0, std^2) instead; ``batch_outer``: the outer product written
    ``einsum("bi,bj->ij", h, h)``, summed over the batch (one fast memory shared by every sequence of the batch) where
    ``einsum("bi,bj->bij", h, h)`` belongs."""

    def __init__(self, inp: int = 1, hidden: int = 32, classes: int = 4, lam: float = 0.95, eta: float = 0.5,
                 recurrent_std: float | None = None, batch_outer: bool = False) -> None:
        super().__init__()
        self.lam, self.eta, self.batch_outer = lam, eta, batch_outer
        self.W, self.C = nn.Linear(hidden, hidden, bias=False), nn.Linear(inp, hidden)
        self.ln, self.head = nn.LayerNorm(hidden), nn.Linear(hidden, classes)
        with torch.no_grad():
            if recurrent_std is None:
                self.W.weight.copy_(0.05 * torch.eye(hidden))
            else:
                self.W.weight.normal_(0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, hid = len(x), self.W.in_features
        h, a = x.new_zeros(b, hid), x.new_zeros(b, hid, hid)
        for t in range(x.shape[1]):
            outer = torch.einsum("bi,bj->ij", h, h) if self.batch_outer else torch.einsum("bi,bj->bij", h, h)
            a = self.lam * a + self.eta * outer
            z = self.W(h) + self.C(x[:, t])
            h = F.relu(self.ln(z + (a @ F.relu(z)[..., None]).squeeze(-1)))
        return self.head(h)


# ---- N-HiTS ----------------------------------------------------------------------------------------------------------


class NHiTSBlock(nn.Module):
    """An N-HiTS block (Challu et al. 2023): max-pooling of the input at its kernel, an MLP (ReLU), a linear map to
    the backcast over the whole look-back and to ``horizon / ratio`` forecast knots, linearly interpolated to the
    horizon; ``depth``: the MLP's hidden layers."""

    def __init__(self, lookback: int, horizon: int, pool: int, ratio: int, width: int, depth: int) -> None:
        super().__init__()
        self.pool, self.horizon, self.knots = pool, horizon, max(1, horizon // ratio)
        dims = [lookback // pool] + [width] * depth
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(dims[i], dims[i + 1]), nn.ReLU()]
        self.mlp = nn.Sequential(*layers)
        self.back, self.fore = nn.Linear(width, lookback), nn.Linear(width, self.knots)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.mlp(F.max_pool1d(x[:, None], self.pool, self.pool, ceil_mode=True)[:, 0])
        f = F.interpolate(self.fore(h)[:, None], size=self.horizon, mode="linear", align_corners=True)[:, 0]
        return self.back(h), f


class NHiTS(nn.Module):
    """N-HiTS in miniature: three stacks of one block each, pooling kernels (4, 2, 1) and knot ratios (4, 2, 1),
    MLPs of two hidden layers of 128, doubly residual (each block's backcast subtracted from the input, the forecasts
    summed); each series of a multivariate window forecast on its own (channel independence); ``depth``: each
    block's hidden layers."""

    def __init__(self, lookback: int = 48, horizon: int = 12, width: int = 128, depth: int = 2) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([NHiTSBlock(lookback, horizon, p, r, width, depth)
                                     for p, r in ((4, 4), (2, 2), (1, 1))])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, v = x.shape
        r = x.transpose(1, 2).reshape(b * v, t)
        out = 0
        for block in self.blocks:
            back, fore = block(r)
            r, out = r - back, out + fore
        return out.view(b, v, -1).transpose(1, 2)


# ---- BST: Behaviour Sequence Transformer -----------------------------------------------------------------------------


class BST(nn.Module):
    """The Behaviour Sequence Transformer (Chen et al. 2019): the user's clicked items and the target item embedded
    (item plus category embeddings, id 0 the padding/out-of-vocabulary row, kept zero) with position embeddings, one
    post-LN transformer layer (eight heads in the paper; four here), the outputs flattened and concatenated with the
    embedded dense features, an MLP of LeakyReLU layers (the paper's 1024-512-256, 64-32 here) and a click logit;
    ``mlp_depth``/``mlp_bias``: the MLP's hidden layers and their biases' initial value."""

    def __init__(self, items: int = 51, cats: int = 6, seq: int = 8, dim: int = 32, dense: int = 1,
                 mlp_depth: int = 2, mlp_bias: float | None = None) -> None:
        super().__init__()
        self.item = nn.Embedding(items, dim, padding_idx=0)
        self.cat = nn.Embedding(cats, dim, padding_idx=0)
        self.pos = nn.Parameter(0.02 * torch.randn(1, seq + 1, dim))
        self.layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.1, batch_first=True,
                                                activation=nn.LeakyReLU())
        widths = [(seq + 1) * dim + dense] + ([64, 32] if mlp_depth == 2 else [64] * mlp_depth)
        layers: list[nn.Module] = []
        for i in range(len(widths) - 1):
            lin = nn.Linear(widths[i], widths[i + 1])
            if mlp_bias is not None:
                nn.init.constant_(lin.bias, mlp_bias)
            layers += [lin, nn.LeakyReLU(0.01) if mlp_bias is None else nn.ReLU()]
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(widths[-1], 1)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        items, cats, dense = inputs
        h = self.layer(self.item(items) + self.cat(cats) + self.pos)
        return self.out(self.mlp(torch.cat([h.flatten(1), dense], 1))).squeeze(-1)


# ---- VICReg ----------------------------------------------------------------------------------------------------------


class VICReg(nn.Module):
    """VICReg (Bardes et al. 2022) in miniature: an MLP encoder (32-64-64, BN-ReLU) and an expander (64-64-32,
    BN-ReLU then linear) shared by both views; ``forward`` returns both views' embeddings."""

    def __init__(self, d: int = 32) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 64))
        self.expander = nn.Sequential(nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 64),
                                      nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 32))

    def forward(self, views: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.expander(self.encoder(views[0])), self.expander(self.encoder(views[1]))


# ---- MPNN: edge-network message passing ------------------------------------------------------------------------------


class MPNN(nn.Module):
    """The MPNN of Gilmer et al. (2017) on dense padded molecules: atom features embedded to 32, three steps of
    edge-network messages ``m_v = sum_w A(e_vw) h_w`` (``A``: an MLP from the bond's one-hot type to a 32x32
    matrix) and a GRU update, a sum readout of an MLP of ``[h, x]`` (set2set in the paper) to a scalar; ``bias``:
    the edge network's hidden bias initialised to this value."""

    def __init__(self, atom: int = 5, bond: int = 3, hidden: int = 16, steps: int = 3,
                 bias: float | None = None) -> None:
        super().__init__()
        self.hidden, self.steps = hidden, steps
        self.embed = nn.Linear(atom, hidden)
        self.edge = nn.Sequential(nn.Linear(bond, 64), nn.ReLU(), nn.Linear(64, hidden * hidden))
        if bias is not None:
            nn.init.constant_(self.edge[0].bias, bias)
        with torch.no_grad():
            self.edge[2].weight.mul_(1.0 / math.sqrt(hidden))
        self.gru = nn.GRUCell(hidden, hidden)
        self.readout = nn.Sequential(nn.Linear(hidden + atom, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, e, mask = inputs  # (b, n, atom), (b, n, n, bond) one-hot (zeros: no bond), (b, n)
        b, n, _ = x.shape
        a = self.edge(e).view(b, n, n, self.hidden, self.hidden) * e.sum(-1)[..., None, None]
        h = self.embed(x)
        for _ in range(self.steps):
            msg = torch.einsum("bvwij,bwj->bvi", a, h)
            h = self.gru(msg.reshape(b * n, -1), h.reshape(b * n, -1)).view(b, n, -1)
        return (self.readout(torch.cat([h, x], -1)).squeeze(-1) * mask).sum(1)


# ---- Primer ----------------------------------------------------------------------------------------------------------


class DConvAttention(nn.Module):
    """Primer's multi-dconv-head attention: a causal depthwise convolution (kernel 3, per head channel) after each of
    the query, key and value projections, then causal scaled dot-product attention."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv, self.proj = nn.Linear(dim, 3 * dim, bias=False), nn.Linear(dim, dim, bias=False)
        self.dconv = nn.Conv1d(3 * dim, 3 * dim, 3, groups=3 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.dconv(F.pad(self.qkv(x).transpose(1, 2), (2, 0))).transpose(1, 2)
        q, k, v = qkv.view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class Primer(nn.Module):
    """A Primer LM (So et al. 2021) in miniature: token and learned position embeddings, two pre-LN blocks of
    multi-dconv-head attention and a squared-ReLU MLP (ratio 4), a final LayerNorm and an untied head; weights
    N(0, 0.02^2)."""

    def __init__(self, vocab: int = 64, dim: int = 64, heads: int = 4, layers: int = 2, length: int = 64) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, dim), nn.Embedding(length, dim)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict({
                "n1": nn.LayerNorm(dim), "attn": DConvAttention(dim, heads), "n2": nn.LayerNorm(dim),
                "up": nn.Linear(dim, 4 * dim, bias=False), "down": nn.Linear(4 * dim, dim, bias=False)}))
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, vocab, bias=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.tok(ids) + self.pos(torch.arange(ids.shape[1]))
        for blk in self.blocks:
            x = x + blk["attn"](blk["n1"](x))
            x = x + blk["down"](F.relu(blk["up"](blk["n2"](x))) ** 2)
        return self.head(self.norm(x))
