"""Hand-written models of the thirtieth held-out batch (``fresh29.py``), sequence, recommendation, graph and tabular
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The image, audio and time-series models are in ``fresh29_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- language model --------------------------------------------------------------------------------------------------


class RHN(nn.Module):
    """A Recurrent Highway Network LM (Zilly et al. 2017): per time step ``depth`` highway micro-layers, the input
    entering the first, coupled carry gates ``c = 1 - t``, transform-gate biases initialised at -2, weights drawn
    U(-0.04, 0.04) (the reference code's ``init_scale``); 128 units, embeddings of 64."""

    def __init__(self, vocab: int = 64, emb: int = 64, hidden: int = 128, depth: int = 3, t_bias: float = -2.0
                 ) -> None:
        super().__init__()
        self.hidden = hidden
        self.emb = nn.Embedding(vocab, emb)
        self.wx = nn.Linear(emb, 2 * hidden, bias=False)
        self.rs = nn.ModuleList(nn.Linear(hidden, 2 * hidden) for _ in range(depth))
        self.out = nn.Linear(hidden, vocab)
        for p in self.parameters():
            nn.init.uniform_(p, -0.04, 0.04)
        for r in self.rs:
            nn.init.constant_(r.bias[hidden:], t_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = self.wx(self.emb(x))
        s = xs.new_zeros(x.shape[0], self.hidden)
        outs = []
        for step in range(x.shape[1]):
            for layer, r in enumerate(self.rs):
                pre = r(s) + (xs[:, step] if layer == 0 else 0.0)
                h, t = pre.chunk(2, -1)
                t = torch.sigmoid(t)
                s = torch.tanh(h) * t + s * (1 - t)
            outs.append(s)
        return self.out(torch.stack(outs, 1))


# ---- session-based recommendation ------------------------------------------------------------------------------------


class NARM(nn.Module):
    """NARM (Li et al. 2017): item embeddings of 50 (dropout 0.25), a GRU of 100, the global encoder's last state
    and the local encoder's attention ``alpha_j = v^T sigmoid(A_1 h_t + A_2 h_j)`` over the states, concatenated
    (dropout 0.5), and the bilinear decoder ``emb_i^T B c`` over every item."""

    def __init__(self, items: int = 64, emb: int = 50, hidden: int = 100) -> None:
        super().__init__()
        self.emb = nn.Embedding(items, emb)
        self.drop_e, self.drop_c = nn.Dropout(0.25), nn.Dropout(0.5)
        self.gru = nn.GRU(emb, hidden, batch_first=True)
        self.a1 = nn.Linear(hidden, hidden, bias=False)
        self.a2 = nn.Linear(hidden, hidden, bias=False)
        self.v = nn.Linear(hidden, 1, bias=False)
        self.b = nn.Linear(2 * hidden, emb, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hs, _ = self.gru(self.drop_e(self.emb(x)))
        ht = hs[:, -1]
        alpha = self.v(torch.sigmoid(self.a1(ht)[:, None] + self.a2(hs)))  # (batch, time, 1)
        c = torch.cat([ht, (alpha * hs).sum(1)], -1)
        return self.b(self.drop_c(c)) @ self.emb.weight.T


# ---- recommendation --------------------------------------------------------------------------------------------------


class MultVAE(nn.Module):
    """Mult-VAE (Liang et al. 2018): the user's click history L2-normalised, input dropout 0.5, a tanh encoder
    [200 -> 64 -> 2 x 32] and decoder [32 -> 64 -> 200], the multinomial likelihood; returns ``(logits, mu,
    logvar)`` (the posterior's mean in eval mode)."""

    def __init__(self, items: int = 200, hidden: int = 64, latent: int = 32) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.enc = nn.Sequential(nn.Linear(items, hidden), nn.Tanh(), nn.Linear(hidden, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, items))
        for m in self.modules():
            if isinstance(m, nn.Linear):  # the reference code's Xavier weights, N(0, 0.001) biases
                nn.init.xavier_normal_(m.weight)
                nn.init.normal_(m.bias, std=0.001)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.enc(self.drop(F.normalize(x, dim=1))).chunk(2, -1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return self.dec(z), mu, logvar


# ---- graphs ----------------------------------------------------------------------------------------------------------


def gcn_norm(a: torch.Tensor) -> torch.Tensor:
    """``D^-1/2 (A + I) D^-1/2`` of a batch of dense adjacencies."""
    a = a + torch.eye(a.shape[-1])
    d = a.sum(-1).rsqrt()
    return d[..., :, None] * a * d[..., None, :]


class VGAE(nn.Module):
    """The variational graph autoencoder (Kipf & Welling 2016): a GCN layer of 32 and two GCN heads of 16 (the
    posterior's mean and log std), the inner-product decoder; returns ``(edge logits, mu, logstd)``.
    ``relu_sigma``: the second head gives the std itself through a ReLU (``logstd = log(relu(.))``)."""

    def __init__(self, features: int = 8, hidden: int = 32, latent: int = 16, relu_sigma: bool = False) -> None:
        super().__init__()
        self.relu_sigma = relu_sigma
        self.w0 = nn.Linear(features, hidden, bias=False)
        self.wmu = nn.Linear(hidden, latent, bias=False)
        self.wsig = nn.Linear(hidden, latent, bias=False)
        for m in (self.w0, self.wmu, self.wsig):
            nn.init.xavier_uniform_(m.weight)  # the reference code's Glorot

    def forward(self, graph: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, a = graph
        an = gcn_norm(a)
        h = F.relu(an @ self.w0(x))
        mu = an @ self.wmu(h)
        s = an @ self.wsig(h)
        logstd = torch.log(F.relu(s)) if self.relu_sigma else s
        z = mu + torch.randn_like(mu) * torch.exp(logstd) if self.training else mu
        return z @ z.transpose(1, 2), mu, logstd


def scaled_laplacian(a: torch.Tensor, smallest: bool = False) -> torch.Tensor:
    """ChebNet's ``2 L / lambda_max - I`` with ``L = I - D^-1/2 A D^-1/2``; ``smallest``: the eigenvalue taken
    as ``eigvalsh(L)[0]`` (ascending order: the smallest, 0) where ``[-1]`` belongs."""
    d = a.sum(-1).rsqrt()
    lap = torch.eye(a.shape[0]) - d[:, None] * a * d[None]
    lam = torch.linalg.eigvalsh(lap)[0 if smallest else -1]
    return 2 * lap / lam - torch.eye(a.shape[0])


class TemporalGLU(nn.Module):
    """STGCN's temporal gated convolution: a (3, 1) conv to ``2 c_out`` channels, ``(P + x) * sigmoid(Q)``."""

    def __init__(self, c_in: int, c_out: int, k: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, 2 * c_out, (k, 1))
        self.align = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, channels, time, nodes)
        p, q = self.conv(x).chunk(2, 1)
        return (p + self.align(x)[:, :, self.k - 1:]) * torch.sigmoid(q)


class ChebConv(nn.Module):
    """A Chebyshev graph convolution of order ``K`` on ``(batch, channels, time, nodes)``."""

    def __init__(self, c_in: int, c_out: int, lap: torch.Tensor, order: int = 3) -> None:
        super().__init__()
        self.register_buffer("lap", lap)
        self.theta = nn.Parameter(torch.empty(order, c_in, c_out))
        self.bias = nn.Parameter(torch.zeros(c_out))
        nn.init.xavier_uniform_(self.theta.view(order * c_in, c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = [x, torch.einsum("nm,bctm->bctn", self.lap, x)]
        for _ in range(2, self.theta.shape[0]):
            xs.append(2 * torch.einsum("nm,bctm->bctn", self.lap, xs[-1]) - xs[-2])
        out = sum(torch.einsum("bctn,cd->bdtn", t, w) for t, w in zip(xs, self.theta, strict=True))
        return out + self.bias[None, :, None, None]


class STGCN(nn.Module):
    """STGCN (Yu et al. 2018): two ST-Conv blocks (temporal GLU, Chebyshev graph conv of order 3 with a ReLU,
    temporal GLU, LayerNorm over nodes and channels; channels 16-8-16 where the paper has 64-16-64, dropout 0), an
    output layer (a temporal conv over the remaining steps, LayerNorm, a 1x1 conv) predicting the next reading of every
    sensor from the last 12."""

    def __init__(self, adjacency: torch.Tensor, window: int = 12, smallest_eigenvalue: bool = False, ln: bool = True
                 ) -> None:
        super().__init__()
        lap = scaled_laplacian(adjacency, smallest_eigenvalue)
        n = adjacency.shape[0]
        blocks = []
        c_in = 1
        for _ in range(2):
            blocks.append(nn.ModuleList([TemporalGLU(c_in, 16), ChebConv(16, 8, lap), TemporalGLU(8, 16),
                                         nn.LayerNorm([n, 16]) if ln else nn.Identity()]))
            c_in = 16
        self.blocks = nn.ModuleList(blocks)
        rest = window - 8
        self.out_t = TemporalGLU(16, 16, rest)
        self.out_ln = nn.LayerNorm([n, 16]) if ln else nn.Identity()
        self.fc = nn.Conv2d(16, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, time, nodes) -> (batch, nodes)
        x = x[:, None]
        for t1, gc, t2, ln in self.blocks:
            x = t2(F.relu(gc(t1(x))))
            x = ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = self.out_t(x)
        x = self.out_ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.fc(x)[:, 0, -1]


def _mlp(d_in: int, d: int, d_out: int, ln: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(d_in, d), nn.ReLU(), nn.Linear(d, d_out)]
    return nn.Sequential(*layers, nn.LayerNorm(d_out)) if ln else nn.Sequential(*layers)


class MeshGraphNet(nn.Module):
    """MeshGraphNets (Pfaff et al. 2021): encode (node and edge MLPs with LayerNorm, latent 32), process (4
    residual message-passing steps: edges from ``[e, v_s, v_r]``, nodes from ``[v, sum of incoming e]``), decode
    (an MLP without LayerNorm) the normalised change of each node's field; a fixed mesh, ``edges`` ``(2, E)``;
    ``ln``: the LayerNorms."""

    def __init__(self, edges: torch.Tensor, node_in: int = 2, edge_in: int = 3, d: int = 32, steps: int = 4,
                 ln: bool = True) -> None:
        super().__init__()
        self.register_buffer("edges", edges)
        self.node_enc, self.edge_enc = _mlp(node_in, d, d, ln), _mlp(edge_in, d, d, ln)
        self.edge_mlps = nn.ModuleList(_mlp(3 * d, d, d, ln) for _ in range(steps))
        self.node_mlps = nn.ModuleList(_mlp(2 * d, d, d, ln) for _ in range(steps))
        self.dec = _mlp(d, d, 1, ln=False)

    def forward(self, graph: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        nodes, edge_feats = graph  # (batch, N, node_in), (batch, E, edge_in)
        v, e = self.node_enc(nodes), self.edge_enc(edge_feats)
        s, r = self.edges
        for em, nm in zip(self.edge_mlps, self.node_mlps, strict=True):
            e = e + em(torch.cat([e, v[:, s], v[:, r]], -1))
            agg = torch.zeros_like(v).index_add_(1, r, e)
            v = v + nm(torch.cat([v, agg], -1))
        return self.dec(v)[..., 0]


# ---- tabular ---------------------------------------------------------------------------------------------------------


class MLPPLR(nn.Module):
    """An MLP on periodic numerical embeddings, PLR (Gorishniy et al. 2022): per feature ``ReLU(Linear([cos 2 pi c
    x, sin 2 pi c x]))`` with 16 trainable frequencies ``c ~ N(0, sigma^2)`` and 16 output dimensions, then an MLP of
    two ReLU layers of 128 with dropout 0.1 and one logit."""

    def __init__(self, features: int = 8, k: int = 16, d: int = 16, hidden: int = 128, sigma: float = 1.0) -> None:
        super().__init__()
        self.c = nn.Parameter(sigma * torch.randn(features, k))
        self.w = nn.Parameter(torch.empty(features, 2 * k, d))
        self.b = nn.Parameter(torch.empty(features, d))
        bound = 1 / math.sqrt(2 * k)
        nn.init.uniform_(self.w, -bound, bound)
        nn.init.uniform_(self.b, -bound, bound)
        self.mlp = nn.Sequential(nn.Linear(features * d, hidden), nn.ReLU(), nn.Dropout(0.1),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(0.1))
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = 2 * math.pi * self.c[None] * x[..., None]  # (batch, features, k)
        emb = F.relu(torch.einsum("bfk,fkd->bfd", torch.cat([torch.cos(v), torch.sin(v)], -1), self.w) + self.b)
        return self.head(self.mlp(emb.flatten(1)))[:, 0]
