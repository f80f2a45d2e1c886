"""Builders of the fifty-fifth held-out batch (``fresh54.py``): standard models new to the corpus at their usual
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

from . import fresh54_models as M
from . import fresh54_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(540_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5400 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def shapelet_series(seed: int, batch: int = 16, length: int = 64, classes: int = 4, shuffled: bool = False
                    ) -> Callable[[int], Any]:
    """Univariate series of 64 steps: N(0, 0.8^2) noise with the class's fixed shapelet (8 steps, amplitude 1.5) added
    at a random place: ``(series (b, 1, 64), class (b,))``. ``shuffled``: the labels permuted within every batch,
    apart from their series."""
    shapes = 1.5 * torch.randn(classes, 8, generator=_fixed(1)).sign()

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.8 * torch.randn(batch, length, generator=g)
        at = torch.randint(0, length - 8, (batch,), generator=g)
        idx = at[:, None] + torch.arange(8)
        x.scatter_add_(1, idx, shapes[y])
        return x[:, None], y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


#: the speed readings' scaler: the mean and (rounded) standard deviation of :func:`traffic`'s readings
SPEED_SCALER = (60.0, 8.0)


def road_graph(nodes: int = 10) -> torch.Tensor:
    """A directed ring of ``nodes`` sensors (``i -> i + 1``) with three chords; the adjacency ``A[i, j] = 1`` for an
    edge ``i -> j``."""
    a = torch.zeros(nodes, nodes)
    a[torch.arange(nodes), (torch.arange(nodes) + 1) % nodes] = 1.0
    for i, j in ((0, 5), (3, 8), (7, 2)):
        a[i, j] = 1.0
    return a


def traffic(seed: int, batch: int = 8, nodes: int = 10, steps: int = 12) -> Callable[[int], Any]:
    """Sensor readings of a linear flow on :func:`road_graph`: ``h_{t+1} = 0.5 h_t + 0.4 P^T h_t + 0.5 sin(2 pi (t +
    phi) / 12 + node phase) + 0.1 noise`` (``P`` the row-normalised adjacency), after a burn-in of 12 steps; 12 steps
    in, the next 12 out: ``(history (b, nodes, 12), future (b, nodes, 12))``."""
    p = road_graph(nodes)
    p = p / p.sum(1, keepdim=True)
    node_ph = 2 * math.pi * torch.rand(nodes, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        h = torch.randn(batch, nodes, generator=g)
        phi = 12 * torch.rand(batch, 1, generator=g)
        seq = []
        for t in range(12 + 2 * steps):
            drive = 0.5 * torch.sin(2 * math.pi * (t + phi) / 12 + node_ph)
            h = 0.5 * h + 0.4 * h @ p + drive + 0.1 * torch.randn(batch, nodes, generator=g)
            seq.append(h)
        x = 60.0 + 16.0 * torch.stack(seq[12:], -1)
        return x[..., :steps], x[..., steps:]
    return _pool(seed, make)


def sbm(seed: int, n: int = 200, classes: int = 4, features: int = 16) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 50 nodes, edge probabilities 0.05 within a class and 0.005
    across), weak node features (the class's fixed mean times 0.4 plus N(0, 1) noise) and the labels; the first half
    of a fixed random order is the training set: ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    prob = torch.where(y[:, None] == y[None], 0.05, 0.005)
    a = (torch.rand(n, n, generator=g) < prob).float().triu(1)
    a = a + a.T
    means = torch.randn(classes, features, generator=_fixed(3))
    x = 0.4 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def _mel_bank(bins: int = 65, mels: int = 20) -> torch.Tensor:
    """Triangular filters evenly spaced on the mel scale over the bins of an 8 kHz STFT of 128 points."""
    hz = torch.linspace(0, 4000, bins)
    mel = 2595 * torch.log10(1 + hz / 700)
    edges = torch.linspace(0, float(mel[-1]), mels + 2)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return torch.clamp(torch.minimum((mel - lo) / (mid - lo), (hi - mel) / (hi - mid)), min=0.0)


WORDS = ((0, 1), (1, 0), (0, 2), (2, 1))
TONES = (500.0, 1200.0, 2200.0)


def keywords(seed: int, batch: int = 32, samples: int = 2048, floor: bool = True) -> Callable[[int], Any]:
    """Keyword clips at 8 kHz: each of the 4 "words" two tones in a fixed order (``WORDS`` over ``TONES``, 400
    samples each) at a random offset and amplitude, with N(0, 0.05^2) noise over the recorded 1,400 samples and the
    clip zero-padded to 2,048 (the dataset's fixed length); the features are the log-mel spectrogram (STFT of 128,
    hop 64, 20 mel bands) ``log(mel + 1e-6)``: ``(features (b, 20, 33), word (b,))``. ``floor=False``: ``log(mel)``
    without the floor (the zero-padded frames' power is exactly 0)."""
    bank = _mel_bank()
    t = torch.arange(400) / 8000.0

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, len(WORDS), (batch,), generator=g)
        wave = torch.zeros(batch, samples)
        wave[:, :1400] = 0.05 * torch.randn(batch, 1400, generator=g)
        start = torch.randint(0, 600, (batch,), generator=g)
        amp = 0.5 + 0.5 * torch.rand(batch, generator=g)
        for i in range(batch):
            a, b = WORDS[int(y[i])]
            word = torch.cat([torch.sin(2 * math.pi * TONES[a] * t), torch.sin(2 * math.pi * TONES[b] * t)])
            wave[i, start[i]:start[i] + 800] += amp[i] * word
        spec = torch.stft(wave, 128, 64, window=torch.hann_window(128), return_complex=True).abs() ** 2
        mel = bank @ spec
        return (torch.log(mel + 1e-6) if floor else torch.log(mel)), y
    return _pool(seed, make)


def mixtures(seed: int, batch: int = 4, samples: int = 256) -> Callable[[int], Any]:
    """Two-source mixtures of 256 samples: a harmonic tone (fundamental 0.02 to 0.06 cycles a sample, two harmonics,
    random phases, a slow envelope) and a burst of white noise (std 0.5) over a random 64 to 128 samples; ``(mixture
    (b, 256), sources (b, 2, 256))`` (the sources in a fixed order: the tone, the noise)."""
    n = torch.arange(samples).float()

    def make(g: torch.Generator, _: int) -> Any:
        f0 = 0.02 + 0.04 * torch.rand(batch, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 2, generator=g)
        env = 0.6 + 0.4 * torch.sin(2 * math.pi * n / samples + ph[:, :1])
        tone = env * (torch.sin(2 * math.pi * f0 * n + ph[:, :1]) + 0.5 * torch.sin(4 * math.pi * f0 * n + ph[:, 1:]))
        start = torch.randint(0, samples // 2, (batch, 1), generator=g)
        width = torch.randint(samples // 4, samples // 2 + 1, (batch, 1), generator=g)
        gate = ((n >= start) & (n < start + width)).float()
        noise = 0.5 * torch.randn(batch, samples, generator=g) * gate
        return tone + noise, torch.stack([tone, noise], 1)
    return _pool(seed, make)


def multiscale(seed: int, batch: int = 256) -> Callable[[int], Any]:
    """Points of ``f(x) = sin(2 pi x) + 0.5 sin(12 pi x) + 0.25 sin(40 pi x)`` on [-1, 1] (low and high frequencies
    at once): ``(x (b, 1), f(x) (b, 1))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = 2 * torch.rand(batch, 1, generator=g) - 1
        return x, torch.sin(2 * math.pi * x) + 0.5 * torch.sin(12 * math.pi * x) + 0.25 * torch.sin(40 * math.pi * x)
    return _pool(seed, make)


def landing(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """A quadrotor's residual aerodynamic force near the ground: states ``[z, v (3), n (4)]`` (height 0.05 to 1 m,
    velocity N(0, 0.5^2), normalised rotor speeds 0.5 to 1) and the force unmodelled by the nominal thrust, ``f_z =
    3 mean(n^2) (1 / (1 - (0.025 / z)^2) - 1) - 0.3 v_z |v|`` (the ground effect and drag) and ``f_xy = -0.5 v_xy
    |v|``, standardised by a scaler fitted on a fixed sample of 4,096 states: ``(state (b, 8), force (b, 3))``."""
    def raw(g: torch.Generator, batch: int) -> Any:
        z = 0.05 + 0.95 * torch.rand(batch, 1, generator=g)
        v = 0.5 * torch.randn(batch, 3, generator=g)
        rot = 0.5 + 0.5 * torch.rand(batch, 4, generator=g)
        speed = v.norm(dim=1, keepdim=True)
        fz = 3 * (rot ** 2).mean(1, keepdim=True) * (1 / (1 - (0.025 / z) ** 2) - 1) - 0.3 * v[:, 2:] * speed
        return torch.cat([z, v, rot], 1), torch.cat([-0.5 * v[:, :2] * speed, fz], 1)

    _, ref = raw(_fixed(4), 4096)
    mean, std = ref.mean(0), ref.std(0)

    def make(g: torch.Generator, _: int) -> Any:
        x, f = raw(g, batch)
        return x, (f - mean) / std
    return _pool(seed, make)


def demos(seed: int, batch: int = 32, steps: int = 16) -> Callable[[int], Any]:
    """Demonstrations of a point-mass reaching task: the goal (in [-1, 1]^2) is observed only at the first step (zeros
    after), the position at every step (noise 0.01; the velocity is not observed); the expert's action ``clip(1.5
    (goal - p) - v, -1, 1)``, ``v' = 0.8 v + 0.2 a``, ``p' = p + 0.2 v'`` from a position in [-0.3, 0.3]^2 at rest:
    ``(observations (b, 16, 4), actions (b, 16, 2))``."""
    def make(g: torch.Generator, _: int) -> Any:
        goal = 2 * torch.rand(batch, 2, generator=g) - 1
        p = 0.6 * torch.rand(batch, 2, generator=g) - 0.3
        v = torch.zeros(batch, 2)
        obs, act = [], []
        for t in range(steps):
            a = (1.5 * (goal - p) - v).clamp(-1, 1)
            shown = goal if t == 0 else torch.zeros_like(goal)
            obs.append(torch.cat([p + 0.01 * torch.randn(batch, 2, generator=g), shown], 1))
            act.append(a)
            v = 0.8 * v + 0.2 * a
            p = p + 0.2 * v
        return torch.stack(obs, 1), torch.stack(act, 1)
    return _pool(seed, make)


# ---- schedules -------------------------------------------------------------------------------------------------------

def _cosine(opt: torch.optim.Optimizer, eta_min: float | None, steps: int = 200) -> Any:
    """``CosineAnnealingLR`` over the run with that ``eta_min`` (None: no scheduler)."""
    return None if eta_min is None else torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=eta_min)


def _decay(opt: torch.optim.Optimizer, kind: str | None, rate: float = 0.99) -> Any:
    """A per-step exponential decay written ``lambda s: rate ** s``: ``"lambda"`` in a ``LambdaLR`` (the factor from
    the base lr: 0.13 of it at step 200), ``"multiplicative"`` in a ``MultiplicativeLR``, which multiplies the current
    lr by the lambda's value at every step, so that the factors compound to ``rate ** (s (s + 1) / 2)`` (1% of the base
    lr at step 30, 1e-6 at step 52); None: no scheduler."""
    if kind is None:
        return None
    cls = {"lambda": torch.optim.lr_scheduler.LambdaLR, "multiplicative": torch.optim.lr_scheduler.MultiplicativeLR}
    return cls[kind](opt, lambda s: rate ** s)


def _onecycle(opt: torch.optim.Optimizer, div_factor: float | None, steps: int = 200) -> Any:
    """``OneCycleLR`` over the run, ``max_lr`` the optimizer's lr, with that ``div_factor`` (the initial lr is ``max_lr
    / div_factor``); None: no scheduler."""
    if div_factor is None:
        return None
    return torch.optim.lr_scheduler.OneCycleLR(opt, opt.param_groups[0]["lr"], total_steps=steps,
                                               div_factor=div_factor)


class _Scaled(nn.Module):
    """The reference code's ``StandardScaler`` around a forecaster: inputs ``(x - mean) / std``, outputs ``out * std +
    mean`` (the loss is taken in the readings' units)."""

    def __init__(self, model: nn.Module, mean: float, std: float) -> None:
        super().__init__()
        self.model, self.mean, self.std = model, mean, std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model((x - self.mean) / self.std) * self.std + self.mean


# ---- builders --------------------------------------------------------------------------------------------------------

def os_cnn(seed: int, lr: float = 1e-3, shuffled: bool = False, bn: bool = True) -> Setup:
    """OS-CNN on the shapelet series (batch 16, the paper's), cross-entropy, Adam at the paper's lr 1e-3 (its plateau
    schedule left out); ``shuffled``: see :func:`shapelet_series`; ``bn``: see :class:`~.fresh54_models.OSCNN`."""
    torch.manual_seed(540_000 + seed)
    model = M.OSCNN(bn=bn)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), shapelet_series(seed, shuffled=shuffled),
               F.cross_entropy)


def graph_wavenet(seed: int, lr: float = 1e-3, init_std: float | None = None, decay: str | None = None) -> Setup:
    """Graph WaveNet on the sensor speeds (batch 8, 12 steps to 12) behind the reference code's scaler
    (``SPEED_SCALER``), MAE in the readings' units, Adam at the reference code's lr 1e-3 and weight decay 1e-4,
    gradients clipped to norm 5 as there; the supports are the forward and backward transition matrices of
    :func:`road_graph`; ``init_std``: see :class:`~.fresh54_models.GraphWaveNet`; ``decay``: see :func:`_decay`."""
    torch.manual_seed(540_000 + seed)
    a = road_graph()
    supports = [a / a.sum(1, keepdim=True), a.T / a.T.sum(1, keepdim=True)]
    model = _Scaled(M.GraphWaveNet(supports, a.shape[0], init_std=init_std), *SPEED_SCALER)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    return _xy(model, opt, traffic(seed), F.l1_loss, clip=5.0, sched=_decay(opt, decay))


def grand(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, cosine_min: float | None = None) -> Setup:
    """GRAND-l on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at lr 0.01 and
    weight decay 5e-4 (values of the kind the paper's search gives); ``weight_decay``: Adam's (coupled L2);
    ``cosine_min``: a ``CosineAnnealingLR`` over the 200 steps with that ``eta_min``."""
    torch.manual_seed(540_000 + seed)
    a, x, y, train = sbm(seed)
    model = M.GRAND(a, x.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]),
               sched=_cosine(opt, cosine_min))


def matchboxnet(seed: int, lr: float = 0.05, floor: bool = True) -> Setup:
    """MatchboxNet on the keyword clips' log-mel features (batch 32), cross-entropy, SGD with Nesterov momentum 0.9,
    lr 0.05 and weight decay 1e-3 (the paper's NovoGrad values for lr and decay; ``torch.optim`` has no NovoGrad; the
    warm-up-hold-decay schedule left out); ``floor``: see :func:`keywords`."""
    torch.manual_seed(540_000 + seed)
    model = M.MatchboxNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-3, nesterov=True)
    return _xy(model, opt, keywords(seed, floor=floor), F.cross_entropy)


def dprnn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """DPRNN on the two-source mixtures (batch 4 of 256 samples), MSE between the estimated and the true sources (the
    paper's SI-SNR with permutation search replaced: the sources come in a fixed order), Adam at the paper's lr 1e-3,
    gradients clipped to norm 5 as the paper; ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(540_000 + seed)
    model = M2.DPRNN()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, mixtures(seed), F.mse_loss, clip=5.0)


def mscalednn(seed: int, lr: float = 1e-3, layers: int = 3) -> Setup:
    """MscaleDNN fitting the multi-scale function (batch 256 points), MSE, Adam at lr 1e-3 (set here; the paper's
    2e-4 decays over far more steps); ``layers``: see :class:`~.fresh54_models2.MscaleDNN`."""
    torch.manual_seed(540_000 + seed)
    model = M2.MscaleDNN(layers=layers)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), multiscale(seed), F.mse_loss)


def neural_lander(seed: int, lr: float = 1e-3, relu_bias: float | None = None) -> Setup:
    """The Neural Lander's network on the landing states (batch 128), MSE, Adam at lr 1e-3 (set here);
    ``relu_bias``: see :class:`~.fresh54_models2.NeuralLander`."""
    torch.manual_seed(540_000 + seed)
    model = M2.NeuralLander(relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), landing(seed), F.mse_loss)


def bc_rnn(seed: int, lr: float = 1e-3, hh_std: float | None = None, onecycle: float | None = None,
           optimizer: str = "adam") -> Setup:
    """BC-RNN on the reaching demonstrations (batch 32 of 16 steps), MSE over every step's action, Adam at lr 1e-3
    (set here; robomimic's 1e-4 runs far more steps); ``hh_std``: see :class:`~.fresh54_models2.BCRNN`;
    ``onecycle``: a ``OneCycleLR`` with ``max_lr`` = ``lr`` and that ``div_factor`` (see :func:`_onecycle`);
    ``optimizer``: ``"adamw"``, ``AdamW(params, lr, weight_decay=1e-2)``, or ``"adamw_positional"``, the same call
    written ``AdamW(params, lr, (0.9, 0.999), 1e-2)``, the decay given in the fourth positional slot, which is
    ``eps`` (AdamW's signature is ``(params, lr, betas, eps, weight_decay)``; its own default decay 1e-2 stays)."""
    torch.manual_seed(540_000 + seed)
    model = M2.BCRNN(hh_std=hh_std)
    if optimizer == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr, weight_decay=1e-2)
    elif optimizer == "adamw_positional":
        opt = torch.optim.AdamW(model.parameters(), lr, (0.9, 0.999), 1e-2)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, demos(seed), F.mse_loss, sched=_onecycle(opt, onecycle))
