"""Builders of the hundred-and-third held-out batch (``fresh102.py``): sequence-modelling, NLP and speech models new
to the corpus at their usual settings, and broken variants with one real fault each, plus the small synthetic data
sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never
tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrizations

from ._setup import POOL, Setup, lm_loss, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(1_020_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(102_000 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _zero_all(model: nn.Module) -> None:
    """Every parameter set to 0 (the embeddings, the GRUs' weights and biases, the Linears)."""
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()


# ---- data ------------------------------------------------------------------------------------------------------------

def text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, ``(inputs (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def masked_text(seed: int, batch: int = 16, length: int = 32, used: int = 16, rate: float = 0.15
                ) -> Callable[[int], Any]:
    """BERT-style masked text: the Markov language over ``used`` ids (2 .. used+1), ``rate`` of the tokens replaced
    by the mask id 1; ``(inputs, labels)`` with labels -100 at the unmasked tokens."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, used) + 2
        masked = torch.rand(x.shape, generator=g) < rate
        masked[:, 0] |= ~masked.any(1)
        return torch.where(masked, torch.ones_like(x), x), torch.where(masked, x, torch.full_like(x, -100))
    return _pool(seed, make)


def first_token(seed: int, batch: int = 32, length: int = 20, vocab: int = 32, classes: int = 4,
                shuffled: bool = False) -> Callable[[int], Any]:
    """Uniform token sequences labelled by the class (``token % 4``) of their first token (a memory over the whole
    sequence): ``(tokens, class)``; ``shuffled``: the labels permuted within every batch, apart from their sequences."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        y = x[:, 0] % classes
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def majority(seed: int, batch: int = 64, length: int = 20, vocab: int = 32, classes: int = 4) -> Callable[[int], Any]:
    """Token sequences labelled by their most frequent class (``token % 4``; ties to the lowest): ``(tokens, class)``;
    each sequence is drawn with a bias towards one class so that every class is common."""
    def make(g: torch.Generator, _: int) -> Any:
        favour = torch.randint(0, classes, (batch, 1), generator=g)
        x = torch.randint(0, vocab, (batch, length), generator=g)
        tilt = torch.rand(batch, length, generator=g) < 0.15
        x = torch.where(tilt, (x // classes) * classes + favour, x)
        y = F.one_hot(x % classes, classes).sum(1).argmax(1)
        return x, y
    return _pool(seed, make)


def cloze(seed: int, batch: int = 32, length: int = 32, vocab: int = 32, query: int = 2) -> Callable[[int], Any]:
    """A cloze test: a document of 32 uniform tokens, a query holding the ``query`` tokens that precede one position
    of it, the answer the token at that position (always a word of the document): ``((document, query), answer)``."""
    def make(g: torch.Generator, _: int) -> Any:
        doc = torch.randint(0, vocab, (batch, length), generator=g)
        at = torch.randint(query, length, (batch,), generator=g)
        q = torch.stack([doc[torch.arange(batch), at - query + k] for k in range(query)], 1)
        return (doc, q), doc[torch.arange(batch), at]
    return _pool(seed, make)


def keywords(seed: int, batch: int = 32, bins: int = 32, frames: int = 40, classes: int = 4,
             seconds: bool = False) -> Callable[[int], Any]:
    """Log-mel-like utterances of 20 to 40 frames of 32 bins, zero-padded to 40: each keyword a fixed smooth
    time-frequency pattern (8 x 4 values stretched over the utterance's length) plus N(0, 0.7^2) noise:
    ``((features (b, 40, 32), lengths (b,)), keyword (b,))``; ``seconds``: the lengths given as durations in seconds
    (``frames / 100``, 10 ms frames) instead of frame counts."""
    pats = torch.randn(classes, 1, 8, 4, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        lengths = torch.randint(frames // 2, frames + 1, (batch,), generator=g)
        x = torch.zeros(batch, frames, bins)
        for i in range(batch):
            n = int(lengths[i])
            p = F.interpolate(pats[y[i]][None], size=(bins, n), mode="bilinear", align_corners=False)[0, 0].T
            x[i, :n] = p + 0.7 * torch.randn(n, bins, generator=g)
        return (x, lengths / 100.0 if seconds else lengths), y
    return _pool(seed, make)


def phone_frames(seed: int, batch: int = 3, frames: int = 192, bins: int = 40, phones: int = 8,
                 floor: float | None = 0.01) -> Callable[[int], Any]:
    """Frame-labelled utterances for an acoustic model: 1 to 3 frames of digital silence (mel energies exactly 0,
    class 0) at each end, between them phones 1..7 in segments of 2 to 6 frames, each phone a fixed mel-energy
    pattern ``exp(template + N(0, 0.5^2))``; the features are ``log(energy + floor)`` (``floor`` None: the bare
    ``log``): ``(features (b, 192, 40), frame labels (b, 192))``."""
    templates = torch.randn(phones, bins, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        energy = torch.zeros(batch, frames, bins)
        labels = torch.zeros(batch, frames, dtype=torch.long)
        for i in range(batch):
            start = int(torch.randint(1, 4, (1,), generator=g))
            end = frames - int(torch.randint(1, 4, (1,), generator=g))
            t = start
            while t < end:
                n = min(int(torch.randint(2, 7, (1,), generator=g)), end - t)
                ph = int(torch.randint(1, phones, (1,), generator=g))
                energy[i, t:t + n] = torch.exp(templates[ph] + 0.5 * torch.randn(n, bins, generator=g))
                labels[i, t:t + n] = ph
                t += n
        feats = torch.log(energy) if floor is None else torch.log(energy + floor)
        return feats, labels
    return _pool(seed, make)


def char_keywords(seed: int, batch: int = 32, length: int = 32, classes: int = 4) -> Callable[[int], Any]:
    """Character strings for a tokenizer-free classifier: a CLS codepoint (1), then 31 lowercase letters (codepoints
    97..122) among which one of four fixed 4-letter keywords is written at a random place; the label is the keyword:
    ``(codepoints (b, 32), keyword (b,))``."""
    kws = torch.randint(97, 123, (classes, 4), generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(97, 123, (batch, length), generator=g)
        x[:, 0] = 1
        y = torch.randint(0, classes, (batch,), generator=g)
        at = torch.randint(1, length - 4, (batch,), generator=g)
        for i in range(batch):
            x[i, at[i]:at[i] + 4] = kws[y[i]]
        return x, y
    return _pool(seed, make)


# ---- KERPLE (Chi et al. 2022), its logarithmic variant, as a causal LM -----------------------------------------------

class KerpleAttention(nn.Module):
    """Causal self-attention with KERPLE-log's relative bias ``-r1 log(1 + r2 |m - n|)`` per head (``r1, r2 > 0``
    learned; no absolute positions). ``one_plus=False`` writes the bias ``-r1 log(r2 |m - n|)`` (the ``1 +``
    dropped)."""

    def __init__(self, d: int, heads: int, one_plus: bool = True) -> None:
        super().__init__()
        self.heads, self.one_plus = heads, one_plus
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.r1 = nn.Parameter(torch.ones(heads))
        self.r2 = nn.Parameter(torch.ones(heads))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        pos = torch.arange(t)
        dist = (pos[:, None] - pos[None]).abs().float()
        r1, r2 = self.r1.clamp_min(1e-2)[:, None, None], self.r2.clamp_min(1e-2)[:, None, None]
        bias = -r1 * torch.log(1 + r2 * dist) if self.one_plus else -r1 * torch.log(r2 * dist)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads) + bias
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        return self.out((scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d))


class KerpleLM(nn.Module):
    """A GPT-NeoX-style pre-LN causal LM (the paper's code base): token embeddings only, layers of KERPLE-log
    attention and a GELU MLP of 4x, a final LayerNorm and a tied output; ``ln=False``: every LayerNorm left out."""

    def __init__(self, vocab: int = 64, d: int = 64, heads: int = 4, layers: int = 2, ln: bool = True,
                 one_plus: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        nn.init.normal_(self.emb.weight, std=0.02)
        norm: Callable[[], nn.Module] = (lambda: nn.LayerNorm(d)) if ln else nn.Identity
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict({
                "ln1": norm(), "attn": KerpleAttention(d, heads, one_plus), "ln2": norm(),
                "mlp": nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))}))
        self.ln_f = norm()
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        for blk in self.blocks:
            h = h + blk["attn"](blk["ln1"](h))
            h = h + blk["mlp"](blk["ln2"](h))
        return self.ln_f(h) @ self.emb.weight.T


def kerple(seed: int, lr: float = 1e-3, weight_decay: float = 0.01, ln: bool = True, one_plus: bool = True
           ) -> Setup:
    """KERPLE-log LM on the Markov text (batch 8 of 32), token cross-entropy, AdamW (betas 0.9, 0.95, GPT-NeoX's)
    at lr 1e-3 with weight decay 0.01 after a linear warm-up of 10 steps; ``ln``, ``one_plus``: see
    :class:`KerpleLM` and :class:`KerpleAttention`."""
    torch.manual_seed(1_020_000 + seed)
    model = KerpleLM(ln=ln, one_plus=one_plus)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10))
    return _xy(model, opt, text(seed), lm_loss, sched=sched)


# ---- TUPE (Ke et al. 2021), TUPE-A on a BERT-style masked LM ---------------------------------------------------------

class TupeLayer(nn.Module):
    """A post-LN BERT layer whose attention scores are ``(x Wq)(x Wk)^T / sqrt(2 d_h) + (p Uq)(p Uk)^T / sqrt(2 d_h)``:
    the word and the absolute-position correlations untied, the positions never added to the words."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, pos_scores: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        dh = d // self.heads
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(2 * dh) + pos_scores
        a = self.drop(scores.softmax(-1)) @ v
        x = self.ln1(x + self.drop(self.out(a.transpose(1, 2).reshape(b, t, d))))
        return self.ln2(x + self.drop(self.ff(x)))


class TUPE(nn.Module):
    """TUPE-A: word embeddings (LayerNorm, dropout), a learned absolute position table ``p`` whose own projections
    ``Uq, Uk`` (shared by the layers) give the positional correlation once, and post-LN layers; the MLM head is a
    transform (GELU, LayerNorm) and the tied output. BERT's init, N(0, 0.02)."""

    def __init__(self, vocab: int = 64, d: int = 64, heads: int = 4, layers: int = 2, length: int = 32,
                 init_std: float = 0.02) -> None:
        super().__init__()
        self.heads = heads
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(length, d))
        self.uq, self.uk = nn.Linear(d, d), nn.Linear(d, d)
        self.ln_emb, self.ln_pos = nn.LayerNorm(d), nn.LayerNorm(d)
        self.layers = nn.ModuleList(TupeLayer(d, heads) for _ in range(layers))
        self.head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.LayerNorm(d))
        self.bias = nn.Parameter(torch.zeros(vocab))
        self.drop = nn.Dropout(0.1)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=init_std)
                if isinstance(m, nn.Linear):
                    nn.init.zeros_(m.bias)
        nn.init.normal_(self.pos, std=init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        d = self.pos.shape[1]
        dh = d // self.heads
        p = self.ln_pos(self.pos[:t])
        pq = self.uq(p).view(t, self.heads, dh).transpose(0, 1)
        pk = self.uk(p).view(t, self.heads, dh).transpose(0, 1)
        pos_scores = (pq @ pk.transpose(-1, -2) / math.sqrt(2 * dh))[None]
        h = self.drop(self.ln_emb(self.emb(x)))
        for layer in self.layers:
            h = layer(h, pos_scores)
        return self.head(h) @ self.emb.weight.T + self.bias


def tupe(seed: int, lr: float = 1e-3, init_std: float = 0.02) -> Setup:
    """TUPE-A on the masked Markov text (batch 16 of 32, 15% masked), cross-entropy over the masked tokens, Adam
    (betas 0.9, 0.999, eps 1e-6, BERT's) at lr 1e-3 (set here for 200 steps; the paper's 1e-4 peak is for a long
    run) after a linear warm-up of 10 steps; ``init_std``: see :class:`TUPE`."""
    torch.manual_seed(1_020_000 + seed)
    model = TUPE(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-6)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10))
    return _xy(model, opt, masked_text(seed), lm_loss, sched=sched)


# ---- uRNN (Arjovsky et al. 2016) -------------------------------------------------------------------------------------

class URNN(nn.Module):
    """The unitary evolution RNN: ``h_t = modReLU(W h_{t-1} + V x_t)`` over complex states of ``n``, with
    ``W = D3 R2 F^-1 D2 P R1 F D1`` (diagonal phases ``exp(i theta)``, complex reflections ``I - 2 v v^* / |v|^2``,
    the unitary FFT, a fixed permutation) and the output ``U [Re h_T, Im h_T]``. ``modulus``: the diagonal factors
    written ``modulus * exp(i theta)`` (1 keeps ``W`` unitary)."""

    def __init__(self, vocab: int = 32, n: int = 64, classes: int = 4, modulus: float = 1.0,
                 reflect_norm: bool = True) -> None:
        super().__init__()
        self.n, self.modulus, self.reflect_norm = n, modulus, reflect_norm
        self.theta = nn.Parameter(torch.empty(3, n).uniform_(-math.pi, math.pi))
        self.v = nn.Parameter(torch.randn(2, 2, n))
        self.register_buffer("perm", torch.randperm(n))
        bound = math.sqrt(6 / (vocab + 2 * n))
        self.vin = nn.Parameter(torch.empty(2, vocab, n).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.zeros(n))
        self.out = nn.Linear(2 * n, classes)

    def _reflect(self, h: torch.Tensor, k: int) -> torch.Tensor:
        v = torch.complex(self.v[k, 0], self.v[k, 1])
        coef = (h * v.conj()).sum(-1, keepdim=True)
        if self.reflect_norm:
            coef = coef / (v.abs() ** 2).sum()
        return h - 2 * coef * v

    def _diag(self, k: int) -> torch.Tensor:
        return self.modulus * torch.polar(torch.ones_like(self.theta[k]), self.theta[k])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape
        vx = torch.complex(self.vin[0][x], self.vin[1][x])
        h = torch.zeros(b, self.n, dtype=torch.complex64)
        for s in range(t):
            w = torch.fft.fft(self._diag(0) * h, norm="ortho")
            w = self._reflect(w, 0)[:, self.perm] * self._diag(1)
            w = self._reflect(torch.fft.ifft(w, norm="ortho"), 1) * self._diag(2)
            z = w + vx[:, s]
            mag = z.abs()
            h = torch.relu(mag + self.b) * z / (mag + 1e-5)
        return self.out(torch.cat([h.real, h.imag], -1))


def urnn(seed: int, lr: float = 1e-3, modulus: float = 1.0, shuffled: bool = False, reflect_norm: bool = True
         ) -> Setup:
    """The uRNN on the first-token sequences (batch 32 of 20), cross-entropy, RMSprop at the paper's lr 1e-3 (decay
    0.9); ``modulus``: see :class:`URNN`; ``shuffled``: see :func:`first_token`."""
    torch.manual_seed(1_020_000 + seed)
    model = URNN(modulus=modulus, reflect_norm=reflect_norm)
    opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9)
    return _xy(model, opt, first_token(seed, shuffled=shuffled), F.cross_entropy)


# ---- Attention-over-Attention Reader (Cui et al. 2017) ---------------------------------------------------------------

class AoAReader(nn.Module):
    """Shared embeddings, bidirectional GRUs over the document and the query, the pair-wise matching matrix
    ``M = h_doc h_query^T``, the query-to-document attentions ``alpha`` (softmax over the document, one per query
    word), the document-to-query attentions averaged into ``beta``, the attended document attention ``s = alpha
    beta`` and sum attention: ``P(w) = sum of s_i over the positions i holding w``; returns ``log P`` over the
    vocabulary. ``update_bias``: the GRUs' update-gate biases set to that value."""

    def __init__(self, vocab: int = 32, d: int = 32, hidden: int = 32, update_bias: float | None = None) -> None:
        super().__init__()
        self.vocab = vocab
        self.emb = nn.Embedding(vocab, d)
        self.doc_rnn = nn.GRU(d, hidden, batch_first=True, bidirectional=True)
        self.q_rnn = nn.GRU(d, hidden, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(0.1)
        nn.init.uniform_(self.emb.weight, -0.05, 0.05)
        if update_bias is not None:
            with torch.no_grad():
                for rnn in (self.doc_rnn, self.q_rnn):
                    for name, p in rnn.named_parameters():
                        if name.startswith("bias_ih"):
                            p[hidden:2 * hidden] = update_bias
                        elif name.startswith("bias_hh"):
                            p[hidden:2 * hidden] = 0.0

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        doc, q = inputs
        hd, _ = self.doc_rnn(self.drop(self.emb(doc)))
        hq, _ = self.q_rnn(self.drop(self.emb(q)))
        m = hd @ hq.transpose(1, 2)
        alpha = m.softmax(1)
        beta = m.softmax(2).mean(1)
        s = (alpha @ beta[:, :, None])[:, :, 0]
        p = torch.zeros(doc.shape[0], self.vocab).scatter_add(1, doc, s)
        return torch.log(p + 1e-12)


def aoa_reader(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, zero_init: bool = False,
               update_bias: float | None = None) -> Setup:
    """The AoA Reader on the cloze test (batch 32, documents of 32, queries of 2), the negative log of the answer's
    sum attention, Adam at lr 3e-3 (set here: the paper's 1e-3 did not learn in 200 steps) with its gradient
    clipping at 5; ``weight_decay``: Adam's coupled L2;
    ``zero_init``: every parameter set to 0; ``update_bias``: see :class:`AoAReader`."""
    torch.manual_seed(1_020_000 + seed)
    model = AoAReader(update_bias=update_bias)
    if zero_init:
        _zero_all(model)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, cloze(seed), F.nll_loss, clip=5.0)


# ---- TDNN-F (Povey et al. 2018), a Kaldi chain-style acoustic model ------------------------------------------------

def _shift(x: torch.Tensor, s: int) -> torch.Tensor:
    """``x`` (b, c, t) moved by ``s`` frames along time (frame t holds frame t + s), zero-padded."""
    if s == 0:
        return x
    if s > 0:
        return F.pad(x[:, :, s:], (0, s))
    return F.pad(x[:, :, :s], (-s, 0))


class FactorizedLayer(nn.Module):
    """A TDNN-F layer: a semi-orthogonal projection of frames ``t - s`` and ``t`` to a bottleneck (the constraint kept
    by an orthogonal parametrization), an affine map of bottleneck frames ``t`` and ``t + s``, ReLU, BatchNorm,
    dropout, and the bypass ``0.66 x + layer(x)``."""

    def __init__(self, d: int, bottleneck: int, stride: int, bn: bool = True, relu_bias: float | None = None) -> None:
        super().__init__()
        self.stride = stride
        self.proj = parametrizations.orthogonal(nn.Linear(2 * d, bottleneck, bias=False))
        self.affine = nn.Linear(2 * bottleneck, d)
        if relu_bias is not None:
            nn.init.constant_(self.affine.bias, relu_bias)
        self.bn = nn.BatchNorm1d(d, affine=False) if bn else nn.Identity()
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.stride
        y = self.proj(torch.cat([_shift(x, -s), x], 1).transpose(1, 2)).transpose(1, 2)
        y = self.affine(torch.cat([y, _shift(y, s)], 1).transpose(1, 2)).transpose(1, 2)
        return 0.66 * x + self.drop(self.bn(torch.relu(y)))


class TDNNF(nn.Module):
    """TDNN-F: a TDNN layer over frames ``t - 2 .. t + 2`` (ReLU, BatchNorm), factorized layers with time strides
    1, 1, 3, 3, a prefinal layer (ReLU, BatchNorm, a semi-orthogonal bottleneck) and the output; per-frame logits
    ``(b, t, phones)``. ``bn``: the BatchNorms; ``relu_bias``: every affine bias before a ReLU set to that value."""

    def __init__(self, bins: int = 40, d: int = 96, bottleneck: int = 32, phones: int = 8, bn: bool = True,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.tdnn = nn.Conv1d(bins, d, 5, padding=2)
        if relu_bias is not None:
            nn.init.constant_(self.tdnn.bias, relu_bias)
        self.bn = nn.BatchNorm1d(d, affine=False) if bn else nn.Identity()
        self.layers = nn.ModuleList(FactorizedLayer(d, bottleneck, s, bn, relu_bias) for s in (1, 1, 3, 3))
        self.prefinal = nn.Linear(d, d)
        if relu_bias is not None:
            nn.init.constant_(self.prefinal.bias, relu_bias)
        self.bn_pre = nn.BatchNorm1d(d, affine=False) if bn else nn.Identity()
        self.bottleneck = parametrizations.orthogonal(nn.Linear(d, bottleneck, bias=False))
        self.output = nn.Linear(bottleneck, phones)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.bn(torch.relu(self.tdnn(x.transpose(1, 2))))
        for layer in self.layers:
            h = layer(h)
        h = self.bn_pre(torch.relu(self.prefinal(h.transpose(1, 2))).transpose(1, 2)).transpose(1, 2)
        return self.output(self.bottleneck(h))


def subsampled_frame_loss(logits: torch.Tensor, labels: torch.Tensor, factor: int = 3, cropped: bool = False
                          ) -> torch.Tensor:
    """The chain recipe's frame subsampling: outputs at every ``factor``-th frame, scored against the labels of the
    same frames; ``cropped``: the labels instead cut to the outputs' length (``labels[:, :t_out]``)."""
    out = logits[:, ::factor]
    target = labels[:, :out.shape[1]] if cropped else labels[:, ::factor]
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), target.reshape(-1))


def tdnn_f(seed: int, lr: float = 1e-3, bn: bool = True, relu_bias: float | None = None, floor: float | None = 0.01,
           cropped: bool = False, sgd: bool = False) -> Setup:
    """TDNN-F on the frame-labelled utterances (batch 16 of 60 frames), cross-entropy at every third frame (the chain
    recipe's frame subsampling; its LF-MMI objective replaced by frame cross-entropy), Adam at lr 1e-3 in place of
    Kaldi's natural-gradient SGD; ``bn``, ``relu_bias``: see :class:`TDNNF`; ``floor``: see :func:`phone_frames`;
    ``cropped``: see :func:`subsampled_frame_loss`."""
    torch.manual_seed(1_020_000 + seed)
    model = TDNNF(bn=bn, relu_bias=relu_bias)
    if sgd:
        opt: torch.optim.Optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, phone_frames(seed, floor=floor),
               lambda out, y: subsampled_frame_loss(out, y, cropped=cropped))


# ---- CANINE (Clark et al. 2022), CANINE-C narrowed to classification -----------------------------------------------

class CanineLayer(nn.Module):
    """A post-LN BERT layer (GELU feed-forward of 4x, dropout 0.1) with an optional boolean attention mask."""

    def __init__(self, d: int, heads: int, ln: bool = True) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, dropout=0.1, batch_first=True)
        self.ln1, self.ln2 = (nn.LayerNorm(d), nn.LayerNorm(d)) if ln else (nn.Identity(), nn.Identity())
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.ln1(x + self.drop(self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]))
        return self.ln2(x + self.drop(self.ff(x)))


class Canine(nn.Module):
    """CANINE: codepoints embedded by 4 multiplicative hashes into 4 tables of 128 buckets (each ``d/4`` wide,
    concatenated) plus learned positions, LayerNorm; one block-local transformer layer (blocks of 8 characters); a
    strided convolution (width and stride 4) with GELU and LayerNorm down-sampling the characters after CLS; the deep
    stack of two layers over ``[CLS; down-sampled]``; the classifier on CLS (the up-sampling for character outputs is
    left out: classification reads CLS only). BERT's init, N(0, 0.02)."""

    PRIMES = (31, 43, 59, 61)

    def __init__(self, d: int = 64, heads: int = 4, buckets: int = 128, length: int = 32, classes: int = 4,
                 ln: bool = True) -> None:
        super().__init__()
        self.buckets = buckets
        self.hash_emb = nn.ModuleList(nn.Embedding(buckets, d // 4) for _ in self.PRIMES)
        self.pos = nn.Embedding(length, d)
        self.ln = nn.LayerNorm(d) if ln else nn.Identity()
        self.drop = nn.Dropout(0.1)
        self.local = CanineLayer(d, heads, ln)
        self.down = nn.Conv1d(d, d, 4, stride=4)
        self.ln_down = nn.LayerNorm(d) if ln else nn.Identity()
        self.deep = nn.ModuleList(CanineLayer(d, heads, ln) for _ in range(2))
        self.cls = nn.Linear(d, classes)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding, nn.Conv1d)):
                nn.init.normal_(m.weight, std=0.02)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)
        block = torch.arange(length) // 8
        self.register_buffer("local_mask", block[:, None] != block[None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        e = torch.cat([emb(((x + 1) * p) % self.buckets) for emb, p in zip(self.hash_emb, self.PRIMES, strict=True)],
                      -1)
        h = self.drop(self.ln(e + self.pos(torch.arange(t))))
        h = self.local(h, self.local_mask[:t, :t])
        down = F.gelu(self.down(h[:, 1:].transpose(1, 2))).transpose(1, 2)
        h = torch.cat([h[:, :1], self.ln_down(down)], 1)
        for layer in self.deep:
            h = layer(h)
        return self.cls(h[:, 0])


def canine(seed: int, lr: float = 1e-3, weight_decay: float = 0.01, ln: bool = True) -> Setup:
    """CANINE on the character strings (batch 32 of 32 codepoints), cross-entropy, AdamW at lr 1e-3 (set here for
    200 steps) with BERT's weight decay 0.01 after a linear warm-up of 10 steps."""
    torch.manual_seed(1_020_000 + seed)
    model = Canine(ln=ln)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10))
    return _xy(model, opt, char_keywords(seed), F.cross_entropy, sched=sched)


# ---- Zipformer (Yao et al. 2024), narrowed to keyword spotting -----------------------------------------------------

class BiasNorm(nn.Module):
    """Zipformer's BiasNorm: ``x / RMS[x - b] * exp(gamma)`` over the channels."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(d))
        self.log_scale = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * ((x - self.bias) ** 2).mean(-1, keepdim=True).add(1e-8).rsqrt() * self.log_scale.exp()


def swoosh_r(x: torch.Tensor) -> torch.Tensor:
    return F.softplus(x - 1) - 0.08 * x - 0.313261687


def swoosh_l(x: torch.Tensor) -> torch.Tensor:
    return F.softplus(x - 4) - 0.08 * x - 0.035


class ZipformerLayer(nn.Module):
    """A Zipformer block, narrowed: feed-forward (SwooshL), multi-head self-attention with a key-padding mask, a
    convolution module (pointwise GLU, depthwise conv of 7, SwooshR, pointwise), a second feed-forward, BiasNorm, and
    the block's bypass ``x + c (y - x)`` with ``c`` learned from 0.5."""

    def __init__(self, d: int, heads: int, norm: bool = True) -> None:
        super().__init__()
        self.ff1 = nn.ModuleList([nn.Linear(d, 3 * d), nn.Linear(3 * d, d)])
        self.ff2 = nn.ModuleList([nn.Linear(d, 3 * d), nn.Linear(3 * d, d)])
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.pw1, self.dw, self.pw2 = nn.Linear(d, 2 * d), nn.Conv1d(d, d, 7, padding=3, groups=d), nn.Linear(d, d)
        self.norm = BiasNorm(d) if norm else nn.Identity()
        self.bypass = nn.Parameter(torch.full((d,), 0.5))

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        y = x + self.ff1[1](swoosh_l(self.ff1[0](x)))
        y = y + self.attn(y, y, y, key_padding_mask=pad, need_weights=False)[0]
        c = F.glu(self.pw1(y)).masked_fill(pad[..., None], 0.0)
        y = y + self.pw2(swoosh_r(self.dw(c.transpose(1, 2)).transpose(1, 2)))
        y = self.norm(y + self.ff2[1](swoosh_l(self.ff2[0](y))))
        return x + self.bypass * (y - x)


class Zipformer(nn.Module):
    """Zipformer, narrowed: a convolutional front end subsampling by 2 (two convs, SwooshR), a stack at that frame
    rate, a stack at half of it (down-sampled by a learned softmax-weighted average of frame pairs, up-sampled by
    repetition and combined through a learned bypass), masked mean pooling over the valid frames and the classifier.
    ``squared_length``: the pooled sum divided by the padded length squared (see :func:`zipformer`)."""

    def __init__(self, bins: int = 32, d: int = 48, heads: int = 4, classes: int = 4,
                 squared_length: bool = False, norm: bool = True) -> None:
        super().__init__()
        self.squared_length = squared_length
        self.conv1 = nn.Conv1d(bins, d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)
        self.stack1 = ZipformerLayer(d, heads, norm)
        self.down_w = nn.Parameter(torch.zeros(2))
        self.stack2 = ZipformerLayer(d, heads, norm)
        self.out_bypass = nn.Parameter(torch.full((d,), 0.5))
        self.cls = nn.Linear(d, classes)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, lengths = inputs
        h = swoosh_r(self.conv2(swoosh_r(self.conv1(x.transpose(1, 2))))).transpose(1, 2)
        t = h.shape[1]
        valid = (lengths + 1) // 2
        pad = torch.arange(t)[None] >= valid[:, None]
        h = self.stack1(h, pad)
        w = self.down_w.softmax(0)
        h2 = w[0] * h[:, 0::2] + w[1] * h[:, 1::2]
        pad2 = pad[:, 0::2]
        h2 = self.stack2(h2, pad2).repeat_interleave(2, 1)[:, :t]
        h = h + self.out_bypass * (h2 - h)
        h = h.masked_fill(pad[..., None], 0.0)
        if self.squared_length:
            pooled = h.sum(1) / t ** 2
        else:
            pooled = h.sum(1) / valid[:, None]
        return self.cls(pooled)


def zipformer(seed: int, lr: float = 1e-3, squared_length: bool = False, norm: bool = True, seconds: bool = False
              ) -> Setup:
    """The Zipformer on the padded keyword utterances (batch 32), cross-entropy, Adam at lr 1e-3 (in place of its
    ScaledAdam) after a linear warm-up of 10 steps; ``squared_length``: the masked mean pooling's length
    normalisation written ``h.sum(1) / t ** 2``, the padded length squared, where ``h.sum(1) / lengths``, the valid
    lengths, belongs; ``norm``: the BiasNorms; ``seconds``: see :func:`keywords`."""
    torch.manual_seed(1_020_000 + seed)
    model = Zipformer(squared_length=squared_length, norm=norm)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10))
    return _xy(model, opt, keywords(seed, seconds=seconds), F.cross_entropy, sched=sched)


# ---- DiSAN (Shen et al. 2018) --------------------------------------------------------------------------------------

class DiSA(nn.Module):
    """Directional self-attention: ``h = ELU(W x + b)``, the multi-dimensional (feature-wise) scores ``c tanh((W1 h_i +
    W2 h_j + b1) / c)`` with ``c = 5`` plus the directional mask (forward: ``j < i`` only; backward: ``j > i``; the
    reference code's ``-1e30``), a softmax over ``j`` per feature, and the fusion gate ``F = sigmoid(Wf1 s + Wf2 h +
    bf)``, ``u = F h + (1 - F) s``."""

    def __init__(self, d: int, forward_dir: bool) -> None:
        super().__init__()
        self.forward_dir = forward_dir
        self.fc = nn.Linear(d, d)
        self.w1, self.w2 = nn.Linear(d, d, bias=False), nn.Linear(d, d)
        self.f1, self.f2 = nn.Linear(d, d, bias=False), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        h = F.elu(self.fc(x))
        logits = 5.0 * torch.tanh((self.w1(h)[:, :, None] + self.w2(h)[:, None]) / 5.0)
        i = torch.arange(t)
        allowed = (i[None] < i[:, None]) if self.forward_dir else (i[None] > i[:, None])
        logits = logits + torch.where(allowed, 0.0, -1e30)[None, :, :, None]
        s = (logits.softmax(2) * h[:, None]).sum(2)
        gate = torch.sigmoid(self.f1(s) + self.f2(h))
        return gate * h + (1 - gate) * s


class DiSAN(nn.Module):
    """DiSAN: embeddings, forward and backward DiSA blocks, their outputs concatenated, multi-dimensional source2token
    attention, and the classifier (an ELU layer, then the output). ``head_layers``: the classifier a plain stack of
    that many tanh layers at PyTorch's default init before its output."""

    def __init__(self, vocab: int = 32, d: int = 32, classes: int = 4, head_layers: int = 1) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.fw, self.bw = DiSA(d, True), DiSA(d, False)
        self.s2t = nn.Sequential(nn.Linear(2 * d, 2 * d), nn.ELU(), nn.Linear(2 * d, 2 * d))
        self.drop = nn.Dropout(0.25)
        if head_layers == 1:
            self.head = nn.Sequential(nn.Linear(2 * d, 2 * d), nn.ELU())
        else:
            mods: list[nn.Module] = []
            for _ in range(head_layers):
                mods += [nn.Linear(2 * d, 2 * d), nn.Tanh()]
            self.head = nn.Sequential(*mods)
        self.out = nn.Linear(2 * d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.drop(self.emb(x))
        u = torch.cat([self.fw(e), self.bw(e)], -1)
        s = (self.s2t(u).softmax(1) * u).sum(1)
        return self.out(self.drop(self.head(s)))


def disan(seed: int, lr: float = 0.5, head_layers: int = 1) -> Setup:
    """DiSAN on the majority-class sequences (batch 64 of 20), cross-entropy, Adadelta at the paper's lr 0.5 with its
    L2 weight decay 5e-5 and dropout 0.25; ``head_layers``: see :class:`DiSAN`."""
    torch.manual_seed(1_020_000 + seed)
    model = DiSAN(head_layers=head_layers)
    opt = torch.optim.Adadelta(model.parameters(), lr=lr, weight_decay=5e-5)
    return _xy(model, opt, majority(seed), F.cross_entropy)
