"""The W&B (offline) and MLflow (local file store) sinks receive the record's curves and events."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gradguard.decision import StepReport
from gradguard.errors import ConfigError
from gradguard.events import Event
from gradguard.inventory import LayerInfo
from gradguard.record import RunWriter
from gradguard.stats import StepStats, UpdateStats

LAYERS = [LayerInfo("<root>", "Net", 3, ("scale",)), LayerInfo("head", "Linear", 5, ("head.weight",))]
STEPS = 5


def _step(step: int) -> tuple[StepStats, StepReport]:
    gnorm = np.array([1.0 + step, np.nan if step == 2 else 0.5 * step])  # the head has no gradient at step 2
    stats = StepStats(step=step, loss=10.0 - step, grad_norm=2.0 + step, scale=None, lrs=(0.1,),
                      layer_grad_norm=gnorm, layer_grad_maxabs=gnorm, layer_grad_nonfinite=np.zeros(2, int),
                      layer_weight_norm=np.array([3.0, 4.0 + step]), layer_has_grad=np.array([True, step != 2]))
    clip = 0.5 if step == 3 else 1.0
    events = (Event(step, "clip", "info", "clipped", layers=("head",), evidence={"coef": clip}),) if step == 3 else ()
    return stats, StepReport(step, step != 1, "clip_norm" if step == 3 else None, 10.0 - step, 2.0 + step, clip,
                             events)


def _write(sink: Any) -> RunWriter:
    writer = RunWriter([sink], LAYERS, {"optimizer": "SGD"}, flush_every=2)
    for s in range(STEPS):
        stats, report = _step(s)
        writer.add_step(stats, report, 1_700_000_000.0 + s)
    writer.add_update(UpdateStats(4, np.array([0.1, 0.2]), np.array([1e-3, np.nan])))
    writer.close()
    assert writer.error is None
    return writer


class FakeRun:
    """Stands in for a wandb run: keeps what was logged."""

    def __init__(self) -> None:
        self.logged: list[dict[str, Any]] = []
        self.metrics: list[tuple[str, str | None]] = []

    def define_metric(self, name: str, step_metric: str | None = None) -> None:
        self.metrics.append((name, step_metric))

    def log(self, values: dict[str, Any]) -> None:
        self.logged.append(values)


def test_wandb_sink_logs_curves_against_the_gradguard_step() -> None:
    pytest.importorskip("wandb")
    from gradguard.sinks.wandb import WandbSink

    run = FakeRun()
    _write(WandbSink(run=run))
    assert ("gradguard/*", "gradguard/step") in run.metrics
    steps = [r for r in run.logged if "gradguard/grad_norm" in r]
    assert [r["gradguard/step"] for r in steps] == list(range(STEPS))
    assert steps[3]["gradguard/clip_coef"] == 0.5 and steps[1]["gradguard/applied"] == 0.0
    assert "gradguard/grad_norm/head" not in steps[2] and steps[2]["gradguard/weight_norm/head"] == 6.0
    assert steps[0]["gradguard/grad_norm/<root>"] == 1.0
    updates = [r for r in run.logged if "gradguard/update_ratio/<root>" in r]
    assert updates == [{"gradguard/step": 4, "gradguard/update_ratio/<root>": 1e-3}]
    assert sum("gradguard/events" in r for r in run.logged) == 1


@pytest.mark.timeout(120)
def test_wandb_sink_runs_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("wandb")
    from gradguard.sinks.wandb import WandbSink

    for name, value in {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(tmp_path),
                        "WANDB_CONFIG_DIR": str(tmp_path), "WANDB_CACHE_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    _write(WandbSink(project="gradguard-test", mode="offline", dir=tmp_path))
    files = list((tmp_path / "wandb").glob("offline-run-*/*.wandb"))
    assert files and files[0].stat().st_size > 0


@pytest.mark.timeout(120)
def test_mlflow_sink_logs_to_a_local_store(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    from mlflow import MlflowClient

    from gradguard.sinks.mlflow import MLflowSink

    sink = MLflowSink(tmp_path / "mlflow.db", experiment="exp", run_name="r1")
    _write(sink)
    assert sink.tracking_uri == f"sqlite:///{(tmp_path / 'mlflow.db').resolve()}"
    client = MlflowClient(tracking_uri=sink.tracking_uri)
    run = client.get_run(sink.run_id)
    assert run.info.status == "FINISHED"
    history = client.get_metric_history(sink.run_id, "gradguard/grad_norm")
    assert sorted((m.step, m.value) for m in history) == [(s, 2.0 + s) for s in range(STEPS)]
    head = client.get_metric_history(sink.run_id, "gradguard/grad_norm/head")
    assert sorted(m.step for m in head) == [0, 1, 3, 4]  # no gradient at step 2: no point, not a 0
    assert client.get_metric_history(sink.run_id, "gradguard/grad_norm/_root_")  # '<' and '>' are not accepted
    ratio = client.get_metric_history(sink.run_id, "gradguard/update_ratio/_root_")
    assert [(m.step, m.value) for m in ratio] == [(4, 1e-3)]
    local = Path(client.download_artifacts(sink.run_id, "gradguard", str(tmp_path / "dl")))
    assert (tmp_path / "mlartifacts").is_dir()  # next to the database, not in the working directory
    assert '"kind": "clip"' in (local / "events.jsonl").read_text().replace('":"', '": "')
    assert "optimizer" in (local / "meta.json").read_text()


@pytest.mark.parametrize("module, cls", [("wandb", "WandbSink"), ("mlflow", "MLflowSink")])
def test_layer_every_is_validated(module: str, cls: str) -> None:
    pytest.importorskip(module)
    import importlib

    sink_cls = getattr(importlib.import_module(f"gradguard.sinks.{module}"), cls)
    with pytest.raises(ConfigError, match="layer_every"):
        sink_cls(layer_every=0)


def test_the_sinks_import_nothing_until_built() -> None:
    import subprocess
    import sys

    code = ("import sys, gradguard.sinks.wandb, gradguard.sinks.mlflow; "
            "print(any(m in sys.modules for m in ('wandb', 'mlflow')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "False", out.stderr
