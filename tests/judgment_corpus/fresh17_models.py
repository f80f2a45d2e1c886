"""Hand-written models of the eighteenth held-out batch (``fresh17.py``): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- vision: EfficientNet, FiLM, MAE ---------------------------------------------------------------------------------


class MBConv(nn.Module):
    """EfficientNet's MBConv: 1x1 expansion (skipped at ratio 1), depthwise k x k, squeeze-excitation (0.25 of the
    block's input channels), 1x1 linear projection, BatchNorm after each conv, SiLU, identity shortcut when the shape
    is kept."""

    def __init__(self, cin: int, cout: int, expand: int, k: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        mid = cin * expand
        norm = (lambda c: nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)) if bn else (lambda c: nn.Identity())
        self.expand = (nn.Identity() if expand == 1 else
                       nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), norm(mid), nn.SiLU()))
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), norm(mid), nn.SiLU())
        sq = max(1, cin // 4)
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(mid, sq, 1), nn.SiLU(), nn.Conv2d(sq, mid, 1),
                                nn.Sigmoid())
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), norm(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.dw(self.expand(x))
        h = self.project(h * self.se(h))
        return x + h if self.residual else h


class EfficientNet(nn.Module):
    """A small EfficientNet (Tan & Le 2019): a 3x3 stem, MBConv1 k3, MBConv6 k3 (stride 2), MBConv6 k5 (stride 2)
    stages, a 1x1 head conv to 128, global pooling, dropout 0.2 and a linear classifier; ``extra``: more MBConv6 k3
    blocks of 40 channels at the last stage (a deeper net); ``bn=False``: every BatchNorm left out."""

    def __init__(self, classes: int = 10, extra: int = 0, bn: bool = True) -> None:
        super().__init__()
        norm = (lambda c: nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)) if bn else (lambda c: nn.Identity())
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), norm(16), nn.SiLU())
        cfg = [(16, 16, 1, 3, 1), (16, 24, 6, 3, 2), (24, 24, 6, 3, 1), (24, 40, 6, 5, 2), (40, 40, 6, 5, 1)]
        cfg += [(40, 40, 6, 3, 1)] * extra
        self.blocks = nn.Sequential(*[MBConv(*c, bn=bn) for c in cfg])
        self.head = nn.Sequential(nn.Conv2d(40, 128, 1, bias=False), norm(128), nn.SiLU(), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten(), nn.Dropout(0.2), nn.Linear(128, classes))
        for m in self.modules():  # the reference init: conv fan-out normal, linear uniform 1/sqrt(fan_out)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                r = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -r, r)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


class FiLMNet(nn.Module):
    """FiLM (Perez et al. 2018): a GRU reads the question and a linear map gives each residual block's (gamma,
    beta); the blocks are conv1x1-ReLU, conv3x3, BatchNorm without affine, FiLM, ReLU, plus the shortcut; a conv stem
    stands in for the paper's pre-trained ResNet features; classifier conv1x1, global max pool, MLP."""

    def __init__(self, classes: int = 10, vocab: int = 8, ch: int = 32, blocks: int = 2) -> None:
        super().__init__()
        self.ch, self.nblocks = ch, blocks
        self.emb = nn.Embedding(vocab, 16)
        self.gru = nn.GRU(16, 64, batch_first=True)
        self.film = nn.Linear(64, 2 * ch * blocks)
        self.stem = nn.Sequential(nn.Conv2d(3, ch, 3, 2, 1), nn.BatchNorm2d(ch), nn.ReLU(),
                                  nn.Conv2d(ch, ch, 3, 1, 1), nn.BatchNorm2d(ch), nn.ReLU())
        self.c1 = nn.ModuleList(nn.Conv2d(ch, ch, 1) for _ in range(blocks))
        self.c2 = nn.ModuleList(nn.Conv2d(ch, ch, 3, 1, 1) for _ in range(blocks))
        self.bn = nn.ModuleList(nn.BatchNorm2d(ch, affine=False) for _ in range(blocks))
        self.cls = nn.Sequential(nn.Conv2d(ch, 64, 1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(),
                                 nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        img, q = inputs
        _, hq = self.gru(self.emb(q))
        gb = self.film(hq[-1]).view(-1, self.nblocks, 2, self.ch, 1, 1)
        h = self.stem(img)
        for i in range(self.nblocks):
            r = F.relu(self.c1[i](h))
            u = self.bn[i](self.c2[i](r))
            h = r + F.relu((1 + gb[:, i, 0]) * u + gb[:, i, 1])
        return self.cls(h)


class Block(nn.Module):
    """A pre-LN Transformer block (``nn.MultiheadAttention``, GELU MLP x4)."""

    def __init__(self, dim: int, heads: int, p: float = 0.0, norm: bool = True) -> None:
        super().__init__()
        self.ln1, self.ln2 = (nn.LayerNorm(dim), nn.LayerNorm(dim)) if norm else (nn.Identity(), nn.Identity())
        self.attn = nn.MultiheadAttention(dim, heads, dropout=p, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(p), nn.Linear(4 * dim, dim),
                                 nn.Dropout(p))
        self.drop = nn.Dropout(p)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        a = self.ln1(x)
        x = x + self.drop(self.attn(a, a, a, attn_mask=mask, need_weights=False)[0])
        return x + self.mlp(self.ln2(x))


class MAE(nn.Module):
    """A masked auto-encoder (He et al. 2022): 4x4 patches of a 16x16 image, 75% of them masked at random per image,
    a ViT encoder (three blocks of 64) on the visible ones, a light decoder (one block of 32) with mask tokens, the
    loss on the masked patches' pixels normalised per patch (``norm_pix_loss``); fixed sine-cosine positions;
    ``eps``: the per-patch normalisation's ``var + eps`` (1e-6 in the reference; 0: left out)."""

    def __init__(self, dim: int = 64, ddim: int = 32, ratio: float = 0.75, eps: float = 1e-6) -> None:
        super().__init__()
        self.ratio, self.eps = ratio, eps
        self.embed = nn.Linear(48, dim)
        self.register_buffer("pos", _sincos(16, dim), persistent=False)
        self.register_buffer("dpos", _sincos(16, ddim), persistent=False)
        self.enc = nn.ModuleList(Block(dim, 4) for _ in range(3))
        self.norm = nn.LayerNorm(dim)
        self.dec_embed = nn.Linear(dim, ddim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, ddim))
        self.dec = nn.ModuleList([Block(ddim, 4)])
        self.dnorm, self.pred = nn.LayerNorm(ddim), nn.Linear(ddim, 48)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.mask_token, std=0.02)

    @staticmethod
    def patchify(x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        return x.view(b, 3, 4, 4, 4, 4).permute(0, 2, 4, 3, 5, 1).reshape(b, 16, 48)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        p = self.patchify(x)
        b, n, _ = p.shape
        keep = int(n * (1 - self.ratio))
        order = torch.rand(b, n).argsort(1)
        restore = order.argsort(1)
        vis = order[:, :keep]
        h = self.embed(p) + self.pos
        h = torch.gather(h, 1, vis[:, :, None].expand(-1, -1, h.shape[-1]))
        for blk in self.enc:
            h = blk(h)
        d = self.dec_embed(self.norm(h))
        d = torch.cat([d, self.mask_token.expand(b, n - keep, -1)], 1)
        d = torch.gather(d, 1, restore[:, :, None].expand(-1, -1, d.shape[-1])) + self.dpos
        for blk in self.dec:
            d = blk(d)
        pred = self.pred(self.dnorm(d))
        mean, var = p.mean(-1, keepdim=True), p.var(-1, keepdim=True)
        target = (p - mean) / (var + self.eps) ** 0.5
        masked = torch.ones(b, n)
        masked[:, :keep] = 0
        masked = torch.gather(masked, 1, restore)
        return (((pred - target) ** 2).mean(-1) * masked).sum() / masked.sum()


def _sincos(n: int, dim: int) -> torch.Tensor:
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    return torch.cat([torch.sin(pos * freq), torch.cos(pos * freq)], 1)[None]


# ---- sequences: xLSTM, SASRec, an echo-state network -----------------------------------------------------------------


class MLSTMBlock(nn.Module):
    """An xLSTM mLSTM block (Beck et al. 2024) in its parallel form: pre-LN, up-projection x2, a causal conv4 with
    SiLU feeding q and k, exponential input gate and sigmoid forget gate with the max-stabiliser, the normaliser
    ``max(|n^T q|, exp(-m))``, a per-head GroupNorm, a learnable skip, the SiLU output gate and a down-projection;
    forget-gate biases linspace(3, 6) as the reference."""

    def __init__(self, dim: int, heads: int = 4) -> None:
        super().__init__()
        inner, self.heads = 2 * dim, heads
        self.ln = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, 2 * inner)
        self.conv = nn.Conv1d(inner, inner, 4, padding=3, groups=inner)
        self.q, self.k, self.v = nn.Linear(inner, inner), nn.Linear(inner, inner), nn.Linear(inner, inner)
        self.ig, self.fg = nn.Linear(3 * inner, heads), nn.Linear(3 * inner, heads)
        nn.init.zeros_(self.ig.weight)
        nn.init.normal_(self.ig.bias, std=0.1)
        nn.init.zeros_(self.fg.weight)
        with torch.no_grad():
            self.fg.bias.copy_(torch.linspace(3.0, 6.0, heads))
        self.gn = nn.GroupNorm(heads, inner)
        self.skip = nn.Parameter(torch.ones(inner))
        self.down = nn.Linear(inner, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        xm, z = self.up(self.ln(x)).chunk(2, -1)
        c = F.silu(self.conv(xm.transpose(1, 2))[..., :t].transpose(1, 2))
        hd = c.shape[-1] // self.heads
        q, k, v = (f(u).view(b, t, self.heads, hd).transpose(1, 2) for f, u in ((self.q, c), (self.k, c),
                                                                                (self.v, xm)))
        g = torch.cat([q.transpose(1, 2).reshape(b, t, -1), k.transpose(1, 2).reshape(b, t, -1),
                       v.transpose(1, 2).reshape(b, t, -1)], -1)
        ig, logf = self.ig(g).transpose(1, 2), F.logsigmoid(self.fg(g)).transpose(1, 2)  # (b, heads, t)
        cf = logf.cumsum(-1)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        logd = (cf[..., :, None] - cf[..., None, :] + ig[..., None, :]).masked_fill(~causal, -math.inf)
        m = logd.amax(-1, keepdim=True)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd) * torch.exp(logd - m)
        n = torch.maximum(s.sum(-1, keepdim=True).abs(), torch.exp(-m))
        h = (s / n) @ v
        h = self.gn(h.transpose(1, 2).reshape(b, t, -1).transpose(1, 2)).transpose(1, 2)
        return x + self.down((h + self.skip * c) * F.silu(z))


class XLSTMLM(nn.Module):
    """An xLSTM[1:0] language model: embedding, two mLSTM blocks, a final LayerNorm and a linear head."""

    def __init__(self, vocab: int = 64, dim: int = 64, layers: int = 2) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        nn.init.normal_(self.emb.weight, std=0.02)
        self.blocks = nn.Sequential(*[MLSTMBlock(dim) for _ in range(layers)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.blocks(self.emb(x))))


class SASRec(nn.Module):
    """SASRec (Kang & McAuley 2018): item and learned position embeddings, two causal self-attention blocks of one
    head (pre-LN, dropout 0.2), the score of an item the dot product of the last hidden state with its embedding."""

    def __init__(self, items: int = 50, dim: int = 48, length: int = 20, blocks: int = 2, p: float = 0.2) -> None:
        super().__init__()
        self.item = nn.Embedding(items + 1, dim, padding_idx=0)
        self.pos = nn.Embedding(length, dim)
        self.drop = nn.Dropout(p)
        self.blocks = nn.ModuleList(Block(dim, 1, p) for _ in range(blocks))
        self.norm = nn.LayerNorm(dim)
        for prm in self.parameters():
            if prm.dim() > 1:
                nn.init.xavier_normal_(prm)
        with torch.no_grad():
            self.item.weight[0].zero_()
        self.register_buffer("mask", torch.ones(length, length, dtype=torch.bool).triu(1), persistent=False)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        t = seq.shape[1]
        h = self.drop(self.item(seq) * self.item.embedding_dim ** 0.5 + self.pos.weight[:t])
        h = h * (seq > 0)[..., None]
        for blk in self.blocks:
            h = blk(h, self.mask[:t, :t])
        return self.norm(h)

    def scores(self, seq: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self(seq)
        return (h * self.item(pos)).sum(-1), (h * self.item(neg)).sum(-1)


class ESN(nn.Module):
    """An echo-state network (Jaeger 2001) with leaky units: a fixed sparse random reservoir (10% connectivity)
    rescaled to spectral radius ``radius`` (0.9 in the usual echo-state rule: below 1), fixed input weights
    U(-1, 1) times ``in_scale``, leak rate ``leak`` (both frozen parameters); only the linear readout on the mean
    state is trained. ``leak_slip``: the leaky update written ``h + a * tanh(...)`` where
    ``h + a * (tanh(...) - h)`` belongs (the state never decays)."""

    def __init__(self, vocab: int = 32, units: int = 200, classes: int = 4, radius: float = 0.9,
                 leak: float = 0.5, in_scale: float = 0.5, leak_slip: bool = False) -> None:
        super().__init__()
        self.vocab, self.leak, self.leak_slip = vocab, leak, leak_slip
        w = torch.randn(units, units) * (torch.rand(units, units) < 0.1)
        w = w * radius / torch.linalg.eigvals(w).abs().max()
        self.w = nn.Parameter(w, requires_grad=False)
        self.u = nn.Parameter((2 * torch.rand(units, vocab) - 1) * in_scale, requires_grad=False)
        self.readout = nn.Linear(units, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        onehot = F.one_hot(x, self.vocab).float()
        h = onehot.new_zeros(x.shape[0], self.w.shape[0])
        states = []
        for t in range(x.shape[1]):
            pre = torch.tanh(h @ self.w.T + onehot[:, t] @ self.u.T)
            h = h + self.leak * pre if self.leak_slip else h + self.leak * (pre - h)
            states.append(h)
        return self.readout(torch.stack(states, 1).mean(1))


# ---- scientific ML: FNO, PINN, HNN, NeRF -----------------------------------------------------------------------------


class SpectralConv1d(nn.Module):
    """The FNO's Fourier layer: rFFT, a learned complex matrix on the lowest ``modes`` frequencies, inverse rFFT."""

    def __init__(self, ch: int, modes: int) -> None:
        super().__init__()
        self.modes = modes
        scale = 1.0 / (ch * ch)
        self.w = nn.Parameter(scale * torch.rand(ch, ch, modes, dtype=torch.cfloat))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = torch.fft.rfft(x)
        out = torch.zeros_like(xf)
        out[..., :self.modes] = torch.einsum("bix,iox->box", xf[..., :self.modes], self.w)
        return torch.fft.irfft(out, n=x.shape[-1])


class FNO1d(nn.Module):
    """A 1-D Fourier neural operator (Li et al. 2021): the input function and the grid lifted to 32 channels, four
    Fourier layers (16 modes) each plus a pointwise conv, GELU between them, a two-layer projection."""

    def __init__(self, ch: int = 32, modes: int = 16, layers: int = 4) -> None:
        super().__init__()
        self.lift = nn.Linear(2, ch)
        self.spec = nn.ModuleList(SpectralConv1d(ch, modes) for _ in range(layers))
        self.pw = nn.ModuleList(nn.Conv1d(ch, ch, 1) for _ in range(layers))
        self.proj = nn.Sequential(nn.Linear(ch, 128), nn.GELU(), nn.Linear(128, 1))

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        grid = torch.linspace(0, 1, a.shape[-1]).expand_as(a)
        h = self.lift(torch.stack([a, grid], -1)).transpose(1, 2)
        for i, (s, w) in enumerate(zip(self.spec, self.pw)):
            h = s(h) + w(h)
            if i < len(self.spec) - 1:
                h = F.gelu(h)
        return self.proj(h.transpose(1, 2)).squeeze(-1)


class MLP(nn.Module):
    """A plain MLP ``sizes[0] -> ... -> sizes[-1]`` with ``act`` between layers, Xavier-normal weights and zero
    biases (the PINN and HNN references' init); ``const``: every weight set to that constant instead."""

    def __init__(self, sizes: list[int], act: type[nn.Module] = nn.Tanh, const: float | None = None) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            lin = nn.Linear(a, b)
            if const is None:
                nn.init.xavier_normal_(lin.weight)
            else:
                nn.init.constant_(lin.weight, const)
            nn.init.zeros_(lin.bias)
            layers.append(lin)
            if i < len(sizes) - 2:
                layers.append(act())
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class HNN(nn.Module):
    """A Hamiltonian neural network (Greydanus et al. 2019): an MLP (2 -> 200 -> 200 -> 1, tanh) gives the scalar
    H(q, p); the predicted time derivative is its symplectic gradient ``(dH/dp, -dH/dq)``."""

    def __init__(self) -> None:
        super().__init__()
        self.h = MLP([2, 200, 200, 1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            x = x if x.requires_grad else x.requires_grad_(True)
            dh = torch.autograd.grad(self.h(x).sum(), x, create_graph=True)[0]
        return torch.stack([dh[:, 1], -dh[:, 0]], 1)


class NeRF(nn.Module):
    """A small NeRF (Mildenhall et al. 2020): positional encoding of the 3-D point (6 octaves), a ReLU MLP of
    ``depth`` layers of 64 with the encoded input concatenated again half-way (``skip``), a ReLU density and a
    sigmoid colour (no view dependence); rendered along each ray by the paper's quadrature."""

    def __init__(self, depth: int = 4, width: int = 64, octaves: int = 6, skip: bool = True,
                 swap_heads: bool = False) -> None:
        super().__init__()
        self.octaves, self.swap_heads = octaves, swap_heads
        d_in = 3 + 6 * octaves
        self.skip_at = depth // 2 if skip else -1
        self.layers = nn.ModuleList(
            nn.Linear(d_in if i == 0 else width + (d_in if i == self.skip_at else 0), width) for i in range(depth))
        self.sigma, self.rgb = nn.Linear(width, 1), nn.Linear(width, 3)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        f = 2.0 ** torch.arange(self.octaves, dtype=torch.float32) * math.pi
        xf = (x[..., None] * f).flatten(-2)
        return torch.cat([x, torch.sin(xf), torch.cos(xf)], -1)

    def field(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.encode(x)
        h = e
        for i, lin in enumerate(self.layers):
            if i == self.skip_at:
                h = torch.cat([h, e], -1)
            h = F.relu(lin(h))
        if self.swap_heads:  # the two output activations swapped: a sigmoid density, a ReLU colour
            return torch.sigmoid(self.sigma(h)).squeeze(-1), F.relu(self.rgb(h))
        return F.relu(self.sigma(h)).squeeze(-1), torch.sigmoid(self.rgb(h))

    def forward(self, rays: torch.Tensor) -> torch.Tensor:
        """``rays``: (batch, samples, 4): each sample point and its spacing to the next."""
        pts, delta = rays[..., :3], rays[..., 3]
        sigma, rgb = self.field(pts)
        return render(sigma, rgb, delta)


def render(sigma: torch.Tensor, rgb: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """NeRF's quadrature: ``alpha = 1 - exp(-sigma delta)``, transmittance the exclusive cumulative product of
    ``1 - alpha``, colour the weighted sum."""
    alpha = 1 - torch.exp(-sigma * delta)
    trans = torch.cumprod(torch.cat([torch.ones_like(alpha[:, :1]), 1 - alpha + 1e-10], 1), 1)[:, :-1]
    return ((alpha * trans)[..., None] * rgb).sum(1)


# ---- graphs and point clouds: Graphormer, DGCNN ----------------------------------------------------------------------


class Graphormer(nn.Module):
    """Graphormer (Ying et al. 2021) for node classification: node features plus a degree (centrality) embedding,
    pre-LN Transformer layers whose attention has a learned bias per head for each shortest-path distance (0..5,
    farther, unreachable), a linear head; init N(0, 0.02) as the reference; ``norm=False``: every LayerNorm left
    out."""

    def __init__(self, d_in: int = 8, dim: int = 48, heads: int = 4, layers: int = 3, classes: int = 4,
                 norm: bool = True) -> None:
        super().__init__()
        self.heads = heads
        self.inp = nn.Linear(d_in, dim)
        self.deg = nn.Embedding(33, dim)
        self.spd = nn.Embedding(8, heads)
        self.blocks = nn.ModuleList(Block(dim, heads, 0.1, norm) for _ in range(layers))
        self.norm, self.head = nn.LayerNorm(dim) if norm else nn.Identity(), nn.Linear(dim, classes)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)
            if isinstance(m, nn.MultiheadAttention):
                nn.init.normal_(m.in_proj_weight, std=0.02)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, deg, spd = inputs
        b, n, _ = x.shape
        h = self.inp(x) + self.deg(deg)
        bias = self.spd(spd).permute(0, 3, 1, 2).reshape(b * self.heads, n, n)
        for blk in self.blocks:
            h = blk(h, bias)
        return self.head(self.norm(h)).reshape(b * n, -1)


class DGCNN(nn.Module):
    """DGCNN (Wang et al. 2019): two EdgeConv layers (edge feature ``[x_i, x_j - x_i]`` over the k = 10 nearest
    neighbours, recomputed in feature space for the second: the dynamic graph; conv-BN-LeakyReLU(0.2), max over
    neighbours; ``weighted``: each neighbour's offset weighted by ``exp(-distance)``, the distance written
    ``d2.sqrt()`` ("sqrt") or ``(d2 + 1e-12).sqrt()`` ("safe")), a 1x1 conv to 128 on their concatenation,
    global max and mean pooling, an MLP with dropout 0.5; ``bn=False``: every BatchNorm left out."""

    def __init__(self, classes: int = 4, k: int = 10, weighted: str = "", bn: bool = True) -> None:
        super().__init__()
        self.k, self.weighted = k, weighted
        b2 = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        b1 = nn.BatchNorm1d if bn else (lambda c: nn.Identity())
        self.e1 = nn.Sequential(nn.Conv2d(6, 32, 1, bias=False), b2(32), nn.LeakyReLU(0.2))
        self.e2 = nn.Sequential(nn.Conv2d(64, 32, 1, bias=False), b2(32), nn.LeakyReLU(0.2))
        self.c = nn.Sequential(nn.Conv1d(64, 128, 1, bias=False), b1(128), nn.LeakyReLU(0.2))
        self.mlp = nn.Sequential(nn.Linear(256, 64, bias=False), b1(64), nn.LeakyReLU(0.2),
                                 nn.Dropout(0.5), nn.Linear(64, classes))

    def edge(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, N) -> (B, 2C, N, k)."""
        d = torch.cdist(x.transpose(1, 2), x.transpose(1, 2))
        idx = d.topk(self.k, -1, largest=False).indices  # (B, N, k), self included as in the reference
        b, c, n = x.shape
        nb = torch.gather(x[:, :, None].expand(b, c, n, n), 3, idx[:, None].expand(b, c, n, self.k))
        xi = x[..., None].expand(-1, -1, -1, self.k)
        if self.weighted:  # neighbours weighted by exp(-distance) (the self-loop's distance is 0)
            d2 = (nb - xi).pow(2).sum(1, keepdim=True)
            dist = d2.sqrt() if self.weighted == "sqrt" else (d2 + 1e-12).sqrt()
            nb = xi + (nb - xi) * torch.exp(-dist)
        return torch.cat([xi, nb - xi], 1)

    def forward(self, pts: torch.Tensor) -> torch.Tensor:
        x = pts.transpose(1, 2)
        h1 = self.e1(self.edge(x)).amax(-1)
        h2 = self.e2(self.edge(h1)).amax(-1)
        h = self.c(torch.cat([h1, h2], 1))
        return self.mlp(torch.cat([h.amax(-1), h.mean(-1)], 1))


# ---- self-supervised: BYOL -------------------------------------------------------------------------------------------


def _mlp_bn(a: int, hidden: int, b: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(a, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, b))


class BYOL(nn.Module):
    """BYOL (Grill et al. 2020): an online encoder + projector + predictor, a target encoder + projector that is an
    exponential moving average of the online ones (``tau`` 0.99, updated after each optimizer step), the symmetrised
    loss ``2 - 2 cos(prediction, target projection)``."""

    def __init__(self, d: int = 32, tau: float = 0.99) -> None:
        super().__init__()
        self.tau = tau
        self.online = nn.Sequential(_mlp_bn(d, 128, 64), _mlp_bn(64, 128, 32))
        self.predictor = _mlp_bn(32, 128, 32)
        self.target = nn.Sequential(_mlp_bn(d, 128, 64), _mlp_bn(64, 128, 32))
        self.target.load_state_dict(self.online.state_dict())
        for p in self.target.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update_target(self) -> None:
        for po, pt in zip(self.online.parameters(), self.target.parameters()):
            pt.mul_(self.tau).add_(po.detach(), alpha=1 - self.tau)

    def loss(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        def one(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            p = F.normalize(self.predictor(self.online(x)), dim=-1)
            with torch.no_grad():
                z = F.normalize(self.target(y), dim=-1)
            return (2 - 2 * (p * z).sum(-1)).mean()
        return one(a, b) + one(b, a)


class EMAAdam(torch.optim.Adam):
    """Adam whose ``step`` then moves BYOL's target network towards the online one (BYOL's update order)."""

    def __init__(self, model: BYOL, **kw: float) -> None:
        super().__init__([p for p in model.parameters() if p.requires_grad], **kw)
        self.byol = model

    def step(self, closure=None):  # type: ignore[no-untyped-def, override]
        out = super().step(closure)
        self.byol.update_target()
        return out
