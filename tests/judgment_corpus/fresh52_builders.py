"""Builders of the fifty-third held-out batch (``fresh52.py``): standard models new to the corpus at their usual
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

from . import fresh52_models as M
from . import fresh52_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(520_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5200 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _closure(model: nn.Module, opt: Any, batches: Callable[[int], Any],
             loss: Callable[[nn.Module, Any], torch.Tensor]) -> Setup:
    return Setup(model, opt, None, batches(0), None, loss, batches, needs_closure=True)


def _own_loss(out: torch.Tensor, _: Any) -> torch.Tensor:
    return out


# ---- data ------------------------------------------------------------------------------------------------------------

def texts(seed: int, batch: int = 64, length: int = 24, vocab: int = 256, classes: int = 4, shuffled: bool = False,
          mask_rate: float = 0.0) -> Callable[[int], Any]:
    """Texts of 24 tokens: two keywords of the text's class (each class owns 8 of the ids 1..32) at random places
    among background words (ids 33..255); the label is the class: ``(tokens (b, 24), class (b,))``. ``shuffled``:
    the labels permuted within every batch, apart from their texts. ``mask_rate``: the token-masking augmentation,
    each token replaced by the mask id 0 with this probability."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = torch.randint(33, vocab, (batch, length), generator=g)
        pos = torch.rand(batch, length, generator=g).argsort(1)[:, :2]
        kw = 1 + y[:, None] * 8 + torch.randint(0, 8, (batch, 2), generator=g)
        x.scatter_(1, pos, kw)
        if mask_rate:
            x = x.masked_fill(torch.rand(batch, length, generator=g) < mask_rate, 0)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def histories(seed: int, batch: int = 64, items: int = 64, length: int = 8, clusters: int = 8
              ) -> Callable[[int], Any]:
    """Watch histories of 8 items: each user has a taste (one of 8 clusters of 8 items); six of the history's items
    and the next watch are drawn from the taste's cluster, two from all items: ``(history (b, 8), next item (b,))``."""
    size = items // clusters

    def make(g: torch.Generator, _: int) -> Any:
        taste = torch.randint(0, clusters, (batch, 1), generator=g)
        h = taste * size + torch.randint(0, size, (batch, length), generator=g)
        noise = torch.rand(batch, length, generator=g).argsort(1) < 2
        h = torch.where(noise, torch.randint(0, items, (batch, length), generator=g), h)
        return h, (taste[:, 0] * size + torch.randint(0, size, (batch,), generator=g))
    return _pool(seed, make)


def transitions(seed: int, batch: int = 64, users: int = 32, items: int = 64) -> Callable[[int], Any]:
    """Next-item events of 32 users over 64 items: the next item follows a fixed permutation of the last one with
    probability 0.5, else one of the user's four favourites with probability 0.6, else any item; one negative drawn
    uniformly (not the positive): ``((user, last item, (positive, negative)), None)``."""
    perm = torch.randperm(items, generator=_fixed(1))
    fav = torch.randint(0, items, (users, 4), generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        u = torch.randint(0, users, (batch,), generator=g)
        last = torch.randint(0, items, (batch,), generator=g)
        r = torch.rand(batch, generator=g)
        f = fav[u, torch.randint(0, 4, (batch,), generator=g)]
        nxt = torch.where(r < 0.5, perm[last], torch.where(r < 0.8, f, torch.randint(0, items, (batch,),
                                                                                      generator=g)))
        neg = (nxt + torch.randint(1, items, (batch,), generator=g)) % items
        return (u, last, torch.stack([nxt, neg], 1)), None
    return _pool(seed, make)


def conditional_images(seed: int, batch: int = 64, classes: int = 10) -> Callable[[int], Any]:
    """Binary 8x8 images of 10 classes: a fixed smooth template per class thresholded at 0 gives each pixel's
    probability of being on (0.92 or 0.08); ``((one-hot class, image (b, 64)), image)``."""
    t = F.interpolate(torch.randn(classes, 1, 3, 3, generator=_fixed(3)), size=(8, 8), mode="bilinear",
                      align_corners=False).flatten(1)
    p = torch.where(t > 0, 0.92, 0.08)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        img = (torch.rand(batch, 64, generator=g) < p[y]).float()
        return (F.one_hot(y, classes).float(), img), img
    return _pool(seed, make)


PERIODS = (8.0, 10.0, 12.0, 16.0, 8.0, 12.0, 16.0, 10.0)


def series(seed: int, batch: int = 32, lookback: int = 64, seq: int = 48, horizon: int = 16,
           random_crop: bool = False) -> Callable[[int], Any]:
    """Eight sensor series: channel ``c`` a sine of the fixed period ``PERIODS[c]`` (8 to 16 steps) with a random
    phase, amplitude (0.5 to 2) and level (N(0, 3^2)) per window, plus N(0, 0.1^2) noise; the eighth sensor is stuck
    (a constant reading, its level). The model reads the last ``seq`` (48) of a 64-step lookback and forecasts the
    next 16 steps: ``(inputs (b, 48, 8), targets (b, 16, 8))``. ``random_crop``: window slicing, the 48 input steps
    cropped at a random offset of the lookback (uniform over 0..16) per window, the targets left as they are (a slip
    measured and dropped before the freeze: see ``fresh52.py``)."""
    per = torch.tensor(PERIODS)
    t = torch.arange(lookback + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        c = len(PERIODS)
        ph = 2 * math.pi * torch.rand(batch, 1, c, generator=g)
        amp = 0.5 + 1.5 * torch.rand(batch, 1, c, generator=g)
        level = 3 * torch.randn(batch, 1, c, generator=g)
        x = level + amp * torch.sin(2 * math.pi * t[None, :, None] / per + ph)
        x = x + 0.1 * torch.randn(x.shape, generator=g)
        x[..., -1] = level[..., -1]
        past, future = x[:, :lookback], x[:, lookback:]
        if random_crop:
            off = torch.randint(0, lookback - seq + 1, (batch,), generator=g)
            idx = off[:, None] + torch.arange(seq)
            return torch.gather(past, 1, idx[..., None].expand(-1, -1, c)), future
        return past[:, -seq:], future
    return _pool(seed, make)


def counts(seed: int, batch: int = 64, length: int = 24, classes: int = 4, scaler: str = "log") -> Callable[[int], Any]:
    """Hourly event counts of two sources over 24 hours; the class is a +-1 code over the first six hours of the
    first source's log-rate (around log 3000), the rest noise (N(0, 0.3^2) on the log-rates); the counts are
    ``round(exp(log-rate))``. Preprocessing: ``log1p`` of the counts, standardised by a scaler fitted on a fixed
    reference sample of 512 series (the training split). ``scaler="raw"``: the scaler fitted on the raw counts (before
    the ``log1p`` step was added to the pipeline) and applied after it: ``(inputs (b, 24, 2), class (b,))``."""
    codes = torch.randint(0, 2, (classes, 6), generator=_fixed(4)).float() * 2 - 1

    def raw(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, classes, (n,), generator=g)
        lr = 8.0 + 0.3 * torch.randn(n, length, 2, generator=g)
        lr[:, :6, 0] += codes[y]
        return torch.exp(lr).round(), y

    ref, _ = raw(_fixed(5), 512)
    fit = ref if scaler == "raw" else torch.log1p(ref)
    mean, std = fit.mean((0, 1)), fit.std((0, 1))

    def make(g: torch.Generator, _: int) -> Any:
        x, y = raw(g, batch)
        return (torch.log1p(x) - mean) / std, y
    return _pool(seed, make)


def ecg(seed: int, batch: int = 16, length: int = 64, classes: int = 4, per_record: bool = False
        ) -> Callable[[int], Any]:
    """Single-lead records of 64 samples: a train of beats (a narrow spike and a wide wave every 32 samples, random
    phase), whose class is the voltage: the beats' amplitude (1 or 2 mV, +-10% per record) and the baseline (0 or 1
    mV), plus baseline wander and N(0, 0.2^2) noise: ``(records (b, 1, 64), class (b,))``. ``per_record``: each
    record z-normalised by its own mean and standard deviation (the UCR archive's habit) instead of by the training
    set's."""
    t = torch.arange(length).float()

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        amp = (1.0 + (y % 2).float()) * (0.9 + 0.2 * torch.rand(batch, generator=g))
        base = (y // 2).float()
        ph = torch.randint(0, 32, (batch, 1), generator=g).float()
        d = (t - ph) % 32
        beat = torch.exp(-((d - 8) ** 2) / 2.0) - 0.3 * torch.exp(-((d - 18) ** 2) / 18.0)
        wander = 0.2 * torch.sin(2 * math.pi * t / length + 2 * math.pi * torch.rand(batch, 1, generator=g))
        x = amp[:, None] * beat + base[:, None] + wander + 0.2 * torch.randn(batch, length, generator=g)
        if per_record:
            x = (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True)
        else:
            x = (x - 0.6) / 0.8
        return x[:, None], y
    return _pool(seed, make)


def collocation(seed: int, interior: int = 96, edge: int = 32) -> Callable[[int], Any]:
    """Collocation points of the Poisson problem ``-lap u = 2 pi^2 sin(pi x) sin(pi y)`` on the unit square with
    ``u = 0`` on its edges (solution ``sin(pi x) sin(pi y)``): 96 interior points and 32 edge points per batch."""
    def make(g: torch.Generator, _: int) -> Any:
        inner = torch.rand(interior, 2, generator=g)
        s = torch.rand(edge, generator=g)
        side = torch.randint(0, 4, (edge,), generator=g)
        x = torch.where(side < 2, side.float() % 2, s)
        y = torch.where(side < 2, s, side.float() % 2)
        return inner, torch.stack([x, y], 1)
    return _pool(seed, make)


def poisson_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """DGM's objective: the mean squared residual of ``-lap u - f`` at the interior points plus the mean squared
    boundary values."""
    inner, edge = batch
    x = inner.clone().requires_grad_(True)
    u = model(x)
    (du,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    lap = sum(torch.autograd.grad(du[:, i].sum(), x, create_graph=True)[0][:, i] for i in range(2))
    f = 2 * math.pi ** 2 * torch.sin(math.pi * x[:, 0]) * torch.sin(math.pi * x[:, 1])
    return (-lap - f).pow(2).mean() + model(edge).pow(2).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def fasttext(seed: int, lr: float = 0.1, shuffled: bool = False, mask_rate: float = 0.0) -> Setup:
    """fastText on the keyword texts (batch 64), softmax cross-entropy, SGD at the reference code's per-example lr
    0.1 times the batch of 64 (fastText steps once per example; the loss here is the batch's mean);
    ``shuffled``, ``mask_rate``: see :func:`texts`."""
    torch.manual_seed(seed)
    model = M.FastText()
    opt = torch.optim.SGD(model.parameters(), lr=lr * 64)
    return _xy(model, opt, texts(seed, shuffled=shuffled, mask_rate=mask_rate), F.cross_entropy)


def youtube_dnn(seed: int, lr: float = 3e-3, layers: int = 2, init_std: float | None = None,
                weight_decay: float = 0.0, relu_bias: float | None = None) -> Setup:
    """The YouTube DNN on the watch histories (batch 64), softmax cross-entropy over the 64 items, Adam lr 3e-3 (set
    here); ``layers``, ``init_std``: see :class:`~.fresh52_models.YouTubeDNN`; ``weight_decay``: Adam's (coupled L2);
    ``relu_bias``: every tower bias set to this value."""
    torch.manual_seed(seed)
    model = M.YouTubeDNN(layers=layers, init_std=init_std)
    if relu_bias is not None:
        for lin in model.tower:
            nn.init.constant_(lin.bias, relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, histories(seed), F.cross_entropy)


def fpmc(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """FPMC on the next-item events (batch 64), S-BPR with one sampled negative, Adam lr 1e-3 as RecBole's FPMC;
    ``weight_decay``: Adam's (coupled L2, the paper's regularisation of the four tables)."""
    torch.manual_seed(seed)
    model = M.FPMC()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, transitions(seed), M.s_bpr)


def cvae(seed: int, lr: float = 1e-3) -> Setup:
    """The CVAE on the class-conditional binary images (batch 64), the negative ELBO per pixel, Adam at lr 1e-3."""
    torch.manual_seed(seed)
    model = M.CVAE()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), conditional_images(seed), _own_loss)


def softs(seed: int, lr: float = 3e-4, eps: float = 1e-5, random_crop: bool = False, weight_decay: float = 0.0,
          denorm: bool = True) -> Setup:
    """SOFTS on the eight sensor series (batch 32, 48 steps in, 16 out), MSE, Adam at the reference scripts' lr 3e-4;
    ``eps``, ``denorm``: see :class:`~.fresh52_models2.SOFTS`; ``random_crop``: see :func:`series`; ``weight_decay``:
    Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.SOFTS(eps=eps, denorm=denorm)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, series(seed, random_crop=random_crop), F.mse_loss)


def cfc(seed: int, lr: float = 1e-3, scaler: str = "log", recurrent_std: float | None = None) -> Setup:
    """The CfC network on the count series (batch 64 of 24 hours), cross-entropy, Adam at lr 1e-3 (set here);
    ``scaler``: see :func:`counts`; ``recurrent_std``: see :class:`~.fresh52_models2.CfC`."""
    torch.manual_seed(seed)
    model = M2.CfC(recurrent_std=recurrent_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), counts(seed, scaler=scaler), F.cross_entropy)


def ecg_resnet(seed: int, lr: float = 1e-3, bn: bool = True, per_record: bool = False, blocks: int = 8,
               width: int = 8) -> Setup:
    """The ECG ResNet on the single-lead records (batch 32), cross-entropy, Adam at the paper's lr 1e-3 (betas 0.9,
    0.999); ``bn``: see :class:`~.fresh52_models2.ECGResNet`; ``per_record``: see :func:`ecg`."""
    torch.manual_seed(seed)
    model = M2.ECGResNet(bn=bn, blocks=blocks, width=width)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999))
    return _xy(model, opt, ecg(seed, per_record=per_record), F.cross_entropy)


def dgm(seed: int, lr: float = 1e-3, act: str = "tanh") -> Setup:
    """DGM on the Poisson problem (96 interior and 32 edge points a step), Adam at lr 1e-3 (set here: the paper
    decays its lr from 1e-4 over far more steps); ``act``: see :class:`~.fresh52_models2.DGM`."""
    torch.manual_seed(seed)
    model = M2.DGM(act=act)
    return _closure(model, torch.optim.Adam(model.parameters(), lr=lr), collocation(seed), poisson_loss)
