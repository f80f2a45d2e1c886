"""Builders of the seventy-fifth held-out batch (``fresh74.py``): sequence models (recurrent, convolutional,
state-space and attention models of text and speech) new to the corpus at their usual settings, and broken variants
with one real fault each, with the models themselves and the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
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
    return torch.Generator().manual_seed(740_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7400 + k)


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g) for _ in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _seed(seed: int) -> None:
    torch.manual_seed(740_000 + seed)


# ---- data ------------------------------------------------------------------------------------------------------------

def first_token(seed: int, batch: int = 32, length: int = 12, vocab: int = 32, classes: int = 4
                ) -> Callable[[int], Any]:
    """Uniform token sequences of 12 labelled by the class (``token % 4``) of their first token: ``(tokens, class)``."""
    def make(g: torch.Generator) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        return x, x[:, 0] % classes
    return _pool(seed, make)


def motif_strings(seed: int, batch: int = 32, length: int = 96, chars: int = 32, classes: int = 4
                  ) -> Callable[[int], Any]:
    """Random character strings of 96 over a 32-character alphabet, each holding its class's fixed 4-character motif
    (one per class) at a random place: ``(chars (b, 96), class)``."""
    motifs = torch.randint(0, chars, (classes, 4), generator=_fixed(1))

    def make(g: torch.Generator) -> Any:
        x = torch.randint(0, chars, (batch, length), generator=g)
        y = torch.randint(0, classes, (batch,), generator=g)
        at = torch.randint(0, length - 4, (batch,), generator=g)
        for i in range(batch):
            x[i, int(at[i]):int(at[i]) + 4] = motifs[y[i]]
        return x, y
    return _pool(seed, make)


def trees(seed: int, batch: int = 32, length: int = 16, vocab: int = 32) -> Callable[[int], Any]:
    """Dependency "sentences": position 0 is the ROOT token (id 0), the others random words (1 .. 31) whose head is
    ``1 + word % 3`` positions to their left (the ROOT where that passes the start): ``(words (b, 16), heads (b,
    16))``, the ROOT's head -100 (not scored)."""
    def make(g: torch.Generator) -> Any:
        x = torch.randint(1, vocab, (batch, length), generator=g)
        x[:, 0] = 0
        pos = torch.arange(length).expand(batch, length)
        heads = (pos - 1 - x % 3).clamp(min=0)
        heads[:, 0] = -100
        return x, heads
    return _pool(seed, make)


def pairs(seed: int, batch: int = 32, premise: int = 10, hypothesis: int = 4, vocab: int = 40,
          shuffled: bool = False) -> Callable[[int], Any]:
    """Sentence pairs over 40 words: a premise of 10 distinct words and a hypothesis of 4; class 0 ("entailment")
    when every hypothesis word is in the premise, 1 ("neutral") when none is, 2 ("contradiction", here: a partial
    overlap) when two are: ``((premise, hypothesis), class)``; ``shuffled``: the labels permuted within every batch,
    apart from their pairs."""
    def make(g: torch.Generator) -> Any:
        a = torch.empty(batch, premise, dtype=torch.long)
        b = torch.empty(batch, hypothesis, dtype=torch.long)
        y = torch.randint(0, 3, (batch,), generator=g)
        for i in range(batch):
            perm = torch.randperm(vocab, generator=g)
            a[i] = perm[:premise]
            inside = a[i][torch.randperm(premise, generator=g)]
            outside = perm[premise:]
            k = (hypothesis, 0, hypothesis // 2)[int(y[i])]
            b[i] = torch.cat([inside[:k], outside[: hypothesis - k]])[torch.randperm(hypothesis, generator=g)]
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return (a, b), y
    return _pool(seed, make)


def text(seed: int, batch: int = 8, length: int = 32, bos: bool = False) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, ``(inputs (b, 32), next tokens (b, 32))``; ``bos``: the
    inputs start with a begin-of-sequence token (id 64) and every one of the 32 tokens is a target."""
    def make(g: torch.Generator) -> Any:
        if bos:
            x = markov_tokens(g, batch, length, 64)
            return torch.cat([torch.full((batch, 1), 64), x[:, :-1]], 1), x
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def keyword_power(seed: int, batch: int = 32, bins: int = 40, frames: int = 48, classes: int = 4
                  ) -> Callable[[int], Any]:
    """Mel power spectrograms of keyword utterances of 24 to 48 frames, zero-padded to 48 (the padding is silence,
    power 0): each keyword a fixed smooth time-frequency log-power pattern (10 x 4 values stretched over the
    utterance) plus N(0, 0.7^2) noise, exponentiated: ``(power (b, 40, 48), keyword (b,))``."""
    pats = torch.randn(classes, 1, 4, 10, generator=_fixed(2))

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        lengths = torch.randint(24, frames + 1, (batch,), generator=g)
        x = torch.zeros(batch, bins, frames)
        for i in range(batch):
            n = int(lengths[i])
            p = F.interpolate(pats[y[i]][None], size=(bins, n), mode="bilinear", align_corners=False)[0, 0]
            x[i, :, :n] = torch.exp(p + 0.7 * torch.randn(bins, n, generator=g))
        return x, y
    return _pool(seed, make)


# ---- Peephole LSTM ---------------------------------------------------------------------------------------------------


class PeepholeLSTM(nn.Module):
    """The peephole LSTM (Gers, Schraudolph and Schmidhuber 2002, "Learning precise timing with LSTM recurrent
    networks"), narrowed to a sequence classifier: embeddings of 32, one layer of 64 cells whose input and forget
    gates see the previous cell state and whose output gate sees the new one through diagonal peephole weights
    (initialised 0), the forget-gate bias at 1 (Gers et al. 2000), the others 0; uniform(+-1/sqrt(64)) weights; the
    last hidden state to the classifier. ``forget_bias``: the forget gates' bias."""

    def __init__(self, vocab: int = 32, classes: int = 4, d: int = 32, h: int = 64, forget_bias: float = 1.0) -> None:
        super().__init__()
        self.h = h
        self.emb = nn.Embedding(vocab, d)
        self.wx, self.wh = nn.Linear(d, 4 * h), nn.Linear(h, 4 * h, bias=False)
        self.peep = nn.Parameter(torch.zeros(3, h))
        self.head = nn.Linear(h, classes)
        bound = 1 / math.sqrt(h)
        for w in (self.wx.weight, self.wh.weight):
            nn.init.uniform_(w, -bound, bound)
        with torch.no_grad():
            self.wx.bias.zero_()
            self.wx.bias[h:2 * h] = forget_bias

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.wx(self.emb(tokens))
        b = tokens.shape[0]
        h = c = x.new_zeros(b, self.h)
        for t in range(tokens.shape[1]):
            zi, zf, zc, zo = (x[:, t] + self.wh(h)).chunk(4, -1)
            i = torch.sigmoid(zi + self.peep[0] * c)
            f = torch.sigmoid(zf + self.peep[1] * c)
            c = f * c + i * torch.tanh(zc)
            o = torch.sigmoid(zo + self.peep[2] * c)
            h = o * torch.tanh(c)
        return self.head(h)


def peephole_lstm(seed: int, lr: float = 3e-3, forget_bias: float = 1.0) -> Setup:
    """The peephole LSTM on the first-token sequences (batch 32 of 12), cross-entropy, Adam at lr 3e-3 (set here;
    Gers et al. trained online by gradient descent), gradients clipped at norm 1; ``forget_bias``: see
    :class:`PeepholeLSTM`."""
    _seed(seed)
    model = PeepholeLSTM(forget_bias=forget_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), first_token(seed), F.cross_entropy, clip=1.0)


# ---- Character-level ConvNet -----------------------------------------------------------------------------------------


class CharCNN(nn.Module):
    """The character-level ConvNet (Zhang, Zhao and LeCun 2015, "Character-level convolutional networks for text
    classification"), narrowed: one-hot characters (32), six temporal convolutions of 64 (kernels 7, 7, 3, 3, 3, 3,
    'same' padding) with ReLU, max-pooling by 3 after the first, second and sixth, two fully connected layers of 128
    with dropout 0.5 and the classifier; weights N(0, 0.05^2), the paper's small-model init, biases 0.
    ``init_std``: every weight's std instead (None: PyTorch's default init); ``layers``: that many convolutions (the
    first two of kernel 7, the rest of 3; pooled after the first two and the last)."""

    def __init__(self, chars: int = 32, classes: int = 4, length: int = 96, c: int = 64, fc: int = 128,
                 init_std: float | None = 0.05, layers: int = 6) -> None:
        super().__init__()
        self.chars = chars
        convs = [nn.Conv1d(chars if i == 0 else c, c, 7 if i < 2 else 3, padding="same") for i in range(layers)]
        self.convs = nn.ModuleList(convs)
        self.pool_after = {0, 1, layers - 1}
        n = length // 27
        self.fc = nn.Sequential(nn.Linear(c * n, fc), nn.ReLU(), nn.Dropout(0.5), nn.Linear(fc, fc), nn.ReLU(),
                                nn.Dropout(0.5), nn.Linear(fc, classes))
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, (nn.Conv1d, nn.Linear)):
                    nn.init.normal_(m.weight, 0.0, init_std)
                    nn.init.zeros_(m.bias)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        x = F.one_hot(chars, self.chars).float().transpose(1, 2)
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            if i in self.pool_after:
                x = F.max_pool1d(x, 3)
        return self.fc(x.flatten(1))


def char_cnn(seed: int, lr: float = 1e-3, init_std: float | None = 0.05, layers: int = 6, adam: bool = True) -> Setup:
    """The character-level ConvNet on the motif strings (batch 32 of 96), cross-entropy, Adam at lr 1e-3 (set here:
    the paper's SGD with momentum 0.9 at lr 0.01, ``adam=False``, did not move within 200 steps); ``init_std``,
    ``layers``: see :class:`CharCNN`."""
    _seed(seed)
    model = CharCNN(init_std=init_std, layers=layers)
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if adam
           else torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    return _xy(model, opt, motif_strings(seed), F.cross_entropy)


# ---- Biaffine dependency parser --------------------------------------------------------------------------------------


class BiaffineParser(nn.Module):
    """The deep biaffine attention parser (Dozat and Manning 2017, "Deep biaffine attention for neural dependency
    parsing"), narrowed to its arc scorer: word embeddings of 32, a one-layer BiLSTM of 64 a direction, the
    dependent and head MLPs (one ReLU layer of 64 each, dropout 0.33) and the biaffine scores ``s_ij = d_i U h_j +
    h_j u`` (U initialised 0, as in the reference code). Returns the ``(b, n, n)`` scores of every head ``j`` for
    every dependent ``i``. ``mlp_bias``: the MLPs' biases set to this constant."""

    def __init__(self, vocab: int = 32, d: int = 32, h: int = 64, mlp: int = 64, mlp_bias: float | None = None
                 ) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.lstm = nn.LSTM(d, h, batch_first=True, bidirectional=True)
        self.dep, self.head = nn.Linear(2 * h, mlp), nn.Linear(2 * h, mlp)
        self.U = nn.Parameter(torch.zeros(mlp, mlp))
        self.u = nn.Parameter(torch.zeros(mlp))
        self.drop = nn.Dropout(0.33)
        if mlp_bias is not None:
            with torch.no_grad():
                self.dep.bias.fill_(mlp_bias)
                self.head.bias.fill_(mlp_bias)

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        r, _ = self.lstm(self.drop(self.emb(words)))
        r = self.drop(r)
        dep, head = self.drop(F.relu(self.dep(r))), self.drop(F.relu(self.head(r)))
        return dep @ self.U @ head.transpose(1, 2) + (head @ self.u)[:, None, :]


def _arc_loss(scores: torch.Tensor, heads: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(scores.reshape(-1, scores.shape[-1]), heads.reshape(-1), ignore_index=-100)


def biaffine_parser(seed: int, lr: float = 2e-3, mlp_bias: float | None = None) -> Setup:
    """The biaffine parser on the dependency sentences (batch 32 of 16 words), cross-entropy over each word's head,
    Adam with the paper's betas (0.9, 0.9) and lr 2e-3, gradients clipped at 5 (the reference code's);
    ``mlp_bias``: see :class:`BiaffineParser`."""
    _seed(seed)
    model = BiaffineParser(mlp_bias=mlp_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.9))
    return _xy(model, opt, trees(seed), _arc_loss, clip=5.0)


# ---- Decomposable attention ------------------------------------------------------------------------------------------


def _ff(d_in: int, d: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d), nn.ReLU(), nn.Linear(d, d), nn.ReLU())


class DecomposableAttention(nn.Module):
    """The decomposable attention model (Parikh et al. 2016, "A decomposable attention model for natural language
    inference"), without intra-sentence attention: word embeddings of 32 projected to 64, attend (``F``, a two-layer
    ReLU net of 64; ``e_ij = F(a_i) . F(b_j)``, each side's soft alignment to the other), compare (``G`` on
    ``[a_i, beta_i]`` and ``[b_j, alpha_j]``), aggregate (sums over each sentence; ``H`` on their concatenation, then
    the classifier); the paper's dropout 0.2 left out (with it the model did not learn within 200 steps);
    ``init_std``: the Linear weights drawn N(0, init_std^2), the paper's 0.01 (None: PyTorch's default init)."""

    def __init__(self, vocab: int = 40, classes: int = 3, e: int = 32, d: int = 64, init_std: float | None = 0.01
                 ) -> None:
        super().__init__()
        self.emb, self.proj = nn.Embedding(vocab, e), nn.Linear(e, d, bias=False)
        self.F, self.G, self.H = _ff(d, d), _ff(2 * d, d), _ff(2 * d, d)
        self.out = nn.Linear(d, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear) and init_std is not None:
                nn.init.normal_(m.weight, 0.0, init_std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        a, b = (self.proj(self.emb(t)) for t in inputs)
        e = self.F(a) @ self.F(b).transpose(1, 2)
        beta = e.softmax(2) @ b
        alpha = e.softmax(1).transpose(1, 2) @ a
        v1 = self.G(torch.cat([a, beta], -1)).sum(1)
        v2 = self.G(torch.cat([b, alpha], -1)).sum(1)
        return self.out(self.H(torch.cat([v1, v2], -1)))


def decomposable_attention(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, shuffled: bool = False,
                           init_std: float | None = None, adam: bool = True) -> Setup:
    """The decomposable attention model on the sentence pairs (batch 32), cross-entropy, Adam at lr 3e-3 (set here:
    the paper's Adagrad at lr 0.05, ``adam=False``, learned at one seed of two); ``weight_decay``: Adam's (L2)
    weight decay; ``init_std``: the Linear weights' std (None, the default: PyTorch's init; the paper's 0.01 did not
    move within 200 steps); ``shuffled``: see :func:`pairs`."""
    _seed(seed)
    model = DecomposableAttention(init_std=init_std)
    opt = (torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay) if adam
           else torch.optim.Adagrad(model.parameters(), lr=lr, weight_decay=weight_decay))
    return _xy(model, opt, pairs(seed, shuffled=shuffled), F.cross_entropy)


# ---- Mega ------------------------------------------------------------------------------------------------------------


class RMSNorm(nn.Module):
    """A hand-written RMSNorm, ``x / sqrt(mean(x^2) + eps) * w`` (eps 1e-6)."""

    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class CumulativeLayerNorm(nn.Module):
    """Conv-TasNet's cumulative LayerNorm (cLN), written by hand after its reference code: each step normalised by
    the mean and variance over the features of every step up to it, ``cum_sum / count`` and ``cum_pow_sum / count -
    mean^2`` with ``count = d * (1, 2, ..., T)`` (eps 1e-8), then a gain and bias. ``count_from_zero``: the counts
    written ``torch.arange(0, d * T, d)`` where ``torch.arange(d, d * (T + 1), d)`` belongs (the first step's
    statistics are ``0 / 0``)."""

    def __init__(self, d: int, eps: float = 1e-8, count_from_zero: bool = False) -> None:
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))
        self.eps, self.count_from_zero = eps, count_from_zero

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d, T = x.shape[-1], x.shape[1]
        cum_sum, cum_pow = x.sum(-1).cumsum(1), x.pow(2).sum(-1).cumsum(1)
        start = 0 if self.count_from_zero else d
        count = torch.arange(start, start + d * T, d, dtype=x.dtype)
        mean = cum_sum / count
        var = cum_pow / count - mean.pow(2)
        return (x - mean[..., None]) / torch.sqrt(var[..., None] + self.eps) * self.weight + self.bias


def _mega_norm(d: int, norm: str) -> nn.Module:
    return RMSNorm(d) if norm == "rms" else CumulativeLayerNorm(d, count_from_zero=norm == "cln_count_from_zero")


class _DampedEMA(nn.Module):
    """Mega's multi-dimensional damped EMA: each of the ``d`` channels expanded to ``n`` dimensions by ``beta``,
    ``h_t = alpha * u_t + (1 - alpha * delta) * h_(t-1)``, projected back by ``eta``; computed as a causal convolution
    with the kernel ``K_l = sum_n eta beta alpha (1 - alpha delta)^l``; plus ``omega * x``."""

    def __init__(self, d: int, n: int = 8) -> None:
        super().__init__()
        self.alpha, self.delta = nn.Parameter(torch.randn(d, n) * 0.2), nn.Parameter(torch.randn(d, n) * 0.2)
        self.beta = nn.Parameter(torch.randn(d, n) * 0.02 + torch.tensor([1.0, -1.0] * (n // 2)))
        self.eta, self.omega = nn.Parameter(torch.randn(d, n)), nn.Parameter(torch.randn(d) * 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        L = x.shape[1]
        p, q = torch.sigmoid(self.alpha), 1 - torch.sigmoid(self.alpha) * torch.sigmoid(self.delta)
        t = torch.arange(L, dtype=x.dtype)
        k = torch.einsum("dn,dnl->dl", p * self.beta * self.eta / math.sqrt(self.eta.shape[1]),
                         torch.exp(t * torch.log(q)[..., None]))
        lag = t[:, None] - t[None]
        toeplitz = torch.where(lag >= 0, k[:, lag.clamp(min=0).long()], x.new_zeros(()))
        return torch.einsum("dts,bsd->btd", toeplitz, x) + self.omega * x


class _MegaLayer(nn.Module):
    """A Mega layer (pre-norm): ``X' = silu(EMA(X))``; the shared ``Z = silu(X' W_z)`` gives ``Q``, ``K`` by per-dim
    scales and offsets; ``V = silu(X W_v)``; causal single-head softmax attention ``O``; the reset gate ``gamma =
    silu(X' W_gamma)``, the update gate ``phi = sigmoid(X' W_phi)``, ``H = silu(X' W_h + (gamma O) U_h)``, and ``Y =
    phi H + (1 - phi) X``; then a pre-norm feed-forward (SiLU, 2x), both with residuals."""

    def __init__(self, d: int, z: int, v: int, norm: str) -> None:
        super().__init__()
        self.norm, self.ema = _mega_norm(d, norm), _DampedEMA(d)
        self.wv, self.wz = nn.Linear(d, v), nn.Linear(d, z)
        self.qk_scale, self.qk_off = nn.Parameter(torch.randn(2, z) * 0.02 + 1), nn.Parameter(torch.zeros(2, z))
        self.wgate = nn.Linear(d, v + 2 * d)
        self.uh = nn.Linear(v, d)
        self.ff_norm = _mega_norm(d, norm)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.SiLU(), nn.Linear(2 * d, d))
        self.z, self.v, self.d = z, v, d
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res, xn = x, self.norm(x)
        mx = F.silu(self.ema(xn))
        v = F.silu(self.wv(xn))
        zz = F.silu(self.wz(mx))
        q, k = zz * self.qk_scale[0] + self.qk_off[0], zz * self.qk_scale[1] + self.qk_off[1]
        L = x.shape[1]
        s = q @ k.transpose(1, 2) / math.sqrt(self.z)
        s = s.masked_fill(torch.ones(L, L, dtype=torch.bool).triu(1), float("-inf"))
        o = s.softmax(-1) @ v
        gamma, phi, hx = self.wgate(mx).split([self.v, self.d, self.d], -1)
        h = F.silu(hx + self.uh(F.silu(gamma) * o))
        phi = torch.sigmoid(phi)
        x = phi * h + (1 - phi) * res
        return x + self.ff(self.ff_norm(x))


class MegaLM(nn.Module):
    """Mega (Ma et al. 2023, "Mega: moving average equipped gated attention"), narrowed to a causal LM: embeddings of
    64 (N(0, 64^-1/2)), two Mega layers (EMA dimension 8, shared dimension 32, value dimension 128, single-head
    softmax attention) with RMSNorm (Mega's ``--normalization-type rmsnorm``), a final RMSNorm, the tied output;
    ``norm``: ``"rms"``, ``"cln"`` (every norm a :class:`CumulativeLayerNorm`, a streaming-safe normalisation
    brought over from causal speech separation) or ``"cln_count_from_zero"`` (the same with its slip)."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, norm: str = "rms") -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        nn.init.normal_(self.emb.weight, 0.0, d ** -0.5)
        self.layers = nn.ModuleList(_MegaLayer(d, 32, 128, norm) for _ in range(layers))
        self.norm = _mega_norm(d, norm)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.emb(tokens)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x) @ self.emb.weight.T


def mega(seed: int, lr: float = 2e-3, norm: str = "rms") -> Setup:
    """The Mega LM on the Markov text (batch 8 of 32), token cross-entropy, AdamW with betas (0.9, 0.98) and weight
    decay 0.1 (Mega's language-model setting) at lr 2e-3 after a linear warm-up of 20 steps (its 5e-3 lowered for
    the small batch, its 24,000 warm-up steps shortened for 200); ``norm``: see :class:`MegaLM`."""
    _seed(seed)
    model = MegaLM(norm=norm)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20))
    return _xy(model, opt, text(seed), lm_loss, sched=sched)


# ---- Citrinet --------------------------------------------------------------------------------------------------------


class HandBatchNorm1d(nn.Module):
    """A BatchNorm over ``(batch, channels, time)`` written by hand (batch statistics over batch and time in
    training, running ones in evaluation, momentum 0.1, an affine gain and bias). ``swapped``: the statistics
    unpacked as ``mean, var = torch.var_mean(...)``, whose order is ``(var, mean)``, so that the layer computes
    ``(x - var) / sqrt(mean + eps)``."""

    def __init__(self, c: int, eps: float = 1e-5, swapped: bool = False) -> None:
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))
        self.eps, self.swapped = eps, swapped

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            if self.swapped:
                mean, var = torch.var_mean(x, dim=(0, 2), unbiased=False)
            else:
                var, mean = torch.var_mean(x, dim=(0, 2), unbiased=False)
            with torch.no_grad():
                self.running_mean.lerp_(mean, 0.1)
                self.running_var.lerp_(var, 0.1)
        else:
            mean, var = self.running_mean, self.running_var
        x = (x - mean[:, None]) / torch.sqrt(var[:, None] + self.eps)
        return x * self.weight[:, None] + self.bias[:, None]


def _norm(c: int, norm: str) -> nn.Module:
    return {"bn": HandBatchNorm1d(c), "swapped": HandBatchNorm1d(c, swapped=True), "none": nn.Identity()}[norm]


class _SepConv(nn.Module):
    """Citrinet's 1D time-channel separable convolution: a depthwise conv over time, a pointwise conv, the norm."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, norm: str) -> None:
        super().__init__()
        bias = norm == "none"
        self.dw = nn.Conv1d(c_in, c_in, k, stride, padding=k // 2, groups=c_in, bias=False)
        self.pw = nn.Conv1d(c_in, c_out, 1, bias=bias)
        self.norm = _norm(c_out, norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.pw(self.dw(x)))


class _CitrinetBlock(nn.Module):
    """A Citrinet block: ``R`` separable convs (ReLU and dropout 0.1 between them, the first strided), a
    squeeze-and-excitation of the last (reduction 8), a residual of a strided pointwise conv and the norm, ReLU and
    dropout."""

    def __init__(self, c_in: int, c: int, k: int, stride: int, norm: str, repeat: int = 2) -> None:
        super().__init__()
        self.convs = nn.ModuleList(_SepConv(c_in if i == 0 else c, c, k, stride if i == 0 else 1, norm)
                                   for i in range(repeat))
        self.se = nn.Sequential(nn.Linear(c, c // 8), nn.ReLU(), nn.Linear(c // 8, c))
        self.res = nn.Sequential(nn.Conv1d(c_in, c, 1, stride, bias=norm == "none"), _norm(c, norm))
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, conv in enumerate(self.convs):
            h = conv(h)
            if i < len(self.convs) - 1:
                h = self.drop(F.relu(h))
        h = h * torch.sigmoid(self.se(h.mean(2)))[:, :, None]
        return self.drop(F.relu(h + self.res(x)))


class Citrinet(nn.Module):
    """Citrinet (Majumdar et al. 2021, "Citrinet: closing the gap between non-autoregressive and autoregressive
    end-to-end models for automatic speech recognition"), narrowed to a keyword classifier: the log-mel front end
    (``log(power + 1e-6)``; NeMo guards its log with 2^-24), a prolog separable conv (kernel 5) of 32, three blocks
    of 32 (kernels 7, 9, 11; the first of stride 2; two separable convs each) with squeeze-and-excitation, an epilog
    separable conv of 32 (kernel 5), the mean over time and the classifier; every norm a BatchNorm (written
    by hand, :class:`HandBatchNorm1d`), PyTorch's default init. ``norm``: ``"bn"``, ``"swapped"`` (see
    :class:`HandBatchNorm1d`) or ``"none"`` (left out, the convs keep biases); ``log_guard``: the front end's guard
    (0: ``log(power)`` of zero-padded silence)."""

    def __init__(self, bins: int = 40, classes: int = 4, c: int = 32, norm: str = "bn", log_guard: float = 1e-6
                 ) -> None:
        super().__init__()
        self.log_guard = log_guard
        self.prolog = nn.Sequential(_SepConv(bins, c, 5, 1, norm), nn.ReLU())
        self.blocks = nn.Sequential(_CitrinetBlock(c, c, 7, 2, norm), _CitrinetBlock(c, c, 9, 1, norm),
                                    _CitrinetBlock(c, c, 11, 1, norm))
        self.epilog = nn.Sequential(_SepConv(c, c, 5, 1, norm), nn.ReLU())
        self.head = nn.Linear(c, classes)

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        x = torch.log(power + self.log_guard) if self.log_guard else torch.log(power)
        return self.head(self.epilog(self.blocks(self.prolog(x))).mean(2))


def citrinet(seed: int, lr: float = 0.05, norm: str = "bn", log_guard: float = 1e-6) -> Setup:
    """Citrinet on the keyword power spectrograms (batch 32), cross-entropy, SGD with momentum 0.9 and weight decay
    1e-3 at lr 0.05 (NeMo's Citrinet recipes use NovoGrad at 0.05, which PyTorch does not ship); ``norm``,
    ``log_guard``: see :class:`Citrinet`."""
    _seed(seed)
    model = Citrinet(norm=norm, log_guard=log_guard)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-3)
    return _xy(model, opt, keyword_power(seed), F.cross_entropy)


# ---- Gated State Space -----------------------------------------------------------------------------------------------


class HandLayerNorm(nn.Module):
    """A hand-written LayerNorm over the features (eps 1e-5). ``var_dim``: the axis its variance is taken over (the
    mean is always over the features; ``0``, the batch axis, is the slip)."""

    def __init__(self, d: int, eps: float = 1e-5, var_dim: int = -1) -> None:
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))
        self.eps, self.var_dim = eps, var_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        var = x.var(self.var_dim, keepdim=True, unbiased=False)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


class _DSS(nn.Module):
    """A diagonal state space (Gupta et al. 2022, DSS-exp) per channel: ``K_l = Re(sum_n W_n exp(Lambda_n dt l))``,
    ``Lambda_n = -exp(log_re_n) + i im_n`` (S4D-Lin's ``-1/2 + i pi n``), ``dt`` log-uniform in [1e-3, 1e-1]; the
    causal convolution of the input with ``K`` plus a skip ``D x``."""

    def __init__(self, h: int, n: int = 16) -> None:
        super().__init__()
        self.log_re = nn.Parameter(torch.full((h, n), math.log(0.5)))
        self.im = nn.Parameter(math.pi * torch.arange(n).float().expand(h, n).clone())
        self.log_dt = nn.Parameter(torch.rand(h, 1) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        self.w_re = nn.Parameter(torch.randn(h, n) * 0.5 ** 0.5)
        self.w_im = nn.Parameter(torch.randn(h, n) * 0.5 ** 0.5)
        self.D = nn.Parameter(torch.randn(h))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        L = u.shape[1]
        dt = self.log_dt.exp()
        lam_re, lam_im = -self.log_re.exp() * dt, self.im * dt
        t = torch.arange(L, dtype=u.dtype)
        decay = torch.exp(lam_re[..., None] * t)
        k = (decay * (self.w_re[..., None] * torch.cos(lam_im[..., None] * t)
                      - self.w_im[..., None] * torch.sin(lam_im[..., None] * t))).sum(1)
        lag = t[:, None] - t[None]
        toeplitz = torch.where(lag >= 0, k[:, lag.clamp(min=0).long()], u.new_zeros(()))
        return torch.einsum("hts,bsh->bth", toeplitz, u) + self.D * u


class _GSSLayer(nn.Module):
    """A Gated State Space layer (pre-norm): ``u = gelu(W1 LN(x))`` (3d), ``v = gelu(W2 LN(x))`` (d/4), ``y =
    DSS(v)``, ``uc = W3 y`` (3d), ``out = W4 (uc * u)``, added to ``x``."""

    def __init__(self, d: int, var_dim: int) -> None:
        super().__init__()
        self.norm = HandLayerNorm(d, var_dim=var_dim)
        self.w1, self.w2 = nn.Linear(d, 3 * d), nn.Linear(d, d // 4)
        self.dss, self.w3, self.w4 = _DSS(d // 4), nn.Linear(d // 4, 3 * d), nn.Linear(3 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xn = self.norm(x)
        u, v = F.gelu(self.w1(xn)), F.gelu(self.w2(xn))
        return x + self.w4(self.w3(self.dss(v)) * u)


class GSSLM(nn.Module):
    """The Gated State Space LM (Mehta et al. 2023, "Long range language modeling via gated state spaces"),
    narrowed: embeddings of 64 (and a begin-of-sequence token), three GSS layers (state 16), a final LayerNorm, the
    output projection; PyTorch's default init. ``var_dim``: see :class:`HandLayerNorm` (every LayerNorm)."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 3, var_dim: int = -1) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab + 1, d)
        self.layers = nn.Sequential(*(_GSSLayer(d, var_dim) for _ in range(layers)))
        self.norm, self.out = HandLayerNorm(d, var_dim=var_dim), nn.Linear(d, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.out(self.norm(self.layers(self.emb(tokens))))


def gss(seed: int, lr: float = 1e-3, var_dim: int = -1) -> Setup:
    """The GSS LM on the Markov text with a begin-of-sequence token (batch 8 of 32), token cross-entropy, AdamW at
    lr 1e-3 (set here) with weight decay 0.01 after a linear warm-up of 20 steps; ``var_dim``: see
    :class:`HandLayerNorm`."""
    _seed(seed)
    model = GSSLM(var_dim=var_dim)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20))
    return _xy(model, opt, text(seed, bos=True), lm_loss, sched=sched)


# ---- Gated-feedback RNN ----------------------------------------------------------------------------------------------


class GFRNN(nn.Module):
    """The gated-feedback RNN (Chung et al. 2015, "Gated feedback recurrent neural networks"), narrowed to a tanh LM:
    embeddings of 32, three tanh layers of 64 in which layer ``j`` at step ``t`` reads every layer ``i``'s state at
    ``t - 1`` through its own matrix ``U_ij``, scaled by the global reset gate ``g_ij = sigmoid(w_ij . h_(j-1),t +
    u_ij . h*_(t-1))`` (``h*`` the concatenated states), and the output layer reads all three layers; PyTorch's
    default Linear init. ``radius``: every ``U_ij`` rescaled to this spectral radius (None: left at the default
    init)."""

    def __init__(self, vocab: int = 64, e: int = 32, h: int = 64, layers: int = 3, radius: float | None = None
                 ) -> None:
        super().__init__()
        self.h, self.n = h, layers
        self.emb = nn.Embedding(vocab, e)
        self.win = nn.ModuleList(nn.Linear(e if j == 0 else h, h) for j in range(layers))
        self.U = nn.ModuleList(nn.Linear(h, layers * h, bias=False) for _ in range(layers))  # U_i. : i -> every j
        self.gate_in = nn.ModuleList(nn.Linear(e if j == 0 else h, layers) for j in range(layers))
        self.gate_h = nn.ModuleList(nn.Linear(layers * h, layers, bias=False) for _ in range(layers))
        self.out = nn.Linear(layers * h, vocab)
        if radius is not None:
            with torch.no_grad():
                for u in self.U:
                    for j in range(layers):
                        block = u.weight[j * h:(j + 1) * h]
                        block.mul_(radius / torch.linalg.eigvals(block).abs().max())

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.emb(tokens)
        b, L = tokens.shape
        hs = [x.new_zeros(b, self.h) for _ in range(self.n)]
        outs = []
        for t in range(L):
            prev = torch.cat(hs, -1)
            rec = [u(hi).view(b, self.n, self.h) for u, hi in zip(self.U, hs, strict=True)]  # rec[i][:, j]
            below, new = x[:, t], []
            for j in range(self.n):
                g = torch.sigmoid(self.gate_in[j](below) + self.gate_h[j](prev))  # (b, n): g_ij over i
                hj = torch.tanh(self.win[j](below) + sum(g[:, i:i + 1] * rec[i][:, j] for i in range(self.n)))
                new.append(hj)
                below = hj
            hs = new
            outs.append(torch.cat(hs, -1))
        return self.out(torch.stack(outs, 1))


def gf_rnn(seed: int, lr: float = 2e-3, radius: float | None = None) -> Setup:
    """The GF-RNN LM on the Markov text (batch 8 of 32), token cross-entropy, RMSprop (the paper's) at lr 2e-3 (set
    here), gradients clipped at norm 1; ``radius``: see :class:`GFRNN`."""
    _seed(seed)
    model = GFRNN(radius=radius)
    return _xy(model, torch.optim.RMSprop(model.parameters(), lr=lr), text(seed), lm_loss, clip=1.0)
