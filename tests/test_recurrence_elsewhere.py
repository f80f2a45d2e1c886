"""A recurrent layer's measured growth or decay over time that is not its recurrence's doing is left as information
(``recurrence._elsewhere``, issue 12): decay while the batch's early inputs still reach the loss around the layer
(an SCRN's slow context), growth through a weight of spectral radius far below 1; a plain sigmoid RNN whose only
memory is the vanishing layer is still named."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check


class _SigmoidRNN(nn.Module):
    """``h = sigmoid(A x_t + R h)``; with ``context``, a leaky context ``s = 0.05 B x_t + 0.95 s`` read by the head
    (an SCRN's slow state)."""

    def __init__(self, context: bool) -> None:
        super().__init__()
        self.context = context
        self.A, self.R, self.B = nn.Linear(1, 32), nn.Linear(32, 32, bias=False), nn.Linear(1, 8, bias=False)
        self.head = nn.Linear(40 if context else 32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(len(x), 32)
        s = x.new_zeros(len(x), 8)
        for t in range(x.shape[1]):
            s = 0.05 * self.B(x[:, t]) + 0.95 * s
            h = torch.sigmoid(self.A(x[:, t]) + self.R(h))
        return self.head(torch.cat([h, s], 1) if self.context else h)


class _TimeWeighted(nn.Module):
    """``h = relu(W h + C x_t)`` with ``W = 0.05 I``, every state read with weight ``2^(T - t)``: the early steps
    weigh more through the readout, not through ``W``."""

    def __init__(self) -> None:
        super().__init__()
        self.W, self.C, self.head = nn.Linear(16, 16, bias=False), nn.Linear(1, 16), nn.Linear(16, 4)
        with torch.no_grad():
            self.W.weight.copy_(0.05 * torch.eye(16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(len(x), 16)
        total = x.new_zeros(len(x), 16)
        steps = x.shape[1]
        for t in range(steps):
            h = F.relu(self.W(h) + self.C(x[:, t]))
            total = total + 2.0 ** (steps - t) * h / 2.0 ** steps
        return self.head(total)


def _check(model: nn.Module, steps: int = 16) -> object:
    g = torch.Generator().manual_seed(0)
    batch = torch.randn(32, steps, 1, generator=g), torch.randint(0, 4, (32,), generator=g)
    return check(model, batch, F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)


def _recurrence(d: object) -> list:
    return [f for f in d.findings if f.cause == "recurrence"]  # type: ignore[attr-defined]


def test_decay_with_a_context_path_is_information_and_without_it_is_named() -> None:
    torch.manual_seed(0)
    with_context = _recurrence(_check(_SigmoidRNN(context=True)))
    assert with_context and all(f.severity == "info" for f in with_context)
    assert with_context[0].evidence["input_first_over_last_step_decades"] > -2
    torch.manual_seed(0)
    alone = _recurrence(_check(_SigmoidRNN(context=False)))
    assert alone and alone[0].severity in ("warning", "critical") and alone[0].evidence["direction"] == -1
    assert "input_first_over_last_step_decades" not in alone[0].evidence


def test_growth_through_a_weight_of_radius_0_05_is_information() -> None:
    torch.manual_seed(0)
    found = _recurrence(_check(_TimeWeighted()))
    assert found and found[0].evidence["direction"] == 1 and found[0].severity == "info"
    assert found[0].evidence["growth_not_through_this_weight"] is True


class _Mogrify(nn.Module):
    """A Mogrifier-style step: the input gates the state by ``2 sigmoid(R x_t)`` before an LSTM cell; the state
    starts at zero, so the first gating passes no gradient back to ``R``'s input."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(1, 16)
        self.R = nn.Linear(16, 16)
        self.cell = nn.LSTMCell(16, 16)
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = c = x.new_zeros(len(x), 16)
        for t in range(x.shape[1]):
            xt = self.inp(x[:, t])
            h = 2 * torch.sigmoid(self.R(xt)) * h
            h, c = self.cell(xt, (h, c))
        return self.head(h)


def test_a_first_step_that_multiplies_a_zero_state_is_not_a_vanishing_recurrence() -> None:
    torch.manual_seed(0)
    found = [f for f in _recurrence(_check(_Mogrify(), steps=24)) if f.layers == ["R"]]
    assert all(f.severity == "info" for f in found)


class _StackedTimeWeighted(nn.Module):
    """As :class:`_TimeWeighted` with its recurrent map a (32, 16) Linear read as two stacked square blocks (both
    0.05 I), whose halves are summed: a user module read as a gated cell's blocks, radius far below 1."""

    def __init__(self) -> None:
        super().__init__()
        self.W, self.C, self.head = nn.Linear(16, 32, bias=False), nn.Linear(1, 16), nn.Linear(16, 4)
        with torch.no_grad():
            self.W.weight.copy_(0.05 * torch.eye(16).repeat(2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(len(x), 16)
        total = x.new_zeros(len(x), 16)
        steps = x.shape[1]
        for t in range(steps):
            a, b = self.W(h).chunk(2, dim=-1)
            h = F.relu(a + b + self.C(x[:, t]))
            total = total + 2.0 ** (steps - t) * h / 2.0 ** steps
        return self.head(total)


def test_growth_through_stacked_blocks_of_radius_0_05_is_information() -> None:
    # fresh82's pointer-generator: its attention query map, (64, 32) read as two blocks at 0.6, told recurrence on a
    # healthy decoder whose LSTM cell and fed-back context carry the growth
    torch.manual_seed(0)
    found = [f for f in _recurrence(_check(_StackedTimeWeighted())) if f.layers == ["W"]]
    assert found and found[0].evidence["direction"] == 1 and found[0].severity == "info"
    assert found[0].evidence["growth_not_through_this_weight"] is True
    assert max(found[0].evidence["spectral_radius"].values()) < 0.1
