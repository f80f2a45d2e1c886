"""Builders of the forty-eighth held-out batch (``fresh47.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh47_models as M
from . import fresh47_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(470_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4700 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor]
        ) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


# ---- data ------------------------------------------------------------------------------------------------------------

def rating_matrix(seed: int, users: int = 128, items: int = 96, density: float = 0.2) -> torch.Tensor:
    """A rank-4 preference model rounded to 1 to 5 stars (``3 + 1.3 u . v / 2``, clipped), 20% of it observed; the
    observed matrix (0 where unobserved)."""
    g = _gen(seed)
    u, v = torch.randn(users, 4, generator=g), torch.randn(items, 4, generator=g)
    r = (3 + 1.3 * (u @ v.T) / 2).round().clamp(1, 5)
    return r * (torch.rand(users, items, generator=g) < density)


def rating_pairs(seed: int, y: torch.Tensor, positives: int = 64, negatives: int = 128) -> Callable[[int], Any]:
    """DMF's training pairs: observed (user, item) pairs with the normalised rating ``r / 5`` and unobserved ones
    sampled as negatives (two per positive) with 0: ``(pairs (b, 2), targets (b,))``."""
    obs, unobs = y.nonzero(), (y == 0).nonzero()

    def make(g: torch.Generator, _: int) -> Any:
        pos = obs[torch.randint(0, len(obs), (positives,), generator=g)]
        neg = unobs[torch.randint(0, len(unobs), (negatives,), generator=g)]
        target = torch.cat([y[pos[:, 0], pos[:, 1]] / 5, torch.zeros(negatives)])
        return torch.cat([pos, neg]), target
    return _pool(seed, make)


def user_sequences(seed: int, batch: int = 64, users: int = 64, items: int = 64, length: int = 5, targets: int = 3,
                   negatives: int = 3) -> Callable[[int], Any]:
    """Each of 64 users' history of 40 items from the corpus' sparse Markov chain; a sample is a user, 5 consecutive
    items of theirs, the 3 that follow them (positives) and 3 uniform items (negatives): ``((items, user,
    candidates (b, 6)), labels (b, 6))``."""
    hist = markov_tokens(_gen(seed), users, 40, items)

    def make(g: torch.Generator, _: int) -> Any:
        u = torch.randint(0, users, (batch,), generator=g)
        t = torch.randint(0, 40 - length - targets + 1, (batch, 1), generator=g)
        window = hist[u[:, None], t + torch.arange(length + targets)]
        cand = torch.cat([window[:, length:], torch.randint(0, items, (batch, negatives), generator=g)], 1)
        labels = torch.cat([torch.ones(batch, targets), torch.zeros(batch, negatives)], 1)
        return (window[:, :length], u, cand), labels
    return _pool(seed, make)


def periodic_series(seed: int, batch: int = 32, channels: int = 4, lookback: int = 96, horizon: int = 48,
                    shuffled: bool = False) -> Callable[[int], Any]:
    """Four channels, each a fixed daily (24-step) shape of three harmonics, times an amplitude ``N(0, 1)`` and on a
    level ``N(0, 3^2)`` drawn per window, plus N(0, 0.3^2) noise: ``(lookback (b, 96, 4), horizon (b, 48, 4))``.
    ``shuffled``: the horizons permuted within every batch, apart from their lookbacks."""
    fg = _fixed(1)
    coef, phase = torch.randn(channels, 3, generator=fg), 2 * math.pi * torch.rand(channels, 3, generator=fg)
    k = torch.arange(1, 4).float()

    def make(g: torch.Generator, _: int) -> Any:
        t = torch.randint(0, 24, (batch, 1), generator=g) + torch.arange(lookback + horizon)
        shape = (coef * torch.sin(2 * math.pi * k * t[..., None, None] / 24 + phase)).sum(-1)  # (b, T, c)
        amp = torch.randn(batch, 1, channels, generator=g)
        level = 3 * torch.randn(batch, 1, channels, generator=g)
        x = level + amp * shape + 0.3 * torch.randn(shape.shape, generator=g)
        y = x[:, lookback:]
        return x[:, :lookback], y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def traffic(seed: int, nodes: int = 8, steps: int = 1200) -> torch.Tensor:
    """Flows at 8 sensors over 1200 five-minute steps: ``300 + 280 sin(2 pi (t / 48 + phase_n))`` times a slow
    per-node swing, plus N(0, 30^2) noise, floored at 0 (vehicles per interval): ``(steps, nodes)``."""
    g = _gen(seed)
    t = torch.arange(steps).float()[:, None]
    phase = torch.rand(nodes, generator=g)
    swing = 0.8 + 0.2 * torch.sin(2 * math.pi * (t / 400 + torch.rand(nodes, generator=g)))
    flow = 300 + 280 * swing * torch.sin(2 * math.pi * (t / 48 + phase)) + 30 * torch.randn(steps, nodes, generator=g)
    return flow.clamp_min(0.0)


def traffic_windows(seed: int, series: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, batch: int = 16,
                    window: int = 12) -> Callable[[int], Any]:
    """12-step windows of the flows, standardised by ``mean`` and ``std``, and the raw 12 steps after them:
    ``(inputs (b, 12, N), targets (b, 12, N))``."""
    def make(g: torch.Generator, _: int) -> Any:
        t = torch.randint(0, series.shape[0] - 2 * window, (batch, 1), generator=g) + torch.arange(2 * window)
        w = series[t]
        return ((w[:, :window] - mean) / std).float(), w[:, window:]
    return _pool(seed, make)


def _shape_points(g: torch.Generator, cls: torch.Tensor, points: int) -> torch.Tensor:
    """Points on a sphere, a cube's surface, a cylinder's side or a cone's (by ``cls``), scaled 0.8 to 1.2 per axis,
    turned about z and jittered by N(0, 0.02^2): ``(b, points, 3)`` in about [-1.2, 1.2]^3."""
    b = cls.shape[0]
    u = torch.rand(b, points, 3, generator=g) * 2 - 1
    sphere = F.normalize(torch.randn(b, points, 3, generator=g), dim=-1)
    face = torch.randint(0, 3, (b, points), generator=g)
    cube = torch.where(F.one_hot(face, 3).bool(), torch.sign(u) + (u == 0), u)
    ang = math.pi * u[..., 0]
    cyl = torch.stack([torch.cos(ang), torch.sin(ang), u[..., 1]], -1)
    r = (1 - u[..., 1]) / 2
    cone = torch.stack([r * torch.cos(ang), r * torch.sin(ang), u[..., 1]], -1)
    pts = torch.stack([sphere, cube, cyl, cone], 1)[torch.arange(b), cls]
    pts = pts * (0.8 + 0.4 * torch.rand(b, 1, 3, generator=g))
    th = 2 * math.pi * torch.rand(b, generator=g)
    c, s, z, o = torch.cos(th), torch.sin(th), torch.zeros(b), torch.ones(b)
    rot = torch.stack([torch.stack([c, -s, z], -1), torch.stack([s, c, z], -1), torch.stack([z, z, o], -1)], 1)
    return pts @ rot.transpose(1, 2) + 0.02 * torch.randn(b, points, 3, generator=g)


def point_clouds(seed: int, batch: int = 16, points: int = 32, classes: int = 4, shuffled: bool = False
                 ) -> Callable[[int], Any]:
    """Clouds of 32 points of four shapes (:func:`_shape_points`): ``(points (b, 32, 3), shape (b,))``.
    ``shuffled``: the labels permuted within every batch, apart from their clouds."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return _shape_points(g, y, points), y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def voxel_grids(seed: int, batch: int = 32, points: int = 256, size: int = 16, classes: int = 4,
                uint8_rescale: bool = False) -> Callable[[int], Any]:
    """The four shapes (256 points each) voxelised into 16^3 occupancy grids (``uint8``, the usual storage), then
    rescaled to ``{-1, 5}`` (set here) by ``6 x - 1`` after a cast to float: ``(grids (b, 1, 16, 16, 16),
    shape (b,))``. ``uint8_rescale``: ``6 x - 1`` computed on the ``uint8`` grid and cast afterwards (``0 - 1`` wraps
    round to 255: every empty voxel reads 255 and every occupied one 5)."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        pts = _shape_points(g, y, points)
        idx = ((pts + 1.25) / 2.5 * size).long().clamp(0, size - 1)
        grid = torch.zeros(batch, size, size, size, dtype=torch.uint8)
        grid[torch.arange(batch)[:, None], idx[..., 0], idx[..., 1], idx[..., 2]] = 1
        x = (grid * 6 - 1).float() if uint8_rescale else grid.float() * 6 - 1
        return x.unsqueeze(1), y
    return _pool(seed, make)


def rule_table(seed: int, batch: int = 256, features: int = 4) -> Callable[[int], Any]:
    """Standardised tabular rows (four N(0, 1) features) labelled by axis-aligned rules: ``[x0 > 0.3] + 2 [-0.4 < x1
    < 0.9]`` (four classes; x2 and x3 are noise): ``(rows (b, 4), class (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        return x, (x[:, 0] > 0.3).long() + 2 * ((x[:, 1] > -0.4) & (x[:, 1] < 0.9)).long()
    return _pool(seed, make)


def arm_torques(q: torch.Tensor, qd: torch.Tensor, qdd: torch.Tensor) -> torch.Tensor:
    """The inverse dynamics of a planar two-link arm (unit masses and lengths, centres of mass at the middle, rods'
    inertias 1/12, gravity 9.81): ``H(q) qdd + c(q, qd) + g(q)``."""
    a1, a2, a3 = 1 / 12 + 1 / 12 + 0.25 + 1.25, 0.5, 1 / 12 + 0.25
    c2, s2 = torch.cos(q[:, 1]), torch.sin(q[:, 1])
    h11, h12 = a1 + 2 * a2 * c2, a3 + a2 * c2
    cor = torch.stack([-a2 * s2 * (2 * qd[:, 0] * qd[:, 1] + qd[:, 1] ** 2), a2 * s2 * qd[:, 0] ** 2], 1)
    g12 = 0.5 * 9.81 * torch.cos(q[:, 0] + q[:, 1])
    grav = torch.stack([1.5 * 9.81 * torch.cos(q[:, 0]) + g12, g12], 1)
    tau = torch.stack([h11 * qdd[:, 0] + h12 * qdd[:, 1], h12 * qdd[:, 0] + a3 * qdd[:, 1]], 1)
    return tau + cor + grav


def arm_states(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """Joint states of the two-link arm, ``q ~ U(-pi, pi)``, ``qd ~ N(0, 1)``, ``qdd ~ N(0, 2^2)``, and their
    torques: ``((q, qd, qdd) (b, 6), torque (b, 2))``."""
    def make(g: torch.Generator, _: int) -> Any:
        q = math.pi * (2 * torch.rand(batch, 2, generator=g) - 1)
        qd, qdd = torch.randn(batch, 2, generator=g), 2 * torch.randn(batch, 2, generator=g)
        return torch.cat([q, qd, qdd], 1), arm_torques(q, qd, qdd)
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def normalised_ce(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """DMF's normalised cross-entropy, ``-(y log p + (1 - y) log(1 - p))`` with ``y = r / max(R)``."""
    return -(y * torch.log(pred) + (1 - y) * torch.log(1 - pred)).mean()


def hgn_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """HGN's loss: the mean ``-log sigmoid`` of the positives plus the mean ``-log(1 - sigmoid)`` of the negatives."""
    pos = labels.bool()
    return -F.logsigmoid(scores[pos]).mean() - F.logsigmoid(-scores[~pos]).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def dmf(seed: int, lr: float = 1e-3, relu_bias: float | None = None, clamp: bool = True, relu_layers: int = 1
        ) -> Setup:
    """DMF on the observed rating matrix (batch 64 positives and 128 negatives), the normalised cross-entropy, Adam at
    lr 1e-3 (set here: the paper's 1e-4 is for thousands of epochs); ``relu_bias``, ``clamp``, ``relu_layers``: see
    :class:`~.fresh47_models.DMF`."""
    torch.manual_seed(seed)
    y = rating_matrix(seed)
    model = M.DMF(y, relu_bias=relu_bias, clamp=clamp, relu_layers=relu_layers)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), rating_pairs(seed, y), normalised_ce)


def hgn(seed: int, lr: float = 3e-3, weight_decay: float = 1e-3, init_std: float | None = None) -> Setup:
    """HGN on the users' sequences (batch 64), its loss, Adam at lr 3e-3 (set here: the reference code's 1e-3 is for
    tens of epochs) with the reference code's L2 1e-3 (Adam's ``weight_decay``); ``init_std``: see
    :class:`~.fresh47_models.HGN`."""
    torch.manual_seed(seed)
    model = M.HGN(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, user_sequences(seed), hgn_loss)


def sparse_tsf(seed: int, lr: float = 0.02, shuffled: bool = False, denorm: bool = True) -> Setup:
    """SparseTSF on the periodic series (batch 32, 96 steps back, 48 ahead, period 24), MSE, Adam at the reference
    scripts' lr 0.02; ``shuffled``: see :func:`periodic_series`; ``denorm``: see
    :class:`~.fresh47_models.SparseTSF`."""
    torch.manual_seed(seed)
    model = M.SparseTSF(denorm=denorm)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), periodic_series(seed, shuffled=shuffled),
               F.mse_loss)


def agcrn(seed: int, lr: float = 3e-3, keep_bias: float = 0.0, half_scaler: bool = False) -> Setup:
    """AGCRN on the sensor flows (batch 16 of 12 steps, 12 ahead), the inputs standardised by the training series'
    mean and standard deviation (the reference code's ``StandardScaler``), the MAE of the de-standardised forecast
    against the raw flows, Adam at the paper's lr 3e-3; ``keep_bias``: see :class:`~.fresh47_models.AGCRN`.
    ``half_scaler``: the flows kept in a float16 buffer (to save memory) and the scaler computed on it by hand,
    ``((x - mean) ** 2).mean().sqrt()``: deviations above 256 square past float16's largest 65504 to inf, so the
    standard deviation is inf."""
    torch.manual_seed(seed)
    series = traffic(seed)
    src = series.half() if half_scaler else series
    mean = src.mean()
    std = ((src - mean) ** 2).mean().sqrt()
    model = M.AGCRN(keep_bias=keep_bias)
    scale = (mean.float(), std.float())
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), traffic_windows(seed, series, mean, std),
               lambda out, y: F.l1_loss(out * scale[1] + scale[0], y))


def point_transformer(seed: int, lr: float = 0.05, bn: bool = True, shuffled: bool = False) -> Setup:
    """Point Transformer on the point clouds (batch 16 of 32 points), cross-entropy, SGD at the paper's lr 0.05,
    momentum 0.9, weight decay 1e-4; ``bn``: see :class:`~.fresh47_models2.PointTransformer`; ``shuffled``: see
    :func:`point_clouds`."""
    torch.manual_seed(seed)
    model = M2.PointTransformer(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, point_clouds(seed, shuffled=shuffled), F.cross_entropy)


def voxnet(seed: int, lr: float = 0.01, half_by_floor: bool = False, uint8_rescale: bool = False) -> Setup:
    """VoxNet on the voxel grids (batch 32), cross-entropy, SGD at lr 0.01 with momentum 0.9 (the paper's optimiser;
    the lr set here); ``half_by_floor``: see :class:`~.fresh47_models2.VoxNet`; ``uint8_rescale``: see
    :func:`voxel_grids`."""
    torch.manual_seed(seed)
    model = M2.VoxNet(half_by_floor=half_by_floor)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return _xy(model, opt, voxel_grids(seed, uint8_rescale=uint8_rescale), F.cross_entropy)


def dndt(seed: int, lr: float = 0.01, weight_decay: float = 0.0, hand_softmax: bool = False) -> Setup:
    """DNDT on the rule table (batch 256), cross-entropy, Adam at the reference code's lr 0.01; ``weight_decay``:
    Adam's (coupled L2); ``hand_softmax``: see :class:`~.fresh47_models2.DNDT`."""
    torch.manual_seed(seed)
    model = M2.DNDT(hand_softmax=hand_softmax)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, rule_table(seed), F.cross_entropy)


def delan(seed: int, lr: float = 3e-3, weight_decay: float = 1e-5, layers: int = 2) -> Setup:
    """DeLaN's inverse model on the arm's states (batch 128), the squared torque error, Adam at lr 3e-3 (set here:
    the reference code's 5e-4 is for thousands of epochs) with its weight decay 1e-5; ``layers``: the trunk's hidden
    layers (see :class:`~.fresh47_models2.DeLaN`)."""
    torch.manual_seed(seed)
    model = M2.DeLaN(layers=layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, arm_states(seed), F.mse_loss)
