"""Hand-written models of the thirty-first held-out batch (``fresh30.py``), sequence, session, word-vector and topic
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The graph, video, image, audio and time-series models are in
``fresh30_models2.py``."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- language model --------------------------------------------------------------------------------------------------


def locked_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """AWD-LSTM's variational ("locked") dropout on ``(batch, time, features)``: one mask per sequence, shared over
    time."""
    if not training or p == 0:
        return x
    mask = x.new_empty(x.shape[0], 1, x.shape[2]).bernoulli_(1 - p) / (1 - p)
    return x * mask


class AWDLSTM(nn.Module):
    """The AWD-LSTM LM (Merity et al. 2018): three LSTM layers (64 -> 128 -> 128 -> 64, the last of the embedding's
    width so that the output is tied to the embedding), DropConnect of 0.5 on every hidden-to-hidden matrix (a fresh
    mask each forward, the raw weight kept), embedding dropout 0.1, locked dropouts 0.4 (input and output) and 0.25
    (between layers), the embedding drawn U(-0.1, 0.1). ``weight_drop_in_place``: the DropConnect written
    ``self.w_hh[l].data = F.dropout(self.w_hh[l].data, 0.5)``, the dropped copy stored over the raw weight (each
    forward zeroes half of the survivors and doubles the rest)."""

    def __init__(self, vocab: int = 64, emb: int = 64, hidden: int = 128, wdrop: float = 0.5,
                 weight_drop_in_place: bool = False) -> None:
        super().__init__()
        self.wdrop, self.in_place = wdrop, weight_drop_in_place
        self.emb = nn.Embedding(vocab, emb)
        nn.init.uniform_(self.emb.weight, -0.1, 0.1)
        sizes = [emb, hidden, hidden, emb]
        self.w_ih = nn.ParameterList()
        self.w_hh = nn.ParameterList()
        self.bias = nn.ParameterList()
        for d_in, d in itertools.pairwise(sizes):
            bound = 1 / math.sqrt(d)  # nn.LSTM's default init
            self.w_ih.append(nn.Parameter(torch.empty(4 * d, d_in).uniform_(-bound, bound)))
            self.w_hh.append(nn.Parameter(torch.empty(4 * d, d).uniform_(-bound, bound)))
            self.bias.append(nn.Parameter(torch.empty(4 * d).uniform_(-bound, bound)))
        self.out_bias = nn.Parameter(torch.zeros(vocab))

    def _w_hh(self, layer: int) -> torch.Tensor:
        w = self.w_hh[layer]
        if not self.training:
            return w
        if self.in_place:
            w.data = F.dropout(w.data, self.wdrop, True)
            return w
        return F.dropout(w, self.wdrop, True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.emb.weight
        if self.training:  # embedding dropout: whole words dropped
            w = w * w.new_empty(w.shape[0], 1).bernoulli_(0.9) / 0.9
        h_in = locked_dropout(F.embedding(x, w), 0.4, self.training)
        for layer in range(3):
            w_hh = self._w_hh(layer)
            d = w_hh.shape[1]
            xs = h_in @ self.w_ih[layer].T + self.bias[layer]
            h = c = xs.new_zeros(x.shape[0], d)
            outs = []
            for t in range(x.shape[1]):
                i, f, g, o = (xs[:, t] + h @ w_hh.T).chunk(4, -1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                outs.append(h)
            h_in = locked_dropout(torch.stack(outs, 1), 0.4 if layer == 2 else 0.25, self.training)
        return h_in @ self.emb.weight.T + self.out_bias


# ---- session-based recommendation ------------------------------------------------------------------------------------


class NextItNet(nn.Module):
    """NextItNet (Yuan et al. 2019): item embeddings of 64, residual blocks of two dilated causal convolutions
    (kernel 3, the reference code's rates ``r`` then ``2 r``) each followed by LayerNorm and ReLU, ``r`` = 1, 2, 4,
    8, a softmax over the items at every position (every next item is predicted)."""

    def __init__(self, items: int = 64, d: int = 64, dilations: tuple[int, ...] = (1, 2, 4, 8)) -> None:
        super().__init__()
        self.emb = nn.Embedding(items, d)
        self.convs = nn.ModuleList(nn.ModuleList([nn.Conv1d(d, d, 3, dilation=r), nn.Conv1d(d, d, 3, dilation=2 * r)])
                                   for r in dilations)
        self.norms = nn.ModuleList(nn.ModuleList([nn.LayerNorm(d), nn.LayerNorm(d)]) for _ in dilations)
        self.out = nn.Linear(d, items)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)  # (batch, time, d)
        for convs, norms in zip(self.convs, self.norms, strict=True):
            y = h
            for conv, ln in zip(convs, norms, strict=True):
                pad = 2 * conv.dilation[0]
                y = F.relu(ln(conv(F.pad(y.transpose(1, 2), (pad, 0))).transpose(1, 2)))
            h = h + y
        return self.out(h)


class SRGNN(nn.Module):
    """SR-GNN (Wu et al. 2019): each session a directed graph of its distinct items (normalised in- and out-
    adjacency), one gated graph step (``a = [A_in H W_in + b_in, A_out H W_out + b_out]`` into a GRU cell), the
    last item's node as the local embedding, soft attention ``alpha_i = q^T sigmoid(W_1 v_n + W_2 v_i + c)`` for the
    global one, ``s_h = W_3 [s_l; s_g]`` scored against every item's embedding; hidden 100, every weight drawn
    U(-1/sqrt(100), 1/sqrt(100)). Items are 1..n, 0 is padding."""

    def __init__(self, items: int = 64, d: int = 100) -> None:
        super().__init__()
        self.emb = nn.Embedding(items + 1, d)
        self.w_in, self.w_out = nn.Linear(d, d), nn.Linear(d, d)
        self.gru = nn.GRUCell(2 * d, d)
        self.w1, self.w2 = nn.Linear(d, d, bias=False), nn.Linear(d, d)
        self.q = nn.Linear(d, 1, bias=False)
        self.w3 = nn.Linear(2 * d, d, bias=False)
        for p in self.parameters():
            nn.init.uniform_(p, -1 / math.sqrt(d), 1 / math.sqrt(d))

    def forward(self, graph: tuple[torch.Tensor, ...]) -> torch.Tensor:
        nodes, a_in, a_out, last, mask = graph  # (b, n), (b, n, n) x2, (b,), (b, n)
        v = self.emb(nodes)
        b, n, d = v.shape
        a = torch.cat([a_in @ self.w_in(v), a_out @ self.w_out(v)], -1)
        v = self.gru(a.reshape(b * n, 2 * d), v.reshape(b * n, d)).reshape(b, n, d)
        s_l = v[torch.arange(b), last]
        alpha = self.q(torch.sigmoid(self.w1(s_l)[:, None] + self.w2(v))) * mask[..., None]
        s_g = (alpha * v).sum(1)
        s_h = self.w3(torch.cat([s_l, s_g], -1))
        return s_h @ self.emb.weight[1:].T


# ---- orthogonal RNN --------------------------------------------------------------------------------------------------


def henaff_skew(n: int) -> torch.Tensor:
    """ExpRNN's Henaff init: a block-diagonal skew-symmetric matrix of 2x2 blocks ``[[0, s], [-s, 0]]``,
    ``s ~ U(-pi, pi)`` (its exponential is a random block rotation)."""
    a = torch.zeros(n, n)
    s = torch.empty(n // 2).uniform_(-math.pi, math.pi)
    idx = torch.arange(0, n - 1, 2)
    a[idx, idx + 1] = s
    a[idx + 1, idx] = -s
    return a


class ExpRNN(nn.Module):
    """ExpRNN (Lezcano-Casado & Martinez-Rubio 2019): ``h_t = modrelu(W x_t + B h_{t-1})``, the recurrent matrix
    ``B = expm(A - A^T)`` (exactly orthogonal), ``A`` at Henaff's init, ``modrelu(z) = sign(z) relu(|z| + b)``
    with ``b ~ U(-0.01, 0.01)``, the input kernel He-initialised; tokens embedded one-hot (0 is padding, the zero
    vector); the class read from the last state. ``radius``: the recurrent matrix ``radius * expm(A - A^T)``;
    ``sign_by_division``: modReLU's sign computed ``z / |z|`` (0/0 where ``z = 0``)."""

    def __init__(self, vocab: int = 33, hidden: int = 64, classes: int = 4, radius: float = 1.0,
                 sign_by_division: bool = False) -> None:
        super().__init__()
        self.radius, self.div = radius, sign_by_division
        self.vocab = vocab
        self.a = nn.Parameter(henaff_skew(hidden))
        self.inp = nn.Linear(vocab, hidden, bias=False)
        nn.init.kaiming_normal_(self.inp.weight, nonlinearity="relu")
        self.b = nn.Parameter(torch.empty(hidden).uniform_(-0.01, 0.01))
        self.out = nn.Linear(hidden, classes)

    def modrelu(self, z: torch.Tensor) -> torch.Tensor:
        sign = z / z.abs() if self.div else torch.sign(z)
        return sign * F.relu(z.abs() + self.b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rec = self.radius * torch.linalg.matrix_exp(self.a - self.a.T)
        onehot = F.one_hot(x, self.vocab).float()
        onehot[..., 0] = 0.0  # padding is the zero vector
        xs = self.inp(onehot)
        h = xs.new_zeros(x.shape[0], rec.shape[0])
        for t in range(x.shape[1]):
            h = self.modrelu(xs[:, t] + h @ rec.T)
        return self.out(h)


# ---- word vectors --------------------------------------------------------------------------------------------------


class GloVe(nn.Module):
    """GloVe (Pennington et al. 2014): word and context vectors of 16 and their biases, all drawn U(-0.5, 0.5) / 16
    (the reference code's); ``forward((i, j))`` is ``w_i . w~_j + b_i + b~_j``."""

    def __init__(self, vocab: int = 100, d: int = 16) -> None:
        super().__init__()
        self.w, self.wc = nn.Embedding(vocab, d), nn.Embedding(vocab, d)
        self.b, self.bc = nn.Embedding(vocab, 1), nn.Embedding(vocab, 1)
        for m in (self.w, self.wc, self.b, self.bc):
            nn.init.uniform_(m.weight, -0.5 / d, 0.5 / d)

    def forward(self, pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        i, j = pair
        return (self.w(i) * self.wc(j)).sum(-1) + self.b(i)[:, 0] + self.bc(j)[:, 0]
