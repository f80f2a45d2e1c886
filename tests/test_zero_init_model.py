"""A model whose every weight starts at zero (makemore's Bigram: a logits table of zeros) has no weight to compare
its gradient with: the ratio ceiling (||g|| / ||w|| > 100) said ``explode``, critical, at step 0 on a gradient
norm of 0.11 (third real-code round)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _Bigram(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n, n))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.logits[idx]


def test_an_all_zero_table_is_not_an_explosion() -> None:
    torch.manual_seed(0)
    model = _Bigram(27)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    probs = torch.softmax(torch.randn(27, 27) * 2, -1)
    kinds = []
    with gradguard.Guard(model, opt) as guard:
        for _ in range(20):
            x = torch.randint(0, 27, (32, 11))
            y = torch.multinomial(probs[x.view(-1)], 1).view(32, 11)
            loss = F.cross_entropy(model(x).view(-1, 27), y.view(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            kinds += [e.kind for e in guard.step(loss).events if e.severity != "info"]
    assert "explode" not in kinds, kinds
