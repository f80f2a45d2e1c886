"""Report at scale: a synthetic record of 100k steps × 200 layers must render in < 10 s into < 10 MB.

Usage: ``python benchmarks/report_scale.py [--steps 100000] [--layers 200] [--dir DIR]``. The record is written
through the real writer (RunWriter + SQLiteSink) with synthetic statistics; only the report is timed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from gradguard.decision import StepReport
from gradguard.events import Event
from gradguard.inventory import LayerInfo
from gradguard.record import RunWriter, SQLiteSink
from gradguard.report import write_report
from gradguard.stats import StepStats, UpdateStats


def write_synthetic(run_dir: Path, steps: int, layers: int, seed: int = 0) -> None:
    """A run with decaying per-layer gradients, a few spikes and NaN steps, events with evidence and causes."""
    rng = np.random.default_rng(seed)
    infos = [LayerInfo(f"blocks.{i}.linear", "Linear", 4096, (f"blocks.{i}.linear.weight",)) for i in range(layers)]
    writer = RunWriter([SQLiteSink(run_dir)], infos, {"model": {"class": "Synthetic", "layers": layers}},
                       flush_every=2048, flush_seconds=30.0)
    depth_scale = np.logspace(-3, 0, layers)
    spikes = set(rng.integers(0, steps, 40).tolist())
    nan_steps = set(rng.integers(0, steps, 5).tolist())
    weights = np.ones(layers)
    for s in range(steps):
        g = depth_scale * np.exp(rng.normal(0.0, 0.3, layers))
        if s in spikes:
            g = g * 1e3
        nonfinite = np.zeros(layers, dtype=np.int64)
        if s in nan_steps:
            g = g.copy()
            g[-3:] = np.nan
            nonfinite[-3:] = 7
        weights = weights * (1 + 1e-6)
        norm = float(np.sqrt(np.nansum(g**2))) if s not in nan_steps else float("nan")
        stats = StepStats(step=s, loss=float(2.0 * np.exp(-s / steps) + rng.random() * 0.1), grad_norm=norm,
                          scale=None, lrs=(1e-3,), layer_grad_norm=g, layer_grad_maxabs=g / 10,
                          layer_grad_nonfinite=nonfinite, layer_weight_norm=weights.copy(),
                          layer_has_grad=np.ones(layers, dtype=bool))
        events: tuple[Event, ...] = ()
        if s in spikes:
            events = (Event(s, "explode", "critical", f"gradient norm {norm:.3g}", layers=(infos[0].name,),
                            evidence={"grad_norm": norm, "threshold": 10.0},
                            causes=({"cause": "lr", "severity": "warning", "confidence": 0.7, "score": 1.0,
                                     "message": "lr too high", "prescription": "lower it", "layers": []},)),)
        clip = min(1.0, 10.0 / norm) if np.isfinite(norm) else 1.0
        report = StepReport(step=s, applied=s not in nan_steps, reason=None, loss=stats.loss, grad_norm=norm,
                            clip_coef=clip, events=events)
        writer.add_step(stats, report, 1.7e9 + s)
        if s % 10 == 0:
            u = depth_scale * 1e-3
            writer.add_update(UpdateStats(step=s, layer_update_norm=u, layer_update_ratio=u / weights))
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--layers", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = args.dir or Path(tmp) / "run"
        t0 = time.perf_counter()
        write_synthetic(run_dir, args.steps, args.layers)
        t1 = time.perf_counter()
        path = write_report(run_dir, Path(tmp) / "report.html")
        t2 = time.perf_counter()
        size = path.stat().st_size
        print(f"record: {args.steps} steps x {args.layers} layers, written in {t1 - t0:.1f} s "
              f"({(run_dir / 'run.sqlite').stat().st_size / 1e6:.0f} MB)")
        print(f"report: {t2 - t1:.2f} s, {size / 1e6:.2f} MB  (limits: 10 s, 10 MB) -> "
              f"{'OK' if t2 - t1 < 10 and size < 10e6 else 'OVER'}")


if __name__ == "__main__":
    main()
