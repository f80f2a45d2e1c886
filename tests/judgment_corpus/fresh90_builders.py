"""Builders of the ninety-first held-out batch (``fresh90.py``): sequence, NLP and speech models new to the corpus at
their usual settings, and broken variants with one real fault each, plus the small data sets they train on. Written
and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, lm_loss, markov_tokens, with_loss_fn

BASE = 900_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(BASE + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9000 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _normal(model: nn.Module, std: float) -> None:
    """Every Linear, Conv and Embedding weight drawn N(0, std^2)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Embedding)):
                m.weight.normal_(0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, ``(inputs (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def first_token(seed: int, batch: int = 32, length: int = 16, vocab: int = 32, classes: int = 4
                ) -> Callable[[int], Any]:
    """Uniform token sequences labelled by the class (``token % 4``) of their first token: ``(tokens, class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        return x, x[:, 0] % classes
    return _pool(seed, make)


def majority(seed: int, batch: int = 32, length: int = 20, vocab: int = 32, classes: int = 4) -> Callable[[int], Any]:
    """Token sequences of 20 labelled by their most frequent class (``token % 4``); each sequence drawn with one class
    favoured (half its tokens), so the count decides: ``(tokens, class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        fav = torch.randint(0, classes, (batch, 1), generator=g)
        x = torch.randint(0, vocab, (batch, length), generator=g)
        pick = torch.rand(batch, length, generator=g) < 0.3
        x = torch.where(pick, (x // classes) * classes + fav, x)
        y = F.one_hot(x % classes, classes).sum(1).argmax(1)
        return x, y
    return _pool(seed, make)


def extracts(seed: int, batch: int = 32, length: int = 10, vocab: int = 40, known: int = 20) -> Callable[[int], Any]:
    """Source texts of 10 tokens over 40 ids, of which only the first 20 are in the decoder's vocabulary (the rest are
    out-of-vocabulary words that can only be copied); the target is the source itself (an extractive "summary", copied
    word by word): ``((source, decoder input), target)``, the decoder input being ``<s>`` (id 0 of the vocabulary is
    never drawn) followed by the target shifted right."""
    def make(g: torch.Generator, _: int) -> Any:
        src = torch.randint(1, vocab, (batch, length), generator=g)
        tgt = src.clone()
        dec_in = torch.cat([torch.zeros(batch, 1, dtype=torch.long), tgt[:, :-1]], 1)
        return (src, dec_in), tgt
    return _pool(seed, make)


def spans(seed: int, batch: int = 32, context: int = 24, vocab: int = 32) -> Callable[[int], Any]:
    """Reading comprehension: a context of 24 uniform tokens and a question of two tokens that occur as a bigram at a
    random position of the context; the answer span is that bigram: ``((context, question), (start, end))``."""
    def make(g: torch.Generator, _: int) -> Any:
        c = torch.randint(0, vocab, (batch, context), generator=g)
        q = torch.randint(0, vocab, (batch, 2), generator=g)
        start = torch.randint(0, context - 1, (batch,), generator=g)
        rows = torch.arange(batch)
        c[rows, start], c[rows, start + 1] = q[:, 0], q[:, 1]
        return (c, q), (start, start + 1)
    return _pool(seed, make)


def utterances(seed: int, batch: int = 16, frames: int = 16, feats: int = 16, labels: int = 4, vocab: int = 5
               ) -> Callable[[int], Any]:
    """Speech-like feature frames for a transducer: each utterance says 4 tokens (ids 1 to 5; 0 is the blank), each
    token a fixed 16-dimensional frame pattern held for 3 or 4 frames, plus N(0, 0.5^2) noise; silence (noise alone)
    pads to 16 frames: ``((frames (b, 16, 16), tokens (b, 4)), tokens)``."""
    pats = torch.randn(vocab + 1, feats, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(1, vocab + 1, (batch, labels), generator=g)
        x = torch.zeros(batch, frames, feats)
        for i in range(batch):
            t = int(torch.randint(0, 2, (1,), generator=g))
            for u in range(labels):
                d = 3 + int(torch.randint(0, 2, (1,), generator=g))
                x[i, t:t + d] = pats[y[i, u]]
                t += d
        x = x + 0.5 * torch.randn(x.shape, generator=g)
        return (x, y), y
    return _pool(seed, make)


def keyword_waves(seed: int, batch: int = 16, samples: int = 1600, classes: int = 4, shuffled: bool = False
                  ) -> Callable[[int], Any]:
    """Raw waveforms at 4 kHz, 0.4 s: each keyword a fixed sequence of three tones (fixed frequencies between 150 and
    1,600 Hz) of random total length 0.15 to 0.25 s, plus white noise of std 0.1 over the spoken part; before the
    onset (at 0.02 to 0.12 s) the recording is digital silence, exact zeros: ``(waves (b, 1600), keyword (b,))``;
    ``shuffled``: the labels permuted within every batch, apart from their waveforms."""
    freqs = 150.0 + 1450.0 * torch.rand(classes, 3, generator=_fixed(2))
    sr = 4000.0

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = torch.zeros(batch, samples)
        for i in range(batch):
            onset = int(80 + 400 * float(torch.rand(1, generator=g)))
            length = int(600 + 400 * float(torch.rand(1, generator=g)))
            length = min(length, samples - onset)
            t = torch.arange(length) / sr
            third = torch.clamp((torch.arange(length) * 3) // length, max=2)
            f = freqs[y[i]][third]
            phase = 2 * math.pi * torch.cumsum(f / sr, 0)
            env = torch.sin(math.pi * t / t[-1]).clamp(min=0) ** 0.5
            x[i, onset:onset + length] = env * torch.sin(phase) + 0.1 * torch.randn(length, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


# ---- Adaptive-Span Transformer (Sukhbaatar et al. 2019) ----------------------------------------------------------

class AdaptiveSpanLayer(nn.Module):
    """A post-LN causal layer whose heads each learn a soft span: the attention weights at distance ``x`` are masked
    by ``clamp((R + z S - x) / R, 0, 1)`` (ramp ``R``, maximal span ``S``, ``z`` learned from 0) and renormalised, and
    the keys carry learned relative position embeddings (the reference code's ``key_pe``)."""

    def __init__(self, d: int, heads: int, span: int, ramp: int, no_ln: bool = False) -> None:
        super().__init__()
        self.h, self.dh, self.span, self.ramp = heads, d // heads, span, ramp
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.key_pe = nn.Parameter(torch.randn(self.dh, span) * self.dh ** -0.5)
        self.z = nn.Parameter(torch.zeros(heads, 1, 1))
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Linear(4 * d, d))
        self.ln1 = nn.Identity() if no_ln else nn.LayerNorm(d)
        self.ln2 = nn.Identity() if no_ln else nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        dist = torch.arange(t)[:, None] - torch.arange(t)[None]
        pe = self.key_pe[:, dist.clamp(0, self.span - 1)]
        s = (q @ k.transpose(-1, -2) + torch.einsum("bhid,dij->bhij", q, pe)) / math.sqrt(self.dh)
        s = s.masked_fill(dist < 0, float("-inf")).softmax(-1)
        mask = ((self.ramp + self.z * self.span - dist.float()) / self.ramp).clamp(0, 1)
        a = s * mask
        a = a / (a.sum(-1, keepdim=True) + 1e-8)
        x = self.ln1(x + self.out((a @ v).transpose(1, 2).reshape(b, t, d)))
        return self.ln2(x + self.ff(x))


class AdaptiveSpanLM(nn.Module):
    def __init__(self, vocab: int = 64, d: int = 64, heads: int = 4, layers: int = 2, span: int = 32, ramp: int = 8,
                 no_ln: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(AdaptiveSpanLayer(d, heads, span, ramp, no_ln) for _ in range(layers))
        self.head = nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        for layer in self.layers:
            h = layer(h)
        return self.head(h)

    def span_loss(self, coeff: float = 2e-6) -> torch.Tensor:
        return coeff * sum(layer.span * layer.z.clamp(0, 1).mean() for layer in self.layers)


# ---- Forgetting Transformer (Lin et al. 2025) ---------------------------------------------------------------------

class RMSNorm(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.g = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.g


class FoxLayer(nn.Module):
    """Pre-RMSNorm forgetting attention (``softmax(q k^T / sqrt(d) + D)``, ``D_ij = sum_{j < l <= i} log f_l``, a
    scalar forget gate ``f_t = sigmoid(w^T x_t + b)`` per head) and a SwiGLU feed-forward."""

    def __init__(self, d: int, heads: int, gate_bias: float) -> None:
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.fgate = nn.Linear(d, heads)
        nn.init.constant_(self.fgate.bias, gate_bias)
        self.out = nn.Linear(d, d, bias=False)
        self.w12 = nn.Linear(d, 2 * 2 * d, bias=False)
        self.w3 = nn.Linear(2 * d, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        h = self.n1(x)
        q, k, v = self.qkv(h).view(b, t, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        logf = F.logsigmoid(self.fgate(h)).transpose(1, 2)          # (b, heads, t)
        c = logf.cumsum(-1)
        dmat = c[..., :, None] - c[..., None, :]                     # sum over j < l <= i
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        s = (q @ k.transpose(-1, -2)) / math.sqrt(self.dh) + dmat
        a = s.masked_fill(~causal, float("-inf")).softmax(-1)
        x = x + self.out((a @ v).transpose(1, 2).reshape(b, t, d))
        u, g = self.w12(self.n2(x)).chunk(2, -1)
        return x + self.w3(F.silu(u) * g)


class FoxClassifier(nn.Module):
    """A causal FoX stack read out at the last position (a decoder's classification head)."""

    def __init__(self, vocab: int = 32, d: int = 64, heads: int = 4, layers: int = 2, classes: int = 4,
                 gate_bias: float = 3.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        nn.init.normal_(self.emb.weight, std=0.02)
        self.layers = nn.ModuleList(FoxLayer(d, heads, gate_bias) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        for layer in self.layers:
            h = layer(h)
        return self.head(self.norm(h[:, -1]))


# ---- Skip RNN (Campos et al. 2018) ----------------------------------------------------------------------------------

class _Round(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return x.round()

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:
        return g


class SkipLSTM(nn.Module):
    """Skip-LSTM: a binary state-update gate ``u_t = round(u~_t)`` (straight-through) that either runs the LSTM cell
    or copies the state; ``du_t = sigmoid(w_p^T c_t + b_p)``, ``u~_(t+1) = u_t du_t + (1 - u_t)(u~_t + min(du_t, 1 -
    u~_t))``, ``u~_1 = 1``. The last state's ``h`` to the classifier; the budget loss ``lambda sum_t u_t``."""

    def __init__(self, vocab: int = 32, emb: int = 32, hidden: int = 64, classes: int = 4,
                 forget_bias: float = 1.0, update_bias: float = 1.0) -> None:
        super().__init__()
        self.hidden = hidden
        self.emb = nn.Embedding(vocab, emb)
        self.cell = nn.LSTMCell(emb, hidden)
        with torch.no_grad():
            self.cell.bias_ih[hidden:2 * hidden].fill_(forget_bias)
            self.cell.bias_hh[hidden:2 * hidden].fill_(0.0)
        self.update = nn.Linear(hidden, 1)
        nn.init.constant_(self.update.bias, update_bias)
        self.head = nn.Linear(hidden, classes)
        self.updates: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.emb(x)
        b = x.shape[0]
        h = c = e.new_zeros(b, self.hidden)
        u_soft = e.new_ones(b, 1)
        total = e.new_zeros(())
        for t in range(x.shape[1]):
            u = _Round.apply(u_soft)
            h_new, c_new = self.cell(e[:, t], (h, c))
            h, c = u * h_new + (1 - u) * h, u * c_new + (1 - u) * c
            du = torch.sigmoid(self.update(c))
            u_soft = u * du + (1 - u) * (u_soft + torch.minimum(du, 1 - u_soft))
            total = total + u.mean()
        self.updates = total
        return self.head(h)


def skip_loss(model: SkipLSTM, budget: float = 1e-4) -> Callable[[nn.Module, Any], torch.Tensor]:
    def compute(m: nn.Module, batch: Any) -> torch.Tensor:
        out = m(batch[0])
        return F.cross_entropy(out, batch[1]) + budget * m.updates
    return compute


# ---- Pointer-Generator network (See et al. 2017) ---------------------------------------------------------------

class PointerGenerator(nn.Module):
    """A bidirectional LSTM encoder, an LSTM decoder with Bahdanau attention, and the generation probability
    ``p_gen = sigmoid(w_h^T h*_t + w_s^T s_t + w_x^T x_t + b)`` mixing the vocabulary distribution with the attention
    copied onto the source's ids (the extended vocabulary of 40 ids: 20 known, 20 out-of-vocabulary, embedded as UNK).
    The forward returns the final distribution's probabilities ``(b, steps, 40)``."""

    def __init__(self, ext_vocab: int = 40, known: int = 20, emb: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.ext, self.known, self.hidden = ext_vocab, known, hidden
        self.emb = nn.Embedding(known + 1, emb)             # id ``known`` is UNK
        self.enc = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.reduce_h, self.reduce_c = nn.Linear(2 * hidden, hidden), nn.Linear(2 * hidden, hidden)
        self.dec = nn.LSTMCell(emb, hidden)
        self.w_h = nn.Linear(2 * hidden, hidden, bias=False)
        self.w_s = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)
        self.pgen = nn.Linear(2 * hidden + hidden + emb, 1)
        self.out1 = nn.Linear(3 * hidden, hidden)
        self.out2 = nn.Linear(hidden, known)

    def _unk(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.where(ids >= self.known, torch.full_like(ids, self.known), ids)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        src, dec_in = inputs
        b = src.shape[0]
        enc, (hn, cn) = self.enc(self.emb(self._unk(src)))
        h = torch.relu(self.reduce_h(torch.cat([hn[0], hn[1]], -1)))
        c = torch.relu(self.reduce_c(torch.cat([cn[0], cn[1]], -1)))
        feats = self.w_h(enc)
        xs = self.emb(self._unk(dec_in))
        outs = []
        for t in range(dec_in.shape[1]):
            h, c = self.dec(xs[:, t], (h, c))
            att = self.v(torch.tanh(feats + self.w_s(h)[:, None])).squeeze(-1).softmax(-1)
            ctx = (att[..., None] * enc).sum(1)
            p_gen = torch.sigmoid(self.pgen(torch.cat([ctx, h, xs[:, t]], -1)))
            vocab = self.out2(self.out1(torch.cat([h, ctx], -1))).softmax(-1)
            final = torch.cat([p_gen * vocab, vocab.new_zeros(b, self.ext - self.known)], -1)
            final = final.scatter_add(1, src, (1 - p_gen) * att)
            outs.append(final)
        return torch.stack(outs, 1)


def pg_loss(probs: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    """The negative log-likelihood of the targets under the final distribution, as See et al.'s code writes it."""
    return -torch.log(probs.gather(2, tgt[..., None]).squeeze(-1)).mean()


# ---- QANet (Yu et al. 2018) ----------------------------------------------------------------------------------------

def _sinusoid(t: int, d: int) -> torch.Tensor:
    pos = torch.arange(t).float()[:, None]
    i = torch.arange(0, d, 2).float()
    ang = pos / (10000 ** (i / d))
    pe = torch.zeros(t, d)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(ang), torch.cos(ang)
    return pe


class QAEncoderBlock(nn.Module):
    """QANet's encoder block: positional encoding, ``convs`` depthwise-separable convolutions (kernel 7), multi-head
    self-attention and a feed-forward layer, each ``x + f(LN(x))``."""

    def __init__(self, d: int, convs: int, heads: int = 2, kernel: int = 7, ln: bool = True) -> None:
        super().__init__()
        self.dw = nn.ModuleList(nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d) for _ in range(convs))
        self.pw = nn.ModuleList(nn.Conv1d(d, d, 1) for _ in range(convs))
        self.att = nn.MultiheadAttention(d, heads, dropout=0.1, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d))
        norm = nn.LayerNorm if ln else (lambda _: nn.Identity())
        self.norms = nn.ModuleList(norm(d) for _ in range(convs + 2))
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + _sinusoid(x.shape[1], x.shape[2])
        for i, (dw, pw) in enumerate(zip(self.dw, self.pw, strict=True)):
            y = self.norms[i](x).transpose(1, 2)
            x = x + self.drop(torch.relu(pw(dw(y))).transpose(1, 2))
        y = self.norms[-2](x)
        x = x + self.drop(self.att(y, y, y, need_weights=False)[0])
        return x + self.drop(self.ff(self.norms[-1](x)))


class QANet(nn.Module):
    """QANet narrowed: word embeddings (no character channel) through a two-layer highway, one embedding encoder block
    (2 convolutions), the trilinear context-query attention ``[c, a, c * a, c * b]``, a model encoder block (1
    convolution) applied three times with shared weights, and the start and end pointers."""

    def __init__(self, vocab: int = 32, d: int = 32, ln: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.hw_gate = nn.ModuleList(nn.Linear(d, d) for _ in range(2))
        self.hw_lin = nn.ModuleList(nn.Linear(d, d) for _ in range(2))
        self.emb_enc = QAEncoderBlock(d, 2, ln=ln)
        self.w_c, self.w_q, self.w_cq = nn.Linear(d, 1), nn.Linear(d, 1), nn.Parameter(torch.randn(d) / math.sqrt(d))
        self.resize = nn.Linear(4 * d, d)
        self.model_enc = QAEncoderBlock(d, 1, ln=ln)
        self.p1, self.p2 = nn.Linear(2 * d, 1), nn.Linear(2 * d, 1)

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.emb(ids)
        for g, lin in zip(self.hw_gate, self.hw_lin, strict=True):
            gate = torch.sigmoid(g(x))
            x = gate * torch.relu(lin(x)) + (1 - gate) * x
        return self.emb_enc(x)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        c, q = (self._embed(i) for i in inputs)
        s = self.w_c(c) + self.w_q(q).transpose(1, 2) + (c * self.w_cq) @ q.transpose(1, 2)
        s1, s2 = s.softmax(2), s.softmax(1)
        a = s1 @ q
        bb = s1 @ s2.transpose(1, 2) @ c
        m0 = self.model_enc(self.resize(torch.cat([c, a, c * a, c * bb], -1)))
        m1 = self.model_enc(m0)
        m2 = self.model_enc(m1)
        return self.p1(torch.cat([m0, m1], -1)).squeeze(-1), self.p2(torch.cat([m0, m2], -1)).squeeze(-1)


def qa_loss(out: tuple[torch.Tensor, torch.Tensor], target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    return F.cross_entropy(out[0], target[0]) + F.cross_entropy(out[1], target[1])


# ---- RNN Transducer (Graves 2012) ---------------------------------------------------------------------------------

class Transducer(nn.Module):
    """The transcription network (a bidirectional LSTM over the frames), the prediction network (an LSTM over the
    blank-prefixed tokens) and the joint ``W_o tanh(W_f f_t + W_g g_u)``; the forward returns the log-probabilities
    ``(b, T, U + 1, vocab + 1)``."""

    def __init__(self, feats: int = 16, vocab: int = 5, hidden: int = 48, joint: int = 64) -> None:
        super().__init__()
        self.enc = nn.LSTM(feats, hidden, batch_first=True, bidirectional=True)
        self.emb = nn.Embedding(vocab + 1, 16)
        self.pred = nn.LSTM(16, hidden, batch_first=True)
        self.w_f, self.w_g = nn.Linear(2 * hidden, joint), nn.Linear(hidden, joint)
        self.out = nn.Linear(joint, vocab + 1)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = inputs
        f = self.enc(x)[0]
        g = self.pred(self.emb(F.pad(y, (1, 0))))[0]
        z = torch.tanh(self.w_f(f)[:, :, None] + self.w_g(g)[:, None])
        return self.out(z).log_softmax(-1)


def transducer_loss(lp: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The transducer's negative log-likelihood (the forward recursion over the ``(T, U + 1)`` lattice), averaged
    over the batch."""
    b, t_len, u1, _ = lp.shape
    blank = lp[..., 0]                                                   # (b, T, U+1)
    emit = lp[:, :, :-1].gather(3, y[:, None, :, None].expand(b, t_len, u1 - 1, 1)).squeeze(-1)   # (b, T, U)
    alpha = [torch.cat([lp.new_zeros(b, 1), emit[:, 0].cumsum(1)], 1)]
    for t in range(1, t_len):
        prev = alpha[-1] + blank[:, t - 1]
        row = [prev[:, 0]]
        for u in range(1, u1):
            row.append(torch.logaddexp(prev[:, u], row[-1] + emit[:, t, u - 1]))
        alpha.append(torch.stack(row, 1))
    return -(alpha[-1][:, -1] + blank[:, -1, -1]).mean()


# ---- LEAF (Zeghidour et al. 2021) ---------------------------------------------------------------------------------

def _mel(f: torch.Tensor) -> torch.Tensor:
    return 2595.0 * torch.log10(1 + f / 700.0)


def _imel(m: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10 ** (m / 2595.0) - 1)


class Leaf(nn.Module):
    """LEAF: complex Gabor filters (learned centre frequencies and bandwidths, initialised on the mel scale), squared
    modulus, learned per-channel Gaussian low-pass pooling (stride 40, 10 ms at 4 kHz) and sPCEN (learned ``alpha``,
    ``delta``, ``r`` and smoothing ``s``: ``(E / (eps + M)^alpha + delta)^r - delta^r``, ``M`` the smoothed energy);
    then the classifier (narrowed from EfficientNet: two 1-D convolutions of 64 with ReLU, max pooling over time, a
    linear layer)."""

    def __init__(self, filters: int = 16, width: int = 65, stride: int = 40, sr: float = 4000.0, classes: int = 4,
                 eps: float = 1e-12, pcen: bool = True, relu_bias: float | None = None) -> None:
        super().__init__()
        self.width, self.stride, self.eps, self.pcen = width, stride, eps, pcen
        mels = torch.linspace(_mel(torch.tensor(60.0)), _mel(torch.tensor(sr / 2 - 100)), filters + 2)
        hz = _imel(mels)
        centre = 2 * math.pi * hz[1:-1] / sr
        fwhm = (hz[2:] - hz[:-2]) / sr
        sigma = (math.sqrt(2 * math.log(2)) / (math.pi * fwhm * 2)).clamp(4.0, width / 2)
        self.centre = nn.Parameter(centre)
        self.sigma = nn.Parameter(sigma)
        self.pool_w = nn.Parameter(torch.full((filters,), 0.4))
        self.alpha = nn.Parameter(torch.full((filters,), 0.96))
        self.delta = nn.Parameter(torch.full((filters,), 2.0))
        self.root = nn.Parameter(torch.full((filters,), 2.0))     # r = 1 / root
        self.smooth = nn.Parameter(torch.full((filters,), 0.04))
        self.conv1 = nn.Conv1d(filters, 64, 5, padding=2)
        self.conv2 = nn.Conv1d(64, 64, 5, padding=2)
        self.head = nn.Linear(64, classes)
        if relu_bias is not None:
            nn.init.constant_(self.conv1.bias, relu_bias)
            nn.init.constant_(self.conv2.bias, relu_bias)

    def frontend(self, wav: torch.Tensor) -> torch.Tensor:
        t = torch.arange(self.width).float() - self.width // 2
        sigma = self.sigma.clamp(2.0, self.width / 2)[:, None]
        env = torch.exp(-0.5 * (t / sigma) ** 2) / (math.sqrt(2 * math.pi) * sigma)
        real = (env * torch.cos(self.centre[:, None] * t))[:, None]
        imag = (env * torch.sin(self.centre[:, None] * t))[:, None]
        x = wav[:, None]
        e = F.conv1d(x, real, padding=self.width // 2) ** 2 + F.conv1d(x, imag, padding=self.width // 2) ** 2
        w = self.pool_w.clamp(2.0 / self.width, 0.5)[:, None]
        lp = torch.exp(-0.5 * (t / (w * self.width / 2)) ** 2)[:, None]
        e = F.conv1d(e, lp, stride=self.stride, padding=self.width // 2, groups=e.shape[1])
        if not self.pcen:
            return e
        s = self.smooth.clamp(0.0, 1.0)[None]
        m, ms = e[..., 0], []
        for i in range(e.shape[-1]):
            m = (1 - s) * m + s * e[..., i]
            ms.append(m)
        m = torch.stack(ms, -1)
        alpha = self.alpha.clamp(max=1.0)[None, :, None]
        delta = self.delta.clamp(min=0.0)[None, :, None]
        r = 1.0 / self.root.clamp(min=1.0)[None, :, None]
        return (e / (self.eps + m) ** alpha + delta) ** r - delta ** r

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv1(self.frontend(wav)))
        h = torch.relu(self.conv2(h))
        return self.head(h.amax(-1))


# ---- CKConv (Romero et al. 2022) ------------------------------------------------------------------------------------

class Sine(nn.Module):
    def __init__(self, omega: float) -> None:
        super().__init__()
        self.omega = omega

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.omega * x)


class CKConv(nn.Module):
    """A continuous-kernel causal convolution: the kernel over the relative positions ``[-1, 0]`` (one per step of
    the sequence) is the output of a kernel network, a SIREN of 32 units (``omega_0 = 30``, its initialisation); with
    ``deep_kernel`` the kernel network is that many ReLU layers of 32 at PyTorch's default initialisation."""

    def __init__(self, cin: int, cout: int, length: int, hidden: int = 32, deep_kernel: int | None = None) -> None:
        super().__init__()
        self.cin, self.cout, self.length = cin, cout, length
        if deep_kernel is None:
            omega = 30.0
            layers: list[nn.Module] = [nn.Linear(1, hidden), Sine(omega), nn.Linear(hidden, hidden), Sine(omega),
                                       nn.Linear(hidden, cin * cout)]
            with torch.no_grad():
                layers[0].weight.uniform_(-1.0, 1.0)
                for lin in (layers[2], layers[4]):
                    bound = math.sqrt(6 / hidden) / omega
                    lin.weight.uniform_(-bound, bound)
                layers[4].weight.mul_(omega)
        else:
            layers = [nn.Linear(1, hidden), nn.ReLU()]
            for _ in range(deep_kernel - 2):
                layers += [nn.Linear(hidden, hidden), nn.ReLU()]
            layers.append(nn.Linear(hidden, cin * cout))
        self.kernel_net = nn.Sequential(*layers)
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[-1]
        pos = torch.linspace(-1.0, 0.0, t)[:, None]
        k = self.kernel_net(pos).T.reshape(self.cout, self.cin, t)
        return F.conv1d(F.pad(x, (t - 1, 0)), k, self.bias)


class CKCNN(nn.Module):
    """CKCNN narrowed: an embedding of 32, two residual blocks ``x + dropout(relu(BN(CKConv(x))))``, read out at the
    last step (causal)."""

    def __init__(self, vocab: int = 32, d: int = 32, length: int = 16, classes: int = 4, blocks: int = 2,
                 deep_kernel: int | None = None, readout_layers: int = 1, bn: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.convs = nn.ModuleList(CKConv(d, d, length, deep_kernel=deep_kernel)
                                   for _ in range(blocks))
        self.norms = nn.ModuleList((nn.BatchNorm1d(d) if bn else nn.Identity()) for _ in range(blocks))
        self.drop = nn.Dropout(0.1)
        hidden: list[nn.Module] = []
        for _ in range(readout_layers - 1):
            hidden += [nn.Linear(d, d), nn.ReLU()]
        self.head = nn.Sequential(*hidden, nn.Linear(d, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x).transpose(1, 2)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = h + self.drop(torch.relu(norm(conv(h))))
        return self.head(h[..., -1])


# ---- builders ----------------------------------------------------------------------------------------------------

def adaptive_span(seed: int, lr: float = 0.07, init_std: float | None = None, no_ln: bool = False,
                  poly_default: bool = False) -> Setup:
    """The Adaptive-Span LM on the Markov text (batch 8 of 32), token cross-entropy plus the span penalty, Adagrad at
    the paper's lr 0.07 with its gradient clipping at 0.03 (its warm-up left out); ``init_std``: every weight drawn
    N(0, std^2); ``poly_default``: a linear decay ``PolynomialLR(opt, power=1.0)``, ``total_iters`` left at its
    default."""
    torch.manual_seed(BASE + seed)
    model = AdaptiveSpanLM(no_ln=no_ln)
    if init_std is not None:
        _normal(model, init_std)
    opt = torch.optim.Adagrad(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.PolynomialLR(opt, power=1.0) if poly_default else None
    batches = text(seed)

    def compute(m: nn.Module, batch: Any) -> torch.Tensor:
        return lm_loss(m(batch[0]), batch[1]) + m.span_loss()
    return Setup(model, opt, sched, batches(0), None, compute, batches, clip=0.03)


def fox(seed: int, lr: float = 2e-3, gate_bias: float = 3.0, weight_decay: float = 0.1) -> Setup:
    """The Forgetting Transformer classifier on the first-token sequences (batch 32 of 16), cross-entropy, AdamW
    (betas 0.9, 0.95, the paper's) at lr 2e-3 and weight decay 0.1; ``gate_bias``: the forget gates' bias (3:
    ``f = 0.95``)."""
    torch.manual_seed(BASE + seed)
    model = FoxClassifier(gate_bias=gate_bias)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    return _xy(model, opt, first_token(seed), F.cross_entropy)


def skip_rnn(seed: int, lr: float = 1e-3, forget_bias: float = 1.0, weight_decay: float = 0.0,
             update_bias: float = 1.0) -> Setup:
    """The Skip-LSTM on the majority sequences (batch 32 of 20), cross-entropy plus the budget loss 1e-4 per update,
    Adam at lr 1e-3 (set here); ``forget_bias``: the LSTM's forget-gate bias (1, the usual); ``weight_decay``: Adam's
    coupled L2."""
    torch.manual_seed(BASE + seed)
    model = SkipLSTM(forget_bias=forget_bias, update_bias=update_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    batches = majority(seed)
    compute = skip_loss(model)
    return Setup(model, opt, None, batches(0), None, compute, batches)


def pointer_generator(seed: int, lr: float = 3e-3, maximize: bool = False) -> Setup:
    """The pointer-generator on the extractive copies (batch 32 of 10 tokens), the final distribution's NLL, Adam at
    lr 3e-3 (set here: See et al.'s Adagrad at 0.15 learned only after 300 steps) with their gradient clipping at 2
    (coverage left out); ``maximize``: Adam's ``maximize=True``."""
    torch.manual_seed(BASE + seed)
    model = PointerGenerator()
    opt = torch.optim.Adam(model.parameters(), lr=lr, maximize=maximize)
    return _xy(model, opt, extracts(seed), pg_loss, clip=2.0)


def qanet(seed: int, lr: float = 1e-3, ln: bool = True) -> Setup:
    """QANet on the span questions (batch 32, contexts of 24), the start and end cross-entropies, Adam (betas 0.8,
    0.999, eps 1e-7, the paper's) at lr 1e-3 (its warm-up left out); ``ln``: the encoder blocks' LayerNorms."""
    torch.manual_seed(BASE + seed)
    model = QANet(ln=ln)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.8, 0.999), eps=1e-7)
    return _xy(model, opt, spans(seed), qa_loss)


def transducer(seed: int, lr: float = 3e-3, range_test: bool = False) -> Setup:
    """The RNN transducer on the synthetic utterances (batch 16 of 16 frames, 4 tokens), the transducer loss, Adam at
    lr 3e-3 (set here) with gradient clipping at 5; ``range_test``: the LR range test's exponential ramp
    ``LambdaLR(opt, lambda s: (10 / 1e-3) ** (s / 50))`` left in the training run."""
    torch.manual_seed(BASE + seed)
    model = Transducer()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (10 / 1e-3) ** (s / 50)) if range_test else None
    return _xy(model, opt, utterances(seed), transducer_loss, clip=5.0, sched=sched)


def leaf(seed: int, lr: float = 1e-3, eps: float = 1e-12, pcen: bool = True, relu_bias: float | None = None,
         shuffled: bool = False) -> Setup:
    """LEAF and its classifier on the keyword waveforms (batch 16 of 0.4 s at 4 kHz), cross-entropy, Adam at lr 1e-3
    (the paper's 1e-4 raised for 200 steps); ``eps``: sPCEN's floor; ``pcen``: the compression; ``relu_bias``: the
    classifier's convolution biases; ``shuffled``: see :func:`keyword_waves`."""
    torch.manual_seed(BASE + seed)
    model = Leaf(eps=eps, pcen=pcen, relu_bias=relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, keyword_waves(seed, shuffled=shuffled), F.cross_entropy)


def ckconv(seed: int, lr: float = 3e-3, deep_kernel: int | None = None, readout_layers: int = 1, bn: bool = True
           ) -> Setup:
    """CKCNN on the first-token sequences (batch 32 of 16), cross-entropy, Adam at lr 3e-3 (set here);
    ``deep_kernel``: see :class:`CKConv`."""
    torch.manual_seed(BASE + seed)
    model = CKCNN(deep_kernel=deep_kernel, readout_layers=readout_layers, bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, first_token(seed), F.cross_entropy)
