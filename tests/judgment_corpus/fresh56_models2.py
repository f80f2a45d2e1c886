"""Hand-written models of the fifty-seventh held-out batch (``fresh56.py``), graph, VQ, VAE-flow and recurrent ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The language-model, text-matching and vision-transformer models are in
``fresh56_models.py``."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# ---- GATv2 -----------------------------------------------------------------------------------------------------------


class _GATv2Layer(nn.Module):
    """GATv2's dynamic attention (PyG's ``GATv2Conv``): ``e_ij = a^T LeakyReLU_0.2(W_l h_j + W_r h_i)``, a softmax
    over each node's neighbours, ``h'_i = sum_j alpha_ij W_l h_j + bias``, heads concatenated (or averaged);
    Glorot-uniform weights and ``a``, dropout on the attention weights. ``flipped_mask``: the non-edges masked by an
    additive ``(1 - adj) * 1e9`` where ``(adj - 1) * 1e9`` belongs: every non-neighbour gets +1e9, which swamps the
    scores in float32, so that each node attends evenly to the nodes it is not linked to, itself excluded."""

    def __init__(self, a: int, b: int, heads: int, concat: bool, drop: float, flipped_mask: bool = False) -> None:
        super().__init__()
        self.heads, self.b, self.concat, self.flipped_mask = heads, b, concat, flipped_mask
        self.wl, self.wr = nn.Linear(a, heads * b, bias=False), nn.Linear(a, heads * b, bias=False)
        self.att = nn.Parameter(torch.empty(heads, b))
        self.bias = nn.Parameter(torch.zeros(heads * b if concat else b))
        self.drop = nn.Dropout(drop)
        for w in (self.wl.weight, self.wr.weight):
            nn.init.xavier_uniform_(w)
        nn.init.xavier_uniform_(self.att.view(1, -1))

    def forward(self, h: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:  # adj: n x n (row i: i's neighbours)
        n = h.shape[0]
        xl, xr = self.wl(h).view(n, self.heads, self.b), self.wr(h).view(n, self.heads, self.b)
        e = (F.leaky_relu(xl[None] + xr[:, None], 0.2) * self.att).sum(-1)  # n(i), n(j), heads
        if self.flipped_mask:  # the additive mask ``(adj - 1) * 1e9`` written ``(1 - adj) * 1e9``
            e = e + ((1 - adj.float()) * 1e9)[..., None]
        else:
            e = e.masked_fill(~adj[..., None], float("-inf"))
        alpha = self.drop(e.softmax(1))
        out = torch.einsum("ijh,jhc->ihc", alpha, xl)
        return (out.reshape(n, -1) if self.concat else out.mean(1)) + self.bias


class GATv2(nn.Module):
    """GATv2 (Brody, Alon and Yahav 2022, "How attentive are graph attention networks?") in GAT's transductive
    layout: dropout 0.6 on the inputs of every layer, ``layers - 1`` GATv2 layers of 8 heads x 8 with ELU, an output
    layer of one head to the classes; each node attends to its neighbours and itself. ``layers``: the number of
    GATv2 layers; ``self_loops``: the self-loops added to the adjacency (False: left out); ``flipped_mask``: the
    attention mask written as an additive bias with its sign flipped (see :class:`_GATv2Layer`)."""

    def __init__(self, adj: torch.Tensor, features: int, classes: int, layers: int = 2, self_loops: bool = True,
                 flipped_mask: bool = False) -> None:
        super().__init__()
        a = adj.bool()
        self.register_buffer("adj", a | torch.eye(a.shape[0], dtype=torch.bool) if self_loops else a)
        dims = [features] + [64] * (layers - 1)
        self.hidden = nn.ModuleList([_GATv2Layer(dims[i], 8, 8, True, 0.6, flipped_mask) for i in range(layers - 1)])
        self.out = _GATv2Layer(dims[-1], classes, 1, False, 0.6, flipped_mask)
        self.drop = nn.Dropout(0.6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = F.elu(layer(self.drop(x), self.adj))
        return self.out(self.drop(x), self.adj)


# ---- FSQ autoencoder -------------------------------------------------------------------------------------------------


class FSQAutoencoder(nn.Module):
    """An autoencoder with finite scalar quantisation (Mentzer et al. 2024, "Finite scalar quantization: VQ-VAE made
    simple"): an MLP encoder 16-64-64-4, each latent bounded by ``tanh(z + shift) * half_l - offset`` and rounded to
    the levels (8, 5, 5, 5) (1000 codes) with the straight-through estimator ``z + (round(z) - z).detach()``,
    rescaled to [-1, 1], and an MLP decoder 4-64-64-16 (GELU); PyTorch's default init. ``layers``: the hidden layers
    of each MLP; ``norm``: a LayerNorm after every hidden Linear but the first; ``ste``: ``"reversed"`` writes the
    estimator ``(round(z) - z) + z.detach()``, the ``.detach()`` on the other term: the forward value is the same,
    but the encoder's gradient is the identity's negative (unused, see ``fresh56.py``)."""

    LEVELS = (8, 5, 5, 5)

    def __init__(self, dim: int = 16, hidden: int = 64, ste: str = "ok", layers: int = 2, norm: bool = False) -> None:
        super().__init__()
        k = len(self.LEVELS)

        def mlp(a: int, b: int) -> nn.Sequential:
            mods: list[nn.Module] = [nn.Linear(a, hidden), nn.GELU()]
            for _ in range(layers - 1):
                mods += [nn.Linear(hidden, hidden), nn.LayerNorm(hidden) if norm else nn.Identity(), nn.GELU()]
            return nn.Sequential(*mods, nn.Linear(hidden, b))

        self.enc, self.dec = mlp(dim, k), mlp(k, dim)
        levels = torch.tensor(self.LEVELS, dtype=torch.float32)
        half_l = (levels - 1) * (1 + 1e-3) / 2
        offset = torch.where(levels % 2 == 0, 0.5, 0.0)
        self.register_buffer("half_l", half_l)
        self.register_buffer("offset", offset)
        self.register_buffer("shift", torch.atanh(offset / half_l))
        self.register_buffer("half_w", levels // 2)
        self.ste = ste

    def quantise(self, z: torch.Tensor) -> torch.Tensor:
        z = torch.tanh(z + self.shift) * self.half_l - self.offset
        if self.ste == "reversed":
            q = (torch.round(z) - z) + z.detach()
        else:
            q = z + (torch.round(z) - z).detach()
        return q / self.half_w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dec(self.quantise(self.enc(x)))


# ---- VAE with triangular Sylvester flows -----------------------------------------------------------------------------


class SylvesterVAE(nn.Module):
    """A VAE with triangular Sylvester flows (van den Berg et al. 2018, "Sylvester normalizing flows for variational
    inference"), narrowed: an MLP encoder 16-64-64 giving the posterior's mean and log-variance of 4 latents and, from
    the same features, every flow's parameters (amortised: upper-triangular ``R1``, ``R2`` with ``tanh`` diagonals,
    ``b``), four flows ``z' = z + Q R1 tanh(R2 Q^T z + b)`` with ``Q`` the identity and the reversal alternately, and a
    Gaussian MLP decoder 4-64-64-16 (ReLU); PyTorch's default init. ``forward`` returns the negative ELBO per sample,
    ``0.5 |x - x^|^2 + log q0(z0) - sum log|det| - log p(z_K)`` (a unit-variance decoder, constants dropped), which
    the builder's loss averages."""

    def __init__(self, dim: int = 16, hidden: int = 64, latent: int = 4, flows: int = 4, var: float = 0.1) -> None:
        super().__init__()
        self.k, self.flows, self.var = latent, flows, var
        self.body = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.mu, self.logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.amor_d1, self.amor_d2 = nn.Linear(hidden, flows * latent), nn.Linear(hidden, flows * latent)
        self.amor_full = nn.Linear(hidden, flows * latent * latent)
        self.amor_b = nn.Linear(hidden, flows * latent)
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, dim))
        self.register_buffer("triu", torch.ones(latent, latent).triu(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, k, f = x.shape[0], self.k, self.flows
        h = self.body(x)
        mu, logvar = self.mu(h), self.logvar(h)
        eps = torch.randn_like(mu)
        z = mu + eps * (0.5 * logvar).exp()
        log_q0 = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(1)
        full = self.amor_full(h).view(b, f, k, k)
        d1, d2 = torch.tanh(self.amor_d1(h).view(b, f, k)), torch.tanh(self.amor_d2(h).view(b, f, k))
        bias = self.amor_b(h).view(b, f, k)
        logdet = x.new_zeros(b)
        for i in range(f):
            r1 = full[:, i] * self.triu + torch.diag_embed(d1[:, i])
            r2 = full[:, i].transpose(1, 2) * self.triu + torch.diag_embed(d2[:, i])
            zq = z.flip(1) if i % 2 else z
            pre = (r2 @ zq[..., None]).squeeze(-1) + bias[:, i]
            step = (r1 @ torch.tanh(pre)[..., None]).squeeze(-1)
            z = z + (step.flip(1) if i % 2 else step)
            logdet = logdet + torch.log((1 + (1 - torch.tanh(pre) ** 2) * d1[:, i] * d2[:, i]).abs()).sum(1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(1)
        rec = 0.5 * ((self.dec(z) - x) ** 2).sum(1) / self.var
        return rec + log_q0 - logdet - log_pz


class ClipGrad(torch.autograd.Function):
    """The identity forward; backward clips the state's gradient element-wise to +-c (Graves' clipping of the
    derivatives that flow back through the recurrent state). ``min_only``: the clamp written ``g.clamp(c)``, whose
    one positional bound is the minimum: every entry is raised to at least c."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, c: float, min_only: bool) -> torch.Tensor:
        ctx.c, ctx.min_only = c, min_only
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        return (g.clamp(ctx.c) if ctx.min_only else g.clamp(-ctx.c, ctx.c)), None, None


# ---- LEM -------------------------------------------------------------------------------------------------------------


class LEM(nn.Module):
    """LEM (Rusch, Mishra, Erichson and Mahoney 2022, "Long expressive memory for sequence modeling"), the reference
    cell: ``dt_bar, dt_hat = dt * sigmoid(.)`` from the input and ``y``, ``z = (1 - dt_hat) z + dt_hat tanh(V_y u +
    W_y y)``, ``y = (1 - dt_bar) y + dt_bar tanh(W_z z + V_z u)``; 32 units, every weight and bias uniform in +-1 /
    sqrt(32) (the reference's ``reset_parameters``), a Linear head on the last ``y``. ``dt``: the step; ``clip``:
    ``"ok"`` passes ``y`` through :class:`ClipGrad` at every step (clip 1), ``"min_only"`` through its slip."""

    def __init__(self, inputs: int = 2, hidden: int = 32, classes: int = 4, dt: float = 0.1, clip: str = "none"
                 ) -> None:
        super().__init__()
        self.dt, self.hidden, self.clip = dt, hidden, clip
        self.inp2hid, self.hid2hid = nn.Linear(inputs, 4 * hidden), nn.Linear(hidden, 3 * hidden)
        self.transform_z = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, classes)
        std = 1.0 / math.sqrt(hidden)
        for m in (self.inp2hid, self.hid2hid, self.transform_z):
            for p in m.parameters():
                nn.init.uniform_(p, -std, std)

    def forward(self, u: torch.Tensor) -> torch.Tensor:  # u: b, t, inputs
        y = u.new_zeros(u.shape[0], self.hidden)
        z = torch.zeros_like(y)
        for t in range(u.shape[1]):
            if self.clip != "none":
                y = ClipGrad.apply(y, 1.0, self.clip == "min_only")
            i_dt1, i_dt2, i_z, i_y = self.inp2hid(u[:, t]).chunk(4, 1)
            h_dt1, h_dt2, h_y = self.hid2hid(y).chunk(3, 1)
            dt_bar, dt_hat = self.dt * torch.sigmoid(i_dt1 + h_dt1), self.dt * torch.sigmoid(i_dt2 + h_dt2)
            z = (1 - dt_hat) * z + dt_hat * torch.tanh(i_y + h_y)
            y = (1 - dt_bar) * y + dt_bar * torch.tanh(self.transform_z(z) + i_z)
        return self.head(y)
