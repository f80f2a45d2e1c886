"""Hand-written models of the forty-eighth held-out batch (``fresh47.py``), recommender and forecasting ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The point-cloud, voxel, tabular and control models are in ``fresh47_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- DMF -------------------------------------------------------------------------------------------------------------


class DMF(nn.Module):
    """Deep Matrix Factorization (Xue et al. 2017, "Deep matrix factorization models for recommender systems"),
    narrowed: the user's row and the item's column of the observed rating matrix each through a tower (a bias-free
    Linear to 64, then a ReLU layer to 32), the prediction ``max(mu, cos(p_u, q_i))`` with ``mu = 1e-6``; every weight
    and bias truncated-normal with std 0.01 (the reference code's ``init_variable``). ``relu_layers``: the ReLU
    layers of each tower (the last to 32, the others of 64); ``relu_bias``: the ReLU layers' biases set to that value
    (every unit dead when it is -10); ``clamp``: the ``max(mu, .)`` (without it a cosine of exactly 0, two ReLU
    vectors with disjoint supports, goes into the normalised cross-entropy's ``log``)."""

    def __init__(self, ratings: torch.Tensor, hidden: tuple[int, int] = (64, 32), mu: float = 1e-6,
                 relu_bias: float | None = None, clamp: bool = True, relu_layers: int = 1) -> None:
        super().__init__()
        self.register_buffer("y", ratings)
        users, items = ratings.shape
        self.user, self.item = (nn.ModuleList([nn.Linear(n, hidden[0], bias=False)]
                                              + [nn.Linear(hidden[0], hidden[0]) for _ in range(relu_layers - 1)]
                                              + [nn.Linear(hidden[0], hidden[1])]) for n in (items, users))
        self.mu, self.clamp = mu, clamp
        with torch.no_grad():
            for p in self.parameters():
                nn.init.trunc_normal_(p, std=0.01, a=-0.02, b=0.02)
            if relu_bias is not None:
                for layer in [*self.user[1:], *self.item[1:]]:
                    layer.bias.fill_(relu_bias)

    @staticmethod
    def _tower(layers: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
        x = layers[0](x)
        for layer in layers[1:]:
            x = F.relu(layer(x))
        return x

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        p = self._tower(self.user, self.y[pairs[:, 0]])
        q = self._tower(self.item, self.y[:, pairs[:, 1]].T)
        cos = F.cosine_similarity(p, q, dim=-1)
        return cos.clamp_min(self.mu) if self.clamp else cos


# ---- HGN -------------------------------------------------------------------------------------------------------------


class HGN(nn.Module):
    """Hierarchical Gating Networks (Ma, Kang and Liu 2019, "Hierarchical gating networks for sequential
    recommendation"), as the reference code: user and item embeddings of ``d``, the feature gating ``sigmoid(W1 E +
    W2 u)``, the instance gating ``sigmoid(E' w3 + u W4)``, the gated items averaged by their instance weights, and
    the score of a candidate ``j`` as ``b_j + u . w_j + union . w_j + sum_l e_l . w_j`` (the item-item product);
    embeddings N(0, (1/d)^2), the instance gates Xavier-uniform, ``b`` zero. ``init_std``: every embedding drawn
    N(0, init_std^2) instead."""

    def __init__(self, users: int = 64, items: int = 64, d: int = 50, length: int = 5,
                 init_std: float | None = None) -> None:
        super().__init__()
        self.user_emb, self.item_emb = nn.Embedding(users, d), nn.Embedding(items, d)
        self.fg_item, self.fg_user = nn.Linear(d, d), nn.Linear(d, d)
        self.ig_item, self.ig_user = nn.Parameter(torch.empty(d, 1)), nn.Parameter(torch.empty(d, length))
        self.w2, self.b2 = nn.Embedding(items, d), nn.Embedding(items, 1)
        std = 1.0 / d if init_std is None else init_std
        with torch.no_grad():
            for emb in (self.user_emb, self.item_emb, self.w2):
                emb.weight.normal_(0.0, std)
            self.b2.weight.zero_()
            nn.init.xavier_uniform_(self.ig_item)
            nn.init.xavier_uniform_(self.ig_user)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        seq, user, cand = batch
        e, u = self.item_emb(seq), self.user_emb(user)
        g = e * torch.sigmoid(self.fg_item(e) + self.fg_user(u).unsqueeze(1))
        inst = torch.sigmoid((g @ self.ig_item).squeeze(-1) + u @ self.ig_user)
        union = (g * inst.unsqueeze(-1)).sum(1) / inst.sum(1, keepdim=True)
        w, b = self.w2(cand), self.b2(cand).squeeze(-1)
        return b + (w @ (u + union).unsqueeze(-1)).squeeze(-1) + (w @ e.transpose(1, 2)).sum(-1)


# ---- SparseTSF -------------------------------------------------------------------------------------------------------


class SparseTSF(nn.Module):
    """SparseTSF (Lin et al. 2024, "SparseTSF: modeling long-term time series forecasting with 1k parameters"), as the
    reference code: channel-independent, the window's mean subtracted, the sliding aggregation (a bias-free
    convolution of kernel ``1 + 2 (w // 2)`` along time, added back), the window cut into its ``w``-step periods and
    one bias-free Linear from the ``L / w`` past segments to the ``H / w`` future ones, shared by every phase, and the
    mean added back; PyTorch's default init. ``denorm``: the mean added back to the forecast (without it the model
    forecasts the de-meaned series against targets at their own level, a level it no longer sees)."""

    def __init__(self, lookback: int = 96, horizon: int = 48, period: int = 24, denorm: bool = True) -> None:
        super().__init__()
        self.lookback, self.horizon, self.period, self.denorm = lookback, horizon, period, denorm
        self.conv = nn.Conv1d(1, 1, 1 + 2 * (period // 2), padding=period // 2, bias=False)
        self.linear = nn.Linear(lookback // period, horizon // period, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, L, c) -> (b, H, c)
        b, _, c = x.shape
        mean = x.mean(1, keepdim=True)
        x = (x - mean).permute(0, 2, 1)
        x = self.conv(x.reshape(-1, 1, self.lookback)).reshape(b, c, self.lookback) + x
        x = x.reshape(-1, self.lookback // self.period, self.period).permute(0, 2, 1)
        y = self.linear(x).permute(0, 2, 1).reshape(b, c, self.horizon)
        y = y.permute(0, 2, 1)
        return y + mean if self.denorm else y


# ---- AGCRN -----------------------------------------------------------------------------------------------------------


class _AVWGCN(nn.Module):
    """AGCRN's node-adaptive graph convolution: the adaptive adjacency ``softmax(relu(E E^T))``, Chebyshev order 2
    (``[I, A]``), weights and biases generated per node from its embedding by the pools."""

    def __init__(self, din: int, dout: int, embed: int, cheb_k: int = 2) -> None:
        super().__init__()
        self.weights_pool = nn.Parameter(torch.empty(embed, cheb_k, din, dout))
        self.bias_pool = nn.Parameter(torch.empty(embed, dout))

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        n = e.shape[0]
        a = F.softmax(F.relu(e @ e.T), dim=1)
        supports = torch.stack([torch.eye(n), a])
        k, din, dout = self.weights_pool.shape[1:]
        w = (e @ self.weights_pool.reshape(e.shape[1], -1)).reshape(n, k * din, dout)
        xg = torch.einsum("knm,bmc->nbkc", supports, x).reshape(n, x.shape[0], k * din)
        return torch.bmm(xg, w).transpose(0, 1) + e @ self.bias_pool


class _AGCRNCell(nn.Module):
    def __init__(self, din: int, hidden: int, embed: int, keep_bias: float) -> None:
        super().__init__()
        self.hidden, self.keep_bias = hidden, keep_bias
        self.gate, self.update = _AVWGCN(din + hidden, 2 * hidden, embed), _AVWGCN(din + hidden, hidden, embed)

    def forward(self, x: torch.Tensor, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        zr = self.gate(torch.cat([x, h], -1), e)
        z, r = torch.sigmoid(zr[..., :self.hidden]), torch.sigmoid(zr[..., self.hidden:] + self.keep_bias)
        hc = torch.tanh(self.update(torch.cat([x, z * h], -1), e))
        return r * h + (1 - r) * hc


class AGCRN(nn.Module):
    """AGCRN (Bai et al. 2020, "Adaptive graph convolutional recurrent network for traffic forecasting"), narrowed:
    node embeddings of 10, one AGCRN cell (the GRU with its gates and candidate from the node-adaptive graph
    convolution; the paper stacks two) of 32 units over the 12-step window, the last state read out by the end
    convolution to the 12-step horizon; the reference code's init (Xavier-uniform for every parameter of two or more
    dimensions, U(0, 1) for the rest). ``keep_bias``: a constant added to the keep gate ``r``'s pre-activation (``h =
    r h + (1 - r) h~``; +10 keeps the zero initial state for ever)."""

    def __init__(self, nodes: int = 8, embed: int = 10, hidden: int = 32, layers: int = 1, horizon: int = 12,
                 keep_bias: float = 0.0) -> None:
        super().__init__()
        self.hidden, self.horizon = hidden, horizon
        self.node_emb = nn.Parameter(torch.empty(nodes, embed))
        self.cells = nn.ModuleList([_AGCRNCell(1 if i == 0 else hidden, hidden, embed, keep_bias)
                                    for i in range(layers)])
        self.end_conv = nn.Conv2d(1, horizon, kernel_size=(1, hidden))
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
            else:
                nn.init.uniform_(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, T, N) -> (b, horizon, N)
        b, t, n = x.shape
        seq = x.unsqueeze(-1)
        for cell in self.cells:
            h, out = torch.zeros(b, n, self.hidden), []
            for s in range(t):
                h = cell(seq[:, s], h, self.node_emb)
                out.append(h)
            seq = torch.stack(out, 1)
        return self.end_conv(seq[:, -1:]).squeeze(-1)  # (b, 1, N, hidden) -> (b, horizon, N)
