"""The TensorBoard sink writes the curves and events under its tags; tensorboard is imported only when used."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from gradguard.decision import StepReport
from gradguard.errors import ConfigError, OptionalDependencyError
from gradguard.events import Event
from gradguard.inventory import LayerInfo
from gradguard.record import RunWriter
from gradguard.sinks import TensorBoardSink
from gradguard.stats import StepStats, UpdateStats

LAYERS = [LayerInfo("encoder.0", "Linear", 20, ("encoder.0.weight",)), LayerInfo("head", "Linear", 5, ("head.weight",))]


def _step(step: int) -> tuple[StepStats, StepReport]:
    gnorm = np.array([1.0 + step, np.nan if step == 2 else 0.5 * step])  # the head has no gradient at step 2
    stats = StepStats(step=step, loss=10.0 - step, grad_norm=2.0 + step, scale=1024.0, lrs=(0.1, 0.01),
                      layer_grad_norm=gnorm, layer_grad_maxabs=gnorm, layer_grad_nonfinite=np.zeros(2, int),
                      layer_weight_norm=np.array([3.0, 4.0 + step]), layer_has_grad=np.array([True, step != 2]))
    clip = 0.5 if step == 3 else 1.0
    events = (Event(step, "clip", "info", "clipped", layers=("head",), evidence={"coef": clip}),) if step == 3 else ()
    applied = step != 1  # step 1 was skipped
    return stats, StepReport(step, applied, "clip_norm" if step == 3 else None, 10.0 - step, 2.0 + step, clip, events)


def test_tensorboard_sink_writes_tags(tmp_path: Path) -> None:
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    writer = RunWriter([TensorBoardSink(tmp_path, layer_every=1, histogram_every=2)], LAYERS, {"optimizer": "SGD"},
                       flush_every=3)
    for s in range(5):
        writer.add_step(*_step(s), 1_700_000_000.0 + s)
    writer.add_update(UpdateStats(4, np.array([0.1, 0.2]), np.array([1e-3, np.nan])))
    writer.add_events([Event(4, "explode", "warning", "first"), Event(4, "explode", "critical", "second")])
    writer.close()
    assert writer.error is None
    assert any(p.name.startswith("events.out.tfevents") and p.stat().st_size > 0 for p in tmp_path.iterdir())

    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "tensors": 0,
                                                                          "histograms": 0})
    acc.Reload()
    scalars = set(acc.Tags()["scalars"])
    assert all(tag.startswith("gradguard/") for tag in scalars)  # no collision with the user's own "loss"
    scalars = {tag.removeprefix("gradguard/") for tag in scalars}
    assert {"loss", "grad_norm", "grad_norm_after", "clip_coef", "scale", "lr/group0", "lr/group1",
            "grad_norm/encoder.0", "grad_norm/head", "weight_norm/head", "update_ratio/encoder.0"} <= scalars
    assert "update_ratio/head" not in scalars  # NaN ratio is left out

    def values(tag: str) -> list[tuple[int, float]]:
        return [(e.step, e.value) for e in acc.Scalars("gradguard/" + tag)]

    assert values("skipped_steps") == [(0, 0.0), (1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0)]  # a skip stays visible
    hists = acc.Tags()["histograms"]
    assert "gradguard/hist/log10_grad_norm" in hists and "gradguard/hist/log10_update_ratio" in hists
    assert [h.step for h in acc.Histograms("gradguard/hist/log10_grad_norm")] == [0, 2, 4]
    explode = acc.Tensors(next(t for t in acc.Tags()["tensors"] if t.startswith("gradguard/events/explode")))
    assert len(explode) == 1 and b"first" in explode[0].tensor_proto.string_val[0] \
        and b"second" in explode[0].tensor_proto.string_val[0]  # both events of step 4 are kept

    assert values("loss") == [(s, 10.0 - s) for s in range(5)]
    assert values("grad_norm_after")[3] == (3, 2.5)
    assert values("lr/group1") == [(s, pytest.approx(0.01)) for s in range(5)]
    assert [s for s, _ in values("grad_norm/head")] == [0, 1, 3, 4]  # no gradient at step 2: no point
    assert values("weight_norm/head")[2] == (2, 6.0)
    assert acc.Scalars("gradguard/loss")[1].wall_time == 1_700_000_001.0
    texts = set(acc.Tags()["tensors"])
    assert any(t.startswith("gradguard/events/clip") for t in texts)
    assert any(t.startswith("gradguard/meta") for t in texts)


def test_tensorboard_sink_settings_and_missing_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="layer_every"):
        TensorBoardSink(tmp_path, layer_every=0)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(OptionalDependencyError, match=r"gradguard\[tensorboard\]"):
        TensorBoardSink(tmp_path)
