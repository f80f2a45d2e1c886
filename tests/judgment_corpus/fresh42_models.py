"""Hand-written models of the forty-third held-out batch (``fresh42.py``), language-model, sequence, graph and
recommender ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The generative, physics, self-supervised and metric-learning models
are in ``fresh42_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- ReZero Transformer ----------------------------------------------------------------------------------------------


class _RZLayer(nn.Module):
    """ReZero's encoder layer (the reference code's ``RZTXEncoderLayer``): ``x + resweight * drop(attn(x))``, then
    ``x + resweight * drop(W2 drop(relu(W1 x)))``, one ``resweight`` per layer shared by both sublayers, started at
    ``alpha`` (0 in the paper), no LayerNorm anywhere."""

    def __init__(self, d: int, heads: int, ff: int, drop: float, alpha: float) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, dropout=drop, batch_first=True)
        self.fc1, self.fc2 = nn.Linear(d, ff), nn.Linear(ff, d)
        self.drop = nn.Dropout(drop)
        self.resweight = nn.Parameter(torch.tensor(float(alpha)))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]
        x = x + self.drop(a) * self.resweight
        return x + self.drop(self.fc2(self.drop(F.relu(self.fc1(x))))) * self.resweight


class ReZeroLM(nn.Module):
    """A causal ReZero Transformer LM (Bachlechner et al. 2021, "ReZero is all you need: fast convergence at large
    depth"), narrowed: token and learned position embeddings of 64, four ReZero layers (4 heads, feed-forward 256,
    ReLU, dropout 0.1), a linear head; no LayerNorm (the point of ReZero); PyTorch's default init, the embeddings
    N(0, 1). ``alpha``: every ``resweight``'s start (the paper's 0); ``init_std``: every Linear, attention projection
    and embedding drawn N(0, init_std^2) instead."""

    def __init__(self, vocab: int = 64, length: int = 24, d: int = 64, layers: int = 4, heads: int = 4,
                 ff: int = 256, drop: float = 0.1, alpha: float = 0.0, init_std: float | None = None) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Embedding(length, d)
        self.layers = nn.ModuleList([_RZLayer(d, heads, ff, drop, alpha) for _ in range(layers)])
        self.head = nn.Linear(d, vocab)
        if init_std is not None:
            for name, p in self.named_parameters():
                if name.endswith("weight") and not name.endswith("resweight"):
                    nn.init.normal_(p, 0.0, init_std)
        self.register_buffer("mask", torch.triu(torch.full((length, length), float("-inf")), 1))

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        t = s.shape[1]
        x = self.emb(s) + self.pos(torch.arange(t))
        for layer in self.layers:
            x = layer(x, self.mask[:t, :t])
        return self.head(x)


# ---- Nested LSTM -----------------------------------------------------------------------------------------------------


class NestedLSTM(nn.Module):
    """The Nested LSTM (Moniz and Krueger 2017, "Nested LSTMs"), one layer of 32 units: the outer gates ``i, f, o``
    and candidate ``g`` from ``[x_t, h_{t-1}]``; the outer memory's update ``f c + i g`` is replaced by an inner LSTM
    whose input is ``i * g`` and whose hidden state is ``f * c_{t-1}`` (its own gates from those two, its own cell
    ``c~``), and whose output ``o~ tanh(c~)`` is the new outer memory ``c_t``; ``h_t = o tanh(c_t)``. The last
    ``h`` is read by a linear layer. Uniform(-1/sqrt(32), 1/sqrt(32)) init as ``nn.LSTM``'s, forget-gate biases 1
    (the usual LSTM practice); ``forget_bias``: both forget gates' biases at that value instead."""

    def __init__(self, inputs: int = 2, hidden: int = 32, classes: int = 4, forget_bias: float = 1.0) -> None:
        super().__init__()
        self.hidden = hidden
        self.outer = nn.Linear(inputs + hidden, 4 * hidden)
        self.inner = nn.Linear(2 * hidden, 4 * hidden)
        self.out = nn.Linear(hidden, classes)
        bound = 1 / math.sqrt(hidden)
        with torch.no_grad():
            for lin in (self.outer, self.inner):
                nn.init.uniform_(lin.weight, -bound, bound)
                nn.init.uniform_(lin.bias, -bound, bound)
                lin.bias[hidden:2 * hidden] = forget_bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, t, inputs
        b = x.shape[0]
        h, c, ci = (x.new_zeros(b, self.hidden) for _ in range(3))
        for t in range(x.shape[1]):
            i, f, o, g = self.outer(torch.cat([x[:, t], h], 1)).chunk(4, 1)
            i, f, o, g = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o), torch.tanh(g)
            ii, fi, oi, gi = self.inner(torch.cat([i * g, f * c], 1)).chunk(4, 1)
            ci = torch.sigmoid(fi) * ci + torch.sigmoid(ii) * torch.tanh(gi)
            c = torch.sigmoid(oi) * torch.tanh(ci)
            h = o * torch.tanh(c)
        return self.out(h)


# ---- FAGCN -----------------------------------------------------------------------------------------------------------


class FAGCN(nn.Module):
    """FAGCN (Bo et al. 2021, "Beyond low-frequency information in graph convolutional networks"): ``h0 = relu(W1
    drop(x))``, then ``layers`` frequency-adaptive layers ``h_i <- eps h0_i + sum_j alpha_ij / sqrt(d_i d_j) h_j``
    with the signed coefficients ``alpha_ij = tanh(g^T [h_i, h_j])`` (dropout on them), and ``W2 drop(h)``; Xavier-
    normal init at gain 1.414 (the reference code's). The degrees are clamped to at least 1 as the reference code's
    ``deg.clamp(min=1)``; ``clamp_degrees=False``: ``d ** -0.5`` taken raw (``0 ** -0.5 = inf`` at an isolated node,
    and ``inf * 0`` is NaN)."""

    def __init__(self, adj: torch.Tensor, features: int, classes: int, hidden: int = 64, layers: int = 2,
                 eps: float = 0.3, drop: float = 0.6, clamp_degrees: bool = True) -> None:
        super().__init__()
        deg = adj.sum(1)
        if clamp_degrees:
            deg = deg.clamp(min=1)
        norm = deg ** -0.5
        self.register_buffer("adj", adj)
        self.register_buffer("norm", norm[:, None] * norm[None])
        self.w1, self.w2 = nn.Linear(features, hidden), nn.Linear(hidden, classes)
        self.gates = nn.ModuleList([nn.Linear(2 * hidden, 1) for _ in range(layers)])
        self.eps, self.drop = eps, drop
        for lin in (self.w1, self.w2, *self.gates):
            nn.init.xavier_normal_(lin.weight, gain=1.414)
            nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = h0 = F.relu(self.w1(F.dropout(x, self.drop, self.training)))
        d = h.shape[1]
        for gate in self.gates:
            w = gate.weight[0]
            alpha = torch.tanh((h @ w[:d])[:, None] + (h @ w[d:])[None] + gate.bias)
            alpha = F.dropout(alpha * self.adj * self.norm, self.drop, self.training)
            h = self.eps * h0 + alpha @ h
        return self.w2(F.dropout(h, self.drop, self.training))


# ---- CDAE ------------------------------------------------------------------------------------------------------------


class CDAE(nn.Module):
    """The collaborative denoising auto-encoder (Wu et al. 2016, "Collaborative denoising auto-encoders for top-N
    recommender systems") as RecBole's ``CDAE``: the user's item vector corrupted by dropout (the corruption ratio
    0.5), ``h = relu(W x~ + V_u + b)`` with the user's own node ``V_u`` (hidden 64), ``sigmoid(W' h + b')`` over every
    item; Xavier-normal weights and zero biases (RecBole's ``xavier_normal_initialization``)."""

    def __init__(self, users: int, items: int, hidden: int = 64, corruption: float = 0.5) -> None:
        super().__init__()
        self.user = nn.Embedding(users, hidden)
        self.enc, self.dec = nn.Linear(items, hidden), nn.Linear(hidden, items)
        self.corruption = corruption
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.xavier_normal_(m.weight)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        users, x = batch
        h = torch.relu(self.enc(F.dropout(x, self.corruption, self.training)) + self.user(users))
        return torch.sigmoid(self.dec(h))
