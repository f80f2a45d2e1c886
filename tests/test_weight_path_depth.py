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


class _Hops(nn.Module):
    """``depth`` MixHop-style layers: each concatenates three branches of its input (identity, one and two
    propagations by a fixed matrix), each through its own Linear; optionally a residual sum around each layer."""

    def __init__(self, depth: int, residual: bool) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.ModuleList(nn.Linear(24, 8) for _ in range(3)) for _ in range(depth))
        self.head = nn.Linear(24, 1)
        self.residual = residual
        self.register_buffer("prop", torch.softmax(torch.randn(64, 64, generator=torch.Generator().manual_seed(5)), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for branches in self.layers:
            hops = [x, self.prop @ x, self.prop @ (self.prop @ x)]
            h = torch.relu(torch.cat([lin(v) for lin, v in zip(branches, hops, strict=True)], -1))
            x = x + h if self.residual else h
        return self.head(x).squeeze(-1)


def _hops_probe(residual: bool):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 24, generator=g)
    return run_probe(_Hops(26, residual), resolve_step((x, (x[:, 0] > 0).float()), F.binary_cross_entropy_with_logits,
                                                      None))


def test_side_by_side_branches_are_no_skip_path():
    probe = _hops_probe(residual=False)
    assert probe.gradient_path is not None and probe.gradient_path[0] == 27  # 26 hop layers and the head
    assert len(probe.gradient_path[1]) == 27 and probe.gradient_path[1][-1] == "head"


def test_a_residual_sum_shortens_the_gradient_path():
    probe = _hops_probe(residual=True)
    assert probe.gradient_path is not None and probe.gradient_path[0] <= 2


def test_deep_stack_of_concatenated_branches_is_named_depth():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 24, generator=g)
    model = _Hops(26, residual=False)
    d = gradguard.check(model, (x, (x[:, 0] > 0).float()), F.binary_cross_entropy_with_logits,
                        torch.optim.Adam(model.parameters(), lr=0.01))
    depth = [f for f in d.findings if f.cause == "depth" and "weight_layers_in_series" in f.evidence]
    assert depth and depth[0].evidence["weight_layers_in_series"] == 27
