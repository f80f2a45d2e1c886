"""Hand-written models of the forty-fifth held-out batch (``fresh44.py``), graph-classification, generative and audio
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The tabular, forecasting, recommendation and link-prediction models are in
``fresh44_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- MinCutPool ------------------------------------------------------------------------------------------------------


def _norm_adj(a: torch.Tensor) -> torch.Tensor:
    """``D^-1/2 A D^-1/2`` of a batch of dense adjacencies (a degree 0 counts as 1)."""
    d = a.sum(-1).clamp_min(1.0) ** -0.5
    return d[..., :, None] * a * d[..., None, :]


class _GCSkip(nn.Module):
    """The paper's message passing (Spektral's ``GraphConvSkip``): ``relu(A_n X W + X V)``."""

    def __init__(self, i: int, o: int, bias: float | None = None) -> None:
        super().__init__()
        self.w, self.v = nn.Linear(i, o), nn.Linear(i, o, bias=False)
        if bias is not None:
            nn.init.constant_(self.w.bias, bias)

    def forward(self, x: torch.Tensor, an: torch.Tensor) -> torch.Tensor:
        return F.relu(an @ self.w(x) + self.v(x))


class MinCutPool(nn.Module):
    """MinCutPool (Bianchi, Grattarola and Alippi 2020, "Spectral clustering with graph neural networks for graph
    pooling") for graph classification, narrowed: a ``GraphConvSkip`` layer of 32, the MinCut pooling to 4 clusters
    (``S = softmax(Linear(X))``, ``X' = S^T X``, ``A' = S^T A S`` with its diagonal zeroed and normalised), a second
    ``GraphConvSkip`` of 32 on the pooled graph, the mean over clusters and a softmax layer; PyTorch's default init.
    Returns the logits and the auxiliary loss: the MinCut loss ``-tr(S^T A S) / tr(S^T D S)`` plus the orthogonality
    loss ``|S^T S / |S^T S|_F - I / sqrt(K)|_F``.
    ``relu_bias``: both ``GraphConvSkip`` layers' ``W`` bias set to that value."""

    def __init__(self, features: int = 2, hidden: int = 32, clusters: int = 4, classes: int = 4,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.pre = _GCSkip(features, hidden, relu_bias)
        self.assign = nn.Linear(hidden, clusters)
        self.post = _GCSkip(hidden, hidden, relu_bias)
        self.out = nn.Linear(hidden, classes)
        self.k = clusters

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        x, a = inp
        an = _norm_adj(a)
        x = self.pre(x, an)
        s = torch.softmax(self.assign(x), -1)
        st = s.transpose(1, 2)
        a_pool = st @ an @ s
        cut = -a_pool.diagonal(dim1=1, dim2=2).sum(-1) / (st @ torch.diag_embed(an.sum(-1)) @ s).diagonal(
            dim1=1, dim2=2).sum(-1)
        sts = st @ s
        eye = torch.eye(self.k) / self.k ** 0.5
        ortho = (sts / sts.flatten(1).norm(dim=1)[:, None, None] - eye).flatten(1).norm(dim=1)
        a_pool = a_pool * (1 - torch.eye(self.k))
        x = self.post(st @ x, _norm_adj(a_pool))
        return self.out(x.mean(1)), (cut + ortho).mean()


# ---- Sentence VAE ----------------------------------------------------------------------------------------------------


class SentenceVAE(nn.Module):
    """The sentence VAE (Bowman et al. 2016, "Generating sentences from a continuous space"), narrowed: word
    embeddings of 32, an LSTM encoder of 64 whose last state gives the posterior's mean and log-variance (latent 16),
    ``z`` mapped to the decoder LSTM's initial state, the decoder reading the sentence shifted right (a start token)
    with the paper's word dropout (each input word replaced by ``<unk>`` with probability 0.25 while training), a
    softmax over the vocabulary; PyTorch's default init. Returns the logits and the KL divergence per sentence.
    ``hh_std``: both LSTMs' recurrent matrices drawn N(0, hh_std^2); ``layers``: both LSTMs' number of stacked
    layers (``z`` starts every decoder layer); ``posterior``: ``"logvar"`` (the head gives the log-variance) or
    ``"variance"`` (its output taken for the variance itself: ``sqrt`` and ``log`` of an unconstrained Linear)."""

    def __init__(self, vocab: int = 64, d: int = 32, hidden: int = 64, latent: int = 16, word_drop: float = 0.25,
                 hh_std: float | None = None, layers: int = 1, posterior: str = "logvar") -> None:
        super().__init__()
        self.sos, self.unk = vocab, vocab + 1
        self.emb = nn.Embedding(vocab + 2, d)
        self.enc, self.dec = (nn.LSTM(d, hidden, layers, batch_first=True) for _ in range(2))
        self.layers, self.posterior = layers, posterior
        self.mu, self.logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.z2h = nn.Linear(latent, hidden)
        self.out = nn.Linear(hidden, vocab)
        self.word_drop = word_drop
        if hh_std is not None:
            for lstm in (self.enc, self.dec):
                nn.init.normal_(lstm.weight_hh_l0, 0.0, hh_std)

    def forward(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, (h, _) = self.enc(self.emb(s))
        mu, logvar = self.mu(h[-1]), self.logvar(h[-1])
        if self.posterior == "variance":  # the head's output taken for the variance itself
            var = logvar
            logvar = torch.log(var)
            z = mu + torch.randn_like(mu) * torch.sqrt(var)
        else:
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        inp = torch.cat([torch.full_like(s[:, :1], self.sos), s[:, :-1]], 1)
        if self.training:
            inp = torch.where(torch.rand(inp.shape) < self.word_drop, torch.full_like(inp, self.unk), inp)
        h0 = self.z2h(z)[None].repeat(self.layers, 1, 1).contiguous()
        y, _ = self.dec(self.emb(inp), (h0, torch.zeros_like(h0)))
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(-1)
        return self.out(y), kl


# ---- KWT -------------------------------------------------------------------------------------------------------------


class KWT(nn.Module):
    """The Keyword Transformer (Berg, O'Connor and Cruz 2021, "Keyword Transformer: a self-attention model for keyword
    spotting"), narrowed: each time frame of the spectrogram (20 bins) a patch, linearly projected to 64, a class token
    and learned positions, 4 post-norm Transformer layers of 1 head (KWT-1's width, MLP 256, GELU, no dropout), the
    class token's LayerNormed state to a softmax layer; PyTorch's default init, the class token and positions
    N(0, 0.02^2). ``init_std``: every Linear and attention projection drawn N(0, init_std^2) instead."""

    def __init__(self, frames: int = 16, bins: int = 20, classes: int = 10, d: int = 64, depth: int = 4,
                 heads: int = 1, mlp: int = 256, init_std: float | None = None) -> None:
        super().__init__()
        self.patch = nn.Linear(bins, d)
        self.cls = nn.Parameter(0.02 * torch.randn(1, 1, d))
        self.pos = nn.Parameter(0.02 * torch.randn(1, frames + 1, d))
        layer = nn.TransformerEncoderLayer(d, heads, mlp, 0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, classes)
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, init_std)
            for m in self.encoder.layers:
                nn.init.normal_(m.self_attn.in_proj_weight, 0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, frames, bins
        x = self.patch(x)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        return self.head(self.norm(self.encoder(x)[:, 0]))


# ---- Res15 -----------------------------------------------------------------------------------------------------------


class Res15(nn.Module):
    """res15 (Tang and Lin 2018, "Deep residual learning for small-footprint keyword spotting"), narrowed to 16 feature
    maps: a 3x3 convolution, then 12 more 3x3 convolutions dilated ``2 ** (i // 3)``, a residual sum every second
    layer, each layer ``conv -> ReLU`` (no biases) and, after the first, a BatchNorm without affine parameters (the
    reference code's order: after the residual sum); global average pooling and a softmax layer; PyTorch's default
    init. ``bn``: whether the BatchNorms are built."""

    def __init__(self, classes: int = 10, maps: int = 16, layers: int = 13, bn: bool = True) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(1 if i == 0 else maps, maps, 3, padding=2 ** (i // 3),
                                              dilation=2 ** (i // 3), bias=False) for i in range(layers)])
        self.bns = nn.ModuleList([nn.BatchNorm2d(maps, affine=False) if bn else nn.Identity()
                                  for _ in range(layers)])
        self.out = nn.Linear(maps, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, frames, bins
        x = x[:, None]
        old = x
        for i, conv in enumerate(self.convs):
            y = F.relu(conv(x))
            if i == 0:
                old = x = y
                continue
            if i % 2 == 0:
                x = old = y + old
            else:
                x = y
            x = self.bns[i](x)
        return self.out(x.mean((2, 3)))
