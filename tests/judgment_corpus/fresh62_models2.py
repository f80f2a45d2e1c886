"""Hand-written models of the sixty-third held-out batch (``fresh62.py``), sequence-representation, generative, flow and
energy-based ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The self-supervised vision and graph models are in
``fresh62_models.py``."""

from __future__ import annotations

import math
from itertools import pairwise

import torch
from torch import nn

# ---- Quick-Thoughts --------------------------------------------------------------------------------------------------


class QuickThoughts(nn.Module):
    """Quick-Thoughts (Logeswaran and Lee 2018), narrowed: word embeddings of 32 shared by the two encoders, the
    sentence encoder ``f`` and the context encoder ``g`` each a GRU of 64 whose last state is the sentence's vector;
    PyTorch's default init (``hh_std``: every GRU's hidden-to-hidden matrix drawn N(0, hh_std^2) instead).
    ``forward((sentences, next sentences))`` returns the scores ``f(s_i) . g(c_j)`` of every sentence against every
    candidate context of the batch."""

    def __init__(self, vocab: int = 64, emb: int = 32, hidden: int = 64, hh_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.f, self.g = nn.GRU(emb, hidden, batch_first=True), nn.GRU(emb, hidden, batch_first=True)
        if hh_std is not None:
            with torch.no_grad():
                for gru in (self.f, self.g):
                    gru.weight_hh_l0.normal_(0.0, hh_std)

    def forward(self, pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        s, c = pair
        u = self.f(self.emb(s))[1][0]
        v = self.g(self.emb(c))[1][0]
        return u @ v.T


# ---- InfoVAE ---------------------------------------------------------------------------------------------------------


def _mlp(sizes: list[int], bias: float | None = None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(pairwise(sizes)):
        lin = nn.Linear(a, b)
        if bias is not None and i < len(sizes) - 2:
            nn.init.constant_(lin.bias, bias)
        layers += [lin] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*layers)


class InfoVAE(nn.Module):
    """InfoVAE (Zhao, Song and Ermon 2019), narrowed: a ReLU MLP encoder 64-128-128 to the mean and log-variance of 8
    latents, a ReLU MLP decoder 8-128-128-64 to Bernoulli logits; PyTorch's default init. ``forward(x)`` returns
    ``(logits, mu, logvar, z)``."""

    def __init__(self, d: int = 64, hidden: int = 128, latent: int = 8) -> None:
        super().__init__()
        self.enc = _mlp([d, hidden, hidden, 2 * latent])
        self.dec = _mlp([latent, hidden, hidden, d])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        mu, logvar = self.enc(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(z), mu, logvar, z


# ---- FFJORD ----------------------------------------------------------------------------------------------------------


class _ODEFunc(nn.Module):
    """The dynamics ``f(z, t)``: FFJORD's concat-squash layers ``(W z + b) * sigmoid(a t + c) + d t`` (2-32-32-2 as
    built) with tanh between them."""

    def __init__(self, d: int, hidden: int, layers: int) -> None:
        super().__init__()
        sizes = [d] + [hidden] * layers + [d]
        self.lin = nn.ModuleList([nn.Linear(a, b) for a, b in pairwise(sizes)])
        self.gate = nn.ModuleList([nn.Linear(1, b) for b in sizes[1:]])
        self.hyper = nn.ModuleList([nn.Linear(1, b, bias=False) for b in sizes[1:]])

    def forward(self, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        tt = t.reshape(1, 1)
        h = z
        for i, (lin, gate, hyper) in enumerate(zip(self.lin, self.gate, self.hyper, strict=True)):
            h = lin(h) * torch.sigmoid(gate(tt)) + hyper(tt)
            if i < len(self.lin) - 1:
                h = torch.tanh(h)
        return h


class FFJORD(nn.Module):
    """FFJORD (Grathwohl et al. 2019), narrowed to two dimensions: a continuous normalising flow from the data at
    ``t = 0`` to a standard normal at ``t = 1`` under :class:`_ODEFunc`, integrated by fixed-step RK4 (``steps``
    steps, in place of the paper's adaptive dopri5), the log-density change by the exact trace of the Jacobian (two
    dimensions; the paper's Hutchinson estimator is for high dimensions). ``forward(x)`` returns the negative
    log-likelihood of each point."""

    def __init__(self, d: int = 2, hidden: int = 64, layers: int = 2, steps: int = 6) -> None:
        super().__init__()
        self.func, self.steps = _ODEFunc(d, hidden, layers), steps

    def _aug(self, t: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            if not z.requires_grad:
                z = z.requires_grad_(True)
            dz = self.func(t, z)
            tr = sum(torch.autograd.grad(dz[:, i].sum(), z, create_graph=True)[0][:, i] for i in range(z.shape[1]))
        return dz, tr

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z, dlogp = x, torch.zeros(x.shape[0])
        h = 1.0 / self.steps
        for k in range(self.steps):
            t = torch.tensor(k * h)
            k1, a1 = self._aug(t, z)
            k2, a2 = self._aug(t + h / 2, z + h / 2 * k1)
            k3, a3 = self._aug(t + h / 2, z + h / 2 * k2)
            k4, a4 = self._aug(t + h, z + h * k3)
            z = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            dlogp = dlogp + h / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
        logpz = -0.5 * (z ** 2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi)
        return -(logpz + dlogp)


# ---- noise-contrastive estimation ------------------------------------------------------------------------------------


class EnergyNCE(nn.Module):
    """An unnormalised energy model fitted by noise-contrastive estimation (Gutmann and Hyvarinen 2010, 2012): the
    energy ``E(x)`` a ReLU MLP 2-64-64-1 (``layers`` hidden layers; ``relu_bias`` sets every hidden bias), the
    log-normaliser a learned scalar ``c`` (the paper's), ``log p_model(x) = -E(x) - c``; PyTorch's default init, ``c``
    started at ``c0`` (the builder's: the noise's log-normaliser).
    ``forward((data, noise))`` returns ``log p_model`` of both."""

    def __init__(self, d: int = 2, hidden: int = 64, layers: int = 2, relu_bias: float | None = None,
                 c0: float = 0.0) -> None:
        super().__init__()
        self.energy = _mlp([d] + [hidden] * layers + [1], bias=relu_bias)
        self.c = nn.Parameter(torch.tensor(float(c0)))

    def forward(self, pair: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        data, noise = pair
        return -self.energy(data).squeeze(-1) - self.c, -self.energy(noise).squeeze(-1) - self.c
