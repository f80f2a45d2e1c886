"""Hand-written models of the fifteenth held-out batch (``fresh14.py``): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class DLinear(nn.Module):
    """DLinear (Zeng et al. 2023): the input window split by a moving average into trend and remainder, each mapped to
    the forecast horizon by one linear layer shared across channels. ``revin``: reversible instance normalisation
    (Kim et al. 2022; without its affine parameters): each window standardised per channel by its own mean and
    ``sqrt(var + 1e-5)``, the forecast mapped back; ``var_slip``: that variance computed in one pass as
    ``mean(x ** 2) - mean(x) ** 2`` (cancellation: slightly negative for a flat window at a large level)."""

    def __init__(self, window: int = 48, horizon: int = 12, kernel: int = 13, revin: bool = False,
                 var_slip: bool = False) -> None:
        super().__init__()
        self.kernel = kernel
        self.revin, self.var_slip = revin, var_slip
        self.trend = nn.Linear(window, horizon)
        self.season = nn.Linear(window, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, window, channels)
        if self.revin:
            mean = x.mean(1, keepdim=True)
            var = (x ** 2).mean(1, keepdim=True) - mean ** 2 if self.var_slip else x.var(1, keepdim=True,
                                                                                          unbiased=False)
            std = torch.sqrt(var + 1e-5)
            return self._forecast((x - mean) / std) * std + mean
        return self._forecast(x)

    def _forecast(self, x: torch.Tensor) -> torch.Tensor:
        pad = (self.kernel - 1) // 2
        xt = x.transpose(1, 2)
        padded = torch.cat([xt[..., :1].expand(-1, -1, pad), xt, xt[..., -1:].expand(-1, -1, pad)], -1)
        trend = F.avg_pool1d(padded, self.kernel, stride=1)
        return (self.trend(trend) + self.season(xt - trend)).transpose(1, 2)


class SeparableConv(nn.Sequential):
    """A depthwise 3x3 then a pointwise 1x1 convolution (Xception's separable convolution)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False), nn.Conv2d(cin, cout, 1, bias=False))


class XceptionBlock(nn.Module):
    """Two ReLU-separable-conv-BN units and a max pool, with a strided 1x1 convolution on the shortcut."""

    def __init__(self, cin: int, cout: int, act: type[nn.Module], bn: bool) -> None:
        super().__init__()
        norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: nn.Identity())
        self.body = nn.Sequential(act(), SeparableConv(cin, cout), norm(cout), act(), SeparableConv(cout, cout),
                                  norm(cout), nn.MaxPool2d(3, 2, 1))
        self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2, bias=False), norm(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


class Xception(nn.Module):
    """A small Xception (Chollet 2017): a convolutional stem, three entry-flow blocks of separable convolutions with
    residual shortcuts and BatchNorm, global average pooling. ``act``: the activation class (``nn.Sigmoid``: a
    saturating one)."""

    def __init__(self, classes: int = 10, act: type[nn.Module] = nn.ReLU, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), act())
        self.blocks = nn.Sequential(XceptionBlock(16, 32, act, bn), XceptionBlock(32, 64, act, bn),
                                    XceptionBlock(64, 96, act, bn))
        self.head = nn.Linear(96, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)).mean((2, 3)))


class RepVGGBlock(nn.Module):
    """RepVGG's training-time block (Ding et al. 2021): 3x3 conv-BN + 1x1 conv-BN (+ BN identity when the shape
    allows), summed, then ReLU. ``bn=False``: the three branches without their BatchNorms."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        norm = (lambda: nn.BatchNorm2d(cout)) if bn else (lambda: nn.Identity())
        self.dense = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=not bn), norm())
        self.point = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=not bn), norm())
        self.ident = (nn.BatchNorm2d(cout) if bn else nn.Identity()) if cin == cout and stride == 1 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.dense(x) + self.point(x)
        if self.ident is not None:
            out = out + self.ident(x)
        return F.relu(out)


class RepVGG(nn.Module):
    """A small RepVGG-A: stages of RepVGG blocks (the first of each strided), global pooling, a linear head."""

    def __init__(self, classes: int = 10, widths: tuple[int, ...] = (16, 32, 64), depth: tuple[int, ...] = (2, 3, 3),
                 bn: bool = True) -> None:
        super().__init__()
        layers, cin = [], 3
        for w, d in zip(widths, depth):
            for i in range(d):
                layers.append(RepVGGBlock(cin, w, 2 if i == 0 else 1, bn))
                cin = w
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).mean((2, 3)))


class DPCNN(nn.Module):
    """DPCNN (Johnson and Zhang 2017): a region embedding, then repeated blocks of two pre-activation 3-wide
    convolutions with a shortcut, each block after the first preceded by max pooling with stride 2 (the pyramid).
    ``act``: the activation; ``shortcuts=False``: the blocks without their shortcuts, ``plain_extra`` more plain
    convolutions inside each block."""

    def __init__(self, vocab: int = 32, classes: int = 4, width: int = 64, blocks: int = 3, act: str = "relu",
                 shortcuts: bool = True, plain_extra: int = 0) -> None:
        super().__init__()
        self.act = {"relu": F.relu, "sigmoid": torch.sigmoid}[act]
        self.shortcuts = shortcuts
        self.embed = nn.Embedding(vocab, width)
        self.region = nn.Conv1d(width, width, 3, padding=1)
        self.convs = nn.ModuleList(nn.ModuleList(nn.Conv1d(width, width, 3, padding=1) for _ in range(2 + plain_extra))
                                   for _ in range(blocks))
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.region(self.embed(x).transpose(1, 2))
        for i, block in enumerate(self.convs):
            if i > 0:
                h = F.max_pool1d(h, 3, 2, 1)
            r = h
            for conv in block:
                r = conv(self.act(r))
            h = h + r if self.shortcuts else r
        return self.head(h.max(-1).values)


class Linformer(nn.Module):
    """A Linformer encoder classifier (Wang et al. 2020): pre-LN layers whose self-attention projects keys and values
    along the sequence to ``k`` rows with learned ``E`` and ``F`` (shared across heads), then a GELU MLP; mean
    pooling and a linear head."""

    def __init__(self, vocab: int = 32, classes: int = 4, length: int = 20, d: int = 64, heads: int = 4,
                 layers: int = 2, k: int = 8) -> None:
        super().__init__()
        self.heads = heads
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(length, d) * 0.02)
        self.layers = nn.ModuleList()
        for _ in range(layers):
            layer = nn.ModuleDict({"ln1": nn.LayerNorm(d), "qkv": nn.Linear(d, 3 * d), "out": nn.Linear(d, d),
                                   "ln2": nn.LayerNorm(d), "mlp": nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(),
                                                                                nn.Linear(4 * d, d))})
            layer.E = nn.Parameter(torch.randn(k, length) / math.sqrt(k))
            layer.F = nn.Parameter(torch.randn(k, length) / math.sqrt(k))
            self.layers.append(layer)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x) + self.pos
        b, n, d = h.shape
        for layer in self.layers:
            q, k, v = layer["qkv"](layer["ln1"](h)).chunk(3, -1)
            k, v = layer.E @ k, layer.F @ v  # (b, k, d)
            q, k, v = (t.reshape(b, -1, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
            a = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, d)
            h = h + layer["out"](a)
            h = h + layer["mlp"](layer["ln2"](h))
        return self.head(self.ln(h).mean(1))


class DeepAR(nn.Module):
    """DeepAR (Salinas et al. 2020): an LSTM over the (scaled) lagged series emitting a Gaussian's mean and softplus
    standard deviation per step; the series is divided by its window mean plus one before the network and the
    outputs multiplied back. ``scale=False``: no scaling (the raw series goes in). ``recurrent_std``: the LSTM's
    recurrent matrices redrawn N(0, std^2); ``relu_slip``: the standard deviation kept positive by ``F.relu``
    typed where ``F.softplus`` belongs (a unit below zero gives the floor, 1e-3); ``batch_first_slip``: the LSTM
    built without ``batch_first=True`` while it is fed ``(batch, time, 1)`` (it recurs across the series of a batch,
    each time step read as a batch of its own)."""

    def __init__(self, hidden: int = 40, layers: int = 2, scale: bool = True, recurrent_std: float | None = None,
                 relu_slip: bool = False, batch_first_slip: bool = False) -> None:
        super().__init__()
        self.scale = scale
        self.relu_slip = relu_slip
        self.lstm = nn.LSTM(1, hidden, layers, batch_first=not batch_first_slip)
        self.out = nn.Linear(hidden, 2)
        if recurrent_std is not None:
            with torch.no_grad():
                for name, p in self.lstm.named_parameters():
                    if name.startswith("weight_hh"):
                        p.normal_(0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # (batch, time)
        nu = x.mean(1, keepdim=True) + 1.0 if self.scale else torch.ones_like(x[:, :1])
        h, _ = self.lstm((x / nu).unsqueeze(-1))
        mu, s = self.out(h).unbind(-1)
        return mu * nu, (F.relu(s) if self.relu_slip else F.softplus(s)) * nu + 1e-3


class BiLSTMCRF(nn.Module):
    """A BiLSTM-CRF tagger (Huang et al. 2015; Lample et al. 2016): embeddings, a bidirectional LSTM, per-token
    emission scores and a learned tag-transition matrix; the loss is the CRF's negative log-likelihood per token,
    its partition function by the forward algorithm in log space. ``logsumexp=False``: the forward algorithm
    written in probability space, ``log(sum(exp(...)))``, without the max-shift."""

    def __init__(self, vocab: int = 32, tags: int = 4, emb: int = 32, hidden: int = 32, logsumexp: bool = True
                 ) -> None:
        super().__init__()
        self.logsumexp = logsumexp
        self.embed = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.emit = nn.Linear(2 * hidden, tags)
        self.trans = nn.Parameter(torch.zeros(tags, tags))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.emit(self.lstm(self.embed(x))[0])

    def nll(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        e = self(x)  # (b, t, tags)
        t = e.shape[1]
        gold = e.gather(2, y.unsqueeze(-1)).squeeze(-1).sum(1) + self.trans[y[:, :-1], y[:, 1:]].sum(1)
        alpha = e[:, 0]
        for s in range(1, t):
            scores = alpha.unsqueeze(2) + self.trans + e[:, s].unsqueeze(1)
            alpha = torch.logsumexp(scores, 1) if self.logsumexp else torch.log(torch.exp(scores).sum(1))
        logz = torch.logsumexp(alpha, 1) if self.logsumexp else torch.log(torch.exp(alpha).sum(1))
        return (logz - gold).mean() / t


class ProtoNet(nn.Module):
    """Prototypical networks (Snell et al. 2017): the Conv-4 embedding (3x3 conv, BatchNorm, ReLU, 2x2 max pool, four
    times; 32 wide here), prototypes the mean support embedding per class, logits the negative squared Euclidean
    distances of the queries to them."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        layers, cin = [], 3
        for _ in range(4):
            layers += [nn.Conv2d(cin, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)]
            cin = width
        self.encoder = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x).flatten(1)

    def logits(self, support: torch.Tensor, query: torch.Tensor, ways: int) -> torch.Tensor:
        """``support`` ordered class by class (shot rows each); negative squared distances (queries, ways)."""
        z = self(torch.cat([support, query]))
        proto = z[:len(support)].reshape(ways, -1, z.shape[-1]).mean(1)
        return -((z[len(support):, None] - proto[None]) ** 2).sum(-1)


class AutoRec(nn.Module):
    """I-AutoRec (Sedhain et al. 2015): each item's vector of user ratings encoded by a sigmoid layer and decoded by
    an identity one. ``output_sigmoid``: the decoder's activation copied from the encoder's."""

    def __init__(self, users: int = 100, hidden: int = 64, output_sigmoid: bool = False) -> None:
        super().__init__()
        self.enc = nn.Linear(users, hidden)
        self.dec = nn.Linear(hidden, users)
        self.output_sigmoid = output_sigmoid

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        out = self.dec(torch.sigmoid(self.enc(r)))
        return torch.sigmoid(out) if self.output_sigmoid else out


class SGC(nn.Module):
    """Simplified graph convolution (Wu et al. 2019): features propagated ``K`` times by the symmetrically normalised
    adjacency with self-loops, then one linear layer. ``self_loops=False``: the normalisation written without the
    self-loops (an isolated node's degree is 0)."""

    def __init__(self, features: int = 16, classes: int = 4, hops: int = 2, self_loops: bool = True) -> None:
        super().__init__()
        self.hops = hops
        self.self_loops = self_loops
        self.linear = nn.Linear(features, classes)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, a = inputs
        if self.self_loops:
            a = a + torch.eye(a.shape[0])
        d = a.sum(1).pow(-0.5)
        s = d[:, None] * a * d[None, :]
        for _ in range(self.hops):
            x = s @ x
        return self.linear(x)


class ChebNet(nn.Module):
    """ChebNet (Defferrard et al. 2016): two Chebyshev graph convolutions of order ``K`` on the scaled normalised
    Laplacian (``L~ = -D^-1/2 A D^-1/2`` for lambda_max = 2, degrees clamped at 1), ReLU and dropout 0.5 between.
    ``dropout_slip``: that dropout written ``F.dropout(h, self.training)``, the flag in the ``p`` slot."""

    def __init__(self, features: int = 16, hidden: int = 32, classes: int = 4, order: int = 3,
                 dropout_slip: bool = False) -> None:
        super().__init__()
        self.dropout_slip = dropout_slip
        self.l1 = nn.ModuleList(nn.Linear(features, hidden, bias=k == 0) for k in range(order))
        self.l2 = nn.ModuleList(nn.Linear(hidden, classes, bias=k == 0) for k in range(order))

    @staticmethod
    def _cheb(x: torch.Tensor, lap: torch.Tensor, lins: nn.ModuleList) -> torch.Tensor:
        t0, t1 = x, lap @ x
        out = lins[0](t0) + lins[1](t1)
        for lin in lins[2:]:
            t0, t1 = t1, 2 * lap @ t1 - t0
            out = out + lin(t1)
        return out

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, a = inputs
        d = a.sum(1).clamp(min=1).pow(-0.5)
        lap = -(d[:, None] * a * d[None, :])
        h = F.relu(self._cheb(x, lap, self.l1))
        h = F.dropout(h, self.training) if self.dropout_slip else F.dropout(h, 0.5, self.training)
        return self._cheb(h, lap, self.l2)


class PNN(nn.Module):
    """An inner-product neural network (IPNN; Qu et al. 2016) for click prediction: one embedding per categorical
    field, the product layer (the embeddings' linear signal and every pairwise inner product), then a ReLU MLP to
    one logit."""

    def __init__(self, fields: int = 6, vocab: int = 10, dim: int = 8, hidden: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(fields * vocab, dim)
        self.register_buffer("offset", torch.arange(fields) * vocab)
        self.register_buffer("pairs", torch.triu_indices(fields, fields, 1))
        self.mlp = nn.Sequential(nn.Linear(fields * dim + fields * (fields - 1) // 2, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, fields) ids
        e = self.embed(x + self.offset)
        inner = (e[:, self.pairs[0]] * e[:, self.pairs[1]]).sum(-1)
        return self.mlp(torch.cat([e.flatten(1), inner], 1)).squeeze(-1)
