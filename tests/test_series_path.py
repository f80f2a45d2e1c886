"""Weight layers in series read off the autograd graph (``graph.single_path``, issue 12): a deep GCN written with
functional activations and a propagation matrix ``P @ h`` is a plain stack (``depth``), while a residual sum, a
product of two activations (attention) or a GCNII-style initial residual joins another path in."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check
from gradguard.diagnosis.graph import single_path


def _propagation(n: int = 24, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    a = (torch.rand(n, n, generator=g) < 0.2).float()
    a = ((a + a.T) > 0).float() + torch.eye(n)
    d = a.sum(1).rsqrt()
    return d[:, None] * a * d[None, :]


class _GCN(nn.Module):
    def __init__(self, layers: int, initial_residual: bool = False) -> None:
        super().__init__()
        self.fc_in, self.fc_out = nn.Linear(8, 32), nn.Linear(32, 4)
        self.convs = nn.ModuleList(nn.Linear(32, 32, bias=False) for _ in range(layers))
        self.initial_residual = initial_residual

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, p = inputs
        h0 = h = F.relu(self.fc_in(x))
        for conv in self.convs:
            h = F.dropout(h, 0.5, self.training)
            support = p @ h
            if self.initial_residual:
                support = 0.9 * support + 0.1 * h0
            h = F.relu(conv(support))
        return self.fc_out(h)


def _batch() -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return (torch.randn(24, 8, generator=g), _propagation()), torch.randint(0, 4, (24,), generator=g)


def test_single_path_crosses_a_propagation_and_dropout_but_not_a_sum_or_attention() -> None:
    torch.manual_seed(0)
    lin_a, lin_b = nn.Linear(8, 8), nn.Linear(8, 8)
    p = _propagation(6).requires_grad_()  # the probe makes the batch require grad: a matrix of inputs alone
    x = torch.randn(6, 8, requires_grad=True)
    a = lin_a(x)
    b_in = p @ F.dropout(F.relu(a), 0.5)
    assert single_path(b_in.grad_fn, a.grad_fn)
    assert not single_path((b_in + lin_b(x)).grad_fn, a.grad_fn)  # a residual sum
    q, v = lin_a(x), lin_b(x)
    attended = torch.softmax(q @ q.T, dim=-1) @ v  # a product of two activations
    assert not single_path(attended.grad_fn, v.grad_fn)
    assert not single_path(attended.grad_fn, q.grad_fn)


def test_a_deep_plain_gcn_is_named_depth_and_a_gcnii_style_residual_is_not_a_series() -> None:
    torch.manual_seed(0)
    plain = _GCN(32)
    d = check(plain, _batch(), F.cross_entropy, torch.optim.Adam(plain.parameters(), lr=0.01), confirm_steps=0)
    series = [f for f in d.findings if "weight_layers_in_series" in f.evidence]
    assert series and series[0].evidence["weight_layers_in_series"] == 34
    assert d.top is not None and d.top.cause == "depth"
    torch.manual_seed(0)
    residual = _GCN(32, initial_residual=True)
    d = check(residual, _batch(), F.cross_entropy, torch.optim.Adam(residual.parameters(), lr=0.01), confirm_steps=0)
    assert not [f for f in d.findings if "weight_layers_in_series" in f.evidence]
