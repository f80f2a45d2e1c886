"""The run record: what goes in through RunWriter + SQLiteSink comes back out of open_run, exactly."""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
import subprocess
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from gradguard.decision import StepReport
from gradguard.errors import ConfigError, OptionalDependencyError, RecordError
from gradguard.events import Event
from gradguard.inventory import LayerInfo
from gradguard.record import SCHEMA_VERSION, RunWriter, SQLiteSink, open_run
from gradguard.record._json import decode_json, encode_json
from gradguard.stats import StepStats, UpdateStats

LAYERS = [
    LayerInfo("embed", "Embedding", 100, ("embed.weight",)),
    LayerInfo("blocks.0.linear", "Linear", 30, ("blocks.0.linear.weight", "blocks.0.linear.bias")),
    LayerInfo("head", "Linear", 11, ("head.weight", "head.bias")),
]
L = len(LAYERS)


def make_step(step: int, seed: int = 0) -> tuple[StepStats, StepReport]:
    """A step with the awkward cases spread over steps: no gradient (NaN), Inf, NaN loss, no loss, no scaler."""
    rng = np.random.default_rng([seed, step])
    gnorm = rng.random(L) * 10
    gmax = gnorm / 3
    nonfinite = np.zeros(L, dtype=np.int64)
    has_grad = np.ones(L, dtype=bool)
    if step % 5 == 1:  # layer 1 had no gradient
        gnorm[1] = gmax[1] = np.nan
        has_grad[1] = False
    if step % 7 == 3:  # an overflow in the head
        gnorm[2] = gmax[2] = np.inf
        nonfinite[2] = 4
    loss: float | None = float(rng.random())
    if step % 4 == 0:
        loss = None
    elif step % 9 == 2:
        loss = math.nan
    elif step % 11 == 6:
        loss = math.inf
    global_norm = float(np.sqrt(np.nansum(gnorm**2)))
    stats = StepStats(
        step=step, loss=loss, grad_norm=global_norm, scale=None if step % 2 else 2.0**step,
        lrs=(1e-3 * (step + 1), 1e-4), layer_grad_norm=gnorm, layer_grad_maxabs=gmax,
        layer_grad_nonfinite=nonfinite, layer_weight_norm=rng.random(L) + 1, layer_has_grad=has_grad,
    )
    clip = 0.5 if step % 3 == 0 else 1.0
    applied = bool(np.isfinite(global_norm))
    reason = None if applied and clip == 1.0 else ("clip_norm" if applied else "nonfinite_grad")
    events: tuple[Event, ...] = ()
    if step % 3 == 0:
        events = (Event(step, "clip", "info", f"clipped step {step}", layers=("head",),
                        evidence={"threshold": np.float32(1.5), "observed": np.float64(global_norm),
                                  "window": np.array([1.0, np.nan, np.inf, -np.inf]), "count": np.int64(step),
                                  "flag": np.bool_(True), "nested": {"values": (np.nan, 2)}},
                        causes=({"cause": "lr_too_high", "score": 0.75},)),)
    report = StepReport(step=step, applied=applied, reason=reason, loss=loss, grad_norm=global_norm,
                        clip_coef=clip, events=events)
    return stats, report


def make_update(step: int) -> UpdateStats:
    norm = np.array([1e-3, 0.0, 5e-2]) * (step + 1)
    ratio = np.array([norm[0] / 2.0, np.nan, np.inf])  # 0/0 and x/0: layers whose weights are zero
    return UpdateStats(step=step, layer_update_norm=norm, layer_update_ratio=ratio)


def same(a: Any, b: Any) -> bool:
    """Structural equality where NaN equals NaN and int/float/bool types must match."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def write_run(run_dir: Path, steps: range, *, meta: Mapping[str, Any] | None = None, update_every: int = 10,
              resume: bool = False, seed: int = 0, **kwargs: Any) -> None:
    writer = RunWriter([SQLiteSink(run_dir, resume=resume)], LAYERS, meta or {}, **kwargs)
    for s in steps:
        stats, report = make_step(s, seed)
        writer.add_step(stats, report, 1_700_000_000.0 + s)
        if s % update_every == 0:
            writer.add_update(make_update(s))
    writer.add_events([Event(steps[-1], "stall", "warning", "loss flat", evidence={"slope": -0.0})])
    writer.close()
    assert writer.error is None


# --------------------------------------------------------------------------------------------- round trip
def test_round_trip_is_exact(tmp_path: Path) -> None:
    meta = {"optimizer": {"name": "AdamW", "lr": 1e-3}, "settings": {"max_norm": np.float64(1.0), "nan": np.nan},
            "model": "3 layers"}
    n = 40
    write_run(tmp_path, range(n), meta=meta, flush_every=7)
    written = [make_step(s) for s in range(n)]

    with open_run(tmp_path) as run:
        assert run.schema_version == SCHEMA_VERSION == run.meta["schema_version"]
        assert run.meta["optimizer"] == {"name": "AdamW", "lr": 1e-3}
        assert same(run.meta["settings"], {"max_norm": 1.0, "nan": math.nan})
        assert set(run.meta["versions"]) == {"python", "torch", "numpy", "gradguard"}
        assert run.meta["versions"]["numpy"] == np.__version__
        assert isinstance(run.meta["created"], str)
        assert run.layers == [la.name for la in LAYERS]
        assert run.layer_info[1] == {"name": "blocks.0.linear", "module_type": "Linear", "numel": 30,
                                     "param_names": ["blocks.0.linear.weight", "blocks.0.linear.bias"]}

        cols = run.steps
        np.testing.assert_array_equal(cols["step"], np.arange(n))
        np.testing.assert_array_equal(cols["wall_time"], 1_700_000_000.0 + np.arange(n))
        losses = [st.loss for st, _ in written]
        np.testing.assert_array_equal(cols["loss"], [np.nan if v is None else v for v in losses])
        np.testing.assert_array_equal(cols["has_loss"], [v is not None for v in losses])
        assert np.isinf(cols["loss"][6]) and np.isnan(cols["loss"][2]) and cols["has_loss"][2]
        np.testing.assert_array_equal(cols["grad_norm"], [st.grad_norm for st, _ in written])
        np.testing.assert_array_equal(cols["clip_coef"], [r.clip_coef for _, r in written])
        np.testing.assert_array_equal(cols["grad_norm_after"], [st.grad_norm * r.clip_coef for st, r in written])
        np.testing.assert_array_equal(cols["applied"], [r.applied for _, r in written])
        assert cols["applied"].dtype == bool and not cols["applied"][3]  # step 3 overflowed
        np.testing.assert_array_equal(cols["scale"], [np.nan if st.scale is None else st.scale for st, _ in written])
        np.testing.assert_array_equal(cols["nonfinite"], [st.nonfinite_grads for st, _ in written])
        np.testing.assert_array_equal(run.lrs, [st.lrs for st, _ in written])
        assert run.reasons == [r.reason for _, r in written]

        np.testing.assert_array_equal(run.layer_stat_steps, np.arange(n))
        for name, attr in [("grad_norm", "layer_grad_norm"), ("grad_maxabs", "layer_grad_maxabs"),
                           ("weight_norm", "layer_weight_norm")]:
            got = run.layer_stat(name)
            assert got.shape == (n, L) and got.dtype == np.float32
            np.testing.assert_array_equal(got, np.stack([getattr(st, attr) for st, _ in written]).astype(np.float32))
        assert np.isnan(run.layer_stat("grad_norm")[1, 1]) and np.isposinf(run.layer_stat("grad_maxabs")[3, 2])
        np.testing.assert_array_equal(run.layer_stat("grad_nonfinite"),
                                      np.stack([st.layer_grad_nonfinite for st, _ in written]))
        has_grad = run.layer_stat("has_grad")
        assert has_grad.dtype == bool
        np.testing.assert_array_equal(has_grad, np.stack([st.layer_has_grad for st, _ in written]))

        np.testing.assert_array_equal(run.update_steps, [0, 10, 20, 30])
        ups = [make_update(s) for s in (0, 10, 20, 30)]
        np.testing.assert_array_equal(run.updates("update_norm"),
                                      np.stack([u.layer_update_norm for u in ups]).astype(np.float32))
        np.testing.assert_array_equal(run.updates("update_ratio"),
                                      np.stack([u.layer_update_ratio for u in ups]).astype(np.float32))

        clips = run.events_of("clip")
        assert [e["step"] for e in clips] == list(range(0, n, 3))
        e = clips[1]
        assert e["kind"] == "clip" and e["severity"] == "info" and e["message"] == "clipped step 3"
        assert e["layers"] == ["head"]
        assert same(e["evidence"], {"threshold": 1.5, "observed": written[3][0].grad_norm,
                                    "window": [1.0, math.nan, math.inf, -math.inf], "count": 3, "flag": True,
                                    "nested": {"values": [math.nan, 2]}})
        assert e["causes"] == [{"cause": "lr_too_high", "score": 0.75}]
        assert [ev["kind"] for ev in run.events] == ["clip"] * len(clips) + ["stall"]
        assert run.events_of("stall")[0]["evidence"] == {"slope": -0.0}
        assert run.events_of("explode") == []
        with pytest.raises(RecordError, match="grad_norm"):
            run.layer_stat("grad_nrom")


def test_sqlite_file_is_wal_versioned_and_intact(tmp_path: Path) -> None:
    write_run(tmp_path, range(12), flush_every=5)
    con = sqlite3.connect(tmp_path / "run.sqlite")
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert json.loads(con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]) == 1
        indexed = {con.execute(f"PRAGMA index_info({name!r})").fetchone()[2]
                   for _, name, *_ in con.execute("PRAGMA index_list('events')")}
        assert {"step", "kind"} <= indexed
        blob = con.execute("SELECT grad_norm FROM layer_stats WHERE step=0").fetchone()[0]
        assert len(blob) == 4 * L  # one little-endian float32 per layer
        np.testing.assert_array_equal(np.frombuffer(blob, "<f4"), make_step(0)[0].layer_grad_norm.astype("<f4"))
        # every stored JSON document is strict JSON (no bare NaN/Infinity tokens)
        for (text,) in con.execute("SELECT evidence FROM events"):
            json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    finally:
        con.close()


def test_json_rules() -> None:
    value = {"a": np.float32(np.nan), "b": np.array([[1, 2], [3, 4]], dtype=np.int16), "c": torch.tensor(2.5),
             "d": torch.tensor([np.inf]), 3: {1, 2}, "e": object}
    text = encode_json(value)
    assert '"NaN"' in text and '"Infinity"' in text
    back = decode_json(text)
    assert same(back, {"a": math.nan, "b": [[1, 2], [3, 4]], "c": 2.5, "d": [math.inf], "3": [1, 2],
                       "e": repr(object)})


# --------------------------------------------------------------------------------------------- batching
def _count(run_dir: Path) -> int:
    with open_run(run_dir) as run:
        return len(run.steps["step"])


def test_nothing_visible_before_flush_everything_after(tmp_path: Path) -> None:
    writer = RunWriter([SQLiteSink(tmp_path)], LAYERS, {}, flush_every=1000, flush_seconds=1000)
    for s in range(25):
        writer.add_step(*make_step(s), time.time())
    time.sleep(0.2)
    with open_run(tmp_path) as run:
        assert len(run.steps["step"]) == 0 and run.layer_stat("grad_norm").shape == (0, L) and run.events == []
        writer.flush()
        assert len(run.steps["step"]) == 0  # cached until refresh
        run.refresh()
        np.testing.assert_array_equal(run.steps["step"], np.arange(25))
        assert run.layer_stat("grad_norm").shape == (25, L)
        assert len(run.events) == 9
    writer.close()


def test_flush_every_commits_whole_batches(tmp_path: Path) -> None:
    writer = RunWriter([SQLiteSink(tmp_path)], LAYERS, {}, flush_every=5, flush_seconds=1000)
    for s in range(12):
        writer.add_step(*make_step(s), 0.0)  # steps 0, 3, 6, 9 carry an event: it does not count
    deadline = time.monotonic() + 5
    while _count(tmp_path) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert _count(tmp_path) == 10  # two batches of 5 records; the last 2 wait for flush_every or the timer
    writer.close()
    assert _count(tmp_path) == 12


def test_flush_seconds_commits_without_flush(tmp_path: Path) -> None:
    writer = RunWriter([SQLiteSink(tmp_path)], LAYERS, {}, flush_every=1000, flush_seconds=0.1)
    writer.add_step(*make_step(0), 0.0)
    time.sleep(0.15)
    for s in range(1, 4):
        writer.add_step(*make_step(s), 0.0)
    deadline = time.monotonic() + 5
    while _count(tmp_path) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _count(tmp_path) == 4
    writer.close()


def test_reader_sees_new_batches_after_refresh_while_writing(tmp_path: Path) -> None:
    writer = RunWriter([SQLiteSink(tmp_path)], LAYERS, {}, flush_every=1000, flush_seconds=1000)
    with open_run(tmp_path) as run:
        for chunk in range(3):
            for s in range(chunk * 10, chunk * 10 + 10):
                writer.add_step(*make_step(s), 0.0)
            writer.flush()
            run.refresh()
            np.testing.assert_array_equal(run.steps["step"], np.arange(chunk * 10 + 10))
            np.testing.assert_array_equal(run.layer_stat_steps, run.steps["step"])
    writer.close()


# --------------------------------------------------------------------------------------------- failures
class FailingSink:
    """A sink that raises in one method after ``after`` successful batches."""

    def __init__(self, method: str, after: int = 0) -> None:
        self.method, self.after, self.batches, self.closed = method, after, 0, False

    def _maybe_fail(self, method: str) -> None:
        if method == self.method and self.batches >= self.after:
            raise OSError(f"disk full in {method}")

    def open(self, layers: Sequence[LayerInfo], meta: Mapping[str, Any]) -> None:
        self._maybe_fail("open")

    def write_steps(self, items: Sequence[Any]) -> None:
        self._maybe_fail("write_steps")

    def write_updates(self, items: Sequence[UpdateStats]) -> None:
        self._maybe_fail("write_updates")

    def write_events(self, events: Sequence[Event]) -> None:
        self._maybe_fail("write_events")

    def flush(self) -> None:
        self._maybe_fail("flush")
        self.batches += 1

    def close(self) -> None:
        self.closed = True
        self._maybe_fail("close")


@pytest.mark.parametrize("method", ["write_steps", "write_events", "flush", "close"])
def test_failing_sink_never_reaches_training(tmp_path: Path, method: str) -> None:
    bad = FailingSink(method, after=1)
    writer = RunWriter([bad, SQLiteSink(tmp_path)], LAYERS, {}, flush_every=4, flush_seconds=1000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for s in range(20):
            writer.add_step(*make_step(s), 0.0)
            if s % 6 == 0:
                writer.flush()
        writer.close()
        writer.close()  # idempotent
    assert isinstance(writer.error, OSError) and method in str(writer.error)
    assert bad.closed
    failures = [w for w in caught if issubclass(w.category, RuntimeWarning) and "FailingSink" in str(w.message)]
    assert len(failures) == 1
    assert _count(tmp_path) == 20  # the healthy sink got everything


def test_sink_failing_to_open_raises_at_construction(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="disk full in open"):
        RunWriter([SQLiteSink(tmp_path), FailingSink("open")], LAYERS, {})


def test_bad_array_length_is_recorded_not_raised(tmp_path: Path) -> None:
    writer = RunWriter([SQLiteSink(tmp_path)], LAYERS, {}, flush_every=1000, flush_seconds=1000)
    for s in range(3):
        writer.add_step(*make_step(s), 0.0)
    writer.flush()
    stats, report = make_step(3)
    short = dataclasses.replace(stats, layer_weight_norm=np.ones(L + 1))
    with pytest.warns(RuntimeWarning, match="SQLiteSink"):
        writer.add_step(short, report, 0.0)
        writer.add_step(*make_step(4), 0.0)
        writer.flush()
    writer.close()
    assert isinstance(writer.error, RecordError) and "weight_norm" in str(writer.error)
    assert _count(tmp_path) == 3  # the failed batch was rolled back as a whole


def test_writer_settings_and_use_after_close(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="flush_every"):
        RunWriter([], LAYERS, {}, flush_every=0)
    with pytest.raises(ConfigError, match="flush_seconds"):
        RunWriter([], LAYERS, {}, flush_seconds=float("nan"))
    writer = RunWriter([SQLiteSink(tmp_path)], LAYERS, {})
    writer.close()
    writer.flush()  # no-op once closed
    with pytest.raises(RecordError, match="closed"):
        writer.add_step(*make_step(0), 0.0)


# --------------------------------------------------------------------------------------------- run dir
def test_run_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "not_a_dir"
    target.write_text("x")
    with pytest.raises(RecordError, match="run_dir") as info:
        SQLiteSink(target)
    assert str(target) in str(info.value) and "directory" in str(info.value)


def test_missing_run_dir_is_created(tmp_path: Path) -> None:
    write_run(tmp_path / "a" / "b", range(3))
    assert (tmp_path / "a" / "b" / "run.sqlite").is_file()
    assert _count(tmp_path / "a" / "b" / "run.sqlite") == 3  # the file path works too


def test_existing_run_is_refused_and_resume_appends(tmp_path: Path) -> None:
    write_run(tmp_path, range(6))
    with open_run(tmp_path) as run:
        created = run.meta["created"]
    with pytest.raises(RecordError, match="resume=True"):
        SQLiteSink(tmp_path)
    write_run(tmp_path, range(4, 10), resume=True, seed=1, meta={"note": "second part"})
    with open_run(tmp_path) as run:
        np.testing.assert_array_equal(run.steps["step"], np.arange(10))
        np.testing.assert_array_equal(run.layer_stat_steps, np.arange(10))
        # steps 4 and 5 were written again: the second writing replaced the first
        np.testing.assert_array_equal(run.layer_stat("weight_norm")[4],
                                      make_step(4, seed=1)[0].layer_weight_norm.astype(np.float32))
        np.testing.assert_array_equal(run.layer_stat("weight_norm")[3],
                                      make_step(3, seed=0)[0].layer_weight_norm.astype(np.float32))
        assert run.meta["created"] == created and len(run.meta["resumed"]) == 1
        assert run.meta["note"] == "second part"
        # step 5 was written again, so the first part's event at step 5 was replaced with it (not duplicated)
        assert [e["step"] for e in run.events_of("stall")] == [9]
    with pytest.raises(RecordError, match="layers"):
        RunWriter([SQLiteSink(tmp_path, resume=True)], LAYERS[:2], {})


def test_newer_schema_and_non_records_are_refused(tmp_path: Path) -> None:
    write_run(tmp_path, range(2))
    con = sqlite3.connect(tmp_path / "run.sqlite")
    con.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    con.commit()
    con.close()
    with pytest.raises(RecordError, match="schema_version=2"):
        open_run(tmp_path)
    with pytest.raises(RecordError, match="schema_version=2"):
        RunWriter([SQLiteSink(tmp_path, resume=True)], LAYERS, {})
    with pytest.raises(RecordError, match="No run record"):
        open_run(tmp_path / "elsewhere")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.close()
    with pytest.raises(RecordError, match="not a gradguard run record"):
        open_run(other)


# --------------------------------------------------------------------------------------------- pandas, imports
def test_to_pandas_long_form(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    write_run(tmp_path, range(8), update_every=4)
    with open_run(tmp_path) as run:
        frames = run.to_pandas()
        steps, layer_stats, updates = frames["steps"], frames["layer_stats"], frames["updates"]
        assert len(steps) == 8 and list(steps["lr_1"]) == [1e-4] * 8 and steps["reason"][3] == "nonfinite_grad"
        assert len(layer_stats) == 8 * L and len(updates) == 2 * L
        row = layer_stats[(layer_stats["step"] == 5) & (layer_stats["layer"] == "head")]
        assert row["grad_norm"].item() == run.layer_stat("grad_norm")[5, 2]
        assert list(frames["events"]["kind"]) == ["clip", "clip", "clip", "stall"]


def test_to_pandas_without_pandas_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_run(tmp_path, range(2))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with open_run(tmp_path) as run, pytest.raises(OptionalDependencyError, match=r"gradguard\[report\]"):
        run.to_pandas()


def test_record_imports_no_extras() -> None:
    code = ("import sys, gradguard.record, gradguard.sinks; "
            "print([m for m in ('pandas', 'tensorboard', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_a_second_writer_on_one_run_dir_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    first = SQLiteSink(tmp_path)
    with pytest.raises(RecordError, match="another guard"):
        SQLiteSink(tmp_path, resume=True)
    first.close()
    SQLiteSink(tmp_path, resume=True).close()  # the lock went with the first writer


def test_crafted_records_give_one_line_record_errors(tmp_path: Path) -> None:
    write_run(tmp_path / "a", range(3))
    con = sqlite3.connect(tmp_path / "a" / "run.sqlite")
    con.execute("INSERT INTO events(step, kind, severity, message, layers, evidence, causes) "
                "VALUES ('abc', 'explode', 'warning', 'm', '[]', '{}', '[]')")
    con.commit()
    con.close()
    with pytest.raises(RecordError, match=r"events\.step holds 1 value"):
        open_run(tmp_path / "a")
    write_run(tmp_path / "b", range(3))
    con = sqlite3.connect(tmp_path / "b" / "run.sqlite")
    con.execute("UPDATE meta SET value='{bad' WHERE key='created'")
    con.commit()
    con.close()
    with pytest.raises(RecordError, match=r"meta\['created'\] is not valid JSON"):
        open_run(tmp_path / "b")


def test_a_record_killed_before_its_header_is_replaced_by_a_new_writer(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "run.sqlite")  # what a process killed inside SQLiteSink.open leaves behind
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    with pytest.raises(RecordError, match="killed while starting"):
        open_run(tmp_path)
    with pytest.warns(UserWarning, match="it is replaced"):
        write_run(tmp_path, range(3))
    with open_run(tmp_path) as run:
        assert list(run.steps["step"]) == [0, 1, 2]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "run.sqlite").write_text("not a database")
    with pytest.raises(RecordError, match="already holds"):  # a file that is not SQLite is never replaced
        SQLiteSink(tmp_path / "other")
