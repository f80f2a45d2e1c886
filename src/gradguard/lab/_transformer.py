"""A tiny causal transformer and its training run for the lab's precursor experiments (attention, z-loss, capping).

Pre-LN GPT-style blocks with optional QK-layernorm; token data from a fixed random Markov source (vocab 64), so a
model that learns reaches well below the uniform loss ln 64 = 4.16. Measured through the guard (``policy`` as
given) and :class:`gradguard.precursors.TransformerProbes`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from ..guard import Guard
from ..mitigation.actuator import find_update_cap
from ..policy import Policy
from ..precursors import StableUpdateCap, TransformerProbes
from ._core import SEED

VOCAB = 64
T = 32


class _Block(nn.Module):
    def __init__(self, d: int, heads: int, qk_norm: bool) -> None:
        super().__init__()
        self.n_head = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        hd = d // heads
        self.q_norm = nn.LayerNorm(hd) if qk_norm else nn.Identity()
        self.k_norm = nn.LayerNorm(hd) if qk_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, L, D = x.shape
        q, k, v = self.c_attn(self.ln1(x)).split(D, dim=2)
        q, k, v = (t.view(B, L, self.n_head, D // self.n_head).transpose(1, 2) for t in (q, k, v))
        q, k = self.q_norm(q), self.k_norm(k)
        a = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(B, L, D))
        return x + self.out(nn.functional.gelu(self.fc(self.ln2(x))))


class TinyGPT(nn.Module):
    """GPT-style LM: embeddings, ``layers`` pre-LN blocks, final LayerNorm, untied head; N(0, 0.02) init."""

    def __init__(self, *, d: int = 64, layers: int = 2, heads: int = 4, qk_norm: bool = False) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(VOCAB, d), nn.Embedding(T, d)
        self.blocks = nn.ModuleList(_Block(d, heads, qk_norm) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, VOCAB, bias=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
                bias = getattr(m, "bias", None)
                if isinstance(bias, torch.Tensor):
                    nn.init.zeros_(bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.lm_head(self.ln(x))


def tokens(steps: int, batch: int = 16, seed: int = SEED) -> list[torch.Tensor]:
    """``steps`` batches of ``T + 1`` tokens from a fixed random Markov source (its entropy is far below ln 64)."""
    g = torch.Generator().manual_seed(1000 + seed)
    probs = torch.softmax(torch.randn(VOCAB, VOCAB, generator=g) * 2.5, dim=-1)
    out = []
    for _ in range(steps):
        x = torch.empty(batch, T + 1, dtype=torch.long)
        x[:, 0] = torch.randint(0, VOCAB, (batch,), generator=g)
        for t in range(T):
            x[:, t + 1] = torch.multinomial(probs[x[:, t]], 1, generator=g).squeeze(1)
        out.append(x)
    return out


@dataclass
class LMRun:
    """Per-step loss, and per probed step the max attention logit and mean log Z."""

    losses: list[float] = field(default_factory=list)
    attn_max: list[float] = field(default_factory=list)
    log_z: list[float] = field(default_factory=list)
    capped_steps: int = 0

    def final(self, last: int = 10) -> float:
        tail = self.losses[-last:]
        return float(sum(tail) / len(tail)) if tail and all(math.isfinite(x) for x in tail) else math.inf


def train_lm(lr: float, steps: int, *, qk_norm: bool = False, z_loss: float = 0.0, cap: bool = False,
             policy: str | Policy = "monitor", spikes: tuple[int, ...] = (), data: list[torch.Tensor] | None = None,
             probe_every: int = 5, betas: tuple[float, float] = (0.9, 0.95)) -> LMRun:
    """Train a :class:`TinyGPT` with AdamW at ``lr`` (no warm-up) for ``steps`` steps; ``spikes`` are the steps whose
    batch is replaced by one repeated token and whose loss is scaled x20 (a provoked gradient spike)."""
    torch.manual_seed(SEED)
    model = TinyGPT(qk_norm=qk_norm)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=betas, weight_decay=0.0)
    capper = StableUpdateCap(model, opt) if cap else None
    probes = TransformerProbes(model, every=probe_every, linear_rms=False)
    guard = Guard(model, opt, policy=policy, update_every=0)
    data = data if data is not None else tokens(steps)
    run = LMRun()
    try:
        for step in range(steps):
            if probes.wants(step):
                probes.arm(step)
            x = data[step]
            if step in spikes:
                x = torch.full_like(x, 7)
            logits = model(x[:, :-1])
            ce = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), x[:, 1:].reshape(-1))
            loss = ce
            if z_loss:
                loss = loss + z_loss * torch.logsumexp(logits.float(), dim=-1).pow(2).mean()
            if step in spikes:
                loss = loss * 20.0
            opt.zero_grad(set_to_none=True)
            loss.backward()
            reading = probes.read()
            if reading is not None:
                run.attn_max.append(max(reading.attention.values()))
                run.log_z.append(reading.log_z_mean if reading.log_z_mean is not None else math.nan)
            guard.step(loss.detach())
            run.losses.append(float(ce.detach()))
            if not math.isfinite(run.losses[-1]):
                break
    finally:
        guard.close()
        probes.disarm()
        if capper is not None:
            run.capped_steps = len(capper.capped)
            capper.remove()
        member = find_update_cap(guard.policy)  # a cap the guard's actuator applies (UpdateCap)
        if member is not None:
            run.capped_steps = len(member.capped)
    return run
