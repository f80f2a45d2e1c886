"""Hand-written models of the fifty-third held-out batch (``fresh52.py``), the language, recommender and generative
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The time-series and scientific ones are in ``fresh52_models2.py``."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

# ---- fastText --------------------------------------------------------------------------------------------------------


class FastText(nn.Module):
    """fastText (Joulin et al. 2017): the word and hashed-bigram embeddings (dimension 10, the paper's) averaged,
    then a linear softmax layer; the input embeddings at fastText's ``U(-1 / dim, 1 / dim)``, the output matrix at
    zero, as the reference code."""

    def __init__(self, vocab: int = 256, buckets: int = 4096, dim: int = 10, classes: int = 4) -> None:
        super().__init__()
        self.vocab, self.buckets = vocab, buckets
        self.emb = nn.EmbeddingBag(vocab + buckets, dim, mode="mean")
        self.out = nn.Linear(dim, classes, bias=False)
        nn.init.uniform_(self.emb.weight, -1.0 / dim, 1.0 / dim)
        nn.init.zeros_(self.out.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bigrams = (x[:, :-1] * 116_049_371 + x[:, 1:]) % self.buckets + self.vocab
        return self.out(self.emb(torch.cat([x, bigrams], 1)))


# ---- YouTube DNN -----------------------------------------------------------------------------------------------------


class YouTubeDNN(nn.Module):
    """The YouTube candidate-generation network (Covington, Adams and Sargin 2016, narrowed): the watch history's item
    embeddings (32) averaged, a ReLU tower (64, 32; the paper's tower is 1024-512-256) to the user vector, scored by
    a softmax against every item's output embedding (the paper samples the softmax over millions of videos; 64 here
    need no sampling). PyTorch's default init unless ``init_std`` (every weight N(0, std^2)); ``layers``: the
    tower's hidden ReLU layers (each of 64 but the last)."""

    def __init__(self, items: int = 64, d: int = 32, layers: int = 2, init_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(items, d)
        dims = [d] + [64] * (layers - 1) + [d]
        self.tower = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(dims)])
        self.items = nn.Embedding(items, d)
        if init_std is not None:
            for p in self.parameters():
                nn.init.normal_(p, 0.0, init_std)

    def forward(self, history: torch.Tensor) -> torch.Tensor:
        u = self.emb(history).mean(1)
        for lin in self.tower:
            u = F.relu(lin(u))
        return u @ self.items.weight.T


# ---- FPMC ------------------------------------------------------------------------------------------------------------


class FPMC(nn.Module):
    """Factorizing personalized Markov chains (Rendle, Freudenthaler and Schmidt-Thieme 2010) for single-item
    transitions: ``x(u, l, i) = <V_UI[u], V_IU[i]> + <V_IL[i], V_LI[l]>`` (the user-item matrix factorisation plus
    the factorised transition from the last item ``l``), the four tables of dimension 64 at Xavier-normal init as
    RecBole's FPMC. ``forward((user, last, candidates))`` scores every candidate column."""

    def __init__(self, users: int = 32, items: int = 64, d: int = 64) -> None:
        super().__init__()
        self.ui, self.iu = nn.Embedding(users, d), nn.Embedding(items, d)
        self.il, self.li = nn.Embedding(items, d), nn.Embedding(items, d)
        for e in (self.ui, self.iu, self.il, self.li):
            nn.init.xavier_normal_(e.weight)

    def forward(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        user, last, cand = batch
        mf = (self.ui(user)[:, None] * self.iu(cand)).sum(-1)
        fmc = (self.il(cand) * self.li(last)[:, None]).sum(-1)
        return mf + fmc


def s_bpr(scores: torch.Tensor, _: object = None) -> torch.Tensor:
    """S-BPR: ``-log sigmoid(x_pos - x_neg)`` with the positive in column 0 and one sampled negative in column 1."""
    return -F.logsigmoid(scores[:, 0] - scores[:, 1]).mean()


# ---- CVAE ------------------------------------------------------------------------------------------------------------


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


class CVAE(nn.Module):
    """The conditional VAE (Sohn, Lee and Yan 2015, narrowed): a recognition network ``q(z | x, y)``, a conditional
    prior network ``p(z | x)`` and a generation network ``p(y | x, z)`` with Bernoulli outputs, each one ReLU layer of
    128, a latent of 8, ``x`` the condition (a class, one-hot) and ``y`` the 64-pixel binary image; PyTorch's default
    init. ``forward((x, y))`` returns the negative ELBO per pixel (the reconstruction's BCE summed over the pixels
    plus ``KL(q || p)``, over 64), averaged over the batch."""

    def __init__(self, cond: int = 10, pixels: int = 64, latent: int = 8, hidden: int = 128) -> None:
        super().__init__()
        self.pixels = pixels
        self.recog = _mlp(cond + pixels, hidden, 2 * latent)
        self.prior = _mlp(cond, hidden, 2 * latent)
        self.gen = _mlp(cond + latent, hidden, pixels)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        mu_q, lv_q = self.recog(torch.cat([x, y], 1)).chunk(2, 1)
        mu_p, lv_p = self.prior(x).chunk(2, 1)
        z = mu_q + torch.randn_like(mu_q) * (0.5 * lv_q).exp()
        logits = self.gen(torch.cat([x, z], 1))
        rec = F.binary_cross_entropy_with_logits(logits, y, reduction="none").sum(1)
        kl = 0.5 * (lv_p - lv_q + (lv_q.exp() + (mu_q - mu_p) ** 2) / lv_p.exp() - 1).sum(1)
        return ((rec + kl) / self.pixels).mean()
