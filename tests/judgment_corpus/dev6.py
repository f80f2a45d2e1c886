"""Development cases of the sixth round (half ``"dev"``): added to design rules on, in a list of their own so that
the alternation rule of ``HEALTHY``/``BROKEN`` is untouched.

The pattern looked at: a layer whose gradient is *exactly zero* by construction in a model that trains, e.g. the
query and key projections of an attention over a single token (the softmax of one score is 1 whatever the score).
The fifth held-out batch's LeViT (last stage at 1x1) and MobileBERT raised ``vanish`` at step 19 on such layers
(seen in that batch's baseline: a gain there is contaminated by pattern). Built here in an architecture no held-out
case uses: a four-stage hierarchical vision transformer (PVT/Swin-like patch merging, separate q/k/v projections)
on 32x32 images, whose last stage runs at 1x1 as Swin's does on small inputs, AdamW 1e-3 wd 0.05 with warm-up.
Labels checked in plain PyTorch at seeds 0 and 1 (it learns: 2.4 -> 0.02).

Second pattern: a module called once per time step in a Python loop that is not a recurrence: the embedding of a
decoder or LM loop, looked up by token ids (its input carries no state from one call to the next), with a square
table (vocabulary = width). The fifth held-out batch's GRU encoder-decoder with attention was called ``recurrence``
on its target embedding (seen in that batch's baseline: contaminated by pattern). Built here as a character-level
GRUCell language model written as a loop over time (``h = cell(emb(x_t), h)``), Adam 2e-3 with a clip at norm 1.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from . import C10, LM, Case, _h
from . import healthy as H
from ._setup import Setup, image_batches, lm_batches, lm_loss

HALF = "dev"


class _Attention(nn.Module):
    """Multi-head self-attention with separate query, key, value and output projections (as HF's models write it)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = (f(x).view(b, n, self.heads, d // self.heads).transpose(1, 2) for f in (self.q, self.k, self.v))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), -1)
        return self.o((att @ v).transpose(1, 2).reshape(b, n, d))


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.att = _Attention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.att(self.n1(x))
        return x + self.mlp(self.n2(x))


class HierarchicalViT(nn.Module):
    """Patch embedding (4x4, stride 4), then four stages of one pre-LN transformer block each, a 2x2 patch merging
    (strided conv + LayerNorm) between stages: 8x8, 4x4, 2x2 and 1x1 tokens; mean-pooled LayerNorm'd head."""

    def __init__(self, classes: int = 10, dims: tuple[int, ...] = (16, 32, 48, 64)) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, dims[0], 4, stride=4)
        self.blocks = nn.ModuleList([_Block(d, max(1, d // 16)) for d in dims])
        self.merges = nn.ModuleList([nn.Conv2d(a, b, 2, stride=2) for a, b in itertools.pairwise(dims)])
        self.merge_norms = nn.ModuleList([nn.LayerNorm(b) for b in dims[1:]])
        self.norm = nn.LayerNorm(dims[-1])
        self.head = nn.Linear(dims[-1], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        for i, block in enumerate(self.blocks):
            b, c, h, w = x.shape
            t = block(x.flatten(2).transpose(1, 2))
            x = t.transpose(1, 2).reshape(b, c, h, w)
            if i < len(self.merges):
                x = self.merges[i](x)
                x = self.merge_norms[i](x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.head(self.norm(x.flatten(2).mean(2)))


def hier_vit(seed: int) -> Setup:
    """The hierarchical ViT above, AdamW 1e-3 wd 0.05 (decay on matrices only) with warm-up (Swin/PVT's recipe at
    this batch size)."""
    torch.manual_seed(seed)
    model = HierarchicalViT()
    opt = H._adamw(model, 1e-3, 0.05)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed), F.cross_entropy)


class GRUCellLM(nn.Module):
    """A GRUCell language model unrolled in Python: ``h_t = GRUCell(emb(x_t), h_{t-1})``, logits from a linear head
    on each ``h_t``; the embedding table is square (vocabulary = width)."""

    def __init__(self, vocab: int = 64, hidden: int = 64) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, vocab)
        self.cell = nn.GRUCell(vocab, hidden)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[0], self.cell.hidden_size)
        outs = []
        for t in range(x.shape[1]):
            h = self.cell(self.emb(x[:, t]), h)
            outs.append(self.head(h))
        return torch.stack(outs, 1)


def gru_cell_lm(seed: int) -> Setup:
    """The GRUCell LM above, Adam 2e-3 with the usual clip at norm 1."""
    torch.manual_seed(seed)
    model = GRUCellLM()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    return H.xy_setup(model, opt, None, lm_batches(seed), lm_loss, clip=1.0)


DEV6: list[Case] = [
    _h("hier_vit_1x1_stage", HALF, "hier_vit", hier_vit, C10),
    _h("gru_cell_lm_loop", HALF, "gru_cell_lm", gru_cell_lm, LM),
]
