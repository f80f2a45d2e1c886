"""The collector's figures equal a naive per-tensor loop of torch.linalg.vector_norm."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from gradguard.inventory import build_inventory
from gradguard.stats import REDUCTIONS, StatsCollector


def _model() -> nn.Module:
    return nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 12), nn.LayerNorm(12), nn.Linear(12, 3))


def _reference(model: nn.Module, inv) -> dict[str, np.ndarray]:
    L = inv.num_layers
    gsq = np.zeros(L)
    gmax = np.zeros(L)
    wsq = np.zeros(L)
    has = np.zeros(L, bool)
    for p, layer in zip(inv.params, inv.layer_of):
        wsq[layer] += torch.linalg.vector_norm(p.detach().double()).item() ** 2
        if p.grad is not None:
            has[layer] = True
            gsq[layer] += torch.linalg.vector_norm(p.grad.double()).item() ** 2
            gmax[layer] = max(gmax[layer], p.grad.abs().max().item())
    gn = np.sqrt(gsq)
    gn[~has] = np.nan
    gmax[~has] = np.nan
    return {"grad_norm": gn, "grad_maxabs": gmax, "weight_norm": np.sqrt(wsq), "has": has}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_layer_norms_match_naive_loop(seed: int) -> None:
    torch.manual_seed(seed)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.randn(5, 6)).pow(2).mean().backward()
    inv = build_inventory(model, opt)
    col = StatsCollector(inv)
    present = tuple(range(len(inv.params)))
    stats, _ = col.unpack(col.collect(present, None, None).tolist(), 0, (0.1,), has_loss=False, has_scaler=False,
                           present=present)
    ref = _reference(model, inv)
    np.testing.assert_allclose(stats.layer_grad_norm, ref["grad_norm"], rtol=1e-6)
    np.testing.assert_allclose(stats.layer_grad_maxabs, ref["grad_maxabs"], rtol=1e-6)
    np.testing.assert_allclose(stats.layer_weight_norm, ref["weight_norm"], rtol=1e-6)
    total = math.sqrt(sum(p.grad.double().pow(2).sum().item() for p in model.parameters()))
    assert stats.grad_norm == pytest.approx(total, rel=1e-6)
    assert stats.nonfinite_grads == 0 and stats.grads_finite


def test_missing_gradients_are_nan_not_zero() -> None:
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.randn(5, 6)).pow(2).mean().backward()
    model[2].weight.grad = None
    model[2].bias.grad = None
    inv = build_inventory(model, opt)
    col = StatsCollector(inv)
    present = tuple(k for k, p in enumerate(inv.params) if p.grad is not None)
    stats, _ = col.unpack(col.collect(present, None, None).tolist(), 0, (0.1,), has_loss=False, has_scaler=False,
                           present=present)
    ref = _reference(model, inv)
    assert list(stats.layer_has_grad) == list(ref["has"])
    assert np.isnan(stats.layer_grad_norm[1]) and not np.isnan(stats.layer_grad_norm[0])
    np.testing.assert_allclose(stats.layer_grad_norm, ref["grad_norm"], rtol=1e-6)


def test_nonfinite_counts_are_exact() -> None:
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.randn(5, 6)).pow(2).mean().backward()
    model[0].weight.grad[0, :3] = float("nan")
    model[4].bias.grad[1] = float("inf")
    inv = build_inventory(model, opt)
    col = StatsCollector(inv)
    present = tuple(range(len(inv.params)))
    stats, _ = col.unpack(col.collect(present, None, None).tolist(), 0, (0.1,), has_loss=False, has_scaler=False,
                           present=present)
    assert (stats.layer_grad_nonfinite < 0).any()  # marked for counting
    stats = col.count_nonfinite(stats, present)
    assert stats.layer_grad_nonfinite.tolist() == [3, 0, 0, 1]
    assert not stats.grads_finite


def test_huge_finite_gradients_overflowing_norm_count_zero_nonfinite() -> None:
    p = nn.Parameter(torch.zeros(4))
    model = nn.Module()
    model.p = p
    opt = torch.optim.SGD([p], lr=0.1)
    p.grad = torch.full((4,), 3e38)  # finite, but its float32 sum of squares overflows
    inv = build_inventory(model, opt)
    col = StatsCollector(inv)
    stats, _ = col.unpack(col.collect((0,), None, None).tolist(), 0, (0.1,), has_loss=False, has_scaler=False,
                           present=(0,))
    stats = col.count_nonfinite(stats, (0,)) if (stats.layer_grad_nonfinite < 0).any() else stats
    assert stats.nonfinite_grads == 0


def test_every_statistic_declares_its_reduction() -> None:
    assert set(REDUCTIONS.values()) <= {"sum", "max", "mean"}
    for name in ("grad_sumsq", "grad_maxabs", "grad_nonfinite", "weight_sumsq", "update_sumsq"):
        assert name in REDUCTIONS
    assert REDUCTIONS["grad_maxabs"] == "max" and REDUCTIONS["grad_sumsq"] == "sum"


def test_tied_weights_counted_once() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.head = nn.Linear(4, 10, bias=False)
            self.head.weight = self.emb.weight

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.emb(x))

    model = Tied()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    inv = build_inventory(model, opt)
    assert len(inv.params) == 1 and inv.names == ["emb.weight"]
    assert inv.aliases == {"emb.weight": ("head.weight",)}
    model(torch.tensor([1, 2, 3])).sum().backward()
    col = StatsCollector(inv)
    stats, _ = col.unpack(col.collect((0,), None, None).tolist(), 0, (0.1,), has_loss=False, has_scaler=False,
                           present=(0,))
    assert stats.grad_norm == pytest.approx(model.emb.weight.grad.norm().item(), rel=1e-6)
