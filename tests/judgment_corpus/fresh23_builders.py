"""Builders of the twenty-fourth held-out batch (``fresh23.py``): standard models new to the corpus at their usual
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

from . import fresh23_models as M
from ._setup import POOL, Setup, markov_tokens, model_loss, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(230_000 + seed)


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    g = _gen(seed)
    pool = [make(g) for _ in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, sched: Any, batches: Callable[[int], Any],
        loss_fn: Callable[[Any, Any], torch.Tensor], clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _init_std(model: nn.Module, std: float) -> None:
    """Every weight matrix (every parameter of two or more dimensions) drawn N(0, std^2)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16) -> Callable[[int], Any]:
    """Class-template images (ten smooth 3x16x16 templates) plus noise 0.7: ``(image, label)``."""
    tmpl = F.interpolate(torch.randn(10, 3, 4, 4, generator=torch.Generator().manual_seed(2301)), size=(size, size),
                         mode="bilinear", align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return tmpl[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def mfcc(seed: int, batch: int = 32, classes: int = 8, coeffs: int = 10, frames: int = 40) -> Callable[[int], Any]:
    """Keyword MFCC sequences, the coefficients as channels: a fixed smooth template per keyword plus noise 0.8:
    ``(features (batch, 10, 40), keyword)``."""
    tmpl = F.interpolate(torch.randn(classes, coeffs, 6, generator=torch.Generator().manual_seed(2302)), size=frames,
                         mode="linear", align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return tmpl[y] + 0.8 * torch.randn(batch, coeffs, frames, generator=g), y
    return _pool(seed, make)


def level_series(seed: int, batch: int = 32, n: int = 24) -> Callable[[int], Any]:
    """Scalar series of 24 steps whose first four values are a level of class 0-3 (-1.5, -0.5, 0.5, 1.5, noise 0.2)
    and the rest N(0, 1): ``(series (batch, 24, 1), class)``."""
    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        x = torch.randn(batch, n, generator=g)
        x[:, :4] = (y - 1.5)[:, None] + 0.2 * torch.randn(batch, 4, generator=g)
        return x[..., None], y
    return _pool(seed, make)


def multiseries(seed: int, batch: int = 16, variates: int = 4, lookback: int = 48, horizon: int = 12,
                sentinel: float | None = None) -> Callable[[int], Any]:
    """Windows of four sensor series: periods 12 and 24 with per-variate phases, random amplitudes and levels per
    window (N(0, 2^2)), noise 0.1; ``sentinel``: 2% of the readings are missing and the pipeline fills them with this
    value (a database's "missing" code) before windowing, in the inputs and the targets alike: ``(look-back (batch,
    48, 4), horizon (batch, 12, 4))``."""
    phase = 2 * math.pi * torch.rand(2, variates, generator=torch.Generator().manual_seed(2303))

    def make(g: torch.Generator) -> Any:
        t = torch.arange(lookback + horizon, dtype=torch.float32)[None, :, None] + torch.randint(
            0, 24, (batch, 1, 1), generator=g)
        amp = 0.5 + torch.rand(batch, 2, variates, generator=g)
        x = (2 * torch.randn(batch, 1, variates, generator=g) + amp[:, :1] * torch.sin(2 * math.pi * t / 12 + phase[0])
             + amp[:, 1:] * torch.sin(2 * math.pi * t / 24 + phase[1])
             + 0.1 * torch.randn(batch, lookback + horizon, variates, generator=g))
        if sentinel is not None:
            x = torch.where(torch.rand(x.shape, generator=g) < 0.02, torch.full_like(x, sentinel), x)
        return x[:, :lookback], x[:, lookback:]
    return _pool(seed, make)


def behaviour_logs(seed: int, batch: int = 64, seq: int = 8, items: int = 50, dwell_scale: float = 1.0,
                   oov: bool = False) -> Callable[[int], Any]:
    """Click logs: each user's last eight clicked items (ids 1-50; category ``1 + id % 5``), six of them from the
    user's favourite category; a target item from that category half the time; clicked with probability
    ``sigmoid(3 (2 match - 1) + 0.5 dwell)``, ``dwell`` the user's standardised mean dwell time. ``dwell_scale``: the
    dwell time fed in raw milliseconds (``1000 (20 + 5 dwell)``) when not 1; ``oov``: the ids looked up in a vocabulary
    keyed by strings with the integer ids (``vocab.get(i, 0)``): every item misses, becomes the out-of-vocabulary
    id 0 and takes that row's category 0: ``((items (b, 9), categories (b, 9), dwell (b, 1)), clicks (b,))``."""
    def make(g: torch.Generator) -> Any:
        fav = torch.randint(0, 5, (batch, 1), generator=g)
        own = 5 * torch.randint(0, 10, (batch, seq), generator=g) + fav
        rnd = torch.randint(0, items, (batch, seq), generator=g)
        hist = torch.where(torch.rand(batch, seq, generator=g) < 0.75, own, rnd)
        match = torch.rand(batch, 1, generator=g) < 0.5
        tgt = torch.where(match, 5 * torch.randint(0, 10, (batch, 1), generator=g) + fav,
                          torch.randint(0, items, (batch, 1), generator=g))
        match = (tgt % 5 == fav).float().squeeze(1)
        dwell = torch.randn(batch, 1, generator=g)
        y = (torch.rand(batch, generator=g) < torch.sigmoid(3 * (2 * match - 1) + 0.5 * dwell[:, 0])).float()
        ids = torch.cat([hist, tgt], 1) + 1
        cats = 1 + ids % 5
        if oov:
            ids, cats = torch.zeros_like(ids), torch.zeros_like(cats)
        feat = 1000 * (20 + 5 * dwell) if dwell_scale != 1.0 else dwell
        return (ids, cats, feat), y
    return _pool(seed, make)


def two_views(seed: int, batch: int = 64, d: int = 32, noise: float = 0.3, drop: float = 0.2) -> Callable[[int], Any]:
    """Vectors from eight clusters (centres N(0, 1), spread 0.5), two augmented views of each (noise 0.3, a random
    20% of the features zeroed): ``((view 1, view 2), 0)``."""
    cent = torch.randn(8, d, generator=torch.Generator().manual_seed(2304))

    def make(g: torch.Generator) -> Any:
        x = cent[torch.randint(0, 8, (batch,), generator=g)] + 0.5 * torch.randn(batch, d, generator=g)

        def view() -> torch.Tensor:
            keep = (torch.rand(batch, d, generator=g) > drop).float()
            return keep * (x + noise * torch.randn(batch, d, generator=g))
        return (view(), view()), torch.zeros(())
    return _pool(seed, make)


def molecules(seed: int, batch: int = 32, n: int = 8, atoms: int = 5, bonds: int = 3, target_scale: float = 1.0
              ) -> Callable[[int], Any]:
    """Padded molecules of 5-8 atoms (five atom types, one-hot), a random spanning tree plus one extra bond, three
    bond types; the target a sum over bonds of a fixed contribution per (atom type, atom type, bond type) (N(0, 1))
    plus a fixed contribution per atom, scaled to unit spread (divided by 3); ``target_scale``: the targets in the
    raw units of the source (times this), unstandardised: ``((atoms (b, 8, 5), bonds (b, 8, 8, 3), mask (b, 8)),
    target (b,))``."""
    tg = torch.Generator().manual_seed(2305)
    pair, single = torch.randn(atoms, atoms, bonds, generator=tg), torch.randn(atoms, generator=tg)

    def make(g: torch.Generator) -> Any:
        x = torch.zeros(batch, n, atoms)
        e = torch.zeros(batch, n, n, bonds)
        mask = torch.zeros(batch, n)
        y = torch.zeros(batch)
        for i in range(batch):
            k = int(torch.randint(5, n + 1, (1,), generator=g))
            types = torch.randint(0, atoms, (k,), generator=g)
            x[i, torch.arange(k), types] = 1.0
            mask[i, :k] = 1.0
            edges = [(j, int(torch.randint(0, j, (1,), generator=g))) for j in range(1, k)]
            a, b = torch.randperm(k, generator=g)[:2].tolist()
            if all({a, b} != {u, v} for u, v in edges):
                edges.append((a, b))
            tot = float(single[types].sum())
            for u, v in edges:
                bt = int(torch.randint(0, bonds, (1,), generator=g))
                e[i, u, v, bt] = e[i, v, u, bt] = 1.0
                tot += float(pair[types[u], types[v], bt] + pair[types[v], types[u], bt]) / 2
            y[i] = tot / 3
        return (x, e, mask), y * target_scale
    return _pool(seed, make)


def lm_tokens(seed: int, batch: int = 8, length: int = 32, vocab: int = 64) -> Callable[[int], Any]:
    """``{"input_ids", "labels"}`` dicts of the corpus's sparse Markov language (HF causal LMs shift the labels)."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return {"input_ids": x, "labels": x.clone()}
    return _pool(seed, make)


def masked_labels(seed: int, batch: int = 8, length: int = 32, vocab: int = 64) -> Callable[[int], Any]:
    """The LM dicts with an ``attention_mask`` (no padding: all ones) whose labels a user masks for the padding
    with ``labels.masked_fill(attention_mask == 1, -100)``, the condition inverted (``== 0`` belongs): every label
    is ignored."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        att = torch.ones_like(x)
        return {"input_ids": x, "attention_mask": att, "labels": x.masked_fill(att == 1, -100)}
    return _pool(seed, make)


def shifted_tokens(seed: int, batch: int = 8, length: int = 33, vocab: int = 64) -> Callable[[int], Any]:
    """``(inputs, next-token targets)`` of the Markov language."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


# ---- losses, an optimizer wrapper and a scheduler --------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def vicreg_loss(out: tuple[torch.Tensor, torch.Tensor], _: Any) -> torch.Tensor:
    """VICReg's loss with the paper's coefficients: 25 invariance (MSE between the views), 25 variance (the hinge
    ``relu(1 - sqrt(var + 1e-4))`` per dimension) and 1 covariance (the off-diagonal squares over ``d``)."""
    za, zb = out
    n, d = za.shape
    loss = 25 * F.mse_loss(za, zb)
    for z in (za, zb):
        z = z - z.mean(0)
        loss = loss + 25 * F.relu(1 - torch.sqrt(z.var(0) + 1e-4)).mean() / 2
        cov = z.T @ z / (n - 1)
        loss = loss + (cov.pow(2).sum() - cov.diagonal().pow(2).sum()) / d
    return loss


class WarmupInsideLoop:
    """A linear warm-up ``LambdaLR(opt, lambda s: min(1, (s + 1) / warmup))`` constructed inside the batch loop
    where it belongs before it: each step's ``step()`` is a new scheduler's first, so the lr stays at
    ``2 / warmup`` of its base for the whole run."""

    def __init__(self, opt: torch.optim.Optimizer, warmup: int) -> None:
        self.optimizer, self.warmup = opt, warmup
        self._make()

    def _make(self) -> torch.optim.lr_scheduler.LambdaLR:
        return torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: min(1.0, (s + 1) / self.warmup))

    def step(self) -> None:
        self._make().step()

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class ZeroGradPerEpoch(torch.optim.SGD):
    """SGD whose ``zero_grad`` takes effect once per epoch of 32 batches: the user's ``optimizer.zero_grad()``
    indented into the epoch loop instead of the batch loop, so each step applies the sum of the epoch's gradients
    so far."""

    def __init__(self, params: Any, epoch: int = POOL, **kw: Any) -> None:
        super().__init__(params, **kw)
        self._calls, self._epoch = 0, epoch

    def zero_grad(self, set_to_none: bool = True) -> None:
        if self._calls % self._epoch == 0:
            super().zero_grad(set_to_none)
        self._calls += 1


# ---- builders --------------------------------------------------------------------------------------------------------

def revnet(seed: int, lr: float = 0.025, bn: bool = True, zero_grad_per_epoch: bool = False) -> Setup:
    """RevNet on template images (batch 32), SGD momentum 0.9 weight decay 1e-4 at the paper's lr 0.1 for batch 128
    scaled by the linear scaling rule to batch 32 (0.025); ``bn``: every BatchNorm; ``zero_grad_per_epoch``: see
    :class:`ZeroGradPerEpoch`."""
    torch.manual_seed(seed)
    model = M.RevNet(bn=bn)
    cls = ZeroGradPerEpoch if zero_grad_per_epoch else torch.optim.SGD
    opt = cls(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, None, images(seed), F.cross_entropy)


def efficientnetv2(seed: int, lr: float = 0.002, bn: bool = True, weight_decay: float = 1e-5) -> Setup:
    """EfficientNetV2 on template images (batch 32), RMSprop decay 0.9 momentum 0.9 eps 1e-3 weight decay 1e-5 (the
    paper's) at its lr 0.256 for batch 4096 scaled to batch 32 (0.002); ``bn``: every BatchNorm."""
    torch.manual_seed(seed)
    model = M.EfficientNetV2(bn=bn)
    opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, momentum=0.9, eps=1e-3,
                              weight_decay=weight_decay)
    return _xy(model, opt, None, images(seed), F.cross_entropy)


def tnt(seed: int, lr: float = 5e-4, weight_decay: float = 0.05, init_std: float | None = None) -> Setup:
    """TNT on template images (batch 32), AdamW at the DeiT recipe's base lr 5e-4 (unscaled) and weight decay 0.05;
    ``init_std``: every weight matrix drawn N(0, std^2)."""
    torch.manual_seed(seed)
    model = M.TNT()
    if init_std is not None:
        _init_std(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, None, images(seed), F.cross_entropy)


def tcresnet(seed: int, lr: float = 1e-3) -> Setup:
    """TC-ResNet8 on keyword MFCC sequences (batch 32), Adam lr 1e-3."""
    torch.manual_seed(seed)
    model = M.TCResNet8()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, mfcc(seed), F.cross_entropy)


def scrn(seed: int, lr: float = 1e-2, recurrent_std: float | None = None, n: int = 16, alpha: float = 0.95) -> Setup:
    """The SCRN on level series (batch 32), Adam lr 3e-3; ``recurrent_std``: see :class:`~.fresh23_models.SCRN`."""
    torch.manual_seed(seed)
    model = M.SCRN(recurrent_std=recurrent_std, alpha=alpha)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, level_series(seed, n=n), F.cross_entropy)


def fast_weights(seed: int, lr: float = 1e-3, recurrent_std: float | None = None, batch_outer: bool = False
                 ) -> Setup:
    """The fast-weights RNN on level series (batch 32), Adam lr 1e-3 (ten times the paper's 1e-4, which needs far
    more than 200 steps); ``recurrent_std``/``batch_outer``: see :class:`~.fresh23_models.FastWeightsRNN`."""
    torch.manual_seed(seed)
    model = M.FastWeightsRNN(recurrent_std=recurrent_std, batch_outer=batch_outer)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, level_series(seed), F.cross_entropy)


def nhits(seed: int, lr: float = 1e-3, depth: int = 2, hidden_bias: float | None = None, half: bool = False,
          sentinel: float | None = None) -> Setup:
    """N-HiTS on the sensor windows (batch 16 of four series), MSE, Adam lr 1e-3 (the paper's); ``depth``: each
    block's hidden layers (PyTorch's default init); ``hidden_bias``: every hidden layer's bias initialised to this
    value; ``half``: the model and its data in float16 (Adam's eps 1e-8 rounds to 0 there); ``sentinel``: see
    :func:`multiseries`."""
    torch.manual_seed(seed)
    model = M.NHiTS(depth=depth)
    if hidden_bias is not None:
        for block in model.blocks:
            for m in block.mlp:
                if isinstance(m, nn.Linear):
                    nn.init.constant_(m.bias, hidden_bias)
    batches = multiseries(seed, sentinel=sentinel)
    if half:
        model = model.half()
        pool = batches

        def batches(step: int) -> Any:
            x, y = pool(step)
            return x.half(), y.half()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, batches, F.mse_loss)


def bst(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, mlp_depth: int = 2, mlp_bias: float | None = None,
        dwell_scale: float = 1.0, oov: bool = False) -> Setup:
    """BST on the click logs (batch 64), binary cross-entropy, Adam lr 1e-3; ``weight_decay``: Adam's;
    ``mlp_depth``/``mlp_bias``: see :class:`~.fresh23_models.BST` (with ``mlp_bias`` the hidden activation is ReLU,
    as most reference MLPs); ``dwell_scale``/``oov``: see :func:`behaviour_logs`."""
    torch.manual_seed(seed)
    model = M.BST(mlp_depth=mlp_depth, mlp_bias=mlp_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, None, behaviour_logs(seed, dwell_scale=dwell_scale, oov=oov),
               F.binary_cross_entropy_with_logits)


def vicreg(seed: int, lr: float = 1e-3, noise: float = 0.3, drop: float = 0.2) -> Setup:
    """VICReg on two views of clustered vectors (batch 64), AdamW lr 1e-3 weight decay 1e-6 (LARS in the paper)."""
    torch.manual_seed(seed)
    model = M.VICReg()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-6)
    return _xy(model, opt, None, two_views(seed, noise=noise, drop=drop), vicreg_loss)


def mpnn(seed: int, lr: float = 1e-3, edge_bias: float | None = None, target_scale: float = 1.0) -> Setup:
    """The MPNN on the padded molecules (batch 32), MSE, Adam lr 1e-3; ``edge_bias``: see
    :class:`~.fresh23_models.MPNN`; ``target_scale``: see :func:`molecules`."""
    torch.manual_seed(seed)
    model = M.MPNN(bias=edge_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, molecules(seed, target_scale=target_scale), F.mse_loss)


def primer(seed: int, lr: float = 1e-3, init_std: float | None = None, warmup_inside_loop: bool = False) -> Setup:
    """The Primer LM on the Markov language (batch 8), AdamW lr 1e-3 betas (0.9, 0.95) weight decay 0.1 with a
    linear warm-up over 50 steps (``LambdaLR`` built once); ``init_std``: every weight matrix drawn N(0, std^2);
    ``warmup_inside_loop``: see :class:`WarmupInsideLoop`."""
    torch.manual_seed(seed)
    model = M.Primer()
    if init_std is not None:
        _init_std(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    sched: Any = (WarmupInsideLoop(opt, 50) if warmup_inside_loop
                  else torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 50)))
    return _xy(model, opt, sched, shifted_tokens(seed), lm_loss)


def _hf_lm(seed: int, kind: str, lr: float, initializer_range: float, labels_masked: bool) -> Setup:
    import transformers

    torch.manual_seed(seed)
    cfg = getattr(transformers, f"{kind}Config")(
        vocab_size=64, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=16, max_position_embeddings=64, initializer_range=initializer_range,
        tie_word_embeddings=False, bos_token_id=0, eos_token_id=1, pad_token_id=2)
    model = getattr(transformers, f"{kind}ForCausalLM")(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    batches = masked_labels(seed) if labels_masked else lm_tokens(seed)
    return Setup(model, opt, None, batches(0), None, model_loss, batches)


def qwen3(seed: int, lr: float = 3e-4, initializer_range: float = 0.02, labels_masked: bool = False) -> Setup:
    """A tiny Qwen3 (``transformers``' ``Qwen3ForCausalLM``: RMSNorm, grouped-query attention with per-head query
    and key RMSNorm, RoPE, a SiLU-gated MLP) on the Markov language (batch 8), AdamW lr 3e-4 betas (0.9, 0.95) weight
    decay 0.1, the config's init std 0.02 (warm-up and decay left out); ``initializer_range``: the config's;
    ``labels_masked``: see :func:`masked_labels`."""
    return _hf_lm(seed, "Qwen3", lr, initializer_range, labels_masked)


def glm4(seed: int, lr: float = 3e-4, initializer_range: float = 0.02) -> Setup:
    """A tiny GLM-4 (``transformers``' ``Glm4ForCausalLM``: RMSNorm before and after each sub-layer, partial RoPE,
    grouped-query attention, a fused gated MLP) on the Markov language, as :func:`qwen3`."""
    return _hf_lm(seed, "Glm4", lr, initializer_range, False)
