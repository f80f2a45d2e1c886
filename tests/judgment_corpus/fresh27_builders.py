"""Builders of the twenty-eighth held-out batch (``fresh27.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets and the training pieces (losses)
they need. Written and labelled before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh27_models as M
from ._setup import POOL, Setup, markov_tokens, model_loss, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(270_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(2700 + k)


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    g = _gen(seed)
    pool = [make(g) for _ in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _u(g: torch.Generator, lo: float, hi: float, *shape: int) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(*shape, generator=g)


# ---- models: the Relation Network and the neural spline flow (kept here for the models file's size) ------------------


class RelationNet(nn.Module):
    """A Relation Network (Santoro et al. 2017) on state descriptions: ``g_theta`` (four ReLU layers of 64) on every
    ordered pair of objects with the question, summed, ``f_phi`` (two ReLU layers of 64, dropout 0.5 before the last
    layer) to the answer. ``hidden_bias``: every hidden bias of ``g_theta`` and ``f_phi`` set to it."""

    def __init__(self, obj: int = 9, question: int = 9, answers: int = 10, d: int = 64,
                 hidden_bias: float | None = None) -> None:
        super().__init__()
        dims = [2 * obj + question, d, d, d, d]
        self.g = nn.Sequential(*[m for i in range(4) for m in (nn.Linear(dims[i], dims[i + 1]), nn.ReLU())])
        self.f = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d), nn.ReLU(), nn.Dropout(0.5),
                               nn.Linear(d, answers))
        if hidden_bias is not None:
            with torch.no_grad():
                for m in [*self.g, *self.f[:4]]:
                    if isinstance(m, nn.Linear):
                        m.bias.fill_(hidden_bias)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        o, q = inputs  # (b, n, 9), (b, 9)
        n = o.shape[1]
        pairs = torch.cat([o[:, :, None].expand(-1, -1, n, -1), o[:, None].expand(-1, n, -1, -1),
                           q[:, None, None].expand(-1, n, n, -1)], -1)
        return self.f(self.g(pairs).sum((1, 2)))


def rq_spline(x: torch.Tensor, w: torch.Tensor, h: torch.Tensor, dv: torch.Tensor, bound: float = 3.0
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """The monotone rational-quadratic spline (Durkan et al. 2019) on ``[-bound, bound]``, identity outside (linear
    tails): ``(y, log |dy/dx|)``; ``w``, ``h``: unnormalised bin widths and heights (K), ``dv``: inner derivatives
    (K - 1, through softplus)."""
    k = w.shape[-1]
    inside = (x > -bound) & (x < bound)
    w = 1e-3 + (1 - 1e-3 * k) * torch.softmax(w, -1)
    h = 1e-3 + (1 - 1e-3 * k) * torch.softmax(h, -1)
    cw = F.pad(torch.cumsum(w, -1), (1, 0)) * 2 * bound - bound
    ch = F.pad(torch.cumsum(h, -1), (1, 0)) * 2 * bound - bound
    cw[..., -1], ch[..., -1] = bound, bound
    d = F.pad(1e-3 + F.softplus(dv), (1, 1), value=1.0)
    xc = x.clamp(-bound, bound)
    i = (torch.searchsorted(cw[..., 1:-1].contiguous(), xc[..., None]))
    x0, wk = cw.gather(-1, i)[..., 0], (cw[..., 1:] - cw[..., :-1]).gather(-1, i)[..., 0]
    y0, hk = ch.gather(-1, i)[..., 0], (ch[..., 1:] - ch[..., :-1]).gather(-1, i)[..., 0]
    d0, d1 = d.gather(-1, i)[..., 0], d.gather(-1, i + 1)[..., 0]
    s, t = hk / wk, (xc - x0) / wk
    den = s + (d1 + d0 - 2 * s) * t * (1 - t)
    y = y0 + hk * (s * t * t + d0 * t * (1 - t)) / den
    logdet = 2 * torch.log(s) + torch.log(d1 * t * t + 2 * s * t * (1 - t) + d0 * (1 - t) ** 2) - 2 * torch.log(den)
    return torch.where(inside, y, x), torch.where(inside, logdet, torch.zeros_like(x))


class NSF(nn.Module):
    """A rational-quadratic neural spline flow (Durkan et al. 2019) on 2-d data: four coupling layers alternating the
    transformed coordinate, each conditioner a ReLU MLP (two hidden layers of 64) of the other coordinate to 8 bins'
    widths, heights and 7 derivatives, tail bound 3; a standard normal base; returns the negative log-likelihood per
    point in nats."""

    def __init__(self, layers: int = 4, bins: int = 8, d: int = 64) -> None:
        super().__init__()
        self.bins = bins
        self.nets = nn.ModuleList(nn.Sequential(nn.Linear(1, d), nn.ReLU(), nn.Linear(d, d), nn.ReLU(),
                                                nn.Linear(d, 3 * bins - 1)) for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logdet = x.new_zeros(x.shape[0])
        for i, net in enumerate(self.nets):
            a, b = (0, 1) if i % 2 == 0 else (1, 0)
            p = net(x[:, a:a + 1])
            y, ld = rq_spline(x[:, b], p[:, :self.bins], p[:, self.bins:2 * self.bins], p[:, 2 * self.bins:])
            x = torch.stack([x[:, 0], y], 1) if b == 1 else torch.stack([y, x[:, 1]], 1)
            logdet = logdet + ld
        return 0.5 * (x ** 2).sum(1) + math.log(2 * math.pi) - logdet


# ---- data ------------------------------------------------------------------------------------------------------------

def keypoints(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Images of two keypoint blobs (fixed colours, Gaussian of width 1.2) and a distractor blob of a third colour
    on noise 0.3, and the keypoints' Gaussian heatmaps (width 1, peak 1): ``(image (b, 3, 16, 16), heatmaps (b, 2, 16,
    16))``."""
    colours = torch.randn(3, 3, generator=_fixed(1))
    grid = torch.arange(size).float()

    def blob(r: torch.Tensor, c: torch.Tensor, w: float) -> torch.Tensor:
        return torch.exp(-((grid[None, :, None] - r[:, None, None]) ** 2 + (grid[None, None] - c[:, None, None]) ** 2)
                         / (2 * w * w))

    def make(g: torch.Generator) -> Any:
        pts = _u(g, 1.5, size - 2.5, batch, 3, 2)
        x = 0.3 * torch.randn(batch, 3, size, size, generator=g)
        heat = []
        for k in range(3):
            x = x + 1.5 * colours[k][None, :, None, None] * blob(pts[:, k, 0], pts[:, k, 1], 1.2)[:, None]
            if k < 2:
                heat.append(blob(pts[:, k, 0], pts[:, k, 1], 1.0))
        return x, torch.stack(heat, 1)
    return _pool(seed, make)


def demand(seed: int, batch: int = 32, past: int = 48, horizon: int = 12, series: int = 10) -> Callable[[int], Any]:
    """Hourly series of ten kinds (the id fixes a level, a daily amplitude and phase) plus AR(1) noise (0.9, 0.2):
    ``((past (b, 48, 3): target, sin and cos of the hour; future (b, 12, 2): the known hour features; series id),
    future target (b, 12))``."""
    lev, amp, ph = (_u(_fixed(2), lo, hi, series) for lo, hi in ((-1, 1), (0.5, 1.5), (0, 2 * math.pi)))
    n = past + horizon

    def make(g: torch.Generator) -> Any:
        sid, t0 = torch.randint(0, series, (batch,), generator=g), torch.randint(0, 24, (batch, 1), generator=g)
        hour = 2 * math.pi * (t0 + torch.arange(n)) / 24
        e, noise = torch.zeros(batch, n), 0.2 * torch.randn(batch, n, generator=g)
        for t in range(1, n):
            e[:, t] = 0.9 * e[:, t - 1] + noise[:, t]
        y = lev[sid, None] + amp[sid, None] * torch.sin(hour + ph[sid, None]) + e
        known = torch.stack([hour.sin(), hour.cos()], -1)
        return (torch.cat([y[:, :past, None], known[:, :past]], -1), known[:, past:], sid), y[:, past:]
    return _pool(seed, make)


def load_series(seed: int, batch: int = 32, past: int = 48, horizon: int = 12) -> Callable[[int], Any]:
    """Univariate hourly load windows (Informer's "S" setting): a level N(0, 2^2) and a scale U(0.5, 3) per window,
    a daily cycle with a harmonic, a weekly drift, noise 0.1: ``((past (b, 48, 1), hour marks (b, 48, 2), future
    hour marks (b, 12, 2)), future (b, 12, 1))``."""
    n = past + horizon

    def make(g: torch.Generator) -> Any:
        t = torch.randint(0, 168, (batch, 1), generator=g) + torch.arange(n)
        h = 2 * math.pi * t / 24
        base = torch.sin(h) + 0.4 * torch.sin(2 * h + 1) + 0.5 * torch.sin(2 * math.pi * t / 168)
        y = 2 * torch.randn(batch, 1, generator=g) + _u(g, 0.5, 3, batch, 1) * (
            base + 0.1 * torch.randn(batch, n, generator=g))
        marks = torch.stack([h.sin(), h.cos()], -1)
        return (y[:, :past, None], marks[:, :past], marks[:, past:]), y[:, past:, None]
    return _pool(seed, make)


def clips(seed: int, batch: int = 8, frames: int = 4, size: int = 16) -> Callable[[int], Any]:
    """``{"pixel_values": (b, 4 frames, 3, 16, 16), "labels"}``: one of four smooth templates (drawn independently of
    the class) moving circularly left, right, up or down by two pixels a frame, plus noise 0.5; the class is the
    direction."""
    tmpl = F.interpolate(torch.randn(4, 3, 4, 4, generator=_fixed(3)), size=(size, size), mode="bilinear",
                         align_corners=False)

    def make(g: torch.Generator) -> Any:
        y, look = torch.randint(0, 4, (batch,), generator=g), torch.randint(0, 4, (batch,), generator=g)
        x = torch.stack([torch.stack([tmpl[int(a)].roll(2 * t * (1 - 2 * (int(c) % 2)), 1 + int(c) // 2)
                                      for t in range(frames)]) for a, c in zip(look, y)])
        return {"pixel_values": x + 0.5 * torch.randn(x.shape, generator=g), "labels": y}
    return _pool(seed, make)


def lm(seed: int, batch: int = 16, length: int = 33) -> Callable[[int], Any]:
    """``(tokens (b, 32), next tokens (b, 32))`` of the corpus's Markov language (64 tokens)."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def community_graphs(seed: int, batch: int = 16, n: int = 24) -> Callable[[int], Any]:
    """Graphs of 24 nodes in two, three or four communities (the class; the within-community edge probability
    U(0.6, 0.8), across 0.05), node features ``[1, degree / 10, two N(0, 1) noise features]``: ``((features (b, 24, 4),
    adjacency (b, 24, 24)), class)``."""
    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 3, (batch,), generator=g)
        comm = torch.randint(0, 1000, (batch, n), generator=g) % (y[:, None] + 2)
        same = comm[:, :, None] == comm[:, None]
        p = torch.where(same, _u(g, 0.6, 0.8, batch, 1, 1), torch.full((batch, n, n), 0.05))
        a = (torch.rand(batch, n, n, generator=g) < p).float().triu(1)
        a = a + a.transpose(1, 2)
        deg = a.sum(-1, keepdim=True) / 10
        x = torch.cat([torch.ones(batch, n, 1), deg, torch.randn(batch, n, 2, generator=g)], -1)
        return (x, a), y
    return _pool(seed, make)


def molecules(seed: int, batch: int = 16, atoms: int = 8) -> Callable[[int], Any]:
    """Molecules of eight atoms of three types on a jittered 3x3x3 lattice (spacing 1.5 A, jitter 0.25 A), their
    energy a sum of Morse pair terms (well depths by type pair, ``r0 = 1.5 A``) standardised by fixed constants:
    ``((types (b * 8,), positions (b * 8, 3), pair mask (b * 8, b * 8)), energies (b,))``; the pair mask holds the
    distinct atom pairs of each molecule."""
    depth = _u(_fixed(4), 0.5, 2.0, 3, 3)
    depth = (depth + depth.T) / 2
    lattice = torch.stack(torch.meshgrid(*[torch.arange(3.0)] * 3, indexing="ij"), -1).view(-1, 3) * 1.5
    mol = torch.arange(batch).repeat_interleave(atoms)
    pair = (mol[:, None] == mol[None]) & ~torch.eye(batch * atoms, dtype=torch.bool)

    def make(g: torch.Generator) -> Any:
        z = torch.randint(0, 3, (batch, atoms), generator=g)
        idx = torch.stack([torch.randperm(27, generator=g)[:atoms] for _ in range(batch)])
        pos = lattice[idx] + 0.25 * torch.randn(batch, atoms, 3, generator=g)
        d = (pos[:, :, None] - pos[:, None]).norm(dim=-1) + torch.eye(atoms) * 100
        morse = torch.exp(-2 * (d - 1.5)) - 2 * torch.exp(-(d - 1.5))
        e = (depth[z[:, :, None], z[:, None]] * morse).sum((1, 2)) / 2
        e = (e + 18.6) / 3.07
        return (z.flatten(), pos.view(-1, 3), pair), e
    return _pool(seed, make)


def images(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Class-template images (ten smooth 3x16x16 templates) plus noise 0.7: ``(image, label)``."""
    tmpl = F.interpolate(torch.randn(10, 3, 4, 4, generator=_fixed(5)), size=(16, 16), mode="bilinear",
                         align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return tmpl[y] + 0.7 * torch.randn(batch, 3, 16, 16, generator=g), y
    return _pool(seed, make)


def mixtures(seed: int, batch: int = 16, length: int = 256, silent: int = 0, listdir: bool = False
             ) -> Callable[[int], Any]:
    """Two-source mixtures of 256 samples: a tonal source (two sinusoids of 2-8 cycles, amplitudes U(0.2, 0.6)) and a
    percussive one (clicks every 24-40 samples, each a decaying 4-sample-period burst): ``(mixture (b, 1, 256),
    sources (b, 2, 256))``. ``silent``: that many examples of each batch are silent (digital silence, as in real
    tracks' intros and outros)."""
    t = torch.arange(length).float()
    burst = torch.exp(-torch.arange(16.0) / 4) * torch.cos(torch.arange(16.0) * math.pi / 2)

    def make(g: torch.Generator) -> Any:
        f, a, p = _u(g, 2, 8, batch, 2, 1), _u(g, 0.2, 0.6, batch, 2, 1), _u(g, 0, 2 * math.pi, batch, 2, 1)
        tone = (a * torch.sin(2 * math.pi * f * t / length + p)).sum(1)
        clicks = torch.zeros(batch, length + 16)
        for i in range(batch):
            s = int(torch.randint(0, 16, (1,), generator=g))
            while s < length:
                clicks[i, s:s + 16] += float(_u(g, 0.5, 1.0, 1)) * burst
                s += int(torch.randint(24, 41, (1,), generator=g))
        src = torch.stack([tone, clicks[:, :length]], 1)
        src[:silent] = 0.0
        if listdir:
            swap = torch.rand(batch, generator=g) < 0.5
            src = torch.where(swap[:, None, None], src.flip(1), src)
        return src.sum(1, keepdim=True), src
    return _pool(seed, make)


def scenes(seed: int, batch: int = 32, objects: int = 6) -> Callable[[int], Any]:
    """Sort-of-CLEVR state descriptions: six objects (a distinct colour each, one-hot of 6; a position in the unit
    square; a square/circle bit) and a question (the colour asked about, one-hot of 6, and the question type, one-hot
    of 3): the shape of that object (answers 0, 1), whether it is in the left half (2, 3), the colour of the object
    nearest to it (4-9): ``((objects (b, 6, 9), question (b, 9)), answer)``."""
    def make(g: torch.Generator) -> Any:
        pos, shape = torch.rand(batch, objects, 2, generator=g), torch.randint(0, 2, (batch, objects), generator=g)
        o = torch.cat([torch.eye(objects).expand(batch, -1, -1), pos, shape[..., None].float()], -1)
        c, kind = torch.randint(0, objects, (batch,), generator=g), torch.randint(0, 3, (batch,), generator=g)
        d = (pos[torch.arange(batch), c][:, None] - pos).norm(dim=-1)
        d[torch.arange(batch), c] = 9.0
        ans = torch.stack([shape[torch.arange(batch), c], 2 + (pos[torch.arange(batch), c, 0] < 0.5).long(),
                           4 + d.argmin(1)], 1)[torch.arange(batch), kind]
        return (o, torch.cat([F.one_hot(c, objects), F.one_hot(kind, 3)], 1).float()), ans
    return _pool(seed, make)


def clicks(seed: int, batch: int = 64) -> Callable[[int], Any]:
    """Click logs: user (100), the user's segment (10; ``user % 10``, its favourite category), item (200; the
    favourite category half the time), its category, hour (24), device (3); clicked with probability
    ``sigmoid(3.5 (2 match - 1) + 1.0 [evening and mobile] - 0.3)``: ``(ids (b, 6), click)``."""
    def make(g: torch.Generator) -> Any:
        user, hour, dev = (torch.randint(0, n, (batch,), generator=g) for n in (100, 24, 3))
        match = torch.rand(batch, generator=g) < 0.5
        item = torch.where(match, 10 * torch.randint(0, 20, (batch,), generator=g) + user % 10,
                           torch.randint(0, 200, (batch,), generator=g))
        m = (item % 10 == user % 10).float()
        logit = 3.5 * (2 * m - 1) + 1.0 * ((hour >= 18) & (dev == 0)).float() - 0.3
        y = (torch.rand(batch, generator=g) < torch.sigmoid(logit)).float()
        return torch.stack([user, user % 10, item, item % 10, hour, dev], 1), y
    return _pool(seed, make)


def moons(seed: int, batch: int = 256, scale: float = 1.0, shift: float = 0.0) -> Callable[[int], Any]:
    """Two-moons points (noise 0.08), standardised; ``scale``/``shift``: the points in raw units (``x * scale +
    shift``, the standardisation left out): ``(points (b, 2), points)``."""
    def make(g: torch.Generator) -> Any:
        th, up = math.pi * torch.rand(batch, generator=g), torch.rand(batch, generator=g) < 0.5
        x = torch.where(up[:, None], torch.stack([th.cos(), th.sin()], 1), torch.stack([1 - th.cos(), 0.5 - th.sin()],
                                                                                        1))
        x = (x + 0.08 * torch.randn(batch, 2, generator=g) - torch.tensor([0.5, 0.25])) / torch.tensor([0.87, 0.5])
        x = x * scale + shift
        return x, x
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def joints_mse(out: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
    """HRNet's JointsMSELoss: half the mean squared error of the heatmaps."""
    return 0.5 * F.mse_loss(out, heat)


def quantile_loss(out: torch.Tensor, y: torch.Tensor, qs: tuple[float, ...] = (0.1, 0.5, 0.9)) -> torch.Tensor:
    """TFT's quantile (pinball) loss, averaged over the quantiles, steps and series."""
    e = y[..., None] - out
    q = torch.tensor(qs)
    return torch.maximum(q * e, (q - 1) * e).mean()


def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


# ---- builders --------------------------------------------------------------------------------------------------------

def hrnet(seed: int, lr: float = 1e-3) -> Setup:
    """HRNet on keypoint images (batch 16), JointsMSELoss, Adam lr 1e-3 (the pose recipe)."""
    torch.manual_seed(seed)
    model = M.HRNet()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), keypoints(seed), joints_mse)


def tft(seed: int, lr: float = 1e-3) -> Setup:
    """The TFT on hourly series (batch 32), the quantile loss at 0.1, 0.5, 0.9, Adam lr 1e-3 and gradients clipped at
    norm 1 (within the paper's tuned ranges), dropout 0.1."""
    torch.manual_seed(seed)
    model = M.TFT()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), demand(seed), quantile_loss, clip=1.0)


def informer(seed: int, lr: float = 1e-4, norm_dim: int = 1) -> Setup:
    """Informer on univariate load windows (batch 32), MSE, Adam at the paper's lr 1e-4; each window standardised
    over time (``norm_dim=1``) and the forecast de-standardised. ``norm_dim=-1``: the standardisation code copied
    from a channel-first ``(batch, variates, time)`` pipeline, where ``dim=-1`` was time, now the variate axis of size
    1: ``x.std(-1)`` of one value is NaN (the unbiased estimate divides by ``n - 1 = 0``)."""
    torch.manual_seed(seed)
    model = M.Informer(variates=1, norm_dim=norm_dim)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), load_series(seed), F.mse_loss)


def timesformer(seed: int, lr: float = 5e-4) -> Setup:
    """A tiny TimeSformer (``transformers``' ``TimesformerForVideoClassification``: divided space-time attention, 4x4
    patches, 4 frames, two layers of width 64) on moving-template clips (batch 8), AdamW lr 5e-4 weight decay 0.05
    (DeiT's from-scratch recipe; the paper's SGD lr 0.005 fine-tunes an ImageNet ViT and does not learn here from
    scratch), init std 0.02."""
    import transformers

    torch.manual_seed(seed)
    cfg = transformers.TimesformerConfig(image_size=16, patch_size=4, num_channels=3, num_frames=4, hidden_size=64,
                                         num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                                         num_labels=4)
    model = transformers.TimesformerForVideoClassification(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    batches = clips(seed)
    return Setup(model, opt, None, batches(0), None, model_loss, batches)


def onlstm(seed: int, lr: float = 30.0, hh_std: float | None = None) -> Setup:
    """The ON-LSTM LM on the Markov language (batch 16, 32 steps), SGD at the AWD-LSTM recipe's lr 30 with weight
    decay 1.2e-6 and gradients clipped at norm 0.25; ``hh_std``: the hidden-to-hidden weights (all gates and master
    gates) drawn N(0, hh_std^2) in place of PyTorch's default (uniform, bound 1/8)."""
    torch.manual_seed(seed)
    model = M.ONLSTM()
    if hh_std is not None:
        nn.init.normal_(model.hh.weight, std=hh_std)
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=1.2e-6)
    return _xy(model, opt, lm(seed), lm_loss, clip=0.25)


def deltanet(seed: int, lr: float = 1e-3, weight_decay: float = 0.01) -> Setup:
    """The DeltaNet LM on the Markov language (batch 16), AdamW lr 1e-3 betas (0.9, 0.95) weight decay 0.01,
    gradients clipped at norm 1 (the reference training's, at a small model's lr)."""
    torch.manual_seed(seed)
    model = M.DeltaNet()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    return _xy(model, opt, lm(seed), lm_loss, clip=1.0)


def diffpool(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """DiffPool on community graphs (batch 16), cross-entropy plus the auxiliary link-prediction and entropy losses,
    Adam lr 1e-3 with gradients clipped at norm 2 (the reference code's)."""
    torch.manual_seed(seed)
    model = M.DiffPool()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, community_graphs(seed), lambda out, y: F.cross_entropy(out, y) + model.aux, clip=2.0)


def painn(seed: int, lr: float = 5e-4, guard: bool = True) -> Setup:
    """PaiNN on Morse molecules (batch 16 molecules), MSE of the energies, Adam at the paper's lr 5e-4; ``guard``:
    see :class:`~.fresh27_models.PaiNN`."""
    torch.manual_seed(seed)
    model = M.PaiNN(guard=guard)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, molecules(seed), F.mse_loss)


def resnest(seed: int, lr: float = 0.0125, bn: bool = True) -> Setup:
    """ResNeSt on template images (batch 32), cross-entropy with label smoothing 0.1, SGD momentum 0.9 weight decay
    1e-4 at the paper's lr 0.1 per 256 images (0.0125) with cosine decay over the 200 steps (warm-up left out)."""
    torch.manual_seed(seed)
    model = M.ResNeSt(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200)
    return _xy(model, opt, images(seed), lambda out, y: F.cross_entropy(out, y, label_smoothing=0.1), sched=sched)


def demucs(seed: int, lr: float = 3e-4, eps: float | None = 1e-5, silent: int = 0, listdir: bool = False) -> Setup:
    """Demucs on two-source mixtures (batch 16), L1 loss, Adam at the reference lr 3e-4. ``eps=None, silent=2``: the
    reference code's per-track standardisation ``(x - mean) / std`` without an epsilon, on batches holding silent
    examples (0 / 0)."""
    torch.manual_seed(seed)
    model = M.Demucs(eps=eps)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), mixtures(seed, silent=silent, listdir=listdir),
               F.l1_loss)


def relation_net(seed: int, lr: float = 2.5e-4, weight_decay: float = 0.0, hidden_bias: float | None = None,
                 linear_std: float | None = None) -> Setup:
    """The Relation Network on Sort-of-CLEVR state descriptions (batch 32), cross-entropy, Adam at the paper's lr
    2.5e-4; ``hidden_bias``: see :class:`RelationNet`."""
    torch.manual_seed(seed)
    model = RelationNet(hidden_bias=hidden_bias)
    if linear_std is not None:
        for m in model.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=linear_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, scenes(seed), F.cross_entropy)


def finalmlp(seed: int, lr: float = 1e-3, depth: tuple[int, int] = (2, 1), norm_branch_first: bool = False,
             softmax: bool = False) -> Setup:
    """FinalMLP on click logs (batch 64), binary cross-entropy, Adam lr 1e-3 (the reference configs'); Linear weights
    Xavier-uniform and zero biases, norm layers ones and zeros, by an ``init_weights`` applied with ``model.apply``.
    ``norm_branch_first``: that function's first branch, meant for the norm layers, tests ``isinstance(m,
    (nn.LayerNorm, nn.BatchNorm1d, nn.Linear))``, so every Linear gets weight 1 and bias 0 and its own ``elif``
    branch is never reached. ``depth``: stream 1's ReLU layers (PyTorch's default init when the init is not
    applied: ``depth > 2``)."""
    torch.manual_seed(seed)
    model = M.FinalMLP(depth=depth)
    norms = (nn.LayerNorm, nn.BatchNorm1d) + ((nn.Linear,) if norm_branch_first else ())

    def init_weights(m: nn.Module) -> None:
        if isinstance(m, norms):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias) if m.bias is not None else None
        elif isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias) if m.bias is not None else None
    model.apply(init_weights)
    if softmax:
        model = nn.Sequential(model, nn.Unflatten(0, (-1, 1)), nn.Softmax(dim=1), nn.Flatten(0))
    loss = F.binary_cross_entropy if softmax else F.binary_cross_entropy_with_logits
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), clicks(seed), loss)


def nsf(seed: int, lr: float = 5e-4, scale: float = 1.0, shift: float = 0.0) -> Setup:
    """The neural spline flow on two moons (batch 256), the mean negative log-likelihood, Adam at the paper's lr 5e-4
    with cosine decay over the 200 steps; ``scale``/``shift``: see :func:`moons`."""
    torch.manual_seed(seed)
    model = NSF()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200)
    return _xy(model, opt, moons(seed, scale=scale, shift=shift), lambda out, _: out.mean(), sched=sched)
