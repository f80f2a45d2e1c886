"""Builders of the ninety-third held-out batch (``fresh92.py``): generative, self-supervised, time-series forecasting
and scientific-ML models new to the corpus at their usual settings, broken variants with one real fault each, and the
small data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and
never tuned on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(920_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9200 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _normal_(model: nn.Module, std: float) -> None:
    """Every Linear and Embedding weight drawn N(0, std^2)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)


# ---- the users' own training steps -----------------------------------------------------------------------------------

@dataclass
class AscentLoop(Setup):
    """A :class:`Setup` whose training step is the SA-PINN user's own min-max step: one backward of the weighted loss,
    then the gradients of the optimizer's parameter group ``ascent_group`` negated by hand (``p.grad.neg_()``), so
    that Adam descends on the network (group 0) and ascends on the self-adaptive weights (group 1), then the step.
    With a guard, ``guard.step`` steps the optimizer, as in :meth:`Setup.train_step`."""

    ascent_group: int = 1

    def train_step(self, step: int, guard: Any | None = None) -> float:
        batch = self.batches(step)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.compute_loss(self.model, batch)
        loss.backward()
        for p in self.optimizer.param_groups[self.ascent_group]["params"]:
            if p.grad is not None:
                p.grad.neg_()
        if guard is not None:
            self.last_report = guard.step(loss.detach(), closure=lambda m: self.compute_loss(m, batch))
        else:
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return float(loss.detach())


@dataclass
class AccumulationLoop(Setup):
    """A :class:`Setup` whose training step is the user's own gradient accumulation: the batch run as ``micro``
    micro-batches, each mean loss's ``backward`` adding into ``.grad``, then every gradient averaged by hand,
    ``p.grad /= count``. Healthy: ``count`` is the number of micro-batches. ``by_samples``: ``count = len(x)``, the
    batch's samples, where each micro-batch's loss is already a mean over its samples. The logged loss is the mean of
    the micro-batch losses; with a guard, ``guard.step`` steps the optimizer, as in :meth:`Setup.train_step`."""

    micro: int = 2
    by_samples: bool = False

    def train_step(self, step: int, guard: Any | None = None) -> float:
        batch = self.batches(step)
        self.optimizer.zero_grad(set_to_none=True)
        x, y = batch
        logged = 0.0
        for part in zip(x.chunk(self.micro), y.chunk(self.micro), strict=True):
            loss = self.compute_loss(self.model, part)
            loss.backward()
            logged += float(loss.detach()) / self.micro
        count = len(x) if self.by_samples else self.micro
        for p in self.model.parameters():
            if p.grad is not None:
                p.grad /= count
        if guard is not None:
            self.last_report = guard.step(torch.tensor(logged), closure=lambda m: self.compute_loss(m, batch))
        else:
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return logged


# ---- data ------------------------------------------------------------------------------------------------------------

def exemplars(seed: int, batch: int = 64, classes: int = 32, size: int = 16, shuffled: bool = False
              ) -> Callable[[int], Any]:
    """Exemplar-CNN's surrogate classes: 32 fixed smooth 3x16x16 "seed patches" (one class each), every sample a
    random transformation of one (a translation of up to 2 pixels, a horizontal flip with probability 0.5, a
    brightness factor in [0.6, 1.4], N(0, 0.3^2) noise): ``(images, exemplar index)``; ``shuffled``: the indices
    permuted within every batch, apart from their images."""
    seeds = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                          align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        shifts = torch.randint(-2, 3, (batch, 2), generator=g)
        flips = torch.rand(batch, generator=g) < 0.5
        bright = 0.6 + 0.8 * torch.rand(batch, 1, 1, 1, generator=g)
        x = torch.stack([torch.roll(seeds[int(y[i])], (int(shifts[i, 0]), int(shifts[i, 1])), (1, 2))
                         for i in range(batch)])
        x = torch.where(flips[:, None, None, None], x.flip(3), x) * bright
        x = x + 0.3 * torch.randn(x.shape, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


_PERIODS = (8.0, 12.0, 16.0, 24.0)
_SECOND = (5.0, 7.0, 9.0, 11.0)


def forecasting(seed: int, window: int = 48, horizon: int = 12, batch: int = 32) -> Callable[[int], Any]:
    """Four periodic variables (periods 8, 12, 16 and 24 steps, with a second harmonic of period 5, 7, 9 or 11 at half
    the amplitude), random phases and amplitudes in [0.5, 1.5] per window, N(0, 0.1^2) noise: ``(past (b, window, 4),
    future (b, horizon, 4))``."""
    p1, p2 = torch.tensor(_PERIODS), torch.tensor(_SECOND)
    t = torch.arange(window + horizon).float()[None, :, None]

    def make(g: torch.Generator, _: int) -> Any:
        a = 0.5 + torch.rand(batch, 1, 4, generator=g)
        ph1 = 2 * math.pi * torch.rand(batch, 1, 4, generator=g)
        ph2 = 2 * math.pi * torch.rand(batch, 1, 4, generator=g)
        x = a * (torch.sin(2 * math.pi * t / p1 + ph1) + 0.5 * torch.sin(2 * math.pi * t / p2 + ph2))
        x = x + 0.1 * torch.randn(x.shape, generator=g)
        return x[:, :window], x[:, window:]
    return _pool(seed, make)


def demand(seed: int, batch: int = 32, length: int = 32, dims: int = 4, steps: int = 50) -> Callable[[int], Any]:
    """TimeGrad's data: four-variable positive series of 32 steps, each variable at its own level in [5, 50] times a
    seasonal factor ``1 + 0.5 sin(2 pi t / 8 + phase)`` times ``1 + 0.05 N(0, 1)``; one variable in eight (at random)
    is all zero, a product without sales, as retail panels hold. The diffusion's draws come with the batch: a step
    ``n`` in 1..50 per series and time and its noise: ``((series (b, 32, 4), n (b, 32), noise (b, 32, 4)), noise)``."""
    t = torch.arange(length).float()[None, :, None]

    def make(g: torch.Generator, _: int) -> Any:
        level = 5 + 45 * torch.rand(batch, 1, dims, generator=g)
        phase = 2 * math.pi * torch.rand(batch, 1, dims, generator=g)
        x = level * (1 + 0.5 * torch.sin(2 * math.pi * t / 8 + phase))
        x = x * (1 + 0.05 * torch.randn(x.shape, generator=g))
        x = x * (torch.rand(batch, 1, dims, generator=g) >= 0.125)
        n = torch.randint(0, steps, (batch, length), generator=g)
        eps = torch.randn(batch, length, dims, generator=g)
        return (x, n, eps), eps
    return _pool(seed, make)


# ---- SA-PINN ---------------------------------------------------------------------------------------------------------

def _tanh_mlp(width: int, hidden: int, default_init: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    sizes = [1] + [width] * hidden
    for a, b in itertools.pairwise(sizes):
        layers += [nn.Linear(a, b), nn.Tanh()]
    layers.append(nn.Linear(width, 1))
    net = nn.Sequential(*layers)
    if not default_init:
        for m in net:
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)
    return net


def _poisson_u(x: torch.Tensor) -> torch.Tensor:
    return torch.sin(2 * math.pi * x) + 0.3 * torch.sin(5 * math.pi * x)


def _poisson_f(x: torch.Tensor) -> torch.Tensor:
    """``f = u''`` of :func:`_poisson_u`."""
    return -4 * math.pi ** 2 * torch.sin(2 * math.pi * x) - 0.3 * 25 * math.pi ** 2 * torch.sin(5 * math.pi * x)


class SAPINN(nn.Module):
    """The self-adaptive PINN (McClenny and Braga-Neto 2023) for ``u'' = f`` on ``[-1, 1]`` with ``u(+-1) = 0``: a
    tanh MLP and one self-adaptive weight per collocation point and per boundary point, entering the loss through the
    mask ``g(lambda) = lambda^2``, all starting at 1."""

    def __init__(self, points: int, width: int = 32, hidden: int = 3, default_init: bool = False) -> None:
        super().__init__()
        self.net = _tanh_mlp(width, hidden, default_init)
        self.lam_r = nn.Parameter(torch.ones(points))
        self.lam_b = nn.Parameter(torch.ones(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _sa_pinn_loss(model: SAPINN, batch: Any) -> torch.Tensor:
    x, _ = batch
    x = x.clone().requires_grad_(True)
    u = model(x)
    du = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)[0]
    d2u = torch.autograd.grad(du, x, torch.ones_like(du), create_graph=True)[0]
    r = (d2u - _poisson_f(x)).squeeze(1)
    ub = model(torch.tensor([[-1.0], [1.0]])).squeeze(1)
    return (model.lam_r ** 2 * r ** 2).mean() + (model.lam_b ** 2 * ub ** 2).mean()


def sa_pinn(seed: int, lr: float = 5e-3, hidden: int = 3, default_init: bool = False, ascent_group: int = 1
            ) -> Setup:
    """SA-PINN on the 1-D Poisson problem, 128 collocation points drawn uniformly from the seed, Adam at lr 5e-3 for
    the network (group 0) and the self-adaptive weights (group 1), the weights' gradients negated by hand so that they
    ascend (:class:`AscentLoop`); ``hidden``: the number of hidden tanh layers (3, 32 wide); ``default_init``:
    PyTorch's default Linear init instead of the paper's Xavier-normal; ``ascent_group``: the group whose gradients the
    loop negates."""
    torch.manual_seed(920_000 + seed)
    x = 2 * torch.rand(128, 1, generator=_gen(seed)) - 1
    model = SAPINN(128, hidden=hidden, default_init=default_init)
    opt = torch.optim.Adam([{"params": model.net.parameters()}, {"params": [model.lam_r, model.lam_b]}], lr=lr)
    batch = (x, torch.zeros(()))
    return AscentLoop(model, opt, None, batch, None, _sa_pinn_loss, lambda step: batch, needs_closure=True,
                      ascent_group=ascent_group)


# ---- VPINN -----------------------------------------------------------------------------------------------------------

class VPINN(nn.Module):
    """The variational PINN (Kharazmi, Zhang and Karniadakis 2019) for ``-u'' = f`` on ``[-1, 1]``, ``u(+-1) = 0``:
    a tanh MLP (4 hidden layers of 20, Xavier-normal) and the weak residuals ``R_k = int u' v_k' - int f v_k`` against
    the test functions ``v_k = P_(k+1) - P_(k-1)`` (Legendre, zero at both ends), ``k = 1..K``, by Gauss-Legendre
    quadrature on ``Q`` points."""

    def __init__(self, tests: int = 10, quad: int = 80, width: int = 20, hidden: int = 4,
                 create_graph: bool = True) -> None:
        super().__init__()
        self.net = _tanh_mlp(width, hidden)
        self.create_graph = create_graph
        xq, wq = np.polynomial.legendre.leggauss(quad)
        v, dv = [], []
        for k in range(1, tests + 1):
            ck = np.zeros(k + 2)
            ck[k + 1], ck[k - 1] = 1.0, -1.0
            v.append(np.polynomial.legendre.legval(xq, ck))
            dv.append(np.polynomial.legendre.legval(xq, np.polynomial.legendre.legder(ck)))
        self.register_buffer("xq", torch.tensor(xq, dtype=torch.float32)[:, None])
        self.register_buffer("wq", torch.tensor(wq, dtype=torch.float32))
        self.register_buffer("v", torch.tensor(np.array(v), dtype=torch.float32))
        self.register_buffer("dv", torch.tensor(np.array(dv), dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def residuals(self) -> torch.Tensor:
        x = self.xq.clone().requires_grad_(True)
        u = self.net(x)
        du = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=self.create_graph)[0].squeeze(1)
        f = -_poisson_f(self.xq).squeeze(1)
        return self.dv @ (self.wq * du) - self.v @ (self.wq * f)


def _vpinn_loss(model: VPINN, batch: Any) -> torch.Tensor:
    ub = model(torch.tensor([[-1.0], [1.0]])).squeeze(1)
    return (model.residuals() ** 2).mean() + 10.0 * (ub ** 2).mean()


def vpinn(seed: int, lr: float = 5e-3, create_graph: bool = True) -> Setup:
    """VPINN on the 1-D Poisson problem (10 test functions, 80 quadrature points, the boundary term at weight 10), Adam
    at lr 5e-3 (set here); ``create_graph``: False leaves it out of the ``autograd.grad`` call that gives ``u'``."""
    torch.manual_seed(920_000 + seed)
    model = VPINN(create_graph=create_graph)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    batch = (model.xq, torch.zeros(()))
    return Setup(model, opt, None, batch, None, _vpinn_loss, lambda step: batch, needs_closure=True)


# ---- Exemplar-CNN ----------------------------------------------------------------------------------------------------

class ExemplarCNN(nn.Module):
    """Exemplar-CNN (Dosovitskiy et al. 2014, narrowed: the paper's small ``64c5-64c5-128f`` network, each
    convolution followed by ReLU and 2x2 max pooling, dropout 0.5 before the 32-way surrogate-class layer);
    ``relu_bias``: every bias before a ReLU set to that value; ``init_std``: every weight drawn N(0, init_std^2)
    instead of PyTorch's default."""

    def __init__(self, classes: int = 32, relu_bias: float | None = None, init_std: float | None = None) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 32, 5, padding=2)
        self.c2 = nn.Conv2d(32, 32, 5, padding=2)
        self.fc = nn.Linear(32 * 4 * 4, 128)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(128, classes)
        if init_std is not None:
            for m in (self.c1, self.c2, self.fc, self.out):
                nn.init.normal_(m.weight, 0.0, init_std)
        if relu_bias is not None:
            for m in (self.c1, self.c2, self.fc):
                nn.init.constant_(m.bias, relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.max_pool2d(F.relu(self.c1(x)), 2)
        h = F.max_pool2d(F.relu(self.c2(h)), 2)
        return self.out(self.drop(F.relu(self.fc(h.flatten(1)))))


def exemplar_cnn(seed: int, lr: float = 0.01, shuffled: bool = False, relu_bias: float | None = None,
                 by_samples: bool = False, init_std: float | None = None, weight_decay: float = 0.0) -> Setup:
    """Exemplar-CNN on the surrogate classes (batch 64 run as two micro-batches of 32 whose gradients are accumulated
    and averaged by hand, :class:`AccumulationLoop`), cross-entropy, SGD at the paper's lr 0.01 with momentum 0.9;
    ``shuffled``: see :func:`exemplars`; ``relu_bias``, ``init_std``: see :class:`ExemplarCNN`; ``weight_decay``:
    SGD's; ``by_samples``: see :class:`AccumulationLoop`."""
    torch.manual_seed(920_000 + seed)
    model = ExemplarCNN(relu_bias=relu_bias, init_std=init_std)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    batches = exemplars(seed, shuffled=shuffled)
    return AccumulationLoop(model, opt, None, batches(0), F.cross_entropy, with_loss_fn(F.cross_entropy), batches,
                            needs_closure=True, micro=2, by_samples=by_samples)


# ---- DeepTCN ---------------------------------------------------------------------------------------------------------

class _CausalBlock(nn.Module):
    def __init__(self, cin: int, cout: int, dilation: int) -> None:
        super().__init__()
        wn = nn.utils.parametrizations.weight_norm
        self.pad = 2 * dilation
        self.c1 = wn(nn.Conv1d(cin, cout, 3, dilation=dilation))
        self.c2 = wn(nn.Conv1d(cout, cout, 3, dilation=dilation))
        self.skip = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.c1(F.pad(x, (self.pad, 0))))
        h = F.leaky_relu(self.c2(F.pad(h, (self.pad, 0))))
        return h + self.skip(x)


class DeepTCN(nn.Module):
    """DeepTCN (Chen et al. 2019, narrowed: the encoder a stack of three residual blocks of two dilated causal
    convolutions (32 channels, kernel 3, dilations 1, 2, 4, weight normalisation, LeakyReLU) over the window of four
    variables, its last step's 32 features through the paper's residual decoder (a dense ReLU layer of 64 and a
    residual projection) to the 8-step horizon, the point-forecast (squared error) variant of its loss)."""

    def __init__(self, variables: int = 4, channels: int = 32, horizon: int = 8) -> None:
        super().__init__()
        self.blocks = nn.Sequential(_CausalBlock(variables, channels, 1), _CausalBlock(channels, channels, 2),
                                    _CausalBlock(channels, channels, 4))
        self.dense = nn.Linear(channels, 64)
        self.res = nn.Linear(channels, horizon * variables)
        self.out = nn.Linear(64, horizon * variables)
        self.horizon, self.variables = horizon, variables

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(x.transpose(1, 2))[:, :, -1]
        y = self.res(h) + self.out(F.relu(self.dense(h)))
        return y.view(-1, self.horizon, self.variables)


def deeptcn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """DeepTCN forecasting 8 steps of the four variables from 32 (batch 32), MSE, Adam at lr 1e-3 (the reference
    code's); ``weight_decay``: Adam's (coupled) weight decay."""
    torch.manual_seed(920_000 + seed)
    model = DeepTCN()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, forecasting(seed, window=32, horizon=8), F.mse_loss)


# ---- TPA-LSTM --------------------------------------------------------------------------------------------------------

class TPALSTM(nn.Module):
    """TPA-LSTM (Shih, Sun and Lee 2019, narrowed: one LSTM layer of 32 over the window, temporal pattern attention
    with 16 CNN filters spanning the window's earlier hidden states, a sigmoid attention score ``H^C_i W_a h_t``, the
    context ``v_t`` and ``h'_t = W_h h_t + W_v v_t``, a Linear to the next step of the four variables);
    ``input_gate_bias``: the LSTM's input-gate biases (``bias_ih``) set to that value, ``bias_hh``'s to 0."""

    def __init__(self, variables: int = 4, hidden: int = 32, window: int = 24, filters: int = 16,
                 input_gate_bias: float | None = None) -> None:
        super().__init__()
        self.lstm = nn.LSTM(variables, hidden, batch_first=True)
        self.filters = nn.Parameter(torch.randn(filters, window - 1) / math.sqrt(window - 1))
        self.wa = nn.Linear(hidden, filters, bias=False)
        self.wh = nn.Linear(hidden, hidden)
        self.wv = nn.Linear(filters, hidden, bias=False)
        self.out = nn.Linear(hidden, variables)
        if input_gate_bias is not None:
            with torch.no_grad():
                self.lstm.bias_ih_l0[:hidden].fill_(input_gate_bias)
                self.lstm.bias_hh_l0[:hidden].zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(x)
        ht, past = h[:, -1], h[:, :-1]
        hc = torch.einsum("btm,kt->bmk", past, self.filters)
        alpha = torch.sigmoid((hc * self.wa(ht)[:, None]).sum(2))
        v = (alpha[..., None] * hc).sum(1)
        return self.out(self.wh(ht) + self.wv(v))[:, None]


def tpa_lstm(seed: int, lr: float = 1e-3, input_gate_bias: float | None = None, weight_decay: float = 0.0) -> Setup:
    """TPA-LSTM forecasting the next step of the four variables from a window of 24 (batch 32), MSE, Adam at the
    paper's lr 1e-3; ``input_gate_bias``: see :class:`TPALSTM`; ``weight_decay``: Adam's (coupled) weight decay."""
    torch.manual_seed(920_000 + seed)
    model = TPALSTM(input_gate_bias=input_gate_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, forecasting(seed, window=24, horizon=1), F.mse_loss)


# ---- Pyraformer ------------------------------------------------------------------------------------------------------

def _pyramid_mask(window: int, c: int, levels: int, a: int = 3) -> torch.Tensor:
    """The pyramidal attention mask (True: not attended): each node sees its ``a`` neighbours at its own scale, its
    parent and its ``c`` children."""
    sizes = [window // c ** s for s in range(levels)]
    starts = [sum(sizes[:s]) for s in range(levels)]
    n = sum(sizes)
    allowed = torch.zeros(n, n, dtype=torch.bool)
    for s in range(levels):
        for i in range(sizes[s]):
            q = starts[s] + i
            for j in range(max(0, i - a // 2), min(sizes[s], i + a // 2 + 1)):
                allowed[q, starts[s] + j] = True
            if s + 1 < levels and i // c < sizes[s + 1]:
                allowed[q, starts[s + 1] + i // c] = True
            if s > 0:
                for j in range(c * i, min(sizes[s - 1], c * i + c)):
                    allowed[q, starts[s - 1] + j] = True
    return ~allowed


class Pyraformer(nn.Module):
    """Pyraformer (Liu et al. 2022, narrowed: a Linear embedding of the four variables to 32 plus a learned position
    table, the coarser-scale construction module (a bottleneck to 16, three strided convolutions of stride 2, each
    with BatchNorm and ELU, back up to 32, LayerNorm), scales of 48, 24, 12 and 6 nodes, two post-LN encoder layers of 4
    heads under the pyramidal mask (3 neighbours, the parent, the children), feed-forward 64, dropout 0.1; the last
    node of every scale concatenated into a Linear to the 12-step horizon)."""

    def __init__(self, variables: int = 4, window: int = 32, horizon: int = 8, d: int = 32, c: int = 2,
                 levels: int = 4) -> None:
        super().__init__()
        self.embed = nn.Linear(variables, d)
        self.pos = nn.Parameter(torch.randn(1, window, d) * 0.02)
        self.down = nn.Linear(d, d // 2)
        self.convs = nn.ModuleList([nn.Sequential(nn.Conv1d(d // 2, d // 2, c, stride=c), nn.BatchNorm1d(d // 2),
                                                  nn.ELU()) for _ in range(levels - 1)])
        self.up = nn.Linear(d // 2, d)
        self.norm = nn.LayerNorm(d)
        layer = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.register_buffer("mask", _pyramid_mask(window, c, levels))
        sizes = [window // c ** s for s in range(levels)]
        self.register_buffer("last", torch.tensor([sum(sizes[:s + 1]) - 1 for s in range(levels)]))
        self.head = nn.Linear(levels * d, horizon * variables)
        self.horizon, self.variables = horizon, variables

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x) + self.pos
        z = self.down(h).transpose(1, 2)
        scales = [h]
        for conv in self.convs:
            z = conv(z)
            scales.append(self.up(z.transpose(1, 2)))
        h = self.norm(torch.cat(scales, 1))
        h = self.encoder(h, mask=self.mask)
        return self.head(h[:, self.last].flatten(1)).view(-1, self.horizon, self.variables)


def pyraformer(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False) -> Setup:
    """Pyraformer forecasting 12 steps of the four variables from 48 (batch 32), MSE, Adam at lr 1e-3 (set here: the
    paper's 1e-4 is for its longer schedules); ``adamw``, ``weight_decay``: AdamW with that decay instead."""
    torch.manual_seed(920_000 + seed)
    model = Pyraformer()
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, forecasting(seed, window=32, horizon=8, batch=16), F.mse_loss)


# ---- TimeGrad --------------------------------------------------------------------------------------------------------

class TimeGrad(nn.Module):
    """TimeGrad (Rasul et al. 2021, narrowed: a GRU of 32 over the scaled previous values conditions a denoiser, an
    MLP of two SiLU layers of 64 on ``(x_n, step embedding, h_(t-1))`` where the paper has a small DiffWave-style
    network; 50 diffusion steps with betas linear from 1e-4 to 0.1, the paper's end point; the epsilon loss at every
    time step after the first). Each series is divided by DeepAR's scale ``1 + mean(x)`` over its first 24 steps;
    ``scale``: ``"plus_one"`` (that), ``"mean"`` (``mean(x)``, the ``1 +`` left out) or ``"none"`` (raw units)."""

    def __init__(self, dims: int = 4, hidden: int = 32, steps: int = 50, scale: str = "plus_one") -> None:
        super().__init__()
        self.gru = nn.GRU(dims, hidden, batch_first=True)
        self.step_embed = nn.Embedding(steps, 16)
        self.den = nn.Sequential(nn.Linear(dims + 16 + hidden, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(),
                                 nn.Linear(64, dims))
        betas = torch.linspace(1e-4, 0.1, steps)
        self.register_buffer("abar", torch.cumprod(1 - betas, 0))
        self.scale = scale

    def forward(self, inputs: Any) -> torch.Tensor:
        x, n, eps = inputs
        if self.scale == "plus_one":
            x = x / (1 + x[:, :24].mean(1, keepdim=True))
        elif self.scale == "mean":
            x = x / x[:, :24].mean(1, keepdim=True)
        h, _ = self.gru(x[:, :-1])
        x0, n, eps = x[:, 1:], n[:, 1:], eps[:, 1:]
        ab = self.abar[n][..., None]
        xn = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        return self.den(torch.cat([xn, self.step_embed(n), h], -1))


def _eps_loss(out: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(out, eps[:, 1:])


def timegrad(seed: int, lr: float = 1e-3, scale: str = "plus_one") -> Setup:
    """TimeGrad on :func:`demand` (batch 32 of 32 steps), the epsilon MSE, Adam at the paper's lr 1e-3; ``scale``: see
    :class:`TimeGrad`."""
    torch.manual_seed(920_000 + seed)
    model = TimeGrad(scale=scale)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, demand(seed), _eps_loss)


# ---- denoising autoencoder -----------------------------------------------------------------------------------------

def patterns(seed: int, batch: int = 64, size: int = 12, classes: int = 10, drop: float = 0.25) -> Callable[[int], Any]:
    """Smooth 1x12x12 class patterns (a fixed 4x4 random field per class, upsampled) plus N(0, 0.1^2) noise, flattened
    to 144 values; the corruption comes with the batch (masking noise: a fraction ``drop`` of the inputs set to 0):
    ``(corrupted (b, 144), clean (b, 144))``."""
    templates = F.interpolate(torch.randn(classes, 1, 4, 4, generator=_fixed(5)), size=(size, size), mode="bilinear",
                              align_corners=False).flatten(1)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.1 * torch.randn(batch, size * size, generator=g)
        keep = torch.rand(x.shape, generator=g) >= drop
        return x * keep, x
    return _pool(seed, make)


class DenoisingAE(nn.Module):
    """The denoising autoencoder of Vincent et al. 2008 (one hidden layer of 256 sigmoid units, the decoder tied to the
    encoder's transpose with its own bias, an affine output for real-valued inputs and the squared error, as the 2010
    paper's real-valued setting)."""

    def __init__(self, n: int = 144, hidden: int = 256) -> None:
        super().__init__()
        self.enc = nn.Linear(n, hidden)
        self.dec_bias = nn.Parameter(torch.zeros(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(torch.sigmoid(self.enc(x)), self.enc.weight.t(), self.dec_bias)


def _half_sq(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((out - target) ** 2).sum(1).mean()


def denoising_ae(seed: int, lr: float = 1e-3) -> Setup:
    """The denoising autoencoder on :func:`patterns` (masking noise 25%, batch 64), half the squared error summed over
    the pixels, Adam at lr 1e-3 (set here, where the paper runs plain SGD for far longer)."""
    torch.manual_seed(920_000 + seed)
    model = DenoisingAE()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), patterns(seed), _half_sq)
