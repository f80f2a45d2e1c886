"""Hand-written models of the twenty-first held-out batch (``fresh20.py``): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- MobileOne: re-parameterisable multi-branch blocks ---------------------------------------------------------------


def _conv_bn(cin: int, cout: int, k: int, stride: int, groups: int, bn: bool) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=not bn),
                         nn.BatchNorm2d(cout) if bn else nn.Identity())


class MobileOneUnit(nn.Module):
    """One train-time MobileOne unit: ``k`` parallel conv-BN branches of kernel ``ksize``, a 1x1 conv-BN scale branch
    (3x3 units only) and a BN identity branch (when shapes allow), summed, then ReLU."""

    def __init__(self, cin: int, cout: int, ksize: int, stride: int, groups: int, k: int = 2, bn: bool = True) -> None:
        super().__init__()
        self.branches = nn.ModuleList([_conv_bn(cin, cout, ksize, stride, groups, bn) for _ in range(k)])
        self.scale = _conv_bn(cin, cout, 1, stride, groups, bn) if ksize > 1 else None
        self.skip = (nn.BatchNorm2d(cout) if bn else nn.Identity()) if cin == cout and stride == 1 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = sum(b(x) for b in self.branches)
        if self.scale is not None:
            out = out + self.scale(x)
        if self.skip is not None:
            out = out + self.skip(x)
        return F.relu(out)


class MobileOne(nn.Module):
    """MobileOne (Vasu et al. 2023) in miniature: a 3x3 stem unit, then blocks of a depth-wise 3x3 unit and a
    point-wise 1x1 unit (16 -> 32 stride 2, 32 -> 32, 32 -> 64 stride 2), global pooling, a linear head; ``bn``:
    the BatchNorms (False: every one the identity, the convs with biases)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = [MobileOneUnit(3, 16, 3, 1, 1, k=1, bn=bn)]
        for cin, cout, s in ((16, 32, 2), (32, 32, 1), (32, 64, 2)):
            layers += [MobileOneUnit(cin, cin, 3, s, cin, bn=bn), MobileOneUnit(cin, cout, 1, 1, 1, bn=bn)]
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


# ---- SRCNN -----------------------------------------------------------------------------------------------------------


class SRCNN(nn.Module):
    """SRCNN (Dong et al. 2014): 9x9 patch extraction (32 maps), 1x1 non-linear mapping (16), 5x5 reconstruction, on
    the bicubic-upsampled input; ``plain_layers``: that many extra 3x3 conv-ReLU layers of 32 maps inserted after the
    first (a deep plain stack, no skip)."""

    def __init__(self, plain_layers: int = 0) -> None:
        super().__init__()
        mid: list[nn.Module] = []
        for _ in range(plain_layers):
            mid += [nn.Conv2d(32, 32, 3, padding=1), nn.ReLU()]
        self.net = nn.Sequential(nn.Conv2d(1, 32, 9, padding=4), nn.ReLU(), *mid, nn.Conv2d(32, 16, 1), nn.ReLU(),
                                 nn.Conv2d(16, 1, 5, padding=2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


# ---- NFM: Neural Factorization Machines ------------------------------------------------------------------------------


class NFM(nn.Module):
    """NFM (He & Chua 2017): a global bias, first-order weights, the Bi-Interaction pooling of 16-dim embeddings
    (``((sum v)^2 - sum v^2) / 2``), BatchNorm and dropout 0.5 on it, one hidden ReLU layer of 16, a linear output."""

    def __init__(self, features: int = 60, dim: int = 16, hidden: int = 16) -> None:
        super().__init__()
        self.emb, self.lin = nn.Embedding(features, dim), nn.Embedding(features, 1)
        nn.init.normal_(self.emb.weight, 0.0, 0.01)
        nn.init.zeros_(self.lin.weight)
        self.bias = nn.Parameter(torch.zeros(()))
        self.bn, self.drop = nn.BatchNorm1d(dim), nn.Dropout(0.5)
        self.hidden, self.out = nn.Linear(dim, hidden), nn.Linear(hidden, 1, bias=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        v = self.emb(ids)
        bi = 0.5 * (v.sum(1) ** 2 - (v ** 2).sum(1))
        h = F.relu(self.hidden(self.drop(self.bn(bi))))
        return self.bias + self.lin(ids).sum((1, 2)) + self.out(h).squeeze(1)


# ---- TransE ----------------------------------------------------------------------------------------------------------


class TransE(nn.Module):
    """TransE (Bordes et al. 2013): entities and relations in R^k, ``d(h + r, t)`` the L1 distance, a margin
    ranking loss of 1 against a corrupted tail; both tables initialised U(-6/sqrt(k), 6/sqrt(k)), relations
    normalised once, entities renormalised to unit L2 norm before each step (by :class:`TransESGD`)."""

    def __init__(self, entities: int = 64, relations: int = 4, dim: int = 16, margin: float = 1.0) -> None:
        super().__init__()
        self.ent, self.rel = nn.Embedding(entities, dim), nn.Embedding(relations, dim)
        bound = 6 / math.sqrt(dim)
        with torch.no_grad():
            self.ent.weight.uniform_(-bound, bound)
            self.rel.weight.uniform_(-bound, bound)
            self.rel.weight.div_(self.rel.weight.norm(dim=1, keepdim=True))
        self.margin = margin

    def forward(self, triples: torch.Tensor) -> torch.Tensor:
        """The margin loss of ``(h, r, t, t_corrupt)`` rows."""
        h, r, t, tc = (self.ent(triples[:, 0]), self.rel(triples[:, 1]), self.ent(triples[:, 2]),
                       self.ent(triples[:, 3]))
        pos, neg = (h + r - t).abs().sum(1), (h + r - tc).abs().sum(1)
        return F.relu(self.margin + pos - neg).mean()


class TransESGD(torch.optim.SGD):
    """SGD that renormalises the entity table before each step (TransE's constraint ``||e|| = 1``); ``whole``: the
    table divided by its one global norm, ``w / w.norm()``, where ``w / w.norm(dim=1, keepdim=True)`` belongs."""

    def __init__(self, model: TransE, whole: bool = False, **kw: float) -> None:
        super().__init__(model.parameters(), **kw)
        self.ent, self.whole = model.ent.weight, whole
        self.renorm()

    @torch.no_grad()
    def renorm(self) -> None:
        w = self.ent
        w.div_(w.norm() if self.whole else w.norm(dim=1, keepdim=True))

    def step(self, closure=None):  # type: ignore[no-untyped-def, override]
        loss = super().step(closure)
        self.renorm()
        return loss


# ---- Phased LSTM -----------------------------------------------------------------------------------------------------


class PhasedLSTM(nn.Module):
    """The Phased LSTM (Neil et al. 2016): an LSTM cell whose cell and hidden updates pass through a time gate
    ``k_t`` open a share ``r_on`` 0.05 of each neuron's period ``tau`` (``exp(U(0, 3))``, shift ``s ~ U(0, tau)``),
    leak 0.001 when closed; a linear head on the last state. ``detach_each_step``: the state detached after every
    step (a truncation meant between batches written inside the time loop: no gradient through time)."""

    def __init__(self, hidden: int = 64, classes: int = 4, detach_each_step: bool = False,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(1, hidden)
        if recurrent_std is not None:
            nn.init.normal_(self.cell.weight_hh, 0.0, recurrent_std)
        self.log_tau = nn.Parameter(torch.rand(hidden) * 3)
        self.shift = nn.Parameter(torch.rand(hidden) * self.log_tau.detach().exp())
        self.r_on, self.alpha, self.detach = 0.05, 1e-3, detach_each_step
        self.head = nn.Linear(hidden, classes)

    def gate(self, t: torch.Tensor) -> torch.Tensor:
        tau = self.log_tau.exp()
        phi = torch.remainder(t[:, None] - self.shift, tau) / tau
        up, down = 2 * phi / self.r_on, 2 - 2 * phi / self.r_on
        return torch.where(phi < self.r_on / 2, up, torch.where(phi < self.r_on, down, self.alpha * phi))

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, times = inp
        b, n = x.shape
        h = c = x.new_zeros(b, self.cell.hidden_size)
        for i in range(n):
            h_new, c_new = self.cell(x[:, i:i + 1], (h, c))
            k = self.gate(times[:, i])
            c, h = k * c_new + (1 - k) * c, k * h_new + (1 - k) * h
            if self.detach:
                h, c = h.detach(), c.detach()
        return self.head(h)


# ---- GRU-D -----------------------------------------------------------------------------------------------------------


class GRUD(nn.Module):
    """GRU-D (Che et al. 2018): a GRU over ``[x_hat, mask]`` where a missing input decays from its last observation
    towards the empirical mean (``gamma_x = exp(-relu(w_x * delta + b_x))``, diagonal) and the state decays by
    ``gamma_h = exp(-relu(W_h delta + b_h))``; a linear head on the last state. ``recurrent_std``: the GRU's
    recurrent weights drawn N(0, std^2); ``reset_inside_loop``: the state's ``h = zeros`` line indented into the
    time loop."""

    def __init__(self, d: int = 3, hidden: int = 32, classes: int = 4, recurrent_std: float | None = None,
                 reset_inside_loop: bool = False) -> None:
        super().__init__()
        self.cell = nn.GRUCell(2 * d, hidden)
        if recurrent_std is not None:
            nn.init.normal_(self.cell.weight_hh, 0.0, recurrent_std)
        self.wx, self.bx = nn.Parameter(0.1 * torch.randn(d)), nn.Parameter(torch.zeros(d))
        self.gh = nn.Linear(d, hidden)
        self.head = nn.Linear(hidden, classes)
        self.hidden, self.reset = hidden, reset_inside_loop

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, m, delta = inp
        b, n, _ = x.shape
        mean = (m * x).sum((0, 1)) / m.sum((0, 1)).clamp_min(1)
        last, h = mean.expand(b, -1), x.new_zeros(b, self.hidden)
        for i in range(n):
            if self.reset:
                h = x.new_zeros(b, self.hidden)
            xi, mi, di = x[:, i], m[:, i], delta[:, i]
            gx = torch.exp(-F.relu(self.wx * di + self.bx))
            x_hat = mi * xi + (1 - mi) * (gx * last + (1 - gx) * mean)
            last = mi * xi + (1 - mi) * last
            h = torch.exp(-F.relu(self.gh(di))) * h
            h = self.cell(torch.cat([x_hat, mi], 1), h)
        return self.head(h)


# ---- LSTNet ----------------------------------------------------------------------------------------------------------


class LSTNet(nn.Module):
    """LSTNet (Lai et al. 2018): a Conv1d over the window (kernel 4, 16 maps, ReLU, dropout 0.2), a GRU of 16 and a
    skip-GRU of 8 over steps ``period`` apart, a linear layer to every series, plus the highway autoregressive
    component (a linear map of each series' last 8 values)."""

    def __init__(self, series: int = 8, window: int = 24, period: int = 6, ar: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv1d(series, 16, 4)
        self.drop = nn.Dropout(0.2)
        self.gru, self.skip = nn.GRU(16, 16, batch_first=True), nn.GRU(16, 8, batch_first=True)
        self.period, self.ar = period, ar
        self.steps = (window - 3) // period
        self.out = nn.Linear(16 + 8 * period, series)
        self.highway = nn.Linear(ar, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        c = self.drop(F.relu(self.conv(x.transpose(1, 2)))).transpose(1, 2)
        _, h = self.gru(c)
        p, k = self.period, self.steps
        cs = c[:, -p * k:].reshape(b, k, p, 16).transpose(1, 2).reshape(b * p, k, 16)
        _, hs = self.skip(cs)
        y = self.out(torch.cat([h[0], hs[0].reshape(b, p * 8)], 1))
        ar = self.highway(x[:, -self.ar:].transpose(1, 2)).squeeze(2)
        return y + ar


# ---- T-GCN -----------------------------------------------------------------------------------------------------------


class TGCN(nn.Module):
    """T-GCN (Zhao et al. 2019): a GRU whose gates and candidate are graph convolutions ``A [x, h] W`` over the road
    graph (hidden 16 per node), a linear read-out of the last state to the next speed of every node."""

    def __init__(self, adj: torch.Tensor, hidden: int = 16) -> None:
        super().__init__()
        self.register_buffer("adj", adj)
        self.gates, self.cand = nn.Linear(1 + hidden, 2 * hidden), nn.Linear(1 + hidden, hidden)
        nn.init.constant_(self.gates.bias, 1.0)
        self.out, self.hidden = nn.Linear(hidden, 1), hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, nodes = x.shape
        h = x.new_zeros(b, nodes, self.hidden)
        for i in range(n):
            xi = x[:, i, :, None]
            ru = torch.sigmoid(self.adj @ self.gates(torch.cat([xi, h], 2)))
            r, u = ru.chunk(2, 2)
            c = torch.tanh(self.adj @ self.cand(torch.cat([xi, r * h], 2)))
            h = u * h + (1 - u) * c
        return self.out(h).squeeze(2)


# ---- Modern Hopfield pooling -----------------------------------------------------------------------------------------


class HopfieldPooling(nn.Module):
    """Hopfield pooling (Ramsauer et al. 2021): a learned state pattern retrieves from the set's stored patterns by
    one update ``softmax(beta Q K^T) V``, ``beta = 1/sqrt(d)``, four heads; a Linear-ReLU embedding before and a
    linear classifier after."""

    def __init__(self, d_in: int = 16, dim: int = 32, heads: int = 4, classes: int = 4) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(d_in, dim), nn.ReLU())
        self.query = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.heads, self.head = heads, nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        y = self.embed(x)
        hd = y.shape[2] // self.heads
        q = self.q(self.query).view(1, self.heads, 1, hd)
        k = self.k(y).view(b, n, self.heads, hd).transpose(1, 2)
        v = self.v(y).view(b, n, self.heads, hd).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(hd), -1)
        return self.head((att @ v).reshape(b, -1))


# ---- a noise-conditional score network (denoising score matching) ----------------------------------------------------


class ScoreNet(nn.Module):
    """An NCSN-style score network for vectors: an MLP of ``[x, log sigma]`` (Softplus, 128 wide, ``depth`` hidden
    layers), its output divided by sigma (Song & Ermon 2020's parameterisation ``s(x, sigma) = f(x) / sigma``)."""

    def __init__(self, d: int = 8, width: int = 128, depth: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Linear(d + 1, width), nn.Softplus()]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width), nn.Softplus()]
        self.net = nn.Sequential(*layers, nn.Linear(width, d))

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, sigma.log()], 1)) / sigma


# ---- REINFORCE policy ------------------------------------------------------------------------------------------------


class Policy(nn.Module):
    """A softmax policy MLP (8 -> 128 ReLU, dropout 0.6 -> 4 arms), PyTorch's ``examples/reinforce.py`` network."""

    def __init__(self, d: int = 8, arms: int = 4) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, 128), nn.Dropout(0.6), nn.ReLU(), nn.Linear(128, arms))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


# ---- SincNet ---------------------------------------------------------------------------------------------------------


class SincConv(nn.Module):
    """SincNet's first layer: ``filters`` band-pass filters ``2 f2 sinc(2 pi f2 n) - 2 f1 sinc(2 pi f1 n)`` of
    length ``size`` (Hamming-windowed) with learnable low cut-offs and bands, mel-spaced at init; ``naive_sinc``:
    the sinc written ``sin(x) / x`` (0/0 at the centre tap) where ``torch.sinc`` (or the centre's special case)
    belongs."""

    def __init__(self, filters: int = 16, size: int = 65, rate: float = 8000.0, naive_sinc: bool = False) -> None:
        super().__init__()
        mel = torch.linspace(2595 * math.log10(1 + 30 / 700), 2595 * math.log10(1 + 3800 / 700), filters + 1)
        hz = 700 * (10 ** (mel / 2595) - 1)
        self.low, self.band = nn.Parameter(hz[:-1] / rate), nn.Parameter(hz.diff() / rate)
        self.register_buffer("n", torch.arange(-(size // 2), size // 2 + 1).float())
        self.register_buffer("window", torch.hamming_window(size, periodic=False))
        self.naive = naive_sinc

    def _sinc(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x) / x if self.naive else torch.sinc(x / math.pi)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f1 = self.low.abs() + 50 / 8000
        f2 = (f1 + self.band.abs()).clamp(max=0.5)
        arg = 2 * math.pi * self.n
        bp = 2 * f2[:, None] * self._sinc(arg * f2[:, None]) - 2 * f1[:, None] * self._sinc(arg * f1[:, None])
        bp = bp * self.window
        bp = bp / bp.abs().max(1, keepdim=True).values
        return F.conv1d(x, bp[:, None])


class SincNet(nn.Module):
    """SincNet (Ravanelli & Bengio 2018) in miniature: an input LayerNorm, the sinc layer, two Conv1d layers of 16
    (kernel 5), each followed by max-pooling 3, LayerNorm and LeakyReLU 0.2, global average pooling, an MLP of 64
    (LeakyReLU) and a linear classifier. ``norms``: the LayerNorms (False: none)."""

    def __init__(self, samples: int = 2048, classes: int = 8, naive_sinc: bool = False, norms: bool = True) -> None:
        super().__init__()
        self.sinc = SincConv(naive_sinc=naive_sinc)
        self.convs = nn.ModuleList([nn.Conv1d(16, 16, 5), nn.Conv1d(16, 16, 5)])
        lengths = [samples]
        for k in (65, 5, 5):
            lengths.append((lengths[-1] - k + 1) // 3)
        ln = (lambda n: nn.LayerNorm(n)) if norms else (lambda n: nn.Identity())
        self.in_norm = ln(samples)
        self.norms = nn.ModuleList([ln(n) for n in lengths[1:]])
        self.mlp = nn.Sequential(nn.Linear(16, 64), nn.LeakyReLU(0.2), nn.Linear(64, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.in_norm(x)
        for i, layer in enumerate([self.sinc, *self.convs]):
            h = F.leaky_relu(self.norms[i](F.max_pool1d(layer(h), 3)), 0.2)
        return self.mlp(h.mean(2))


# ---- ESIM ------------------------------------------------------------------------------------------------------------


class ESIM(nn.Module):
    """ESIM (Chen et al. 2017): BiLSTM encodings of premise and hypothesis, soft alignment by their dot products
    (each side's padding masked out of the other's softmax), enhancement ``[a, a~, a - a~, a * a~]``, a projection,
    a composition BiLSTM, average and max pooling, a tanh MLP. ``pair_mask``: the mask built over (premise,
    hypothesis) pairs, ``mask_a & mask_b``, and filled with ``-inf`` (a padded token's whole row is masked: its
    softmax is 0/0)."""

    def __init__(self, vocab: int = 40, dim: int = 32, classes: int = 3, pair_mask: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.enc = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.proj = nn.Sequential(nn.Linear(8 * dim, dim), nn.ReLU())
        self.comp = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.mlp = nn.Sequential(nn.Dropout(0.5), nn.Linear(8 * dim, dim), nn.Tanh(), nn.Dropout(0.5),
                                 nn.Linear(dim, classes))
        self.pair_mask = pair_mask

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        pa, pb = inp
        ma, mb = pa != 0, pb != 0
        a, _ = self.enc(self.emb(pa))
        b, _ = self.enc(self.emb(pb))
        e = a @ b.transpose(1, 2)
        if self.pair_mask:
            both = ma[:, :, None] & mb[:, None, :]
            ea, eb = e.masked_fill(~both, float("-inf")), e.masked_fill(~both, float("-inf"))
        else:
            ea, eb = e.masked_fill(~mb[:, None, :], -1e9), e.masked_fill(~ma[:, :, None], -1e9)
        a_t = torch.softmax(ea, 2) @ b
        b_t = torch.softmax(eb, 1).transpose(1, 2) @ a
        va, _ = self.comp(self.proj(torch.cat([a, a_t, a - a_t, a * a_t], 2)))
        vb, _ = self.comp(self.proj(torch.cat([b, b_t, b - b_t, b * b_t], 2)))

        def pool(v: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
            mf = m[..., None].float()
            return torch.cat([(v * mf).sum(1) / mf.sum(1), v.masked_fill(~m[..., None], -1e9).max(1).values], 1)
        return self.mlp(torch.cat([pool(va, ma), pool(vb, mb)], 1))
