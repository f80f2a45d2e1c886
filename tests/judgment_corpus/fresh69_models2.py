"""Hand-written models of the seventieth held-out batch (``fresh69.py``), the recommender and tabular ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The language models are in ``fresh69_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- MIND ------------------------------------------------------------------------------------------------------------


def squash(z: torch.Tensor) -> torch.Tensor:
    """The capsule squash ``|z|^2 / (1 + |z|^2) z / |z|`` (with the reference codes' 1e-9 under the root)."""
    n2 = (z * z).sum(-1, keepdim=True)
    return n2 / (1 + n2) * z / torch.sqrt(n2 + 1e-9)


class MIND(nn.Module):
    """MIND (Li et al. 2019, "Multi-interest network with dynamic routing for recommendation at Tmall"), narrowed:
    item embeddings of 32 (Glorot-uniform, TensorFlow's default in the ComiRec reference code), the multi-interest
    extractor's behaviour-to-interest dynamic routing (a shared bilinear map ``S`` drawn N(0, 1/32), routing logits
    drawn N(0, 1) afresh at each call and not trained, three iterations, the squash) to 4 interest capsules, each
    passed through two ReLU layers of 32 (PyTorch's default init), and the label-aware attention over the interests
    (``softmax((V^T e_target)^p)``, p = 2) giving the user vector that is scored against every item embedding (the
    sampled softmax's full form). ``layers``: the number of ReLU layers; ``relu_bias``: every ReLU layer's bias set
    to that value (every unit dead at -10)."""

    def __init__(self, items: int = 200, d: int = 32, interests: int = 4, iters: int = 3, layers: int = 2,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(items, d)
        nn.init.xavier_uniform_(self.emb.weight)
        self.s = nn.Parameter(torch.randn(d, d) / d ** 0.5)
        self.h = nn.Sequential(*[m for _ in range(layers) for m in (nn.Linear(d, d), nn.ReLU())])
        self.k, self.iters = interests, iters
        if relu_bias is not None:
            for m in self.h:
                if isinstance(m, nn.Linear):
                    nn.init.constant_(m.bias, relu_bias)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        hist, target = batch
        e = self.emb(hist) @ self.s  # (b, n, d): the behaviours mapped by S
        b = torch.randn(hist.shape[0], hist.shape[1], self.k)  # routing logits, not trained
        for it in range(self.iters):
            w = torch.softmax(b, -1)  # each behaviour over the interests
            u = squash(torch.einsum("bnk,bnd->bkd", w, e))
            if it < self.iters - 1:
                b = b + torch.einsum("bkd,bnd->bnk", u, e)
        v = self.h(u)  # (b, k, d)
        att = torch.softmax((v @ self.emb(target)[..., None]).squeeze(-1) ** 2, -1)
        user = (att[..., None] * v).sum(1)
        return user @ self.emb.weight.T


# ---- TransRec --------------------------------------------------------------------------------------------------------


class TransRec(nn.Module):
    """TransRec (He, Kang and McAuley 2017, "Translation-based recommendation"): items are points ``gamma_i``, a user
    a translation ``t + t_u`` (global plus personal, the personal ones zero at the start), and the next item's score
    ``beta_j - |gamma_i + t + t_u - gamma_j|`` (the squared distance's root); items Xavier-normal and the global
    translation Xavier-normal, as RecBole's implementation, biases zero. Returns the scores of ``(positive,
    negative)`` for the S-BPR loss."""

    def __init__(self, users: int = 64, items: int = 200, d: int = 32) -> None:
        super().__init__()
        self.gamma, self.beta = nn.Embedding(items, d), nn.Embedding(items, 1)
        self.t_u = nn.Embedding(users, d)
        self.t = nn.Parameter(torch.empty(1, d))
        nn.init.xavier_normal_(self.gamma.weight)
        nn.init.xavier_normal_(self.t)
        nn.init.zeros_(self.beta.weight)
        nn.init.zeros_(self.t_u.weight)

    def score(self, user: torch.Tensor, prev: torch.Tensor, nxt: torch.Tensor) -> torch.Tensor:
        d = self.gamma(prev) + self.t + self.t_u(user) - self.gamma(nxt)
        return self.beta(nxt).squeeze(-1) - torch.sqrt((d * d).sum(-1) + 1e-8)

    def forward(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        user, prev, pos, neg = batch
        return torch.stack([self.score(user, prev, pos), self.score(user, prev, neg)], -1)


def sbpr_loss(scores: torch.Tensor, _: object = None) -> torch.Tensor:
    """S-BPR: ``-log sigmoid(s_pos - s_neg)``, averaged."""
    return -F.logsigmoid(scores[:, 0] - scores[:, 1]).mean()


# ---- IFM -------------------------------------------------------------------------------------------------------------


class IFM(nn.Module):
    """The input-aware factorization machine (Yu, Liu and Zhang 2019, "Input-aware factorization machine for sparse
    prediction"): per-feature weights and embeddings of 16 (N(0, 0.01^2)), the factor estimating network (the
    fields' embeddings concatenated through ReLU layers of 64 and 64, then a Linear to one logit per field and a
    softmax over the fields times their number: the input-aware factor ``m_x``), and an FM over the reweighted
    weights ``m_x w`` and embeddings ``m_x v`` (PyTorch's default init in the network). Returns the click logit."""

    def __init__(self, fields: int = 8, values: int = 20, d: int = 16, hidden: int = 64) -> None:
        super().__init__()
        self.offsets = torch.arange(fields) * values
        self.w, self.v = nn.Embedding(fields * values, 1), nn.Embedding(fields * values, d)
        nn.init.normal_(self.w.weight, 0.0, 0.01)
        nn.init.normal_(self.v.weight, 0.0, 0.01)
        self.bias = nn.Parameter(torch.zeros(1))
        self.fen = nn.Sequential(nn.Linear(fields * d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, fields, bias=False))
        self.fields = fields

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idx = x + self.offsets
        v = self.v(idx)  # (b, f, d)
        m = self.fields * torch.softmax(self.fen(v.flatten(1)), -1)  # (b, f)
        w = (self.w(idx).squeeze(-1) * m).sum(1)
        vm = v * m[..., None]
        fm = 0.5 * (vm.sum(1) ** 2 - (vm * vm).sum(1)).sum(1)
        return self.bias + w + fm


# ---- fastai's tabular model ------------------------------------------------------------------------------------------


class FastaiTabular(nn.Module):
    """fastai's ``TabularModel`` (Howard and Gugger 2020, "fastai: a layered API for deep learning"): an embedding per
    categorical feature (sizes by fastai's rule ``min(600, round(1.6 n^0.56))``, truncated N(0, 0.01^2)), the
    continuous features through ``BatchNorm1d`` (``bn_cont``), then ``LinBnDrop`` blocks of 200 and 100 (Linear
    without bias, ReLU, BatchNorm) and a Linear to the classes, fastai's defaults. ``use_bn=False``: no BatchNorm
    anywhere (fastai's ``use_bn=False, bn_cont=False``; the Linears get their biases back)."""

    def __init__(self, cards: tuple[int, ...], n_cont: int, classes: int, layers: tuple[int, ...] = (200, 100),
                 use_bn: bool = True) -> None:
        super().__init__()
        sizes = [min(600, round(1.6 * n ** 0.56)) for n in cards]
        self.embeds = nn.ModuleList([nn.Embedding(n, s) for n, s in zip(cards, sizes)])
        for e in self.embeds:
            with torch.no_grad():
                e.weight.copy_(torch.fmod(torch.randn_like(e.weight), 2) * 0.01)
        self.bn_cont = nn.BatchNorm1d(n_cont) if use_bn else nn.Identity()
        mods: list[nn.Module] = []
        n_in = sum(sizes) + n_cont
        for n_out in layers:
            mods += [nn.Linear(n_in, n_out, bias=not use_bn), nn.ReLU()]
            if use_bn:
                mods.append(nn.BatchNorm1d(n_out))
            n_in = n_out
        mods.append(nn.Linear(n_in, classes))
        self.layers = nn.Sequential(*mods)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        cat, cont = batch
        x = torch.cat([e(cat[:, i]) for i, e in enumerate(self.embeds)] + [self.bn_cont(cont)], 1)
        return self.layers(x)


# ---- LocalGLMnet -----------------------------------------------------------------------------------------------------


class LocalGLMnet(nn.Module):
    """LocalGLMnet (Richman and Wuethrich 2023, "LocalGLMnet: interpretable deep learning for tabular data"): a
    feed-forward network of tanh layers 20, 15, 10 (the paper's) maps the features ``x`` to the regression
    attentions ``beta(x)`` (a linear layer, one per feature), and the prediction is the local GLM ``beta_0 +
    <beta(x), x>`` (identity link); Glorot-uniform weights and zero biases (Keras' defaults, the paper's code's).
    ``hidden``: the tanh layers' widths; ``zero_init``: every weight and bias zero (``tanh(0) = 0`` feeds every
    layer and zero weights take every gradient back, so only the last layer's bias, a plain GLM's coefficients,
    ever moves)."""

    def __init__(self, features: int = 8, hidden: tuple[int, ...] = (20, 15, 10), zero_init: bool = False) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        n_in = features
        for n_out in hidden:
            mods += [nn.Linear(n_in, n_out), nn.Tanh()]
            n_in = n_out
        mods.append(nn.Linear(n_in, features))
        self.attention = nn.Sequential(*mods)
        for m in self.attention:
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.weight) if zero_init else nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        self.beta0 = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.beta0 + (self.attention(x) * x).sum(1)
