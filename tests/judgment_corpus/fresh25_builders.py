"""Builders of the twenty-sixth held-out batch (``fresh25.py``): standard models new to the corpus at their usual
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

from . import fresh25_models as M
from ._setup import POOL, Setup, markov_tokens, model_loss, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(250_000 + seed)


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    g = _gen(seed)
    pool = [make(g) for _ in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Class-template images (ten smooth 3x16x16 templates) plus noise 0.7: ``(image, label)``."""
    tmpl = F.interpolate(torch.randn(10, 3, 4, 4, generator=torch.Generator().manual_seed(2501)), size=(16, 16),
                         mode="bilinear", align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return tmpl[y] + 0.7 * torch.randn(batch, 3, 16, 16, generator=g), y
    return _pool(seed, make)


def mfcc(seed: int, batch: int = 32, classes: int = 8, coeffs: int = 10, frames: int = 40) -> Callable[[int], Any]:
    """Keyword MFCC sequences, the coefficients as channels: a fixed smooth template per keyword plus noise 0.8:
    ``(features (batch, 10, 40), keyword)``."""
    tmpl = F.interpolate(torch.randn(classes, coeffs, 6, generator=torch.Generator().manual_seed(2502)), size=frames,
                         mode="linear", align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return tmpl[y] + 0.8 * torch.randn(batch, coeffs, frames, generator=g), y
    return _pool(seed, make)


def multiseries(seed: int, batch: int = 16, variates: int = 4, lookback: int = 48, horizon: int = 12
                ) -> Callable[[int], Any]:
    """Windows of four sensor series: periods 12 and 24 with per-variate phases, random amplitudes, a level per
    window (N(0, 2^2)) and a slope (N(0, 0.05^2) per step), noise 0.1: ``(look-back (b, 48, 4), horizon (b, 12,
    4))``."""
    phase = 2 * math.pi * torch.rand(2, variates, generator=torch.Generator().manual_seed(2503))

    def make(g: torch.Generator) -> Any:
        t = torch.arange(lookback + horizon, dtype=torch.float32)[None, :, None]
        t0 = t + torch.randint(0, 24, (batch, 1, 1), generator=g)
        amp = 0.5 + torch.rand(batch, 2, variates, generator=g)
        x = (2 * torch.randn(batch, 1, variates, generator=g) + 0.05 * torch.randn(batch, 1, variates, generator=g) * t
             + amp[:, :1] * torch.sin(2 * math.pi * t0 / 12 + phase[0])
             + amp[:, 1:] * torch.sin(2 * math.pi * t0 / 24 + phase[1])
             + 0.1 * torch.randn(batch, lookback + horizon, variates, generator=g))
        return x[:, :lookback], x[:, lookback:]
    return _pool(seed, make)


def molecules(seed: int, batch: int = 32, n: int = 8, atoms: int = 5, bonds: int = 3, target_scale: float = 1.0
              ) -> Callable[[int], Any]:
    """Padded molecules of 5-8 atoms (five atom types, one-hot), a random tree of bonds (three bond types); the target
    a sum over bonds of a fixed contribution per (atom type, atom type, bond type) plus one per atom and per
    branching atom (degree 3 or more), scaled to unit spread: ``((atoms, bonds (b, 8, 8, 3), mask), target)``."""
    tg = torch.Generator().manual_seed(2504)
    pair, single = torch.randn(atoms, atoms, bonds, generator=tg), torch.randn(atoms, generator=tg)

    def make(g: torch.Generator) -> Any:
        x, e, mask, y = torch.zeros(batch, n, atoms), torch.zeros(batch, n, n, bonds), torch.zeros(batch, n), \
            torch.zeros(batch)
        for i in range(batch):
            k = int(torch.randint(5, n + 1, (1,), generator=g))
            types = torch.randint(0, atoms, (k,), generator=g)
            x[i, torch.arange(k), types], mask[i, :k] = 1.0, 1.0
            tot, deg = float(single[types].sum()), [0] * k
            for j in range(1, k):
                u, bt = int(torch.randint(0, j, (1,), generator=g)), int(torch.randint(0, bonds, (1,), generator=g))
                e[i, u, j, bt] = e[i, j, u, bt] = 1.0
                deg[u], deg[j] = deg[u] + 1, deg[j] + 1
                tot += float(pair[types[u], types[j], bt] + pair[types[j], types[u], bt]) / 2
            y[i] = (tot + sum(d >= 3 for d in deg)) / 3
        return (x, e, mask), y * target_scale
    return _pool(seed, make)


def tabular(seed: int, batch: int = 64, d: int = 12, raw: bool = False, sort_rows: bool = False
            ) -> Callable[[int], Any]:
    """Twelve standardised features and a label drawn with probability ``sigmoid(6 r)``, ``r`` the sum of three
    fixed rules (+1 if ``x0 > 0.5`` and ``x1 < 0``, +1 if ``x2 > -0.3``, -1 if ``x3 > 0`` and ``x4 > 0``, less 0.7);
    ``raw``: the features in their raw units (feature ``j`` of scale ``10^(j mod 5)`` around five times that), the
    standardisation left out; ``sort_rows``: each batch "sorted by its first column" written ``x.sort(dim=1)``,
    which sorts the values within every row: ``(features (b, 12), label)``."""
    scale = torch.tensor([10.0 ** (j % 5) for j in range(d)])

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, d, generator=g)
        r = ((x[:, 0] > 0.5) & (x[:, 1] < 0)).float() + (x[:, 2] > -0.3).float() - (
            (x[:, 3] > 0) & (x[:, 4] > 0)).float() - 0.7
        y = (torch.rand(batch, generator=g) < torch.sigmoid(6 * r)).float()
        if sort_rows:
            x = x.sort(dim=1).values
        return (scale * (5 + x) if raw else x), y
    return _pool(seed, make)


def clicks(seed: int, batch: int = 64) -> Callable[[int], Any]:
    """Click logs: the user's favourite category (0-4), the item (0-49), its category (``id % 5``), the hour (0-23)
    and the standardised dwell time; clicked with probability ``sigmoid(3 (2 match - 1) + 0.5 dwell)``, ``match``
    the item's category being the user's favourite (half the time): ``((fields (b, 4), dwell (b, 1)), click)``."""
    def make(g: torch.Generator) -> Any:
        fav = torch.randint(0, 5, (batch,), generator=g)
        match = torch.rand(batch, generator=g) < 0.5
        item = torch.where(match, 5 * torch.randint(0, 10, (batch,), generator=g) + fav,
                           torch.randint(0, 50, (batch,), generator=g))
        hour = torch.randint(0, 24, (batch,), generator=g)
        dwell = torch.randn(batch, 1, generator=g)
        m = (item % 5 == fav).float()
        y = (torch.rand(batch, generator=g) < torch.sigmoid(3 * (2 * m - 1) + 0.5 * dwell[:, 0])).float()
        return (torch.stack([fav, item, item % 5, hour], 1), dwell), y
    return _pool(seed, make)


def shifted_tokens(seed: int, batch: int = 8, length: int = 33, vocab: int = 64) -> Callable[[int], Any]:
    """``(inputs, next-token targets)`` of the corpus's Markov language, batch-major ``(batch, 32)``."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def lm_tokens(seed: int, batch: int = 8, length: int = 32, vocab: int = 64) -> Callable[[int], Any]:
    """``{"input_ids", "labels"}`` dicts of the Markov language (HF causal LMs shift the labels)."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return {"input_ids": x, "labels": x.clone()}
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def time_major_lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Time-major logits ``(time, batch, vocab)`` against batch-major targets: transposed before flattening."""
    return F.cross_entropy(logits.transpose(0, 1).reshape(-1, logits.shape[-1]), y.reshape(-1))


def time_major_lm_loss_unaligned(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The slip: time-major logits flattened as they are, against the batch-major targets flattened as they are
    (logit row ``t * batch + b`` scored against target ``(b', t')`` with ``b' * time + t' = t * batch + b``)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


# ---- builders --------------------------------------------------------------------------------------------------------

def replknet(seed: int, lr: float = 1e-3, bn: bool = True, sgd: bool = False) -> Setup:
    """RepLKNet on template images (batch 32), AdamW weight decay 0.05 (the paper's) at lr 1e-3 (its 4e-3 is for
    batch 2048 with warm-up); ``sgd``: SGD momentum 0.9 at ``lr`` instead; ``bn``: see
    :class:`~.fresh25_models.RepLKNet`."""
    torch.manual_seed(seed)
    model = M.RepLKNet(bn=bn)
    opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9) if sgd
           else torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05))
    return _xy(model, opt, images(seed), F.cross_entropy)


def vip(seed: int, lr: float = 1e-3, eps: float = 1e-8) -> Setup:
    """Vision Permutator on template images (batch 32), AdamW weight decay 0.05 (the paper's) at lr 1e-3 (its 2e-3
    is for batch 2048 with warm-up); ``eps``: AdamW's (the slip: 1.0, the value TensorFlow's Adam documentation
    suggests for Inception on ImageNet, copied)."""
    torch.manual_seed(seed)
    model = M.VisionPermutator()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, eps=eps, weight_decay=0.05)
    return _xy(model, opt, images(seed), F.cross_entropy)


def efficientformer(seed: int, lr: float = 1e-3, weight_decay: float = 0.05) -> Setup:
    """EfficientFormer on template images (batch 32), AdamW at the paper's lr 1e-3 and weight decay 0.05 (warm-up
    and cosine decay left out)."""
    torch.manual_seed(seed)
    model = M.EfficientFormer()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def wav2letter(seed: int, lr: float = 1e-3, extra: int = 0) -> Setup:
    """Wav2Letter on keyword MFCC sequences (batch 32), Adam lr 1e-3 (the paper's plain SGD needs far more steps);
    ``extra``: see :class:`~.fresh25_models.Wav2Letter`."""
    torch.manual_seed(seed)
    model = M.Wav2Letter(extra=extra)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, mfcc(seed), F.cross_entropy)


def timesnet(seed: int, lr: float = 1e-3) -> Setup:
    """TimesNet on sensor windows (batch 16), MSE, Adam lr 1e-3 (ten times the paper's 1e-4, which trains for ten
    epochs)."""
    torch.manual_seed(seed)
    model = M.TimesNet()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, multiseries(seed), F.mse_loss)


def segrnn(seed: int, lr: float = 1e-3, recurrent_std: float | None = None, drop_state: bool = False) -> Setup:
    """SegRNN on sensor windows (batch 16), MSE, Adam lr 1e-3; the switches: see
    :class:`~.fresh25_models.SegRNN`."""
    torch.manual_seed(seed)
    model = M.SegRNN(recurrent_std=recurrent_std, drop_state=drop_state)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, multiseries(seed), F.mse_loss)


def lightts(seed: int, lr: float = 1e-3, gamma: float = 0.1) -> Setup:
    """LightTS on sensor windows (batch 16), MSE, Adam lr 1e-3 with ``StepLR(step_size=50, gamma)``, stepped every
    batch: the intended ``gamma=0.1`` (the lr divided by ten every 50 steps); the slip ``gamma=10``, the "divide by
    ten" written as the factor 10."""
    torch.manual_seed(seed)
    model = M.LightTS()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=50, gamma=gamma)
    return _xy(model, opt, multiseries(seed), F.mse_loss, sched=sched)


def graphgps(seed: int, lr: float = 1e-3, clamp_deg: bool = True, target_scale: float = 1.0) -> Setup:
    """GraphGPS on padded molecules (batch 32), MSE, AdamW lr 1e-3 weight decay 1e-5 (the reference configs';
    warm-up and cosine decay left out); ``clamp_deg``: see :class:`~.fresh25_models.GPSLayer`; ``target_scale``: see
    :func:`molecules`."""
    torch.manual_seed(seed)
    model = M.GraphGPS(clamp_deg=clamp_deg)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, molecules(seed, target_scale=target_scale), F.mse_loss)


def saint(seed: int, lr: float = 1e-4, raw: bool = False, sort_rows: bool = False) -> Setup:
    """SAINT on tabular rows (batch 64), binary cross-entropy, AdamW at the paper's lr 1e-4 and weight decay 0.01;
    ``raw``/``sort_rows``: see :func:`tabular`."""
    torch.manual_seed(seed)
    model = M.SAINT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return _xy(model, opt, tabular(seed, raw=raw, sort_rows=sort_rows), F.binary_cross_entropy_with_logits)


def fibinet(seed: int, lr: float = 1e-3, hidden_bias: float | None = None) -> Setup:
    """FiBiNET on click logs (batch 64), binary cross-entropy, Adam lr 1e-3; ``hidden_bias``: see
    :class:`~.fresh25_models.FiBiNET`."""
    torch.manual_seed(seed)
    model = M.FiBiNET(hidden_bias=hidden_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, clicks(seed), F.binary_cross_entropy_with_logits)


def normformer(seed: int, lr: float = 1e-3, mask_diagonal: bool = False) -> Setup:
    """The NormFormer LM on the Markov language (batch 8), AdamW lr 1e-3 betas (0.9, 0.98) weight decay 0.01 (the
    fairseq LM recipe; warm-up left out); ``mask_diagonal``: see :class:`~.fresh25_models.NormFormerLM`."""
    torch.manual_seed(seed)
    model = M.NormFormerLM(mask_diagonal=mask_diagonal)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    return _xy(model, opt, shifted_tokens(seed), lm_loss)


def mogrifier(seed: int, lr: float = 2e-3, recurrent_std: float | None = None, unaligned: bool = False) -> Setup:
    """The Mogrifier LSTM LM on the Markov language (batch 8), Adam lr 2e-3 with the paper's ``beta1 = 0`` (betas
    (0, 0.999)), gradients clipped at norm 10; ``recurrent_std``: see :class:`~.fresh25_models.MogrifierLM`;
    ``unaligned``: the time-major logits flattened against the batch-major targets
    (:func:`time_major_lm_loss_unaligned`)."""
    torch.manual_seed(seed)
    model = M.MogrifierLM(recurrent_std=recurrent_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.0, 0.999))
    loss = time_major_lm_loss_unaligned if unaligned else time_major_lm_loss
    return _xy(model, opt, shifted_tokens(seed), loss, clip=10.0)


def exaone4(seed: int, lr: float = 3e-4, initializer_range: float = 0.02) -> Setup:
    """A tiny EXAONE 4 (``transformers``' ``Exaone4ForCausalLM``: four layers, three of sliding-window attention
    (window 8) and one global, QK-norm, post-sublayer RMSNorm, a SiLU-gated MLP) on the Markov language (batch 8),
    AdamW lr 3e-4 betas (0.9, 0.95) weight decay 0.1, the config's init std 0.02 (warm-up and decay left out)."""
    import transformers

    torch.manual_seed(seed)
    cfg = transformers.Exaone4Config(
        vocab_size=64, hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=4,
        num_key_value_heads=2, head_dim=16, max_position_embeddings=64, initializer_range=initializer_range,
        tie_word_embeddings=False, bos_token_id=0, eos_token_id=1, pad_token_id=2, sliding_window=8)
    model = transformers.Exaone4ForCausalLM(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    batches = lm_tokens(seed)
    return Setup(model, opt, None, batches(0), None, model_loss, batches)
