"""Builders of the hundred-and-seventh held-out batch (``fresh106.py``): sequence, language and speech models new to
the corpus at their usual settings, and broken variants with one real fault each, plus the small data sets they train
on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, lm_loss, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(1_060_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(10_600 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _normal_(model: nn.Module, std: float) -> None:
    """Every matrix-shaped parameter (Linears, embeddings, attention projections, convolutions) redrawn N(0, std^2)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, std)


# ---- user loops (the slips' training steps) --------------------------------------------------------------------------

@dataclass
class ScaledLoop(Setup):
    """A :class:`Setup` whose training step is the user's own fp16-style dynamic loss scaling, kept when the model
    went back to float32: ``(loss * scale).backward()``, the gradients multiplied by ``inv_scale``, the step, then the
    scale doubled after every ``window`` steps without an overflow (there is none in float32). Healthy
    (``stale=False``): ``inv_scale = 1 / scale`` at every step. ``stale``: ``inv_scale`` computed once, before the
    loop, from the initial scale, so every doubling of the scale reaches the optimizer. The logged loss is the
    unscaled one; with a guard, ``guard.step`` steps the optimizer, as in :meth:`Setup.train_step`."""

    scale: float = 128.0
    window: int = 16
    stale: bool = False

    def train_step(self, step: int, guard: Any | None = None) -> float:
        if step == 0:
            self._scale = self.scale
            self._inv0 = 1.0 / self.scale
            self._good = 0
        batch = self.batches(step)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.compute_loss(self.model, batch)
        (loss * self._scale).backward()
        inv = self._inv0 if self.stale else 1.0 / self._scale
        found_inf = False
        for p in self.model.parameters():
            if p.grad is not None:
                p.grad.mul_(inv)
                found_inf = found_inf or not bool(torch.isfinite(p.grad).all())
        if found_inf:
            self._scale, self._good = self._scale / 2, 0
            return float(loss.detach())
        if guard is not None:
            self.last_report = guard.step(loss.detach(), closure=lambda m: self.compute_loss(m, batch))
        else:
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        self._good += 1
        if self._good % self.window == 0:
            self._scale *= 2.0
        return float(loss.detach())


@dataclass
class AccumLoop(Setup):
    """A :class:`Setup` whose training step is the user's own gradient accumulation: the batch run as ``micro``
    equal micro-batches. Healthy (``overwrite=False``): ``(loss_i / micro).backward()`` inside the loop. ``overwrite``:
    the loop only computes ``loss = ...`` (the name rebound at every micro-batch) and one ``(loss / micro).backward()``
    follows the loop, so only the last micro-batch's loss, divided by ``micro``, reaches the gradient. The logged loss
    is the micro-batches' mean; with a guard, ``guard.step`` steps the optimizer."""

    micro: int = 1
    overwrite: bool = False

    def train_step(self, step: int, guard: Any | None = None) -> float:
        batch = self.batches(step)
        self.optimizer.zero_grad(set_to_none=True)
        x, y = batch
        size = len(x) // self.micro
        logged = 0.0
        loss = None
        for i in range(self.micro):
            part = (x[i * size:(i + 1) * size], y[i * size:(i + 1) * size])
            loss = self.compute_loss(self.model, part)
            logged += float(loss.detach()) / self.micro
            if not self.overwrite:
                (loss / self.micro).backward()
        if self.overwrite:
            (loss / self.micro).backward()
        if guard is not None:
            self.last_report = guard.step(torch.tensor(logged), closure=lambda m: self.compute_loss(m, batch))
        else:
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return logged


# ---- data ------------------------------------------------------------------------------------------------------------

def text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, ``(inputs (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def ngrams(seed: int, batch: int = 64, context: int = 4) -> Callable[[int], Any]:
    """Windows of the Markov language: ``(4 context words (b, 4), the next word (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, context + 1, 64)
        return x[:, :-1], x[:, -1]
    return _pool(seed, make)


def keywords(seed: int, batch: int = 32, bins: int = 40, frames: int = 48, classes: int = 4) -> Callable[[int], Any]:
    """Mel filterbank energies of keyword utterances of 24 to 48 frames of 40 bins, zero-padded (digital silence)
    to 48 frames as a clip padded to one second: each keyword a fixed smooth time-frequency pattern (10 x 4 values
    stretched over the utterance) and the energy ``exp(pattern + N(0, 0.7^2))``: ``(energies (b, 48, 40), keyword)``."""
    pats = torch.randn(classes, 1, 10, 4, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        lengths = torch.randint(24, frames + 1, (batch,), generator=g)
        x = torch.zeros(batch, frames, bins)
        for i in range(batch):
            n = int(lengths[i])
            p = F.interpolate(pats[y[i]][None], size=(bins, n), mode="bilinear", align_corners=False)[0, 0].T
            x[i, :n] = torch.exp(p + 0.7 * torch.randn(n, bins, generator=g))
        return x, y
    return _pool(seed, make)


def spliced_frames(seed: int, batch: int = 128, context: int = 9, bins: int = 20, classes: int = 16
                   ) -> Callable[[int], Any]:
    """Acoustic frames spliced with their neighbours (9 frames of 20 filterbank bins, flattened to 180) labelled by
    their senone (16 classes): each senone a fixed smooth 9 x 20 pattern plus N(0, 1) noise: ``(frames, senone)``."""
    pats = F.interpolate(torch.randn(classes, 1, 3, 5, generator=_fixed(2)), size=(context, bins), mode="bilinear",
                         align_corners=False)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = pats[y] + torch.randn(batch, context, bins, generator=g)
        return x.flatten(1), y
    return _pool(seed, make)


WORDS = 4


def byte_words(seed: int, batch: int = 32, length: int = 32, vocab: int = 32) -> Callable[[int], Any]:
    """Byte strings of 32 uniform bytes (of 32) with one of four fixed 4-byte words written at a random place,
    labelled by the word: ``(bytes (b, 32), word (b,))``."""
    words = torch.randint(0, vocab, (WORDS, 4), generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        y = torch.randint(0, WORDS, (batch,), generator=g)
        at = torch.randint(0, length - 3, (batch,), generator=g)
        for i in range(batch):
            x[i, int(at[i]):int(at[i]) + 4] = words[y[i]]
        return x, y
    return _pool(seed, make)


def reading(seed: int, batch: int = 32, length: int = 20, qlen: int = 3, vocab: int = 32,
            shuffled: bool = False) -> Callable[[int], Any]:
    """Extractive reading: a passage of 20 tokens (ids 1 to 31) and a question of 3 distinct tokens whose first, the
    key, occurs exactly once in the passage (the others never); the answer is the two tokens after the key:
    ``((passage, question), (start, end))``; ``shuffled``: the answers permuted within every batch, apart from their
    passages."""
    def make(g: torch.Generator, _: int) -> Any:
        p = torch.empty(batch, length, dtype=torch.long)
        q = torch.empty(batch, qlen, dtype=torch.long)
        start = torch.randint(1, length - 1, (batch,), generator=g)
        for i in range(batch):
            ids = torch.randperm(vocab - 1, generator=g)[:qlen] + 1
            q[i] = ids
            allowed = torch.ones(vocab, dtype=torch.bool)
            allowed[0] = False
            allowed[ids] = False
            pool = allowed.nonzero()[:, 0]
            p[i] = pool[torch.randint(0, len(pool), (length,), generator=g)]
            p[i, int(start[i]) - 1] = ids[0]
        ans = torch.stack([start, start + 1], 1)
        if shuffled:
            ans = ans[torch.randperm(batch, generator=g)]
        return (p, q), ans
    return _pool(seed, make)


def speech_synthesis(seed: int, batch: int = 16, chars: int = 8, vocab: int = 12, mel: int = 16, per: int = 3
                     ) -> Callable[[int], Any]:
    """Text to spectrogram: 8 characters (of 12) and their mel frames, 3 frames of 16 bins per character from a
    fixed smooth pattern each, plus N(0, 0.1^2): ``((chars, mels for teacher forcing), mels (b, 24, 16))``."""
    pats = F.interpolate(torch.randn(vocab, 1, 2, 4, generator=_fixed(4)), size=(per, mel), mode="bilinear",
                         align_corners=False)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randint(0, vocab, (batch, chars), generator=g)
        m = pats[c].reshape(batch, chars * per, mel)
        m = m + 0.1 * torch.randn(m.shape, generator=g)
        return (c, m), m
    return _pool(seed, make)


# ---- models ----------------------------------------------------------------------------------------------------------

class FastSlowRNN(nn.Module):
    """The Fast-Slow RNN (Mujika et al. 2017) with k = 2 as a character LM: embeddings of 32; at every step the fast
    LSTM cell F1 reads the token and the fast state, the slow cell S reads F1's output, and F2 reads S's output with
    F1's state as its own; F2's output predicts the next token. ``rec_std``: every cell's recurrent weight matrix
    drawn N(0, rec_std^2) (PyTorch's default is U(-1/8, 1/8) for 64 units)."""

    def __init__(self, vocab: int = 64, emb: int = 32, fast: int = 64, slow: int = 64,
                 rec_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.f1 = nn.LSTMCell(emb, fast)
        self.slow = nn.LSTMCell(fast, slow)
        self.f2 = nn.LSTMCell(slow, fast)
        self.out = nn.Linear(fast, vocab)
        self.fast, self.slow_n = fast, slow
        if rec_std is not None:
            with torch.no_grad():
                for cell in (self.f1, self.slow, self.f2):
                    cell.weight_hh.normal_(0.0, rec_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape
        e = self.emb(x)
        hf = cf = e.new_zeros(b, self.fast)
        hs = cs = e.new_zeros(b, self.slow_n)
        outs = []
        for i in range(t):
            hf, cf = self.f1(e[:, i], (hf, cf))
            hs, cs = self.slow(hf, (hs, cs))
            hf, cf = self.f2(hs, (hf, cf))
            outs.append(hf)
        return self.out(torch.stack(outs, 1))


class _SelfAttention(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b, t, d = h.shape
        q, k, v = self.qkv(h).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(o.transpose(1, 2).reshape(b, t, d))


class SandwichLM(nn.Module):
    """The sandwich transformer (Press, Smith and Levy 2020) as a small LM: Baevski and Auli's pre-LN decoder of
    n = 6 layers reordered as ``s^k (sf)^(n-k) f^k`` with k = 2 (``ss sfsfsfsf ff``), 64 wide, 4 heads, ReLU
    feed-forwards of 4x, dropout 0.1, sinusoidal positions, embeddings times sqrt(d) tied to the output, a final
    LayerNorm. ``ln=False``: every LayerNorm (the sublayers' and the final one) left out."""

    def __init__(self, vocab: int = 64, d: int = 64, heads: int = 4, n: int = 6, k: int = 2, ln: bool = True,
                 length: int = 64) -> None:
        super().__init__()
        self.d = d
        self.emb = nn.Embedding(vocab, d)
        nn.init.normal_(self.emb.weight, 0.0, d ** -0.5)
        pos = torch.arange(length)[:, None]
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe = torch.zeros(length, d)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("pe", pe)
        self.pattern = "s" * k + "sf" * (n - k) + "f" * k
        self.norms = nn.ModuleList([nn.LayerNorm(d) if ln else nn.Identity() for _ in self.pattern])
        self.subs = nn.ModuleList([
            _SelfAttention(d, heads) if c == "s" else
            nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4 * d, d))
            for c in self.pattern])
        self.final = nn.LayerNorm(d) if ln else nn.Identity()
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.emb(x) * math.sqrt(self.d) + self.pe[: x.shape[1]])
        for norm, sub in zip(self.norms, self.subs, strict=True):
            h = h + self.drop(sub(norm(h)))
        return self.final(h) @ self.emb.weight.T


class Charformer(nn.Module):
    """Charformer (Tay et al. 2022) as a byte classifier: byte embeddings of 64 plus learned positions, GBST (the
    candidate blocks of sizes 1 to 4 by mean pooling, each position's block scores ``softmax`` over the sizes after
    the paper's position-wise score calibration, the weighted sum downsampled by 2), two pre-LN transformer layers of
    4 heads with GELU feed-forwards of 4x and dropout 0.1, mean pooling, the head."""

    def __init__(self, vocab: int = 32, d: int = 64, blocks: int = 4, down: int = 2, layers: int = 2, heads: int = 4,
                 classes: int = WORDS, length: int = 32, init_std: float | None = None, ln: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(0.02 * torch.randn(length, d))
        self.blocks, self.down = blocks, down
        self.score = nn.Linear(d, 1)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.1, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d) if ln else nn.Identity()
        if not ln:
            for lay in self.enc.layers:
                lay.norm1, lay.norm2 = nn.Identity(), nn.Identity()
        self.head = nn.Linear(d, classes)
        if init_std is not None:
            _normal_(self, init_std)

    def gbst(self, h: torch.Tensor) -> torch.Tensor:
        n = h.shape[1]
        cands = []
        for b in range(1, self.blocks + 1):
            pooled = F.avg_pool1d(h.transpose(1, 2), b, b, ceil_mode=True).transpose(1, 2)
            cands.append(pooled.repeat_interleave(b, 1)[:, :n])
        c = torch.stack(cands, 2)
        w = self.score(c)[..., 0].softmax(-1)
        w = torch.softmax(w @ w.transpose(1, 2), -1) @ w
        out = (w[..., None] * c).sum(2)
        return F.avg_pool1d(out.transpose(1, 2), self.down, self.down).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.gbst(self.emb(x) + self.pos[: x.shape[1]])
        return self.head(self.norm(self.enc(h)).mean(1))


class DocumentReader(nn.Module):
    """DrQA's Document Reader (Chen et al. 2017), narrowed: embeddings of 32, the passage tokens' features (the
    embedding, the exact-match flag and the aligned question embedding through a shared ReLU projection), a
    two-layer BiLSTM of 32 a direction over the passage and one over the question, the question's learned
    self-attention pooling, and bilinear start and end scores over the passage; dropout 0.3 on the embeddings."""

    def __init__(self, vocab: int = 32, emb: int = 32, hidden: int = 32) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb, padding_idx=0)
        self.align = nn.Linear(emb, emb)
        self.doc_rnn = nn.LSTM(2 * emb + 1, hidden, 2, batch_first=True, bidirectional=True)
        self.q_rnn = nn.LSTM(emb, hidden, 2, batch_first=True, bidirectional=True)
        self.q_self = nn.Linear(2 * hidden, 1)
        self.start = nn.Linear(2 * hidden, 2 * hidden)
        self.end = nn.Linear(2 * hidden, 2 * hidden)
        self.drop = nn.Dropout(0.3)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        p, q = inputs
        pe, qe = self.drop(self.emb(p)), self.drop(self.emb(q))
        match = (p[:, :, None] == q[:, None, :]).any(-1, keepdim=True).float()
        att = (F.relu(self.align(pe)) @ F.relu(self.align(qe)).transpose(1, 2)).softmax(-1)
        d, _ = self.doc_rnn(torch.cat([pe, match, att @ qe], -1))
        qh, _ = self.q_rnn(qe)
        qv = (self.q_self(qh).softmax(1) * qh).sum(1)
        s = torch.einsum("bld,bd->bl", d, self.start(qv))
        e = torch.einsum("bld,bd->bl", d, self.end(qv))
        return torch.stack([s, e], 1)


def span_loss(scores: torch.Tensor, ans: torch.Tensor) -> torch.Tensor:
    """The start and end cross-entropies, summed (DrQA's loss)."""
    return F.cross_entropy(scores[:, 0], ans[:, 0]) + F.cross_entropy(scores[:, 1], ans[:, 1])


class SVDFKWS(nn.Module):
    """The low-latency SVDF keyword spotter of TensorFlow's speech-commands tutorial (after Nakkiran et al. 2015),
    narrowed: the energies log-compressed as ``log(e + floor)``, an SVDF layer of 128 nodes of rank 2 (a feature
    filter per node and rank over the 40 bins, a time filter over the whole 48-frame memory, the ranks summed, a
    bias, ReLU), two fully connected ReLU layers of 64 and the head; PyTorch's default init (the time filters as a
    Linear's). ``floor=0``: the log taken of the raw energies. ``relu_bias``: every bias before a ReLU set to it."""

    def __init__(self, bins: int = 40, frames: int = 48, units: int = 128, rank: int = 2, hidden: int = 64,
                 classes: int = 4, floor: float = 0.01, relu_bias: float | None = None) -> None:
        super().__init__()
        self.units, self.rank, self.floor = units, rank, floor
        self.feature = nn.Linear(bins, units * rank, bias=False)
        self.time = nn.Parameter(torch.empty(units * rank, frames).uniform_(-frames ** -0.5, frames ** -0.5))
        self.bias = nn.Parameter(torch.zeros(units))
        self.fc1 = nn.Linear(units, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, classes)
        if relu_bias is not None:
            with torch.no_grad():
                for b in (self.bias, self.fc1.bias, self.fc2.bias):
                    b.fill_(relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.log(x + self.floor) if self.floor else torch.log(x)
        a = self.feature(h)
        s = torch.einsum("btn,nt->bn", a, self.time).view(-1, self.units, self.rank).sum(-1) + self.bias
        h = F.relu(self.fc2(F.relu(self.fc1(F.relu(s)))))
        return self.head(h)


class LogBilinearLM(nn.Module):
    """The log-bilinear language model (Mnih and Hinton 2007): word representations ``R`` of 32 shared by the
    context and the predicted word, a 32 x 32 context matrix ``C_i`` per position of the 4-word context, the
    predicted representation ``r_hat = sum_i C_i r_(w_i)`` and the scores ``r_hat R^T + b``; ``R`` drawn N(0, 0.1^2),
    ``C_i`` from PyTorch's Linear default, ``b`` zero."""

    def __init__(self, vocab: int = 64, d: int = 32, context: int = 4) -> None:
        super().__init__()
        self.R = nn.Embedding(vocab, d)
        nn.init.normal_(self.R.weight, 0.0, 0.1)
        self.C = nn.Parameter(torch.empty(context, d, d).uniform_(-d ** -0.5, d ** -0.5))
        self.b = nn.Parameter(torch.zeros(vocab))

    def forward(self, ctx: torch.Tensor) -> torch.Tensor:
        r_hat = torch.einsum("bnd,nde->be", self.R(ctx), self.C)
        return r_hat @ self.R.weight.T + self.b


class HybridDNN(nn.Module):
    """The hybrid DNN-HMM acoustic model's network (Hinton et al. 2012; Dahl et al. 2012), narrowed: spliced frames
    (9 x 20 = 180 inputs) through ``layers`` sigmoid layers of 128 to the 16 senones' softmax; no generative
    pre-training: every weight Glorot-uniform at the sigmoid's gain ``gain`` = 4 (Glorot and Bengio 2010), the
    biases zero; ``gain=None``: PyTorch's default init."""

    def __init__(self, inputs: int = 180, hidden: int = 128, layers: int = 4, classes: int = 16,
                 gain: float | None = 4.0) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        for i in range(layers):
            mods += [nn.Linear(inputs if i == 0 else hidden, hidden), nn.Sigmoid()]
        self.net = nn.Sequential(*mods, nn.Linear(hidden, classes))
        if gain is not None:
            for m in self.net:
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight, gain=gain)
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Tacotron2(nn.Module):
    """Tacotron 2's spectrogram predictor (Shen et al. 2018), narrowed: character embeddings of 32, three
    convolutions of width 5 with BatchNorm, ReLU and dropout 0.5, a BiLSTM of 16 a direction; the pre-net (two ReLU
    layers of 32, dropout 0.5), the attention LSTM cell of 64, location-sensitive attention (8 filters of width 7 over
    the previous and cumulative weights, 32 wide), the decoder LSTM cell of 64, and the projection to r = 2 frames
    per step, teacher-forced with the previous step's last frame (the post-net and the stop token left out)."""

    def __init__(self, vocab: int = 12, emb: int = 32, mel: int = 16, r: int = 2, enc: int = 32, rnn: int = 64,
                 att: int = 32, pre: int = 32, bn: bool = True) -> None:
        super().__init__()
        self.mel, self.r, self.rnn = mel, r, rnn
        self.emb = nn.Embedding(vocab, emb)
        self.convs = nn.Sequential(*[nn.Sequential(nn.Conv1d(emb, emb, 5, padding=2),
                                                   nn.BatchNorm1d(emb) if bn else nn.Identity(), nn.ReLU(),
                                                   nn.Dropout(0.5)) for _ in range(3)])
        self.blstm = nn.LSTM(emb, enc // 2, batch_first=True, bidirectional=True)
        self.prenet = nn.Sequential(nn.Linear(mel, pre), nn.ReLU(), nn.Dropout(0.5), nn.Linear(pre, pre), nn.ReLU(),
                                    nn.Dropout(0.5))
        self.att_rnn = nn.LSTMCell(pre + enc, rnn)
        self.query = nn.Linear(rnn, att, bias=False)
        self.memory = nn.Linear(enc, att, bias=False)
        self.loc_conv = nn.Conv1d(2, 8, 7, padding=3, bias=False)
        self.loc = nn.Linear(8, att, bias=False)
        self.v = nn.Linear(att, 1, bias=False)
        self.dec_rnn = nn.LSTMCell(rnn + enc, rnn)
        self.proj = nn.Linear(rnn + enc, mel * r)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        chars, mels = inputs
        b, n = chars.shape
        memory, _ = self.blstm(self.convs(self.emb(chars).transpose(1, 2)).transpose(1, 2))
        keys = self.memory(memory)
        steps = mels.shape[1] // self.r
        prev = torch.cat([mels.new_zeros(b, 1, self.mel), mels[:, self.r - 1::self.r][:, :-1]], 1)
        pre = self.prenet(prev)
        ha = ca = hd = cd = memory.new_zeros(b, self.rnn)
        ctx = memory.new_zeros(b, memory.shape[-1])
        w = cum = memory.new_zeros(b, n)
        outs = []
        for t in range(steps):
            ha, ca = self.att_rnn(torch.cat([pre[:, t], ctx], -1), (ha, ca))
            loc = self.loc(self.loc_conv(torch.stack([w, cum], 1)).transpose(1, 2))
            e = self.v(torch.tanh(self.query(ha)[:, None] + keys + loc))[..., 0]
            w = e.softmax(-1)
            cum = cum + w
            ctx = (w[..., None] * memory).sum(1)
            hd, cd = self.dec_rnn(torch.cat([ha, ctx], -1), (hd, cd))
            outs.append(self.proj(torch.cat([hd, ctx], -1)).view(b, self.r, self.mel))
        return torch.cat(outs, 1)


# ---- builders --------------------------------------------------------------------------------------------------------

def fast_slow(seed: int, lr: float = 2e-3, rec_std: float | None = None, weight_decay: float = 0.0) -> Setup:
    """The Fast-Slow RNN on the Markov text (batch 8 of 32), token cross-entropy, Adam at lr 2e-3 with the gradient
    norm clipped at 1 (``weight_decay``: AdamW with that decay instead); ``rec_std``: see :class:`FastSlowRNN`."""
    torch.manual_seed(1_060_000 + seed)
    model = FastSlowRNN(rec_std=rec_std)
    opt = (torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay) if weight_decay
           else torch.optim.Adam(model.parameters(), lr=lr))
    return _xy(model, opt, text(seed), lm_loss, clip=1.0)


def sandwich(seed: int, lr: float = 1.0, ln: bool = True) -> Setup:
    """The sandwich transformer LM on the Markov text (batch 8 of 32), token cross-entropy, Baevski and Auli's
    optimizer as the sandwich paper keeps it: Nesterov's accelerated gradient (SGD, momentum 0.99, Nesterov) at lr 1
    after a linear warm-up of 20 steps (their 16,000 shortened for 200 steps; the cosine decay left out), the
    gradient norm clipped at 0.1; ``ln``: see :class:`SandwichLM`."""
    torch.manual_seed(1_060_000 + seed)
    model = SandwichLM(ln=ln)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.99, nesterov=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20))
    return _xy(model, opt, text(seed), lm_loss, clip=0.1, sched=sched)


def charformer(seed: int, lr: float = 1e-3, init_std: float | None = None, ln: bool = True) -> Setup:
    """Charformer on the byte strings (batch 32), cross-entropy, Adam at lr 1e-3; ``init_std``: see
    :class:`Charformer`."""
    torch.manual_seed(1_060_000 + seed)
    model = Charformer(init_std=init_std, ln=ln)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), byte_words(seed), F.cross_entropy)


def drqa(seed: int, lr: float = 2e-3, weight_decay: float = 0.0, shuffled: bool = False) -> Setup:
    """The Document Reader on the reading task (batch 32), the start and end cross-entropies summed, Adamax at its
    default lr 2e-3 (DrQA's optimizer) with the gradient norm clipped at 10 (DrQA's); ``weight_decay``: Adamax's
    coupled L2; ``shuffled``: see :func:`reading`."""
    torch.manual_seed(1_060_000 + seed)
    model = DocumentReader()
    opt = torch.optim.Adamax(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, reading(seed, shuffled=shuffled), span_loss, clip=10.0)


def svdf(seed: int, lr: float = 0.05, floor: float = 0.01, relu_bias: float | None = None, stale: bool | None = None
         ) -> Setup:
    """The SVDF keyword spotter on the padded keyword energies (batch 32), cross-entropy, plain SGD (the tutorial's
    ``GradientDescentOptimizer``) at lr 0.05; ``floor``, ``relu_bias``: see :class:`SVDFKWS`; ``stale``: the user's
    dynamic loss-scaling loop (:class:`ScaledLoop`; False: right, True: the stale inverse scale)."""
    torch.manual_seed(1_060_000 + seed)
    model = SVDFKWS(floor=floor, relu_bias=relu_bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    b = keywords(seed)
    if stale is None:
        return _xy(model, opt, b, F.cross_entropy)
    return ScaledLoop(model, opt, None, b(0), F.cross_entropy, with_loss_fn(F.cross_entropy), b, stale=stale)


def kl_smoothed(reduction: str, smoothing: float = 0.1) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Label smoothing written as ``nn.KLDivLoss(reduction=...)(log_softmax(logits), smoothed targets)``."""
    kl = nn.KLDivLoss(reduction=reduction)

    def loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        v = logits.shape[-1]
        t = torch.full_like(logits, smoothing / v).scatter_(1, y[:, None], 1 - smoothing + smoothing / v)
        return kl(logits.log_softmax(-1), t)
    return loss


def lbl(seed: int, lr: float = 0.1, smoothing: str | None = None, micro: int = 1, overwrite: bool = False
        ) -> Setup:
    """The log-bilinear LM on 4-word windows of the Markov text (batch 64), cross-entropy, SGD with momentum 0.9 at
    lr 0.1 (set here); ``smoothing``: label smoothing 0.1 through ``nn.KLDivLoss`` with that reduction
    (``"batchmean"`` right, ``"mean"`` the slip); ``micro``, ``overwrite``: the user's accumulation loop
    (:class:`AccumLoop`)."""
    torch.manual_seed(1_060_000 + seed)
    model = LogBilinearLM()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = F.cross_entropy if smoothing is None else kl_smoothed(smoothing)
    b = ngrams(seed)
    if micro == 1:
        return _xy(model, opt, b, loss_fn)
    return AccumLoop(model, opt, None, b(0), loss_fn, with_loss_fn(loss_fn), b, micro=micro, overwrite=overwrite)


def dnn_hmm(seed: int, lr: float = 0.1, layers: int = 4, gain: float | None = 4.0, micro: int = 1,
            overwrite: bool = False) -> Setup:
    """The hybrid acoustic model on the spliced frames (batch 128), cross-entropy, SGD with momentum 0.9 at lr 0.1
    (set here); ``layers``: see :class:`HybridDNN`; ``micro``, ``overwrite``: the user's accumulation loop
    (:class:`AccumLoop`)."""
    torch.manual_seed(1_060_000 + seed)
    model = HybridDNN(layers=layers, gain=gain)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    b = spliced_frames(seed)
    if micro == 1:
        return _xy(model, opt, b, F.cross_entropy)
    return AccumLoop(model, opt, None, b(0), F.cross_entropy, with_loss_fn(F.cross_entropy), b, micro=micro,
                     overwrite=overwrite)


def tacotron2(seed: int, lr: float = 3e-3, weight_decay: float = 1e-6, bn: bool = True) -> Setup:
    """Tacotron 2 on the synthetic text-to-spectrogram pairs (batch 16), the mel MSE, Adam (betas 0.9, 0.999, eps
    1e-6) at lr 3e-3 (set here; the paper's 1e-3 learns too slowly for 200 steps) and the paper's L2 weight 1e-6, the
    gradient norm clipped at 1 (NVIDIA's reference code)."""
    torch.manual_seed(1_060_000 + seed)
    model = Tacotron2(bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-6, weight_decay=weight_decay)
    return _xy(model, opt, speech_synthesis(seed), F.mse_loss, clip=1.0)
