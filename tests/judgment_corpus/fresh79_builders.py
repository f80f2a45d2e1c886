"""Builders of the eightieth held-out batch (``fresh79.py``): control, reinforcement-learning-style supervised
objectives (behaviour cloning, value regression, world models) and physics-informed networks new to the corpus at
their usual settings, and broken variants with one real fault each, plus the small data sets they train on. Written
and labelled before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(790_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7900 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _mlp(sizes: list[int], act: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def _relu_bias(model: nn.Module, bias: float | None) -> None:
    """Every hidden Linear's bias (each one followed by a ReLU) set to ``bias``: dead units."""
    if bias is None:
        return
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Sequential):
                mods = list(m)
                for a, b in itertools.pairwise(mods):
                    if isinstance(a, nn.Linear) and isinstance(b, nn.ReLU):
                        a.bias.fill_(bias)


# ---- QR-DQN: distributional value regression -------------------------------------------------------------------------

def returns(seed: int, batch: int = 64, d: int = 8, actions: int = 4, samples: int = 8) -> Callable[[int], Any]:
    """Transitions of a contextual bandit with skewed returns: states N(0, 1) of 8 dimensions, an action drawn
    uniformly of 4, and 8 sampled returns each ``s . w_a + 0.5 (Exp(1) - 1)`` (``w`` fixed):
    ``((states, actions), returns (b, 8))``."""
    w = torch.randn(d, actions, generator=_fixed(1)) / math.sqrt(d) * 2.0

    def make(g: torch.Generator, _: int) -> Any:
        s = torch.randn(batch, d, generator=g)
        a = torch.randint(0, actions, (batch,), generator=g)
        mean = (s @ w).gather(1, a[:, None])
        noise = -torch.log(torch.rand(batch, samples, generator=g).clamp_min(1e-12)) - 1.0
        return (s, a), mean + 0.5 * noise
    return _pool(seed, make)


class QRDQN(nn.Module):
    """QR-DQN's network (Dabney et al. 2018) narrowed to a state-vector MLP: two ReLU layers of 64, ``actions x N``
    quantile outputs (N = 32); the forward returns the taken action's quantiles ``(b, N)``."""

    def __init__(self, d: int = 8, actions: int = 4, quantiles: int = 32) -> None:
        super().__init__()
        self.actions, self.quantiles = actions, quantiles
        self.net = _mlp([d, 64, 64, actions * quantiles])

    def forward(self, inputs: Any) -> torch.Tensor:
        s, a = inputs
        q = self.net(s).view(-1, self.actions, self.quantiles)
        return q[torch.arange(q.shape[0]), a]


def quantile_huber(q: torch.Tensor, targets: torch.Tensor, kappa: float = 1.0) -> torch.Tensor:
    """QR-DQN's quantile Huber loss: ``tau_hat_i = (2i + 1) / 2N``; the Huber loss of every (target sample,
    quantile) pair weighted by ``|tau_hat - 1{u < 0}|``, averaged over the target samples, summed over the quantiles
    and divided by N."""
    n = q.shape[1]
    tau = (torch.arange(n, dtype=q.dtype) + 0.5) / n
    u = targets[:, :, None] - q[:, None, :]
    huber = torch.where(u.abs() <= kappa, 0.5 * u ** 2, kappa * (u.abs() - 0.5 * kappa))
    return ((tau - (u.detach() < 0).float()).abs() * huber / kappa).mean(1).sum(1).mean() / n * 4


def qr_dqn(seed: int, lr: float = 1e-3) -> Setup:
    """QR-DQN on the bandit's sampled returns (batch 64), the quantile Huber loss (kappa 1), Adam with the paper's eps
    ``0.01 / 32`` at lr 1e-3 (the paper's 5e-5 is for 50M frames; set here)."""
    torch.manual_seed(790_000 + seed)
    model = QRDQN()
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=0.01 / 32)
    return _xy(model, opt, returns(seed), quantile_huber)


# ---- RvS-R: outcome-conditioned behaviour cloning --------------------------------------------------------------------

def rvs_data(seed: int, batch: int = 64, d: int = 8, act: int = 2, shuffled: bool = False) -> Callable[[int], Any]:
    """Demonstrations conditioned on a return-to-go: states N(0, 1) of 8, the normalised return-to-go U(-1, 1), the
    action ``tanh(A s + b g)`` of 2 (``A``, ``b`` fixed) plus N(0, 0.05^2): ``((states, rtg), actions)``;
    ``shuffled``: the actions permuted within every batch, apart from their states."""
    fg = _fixed(2)
    amat = torch.randn(d, act, generator=fg) / math.sqrt(d) * 1.5
    bvec = torch.randn(1, act, generator=fg) * 1.5

    def make(g: torch.Generator, _: int) -> Any:
        s = torch.randn(batch, d, generator=g)
        rtg = 2 * torch.rand(batch, 1, generator=g) - 1
        a = torch.tanh(s @ amat + rtg * bvec) + 0.05 * torch.randn(batch, act, generator=g)
        return (s, rtg), a[torch.randperm(batch, generator=g)] if shuffled else a
    return _pool(seed, make)


class RvS(nn.Module):
    """RvS-R (Emmons et al. 2022): an MLP on the state concatenated with the outcome (the return-to-go), ReLU layers
    (the paper's two of 1024 narrowed to 256; ``layers`` of them), a linear action head."""

    def __init__(self, d: int = 8, act: int = 2, width: int = 256, layers: int = 2) -> None:
        super().__init__()
        self.net = _mlp([d + 1] + [width] * layers + [act])

    def forward(self, inputs: Any) -> torch.Tensor:
        s, rtg = inputs
        return self.net(torch.cat([s, rtg], -1))


def rvs(seed: int, lr: float = 1e-3, layers: int = 2, zero_init: bool = False, relu_bias: float | None = None,
        weight_decay: float = 0.0, shuffled: bool = False) -> Setup:
    """RvS-R on the return-conditioned demonstrations (batch 64), MSE, Adam at the paper's lr 1e-3; ``layers``: the
    hidden layers (at PyTorch's default init); ``zero_init``: every weight and bias 0; ``relu_bias``: every hidden bias
    set to it; ``weight_decay``: Adam's coupled (L2) weight decay; ``shuffled``: see :func:`rvs_data`."""
    torch.manual_seed(790_000 + seed)
    model = RvS(layers=layers)
    if zero_init:
        with torch.no_grad():
            for p in model.parameters():
                p.zero_()
    _relu_bias(model, relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, rvs_data(seed, shuffled=shuffled), F.mse_loss)


# ---- AWR: advantage-weighted regression ------------------------------------------------------------------------------

def awr_data(seed: int, batch: int = 64, d: int = 10, act: int = 3) -> Callable[[int], Any]:
    """Replay samples of a noisy behaviour policy: states N(0, 1) of 10, actions ``tanh(W s) + 0.5 eps`` of 3, and
    their advantages ``1 - |eps|^2 / 3`` (the closer to the good policy, the better): ``(states, (actions,
    advantages))``."""
    w = torch.randn(d, act, generator=_fixed(3)) / math.sqrt(d) * 1.5

    def make(g: torch.Generator, _: int) -> Any:
        s = torch.randn(batch, d, generator=g)
        eps = torch.randn(batch, act, generator=g)
        a = torch.tanh(s @ w) + 0.5 * eps
        return s, (a, 1.0 - (eps ** 2).sum(1) / act)
    return _pool(seed, make)


class AWRPolicy(nn.Module):
    """AWR's policy (Peng et al. 2019): an MLP of ReLU layers of 128 and 64 (``hidden`` more of 64 at PyTorch's
    default init for the depth case) to the mean of a Gaussian of fixed standard deviation 0.2."""

    def __init__(self, d: int = 10, act: int = 3, hidden: int = 0) -> None:
        super().__init__()
        self.net = _mlp([d, 128, 64] + [64] * hidden + [act])

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.net(s)


def awr_loss(mean: torch.Tensor, target: Any, beta: float = 1.0, w_max: float = 20.0, std: float = 0.2
             ) -> torch.Tensor:
    """AWR's policy step: the Gaussian negative log-likelihood of each action weighted by ``min(exp(A / beta),
    w_max)`` (beta 1, the paper's weight clip 20), averaged."""
    a, adv = target
    nll = (0.5 * ((a - mean) / std) ** 2 + math.log(std) + 0.5 * math.log(2 * math.pi)).sum(1)
    return (torch.exp(adv / beta).clamp(max=w_max) * nll).mean()


def awr(seed: int, lr: float = 1e-3, hidden: int = 0, relu_bias: float | None = None,
        weight_decay: float = 0.0) -> Setup:
    """AWR's policy regression on the replay samples (batch 64), the advantage-weighted Gaussian NLL, Adam at lr 1e-3
    (the paper's SGD with momentum at 5e-5 is for a million samples; set here); ``hidden``, ``relu_bias``: see
    :class:`AWRPolicy` and :func:`_relu_bias`; ``weight_decay``: AdamW with that decay."""
    torch.manual_seed(790_000 + seed)
    model = AWRPolicy(hidden=hidden)
    _relu_bias(model, relu_bias)
    if weight_decay:
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, awr_data(seed), awr_loss)


# ---- PlaNet's RSSM (deterministic path): a recurrent world model -----------------------------------------------------

def spring_rollouts(seed: int, batch: int = 16, length: int = 16) -> Callable[[int], Any]:
    """Rollouts of a damped mass on a spring pushed by random forces (``x'' = -4 x - 0.3 x' + u``, dt 0.1): the
    observations ``(x, v)`` plus N(0, 0.02^2), the forces U(-1, 1), and a sparse reward class (1 when ``|x| > 1.0``
    after the step, else 0): ``((obs (b, T, 2), forces (b, T, 1)), (next obs (b, T, 2), rewards (b, T)))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, generator=g) * 0.4
        v = torch.randn(batch, generator=g) * 0.8
        u = 2 * torch.rand(batch, length + 1, generator=g) - 1
        xs = []
        for t in range(length + 1):
            xs.append(torch.stack([x, v], -1))
            acc = -4 * x - 0.3 * v + u[:, t]
            v = v + 0.1 * acc
            x = x + 0.1 * v
        states = torch.stack(xs, 1)
        obs = states + 0.02 * torch.randn(states.shape, generator=g)
        reward = (states[:, 1:, 0].abs() > 1.0).long()
        return (obs[:, :-1], u[:, :-1, None]), (obs[:, 1:], reward)
    return _pool(seed, make)


class RSSM(nn.Module):
    """PlaNet's recurrent state-space model (Hafner et al. 2019) narrowed to its deterministic path: the observation
    embedded by a Linear of 32 and ELU, ``h_t = GRUCell([e_t, a_t], h_(t-1))`` of 64 from zeros, and from ``h_t`` a
    decoder (ELU layer of 64) for the next observation and a reward head of two classes (no reward, reward).
    ``update_bias``: the GRU's update-gate input bias set to it."""

    def __init__(self, obs: int = 2, act: int = 1, hidden: int = 64, update_bias: float | None = None) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(obs, 32), nn.ELU())
        self.cell = nn.GRUCell(32 + act, hidden)
        self.decoder = nn.Sequential(nn.Linear(hidden, 64), nn.ELU(), nn.Linear(64, obs))
        self.reward = nn.Linear(hidden, 2)
        if update_bias is not None:
            with torch.no_grad():
                self.cell.bias_ih[hidden:2 * hidden].fill_(update_bias)
                self.cell.bias_hh[hidden:2 * hidden].zero_()

    def forward(self, inputs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        obs, act = inputs
        h = obs.new_zeros(obs.shape[0], self.cell.hidden_size)
        hs = []
        for t in range(obs.shape[1]):
            h = self.cell(torch.cat([self.embed(obs[:, t]), act[:, t]], -1), h)
            hs.append(h)
        hh = torch.stack(hs, 1)
        return self.decoder(hh), self.reward(hh)


def rssm_loss(ignore_index: int = -100) -> Callable[[Any, Any], torch.Tensor]:
    """The next observation's MSE plus the reward classes' cross-entropy (with ``ignore_index``)."""
    def loss(out: Any, target: Any) -> torch.Tensor:
        pred, logits = out
        nxt, reward = target
        ce = F.cross_entropy(logits.reshape(-1, 2), reward.reshape(-1), ignore_index=ignore_index)
        return F.mse_loss(pred, nxt) * 10 + ce
    return loss


def rssm(seed: int, lr: float = 1e-3, update_bias: float | None = None, ignore_index: int = -100) -> Setup:
    """The RSSM's deterministic path on the spring rollouts (batch 16 of 16 steps), 10 x the next observation's MSE
    plus the reward cross-entropy, Adam at PlaNet's lr 1e-3 and eps 1e-4 with its gradient clip 1000; ``update_bias``:
    see :class:`RSSM`; ``ignore_index``: passed to the reward's cross-entropy."""
    torch.manual_seed(790_000 + seed)
    model = RSSM(update_bias=update_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-4)
    return _xy(model, opt, spring_rollouts(seed), rssm_loss(ignore_index), clip=1000.0)


# ---- World Models' MDN-RNN -------------------------------------------------------------------------------------------

def latent_rollouts(seed: int, batch: int = 16, length: int = 16, z: int = 4, act: int = 2) -> Callable[[int], Any]:
    """Latent rollouts of variable length (10 to 16 steps; the rest NaN, as a recorder stores the frames of an episode
    that has ended): ``z_(t+1) = tanh(1.2 W z_t + B a_t) + N(0, 0.05^2)`` with ``W`` orthogonal, actions U(-1, 1) of 2:
    ``((latents, actions), (next latents, valid mask))`` with the inputs' NaNs zero-filled by the loader and the
    targets' kept."""
    fg = _fixed(5)
    wmat = torch.linalg.qr(torch.randn(z, z, generator=fg))[0]
    bmat = torch.randn(act, z, generator=fg) * 0.8

    def make(g: torch.Generator, _: int) -> Any:
        zs = [torch.rand(batch, z, generator=g) * 2 - 1]
        a = 2 * torch.rand(batch, length, act, generator=g) - 1
        for t in range(length):
            zs.append(torch.tanh(1.2 * zs[-1] @ wmat + a[:, t] @ bmat) + 0.05 * torch.randn(batch, z, generator=g))
        seq = torch.stack(zs, 1)
        lengths = torch.randint(10, length + 1, (batch,), generator=g)
        valid = torch.arange(length)[None] < lengths[:, None]
        seq[:, 1:][~valid] = float("nan")
        inputs = torch.where(valid[..., None], seq[:, :-1], 0.0)
        return (inputs, a * valid[..., None]), (seq[:, 1:], valid)
    return _pool(seed, make)


class MDNRNN(nn.Module):
    """World Models' MDN-RNN (Ha and Schmidhuber 2018): an LSTM of 64 (the paper's 256) over ``[z_t, a_t]`` and a
    mixture density head of 5 Gaussians per latent dimension (logits, means, log standard deviations; ``sigma_relu``:
    the standard deviations from a ReLU instead of ``exp``)."""

    def __init__(self, z: int = 4, act: int = 2, hidden: int = 64, k: int = 5, sigma_relu: bool = False) -> None:
        super().__init__()
        self.z, self.k, self.sigma_relu = z, k, sigma_relu
        self.lstm = nn.LSTM(z + act, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 3 * z * k)

    def forward(self, inputs: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        zs, acts = inputs
        h, _ = self.lstm(torch.cat([zs, acts], -1))
        out = self.head(h).view(*h.shape[:2], self.z, 3, self.k)
        logpi = out[..., 0, :].log_softmax(-1)
        sigma = F.relu(out[..., 2, :]) if self.sigma_relu else out[..., 2, :].exp()
        return logpi, out[..., 1, :], sigma


def mdn_loss(multiply_mask: bool = False) -> Callable[[Any, Any], torch.Tensor]:
    """The mixture's negative log-likelihood of each next latent, ``-logsumexp(log pi + log N(z | mu, sigma))``,
    averaged over the dimensions and the valid steps (the outputs and targets selected by the mask before any
    arithmetic; ``multiply_mask``: the loss computed at every step and the mask multiplied into it, summed and divided
    by its count)."""
    def loss(out: Any, target: Any) -> torch.Tensor:
        logpi, mu, sigma = out
        nxt, valid = target
        if not multiply_mask:
            logpi, mu, sigma, nxt = logpi[valid], mu[valid], sigma[valid], nxt[valid]
        x = nxt[..., None]
        logn = -0.5 * ((x - mu) / sigma) ** 2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)
        nll = -torch.logsumexp(logpi + logn, -1).mean(-1)
        if multiply_mask:
            m = valid.float()
            return (nll * m).sum() / m.sum()
        return nll.mean()
    return loss


def world_models(seed: int, lr: float = 1e-3, sigma_relu: bool = False, multiply_mask: bool = False) -> Setup:
    """The MDN-RNN on the latent rollouts (batch 16 of up to 16 steps), the mixture NLL over the valid steps, Adam at
    the paper's lr 1e-3 with its gradient clip 1.0; ``sigma_relu``: see :class:`MDNRNN`; ``multiply_mask``: see
    :func:`mdn_loss`."""
    torch.manual_seed(790_000 + seed)
    model = MDNRNN(sigma_relu=sigma_relu)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, latent_rollouts(seed), mdn_loss(multiply_mask), clip=1.0)


# ---- Behavior Transformer --------------------------------------------------------------------------------------------

K_BINS = 8


def _kmeans(x: torch.Tensor, k: int, iters: int = 20) -> torch.Tensor:
    c = x[torch.randperm(x.shape[0], generator=_fixed(6))[:k]].clone()
    for _ in range(iters):
        lab = torch.cdist(x, c).argmin(1)
        for j in range(k):
            if (lab == j).any():
                c[j] = x[lab == j].mean(0)
    return c


def _bet_policy(obs: torch.Tensor, mode: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The demonstrators' two-mode policy: ``(+-1) (1 + 0.5 tanh(o W))`` per action dimension by the mode."""
    sign = (2 * mode.float() - 1)[:, None]
    return sign * (1.0 + 0.5 * torch.tanh(obs @ w))


def bet_data(seed: int, batch: int = 32, window: int = 4, d: int = 4, act: int = 2,
             shuffled: bool = False) -> tuple[Callable[[int], Any], torch.Tensor]:
    """Windows of 4 observations of 4 (N(0, 1)) from bimodal demonstrations: the action of the last step is
    ``_bet_policy`` of that observation with a demonstrator's mode (0 or 1, shown as the sign of the window's first
    observation's first feature) plus N(0, 0.05^2); the action bins are k-means centres (k = 8) of a fixed sample:
    ``((obs windows (b, 4, 4)), (actions (b, 2), modes (b,)))`` and the centres; ``shuffled``: the actions and modes
    permuted within every batch, apart from their windows."""
    w = torch.randn(d, act, generator=_fixed(7))
    fg = _fixed(8)
    o = torch.randn(4096, d, generator=fg)
    m = torch.randint(0, 2, (4096,), generator=fg)
    centres = _kmeans(_bet_policy(o, m, w), K_BINS)

    def make(g: torch.Generator, _: int) -> Any:
        obs = torch.randn(batch, window, d, generator=g)
        mode = torch.randint(0, 2, (batch,), generator=g)
        obs[:, 0, 0] = (2 * mode.float() - 1) * (0.5 + obs[:, 0, 0].abs())
        a = _bet_policy(obs[:, -1], mode, w) + 0.05 * torch.randn(batch, act, generator=g)
        if shuffled:
            p = torch.randperm(batch, generator=g)
            a, mode = a[p], mode[p]
        return obs, (a, mode)
    return _pool(seed, make), centres


class BeT(nn.Module):
    """The Behavior Transformer (Shafiullah et al. 2022): minGPT (2 pre-LN causal layers of 64, 4 heads, GELU,
    dropout 0.1, learned positions) over the observation window, and from the last token a head of ``k`` bin logits
    and ``k`` action offsets."""

    def __init__(self, d: int = 4, act: int = 2, width: int = 64, window: int = 4, k: int = K_BINS) -> None:
        super().__init__()
        self.k, self.act = k, act
        self.inp = nn.Linear(d, width)
        self.pos = nn.Parameter(torch.zeros(1, window, width))
        layer = nn.TransformerEncoderLayer(width, 4, 4 * width, 0.1, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.gpt = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, k * (1 + act))
        self.register_buffer("causal", torch.triu(torch.full((window, window), float("-inf")), 1))
        nn.init.normal_(self.pos, std=0.02)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.gpt(self.inp(obs) + self.pos, mask=self.causal)
        out = self.head(self.ln(h[:, -1]))
        return out[:, : self.k], out[:, self.k:].view(-1, self.k, self.act)


def bet_loss(centres: torch.Tensor, gamma: float = 2.0, offset_scale: float = 1.0,
             mode_weights: bool = False) -> Callable[[Any, Any], torch.Tensor]:
    """BeT's loss: the focal loss (gamma 2) of the action's nearest bin plus the MSE of that bin's predicted offset
    to the action's residual. ``mode_weights``: the focal loss weighted by inverse class frequencies counted with
    ``torch.bincount(modes, minlength=k)``, the demonstrators' mode labels where the action bins belong."""
    def loss(out: Any, target: Any) -> torch.Tensor:
        logits, offsets = out
        a, mode = target
        bins = torch.cdist(a, centres).argmin(1)
        logp = logits.log_softmax(-1)
        lp = logp.gather(1, bins[:, None])[:, 0]
        focal = -((1 - lp.exp()) ** gamma) * lp
        if mode_weights:
            counts = torch.bincount(mode, minlength=logits.shape[1]).float()
            w = (counts.sum() / counts)[bins]
            focal_mean = (w * focal).sum() / w.sum()
        else:
            focal_mean = focal.mean()
        off = offsets[torch.arange(a.shape[0]), bins]
        return focal_mean + offset_scale * F.mse_loss(off, a - centres[bins])
    return loss


def behavior_transformer(seed: int, lr: float = 1e-3, weight_decay: float = 0.1, shuffled: bool = False,
                         mode_weights: bool = False) -> Setup:
    """BeT on the bimodal demonstrations (batch 32 of windows of 4), its focal bin loss plus the offset MSE, minGPT's
    AdamW (betas 0.9, 0.95, weight decay 0.1) at lr 1e-3 (BeT's 1e-4 is for 500 epochs; set here);
    ``shuffled``: see :func:`bet_data`; ``mode_weights``: see :func:`bet_loss`."""
    torch.manual_seed(790_000 + seed)
    batches, centres = bet_data(seed, shuffled=shuffled)
    model = BeT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    return _xy(model, opt, batches, bet_loss(centres, mode_weights=mode_weights))


# ---- Causal PINN -----------------------------------------------------------------------------------------------------

class PeriodicPINN(nn.Module):
    """A PINN for ``u(t, x)`` on a periodic domain: the periodic embedding ``[t, cos x, sin x, cos 2x, sin 2x]`` and a
    tanh MLP of 4 layers of 64 (Xavier-normal weights, zero biases)."""

    def __init__(self, width: int = 64, layers: int = 4) -> None:
        super().__init__()
        self.net = _mlp([5] + [width] * layers + [1], nn.Tanh)
        for m in self.net:
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, tx: torch.Tensor) -> torch.Tensor:
        t, x = tx[:, :1], tx[:, 1:]
        return self.net(torch.cat([t, x.cos(), x.sin(), (2 * x).cos(), (2 * x).sin()], -1))


def advection_points(seed: int, chunks: int = 16, per_chunk: int = 32, ic: int = 128) -> Callable[[int], Any]:
    """Collocation points of the advection equation on ``t in [0, 1], x in [0, 2 pi)``: 32 random points in each of 16
    time chunks (sorted by chunk) and 128 initial-condition points ``u(0, x) = sin x``: ``((residual points, ic
    points), ic values)``."""
    def make(g: torch.Generator, _: int) -> Any:
        t = (torch.arange(chunks).repeat_interleave(per_chunk) + torch.rand(chunks * per_chunk, generator=g)) / chunks
        x = 2 * math.pi * torch.rand(chunks * per_chunk, generator=g)
        x0 = 2 * math.pi * torch.rand(ic, generator=g)
        return (torch.stack([t, x], 1), torch.stack([torch.zeros(ic), x0], 1)), torch.sin(x0)[:, None]
    return _pool(seed, make)


class CausalPINN(nn.Module):
    """The causal training of Wang, Sankaran and Perdikaris (2022) for ``u_t + c u_x = 0`` (c = 2): the residual
    losses of the 16 time chunks weighted by ``w_i = exp(-eps sum_(k < i) L_k)`` (eps 1, the weights detached), plus
    100 x the initial-condition loss; the forward returns the loss terms."""

    def __init__(self, c: float = 2.0, eps: float = 1.0, chunks: int = 16) -> None:
        super().__init__()
        self.u = PeriodicPINN()
        self.c, self.eps, self.chunks = c, eps, chunks

    def forward(self, inputs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        pts, ic = inputs
        pts = pts.clone().requires_grad_(True)
        u = self.u(pts)
        du = torch.autograd.grad(u.sum(), pts, create_graph=True)[0]
        r = du[:, 0] + self.c * du[:, 1]
        chunk = (r ** 2).view(self.chunks, -1).mean(1)
        w = torch.exp(-self.eps * torch.cat([chunk.new_zeros(1), chunk.cumsum(0)[:-1]])).detach()
        return (w * chunk).mean(), self.u(ic)


def causal_pinn_loss(out: Any, u0: torch.Tensor) -> torch.Tensor:
    res, pred0 = out
    return res + 100.0 * F.mse_loss(pred0, u0)


def causal_pinn(seed: int, lr: float = 1e-3) -> Setup:
    """The causal PINN on the advection points, Adam at the paper's lr 1e-3 (its exponential decay, 0.9 every 5,000
    steps, is flat over 200)."""
    torch.manual_seed(790_000 + seed)
    model = CausalPINN()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), advection_points(seed), causal_pinn_loss)


# ---- FBPINN ----------------------------------------------------------------------------------------------------------

class FBPINN(nn.Module):
    """Finite basis PINNs (Moseley, Markham and Nissen-Meyer 2023) for ``du/dx = cos(w x)`` on ``[-2 pi, 2 pi]``
    (w = 15): 15 overlapping subdomains (overlap 0.3 of their width), each a tanh net of two layers of 16 on its
    coordinate normalised to ``[-1, 1]`` (``normalise=False``: the raw coordinate), its output unnormalised by ``1 /
    w`` and multiplied by its window (a product of two sigmoids on the subdomain's edges, scale 0.05 of the width); the
    solution ``tanh(w x) sum_j window_j NN_j`` (the paper's hard constraint ``u(0) = 0``)."""

    def __init__(self, w: float = 15.0, n: int = 15, normalise: bool = True) -> None:
        super().__init__()
        self.w, self.normalise = w, normalise
        lo, hi = -2 * math.pi, 2 * math.pi
        width = (hi - lo) / n
        centres = lo + width * (torch.arange(n) + 0.5)
        half = width * (1 + 0.3) / 2
        self.register_buffer("a", centres - half)
        self.register_buffer("b", centres + half)
        self.register_buffer("centres", centres)
        self.half, self.sigma = half, 0.05 * width
        self.nets = nn.ModuleList(_mlp([1, 16, 16, 1], nn.Tanh) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        win = torch.sigmoid((x - self.a) / self.sigma) * torch.sigmoid((self.b - x) / self.sigma)
        outs = []
        for j, net in enumerate(self.nets):
            xin = (x - self.centres[j]) / self.half if self.normalise else x
            outs.append(net(xin))
        nn_out = torch.cat(outs, 1) / self.w
        return torch.tanh(self.w * x) * (win * nn_out).sum(1, keepdim=True)


class FBPINNResidual(nn.Module):
    """The FBPINN's ODE residual ``du/dx - cos(w x)`` at the collocation points."""

    def __init__(self, normalise: bool = True) -> None:
        super().__init__()
        self.u = FBPINN(normalise=normalise)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.clone().requires_grad_(True)
        u = self.u(x)
        du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
        return du - torch.cos(self.u.w * x)


def fbpinn_points(seed: int, n: int = 400) -> Callable[[int], Any]:
    """400 collocation points drawn uniformly on ``[-2 pi, 2 pi]`` per batch: ``(points (n, 1), zeros)``."""
    def make(g: torch.Generator, _: int) -> Any:
        return (4 * torch.rand(n, 1, generator=g) - 2) * math.pi, torch.zeros(n, 1)
    return _pool(seed, make)


def fbpinn(seed: int, lr: float = 3e-3, normalise: bool = True) -> Setup:
    """The FBPINN on its collocation points, the mean squared residual, Adam at lr 3e-3 (the paper's 1e-3 is for 50,000
    steps: 0.518 -> 0.397 in 200, not learned; set here);
    ``normalise``: see :class:`FBPINN`."""
    torch.manual_seed(790_000 + seed)
    model = FBPINNResidual(normalise=normalise)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), fbpinn_points(seed), F.mse_loss)
