"""kill -9 in the middle of writing: what was committed is intact and contiguous, nothing half-written shows."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from gradguard.decision import StepReport
from gradguard.inventory import LayerInfo
from gradguard.record import RunWriter, SQLiteSink, open_run
from gradguard.stats import StepStats

CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from gradguard.decision import StepReport
    from gradguard.events import Event
    from gradguard.inventory import LayerInfo
    from gradguard.record import RunWriter, SQLiteSink
    from gradguard.stats import StepStats, UpdateStats

    run_dir, flush_every, report_every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    L = 64
    layers = [LayerInfo(f"layer{i}", "Linear", 10, (f"layer{i}.weight",)) for i in range(L)]
    writer = RunWriter([SQLiteSink(run_dir)], layers, {"child": True}, flush_every=flush_every, flush_seconds=0.05)
    step = 0
    while True:
        values = np.full(L, float(step))
        stats = StepStats(step=step, loss=float(step), grad_norm=float(step), scale=None, lrs=(0.1,),
                          layer_grad_norm=values, layer_grad_maxabs=values, layer_grad_nonfinite=np.zeros(L, int),
                          layer_weight_norm=values, layer_has_grad=np.ones(L, bool))
        event = Event(step, "clip", "info", "every step has one", evidence={"step": step})
        writer.add_step(stats, StepReport(step, True, None, float(step), float(step), events=(event,)), time.time())
        if step % 4 == 0:
            writer.add_update(UpdateStats(step, values, values))
        step += 1
        if step % report_every == 0:
            writer.flush()
            print(step, flush=True)  # steps 0 .. step-1 are committed
""")


def _lines(stream: object, out: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        out.put(line)


@pytest.mark.parametrize(("flush_every", "report_every", "target", "delay"), [(5, 16, 300, 0.05), (64, 50, 600, 0.15)])
def test_kill_9_keeps_every_committed_batch(
    tmp_path: Path, flush_every: int, report_every: int, target: int, delay: float
) -> None:
    """The child keeps writing for ``delay`` seconds after reporting ``target`` steps, then is killed mid-write."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), str(flush_every), str(report_every)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(child.stdout, lines), daemon=True).start()
    reported = 0
    deadline = time.monotonic() + 30
    try:
        while reported < target:
            try:
                reported = int(lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                child.kill()
                child.wait(timeout=10)
                stderr = child.stderr.read() if child.stderr else ""
                pytest.fail(f"the child reported only {reported} steps in 30 s; stderr: {stderr}")
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    con = sqlite3.connect(f"file:{tmp_path / 'run.sqlite'}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    with open_run(tmp_path) as run:
        steps = run.steps["step"]
        n = len(steps)
        assert n >= reported, (n, reported)
        np.testing.assert_array_equal(steps, np.arange(n))  # contiguous: no torn or missing batch
        np.testing.assert_array_equal(run.layer_stat_steps, steps)  # written in the same transactions
        np.testing.assert_array_equal(run.layer_stat("weight_norm"),
                                      np.repeat(np.arange(n, dtype=np.float32)[:, None], 64, axis=1))
        assert [e["step"] for e in run.events] == list(range(n))
        assert set(run.update_steps) <= set(range(0, n, 4))
        assert run.meta["child"] is True

    # the killed run can be resumed where it stopped
    layers = [LayerInfo(f"layer{i}", "Linear", 10, (f"layer{i}.weight",)) for i in range(64)]
    writer = RunWriter([SQLiteSink(tmp_path, resume=True)], layers, {})
    values = np.full(64, 0.5)
    stats = StepStats(step=n, loss=None, grad_norm=1.0, scale=None, lrs=(0.1,), layer_grad_norm=values,
                      layer_grad_maxabs=values, layer_grad_nonfinite=np.zeros(64, int), layer_weight_norm=values,
                      layer_has_grad=np.ones(64, bool))
    writer.add_step(stats, StepReport(n, True, None, None, 1.0), time.time())
    writer.close()
    assert writer.error is None
    with open_run(tmp_path) as run:
        np.testing.assert_array_equal(run.steps["step"], np.arange(n + 1))
        assert run.layer_stat("weight_norm")[n, 0] == 0.5
