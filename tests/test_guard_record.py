"""The guard end to end with a run record: what is written is what happened, and the alarm path explains it."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard, open_run
from helpers import batch


class LogOfRelu(nn.Module):
    """A module that makes -Inf from finite inputs whenever a unit is dead."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.relu(x))


def test_record_matches_reports_and_statistics(tmp_path) -> None:
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    reports, norms = [], []
    with Guard(model, opt, run_dir=tmp_path / "run", update_every=2, flush_every=4) as guard:
        for i in range(12):
            x, y = batch(seed=i)
            if i == 5:
                x[0, 0] = float("nan")
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            reports.append(guard.step(loss))
            norms.append(guard.last_stats.layer_grad_norm.copy())
            opt.zero_grad(set_to_none=True)
    run = open_run(tmp_path / "run")
    assert run.layers == ["0", "2"]
    np.testing.assert_array_equal(run.steps["step"], np.arange(12))
    assert list(run.steps["applied"]) == [r.applied for r in reports]
    assert run.reasons[5] == "nonfinite_grad"
    np.testing.assert_allclose(run.steps["grad_norm"][:5], [r.grad_norm for r in reports[:5]], rtol=1e-6)
    np.testing.assert_allclose(run.layer_stat("grad_norm")[:5], np.array(norms[:5]), rtol=1e-6)
    assert [e["step"] for e in run.events_of("nonfinite")][:1] == [5]
    assert run.meta["optimizer"]["class"] == "SGD" and run.meta["model"]["layers"] == 2
    assert list(run.update_steps) == [0, 2, 4, 6, 8, 10]
    assert np.all(run.updates("update_ratio") > 0)
    run.close()


def test_nan_producer_is_named_and_a_flight_record_replays_it(tmp_path) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), LogOfRelu(), nn.Linear(8, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.functional.mse_loss
    guard = Guard(model, opt, run_dir=tmp_path, loss_fn=loss_fn)
    weights = [p.detach().clone() for p in model.parameters()]
    x, y = torch.randn(16, 4), torch.randn(16, 1)
    loss = loss_fn(model(x), y)
    loss.backward()
    report = guard.step(loss, inputs=x, targets=y)
    guard.close()
    assert not report.applied
    nonfinite = [e for e in report.events if e.kind == "nonfinite" and e.evidence.get("where") != "loss"]
    origin = nonfinite[0].evidence["origin"]
    assert origin["module"] == "1" and origin["module_type"] == "LogOfRelu" and origin["phase"] == "forward"
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
    assert nonfinite[0].causes and nonfinite[0].causes[0]["cause"] in {"numeric", "activation"}
    record = nonfinite[0].evidence["flight_record"]
    result = gradguard.replay(record, trust=True)  # a record this test wrote
    assert result.reproduced and result.origin.module == "1"
    stored = open_run(tmp_path).events_of("nonfinite")
    assert stored[0]["evidence"]["origin"]["module"] == "1"


def test_alarm_path_failure_never_stops_training(tmp_path) -> None:
    model = nn.Sequential(nn.Linear(4, 8), LogOfRelu(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)

    def broken_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("boom")

    guard = Guard(model, opt, loss_fn=broken_loss)
    x, y = torch.randn(16, 4), torch.randn(16, 1)
    nn.functional.mse_loss(model(x), y).backward()
    with pytest.warns(RuntimeWarning, match="probe failed"):
        report = guard.step(inputs=x, targets=y)
    assert not report.applied
    assert "boom" in report.events[0].evidence["origin_error"]


def test_import_pulls_in_no_optional_dependency() -> None:
    import subprocess

    code = ("import sys, gradguard; extras = ['typer', 'rich', 'matplotlib', 'pandas', 'tensorboard', "
            "'lightning', 'transformers']; print([m for m in extras if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_diagnosed_event_carries_causes_even_when_rate_limited() -> None:
    model = nn.Sequential(nn.Linear(4, 8), LogOfRelu(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    guard = Guard(model, opt, loss_fn=nn.functional.mse_loss, diagnose_every=100)
    kinds_with_causes = []
    for step in range(3):
        x, y = torch.randn(16, 4), torch.randn(16, 1)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        report = guard.step(loss, inputs=x, targets=y)
        opt.zero_grad(set_to_none=True)
        grads = [e for e in report.events if e.kind == "nonfinite" and e.evidence.get("where") == "gradients"]
        assert grads and grads[0].causes, step
        kinds_with_causes.append(grads[0].evidence.get("causes_from_step"))
    assert kinds_with_causes == [None, 0, 0]
