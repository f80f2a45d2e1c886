"""Builders of the hundred-and-eleventh held-out batch (``fresh110.py``): sequence-modelling, NLP and speech models new
to the corpus at their usual settings, and broken variants with one real fault each, plus the small data sets they
train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn

SEED0 = 1_100_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(SEED0 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(11_000 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None, clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _markov(g: torch.Generator, batch: int, length: int, vocab: int, k: int, follow: float = 0.8) -> torch.Tensor:
    """Token ids ``0 .. vocab-1`` from a fixed sparse Markov chain (the next token is a fixed permutation of the
    current one with probability ``follow``, else uniform)."""
    perm = torch.randperm(vocab, generator=_fixed(k))
    x = torch.empty(batch, length, dtype=torch.long)
    x[:, 0] = torch.randint(0, vocab, (batch,), generator=g)
    for t in range(1, length):
        keep = torch.rand(batch, generator=g) < follow
        x[:, t] = torch.where(keep, perm[x[:, t - 1]], torch.randint(0, vocab, (batch,), generator=g))
    return x


# ---- data ------------------------------------------------------------------------------------------------------------

def nli_batches(seed: int, batch: int = 32, premise: int = 10, hyp: int = 4, shuffled: bool = False
                ) -> Callable[[int], Any]:
    """Synthetic inference pairs over 64 words: a premise of 10 words from the lower half (0 .. 31) and a hypothesis
    of 4 words, ``entailment`` (0: premise words), ``contradiction`` (1: their antonyms, ``w + 32``) or ``neutral``
    (2: random words of the lower half): ``((premise, hypothesis), label)``; ``shuffled``: the labels permuted
    within every batch (the data common)."""
    def make(g: torch.Generator, _: int) -> Any:
        p = torch.randint(0, 32, (batch, premise), generator=g)
        y = torch.randint(0, 3, (batch,), generator=g)
        pick = torch.randint(0, premise, (batch, hyp), generator=g)
        ent = p.gather(1, pick)
        neu = torch.randint(0, 32, (batch, hyp), generator=g)
        h = torch.where((y == 0)[:, None], ent, torch.where((y == 1)[:, None], ent + 32, neu))
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return (p, h), y
    return _pool(seed, make)


#: skip-thoughts' vocabulary: 64 words and the decoders' start id 64
ST_VOCAB, ST_BOS = 65, 64


def story_batches(seed: int, batch: int = 16, sent: int = 8) -> Callable[[int], Any]:
    """Three consecutive 8-word sentences of one Markov text over 64 words: ``((prev_in, cur, next_in), (prev,
    next))``, the decoders' inputs the targets shifted right behind the start id."""
    def make(g: torch.Generator, _: int) -> Any:
        x = _markov(g, batch, 3 * sent, 64, 1)
        prev, cur, nxt = x[:, :sent], x[:, sent:2 * sent], x[:, 2 * sent:]
        start = torch.full((batch, 1), ST_BOS)
        return (torch.cat([start, prev[:, :-1]], 1), cur, torch.cat([start, nxt[:, :-1]], 1)), (prev, nxt)
    return _pool(seed, make)


def tts_batches(seed: int, batch: int = 16, phones: int = 8, frames: int = 2, tail: int = 2, mels: int = 16,
                clamp: bool = True) -> Callable[[int], Any]:
    """Text-to-speech pairs: 8 phonemes of 16 and their mel frames, each phoneme held 2 frames with a fixed power
    template (log-normal) times ``1 + N(0, 0.1^2)``, then 2 silent frames (power exactly 0); the targets are the
    log-mel ``log(clamp(power, 1e-5))`` (Tacotron's dynamic-range compression) and the stop flags (1 on the silent
    tail): ``(phonemes, (mel, stop))``; ``clamp=False``: ``log(power)`` (the numeric common)."""
    temp = torch.exp(torch.randn(16, mels, generator=_fixed(3)))

    def make(g: torch.Generator, _: int) -> Any:
        ph = torch.randint(0, 16, (batch, phones), generator=g)
        power = temp[ph].repeat_interleave(frames, 1)
        power = power * (1 + 0.1 * torch.randn(power.shape, generator=g)).clamp(min=0.5)
        power = torch.cat([power, torch.zeros(batch, tail, mels)], 1)
        mel = torch.log(power.clamp(min=1e-5)) if clamp else torch.log(power)
        stop = torch.zeros(batch, mel.shape[1])
        stop[:, -tail:] = 1.0
        return ph, (mel, stop)
    return _pool(seed, make)


#: CMLM's vocabulary: the padding id 0, the mask id 1, 32 words 2 .. 33
CM_PAD, CM_MASK, CM_VOCAB = 0, 1, 34


def cmlm_batches(seed: int, batch: int = 32, length: int = 4, mask_id: int = CM_MASK, unrelated: bool = False
                 ) -> Callable[[int], Any]:
    """Translation pairs of 4 words each, the target word ``i`` a fixed substitution of the source word ``i``; the
    conditional masked LM's training view: ``k ~ U{1 .. 4}`` target words replaced by ``mask_id``, the labels the
    masked words (-100 elsewhere): ``((source, decoder input), labels)``; ``unrelated``: each target translated from
    another pair's source of the batch (the data common)."""
    sub = torch.randperm(32, generator=_fixed(4)) + 2

    def make(g: torch.Generator, _: int) -> Any:
        src = torch.randint(2, CM_VOCAB, (batch, length), generator=g)
        tgt = sub[src[torch.randperm(batch, generator=g)] - 2] if unrelated else sub[src - 2]
        k = torch.randint(1, length + 1, (batch, 1), generator=g)
        rank = torch.rand(batch, length, generator=g).argsort(1).argsort(1)
        masked = rank < k
        dec = torch.where(masked, torch.full_like(tgt, mask_id), tgt)
        return (src, dec), torch.where(masked, tgt, torch.full_like(tgt, -100))
    return _pool(seed, make)


def speech_features(seed: int, batch: int = 16, length: int = 32, mels: int = 16, cmvn: bool = True,
                    eps: float = 1e-5) -> Callable[[int], Any]:
    """Log-mel features in dB of a phone sequence: phones (20 fixed templates, smooth over the bands: 5 random values
    stretched linearly over the 16) held 4 to 8 frames, ``-50 + 10 *
    template`` dB plus N(0, 1) dB noise, the top band a constant -100 dB floor (band-limited audio); per-utterance
    CMVN ``(x - mean) / (std + eps)`` over time (``cmvn=False``: the raw dB, the data common; ``eps=0``: the numeric
    common, the floored band's ``0 / 0``), then TERA's alterations: two spans of 3 frames zeroed and one band of up to
    3 channels zeroed: ``(altered, (features, altered mask))``."""
    temp = F.interpolate(torch.randn(20, 1, 5, generator=_fixed(5)), size=mels, mode="linear",
                         align_corners=True)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.empty(batch, length, mels)
        for b in range(batch):
            t = 0
            while t < length:
                d = int(torch.randint(4, 9, (1,), generator=g))
                x[b, t:t + d] = -50 + 10 * temp[int(torch.randint(0, 20, (1,), generator=g))]
                t += d
        x = x + torch.randn(x.shape, generator=g)
        x[:, :, -1] = -100.0
        if cmvn:
            x = (x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + eps)
        alt = torch.zeros(batch, length, mels, dtype=torch.bool)
        for b in range(batch):
            for _span in range(2):
                s = int(torch.randint(0, length - 3, (1,), generator=g))
                alt[b, s:s + 3] = True
            c = int(torch.randint(0, mels - 3, (1,), generator=g))
            alt[b, :, c:c + int(torch.randint(1, 4, (1,), generator=g))] = True
        return x.masked_fill(alt, 0.0), (x, alt)
    return _pool(seed, make)


#: the all-attention LM's vocabulary: 64 words and the start id 64
AA_VOCAB, AA_BOS = 65, 64


def pair_text(seed: int, batch: int = 8, pairs: int = 16, double_bos: bool = False) -> Callable[[int], Any]:
    """A text of word pairs: a random word ``a`` and its fixed partner ``f(a)``, 16 pairs behind the start id
    (``[BOS, a1, f(a1), a2, f(a2), ...]``, 33 ids); half the next words are predictable. ``(inputs, labels)``, the
    labels the tokenised text and the inputs the same ids, both 33 long (the loss shifts them); ``double_bos``: the
    collator prepends the start id to text the tokeniser already began with it, the inputs cut back to 33 (the
    slip)."""
    f = torch.randperm(64, generator=_fixed(6))

    def make(g: torch.Generator, _: int) -> Any:
        a = torch.randint(0, 64, (batch, pairs), generator=g)
        x = torch.stack([a, f[a]], 2).reshape(batch, 2 * pairs)
        seq = torch.cat([torch.full((batch, 1), AA_BOS), x], 1)
        inp = torch.cat([torch.full((batch, 1), AA_BOS), seq], 1)[:, :seq.shape[1]] if double_bos else seq
        return inp, seq
    return _pool(seed, make)


def majority_sequences(seed: int, batch: int = 32, length: int = 32, vocab: int = 32) -> Callable[[int], Any]:
    """Token sequences of 32 over 32 ids labelled by their most frequent class ``id % 4``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        return x, F.one_hot(x % 4, 4).sum(1).argmax(1)
    return _pool(seed, make)


#: the IndyLSTM LM's vocabulary: the padding id 0, the start id 1 and 64 words 2 .. 65
IL_VOCAB, IL_SPECIALS = 66, 2


def lm_text(seed: int, batch: int = 16, length: int = 17) -> Callable[[int], Any]:
    """Markov text over 64 words (ids 2 .. 65) behind the start id 1: ``(inputs, next-word targets)``, 16 each."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.cat([torch.full((batch, 1), 1), _markov(g, batch, length - 1, 64, 7) + IL_SPECIALS], 1)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


# ---- models ----------------------------------------------------------------------------------------------------------

class MatchLSTM(nn.Module):
    """Match-LSTM for inference (Wang and Jiang 2016), narrowed to 32: LSTMs over the premise and the hypothesis, the
    word-by-word attention ``e_kj = w . tanh(W^s h^s_j + W^t h^t_k + W^r h^m_(k-1))`` over the premise, the match-LSTM
    over ``[a_k; h^t_k]``, and a softmax over its last state; ``mlp_layers``: the classifier a plain tanh MLP of that
    many layers of 32 (the depth common)."""

    def __init__(self, vocab: int = 64, d: int = 32, classes: int = 3, mlp_layers: int = 0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.lstm_p = nn.LSTM(d, d, batch_first=True)
        self.lstm_h = nn.LSTM(d, d, batch_first=True)
        self.ws = nn.Linear(d, d, bias=False)
        self.wt = nn.Linear(d, d)
        self.wm = nn.Linear(d, d, bias=False)
        self.w = nn.Linear(d, 1)
        self.cell = nn.LSTMCell(2 * d, d)
        layers: list[nn.Module] = []
        for _ in range(mlp_layers):
            layers += [nn.Linear(d, d), nn.Tanh()]
        self.head = nn.Sequential(*layers, nn.Linear(d, classes))

    def forward(self, inp: Any) -> torch.Tensor:
        p, h = inp
        hs, _ = self.lstm_p(self.emb(p))
        ht, _ = self.lstm_h(self.emb(h))
        s = self.ws(hs)
        hm = hs.new_zeros(hs.shape[0], hs.shape[2])
        cm = torch.zeros_like(hm)
        for k in range(ht.shape[1]):
            e = self.w(torch.tanh(s + (self.wt(ht[:, k]) + self.wm(hm))[:, None])).squeeze(-1)
            ctx = (F.softmax(e, 1)[..., None] * hs).sum(1)
            hm, cm = self.cell(torch.cat([ctx, ht[:, k]], 1), (hm, cm))
        return self.head(hm)


class SkipThoughts(nn.Module):
    """Skip-thought vectors (Kiros et al. 2015), narrowed: word embeddings of 32, a GRU encoder of 64 over the middle
    sentence, and two conditional GRU decoders of 64 (the previous and the next sentence) fed the encoder's vector at
    every step (concatenated to the word, the paper's ``C_z h, C_r h, C h`` gate terms in one matrix), sharing the
    vocabulary matrix; ``forward((prev_in, cur, next_in))`` returns both decoders' logits."""

    def __init__(self, vocab: int = ST_VOCAB, d: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.enc = nn.GRU(d, hidden, batch_first=True)
        self.dec_prev = nn.GRU(d + hidden, hidden, batch_first=True)
        self.dec_next = nn.GRU(d + hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, inp: Any) -> Any:
        prev_in, cur, next_in = inp
        _, h = self.enc(self.emb(cur))
        v = h[-1][:, None]
        outs = []
        for dec, x in ((self.dec_prev, prev_in), (self.dec_next, next_in)):
            e = self.emb(x)
            o, _ = dec(torch.cat([e, v.expand(-1, e.shape[1], -1)], 2))
            outs.append(self.out(o))
        return tuple(outs)


def skip_thoughts_loss(out: Any, targets: Any) -> torch.Tensor:
    """The sum of the two decoders' mean token cross-entropies (the paper sums their log-likelihoods)."""
    return sum(F.cross_entropy(o.reshape(-1, o.shape[-1]), t.reshape(-1)) for o, t in zip(out, targets))


def _sinusoid(length: int, d: int) -> torch.Tensor:
    pos = torch.arange(length).float()[:, None]
    div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
    pe = torch.zeros(length, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


class TransformerTTS(nn.Module):
    """Transformer TTS (Li et al. 2019), narrowed to d = 32, 4 heads, one encoder and one decoder layer: the encoder
    pre-net (phoneme embedding, three 5-wide convs with BatchNorm, ReLU and dropout 0.5, a projection), the decoder
    pre-net (two ReLU layers of 32 with dropout 0.5, a projection), scaled positional encodings ``x + alpha PE`` with
    trainable ``alpha`` on both sides, the mel and stop-token linears and the five-conv post-net (BatchNorm, tanh,
    residual); ``forward((phonemes, mel))`` (teacher forcing) returns ``(mel before, mel after, stop logits)``."""

    def __init__(self, phones: int = 16, mels: int = 16, d: int = 32) -> None:
        super().__init__()
        self.emb = nn.Embedding(phones, d)
        convs: list[nn.Module] = []
        for _ in range(3):
            convs += [nn.Conv1d(d, d, 5, padding=2), nn.BatchNorm1d(d), nn.ReLU(), nn.Dropout(0.5)]
        self.enc_pre = nn.Sequential(*convs)
        self.enc_proj = nn.Linear(d, d)
        self.dec_pre = nn.Sequential(nn.Linear(mels, d), nn.ReLU(), nn.Dropout(0.5), nn.Linear(d, d), nn.ReLU(),
                                     nn.Dropout(0.5), nn.Linear(d, d))
        self.alpha_enc = nn.Parameter(torch.ones(()))
        self.alpha_dec = nn.Parameter(torch.ones(()))
        self.register_buffer("pe", _sinusoid(64, d))
        self.encoder = nn.TransformerEncoderLayer(d, 4, 4 * d, 0.1, batch_first=True)
        self.decoder = nn.TransformerDecoderLayer(d, 4, 4 * d, 0.1, batch_first=True)
        self.mel = nn.Linear(d, mels)
        self.stop = nn.Linear(d, 1)
        post: list[nn.Module] = []
        for i in range(5):
            post += [nn.Conv1d(mels if i == 0 else d, mels if i == 4 else d, 5, padding=2),
                     nn.BatchNorm1d(mels if i == 4 else d)]
            if i < 4:
                post += [nn.Tanh(), nn.Dropout(0.1)]
        self.post = nn.Sequential(*post)

    def forward(self, inp: Any) -> Any:
        ph, mel = inp
        x = self.enc_proj(self.enc_pre(self.emb(ph).transpose(1, 2)).transpose(1, 2))
        memory = self.encoder(x + self.alpha_enc * self.pe[:x.shape[1]])
        prev = torch.cat([torch.zeros_like(mel[:, :1]), mel[:, :-1]], 1)
        y = self.dec_pre(prev)
        t = y.shape[1]
        causal = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        h = self.decoder(y + self.alpha_dec * self.pe[:t], memory, tgt_mask=causal)
        before = self.mel(h)
        after = before + self.post(before.transpose(1, 2)).transpose(1, 2)
        return before, after, self.stop(h).squeeze(-1)


def tts_loss(out: Any, targets: Any) -> torch.Tensor:
    """The paper's loss: the mel MSE before and after the post-net plus the stop token's BCE, its positive (final)
    frames weighted 5 (the paper's 5 to 8)."""
    before, after, stop = out
    mel, flags = targets
    return (F.mse_loss(before, mel) + F.mse_loss(after, mel)
            + F.binary_cross_entropy_with_logits(stop, flags, pos_weight=torch.tensor(5.0)))


class PaddedSelfAttention(nn.Module):
    """fairseq's multi-head self-attention with a key-padding mask: the padded keys' scores filled with ``-inf``
    before the softmax."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.o = nn.Linear(d, d)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads)
        s = s.masked_fill(pad[:, None, None, :], float("-inf"))
        return self.o((F.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, d))


class CMLMDecoderLayer(nn.Module):
    """A post-LN decoder layer without a causal mask: padded self-attention, attention to the source, a ReLU
    feed-forward of 2d, dropout 0.1, each with its residual and LayerNorm."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.self_attn = PaddedSelfAttention(d, heads)
        self.cross = nn.MultiheadAttention(d, heads, dropout=0.1, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Dropout(0.1), nn.Linear(2 * d, d))
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop = nn.Dropout(0.1)

    def forward(self, y: torch.Tensor, mem: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        y = self.n1(y + self.drop(self.self_attn(y, pad)))
        y = self.n2(y + self.drop(self.cross(y, mem, mem, need_weights=False)[0]))
        return self.n3(y + self.drop(self.ff(y)))


class CMLM(nn.Module):
    """Mask-Predict's conditional masked LM (Ghazvininejad et al. 2019), narrowed to d = 32, 4 heads, one encoder and
    one decoder layer (post-LN, ReLU feed-forward of 64, dropout 0.1), fairseq's sinusoidal positions, embeddings
    N(0, d^-1/2) scaled by sqrt(d), the decoder without a causal mask, its input and output embeddings shared; the
    target length is given (the length predictor left out). The decoder's self-attention hides the keys where
    ``dec_in == pad_id``, as fairseq builds its key-padding mask."""

    def __init__(self, vocab: int = CM_VOCAB, d: int = 32, length: int = 4, pad_id: int = CM_PAD) -> None:
        super().__init__()
        self.d, self.pad_id = d, pad_id
        self.src_emb = nn.Embedding(vocab, d)
        self.tgt_emb = nn.Embedding(vocab, d)
        for e in (self.src_emb, self.tgt_emb):
            nn.init.normal_(e.weight, 0.0, d ** -0.5)
        self.register_buffer("pos", _sinusoid(length, d))
        self.encoder = nn.TransformerEncoderLayer(d, 4, 2 * d, 0.1, batch_first=True)
        self.decoder = CMLMDecoderLayer(d, 4)

    def forward(self, inp: Any) -> torch.Tensor:
        src, dec = inp
        scale = math.sqrt(self.d)
        mem = self.encoder(self.src_emb(src) * scale + self.pos)
        h = self.decoder(self.tgt_emb(dec) * scale + self.pos, mem, dec == self.pad_id)
        return h @ self.tgt_emb.weight.t()


def cmlm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the masked target words, label smoothing 0.1 (the paper's)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100,
                           label_smoothing=0.1)


class TERA(nn.Module):
    """TERA (Liu, Li and Lee 2021; Mockingjay's encoder), narrowed to d = 32, 4 heads, two post-LN layers with GELU
    feed-forwards of 64: the input projection, sinusoidal positions, a LayerNorm and dropout 0.1, the encoder, and the
    prediction head ``Linear - GELU - LayerNorm - Linear`` back to the 16 bands; ``head_bias``: the head's first
    Linear given that bias (the activation common)."""

    def __init__(self, mels: int = 16, d: int = 32, layers: int = 2, head_bias: float | None = None) -> None:
        super().__init__()
        self.inp = nn.Linear(mels, d)
        self.register_buffer("pe", _sinusoid(64, d))
        self.norm = nn.LayerNorm(d)
        self.drop = nn.Dropout(0.1)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(d, 4, 2 * d, 0.1, activation="gelu", batch_first=True), layers,
            enable_nested_tensor=False)
        self.head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.LayerNorm(d), nn.Linear(d, mels))
        if head_bias is not None:
            nn.init.constant_(self.head[0].bias, head_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.norm(self.inp(x) + self.pe[:x.shape[1]]))
        return self.head(self.encoder(h))


def tera_loss(pred: torch.Tensor, targets: Any) -> torch.Tensor:
    """TERA's L1 reconstruction over the altered frames and bands."""
    x, alt = targets
    return (pred - x).abs()[alt].mean()


class AllAttentionLayer(nn.Module):
    """The all-attention layer (Sukhbaatar et al. 2019): causal multi-head self-attention whose keys and values are
    extended by ``n`` persistent vectors per head (always visible), the feed-forward sublayer removed; the residual
    and a post-LayerNorm."""

    def __init__(self, d: int, heads: int, n: int) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.o = nn.Linear(d, d)
        self.pk = nn.Parameter(torch.randn(heads, n, self.dh) * self.dh ** -0.5)
        self.pv = nn.Parameter(torch.randn(heads, n, self.dh) * n ** -0.5)
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        k = torch.cat([k, self.pk.expand(b, -1, -1, -1)], 2)
        v = torch.cat([v, self.pv.expand(b, -1, -1, -1)], 2)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(self.dh)
        future = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        mask = torch.cat([future, torch.zeros(t, self.pk.shape[1], dtype=torch.bool)], 1)
        s = s.masked_fill(mask, float("-inf"))
        out = (F.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, d)
        return self.norm(x + self.o(out))


class AllAttentionLM(nn.Module):
    """An all-attention LM, narrowed to d = 32, 4 heads, 16 persistent vectors a head and two layers; learned
    absolute positions in place of the paper's relative ones and adaptive span."""

    def __init__(self, vocab: int = AA_VOCAB, d: int = 32, layers: int = 2, n: int = 16, length: int = 64) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(length, d) * 0.02)
        self.layers = nn.ModuleList(AllAttentionLayer(d, 4, n) for _ in range(layers))
        self.out = nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x) + self.pos[:x.shape[1]]
        for layer in self.layers:
            h = layer(h)
        return self.out(h)


def shifted_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The causal LM loss as HF models compute it: the logits of positions ``0 .. L-2`` against the labels ``1 ..
    L-1``."""
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))


class MultiresLayer(nn.Module):
    """MultiresConv's layer (Shi, Li and Zemel 2023): a causal depthwise wavelet-like tree with filters ``h0``
    (low-pass) and ``h1`` (high-pass) of width 2 shared over ``J = log2 L`` levels of dilation ``2^j``, the output
    the mix ``sum_j w_j x_j^high + w_0 x_J^low`` plus a skip ``D x``."""

    def __init__(self, d: int, levels: int, k: int = 2) -> None:
        super().__init__()
        self.k, self.levels = k, levels
        self.h0 = nn.Parameter(torch.randn(d, 1, k) * math.sqrt(2.0 / (2 * k)))
        self.h1 = nn.Parameter(torch.randn(d, 1, k) * math.sqrt(2.0 / (2 * k)))
        self.w = nn.Parameter(torch.randn(d, levels + 1) * math.sqrt(2.0 / (2 * levels + 2)))
        self.skip = nn.Parameter(torch.randn(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # (b, d, L)
        d = x.shape[1]
        low, y = x, 0.0
        for j in range(self.levels):
            dil = 2 ** j
            padded = F.pad(low, ((self.k - 1) * dil, 0))
            high = F.conv1d(padded, self.h1, dilation=dil, groups=d)
            low = F.conv1d(padded, self.h0, dilation=dil, groups=d)
            y = y + self.w[:, j + 1, None] * high
        return y + self.w[:, 0, None] * low + self.skip[:, None] * x


class MultiresNet(nn.Module):
    """A MultiresConv classifier, narrowed to d = 32 and two blocks ``x + Conv1x1-GLU(dropout(GELU(Multires(x))))``
    each followed by a LayerNorm, mean-pooled to a linear classifier."""

    def __init__(self, vocab: int = 32, d: int = 32, blocks: int = 2, length: int = 32, classes: int = 4) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        levels = math.ceil(math.log2(length))
        self.layers = nn.ModuleList(MultiresLayer(d, levels) for _ in range(blocks))
        self.mix = nn.ModuleList(nn.Conv1d(d, 2 * d, 1) for _ in range(blocks))
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(blocks))
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x).transpose(1, 2)
        for layer, mix, norm in zip(self.layers, self.mix, self.norms):
            y = F.glu(mix(self.drop(F.gelu(layer(h)))), dim=1)
            h = norm((h + y).transpose(1, 2)).transpose(1, 2)
        return self.head(h.mean(2))


class IndyLSTM(nn.Module):
    """IndyLSTMs (Gonnet and Deselaers 2019): LSTM layers whose recurrent weights are diagonal, ``g = W x_t + u *
    h_(t-1) + b`` for each of the four gates, the forget gate's bias 1; narrowed to two layers of 64 over embeddings
    of 32, an LM; ``suppress``: the logits of the ids ``0 .. suppress-1`` set to ``-inf`` (the special tokens, never
    to be predicted)."""

    def __init__(self, vocab: int = IL_VOCAB, d: int = 32, hidden: int = 64, layers: int = 2,
                 suppress: int = IL_SPECIALS, recurrent: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.w = nn.ModuleList(nn.Linear(d if i == 0 else hidden, 4 * hidden) for i in range(layers))
        self.u = nn.ParameterList(nn.Parameter(torch.empty(4 * hidden).uniform_(-1, 1)) for _ in range(layers))
        if recurrent is not None:
            for u in self.u:
                nn.init.constant_(u, recurrent)
        for lin in self.w:
            with torch.no_grad():
                lin.bias.zero_()
                lin.bias[hidden:2 * hidden] = 1.0
        self.out = nn.Linear(hidden, vocab)
        self.hidden, self.suppress = hidden, suppress

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h_seq = self.emb(x)
        for w, u in zip(self.w, self.u):
            gx = w(h_seq)
            h = gx.new_zeros(x.shape[0], self.hidden)
            c = torch.zeros_like(h)
            outs = []
            for t in range(x.shape[1]):
                i, f, g, o = (gx[:, t] + u * h.repeat(1, 4)).chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                outs.append(h)
            h_seq = torch.stack(outs, 1)
        logits = self.out(h_seq)
        mask = torch.zeros(logits.shape[-1], dtype=torch.bool)
        mask[:self.suppress] = True
        return logits.masked_fill(mask, float("-inf"))


# ---- builders --------------------------------------------------------------------------------------------------------

def match_lstm(seed: int, lr: float = 1e-3, mlp_layers: int = 0, shuffled: bool = False) -> Setup:
    """Match-LSTM on the inference pairs (batch 32), cross-entropy, Adam at the paper's lr 1e-3 (betas 0.9, 0.999);
    ``mlp_layers``: see :class:`MatchLSTM`; ``shuffled``: see :func:`nli_batches`."""
    torch.manual_seed(SEED0 + seed)
    model = MatchLSTM(mlp_layers=mlp_layers)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), nli_batches(seed, shuffled=shuffled),
               F.cross_entropy)


def skip_thoughts(seed: int, lr: float = 1e-3, zero_init: bool = False, weight_decay: float | None = None) -> Setup:
    """Skip-thoughts on the three-sentence stories (batch 16), :func:`skip_thoughts_loss`, Adam at lr 1e-3 with the
    paper's gradient clipping at norm 10; ``zero_init``: every parameter zero (the init common); ``weight_decay``:
    AdamW at that decoupled decay in place of Adam (the regularization common)."""
    torch.manual_seed(SEED0 + seed)
    model = SkipThoughts()
    if zero_init:
        for p in model.parameters():
            nn.init.zeros_(p)
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if weight_decay is None
           else torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay))
    return _xy(model, opt, story_batches(seed), skip_thoughts_loss, clip=10.0)


def transformer_tts(seed: int, lr: float = 1e-3, clamp: bool = True) -> Setup:
    """Transformer TTS on the phoneme-to-mel pairs (batch 16), :func:`tts_loss`, Adam betas (0.9, 0.98), eps 1e-9 as
    the paper, its Noam schedule narrowed to a 20-step linear warm-up to lr 1e-3, then constant; ``clamp=False``:
    see :func:`tts_batches`."""
    torch.manual_seed(SEED0 + seed)
    model = TransformerTTS()
    data = tts_batches(seed, clamp=clamp)

    def batches(step: int) -> Any:
        ph, (mel, stop) = data(step)
        return (ph, mel), (mel, stop)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20))
    return _xy(model, opt, batches, tts_loss, sched)


def cmlm(seed: int, lr: float = 4e-3, mask_id: int = CM_MASK, unrelated: bool = False) -> Setup:
    """The CMLM on the substitution pairs (batch 32), :func:`cmlm_loss`, Adam betas (0.9, 0.98), eps 1e-6 as the
    paper, its inverse-square-root schedule narrowed to a 20-step linear warm-up to lr 4e-3 (its peak 5e-4 is for
    300,000 steps), then ``(20 / step)^0.5``; ``mask_id``: the id written for a masked target word (the slip: the
    padding id, 0); ``unrelated``: see :func:`cmlm_batches`."""
    torch.manual_seed(SEED0 + seed)
    model = CMLM()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-6)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / 20, (20 / (s + 1)) ** 0.5))
    return _xy(model, opt, cmlm_batches(seed, mask_id=mask_id, unrelated=unrelated), cmlm_loss, sched)


def tera(seed: int, lr: float = 1e-3, cmvn: bool = True, eps: float = 1e-5, head_bias: float | None = None
         ) -> Setup:
    """TERA on the altered log-mel features (batch 16), :func:`tera_loss`, AdamW (weight decay 0.01) at lr 1e-3
    (set here; its 2e-4 with warm-up runs for 200,000 steps); ``cmvn``, ``eps``: see :func:`speech_features`;
    ``head_bias``: see :class:`TERA`."""
    torch.manual_seed(SEED0 + seed)
    model = TERA(head_bias=head_bias)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return _xy(model, opt, speech_features(seed, cmvn=cmvn, eps=eps), tera_loss)


def all_attention(seed: int, lr: float = 0.07, double_bos: bool = False) -> Setup:
    """The all-attention LM on the pair text (batch 8), :func:`shifted_lm_loss`, the paper's Adagrad at lr 0.07 with
    the gradients clipped at norm 0.03, its 32,000-step linear warm-up narrowed to 20 steps; ``double_bos``: see
    :func:`pair_text`."""
    torch.manual_seed(SEED0 + seed)
    model = AllAttentionLM()
    opt = torch.optim.Adagrad(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20))
    return _xy(model, opt, pair_text(seed, double_bos=double_bos), shifted_lm_loss, sched, clip=0.03)


def multires(seed: int, lr: float = 3e-3, weight_decay: float = 0.01) -> Setup:
    """The MultiresConv classifier on the majority sequences (batch 32), cross-entropy, AdamW at lr 3e-3 and weight
    decay 0.01 (set here)."""
    torch.manual_seed(SEED0 + seed)
    model = MultiresNet()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, majority_sequences(seed), F.cross_entropy)


def indylstm(seed: int, lr: float = 3e-3, suppress: int = IL_SPECIALS, recurrent: float | None = None) -> Setup:
    """The IndyLSTM LM on the Markov text (batch 16), token cross-entropy, Adam at lr 3e-3 (set here) and gradient
    clipping at norm 1; ``recurrent``: every diagonal recurrent weight set to that value (the recurrence common;
    the default U(-1, 1)); ``suppress``: how many leading ids are masked as special tokens (the slip: 4, another
    tokeniser's ``<pad> <s> </s> <unk>`` block, where this vocabulary has two)."""
    torch.manual_seed(SEED0 + seed)
    model = IndyLSTM(suppress=suppress, recurrent=recurrent)

    def loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), lm_text(seed), loss, clip=1.0)
