"""``gradguard attribute FLIGHT_RECORD`` and the attribution in ``inspect`` and the report."""

from __future__ import annotations

import json

import torch
from torch import nn

import gradguard
from gradguard.attribution import AttributeSpikes
from gradguard.cli import main


def _nan_run(tmp_path):
    torch.manual_seed(0)
    x, y = torch.randn(160, 4), torch.randn(160, 1)
    x[5 * 16 + 3, 1] = float("nan")
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), 0.01)
    keeper = AttributeSpikes()
    guard = gradguard.Guard(model, opt, tmp_path / "run", loss_fn=nn.MSELoss(),
                            policy=gradguard.chain(keeper, gradguard.safe()))
    for xb, yb in guard.batches(list(zip(x.split(16), y.split(16), strict=True))):
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        guard.step(loss, inputs=xb, targets=yb)
        opt.zero_grad()
    guard.close()
    return keeper


def test_attribute_command_on_a_flight_record(tmp_path, capsys) -> None:
    _nan_run(tmp_path)
    records = sorted((tmp_path / "run" / "flight").glob("*.pt"))
    assert records
    assert main(["attribute", str(records[0])]) == 1  # without --trust: refused, nothing run
    assert "--trust" in capsys.readouterr().err
    assert main(["attribute", str(records[0]), "--trust", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["step"] == 5 and result["verdict"] == "data"
    assert result["culprit_samples"][0]["index"] == 3
    assert "nonfinite_values" in result["culprit_samples"][0]["flags"]
    assert main(["attribute", str(records[0]), "--trust"]) == 0
    out = capsys.readouterr().out
    assert "verdict: data" in out and "sample 3" in out


def test_inspect_and_report_show_the_attribution(tmp_path, capsys) -> None:
    keeper = _nan_run(tmp_path)
    assert keeper.results[5]["verdict"] == "data"
    assert main(["inspect", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "attribution" in out.lower() and "verdict: data" in out and "sample 3" in out
    html = tmp_path / "report.html"
    assert main(["report", str(tmp_path / "run"), "-o", str(html)]) == 0
    text = html.read_text()
    assert "Attribution" in text and "sample 3" in text


def test_attribute_command_with_a_snapshot(tmp_path, capsys) -> None:
    torch.manual_seed(0)
    x, y = torch.randn(480, 8), torch.randn(480, 1)
    x[25 * 16 + 9, 3] = float("inf")
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    policy = gradguard.chain(gradguard.safe(), gradguard.rollback_on_trouble(directory=tmp_path / "snaps", every=10))
    guard = gradguard.Guard(model, opt, tmp_path / "run", loss_fn=nn.MSELoss(), policy=policy)
    for xb, yb in zip(x.split(16), y.split(16), strict=True):
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        guard.step(loss, inputs=xb, targets=yb)
        opt.zero_grad()
    guard.close()
    record = next((tmp_path / "run" / "flight").glob("*.pt"))
    snapshot = sorted((tmp_path / "snaps").glob("*.pt"))[0]
    assert main(["attribute", str(record), "--trust", "--json", "--snapshot", str(snapshot)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "data" and result["basis"] == "snapshot"
    assert result["numbers"]["snapshot"]["recurs"] is True
    assert result["culprit_samples"][0]["index"] == 9
