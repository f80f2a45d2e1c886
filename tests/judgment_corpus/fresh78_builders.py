"""Builders of the seventy-ninth held-out batch (``fresh78.py``): audio, speech and music models new to the corpus at
their usual settings, broken variants with one real fault each, and the small data sets they train on. Written and
labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(780_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7800 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _init_normal(model: nn.Module, std: float) -> None:
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            nn.init.normal_(m.weight, 0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def keywords(seed: int, batch: int = 32, bins: int = 32, frames: int = 40, classes: int = 4,
             shuffled: bool = False, padded: bool = True) -> Callable[[int], Any]:
    """Mel power spectrograms of keyword utterances of 24 to 40 frames of 32 bins, zero-padded to 40 (digital
    silence): each keyword a fixed smooth time-frequency log-pattern (8 x 4 values stretched over the utterance's
    length) plus N(0, 0.7^2) noise, exponentiated: ``((power (b, 40, 32), lengths (b,)), keyword (b,))``;
    ``padded=False``: every utterance 40 frames; ``shuffled``: the labels permuted within every batch, apart from
    their utterances."""
    pats = 1.5 * torch.randn(classes, 1, 8, 4, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        lengths = torch.randint(24, frames + 1, (batch,), generator=g) if padded else torch.full((batch,), frames)
        x = torch.zeros(batch, frames, bins)
        for i in range(batch):
            n = int(lengths[i])
            p = F.interpolate(pats[y[i]][None], size=(bins, n), mode="bilinear", align_corners=False)[0, 0].T
            x[i, :n] = torch.exp(p + 0.7 * torch.randn(n, bins, generator=g))
        return (x, lengths), y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def contours(seed: int, batch: int = 32, notes: int = 12) -> Callable[[int], Any]:
    """Melodies of 12 notes as compound tokens (pitch 0..55, duration class 0..3, the duration uninformative),
    labelled by their contour: an ascending line ``a`` (start 0..19, steps of 1 to 3 semitones) played ascending (0),
    descending (1), as an arch (``a[0::2]`` then ``a[1::2]`` reversed, 2) or a valley (3). The four classes share one
    distribution of pitch multisets: only the order tells them apart. ``((pitch, duration), contour)``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        start = torch.randint(0, 20, (batch, 1), generator=g)
        steps = torch.randint(1, 4, (batch, notes - 1), generator=g)
        a = torch.cat([start, start + steps.cumsum(1)], 1)
        up, down = a[:, 0::2], a[:, 1::2].flip(1)
        forms = torch.stack([a, a.flip(1), torch.cat([up, down], 1), torch.cat([up.flip(1), down.flip(1)], 1)], 1)
        pitch = forms[torch.arange(batch), y]
        return (pitch, torch.randint(0, 4, (batch, notes), generator=g)), y
    return _pool(seed, make)


def bars(seed: int, batch: int = 32, steps: int = 16, pitches: int = 24) -> Callable[[int], Any]:
    """Monophonic bars of 16 sixteenth-note steps, token 0 a rest and 1..24 a pitch, labelled by their rhythm: a
    whole-bar rest (0), quarter notes on the beats (1), off-beat eighths (2) or straight eighths (3), each onset
    kept with probability 0.85 and its pitch random: ``(tokens (b, 16), rhythm (b,))``."""
    grids = torch.zeros(4, steps, dtype=torch.bool)
    grids[1, 0::4] = True
    grids[2, 2::4] = True
    grids[3, 0::2] = True

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        on = grids[y] & (torch.rand(batch, steps, generator=g) < 0.85)
        x = torch.where(on, torch.randint(1, pitches + 1, (batch, steps), generator=g), 0)
        return x, y
    return _pool(seed, make)


def motifs(seed: int, batch: int = 32, period: int = 4, repeats: int = 6, vocab: int = 32) -> Callable[[int], Any]:
    """Event sequences that repeat a random motif of 4 distinct events (of 32) six times, as music repeats itself:
    ``(inputs (b, 23), next events (b, 23))``; after the first period every event is predictable from the one four
    steps back."""
    def make(g: torch.Generator, _: int) -> Any:
        m = torch.stack([torch.randperm(vocab, generator=g)[:period] for _ in range(batch)])
        x = m.repeat(1, repeats)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def tones(seed: int, batch: int = 32, samples: int = 1024, classes: int = 4, sr: float = 8000.0
          ) -> Callable[[int], Any]:
    """Raw waveforms of 1,024 samples at 8 kHz: harmonic tones whose class is the timbre (a fixed amplitude profile
    over 8 harmonics), with a random fundamental (100 to 400 Hz), random phases and N(0, 0.1^2) noise:
    ``(wave (b, 1, 1024), class (b,))``."""
    prof = torch.rand(classes, 8, generator=_fixed(2)) ** 2
    prof = prof / prof.sum(1, keepdim=True)
    t = torch.arange(samples) / sr
    k = torch.arange(1, 9).float()

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        f0 = 100 + 300 * torch.rand(batch, 1, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 8, 1, generator=g)
        w = (2 * prof[y][..., None] * torch.sin(2 * math.pi * f0 * k[:, None] * t + ph)).sum(1)
        return (w + 0.1 * torch.randn(batch, samples, generator=g))[:, None], y
    return _pool(seed, make)


def pitched_frames(seed: int, batch: int = 32, samples: int = 512, bins: int = 24, sr: float = 8000.0
                   ) -> Callable[[int], Any]:
    """CREPE's task: frames of 512 samples at 8 kHz of a tone (random harmonic amplitudes over 4 harmonics, random
    phase, N(0, 0.1^2) noise) whose fundamental lies in one of 24 semitone bins from 110 Hz (plus a random detune of
    up to a quarter tone); the targets are the bins Gaussian-blurred (std one bin) as in the paper:
    ``(frame (b, 1, 512), targets (b, 24))``."""
    t = torch.arange(samples) / sr
    centres = torch.arange(bins).float()

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randint(0, bins, (batch,), generator=g).float() + 0.5 * (torch.rand(batch, generator=g) - 0.5)
        f0 = 110 * 2 ** (c / 12)
        amp = torch.rand(batch, 4, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 4, 1, generator=g)
        k = torch.arange(1, 5).float()[:, None]
        w = (amp * torch.sin(2 * math.pi * f0[:, None, None] * k * t + ph)).sum(1)
        w = w / w.std(1, keepdim=True) + 0.1 * torch.randn(batch, samples, generator=g)
        return w[:, None], torch.exp(-0.5 * (centres - c[:, None]) ** 2)
    return _pool(seed, make)


def phonemes(seed: int, batch: int = 16, n: int = 8, vocab: int = 20, mels: int = 20, frames: int = 24
             ) -> Callable[[int], Any]:
    """FastSpeech's task: 8 phonemes (ids 1..19; 0 is the padding id and never a phoneme) with durations of 1 to 3
    frames, and their mel frames: each phoneme a fixed mel template of 20 bins, shaped by a fixed onset-to-offset ramp
    over its frames, plus N(0, 0.1^2) noise, zero-padded to 24 frames:
    ``((phonemes (b, 8), durations (b, 8)), (mel (b, 24, 20), frame mask (b, 24)))``."""
    tmpl = torch.randn(vocab, mels, generator=_fixed(3))
    ramp = torch.randn(mels, generator=_fixed(4)) * 0.5

    def make(g: torch.Generator, _: int) -> Any:
        ph = torch.randint(1, vocab, (batch, n), generator=g)
        dur = torch.randint(1, 4, (batch, n), generator=g)
        mel = torch.zeros(batch, frames, mels)
        mask = torch.zeros(batch, frames, dtype=torch.bool)
        for i in range(batch):
            rows = []
            for p, d in zip(ph[i].tolist(), dur[i].tolist()):
                for j in range(d):
                    rows.append(tmpl[p] + ramp * (j / 2 - 0.5))
            m = torch.stack(rows)
            mel[i, : len(rows)] = m + 0.1 * torch.randn(m.shape, generator=g)
            mask[i, : len(rows)] = True
        return (ph, dur), (mel, mask)
    return _pool(seed, make)


# ---- shared pieces ---------------------------------------------------------------------------------------------------

def sinusoids(length: int, d: int) -> torch.Tensor:
    """Vaswani et al.'s sinusoidal encodings, ``(length, d)``."""
    pos = torch.arange(length).float()[:, None]
    div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
    pe = torch.zeros(length, d)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
    return pe


def _masked_mean(h: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
    if keep is None:
        return h.mean(1)
    k = keep.float()[..., None]
    return (h * k).sum(1) / k.sum(1)


# ---- Speech-Transformer ----------------------------------------------------------------------------------------------

class SpeechTransformer(nn.Module):
    """Speech-Transformer (Dong et al. 2018), narrowed to keyword classification: the log of the mel power (offset
    1e-6; ``log_offset=0``: the plain ``log``), two 3x3 stride-2 convolutions of 16 maps with ReLU (time and
    frequency subsampled by 4), a linear projection to 64 plus sinusoidal positions, two post-LN encoder layers of 4
    heads (ReLU feed-forward of 256, dropout 0.1) under the key-padding mask, masked mean pooling and the head.
    ``ln=False``: the encoder's LayerNorms left out (tried, learned; unused)."""

    def __init__(self, bins: int = 32, d: int = 64, classes: int = 4, log_offset: float = 1e-6, ln: bool = True
                 ) -> None:
        super().__init__()
        self.log_offset = log_offset
        self.conv = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, 2, 1), nn.ReLU())
        self.proj = nn.Linear(16 * ((bins + 3) // 4), d)
        layer = nn.TransformerEncoderLayer(d, 4, 256, 0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        if not ln:
            for lay in self.encoder.layers:
                lay.norm1, lay.norm2 = nn.Identity(), nn.Identity()
        self.head = nn.Linear(d, classes)
        self.register_buffer("pe", sinusoids(64, d))

    def forward(self, inputs: Any) -> torch.Tensor:
        power, lengths = inputs
        x = torch.log(power + self.log_offset) if self.log_offset else torch.log(power)
        h = self.conv(x[:, None])
        b, c, t, f = h.shape
        h = self.proj(h.permute(0, 2, 1, 3).reshape(b, t, c * f)) + self.pe[:t]
        keep = torch.arange(t)[None] < ((lengths + 3) // 4)[:, None]
        h = self.encoder(h, src_key_padding_mask=~keep)
        return self.head(_masked_mean(h, keep))


def speech_transformer(seed: int, lr: float = 1e-3, shuffled: bool = False, log_offset: float = 1e-6,
                       ln: bool = True) -> Setup:
    """Speech-Transformer on the padded keyword utterances (batch 32), cross-entropy, Adam (betas 0.9, 0.98, the
    paper's) at lr 1e-3 (its warm-up left out); ``shuffled``: see :func:`keywords`; ``log_offset``: see
    :class:`SpeechTransformer`."""
    torch.manual_seed(780_000 + seed)
    model = SpeechTransformer(log_offset=log_offset, ln=ln)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    return _xy(model, opt, keywords(seed, shuffled=shuffled), F.cross_entropy)


# ---- Compound Word Transformer ---------------------------------------------------------------------------------------

class ScaledEmbedding(nn.Module):
    """The annotated Transformer's ``Embeddings``: a lookup times ``sqrt(d)``."""

    def __init__(self, n: int, d: int) -> None:
        super().__init__()
        self.lut, self.d = nn.Embedding(n, d), d

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lut(x) * math.sqrt(self.d)


class TutorialPositionalEncoding(nn.Module):
    """The PyTorch tutorial's ``PositionalEncoding``: a sequence-first buffer ``(max_len, 1, d)``, dropout 0.1;
    ``batch_first``: the input is ``(batch, time, d)`` and the buffer is sliced by time and turned batch-first (the
    healthy use); ``batch_first=False`` on a batch-first input is the tutorial's forward ``x + pe[:x.size(0)]``
    unchanged: the slice is taken along the batch axis and broadcast over time."""

    def __init__(self, d: int, max_len: int = 64, batch_first: bool = True) -> None:
        super().__init__()
        self.batch_first = batch_first
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("pe", sinusoids(max_len, d)[:, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.batch_first:
            return self.dropout(x + self.pe[: x.size(1)].transpose(0, 1))
        return self.dropout(x + self.pe[: x.size(0)])


class CompoundWord(nn.Module):
    """The Compound Word Transformer (Hsiao et al. 2021), narrowed to a classifier of compound note tokens: a scaled
    embedding per token type (pitch 48, duration 16, each the annotated Transformer's ``lut(x) * sqrt(d)``; every
    matrix Xavier-uniform, the annotated Transformer's init),
    concatenated and projected to 64, sinusoidal positions with dropout 0.1, two pre-LN encoder layers of 4 heads
    (GELU feed-forward of 256, dropout 0.1), mean pooling and the head. ``scale_twice``: the forward multiplies the
    (already scaled) embeddings by ``sqrt(d)`` again; ``pe_batch_first``: see
    :class:`TutorialPositionalEncoding`."""

    def __init__(self, d: int = 64, classes: int = 4, scale_twice: bool = False, pe_batch_first: bool = True
                 ) -> None:
        super().__init__()
        self.scale_twice = scale_twice
        self.pitch, self.dur = ScaledEmbedding(56, 48), ScaledEmbedding(4, 16)
        self.proj = nn.Linear(64, d)
        self.pos = TutorialPositionalEncoding(d, batch_first=pe_batch_first)
        layer = nn.TransformerEncoderLayer(d, 4, 256, 0.1, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, inputs: Any) -> torch.Tensor:
        pitch, dur = inputs
        ep, ed = self.pitch(pitch), self.dur(dur)
        if self.scale_twice:
            ep, ed = ep * math.sqrt(48), ed * math.sqrt(16)
        h = self.pos(self.proj(torch.cat([ep, ed], -1)))
        return self.head(self.norm(self.encoder(h)).mean(1))


def compound_word(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, scale_twice: bool = False,
                  pe_batch_first: bool = True) -> Setup:
    """The Compound Word Transformer on the melodic contours (batch 32), cross-entropy, Adam at the reference code's
    lr 1e-4 raised to 1e-3 for 200 steps; ``weight_decay``: Adam's (coupled); ``scale_twice``, ``pe_batch_first``:
    see :class:`CompoundWord`."""
    torch.manual_seed(780_000 + seed)
    model = CompoundWord(scale_twice=scale_twice, pe_batch_first=pe_batch_first)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, contours(seed), F.cross_entropy)


# ---- MusicBERT -------------------------------------------------------------------------------------------------------

class BertLayer(nn.Module):
    """A post-LN BERT layer (hand-written attention, 4 heads, GELU feed-forward of 4x, dropout 0.1) with an
    optional key-padding mask (True: ignore)."""

    def __init__(self, d: int, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, pad: torch.Tensor | None) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        s = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        if pad is not None:
            s = s.masked_fill(pad[:, None, None], float("-inf"))
        a = self.drop(s.softmax(-1)) @ v
        x = self.ln1(x + self.drop(self.out(a.transpose(1, 2).reshape(b, t, d))))
        return self.ln2(x + self.drop(self.ff(x)))


class MusicBERT(nn.Module):
    """MusicBERT (Zeng et al. 2021), narrowed: one token per sixteenth-note step (the rest and 24 pitches) in place
    of OctupleMIDI, token and learned position embeddings (N(0, 0.02), as BERT) with LayerNorm and dropout 0.1, two
    post-LN layers of 64 and 4 heads, mean pooling and the head. ``rest_as_padding``: the embedding built with
    ``padding_idx=0`` and the key-padding mask and pooling taken from ``tokens == padding_idx``, where id 0 is the
    rest, a real token."""

    def __init__(self, vocab: int = 25, d: int = 64, steps: int = 16, classes: int = 4,
                 rest_as_padding: bool = False) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, d, padding_idx=0 if rest_as_padding else None)
        self.pos = nn.Embedding(steps, d)
        for e in (self.tok, self.pos):
            nn.init.normal_(e.weight, 0.0, 0.02)
        if rest_as_padding:
            with torch.no_grad():
                self.tok.weight[0].zero_()
        self.ln, self.drop = nn.LayerNorm(d), nn.Dropout(0.1)
        self.layers = nn.ModuleList([BertLayer(d) for _ in range(2)])
        self.head = nn.Linear(d, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = x.eq(self.tok.padding_idx) if self.tok.padding_idx is not None else None
        h = self.drop(self.ln(self.tok(x) + self.pos(torch.arange(x.shape[1]))))
        for layer in self.layers:
            h = layer(h, pad)
        return self.head(_masked_mean(h, None if pad is None else ~pad))


def musicbert(seed: int, lr: float = 5e-4, rest_as_padding: bool = False) -> Setup:
    """MusicBERT on the rhythm bars (batch 32), cross-entropy, AdamW (betas 0.9, 0.98, weight decay 0.01, the
    fairseq fine-tuning setting) at lr 5e-4 (the warm-up left out); ``rest_as_padding``: see :class:`MusicBERT`."""
    torch.manual_seed(780_000 + seed)
    model = MusicBERT(rest_as_padding=rest_as_padding)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    return _xy(model, opt, bars(seed), F.cross_entropy)


# ---- Performance RNN -------------------------------------------------------------------------------------------------

class PerformanceRNN(nn.Module):
    """Performance RNN (Oore et al. 2018), narrowed: event embeddings of 64 (Magenta feeds one-hot events), a
    two-layer LSTM of 128, the event softmax. ``gate_bias``: ``(gate, value)``, that gate's two biases (PyTorch's
    order: 0 input, 1 forget, 2 cell, 3 output) set to ``value`` in every layer (the pre-activation starts at twice
    it); ``hh_scale``: every recurrent matrix multiplied by it."""

    def __init__(self, vocab: int = 32, d: int = 64, hidden: int = 128, gate_bias: tuple[int, float] | None = None,
                 hh_scale: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.rnn = nn.LSTM(d, hidden, 2, batch_first=True)
        self.out = nn.Linear(hidden, vocab)
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if gate_bias is not None and name.startswith("bias"):
                    p[gate_bias[0] * hidden: (gate_bias[0] + 1) * hidden] = gate_bias[1]
                if hh_scale is not None and name.startswith("weight_hh"):
                    p.mul_(hh_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.rnn(self.emb(x))[0])


def _lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def performance_rnn(seed: int, lr: float = 1e-3, gate_bias: tuple[int, float] | None = None,
                    hh_scale: float | None = None) -> Setup:
    """Performance RNN on the repeated motifs (batch 32 of 23 events), event cross-entropy, Adam at Magenta's lr 1e-3
    with its gradient clipping at norm 3 left out; ``gate_bias``, ``hh_scale``: see :class:`PerformanceRNN`."""
    torch.manual_seed(780_000 + seed)
    model = PerformanceRNN(gate_bias=gate_bias, hh_scale=hh_scale)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), motifs(seed), _lm_loss)


# ---- VGGish ----------------------------------------------------------------------------------------------------------

class VGGish(nn.Module):
    """VGGish (Hershey et al. 2017), narrowed: the log mel patch (offset 0.01, as VGGish), 3x3 convolutions with ReLU
    and 2x2 max-pooling in VGG's pattern (16, pool, 32, pool, 64, 64, pool), no BatchNorm (as VGGish), fully
    connected 128 with ReLU, and the head. ``fc_layers``: that many fully connected layers of 128 with ReLU (VGGish
    has three; one here; 30: a deep plain stack at PyTorch's default init); ``relu_bias``: every convolution's and
    the hidden fully connected layers' biases set to it; ``init_std``: every weight drawn N(0, std^2) (0: every
    weight zero, the biases keeping PyTorch's default draws)."""

    def __init__(self, classes: int = 4, fc_layers: int = 1, relu_bias: float | None = None,
                 init_std: float | None = None) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1),
                                   nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)
        fc: list[nn.Module] = []
        for i in range(fc_layers):
            fc += [nn.Linear(64 * 5 * 4 if i == 0 else 128, 128), nn.ReLU()]
        self.fc = nn.Sequential(*fc)
        self.head = nn.Linear(128, classes)
        if relu_bias is not None:
            for m in [*self.features, *self.fc]:
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.constant_(m.bias, relu_bias)
        if init_std is not None:
            _init_normal(self, init_std)

    def forward(self, inputs: Any) -> torch.Tensor:
        power, _ = inputs
        h = self.features(torch.log(power + 0.01)[:, None])
        return self.head(self.fc(h.flatten(1)))


def vggish(seed: int, lr: float = 1e-3, fc_layers: int = 1, relu_bias: float | None = None,
           init_std: float | None = None) -> Setup:
    """VGGish on the keyword utterances at full length (batch 32, 40 frames of 32 bins), cross-entropy, Adam at lr
    1e-3 (VGGish's 1e-4 raised for 200 steps, its epsilon 1e-8 kept); ``fc_layers``, ``relu_bias``, ``init_std``: see
    :class:`VGGish`."""
    torch.manual_seed(780_000 + seed)
    model = VGGish(fc_layers=fc_layers, relu_bias=relu_bias, init_std=init_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), keywords(seed, padded=False), F.cross_entropy)


# ---- SoundNet --------------------------------------------------------------------------------------------------------

class SoundNet(nn.Module):
    """SoundNet (Aytar et al. 2016), narrowed: five 1-D convolutions on the raw wave (16, 32, 64, 128, 128 maps,
    kernels 32, 16, 8, 8, 4, strides 2, 2, 2, 1, 1), each followed by BatchNorm and ReLU, max-pooling by 4 after the
    first two, the global average and the head. ``bn=False``: the BatchNorms left out (tried, learned; unused)."""

    def __init__(self, classes: int = 4, bn: bool = True) -> None:
        super().__init__()
        spec = [(1, 16, 32, 2, 4), (16, 32, 16, 2, 4), (32, 64, 8, 2, 1), (64, 128, 8, 1, 1), (128, 128, 4, 1, 1)]
        layers: list[nn.Module] = []
        for cin, cout, k, s, pool in spec:
            layers += [nn.Conv1d(cin, cout, k, s, k // 2)]
            layers += [nn.BatchNorm1d(cout)] if bn else []
            layers += [nn.ReLU()] + ([nn.MaxPool1d(pool)] if pool > 1 else [])
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(128, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(-1))


def soundnet(seed: int, lr: float = 1e-3, bn: bool = True) -> Setup:
    """SoundNet on the harmonic tones (batch 32 of 1,024 samples), cross-entropy, Adam at the paper's lr 1e-3 (its
    momentum 0.9 the first beta); ``bn``: see :class:`SoundNet`."""
    torch.manual_seed(780_000 + seed)
    model = SoundNet(bn=bn)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), tones(seed), F.cross_entropy)


# ---- CREPE -----------------------------------------------------------------------------------------------------------

class CREPE(nn.Module):
    """CREPE (Kim et al. 2018), narrowed (between its "tiny" and "small" capacities): six 1-D convolutions on the
    raw frame (32, 16, 16, 16, 32, 64 maps; the first kernel 128 at stride 4, the rest 16 at stride 1), each followed
    by ReLU, BatchNorm, max-pooling by 2 and dropout 0.25 (the paper's order), the flattened maps to 24 sigmoid pitch
    bins. ``relu_bias``: every convolution's bias set to it; ``bn=False``: the BatchNorms left out."""

    def __init__(self, bins: int = 24, relu_bias: float | None = None, bn: bool = True) -> None:
        super().__init__()
        spec = [(1, 32, 128, 4), (32, 16, 16, 1), (16, 16, 16, 1), (16, 16, 16, 1), (16, 32, 16, 1),
                (32, 64, 16, 1)]
        layers: list[nn.Module] = []
        for cin, cout, k, s in spec:
            conv = nn.Conv1d(cin, cout, k, s, padding=k // 2 - 1 if s > 1 else "same")
            if relu_bias is not None:
                nn.init.constant_(conv.bias, relu_bias)
            layers += [conv, nn.ReLU()] + ([nn.BatchNorm1d(cout)] if bn else []) + [nn.MaxPool1d(2), nn.Dropout(0.25)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(64 * 2, bins)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


def crepe(seed: int, lr: float = 2e-3, weight_decay: float = 0.0, relu_bias: float | None = None, bn: bool = True
          ) -> Setup:
    """CREPE on the pitched frames (batch 32), binary cross-entropy on the blurred bins, Adam at lr 2e-3 (the
    paper's 2e-4 raised for 200 steps); ``weight_decay``: AdamW with that decay; ``relu_bias``: see
    :class:`CREPE`."""
    torch.manual_seed(780_000 + seed)
    model = CREPE(relu_bias=relu_bias, bn=bn)
    if weight_decay:
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, pitched_frames(seed), F.binary_cross_entropy_with_logits)


# ---- FastSpeech ------------------------------------------------------------------------------------------------------

class FFTBlock(nn.Module):
    """FastSpeech's feed-forward Transformer block: post-LN self-attention (2 heads) under the key-padding mask and
    a two-layer 1-D convolution (kernel 3, 256 filters, ReLU), dropout 0.1."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d, 2, dropout=0.1, batch_first=True)
        self.conv1, self.conv2 = nn.Conv1d(d, 256, 3, padding=1), nn.Conv1d(256, d, 3, padding=1)
        self.ln1, self.ln2, self.drop = nn.LayerNorm(d), nn.LayerNorm(d), nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        x = self.ln1(x + self.drop(self.attn(x, x, x, key_padding_mask=pad, need_weights=False)[0]))
        f = self.conv2(F.relu(self.conv1(x.transpose(1, 2)))).transpose(1, 2)
        return self.ln2(x + self.drop(f))


class FastSpeech(nn.Module):
    """FastSpeech (Ren et al. 2019), narrowed: phoneme embeddings of 64 (``padding_idx=0``) plus sinusoidal
    positions, one FFT block, the length regulator fed the ground-truth durations (as in training), sinusoidal
    positions over the frames, one FFT block and the linear mel projection."""

    def __init__(self, vocab: int = 20, d: int = 64, mels: int = 20, frames: int = 24) -> None:
        super().__init__()
        self.frames = frames
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.enc, self.dec = FFTBlock(d), FFTBlock(d)
        self.mel = nn.Linear(d, mels)
        self.register_buffer("pe", sinusoids(64, d))

    def forward(self, inputs: Any) -> torch.Tensor:
        ph, dur = inputs
        h = self.enc(self.emb(ph) + self.pe[: ph.shape[1]], ph.eq(0))
        rows = [torch.repeat_interleave(h[i], dur[i], 0) for i in range(h.shape[0])]
        lens = torch.tensor([len(r) for r in rows])
        h = torch.stack([F.pad(r, (0, 0, 0, self.frames - len(r))) for r in rows])
        pad = torch.arange(self.frames)[None] >= lens[:, None]
        return self.mel(self.dec(h + self.pe[: self.frames], pad))


def _masked_mse(pred: torch.Tensor, target: Any) -> torch.Tensor:
    mel, mask = target
    return ((pred - mel) ** 2).mean(-1)[mask].mean()


def fastspeech(seed: int, lr: float = 1e-3, init_std: float | None = None) -> Setup:
    """FastSpeech on the phoneme-to-mel pairs (batch 16), the masked mel MSE, Adam (betas 0.9, 0.98, eps 1e-9, the
    paper's) at lr 1e-3 (its warm-up left out); ``init_std``: every Linear, convolution and attention projection
    drawn N(0, std^2) (tried at 1, learned by the first-loss criterion; unused)."""
    torch.manual_seed(780_000 + seed)
    model = FastSpeech()
    if init_std is not None:
        _init_normal(model, init_std)
        for block in (model.enc, model.dec):
            nn.init.normal_(block.attn.in_proj_weight, 0.0, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    return _xy(model, opt, phonemes(seed), _masked_mse)
