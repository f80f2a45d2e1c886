"""Activations computed and thrown away (``diagnosis.dropped``, issue 12): ``h.relu()`` where ``h.relu_()`` belongs
leaves every layer linear; named ``activation``. Kept activations, in-place ones, and an unused branch beside used
activations are left alone."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check


class _Unit(nn.Module):
    def __init__(self, mode: str) -> None:
        super().__init__()
        self.l0, self.l1, self.mode = nn.Linear(16, 32), nn.Linear(32, 16), mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.l0(x)
        if self.mode == "dropped":
            h.relu()  # the result is thrown away: h stays linear
        elif self.mode == "inplace":
            h.relu_()
        else:
            h = F.relu(h)
        if self.mode == "branch":
            torch.tanh(self.l1(h))  # an unused branch beside activations that are used
        return x + self.l1(h)


def _check(mode: str) -> object:
    torch.manual_seed(0)
    model = nn.Sequential(*[_Unit(mode) for _ in range(3)], nn.Linear(16, 4))
    g = torch.Generator().manual_seed(0)
    batch = torch.randn(32, 16, generator=g), torch.randint(0, 4, (32,), generator=g)
    return check(model, batch, F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)


def _dropped(d: object) -> list:
    return [f for f in d.findings if "activation_results_dropped" in f.evidence]  # type: ignore[attr-defined]


def test_out_of_place_activations_whose_results_are_dropped_are_named() -> None:
    d = _check("dropped")
    found = _dropped(d)
    assert len(found) == 1 and found[0].cause == "activation" and found[0].evidence["activation_results_dropped"] == 3
    assert d.top is found[0]  # type: ignore[attr-defined]


def test_kept_in_place_and_side_branch_activations_are_left_alone() -> None:
    for mode in ("kept", "inplace", "branch"):
        assert _dropped(_check(mode)) == [], mode
