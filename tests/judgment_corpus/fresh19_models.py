"""Hand-written models of the twentieth held-out batch (``fresh19.py``): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- MoCo: a momentum encoder and a queue of negative keys -----------------------------------------------------------


class MoCoEncoder(nn.Module):
    """A small CNN (three conv-BN-ReLU stages, global pooling) and MoCo v2's two-layer MLP head to 32 dims."""

    def __init__(self, width: int = 32, dim: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for stride in (1, 2, 2):
            layers += [nn.Conv2d(cin, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
            cin = width
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class MoCo(nn.Module):
    """MoCo v2 (He et al. 2020; Chen et al. 2020): a query encoder trained by InfoNCE against its momentum copy's key
    of the other view (momentum ``m`` 0.99) and a queue of ``queue`` earlier keys, temperature ``tau`` 0.2.
    ``norm_dim``: the axis ``F.normalize`` is given for the embeddings (1, the features; 0 normalises each feature
    over the batch instead)."""

    def __init__(self, queue: int = 256, dim: int = 32, m: float = 0.99, tau: float = 0.2, norm_dim: int = 1) -> None:
        super().__init__()
        self.q_enc, self.k_enc = MoCoEncoder(dim=dim), MoCoEncoder(dim=dim)
        self.k_enc.load_state_dict(self.q_enc.state_dict())
        for p in self.k_enc.parameters():
            p.requires_grad_(False)
        self.m, self.tau, self.norm_dim = m, tau, norm_dim
        self.register_buffer("queue", F.normalize(torch.randn(queue, dim), dim=1))
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))
        self.last_keys = torch.zeros(0, dim)

    @torch.no_grad()
    def fill_queue(self, views: list[torch.Tensor]) -> None:
        """Fill the queue with the key encoder's keys of ``views`` (a warm start in place of random keys, which the
        first positive outscores at once)."""
        keys = torch.cat([F.normalize(self.k_enc(v), dim=self.norm_dim) for v in views])
        self.queue.copy_(keys[: self.queue.shape[0]])

    def forward(self, views: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """The logits ``(batch, 1 + queue)``, the positive key first; the keys are kept for :class:`MoCoSGD`."""
        x1, x2 = views
        q = F.normalize(self.q_enc(x1), dim=self.norm_dim)
        with torch.no_grad():
            k = F.normalize(self.k_enc(x2), dim=self.norm_dim)
        self.last_keys = k
        return torch.cat([(q * k).sum(1, keepdim=True), q @ self.queue.t()], 1) / self.tau

    @torch.no_grad()
    def update(self) -> None:
        """MoCo's update after each optimizer step: the key encoder moves towards the query encoder (momentum
        ``m``) and the last batch's keys replace the queue's oldest."""
        for pk, pq in zip(self.k_enc.parameters(), self.q_enc.parameters(), strict=True):
            pk.mul_(self.m).add_(pq, alpha=1 - self.m)
        k = self.last_keys
        n, i = k.shape[0], int(self.ptr)
        self.queue[i:i + n] = k
        self.ptr.fill_((i + n) % self.queue.shape[0])


class MoCoSGD(torch.optim.SGD):
    """SGD whose ``step`` then runs :meth:`MoCo.update` (MoCo's order: the query encoder's step, then the momentum
    update and the enqueue)."""

    def __init__(self, model: MoCo, **kw: float) -> None:
        super().__init__([p for p in model.parameters() if p.requires_grad], **kw)
        self.moco = model

    def step(self, closure=None):  # type: ignore[no-untyped-def, override]
        loss = super().step(closure)
        self.moco.update()
        return loss


# ---- VAN: large-kernel attention -------------------------------------------------------------------------------------


class LKA(nn.Module):
    """Large-kernel attention: a 5x5 depth-wise conv, a 7x7 depth-wise conv of dilation 3 and a 1x1 conv give the
    attention map that multiplies the input."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.dil = nn.Conv2d(dim, dim, 7, padding=9, groups=dim, dilation=3)
        self.pw = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.pw(self.dil(self.dw(x)))


class VANBlock(nn.Module):
    """A VAN block: ``x + ls1 * attn(BN(x))`` and ``x + ls2 * mlp(BN(x))`` (1x1 -> 3x3 depth-wise -> GELU -> 1x1),
    LayerScale 1e-2."""

    def __init__(self, dim: int, ratio: int = 4) -> None:
        super().__init__()
        self.n1, self.n2 = nn.BatchNorm2d(dim), nn.BatchNorm2d(dim)
        self.attn = nn.Sequential(nn.Conv2d(dim, dim, 1), nn.GELU(), LKA(dim), nn.Conv2d(dim, dim, 1))
        hidden = dim * ratio
        self.mlp = nn.Sequential(nn.Conv2d(dim, hidden, 1), nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden),
                                 nn.GELU(), nn.Conv2d(hidden, dim, 1))
        self.ls1 = nn.Parameter(1e-2 * torch.ones(dim, 1, 1))
        self.ls2 = nn.Parameter(1e-2 * torch.ones(dim, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.ls1 * self.attn(self.n1(x))
        return x + self.ls2 * self.mlp(self.n2(x))


class VAN(nn.Module):
    """VAN (Guo et al. 2022) in miniature: overlapping patch embeddings (3x3 stride-2 convs and BN) into two stages
    of 16 and 32 channels, one block each, a LayerNorm on the pooled features, a linear head."""

    def __init__(self, dims: tuple[int, int] = (16, 32), depth: int = 1, classes: int = 10) -> None:
        super().__init__()
        stages: list[nn.Module] = []
        cin = 3
        for d in dims:
            stages += [nn.Conv2d(cin, d, 3, 2, 1), nn.BatchNorm2d(d), *[VANBlock(d) for _ in range(depth)]]
            cin = d
        self.stages = nn.Sequential(*stages)
        self.norm, self.head = nn.LayerNorm(cin), nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.stages(x).mean((2, 3))))


# ---- EDSR ------------------------------------------------------------------------------------------------------------


class ResBlock(nn.Module):
    """EDSR's block: conv-ReLU-conv without BatchNorm, scaled by ``scale`` (0.1) onto the skip; ``residual=False``:
    the plain conv-ReLU-conv-ReLU."""

    def __init__(self, ch: int, scale: float = 0.1, residual: bool = True) -> None:
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(ch, ch, 3, padding=1), nn.Conv2d(ch, ch, 3, padding=1)
        self.scale, self.residual = scale, residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.c2(F.relu(self.c1(x)))
        return x + self.scale * y if self.residual else F.relu(y)


class EDSR(nn.Module):
    """EDSR (Lim et al. 2017) for 2x grey-scale super-resolution: the mean shift, a head conv, ``blocks`` residual
    blocks and a body conv under the long skip, a conv to 4x the channels and the pixel shuffle, a tail conv;
    ``residual=False``: every skip (the blocks' and the long one) left out."""

    def __init__(self, ch: int = 32, blocks: int = 4, residual: bool = True, mean: float = 0.5) -> None:
        super().__init__()
        self.mean, self.residual = mean, residual
        self.head = nn.Conv2d(1, ch, 3, padding=1)
        self.body = nn.Sequential(*[ResBlock(ch, residual=residual) for _ in range(blocks)],
                                  nn.Conv2d(ch, ch, 3, padding=1))
        self.up = nn.Sequential(nn.Conv2d(ch, 4 * ch, 3, padding=1), nn.PixelShuffle(2))
        self.tail = nn.Conv2d(ch, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x - self.mean)
        h = h + self.body(h) if self.residual else self.body(h)
        return self.tail(self.up(h)) + self.mean


# ---- Performer: FAVOR+ causal linear attention -----------------------------------------------------------------------


def _orthogonal_features(m: int, d: int, g: torch.Generator) -> torch.Tensor:
    """``m`` Gaussian random features of dimension ``d``, orthogonal within each block of ``d``, with chi norms."""
    blocks = []
    for _ in range(math.ceil(m / d)):
        q, _ = torch.linalg.qr(torch.randn(d, d, generator=g))
        blocks.append(q.t())
    w = torch.cat(blocks)[:m]
    return w * torch.randn(m, d, generator=g).norm(dim=1, keepdim=True)


class FavorAttention(nn.Module):
    """Causal FAVOR+ (Choromanski et al. 2021): softmax attention approximated by positive random features
    ``exp(w x - |x|^2 / 2)`` (stabilised by their maxima), the causal sums by prefix sums over time."""

    def __init__(self, dim: int, heads: int = 2, features: int = 32, seed: int = 0) -> None:
        super().__init__()
        self.h, self.dh = heads, dim // heads
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        g = torch.Generator().manual_seed(1900 + seed)
        self.register_buffer("w", _orthogonal_features(features, self.dh, g))

    def phi(self, x: torch.Tensor, query: bool) -> torch.Tensor:
        x = x * self.dh ** -0.25
        proj = x @ self.w.t() - (x ** 2).sum(-1, keepdim=True) / 2
        stab = proj.amax(-1, keepdim=True) if query else proj.amax((-1, -2), keepdim=True)
        return torch.exp(proj - stab.detach()) + 1e-6

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        pq, pk = self.phi(q, True), self.phi(k, False)
        kv = torch.cumsum(pk[..., :, None] * v[..., None, :], dim=2)
        num = (pq[..., :, None] * kv).sum(-2)
        den = (pq * torch.cumsum(pk, dim=2)).sum(-1, keepdim=True)
        return self.out((num / den).transpose(1, 2).reshape(b, t, -1))


class PerformerLM(nn.Module):
    """A pre-LN Performer LM: token and learned position embeddings, ``layers`` blocks of FAVOR+ attention and a
    GELU MLP, a final LayerNorm, a tied output."""

    def __init__(self, vocab: int = 64, dim: int = 64, layers: int = 2, length: int = 32) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, dim), nn.Parameter(0.02 * torch.randn(length, dim))
        self.blocks = nn.ModuleList()
        for i in range(layers):
            self.blocks.append(nn.ModuleDict({
                "n1": nn.LayerNorm(dim), "attn": FavorAttention(dim, seed=i), "n2": nn.LayerNorm(dim),
                "mlp": nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))}))
        self.norm = nn.LayerNorm(dim)
        nn.init.normal_(self.tok.weight, std=0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.tok(ids) + self.pos[: ids.shape[1]]
        for blk in self.blocks:
            x = x + blk["attn"](blk["n1"](x))
            x = x + blk["mlp"](blk["n2"](x))
        return self.norm(x) @ self.tok.weight.t()


# ---- Dilated RNN -----------------------------------------------------------------------------------------------------


class DilatedRNN(nn.Module):
    """The Dilated RNN (Chang et al. 2017): a stack of vanilla tanh RNN layers of 32 units whose recurrent
    connections skip 1, 2, 4 and 8 steps (a layer of dilation ``d`` runs ``d`` interleaved sub-sequences), the last
    step of the top layer to a linear classifier. ``recurrent_std``: every recurrent matrix drawn N(0, std^2);
    ``chunked``: the sub-sequences cut by ``x.reshape(b * d, t // d, h)``, ``d`` contiguous chunks each run from a
    zero state, where ``view(b, t // d, d, h).transpose(1, 2)`` interleaves them (no connection skips steps, and
    the chunks' borders cut the rest)."""

    def __init__(self, vocab: int = 32, dim: int = 32, classes: int = 4, dilations: tuple[int, ...] = (1, 2, 4, 8),
                 recurrent_std: float | None = None, chunked: bool = False) -> None:
        super().__init__()
        self.emb, self.dilations, self.chunked = nn.Embedding(vocab, dim), dilations, chunked
        self.rnns = nn.ModuleList([nn.RNN(dim, dim, batch_first=True) for _ in dilations])
        self.fc = nn.Linear(dim, classes)
        if recurrent_std is not None:
            with torch.no_grad():
                for rnn in self.rnns:
                    rnn.weight_hh_l0.normal_(0.0, recurrent_std)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.emb(ids)
        b, t, h = x.shape
        for d, rnn in zip(self.dilations, self.rnns, strict=True):
            if self.chunked:  # the slip: a plain reshape cuts d contiguous chunks instead of interleaving
                out, _ = rnn(x.reshape(b * d, t // d, h))
                x = out.reshape(b, t, h)
                continue
            sub = x.view(b, t // d, d, h).transpose(1, 2).reshape(b * d, t // d, h)
            out, _ = rnn(sub)
            x = out.view(b, d, t // d, h).transpose(1, 2).reshape(b, t, h)
        return self.fc(x[:, -1])


# ---- MaLSTM: a Siamese LSTM with the Manhattan similarity ------------------------------------------------------------


class MaLSTM(nn.Module):
    """MaLSTM (Mueller and Thyagarajan 2016): one LSTM of 50 units reads both sentences, the similarity is
    ``exp(-|h_a - h_b|_1)`` of the last hidden states. ``recurrent_std``: the recurrent matrix drawn N(0, std^2)."""

    def __init__(self, vocab: int = 40, dim: int = 32, hidden: int = 50, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.emb, self.lstm = nn.Embedding(vocab, dim), nn.LSTM(dim, hidden, batch_first=True)
        if recurrent_std is not None:
            with torch.no_grad():
                self.lstm.weight_hh_l0.normal_(0.0, recurrent_std)

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lstm(self.emb(ids))[1][0][-1]

    def forward(self, pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return torch.exp(-(self.encode(pair[0]) - self.encode(pair[1])).abs().sum(1))


# ---- DGI: Deep Graph Infomax -----------------------------------------------------------------------------------------


class DGI(nn.Module):
    """Deep Graph Infomax (Velickovic et al. 2019): a GCN encoder (``layers`` layers of 64, PReLU), the summary
    ``sigmoid(mean(H))``, a bilinear discriminator scoring the real graph's nodes against the summary (positives)
    and the row-shuffled graph's (negatives). ``bce``: ``"logits"`` (``F.binary_cross_entropy_with_logits``) or
    ``"manual"`` (``-log(sigmoid(s))`` and ``-log(1 - sigmoid(s))`` written out: ``1 - sigmoid(s)`` rounds to 0 in
    float32 for ``s > 17``, and the log of 0 is -inf); ``residual``: every layer after the first adds its input."""

    def __init__(self, d: int = 32, hidden: int = 64, layers: int = 1, bce: str = "logits", residual: bool = False
                 ) -> None:
        super().__init__()
        dims = [d] + [hidden] * layers
        self.gcn = nn.ModuleList([nn.Linear(a, b, bias=False) for a, b in itertools.pairwise(dims)])
        self.act = nn.ModuleList([nn.PReLU() for _ in range(layers)])
        self.bil = nn.Bilinear(hidden, hidden, 1)
        self.bce, self.residual = bce, residual

    def embed(self, a: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        for i, (lin, act) in enumerate(zip(self.gcn, self.act, strict=True)):
            x = x + act(a @ lin(x)) if self.residual and i else act(a @ lin(x))
        return x

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """The discriminator's loss on one graph ``(normalised adjacency, features, corruption permutation)``."""
        a, x, perm = batch
        h_pos, h_neg = self.embed(a, x), self.embed(a, x[perm])
        s = torch.sigmoid(h_pos.mean(0, keepdim=True)).expand_as(h_pos)
        logits = torch.cat([self.bil(h_pos, s), self.bil(h_neg, s)]).squeeze(1)
        target = torch.cat([torch.ones(len(x)), torch.zeros(len(x))])
        if self.bce == "manual":
            p = torch.sigmoid(logits)
            return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()
        return F.binary_cross_entropy_with_logits(logits, target)


# ---- AFM: attentional factorisation machine --------------------------------------------------------------------------


class AFM(nn.Module):
    """The attentional factorisation machine (Xiao et al. 2017): field embeddings of 16, every pair's element-wise
    product weighted by a softmax attention network (hidden 16, ReLU), pooled and projected, plus the linear terms;
    dropout 0.2 on the pooled interactions. Returns the click logit."""

    def __init__(self, fields: int = 6, values: int = 10, k: int = 16, att: int = 16, dropout: float = 0.2) -> None:
        super().__init__()
        self.emb, self.lin = nn.Embedding(fields * values, k), nn.Embedding(fields * values, 1)
        self.bias = nn.Parameter(torch.zeros(1))
        self.att = nn.Sequential(nn.Linear(k, att), nn.ReLU(), nn.Linear(att, 1, bias=False))
        self.p, self.drop = nn.Linear(k, 1, bias=False), nn.Dropout(dropout)
        self.register_buffer("offsets", torch.arange(fields) * values)
        i, j = torch.triu_indices(fields, fields, 1)
        self.register_buffer("i", i)
        self.register_buffer("j", j)
        nn.init.normal_(self.emb.weight, std=0.01)
        nn.init.zeros_(self.lin.weight)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        ids = ids + self.offsets
        e = self.emb(ids)
        pairs = e[:, self.i] * e[:, self.j]
        w = torch.softmax(self.att(pairs), dim=1)
        pooled = self.drop((w * pairs).sum(1))
        return self.bias + self.lin(ids).sum((1, 2)) + self.p(pooled).squeeze(1)


# ---- NICE ------------------------------------------------------------------------------------------------------------


class NICE(nn.Module):
    """NICE (Dinh et al. 2015): four additive coupling layers (alternating halves; each shift an MLP of two hidden
    ReLU layers of 64) and the diagonal scaling ``exp(s)``, a standard logistic prior; returns the negative
    log-likelihood in nats per dimension."""

    def __init__(self, d: int = 8, hidden: int = 64, couplings: int = 4) -> None:
        super().__init__()
        half = d // 2
        self.nets = nn.ModuleList([nn.Sequential(nn.Linear(half, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                                 nn.ReLU(), nn.Linear(hidden, half)) for _ in range(couplings)])
        self.s = nn.Parameter(torch.zeros(d))
        self.half = half

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, net in enumerate(self.nets):
            a, b = x[:, :self.half], x[:, self.half:]
            if i % 2:
                a, b = b, a
            b = b + net(a)
            x = torch.cat([b, a], 1) if i % 2 else torch.cat([a, b], 1)
        h = x * torch.exp(self.s)
        log_prior = -(F.softplus(h) + F.softplus(-h)).sum(1)
        return -(log_prior + self.s.sum()).mean() / x.shape[1]


# ---- CRNN: a convolutional-recurrent audio tagger --------------------------------------------------------------------


class CRNN(nn.Module):
    """A CRNN audio classifier (Cakir et al. 2017): the log power spectrogram (STFT 128, hop 64) of the waveform,
    three conv-BN-ReLU blocks pooling only frequency, a bidirectional GRU of 32 over time, the mean over time to
    a linear classifier. ``log_eps``: the constant added before the log (0: ``log(power)`` itself, ``-inf`` for
    silence); ``standardise_dim``: the waveform ``(batch, 1, samples)`` standardised over this axis first (None: not
    at all); ``bn``: the BatchNorms (False: none)."""

    def __init__(self, classes: int = 9, width: int = 16, log_eps: float = 1e-10, standardise_dim: int | None = -1,
                 bn: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for _ in range(3):
            norm = nn.BatchNorm2d(width) if bn else nn.Identity()
            layers += [nn.Conv2d(cin, width, 3, padding=1), norm, nn.ReLU(), nn.MaxPool2d((4, 1))]
            cin = width
        self.conv = nn.Sequential(*layers)
        self.gru = nn.GRU(width, 32, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(64, classes)
        self.log_eps, self.standardise_dim = log_eps, standardise_dim
        self.register_buffer("window", torch.hann_window(128))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        if self.standardise_dim is not None:
            mu = wave.mean(self.standardise_dim, keepdim=True)
            sd = wave.std(self.standardise_dim, keepdim=True, unbiased=False)
            wave = (wave - mu) / (sd + 1e-5)
        spec = torch.stft(wave[:, 0], 128, 64, window=self.window, return_complex=True).abs() ** 2
        h = self.conv(torch.log(spec + self.log_eps)[:, None])  # (batch, width, freq', time)
        h = h.mean(2).transpose(1, 2)
        return self.fc(self.gru(h)[0].mean(1))


# ---- A2C on a contextual bandit --------------------------------------------------------------------------------------


def _orthogonal(layer: nn.Linear, gain: float) -> nn.Linear:
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.zeros_(layer.bias)
    return layer


class ActorCritic(nn.Module):
    """A2C's MLP policy (the baselines / Stable-Baselines3 default): separate policy and value networks of two tanh
    layers of 64, orthogonal init (gain sqrt 2; 0.01 for the policy head, 1 for the value head)."""

    def __init__(self, d: int = 8, actions: int = 4, hidden: int = 64) -> None:
        super().__init__()
        self.pi, self.vf = self._mlp(d, hidden, actions, 0.01), self._mlp(d, hidden, 1, 1.0)

    @staticmethod
    def _mlp(d: int, hidden: int, out: int, gain: float) -> nn.Sequential:
        g = math.sqrt(2)
        return nn.Sequential(_orthogonal(nn.Linear(d, hidden), g), nn.Tanh(), _orthogonal(nn.Linear(hidden, hidden), g),
                             nn.Tanh(), _orthogonal(nn.Linear(hidden, out), gain))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.pi(x), self.vf(x).squeeze(1)


# ---- MPNN with a Set2Set readout -------------------------------------------------------------------------------------


class Set2SetNet(nn.Module):
    """A message-passing graph classifier read out by Set2Set (Vinyals et al. 2016; Gilmer et al. 2017's MPNN
    readout): three GCN-style layers of 64 (ReLU, residual), then ``steps`` 3 rounds of an LSTM query attending over
    the nodes, the final ``[q, r]`` to a two-layer MLP."""

    def __init__(self, d: int = 16, hidden: int = 64, classes: int = 4, steps: int = 3) -> None:
        super().__init__()
        self.inp = nn.Linear(d, hidden)
        self.mp = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(3)])
        self.lstm = nn.LSTMCell(2 * hidden, hidden)
        self.out = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, classes))
        self.steps = steps

    def forward(self, graph: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        a, x = graph  # (batch, nodes, nodes) normalised adjacency, (batch, nodes, d)
        h = self.inp(x)
        for lin in self.mp:
            h = h + F.relu(a @ lin(h))
        b, _, d = h.shape
        q_star = h.new_zeros(b, 2 * d)
        state = (h.new_zeros(b, d), h.new_zeros(b, d))
        for _ in range(self.steps):
            state = self.lstm(q_star, state)
            q = state[0]
            att = torch.softmax((h * q[:, None]).sum(-1), dim=1)
            q_star = torch.cat([q, (att[..., None] * h).sum(1)], 1)
        return self.out(q_star)
