"""Hand-written models of the thirty-ninth held-out batch (``fresh38.py``), graph, recommender, forecasting and
point-cloud ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The operator-learning, audio, contrastive and density models are in
``fresh38_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- H2GCN -----------------------------------------------------------------------------------------------------------


class H2GCN(nn.Module):
    """H2GCN (Zhu et al. 2020, "Beyond homophily in graph neural networks"): the ego embedding ``r0 = relu(X W_e)``
    (the model's only nonlinearity), two rounds ``r_k = [A1 r_{k-1}, A2 r_{k-1}]`` over the symmetric-normalised
    1-hop and strict 2-hop adjacencies (no self-loops: ego and neighbours kept apart), the combination ``[r0, r1,
    r2]``, dropout 0.5 and a Linear classifier (the reference code's); hidden 64, PyTorch's default init.
    ``relu_bias``: ``W_e``'s bias set to that value (every unit of ``r0`` dead when it is -10); ``init_std``: both
    Linears' weights drawn N(0, init_std^2)."""

    def __init__(self, a1: torch.Tensor, a2: torch.Tensor, features: int, classes: int, hidden: int = 64,
                 rounds: int = 2, relu_bias: float | None = None, init_std: float | None = None) -> None:
        super().__init__()
        self.register_buffer("a1", a1)
        self.register_buffer("a2", a2)
        self.embed = nn.Linear(features, hidden)
        self.rounds = rounds
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(hidden * (2 ** (rounds + 1) - 1), classes)
        if relu_bias is not None:
            nn.init.constant_(self.embed.bias, relu_bias)
        if init_std is not None:
            for lin in (self.embed, self.out):
                nn.init.normal_(lin.weight, 0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = F.relu(self.embed(x))
        reps = [r]
        for _ in range(self.rounds):
            r = torch.cat([self.a1 @ r, self.a2 @ r], 1)
            reps.append(r)
        return self.out(self.drop(torch.cat(reps, 1)))


# ---- NGCF ------------------------------------------------------------------------------------------------------------


class NGCF(nn.Module):
    """NGCF (Wang et al. 2019, "Neural graph collaborative filtering"): user and item embeddings of 64 propagated
    over the normalised user-item graph ``L`` for three layers, ``E' = LeakyReLU_0.2((L + I) E W1 + (L E * E) W2)``
    with message dropout 0.1 and each layer's output L2-normalised, the layers' embeddings concatenated; a pair is
    scored by the inner product. Embeddings and weights Xavier-uniform, biases zero (the reference code's
    ``init_weight``). ``init_first``: the model's ``self.apply(self._init_weights)`` written at the top of
    ``__init__``, before the embedding table and the layers exist (it initialises nothing, so they keep PyTorch's
    defaults: the embeddings N(0, 1))."""

    def __init__(self, lap: torch.Tensor, users: int, d: int = 64, layers: int = 3, drop: float = 0.1,
                 init_first: bool = False) -> None:
        super().__init__()
        if init_first:
            self.apply(self._init_weights)
        self.register_buffer("lap", lap)
        self.users = users
        self.emb = nn.Embedding(lap.shape[0], d)
        self.w1 = nn.ModuleList([nn.Linear(d, d) for _ in range(layers)])
        self.w2 = nn.ModuleList([nn.Linear(d, d) for _ in range(layers)])
        self.drop = nn.Dropout(drop)
        if not init_first:
            self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.xavier_uniform_(m.weight)
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)

    def embeddings(self) -> torch.Tensor:
        e = self.emb.weight
        out = [e]
        for w1, w2 in zip(self.w1, self.w2, strict=True):
            side = self.lap @ e
            e = self.drop(F.leaky_relu(w1(side + e) + w2(side * e), 0.2))
            out.append(F.normalize(e, dim=1))
        return torch.cat(out, 1)

    def forward(self, triples: torch.Tensor) -> torch.Tensor:  # triples: b, 3 (user, positive item, negative item)
        e = self.embeddings()
        u, i, j = e[triples[:, 0]], e[self.users + triples[:, 1]], e[self.users + triples[:, 2]]
        return torch.stack([(u * i).sum(1), (u * j).sum(1), (u.pow(2) + i.pow(2) + j.pow(2)).sum(1)], 1)


# ---- CycleNet --------------------------------------------------------------------------------------------------------


class CycleNet(nn.Module):
    """CycleNet (Lin et al. 2024, "CycleNet: enhancing time series forecasting through modeling periodic patterns"),
    its MLP variant: RevIN (the instance's mean and standard deviation over the look-back, eps 1e-5, no affine),
    the learnable recurrent cycle ``Q`` (cycle length x channels, zeros) removed from the look-back and added back
    to the forecast at each sample's phase, and the backbone ``Linear(L, 512) - ReLU - Linear(512, H)`` along time
    per channel; PyTorch's default init."""

    def __init__(self, lookback: int = 48, horizon: int = 12, channels: int = 3, cycle: int = 24,
                 hidden: int = 512) -> None:
        super().__init__()
        self.q = nn.Parameter(torch.zeros(cycle, channels))
        self.backbone = nn.Sequential(nn.Linear(lookback, hidden), nn.ReLU(), nn.Linear(hidden, horizon))
        self.lookback, self.horizon, self.cycle = lookback, horizon, cycle

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:  # x: b, L, c; phase: b
        x, phase = inp
        mean = x.mean(1, keepdim=True)
        std = (x.var(1, keepdim=True, unbiased=False) + 1e-5).sqrt()
        x = (x - mean) / std
        t_in = (phase[:, None] + torch.arange(self.lookback)) % self.cycle
        t_out = (phase[:, None] + self.lookback + torch.arange(self.horizon)) % self.cycle
        x = x - self.q[t_in]
        y = self.backbone(x.transpose(1, 2)).transpose(1, 2) + self.q[t_out]
        return y * std + mean


# ---- PointMLP --------------------------------------------------------------------------------------------------------


def _norm1d(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm1d(c) if bn else nn.Identity()


class _ConvBNReLU(nn.Sequential):
    def __init__(self, a: int, b: int, bn: bool) -> None:
        super().__init__(nn.Conv1d(a, b, 1, bias=not bn), _norm1d(b, bn), nn.ReLU())


class _ResBlock(nn.Module):
    """PointMLP's ``ConvBNReLURes1D``: ``relu(x + BN(conv(relu(BN(conv(x))))))`` with point-wise convolutions."""

    def __init__(self, c: int, bn: bool) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(c, c, 1, bias=not bn), _norm1d(c, bn), nn.ReLU(),
                                 nn.Conv1d(c, c, 1, bias=not bn), _norm1d(c, bn))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.net(x))


class _Stage(nn.Module):
    """One PointMLP stage: ``anchors`` points (the first ones of the cloud, whose order is random, in place of
    farthest-point sampling), their ``k`` nearest neighbours grouped with the anchor's feature, the geometric affine
    module (``alpha * (group - anchor) / (std + 1e-5) + beta``, the std over the whole cloud's groups), the
    pre-extraction (a transfer ConvBNReLU and a residual block per group, max-pooled over the group) and the
    post-extraction (a residual block over the anchors)."""

    def __init__(self, a: int, b: int, anchors: int, k: int, bn: bool) -> None:
        super().__init__()
        self.anchors, self.k = anchors, k
        self.alpha, self.beta = nn.Parameter(torch.ones(1, 1, 1, a)), nn.Parameter(torch.zeros(1, 1, 1, a))
        self.transfer = _ConvBNReLU(2 * a, b, bn)
        self.pre, self.pos = _ResBlock(b, bn), _ResBlock(b, bn)

    def forward(self, xyz: torch.Tensor, f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # xyz b,n,3; f b,n,c
        b, s, k = xyz.shape[0], self.anchors, self.k
        new_xyz, new_f = xyz[:, :s], f[:, :s]
        idx = torch.cdist(new_xyz, xyz).topk(k, dim=2, largest=False).indices  # b, s, k
        grouped = torch.gather(f[:, None].expand(b, s, -1, -1), 2, idx[..., None].expand(-1, -1, -1, f.shape[2]))
        rel = grouped - new_f[:, :, None]
        std = rel.reshape(b, -1).std(1)[:, None, None, None]
        rel = self.alpha * rel / (std + 1e-5) + self.beta
        g = torch.cat([rel, new_f[:, :, None].expand(-1, -1, k, -1)], 3)  # b, s, k, 2c
        g = g.reshape(b * s, k, -1).transpose(1, 2)
        g = self.pre(self.transfer(g)).amax(2).reshape(b, s, -1)  # b, s, c'
        g = self.pos(g.transpose(1, 2)).transpose(1, 2)
        return new_xyz, g


class PointMLP(nn.Module):
    """PointMLP-elite (Ma et al. 2022, "Rethinking network design and local geometry in point cloud"), narrowed:
    a point-wise embedding of 16, two stages (16 anchors with 8 neighbours to 32 channels, 4 anchors with 4
    neighbours to 64), global max pooling, the classifier ``Linear - BN - ReLU - Dropout(0.5) - Linear``; PyTorch's
    default init. ``bn=False``: every BatchNorm left out (the convolutions then take biases)."""

    def __init__(self, classes: int = 6, bn: bool = True) -> None:
        super().__init__()
        self.embed = _ConvBNReLU(3, 16, bn)
        self.stages = nn.ModuleList([_Stage(16, 32, 16, 8, bn), _Stage(32, 64, 4, 4, bn)])
        self.head = nn.Sequential(nn.Linear(64, 32, bias=not bn), _norm1d(32, bn), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(32, classes))

    def forward(self, xyz: torch.Tensor) -> torch.Tensor:  # xyz: b, n, 3
        f = self.embed(xyz.transpose(1, 2)).transpose(1, 2)
        for stage in self.stages:
            xyz, f = stage(xyz, f)
        return self.head(f.amax(1))
