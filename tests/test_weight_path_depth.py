"""The longest weight-layer path (gradguard.diagnosis.graph.weight_path_depth): layers side by side count once, so a
mixture of experts at PyTorch's default init is not called a 30-layer unnormalised stack (fresh33's PLE)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

import gradguard
from gradguard.diagnosis.batch import resolve_step
from gradguard.diagnosis.probe import run_probe


class _Mixture(nn.Module):
    """Two levels of four 2-layer experts mixed by softmax gates, then a 2-layer tower: 6 weight layers deep."""

    def __init__(self) -> None:
        super().__init__()
        self.levels = nn.ModuleList(
            nn.ModuleList(nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU()) for _ in range(4))
            for _ in range(2))
        self.gates = nn.ModuleList(nn.Linear(32, 4) for _ in range(2))
        self.tower = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for experts, gate in zip(self.levels, self.gates, strict=True):
            w = F.softmax(gate(x), -1)
            x = sum(w[:, i:i + 1] * e(x) for i, e in enumerate(experts))
        return self.tower(x).squeeze(-1)


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 32, generator=g)
    return x, (x[:, 0] > 0).float()


def test_parallel_experts_count_once():
    torch.manual_seed(0)
    model = _Mixture()
    probe = run_probe(model, resolve_step(_data(), F.binary_cross_entropy_with_logits, None))
    weight_calls = [r for r in probe.records if isinstance(r.module, nn.Linear)]
    assert len(weight_calls) == 20
    assert probe.weight_path_depth == 6  # two experts' two layers, the tower's two


def test_plain_stack_counts_every_layer():
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(7) for m in (nn.Linear(32, 32), nn.ReLU())], nn.Linear(32, 1),
                          nn.Flatten(0))
    probe = run_probe(model, resolve_step(_data(), F.binary_cross_entropy_with_logits, None))
    assert probe.weight_path_depth == 8


def test_default_init_mixture_is_not_a_deep_unnormalised_stack():
    torch.manual_seed(0)
    model = _Mixture()
    d = gradguard.check(model, _data(), F.binary_cross_entropy_with_logits, torch.optim.Adam(model.parameters()))
    assert not [f for f in d.findings if f.cause == "normalization" and f.severity != "info"]
