"""Builders of the twenty-third held-out batch (``fresh22.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets and the training pieces (losses,
optimizers, a scheduler) they need. Written and labelled before gradguard's judgment was run on them and never tuned
on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh22_models as M
from ._setup import POOL, Setup, markov_tokens, model_loss, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(220_000 + seed)


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    g = _gen(seed)
    pool = [make(g) for _ in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
        loss_fn: Callable[[Any, Any], torch.Tensor], clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _closure(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
             loss: Callable[[nn.Module, Any], torch.Tensor], clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), None, loss, batches, clip=clip, needs_closure=True)


def _init_std(model: nn.Module, std: float) -> None:
    """Every weight matrix (every parameter of two or more dimensions) drawn N(0, std^2)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16) -> Callable[[int], Any]:
    """Class-template images (ten smooth 3x16x16 templates) plus noise 0.7: ``(image, label)``."""
    tmpl = F.interpolate(torch.randn(10, 3, 4, 4, generator=torch.Generator().manual_seed(2201)), size=(size, size),
                         mode="bilinear", align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return tmpl[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def level_series(seed: int, batch: int = 32, n: int = 32, scale: float = 1.0) -> Callable[[int], Any]:
    """Scalar series of 32 steps whose first four values are a level of class 0-3 (-1.5, -0.5, 0.5, 1.5, noise 0.2)
    and the rest N(0, 1); ``scale``: the readings in a sensor's raw units (times this), unstandardised:
    ``(series (batch, 32, 1), class)``."""
    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        x = torch.randn(batch, n, generator=g)
        x[:, :4] = (y - 1.5)[:, None] + 0.2 * torch.randn(batch, 4, generator=g)
        return x[..., None] * scale, y
    return _pool(seed, make)


def documents(seed: int, batch: int = 32, sents: int = 4, words: int = 8) -> Callable[[int], Any]:
    """Documents of four sentences of eight words (ids 0-31), one word somewhere replaced by a key word (ids 32-35)
    whose index is the class: ``(ids (batch, 4, 8), class)``."""
    def make(g: torch.Generator) -> Any:
        x = torch.randint(0, 32, (batch, sents * words), generator=g)
        y = torch.randint(0, 4, (batch,), generator=g)
        pos = torch.randint(0, sents * words, (batch,), generator=g)
        x[torch.arange(batch), pos] = 32 + y
        return x.view(batch, sents, words), y
    return _pool(seed, make)


def sbm_graph(seed: int, nodes: int = 80, classes: int = 4, feats: int = 16, isolated: int = 4,
              self_loops: bool = True, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A stochastic block model (four classes, edge probability 0.15 within a class and 0.02 across) whose last four
    nodes are isolated (new, cold-start nodes with no edges yet); features a noisy class centroid (noise 1.5);
    ``A_hat = D^-1/2 (A + I) D^-1/2`` as GCN-style models normalise, or with ``self_loops`` False the ``+ I`` left out
    (the isolated nodes' degree 0 makes ``D^-1/2`` infinite, and ``inf * 0`` is NaN); ``scale``: the features in
    their raw units (times this), unstandardised: ``(features, A_hat, labels)``."""
    g = _gen(seed)
    y = torch.arange(nodes) % classes
    cent = torch.randn(classes, feats, generator=torch.Generator().manual_seed(2202))
    x = cent[y] + 1.5 * torch.randn(nodes, feats, generator=g)
    p = torch.where(y[:, None] == y[None], 0.15, 0.02)
    a = (torch.rand(nodes, nodes, generator=g) < p).float().triu(1)
    a = a + a.T
    a[nodes - isolated:], a[:, nodes - isolated:] = 0.0, 0.0
    if self_loops:
        a = a + torch.eye(nodes)
    dinv = a.sum(1).pow(-0.5)
    return x * scale, dinv[:, None] * a * dinv[None], y


def node_batches(seed: int, self_loops: bool = True, scale: float = 1.0, nodes: int = 80) -> Callable[[int], Any]:
    """Full-graph batches: features, ``A_hat`` and, per step, a random half of the nodes as the labelled ones:
    ``((features, A_hat), (node ids, labels))``."""
    x, adj, y = sbm_graph(seed, nodes, self_loops=self_loops, scale=scale)

    def make(g: torch.Generator) -> Any:
        idx = torch.randperm(nodes, generator=g)[: nodes // 2]
        return (x, adj), (idx, y[idx])
    return _pool(seed, make)


def two_task_logs(seed: int, batch: int = 256, fields: int = 6, values: int = 10, missing: bool = False
                  ) -> Callable[[int], Any]:
    """Logs for two related tasks (say click and conversion): six categorical fields of ten values (ids ``10 f +
    v``) and two dense features N(0, 1); task 1's log-odds a sum of fixed pairwise effects of fields (0, 1) and (2, 3),
    task 2's of (0, 1) and (4, 5) (effects N(0, 3^2)), plus the first dense feature; ``missing``: one record of every
    batch has its second dense feature missing, stored as NaN and fed as it is: ``((ids, dense), labels (batch,
    2))``."""
    eff = 3.0 * torch.randn(3, values, values, generator=torch.Generator().manual_seed(2203))

    def make(g: torch.Generator) -> Any:
        ids = torch.randint(0, values, (batch, fields), generator=g)
        dense = torch.randn(batch, 2, generator=g)
        e = [eff[k][ids[:, 2 * k], ids[:, 2 * k + 1]] for k in range(3)]
        logits = torch.stack([e[0] + e[1] + dense[:, 0], e[0] + e[2] + dense[:, 0]], 1)
        y = (torch.rand(batch, 2, generator=g) < torch.sigmoid(logits)).float()
        if missing:
            dense[int(torch.randint(0, batch, (1,), generator=g)), 1] = float("nan")
        return (ids + values * torch.arange(fields), dense), y
    return _pool(seed, make)


def binary_vectors(seed: int, batch: int = 64, d: int = 16) -> Callable[[int], Any]:
    """Binary vectors of 16: one of four fixed prototypes, each bit flipped with probability 0.05."""
    proto = (torch.rand(4, d, generator=torch.Generator().manual_seed(2204)) < 0.5).float()

    def make(g: torch.Generator) -> Any:
        x = proto[torch.randint(0, 4, (batch,), generator=g)]
        flip = (torch.rand(batch, d, generator=g) < 0.05).float()
        return (x + flip) % 2
    return _pool(seed, make)


def trajectories(seed: int, batch: int = 32, t: int = 8, state: int = 6, actions: int = 4) -> Callable[[int], Any]:
    """Offline trajectory windows of eight steps: states N(0, 1), the logged action the argmax of a fixed linear
    policy of the state (one in ten random), returns-to-go decreasing from N(5, 1) by the unit reward of each
    policy action, timesteps from a random start: ``((rtg, states, actions, timesteps), actions)``."""
    w = torch.randn(state, actions, generator=torch.Generator().manual_seed(2205))

    def make(g: torch.Generator) -> Any:
        s = torch.randn(batch, t, state, generator=g)
        a = (s @ w).argmax(-1)
        rnd = torch.rand(batch, t, generator=g) < 0.1
        a = torch.where(rnd, torch.randint(0, actions, (batch, t), generator=g), a)
        r = (~rnd).float()
        rtg = 5 + torch.randn(batch, 1, generator=g) - torch.cumsum(r, 1) + r
        steps = torch.randint(0, 56, (batch, 1), generator=g) + torch.arange(t)
        return (rtg[..., None] / 5, s, a, steps), a
    return _pool(seed, make)


def mfcc(seed: int, batch: int = 32, classes: int = 8) -> Callable[[int], Any]:
    """Keyword "MFCC" maps of 25 frames by 10 coefficients: a fixed smooth template per keyword plus noise 0.8:
    ``(maps (batch, 1, 25, 10), keyword)``."""
    tmpl = F.interpolate(torch.randn(classes, 1, 5, 4, generator=torch.Generator().manual_seed(2206)), size=(25, 10),
                         mode="bilinear", align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return tmpl[y] + 0.8 * torch.randn(batch, 1, 25, 10, generator=g), y
    return _pool(seed, make)


def particles(seed: int, batch: int = 32, n: int = 5) -> Callable[[int], Any]:
    """Systems of five particles joined by unit springs (rest length 0): state (position 2, velocity 2, mass in
    [0.5, 2]), positions a system offset N(0, 2^2) plus N(0, 1) each; the target each particle's acceleration
    ``sum_j (p_j - p_i) / m_i``: ``(states (batch, 5, 5), accelerations (batch, 5, 2))``."""
    def make(g: torch.Generator) -> Any:
        pos = 2 * torch.randn(batch, 1, 2, generator=g) + torch.randn(batch, n, 2, generator=g)
        vel = torch.randn(batch, n, 2, generator=g)
        m = 0.5 + 1.5 * torch.rand(batch, n, 1, generator=g)
        acc = (pos.sum(1, keepdim=True) - n * pos) / m
        return torch.cat([pos, vel, m], -1), acc
    return _pool(seed, make)


def multiseries(seed: int, batch: int = 32, variates: int = 7, lookback: int = 48, horizon: int = 12
                ) -> Callable[[int], Any]:
    """Windows of seven related series: shared periods 12 and 24 with per-variate phases, random amplitudes and levels
    per window, noise 0.1: ``(look-back (batch, 48, 7), horizon (batch, 12, 7))``."""
    phase = 2 * math.pi * torch.rand(2, variates, generator=torch.Generator().manual_seed(2207))

    def make(g: torch.Generator) -> Any:
        t = torch.arange(lookback + horizon, dtype=torch.float32)[None, :, None] + torch.randint(
            0, 24, (batch, 1, 1), generator=g)
        amp = 0.5 + torch.rand(batch, 2, variates, generator=g)
        lvl = 3 * torch.randn(batch, 1, variates, generator=g)
        x = (lvl + amp[:, :1] * torch.sin(2 * math.pi * t / 12 + phase[0])
             + amp[:, 1:] * torch.sin(2 * math.pi * t / 24 + phase[1])
             + 0.1 * torch.randn(batch, lookback + horizon, variates, generator=g))
        return x[:, :lookback], x[:, lookback:]
    return _pool(seed, make)


def sine_functions(seed: int, batch: int = 16, context: int = 10, targets: int = 20) -> Callable[[int], Any]:
    """Functions ``a sin(x + phi)`` (a in [0.5, 2], phi in [0, pi]) on x in [-3, 3], noise 0.05; ten context
    points, and twenty targets that include them (as the CNP paper): ``((cx, cy, tx), ty)``."""
    def make(g: torch.Generator) -> Any:
        a = 0.5 + 1.5 * torch.rand(batch, 1, 1, generator=g)
        ph = math.pi * torch.rand(batch, 1, 1, generator=g)
        x = 6 * torch.rand(batch, targets, 1, generator=g) - 3
        y = a * torch.sin(x + ph) + 0.05 * torch.randn(batch, targets, 1, generator=g)
        return (x[:, :context], y[:, :context], x), y.squeeze(-1)
    return _pool(seed, make)


def lm_tokens(seed: int, batch: int = 8, length: int = 32, vocab: int = 64) -> Callable[[int], Any]:
    """``{"input_ids", "labels"}`` dicts of the corpus's sparse Markov language (HF causal LMs shift the labels)."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return {"input_ids": x, "labels": x.clone()}
    return _pool(seed, make)


# ---- losses and a scheduler ------------------------------------------------------------------------------------------

def node_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """Cross-entropy of the batch's labelled nodes on the full-graph forward."""
    (x, adj), (idx, y) = batch
    return F.cross_entropy(model(x, adj)[idx], y)


def nade_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """NADE's negative log-likelihood per vector (summed over the 16 bits, averaged over the batch)."""
    return F.binary_cross_entropy_with_logits(model(x), x, reduction="sum") / len(x)


def gaussian_nll(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """The CNP's loss: the Gaussian negative log-likelihood of the targets, written out as ``log sigma + (y -
    mu)^2 / (2 sigma^2) + log(2 pi) / 2``, averaged."""
    mu, sigma = out
    return (torch.log(sigma) + (y - mu) ** 2 / (2 * sigma ** 2) + 0.5 * math.log(2 * math.pi)).mean()


class PlateauOnTrainLoss:
    """``ReduceLROnPlateau`` stepped once per optimizer step on the last training loss (patience 10, factor 0.5),
    with ``step()`` taking no argument (it reads the loss the training loss function recorded); ``mode``: the
    plateau's mode (``"max"`` on a loss: no step ever beats the first, so the lr is halved every eleven steps)."""

    def __init__(self, opt: torch.optim.Optimizer, mode: str) -> None:
        self.optimizer = opt
        self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=mode, factor=0.5, patience=10)
        self.last = math.inf

    def record(self, loss: torch.Tensor) -> torch.Tensor:
        self.last = float(loss.detach())
        return loss

    def step(self) -> None:
        self.plateau.step(self.last)

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


# ---- builders --------------------------------------------------------------------------------------------------------

def sknet(seed: int, bn: bool = True, lr_rule: str = "scaled", lr: float | None = None) -> Setup:
    """SKNet on template images (batch 32), SGD momentum 0.9 weight decay 1e-4 at the paper's lr 0.1 for batch 256
    scaled by the linear scaling rule to batch 32 (0.0125); ``lr_rule``: ``"scaled"`` or ``"unscaled"`` (0.1
    itself); ``lr``: SGD's, overriding the rule; ``bn``: every BatchNorm (False: the identity)."""
    torch.manual_seed(seed)
    model = M.SKNet(bn=bn)
    if lr is None:
        lr = {"scaled": 0.1 * 32 / 256, "unscaled": 0.1}[lr_rule]
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, None, images(seed), F.cross_entropy)


def xcit(seed: int, lr: float = 5e-4, weight_decay: float = 0.05, init_std: float | None = None,
         temperature_divides: bool = False, decay_divided_by_lr: bool = False) -> Setup:
    """XCiT on template images (batch 32), AdamW at the paper's base lr 5e-4 (unscaled) and weight decay 0.05;
    ``init_std``: every weight matrix drawn N(0, std^2); ``temperature_divides``: see :class:`~.fresh22_models.XCA`;
    ``decay_divided_by_lr``: the paper's decay 0.05 divided by the lr before it is given to ``AdamW`` (as if
    ``AdamW`` took an L2 coefficient that it then multiplied by the lr: 100, so every step shrinks the weights by
    5%)."""
    torch.manual_seed(seed)
    model = M.XCiT(temperature_divides=temperature_divides)
    if init_std is not None:
        _init_std(model, init_std)
    wd = weight_decay / lr if decay_divided_by_lr else weight_decay
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    return _xy(model, opt, None, images(seed), F.cross_entropy)


def lipschitz_rnn(seed: int, lr: float = 3.5e-3, recurrent_std: float | None = None, euler_residual: bool = True,
                  scale: float = 1.0) -> Setup:
    """The Lipschitz RNN on level series (batch 32), Adam lr 0.0035 (the paper's pixel-MNIST setting);
    ``recurrent_std``/``euler_residual``: see :class:`~.fresh22_models.LipschitzRNN`; ``scale``: see
    :func:`level_series`."""
    torch.manual_seed(seed)
    model = M.LipschitzRNN(recurrent_std=recurrent_std, euler_residual=euler_residual)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, level_series(seed, scale=scale), F.cross_entropy)


def han(seed: int, lr: float = 0.05, batch_first: bool = True) -> Setup:
    """HAN on the key-word documents (batch 32), SGD momentum 0.9 (the paper's), lr 0.05; ``batch_first``: see
    :class:`~.fresh22_models.HAN`."""
    torch.manual_seed(seed)
    model = M.HAN(batch_first=batch_first)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return _xy(model, opt, None, documents(seed), F.cross_entropy)


def gprgnn(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, self_loops: bool = True, scale: float = 1.0
           ) -> Setup:
    """GPR-GNN node classification on the block-model graph (full batch, half the nodes labelled per step), Adam lr
    0.01 weight decay 5e-4 (from the reference code's grid); ``lr``/``weight_decay``: Adam's; ``self_loops`` and
    ``scale``: see :func:`sbm_graph`."""
    torch.manual_seed(seed)
    model = M.GPRGNN(16, 4)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _closure(model, opt, None, node_batches(seed, self_loops=self_loops, scale=scale), node_loss)


def mmoe(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, expert_bias: float | None = None,
         missing: bool = False) -> Setup:
    """MMoE on the two-task logs (batch 256), the two tasks' binary cross-entropies averaged, Adam lr 3e-3;
    ``lr``/``weight_decay``: Adam's; ``expert_bias``: every expert layer's bias initialised to this value;
    ``missing``: see :func:`two_task_logs`."""
    torch.manual_seed(seed)
    model = M.MMoE(60, 6, 2)
    if expert_bias is not None:
        for ex in model.experts:
            for m in ex:
                if isinstance(m, nn.Linear):
                    nn.init.constant_(m.bias, expert_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, None, two_task_logs(seed, missing=missing), F.binary_cross_entropy_with_logits)


def nade(seed: int, lr: float = 5e-3) -> Setup:
    """NADE on the noisy binary prototypes (batch 64), Adam lr 5e-3."""
    torch.manual_seed(seed)
    model = M.NADE(16)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _closure(model, opt, None, binary_vectors(seed), nade_loss)


def decision_transformer(seed: int, lr: float = 6e-4, init_std: float | None = None) -> Setup:
    """The Decision Transformer on the logged trajectories (batch 32), the actions' cross-entropy, AdamW lr 6e-4
    betas (0.9, 0.95) weight decay 0.1 (the paper's Atari setting, its warm-up left out); ``lr``: AdamW's;
    ``init_std``: every weight matrix drawn N(0, std^2)."""
    torch.manual_seed(seed)
    model = M.DecisionTransformer()
    if init_std is not None:
        _init_std(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)

    def loss(o: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(o.reshape(-1, o.shape[-1]), a.reshape(-1))
    return _xy(model, opt, None, trajectories(seed), loss)


def dscnn(seed: int, lr: float = 5e-4, plateau: str | None = None) -> Setup:
    """DS-CNN on the keyword maps (batch 32), Adam lr 5e-4 (the paper's initial lr); ``plateau``: a
    :class:`PlateauOnTrainLoss` of that mode ("min", or "max": the wrong mode for a loss)."""
    torch.manual_seed(seed)
    model = M.DSCNN()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    if plateau is None:
        return _xy(model, opt, None, mfcc(seed), F.cross_entropy)
    sched = PlateauOnTrainLoss(opt, plateau)
    return _xy(model, opt, sched, mfcc(seed), lambda o, y: sched.record(F.cross_entropy(o, y)))


def interaction_network(seed: int, lr: float = 1e-3, depth: int = 3, relation_bias: float | None = None) -> Setup:
    """The Interaction Network on the spring systems (batch 32), MSE on the accelerations, Adam lr 1e-3 (the
    paper's); ``depth``: the relational model's hidden layers; ``relation_bias``: the relational model's hidden
    biases initialised to this value."""
    torch.manual_seed(seed)
    model = M.InteractionNetwork(depth=depth)
    if relation_bias is not None:
        for m in list(model.rel)[:-1]:
            if isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, relation_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, particles(seed), F.mse_loss)


def itransformer(seed: int, lr: float = 5e-4, add_mean: bool = True) -> Setup:
    """iTransformer on the multivariate windows (batch 32), MSE, Adam lr 5e-4 (from the paper's scripts);
    ``add_mean``: see :class:`~.fresh22_models.ITransformer`."""
    torch.manual_seed(seed)
    model = M.ITransformer(add_mean=add_mean)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, multiseries(seed), F.mse_loss)


def cnp(seed: int, lr: float = 1e-3, softplus: bool = True) -> Setup:
    """The CNP on the sine functions (batch 16), Adam lr 1e-3 (ten times the reference code's 1e-4, for 200 steps
    where it runs 10^5); ``softplus``: see
    :class:`~.fresh22_models.CNP`."""
    torch.manual_seed(seed)
    model = M.CNP(softplus=softplus)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, sine_functions(seed), gaussian_nll)


def helium(seed: int, lr: float = 3e-4, initializer_range: float = 0.02) -> Setup:
    """A tiny Helium (``transformers``' ``HeliumForCausalLM``: RMSNorm, grouped-query attention, RoPE, SiLU-gated MLP)
    on the Markov language (batch 8), AdamW lr 3e-4 betas (0.9, 0.95) weight decay 0.1 and the config's init std 0.02
    (the usual LLaMA-style recipe, its warm-up and decay left out); ``initializer_range``: the config's."""
    from transformers import HeliumConfig, HeliumForCausalLM

    torch.manual_seed(seed)
    cfg = HeliumConfig(vocab_size=64, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=64,
                       initializer_range=initializer_range, tie_word_embeddings=False, bos_token_id=0,
                       eos_token_id=1, pad_token_id=2)
    model = HeliumForCausalLM(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    batches = lm_tokens(seed)
    return Setup(model, opt, None, batches(0), None, model_loss, batches)
