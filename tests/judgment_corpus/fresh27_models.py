"""Hand-written models of the twenty-eighth held-out batch (``fresh27.py``): small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- HRNet -----------------------------------------------------------------------------------------------------------


def _cb(cin: int, cout: int, k: int = 3, stride: int = 1, bn: bool = True, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=not bn)]
    layers += [nn.BatchNorm2d(cout)] if bn else []
    layers += [nn.ReLU()] if relu else []
    return nn.Sequential(*layers)


class _Basic(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.f = nn.Sequential(_cb(c, c), _cb(c, c, relu=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.f(x))


class HRNet(nn.Module):
    """HRNet (Sun et al. 2019) scaled down for keypoint heatmaps: a stem at full resolution (16 channels), then
    parallel branches kept at 16x16, 8x8 and 4x4 (16, 32, 64 channels; one basic block each per stage), a new
    branch added by a stride-2 conv at each stage, and exchange units after every stage (down: stride-2 3x3 conv-BN,
    chained; up: 1x1 conv-BN and nearest upsampling; summed, ReLU); the 16x16 branch to a 1x1 heatmap head. Conv
    weights N(0, 0.001^2) (the reference code's init)."""

    def __init__(self, keypoints: int = 2, c: int = 16) -> None:
        super().__init__()
        self.widths = (c, 2 * c, 4 * c)
        self.stem = nn.Sequential(_cb(3, c), _cb(c, c))
        self.stages = nn.ModuleList(nn.ModuleList(_Basic(w) for w in self.widths[:n]) for n in (1, 2, 3))
        self.new = nn.ModuleList(_cb(self.widths[n - 1], self.widths[n], stride=2) for n in (1, 2))
        self.fuse = nn.ModuleDict()
        for n in (2, 3):
            for i in range(n):
                for j in range(n):
                    if i == j:
                        continue
                    wi, wj = self.widths[i], self.widths[j]
                    if j > i:  # from a lower resolution j up to i
                        m: nn.Module = nn.Sequential(nn.Conv2d(wj, wi, 1, bias=False), nn.BatchNorm2d(wi),
                                                     nn.Upsample(scale_factor=2 ** (j - i), mode="nearest"))
                    else:  # from a higher resolution j down to i
                        m = nn.Sequential(*[_cb(wj if s == 0 else wi, wi, stride=2, relu=s < i - j - 1)
                                            for s in range(i - j)])
                    self.fuse[f"{n}{i}{j}"] = m
        self.head = nn.Conv2d(c, keypoints, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.001)
                nn.init.zeros_(m.bias) if m.bias is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hs = [self.stem(x)]
        for n, blocks in zip((1, 2, 3), self.stages):
            if n > 1:
                hs.append(self.new[n - 2](hs[-1]))
            hs = [b(h) for b, h in zip(blocks, hs)]
            if n > 1:
                hs = [F.relu(sum(hs[j] if i == j else self.fuse[f"{n}{i}{j}"](hs[j]) for j in range(n)))
                      for i in range(n)]
        return self.head(hs[0])


# ---- Temporal Fusion Transformer -------------------------------------------------------------------------------------


class GRN(nn.Module):
    """TFT's gated residual network: ``LayerNorm(skip + GLU(W1 ELU(W2 a + W3 c)))`` (dropout before the GLU)."""

    def __init__(self, din: int, d: int, dout: int | None = None, ctx: int | None = None, drop: float = 0.1) -> None:
        super().__init__()
        dout = dout or d
        self.skip = nn.Linear(din, dout) if din != dout else nn.Identity()
        self.w2, self.w3 = nn.Linear(din, d), nn.Linear(ctx, d, bias=False) if ctx else None
        self.w1, self.glu = nn.Linear(d, d), nn.Linear(d, 2 * dout)
        self.drop, self.norm = nn.Dropout(drop), nn.LayerNorm(dout)

    def forward(self, a: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = self.w2(a) + (self.w3(c) if c is not None and self.w3 is not None else 0)
        h = self.w1(F.elu(h))
        return self.norm(self.skip(a) + F.glu(self.glu(self.drop(h)), -1))


class VSN(nn.Module):
    """TFT's variable selection network: each scalar input embedded by its own Linear and GRN, the weights a
    softmax of a GRN of all the embeddings (with the static context)."""

    def __init__(self, n: int, d: int, ctx: int) -> None:
        super().__init__()
        self.embed = nn.ModuleList(nn.Linear(1, d) for _ in range(n))
        self.grns = nn.ModuleList(GRN(d, d) for _ in range(n))
        self.select = GRN(n * d, d, n, ctx)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        e = [emb(x[..., i:i + 1]) for i, emb in enumerate(self.embed)]
        w = torch.softmax(self.select(torch.cat(e, -1), c), -1)
        return (torch.stack([g(v) for g, v in zip(self.grns, e)], -1) * w[..., None, :]).sum(-1)


class TFT(nn.Module):
    """Temporal Fusion Transformer (Lim et al. 2021) scaled down (width 32): a static series-id embedding through
    four static GRNs (selection, enrichment, LSTM state and cell contexts), variable selection over the past (target
    and two known time features) and future (the known features) inputs, an LSTM encoder-decoder started from the
    static contexts, a gated skip with add & norm, static enrichment, interpretable multi-head attention (4 heads
    sharing the value projection, causal), a gated add & norm, a position-wise GRN, a final gated skip over the LSTM
    output, a linear layer to the three quantiles of each future step."""

    def __init__(self, series: int = 10, d: int = 32, heads: int = 4, horizon: int = 12, quantiles: int = 3) -> None:
        super().__init__()
        self.horizon, self.heads = horizon, heads
        self.static = nn.Embedding(series, d)
        self.ctx = nn.ModuleList(GRN(d, d) for _ in range(4))
        self.vsn_past, self.vsn_fut = VSN(3, d, d), VSN(2, d, d)
        self.enc, self.dec = nn.LSTM(d, d, batch_first=True), nn.LSTM(d, d, batch_first=True)
        self.gate1, self.norm1 = nn.Linear(d, 2 * d), nn.LayerNorm(d)
        self.enrich = GRN(d, d, ctx=d)
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d // heads)
        self.o = nn.Linear(d // heads, d)
        self.gate2, self.norm2 = nn.Linear(d, 2 * d), nn.LayerNorm(d)
        self.ff, self.gate3, self.norm3 = GRN(d, d), nn.Linear(d, 2 * d), nn.LayerNorm(d)
        self.out = nn.Linear(d, quantiles)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        past, fut, sid = inputs
        cs, ce, ch, cc = (g(self.static(sid)) for g in self.ctx)
        xp, xf = self.vsn_past(past, cs[:, None]), self.vsn_fut(fut, cs[:, None])
        hp, state = self.enc(xp, (ch[None], cc[None]))
        hf, _ = self.dec(xf, state)
        lstm = torch.cat([hp, hf], 1)
        x = torch.cat([xp, xf], 1)
        phi = self.norm1(x + F.glu(self.gate1(lstm), -1))
        e = self.enrich(phi, ce[:, None])
        b, t, _ = e.shape
        q, k = (f(e).view(b, t, self.heads, -1).transpose(1, 2) for f in (self.q, self.k))
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        att = torch.softmax((q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])).masked_fill(mask, -1e9), -1)
        h = self.o((att @ self.v(e)[:, None]).mean(1))
        h = self.ff(self.norm2(e + F.glu(self.gate2(h), -1)))
        h = self.norm3(phi + F.glu(self.gate3(h), -1))
        return self.out(h[:, -self.horizon:])


# ---- Informer --------------------------------------------------------------------------------------------------------


class ProbAttention(nn.Module):
    """Informer's ProbSparse self-attention: ``u = c ln L`` queries, chosen by the sparsity measurement ``max - mean``
    of their scores on ``c ln L`` sampled keys, attend in full; the lazy queries output the mean of the values (the
    cumulative mean when causal)."""

    def __init__(self, d: int, heads: int, factor: int = 5, causal: bool = False) -> None:
        super().__init__()
        self.h, self.factor, self.causal = heads, factor, causal
        self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = (t.view(b, n, self.h, -1).transpose(1, 2) for t in self.qkv(x).chunk(3, -1))
        u = min(n, self.factor * math.ceil(math.log(n)))
        idx = torch.randint(n, (u,))
        qk = q @ k[:, :, idx].transpose(-1, -2)
        top = (qk.max(-1).values - qk.sum(-1) / n).topk(u, -1).indices  # (b, h, u)
        out = v.cumsum(2) / torch.arange(1, n + 1)[:, None] if self.causal else v.mean(2, keepdim=True).expand_as(v)
        qs = q.gather(2, top[..., None].expand(-1, -1, -1, q.shape[-1]))
        s = qs @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        if self.causal:
            s = s.masked_fill(torch.arange(n)[None, None, None] > top[..., None], float("-inf"))
        out = out.scatter(2, top[..., None].expand(-1, -1, -1, v.shape[-1]), torch.softmax(s, -1) @ v)
        return self.o(out.transpose(1, 2).reshape(b, n, d))


class _InfLayer(nn.Module):
    def __init__(self, d: int, heads: int, causal: bool = False, cross: bool = False, drop: float = 0.05) -> None:
        super().__init__()
        self.att = ProbAttention(d, heads, causal=causal)
        self.cross = nn.MultiheadAttention(d, heads, dropout=drop, batch_first=True) if cross else None
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Dropout(drop), nn.Linear(4 * d, d))
        self.norms, self.drop = nn.ModuleList(nn.LayerNorm(d) for _ in range(3)), nn.Dropout(drop)

    def forward(self, x: torch.Tensor, mem: torch.Tensor | None = None) -> torch.Tensor:
        x = self.norms[0](x + self.drop(self.att(x)))
        if self.cross is not None:
            x = self.norms[1](x + self.drop(self.cross(x, mem, mem, need_weights=False)[0]))
        return self.norms[2](x + self.drop(self.ff(x)))


class Informer(nn.Module):
    """Informer (Zhou et al. 2021) scaled down (width 32, 4 heads): value embedding (a circular 3-tap conv) plus
    sinusoidal positions plus a linear embedding of the time features; an encoder of two ProbSparse layers with a
    distilling layer between them (conv, BatchNorm, ELU, stride-2 max-pool); a one-layer decoder over the last 24
    known steps and 12 zero placeholders (causal ProbSparse self-attention, full cross-attention), a linear
    projection of the placeholders' outputs; post-LN, dropout 0.05. ``norm_dim``: each window
    standardised over ``norm_dim`` (see ``fresh27_builders.informer``) and the forecast de-standardised."""

    def __init__(self, variates: int = 3, marks: int = 2, d: int = 32, heads: int = 4, label: int = 24,
                 horizon: int = 12, norm_dim: int = 1) -> None:
        super().__init__()
        self.label, self.horizon, self.norm_dim = label, horizon, norm_dim
        self.val_enc, self.val_dec = (nn.Conv1d(variates, d, 3, padding=1, padding_mode="circular") for _ in "ed")
        self.mark_enc, self.mark_dec = nn.Linear(marks, d), nn.Linear(marks, d)
        self.enc = nn.ModuleList(_InfLayer(d, heads) for _ in range(2))
        self.distil = nn.Sequential(nn.Conv1d(d, d, 3, padding=1, padding_mode="circular"), nn.BatchNorm1d(d),
                                    nn.ELU(), nn.MaxPool1d(3, 2, 1))
        self.enc_norm, self.dec = nn.LayerNorm(d), _InfLayer(d, heads, causal=True, cross=True)
        self.proj = nn.Linear(d, variates)
        pos = torch.arange(128)[:, None] * torch.exp(torch.arange(0, d, 2) * (-math.log(1e4) / d))
        self.register_buffer("pos", torch.stack([pos.sin(), pos.cos()], -1).flatten(1), persistent=False)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, mark, fut_mark = inputs
        mu, sd = x.mean(self.norm_dim, keepdim=True), x.std(self.norm_dim, keepdim=True)
        x = (x - mu) / sd
        h = self.val_enc(x.transpose(1, 2)).transpose(1, 2) + self.pos[:x.shape[1]] + self.mark_enc(mark)
        h = self.enc[0](h)
        h = self.distil(h.transpose(1, 2)).transpose(1, 2)
        mem = self.enc_norm(self.enc[1](h))
        dx = torch.cat([x[:, -self.label:], x.new_zeros(x.shape[0], self.horizon, x.shape[2])], 1)
        dm = torch.cat([mark[:, -self.label:], fut_mark], 1)
        g = self.val_dec(dx.transpose(1, 2)).transpose(1, 2) + self.pos[:dx.shape[1]] + self.mark_dec(dm)
        return self.proj(self.dec(g, mem)[:, -self.horizon:]) * sd[:, -1:] + mu[:, -1:]


# ---- ON-LSTM ---------------------------------------------------------------------------------------------------------


def cumax(x: torch.Tensor) -> torch.Tensor:
    return torch.cumsum(torch.softmax(x, -1), -1)


class ONLSTM(nn.Module):
    """An ON-LSTM language model (Shen et al. 2019) scaled down: embeddings of 32, one ON-LSTM layer of 64 units in
    8 chunks (the master forget gate ``cumax``, the master input gate ``1 - cumax``, one value per chunk), dropout
    0.3 on the embeddings and 0.25 on the output, a linear decoder."""

    def __init__(self, vocab: int = 64, emb: int = 32, hidden: int = 64, chunk: int = 8) -> None:
        super().__init__()
        self.hidden, self.chunk, self.levels = hidden, chunk, hidden // chunk
        self.embed = nn.Embedding(vocab, emb)
        self.ih = nn.Linear(emb, 4 * hidden + 2 * self.levels)
        self.hh = nn.Linear(hidden, 4 * hidden + 2 * self.levels)
        self.drop_in, self.drop_out = nn.Dropout(0.3), nn.Dropout(0.25)
        self.dec = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.drop_in(self.embed(tokens))
        b = x.shape[0]
        h = c = x.new_zeros(b, self.hidden)
        outs = []
        for t in range(x.shape[1]):
            g = self.ih(x[:, t]) + self.hh(h)
            mf, mi = g[:, :2 * self.levels].chunk(2, 1)
            mf, mi = cumax(mf).repeat_interleave(self.chunk, 1), (1 - cumax(mi)).repeat_interleave(self.chunk, 1)
            o, f, i, cand = g[:, 2 * self.levels:].chunk(4, 1)
            w = mf * mi
            f = torch.sigmoid(f) * w + (mf - w)
            i = torch.sigmoid(i) * w + (mi - w)
            c = f * c + i * torch.tanh(cand)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        return self.dec(self.drop_out(torch.stack(outs, 1)))


# ---- DeltaNet --------------------------------------------------------------------------------------------------------


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.w, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class DeltaLayer(nn.Module):
    """DeltaNet's token mixer (Schlag et al. 2021; Yang et al. 2024): q, k, v projections each through a causal
    depthwise 4-tap conv and SiLU, q and k L2-normalised per head, the writing strength ``beta = sigmoid(W_b x)`` per
    head, the delta rule ``S_t = S_{t-1} + beta_t (v_t - S_{t-1} k_t) k_t^T``, ``o_t = S_t q_t``, a per-head RMSNorm,
    the output projection."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.h = heads
        self.qkv, self.beta = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, heads, bias=False)
        self.conv = nn.Conv1d(3 * d, 3 * d, 4, padding=3, groups=3 * d)
        self.norm, self.o = RMSNorm(d // heads), nn.Linear(d, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        qkv = F.silu(self.conv(self.qkv(x).transpose(1, 2))[..., :n].transpose(1, 2))
        q, k, v = (t.view(b, n, self.h, -1) for t in qkv.chunk(3, -1))
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        beta = torch.sigmoid(self.beta(x))
        s = x.new_zeros(b, self.h, d // self.h, d // self.h)  # S: (value dim, key dim)
        outs = []
        for t in range(n):
            kt, vt, bt = k[:, t], v[:, t], beta[:, t, :, None]
            s = s + ((bt * (vt - (s @ kt[..., None])[..., 0]))[..., None] * kt[:, :, None])
            outs.append((s @ q[:, t][..., None])[..., 0])
        return self.o(self.norm(torch.stack(outs, 1)).reshape(b, n, d))


class DeltaNet(nn.Module):
    """A DeltaNet language model: embeddings of 64, two pre-RMSNorm blocks (the delta-rule mixer with 4 heads, a
    SwiGLU MLP of width 128), a final RMSNorm, an untied head; init normal std 0.02 (the reference code's)."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.mix = nn.ModuleList(DeltaLayer(d, heads) for _ in range(layers))
        self.mlp = nn.ModuleList(nn.Linear(d, 4 * d, bias=False) for _ in range(layers))
        self.down = nn.ModuleList(nn.Linear(2 * d, d, bias=False) for _ in range(layers))
        self.norms = nn.ModuleList(RMSNorm(d) for _ in range(2 * layers + 1))
        self.head = nn.Linear(d, vocab, bias=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens)
        for i, (mix, up, down) in enumerate(zip(self.mix, self.mlp, self.down)):
            h = h + mix(self.norms[2 * i](h))
            a, g = up(self.norms[2 * i + 1](h)).chunk(2, -1)
            h = h + down(F.silu(g) * a)
        return self.head(self.norms[-1](h))


# ---- DiffPool --------------------------------------------------------------------------------------------------------


class DenseSAGE(nn.Module):
    """A dense GraphSAGE layer (mean aggregation with self, L2-normalised output, DiffPool's GNN layer)."""

    def __init__(self, din: int, dout: int) -> None:
        super().__init__()
        self.lin = nn.Linear(2 * din, dout)

    def forward(self, x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        agg = a @ x / a.sum(-1, keepdim=True).clamp(min=1)
        return F.normalize(self.lin(torch.cat([x, agg], -1)), dim=-1)


class DiffPool(nn.Module):
    """DiffPool (Ying et al. 2018) scaled down: two dense GraphSAGE layers (embedding) and two (assignment, then a
    linear layer and a softmax to 6 clusters), pooling ``X' = S^T Z``, ``A' = S^T A S``, two GraphSAGE layers on the
    pooled graph, max-pooled readouts of both levels concatenated into a two-layer classifier; the link-prediction
    ``||A - S S^T||_F / N^2`` and assignment-entropy auxiliary losses are kept in ``aux``."""

    def __init__(self, features: int = 4, classes: int = 3, d: int = 32, clusters: int = 6) -> None:
        super().__init__()
        self.emb = nn.ModuleList([DenseSAGE(features, d), DenseSAGE(d, d)])
        self.pool, self.assign = nn.ModuleList([DenseSAGE(features, d), DenseSAGE(d, d)]), nn.Linear(d, clusters)
        self.post = nn.ModuleList([DenseSAGE(d, d), DenseSAGE(d, d)])
        self.cls = nn.Sequential(nn.Linear(2 * d, d), nn.ReLU(), nn.Linear(d, classes))
        self.aux = torch.zeros(())

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, a = inputs
        z, s = x, x
        for le, lp in zip(self.emb, self.pool):
            z, s = F.relu(le(z, a)), F.relu(lp(s, a))
        s = torch.softmax(self.assign(s), -1)
        r1 = z.max(1).values
        z, a2 = s.transpose(1, 2) @ z, s.transpose(1, 2) @ a @ s
        for lin in self.post:
            z = F.relu(lin(z, a2))
        n = a.shape[1]
        self.aux = (a - s @ s.transpose(1, 2)).pow(2).sum((1, 2)).sqrt().mean() / n ** 2 \
            + (-(s * (s + 1e-15).log()).sum(-1)).mean()
        return self.cls(torch.cat([r1, z.max(1).values], -1))


# ---- PaiNN -----------------------------------------------------------------------------------------------------------


class PaiNN(nn.Module):
    """PaiNN (Schuett et al. 2021) scaled down: atoms embedded to 32 scalar features and zero vector features, three
    interaction blocks (message: ``phi(s_j)`` times filters of 20 sine radial bases with a cosine cutoff of 5 A, split
    into a scalar message, a vector gate and a direction gate; update: ``U v``, ``V v``, a two-layer MLP of ``[s,
    |V v|]`` split into three gates), a two-layer SiLU readout of each atom's scalars summed per molecule. The
    molecules' atoms are processed as one flat set; the pair mask tells which pairs interact (same molecule).
    ``guard=False``: the unit vectors ``r_ij / |r_ij|`` computed before the non-pairs are masked, the self-pairs'
    ``0 / 0`` included (their filters are zero, but ``0 * NaN`` is NaN)."""

    def __init__(self, types: int = 3, f: int = 32, blocks: int = 3, rbf: int = 20, cutoff: float = 5.0,
                 guard: bool = True) -> None:
        super().__init__()
        self.f, self.cutoff, self.guard = f, cutoff, guard
        self.register_buffer("freq", torch.arange(1, rbf + 1) * math.pi / cutoff, persistent=False)
        self.embed = nn.Embedding(types, f)
        self.phi = nn.ModuleList(nn.Sequential(nn.Linear(f, f), nn.SiLU(), nn.Linear(f, 3 * f)) for _ in range(blocks))
        self.w = nn.ModuleList(nn.Linear(rbf, 3 * f) for _ in range(blocks))
        self.uv = nn.ModuleList(nn.Linear(f, 2 * f, bias=False) for _ in range(blocks))
        self.upd = nn.ModuleList(nn.Sequential(nn.Linear(2 * f, f), nn.SiLU(), nn.Linear(f, 3 * f))
                                 for _ in range(blocks))
        self.out = nn.Sequential(nn.Linear(f, f // 2), nn.SiLU(), nn.Linear(f // 2, 1))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        z, pos, pair = inputs  # (atoms,), (atoms, 3), (atoms, atoms) bool; atoms = molecules x 8
        rij = pos[None] - pos[:, None]  # r_j - r_i
        d = rij.norm(dim=-1)
        mask = pair & (d < self.cutoff)
        d = torch.where(mask, d, torch.ones_like(d)) if self.guard else d
        unit = rij / d[..., None]
        fcut = torch.where(mask, 0.5 * (torch.cos(d * math.pi / self.cutoff) + 1), torch.zeros_like(d))
        basis = torch.sin(d[..., None] * self.freq) / d[..., None]
        s, v = self.embed(z), pos.new_zeros(z.shape[0], 3, self.f)
        for phi, w, uv, upd in zip(self.phi, self.w, self.uv, self.upd):
            x = phi(s)[None] * w(basis) * fcut[..., None]  # (i, j, 3f)
            ds, dvv, dvs = x.split(self.f, -1)
            s = s + ds.sum(1)
            v = v + (dvv[:, :, None] * v[None] + dvs[:, :, None] * unit[..., None]).sum(1)
            u, vv = uv(v).split(self.f, -1)
            a = upd(torch.cat([s, vv.norm(dim=1)], -1))
            avv, asv, ass = a.split(self.f, -1)
            v = v + avv[:, None] * u
            s = s + asv * (u * vv).sum(1) + ass
        return self.out(s).view(-1, 8).sum(1)


# ---- ResNeSt ---------------------------------------------------------------------------------------------------------


class SplitAttnBlock(nn.Module):
    """A ResNeSt bottleneck (radix 2, cardinality 1): 1x1 conv-BN-ReLU, a grouped 3x3 conv to ``radix`` splits
    (BN-ReLU), split attention (the splits summed, pooled, a 1x1 conv-BN-ReLU, a 1x1 conv to ``radix`` logits per
    channel, softmax over the splits), 1x1 conv-BN, ResNet-D's average-pool shortcut when striding, a ReLU."""

    def __init__(self, cin: int, width: int, cout: int, stride: int = 1, bn: bool = True, radix: int = 2) -> None:
        super().__init__()
        self.radix, self.width = radix, width
        self.conv1 = _cb(cin, width, 1, bn=bn)
        self.conv2 = nn.Sequential(nn.Conv2d(width, width * radix, 3, 1, 1, groups=radix, bias=not bn),
                                   *([nn.BatchNorm2d(width * radix)] if bn else []), nn.ReLU())
        self.fc1 = _cb(width, max(width * radix // 4, 16), 1, bn=bn)
        self.fc2 = nn.Conv2d(max(width * radix // 4, 16), width * radix, 1)
        self.pool = nn.AvgPool2d(3, stride, 1) if stride > 1 else nn.Identity()
        self.conv3 = _cb(width, cout, 1, bn=bn, relu=False)
        self.short = nn.Identity() if cin == cout and stride == 1 else nn.Sequential(
            nn.AvgPool2d(stride, stride) if stride > 1 else nn.Identity(), _cb(cin, cout, 1, bn=bn, relu=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(self.conv1(x))
        b = h.shape[0]
        splits = h.view(b, self.radix, self.width, *h.shape[2:])
        att = self.fc2(self.fc1(splits.sum(1).mean((2, 3), keepdim=True))).view(b, self.radix, self.width, 1, 1)
        h = (splits * torch.softmax(att, 1)).sum(1)
        return F.relu(self.conv3(self.pool(h)) + self.short(x))


class ResNeSt(nn.Module):
    """ResNeSt (Zhang et al. 2022) scaled down: a deep stem of three 3x3 conv-BN-ReLU (16, 16, 32), four split-attention
    bottlenecks (32->64, 64->64, 64->128 stride 2, 128->128 stride 2), global pooling, a linear classifier.
    ``bn=False``: every BatchNorm left out (the convs get biases)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(_cb(3, 16, bn=bn), _cb(16, 16, bn=bn), _cb(16, 32, bn=bn))
        self.blocks = nn.Sequential(SplitAttnBlock(32, 16, 64, bn=bn), SplitAttnBlock(64, 16, 64, bn=bn),
                                    SplitAttnBlock(64, 32, 128, 2, bn=bn), SplitAttnBlock(128, 32, 128, 2, bn=bn))
        self.fc = nn.Linear(128, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


# ---- Demucs ----------------------------------------------------------------------------------------------------------


class Demucs(nn.Module):
    """Demucs (Defossez et al. 2019) scaled down: the mixture standardised (``(x - mean) / std`` per example, as the
    reference code does per track; ``eps`` added to the std when given), an encoder of three layers (8-tap conv at
    stride 4, ReLU, 1x1 conv to twice the channels, GLU; 16, 32, 64 channels), a two-layer bidirectional LSTM with a
    linear layer back to 64 at the bottleneck, a decoder of three layers (the skip added, 1x1 conv, GLU, a
    transposed 8-tap conv at stride 4, ReLU except the last) to two sources, de-standardised."""

    def __init__(self, sources: int = 2, chans: tuple[int, ...] = (16, 32, 64), eps: float | None = 1e-5) -> None:
        super().__init__()
        self.eps, self.sources = eps, sources
        ins = (1, *chans[:-1])
        self.enc = nn.ModuleList(nn.Sequential(nn.Conv1d(i, c, 8, 4, 2), nn.ReLU(), nn.Conv1d(c, 2 * c, 1), nn.GLU(1))
                                 for i, c in zip(ins, chans))
        self.dec = nn.ModuleList(nn.Sequential(nn.Conv1d(c, 2 * c, 1), nn.GLU(1), nn.ConvTranspose1d(
            c, o, 8, 4, 2), *([nn.ReLU()] if k > 0 else [])) for k, (c, o) in enumerate(zip(chans, (sources, *chans))))
        self.lstm, self.lin = nn.LSTM(chans[-1], chans[-1], 2, batch_first=True, bidirectional=True), nn.Linear(
            2 * chans[-1], chans[-1])

    def forward(self, mix: torch.Tensor) -> torch.Tensor:
        mu, sd = mix.mean((1, 2), keepdim=True), mix.std((1, 2), keepdim=True)
        x = (mix - mu) / (sd + self.eps if self.eps is not None else sd)
        skips = []
        for enc in self.enc:
            x = enc(x)
            skips.append(x)
        x = self.lin(self.lstm(x.transpose(1, 2))[0]).transpose(1, 2)
        for dec, skip in zip(reversed(self.dec), reversed(skips)):
            x = dec(x + skip)
        return x * sd + mu


# ---- FinalMLP --------------------------------------------------------------------------------------------------------


class FinalMLP(nn.Module):
    """FinalMLP (Mao et al. 2023): field embeddings of 8; two streams, each with its feature-selection gate (``2
    sigmoid`` of a one-hidden-layer MLP of a context embedding: the user field for stream 1, the item field for
    stream 2) on the flattened embeddings and its MLP (``depth``: two and one ReLU layers of 64),
    fused by multi-head bilinear fusion (4 heads) into the click logit."""

    def __init__(self, sizes: tuple[int, ...] = (100, 10, 200, 10, 24, 3), d: int = 8, width: int = 64, heads: int = 4,
                 depth: tuple[int, int] = (2, 1)) -> None:
        super().__init__()
        self.heads = heads
        self.embs = nn.ModuleList(nn.Embedding(n, d) for n in sizes)
        f = len(sizes) * d
        self.gates = nn.ModuleList(nn.Sequential(nn.Linear(d, width), nn.ReLU(), nn.Linear(width, f)) for _ in "12")
        self.mlp1, self.mlp2 = (nn.Sequential(*[m for i in range(n) for m in (nn.Linear(f if i == 0 else width, width),
                                                                              nn.ReLU())]) for n in depth)
        h = width // heads
        self.w1, self.w2 = nn.Linear(width, heads), nn.Linear(width, heads, bias=False)
        self.w12 = nn.Parameter(torch.empty(heads, h, h))
        nn.init.xavier_uniform_(self.w12)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        e = [emb(ids[:, i]) for i, emb in enumerate(self.embs)]
        flat = torch.cat(e, -1)
        o1 = self.mlp1(flat * 2 * torch.sigmoid(self.gates[0](e[0])))
        o2 = self.mlp2(flat * 2 * torch.sigmoid(self.gates[1](e[2])))
        b = ids.shape[0]
        h1, h2 = o1.view(b, self.heads, -1), o2.view(b, self.heads, -1)
        bil = torch.einsum("bhi,hij,bhj->bh", h1, self.w12, h2)
        return (self.w1(o1) + self.w2(o2) + bil).sum(-1)
