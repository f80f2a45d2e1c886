"""A softmax over the features between two weight layers is a bottleneck by design, not a compounding (fresh108's
dVAE: a Gumbel-softmax over 32 codes read by a 1x1 codebook conv loses 1.4 of the chain's 3.3 decades of gradient;
it was told "normalization", critical, and it trains)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.softmax_hidden import softmax_necks


class _DVAE(nn.Module):
    def __init__(self, codes: int = 32, width: int = 32) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, width, 4, 2, 1), nn.ReLU(), nn.Conv2d(width, width, 4, 2, 1), nn.ReLU(),
                                 nn.Conv2d(width, codes, 1))
        self.book = nn.Conv2d(codes, width, 1, bias=False)
        self.dec = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(width, width, 4, 2, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(width, 1, 4, 2, 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.enc(x)
        u = torch.rand(logits.shape, generator=torch.Generator().manual_seed(3)).clamp(1e-6, 1 - 1e-6)
        soft = F.softmax(logits - torch.log(-torch.log(u)), dim=1)
        return self.dec(self.book(soft)), F.log_softmax(logits, dim=1)


def _loss(out: tuple[torch.Tensor, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    recon, logq = out
    kl = (logq.exp() * (logq + math.log(logq.shape[1]))).sum(1).mean()
    return F.mse_loss(recon, x) + kl / 16


def _images() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    templates = (torch.rand(4, 1, 16, 16, generator=g) > 0.5).float()
    return templates[torch.randint(0, 4, (16,), generator=g)] + 0.05 * torch.randn(16, 1, 16, 16, generator=g)


def test_a_gumbel_softmax_code_bottleneck_is_read_and_not_called_a_missing_norm() -> None:
    torch.manual_seed(0)
    model, x = _DVAE(), _images()
    assert softmax_necks(_loss(model(x), x)) == [32]
    d = gradguard.check(model, (x, x), _loss, torch.optim.Adam(model.parameters(), lr=1e-3))
    shrink = [f for f in d.findings if f.cause in ("depth", "normalization") and f.evidence.get("direction") == -1]
    assert shrink and shrink[0].evidence["softmax_neck_decades"] == round(math.log10(32), 2)
    assert all(f.severity == "info" for f in shrink), [(f.cause, f.severity) for f in shrink]


def test_attention_and_an_output_softmax_are_not_necks() -> None:
    torch.manual_seed(0)
    q, k, v = nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 8)
    head = nn.Linear(8, 5)
    x = torch.randn(2, 6, 8)
    att = F.softmax(q(x) @ k(x).transpose(1, 2), dim=-1) @ v(x)  # a softmax over positions into a bmm
    out = F.softmax(head(att), dim=-1)  # a softmax at the output
    assert softmax_necks(out.sum()) == []
