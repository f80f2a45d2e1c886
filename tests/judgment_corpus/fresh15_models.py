"""Hand-written models of the sixteenth held-out batch (``fresh15.py``): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def _norm2d(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


class Res2NetBlock(nn.Module):
    """Res2Net's bottleneck (Gao et al. 2019): a 1x1 conv, the width split into ``scale`` groups where each group's
    3x3 conv also sees the previous group's output (hierarchical residual-like connections), a 1x1 conv, a shortcut."""

    def __init__(self, cin: int, cout: int, stride: int, scale: int = 4, bn: bool = True) -> None:
        super().__init__()
        width = cout // scale
        self.scale, self.width, self.stride = scale, width, stride
        self.conv1 = nn.Sequential(nn.Conv2d(cin, width * scale, 1, bias=not bn), _norm2d(width * scale, bn))
        self.convs = nn.ModuleList(nn.Sequential(nn.Conv2d(width, width, 3, stride, 1, bias=not bn),
                                                 _norm2d(width, bn)) for _ in range(scale - 1))
        self.pool = nn.AvgPool2d(3, stride, 1) if stride > 1 else nn.Identity()
        self.conv3 = nn.Sequential(nn.Conv2d(width * scale, cout, 1, bias=not bn), _norm2d(cout, bn))
        self.skip = (nn.Identity() if cin == cout and stride == 1
                     else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=not bn), _norm2d(cout, bn)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spx = torch.split(F.relu(self.conv1(x)), self.width, 1)
        outs, sp = [], None
        for i, conv in enumerate(self.convs):
            sp = spx[i] if (i == 0 or self.stride > 1) else sp + spx[i]
            sp = F.relu(conv(sp))
            outs.append(sp)
        outs.append(self.pool(spx[-1]))
        return F.relu(self.conv3(torch.cat(outs, 1)) + self.skip(x))


class Res2Net(nn.Module):
    """A small Res2Net: a 3x3 stem, three stages of Res2Net bottlenecks (the first of the later two strided), global
    average pooling, a linear head. ``bn=False``: every BatchNorm left out."""

    def __init__(self, classes: int = 10, widths: tuple[int, ...] = (32, 64, 128), bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=not bn), _norm2d(16, bn), nn.ReLU())
        layers, cin = [], 16
        for i, w in enumerate(widths):
            layers += [Res2NetBlock(cin, w, 1 if i == 0 else 2, bn=bn), Res2NetBlock(w, w, 1, bn=bn)]
            cin = w
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.stem(x)).mean((2, 3)))


class GhostModule(nn.Module):
    """GhostNet's Ghost module (Han et al. 2020): a 1x1 conv makes half the channels, a cheap depthwise 3x3 conv makes
    the other half ("ghost" features) from them."""

    def __init__(self, cin: int, cout: int, relu: bool = True, bn: bool = True) -> None:
        super().__init__()
        half = cout // 2
        act = nn.ReLU() if relu else nn.Identity()
        self.primary = nn.Sequential(nn.Conv2d(cin, half, 1, bias=not bn), _norm2d(half, bn), act)
        self.cheap = nn.Sequential(nn.Conv2d(half, half, 3, padding=1, groups=half, bias=not bn), _norm2d(half, bn),
                                   nn.ReLU() if relu else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.primary(x)
        return torch.cat([y, self.cheap(y)], 1)


class GhostBottleneck(nn.Module):
    """Ghost module (expand), a strided depthwise conv when ``stride`` is 2, Ghost module (project, no ReLU), and a
    shortcut."""

    def __init__(self, cin: int, mid: int, cout: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        self.expand = GhostModule(cin, mid, bn=bn)
        self.dw = (nn.Sequential(nn.Conv2d(mid, mid, 3, 2, 1, groups=mid, bias=not bn), _norm2d(mid, bn))
                   if stride == 2 else nn.Identity())
        self.project = GhostModule(mid, cout, relu=False, bn=bn)
        self.skip = (nn.Identity() if cin == cout and stride == 1 else nn.Sequential(
            nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=not bn), _norm2d(cin, bn),
            nn.Conv2d(cin, cout, 1, bias=not bn), _norm2d(cout, bn)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(self.dw(self.expand(x))) + self.skip(x)


class GhostNet(nn.Module):
    """A small GhostNet: a stem, five Ghost bottlenecks, global pooling, a 1x1 conv head with ReLU, a classifier.
    ``bn=False``: every BatchNorm left out."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=not bn), _norm2d(16, bn), nn.ReLU())
        cfg = [(16, 16, 16, 1), (16, 48, 24, 2), (24, 72, 24, 1), (24, 72, 40, 2), (40, 120, 40, 1)]
        self.blocks = nn.Sequential(*[GhostBottleneck(*c, bn=bn) for c in cfg])
        self.conv_head = nn.Sequential(nn.Conv2d(40, 128, 1), nn.ReLU())
        self.classifier = nn.Linear(128, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.stem(x)).mean((2, 3), keepdim=True)
        return self.classifier(self.conv_head(h).flatten(1))


class M5(nn.Module):
    """M5 (Dai et al. 2017), the raw-waveform CNN: an 80-wide stride-4 conv, then three 3-wide convs, each with
    BatchNorm, ReLU and 4x max pooling, global average pooling and a linear classifier. ``bn=False``: without the
    BatchNorms."""

    def __init__(self, classes: int = 4, width: int = 32, act: type[nn.Module] = nn.ReLU, bn: bool = True) -> None:
        super().__init__()
        chans = [1, width, width, 2 * width, 2 * width]
        layers: list[nn.Module] = []
        for i in range(4):
            k, s = (80, 4) if i == 0 else (3, 1)
            layers += [nn.Conv1d(chans[i], chans[i + 1], k, s),
                       nn.BatchNorm1d(chans[i + 1]) if bn else nn.Identity(), act(), nn.MaxPool1d(4)]
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(chans[-1], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x).mean(-1))


class CoRNN(nn.Module):
    """coRNN (Rusch and Mishra 2021), coupled oscillators integrated by implicit-explicit Euler:
    ``z += dt * (tanh(W y + Wz z + V u) - gamma * y - eps * z); y += dt * z``, read out from the last ``y``.
    ``dt``: the time step (the paper's 0.042); ``damping_slip``: the damping written ``+ eps * z``."""

    def __init__(self, vocab: int = 32, classes: int = 4, embed: int = 32, hidden: int = 64, dt: float = 0.042,
                 gamma: float = 2.7, eps: float = 4.7, damping_slip: bool = False) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.i2h = nn.Linear(embed + 2 * hidden, hidden)
        self.out = nn.Linear(hidden, classes)
        self.dt, self.gamma, self.eps, self.hidden = dt, gamma, eps, hidden
        self.sign = 1.0 if damping_slip else -1.0

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        u = self.embed(tokens)
        y = u.new_zeros(u.shape[0], self.hidden)
        z = torch.zeros_like(y)
        for t in range(u.shape[1]):
            drive = torch.tanh(self.i2h(torch.cat([u[:, t], y, z], 1)))
            z = z + self.dt * (drive - self.gamma * y + self.sign * self.eps * z)
            y = y + self.dt * z
        return self.out(y)


class DenseSynthesizerBlock(nn.Module):
    """A pre-LN block whose attention weights are synthesised from each token alone (Tay et al. 2021, the dense
    Synthesizer): ``softmax(W2 relu(W1 x_i))`` over the ``length`` positions, causally masked, times the values."""

    def __init__(self, d: int, length: int, heads: int = 2, ln: bool = True) -> None:
        super().__init__()
        self.heads, self.length = heads, length
        self.ln1, self.ln2 = (nn.LayerNorm(d), nn.LayerNorm(d)) if ln else (nn.Identity(), nn.Identity())
        self.synth = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, heads * length))
        self.value, self.proj = nn.Linear(d, d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.register_buffer("mask", torch.tril(torch.ones(length, length, dtype=torch.bool)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        h = self.ln1(x)
        scores = self.synth(h).view(b, t, self.heads, self.length)[..., :t].transpose(1, 2)
        attn = scores.masked_fill(~self.mask[:t, :t], float("-inf")).softmax(-1)
        v = self.value(h).view(b, t, self.heads, d // self.heads).transpose(1, 2)
        x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class SynthesizerLM(nn.Module):
    """A two-block dense-Synthesizer language model (learned positions, tied output embedding); ``ln=False``: every
    LayerNorm left out."""

    def __init__(self, vocab: int = 64, d: int = 64, length: int = 32, layers: int = 2, ln: bool = True) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.zeros(length, d))
        nn.init.normal_(self.tok.weight, std=0.02)
        self.blocks = nn.Sequential(*[DenseSynthesizerBlock(d, length, ln=ln) for _ in range(layers)])
        self.ln = nn.LayerNorm(d) if ln else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.tok(x) + self.pos[: x.shape[1]])
        return self.ln(h) @ self.tok.weight.t()


def normalised_adjacency(a: torch.Tensor, self_loops: bool = True) -> torch.Tensor:
    """``D^-1/2 (A + I) D^-1/2``; ``self_loops=False``: ``D^-1/2 A D^-1/2`` (an isolated node's degree is 0: its
    ``rsqrt`` is inf and ``0 * inf`` is NaN)."""
    if self_loops:
        a = a + torch.eye(a.shape[0])
    d = a.sum(1).rsqrt()
    return d[:, None] * a * d[None, :]


class GCNII(nn.Module):
    """GCNII (Chen et al. 2020): ``h = relu(((1 - a) P h + a h0) ((1 - b_l) I + b_l W_l))`` with the initial
    residual ``a = 0.1`` and identity mapping ``b_l = log(lambda / l + 1)``, ``lambda = 0.5``; dropout 0.6.
    ``plain=True``: both left out, every layer a plain GCN layer ``relu(P h W_l)``; ``act``: the activation in
    place of ReLU; ``self_loops=False``: the propagation matrix normalised without the self-loops."""

    def __init__(self, features: int = 16, classes: int = 4, hidden: int = 64, layers: int = 8, alpha: float = 0.1,
                 lam: float = 0.5, dropout: float = 0.6, plain: bool = False,
                 act: Callable[[torch.Tensor], torch.Tensor] = F.relu, self_loops: bool = True) -> None:
        super().__init__()
        self.act, self.self_loops = act, self_loops
        self.fc_in, self.fc_out = nn.Linear(features, hidden), nn.Linear(hidden, classes)
        self.convs = nn.ModuleList(nn.Linear(hidden, hidden, bias=False) for _ in range(layers))
        self.alpha, self.lam, self.p, self.plain = alpha, lam, dropout, plain

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, a = inputs
        p = normalised_adjacency(a, self_loops=self.self_loops)
        h0 = F.relu(self.fc_in(F.dropout(x, self.p, self.training)))
        h = h0
        for i, conv in enumerate(self.convs, 1):
            h = F.dropout(h, self.p, self.training)
            if self.plain:
                h = self.act(conv(p @ h))
                continue
            support = (1 - self.alpha) * (p @ h) + self.alpha * h0
            beta = math.log(self.lam / i + 1)
            h = self.act((1 - beta) * support + beta * conv(support))
        return self.fc_out(F.dropout(h, self.p, self.training))


class EGNNLayer(nn.Module):
    """One E(n)-equivariant layer (Satorras et al. 2021): messages from ``(h_i, h_j, |x_i - x_j|^2)``, a coordinate
    update along ``x_i - x_j`` (mean over the others), a residual node update."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.edge = nn.Sequential(nn.Linear(2 * d + 1, d), nn.SiLU(), nn.Linear(d, d), nn.SiLU())
        self.coord = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, 1, bias=False))
        nn.init.xavier_uniform_(self.coord[-1].weight, gain=0.001)
        self.node = nn.Sequential(nn.Linear(2 * d, d), nn.SiLU(), nn.Linear(d, d))

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, d = h.shape
        diff = x[:, :, None] - x[:, None]
        d2 = (diff ** 2).sum(-1, keepdim=True)
        m = self.edge(torch.cat([h[:, :, None].expand(b, n, n, d), h[:, None].expand(b, n, n, d), d2], -1))
        off = (1 - torch.eye(n))[None, :, :, None]
        m = m * off
        x = x + (diff * self.coord(m) * off).sum(2) / (n - 1)
        return h + self.node(torch.cat([h, m.sum(2)], -1)), x


class EGNN(nn.Module):
    """Three EGNN layers over point clouds with atom types, a sum readout to one energy per cloud."""

    def __init__(self, types: int = 2, d: int = 32, layers: int = 3) -> None:
        super().__init__()
        self.embed = nn.Embedding(types, d)
        self.layers = nn.ModuleList(EGNNLayer(d) for _ in range(layers))
        self.readout = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, 1))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        t, x = inputs
        h = self.embed(t)
        for layer in self.layers:
            h, x = layer(h, x)
        return self.readout(h).sum((1, 2))


class ArcFace(nn.Module):
    """An MLP embedding (BatchNorm, as in insightface's neck) under an ArcFace head (Deng et al. 2019): logits
    ``s * cos(theta + m)`` for the target, ``s * cos(theta)`` otherwise, with the usual ``th``/``mm`` fallback.
    ``acos_slip``: ``theta`` computed as ``torch.acos(cos)`` of the unclamped cosine (insightface's formulation
    through ``sin = sqrt(1 - cos^2)`` avoided)."""

    def __init__(self, d: int = 32, classes: int = 10, embed: int = 64, s: float = 30.0, m: float = 0.5,
                 act: type[nn.Module] = nn.ReLU, acos_slip: bool = False) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, 128), nn.BatchNorm1d(128), act(), nn.Linear(128, 128),
                                 nn.BatchNorm1d(128), act(), nn.Linear(128, embed), nn.BatchNorm1d(embed))
        self.weight = nn.Parameter(torch.empty(classes, embed))
        nn.init.xavier_uniform_(self.weight)
        self.s, self.m, self.acos_slip = s, m, acos_slip

    def cosine(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(x)) @ F.normalize(self.weight).t()

    def margin_logits(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        cos = self.cosine(x)
        if self.acos_slip:
            target = torch.cos(torch.acos(cos) + self.m)
        else:
            sin = (1 - cos ** 2).clamp(1e-6, 1).sqrt()
            target = cos * math.cos(self.m) - sin * math.sin(self.m)
            target = torch.where(cos > math.cos(math.pi - self.m), target,
                                 cos - math.sin(math.pi - self.m) * self.m)
        onehot = F.one_hot(y, cos.shape[1]).bool()
        return self.s * torch.where(onehot, target, cos)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.s * self.cosine(x)


class DuelingQNet(nn.Module):
    """The dueling Q-network (Wang et al. 2016) on state vectors: a shared MLP, a value stream and an advantage
    stream, ``Q = V + A - mean(A)``."""

    def __init__(self, state: int = 8, actions: int = 4, hidden: int = 64, out_act: nn.Module | None = None
                 ) -> None:
        super().__init__()
        self.out_act = out_act or nn.Identity()
        self.body = nn.Sequential(nn.Linear(state, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.value = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.adv = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, actions))

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        h = self.body(s)
        a = self.adv(h)
        return self.out_act(self.value(h) + a - a.mean(1, keepdim=True))


def sparsemax(z: torch.Tensor) -> torch.Tensor:
    """Sparsemax (Martins and Astudillo 2016) over the last dimension."""
    zs, _ = z.sort(-1, descending=True)
    k = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cum = zs.cumsum(-1)
    support = (1 + k * zs > cum).to(z.dtype)
    kz = support.sum(-1, keepdim=True)
    tau = ((zs * support).sum(-1, keepdim=True) - 1) / kz
    return (z - tau).clamp(min=0)


class GLULayer(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.fc, self.bn = nn.Linear(cin, 2 * cout, bias=False), nn.BatchNorm1d(2 * cout, momentum=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.glu(self.bn(self.fc(x)), -1)


class TabNet(nn.Module):
    """TabNet (Arik and Pfister 2021), small: an input BatchNorm, a feature transformer of two shared and two
    step-specific GLU layers (residual, scaled by sqrt(0.5)), ``steps`` decision steps whose attentive transformers
    pick features by sparsemax under a prior (relaxation ``gamma``), the decision outputs summed into one logit.
    Returns ``(logit, mask entropy)`` (the sparsity regulariser, ``-mask * log(mask + 1e-10)``; ``entropy_eps=0``:
    the ``1e-10`` left out, and sparsemax's exact zeros give ``0 * log(0) = NaN``)."""

    def __init__(self, features: int = 16, nd: int = 8, steps: int = 3, gamma: float = 1.3,
                 entropy_eps: float = 1e-10) -> None:
        super().__init__()
        self.entropy_eps = entropy_eps
        self.nd, self.steps, self.gamma = nd, steps, gamma
        self.bn = nn.BatchNorm1d(features, momentum=0.02)
        self.shared = nn.ModuleList([GLULayer(features, 2 * nd), GLULayer(2 * nd, 2 * nd)])
        self.specific = nn.ModuleList(nn.ModuleList([GLULayer(2 * nd, 2 * nd), GLULayer(2 * nd, 2 * nd)])
                                      for _ in range(steps + 1))
        self.attentive = nn.ModuleList(nn.Sequential(nn.Linear(nd, features, bias=False),
                                                     nn.BatchNorm1d(features, momentum=0.02)) for _ in range(steps))
        self.head = nn.Linear(nd, 1)

    def transform(self, x: torch.Tensor, i: int) -> torch.Tensor:
        h = self.shared[0](x)
        for layer in [self.shared[1], *self.specific[i]]:
            h = (h + layer(h)) * math.sqrt(0.5)
        return h

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.bn(x)
        prior = torch.ones_like(x)
        a = self.transform(x, 0)[:, self.nd:]
        out, entropy = 0.0, x.new_zeros(())
        for i in range(self.steps):
            mask = sparsemax(self.attentive[i](a) * prior)
            prior = prior * (self.gamma - mask)
            entropy = entropy + (-mask * torch.log(mask + self.entropy_eps)).sum(1).mean() / self.steps
            h = self.transform(x * mask, i + 1)
            out = out + F.relu(h[:, :self.nd])
            a = h[:, self.nd:]
        return self.head(out).squeeze(1), entropy


class ResidualBlock(nn.Module):
    """TiDE's residual block: ``LayerNorm(dropout(W2 relu(W1 x)) + W_skip x)``."""

    def __init__(self, cin: int, hidden: int, cout: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(cin, hidden), nn.ReLU(), nn.Linear(hidden, cout), nn.Dropout(dropout))
        self.skip, self.ln = nn.Linear(cin, cout), nn.LayerNorm(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(self.mlp(x) + self.skip(x))


class TiDE(nn.Module):
    """TiDE (Das et al. 2023) without covariates, channel-independent: a dense encoder (two residual blocks) and
    decoder (one) from the look-back to ``horizon x p`` features, a temporal decoder (a residual block per step) to one
    value per step, plus a linear residual from the look-back to the horizon. ``reinit_slip``: the model's
    ``reset_parameters()`` (its own re-initialisation, meant for ``__init__``) called at the top of ``forward``."""

    def __init__(self, window: int = 48, horizon: int = 12, hidden: int = 64, p: int = 4,
                 reinit_slip: bool = False) -> None:
        super().__init__()
        self.horizon, self.p, self.reinit_slip = horizon, p, reinit_slip
        self.encoder = nn.Sequential(ResidualBlock(window, hidden, hidden), ResidualBlock(hidden, hidden, hidden))
        self.decoder = ResidualBlock(hidden, hidden, horizon * p)
        self.temporal = ResidualBlock(p, hidden, 1)
        self.lookback = nn.Linear(window, horizon)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, window, channels)
        if self.reinit_slip:
            self.reset_parameters()
        b, _, c = x.shape
        xc = x.transpose(1, 2).reshape(b * c, -1)
        dec = self.decoder(self.encoder(xc)).view(b * c, self.horizon, self.p)
        y = self.temporal(dec).squeeze(-1) + self.lookback(xc)
        return y.view(b, c, self.horizon).transpose(1, 2)


class VelocityMLP(nn.Module):
    """Flow matching's velocity field (Lipman et al. 2023; rectified flow): an MLP of ``(x_t, t)`` with SiLU."""

    def __init__(self, dim: int = 2, hidden: int = 128, act: type[nn.Module] = nn.SiLU) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim + 1, hidden), act(), nn.Linear(hidden, hidden), act(),
                                 nn.Linear(hidden, hidden), act(), nn.Linear(hidden, dim))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, t = inputs
        return self.net(torch.cat([x, t], 1))
