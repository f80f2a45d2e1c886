"""Builders of the twenty-fifth held-out batch (``fresh24.py``): standard models new to the corpus at their usual
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

from . import fresh24_models as M
from ._setup import POOL, Setup, markov_tokens, model_loss, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(240_000 + seed)


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    g = _gen(seed)
    pool = [make(g) for _ in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _init_std(model: nn.Module, std: float) -> None:
    """Every weight matrix (every parameter of two or more dimensions) drawn N(0, std^2)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def _templates(classes: int = 10, size: int = 16) -> torch.Tensor:
    return F.interpolate(torch.randn(classes, 3, 4, 4, generator=torch.Generator().manual_seed(2401)),
                         size=(size, size), mode="bilinear", align_corners=False)


def images(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Class-template images (ten smooth 3x16x16 templates) plus noise 0.7: ``(image, label)``."""
    tmpl = _templates()

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return tmpl[y] + 0.7 * torch.randn(batch, 3, 16, 16, generator=g), y
    return _pool(seed, make)


def image_text(seed: int, batch: int = 32, vocab: int = 32, length: int = 8) -> Callable[[int], Any]:
    """Image-caption pairs: a class-template image (noise 0.7) and a caption of eight tokens, two of them the class's
    own words (ids 2-21) at random places, the rest filler (ids 22-31): ``((images, captions), 0)``."""
    tmpl = _templates()

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        cap = torch.randint(22, vocab, (batch, length), generator=g)
        pos = torch.rand(batch, length, generator=g).argsort(1)[:, :2]
        cap.scatter_(1, pos, torch.stack([2 + 2 * y, 3 + 2 * y], 1))
        return (tmpl[y] + 0.7 * torch.randn(batch, 3, 16, 16, generator=g), cap), torch.zeros(())
    return _pool(seed, make)


def waveforms(seed: int, batch: int = 32, classes: int = 8, n: int = 240, pcm: bool = False) -> Callable[[int], Any]:
    """Keyword "waveforms" of 240 samples: per keyword three fixed frequencies (random phases and amplitudes 0.5-1
    per clip) plus noise 0.5: ``(wave (batch, 240), keyword)``."""
    freq = 0.02 + 0.4 * torch.rand(classes, 3, generator=torch.Generator().manual_seed(2402))
    t = torch.arange(n, dtype=torch.float32)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        ph = 2 * math.pi * torch.rand(batch, 3, 1, generator=g)
        amp = 0.5 + 0.5 * torch.rand(batch, 3, 1, generator=g)
        x = (amp * torch.sin(2 * math.pi * freq[y][..., None] * t + ph)).sum(1)
        x = x + 0.5 * torch.randn(batch, n, generator=g)
        return (torch.round(x.clamp(-4, 4) * 8191) if pcm else x), y
    return _pool(seed, make)


def _shape(k: int, g: torch.Generator, n: int) -> torch.Tensor:
    u, v = torch.rand(n, generator=g), 2 * math.pi * torch.rand(n, generator=g)
    if k == 0:  # sphere
        p = torch.randn(n, 3, generator=g)
        return p / p.norm(dim=1, keepdim=True)
    if k == 1:  # cube surface
        p = 2 * torch.rand(n, 3, generator=g) - 1
        face = torch.randint(0, 3, (n,), generator=g)
        p[torch.arange(n), face] = torch.sign(torch.randn(n, generator=g))
        return p
    if k == 2:  # cylinder
        return torch.stack([v.cos(), v.sin(), 2 * u - 1], 1)
    if k == 3:  # cone
        return torch.stack([(1 - u) * v.cos(), (1 - u) * v.sin(), 2 * u - 1], 1)
    w = 2 * math.pi * u  # torus
    return torch.stack([(0.7 + 0.3 * w.cos()) * v.cos(), (0.7 + 0.3 * w.cos()) * v.sin(), 0.3 * w.sin()], 1)


def point_clouds(seed: int, batch: int = 32, n: int = 64, scale: float = 1.0) -> Callable[[int], Any]:
    """Point clouds of 64 points on one of five shapes (sphere, cube, cylinder, cone, torus), scaled 0.8-1.2,
    rotated about the vertical axis, noise 0.02, normalised to the unit ball as PointNet++'s loaders do; ``scale``:
    the coordinates left in the scanner's millimetres (times 1000, the normalisation skipped): ``(points, shape)``."""
    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 5, (batch,), generator=g)
        pts = torch.stack([_shape(int(k), g, n) for k in y]) * (0.8 + 0.4 * torch.rand(batch, 1, 1, generator=g))
        a = 2 * math.pi * torch.rand(batch, generator=g)
        rot = torch.zeros(batch, 3, 3)
        rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1], rot[:, 2, 2] = a.cos(), -a.sin(), a.sin(), a.cos(), 1
        pts = pts @ rot + 0.02 * torch.randn(batch, n, 3, generator=g)
        if scale == 1.0:
            pts = pts / pts.norm(dim=-1).amax(1)[:, None, None]
        return pts * scale, y
    return _pool(seed, make)


def level_series(seed: int, batch: int = 32, n: int = 16) -> Callable[[int], Any]:
    """Scalar series of 16 steps whose first three values are a level of class 0-3 (-1.5, -0.5, 0.5, 1.5, noise 0.2)
    and the rest N(0, 1): ``(series (batch, 16, 1), class)``."""
    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        x = torch.randn(batch, n, generator=g)
        x[:, :3] = (y - 1.5)[:, None] + 0.2 * torch.randn(batch, 3, generator=g)
        return x[..., None], y
    return _pool(seed, make)


def multiseries(seed: int, batch: int = 16, variates: int = 4, lookback: int = 48, horizon: int = 12
                ) -> Callable[[int], Any]:
    """Windows of four sensor series: periods 12 and 24 with per-variate phases, random amplitudes, a level per
    window (N(0, 2^2)) and a slope (N(0, 0.05^2) per step), noise 0.1: ``(look-back (b, 48, 4), horizon (b, 12,
    4))``."""
    phase = 2 * math.pi * torch.rand(2, variates, generator=torch.Generator().manual_seed(2403))

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


def mfcc(seed: int, batch: int = 32, classes: int = 8, coeffs: int = 10, frames: int = 40) -> Callable[[int], Any]:
    """Keyword MFCC sequences, the coefficients as channels: a fixed smooth template per keyword plus noise 0.8:
    ``(features (batch, 10, 40), keyword)``."""
    tmpl = F.interpolate(torch.randn(classes, coeffs, 6, generator=torch.Generator().manual_seed(2404)), size=frames,
                         mode="linear", align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return tmpl[y] + 0.8 * torch.randn(batch, coeffs, frames, generator=g), y
    return _pool(seed, make)


def molecules(seed: int, batch: int = 32, n: int = 8, atoms: int = 5, bonds: int = 3, target_scale: float = 1.0
              ) -> Callable[[int], Any]:
    """Padded molecules of 5-8 atoms (five atom types, one-hot), a random tree of bonds (three bond types); the target
    a sum over bonds of a fixed contribution per (atom type, atom type, bond type) plus one per atom and per
    branching atom (degree 3 or more), scaled to unit spread: ``((atoms, bonds (b, 8, 8, 3), mask), target)``."""
    tg = torch.Generator().manual_seed(2405)
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


def tabular(seed: int, batch: int = 64, d: int = 12, raw: bool = False) -> Callable[[int], Any]:
    """Twelve features (as after NODE's quantile transform: standard normal) and a label drawn with probability
    ``sigmoid(3 r)``, ``r`` the sum of three fixed axis-aligned rules (+1 if ``x0 > 0.5`` and ``x1 < 0``, +1 if
    ``x2 > -0.3``, -1 if ``x3 > 0`` and ``x4 > 0``, less 0.7); ``raw``: the features in their raw units (feature ``j``
    a count or amount of scale ``10^(j mod 5)`` around five times that), the quantile transform left out:
    ``(features (b, 12), label)``."""
    scale = torch.tensor([10.0 ** (j % 5) for j in range(d)])

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, d, generator=g)
        r = ((x[:, 0] > 0.5) & (x[:, 1] < 0)).float() + (x[:, 2] > -0.3).float() - (
            (x[:, 3] > 0) & (x[:, 4] > 0)).float() - 0.7
        y = (torch.rand(batch, generator=g) < torch.sigmoid(6 * r)).float()
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
    """``(inputs, next-token targets)`` of the corpus's Markov language."""
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


def sigmoid_pair_loss(logits: torch.Tensor, _: Any) -> torch.Tensor:
    """SigLIP's loss: ``-sum log sigmoid(z_ij logit_ij) / n``, ``z`` +1 on the diagonal (the matching pairs) and -1
    elsewhere."""
    n = logits.shape[0]
    z = 2 * torch.eye(n) - 1
    return -F.logsigmoid(z * logits).sum() / n


# ---- builders --------------------------------------------------------------------------------------------------------

def slot_attention(seed: int, lr: float = 4e-4, init_std: float | None = None, weight_decay: float = 0.0) -> Setup:
    """Slot Attention on template images (batch 32), Adam at the paper's lr 4e-4 (its 10k-step warm-up and decay
    left out); ``init_std``: every weight matrix drawn N(0, std^2); ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.SlotAttention()
    if init_std is not None:
        _init_std(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def mpd(seed: int, lr: float = 2e-4, extra: int = 0, pcm: bool = False) -> Setup:
    """HiFi-GAN's multi-period discriminator as a keyword classifier on waveforms (batch 32), AdamW at HiFi-GAN's
    lr 2e-4, betas (0.8, 0.99), weight decay 0.01; ``extra``: plain stride-1 convs appended to each sub-discriminator
    (PyTorch's default init, no weight normalisation)."""
    torch.manual_seed(seed)
    model = M.MPDClassifier(extra=extra)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.8, 0.99), weight_decay=0.01)
    return _xy(model, opt, waveforms(seed, pcm=pcm), F.cross_entropy)


def siglip(seed: int, lr: float = 1e-3, weight_decay: float = 1e-4) -> Setup:
    """SigLIP on image-caption pairs (batch 32), AdamW at the paper's lr 1e-3, weight decay 1e-4, betas (0.9, 0.95)
    (warm-up and decay left out)."""
    torch.manual_seed(seed)
    model = M.SigLIP()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    return _xy(model, opt, image_text(seed), sigmoid_pair_loss)


def pointnet2(seed: int, lr: float = 1e-3, bn: bool = True, depth_extra: int = 0, sgd: bool = False,
              scale: float = 1.0, init_std: float | None = None) -> Setup:
    """PointNet++ on point clouds (batch 32), Adam at the paper's lr 1e-3; ``sgd``: SGD momentum 0.9 at ``lr``
    instead; ``bn``/``depth_extra``: see :class:`~.fresh24_models.PointNet2`; ``scale``: see :func:`point_clouds`."""
    torch.manual_seed(seed)
    model = M.PointNet2(bn=bn, depth_extra=depth_extra)
    if init_std is not None:
        _init_std(model, init_std)
    opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9) if sgd
           else torch.optim.Adam(model.parameters(), lr=lr))
    return _xy(model, opt, point_clouds(seed, scale=scale), F.cross_entropy)


def ntm(seed: int, lr: float = 1e-3, zero_memory_no_eps: bool = False, recurrent_std: float | None = None) -> Setup:
    """The NTM on level series (batch 32), Adam lr 1e-3 (the paper's RMSprop 1e-4 with momentum 0.9 needs far more
    than 200 steps), gradients clipped to norm 10 as reference implementations; the switches: see
    :class:`~.fresh24_models.NTM`."""
    torch.manual_seed(seed)
    model = M.NTM(zero_memory_no_eps=zero_memory_no_eps, recurrent_std=recurrent_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, level_series(seed), F.cross_entropy, clip=10.0)


def autoformer(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, init_std: float | None = None) -> Setup:
    """Autoformer on sensor windows (batch 16), MSE, Adam lr 1e-3 (ten times the paper's 1e-4, which needs its ten
    epochs); ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.Autoformer()
    if init_std is not None:
        _init_std(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, multiseries(seed), F.mse_loss)


def cbhg(seed: int, lr: float = 1e-3, recurrent_std: float | None = None) -> Setup:
    """Tacotron's CBHG on keyword MFCC sequences (batch 32), Adam at Tacotron's lr 1e-3, eps 1e-6;
    ``recurrent_std``: the GRU's hidden-to-hidden weights (both directions) drawn N(0, std^2)."""
    torch.manual_seed(seed)
    model = M.CBHG()
    if recurrent_std is not None:
        with torch.no_grad():
            for name, p in model.gru.named_parameters():
                if name.startswith("weight_hh"):
                    p.normal_(0.0, recurrent_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-6)
    return _xy(model, opt, mfcc(seed), F.cross_entropy)


def pna(seed: int, lr: float = 1e-3, std_eps: bool = True, norm_last: bool = False, target_scale: float = 1.0
        ) -> Setup:
    """PNA on padded molecules (batch 32), MSE, Adam at the paper's lr 1e-3; the switches: see
    :class:`~.fresh24_models.PNA`."""
    torch.manual_seed(seed)
    model = M.PNA(std_eps=std_eps, norm_last=norm_last)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, molecules(seed, target_scale=target_scale), F.mse_loss)


def node(seed: int, lr: float = 1e-2, raw: bool = False, weight_decay: float = 0.0) -> Setup:
    """NODE on tabular rows (batch 64), binary cross-entropy, Adam lr 1e-3 betas (0.95, 0.998) (the paper's QHAdam
    without its quasi-hyperbolic terms); ``raw``: see :func:`tabular`; ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.NODE()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.95, 0.998), weight_decay=weight_decay)
    return _xy(model, opt, tabular(seed, raw=raw), F.binary_cross_entropy_with_logits)


def deep_crossing(seed: int, lr: float = 1e-3, hidden_bias: float | None = None, relu_method: bool = False) -> Setup:
    """Deep Crossing on click logs (batch 64), binary cross-entropy, Adam lr 1e-3; the switches: see
    :class:`~.fresh24_models.DeepCrossing`."""
    torch.manual_seed(seed)
    model = M.DeepCrossing(hidden_bias=hidden_bias, relu_method=relu_method)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, clicks(seed), F.binary_cross_entropy_with_logits)


def aft(seed: int, lr: float = 1e-3, emb_std: float | None = None, weight_decay: float = 0.01) -> Setup:
    """The AFT-full LM on the Markov language (batch 8), AdamW lr 1e-3 betas (0.9, 0.98) weight decay 0.01;
    ``emb_std``: see :class:`~.fresh24_models.AFTLM`."""
    torch.manual_seed(seed)
    model = M.AFTLM(emb_std=emb_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=weight_decay)
    return _xy(model, opt, shifted_tokens(seed), lm_loss)


def _hf_lm(seed: int, kind: str, layers: int, lr: float, initializer_range: float) -> Setup:
    import transformers

    torch.manual_seed(seed)
    cfg = getattr(transformers, f"{kind}Config")(
        vocab_size=64, hidden_size=64, intermediate_size=128, num_hidden_layers=layers, num_attention_heads=4,
        num_key_value_heads=2, head_dim=16, max_position_embeddings=64, initializer_range=initializer_range,
        tie_word_embeddings=False, bos_token_id=0, eos_token_id=1, pad_token_id=2)
    model = getattr(transformers, f"{kind}ForCausalLM")(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    batches = lm_tokens(seed)
    return Setup(model, opt, None, batches(0), None, model_loss, batches)


def smollm3(seed: int, lr: float = 3e-4, initializer_range: float = 0.02) -> Setup:
    """A tiny SmolLM3 (``transformers``' ``SmolLM3ForCausalLM``: four layers, RoPE left out of every fourth (NoPE),
    grouped-query attention, RMSNorm, a SiLU-gated MLP) on the Markov language (batch 8), AdamW lr 3e-4 betas (0.9,
    0.95) weight decay 0.1, the config's init std 0.02 (warm-up and decay left out)."""
    return _hf_lm(seed, "SmolLM3", 4, lr, initializer_range)


def arcee(seed: int, lr: float = 3e-4, initializer_range: float = 0.02) -> Setup:
    """A tiny Arcee (``transformers``' ``ArceeForCausalLM``: a plain two-matrix MLP with squared ReLU, RMSNorm,
    grouped-query attention, RoPE) on the Markov language, as :func:`smollm3` (two layers)."""
    return _hf_lm(seed, "Arcee", 2, lr, initializer_range)
