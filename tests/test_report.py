"""The HTML report: self-contained, every plot present, bounded size; the downsampling keeps extremes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from gradguard.errors import RecordError
from gradguard.report import write_report
from gradguard.report._data import bucket_max_rows, envelope, pick_layers
from report_scale import write_synthetic

PLOTS = ("loss", "grad_norm", "flow_heatmap", "flow_bars", "weight_norm", "update_ratio")


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    run_dir = tmp_path_factory.mktemp("run")
    write_synthetic(run_dir, steps=3000, layers=24)
    return write_report(run_dir).read_text(encoding="utf-8")


def test_every_plot_is_inline_svg(synthetic_report: str) -> None:
    for name in PLOTS:
        match = re.search(rf'<svg data-plot="{name}".*?</svg>', synthetic_report, flags=re.S)
        assert match, name
        assert len(re.findall(r"<(path|image|use)\b", match.group(0))) > 5, name


def test_self_contained_and_offline(synthetic_report: str) -> None:
    assert "<script" not in synthetic_report and "<link" not in synthetic_report
    assert not re.search(r'(src|href)="(https?:)?//', synthetic_report)
    assert "@import" not in synthetic_report and "url(http" not in synthetic_report


def test_tables_and_sections(synthetic_report: str) -> None:
    for heading in ("Training curves", "Gradient flow", "Weights and updates", "Events", "Diagnosis", "metadata"):
        assert heading in synthetic_report
    assert "explode" in synthetic_report and "lower it" in synthetic_report  # events and their prescriptions
    assert "Synthetic" in synthetic_report  # metadata


def test_envelope_is_bounded_and_keeps_extremes() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(100_000)
    y[12_345] = 1e6
    y[54_321] = -5.0
    y[777] = np.nan
    y[888] = np.inf
    x = np.arange(len(y))
    xs, ys = envelope(x, y, max_points=1000)
    assert len(xs) <= 1000 and np.all(np.diff(xs) >= 0)
    assert np.nanmax(ys) == 1e6 and np.nanmin(ys) == -5.0
    _, short_y = envelope(x[:10], y[:10], max_points=1000)
    assert len(short_y) == 10


def test_bucket_max_rows_keeps_each_columns_worst() -> None:
    m = np.ones((10_000, 5))
    m[4321, 2] = 1e9
    m[:, 4] = np.nan
    steps, b = bucket_max_rows(np.arange(10_000), m, max_rows=100)
    assert b.shape == (100, 5) and len(steps) == 100
    assert np.nanmax(b[:, 2]) == 1e9 and np.isnan(b[:, 4]).all()


def test_pick_layers_takes_ends_and_biggest_change() -> None:
    m = np.ones((50, 20))
    m[:, 7] = np.linspace(1, 1e4, 50)
    chosen = pick_layers(m, limit=4)
    assert chosen[0] == 0 and chosen[-1] == 19 and 7 in chosen and len(chosen) == 4


def test_missing_record_raises(tmp_path: Path) -> None:
    with pytest.raises(RecordError):
        write_report(tmp_path / "nothing-here")


def test_skipped_steps_are_marked_and_never_drawn_as_applied(tmp_path: Path) -> None:
    import torch
    from torch import nn

    import gradguard
    from gradguard.report import plots
    from gradguard.report.html import _evidence_html

    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with gradguard.Guard(model, opt, run_dir=tmp_path / "run") as guard:
        for i in range(30):
            loss = model(torch.randn(8, 4)).pow(2).mean() * (float("nan") if i == 20 else 1.0)
            loss.backward()
            guard.step(loss)
            opt.zero_grad()
    html = write_report(tmp_path / "run").read_text(encoding="utf-8")
    heatmap = re.search(r'<svg data-plot="flow_heatmap".*?</svg>', html, flags=re.S)
    assert heatmap and "skipped step" in heatmap.group(0)
    captured: dict[str, np.ndarray] = {}
    original = plots.grad_norm_plot

    def spy(steps: np.ndarray, before: np.ndarray, after: np.ndarray, *args: object) -> str:
        captured["after"] = after
        return original(steps, before, after, *args)  # type: ignore[arg-type]

    plots.grad_norm_plot = spy  # type: ignore[assignment]
    try:
        write_report(tmp_path / "run", tmp_path / "r2.html")
    finally:
        plots.grad_norm_plot = original  # type: ignore[assignment]
    assert np.isnan(captured["after"][20]) and np.isfinite(captured["after"][:20]).all()
    rows = _evidence_html({"grad_norm": 92.91234, "layers": list(range(40)), "note": "x" * 300})
    assert "<b>grad_norm</b>: <code>92.91</code>" in rows and "all evidence" in rows  # one line per key, full JSON
