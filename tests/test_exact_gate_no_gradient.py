"""A gate saturated to exactly 1 passes no gradient: the no-gradient finding is its consequence (fresh76's GCRN)."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class _GatedState(nn.Module):
    """A hand-written GRU-style update over 12 steps: ``h = z * h + (1 - z) * tanh(W x + U h)``."""

    def __init__(self, gate_bias: float) -> None:
        super().__init__()
        self.w, self.u, self.wz = nn.Linear(8, 16), nn.Linear(16, 16, bias=False), nn.Linear(8, 16)
        self.readout = nn.Linear(16, 4)
        with torch.no_grad():
            self.wz.bias.fill_(gate_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(x.shape[0], 16)
        for t in range(x.shape[1]):
            z = torch.sigmoid(self.wz(x[:, t]))
            h = z * h + (1 - z) * torch.tanh(self.w(x[:, t]) + self.u(h))
        return self.readout(h)


def _check(gate_bias: float) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    model = _GatedState(gate_bias)
    x, y = torch.randn(32, 12, 8), torch.randint(0, 4, (32,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return gradguard.check(model, (x, y), nn.functional.cross_entropy, opt, confirm_steps=0)


def test_gate_held_at_exactly_one_is_named_before_the_missing_gradient() -> None:
    d = _check(20.0)
    assert not d.healthy and d.top is not None
    assert d.top.cause == "recurrence" and "shut_gates" in d.top.evidence
    missing = [f for f in d.findings if "no_gradient_share" in f.evidence]
    assert missing and all(f.severity == "info" and f.evidence.get("consequence_of") == "recurrence"
                           for f in missing)


def test_a_gate_with_slope_raises_neither() -> None:
    d = _check(0.0)
    assert not any("shut_gates" in f.evidence or "no_gradient_share" in f.evidence
                   for f in d.findings if f.severity != "info")
