"""A ReLU whose input takes one value per unit over the whole batch is not judged dead or alive
(``behaviour.activation_stats``, issue 12): its sign is its bias's, the input carries nothing (RAFT's flow encoder at
the first refinement, whose flow starts at 0 for every sample, read 69% dead on a healthy model, fresh81). A ReLU
whose varying input sits below zero everywhere is still dead."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check
from gradguard.diagnosis.behaviour import activation_stats


class _Refiner(nn.Module):
    """Image features plus an encoder of a flow estimate that starts at zero, refined for ``iters`` steps."""

    def __init__(self, iters: int = 1, flow_bias: float = -0.5) -> None:
        super().__init__()
        self.iters = iters
        self.feat = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU())
        self.flow_enc = nn.Sequential(nn.Conv2d(2, 32, 3, padding=1), nn.ReLU())
        self.delta = nn.Conv2d(64, 2, 3, padding=1)
        self.head = nn.Linear(2, 4)
        with torch.no_grad():  # 75% of the flow encoder's biases negative: "dead" on a zero flow by bias alone
            self.flow_enc[0].bias.copy_(torch.where(torch.arange(32) % 4 == 0, 0.5, flow_bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.feat(x)
        flow = x.new_zeros(len(x), 2, *x.shape[2:])
        for _ in range(self.iters):
            flow = flow + self.delta(torch.cat([f, self.flow_enc(flow)], 1))
        return self.head(flow.mean(dim=(2, 3)))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, 3, 8, 8, generator=g), torch.randint(0, 4, (16,), generator=g)


def test_activation_stats_leave_a_unit_constant_over_the_batch_unjudged() -> None:
    const = torch.tensor([0.5, -1.0, -2.0, 0.0]).repeat(16, 1)  # four units, one value each over 16 samples
    assert activation_stats("relu", const, -1, pre=True) == (None, None)
    varying = const + torch.linspace(0, 0.1, 16)[:, None]
    dead, _ = activation_stats("relu", varying, -1, pre=True)
    assert dead == 0.5  # units 1 and 2 stay below zero on every sample


def test_a_zero_started_refinement_input_is_not_read_as_dead_units() -> None:
    torch.manual_seed(0)
    model = _Refiner()
    d = check(model, _batch(), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)
    assert not [f for f in d.findings if f.cause == "activation" and f.severity != "info"]
    # the same encoder reading a varying input whose pre-activations sit at -50: dead, and named
    torch.manual_seed(0)
    model = _Refiner(flow_bias=-50.0)
    model.forward = lambda x: model.head(model.delta(torch.cat(  # type: ignore[method-assign]
        [model.feat(x), model.flow_enc(x[:, :2])], 1)).mean(dim=(2, 3)))
    d = check(model, _batch(), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)
    dead = [f for f in d.findings if f.cause == "activation" and "dead_fraction" in f.evidence]
    assert dead and dead[0].evidence["worst_fraction"] >= 0.7
