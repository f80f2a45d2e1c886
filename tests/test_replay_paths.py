"""``gradguard replay`` of a record whose model class lives in the user's script directory (or in the script)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from gradguard.replay_paths import needed_globals, search_dirs

pytest.importorskip("typer")

from gradguard.cli import main

_MODEL = '''
from torch import nn


class {name}(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))

    def forward(self, x):
        return self.body(x)
'''

_TRAIN = '''
import torch
from torch import nn

import gradguard
{model_import}

torch.manual_seed(0)
model = {name}()
{hook}opt = torch.optim.SGD(model.parameters(), lr=0.1)
guard = gradguard.Guard(model, opt, run_dir="run", loss_fn=nn.MSELoss())
for step in range(3):
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    if step == 2:
        x[1, 2] = float("nan")
    loss = nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    guard.step(loss, inputs=x, targets=y)
guard.close()
'''


_HOOK = '''

def keep_finite(module, inputs, output):  # a forward hook written in the training script
    return None
'''


def _train(project: Path, name: str, in_main: bool, hook_in_main: bool = False) -> Path:
    """Run a user's train.py (as ``python train.py`` from its directory) whose step 2 has a NaN batch."""
    project.mkdir()
    if in_main:
        model_import = textwrap.dedent(_MODEL.format(name=name)).replace("from torch import nn\n", "")
    else:
        (project / f"{name.lower()}.py").write_text(_MODEL.format(name=name))
        model_import = f"from {name.lower()} import {name}"
    if hook_in_main:
        model_import += _HOOK
    hook = "model.body[0].register_forward_hook(keep_finite)\n" if hook_in_main else ""
    (project / "train.py").write_text(_TRAIN.format(model_import=model_import, name=name, hook=hook))
    proc = subprocess.run([sys.executable, "train.py"], cwd=project, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    (record,) = (project / "run" / "flight").glob("*.pt")
    return record


@pytest.mark.timeout(240)
def test_replay_imports_the_model_from_the_recorded_script_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    name = "NetInUserDir"
    record = _train(tmp_path / "project", name, in_main=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # neither the current directory nor sys.path holds the user's module
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "project", moved)  # as on another machine: the recorded directory is gone
    record = moved / record.relative_to(tmp_path / "project")
    assert main(["replay", str(record), "--trust"]) == 1
    err = capsys.readouterr().err
    assert f"needs the module(s) {name.lower()}" in err and "which does not exist here" in err
    assert "pass --path DIR with the directory that holds netinuserdir.py" in err

    shutil.move(moved, tmp_path / "project")  # the directory the user trained in, where it was recorded
    record = tmp_path / "project" / record.relative_to(moved)
    try:
        assert main(["replay", str(record), "--trust", "--json"]) == 0
        assert '"reproduced": true' in capsys.readouterr().out
        sys.modules.pop(name.lower(), None)
        shutil.move(tmp_path / "project", moved)
        assert main(["replay", str(moved / record.relative_to(tmp_path / "project")), "--trust",
                     "--path", str(moved)]) == 0
        assert "reproduced" in capsys.readouterr().out
    finally:
        sys.modules.pop(name.lower(), None)
    assert str(moved) not in sys.path and str(tmp_path / "project") not in sys.path  # put back as it was


@pytest.mark.timeout(240)
def test_a_class_defined_in_the_training_script_is_named_with_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = _train(tmp_path / "project", "NetInMain", in_main=True)
    assert main(["replay", str(record), "--trust"]) == 1
    err = capsys.readouterr().err
    assert "uses NetInMain, defined in" in err and "train.py itself (pickled as __main__)" in err
    assert "Move it into a module beside the script" in err
    # the Python API replays it with the user's own instance: the recorded weights are loaded into it
    import gradguard

    class NetInMain(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x)

    result = gradguard.replay(record, model=NetInMain(), loss_fn=nn.MSELoss())
    assert result.reproduced and result.origin.phase == "data"


@pytest.mark.timeout(240)
def test_a_hook_defined_in_the_training_script_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = _train(tmp_path / "project", "NetWithHook", in_main=False, hook_in_main=True)
    try:
        assert main(["replay", str(record), "--trust"]) == 1  # the model's module is found; its hook is not
    finally:
        sys.modules.pop("netwithhook", None)
    err = capsys.readouterr().err
    assert "uses keep_finite, defined in" in err and "(pickled as __main__)" in err


def test_needed_globals_reads_a_pickle_without_running_it(tmp_path: Path) -> None:
    import io

    buffer = io.BytesIO()
    torch.save(nn.Sequential(nn.Linear(2, 2)), buffer)
    found = needed_globals(buffer.getvalue())
    assert ("torch.nn.modules.container", "Sequential") in found
    assert ("torch.nn.modules.linear", "Linear") in found
    assert needed_globals(None) == [] and needed_globals(b"not a pickle") == []


def test_search_dirs_order_and_missing_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given, script_dir = tmp_path / "given", tmp_path / "script"
    given.mkdir()
    script_dir.mkdir()
    monkeypatch.chdir(tmp_path)
    dirs = search_dirs({"dir": str(script_dir), "cwd": "/no/such/dir"}, [given])
    assert dirs == [given.resolve(), script_dir.resolve(), tmp_path.resolve()]
    assert search_dirs({}, []) == [tmp_path.resolve()]
