"""Builders of the thirtieth held-out batch (``fresh29.py``): standard models new to the corpus at their usual
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

from . import fresh29_models as M
from . import fresh29_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(290_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(2900 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _smooth(g: torch.Generator, n: int, c: int, coarse: int, size: int) -> torch.Tensor:
    return F.interpolate(torch.randn(n, c, coarse, coarse, generator=g), size=(size, size), mode="bilinear",
                         align_corners=False)


def _u(g: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=g))


# ---- data ------------------------------------------------------------------------------------------------------------

def lm(seed: int, batch: int = 16, length: int = 33) -> Callable[[int], Any]:
    """The corpus' sparse Markov language (64 tokens): ``(inputs (b, 32), next tokens)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def sessions(seed: int, batch: int = 64, length: int = 10, shuffle_targets: bool = False) -> Callable[[int], Any]:
    """Anonymous sessions of 10 items from the Markov chain over 64 items and their next item: ``(session, next)``;
    ``shuffle_targets``: the next items permuted against the sessions."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        y = x[:, -1]
        if shuffle_targets:
            y = y[torch.randperm(batch, generator=g)]
        return x[:, :-1], y
    return _pool(seed, make)


def histories(seed: int, batch: int = 64, items: int = 200) -> Callable[[int], Any]:
    """Users' click histories over 200 items: each user of one of 8 tastes, a fixed set of 15 items each; 12 clicks
    from the taste's items and 2 uniform ones, as a multi-hot row (the model reconstructs its own input)."""
    gt = _fixed(1)
    tastes = torch.stack([torch.randperm(items, generator=gt)[:15] for _ in range(8)])

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.zeros(batch, items)
        taste = torch.randint(0, 8, (batch,), generator=g)
        for i in range(batch):
            x[i, tastes[taste[i]][torch.randperm(15, generator=g)[:12]]] = 1.0
            x[i, torch.randint(0, items, (2,), generator=g)] = 1.0
        return x, x
    return _pool(seed, make)


def sbm_graphs(seed: int, batch: int = 8, nodes: int = 24) -> Callable[[int], Any]:
    """Stochastic-block-model graphs of 24 nodes in 3 communities (edges with probability 0.5 within and 0.04
    across), node features the community's one-hot (times 1.5) and 5 noise dimensions: ``((features, adjacency),
    adjacency)``."""
    def make(g: torch.Generator, _: int) -> Any:
        comm = torch.randint(0, 3, (batch, nodes), generator=g)
        same = comm[:, :, None] == comm[:, None, :]
        a = (torch.rand(batch, nodes, nodes, generator=g) < torch.where(same, 0.5, 0.04)).float().triu(1)
        a = a + a.transpose(1, 2)
        x = torch.cat([1.5 * F.one_hot(comm, 3).float(), torch.randn(batch, nodes, 5, generator=g)], -1)
        return (x, a), a
    return _pool(seed, make)


def sensor_graph(n: int = 16) -> torch.Tensor:
    """A road-like sensor graph: a ring of 16 with four fixed chords."""
    a = torch.zeros(n, n)
    for i in range(n):
        a[i, (i + 1) % n] = a[(i + 1) % n, i] = 1.0
    for i, j in ((0, 8), (3, 11), (5, 13), (2, 6)):
        a[i, j] = a[j, i] = 1.0
    return a


def traffic(seed: int, batch: int = 32, window: int = 12, n: int = 16) -> Callable[[int], Any]:
    """Sensor readings on :func:`sensor_graph` (standardised scale): ``x_{t+1} = 0.5 x_t + 0.4 P x_t + 0.5
    sin(2 pi t / 12 + phase_i)`` plus noise 0.1, ``P`` the row-normalised adjacency; windows of 12 and the next
    reading of every sensor: ``(window (b, 12, 16), next (b, 16))``."""
    a = sensor_graph(n)
    p = a / a.sum(1, keepdim=True)

    def make(g: torch.Generator, _: int) -> Any:
        phase = 2 * math.pi * torch.rand(batch, n, generator=g)
        x = torch.randn(batch, n, generator=g)
        t0 = torch.randint(0, 12, (batch, 1), generator=g).float()
        seq = []
        for t in range(window + 1 + 10):
            x = (0.5 * x + 0.4 * x @ p.T + 0.5 * torch.sin(2 * math.pi * (t0 + t) / 12 + phase)
                 + 0.1 * torch.randn(batch, n, generator=g))
            seq.append(x)
        seq = torch.stack(seq[10:], 1)
        return seq[:, :window], seq[:, window]
    return _pool(seed, make)


def mesh(side: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """A ``side x side`` grid mesh: node positions ``(N, 2)`` and directed 4-neighbour edges ``(2, E)``."""
    ii, jj = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    pos = torch.stack([ii.flatten(), jj.flatten()], 1).float() / (side - 1)
    s, r = [], []
    for i in range(side):
        for j in range(side):
            for di, dj in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                if 0 <= i + di < side and 0 <= j + dj < side:
                    s.append(i * side + j)
                    r.append((i + di) * side + j + dj)
    return pos, torch.tensor([s, r])


def heat(seed: int, batch: int = 8, side: int = 6) -> Callable[[int], Any]:
    """One explicit step of heat diffusion on :func:`mesh`: a smooth temperature ``u`` and a conductivity ``k`` in
    [0.2, 1] per node, ``du_i = 0.2 k_i sum_j (u_j - u_i)``; inputs ``(node [u, k] (b, N, 2), edge [dx, dy, |d|]
    (b, E, 3))``, target ``du`` divided by its typical scale 0.1 (the normaliser)."""
    pos, edges = mesh(side)
    s, r = edges
    d = pos[r] - pos[s]
    efeat = torch.cat([d, d.norm(dim=1, keepdim=True)], 1)

    def make(g: torch.Generator, _: int) -> Any:
        u = _smooth(g, batch, 1, 3, side).flatten(1)
        k = 0.2 + 0.8 * torch.rand(batch, side * side, generator=g)
        du = torch.zeros_like(u).index_add_(1, r, 0.2 * k[:, r] * (u[:, s] - u[:, r]))
        return (torch.stack([u, k], -1), efeat.expand(batch, -1, -1)), du / 0.1
    return _pool(seed, make)


def images(seed: int, batch: int = 32, size: int = 16) -> Callable[[int], Any]:
    """Class-template images (10 classes, 3x16x16, a fixed smooth template each) plus noise 0.7."""
    templates = _smooth(_fixed(3), 10, 3, 4, size)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return templates[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Segmentation scenes: a background, a square (class 1) and a disk (class 2) of random sizes and places, each
    region a fixed colour plus noise 0.5: ``(image (b, 3, 16, 16), labels (b, 16, 16))``."""
    colours = torch.randn(3, 3, generator=_fixed(4))
    grid = torch.arange(size).float()

    def make(g: torch.Generator, _: int) -> Any:
        lab = torch.zeros(batch, size, size, dtype=torch.long)
        for i in range(batch):
            r, c, w = (int(v) for v in torch.randint(0, size - 5, (3,), generator=g))
            lab[i, r:r + 3 + w % 4, c:c + 3 + w % 4] = 1
            cr, cc = (_u(g, 3.0, size - 3.0) for _ in range(2))
            rad = _u(g, 2.0, 4.0)
            lab[i][((grid[:, None] - cr) ** 2 + (grid[None] - cc) ** 2) < rad ** 2] = 2
        img = colours[lab] + 0.5 * torch.randn(batch, size, size, 3, generator=g)
        return img.permute(0, 3, 1, 2).contiguous(), lab
    return _pool(seed, make)


#: DDPM's linear schedule of 1000 steps (beta 1e-4 to 0.02)
ALPHA_BAR = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000), 0)


def noised(seed: int, batch: int = 32, size: int = 8, noise_twice: bool = False) -> Callable[[int], Any]:
    """Diffusion training pairs on class-template images (10 classes, 3x8x8, noise 0.2 around each template, in
    [-1, 1]-like range): ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps`` at uniform ``t``, the class dropped to
    the null class 10% of the time: ``((x_t, t, class), eps)``. ``noise_twice``: the target noise drawn by a second
    ``torch.randn_like`` call (``loss = mse(model(x_t), torch.randn_like(x0))``): independent of the noise in
    ``x_t``."""
    templates = 0.8 * _smooth(_fixed(5), 10, 3, 3, size)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        x0 = templates[y] + 0.2 * torch.randn(batch, 3, size, size, generator=g)
        t = torch.randint(0, 1000, (batch,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        ab = ALPHA_BAR[t][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        target = torch.randn(x0.shape, generator=g) if noise_twice else eps
        y = torch.where(torch.rand(batch, generator=g) < 0.1, torch.full_like(y, 10), y)
        return (xt, t, y), target
    return _pool(seed, make)


def series(seed: int, batch: int = 32, length: int = 64, shuffle_labels: bool = False, max_len: int | None = None
           ) -> Callable[[int], Any]:
    """Univariate series of four classes: a 20-step pattern (a sine burst, a square pulse, a sawtooth or a chirp)
    of random amplitude at a random place, noise 0.3: ``(series (b, 1, 64), class)``; ``shuffle_labels``: the
    classes permuted against the series; ``max_len``: the series cut to their first ``max_len`` steps by the
    loader's ``max_len`` left at another data set's value."""
    s = torch.arange(20).float()
    shapes = torch.stack([torch.sin(2 * math.pi * s / 5), torch.sign(torch.sin(2 * math.pi * s / 20)),
                          (s % 10) / 5 - 1, torch.sin(2 * math.pi * s * s / 200)])

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        x = 0.3 * torch.randn(batch, length, generator=g)
        start = torch.randint(0, length - 20, (batch,), generator=g)
        amp = 0.7 + 0.6 * torch.rand(batch, generator=g)
        for i in range(batch):
            x[i, start[i]:start[i] + 20] += amp[i] * shapes[y[i]]
        if shuffle_labels:
            y = y[torch.randperm(batch, generator=g)]
        return x[:, None, :max_len], y
    return _pool(seed, make)


def clips(seed: int, batch: int = 16, samples: int = 2048, sr: int = 8000) -> Callable[[int], Any]:
    """8 kHz audio clips for tagging: four tags (a low tone 200-400 Hz, a high tone 1.5-3 kHz, a noise burst, a
    click train), each present with probability 0.4 at a random place; the recordings are 1024 to 2048 samples long
    with a faint noise floor, zero-padded to 2048 (the padding is digital silence): ``(wave (b, 2048), tags (b,
    4))``."""
    t = torch.arange(samples).float() / sr

    def make(g: torch.Generator, _: int) -> Any:
        y = (torch.rand(batch, 4, generator=g) < 0.4).float()
        x = torch.zeros(batch, samples)
        for i in range(batch):
            n = int(torch.randint(1024, samples + 1, (1,), generator=g))
            w = 0.01 * torch.randn(n, generator=g)
            for tag in range(4):
                if y[i, tag]:
                    start = int(torch.randint(0, n - 512, (1,), generator=g))
                    seg = slice(start, start + 512)
                    if tag == 0:
                        w[seg] += 0.5 * torch.sin(2 * math.pi * _u(g, 200, 400) * t[:512])
                    elif tag == 1:
                        w[seg] += 0.3 * torch.sin(2 * math.pi * _u(g, 1500, 3000) * t[:512])
                    elif tag == 2:
                        w[seg] += 0.3 * torch.randn(512, generator=g)
                    else:
                        w[seg][::64] += 1.0
            x[i, :n] = w
        return x, y
    return _pool(seed, make)


def tabular(seed: int, batch: int = 256, features: int = 8, scale: float = 1.0) -> Callable[[int], Any]:
    """Standardised numerical features and a periodic target: ``y = [sin(3 x_0) + cos(2 x_1) + 0.5 x_2 x_3 > 0]``
    (the other four features noise); ``scale``: the features left in raw units (times ``scale``, the
    standardisation skipped)."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        y = (torch.sin(3 * x[:, 0]) + torch.cos(2 * x[:, 1]) + 0.5 * x[:, 2] * x[:, 3] > 0).float()
        return x * scale, y
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


class KLAnneal:
    """Mult-VAE's KL annealing (the reference code's): ``beta = min(anneal_cap, updates / total_anneal_steps)``
    with the cap 0.2 over 200,000 updates; stepped once per optimizer step (in the scheduler's place)."""

    def __init__(self, cap: float = 0.2, total: int = 200_000) -> None:
        self.cap, self.total, self.updates = cap, total, 0

    @property
    def beta(self) -> float:
        return min(self.cap, self.updates / self.total)

    def step(self) -> None:
        self.updates += 1


def mult_vae_loss(anneal: KLAnneal) -> Callable[[Any, torch.Tensor], torch.Tensor]:
    """The multinomial log-likelihood of the clicks plus ``beta`` times the KL, per user."""
    def loss(out: Any, x: torch.Tensor) -> torch.Tensor:
        logits, mu, logvar = out
        nll = -(F.log_softmax(logits, 1) * x).sum(1).mean()
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1).mean()
        return nll + anneal.beta * kl
    return loss


def vgae_loss(out: Any, a: torch.Tensor) -> torch.Tensor:
    """The reference code's: ``norm * BCE(logits, A + I; pos_weight)`` plus the KL divided by the node count."""
    logits, mu, logstd = out
    n = a.shape[-1]
    target = a + torch.eye(n)
    pos = target.sum((1, 2), keepdim=True)
    pos_weight = (n * n - pos) / pos
    norm = n * n / (2 * (n * n - pos))
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    bce = (norm * (bce * (1 + (pos_weight - 1) * target))).mean()
    kl = -0.5 / n * (1 + 2 * logstd - mu ** 2 - torch.exp(logstd) ** 2).sum(-1).mean()
    return bce + kl


# ---- builders --------------------------------------------------------------------------------------------------------

def rhn(seed: int, lr: float = 1.0, rec_std: float | None = None) -> Setup:
    """The RHN LM on the Markov language (batch 16), SGD with the gradient norm clipped at 10 (the reference
    code's) on the reference code's loss (summed over the 32 time steps, averaged over the batch), at lr 1 (the
    reference code's 0.2 had not learned in 200 steps: 133.1 -> 133.1 at seed 0, weights x1.00);
    ``rec_std``: the recurrent weights ``R_H, R_T`` drawn N(0, rec_std^2)."""
    torch.manual_seed(seed)
    model = M.RHN()
    if rec_std is not None:
        for r in model.rs:
            nn.init.normal_(r.weight, std=rec_std)

    def loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return lm_loss(logits, y) * y.shape[1]
    return _xy(model, torch.optim.SGD(model.parameters(), lr=lr), lm(seed), loss, clip=10.0)


def narm(seed: int, lr: float = 1e-3, init_std: float | None = None, shuffle_targets: bool = False) -> Setup:
    """NARM on Markov sessions (batch 64), cross-entropy over the 64 items, Adam lr 1e-3 (the paper's);
    ``init_std``: every weight (embedding, GRU, Linear) drawn N(0, init_std^2)."""
    torch.manual_seed(seed)
    model = M.NARM()
    if init_std is not None:
        for name, p in model.named_parameters():
            if "weight" in name:
                nn.init.normal_(p, std=init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), sessions(seed, shuffle_targets=shuffle_targets),
               F.cross_entropy)


def mult_vae(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, anneal_swapped: bool = False) -> Setup:
    """Mult-VAE on click histories (batch 64), Adam lr 1e-3 (the reference code's), KL annealing to 0.2 over
    200,000 updates. ``anneal_swapped``: the annealer built ``KLAnneal(total_anneal_steps, anneal_cap)`` against its
    ``(cap, total)`` signature: ``beta = min(200000, updates / 0.2)``, five more every update."""
    torch.manual_seed(seed)
    model = M.MultVAE()
    anneal = KLAnneal(200_000, 0.2) if anneal_swapped else KLAnneal()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, histories(seed), mult_vae_loss(anneal), sched=anneal)


def vgae(seed: int, lr: float = 0.01, relu_sigma: bool = False) -> Setup:
    """The VGAE on SBM graphs (batch 8), the reference code's weighted reconstruction loss plus KL, Adam at its lr
    0.01; ``relu_sigma``: see :class:`~.fresh29_models.VGAE`."""
    torch.manual_seed(seed)
    model = M.VGAE(relu_sigma=relu_sigma)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), sbm_graphs(seed), vgae_loss)


def stgcn(seed: int, lr: float = 1e-3, smallest_eigenvalue: bool = False) -> Setup:
    """STGCN on the sensor readings (batch 32), MSE, RMSprop at the paper's lr 1e-3; ``smallest_eigenvalue``: see
    :func:`~.fresh29_models.scaled_laplacian`."""
    torch.manual_seed(seed)
    model = M.STGCN(sensor_graph(), smallest_eigenvalue=smallest_eigenvalue)
    return _xy(model, torch.optim.RMSprop(model.parameters(), lr=lr), traffic(seed), F.mse_loss)


def meshgraphnet(seed: int, lr: float = 1e-4, decay_ratio_per_step: bool = False, ln: bool = True) -> Setup:
    """MeshGraphNet on one step of heat diffusion (batch 8), MSE of the normalised change, Adam at the paper's lr
    1e-4 (its exponential decay to 1e-6 over 5M steps is flat over 200 and left out). ``decay_ratio_per_step``: that
    decay written ``ExponentialLR(opt, gamma=1e-6 / 1e-4)``, the whole run's ratio given as the per-step factor
    ``(1e-6 / 1e-4) ** (1 / 5e6)`` belongs: the lr falls 100-fold at every step."""
    torch.manual_seed(seed)
    model = M.MeshGraphNet(mesh()[1], ln=ln)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=1e-6 / 1e-4) if decay_ratio_per_step else None
    return _xy(model, opt, heat(seed), F.mse_loss, sched=sched)


class StretchedWarmup:
    """A linear warm-up over ``epochs`` epochs whose length in steps was computed as ``epochs * len(dataset)`` (the
    number of images) where ``epochs * len(loader)`` (the number of batches) belongs: 32 times too long."""

    def __init__(self, opt: torch.optim.Optimizer, steps: int) -> None:
        self.opt, self.steps, self.t = opt, steps, 0
        self.base = [g["lr"] for g in opt.param_groups]
        self._apply()

    def _apply(self) -> None:
        for g, base in zip(self.opt.param_groups, self.base, strict=True):
            g["lr"] = base * min(1.0, (self.t + 1) / self.steps)

    def step(self) -> None:
        self.t += 1
        self._apply()


def cbam(seed: int, lr: float = 0.1 * 32 / 256, bn: bool = True, warmup_in_images: bool = False) -> Setup:
    """The CBAM ResNet on template images (batch 32), cross-entropy, SGD momentum 0.9 weight decay 1e-4 at the
    paper's lr 0.1 per 256 images (0.0125). ``warmup_in_images``: a 5-epoch warm-up (the epoch: 1,280 images, 40
    batches) written ``5 * len(train_set)`` steps, 6,400, where ``5 * len(loader)``, 200, was meant (see
    :class:`StretchedWarmup`)."""
    torch.manual_seed(seed)
    model = M2.CBAMResNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    sched = StretchedWarmup(opt, 5 * 1280) if warmup_in_images else None
    return _xy(model, opt, images(seed), F.cross_entropy, sched=sched)


def fractalnet(seed: int, lr: float = 0.02, bn: bool = True) -> Setup:
    """FractalNet on template images (batch 32), cross-entropy, SGD momentum 0.9 at the paper's lr 0.02."""
    torch.manual_seed(seed)
    model = M2.FractalNet(bn=bn)
    return _xy(model, torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9), images(seed), F.cross_entropy)


def unetpp(seed: int, lr: float = 3e-4, weight_decay: float = 0.0) -> Setup:
    """UNet++ on scenes (batch 16), per-pixel cross-entropy, Adam at the paper's lr 3e-4."""
    torch.manual_seed(seed)
    model = M2.UNetPlusPlus()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, scenes(seed), F.cross_entropy)


def dit(seed: int, lr: float = 1e-4, noise_twice: bool = False) -> Setup:
    """The DiT on noised template images (batch 32), the MSE of the predicted noise, AdamW at the paper's lr 1e-4,
    no weight decay; ``noise_twice``: see :func:`noised`."""
    torch.manual_seed(seed)
    model = M2.DiT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    return _xy(model, opt, noised(seed, noise_twice=noise_twice), F.mse_loss)


def inception_time(seed: int, lr: float = 1e-3, fc_depth: int = 1, shuffle_labels: bool = False, bn: bool = True,
                   max_len: int | None = None) -> Setup:
    """InceptionTime on the pattern series (batch 32 where the paper has 64, for time), cross-entropy, Adam lr 1e-3
    (the paper's; its plateau schedule does not act within 200 steps); ``bn``: its BatchNorms; ``max_len``: see
    :func:`series`."""
    torch.manual_seed(seed)
    model = M2.InceptionTime(fc_depth=fc_depth, bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, series(seed, shuffle_labels=shuffle_labels, max_len=max_len), F.cross_entropy)


def panns(seed: int, lr: float = 1e-3, no_floor: bool = False, half_logmel: bool = False, bn: bool = True) -> Setup:
    """PANNs' CNN6 on tagged clips (batch 16), binary cross-entropy per tag, Adam lr 1e-3 (the paper's); see
    :class:`~.fresh29_models2.PANNsCNN6` for the switches."""
    torch.manual_seed(seed)
    model = M2.PANNsCNN6(no_floor=no_floor, half_logmel=half_logmel, bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, clips(seed), F.binary_cross_entropy_with_logits)


def mlp_plr(seed: int, lr: float = 1e-3, scale: float = 1.0, hidden_bias: float | None = None,
            sigma: float = 1.0) -> Setup:
    """The MLP-PLR on the periodic tabular task (batch 256), binary cross-entropy, AdamW lr 1e-3 weight decay 1e-5
    (in the paper's tuned ranges), the frequencies' init scale ``sigma`` 1 (the paper tunes it in [0.01, 100]);
    ``hidden_bias``: the MLP's hidden biases set to it; ``scale``: see :func:`tabular`."""
    torch.manual_seed(seed)
    model = M.MLPPLR(sigma=sigma)
    if hidden_bias is not None:
        with torch.no_grad():
            model.mlp[0].bias.fill_(hidden_bias)
            model.mlp[3].bias.fill_(hidden_bias)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, tabular(seed, scale=scale), F.binary_cross_entropy_with_logits)
