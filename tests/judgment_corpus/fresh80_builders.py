"""Builders of the eighty-first held-out batch (``fresh80.py``): mixture-of-experts, memory-augmented, capsule,
hypernetwork and autoencoder models new to the corpus at their usual settings, broken variants with one real fault
each, and the small data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was
run on them and never tuned on.
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
    return torch.Generator().manual_seed(800_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8000 + k)


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
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, channels: int = 3, size: int = 16, classes: int = 10,
           shuffled: bool = False) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``; ``shuffled``: the labels permuted within every batch, apart from their images."""
    templates = F.interpolate(torch.randn(classes, channels, 4, 4, generator=_fixed(1)), size=(size, size),
                              mode="bilinear", align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, channels, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def text(seed: int, batch: int = 8, length: int = 32) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, ``(inputs (b, 32), next tokens (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def first_token(seed: int, batch: int = 32, length: int = 12, vocab: int = 16, classes: int = 4
                ) -> Callable[[int], Any]:
    """Uniform token sequences of 12 labelled by the class (``token % 4``) of their first token: ``(tokens, class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        return x, x[:, 0] % classes
    return _pool(seed, make)


def kv_facts(seed: int, batch: int = 32, pairs: int = 6, keys: int = 16, values: int = 16, shuffled: bool = False
             ) -> Callable[[int], Any]:
    """Key-value stories: ``pairs`` distinct keys (of 16) each with a random value (of 16), and a question naming one of
    the keys; the answer is its value: ``((story keys (b, 6), story values (b, 6), question (b,)), answer (b,))``;
    ``shuffled``: the answers permuted within every batch, apart from their stories."""
    def make(g: torch.Generator, _: int) -> Any:
        k = torch.stack([torch.randperm(keys, generator=g)[:pairs] for _ in range(batch)])
        v = torch.randint(0, values, (batch, pairs), generator=g)
        pick = torch.randint(0, pairs, (batch,), generator=g)
        rows = torch.arange(batch)
        answer = v[rows, pick]
        return (k, v, k[rows, pick]), answer[torch.randperm(batch, generator=g)] if shuffled else answer
    return _pool(seed, make)


def low_rank(seed: int, batch: int = 64, d: int = 16, factors: int = 3) -> Callable[[int], Any]:
    """Vectors of 16 features driven by 3 latent factors through a fixed mixing (each feature a noisy combination,
    N(0, 0.1^2) noise): a few features determine the rest: ``(x, x)``."""
    mix = torch.randn(factors, d, generator=_fixed(2)) / math.sqrt(factors)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, factors, generator=g) @ mix + 0.1 * torch.randn(batch, d, generator=g)
        return x, x
    return _pool(seed, make)


def binary_templates(seed: int, batch: int = 64, d: int = 64, templates: int = 8, flip: float = 0.05
                     ) -> Callable[[int], Any]:
    """Binary vectors of 64 pixels: one of 8 fixed random binary templates with 5% of its pixels flipped: ``(x, x)``."""
    base = (torch.rand(templates, d, generator=_fixed(3)) < 0.5).float()

    def make(g: torch.Generator, _: int) -> Any:
        t = base[torch.randint(0, templates, (batch,), generator=g)]
        f = (torch.rand(batch, d, generator=g) < flip).float()
        x = (t + f) % 2
        return x, x
    return _pool(seed, make)


# ---- Soft MoE --------------------------------------------------------------------------------------------------------

class SoftMoE(nn.Module):
    """Soft MoE (Puigcerver et al. 2023): every slot is a softmax-over-tokens mixture of the tokens (dispatch), each
    expert (a GELU MLP) processes its slots, and every token takes a softmax-over-slots mixture of the outputs
    (combine)."""

    def __init__(self, d: int, experts: int = 4, slots: int = 2, hidden: int = 128) -> None:
        super().__init__()
        self.experts, self.slots = experts, slots
        self.phi = nn.Parameter(torch.randn(d, experts * slots) / math.sqrt(d))
        self.w1 = nn.Parameter(torch.randn(experts, d, hidden) / math.sqrt(d))
        self.b1 = nn.Parameter(torch.zeros(experts, 1, hidden))
        self.w2 = nn.Parameter(torch.randn(experts, hidden, d) / math.sqrt(hidden))
        self.b2 = nn.Parameter(torch.zeros(experts, 1, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, d = x.shape
        logits = x @ self.phi                                       # (b, n, e*s)
        dispatch = logits.softmax(1)                                # over tokens
        combine = logits.softmax(2)                                 # over slots
        slots = torch.einsum("bns,bnd->bsd", dispatch, x)           # (b, e*s, d)
        slots = slots.reshape(b, self.experts, self.slots, d).transpose(0, 1).reshape(self.experts, -1, d)
        h = F.gelu(slots @ self.w1 + self.b1) @ self.w2 + self.b2   # (e, b*s, d)
        out = h.reshape(self.experts, b, self.slots, d).transpose(0, 1).reshape(b, -1, d)
        return torch.einsum("bns,bsd->bnd", combine, out)


class GaussianDropout(nn.Module):
    """Gaussian dropout (Srivastava et al. 2014): multiplicative ``N(1, p / (1 - p))`` noise in training;
    ``mean_zero``: the slip, ``x * sigma * eps`` where ``x * (1 + sigma * eps)`` belongs."""

    def __init__(self, p: float, mean_zero: bool = False) -> None:
        super().__init__()
        self.sigma = math.sqrt(p / (1 - p))
        self.mean_zero = mean_zero

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        eps = torch.randn_like(x)
        if self.mean_zero:
            return x * self.sigma * eps
        return x * (1 + self.sigma * eps)


class SoftMoEViT(nn.Module):
    """A narrowed Soft MoE ViT: 4x4 patches of a 16x16 image to 16 tokens of 64 plus learned positions, a pre-LN
    self-attention block (4 heads), a pre-LN Soft MoE block (4 experts of 2 slots), LayerNorm, mean pooling, Gaussian
    dropout 0.1, the head; ``mean_zero_dropout``: see :class:`GaussianDropout`."""

    def __init__(self, d: int = 64, classes: int = 10, mean_zero_dropout: bool = False, ln: bool = True) -> None:
        super().__init__()
        norm = (lambda: nn.LayerNorm(d)) if ln else nn.Identity
        self.patch = nn.Linear(3 * 16, d)
        self.pos = nn.Parameter(torch.randn(1, 16, d) * 0.02)
        self.ln1, self.attn = norm(), nn.MultiheadAttention(d, 4, batch_first=True)
        self.ln2, self.moe = norm(), SoftMoE(d)
        self.ln, self.drop, self.head = norm(), GaussianDropout(0.1, mean_zero_dropout), nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        t = x.unfold(2, 4, 4).unfold(3, 4, 4).permute(0, 2, 3, 1, 4, 5).reshape(b, 16, 48)
        h = self.patch(t) + self.pos
        a = self.ln1(h)
        h = h + self.attn(a, a, a, need_weights=False)[0]
        h = h + self.moe(self.ln2(h))
        return self.head(self.drop(self.ln(h).mean(1)))


# ---- Expert Choice MoE -----------------------------------------------------------------------------------------------

class ExpertChoiceFFN(nn.Module):
    """Expert-choice routing (Zhou et al. 2022): token-to-expert scores ``softmax(x W_g)`` over the experts, each
    expert takes its top ``k = n c / e`` tokens (capacity factor c = 1, EC-CF1), and the output is the score-weighted
    sum of the chosen experts' ReLU MLPs, scattered back into a dense buffer; ``renormalise``: the fault, each token's
    combine weights divided by their sum over the experts that chose it (a token no expert chose gives ``0 / 0``)."""

    def __init__(self, d: int, experts: int = 4, hidden: int = 128, capacity: float = 2.0,
                 renormalise: bool = False) -> None:
        super().__init__()
        self.gate = nn.Linear(d, experts, bias=False)
        self.w1 = nn.Parameter(torch.randn(experts, d, hidden) / math.sqrt(d))
        self.w2 = nn.Parameter(torch.randn(experts, hidden, d) / math.sqrt(hidden))
        self.experts, self.capacity, self.renormalise = experts, capacity, renormalise

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        n = x.shape[0]
        k = int(n * self.capacity / self.experts)
        s = self.gate(x).softmax(-1)                                # (n, e)
        g, idx = s.t().topk(k, dim=1)                               # (e, k)
        xe = x[idx]                                                 # (e, k, d)
        ye = F.relu(xe @ self.w1) @ self.w2                         # (e, k, d)
        weights = torch.zeros_like(s).t().scatter(1, idx, g)        # (e, n)
        if self.renormalise:
            weights = weights / weights.sum(0, keepdim=True)
        dense = x.new_zeros(self.experts, n, shape[-1]).scatter(1, idx[..., None].expand_as(ye), ye)  # (e, n, d)
        return torch.einsum("en,end->nd", weights, dense).reshape(shape)


class ExpertChoiceLM(nn.Module):
    """A narrowed expert-choice LM: token embeddings of 64, a causal pre-LN attention block (4 heads) and a pre-LN
    expert-choice FFN block (4 experts of 128, capacity factor 1), LayerNorm, the output layer."""

    def __init__(self, vocab: int = 64, d: int = 64, renormalise: bool = False, capacity: float = 1.0) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.randn(1, 32, d) * 0.02)
        self.ln1, self.attn = nn.LayerNorm(d), nn.MultiheadAttention(d, 4, batch_first=True)
        self.ln2, self.moe = nn.LayerNorm(d), ExpertChoiceFFN(d, capacity=capacity, renormalise=renormalise)
        self.ln, self.out = nn.LayerNorm(d), nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        h = self.emb(x) + self.pos[:, :t]
        a = self.ln1(h)
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        h = h + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        h = h + self.moe(self.ln2(h))
        return self.out(self.ln(h))


# ---- Product-key memory ----------------------------------------------------------------------------------------------

class ProductKeyMemory(nn.Module):
    """A product-key memory layer (Lample et al. 2019): a query (BatchNorm'd, as the paper) split in two halves, each
    scored against 16 sub-keys, the top 4 of each half combined into 16 candidates of the 256 slots, the top 4 of
    those softmax-weighted over their values; 2 heads; ``query_bn``: the query BatchNorm."""

    def __init__(self, d: int = 64, dk: int = 32, n: int = 16, topk: int = 4, heads: int = 2,
                 query_bn: bool = True) -> None:
        super().__init__()
        self.heads, self.dk, self.n, self.topk = heads, dk, n, topk
        self.query = nn.Linear(d, heads * dk)
        self.bn = nn.BatchNorm1d(heads * dk) if query_bn else nn.Identity()
        self.keys = nn.Parameter(torch.randn(heads, 2, n, dk // 2) / math.sqrt(dk // 2))
        self.values = nn.EmbeddingBag(n * n, d, mode="sum")
        nn.init.normal_(self.values.weight, 0.0, d ** -0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        q = self.bn(self.query(x)).reshape(-1, self.heads, 2, self.dk // 2)
        s = torch.einsum("bhcd,hcnd->bhcn", q, self.keys)           # (b, h, 2, n)
        s1, i1 = s[:, :, 0].topk(self.topk, -1)
        s2, i2 = s[:, :, 1].topk(self.topk, -1)
        scores = (s1[..., :, None] + s2[..., None, :]).flatten(2)   # (b, h, k*k)
        ids = (i1[..., :, None] * self.n + i2[..., None, :]).flatten(2)
        best, j = scores.topk(self.topk, -1)
        ids = ids.gather(-1, j)
        w = best.softmax(-1)
        b = x.shape[0]
        out = self.values(ids.reshape(b, -1), per_sample_weights=w.reshape(b, -1))
        return out.reshape(shape)


class PKMLM(nn.Module):
    """A narrowed PKM LM: token embeddings of 64, a causal pre-LN attention block (4 heads), a pre-LN product-key
    memory block in place of the FFN, LayerNorm, the output layer."""

    def __init__(self, vocab: int = 64, d: int = 64, query_bn: bool = True) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.randn(1, 32, d) * 0.02)
        self.ln1, self.attn = nn.LayerNorm(d), nn.MultiheadAttention(d, 4, batch_first=True)
        self.ln2, self.mem = nn.LayerNorm(d), ProductKeyMemory(d, query_bn=query_bn)
        self.ln, self.out = nn.LayerNorm(d), nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        h = self.emb(x) + self.pos[:, :t]
        a = self.ln1(h)
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        h = h + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        h = h + self.mem(self.ln2(h))
        return self.out(self.ln(h))


# ---- Key-Value Memory Network ----------------------------------------------------------------------------------------

class KVMemNN(nn.Module):
    """Key-Value Memory Network (Miller et al. 2016): key and value embeddings (A) of 32, the question embedded by
    the same A, two hops ``q <- R_j (q + sum_i softmax(q . A k_i) A v_i)``, the answer scored against the value
    candidates' embeddings (B)."""

    def __init__(self, keys: int = 16, values: int = 16, d: int = 32, hops: int = 2, softmax: bool = True) -> None:
        super().__init__()
        self.softmax = softmax
        self.a_key, self.a_val = nn.Embedding(keys, d), nn.Embedding(values, d)
        self.r = nn.ModuleList(nn.Linear(d, d, bias=False) for _ in range(hops))
        self.b = nn.Embedding(values, d)
        for e in (self.a_key, self.a_val, self.b):
            nn.init.normal_(e.weight, 0.0, 0.1)

    def forward(self, inputs: Any) -> torch.Tensor:
        k, v, question = inputs
        mk, mv = self.a_key(k), self.a_val(v)                       # (b, m, d)
        q = self.a_key(question)
        for r in self.r:
            s = torch.einsum("bd,bmd->bm", q, mk)
            p = s.softmax(-1) if self.softmax else s.exp()
            q = r(q + torch.einsum("bm,bmd->bd", p, mv))
        return q @ self.b.weight.t()


# ---- Efficient-CapsNet -----------------------------------------------------------------------------------------------

def _squash(s: torch.Tensor, eps: float = 1e-20) -> torch.Tensor:
    """Efficient-CapsNet's squash ``(1 - 1 / e^|s|) s / |s|``."""
    n = s.norm(dim=-1, keepdim=True)
    return (1 - 1 / n.exp()) * s / (n + eps)


class EfficientCapsNet(nn.Module):
    """Efficient-CapsNet (Mazzia et al. 2021), narrowed to 16x16 images: convolutions 5x5 32, 3x3 64, 3x3 64, 3x3 128
    stride 2, each with BatchNorm and ReLU, a depthwise convolution over the remaining 5x5 map to 16 primary capsules
    of 8 (squashed), self-attention routing to 10 class capsules of 16 (squashed); the class scores are the capsules'
    lengths; ``bn``: the BatchNorms."""

    def __init__(self, channels: int = 3, classes: int = 10, bn: bool = True, squash: bool = True) -> None:
        super().__init__()
        self.squash = _squash if squash else (lambda s: s)
        layers: list[nn.Module] = []
        for cin, cout, k, s in ((channels, 32, 5, 1), (32, 64, 3, 1), (64, 64, 3, 1), (64, 128, 3, 2)):
            layers += [nn.Conv2d(cin, cout, k, s), nn.BatchNorm2d(cout) if bn else nn.Identity(), nn.ReLU()]
        self.stem = nn.Sequential(*layers)
        self.primary = nn.Conv2d(128, 128, 3, groups=128)
        self.w = nn.Parameter(torch.randn(16, classes, 8, 16) * math.sqrt(2.0 / 8))
        self.b = nn.Parameter(torch.zeros(16, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.squash(self.primary(self.stem(x)).reshape(x.shape[0], 16, 8))
        uh = torch.einsum("bid,ijde->bije", u, self.w)              # (b, 16, 10, 16)
        a = torch.einsum("bije,bkje->bjik", uh, uh) / math.sqrt(16)  # (b, 10, 16, 16)
        c = a.sum(-1).transpose(1, 2).softmax(-1)                   # (b, 16, 10): over the class capsules
        v = self.squash(((c + self.b)[..., None] * uh).sum(1))          # (b, 10, 16)
        return v.norm(dim=-1)


def margin_loss(lengths: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CapsNet's margin loss (m+ 0.9, m- 0.1, lambda 0.5), summed over the classes, averaged over the batch."""
    t = F.one_hot(y, lengths.shape[1]).float()
    loss = t * F.relu(0.9 - lengths) ** 2 + 0.5 * (1 - t) * F.relu(lengths - 0.1) ** 2
    return loss.sum(1).mean()


# ---- HyperLSTM -------------------------------------------------------------------------------------------------------

class HyperLSTM(nn.Module):
    """HyperLSTM (Ha, Dai and Le 2016), narrowed: a hyper LSTM cell of 16 reads ``[x_t, h_(t-1)]`` and emits, through
    embeddings of 8, per-step scalings ``d_x, d_h`` of the main LSTM's input and recurrent products and its bias, for
    each of the four gates (the scalings start at 1, as the paper's init); the main LSTM of 64; the last state to the
    classifier; ``forget_bias``: the main LSTM's static forget-gate bias."""

    def __init__(self, vocab: int = 16, e: int = 16, d: int = 64, hd: int = 16, z: int = 8, classes: int = 4,
                 forget_bias: float = 1.0, output_bias: float = 0.0, recurrent_std: float | None = None,
                 input_bias: float = 0.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, e)
        self.hyper = nn.LSTMCell(e + d, hd)
        self.zx, self.zh, self.zb = nn.Linear(hd, 4 * z), nn.Linear(hd, 4 * z), nn.Linear(hd, 4 * z, bias=False)
        self.dx = nn.Parameter(torch.zeros(4, z, d))
        self.dh = nn.Parameter(torch.zeros(4, z, d))
        self.db = nn.Parameter(torch.zeros(4, z, d))
        for p in (self.dx, self.dh):
            nn.init.normal_(p, 0.0, 0.01)
        nn.init.zeros_(self.zx.weight)
        nn.init.ones_(self.zx.bias)
        nn.init.zeros_(self.zh.weight)
        nn.init.ones_(self.zh.bias)
        self.wx = nn.Linear(e, 4 * d, bias=False)
        self.wh = nn.Linear(d, 4 * d, bias=False)
        if recurrent_std is not None:
            nn.init.normal_(self.wh.weight, 0.0, recurrent_std)
        bias = torch.zeros(4, d)
        bias[0], bias[1], bias[3] = input_bias, forget_bias, output_bias
        self.bias = nn.Parameter(bias)
        self.d, self.z = d, z
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape
        emb = self.emb(x)
        h = c = x.new_zeros(b, self.d, dtype=torch.float)
        hh = hc = x.new_zeros(b, self.hyper.hidden_size, dtype=torch.float)
        for s in range(t):
            xt = emb[:, s]
            hh, hc = self.hyper(torch.cat([xt, h], -1), (hh, hc))
            zx = self.zx(hh).reshape(b, 4, self.z)
            zh = self.zh(hh).reshape(b, 4, self.z)
            zb = self.zb(hh).reshape(b, 4, self.z)
            sx = torch.einsum("bgz,gzd->bgd", zx, self.dx) + 1.0
            sh = torch.einsum("bgz,gzd->bgd", zh, self.dh) + 1.0
            gates = (sx * self.wx(xt).reshape(b, 4, self.d) + sh * self.wh(h).reshape(b, 4, self.d)
                     + self.bias + torch.einsum("bgz,gzd->bgd", zb, self.db))
            i, f, g, o = gates.unbind(1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.head(h)


# ---- Concrete autoencoder --------------------------------------------------------------------------------------------

class ConcreteAutoencoder(nn.Module):
    """The concrete autoencoder (Abid, Balin and Zou 2019): a concrete selector layer choosing 8 of the 32 features
    (each selector a Gumbel-softmax over the features at a temperature annealed exponentially from 10 to 0.01, the
    paper's schedule, over 200 steps), and a decoder of one LeakyReLU(0.2) layer of 64; ``layers``: the decoder's
    hidden layers (the depth fault uses ReLU layers at PyTorch's default init); ``noise_sign_slip``: the Gumbel
    noise written ``-log(log(u))`` where ``-log(-log(u))`` belongs."""

    def __init__(self, d: int = 16, k: int = 6, hidden: int = 64, layers: int = 1, steps: int = 200,
                 t_end: float = 0.1, noise_sign_slip: bool = False) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.full((k, d), 1e-6))
        nn.init.xavier_normal_(self.logits)
        mods: list[nn.Module] = []
        width = k
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), nn.LeakyReLU(0.2) if layers == 1 else nn.ReLU()]
            width = hidden
        self.decoder = nn.Sequential(*mods, nn.Linear(width, d))
        self.steps, self.t_end, self.slip = steps, t_end, noise_sign_slip
        self.register_buffer("t", torch.zeros(()))

    def temperature(self) -> float:
        frac = min(float(self.t) / self.steps, 1.0)
        return 10.0 * (self.t_end / 10.0) ** frac

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            u = torch.rand_like(self.logits).clamp_min(1e-10)
            g = -torch.log(torch.log(u)) if self.slip else -torch.log(-torch.log(u))
            w = ((self.logits + g) / self.temperature()).softmax(-1)
            self.t += 1
        else:
            w = F.one_hot(self.logits.argmax(-1), self.logits.shape[1]).float()
        return self.decoder(x @ w.t())


# ---- DIP-VAE ---------------------------------------------------------------------------------------------------------

class DIPVAE(nn.Module):
    """DIP-VAE-I (Kumar, Sattigeri and Balakrishnan 2018), narrowed: an encoder MLP 64-128 ReLU to the mean and the
    log-variance of 8 latents, the reparameterised sample, a decoder MLP 8-128 ReLU to 64 Bernoulli logits; the
    negative ELBO plus the DIP-I penalty on the covariance of the means (``lambda_od = 10``, ``lambda_d = 100``, the
    paper's ratio); ``slip``: ``"eps"`` the decoder fed the noise ``eps`` where the sample ``z`` belongs (the slip
    kept); ``"softplus"`` the log-variance head passed through a softplus and ``"sample"`` the sample drawn by
    ``Normal(mu, std).sample()`` (both tried and dropped)."""

    def __init__(self, d: int = 64, hidden: int = 128, latent: int = 8, slip: str | None = None,
                 lambda_od: float = 10.0, lambda_d: float = 100.0) -> None:
        super().__init__()
        self.lambda_od, self.lambda_d = lambda_od, lambda_d
        self.enc = nn.Sequential(nn.Linear(d, hidden), nn.ReLU())
        self.mu, self.logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, d))
        self.slip = slip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        if self.slip == "softplus":
            logvar = F.softplus(logvar)
        std = torch.exp(0.5 * logvar)
        if self.slip == "sample":
            z = torch.distributions.Normal(mu, std).sample()
        else:
            eps = torch.randn_like(mu)
            z = mu + std * eps
        rec = F.binary_cross_entropy_with_logits(self.dec(eps if self.slip == "eps" else z), x, reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
        cov = torch.cov(mu.t())
        diag = torch.diagonal(cov)
        dip = self.lambda_od * (cov - torch.diag(diag)).pow(2).sum() + self.lambda_d * (diag - 1).pow(2).sum()
        return (rec + kl).mean() + dip


# ---- builders --------------------------------------------------------------------------------------------------------

def soft_moe(seed: int, lr: float = 1e-3, weight_decay: float = 1e-4, init_std: float | None = None,
             mean_zero_dropout: bool = False, ln: bool = True) -> Setup:
    """The Soft MoE ViT on the class-template images (batch 32), cross-entropy, AdamW at lr 1e-3 with weight decay
    1e-4 (set here); ``init_std``: every Linear, the Soft MoE's parameters and the positions drawn N(0, std^2);
    ``mean_zero_dropout``: see :class:`GaussianDropout`."""
    torch.manual_seed(800_000 + seed)
    model = SoftMoEViT(mean_zero_dropout=mean_zero_dropout, ln=ln)
    if init_std is not None:
        _init_normal(model, init_std)
        for name, p in model.named_parameters():
            if name.startswith("moe.w") or name in ("moe.phi", "pos") or name.endswith("in_proj_weight"):
                nn.init.normal_(p, 0.0, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, images(seed), F.cross_entropy)


def expert_choice(seed: int, lr: float = 1e-3, renormalise: bool = False, capacity: float = 1.0) -> Setup:
    """The expert-choice LM on the Markov text (batch 8 of 32), token cross-entropy, Adam at lr 1e-3 (set here);
    ``renormalise``, ``capacity``: see :class:`ExpertChoiceFFN`."""
    torch.manual_seed(800_000 + seed)
    model = ExpertChoiceLM(renormalise=renormalise, capacity=capacity)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), text(seed), lm_loss)


def pkm(seed: int, lr: float = 1e-3, query_bn: bool = True) -> Setup:
    """The PKM LM on the Markov text (batch 8 of 32), token cross-entropy, Adam at lr 1e-3 (the paper's);
    ``query_bn``: see :class:`ProductKeyMemory`."""
    torch.manual_seed(800_000 + seed)
    model = PKMLM(query_bn=query_bn)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), text(seed), lm_loss)


def kv_memnn(seed: int, lr: float = 5e-3, weight_decay: float = 0.0, softmax: bool = True, shuffled: bool = False
             ) -> Setup:
    """The Key-Value Memory Network on the key-value stories (batch 32), cross-entropy, Adam at lr 5e-3 (set here)
    with coupled ``weight_decay``."""
    torch.manual_seed(800_000 + seed)
    model = KVMemNN(softmax=softmax)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, kv_facts(seed, shuffled=shuffled), F.cross_entropy)


def efficient_capsnet(seed: int, lr: float = 5e-4, bn: bool = True, shuffled: bool = False, squash: bool = True
                      ) -> Setup:
    """Efficient-CapsNet on the class-template images (batch 32), the margin loss, Adam at the paper's lr 5e-4;
    ``bn``: see :class:`EfficientCapsNet`; ``shuffled``: see :func:`images`."""
    torch.manual_seed(800_000 + seed)
    model = EfficientCapsNet(bn=bn, squash=squash)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), images(seed, shuffled=shuffled), margin_loss)


def hyperlstm(seed: int, lr: float = 3e-3, forget_bias: float = 1.0, output_bias: float = 0.0, length: int = 12,
              recurrent_std: float | None = None, input_bias: float = 0.0) -> Setup:
    """The HyperLSTM on the first-token sequences (batch 32 of 12), cross-entropy, Adam at lr 3e-3 (set here);
    ``forget_bias``: see :class:`HyperLSTM`."""
    torch.manual_seed(800_000 + seed)
    model = HyperLSTM(forget_bias=forget_bias, output_bias=output_bias, recurrent_std=recurrent_std,
                      input_bias=input_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), first_token(seed, length=length), F.cross_entropy)


def concrete_ae(seed: int, lr: float = 3e-2, layers: int = 1, noise_sign_slip: bool = False) -> Setup:
    """The concrete autoencoder on the low-rank vectors (batch 64), MSE, Adam at the paper's lr 1e-3; ``layers``,
    ``noise_sign_slip``: see :class:`ConcreteAutoencoder`."""
    torch.manual_seed(800_000 + seed)
    model = ConcreteAutoencoder(layers=layers, noise_sign_slip=noise_sign_slip)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), low_rank(seed), F.mse_loss)


def dip_vae(seed: int, lr: float = 1e-3, relu_bias: float | None = None, slip: str | None = None,
            init_std: float | None = None,
            lambda_od: float = 1.0, lambda_d: float = 10.0) -> Setup:
    """DIP-VAE-I on the binary templates (batch 64), its loss (the model returns it), Adam at lr 1e-3 (the paper's
    1e-4 is for many epochs); ``relu_bias``: the biases of the two Linears before the ReLUs set to it (each unit dead);
    ``init_std``: every Linear drawn N(0, std^2); ``slip``: see :class:`DIPVAE`."""
    torch.manual_seed(800_000 + seed)
    model = DIPVAE(slip=slip, lambda_od=lambda_od, lambda_d=lambda_d)
    if init_std is not None:
        _init_normal(model, init_std)
    if relu_bias is not None:
        for m in (model.enc[0], model.dec[0]):
            nn.init.constant_(m.bias, relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), binary_templates(seed), lambda out, _: out)
