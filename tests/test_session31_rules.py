"""Readings of ``check`` changed in the thirty-first session, after held-out false alarms and misses:

* scores ``(B, B)`` against one target throughout are the in-batch contrastive slip (MoCo's zeros on a diagonal
  loss) only when the ``B x B`` comes from the batch meeting itself; when an input already holds ``B`` candidates for
  each sample (implicit behavioural cloning's 64 candidate actions at batch 64, the expert's first), label 0 is the
  convention and nothing is said.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _causes(d: gradguard.Diagnosis) -> list[str]:
    return [f.cause for f in d.findings if f.severity in ("warning", "critical")]


class _PairScorer(nn.Module):
    """An energy MLP over (observation, candidate) pairs: ``((b, 4), (b, m, 2)) -> (b, m)`` scores."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        o, a = inputs
        return -self.net(torch.cat([o[:, None].expand(-1, a.shape[1], -1), a], -1))[..., 0]


class _InBatch(nn.Module):
    """Two encoders whose embeddings score the batch against itself: ``(b, 8) -> (b, b)`` similarities."""

    def __init__(self) -> None:
        super().__init__()
        self.f = nn.Linear(8, 16)
        self.g = nn.Linear(8, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.f(x) @ self.g(x + 0.1 * torch.randn_like(x)).T


def _candidates(b: int, gen: torch.Generator) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    o = 2 * torch.rand(b, 4, generator=gen) - 1
    expert = (2 * (o[:, 2:] - o[:, :2])).clamp(-1, 1)
    neg = 2 * torch.rand(b, b - 1, 2, generator=gen) - 1
    return (o, torch.cat([expert[:, None], neg], 1)), torch.zeros(b, dtype=torch.long)


def test_candidates_per_sample_with_label_zero_are_not_the_batch_against_itself() -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = _PairScorer()
    x, y = _candidates(32, gen)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))
    assert "data" not in _causes(d), [f.message for f in d.findings]
    # the same model learns at these settings: label 0 is right here
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    first = last = 0.0
    for i in range(150):
        xb, yb = _candidates(32, gen)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = float(loss.detach()) if i == 0 else first
        last = float(loss.detach())
    assert last < 0.75 * first


def test_in_batch_scores_with_label_zero_stay_a_data_finding() -> None:
    torch.manual_seed(0)
    model = _InBatch()
    x = torch.randn(32, 8)
    d = gradguard.check(model, (x, torch.zeros(32, dtype=torch.long)), F.cross_entropy,
                        torch.optim.Adam(model.parameters(), lr=1e-3))
    assert "data" in _causes(d)
    assert "against itself" in next(f.message for f in d.findings if f.cause == "data")
