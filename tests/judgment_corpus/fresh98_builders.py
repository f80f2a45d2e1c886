"""Builders of the ninety-ninth held-out batch (``fresh98.py``): sequence, language and speech models new to the corpus
at their usual settings, broken variants with one real fault each, and the small data sets they train on. Written and
labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, lm_loss, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(980_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9800 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _normal_(model: nn.Module, std: float) -> None:
    """Every Linear and Embedding weight drawn N(0, std^2)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)


def _inverse_sqrt(opt: torch.optim.Optimizer, warmup: int) -> Any:
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, math.sqrt(warmup / (s + 1))))


def _causal(n: int) -> torch.Tensor:
    """True above the diagonal: the future keys a causal query may not see."""
    return torch.ones(n, n, dtype=torch.bool).triu(1)


class _Attention(nn.Module):
    """Multi-head self-attention with an optional additive bias ``(heads, n, n)`` and a boolean mask (True: blocked)."""

    def __init__(self, d: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.heads, self.qkv, self.out, self.drop = heads, nn.Linear(d, 3 * d), nn.Linear(d, d), nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, bias: torch.Tensor | None = None
                ) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        s = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        if bias is not None:
            s = s + bias
        if mask is not None:
            s = s.masked_fill(mask, float("-inf"))
        return self.out((self.drop(s.softmax(-1)) @ v).transpose(1, 2).reshape(b, n, d))


class _PreLNBlock(nn.Module):
    """A pre-LN Transformer block: ``x + attn(LN(x))``, ``x + FFN(LN(x))``."""

    def __init__(self, d: int, heads: int, ff: int, dropout: float = 0.1, act: Callable = F.gelu, ln: bool = True
                 ) -> None:
        super().__init__()
        self.ln1, self.ln2 = (nn.LayerNorm(d), nn.LayerNorm(d)) if ln else (nn.Identity(), nn.Identity())
        self.attn = _Attention(d, heads, dropout)
        self.fc1, self.fc2, self.act, self.drop = nn.Linear(d, ff), nn.Linear(ff, d), act, nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, bias: torch.Tensor | None = None
                ) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln1(x), mask, bias))
        return x + self.drop(self.fc2(self.drop(self.act(self.fc1(self.ln2(x))))))


# ---- data ------------------------------------------------------------------------------------------------------------

def text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, ``(inputs (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def byte_text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The Markov language as one stream of 32 "bytes" the model predicts itself (it shifts them internally):
    ``(tokens (b, 32), tokens)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, 64)
        return x, x
    return _pool(seed, make)


def spellings(vocab: int = 64, letters: int = 26, longest: int = 6) -> torch.Tensor:
    """A fixed spelling of each of the 64 words: 3 to 6 letters (ids 3 .. 28) between a begin-of-word (1) and an
    end-of-word (2) character, zero-padded to 8: ``(64, 8)`` character ids."""
    g = _fixed(1)
    table = torch.zeros(vocab, longest + 2, dtype=torch.long)
    for w in range(vocab):
        n = int(torch.randint(3, longest + 1, (1,), generator=g))
        table[w, 0], table[w, n + 1] = 1, 2
        table[w, 1:n + 1] = 3 + torch.randint(0, letters, (n,), generator=g)
    return table


def spelled_text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The Markov language with each input word given by its spelling: ``(characters (b, 32, 8), next words (b,
    32))``."""
    table = spellings()

    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return table[x[:, :-1]], x[:, 1:]
    return _pool(seed, make)


def sentence_pairs(seed: int, batch: int = 32, length: int = 10, vocab: int = 40,
                   shuffled: bool = False) -> Callable[[int], Any]:
    """Pairs of token sentences of 10: a paraphrase (label 1, half the pairs) is the first sentence reordered with two
    of its tokens replaced; an unrelated pair (label 0) is two independent sentences: ``((a, b), label)``;
    ``shuffled``: the labels permuted within every batch, apart from their pairs."""
    def make(g: torch.Generator, _: int) -> Any:
        a = torch.randint(0, vocab, (batch, length), generator=g)
        y = (torch.rand(batch, generator=g) < 0.5).long()
        para = torch.stack([a[i, torch.randperm(length, generator=g)] for i in range(batch)])
        swap = torch.rand(batch, length, generator=g).argsort(1)[:, :2]
        para.scatter_(1, swap, torch.randint(0, vocab, (batch, 2), generator=g))
        b = torch.where(y[:, None] == 1, para, torch.randint(0, vocab, (batch, length), generator=g))
        return (a, b), y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def clips(seed: int, batch: int = 32, samples: int = 1600, classes: int = 5, rate: int = 16000
          ) -> Callable[[int], Any]:
    """Raw 16 kHz clips of 0.1 s (1,600 samples): class 0 is ``_silence_`` (digital silence, all zeros, as the Speech
    Commands data's silence clips cut from a muted channel), classes 1 to 4 keywords, each a fixed sequence of three
    tones (a third of the clip each) of random amplitude 0.3 to 1 and phase, plus N(0, 0.1^2) noise:
    ``(waveforms (b, 1600), class)``."""
    freqs = 300.0 + 2700.0 * torch.rand(classes, 3, generator=_fixed(2))
    t = torch.arange(samples).float() / rate
    third = torch.arange(samples) * 3 // samples

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        amp = 0.3 + 0.7 * torch.rand(batch, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, generator=g)
        f = freqs[y][:, third]
        x = amp * torch.sin(2 * math.pi * f * t + ph) + 0.1 * torch.randn(batch, samples, generator=g)
        return torch.where((y == 0)[:, None], torch.zeros_like(x), x), y
    return _pool(seed, make)


def speakers(seed: int, batch: int = 32, bins: int = 40, frames: int = 48, classes: int = 8) -> Callable[[int], Any]:
    """Log-mel-like utterances of 48 frames of 40 bins: each of 8 speakers a fixed smooth spectral envelope (scale
    0.6), each utterance a random smooth "phonetic" time-frequency field plus N(0, 0.5^2) noise: ``(features (b, 40,
    48), speaker)``."""
    env = 0.6 * F.interpolate(torch.randn(classes, 1, 8, generator=_fixed(3)), size=bins, mode="linear",
                              align_corners=False)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        content = F.interpolate(torch.randn(batch, 1, 8, 12, generator=g), size=(bins, frames), mode="bilinear",
                                align_corners=False)[:, 0]
        return env[y][..., None] + content + 0.5 * torch.randn(batch, bins, frames, generator=g), y
    return _pool(seed, make)


def early_cue(seed: int, batch: int = 32, frames: int = 32, bins: int = 20, classes: int = 4, cue: int = 4
              ) -> Callable[[int], Any]:
    """Frame sequences of 32 frames of 20 features, N(0, 1) noise, whose first 4 frames hold the class's fixed
    pattern (scale 1.5): the class must be carried over 28 frames to the read-out at the last: ``(frames (b, 32,
    20), class)``."""
    pats = 1.5 * torch.randn(classes, cue, bins, generator=_fixed(4))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = torch.randn(batch, frames, bins, generator=g)
        x[:, :cue] += pats[y]
        return x, y
    return _pool(seed, make)


# ---- ALiBi LM (Press, Smith and Lewis 2022) ----------------------------------------------------------------------

class AlibiLM(nn.Module):
    """A causal LM with attention with linear biases (no position embeddings: each head ``h`` adds ``-m_h (i - j)`` to
    its scores, ``m_h = 2^(-8 h / H)``), fairseq's ``transformer_lm`` narrowed: embeddings N(0, d^-1/2) times
    ``sqrt(d)``, pre-LN blocks with ReLU feed-forwards of 4x, dropout 0.1, a final LayerNorm, the output tied to the
    embedding. ``out_scale``: the slip, the tied output projection given a multiplier of its own,
    ``F.linear(h, emb.weight) * out_scale`` (the case uses ``d_model``, 64; 0: none); ``ln``: the LayerNorms (False:
    removed; unused, it learned)."""

    def __init__(self, vocab: int = 64, d: int = 64, heads: int = 4, layers: int = 2, length: int = 32,
                 out_scale: float = 0.0, ln: bool = True) -> None:
        super().__init__()
        self.emb, self.embed_scale, self.out_scale = nn.Embedding(vocab, d), math.sqrt(d), out_scale
        nn.init.normal_(self.emb.weight, 0.0, d ** -0.5)
        self.blocks = nn.ModuleList([_PreLNBlock(d, heads, 4 * d, 0.1, F.relu, ln) for _ in range(layers)])
        for blk in self.blocks:
            for m in blk.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)
                    nn.init.zeros_(m.bias)
        self.ln, self.drop = nn.LayerNorm(d) if ln else nn.Identity(), nn.Dropout(0.1)
        slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / heads) for h in range(heads)])
        i = torch.arange(length)
        self.register_buffer("alibi", -slopes[:, None, None] * (i[:, None] - i[None]).clamp(min=0).float())
        self.register_buffer("mask", _causal(length))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        h = self.drop(self.emb(x) * self.embed_scale)
        for blk in self.blocks:
            h = blk(h, self.mask[:n, :n], self.alibi[:, :n, :n])
        out = F.linear(self.ln(h), self.emb.weight)
        return out * self.out_scale if self.out_scale else out


def alibi(seed: int, lr: float = 1e-3, out_scale: float = 0.0, ln: bool = True) -> Setup:
    """The ALiBi LM on the Markov text (batch 8 of 32), token cross-entropy, fairseq's Adam (betas 0.9, 0.98) with the
    inverse-square-root schedule at peak lr 1e-3 after 20 warm-up steps (shortened for 200 steps); ``out_scale``:
    ``ln``: see :class:`AlibiLM`."""
    torch.manual_seed(980_000 + seed)
    model = AlibiLM(out_scale=out_scale, ln=ln)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    return _xy(model, opt, text(seed), lm_loss, sched=_inverse_sqrt(opt, 20))


# ---- MEGABYTE (Yu et al. 2023) -------------------------------------------------------------------------------------

class Megabyte(nn.Module):
    """MEGABYTE narrowed: 32 "bytes" in 8 patches of 4; the global model embeds each byte (16) plus its position,
    concatenates a patch's four into a vector of 64, shifts the patches by one (a padding patch first) and runs two
    causal pre-LN blocks over them; the local model projects each patch's global output per byte (16 -> 32), adds the
    local embedding of the previous byte in the patch (a padding byte first) and runs one causal block within the
    patch; a head over the 64 bytes. GPT-2's N(0, 0.02^2) init of every Linear and Embedding. ``init_std``: every
    Linear and Embedding drawn N(0, init_std^2) instead; ``randn_positions``: a slip tried and dropped (it learned),
    the global position table written ``nn.Parameter(torch.randn(32, 16))``, which the model's init loop does not
    reach (N(0, 1): 50 times the byte embeddings' scale); ``ln``: the LayerNorms (False: every one removed)."""

    def __init__(self, vocab: int = 64, length: int = 32, patch: int = 4, d_global: int = 64, d_local: int = 32,
                 init_std: float | None = None, randn_positions: bool = False, ln: bool = True) -> None:
        super().__init__()
        self.patch, dg = patch, d_global // patch
        self.g_emb = nn.Embedding(vocab + 1, dg)  # id ``vocab``: the padding byte
        self.randn_positions = randn_positions
        if randn_positions:
            self.g_pos_table = nn.Parameter(torch.randn(length, dg))
        else:
            self.g_pos = nn.Embedding(length, dg)
        self.g_blocks = nn.ModuleList([_PreLNBlock(d_global, 4, 4 * d_global, 0.1, ln=ln) for _ in range(2)])
        self.g_ln = nn.LayerNorm(d_global) if ln else nn.Identity()
        self.g2l = nn.Linear(dg, d_local)
        self.l_emb = nn.Embedding(vocab + 1, d_local)
        self.l_blocks = nn.ModuleList([_PreLNBlock(d_local, 2, 4 * d_local, 0.1, ln=ln)])
        self.l_ln, self.head = nn.LayerNorm(d_local) if ln else nn.Identity(), nn.Linear(d_local, vocab)
        self.vocab = vocab
        _normal_(self, 0.02 if init_std is None else init_std)
        self.register_buffer("g_mask", _causal(length // patch))
        self.register_buffer("l_mask", _causal(patch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape
        k, p = t // self.patch, self.patch
        pos = self.g_pos_table[:t] if self.randn_positions else self.g_pos.weight[:t]
        pad = torch.full((b, p), self.vocab, dtype=x.dtype)
        shifted = torch.cat([pad, x[:, :-p]], 1)  # the global model sees the patches before each one
        h = (self.g_emb(shifted) + pos).reshape(b, k, -1)
        for blk in self.g_blocks:
            h = blk(h, self.g_mask[:k, :k])
        h = self.g2l(self.g_ln(h).reshape(b, k, p, -1))
        prev = torch.cat([torch.full((b, k, 1), self.vocab, dtype=x.dtype), x.view(b, k, p)[..., :-1]], -1)
        h = (h + self.l_emb(prev)).reshape(b * k, p, -1)
        for blk in self.l_blocks:
            h = blk(h, self.l_mask)
        return self.head(self.l_ln(h)).reshape(b, t, -1)


def megabyte(seed: int, lr: float = 1e-3, init_std: float | None = None, randn_positions: bool = False,
             weight_decay: float = 0.1, ln: bool = True) -> Setup:
    """MEGABYTE on the Markov byte stream (batch 8 of 32), byte cross-entropy, AdamW (betas 0.9, 0.95, weight decay
    0.1) at lr 1e-3 (set here; the paper's 2e-4 is for far longer runs); ``init_std``, ``randn_positions``: see
    :class:`Megabyte`; ``weight_decay``: AdamW's; ``ln``: see :class:`Megabyte`."""
    torch.manual_seed(980_000 + seed)
    model = Megabyte(init_std=init_std, randn_positions=randn_positions, ln=ln)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    return _xy(model, opt, byte_text(seed), lm_loss)


# ---- the character-aware LM (Kim, Jernite, Sontag and Rush 2016) -------------------------------------------------

class _Highway(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.t, self.h = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.sigmoid(self.t(x))
        return t * F.relu(self.h(x)) + (1 - t) * x


class CharAwareLM(nn.Module):
    """The character-aware LM's small model narrowed: character embeddings of 15, convolutions of widths 1 to 4 with
    ``16 w`` filters each (160), tanh and max over the word's characters, one highway layer (its gate bias -2), a
    two-layer LSTM of 64 with dropout 0.5 between layers and before the softmax over the 64 words; every parameter
    U(-0.05, 0.05) as the paper. ``plain_layers``: that many plain Linear-ReLU layers of 160 at PyTorch's default
    init in place of the highway layer."""

    def __init__(self, chars: int = 29, vocab: int = 64, plain_layers: int = 0) -> None:
        super().__init__()
        self.cemb = nn.Embedding(chars, 15)
        self.convs = nn.ModuleList([nn.Conv1d(15, 16 * w, w) for w in range(1, 5)])
        d = 160
        self.highway = _Highway(d)
        self.lstm = nn.LSTM(d, 64, num_layers=2, dropout=0.5, batch_first=True)
        self.drop, self.out = nn.Dropout(0.5), nn.Linear(64, vocab)
        for p in self.parameters():
            nn.init.uniform_(p, -0.05, 0.05)
        nn.init.constant_(self.highway.t.bias, -2.0)
        self.plain = nn.Sequential(*[m for _ in range(plain_layers) for m in (nn.Linear(d, d), nn.ReLU())])

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        b, t, n = c.shape
        e = self.cemb(c.view(b * t, n)).transpose(1, 2)
        w = torch.cat([torch.tanh(conv(e)).amax(-1) for conv in self.convs], 1)
        w = self.plain(w) if len(self.plain) else self.highway(w)
        h, _ = self.lstm(w.view(b, t, -1))
        return self.out(self.drop(h))


def summed_lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The reference code's LM loss: each step's cross-entropy averaged over the batch, summed over the 32 steps."""
    return lm_loss(logits, targets) * targets.shape[1]


def char_aware_lm(seed: int, lr: float = 3e-3, plain_layers: int = 0) -> Setup:
    """The character-aware LM on the spelled Markov text (batch 8 of 32 words), the word cross-entropy summed over
    the steps (:func:`summed_lm_loss`), the paper's gradient-norm clip at 5, Adam at lr 3e-3 (set here: the paper's
    SGD at lr 1 did not learn in 200 steps); ``plain_layers``: see :class:`CharAwareLM`."""
    torch.manual_seed(980_000 + seed)
    model = CharAwareLM(plain_layers=plain_layers)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), spelled_text(seed), summed_lm_loss, clip=5.0)


# ---- PaLM (Chowdhery et al. 2022) ---------------------------------------------------------------------------------

def _rope(x: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding over the last axis of ``(b, heads, n, dh)``."""
    n, dh = x.shape[-2], x.shape[-1]
    inv = 10000.0 ** (-torch.arange(0, dh, 2).float() / dh)
    ang = torch.arange(n).float()[:, None] * inv
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1).flatten(-2)


class _PaLMBlock(nn.Module):
    """PaLM's parallel block: ``x + attn(LN(x)) + SwiGLU(LN(x))`` with one LayerNorm, multi-query attention (one
    key-value head) with RoPE, no biases."""

    def __init__(self, d: int, heads: int, ln: bool = True) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.ln = nn.LayerNorm(d, bias=False) if ln else nn.Identity()
        self.q, self.kv, self.o = nn.Linear(d, d, bias=False), nn.Linear(d, 2 * self.dh, bias=False), nn.Linear(
            d, d, bias=False)
        self.wi, self.wo = nn.Linear(d, 2 * 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        h = self.ln(x)
        q = _rope(self.q(h).view(b, n, self.heads, self.dh).transpose(1, 2))
        k, v = self.kv(h).split(self.dh, -1)
        k = _rope(k[:, None])
        s = (q @ k.transpose(-1, -2) / math.sqrt(self.dh)).masked_fill(mask, float("-inf"))
        a = self.o((s.softmax(-1) @ v[:, None]).transpose(1, 2).reshape(b, n, d))
        u, g = self.wi(h).chunk(2, -1)
        return x + a + self.wo(F.silu(g) * u)


class PaLM(nn.Module):
    """PaLM narrowed to a causal LM of 64 wide, two parallel blocks of 4 heads, a final LayerNorm, the input and
    output embeddings shared and drawn N(0, 1) (the paper's), the pre-softmax logits scaled by ``1/sqrt(d)``, Linears
    N(0, 1/fan_in) as the paper; no dropout. ``logit_exponent``: the exponent of ``d`` in the logits' scale (the
    slip: 1, the scale written ``d`` where ``d ** -0.5`` belongs; +0.5, the sign flipped, was tried and dropped);
    ``ln``: the LayerNorms (False: removed; unused, it learned)."""

    def __init__(self, vocab: int = 64, d: int = 64, heads: int = 4, layers: int = 2, length: int = 32,
                 logit_exponent: float = -0.5, ln: bool = True) -> None:
        super().__init__()
        self.emb, self.scale = nn.Embedding(vocab, d), d ** logit_exponent
        self.blocks = nn.ModuleList([_PaLMBlock(d, heads, ln) for _ in range(layers)])
        self.ln = nn.LayerNorm(d, bias=False) if ln else nn.Identity()
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, m.in_features ** -0.5)
        nn.init.normal_(self.emb.weight, 0.0, 1.0)
        self.register_buffer("mask", _causal(length))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        h = self.emb(x)
        for blk in self.blocks:
            h = blk(h, self.mask[:n, :n])
        return F.linear(self.ln(h), self.emb.weight) * self.scale


def palm(seed: int, lr: float = 1e-3, logit_exponent: float = -0.5, weight_decay: float = 0.0,
         adamw: bool = False, ln: bool = True, d: int = 64) -> Setup:
    """PaLM on the Markov text (batch 8 of 32), token cross-entropy, Adam (betas 0.9, 0.99) at lr 1e-3 (Adafactor's
    parameter scaling and the paper's 1e-2 warm-up left out; set here); ``logit_exponent``, ``ln``: see
    :class:`PaLM`; ``d``: its width; ``weight_decay``, ``adamw``: AdamW with that decay instead (unused)."""
    torch.manual_seed(980_000 + seed)
    model = PaLM(d=d, logit_exponent=logit_exponent, ln=ln)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=weight_decay)
    return _xy(model, opt, text(seed), lm_loss)


# ---- RE2 (Yang et al. 2019) ---------------------------------------------------------------------------------------

class _RE2Block(nn.Module):
    def __init__(self, d_in: int, d: int) -> None:
        super().__init__()
        self.enc = nn.ModuleList([nn.Conv1d(d_in, d, 3, padding=1), nn.Conv1d(d, d, 3, padding=1)])
        self.proj = nn.Linear(d_in + d, d)
        self.temp = nn.Parameter(torch.tensor(1 / math.sqrt(d)))
        self.f1, self.f2, self.f3 = (nn.Linear(2 * (d_in + d), d) for _ in range(3))
        self.fuse, self.drop = nn.Linear(3 * d, d), nn.Dropout(0.2)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)
        for conv in self.enc:
            h = F.gelu(conv(self.drop(h)))
        return torch.cat([x, h.transpose(1, 2)], -1)

    def fusion(self, x: torch.Tensor, al: torch.Tensor) -> torch.Tensor:
        z = torch.cat([F.gelu(self.f1(torch.cat([x, al], -1))), F.gelu(self.f2(torch.cat([x, x - al], -1))),
                       F.gelu(self.f3(torch.cat([x, x * al], -1)))], -1)
        return F.gelu(self.fuse(self.drop(z)))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.encode(a), self.encode(b)
        e = F.gelu(self.proj(self.drop(a))) @ F.gelu(self.proj(self.drop(b))).transpose(1, 2) * self.temp
        return self.fusion(a, e.softmax(2) @ b), self.fusion(b, e.softmax(1).transpose(1, 2) @ a)


class RE2(nn.Module):
    """RE2 narrowed: embeddings of 32, two blocks (each two GeLU convolutions of kernel 3, the alignment of the
    projected features with a learned temperature from ``1/sqrt(d)``, the full fusion), the augmented residual
    ``[embedding; previous block's output]`` into the second block, max pooling, the symmetric prediction ``H([v1;
    v2; |v1 - v2|; v1 v2])`` by a GeLU MLP of 64, dropout 0.2. ``plain_layers``: that many plain Linear-ReLU layers of
    64 at PyTorch's default init appended to the prediction MLP's hidden layer."""

    def __init__(self, vocab: int = 40, d: int = 32, classes: int = 2, plain_layers: int = 0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        nn.init.normal_(self.emb.weight, 0.0, 0.1)
        self.blocks = nn.ModuleList([_RE2Block(d, d), _RE2Block(2 * d, d)])
        self.pred = nn.Sequential(nn.Dropout(0.2), nn.Linear(4 * d, 64), nn.GELU(),
                                  *[m for _ in range(plain_layers) for m in (nn.Linear(64, 64), nn.ReLU())],
                                  nn.Dropout(0.2), nn.Linear(64, classes))

    def forward(self, pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        ea, eb = self.emb(pair[0]), self.emb(pair[1])
        a, b = self.blocks[0](ea, eb)
        a, b = self.blocks[1](torch.cat([ea, a], -1), torch.cat([eb, b], -1))
        v1, v2 = a.amax(1), b.amax(1)
        return self.pred(torch.cat([v1, v2, (v1 - v2).abs(), v1 * v2], -1))


def re2(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, plain_layers: int = 0, shuffled: bool = False
        ) -> Setup:
    """RE2 on the sentence pairs (batch 32), cross-entropy, Adam at lr 1e-3 as the reference code; ``weight_decay``:
    Adam's coupled L2 term; ``plain_layers``: see :class:`RE2`; ``shuffled``: see :func:`sentence_pairs`."""
    torch.manual_seed(980_000 + seed)
    model = RE2(plain_layers=plain_layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sentence_pairs(seed, shuffled=shuffled), F.cross_entropy)


# ---- wav2vec 2.0 (Baevski et al. 2020) -----------------------------------------------------------------------------

class _PostLNLayer(nn.Module):
    def __init__(self, d: int, heads: int, ff: int, ln: bool = True) -> None:
        super().__init__()
        self.attn, self.drop = _Attention(d, heads, 0.1), nn.Dropout(0.1)
        self.fc1, self.fc2 = nn.Linear(d, ff), nn.Linear(ff, d)
        self.ln1, self.ln2 = (nn.LayerNorm(d), nn.LayerNorm(d)) if ln else (nn.Identity(), nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.ln1(x + self.drop(self.attn(x)))
        return self.ln2(x + self.drop(self.fc2(self.drop(F.gelu(self.fc1(x))))))


class Wav2Vec2(nn.Module):
    """wav2vec 2.0's BASE layout narrowed, as a keyword classifier trained from scratch: the waveform standardised
    per clip (``(x - mean) / sqrt(var + 1e-7)``, the feature extractor's ``do_normalize``), a convolutional feature
    encoder of five layers of 32 channels (kernels 10, 3, 3, 3, 2, strides 5, 2, 2, 2, 2: 80 samples a frame, 20
    frames), GroupNorm over each channel after the first and GELU, the feature projection (LayerNorm, Linear to 64,
    dropout 0.1), the weight-normed convolutional position embedding (kernel 16, 4 groups, GELU) added before a
    LayerNorm, two post-LN Transformer layers of 4 heads (GELU feed-forwards of 128, dropout 0.1), mean pooling, a
    Linear to the 5 classes; BERT's N(0, 0.02^2) Linears, Kaiming-normal convolutions. ``eps``: the
    standardisation's eps; ``norm``: the GroupNorm and LayerNorms (False: removed; unused, it learned)."""

    def __init__(self, classes: int = 5, c: int = 32, d: int = 64, eps: float = 1e-7, norm: bool = True) -> None:
        super().__init__()
        self.eps = eps
        ks, ss = (10, 3, 3, 3, 2), (5, 2, 2, 2, 2)
        self.convs = nn.ModuleList([nn.Conv1d(1 if i == 0 else c, c, k, s, bias=False)
                                    for i, (k, s) in enumerate(zip(ks, ss))])
        self.gn = nn.GroupNorm(c, c) if norm else nn.Identity()
        self.fp_ln, self.fp = nn.LayerNorm(c) if norm else nn.Identity(), nn.Linear(c, d)
        self.pos = nn.utils.parametrizations.weight_norm(nn.Conv1d(d, d, 16, padding=8, groups=4), dim=2)
        self.ln = nn.LayerNorm(d) if norm else nn.Identity()
        self.layers = nn.ModuleList([_PostLNLayer(d, 4, 2 * d, norm) for _ in range(2)])
        self.drop, self.head = nn.Dropout(0.1), nn.Linear(d, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.02)
                nn.init.zeros_(m.bias)
        for conv in self.convs:
            nn.init.kaiming_normal_(conv.weight)

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        mu, var = wav.mean(1, keepdim=True), wav.var(1, keepdim=True, unbiased=False)
        h = ((wav - mu) / torch.sqrt(var + self.eps))[:, None]
        for i, conv in enumerate(self.convs):
            h = conv(h)
            h = F.gelu(self.gn(h) if i == 0 else h)
        h = self.drop(self.fp(self.fp_ln(h.transpose(1, 2))))
        p = F.gelu(self.pos(h.transpose(1, 2))[..., :-1]).transpose(1, 2)
        h = self.drop(self.ln(h + p))
        for layer in self.layers:
            h = layer(h)
        return self.head(h.mean(1))


def wav2vec2(seed: int, lr: float = 5e-4, eps: float = 1e-7, norm: bool = True) -> Setup:
    """wav2vec 2.0 on the keyword clips (batch 32), cross-entropy, AdamW (betas 0.9, 0.98, weight decay 0.01, the
    paper's pre-training settings) at its peak lr 5e-4 (the warm-up left out); ``eps``, ``norm``: see
    :class:`Wav2Vec2`."""
    torch.manual_seed(980_000 + seed)
    model = Wav2Vec2(eps=eps, norm=norm)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    return _xy(model, opt, clips(seed), F.cross_entropy)


# ---- TitaNet (Koluguri, Park and Ginsburg 2022) --------------------------------------------------------------------

def _bn(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm1d(c) if bn else nn.Identity()


class _SubBlock(nn.Module):
    """Depthwise conv, pointwise conv, BatchNorm (then ReLU and dropout outside)."""

    def __init__(self, c: int, k: int, bn: bool) -> None:
        super().__init__()
        self.dw, self.pw, self.bn = nn.Conv1d(c, c, k, padding=k // 2, groups=c), nn.Conv1d(c, c, 1), _bn(c, bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.pw(self.dw(x)))


class _MegaBlock(nn.Module):
    """TitaNet's mega block: R sub-blocks, squeeze-and-excitation, a pointwise-conv + BN residual, ReLU, dropout."""

    def __init__(self, c: int, k: int, repeat: int, bn: bool) -> None:
        super().__init__()
        self.subs = nn.ModuleList([_SubBlock(c, k, bn) for _ in range(repeat)])
        self.se1, self.se2 = nn.Linear(c, c // 8), nn.Linear(c // 8, c)
        self.res, self.res_bn, self.drop = nn.Conv1d(c, c, 1), _bn(c, bn), nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, sub in enumerate(self.subs):
            h = sub(h)
            if i < len(self.subs) - 1:
                h = self.drop(F.relu(h))
        h = h * torch.sigmoid(self.se2(F.relu(self.se1(h.mean(-1)))))[..., None]
        return self.drop(F.relu(h + self.res_bn(self.res(x))))


class TitaNet(nn.Module):
    """TitaNet narrowed: a prologue conv (kernel 3) of 64 with BN and ReLU, two mega blocks of two depthwise-separable
    sub-blocks (kernels 7 and 11) with squeeze-and-excitation, an epilogue pointwise conv to 128 with BN and ReLU,
    attentive statistics pooling (the attention over ``[h; mean; std]``, tanh, a softmax over frames, the weighted mean
    and std), BatchNorm, a Linear embedding of 64 with BatchNorm, and a Linear classifier (plain softmax for the
    paper's angular margin). ``bn``: the BatchNorms (False: removed; unused, it learned); ``relu_shift``: every
    BatchNorm's shift before a ReLU set to that constant."""

    def __init__(self, bins: int = 40, classes: int = 8, c: int = 64, bn: bool = True,
                 relu_shift: float | None = None) -> None:
        super().__init__()
        self.pro, self.pro_bn = nn.Conv1d(bins, c, 3, padding=1), _bn(c, bn)
        self.blocks = nn.ModuleList([_MegaBlock(c, k, 2, bn) for k in (7, 11)])
        self.epi, self.epi_bn = nn.Conv1d(c, 128, 1), _bn(128, bn)
        self.att1, self.att2 = nn.Conv1d(3 * 128, 64, 1), nn.Conv1d(64, 128, 1)
        self.pool_bn, self.emb, self.emb_bn = _bn(256, bn), nn.Linear(256, 64), _bn(64, bn)
        self.head = nn.Linear(64, classes)
        if relu_shift is not None and bn:
            norms = [self.pro_bn, self.epi_bn] + [blk.res_bn for blk in self.blocks]
            norms += [sub.bn for blk in self.blocks for sub in blk.subs]
            for m in norms:
                nn.init.constant_(m.bias, relu_shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.pro_bn(self.pro(x)))
        for blk in self.blocks:
            h = blk(h)
        h = F.relu(self.epi_bn(self.epi(h)))
        t = h.shape[-1]
        mu, sd = h.mean(-1, keepdim=True), h.var(-1, keepdim=True).clamp(min=1e-5).sqrt()
        a = self.att2(torch.tanh(self.att1(torch.cat([h, mu.expand(-1, -1, t), sd.expand(-1, -1, t)], 1))))
        w = a.softmax(-1)
        m = (w * h).sum(-1)
        s = ((w * h ** 2).sum(-1) - m ** 2).clamp(min=1e-5).sqrt()
        e = self.emb_bn(self.emb(self.pool_bn(torch.cat([m, s], 1))))
        return self.head(e)


def titanet(seed: int, lr: float = 0.08, bn: bool = True, relu_shift: float | None = None,
            weight_decay: float = 1e-3) -> Setup:
    """TitaNet on the speaker utterances (batch 32), cross-entropy, SGD momentum 0.9 at lr 0.08 with weight decay
    1e-3 (set here; the cosine schedule and warm-up left out); ``bn``, ``relu_shift``: see :class:`TitaNet`;
    ``weight_decay``: SGD's."""
    torch.manual_seed(980_000 + seed)
    model = TitaNet(bn=bn, relu_shift=relu_shift)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, speakers(seed), F.cross_entropy)


# ---- the residual LSTM (Kim, El-Khamy and Lee 2017) ---------------------------------------------------------------

class _ResLSTMLayer(nn.Module):
    """One residual LSTM layer: an LSTM of ``cells`` whose output ``m_t = tanh(c_t)`` is projected to ``p`` and added
    to the layer's input (through ``W_h``, the identity where the sizes match) before the output gate:
    ``h_t = o_t (W_p m_t + W_h x_t)``."""

    def __init__(self, d_in: int, cells: int = 64, p: int = 32, forget_bias: float = 1.0) -> None:
        super().__init__()
        self.cells = cells
        self.wx, self.wr = nn.Linear(d_in, 3 * cells + p), nn.Linear(p, 3 * cells + p, bias=False)
        self.wp = nn.Linear(cells, p, bias=False)
        self.wh = nn.Linear(d_in, p, bias=False) if d_in != p else nn.Identity()
        bound = 1 / math.sqrt(cells)
        for w in (self.wx.weight, self.wr.weight, self.wp.weight):
            nn.init.uniform_(w, -bound, bound)
        nn.init.zeros_(self.wx.bias)
        with torch.no_grad():
            self.wx.bias[cells:2 * cells] = forget_bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        gx, short = self.wx(x), self.wh(x)
        h = x.new_zeros(b, self.wp.out_features)
        c = x.new_zeros(b, self.cells)
        out = []
        for s in range(t):
            i, f, g, o = (gx[:, s] + self.wr(h)).split([self.cells] * 3 + [h.shape[1]], -1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * (self.wp(torch.tanh(c)) + short[:, s])
            out.append(h)
        return torch.stack(out, 1)


class ResidualLSTM(nn.Module):
    """Three residual LSTM layers (64 cells, projections of 32; forget-gate biases 1) over frames of 20 features,
    dropout 0.1 between layers, the class read from the last frame's output. ``forget_bias``: every layer's
    forget-gate bias."""

    def __init__(self, bins: int = 20, classes: int = 4, forget_bias: float = 1.0) -> None:
        super().__init__()
        self.layers = nn.ModuleList([_ResLSTMLayer(bins if i == 0 else 32, forget_bias=forget_bias)
                                     for i in range(3)])
        self.drop, self.head = nn.Dropout(0.1), nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = self.drop(layer(x))
        return self.head(x[:, -1])


def residual_lstm(seed: int, lr: float = 1e-3, forget_bias: float = 1.0, weight_decay: float = 0.0,
                  adamw: bool = False) -> Setup:
    """The residual LSTM on the early-cue frames (batch 32), cross-entropy, Adam at lr 1e-3 (set here);
    ``forget_bias``: see :class:`ResidualLSTM`; ``weight_decay``, ``adamw``: AdamW with that decay instead."""
    torch.manual_seed(980_000 + seed)
    model = ResidualLSTM(forget_bias=forget_bias)
    cls = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, early_cue(seed), F.cross_entropy)
