"""Builders of the fifty-eighth held-out batch (``fresh57.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh57_models as M
from . import fresh57_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(570_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(5700 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None) -> Setup:
    return Setup(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _lengths(g: torch.Generator, batch: int, low: int, high: int) -> torch.Tensor:
    return torch.randint(low, high + 1, (batch,), generator=g)


# ---- data ------------------------------------------------------------------------------------------------------------

def texts(seed: int, batch: int = 64, width: int = 16, vocab: int = 64, classes: int = 4, shuffled: bool = False
          ) -> Callable[[int], Any]:
    """Texts of 6 to 16 words over the ids 1..64, right-padded with 0 to 16; a topic drawn per text makes half of its
    words (``word % 4``), the rest uniform; the label is the topic of most words: ``(tokens (b, 16), topic (b,))``.
    ``shuffled``: the labels permuted within every batch, apart from their texts."""
    def make(g: torch.Generator, _: int) -> Any:
        topic = torch.randint(0, classes, (batch, 1), generator=g)
        on = torch.randint(0, vocab // classes, (batch, width), generator=g) * classes + topic
        w = torch.where(torch.rand(batch, width, generator=g) < 0.5, on,
                        torch.randint(0, vocab, (batch, width), generator=g))
        real = torch.arange(width) < _lengths(g, batch, 6, width)[:, None]
        y = (F.one_hot(w % classes, classes) * real.unsqueeze(-1)).sum(1).argmax(1)
        x = torch.where(real, w + 1, 0)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def stories(seed: int, batch: int = 64, n: int = 5, entities: int = 4, places: int = 4) -> Callable[[int], Any]:
    """bAbI-like stories of 1 to 4 sentences "entity moves-to place" (ids: entities 1..4, places 5..8, the verb 9,
    "where" 10), right-padded with empty sentences to 5; the question "where entity" asks for an entity of the
    story, the answer is its last place (4 classes): ``((story (b, 5, 3), question (b, 3)), place (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        lengths = _lengths(g, batch, 1, n - 1)
        ent = torch.randint(0, entities, (batch, n), generator=g)
        plc = torch.randint(0, places, (batch, n), generator=g)
        real = torch.arange(n) < lengths[:, None]
        story = torch.stack([ent + 1, torch.full_like(ent, 9), plc + 1 + entities], -1) * real.unsqueeze(-1)
        pick = (torch.rand(batch, generator=g) * lengths).long()
        who = ent[torch.arange(batch), pick]
        last = torch.where(real & (ent == who[:, None]), torch.arange(n), -1).argmax(1)
        answer = plc[torch.arange(batch), last]
        question = torch.stack([torch.full_like(who, 10), who + 1, torch.zeros_like(who)], -1)
        return (story, question), answer
    return _pool(seed, make)


def sessions(seed: int, batch: int = 64, width: int = 8, items: int = 64) -> Callable[[int], Any]:
    """Sessions of 3 to 8 clicks from the corpus' sparse Markov chain over 64 items (ids 1..64), right-padded with 0;
    the target is the next item (0..63): ``(session (b, 8), next item (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, width + 1, items) + 1
        lengths = _lengths(g, batch, 3, width)
        nxt = x[torch.arange(batch), lengths] - 1
        return torch.where(torch.arange(width) < lengths[:, None], x[:, :width], 0), nxt
    return _pool(seed, make)


def events(seed: int, batch: int = 32, width: int = 16, types: int = 4) -> Callable[[int], Any]:
    """Marked event sequences of 8 to 16 events (types 0..3): the next type follows the current one, ``(k + 1) % 4``,
    with probability 0.7, else uniform; the interval to the next event is exponential with the mean 0.3, 0.6, 1.2
    or 2.4 of the current type; right-padded to 16 (type -1 and time 0 at the pads):
    ``(types (b, 16), times (b, 16), lengths (b,))``."""
    means = torch.tensor([0.3, 0.6, 1.2, 2.4])

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.empty(batch, width, dtype=torch.long)
        t = torch.zeros(batch, width)
        k[:, 0] = torch.randint(0, types, (batch,), generator=g)
        for j in range(1, width):
            follow = torch.rand(batch, generator=g) < 0.7
            k[:, j] = torch.where(follow, (k[:, j - 1] + 1) % types, torch.randint(0, types, (batch,), generator=g))
            gap = -means[k[:, j - 1]] * torch.log(torch.rand(batch, generator=g).clamp_min(1e-6))
            t[:, j] = t[:, j - 1] + gap
        lengths = _lengths(g, batch, 8, width)
        real = torch.arange(width) < lengths[:, None]
        return torch.where(real, k, -1), torch.where(real, t, 0.0), lengths
    return _pool(seed, make)


def rmtpp_batches(seed: int, masked_time: bool = True) -> Callable[[int], Any]:
    """The event sequences for RMTPP: inputs ``(markers (pad id 4), intervals since the previous event)``, targets
    ``(next markers (pad 4, ignored), next intervals, mask of real next events)``; the intervals are differences of
    the padded time tensor (the first pad's is minus the last event's time, the rest 0). ``masked_time``: False sums
    the time term over every position, the pads too (the marker term keeps its ``ignore_index``)."""
    ev = events(seed)

    def batch(step: int) -> Any:
        k, t, lengths = ev(step)
        marks = torch.where(k < 0, 4, k)
        dt = torch.cat([torch.zeros(k.shape[0], 1), t.diff(dim=1)], 1)
        n = k.shape[1]
        mask = torch.arange(1, n) < lengths[:, None]
        if not masked_time:
            mask = torch.ones_like(mask)
        return (marks, dt), (marks[:, 1:], dt[:, 1:], mask)
    return batch


def rmtpp_loss(out: Any, target: Any) -> torch.Tensor:
    """RMTPP's negative log-likelihood per next event: the marker's cross-entropy (pads ignored) plus minus the next
    interval's log density, each averaged over the masked positions."""
    logits, past, w = out
    marks, dt, mask = target
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), marks.reshape(-1), ignore_index=4)
    nll_t = -(M.rmtpp_time_log_density(past[:, :-1], w, dt) * mask).sum() / mask.sum()
    return ce + nll_t


def thp_batches(seed: int) -> Callable[[int], Any]:
    """The event sequences for THP: ``((types 1..4, pad 0), times), (types, times)``."""
    ev = events(seed)

    def batch(step: int) -> Any:
        k, t, _ = ev(step)
        x = (k + 1, t)
        return x, x
    return batch


GRID = 8


def thp_loss(out: Any, target: Any) -> torch.Tensor:
    """THP's objective per event: minus the log-likelihood (the event term ``log lambda_{k_{j+1}}(t_{j+1})`` and the
    non-event integral of ``sum_k lambda_k`` over each interval from the state ``h_j``; the intensities ``softplus(
    alpha_k (t - t_j) / (t_j + 1) + w_k h_j + b_k)``; the reference code's Monte Carlo integral replaced by the mean
    over a fixed grid of 8 points, for determinism) plus the next type's cross-entropy, both averaged over the
    events."""
    hid, alpha, pred = out
    types, times = target
    real = (types[:, 1:] != 0).float()
    dt = (times[:, 1:] - times[:, :-1]) * real
    base = hid[:, :-1]
    tj = times[:, :-1].unsqueeze(-1)
    lam_event = F.softplus(alpha * dt.unsqueeze(-1) / (tj + 1) + base)  # b, n-1, K
    k_next = (types[:, 1:] - 1).clamp_min(0)
    ll_event = torch.log(lam_event.gather(-1, k_next.unsqueeze(-1)).squeeze(-1) + 1e-9)
    u = (torch.arange(GRID).float() + 0.5) / GRID
    grid = dt.unsqueeze(-1) * u  # b, n-1, GRID
    lam = F.softplus(alpha * grid.unsqueeze(-1) / (tj.unsqueeze(-1) + 1) + base.unsqueeze(-2)).sum(-1)
    integral = lam.mean(-1) * dt
    count = real.sum()
    nll = -((ll_event - integral) * real).sum() / count
    ce = (F.cross_entropy(pred[:, :-1].reshape(-1, pred.shape[-1]), k_next.reshape(-1), reduction="none")
          * real.reshape(-1)).sum() / count
    return nll + ce


def utterances(seed: int, batch: int = 32, chars: int = 16, length: int = 6, frames: int = 3, feats: int = 16
               ) -> Callable[[int], Any]:
    """Synthetic utterances: 6 characters (of 16), each 3 frames of its fixed 16-dimensional spectral template (N(0,
    1) entries) plus N(0, 0.5^2) noise; the transcript is the characters and <eos> (16), the decoder's input <sos>
    (17) and the characters: ``((frames (b, 18, 16), decoder input (b, 7)), targets (b, 7))``."""
    templates = torch.randn(chars, feats, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, chars, (batch, length), generator=g)
        x = templates[y].repeat_interleave(frames, 1) + 0.5 * torch.randn(batch, length * frames, feats, generator=g)
        tgt = torch.cat([y, torch.full((batch, 1), chars)], 1)
        dec = torch.cat([torch.full((batch, 1), chars + 1), y], 1)
        return (x, dec), tgt
    return _pool(seed, make)


def series(seed: int, batch: int = 32, seq: int = 48, pred: int = 24, shuffled: bool = False) -> Callable[[int], Any]:
    """Series with two seasonal cycles (periods 12 and 24, random amplitudes in [0.5, 1.5] and phases), a random linear
    trend (slope in [-1, 1] over the window) and N(0, 0.2^2) noise: ``(past 48 steps, next 24)``. ``shuffled``: the
    futures permuted within every batch, apart from their pasts."""
    def make(g: torch.Generator, _: int) -> Any:
        t = torch.arange(seq + pred).float()
        a = 0.5 + torch.rand(batch, 2, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 2, 1, generator=g)
        slope = 2 * torch.rand(batch, 1, generator=g) - 1
        s = (a[:, 0] * torch.sin(2 * math.pi * t / 12 + ph[:, 0]) + a[:, 1] * torch.sin(2 * math.pi * t / 24 + ph[:, 1])
             + slope * t / (seq + pred) + 0.2 * torch.randn(batch, seq + pred, generator=g))
        return s[:, :seq], s[torch.randperm(batch, generator=g), seq:] if shuffled else s[:, seq:]
    return _pool(seed, make)


def mixtures(seed: int, batch: int = 16, frames: int = 24, bins: int = 32) -> Callable[[int], Any]:
    """Two-source mixtures for deep clustering: each source a harmonic comb (a fundamental bin 2..7, harmonics decaying
    as 1 / h) switched on and off in runs of frames, plus a noise floor U(0, 0.01); the mixture's magnitude is the
    sum; utterances of 16 to 24 frames zero-padded to 24. Targets: the dominant source per bin (one-hot) and the
    real frames' weights: ``(magnitude (b, 24, 32), (one-hot (b, 768, 2), weights (b, 768)))``."""
    def source(g: torch.Generator) -> torch.Tensor:
        f0 = torch.randint(2, 8, (batch, 1), generator=g)
        f = torch.arange(bins)
        spec = torch.where((f % f0 == 0) & (f > 0), 1.0 / (f // f0).clamp_min(1), 0.0)
        on = torch.rand(batch, frames // 4, generator=g).repeat_interleave(4, 1) < 0.7
        return on.unsqueeze(-1) * spec.unsqueeze(1) * (0.5 + torch.rand(batch, 1, 1, generator=g))

    def make(g: torch.Generator, _: int) -> Any:
        a = source(g) + 0.01 * torch.rand(batch, frames, bins, generator=g)
        b = source(g) + 0.01 * torch.rand(batch, frames, bins, generator=g)
        real = (torch.arange(frames) < _lengths(g, batch, 16, frames)[:, None]).float()
        mag = (a + b) * real.unsqueeze(-1)
        y = F.one_hot((b > a).long(), 2).float().reshape(batch, -1, 2)
        return mag, (y, real.repeat_interleave(bins, 1))
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def swem(seed: int, lr: float = 1e-3, layers: int = 1, zero_init: bool = False, relu_bias: float | None = None,
         shuffled: bool = False) -> Setup:
    """SWEM-concat on the padded topic texts (batch 64), cross-entropy, Adam at lr 1e-3 (the paper's optimiser; the
    lr set here); ``layers``, ``zero_init``, ``relu_bias``: see :class:`~.fresh57_models.SWEM`; ``shuffled``: see
    :func:`texts`."""
    torch.manual_seed(seed)
    model = M.SWEM(layers=layers, zero_init=zero_init, relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), texts(seed, shuffled=shuffled), F.cross_entropy)


def entnet(seed: int, lr: float = 0.01, no_carry: bool = False, normalise: bool = True, weight_decay: float = 0.0
           ) -> Setup:
    """EntNet on the padded stories (batch 64), cross-entropy over the 4 places, Adam at the paper's lr 0.01 with its
    gradient clipping at norm 40; ``no_carry``, ``normalise``: see :class:`~.fresh57_models.EntNet`;
    ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M.EntNet(no_carry=no_carry, normalise=normalise)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, stories(seed), F.cross_entropy, clip=40.0)


def fossil(seed: int, lr: float = 1e-2, weight_decay: float = 0.0) -> Setup:
    """Fossil on the padded Markov sessions (batch 64), cross-entropy over the 64 items (set here in place of the
    paper's sampled BPR), Adam lr 1e-2 (set here); ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M.Fossil()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sessions(seed), F.cross_entropy)


def rmtpp(seed: int, lr: float = 1e-3, recurrent_std: float | None = None, masked_time: bool = True) -> Setup:
    """RMTPP on the padded event sequences (batch 32 of up to 16 events), :func:`rmtpp_loss`, Adam lr 1e-3 (set
    here); ``recurrent_std``: see :class:`~.fresh57_models.RMTPP`; ``masked_time``: see :func:`rmtpp_batches`."""
    torch.manual_seed(seed)
    model = M.RMTPP(recurrent_std=recurrent_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), rmtpp_batches(seed, masked_time), rmtpp_loss)


def thp(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, additive_pad_mask: bool = False, norm: bool = True,
        layers: int = 2) -> Setup:
    """THP on the padded event sequences (batch 32 of up to 16 events), :func:`thp_loss`, Adam (the reference code's,
    betas (0.9, 0.999), eps 1e-5) at lr 1e-3 (set here: the reference's 1e-4 is for many epochs);
    ``weight_decay``: Adam's (coupled L2); ``additive_pad_mask``, ``norm``: see :class:`~.fresh57_models2.THP`."""
    torch.manual_seed(seed)
    model = M2.THP(additive_pad_mask=additive_pad_mask, norm=norm, layers=layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-5, weight_decay=weight_decay)
    return _xy(model, opt, thp_batches(seed), thp_loss)


def _seq_ce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def las(seed: int, lr: float = 1e-3, time_masks: tuple[int, int, float] | None = None) -> Setup:
    """LAS on the synthetic utterances (batch 32), the characters' cross-entropy under teacher forcing, Adam at lr
    1e-3 (set here, in place of the paper's asynchronous SGD); ``time_masks``: see :class:`~.fresh57_models2.LAS`."""
    torch.manual_seed(seed)
    model = M2.LAS(time_masks=time_masks)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), utterances(seed), _seq_ce)


def micn(seed: int, lr: float = 1e-3, norm: bool = True, weight_decay: float = 0.0, shuffled: bool = False
         ) -> Setup:
    """MICN on the seasonal series (batch 32, 48 steps to 24), MSE, Adam at the paper's lr 1e-3; ``norm``: see
    :class:`~.fresh57_models2.MICN`; ``weight_decay``: Adam's (coupled L2); ``shuffled``: see :func:`series`."""
    torch.manual_seed(seed)
    model = M2.MICN(norm=norm)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, series(seed, shuffled=shuffled), F.mse_loss)


def deep_clustering(seed: int, lr: float = 1e-3, log_eps: float = 1e-6, unit_dim: int = -1) -> Setup:
    """Deep clustering on the padded two-source mixtures (batch 16), :func:`~.fresh57_models2.affinity_loss` over the
    real frames, Adam lr 1e-3 (set here); ``log_eps``, ``unit_dim``: see :class:`~.fresh57_models2.DeepClustering`."""
    torch.manual_seed(seed)
    model = M2.DeepClustering(log_eps=log_eps, unit_dim=unit_dim)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), mixtures(seed),
               lambda v, t: M2.affinity_loss(v, t[0], t[1]))
