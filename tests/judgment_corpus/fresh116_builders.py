"""Builders of the hundred-and-seventeenth held-out batch (``fresh116.py``): reinforcement-learning and control models
trained from fixed synthetic data (offline Q-learning, distributional TD, policy optimisation on logged rollouts,
diffusion behaviour cloning, latent world models and MPC dynamics models) new to the corpus at their usual settings,
and broken variants with one real fault each, plus the small data sets they train on. Written and labelled with plain
PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn

SEED0 = 1_160_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(SEED0 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(11_600 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None, clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _mlp(inp: int, width: int, out: int, layers: int = 2, act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    mods: list[nn.Module] = [nn.Linear(inp, width), act()]
    for _ in range(layers - 1):
        mods += [nn.Linear(width, width), act()]
    return nn.Sequential(*mods, nn.Linear(width, out))


def _normal_init(model: nn.Module, std: float) -> None:
    """Every conv and Linear weight drawn N(0, std^2) (the init common)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)


class _Target:
    """A target copy of some of a model's modules, held outside the model (not a parameter of it): updated by the
    optimiser's step (Polyak averaging at rate ``tau``, or a hard copy every ``every`` steps)."""

    def __init__(self, online: nn.Module, tau: float | None = None, every: int | None = None) -> None:
        self.online, self.net = online, copy.deepcopy(online)
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.tau, self.every, self.steps = tau, every, 0

    def update(self) -> None:
        self.steps += 1
        with torch.no_grad():
            if self.tau is not None:
                for t, p in zip(self.net.parameters(), self.online.parameters(), strict=True):
                    t.mul_(1 - self.tau).add_(p, alpha=self.tau)
            elif self.every is not None and self.steps % self.every == 0:
                self.net.load_state_dict(self.online.state_dict())


def _with_targets(cls: type[torch.optim.Optimizer], params: Any, targets: list[_Target], **kw: Any) -> Any:
    """An optimiser of class ``cls`` whose ``step`` then updates the target networks (the order of the reference
    codes: the gradient step, then the target update)."""

    class _Opt(cls):  # type: ignore[valid-type, misc]
        def step(self, closure: Any = None) -> Any:
            out = super().step(closure)
            for t in targets:
                t.update()
            return out
    _Opt.__name__ = cls.__name__
    return _Opt(params, **kw)


# ---- data: a point mass reaching for a goal --------------------------------------------------------------------------
#: the discrete actions: four moves of 0.25 and staying put
MOVES = torch.tensor([[0.25, 0.0], [-0.25, 0.0], [0.0, 0.25], [0.0, -0.25], [0.0, 0.0]])


def _expert(pos: torch.Tensor, goal: torch.Tensor) -> torch.Tensor:
    return (1.5 * (goal - pos)).clamp(-1, 1)


def reach_episodes(g: torch.Generator, n: int, length: int = 8, noise: float = 0.3,
                   policy: Callable[[torch.Tensor], torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """``n`` episodes of ``length`` steps of a point mass in the plane reaching for a goal: the state ``(pos, goal)``
    (starts and goals uniform in [-1, 1]^2), the action in [-1, 1]^2 moves it by ``0.25 a``, the reward is minus the
    distance to the goal after the move, the episode ends after ``length`` steps. The behaviour policy is the expert
    ``clip(1.5 (goal - pos))`` plus N(0, noise^2) (clipped), or ``policy(states)`` (actions, unclipped)."""
    pos = 2 * torch.rand(n, 2, generator=g) - 1
    goal = 2 * torch.rand(n, 2, generator=g) - 1
    s, a, r = [], [], []
    for _ in range(length):
        st = torch.cat([pos, goal], 1)
        if policy is None:
            act = (_expert(pos, goal) + noise * torch.randn(n, 2, generator=g)).clamp(-1, 1)
        else:
            act = policy(st)
        pos = pos + 0.25 * act.clamp(-1, 1)
        s.append(st)
        a.append(act)
        r.append(-(pos - goal).norm(dim=1))
    s.append(torch.cat([pos, goal], 1))
    return {"s": torch.stack(s, 1), "a": torch.stack(a, 1), "r": torch.stack(r, 1)}  # (n, T+1, 4), (n, T, 2), (n, T)


def reach_transitions(seed: int, batch: int = 128, length: int = 8) -> Callable[[int], Any]:
    """Continuous-action transitions ``(s, a, r, s', done)`` of the point mass (see :func:`reach_episodes`), logged
    by the noisy expert: ``((s, a, r, s2, d), None)`` batches of 128 (16 episodes of 8 steps)."""
    def make(g: torch.Generator, _: int) -> Any:
        ep = reach_episodes(g, batch // length, length)
        done = torch.zeros(batch // length, length)
        done[:, -1] = 1.0
        flat = (ep["s"][:, :-1].reshape(-1, 4), ep["a"].reshape(-1, 2), ep["r"].reshape(-1),
                ep["s"][:, 1:].reshape(-1, 4), done.reshape(-1))
        return flat, torch.zeros(1)
    return _pool(seed, make)


def grid_transitions(seed: int, batch: int = 128, length: int = 4, n_step: int = 1, gamma: float = 0.99,
                     greedy: float = 0.8, reward_scale: float = 1.0) -> Callable[[int], Any]:
    """Discrete-action transitions of the point mass (the five moves of :data:`MOVES`), logged by a behaviour that
    takes the move nearest the goal with probability ``greedy`` and a uniform one otherwise; with ``n_step``, the
    ``n``-step return ``sum_k gamma^k r_(t+k)`` (cut at the episode's end), the state it bootstraps from and the number
    of steps to it: ``((s, a, R, s_n, done_n, k), None)``; ``reward_scale``: the rewards times it."""
    def make(g: torch.Generator, _: int) -> Any:
        n = batch // length
        pos = 2 * torch.rand(n, 2, generator=g) - 1
        goal = 2 * torch.rand(n, 2, generator=g) - 1
        s, a, r = [], [], []
        for _t in range(length):
            best = ((pos[:, None] + MOVES[None]) - goal[:, None]).norm(dim=2).argmin(1)
            rand = torch.randint(0, 5, (n,), generator=g)
            act = torch.where(torch.rand(n, generator=g) < greedy, best, rand)
            s.append(torch.cat([pos, goal], 1))
            pos = pos + MOVES[act]
            a.append(act)
            r.append(-(pos - goal).norm(dim=1) * reward_scale)
        s.append(torch.cat([pos, goal], 1))
        S, A, R = torch.stack(s, 1), torch.stack(a, 1), torch.stack(r, 1)
        ret = torch.zeros(n, length)
        nxt = torch.zeros(n, length, 4)
        done = torch.zeros(n, length)
        k = torch.zeros(n, length)
        for t in range(length):
            steps = min(n_step, length - t)
            for j in range(steps):
                ret[:, t] += gamma ** j * R[:, t + j]
            nxt[:, t] = S[:, t + steps]
            done[:, t] = float(t + steps >= length)
            k[:, t] = steps
        return (S[:, :-1].reshape(-1, 4), A.reshape(-1), ret.reshape(-1), nxt.reshape(-1, 4), done.reshape(-1),
                k.reshape(-1)), torch.zeros(1)
    return _pool(seed, make)


def reach_windows(seed: int, batch: int = 64, horizon: int = 5, length: int = 8) -> Callable[[int], Any]:
    """Windows of ``horizon + 1`` states, ``horizon + 1`` actions and ``horizon`` rewards cut from the noisy expert's
    point-mass episodes (TD-MPC's sub-trajectories): ``((s (b, H+1, 4), a (b, H+1, 2), r (b, H)), None)``."""
    def make(g: torch.Generator, _: int) -> Any:
        ep = reach_episodes(g, batch, length)
        start = torch.randint(0, length - horizon, (batch,), generator=g)
        idx = start[:, None] + torch.arange(horizon + 1)
        s = ep["s"].gather(1, idx[..., None].expand(-1, -1, 4))
        a = ep["a"].gather(1, idx[..., None].expand(-1, -1, 2))
        r = ep["r"].gather(1, idx[:, :-1])
        return (s, a, r), torch.zeros(1)
    return _pool(seed, make)


def action_chunks(seed: int, batch: int = 64, chunk: int = 8) -> Callable[[int], Any]:
    """Diffusion Policy's data: the observation ``(pos, goal)`` and the expert's next ``chunk`` actions from it (the
    expert rolled forward, N(0, 0.05^2) noise on each action): ``(obs (b, 4), actions (b, 2, chunk))``."""
    def make(g: torch.Generator, _: int) -> Any:
        pos = 2 * torch.rand(batch, 2, generator=g) - 1
        goal = 2 * torch.rand(batch, 2, generator=g) - 1
        obs, acts, p = torch.cat([pos, goal], 1), [], pos
        for _t in range(chunk):
            act = (_expert(p, goal) + 0.05 * torch.randn(batch, 2, generator=g)).clamp(-1, 1)
            p = p + 0.25 * act
            acts.append(act)
        return obs, torch.stack(acts, 2)
    return _pool(seed, make)


def _render(pos: torch.Tensor, size: int = 8, width: float = 0.3) -> torch.Tensor:
    """The E2C plane task's image: a Gaussian blob at ``pos`` (in [-1, 1]^2) on a ``size x size`` grid, in [0, 1]."""
    c = torch.linspace(-1, 1, size)
    yy, xx = torch.meshgrid(c, c, indexing="ij")
    d2 = (xx - pos[:, 0, None, None]) ** 2 + (yy - pos[:, 1, None, None]) ** 2
    return torch.exp(-d2 / (2 * width ** 2)).reshape(len(pos), -1)


def plane_images(seed: int, batch: int = 64) -> Callable[[int], Any]:
    """E2C's plane task narrowed: a point in [-1, 1]^2 rendered as an 8x8 image, a random control ``u`` in [-1, 1]^2
    moving it by ``0.2 u`` (clamped to the plane): ``((x, u, x'), None)``."""
    def make(g: torch.Generator, _: int) -> Any:
        pos = 1.8 * torch.rand(batch, 2, generator=g) - 0.9
        u = 2 * torch.rand(batch, 2, generator=g) - 1
        nxt = (pos + 0.2 * u).clamp(-1, 1)
        return (_render(pos), u, _render(nxt)), torch.zeros(1)
    return _pool(seed, make)


def car_transitions(seed: int, batch: int = 128, raw: bool = False, shuffled: bool = False) -> Callable[[int], Any]:
    """MB-MF's data narrowed to a kinematic car: the state ``(x, y, heading, speed)`` (positions U(-5, 5) m, heading
    U(-pi, pi), speed U(0, 2) m/s), the action ``(acceleration U(-1, 1), steering U(-0.5, 0.5))``, one step of 0.1 s
    (wheelbase 0.5 m) with N(0, 0.01^2) noise on the change: ``((state, action), change)``; ``raw``: the readings in the
    logger's units (millimetres, degrees, mm/s); ``shuffled``: the changes permuted within every batch."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.stack([10 * torch.rand(batch, generator=g) - 5, 10 * torch.rand(batch, generator=g) - 5,
                         2 * math.pi * torch.rand(batch, generator=g) - math.pi, 2 * torch.rand(batch, generator=g)], 1)
        u = torch.stack([2 * torch.rand(batch, generator=g) - 1, torch.rand(batch, generator=g) - 0.5], 1)
        h, v = x[:, 2], x[:, 3]
        d = 0.1 * torch.stack([v * torch.cos(h), v * torch.sin(h), v * torch.tan(u[:, 1]) / 0.5, u[:, 0]], 1)
        d = d + 0.01 * torch.randn(d.shape, generator=g)
        if raw:
            units = torch.tensor([1000.0, 1000.0, 180 / math.pi, 1000.0])
            x, d = x * units, d * units
        if shuffled:
            d = d[torch.randperm(batch, generator=g)]
        return (x, u), d
    return _pool(seed, make)


# ---- models and losses -----------------------------------------------------------------------------------------------

class IQL(nn.Module):
    """Implicit Q-Learning (Kostrikov, Nair and Levine 2022), narrowed: twin Q networks, a value network and a
    deterministic policy, each an MLP of two ReLU layers of 64 (the paper's 256); the target Qs held outside as a
    Polyak copy (rate 0.005)."""

    def __init__(self) -> None:
        super().__init__()
        self.q1, self.q2 = _mlp(6, 64, 1), _mlp(6, 64, 1)
        self.v = _mlp(4, 64, 1)
        self.pi = nn.Sequential(_mlp(4, 64, 2), nn.Tanh())
        self.target: _Target | None = None

    def forward(self, batch: Any) -> Any:
        return self, batch


class IQLLoss:
    """IQL's three losses summed (their parameters are disjoint): the expectile regression of ``V(s)`` on the target
    ``min Q(s, a)`` at ``tau = 0.7``, the Qs' TD regression on ``r + gamma (1 - d) V(s')`` (gamma 0.99), and the
    advantage-weighted regression of the policy, weights ``exp(beta (Q - V))`` clipped at 100, beta 3 (a fixed-std
    Gaussian policy's log-likelihood: the squared error of its mean)."""

    def __init__(self, gamma: float = 0.99, expectile: float = 0.7, beta: float = 3.0) -> None:
        self.gamma, self.expectile, self.beta = gamma, expectile, beta

    def __call__(self, out: Any, _: Any) -> torch.Tensor:
        m, (s, a, r, s2, d) = out
        sa = torch.cat([s, a], 1)
        with torch.no_grad():
            tq = m.target.net
            qt = torch.minimum(tq[0](sa), tq[1](sa)).squeeze(1)
        v = m.v(s).squeeze(1)
        u = qt - v
        lv = ((self.expectile - (u < 0).float()).abs() * u ** 2).mean()
        with torch.no_grad():
            y = r + self.gamma * (1 - d) * m.v(s2).squeeze(1)
        lq = F.mse_loss(m.q1(sa).squeeze(1), y) + F.mse_loss(m.q2(sa).squeeze(1), y)
        w = torch.exp(self.beta * u.detach()).clamp(max=100.0)
        lpi = (w * ((m.pi(s) - a) ** 2).sum(1)).mean()
        return lv + lq + lpi


class CQLNet(nn.Module):
    """CQL's Q network (Kumar et al. 2020, the discrete-action CQL(H) on a DQN), narrowed: an MLP of two ReLU layers
    of 64 to the five actions' values; ``bias``: every hidden layer's bias set to that value (the activation common)."""

    def __init__(self, bias: float | None = None) -> None:
        super().__init__()
        self.q = _mlp(4, 64, 5)
        if bias is not None:
            for m in list(self.q)[:-1]:
                if isinstance(m, nn.Linear):
                    nn.init.constant_(m.bias, bias)
        self.target: _Target | None = None

    def forward(self, batch: Any) -> Any:
        return self, batch


class CQLLoss:
    """CQL(H): the DQN's Huber TD loss on ``n``-step targets ``R + gamma^k (1 - d) max_a' Q_target(s_n, a')`` plus
    ``alpha (logsumexp_a Q(s, a) - Q(s, a_data))``, alpha 1; ``gamma_times_n``: the bootstrap's discount written
    ``gamma * k`` where ``gamma ** k`` belongs (a slip); ``inverted_done``: the bootstrap masked by ``done`` where
    ``1 - done`` belongs, so that the episodes' last transitions bootstrap and the others do not (a slip)."""

    def __init__(self, gamma: float = 0.99, alpha: float = 1.0, gamma_times_n: bool = False,
                 inverted_done: bool = False) -> None:
        self.gamma, self.alpha, self.gamma_times_n, self.inverted_done = gamma, alpha, gamma_times_n, inverted_done

    def __call__(self, out: Any, _: Any) -> torch.Tensor:
        m, (s, a, ret, s2, d, k) = out
        q = m.q(s)
        qa = q.gather(1, a[:, None]).squeeze(1)
        disc = self.gamma * k if self.gamma_times_n else self.gamma ** k
        with torch.no_grad():
            live = d if self.inverted_done else 1 - d
            y = ret + disc * live * m.target.net(s2).max(1).values
        return F.smooth_l1_loss(qa, y) + self.alpha * (torch.logsumexp(q, 1) - qa).mean()


class IQN(nn.Module):
    """IQN (Dabney et al. 2018), narrowed: a torso of two ReLU layers of 64 on the state, the quantile fractions
    embedded by ``ReLU(Linear(cos(pi i tau), i = 0 .. 63))``, the Hadamard product, a ReLU layer of 64 and the five
    actions' quantiles; the target copy held outside (a hard copy every 20 steps)."""

    def __init__(self) -> None:
        super().__init__()
        self.torso = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.phi = nn.Linear(64, 64)
        self.head = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 5))
        self.target: _Target | None = None

    def quantiles(self, s: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        """``(b, n, 5)`` quantile values at the fractions ``tau (b, n)``."""
        cos = torch.cos(math.pi * torch.arange(64).float() * tau[..., None])
        return self.head(self.torso(s)[:, None] * F.relu(self.phi(cos)))

    def forward(self, batch: Any) -> Any:
        return self, batch


class IQNLoss:
    """IQN's loss: ``N = N' = 32`` fractions drawn per sample (Dopamine's 64 narrowed; drawn from a generator seeded
    by the batch's first state, so that the loss of a batch is deterministic), the greedy next action by the target's
    mean over ``K = 32`` fractions, the quantile Huber loss ``|tau - 1(u < 0)| L_kappa(u) / kappa`` (Dopamine's
    form), summed over the online fractions and averaged over the target ones and the batch; gamma 0.99, kappa 1
    (``kappa``: the threshold, which the loss divides by)."""

    def __init__(self, gamma: float = 0.99, kappa: float = 1.0) -> None:
        self.gamma, self.kappa = gamma, kappa

    def __call__(self, out: Any, _: Any) -> torch.Tensor:
        m, (s, a, r, s2, d, _k) = out
        b = len(s)
        g = torch.Generator().manual_seed(int(s[0, 0].item() * 1e6) % (2 ** 31))
        tau = torch.rand(b, 32, generator=g)
        tau2 = torch.rand(b, 32, generator=g)
        tau_k = torch.rand(b, 32, generator=g)
        z = m.quantiles(s, tau).gather(2, a[:, None, None].expand(b, 32, 1)).squeeze(2)  # (b, 32)
        with torch.no_grad():
            tn = m.target.net
            best = tn.quantiles(s2, tau_k).mean(1).argmax(1)
            z2 = tn.quantiles(s2, tau2).gather(2, best[:, None, None].expand(b, 32, 1)).squeeze(2)
            y = r[:, None] + self.gamma * (1 - d[:, None]) * z2  # (b, 32)
        u = y[:, None, :] - z[:, :, None]  # (b, online 32, target 32)
        k = self.kappa
        huber = torch.where(u.abs() <= k, 0.5 * u ** 2, k * (u.abs() - 0.5 * k))
        rho = (tau[:, :, None] - (u.detach() < 0).float()).abs() * huber / k
        return rho.mean(2).sum(1).mean()


class PPO(nn.Module):
    """PPO's actor-critic for continuous control (Schulman et al. 2017, CleanRL's MuJoCo setting): separate actor and
    critic MLPs of two tanh layers of 64, orthogonal init (gain sqrt 2, the actor's output 0.01, the critic's 1), a
    state-independent log-std from zero."""

    def __init__(self) -> None:
        super().__init__()
        self.actor, self.critic = _mlp(4, 64, 2, act=nn.Tanh), _mlp(4, 64, 1, act=nn.Tanh)
        self.log_std = nn.Parameter(torch.zeros(2))
        for net, last in ((self.actor, 0.01), (self.critic, 1.0)):
            lins = [m for m in net if isinstance(m, nn.Linear)]
            for lin in lins:
                nn.init.orthogonal_(lin.weight, math.sqrt(2) if lin is not lins[-1] else last)
                nn.init.zeros_(lin.bias)

    def forward(self, batch: Any) -> Any:
        return self, batch

    def dist(self, s: torch.Tensor) -> torch.distributions.Normal:
        return torch.distributions.Normal(self.actor(s), self.log_std.exp())


class PPOLoss:
    """PPO's loss on one logged rollout of its initial policy: GAE (gamma 0.99, lambda 0.95) from the critic's current
    values (no gradient), the advantages normalised over the minibatch, the clipped surrogate (eps 0.2) plus 0.5 times
    the value loss ``0.5 (V - R)^2`` (the entropy coefficient 0, CleanRL's MuJoCo default); ``singleton_axis``: the
    advantages, kept as a column ``(b, 1)``, normalised along its last axis (the slip)."""

    def __init__(self, gamma: float = 0.99, lam: float = 0.95, singleton_axis: bool = False) -> None:
        self.gamma, self.lam, self.singleton_axis = gamma, lam, singleton_axis

    def __call__(self, out: Any, _: Any) -> torch.Tensor:
        m, (s, a, r, logp_old) = out  # (n, T+1, 4), (n, T, 2), (n, T), (n, T)
        n, t = r.shape
        with torch.no_grad():
            v = m.critic(s).squeeze(-1)  # (n, T+1)
            v[:, -1] = 0.0  # the episode ends after T steps
            adv = torch.zeros(n, t)
            last = torch.zeros(n)
            for i in reversed(range(t)):
                delta = r[:, i] + self.gamma * v[:, i + 1] - v[:, i]
                last = delta + self.gamma * self.lam * last
                adv[:, i] = last
            ret = adv + v[:, :-1]
        adv = adv.reshape(-1, 1)
        if self.singleton_axis:
            adv = (adv - adv.mean(-1, keepdim=True)) / (adv.std(-1, keepdim=True) + 1e-8)
        else:
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        adv = adv.squeeze(1)
        logp = m.dist(s[:, :-1]).log_prob(a).sum(-1).reshape(-1)
        ratio = torch.exp(logp - logp_old.reshape(-1))
        pg = -torch.minimum(ratio * adv, ratio.clamp(0.8, 1.2) * adv).mean()
        vl = 0.5 * ((m.critic(s[:, :-1]).squeeze(-1).reshape(-1) - ret.reshape(-1)) ** 2).mean()
        return pg + 0.5 * vl


def _sinusoid(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half).float() / half)
    ang = t.float()[:, None] * freqs
    return torch.cat([ang.sin(), ang.cos()], 1)


class _CondBlock(nn.Module):
    """Diffusion Policy's ConditionalResidualBlock1D: two ``Conv1d(k=5) - GroupNorm(8) - Mish`` with FiLM (a scale
    and a bias per channel from the condition) after the first, and a 1x1 residual."""

    def __init__(self, cin: int, cout: int, cond: int) -> None:
        super().__init__()
        self.c1 = nn.Sequential(nn.Conv1d(cin, cout, 5, padding=2), nn.GroupNorm(8, cout), nn.Mish())
        self.c2 = nn.Sequential(nn.Conv1d(cout, cout, 5, padding=2), nn.GroupNorm(8, cout), nn.Mish())
        self.film = nn.Sequential(nn.Mish(), nn.Linear(cond, 2 * cout))
        self.res = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        scale, bias = self.film(c)[..., None].chunk(2, 1)
        return self.c2(scale * self.c1(x) + bias) + self.res(x)


class DiffusionPolicy(nn.Module):
    """Diffusion Policy's ConditionalUnet1D (Chi et al. 2023), narrowed: over the action chunk (2 channels x 8
    steps), a down block of 32 channels, a stride-2 down-sampling, a middle block of 64, a transposed-conv
    up-sampling, an up block on the concatenated skip and a final conv; the condition is the observation (4) and the
    diffusion step's sinusoidal embedding through an MLP (32); ``forward((noisy, k, obs))`` predicts the noise."""

    def __init__(self) -> None:
        super().__init__()
        self.temb = nn.Sequential(nn.Linear(32, 64), nn.Mish(), nn.Linear(64, 32))
        cond = 32 + 4
        self.down = _CondBlock(2, 32, cond)
        self.pool = nn.Conv1d(32, 32, 3, 2, 1)
        self.mid = _CondBlock(32, 64, cond)
        self.upsample = nn.ConvTranspose1d(64, 32, 4, 2, 1)
        self.up = _CondBlock(64, 32, cond)
        self.final = nn.Sequential(nn.Conv1d(32, 32, 5, padding=2), nn.GroupNorm(8, 32), nn.Mish(),
                                   nn.Conv1d(32, 2, 1))

    def forward(self, inp: Any) -> torch.Tensor:
        x, k, obs = inp
        c = torch.cat([self.temb(_sinusoid(k, 32)), obs], 1)
        h1 = self.down(x, c)
        h = self.mid(self.pool(h1), c)
        h = self.up(torch.cat([self.upsample(h), h1], 1), c)
        return self.final(h)


def _squaredcos_betas(steps: int = 100) -> torch.Tensor:
    """The ``squaredcos_cap_v2`` schedule (Nichol and Dhariwal's cosine schedule, betas capped at 0.999)."""
    def abar(t: float) -> float:
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    return torch.tensor([min(1 - abar((i + 1) / steps) / abar(i / steps), 0.999) for i in range(steps)])


def diffusion_batches(seed: int, steps: int = 100) -> Callable[[int], Any]:
    """DDPM training pairs on the expert's action chunks: per sample a step ``k`` uniform in 0 .. 99 and noise
    ``eps``, ``x_k = sqrt(abar_k) a + sqrt(1 - abar_k) eps``: ``((x_k, k, obs), eps)``."""
    chunks = action_chunks(seed)
    abar = torch.cumprod(1 - _squaredcos_betas(steps), 0)
    g = _gen(seed + 7)
    pool = []
    for i in range(POOL):
        obs, a = chunks(i)
        k = torch.randint(0, steps, (len(a),), generator=g)
        eps = torch.randn(a.shape, generator=g)
        ab = abar[k][:, None, None]
        pool.append(((ab.sqrt() * a + (1 - ab).sqrt() * eps, k, obs), eps))
    return lambda step: pool[step % POOL]


class E2C(nn.Module):
    """Embed to Control (Watter et al. 2015), narrowed: the plane task's encoder (two ReLU layers of 150 to the mean
    and log-variance of a 2-D latent), its Bernoulli decoder (two ReLU layers of 150 to the 64 pixels' logits) and
    the locally linear transition ``z' = A z + B u + o``, ``A = I + v r^T``, ``v, r, B, o`` from an MLP of two ReLU
    layers of 100 on ``z``; ``relu_std``: the encoder's standard deviation taken through a ReLU (the numeric common)."""

    def __init__(self, relu_std: bool = False) -> None:
        super().__init__()
        self.enc = _mlp(64, 150, 4)
        self.dec = _mlp(2, 150, 64)
        self.trans = _mlp(2, 100, 2 + 2 + 4 + 2)
        self.relu_std = relu_std

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, h = self.enc(x).chunk(2, 1)
        if self.relu_std:
            return mu, 2 * torch.log(F.relu(h))
        return mu, h

    def forward(self, batch: Any) -> Any:
        x, u, x2 = batch
        mu, logvar = self.encode(x)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=torch.Generator().manual_seed(0))
        p = self.trans(z)
        v, r, bm, o = p[:, :2], p[:, 2:4], p[:, 4:8].reshape(-1, 2, 2), p[:, 8:]
        a = torch.eye(2) + v[:, :, None] * r[:, None, :]
        z2 = (a @ z[..., None]).squeeze(-1) + (bm @ u[..., None]).squeeze(-1) + o
        mu2, logvar2 = self.encode(x2)
        return self.dec(z), self.dec(z2), mu, logvar, z2, mu2, logvar2


def e2c_loss(out: Any, batch_x: Any) -> torch.Tensor:
    """E2C's bound narrowed: the Bernoulli reconstructions of ``x`` and of ``x'`` from the predicted latent (summed
    over pixels), the KL of ``q(z | x)`` to N(0, I), and ``lambda = 0.25`` times the KL of the transition's
    prediction (the mean ``z'`` at ``q(z | x)``'s variance, the covariance propagation left out) to ``q(z' | x')``."""
    rec, rec2, mu, logvar, z2, mu2, logvar2 = out
    x, _, x2 = batch_x
    lr = F.binary_cross_entropy_with_logits(rec, x, reduction="none").sum(1)
    lr2 = F.binary_cross_entropy_with_logits(rec2, x2, reduction="none").sum(1)
    kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)
    klt = 0.5 * (logvar - logvar2 + (logvar.exp() + (z2 - mu2) ** 2) / logvar2.exp() - 1).sum(1)
    return (lr + lr2 + kl + 0.25 * klt).mean()


class MBMFDynamics(nn.Module):
    """The MB-MF dynamics model (Nagabandi et al. 2018): an MLP of two ReLU layers (narrowed to 128; the paper's 500)
    from the normalised state and action to the normalised state change; ``layers``: its ReLU layers (the depth
    common: 50, at PyTorch's default init); ``norm``: the inputs' means and stds over the training pool (None: the
    inputs as they come)."""

    def __init__(self, layers: int = 2, norm: tuple[torch.Tensor, ...] | None = None) -> None:
        super().__init__()
        self.net = _mlp(6, 128, 4, layers)
        self.norm = norm

    def forward(self, inp: Any) -> torch.Tensor:
        x = torch.cat(inp, 1)
        if self.norm is not None:
            x = (x - self.norm[0]) / self.norm[1]
        return self.net(x)


class TDMPC(nn.Module):
    """TD-MPC's TOLD model (Hansen, Wang and Su 2022), narrowed: an encoder (obs 4 -> ELU 64 -> latent 16), the latent
    dynamics ``d(z, a)``, the reward ``R(z, a)`` and the value ``Q(z, a)`` (ELU MLPs of 64; the Q's first layer
    LayerNorm + tanh as the paper); the target encoder and Q held outside as a Polyak copy (rate 0.01);
    ``dyn_gain``: the dynamics' weights multiplied by it after init (the recurrence common)."""

    def __init__(self, dyn_gain: float | None = None) -> None:
        super().__init__()
        self.enc = _mlp(4, 64, 16, 1, nn.ELU)
        self.dyn = _mlp(18, 64, 16, 1, nn.ELU)
        self.rew = _mlp(18, 64, 1, 1, nn.ELU)
        self.q = nn.Sequential(nn.Linear(18, 64), nn.LayerNorm(64), nn.Tanh(), nn.Linear(64, 64), nn.ELU(),
                               nn.Linear(64, 1))
        if dyn_gain is not None:
            with torch.no_grad():
                for m in self.dyn:
                    if isinstance(m, nn.Linear):
                        m.weight.mul_(dyn_gain)
        self.target: _Target | None = None

    def forward(self, batch: Any) -> Any:
        return self, batch


def tdmpc_loss(out: Any, _: Any, gamma: float = 0.99, rho: float = 0.5) -> torch.Tensor:
    """TOLD's loss over the horizon of 5 (the latent rolled forward by ``d`` from the first observation's encoding):
    ``sum_t rho^t (2 ||d(z_t, a_t) - h_target(s_(t+1))||^2 + 0.5 (R(z_t, a_t) - r_t)^2 + 0.1 (Q(z_t, a_t) - (r_t +
    gamma Q_target(h_target(s_(t+1)), a_(t+1))))^2)``, rho 0.5, gamma 0.99 (the value evaluated on the logged next
    action, TD-MPC's policy left out), averaged over the batch."""
    m, (s, a, r) = out
    enc_t, q_t = m.target.net
    z = m.enc(s[:, 0])
    total = torch.zeros(())
    for t in range(r.shape[1]):
        za = torch.cat([z, a[:, t]], 1)
        with torch.no_grad():
            nz = enc_t(s[:, t + 1])
            y = r[:, t] + gamma * q_t(torch.cat([nz, a[:, t + 1]], 1)).squeeze(1)
        z = m.dyn(za)
        cons = ((z - nz) ** 2).mean(1)
        rew = (m.rew(za).squeeze(1) - r[:, t]) ** 2
        val = (m.q(za).squeeze(1) - y) ** 2
        total = total + rho ** t * (2 * cons + 0.5 * rew + 0.1 * val).mean()
    return total


# ---- builders --------------------------------------------------------------------------------------------------------

def iql(seed: int, lr: float = 1e-3) -> Setup:
    """IQL on the noisy expert's point-mass transitions (batch 128), :class:`IQLLoss`, Adam at lr 1e-3 for all three
    networks (the paper's 3e-4 is for a million steps)."""
    torch.manual_seed(SEED0 + seed)
    model = IQL()
    model.target = _Target(nn.ModuleList([model.q1, model.q2]), tau=0.005)
    opt = _with_targets(torch.optim.Adam, model.parameters(), [model.target], lr=lr)
    return _xy(model, opt, reach_transitions(seed), IQLLoss())


def cql(seed: int, lr: float = 1e-3, bias: float | None = None, gamma_times_n: bool = False,
        inverted_done: bool = False) -> Setup:
    """CQL(H) on the discrete point-mass transitions with 3-step returns (batch 128), :class:`CQLLoss`, the target
    a hard copy every 20 steps (the DQN's 8,000 narrowed), Adam at lr 1e-3 (the paper's Atari 5e-5 for millions of
    steps), eps 0.01 / 32 as Dopamine's; ``bias``: see :class:`CQLNet`; ``gamma_times_n``, ``inverted_done``: see
    :class:`CQLLoss`."""
    torch.manual_seed(SEED0 + seed)
    model = CQLNet(bias=bias)
    model.target = _Target(model.q, every=20)
    opt = _with_targets(torch.optim.Adam, model.parameters(), [model.target], lr=lr, eps=0.01 / 32)
    return _xy(model, opt, grid_transitions(seed, n_step=3), CQLLoss(gamma_times_n=gamma_times_n,
                                                                     inverted_done=inverted_done))


def iqn(seed: int, lr: float = 1e-3, kappa: float = 1.0) -> Setup:
    """IQN on the discrete point-mass transitions logged by the greedy mover (batch 128, one-step targets),
    :class:`IQNLoss`, the target a hard copy every 20 steps, Adam at lr 1e-3 (the paper's 5e-5 for 200 million
    frames), eps 0.01 / 32; ``kappa``: the quantile Huber's threshold."""
    torch.manual_seed(SEED0 + seed)
    model = IQN()
    model.target = _Target(model, every=20)
    opt = _with_targets(torch.optim.Adam, model.parameters(), [model.target], lr=lr, eps=0.01 / 32)
    return _xy(model, opt, grid_transitions(seed, greedy=1.0),
               IQNLoss(kappa=kappa))


def ppo(seed: int, lr: float = 3e-4, singleton_axis: bool = False) -> Setup:
    """PPO on one logged rollout of its initial policy (32 batches of 16 point-mass episodes of 8 steps, the actions
    sampled by the seed's generator, their log-probabilities logged), trained 200 steps on it: :class:`PPOLoss`,
    Adam at CleanRL's lr 3e-4 and eps 1e-5, the gradient norm clipped at 0.5; ``singleton_axis``: see
    :class:`PPOLoss`."""
    torch.manual_seed(SEED0 + seed)
    model = PPO()
    g = _gen(seed)

    def policy(s: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            d = model.dist(s)
            return d.mean + d.stddev * torch.randn(d.mean.shape, generator=g)

    pool = []
    for _ in range(POOL):
        ep = reach_episodes(g, 16, policy=policy)
        with torch.no_grad():
            logp = model.dist(ep["s"][:, :-1]).log_prob(ep["a"]).sum(-1)
        pool.append(((ep["s"], ep["a"], ep["r"], logp), torch.zeros(1)))

    def batches(step: int) -> Any:
        return pool[step % POOL]
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-5)
    return _xy(model, opt, batches, PPOLoss(singleton_axis=singleton_axis), clip=0.5)


def diffusion_policy(seed: int, lr: float = 1e-3, weight_decay: float = 1e-6, init_std: float | None = None) -> Setup:
    """Diffusion Policy on the expert's action chunks (batch 64), the DDPM noise-prediction MSE over 100 steps of
    the squared-cosine schedule; AdamW betas (0.95, 0.999) and weight decay 1e-6 as the reference code, at lr 1e-3
    (its 1e-4 is for 3,000 epochs), a cosine schedule after 10 warm-up steps; ``init_std``: every conv and Linear
    weight drawn N(0, init_std^2)."""
    torch.manual_seed(SEED0 + seed)
    model = DiffusionPolicy()
    if init_std is not None:
        _normal_init(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.95, 0.999), weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, (k + 1) / 10) * 0.5 * (1 + math.cos(math.pi * min(k, 200) / 200)))
    return _xy(model, opt, diffusion_batches(seed), F.mse_loss, sched)


def e2c(seed: int, lr: float = 1e-3, relu_std: bool = False, init_std: float | None = None) -> Setup:
    """E2C on the plane images (batch 64), :func:`e2c_loss`, Adam at lr 1e-3 (the paper's setting, set here: it
    names Adam without its lr); ``relu_std``: see :class:`E2C`; ``init_std``: every Linear weight N(0, init_std^2)."""
    torch.manual_seed(SEED0 + seed)
    model = E2C(relu_std=relu_std)
    if init_std is not None:
        _normal_init(model, init_std)
    batches = plane_images(seed)

    def compute(m: nn.Module, batch: Any) -> torch.Tensor:
        return e2c_loss(m(batch[0]), batch[0])
    return Setup(model, torch.optim.Adam(model.parameters(), lr=lr), None, batches(0), None, compute, batches,
                 needs_closure=True)


def mbmf(seed: int, lr: float = 1e-3, layers: int = 2, normalise: bool = True, raw: bool = False,
         shuffled: bool = False, init_std: float | None = None) -> Setup:
    """The MB-MF dynamics model on the car's transitions (batch 128, the paper's 512 narrowed), the MSE of the
    normalised state changes, Adam at the paper's lr 1e-3; ``normalise=False``: the inputs fed as they come (the
    changes still normalised), with ``raw`` in the logger's units; ``layers``: see :class:`MBMFDynamics`;
    ``shuffled``: see :func:`car_transitions`; ``init_std``: every Linear weight N(0, init_std^2)."""
    torch.manual_seed(SEED0 + seed)
    data = car_transitions(seed, raw=raw, shuffled=shuffled)
    xs = torch.cat([torch.cat(data(i)[0], 1) for i in range(POOL)])
    ds = torch.cat([data(i)[1] for i in range(POOL)])
    model = MBMFDynamics(layers, (xs.mean(0), xs.std(0)) if normalise else None)
    if init_std is not None:
        _normal_init(model, init_std)
    dm, dsd = ds.mean(0), ds.std(0)

    def loss(pred: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(pred, (d - dm) / dsd)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), data, loss)


def td_mpc(seed: int, lr: float = 1e-3, dyn_gain: float | None = None) -> Setup:
    """TD-MPC's TOLD model on windows of the noisy expert's point-mass episodes (batch 64, horizon 5),
    :func:`tdmpc_loss`, Adam at the paper's lr 1e-3, the gradient norm clipped at 10 as the paper; ``dyn_gain``: see
    :class:`TDMPC`."""
    torch.manual_seed(SEED0 + seed)
    model = TDMPC(dyn_gain=dyn_gain)
    model.target = _Target(nn.ModuleList([model.enc, model.q]), tau=0.01)
    opt = _with_targets(torch.optim.Adam, model.parameters(), [model.target], lr=lr)
    return _xy(model, opt, reach_windows(seed), tdmpc_loss, clip=10.0)
