"""Hand-written models of the fifty-eighth held-out batch (``fresh57.py``), text and session ones: small versions of
published architectures new to the corpus, each with the switches its broken variants need (one fault each, off by
default). The event-sequence, speech and time-series models are in ``fresh57_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- SWEM ------------------------------------------------------------------------------------------------------------


class SWEM(nn.Module):
    """SWEM-concat (Shen et al. 2018): the masked average and the masked max of the word embeddings concatenated, then
    a ReLU MLP classifier with dropout. Pad id 0 (``padding_idx``), embeddings U(-0.01, 0.01) as the paper's
    out-of-vocabulary words (every word is one here), the MLP at PyTorch's default init.

    ``zero_init``: every weight and bias drawn 0. ``relu_bias``: every hidden layer's bias set to it. ``layers``: the
    number of hidden layers."""

    def __init__(self, vocab: int = 65, d: int = 64, hidden: int = 64, classes: int = 4, layers: int = 1,
                 zero_init: bool = False, relu_bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        nn.init.uniform_(self.emb.weight, -0.01, 0.01)
        with torch.no_grad():
            self.emb.weight[0].zero_()
        mods: list[nn.Module] = [nn.Dropout(0.2)]
        width = 2 * d
        for _ in range(layers):
            lin = nn.Linear(width, hidden)
            if relu_bias is not None:
                nn.init.constant_(lin.bias, relu_bias)
            mods += [lin, nn.ReLU()]
            width = hidden
        mods += [nn.Dropout(0.2), nn.Linear(width, classes)]
        self.mlp = nn.Sequential(*mods)
        if zero_init:
            with torch.no_grad():
                for p in self.parameters():
                    p.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, t (0 = pad)
        m = (x != 0).unsqueeze(-1)
        e = self.emb(x)
        avg = (e * m).sum(1) / m.sum(1).clamp_min(1)
        mx = e.masked_fill(~m, -1e4).max(1).values
        return self.mlp(torch.cat([avg, mx], -1))


# ---- EntNet ----------------------------------------------------------------------------------------------------------


class EntNet(nn.Module):
    """The Recurrent Entity Network (Henaff et al. 2017), narrowed: words embedded to 32, each sentence encoded by
    the learned multiplicative position mask (``s = sum_i f_i * e_i``, ``f`` started at 1), 8 memory slots with
    learned keys ``w_j`` and memories started at their keys; per sentence the gate ``g_j = sigmoid(s h_j + s w_j)``,
    the candidate ``PReLU(U h_j + V w_j + W s)``, ``h_j <- h_j + g_j * candidate`` and the normalisation ``h_j /
    |h_j|``; the output ``R PReLU(q + H sum_j p_j h_j)``, ``p = softmax(q h_j)``. Every weight N(0, 0.1^2) (the
    paper's init). Stories are right-padded with empty sentences; the memories are carried unchanged over them
    (``h = m h_new + (1 - m) h``, ``m`` = 1 for a real sentence).

    ``no_carry``: the masked update written ``h = m * h_new``, the carry term left out (the memories are zeroed at
    every padded sentence). ``normalise``: False leaves the memories' normalisation out."""

    def __init__(self, vocab: int = 12, d: int = 32, slots: int = 8, words: int = 3, answers: int = 4,
                 no_carry: bool = False, normalise: bool = True) -> None:
        super().__init__()
        self.no_carry, self.normalise = no_carry, normalise
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.f = nn.Parameter(torch.ones(words, d))
        self.keys = nn.Parameter(torch.empty(slots, d))
        self.U, self.V, self.W, self.H = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.act, self.out_act = nn.PReLU(), nn.PReLU()
        self.R = nn.Linear(d, answers, bias=False)
        with torch.no_grad():
            for p in (self.emb.weight, self.keys, self.U.weight, self.V.weight, self.W.weight, self.H.weight,
                      self.R.weight):
                p.normal_(0, 0.1)
            self.emb.weight[0].zero_()

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        story, query = inp  # story: b, n, words; query: b, words
        s_all = (self.emb(story) * self.f).sum(2)  # b, n, d
        real = (story != 0).any(-1).float()  # b, n
        w = self.keys.unsqueeze(0)  # 1, slots, d
        h = w.expand(story.shape[0], -1, -1)
        for t in range(story.shape[1]):
            s = s_all[:, t].unsqueeze(1)  # b, 1, d
            g = torch.sigmoid((s * h).sum(-1, keepdim=True) + (s * w).sum(-1, keepdim=True))
            h_new = h + g * self.act(self.U(h) + self.V(w) + self.W(s))
            if self.normalise:
                h_new = h_new / h_new.norm(dim=-1, keepdim=True).clamp_min(1e-6)
            m = real[:, t, None, None]
            h = m * h_new if self.no_carry else m * h_new + (1 - m) * h
        q = (self.emb(query) * self.f).sum(1)  # b, d
        p = torch.softmax((h * q.unsqueeze(1)).sum(-1), -1)
        u = (p.unsqueeze(-1) * h).sum(1)
        return self.R(self.out_act(q + self.H(u)))


# ---- Fossil ----------------------------------------------------------------------------------------------------------


class Fossil(nn.Module):
    """Fossil (He and McAuley 2016), session-based (no user terms): item factors of 32 (ids 1..N, pad 0), the
    similarity part ``|S|^-alpha sum_{i in S} P_i`` over the session's real items (``alpha = 0.5``), the Markov part
    ``sum_{k=1..L} eta_k M_{s_{-k}}`` over the last ``L = 2`` real clicks (``eta`` learned, started at 1), scored
    against the output factors ``Q_j`` plus an item bias ``b_j``. Factors N(0, 0.01^2) (set here), biases 0."""

    def __init__(self, items: int = 64, d: int = 32, lags: int = 2, alpha: float = 0.5) -> None:
        super().__init__()
        self.alpha, self.lags = alpha, lags
        self.P = nn.Embedding(items + 1, d, padding_idx=0)
        self.M = nn.Embedding(items + 1, d, padding_idx=0)
        self.Q = nn.Linear(d, items)
        self.eta = nn.Parameter(torch.ones(lags))
        with torch.no_grad():
            for w in (self.P.weight, self.M.weight, self.Q.weight):
                w.normal_(0, 0.01)
            self.P.weight[0].zero_()
            self.M.weight[0].zero_()
            self.Q.bias.zero_()

    def forward(self, session: torch.Tensor) -> torch.Tensor:  # session: b, t (right-padded with 0)
        real = session != 0
        n = real.sum(1, keepdim=True).float()
        sim = self.P(session).sum(1) / n.pow(self.alpha)
        rows = torch.arange(session.shape[0])
        last = [session[rows, (n.squeeze(1).long() - k).clamp_min(0)] for k in range(1, self.lags + 1)]
        markov = sum(self.eta[k] * self.M(last[k]) for k in range(self.lags))
        return self.Q(sim + markov)


# ---- RMTPP -----------------------------------------------------------------------------------------------------------


class RMTPP(nn.Module):
    """The Recurrent Marked Temporal Point Process (Du et al. 2016), narrowed: the marker embedded to 16, the
    inter-event time as the time feature, a ReLU RNN of 32 (``h_j = relu(W^y y_j + W^t t_j + W^h h_{j-1} + b)``),
    the marker's softmax ``V^y h_j`` and the conditional intensity ``exp(v^t h_j + w (t - t_j) + b^t)`` with its
    closed-form log density of the next interval. PyTorch's default init, ``w`` started at 0.1.

    ``recurrent_std``: ``W^h`` drawn N(0, recurrent_std^2) instead."""

    def __init__(self, markers: int = 4, d: int = 16, hidden: int = 32, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(markers + 1, d)  # the last id is the pad
        self.inp = nn.Linear(d + 1, hidden)
        self.rec = nn.Linear(hidden, hidden, bias=False)
        if recurrent_std is not None:
            nn.init.normal_(self.rec.weight, 0.0, recurrent_std)
        self.marker = nn.Linear(hidden, markers)
        self.vt = nn.Linear(hidden, 1)
        self.w = nn.Parameter(torch.tensor(0.1))

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        marks, dt = inp  # b, n; the marker and the interval since the previous event
        x = torch.cat([self.emb(marks), dt.unsqueeze(-1)], -1)
        pre = self.inp(x)
        h = torch.zeros(marks.shape[0], self.rec.in_features)
        hs = []
        for j in range(marks.shape[1]):
            h = F.relu(pre[:, j] + self.rec(h))
            hs.append(h)
        hs_t = torch.stack(hs, 1)
        return self.marker(hs_t), self.vt(hs_t).squeeze(-1), self.w


def rmtpp_time_log_density(past: torch.Tensor, w: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """RMTPP's ``log f(d)`` of the next interval ``d`` from ``past = v^t h_j + b^t``: ``past + w d + (exp(past) -
    exp(past + w d)) / w``."""
    return past + w * d + (torch.exp(past) - torch.exp(past + w * d)) / w
