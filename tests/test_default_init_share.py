"""The "library default init and nothing normalises" reading (init_check._default_init_finding) warns only when the
default layers explain the shrink themselves: a head drawn far smaller on purpose is a design choice, not a missing
normalisation (fresh73's healthy CPM, its belief maps at N(0, 0.001), was told normalization, critical); the finding
stays as information."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def _mlp(head_std: float | None, he: int, default: int, d: int = 64) -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for i in range(he + default):
        lin = nn.Linear(d, d)
        if i < he:
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        layers += [lin, nn.ReLU()]
    head = nn.Linear(d, 10)
    if head_std is not None:
        nn.init.normal_(head.weight, 0.0, head_std)
        nn.init.zeros_(head.bias)
    return nn.Sequential(*layers, head)


def _default_norm(model: nn.Module) -> list[gradguard.Finding]:
    g = torch.Generator().manual_seed(0)
    batch = (torch.randn(64, 64, generator=g), torch.randint(0, 10, (64,), generator=g))
    d = gradguard.check(model, batch, nn.functional.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.01))
    return [f for f in d.findings if f.evidence.get("framework_default_init")]


def test_a_small_head_over_a_few_default_layers_is_not_a_missing_normalisation() -> None:
    # 4 He layers, 3 at PyTorch's default (1.2 decades between them), a head at N(0, 0.001) (2.4 decades)
    found = _default_norm(_mlp(0.001, he=4, default=3))
    assert found and all(f.severity == "info" for f in found)


def test_a_stack_of_default_layers_is_still_read_as_missing_normalisation() -> None:
    found = _default_norm(_mlp(None, he=0, default=8))
    assert found and found[0].cause == "normalization" and found[0].severity == "critical"
