"""Development cases of the seventh round (half ``"dev"``): added to design rules on, in a list of their own so that
the alternation rule of ``HEALTHY``/``BROKEN`` is untouched.

The pattern looked at: parameters initialised to exactly zero by design — class and register tokens (and, in other
models, position embeddings or layer scales) — whose gradient-to-weight ratio is unbounded. A zero token enters the
first LayerNorm as a zero vector, whose input gradient is scaled by ``1/sqrt(eps)``: with the ``eps = 1e-12`` of HF's
transformer configs the whole model's ``||g|| / ||w||`` at step 0 is ~3e3 (seed 0), over ``ExplodeDetector``'s
``ratio_ceiling`` (100), and the model trains (AdamW normalises the step). The fifth held-out batch's DeiT raised
``explode @0`` this way (seen in that batch's baseline: a gain there is contaminated by pattern). Built here in an
architecture no held-out case uses: a hand-written ViT with a zero class token, four zero register tokens (Darcet et
al. 2024), a zero-initialised learned position embedding, LayerScale 0.1 (CaiT) and LayerNorm eps 1e-12, AdamW 1e-3
wd 0.05 with warm-up. Labels checked in plain PyTorch at seeds 0 and 1 (it learns: 2.76 -> 0.25, 2.34 -> 0.29 over
the last 10 of 40 steps).

Second pattern: an input layer whose output scale is tiny by design, read at once by a normalisation: RWKV's
"SmallInit" embedding (uniform +-1e-4, then a LayerNorm), which its author recommends for GPTs too. The LayerNorm
removes that scale, so the gradient grows by ~4 decades across it (1/1e-4), and ``check`` read that as 2.5 decades
of unexplained compounding through depth (a ``depth`` warning). The fifth held-out batch's RWKV-4 was called
``depth`` this way (seen in that batch's baseline: a gain there is contaminated by pattern). Built here in an
architecture no held-out case uses: a pre-LN GPT (the corpus' nanoGPT blocks, untied head) whose token and position
embeddings start at uniform +-1e-4 and are summed into a LayerNorm, AdamW 6e-4 betas (0.9, 0.99) wd 0.1 with
warm-up. Labels checked in plain PyTorch at seeds 0 and 1 (see ``smallinit_gpt``).

Third pattern: a weight decay that collapses the weights, set under a learning-rate warm-up. ``check`` judged the
decay's shrink per step at the scheduler's current lr, which at the first warm-up step is 1/20 of the peak: AdamW
wd 50 at lr 1e-3 removes 5% of the weights per step at the peak, 0.25% at step 0. The fifth held-out batch's CLIP
two-tower at wd 50 was called healthy this way (seen in that batch's baseline: a gain there is contaminated by
pattern). Built here in an architecture no held-out case uses: the corpus' MLP-Mixer at its recipe (AdamW 1e-3 with
20 steps of warm-up) with weight_decay 50 (meant 0.05); plain run at seeds 0 and 1: no learning (see
``mixer_adamw_wd50_warmup``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import C10, LM, STUCK, VANISH, Case, _b, _h
from . import healthy as H
from . import models as M
from ._setup import Setup, image_batches, lm_batches, lm_loss

HALF = "dev"
EPS = 1e-12  #: the LayerNorm eps of HF's BERT/ViT/DeiT configs


class _Block(nn.Module):
    """Pre-LN transformer block with LayerScale (a learned per-channel gain on each residual branch)."""

    def __init__(self, dim: int, heads: int, scale: float) -> None:
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(dim, eps=EPS), nn.LayerNorm(dim, eps=EPS)
        self.att = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.g1 = nn.Parameter(torch.full((dim,), scale))
        self.g2 = nn.Parameter(torch.full((dim,), scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.n1(x)
        x = x + self.g1 * self.att(h, h, h, need_weights=False)[0]
        return x + self.g2 * self.mlp(self.n2(x))


class RegisterViT(nn.Module):
    """4x4 patches of a 32x32 image (64 tokens) plus a class token and ``registers`` register tokens, all three
    token kinds and the position embedding initialised to zero; ``depth`` blocks; the class token's LayerNorm'd
    output feeds a linear head."""

    def __init__(self, dim: int = 64, depth: int = 3, heads: int = 4, registers: int = 4, scale: float = 0.1,
                 classes: int = 10) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, stride=4)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.registers = nn.Parameter(torch.zeros(1, registers, dim))
        self.pos = nn.Parameter(torch.zeros(1, 64, dim))
        self.blocks = nn.ModuleList([_Block(dim, heads, scale) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=EPS)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch(x).flatten(2).transpose(1, 2) + self.pos
        b = x.shape[0]
        x = torch.cat([self.cls.expand(b, -1, -1), self.registers.expand(b, -1, -1), x], 1)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, 0]))


def register_vit(seed: int) -> Setup:
    """The register-token ViT above, AdamW 1e-3 wd 0.05 (decay on matrices only) with 20 steps of warm-up."""
    torch.manual_seed(seed)
    model = RegisterViT()
    opt = H._adamw(model, 1e-3, 0.05)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed), F.cross_entropy)


class SmallInitGPT(nn.Module):
    """A pre-LN GPT whose token and position embeddings start at uniform +-1e-4 and are summed into a LayerNorm
    (RWKV's SmallInit), nanoGPT blocks, N(0, 0.02) matrices, an untied head."""

    def __init__(self, vocab: int = 64, length: int = 64, dim: int = 64, layers: int = 4, heads: int = 4) -> None:
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, dim), nn.Embedding(length, dim)
        self.ln_emb = nn.LayerNorm(dim)
        self.blocks = nn.ModuleList([M._Block(dim, heads, True) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)
        for e in (self.wte, self.wpe):
            nn.init.uniform_(e.weight, -1e-4, 1e-4)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.ln_emb(self.wte(idx) + self.wpe(pos))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def smallinit_gpt(seed: int) -> Setup:
    """The SmallInit GPT above, AdamW 6e-4 betas (0.9, 0.99) wd 0.1 (matrices only) with 20 steps of warm-up."""
    torch.manual_seed(seed)
    model = SmallInitGPT()
    opt = H._adamw(model, 6e-4, 0.1, (0.9, 0.99))
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), lm_batches(seed, 64), lm_loss)


def mixer_wd(seed: int, weight_decay: float = 50.0) -> Setup:
    """The corpus' MLP-Mixer at its recipe (AdamW 1e-3, 20 steps of linear warm-up) with ``weight_decay``."""
    torch.manual_seed(seed)
    model = M.MLPMixer()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed), F.cross_entropy)


DEV7: list[Case] = [
    _h("register_vit_zero_tokens", HALF, "register_vit", register_vit, C10),
    _h("smallinit_gpt", HALF, "smallinit_gpt", smallinit_gpt, LM),
    _b("mixer_adamw_wd50_warmup", HALF, ("regularization",), VANISH, STUCK, mixer_wd, C10),
]
