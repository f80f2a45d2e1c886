"""Hand-written models of the seventy-first held-out batch (``fresh70.py``), self-supervised, semi-supervised and
generative ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The domain-adaptation and multi-task models are in
``fresh70_models.py``."""

from __future__ import annotations

import copy

import torch
from torch import nn

# ---- W-MSE -----------------------------------------------------------------------------------------------------------


class WMSE(nn.Module):
    """W-MSE (Ermolov et al. 2021), narrowed: a backbone of two Linear-BatchNorm-ReLU layers of 128 and the reference
    code's projection head (Linear 128, BatchNorm, ReLU, Linear to the embedding of 16); PyTorch's default init. The
    whitening and the loss are :func:`~.fresh70_builders.wmse_loss`. Takes ``(view 1, view 2)``; returns both views'
    embeddings."""

    def __init__(self, d: int = 32, hidden: int = 128, emb: int = 16) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(d, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                      nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, emb))

    def forward(self, views: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.head(self.backbone(torch.cat(views)))
        return z[: views[0].shape[0]], z[views[0].shape[0]:]


# ---- Mean Teacher ----------------------------------------------------------------------------------------------------


class GRUNet(nn.Module):
    """A GRU classifier: Gaussian input noise (std 0.15, the Mean Teacher paper's augmentation), a GRU of 32 cells,
    dropout 0.5 on its last state and a Linear to the classes; PyTorch's default init. ``gate_bias``: the reset and
    update gates' biases (``b_ir, b_hr, b_iz, b_hz``) set to that value each (-5: ``r = z = sigmoid(-10)``: the
    candidate ignores the state and replaces it at every step, so nothing is carried from one step to the next)."""

    def __init__(self, inputs: int = 2, hidden: int = 32, classes: int = 4, gate_bias: float | None = None) -> None:
        super().__init__()
        self.gru = nn.GRU(inputs, hidden, batch_first=True)
        self.drop, self.out = nn.Dropout(0.5), nn.Linear(hidden, classes)
        if gate_bias is not None:
            with torch.no_grad():
                self.gru.bias_ih_l0[:2 * hidden] = gate_bias
                self.gru.bias_hh_l0[:2 * hidden] = gate_bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x + 0.15 * torch.randn_like(x))
        return self.out(self.drop(h[-1]))


class MeanTeacher(nn.Module):
    """Mean Teacher (Tarvainen and Valpola 2017): the student (:class:`GRUNet`) and the teacher, a copy of it whose
    weights are the exponential moving average of the student's (updated by
    :class:`~.fresh70_builders.MeanTeacherAdam`; the teacher is not a submodule and holds no gradient). Both see the
    batch under their own input noise; returns ``(student logits, teacher logits, cons_weight)``; ``cons_weight`` is the
    consistency weight of the current step (set by the optimizer's ramp-up)."""

    def __init__(self, **kw: float | None) -> None:
        super().__init__()
        self.student = GRUNet(**kw)  # type: ignore[arg-type]
        teacher = copy.deepcopy(self.student)
        for p in teacher.parameters():
            p.requires_grad_(False)
        self.__dict__["teacher"] = teacher
        self.cons_weight = 0.0

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float]:
        with torch.no_grad():
            self.teacher.train(self.training)
            t = self.teacher(x)
        return self.student(x), t, self.cons_weight


# ---- beta-TCVAE ------------------------------------------------------------------------------------------------------


class TCVAE(nn.Module):
    """beta-TCVAE (Chen et al. 2018), narrowed: the paper's MLP encoder and decoder (ReLU layers, here 128-128) with
    a latent of 4, a Gaussian posterior ``(mu, log var)``, a unit-variance Gaussian decoder; PyTorch's default init.
    Returns ``(reconstruction, z, mu, logvar)``; the loss (the minibatch-weighted-sampling decomposition with beta 6)
    is :func:`~.fresh70_builders.tc_loss`."""

    def __init__(self, d: int = 16, hidden: int = 128, z: int = 4) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2 * z))
        self.dec = nn.Sequential(nn.Linear(z, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, d))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        mu, logvar = self.enc(x).chunk(2, -1)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        return self.dec(z), z, mu, logvar


# ---- M2 --------------------------------------------------------------------------------------------------------------


class M2(nn.Module):
    """The semi-supervised generative model M2 (Kingma et al. 2014), narrowed: the classifier ``q(y | x)``, the
    encoder ``q(z | x, y)`` and the decoder ``p(x | y, z)`` each an MLP with one softplus hidden layer of 128 (the
    paper's form), a latent of 4, a unit-variance Gaussian decoder; PyTorch's default init. Returns ``(class logits,
    per-class reconstructions (b, k, d), mu, logvar (b, k, z))``: the encoder and decoder are run under every class
    (the unlabelled rows' bound sums over them); the loss is :func:`~.fresh70_builders.m2_loss`."""

    def __init__(self, d: int = 16, hidden: int = 128, z: int = 4, classes: int = 4) -> None:
        super().__init__()
        self.classes = classes
        self.cls = nn.Sequential(nn.Linear(d, hidden), nn.Softplus(), nn.Linear(hidden, classes))
        self.enc = nn.Sequential(nn.Linear(d + classes, hidden), nn.Softplus(), nn.Linear(hidden, 2 * z))
        self.dec = nn.Sequential(nn.Linear(z + classes, hidden), nn.Softplus(), nn.Linear(hidden, d))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        b, k = x.shape[0], self.classes
        y = torch.eye(k).expand(b, k, k)
        xr = x[:, None].expand(b, k, x.shape[1])
        mu, logvar = self.enc(torch.cat([xr, y], -1)).chunk(2, -1)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        return self.cls(x), self.dec(torch.cat([z, y], -1)), mu, logvar


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over the last axis."""
    return 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(-1)

