"""Hand-written models of the twenty-seventh held-out batch (``fresh26.py``): small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- PiT -------------------------------------------------------------------------------------------------------------


class PiT(nn.Module):
    """Pooling-based Vision Transformer (Heo et al. 2021) scaled down: 2x2 patches of a 16x16 image (an 8x8 grid of
    32 channels) with learned positions and a class token, two pre-LN blocks, the pooling layer (a stride-2
    depthwise 3x3 conv doubling the channels on the grid, a Linear on the class token), two blocks at 64 channels on
    4x4, LayerNorm, the class token to a linear head. Linear weights trunc-normal std 0.02 and zero biases (timm's
    init)."""

    def __init__(self, classes: int = 10, d: int = 32) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, d, 2, 2)
        self.pos, self.cls = nn.Parameter(torch.zeros(1, 64, d)), nn.Parameter(torch.zeros(1, 1, d))

        def block(w: int) -> nn.Module:
            return nn.TransformerEncoderLayer(w, w // 16, 4 * w, 0.0, "gelu", batch_first=True, norm_first=True)
        self.s1, self.s2 = nn.Sequential(block(d), block(d)), nn.Sequential(block(2 * d), block(2 * d))
        self.pool, self.pool_cls = nn.Conv2d(d, 2 * d, 3, 2, 1, groups=d), nn.Linear(d, 2 * d)
        self.norm, self.head = nn.LayerNorm(2 * d), nn.Linear(2 * d, classes)
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.cls, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x).flatten(2).transpose(1, 2) + self.pos
        h = self.s1(torch.cat([self.cls.expand(x.shape[0], -1, -1), h], 1))
        c, g = h[:, :1], h[:, 1:].transpose(1, 2).reshape(x.shape[0], -1, 8, 8)
        h = torch.cat([self.pool_cls(c), self.pool(g).flatten(2).transpose(1, 2)], 1)
        return self.head(self.norm(self.s2(h))[:, 0])


# ---- DeepLabV3 -------------------------------------------------------------------------------------------------------


def _cbr(cin: int, cout: int, k: int, bn: bool, stride: int = 1, dil: int = 1, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, dil * (k // 2), dil, bias=not bn)]
    layers += [nn.BatchNorm2d(cout)] if bn else []
    layers += [nn.ReLU()] if relu else []
    return nn.Sequential(*layers)


class _Res(nn.Module):
    """A ResNet basic block (3x3, 3x3, identity or 1x1 shortcut), optionally dilated."""

    def __init__(self, cin: int, cout: int, bn: bool, stride: int = 1, dil: int = 1) -> None:
        super().__init__()
        self.f = nn.Sequential(_cbr(cin, cout, 3, bn, stride, dil), _cbr(cout, cout, 3, bn, 1, dil, relu=False))
        self.sc = nn.Identity() if cin == cout and stride == 1 else _cbr(cin, cout, 1, bn, stride, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.f(x) + self.sc(x))


class DeepLabV3(nn.Module):
    """DeepLabV3 (Chen et al. 2017) scaled down: a ResNet backbone (a 3x3 stem, two blocks at full resolution, a
    stride-2 block, two blocks dilated 2: output stride 2), ASPP (a 1x1 conv, 3x3 convs dilated 2, 4 and 6, and the
    image-pooling branch), a 1x1 projection, a 1x1 classifier, bilinear upsampling to the input. ``bn=False``: every
    BatchNorm left out (the convs get biases)."""

    def __init__(self, classes: int = 4, c: int = 32, bn: bool = True) -> None:
        super().__init__()
        self.backbone = nn.Sequential(_cbr(3, c, 3, bn), _Res(c, c, bn), _Res(c, c, bn), _Res(c, 2 * c, bn, 2),
                                      _Res(2 * c, 2 * c, bn, dil=2), _Res(2 * c, 2 * c, bn, dil=2))
        self.aspp = nn.ModuleList([_cbr(2 * c, c, 1, bn)] + [_cbr(2 * c, c, 3, bn, dil=r) for r in (2, 4, 6)])
        self.img = _cbr(2 * c, c, 1, bn)
        self.proj, self.cls = _cbr(5 * c, c, 1, bn), nn.Conv2d(c, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.backbone(x)
        img = self.img(h.mean((2, 3), keepdim=True)).expand(-1, -1, h.shape[2], h.shape[3])
        h = self.proj(torch.cat([b(h) for b in self.aspp] + [img], 1))
        return F.interpolate(self.cls(h), size=x.shape[-2:], mode="bilinear", align_corners=False)


# ---- TSM -------------------------------------------------------------------------------------------------------------


def temporal_shift(x: torch.Tensor, segments: int, fold_div: int = 8) -> torch.Tensor:
    """TSM's shift: of ``(batch * segments, c, h, w)`` frames, 1/8 of the channels shifted one frame back in time,
    1/8 one frame forward (zero-padded), the rest kept."""
    nt, c, h, w = x.shape
    x = x.view(nt // segments, segments, c, h, w)
    f = c // fold_div
    out = torch.zeros_like(x)
    out[:, :-1, :f] = x[:, 1:, :f]
    out[:, 1:, f:2 * f] = x[:, :-1, f:2 * f]
    out[:, :, 2 * f:] = x[:, :, 2 * f:]
    return out.view(nt, c, h, w)


class _ShiftBlock(_Res):
    """A ResNet basic block with the temporal shift on its residual branch (TSM's residual shift)."""

    def __init__(self, cin: int, cout: int, segments: int, stride: int = 1) -> None:
        super().__init__(cin, cout, True, stride)
        self.segments = segments

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.f(temporal_shift(x, self.segments)) + self.sc(x))


class TSM(nn.Module):
    """Temporal Shift Module (Lin et al. 2019) on a small ResNet: the clip's frames ``(batch, segments, 3, h, w)``
    flattened to ``(batch * segments, 3, h, w)``, a 3x3 stem, four shift blocks (24, 24, 48 stride 2, 48), pooled, a
    linear head per frame, the frames' scores averaged (TSN's consensus)."""

    def __init__(self, classes: int = 8, segments: int = 8, c: int = 24) -> None:
        super().__init__()
        self.segments = segments
        self.stem = _cbr(3, c, 3, True)
        self.blocks = nn.Sequential(_ShiftBlock(c, c, segments), _ShiftBlock(c, c, segments),
                                    _ShiftBlock(c, 2 * c, segments, 2), _ShiftBlock(2 * c, 2 * c, segments))
        self.head = nn.Linear(2 * c, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.stem(x.reshape(-1, *x.shape[-3:])))
        return self.head(h.mean((2, 3))).view(-1, self.segments, self.head.out_features).mean(1)


# ---- ECAPA-TDNN ------------------------------------------------------------------------------------------------------


class SERes2Block(nn.Module):
    """ECAPA-TDNN's SE-Res2Block: a 1x1 conv-ReLU-BN, a Res2Net dilated conv (scale 4: each split's 3-tap conv-ReLU-BN
    gets the previous split's output added), a 1x1 conv-ReLU-BN, squeeze-excitation, a residual."""

    def __init__(self, c: int, dil: int, scale: int = 4) -> None:
        super().__init__()
        self.scale, w = scale, c // scale

        def crb(cin: int, cout: int, k: int = 1, d: int = 1) -> nn.Sequential:
            return nn.Sequential(nn.Conv1d(cin, cout, k, dilation=d, padding=d * (k // 2)), nn.ReLU(),
                                 nn.BatchNorm1d(cout))
        self.pre, self.post = crb(c, c), crb(c, c)
        self.convs = nn.ModuleList(crb(w, w, 3, dil) for _ in range(scale - 1))
        self.se = nn.Sequential(nn.Conv1d(c, c // 4, 1), nn.ReLU(), nn.Conv1d(c // 4, c, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts, outs = self.pre(x).chunk(self.scale, 1), []
        for i, p in enumerate(parts):
            outs.append(p if i == 0 else self.convs[i - 1](p if i == 1 else p + outs[-1]))
        h = self.post(torch.cat(outs, 1))
        return x + h * self.se(h.mean(-1, keepdim=True))


class ECAPA(nn.Module):
    """ECAPA-TDNN (Desplanques et al. 2020) scaled down: a 5-tap conv-ReLU-BN, three SE-Res2Blocks dilated 2, 3, 4,
    multi-layer feature aggregation (their outputs concatenated, a 1x1 conv-ReLU), channel- and context-dependent
    attentive statistics pooling (the std's variance clamped at 1e-4 as in the reference code), BN, a 64-d embedding,
    BN, a linear speaker classifier."""

    def __init__(self, coeffs: int = 20, speakers: int = 8, c: int = 64) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(coeffs, c, 5, padding=2), nn.ReLU(), nn.BatchNorm1d(c))
        self.blocks = nn.ModuleList(SERes2Block(c, d) for d in (2, 3, 4))
        self.mfa = nn.Sequential(nn.Conv1d(3 * c, 3 * c, 1), nn.ReLU())
        self.att = nn.Sequential(nn.Conv1d(9 * c, 32, 1), nn.ReLU(), nn.BatchNorm1d(32), nn.Tanh(),
                                 nn.Conv1d(32, 3 * c, 1))
        self.bn, self.emb = nn.BatchNorm1d(6 * c), nn.Sequential(nn.Linear(6 * c, 64), nn.BatchNorm1d(64))
        self.cls = nn.Linear(64, speakers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, outs = self.stem(x), []
        for blk in self.blocks:
            h = blk(h)
            outs.append(h)
        h = self.mfa(torch.cat(outs, 1))
        t = h.shape[-1]
        mu, sd = h.mean(-1, keepdim=True), h.var(-1, keepdim=True).clamp(min=1e-4).sqrt()
        w = torch.softmax(self.att(torch.cat([h, mu.expand(-1, -1, t), sd.expand(-1, -1, t)], 1)), -1)
        m = (w * h).sum(-1)
        s = ((w * h * h).sum(-1) - m * m).clamp(min=1e-4).sqrt()
        return self.cls(self.emb(self.bn(torch.cat([m, s], 1))))


# ---- QuartzNet -------------------------------------------------------------------------------------------------------


def _tcs(cin: int, cout: int, k: int, stride: int = 1, dil: int = 1) -> list[nn.Module]:
    """A time-channel separable conv (depthwise ``k`` taps, then pointwise) and its BatchNorm."""
    return [nn.Conv1d(cin, cin, k, stride, dil * (k // 2), dil, groups=cin, bias=False),
            nn.Conv1d(cin, cout, 1, bias=False), nn.BatchNorm1d(cout)]


class QuartzBlock(nn.Module):
    """A QuartzNet block: ``repeat`` TCS conv-BN-ReLU sub-blocks, the last one's ReLU after the residual (a 1x1
    conv-BN of the block's input) is added."""

    def __init__(self, cin: int, cout: int, k: int, repeat: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(repeat):
            layers += _tcs(cin if i == 0 else cout, cout, k) + ([nn.ReLU()] if i < repeat - 1 else [])
        self.body = nn.Sequential(*layers)
        self.res = nn.Sequential(nn.Conv1d(cin, cout, 1, bias=False), nn.BatchNorm1d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.res(x))


class QuartzNet(nn.Module):
    """QuartzNet (Kriman et al. 2020) scaled down: a stride-2 TCS conv C1 (11 taps), three blocks of two sub-blocks
    (7, 9, 11 taps, 64 channels), C2 (9 taps dilated 2), C3 (1x1, 128), C4 (1x1 to the letters and the CTC blank 0);
    log-softmax over the letters, time-major ``(time, batch, letters)`` for ``F.ctc_loss``."""

    def __init__(self, coeffs: int = 12, letters: int = 7, c: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(*_tcs(coeffs, c, 11, 2), nn.ReLU(), QuartzBlock(c, c, 7), QuartzBlock(c, c, 9),
                                 QuartzBlock(c, c, 11), *_tcs(c, c, 9, dil=2), nn.ReLU(),
                                 nn.Conv1d(c, 2 * c, 1, bias=False), nn.BatchNorm1d(2 * c), nn.ReLU(),
                                 nn.Conv1d(2 * c, letters, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).transpose(1, 2).log_softmax(-1).transpose(0, 1)


# ---- SCINet ----------------------------------------------------------------------------------------------------------


class Interactor(nn.Module):
    """SCINet's SCI-block: the series split into even and odd steps, each scaled by ``exp`` of a conv module of the
    other (phi, psi), then each updated by adding (rho) and subtracting (eta) a conv module of the other; the conv
    modules are replicate padding, a 5-tap conv (hidden x2), LeakyReLU, dropout, a 3-tap conv, tanh."""

    def __init__(self, c: int, hidden: int = 2) -> None:
        super().__init__()

        def mod() -> nn.Sequential:
            return nn.Sequential(nn.ReplicationPad1d(3), nn.Conv1d(c, c * hidden, 5), nn.LeakyReLU(0.01),
                                 nn.Dropout(0.5), nn.Conv1d(c * hidden, c, 3), nn.Tanh())
        self.phi, self.psi, self.rho, self.eta = mod(), mod(), mod(), mod()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ev, od = x[..., ::2], x[..., 1::2]
        d, c = od * torch.exp(self.phi(ev)), ev * torch.exp(self.psi(od))
        return c + self.eta(d), d - self.rho(c)


class SCITree(nn.Module):
    """SCINet's binary tree of SCI-blocks (``levels`` deep), the leaves re-interleaved into the original order."""

    def __init__(self, c: int, levels: int) -> None:
        super().__init__()
        self.block = Interactor(c)
        self.kids = nn.ModuleList(SCITree(c, levels - 1) for _ in range(2)) if levels > 1 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ev, od = self.block(x)
        if self.kids is not None:
            ev, od = self.kids[0](ev), self.kids[1](od)
        return torch.stack([ev, od], -1).flatten(-2)


class SCINet(nn.Module):
    """SCINet (Liu et al. 2022), one stack: the look-back ``(batch, 48, variates)`` through a three-level SCI tree, a
    residual with the input, a 1x1 conv along time to the horizon (a Linear 48 -> 12)."""

    def __init__(self, variates: int = 3, lookback: int = 48, horizon: int = 12, levels: int = 3) -> None:
        super().__init__()
        self.tree, self.proj = SCITree(variates, levels), nn.Conv1d(lookback, horizon, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tree(x.transpose(1, 2)).transpose(1, 2) + x
        return self.proj(h)


# ---- JK-Net ----------------------------------------------------------------------------------------------------------


class JKNet(nn.Module):
    """Jumping Knowledge Network (Xu et al. 2018): six GCN layers (``A_hat h W``, ReLU, dropout 0.5) whose outputs
    are all concatenated (the concatenation aggregator) into a linear node classifier; ``A_hat`` is the symmetric
    normalised adjacency with self-loops, given with the node features."""

    def __init__(self, features: int = 24, classes: int = 4, hidden: int = 32, layers: int = 6) -> None:
        super().__init__()
        self.lins = nn.ModuleList(nn.Linear(features if i == 0 else hidden, hidden) for i in range(layers))
        self.out, self.drop = nn.Linear(layers * hidden, classes), nn.Dropout(0.5)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, a = inputs
        h, outs = self.drop(x), []
        for lin in self.lins:
            h = self.drop(F.relu(a @ lin(h)))
            outs.append(h)
        return self.out(torch.cat(outs, -1))


# ---- MaskNet ---------------------------------------------------------------------------------------------------------


class MaskBlock(nn.Module):
    """MaskNet's MaskBlock: the instance-guided mask (a Linear-ReLU aggregation of the feature embedding, reduction
    ratio 2, and a Linear projection back to its width) times the block's input (the layer-normalised embedding for
    the first block), a Linear, LayerNorm, ReLU."""

    def __init__(self, emb: int, inp: int, out: int) -> None:
        super().__init__()
        self.mask = nn.Sequential(nn.Linear(emb, 2 * emb), nn.ReLU(), nn.Linear(2 * emb, inp))
        self.hidden = nn.Sequential(nn.Linear(inp, out, bias=False), nn.LayerNorm(out), nn.ReLU())

    def forward(self, v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.hidden(self.mask(v) * x)


class MaskNet(nn.Module):
    """Serial MaskNet (Wang et al. 2021): embeddings of 8 per categorical field and, per count field, its value times
    a learned vector; three serial MaskBlocks of width 64; a linear output (the click logit)."""

    def __init__(self, sizes: tuple[int, ...] = (100, 200, 10, 24), counts: int = 2, d: int = 8,
                 hidden: int = 64) -> None:
        super().__init__()
        self.embs = nn.ModuleList(nn.Embedding(n, d) for n in sizes)
        self.num = nn.Parameter(torch.randn(counts, d) * 0.1)
        f = (len(sizes) + counts) * d
        self.norm = nn.LayerNorm(f)
        self.blocks = nn.ModuleList(MaskBlock(f, f if i == 0 else hidden, hidden) for i in range(3))
        self.out = nn.Linear(hidden, 1)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        ids, num = inputs
        v = torch.cat([torch.stack([emb(ids[:, i]) for i, emb in enumerate(self.embs)], 1), num[..., None] * self.num],
                      1).flatten(1)
        h = self.norm(v)
        for blk in self.blocks:
            h = blk(v, h)
        return self.out(h).squeeze(-1)


# ---- TabM ------------------------------------------------------------------------------------------------------------


class TabM(nn.Module):
    """TabM (Gorishniy et al. 2024), the BatchEnsemble form: ``k`` members share three ReLU layers of width 128
    (dropout 0.1), each member with its own input and output scaling adapters (``r`` random signs in the first
    layer, ones elsewhere; ``s`` ones) and biases, and its own linear head; the row's ``k`` logits are returned
    ``(batch, k)`` and the loss is the members' mean. ``hidden_bias``: every member's hidden biases set to it."""

    def __init__(self, features: int = 12, k: int = 16, width: int = 128, layers: int = 3,
                 hidden_bias: float | None = None) -> None:
        super().__init__()
        self.k = k
        dims = [features] + [width] * layers
        self.lins = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in itertools.pairwise(dims))
        g = torch.Generator().manual_seed(2609)
        self.r = nn.ParameterList(nn.Parameter(torch.randint(0, 2, (k, a), generator=g).float() * 2 - 1 if i == 0
                                               else torch.ones(k, a)) for i, a in enumerate(dims[:-1]))
        self.s = nn.ParameterList(nn.Parameter(torch.ones(k, b)) for b in dims[1:])
        self.b = nn.ParameterList(nn.Parameter(torch.zeros(k, b)) for b in dims[1:])
        if hidden_bias is not None:
            with torch.no_grad():
                for b in self.b:
                    b.fill_(hidden_bias)
        self.head_w = nn.Parameter(torch.randn(k, width) / math.sqrt(width))
        self.head_b = nn.Parameter(torch.zeros(k))
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x[:, None].expand(-1, self.k, -1)
        for lin, r, s, b in zip(self.lins, self.r, self.s, self.b):
            h = self.drop(F.relu(lin(h * r) * s + b))
        return (h * self.head_w).sum(-1) + self.head_b


# ---- DRAW ------------------------------------------------------------------------------------------------------------


class DRAW(nn.Module):
    """DRAW (Gregor et al. 2015) without attention (the paper's read ``[x, x - sigmoid(canvas)]`` and additive
    write): ``steps`` glimpses of an LSTM encoder and an LSTM decoder (64 units), a Gaussian latent of 8 per step
    (reparameterised), the canvas's sigmoid the Bernoulli mean. Returns the per-image loss terms through
    :func:`draw_loss`: ``(canvas logits, summed KL)``."""

    def __init__(self, pixels: int = 144, hidden: int = 64, z: int = 8, steps: int = 8) -> None:
        super().__init__()
        self.steps, self.hidden = steps, hidden
        self.enc, self.dec = nn.LSTMCell(2 * pixels + hidden, hidden), nn.LSTMCell(z, hidden)
        self.mu, self.logsd, self.write = nn.Linear(hidden, z), nn.Linear(hidden, z), nn.Linear(hidden, pixels)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = x.shape[0]
        canvas = x.new_zeros(x.shape)
        he = ce = hd = cd = x.new_zeros(b, self.hidden)
        kl = x.new_zeros(b)
        for _ in range(self.steps):
            xhat = x - torch.sigmoid(canvas)
            he, ce = self.enc(torch.cat([x, xhat, hd], 1), (he, ce))
            mu, logsd = self.mu(he), self.logsd(he)
            z = mu + logsd.exp() * torch.randn_like(mu)
            hd, cd = self.dec(z, (hd, cd))
            canvas = canvas + self.write(hd)
            kl = kl + 0.5 * (mu ** 2 + (2 * logsd).exp() - 2 * logsd - 1).sum(1)
        return canvas, kl


# ---- DRQN ------------------------------------------------------------------------------------------------------------


class DRQN(nn.Module):
    """DRQN (Hausknecht and Stone 2015) on vector observations: a two-layer ReLU encoder of each observation, an LSTM
    over the episode, the last step's output to one Q-value per action. ``depth``: the encoder's Linear-ReLU layers
    (PyTorch's default init, no normalisation or residuals); ``batch_first=False``: the LSTM built without
    ``batch_first=True`` while it is fed ``(batch, time, features)`` (it then runs along the batch axis: each
    "step" is another episode, and ``out[:, -1]`` is the state after the last observations of episodes 0..b)."""

    def __init__(self, obs: int = 8, actions: int = 4, hidden: int = 64, depth: int = 2, batch_first: bool = True
                 ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(obs if i == 0 else hidden, hidden), nn.ReLU()]
        self.enc = nn.Sequential(*layers)
        self.lstm = nn.LSTM(hidden, hidden, batch_first=batch_first)
        self.q = nn.Linear(hidden, actions)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.enc(x))
        return self.q(out[:, -1])
