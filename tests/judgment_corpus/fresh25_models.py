"""Hand-written models of the twenty-sixth held-out batch (``fresh25.py``): small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _bn2(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


# ---- RepLKNet --------------------------------------------------------------------------------------------------------


class RepLKBlock(nn.Module):
    """RepLKNet's block: BN, a 1x1 conv-BN-ReLU, a large-kernel depthwise conv-BN with a parallel small-kernel (3x3)
    depthwise conv-BN (the training-time form of its re-parameterisation), ReLU, a 1x1 conv-BN, a residual; then
    its ConvFFN: BN, 1x1 conv-BN, GELU, 1x1 conv-BN, a residual."""

    def __init__(self, c: int, k: int, bn: bool = True) -> None:
        super().__init__()
        self.pre, self.pw1 = _bn2(c, bn), nn.Sequential(nn.Conv2d(c, c, 1, bias=not bn), _bn2(c, bn), nn.ReLU())
        self.large = nn.Sequential(nn.Conv2d(c, c, k, padding=k // 2, groups=c, bias=not bn), _bn2(c, bn))
        self.small = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=c, bias=not bn), _bn2(c, bn))
        self.pw2 = nn.Sequential(nn.Conv2d(c, c, 1, bias=not bn), _bn2(c, bn))
        self.ffn = nn.Sequential(_bn2(c, bn), nn.Conv2d(c, 4 * c, 1, bias=not bn), _bn2(4 * c, bn), nn.GELU(),
                                 nn.Conv2d(4 * c, c, 1, bias=not bn), _bn2(c, bn))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pw1(self.pre(x))
        x = x + self.pw2(F.relu(self.large(h) + self.small(h)))
        return x + self.ffn(x)


class RepLKNet(nn.Module):
    """RepLKNet (Ding et al. 2022) scaled down: a stem (stride-2 3x3 conv-BN-ReLU, 3x3 depthwise conv-BN-ReLU), two
    stages of two blocks with kernels 9 (on 8x8) and 5 (on 4x4) between a 1x1 + stride-2 depthwise transition,
    pooled, linear head. ``bn=False``: every BatchNorm left out (the convs get biases)."""

    def __init__(self, classes: int = 10, c: int = 32, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, 2, 1, bias=not bn), _bn2(c, bn), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, padding=1, groups=c, bias=not bn), _bn2(c, bn), nn.ReLU())
        self.s1 = nn.Sequential(RepLKBlock(c, 9, bn), RepLKBlock(c, 9, bn))
        self.down = nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=not bn), _bn2(2 * c, bn), nn.ReLU(),
                                  nn.Conv2d(2 * c, 2 * c, 3, 2, 1, groups=2 * c, bias=not bn), _bn2(2 * c, bn),
                                  nn.ReLU())
        self.s2 = nn.Sequential(RepLKBlock(2 * c, 5, bn), RepLKBlock(2 * c, 5, bn))
        self.head = nn.Linear(2 * c, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.s2(self.down(self.s1(self.stem(x)))).mean((2, 3)))


# ---- Vision Permutator -----------------------------------------------------------------------------------------------


class WeightedPermuteMLP(nn.Module):
    """ViP's Permute-MLP: the channels split into segments of ``s``; the height branch mixes (height, segment)
    pairs with one Linear, the width branch (width, segment) pairs, the channel branch the channels; the three
    summed with split-attention weights (a two-layer MLP on their pooled sum, softmax over the branches)."""

    def __init__(self, c: int, side: int) -> None:
        super().__init__()
        self.s = c // side
        self.mh, self.mw, self.mc = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.reweight = nn.Sequential(nn.Linear(c, c // 4), nn.GELU(), nn.Linear(c // 4, 3 * c))
        self.proj = nn.Linear(c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, hh, ww, c = x.shape
        n = c // self.s
        h = x.reshape(b, hh, ww, n, self.s).permute(0, 3, 2, 1, 4).reshape(b, n, ww, hh * self.s)
        h = self.mh(h).reshape(b, n, ww, hh, self.s).permute(0, 3, 2, 1, 4).reshape(b, hh, ww, c)
        w = x.reshape(b, hh, ww, n, self.s).permute(0, 1, 3, 2, 4).reshape(b, hh, n, ww * self.s)
        w = self.mw(w).reshape(b, hh, n, ww, self.s).permute(0, 1, 3, 2, 4).reshape(b, hh, ww, c)
        ch = self.mc(x)
        a = self.reweight((h + w + ch).mean((1, 2))).reshape(b, c, 3).permute(2, 0, 1).softmax(0)
        return self.proj(h * a[0, :, None, None] + w * a[1, :, None, None] + ch * a[2, :, None, None])


class VisionPermutator(nn.Module):
    """Vision Permutator (Hou et al. 2022): 4x4 patches (a 4x4 grid of 64 channels), four pre-LN blocks of a
    weighted Permute-MLP and a GELU MLP (ratio 3), LayerNorm, mean over tokens, linear head."""

    def __init__(self, classes: int = 10, c: int = 64, side: int = 4, depth: int = 4) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, c, 4, 4)
        self.blocks = nn.ModuleList(nn.ModuleList([nn.LayerNorm(c), WeightedPermuteMLP(c, side), nn.LayerNorm(c),
                                                   nn.Sequential(nn.Linear(c, 3 * c), nn.GELU(),
                                                                 nn.Linear(3 * c, c))]) for _ in range(depth))
        self.norm, self.head = nn.LayerNorm(c), nn.Linear(c, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).permute(0, 2, 3, 1)
        for n1, pm, n2, mlp in self.blocks:
            x = x + pm(n1(x))
            x = x + mlp(n2(x))
        return self.head(self.norm(x).mean((1, 2)))


# ---- EfficientFormer -------------------------------------------------------------------------------------------------


class EfficientFormer(nn.Module):
    """EfficientFormer (Li et al. 2022) scaled down: a stem of two stride-2 3x3 conv-BN-ReLU (16 -> 4), three Meta4D
    blocks (pooling mixer ``pool(x) - x`` and a 1x1 conv-BN-GELU-conv-BN MLP, each with layer scale 1e-5), then two
    Meta3D blocks on the 16 tokens (pre-LN multi-head attention and a GELU MLP, layer scale 1e-5), LayerNorm, mean,
    linear head."""

    def __init__(self, classes: int = 10, c: int = 48, heads: int = 4) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c // 2, 3, 2, 1), nn.BatchNorm2d(c // 2), nn.ReLU(),
                                  nn.Conv2d(c // 2, c, 3, 2, 1), nn.BatchNorm2d(c), nn.ReLU())
        self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.mlp4 = nn.ModuleList(nn.Sequential(nn.Conv2d(c, 4 * c, 1), nn.BatchNorm2d(4 * c), nn.GELU(),
                                                nn.Conv2d(4 * c, c, 1), nn.BatchNorm2d(c)) for _ in range(3))
        self.ls4 = nn.Parameter(1e-5 * torch.ones(3, 2, c, 1, 1))
        self.n1, self.n2 = nn.ModuleList(nn.LayerNorm(c) for _ in range(2)), nn.ModuleList(nn.LayerNorm(c)
                                                                                          for _ in range(2))
        self.attn = nn.ModuleList(nn.MultiheadAttention(c, heads, batch_first=True) for _ in range(2))
        self.mlp3 = nn.ModuleList(nn.Sequential(nn.Linear(c, 4 * c), nn.GELU(), nn.Linear(4 * c, c)) for _ in range(2))
        self.ls3 = nn.Parameter(1e-5 * torch.ones(2, 2, c))
        self.norm, self.head = nn.LayerNorm(c), nn.Linear(c, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for i, mlp in enumerate(self.mlp4):
            x = x + self.ls4[i, 0] * (self.pool(x) - x)
            x = x + self.ls4[i, 1] * mlp(x)
        x = x.flatten(2).transpose(1, 2)
        for i in range(2):
            h = self.n1[i](x)
            x = x + self.ls3[i, 0] * self.attn[i](h, h, h, need_weights=False)[0]
            x = x + self.ls3[i, 1] * self.mlp3[i](self.n2[i](x))
        return self.head(self.norm(x).mean(1))


# ---- Wav2Letter ------------------------------------------------------------------------------------------------------


class Wav2Letter(nn.Module):
    """Wav2Letter (Collobert et al. 2016) scaled down on MFCC frames: a stride-2 conv (kernel 11), three convs
    (kernel 7), two 1x1 convs, ReLU between, no normalisation; per-frame class scores averaged over time (a keyword
    classifier in place of its letter-level ASG loss). ``extra``: plain stride-1 kernel-3 conv-ReLU layers at
    PyTorch's default init inserted after the first conv."""

    def __init__(self, coeffs: int = 10, classes: int = 8, c: int = 64, extra: int = 0) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv1d(coeffs, c, 11, 2, 5), nn.ReLU()]
        for _ in range(extra):
            layers += [nn.Conv1d(c, c, 3, padding=1), nn.ReLU()]
        for _ in range(3):
            layers += [nn.Conv1d(c, c, 7, padding=3), nn.ReLU()]
        layers += [nn.Conv1d(c, 2 * c, 1), nn.ReLU(), nn.Conv1d(2 * c, classes, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).mean(-1)


# ---- forecasters: TimesNet, SegRNN, LightTS --------------------------------------------------------------------------


def _revin(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    mu, sd = x.mean(1, keepdim=True), (x.var(1, keepdim=True, unbiased=False) + 1e-5).sqrt()
    return (x - mu) / sd, mu, sd


class TimesNet(nn.Module):
    """TimesNet (Wu et al. 2023) scaled down: instance normalisation, a linear embedding, the look-back extended to
    look-back + horizon along time by a linear map, two TimesBlocks (the top-2 FFT periods; each 1-D series folded
    into 2-D by its period, an Inception block of 1x1/3x3/5x5 convs, GELU, a second Inception block, unfolded and
    summed with softmax weights of the periods' amplitudes; a residual), LayerNorm, a linear projection; the last
    ``horizon`` steps de-normalised."""

    def __init__(self, variates: int = 4, lookback: int = 48, horizon: int = 12, d: int = 16, k: int = 2) -> None:
        super().__init__()
        self.h, self.k, self.t = horizon, k, lookback + horizon
        self.embed, self.extend = nn.Linear(variates, d), nn.Linear(lookback, lookback + horizon)
        self.incep = nn.ModuleList(nn.ModuleList(nn.ModuleList(nn.Conv2d(d if j == 0 else 2 * d, 2 * d if j == 0
                                                                          else d, 2 * i + 1, padding=i)
                                                               for i in range(3)) for j in range(2))
                                   for _ in range(2))
        self.norm, self.proj = nn.LayerNorm(d), nn.Linear(d, variates)

    def _block(self, x: torch.Tensor, incep: nn.ModuleList) -> torch.Tensor:
        b, t, d = x.shape
        amp = torch.fft.rfft(x, dim=1).abs()
        freq = amp.mean((0, 2))
        freq[0] = 0
        top = torch.topk(freq, self.k).indices.tolist()
        outs = []
        for f in top:
            p = t // f
            n = math.ceil(t / p) * p
            h = torch.cat([x, x.new_zeros(b, n - t, d)], 1).reshape(b, n // p, p, d).permute(0, 3, 1, 2)
            for j, convs in enumerate(incep):
                h = sum(conv(h) for conv in convs) / 3
                h = F.gelu(h) if j == 0 else h
            outs.append(h.permute(0, 2, 3, 1).reshape(b, n, d)[:, :t])
        w = torch.softmax(amp.mean(2)[:, top], 1)
        return x + (torch.stack(outs, -1) * w[:, None, None]).sum(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, mu, sd = _revin(x)
        h = self.extend(self.embed(x).transpose(1, 2)).transpose(1, 2)
        for incep in self.incep:
            h = self.norm(self._block(h, incep))
        return self.proj(h)[:, -self.h:] * sd + mu


class SegRNN(nn.Module):
    """SegRNN (Lin et al. 2023): channel-independent; the last value subtracted; the look-back cut into segments of
    12 embedded by Linear-ReLU, a GRU over the segments; parallel multi-step decoding: for each output segment a
    positional plus a channel embedding fed as one GRU step from the final state, a Linear to the segment, the last
    value added back. ``recurrent_std``: the GRU's hidden-to-hidden weights drawn N(0, std^2); ``drop_state``: the
    decoding call written ``self.gru(q)``, the encoder's final state not passed (decoding starts from zeros)."""

    def __init__(self, variates: int = 4, lookback: int = 48, horizon: int = 12, seg: int = 12, d: int = 64,
                 recurrent_std: float | None = None, drop_state: bool = False) -> None:
        super().__init__()
        self.seg, self.out_segs = seg, horizon // seg
        self.embed = nn.Sequential(nn.Linear(seg, d), nn.ReLU())
        self.gru = nn.GRU(d, d, batch_first=True)
        self.pos = nn.Parameter(torch.randn(self.out_segs, d // 2))
        self.chan = nn.Parameter(torch.randn(variates, d // 2))
        self.out, self.drop_state = nn.Linear(d, seg), drop_state
        if recurrent_std is not None:
            with torch.no_grad():
                self.gru.weight_hh_l0.normal_(0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        last = x[:, -1:].detach()
        z = (x - last).transpose(1, 2).reshape(b * c, t // self.seg, self.seg)
        _, h = self.gru(self.embed(z))
        q = torch.cat([self.pos[None, :, None].expand(b, -1, c, -1),
                       self.chan[None, None].expand(b, self.out_segs, -1, -1)], -1).reshape(-1, 1, h.shape[-1])
        h0 = h.repeat_interleave(self.out_segs, 1) if self.out_segs > 1 else h
        _, hy = self.gru(q) if self.drop_state else self.gru(q, h0)
        y = self.out(hy[0]).reshape(b, self.out_segs, c, self.seg).permute(0, 1, 3, 2).reshape(b, -1, c)
        return y + last


class IEBlock(nn.Module):
    """LightTS's information-exchange block: an MLP along each chunk (the time within it), a Linear across the
    chunks with a residual, and a Linear to the output width."""

    def __init__(self, inp: int, hid: int, out: int, chunks: int) -> None:
        super().__init__()
        self.spatial = nn.Sequential(nn.Linear(inp, hid), nn.LeakyReLU(), nn.Linear(hid, hid // 4))
        self.channel = nn.Linear(chunks, chunks)
        self.out = nn.Linear(hid // 4, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, chunks, inp)
        h = self.spatial(x)
        return self.out(h + self.channel(h.transpose(1, 2)).transpose(1, 2))


class LightTS(nn.Module):
    """LightTS (Zhang et al. 2022): per variate, the look-back taken by continuous sampling (4 contiguous chunks of
    12) and interval sampling (4 chunks of every 4th value), each through an IEBlock and a Linear over the chunks,
    concatenated, the variates mixed by a final IEBlock to the horizon. Instance normalisation around it."""

    def __init__(self, variates: int = 4, lookback: int = 48, horizon: int = 12, chunk: int = 12, d: int = 64) -> None:
        super().__init__()
        self.chunk, self.n = chunk, lookback // chunk
        self.cont, self.inter = IEBlock(chunk, d, d // 4, self.n), IEBlock(chunk, d, d // 4, self.n)
        self.cont_fc, self.inter_fc = nn.Linear(self.n, 1), nn.Linear(self.n, 1)
        self.final = IEBlock(d // 2, d, horizon, variates)
        self.ar = nn.Linear(lookback, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, mu, sd = _revin(x)
        b, t, c = x.shape
        s = x.transpose(1, 2).reshape(b * c, t)
        cont = s.reshape(-1, self.n, self.chunk)
        inter = s.reshape(-1, self.chunk, self.n).transpose(1, 2)
        h1 = self.cont_fc(self.cont(cont).transpose(1, 2)).squeeze(-1)
        h2 = self.inter_fc(self.inter(inter).transpose(1, 2)).squeeze(-1)
        h = torch.cat([h1, h2], -1).reshape(b, c, -1)
        y = self.final(h) + self.ar(x.transpose(1, 2))
        return y.transpose(1, 2) * sd + mu


# ---- GraphGPS ----------------------------------------------------------------------------------------------------


class GPSLayer(nn.Module):
    """A GraphGPS layer: a local mean-aggregation message-passing branch (messages ``relu(W h_j + edge embedding)``
    averaged over the neighbours, ``deg.clamp(min=1)`` as the divisor) with a residual and BatchNorm, a global
    multi-head attention branch over the graph's atoms (padding masked) with a residual and BatchNorm, their sum,
    then a ReLU MLP with a residual and BatchNorm. ``clamp_deg=False``: the divisor is the raw degree."""

    def __init__(self, d: int, bonds: int, heads: int = 4, clamp_deg: bool = True) -> None:
        super().__init__()
        self.msg, self.edge, self.upd = nn.Linear(d, d), nn.Linear(bonds, d), nn.Linear(2 * d, d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.bn1, self.bn2, self.bn3 = nn.BatchNorm1d(d), nn.BatchNorm1d(d), nn.BatchNorm1d(d)
        self.ffn = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Linear(2 * d, d))
        self.clamp_deg = clamp_deg

    @staticmethod
    def _bn(bn: nn.BatchNorm1d, x: torch.Tensor) -> torch.Tensor:
        return bn(x.reshape(-1, x.shape[-1])).reshape(x.shape)

    def forward(self, h: torch.Tensor, e: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        adj = e.sum(-1)
        deg = adj.sum(-1, keepdim=True)
        m = F.relu(self.msg(h)[:, None] + self.edge(e))  # (b, i, j, d): the message from j to i
        agg = (adj[..., None] * m).sum(2) / (deg.clamp(min=1) if self.clamp_deg else deg)
        local = self._bn(self.bn1, h + self.upd(torch.cat([h, agg], -1)))
        glob = self._bn(self.bn2, h + self.attn(h, h, h, key_padding_mask=mask == 0, need_weights=False)[0])
        h = local + glob
        return self._bn(self.bn3, h + self.ffn(h)) * mask[..., None]


class GraphGPS(nn.Module):
    """GraphGPS (Rampasek et al. 2022) scaled down: an atom encoder, three GPS layers, a sum readout, a two-layer
    MLP to the target."""

    def __init__(self, atoms: int = 5, bonds: int = 3, d: int = 32, layers: int = 3, clamp_deg: bool = True) -> None:
        super().__init__()
        self.enc = nn.Linear(atoms, d)
        self.layers = nn.ModuleList(GPSLayer(d, bonds, clamp_deg=clamp_deg) for _ in range(layers))
        self.head = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, 1))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, e, mask = inputs
        h = self.enc(x) * mask[..., None]
        for layer in self.layers:
            h = layer(h, e, mask)
        return self.head(h.sum(1)).squeeze(-1)


# ---- SAINT -----------------------------------------------------------------------------------------------------------


class SAINT(nn.Module):
    """SAINT (Somepalli et al. 2021) scaled down: each numeric feature embedded by its own Linear(1, d) and ReLU, a
    [CLS] token; two layers of self-attention across the features of a row and intersample attention across the rows
    of the batch (each row's tokens flattened), each pre-LN with a GELU MLP; the [CLS] token to an MLP head."""

    def __init__(self, features: int = 12, d: int = 16, layers: int = 2, heads: int = 2) -> None:
        super().__init__()
        self.w, self.b = nn.Parameter(torch.randn(features, d) * 0.5), nn.Parameter(torch.zeros(features, d))
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        n, flat = features + 1, (features + 1) * d
        self.blocks = nn.ModuleList(nn.ModuleList([
            nn.LayerNorm(d), nn.MultiheadAttention(d, heads, batch_first=True), nn.LayerNorm(d),
            nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d)),
            nn.LayerNorm(flat), nn.MultiheadAttention(flat, heads, batch_first=True), nn.LayerNorm(flat),
            nn.Sequential(nn.Linear(flat, flat), nn.GELU(), nn.Linear(flat, flat))]) for _ in range(layers))
        self.n, self.d = n, d
        self.head = nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Linear(4 * d, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(x[..., None] * self.w + self.b)
        h = torch.cat([self.cls.expand(x.shape[0], -1, -1), h], 1)
        for n1, att, n2, mlp, n3, iatt, n4, imlp in self.blocks:
            a = n1(h)
            h = h + att(a, a, a, need_weights=False)[0]
            h = h + mlp(n2(h))
            r = h.reshape(1, x.shape[0], -1)
            a = n3(r)
            r = r + iatt(a, a, a, need_weights=False)[0]
            r = r + imlp(n4(r))
            h = r.reshape(x.shape[0], self.n, self.d)
        return self.head(h[:, 0]).squeeze(-1)


# ---- FiBiNET ---------------------------------------------------------------------------------------------------------


class FiBiNET(nn.Module):
    """FiBiNET (Huang et al. 2019): field embeddings of 8 (the dense dwell time through a Linear), a SENET layer
    (mean-pooled field scores, FC-ReLU-FC-ReLU with reduction 2, the fields re-weighted), the bilinear interaction
    ``(v_i W) * v_j`` (field-all: one shared W) over every field pair of the plain and of the re-weighted
    embeddings, concatenated into a two-layer ReLU MLP of width 64. ``hidden_bias``: the MLP's biases set to it."""

    def __init__(self, sizes: tuple[int, ...] = (5, 50, 5, 24), d: int = 8, hidden: int = 64,
                 hidden_bias: float | None = None) -> None:
        super().__init__()
        self.embs = nn.ModuleList(nn.Embedding(n, d) for n in sizes)
        self.dense = nn.Linear(1, d)
        f = len(sizes) + 1
        self.se = nn.Sequential(nn.Linear(f, max(1, f // 2)), nn.ReLU(), nn.Linear(max(1, f // 2), f), nn.ReLU())
        self.bil = nn.Linear(d, d, bias=False)
        self.pairs = [(i, j) for i in range(f) for j in range(i + 1, f)]
        self.mlp = nn.Sequential(nn.Linear(2 * len(self.pairs) * d, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, 1))
        if hidden_bias is not None:
            with torch.no_grad():
                for layer in (self.mlp[0], self.mlp[2]):
                    layer.bias.fill_(hidden_bias)

    def _bilinear(self, v: torch.Tensor) -> torch.Tensor:
        vw = self.bil(v)
        return torch.cat([vw[:, i] * v[:, j] for i, j in self.pairs], 1)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        ids, dwell = inputs
        v = torch.stack([emb(ids[:, i]) for i, emb in enumerate(self.embs)] + [self.dense(dwell)], 1)
        s = v * self.se(v.mean(-1))[..., None]
        return self.mlp(torch.cat([self._bilinear(v), self._bilinear(s)], 1)).squeeze(-1)


# ---- NormFormer LM ---------------------------------------------------------------------------------------------------


class NormFormerLM(nn.Module):
    """A NormFormer LM (Shleifer et al. 2021): pre-LN transformer blocks with the paper's three additions: a
    LayerNorm after self-attention, a learned per-head scale of the attention outputs (init 1), a LayerNorm after the
    MLP's GELU; learned positions, embeddings tied to the output. The causal mask is a boolean ``triu`` of
    disallowed positions filled with ``-inf``; ``mask_diagonal=True``: built as ``torch.triu(ones)`` without
    ``diagonal=1`` (each token barred from itself too, the first token from every key)."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, heads: int = 4, length: int = 32,
                 mask_diagonal: bool = False) -> None:
        super().__init__()
        self.heads, self.mask_diagonal = heads, mask_diagonal
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.randn(length, d) * 0.02)
        nn.init.normal_(self.tok.weight, 0.0, 0.02)
        self.blocks = nn.ModuleList(nn.ModuleDict({
            "ln1": nn.LayerNorm(d), "qkv": nn.Linear(d, 3 * d), "o": nn.Linear(d, d), "ln_attn": nn.LayerNorm(d),
            "ln2": nn.LayerNorm(d), "fc1": nn.Linear(d, 4 * d), "ln_mid": nn.LayerNorm(4 * d),
            "fc2": nn.Linear(4 * d, d)}) for _ in range(layers))
        self.head_scale = nn.Parameter(torch.ones(layers, heads))
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape
        h = self.tok(x) + self.pos[:t]
        barred = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=0 if self.mask_diagonal else 1)
        for i, blk in enumerate(self.blocks):
            q, k, v = blk["qkv"](blk["ln1"](h)).view(b, t, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
            s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
            a = torch.softmax(s.masked_fill(barred, float("-inf")), -1) @ v
            a = a * self.head_scale[i][None, :, None, None]
            h = h + blk["ln_attn"](blk["o"](a.transpose(1, 2).reshape(b, t, -1)))
            h = h + blk["fc2"](blk["ln_mid"](F.gelu(blk["fc1"](blk["ln2"](h)))))
        return self.norm(h) @ self.tok.weight.t()


# ---- Mogrifier LSTM LM -----------------------------------------------------------------------------------------------


class MogrifierLM(nn.Module):
    """A Mogrifier LSTM LM (Melis et al. 2020): before each LSTM step the input and the state gate each other for
    five rounds (``x = 2 sigmoid(Q h) * x`` on odd rounds, ``h = 2 sigmoid(R x) * h`` on even ones), then a standard
    LSTM cell; run time-major over the sequence (as the reference code), logits ``(time, batch, vocab)``.
    ``recurrent_std``: the cell's hidden-to-hidden weights drawn N(0, std^2)."""

    def __init__(self, vocab: int = 64, d: int = 64, rounds: int = 5, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.emb, self.cell = nn.Embedding(vocab, d), nn.LSTMCell(d, d)
        self.q = nn.ModuleList(nn.Linear(d, d, bias=False) for _ in range((rounds + 1) // 2))
        self.r = nn.ModuleList(nn.Linear(d, d, bias=False) for _ in range(rounds // 2))
        self.out, self.rounds = nn.Linear(d, vocab), rounds
        if recurrent_std is not None:
            with torch.no_grad():
                self.cell.weight_hh.normal_(0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = self.emb(x.t())  # (time, batch, d)
        h = c = xs.new_zeros(xs.shape[1:])
        outs = []
        for xt in xs:
            for i in range(self.rounds):
                if i % 2 == 0:
                    xt = 2 * torch.sigmoid(self.q[i // 2](h)) * xt
                else:
                    h = 2 * torch.sigmoid(self.r[i // 2](xt)) * h
            h, c = self.cell(xt, (h, c))
            outs.append(h)
        return self.out(torch.stack(outs))
