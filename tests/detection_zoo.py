"""Deliberately unstable models and healthy controls, each a seeded training run (detection accuracy tests).

Every case returns a `Case`: a model, an optimizer, a batch source, and the expectation: which event kinds count as
a correct detection and by which step, or that nothing fires (healthy controls).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass
class Case:
    name: str
    model: nn.Module
    optimizer: torch.optim.Optimizer
    batches: Callable[[int], tuple[torch.Tensor, torch.Tensor]]
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    steps: int
    kinds: frozenset[str]  # accepted kinds of the first relevant event; empty for healthy controls
    fault_step: int | None = None  # where a fault is injected, when it is
    scheduler: Any = None  # an LR scheduler stepped by the guard (warm-up)
    clip: float | None = None  # the user's own clip_grad_norm_ before guard.step
    mode: str | None = None  # the stall mode the first accepted event must carry, when it matters
    by_step: int | None = None  # the step by which it must come, where the loss never diverges


Batches = Callable[[int], tuple[torch.Tensor, torch.Tensor]]


def _regression(d_in: int, d_out: int, n: int = 64, seed: int = 0) -> Batches:
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(d_in, d_out, generator=g) / d_in**0.5
    data = [torch.randn(n, d_in, generator=g) for _ in range(16)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = data[step % 16]
        return x, torch.tanh(x @ w)

    return batch


def _deep(width: int, depth: int, act: Callable[[], nn.Module], init_std: float | None = None,
          norm: bool = False, d_in: int = 16, d_out: int = 4) -> nn.Sequential:
    layers: list[nn.Module] = []
    dims = [d_in] + [width] * (depth - 1)
    for a, b in itertools.pairwise(dims):
        lin = nn.Linear(a, b)
        if init_std is not None:
            nn.init.normal_(lin.weight, std=init_std / a**0.5)
            nn.init.zeros_(lin.bias)
        layers += [lin] + ([nn.BatchNorm1d(b)] if norm else []) + [act()]
    layers.append(nn.Linear(width, d_out))
    return nn.Sequential(*layers)


def deep_relu_large_init() -> Case:
    torch.manual_seed(1)
    model = _deep(64, 12, nn.ReLU, init_std=2.5)  # He would be sqrt(2) ~ 1.41
    return Case("deep ReLU MLP, init 1.8x He, SGD", model, torch.optim.SGD(model.parameters(), lr=0.05),
                _regression(16, 4), nn.functional.mse_loss, 150, frozenset({"explode", "divergence", "loss_spike"}))


def deep_sigmoid() -> Case:
    torch.manual_seed(2)
    model = _deep(32, 16, nn.Sigmoid, init_std=1.0)
    return Case("deep sigmoid MLP (16 layers)", model, torch.optim.SGD(model.parameters(), lr=0.1),
                _regression(16, 4), nn.functional.mse_loss, 120, frozenset({"vanish"}))


class ReluRNN(nn.Module):
    def __init__(self, radius: float, hidden: int = 32, d_in: int = 8) -> None:
        super().__init__()
        self.rnn = nn.RNN(d_in, hidden, nonlinearity="relu", batch_first=True)
        with torch.no_grad():
            q, _ = torch.linalg.qr(torch.randn(hidden, hidden))
            self.rnn.weight_hh_l0.copy_(radius * q)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def relu_rnn_radius_above_one() -> Case:
    torch.manual_seed(3)
    model = ReluRNN(radius=1.6)
    g = torch.Generator().manual_seed(3)
    xs = [torch.randn(16, 40, 8, generator=g) for _ in range(8)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = xs[step % 8]
        return x, x[:, :5, :1].mean(1)

    return Case("ReLU RNN, spectral radius 1.6, seq 40", model, torch.optim.SGD(model.parameters(), lr=1e-3),
                batch, nn.functional.mse_loss, 60, frozenset({"explode", "nonfinite"}))


def sgd_lr_too_high() -> Case:
    torch.manual_seed(4)
    model = _deep(64, 4, nn.ReLU)
    return Case("MLP, SGD lr=8 (too high)", model, torch.optim.SGD(model.parameters(), lr=8.0),
                _regression(16, 4), nn.functional.mse_loss, 100, frozenset({"explode", "divergence", "loss_spike"}))


def nan_in_batch() -> Case:
    torch.manual_seed(5)
    model = _deep(32, 4, nn.ReLU)
    base = _regression(16, 4)

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = base(step)
        if step == 37:
            x = x.clone()
            x[3, 5] = float("nan")
        return x, y

    return Case("batch with a NaN input at step 37", model, torch.optim.Adam(model.parameters(), lr=1e-3), batch,
                nn.functional.mse_loss, 60, frozenset({"nonfinite"}), fault_step=37)


class Overflow(nn.Module):
    """exp() of a scaled input: finite for ordinary inputs, Inf once the scale is large."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x * self.scale) * 1e-3


def overflow_op() -> Case:
    torch.manual_seed(6)
    over = Overflow()
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), over, nn.Linear(32, 4))
    base = _regression(16, 4)

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        over.scale = 1e3 if step == 25 else 1.0
        return base(step)

    return Case("custom op overflowing to Inf at step 25", model, torch.optim.Adam(model.parameters(), lr=1e-3),
                batch, nn.functional.mse_loss, 40, frozenset({"nonfinite"}), fault_step=25)


def outlier_batches() -> Case:
    torch.manual_seed(7)
    model = _deep(32, 4, nn.ReLU)
    base = _regression(16, 4)

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = base(step)
        return (x * 50, y * 50) if step == 60 else (x, y)

    return Case("outlier batch (x50) at step 60", model, torch.optim.Adam(model.parameters(), lr=1e-3), batch,
                nn.functional.mse_loss, 70, frozenset({"loss_spike", "explode"}), fault_step=60)


def healthy_bn_mlp() -> Case:
    torch.manual_seed(8)
    model = _deep(64, 6, nn.ReLU, init_std=2**0.5, norm=True)
    return Case("healthy: He-init MLP + BatchNorm, Adam", model, torch.optim.Adam(model.parameters(), lr=1e-3),
                _regression(16, 4, seed=8), nn.functional.mse_loss, 500, frozenset())


class PreLN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(8, 32)
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.out = nn.Linear(32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.enc(self.inp(x))).squeeze(-1)


def healthy_transformer() -> Case:
    torch.manual_seed(9)
    model = PreLN()
    g = torch.Generator().manual_seed(9)
    xs = [torch.randn(8, 12, 8, generator=g) for _ in range(16)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = xs[step % 16]
        return x, x.sum(-1).tanh()

    return Case("healthy: pre-LayerNorm transformer, AdamW", model, torch.optim.AdamW(model.parameters(), lr=1e-3),
                batch, nn.functional.mse_loss, 500, frozenset())


# ----------------------------------------------------------------------------- language models (issue 12, 13)
VOCAB = 48


def _markov_text(seed: int = 0, n: int = 20_000) -> torch.Tensor:
    """Token ids from a fixed sparse bigram chain (each token has 4 likely successors): learnable, no download."""
    g = torch.Generator().manual_seed(seed)
    nxt = torch.randint(0, VOCAB, (VOCAB, 4), generator=g)
    choice = torch.randint(0, 4, (n,), generator=g)
    ids = torch.empty(n, dtype=torch.long)
    ids[0] = 0
    for i in range(1, n):
        ids[i] = nxt[ids[i - 1], choice[i]]
    return ids


def _lm_batches(seed: int = 0, seq: int = 32, bs: int = 8) -> Batches:
    ids = _markov_text(seed)
    g = torch.Generator().manual_seed(seed + 1)
    starts = [torch.randint(0, len(ids) - seq - 1, (bs,), generator=g) for _ in range(64)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = starts[step % 64]
        return (torch.stack([ids[i:i + seq] for i in idx]), torch.stack([ids[i + 1:i + seq + 1] for i in idx]))

    return batch


def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _warmup(opt: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / steps))


class Block(nn.Module):
    """A GPT block (pre-LN, causal attention, GELU MLP) whose residual projections start at exactly zero."""

    def __init__(self, d: int, heads: int = 4) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.fc, self.proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        for p in (self.attn.out_proj.weight, self.attn.out_proj.bias, self.proj.weight, self.proj.bias):
            nn.init.zeros_(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.proj(nn.functional.gelu(self.fc(self.ln2(x))))


class ZeroInitGPT(nn.Module):
    def __init__(self, d: int = 64, layers: int = 2, seq: int = 32) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(VOCAB, d), nn.Parameter(torch.zeros(seq, d))
        nn.init.normal_(self.tok.weight, std=0.02)
        self.blocks = nn.Sequential(*[Block(d) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, VOCAB, bias=False)
        nn.init.normal_(self.head.weight, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.ln(self.blocks(self.tok(x) + self.pos[: x.shape[1]])))


class HFLogits(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=x).logits


def healthy_gpt2() -> Case:
    """transformers' GPT-2 (2 layers), AdamW 3e-4 with a 50-step warm-up: norms rise in the first steps."""
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(10)
    cfg = GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=64, n_layer=2, n_head=4, bos_token_id=0,
                     eos_token_id=0)
    model = HFLogits(GPT2LMHeadModel(cfg))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    return Case("healthy: GPT-2 (transformers), AdamW 3e-4, warm-up", model, opt, _lm_batches(10), lm_loss, 300,
                frozenset(), scheduler=_warmup(opt, 50))


def healthy_zero_init_gpt() -> Case:
    """A GPT whose residual projections start at zero (a common init): weights grow from zero by design."""
    torch.manual_seed(11)
    model = ZeroInitGPT()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    return Case("healthy: GPT with zero-init residual projections, AdamW 1e-3", model, opt, _lm_batches(11),
                lm_loss, 300, frozenset(), scheduler=_warmup(opt, 20))


class LSTMLM(nn.Module):
    def __init__(self, d: int = 64) -> None:
        super().__init__()
        self.emb, self.rnn, self.head = nn.Embedding(VOCAB, d), nn.LSTM(d, d, 2, batch_first=True), nn.Linear(d, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(self.emb(x))[0])


def healthy_lstm_lm() -> Case:
    """A 2-layer LSTM language model at Adam 1e-3: its loss plateaus early (at the unigram entropy)."""
    torch.manual_seed(12)
    model = LSTMLM()
    return Case("healthy: LSTM language model, Adam 1e-3", model, torch.optim.Adam(model.parameters(), lr=1e-3),
                _lm_batches(12), lm_loss, 300, frozenset())


class PostLNLM(nn.Module):
    def __init__(self, d: int = 64) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, d)
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.0, batch_first=True, norm_first=False)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(d, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        return self.head(self.enc(self.emb(x), mask=mask, is_causal=True))


def post_ln_adam_lr_too_high() -> Case:
    """Post-LN transformer at Adam lr 0.3: the loss more than doubles within a few steps, with no NaN."""
    torch.manual_seed(13)
    model = PostLNLM()
    return Case("post-LN transformer, Adam lr 0.3", model, torch.optim.Adam(model.parameters(), lr=0.3),
                _lm_batches(13), lm_loss, 40, frozenset({"divergence", "explode", "loss_spike"}))


def stuck_at_chance() -> Case:
    """A 4-layer ReLU MLP at SGD lr 8 behind the user's clip_grad_norm_(1): finite, and at chance for good."""
    torch.manual_seed(14)
    model = _deep(64, 4, nn.ReLU, d_out=10)
    g = torch.Generator().manual_seed(14)
    teacher = torch.randn(16, 10, generator=g)
    xs = [torch.randn(64, 16, generator=g) for _ in range(32)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = xs[step % 32]
        return x, (x @ teacher).argmax(1)

    return Case("MLP at SGD lr 8 behind clip_grad_norm_(1): stuck at chance", model,
                torch.optim.SGD(model.parameters(), lr=8.0), batch, nn.functional.cross_entropy, 150,
                frozenset({"stall"}), clip=1.0, mode="not_learning", by_step=60)


def first_diverged(losses: list[float]) -> int | None:
    """The step the plain run first goes non-finite or visibly diverges (loss above twice its first value)."""
    for step, loss in enumerate(losses):
        if not math.isfinite(loss) or (losses[0] > 0 and loss > 2 * losses[0]):
            return step
    return None


FAULTS = [deep_relu_large_init, deep_sigmoid, relu_rnn_radius_above_one, sgd_lr_too_high, nan_in_batch,
          overflow_op, outlier_batches, post_ln_adam_lr_too_high, stuck_at_chance]
HEALTHY = [healthy_bn_mlp, healthy_transformer, healthy_gpt2, healthy_zero_init_gpt, healthy_lstm_lm]
