"""Builders of the seventy-second held-out batch (``fresh71.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh71_models as M
from . import fresh71_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(710_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7100 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _custom(model: nn.Module, opt: Any, batches: Callable[[int], Any],
            compute_loss: Callable[[nn.Module, Any], torch.Tensor]) -> Setup:
    """A case whose loss needs more than ``loss_fn(model(x), y)`` (a penalty on the model's inner values)."""
    return Setup(model, opt, None, batches(0), None, compute_loss, batches, needs_closure=True)


# ---- data ------------------------------------------------------------------------------------------------------------

def seasonal(seed: int, batch: int = 32, length: int = 96, horizon: int = 24, flat: int = 0, shuffled: bool = False
             ) -> Callable[[int], Any]:
    """Univariate series of 120 steps: a level N(0, 2^2), a trend, three seasonal waves of periods 12, 24 and 48
    (random amplitudes and phases) and N(0, 0.1^2) noise; the first 96 steps are the window, the last 24 the target:
    ``(window (b, 96), target (b, 24))``. ``flat``: the last ``flat`` series of each batch a constant level (a stuck
    sensor); ``shuffled``: the targets permuted within every batch, apart from their windows."""
    t = torch.arange(length + horizon).float()
    periods = torch.tensor([12.0, 24.0, 48.0])

    def make(g: torch.Generator, _: int) -> Any:
        amp = torch.randn(batch, 3, 1, generator=g).abs() * torch.tensor([1.0, 0.6, 0.4])[:, None]
        ph = 2 * math.pi * torch.rand(batch, 3, 1, generator=g)
        x = (amp * torch.sin(2 * math.pi * t / periods[:, None] + ph)).sum(1)
        x = x + 2 * torch.randn(batch, 1, generator=g) + 0.01 * torch.randn(batch, 1, generator=g) * t
        x = x + 0.1 * torch.randn(x.shape, generator=g)
        if flat:
            x[batch - flat:] = x[batch - flat:, :1]
        y = x[:, length:]
        return x[:, :length], y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def wiener_hammerstein(seed: int, batch: int = 16, steps: int = 128) -> Callable[[int], Any]:
    """A Wiener-Hammerstein system excited by white N(0, 1) inputs: a second-order filter (poles 0.8 +- 0.3i), the
    static ``tanh(2 v)``, a first-order filter (pole 0.6), plus N(0, 0.02^2) output noise: ``(u (b, 128), y (b,
    128))``."""
    def make(g: torch.Generator, _: int) -> Any:
        u = torch.randn(batch, steps, generator=g)
        v, w, y = torch.zeros(batch, steps + 2), torch.zeros(batch, steps), torch.zeros(batch, steps + 1)
        for t in range(steps):
            v[:, t + 2] = 1.6 * v[:, t + 1] - 0.73 * v[:, t] + 0.3 * u[:, t]
        w = torch.tanh(2 * v[:, 2:])
        for t in range(steps):
            y[:, t + 1] = 0.6 * y[:, t] + 0.4 * w[:, t]
        return u, y[:, 1:] + 0.02 * torch.randn(batch, steps, generator=g)
    return _pool(seed, make)


def _rotation() -> tuple[torch.Tensor, torch.Tensor]:
    th = 0.2
    fm = 0.99 * torch.tensor([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    return fm, torch.tensor([[1.0, 0.0]])


def tracks(seed: int, batch: int = 32, steps: int = 16) -> Callable[[int], Any]:
    """A damped rotation in the plane, ``x_t = F x_{t-1} + w`` (``F`` a 0.2-rad rotation times 0.99, ``w ~ N(0,
    0.1^2 I)``, ``x_0 ~ N(0, I)``), observed through its first coordinate only, ``y_t = x_t[0] + v`` (``v ~ N(0,
    0.3^2)``): ``(observations (b, 16, 1), states (b, 16, 2))``."""
    fm, hm = _rotation()

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, 2, generator=g)
        xs, ys = [], []
        for _t in range(steps):
            x = x @ fm.T + 0.1 * torch.randn(batch, 2, generator=g)
            xs.append(x)
            ys.append(x @ hm.T + 0.3 * torch.randn(batch, 1, generator=g))
        return torch.stack(ys, 1), torch.stack(xs, 1)
    return _pool(seed, make)


def tabular(seed: int, batch: int = 128, features: int = 16, classes: int = 4, shuffled: bool = False
            ) -> Callable[[int], Any]:
    """Tabular rows of 16 standard-normal features labelled (4 classes) by a fixed random teacher ``argmax(tanh(x W1)
    W2)`` whose first features matter most (feature ``j``'s weights times ``0.85^j``: the columns come ranked by
    informativeness): ``(rows (b, 16), class (b,))``. ``shuffled``: the labels permuted within every batch, apart from
    their rows."""
    fg = _fixed(1)
    w1 = torch.randn(features, 32, generator=fg) * (0.85 ** torch.arange(features).float())[:, None]
    w2 = torch.randn(32, classes, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        y = (torch.tanh(x @ w1) @ w2).argmax(1)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def images(seed: int, batch: int = 16, size: int = 12, classes: int = 10) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x12x12 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(2)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def patchmixer(seed: int, lr: float = 1e-3, shuffled: bool = False) -> Setup:
    """PatchMixer on the seasonal series (batch 32, 96 -> 24), MSE, Adam at lr 1e-3 (set here; the reference code
    schedules 1e-3 to 1e-4); ``shuffled``: see :func:`seasonal`."""
    torch.manual_seed(710_000 + seed)
    model = M.PatchMixer()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), seasonal(seed, shuffled=shuffled), F.mse_loss)


def filternet(seed: int, lr: float = 1e-3, eps: float = 1e-5, flat: int = 0, hidden_layers: int = 0,
              denorm: bool = True) -> Setup:
    """FilterNet's PaiFilter on the seasonal series (batch 32, 96 -> 24), MSE, Adam at lr 1e-3 (set here);
    ``eps``, ``hidden_layers``, ``denorm``: see :class:`~.fresh71_models.PaiFilter`; ``flat``: see :func:`seasonal`."""
    torch.manual_seed(710_000 + seed)
    model = M.PaiFilter(eps=eps, hidden_layers=hidden_layers, denorm=denorm)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), seasonal(seed, flat=flat), F.mse_loss)


SPARSITY, BETA = 0.05, 0.1


def kl_sparsity(h: torch.Tensor, shifted: bool) -> torch.Tensor:
    """The sparse-autoencoder KL penalty ``sum_j KL(rho || rho_hat_j)`` on a layer's mean activations (rho 0.05),
    a formula for units in (0, 1). ``shifted``: ``rho_hat`` from the tanh units mapped to (0, 1), ``(1 + h) / 2``, as
    UFLDL prescribes for tanh; unshifted, a unit whose mean is negative gives the log of a negative number (NaN)."""
    r = ((1 + h) / 2 if shifted else h).reshape(-1, h.shape[-1]).mean(0)
    return (SPARSITY * torch.log(SPARSITY / r) + (1 - SPARSITY) * torch.log((1 - SPARSITY) / (1 - r))).sum()


def dynonet(seed: int, lr: float = 0.01, a_init: tuple[float, ...] | None = None, tanh_bias: float | None = None,
            sparsity: str | None = None) -> Setup:
    """dynoNet on the Wiener-Hammerstein records (batch 16 of 128 steps), MSE of the simulated output, Adam at lr 0.01
    (set here; the reference examples use 1e-3 to 1e-2 for up to 40,000 iterations). ``a_init``, ``tanh_bias``: see
    :class:`~.fresh71_models.DynoNet`. ``sparsity``: a KL sparsity penalty (weight 0.1) on the static layer's tanh
    units added to the loss, ``"tanh"`` on their raw values, ``"shifted"`` on ``(1 + h) / 2`` (see
    :func:`kl_sparsity`)."""
    torch.manual_seed(710_000 + seed)
    model = M.DynoNet(a_init=a_init, tanh_bias=tanh_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    if sparsity is None:
        return _xy(model, opt, wiener_hammerstein(seed), F.mse_loss)
    acts: list[torch.Tensor] = []
    model.f[1].register_forward_hook(lambda m, i, o: acts.append(o))

    def loss(m: nn.Module, batch: Any) -> torch.Tensor:
        acts.clear()
        out = F.mse_loss(m(batch[0]), batch[1])
        return out + BETA * kl_sparsity(acts[-1], sparsity == "shifted")
    return _custom(model, opt, wiener_hammerstein(seed), loss)


@dataclass
class DecayLoop(Setup):
    """A :class:`Setup` whose training step is the user's loop with a hand-written L2 weight decay (the decay taken
    out of the optimizer to be applied in the loop): after ``backward``, every parameter's gradient gets ``decay *
    p``, added (``p.grad += decay * p``) or, with ``assign``, assigned (``p.grad = decay * p``: the data gradient
    replaced by the decay term). With a guard, ``guard.step`` steps the optimizer, as in
    :meth:`Setup.train_step`."""

    decay: float = 1e-4
    assign: bool = False

    def train_step(self, step: int, guard: Any | None = None) -> float:
        batch = self.batches(step)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.compute_loss(self.model, batch)
        loss.backward()
        with torch.no_grad():
            for p in self.model.parameters():
                if self.assign:
                    p.grad = self.decay * p
                else:
                    p.grad += self.decay * p
        if guard is not None:
            self.last_report = guard.step(loss.detach(), closure=lambda m: self.compute_loss(m, batch))
        else:
            self.optimizer.step()
        return float(loss.detach())


def kalmannet(seed: int, lr: float = 1e-3, weight_decay: float = 1e-4, loop_decay: str | None = None) -> Setup:
    """KalmanNet on the rotation tracks (batch 32 of 16 steps), MSE of the state estimates, Adam at lr 1e-3 with
    weight decay 1e-4 (the reference code's kind of setting). ``loop_decay``: the decay 1e-4 moved out of Adam into
    the user's loop (:class:`DecayLoop`), ``"add"`` as ``p.grad += 1e-4 * p``, ``"assign"`` as ``p.grad = 1e-4 *
    p``."""
    torch.manual_seed(710_000 + seed)
    model = M.KalmanNet(*_rotation())
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=0.0 if loop_decay else weight_decay)
    data = tracks(seed)
    if loop_decay is None:
        return _xy(model, opt, data, F.mse_loss)
    return DecayLoop(model, opt, None, data(0), F.mse_loss, with_loss_fn(F.mse_loss), data, decay=weight_decay,
                     assign=loop_decay == "assign")


def excelformer(seed: int, lr: float = 1e-3, init_std: float | None = None, shuffled: bool = False) -> Setup:
    """ExcelFormer on the tabular rows (batch 128), cross-entropy, AdamW at lr 1e-3 with weight decay 0 (set here;
    the paper tunes both). ``init_std``: see :class:`~.fresh71_models.ExcelFormer`; ``shuffled``: see
    :func:`tabular`."""
    torch.manual_seed(710_000 + seed)
    model = M.ExcelFormer(init_std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    return _xy(model, opt, tabular(seed, shuffled=shuffled), F.cross_entropy)


def squeezenext(seed: int, lr: float = 0.1, bn: bool = True) -> Setup:
    """SqueezeNext on the class-template images (batch 16), cross-entropy, SGD lr 0.1, momentum 0.9, weight decay
    1e-4 (the CIFAR settings of its reference ports; the paper's ImageNet lr is 0.4 at batch 1024); ``bn``: see
    :class:`~.fresh71_models2.SqueezeNext`."""
    torch.manual_seed(710_000 + seed)
    model = M2.SqueezeNext(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed), F.cross_entropy)


def shiftnet(seed: int, lr: float = 0.1, bn: bool = True, zero_init: bool = False, depth_drop: str | None = None
             ) -> Setup:
    """ShiftResNet on the class-template images (batch 16), cross-entropy, SGD at the paper's CIFAR lr 0.1, momentum
    0.9, weight decay 5e-4. ``bn``, ``zero_init``: see :class:`~.fresh71_models2.ShiftResNet`. ``depth_drop``:
    stochastic depth added with the linear decay rule (Huang et al. 2016) at timm's common ``drop_path_rate=0.2``,
    survival ``p_l = 1 - l / L * 0.2`` for the blocks ``l = 1..6``; ``"rates"`` hands ``drop_path`` the drop rates
    ``1 - p_l``, ``"survival"`` the survival probabilities ``p_l`` themselves (97% down to 80% of the branches
    dropped, the kept ones scaled by 30x down to 5x)."""
    torch.manual_seed(710_000 + seed)
    drops = None
    if depth_drop is not None:
        survival = [1 - (i + 1) / 6 * 0.2 for i in range(6)]
        drops = survival if depth_drop == "survival" else [1 - p for p in survival]
    model = M2.ShiftResNet(bn=bn, zero_init=zero_init, drops=drops)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, images(seed), F.cross_entropy)


def lcnet(seed: int, lr: float = 0.1, weight_decay: float = 3e-5, bn: bool = True) -> Setup:
    """PP-LCNet on the class-template images (batch 16), cross-entropy, SGD lr 0.1 (the paper's 0.8 at batch 2048
    scaled down; no cosine schedule), momentum 0.9, the paper's weight decay 3e-5 (``weight_decay``: SGD's); ``bn``: see
    :class:`~.fresh71_models2.LCNet`."""
    torch.manual_seed(710_000 + seed)
    model = M2.LCNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)
