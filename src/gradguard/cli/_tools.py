"""``gradguard check``, ``gradguard replay`` and ``gradguard lab``."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import torch
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..record._json import to_jsonable
from ._app import CliError, UnavailableError, app, console, existing_path

#: exit status of ``gradguard check`` when the diagnosis names a warning or critical cause (errors exit 1, usage 2)
UNHEALTHY_EXIT = 3
#: the lab's experiments, for ``lab --help`` without importing the lab (tests check it against gradguard.lab)
LAB_EXPERIMENTS = ("init", "saturation", "relu", "depth", "recurrence", "lr", "batchnorm", "clipping",
                   "regularization", "leaky", "signs", "attention", "capping")


def load_target(spec: str) -> Callable[[], Any]:
    """The function named by ``MODULE:FUNCTION``, where MODULE is an importable module or a ``.py`` file path."""
    module_name, sep, func_name = spec.rpartition(":")
    if not sep or not module_name or not func_name:
        raise CliError(f"expected MODULE:FUNCTION (e.g. mypkg.models:make or path/to/file.py:make), got {spec!r}")
    if module_name.endswith(".py") or "/" in module_name or "\\" in module_name:
        path = existing_path(Path(module_name), "file")
        loader_spec = importlib.util.spec_from_file_location(f"_gradguard_target_{path.stem}", path)
        if loader_spec is None or loader_spec.loader is None:
            raise CliError(f"cannot load {str(path)!r} as a Python module")
        module = importlib.util.module_from_spec(loader_spec)
        sys.path.insert(0, str(path.parent.resolve()))
        try:
            loader_spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.parent.resolve()))
    else:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise CliError(f"cannot import module {module_name!r}: {exc}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise CliError(f"{module_name!r} has no function {func_name!r}")
    return func  # type: ignore[no-any-return]


def _unpack(spec: str, value: Any) -> dict[str, Any]:
    """The keyword arguments of ``gradguard.check`` from what the target returned (a tuple or a dict)."""
    if isinstance(value, dict):
        allowed = {"model", "batch", "loss_fn", "optimizer", "closure", "scheduler", "max_grad_norm"}
        unknown = sorted(set(value) - allowed)
        if unknown or "model" not in value:
            raise CliError(f"{spec} returned a dict with keys {sorted(value)}; expected 'model' and any of "
                           f"{sorted(allowed - {'model'})}")
        kw = dict(value)
    elif isinstance(value, (tuple, list)) and len(value) in (3, 4):
        model, batch, loss_fn, *rest = value
        kw = {"model": model, "batch": batch, "loss_fn": loss_fn, "optimizer": rest[0] if rest else None}
    else:
        raise CliError(f"{spec} must return (model, batch, loss_fn[, optimizer]) or a dict with model and batch/"
                       f"loss_fn or closure (optimizer, scheduler optional), got {type(value).__name__}")
    if not isinstance(kw["model"], torch.nn.Module):
        raise CliError(f"{spec} returned a {type(kw['model']).__name__} as the model; expected a torch.nn.Module")
    for name in ("loss_fn", "closure"):
        if kw.get(name) is not None and not callable(kw[name]):
            raise CliError(f"{spec} returned a {type(kw[name]).__name__} as {name}; expected a callable")
    optimizer = kw.get("optimizer")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise CliError(f"{spec} returned a {type(optimizer).__name__} as the optimizer; expected torch.optim.Optimizer")
    return kw


@app.command()
def check(
    target: Annotated[str, typer.Argument(metavar="MODULE:FUNCTION",
                                 help="A function returning (model, batch, loss_fn[, optimizer]) or a dict of "
                                      "check's arguments (model, batch, loss_fn, optimizer, closure, scheduler, "
                                      "max_grad_norm).")],
    fix: Annotated[bool, typer.Option("--fix", metavar="",
                                      help="Re-initialise the layers found wrong, then check again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print the diagnosis as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", metavar="",
                                          help="Also show info findings and all evidence.")] = False,
) -> None:
    """Pre-flight diagnosis of a model on one real batch: ranked causes, evidence and prescriptions.

    Exits 0 when healthy, 3 when a warning or critical cause is found (after --fix: in the second check)."""
    from ..diagnosis import check as run_check
    from ..diagnosis import fix as run_fix

    kw = _unpack(target, load_target(target)())
    model = kw.pop("model")
    diagnosis = run_check(model, **kw)
    result: dict[str, Any] = {"diagnosis": diagnosis.to_dict()}
    if not as_json:
        console.print(diagnosis.render(verbose=verbose), markup=False)
    if fix:
        changes = run_fix(model, diagnosis, apply=("init",))
        after = run_check(model, **kw)
        result.update(fixed=changes, after=after.to_dict())
        if not as_json:
            console.rule("after --fix")
            for c in changes:
                console.print(f"re-initialised {c['layer']}.{c['param']} ({c['scheme']}): std "
                              f"{c['std_before']:.3g} -> {c['std_after']:.3g}", markup=False)
            if not changes:
                console.print("nothing to re-initialise (no init finding)")
            console.print(after.render(verbose=verbose), markup=False)
    if as_json:
        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
    final = after if fix else diagnosis
    if not final.healthy:  # like a linter: CI can gate on it
        raise typer.Exit(UNHEALTHY_EXIT)


@app.command()
def replay(
    flight_record: Annotated[Path, typer.Argument(help="A flight record (run_dir/flight/*.pt or *.flight).")],
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print the result as JSON.")] = False,
    trust: Annotated[bool, typer.Option("--trust", metavar="",
                                        help="Rebuild the pickled model and loss function stored in the record "
                                             "(runs code from the file: only for records you trust).")] = False,
    path: Annotated[list[Path] | None, typer.Option(
        "--path", metavar="DIR", help="A directory to import the model's and loss function's modules from "
                                      "(repeatable). The training script's directory, as recorded, and the current "
                                      "directory are searched too.")] = None,
) -> None:
    """Re-run a recorded failing step exactly (weights, batch, RNG) and print where it went non-finite.

    The record is read with torch's weights_only loader; rebuilding the model and loss function it pickled runs
    code from the file and needs --trust (for records you wrote yourself or otherwise trust). Their classes are
    imported from the directories given with --path, the directory the training script ran from (when it exists
    here) and the current directory; a class defined in the training script itself cannot be, and is named.
    """
    from ..flight import load_flight_record
    from ..flight import replay as run_replay
    from ..replay_paths import explain, on_sys_path, search_dirs

    existing_path(flight_record, "flight record")
    for d in path or ():
        if not d.is_dir():
            raise CliError(f"--path {str(d)!r} is not a directory")
    dirs: list[Path] = []
    if trust:
        record = load_flight_record(flight_record, trust=True)
        dirs = search_dirs(record.script, path or ())
        why = explain(record, dirs)
        if why is not None:
            raise CliError(f"{flight_record}: {why}")
    with on_sys_path(dirs):
        result = run_replay(flight_record, trust=trust)
    if as_json:
        print(json.dumps(to_jsonable(result.to_dict()), indent=2, allow_nan=False))  # NaN/Inf as strings: valid JSON
        return
    origin = result.origin
    verdict = "[red]reproduced: the step is non-finite again[/]" if result.reproduced else \
        "[green]not reproduced: the step is finite on replay[/]"
    console.print(f"[bold]step {result.step}[/]: {verdict}")
    console.print(f"  loss: {result.loss}")
    bad = list(result.nonfinite_grads)
    console.print(f"  non-finite gradients: {len(bad)} parameter(s){': ' + ', '.join(bad[:8]) if bad else ''}"
                  f"{' …' if len(bad) > 8 else ''}", markup=False)
    console.print(f"  origin: phase={origin.phase} module={origin.module} ({origin.module_type})", markup=False)
    if origin.detail:
        console.print(f"  {origin.detail}", markup=False)
    for key, value in list(origin.evidence.items())[:12]:
        console.print(f"    {key}: {value}", markup=False)


@app.command()
def lab(
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only this experiment (repeatable): "
                                                   + ", ".join(LAB_EXPERIMENTS) + ".")] = None,
    out: Annotated[Path, typer.Option("--out",
            help="Directory for the lab's records and report.")] = Path("gradguard-lab"),
) -> None:
    """Run the lab: experiments that settle what the seeds claim about causes and fixes, by measurement."""
    try:
        lab_module = importlib.import_module("gradguard.lab")
        run_lab, experiments = lab_module.run_lab, lab_module.EXPERIMENTS
    except (ImportError, AttributeError):
        raise UnavailableError("the lab is not available in this installation of gradguard "
                               "(gradguard.lab with run_lab and EXPERIMENTS could not be imported)") from None
    if only:
        unknown = [name for name in only if name not in experiments]
        if unknown:
            raise UnavailableError(f"--only {', '.join(unknown)}: no such experiment; choose from "
                                   f"{', '.join(sorted(experiments))}")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as progress:
        task = progress.add_task("lab", total=None)

        def on_progress(name: str, done: int, total: int) -> None:
            progress.update(task, description=f"lab: {name}", completed=done, total=total)

        path = run_lab(list(only) if only else None, out, on_progress)
    console.print(f"Lab report: [bold]{path}[/]")
