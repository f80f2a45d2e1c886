"""Hand-written models of the thirty-fifth held-out batch (``fresh34.py``), sequence, recommendation, captioning
and traffic-graph ones: small versions of published architectures new to the corpus, each with the switches its
broken variants need (one fault each, off by default). The vision, detection, super-resolution,
bioactivity and click-through models are in ``fresh34_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- BERT4Rec --------------------------------------------------------------------------------------------------------


class BERT4Rec(nn.Module):
    """BERT4Rec (Sun et al. 2019), narrowed: item and learned position embeddings of 64, two bidirectional
    post-LN transformer blocks (two heads, a GELU feed-forward of 256, dropout 0.1), and the output layer of the
    paper (a GELU projection, then the item embeddings transposed plus a bias) over the ``items`` items; ids 0 ..
    items-1 are items, ``items`` is [mask]. Weights truncated-normal N(0, 0.02^2) as the reference code;
    ``init_std``: every Linear and Embedding weight drawn N(0, init_std^2) instead."""

    def __init__(self, items: int = 64, d: int = 64, layers: int = 2, heads: int = 2, length: int = 16,
                 init_std: float | None = None) -> None:
        super().__init__()
        self.items = items
        self.emb, self.pos = nn.Embedding(items + 1, d), nn.Embedding(length, d)
        self.norm, self.drop = nn.LayerNorm(d), nn.Dropout(0.1)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, 0.1, activation="gelu", batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.proj = nn.Linear(d, d)
        self.out_bias = nn.Parameter(torch.zeros(items))
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                if init_std is None:
                    nn.init.trunc_normal_(m.weight, 0.0, 0.02, -0.04, 0.04)
                else:
                    nn.init.normal_(m.weight, 0.0, init_std)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.norm(self.emb(x) + self.pos.weight[: x.shape[1]]))
        h = F.gelu(self.proj(self.enc(h)))
        return h @ self.emb.weight[: self.items].T + self.out_bias


# ---- mixture of softmaxes --------------------------------------------------------------------------------------------


class MoSLM(nn.Module):
    """An LSTM LM with the mixture-of-softmaxes output (Yang et al. 2018), narrowed: embeddings of 64, a two-layer
    LSTM of 128, then ``experts`` (4) latent contexts ``tanh(W_k h)`` of 64, each through the shared softmax layer
    (weights tied with the embeddings), mixed by a softmax prior over the experts computed from ``h``; returns the
    log-probabilities ``log(sum_k pi_k softmax_k + 1e-8)`` (the reference code's eps), scored with NLL. The paper's
    dropouts are left out (with them the short run learns too little). ``recurrent_std``: every LSTM recurrent
    matrix drawn N(0, std^2)."""

    def __init__(self, vocab: int = 64, e: int = 64, d: int = 128, experts: int = 4,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        self.k = experts
        self.emb = nn.Embedding(vocab, e)
        nn.init.uniform_(self.emb.weight, -0.1, 0.1)
        self.rnn = nn.LSTM(e, d, 2, batch_first=True)
        self.prior = nn.Linear(d, experts, bias=False)
        self.latent = nn.Linear(d, experts * e)
        self.bias = nn.Parameter(torch.zeros(vocab))
        if recurrent_std is not None:
            with torch.no_grad():
                for name, p in self.rnn.named_parameters():
                    if name.startswith("weight_hh"):
                        p.normal_(0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.emb(x))
        pi = self.prior(h).softmax(-1)  # (b, t, k)
        lat = torch.tanh(self.latent(h)).view(*h.shape[:2], self.k, -1)
        probs = (lat @ self.emb.weight.T + self.bias).softmax(-1)  # (b, t, k, vocab)
        return torch.log((pi[..., None] * probs).sum(-2) + 1e-8)


# ---- DCRNN -----------------------------------------------------------------------------------------------------------


class DCGRUCell(nn.Module):
    """DCRNN's diffusion-convolutional GRU cell: the GRU's matrix products replaced by diffusion convolutions over
    ``K`` (2) steps of the forward and backward random-walk matrices, ``sum_k (P_f^k X W_fk + P_b^k X W_bk)``, applied
    to ``[x, h]`` for the gates and ``[x, r * h]`` for the candidate. ``recurrent_std``: the rows of the gate and
    candidate weights that read ``h`` drawn N(0, std^2)."""

    def __init__(self, d_in: int, d: int, k: int = 2, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.k, self.d_in = k, d_in
        n_mat = 2 * k + 1
        self.gates = nn.Linear(n_mat * (d_in + d), 2 * d)
        self.cand = nn.Linear(n_mat * (d_in + d), d)
        for lin in (self.gates, self.cand):
            nn.init.xavier_normal_(lin.weight)
        nn.init.constant_(self.gates.bias, 1.0)
        nn.init.zeros_(self.cand.bias)
        if recurrent_std is not None:
            with torch.no_grad():
                for lin in (self.gates, self.cand):
                    w = lin.weight.view(lin.out_features, n_mat, d_in + d)
                    w[:, :, d_in:].normal_(0.0, recurrent_std)

    def diffuse(self, z: torch.Tensor, supports: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        out = [z]
        for p in supports:
            zk = z
            for _ in range(self.k):
                zk = torch.einsum("nm,bmf->bnf", p, zk)
                out.append(zk)
        return torch.cat(out, -1)

    def forward(self, x: torch.Tensor, h: torch.Tensor, supports: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        r, u = torch.sigmoid(self.gates(self.diffuse(torch.cat([x, h], -1), supports))).chunk(2, -1)
        c = torch.tanh(self.cand(self.diffuse(torch.cat([x, r * h], -1), supports)))
        return u * h + (1 - u) * c


class DCRNN(nn.Module):
    """The diffusion convolutional recurrent network (Li et al. 2018), narrowed: an encoder and a decoder of one
    DCGRU layer of 32 units each over the sensor graph, a linear read-out per sensor; the decoder starts from the
    encoder's state and a zero GO reading and is fed its own previous prediction (no scheduled sampling). ``adj``:
    the weighted adjacency; the supports are its forward and backward random-walk matrices ``D_o^-1 A`` and ``D_i^-1
    A^T``, a sensor without neighbours getting a zero row as in the reference code (``d_inv[isinf] = 0``);
    ``guard=False``: that line left out."""

    def __init__(self, adj: torch.Tensor, d: int = 32, horizon: int = 4, guard: bool = True,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        self.horizon = horizon
        self.register_buffer("p_f", self._walk(adj, guard), persistent=False)
        self.register_buffer("p_b", self._walk(adj.T, guard), persistent=False)
        self.enc = DCGRUCell(1, d, recurrent_std=recurrent_std)
        self.dec = DCGRUCell(1, d, recurrent_std=recurrent_std)
        self.read = nn.Linear(d, 1)

    @staticmethod
    def _walk(a: torch.Tensor, guard: bool) -> torch.Tensor:
        d_inv = 1.0 / a.sum(1)
        if guard:
            d_inv[torch.isinf(d_inv)] = 0.0
        return d_inv[:, None] * a

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sup = (self.p_f, self.p_b)
        b, t, n = x.shape  # (batch, look-back, sensors)
        h = x.new_zeros(b, n, self.read.in_features)
        for s in range(t):
            h = self.enc(x[:, s, :, None], h, sup)
        y = x.new_zeros(b, n, 1)
        outs = []
        for _ in range(self.horizon):
            h = self.dec(y, h, sup)
            y = self.read(h)
            outs.append(y[..., 0])
        return torch.stack(outs, 1)  # (batch, horizon, sensors)


# ---- show, attend and tell -------------------------------------------------------------------------------------------


class ShowAttendTell(nn.Module):
    """Show, Attend and Tell (Xu et al. 2015), narrowed: a small convolutional encoder (two 3x3 convolutions of 32
    and 64 with ReLU and pooling, trained with the decoder, where the paper's VGG is pretrained) giving 16 annotation
    vectors of 64, an LSTM decoder of 128 whose state starts from the mean annotation (two tanh MLPs), soft
    (Bahdanau) attention of 64 with the gating scalar ``beta = sigmoid(f_beta(h))``, and the deep output layer over
    the previous word, the state and the context; teacher forcing. Returns the logits and the attention weights (the
    doubly stochastic regulariser reads them)."""

    def __init__(self, vocab: int = 32, e: int = 32, a: int = 64, d: int = 128, att: int = 64) -> None:
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(32, a, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.emb = nn.Embedding(vocab, e)
        self.init_h, self.init_c = nn.Linear(a, d), nn.Linear(a, d)
        self.att_a, self.att_h, self.att_v = nn.Linear(a, att), nn.Linear(d, att), nn.Linear(att, 1)
        self.f_beta = nn.Linear(d, a)
        self.cell = nn.LSTMCell(e + a, d)
        self.out_h, self.out_z = nn.Linear(d, e), nn.Linear(a, e)
        self.out = nn.Linear(e, vocab)
        nn.init.uniform_(self.emb.weight, -0.1, 0.1)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        img, words = batch  # (b, 3, 16, 16), (b, t) previous words (teacher forcing)
        ann = self.cnn(img).flatten(2).transpose(1, 2)  # (b, 16, a)
        mean = ann.mean(1)
        h, c = torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean))
        pa = self.att_a(ann)
        logits, alphas = [], []
        for t in range(words.shape[1]):
            alpha = self.att_v(torch.tanh(pa + self.att_h(h)[:, None])).squeeze(-1).softmax(1)
            z = torch.sigmoid(self.f_beta(h)) * (alpha[..., None] * ann).sum(1)
            w = self.emb(words[:, t])
            h, c = self.cell(torch.cat([w, z], -1), (h, c))
            logits.append(self.out(w + self.out_h(h) + self.out_z(z)))
            alphas.append(alpha)
        return torch.stack(logits, 1), torch.stack(alphas, 1)
