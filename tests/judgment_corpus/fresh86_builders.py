"""Builders of the eighty-seventh held-out batch (``fresh86.py``): sequence, language and speech models new to the
corpus at their usual settings, broken variants with one real fault each, and the small data sets they train on.
Written and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(860_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8600 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _normal_(model: nn.Module, std: float) -> None:
    """Every Linear, Conv1d and Embedding weight drawn N(0, std^2)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)


def _lm_ce(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Token cross-entropy over ``(b, t, vocab)`` logits; targets of -100 (padding) are ignored."""
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), target.reshape(-1), ignore_index=-100)


# ---- data ------------------------------------------------------------------------------------------------------------

def text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, ``(inputs (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


PAD = 64  # the padding id of the variable-length texts (the 64 words are 0 .. 63)


def padded_text(seed: int, batch: int = 8, length: int = 32, shortest: int = 16,
                left: bool = False) -> Callable[[int], Any]:
    """Markov texts of 16 to 32 tokens (plus the next token of each), padded to 32 with id 64, their padded targets
    -100: ``(inputs (b, 32), targets (b, 32))``; ``left``: padded on the left (a collate written for generation)
    instead of the right."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        lengths = torch.randint(shortest, length + 1, (batch,), generator=g)
        inp = torch.full((batch, length), PAD)
        tgt = torch.full((batch, length), -100)
        for i in range(batch):
            n = int(lengths[i])
            sl = slice(length - n, length) if left else slice(0, n)
            inp[i, sl], tgt[i, sl] = x[i, :n], x[i, 1:n + 1]
        return inp, tgt
    return _pool(seed, make)


def first_token(seed: int, batch: int = 32, length: int = 12, vocab: int = 32,
                classes: int = 4) -> Callable[[int], Any]:
    """Uniform token sequences of 12 labelled by the class (``token % 4``) of their first token: ``(tokens, class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        return x, x[:, 0] % classes
    return _pool(seed, make)


def majority(seed: int, batch: int = 32, length: int = 20, vocab: int = 32, classes: int = 4,
             shuffled: bool = False) -> Callable[[int], Any]:
    """Token sequences of 20 labelled by their most frequent class (``token % 4``), each sequence drawn with one class
    favoured (half its tokens): ``(tokens, class)``; ``shuffled``: the labels permuted within every batch, apart from
    their sequences."""
    def make(g: torch.Generator, _: int) -> Any:
        fav = torch.randint(0, classes, (batch, 1), generator=g)
        x = torch.randint(0, vocab, (batch, length), generator=g)
        favoured = fav + classes * torch.randint(0, vocab // classes, (batch, length), generator=g)
        x = torch.where(torch.rand(batch, length, generator=g) < 0.4, favoured, x)
        y = F.one_hot(x % classes, classes).sum(1).argmax(1)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def spans(seed: int, batch: int = 32, length: int = 20, shortest: int = 12, vocab: int = 32,
          qlen: int = 3) -> Callable[[int], Any]:
    """Extractive QA: contexts of 12 to 20 tokens (ids 1 .. 31, zero-padded to 20) and a question of 3 tokens that
    occurs once in its context; the answer span is that occurrence: ``((context, question), (start, end))``."""
    def make(g: torch.Generator, _: int) -> Any:
        ctx = torch.zeros(batch, length, dtype=torch.long)
        q = torch.randint(1, vocab, (batch, qlen), generator=g)
        start = torch.zeros(batch, dtype=torch.long)
        for i in range(batch):
            n = int(torch.randint(shortest, length + 1, (1,), generator=g))
            c = torch.randint(1, vocab, (n,), generator=g)
            s = int(torch.randint(0, n - qlen + 1, (1,), generator=g))
            c[s:s + qlen] = q[i]
            ctx[i, :n] = c
            start[i] = s
        return (ctx, q), (start, start + qlen - 1)
    return _pool(seed, make)


def keywords(seed: int, batch: int = 32, bins: int = 40, frames: int = 48, classes: int = 4,
             shuffled: bool = False) -> Callable[[int], Any]:
    """Power spectrograms of keyword utterances of 24 to 48 frames of 40 bins, zero-padded to 48 (the padding's power
    is exactly 0): each keyword a fixed smooth log-power pattern (10 x 4 values stretched over the utterance's length)
    plus N(0, 0.7^2) noise, exponentiated: ``((power (b, 48, 40), lengths (b,)), keyword (b,))``."""
    pats = torch.randn(classes, 1, 10, 4, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        lengths = torch.randint(24, frames + 1, (batch,), generator=g)
        x = torch.zeros(batch, frames, bins)
        for i in range(batch):
            n = int(lengths[i])
            p = F.interpolate(pats[y[i]][None], size=(bins, n), mode="bilinear", align_corners=False)[0, 0].T
            x[i, :n] = (p + 0.7 * torch.randn(n, bins, generator=g)).exp()
        return (x, lengths), y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def phones(seed: int, batch: int = 16, frames: int = 32, bins: int = 16, classes: int = 8,
           reversed_features: bool = False) -> Callable[[int], Any]:
    """Frame-labelled utterances of 32 frames of 16 bins: phones (8) in runs of 3 to 6 frames, each frame its phone's
    fixed template plus N(0, 1) noise: ``(features (b, 32, 16), phones (b, 32))``; ``reversed_features``: the
    features reversed in time, the labels not."""
    templates = 1.5 * torch.randn(classes, bins, generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.empty(batch, frames, dtype=torch.long)
        for i in range(batch):
            t = 0
            while t < frames:
                run = int(torch.randint(3, 7, (1,), generator=g))
                y[i, t:t + run] = int(torch.randint(0, classes, (1,), generator=g))
                t += run
        x = templates[y] + torch.randn(batch, frames, bins, generator=g)
        return (x.flip(1) if reversed_features else x), y
    return _pool(seed, make)


# ---- Bistable recurrent cell (Vecoven et al. 2021) -------------------------------------------------------------------

class NBRC(nn.Module):
    """The neuromodulated bistable recurrent cell: ``a = 1 + tanh(U_a x + W_a h)``, ``c = sigmoid(U_c x + W_c h)``,
    ``h = c h + (1 - c) tanh(U x + a h)`` (``W_a``, ``W_c`` diagonal, the paper's nBRC), 64 units over embeddings of
    32, read out from the last state; ``gate_bias``: the bias of ``c`` (0 at PyTorch's default, the paper's)."""

    def __init__(self, vocab: int = 32, d: int = 32, hidden: int = 64, classes: int = 4,
                 gate_bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.ux = nn.Linear(d, 3 * hidden)
        self.wa = nn.Parameter(torch.empty(hidden).uniform_(-1.0, 1.0))
        self.wc = nn.Parameter(torch.empty(hidden).uniform_(-1.0, 1.0))
        self.head = nn.Linear(hidden, classes)
        self.hidden = hidden
        if gate_bias is not None:
            with torch.no_grad():
                self.ux.bias[hidden:2 * hidden] = gate_bias

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        u = self.ux(self.emb(tokens))
        h = u.new_zeros(tokens.shape[0], self.hidden)
        for t in range(tokens.shape[1]):
            ua, uc, ux = u[:, t].chunk(3, -1)
            a = 1 + torch.tanh(ua + self.wa * h)
            c = torch.sigmoid(uc + self.wc * h)
            h = c * h + (1 - c) * torch.tanh(ux + a * h)
        return self.head(h)


def nbrc(seed: int, lr: float = 3e-3, gate_bias: float | None = None) -> Setup:
    """The nBRC on the first-token sequences (batch 32 of 12), cross-entropy, Adam at lr 3e-3 (the paper's 1e-3 did
    not learn in 200 steps);
    ``gate_bias``: see :class:`NBRC`."""
    torch.manual_seed(860_000 + seed)
    model = NBRC(gate_bias=gate_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), first_token(seed), F.cross_entropy)


# ---- TrellisNet (Bai et al. 2019) ------------------------------------------------------------------------------------

class TrellisNet(nn.Module):
    """TrellisNet: one causal convolution (kernel 2) over ``[input; hidden]`` shared by all 8 levels, the input
    injected at every level, the LSTM-style gated activation carrying a cell, hidden 64 over embeddings of 32, the
    last level's hidden to the vocabulary; weight normalisation on the shared convolution, as the reference code."""

    def __init__(self, vocab: int = 64, d: int = 32, hidden: int = 64, levels: int = 8) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.inj = nn.Conv1d(d, 4 * hidden, 2)
        self.full = nn.utils.parametrizations.weight_norm(nn.Conv1d(hidden, 4 * hidden, 2, bias=False))
        self.out = nn.Linear(hidden, vocab)
        self.hidden, self.levels = hidden, levels

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.emb(tokens).transpose(1, 2)
        inj = self.inj(F.pad(x, (1, 0)))
        b, _, t = inj.shape
        h = inj.new_zeros(b, self.hidden, t)
        c = inj.new_zeros(b, self.hidden, t)
        for _ in range(self.levels):
            z = inj + self.full(F.pad(h, (1, 0)))
            i, f, o, g = z.chunk(4, 1)
            c = torch.sigmoid(f) * F.pad(c, (1, 0))[..., :-1] + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.out(h.transpose(1, 2))


def trellis_net(seed: int, lr: float = 2e-3) -> Setup:
    """TrellisNet on the Markov text (batch 8 of 32), token cross-entropy, Adam at lr 2e-3 (the reference code's
    word-level PTB setting), its gradient clipping at 0.225 kept."""
    torch.manual_seed(860_000 + seed)
    model = TrellisNet()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), text(seed), _lm_ce, clip=0.225)


# ---- ELMo's biLM (Peters et al. 2018) --------------------------------------------------------------------------------

def _spellings(vocab: int = 64, chars: int = 16, width: int = 5) -> torch.Tensor:
    """A fixed spelling of each word: 5 characters of 16 (ids 1 .. 16; 0 pads nothing here)."""
    return torch.randint(1, chars + 1, (vocab, width), generator=_fixed(5))


class ELMo(nn.Module):
    """ELMo's biLM: a character CNN (character embeddings of 8, filters of widths 1, 2, 3 with 16, 16, 32 maps, ReLU
    as the reference code's ``activation``, max over the characters), one highway layer (its carry bias -2), a
    projection to 32; a forward
    and a backward LSTM of 64 with projections to 32 (one layer each, the paper's two narrowed), the word softmax
    shared by both directions. The output is the two directions' logits stacked, ``(2, b, t, vocab)``: the forward's
    at ``t`` predict the next word, the backward's the previous one."""

    def __init__(self, vocab: int = 64, chars: int = 16, d: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.register_buffer("spell", _spellings(vocab, chars))
        self.cemb = nn.Embedding(chars + 1, 8)
        self.convs = nn.ModuleList([nn.Conv1d(8, n, w) for w, n in ((1, 16), (2, 16), (3, 32))])
        self.highway = nn.Linear(64, 128)
        self.proj = nn.Linear(64, d)
        self.fwd = nn.LSTM(d, hidden, batch_first=True, proj_size=d)
        self.bwd = nn.LSTM(d, hidden, batch_first=True, proj_size=d)
        self.softmax = nn.Linear(d, vocab)
        with torch.no_grad():
            self.highway.bias[64:] = -2.0  # the carry gate starts open, as the reference code

    def words(self, tokens: torch.Tensor) -> torch.Tensor:
        b, t = tokens.shape
        c = self.cemb(self.spell[tokens].reshape(b * t, -1)).transpose(1, 2)
        x = torch.cat([F.relu(conv(c)).amax(-1) for conv in self.convs], -1)
        h, gate = self.highway(x).chunk(2, -1)
        gate = torch.sigmoid(gate)
        x = gate * F.relu(h) + (1 - gate) * x
        return self.proj(x).reshape(b, t, -1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.words(tokens)
        f, _ = self.fwd(x)
        r, _ = self.bwd(x.flip(1))
        return torch.stack([self.softmax(f), self.softmax(r.flip(1))])


def _bilm_loss(out: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """The mean of the forward LM's loss (positions 0 .. t-2 predict 1 .. t-1) and the backward's (1 .. t-1 predict
    0 .. t-2)."""
    v = out.shape[-1]
    fwd = F.cross_entropy(out[0, :, :-1].reshape(-1, v), tokens[:, 1:].reshape(-1))
    bwd = F.cross_entropy(out[1, :, 1:].reshape(-1, v), tokens[:, :-1].reshape(-1))
    return (fwd + bwd) / 2


def elmo(seed: int, lr: float = 2e-3, weight_decay: float = 0.0) -> Setup:
    """ELMo's biLM on the Markov text (batch 8 of 33 tokens, each direction predicting 32), the two directions' mean
    token cross-entropy, Adam at lr 2e-3 (set here: the reference code's Adagrad lr 0.2 with its initial accumulator
    1.0 barely moved in 200 steps) with the reference code's gradient clipping at 10; ``weight_decay``: AdamW with
    that decay."""
    torch.manual_seed(860_000 + seed)
    model = ELMo()
    opt = (torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay) if weight_decay
           else torch.optim.Adam(model.parameters(), lr=lr))

    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, 8, 33, 64)
        return x, x
    return _xy(model, opt, _pool(seed, make), _bilm_loss, clip=10.0)


# ---- BiDAF (Seo et al. 2017) -----------------------------------------------------------------------------------------

class BiDAF(nn.Module):
    """BiDAF narrowed: word embeddings of 32 (no character CNN), a two-layer highway network, a shared contextual
    BiLSTM of 32 a direction, the attention flow layer (``S = w^T [h; u; h * u]``, context-to-query and query-to-context
    attention, ``G = [h; u~; h * u~; h * h~]``), a one-layer modelling BiLSTM (the paper's two narrowed), the start
    logits ``w^T [G; M]``, a further BiLSTM over ``M`` for the end logits ``w^T [G; M2]``; padded context positions
    filled with ``-inf`` before the query-to-context and the span softmaxes (the questions, of 3 tokens, have no
    padding)."""

    def __init__(self, vocab: int = 32, d: int = 32, hidden: int = 32) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.hw = nn.ModuleList([nn.Linear(d, 2 * d) for _ in range(2)])
        self.ctx = nn.LSTM(d, hidden, batch_first=True, bidirectional=True)
        h2 = 2 * hidden
        self.att = nn.Linear(3 * h2, 1)
        self.mod = nn.LSTM(4 * h2, hidden, batch_first=True, bidirectional=True)
        self.end = nn.LSTM(h2, hidden, batch_first=True, bidirectional=True)
        self.p1 = nn.Linear(5 * h2, 1)
        self.p2 = nn.Linear(5 * h2, 1)

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.emb(tokens)
        for layer in self.hw:
            h, gate = layer(x).chunk(2, -1)
            gate = torch.sigmoid(gate)
            x = gate * F.relu(h) + (1 - gate) * x
        return self.ctx(x)[0]

    def forward(self, batch: Any) -> torch.Tensor:
        ctx, q = batch
        cmask = ctx != 0
        h, u = self.encode(ctx), self.encode(q)
        t, j = h.shape[1], u.shape[1]
        hh = h[:, :, None].expand(-1, -1, j, -1)
        uu = u[:, None].expand(-1, t, -1, -1)
        s = self.att(torch.cat([hh, uu, hh * uu], -1)).squeeze(-1)
        u_att = torch.softmax(s, -1) @ u
        b = torch.softmax(s.amax(-1).masked_fill(~cmask, float("-inf")), -1)
        h_att = (b[:, None] @ h).expand(-1, t, -1)
        g = torch.cat([h, u_att, h * u_att, h * h_att], -1)
        m = self.mod(g)[0]
        m2 = self.end(m)[0]
        p1 = self.p1(torch.cat([g, m], -1)).squeeze(-1).masked_fill(~cmask, float("-inf"))
        p2 = self.p2(torch.cat([g, m2], -1)).squeeze(-1).masked_fill(~cmask, float("-inf"))
        return torch.stack([p1, p2])


def bidaf(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, smoothing: float = 0.0) -> Setup:
    """BiDAF on the extractive spans (batch 32), the sum of the start's and the end's cross-entropies, Adam at
    AllenNLP's lr 1e-3 with its betas (0.9, 0.9) (the paper's Adadelta lr 0.5 left out); ``weight_decay``: Adam's
    coupled decay; ``smoothing``: the cross-entropies' ``label_smoothing``."""
    torch.manual_seed(860_000 + seed)
    model = BiDAF()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.9), weight_decay=weight_decay)

    def loss(out: torch.Tensor, target: Any) -> torch.Tensor:
        return (F.cross_entropy(out[0], target[0], label_smoothing=smoothing)
                + F.cross_entropy(out[1], target[1], label_smoothing=smoothing))
    return _xy(model, opt, spans(seed), loss)


# ---- Lite Transformer (Wu et al. 2020) -------------------------------------------------------------------------------

class _LSRA(nn.Module):
    """Long-short range attention: half the channels through causal multi-head attention (2 heads, written by hand:
    the padded keys and the future filled with ``-inf``), the other half through a GLU and a causal lightweight
    convolution (kernel 3, 4 heads of softmax-normalised shared weights), concatenated and projected."""

    def __init__(self, d: int, heads: int = 2, conv_heads: int = 4, kernel: int = 3) -> None:
        super().__init__()
        half = d // 2
        self.qkv = nn.Linear(half, 3 * half)
        self.o = nn.Linear(half, half)
        self.glu = nn.Linear(half, 2 * half)
        self.kw = nn.Parameter(torch.randn(conv_heads, kernel) * 0.1)
        self.out = nn.Linear(d, d)
        self.heads, self.conv_heads, self.kernel = heads, conv_heads, kernel

    def forward(self, x: torch.Tensor, blocked: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        a, c = x.chunk(2, -1)
        q, k, v = (z.reshape(b, t, self.heads, -1).transpose(1, 2) for z in self.qkv(a).chunk(3, -1))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        s = s.masked_fill(blocked[:, None], float("-inf"))
        a = self.o((s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1))
        c = F.glu(self.glu(c), -1).transpose(1, 2)
        w = self.kw.softmax(-1).repeat_interleave(c.shape[1] // self.conv_heads, 0)[:, None]
        c = F.conv1d(F.pad(c, (self.kernel - 1, 0)), w, groups=c.shape[1]).transpose(1, 2)
        return self.out(torch.cat([a, c], -1))


class LiteTransformerLM(nn.Module):
    """Lite Transformer narrowed to a causal LM: embeddings of 64 (65 ids, the padding's included) times sqrt(d) plus
    sinusoids, ``layers`` post-LN layers (2) of LSRA and a ReLU feed-forward of 2x (the paper's flattened bottleneck),
    dropout 0.1, the output projection to the 64 words; Xavier-uniform Linears (fairseq's), the embedding at
    PyTorch's default N(0, 1), scaled by sqrt(d) = 8 as the Annotated Transformer's (the first LayerNorm normalises
    it); ``init_std``: every Linear and the embedding drawn N(0, std^2) instead; ``ln``: the LayerNorms (False: left
    out)."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, length: int = 32,
                 init_std: float | None = None, ln: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab + 1, d)
        pos = torch.arange(length)[:, None] / 10_000 ** (torch.arange(0, d, 2) / d)
        self.register_buffer("pos", torch.cat([pos.sin(), pos.cos()], -1))
        self.layers = nn.ModuleList([_LSRA(d) for _ in range(layers)])
        self.ffn = nn.ModuleList([nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Dropout(0.1), nn.Linear(2 * d, d))
                                  for _ in range(layers)])
        self.ln1 = nn.ModuleList([nn.LayerNorm(d) if ln else nn.Identity() for _ in range(layers)])
        self.ln2 = nn.ModuleList([nn.LayerNorm(d) if ln else nn.Identity() for _ in range(layers)])
        self.head = nn.Linear(d, vocab)
        self.drop = nn.Dropout(0.1)
        self.d = d
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        if init_std is not None:
            _normal_(self, init_std)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        t = tokens.shape[1]
        future = torch.ones(t, t, dtype=torch.bool, device=tokens.device).triu(1)
        blocked = future[None] | (tokens == PAD)[:, None, :]
        x = self.drop(self.emb(tokens) * math.sqrt(self.d) + self.pos[:t])
        for attn, ffn, ln1, ln2 in zip(self.layers, self.ffn, self.ln1, self.ln2, strict=True):
            x = ln1(x + self.drop(attn(x, blocked)))
            x = ln2(x + self.drop(ffn(x)))
        return self.head(x)


def _inverse_sqrt(opt: torch.optim.Optimizer, warmup: int) -> Any:
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, math.sqrt(warmup / (s + 1))))


def lite_transformer(seed: int, lr: float = 1e-3, init_std: float | None = None, left: bool = False,
                     layers: int = 2, ln: bool = True) -> Setup:
    """The Lite Transformer LM on padded Markov texts (batch 8 of 16 to 32 tokens), token cross-entropy over the
    real tokens, fairseq's Adam (betas 0.9, 0.98) under the inverse-square-root schedule, peak lr 1e-3 after 20
    warm-up steps; ``init_std``, ``layers``, ``ln``: see :class:`LiteTransformerLM`; ``left``: see
    :func:`padded_text`."""
    torch.manual_seed(860_000 + seed)
    model = LiteTransformerLM(init_std=init_std, layers=layers, ln=ln)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    return _xy(model, opt, padded_text(seed, left=left), _lm_ce, sched=_inverse_sqrt(opt, 20))


# ---- R-Transformer (Wang et al. 2019) --------------------------------------------------------------------------------

class _RBlock(nn.Module):
    """One R-Transformer layer: a LocalRNN (a GRU over each position's window of the 5 latest positions, zero-padded
    at the start), multi-head self-attention (4 heads) and a ReLU feed-forward, each a residual with LayerNorm."""

    def __init__(self, d: int, window: int = 5, ln: bool = True) -> None:
        super().__init__()
        self.rnn = nn.GRU(d, d, batch_first=True)
        self.att = nn.MultiheadAttention(d, 4, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Linear(2 * d, d))
        self.norms = nn.ModuleList([nn.LayerNorm(d) if ln else nn.Identity() for _ in range(3)])
        self.window = window

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        win = F.pad(x, (0, 0, self.window - 1, 0)).unfold(1, self.window, 1)  # (b, t, d, window)
        local = self.rnn(win.permute(0, 1, 3, 2).reshape(b * t, self.window, d))[0][:, -1].reshape(b, t, d)
        x = self.norms[0](x + local)
        x = self.norms[1](x + self.att(x, x, x, need_weights=False)[0])
        return self.norms[2](x + self.ffn(x))


class RTransformer(nn.Module):
    """The R-Transformer narrowed to a classifier: embeddings of 32, two layers, mean pooling, the head."""

    def __init__(self, vocab: int = 32, d: int = 32, layers: int = 2, classes: int = 4, ln: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.Sequential(*[_RBlock(d, ln=ln) for _ in range(layers)])
        self.head = nn.Linear(d, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.emb(tokens)).mean(1))


def r_transformer(seed: int, lr: float = 1e-3, shuffled: bool = False, weight_decay: float = 0.0,
                  adamw: bool = False, ln: bool = True) -> Setup:
    """The R-Transformer on the majority-class sequences (batch 32 of 20), cross-entropy, Adam at lr 1e-3 (set here);
    ``shuffled``: see :func:`majority`; ``adamw``, ``weight_decay``: AdamW with that decay; ``ln``: the LayerNorms
    (False: left out)."""
    torch.manual_seed(860_000 + seed)
    model = RTransformer(ln=ln)
    opt = (torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay) if adamw
           else torch.optim.Adam(model.parameters(), lr=lr))
    return _xy(model, opt, majority(seed, shuffled=shuffled), F.cross_entropy)


# ---- Squeezeformer (Kim et al. 2022) ---------------------------------------------------------------------------------

class _SqueezeBlock(nn.Module):
    """A Squeezeformer block, the MF/CF structure ``MHSA -> FFN -> Conv -> FFN``, each module post-LN with its input
    scaled and shifted (the paper's learnable pre-module scaling in place of pre-LN); Swish feed-forwards of 4x, a
    convolution module of a pointwise GLU, a depthwise conv of 15 (here 7), BatchNorm and Swish; ``ln``: the
    LayerNorms (False: left out)."""

    def __init__(self, d: int, heads: int = 4, ln: bool = True) -> None:
        super().__init__()
        self.att = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ff1 = nn.Sequential(nn.Linear(d, 4 * d), nn.SiLU(), nn.Linear(4 * d, d))
        self.ff2 = nn.Sequential(nn.Linear(d, 4 * d), nn.SiLU(), nn.Linear(4 * d, d))
        self.pw = nn.Conv1d(d, 2 * d, 1)
        self.dw = nn.Conv1d(d, d, 7, padding=3, groups=d)
        self.bn = nn.BatchNorm1d(d)
        self.pw2 = nn.Conv1d(d, d, 1)
        self.scale = nn.Parameter(torch.ones(4, d))
        self.shift = nn.Parameter(torch.zeros(4, d))
        self.norms = nn.ModuleList([nn.LayerNorm(d) if ln else nn.Identity() for _ in range(4)])

    def conv(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = (x * keep[..., None]).transpose(1, 2)
        x = F.silu(self.bn(self.dw(F.glu(self.pw(x), 1))))
        return self.pw2(x).transpose(1, 2)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        s, b = self.scale, self.shift
        z = x * s[0] + b[0]
        x = self.norms[0](x + self.att(z, z, z, key_padding_mask=~keep, need_weights=False)[0])
        x = self.norms[1](x + self.ff1(x * s[1] + b[1]))
        x = self.norms[2](x + self.conv(x * s[2] + b[2], keep))
        return self.norms[3](x + self.ff2(x * s[3] + b[3]))


class Squeezeformer(nn.Module):
    """Squeezeformer narrowed: log power features (``log(power + 1e-6)`` times the frame mask, ``floor=False``:
    ``log(power)`` times the mask), a two-conv (3x3, stride 2, 32 maps) subsampling by 4 to 12 frames of 64, four
    blocks with the Temporal U-Net (a stride-2 depthwise-conv reduction after block 1, blocks 2 and 3 at half the
    rate, a repeat-interleave recovery plus the skip before block 4), a masked mean pooling and the head."""

    def __init__(self, bins: int = 40, d: int = 64, classes: int = 4, floor: bool = True, ln: bool = True) -> None:
        super().__init__()
        self.sub = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), nn.SiLU(), nn.Conv2d(32, 32, 3, 2, 1), nn.SiLU())
        self.inp = nn.Linear(32 * (bins // 4), d)
        self.blocks = nn.ModuleList([_SqueezeBlock(d, ln=ln) for _ in range(4)])
        self.reduce = nn.Conv1d(d, d, 3, 2, 1, groups=d)
        self.head = nn.Linear(d, classes)
        self.floor = floor

    def forward(self, batch: Any) -> torch.Tensor:
        power, lengths = batch
        frames = torch.arange(power.shape[1])[None] < lengths[:, None]
        feats = torch.log(power + 1e-6) if self.floor else torch.log(power)
        x = self.sub((feats * frames[..., None])[:, None])
        b, c, t, f = x.shape
        x = self.inp(x.permute(0, 2, 1, 3).reshape(b, t, c * f))
        keep = torch.arange(t)[None] < ((lengths + 3) // 4)[:, None]
        x = self.blocks[0](x, keep)
        skip = x
        half = keep[:, ::2]
        y = self.reduce(x.transpose(1, 2)).transpose(1, 2)
        y = self.blocks[2](self.blocks[1](y, half), half)
        x = self.blocks[3](skip + y.repeat_interleave(2, 1)[:, :t], keep)
        w = keep.float()[..., None]
        return self.head((x * w).sum(1) / w.sum(1))


def squeezeformer(seed: int, lr: float = 1e-3, floor: bool = True, ln: bool = True, shuffled: bool = False) -> Setup:
    """Squeezeformer on the keyword power spectrograms (batch 32), cross-entropy, Adam at lr 1e-3 with betas (0.9,
    0.98) (the paper's peak 2e-3 halved, its warm-up and decay left out); ``floor``, ``ln``: see
    :class:`Squeezeformer`; ``shuffled``: see :func:`keywords`."""
    torch.manual_seed(860_000 + seed)
    model = Squeezeformer(floor=floor, ln=ln)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    return _xy(model, opt, keywords(seed, shuffled=shuffled), F.cross_entropy)


# ---- DFSMN (Zhang et al. 2018) ---------------------------------------------------------------------------------------

class _FSMNComponent(nn.Module):
    """One DFSMN component: a ReLU hidden layer of 128, a linear projection to 32, the vectorised memory block
    ``m_t = p_t + sum_i a_i * p_{t-i} + sum_j c_j * p_{t+j}`` (5 past taps, 2 future ones, as depthwise
    convolutions) and the skip connection ``m^l + m^{l-1}`` from the previous component's memory."""

    def __init__(self, d: int = 32, hidden: int = 128, past: int = 5, future: int = 2, skip: bool = True,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.hidden = nn.Linear(d, hidden)
        self.proj = nn.Linear(hidden, d, bias=False)
        self.mem = nn.Conv1d(d, d, past + future + 1, groups=d, bias=False)
        self.past, self.future, self.skip = past, future, skip
        if relu_bias is not None:
            with torch.no_grad():
                self.hidden.bias.fill_(relu_bias)

    def forward(self, m: torch.Tensor) -> torch.Tensor:
        p = self.proj(F.relu(self.hidden(m)))
        mem = self.mem(F.pad(p.transpose(1, 2), (self.past, self.future))).transpose(1, 2)
        out = p + mem
        return out + m if self.skip else out


class DFSMN(nn.Module):
    """DFSMN narrowed to a frame classifier: a ReLU input layer of 128 and a projection to 32, ``components`` DFSMN
    components (4; the paper's 10 narrowed), a ReLU output layer of 128 and the per-frame softmax; PyTorch's default
    init; ``skip``, ``relu_bias``: see :class:`_FSMNComponent` (the bias also of the input and output layers)."""

    def __init__(self, bins: int = 16, d: int = 32, classes: int = 8, components: int = 4, skip: bool = True,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.inp = nn.Linear(bins, 128)
        self.inp_proj = nn.Linear(128, d)
        self.comps = nn.ModuleList([_FSMNComponent(d, skip=skip, relu_bias=relu_bias) for _ in range(components)])
        self.out = nn.Linear(d, 128)
        self.head = nn.Linear(128, classes)
        if relu_bias is not None:
            with torch.no_grad():
                self.inp.bias.fill_(relu_bias)
                self.out.bias.fill_(relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.inp_proj(F.relu(self.inp(x)))
        for comp in self.comps:
            m = comp(m)
        return self.head(F.relu(self.out(m)))


def dfsmn(seed: int, lr: float = 1e-3, components: int = 4, skip: bool = True, relu_bias: float | None = None,
          reversed_features: bool = False) -> Setup:
    """DFSMN on the phone-labelled frames (batch 16 of 32 frames), per-frame cross-entropy, Adam at lr 1e-3 (set
    here; the paper's is SGD under Kaldi's schedule); ``components``, ``skip``, ``relu_bias``: see :class:`DFSMN`;
    ``reversed_features``: see :func:`phones`."""
    torch.manual_seed(860_000 + seed)
    model = DFSMN(components=components, skip=skip, relu_bias=relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, phones(seed, reversed_features=reversed_features), _lm_ce)
