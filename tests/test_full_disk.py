"""A full disk never stops training: snapshots stay in memory, flight records say what happened (issue 14)."""

from __future__ import annotations

from pathlib import Path
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


def test_a_failed_write_names_the_full_disk_and_leaves_nothing(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _full_disk(monkeypatch)
    target = tmp_path / "x.pt"
    with pytest.raises(OSError, match="disk is full"):
        _atomic.atomic_torch_save({"a": torch.ones(2)}, target)
    assert not list(tmp_path.iterdir())
