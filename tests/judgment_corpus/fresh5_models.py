"""Hand-written models and data of the sixth held-out batch (``fresh5.py``), written here, not copied."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL

# ---- graphs: GAT -----------------------------------------------------------------------------------------------------


class GATLayer(nn.Module):
    """One multi-head graph attention layer (Velickovic et al. 2018): ``e_ij = LeakyReLU(a^T [W h_i || W h_j])``
    over the neighbours (``adj > 0``), softmax per node, heads concatenated (or averaged, ``concat=False``)."""

    def __init__(self, d_in: int, d_out: int, heads: int, concat: bool = True, dropout: float = 0.6) -> None:
        super().__init__()
        self.heads, self.d_out, self.concat, self.dropout = heads, d_out, concat, dropout
        self.w = nn.Linear(d_in, heads * d_out, bias=False)
        self.a_src = nn.Parameter(torch.empty(heads, d_out))
        self.a_dst = nn.Parameter(torch.empty(heads, d_out))
        nn.init.xavier_uniform_(self.w.weight, gain=1.414)
        nn.init.xavier_uniform_(self.a_src, gain=1.414)
        nn.init.xavier_uniform_(self.a_dst, gain=1.414)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        h = self.w(F.dropout(x, self.dropout, self.training)).view(n, self.heads, self.d_out)
        e = (h * self.a_src).sum(-1).T[:, :, None] + (h * self.a_dst).sum(-1).T[:, None, :]  # heads, n, n
        e = F.leaky_relu(e, 0.2).masked_fill(~mask, float("-inf"))
        att = F.dropout(torch.softmax(e, -1), self.dropout, self.training)
        out = torch.einsum("hij,jhd->ihd", att, h)
        return out.reshape(n, -1) if self.concat else out.mean(1)


class GAT(nn.Module):
    """Two GAT layers, 8 heads of 8 then one output head, ELU between (the Cora setting)."""

    def __init__(self, adj: torch.Tensor, feats: int = 16, hidden: int = 8, heads: int = 8, classes: int = 4) -> None:
        super().__init__()
        self.register_buffer("mask", adj > 0)
        self.l1 = GATLayer(feats, hidden, heads)
        self.l2 = GATLayer(hidden * heads, classes, 1, concat=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask: torch.Tensor = self.mask  # type: ignore[assignment]
        return self.l2(F.elu(self.l1(x, mask)), mask)


# ---- sets: DeepSets --------------------------------------------------------------------------------------------------


class DeepSets(nn.Module):
    """DeepSets (Zaheer et al. 2017): ``rho(pool_i phi(x_i))`` with ReLU MLPs; ``pool`` "sum" (the paper's), or
    "std" (sum and per-feature standard deviation over the set, as a set-statistics model does), with or without
    an eps under the square root; ``phi_bias``: phi's hidden biases start there instead of PyTorch's default."""

    def __init__(self, d: int = 2, hidden: int = 64, classes: int = 4, pool: str = "sum", eps: float = 1e-5,
                 phi_bias: float | None = None) -> None:
        super().__init__()
        self.pool, self.eps = pool, eps
        self.phi = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        width = hidden * (2 if pool == "std" else 1)
        self.rho = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, classes))
        if phi_bias is not None:
            with torch.no_grad():
                for m in self.phi:
                    if isinstance(m, nn.Linear):
                        m.bias.fill_(phi_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.phi(x)  # batch, elements, hidden
        pooled = z.sum(1) / math.sqrt(z.shape[1])
        if self.pool == "std":
            pooled = torch.cat([pooled, (z.var(1) + self.eps).sqrt()], 1)
        return self.rho(pooled)


def set_batches(seed: int, batch: int = 32, size: int = 16, classes: int = 4, nan_element: bool = False
                ) -> Callable[[int], Any]:
    """Sets of ``size`` 2-d points: a set of class ``c`` has its points on a ring of radius ``1 + c/2`` (with noise,
    random phase), so only a symmetric function of the whole set tells the class. ``nan_element``: one point of one
    set per batch is NaN (a missing sensor reading)."""
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        y = torch.randint(0, classes, (batch,), generator=g)
        angle = torch.rand(batch, size, generator=g) * 2 * math.pi
        radius = (1 + 0.5 * y)[:, None] + 0.15 * torch.randn(batch, size, generator=g)
        x = torch.stack([radius * angle.cos(), radius * angle.sin()], -1)
        if nan_element:
            x[5, 3, 0] = float("nan")
        pool.append((x, y))
    return lambda step: pool[step % POOL]


# ---- density: a mixture density network ------------------------------------------------------------------------------


class MDN(nn.Module):
    """A mixture density network (Bishop 1994): a tanh MLP giving ``k`` mixture logits, means and log-stds for a
    scalar target; returns ``(logits, mu, log_sigma)``."""

    def __init__(self, hidden: int = 64, k: int = 5) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.head = nn.Linear(hidden, 3 * k)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        logits, mu, log_sigma = self.head(self.body(x)).chunk(3, -1)
        return logits, mu, log_sigma


def mdn_nll(out: tuple[torch.Tensor, torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood, in log space (``logsumexp``)."""
    logits, mu, log_sigma = out
    z = (y - mu) / log_sigma.exp()
    log_comp = -0.5 * z**2 - log_sigma - 0.5 * math.log(2 * math.pi)
    return -torch.logsumexp(F.log_softmax(logits, -1) + log_comp, -1).mean()


def mdn_nll_prob_space(out: tuple[torch.Tensor, torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """The same likelihood summed as probabilities and then logged (the textbook formula written literally)."""
    logits, mu, log_sigma = out
    sigma = log_sigma.exp()
    pdf = torch.exp(-0.5 * ((y - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    return -torch.log((torch.softmax(logits, -1) * pdf).sum(-1)).mean()


def inverse_batches(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """Bishop's inverse problem: ``x = t + 0.3 sin(2 pi t) + noise``, predict ``t`` from ``x`` (multi-valued); 2% of
    the records carry a gross error (``t`` off by 20: heavy-tailed labels, as real logs have)."""
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        t = torch.rand(batch, 1, generator=g)
        x = t + 0.3 * torch.sin(2 * math.pi * t) + 0.05 * torch.randn(batch, 1, generator=g)
        gross = torch.rand(batch, 1, generator=g) < 0.02
        gross[0] = True
        t = torch.where(gross, t + 20.0, t)
        pool.append((x - 0.5, t - 0.5))
    return lambda step: pool[step % POOL]


# ---- time series: an Elman RNN forecaster ----------------------------------------------------------------------------


class RNNForecaster(nn.Module):
    """A tanh Elman RNN reading a multivariate series, a linear read-out of the last state forecasting the next
    value of every channel; ``radius``: the recurrent matrix re-drawn orthogonal times ``radius``."""

    def __init__(self, channels: int = 4, hidden: int = 64, radius: float | None = None) -> None:
        super().__init__()
        self.rnn = nn.RNN(channels, hidden, batch_first=True)
        self.out = nn.Linear(hidden, channels)
        if radius is not None:
            with torch.no_grad():
                nn.init.orthogonal_(self.rnn.weight_hh_l0)
                self.rnn.weight_hh_l0.mul_(radius)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)
        return self.out(h[:, -1])


def series_batches(seed: int, batch: int = 32, length: int = 40, channels: int = 4, scale: float = 1.0
                   ) -> Callable[[int], Any]:
    """Sums of two sinusoids per channel (random phase and a per-series frequency) plus noise; the target is the
    next value; ``scale``: series and targets in raw sensor units (times ``scale``), not standardised."""
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    t = torch.arange(length + 1, dtype=torch.float32)
    for _ in range(POOL):
        f = 0.1 + 0.3 * torch.rand(batch, 1, channels, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, channels, generator=g)
        s = torch.sin(f * t[None, :, None] + ph) + 0.5 * torch.sin(2.3 * f * t[None, :, None] + 2 * ph)
        s = s + 0.05 * torch.randn(s.shape, generator=g)
        s = s * scale
        pool.append((s[:, :-1], s[:, -1]))
    return lambda step: pool[step % POOL]


# ---- a deep plain MLP ---------------------------------------------------------------------------------------------


class DeepPlainMLP(nn.Module):
    """``depth`` Linear + ``act`` layers of width 64 (PyTorch's default init, no residuals, no normalisation) on 32-d
    vectors, 10 classes."""

    def __init__(self, depth: int = 40, act: Callable[[], nn.Module] = nn.Softplus, width: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Linear(32, width), act()]
        for _ in range(depth - 2):
            layers += [nn.Linear(width, width), act()]
        layers.append(nn.Linear(width, 10))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
