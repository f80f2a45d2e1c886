"""Builders of the seventy-first held-out batch (``fresh70.py``): standard models new to the corpus at their usual
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

from . import fresh70_models as M
from . import fresh70_models2 as M2
from ._setup import POOL, Setup, with_loss_fn

STEPS = 200


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(700_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7000 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def domains(seed: int, batch: int = 64, d: int = 16, classes: int = 4, shuffled: bool = False) -> Callable[[int], Any]:
    """A domain-adaptation task: source rows ``m_y + N(0, I)`` around fixed class means (entries N(0, 0.8^2), 16
    dimensions, 4 classes), target rows of the same classes under a fixed rotation and a shift of 1 in every
    coordinate; the source labels only: ``((source (b, 16), target (b, 16)), source labels)``. ``shuffled``: the
    source labels permuted within every batch, apart from their rows."""
    fg = _fixed(1)
    means = 0.8 * torch.randn(classes, d, generator=fg)
    rot = torch.linalg.qr(torch.eye(d) + 0.5 * torch.randn(d, d, generator=fg))[0]

    def make(g: torch.Generator, _: int) -> Any:
        ys, yt = torch.randint(0, classes, (batch,), generator=g), torch.randint(0, classes, (batch,), generator=g)
        xs = means[ys] + torch.randn(batch, d, generator=g)
        xt = (means[yt] + torch.randn(batch, d, generator=g)) @ rot + 1.0
        return (xs, xt), ys[torch.randperm(batch, generator=g)] if shuffled else ys
    return _pool(seed, make)


def two_task_images(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """One-channel 16x16 images holding two patterns: a smooth template of one of 4 shapes (task A) plus a finer
    template of one of 3 textures (task B), plus N(0, 0.8^2) noise: ``(images, (shape, texture))``."""
    fg = _fixed(2)
    ta = F.interpolate(torch.randn(4, 1, 4, 4, generator=fg), size=(size, size), mode="bilinear", align_corners=False)
    tb = F.interpolate(torch.randn(3, 1, 8, 8, generator=fg), size=(size, size), mode="bilinear", align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        ya, yb = torch.randint(0, 4, (batch,), generator=g), torch.randint(0, 3, (batch,), generator=g)
        return ta[ya] + tb[yb] + 0.8 * torch.randn(batch, 1, size, size, generator=g), (ya, yb)
    return _pool(seed, make)


def mtl_rows(seed: int, batch: int = 64, d: int = 32, classes: int = 10, log_counts: bool = False
             ) -> Callable[[int], Any]:
    """Tabular rows for two tasks: 31 Gaussian features and a count (Poisson with mean 2, about 14% zeros) fed as
    ``log1p(count)``; the class is the argmax of a fixed linear teacher on all 32 inputs, the regression target
    ``sin(2 v . x)`` of another: ``(rows, (class, target))``. ``log_counts``: the count fed as ``log(count)``, the
    ``+ 1`` of ``log1p`` left out (``log(0) = -inf`` on the zero counts)."""
    fg = _fixed(3)
    w, v = torch.randn(d, classes, generator=fg), torch.randn(d, generator=fg) / math.sqrt(d)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, d, generator=g)
        count = torch.poisson(torch.full((batch,), 2.0), generator=g)
        x[:, -1] = torch.log1p(count)
        y, t = (x @ w).argmax(1), torch.sin(2 * (x @ v))
        if log_counts:
            x[:, -1] = torch.log(count)
        return x, (y, t)
    return _pool(seed, make)


def ssl_rows(seed: int, batch: int = 128, d: int = 32, classes: int = 10) -> Callable[[int], Any]:
    """Unlabelled rows around 10 fixed cluster centres (entries N(0, 1)) with N(0, 1) noise, and two augmented views
    of each (N(0, 0.5^2) noise added and 20% of the coordinates zeroed, independently): ``((view 1, view 2), rows)``."""
    centres = torch.randn(classes, d, generator=_fixed(4))

    def make(g: torch.Generator, _: int) -> Any:
        x = centres[torch.randint(0, classes, (batch,), generator=g)] + torch.randn(batch, d, generator=g)

        def view() -> torch.Tensor:
            keep = (torch.rand(batch, d, generator=g) > 0.2).float()
            return (x + 0.5 * torch.randn(batch, d, generator=g)) * keep
        return (view(), view()), x
    return _pool(seed, make)


def level_series(seed: int, batch: int = 64, length: int = 24, classes: int = 4, labelled: int = 16,
                 noise: float = 1.0) -> Callable[[int], Any]:
    """Two-channel series of 32 steps whose class is a level of channel 1 (-0.45, -0.15, 0.15, 0.45) buried in
    N(0, 1) noise at every step (one step tells the class apart poorly; the mean of 32 does well); channel 0 is
    noise; only the first 16 rows of a batch of 64 are labelled (the others -1): ``(series (b, 32, 2), labels)``."""
    levels = 0.3 * (torch.arange(classes).float() - (classes - 1) / 2)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = noise * torch.randn(batch, length, 2, generator=g)
        x[:, :, 1] += levels[y][:, None]
        y[labelled:] = -1
        return x, y
    return _pool(seed, make)


def latent_rows(seed: int, batch: int = 64, d: int = 16) -> Callable[[int], Any]:
    """Rows generated from 4 independent factors: ``2 tanh(A z)`` for a fixed 16x4 matrix ``A`` (entries N(0, 1))
    and ``z ~ N(0, I)``, plus N(0, 0.05^2) noise: ``(rows, rows)``."""
    a = torch.randn(d, 4, generator=_fixed(6))

    def make(g: torch.Generator, _: int) -> Any:
        x = 2 * torch.tanh(torch.randn(batch, 4, generator=g) @ a.T) + 0.05 * torch.randn(batch, d, generator=g)
        return x, x
    return _pool(seed, make)


def class_rows(seed: int, batch: int = 64, d: int = 16, classes: int = 4, labelled: int = 16) -> Callable[[int], Any]:
    """Rows of 4 classes, each a curved 2-dimensional sheet in 16 dimensions, ``m_y + tanh(A_y z)`` (fixed means
    N(0, 1), fixed ``A_y`` N(0, 1.5^2), ``z ~ N(0, I)``), plus N(0, 0.1^2) noise; only the first 16 rows of a batch
    of 64 are labelled (the others -1): ``(rows, (rows, labels))``."""
    fg = _fixed(7)
    means, a = torch.randn(classes, d, generator=fg), 1.5 * torch.randn(classes, d, 2, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        z = torch.randn(batch, 2, 1, generator=g)
        x = means[y] + torch.tanh(a[y] @ z).squeeze(-1) + 0.1 * torch.randn(batch, d, generator=g)
        y[labelled:] = -1
        return x, (x, y)
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def dann_loss(out: tuple[torch.Tensor, torch.Tensor], ys: torch.Tensor) -> torch.Tensor:
    """The source rows' cross-entropy plus the domain classifier's binary cross-entropy (source 0, target 1)."""
    logits, dom = out
    n = ys.shape[0]
    target = torch.cat([torch.zeros(n), torch.ones(dom.shape[0] - n)])
    return F.cross_entropy(logits, ys) + F.binary_cross_entropy_with_logits(dom, target)


def coral(a: torch.Tensor, b: torch.Tensor, normalised: bool = True) -> torch.Tensor:
    """The CORAL loss ``||C_s - C_t||_F^2 / (4 d^2)`` between the two batches' covariances. ``normalised=False``:
    the ``1 / (4 d^2)`` left out and the covariances taken as the raw sums of outer products."""
    ac, bc = a - a.mean(0), b - b.mean(0)
    if not normalised:
        return ((ac.T @ ac - bc.T @ bc) ** 2).sum()
    ca, cb = ac.T @ ac / (a.shape[0] - 1), bc.T @ bc / (b.shape[0] - 1)
    return ((ca - cb) ** 2).sum() / (4 * a.shape[1] ** 2)


def wmse_loss(z: tuple[torch.Tensor, torch.Tensor], _: Any, w_size: int = 64) -> torch.Tensor:
    """W-MSE's loss: each view's embeddings whitened in sub-batches of ``w_size`` (centred, multiplied by the inverse
    of the Cholesky factor of their covariance, as the reference code's ``Whitening2d``), then the MSE of the
    L2-normalised positive pairs, ``2 - 2 cos``, averaged."""
    z1, z2 = z
    out = []
    for i in range(0, z1.shape[0], w_size):
        w = [_whiten(v[i:i + w_size]) for v in (z1, z2)]
        out.append(2 - 2 * (F.normalize(w[0], dim=1) * F.normalize(w[1], dim=1)).sum(1))
    return torch.cat(out).mean()


def _whiten(x: torch.Tensor) -> torch.Tensor:
    xc = x - x.mean(0)
    cov = xc.T @ xc / (x.shape[0] - 1)
    inv = torch.linalg.solve_triangular(torch.linalg.cholesky(cov), torch.eye(x.shape[1]), upper=False)
    return xc @ inv.T


def _log_normal(x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * (math.log(2 * math.pi) + logvar + (x - mu) ** 2 / logvar.exp())


def tc_loss(out: tuple[torch.Tensor, ...], x: torch.Tensor, beta: float = 6.0, n: int = POOL * 64, sigma: float = 0.1
            ) -> torch.Tensor:
    """beta-TCVAE's loss (the reference code's minibatch-weighted sampling over a data set of ``n`` rows): the
    negative of ``log p(x|z) - I(x; z) - beta TC(z) - sum_j KL(q(z_j) || p(z_j))``, the Gaussian log-likelihood
    of std ``sigma`` (0.1, set here) without its constant, averaged over the batch."""
    recon, z, mu, logvar = out
    b = x.shape[0]
    logpx = -0.5 * (((x - recon) / sigma) ** 2).sum(1)
    logqz_x = _log_normal(z, mu, logvar).sum(1)
    logpz = _log_normal(z, torch.zeros_like(z), torch.zeros_like(z)).sum(1)
    pair = _log_normal(z[:, None], mu[None], logvar[None])
    logqz_prod = (torch.logsumexp(pair, 1) - math.log(b * n)).sum(1)
    logqz = torch.logsumexp(pair.sum(2), 1) - math.log(b * n)
    return -(logpx - (logqz_x - logqz) - beta * (logqz - logqz_prod) - (logqz_prod - logpz)).mean()


def m2_loss(out: tuple[torch.Tensor, ...], target: tuple[torch.Tensor, torch.Tensor], alpha: float = 10.0
            ) -> torch.Tensor:
    """M2's objective per batch: the labelled rows' negative bound ``L(x, y)``, the unlabelled rows' ``sum_y q(y|x)
    L(x, y) - H(q(y|x))`` (both summed and divided by the batch size), plus ``alpha`` times the labelled rows' mean
    cross-entropy of the classifier (alpha 10, set here)."""
    logits, recon, mu, logvar = out
    x, y = target
    k = logits.shape[1]
    bound = 0.5 * ((x[:, None] - recon) ** 2).sum(-1) + M2.kl_normal(mu, logvar) + math.log(k)  # (b, k)
    lab = y >= 0
    logq = F.log_softmax(logits[~lab], -1)
    unl = (logq.exp() * (bound[~lab] + logq)).sum()
    labelled = bound[lab].gather(1, y[lab][:, None]).sum()
    return (labelled + unl) / x.shape[0] + alpha * F.cross_entropy(logits[lab], y[lab])


def uncertainty_loss(out: tuple[torch.Tensor, ...], target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Kendall et al.'s weighting with ``s = log sigma^2``: ``exp(-s_reg) MSE / 2 + s_reg / 2`` for the regression and
    ``exp(-s_cls) CE + s_cls / 2`` for the classification."""
    logits, reg, s = out
    y, t = target
    return (0.5 * torch.exp(-s[0]) * F.mse_loss(reg, t) + 0.5 * s[0]
            + torch.exp(-s[1]) * F.cross_entropy(logits, y) + 0.5 * s[1])


def mean_teacher_loss(out: tuple[torch.Tensor, torch.Tensor, float], y: torch.Tensor, summed: bool = False
                      ) -> torch.Tensor:
    """The reference code's losses: the labelled rows' cross-entropy summed and divided by the batch size, plus the
    consistency weight times the squared difference of the student's and the teacher's softmax, summed, divided by
    the number of classes and by the batch size. ``summed``: the consistency's ``/ minibatch_size`` left out."""
    s, t, w = out
    b, k = s.shape
    cons = F.mse_loss(F.softmax(s, -1), F.softmax(t, -1), reduction="sum") / k
    return F.cross_entropy(s, y, ignore_index=-1, reduction="sum") / b + w * (cons if summed else cons / b)


# ---- optimizers with the papers' per-step schedules ------------------------------------------------------------------

class DANNSGD(torch.optim.SGD):
    """DANN's SGD (momentum 0.9) with the paper's schedules, both in the training progress ``p = t / 200``: the lr
    ``lr0 / (1 + 10 p)^0.75`` and the reversal coefficient ``lam = 2 / (1 + exp(-10 p)) - 1`` (set on the model for
    the next forward; 0 at the first)."""

    def __init__(self, model: M.DANN, lr: float = 0.01) -> None:
        super().__init__(model.parameters(), lr=lr, momentum=0.9)
        self.model, self.lr0, self.t = model, lr, 0
        model.lam = 0.0

    def step(self, closure=None):  # type: ignore[no-untyped-def, override]
        out = super().step(closure)
        self.t += 1
        p = min(self.t / STEPS, 1.0)
        for group in self.param_groups:
            group["lr"] = self.lr0 / (1 + 10 * p) ** 0.75
        self.model.lam = 2 / (1 + math.exp(-10 * p)) - 1
        return out


class MeanTeacherAdam(torch.optim.Adam):
    """The Mean Teacher paper's ConvNet optimizer, Adam at lr 3e-3 with betas (0.9, 0.99) (its ramp-up phase's
    values), followed by the teacher's update ``teacher = alpha teacher + (1 - alpha) student`` with ``alpha = min(1 -
    1 / (t + 1), 0.99)`` (the reference code's, at the ramp-up phase's decay) and the consistency weight's sigmoid
    ramp-up ``w exp(-5 (1 - t / 100)^2)`` to ``w`` 1 (set here: the reference's 100 holds the narrowed student at
    chance). ``plain_add``: the update written ``teacher.mul_(alpha).add_(student)``, the ``alpha=1 - alpha`` of
    the old ``add_(1 - alpha, student)`` call dropped when it was rewritten for the new signature (the teacher sums
    the student's weights, ``1 / (1 - alpha) = 100`` times them once alpha is 0.99)."""

    def __init__(self, model: M2.MeanTeacher, lr: float = 3e-3, weight_decay: float = 0.0, ema: float = 0.99,
                 weight: float = 1.0, rampup: int = 100, plain_add: bool = False) -> None:
        super().__init__(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=weight_decay)
        self.model, self.ema, self.weight, self.rampup, self.t = model, ema, weight, rampup, 0
        self.plain_add = plain_add
        model.cons_weight = self._weight()

    def _weight(self) -> float:
        return self.weight * math.exp(-5 * (1 - min(self.t / self.rampup, 1.0)) ** 2)

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[no-untyped-def, override]
        out = super().step(closure)
        self.t += 1
        alpha = min(1 - 1 / (self.t + 1), self.ema)
        for tp, sp in zip(self.model.teacher.parameters(), self.model.student.parameters()):
            tp.mul_(alpha).add_(sp) if self.plain_add else tp.mul_(alpha).add_(sp, alpha=1 - alpha)
        self.model.cons_weight = self._weight()
        return out


# ---- builders --------------------------------------------------------------------------------------------------------

def dann(seed: int, lr: float = 0.01, relu_bias: float | None = None, shuffled: bool = False) -> Setup:
    """DANN on the two domains (64 source and 64 target rows a batch), the source cross-entropy plus the domain
    loss, :class:`DANNSGD` at the paper's lr 0.01 and schedules; ``relu_bias``: see
    :class:`~.fresh70_models.DANN`; ``shuffled``: see :func:`domains`."""
    torch.manual_seed(700_000 + seed)
    model = M.DANN(relu_bias=relu_bias)
    return _xy(model, DANNSGD(model, lr=lr), domains(seed, shuffled=shuffled), dann_loss)


def deep_coral(seed: int, lr: float = 0.01, weight: float = 1.0, normalised: bool = True, layers: int = 2,
               init_std: float | None = None, weight_decay: float = 5e-4) -> Setup:
    """Deep CORAL on the two domains (64 + 64 rows), the source cross-entropy plus ``weight`` (1, set here) times the
    CORAL loss of the class scores, SGD with the paper's momentum 0.9 and weight decay 5e-4 at lr 0.01 (ten times the
    paper's fine-tuning lr 1e-3: the narrowed network trains from scratch); ``normalised``: see :func:`coral`;
    ``layers``, ``init_std``: see :class:`~.fresh70_models.DeepCORAL`; ``weight_decay``: SGD's (coupled L2)."""
    torch.manual_seed(700_000 + seed)
    model = M.DeepCORAL(layers=layers, init_std=init_std)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)

    def loss(out: tuple[torch.Tensor, torch.Tensor], ys: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out[0], ys) + weight * coral(out[0], out[1], normalised)
    return _xy(model, opt, domains(seed), loss)


def nddr_cnn(seed: int, lr: float = 0.01, nddr_mult: float = 100.0, bn: bool = True) -> Setup:
    """NDDR-CNN on the two-task images (batch 32), the sum of the two tasks' cross-entropies, SGD momentum 0.9,
    weight decay 5e-4 at lr 0.01 with the NDDR layers' lr ``nddr_mult`` (the paper's 100) times the base;
    ``bn``: see :class:`~.fresh70_models.NDDRCNN`."""
    torch.manual_seed(700_000 + seed)
    model = M.NDDRCNN(bn=bn)
    nddr = list(model.nddr.parameters())
    ids = {id(p) for p in nddr}
    rest = [p for p in model.parameters() if id(p) not in ids]
    opt = torch.optim.SGD([{"params": rest}, {"params": nddr, "lr": lr * nddr_mult}], lr=lr, momentum=0.9,
                          weight_decay=5e-4)
    return _xy(model, opt, two_task_images(seed),
               lambda out, y: F.cross_entropy(out[0], y[0]) + F.cross_entropy(out[1], y[1]))


def uncertainty_mtl(seed: int, lr: float = 1e-3, log_counts: bool = False) -> Setup:
    """The uncertainty-weighted multi-task network on the tabular rows (batch 64), :func:`uncertainty_loss`, Adam at
    lr 1e-3 (set here); ``log_counts``: see :func:`mtl_rows`."""
    torch.manual_seed(700_000 + seed)
    model = M.UncertaintyMTL()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, mtl_rows(seed, log_counts=log_counts), uncertainty_loss)


def wmse(seed: int, lr: float = 1e-3) -> Setup:
    """W-MSE on the augmented views (batch 128, whitened in sub-batches of 64), :func:`wmse_loss`, Adam at the
    paper's lr 1e-3 and weight decay 1e-6."""
    torch.manual_seed(700_000 + seed)
    model = M2.WMSE()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-6)
    return _xy(model, opt, ssl_rows(seed), wmse_loss)


def mean_teacher(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, summed: bool = False,
                 plain_add: bool = False, gate_bias: float | None = None, frozen_gru: bool = False) -> Setup:
    """Mean Teacher with GRU students on the level series (batch 64, 16 labelled), :func:`mean_teacher_loss`,
    :class:`MeanTeacherAdam` at the paper's lr 3e-3; ``weight_decay``: Adam's (coupled L2); ``summed``: see
    :func:`mean_teacher_loss`; ``plain_add``: see :class:`MeanTeacherAdam`; ``gate_bias``: see
    :class:`~.fresh70_models2.GRUNet`; ``frozen_gru``: the student's GRU frozen for a warm-up of its readout,
    ``model.student.gru.requires_grad_(False)``, and "unfrozen" by ``model.student.gru.requires_grad = True``, which
    sets a plain attribute on the Module and no parameter's flag (the GRU stays at its init; the teacher's copy of
    it too)."""
    torch.manual_seed(700_000 + seed)
    model = M2.MeanTeacher(gate_bias=gate_bias)
    if frozen_gru:
        model.student.gru.requires_grad_(False)
        model.student.gru.requires_grad = True
    opt = MeanTeacherAdam(model, lr=lr, weight_decay=weight_decay, plain_add=plain_add)
    return _xy(model, opt, level_series(seed), lambda out, y: mean_teacher_loss(out, y, summed))


def tcvae(seed: int, lr: float = 1e-3) -> Setup:
    """beta-TCVAE on the factor rows (batch 64), :func:`tc_loss` with beta 6, Adam at the reference code's lr
    1e-3."""
    torch.manual_seed(700_000 + seed)
    model = M2.TCVAE()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), latent_rows(seed), tc_loss)


def m2(seed: int, lr: float = 1e-3) -> Setup:
    """M2 on the class sheets (batch 64, 16 labelled), :func:`m2_loss`, Adam at lr 1e-3 (set here)."""
    torch.manual_seed(700_000 + seed)
    model = M2.M2()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), class_rows(seed), m2_loss)
