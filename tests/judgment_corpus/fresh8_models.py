"""Hand-written models of the ninth held-out batch (``fresh8.py``), written here, not copied."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- images: a capsule network (dynamic routing) ---------------------------------------------------------------------


def squash(s: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Sabour et al.'s non-linearity: keeps the direction, maps the length ``|s|`` to ``|s|^2 / (1 + |s|^2)``."""
    n2 = (s * s).sum(dim, keepdim=True)
    return s * (n2 / (1 + n2)) / torch.sqrt(n2 + 1e-8)


class CapsNet(nn.Module):
    """A small CapsNet (Sabour et al. 2017) for 1x16x16 images: a 5x5 ReLU conv, a primary-capsule conv (8 capsule
    types of 4 dimensions on a 4x4 grid: 128 capsules), 10 class capsules of 8 dimensions reached by 3 iterations
    of routing-by-agreement. Returns the class capsules' lengths."""

    def __init__(self, classes: int = 10, iters: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 32, 5)
        self.primary = nn.Conv2d(32, 8 * 4, 5, stride=2)
        self.W = nn.Parameter(0.05 * torch.randn(128, classes, 8, 4))
        self.iters = iters

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv(x))
        p = self.primary(h)                                            # (b, 32, 4, 4)
        b = p.shape[0]
        u = squash(p.view(b, 8, 4, 16).permute(0, 1, 3, 2).reshape(b, 128, 4))
        u_hat = torch.einsum("icdk,bik->bicd", self.W, u)              # (b, 128, classes, 8)
        logits = torch.zeros(u_hat.shape[:3], device=x.device)
        for it in range(self.iters):
            c = logits.softmax(dim=2)
            v = squash((c.unsqueeze(-1) * u_hat).sum(1))               # (b, classes, 8)
            if it < self.iters - 1:
                logits = logits + (u_hat * v.unsqueeze(1)).sum(-1)
        return v.norm(dim=-1)


def margin_loss(lengths: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CapsNet's margin loss (m+ 0.9, m- 0.1, lambda 0.5), summed over classes, averaged over the batch."""
    t = F.one_hot(y, lengths.shape[1]).float()
    loss = t * F.relu(0.9 - lengths) ** 2 + 0.5 * (1 - t) * F.relu(lengths - 0.1) ** 2
    return loss.sum(1).mean()


# ---- vectors: a static hypernetwork ----------------------------------------------------------------------------------


class HyperMLP(nn.Module):
    """A static hypernetwork (Ha et al. 2016) generating every weight matrix of a ``depth``-layer ReLU MLP from a
    learned 8-dimensional layer embedding through a per-layer linear head. Its heads are initialised "hyperfan-in"
    (Chang et al. 2020): the generated weights have He's variance ``2 / fan_in`` at the start; ``default_heads``
    leaves them at ``nn.Linear``'s own init. ``act``: the main net's activation; ``norm_groups``: a GroupNorm with
    that many groups before each hidden activation (None: none)."""

    def __init__(self, d_in: int = 32, width: int = 64, classes: int = 10, depth: int = 6, z_dim: int = 8,
                 default_heads: bool = False, act=F.relu, norm_groups: int | None = None) -> None:
        super().__init__()
        self.norms = nn.ModuleList(nn.GroupNorm(norm_groups, width) if norm_groups else nn.Identity()
                                   for _ in range(depth - 1))
        self.shapes = [(width, d_in)] + [(width, width)] * (depth - 2) + [(classes, width)]
        self.z = nn.Parameter(torch.randn(len(self.shapes), z_dim))
        self.heads = nn.ModuleList(nn.Linear(z_dim, o * i) for o, i in self.shapes)
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(o)) for o, _ in self.shapes)
        self.act = act
        if not default_heads:
            with torch.no_grad():
                for head, (_o, i) in zip(self.heads, self.shapes, strict=True):
                    gain = 2.0 if head is not self.heads[-1] else 1.0
                    head.weight.normal_(0.0, math.sqrt(gain / (i * z_dim)))
                    head.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.shapes) - 1
        for k, ((o, i), head, bias) in enumerate(zip(self.shapes, self.heads, self.biases, strict=True)):
            x = F.linear(x, head(self.z[k]).view(o, i), bias)
            if k < last:
                x = self.act(self.norms[k](x))
        return x


# ---- images: a DCGAN discriminator -----------------------------------------------------------------------------------


class DCGANDiscriminator(nn.Module):
    """DCGAN's discriminator (Radford et al. 2016) for 3x16x16 images: strided 4x4 convs 3 -> 32 -> 64 -> 128 with
    LeakyReLU(0.2), BatchNorm on all but the first, a 2x2 conv to one logit. ``init_std``: the conv weights' N(0,
    std) (the paper: 0.02); ``bn_gamma``: the BatchNorm weights' N(mean, 0.02) (the paper's code: mean 1)."""

    def __init__(self, init_std: float = 0.02, bn_gamma: float = 1.0) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 32, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Conv2d(128, 1, 2, 1, 0, bias=False),
        )
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    m.weight.normal_(0.0, init_std)
                elif isinstance(m, nn.BatchNorm2d):
                    m.weight.normal_(bn_gamma, 0.02)
                    m.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


# ---- tokens: a Transformer-XL-style LM with segment memory -----------------------------------------------------------


class XLBlock(nn.Module):
    """A pre-LN block whose queries (the current segment) attend to the cached previous segment plus themselves,
    causally, with a learned relative-position bias per head. ``residual``: add the block's input back;
    ``post_ln``: normalise after each residual add instead (the original Transformer's order)."""

    def __init__(self, d: int, heads: int, mem: int, seg: int, dropout: float, residual: bool = True,
                 post_ln: bool = False) -> None:
        super().__init__()
        self.post_ln = post_ln
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.heads, self.residual = heads, residual
        self.rel = nn.Parameter(torch.zeros(heads, mem + seg))
        self.drop = nn.Dropout(dropout)
        q_pos = torch.arange(seg).unsqueeze(1) + mem
        k_pos = torch.arange(mem + seg).unsqueeze(0)
        dist = q_pos - k_pos
        self.register_buffer("dist", dist.clamp(min=0), persistent=False)
        self.register_buffer("mask", dist < 0, persistent=False)

    def forward(self, h: torch.Tensor, mem: torch.Tensor | None) -> torch.Tensor:
        b, t, d = h.shape
        norm = (lambda z: z) if self.post_ln else self.ln1
        x = norm(h)
        ctx = x if mem is None else torch.cat([norm(mem), x], 1)
        q = self.qkv(x)[..., :d]
        k, v = self.qkv(ctx)[..., d:].split(d, -1)
        hd = d // self.heads
        q, k, v = (z.view(b, -1, self.heads, hd).transpose(1, 2) for z in (q, k, v))
        s = q @ k.transpose(-1, -2) / math.sqrt(hd)
        off = self.dist.shape[1] - k.shape[2]
        s = s + self.rel[:, self.dist[:, off:]]
        s = s.masked_fill(self.mask[:, off:], float("-inf"))
        a = self.drop(s.softmax(-1)) @ v
        a = self.drop(self.proj(a.transpose(1, 2).reshape(b, t, d)))
        if self.post_ln:
            h = self.ln1(h + a)
            return self.ln2(h + self.drop(self.mlp(h)))
        h = h + a if self.residual else a
        m = self.drop(self.mlp(self.ln2(h)))
        return h + m if self.residual else m


class TransformerXL(nn.Module):
    """A Transformer-XL-style LM (Dai et al. 2019): each 32-token batch is read as two 16-token segments, the second
    attending to the first's cached (detached) hidden states at every layer."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, heads: int = 4, seg: int = 16,
                 dropout: float = 0.1, residual: bool = True, post_ln: bool = False) -> None:
        super().__init__()
        self.seg = seg
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(XLBlock(d, heads, seg, seg, dropout, residual, post_ln) for _ in range(layers))
        self.ln = nn.Identity() if post_ln else nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        self.drop = nn.Dropout(dropout)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.normal_(0.0, 0.02)
                    if isinstance(m, nn.Linear):
                        m.bias.zero_()

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        outs, mems = [], [None] * len(self.blocks)
        for seg in idx.split(self.seg, 1):
            h = self.drop(self.emb(seg))
            new = []
            for blk, mem in zip(self.blocks, mems, strict=True):
                new.append(h.detach())
                h = blk(h, mem)
            mems = new
            outs.append(self.head(self.ln(h)))
        return torch.cat(outs, 1)


# ---- token sets: a Perceiver ----------------------------------------------------------------------------------------


class Perceiver(nn.Module):
    """A Perceiver classifier (Jaegle et al. 2021): 8 learned latents cross-attend (one head, written out: padding
    keys filled with -inf before the softmax) to a variable-length token set, then ``blocks`` latent
    self-attention blocks (pre-LN), mean of the latents, a linear head. ``dropout``: the latent blocks'."""

    def __init__(self, vocab: int = 32, d: int = 64, latents: int = 8, blocks: int = 2, classes: int = 4,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.latents = nn.Parameter(0.02 * torch.randn(latents, d))
        self.ln_q, self.ln_kv = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.kv = nn.Linear(d, d), nn.Linear(d, 2 * d)
        self.cross_mlp = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(d, 4, 2 * d, dropout, activation="gelu", batch_first=True, norm_first=True)
            for _ in range(blocks))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        tokens, pad = batch
        kv = self.ln_kv(self.emb(tokens))
        q = self.latents.expand(tokens.shape[0], -1, -1)
        k, v = self.kv(kv).chunk(2, -1)
        s = self.q(self.ln_q(q)) @ k.transpose(1, 2) / math.sqrt(k.shape[-1])
        x = q + s.masked_fill(pad.unsqueeze(1), float("-inf")).softmax(-1) @ v
        x = x + self.cross_mlp(x)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.ln(x).mean(1))


# ---- sequences: a continuous-time (leaky) RNN ------------------------------------------------------------------------


class CTRNN(nn.Module):
    """A continuous-time RNN, Euler-discretised (Song, Yang & Wang 2016; Yang & Wang 2020):
    ``h <- (1 - alpha) h + alpha relu(W_rec h + W_in x + b)`` with ``alpha = dt / tau``; W_rec starts at
    ``0.5 I`` (their init), the readout from the last state. ``dt`` and ``tau`` in milliseconds."""

    def __init__(self, vocab: int = 32, d_in: int = 16, hidden: int = 64, classes: int = 4, dt: float = 20.0,
                 tau: float = 100.0, act=F.relu, readout=None) -> None:
        super().__init__()
        self.alpha = dt / tau
        self.emb = nn.Embedding(vocab, d_in)
        self.inp = nn.Linear(d_in, hidden)
        self.rec = nn.Linear(hidden, hidden, bias=False)
        self.out = nn.Linear(hidden, classes) if readout is None else nn.Sequential(nn.Linear(hidden, classes), readout)
        self.act = act
        with torch.no_grad():
            self.rec.weight.copy_(0.5 * torch.eye(hidden))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        u = self.inp(self.emb(tokens))
        h = torch.zeros(tokens.shape[0], self.rec.out_features, device=tokens.device)
        for t in range(tokens.shape[1]):
            h = (1 - self.alpha) * h + self.alpha * self.act(self.rec(h) + u[:, t])
        return self.out(h)
