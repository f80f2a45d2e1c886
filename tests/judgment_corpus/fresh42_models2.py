"""Hand-written models of the forty-third held-out batch (``fresh42.py``), generative, physics, self-supervised and
metric-learning ones: small versions of published architectures new to the corpus, each with the switches its
broken variants need (one fault each, off by default). The language-model, sequence, graph and recommender models
are in ``fresh42_models.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import grad, hessian, vmap

# ---- planar flow -----------------------------------------------------------------------------------------------------


class PlanarFlow(nn.Module):
    """A normalising flow of ``k`` planar transformations (Rezende and Mohamed 2015, "Variational inference with
    normalizing flows"): ``z <- z + u^ tanh(w^T z + b)`` with the paper's invertibility fix ``u^ = u + (m(w^T u) -
    w^T u) w / |w|^2``, ``m(a) = -1 + softplus(a)``, and ``log |1 + u^T psi(z)|`` summed for the density; the base
    density N(0, I) in 2-D. ``u``, ``w``, ``b`` drawn N(0, ``init_std``^2) (0.1 here; the paper gives none).
    ``forward(z0)`` returns ``(z_K, log q_K(z_K))``."""

    def __init__(self, k: int = 16, dim: int = 2, init_std: float = 0.1) -> None:
        super().__init__()
        self.u = nn.Parameter(init_std * torch.randn(k, dim))
        self.w = nn.Parameter(init_std * torch.randn(k, dim))
        self.b = nn.Parameter(init_std * torch.randn(k))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logq = -0.5 * (z ** 2).sum(1) - z.shape[1] * 0.5 * math.log(2 * math.pi)
        for u, w, b in zip(self.u, self.w, self.b):
            wu = w @ u
            u_hat = u + (F.softplus(wu) - 1 - wu) * w / (w @ w)
            a = z @ w + b
            z = z + u_hat * torch.tanh(a)[:, None]
            psi = (1 - torch.tanh(a) ** 2)[:, None] * w
            logq = logq - torch.log((1 + psi @ u_hat).abs())
        return z, logq


def energy_u1(z: torch.Tensor) -> torch.Tensor:
    """The paper's first test energy ``U_1`` (a ring of radius 2 split into two arcs)."""
    r = z.norm(dim=1)
    arcs = torch.stack([-0.5 * ((z[:, 0] - 2) / 0.6) ** 2, -0.5 * ((z[:, 0] + 2) / 0.6) ** 2], 1)
    return 0.5 * ((r - 2) / 0.4) ** 2 - torch.logsumexp(arcs, 1)


# ---- Lagrangian neural network ---------------------------------------------------------------------------------------


class LNN(nn.Module):
    """A Lagrangian neural network (Cranmer et al. 2020, "Lagrangian neural networks"), narrowed: an MLP ``L(q, q')``
    of the 4-dimensional state through three hidden layers of 256 softplus units (the paper's activation) to a
    scalar, and the accelerations from the Euler-Lagrange equations, ``q'' = pinv(d2L/dq'2) (dL/dq - d2L/dq'dq q')``
    (the paper's pseudo-inverse), per sample by ``torch.func``; PyTorch's default init. ``act``: the hidden
    activation (``"softplus"`` or ``"relu"``)."""

    def __init__(self, dof: int = 2, hidden: int = 256, act: str = "softplus") -> None:
        super().__init__()
        a = nn.Softplus if act == "softplus" else nn.ReLU
        self.net = nn.Sequential(nn.Linear(2 * dof, hidden), a(), nn.Linear(hidden, hidden), a(),
                                 nn.Linear(hidden, hidden), a(), nn.Linear(hidden, 1))
        self.dof = dof

    def lagrangian(self, s: torch.Tensor) -> torch.Tensor:
        return self.net(s).squeeze(-1)

    def forward(self, s: torch.Tensor) -> torch.Tensor:  # s: b, 2 dof (q, q')
        n = self.dof
        hs, gs = vmap(hessian(self.lagrangian))(s), vmap(grad(self.lagrangian))(s)
        h_vv, h_vq = hs[:, n:, n:], hs[:, n:, :n]
        rhs = gs[:, :n] - (h_vq @ s[:, n:, None]).squeeze(-1)
        return (torch.linalg.pinv(h_vv) @ rhs[..., None]).squeeze(-1)


# ---- RotNet ----------------------------------------------------------------------------------------------------------


def _cbr(cin: int, cout: int, k: int, bn: bool) -> list[nn.Module]:
    conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=not bn)
    nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / (k * k * cout)))
    return [conv, nn.BatchNorm2d(cout), nn.ReLU()] if bn else [conv, nn.ReLU()]


class RotNet(nn.Module):
    """RotNet (Gidaris, Singh and Komodakis 2018, "Unsupervised representation learning by predicting image
    rotations"), narrowed: a NIN of three blocks (a 3x3 convolution and two 1x1 ones each, BatchNorm and ReLU after
    every one; 16, 32, 32 channels; max-pooling after the first, average-pooling after the second), global average
    pooling and a linear layer over the four rotations; convolutions N(0, 2 / (k^2 out)) as the reference code's,
    BatchNorm 1 and 0. ``bn``: every BatchNorm (the convolutions then get biases)."""

    def __init__(self, channels: int = 3, widths: tuple[int, ...] = (16, 32, 32), bn: bool = True) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        cin = channels
        for j, c in enumerate(widths):
            mods += _cbr(cin, c, 3, bn) + _cbr(c, c, 1, bn) + _cbr(c, c, 1, bn)
            if j == 0:
                mods.append(nn.MaxPool2d(3, 2, 1))
            elif j == 1:
                mods.append(nn.AvgPool2d(3, 2, 1))
            cin = c
        self.body = nn.Sequential(*mods)
        self.out = nn.Linear(cin, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x).mean((2, 3)))


# ---- CosFace ---------------------------------------------------------------------------------------------------------


class CosFace(nn.Module):
    """A CosFace embedding network and head (Wang et al. 2018, "CosFace: large margin cosine loss for deep face
    recognition"), narrowed: an MLP of two PReLU layers of 128 to a 64-dimensional feature, and the class weights
    ``W`` (10 x 64, Xavier-uniform); both the feature and every ``W`` row L2-normalised, so that the output is the
    cosine of every class, to which :func:`~.fresh42_builders.lmcl` applies the margin and the scale; PyTorch's
    default init of the Linears. ``layers``: the number of PReLU layers (2)."""

    def __init__(self, inputs: int = 32, hidden: int = 128, feature: int = 64, classes: int = 10, layers: int = 2
                 ) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        for j in range(layers):
            mods += [nn.Linear(inputs if j == 0 else hidden, hidden), nn.PReLU(hidden)]
        self.body = nn.Sequential(*mods, nn.Linear(hidden, feature))
        self.weight = nn.Parameter(torch.empty(classes, feature))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.body(x), dim=1) @ F.normalize(self.weight, dim=1).T
