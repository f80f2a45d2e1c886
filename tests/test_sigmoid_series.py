"""Sigmoid hidden activations in series are named activation, even behind a zero-initialised last layer; a sigmoid
gate that multiplies features, or one or two sigmoid layers, are not."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.activations import SIGMOID_SERIES


def _mlp(hidden: int, zero_last: bool) -> nn.Module:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(16, 64), nn.Sigmoid()]
    for _ in range(hidden - 1):
        layers += [nn.Linear(64, 64), nn.Sigmoid()]
    last = nn.Linear(64, 4)
    if zero_last:
        nn.init.zeros_(last.weight)
    return nn.Sequential(*layers, last)


class _Gated(nn.Module):
    """Squeeze-and-excitation-style gates: features times sigmoid(fc(features)), in 4 blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(16, 64)
        self.blocks = nn.ModuleList(nn.ModuleDict({"f": nn.Linear(64, 64), "g": nn.Linear(64, 64)}) for _ in range(4))
        self.out = nn.Linear(64, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.inp(x))
        for b in self.blocks:
            h = F.relu(b["f"](h)) * torch.sigmoid(b["g"](h))
        return self.out(h)


def _check(model: nn.Module) -> gradguard.Diagnosis:
    g = torch.Generator().manual_seed(1)
    batch = (torch.randn(128, 16, generator=g), torch.randint(0, 4, (128,), generator=g))
    return gradguard.check(model, batch, F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_sigmoid_hidden_layers_in_series_are_activation_even_when_the_batch_hides_them() -> None:
    d = _check(_mlp(SIGMOID_SERIES + 1, zero_last=True))
    found = [f for f in d.findings if f.evidence.get("sigmoid_hidden_layers")]
    assert found and found[0].cause == "activation" and found[0].severity == "warning"
    assert found[0].evidence["sigmoid_hidden_layers"] == SIGMOID_SERIES + 1
    assert d.top is not None and d.top.cause == "activation"


def test_gates_and_a_shallow_sigmoid_net_are_not_named() -> None:
    for model in (_Gated(), _mlp(SIGMOID_SERIES - 1, zero_last=False)):
        d = _check(model)
        assert not any(f.evidence.get("sigmoid_hidden_layers") for f in d.findings)


def test_four_sigmoid_hidden_layers_at_glorots_sigmoid_gain_learn_and_are_not_warned() -> None:
    # fresh106's hybrid DNN-HMM (Dahl et al. 2012, narrowed): 4 sigmoid hidden layers, Glorot-uniform at gain 4 (the
    # sigmoid's); it learns, and four in series were a warning until session 43
    assert SIGMOID_SERIES > 4
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for fan_in in (40, 128, 128, 128):
        layers += [nn.Linear(fan_in, 128), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(128, 16))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight, gain=4.0)
            nn.init.zeros_(m.bias)
    g = torch.Generator().manual_seed(2)
    centres = torch.randn(16, 40, generator=g)
    y = torch.randint(0, 16, (256,), generator=g)
    x = centres[y] + 0.5 * torch.randn(256, 40, generator=g)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    d = gradguard.check(model, (x, y), F.cross_entropy, opt)
    assert d.healthy, [(f.cause, f.severity) for f in d.findings]
    first = F.cross_entropy(model(x), y).item()
    for _ in range(100):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    assert F.cross_entropy(model(x), y).item() < 0.25 * first
