"""Hand-written models of the thirty-third held-out batch (``fresh32.py``), sequence, ranking, forecasting,
knowledge-tracing and implicit-representation ones: small versions of published architectures new to the corpus,
each with the switches its broken variants need (one fault each, off by default). The vision models are in
``fresh32_models2.py``."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- language model --------------------------------------------------------------------------------------------------


class ByteNetBlock(nn.Module):
    """ByteNet's decoder residual block (Kalchbrenner et al. 2016): LayerNorm, ReLU, a 1x1 convolution halving the
    width, LayerNorm, ReLU, a masked (causal) dilated convolution of kernel 3, LayerNorm, ReLU, a 1x1 convolution
    back to the full width, added to the input."""

    def __init__(self, d: int, dilation: int, k: int = 3) -> None:
        super().__init__()
        h = d // 2
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(h), nn.LayerNorm(h)
        self.reduce, self.expand = nn.Conv1d(d, h, 1), nn.Conv1d(h, d, 1)
        self.conv = nn.Conv1d(h, h, k, dilation=dilation)
        self.pad = (k - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, t, d)
        y = self.reduce(F.relu(self.n1(x)).transpose(1, 2))
        y = F.relu(self.n2(y.transpose(1, 2))).transpose(1, 2)
        y = self.conv(F.pad(y, (self.pad, 0)))
        y = F.relu(self.n3(y.transpose(1, 2))).transpose(1, 2)
        return x + self.expand(y).transpose(1, 2)


class ByteNet(nn.Module):
    """A small ByteNet decoder LM: embeddings of 64, two stacks of residual blocks with dilations 1, 2, 4, 8 (the
    paper's doubling dilations, narrowed from 1..16 over five stacks), a final LayerNorm and ReLU and a linear
    output."""

    def __init__(self, vocab: int = 64, d: int = 64, stacks: int = 2) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([ByteNetBlock(d, r) for _ in range(stacks) for r in (1, 2, 4, 8)])
        self.norm, self.out = nn.LayerNorm(d), nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        for blk in self.blocks:
            h = blk(h)
        return self.out(F.relu(self.norm(h)))


# ---- knowledge tracing -----------------------------------------------------------------------------------------------


class DKT(nn.Module):
    """Deep Knowledge Tracing (Piech et al. 2015): each interaction one-hot encoded as ``skill + correct *
    skills``, an LSTM of 200 (the paper's), a linear layer and sigmoid giving every skill's probability of a correct
    next answer; the loss reads the next interaction's skill. ``recurrent_std``: the LSTM's recurrent matrix drawn
    N(0, std^2) in place of PyTorch's U(-1/sqrt(200), 1/sqrt(200))."""

    def __init__(self, skills: int = 10, hidden: int = 200, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.skills = skills
        self.lstm = nn.LSTM(2 * skills, hidden, batch_first=True)
        self.out = nn.Linear(hidden, skills)
        if recurrent_std is not None:
            with torch.no_grad():
                self.lstm.weight_hh_l0.normal_(0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (b, t) interaction ids
        h, _ = self.lstm(F.one_hot(x, 2 * self.skills).float())
        return self.out(h)  # logits (b, t, skills)


# ---- ranking ---------------------------------------------------------------------------------------------------------


class DSSM(nn.Module):
    """The Deep Structured Semantic Model (Huang et al. 2013): hashed letter-trigram count vectors through a tanh MLP
    300-300-128 shared by queries and documents (the paper's sizes), scored by cosine similarity times the smoothing
    factor ``gamma``. ``tanh_depth``: that many hidden tanh layers of 300 in place of two, at PyTorch's default
    init."""

    def __init__(self, buckets: int = 500, gamma: float = 10.0, tanh_depth: int = 2) -> None:
        super().__init__()
        dims = [buckets] + [300] * tanh_depth + [128]
        self.mlp = nn.Sequential(*[m for a, b in itertools.pairwise(dims) for m in (nn.Linear(a, b), nn.Tanh())])
        self.gamma = gamma

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        q, docs = batch  # (b, buckets), (b, n, buckets): the clicked document first, then the negatives
        eq = F.normalize(self.mlp(q), dim=-1)
        ed = F.normalize(self.mlp(docs), dim=-1)
        return self.gamma * (ed @ eq[:, :, None]).squeeze(-1)  # (b, n) smoothed cosines


# ---- forecasting -----------------------------------------------------------------------------------------------------


class MQRNN(nn.Module):
    """MQ-RNN (Wen et al. 2017): an LSTM encoder over the history (the series and its covariates), a global MLP
    mapping its last state and the horizon's covariates to one context per horizon step and a shared one, and a local
    MLP applied at every horizon step to its context, the shared one and its covariates, giving the three quantiles
    0.1, 0.5, 0.9 at once."""

    def __init__(self, covariates: int = 3, hidden: int = 32, horizon: int = 8, ctx: int = 16,
                 quantiles: int = 3) -> None:
        super().__init__()
        self.horizon, self.ctx = horizon, ctx
        self.lstm = nn.LSTM(1 + covariates, hidden, batch_first=True)
        self.glob = nn.Sequential(nn.Linear(hidden + horizon * covariates, 64), nn.ReLU(),
                                  nn.Linear(64, (horizon + 1) * ctx))
        self.local = nn.Sequential(nn.Linear(2 * ctx + covariates, 32), nn.ReLU(), nn.Linear(32, quantiles))

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        y, cov_hist, cov_fut = batch  # (b, T), (b, T, c), (b, H, c)
        h, _ = self.lstm(torch.cat([y[..., None], cov_hist], -1))
        c = self.glob(torch.cat([h[:, -1], cov_fut.flatten(1)], -1)).view(-1, self.horizon + 1, self.ctx)
        shared = c[:, -1:].expand(-1, self.horizon, -1)
        return self.local(torch.cat([c[:, :-1], shared, cov_fut], -1))  # (b, H, quantiles)


# ---- implicit neural representation ----------------------------------------------------------------------------------


class FourierNet(nn.Module):
    """The multiplicative filter network's FourierNet (Fathony et al. 2021): ``z1 = g1(x)``, ``z_{i+1} = (W_i z_i +
    b_i) * g_{i+1}(x)`` with sinusoidal filters ``g_i(x) = sin(w_i x + phi_i)``, the filters' frequencies drawn
    U(-s, s) with ``s = input_scale / sqrt(layers + 1)`` and phases U(-pi, pi), the linear layers U(-sqrt(6 / d)
    * weight_scale, ...) as the reference code; a linear output to RGB."""

    def __init__(self, d_in: int = 2, hidden: int = 64, layers: int = 3, d_out: int = 3, input_scale: float = 16.0,
                 weight_scale: float = 1.0) -> None:
        super().__init__()
        self.filters = nn.ModuleList([nn.Linear(d_in, hidden) for _ in range(layers + 1)])
        self.linears = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(layers)])
        self.out = nn.Linear(hidden, d_out)
        s = input_scale / math.sqrt(layers + 1)
        with torch.no_grad():
            for f in self.filters:
                f.weight.uniform_(-s, s)
                f.bias.uniform_(-math.pi, math.pi)
            for lin in self.linears:
                b = math.sqrt(6 / hidden) * weight_scale
                lin.weight.uniform_(-b, b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = torch.sin(self.filters[0](x))
        for lin, f in zip(self.linears, self.filters[1:]):
            z = lin(z) * torch.sin(f(x))
        return self.out(z)
