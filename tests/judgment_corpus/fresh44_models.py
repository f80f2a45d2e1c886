"""Hand-written models of the forty-fifth held-out batch (``fresh44.py``), tabular, forecasting, recommendation and
link-prediction ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The graph-classification, generative and audio models are in
``fresh44_models2.py``."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

# ---- Net-DNF ---------------------------------------------------------------------------------------------------------


class NetDNF(nn.Module):
    """Net-DNF (Katzir, Elidan and El-Yaniv 2021, "Net-DNF: effective deep modeling of tabular data"), narrowed: 32
    DNNF blocks, each with 16 literals ``L = tanh(W x + b)`` (an affine layer), 8 soft conjunctions over fixed random
    binary masks ``m`` of 3 literals, ``c = tanh(m . L - |m| + 1.5)``, and their soft disjunction ``tanh(sum c + 8 -
    1.5)``; a linear layer over the 32 block outputs gives the logits (the localisation and feature-selection parts
    are left out); PyTorch's default init."""

    def __init__(self, features: int = 16, classes: int = 4, blocks: int = 32, literals: int = 16, conj: int = 8,
                 width: int = 3) -> None:
        super().__init__()
        self.blocks, self.literals = blocks, literals
        self.lit = nn.Linear(features, blocks * literals)
        g = torch.Generator().manual_seed(4400)
        masks = torch.zeros(blocks, conj, literals)
        for b in range(blocks):
            for c in range(conj):
                masks[b, c, torch.randperm(literals, generator=g)[:width]] = 1.0
        self.register_buffer("masks", masks)
        self.out = nn.Linear(blocks, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lits = torch.tanh(self.lit(x)).view(-1, self.blocks, self.literals)
        c = torch.tanh(torch.einsum("nbl,bcl->nbc", lits, self.masks) - self.masks.sum(-1) + 1.5)
        d = torch.tanh(c.sum(-1) + c.shape[-1] - 1.5)
        return self.out(d)


# ---- TimeMixer -------------------------------------------------------------------------------------------------------


def _moving_avg(x: torch.Tensor, k: int) -> torch.Tensor:
    """Autoformer's series decomposition trend: a moving average of odd width ``k`` along dim 1, ends replicated."""
    pad = (k - 1) // 2
    xp = torch.cat([x[:, :1].expand(-1, pad, -1), x, x[:, -1:].expand(-1, pad, -1)], 1)
    return F.avg_pool1d(xp.transpose(1, 2), k, 1).transpose(1, 2)


class _PDM(nn.Module):
    """TimeMixer's past-decomposable-mixing block over the scales (finest first): each scale split into season and
    trend, seasons mixed bottom-up (fine to coarse) and trends top-down by GELU MLPs along time, then each scale's
    ``x + FFN(season + trend)`` (the channel feed-forward d -> d_ff -> d)."""

    def __init__(self, lengths: list[int], d: int, d_ff: int, kernel: int) -> None:
        super().__init__()
        self.kernel = kernel
        self.down = nn.ModuleList([nn.Sequential(nn.Linear(a, b), nn.GELU(), nn.Linear(b, b))
                                   for a, b in itertools.pairwise(lengths)])
        self.up = nn.ModuleList([nn.Sequential(nn.Linear(b, a), nn.GELU(), nn.Linear(a, a))
                                 for a, b in itertools.pairwise(lengths)])
        self.ff = nn.Sequential(nn.Linear(d, d_ff), nn.GELU(), nn.Linear(d_ff, d))

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        trends = [_moving_avg(x, self.kernel) for x in xs]
        seasons = [x - t for x, t in zip(xs, trends)]
        s_mix = [seasons[0]]
        for i, f in enumerate(self.down):
            s_mix.append(seasons[i + 1] + f(s_mix[-1].transpose(1, 2)).transpose(1, 2))
        t_mix = [trends[-1]]
        for i in reversed(range(len(self.up))):
            t_mix.insert(0, trends[i] + self.up[i](t_mix[0].transpose(1, 2)).transpose(1, 2))
        return [x + self.ff(s + t) for x, s, t in zip(xs, s_mix, t_mix)]


class TimeMixer(nn.Module):
    """TimeMixer (Wang et al. 2024, "TimeMixer: decomposable multiscale mixing for time series forecasting"),
    narrowed, channel-independent: RevIN on each input window (eps 1e-5), the window and two average-pooled copies
    (48, 24, 12 steps), each step embedded to ``d_model`` 16, two PDM blocks (moving average 5, ``d_ff`` 32), then the
    future-multipredictor-mixing: per scale a Linear along time to the 16-step horizon and a projection to one value,
    summed, and RevIN undone; PyTorch's default init. ``revin_eps``: the eps inside RevIN's standard deviation (0: the
    plain ``sqrt(var)``)."""

    def __init__(self, length: int = 48, horizon: int = 16, d: int = 16, d_ff: int = 32, layers: int = 2,
                 scales: int = 2, kernel: int = 5, revin_eps: float = 1e-5) -> None:
        super().__init__()
        lengths = [length // 2 ** i for i in range(scales + 1)]
        self.embed = nn.Linear(1, d)
        self.blocks = nn.ModuleList([_PDM(lengths, d, d_ff, kernel) for _ in range(layers)])
        self.predict = nn.ModuleList([nn.Linear(n, horizon) for n in lengths])
        self.proj = nn.Linear(d, 1)
        self.scales, self.eps = scales, revin_eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, length
        mean = x.mean(1, keepdim=True)
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + self.eps)
        z = ((x - mean) / std)[..., None]
        xs = [z]
        for _ in range(self.scales):
            xs.append(F.avg_pool1d(xs[-1].transpose(1, 2), 2).transpose(1, 2))
        xs = [self.embed(v) for v in xs]
        for block in self.blocks:
            xs = block(xs)
        y = sum(self.proj(p(v.transpose(1, 2)).transpose(1, 2)) for p, v in zip(self.predict, xs))
        return y.squeeze(-1) * std + mean


# ---- CORE ------------------------------------------------------------------------------------------------------------


class CORE(nn.Module):
    """CORE (Hou et al. 2022, "CORE: simple and effective session-based recommendation within consistent
    representation space"), CORE-trm narrowed: item embeddings of 64 (dropout 0.2 on the session's), a 2-layer
    2-head Transformer encoder (dropout 0.2, learned positions) giving a softmax weight per position, the session the
    weighted sum of its own item embeddings (the consistent representation space), then session and items
    L2-normalised, scored by cosine over the temperature 0.07 (item dropout 0.2 on the candidate table);
    N(0, 0.02^2) init as RecBole's. ``init_std``: every embedding and Linear drawn N(0, init_std^2) instead."""

    def __init__(self, items: int = 64, length: int = 8, d: int = 64, layers: int = 2, heads: int = 2,
                 drop: float = 0.2, temperature: float = 0.07, init_std: float = 0.02) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(items, d), nn.Embedding(length, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, drop, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.alpha = nn.Linear(d, 1)
        self.sess_drop, self.item_drop = nn.Dropout(drop), nn.Dropout(drop)
        self.temperature = temperature
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, init_std)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        e = self.sess_drop(self.emb(s))
        h = self.encoder(e + self.pos(torch.arange(s.shape[1])))
        w = torch.softmax(self.alpha(h), 1)
        sess = F.normalize((w * e).sum(1), dim=-1)
        table = F.normalize(self.item_drop(self.emb.weight), dim=-1)
        return sess @ table.T / self.temperature


# ---- ConvE -----------------------------------------------------------------------------------------------------------


class ConvE(nn.Module):
    """ConvE (Dettmers et al. 2018, "Convolutional 2D knowledge graph embeddings"), narrowed: entity and relation
    embeddings of 32 reshaped to 4x8 and stacked (8x8), BatchNorm, input dropout 0.2, a 3x3 convolution of 32
    filters, BatchNorm, ReLU, feature-map dropout 0.2, a Linear to 32, hidden dropout 0.3, BatchNorm, ReLU, then
    1-N scoring against every entity embedding plus a per-entity bias; embeddings Xavier-normal (the reference
    code's). ``placeholder_entities``: the entity table built ``nn.Embedding.from_pretrained(torch.zeros(n, d))`` as
    a placeholder for pretrained vectors that a ``pretrained: false`` config never loads (``freeze`` defaults to
    True: the zeros never train)."""

    def __init__(self, entities: int = 32, relations: int = 4, d: int = 32, h: int = 4,
                 placeholder_entities: bool = False) -> None:
        super().__init__()
        self.h, self.w = h, d // h
        if placeholder_entities:
            self.ent = nn.Embedding.from_pretrained(torch.zeros(entities, d))
        else:
            self.ent = nn.Embedding(entities, d)
            nn.init.xavier_normal_(self.ent.weight)
        self.rel = nn.Embedding(relations, d)
        nn.init.xavier_normal_(self.rel.weight)
        self.bn0, self.bn1, self.bn2 = nn.BatchNorm2d(1), nn.BatchNorm2d(32), nn.BatchNorm1d(d)
        self.in_drop, self.feat_drop, self.hid_drop = nn.Dropout(0.2), nn.Dropout2d(0.2), nn.Dropout(0.3)
        self.conv = nn.Conv2d(1, 32, 3)
        self.fc = nn.Linear(32 * (2 * self.h - 2) * (self.w - 2), d)
        self.b = nn.Parameter(torch.zeros(entities))

    def forward(self, hr: torch.Tensor) -> torch.Tensor:  # hr: b, 2 (head, relation)
        e = self.ent(hr[:, 0]).view(-1, 1, self.h, self.w)
        r = self.rel(hr[:, 1]).view(-1, 1, self.h, self.w)
        x = self.in_drop(self.bn0(torch.cat([e, r], 2)))
        x = self.feat_drop(F.relu(self.bn1(self.conv(x))))
        x = F.relu(self.bn2(self.hid_drop(self.fc(x.flatten(1)))))
        return x @ self.ent.weight.T + self.b
