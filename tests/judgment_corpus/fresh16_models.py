"""Hand-written models of the seventeenth held-out batch (``fresh16.py``): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- vision: CoAtNet and CaiT ----------------------------------------------------------------------------------------

class MBConv(nn.Module):
    """CoAtNet's MBConv (pre-BatchNorm, 1x1 expand x4, depthwise 3x3, squeeze-excitation 0.25, 1x1 project, shortcut
    with pooling and a 1x1 conv when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        mid = 4 * cin
        self.pre = nn.BatchNorm2d(cin)
        self.expand = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.GELU())
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid),
                                nn.GELU())
        self.se = nn.Sequential(nn.Conv2d(mid, cin // 4, 1), nn.SiLU(), nn.Conv2d(cin // 4, mid, 1), nn.Sigmoid())
        self.project = nn.Conv2d(mid, cout, 1)
        self.skip = (nn.Identity() if stride == 1 and cin == cout
                     else nn.Sequential(nn.MaxPool2d(3, stride, 1), nn.Conv2d(cin, cout, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.dw(self.expand(self.pre(x)))
        return self.skip(x) + self.project(h * self.se(h.mean((2, 3), keepdim=True)))


class RelAttention(nn.Module):
    """Multi-head self-attention over a ``side`` x ``side`` grid with CoAtNet's learned 2-D relative position bias."""

    def __init__(self, dim: int, side: int, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.table = nn.Parameter(torch.zeros(heads, (2 * side - 1) ** 2))
        ys, xs = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
        c = torch.stack([ys.flatten(), xs.flatten()])
        rel = c[:, :, None] - c[:, None] + side - 1
        self.index: torch.Tensor
        self.register_buffer("index", rel[0] * (2 * side - 1) + rel[1], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads) + self.table[:, self.index]
        return self.out((a.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d))


class CoAtNet(nn.Module):
    """A small CoAtNet (Dai et al. 2021, C-C-T): a strided conv stem, two MBConv stages (8x8, then 4x4), a
    relative-attention Transformer stage on the 4x4 grid (pre-LN), global pooling and a linear head."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.GELU())
        self.convs = nn.Sequential(MBConv(32, 32, 1), MBConv(32, 64, 2), MBConv(64, 64, 1))
        self.attn = nn.ModuleList(RelAttention(64, 4) for _ in range(2))
        self.mlp = nn.ModuleList(nn.Sequential(nn.Linear(64, 256), nn.GELU(), nn.Linear(256, 64)) for _ in range(2))
        self.ln1 = nn.ModuleList(nn.LayerNorm(64) for _ in range(2))
        self.ln2 = nn.ModuleList(nn.LayerNorm(64) for _ in range(2))
        self.norm, self.head = nn.LayerNorm(64), nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.convs(self.stem(x)).flatten(2).transpose(1, 2)
        for attn, mlp, ln1, ln2 in zip(self.attn, self.mlp, self.ln1, self.ln2):
            h = h + attn(ln1(h))
            h = h + mlp(ln2(h))
        return self.head(self.norm(h).mean(1))


class CaiT(nn.Module):
    """A small CaiT (Touvron et al. 2021): 4x4 patches, self-attention blocks with LayerScale (init 0.1), then
    class-attention blocks where only the class token (inserted late) attends to the patches, a linear head."""

    def __init__(self, classes: int = 10, dim: int = 64, depth: int = 4, ca_depth: int = 2, eps: float = 0.1) -> None:
        super().__init__()
        ln = nn.LayerNorm
        self.embed = nn.Conv2d(3, dim, 4, 4)
        self.pos = nn.Parameter(torch.randn(1, 16, dim) * 0.02)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.blocks = nn.ModuleList(nn.ModuleDict({
            "ln1": ln(dim), "attn": nn.MultiheadAttention(dim, 4, batch_first=True), "ln2": ln(dim),
            "mlp": nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))})
            for _ in range(depth + ca_depth))
        self.depth = depth
        self.gamma1 = nn.Parameter(torch.full((depth + ca_depth, dim), eps))
        self.gamma2 = nn.Parameter(torch.full((depth + ca_depth, dim), eps))
        self.norm, self.head = ln(dim), nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x).flatten(2).transpose(1, 2) + self.pos
        cls = self.cls.expand(h.shape[0], -1, -1)
        for i, blk in enumerate(self.blocks):
            assert isinstance(blk, nn.ModuleDict)
            if i < self.depth:
                a = blk["ln1"](h)
                h = h + self.gamma1[i] * blk["attn"](a, a, a, need_weights=False)[0]
                h = h + self.gamma2[i] * blk["mlp"](blk["ln2"](h))
            else:  # class attention: the class token queries [class token, patches]
                u = blk["ln1"](torch.cat([cls, h], 1))
                cls = cls + self.gamma1[i] * blk["attn"](u[:, :1], u, u, need_weights=False)[0]
                cls = cls + self.gamma2[i] * blk["mlp"](blk["ln2"](cls))
        return self.head(self.norm(cls)[:, 0])


# ---- sequence models: Hyena, GLA, LTC --------------------------------------------------------------------------------

class HyenaOperator(nn.Module):
    """An order-2 Hyena operator (Poli et al. 2023): projections to (v, x1, x2) with a short causal depthwise conv,
    an implicit long filter (an MLP with sine activations over positional features, times an exponential decay
    window), ``y = x2 * (h conv (x1 * v))`` by causal FFT convolution."""

    def __init__(self, dim: int, length: int) -> None:
        super().__init__()
        self.length = length
        self.proj = nn.Linear(dim, 3 * dim)
        self.short = nn.Conv1d(3 * dim, 3 * dim, 3, padding=2, groups=3 * dim)
        t = torch.linspace(0, 1, length)[:, None]
        self.register_buffer("z", torch.cat([t, *[f(2 * math.pi * k * t) for k in (1, 2, 3, 4) for f in
                                                  (torch.sin, torch.cos)]], 1), persistent=False)
        self.f1, self.f2, self.f3 = nn.Linear(9, 32), nn.Linear(32, 32), nn.Linear(32, dim)
        self.freq = nn.Parameter(torch.ones(32))
        self.register_buffer("window", torch.exp(-torch.linspace(0, 1, length)[:, None] * torch.linspace(
            0.5, 4.0, dim)[None]), persistent=False)
        self.bias = nn.Parameter(torch.randn(dim) * 0.02)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        u = self.short(self.proj(x).transpose(1, 2))[..., :n]
        v, x1, x2 = u.chunk(3, 1)
        h = self.f3(torch.sin(self.freq * self.f2(torch.sin(self.freq * self.f1(self.z))))) * self.window
        h = h[:n].t()
        y = torch.fft.irfft(torch.fft.rfft(x1 * v, n=2 * n) * torch.fft.rfft(h, n=2 * n), n=2 * n)[..., :n]
        y = x2 * (y + x1 * v * self.bias[:, None])
        return self.out(y.transpose(1, 2))


class GLAttention(nn.Module):
    """Gated linear attention (Yang et al. 2024), recurrent form: ``S_t = diag(a_t) S_{t-1} + k_t^T v_t``, ``o_t = q_t
    S_t``, the gate ``a_t = sigmoid(W x_t) ** (1/16)``, a per-head GroupNorm and a swish output gate."""

    def __init__(self, dim: int, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.g = (nn.Linear(dim, dim, bias=False) for _ in range(4))
        self.a = nn.Linear(dim, dim)
        self.norm = nn.GroupNorm(heads, dim)
        self.out = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        hd = d // self.heads
        q, k, v = (f(x).view(b, n, self.heads, hd) for f in (self.q, self.k, self.v))
        a = (torch.sigmoid(self.a(x)) ** (1 / 16)).view(b, n, self.heads, hd)
        s = x.new_zeros(b, self.heads, hd, hd)
        outs = []
        for t in range(n):
            s = a[:, t, :, :, None] * s + k[:, t, :, :, None] * v[:, t, :, None, :]
            outs.append((q[:, t, :, None, :] / math.sqrt(hd) @ s).squeeze(2).reshape(b, d))
        o = self.norm(torch.stack(outs, 1).reshape(b * n, d)).view(b, n, d)
        return self.out(o * F.silu(self.g(x)))


class RMSNorm(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)


class SeqLM(nn.Module):
    """A pre-norm language model of ``layers`` blocks ``x + mixer(norm(x))``, ``x + mlp(norm(x))`` with the mixer
    ``"hyena"`` (LayerNorm, GELU MLP) or ``"gla"`` (RMSNorm, SwiGLU MLP); a tied-free linear head."""

    def __init__(self, mixer: str, vocab: int = 64, dim: int = 64, layers: int = 2, length: int = 32,
                 p: float = 0.0) -> None:
        super().__init__()
        self.emb, self.drop = nn.Embedding(vocab, dim), nn.Dropout(p)
        norm: type[nn.Module] = nn.LayerNorm if mixer == "hyena" else RMSNorm
        self.mixers = nn.ModuleList((HyenaOperator(dim, length) if mixer == "hyena" else GLAttention(dim))
                                    for _ in range(layers))
        self.n1, self.n2 = nn.ModuleList(norm(dim) for _ in range(layers)), nn.ModuleList(norm(dim)
                                                                                       for _ in range(layers))
        self.up = nn.ModuleList(nn.Linear(dim, (2 if mixer == "gla" else 1) * 4 * dim) for _ in range(layers))
        self.down = nn.ModuleList(nn.Linear(4 * dim, dim) for _ in range(layers))
        self.glu = mixer == "gla"
        self.norm = norm(dim)
        self.head: nn.Module = nn.Linear(dim, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.emb(x))
        for mix, n1, n2, up, down in zip(self.mixers, self.n1, self.n2, self.up, self.down):
            h = h + self.drop(mix(n1(h)))
            u = up(n2(h))
            u = F.silu(u.chunk(2, -1)[0]) * u.chunk(2, -1)[1] if self.glu else F.gelu(u)
            h = h + self.drop(down(u))
        return self.head(self.norm(h))


class LTC(nn.Module):
    """A liquid time-constant network (Hasani et al. 2021): per token, six unfolds of the fused semi-implicit ODE
    step ``x <- (x + dt f A) / (1 + dt (1/tau + f))`` with ``f = sigmoid(W_in u + W_rec x + b)``; a linear readout
    of the last state; the time constants ``tau = tau0 / (softplus(w) + 0.1)``."""

    def __init__(self, vocab: int = 32, emb: int = 16, units: int = 32, classes: int = 4, unfolds: int = 6,
                 tau0: float = 1.0) -> None:
        super().__init__()
        self.tau0 = tau0
        self.emb, self.unfolds = nn.Embedding(vocab, emb), unfolds
        self.inp, self.rec = nn.Linear(emb, units), nn.Linear(units, units, bias=False)
        self.log_tau = nn.Parameter(torch.zeros(units))
        self.A = nn.Parameter(torch.randn(units) * 0.5)
        self.readout = nn.Linear(units, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.emb(x)
        h = u.new_zeros(x.shape[0], self.A.shape[0])
        dt = 1.0 / self.unfolds
        inv_tau = (F.softplus(self.log_tau) + 0.1) / self.tau0
        for t in range(x.shape[1]):
            drive = self.inp(u[:, t])
            for _ in range(self.unfolds):
                f = torch.sigmoid(drive + self.rec(h))
                h = (h + dt * f * self.A) / (1 + dt * (inv_tau + f))
        return self.readout(h)


# ---- graphs and molecules: GatedGCN, SchNet --------------------------------------------------------------------------

class GatedGCN(nn.Module):
    """Residual gated graph ConvNets (Bresson & Laurent 2017; the benchmarking-GNNs form) on dense graphs: edge gates
    ``e_ij = C e_ij + D h_i + E h_j``, ``h_i <- h_i + act(BN(A h_i + sum_j sigmoid(e_ij) B h_j / (sum_j sigmoid(e_ij)
    + eps)))``, edges updated likewise. ``plain``: no residual and no BatchNorm; ``bn=False``: no BatchNorm."""

    def __init__(self, fin: int = 8, dim: int = 48, layers: int = 4, classes: int = 4, plain: bool = False,
                 bn: bool = True) -> None:
        super().__init__()
        self.plain = plain
        self.inp, self.edge_in = nn.Linear(fin, dim), nn.Linear(1, dim)
        self.lins = nn.ModuleList(nn.Linear(dim, 5 * dim) for _ in range(layers))
        self.ce = nn.ModuleList(nn.Linear(dim, dim) for _ in range(layers))
        self.bn_h = nn.ModuleList(nn.BatchNorm1d(dim) if bn else nn.Identity() for _ in range(layers))
        self.bn_e = nn.ModuleList(nn.BatchNorm1d(dim) if bn else nn.Identity() for _ in range(layers))
        self.head = nn.Linear(dim, classes)

    def forward(self, g: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, adj = g
        h, e = self.inp(x), self.edge_in(adj[..., None])
        m = adj[..., None]
        for lin, ce, bnh, bne in zip(self.lins, self.ce, self.bn_h, self.bn_e):
            a, b, d, ee, _ = lin(h).chunk(5, -1)
            eh = ce(e) + d[:, :, None] + ee[:, None]
            gate = torch.sigmoid(eh) * m
            hn = a + (gate * b[:, None]).sum(2) / (gate.sum(2) + 1e-6)
            if self.plain:
                h, e = F.relu(hn), F.relu(eh)
            else:
                h = h + F.relu(bnh(hn.flatten(0, 1)).view_as(hn))
                e = e + F.relu(bne(eh.flatten(0, 2)).view_as(eh))
        return self.head(h).flatten(0, 1)


def ssp(x: torch.Tensor) -> torch.Tensor:
    """SchNet's shifted softplus."""
    return F.softplus(x) - math.log(2.0)


class SchNet(nn.Module):
    """SchNet (Schütt et al. 2017): atom-type embeddings, three interaction blocks with continuous-filter convolutions
    (25 Gaussian radial features to 5 Å, a cosine cutoff, a shifted-softplus filter network), an atomwise output
    network summed over atoms."""

    def __init__(self, types: int = 3, dim: int = 64, blocks: int = 3) -> None:
        super().__init__()
        self.emb = nn.Embedding(types, dim)
        self.mu: torch.Tensor
        self.register_buffer("mu", torch.linspace(0, 5, 25), persistent=False)
        self.filt = nn.ModuleList(nn.Sequential(nn.Linear(25, dim), nn.Softplus(), nn.Linear(dim, dim))
                                  for _ in range(blocks))
        self.in2f = nn.ModuleList(nn.Linear(dim, dim, bias=False) for _ in range(blocks))
        self.f2out = nn.ModuleList(nn.Sequential(nn.Linear(dim, dim), nn.Softplus(), nn.Linear(dim, dim))
                                   for _ in range(blocks))
        self.o1, self.o2 = nn.Linear(dim, dim // 2), nn.Linear(dim // 2, 1)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        z, pos = batch
        h = self.emb(z)
        d = (pos[:, :, None] - pos[:, None]).pow(2).sum(-1).add(1e-12).sqrt()
        rbf = torch.exp(-10.0 * (d[..., None] - self.mu) ** 2)
        n = z.shape[1]
        cut = 0.5 * (torch.cos(d * math.pi / 5) + 1) * (d < 5) * (1 - torch.eye(n))
        for filt, a, b in zip(self.filt, self.in2f, self.f2out):
            w = filt(rbf) * cut[..., None]
            h = h + b((w * a(h)[:, None]).sum(2))
        return self.o2(ssp(self.o1(h))).sum((1, 2))


# ---- recommendation: DIN ---------------------------------------------------------------------------------------------

class DIN(nn.Module):
    """Deep Interest Network (Zhou et al. 2018): item embeddings, a local activation unit (an MLP of [h, c, h - c,
    h * c] with PReLU) weighting each behaviour by its relevance to the candidate (unnormalised, masked by
    multiplication), and an MLP 200-80 with PReLU on [user interest, candidate]. ``normalise_slip``: the activation
    weights exponentiated and divided by their masked sum (an empty history divides 0 by 0)."""

    def __init__(self, items: int = 25, dim: int = 16, normalise_slip: bool = False) -> None:
        super().__init__()
        self.emb, self.slip = nn.Embedding(items, dim), normalise_slip
        self.att = nn.Sequential(nn.Linear(4 * dim, 36), nn.PReLU(), nn.Linear(36, 1))
        self.mlp = nn.Sequential(nn.Linear(2 * dim, 200), nn.PReLU(), nn.Linear(200, 80), nn.PReLU(),
                                 nn.Linear(80, 1))

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        hist, mask, cand = batch
        h, c = self.emb(hist), self.emb(cand)[:, None].expand(-1, hist.shape[1], -1)
        w = self.att(torch.cat([h, c, h - c, h * c], -1)).squeeze(-1)
        if self.slip:
            w = torch.exp(w) * mask
            w = w / w.sum(1, keepdim=True)
        else:
            w = w * mask
        interest = (w[..., None] * h).sum(1)
        return self.mlp(torch.cat([interest, c[:, 0]], -1)).squeeze(-1)


# ---- generative: VQ-VAE, Glow ----------------------------------------------------------------------------------------

class VQVAE(nn.Module):
    """A small VQ-VAE (van den Oord et al. 2017): a strided conv encoder to a 4x4 grid of 32-d vectors, a codebook of
    64 (N(0, 1) init, nearest code, straight-through gradient), a transposed-conv decoder; ``losses`` returns the
    reconstruction, the codebook and the commitment terms."""

    def __init__(self, codes: int = 64, dim: int = 32) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
                                 nn.Conv2d(64, dim, 1))
        self.codebook = nn.Embedding(codes, dim)
        self.dec = nn.Sequential(nn.Conv2d(dim, 64, 3, 1, 1), nn.ReLU(), nn.ConvTranspose2d(64, 32, 4, 2, 1),
                                 nn.ReLU(), nn.ConvTranspose2d(32, 3, 4, 2, 1))

    def losses(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        z = self.enc(x).permute(0, 2, 3, 1)
        flat = z.reshape(-1, z.shape[-1])
        idx = torch.cdist(flat, self.codebook.weight).argmin(1)
        q = self.codebook(idx).view_as(z)
        zq = z + (q - z).detach()
        rec = self.dec(zq.permute(0, 3, 1, 2))
        return F.mse_loss(rec, x), F.mse_loss(q, z.detach()), F.mse_loss(z, q.detach())


class Glow(nn.Module):
    """A small Glow (Kingma & Dhariwal 2018) on vectors: ``steps`` x (actnorm, invertible 1x1 convolution with a
    random rotation as its init, affine coupling with ``scale = sigmoid(s + 2)``); ``nll`` in nats per dimension.
    ``logdet_slip``: the 1x1 convolution's log-determinant taken as ``log(det W)`` (NaN when det W < 0)."""

    def __init__(self, dim: int = 8, steps: int = 4, hidden: int = 64, logdet_slip: bool = False) -> None:
        super().__init__()
        self.dim, self.slip = dim, logdet_slip
        self.loc = nn.Parameter(torch.zeros(steps, dim))
        self.logs = nn.Parameter(torch.zeros(steps, dim))
        self.W = nn.ParameterList(nn.Parameter(torch.linalg.qr(torch.randn(dim, dim))[0]) for _ in range(steps))
        self.nets = nn.ModuleList(nn.Sequential(nn.Linear(dim // 2, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                                nn.ReLU(), nn.Linear(hidden, dim)) for _ in range(steps))
        for net in self.nets:
            last = net[-1]  # type: ignore[index]
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    @torch.no_grad()
    def actnorm_init(self, x: torch.Tensor) -> None:
        """Glow's data-dependent initialisation: each actnorm maps the first batch to zero mean and unit variance."""
        for i in range(len(self.nets)):
            self.loc[i] = -x.mean(0)
            self.logs[i] = -torch.log(x.std(0) + 1e-6)
            x = self._step(i, x)[0]

    def _step(self, i: int, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (x + self.loc[i]) * torch.exp(self.logs[i])
        ld = self.logs[i].sum().expand(x.shape[0])
        W = self.W[i]
        x = x @ W.t()
        ld = ld + (torch.log(torch.det(W)) if self.slip else torch.linalg.slogdet(W)[1])
        xa, xb = x.chunk(2, 1)
        shift, s = self.nets[i](xa).chunk(2, 1)
        scale = torch.sigmoid(s + 2.0)
        return torch.cat([xa, (xb + shift) * scale], 1), ld + torch.log(scale).sum(1)

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        ld = x.new_zeros(x.shape[0])
        for i in range(len(self.nets)):
            x, d = self._step(i, x)
            ld = ld + d
        logp = -0.5 * (x ** 2).sum(1) - 0.5 * self.dim * math.log(2 * math.pi)
        return -(logp + ld).mean() / self.dim


# ---- audio: Conv-TasNet ----------------------------------------------------------------------------------------------

class GLN(nn.Module):
    """Conv-TasNet's global layer norm (over channels and time)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.g, self.b = nn.Parameter(torch.ones(1, c, 1)), nn.Parameter(torch.zeros(1, c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = x.mean((1, 2), keepdim=True)
        v = (x - m).pow(2).mean((1, 2), keepdim=True)
        return self.g * (x - m) / torch.sqrt(v + 1e-8) + self.b


class ConvTasNet(nn.Module):
    """A small Conv-TasNet (Luo & Mesgarani 2019): a learned encoder (64 filters of 16 samples, stride 8), a TCN
    separator (gLN, 1x1 bottleneck to 32, two repeats of four dilated depthwise blocks with PReLU and gLN, residual
    and skip paths), sigmoid masks per source and a transposed-conv decoder."""

    def __init__(self, sources: int = 2, n: int = 64, b: int = 32, hidden: int = 64) -> None:
        super().__init__()
        ln = GLN
        self.sources, self.n = sources, n
        self.enc = nn.Conv1d(1, n, 16, 8, bias=False)
        self.bottleneck = nn.Sequential(ln(n), nn.Conv1d(n, b, 1))
        self.blocks = nn.ModuleList(nn.Sequential(
            nn.Conv1d(b, hidden, 1), nn.PReLU(), ln(hidden),
            nn.Conv1d(hidden, hidden, 3, padding=2 ** i, dilation=2 ** i, groups=hidden), nn.PReLU(), ln(hidden))
            for _ in range(2) for i in range(4))
        self.res = nn.ModuleList(nn.Conv1d(hidden, b, 1) for _ in self.blocks)
        self.skip = nn.ModuleList(nn.Conv1d(hidden, b, 1) for _ in self.blocks)
        self.mask = nn.Sequential(nn.PReLU(), nn.Conv1d(b, sources * n, 1), nn.Sigmoid())
        self.dec = nn.ConvTranspose1d(n, 1, 16, 8, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = F.relu(self.enc(x))
        h, skip = self.bottleneck(w), 0.0
        for blk, res, sk in zip(self.blocks, self.res, self.skip):
            u = blk(h)
            h, skip = h + res(u), skip + sk(u)
        m = self.mask(skip).view(x.shape[0], self.sources, self.n, -1)
        out = self.dec((m * w[:, None]).flatten(0, 1)).view(x.shape[0], self.sources, -1)
        return out[..., :x.shape[-1]]


# ---- self-supervised: Barlow Twins -----------------------------------------------------------------------------------

class BarlowTwins(nn.Module):
    """Barlow Twins (Zbontar et al. 2021) on vectors: an MLP encoder and a projector (Linear-BN-ReLU, Linear-BN-ReLU,
    Linear); the loss on the two views' cross-correlation of batch-standardised embeddings, lambda 5.1e-3."""

    def __init__(self, fin: int = 32, rep: int = 64, proj: int = 128, lam: float = 5.1e-3) -> None:
        super().__init__()
        self.lam = lam
        norm = nn.BatchNorm1d
        self.net = nn.Sequential(nn.Linear(fin, 128), norm(128), nn.ReLU(), nn.Linear(128, rep), norm(rep), nn.ReLU(),
                                 nn.Linear(rep, proj, bias=False), norm(proj), nn.ReLU(),
                                 nn.Linear(proj, proj, bias=False), norm(proj), nn.ReLU(),
                                 nn.Linear(proj, proj, bias=False))
        self.bn = nn.BatchNorm1d(proj, affine=False)

    def loss(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        c = self.bn(self.net(a)).t() @ self.bn(self.net(b)) / a.shape[0]
        on = (torch.diagonal(c) - 1).pow(2).sum()
        off = c.pow(2).sum() - torch.diagonal(c).pow(2).sum()
        return on + self.lam * off
