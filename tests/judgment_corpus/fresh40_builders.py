"""Builders of the forty-first held-out batch (``fresh40.py``): standard models new to the corpus at their usual
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

from . import fresh40_models as M
from . import fresh40_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(400_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4000 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.05 within a class and 0.01
    across), its symmetric Laplacian ``I - D^-1/2 A D^-1/2`` (a degree-0 node's ``D^-1/2`` set to 0, as PyG's
    ``get_laplacian``), weak node features (the class's fixed mean direction times 0.3 plus N(0, 1) noise, 32
    dimensions) and the labels; the first half of a fixed random order is the training set: ``(Laplacian, features,
    labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.05, 0.01)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    d = a.sum(1).pow(-0.5)
    d = torch.where(torch.isinf(d), torch.zeros_like(d), d)
    lap = torch.eye(n) - d[:, None] * a * d[None]
    x = 0.3 * torch.randn(classes, features, generator=_fixed(1))[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return lap, x, y, train


FIELDS = (8, 12, 10, 6, 16, 8)


def clicks(seed: int, batch: int = 256, shuffled: bool = False, offsets: bool = True) -> Callable[[int], Any]:
    """Click logs over six categorical fields (8, 12, 10, 6, 16 and 8 values), one value a field, uniform: the click
    is ``sum_{i<j} R_ij <u_i, u_j> + sum_i b_i > 0`` for fixed 4-dimensional factors ``u`` of every value, fixed
    biases ``b`` (N(0, 0.5^2)) and fixed field-pair strengths ``R`` (half of the pairs 1, the rest 0.2), 5% of the
    clicks flipped: ``(global feature ids (b, 6), click (b,) float)``, each field's values offset by the sizes of the
    fields before it. ``shuffled``: the clicks permuted within every batch, apart from their rows; ``offsets``: the
    offsets left out (every field label-encoded from 0 on its own, so field 1's value 3 and field 2's value 3 are the
    same id)."""
    start = torch.tensor((0, *FIELDS[:-1])).cumsum(0) if offsets else torch.zeros(len(FIELDS), dtype=torch.long)
    fg = _fixed(2)
    u = [torch.randn(k, 4, generator=fg) for k in FIELDS]
    bias = [0.5 * torch.randn(k, generator=fg) for k in FIELDS]
    strength = torch.where(torch.rand(6, 6, generator=fg) < 0.5, 1.0, 0.2)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.stack([torch.randint(0, k, (batch,), generator=g) for k in FIELDS], 1)
        logit = sum(bias[i][x[:, i]] for i in range(6))
        for i in range(6):
            for j in range(i + 1, 6):
                logit = logit + strength[i, j] * (u[i][x[:, i]] * u[j][x[:, j]]).sum(-1)
        y = (logit > 0).float()
        y = torch.where(torch.rand(batch, generator=g) < 0.05, 1 - y, y)
        return x + start, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def seasonal(seed: int, batch: int = 64, lookback: int = 48, horizon: int = 24, channels: int = 3
             ) -> Callable[[int], Any]:
    """Three-channel series with a daily (24-step) and a half-daily cycle of fixed per-channel shapes, each window with
    its own level (N(0, 10^2)), scale (log-uniform in [0.5, 5]) and phase, plus noise 0.1 of the scale: ``(look-back
    (b, 48, 3), horizon (b, 24, 3))``."""
    fg = _fixed(3)
    a24, a12 = torch.rand(channels, generator=fg) + 0.5, torch.rand(channels, generator=fg)
    p24, p12 = 2 * math.pi * torch.rand(channels, generator=fg), 2 * math.pi * torch.rand(channels, generator=fg)
    t = torch.arange(lookback + horizon).float()[None, :, None]

    def make(g: torch.Generator, _: int) -> Any:
        level = 10 * torch.randn(batch, 1, channels, generator=g)
        scale = torch.exp(math.log(0.5) + math.log(10) * torch.rand(batch, 1, 1, generator=g))
        ph = 2 * math.pi * torch.rand(batch, 1, 1, generator=g)
        s = a24 * torch.sin(2 * math.pi * t / 24 + p24 + ph) + a12 * torch.sin(2 * math.pi * t / 12 + p12 + 2 * ph)
        s = level + scale * (s + 0.1 * torch.randn(s.shape, generator=g))
        return s[:, :lookback], s[:, lookback:]
    return _pool(seed, make)


def sensor_windows(seed: int, batch: int = 32, length: int = 24, eps: float = 1e-5) -> Callable[[int], Any]:
    """Windows of 24 steps of three sensors in normal operation: a 12-step oscillation with a random phase and
    amplitude (0.5 to 2), its lagged copy and a slower 16-step one, each at its own level, plus noise 0.05; in 4
    windows of every 32 the third sensor is stuck at one reading (a flat-lined channel). Each window and channel is
    standardised by the usual per-window ``(x - mean) / (std + eps)``: ``(window, window)`` (the model reconstructs
    it). ``eps``: 0 divides the stuck channel's zero deviations by its zero std (``0 / 0``)."""
    t = torch.arange(length).float()

    def make(g: torch.Generator, _: int) -> Any:
        ph = 2 * math.pi * torch.rand(batch, 1, generator=g)
        amp = 0.5 + 1.5 * torch.rand(batch, 1, generator=g)
        x = torch.stack([amp * torch.sin(2 * math.pi * t / 12 + ph), amp * torch.sin(2 * math.pi * (t - 3) / 12 + ph),
                         torch.sin(2 * math.pi * t / 16 + 2 * ph)], -1)
        x = x + torch.tensor([5.0, -3.0, 20.0]) + 0.05 * torch.randn(x.shape, generator=g)
        x[:4, :, 2] = 20.0
        x = (x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + eps)
        return x, x
    return _pool(seed, make)


def darcy(seed: int, batch: int = 16, n: int = 16) -> Callable[[int], Any]:
    """The 1-D Darcy problem ``-(a u')' = 1``, ``u(0) = u(1) = 0``, on 16 grid points: the coefficient ``a = exp(g)``
    with ``g = sum_k c_k sin(k pi x + phi_k)`` (k = 1..4, ``c_k ~ N(0, 0.5^2) / k``) and its solution ``u' = (C - x) /
    a`` integrated by the trapezoid rule, ``C`` set so that ``u(1) = 0``, times 10: ``(a (b, 16), u (b, 16))``."""
    x = torch.linspace(0, 1, n)
    k = torch.arange(1, 5).float()

    def cumtrapz(f: torch.Tensor) -> torch.Tensor:
        return F.pad(torch.cumsum((f[:, 1:] + f[:, :-1]) / 2 / (n - 1), 1), (1, 0))

    def make(gen: torch.Generator, _: int) -> Any:
        c = 0.5 * torch.randn(batch, 4, 1, generator=gen) / k[:, None]
        ph = 2 * math.pi * torch.rand(batch, 4, 1, generator=gen)
        a = torch.exp((c * torch.sin(math.pi * k[:, None] * x + ph)).sum(1))
        i1, ix = cumtrapz(1 / a), cumtrapz(x / a)
        u = (ix[:, -1:] / i1[:, -1:]) * i1 - ix
        return a, 10 * u
    return _pool(seed, make)


def glyphs(seed: int, batch: int = 64, pixels: int = 64, kinds: int = 16) -> Callable[[int], Any]:
    """Binary 8x8 glyphs: 16 fixed random templates (every pixel on with probability 1/2), one a sample, 2% of its
    pixels flipped: ``(images (b, 64), images)``."""
    templates = (torch.rand(kinds, pixels, generator=_fixed(5)) < 0.5).float()

    def make(g: torch.Generator, _: int) -> Any:
        x = templates[torch.randint(0, kinds, (batch,), generator=g)]
        x = torch.where(torch.rand(x.shape, generator=g) < 0.02, 1 - x, x)
        return x, x
    return _pool(seed, make)


def gp_curves(seed: int, batch: int = 16, points: int = 50, contexts: int = 10) -> Callable[[int], Any]:
    """The ANP paper's 1-D regression: curves from a Gaussian process with a squared-exponential kernel (length scale
    0.6, scale 1, noise variance 1e-4 on the diagonal) at 50 points uniform in [-2, 2]; the first 10 are the context
    and all 50 the targets: ``((x_c, y_c, x_t, y_t), y_t)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = 4 * torch.rand(batch, points, 1, generator=g) - 2
        cov = torch.exp(-0.5 * (x - x.transpose(1, 2)) ** 2 / 0.36) + 1e-4 * torch.eye(points)
        y = torch.linalg.cholesky(cov) @ torch.randn(batch, points, 1, generator=g)
        return (x[:, :contexts], y[:, :contexts], x, y), y
    return _pool(seed, make)


def table(seed: int, batch: int = 128, features: int = 12, classes: int = 4) -> Callable[[int], Any]:
    """Tabular rows of 12 numeric features N(0, 1), each multiplied by a fixed scale (log-uniform in [10, 10^4]) and
    shifted by a fixed offset (N(0, 1000^2)) as raw columns (amounts, counts, durations) are; the class is the argmax
    of a fixed random tanh teacher (12 - 16 - 4) of the unscaled features: ``(rows (b, 12), class (b,))``."""
    fg = _fixed(4)
    w1, w2 = torch.randn(features, 16, generator=fg), torch.randn(16, classes, generator=fg)
    scale = 100 * torch.exp(math.log(0.1) + math.log(1000) * torch.rand(features, generator=fg))
    offset = 1000 * torch.randn(features, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        z = torch.randn(batch, features, generator=g)
        y = (torch.tanh(z @ w1 / math.sqrt(features)) @ w2).argmax(1)
        return z * scale + offset, y
    return _pool(seed, make)


def _warmup(opt: torch.optim.Optimizer, warmup: int | None, floor_div: bool) -> Any:
    """A linear warm-up ``LambdaLR(lambda s: min(1.0, s / warmup))`` (None without ``warmup``); ``floor_div``: its
    factor written ``s // warmup``, integer floor division, which is 0 for every step before ``warmup``."""
    if warmup is None:
        return None
    n = warmup
    return torch.optim.lr_scheduler.LambdaLR(opt, (lambda s: min(1.0, s // n)) if floor_div else
                                             (lambda s: min(1.0, s / n)))


# ---- builders --------------------------------------------------------------------------------------------------------

def bernnet(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, relu_bias: float | None = None,
            layers: int = 1) -> Setup:
    """BernNet on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the reference
    code's lr 0.01 with weight decay 5e-4 on the MLP and its ``Bern_lr`` 0.01 without decay on the coefficients;
    ``relu_bias``, ``layers``: see :class:`~.fresh40_models.BernNet`."""
    torch.manual_seed(seed)
    lap, x, y, train = sbm_graph(seed)
    model = M.BernNet(lap, x.shape[1], 4, relu_bias=relu_bias, layers=layers)
    mlp = [p for n, p in model.named_parameters() if n != "temp"]
    opt = torch.optim.Adam([{"params": mlp, "weight_decay": weight_decay}, {"params": [model.temp],
                                                                           "weight_decay": 0.0}], lr=lr)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def fwfm(seed: int, lr: float = 1e-2, weight_decay: float = 0.0, shuffled: bool = False, offsets: bool = True,
         warmup: int | None = None, floor_div: bool = False) -> Setup:
    """FwFM on the click logs (batch 256), binary cross-entropy on the logits, Adam lr 1e-2 (set here; DeepCTR-Torch's
    embedding L2 of 1e-5 left out); ``weight_decay``: Adam's (coupled L2); ``shuffled``, ``offsets``: see
    :func:`clicks`; ``warmup``, ``floor_div``: see :func:`_warmup` (a warm-up over 250 steps, "5 epochs of 50
    batches", in the broken case and its control)."""
    torch.manual_seed(seed)
    model = M.FwFM(FIELDS)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, clicks(seed, shuffled=shuffled, offsets=offsets), F.binary_cross_entropy_with_logits,
               sched=_warmup(opt, warmup, floor_div))


def fits(seed: int, lr: float = 5e-3) -> Setup:
    """FITS on the seasonal series (batch 64, look-back 48, horizon 24, the cut at 8 of the 25 frequencies), MSE on
    the forecast, Adam lr 5e-3 (set here)."""
    torch.manual_seed(seed)
    model = M.FITS()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), seasonal(seed),
               lambda out, y: F.mse_loss(out[:, -y.shape[1]:], y))


def encdec_ad(seed: int, lr: float = 1e-3, recurrent_std: float | None = None, eps: float = 1e-5) -> Setup:
    """EncDec-AD on the standardised sensor windows (batch 32 of 24 steps), MSE of the reconstruction, Adam lr 1e-3
    (set here); ``recurrent_std``: see :class:`~.fresh40_models.EncDecAD`; ``eps``: see :func:`sensor_windows`."""
    torch.manual_seed(seed)
    model = M.EncDecAD(recurrent_std=recurrent_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), sensor_windows(seed, eps=eps), F.mse_loss)


def gkn(seed: int, lr: float = 1e-3) -> Setup:
    """The GKN on the Darcy problem (batch 16 of 16 points), MSE (in place of the reference code's relative L2), Adam
    lr 1e-3 with the reference code's weight decay 5e-4 (its lr 1e-4 and step schedule are for hundreds of epochs;
    the lr is set here)."""
    torch.manual_seed(seed)
    model = M2.GKN()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4), darcy(seed), F.mse_loss)


def iaf_vae(seed: int, lr: float = 2e-3, depth: int = 2, init_std: float | None = None, clip: float | None = None
            ) -> Setup:
    """The IAF VAE on the glyphs (batch 64), the mean negative ELBO in nats, Adamax at the paper's lr 0.002;
    ``depth``, ``init_std``: see :class:`~.fresh40_models2.IAFVAE`; ``clip``: a WGAN critic's weight clipping kept in
    a training loop adapted from a WGAN script (every parameter clamped to ``[-clip, clip]`` after each step; an
    optimizer step hook here)."""
    torch.manual_seed(seed)
    model = M2.IAFVAE(depth=depth, init_std=init_std)
    opt = torch.optim.Adamax(model.parameters(), lr=lr)
    if clip is not None:
        def clamp(*_: Any) -> None:
            with torch.no_grad():
                for p in model.parameters():
                    p.clamp_(-clip, clip)
        opt.register_step_post_hook(clamp)
    return _xy(model, opt, glyphs(seed), lambda nelbo, _: nelbo.mean())


def anp(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """The ANP on the GP curves (16 curves a batch, 10 contexts, 50 targets), the reference code's loss, Adam lr 1e-3
    (set here; the reference's 1e-4 is for 10^5 steps); ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.ANP()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, gp_curves(seed), M2.anp_loss)


def gandalf(seed: int, lr: float = 1e-3, bn: bool = True, logsigmoid_gates: bool = False) -> Setup:
    """GANDALF on the tabular rows (batch 128), cross-entropy, Adam at pytorch_tabular's default lr 1e-3 (no weight
    decay); ``bn``, ``logsigmoid_gates``: see :class:`~.fresh40_models2.GANDALF`."""
    torch.manual_seed(seed)
    model = M2.GANDALF(bn=bn, logsigmoid_gates=logsigmoid_gates)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), table(seed), F.cross_entropy)
