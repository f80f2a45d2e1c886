"""check names a classification batch whose every sample has one class (a class-sorted loader, not shuffled)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(20, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 8))


def _one_label(d: gradguard.Diagnosis) -> list[gradguard.Finding]:
    return [f for f in d.findings if "chance_of_one_class" in f.evidence]


def test_a_batch_of_one_class_is_named_data_first() -> None:
    x = torch.randn(32, 20, generator=torch.Generator().manual_seed(1))
    model = _net()
    d = gradguard.check(model, (x, torch.full((32,), 5)), F.cross_entropy, torch.optim.Adam(model.parameters()))
    (f,) = _one_label(d)
    assert f.cause == "data" and d.top is f
    assert f.evidence["label"] == 5 and f.evidence["classes"] == 8 and f.evidence["chance_of_one_class"] < 1e-20
    assert "shuffle=True" in f.code


def test_mixed_batches_binary_tasks_and_small_batches_are_silent() -> None:
    g = torch.Generator().manual_seed(2)
    x = torch.randn(32, 20, generator=g)
    mixed = torch.randint(0, 8, (32,), generator=g)
    model = _net()
    assert not _one_label(gradguard.check(model, (x, mixed), F.cross_entropy))
    binary = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 2))  # a rare positive class: all 0 is common
    assert not _one_label(gradguard.check(binary, (x, torch.zeros(32, dtype=torch.long)), F.cross_entropy))
    assert not _one_label(gradguard.check(model, (x[:8], torch.full((8,), 3)), F.cross_entropy))  # 8 < 16 samples


def test_a_contrastive_loss_whose_label_is_zero_by_design_is_silent() -> None:
    # InfoNCE (MoCo): logits [q.k+, q.queue] built by a concatenation, the positive at index 0 for every sample
    torch.manual_seed(0)
    enc = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16))
    queue = nn.functional.normalize(torch.randn(64, 16), dim=1)

    class Moco(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = enc

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            q = nn.functional.normalize(self.enc(x), dim=1)
            k = nn.functional.normalize(self.enc(x + 0.1 * torch.randn_like(x)), dim=1).detach()
            return torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], dim=1) / 0.2

    x = torch.randn(32, 20, generator=torch.Generator().manual_seed(3))
    assert not _one_label(gradguard.check(Moco(), (x, torch.zeros(32, dtype=torch.long)), F.cross_entropy))
