"""The command line, through its real entry point (``python -m gradguard``) and through ``main()``."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from gradguard.cli import main

pytest.importorskip("typer")
pytest.importorskip("matplotlib")

DEMO_STEPS = 160  # reaches the first corrupt record of seed 0 (step 78): the unguarded run dies there


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """``python -m gradguard demo`` end to end, once for the module."""
    out = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.run([sys.executable, "-m", "gradguard", "demo", "--steps", str(DEMO_STEPS), "--out", str(out)],
                          capture_output=True, text=True, timeout=240, env=env)
    return out, proc


def test_demo_end_to_end(demo_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, proc = demo_run
    assert proc.returncode == 0, proc.stderr
    assert "gradguard demo" in proc.stdout and "Report:" in proc.stdout
    assert "finite loss, well below the unguarded one" in proc.stdout
    assert (out / "report.html").stat().st_size > 10_000
    import gradguard

    with gradguard.open_run(out / "unguarded") as u, gradguard.open_run(out / "guarded") as g:
        assert len(g.steps["step"]) == DEMO_STEPS
        assert len(u.steps["step"]) < DEMO_STEPS  # stopped once its weights were NaN
        assert not math.isfinite(u.steps["loss"][-1])
        assert (~g.steps["applied"]).sum() >= 1  # the corrupt step was skipped ...
        tail = g.steps["loss"][-20:]
        assert math.isfinite(tail.mean()) and tail.mean() < 0.1 * g.steps["loss"][0]  # ... and training went on
        assert g.events_of("nonfinite")


def test_run_demo_is_deterministic_in_its_data() -> None:
    from gradguard.demo import data_stream

    short = list(data_stream(3, 5))
    long = list(data_stream(3, 50))[:5]
    assert all(torch.equal(a[0], b[0]) for a, b in zip(short, long))


def test_inspect(demo_run: tuple[Path, subprocess.CompletedProcess[str]], capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = demo_run
    assert main(["inspect", str(out / "guarded")]) == 0
    text = capsys.readouterr().out
    assert "Events" in text and "nonfinite" in text and "Skipped steps" in text and "Worst layers" in text


def test_inspect_prints_markup_in_names_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import gradguard

    model = nn.Sequential(nn.Linear(4, 4))
    model.add_module("[/]", nn.Linear(4, 4))  # a legal module name that is also a rich closing tag
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gradguard.Guard(model, opt, run_dir=tmp_path / "run", policy="monitor") as guard:
        for _ in range(3):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            loss.backward()
            guard.step(loss)
            opt.zero_grad()
    assert main(["inspect", str(tmp_path / "run")]) == 0
    assert "[/]" in capsys.readouterr().out


def test_inspect_on_a_folder_of_runs_lists_them(demo_run: tuple[Path, subprocess.CompletedProcess[str]],
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = demo_run
    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 run record(s)" in text and "guarded" in text and "unguarded" in text
    assert main(["inspect", str(tmp_path)]) == 1  # an empty folder: one line naming what was looked for
    assert "No run record" in capsys.readouterr().err


def test_report_into_a_missing_folder_says_it_created_it(demo_run: tuple[Path, subprocess.CompletedProcess[str]],
                                                         tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = demo_run
    target = tmp_path / "new" / "r.html"
    assert main(["report", str(out / "guarded"), "-o", str(target)]) == 0
    assert target.is_file() and "Created the folder" in capsys.readouterr().out


def test_report_command(demo_run: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = demo_run
    target = tmp_path / "r.html"
    assert main(["report", str(out / "guarded"), "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert str(target) in capsys.readouterr().out


def test_replay(demo_run: tuple[Path, subprocess.CompletedProcess[str]], capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = demo_run
    records = sorted((out / "guarded" / "flight").glob("*"))
    assert records, "the guarded demo run keeps a flight record of its first non-finite step"
    assert main(["replay", str(records[0]), "--json"]) == 1  # rebuilding the pickled model needs --trust
    assert "--trust" in capsys.readouterr().err
    assert main(["replay", str(records[0]), "--json", "--trust"]) == 0
    result = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"not JSON: {name}"))
    assert result["reproduced"] is True and result["origin"]["phase"]
    assert main(["replay", str(records[0]), "--trust"]) == 0
    assert "reproduced" in capsys.readouterr().out


@pytest.mark.parametrize("argv, needle", [
    (["inspect", "/no/such/run"], "does not exist"),
    (["report", "/no/such/run"], "does not exist"),
    (["replay", "/no/such/file.pt"], "does not exist"),
    (["check", "no_colon_here"], "MODULE:FUNCTION"),
    (["check", "gradguard_no_such_module:make"], "cannot import"),
])
def test_bad_input_is_one_line(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("gradguard: error:") and needle in err and len(err.splitlines()) == 1


def test_not_a_record_and_debug(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "run.sqlite").write_bytes(b"not sqlite at all" * 10)
    assert main(["inspect", str(tmp_path)]) == 1
    assert "Traceback" not in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    assert main(["replay", str(bad)]) == 1
    assert main(["--debug", "replay", str(bad)]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--steps", "0"]) == 2
    assert main(["no-such-command"]) == 2


TARGET = '''
import torch
from torch import nn


def make(scale=3.0):
    torch.manual_seed(0)
    layers = []
    for _ in range(8):
        lin = nn.Linear(32, 32)
        nn.init.normal_(lin.weight, std=scale / 32 ** 0.5)
        layers += [lin, nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(32, 1))
    batch = (torch.randn(64, 32), torch.randn(64, 1))
    return model, batch, nn.functional.mse_loss, torch.optim.SGD(model.parameters(), lr=0.01)


def wrong():
    return 42
'''


def test_check_from_file_with_fix_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "target.py"
    path.write_text(TARGET)
    assert main(["check", f"{path}:make"]) == 3  # unhealthy: a non-zero status CI can gate on, as a linter's
    assert "init" in capsys.readouterr().out
    assert main(["check", f"{path}:make", "--fix", "--json"]) == 0  # healthy after the fix
    text = capsys.readouterr().out
    result = json.loads(text, parse_constant=lambda name: pytest.fail(f"not JSON: {name}"))
    assert not result["diagnosis"]["healthy"] and result["fixed"]
    causes_before = [f["cause"] for f in result["diagnosis"]["findings"] if f["severity"] != "info"]
    causes_after = [f["cause"] for f in result["after"]["findings"] if f["severity"] != "info"]
    assert "init" in causes_before and "init" not in causes_after
    assert main(["check", f"{path}:wrong"]) == 1
    assert "must return (model, batch, loss_fn" in capsys.readouterr().err
    assert main(["check", f"{path}:absent"]) == 1
    assert "no function 'absent'" in capsys.readouterr().err


def test_check_from_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "gradguard.demo:DEFAULT_STEPS"]) == 1  # importable, not a function
    assert "no function" in capsys.readouterr().err


def test_lab_help_lists_every_experiment(capsys: pytest.CaptureFixture[str]) -> None:
    from gradguard.cli._tools import LAB_EXPERIMENTS
    from gradguard.lab import EXPERIMENTS

    assert LAB_EXPERIMENTS == tuple(EXPERIMENTS)
    assert main(["lab", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert all(name in text for name in EXPERIMENTS)


@pytest.mark.parametrize("command", ["check", "replay", "attribute", "inspect", "report", "demo", "lab", None])
def test_help_of_flags_shows_no_type_placeholder(command: str | None, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    assert main([command, "--help"] if command else ["--help"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "--" in line]
    assert any("--help" in line for line in lines)
    assert not any("<bool>" in line for line in lines), lines


def test_lab_validates_only(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["lab", "--only", "no-such-experiment"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("gradguard: error:") and len(err.strip().splitlines()) == 1


def test_missing_cli_extra_prints_install_hint() -> None:
    code = ("import sys, importlib.util as u; real = u.find_spec; "
            "u.find_spec = lambda n, *a: None if n in ('typer', 'rich') else real(n, *a); "
            "from gradguard.cli import main; sys.exit(main(['demo']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and 'pip install "gradguard[cli]"' in proc.stderr


def test_import_gradguard_does_not_pull_the_cli() -> None:
    code = ("import sys, gradguard, gradguard.demo; "
            "print(any(m in sys.modules for m in ('typer', 'rich', 'matplotlib')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60).stdout.strip() == "False"


def test_guard_helped_verdict() -> None:
    from gradguard.demo import DemoResult, DemoRun

    u = DemoRun("unguarded", "monitor", Path("u"), losses=[3.0, math.inf], died_at=1)
    g = DemoRun("guarded", "default", Path("g"), losses=[3.0, math.inf, 0.5])
    assert DemoResult(u, g, Path("."), 3, 0, 0.1).guard_helped
    assert nn.Module  # keep the import used
