"""Builders of the sixty-eighth held-out batch (``fresh67.py``): sequence, speech, forecasting and event-sequence
models new to the corpus at their usual settings, and broken variants with one real fault each, plus the small data
sets they train on. Written and labelled before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh67_models as M
from . import fresh67_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(670_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6700 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def marked_series(seed: int, batch: int = 64, length: int = 32, mark: int = 8, classes: int = 4
                  ) -> Callable[[int], Any]:
    """Two-channel series whose class is marked only in their first ``mark`` steps (channel 1 follows a fixed +-1
    code of the class there, each code summing to zero, 0 after); both channels carry N(0, 0.3^2) noise:
    ``(series (b, length, 2), class)``."""
    fg = _fixed(1)
    codes = torch.stack([torch.cat([torch.ones(mark // 2), -torch.ones(mark // 2)])[torch.randperm(mark, generator=fg)]
                         for _ in range(classes)])

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.3 * torch.randn(batch, length, 2, generator=g)
        x[:, :mark, 1] += codes[y]
        return x, y
    return _pool(seed, make)


def majority_tokens(seed: int, batch: int = 64, length: int = 16, vocab: int = 32, classes: int = 4
                    ) -> Callable[[int], Any]:
    """Token sequences over 32 ids whose label is the most frequent class (``id % 4``) among their 16 tokens, one
    class drawn per sequence making 40% of them, the rest uniform: ``(tokens (b, 16), class (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randint(0, classes, (batch, 1), generator=g)
        on = torch.randint(0, vocab // classes, (batch, length), generator=g) * classes + c
        x = torch.where(torch.rand(batch, length, generator=g) < 0.4, on,
                        torch.randint(0, vocab, (batch, length), generator=g))
        return x, F.one_hot(x % classes, classes).sum(1).argmax(1)
    return _pool(seed, make)


def lm_stream(seed: int, batch: int = 8, length: int = 32, interleaved: bool = False) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens as one stream of ``8 * (32 * 32) + 8`` tokens, batchified
    the batch-major way of PyTorch's ``word_language_model`` example, ``data = stream.view(8, -1)`` (each row a
    contiguous stretch), and cut into 32 consecutive chunks, ``(data[:, i:i + 32], data[:, i + 1:i + 33])``.
    ``interleaved``: batchified ``data = stream.view(-1, 8).t()`` (the example's time-major recipe turned around
    without care: each row takes every 8th token, so a row's neighbours lie 8 tokens apart in the text)."""
    stream = markov_tokens(_gen(seed), 1, batch * (length * POOL + 1), 64)[0]
    data = stream.view(-1, batch).t() if interleaved else stream.view(batch, -1)
    chunks = [(data[:, i * length:(i + 1) * length], data[:, i * length + 1:(i + 1) * length + 1])
              for i in range(POOL)]
    return lambda step: chunks[step % POOL]


def mu_law(x: torch.Tensor, levels: int = 64) -> torch.Tensor:
    """Mu-law companding (mu = levels - 1) of ``x`` in [-1, 1], quantised to class ids 0 .. levels - 1."""
    mu = levels - 1
    y = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    return ((y + 1) / 2 * mu + 0.5).long().clamp(0, mu)


def waves(seed: int, batch: int = 8, length: int = 160, receptive: int = 64) -> Callable[[int], Any]:
    """Audio-like clips of 160 samples: two sinusoids of random periods (40 to 120 samples), amplitudes and phases
    plus N(0, 0.002^2) noise, scaled into [-0.9, 0.9], mu-law quantised to 64 levels: ``(classes (b, 159), the class of
    each next sample after the first 63 (b, 96))``."""
    t = torch.arange(length).float()

    def make(g: torch.Generator, _: int) -> Any:
        period = 40 + 80 * torch.rand(batch, 2, 1, generator=g)
        amp = 0.3 + 0.7 * torch.rand(batch, 2, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 2, 1, generator=g)
        x = (amp * torch.sin(2 * math.pi * t / period + ph)).sum(1) + 0.002 * torch.randn(batch, length, generator=g)
        ids = mu_law(0.9 * x / x.abs().amax(1, keepdim=True))
        return ids[:, :-1], ids[:, receptive:]
    return _pool(seed, make)


def utterances(seed: int, batch: int = 16, frames: int = 48, features: int = 16, symbols: int = 8
               ) -> Callable[[int], Any]:
    """Synthetic utterances for CTC: 3 to 5 symbols of 8 (no symbol twice in a row), each held 4 to 6 frames of its
    fixed 16-feature template, 0 to 2 silent frames before each and silence to 48 frames, plus N(0, 0.5^2) noise:
    ``(features (b, 16, 48), (targets (b, 5) ids 1..8 padded 0, target lengths (b,)))``."""
    templates = torch.randn(symbols, features, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.zeros(batch, features, frames)
        tgt, lens = torch.zeros(batch, 5, dtype=torch.long), torch.zeros(batch, dtype=torch.long)
        for i in range(batch):
            n = int(torch.randint(3, 6, (1,), generator=g))
            sym = torch.randint(0, symbols - 1, (n,), generator=g)
            for j in range(1, n):  # no repeat: shift past the previous symbol
                sym[j] = (sym[j - 1] + 1 + sym[j]) % symbols
            pos = 0
            for j in range(n):
                pos += int(torch.randint(0, 3, (1,), generator=g))
                hold = int(torch.randint(4, 7, (1,), generator=g))
                x[i, :, pos:pos + hold] = templates[sym[j], :, None]
                pos += hold
            tgt[i, :n], lens[i] = sym + 1, n
        return x + 0.5 * torch.randn(x.shape, generator=g), (tgt, lens)
    return _pool(seed, make)


def forecasts(seed: int, batch: int = 32, inp: int = 48, out: int = 16, variables: int = 3) -> Callable[[int], Any]:
    """Forecasting windows of three variables: per window a random slope (N(0, 0.02^2) a step), per variable a fixed
    period (8, 12, 24 steps) with a random amplitude (0.5 to 1.5) and phase, plus N(0, 0.1^2) noise; 48 steps in,
    the next 16 out: ``(past (b, 48, 3), future (b, 16, 3))``."""
    period = torch.tensor([8.0, 12.0, 24.0])
    t = torch.arange(inp + out).float()[None, :, None]

    def make(g: torch.Generator, _: int) -> Any:
        slope = 0.02 * torch.randn(batch, 1, 1, generator=g)
        amp = 0.5 + torch.rand(batch, 1, variables, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, variables, generator=g)
        x = amp * torch.sin(2 * math.pi * t / period + ph) + slope * (t - inp)
        x = x + 0.1 * torch.randn(x.shape, generator=g)
        return x[:, :inp], x[:, inp:]
    return _pool(seed, make)


MEANS = torch.tensor([-1.0, -0.3, 0.4, 1.1])  # log inter-event time after an event of each mark


def event_sequences(seed: int, batch: int = 32, longest: int = 24, marks: int = 4, resolution: float | None = None
                    ) -> Callable[[int], Any]:
    """Marked event sequences of 12 to 24 events (padded to 24): marks from a Markov chain (the next mark a fixed
    permutation of the current one with probability 0.8, else uniform), the interval after an event of mark ``m``
    log-normal with log-mean ``MEANS[m]`` and log-scale 0.3. ``resolution``: the timestamps recorded rounded to that
    resolution (intervals taken from the rounded clock): ``((intervals, marks, lengths), None)``; padding intervals
    are 1, padding marks 0."""
    perm = torch.randperm(marks, generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        m = torch.zeros(batch, longest, dtype=torch.long)
        m[:, 0] = torch.randint(0, marks, (batch,), generator=g)
        for t in range(1, longest):
            keep = torch.rand(batch, generator=g) < 0.8
            m[:, t] = torch.where(keep, perm[m[:, t - 1]], torch.randint(0, marks, (batch,), generator=g))
        tau = torch.exp(MEANS[m] + 0.3 * torch.randn(batch, longest, generator=g)).roll(1, 1)
        tau[:, 0] = 1.0
        if resolution is not None:
            clock = torch.round(torch.cumsum(tau, 1) / resolution) * resolution
            tau = torch.diff(clock, prepend=clock[:, :1] - 1.0)
        lengths = torch.randint(12, longest + 1, (batch,), generator=g)
        pad = torch.arange(longest)[None] >= lengths[:, None]
        return (tau.masked_fill(pad, 1.0), m.masked_fill(pad, 0), lengths), None
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def unicornn(seed: int, lr: float = 3e-3, layers: int = 2, dt: float = 0.126, initial_each_step: bool = False,
             state_dropout: float = 0.0) -> Setup:
    """UnICORNN on the marked series (batch 32 of 32 steps), cross-entropy, Adam at lr 3e-3 (set here, the order of
    the paper's); ``layers``, ``dt``, ``initial_each_step``, ``state_dropout``: see
    :class:`~.fresh67_models.UnICORNN`."""
    torch.manual_seed(670_000 + seed)
    model = M.UnICORNN(layers=layers, dt=dt, initial_each_step=initial_each_step, state_dropout=state_dropout)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), marked_series(seed, batch=32), F.cross_entropy)


def mi_rnn(seed: int, lr: float = 1e-3, recurrent_std: float | None = None, shuffled: bool = False) -> Setup:
    """The MI-RNN on the majority-class tokens (batch 64 of 16), cross-entropy, Adam lr 1e-3 (set here);
    ``recurrent_std``: see :class:`~.fresh67_models.MIRNN`; ``shuffled``: the labels permuted within every batch,
    apart from their sequences."""
    torch.manual_seed(670_000 + seed)
    model = M.MIRNN(recurrent_std=recurrent_std)
    data = majority_tokens(seed)
    perms = [torch.randperm(64, generator=_gen(seed + 1000 * (i + 1))) for i in range(POOL)]
    batches = (lambda step: (data(step)[0], data(step)[1][perms[step % POOL]])) if shuffled else data
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), batches, F.cross_entropy)


def sgconv(seed: int, lr: float = 4e-3, weight_decay: float = 0.05) -> Setup:
    """The SGConv classifier on marked series of 64 steps (batch 32), cross-entropy, AdamW lr 4e-3 with weight decay
    0.05 (S4-style values, set here)."""
    torch.manual_seed(670_000 + seed)
    model = M.SGConvNet()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, marked_series(seed, batch=32, length=64), F.cross_entropy)


def based(seed: int, lr: float = 3e-3, read_before_write: bool = False, interleaved: bool = False) -> Setup:
    """The Based LM on the Markov stream (batch 8 of 32), cross-entropy, AdamW lr 3e-3 betas (0.9, 0.95) weight
    decay 0.1 (set here); ``read_before_write``: see :class:`~.fresh67_models.BasedLM`; ``interleaved``: see
    :func:`lm_stream`."""
    torch.manual_seed(670_000 + seed)
    model = M.BasedLM(read_before_write=read_before_write)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    return _xy(model, opt, lm_stream(seed, interleaved=interleaved),
               lambda logits, t: F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t.reshape(-1)))


def fftnet(seed: int, lr: float = 3e-3, init_std: float | None = None, relu_bias: float | None = None) -> Setup:
    """FFTNet on the mu-law clips (batch 8, 96 predicted samples each), cross-entropy over the 64 levels, Adam at
    lr 3e-3 (set here); ``init_std``, ``relu_bias``: see :class:`~.fresh67_models2.FFTNet`."""
    torch.manual_seed(670_000 + seed)
    model = M2.FFTNet(init_std=init_std, relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), waves(seed), F.cross_entropy)


def ctc(log_probs: torch.Tensor, target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """CTC (blank 0) over every frame, the mean over the batch of each loss divided by its target length."""
    tgt, lens = target
    frames = torch.full((log_probs.shape[1],), log_probs.shape[0], dtype=torch.long)
    return F.ctc_loss(log_probs, tgt, frames, lens)


def jasper(seed: int, lr: float = 0.1, bn: bool = True) -> Setup:
    """Jasper on the synthetic utterances (batch 16 of 48 frames), CTC, SGD with momentum 0.9 at lr 0.1 and weight
    decay 1e-3 (set here; the paper's own NovoGrad is not in PyTorch); ``bn``: see
    :class:`~.fresh67_models2.Jasper`."""
    torch.manual_seed(670_000 + seed)
    model = M2.Jasper(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-3)
    return _xy(model, opt, utterances(seed), ctc)


def fedformer(seed: int, lr: float = 1e-3) -> Setup:
    """FEDformer on the forecasting windows (batch 32, 48 steps in, 16 out), MSE, Adam lr 1e-3 (set here; the
    reference's 1e-4 is for 10 epochs of real data)."""
    torch.manual_seed(670_000 + seed)
    model = M2.FEDformer()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), forecasts(seed), F.mse_loss)


def _event_nll(out: tuple[torch.Tensor, torch.Tensor], _: Any) -> torch.Tensor:
    nll, mask = out
    return nll[mask].mean()


def lognormmix(seed: int, lr: float = 1e-3, resolution: float | None = None) -> Setup:
    """LogNormMix on the event sequences (batch 32), the mean negative log-likelihood per event (interval and mark),
    Adam at the reference code's lr 1e-3 and weight decay 1e-5; log inter-event times standardised by the data's
    (mean 0, standard deviation 0.85); ``resolution``: see :func:`event_sequences`."""
    torch.manual_seed(670_000 + seed)
    model = M2.LogNormMix(mean_log=0.0, std_log=0.85)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, event_sequences(seed, resolution=resolution), _event_nll)
