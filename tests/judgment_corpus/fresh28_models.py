"""Hand-written models of the twenty-ninth held-out batch (``fresh28.py``), sequence, tabular and graph ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The image models are in ``fresh28_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- language models -------------------------------------------------------------------------------------------------


class MultiplicativeLSTM(nn.Module):
    """The multiplicative LSTM (Krause et al. 2016) as a token LM: an intermediate state ``m = (W_mx x) * (W_mh
    h)`` replaces ``h`` in every gate and in the candidate, one layer of 128 units, embeddings of 64."""

    def __init__(self, vocab: int = 64, emb: int = 64, hidden: int = 128) -> None:
        super().__init__()
        self.hidden = hidden
        self.emb = nn.Embedding(vocab, emb)
        self.wx = nn.Linear(emb, 5 * hidden)  # W_mx and the four gates' input weights (with the biases)
        self.wmh = nn.Linear(hidden, hidden, bias=False)
        self.wm = nn.Linear(hidden, 4 * hidden, bias=False)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = self.wx(self.emb(x))
        b, t, _ = xs.shape
        h = c = xs.new_zeros(b, self.hidden)
        outs = []
        for s in range(t):
            xm, xg = xs[:, s].split([self.hidden, 4 * self.hidden], -1)
            m = xm * self.wmh(h)
            i, f, o, u = (xg + self.wm(m)).chunk(4, -1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(u)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        return self.out(torch.stack(outs, 1))


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class HGRU(nn.Module):
    """HGRN's token mixer (Qin et al. 2023), real-valued: forget gate ``f = lam + (1 - lam) sigmoid(W_f x)`` with the
    layer's lower bound ``lam``, input gate ``1 - f``, candidate ``silu(W_c x)``, ``h_t = f h_{t-1} + (1 - f) c``,
    output ``W_o(norm(h) * sigmoid(W_g x))``."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.fcg = nn.Linear(d, 3 * d)
        self.norm = RMSNorm(d)
        self.o = nn.Linear(d, d)

    def forward(self, x: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
        f, c, g = self.fcg(x).chunk(3, -1)
        f = lam + (1 - lam) * torch.sigmoid(f)
        c = F.silu(c)
        h = x.new_zeros(x.shape[0], x.shape[2])
        hs = []
        for t in range(x.shape[1]):
            h = f[:, t] * h + (1 - f[:, t]) * c[:, t]
            hs.append(h)
        return self.o(self.norm(torch.stack(hs, 1)) * torch.sigmoid(g))


class HGRN(nn.Module):
    """HGRN LM: pre-RMSNorm blocks of an HGRU and a GLU channel mixer; the forget gates' lower bounds
    ``cumsum(softmax(gamma))`` rise with depth, the first layer's 0."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.gamma = nn.Parameter(torch.zeros(layers, d))
        self.mix = nn.ModuleList(HGRU(d) for _ in range(layers))
        self.n1 = nn.ModuleList(RMSNorm(d) for _ in range(layers))
        self.n2 = nn.ModuleList(RMSNorm(d) for _ in range(layers))
        self.glu = nn.ModuleList(nn.Linear(d, 4 * d) for _ in range(layers))
        self.down = nn.ModuleList(nn.Linear(2 * d, d) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        lams = torch.cumsum(torch.softmax(self.gamma, 0), 0)
        for i, mix in enumerate(self.mix):
            lam = lams[i - 1] if i > 0 else torch.zeros_like(lams[0])
            h = h + mix(self.n1[i](h), lam)
            a, b = self.glu[i](self.n2[i](h)).chunk(2, -1)
            h = h + self.down[i](F.silu(a) * b)
        return self.head(self.norm(h))


class GAU(nn.Module):
    """A gated attention unit (FLASH, Hua et al. 2022): ``u, v = silu(W x)`` (expansion 2), a shared ``z = silu(W_z
    x)`` (s = 32) scaled and offset per dimension into ``q`` and ``k``, causal ``relu(q k^T / n + bias)^2`` attention
    (a learned relative-position bias), ``O = W_o(u * A v)``; a pre-ScaleNorm residual."""

    def __init__(self, d: int = 64, s: int = 32, length: int = 32) -> None:
        super().__init__()
        self.e, self.s = 2 * d, s
        self.uvz = nn.Linear(d, 4 * d + s)
        self.gamma = nn.Parameter(torch.randn(2, s) * 0.02)
        self.beta = nn.Parameter(torch.zeros(2, s))
        self.rel = nn.Parameter(torch.zeros(2 * length - 1))
        self.o = nn.Linear(2 * d, d)
        self.g = nn.Parameter(torch.tensor(math.sqrt(d)))
        idx = torch.arange(length)
        self.register_buffer("relidx", idx[None] - idx[:, None] + length - 1, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        h = self.g * x / x.norm(dim=-1, keepdim=True).clamp_min(1e-5)
        u, v, z = F.silu(self.uvz(h)).split([self.e, self.e, self.s], -1)
        q, k = z * self.gamma[0] + self.beta[0], z * self.gamma[1] + self.beta[1]
        a = F.relu(q @ k.transpose(1, 2) / n + self.rel[self.relidx[:n, :n]]) ** 2
        a = a.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), 0.0)
        return x + self.o(u * (a @ v))


class GAULM(nn.Module):
    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.layers = nn.Sequential(*[GAU(d) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.layers(self.emb(x))))


# ---- text classification and recommendation -------------------------------------------------------------------------


class TextRCNN(nn.Module):
    """TextRCNN (Lai et al. 2015): a bidirectional recurrent layer gives each word its left and right contexts,
    ``[c_l; e; c_r]`` through a tanh projection, max-pooled over time, a linear classifier."""

    def __init__(self, vocab: int = 32, emb: int = 50, hidden: int = 32, proj: int = 64, classes: int = 4) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.rnn = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(emb + 2 * hidden, proj)
        self.fc = nn.Linear(proj, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.emb(x)
        ctx, _ = self.rnn(e)
        left, right = ctx.chunk(2, -1)
        y = torch.tanh(self.proj(torch.cat([left, e, right], -1)))
        return self.fc(y.max(1).values)


class Caser(nn.Module):
    """Caser (Tang & Wang 2018): the last ``L = 5`` items' embeddings (d = 50) as an image, horizontal filters of
    heights 1..L (16 each, ReLU, max over time) and 4 vertical filters, a fully connected layer (ReLU, dropout 0.5),
    concatenated with the user's embedding, to scores over the items. ``fc_depth``: that fully connected layer made a
    stack of ``fc_depth`` tanh layers."""

    def __init__(self, items: int = 64, users: int = 50, d: int = 50, window: int = 5, nh: int = 16, nv: int = 4,
                 fc_depth: int = 1) -> None:
        super().__init__()
        self.item, self.user = nn.Embedding(items, d), nn.Embedding(users, d)
        self.h = nn.ModuleList(nn.Conv2d(1, nh, (i, d)) for i in range(1, window + 1))
        self.v = nn.Conv2d(1, nv, (window, 1))
        width = nh * window + nv * d
        fc: list[nn.Module] = [nn.Linear(width, d), nn.ReLU()]
        if fc_depth > 1:
            fc = [m for i in range(fc_depth) for m in (nn.Linear(width if i == 0 else d, d), nn.Tanh())]
        self.fc = nn.Sequential(*fc, nn.Dropout(0.5))
        self.out = nn.Linear(2 * d, items)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        seq, user = inputs
        e = self.item(seq)[:, None]  # (b, 1, L, d)
        hs = [F.relu(conv(e)).squeeze(-1).max(-1).values for conv in self.h]
        z = self.fc(torch.cat([*hs, self.v(e).flatten(1)], 1))
        return self.out(torch.cat([z, self.user(user)], 1))


class AFN(nn.Module):
    """The Adaptive Factorization Network (Cheng et al. 2020): field embeddings (d = 10) through a logarithmic
    transformation layer, ``exp(sum_j w_ij ln |e_j|)`` for 32 log neurons (BatchNorm on the logarithms and on the
    exponentials, as the reference code), then an MLP (two ReLU layers of 64) to the click logit. ``signed_log``:
    ``torch.log(e)`` of the raw embeddings, the ``abs`` and its clamp left out."""

    def __init__(self, cards: tuple[int, ...] = (100, 10, 200, 10, 24, 3), d: int = 10, neurons: int = 32,
                 signed_log: bool = False) -> None:
        super().__init__()
        self.signed_log = signed_log
        self.embs = nn.ModuleList(nn.Embedding(c, d) for c in cards)
        m = len(cards)
        self.log_bn = nn.BatchNorm1d(m)
        self.coef = nn.Linear(m, neurons)
        self.exp_bn = nn.BatchNorm1d(neurons)
        self.mlp = nn.Sequential(nn.Linear(neurons * d, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = torch.stack([emb(x[:, i]) for i, emb in enumerate(self.embs)], 1)  # (b, m, d)
        lg = torch.log(e) if self.signed_log else torch.log(e.abs().clamp_min(1e-5))
        lg = self.log_bn(lg)
        out = torch.exp(self.coef(lg.transpose(1, 2))).transpose(1, 2)  # (b, neurons, d)
        return self.mlp(self.exp_bn(out).flatten(1)).squeeze(-1)


class MatchingNet(nn.Module):
    """A Matching Network (Vinyals et al. 2016) without full-context embeddings: one embedding MLP (two ReLU layers
    of 64 with BatchNorm, as the paper's conv blocks) for support and query, attention ``softmax(cos(f(q), g(s)))``
    over the support set, the predicted distribution the attention-weighted sum of the support labels; returns log
    probabilities."""

    def __init__(self, d_in: int = 32, d: int = 64) -> None:
        super().__init__()
        self.f = nn.Sequential(nn.Linear(d_in, d), nn.BatchNorm1d(d), nn.ReLU(), nn.Linear(d, d), nn.BatchNorm1d(d),
                               nn.ReLU(), nn.Linear(d, d))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        sx, sy, qx = inputs  # (e, ns, d_in), (e, ns) labels 0..n-1, (e, nq, d_in)
        e, ns, _ = sx.shape
        emb = self.f(torch.cat([sx, qx], 1).flatten(0, 1)).view(e, -1, self.f[-1].out_features)
        s, q = F.normalize(emb[:, :ns], dim=-1), F.normalize(emb[:, ns:], dim=-1)
        att = torch.softmax(q @ s.transpose(1, 2), -1)  # (e, nq, ns)
        p = att @ F.one_hot(sy, int(sy.max()) + 1).float()
        return torch.log(p.clamp_min(1e-12)).flatten(0, 1)


# ---- graphs ----------------------------------------------------------------------------------------------------------


def gcn(x: torch.Tensor, adj: torch.Tensor, mask: torch.Tensor, lin: nn.Linear) -> torch.Tensor:
    """A dense GCN layer ``D^-1/2 (A + I) D^-1/2 X W`` over the nodes in ``mask``."""
    a = (adj + torch.eye(adj.shape[-1])) * mask[:, :, None] * mask[:, None, :]
    dinv = a.sum(-1).clamp_min(1).rsqrt()
    return (dinv[:, :, None] * a * dinv[:, None, :]) @ lin(x)


class SAGPool(nn.Module):
    """SAGPool, hierarchical (Lee et al. 2019): three blocks of a GCN layer (ReLU) and self-attention pooling (a GCN
    scores the nodes, the top ``ceil(0.5 n)`` are kept, their features times ``tanh(score)``), a mean||max readout
    after each block, summed, then an MLP (64, 32, dropout 0.5). ``truncate``: the kept count ``int(0.5 n)``, which is
    0 for a graph reduced to one node, whose readout then averages no nodes (0/0)."""

    def __init__(self, d_in: int = 8, d: int = 32, classes: int = 4, ratio: float = 0.5,
                 truncate: bool = False) -> None:
        super().__init__()
        self.ratio, self.truncate = ratio, truncate
        self.convs = nn.ModuleList(nn.Linear(d_in if i == 0 else d, d) for i in range(3))
        self.scores = nn.ModuleList(nn.Linear(d, 1) for _ in range(3))
        self.mlp = nn.Sequential(nn.Linear(2 * d, d), nn.ReLU(), nn.Dropout(0.5), nn.Linear(d, d // 2), nn.ReLU(),
                                 nn.Linear(d // 2, classes))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, adj, mask = inputs
        mask = mask.float()
        out = 0.0
        for conv, score in zip(self.convs, self.scores, strict=True):
            x = F.relu(gcn(x, adj, mask, conv))
            s = gcn(x, adj, mask, score).squeeze(-1)
            n = mask.sum(1)
            k = torch.floor(self.ratio * n) if self.truncate else torch.ceil(self.ratio * n)
            rank = torch.argsort(torch.argsort(s.masked_fill(mask == 0, -math.inf), 1, descending=True), 1)
            mask = (rank < k[:, None]).float() * mask
            x = x * torch.tanh(s)[..., None] * mask[..., None]
            mean = x.sum(1) / mask.sum(1, keepdim=True)
            mx = x.masked_fill(mask[..., None] == 0, -1e4).max(1).values
            out = out + torch.cat([mean, mx], 1)
        return self.mlp(out)
