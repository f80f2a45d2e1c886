"""Builders of the sixtieth held-out batch (``fresh59.py``): standard models new to the corpus at their usual
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

from . import fresh59_models as M
from . import fresh59_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(590_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5900 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def tabular(seed: int, batch: int = 64, features: int = 16, classes: int = 4, impute: str = "zero"
            ) -> Callable[[int], Any]:
    """A tabular classification set: raw features in their own units (column means 50 to 500, deviations 5 to 50),
    the class the argmax of a fixed linear teacher on the standardised values; 20% of the first 8 columns' entries
    are missing (NaN). The user's pipeline standardises every column by the training split's mean and deviation
    (``nanmean``, ``nanstd``) and then imputes the missing entries: ``impute="zero"`` fills 0, the standardised
    mean; ``impute="raw_mean"`` fills each column's mean taken from the raw data frame (the imputer fitted before
    the scaler was added, and applied after it). ``(features (b, 16), class (b,))``."""
    fg = _fixed(1)
    mu, sd = 50 + 450 * torch.rand(features, generator=fg), 5 + 45 * torch.rand(features, generator=fg)
    teacher = torch.randn(features, classes, generator=fg)

    def draw(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.randn(n, features, generator=g)
        raw = mu + sd * z
        miss = torch.zeros(n, features, dtype=torch.bool)
        miss[:, :8] = torch.rand(n, 8, generator=g) < 0.2
        return raw.masked_fill(miss, float("nan")), (z @ teacher).argmax(1)

    train_raw = draw(_gen(seed + 1000), 2048)[0]
    ok = ~train_raw.isnan()
    m = torch.nansum(train_raw, 0) / ok.sum(0)
    s = torch.sqrt(torch.nansum((train_raw - m) ** 2, 0) / (ok.sum(0) - 1))

    def make(g: torch.Generator, _: int) -> Any:
        raw, y = draw(g, batch)
        x = (raw - m) / s
        fill = torch.zeros(features) if impute == "zero" else m
        return torch.where(x.isnan(), fill.expand_as(x), x), y
    return _pool(seed, make)


def ratings(seed: int, users: int = 64, items: int = 64, batch: int = 256) -> tuple[Callable[[int], Any], float]:
    """Ratings in [1, 5] of 64 users for 64 items: ``3 + 2 tanh(<p_u, q_i>)`` for fixed rank-3 factors ``N(0, 1)``
    plus N(0, 0.3^2) noise, clipped; batches of 256 (user, item) pairs. Returns the batches and the training mean
    rating (over 4,096 fresh pairs)."""
    fg = _fixed(2)
    p, q = torch.randn(users, 3, generator=fg), torch.randn(items, 3, generator=fg)

    def draw(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        pairs = torch.stack([torch.randint(0, users, (n,), generator=g), torch.randint(0, items, (n,), generator=g)], 1)
        r = 3 + 2 * torch.tanh((p[pairs[:, 0]] * q[pairs[:, 1]]).sum(1)) + 0.3 * torch.randn(n, generator=g)
        return pairs, r.clamp(1, 5)

    mean = float(draw(_gen(seed + 1000), 4096)[1].mean())
    return _pool(seed, lambda g, _: draw(g, batch)), mean


def clicks(seed: int, batch: int = 256, fields: int = 8, vocab: int = 16, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """CTR records of 8 categorical fields of 16 values each; a click when a fixed teacher FM's pairwise score
    (embeddings of 4, N(0, 1)) is above its median: ``(ids (b, 8), click (b,) in {0., 1.})``. ``shuffled``: the
    clicks permuted within every batch, apart from their records."""
    fg = _fixed(3)
    t = torch.randn(fields, vocab, 4, generator=fg)
    i, j = torch.triu_indices(fields, fields, 1)

    def score(x: torch.Tensor) -> torch.Tensor:
        e = t[torch.arange(fields), x]
        return (e[:, i] * e[:, j]).sum((1, 2))

    median = score(torch.randint(0, vocab, (4096, fields), generator=_fixed(4))).median()

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, fields), generator=g)
        y = (score(x) > median).float()
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def tab_regression(seed: int, batch: int = 128, features: int = 16) -> Callable[[int], Any]:
    """Standardised tabular features ``N(0, I)`` and a target ``sin(2 x.w1) + (x.w2)^2 - 1 + 0.5 x.w3`` for fixed
    unit directions, plus N(0, 0.1^2) noise: ``(features (b, 16), target (b,))``."""
    w = F.normalize(torch.randn(3, features, generator=_fixed(5)), dim=1)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        h = x @ w.T
        y = torch.sin(2 * h[:, 0]) + h[:, 1] ** 2 - 1 + 0.5 * h[:, 2]
        return x, y + 0.1 * torch.randn(batch, generator=g)
    return _pool(seed, make)


def counts(seed: int, batch: int = 32, channels: int = 4, lookback: int = 96, horizon: int = 24, log: bool = False
           ) -> Callable[[int], Any]:
    """Hourly count series of 4 sensors (levels 1,000 to 10,000 per window and sensor, a daily cycle of 30% of the level
    and a half-day one of 10% with random phases, N(0, (0.03 level)^2) noise); sensor 3 of every fourth window is
    flat-lined (a dead sensor repeating its last reading). ``(look-back (b, 96, 4), horizon (b, 24, 4))``. ``log``:
    the user's ``log1p`` applied to the look-back windows (the model's inputs) but not to the targets."""
    t = torch.arange(lookback + horizon).float()

    def make(g: torch.Generator, _: int) -> Any:
        level = 1000 + 9000 * torch.rand(batch, 1, channels, generator=g)
        ph = 2 * math.pi * torch.rand(2, batch, 1, channels, generator=g)
        w = 2 * math.pi * t[None, :, None]
        x = level * (1 + 0.3 * torch.sin(w / 24 + ph[0]) + 0.1 * torch.sin(w / 12 + ph[1])
                     + 0.03 * torch.randn(batch, len(t), channels, generator=g))
        x[::4, :, 3] = x[::4, :1, 3]
        inp, tgt = x[:, :lookback], x[:, lookback:]
        return (torch.log1p(inp) if log else inp), tgt
    return _pool(seed, make)


#: the wearable sensors' raw units: accelerometers in milli-g (gravity on z), gyroscopes in degrees per second
SENSOR_OFFSET = torch.tensor([0.0, 0.0, 1000.0, 0.0, 0.0, 0.0])
SENSOR_SCALE = torch.tensor([300.0, 300.0, 300.0, 60.0, 60.0, 60.0])


def gestures(seed: int, batch: int = 32, length: int = 32, classes: int = 5, scaling: str = "std"
             ) -> Callable[[int], Any]:
    """Windows of 32 steps of six wearable channels (three accelerometer axes in milli-g, three gyroscope axes in
    degrees per second): a fixed smooth 8-step gesture per class (amplitude about 2, all six channels) at a random
    onset in the first 8 steps, over N(0, 0.4^2) movement noise, in the channels' raw units. The user's pipeline
    scales each channel by the training split's statistics: ``scaling="std"``, ``(x - mean) / std``;
    ``scaling="var"``, ``(x - mean) / var`` (the variance where its square root belongs).
    ``(window (b, 32, 6), class (b,))``."""
    shapes = F.interpolate(torch.randn(classes, 6, 3, generator=_fixed(6)), size=8, mode="linear",
                           align_corners=True) * 2.0

    def draw(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, classes, (n,), generator=g)
        x = 0.4 * torch.randn(n, length, 6, generator=g)
        onset = torch.randint(0, 8, (n,), generator=g)
        for k in range(n):
            x[k, onset[k]:onset[k] + 8] += shapes[y[k]].T
        return SENSOR_OFFSET + SENSOR_SCALE * x, y

    ref = draw(_gen(seed + 1000), 512)[0].reshape(-1, 6)
    m, v = ref.mean(0), ref.var(0)

    def make(g: torch.Generator, _: int) -> Any:
        x, y = draw(g, batch)
        return (x - m) / (v.sqrt() if scaling == "std" else v), y
    return _pool(seed, make)


def utterances(seed: int, speakers: int = 8, per: int = 4, frames: int = 24, mels: int = 40, pool: int = 40
               ) -> Callable[[int], Any]:
    """Log-mel utterances of 24 frames x 40 bins: each of 40 fixed speakers has a smooth spectral envelope, each
    frame adds a smooth random "phone" pattern and N(0, 0.5^2) noise; a batch holds 8 of the speakers, 4 utterances
    each, listed speaker by speaker: ``(frames (32, 24, 40), speakers in the batch)``."""
    env = F.interpolate(torch.randn(pool, 1, 8, generator=_fixed(7)), size=mels, mode="linear",
                        align_corners=True)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        who = torch.randperm(pool, generator=g)[:speakers]
        phones = F.interpolate(torch.randn(speakers * per * frames, 1, 6, generator=g), size=mels, mode="linear",
                               align_corners=True).reshape(speakers, per, frames, mels)
        x = env[who][:, None, None] + phones + 0.5 * torch.randn(speakers, per, frames, mels, generator=g)
        return x.reshape(speakers * per, frames, mels), speakers
    return _pool(seed, make)


def locations(seed: int, batch: int = 128, classes: int = 8, degrees: bool = False) -> Callable[[int], Any]:
    """Observations at (longitude, latitude) uniform over a region of [-0.5, 0.5] x [0.3, 1.1] radians, labelled by
    the nearest of 8 fixed range centres (a species' range): ``(coordinates (b, 2), class (b,))``. ``degrees``: the
    coordinates handed over in degrees, as the data frame holds them, where the encoder's scales are in radians."""
    lo, hi = torch.tensor([-0.5, 0.3]), torch.tensor([0.5, 1.1])
    centres = lo + (hi - lo) * torch.rand(classes, 2, generator=_fixed(8))

    def make(g: torch.Generator, _: int) -> Any:
        x = lo + (hi - lo) * torch.rand(batch, 2, generator=g)
        y = torch.cdist(x, centres).argmin(1)
        return (torch.rad2deg(x) if degrees else x), y
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def sdt(seed: int, lr: float = 1e-2, impute: str = "zero", lamda: float = 1e-3) -> Setup:
    """The soft decision tree (depth 4) on the tabular classes (batch 64), cross-entropy plus its balanced-split
    penalty at the reference implementation's ``lamda`` 1e-3, Adam with its weight decay 5e-4 at lr 1e-2 (set here:
    its lr 1e-3 learns too slowly for 200 steps);
    ``impute``: see :func:`tabular`."""
    torch.manual_seed(590_000 + seed)
    model = M.SoftDecisionTree(lamda=lamda)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    batches = tabular(seed, impute=impute)
    return Setup(model, opt, None, batches(0), None,
                 lambda m, b: F.cross_entropy(m(b[0]), b[1]) + m.penalty(), batches)


def nnmf(seed: int, lr: float = 1e-2, weight_decay: float = 0.0) -> Setup:
    """NNMF on the ratings (batch 256 pairs), MSE, Adam at lr 1e-2 (set here, where the paper used RMSProp);
    ``weight_decay``: Adam's (coupled L2, the paper's penalty on the latent features extended to every weight)."""
    torch.manual_seed(590_000 + seed)
    batches, mean = ratings(seed)
    model = M.NNMF(64, 64, mean)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, batches, F.mse_loss)


def fmfm(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, shuffled: bool = False) -> Setup:
    """FmFM on the CTR records (batch 256), binary cross-entropy on the logit, Adam at lr 3e-3 (set here);
    ``weight_decay``: Adam's (coupled L2); ``shuffled``: see :func:`clicks`."""
    torch.manual_seed(590_000 + seed)
    model = M.FmFM()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, clicks(seed, shuffled=shuffled), F.binary_cross_entropy_with_logits)


def grownet(seed: int, lr: float = 1e-3, relu_bias: float | None = None) -> Setup:
    """GrowNet on the tabular regression (batch 128), MSE, Adam at lr 1e-3 (set here);
    ``relu_bias``: see :class:`~.fresh59_models.GrowNet`."""
    torch.manual_seed(590_000 + seed)
    model = M.GrowNet(relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), tab_regression(seed), F.mse_loss)


def rlinear(seed: int, lr: float = 5e-3, denorm: bool = True, eps: float = 1e-5, log: bool = False) -> Setup:
    """RLinear on the count series (batch 32, look-back 96, horizon 24), MSE, Adam at lr 5e-3 (set here);
    ``denorm``, ``eps``: see :class:`~.fresh59_models.RLinear`; ``log``: see :func:`counts`."""
    torch.manual_seed(590_000 + seed)
    model = M.RLinear(denorm=denorm, eps=eps)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), counts(seed, log=log), F.mse_loss)


def deepconvlstm(seed: int, lr: float = 1e-3, init_std: float | None = None, forget_bias: float | None = None,
                 scaling: str = "std") -> Setup:
    """DeepConvLSTM on the gesture windows (batch 32), cross-entropy, RMSProp at the paper's lr 1e-3 and decay 0.9;
    ``init_std``, ``forget_bias``: see :class:`~.fresh59_models2.DeepConvLSTM`; ``scaling``: see
    :func:`gestures`."""
    torch.manual_seed(590_000 + seed)
    model = M2.DeepConvLSTM(init_std=init_std, forget_bias=forget_bias)
    opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9)
    return _xy(model, opt, gestures(seed, scaling=scaling), F.cross_entropy)


def ge2e(seed: int, lr: float = 0.01, normalise: bool = True) -> Setup:
    """The GE2E d-vector LSTM on the utterances (8 speakers x 4), its softmax loss, SGD at the paper's lr 0.01 with
    the gradient norm clipped at 3 (the paper's); the paper's 0.01 gradient scale on ``w`` and ``b`` is left
    out."""
    torch.manual_seed(590_000 + seed)
    model = M2.GE2E()
    batches = utterances(seed)
    return Setup(model, torch.optim.SGD(model.parameters(), lr=lr), None, batches(0), None,
                 lambda m, b: M2.ge2e_softmax_loss(m, b[0], b[1], normalise), batches, clip=3.0)


def space2vec(seed: int, lr: float = 1e-3, layers: int = 2, degrees: bool = False, relu_bias: float | None = None
              ) -> Setup:
    """Space2Vec (``theory``) on the range observations (batch 128), cross-entropy, Adam at lr 1e-3 (set here);
    ``layers``: see :class:`~.fresh59_models2.Space2Vec`; ``degrees``: see :func:`locations`."""
    torch.manual_seed(590_000 + seed)
    model = M2.Space2Vec(layers=layers, relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), locations(seed, degrees=degrees),
               F.cross_entropy)
