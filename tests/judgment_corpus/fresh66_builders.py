"""Builders of the sixty-seventh held-out batch (``fresh66.py``): standard scientific-ML and signal models new to the
corpus at their usual settings, and broken variants with one real fault each, plus the small data sets and objectives
they train on. Written and labelled before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh66_models as M
from . import fresh66_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(660_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6600 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor]
        ) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _closure(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss: Callable[[nn.Module, Any], torch.Tensor]
             ) -> Setup:
    return Setup(model, opt, None, batches(0), None, loss, batches, needs_closure=True)


def _d(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.autograd.grad(y.sum(), x, create_graph=True)[0]


# ---- gPINN: -u'' = f on a rod of 100 m -------------------------------------------------------------------------------

ROD = 100.0  # metres


def rod_points(seed: int, n: int = 64) -> Callable[[int], Any]:
    """64 collocation points uniform on the rod ``[0, 100]`` m, in metres, ``(n, 1)``."""
    return _pool(seed, lambda g, _: ROD * torch.rand(n, 1, generator=g))


def gpinn_loss(w_g: float = 0.01) -> Callable[[nn.Module, Any], torch.Tensor]:
    """The gPINN loss for ``-u'' = f`` in the rod's unit coordinate ``s = x / 100`` (``f(s) = 4 pi^2 sin(2 pi s)``,
    ``u(0) = u(1) = 0``, the solution ``sin(2 pi s)``): the mean squared residual ``r = u_ss + f``, ``w_g`` times the
    mean squared residual gradient ``r_s`` (the gradient enhancement, the paper's weight 0.01) and the squared boundary
    values; the derivatives are taken by autograd w.r.t. the points in metres and carried to ``s`` by the chain rule
    (``d/ds = 100 d/dx``)."""
    def loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        x = x.clone().requires_grad_(True)
        u = model(x)
        r = ROD ** 2 * _d(_d(u, x), x) + 4 * math.pi ** 2 * torch.sin(2 * math.pi * x / ROD)
        r_s = ROD * _d(r, x)
        edge = model(torch.tensor([[0.0], [ROD]]))
        return r.pow(2).mean() + w_g * r_s.pow(2).mean() + edge.pow(2).mean()
    return loss


# ---- Deep Ritz: -lap u = f on the unit square ------------------------------------------------------------------------

def square_points(seed: int, inner: int = 256, edge: int = 64) -> Callable[[int], Any]:
    """Monte-Carlo points of the Ritz energy: ``inner`` uniform in ``(0, 1)^2`` and ``edge`` uniform on its boundary
    (a random side each)."""
    def make(g: torch.Generator, _: int) -> Any:
        xi = torch.rand(inner, 2, generator=g)
        t = torch.rand(edge, generator=g)
        side = torch.randint(0, 4, (edge,), generator=g)
        xb = torch.stack([torch.where(side < 2, t, (side == 3).float()), torch.where(side < 2, side.float(), t)], 1)
        return xi, xb
    return _pool(seed, make)


def ritz_loss(beta: float = 500.0) -> Callable[[nn.Module, Any], torch.Tensor]:
    """The Deep Ritz energy ``mean(|grad u|^2 / 2 - f u)`` over the interior points plus ``beta`` times the mean of
    ``u^2`` over the boundary points (the paper's penalty 500), ``f = 2 pi^2 sin(pi x) sin(pi y)`` (the solution
    ``sin(pi x) sin(pi y)``, the minimum energy ``-pi^2 / 4 = -2.47``)."""
    def loss(model: nn.Module, batch: Any) -> torch.Tensor:
        xi, xb = batch
        x = xi.clone().requires_grad_(True)
        u = model(x).squeeze(-1)
        f = 2 * math.pi ** 2 * torch.sin(math.pi * x[:, 0]) * torch.sin(math.pi * x[:, 1])
        energy = (0.5 * _d(u, x).pow(2).sum(1) - f * u).mean()
        return energy + beta * model(xb).pow(2).mean()
    return loss


# ---- data ------------------------------------------------------------------------------------------------------------

def annuli(seed: int, batch: int = 64) -> Callable[[int], Any]:
    """Dupont et al.'s ``g``: points of the disc ``r < 0.5`` labelled +1, of the annulus ``1 < r < 1.5`` labelled -1
    (half each), uniform angles: ``(points (b, 2), targets (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        inner = torch.rand(batch, generator=g) < 0.5
        r = torch.where(inner, 0.5 * torch.rand(batch, generator=g), 1 + 0.5 * torch.rand(batch, generator=g))
        a = 2 * math.pi * torch.rand(batch, generator=g)
        return torch.stack([r * a.cos(), r * a.sin()], 1), inner.float() * 2 - 1
    return _pool(seed, make)


def spirals(seed: int, batch: int = 32, length: int = 32, shuffled: bool = False) -> Callable[[int], Any]:
    """torchcde's example data: spirals ``(cos, sin)(start + t) / (1 + t / 2)`` over ``t`` in ``[0, 4 pi]`` at 32
    times, half of them mirrored (clockwise, label 1), noise 0.01, time the first channel: ``(series (b, 32, 3),
    labels (b,))``. ``shuffled``: the labels permuted within every batch, apart from their series."""
    t = torch.linspace(0, 4 * math.pi, length)

    def make(g: torch.Generator, _: int) -> Any:
        y = (torch.rand(batch, generator=g) < 0.5).float()
        start = 2 * math.pi * torch.rand(batch, 1, generator=g)
        xs = torch.cos(start + t) / (1 + 0.5 * t) * (1 - 2 * y[:, None])
        ys = torch.sin(start + t) / (1 + 0.5 * t)
        noise = 0.01 * torch.randn(2, batch, length, generator=g)
        x = torch.stack([t.expand(batch, length), xs + noise[0], ys + noise[1]], 2)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def rotated_images(seed: int, batch: int = 32, size: int = 12, classes: int = 10) -> Callable[[int], Any]:
    """Class templates (a fixed smooth 12x12 field per class) rotated by a random multiple of 90 degrees, plus
    N(0, 0.6^2) noise: ``(images (b, 1, 12, 12), labels)``."""
    templates = F.interpolate(torch.randn(classes, 1, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        k = torch.randint(0, 4, (batch,), generator=g)
        x = torch.stack([torch.rot90(templates[c], int(r), (1, 2)) for c, r in zip(y, k)])
        return x + 0.6 * torch.randn(x.shape, generator=g), y
    return _pool(seed, make)


ANGSTROM_CUTOFF = 6.0
SHIFTS = torch.linspace(0.8, 5.0, 8)


def symmetry_functions(pos: torch.Tensor, cutoff: float = ANGSTROM_CUTOFF, eta: float = 2.0) -> torch.Tensor:
    """Behler's radial symmetry functions ``G2_i = sum_j exp(-eta (r_ij - r_s)^2) f_c(r_ij)`` at the 8 shifts
    ``SHIFTS`` (angstrom), with the cosine cutoff ``f_c = (cos(pi r / r_c) + 1) / 2`` for ``r < r_c`` (positions and
    ``cutoff`` in angstrom): ``(b, atoms, 8)``."""
    r = torch.cdist(pos, pos)
    fc = torch.where(r < cutoff, 0.5 * (torch.cos(math.pi * r / cutoff) + 1), torch.zeros_like(r))
    fc = fc * (1 - torch.eye(pos.shape[1]))
    return (torch.exp(-eta * (r[..., None] - SHIFTS) ** 2) * fc[..., None]).sum(2)


def _clusters(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """8-atom clusters: a 2x2x2 lattice of spacing 1.6 angstrom jittered by U(-0.4, 0.4) per coordinate, and their
    Morse energies (``D = 1``, ``a = 1.5``, ``r_e = 1.6``, summed over pairs)."""
    grid = torch.stack(torch.meshgrid(*[torch.tensor([0.0, 1.6])] * 3, indexing="ij"), -1).reshape(8, 3)
    pos = grid + 0.8 * (torch.rand(n, 8, 3, generator=g) - 0.5)
    r = torch.cdist(pos, pos) + torch.eye(8)
    e = (1 - torch.exp(-1.5 * (r - 1.6))) ** 2 - 1
    return pos, (e * (1 - torch.eye(8))).sum((1, 2)) / 2


def clusters(seed: int, batch: int = 32, cutoff: float = ANGSTROM_CUTOFF) -> Callable[[int], Any]:
    """Atomic clusters as Behler's pipeline feeds them: the symmetry functions (``cutoff`` as given) scaled by the
    mean and standard deviation of a fixed reference sample of 512 clusters run through the same function, and the
    Morse energies standardised by that sample's: ``(features (b, 8, 8), energies (b,))``."""
    ref_pos, ref_e = _clusters(_fixed(2), 512)
    ref_g = symmetry_functions(ref_pos, cutoff)
    g_mean, g_std = ref_g.mean((0, 1)), ref_g.std((0, 1)) + 1e-8
    e_mean, e_std = ref_e.mean(), ref_e.std()

    def make(g: torch.Generator, _: int) -> Any:
        pos, e = _clusters(g, batch)
        return (symmetry_functions(pos, cutoff) - g_mean) / g_std, (e - e_mean) / e_std
    return _pool(seed, make)


def speakers(seed: int, batch: int = 32, samples: int = 729, classes: int = 4, silent: bool = False,
             eps: float | None = 1e-5) -> Callable[[int], Any]:
    """Waveforms of 729 samples at 8 kHz from four "speakers": each a fixed pitch (110 to 260 Hz, jittered 5%) and a
    fixed weighting of its first 8 harmonics, random phases and gain, N(0, 0.3^2) noise; each clip standardised by
    its own mean and standard deviation (plus ``eps``): ``(waves (b, 729), speaker)``. ``silent``: the first clip of
    every batch is a dropout of the recorder (all zeros)."""
    fg = _fixed(3)
    pitch = torch.tensor([110.0, 160.0, 210.0, 260.0])
    weights = torch.rand(classes, 8, generator=fg) ** 2
    t = torch.arange(samples).float() / 8000
    k = torch.arange(1, 9).float()

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        f0 = pitch[y] * (1 + 0.05 * (2 * torch.rand(batch, generator=g) - 1))
        ph = 2 * math.pi * torch.rand(batch, 8, 1, generator=g)
        x = (weights[y][..., None] * torch.sin(2 * math.pi * f0[:, None, None] * k[:, None] * t + ph)).sum(1)
        x = x * (0.5 + torch.rand(batch, 1, generator=g)) + 0.3 * torch.randn(batch, samples, generator=g)
        if silent:
            x[0] = 0.0
        std = x.std(1, keepdim=True)
        return (x - x.mean(1, keepdim=True)) / (std if eps is None else std + eps), y
    return _pool(seed, make)


GRID = torch.linspace(0, 1, 64)


def _forcings(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Forcings ``f = sum_k c_k sin(k pi x)`` (k = 1..8, ``c_k ~ N(0, 1) / sqrt(k)``) on 64 points of ``[0, 1]`` and
    the solutions of ``-u'' = f``, ``u(0) = u(1) = 0`` (``u = sum_k c_k sin(k pi x) / (k pi)^2``, times ``pi^2``, unit
    scale) plus ``u^2 / 2`` (a quadratic reaction read off the state; the operator is nonlinear)."""
    k = torch.arange(1, 9).float()
    c = torch.randn(n, 8, generator=g) / k.sqrt()
    modes = torch.sin(math.pi * k[:, None] * GRID)
    u = (c / k ** 2) @ modes
    return c @ modes, u + u ** 2 / 2


def forcings(seed: int, batch: int = 32, unforced: bool = False) -> Callable[[int], Any]:
    """``(forcing (b, 64), response (b, 64))`` pairs; ``unforced``: the first pair of every batch the unforced case
    (``f = 0``, so ``u = 0``), which the data set holds as a physically valid sample."""
    def make(g: torch.Generator, _: int) -> Any:
        f, u = _forcings(g, batch)
        if unforced:
            f[0], u[0] = 0.0, 0.0
        return f, u
    return _pool(seed, make)


def pca_bases(modes: int = 16) -> tuple[torch.Tensor, ...]:
    """PCA-Net's bases: the leading ``modes`` principal components and the means of 1024 fixed forcings and of their
    responses."""
    f, u = _forcings(_fixed(4), 1024)
    out = []
    for z in (f, u):
        mean = z.mean(0)
        _, _, vt = torch.linalg.svd(z - mean, full_matrices=False)
        out += [vt[:modes].T.contiguous(), mean]
    return tuple(out)


def relative_l2(pred: torch.Tensor, target: torch.Tensor, pooled: bool = False) -> torch.Tensor:
    """The neural-operator codes' relative L2 loss, ``mean_i |pred_i - u_i| / |u_i|`` (per function); ``pooled``: the
    batch's error norm over the batch's target norm, ``|pred - u| / |u|`` over the whole batch."""
    if pooled:
        return (pred - target).norm() / target.norm()
    return ((pred - target).norm(dim=1) / target.norm(dim=1)).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def gpinn(seed: int, lr: float = 1e-3, act: type[nn.Module] = nn.Tanh, rescale: bool = True) -> Setup:
    """The gPINN on the rod (64 collocation points a step), Adam at the paper's lr 1e-3; ``act``, ``rescale``: see
    :class:`~.fresh66_models.GPINN`."""
    torch.manual_seed(seed)
    model = M.GPINN(act=act, length=ROD, rescale=rescale)
    return _closure(model, torch.optim.Adam(model.parameters(), lr=lr), rod_points(seed), gpinn_loss())


def deep_ritz(seed: int, lr: float = 1e-3, init_std: float | None = None, blocks: int = 4) -> Setup:
    """The Deep Ritz network on the Poisson problem (256 interior and 64 boundary points a step), Adam lr 1e-3;
    ``init_std``: see :class:`~.fresh66_models.DeepRitz`."""
    torch.manual_seed(seed)
    model = M.DeepRitz(init_std=init_std, blocks=blocks)
    return _closure(model, torch.optim.Adam(model.parameters(), lr=lr), square_points(seed), ritz_loss())


def anode(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, horizon: float = 1.0) -> Setup:
    """The ANODE on the annuli (batch 64), MSE against the +-1 targets, Adam at the paper's lr 1e-3; ``horizon``: see
    :class:`~.fresh66_models.ANODE`; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M.ANODE(horizon=horizon)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, annuli(seed), F.mse_loss)


def neural_cde(seed: int, lr: float = 1e-3, increments: bool = True, tanh: bool = True, shuffled: bool = False,
               weight_decay: float = 0.0) -> Setup:
    """The neural CDE on the spirals (batch 32 of 32 times), binary cross-entropy on the logit, Adam at torchcde's
    example's lr (PyTorch's default 1e-3); ``increments``, ``tanh``: see :class:`~.fresh66_models.NeuralCDE`;
    ``shuffled``: see :func:`spirals`."""
    torch.manual_seed(seed)
    model = M.NeuralCDE(increments=increments, tanh=tanh)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, spirals(seed, shuffled=shuffled), F.binary_cross_entropy_with_logits)


def p4cnn(seed: int, lr: float = 1e-3, bn: bool = True, sgd: bool = False) -> Setup:
    """P4CNN on the rotated templates (batch 32), cross-entropy, Adam lr 1e-3 (GrouPy's experiments'); ``bn``: see
    :class:`~.fresh66_models2.P4CNN`; ``sgd``: SGD with momentum 0.9 at ``lr`` instead."""
    torch.manual_seed(seed)
    model = M2.P4CNN(bn=bn)
    opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9) if sgd
           else torch.optim.Adam(model.parameters(), lr=lr))
    return _xy(model, opt, rotated_images(seed), F.cross_entropy)


def bpnn(seed: int, lr: float = 1e-3, hidden: tuple[int, ...] = (40, 40), cutoff: float = ANGSTROM_CUTOFF,
         weight_decay: float = 0.0) -> Setup:
    """The Behler-Parrinello network on the Morse clusters (batch 32), MSE on the standardised energies, Adam lr 1e-3;
    ``hidden``: see :class:`~.fresh66_models2.BPNN`; ``cutoff``: see :func:`clusters`."""
    torch.manual_seed(seed)
    model = M2.BPNN(hidden=hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, clusters(seed, cutoff=cutoff), F.mse_loss)


def rawnet(seed: int, lr: float = 1e-3, weight_decay: float = 1e-4, silent: bool = False, eps: float | None = 1e-5,
           hh_gain: float = 1.0) -> Setup:
    """RawNet on the speakers' waveforms (batch 32), cross-entropy, the paper's AMSGrad at lr 1e-3 with weight decay
    1e-4; ``silent``, ``eps``: see :func:`speakers`."""
    torch.manual_seed(seed)
    model = M2.RawNet(hh_gain=hh_gain)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, amsgrad=True)
    return _xy(model, opt, speakers(seed, silent=silent, eps=eps), F.cross_entropy)


def pca_net(seed: int, lr: float = 1e-3, unforced: bool = False, pooled: bool = False, weight_decay: float = 0.0
            ) -> Setup:
    """PCA-Net on the forcing-to-response operator (batch 32), the relative L2 loss, Adam lr 1e-3; ``unforced``: see
    :func:`forcings`; ``pooled``: see :func:`relative_l2`; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.PCANet(*pca_bases())
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, forcings(seed, unforced=unforced), lambda p, u: relative_l2(p, u, pooled=pooled))
