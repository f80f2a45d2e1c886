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


@pytest.mark.parametrize("case", ["plain", "nan_and_missing", "loss_scale_update"])
def test_host_and_device_layer_reductions_agree(case: str) -> None:
    """The default path (per-tensor figures reduced on the host) equals the per-layer device layout."""
    torch.manual_seed(3)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    out = model(torch.randn(5, 6)).pow(2).mean()
    out.backward()
    if case == "nan_and_missing":
        model[0].weight.grad[1, 2] = float("nan")
        model[2].bias.grad = None
    inv = build_inventory(model, opt)
    results = []
    for host_reduce in (True, False):
        col = StatsCollector(inv)
        col.host_reduce = host_reduce
        present = tuple(k for k, p in enumerate(inv.params) if p.grad is not None)
        loss, scale = (out.detach(), torch.tensor(1024.0)) if case == "loss_scale_update" else (None, None)
        if case == "loss_scale_update":  # an update measured at step 0 is read with step 1's vector
            first, _ = col.unpack(col.collect(present, loss, scale).tolist(), 0, (0.1,), present=present,
                                  has_loss=True, has_scaler=True)
            col.begin_update(first)
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(0.01)
            col.end_update()
        stats, update = col.unpack(col.collect(present, loss, scale).tolist(), 1, (0.1,), present=present,
                                   has_loss=loss is not None, has_scaler=scale is not None)
        results.append((stats, update))
        if case == "loss_scale_update":
            with torch.no_grad():
                for p in model.parameters():
                    p.sub_(0.01)
    (a, ua), (b, ub) = results
    for name in ("layer_grad_norm", "layer_grad_maxabs", "layer_weight_norm"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-6, equal_nan=True)
    np.testing.assert_array_equal(a.layer_grad_nonfinite, b.layer_grad_nonfinite)
    np.testing.assert_array_equal(a.layer_has_grad, b.layer_has_grad)
    assert (a.loss, a.scale) == ((b.loss, b.scale) if a.loss is None else pytest.approx((b.loss, b.scale)))
    assert math.isnan(a.grad_norm) == math.isnan(b.grad_norm)
    if case == "nan_and_missing":
        assert not a.grads_finite and math.isnan(a.layer_grad_norm[0]) and math.isfinite(a.layer_grad_norm[1])
    else:
        assert a.grad_norm == pytest.approx(b.grad_norm, rel=1e-6)
    if case == "loss_scale_update":
        assert ua is not None and ub is not None and ua.step == ub.step == 0
        np.testing.assert_allclose(ua.layer_update_norm, ub.layer_update_norm, rtol=1e-5)
        assert a.scale == 1024.0 and a.loss == pytest.approx(float(out.detach()))
