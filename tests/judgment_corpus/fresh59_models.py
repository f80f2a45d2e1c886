"""Hand-written models of the sixtieth held-out batch (``fresh59.py``), tabular, recommender and forecasting ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The sensor, audio and geospatial models are in ``fresh59_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- Soft decision tree ----------------------------------------------------------------------------------------------


class SoftDecisionTree(nn.Module):
    """The soft decision tree (Frosst and Hinton 2017, "Distilling a neural network into a soft decision tree") as
    the widely used PyTorch implementation writes it: every inner node routes right with probability
    ``sigmoid(w_i . [1, x])`` (one bias-free Linear over the input with a constant 1 prepended), the path
    probabilities multiply down the tree, and the prediction is the path-weighted sum of the leaves' logits (a
    bias-free Linear over the leaves); ``penalty()`` is the paper's balanced-split regulariser ``-lambda 2^-d 0.5
    (log a_i + log(1 - a_i))`` over the inner nodes, ``a_i`` the batch's path-weighted share routed right."""

    def __init__(self, features: int = 16, classes: int = 4, depth: int = 4, lamda: float = 1e-3) -> None:
        super().__init__()
        self.depth, self.lamda = depth, lamda
        self.inner = nn.Linear(features + 1, 2 ** depth - 1, bias=False)
        self.leaves = nn.Linear(2 ** depth, classes, bias=False)
        self._pen = torch.zeros(())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        p = torch.sigmoid(self.inner(torch.cat([torch.ones(b, 1), x], 1)))
        mu, begin, pen = torch.ones(b, 1), 0, torch.zeros(())
        for d in range(self.depth):
            width = 2 ** d
            pd = p[:, begin:begin + width]
            a = (mu * pd).sum(0) / mu.sum(0).clamp_min(1e-12)
            pen = pen - self.lamda * 2.0 ** -d * 0.5 * (torch.log(a + 1e-12) + torch.log(1 - a + 1e-12)).sum()
            mu = torch.stack([mu * (1 - pd), mu * pd], 2).reshape(b, 2 * width)
            begin += width
        self._pen = pen
        return self.leaves(mu)

    def penalty(self) -> torch.Tensor:
        return self._pen


# ---- NNMF ------------------------------------------------------------------------------------------------------------


class NNMF(nn.Module):
    """Neural network matrix factorisation (Dziugaite and Roy 2015), narrowed: each user and item has a latent
    vector of D = 10 and one of D' = 20 (the paper's 60), and the rating is a feedforward net of three sigmoid hidden
    layers of 50 (the paper's) over ``[U_n, V_m, U'_n * V'_m]``; the latent vectors N(0, 1), the layers PyTorch's
    default, the output's bias started at the training mean rating (``mean``)."""

    def __init__(self, users: int, items: int, mean: float, d: int = 10, d2: int = 20, hidden: int = 50) -> None:
        super().__init__()
        self.u, self.v = nn.Embedding(users, d), nn.Embedding(items, d)
        self.u2, self.v2 = nn.Embedding(users, d2), nn.Embedding(items, d2)
        self.net = nn.Sequential(nn.Linear(2 * d + d2, hidden), nn.Sigmoid(), nn.Linear(hidden, hidden), nn.Sigmoid(),
                                 nn.Linear(hidden, hidden), nn.Sigmoid(), nn.Linear(hidden, 1))
        nn.init.constant_(self.net[-1].bias, mean)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        n, m = pairs[:, 0], pairs[:, 1]
        return self.net(torch.cat([self.u(n), self.v(m), self.u2(n) * self.v2(m)], 1)).squeeze(1)


# ---- FmFM ------------------------------------------------------------------------------------------------------------


class FmFM(nn.Module):
    """The field-matrixed factorisation machine (Sun et al. 2021, "FM^2: field-matrixed factorization machines for
    recommender systems"): ``logit = b + sum_i w[x_i] + sum_{i<j} e_i^T M_ij e_j`` with one d x d matrix per field
    pair; embeddings of 8, N(0, 0.01^2), the matrices identity plus N(0, 0.01^2) (they start as a plain FM's dot
    products), the first-order weights zero."""

    def __init__(self, fields: int = 8, vocab: int = 16, d: int = 8) -> None:
        super().__init__()
        self.fields, self.vocab = fields, vocab
        self.emb = nn.Embedding(fields * vocab, d)
        self.lin = nn.Embedding(fields * vocab, 1)
        self.bias = nn.Parameter(torch.zeros(()))
        self.i, self.j = torch.triu_indices(fields, fields, 1)
        self.m = nn.Parameter(torch.eye(d).repeat(len(self.i), 1, 1) + 0.01 * torch.randn(len(self.i), d, d))
        nn.init.normal_(self.emb.weight, 0.0, 0.01)
        nn.init.zeros_(self.lin.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idx = x + torch.arange(self.fields) * self.vocab
        e = self.emb(idx)
        ei, ej = e[:, self.i], e[:, self.j]
        inter = torch.einsum("bpd,pde,bpe->b", ei, self.m, ej)
        return self.bias + self.lin(idx).sum((1, 2)) + inter


# ---- GrowNet ---------------------------------------------------------------------------------------------------------


class _WeakLearner(nn.Module):
    """GrowNet's weak learner: an MLP of two ReLU hidden layers over ``[x, the previous learner's penultimate
    features]``; returns its penultimate features and its output."""

    def __init__(self, d_in: int, hidden: int, relu_bias: float | None) -> None:
        super().__init__()
        self.l1, self.l2, self.out = nn.Linear(d_in, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 1)
        if relu_bias is not None:
            nn.init.constant_(self.l1.bias, relu_bias)
            nn.init.constant_(self.l2.bias, relu_bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.l2(F.relu(self.l1(x))))
        return h, self.out(h).squeeze(1)


class GrowNet(nn.Module):
    """GrowNet (Badirli et al. 2020, "Gradient boosting neural networks: GrowNet"), narrowed to its corrective step:
    four weak learners (two ReLU hidden layers of 32 each, PyTorch's default init), learner k fed the features and
    learner k-1's penultimate layer, the prediction the boost rate (a parameter started at 1) times the sum of their
    outputs; all learners trained together, as the corrective step fine-tunes them. ``relu_bias``: every hidden
    layer's bias set to that value (every ReLU dead when it is -10)."""

    def __init__(self, features: int = 16, hidden: int = 32, learners: int = 4, relu_bias: float | None = None
                 ) -> None:
        super().__init__()
        self.learners = nn.ModuleList([_WeakLearner(features + (hidden if k else 0), hidden, relu_bias)
                                       for k in range(learners)])
        self.boost = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, h = torch.zeros(x.shape[0]), None
        for learner in self.learners:
            h, o = learner(x if h is None else torch.cat([x, h], 1))
            out = out + o
        return self.boost * out


# ---- RLinear ---------------------------------------------------------------------------------------------------------


class RLinear(nn.Module):
    """RLinear (Li et al. 2023, "Revisiting long-term time series forecasting: an investigation on linear mapping"):
    RevIN (each window's channels standardised by their own mean and ``sqrt(var + eps)``, a learnable affine weight
    and bias, and the forecast mapped back), dropout 0.1 and one Linear from the 96-step look-back to the 24-step
    horizon shared by the channels. ``denorm``: False leaves RevIN's second half out (the forecast is returned in
    the window's standardised units); ``eps``: RevIN's eps (0 divides a flat-lined channel's zero deviation by
    itself)."""

    def __init__(self, channels: int = 4, lookback: int = 96, horizon: int = 24, denorm: bool = True,
                 eps: float = 1e-5) -> None:
        super().__init__()
        self.denorm, self.eps = denorm, eps
        self.gain, self.shift = nn.Parameter(torch.ones(channels)), nn.Parameter(torch.zeros(channels))
        self.drop = nn.Dropout(0.1)
        self.lin = nn.Linear(lookback, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (b, lookback, channels)
        mean = x.mean(1, keepdim=True).detach()
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + self.eps).detach()
        z = (x - mean) / std * self.gain + self.shift
        y = self.lin(self.drop(z).transpose(1, 2)).transpose(1, 2)
        if not self.denorm:
            return y
        return (y - self.shift) / (self.gain + self.eps ** 2) * std + mean
