"""Normalisation layers defined in ``__init__`` and left out of ``forward`` (``slips.uncalled_norm_findings``,
issue 12): named ``normalization`` above the dead units they cause; not when the forward calls them, not for one
spare norm module, not for a model without norms."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check


class _Net(nn.Module):
    def __init__(self, call_norms: bool) -> None:
        super().__init__()
        self.call_norms = call_norms
        self.convs = nn.ModuleList(nn.Conv2d(c, 16, 3, padding=1) for c in (3, 16, 16, 16))
        self.bns = nn.ModuleList(nn.BatchNorm2d(16) for _ in range(4))
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv, bn in zip(self.convs, self.bns):
            x = conv(x)
            x = F.relu(bn(x) if self.call_norms else x)
        return self.head(x.mean(dim=(2, 3)))


def _check(model: nn.Module) -> object:
    g = torch.Generator().manual_seed(0)
    batch = torch.randn(16, 3, 12, 12, generator=g), torch.randint(0, 10, (16,), generator=g)
    return check(model, batch, F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)


def _uncalled(d: object) -> list:
    return [f for f in d.findings if "normalization_layers_defined" in f.evidence]  # type: ignore[attr-defined]


def test_batchnorms_defined_and_never_called_are_named_first() -> None:
    torch.manual_seed(0)
    d = _check(_Net(call_norms=False))
    found = _uncalled(d)
    assert len(found) == 1 and found[0].severity == "warning" and found[0].evidence["normalization_layers_defined"] == 4
    assert d.top is found[0]  # type: ignore[attr-defined]


def test_called_norms_a_spare_norm_or_no_norms_are_left_alone() -> None:
    torch.manual_seed(0)
    assert _uncalled(_check(_Net(call_norms=True))) == []
    torch.manual_seed(0)
    spare = _Net(call_norms=True)
    spare.unused_norm = nn.LayerNorm(16)  # one more, never called: a leftover beside norms that run
    assert _uncalled(_check(spare)) == []
    torch.manual_seed(0)
    one = _Net(call_norms=False)
    one.bns = nn.ModuleList([nn.BatchNorm2d(16)])  # a single uncalled norm: not a design left out
    assert _uncalled(_check(one)) == []
    torch.manual_seed(0)
    assert _uncalled(_check(nn.Sequential(nn.Flatten(), nn.Linear(432, 32), nn.ReLU(), nn.Linear(32, 10)))) == []


class _MixerWithSpareNorms(nn.Module):
    """Twelve Linear blocks that run without normalisation and two LayerNorms defined in one block and never called
    (thuml/Time-Series-Library's TimeMixer: dead code, the model trains best of its round)."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(432, 32)
        self.blocks = nn.ModuleList(nn.Linear(32, 32) for _ in range(12))
        self.spare = nn.ModuleList(nn.LayerNorm(32) for _ in range(2))
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x.flatten(1))
        for block in self.blocks:
            h = h + 0.2 * F.gelu(block(h))
        return self.head(h)


def test_two_spare_norms_beside_many_unnormalised_layers_are_information() -> None:
    torch.manual_seed(0)
    found = _uncalled(_check(_MixerWithSpareNorms()))
    assert len(found) == 1 and found[0].severity == "info"
    assert found[0].evidence["weight_layers_called"] == 14 and "dead code" in found[0].message
