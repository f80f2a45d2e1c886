"""Builders of the ninety-fifth held-out batch (``fresh94.py``): sequence, NLP and speech models new to the corpus at
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

BASE = 940_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(BASE + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(9400 + k)


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
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Embedding)):
                m.weight.normal_(0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, ``(inputs (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def lexicon(seed: int, batch: int = 8, length: int = 32, vocab: int = 64) -> Callable[[int], Any]:
    """A "glossary" text: uniform head words each followed by its fixed gloss (a fixed permutation of the vocabulary),
    ``a1 f(a1) a2 f(a2) ...``: ``(inputs (b, 32), next tokens (b, 32))``. Every second next token is predictable from
    the current one (the best loss is about ``ln(64) / 2``); the token two ahead never is."""
    perm = torch.randperm(vocab, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        heads = torch.randint(0, vocab, (batch, (length + 2) // 2), generator=g)
        x = torch.stack([heads, perm[heads]], 2).reshape(batch, -1)[:, : length + 1]
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def reversal(seed: int, batch: int = 32, length: int = 8, vocab: int = 16) -> Callable[[int], Any]:
    """A toy translation: source sentences of 8 uniform words (ids 0..15); the target is the source reversed and
    every word mapped through a fixed bilingual dictionary (a permutation): ``(source, target)``, both ``(b, 8)``."""
    perm = torch.randperm(vocab, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        src = torch.randint(0, vocab, (batch, length), generator=g)
        return src, perm[src.flip(1)]
    return _pool(seed, make)


def first_token(seed: int, batch: int = 32, length: int = 16, vocab: int = 32, classes: int = 4,
                shuffled: bool = False) -> Callable[[int], Any]:
    """Uniform token sequences labelled by the class (``token % 4``) of their first token: ``(tokens, class)``;
    ``shuffled``: the labels permuted within every batch, apart from their sequences."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        y = x[:, 0] % classes
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def phone_frames(seed: int, batch: int = 16, frames: int = 48, bins: int = 40, phones: int = 8
                 ) -> Callable[[int], Any]:
    """Log-mel-like utterances of 48 frames of 40 bins, each a run of phones of 3 to 8 frames; each phone a fixed
    smooth spectral template plus N(0, 0.8^2) noise, with a one-frame linear transition between phones:
    ``(features (b, 48, 40), frame labels (b, 48))``."""
    templates = F.interpolate(torch.randn(phones, 1, 8, generator=_fixed(3)), size=bins, mode="linear",
                              align_corners=False)[:, 0]

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.empty(batch, frames, dtype=torch.long)
        for i in range(batch):
            t = 0
            while t < frames:
                n = int(torch.randint(3, 9, (1,), generator=g))
                y[i, t:t + n] = int(torch.randint(0, phones, (1,), generator=g))
                t += n
        x = templates[y]
        x = torch.cat([x[:, :1], 0.5 * (x[:, 1:] + x[:, :-1])], 1) * 0.5 + 0.5 * x
        return x + 0.8 * torch.randn(x.shape, generator=g), y
    return _pool(seed, make)


def noisy_spectra(seed: int, batch: int = 16, frames: int = 32, bins: int = 31) -> Callable[[int], Any]:
    """Magnitude spectrograms for enhancement: clean speech-like magnitudes (a smooth positive field over 32 frames and
    31 bins, a few harmonic ridges that drift in time), additive noise magnitudes ``|N(0, 0.6^2)|`` smoothed over
    frequency, the utterances 20 to 32 frames long and zero-padded (digital silence, exactly 0 in both):
    ``(noisy (b, 32, 31), clean (b, 32, 31))``."""
    f = torch.arange(bins).float()

    def make(g: torch.Generator, _: int) -> Any:
        f0 = 2.0 + 3.0 * torch.rand(batch, 1, 1, generator=g)
        drift = 1.0 + 0.3 * torch.sin(torch.linspace(0, math.pi, frames)[None, :, None]
                                      + 2 * math.pi * torch.rand(batch, 1, 1, generator=g))
        centre = f0 * drift
        clean = torch.zeros(batch, frames, bins)
        for k in range(1, 5):
            clean = clean + torch.exp(-((f - k * centre) ** 2) / 2.0) / k
        env = 0.5 + torch.rand(batch, frames, 1, generator=g)
        clean = clean * env
        noise = 0.6 * torch.randn(batch, frames, bins, generator=g).abs()
        noise = F.avg_pool1d(noise.reshape(-1, 1, bins), 3, 1, 1).reshape(batch, frames, bins)
        noisy = clean + noise
        lengths = torch.randint(20, frames + 1, (batch,), generator=g)
        keep = (torch.arange(frames)[None] < lengths[:, None]).float()[..., None]
        return noisy * keep, clean * keep
    return _pool(seed, make)


def cloze(seed: int, batch: int = 32, doc: int = 24, vocab: int = 32, span: int = 3) -> Callable[[int], Any]:
    """A toy reading-comprehension cloze: a document of 24 uniform tokens (ids 2..33); the query is a 3-token span
    copied from the document followed by the placeholder id 1; the answer is the token that follows that span in the
    document: ``((document (b, 24), query (b, 4)), answer (b,))``; the answer is always in the document."""
    def make(g: torch.Generator, _: int) -> Any:
        d = torch.randint(2, vocab + 2, (batch, doc), generator=g)
        start = torch.randint(0, doc - span, (batch,), generator=g)
        idx = start[:, None] + torch.arange(span)[None]
        q = torch.cat([d.gather(1, idx), torch.ones(batch, 1, dtype=torch.long)], 1)
        return (d, q), d.gather(1, (start + span)[:, None])[:, 0]
    return _pool(seed, make)


# ---- GNMT ------------------------------------------------------------------------------------------------------------

class GNMT(nn.Module):
    """GNMT (Wu et al. 2016), narrowed: embeddings of 32, an encoder of a bidirectional LSTM layer (16 a direction)
    and two unidirectional LSTM layers of 32, the last with a residual connection; a decoder of two LSTM layers of 32
    (the second residual) whose bottom layer's output queries a normalised Bahdanau attention over the encoder's
    outputs, the context fed to both decoder layers and to the softmax; trained with teacher forcing (the decoder's
    input at step t is the gold word of step t - 1, a start id 16 first)."""

    def __init__(self, vocab: int = 16, d: int = 32) -> None:
        super().__init__()
        self.vocab = vocab
        self.src_emb = nn.Embedding(vocab, d)
        self.tgt_emb = nn.Embedding(vocab + 1, d)
        self.enc1 = nn.LSTM(d, d // 2, batch_first=True, bidirectional=True)
        self.enc2 = nn.LSTM(d, d, batch_first=True)
        self.enc3 = nn.LSTM(d, d, batch_first=True)
        self.dec1 = nn.LSTMCell(2 * d, d)
        self.dec2 = nn.LSTMCell(2 * d, d)
        self.wk = nn.Linear(d, d, bias=False)
        self.wq = nn.Linear(d, d)
        self.v = nn.Parameter(torch.randn(d) / math.sqrt(d))
        self.g = nn.Parameter(torch.tensor(1.0 / math.sqrt(d)))
        self.out = nn.Linear(2 * d, vocab)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        e, _ = self.enc1(self.src_emb(src))
        e, _ = self.enc2(e)
        e3, _ = self.enc3(e)
        enc = e + e3
        keys = self.wk(enc)
        b, n = tgt.shape
        dec_in = torch.cat([torch.full((b, 1), self.vocab, dtype=torch.long), tgt[:, :-1]], 1)
        emb = self.tgt_emb(dec_in)
        d = enc.shape[-1]
        h1 = c1 = h2 = c2 = enc.new_zeros(b, d)
        ctx = enc.new_zeros(b, d)
        vn = self.g * self.v / self.v.norm()
        logits = []
        for t in range(n):
            h1, c1 = self.dec1(torch.cat([emb[:, t], ctx], 1), (h1, c1))
            score = (torch.tanh(keys + self.wq(h1)[:, None]) * vn).sum(-1)
            ctx = (score.softmax(1)[..., None] * enc).sum(1)
            h2n, c2 = self.dec2(torch.cat([h1, ctx], 1), (h2, c2))
            h2 = h2n + h1
            logits.append(self.out(torch.cat([h2, ctx], 1)))
        return torch.stack(logits, 1)


def _seq2seq_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    src, tgt = batch
    return lm_loss(model(src, tgt), tgt)


def gnmt(seed: int, lr: float = 3e-3) -> Setup:
    """GNMT on the reversal translation (batch 32 of 8 words), token cross-entropy, Adam at lr 3e-3 (the paper's
    Adam phase used 2e-4 over millions of steps; set here for 200) with the paper's gradient clipping at norm 5."""
    torch.manual_seed(BASE + seed)
    model = GNMT()
    batches = reversal(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return Setup(model, opt, None, batches(0), None, _seq2seq_loss, batches, clip=5.0, needs_closure=True)


# ---- CRN (speech enhancement) ----------------------------------------------------------------------------------------

class CRN(nn.Module):
    """The convolutional recurrent network of Tan & Wang (2018), narrowed: log-compressed noisy magnitudes
    ``log(|X| + eps)`` in, an encoder of three causal 2x3 convolutions with stride 2 along frequency (8, 16, 32
    channels; 31 -> 15 -> 7 -> 3 bins), each with BatchNorm and ELU, two LSTM layers of 96 over the flattened
    frames, a mirrored decoder of transposed convolutions fed the encoder's skip connections by concatenation,
    BatchNorm and ELU, and a softplus output estimating the clean magnitude."""

    def __init__(self, eps: float = 1e-8, bn: bool = True) -> None:
        super().__init__()
        self.eps = eps
        norm = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        ch = [1, 8, 16, 32]
        self.enc = nn.ModuleList(nn.Conv2d(ch[i], ch[i + 1], (2, 3), stride=(1, 2)) for i in range(3))
        self.enc_bn = nn.ModuleList(norm(ch[i + 1]) for i in range(3))
        self.lstm = nn.LSTM(96, 96, num_layers=2, batch_first=True)
        self.dec = nn.ModuleList(nn.ConvTranspose2d(2 * ch[i + 1], max(ch[i], 8), (2, 3), stride=(1, 2))
                                 for i in reversed(range(3)))
        self.dec_bn = nn.ModuleList([norm(16), norm(8)])
        self.head = nn.Conv2d(8, 1, 1)

    def forward(self, mag: torch.Tensor) -> torch.Tensor:
        x = torch.log(mag + self.eps)[:, None]
        skips = []
        for conv, bn in zip(self.enc, self.enc_bn):
            x = F.elu(bn(conv(F.pad(x, (0, 0, 1, 0)))))
            skips.append(x)
        b, c, t, f = x.shape
        r, _ = self.lstm(x.permute(0, 2, 1, 3).reshape(b, t, c * f))
        x = r.reshape(b, t, c, f).permute(0, 2, 1, 3)
        for i, deconv in enumerate(self.dec):
            x = deconv(torch.cat([x, skips[-1 - i]], 1))[:, :, :-1]
            if i < 2:
                x = F.elu(self.dec_bn[i](x))
        return F.softplus(self.head(x))[:, 0]


def crn(seed: int, lr: float = 2e-4, eps: float = 1e-8, bn: bool = True) -> Setup:
    """The CRN on the zero-padded noisy spectra (batch 16), mean squared error on the magnitudes, Adam at the paper's
    lr 2e-4; ``eps``: see :class:`CRN`."""
    torch.manual_seed(BASE + seed)
    model = CRN(eps=eps, bn=bn)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), noisy_spectra(seed), F.mse_loss)


# ---- TDS (time-depth separable convolutions) -------------------------------------------------------------------------

class TDSBlock(nn.Module):
    """A TDS block (Hannun et al. 2019): a 2-D convolution over time only (kernel 5 x 1) on the features viewed as
    ``(c, w)``, ReLU, a residual and LayerNorm over all ``c * w`` features; then a fully connected sub-block
    ``Linear-ReLU-Linear`` with a residual and LayerNorm. ``plain``: neither residual nor LayerNorm."""

    def __init__(self, c: int, w: int, kernel: int = 5, plain: bool = False, relu_bias: float | None = None,
                 ln: bool = True) -> None:
        super().__init__()
        self.c, self.w, self.plain = c, w, plain
        self.conv = nn.Conv2d(c, c, (kernel, 1), padding=(kernel // 2, 0))
        self.ln1 = nn.LayerNorm(c * w) if ln else nn.Identity()
        self.fc1 = nn.Linear(c * w, c * w)
        self.fc2 = nn.Linear(c * w, c * w)
        self.ln2 = nn.LayerNorm(c * w) if ln else nn.Identity()
        if relu_bias is not None:
            with torch.no_grad():
                self.conv.bias.fill_(relu_bias)
                self.fc1.bias.fill_(relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        y = self.conv(x.reshape(b, t, self.c, self.w).permute(0, 2, 1, 3))
        y = F.relu(y).permute(0, 2, 1, 3).reshape(b, t, -1)
        if self.plain:
            return self.fc2(F.relu(self.fc1(y)))
        x = self.ln1(x + y)
        return self.ln2(x + self.fc2(F.relu(self.fc1(x))))


class TDS(nn.Module):
    """A TDS acoustic model, narrowed to framewise phone classification: a 1-D convolution (kernel 5) from 40 log-mel
    bins to 80 features (``c = 4`` channels of ``w = 20``), ReLU, ``blocks`` TDS blocks, and a linear layer to the
    phones at every frame."""

    def __init__(self, blocks: int = 2, plain: bool = False, relu_bias: float | None = None, ln: bool = True,
                 phones: int = 8) -> None:
        super().__init__()
        self.inp = nn.Conv1d(40, 80, 5, padding=2)
        if relu_bias is not None:
            with torch.no_grad():
                self.inp.bias.fill_(relu_bias)
        self.blocks = nn.ModuleList(TDSBlock(4, 20, plain=plain, relu_bias=relu_bias, ln=ln) for _ in range(blocks))
        self.out = nn.Linear(80, phones)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.inp(x.transpose(1, 2))).transpose(1, 2)
        for blk in self.blocks:
            x = blk(x)
        return self.out(x)


def tds(seed: int, lr: float = 1e-3, blocks: int = 2, plain: bool = False, relu_bias: float | None = None,
        ln: bool = True, weight_decay: float = 0.0, adamw: bool = False, sgd: bool = False) -> Setup:
    """TDS on the phone-labelled frames (batch 16 of 48 frames), framewise cross-entropy, Adam at lr 1e-3 (set here);
    ``blocks``, ``plain``, ``relu_bias``: see :class:`TDS`; ``weight_decay``, ``adamw``: AdamW with that decay."""
    torch.manual_seed(BASE + seed)
    model = TDS(blocks=blocks, plain=plain, relu_bias=relu_bias, ln=ln)
    if sgd:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:
        cls = torch.optim.AdamW if adamw else torch.optim.Adam
        opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, phone_frames(seed), lm_loss)


def tds_sgd(seed: int, ln: bool = True) -> Setup:
    """The deeper TDS (8 blocks) under SGD, as the paper trains, at lr 0.1 with momentum 0.9 (set here); ``ln``:
    see :class:`TDSBlock`."""
    return tds(seed, lr=0.1, blocks=8, ln=ln, sgd=True)


# ---- Stack-augmented RNN ---------------------------------------------------------------------------------------------

class StackRNN(nn.Module):
    """The stack-augmented RNN of Joulin & Mikolov (2015): a sigmoid recurrent layer of 40 units that also reads the
    top 2 cells of a continuous stack (depth 16) of 20-dimensional cells, a softmax over {push, pop, no-op} from the
    hidden state, the pushed value ``sigmoid(D h)``, and a softmax over the next token. As an autoregressive LM its
    decoding loop feeds it, at step t, the gold token of step t - 1 (a start id 64 first).
    ``start_every_step``: the loop never updates its input, so the start id is fed at every step."""

    def __init__(self, vocab: int = 64, hidden: int = 40, cell: int = 20, depth: int = 16, top: int = 2,
                 start_every_step: bool = False) -> None:
        super().__init__()
        self.vocab, self.cell, self.depth, self.top = vocab, cell, depth, top
        self.start_every_step = start_every_step
        self.emb = nn.Embedding(vocab + 1, hidden)
        self.rec = nn.Linear(hidden, hidden, bias=False)
        self.read = nn.Linear(top * cell, hidden, bias=False)
        self.act = nn.Linear(hidden, 3)
        self.push = nn.Linear(hidden, cell)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        b, n = tokens.shape
        h = tokens.new_zeros(b, self.rec.in_features, dtype=torch.float)
        stack = h.new_zeros(b, self.depth, self.cell)
        inp = torch.full((b,), self.vocab, dtype=torch.long)
        logits = []
        for t in range(n):
            h = torch.sigmoid(self.emb(inp) + self.rec(h) + self.read(stack[:, : self.top].reshape(b, -1)))
            a = self.act(h).softmax(-1)[..., None]
            pushed = torch.cat([torch.sigmoid(self.push(h))[:, None], stack[:, :-1]], 1)
            popped = torch.cat([stack[:, 1:], stack.new_zeros(b, 1, self.cell)], 1)
            stack = a[:, 0:1] * pushed + a[:, 1:2] * popped + a[:, 2:3] * stack
            logits.append(self.out(h))
            if not self.start_every_step:
                inp = tokens[:, t]
        return torch.stack(logits, 1)


def stack_rnn(seed: int, lr: float = 0.1, start_every_step: bool = False) -> Setup:
    """The stack RNN LM on the Markov text (batch 8 of 32 tokens; the model is fed the targets themselves and shifts
    them inside its decoding loop), token cross-entropy, SGD at the paper's lr 0.1 with momentum 0.9 (set here) and
    gradient clipping at norm 15 (the paper's hard clip at 15); ``start_every_step``: see :class:`StackRNN`."""
    torch.manual_seed(BASE + seed)
    model = StackRNN(start_every_step=start_every_step)
    data = text(seed)
    batches = lambda step: (data(step)[1], data(step)[1])  # noqa: E731
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return _xy(model, opt, batches, lm_loss, clip=15.0)


# ---- Feedback Transformer --------------------------------------------------------------------------------------------

class FeedbackLayer(nn.Module):
    """One pre-LN layer of the Feedback Transformer: attention from the current step to the shared memory (its own
    key and value projections), then a ReLU feed-forward of 4x."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.o = nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor, mem: torch.Tensor) -> torch.Tensor:
        b, d = x.shape
        hd = d // self.heads
        h = self.ln1(x)
        k, v = self.kv(torch.cat([mem, h[:, None]], 1)).chunk(2, -1)
        q = self.q(h).view(b, self.heads, 1, hd)
        k = k.view(b, -1, self.heads, hd).transpose(1, 2)
        v = v.view(b, -1, self.heads, hd).transpose(1, 2)
        att = ((q @ k.transpose(-1, -2)) / math.sqrt(hd)).softmax(-1) @ v
        x = x + self.o(att.reshape(b, d))
        return x + self.ff(self.ln2(x))


class FeedbackTransformer(nn.Module):
    """The Feedback Transformer (Fan et al. 2021), narrowed: token embeddings of 64 plus learned positions, two layers
    of 4 heads that attend at step t to a memory of every earlier step, where each step's memory vector is a
    softmax-weighted sum of all its layers' outputs (the embedding included); final LayerNorm, tied output. Its
    training loop runs step by step (the memory of step t needs every layer of step t - 1) and feeds the gold token
    of each step. ``own_outputs``: from the second step on, the loop feeds the model's own greedy prediction of the
    previous step instead (the generation loop reused for training)."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, heads: int = 4, length: int = 32,
                 own_outputs: bool = False) -> None:
        super().__init__()
        self.own_outputs = own_outputs
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(length, d) * 0.02)
        self.layers = nn.ModuleList(FeedbackLayer(d, heads) for _ in range(layers))
        self.mix = nn.Parameter(torch.zeros(layers + 1))
        self.ln = nn.LayerNorm(d)
        nn.init.normal_(self.emb.weight, std=0.02)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        b, n = tokens.shape
        mem = self.emb.weight.new_zeros(b, 0, self.emb.embedding_dim)
        w = self.mix.softmax(0)
        logits = []
        inp = tokens[:, 0]
        for t in range(n):
            x = self.emb(inp) + self.pos[t]
            states = [x]
            for layer in self.layers:
                x = layer(x, mem)
                states.append(x)
            mem = torch.cat([mem, (torch.stack(states, 0) * w[:, None, None]).sum(0)[:, None]], 1)
            logit = self.ln(x) @ self.emb.weight.T
            logits.append(logit)
            if t + 1 < n:
                inp = logit.argmax(-1).detach() if self.own_outputs else tokens[:, t + 1]
        return torch.stack(logits, 1)


def feedback(seed: int, lr: float = 1e-3, own_outputs: bool = False) -> Setup:
    """The Feedback Transformer LM on the Markov text (batch 8 of 32 tokens), token cross-entropy, Adam at lr 1e-3
    (set here) after a linear warm-up of 10 steps; ``own_outputs``: see :class:`FeedbackTransformer`."""
    torch.manual_seed(BASE + seed)
    model = FeedbackTransformer(own_outputs=own_outputs)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10))
    return _xy(model, opt, text(seed), lm_loss, sched=sched)


# ---- Hourglass Transformer -------------------------------------------------------------------------------------------

class CausalLayer(nn.Module):
    """A pre-LN causal Transformer layer (4 heads, GELU feed-forward of 4x)."""

    def __init__(self, d: int, heads: int = 4, ln: bool = True) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = (nn.LayerNorm(d), nn.LayerNorm(d)) if ln else (nn.Identity(), nn.Identity())
        self.qkv = nn.Linear(d, 3 * d)
        self.o = nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o(att.transpose(1, 2).reshape(b, n, d))
        return x + self.ff(self.ln2(x))


class Hourglass(nn.Module):
    """The Hourglass Transformer (Nawrot et al. 2022), narrowed: token embeddings of 64 plus learned positions, one
    full-resolution causal layer, a right shift by ``k - 1 = 1`` and linear shortening by ``k = 2`` (pairs of tokens
    concatenated and projected), two shortened causal layers, linear upsampling back to full resolution added to the
    first layer's output (the residual over the shortened part), one full-resolution causal layer, final LayerNorm
    and the output projection."""

    def __init__(self, vocab: int = 64, d: int = 64, length: int = 32, k: int = 2, ln: bool = True) -> None:
        super().__init__()
        self.k = k
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(length, d) * 0.02)
        self.pre = CausalLayer(d, ln=ln)
        self.down = nn.Linear(k * d, d)
        self.mid = nn.ModuleList(CausalLayer(d, ln=ln) for _ in range(2))
        self.up = nn.Linear(d, k * d)
        self.post = CausalLayer(d, ln=ln)
        self.ln = nn.LayerNorm(d) if ln else nn.Identity()
        self.out = nn.Linear(d, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        b, n = tokens.shape
        x = self.pre(self.emb(tokens) + self.pos[:n])
        s = F.pad(x, (0, 0, self.k - 1, 0))[:, :n]
        s = self.down(s.reshape(b, n // self.k, -1))
        for layer in self.mid:
            s = layer(s)
        x = x + self.up(s).reshape(b, n, -1)
        return self.out(self.ln(self.post(x)))


def shifted_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The causal-LM loss of Hugging Face's ``*ForCausalLM`` models, which shift the labels themselves: position t's
    logits against label t + 1."""
    return lm_loss(logits[:, :-1], labels[:, 1:])


def hourglass(seed: int, lr: float = 1e-3, init_std: float | None = None, shift_again: bool = False,
              ln: bool = True) -> Setup:
    """The Hourglass LM on the glossary text (batch 8 of 32 tokens), token cross-entropy, Adam at lr 1e-3 (set here)
    after a linear warm-up of 10 steps; ``init_std``: every Linear and the embedding drawn N(0, init_std^2);
    ``shift_again``: the batches' already-shifted next-token targets handed to :func:`shifted_lm_loss`, which shifts
    them once more."""
    torch.manual_seed(BASE + seed)
    model = Hourglass(ln=ln)
    if init_std is not None:
        _normal(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10))
    return _xy(model, opt, lexicon(seed), shifted_lm_loss if shift_again else lm_loss, sched=sched)


# ---- Gated-Attention Reader ------------------------------------------------------------------------------------------

class GAReader(nn.Module):
    """The Gated-Attention Reader (Dhingra et al. 2017), narrowed: embeddings of 32, ``hops = 3`` layers of
    bidirectional GRUs of 16 a direction over the document and (separately per layer) over the query; between
    layers, every document token's state is gated (multiplied element-wise) by its attention-weighted query
    summary; the final document states scored against the query's state at the placeholder, a softmax over the
    document positions, and the attention-sum over the positions holding each candidate token. Returns the log of
    the attention sum at each vocabulary id."""

    def __init__(self, vocab: int = 34, d: int = 32, hops: int = 3) -> None:
        super().__init__()
        self.vocab = vocab
        self.emb = nn.Embedding(vocab, d)
        self.doc = nn.ModuleList(nn.GRU(d, d // 2, batch_first=True, bidirectional=True) for _ in range(hops))
        self.qry = nn.ModuleList(nn.GRU(d, d // 2, batch_first=True, bidirectional=True) for _ in range(hops))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        doc, qry = inputs
        x, qe = self.emb(doc), self.emb(qry)
        for i, (dg, qg) in enumerate(zip(self.doc, self.qry)):
            dx, _ = dg(x)
            qx, _ = qg(qe)
            if i + 1 < len(self.doc):
                alpha = (dx @ qx.transpose(1, 2)).softmax(-1)
                x = dx * (alpha @ qx)
        s = (dx @ qx[:, -1, :, None])[..., 0].softmax(-1)
        probs = s.new_zeros(s.shape[0], self.vocab).scatter_add(1, doc, s)
        return torch.log(probs + 1e-10)


def ga_reader(seed: int, lr: float = 2e-3, weight_decay: float = 0.0) -> Setup:
    """The GA Reader on the cloze (batch 32), the negative log attention-sum of the answer, Adam at lr 2e-3 (the
    paper's 5e-4 raised for 200 steps) with the paper's gradient clipping at norm 10; ``weight_decay``: Adam's
    coupled decay."""
    torch.manual_seed(BASE + seed)
    model = GAReader()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, cloze(seed), F.nll_loss, clip=10.0)


# ---- MinimalRNN ------------------------------------------------------------------------------------------------------

class MinimalRNN(nn.Module):
    """MinimalRNN (Chen 2017): each input mapped to a latent ``z_t = tanh(W x_t + b)`` by its own dense layer, and the
    state an update-gated average ``h_t = u_t * h_{t-1} + (1 - u_t) * z_t``, ``u_t = sigmoid(U_h h_{t-1} + U_z z_t +
    b_u)``, the gate bias ``b_u`` 3 at start (set here); embeddings of 32, state of 64, a linear read-out of the
    last state."""

    def __init__(self, vocab: int = 32, d: int = 32, hidden: int = 64, classes: int = 4,
                 gate_bias: float = 3.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.phi = nn.Linear(d, hidden)
        self.uh = nn.Linear(hidden, hidden, bias=False)
        self.uz = nn.Linear(hidden, hidden)
        nn.init.orthogonal_(self.uh.weight)
        nn.init.constant_(self.uz.bias, gate_bias)
        self.out = nn.Linear(hidden, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        z = torch.tanh(self.phi(self.emb(tokens)))
        h = z.new_zeros(z.shape[0], z.shape[2])
        for t in range(z.shape[1]):
            u = torch.sigmoid(self.uh(h) + self.uz(z[:, t]))
            h = u * h + (1 - u) * z[:, t]
        return self.out(h)


def minimal_rnn(seed: int, lr: float = 3e-3, gate_bias: float = 3.0, shuffled: bool = False) -> Setup:
    """MinimalRNN on the first-token sequences (batch 32 of 16 tokens), cross-entropy, Adam at lr 3e-3 (set here);
    ``gate_bias``: see :class:`MinimalRNN`; ``shuffled``: see :func:`first_token`."""
    torch.manual_seed(BASE + seed)
    model = MinimalRNN(gate_bias=gate_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, first_token(seed, shuffled=shuffled), F.cross_entropy)
