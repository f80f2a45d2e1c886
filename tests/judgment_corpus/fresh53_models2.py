"""Hand-written models of the fifty-fourth held-out batch (``fresh53.py``), the recommender, tabular and generative
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The vision and text models are in ``fresh53_models.py``."""

from __future__ import annotations

import math

import torch
from torch import nn

# ---- CML -------------------------------------------------------------------------------------------------------------


class CML(nn.Module):
    """Collaborative metric learning (Hsieh et al. 2017), narrowed: user and item embeddings of 32 kept inside the
    unit ball (``nn.Embedding(max_norm=1)``, the paper's norm clipping done at each lookup), N(0, 1/32) init.
    ``forward((users, positives, negatives))`` returns the squared distances ``(d(u, i)^2 (b,), d(u, k)^2 (b, U))``."""

    def __init__(self, users: int = 64, items: int = 128, d: int = 32) -> None:
        super().__init__()
        self.users = nn.Embedding(users, d, max_norm=1.0)
        self.items = nn.Embedding(items, d, max_norm=1.0)
        nn.init.normal_(self.users.weight, 0.0, d ** -0.5)
        nn.init.normal_(self.items.weight, 0.0, d ** -0.5)

    def forward(self, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        u, i, k = batch
        eu = self.users(u)
        return (eu - self.items(i)).pow(2).sum(-1), (eu[:, None] - self.items(k)).pow(2).sum(-1)


# ---- NBM -------------------------------------------------------------------------------------------------------------


class NBM(nn.Module):
    """The neural basis model (Radenovic, Dubey and Mahajan 2022, "Neural basis models for interpretability"),
    narrowed: one shared basis MLP (1 -> 64 -> 64 -> 16 bases, ReLU) applied to every feature, each class's logit
    ``sum_i sum_b w_ibc phi_b(x_i) + bias_c``; PyTorch's default init. ``relu_bias``: the basis MLP's hidden biases
    set to that value (every unit dead when it is -10); ``layers``: its hidden layers (the default two)."""

    def __init__(self, features: int = 8, classes: int = 4, hidden: int = 64, bases: int = 16,
                 relu_bias: float | None = None, layers: int = 2) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        width = 1
        for _ in range(layers):
            lin = nn.Linear(width, hidden)
            if relu_bias is not None:
                nn.init.constant_(lin.bias, relu_bias)
            mods += [lin, nn.ReLU()]
            width = hidden
        self.basis = nn.Sequential(*mods, nn.Linear(width, bases))
        self.w = nn.Parameter(torch.randn(features, bases, classes) / math.sqrt(features * bases))
        self.bias = nn.Parameter(torch.zeros(classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        phi = self.basis(x.reshape(-1, 1)).reshape(x.shape[0], x.shape[1], -1)  # b, features, bases
        return torch.einsum("bfk,fkc->bc", phi, self.w) + self.bias


# ---- beta-VAE --------------------------------------------------------------------------------------------------------


class BetaVAE(nn.Module):
    """The beta-VAE (Higgins et al. 2017, "beta-VAE: learning basic visual concepts with a constrained variational
    framework"), narrowed: an encoder MLP 64 -> 128 -> 128 (ReLU) to the mean and log-variance of 8 latents, the
    reparameterised sample, a decoder MLP 8 -> 128 -> 128 -> 64 Bernoulli logits; PyTorch's default init.
    ``forward`` returns ``(logits, mu, logvar)``."""

    def __init__(self, dim: int = 256, hidden: int = 128, latents: int = 8) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2 * latents))
        self.dec = nn.Sequential(nn.Linear(latents, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.enc(x).chunk(2, dim=-1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(z), mu, logvar


# ---- RepeatNet -------------------------------------------------------------------------------------------------------


class RepeatNet(nn.Module):
    """RepeatNet (Ren et al. 2019, "RepeatNet: a repeat aware neural recommendation machine for session-based
    recommendation"), narrowed: item embeddings of 64, a GRU encoder of 64, the repeat-explore mechanism (an
    attention over the session's states with the last state as query, then a softmax over the two modes), the
    repeat decoder (an additive attention over the session's positions, its weights added into the items they hold)
    and the explore decoder (an attention context and the last state through a Linear to every item, the session's
    items masked out of its softmax); the output is the mixture ``P(r) p_r + P(e) p_e``, a probability per item (the
    paper's). PyTorch's default init. ``hh_std``: the GRU's recurrent matrix drawn N(0, hh_std^2)."""

    def __init__(self, items: int = 64, d: int = 64, hh_std: float | None = None, init_std: float | None = None
                 ) -> None:
        super().__init__()
        self.items = items
        self.emb = nn.Embedding(items, d)
        self.gru = nn.GRU(d, d, batch_first=True)
        if hh_std is not None:
            nn.init.normal_(self.gru.weight_hh_l0, 0.0, hh_std)
        self.mode_w, self.mode_u, self.mode_v = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False), \
            nn.Linear(d, 1, bias=False)
        self.mode_out = nn.Linear(2 * d, 2)
        self.rep_w, self.rep_u, self.rep_v = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False), \
            nn.Linear(d, 1, bias=False)
        self.exp_w, self.exp_u, self.exp_v = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False), \
            nn.Linear(d, 1, bias=False)
        self.exp_out = nn.Linear(2 * d, items)
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(m.weight, 0.0, init_std)

    @staticmethod
    def _attend(w: nn.Linear, u: nn.Linear, v: nn.Linear, h: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return v(torch.tanh(w(h) + u(q)[:, None])).squeeze(-1)  # b, n

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.emb(s))
        q = h[:, -1]
        a = torch.softmax(self._attend(self.mode_w, self.mode_u, self.mode_v, h, q), -1)
        mode = torch.softmax(self.mode_out(torch.cat([(a[..., None] * h).sum(1), q], -1)), -1)
        ar = torch.softmax(self._attend(self.rep_w, self.rep_u, self.rep_v, h, q), -1)
        p_r = torch.zeros(s.shape[0], self.items).scatter_add(1, s, ar)
        ae = torch.softmax(self._attend(self.exp_w, self.exp_u, self.exp_v, h, q), -1)
        logits = self.exp_out(torch.cat([(ae[..., None] * h).sum(1), q], -1))
        seen = torch.zeros(s.shape[0], self.items, dtype=torch.bool).scatter(1, s, True)
        p_e = torch.softmax(logits.masked_fill(seen, float("-inf")), -1)
        return mode[:, :1] * p_r + mode[:, 1:] * p_e
