"""check reads what torch said during the step (a broadcast loss) and activations that are the identity."""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.graph import activation_ops


def _regression(seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    x = torch.randn(64, 8)
    return model, x, x @ torch.randn(8, 1)


def test_broadcast_regression_targets_are_named_data() -> None:
    model, x, y = _regression()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the check's own baseline pass warns too
        d = gradguard.check(model, (x, y.squeeze(1)), F.mse_loss, opt)
    assert not d.healthy and d.top is not None and d.top.cause == "data"
    assert d.top.evidence["target_shape"] == [64] and d.top.evidence["prediction_shape"] == [64, 1]
    assert d.top.evidence["broadcast_shape"] == [64, 64]
    assert any("target size" in n for n in d.notes)


def test_matching_shapes_raise_no_warning_finding() -> None:
    model, x, y = _regression()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    d = gradguard.check(model, (x, y), F.mse_loss, opt)
    assert d.healthy, [f.message for f in d.findings if f.severity != "info"]
    assert not any(f.cause == "data" for f in d.findings)
    assert not any(n.startswith("torch warned") for n in d.notes)


class _Functional(nn.Module):
    def __init__(self, slope: float) -> None:
        super().__init__()
        self.a, self.b, self.slope = nn.Linear(8, 32), nn.Linear(32, 4), slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(F.leaky_relu(self.a(x), self.slope))


def test_leaky_relu_true_is_an_identity_activation() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(64, 8), torch.randint(0, 4, (64,))
    for model in (nn.Sequential(nn.Linear(8, 32), nn.LeakyReLU(True), nn.Linear(32, 32), nn.LeakyReLU(True),
                                nn.Linear(32, 4)), _Functional(1.0)):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        d = gradguard.check(model, (x, y), F.cross_entropy, opt)
        assert d.top is not None and d.top.cause == "activation" and d.top.severity == "critical", d.top
        assert d.top.evidence["identity_activation_ops"] == d.top.evidence["activation_ops"] >= 1
    # the module form names its modules
    seq = nn.Sequential(nn.Linear(8, 32), nn.LeakyReLU(True), nn.Linear(32, 4))
    d = gradguard.check(seq, (x, y), F.cross_entropy, torch.optim.Adam(seq.parameters(), lr=1e-3))
    assert d.top is not None and d.top.layers == ["1"]


def test_leaky_relu_with_its_slope_is_healthy() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(64, 8), torch.randint(0, 4, (64,))
    for model in (nn.Sequential(nn.Linear(8, 32), nn.LeakyReLU(0.01, inplace=True), nn.Linear(32, 4)),
                  _Functional(0.2)):
        d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))
        assert not any(f.cause == "activation" and f.severity != "info" for f in d.findings)


def test_activation_ops_counts_the_graph() -> None:
    x = torch.randn(4, 3, requires_grad=True)
    loss = (torch.relu(x) + F.gelu(x) + F.leaky_relu(x, 1.0) + nn.RReLU(1.0, 1.0)(x) + F.leaky_relu(x, 0.1)).sum()
    assert activation_ops(loss) == (5, 2)
    assert activation_ops(x.sum()) == (0, 0)
