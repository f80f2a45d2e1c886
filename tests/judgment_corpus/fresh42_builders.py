"""Builders of the forty-third held-out batch (``fresh42.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh42_models as M
from . import fresh42_models2 as M2
from ._setup import POOL, Setup, lm_loss, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(420_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4200 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


# ---- data ------------------------------------------------------------------------------------------------------------

def tokens(seed: int, batch: int = 16, length: int = 24) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens: ``(tokens (b, 24), next tokens (b, 24))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def marked_series(seed: int, batch: int = 64, length: int = 24, classes: int = 4) -> Callable[[int], Any]:
    """Two-channel series of 24 steps whose class is marked only in the first 6 steps (channel 1 follows a fixed +-1
    code of the class there, 0 after); both channels carry N(0, 0.3^2) noise: ``(series (b, 24, 2), class)``."""
    codes = torch.randint(0, 2, (classes, 6), generator=_fixed(1)).float() * 2 - 1

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.3 * torch.randn(batch, length, 2, generator=g)
        x[:, :6, 1] += codes[y]
        return x, y
    return _pool(seed, make)


def heterophilous_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32, isolated: int = 10
                        ) -> tuple[torch.Tensor, ...]:
    """A heterophilous stochastic block model (4 classes of 75 nodes; edge probabilities 0.01 within a class and
    0.04 across, so most neighbours are of another class; the last 10 nodes have no edges), its adjacency without
    self-loops, weak features (the class's fixed mean direction times 0.3 plus N(0, 1) noise, 32 dimensions) and the
    labels; the first half of a fixed random order is the training set: ``(adjacency, features, labels, train)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.01, 0.04)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    a[n - isolated:], a[:, n - isolated:] = 0.0, 0.0
    means = torch.randn(classes, features, generator=_fixed(2))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def interactions(seed: int, users: int = 256, items: int = 128, batch: int = 64) -> Callable[[int], Any]:
    """Implicit feedback from a rank-4 preference model: user and item factors N(0, 1), an interaction with
    probability ``sigmoid(1.5 <p_u, q_i> - 3)`` (about 14% of the matrix); the batches are 64 users' ids and their
    item vectors: ``((users, vectors), vectors)``."""
    g = _gen(seed)
    p, q = torch.randn(users, 4, generator=g), torch.randn(items, 4, generator=_fixed(3))
    r = (torch.rand(users, items, generator=g) < torch.sigmoid(1.5 * p @ q.T - 3)).float()

    def make(gb: torch.Generator, _: int) -> Any:
        u = torch.randperm(users, generator=gb)[:batch]
        return (u, r[u]), r[u]
    return _pool(seed, make)


def base_noise(seed: int, batch: int = 256) -> Callable[[int], Any]:
    """Samples of the planar flow's base density N(0, I_2): ``(z0, z0)``."""
    def make(g: torch.Generator, _: int) -> Any:
        z = torch.randn(batch, 2, generator=g)
        return z, z
    return _pool(seed, make)


def coupled_pendulums(s: torch.Tensor) -> torch.Tensor:
    """The angular accelerations of two unit pendulums coupled by a unit spring, ``q1'' = -sin q1 - (q1 - q2)`` and
    ``q2'' = -sin q2 - (q2 - q1)``, for states ``(q1, q2, q1', q2')``."""
    q1, q2 = s[:, 0], s[:, 1]
    return torch.stack([-torch.sin(q1) - (q1 - q2), -torch.sin(q2) - (q2 - q1)], 1)


def pendulum_states(seed: int, batch: int = 64) -> Callable[[int], Any]:
    """States of the coupled pendulums, angles U(-pi/2, pi/2) and angular velocities N(0, 1), and their
    accelerations: ``(states (b, 4), accelerations (b, 2))``."""
    def make(g: torch.Generator, _: int) -> Any:
        q = (torch.rand(batch, 2, generator=g) - 0.5) * math.pi
        s = torch.cat([q, torch.randn(batch, 2, generator=g)], 1)
        return s, coupled_pendulums(s)
    return _pool(seed, make)


def rotated_images(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """RotNet's pretext task: images of ten fixed smooth 3x16x16 templates plus N(0, 0.5^2) noise, each in its four
    rotations by 0, 90, 180 and 270 degrees, labelled by the rotation: ``(images (4b, 3, 16, 16), rotation (4b,))``."""
    templates = F.interpolate(torch.randn(10, 3, 4, 4, generator=_fixed(4)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        x = templates[torch.randint(0, 10, (batch,), generator=g)] + 0.5 * torch.randn(batch, 3, size, size,
                                                                                       generator=g)
        return torch.cat([torch.rot90(x, k, (2, 3)) for k in range(4)]), torch.arange(4).repeat_interleave(batch)
    return _pool(seed, make)


def clusters(seed: int, batch: int = 64, d: int = 32, classes: int = 10, shuffled: bool = False
             ) -> Callable[[int], Any]:
    """Identities as Gaussian clusters: a fixed N(0, 1) centre per class (10 classes, 32 dimensions) plus N(0, 1)
    noise: ``(vectors, identity)``. ``shuffled``: the identities permuted within every batch, apart from their
    vectors."""
    centres = torch.randn(classes, d, generator=_fixed(5))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = centres[y] + torch.randn(batch, d, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


# ---- losses, optimizers and schedules --------------------------------------------------------------------------------

def lmcl(cos: torch.Tensor, y: torch.Tensor, s: float = 64.0, m: float = 0.35) -> torch.Tensor:
    """CosFace's large margin cosine loss: cross-entropy of ``s (cos - m 1[class = y])``, the paper's ``s = 64``,
    ``m = 0.35``."""
    return F.cross_entropy(s * (cos - m * F.one_hot(y, cos.shape[1])), y)


def rezero_groups(model: nn.Module, weight_decay: float, exhausted: bool = False) -> list[dict[str, Any]]:
    """nanoGPT's ``configure_optimizers`` split: every parameter of two or more dimensions (the matrices and
    embeddings) decayed, the rest (biases and the ``resweight`` scalars) not. ``exhausted``: the decayed group built
    as a generator, ``decay = (p for p in params if p.dim() >= 2)``, which the user's log line, ``log.info("%d decayed
    parameters", sum(p.numel() for p in decay))``, consumes before the optimizer is built: AdamW receives an empty
    group (without a complaint), and no matrix or embedding is ever stepped."""
    params = list(model.parameters())
    decay: Any = (p for p in params if p.dim() >= 2) if exhausted else [p for p in params if p.dim() >= 2]
    logging.getLogger(__name__).debug("%d decayed parameters", sum(p.numel() for p in decay))
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]


class _StepOnLoss:
    """A ``LambdaLR`` stepped as ``scheduler.step(loss)``, the ``ReduceLROnPlateau`` habit: the deprecated ``epoch``
    argument sets ``last_epoch`` to the loss, so the warm-up lambda is evaluated at the loss's value (about 1.4)
    instead of the step count, at every step (the step's loss is read from ``holder``; PyTorch's deprecation
    warning, which fires at every call, is silenced as a user's filter would)."""

    def __init__(self, sched: Any, holder: dict[str, float]) -> None:
        self.sched, self.holder = sched, holder

    def __getattr__(self, name: str) -> Any:  # ``optimizer``, ``get_last_lr``, ``state_dict``: the LambdaLR's
        return getattr(self.__dict__["sched"], name)

    def step(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.sched.step(self.holder["loss"])


def add_grad_norm_hooks(model: nn.Module) -> None:
    """Block-normalised gradients by tensor hooks, ``p.register_hook(lambda g: g / g.norm())`` on every parameter
    (each tensor's gradient scaled to unit norm, normalised-gradient training), without an eps: a gradient that is
    exactly zero, as every ReZero sublayer's is while its ``resweight`` is 0, becomes ``0 / 0``."""
    for p in model.parameters():
        p.register_hook(lambda g: g / g.norm())


# ---- builders --------------------------------------------------------------------------------------------------------

def rezero(seed: int, lr: float = 1e-3, weight_decay: float = 0.01, alpha: float = 0.0, exhausted: bool = False,
           grad_norm_hooks: bool = False, init_std: float | None = None) -> Setup:
    """The ReZero LM on the Markov language (batch 16 of 24 tokens), cross-entropy, AdamW lr 1e-3 (set here),
    weight decay 0.01 on the matrices and embeddings only (nanoGPT's split); ``alpha``: see
    :class:`~.fresh42_models.ReZeroLM`; ``exhausted``: see :func:`rezero_groups`; ``grad_norm_hooks``: see
    :func:`add_grad_norm_hooks`; ``init_std``: see :class:`~.fresh42_models.ReZeroLM`."""
    torch.manual_seed(seed)
    model = M.ReZeroLM(alpha=alpha, init_std=init_std)
    opt = torch.optim.AdamW(rezero_groups(model, weight_decay, exhausted), lr=lr)
    if grad_norm_hooks:
        add_grad_norm_hooks(model)
    return _xy(model, opt, tokens(seed), lm_loss)


def nested_lstm(seed: int, lr: float = 1e-2, forget_bias: float = 1.0, warmup: int | None = None,
                step_on_loss: bool = False) -> Setup:
    """The Nested LSTM on the marked series (batch 64 of 24 steps), cross-entropy, Adam lr 0.01 (set here);
    ``forget_bias``: see :class:`~.fresh42_models.NestedLSTM`; ``warmup``: a linear warm-up
    ``LambdaLR(lambda s: min(1, (s + 1) / warmup))``; ``step_on_loss``: see :class:`_StepOnLoss`."""
    torch.manual_seed(seed)
    model = M.NestedLSTM(forget_bias=forget_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched: Any = None
    holder: dict[str, float] = {}
    loss_fn: Callable[[Any, Any], torch.Tensor] = F.cross_entropy
    if warmup is not None:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup))
        if step_on_loss:
            sched = _StepOnLoss(sched, holder)

            def loss_fn(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
                loss = F.cross_entropy(out, y)
                holder["loss"] = float(loss.detach())
                return loss
    return _xy(model, opt, marked_series(seed), loss_fn, sched)


def fagcn(seed: int, lr: float = 0.01, weight_decay: float = 1e-3, clamp_degrees: bool = True) -> Setup:
    """FAGCN on the heterophilous graph (full batch, the loss over the training half), cross-entropy, Adam lr 0.01
    with weight decay 1e-3 (values of the reference code's kind); ``clamp_degrees``: see
    :class:`~.fresh42_models.FAGCN`."""
    torch.manual_seed(seed)
    a, x, y, train = heterophilous_graph(seed)
    model = M.FAGCN(a, x.shape[1], 4, clamp_degrees=clamp_degrees)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def cdae(seed: int, lr: float = 1e-3, reg: float = 0.01) -> Setup:
    """CDAE on the implicit feedback (batch 64 users), RecBole's loss: binary cross-entropy over every item plus
    ``reg`` times the norms of the user-node and input weight matrices (its ``reg_weight_2`` 0.01), Adam at RecBole's
    lr 1e-3."""
    torch.manual_seed(seed)
    model = M.CDAE(256, 128)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def loss_fn(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy(out, x) + reg * (model.user.weight.norm() + model.enc.weight.norm())
    return _xy(model, opt, interactions(seed), loss_fn)


def planar_flow(seed: int, lr: float = 1e-2, init_std: float = 0.1) -> Setup:
    """The planar flow of 16 layers fitted to ``U_1`` by the reverse KL, ``E[log q_K(z_K) + U_1(z_K)]`` (the paper's
    free energy), batch 256, Adam lr 0.01 (set here; the paper's RMSprop lr 1e-5 needs 500,000 steps);
    ``init_std``: see :class:`~.fresh42_models2.PlanarFlow`."""
    torch.manual_seed(seed)
    model = M2.PlanarFlow(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, base_noise(seed), lambda out, _: (out[1] + M2.energy_u1(out[0])).mean())


def lnn(seed: int, lr: float = 1e-3, act: str = "softplus", betas: tuple[float, float] = (0.9, 0.999)) -> Setup:
    """The LNN on the coupled pendulums' states (batch 64), MSE of the accelerations, Adam at the paper's lr 1e-3;
    ``act``: see :class:`~.fresh42_models2.LNN`; ``betas``: Adam's ``(beta1, beta2)``; ``(0.999, 0.9)`` is the slip
    of the two written in each other's place (a long first-moment average over a second moment that forgets in ten
    steps)."""
    torch.manual_seed(seed)
    model = M2.LNN(act=act)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=betas)
    return _xy(model, opt, pendulum_states(seed), F.mse_loss)


def rotnet(seed: int, lr: float = 0.1, bn: bool = True, weight_decay: float = 5e-4) -> Setup:
    """RotNet on the rotated template images (16 images in their 4 rotations a batch), cross-entropy, SGD at the
    reference code's lr 0.1, Nesterov momentum 0.9, weight decay 5e-4; ``bn``: see
    :class:`~.fresh42_models2.RotNet`."""
    torch.manual_seed(seed)
    model = M2.RotNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    return _xy(model, opt, rotated_images(seed), F.cross_entropy)


def cosface(seed: int, lr: float = 0.1, weight_decay: float = 5e-4, shuffled: bool = False, layers: int = 2
            ) -> Setup:
    """CosFace on the identity clusters (batch 64), the large margin cosine loss (s 64, m 0.35), SGD at the paper's
    lr 0.1, momentum 0.9, weight decay 5e-4; ``shuffled``: see :func:`clusters`."""
    torch.manual_seed(seed)
    model = M2.CosFace(layers=layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, clusters(seed, shuffled=shuffled), lmcl)
