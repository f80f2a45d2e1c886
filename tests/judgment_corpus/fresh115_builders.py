"""Builders of the hundred-and-sixteenth held-out batch (``fresh115.py``): conditional-computation, meta-learning and
spiking models new to the corpus at their usual settings, and broken variants with one real fault each, plus the small
data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never
tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn

SEED0 = 1_150_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(SEED0 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(11_500 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _normal_init(model: nn.Module, std: float) -> None:
    """Every conv and Linear weight drawn N(0, std^2) (the init common)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)


def _shuffle(y: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    return y[torch.randperm(len(y), generator=g)]


# ---- data ------------------------------------------------------------------------------------------------------------

def _smooth(n: int, g: torch.Generator, size: int = 16) -> torch.Tensor:
    """``n`` smooth 16x16 fields (4x4 Gaussian values stretched bilinearly), unit scale."""
    t = F.interpolate(torch.randn(n, 1, 4, 4, generator=g), size=(size, size), mode="bilinear", align_corners=False)
    return t / t.flatten(1).std(1)[:, None, None, None]


def template_images(seed: int, batch: int = 32, noise: float = 0.7, scale: float = 1.0,
                    shuffled: bool = False) -> Callable[[int], Any]:
    """Ten fixed smooth grey 16x16 class templates plus N(0, 0.7^2) noise (times ``scale``): ``(images (b, 1, 16,
    16), labels)``; ``shuffled``: the labels permuted within every batch, apart from their images."""
    temp = _smooth(10, _fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        x = (temp[y] + noise * torch.randn(batch, 1, 16, 16, generator=g)) * scale
        return x, _shuffle(y, g) if shuffled else y
    return _pool(seed, make)


def token_sequences(seed: int, batch: int = 32, length: int = 16, vocab: int = 16, classes: int = 4,
                    shuffled: bool = False) -> Callable[[int], Any]:
    """Token sequences labelled by their most frequent class (``token % 4``): ``(tokens (b, 16), labels)``;
    ``shuffled``: the labels permuted within every batch, apart from their sequences."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        y = F.one_hot(x % classes, classes).sum(1).argmax(1)
        return x, _shuffle(y, g) if shuffled else y
    return _pool(seed, make)


def teacher_vectors(seed: int, batch: int = 64, d: int = 16, classes: int = 10,
                    scale: float = 1.0) -> Callable[[int], Any]:
    """Gaussian vectors labelled by a fixed linear teacher (times ``scale`` after labelling): ``(x (b, 16),
    labels)``."""
    w = torch.randn(d, classes, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, d, generator=g)
        return x * scale, (x @ w).argmax(1)
    return _pool(seed, make)


def spike_trains(seed: int, batch: int = 32, channels: int = 20, steps: int = 25,
                 classes: int = 4) -> Callable[[int], Any]:
    """Rate-coded spike trains: four fixed class patterns of firing probabilities over 20 input channels and 25 time
    steps (smooth in time, 0.02 to 0.42 a step), sampled as Bernoulli spikes: ``(spikes (b, 25, 20), labels)``."""
    raw = F.interpolate(torch.randn(classes, channels, 5, generator=_fixed(3)), size=steps, mode="linear",
                        align_corners=False)
    rates = (0.02 + 0.4 * torch.sigmoid(2 * raw)).transpose(1, 2)  # (classes, steps, channels)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return (torch.rand(batch, steps, channels, generator=g) < rates[y]).float(), y
    return _pool(seed, make)


def moving_fields(seed: int, batch: int = 16, scale: float = 1.0) -> Callable[[int], Any]:
    """Two frames of a smooth random field moving at a velocity of -2 .. 2 pixels a frame along each axis (circular),
    and the next frame as the target: ``(frames (b, 2, 16, 16), next frame (b, 1, 16, 16))``; ``scale``: the two
    input frames times that (the target not)."""
    def make(g: torch.Generator, _: int) -> Any:
        x = _smooth(batch, g)
        v = torch.randint(-2, 3, (batch, 2), generator=g)
        f1 = torch.stack([torch.roll(x[i], (int(v[i, 0]), int(v[i, 1])), (1, 2)) for i in range(batch)])
        f2 = torch.stack([torch.roll(x[i], (2 * int(v[i, 0]), 2 * int(v[i, 1])), (1, 2)) for i in range(batch)])
        return torch.cat([x, f1], 1) * scale, f2
    return _pool(seed, make)


def quadratics(seed: int, batch: int = 16, d: int = 10) -> Callable[[int], Any]:
    """Andrychowicz et al.'s optimizees: random quadratics ``f(theta) = ||W theta - y||^2`` (``W`` N(0, 1/10) 10x10,
    ``y`` N(0, 1)) and their starting points ``theta_0`` N(0, 1): ``((W, y, theta_0), None)``."""
    def make(g: torch.Generator, _: int) -> Any:
        w = torch.randn(batch, d, d, generator=g) / math.sqrt(d)
        y = torch.randn(batch, d, generator=g)
        return (w, y, torch.randn(batch, d, generator=g)), torch.zeros(batch)
    return _pool(seed, make)


# ---- BranchyNet ------------------------------------------------------------------------------------------------------

class BranchyNet(nn.Module):
    """BranchyNet (Teerapittayanon, McDanel and Kung 2016), narrowed from B-LeNet: a trunk of three 3x3 conv layers
    (16, 32, 32 channels, ReLU, the first two max-pooled) with two side branches (after the first conv: a 3x3 conv of
    16 and a Linear; after the second: a Linear) and the main exit; ``forward`` returns the three exits' logits.
    ``bias``: every conv before a ReLU given that bias (the activation common)."""

    def __init__(self, classes: int = 10, bias: float | None = None) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, 1, 1)
        self.b1 = nn.Conv2d(16, 16, 3, 1, 1)
        self.e1 = nn.Linear(16 * 16, classes)
        self.c2 = nn.Conv2d(16, 32, 3, 1, 1)
        self.e2 = nn.Linear(32 * 16, classes)
        self.c3 = nn.Conv2d(32, 32, 3, 1, 1)
        self.e3 = nn.Linear(32 * 16, classes)
        if bias is not None:
            for m in (self.c1, self.b1, self.c2, self.c3):
                nn.init.constant_(m.bias, bias)

    def forward(self, x: torch.Tensor) -> Any:
        h1 = F.max_pool2d(F.relu(self.c1(x)), 2)  # (b, 16, 8, 8)
        o1 = self.e1(F.adaptive_avg_pool2d(F.relu(self.b1(h1)), 4).flatten(1))
        h2 = F.max_pool2d(F.relu(self.c2(h1)), 2)  # (b, 32, 4, 4)
        o2 = self.e2(h2.flatten(1))
        o3 = self.e3(F.relu(self.c3(h2)).flatten(1))
        return o1, o2, o3


def branchy_loss(out: Any, y: torch.Tensor) -> torch.Tensor:
    """BranchyNet's joint loss: the weighted sum of the exits' cross-entropies (weight 1 each)."""
    return sum(F.cross_entropy(o, y) for o in out)


# ---- SkipNet ---------------------------------------------------------------------------------------------------------

def _bn(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


class _Block(nn.Module):
    def __init__(self, c: int, bn: bool) -> None:
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), _bn(c, bn), nn.ReLU(),
                               nn.Conv2d(c, c, 3, 1, 1, bias=False), _bn(c, bn))
        self.gate = nn.Linear(c, 1)

    def forward(self, x: torch.Tensor, ste: str) -> torch.Tensor:
        p = torch.sigmoid(self.gate(x.mean((2, 3))))  # (b, 1)
        hard = (p > 0.5).float()
        g = hard + p.detach() - p if ste == "flipped" else hard + p - p.detach()
        return F.relu(x + g[:, :, None, None] * self.f(x))


class SkipNet(nn.Module):
    """SkipNet (Wang et al. 2018), narrowed: a CIFAR ResNet of four basic blocks of 16 channels (conv-BN-ReLU-conv-BN,
    the stem a stride-2 conv-BN-ReLU of 16, so the blocks run at 8x8), each block behind a feed-forward gate (global
    average pool, a Linear, a sigmoid; the block runs where ``p > 0.5``), trained in the paper's supervised
    pre-training stage with the hard gate passed straight through (``hard + p - p.detach()``); a global pool and a
    Linear head. ``bn=False``: every BatchNorm removed (the normalization common, at ``blocks=8``);
    ``ste="flipped"``: the straight-through written ``hard + p.detach() - p`` (a slip written and dropped: it
    learned)."""

    def __init__(self, c: int = 16, blocks: int = 4, classes: int = 10, ste: str = "ok", bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, c, 3, 2, 1, bias=False), _bn(c, bn), nn.ReLU())
        self.blocks = nn.ModuleList(_Block(c, bn) for _ in range(blocks))
        self.head = nn.Linear(c, classes)
        self.ste = ste

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        for b in self.blocks:
            h = b(h, self.ste)
        return self.head(h.mean((2, 3)))


# ---- Mixture-of-Depths -----------------------------------------------------------------------------------------------

class _TBlock(nn.Module):
    """A pre-LN Transformer block's two residual branches: ``delta(x) = block(x) - x``."""

    def __init__(self, d: int, heads: int = 4, ln: bool = True) -> None:
        super().__init__()
        self.ln1, self.ln2 = (nn.LayerNorm(d), nn.LayerNorm(d)) if ln else (nn.Identity(), nn.Identity())
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x)
        a = self.attn(h, h, h, need_weights=False)[0]
        return a + self.mlp(self.ln2(x + a))


class MoD(nn.Module):
    """Mixture-of-Depths (Raposo et al. 2024), narrowed: a pre-LN Transformer of width 32, four blocks of four heads,
    every other block routed: a Linear router scores each token, the top ``capacity`` (50% here, 12.5% in the paper)
    of the sequence's tokens go through the block (attending among themselves) and are updated ``x + r * delta``, the
    rest skip it; a final LayerNorm, mean pooling and a Linear head."""

    def __init__(self, vocab: int = 16, d: int = 32, layers: int = 4, classes: int = 4, length: int = 16,
                 capacity: float = 0.5, ln: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(0.02 * torch.randn(length, d))
        self.blocks = nn.ModuleList(_TBlock(d, ln=ln) for _ in range(layers))
        self.routers = nn.ModuleList(nn.Linear(d, 1) for _ in range(layers // 2))
        self.ln = nn.LayerNorm(d) if ln else nn.Identity()
        self.head = nn.Linear(d, classes)
        self.k = int(capacity * length)

    def forward(self, tok: torch.Tensor) -> torch.Tensor:
        x = self.emb(tok) + self.pos
        for i, blk in enumerate(self.blocks):
            if i % 2 == 0:
                x = x + blk(x)
                continue
            r = self.routers[i // 2](x).squeeze(-1)  # (b, t)
            idx = r.topk(self.k, dim=1).indices.sort(1).values
            sel = x.gather(1, idx[..., None].expand(-1, -1, x.shape[-1]))
            upd = sel + r.gather(1, idx)[..., None] * blk(sel)
            x = x.scatter(1, idx[..., None].expand(-1, -1, x.shape[-1]), upd)
        return self.head(self.ln(x).mean(1))


# ---- PonderNet -------------------------------------------------------------------------------------------------------

class PonderNet(nn.Module):
    """PonderNet (Banino, Balaguer and Blundell 2021), narrowed: a GRU cell of 64 as the step function, run on the
    same input for up to N = 6 steps from a zero state; each step an output head (Linear to the 10 classes) and a
    halting head ``lambda_n = sigmoid(Linear(h))``, ``lambda_N = 1``; ``forward`` returns the per-step logits and the
    halting distribution ``p_n = lambda_n prod_(j<n) (1 - lambda_j)``."""

    def __init__(self, d: int = 16, hidden: int = 64, classes: int = 10, steps: int = 6) -> None:
        super().__init__()
        self.cell = nn.GRUCell(d, hidden)
        self.out = nn.Linear(hidden, classes)
        self.halt = nn.Linear(hidden, 1)
        self.steps, self.hidden = steps, hidden

    def forward(self, x: torch.Tensor) -> Any:
        h = x.new_zeros(x.shape[0], self.hidden)
        logits, lams = [], []
        for n in range(self.steps):
            h = self.cell(x, h)
            logits.append(self.out(h))
            lam = torch.sigmoid(self.halt(h)).squeeze(-1)
            lams.append(torch.ones_like(lam) if n == self.steps - 1 else lam)
        lam = torch.stack(lams, 1)  # (b, N)
        survive = torch.cumprod(torch.cat([torch.ones_like(lam[:, :1]), 1 - lam[:, :-1]], 1), 1)
        return torch.stack(logits, 1), lam * survive


def ponder_loss(beta: float = 0.01, lam_p: float = 0.2) -> Callable[[Any, torch.Tensor], torch.Tensor]:
    """PonderNet's loss: the reconstruction term ``sum_n p_n CE(y_n, y)`` plus ``beta`` times the KL of the halting
    distribution to the geometric prior of ``lam_p`` (truncated at N and renormalised), ``beta = 0.01``, ``lam_p =
    0.2`` (set here)."""
    def loss(out: Any, y: torch.Tensor) -> torch.Tensor:
        logits, p = out
        n = p.shape[1]
        prior = lam_p * (1 - lam_p) ** torch.arange(n).float()
        prior = prior / prior.sum()
        ce = F.cross_entropy(logits.flatten(0, 1), y.repeat_interleave(n), reduction="none").view(-1, n)
        kl = (p * (torch.log(p + 1e-10) - torch.log(prior))).sum(1)
        return ((p * ce).sum(1) + beta * kl).mean()
    return loss


# ---- LSNN ------------------------------------------------------------------------------------------------------------

class _Spike(torch.autograd.Function):
    """The spike ``z = H(v - A)`` and Bellec et al.'s pseudo-derivative ``gamma max(0, 1 - |v - A| / A) / A``
    (``gamma = 0.3``) in the backward; ``sign = -1``: the derivative with respect to the threshold ``A`` returned for
    ``v`` (the sign slip)."""

    @staticmethod
    def forward(ctx: Any, v: torch.Tensor, thr: torch.Tensor, sign: float) -> torch.Tensor:
        ctx.save_for_backward(v, thr)
        ctx.sign = sign
        return (v > thr).float()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Any:
        v, thr = ctx.saved_tensors
        psi = 0.3 * torch.clamp(1 - (v - thr).abs() / thr, min=0) / thr
        return ctx.sign * grad * psi, None, None


class LSNN(nn.Module):
    """The LSNN (Bellec et al. 2018), narrowed: 64 recurrent spiking neurons, 32 LIF and 32 ALIF (adaptive threshold
    ``A = b_0 + beta a``, ``beta = 1.8``, ``a <- rho a + (1 - rho) z``), membrane time constant 20 steps, adaptation
    time constant 50 steps (700 ms in the paper, for its longer tasks), ``b_0 = 1``, reset by subtraction, no
    self-connections, the pseudo-derivative of :class:`_Spike`; a leaky readout (time constant 20 steps) whose mean
    over the sequence gives the logits. ``radius``: the recurrent weights rescaled to that spectral radius (the
    recurrence common); ``sign``: see :class:`_Spike`."""

    def __init__(self, n_in: int = 20, n: int = 64, classes: int = 4, radius: float | None = None,
                 sign: float = 1.0) -> None:
        super().__init__()
        self.w_in = nn.Parameter(torch.randn(n_in, n) * 3.0 / math.sqrt(n_in))
        w = torch.randn(n, n) / math.sqrt(n)
        w.fill_diagonal_(0.0)
        if radius is not None:
            w = w * radius / torch.linalg.eigvals(w).abs().max()
        self.w_rec = nn.Parameter(w)
        self.out = nn.Linear(n, classes)
        self.n, self.sign = n, sign
        self.alpha, self.rho, self.kappa = math.exp(-1 / 20), math.exp(-1 / 50), math.exp(-1 / 20)
        self.beta = torch.cat([torch.zeros(n // 2), 1.8 * torch.ones(n - n // 2)])

    def forward(self, x: torch.Tensor) -> Any:
        b, steps, _ = x.shape
        v = x.new_zeros(b, self.n)
        a = x.new_zeros(b, self.n)
        z = x.new_zeros(b, self.n)
        y = x.new_zeros(b, self.out.out_features)
        mask = 1 - torch.eye(self.n)
        ys, zs = [], []
        for t in range(steps):
            thr = 1.0 + self.beta * a
            v = self.alpha * v + x[:, t] @ self.w_in + z @ (self.w_rec * mask) - z * thr
            a = self.rho * a + (1 - self.rho) * z
            z = _Spike.apply(v, 1.0 + self.beta * a, self.sign)
            y = self.kappa * y + self.out(z)
            ys.append(y)
            zs.append(z)
        return torch.stack(ys, 1).mean(1), torch.stack(zs, 1)


def lsnn_loss(out: Any, y: torch.Tensor) -> torch.Tensor:
    logits, _ = out
    return F.cross_entropy(logits, y)


# ---- SEW ResNet ------------------------------------------------------------------------------------------------------

class _ATan(torch.autograd.Function):
    """SpikingJelly's ATan surrogate: ``H(x)`` forward, ``alpha / 2 / (1 + (pi / 2 alpha x)^2)`` backward (``alpha =
    2``)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return (x >= 0).float()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad / (1 + (math.pi * x) ** 2)


class _IF(nn.Module):
    """A multi-step integrate-and-fire neuron (threshold 1, hard reset to 0) over the leading time axis;
    ``cancelled``: the spike written as the straight-through sum ``H(x) + (a(x) - a(x))`` with the ATan surrogate's
    primitive ``a(x) = atan(pi x) / pi + 1/2``, its ``.detach()`` left out (the slip)."""

    def __init__(self, cancelled: bool = False) -> None:
        super().__init__()
        self.cancelled = cancelled

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = torch.zeros_like(x[0])
        out = []
        for t in range(x.shape[0]):
            v = v + x[t]
            if self.cancelled:
                prim = torch.atan(math.pi * (v - 1.0)) / math.pi + 0.5
                s = (v >= 1.0).float() + (prim - prim)
            else:
                s = _ATan.apply(v - 1.0)
            v = v * (1 - s)
            out.append(s)
        return torch.stack(out)


class _TConv(nn.Module):
    """A conv (and BatchNorm) applied to every time step: ``(T, b, c, h, w)``."""

    def __init__(self, cin: int, cout: int, bn: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1, bias=not bn)
        self.bn = nn.BatchNorm2d(cout) if bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t, b = x.shape[:2]
        y = self.bn(self.conv(x.flatten(0, 1)))
        return y.view(t, b, *y.shape[1:])


class SEWResNet(nn.Module):
    """SEW ResNet (Fang et al. 2021), narrowed: T = 4 time steps of the image fed directly, a stem conv-BN-IF of 16
    channels and a max pool to 8x8, two SEW basic blocks (conv-BN-IF-conv-BN-IF) with the ADD element-wise function
    ``out = block(s) + s``, global average pooling over space and time and a Linear head. ``bn=False``: every
    BatchNorm removed (the normalization common); ``log_rate``: the logits read as the log of the head's firing
    rates (the numeric common)."""

    def __init__(self, c: int = 16, classes: int = 10, steps: int = 4, bn: bool = True,
                 log_rate: bool = False, cancelled: bool = False) -> None:
        super().__init__()
        self.steps, self.log_rate = steps, log_rate
        self.stem = _TConv(1, c, bn)
        self.blocks = nn.ModuleList(nn.ModuleList([_TConv(c, c, bn), _TConv(c, c, bn)]) for _ in range(2))
        self.sn = _IF(cancelled)
        self.head = nn.Linear(c, classes)
        self.head_sn = _IF()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.sn(self.stem(x[None].expand(self.steps, *x.shape)))
        t, b = s.shape[:2]
        s = F.max_pool2d(s.flatten(0, 1), 2).view(t, b, *s.shape[2:3], 8, 8)
        for c1, c2 in self.blocks:
            s = self.sn(c2(self.sn(c1(s)))) + s
        feat = s.mean((3, 4))  # (T, b, c)
        if self.log_rate:
            return torch.log(self.head_sn(self.head(feat)).mean(0))
        return self.head(feat).mean(0)


# ---- Dynamic Filter Network ------------------------------------------------------------------------------------------

class _Filter(torch.autograd.Function):
    """Dynamic filtering written as a Function (to save the product's memory): ``out = sum_k f_k patch_k``;
    ``swapped``: the backward returns the two inputs' gradients in the wrong order (the slip)."""

    @staticmethod
    def forward(ctx: Any, f: torch.Tensor, patches: torch.Tensor, swapped: bool) -> torch.Tensor:
        ctx.save_for_backward(f, patches)
        ctx.swapped = swapped
        return (f * patches).sum(1)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Any:
        f, patches = ctx.saved_tensors
        g = grad[:, None]
        grad_f, grad_p = g * patches, g * f
        return (grad_p, grad_f, None) if ctx.swapped else (grad_f, grad_p, None)


class DFN(nn.Module):
    """The Dynamic Filter Network (De Brabandere et al. 2016), narrowed, its dynamic-convolution form for video
    prediction: a filter-generating network (3x3 convs of 16, 32 and 32 channels, ReLU, the last two of stride 2; a
    Linear of 64 and a ReLU; a Linear to the 25 taps of a 5x5 filter, softmax-normalised) reads the two frames and
    produces a filter per sample, which the dynamic filtering layer applies to the last frame (circular padding).
    ``depth``: the filter head made ``depth`` tanh layers of 64 (the depth common); ``swapped``: see
    :class:`_Filter`."""

    def __init__(self, depth: int = 1, swapped: bool = False) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(2, 16, 3, 1, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
                                 nn.Conv2d(32, 32, 3, 2, 1), nn.ReLU(), nn.Flatten())
        head: list[nn.Module] = [nn.Linear(32 * 16, 64), nn.ReLU()]
        if depth > 1:
            head = [nn.Linear(32 * 16, 64), nn.Tanh()]
            for _ in range(depth - 1):
                head += [nn.Linear(64, 64), nn.Tanh()]
        self.head = nn.Sequential(*head, nn.Linear(64, 25))
        self.swapped = swapped

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        f = F.softmax(self.head(self.enc(frames)), -1)  # (b, 25)
        last = frames[:, 1:]
        patches = F.unfold(F.pad(last, (2, 2, 2, 2), mode="circular"), 5)  # (b, 25, 256)
        out = _Filter.apply(f[:, :, None].expand_as(patches), patches, self.swapped)
        return out.view_as(last)


# ---- learned optimiser (L2L) -----------------------------------------------------------------------------------------

class LSTMOptimizer(nn.Module):
    """Andrychowicz et al.'s learned optimiser (2016): a coordinatewise two-layer LSTM of 20 units, shared over the
    coordinates, fed the paper's preprocessed gradient (``(log|g| / p, sign g)`` where ``|g| >= e^-p``, else ``(-1,
    e^p g)``, ``p = 10``), its output times 0.1 the update. ``forward((W, y, theta_0))`` unrolls it 20 steps on the
    quadratics (the optimizee's gradients taken as inputs, their second derivatives dropped as in the paper) and
    returns the optimizee's losses ``f(theta_t)`` (b, 20)."""

    def __init__(self, hidden: int = 20, unroll: int = 20) -> None:
        super().__init__()
        self.lstm = nn.LSTM(2, hidden, num_layers=2)
        self.out = nn.Linear(hidden, 1)
        self.unroll = unroll

    @staticmethod
    def _pre(g: torch.Tensor, p: float = 10.0) -> torch.Tensor:
        big = g.abs() >= math.exp(-p)
        a = torch.where(big, g.abs().clamp(min=math.exp(-p)).log() / p, -torch.ones_like(g))
        b = torch.where(big, g.sign(), math.exp(p) * g)
        return torch.stack([a, b], -1)

    def forward(self, inp: Any) -> torch.Tensor:
        w, y, theta = inp
        b, d = theta.shape
        state = None
        losses = []
        for _ in range(self.unroll):
            r = torch.einsum("bij,bj->bi", w, theta) - y
            losses.append((r ** 2).sum(1))
            g = 2 * torch.einsum("bij,bi->bj", w, r).detach()
            o, state = self.lstm(self._pre(g).view(1, b * d, 2), state)
            theta = theta + 0.1 * self.out(o).view(b, d)
        return torch.stack(losses, 1)


def l2l_loss(losses: torch.Tensor, _: Any) -> torch.Tensor:
    """The meta-loss: the optimizee's losses summed over the unroll (weights 1), averaged here over the unroll and the
    batch of quadratics."""
    return losses.mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def branchynet(seed: int, lr: float = 1e-3, bias: float | None = None, shuffled: bool = False) -> Setup:
    """BranchyNet on the template images (batch 32), :func:`branchy_loss`, Adam at lr 1e-3 (set here); ``bias``: see
    :class:`BranchyNet`; ``shuffled``: see :func:`template_images` (unused by the cases)."""
    torch.manual_seed(SEED0 + seed)
    model = BranchyNet(bias=bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), template_images(seed, shuffled=shuffled),
               branchy_loss)


def skipnet(seed: int, lr: float = 0.1, weight_decay: float = 1e-4, ste: str = "ok", bn: bool = True,
            blocks: int = 4) -> Setup:
    """SkipNet on the template images (batch 32), cross-entropy, SGD with momentum 0.9 at lr 0.1 and weight decay
    1e-4 (the paper's CIFAR setting); ``ste``, ``bn``, ``blocks``: see :class:`SkipNet`."""
    torch.manual_seed(SEED0 + seed)
    model = SkipNet(ste=ste, bn=bn, blocks=blocks)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, template_images(seed), F.cross_entropy)


def mod(seed: int, lr: float = 1e-3, shuffled: bool = False, ln: bool = True) -> Setup:
    """Mixture-of-Depths on the majority-class sequences (batch 32), cross-entropy, AdamW at lr 1e-3, betas (0.9,
    0.95) and weight decay 0.1; ``shuffled``: see :func:`token_sequences`; ``ln=False``: every LayerNorm removed (a
    normalization common written and dropped: it learned)."""
    torch.manual_seed(SEED0 + seed)
    model = MoD(ln=ln)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    return _xy(model, opt, token_sequences(seed, shuffled=shuffled), F.cross_entropy)


def pondernet(seed: int, lr: float = 1e-3, scale: float = 1.0, adamw: bool = False,
              weight_decay: float = 0.0) -> Setup:
    """PonderNet on the teacher-labelled vectors (batch 64), :func:`ponder_loss`, Adam at lr 1e-3 (the paper's 3e-4
    raised for 200 steps); ``scale``: the inputs times that; ``adamw``: AdamW at ``weight_decay``."""
    torch.manual_seed(SEED0 + seed)
    model = PonderNet()
    opt = (torch.optim.AdamW if adamw else torch.optim.Adam)(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, teacher_vectors(seed, scale=scale), ponder_loss())


def lsnn(seed: int, lr: float = 1e-2, radius: float | None = None, sign: float = 1.0) -> Setup:
    """The LSNN on the rate-coded spike trains (batch 32), cross-entropy of the readout, Adam at lr 1e-2 (the
    paper's); ``radius``, ``sign``: see :class:`LSNN`."""
    torch.manual_seed(SEED0 + seed)
    model = LSNN(radius=radius, sign=sign)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), spike_trains(seed), lsnn_loss)


def sew_resnet(seed: int, lr: float = 1e-3, bn: bool = True, log_rate: bool = False, cancelled: bool = False) -> Setup:
    """SEW ResNet on the template images (batch 32), cross-entropy, Adam at lr 1e-3 (the paper's setting for its
    neuromorphic data sets); ``bn``, ``log_rate``: see :class:`SEWResNet`."""
    torch.manual_seed(SEED0 + seed)
    model = SEWResNet(bn=bn, log_rate=log_rate, cancelled=cancelled)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), template_images(seed), F.cross_entropy)


def dfn(seed: int, lr: float = 1e-3, init_std: float | None = None, depth: int = 1, swapped: bool = False,
        scale: float = 1.0) -> Setup:
    """The Dynamic Filter Network on the moving fields (batch 16), MSE of the predicted frame, Adam at lr 1e-3 (the
    paper's); ``init_std``: every conv and Linear weight N(0, init_std^2); ``depth``, ``swapped``: see :class:`DFN`;
    ``scale``: the input frames times that, the target frame not (the data common)."""
    torch.manual_seed(SEED0 + seed)
    model = DFN(depth=depth, swapped=swapped)
    if init_std is not None:
        _normal_init(model, init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), moving_fields(seed, scale=scale), F.mse_loss)


def l2l(seed: int, lr: float = 3e-3) -> Setup:
    """The learned optimiser meta-trained on the quadratics (16 a step, 20 unrolled steps each), :func:`l2l_loss`,
    Adam at lr 3e-3 (the paper's lr came from a random search)."""
    torch.manual_seed(SEED0 + seed)
    model = LSTMOptimizer()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), quadratics(seed), l2l_loss)
