"""The nineteenth session's diagnosis rules (issue 12), each on real models and batches, each failing on the rules
before:

* an out-of-scale float input that the model reads only through a periodic op (a time stamp taken modulo a learned
  period, as a Phased LSTM's time gate does) is not a ``data`` warning: no weight reads its scale. The same input
  read by a weight layer, or also added to a layer's input directly, still is; nor is an input the loss's graph does
  not reach at all;
* a recurrent cell stepped over the sequence whose every parameter gets no gradient (its state detached inside the
  time loop, the last state included): ``recurrence``, not a generic "no gradient" ``activation``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check
from gradguard.diagnosis.graph import UNREACHED, _node_of, periodic_reader


class _TimeGated(nn.Module):
    """Features ``x`` through a linear layer, gated by the phase of a raw time stamp ``t`` (``t mod tau``)."""

    def __init__(self, direct: bool = False, through_weight: bool = False) -> None:
        super().__init__()
        self.lin = nn.Linear(8, 16)
        self.head = nn.Linear(16, 3)
        self.log_tau = nn.Parameter(torch.linspace(0.0, 3.0, 16))
        self.shift = nn.Parameter(torch.linspace(0.0, 1.0, 16))
        self.tproj = nn.Linear(1, 16)
        self.direct, self.through_weight = direct, through_weight

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, t = inp
        if self.through_weight:
            gate = torch.sin(self.tproj(t[:, None]))  # a product first: the scale reaches the weight
        else:
            tau = self.log_tau.exp()
            gate = torch.remainder(t[:, None] - self.shift, tau) / tau
        h = torch.relu(self.lin(x)) * gate
        if self.direct:
            h = h + t[:, None]  # the raw stamp also reaches the head unbounded
        return self.head(h)


def _batch() -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=g)
    t = torch.rand(64, generator=g) * 30.0 + 5.0  # seconds since the series began: RMS ~21
    return (x, t), torch.randint(0, 3, (64,), generator=g)


def _data_severity(model: nn.Module) -> str | None:
    batch = _batch()
    d = check(model, batch, F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)
    found = [f for f in d.findings if f.cause == "data"]
    return found[0].severity if found else None


def test_an_input_read_only_through_a_periodic_op_is_not_a_data_warning() -> None:
    torch.manual_seed(0)
    assert _data_severity(_TimeGated()) == "info"


def test_the_same_input_read_by_a_weight_or_directly_stays_a_data_warning() -> None:
    torch.manual_seed(0)
    assert _data_severity(_TimeGated(through_weight=True)) in ("warning", "critical")
    torch.manual_seed(0)
    assert _data_severity(_TimeGated(direct=True)) in ("warning", "critical")


def test_periodic_reader_names_the_op_only_when_every_path_passes_it() -> None:
    torch.manual_seed(0)
    (x, t), _ = _batch()
    for model, expected in ((_TimeGated(), "RemainderBackward"), (_TimeGated(direct=True), None),
                            (_TimeGated(through_weight=True), None)):
        leaf = t.clone().requires_grad_(True)
        loss = model((x, leaf)).square().mean()
        assert periodic_reader(loss, _node_of(leaf)) == expected
    unused = torch.ones(3, requires_grad=True)  # an input the loss never reaches
    assert periodic_reader(_TimeGated()((x, t)).sum(), _node_of(unused)) == UNREACHED


class _CellLoop(nn.Module):
    def __init__(self, detach: bool) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(8, 32)
        self.head = nn.Linear(32, 3)
        self.detach = detach

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = c = x.new_zeros(x.shape[0], 32)
        for i in range(x.shape[1]):
            h, c = self.cell(x[:, i], (h, c))
            if self.detach:  # meant between batches, written inside the loop
                h, c = h.detach(), c.detach()
        return self.head(h)


def test_a_cell_whose_state_is_detached_every_step_is_named_recurrence() -> None:
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 12, 8, generator=g), torch.randint(0, 3, (32,), generator=g)
    for detach in (True, False):
        torch.manual_seed(0)
        model = _CellLoop(detach)
        d = check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)
        if detach:
            assert d.top is not None and d.top.cause == "recurrence" and d.top.severity == "critical"
            assert d.top.evidence["cells"] == ["cell"] and d.top.evidence["calls"] == 12
        else:
            assert _causes(d) == []


def _causes(d: object) -> list[str]:
    return [f.cause for f in d.findings if f.severity in ("warning", "critical")]  # type: ignore[attr-defined]
