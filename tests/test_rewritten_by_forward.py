"""A forward that writes its own parameters: an init called inside ``forward`` (every step overwritten at the next
forward: ``init``) or a DropConnect stored over the raw weight (``w.data = F.dropout(w.data, p)``: the weights empty
out, ``regularization``). Read from version counters, storage pointers and zero counts, without copying a weight;
``nn.Embedding(max_norm=...)``, which renormalises rows in place by design, is not one."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _Net(nn.Module):
    def __init__(self, mode: str) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 16, max_norm=1.0 if mode == "max_norm" else None)
        self.fc1, self.fc2 = nn.Linear(16, 32), nn.Linear(32, 5)
        self.mode = mode

    def _init(self, m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if self.mode == "init_in_forward":
            self.apply(self._init)
        if self.mode == "drop_in_place" and self.training:
            self.fc1.weight.data = F.dropout(self.fc1.weight.data, 0.5)
        return self.fc2(torch.relu(self.fc1(self.emb(ids).mean(1))))


def _check(mode: str) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = _Net(mode)
    g = torch.Generator().manual_seed(1)
    ids, y = torch.randint(0, 50, (32, 6), generator=g), torch.randint(0, 5, (32,), generator=g)
    return gradguard.check(model, (ids, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_an_init_called_in_forward_is_named_init_and_not_left_to_a_re_init_run() -> None:
    d = _check("init_in_forward")
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical", d.top
    assert set(d.top.evidence["rewritten_by_forward"]) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}


def test_a_dropout_stored_over_the_weight_is_regularization() -> None:
    d = _check("drop_in_place")
    assert d.top is not None and d.top.cause == "regularization" and d.top.severity == "critical", d.top
    assert d.top.evidence["rewritten_by_forward"] == ["fc1.weight"]
    assert 0.3 < d.top.evidence["zeroed_share"] < 0.7


@pytest.mark.parametrize("mode", ["plain", "max_norm"])
def test_a_forward_that_only_reads_its_weights_is_silent(mode: str) -> None:
    d = _check(mode)
    assert not [f for f in d.findings if "rewritten_by_forward" in f.evidence]
