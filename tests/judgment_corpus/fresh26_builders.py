"""Builders of the twenty-seventh held-out batch (``fresh26.py``): standard models new to the corpus at their usual
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

from . import fresh26_models as M
from ._setup import POOL, Setup, markov_tokens, model_loss, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(260_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(2600 + k)


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    g = _gen(seed)
    pool = [make(g) for _ in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _smooth(g: torch.Generator, *shape: int, size: tuple[int, ...]) -> torch.Tensor:
    mode = "bilinear" if len(size) == 2 else "linear"
    return F.interpolate(torch.randn(*shape, generator=g), size=size, mode=mode, align_corners=False)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Class-template images (ten smooth 3x16x16 templates) plus noise 0.7: ``(image, label)``."""
    tmpl = _smooth(_fixed(1), 10, 3, 4, 4, size=(16, 16))

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return tmpl[y] + 0.7 * torch.randn(batch, 3, 16, 16, generator=g), y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Segmentation scenes: a background (class 0) and two rectangles (sides 4 to 8) of classes 1-3, each class a
    fixed colour, plus pixel noise 0.8: ``(image (b, 3, 16, 16), labels (b, 16, 16))``."""
    colours = torch.randn(4, 3, generator=_fixed(2))

    def make(g: torch.Generator) -> Any:
        y = torch.zeros(batch, size, size, dtype=torch.long)
        for i in range(batch):
            for _ in range(2):
                h, w = (int(v) for v in torch.randint(4, 9, (2,), generator=g))
                r, c = int(torch.randint(0, size - h + 1, (1,), generator=g)), int(
                    torch.randint(0, size - w + 1, (1,), generator=g))
                y[i, r:r + h, c:c + w] = int(torch.randint(1, 4, (1,), generator=g))
        return colours[y].permute(0, 3, 1, 2) + 0.8 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def clips(seed: int, batch: int = 8, frames: int = 8, time_major: bool = False) -> Callable[[int], Any]:
    """Video clips of eight motions: one of four smooth 3x16x16 templates (drawn independently of the class) moving
    left, right, up or down by one or two pixels a frame (circularly), plus noise 0.5 per frame: ``(clip (b, 8, 3,
    16, 16), motion)``; only the motion tells the class. ``time_major``: the collate's slip, the per-frame batches
    stacked with ``torch.stack(frames, 0)``: ``(8 frames, b, 3, 16, 16)``. 200 distinct batches (one per step), not
    the corpus's 32: with 32, the slip's run memorises part of the pool's 256 mixed outputs."""
    tmpl = _smooth(_fixed(3), 4, 3, 4, 4, size=(16, 16))

    def make(g: torch.Generator) -> Any:
        y, look = torch.randint(0, 8, (batch,), generator=g), torch.randint(0, 4, (batch,), generator=g)
        speed, axis = (1 + y // 4) * (1 - 2 * (y % 2)), 1 + (y // 2) % 2  # class: speed 1-2, sign, axis h/w
        per_frame = [torch.stack([tmpl[int(a)].roll(int(v) * t, int(d)) for a, v, d in zip(look, speed, axis)])
                     + 0.5 * torch.randn(batch, 3, 16, 16, generator=g) for t in range(frames)]
        return torch.stack(per_frame, 0 if time_major else 1), y
    return _pool(seed, make, size=200)


def utterances(seed: int, batch: int = 32, speakers: int = 8, coeffs: int = 20, frames: int = 60,
               by_speaker: bool = False) -> Callable[[int], Any]:
    """Speaker-labelled cepstral frames ``(b, 20, 60)``: the speaker's fixed spectral envelope (N(0, 0.5^2) per
    coefficient) plus a random sequence of ten phones of six frames each (twelve fixed phone templates) plus noise
    0.7. ``by_speaker``: the loader's slip, the utterances listed speaker by speaker and read without shuffling
    (``shuffle=False``): every batch holds one speaker (batches 4k to 4k + 3 speaker k)."""
    env, phones = 0.5 * torch.randn(speakers, coeffs, generator=_fixed(4)), torch.randn(12, coeffs,
                                                                                           generator=_fixed(5))
    order = iter(torch.arange(POOL) * speakers // POOL)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, speakers, (batch,), generator=g)
        if by_speaker:
            y = torch.full((batch,), int(next(order)))
        seq = torch.randint(0, 12, (batch, frames // 6), generator=g).repeat_interleave(6, 1)
        x = env[y][:, :, None] + phones[seq].transpose(1, 2) + 0.7 * torch.randn(batch, coeffs, frames, generator=g)
        return x, y
    return _pool(seed, make)


def spectrograms(seed: int, batch: int = 16, classes: int = 8, frames: int = 32, mels: int = 16
                 ) -> Callable[[int], Any]:
    """Keyword log-mel spectrograms ``{"input_values": (b, 32 frames, 16 mels), "labels"}``: a smooth fixed
    time-frequency template per keyword plus noise 0.8."""
    tmpl = _smooth(_fixed(6), classes, 1, 6, 4, size=(frames, mels))[:, 0]

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return {"input_values": tmpl[y] + 0.8 * torch.randn(batch, frames, mels, generator=g), "labels": y}
    return _pool(seed, make)


def spoken_letters(seed: int, batch: int = 16, coeffs: int = 12, frames: int = 48, letters: int = 6,
                   first_id: int = 1) -> Callable[[int], Any]:
    """Transcribed utterances for CTC: 4-6 letters (ids 1-6; 0 is the blank), each spoken as a fixed 12-coefficient
    template for 4-6 frames, after 0-4 frames of silence, plus noise 0.5, in 48 frames: ``(features (b, 12, 48),
    (targets (b, 6) zero-padded, target lengths))``."""
    tmpl = 1.5 * torch.randn(letters, coeffs, generator=_fixed(7))

    def make(g: torch.Generator) -> Any:
        x, tgt, lens = 0.5 * torch.randn(batch, coeffs, frames, generator=g), torch.zeros(batch, 6, dtype=torch.long), \
            torch.zeros(batch, dtype=torch.long)
        for i in range(batch):
            n, t = int(torch.randint(4, 7, (1,), generator=g)), int(torch.randint(0, 5, (1,), generator=g))
            for j in range(n):
                c, d = int(torch.randint(0, letters, (1,), generator=g)), int(torch.randint(4, 7, (1,), generator=g))
                x[i, :, t:t + d] += tmpl[c][:, None]
                tgt[i, j], t = c + first_id, t + d
            lens[i] = n
        return x, (tgt, lens)
    return _pool(seed, make)


def series(seed: int, batch: int = 16, variates: int = 3, lookback: int = 48, horizon: int = 12,
           scale: float = 1.0) -> Callable[[int], Any]:
    """Windows of three sensor series: periods 8 and 16 with per-variate phases, random amplitudes (0.5 to 1.5), a
    level per window (N(0, 1)), noise 0.1, all times ``scale`` (the raw-units fault: 1e4): ``(look-back (b, 48, 3),
    horizon (b, 12, 3))``."""
    phase = 2 * math.pi * torch.rand(2, variates, generator=_fixed(8))

    def make(g: torch.Generator) -> Any:
        t = torch.arange(lookback + horizon, dtype=torch.float32)[None, :, None]
        t0 = t + torch.randint(0, 16, (batch, 1, 1), generator=g)
        amp = 0.5 + torch.rand(batch, 2, variates, generator=g)
        x = (torch.randn(batch, 1, variates, generator=g) + amp[:, :1] * torch.sin(2 * math.pi * t0 / 8 + phase[0])
             + amp[:, 1:] * torch.sin(2 * math.pi * t0 / 16 + phase[1])
             + 0.1 * torch.randn(batch, lookback + horizon, variates, generator=g)) * scale
        return x[:, :lookback], x[:, lookback:]
    return _pool(seed, make)


def graphs(seed: int, n: int = 64, classes: int = 4, words: int = 24, guard: bool = True) -> Callable[[int], Any]:
    """Citation-like graphs: 64 nodes in four communities (an edge inside a community with probability 0.2, across
    0.02), each node 0-6 words drawn from its community's fixed word distribution (bag-of-words counts; about one
    node in seven has none), the features row-normalised as in the GCN reference preprocessing, ``A_hat = D^-1/2
    (A + I) D^-1/2``: ``((features (64, 24), A_hat), community)``. ``guard=False``: the row normalisation
    ``x / x.sum(1)`` written without the reference's guard for empty rows (0/0)."""
    probs = torch.softmax(2.0 * torch.randn(classes, words, generator=_fixed(10)), 1)

    def make(g: torch.Generator) -> Any:
        y = torch.arange(n) % classes
        same = y[:, None] == y[None]
        a = (torch.rand(n, n, generator=g) < torch.where(same, 0.2, 0.02)).float().triu(1)
        a = a + a.t() + torch.eye(n)
        d = a.sum(1).rsqrt()
        x = torch.zeros(n, words)
        for i in range(n):
            k = int(torch.randint(0, 7, (1,), generator=g))
            if k:
                x[i] += torch.bincount(torch.multinomial(probs[y[i]], k, True, generator=g), minlength=words)
        s = x.sum(1, keepdim=True)
        return (x / s.clamp(min=1e-12) if guard else x / s, d[:, None] * a * d[None]), y
    return _pool(seed, make)


def clicks(seed: int, batch: int = 64, log1p: bool = True) -> Callable[[int], Any]:
    """Click logs: the user (0-99; favourite category ``user % 10``), the item (0-199; category ``item % 10``, the
    favourite half the time), its category and the hour (0-23), and two counts (the user's past clicks ~ Poisson(3),
    the item's popularity ~ Poisson(2), zeros included) transformed by ``log1p``; clicked with probability
    ``sigmoid(3 (2 match - 1) + 1.5 (log1p(popularity) - 1))``: ``((ids (b, 4), counts (b, 2)), click)``.
    ``log1p=False``: the counts transformed by ``torch.log`` (the ``+ 1`` left out: ``log 0 = -inf``)."""
    def make(g: torch.Generator) -> Any:
        user = torch.randint(0, 100, (batch,), generator=g)
        match = torch.rand(batch, generator=g) < 0.5
        item = torch.where(match, 10 * torch.randint(0, 20, (batch,), generator=g) + user % 10,
                           torch.randint(0, 200, (batch,), generator=g))
        hour = torch.randint(0, 24, (batch,), generator=g)
        counts = torch.poisson(torch.tensor([3.0, 2.0]).expand(batch, 2), generator=g)
        m = (item % 10 == user % 10).float()
        p = torch.sigmoid(3 * (2 * m - 1) + 1.5 * (torch.log1p(counts[:, 1]) - 1))
        y = (torch.rand(batch, generator=g) < p).float()
        return (torch.stack([user, item, item % 10, hour], 1), torch.log1p(counts) if log1p else counts.log()), y
    return _pool(seed, make)


def tabular(seed: int, batch: int = 64, d: int = 12, raw: bool = False) -> Callable[[int], Any]:
    """Twelve standardised features and a label drawn with probability ``sigmoid(8 r)``, ``r = 1[x0 > 0.3] + 1[x1 x2
    > 0] - 1[x3 > 0.5 and x4 < 0] - 0.5``; ``raw``: the features in their raw units (feature ``j`` of scale ``10^(j
    mod 5)`` around five times that), the standardisation left out: ``(features (b, 12), label)``."""
    scale = torch.tensor([10.0 ** (j % 5) for j in range(d)])

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, d, generator=g)
        r = (x[:, 0] > 0.3).float() + (x[:, 1] * x[:, 2] > 0).float() - (
            (x[:, 3] > 0.5) & (x[:, 4] < 0)).float() - 0.5
        y = (torch.rand(batch, generator=g) < torch.sigmoid(8 * r)).float()
        return (scale * (5 + x) if raw else x), y
    return _pool(seed, make)


def strokes(seed: int, batch: int = 32, size: int = 12) -> Callable[[int], Any]:
    """Binary 12x12 images of one to three bars (width 2, length 6-12, horizontal or vertical), flattened: ``(image
    (b, 144), image)``."""
    def make(g: torch.Generator) -> Any:
        x = torch.zeros(batch, size, size)
        for i in range(batch):
            for _ in range(int(torch.randint(1, 4, (1,), generator=g))):
                n, p, q = (int(torch.randint(lo, hi, (1,), generator=g)) for lo, hi in ((6, 13), (0, 11), (0, 7)))
                if float(torch.rand(1, generator=g)) < 0.5:
                    x[i, p:p + 2, q:q + n] = 1.0
                else:
                    x[i, q:q + n, p:p + 2] = 1.0
        x = x.flatten(1)
        return x, x
    return _pool(seed, make)


def episodes(seed: int, batch: int = 32, steps: int = 4, obs: int = 8, actions: int = 4, scale: float = 1.0
             ) -> Callable[[int], Any]:
    """Partially observed episodes of four 8-d observations: the first shows a context ``c`` (one of four, one-hot
    in its first four features) and nothing else, the later ones only noise in their last four features, the last
    one's being the state ``s``; the Q-value targets ``3 [a = c] + 0.2 s W_a`` (a fixed ``W``) plus noise 0.1, all
    times ``scale`` (the fault: 1e4, the returns in raw units, DQN's reward clipping or scaling left out):
    ``(observations (b, 4, 8), Q targets (b, 4))``."""
    w = torch.randn(4, actions, generator=_fixed(11))

    def make(g: torch.Generator) -> Any:
        c = torch.randint(0, actions, (batch,), generator=g)
        x = torch.zeros(batch, steps, obs)
        x[:, 0, :4] = F.one_hot(c, 4).float()
        x[:, 1:, 4:] = torch.randn(batch, steps - 1, 4, generator=g)
        q = 3 * F.one_hot(c, actions).float() + 0.2 * x[:, -1, 4:] @ w
        return x, (q + 0.1 * torch.randn(batch, actions, generator=g)) * scale
    return _pool(seed, make)


def lm_tokens(seed: int, batch: int = 8, length: int = 32, vocab: int = 64) -> Callable[[int], Any]:
    """``{"input_ids", "labels"}`` dicts of the corpus's Markov language (HF causal LMs shift the labels)."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return {"input_ids": x, "labels": x.clone()}
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def ctc_loss(logp: torch.Tensor, target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """``F.ctc_loss`` of time-major log-probabilities, every utterance using all its frames, blank 0, mean
    reduction (each utterance's loss divided by its target length)."""
    tgt, lens = target
    return F.ctc_loss(logp, tgt, torch.full((logp.shape[1],), logp.shape[0], dtype=torch.long), lens)


def draw_loss(out: tuple[torch.Tensor, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """DRAW's negative ELBO per image: the Bernoulli reconstruction loss summed over pixels plus the summed KL."""
    canvas, kl = out
    return (F.binary_cross_entropy_with_logits(canvas, x, reduction="none").sum(1) + kl).mean()


def ensemble_bce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """TabM's loss: the members' binary cross-entropies averaged (each member trained on every row)."""
    return F.binary_cross_entropy_with_logits(logits, y[:, None].expand_as(logits))


# ---- builders --------------------------------------------------------------------------------------------------------

def pit(seed: int, lr: float = 1e-3, weight_decay: float = 0.05) -> Setup:
    """PiT on template images (batch 32), AdamW weight decay 0.05 (DeiT's recipe, which PiT uses) at lr 1e-3 (its
    5e-4 per 512 images is for batch 1024 with warm-up); ``linear_std``: see :class:`~.fresh26_models.PiT`."""
    torch.manual_seed(seed)
    model = M.PiT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def deeplabv3(seed: int, lr: float = 0.007, bn: bool = True, loss_scale: float | None = None) -> Setup:
    """DeepLabV3 on segmentation scenes (batch 16), per-pixel cross-entropy, SGD momentum 0.9 weight decay 1e-4 at
    the paper's initial lr 0.007 with its "poly" schedule ``(1 - step / 200) ** 0.9``; ``bn``: see
    :class:`~.fresh26_models.DeepLabV3`. ``loss_scale``: the mixed-precision slip, ``scaler.scale(loss).backward()``
    followed by a plain ``optimizer.step()`` (the ``scaler.step(optimizer)`` that unscales left out): every
    gradient reaches SGD ``loss_scale`` (65536, GradScaler's initial scale) times too large, as these parameter
    hooks make it; the logged loss is the unscaled one."""
    torch.manual_seed(seed)
    model = M.DeepLabV3(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / 200) ** 0.9)
    if loss_scale is not None:
        for p in model.parameters():
            p.register_hook(lambda grad: grad * loss_scale)
    return _xy(model, opt, scenes(seed), F.cross_entropy, sched=sched)


def tsm(seed: int, lr: float = 0.01, time_major: bool = False) -> Setup:
    """TSM on moving-template clips (batch 8 clips of 8 frames), SGD momentum 0.9 weight decay 5e-4 at lr 0.01,
    gradients clipped at norm 20 (the reference code's ``--clip-gradient 20``); ``time_major``: see :func:`clips`."""
    torch.manual_seed(seed)
    model = M.TSM()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, clips(seed, time_major=time_major), F.cross_entropy, clip=20.0)


def ecapa(seed: int, lr: float = 1e-3, by_speaker: bool = False) -> Setup:
    """ECAPA-TDNN on speaker-labelled cepstral frames (batch 32), Adam at the paper's peak lr 1e-3 and weight decay
    2e-5 (its cyclical schedule left out); a softmax classifier in place of the AAM-softmax (margin 0.2, scale 30),
    whose scaled margins make the loss's chance level moot; ``by_speaker``: see :func:`utterances`."""
    torch.manual_seed(seed)
    model = M.ECAPA()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=2e-5)
    return _xy(model, opt, utterances(seed, by_speaker=by_speaker), F.cross_entropy)


def quartznet(seed: int, lr: float = 1e-3, first_id: int = 1) -> Setup:
    """QuartzNet on spoken letters (batch 16), CTC, AdamW lr 1e-3 weight decay 1e-3 (the paper's NovoGrad, lr 0.01
    weight decay 1e-3, is not in ``torch.optim``; warm-up and cosine decay left out); ``plain``/``softmax_dim``: see
    :class:`~.fresh26_models.QuartzNet`."""
    torch.manual_seed(seed)
    model = M.QuartzNet()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-3)
    return _xy(model, opt, spoken_letters(seed, first_id=first_id), ctc_loss)


def ast(seed: int, lr: float = 2.5e-4) -> Setup:
    """A tiny Audio Spectrogram Transformer (``transformers``' ``ASTForAudioClassification``: 4x4 patches at stride
    4 over 32 frames x 16 mels, two layers of width 64) on keyword spectrograms (batch 16), Adam lr 2.5e-4 betas
    (0.95, 0.999) weight decay 5e-7 (the AST recipe for Speech Commands, trained from scratch here), the config's
    init std 0.02."""
    import transformers

    torch.manual_seed(seed)
    cfg = transformers.ASTConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                                 patch_size=4, frequency_stride=4, time_stride=4, max_length=32, num_mel_bins=16,
                                 num_labels=8)
    model = transformers.ASTForAudioClassification(cfg)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.95, 0.999), weight_decay=5e-7)
    batches = spectrograms(seed)
    return Setup(model, opt, None, batches(0), None, model_loss, batches)


def scinet(seed: int, lr: float = 1e-3, scale: float = 1.0) -> Setup:
    """SCINet on sensor windows (batch 16), MSE, Adam lr 1e-3; ``scale``: see :func:`series`."""
    torch.manual_seed(seed)
    model = M.SCINet()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, series(seed, scale=scale), F.mse_loss)


def jknet(seed: int, lr: float = 5e-3, weight_decay: float = 5e-4, guard: bool = True) -> Setup:
    """JK-Net on community graphs (one 64-node graph a step), node cross-entropy, Adam at the paper's lr 5e-3 and
    weight decay 5e-4 (coupled L2, as in the GCN reference code); ``guard``: see :func:`graphs`."""
    torch.manual_seed(seed)
    model = M.JKNet()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, graphs(seed, guard=guard), F.cross_entropy)


def masknet(seed: int, lr: float = 1e-3, log1p: bool = True, half: bool = False) -> Setup:
    """Serial MaskNet on click logs (batch 64), binary cross-entropy, Adam lr 1e-3 (ten times the paper's 1e-4,
    meant for batch 1024 and epochs of data); ``log1p``: see :func:`clicks`. ``half``: the precision slip, the model
    and its float inputs cast with ``.half()`` to save memory and trained with ``torch.optim.Adam`` at its default
    ``eps=1e-8``, which is 0 in float16 (as are the squares of gradients below 2.4e-4)."""
    torch.manual_seed(seed)
    model = M.MaskNet()
    batches = clicks(seed, log1p=log1p)
    if half:
        model = model.half()
        full = batches

        def batches(step: int) -> Any:
            (ids, num), y = full(step)
            return (ids, num.half()), y.half()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, batches, F.binary_cross_entropy_with_logits)


def tabm(seed: int, lr: float = 2e-3, raw: bool = False, hidden_bias: float | None = None, layers: int = 3) -> Setup:
    """TabM (16 members) on tabular rows (batch 64), the members' mean binary cross-entropy, AdamW lr 2e-3 weight
    decay 3e-4 (within the paper's tuned ranges); ``raw``: see :func:`tabular`; ``hidden_bias``: see
    :class:`~.fresh26_models.TabM`."""
    torch.manual_seed(seed)
    model = M.TabM(layers=layers, hidden_bias=hidden_bias)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=3e-4)
    return _xy(model, opt, tabular(seed, raw=raw), ensemble_bce)


def draw(seed: int, lr: float = 1e-3) -> Setup:
    """DRAW without attention on binary bar images (batch 32), the negative ELBO, Adam lr 1e-3 betas (0.5, 0.999),
    gradients clipped at norm 5 (the widely used reference implementation's settings)."""
    torch.manual_seed(seed)
    model = M.DRAW()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
    return _xy(model, opt, strokes(seed), draw_loss, clip=5.0)


def drqn(seed: int, lr: float = 1e-3, depth: int = 2, batch_first: bool = True, scale: float = 1.0) -> Setup:
    """DRQN on partially observed episodes (batch 32), the Huber loss on the Q targets, Adam lr 1e-3 (the paper's
    Adadelta is far slower in 200 steps); ``depth``/``batch_first``: see :class:`~.fresh26_models.DRQN`;
    ``scale``: see :func:`episodes`."""
    torch.manual_seed(seed)
    model = M.DRQN(depth=depth, batch_first=batch_first)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, episodes(seed, scale=scale), F.smooth_l1_loss)


def olmoe(seed: int, lr: float = 4e-4, weight_decay: float = 0.1, initializer_range: float = 0.02) -> Setup:
    """A tiny OLMoE (``transformers``' ``OlmoeForCausalLM``: two layers, eight SwiGLU experts of width 64 with top-2
    routing and the load-balancing loss at 0.01, QK-norm, RMSNorm) on the Markov language (batch 8), AdamW at the
    paper's lr 4e-4 betas (0.9, 0.95) weight decay 0.1, init std 0.02 (warm-up and decay left out)."""
    import transformers

    torch.manual_seed(seed)
    cfg = transformers.OlmoeConfig(
        vocab_size=64, hidden_size=64, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=64, num_experts=8, num_experts_per_tok=2,
        output_router_logits=True, router_aux_loss_coef=0.01, initializer_range=initializer_range, pad_token_id=None,
        bos_token_id=0, eos_token_id=1)
    model = transformers.OlmoeForCausalLM(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    batches = lm_tokens(seed)
    return Setup(model, opt, None, batches(0), None, model_loss, batches)
