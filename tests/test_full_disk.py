"""A full disk never stops training: snapshots stay in memory, flight records say what happened (issue 14)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn

import gradguard
from gradguard import _atomic


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("[enforce fail at inline_container.cc:778] . PytorchStreamWriter failed writing file "
                           "data/0: file write failed; unexpected pos 64 vs 0")

    monkeypatch.setattr(_atomic.torch, "save", failing_save)


def test_a_snapshot_directory_on_a_full_disk_degrades_to_memory(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    policy = gradguard.chain(gradguard.skip_nonfinite(), gradguard.rollback_on_trouble(every=10,
                                                                                       directory=tmp_path / "snaps"))
    guard = gradguard.Guard(model, opt, policy=policy, update_every=0)
    _full_disk(monkeypatch)
    with pytest.warns(UserWarning, match="disk may be full"):
        for _ in range(30):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            loss.backward()
            report = guard.step(loss)  # never raises mid-step
            opt.zero_grad()
            assert report.applied
    assert guard.last_snapshot_step is not None  # kept in memory
    assert not list((tmp_path / "snaps").glob("*.pt"))


def _free(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    monkeypatch.setattr(_atomic.shutil, "disk_usage", lambda path: SimpleNamespace(free=free))


def test_a_failed_write_names_the_full_disk_and_leaves_nothing(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _full_disk(monkeypatch)
    _free(monkeypatch, 4096)
    target = tmp_path / "x.pt"
    with pytest.raises(OSError, match=r"the disk holding '.*' is full, 4096 bytes free") as info:
        _atomic.atomic_torch_save({"a": torch.ones(2)}, target)
    assert info.value.errno == errno.ENOSPC and str(target) in str(info.value)
    assert not list(tmp_path.iterdir())
    _free(monkeypatch, 10**8)  # the same error with room left is not called a full disk
    with pytest.raises(OSError, match="may be full or the file cannot be written"):
        _atomic.atomic_torch_save({"a": torch.ones(2)}, target)


def test_a_flight_record_on_a_full_disk_says_so_and_training_goes_on(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14 item 8: the warning was "unexpected pos 64 vs 0"; it must say the disk is full, and where."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    guard = gradguard.Guard(model, opt, run_dir=tmp_path / "run", loss_fn=nn.functional.mse_loss, update_every=0)
    _full_disk(monkeypatch)
    _free(monkeypatch, 0)
    reports = []
    with pytest.warns(RuntimeWarning, match=r"flight record of step 3 was not written: .*disk holding '.*flight' "
                                            r"is full, 0 bytes free"):
        for step in range(6):
            x, y = torch.randn(8, 4), torch.randn(8, 1)
            if step == 3:
                x[0, 0] = float("nan")
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            reports.append(guard.step(loss, inputs=x, targets=y))
            opt.zero_grad()
    guard.close()
    assert [r.applied for r in reports] == [True, True, True, False, True, True]
    errors = [e.evidence.get("flight_record_error", "") for e in reports[3].events]
    assert any("is full" in err for err in errors), errors
    assert not list((tmp_path / "run" / "flight").glob("*.pt"))


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs (needs the right to mount: root in a container that allows it, else skipped)."""
    where = tmp_path / "disk"
    where.mkdir()
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                                                        str(where)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_a_real_full_disk_is_named_for_snapshots_and_flight_records(tiny_disk: Path) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    policy = gradguard.chain(gradguard.skip_nonfinite(), gradguard.rollback_on_trouble(every=3,
                                                                                       directory=tiny_disk / "snaps"))
    guard = gradguard.Guard(model, opt, policy=policy, run_dir=tiny_disk / "run", loss_fn=nn.functional.mse_loss,
                            update_every=0)
    fd = os.open(tiny_disk / "filler", os.O_WRONLY | os.O_CREAT)
    with contextlib.suppress(OSError):
        while True:
            os.write(fd, b"x" * 4096)
    os.close(fd)
    os.truncate(tiny_disk / "filler", os.path.getsize(tiny_disk / "filler") - 8192)  # room for a file, not a record
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(12):
            x, y = torch.randn(8, 64), torch.randn(8, 1)
            if step == 8:
                x[0, 0] = float("nan")
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            report = guard.step(loss, inputs=x, targets=y)
            opt.zero_grad()
            assert report.applied == (step != 8)
        guard.close()
    messages = [str(w.message) for w in caught]
    assert any("snapshot was not written" in m and "snaps' is full" in m for m in messages), messages
    assert any("flight record of step 8 was not written" in m and "flight' is full" in m for m in messages), messages
    assert not any("unexpected pos" in m and "is full" not in m for m in messages)
